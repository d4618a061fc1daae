//! loom models of chunkpool's concurrent protocols (issue 3).
//!
//! Build and run only under the crate's loom cfg:
//!
//! ```text
//! RUSTFLAGS="--cfg chunkpool_loom --cfg crossbeam_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     CARGO_TARGET_DIR=target/loom cargo test -p loom-tests --release -- --nocapture --test-threads=1
//! ```
//!
//! Under that cfg the library's sync shim (`src/sync.rs`) hands loom every
//! atomic, `Arc` and `Mutex`, replaces arc-swap's `ArcSwapOption` and
//! crossbeam's `SegQueue` with loom-visible stand-ins, and crossbeam-epoch
//! runs in its own loom mode. The `SegQueue` stand-in also carries a loom
//! `UnsafeCell` canary written by its destructor and read after every
//! push/pop, so a thread still inside a depot that another thread frees
//! (a use after free loom could not otherwise see) is reported as a
//! causality violation.
//!
//! Bookkeeping that belongs to the test, not the library (the registry of
//! live buffers, counters, the `Arc`s that share test fixtures) uses `std`
//! types on purpose: loom runs its threads as coroutines on one OS thread,
//! so they are safe, and they add no interleavings to explore.
//!
//! Each model prints `loom model NAME: N iterations in T` (with
//! `--nocapture`); the CI script collects those lines.
//!
//! Threads: crossbeam-epoch's registration and unregistration of a thread
//! are themselves long atomic protocols, and two spawned threads that both
//! pin multiply the state space by orders of magnitude (a three-way
//! alloc/return race had not finished after 340,000 interleavings and two
//! minutes). So each model races `main` (a modelled thread like any other,
//! registered with the epoch before the race starts) against one spawned
//! thread that pins, plus, in the session model, spawned threads that never
//! pin (the setter and the clearer).
//!
//! Joins: loom's `join` returns once the thread's closure has returned,
//! before loom runs its thread-local destructors; std's waits for those
//! too. Threads whose per-thread cache matters are spawned with `spawn`
//! below, whose `join` also waits for that teardown.
//!
//! Per-thread caches are modelled by `thread_cache_flush_on_exit`; the
//! remaining models go through them too, since every alloc and return does.
#![cfg(chunkpool_loom)]

use chunkpool::{
    ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig, ReuseHook, SessionChunkPool, Stats,
};
use loom::thread;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const I64: [FieldType; 1] = [FieldType::I64];
/// Chunk capacity used everywhere: small, non-zero, so every column owns a
/// real heap buffer with a distinct address.
const CAP: usize = 2;

/// Runs `f` under loom and prints how many interleavings were explored.
///
/// `LOOM_MAX_PREEMPTIONS` (and the other `LOOM_*` variables) are honoured;
/// when it is unset the bound defaults to 2, because an unbounded run of an
/// epoch model takes far longer than any CI budget.
fn model<F>(name: &str, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    // loom's default cap of 1000 branch points per execution is too low for
    // crossbeam-epoch: thread exit and collector shutdown walk its lists and
    // queue atomically. It is a per-execution sanity cap (our models have no
    // spin loops), not a search bound.
    if std::env::var_os("LOOM_MAX_BRANCHES").is_none() {
        builder.max_branches = 20_000;
    }
    let bound = builder.preemption_bound;
    let iterations = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&iterations);
    let start = Instant::now();
    builder.check(move || {
        counter.fetch_add(1, Relaxed);
        f();
    });
    eprintln!(
        "loom model {name}: {} iterations in {:.2?} (LOOM_MAX_PREEMPTIONS={})",
        iterations.load(Relaxed),
        start.elapsed(),
        bound.map_or("unbounded".to_string(), |b| b.to_string()),
    );
}

fn limits(chunks: usize, columns: usize) -> PoolConfig {
    PoolConfig::with_limits(chunks, columns).expect("valid limits")
}

/// A spawned modelled thread whose join also waits for its thread-local
/// teardown (its per-thread cache flushing into the depot), as std's `join`
/// does and loom's does not; see `ThreadExit` in `src/sync.rs`.
struct Worker<T>(thread::JoinHandle<(T, chunkpool::__LoomThreadExit)>);

fn spawn<T, F>(f: F) -> Worker<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Worker(thread::spawn(move || {
        let exit = chunkpool::__loom_thread_exit();
        (f(), exit)
    }))
}

