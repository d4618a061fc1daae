//! loom models of the session slot (TiDB issue 46282) and of
//! `clear_alloc` with an error, which abandons the allocator while its
//! chunks are still being dropped. Shared helpers: `common/mod.rs`.
#![cfg(chunkpool_loom)]

mod common;

use chunkpool::{ChunkAllocator, LockFreeAllocator, SessionChunkPool, StatementOutcome};
use common::{assert_within, limits, model, spawn, warm_up, CAP, I64, WARM_UP_CHUNKS};
use loom::thread;
use std::sync::Arc;

/// TiDB issue 46282, restated: one session's allocator slot is set by one
/// thread and cleared (with an error, so the caller's allocator is renewed)
/// by another, while a third (the model's main thread) allocates through the
/// session twice, with a statement boundary (`begin_statement`) between the
/// two allocations, writing to each chunk and returning the first while it
/// holds the second.
///
/// Asserts: every read of the slot sees the old allocator, the new one, or
/// none, never one that was not set, and reads never go back in time
/// (no `new -> old`, no `none -> old`); a chunk is pooled exactly when an
/// allocator was seen, is empty, holds what its owner wrote, and returns to
/// that allocator; the two chunks own different buffers; the reuse hook
/// fires exactly when TiDB's would and at most once per `set_alloc`: the
/// "used chunk alloc" flag (which the hook's callback sets) is set by the
/// first allocation iff it saw an allocator, and set again after the
/// boundary iff the second allocation saw a different `set_alloc`'s
/// allocator (the same one has fired already); bounds hold; the slot ends as
/// `new` or empty and `is_alloc_valid` agrees; the clearer's handle was
/// renewed, not reset; nothing leaks (loom's `Arc` leak check).
///
/// The allocating thread is `main`, already registered with the epoch: the
/// setter and the clearer never pin, so the model explores the slot protocol
/// rather than crossbeam-epoch's thread registration.
#[test]
fn session_46282() {
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Seen {
        Old,
        New,
        None,
    }
    model("session_46282", || {
        let old = LockFreeAllocator::with_config(limits(1, 1));
        let new = LockFreeAllocator::with_config(limits(1, 1));
        warm_up(&old);
        warm_up(&new);
        let session = Arc::new(SessionChunkPool::<LockFreeAllocator>::new());
        session.begin_statement();
        session.set_alloc(Some(&old));

        let setter = {
            let (session, new) = (Arc::clone(&session), new.clone());
            thread::spawn(move || session.set_alloc(Some(&new)))
        };
        let clearer = {
            let (session, mut mine) = (Arc::clone(&session), old.clone());
            thread::spawn(move || {
                session.clear_alloc(&mut mine, StatementOutcome::Failed);
                mine
            })
        };

        let mut seen = Vec::new();
        let mut held: Option<chunkpool::Chunk> = None;
        for round in 0..2 {
            if round == 1 {
                session.begin_statement();
                assert_eq!(
                    session.last_sql_use_alloc(),
                    seen[0] != Seen::None,
                    "reuse hook flag after the first allocation: {seen:?}"
                );
            }
            let cur = session.chunk_allocator();
            let s = match cur.inner() {
                None => Seen::None,
                Some(a) if a.same_pool(&old) => Seen::Old,
                Some(a) if a.same_pool(&new) => Seen::New,
                Some(_) => panic!("alloc saw an allocator that was never set"),
            };
            assert_eq!(cur.is_empty(), s == Seen::None);
            let mut chk = cur.alloc(&I64, CAP, CAP);
            drop(cur);
            assert_eq!(chk.is_pooled(), s != Seen::None, "pooled chunk from {s:?}");
            assert_eq!(chk.num_rows(), 0, "handed-out chunk not empty");
            chk.column_mut(0).append_i64(round);
            assert_eq!(chk.column(0).get_i64(0), round);
            if let Some(prev) = &held {
                assert_ne!(
                    prev.column(0).data_ptr(),
                    chk.column(0).data_ptr(),
                    "double hand-out"
                );
                assert_eq!(prev.column(0).get_i64(0), 0, "someone else wrote my buffer");
            }
            seen.push(s);
            // Returns the previous chunk to its allocator.
            held = Some(chk);
        }
        drop(held);

        setter.join().unwrap();
        let renewed = clearer.join().unwrap();

        // Slot states only move forward: Old -> {New, None} -> {None, New}.
        assert!(
            !matches!(seen[..], [Seen::New, Seen::Old] | [Seen::None, Seen::Old]),
            "slot read went back in time: {seen:?}"
        );
        let used = |s: Seen| seen.iter().filter(|&&x| x == s).count() as u64;
        let (o, n) = (old.stats(), new.stats());
        assert_eq!(o.chunks_allocated - WARM_UP_CHUNKS, used(Seen::Old));
        assert_eq!(n.chunks_allocated - WARM_UP_CHUNKS, used(Seen::New));
        assert_eq!(o.chunks_returned - WARM_UP_CHUNKS, used(Seen::Old));
        assert_eq!(n.chunks_returned - WARM_UP_CHUNKS, used(Seen::New));
        assert_within(&o, 1, 1);
        assert_within(&n, 1, 1);
        assert_eq!(
            session.used_chunk_alloc(),
            seen[1] != Seen::None && seen[1] != seen[0],
            "reuse hook flag after the second allocation: {seen:?}"
        );
        // The slot ends as `new` (clear ran first) or empty (set ran first).
        let last = session.chunk_allocator();
        if let Some(a) = last.inner() {
            assert!(a.same_pool(&new), "slot ends holding the old allocator");
        }
        assert_eq!(session.is_alloc_valid(), !last.is_empty());
        // has_err = true: the clearer's handle was replaced, not reset.
        assert!(!renewed.same_pool(&old) && !renewed.same_pool(&new));
        assert_eq!(renewed.stats().chunks_allocated, 0);
    });
}

