//! A column's type: its logical type (what the values mean and which typed
//! accessors read them) and the physical shape that follows from it
//! (fixed-width elements of some size, or variable-width byte strings).

use crate::error::Error;
use std::fmt;

/// The largest element size a fixed-width column may have, in bytes.
///
/// TiDB uses 1 to 8 and 40 (its decimal); anything up to this bound is
/// accepted as raw bytes ([`FieldType::fixed`]).
///
/// ```
/// # use chunkpool::{FieldType, MAX_ELEM_SIZE};
/// assert!(FieldType::fixed(MAX_ELEM_SIZE).is_ok());
/// assert!(FieldType::fixed(MAX_ELEM_SIZE + 1).is_err());
/// ```
pub const MAX_ELEM_SIZE: usize = 1024;

/// The tag of each logical type inside a [`FieldType`]. 0 is raw bytes, so
/// a tag below 32 is a bit of a [`FixedElem`](crate::FixedElem)'s mask of
/// accepted types.
pub(crate) mod tag {
    pub(crate) const FIXED_BYTES: u8 = 0;
    pub(crate) const INT8: u8 = 1;
    pub(crate) const INT16: u8 = 2;
    pub(crate) const INT32: u8 = 3;
    pub(crate) const INT64: u8 = 4;
    pub(crate) const UINT8: u8 = 5;
    pub(crate) const UINT16: u8 = 6;
    pub(crate) const UINT32: u8 = 7;
    pub(crate) const UINT64: u8 = 8;
    pub(crate) const FLOAT32: u8 = 9;
    pub(crate) const FLOAT64: u8 = 10;
    pub(crate) const BOOL: u8 = 11;
    pub(crate) const DATE: u8 = 12;
    pub(crate) const DATETIME: u8 = 13;
    pub(crate) const TIMESTAMP: u8 = 14;
    pub(crate) const DURATION: u8 = 15;
    pub(crate) const DECIMAL: u8 = 16;
    pub(crate) const UTF8: u8 = 17;
    pub(crate) const BINARY: u8 = 18;

    /// The mask bit of `tag`.
    pub(crate) const fn bit(tag: u8) -> u32 {
        1 << tag
    }
}

/// What the values of a column mean: the logical side of a [`FieldType`].
///
/// Each logical type has one physical shape, given in its description
/// (the size TiDB's chunk format stores it in), except
/// [`FixedBytes`](LogicalType::FixedBytes), raw elements of any size. The
/// typed accessors of [`Column`](crate::Column) check the logical type,
/// not only the size: an `f64` is not an `Int64`. The
/// [`FixedElem`](crate::FixedElem) docs give which Rust type reads and
/// writes which logical type.
///
/// Non-exhaustive: more logical types may come (a match needs a `_` arm).
///
/// ```
/// use chunkpool::{FieldType, LogicalType};
///
/// assert_eq!(FieldType::I64.logical(), LogicalType::Int64);
/// assert_eq!(FieldType::fixed(16)?.logical(), LogicalType::FixedBytes(16));
/// assert_eq!(FieldType::new(LogicalType::Float64)?, FieldType::F64);
/// assert_eq!(LogicalType::Utf8.to_string(), "Utf8");
/// # Ok::<(), chunkpool::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LogicalType {
    /// Signed 8-bit integers: 1 byte, read as `i8`.
    Int8,
    /// Signed 16-bit integers: 2 bytes, read as `i16`.
    Int16,
    /// Signed 32-bit integers: 4 bytes, read as `i32`.
    Int32,
    /// Signed 64-bit integers: 8 bytes, read as `i64`.
    Int64,
    /// Unsigned 8-bit integers: 1 byte, read as `u8`.
    UInt8,
    /// Unsigned 16-bit integers: 2 bytes, read as `u16`.
    UInt16,
    /// Unsigned 32-bit integers: 4 bytes, read as `u32`.
    UInt32,
    /// Unsigned 64-bit integers: 8 bytes, read as `u64`.
    UInt64,
    /// 32-bit floats: 4 bytes, read as `f32`.
    Float32,
    /// 64-bit floats: 8 bytes, read as `f64`.
    Float64,
    /// Booleans: 1 byte, 0 or 1, written as `bool` (`append_bool`,
    /// `extend_bools`) and read as `bool` (`get_bool`) or as the `u8` it
    /// is stored as.
    Bool,
    /// A date: TiDB's 8-byte packed time, read as `i64` (its bits).
    Date,
    /// A date and time: TiDB's 8-byte packed time, read as `i64`.
    Datetime,
    /// A timestamp: TiDB's 8-byte packed time, read as `i64`.
    Timestamp,
    /// A time span: 8 bytes of signed nanoseconds (TiDB's duration), read
    /// as `i64`.
    Duration,
    /// TiDB's fixed-point decimal: 40 opaque bytes, read and written as raw
    /// bytes (`append_fixed_bytes` / `get_fixed_bytes` /
    /// `fixed_bytes_mut`). A field type may add a precision and scale
    /// ([`FieldType::decimal`]); the logical type is `Decimal` either way.
    Decimal,
    /// UTF-8 text (TiDB's varchar, char, text): variable width.
    Utf8,
    /// Byte strings (TiDB's blob, binary, JSON, ...): variable width.
    Binary,
    /// Raw fixed-size elements of this many bytes (1 to
    /// [`MAX_ELEM_SIZE`]), read and written only as raw bytes.
    FixedBytes(usize),
}

