//! Apache Arrow interop (feature `arrow`, arrow-rs 59 or 60): pooled chunks
//! leave as [`RecordBatch`]es without a copy and come home when arrow lets
//! go.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | the public calls, [`ExportOptions`], and which arrow type each logical type becomes |
//! | `owner.rs` | what keeps exported buffers alive and sends them home (`unsafe`: an arrow buffer over a column's memory) |
//! | `export.rs` | building arrow arrays over a column's buffers (`unsafe`: a string array built without arrow's UTF-8 check, which the column vouches for, and its offsets, which rise by the column's invariant) |
//! | `import.rs` | copying a `RecordBatch`'s rows into a chunk |
//! | `decimal.rs` | TiDB's 40-byte decimal to and from `Decimal128` |
//!
//! What a user sees (types, memory) is in the crate docs' "Arrow" section.

#[cfg(feature = "arrow-pool")]
mod claim;
mod decimal;
mod export;
mod import;
mod owner;

use crate::alloc::ChunkAllocator;
use crate::chunk::Chunk;
use crate::column::Column;
use crate::error::{fail, Error};
use crate::field::{FieldType, LogicalType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use std::collections::HashMap;

/// The field metadata key that names a column's logical type.
///
/// ```
/// # use chunkpool::{Chunk, FieldType};
/// let batch = Chunk::new(&[FieldType::DATE], 1, 1).into_record_batch()?;
/// let meta = batch.schema().field(0).metadata().clone();
/// assert_eq!(meta[chunkpool::LOGICAL_TYPE_KEY], "Date");
/// # Ok::<(), chunkpool::Error>(())
/// ```
pub const LOGICAL_TYPE_KEY: &str = "chunkpool.logical_type";

/// How [`Chunk::into_record_batch_with`] and [`Column::into_array_with`]
/// export.
///
/// ```
/// use chunkpool::{Chunk, ExportOptions, FieldType};
///
/// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 2, 2);
/// chk.column_mut(0).append_i64(1);
/// chk.column_mut(1).append_str("a");
/// let opts = ExportOptions::new().names(["id", "name"]).small_offsets(true);
/// let batch = chk.into_record_batch_with(&opts)?;
/// assert_eq!(batch.schema().field(1).name(), "name");
/// assert_eq!(batch.column(1).data_type(), &arrow_schema::DataType::Utf8);
/// # Ok::<(), chunkpool::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    names: Option<Vec<String>>,
    small_offsets: bool,
    decimal128: Option<(u8, i8)>,
}

impl ExportOptions {
    /// The defaults: columns named `c0`, `c1`, …; `i64` offsets
    /// (`LargeUtf8` / `LargeBinary`).
    ///
    /// ```
    /// # use chunkpool::{Chunk, ExportOptions, FieldType};
    /// let batch = Chunk::new(&[FieldType::UTF8], 1, 1)
    ///     .into_record_batch_with(&ExportOptions::new())?;
    /// assert_eq!(batch.schema().field(0).name(), "c0");
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn new() -> ExportOptions {
        ExportOptions::default()
    }

    /// Names the columns, in order; there must be one name per column.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, ExportOptions, FieldType};
    /// let chk = Chunk::new(&[FieldType::I64, FieldType::F64], 1, 1);
    /// let err = chk.into_record_batch_with(&ExportOptions::new().names(["x"]));
    /// assert!(matches!(err, Err(Error::Arrow { .. })));
    /// ```
    #[must_use]
    pub fn names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> ExportOptions {
        self.names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Exports `Utf8` / `Binary` columns as arrow `Utf8` / `Binary`, with
    /// `i32` offsets converted from the column's `i64` ones (a copy of the
    /// offsets; the data is still shared). A column of more than
    /// `i32::MAX` bytes then fails to export.
    ///
    /// ```
    /// # use chunkpool::{Column, ExportOptions, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 1);
    /// c.append_bytes(b"\x00");
    /// let array = c.into_array_with(&ExportOptions::new().small_offsets(true))?;
    /// assert_eq!(array.data_type(), &arrow_schema::DataType::Binary);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn small_offsets(mut self, on: bool) -> ExportOptions {
        self.small_offsets = on;
        self
    }

