//! Checks of live chunks against the model: every value, bitmap and
//! offset of every column (`verify`), and buffer identity across all live
//! chunks (invariant 1, `verify_identity`).

use crate::logical;
use crate::model::{Live, MCol};
use chunkpool::{Error, FieldType};
use std::collections::HashMap;
use std::sync::Arc;

/// Checks a live chunk against its model: shape, sharing, every value,
/// bitmap, offsets, and that misuse fails cleanly.
pub fn verify(live: &Live) {
    let (c, m) = (&live.chunk, &live.m);
    assert_eq!(c.num_cols(), m.slots.len(), "num_cols");
    let layout: Vec<_> = m.slots.iter().map(|s| s.field).collect();
    assert_eq!(c.fields(), layout, "fields");
    assert_eq!(c.columns().len(), m.slots.len());
    let rows = crate::rows::num_rows(m);
    assert_eq!(c.num_rows(), rows, "num_rows");
    assert_eq!(
        c.physical_rows(),
        crate::rows::physical_rows(m),
        "physical_rows"
    );
    assert_eq!(c.capacity(), m.capacity, "capacity");
    assert_eq!(c.required_rows(), m.required, "required_rows");
    assert_eq!(c.is_full(), rows >= m.required, "is_full (selected rows)");
    assert_eq!(c.is_pooled(), m.home.is_some(), "is_pooled");
    assert!(matches!(
        c.try_column(m.slots.len()),
        Err(Error::ColumnOutOfRange { column, columns }) if column == m.slots.len() && columns == m.slots.len()
    ));
    for (i, slot) in m.slots.iter().enumerate() {
        assert_eq!(
            c.is_shared(i),
            Arc::strong_count(slot) > 1,
            "is_shared({i})"
        );
        verify_column(c.column(i), slot);
    }
    crate::rows::verify_rows(live);
    verify_clone(live);
}

/// `Chunk::clone`: a chunk of no pool with the same rows, selection and
/// sizes, every slot its own copy.
fn verify_clone(live: &Live) {
    let (c, m) = (&live.chunk, &live.m);
    let copy = c.clone();
    assert!(!copy.is_pooled(), "a clone belongs to no pool");
    assert_eq!(copy.fields(), c.fields(), "clone fields");
    assert_eq!(copy.sel(), c.sel(), "clone sel");
    assert_eq!(
        (copy.num_rows(), copy.physical_rows()),
        (c.num_rows(), c.physical_rows()),
        "clone rows"
    );
    assert_eq!(
        (copy.capacity(), copy.required_rows()),
        (c.capacity(), c.required_rows()),
        "clone sizes"
    );
    for (i, slot) in m.slots.iter().enumerate() {
        assert!(!copy.is_shared(i), "a clone's slots are its own");
        verify_column(copy.column(i), slot);
    }
    // The same columns again, through `Chunk::from_columns` (which gives
    // a chunk of no columns no rows).
    let rows = m.slots.first().map_or(0, |s| s.rows.len());
    let made = chunkpool::Chunk::from_columns(c.columns().cloned().collect());
    match m.slots.iter().position(|s| s.rows.len() != rows) {
        Some(column) => assert_eq!(
            made.err(),
            Some(Error::RaggedChunk {
                column,
                len: m.slots[column].rows.len(),
                rows
            }),
            "from_columns of a ragged chunk"
        ),
        None => {
            let made = made.expect("from_columns of equal columns");
            assert!(!made.is_pooled() && made.sel().is_none());
            assert_eq!(made.physical_rows(), rows, "from_columns rows");
            for (i, slot) in m.slots.iter().enumerate() {
                verify_column(made.column(i), slot);
            }
        }
    }
}

