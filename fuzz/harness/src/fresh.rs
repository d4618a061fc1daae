//! Invariant 2 (the crate docs' "Invariants"), checked on every chunk an
//! allocator hands out: what a new chunk must look like, whatever its
//! buffers went through before. A pool must not trust what it handed out:
//! safe code can replace, swap or clone columns of a live chunk, so the
//! check looks at the chunk itself, not at what the pool remembers of it.
//!
//! The crate's own tests (`tests/allocator.rs`) use the same check as the
//! fuzz harness.

use chunkpool::Chunk;
use chunkpool::FieldType;

/// Asserts invariant 2 for `chk`, just returned by
/// `alloc(fields, capacity, max)` (or `Chunk::new`): no rows, exactly
/// `fields` in order, `capacity() == min(capacity, max)`,
/// `required_rows() == max`, every column empty with a clean bitmap, and
/// room in every column for `capacity()` rows without growing.
///
/// Room is read from `spare_capacity_mut` (a column's buffers past what
/// it uses): `elem_size * rows` data bytes (8 a row for variable width),
/// `rows` offsets past the leading 0, `(rows + 7) / 8` bitmap bytes.
#[track_caller]
pub fn check_new_chunk(chk: &mut Chunk, fields: &[FieldType], capacity: usize, max: usize) {
    let rows = capacity.min(max);
    let have: Vec<FieldType> = chk.columns().map(|c| c.field_type()).collect();
    assert_eq!(
        have, fields,
        "invariant 2: a new chunk's column types are not the ones requested"
    );
    assert_eq!(chk.num_rows(), 0, "invariant 2: a new chunk has rows");
    assert_eq!(chk.sel(), None, "invariant 2: a new chunk has a selection");
    assert_eq!(chk.capacity(), rows, "invariant 2: capacity()");
    assert_eq!(chk.required_rows(), max, "invariant 2: required_rows()");
    for (i, &field) in fields.iter().enumerate() {
        let col = chk.column_mut(i);
        assert_eq!(col.len(), 0, "invariant 2: column {i} has rows");
        assert!(
            col.null_bitmap().is_empty() && col.data().is_empty(),
            "invariant 2: column {i} shows bytes of an earlier user"
        );
        let offsets_in_use = match field.elem_size() {
            Some(_) => 0,
            None => 1,
        };
        assert_eq!(
            col.offsets().len(),
            offsets_in_use,
            "invariant 2: column {i} ({field:?}) offsets {:?}",
            col.offsets()
        );
        let row_bytes = field.elem_size().unwrap_or(8);
        let spare = col.spare_capacity_mut();
        let (data, offsets, bitmap) = (
            spare.data.len(),
            spare.offsets.len(),
            spare.null_bitmap.len(),
        );
        let ctx = || {
            format!(
                "column {i} ({field:?}) of a new chunk of capacity {rows}: spare data {data} \
                 words, offsets {offsets}, bitmap {bitmap} bytes"
            )
        };
        // `data * 8` cannot overflow: it is the byte size of an allocation.
        assert!(
            data * 8 >= row_bytes * rows,
            "invariant 2: no room for {rows} rows of data in {}",
            ctx()
        );
        if field.is_var() {
            assert!(
                offsets >= rows,
                "invariant 2: no room for {rows} offsets in {}",
                ctx()
            );
        }
        assert!(
            bitmap >= rows.div_ceil(8),
            "invariant 2: no room for {rows} rows of null bitmap in {}",
            ctx()
        );
    }
}