    /// Exports `Decimal` columns (TiDB's 40-byte `MyDecimal`) as arrow
    /// `Decimal128(precision, scale)` instead of `FixedSizeBinary(40)`
    /// (a column whose type has a precision of at most 38,
    /// [`FieldType::decimal`], exports as `Decimal128` of its own precision
    /// and scale without this option; with it, of the option's):
    /// each value is converted (a copy of the values; the validity bitmap
    /// is still shared), rounded half away from zero to `scale` fraction
    /// digits. A value with more digits than `precision` allows, or 40
    /// bytes that are not a `MyDecimal`, fails the export. `precision` is
    /// 1 to 38; `scale` 0 to `precision`, and at most 30 (a `MyDecimal`'s
    /// most).
    ///
    /// ```
    /// use arrow_array::cast::AsArray;
    /// use arrow_array::types::Decimal128Type;
    /// use chunkpool::{Column, ExportOptions, FieldType};
    ///
    /// // 12.5 as TiDB lays it out: 2 integer digits, 1 fraction digit,
    /// // words [12] and [500000000].
    /// let mut bytes = [0u8; 40];
    /// (bytes[0], bytes[1], bytes[2]) = (2, 1, 1);
    /// bytes[4..8].copy_from_slice(&12i32.to_le_bytes());
    /// bytes[8..12].copy_from_slice(&500_000_000i32.to_le_bytes());
    /// let mut c = Column::new(FieldType::DECIMAL, 1);
    /// c.append_fixed_bytes(&bytes);
    /// let a = c.into_array_with(&ExportOptions::new().decimal128(10, 2))?;
    /// assert_eq!(a.as_primitive::<Decimal128Type>().value(0), 1250); // 12.50
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn decimal128(mut self, precision: u8, scale: i8) -> ExportOptions {
        self.decimal128 = Some((precision, scale));
        self
    }

    /// The column names for a chunk of `n` columns.
    fn names_for(&self, n: usize) -> Result<Vec<String>, Error> {
        match &self.names {
            None => Ok((0..n).map(|i| format!("c{i}")).collect()),
            Some(names) if names.len() == n => Ok(names.clone()),
            Some(_) => Err(Error::Arrow {
                column: None,
                reason: "the options name a different number of columns than the chunk has",
                cause: None,
            }),
        }
    }
}

/// The arrow type a column of `field` exports as.
///
/// ```
/// use arrow_schema::DataType;
/// use chunkpool::{arrow_type, ExportOptions, FieldType};
///
/// let opts = ExportOptions::new();
/// assert_eq!(arrow_type(FieldType::UTF8, &opts), DataType::LargeUtf8);
/// assert_eq!(arrow_type(FieldType::DECIMAL, &opts), DataType::FixedSizeBinary(40));
/// // A decimal's own precision and scale, where arrow's Decimal128 holds them.
/// let price = FieldType::decimal(4, 2).unwrap();
/// assert_eq!(arrow_type(price, &opts), DataType::Decimal128(4, 2));
/// let wide = FieldType::decimal(65, 30).unwrap();
/// assert_eq!(arrow_type(wide, &opts), DataType::FixedSizeBinary(40));
/// ```
#[must_use]
pub fn arrow_type(field: FieldType, opts: &ExportOptions) -> DataType {
    match field.logical() {
        LogicalType::Int8 => DataType::Int8,
        LogicalType::Int16 => DataType::Int16,
        LogicalType::Int32 => DataType::Int32,
        LogicalType::Int64 | LogicalType::Date | LogicalType::Datetime | LogicalType::Timestamp => {
            DataType::Int64
        }
        LogicalType::UInt8 => DataType::UInt8,
        LogicalType::UInt16 => DataType::UInt16,
        LogicalType::UInt32 => DataType::UInt32,
        LogicalType::UInt64 => DataType::UInt64,
        LogicalType::Float32 => DataType::Float32,
        LogicalType::Float64 => DataType::Float64,
        LogicalType::Duration => DataType::Duration(TimeUnit::Nanosecond),
        LogicalType::Bool => DataType::Boolean,
        LogicalType::Decimal => match decimal128_of(field, opts) {
            Some((p, s)) => DataType::Decimal128(p, s),
            None => DataType::FixedSizeBinary(40),
        },
        // At most MAX_ELEM_SIZE (1024) bytes: fits i32.
        LogicalType::FixedBytes(n) => DataType::FixedSizeBinary(n as i32),
        LogicalType::Utf8 if opts.small_offsets => DataType::Utf8,
        LogicalType::Binary if opts.small_offsets => DataType::Binary,
        LogicalType::Utf8 => DataType::LargeUtf8,
        LogicalType::Binary => DataType::LargeBinary,
    }
}

