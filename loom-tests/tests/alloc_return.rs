//! loom model of alloc and return on one allocator under a limit of one
//! whole chunk and one loose column, from a cold start: the bound model
//! that `.ci/loom.sh` rebuilds with a planted mutant, which must fail it.
//! Shared helpers: `common/mod.rs`.
#![cfg(chunkpool_loom)]

mod common;

use chunkpool::{ChunkAllocator, LockFreeAllocator};
use common::{assert_within, drain_exact, limits, model, spawn, use_one_chunk, Live, CAP, I64};

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
