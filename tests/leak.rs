//! Invariant 4: when every handle and chunk is gone, so is the memory.
//!
//! A counting global allocator measures live heap bytes before and after a
//! threaded workload (with trims, shared columns and an abandoned allocator).
//! This binary holds one test so nothing else allocates meanwhile.

mod common;

use chunkpool::{
    ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig, SessionChunkPool, StatementOutcome,
};
use common::counting::{live_bytes, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

const FIELDS: [FieldType; 3] = [FieldType::I64, FieldType::VAR, FieldType::DECIMAL];

fn workload() {
    let session = SessionChunkPool::new();
    let mut alloc = LockFreeAllocator::with_config(PoolConfig::with_limits(8, 32).unwrap());
    for stmt in 0..20 {
        session.begin_statement();
        session.set_alloc(Some(&alloc));
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..2)
                .map(|w| {
                    let (session, alloc) = (&session, &alloc);
                    s.spawn(move || {
                        for i in 0..200 {
                            let mut a = session.chunk_allocator().alloc(&FIELDS, 1024, 1024);
                            let mut b = session.chunk_allocator().alloc(&FIELDS, 1024, 1024);
                            a.column_mut(1).append_bytes(&[w as u8; 100]);
                            if i % 3 == 0 {
                                b.make_ref_to(0, &mut a, 0);
                            }
                            if i % 50 == 0 {
                                alloc.trim();
                            }
                        }
                    })
                })
                .collect();
            // Join explicitly: `join` waits for the workers' thread-local
            // destructors, which hand their per-thread caches back; the
            // scope's implicit join does not.
            for w in workers {
                w.join().unwrap();
            }
        });
        session.clear_alloc(&mut alloc, StatementOutcome::failed_if(stmt % 5 == 4));
        alloc.reset();
    }
}

#[test]
fn nothing_leaks_once_everything_is_dropped() {
    // Warm up once so lazily created global state (thread registry) exists
    // before the baseline. No epoch collection is pumped: each allocator's
    // collector is freed with the allocator, depots swapped out by trim
    // with it.
    workload();
    let before = live_bytes();
    for _ in 0..3 {
        workload();
    }
    let after = live_bytes();
    // One leaked chunk would be well over 8 KiB; allow a little for epoch
    // bookkeeping that may grow once.
    assert!(
        after - before < 4096,
        "heap grew by {} bytes across three workloads",
        after - before
    );
}