impl<T> Worker<T> {
    fn join(self) -> T {
        let (value, exit) = self.0.join().unwrap();
        exit.wait();
        value
    }
}

/// Chunks `warm_up` allocates (and returns) per pool.
const WARM_UP_CHUNKS: u64 = 2;

/// Brings `pool` to a steady state before the race starts: the `[I64]`
/// column class is claimed, one loose column sits in the shared depot and
/// one whole chunk in the calling thread's cache (holding the only
/// whole-chunk credit), and the calling thread is registered with the
/// epoch. Models that use it explore the steady-state protocol;
/// `alloc_return_limit_1` explores the cold start.
///
/// It runs on `main`, not on a helper thread that exits (which would leave
/// the chunk in the depot): a dead thread's entry stays in crossbeam-epoch's
/// participant list until someone unlinks it, and that alone multiplied the
/// trim models' state space by five.
fn warm_up(pool: &LockFreeAllocator) {
    let a = pool.alloc(&I64, CAP, CAP);
    let b = pool.alloc(&I64, CAP, CAP);
    drop(a);
    drop(b);
    let s = pool.stats();
    assert_eq!((s.retained_chunks, s.retained_columns), (1, 1), "{s:?}");
}

/// Registry of the data buffers held by live chunks: proves no buffer is
/// handed to two owners at once (invariant 1).
#[derive(Clone, Default)]
struct Live(Arc<Mutex<HashSet<usize>>>);

impl Live {
    /// Records every column buffer of `chk` as owned; panics if another live
    /// chunk already owns one of them.
    fn enter(&self, chk: &chunkpool::Chunk) {
        let mut set = self.0.lock().unwrap();
        for col in chk.columns() {
            let p = col.data_ptr() as usize;
            assert!(
                set.insert(p),
                "double hand-out: buffer {p:#x} owned by two live chunks"
            );
        }
    }
    /// Forgets `chk`'s buffers; call just before dropping it.
    fn leave(&self, chk: &chunkpool::Chunk) {
        let mut set = self.0.lock().unwrap();
        for col in chk.columns() {
            set.remove(&(col.data_ptr() as usize));
        }
    }
}

/// Allocates from `pool` while holding every chunk, until one comes back
/// fresh; returns the buffers that came out of the cache. Checks that the
/// cache held exactly what the accounting said, then that it is empty.
fn drain_exact(pool: &LockFreeAllocator) -> Vec<usize> {
    let before = pool.stats();
    let mut held = Vec::new();
    let mut reused = Vec::new();
    let (mut whole, mut loose) = (0, 0);
    loop {
        let s0 = pool.stats();
        let chk = pool.alloc(&I64, CAP, CAP);
        let s1 = pool.stats();
        let from_cache = s1.columns_reused != s0.columns_reused;
        if from_cache {
            reused.push(chk.column(0).data_ptr() as usize);
            // Its one column reused: from the cache, whole or loose.
            assert_eq!(s1.chunks_from_cache - s0.chunks_from_cache, 1);
            if s1.retained_chunks < s0.retained_chunks {
                whole += 1;
            } else {
                loose += 1;
            }
        }
        // Hold it either way: dropping it would refill the cache.
        held.push(chk);
        if !from_cache {
            break;
        }
        assert!(held.len() <= 64, "cache never runs dry");
    }
    let after = pool.stats();
    assert_eq!(
        whole, before.retained_chunks,
        "whole chunks popped != retained_chunks counted ({before:?})"
    );
    assert_eq!(
        loose, before.retained_columns,
        "loose columns popped != retained_columns counted ({before:?})"
    );
    assert_eq!(
        (
            after.retained_chunks,
            after.retained_columns,
            after.retained_bytes
        ),
        (0, 0, 0),
        "accounting not back to zero after the cache was drained: {after:?}"
    );
    let distinct: HashSet<_> = reused.iter().collect();
    assert_eq!(
        distinct.len(),
        reused.len(),
        "one buffer cached twice: {reused:x?}"
    );
    drop(held);
    reused
}

fn assert_within(s: &Stats, chunks: usize, columns: usize) {
    assert!(
        s.retained_chunks <= chunks,
        "BOUND VIOLATED: retained_chunks {} > limit {chunks} ({s:?})",
        s.retained_chunks
    );
    assert!(
        s.retained_columns <= columns,
        "BOUND VIOLATED: retained_columns {} > limit {columns} ({s:?})",
        s.retained_columns
    );
}

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
                session.clear_alloc(&mut mine, true);
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