impl LogicalType {
    /// The name `Debug` and `Display` print: `Int64`, `Utf8`,
    /// `FixedBytes(16)`, ...
    fn fmt_name(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            LogicalType::Int8 => "Int8",
            LogicalType::Int16 => "Int16",
            LogicalType::Int32 => "Int32",
            LogicalType::Int64 => "Int64",
            LogicalType::UInt8 => "UInt8",
            LogicalType::UInt16 => "UInt16",
            LogicalType::UInt32 => "UInt32",
            LogicalType::UInt64 => "UInt64",
            LogicalType::Float32 => "Float32",
            LogicalType::Float64 => "Float64",
            LogicalType::Bool => "Bool",
            LogicalType::Date => "Date",
            LogicalType::Datetime => "Datetime",
            LogicalType::Timestamp => "Timestamp",
            LogicalType::Duration => "Duration",
            LogicalType::Decimal => "Decimal",
            LogicalType::Utf8 => "Utf8",
            LogicalType::Binary => "Binary",
            LogicalType::FixedBytes(n) => return write!(f, "FixedBytes({n})"),
        };
        f.write_str(name)
    }
}

impl fmt::Display for LogicalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_name(f)
    }
}

/// The type of one column: a [`LogicalType`] and the physical shape it is
/// stored in.
///
/// The logical type decides which typed accessors a column accepts and
/// which cached chunks a request may get (a chunk has exactly the types
/// asked for). The physical shape is what the pool recycles by: a
/// fixed-width column stores every row in `elem_size` bytes (a NULL still
/// occupies one element); a variable-width column stores byte strings with
/// an offsets array of `rows + 1` entries. Loose columns are cached per
/// physical size class, so an `Int64` column's buffers serve a later
/// `Float64` request (retyped with [`Column::reset_as`](crate::Column::reset_as)).
///
/// | constant | logical type | bytes a row |
/// |---|---|---|
/// | [`I8`](Self::I8), [`U8`](Self::U8), [`BOOL`](Self::BOOL) | `Int8`, `UInt8`, `Bool` | 1 |
/// | [`I16`](Self::I16), [`U16`](Self::U16) | `Int16`, `UInt16` | 2 |
/// | [`I32`](Self::I32), [`U32`](Self::U32), [`F32`](Self::F32) | `Int32`, `UInt32`, `Float32` | 4 |
/// | [`I64`](Self::I64), [`U64`](Self::U64), [`F64`](Self::F64) | `Int64`, `UInt64`, `Float64` | 8 |
/// | [`DATE`](Self::DATE), [`DATETIME`](Self::DATETIME), [`TIMESTAMP`](Self::TIMESTAMP) | TiDB's packed time | 8 |
/// | [`DURATION`](Self::DURATION) | nanoseconds | 8 |
/// | [`DECIMAL`](Self::DECIMAL), [`decimal(p, s)`](Self::decimal) | TiDB's decimal (with a precision and scale) | 40 |
/// | [`UTF8`](Self::UTF8), [`BINARY`](Self::BINARY) (alias [`VAR`](Self::VAR)) | strings | variable |
/// | [`fixed(n)`](Self::fixed) | `FixedBytes(n)`, raw | `n` |
///
/// Four bytes, compared as one word: the pool's layout checks cost what
/// they did when a type was only a size.
///
/// ```
/// use chunkpool::{FieldType, LogicalType};
///
/// assert_eq!(FieldType::I64.elem_size(), Some(8));
/// assert_eq!(FieldType::DECIMAL.elem_size(), Some(40));
/// assert_eq!(FieldType::UTF8.elem_size(), None);
/// assert_eq!(FieldType::fixed(16)?.elem_size(), Some(16));
/// assert!(FieldType::fixed(0).is_err());
/// // Same size, different types.
/// assert_ne!(FieldType::I64, FieldType::F64);
/// assert_eq!(format!("{:?}", FieldType::I64), "Int64");
/// assert_eq!(FieldType::VAR, FieldType::BINARY);
/// assert_eq!(FieldType::DATE.logical(), LogicalType::Date);
/// # Ok::<(), chunkpool::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldType {
    /// Bits 0..11: element size in bytes (at most [`MAX_ELEM_SIZE`]), 0
    /// for variable width. Bits 11..16: a decimal's scale. Bits 16..24:
    /// the logical type's tag (see [`tag`]). Bits 24..31: a decimal's
    /// precision, 0 for a decimal without one and for every other type.
    /// One word, so equality is one comparison.
    bits: u32,
}

