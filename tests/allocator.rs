//! TiDB's allocator tests (`util/chunk/alloc_test.go`) restated, run against
//! both the lock-free allocator and the mutex (TiDB `syncAllocator`) one.
//!
//! TiDB observes reuse by pointer identity of chunks and columns after
//! `Reset`; here chunks return when dropped, and reuse shows as the same data
//! buffer coming back. They run under TiDB's own limits
//! (`PoolConfig::tidb()`), whose variable-width rule differs from the
//! default's (`tests/strings.rs`).

use chunkpool::{
    Chunk, ChunkAllocator, EmptyAllocator, FieldType, LockFreeAllocator, MutexAllocator,
    PoolConfig, Stats,
};
use std::collections::HashSet;

// The two pooling allocators, seen the same way by the tests: one trait,
// shared with the fuzz harness (`chunkpool-harness`, fuzz/harness/).
use chunkpool_harness::pool::Pool;

// Invariant 2 on a new chunk, the same check the fuzz harness makes on
// every allocation.
use chunkpool_harness::fresh::check_new_chunk;

/// TiDB's `NewAllocatorWithSize(chunks, columns)` with TiDB's flat 16 KiB
/// rule for variable-width columns: these tests restate TiDB's, so they run
/// under TiDB's limits ([`PoolConfig::tidb`]).
fn tidb_limits(chunks: usize, columns: usize) -> PoolConfig {
    PoolConfig::tidb()
        .to_builder()
        .max_free_chunks(chunks)
        .max_free_columns(columns)
        .build()
        .unwrap()
}

/// TiDB's test schema: varchar, JSON, float, decimal, double, longlong, datetime.
const TIDB_FIELDS: [FieldType; 7] = [
    FieldType::VAR,
    FieldType::VAR,
    FieldType::F32,
    FieldType::DECIMAL,
    FieldType::F64,
    FieldType::I64,
    FieldType::I64,
];

/// Chunks kept against `max_free_chunks`: whole chunks (lock-free) or
/// empty shells (mutex, as TiDB keeps them); the other count is 0.
fn kept_chunks<P: Pool>(st: &Stats) -> usize {
    if P::WHOLE_CHUNKS {
        assert_eq!(st.retained_shells, 0, "{st:?}");
        st.retained_chunks
    } else {
        assert_eq!(st.retained_chunks, 0, "{st:?}");
        st.retained_shells
    }
}

fn ptrs(chk: &Chunk) -> Vec<*const u8> {
    chk.columns().map(|c| c.data_ptr()).collect()
}

macro_rules! for_both_pools {
    ($($name:ident),* $(,)?) => {
        mod lockfree {
            $( #[test] fn $name() { super::$name::<chunkpool::LockFreeAllocator>() } )*
        }
        mod mutex {
            $( #[test] fn $name() { super::$name::<chunkpool::MutexAllocator>() } )*
        }
    };
}

for_both_pools!(
    fresh_chunk_shape_and_same_buffers_after_drop_and_reset,
    free_chunk_limit_keeps_64_of_74,
    configured_limits_are_respected,
    zero_limits_cache_nothing,
    oversized_var_column_is_not_cached,
    retyped_column_goes_to_its_new_class,
    make_ref_column_is_recycled_once,
    make_ref_to_across_chunks_is_recycled_once,
    avoid_reusing_column_is_never_cached,
    too_small_cached_column_is_replaced,
    recycled_chunk_shows_nothing_of_its_previous_user,
    byte_budget_is_never_exceeded,
    trim_drops_cache_but_not_live_chunks,
    renew_shares_nothing,
    stats_add_up,
    chunks_from_cache_means_no_new_column,
    cached_columns_per_size_class,
);

fn fresh_chunk_shape_and_same_buffers_after_drop_and_reset<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    let (cap, max) = (5, 100);
    let mut chk = pool.alloc(&TIDB_FIELDS, cap, max);
    check_new_chunk(&mut chk, &TIDB_FIELDS, cap, max);
    let before: HashSet<_> = ptrs(&chk).into_iter().collect();
    drop(chk);
    pool.reset();
    let mut chk = pool.alloc(&TIDB_FIELDS, cap, max);
    check_new_chunk(&mut chk, &TIDB_FIELDS, cap, max);
    let after: HashSet<_> = ptrs(&chk).into_iter().collect();
    assert_eq!(before, after, "every column buffer should come back");
    // capacity above max_chunk_size is capped
    let mut big = pool.alloc(&TIDB_FIELDS, 4096, 1024);
    check_new_chunk(&mut big, &TIDB_FIELDS, 4096, 1024);
}

fn free_chunk_limit_keeps_64_of_74<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    let chunks: Vec<_> = (0..74).map(|_| pool.alloc(&TIDB_FIELDS, 5, 100)).collect();
    drop(chunks);
    pool.reset();
    let st = pool.stats();
    assert_eq!(kept_chunks::<P>(&st), 64);
    assert_eq!(st.chunks_returned, 74);
}

