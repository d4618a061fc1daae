//! Moving rows between chunks (issue 11, part 2): `append_row`,
//! `append_rows`, `append_selected`, `append_selected_bitmap`,
//! `append_chunk`, the selection vector, `swap_column` / `set_column` /
//! `take_column`, and the `Row` view. Values, NULLs and bytes are checked
//! cell by cell against a model, on fixed and variable-width columns; every
//! error case is checked to leave the destination exactly as it was; and
//! chunks built or rearranged by these calls must return to a pool that
//! still hands out exactly the requested types.

use chunkpool::{Chunk, ChunkAllocator, Column, Error, FieldType, LockFreeAllocator};
use std::ops::Range;

const LAYOUT: [FieldType; 4] = [
    FieldType::I64,
    FieldType::UTF8,
    FieldType::DECIMAL,
    FieldType::BOOL,
];

/// One cell: `None` for NULL, else its bytes.
type Cell = Option<Vec<u8>>;

fn cell(col: &Column, row: usize) -> Cell {
    if col.is_null(row) {
        None
    } else if col.field_type().is_var() {
        Some(col.get_bytes(row).to_vec())
    } else {
        Some(col.get_fixed_bytes(row).to_vec())
    }
}

fn rows_of(chk: &Chunk) -> Vec<Vec<Cell>> {
    (0..chk.physical_rows())
        .map(|r| chk.columns().map(|c| cell(c, r)).collect())
        .collect()
}

/// Everything observable about a chunk's rows, byte for byte.
type Snapshot = Vec<(FieldType, usize, Vec<u8>, Vec<i64>, Vec<u8>)>;

fn snapshot(chk: &Chunk) -> Snapshot {
    chk.columns()
        .map(|c| {
            (
                c.field_type(),
                c.len(),
                c.data().to_vec(),
                c.offsets().to_vec(),
                c.null_bitmap().to_vec(),
            )
        })
        .collect()
}

/// The column layout rules: bitmap bytes and clean trailing bits, the
/// null count, offsets, data length.
fn assert_well_formed(chk: &Chunk) {
    for (i, c) in chk.columns().enumerate() {
        let n = c.len();
        let bm = c.null_bitmap();
        assert_eq!(bm.len(), n.div_ceil(8), "column {i}: bitmap bytes");
        if n % 8 != 0 {
            assert_eq!(bm[n / 8] >> (n % 8), 0, "column {i}: bits past the length");
        }
        let nulls = (0..n).filter(|&r| c.is_null(r)).count();
        assert_eq!(c.null_count(), nulls, "column {i}: the kept null count");
        match c.field_type().elem_size() {
            Some(size) => assert_eq!(c.data().len(), n * size, "column {i}: data"),
            None => {
                let off = c.offsets();
                assert_eq!(off.len(), n + 1, "column {i}: offsets");
                assert_eq!(off[0], 0);
                assert!(off.windows(2).all(|w| w[0] <= w[1]), "column {i}: offsets");
                assert_eq!(*off.last().unwrap() as usize, c.data().len());
            }
        }
    }
}

/// Appends row `v` of the test pattern: every column NULL on its own
/// rhythm, strings of varying length.
fn push_row(chk: &mut Chunk, v: usize) {
    if v % 3 == 1 {
        chk.column_mut(0).append_null();
    } else {
        chk.column_mut(0).append_i64(v as i64 * 1000 - 7);
    }
    if v % 4 == 2 {
        chk.column_mut(1).append_null();
    } else {
        chk.column_mut(1)
            .append_str(&"x".repeat(v % 5).replace('x', &v.to_string()));
    }
    if v % 5 == 3 {
        chk.column_mut(2).append_null();
    } else {
        chk.column_mut(2).append_fixed_bytes(&[v as u8; 40]);
    }
    if v % 7 == 0 {
        chk.column_mut(3).append_null();
    } else {
        chk.column_mut(3).append_bool(v % 2 == 0);
    }
}

