//! The lock-free allocator's return skips the per-column checks of a
//! chunk whose columns all still carry the provenance tags its last check
//! gave them. These tests take a chunk out of the cache (so its columns
//! are tagged), change it through every public way that changes what the
//! check reads (each growth path, `set_avoid_reusing`, a retype, columns
//! moved between two cached chunks of one layout), return it, and check
//! that the pool judged the chunk as it came back: grown rows are
//! recorded, an oversized or `avoid_reusing` column is not cached, and
//! every chunk handed out afterwards holds its capacity. (Debug builds
//! also re-run the full check on every fast return and assert that both
//! agree, so every test in the crate checks the fast path.)

use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig};

const SMALL: usize = 64;
const BIG: usize = 1024;

/// A chunk of `fields` handed out from the cache (a chunk of the layout
/// went round twice first, so its columns carry tags).
fn cached_chunk(pool: &LockFreeAllocator, fields: &[FieldType]) -> Chunk {
    for _ in 0..2 {
        drop(pool.alloc(fields, SMALL, BIG));
    }
    let before = pool.stats().chunks_from_cache;
    let chk = pool.alloc(fields, SMALL, BIG);
    assert_eq!(pool.stats().chunks_from_cache, before + 1, "from the cache");
    chk
}

/// A source chunk of one column of `field` with `rows` rows of `bytes`
/// bytes each (8-byte values for fixed width).
fn source(field: FieldType, rows: usize, bytes: usize) -> Chunk {
    let mut src = Chunk::new(&[field], rows, rows);
    let text = "x".repeat(bytes);
    for i in 0..rows {
        let c = src.column_mut(0);
        if field.is_var() {
            c.append_str(&text);
        } else {
            c.append_i64(i as i64);
        }
    }
    src
}

/// Every public path that can grow column 0 of a one-column chunk of
/// `field` by `rows` rows of `bytes` bytes each (`bytes` ignored for fixed
/// width), by name.
#[allow(clippy::type_complexity)]
fn growth_paths(field: FieldType) -> Vec<(&'static str, Box<dyn Fn(&mut Chunk, usize, usize)>)> {
    let mut paths: Vec<(&'static str, Box<dyn Fn(&mut Chunk, usize, usize)>)> = vec![
        (
            "append_row",
            Box::new(move |c, n, b| {
                let src = source(field, n, b);
                (0..n).for_each(|r| c.append_row(&src, r));
            }),
        ),
        (
            "append_rows",
            Box::new(move |c, n, b| c.append_rows(&source(field, n, b), 0..n)),
        ),
        (
            "append_selected",
            Box::new(move |c, n, b| {
                let sel: Vec<u32> = (0..n as u32).collect();
                c.append_selected(&source(field, n, b), &sel);
            }),
        ),
        (
            "append_selected_bitmap",
            Box::new(move |c, n, b| {
                let mut mask = vec![0u8; n.div_ceil(8)];
                (0..n).for_each(|i| mask[i / 8] |= 1 << (i % 8));
                c.append_selected_bitmap(&source(field, n, b), &mask);
            }),
        ),
        (
            "append_chunk",
            Box::new(move |c, n, b| c.append_chunk(&source(field, n, b))),
        ),
    ];
    if field.is_var() {
        paths.extend([
            (
                "append_str",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    let s = "y".repeat(b);
                    (0..n).for_each(|_| c.column_mut(0).append_str(&s));
                }) as Box<dyn Fn(&mut Chunk, usize, usize)>,
            ),
            (
                "append_bytes",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    let s = vec![b'y'; b];
                    (0..n).for_each(|_| c.column_mut(0).append_bytes(&s));
                }),
            ),
            (
                "append_option_str",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    let s = "y".repeat(b);
                    (0..n).for_each(|_| c.column_mut(0).append_option_str(Some(&s)));
                }),
            ),
            (
                "append_option_bytes",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    let s = vec![b'y'; b];
                    (0..n).for_each(|_| c.column_mut(0).append_option_bytes(Some(&s)));
                }),
            ),
            (
                "extend_str",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    let s = "y".repeat(b);
                    c.column_mut(0).extend_str((0..n).map(|_| s.as_str()));
                }),
            ),
            (
                "extend_bytes",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    let s = vec![b'y'; b];
                    c.column_mut(0).extend_bytes((0..n).map(|_| &s[..]));
                }),
            ),
            (
                "extend_str_from_parts",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    let values = "y".repeat(b * n);
                    let offsets: Vec<i32> = (0..=n).map(|i| (i * b) as i32).collect();
                    c.column_mut(0)
                        .extend_str_from_parts(&offsets, &values, None);
                }),
            ),
            (
                "extend_bytes_from_parts",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    let values = vec![b'y'; b * n];
                    let offsets: Vec<i64> = (0..=n).map(|i| (i * b) as i64).collect();
                    c.column_mut(0)
                        .extend_bytes_from_parts(&offsets, &values, None);
                }),
            ),
            (
                "reserve_bytes",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    c.column_mut(0).reserve_bytes(n, n * b);
                }),
            ),
            (
                "Extend<&str>",
                Box::new(|c: &mut Chunk, n: usize, b: usize| {
                    let s = "y".repeat(b);
                    c.column_mut(0).extend((0..n).map(|_| s.as_str()));
                }),
            ),
        ]);
    } else {
        paths.extend([
            (
                "append_i64",
                Box::new(|c: &mut Chunk, n: usize, _: usize| {
                    (0..n).for_each(|i| c.column_mut(0).append_i64(i as i64));
                }) as Box<dyn Fn(&mut Chunk, usize, usize)>,
            ),
            (
                "append_null",
                Box::new(|c: &mut Chunk, n: usize, _: usize| {
                    (0..n).for_each(|_| c.column_mut(0).append_null());
                }),
            ),
            (
                "append_option",
                Box::new(|c: &mut Chunk, n: usize, _: usize| {
                    (0..n).for_each(|i| c.column_mut(0).append_option(Some(i as i64)));
                }),
            ),
            (
                "extend_from_slice",
                Box::new(|c: &mut Chunk, n: usize, _: usize| {
                    c.column_mut(0).extend_from_slice(&vec![7i64; n]);
                }),
            ),
            (
                "extend_options",
                Box::new(|c: &mut Chunk, n: usize, _: usize| {
                    c.column_mut(0)
                        .extend_options((0..n).map(|i| Some(i as i64)));
                }),
            ),
            (
                "extend_from_parts",
                Box::new(|c: &mut Chunk, n: usize, _: usize| {
                    c.column_mut(0).extend_from_parts(&vec![7i64; n], None);
                }),
            ),
            (
                "resize",
                Box::new(|c: &mut Chunk, n: usize, _: usize| c.column_mut(0).resize(n, true)),
            ),
            (
                "Extend<i64>",
                Box::new(|c: &mut Chunk, n: usize, _: usize| {
                    c.column_mut(0).extend((0..n).map(|i| i as i64));
                }),
            ),
        ]);
    }
    paths
}