/// Bits of [`FieldType`]'s word that hold the element size.
const SIZE_MASK: u32 = 0x7ff;
/// Where a decimal's scale and precision sit in the word.
const SCALE_SHIFT: u32 = 11;
const PRECISION_SHIFT: u32 = 24;
/// The largest decimal precision (MySQL's and TiDB's `DECIMAL(65, s)`).
const MAX_PRECISION: u8 = 65;
/// The largest decimal scale (TiDB's `MyDecimal` holds 30 fraction
/// digits).
const MAX_SCALE: u8 = 30;

impl FieldType {
    const fn make(tag: u8, size: usize) -> FieldType {
        FieldType {
            bits: (tag as u32) << 16 | size as u32,
        }
    }

    /// `Decimal(precision, scale)`: TiDB's 40-byte decimal, as
    /// [`FieldType::DECIMAL`], with the precision (total digits, 1 to 65)
    /// and scale (fraction digits, 0 to 30 and at most `precision`) of a
    /// SQL `DECIMAL(p, s)` column kept in the type, so a `decimal(4,2)`
    /// column reads back as one ([`FieldType::decimal_precision_scale`])
    /// and exports to arrow as `Decimal128(4, 2)`.
    ///
    /// The precision and scale are part of the type: two decimal types
    /// that differ in them are different types (a chunk of one is never
    /// handed out for the other), though their columns share the 40-byte
    /// buffers a pool keeps loose, as `Int64` and `Float64` ones do. The
    /// values stay TiDB's opaque 40 bytes
    /// ([`Column::append_fixed_bytes`](crate::Column::append_fixed_bytes),
    /// [`Column::fixed_bytes_mut`](crate::Column::fixed_bytes_mut)): their
    /// digits are checked against the precision only where they are
    /// converted (an export as `Decimal128`).
    ///
    /// ```
    /// # use chunkpool::{FieldType, LogicalType};
    /// let price = FieldType::decimal(4, 2)?;
    /// assert_eq!(price.decimal_precision_scale(), Some((4, 2)));
    /// assert_eq!(price.logical(), LogicalType::Decimal);
    /// assert_eq!(price.elem_size(), Some(40));
    /// assert_eq!(price.to_string(), "Decimal(4, 2)");
    /// assert_ne!(price, FieldType::DECIMAL);
    /// assert_ne!(price, FieldType::decimal(5, 2)?);
    /// assert!(FieldType::decimal(4, 5).is_err()); // more fraction digits than digits
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidDecimal`] unless `1 <= precision <= 65` and
    /// `scale <= min(precision, 30)`.
    pub const fn decimal(precision: u8, scale: u8) -> Result<FieldType, Error> {
        if precision == 0 || precision > MAX_PRECISION || scale > MAX_SCALE || scale > precision {
            return Err(Error::InvalidDecimal { precision, scale });
        }
        Ok(FieldType {
            bits: FieldType::DECIMAL.bits
                | (precision as u32) << PRECISION_SHIFT
                | (scale as u32) << SCALE_SHIFT,
        })
    }

    /// The precision and scale of a decimal type made with
    /// [`FieldType::decimal`]; `None` for [`FieldType::DECIMAL`] (a
    /// decimal of no stated precision) and every other type.
    ///
    /// ```
    /// # use chunkpool::FieldType;
    /// assert_eq!(FieldType::decimal(65, 30)?.decimal_precision_scale(), Some((65, 30)));
    /// assert_eq!(FieldType::DECIMAL.decimal_precision_scale(), None);
    /// assert_eq!(FieldType::I64.decimal_precision_scale(), None);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub const fn decimal_precision_scale(self) -> Option<(u8, u8)> {
        match (self.bits >> PRECISION_SHIFT) as u8 {
            0 => None,
            p => Some((p, ((self.bits >> SCALE_SHIFT) & 0x1f) as u8)),
        }
    }

    /// `Int8`: 1-byte signed integers (`i8`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I8, 4);
    /// c.append_i8(-8);
    /// assert_eq!(c.get_i8(0), -8);
    /// ```
    pub const I8: FieldType = FieldType::make(tag::INT8, 1);
    /// `Int16`: 2-byte signed integers (`i16`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I16, 4);
    /// c.append_i16(-16_000);
    /// assert_eq!(c.get_i16(0), -16_000);
    /// ```
    pub const I16: FieldType = FieldType::make(tag::INT16, 2);
    /// `Int32`: 4-byte signed integers (`i32`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I32, 4);
    /// c.append_i32(-32);
    /// assert_eq!(c.get_i32(0), -32);
    /// ```
    pub const I32: FieldType = FieldType::make(tag::INT32, 4);
    /// `Int64`: 8-byte signed integers (`i64`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// c.append_i64(-64);
    /// assert_eq!(c.get_i64(0), -64);
    /// ```
    pub const I64: FieldType = FieldType::make(tag::INT64, 8);
    /// `UInt8`: 1-byte unsigned integers (`u8`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::U8, 4);
    /// c.append_u8(8);
    /// assert_eq!(c.get_u8(0), 8);
    /// ```
    pub const U8: FieldType = FieldType::make(tag::UINT8, 1);
    /// `UInt16`: 2-byte unsigned integers (`u16`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::U16, 4);
    /// c.append_u16(16_000);
    /// assert_eq!(c.get_u16(0), 16_000);
    /// ```
    pub const U16: FieldType = FieldType::make(tag::UINT16, 2);
    /// `UInt32`: 4-byte unsigned integers (`u32`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::U32, 4);
    /// c.append_u32(32);
    /// assert_eq!(c.get_u32(0), 32);
    /// ```
    pub const U32: FieldType = FieldType::make(tag::UINT32, 4);
    /// `UInt64`: 8-byte unsigned integers (`u64`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::U64, 4);
    /// c.append_u64(u64::MAX);
    /// assert_eq!(c.get_u64(0), u64::MAX);
    /// ```
    pub const U64: FieldType = FieldType::make(tag::UINT64, 8);
    /// `Float32`: 4-byte floats (`f32`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::F32, 4);
    /// c.append_f32(0.5);
    /// assert_eq!(c.get_f32(0), 0.5);
    /// ```
    pub const F32: FieldType = FieldType::make(tag::FLOAT32, 4);
    /// `Float64`: 8-byte floats (`f64`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::F64, 4);
    /// c.append_f64(-2.5);
    /// assert_eq!(c.get_f64(0), -2.5);
    /// ```
    pub const F64: FieldType = FieldType::make(tag::FLOAT64, 8);
    /// `Bool`: one byte a row, 0 or 1, written as `bool` (`append_bool`,
    /// `extend_bools`, ...) and read as `bool` (`get_bool`, `iter_bool`)
    /// or as the `u8` it is stored as. No write can store another byte:
    /// `u8` does not write it.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 4);
    /// c.append_bool(true);
    /// c.extend_bools(&[false]);
    /// assert!(c.get_bool(0));
    /// assert_eq!(c.get_u8(0), 1);
    /// assert!(!c.get_bool(1));
    /// assert!(c.try_append_u8(2).is_err());
    /// ```
    pub const BOOL: FieldType = FieldType::make(tag::BOOL, 1);
    /// `Date`: TiDB's 8-byte packed time (`i64`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::DATE, 4);
    /// c.append_i64(0x1234);
    /// assert_eq!(c.get_i64(0), 0x1234);
    /// assert_ne!(FieldType::DATE, FieldType::I64);
    /// ```
    pub const DATE: FieldType = FieldType::make(tag::DATE, 8);
    /// `Datetime`: TiDB's 8-byte packed time (`i64`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::DATETIME, 4);
    /// c.append_i64(1 << 40);
    /// assert_eq!(c.get_i64(0), 1 << 40);
    /// ```
    pub const DATETIME: FieldType = FieldType::make(tag::DATETIME, 8);
    /// `Timestamp`: TiDB's 8-byte packed time (`i64`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::TIMESTAMP, 4);
    /// c.append_i64(7);
    /// assert_eq!(c.get_i64(0), 7);
    /// ```
    pub const TIMESTAMP: FieldType = FieldType::make(tag::TIMESTAMP, 8);
    /// `Duration`: 8 bytes of signed nanoseconds, as TiDB stores a
    /// duration (`i64`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::DURATION, 4);
    /// c.append_i64(-1_500_000_000); // minus 1.5 s
    /// assert_eq!(c.get_i64(0), -1_500_000_000);
    /// ```
    pub const DURATION: FieldType = FieldType::make(tag::DURATION, 8);
    /// `Decimal`: TiDB's 40-byte fixed-point decimal, stored as opaque
    /// bytes (raw access only).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::DECIMAL, 4);
    /// c.append_fixed_bytes(&[7; 40]);
    /// assert_eq!(c.get_fixed_bytes(0), &[7; 40][..]);
    /// assert!(c.try_append_i64(7).is_err());
    /// ```
    pub const DECIMAL: FieldType = FieldType::make(tag::DECIMAL, 40);
    /// `Utf8`: variable-width text (TiDB's varchar, char, text).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 4);
    /// c.append_str("héllo");
    /// assert_eq!(c.value_str(0), Some("héllo"));
    /// assert_eq!(c.get_bytes(0), "héllo".as_bytes());
    /// ```
    pub const UTF8: FieldType = FieldType::make(tag::UTF8, 0);
    /// `Binary`: variable-width byte strings (TiDB's blob, binary, JSON,
    /// ...).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 4);
    /// c.append_bytes(&[0xff, 0]);
    /// assert_eq!(c.get_bytes(0), &[0xff, 0]);
    /// ```
    pub const BINARY: FieldType = FieldType::make(tag::BINARY, 0);
    /// Variable-width byte strings: the same type as
    /// [`FieldType::BINARY`], kept under its old name.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// assert_eq!(FieldType::VAR, FieldType::BINARY);
    /// assert_eq!(format!("{:?}", FieldType::VAR), "Binary");
    /// ```
    pub const VAR: FieldType = FieldType::BINARY;

    /// Raw fixed-size elements of `elem_size` bytes a row
    /// ([`LogicalType::FixedBytes`]), read and written only as raw bytes
    /// ([`Column::append_fixed_bytes`](crate::Column::append_fixed_bytes),
    /// [`Column::get_fixed_bytes`](crate::Column::get_fixed_bytes)).
    ///
    /// ```
    /// # use chunkpool::FieldType;
    /// let uuid = FieldType::fixed(16)?;
    /// assert_eq!(uuid.elem_size(), Some(16));
    /// // Raw bytes are not an integer type of the same size.
    /// assert_ne!(FieldType::fixed(8)?, FieldType::I64);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidElemSize`] unless `1 <= elem_size <= MAX_ELEM_SIZE`.
    pub const fn fixed(elem_size: usize) -> Result<FieldType, Error> {
        if elem_size == 0 || elem_size > MAX_ELEM_SIZE {
            return Err(Error::InvalidElemSize { size: elem_size });
        }
        Ok(FieldType::make(tag::FIXED_BYTES, elem_size))
    }

    /// The field type of `logical`: the constant of that name, or
    /// [`fixed(n)`](Self::fixed) for [`LogicalType::FixedBytes`]`(n)`.
    ///
    /// ```
    /// # use chunkpool::{FieldType, LogicalType};
    /// assert_eq!(FieldType::new(LogicalType::Duration)?, FieldType::DURATION);
    /// assert_eq!(FieldType::new(LogicalType::FixedBytes(3))?, FieldType::fixed(3)?);
    /// assert!(FieldType::new(LogicalType::FixedBytes(0)).is_err());
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidElemSize`] for a `FixedBytes` size outside
    /// `1..=MAX_ELEM_SIZE`.
    pub const fn new(logical: LogicalType) -> Result<FieldType, Error> {
        Ok(match logical {
            LogicalType::Int8 => FieldType::I8,
            LogicalType::Int16 => FieldType::I16,
            LogicalType::Int32 => FieldType::I32,
            LogicalType::Int64 => FieldType::I64,
            LogicalType::UInt8 => FieldType::U8,
            LogicalType::UInt16 => FieldType::U16,
            LogicalType::UInt32 => FieldType::U32,
            LogicalType::UInt64 => FieldType::U64,
            LogicalType::Float32 => FieldType::F32,
            LogicalType::Float64 => FieldType::F64,
            LogicalType::Bool => FieldType::BOOL,
            LogicalType::Date => FieldType::DATE,
            LogicalType::Datetime => FieldType::DATETIME,
            LogicalType::Timestamp => FieldType::TIMESTAMP,
            LogicalType::Duration => FieldType::DURATION,
            LogicalType::Decimal => FieldType::DECIMAL,
            LogicalType::Utf8 => FieldType::UTF8,
            LogicalType::Binary => FieldType::BINARY,
            LogicalType::FixedBytes(n) => return FieldType::fixed(n),
        })
    }

    /// The logical type: what the values mean.
    ///
    /// ```
    /// # use chunkpool::{FieldType, LogicalType};
    /// assert_eq!(FieldType::TIMESTAMP.logical(), LogicalType::Timestamp);
    /// assert_eq!(FieldType::fixed(3)?.logical(), LogicalType::FixedBytes(3));
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub const fn logical(self) -> LogicalType {
        match self.tag() {
            tag::INT8 => LogicalType::Int8,
            tag::INT16 => LogicalType::Int16,
            tag::INT32 => LogicalType::Int32,
            tag::INT64 => LogicalType::Int64,
            tag::UINT8 => LogicalType::UInt8,
            tag::UINT16 => LogicalType::UInt16,
            tag::UINT32 => LogicalType::UInt32,
            tag::UINT64 => LogicalType::UInt64,
            tag::FLOAT32 => LogicalType::Float32,
            tag::FLOAT64 => LogicalType::Float64,
            tag::BOOL => LogicalType::Bool,
            tag::DATE => LogicalType::Date,
            tag::DATETIME => LogicalType::Datetime,
            tag::TIMESTAMP => LogicalType::Timestamp,
            tag::DURATION => LogicalType::Duration,
            tag::DECIMAL => LogicalType::Decimal,
            tag::UTF8 => LogicalType::Utf8,
            tag::BINARY => LogicalType::Binary,
            _ => LogicalType::FixedBytes(self.size()),
        }
    }

    /// Bytes per row for a fixed-width type; `None` for the variable-width
    /// ones ([`FieldType::UTF8`], [`FieldType::BINARY`]).
    ///
    /// ```
    /// # use chunkpool::FieldType;
    /// assert_eq!(FieldType::I32.elem_size(), Some(4));
    /// assert_eq!(FieldType::UTF8.elem_size(), None);
    /// ```
    #[inline]
    #[must_use]
    pub const fn elem_size(self) -> Option<usize> {
        match self.size() {
            0 => None,
            n => Some(n),
        }
    }

    /// True for variable-width columns ([`FieldType::UTF8`],
    /// [`FieldType::BINARY`]).
    ///
    /// ```
    /// # use chunkpool::FieldType;
    /// assert!(FieldType::UTF8.is_var());
    /// assert!(!FieldType::DECIMAL.is_var());
    /// ```
    #[inline]
    #[must_use]
    pub const fn is_var(self) -> bool {
        self.size() == 0
    }

    #[inline]
    const fn size(self) -> usize {
        (self.bits & SIZE_MASK) as usize
    }

    /// The logical type's tag (see [`tag`]).
    #[inline]
    pub(crate) const fn tag(self) -> u8 {
        (self.bits >> 16) as u8
    }

    /// The physical size code: the element size, or 0 for variable width.
    /// It names a size class, never a type: `I64` and `F64` share one.
    #[inline]
    pub(crate) const fn code(self) -> usize {
        self.size()
    }

    /// The type that names the size class `code` (which came from
    /// [`code`](Self::code)): raw bytes of that size, or
    /// [`FieldType::BINARY`] for variable width.
    #[inline]
    pub(crate) const fn from_code(code: usize) -> FieldType {
        debug_assert!(code <= MAX_ELEM_SIZE);
        if code == 0 {
            FieldType::BINARY
        } else {
            FieldType::make(tag::FIXED_BYTES, code)
        }
    }

    /// The type as one word: equal words, equal types.
    #[inline(always)]
    pub(crate) const fn to_bits(self) -> u32 {
        self.bits
    }

    /// The whole type (logical and physical) in 12 bits, for layout keys:
    /// the size for raw bytes (1..=1024), `1024 + tag` for the named
    /// types, `2048 + 31 * (precision - 1) + scale` (at most 4014) for a
    /// decimal with a precision. Two types have equal identities exactly
    /// when they are equal.
    #[inline]
    pub(crate) const fn identity(self) -> u32 {
        if self.tag() == tag::FIXED_BYTES {
            self.bits & SIZE_MASK
        } else if let Some((p, s)) = self.decimal_precision_scale() {
            2048 + 31 * (p as u32 - 1) + s as u32
        } else {
            MAX_ELEM_SIZE as u32 + self.tag() as u32
        }
    }
}

