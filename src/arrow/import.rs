//! Import: the rows of an arrow `RecordBatch` copied into a chunk, column
//! by column, all or nothing; or of one array into one column.

use super::{arrow_type, at_column, decimal, ExportOptions, LOGICAL_TYPE_KEY};
use crate::chunk::Chunk;
use crate::column::{Column, OffsetElem};
use crate::error::Error;
use crate::field::{FieldType, LogicalType};
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ByteArrayType, Decimal128Type, DurationNanosecondType, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{Array, ArrowPrimitiveType, GenericByteArray, RecordBatch};
use arrow_buffer::{BooleanBuffer, NullBuffer};
use arrow_schema::{DataType, Field, TimeUnit};
use std::borrow::Cow;

/// Why a `Decimal128` array does not go into a `Decimal` column.
const DECIMAL_SCALE: &str =
    "a Decimal128 scale below 0 or past 30 (TiDB's decimal holds 0 to 30 fraction digits)";

fn refused(column: Option<usize>, reason: &'static str) -> Error {
    Error::Arrow {
        column,
        reason,
        cause: None,
    }
}

/// The field type an arrow field imports as: the logical type its
/// metadata names (under [`LOGICAL_TYPE_KEY`]) when that type exports to
/// the field's arrow type, else the natural one for the arrow type.
pub(super) fn field_type_of(field: &Field) -> Result<FieldType, Error> {
    let dt = field.data_type();
    if let Some(named) = field.metadata().get(LOGICAL_TYPE_KEY) {
        if let Some(ty) = by_name(named).filter(|&ty| accepts(ty, dt)) {
            return Ok(ty);
        }
    }
    let ty = match dt {
        DataType::Int8 => FieldType::I8,
        DataType::Int16 => FieldType::I16,
        DataType::Int32 => FieldType::I32,
        DataType::Int64 => FieldType::I64,
        DataType::UInt8 => FieldType::U8,
        DataType::UInt16 => FieldType::U16,
        DataType::UInt32 => FieldType::U32,
        DataType::UInt64 => FieldType::U64,
        DataType::Float32 => FieldType::F32,
        DataType::Float64 => FieldType::F64,
        DataType::Boolean => FieldType::BOOL,
        DataType::Duration(TimeUnit::Nanosecond) => FieldType::DURATION,
        DataType::Utf8 | DataType::LargeUtf8 => FieldType::UTF8,
        DataType::Binary | DataType::LargeBinary => FieldType::BINARY,
        // Its precision and scale, where a decimal type holds them.
        DataType::Decimal128(p, s) => u8::try_from(*s)
            .ok()
            .and_then(|s| FieldType::decimal(*p, s).ok())
            .unwrap_or(FieldType::DECIMAL),
        DataType::FixedSizeBinary(n) => usize::try_from(*n)
            .ok()
            .and_then(|n| FieldType::fixed(n).ok())
            .ok_or_else(|| refused(None, "a FixedSizeBinary wider than 1024 bytes"))?,
        _ => return Err(refused(None, "an arrow type with no chunkpool column type")),
    };
    Ok(ty)
}

/// The field type a metadata value names (a `LogicalType`'s `Display`).
fn by_name(name: &str) -> Option<FieldType> {
    let ty = match name {
        "Int8" => FieldType::I8,
        "Int16" => FieldType::I16,
        "Int32" => FieldType::I32,
        "Int64" => FieldType::I64,
        "UInt8" => FieldType::U8,
        "UInt16" => FieldType::U16,
        "UInt32" => FieldType::U32,
        "UInt64" => FieldType::U64,
        "Float32" => FieldType::F32,
        "Float64" => FieldType::F64,
        "Bool" => FieldType::BOOL,
        "Date" => FieldType::DATE,
        "Datetime" => FieldType::DATETIME,
        "Timestamp" => FieldType::TIMESTAMP,
        "Duration" => FieldType::DURATION,
        "Decimal" => FieldType::DECIMAL,
        "Utf8" => FieldType::UTF8,
        "Binary" => FieldType::BINARY,
        _ => {
            if let Some(ps) = name.strip_prefix("Decimal(") {
                let (p, s) = ps.strip_suffix(')')?.split_once(", ")?;
                return FieldType::decimal(p.parse().ok()?, s.parse().ok()?).ok();
            }
            let n = name.strip_prefix("FixedBytes(")?.strip_suffix(')')?;
            return FieldType::fixed(n.parse().ok()?).ok();
        }
    };
    Some(ty)
}