fn configured_limits_are_respected<P: Pool>() {
    for (free_chunks, free_cols) in [(10, 20), (5, 10), (50, 100)] {
        let pool = P::make(tidb_limits(free_chunks, free_cols));
        assert!(pool.check_reuse_alloc_size());
        // Chunks of one layout, then loose columns of another size via make_ref churn.
        let fields = [FieldType::I64, FieldType::I64, FieldType::VAR];
        let chunks: Vec<_> = (0..3 * free_chunks + 7)
            .map(|_| pool.alloc(&fields, 16, 16))
            .collect();
        drop(chunks);
        let st = pool.stats();
        assert_eq!(
            kept_chunks::<P>(&st),
            free_chunks,
            "limits ({free_chunks},{free_cols})"
        );
        assert!(
            st.retained_columns <= 2 * free_cols,
            "two classes, each bounded: {st:?}"
        );
        // Loose columns of one class never exceed the per-class limit.
        let mut mixed: Vec<_> = (0..3 * free_cols)
            .map(|_| pool.alloc(&[FieldType::F32; 2], 4, 4))
            .collect();
        for c in &mut mixed {
            c.column_mut(1).set_avoid_reusing(true); // forces the chunk apart
        }
        drop(mixed);
        let st = pool.stats();
        assert!(st.retained_columns <= 2 * free_cols + free_cols, "{st:?}");
        assert!(st.discarded_over_limit > 0);
        assert_eq!(st.discarded_avoid_reuse, 3 * free_cols as u64);
    }
}

fn zero_limits_cache_nothing<P: Pool>() {
    let pool = P::make(tidb_limits(0, 0));
    assert!(!pool.check_reuse_alloc_size());
    drop(pool.alloc(&TIDB_FIELDS, 5, 100));
    let st = pool.stats();
    assert_eq!(
        (st.retained_chunks, st.retained_columns, st.retained_bytes),
        (0, 0, 0)
    );
    let mut chk = pool.alloc(&TIDB_FIELDS, 5, 100);
    check_new_chunk(&mut chk, &TIDB_FIELDS, 5, 100);
    assert_eq!(pool.stats().columns_reused, 0);
    assert_eq!(pool.stats().columns_fresh, 14);
    assert!(!EmptyAllocator.check_reuse_alloc_size());
}

fn oversized_var_column_is_not_cached<P: Pool>() {
    let pool = P::make(PoolConfig::tidb()); // 16 KiB limit
    let mut chk = pool.alloc(&[FieldType::VAR, FieldType::I64], 8, 8);
    chk.column_mut(0).append_bytes(&vec![7u8; 20 * 1024]);
    let small_ptr = chk.column(1).data_ptr();
    drop(chk);
    let st = pool.stats();
    assert_eq!(st.discarded_oversize, 1);
    assert_eq!(st.retained_columns, 1, "only the i64 column is kept");
    let chk = pool.alloc(&[FieldType::VAR, FieldType::I64], 8, 8);
    assert_eq!(
        chk.column(1).data_ptr(),
        small_ptr,
        "the other column is still recycled"
    );
    assert!(chk.column(0).allocated_bytes() < 16 * 1024);
}