/// The `Decimal128` precision and scale a `Decimal` column of `field`
/// exports with: [`ExportOptions::decimal128`]'s when set, else the field
/// type's own when it has one arrow can hold (a precision up to 38);
/// `None` exports the 40 bytes as they are.
fn decimal128_of(field: FieldType, opts: &ExportOptions) -> Option<(u8, i8)> {
    match (opts.decimal128, field.decimal_precision_scale()) {
        (Some(ps), _) => Some(ps),
        // A scale is at most 30: fits `i8`.
        (None, Some((p, s))) if p <= 38 => Some((p, s as i8)),
        _ => None,
    }
}

/// Names column `i` in an [`Error::Arrow`] that names none.
fn at_column(e: Error, i: usize) -> Error {
    match e {
        Error::Arrow {
            column: None,
            reason,
            cause,
        } => Error::Arrow {
            column: Some(i),
            reason,
            cause,
        },
        other => other,
    }
}

/// The schema field of a column named `name` of `field`: nullable, with
/// its logical type in the metadata.
fn field_of(name: &str, field: FieldType, opts: &ExportOptions) -> Field {
    let meta = HashMap::from([(LOGICAL_TYPE_KEY.to_owned(), field.to_string())]);
    Field::new(name, arrow_type(field, opts), true).with_metadata(meta)
}

/// The schema [`Chunk::into_record_batch_with`] gives a chunk of columns
/// of `fields` under `opts`: one nullable field per column, named by
/// `opts`, typed by [`arrow_type`], with the logical type in the metadata.
/// Make it once and export many chunks into it with
/// [`Chunk::into_record_batch_as`].
///
/// ```
/// use arrow_schema::DataType;
/// use chunkpool::{export_schema, ExportOptions, FieldType};
///
/// let opts = ExportOptions::new().names(["id", "name"]);
/// let schema = export_schema(&[FieldType::I64, FieldType::UTF8], &opts)?;
/// assert_eq!(schema.field(1).name(), "name");
/// assert_eq!(schema.field(1).data_type(), &DataType::LargeUtf8);
/// # Ok::<(), chunkpool::Error>(())
/// ```
///
/// # Errors
/// [`Error::Arrow`] if `opts` names a different number of columns.
pub fn export_schema(fields: &[FieldType], opts: &ExportOptions) -> Result<Schema, Error> {
    let names = opts.names_for(fields.len())?;
    Ok(Schema::new(
        fields
            .iter()
            .zip(&names)
            .map(|(&f, name)| field_of(name, f, opts))
            .collect::<Vec<_>>(),
    ))
}

/// The options that export a column of `field` as `to`'s arrow type, if
/// any do, checking that a column with NULLs goes into a nullable field.
fn options_for(field: FieldType, to: &Field, nulls: bool) -> Result<ExportOptions, Error> {
    let mut opts = ExportOptions::new();
    match (field.logical(), to.data_type()) {
        (LogicalType::Utf8 | LogicalType::Binary, DataType::Utf8 | DataType::Binary) => {
            opts.small_offsets = true;
        }
        (LogicalType::Decimal, &DataType::Decimal128(p, s)) => opts.decimal128 = Some((p, s)),
        _ => {}
    }
    if arrow_type(field, &opts) != *to.data_type() {
        return Err(Error::Arrow {
            column: None,
            reason: "the schema's field has an arrow type this column does not export as",
            cause: None,
        });
    }
    if nulls && !to.is_nullable() {
        return Err(Error::Arrow {
            column: None,
            reason: "the schema's field is not nullable and the column holds NULLs",
            cause: None,
        });
    }
    Ok(opts)
}