/// Whether an array of `dt` goes into a column of `ty`: `dt` is what the
/// column exports as, with either offset width; or, for a decimal
/// column, its 40 bytes as they are (`FixedSizeBinary(40)`), or any
/// `Decimal128` when the column's type states no precision.
fn accepts(ty: FieldType, dt: &DataType) -> bool {
    *dt == arrow_type(ty, &ExportOptions::new())
        || *dt == arrow_type(ty, &ExportOptions::new().small_offsets(true))
        || (ty.logical() == LogicalType::Decimal && *dt == DataType::FixedSizeBinary(40))
        || (ty == FieldType::DECIMAL && matches!(dt, DataType::Decimal128(..)))
}

/// Appends every row of `batch` to `chk` (see
/// [`Chunk::try_append_record_batch`]).
pub(super) fn append(chk: &mut Chunk, batch: &RecordBatch) -> Result<(), Error> {
    chk.equal_rows()?;
    if batch.num_columns() != chk.num_cols() {
        return Err(refused(
            None,
            "the batch has a different number of columns than the chunk",
        ));
    }
    for (i, a) in batch.columns().iter().enumerate() {
        check_type(chk.try_column_mut(i)?.field_type(), a.data_type())
            .map_err(|e| at_column(e, i))?;
    }
    let (before, rows) = (chk.physical_rows(), batch.num_rows());
    // The rows join the selection, as `Chunk::append_chunk`'s do.
    chk.reserve_sel(before, rows)?;
    let marks: Vec<_> = (0..chk.num_cols()).map(|i| chk.column(i).mark()).collect();
    for (i, a) in batch.columns().iter().enumerate() {
        let col = chk.try_column_mut(i)?;
        if let Err(e) = extend(col, a.as_ref()) {
            for (j, m) in marks.into_iter().enumerate().take(i + 1) {
                chk.try_column_mut(j)?.rollback(m);
            }
            return Err(at_column(e, i));
        }
    }
    chk.rows_appended(before, rows);
    Ok(())
}

/// Why an array of `dt` cannot go into a column of `ty`, if it cannot.
fn check_type(ty: FieldType, dt: &DataType) -> Result<(), Error> {
    if !accepts(ty, dt) {
        return Err(refused(
            None,
            "the array's arrow type does not go into this column's type",
        ));
    }
    match dt {
        DataType::Decimal128(_, scale) if !(0..=30).contains(scale) => {
            Err(refused(None, DECIMAL_SCALE))
        }
        _ => Ok(()),
    }
}

/// Appends every row of `a` to `col` (see [`Column::try_extend_from_array`]).
pub(super) fn extend_column(col: &mut Column, a: &dyn Array) -> Result<(), Error> {
    check_type(col.field_type(), a.data_type())?;
    let mark = col.mark();
    let r = extend(col, a);
    if r.is_err() {
        col.rollback(mark);
    }
    r
}