impl fmt::Debug for FieldType {
    /// The logical type's name (`Int64`, `Utf8`, `FixedBytes(16)`, ...),
    /// with a decimal's precision and scale: `Decimal(4, 2)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.decimal_precision_scale() {
            Some((p, s)) => write!(f, "Decimal({p}, {s})"),
            None => self.logical().fmt_name(f),
        }
    }
}

impl fmt::Display for FieldType {
    /// As `Debug` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_distinct_and_fit_12_bits() {
        let named = [
            FieldType::I8,
            FieldType::I16,
            FieldType::I32,
            FieldType::I64,
            FieldType::U8,
            FieldType::U16,
            FieldType::U32,
            FieldType::U64,
            FieldType::F32,
            FieldType::F64,
            FieldType::BOOL,
            FieldType::DATE,
            FieldType::DATETIME,
            FieldType::TIMESTAMP,
            FieldType::DURATION,
            FieldType::DECIMAL,
            FieldType::UTF8,
            FieldType::BINARY,
        ];
        let mut seen = std::collections::HashSet::new();
        let decimals = (1..=MAX_PRECISION)
            .flat_map(|p| (0..=p.min(MAX_SCALE)).map(move |s| FieldType::decimal(p, s).unwrap()));
        for f in named
            .into_iter()
            .chain((1..=MAX_ELEM_SIZE).map(|n| FieldType::fixed(n).unwrap()))
            .chain(decimals)
        {
            assert!(f.identity() < 1 << 12, "{f:?}");
            assert!(seen.insert(f.identity()), "{f:?} repeats an identity");
            if f.decimal_precision_scale().is_none() {
                assert_eq!(FieldType::new(f.logical()), Ok(f));
            } else {
                assert_eq!(f.elem_size(), Some(40));
                assert_eq!(f.logical(), LogicalType::Decimal);
            }
        }
        assert_eq!(std::mem::size_of::<FieldType>(), 4);
    }
}