impl Chunk {
    /// Exports the chunk as an arrow [`RecordBatch`] without copying its
    /// buffers (see the [crate docs](crate#arrow) for the types). The
    /// chunk goes back to its allocator when the last array, buffer or
    /// slice made from it is dropped. Columns are named `c0`, `c1`, …
    ///
    /// ```
    /// use arrow_array::cast::AsArray;
    /// use arrow_array::types::Int64Type;
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let mut chk = alloc.alloc(&[FieldType::I64], 4, 4);
    /// chk.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
    /// let batch = chk.into_record_batch()?;
    /// assert_eq!(batch.column(0).as_primitive::<Int64Type>().values(), &[1, 2, 3]);
    /// assert_eq!(alloc.stats().exported_chunks, 1);
    /// drop(batch); // the chunk goes home
    /// assert_eq!(alloc.stats().exported_chunks, 0);
    /// assert_eq!(alloc.stats().chunks_returned, 1);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::RaggedChunk`] if the columns differ in length;
    /// [`Error::Arrow`] if the chunk has a selection vector (keep the
    /// selected rows in place first with [`Chunk::compact`], or copy them
    /// out), or a `Utf8` column holds bytes that are
    /// not UTF-8. The chunk is dropped (and goes home) on error.
    pub fn into_record_batch(self) -> Result<RecordBatch, Error> {
        export::chunk(self, &ExportOptions::new())
    }

    /// Like [`Chunk::into_record_batch`], with names and offsets chosen by
    /// `opts`.
    ///
    /// ```
    /// # use chunkpool::{Chunk, ExportOptions, FieldType};
    /// let chk = Chunk::new(&[FieldType::I64], 1, 1);
    /// let batch = chk.into_record_batch_with(&ExportOptions::new().names(["id"]))?;
    /// assert_eq!(batch.schema().field(0).name(), "id");
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`Chunk::into_record_batch`]; [`Error::Arrow`] if `opts`
    /// names a different number of columns, or a column's data does not fit
    /// `i32` offsets under [`ExportOptions::small_offsets`].
    pub fn into_record_batch_with(self, opts: &ExportOptions) -> Result<RecordBatch, Error> {
        export::chunk(self, opts)
    }

    /// Like [`Chunk::into_record_batch`], into a schema made beforehand
    /// (by [`export_schema`], or by hand): the batch carries `schema`
    /// itself, so names, metadata and nullability are the schema's, and a
    /// scan that exports every batch into one schema builds it once. Each
    /// field's arrow type picks how its column exports: one
    /// [`arrow_type`] gives the column under some [`ExportOptions`]
    /// (`Utf8` or `LargeUtf8` for a `Utf8` column, `Decimal128(p, s)` or
    /// `FixedSizeBinary(40)` for a `Decimal` one).
    ///
    /// ```
    /// use arrow_schema::{DataType, Field, Schema};
    /// use chunkpool::{export_schema, Chunk, ExportOptions, FieldType};
    /// use std::sync::Arc;
    ///
    /// let types = [FieldType::I64, FieldType::UTF8];
    /// let schema = Arc::new(export_schema(&types, &ExportOptions::new())?);
    /// for k in 0..3 {
    ///     let mut chk = Chunk::new(&types, 2, 2);
    ///     chk.column_mut(0).append_i64(k);
    ///     chk.column_mut(1).append_str("x");
    ///     let batch = chk.into_record_batch_as(&schema)?;
    ///     assert!(Arc::ptr_eq(&batch.schema(), &schema));
    /// }
    /// // A schema written by hand: names, `i32` offsets, no NULLs allowed.
    /// let strict = Arc::new(Schema::new(vec![
    ///     Field::new("id", DataType::Int64, false),
    ///     Field::new("name", DataType::Utf8, false),
    /// ]));
    /// let mut chk = Chunk::new(&types, 2, 2);
    /// chk.column_mut(0).append_i64(1);
    /// chk.column_mut(1).append_null();
    /// assert!(chk.into_record_batch_as(&strict).is_err()); // a NULL name
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`Chunk::into_record_batch`]; [`Error::Arrow`] if the
    /// schema has another number of fields than the chunk has columns, a
    /// field's arrow type is not one its column exports as, a column with
    /// NULLs meets a non-nullable field, or a column's data does not fit
    /// the `i32` offsets a `Utf8` / `Binary` field asks for. The chunk is
    /// dropped (and goes home) on error.
    pub fn into_record_batch_as(self, schema: &SchemaRef) -> Result<RecordBatch, Error> {
        export::chunk_as(self, schema)
    }
}