#[test]
fn every_growth_path_is_recorded_when_the_chunk_comes_back() {
    for field in [FieldType::I64, FieldType::UTF8] {
        for (name, grow) in growth_paths(field) {
            let pool = LockFreeAllocator::new();
            let mut chk = cached_chunk(&pool, &[field]);
            grow(&mut chk, BIG, 8);
            assert!(chk.column(0).capacity() >= BIG, "{name}: grew");
            let grown = chk.column(0).data_ptr();
            drop(chk);
            let before = pool.stats();
            let big = pool.alloc(&[field], BIG, BIG);
            let after = pool.stats();
            assert_eq!(
                after.discarded_too_small, before.discarded_too_small,
                "{name} on {field:?}: the grown column was cached at its old size"
            );
            assert_eq!(
                after.chunks_from_cache,
                before.chunks_from_cache + 1,
                "{name}"
            );
            assert_eq!(
                big.column(0).data_ptr(),
                grown,
                "{name}: the grown buffers came back"
            );
            assert!(big.column(0).capacity() >= BIG, "{name}");
        }
    }
}

#[test]
fn text_grown_past_the_limit_by_any_path_is_not_cached() {
    let config = PoolConfig::builder()
        .max_cached_var_bytes(1024)
        .max_cached_var_bytes_per_row(16)
        .build()
        .expect("valid limits");
    for (name, grow) in growth_paths(FieldType::UTF8) {
        let pool = LockFreeAllocator::with_config(config);
        let mut chk = cached_chunk(&pool, &[FieldType::UTF8]);
        // Few rows (no offset or bitmap growth), much data: 16 KiB, past
        // both 1 KiB and 16 B x 64 rows.
        grow(&mut chk, 4, 4096);
        let before = pool.stats();
        drop(chk);
        let after = pool.stats();
        assert_eq!(
            after.discarded_oversize,
            before.discarded_oversize + 1,
            "{name}: an oversized column went back into the cache"
        );
        assert_eq!(after.retained_chunks, before.retained_chunks, "{name}");
    }
}

