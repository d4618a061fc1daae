//! TiDB's session allocator semantics (`SessionVars.SetAlloc` / `ClearAlloc`
//! / `GetChunkAllocator` / `IsAllocValid`) and the reuse hook.
// The hooks count their calls with std atomics: real threads, never loom
// (clippy.toml's rule is for the library).
#![allow(clippy::disallowed_types)]

use chunkpool::{
    ChunkAllocator, FieldType, LockFreeAllocator, MutexAllocator, PoolConfig, ReuseHook,
    SessionChunkPool, StatementOutcome,
};
use std::sync::atomic::{AtomicUsize, Ordering};

const F: [FieldType; 2] = [FieldType::I64, FieldType::VAR];

#[test]
fn hook_fires_zero_times_without_reuse_limits() {
    let calls = AtomicUsize::new(0);
    let hook = ReuseHook::new(
        LockFreeAllocator::with_config(PoolConfig::no_reuse()),
        || {
            calls.fetch_add(1, Ordering::Relaxed);
        },
    );
    for _ in 0..3 {
        drop(hook.alloc(&F, 4, 4));
    }
    assert_eq!(calls.load(Ordering::Relaxed), 0);
    assert!(!hook.fired());
}

#[test]
fn hook_fires_once_then_stays_fired_until_reset() {
    let calls = AtomicUsize::new(0);
    let hook = ReuseHook::new(MutexAllocator::new(), || {
        calls.fetch_add(1, Ordering::Relaxed);
    });
    drop(hook.alloc(&F, 4, 4));
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    drop(hook.alloc(&F, 4, 4));
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    hook.reset();
    assert!(!hook.fired());
    drop(hook.alloc(&F, 4, 4));
    assert_eq!(calls.load(Ordering::Relaxed), 2);
}

#[test]
fn hook_fires_once_under_concurrent_allocs() {
    let calls = AtomicUsize::new(0);
    let hook = ReuseHook::new(LockFreeAllocator::new(), || {
        calls.fetch_add(1, Ordering::Relaxed);
    });
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..100 {
                    drop(hook.alloc(&F, 4, 4));
                }
            });
        }
    });
    assert_eq!(calls.load(Ordering::Relaxed), 1);
}

#[test]
fn set_alloc_installs_a_hooked_allocator() {
    let session = SessionChunkPool::new();
    let alloc = LockFreeAllocator::new();
    assert!(!session.is_alloc_valid());
    assert!(session.chunk_allocator().is_empty());
    session.begin_statement();
    session.set_alloc(Some(&alloc));
    assert!(session.is_alloc_valid());
    let cur = session.chunk_allocator();
    assert!(cur.inner().is_some_and(|a| a.same_pool(&alloc)));
    assert!(cur.check_reuse_alloc_size());
    assert!(!session.used_chunk_alloc());
    let chk = cur.alloc(&F, 4, 4);
    assert!(chk.is_pooled());
    assert!(session.used_chunk_alloc());
    drop(chk);
    assert_eq!(alloc.stats().chunks_returned, 1);
}

#[test]
fn set_alloc_none_or_disabled_leaves_the_slot_empty() {
    let session = SessionChunkPool::new();
    let alloc = LockFreeAllocator::new();
    session.set_alloc(Some(&alloc));
    session.set_alloc(None);
    assert!(!session.is_alloc_valid());
    let chk = session.chunk_allocator().alloc(&F, 4, 4);
    assert!(!chk.is_pooled(), "empty slot hands out unpooled chunks");
    assert!(!session.used_chunk_alloc());

    session.set_reuse_enabled(false);
    assert!(!session.reuse_enabled());
    session.set_alloc(Some(&alloc));
    assert!(!session.is_alloc_valid());
    assert!(session.chunk_allocator().is_empty());
    assert!(!session.chunk_allocator().check_reuse_alloc_size());

    // Disabling after set: the slot still holds it but it no longer counts as valid.
    session.set_reuse_enabled(true);
    session.set_alloc(Some(&alloc));
    assert!(session.is_alloc_valid());
    session.set_reuse_enabled(false);
    assert!(!session.is_alloc_valid());
}