/// Appends the rows of `a` (of a type the column accepts) to `col`.
fn extend(col: &mut Column, a: &dyn Array) -> Result<(), Error> {
    fn primitive<T: ArrowPrimitiveType>(col: &mut Column, a: &dyn Array) -> Result<(), Error>
    where
        T::Native: crate::FixedElem,
    {
        let p = a.as_primitive::<T>();
        let validity = p.nulls().filter(|n| n.null_count() > 0);
        col.try_extend_from_parts(p.values(), bits(validity).as_deref())
    }
    match a.data_type() {
        DataType::Int8 => primitive::<Int8Type>(col, a),
        DataType::Int16 => primitive::<Int16Type>(col, a),
        DataType::Int32 => primitive::<Int32Type>(col, a),
        DataType::Int64 => primitive::<Int64Type>(col, a),
        DataType::UInt8 => primitive::<UInt8Type>(col, a),
        DataType::UInt16 => primitive::<UInt16Type>(col, a),
        DataType::UInt32 => primitive::<UInt32Type>(col, a),
        DataType::UInt64 => primitive::<UInt64Type>(col, a),
        DataType::Float32 => primitive::<Float32Type>(col, a),
        DataType::Float64 => primitive::<Float64Type>(col, a),
        DataType::Duration(TimeUnit::Nanosecond) => primitive::<DurationNanosecondType>(col, a),
        DataType::Boolean => {
            let b = a.as_boolean();
            let validity = bits(b.nulls().filter(|n| n.null_count() > 0));
            let values = packed(b.values());
            col.try_extend_bools_from_parts(&values, b.len(), validity.as_deref())
        }
        DataType::FixedSizeBinary(_) => {
            let f = a.as_fixed_size_binary();
            for r in 0..f.len() {
                if f.is_null(r) {
                    col.try_append_null()?;
                } else {
                    col.try_append_fixed_bytes(f.value(r))?;
                }
            }
            Ok(())
        }
        DataType::Decimal128(_, scale) => {
            let d = a.as_primitive::<Decimal128Type>();
            for v in d.iter() {
                match v {
                    None => col.try_append_null()?,
                    Some(v) => {
                        let bytes = decimal::from_i128(v, *scale)
                            .map_err(|_| refused(None, DECIMAL_SCALE))?;
                        col.try_append_fixed_bytes(&bytes)?;
                    }
                }
            }
            Ok(())
        }
        DataType::LargeUtf8 => byte_rows(col, a.as_string::<i64>(), true),
        DataType::Utf8 => byte_rows(col, a.as_string::<i32>(), true),
        DataType::LargeBinary => byte_rows(col, a.as_binary::<i64>(), false),
        DataType::Binary => byte_rows(col, a.as_binary::<i32>(), false),
        _ => Err(refused(None, "an arrow type with no chunkpool column type")),
    }
}

/// A validity bitmap as bits from bit 0 (arrow's may start mid-byte in a
/// sliced array: then it is copied into place).
fn bits(nulls: Option<&NullBuffer>) -> Option<Cow<'_, [u8]>> {
    nulls.map(|n| packed(n.inner()))
}

/// A packed bit buffer as bits from bit 0 (copied into place when it
/// starts mid-byte).
fn packed(b: &BooleanBuffer) -> Cow<'_, [u8]> {
    if b.offset() % 8 == 0 {
        let start = b.offset() / 8;
        Cow::Borrowed(&b.values()[start..start + b.len().div_ceil(8)])
    } else {
        let mut out = vec![0u8; b.len().div_ceil(8)];
        for i in b.set_indices() {
            out[i / 8] |= 1 << (i % 8);
        }
        Cow::Owned(out)
    }
}

/// A byte array's rows (`utf8`: a string array's) in one bulk append:
/// bytes and offsets copied whole, on the word of arrow's own checks of
/// the array (a string column keeps vouching for UTF-8).
fn byte_rows<T: ByteArrayType>(
    col: &mut Column,
    a: &GenericByteArray<T>,
    utf8: bool,
) -> Result<(), Error>
where
    T::Offset: OffsetElem,
{
    let validity = bits(a.nulls().filter(|n| n.null_count() > 0));
    col.extend_arrow_parts(a.value_offsets(), a.values(), validity.as_deref(), utf8)
}