pub fn verify_column(col: &chunkpool::Column, m: &MCol) {
    let n = m.rows.len();
    assert_eq!(col.field_type(), m.field, "field type");
    assert_eq!(col.len(), n, "len");
    assert_eq!(col.is_empty(), n == 0);
    assert_eq!(col.avoid_reusing(), m.avoid, "avoid_reusing");
    let mut bitmap = vec![0u8; n.div_ceil(8)];
    for (r, row) in m.rows.iter().enumerate() {
        if !row.null {
            bitmap[r / 8] |= 1 << (r % 8);
        }
    }
    assert_eq!(
        col.null_bitmap(),
        &bitmap[..],
        "null bitmap (bits past the length must be clear)"
    );
    assert_eq!(col.null_count(), m.rows.iter().filter(|r| r.null).count());
    crate::build::verify_reads(col, m);
    let data: Vec<u8> = m
        .rows
        .iter()
        .flat_map(|r| r.bytes.iter().copied())
        .collect();
    assert_eq!(col.data(), &data[..], "data bytes");
    assert!(col.allocated_bytes() >= data.len());
    assert_eq!(
        col.try_is_null(n),
        Err(Error::RowOutOfRange { row: n, len: n })
    );
    for (r, row) in m.rows.iter().enumerate() {
        assert_eq!(col.is_null(r), row.null, "is_null({r})");
    }
    match m.field.elem_size() {
        None => {
            let mut offsets = vec![0i64];
            for row in &m.rows {
                offsets.push(offsets.last().unwrap() + row.bytes.len() as i64);
            }
            assert_eq!(col.offsets(), &offsets[..], "offsets");
            for (r, row) in m.rows.iter().enumerate() {
                assert_eq!(col.get_bytes(r), &row.bytes[..], "get_bytes({r})");
            }
            assert!(matches!(
                col.try_get_bytes(n),
                Err(Error::RowOutOfRange { .. })
            ));
            assert!(matches!(
                col.try_get_i64(0),
                Err(Error::TypeMismatch { .. })
            ));
            assert!(matches!(
                col.try_get_fixed_bytes(0),
                Err(Error::TypeMismatch { .. })
            ));
            assert!(col.try_as_slice::<u32>().is_err());
        }
        Some(_) => {
            assert!(col.offsets().is_empty(), "a fixed column has no offsets");
            for (r, row) in m.rows.iter().enumerate() {
                assert_eq!(
                    col.get_fixed_bytes(r),
                    &row.bytes[..],
                    "get_fixed_bytes({r})"
                );
            }
            assert!(matches!(
                col.try_get_fixed_bytes(n),
                Err(Error::RowOutOfRange { .. })
            ));
            assert!(matches!(
                col.try_get_bytes(0),
                Err(Error::TypeMismatch { .. })
            ));
            // Typed access by the model's own table: every accessor that
            // takes the logical type reads the model's bytes, every other
            // one is a mismatch, whatever the sizes.
            for a in logical::ALL {
                if logical::accepts(m.field, a) {
                    let want: Vec<u8> = m.rows.iter().flat_map(|r| r.bytes.clone()).collect();
                    assert_eq!(logical::slice(col, a), Ok(want), "{a:?} slice");
                    for (r, row) in m.rows.iter().enumerate() {
                        assert_eq!(
                            logical::get(col, a, r),
                            Ok(row.bytes.clone()),
                            "{a:?} get({r})"
                        );
                    }
                    assert!(matches!(
                        logical::get(col, a, n),
                        Err(Error::RowOutOfRange { .. })
                    ));
                } else {
                    assert!(matches!(
                        logical::get(col, a, 0),
                        Err(Error::TypeMismatch { .. })
                    ));
                    assert!(matches!(
                        logical::slice(col, a),
                        Err(Error::TypeMismatch { .. })
                    ));
                }
            }
            verify_select_where(col, m);
            if m.field == FieldType::BOOL {
                for (r, row) in m.rows.iter().enumerate() {
                    assert_eq!(col.get_bool(r), row.bytes[0] != 0, "get_bool({r})");
                }
            } else {
                assert!(matches!(
                    col.try_get_bool(0),
                    Err(Error::TypeMismatch { .. })
                ));
            }
        }
    }
}

/// `select_where` over whatever state the column is in: where `i64` (or
/// `i32`) reads the column, the rows selected are the model's rows that
/// are not NULL and whose value is even, after the entries already in the
/// vector; elsewhere it is a `TypeMismatch` that leaves the vector alone.
fn verify_select_where(col: &chunkpool::Column, m: &MCol) {
    let even8 = |b: &[u8]| i64::from_le_bytes(b.try_into().expect("8 bytes")) % 2 == 0;
    let even4 = |b: &[u8]| i32::from_le_bytes(b.try_into().expect("4 bytes")) % 2 == 0;
    let mut sel = vec![u32::MAX];
    let got8 = col.try_select_where(&mut sel, |v: i64| v % 2 == 0);
    let mut sel4 = vec![u32::MAX];
    let got4 = col.try_select_where(&mut sel4, |v: i32| v % 2 == 0);
    for (got, sel, even) in [
        (got8, sel, &even8 as &dyn Fn(&[u8]) -> bool),
        (got4, sel4, &even4),
    ] {
        match got {
            Ok(n) => {
                let want: Vec<u32> = m
                    .rows
                    .iter()
                    .enumerate()
                    .filter(|(_, row)| !row.null && even(&row.bytes))
                    .map(|(r, _)| r as u32)
                    .collect();
                assert_eq!((n, &sel[1..]), (want.len(), &want[..]), "select_where");
                assert_eq!(sel[0], u32::MAX, "select_where keeps what was there");
            }
            Err(e) => {
                assert!(matches!(e, Error::TypeMismatch { .. }), "{e:?}");
                assert_eq!(sel, [u32::MAX], "a refusal leaves the selection");
            }
        }
    }
}

/// Invariant 1 of the crate docs: the same model column is the same buffer, and
/// different model columns are different buffers, across every live chunk.
/// A column with no data allocation (a replacement of capacity 0, a clone
/// of an empty column) has no buffer to compare: its `data_ptr` is null.
pub fn verify_identity<'a>(lives: impl IntoIterator<Item = &'a Live>) {
    let mut by_ptr: HashMap<usize, u64> = HashMap::new();
    let mut by_id: HashMap<u64, usize> = HashMap::new();
    for live in lives {
        for (i, slot) in live.m.slots.iter().enumerate() {
            let ptr = live.chunk.column(i).data_ptr() as usize;
            if ptr == 0 {
                continue;
            }
            if let Some(&id) = by_ptr.get(&ptr) {
                assert_eq!(
                    id, slot.id,
                    "one buffer (data_ptr {ptr:#x}) owned by two live columns"
                );
            }
            if let Some(&p) = by_id.get(&slot.id) {
                assert_eq!(p, ptr, "one shared column seen at two addresses");
            }
            by_ptr.insert(ptr, slot.id);
            by_id.insert(slot.id, ptr);
        }
    }
}
