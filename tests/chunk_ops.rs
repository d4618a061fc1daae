//! TiDB's chunk calls that read or copy rows: row counts of chunks
//! without columns (`SetNumVirtualRows`), `MergeNulls`, `CopyConstruct`
//! and `CopyConstructSel`, the row iterators (`Iterator4Chunk`,
//! `Iterator4List`), and the bounded `Display` table.

use chunkpool::{
    Chunk, ChunkAllocator, Error, FieldType, ListRows, LockFreeAllocator, MutexAllocator,
};

/// A chunk of one `I64` column holding `values` (`None`: NULL).
fn ints(values: &[Option<i64>]) -> Chunk {
    let mut chk = Chunk::new(&[FieldType::I64], values.len().max(1), 1024);
    chk.column_mut(0).extend_options(values.iter().copied());
    chk
}

/// Column 0 of every row of `rows`, as `Option<i64>`.
fn col0<'a>(rows: impl Iterator<Item = chunkpool::Row<'a>>) -> Vec<Option<i64>> {
    rows.map(|r| r.value::<i64>(0)).collect()
}

#[test]
fn virtual_rows_count_rows_of_a_chunk_without_columns() {
    let mut chk = Chunk::new(&[], 8, 8);
    chk.set_num_virtual_rows(6);
    assert_eq!((chk.num_rows(), chk.physical_rows()), (6, 6));
    assert_eq!(chk.rows().len(), 6);
    chk.set_required_rows(4, 8);
    assert!(chk.is_full());
    // A selection names the virtual rows.
    chk.set_sel(Some(vec![5, 0]));
    assert_eq!(chk.num_rows(), 2);
    assert_eq!(
        chk.try_set_num_virtual_rows(3),
        Err(Error::RowOutOfRange { row: 5, len: 3 })
    );
    assert_eq!(chk.physical_rows(), 6, "unchanged on the error");
    assert_eq!(
        chk.try_set_sel(Some(vec![6])),
        Err(Error::RowOutOfRange { row: 6, len: 6 })
    );
    chk.set_sel(None);
    chk.truncate(2);
    assert_eq!(chk.num_rows(), 2);
    chk.truncate(9);
    assert_eq!(chk.num_rows(), 2, "truncate never raises the count");
    chk.reset();
    assert_eq!(chk.num_rows(), 0);
}

#[test]
fn virtual_rows_are_refused_on_a_chunk_with_columns() {
    let mut chk = ints(&[Some(1)]);
    assert_eq!(
        chk.try_set_num_virtual_rows(0),
        Err(Error::HasColumns { columns: 1 })
    );
    assert_eq!(chk.num_rows(), 1);
    let msg = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        chk.set_num_virtual_rows(4);
    }))
    .unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(msg.contains("1 columns"), "{msg}");
}

#[test]
fn rows_moved_between_chunks_without_columns_add_to_the_count() {
    let mut src = Chunk::new(&[], 8, 8);
    src.set_num_virtual_rows(5);
    let mut dst = Chunk::new(&[], 8, 8);
    dst.append_rows(&src, 1..4);
    assert_eq!(dst.num_rows(), 3);
    dst.append_row(&src, 0);
    dst.append_selected(&src, &[0, 0]);
    assert_eq!(dst.num_rows(), 6);
    src.set_sel(Some(vec![4]));
    dst.append_chunk(&src);
    assert_eq!(dst.num_rows(), 7);
    assert_eq!(
        dst.try_append_row(&src, 5),
        Err(Error::RowOutOfRange { row: 5, len: 5 })
    );
    // Copies keep the count: all of it, or the selected rows.
    assert_eq!(src.clone().physical_rows(), 5);
    let sel = src.copy_construct_sel();
    assert_eq!((sel.num_rows(), sel.sel()), (1, None));
}

