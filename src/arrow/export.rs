//! Export: a column's buffers as an arrow array, without a copy (Bool and
//! `i32` offsets aside), each buffer keeping the export's [`Owner`].

use super::decimal;
use super::owner::{buffer, Held, Owner};
use super::{arrow_type, at_column, decimal128_of, export_schema, options_for, ExportOptions};
use crate::chunk::Chunk;
use crate::column::Column;
use crate::error::{ArrowCause, Error};
use crate::field::LogicalType;
use arrow_array::types::{
    Decimal128Type, DurationNanosecondType, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    ArrayRef, BooleanArray, FixedSizeBinaryArray, GenericBinaryArray, GenericStringArray,
    OffsetSizeTrait, PrimitiveArray, RecordBatch, RecordBatchOptions,
};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, SchemaRef};
use std::sync::Arc;

/// How to reach one column of what an owner holds.
#[derive(Clone, Copy)]
enum Pick {
    /// Column `i` of the held chunk.
    Chunk(usize),
    /// The held column.
    Column,
}

impl Pick {
    fn column(self, held: &Held) -> &Column {
        match (self, held) {
            (Pick::Chunk(i), Held::Chunk(chk)) => chk.column(i),
            (Pick::Column, Held::Column(col)) => col,
            _ => unreachable!("a pick always matches what its owner holds"),
        }
    }
}

/// arrow-rs refused an array or batch built here. The arrays are built to
/// arrow's rules (lengths, alignment, offsets), so this is not expected
/// (the one refusal expected, a `Utf8` row that is not UTF-8, is named in
/// `var`); debug builds stop on it. Arrow's error is kept as the cause.
fn arrow_err(column: Option<usize>, e: ArrowError) -> Error {
    debug_assert!(false, "arrow-rs refused an export: {e}");
    Error::Arrow {
        column,
        reason: "arrow-rs refused the array",
        cause: Some(ArrowCause::new(&e)),
    }
}

/// Exports `chk` (see [`Chunk::into_record_batch_with`]).
pub(super) fn chunk(chk: Chunk, opts: &ExportOptions) -> Result<RecordBatch, Error> {
    let fields: Vec<_> = chk.columns().map(Column::field_type).collect();
    let schema = Arc::new(export_schema(&fields, opts)?);
    chunk_as(chk, &schema)
}

/// Exports `chk` into `schema` (see [`Chunk::into_record_batch_as`]).
pub(super) fn chunk_as(chk: Chunk, schema: &SchemaRef) -> Result<RecordBatch, Error> {
    let rows = check_chunk(&chk, schema)?;
    let owner = Owner::new(Held::Chunk(chk));
    batch(&owner, rows, schema)
}

/// What `chunk_as` checks before it takes the chunk: its rows, as every
/// column holds them.
pub(super) fn check_chunk(chk: &Chunk, schema: &SchemaRef) -> Result<usize, Error> {
    let rows = chk.equal_rows()?;
    if chk.sel().is_some() {
        return Err(Error::Arrow {
            column: None,
            reason: "the chunk has a selection vector; keep the selected rows in place first \
                     (Chunk::compact) or copy them out (Chunk::append_chunk into an empty chunk)",
            cause: None,
        });
    }
    let n = chk.num_cols();
    if schema.fields().len() != n {
        return Err(Error::Arrow {
            column: None,
            reason: "the schema has another number of fields than the chunk has columns",
            cause: None,
        });
    }
    Ok(rows)
}

