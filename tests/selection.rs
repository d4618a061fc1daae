//! A chunk's selection (TiDB's `sel`) can never leak the rows it filtered
//! out, and every row count says whether it counts selected or physical
//! rows: TiDB's `NumRows`, `GetRow` and `IsFull` semantics under their
//! TiDB names, `physical_*` for the columns as they are.
//!
//! Restates TiDB's rules (`util/chunk`): `MakeRefTo` and `SwapColumn`
//! refuse a chunk with a selection, even an empty one; `NumRows` and
//! `GetRow` go through the selection; `Reset` keeps the columns `MakeRef`
//! made one; `AppendRow` into a chunk with a selection adds the new row to
//! it.

use chunkpool::{Chunk, ChunkAllocator, Error, FieldType, LockFreeAllocator, MutexAllocator};

/// A chunk of `[I64, UTF8]` with rows `0..n` (`i`, `"r{i}"`).
fn numbered(n: i64) -> Chunk {
    let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 8, 8);
    for i in 0..n {
        chk.column_mut(0).append_i64(i);
        chk.column_mut(1).append_str(&format!("r{i}"));
    }
    chk
}

fn values(chk: &Chunk) -> Vec<i64> {
    (0..chk.num_rows()).map(|i| chk.row(i).get_i64(0)).collect()
}

#[test]
fn sharing_or_swapping_with_a_selected_chunk_is_refused_and_changes_nothing() {
    for sel in [vec![1, 3], vec![]] {
        for selected_side in 0..2 {
            let mut a = numbered(4);
            let mut b = numbered(4);
            if selected_side == 0 {
                a.set_sel(Some(sel.clone()));
            } else {
                b.set_sel(Some(sel.clone()));
            }
            let before = (values(&a), values(&b));
            assert_eq!(a.try_make_ref_to(0, &mut b, 0), Err(Error::HasSelection));
            assert_eq!(b.try_make_ref_to(1, &mut a, 1), Err(Error::HasSelection));
            assert_eq!(a.try_swap_column(0, &mut b, 0), Err(Error::HasSelection));
            assert_eq!((values(&a), values(&b)), before, "nothing moved");
            assert!((0..2).all(|i| !a.is_shared(i) && !b.is_shared(i)));
            // Within one chunk the selection applies to both slots: allowed.
            a.make_ref(0, 1);
            assert!(a.is_shared(0) && a.is_shared(1));
        }
    }
}

#[test]
#[should_panic(expected = "cannot share or swap columns")]
fn make_ref_to_panics_with_the_errors_message() {
    let mut scan = numbered(2);
    scan.set_sel(Some(vec![1]));
    let mut out = numbered(0);
    out.make_ref_to(0, &mut scan, 0);
}

/// The projection that leaked before: a filtered scan's column shared into
/// an output chunk came back with every physical row. Now the share is
/// refused, and the way that keeps the selection (`append_chunk`) gives
/// exactly the selected rows.
#[test]
fn projecting_a_filtered_chunk_keeps_exactly_the_selected_rows() {
    let mut scan = numbered(6);
    scan.set_sel(Some(vec![4, 1, 5]));
    let mut out = Chunk::new(&[FieldType::I64, FieldType::UTF8], 8, 8);
    assert!(out.try_make_ref_to(0, &mut scan, 0).is_err());
    out.append_chunk(&scan);
    assert_eq!(values(&out), [4, 1, 5]);
    assert_eq!(out.column(1).value_str(0), Some("r4"));
    assert_eq!(out.physical_rows(), 3);
}

#[test]
fn row_counts_are_selected_and_physical_by_name() {
    let mut chk = numbered(4);
    assert_eq!((chk.num_rows(), chk.physical_rows()), (4, 4));
    chk.set_sel(Some(vec![3, 0]));
    assert_eq!((chk.num_rows(), chk.physical_rows()), (2, 4));
    assert_eq!(chk.selected_rows().len(), chk.num_rows());
    // row(i) is the i-th selected row; its idx() is physical.
    assert_eq!((chk.row(0).get_i64(0), chk.row(0).idx()), (3, 3));
    assert_eq!((chk.row(1).get_i64(0), chk.row(1).idx()), (0, 0));
    assert_eq!(
        chk.try_row(2).err(),
        Some(Error::RowOutOfRange { row: 2, len: 2 })
    );
    // physical_row(i) ignores the selection.
    assert_eq!(chk.physical_row(1).get_i64(0), 1);
    assert_eq!(
        chk.try_physical_row(4).err(),
        Some(Error::RowOutOfRange { row: 4, len: 4 })
    );
    chk.set_sel(Some(vec![]));
    assert_eq!((chk.num_rows(), chk.physical_rows()), (0, 4));
    assert!(chk.try_row(0).is_err());
}

#[test]
fn is_full_counts_selected_rows() {
    let mut chk = numbered(4);
    chk.set_required_rows(3, 8);
    assert!(chk.is_full());
    chk.set_sel(Some(vec![0, 2]));
    assert!(!chk.is_full(), "2 of 4 rows selected, 3 required");
    chk.set_sel(Some(vec![]));
    assert!(!chk.is_full(), "an empty selection");
    chk.set_sel(Some(vec![0, 1, 3]));
    assert!(chk.is_full());
}