/// Both allocators hand a chunk without columns out again with no rows,
/// through the lock-free pool's full check (the first return) and its
/// fast one (the later ones), and the mutex pool's return.
#[test]
fn a_returned_chunk_without_columns_comes_back_with_no_rows() {
    fn rounds<A: ChunkAllocator>(alloc: &A) {
        for round in 0..4 {
            let mut chk = alloc.alloc(&[], 4, 4);
            assert_eq!(chk.num_rows(), 0, "round {round}");
            chk.set_num_virtual_rows(3 + round);
            assert_eq!(chk.num_rows(), 3 + round);
        }
    }
    let lockfree = LockFreeAllocator::new();
    rounds(&lockfree);
    assert!(
        lockfree.stats().chunks_from_cache >= 2,
        "went round the cache"
    );
    let mutex = MutexAllocator::new();
    rounds(&mutex);
    assert!(mutex.stats().chunks_from_cache >= 2, "went round the cache");
}

#[test]
fn merge_nulls_ors_the_null_flags_of_the_sources() {
    let fields = [
        FieldType::I64,
        FieldType::F64,
        FieldType::UTF8,
        FieldType::I64,
    ];
    let mut chk = Chunk::new(&fields, 16, 16);
    // 11 rows, so the bitmap has a partial last byte.
    for r in 0..11i64 {
        chk.column_mut(0).append_option((r % 3 != 0).then_some(r));
        chk.column_mut(1)
            .append_option((r % 4 != 1).then_some(r as f64));
        chk.column_mut(2).append_option_str((r != 7).then_some("s"));
        chk.column_mut(3).append_i64(r * 10);
    }
    chk.merge_nulls(3, &[0, 1, 2]);
    let want: Vec<Option<i64>> = (0..11)
        .map(|r| (r % 3 != 0 && r % 4 != 1 && r != 7).then_some(r * 10))
        .collect();
    let got: Vec<Option<i64>> = chk.column(3).iter::<i64>().collect();
    assert_eq!(got, want);
    let nulls = want.iter().filter(|v| v.is_none()).count();
    assert_eq!(chk.column(3).null_count(), nulls);
    assert_eq!(chk.column(3).as_slice::<i64>()[0], 0, "values stay");
    // Merging is idempotent, and with itself a no-op.
    chk.merge_nulls(3, &[3, 0]);
    assert_eq!(chk.column(3).iter::<i64>().collect::<Vec<_>>(), want);
    // A variable-width destination takes the flags too.
    chk.merge_nulls(2, &[0]);
    assert_eq!(chk.column(2).value_str(3), None);
    assert_eq!(chk.column(2).value_str(1), Some("s"));
}

#[test]
fn merge_nulls_refuses_before_changing_anything() {
    let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64, FieldType::I64], 4, 4);
    chk.column_mut(0).extend_options([None, Some(1i64)]);
    chk.column_mut(1).extend_options([Some(1i64), Some(2)]);
    chk.column_mut(2).append_i64(1);
    assert_eq!(
        chk.try_merge_nulls(1, &[0, 2]),
        Err(Error::RaggedChunk {
            column: 2,
            len: 1,
            rows: 2
        })
    );
    assert_eq!(
        chk.try_merge_nulls(1, &[0, 5]),
        Err(Error::ColumnOutOfRange {
            column: 5,
            columns: 3
        })
    );
    assert_eq!(chk.column(1).null_count(), 0, "unchanged");
    chk.column_mut(2).append_i64(2);
    chk.make_ref(1, 2);
    assert_eq!(
        chk.try_merge_nulls(1, &[0]),
        Err(Error::SharedColumn { column: 1 })
    );
    assert_eq!(chk.column(1).null_count(), 0, "unchanged");
}