fn retyped_column_goes_to_its_new_class<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    let mut chk = pool.alloc(&[FieldType::DECIMAL], 64, 64);
    let ptr = chk.column(0).data_ptr();
    chk.column_mut(0).reset_as(FieldType::I64); // 40-byte buffer now holds 8-byte rows
    chk.column_mut(0).append_i64(1);
    drop(chk);
    // A decimal request must not get the retyped column.
    let dec = pool.alloc(&[FieldType::DECIMAL], 64, 64);
    assert_ne!(dec.column(0).data_ptr(), ptr);
    assert_eq!(dec.column(0).field_type(), FieldType::DECIMAL);
    assert!(dec.column(0).allocated_bytes() >= 64 * 40);
    // An i64 request gets it, reset.
    let int = pool.alloc(&[FieldType::I64], 64, 64);
    assert_eq!(int.column(0).data_ptr(), ptr);
    assert_eq!(int.column(0).field_type(), FieldType::I64);
    assert_eq!(int.num_rows(), 0);
}

fn make_ref_column_is_recycled_once<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    let fields = [FieldType::I64, FieldType::I64, FieldType::I64];
    let mut chk = pool.alloc(&fields, 8, 8);
    chk.column_mut(0).append_i64(5);
    let shared = chk.column(0).data_ptr();
    chk.make_ref(0, 1);
    chk.make_ref(0, 2);
    assert_eq!(chk.column(2).get_i64(0), 5);
    assert!(
        chk.try_column_mut(1).is_err(),
        "a shared column is read-only"
    );
    drop(chk);
    // Take every cached i64 column out: `shared` must appear exactly once.
    let outs: Vec<_> = (0..8)
        .map(|_| pool.alloc(&[FieldType::I64], 8, 8))
        .collect();
    let seen = outs
        .iter()
        .filter(|c| c.column(0).data_ptr() == shared)
        .count();
    assert_eq!(seen, 1, "a make_ref column is recycled exactly once");
    let all: HashSet<_> = outs.iter().map(|c| c.column(0).data_ptr()).collect();
    assert_eq!(all.len(), outs.len(), "no buffer handed out twice");
}

fn make_ref_to_across_chunks_is_recycled_once<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    let mut a = pool.alloc(&[FieldType::I64], 8, 8);
    let mut b = pool.alloc(&[FieldType::I64], 8, 8);
    a.column_mut(0).append_i64(11);
    let shared = a.column(0).data_ptr();
    b.make_ref_to(0, &mut a, 0);
    assert_eq!(b.column(0).get_i64(0), 11);
    drop(a);
    assert_eq!(
        b.column(0).get_i64(0),
        11,
        "still readable through the other chunk"
    );
    // Once the other chunk is gone the column is b's alone again.
    b.column_mut(0).append_i64(12);
    drop(b);
    let outs: Vec<_> = (0..6)
        .map(|_| pool.alloc(&[FieldType::I64], 8, 8))
        .collect();
    assert_eq!(
        outs.iter()
            .filter(|c| c.column(0).data_ptr() == shared)
            .count(),
        1
    );
    let all: HashSet<_> = outs.iter().map(|c| c.column(0).data_ptr()).collect();
    assert_eq!(all.len(), outs.len());
}

fn avoid_reusing_column_is_never_cached<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    let mut chk = pool.alloc(&[FieldType::I64, FieldType::F64], 8, 8);
    chk.column_mut(0).set_avoid_reusing(true);
    let kept = chk.column(1).data_ptr();
    drop(chk);
    assert_eq!(pool.stats().discarded_avoid_reuse, 1);
    let outs: Vec<_> = (0..4)
        .map(|_| pool.alloc(&[FieldType::I64, FieldType::F64], 8, 8))
        .collect();
    // The avoided buffer was freed, so the system allocator may hand its
    // address out again: count reuses instead of comparing that address.
    let st = pool.stats();
    assert_eq!(
        st.columns_reused, 1,
        "only the kept column came back: {st:?}"
    );
    assert!(outs.iter().all(|c| !c.column(0).avoid_reusing()));
    // I64 and F64 share the 8-byte class: `kept` may serve either column.
    let kept_seen = outs
        .iter()
        .flat_map(|c| c.columns())
        .filter(|c| c.data_ptr() == kept)
        .count();
    assert_eq!(kept_seen, 1);
}