impl Column {
    /// Exports the column as an arrow array without copying its buffers.
    /// A column on its own belongs to no allocator: its buffers are freed
    /// when arrow lets go of them. To send columns home, export the chunk.
    ///
    /// ```
    /// use arrow_array::cast::AsArray;
    /// use arrow_array::Array;
    /// use chunkpool::{Column, FieldType};
    ///
    /// let mut c = Column::new(FieldType::UTF8, 2);
    /// c.append_option_str(Some("a"));
    /// c.append_option_str(None);
    /// let array = c.into_array()?;
    /// let strings = array.as_string::<i64>();
    /// assert_eq!((strings.value(0), strings.is_null(1)), ("a", true));
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Arrow`] if a `Utf8` column holds bytes that are not UTF-8.
    pub fn into_array(self) -> Result<ArrayRef, Error> {
        export::column(self, &ExportOptions::new())
    }

    /// Like [`Column::into_array`], with offsets chosen by `opts` (its
    /// names are not used).
    ///
    /// ```
    /// # use chunkpool::{Column, ExportOptions, FieldType};
    /// let c = Column::new(FieldType::UTF8, 1);
    /// let array = c.into_array_with(&ExportOptions::new().small_offsets(true))?;
    /// assert_eq!(array.data_type(), &arrow_schema::DataType::Utf8);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`Column::into_array`]; [`Error::Arrow`] if the data does
    /// not fit `i32` offsets under [`ExportOptions::small_offsets`].
    pub fn into_array_with(self, opts: &ExportOptions) -> Result<ArrayRef, Error> {
        export::column(self, opts)
    }
}

impl Column {
    /// Appends every row of an arrow array, a copy: column-at-a-time
    /// filling from arrow data, as [`Chunk::append_record_batch`] does for
    /// a whole batch. The array's type is one this column exports as (see
    /// the crate docs' "Arrow" section; either offset width, a `Decimal`
    /// column also from `FixedSizeBinary(40)` and, without a precision,
    /// any `Decimal128`), and sliced arrays are read from their offset.
    ///
    /// What arrow checked when it built the array is not checked again:
    /// strings and bytes (their offsets rise within the values, a string
    /// array's rows are UTF-8) go in as one copy of the bytes, one pass
    /// over the offsets and one of the validity bits, fixed-width values
    /// as one copy; a `Utf8` column keeps vouching for its UTF-8. Compare
    /// [`Column::extend_str_from_parts`], which checks parts of unknown
    /// origin.
    ///
    /// ```
    /// use arrow_array::{Int64Array, LargeStringArray};
    /// use chunkpool::{Column, FieldType};
    ///
    /// let mut names = Column::new(FieldType::UTF8, 4);
    /// names.extend_from_array(&LargeStringArray::from(vec![Some("bolt"), None, Some("gear")]));
    /// assert_eq!(names.iter_str().collect::<Vec<_>>(), [Some("bolt"), None, Some("gear")]);
    ///
    /// let mut ids = Column::new(FieldType::I64, 4);
    /// ids.extend_from_array(&Int64Array::from(vec![1, 2, 3, 4, 5]).slice(1, 3));
    /// assert_eq!(ids.as_slice::<i64>(), &[2, 3, 4]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_from_array`]
    /// returns.
    #[track_caller]
    pub fn extend_from_array(&mut self, array: &dyn Array) {
        if let Err(e) = self.try_extend_from_array(array) {
            fail(e);
        }
    }

