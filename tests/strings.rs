//! Real text stays pooled: under the default configuration, 1024- and
//! 8192-row chunks whose string columns average 8, 24, 64 or 200 bytes a
//! row are reused whole; TiDB's flat 16 KiB rule (`PoolConfig::tidb`) is
//! still there for whoever wants it, and a column past the per-row limit
//! is still freed.

use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig, Stats};

const ROWS: usize = 1024;
const FIELDS: [FieldType; 4] = [
    FieldType::VAR,
    FieldType::I64,
    FieldType::VAR,
    FieldType::DECIMAL,
];
const WARM_UP: usize = 8;
const CYCLES: usize = 200;

/// Fills `rows` rows: strings of pseudo-random length 0..=2*avg (mean
/// `avg`), the same sequence for every run.
fn fill(chk: &mut Chunk, rows: usize, avg: usize, seed: &mut u64) {
    let text = vec![b'x'; 2 * avg + 1];
    for _ in 0..rows {
        for col in [0, 2] {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            let len = (*seed % (2 * avg as u64 + 1)) as usize;
            chk.column_mut(col).append_bytes(&text[..len]);
        }
        chk.column_mut(1).append_i64(7);
        chk.column_mut(3).append_fixed_bytes(&[0; 40]);
    }
}

/// An executor's steady state: two chunks in flight, each filled with
/// `ROWS` rows of `avg`-byte strings and dropped. Returns the counters
/// after warm-up and at the end.
fn run(pool: &LockFreeAllocator, avg: usize) -> (Stats, Stats) {
    run_rows(pool, ROWS, CYCLES, avg)
}

/// [`run`] with chunks of `rows` rows, `cycles` of them after warm-up.
fn run_rows(pool: &LockFreeAllocator, rows: usize, cycles: usize, avg: usize) -> (Stats, Stats) {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut held: Option<Chunk> = None;
    let mut warm = None;
    for cycle in 0..WARM_UP + cycles {
        if cycle == WARM_UP {
            warm = Some(pool.stats());
        }
        let mut chk = pool.alloc(&FIELDS, rows, rows);
        fill(&mut chk, rows, avg, &mut seed);
        held = Some(chk); // the previous chunk goes back here
    }
    drop(held);
    (warm.expect("warm-up ran"), pool.stats())
}

/// Fraction of allocations after warm-up handed out as whole cached chunks.
fn whole_reuse(before: &Stats, after: &Stats) -> f64 {
    let allocs = after.chunks_allocated - before.chunks_allocated;
    let whole = after.chunks_from_cache - before.chunks_from_cache;
    whole as f64 / allocs as f64
}

#[test]
fn strings_up_to_200_bytes_a_row_are_reused_whole_by_default() {
    for avg in [8, 24, 64, 200] {
        let pool = LockFreeAllocator::new();
        let (warm, end) = run(&pool, avg);
        let rate = whole_reuse(&warm, &end);
        assert!(
            rate >= 0.95,
            "{avg} B a row: {:.1}% whole-chunk reuse; {end:?}",
            rate * 100.0
        );
        assert_eq!(end.discarded_oversize, 0, "{avg} B a row: {end:?}");
    }
}

#[test]
fn wide_text_in_engine_sized_batches_is_reused_whole_by_default() {
    // 8192 rows at 200 bytes a row: each string column grows to 2 MiB.
    let pool = LockFreeAllocator::new();
    let cycles = 12;
    let (warm, end) = run_rows(&pool, 8192, cycles, 200);
    let allocs = end.chunks_allocated - warm.chunks_allocated;
    assert_eq!(allocs, cycles as u64);
    assert_eq!(
        end.chunks_from_cache - warm.chunks_from_cache,
        allocs,
        "every chunk after warm-up whole from the cache: {end:?}"
    );
    assert_eq!(end.discarded_oversize, 0, "{end:?}");
}