/// `clear_alloc(.., Failed)` on `main` while a chunk of the old
/// allocator is dropped on another thread. The test keeps no other handle
/// to the old allocator, so the clear abandons it: its last handle goes
/// (an abandoned allocator trims its depot at once), and chunks that come
/// back afterwards are freed, not cached; whichever thread lets go of it
/// last frees it. `main` drops a second chunk of it after the clear.
///
/// Asserts: the session ends empty and hands out unpooled chunks; the
/// caller's handle was replaced by a fresh allocator that received nothing
/// and works; no use after free of the old depot (canary); the old
/// allocator, its depots and every cached chunk are freed by the end (loom's
/// `Arc` leak check at the end of every interleaving).
#[test]
fn clear_alloc_err_while_dropping() {
    model("clear_alloc_err_while_dropping", || {
        let mut alloc = LockFreeAllocator::with_config(limits(1, 1));
        warm_up(&alloc);
        let session = SessionChunkPool::<LockFreeAllocator>::new();
        session.set_alloc(Some(&alloc));
        let c1 = session.chunk_allocator().alloc(&I64, CAP, CAP);
        let c2 = session.chunk_allocator().alloc(&I64, CAP, CAP);
        assert!(c1.is_pooled() && c2.is_pooled());
        let dropper = spawn(move || drop(c1));
        session.clear_alloc(&mut alloc, StatementOutcome::Failed);
        drop(c2);
        dropper.join();

        assert!(!session.is_alloc_valid());
        let cur = session.chunk_allocator();
        assert!(cur.is_empty());
        assert!(!cur.alloc(&I64, CAP, CAP).is_pooled());
        let s = alloc.stats();
        assert_eq!((s.chunks_allocated, s.chunks_returned), (0, 0));
        assert_eq!(
            (s.retained_chunks, s.retained_columns, s.retained_bytes),
            (0, 0, 0)
        );
        drop(alloc.alloc(&I64, CAP, CAP));
        assert_eq!(alloc.stats().retained_chunks, 1);
    });
}