    /// Like [`Column::extend_from_array`], returning an error instead of
    /// panicking; on an error the column's rows are unchanged.
    ///
    /// ```
    /// use arrow_array::Float64Array;
    /// use chunkpool::{Column, Error, FieldType};
    ///
    /// let mut ids = Column::new(FieldType::I64, 4);
    /// let err = ids.try_extend_from_array(&Float64Array::from(vec![0.5])).unwrap_err();
    /// assert!(matches!(err, Error::Arrow { column: None, .. }));
    /// assert!(ids.is_empty());
    /// ```
    ///
    /// # Errors
    /// [`Error::Arrow`] (with no column number) when the array's type does
    /// not go into this column's type or is a `Decimal128` whose scale is
    /// not 0 to 30; [`Error::OutOfMemory`] when a buffer must grow and the
    /// allocator refuses; [`Error::OffsetOverflow`] past `i64::MAX` bytes.
    pub fn try_extend_from_array(&mut self, array: &dyn Array) -> Result<(), Error> {
        import::extend_column(self, array)
    }
}

/// The column type an arrow field imports as: the logical type its
/// metadata names under [`LOGICAL_TYPE_KEY`] (as an export writes it) when
/// that type exports to the field's arrow type; otherwise the natural one
/// (`Int64` for `Int64`, `Utf8` for `Utf8` and `LargeUtf8`, `fixed(n)` for
/// `FixedSizeBinary(n)`, [`FieldType::decimal`]`(p, s)` for
/// `Decimal128(p, s)` (plain `DECIMAL` when the scale is negative or past
/// 30), …).
///
/// ```
/// use arrow_schema::{DataType, Field};
/// use chunkpool::{field_type_of, FieldType, LOGICAL_TYPE_KEY};
///
/// let plain = Field::new("t", DataType::Int64, true);
/// assert_eq!(field_type_of(&plain)?, FieldType::I64);
/// let meta = std::collections::HashMap::from([(LOGICAL_TYPE_KEY.into(), "Date".into())]);
/// let date = plain.with_metadata(meta);
/// assert_eq!(field_type_of(&date)?, FieldType::DATE);
/// assert!(field_type_of(&Field::new("d", DataType::Date32, true)).is_err());
/// let price = Field::new("p", DataType::Decimal128(4, 2), true);
/// assert_eq!(field_type_of(&price)?, FieldType::decimal(4, 2)?);
/// # Ok::<(), chunkpool::Error>(())
/// ```
///
/// # Errors
/// [`Error::Arrow`] for an arrow type no column type exports as (such as
/// `Date32`, nested types, or `FixedSizeBinary` past 1024
/// bytes).
pub fn field_type_of(field: &Field) -> Result<FieldType, Error> {
    import::field_type_of(field)
}

