//! What every loom model file shares: the runner ([`model`]), thread
//! spawning that waits for a thread's teardown ([`spawn`]), the steady
//! state some models start from ([`warm_up`]), and the checks
//! ([`Live`], [`drain_exact`], [`assert_within`]). Each file under
//! `tests/` reaches it with `mod common;`.
//!
//! Build and run only under the crate's loom cfg:
//!
//! ```text
//! RUSTFLAGS="--cfg chunkpool_loom --cfg crossbeam_loom" LOOM_MAX_PREEMPTIONS=2 \
//!     CARGO_TARGET_DIR=target/loom cargo test -p loom-tests --release --tests -- --nocapture --test-threads=1
//! ```
//!
//! The models, one file per subject:
//!
//! | file | models |
//! |---|---|
//! | `session.rs` | the session slot (TiDB issue 46282), `clear_alloc` with an error while a chunk drops |
//! | `alloc_return.rs` | alloc and return under a limit of one (the model the mutant must fail) |
//! | `trim.rs` | `trim` racing a return and an alloc |
//! | `thread_cache.rs` | a thread cache flushed at its thread's exit, and flushed while the last handle goes |
//! | `sharing.rs` | a `make_ref` column dropped on two threads, the reuse hook |
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
//! so they are safe, and they add no interleavings to explore. Each item
//! that names one allows clippy's `disallowed_types` (clippy.toml), so a
//! std primitive anywhere else in a model is flagged.
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
//! too. Threads whose per-thread cache matters are spawned with [`spawn`],
//! whose `join` also waits for that teardown.
//!
//! Per-thread caches are modelled by `thread_cache.rs`; the other models go
//! through them too, since every alloc and return does.

// Each test file is a crate of its own and uses only some of these.
#![allow(dead_code)]

use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig, Stats};
use loom::thread;
use std::collections::HashSet;
#[allow(clippy::disallowed_types)]
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
#[allow(clippy::disallowed_types)]
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub const I64: [FieldType; 1] = [FieldType::I64];
/// Chunk capacity used everywhere: small, non-zero, so every column owns a
/// real heap buffer with a distinct address.
pub const CAP: usize = 2;

/// Runs `f` under loom and prints how many interleavings were explored.
///
/// `LOOM_MAX_PREEMPTIONS` (and the other `LOOM_*` variables) are honoured;
/// when it is unset the bound defaults to 2, because an unbounded run of an
/// epoch model takes far longer than any CI budget.
pub fn model<F>(name: &str, f: F)
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
    #[allow(clippy::disallowed_types)]
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

pub fn limits(chunks: usize, columns: usize) -> PoolConfig {
    PoolConfig::with_limits(chunks, columns).expect("valid limits")
}

/// A spawned modelled thread whose join also waits for its thread-local
/// teardown (its per-thread cache flushing into the depot), as std's `join`
/// does and loom's does not; see `ThreadExit` in `src/sync.rs`.
pub struct Worker<T>(thread::JoinHandle<(T, chunkpool::__LoomThreadExit)>);

pub fn spawn<T, F>(f: F) -> Worker<T>
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
    pub fn join(self) -> T {
        let (value, exit) = self.0.join().unwrap();
        exit.wait();
        value
    }
}

/// Chunks `warm_up` allocates (and returns) per pool.
pub const WARM_UP_CHUNKS: u64 = 2;

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
pub fn warm_up(pool: &LockFreeAllocator) {
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
#[allow(clippy::disallowed_types)]
pub struct Live(Arc<Mutex<HashSet<usize>>>);

impl Live {
    /// Records every column buffer of `chk` as owned; panics if another live
    /// chunk already owns one of them.
    pub fn enter(&self, chk: &chunkpool::Chunk) {
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
    pub fn leave(&self, chk: &chunkpool::Chunk) {
        let mut set = self.0.lock().unwrap();
        for col in chk.columns() {
            set.remove(&(col.data_ptr() as usize));
        }
    }
}

/// Allocates from `pool`, registers the chunk as live, writes to it, checks
/// it still reads what this thread wrote, then returns it. Returns the
/// chunk's buffer address.
pub fn use_one_chunk(pool: &LockFreeAllocator, live: &Live, value: i64) -> usize {
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

/// Allocates from `pool` while holding every chunk, until one comes back
/// fresh; returns the buffers that came out of the cache. Checks that the
/// cache held exactly what the accounting said, then that it is empty.
pub fn drain_exact(pool: &LockFreeAllocator) -> Vec<usize> {
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

pub fn assert_within(s: &Stats, chunks: usize, columns: usize) {
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