/// The batch of the chunk `owner` holds, checked by [`check_chunk`].
pub(super) fn batch(
    owner: &Arc<Owner>,
    rows: usize,
    schema: &SchemaRef,
) -> Result<RecordBatch, Error> {
    let n = schema.fields().len();
    let arrays = (0..n)
        .map(|i| {
            let col = Pick::Chunk(i).column(owner.held());
            options_for(col.field_type(), schema.field(i), col.null_count() > 0)
                .and_then(|opts| array(owner, Pick::Chunk(i), &opts))
                .map_err(|e| at_column(e, i))
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new_with_options(
        Arc::clone(schema),
        arrays,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| arrow_err(None, e))
}

/// Exports a column on its own (see [`Column::into_array_with`]).
pub(super) fn column(col: Column, opts: &ExportOptions) -> Result<ArrayRef, Error> {
    let owner = Owner::new(Held::Column(col));
    array(&owner, Pick::Column, opts)
}

/// The array of one column.
fn array(owner: &Arc<Owner>, pick: Pick, opts: &ExportOptions) -> Result<ArrayRef, Error> {
    let col = pick.column(owner.held());
    let len = col.len();
    let field = col.field_type();
    let nulls = (col.null_count() > 0).then(|| {
        let bits = buffer(owner, |h| pick.column(h).null_bitmap());
        NullBuffer::new(BooleanBuffer::new(bits, 0, len))
    });
    let data = || buffer(owner, |h| pick.column(h).data());
    macro_rules! primitive {
        ($t:ty) => {
            Arc::new(
                PrimitiveArray::<$t>::try_new(ScalarBuffer::new(data(), 0, len), nulls)
                    .map_err(|e| arrow_err(None, e))?,
            ) as ArrayRef
        };
    }
    let array: ArrayRef = match field.logical() {
        LogicalType::Int8 => primitive!(Int8Type),
        LogicalType::Int16 => primitive!(Int16Type),
        LogicalType::Int32 => primitive!(Int32Type),
        LogicalType::Int64 | LogicalType::Date | LogicalType::Datetime | LogicalType::Timestamp => {
            primitive!(Int64Type)
        }
        LogicalType::UInt8 => primitive!(UInt8Type),
        LogicalType::UInt16 => primitive!(UInt16Type),
        LogicalType::UInt32 => primitive!(UInt32Type),
        LogicalType::UInt64 => primitive!(UInt64Type),
        LogicalType::Float32 => primitive!(Float32Type),
        LogicalType::Float64 => primitive!(Float64Type),
        LogicalType::Duration => primitive!(DurationNanosecondType),
        LogicalType::Bool => {
            // Stored a byte a row; arrow packs a bit a row: the one copy.
            let values = BooleanBuffer::from_iter(col.data().iter().map(|&b| b != 0));
            Arc::new(BooleanArray::new(values, nulls))
        }
        LogicalType::Decimal if decimal128_of(field, opts).is_some() => {
            let (p, s) = decimal128_of(field, opts).unwrap_or_default();
            decimal128(col, p, s, nulls)?
        }
        LogicalType::Decimal | LogicalType::FixedBytes(_) => {
            // Fixed width, at most MAX_ELEM_SIZE (1024) bytes: fits i32.
            let size = field.elem_size().unwrap_or(0) as i32;
            Arc::new(
                FixedSizeBinaryArray::try_new(size, data(), nulls)
                    .map_err(|e| arrow_err(None, e))?,
            )
        }
        LogicalType::Utf8 | LogicalType::Binary => var(owner, pick, opts, nulls)?,
    };
    debug_assert_eq!(array.data_type(), &arrow_type(field, opts));
    Ok(array)
}

/// A variable-width column: `i64` offsets as they are, or converted to
/// `i32` on request.
fn var(
    owner: &Arc<Owner>,
    pick: Pick,
    opts: &ExportOptions,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef, Error> {
    let col = pick.column(owner.held());
    let utf8 = col.field_type().logical() == LogicalType::Utf8;
    let values = buffer(owner, |h| pick.column(h).data());
    // Arrow checks UTF-8 (every row) as a string array is made; a Utf8
    // column can hold rows that are not, which is the one refusal expected.
    let err = |e| {
        if utf8 && (0..col.len()).any(|r| col.try_value_str(r).is_err()) {
            Error::Arrow {
                column: None,
                reason: "a row of a Utf8 column is not valid UTF-8",
                cause: Some(ArrowCause::new(&e)),
            }
        } else {
            arrow_err(None, e)
        }
    };
    if opts.small_offsets {
        let small = col
            .offsets()
            .iter()
            .map(|&o| i32::try_from(o))
            .collect::<Result<Vec<i32>, _>>()
            .map_err(|_| Error::Arrow {
                column: None,
                reason: "the data does not fit i32 offsets (leave small_offsets off)",
                cause: None,
            })?;
        let offsets = OffsetBuffer::new(ScalarBuffer::from(small));
        return bytes_array(col, offsets, values, nulls).map_err(err);
    }
    let offsets = buffer(owner, |h| bytemuck::cast_slice(pick.column(h).offsets()));
    let offsets = ScalarBuffer::<i64>::new(offsets, 0, col.len() + 1);
    debug_assert!(
        offsets[0] == 0 && offsets.windows(2).all(|w| w[0] <= w[1]),
        "a column's offsets rise from 0"
    );
    // A column's offsets start at 0 and never fall: they are private to
    // `Column`, and every write keeps them so (a row's end pushed after its
    // bytes, the bulk appends after checking theirs, row movement,
    // `compact`, truncation and reset; `compact` relies on it too). The
    // fuzz harness compares them with its model's after every step, and
    // debug builds check them above. Arrow's own builders finish their
    // offsets the same way, on their own invariant; `new`'s check, a
    // comparison and branch per offset, cost about 15% of making an
    // 8192-row batch from arrow arrays (`benches/fill.rs`).
    // SAFETY: what `OffsetBuffer::new` would check holds: `len + 1 >= 1`
    // offsets, the first 0, none below the one before (the invariant above).
    let offsets = unsafe { OffsetBuffer::new_unchecked(offsets) };
    bytes_array(col, offsets, values, nulls).map_err(err)
}

/// A string array of a `Utf8` column, a binary one of a `Binary` column,
/// with offsets of either width. Arrow checks a string array's UTF-8 only
/// when the column does not vouch for it.
///
/// Why skipping the check is sound: `try_new` would accept the parts.
/// `fits` checks its length rules, and the offsets are non-negative and
/// rising (checked by `OffsetBuffer::new`, or a column's own, see `var`). A vouched column's rows are
/// whole `&str`s back to back (see `Column::utf8_vouched`), so the values
/// are UTF-8 and every offset, the same numbers when converted to `i32`,
/// is on a char boundary.
fn bytes_array<O: OffsetSizeTrait>(
    col: &Column,
    offsets: OffsetBuffer<O>,
    values: Buffer,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef, ArrowError> {
    if col.field_type().logical() != LogicalType::Utf8 {
        return Ok(Arc::new(GenericBinaryArray::try_new(
            offsets, values, nulls,
        )?));
    }
    if col.utf8_vouched() && fits(&offsets, &values, nulls.as_ref()) {
        debug_assert!(
            std::str::from_utf8(&values).is_ok(),
            "a vouched column is UTF-8"
        );
        // SAFETY: `try_new` would accept these parts (see the doc above).
        return Ok(Arc::new(unsafe {
            GenericStringArray::new_unchecked(offsets, values, nulls)
        }));
    }
    Ok(Arc::new(GenericStringArray::try_new(
        offsets, values, nulls,
    )?))
}

/// The checks of arrow's `GenericByteArray::try_new` other than UTF-8 and
/// what `OffsetBuffer::new` checks: the offsets end within the values, and
/// the validity bitmap has a bit per row.
fn fits<O: OffsetSizeTrait>(
    offsets: &OffsetBuffer<O>,
    values: &Buffer,
    nulls: Option<&NullBuffer>,
) -> bool {
    let rows = offsets.len() - 1;
    // An `OffsetBuffer` is never empty: it holds at least the leading 0.
    // Indexed, not `last()`: arrow 60's inherent `last()` returns `&O`,
    // arrow 59 has none (the slice's gives an `Option`).
    offsets[rows].as_usize() <= values.len() && nulls.map_or(true, |n| n.len() == rows)
}

/// A `Decimal` column as `Decimal128(p, s)`: each value converted from
/// TiDB's layout (NULL rows as 0).
fn decimal128(col: &Column, p: u8, s: i8, nulls: Option<NullBuffer>) -> Result<ArrayRef, Error> {
    if !(1..=38).contains(&p) || !(0..=30).contains(&s) || s as u8 > p {
        return Err(Error::Arrow {
            column: None,
            reason:
                "Decimal128 needs a precision of 1 to 38 and a scale of 0 to min(precision, 30)",
            cause: None,
        });
    }
    let values = (0..col.len())
        .map(|r| {
            if col.is_null(r) {
                return Ok(0);
            }
            decimal::to_i128(col.get_fixed_bytes(r), p, s).map_err(|e| Error::Arrow {
                column: None,
                reason: match e {
                    decimal::Refusal::Overflow => {
                        "a Decimal value does not fit the Decimal128 precision"
                    }
                    decimal::Refusal::NotADecimal => "a Decimal row is not a TiDB decimal",
                },
                cause: None,
            })
        })
        .collect::<Result<Vec<i128>, Error>>()?;
    let array = PrimitiveArray::<Decimal128Type>::try_new(ScalarBuffer::from(values), nulls)
        .and_then(|a| a.with_precision_and_scale(p, s))
        .map_err(|e| arrow_err(None, e))?;
    Ok(Arc::new(array))
}