fn too_small_cached_column_is_replaced<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    drop(pool.alloc(&[FieldType::I64], 4, 4));
    let mut chk = pool.alloc(&[FieldType::I64], 1024, 1024);
    check_new_chunk(&mut chk, &[FieldType::I64], 1024, 1024);
    assert_eq!(pool.stats().discarded_too_small, 1);
}

fn recycled_chunk_shows_nothing_of_its_previous_user<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    let fields = [
        FieldType::I64,
        FieldType::VAR,
        FieldType::DECIMAL,
        FieldType::F32,
    ];
    let mut chk = pool.alloc(&fields, 16, 16);
    for r in 0..16 {
        chk.column_mut(0).append_i64(-1);
        chk.column_mut(1).append_bytes(b"secret!!");
        chk.column_mut(2).append_fixed_bytes(&[0xAB; 40]);
        chk.column_mut(3).append_f32(f32::NAN);
        if r % 3 == 0 {
            chk.column_mut(0).append_null();
        }
    }
    drop(chk);
    let mut chk = pool.alloc(&fields, 16, 16);
    assert!(pool.stats().columns_reused >= 4);
    check_new_chunk(&mut chk, &fields, 16, 16);
    // Growing through the safe API only ever exposes what this user wrote.
    let c = chk.column_mut(0);
    c.append_null();
    c.resize(16, true);
    assert!(c.as_slice::<i64>().iter().all(|&v| v == 0));
    let c = chk.column_mut(2);
    c.append_null();
    assert_eq!(c.get_fixed_bytes(0), &[0u8; 40]);
    let c = chk.column_mut(1);
    c.append_null();
    assert_eq!(c.get_bytes(0), b"");
    assert!(c.data().is_empty());
}

fn byte_budget_is_never_exceeded<P: Pool>() {
    let budget = 3000;
    let cfg = PoolConfig::builder().byte_budget(budget).build().unwrap();
    let pool = P::make(cfg);
    let chunks: Vec<_> = (0..20)
        .map(|_| pool.alloc(&[FieldType::I64, FieldType::VAR], 16, 16))
        .collect();
    for chk in chunks {
        drop(chk);
        let st = pool.stats();
        assert!(st.budget_reserved <= budget, "{st:?}");
        // One thread: the snapshot is exact, and what is cached is part of
        // what is reserved.
        assert!(st.retained_bytes <= st.budget_reserved, "{st:?}");
    }
    let st = pool.stats();
    assert!(st.retained_bytes > 0, "something fits the budget");
    assert!(st.discarded_over_limit > 0, "the budget was hit");
}

fn trim_drops_cache_but_not_live_chunks<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    let mut live = pool.alloc(&[FieldType::I64], 8, 8);
    live.column_mut(0).append_i64(77);
    drop(pool.alloc(&[FieldType::I64], 8, 8));
    assert_eq!(kept_chunks::<P>(&pool.stats()).min(1), 1);
    pool.trim();
    assert_eq!(
        live.column(0).get_i64(0),
        77,
        "trim never touches a live chunk"
    );
    drop(live);
    // The live chunk came back into the new cache.
    let again = pool.alloc(&[FieldType::I64], 8, 8);
    assert_eq!(again.num_rows(), 0);
    assert!(pool.stats().columns_reused >= 1);
}

fn renew_shares_nothing<P: Pool>() {
    let pool = P::make(tidb_limits(3, 7));
    drop(pool.alloc(&[FieldType::I64], 8, 8));
    let fresh = pool.renew();
    assert!(fresh.check_reuse_alloc_size());
    assert_eq!(fresh.stats(), Stats::default());
    assert_eq!(fresh.stats().retained_chunks, 0);
    assert!(pool.stats().retained_chunks + pool.stats().retained_columns > 0);
}