#[test]
fn copy_construct_sel_copies_the_selected_rows_only() {
    let pool = LockFreeAllocator::new();
    let fields = [FieldType::I64, FieldType::UTF8];
    let mut chk = pool.alloc(&fields, 8, 16);
    for (v, s) in [(1, Some("a")), (2, None), (3, Some("ccc")), (4, Some("d"))] {
        chk.column_mut(0).append_i64(v);
        chk.column_mut(1).append_option_str(s);
    }
    chk.set_required_rows(5, 16);
    chk.set_sel(Some(vec![3, 1, 3]));
    let copy = chk.copy_construct_sel();
    let whole = chk.copy_construct();
    drop(chk); // home; the copies are independent
    assert!(!copy.is_pooled() && !whole.is_pooled());
    assert_eq!((copy.sel(), copy.physical_rows()), (None, 3));
    assert_eq!((copy.capacity(), copy.required_rows()), (8, 5));
    assert_eq!(copy.column(0).as_slice::<i64>(), &[4, 2, 4]);
    let names: Vec<_> = copy.rows().map(|r| r.value_str(1)).collect();
    assert_eq!(names, [Some("d"), None, Some("d")]);
    assert_eq!(
        (whole.sel(), whole.physical_rows()),
        (Some(&[3, 1, 3][..]), 4)
    );
    // Without a selection, every row.
    let all = whole.copy_construct_sel().copy_construct_sel();
    assert_eq!(all.column(0).as_slice::<i64>(), &[4, 2, 4]);
    let plain = ints(&[Some(1), None]).copy_construct_sel();
    assert_eq!(col0(plain.rows()), [Some(1), None]);
}

#[test]
fn copy_construct_sel_refuses_a_selection_past_the_rows() {
    let mut chk = ints(&[Some(1), Some(2)]);
    chk.set_sel(Some(vec![1]));
    chk.set_column(0, chunkpool::Column::new(FieldType::I64, 1));
    assert_eq!(
        chk.try_copy_construct_sel().err(),
        Some(Error::RowOutOfRange { row: 1, len: 0 })
    );
    // `rows()` yields such a row; reading it is the error.
    let row = chk.rows().next().unwrap();
    assert_eq!(row.idx(), 1);
    assert_eq!(
        row.try_get_i64(0),
        Err(Error::RowOutOfRange { row: 1, len: 0 })
    );
    assert!(chk.to_string().contains("| ? "), "{chk}");
}

#[test]
fn rows_of_a_chunk_go_through_the_selection_from_both_ends() {
    let mut chk = ints(&[Some(0), Some(1), None, Some(3), Some(4)]);
    assert_eq!(col0(chk.rows()), [Some(0), Some(1), None, Some(3), Some(4)]);
    chk.set_sel(Some(vec![4, 2, 0, 2]));
    let mut it = chk.rows();
    assert_eq!(it.len(), 4);
    assert_eq!(it.next().map(|r| r.idx()), Some(4));
    assert_eq!(it.next_back().map(|r| r.idx()), Some(2));
    assert_eq!(it.len(), 2);
    assert_eq!(col0(it.by_ref()), [None, Some(0)]);
    assert!(it.next().is_none() && it.next_back().is_none() && it.next().is_none());
    // Row k of the iterator is row(k).
    for (k, r) in chk.rows().enumerate() {
        assert_eq!(r.idx(), chk.row(k).idx());
    }
    assert_eq!(col0(chk.rows().rev()), [None, Some(0), None, Some(4)]);
}

