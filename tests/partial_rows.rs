//! Partial-row appends (TiDB's `AppendPartialRow` and
//! `AppendRowByColIdxs`): how a join builds its output rows from both
//! sides, checked pair by pair, all or nothing, and joining the
//! destination's selection.

use chunkpool::{Chunk, Error, FieldType};

/// A hash join built on `append_partial_row` (TiDB's `AppendPartialRow`):
/// every matching (left, right) pair becomes one output row, the left
/// columns first, then the right ones at the left's width; NULLs and text
/// come through, and the output is never ragged between pairs.
#[test]
fn a_join_builds_rows_from_partial_rows() {
    let mut left = Chunk::new(&[FieldType::I64, FieldType::UTF8], 8, 8);
    for (k, name) in [(1, Some("a")), (2, None), (3, Some("c")), (2, Some("d"))] {
        left.column_mut(0).append_i64(k);
        left.column_mut(1).append_option_str(name);
    }
    let mut right = Chunk::new(&[FieldType::I64, FieldType::F64], 8, 8);
    for (k, v) in [(2, 0.5), (3, 1.5), (4, 2.5), (2, 3.5)] {
        right.column_mut(0).append_i64(k);
        right.column_mut(1).append_f64(v);
    }
    let mut out = Chunk::new(
        &[
            FieldType::I64,
            FieldType::UTF8,
            FieldType::I64,
            FieldType::F64,
        ],
        8,
        8,
    );
    let mut want = Vec::new();
    for l in 0..left.num_rows() {
        for r in 0..right.num_rows() {
            let (lk, rk) = (left.column(0).get_i64(l), right.column(0).get_i64(r));
            if lk == rk {
                out.append_partial_row(0, &left, l);
                out.append_partial_row(2, &right, r);
                let n = out.physical_rows();
                assert!(
                    out.columns().all(|c| c.len() == n),
                    "rectangular between pairs"
                );
                want.push((
                    lk,
                    left.column(1).value_str(l).map(str::to_owned),
                    right.column(1).get_f64(r),
                ));
            }
        }
    }
    let got: Vec<_> = (0..out.num_rows())
        .map(|i| {
            let row = out.row(i);
            (
                row.get_i64(0),
                row.value_str(1).map(str::to_owned),
                row.get_f64(3),
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(got.len(), 5);
}

#[test]
fn partial_row_errors_change_nothing() {
    let mut src = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
    src.column_mut(0).extend_from_slice(&[1i64, 2]);
    src.column_mut(1).append_str("x"); // ragged: column 1 holds one row
    let mut out = Chunk::new(&[FieldType::I64, FieldType::UTF8, FieldType::I64], 4, 4);
    assert_eq!(
        out.try_append_partial_row(0, &src, 1),
        Err(Error::RowOutOfRange { row: 1, len: 1 })
    );
    assert_eq!(
        out.try_append_partial_row(1, &src, 0),
        Err(Error::LayoutMismatch {
            column: 1,
            dst: Some(FieldType::UTF8),
            src: Some(FieldType::I64)
        })
    );
    assert_eq!(
        out.try_append_row_by_col_idxs(&src, 0, &[0, 5]),
        Err(Error::ColumnOutOfRange {
            column: 5,
            columns: 2
        })
    );
    out.make_ref(0, 2);
    assert_eq!(
        out.try_append_partial_row(0, &src, 0),
        Err(Error::SharedColumn { column: 0 })
    );
    assert!(out.columns().all(|c| c.is_empty()), "nothing written");
}

#[test]
fn rows_by_column_index_project_and_join_the_selection() {
    let mut src = Chunk::new(&[FieldType::I64, FieldType::UTF8, FieldType::F64], 4, 4);
    for (i, s) in [(1, "one"), (2, "two")] {
        src.column_mut(0).append_i64(i);
        src.column_mut(1).append_str(s);
        src.column_mut(2).append_f64(i as f64 / 2.0);
    }
    let mut out = Chunk::new(&[FieldType::UTF8, FieldType::I64], 4, 4);
    out.append_row_by_col_idxs(&src, 1, &[1, 0]);
    out.set_sel(Some(vec![]));
    out.append_row_by_col_idxs(&src, 0, &[1, 0]);
    assert_eq!(out.physical_rows(), 2);
    assert_eq!(out.sel(), Some(&[1][..]), "the new row joins the selection");
    assert_eq!(
        (out.row(0).value_str(0), out.row(0).get_i64(1)),
        (Some("one"), 1)
    );
}

/// Found by the fuzzer: a partial row of a chunk with no columns names no
/// column to check, and any row, even `usize::MAX`, appends nothing.
#[test]
fn a_partial_row_of_no_columns_appends_nothing_whatever_the_row() {
    let src = Chunk::new(&[], 4, 4);
    let mut out = Chunk::new(&[FieldType::I64], 4, 4);
    assert_eq!(out.try_append_partial_row(0, &src, usize::MAX), Ok(()));
    assert_eq!(
        out.try_append_row_by_col_idxs(&src, usize::MAX, &[]),
        Ok(())
    );
    assert_eq!(out.physical_rows(), 0);
}
