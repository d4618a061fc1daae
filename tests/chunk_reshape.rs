//! TiDB's chunk calls that move columns or rows in place: `SwapColumn`
//! (keeping `make_ref` groups, between chunks and within one),
//! `SwapColumns` of whole column sets, and keeping some rows in place
//! (`compact`, TiDB's `Reconstruct`, and `retain`). Each is checked for
//! its rows, and for what the pools judge when the chunks come back: a
//! chunk handed out afterwards is as a fresh one.

use chunkpool::{Chunk, ChunkAllocator, Error, FieldType, LockFreeAllocator, MutexAllocator};

/// A chunk handed out by `alloc(fields, 8, 16)` is as fresh: no rows,
/// the types asked for, room for 8 rows in every column.
fn assert_fresh<A: ChunkAllocator>(alloc: &A, fields: &[FieldType]) {
    for _ in 0..3 {
        let chk = alloc.alloc(fields, 8, 16);
        assert_eq!(chk.fields(), fields);
        assert_eq!((chk.num_rows(), chk.sel()), (0, None));
        for c in chk.columns() {
            assert!(c.is_empty() && c.capacity() >= 8, "{c:?}");
        }
        assert!((0..fields.len()).all(|i| !chk.is_shared(i)));
    }
}

/// A chunk of `alloc` (taken from its cache after a warm-up, so the
/// lock-free pool's columns carry provenance tags) of `fields`, with
/// `rows` rows: row `r` holds `r` (or its text) in every column.
fn filled<A: ChunkAllocator>(alloc: &A, fields: &[FieldType], rows: i64) -> Chunk {
    drop(alloc.alloc(fields, 8, 16));
    drop(alloc.alloc(fields, 8, 16));
    let mut chk = alloc.alloc(fields, 8, 16);
    for r in 0..rows {
        for (i, f) in fields.iter().enumerate() {
            let c = chk.column_mut(i);
            match *f {
                FieldType::UTF8 => c.append_str(&"s".repeat(r as usize)),
                FieldType::F64 => c.append_f64(r as f64),
                _ => c.append_i64(r),
            }
        }
    }
    chk
}

fn i64s(chk: &Chunk, col: usize) -> Vec<i64> {
    chk.column(col).as_slice::<i64>().to_vec()
}

#[test]
fn swap_column_swaps_make_ref_groups_whole() {
    let fields = [FieldType::I64; 3];
    let mut a = filled(&LockFreeAllocator::new(), &fields, 2);
    a.column_mut(0).set_null(0, true);
    a.make_ref(0, 2); // slots 0 and 2 read one column
    let mut b = Chunk::new(&[FieldType::F64, FieldType::F64], 4, 4);
    b.column_mut(0).append_f64(0.5);
    b.column_mut(0).append_f64(1.5);
    b.make_ref(0, 1);
    a.swap_column(2, &mut b, 1);
    for i in [0, 2] {
        assert_eq!(a.column(i).as_slice::<f64>(), &[0.5, 1.5], "slot {i}");
        assert!(a.is_shared(i));
    }
    assert_eq!(i64s(&a, 1), [0, 1]);
    for i in [0, 1] {
        assert_eq!(b.column(i).value::<i64>(0), None, "slot {i}");
        assert_eq!(b.column(i).value::<i64>(1), Some(1));
    }
    // The groups stay one column each: a reset clears both slots.
    a.reset();
    a.column_mut(1).append_i64(1);
    assert!(a.try_column_mut(0).is_err(), "still shared");
    assert_eq!((a.column(0).len(), a.column(2).len()), (0, 0));
}

#[test]
fn swap_column_refuses_selections_and_bad_indices_unchanged() {
    let mut a = Chunk::new(&[FieldType::I64], 4, 4);
    a.column_mut(0).append_i64(1);
    let mut b = Chunk::new(&[FieldType::UTF8], 4, 4);
    a.set_sel(Some(vec![0]));
    assert_eq!(a.try_swap_column(0, &mut b, 0), Err(Error::HasSelection));
    a.set_sel(None);
    assert_eq!(
        a.try_swap_column(0, &mut b, 1),
        Err(Error::ColumnOutOfRange {
            column: 1,
            columns: 1
        })
    );
    assert_eq!(
        (a.fields(), b.fields()),
        (vec![FieldType::I64], vec![FieldType::UTF8])
    );
    // A column both chunks share stays where it is.
    a.make_ref_to(0, &mut b, 0);
    a.swap_column(0, &mut b, 0);
    assert!(a.is_shared(0) && b.is_shared(0));
    assert_eq!(
        (a.fields(), b.fields()),
        (vec![FieldType::UTF8], vec![FieldType::UTF8])
    );
}