fn stats_add_up<P: Pool>() {
    let pool = P::make(PoolConfig::tidb());
    let fields = [FieldType::I64, FieldType::VAR];
    for _ in 0..10 {
        let a = pool.alloc(&fields, 8, 8);
        let b = pool.alloc(&fields, 8, 8);
        drop((a, b));
    }
    let st = pool.stats();
    assert_eq!(st.chunks_allocated, 20);
    assert_eq!(st.chunks_returned, 20);
    assert_eq!(st.columns_reused + st.columns_fresh, 40);
    assert_eq!(st.columns_fresh, 4, "only the first two chunks are new");
    assert!(st.reuse_rate() > 0.85);
}

/// `chunks_from_cache` counts a chunk exactly when none of its columns
/// was newly made, for both allocators: a whole cached chunk, a chunk of
/// reused loose columns, but not one whose cached column was too small.
fn chunks_from_cache_means_no_new_column<P: Pool>() {
    // Counts (from cache, fresh columns) after one alloc of `fields`.
    fn alloc_counts<P: Pool>(pool: &P, fields: &[FieldType], cap: usize) -> (Chunk, u64, u64) {
        let before = pool.stats();
        let chk = pool.alloc(fields, cap, cap);
        let after = pool.stats();
        let from_cache = after.chunks_from_cache - before.chunks_from_cache;
        let fresh = after.columns_fresh - before.columns_fresh;
        assert_eq!(from_cache, u64::from(fresh == 0), "{}: {after:?}", P::NAME);
        (chk, from_cache, fresh)
    }
    let fields = [FieldType::I64, FieldType::VAR];
    let pool = P::make(PoolConfig::tidb());
    let (chk, from_cache, _) = alloc_counts(&pool, &fields, 8);
    assert_eq!(from_cache, 0, "new columns");
    drop(chk);
    let (chk, from_cache, _) = alloc_counts(&pool, &fields, 8);
    assert_eq!(from_cache, 1, "{}: every column came back", P::NAME);
    drop(chk);
    // A field more than was cached: not every column from the cache.
    let (chk, from_cache, _) =
        alloc_counts(&pool, &[FieldType::I64, FieldType::VAR, FieldType::F64], 8);
    assert_eq!(from_cache, 0);
    drop(chk);

    // A cached column too small for the request is replaced: the chunk is
    // not from the cache (for the lock-free allocator, `grow` takes back
    // the count of a whole cached chunk).
    let pool = P::make(PoolConfig::tidb());
    drop(pool.alloc(&[FieldType::I64], 4, 4));
    let (_chk, from_cache, fresh) = alloc_counts(&pool, &[FieldType::I64], 1024);
    assert_eq!((from_cache, fresh), (0, 1), "{}", P::NAME);
    let st = pool.stats();
    assert_eq!(
        (st.chunks_from_cache, st.discarded_too_small),
        (0, 1),
        "{st:?}"
    );

    // Whole-chunk caching off: a chunk built from reused loose columns
    // counts, whatever the logical types (I64 and F64 share a class).
    let cfg = PoolConfig::builder().max_free_chunks(0).build().unwrap();
    let pool = P::make(cfg);
    drop(pool.alloc(&fields, 8, 8));
    let (_chk, from_cache, _) = alloc_counts(&pool, &[FieldType::VAR, FieldType::F64], 8);
    assert_eq!(from_cache, 1, "{}: loose columns all reused", P::NAME);
    assert_eq!(pool.stats().chunks_from_cache, 1);
}