#[test]
fn tidb_rule_frees_string_columns_past_16_kib() {
    // 24 bytes a row is 24 KiB a column: the buffer grew to 32 KiB.
    for avg in [24, 64] {
        let pool = LockFreeAllocator::with_config(PoolConfig::tidb());
        let (warm, end) = run(&pool, avg);
        let rate = whole_reuse(&warm, &end);
        assert!(rate < 0.05, "{avg} B a row, TiDB's rule: {rate}; {end:?}");
        assert!(
            end.discarded_oversize >= CYCLES as u64,
            "{avg} B a row: {end:?}"
        );
    }
    // 8 bytes a row mostly fits the first 8 KiB: TiDB keeps those too.
    let pool = LockFreeAllocator::with_config(PoolConfig::tidb());
    let (warm, end) = run(&pool, 8);
    assert!(whole_reuse(&warm, &end) >= 0.5, "{end:?}");
}

#[test]
fn a_string_column_past_the_per_row_limit_is_freed() {
    // 600 bytes a row grows a 1024-row column to 1 MiB, past the default
    // 512 bytes a row (512 KiB): freed, not cached.
    let pool = LockFreeAllocator::new();
    let (warm, end) = run(&pool, 600);
    assert!(
        end.discarded_oversize >= CYCLES as u64,
        "every chunk returned a 1 MiB column: {end:?}"
    );
    assert!(whole_reuse(&warm, &end) < 0.05, "{end:?}");
    // What is cached is bounded: no column above the limit.
    assert!(
        end.retained_bytes <= pool.config().max_free_chunks() * 2 * 512 * ROWS + (1 << 20),
        "{end:?}"
    );
}

#[test]
fn the_per_row_limit_scales_with_the_rows_a_column_holds() {
    let cfg = PoolConfig::builder()
        .max_cached_var_bytes(1024)
        .max_cached_var_bytes_per_row(64)
        .build()
        .unwrap();
    assert_eq!(cfg.max_cached_var_bytes_per_row(), 64);
    let pool = LockFreeAllocator::with_config(cfg);
    let var = [FieldType::VAR];
    // 32 rows may keep max(1024, 64 * 32) = 2048 bytes of data.
    for (bytes, kept) in [(2048, true), (2049, false)] {
        let before = pool.stats().discarded_oversize;
        let mut chk = pool.alloc(&var, 32, 32);
        chk.column_mut(0).append_bytes(&vec![1; bytes]);
        let capacity = chk.column(0).allocated_bytes();
        drop(chk);
        let freed = pool.stats().discarded_oversize - before;
        assert_eq!(
            freed,
            u64::from(!kept),
            "{bytes} bytes of data ({capacity} B of buffers) in a 32-row column"
        );
        pool.trim();
    }
}

#[test]
fn the_var_limit_counts_data_capacity_in_whole_64_byte_blocks() {
    // A one-row string column asks for 8 bytes of data and is given one
    // 64-byte block: a limit under 64 bytes refuses it even empty.
    for (limit, kept) in [(8, false), (63, false), (64, true)] {
        let cfg = PoolConfig::builder()
            .max_cached_var_bytes(limit)
            .max_cached_var_bytes_per_row(0)
            .build()
            .unwrap();
        let lockfree = LockFreeAllocator::with_config(cfg);
        let mutex = chunkpool::MutexAllocator::with_config(cfg);
        let pools: [(&dyn ChunkAllocator, &dyn Fn() -> Stats); 2] = [
            (&lockfree, &|| lockfree.stats()),
            (&mutex, &|| mutex.stats()),
        ];
        for (pool, stats) in pools {
            drop(pool.alloc(&[FieldType::VAR], 1, 1));
            let s = stats();
            assert_eq!(
                s.discarded_oversize,
                u64::from(!kept),
                "limit {limit}: {s:?}"
            );
            // Kept as a column, or (lock-free) as a whole chunk.
            assert_eq!(
                s.retained_columns + s.retained_chunks,
                usize::from(kept),
                "limit {limit}: {s:?}"
            );
        }
    }
}

/// The bytes a row of data a column has room for: its buffers less its
/// offsets (8 bytes a row and one more) and bitmap (a bit a row).
fn data_room_per_row(chk: &Chunk, col: usize, rows: usize) -> usize {
    let c = chk.column(col);
    (c.allocated_bytes() - 8 * (rows + 1) - rows.div_ceil(8)) / rows
}