/// `ListRows` against a model (the chunks' rows, concatenated), for every
/// mix of front and back steps over lists with empty and selected chunks.
#[test]
fn list_rows_match_the_concatenated_rows_from_either_end() {
    let mut chunks = vec![
        ints(&[]),
        ints(&[Some(1), Some(2)]),
        ints(&[]),
        ints(&[Some(3), None, Some(5)]),
        ints(&[Some(6)]),
        ints(&[]),
    ];
    chunks[3].set_sel(Some(vec![2, 1]));
    let model: Vec<Option<i64>> = chunks.iter().flat_map(|c| col0(c.rows())).collect();
    assert_eq!(model, [Some(1), Some(2), Some(5), None, Some(6)]);
    assert_eq!(col0(ListRows::new(&chunks)), model);
    for steps in 0u32..64 {
        let mut it = ListRows::new(&chunks);
        let (mut front, mut back) = (0, model.len());
        for s in 0..7 {
            assert_eq!(it.len(), back - front, "steps {steps:#b} at {s}");
            assert_eq!(it.size_hint(), (back - front, Some(back - front)));
            let got = if steps & (1 << s) != 0 {
                it.next_back().map(|r| r.value::<i64>(0))
            } else {
                it.next().map(|r| r.value::<i64>(0))
            };
            if front == back {
                assert_eq!(got, None, "steps {steps:#b} at {s}: exhausted");
            } else if steps & (1 << s) != 0 {
                back -= 1;
                assert_eq!(got, Some(model[back]), "steps {steps:#b} at {s}");
            } else {
                assert_eq!(got, Some(model[front]), "steps {steps:#b} at {s}");
                front += 1;
            }
        }
    }
    assert_eq!(ListRows::new(&[]).len(), 0);
    let first = ListRows::new(&chunks).next().unwrap();
    assert!(
        std::ptr::eq(first.chunk(), &chunks[1]),
        "a row knows its chunk"
    );
}

#[test]
fn display_is_a_bounded_table_of_the_selected_rows() {
    let fields = [
        FieldType::I64,
        FieldType::UTF8,
        FieldType::BOOL,
        FieldType::BINARY,
    ];
    let mut chk = Chunk::new(&fields, 32, 32);
    for r in 0..25i64 {
        chk.column_mut(0).append_i64(r);
        let text = if r == 2 { "it's" } else { "x\ny" };
        chk.column_mut(1)
            .append_option_str((r != 1).then_some(text));
        chk.column_mut(2).append_bool(r % 2 == 0);
        chk.column_mut(3).append_bytes(&[0xab, r as u8]);
    }
    let text = chk.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "| Int64 | Utf8 | Bool  | Binary |");
    assert_eq!(lines[3], "| 0     | x\\ny | true  | 0xab00 |");
    assert_eq!(lines[4], "| 1     | NULL | false | 0xab01 |");
    assert_eq!(lines[5], "| 2     | it's | true  | 0xab02 |");
    assert_eq!(
        lines.len(),
        3 + 20 + 1 + 1,
        "20 rows between rules, then the tail"
    );
    assert_eq!(lines[24], "… 5 more rows");
    // Through the selection, bounded by `display`.
    chk.set_sel(Some(vec![24, 3, 9]));
    let text = chk.display(2).to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[3].starts_with("| 24 "), "{text}");
    assert!(lines[4].starts_with("| 3 "), "{text}");
    assert_eq!(lines[6], "… 1 more row");
    assert!(!text.contains("| 9 "));
    let all = chk.display(usize::MAX).to_string();
    assert!(all.contains("| 9 ") && !all.contains("more"));
    // A chunk without columns says how many rows it has.
    let mut none = Chunk::new(&[], 4, 4);
    none.set_num_virtual_rows(3);
    assert_eq!(none.to_string(), "(3 rows, no columns)\n");
}

#[test]
fn display_cuts_long_cells_and_shows_fixed_bytes_as_hex() {
    let mut chk = Chunk::new(&[FieldType::UTF8, FieldType::fixed(2).unwrap()], 2, 2);
    chk.column_mut(0).append_str(&"é".repeat(40));
    chk.column_mut(1).append_fixed_bytes(&[1, 0xff]);
    let text = chk.to_string();
    let cell = format!("{}…", "é".repeat(31));
    assert!(text.contains(&format!("| {cell} | 0x01ff ")), "{text}");
}

#[test]
fn debug_shows_no_internal_wrappers() {
    let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    chk.make_ref(0, 1);
    let text = format!("{chk:?}");
    assert!(
        !text.contains("Own(") && !text.contains("Shared("),
        "{text}"
    );
    assert!(text.contains("Column"), "{text}");
}