fn filled(rows: Range<usize>) -> Chunk {
    let mut chk = Chunk::new(&LAYOUT, 4, 1024);
    for v in rows {
        push_row(&mut chk, v);
    }
    chk
}

#[test]
fn append_row_copies_values_nulls_and_bytes() {
    let src = filled(0..20);
    let want = rows_of(&src);
    let mut dst = Chunk::new(&LAYOUT, 4, 1024);
    for r in (0..20).rev() {
        dst.append_row(&src, r);
    }
    assert_well_formed(&dst);
    let got = rows_of(&dst);
    let rev: Vec<_> = want.iter().rev().cloned().collect();
    assert_eq!(got, rev);
    assert!(dst.column(0).is_null(20 - 1 - 1));
    assert_eq!(dst.column(1).get_bytes(20 - 1 - 3), b"333");
}

#[test]
fn append_rows_every_alignment_and_empty_ranges() {
    let src = filled(0..37);
    let src_rows = rows_of(&src);
    for pre in 0..10 {
        for (s, e) in [
            (0, 0),
            (5, 5),
            (0, 37),
            (1, 9),
            (3, 30),
            (8, 16),
            (7, 8),
            (0, 5),
            (16, 21),
            (36, 37),
            (37, 37),
        ] {
            let mut dst = filled(100..100 + pre);
            let mut want = rows_of(&dst);
            dst.append_rows(&src, s..e);
            want.extend_from_slice(&src_rows[s..e]);
            assert_well_formed(&dst);
            assert_eq!(rows_of(&dst), want, "{pre} rows, then {s}..{e}");
        }
    }
}

/// Long moves: runs of 64 rows and more (whole validity bytes copied
/// where source and destination line up, word-gathered bits where they do
/// not) and selections of hundreds of rows, after every partial byte.
#[test]
fn long_runs_and_selections_keep_every_null_bit() {
    let src = filled(0..300);
    let src_rows = rows_of(&src);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let idx: Vec<u32> = (0..260)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % 300) as u32
        })
        .collect();
    for pre in 0..10 {
        for (s, e) in [(0, 300), (8, 200), (3, 131), (64, 192), (0, 64), (1, 66)] {
            let mut dst = filled(500..500 + pre);
            let mut want = rows_of(&dst);
            dst.append_rows(&src, s..e);
            want.extend_from_slice(&src_rows[s..e]);
            assert_well_formed(&dst);
            assert_eq!(rows_of(&dst), want, "{pre} rows, then {s}..{e}");
        }
        let mut dst = filled(500..500 + pre);
        let mut want = rows_of(&dst);
        dst.append_selected(&src, &idx);
        want.extend(idx.iter().map(|&i| src_rows[i as usize].clone()));
        assert_well_formed(&dst);
        assert_eq!(rows_of(&dst), want, "{pre} rows, then a selection");
    }
}

#[test]
fn append_selected_in_order_with_repeats() {
    let src = filled(0..20);
    let src_rows = rows_of(&src);
    let idx = [19u32, 0, 1, 2, 2, 7, 6, 10, 11, 12, 13];
    let mut dst = filled(50..53);
    let mut want = rows_of(&dst);
    dst.append_selected(&src, &idx);
    want.extend(idx.iter().map(|&i| src_rows[i as usize].clone()));
    assert_well_formed(&dst);
    assert_eq!(rows_of(&dst), want);
    dst.append_selected(&src, &[]);
    assert_eq!(rows_of(&dst), want);
}

#[test]
fn append_selected_bitmap_takes_set_bits_in_row_order() {
    let src = filled(0..20);
    let src_rows = rows_of(&src);
    // Rows 0, 2, 3, 8..=15 and 17.
    let mask = [0b0000_1101u8, 0xff, 0b0000_0010];
    let mut dst = filled(40..45);
    let mut want = rows_of(&dst);
    dst.append_selected_bitmap(&src, &mask);
    for r in [0, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 17] {
        want.push(src_rows[r].clone());
    }
    assert_well_formed(&dst);
    assert_eq!(rows_of(&dst), want);
    // A short mask selects nothing past its end.
    let before = rows_of(&dst);
    dst.append_selected_bitmap(&src, &[0b1]);
    assert_eq!(dst.num_rows(), before.len() + 1);
    dst.append_selected_bitmap(&src, &[]);
    assert_eq!(dst.num_rows(), before.len() + 1);
}