/// `cached_columns` per size class, as TiDB's tests read
/// `pool[size].Len()`: loose columns only.
fn cached_columns_per_size_class<P: Pool>() {
    let fields = [
        FieldType::I64,
        FieldType::I64,
        FieldType::VAR,
        FieldType::DECIMAL,
    ];
    let cfg = PoolConfig::builder().max_free_chunks(0).build().unwrap();
    let pool = P::make(cfg);
    assert_eq!(pool.stats().cached_columns.iter().len(), 0);
    drop(pool.alloc(&fields, 8, 8));
    let st = pool.stats();
    let c = &st.cached_columns;
    assert_eq!(c.get(FieldType::I64), 2, "{st:?}");
    assert_eq!(c.get(FieldType::U64), 2, "one 8-byte class");
    assert_eq!(c.get(FieldType::VAR), 1);
    assert_eq!(c.get(FieldType::DECIMAL), 1);
    assert_eq!(c.get(FieldType::F32), 0);
    assert_eq!(
        c.iter().collect::<Vec<_>>(),
        [
            (FieldType::BINARY, 1),
            (FieldType::fixed(8).unwrap(), 2),
            (FieldType::fixed(40).unwrap(), 1)
        ],
        "classes are named by the raw type of their size"
    );
    assert_eq!((c.total(), st.retained_columns), (4, 4));
    // One 8-byte column taken out, retyped to a decimal, and put back into
    // the 40-byte class.
    let mut chk = pool.alloc(&[FieldType::F64], 8, 8);
    chk.column_mut(0).reset_as(FieldType::DECIMAL);
    let c = pool.stats().cached_columns;
    assert_eq!((c.get(FieldType::I64), c.get(FieldType::DECIMAL)), (1, 1));
    drop(chk);
    let c = pool.stats().cached_columns;
    assert_eq!((c.get(FieldType::I64), c.get(FieldType::DECIMAL)), (1, 2));
    pool.trim();
    assert_eq!(pool.stats().cached_columns, Default::default());

    // TiDB's schema with the default limits: the mutex allocator keeps
    // every column loose; the lock-free one keeps the chunk whole, so no
    // loose column shows.
    let pool = P::make(PoolConfig::tidb());
    drop(pool.alloc(&TIDB_FIELDS, 5, 100));
    let st = pool.stats();
    let classes: Vec<_> = st.cached_columns.iter().collect();
    if P::WHOLE_CHUNKS {
        assert_eq!(classes, [], "{st:?}");
        assert_eq!(st.retained_chunks, 1);
    } else {
        assert_eq!(
            classes,
            [
                (FieldType::BINARY, 2),
                (FieldType::fixed(4).unwrap(), 1),
                (FieldType::fixed(8).unwrap(), 3),
                (FieldType::fixed(40).unwrap(), 1)
            ],
            "{st:?}"
        );
        assert_eq!(st.retained_shells, 1);
    }
}

/// For one config the lock-free allocator keeps whole chunks on top of
/// the loose columns both keep, so it can retain more columns than the
/// mutex allocator (and TiDB); the mutex allocator keeps loose columns of
/// more element sizes.
#[test]
fn retention_differs_for_one_config() {
    let cfg = tidb_limits(50, 100);
    let (lf, mx) = (
        LockFreeAllocator::with_config(cfg),
        MutexAllocator::with_config(cfg),
    );
    for pool in [&lf as &dyn ChunkAllocator, &mx] {
        let chunks: Vec<_> = (0..120)
            .map(|_| pool.alloc(&[FieldType::VAR], 16, 16))
            .collect();
        drop(chunks);
    }
    let (a, b) = (lf.stats(), mx.stats());
    // Lock-free: 50 whole chunks (their columns not counted against the
    // 100 per class) and 70 loose columns: all 120 columns kept.
    assert_eq!(
        (a.retained_chunks, a.retained_shells, a.retained_columns),
        (50, 0, 70),
        "{a:?}"
    );
    assert_eq!(a.cached_columns.get(FieldType::VAR), 70);
    assert_eq!((a.reserved_chunks, a.discarded_over_limit), (50, 0));
    // Mutex, as TiDB: 50 empty shells and 100 loose columns; 20 freed.
    assert_eq!(
        (b.retained_chunks, b.retained_shells, b.retained_columns),
        (0, 50, 100),
        "{b:?}"
    );
    assert_eq!(b.cached_columns.get(FieldType::VAR), 100);
    assert_eq!((b.reserved_chunks, b.discarded_over_limit), (50, 20));

    // Loose columns of 16 fixed element sizes: the lock-free allocator has
    // classes for the first 15; the mutex allocator keeps every size.
    let sizes: Vec<_> = (1..=16).map(|n| FieldType::fixed(n).unwrap()).collect();
    let cfg = PoolConfig::builder().max_free_chunks(0).build().unwrap();
    let (lf, mx) = (
        LockFreeAllocator::with_config(cfg),
        MutexAllocator::with_config(cfg),
    );
    drop(lf.alloc(&sizes, 8, 8));
    drop(mx.alloc(&sizes, 8, 8));
    let (a, b) = (lf.stats(), mx.stats());
    assert_eq!(
        (a.retained_columns, a.discarded_over_limit),
        (15, 1),
        "{a:?}"
    );
    assert_eq!(a.cached_columns.get(sizes[14]), 1);
    assert_eq!(a.cached_columns.get(sizes[15]), 0);
    assert_eq!(
        (b.retained_columns, b.discarded_over_limit),
        (16, 0),
        "{b:?}"
    );
    assert_eq!(b.cached_columns.get(sizes[15]), 1);
    // The classes stay claimed across `trim`: the 16th size is still out.
    lf.trim();
    drop(lf.alloc(&sizes[15..], 8, 8));
    let a = lf.stats();
    assert_eq!(
        (a.retained_columns, a.discarded_over_limit),
        (0, 2),
        "{a:?}"
    );
}

