//! loom models of `trim` (the epoch-reclaimed depot swap) racing a return
//! with a thread exit, racing the exit of a thread whose cache it emptied,
//! and racing an alloc. Shared helpers: `common/mod.rs`.
#![cfg(chunkpool_loom)]

mod common;

use chunkpool::{ChunkAllocator, LockFreeAllocator};
use common::{
    assert_within, drain_exact, limits, model, spawn, use_one_chunk, warm_up, Live, CAP, I64,
    WARM_UP_CHUNKS,
};
use loom::sync::mpsc;

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

/// `trim` racing the exit of a thread whose cache it empties: the spawned
/// thread allocates, writes and returns a chunk (into its cache), tells
/// `main`, and exits; `main` trims once it has heard, so the chunk was
/// cached before the trim, and the exit (whose thread-local destructor
/// lets go of the cache) runs before, during or after it. Limits: two
/// whole chunks, one loose column.
///
/// Asserts: whatever the order, the chunk cached before the trim does not
/// survive it: an exit that sees the trim frees the cache instead of
/// flushing it, and one that flushes first has its push emptied by the
/// trim (or by its own check after the push). After the join nothing is
/// retained or reserved, the accounting is exact, and nothing leaks.
#[test]
fn trim_races_exit_of_a_trimmed_cache() {
    model("trim_races_exit_of_a_trimmed_cache", || {
        let pool = LockFreeAllocator::with_config(limits(2, 1));
        let live = Live::default();
        let (cached, wait_cached) = mpsc::channel();
        let other = {
            let pool = pool.clone();
            spawn(move || {
                use_one_chunk(&pool, &live, 1);
                cached.send(()).unwrap();
            })
        };
        wait_cached.recv().unwrap();
        pool.trim();
        other.join();

        let s = pool.stats();
        assert_within(&s, 2, 1);
        assert_eq!(
            (s.retained_chunks, s.retained_columns, s.reserved_chunks),
            (0, 0, 0),
            "a chunk cached before the trim survived it: {s:?}"
        );
        assert!(drain_exact(&pool).is_empty());
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
