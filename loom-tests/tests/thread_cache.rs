//! loom models of the per-thread caches: a thread's cache flushed into the
//! depot at its exit, handed on by `release_thread_cache` while the thread
//! lives on, and flushed while the allocator's last handle goes.
//! Shared helpers: `common/mod.rs`.
#![cfg(chunkpool_loom)]

mod common;

use chunkpool::{ChunkAllocator, LockFreeAllocator};
use common::{assert_within, drain_exact, limits, model, spawn, use_one_chunk, Live, CAP, I64};
use loom::sync::mpsc;

/// Per-thread caches: a thread allocates a chunk, writes it, returns it (it
/// lands in that thread's cache, taking a whole-chunk credit) and exits,
/// which flushes its cache into the depot, while `main` returns a chunk
/// (into its own cache) and then allocates, writes and returns one. Limits:
/// two whole chunks, one loose column, so both chunks can be kept and the
/// bound is then reached exactly.
///
/// Asserts: bounds hold throughout; no double hand-out; nothing is stranded
/// in the dead thread's cache or lost at its exit: after the join the
/// accounting is exact (draining from `main` pops exactly `retained_*`
/// entries) and the buffers drained are exactly the exited thread's and
/// `main`'s, so the exited thread's chunk now serves another thread;
/// nothing leaks.
#[test]
fn thread_cache_flush_on_exit() {
    model("thread_cache_flush_on_exit", || {
        let pool = LockFreeAllocator::with_config(limits(2, 1));
        let live = Live::default();
        let c2 = pool.alloc(&I64, CAP, CAP);
        live.enter(&c2);

        let other = {
            let (pool, live) = (pool.clone(), live.clone());
            spawn(move || {
                let mine = use_one_chunk(&pool, &live, 1);
                assert_within(&pool.stats(), 2, 1);
                // Exits with that chunk in its cache: the thread-local
                // destructor moves it to the depot.
                mine
            })
        };
        live.leave(&c2);
        drop(c2);
        let main_buf = use_one_chunk(&pool, &live, 2);
        let exited_buf = other.join();

        let s = pool.stats();
        assert_within(&s, 2, 1);
        assert_eq!(s.chunks_returned, 3);
        let mut got = drain_exact(&pool);
        got.sort_unstable();
        let mut want = vec![main_buf, exited_buf];
        want.sort_unstable();
        assert_eq!(
            got, want,
            "the exited thread's cached chunk was lost or stranded"
        );
    });
}

/// `release_thread_cache` while another thread works: the spawned thread
/// allocates, writes and returns a chunk (into its cache), hands its cache
/// to the depot, tells `main`, and waits, alive, until `main` is done;
/// meanwhile `main` returns a chunk (into its own cache) and allocates,
/// writes and returns one. Then `main` drains the allocator. Limits: two
/// whole chunks, one loose column.
///
/// Asserts: bounds hold throughout; no double hand-out (`Live`); the
/// accounting is exact (draining pops exactly `retained_*` entries), and
/// the drained buffers are exactly `main`'s and the spawned thread's,
/// while that thread still lives: what the release handed on is in the
/// depot, not stranded in the thread's cache (a no-op release fails
/// here) and not lost; nothing leaks.
#[test]
fn release_thread_cache_while_another_thread_cycles() {
    model("release_thread_cache_while_another_thread_cycles", || {
        let pool = LockFreeAllocator::with_config(limits(2, 1));
        let live = Live::default();
        let c2 = pool.alloc(&I64, CAP, CAP);
        live.enter(&c2);

        let (released, wait_released) = mpsc::channel();
        let (done, wait_done) = mpsc::channel::<()>();
        let other = {
            let (pool, live) = (pool.clone(), live.clone());
            spawn(move || {
                let mine = use_one_chunk(&pool, &live, 1);
                pool.release_thread_cache();
                assert_within(&pool.stats(), 2, 1);
                released.send(mine).unwrap();
                wait_done.recv().unwrap();
            })
        };
        live.leave(&c2);
        drop(c2);
        let main_buf = use_one_chunk(&pool, &live, 2);
        let other_buf = wait_released.recv().unwrap();

        let s = pool.stats();
        assert_within(&s, 2, 1);
        let mut got = drain_exact(&pool);
        got.sort_unstable();
        let mut want = vec![main_buf, other_buf];
        want.sort_unstable();
        assert_eq!(got, want, "a released chunk was stranded or lost");
        done.send(()).unwrap();
        other.join();
    });
}

/// The last handle goes while a thread cache flushes. The spawned thread
/// returns two chunks and exits; meanwhile `main` drops the allocator's
/// only handle, which abandons it: the drop empties the depot and lets go
/// of `main`'s own cache of it, and from then on a returning chunk is
/// freed, not cached, and an exiting thread frees its magazine instead of
/// flushing it.
///
/// Why these limits: two whole chunks give each of the two threads caching
/// for the allocator a fair share of one (the limit split between them,
/// for a thread's cached chunks and spare credits together). So the
/// spawned thread's first return fills its magazine, its second finds it
/// full and flushes the first chunk into the depot (the
/// `put` path), and its exit flushes the second (the thread-local
/// destructor). Either push may come before, during or after the drop
/// that empties the depot: one that lands after it leaves a chunk in the
/// emptied depot (freed with its shell) or in the abandoned allocator's
/// new one (freed with the allocator).
///
/// Why the signal: the spawned thread tells `main` once its first return
/// is done (it is registered with the epoch and its magazine is full), and
/// `main` waits for that before it drops the handle. Without it, a flush
/// inside the drop takes three preemptions (`main` preempted to let the
/// thread start, the thread between its check that the allocator is alive
/// and its push, `main` inside the drop), past the bound of 2: instrumented,
/// no interleaving pushed during the drop. With it, tens of thousands do,
/// for each of the two flushes.
///
/// Asserts: bounds hold while the race runs (read through the handle just
/// before it goes: at most two chunks and one column retained, at most two
/// credits reserved); no use after free of a depot (the `SegQueue` canary);
/// no credit dropped instead of given back (the debug checks of `Credit`
/// and `Spare`); and nothing leaks: once the chunks, the handle and the
/// spawned thread are gone, loom finds the allocator's shared state, its
/// credits and every depot freed at the end of every interleaving, so no
/// chunk flushed into a depot keeps its allocator alive.
#[test]
fn last_handle_drop_races_flush() {
    model("last_handle_drop_races_flush", || {
        let pool = LockFreeAllocator::with_config(limits(2, 1));
        let c1 = pool.alloc(&I64, CAP, CAP);
        let c2 = pool.alloc(&I64, CAP, CAP);

        let (started, ready) = mpsc::channel();
        let other = spawn(move || {
            drop(c1);
            started.send(()).unwrap();
            drop(c2);
            // Exits with a chunk in its magazine, unless the allocator was
            // abandoned before the last return.
        });
        ready.recv().unwrap();
        let s = pool.stats();
        assert_within(&s, 2, 1);
        assert!(
            s.reserved_chunks <= 2,
            "BOUND VIOLATED: reserved_chunks {} > limit 2 ({s:?})",
            s.reserved_chunks
        );
        drop(pool);
        other.join();
    });
}