/// Allocates from `pool`, registers the chunk as live, writes to it, checks
/// it still reads what this thread wrote, then returns it. Returns the
/// chunk's buffer address.
fn use_one_chunk(pool: &LockFreeAllocator, live: &Live, value: i64) -> usize {
    let mut chk = pool.alloc(&I64, CAP, CAP);
    assert_eq!(chk.num_rows(), 0, "handed-out chunk not empty");
    live.enter(&chk);
    chk.column_mut(0).append_i64(value);
    assert_eq!(
        chk.column(0).get_i64(0),
        value,
        "someone else wrote my buffer"
    );
    live.leave(&chk);
    chk.column(0).data_ptr() as usize
}

/// Concurrent alloc and drop-return on one allocator whose limits are one
/// whole chunk and one loose column. Two threads (a spawned one and `main`)
/// each return a chunk, then allocate, write, read back and return one.
/// The pool starts cold: the two first returns race for the one whole-chunk
/// credit (the winner keeps its chunk in its per-thread cache, the loser's
/// becomes a loose column and claims the column class), and the spawned
/// thread's exit flushes its cache into the depot, claiming the layout slot.
///
/// Asserts: the retained counts never exceed the limits (checked by each
/// thread after its return and at the end); no buffer is owned by two live
/// chunks at once (registry of live `data_ptr`s) and a chunk's contents are
/// its own; a handed-out chunk is empty; the accounting equals what the
/// cache holds (draining it pops exactly `retained_*` entries, all distinct)
/// and is zero once drained; nothing leaks (loom's `Arc` leak check).
///
/// This is the model the `chunkpool_loom_mutant` build must fail: with a
/// check-then-add reservation both returns can pass the check and cache two
/// whole chunks.
#[test]
fn alloc_return_limit_1() {
    model("alloc_return_limit_1", || {
        let pool = LockFreeAllocator::with_config(limits(1, 1));
        let live = Live::default();
        let c1 = pool.alloc(&I64, CAP, CAP);
        let c2 = pool.alloc(&I64, CAP, CAP);
        live.enter(&c1);
        live.enter(&c2);

        let other = {
            let (pool, live) = (pool.clone(), live.clone());
            spawn(move || {
                live.leave(&c1);
                drop(c1);
                assert_within(&pool.stats(), 1, 1);
                use_one_chunk(&pool, &live, 1);
            })
        };
        live.leave(&c2);
        drop(c2);
        assert_within(&pool.stats(), 1, 1);
        use_one_chunk(&pool, &live, 2);
        other.join();

        let s = pool.stats();
        assert_within(&s, 1, 1);
        assert_eq!(s.chunks_returned, 4);
        drain_exact(&pool);
    });
}

/// `trim` (the epoch-reclaimed depot swap) racing with a return and a
/// thread exit: the spawned thread returns a chunk (into its per-thread
/// cache if it gets the one whole-chunk credit, which `main`'s cache holds
/// until `main`'s first trim empties it; else into the depot as a loose
/// column) and exits, which flushes that cache into whichever depot is then
/// current, while `main` trims twice, so the first depot it swaps out can
/// really be freed (two epoch advances) while the other thread is still
/// inside it.
///
/// Asserts: no use after free (the `SegQueue` canary: loom reports a thread
/// still inside a depot being freed); after everything is joined, with no
/// epoch collection, the accounting is exact (the cache holds exactly
/// `retained_*` entries: a chunk flushed into a depot that `trim` was
/// replacing was freed by one side of the race, not left in its shell)
/// and returns to zero; nothing leaks (a depot never reclaimed would leak
/// its `Arc<Credits>`, which loom reports).
#[test]
fn trim_races_return() {
    model("trim_races_return", || {
        let pool = LockFreeAllocator::with_config(limits(1, 1));
        warm_up(&pool);
        let c1 = pool.alloc(&I64, CAP, CAP);
        let other = spawn(move || drop(c1));
        pool.trim();
        pool.trim();
        other.join();

        exact_after_trims(&pool);
    });
}

