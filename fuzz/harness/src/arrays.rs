//! With the `arrow` feature (on in the fuzz targets), three things also
//! go through arrow: the rows of a [`VarParts`] call as an arrow array
//! ([`var_array`]), and the rows of an `append_chunk`, `append_rows` or
//! `append_row` as a `RecordBatch` ([`append_as_batch`]); and a chunk
//! dropped may go home through an export ([`drop_through_export`]).
//!
//! The first is `Column::extend_from_array`, the bulk append that takes
//! arrow's checks on trust and writes the column's offsets itself (so the
//! export's unchecked offsets rely on it too).
//!
//! Which calls: those whose parts are valid (no [`PartsTail`]) and whose
//! form matches the column (`&str` parts into a `Utf8` column as a string
//! array, bytes into a `Binary` column as a binary array), on an odd
//! number of rows; the others stay on the `_from_parts` path. The model
//! expects the same rows either way (a NULL row empty, whatever its slot
//! spans), and the replay on stable without the feature takes the
//! `_from_parts` path for the same input, which must give the same rows.
//! Arrays of every second such call are sliced: built with one more row
//! in front (the parts' junk prefix) and read from row 1, so the offsets
//! and the validity bits start at an offset.

use crate::input::{PartsTail, VarParts};
use arrow_array::{Array, ArrayRef, BinaryArray, LargeBinaryArray, LargeStringArray, StringArray};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use chunkpool::{Chunk, Column, Error, ExportOptions, FieldType};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Calls that went through `extend_from_array` in this process, for tests
/// to check the path ran.
pub static ARRAY_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Appends that went through `append_record_batch` in this process.
pub static BATCH_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Chunks dropped through an export in this process.
pub static EXPORT_DROPS: AtomicUsize = AtomicUsize::new(0);

/// Drops `chunk`, one of an odd number of physical rows through an export
/// (`into_record_batch`, the batch dropped at once): it goes home when
/// arrow lets go of the batch, or, where it cannot be exported (a
/// selection, a ragged chunk, a `Utf8` column holding bytes that are not
/// UTF-8), when the export drops it. Either way it comes back as a plain
/// drop brings it, and the model expects the same return.
pub fn drop_through_export(chunk: Chunk) {
    if chunk.physical_rows() % 2 == 1 {
        if chunk.into_record_batch().is_ok() {
            EXPORT_DROPS.fetch_add(1, Ordering::Relaxed);
        }
    } else {
        drop(chunk);
    }
}

/// `dst.append_chunk(src)` (`rows: None`), or `dst.append_rows(src, r)`
/// or `dst.append_row(src, r.start)` (`rows: Some(r)`), or their `try_`
/// forms, where the model accepts it
/// and it moves an odd number of rows (`count`), done as
/// `dst.append_record_batch` of a batch of the same rows instead. The
/// batch is an unpooled copy of `src` (made with `append_chunk` and
/// `append_rows`, themselves fuzzed), exported:
///
/// * for `append_chunk`, `src`'s rows as selected, sliced past a leading
///   row (`src`'s first physical row, copied in front) when `count % 4 ==
///   1`;
/// * for `append_rows` and `append_row`, every physical row of `src`,
///   sliced to `r`;
///
/// with `i32` offsets when `count % 4 == 3`. The model expects the same
/// rows and the same selection either way. `None` (the caller makes the
/// call itself) for an even count, or where the copy cannot be exported
/// (a `Utf8` column holding bytes that are not UTF-8, offsets past
/// `i32`).
pub fn append_as_batch(
    dst: &mut Chunk,
    src: &Chunk,
    rows: Option<Range<usize>>,
    count: usize,
    panicking: bool,
) -> Option<Result<(), Error>> {
    if count % 2 == 0 {
        return None;
    }
    let fields: Vec<FieldType> = src.columns().map(Column::field_type).collect();
    let all = src.physical_rows();
    let mut copy = Chunk::new(&fields, all + 1, all + 1);
    let slice = match rows {
        Some(r) => {
            copy.try_append_rows(src, 0..all).ok()?;
            Some(r)
        }
        None if count % 4 == 1 && all > 0 => {
            copy.try_append_row(src, 0).ok()?;
            copy.try_append_chunk(src).ok()?;
            Some(1..1 + count)
        }
        None => {
            copy.try_append_chunk(src).ok()?;
            None
        }
    };
    let opts = ExportOptions::new().small_offsets(count % 4 == 3);
    let batch = copy.into_record_batch_with(&opts).ok()?;
    let batch = match slice {
        Some(r) => batch.slice(r.start, r.len()),
        None => batch,
    };
    BATCH_CALLS.fetch_add(1, Ordering::Relaxed);
    Some(if panicking {
        dst.append_record_batch(&batch);
        Ok(())
    } else {
        dst.try_append_record_batch(&batch)
    })
}

/// The array for a call on a column of `field` whose parts are laid out
/// as `values`, `offsets` (`i64`, from past the junk prefix) and `valid`
/// (one flag a row), if this call goes through `extend_from_array`.
pub fn var_array(
    field: FieldType,
    p: &VarParts,
    values: &[u8],
    offsets: &[i64],
) -> Option<ArrayRef> {
    let text = match field {
        FieldType::UTF8 => true,
        FieldType::BINARY => false,
        _ => return None,
    };
    if p.text != text || p.tail != PartsTail::None || p.rows.len() % 2 == 0 {
        return None;
    }
    let sliced = p.rows.len() % 4 == 1;
    // The sliced array's row 0 spans the junk prefix, valid.
    let (offsets, valid): (Vec<i64>, Vec<bool>) = if sliced {
        let o = std::iter::once(0).chain(offsets.iter().copied()).collect();
        let v = std::iter::once(true)
            .chain(p.rows.iter().map(Option::is_some))
            .collect();
        (o, v)
    } else {
        (
            offsets.to_vec(),
            p.rows.iter().map(Option::is_some).collect(),
        )
    };
    let nulls = NullBuffer::new(BooleanBuffer::from(valid));
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    let values = Buffer::from_slice_ref(values);
    let array: ArrayRef = match (text, p.wide) {
        (true, true) => Arc::new(
            LargeStringArray::try_new(OffsetBuffer::new(offsets.into()), values, nulls).ok()?,
        ),
        (true, false) => Arc::new(
            StringArray::try_new(OffsetBuffer::new(narrow(&offsets)?), values, nulls).ok()?,
        ),
        (false, true) => Arc::new(
            LargeBinaryArray::try_new(OffsetBuffer::new(offsets.into()), values, nulls).ok()?,
        ),
        (false, false) => Arc::new(
            BinaryArray::try_new(OffsetBuffer::new(narrow(&offsets)?), values, nulls).ok()?,
        ),
    };
    ARRAY_CALLS.fetch_add(1, Ordering::Relaxed);
    Some(if sliced {
        array.slice(1, array.len() - 1)
    } else {
        array
    })
}

/// The offsets as `i32`, if they fit.
fn narrow(offsets: &[i64]) -> Option<ScalarBuffer<i32>> {
    let v: Option<Vec<i32>> = offsets.iter().map(|&o| i32::try_from(o).ok()).collect();
    v.map(ScalarBuffer::from)
}
