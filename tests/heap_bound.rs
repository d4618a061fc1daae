//! Under a byte budget, what the pool keeps on the heap is bounded and does
//! not creep: after each phase of churn (mixed layouts and capacities, the
//! budget hit over and over), the heap holds at most the budget plus the
//! pool's own fixed structures, and later phases hold no more than the
//! first. RSS can still drift (the C allocator's fragmentation around the
//! buffers the pool keeps); this test pins down that the pool itself does
//! not grow.

mod common;

use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig};
use common::counting::{live_bytes, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

const BUDGET: usize = 1 << 20;

const LAYOUTS: [&[FieldType]; 3] = [
    &[
        FieldType::VAR,
        FieldType::I64,
        FieldType::DECIMAL,
        FieldType::F32,
    ],
    &[FieldType::I64, FieldType::I64, FieldType::VAR],
    &[FieldType::F64, FieldType::VAR],
];
const CAPS: [usize; 3] = [1024, 256, 64];

fn churn(pool: &LockFreeAllocator, cycles: u64) {
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..2u64)
            .map(|t| {
                s.spawn(move || {
                    let mut rng = 0x9e37_79b9_u64 ^ (t + 1).wrapping_mul(0x2545_f491_4f6c_dd1d);
                    let mut held: Vec<Option<Chunk>> = (0..8).map(|_| None).collect();
                    for _ in 0..cycles {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        let layout = LAYOUTS[(rng % 3) as usize];
                        let cap = CAPS[((rng >> 8) % 3) as usize];
                        let mut c = pool.alloc(layout, cap, 1024);
                        c.column_mut(0).append_null();
                        held[((rng >> 16) % 8) as usize] = Some(c);
                    }
                })
            })
            .collect();
        // Join explicitly so the workers' thread caches are handed back.
        for w in workers {
            w.join().unwrap();
        }
    });
}

#[test]
fn pool_heap_stays_within_budget_across_phases() {
    let cycles = if cfg!(debug_assertions) {
        20_000
    } else {
        200_000
    };
    let base = live_bytes();
    let pool =
        LockFreeAllocator::with_config(PoolConfig::builder().byte_budget(BUDGET).build().unwrap());
    let mut after = Vec::new();
    for _ in 0..4 {
        churn(&pool, cycles);
        let st = pool.stats();
        assert!(st.budget_reserved <= BUDGET, "{st:?}");
        assert!(st.discarded_over_limit > 0, "the budget was hit: {st:?}");
        after.push(live_bytes() - base);
    }
    // The pool's fixed structures (depot queues, counter blocks, layout
    // slots) are tens of KiB; a leak of one chunk per phase would be more.
    let slack = 256 * 1024;
    for (phase, &bytes) in after.iter().enumerate() {
        assert!(
            bytes <= (BUDGET + slack) as isize,
            "phase {phase}: {bytes} bytes live, budget {BUDGET}: {after:?}"
        );
    }
    let first = after[0];
    for &later in &after[1..] {
        assert!(later <= first + 64 * 1024, "heap crept: {after:?}");
    }
    drop(pool);
}