impl Chunk {
    /// Appends every row of `batch` to the chunk, by copy (TiDB's
    /// `Append`, from arrow): sliced arrays, NULLs and both offset widths
    /// are taken as they are. An array goes into a column whose type
    /// exports as the array's arrow type (so an `Int64` array goes into an
    /// `Int64`, `Date`, `Datetime` or `Timestamp` column, a `Utf8` or
    /// `LargeUtf8` array into a `Utf8` column). As with
    /// [`Chunk::append_chunk`], rows appended to a chunk that has a
    /// selection join it, and a chunk without columns counts the batch's
    /// rows.
    ///
    /// ```
    /// use arrow_array::{Int64Array, RecordBatch, StringArray};
    /// use chunkpool::{Chunk, FieldType};
    /// use std::sync::Arc;
    ///
    /// let batch = RecordBatch::try_from_iter([
    ///     ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as _),
    ///     ("name", Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])) as _),
    /// ])
    /// .unwrap();
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 1024);
    /// chk.append_record_batch(&batch.slice(1, 2));
    /// assert_eq!(chk.column(0).as_slice::<i64>(), &[2, 3]);
    /// assert_eq!((chk.column(1).value_str(0), chk.column(1).value_str(1)), (None, Some("c")));
    ///
    /// chk.set_sel(Some(vec![1]));
    /// chk.append_record_batch(&batch.slice(0, 1));
    /// assert_eq!((chk.num_rows(), chk.sel()), (2, Some(&[1u32, 2][..])));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_append_record_batch`]
    /// returns.
    #[track_caller]
    pub fn append_record_batch(&mut self, batch: &RecordBatch) {
        if let Err(e) = self.try_append_record_batch(batch) {
            fail(e);
        }
    }

    /// Like [`Chunk::append_record_batch`], returning an error instead of
    /// panicking. On error the chunk is unchanged.
    ///
    /// ```
    /// use arrow_array::{Float64Array, RecordBatch};
    /// use chunkpool::{Chunk, Error, FieldType};
    /// use std::sync::Arc;
    ///
    /// let batch = RecordBatch::try_from_iter([("x", Arc::new(Float64Array::from(vec![0.5])) as _)])
    ///     .unwrap();
    /// let mut ints = Chunk::new(&[FieldType::I64], 4, 4);
    /// let err = ints.try_append_record_batch(&batch).unwrap_err();
    /// assert!(matches!(err, Error::Arrow { column: Some(0), .. }));
    /// assert_eq!(ints.num_rows(), 0);
    /// ```
    ///
    /// # Errors
    /// [`Error::Arrow`] if the batch has another number of columns or an
    /// array's type does not go into its column; [`Error::RaggedChunk`] and
    /// [`Error::SharedColumn`] as for [`Chunk::append_rows`];
    /// [`Error::RowOutOfRange`] when the chunk has a selection and a new
    /// row's index would not fit its `u32`; [`Error::OutOfMemory`] when a
    /// buffer must grow and the allocator refuses.
    pub fn try_append_record_batch(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        import::append(self, batch)
    }

    /// A chunk from `alloc` holding a copy of `batch`'s rows, with one
    /// column per field, typed by [`field_type_of`], and room for the
    /// batch's rows (at least 1).
    ///
    /// ```
    /// use arrow_array::{Int32Array, RecordBatch};
    /// use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator};
    /// use std::sync::Arc;
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let batch = RecordBatch::try_from_iter([("n", Arc::new(Int32Array::from(vec![7, 8])) as _)])
    ///     .unwrap();
    /// let chk = Chunk::from_record_batch(&alloc, &batch);
    /// assert!(chk.is_pooled());
    /// assert_eq!(chk.column(0).field_type(), FieldType::I32);
    /// assert_eq!(chk.column(0).as_slice::<i32>(), &[7, 8]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_from_record_batch`]
    /// returns.
    #[track_caller]
    #[must_use]
    pub fn from_record_batch<A: ChunkAllocator + ?Sized>(alloc: &A, batch: &RecordBatch) -> Chunk {
        match Chunk::try_from_record_batch(alloc, batch) {
            Ok(chk) => chk,
            Err(e) => fail(e),
        }
    }

    /// Like [`Chunk::from_record_batch`], returning an error instead of
    /// panicking. A chunk allocated before the error goes back to `alloc`.
    ///
    /// ```
    /// use arrow_array::{Date32Array, RecordBatch};
    /// use chunkpool::{Chunk, Error, LockFreeAllocator};
    /// use std::sync::Arc;
    ///
    /// let batch = RecordBatch::try_from_iter([("d", Arc::new(Date32Array::from(vec![1])) as _)])
    ///     .unwrap();
    /// let err = Chunk::try_from_record_batch(&LockFreeAllocator::new(), &batch).unwrap_err();
    /// assert!(matches!(err, Error::Arrow { column: Some(0), .. }));
    /// ```
    ///
    /// # Errors
    /// [`Error::Arrow`] for a field [`field_type_of`] refuses (naming its
    /// column); those of [`ChunkAllocator::try_alloc`] and
    /// [`Chunk::try_append_record_batch`].
    pub fn try_from_record_batch<A: ChunkAllocator + ?Sized>(
        alloc: &A,
        batch: &RecordBatch,
    ) -> Result<Chunk, Error> {
        let fields = batch
            .schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| import::field_type_of(f).map_err(|e| at_column(e, i)))
            .collect::<Result<Vec<_>, _>>()?;
        let rows = batch.num_rows().max(1);
        let mut chk = alloc.try_alloc(&fields, rows, rows)?;
        chk.try_append_record_batch(batch)?;
        Ok(chk)
    }
}