/// A new string column of a lock-free allocator starts with the room a
/// row that the string columns coming home had: the chunks made after the
/// first ones of a wide-text workload do not grow through a chain of
/// doublings (each leaving the buffer it outgrew to the global allocator).
/// Before any comes home, and with the mutex allocator (TiDB's), it is the
/// usual 8 bytes a row.
#[test]
fn new_string_columns_start_with_the_room_a_row_seen_coming_home() {
    let pool = LockFreeAllocator::new();
    let first = pool.alloc(&FIELDS, ROWS, ROWS);
    assert_eq!(data_room_per_row(&first, 0, ROWS), 8);
    let mut grown = pool.alloc(&FIELDS, ROWS, ROWS);
    fill(&mut grown, ROWS, 200, &mut 7);
    let grown_room = data_room_per_row(&grown, 0, ROWS).max(data_room_per_row(&grown, 2, ROWS));
    assert!(grown_room >= 200, "{grown_room}");
    // Home, checked in full. `first` is still out and the one cached is
    // `grown`: a third chunk is new.
    drop(grown);
    let cached = pool.alloc(&FIELDS, ROWS, ROWS);
    let fresh = pool.alloc(&FIELDS, ROWS, ROWS);
    assert_eq!(pool.stats().chunks_from_cache, 1);
    for col in [0, 2] {
        assert_eq!(data_room_per_row(&fresh, col, ROWS), grown_room);
    }
    drop((first, cached, fresh));

    // The mutex allocator keeps TiDB's estimate.
    let mutex = chunkpool::MutexAllocator::new();
    let mut grown = mutex.alloc(&FIELDS, ROWS, ROWS);
    fill(&mut grown, ROWS, 200, &mut 7);
    let _out = mutex.alloc(&FIELDS, ROWS, ROWS);
    drop(grown);
    let _cached = mutex.alloc(&FIELDS, ROWS, ROWS);
    let fresh = mutex.alloc(&FIELDS, ROWS, ROWS);
    assert_eq!(data_room_per_row(&fresh, 0, ROWS), 8);
}

/// Only what may be cached is seen: a string column past the per-row limit
/// is freed on return and leaves new columns at what they were. Nor does a
/// pool under a byte budget start new columns bigger (a new chunk is
/// charged before it is handed out).
#[test]
fn new_string_columns_ignore_columns_freed_as_oversize_and_budgeted_pools() {
    let pool = LockFreeAllocator::new();
    let mut wide = pool.alloc(&FIELDS, ROWS, ROWS);
    fill(&mut wide, ROWS, 2000, &mut 7); // about 2 KiB a row, past 512
    drop(wide);
    assert_eq!(pool.stats().discarded_oversize, 2, "{:?}", pool.stats());
    let fresh = pool.alloc(&FIELDS, ROWS, ROWS);
    assert_eq!(data_room_per_row(&fresh, 0, ROWS), 8);

    let cfg = PoolConfig::builder().byte_budget(64 << 20).build().unwrap();
    let budgeted = LockFreeAllocator::with_config(cfg);
    let mut grown = budgeted.alloc(&FIELDS, ROWS, ROWS);
    fill(&mut grown, ROWS, 200, &mut 7);
    drop(grown);
    let _cached = budgeted.alloc(&FIELDS, ROWS, ROWS);
    let fresh = budgeted.alloc(&FIELDS, ROWS, ROWS);
    assert_eq!(budgeted.stats().chunks_from_cache, 1);
    assert_eq!(data_room_per_row(&fresh, 0, ROWS), 8);
}

/// The room a row a new string column starts with is at most the per-row
/// limit: a one-row chunk may come home with 10 KiB of text (under the
/// 16 KiB floor, so cached), and a request for 1024 rows must not be made
/// with 10 KiB a row. Under `PoolConfig::tidb` (no per-row limit) new
/// columns keep TiDB's 8 bytes a row.
#[test]
fn new_string_columns_start_at_most_at_the_per_row_limit() {
    for (config, want) in [(PoolConfig::default(), 512), (PoolConfig::tidb(), 8)] {
        let pool = LockFreeAllocator::with_config(config);
        let mut one = pool.alloc(&FIELDS, 1, 1);
        one.column_mut(0).append_bytes(&[b'x'; 10 << 10]);
        drop(one);
        assert_eq!(pool.stats().retained_chunks, 1, "{:?}", pool.stats());
        let _cached = pool.alloc(&FIELDS, 1, 1);
        let fresh = pool.alloc(&FIELDS, ROWS, ROWS);
        assert_eq!(data_room_per_row(&fresh, 0, ROWS), want);
    }
}