#[test]
fn swap_column_within_keeps_groups_and_the_selection() {
    let fields = [FieldType::I64, FieldType::UTF8, FieldType::I64];
    let mut chk = filled(&LockFreeAllocator::new(), &fields, 3);
    chk.make_ref(0, 2);
    chk.set_sel(Some(vec![2, 1]));
    chk.swap_column_within(2, 1);
    assert_eq!(
        chk.fields(),
        [FieldType::UTF8, FieldType::I64, FieldType::UTF8]
    );
    assert!(chk.is_shared(0) && chk.is_shared(2) && !chk.is_shared(1));
    assert_eq!(chk.row(0).value_str(2), Some("ss"));
    assert_eq!(chk.row(1).get_i64(1), 1);
    assert_eq!(chk.sel(), Some(&[2, 1][..]));
    // Within one group: nothing happens.
    chk.swap_column_within(0, 2);
    assert_eq!(
        chk.fields(),
        [FieldType::UTF8, FieldType::I64, FieldType::UTF8]
    );
    assert_eq!(
        chk.try_swap_column_within(3, 0),
        Err(Error::ColumnOutOfRange {
            column: 3,
            columns: 3
        })
    );
}

#[test]
fn swap_column_sets_moves_columns_selection_and_count_whatever_the_widths() {
    let pool = LockFreeAllocator::new();
    let mut a = filled(&pool, &[FieldType::I64, FieldType::I64], 3);
    a.make_ref(0, 1);
    a.set_sel(Some(vec![2]));
    let mut b = Chunk::new(&[], 4, 4);
    b.set_num_virtual_rows(7);
    a.swap_columns(&mut b);
    assert_eq!((a.num_cols(), a.num_rows(), a.sel()), (0, 7, None));
    assert_eq!((b.num_cols(), b.num_rows(), b.row(0).get_i64(1)), (2, 1, 2));
    assert!(a.is_pooled() && !b.is_pooled(), "each chunk keeps its home");
    // The make_ref group went along as one column: a reset of `b` clears it.
    b.reset();
    assert_eq!((b.column(0).len(), b.column(1).len()), (0, 0));
    assert!(b.is_shared(0) && b.is_shared(1));
    drop(a);
    assert_fresh(&pool, &[FieldType::I64, FieldType::I64]);
    assert_fresh(&pool, &[]);
}

/// Pooled chunks of two allocators of either kind swap columns (of
/// different types, make_ref groups, whole sets of other widths) and go
/// home: every chunk handed out afterwards is fresh.
#[test]
fn swapped_chunks_come_back_checked() {
    fn run<A: ChunkAllocator>(x: &A, y: &A) {
        let fx = [FieldType::I64, FieldType::UTF8, FieldType::I64];
        let fy = [FieldType::F64, FieldType::UTF8];
        let mut a = filled(x, &fx, 5);
        let mut b = filled(y, &fy, 5);
        a.make_ref(0, 2);
        a.swap_column(0, &mut b, 1);
        a.swap_column_within(1, 2);
        b.swap_column_within(0, 1);
        let mut c = filled(x, &fy, 2);
        c.swap_columns(&mut b);
        drop((a, b, c));
        for f in [&fx[..], &fy[..]] {
            assert_fresh(x, f);
            assert_fresh(y, f);
        }
    }
    run(&LockFreeAllocator::new(), &LockFreeAllocator::new());
    run(&MutexAllocator::new(), &MutexAllocator::new());
}

#[test]
fn compact_keeps_the_selected_rows_in_place() {
    let fields = [FieldType::I64, FieldType::UTF8];
    let pool = LockFreeAllocator::new();
    let mut chk = filled(&pool, &fields, 8);
    chk.column_mut(0).set_null(5, true);
    chk.column_mut(1).set_null(7, true);
    let ptrs: Vec<_> = chk.columns().map(|c| c.data_ptr()).collect();
    chk.set_sel(Some(vec![1, 2, 5, 7]));
    chk.compact();
    assert_eq!(
        (chk.sel(), chk.num_rows(), chk.physical_rows()),
        (None, 4, 4)
    );
    let ints: Vec<_> = chk.column(0).iter::<i64>().collect();
    assert_eq!(ints, [Some(1), Some(2), None, Some(7)]);
    assert_eq!(chk.column(0).null_count(), 1);
    let strs: Vec<_> = chk.rows().map(|r| r.value_str(1)).collect();
    assert_eq!(strs, [Some("s"), Some("ss"), Some("sssss"), None]);
    // Row 7 was set NULL after its bytes were written: they stay.
    assert_eq!(chk.column(1).offsets(), &[0, 1, 3, 8, 15]);
    assert_eq!(chk.column(1).data(), "s".repeat(15).as_bytes());
    let now: Vec<_> = chk.columns().map(|c| c.data_ptr()).collect();
    assert_eq!(now, ptrs, "compacted in the chunk's own buffers");
    // The chunk fills on as usual.
    chk.column_mut(0).append_i64(9);
    chk.column_mut(1).append_str("z");
    assert_eq!(chk.row(4).value_str(1), Some("z"));
    // Nothing happens without a selection.
    chk.compact();
    assert_eq!(chk.num_rows(), 5);
    drop(chk);
    assert_fresh(&pool, &fields);
}