#[test]
fn clear_alloc_without_error_keeps_the_allocator() {
    let session = SessionChunkPool::new();
    let mut alloc = LockFreeAllocator::new();
    let original = alloc.clone();
    session.set_alloc(Some(&alloc));
    drop(session.chunk_allocator().alloc(&F, 4, 4));
    session.clear_alloc(&mut alloc, StatementOutcome::Succeeded);
    assert!(!session.is_alloc_valid());
    assert!(alloc.same_pool(&original));
    alloc.reset();
    assert_eq!(
        alloc.stats().retained_chunks,
        1,
        "kept for the next statement"
    );
}

#[test]
fn clear_alloc_with_error_abandons_the_allocator() {
    let session = SessionChunkPool::new();
    let cfg = PoolConfig::with_limits(7, 9).unwrap();
    let mut alloc = LockFreeAllocator::with_config(cfg);
    let old = alloc.clone();
    session.set_alloc(Some(&alloc));
    // A leftover worker still holds a chunk when the statement fails.
    let mut leftover = session.chunk_allocator().alloc(&F, 4, 4);
    session.clear_alloc(&mut alloc, StatementOutcome::Failed);
    assert!(!alloc.same_pool(&old), "replaced by a fresh allocator");
    assert_eq!(alloc.config(), cfg, "with the same limits");
    assert_eq!(alloc.stats().chunks_allocated, 0);
    // The leftover keeps writing safely; its buffers go back to the old pool.
    leftover.column_mut(0).append_i64(1);
    drop(leftover);
    assert_eq!(old.stats().chunks_returned, 1);
    assert_eq!(alloc.stats().chunks_returned, 0);
    alloc.reset();
}

#[test]
fn hook_is_rearmed_by_a_new_set_alloc() {
    let session = SessionChunkPool::new();
    let alloc = LockFreeAllocator::new();
    session.begin_statement();
    session.set_alloc(Some(&alloc));
    drop(session.chunk_allocator().alloc(&F, 4, 4));
    assert!(session.used_chunk_alloc());

    // Next statement: flag moves to last_sql_use_alloc and the hook re-arms.
    session.begin_statement();
    assert!(session.last_sql_use_alloc());
    assert!(!session.used_chunk_alloc());
    drop(session.chunk_allocator().alloc(&F, 4, 4));
    assert!(!session.used_chunk_alloc(), "same set_alloc: already fired");
    session.set_alloc(Some(&alloc));
    drop(session.chunk_allocator().alloc(&F, 4, 4));
    assert!(
        session.used_chunk_alloc(),
        "a new set_alloc re-arms the hook"
    );

    // A statement that allocates nothing through a reusing allocator.
    session.begin_statement();
    session.set_alloc(None);
    drop(session.chunk_allocator().alloc(&F, 4, 4));
    session.begin_statement();
    assert!(!session.last_sql_use_alloc());
}

#[test]
fn no_reuse_allocator_never_sets_the_flag() {
    let session = SessionChunkPool::new();
    let alloc = LockFreeAllocator::with_config(PoolConfig::no_reuse());
    session.set_alloc(Some(&alloc));
    assert!(session.is_alloc_valid());
    drop(session.chunk_allocator().alloc(&F, 4, 4));
    assert!(!session.used_chunk_alloc());
}

#[test]
fn panicking_hook_callback_leaves_everything_usable() {
    let alloc = LockFreeAllocator::new();
    let hook = ReuseHook::new(alloc.clone(), || panic!("callback failed"));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook.alloc(&F, 4, 4)));
    assert!(r.is_err());
    assert!(hook.fired(), "a panicking callback does not run again");
    let chk = hook.alloc(&F, 4, 4);
    assert_eq!(chk.num_rows(), 0);
    drop(chk);
    assert_eq!(alloc.stats().chunks_returned, 1);
}

#[test]
fn session_works_with_the_mutex_allocator() {
    let session: SessionChunkPool<MutexAllocator> = SessionChunkPool::new();
    let mut alloc = MutexAllocator::new();
    session.set_alloc(Some(&alloc));
    drop(session.chunk_allocator().alloc(&F, 4, 4));
    session.clear_alloc(&mut alloc, StatementOutcome::Failed);
    assert_eq!(alloc.stats().chunks_allocated, 0);
    assert!(format!("{session:?}").contains("SessionChunkPool"));
}