#[test]
fn rows_appended_to_a_selected_chunk_join_its_selection() {
    let src = numbered(4);
    let mut dst = numbered(3);
    dst.set_sel(Some(vec![2]));
    dst.append_row(&src, 1);
    dst.append_rows(&src, 2..4);
    dst.append_selected(&src, &[0]);
    dst.append_selected_bitmap(&src, &[0b1000]);
    dst.append_chunk(&src);
    assert_eq!(dst.physical_rows(), 3 + 1 + 2 + 1 + 1 + 4);
    assert_eq!(values(&dst), [2, 1, 2, 3, 0, 3, 0, 1, 2, 3]);
    assert_eq!(dst.sel().map(<[u32]>::len), Some(dst.num_rows()));
    // A failed append leaves the selection as it was.
    let before = dst.sel().map(<[u32]>::to_vec);
    assert!(dst.try_append_row(&src, 9).is_err());
    assert_eq!(dst.sel().map(<[u32]>::to_vec), before);
}

#[test]
fn reset_keeps_the_columns_make_ref_made_one() {
    for alias_to_other_chunk in [false, true] {
        let mut chk = numbered(3);
        chk.make_ref(0, 1);
        // Another chunk shares column 0 too: the chunk gets a new column,
        // shared by both of its slots as the old one was.
        let mut other = Chunk::new(&[FieldType::I64], 4, 4);
        if alias_to_other_chunk {
            other.make_ref_to(0, &mut chk, 0);
        }
        chk.reset();
        assert_eq!(chk.physical_rows(), 0);
        assert!(chk.is_shared(0) && chk.is_shared(1), "still one column");
        assert_eq!(chk.column(0).data_ptr(), chk.column(1).data_ptr());
        assert_eq!(
            chk.try_column_mut(1).err(),
            Some(Error::SharedColumn { column: 1 })
        );
        if alias_to_other_chunk {
            assert_eq!(
                other.column(0).get_i64(2),
                2,
                "the other chunk still reads its rows"
            );
            assert_ne!(other.column(0).data_ptr(), chk.column(0).data_ptr());
        }
    }
    // A slot left sharing with nobody (its partner now shares another
    // column) becomes owned again on reset; the other group stays one.
    let mut chk = Chunk::new(&[FieldType::I64; 3], 4, 4);
    chk.make_ref(0, 1);
    chk.make_ref(2, 1);
    chk.reset();
    assert!(!chk.is_shared(0));
    chk.column_mut(0).append_i64(7);
    assert!(chk.is_shared(1) && chk.is_shared(2));
    assert_eq!(chk.column(1).data_ptr(), chk.column(2).data_ptr());
}

/// Pooled chunks follow the same rules, and a chunk whose selection was
/// refused still goes home whole.
#[test]
fn pooled_chunks_follow_the_same_rules() {
    fn check(pool: &impl ChunkAllocator) {
        let fields = [FieldType::I64];
        let mut a = pool.alloc(&fields, 8, 8);
        let mut b = pool.alloc(&fields, 8, 8);
        a.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
        a.set_sel(Some(vec![2]));
        assert_eq!(b.try_make_ref_to(0, &mut a, 0), Err(Error::HasSelection));
        assert_eq!((a.num_rows(), a.row(0).get_i64(0)), (1, 3));
        drop((a, b));
        let c = pool.alloc(&fields, 8, 8);
        assert_eq!((c.num_rows(), c.sel()), (0, None));
    }
    check(&LockFreeAllocator::new());
    check(&MutexAllocator::new());
}

/// `Clone` (TiDB's `CopyConstruct`): the same rows, selection and sizes,
/// in a chunk of no pool whose slots are its own; the original, pooled,
/// still goes home whole.
#[test]
fn a_clone_is_an_independent_copy_of_no_pool() {
    let pool = LockFreeAllocator::new();
    let mut chk = pool.alloc(&[FieldType::I64, FieldType::I64, FieldType::UTF8], 8, 16);
    chk.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
    chk.column_mut(2).extend_str(["a", "b", "c"]);
    chk.make_ref(0, 1);
    chk.set_sel(Some(vec![2, 0]));
    let mut copy = chk.clone();
    assert!(!copy.is_pooled());
    assert_eq!((copy.capacity(), copy.required_rows()), (8, 16));
    assert_eq!(copy.sel(), Some(&[2, 0][..]));
    assert_eq!(
        (copy.row(0).get_i64(1), copy.row(1).get_bytes(2)),
        (3, &b"a"[..])
    );
    assert!(
        (0..3).all(|i| !copy.is_shared(i)),
        "shared slots copied apart"
    );
    copy.column_mut(1).append_i64(9); // its own column now
    assert_eq!(chk.column(1).len(), 3);
    drop(chk);
    assert_eq!(pool.stats().chunks_returned, 1);
    assert_eq!(copy.column(2).value_str(2), Some("c"));
}

#[test]
fn a_selection_past_the_rows_is_refused_naming_its_first_bad_index() {
    // The first index out of range, not the largest, whichever call
    // checks the selection; nothing changes.
    let mut src = Chunk::new(&[FieldType::I64], 4, 4);
    src.column_mut(0).extend_from_slice(&[0i64, 1, 2]);
    let bad = vec![1, 4, 2, 9, 3];
    let err = Error::RowOutOfRange { row: 4, len: 3 };
    assert_eq!(src.try_set_sel(Some(bad.clone())), Err(err.clone()));
    assert_eq!(src.sel(), None);
    let mut dst = Chunk::new(&[FieldType::I64], 4, 4);
    assert_eq!(dst.try_append_selected(&src, &bad), Err(err));
    assert_eq!(dst.num_rows(), 0);
    // At the bound exactly, and an empty selection, are fine.
    assert_eq!(src.try_set_sel(Some(vec![2, 0, 2])), Ok(()));
    src.compact();
    assert_eq!(src.column(0).as_slice::<i64>(), &[2, 0, 2]);
    assert_eq!(src.try_set_sel(Some(vec![])), Ok(()));
}