#[test]
fn compact_gathers_rows_out_of_order_and_gives_the_old_columns_back() {
    let fields = [FieldType::I64, FieldType::UTF8];
    let pool = LockFreeAllocator::new();
    let mut chk = filled(&pool, &fields, 4);
    chk.set_sel(Some(vec![3, 0, 3]));
    let before = pool.stats().retained_columns;
    chk.compact();
    assert_eq!(i64s(&chk, 0), [3, 0, 3]);
    let strs: Vec<_> = chk.rows().map(|r| r.value_str(1)).collect();
    assert_eq!(strs, [Some("sss"), Some(""), Some("sss")]);
    assert_eq!(
        pool.stats().retained_columns,
        before + 2,
        "old columns went home"
    );
    drop(chk);
    assert_fresh(&pool, &fields);
}

#[test]
fn compact_rewrites_a_make_ref_group_once_and_refuses_columns_shared_elsewhere() {
    let fields = [FieldType::I64, FieldType::UTF8, FieldType::I64];
    let mut chk = filled(&LockFreeAllocator::new(), &fields, 6);
    chk.make_ref(0, 2);
    chk.set_sel(Some(vec![1, 4, 5]));
    chk.compact();
    assert_eq!(
        (i64s(&chk, 0), i64s(&chk, 2)),
        (vec![1, 4, 5], vec![1, 4, 5])
    );
    assert!(chk.is_shared(0) && chk.is_shared(2));
    assert_eq!(chk.row(2).value_str(1), Some("sssss"));

    let mut other = Chunk::new(&[FieldType::I64], 4, 4);
    other.make_ref_to(0, &mut chk, 2);
    chk.set_sel(Some(vec![0]));
    assert_eq!(chk.try_compact(), Err(Error::SharedColumn { column: 0 }));
    assert_eq!(
        chk.try_retain(|_| true),
        Err(Error::SharedColumn { column: 0 })
    );
    assert_eq!(
        (chk.sel(), chk.physical_rows()),
        (Some(&[0][..]), 3),
        "unchanged"
    );
    assert_eq!(i64s(&other, 0), [1, 4, 5]);
}

#[test]
fn compact_refuses_a_selection_past_the_rows_unchanged() {
    let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    chk.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
    chk.set_sel(Some(vec![2]));
    chk.column_mut(0).truncate(2);
    assert_eq!(
        chk.try_compact(),
        Err(Error::RowOutOfRange { row: 2, len: 2 })
    );
    assert_eq!((chk.sel(), i64s(&chk, 0)), (Some(&[2][..]), vec![1, 2]));
}

#[test]
fn retain_keeps_rows_through_the_selection_in_its_order() {
    let mut chk = filled(
        &MutexAllocator::new(),
        &[FieldType::I64, FieldType::UTF8],
        6,
    );
    let mut seen = Vec::new();
    chk.retain(|r| {
        seen.push(r.idx());
        r.get_i64(0) % 2 == 1
    });
    assert_eq!(seen, [0, 1, 2, 3, 4, 5], "each row once, in order");
    assert_eq!(i64s(&chk, 0), [1, 3, 5]);
    chk.set_sel(Some(vec![2, 0]));
    chk.retain(|r| r.get_i64(0) > 0);
    assert_eq!((i64s(&chk, 0), chk.sel()), (vec![5, 1], None));
    assert_eq!(chk.row(0).value_str(1), Some("sssss"));
    chk.retain(|_| false);
    assert_eq!(chk.num_rows(), 0);
    // A chunk without columns keeps a count.
    let mut none = Chunk::new(&[], 4, 4);
    none.set_num_virtual_rows(5);
    none.retain(|r| r.idx() < 2);
    assert_eq!(none.num_rows(), 2);
}

