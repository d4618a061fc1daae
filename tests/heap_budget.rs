//! The byte budget counts the heap: whatever the layout (1 to 100 columns,
//! 1-byte to variable-width) and the rows (1 to 1024), what an allocator
//! under a budget keeps on the heap, measured by a counting global
//! allocator, stays within the budget plus a fixed overhead that does not
//! grow with the number of cached chunks or columns.

mod common;

use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig};
use common::counting::{live_bytes, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

const BUDGET: usize = 64 * 1024;

/// The fixed overhead this test allows on top of the budget: the
/// allocator's own structures (statistics blocks, depot queues and the
/// blocks they hold partly filled, layout records, the epoch collector)
/// and the calling thread's cache record: about 36 KiB, plus up to two
/// partly filled queue blocks for each size class (4 KiB each) and each
/// layout (1.5 KiB each) in use. `PoolConfig::byte_budget` documents the
/// same figure.
const OVERHEAD: usize = 192 * 1024;

fn one_byte() -> FieldType {
    FieldType::fixed(1).unwrap()
}

/// Layouts from 1 to 100 columns.
fn layouts() -> Vec<(&'static str, Vec<FieldType>)> {
    let mixed = [
        FieldType::I64,
        FieldType::VAR,
        FieldType::DECIMAL,
        FieldType::F32,
        one_byte(),
    ];
    vec![
        ("1 x 1-byte", vec![one_byte()]),
        ("1 x var", vec![FieldType::VAR]),
        ("2 x i64", vec![FieldType::I64; 2]),
        ("8 mixed", mixed.iter().cycle().take(8).copied().collect()),
        ("10 x 1-byte", vec![one_byte(); 10]),
        ("32 x decimal", vec![FieldType::DECIMAL; 32]),
        ("100 x 1-byte", vec![one_byte(); 100]),
        (
            "100 mixed",
            mixed.iter().cycle().take(100).copied().collect(),
        ),
        // Every size class the lock-free allocator has: var and 15 fixed sizes.
        (
            "16 classes",
            std::iter::once(FieldType::VAR)
                .chain((1..=15).map(|s| FieldType::fixed(s).unwrap()))
                .collect(),
        ),
    ]
}

const ROWS: [usize; 5] = [1, 8, 64, 256, 1024];

/// Limits so high that the budget is what binds.
fn config(whole_chunks: bool) -> PoolConfig {
    PoolConfig::builder()
        .max_free_chunks(if whole_chunks { 100_000 } else { 0 })
        .max_free_columns(100_000)
        .byte_budget(BUDGET)
        .build()
        .unwrap()
}

/// Runs [`keep`]'s churn on two threads at once, joined before measuring.
fn keep_from_two_threads(
    pool: &LockFreeAllocator,
    fields: &[FieldType],
    rows: usize,
    base: isize,
) -> (usize, usize) {
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| s.spawn(|| churn(pool, fields, rows)))
            .collect();
        for w in workers {
            w.join().unwrap();
        }
    });
    let kept = live_bytes() - base;
    (kept.max(0) as usize, pool.stats().retained_bytes)
}

/// Allocates chunks of `fields` until they would hold four budgets' worth
/// of buffers (at least 4, at most 4096 chunks), fills one row of each,
/// drops them all, and returns the heap the pool keeps afterwards, with
/// the allocator's own `retained_bytes`.
fn keep(
    pool: &LockFreeAllocator,
    fields: &[FieldType],
    rows: usize,
    base: isize,
) -> (usize, usize) {
    churn(pool, fields, rows);
    let kept = live_bytes() - base;
    (kept.max(0) as usize, pool.stats().retained_bytes)
}

fn churn(pool: &LockFreeAllocator, fields: &[FieldType], rows: usize) {
    let probe = pool.alloc(fields, rows, rows);
    let per_chunk: usize = probe.columns().map(|c| c.allocated_bytes()).sum();
    drop(probe);
    let n = (4 * BUDGET / per_chunk.max(1)).clamp(4, 4096);
    let mut held: Vec<Chunk> = Vec::with_capacity(n);
    for _ in 0..n {
        let mut c = pool.alloc(fields, rows, rows);
        for i in 0..fields.len() {
            let col = c.column_mut(i);
            match col.field_type().elem_size() {
                None => col.append_bytes(b"row"),
                Some(size) => col.append_fixed_bytes(&vec![1u8; size]),
            }
        }
        held.push(c);
    }
    drop(held);
}

#[test]
fn pool_heap_stays_within_budget_for_every_layout_and_row_count() {
    let mut report = Vec::new();
    let mut failures = Vec::new();
    for whole in [true, false] {
        for (name, fields) in layouts() {
            let mut worst = (0, 0, 0);
            for rows in ROWS {
                let base = live_bytes();
                let pool = LockFreeAllocator::with_config(config(whole));
                // Twice: the second round starts on a full cache.
                let (first, _) = keep(&pool, &fields, rows, base);
                let (second, _) = keep(&pool, &fields, rows, base);
                // And from two threads, whose caches go back when they exit.
                let (third, retained) = keep_from_two_threads(&pool, &fields, rows, base);
                let kept = first.max(second).max(third);
                let st = pool.stats();
                if st.budget_reserved > BUDGET || retained > BUDGET {
                    failures.push(format!("{name}, {rows} rows: stats over budget: {st:?}"));
                }
                if st.retained_chunks + st.retained_columns == 0 {
                    failures.push(format!("{name}, {rows} rows: nothing cached: {st:?}"));
                }
                if kept > BUDGET + OVERHEAD {
                    failures.push(format!(
                        "{name}, {rows} rows, whole chunks {whole}: {kept} bytes kept \
                         (rounds {first}, {second}, {third}), budget {BUDGET} + overhead {OVERHEAD}; {st:?}"
                    ));
                }
                if kept > worst.0 {
                    worst = (kept, rows, kept.saturating_sub(retained));
                }
                drop(pool);
            }
            report.push(format!(
                "{:<13} {:<13} worst {:>7} B kept at {:>4} rows ({:>6} B beyond retained_bytes)",
                if whole {
                    "whole chunks"
                } else {
                    "loose columns"
                },
                name,
                worst.0,
                worst.1,
                worst.2
            ));
        }
    }
    println!("budget {BUDGET} B:\n{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
