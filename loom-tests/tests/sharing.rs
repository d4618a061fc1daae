//! loom models of sharing: a `make_ref_to` column dropped on two threads
//! (recycled exactly once), and the reuse hook allocated through on two
//! threads (fires once per arming). Shared helpers: `common/mod.rs`.
#![cfg(chunkpool_loom)]

mod common;

use chunkpool::{ChunkAllocator, LockFreeAllocator, ReuseHook};
use common::{assert_within, drain_exact, limits, model, spawn, warm_up, CAP, I64};
// A std counter of the hook's calls: see common/mod.rs on bookkeeping.
#[allow(clippy::disallowed_types)]
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;

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
        #[allow(clippy::disallowed_types)]
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