/// A running top-3 over batches, kept in one pooled chunk: each batch is
/// appended behind the best rows so far, and `retain` keeps the best
/// three in place. The chunk's buffers never move.
#[test]
fn a_running_top_k_reuses_one_chunk() {
    let pool = LockFreeAllocator::new();
    let mut top = pool.alloc(&[FieldType::I64], 16, 16);
    let ptr = top.column(0).data_ptr();
    let mut all = Vec::new();
    for batch in 0..10i64 {
        let mut rows = Chunk::new(&[FieldType::I64], 8, 8);
        let values: Vec<i64> = (0..8).map(|i| (batch * 37 + i * 11) % 101).collect();
        rows.column_mut(0).extend_from_slice(&values);
        all.extend_from_slice(&values);
        top.append_chunk(&rows);
        let mut sorted = top.column(0).as_slice::<i64>().to_vec();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let cut = sorted.get(2).copied().unwrap_or(i64::MIN);
        let mut kept = 0;
        top.retain(|r| {
            let keep = r.get_i64(0) >= cut && kept < 3;
            kept += usize::from(keep);
            keep
        });
        assert_eq!(top.column(0).data_ptr(), ptr, "batch {batch}");
    }
    let mut got = i64s(&top, 0);
    got.sort_unstable();
    all.sort_unstable();
    assert_eq!(got, all[all.len() - 3..]);
}

/// Cells of `c`: `None` for NULL, else the row's bytes.
fn cells(c: &chunkpool::Column) -> Vec<Option<Vec<u8>>> {
    (0..c.len())
        .map(|r| match c.field_type().is_var() {
            _ if c.is_null(r) => None,
            true => Some(c.get_bytes(r).to_vec()),
            false => Some(c.get_fixed_bytes(r).to_vec()),
        })
        .collect()
}

#[test]
fn compact_in_place_keeps_what_a_gather_into_a_new_chunk_keeps() {
    // Every element size the in-place moves treat apart (1, 2, 4, 8
    // bytes typed, others as bytes), and text of 0 to 90 bytes (short
    // values move as 32-byte words where the gap allows), with NULLs.
    let fields = [
        FieldType::I8,
        FieldType::I16,
        FieldType::F32,
        FieldType::I64,
        FieldType::fixed(3).unwrap(),
        FieldType::DECIMAL,
        FieldType::UTF8,
        FieldType::BINARY,
    ];
    let pool = LockFreeAllocator::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let rows = 300;
    // Leading rows kept in place: none, fewer than a byte of the bitmap,
    // a byte and a bit, past a word; then rows kept at some density, of
    // text up to `long` bytes (short text keeps the moves' gaps under 32
    // bytes for a while), with a NULL in seven rows or none.
    let cases = [
        (0, 50, 91, 7),
        (3, 50, 91, 7),
        (9, 10, 91, 7),
        (70, 90, 91, 7),
        (0, 100, 91, 7),
        (5, 0, 91, 7),
        (300, 0, 91, 7),
        (0, 75, 9, 7),
        (13, 90, 3, 7),
        (11, 50, 40, u64::MAX),
        (0, 30, 91, u64::MAX),
    ];
    for (lead, keep_pct, long, null_in) in cases {
        let mut src = pool.alloc(&fields, rows, rows);
        for r in 0..rows {
            for (i, f) in fields.iter().enumerate() {
                let c = src.column_mut(i);
                if next(null_in) == 0 && null_in != u64::MAX {
                    c.append_null();
                } else if f.is_var() {
                    let n = next(long) as usize;
                    let b: Vec<u8> = (0..n).map(|k| (r + k) as u8 | 1).collect();
                    c.append_bytes(&b);
                } else {
                    let size = f.elem_size().unwrap();
                    let b: Vec<u8> = (0..size).map(|k| (r * 7 + k) as u8).collect();
                    c.append_fixed_bytes(&b);
                }
            }
        }
        let sel: Vec<u32> = (0..rows as u32)
            .filter(|&r| (r as usize) < lead || next(100) < keep_pct)
            .collect();
        let mut want = Chunk::new(&fields, rows, rows);
        want.append_selected(&src, &sel);
        let ptrs: Vec<_> = src.columns().map(|c| c.data_ptr()).collect();
        src.set_sel(Some(sel.clone()));
        src.compact();
        assert_eq!((src.num_rows(), src.sel()), (sel.len(), None));
        for i in 0..fields.len() {
            let (got, exp) = (src.column(i), want.column(i));
            assert_eq!(cells(got), cells(exp), "column {i}, lead {lead}");
            assert_eq!(got.null_count(), exp.null_count(), "column {i}");
        }
        let now: Vec<_> = src.columns().map(|c| c.data_ptr()).collect();
        assert_eq!(now, ptrs, "in the chunk's own buffers");
        // Rows appended after the compaction read back as written, and
        // a reset chunk refills from the cache as a fresh one would.
        src.column_mut(6).append_str("after");
        assert_eq!(src.column(6).value_str(sel.len()), Some("after"));
        drop(src);
        let mut again = pool.alloc(&fields, rows, rows);
        again.column_mut(7).append_bytes(b"x");
        again.column_mut(7).append_null();
        assert_eq!(cells(again.column(7)), [Some(b"x".to_vec()), None]);
        assert_eq!(again.column(7).data(), b"x");
    }
    assert_fresh(&pool, &fields);
}