#[test]
fn lockfree_recycles_whole_chunks_per_layout() {
    let pool = LockFreeAllocator::new();
    let a_fields = [FieldType::I64, FieldType::VAR];
    let b_fields = [FieldType::VAR, FieldType::I64];
    let a = pool.alloc(&a_fields, 8, 8);
    let b = pool.alloc(&b_fields, 8, 8);
    let (pa, pb) = (ptrs(&a), ptrs(&b));
    drop((a, b));
    assert_eq!(pool.stats().retained_chunks, 2);
    assert_eq!(ptrs(&pool.alloc(&b_fields, 8, 8)), pb);
    assert_eq!(ptrs(&pool.alloc(&a_fields, 8, 8)), pa);
    assert_eq!(pool.stats().chunks_from_cache, 2);
}

#[test]
fn lockfree_mixed_layouts_keep_reusing() {
    let pool = LockFreeAllocator::new();
    let layouts: [&[FieldType]; 3] = [
        &[FieldType::I64, FieldType::VAR, FieldType::F64],
        &[FieldType::DECIMAL, FieldType::I64],
        &[
            FieldType::VAR,
            FieldType::VAR,
            FieldType::F32,
            FieldType::I64,
        ],
    ];
    for _ in 0..50 {
        let chunks: Vec<_> = layouts.iter().map(|f| pool.alloc(f, 64, 64)).collect();
        drop(chunks);
    }
    let st = pool.stats();
    assert_eq!(st.chunks_from_cache, 3 * 49);
    assert!(st.reuse_rate() > 0.97, "{st:?}");
}

#[test]
fn pools_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LockFreeAllocator>();
    assert_send_sync::<MutexAllocator>();
    assert_send_sync::<EmptyAllocator>();
    assert_send_sync::<Chunk>();
    assert_send_sync::<chunkpool::Column>();
    assert_send_sync::<chunkpool::SessionChunkPool>();
}

#[test]
fn chunks_outlive_their_allocator_handle() {
    let pool = LockFreeAllocator::new();
    let mut chk = pool.alloc(&[FieldType::I64], 8, 8);
    drop(pool);
    chk.column_mut(0).append_i64(3);
    assert_eq!(chk.column(0).get_i64(0), 3);
    drop(chk); // returns into a cache nobody else holds; freed with it
}

#[test]
fn unpooled_chunk_is_not_pooled() {
    let mut chk = EmptyAllocator.alloc(&TIDB_FIELDS, 5, 100);
    check_new_chunk(&mut chk, &TIDB_FIELDS, 5, 100);
    assert!(!chk.is_pooled());
    assert!(LockFreeAllocator::new()
        .alloc(&TIDB_FIELDS, 5, 100)
        .is_pooled());
}