#[test]
fn append_chunk_all_rows_or_the_selection() {
    let mut src = filled(0..13);
    let src_rows = rows_of(&src);
    let mut dst = filled(60..63);
    let mut want = rows_of(&dst);
    dst.append_chunk(&src);
    want.extend_from_slice(&src_rows);
    assert_eq!(rows_of(&dst), want);
    src.set_sel(Some(vec![12, 3, 4, 4]));
    dst.append_chunk(&src);
    for r in [12, 3, 4, 4] {
        want.push(src_rows[r].clone());
    }
    assert_well_formed(&dst);
    assert_eq!(rows_of(&dst), want);
    // An empty selection appends nothing.
    src.set_sel(Some(vec![]));
    dst.append_chunk(&src);
    assert_eq!(rows_of(&dst), want);
    // The explicit-row methods ignore the selection.
    dst.append_rows(&src, 0..1);
    want.push(src_rows[0].clone());
    assert_eq!(rows_of(&dst), want);
}

#[test]
fn selection_is_validated_iterated_and_dropped_by_reset() {
    let mut chk = filled(0..5);
    assert_eq!(chk.selected_rows().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(chk.num_rows(), 5);
    assert_eq!(
        chk.try_set_sel(Some(vec![1, 5])),
        Err(Error::RowOutOfRange { row: 5, len: 5 })
    );
    assert_eq!(chk.sel(), None);
    chk.set_sel(Some(vec![4, 1]));
    assert_eq!(chk.sel(), Some(&[4, 1][..]));
    assert_eq!(chk.selected_rows().len(), 2);
    assert_eq!(chk.selected_rows().collect::<Vec<_>>(), [4, 1]);
    assert_eq!(chk.num_rows(), 2);
    chk.reset();
    assert_eq!(chk.sel(), None);
    assert_eq!(chk.num_rows(), 0);
}

#[test]
fn a_stale_selection_is_rejected_when_used() {
    let mut src = filled(0..5);
    src.set_sel(Some(vec![4]));
    // Replace every column with shorter ones: the selection now names a
    // row past the end.
    for i in 0..LAYOUT.len() {
        src.take_column(i);
    }
    for v in 0..2 {
        push_row(&mut src, v);
    }
    let mut dst = filled(0..3);
    let before = snapshot(&dst);
    assert_eq!(
        dst.try_append_chunk(&src),
        Err(Error::RowOutOfRange { row: 4, len: 2 })
    );
    assert_eq!(snapshot(&dst), before);
}

/// Runs `f` on a copy-built destination and checks it fails with `want`
/// leaving the destination byte for byte as it was.
fn fails_unchanged(dst: &mut Chunk, want: &Error, f: impl FnOnce(&mut Chunk) -> Result<(), Error>) {
    let before = snapshot(dst);
    assert_eq!(f(dst).as_ref(), Err(want));
    assert_eq!(
        snapshot(dst),
        before,
        "a failed call changed the destination"
    );
}

#[test]
fn layout_mismatch_changes_nothing() {
    let src = filled(0..6);
    let mut other = LAYOUT;
    other[2] = FieldType::fixed(40).unwrap(); // same size, another logical type
    let mut dst = Chunk::new(&other, 4, 1024);
    dst.column_mut(0).append_i64(1);
    dst.column_mut(1).append_str("a");
    dst.column_mut(2).append_fixed_bytes(&[1; 40]);
    dst.column_mut(3).append_bool(true);
    let want = Error::LayoutMismatch {
        column: 2,
        dst: Some(other[2]),
        src: Some(FieldType::DECIMAL),
    };
    fails_unchanged(&mut dst, &want, |d| d.try_append_row(&src, 0));
    fails_unchanged(&mut dst, &want, |d| d.try_append_rows(&src, 0..6));
    fails_unchanged(&mut dst, &want, |d| d.try_append_selected(&src, &[1]));
    fails_unchanged(&mut dst, &want, |d| {
        d.try_append_selected_bitmap(&src, &[1])
    });
    fails_unchanged(&mut dst, &want, |d| d.try_append_chunk(&src));

    let mut narrow = Chunk::new(&LAYOUT[..3], 4, 1024);
    let want = Error::LayoutMismatch {
        column: 3,
        dst: None,
        src: Some(FieldType::BOOL),
    };
    fails_unchanged(&mut narrow, &want, |d| d.try_append_chunk(&src));
    assert!(want.to_string().contains("column 3"));
}

#[test]
fn ragged_chunks_are_rejected() {
    let mut ragged = filled(0..4);
    ragged.column_mut(1).append_str("extra");
    let want = Error::RaggedChunk {
        column: 1,
        len: 5,
        rows: 4,
    };
    let mut dst = filled(0..2);
    fails_unchanged(&mut dst, &want, |d| d.try_append_rows(&ragged, 0..1));
    fails_unchanged(&mut dst, &want, |d| d.try_append_row(&ragged, 0));
    fails_unchanged(&mut dst, &want, |d| d.try_append_chunk(&ragged));
    // A ragged destination too.
    let src = filled(0..3);
    fails_unchanged(&mut ragged, &want, |d| d.try_append_rows(&src, 0..3));
}

#[test]
fn rows_out_of_range_change_nothing() {
    let src = filled(0..10);
    let mut dst = filled(0..3);
    let oor = |row, len| Error::RowOutOfRange { row, len };
    fails_unchanged(&mut dst, &oor(10, 10), |d| d.try_append_row(&src, 10));
    fails_unchanged(&mut dst, &oor(10, 10), |d| d.try_append_rows(&src, 4..11));
    fails_unchanged(&mut dst, &oor(12, 10), |d| d.try_append_rows(&src, 12..12));
    #[allow(clippy::reversed_empty_ranges)]
    fails_unchanged(&mut dst, &oor(5, 3), |d| d.try_append_rows(&src, 5..3));
    fails_unchanged(&mut dst, &oor(10, 10), |d| {
        d.try_append_selected(&src, &[0, 1, 10, 2])
    });
    fails_unchanged(&mut dst, &oor(11, 10), |d| {
        d.try_append_selected_bitmap(&src, &[0xff, 0b1000])
    });
    // Bits past the rows that are clear are fine.
    dst.append_selected_bitmap(&src, &[0, 0b10, 0]);
    assert_eq!(dst.num_rows(), 4);
}

#[test]
fn shared_destination_columns_are_rejected() {
    let src = filled(0..5);
    let mut dst = filled(0..2);
    let mut holder = Chunk::new(&LAYOUT, 4, 1024);
    holder.make_ref_to(1, &mut dst, 1);
    let want = Error::SharedColumn { column: 1 };
    fails_unchanged(&mut dst, &want, |d| d.try_append_rows(&src, 0..5));
    fails_unchanged(&mut dst, &want, |d| d.try_append_chunk(&src));
    fails_unchanged(&mut dst, &want, |d| d.try_append_row(&src, 0));
    // Once the other user lets go, the column is owned again.
    drop(holder);
    dst.append_rows(&src, 0..5);
    assert_eq!(dst.num_rows(), 7);
    assert_well_formed(&dst);
}

#[test]
fn swap_set_and_take_columns() {
    let mut a = filled(0..3);
    let mut b = Chunk::new(&[FieldType::F64], 4, 4);
    b.column_mut(0).append_f64(2.5);
    let a1 = snapshot(&a)[1].clone();
    a.swap_column(1, &mut b, 0);
    assert_eq!(a.column(1).get_f64(0), 2.5);
    assert_eq!(snapshot(&b)[0], a1);
    assert_eq!(
        a.try_swap_column(4, &mut b, 0),
        Err(Error::ColumnOutOfRange {
            column: 4,
            columns: 4
        })
    );
    assert_eq!(
        a.try_swap_column(0, &mut b, 1),
        Err(Error::ColumnOutOfRange {
            column: 1,
            columns: 1
        })
    );

    let old = a.set_column(1, Column::new(FieldType::UTF8, 2));
    assert_eq!(old.get_f64(0), 2.5);
    assert_eq!(a.column(1).field_type(), FieldType::UTF8);

    let taken = a.take_column(0);
    assert_eq!(taken.len(), 3);
    assert_eq!(taken.get_i64(0), -7);
    assert_eq!(a.column(0).field_type(), FieldType::I64);
    assert!(a.column(0).is_empty() && a.column(0).capacity() >= a.capacity());

    // Shared columns cannot be set or taken (a swap moves the whole
    // make_ref group: tests/chunk_reshape.rs).
    let mut c = filled(0..2);
    c.make_ref(0, 2);
    let before = snapshot(&c);
    let shared = Error::SharedColumn { column: 2 };
    assert_eq!(
        c.try_set_column(2, Column::new(FieldType::I64, 1)).err(),
        Some(shared.clone())
    );
    assert_eq!(c.try_take_column(2).err(), Some(shared));
    assert_eq!(snapshot(&c), before);
    assert!(b.column(0).field_type().is_var());
}

#[test]
fn row_view_reads_through_the_columns() {
    let mut chk = Chunk::new(&[FieldType::I64, FieldType::F64, FieldType::BINARY], 4, 4);
    chk.column_mut(0).append_i64(-3);
    chk.column_mut(1).append_null();
    chk.column_mut(2).append_bytes(b"\x00\xff");
    let row = chk.row(0);
    assert_eq!(row.idx(), 0);
    assert_eq!(row.get_i64(0), -3);
    assert!(row.is_null(1) && !row.is_null(0));
    assert_eq!(row.get_bytes(2), b"\x00\xff");
    assert!(matches!(
        row.try_get_f64(0),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        row.try_get_bytes(0),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(
        row.try_get_i64(3),
        Err(Error::ColumnOutOfRange {
            column: 3,
            columns: 3
        })
    );
    assert_eq!(
        chk.try_row(1).err(),
        Some(Error::RowOutOfRange { row: 1, len: 1 })
    );
}

#[test]
fn row_view_option_getters_tell_null_from_value() {
    let chk = filled(0..8);
    for r in 0..8 {
        let row = chk.row(r);
        let want_i = (r % 3 != 1).then(|| r as i64 * 1000 - 7);
        assert_eq!(row.value::<i64>(0), want_i, "row {r}");
        let want_s = (r % 4 != 2).then(|| "x".repeat(r % 5).replace('x', &r.to_string()));
        assert_eq!(row.value_str(1).map(str::to_owned), want_s, "row {r}");
        assert_eq!(
            row.value_bytes(1),
            chk.column(1).value_bytes(r),
            "row {r}: bytes agree with the column"
        );
        let want_b = (r % 7 != 0).then_some(r % 2 == 0);
        assert_eq!(row.chunk().column(3).value_bool(r), want_b, "row {r}");
        assert_eq!(
            row.value::<u8>(3),
            want_b.map(u8::from),
            "row {r}: Bool reads as u8"
        );
    }
    let row = chk.row(0);
    // Wrong logical type, wrong width class, out of range: errors, not reinterpretation.
    assert!(matches!(
        row.try_value::<f64>(0),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        row.try_value::<i64>(1),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        row.try_value_str(0),
        Err(Error::TypeMismatch { .. })
    ));
    assert!(matches!(
        row.try_value_bytes(2),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(
        row.try_value_str(9),
        Err(Error::ColumnOutOfRange {
            column: 9,
            columns: 4
        })
    );
    // A Binary column is not a string column; a Utf8 row that is not UTF-8 says so.
    let mut raw = Chunk::new(&[FieldType::BINARY, FieldType::UTF8], 1, 1);
    raw.column_mut(0).append_bytes(b"ok");
    raw.column_mut(1).append_bytes(&[0xc3]);
    assert!(matches!(
        raw.row(0).try_value_str(0),
        Err(Error::TypeMismatch { .. })
    ));
    assert_eq!(
        raw.row(0).try_value_str(1),
        Err(Error::InvalidUtf8 { row: 0 })
    );
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| raw.row(0).value_str(1)));
    assert!(caught.is_err(), "the panicking form panics");
    // A chunk whose rows were swapped in keeps reading through the new column.
    let mut other = Chunk::new(&[FieldType::F64], 8, 8);
    other
        .column_mut(0)
        .extend_options((0..8).map(|i| (i % 2 == 0).then_some(i as f64)));
    let mut as_f64 = Chunk::new(&[FieldType::F64, FieldType::UTF8], 8, 8);
    as_f64.swap_column(0, &mut other, 0);
    assert_eq!(as_f64.row(2).value::<f64>(0), Some(2.0));
    assert_eq!(as_f64.row(3).value::<f64>(0), None);
    assert!(matches!(
        as_f64.row(2).try_value::<i64>(0),
        Err(Error::TypeMismatch { .. })
    ));
}

#[test]
fn make_ref_twins_report_bad_indices_and_change_nothing() {
    let mut chk = filled(0..5);
    let before = snapshot(&chk);
    for (src, dst, bad) in [(4, 0, 4), (0, 4, 4), (9, 7, 9)] {
        assert_eq!(
            chk.try_make_ref(src, dst),
            Err(Error::ColumnOutOfRange {
                column: bad,
                columns: 4
            })
        );
    }
    assert_eq!(snapshot(&chk), before);
    assert!((0..4).all(|i| !chk.is_shared(i)));
    assert_eq!(
        chk.try_make_ref(2, 2),
        Ok(()),
        "a column refers to itself already"
    );
    assert!(!chk.is_shared(2));
    let mut other = filled(10..15);
    let other_before = snapshot(&other);
    assert_eq!(
        chk.try_make_ref_to(4, &mut other, 0),
        Err(Error::ColumnOutOfRange {
            column: 4,
            columns: 4
        })
    );
    assert_eq!(
        chk.try_make_ref_to(0, &mut other, 4),
        Err(Error::ColumnOutOfRange {
            column: 4,
            columns: 4
        })
    );
    assert_eq!(
        (snapshot(&chk), snapshot(&other)),
        (before.clone(), other_before)
    );
    assert!((0..4).all(|i| !chk.is_shared(i) && !other.is_shared(i)));
    // The good cases share, and the panicking forms panic on the bad ones.
    chk.try_make_ref(1, 3).unwrap();
    assert!(chk.is_shared(1) && chk.is_shared(3));
    assert_eq!(chk.column(3).field_type(), FieldType::UTF8);
    chk.try_make_ref_to(0, &mut other, 1).unwrap();
    assert_eq!(chk.column(0).value_str(0), other.column(1).value_str(0));
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || chk.make_ref(0, 4)));
    let msg = caught.unwrap_err();
    let msg = msg.downcast_ref::<String>().expect("a formatted message");
    assert!(msg.contains("column 4 out of range"), "{msg}");
}

/// Every chunk `alloc` hands out has the requested types, no rows and room
/// for `cap` rows.
fn assert_fresh(chk: &mut Chunk, fields: &[FieldType], cap: usize) {
    let got: Vec<FieldType> = chk.columns().map(Column::field_type).collect();
    assert_eq!(got, fields);
    assert_eq!(chk.num_rows(), 0);
    assert_eq!(chk.sel(), None);
    for i in 0..fields.len() {
        let col = chk.column_mut(i);
        assert!(col.is_empty() && col.null_bitmap().is_empty() && col.data().is_empty());
        assert!(
            col.capacity() >= cap,
            "column {i}: room for {}",
            col.capacity()
        );
    }
}

#[test]
fn chunks_built_or_rearranged_here_return_to_the_pool_cleanly() {
    const CAP: usize = 16;
    const OTHER: [FieldType; 3] = [FieldType::F32, FieldType::BINARY, FieldType::I32];
    let alloc = LockFreeAllocator::new();
    let src = filled(0..40);
    for round in 0..4 {
        {
            let mut built = alloc.alloc(&LAYOUT, CAP, 1024);
            built.append_chunk(&src); // past its capacity: columns grow
            built.append_selected(&src, &[3, 1]);
            built.set_sel(Some(vec![0, 41]));
            let mut other = alloc.alloc(&OTHER, CAP, 1024);
            push_other(&mut other);
            let mut rearranged = alloc.alloc(&LAYOUT, CAP, 1024);
            rearranged.append_rows(&src, 0..5);
            rearranged.swap_column(round % 4, &mut other, round % 3);
            let _old = rearranged.set_column((round + 1) % 4, Column::new(FieldType::DECIMAL, 1));
            let _taken = other.take_column((round + 1) % 3);
            rearranged.make_ref(0, 3);
        }
        let mut held = Vec::new();
        for _ in 0..6 {
            let mut a = alloc.alloc(&LAYOUT, CAP, 1024);
            assert_fresh(&mut a, &LAYOUT, CAP);
            let mut b = alloc.alloc(&OTHER, CAP, 1024);
            assert_fresh(&mut b, &OTHER, CAP);
            held.push((a, b));
        }
    }
    assert!(
        alloc.stats().chunks_from_cache > 0,
        "nothing came back to be reused"
    );
}

fn push_other(chk: &mut Chunk) {
    chk.column_mut(0).append_f32(1.0);
    chk.column_mut(1).append_bytes(b"other");
    chk.column_mut(2).append_i32(2);
}

#[test]
fn take_sel_hands_the_buffer_back_for_the_next_batch() {
    let mut chk = filled(0..10);
    assert_eq!(chk.take_sel(), None);
    chk.set_sel(Some(Vec::with_capacity(64)));
    let mut buf = chk.take_sel().unwrap();
    let ptr = buf.as_ptr();
    assert_eq!((chk.sel(), chk.num_rows()), (None, 10));
    buf.extend([9, 1, 1]);
    chk.set_sel(Some(buf));
    assert_eq!(chk.selected_rows().collect::<Vec<_>>(), [9, 1, 1]);
    let back = chk.take_sel().unwrap();
    assert_eq!(back.as_ptr(), ptr, "the same allocation, no copy");
    let mut out = Chunk::new(&LAYOUT, 4, 1024);
    out.append_chunk(&chk); // no selection now: every row
    assert_eq!(out.num_rows(), 10);
}

/// `Chunk::from_columns`: columns made elsewhere become a chunk of no
/// pool that rows move into and out of like any other; ragged columns
/// are refused.
#[test]
fn a_chunk_from_columns_moves_rows_like_any_other() {
    let src = filled(0..6);
    let cols: Vec<Column> = src.columns().cloned().collect();
    let mut made = Chunk::from_columns(cols).expect("equal lengths");
    assert!(!made.is_pooled());
    assert_eq!(made.fields(), src.fields());
    assert_eq!(rows_of(&made), rows_of(&src));
    made.append_rows(&src, 1..3);
    assert_eq!(made.physical_rows(), 8);
    let mut short = Column::new(FieldType::I64, 4);
    short.append_i64(1);
    let long = Column::new(FieldType::I64, 4);
    assert_eq!(
        Chunk::from_columns(vec![short, long]).err(),
        Some(Error::RaggedChunk {
            column: 1,
            len: 0,
            rows: 1
        })
    );
    let none = Chunk::from_columns(Vec::new()).expect("no columns");
    assert_eq!(
        (none.num_cols(), none.num_rows(), none.capacity()),
        (0, 0, 1)
    );
}