/// The end of both trim models: with no epoch collection at all (a depot
/// being replaced is emptied by whichever of `trim` and a racing push
/// comes second), the accounting is exact (within the 1/1 limits, one
/// chunk back beyond the warm-up) and drains to zero.
fn exact_after_trims(pool: &LockFreeAllocator) {
    let s = pool.stats();
    assert_within(&s, 1, 1);
    assert_eq!(s.chunks_returned, WARM_UP_CHUNKS + 1);
    drain_exact(pool);
}

/// `trim` racing with an alloc: the spawned thread takes a chunk (popping
/// the depot's loose column, or finding the depot empty) while that depot
/// is swapped out and freed under it by `main`'s two trims, which also
/// empty `main`'s own per-thread cache; it writes the chunk and hands it
/// back to `main`, which returns it after the join. (A depot holding a
/// whole chunk when it is freed is `trim_races_return`'s case.)
///
/// Asserts: no use after free (canary); the chunk handed out is empty and
/// its contents are its own; after the join and garbage collection the
/// accounting is exact and returns to zero; nothing leaks.
#[test]
fn trim_races_alloc() {
    model("trim_races_alloc", || {
        let pool = LockFreeAllocator::with_config(limits(1, 1));
        warm_up(&pool);
        let other = {
            let pool = pool.clone();
            spawn(move || {
                let mut chk = pool.alloc(&I64, CAP, CAP);
                assert_eq!(chk.num_rows(), 0, "handed-out chunk not empty");
                chk.column_mut(0).append_i64(7);
                chk
            })
        };
        pool.trim();
        pool.trim();
        let chk = other.join();
        assert_eq!(chk.column(0).get_i64(0), 7);
        drop(chk);

        exact_after_trims(&pool);
    });
}

/// `clear_alloc(has_err = true)` on `main` while a chunk of the old
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
        session.clear_alloc(&mut alloc, true);
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

/// `make_ref_to` shares one column between two chunks, which are then
/// dropped on two threads (a spawned one and `main`). The shared buffer must
/// be recycled exactly once, by the last of them.
///
/// Asserts: draining the pool afterwards yields the shared buffer exactly
/// once and the buffer `make_ref_to` displaced exactly once, nothing else,
/// with exact accounting; bounds hold.
#[test]
fn make_ref_dropped_from_two_threads() {
    model("make_ref_dropped_from_two_threads", || {
        let pool = LockFreeAllocator::with_config(limits(1, 1));
        let mut c1 = pool.alloc(&I64, CAP, CAP);
        let mut c2 = pool.alloc(&I64, CAP, CAP);
        c1.column_mut(0).append_i64(5);
        let shared = c1.column(0).data_ptr() as usize;
        let displaced = c2.column(0).data_ptr() as usize;
        // c2's own column goes back to the pool now (loose); both chunks
        // then share c1's.
        c2.make_ref_to(0, &mut c1, 0);
        assert!(c1.is_shared(0) && c2.is_shared(0));
        assert_eq!(c2.column(0).get_i64(0), 5);

        let other = spawn(move || drop(c1));
        drop(c2);
        other.join();

        let s = pool.stats();
        assert_within(&s, 1, 1);
        assert_eq!(s.chunks_returned, 2);
        let mut got = drain_exact(&pool);
        got.sort_unstable();
        let mut want = vec![shared, displaced];
        want.sort_unstable();
        assert_eq!(got, want, "shared column not recycled exactly once");
    });
}

/// The reuse hook: two threads (a spawned one and `main`) allocate through
/// one `ReuseHook` at once; its callback runs exactly once; after `reset` it
/// runs exactly once more.
#[test]
fn reuse_hook_fires_once() {
    model("reuse_hook_fires_once", || {
        let fired = Arc::new(AtomicUsize::new(0));
        let pool = LockFreeAllocator::with_config(limits(1, 1));
        warm_up(&pool);
        let hook = {
            let fired = Arc::clone(&fired);
            Arc::new(ReuseHook::new(pool, move || {
                fired.fetch_add(1, Relaxed);
            }))
        };
        let other = {
            let hook = Arc::clone(&hook);
            spawn(move || drop(hook.alloc(&I64, CAP, CAP)))
        };
        drop(hook.alloc(&I64, CAP, CAP));
        other.join();
        assert_eq!(
            fired.load(Relaxed),
            1,
            "hook fired more than once per arming"
        );
        hook.reset();
        drop(hook.alloc(&I64, CAP, CAP));
        drop(hook.alloc(&I64, CAP, CAP));
        assert_eq!(fired.load(Relaxed), 2);
    });
}