#[test]
fn avoid_reusing_on_a_cached_chunk_is_seen() {
    let pool = LockFreeAllocator::new();
    let fields = [FieldType::I64, FieldType::UTF8];
    let mut chk = cached_chunk(&pool, &fields);
    chk.column_mut(1).set_avoid_reusing(true);
    let before = pool.stats();
    drop(chk);
    let after = pool.stats();
    assert_eq!(
        after.discarded_avoid_reuse,
        before.discarded_avoid_reuse + 1
    );
    assert_eq!(after.retained_chunks, before.retained_chunks);
    // Marked and cleared again: cached as usual.
    let mut chk = cached_chunk(&pool, &fields);
    chk.column_mut(0).set_avoid_reusing(true);
    chk.column_mut(0).set_avoid_reusing(false);
    let before = pool.stats();
    drop(chk);
    assert_eq!(pool.stats().retained_chunks, before.retained_chunks + 1);
}

#[test]
fn a_retyped_column_changes_the_cached_layout() {
    let pool = LockFreeAllocator::new();
    let mut chk = cached_chunk(&pool, &[FieldType::I64, FieldType::I64]);
    chk.column_mut(1).reset_as(FieldType::F64);
    drop(chk);
    let chk = pool.alloc(&[FieldType::I64, FieldType::I64], SMALL, BIG);
    assert_eq!(chk.column(1).field_type(), FieldType::I64);
    let before = pool.stats().chunks_from_cache;
    let retyped = pool.alloc(&[FieldType::I64, FieldType::F64], SMALL, BIG);
    assert_eq!(retyped.column(1).field_type(), FieldType::F64);
    assert_eq!(
        pool.stats().chunks_from_cache,
        before + 1,
        "cached under its new layout"
    );
}

/// Two cached chunks of one layout, one with a column grown to `BIG`
/// rows, exchange that column (by `swap_column`, or by `mem::swap` of
/// their `column_mut`s): each chunk must be judged by the column it now
/// holds. A chunk of the layout handed out for `BIG` rows must hold them.
#[test]
fn columns_moved_between_cached_chunks_of_one_layout_are_judged_where_they_land() {
    for by_mem_swap in [false, true] {
        let pool = LockFreeAllocator::new();
        let fields = [FieldType::I64];
        let (a, mut b) = (
            cached_chunk(&pool, &fields),
            pool.alloc(&fields, SMALL, BIG),
        );
        b.column_mut(0).extend_from_slice(&vec![1i64; BIG]);
        drop((a, b));
        // Both cached again, both tagged: `b`'s body with BIG rows.
        let (mut a, mut b) = (
            pool.alloc(&fields, SMALL, BIG),
            pool.alloc(&fields, SMALL, BIG),
        );
        let caps = (a.column(0).capacity(), b.column(0).capacity());
        assert!(
            caps.0.max(caps.1) >= BIG && caps.0.min(caps.1) < BIG,
            "{caps:?}"
        );
        if by_mem_swap {
            std::mem::swap(a.column_mut(0), b.column_mut(0));
        } else {
            a.swap_column(0, &mut b, 0);
        }
        drop((a, b));
        for _ in 0..4 {
            let mut held = Vec::new();
            for cap in [BIG, SMALL, BIG, SMALL] {
                let chk = pool.alloc(&fields, cap, BIG);
                assert!(
                    chk.column(0).capacity() >= cap,
                    "handed out for {cap} rows with room for {}",
                    chk.column(0).capacity()
                );
                held.push(chk);
            }
        }
    }
}

/// A column taken out of a cached chunk and put back, unchanged, leaves
/// the chunk as the cache knew it; put back grown, it is recorded grown.
#[test]
fn a_column_taken_out_and_put_back_is_judged_as_it_is() {
    let pool = LockFreeAllocator::new();
    let fields = [FieldType::UTF8];
    let mut chk = cached_chunk(&pool, &fields);
    let mut col = chk.take_column(0);
    col.extend_str(std::iter::repeat("abcdefgh").take(BIG));
    let grown = col.data_ptr();
    drop(chk.set_column(0, col));
    drop(chk);
    let big = pool.alloc(&fields, BIG, BIG);
    assert_eq!(big.column(0).data_ptr(), grown);
    assert!(big.column(0).capacity() >= BIG);
}
