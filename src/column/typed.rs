//! Typed reads and writes of a column, each checked against the column's
//! logical type: which Rust type reads which logical type is
//! [`FixedElem`]'s table.

use super::Column;
use crate::error::unwrap_or_fail;
use crate::error::Error;
use crate::field::tag;
use std::fmt;

pub(super) mod sealed {
    /// The bound [`FixedElem`](super::FixedElem) hides: `bytemuck::Pod`
    /// (no padding, every bit pattern valid) is what the typed slice views
    /// rely on, and sealing keeps it, and bytemuck's version, out of the
    /// public API.
    pub trait Sealed: bytemuck::Pod {
        /// The logical types this Rust type reads: bit `tag` for each
        /// (`crate::field::tag`).
        const ACCEPTS: u32;
        /// What a read needs, for [`Error::TypeMismatch`](crate::Error::TypeMismatch).
        const EXPECTED: &'static str;
        /// The logical types this Rust type writes: [`Self::ACCEPTS`]
        /// less `Bool` for `u8` (a `u8` can hold 2; a `Bool` only 0 and 1).
        const WRITES: u32;
        /// What a write needs.
        const WRITE_EXPECTED: &'static str;
        /// The field type a column collected from values of this type has
        /// (`Column`'s `FromIterator`).
        const FIELD: crate::field::FieldType;
    }
}

/// A plain value type stored directly in a fixed-width column, with the
/// logical types it reads and writes:
///
/// | Rust type | logical types |
/// |---|---|
/// | `i8` | `Int8` |
/// | `i16` | `Int16` |
/// | `i32` | `Int32` |
/// | `i64` | `Int64`, `Date`, `Datetime`, `Timestamp`, `Duration` |
/// | `u8` | `UInt8`; reads `Bool` too (the 0/1 byte it is stored as) |
/// | `u16` | `UInt16` |
/// | `u32` | `UInt32` |
/// | `u64` | `UInt64` |
/// | `f32` | `Float32` |
/// | `f64` | `Float64` |
///
/// Every typed access (`append_*`, `get_*`, [`Column::as_slice`],
/// [`Column::as_mut_slice`]) on a column of another logical type is
/// [`Error::TypeMismatch`], even when the sizes agree: an `f64` does not go
/// into an `Int64` column. A `Bool` column reads as `u8` (`get_u8`,
/// `as_slice::<u8>`, `iter::<u8>`) but is written only as `bool`
/// ([`Column::append_bool`], [`Column::extend_bools`], ...), so that it
/// holds nothing but 0 and 1: every `u8` write to it (`append_u8`,
/// `extend_from_slice::<u8>`, `as_mut_slice::<u8>`, ...) is a mismatch.
/// `Decimal` and raw
/// [`FixedBytes`](crate::LogicalType::FixedBytes) columns have no typed
/// access; their raw bytes, like those of every fixed-width type, are
/// reached with [`Column::append_fixed_bytes`] and
/// [`Column::get_fixed_bytes`].
///
/// Sealed: the crate relies on these types having no padding, no invalid bit
/// patterns and an alignment of at most 8 (it checks this through
/// `bytemuck::Pod`, a bound of the private supertrait, so neither bytemuck
/// nor its version is part of this crate's API). Every `FixedElem` is
/// `Copy + Send + Sync + 'static`.
///
/// ```
/// use chunkpool::{Column, FieldType, FixedElem};
///
/// /// Sums any column of a type `T` reads, skipping NULLs.
/// fn sum<T: FixedElem + std::iter::Sum>(c: &Column) -> T {
///     c.iter::<T>().flatten().sum()
/// }
/// let mut c = Column::new(FieldType::I32, 3);
/// c.extend_options([Some(4i32), None, Some(5)]);
/// assert_eq!(sum::<i32>(&c), 9);
/// assert_eq!(<i32 as FixedElem>::NAME, "i32");
/// ```
pub trait FixedElem: sealed::Sealed + Copy + Send + Sync + 'static + fmt::Debug {
    /// Name used in error messages.
    ///
    /// ```
    /// # use chunkpool::FixedElem;
    /// assert_eq!(<f64 as FixedElem>::NAME, "f64");
    /// ```
    const NAME: &'static str;
}

macro_rules! fixed_elem {
    ($($t:ty => $field:ident, $expected:literal, $size:literal, [$($tag:ident),*]
       $(, writes $wexpected:literal [$($wtag:ident),*])?;)*) => {$(
        impl sealed::Sealed for $t {
            const ACCEPTS: u32 = 0 $(| tag::bit(tag::$tag))*;
            const EXPECTED: &'static str = $expected;
            const WRITES: u32 = fixed_elem!(@or Self::ACCEPTS $(, 0 $(| tag::bit(tag::$wtag))*)?);
            const WRITE_EXPECTED: &'static str =
                fixed_elem!(@or $expected $(, $wexpected)?);
            const FIELD: crate::field::FieldType = crate::field::FieldType::$field;
        }
        impl FixedElem for $t {
            const NAME: &'static str = stringify!($t);
        }
        const _: () = assert!(std::mem::size_of::<$t>() == $size);
    )*};
    (@or $default:expr) => { $default };
    (@or $default:expr, $given:expr) => { $given };
}
fixed_elem! {
    i8 => I8, "i8 (Int8)", 1, [INT8];
    i16 => I16, "i16 (Int16)", 2, [INT16];
    i32 => I32, "i32 (Int32)", 4, [INT32];
    i64 => I64, "i64 (Int64, Date, Datetime, Timestamp, Duration)", 8,
        [INT64, DATE, DATETIME, TIMESTAMP, DURATION];
    u8 => U8, "u8 (UInt8, Bool)", 1, [UINT8, BOOL], writes "u8 (UInt8)" [UINT8];
    u16 => U16, "u16 (UInt16)", 2, [UINT16];
    u32 => U32, "u32 (UInt32)", 4, [UINT32];
    u64 => U64, "u64 (UInt64)", 8, [UINT64];
    f32 => F32, "f32 (Float32)", 4, [FLOAT32];
    f64 => F64, "f64 (Float64)", 8, [FLOAT64];
}

/// What the byte-string accesses accept.
pub(super) const BYTES_EXPECTED: &str = "byte string (Utf8, Binary)";
/// What `append_str` accepts.
pub(super) const STR_EXPECTED: &str = "str (Utf8, Binary)";

macro_rules! typed_access {
    ($($t:ident: $append:ident, $try_append:ident, $get:ident, $try_get:ident,
       $ft:ident = $v:expr, not $other:ident;)*) => {$(
        #[doc = concat!("Appends one `", stringify!($t), "` to a column of a logical type it ",
                        "writes: ", accepts_doc!($t), " (see [`FixedElem`]).\n\n# Panics\n",
                        "With the message of the error [`Column::", stringify!($try_append), "`] returns, ",
                        "which names both types: if the column is of another logical type, ",
                        "or the buffers must grow and the memory cannot be had.\n\n```\n",
                        "# use chunkpool::{Column, FieldType};\n",
                        "let mut c = Column::new(FieldType::", stringify!($ft), ", 2);\n",
                        "c.", stringify!($append), "(", stringify!($v), ");\n",
                        "assert_eq!(c.", stringify!($get), "(0), ", stringify!($v), ");\n```")]
        #[inline]
        #[track_caller]
        pub fn $append(&mut self, value: $t) {
            unwrap_or_fail(self.$try_append(value))
        }
        #[doc = concat!("Appends one `", stringify!($t), "`, or fails.\n\n# Errors\n",
                        "[`Error::TypeMismatch`] unless the column is ", accepts_doc!($t),
                        " (a same-sized type included); [`Error::OutOfMemory`] when a buffer ",
                        "must grow and the allocator refuses (the column is then unchanged).\n\n```\n",
                        "# use chunkpool::{Column, Error, FieldType};\n",
                        "let mut c = Column::new(FieldType::", stringify!($ft), ", 1);\n",
                        "assert_eq!(c.", stringify!($try_append), "(", stringify!($v), "), Ok(()));\n",
                        "let mut other = Column::new(FieldType::", stringify!($other), ", 1);\n",
                        "let err = other.", stringify!($try_append), "(", stringify!($v), ").unwrap_err();\n",
                        "assert!(matches!(err, Error::TypeMismatch { .. }));\n",
                        "assert!(other.is_empty());\n```")]
        #[inline]
        pub fn $try_append(&mut self, value: $t) -> Result<(), Error> {
            self.try_append_value(value)
        }
        #[doc = concat!("Reads row `row` of a column of a logical type `", stringify!($t), "` reads: ",
                        accepts_doc!($t), ". A NULL row reads as whatever its ",
                        "element holds (zero unless written).\n\n# Panics\n",
                        "With the message of the error [`Column::", stringify!($try_get), "`] returns, ",
                        "which names both types: if the column is of another logical type, ",
                        "or `row >= len()`.\n\n```\n",
                        "# use chunkpool::{Column, FieldType};\n",
                        "let mut c = Column::new(FieldType::", stringify!($ft), ", 2);\n",
                        "c.", stringify!($append), "(", stringify!($v), ");\n",
                        "c.append_null();\n",
                        "assert_eq!(c.", stringify!($get), "(0), ", stringify!($v), ");\n",
                        "assert_eq!(c.", stringify!($get), "(1), 0 as ", stringify!($t),
                        "); // NULL: the element as stored\n",
                        "assert_eq!(c.value::<", stringify!($t), ">(1), None); // tells NULL apart\n```")]
        #[track_caller]
        pub fn $get(&self, row: usize) -> $t {
            unwrap_or_fail(self.$try_get(row))
        }
        #[doc = concat!("Reads row `row` as `", stringify!($t), "`, or fails.\n\n# Errors\n",
                        "[`Error::TypeMismatch`] unless the column is ", accepts_doc!($t),
                        " (a same-sized type or a variable-width column included); ",
                        "[`Error::RowOutOfRange`] if `row >= len()`.\n\n```\n",
                        "# use chunkpool::{Column, Error, FieldType};\n",
                        "let mut c = Column::new(FieldType::", stringify!($ft), ", 1);\n",
                        "c.", stringify!($append), "(", stringify!($v), ");\n",
                        "assert_eq!(c.", stringify!($try_get), "(0), Ok(", stringify!($v), "));\n",
                        "assert_eq!(c.", stringify!($try_get), "(1), Err(Error::RowOutOfRange { row: 1, len: 1 }));\n",
                        "let other = Column::new(FieldType::", stringify!($other), ", 1);\n",
                        "assert!(matches!(other.", stringify!($try_get), "(0), Err(Error::TypeMismatch { .. })));\n```")]
        pub fn $try_get(&self, row: usize) -> Result<$t, Error> {
            self.try_get_value(row)
        }
    )*};
}

/// The logical types a [`FixedElem`] accepts, for the accessors' docs.
macro_rules! accepts_doc {
    (i8) => {
        "`Int8`"
    };
    (i16) => {
        "`Int16`"
    };
    (i32) => {
        "`Int32`"
    };
    (i64) => {
        "`Int64`, `Date`, `Datetime`, `Timestamp` or `Duration`"
    };
    (u8) => {
        "`UInt8` (and, to read, `Bool`)"
    };
    (u16) => {
        "`UInt16`"
    };
    (u32) => {
        "`UInt32`"
    };
    (u64) => {
        "`UInt64`"
    };
    (f32) => {
        "`Float32`"
    };
    (f64) => {
        "`Float64`"
    };
}

impl Column {
    typed_access! {
        i8: append_i8, try_append_i8, get_i8, try_get_i8, I8 = -5, not U8;
        i16: append_i16, try_append_i16, get_i16, try_get_i16, I16 = -300, not U16;
        u8: append_u8, try_append_u8, get_u8, try_get_u8, U8 = 200, not I8;
        u16: append_u16, try_append_u16, get_u16, try_get_u16, U16 = 60_000, not I16;
        i32: append_i32, try_append_i32, get_i32, try_get_i32, I32 = -70_000, not F32;
        u32: append_u32, try_append_u32, get_u32, try_get_u32, U32 = 4_000_000_000, not I32;
        i64: append_i64, try_append_i64, get_i64, try_get_i64, I64 = -9_000_000_000, not F64;
        u64: append_u64, try_append_u64, get_u64, try_get_u64, U64 = 18_000_000_000_000_000_000, not I64;
        f32: append_f32, try_append_f32, get_f32, try_get_f32, F32 = 1.5, not I32;
        f64: append_f64, try_append_f64, get_f64, try_get_f64, F64 = -2.25, not I64;
    }

    /// Appends one element of a fixed-width column given as its raw bytes
    /// (for example a 40-byte decimal): the raw escape hatch, accepted on
    /// every fixed-width type whose element is `bytes.len()` bytes, whatever
    /// its logical type (the bytes are its in-memory, native-endian form).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 2);
    /// c.append_fixed_bytes(&7i64.to_ne_bytes());
    /// assert_eq!(c.get_i64(0), 7);
    /// assert_eq!(c.get_fixed_bytes(0), &7i64.to_ne_bytes());
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_append_fixed_bytes`]
    /// returns: unless `bytes.len()` equals the element size, for a byte
    /// other than 0 or 1 on a `Bool` column, or when the buffers must grow
    /// and the memory cannot be had.
    #[track_caller]
    pub fn append_fixed_bytes(&mut self, bytes: &[u8]) {
        unwrap_or_fail(self.try_append_fixed_bytes(bytes))
    }

    /// Like [`Column::append_fixed_bytes`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `bytes.len()` equals the element size;
    /// [`Error::InvalidBool`] for a byte other than 0 or 1 on a `Bool`
    /// column; [`Error::OutOfMemory`] when a buffer must grow and the
    /// allocator refuses (the column is then unchanged).
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut b = Column::new(FieldType::BOOL, 1);
    /// assert_eq!(b.try_append_fixed_bytes(&[2]), Err(Error::InvalidBool { value: 2 }));
    /// assert!(b.is_empty());
    /// let mut c = Column::new(FieldType::fixed(3).unwrap(), 1);
    /// assert_eq!(c.try_append_fixed_bytes(b"abc"), Ok(()));
    /// assert!(c.try_append_fixed_bytes(b"ab").is_err()); // wrong width
    /// assert_eq!(c.len(), 1);
    /// ```
    pub fn try_append_fixed_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.field.elem_size() != Some(bytes.len()) {
            return Err(self.mismatch("raw fixed-width bytes of this length"));
        }
        self.check_bool_bytes(bytes)?;
        self.push_row(bytes, false)
    }

    /// The raw bytes of row `row` of a fixed-width column of any logical
    /// type (the raw escape hatch, as [`Column::append_fixed_bytes`]).
    ///
    /// # Panics
    /// With the message of the error [`Column::try_get_fixed_bytes`]
    /// returns: on a variable-width column, or if `row >= len()`.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::DECIMAL, 1);
    /// c.append_fixed_bytes(&[7; 40]); // TiDB's 40-byte decimal, as raw bytes
    /// assert_eq!(c.get_fixed_bytes(0), &[7; 40]);
    /// ```
    #[track_caller]
    #[must_use]
    pub fn get_fixed_bytes(&self, row: usize) -> &[u8] {
        unwrap_or_fail(self.try_get_fixed_bytes(row))
    }

    /// Like [`Column::get_fixed_bytes`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a variable-width column;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::I16, 1);
    /// c.append_i16(0x0102);
    /// assert_eq!(c.try_get_fixed_bytes(0), Ok(&0x0102i16.to_ne_bytes()[..]));
    /// let s = Column::new(FieldType::UTF8, 1);
    /// assert!(matches!(s.try_get_fixed_bytes(0), Err(Error::TypeMismatch { .. })));
    /// ```
    pub fn try_get_fixed_bytes(&self, row: usize) -> Result<&[u8], Error> {
        let size = self
            .field
            .elem_size()
            .ok_or_else(|| self.mismatch("raw fixed-width bytes"))?;
        self.check_row(row)?;
        Ok(&self.data()[row * size..(row + 1) * size])
    }

    /// Appends one byte string to a variable-width column (`Utf8` or
    /// `Binary`). The bytes are not checked to be UTF-8, even on a `Utf8`
    /// column: use [`Column::append_str`] to keep one valid.
    ///
    /// # Panics
    /// With the message of the error [`Column::try_append_bytes`] returns:
    /// on a fixed-width column, past `i64::MAX` bytes of data, or when the
    /// buffers must grow and the memory cannot be had.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 2);
    /// c.append_bytes(&[0, 255]);
    /// c.append_bytes(b"");
    /// assert_eq!((c.get_bytes(0), c.get_bytes(1)), (&[0u8, 255][..], &b""[..]));
    /// assert_eq!(c.offsets(), &[0, 2, 2]);
    /// ```
    #[track_caller]
    #[inline]
    pub fn append_bytes(&mut self, bytes: &[u8]) {
        unwrap_or_fail(self.try_append_bytes(bytes))
    }

    /// Like [`Column::append_bytes`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column;
    /// [`Error::OffsetOverflow`] when the data would pass `i64::MAX` bytes;
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses (the column is then unchanged).
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::F64, 1);
    /// assert!(matches!(c.try_append_bytes(b"x"), Err(Error::TypeMismatch { .. })));
    /// assert!(c.is_empty());
    /// ```
    #[inline]
    pub fn try_append_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if !self.field.is_var() {
            return Err(self.mismatch(BYTES_EXPECTED));
        }
        self.push_row(bytes, true)
    }

    /// Appends a string to a variable-width column (`Utf8` or `Binary`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 2);
    /// c.append_str("héllo");
    /// assert_eq!(c.value_str(0), Some("héllo"));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_append_str`] returns: on
    /// a fixed-width column (naming its type), past `i64::MAX` bytes of
    /// data, or when the buffers must grow and the memory cannot be had.
    #[track_caller]
    #[inline]
    pub fn append_str(&mut self, s: &str) {
        unwrap_or_fail(self.try_append_str(s))
    }

    /// Like [`Column::append_str`], returning an error instead of
    /// panicking. On error the column is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::I64, 2);
    /// assert!(matches!(c.try_append_str("x"), Err(Error::TypeMismatch { .. })));
    /// assert_eq!(c.len(), 0);
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column;
    /// [`Error::OffsetOverflow`] when the data would pass `i64::MAX` bytes;
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses.
    #[inline]
    pub fn try_append_str(&mut self, s: &str) -> Result<(), Error> {
        if !self.field.is_var() {
            return Err(self.mismatch(STR_EXPECTED));
        }
        self.push_str_row(s)
    }

    /// Row `row` of a variable-width column (`Utf8` or `Binary`; empty for
    /// a NULL).
    ///
    /// # Panics
    /// With the message of the error [`Column::try_get_bytes`] returns: on
    /// a fixed-width column, or if `row >= len()`.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 2);
    /// c.append_str("ab");
    /// c.append_null();
    /// assert_eq!(c.get_bytes(0), b"ab");
    /// assert_eq!(c.get_bytes(1), b""); // use `value_bytes` to tell NULL apart
    /// ```
    #[track_caller]
    #[must_use]
    pub fn get_bytes(&self, row: usize) -> &[u8] {
        unwrap_or_fail(self.try_get_bytes(row))
    }

    /// Like [`Column::get_bytes`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 1);
    /// c.append_bytes(b"k");
    /// assert_eq!(c.try_get_bytes(0), Ok(&b"k"[..]));
    /// assert_eq!(c.try_get_bytes(1), Err(Error::RowOutOfRange { row: 1, len: 1 }));
    /// ```
    pub fn try_get_bytes(&self, row: usize) -> Result<&[u8], Error> {
        if !self.field.is_var() {
            return Err(self.mismatch(BYTES_EXPECTED));
        }
        self.check_row(row)?;
        let (a, b) = (self.offsets[row] as usize, self.offsets[row + 1] as usize);
        Ok(&self.data()[a..b])
    }

    /// Appends a NULL. A fixed-width NULL occupies one zeroed element; a
    /// variable-width NULL repeats the last offset.
    ///
    /// # Panics
    /// With the message of [`Error::OutOfMemory`] when the buffers must grow
    /// and the memory cannot be had (see [`Column::try_append_null`]).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 2);
    /// c.append_null();
    /// c.append_str("x");
    /// assert!(c.is_null(0) && !c.is_null(1));
    /// assert_eq!((c.null_count(), c.offsets()), (1, &[0, 0, 1][..]));
    /// ```
    #[track_caller]
    #[inline]
    pub fn append_null(&mut self) {
        unwrap_or_fail(self.try_append_null())
    }

    /// Like [`Column::append_null`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses (the column is then unchanged).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::DECIMAL, 0); // no room yet: it grows
    /// assert_eq!(c.try_append_null(), Ok(()));
    /// assert_eq!((c.len(), c.null_count()), (1, 1));
    /// ```
    #[inline]
    pub fn try_append_null(&mut self) -> Result<(), Error> {
        match self.field.elem_size() {
            Some(size) => self.push_null_row(size, false),
            None => self.push_null_row(0, true),
        }
    }

    /// The rows of a fixed-width column as a typed slice.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::F64, 8);
    /// c.resize(3, false);
    /// c.as_mut_slice::<f64>().copy_from_slice(&[1.0, 2.0, 3.0]);
    /// assert_eq!(c.as_slice::<f64>().iter().sum::<f64>(), 6.0);
    /// ```
    ///
    /// # Panics
    /// With the message of [`Error::TypeMismatch`] (naming both types) unless
    /// `T` reads and writes the column's logical type (see [`FixedElem`]).
    #[track_caller]
    #[must_use]
    pub fn as_slice<T: FixedElem>(&self) -> &[T] {
        unwrap_or_fail(self.try_as_slice())
    }

    /// Like [`Column::as_slice`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` reads and writes the column's
    /// logical type (see [`FixedElem`]): a same-sized type or a
    /// variable-width column is a mismatch.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::U32, 2);
    /// c.extend_from_slice(&[7u32, 8]);
    /// assert_eq!(c.try_as_slice::<u32>(), Ok(&[7, 8][..]));
    /// assert!(matches!(c.try_as_slice::<i32>(), Err(Error::TypeMismatch { .. })));
    /// ```
    pub fn try_as_slice<T: FixedElem>(&self) -> Result<&[T], Error> {
        self.check_elem::<T>()?;
        Ok(&self.data.as_elems::<T>()[..self.len])
    }

    /// The rows of a fixed-width column as a mutable typed slice. The NULL
    /// bitmap is not touched. A `Bool` column has none (a `u8` slot could
    /// be set to 2): write its rows with [`Column::set_bool`].
    ///
    /// # Panics
    /// With the message of [`Error::TypeMismatch`] (naming both types) unless
    /// `T` writes the column's logical type (see [`FixedElem`]).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::F32, 2);
    /// c.extend_from_slice(&[1.0f32, 2.0]);
    /// for v in c.as_mut_slice::<f32>() {
    ///     *v *= 10.0;
    /// }
    /// assert_eq!(c.as_slice::<f32>(), &[10.0, 20.0]);
    /// ```
    #[track_caller]
    pub fn as_mut_slice<T: FixedElem>(&mut self) -> &mut [T] {
        unwrap_or_fail(self.try_as_mut_slice())
    }

    /// Like [`Column::as_mut_slice`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` writes the column's logical type
    /// (see [`FixedElem`]): a same-sized type, a variable-width column or
    /// `u8` on a `Bool` column is a mismatch.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut b = Column::new(FieldType::BOOL, 1);
    /// b.append_bool(true);
    /// assert!(matches!(b.try_as_mut_slice::<u8>(), Err(Error::TypeMismatch { .. })));
    /// let mut c = Column::new(FieldType::DATE, 1);
    /// c.append_i64(19_000);
    /// assert!(matches!(c.try_as_mut_slice::<f64>(), Err(Error::TypeMismatch { .. })));
    /// c.try_as_mut_slice::<i64>().unwrap()[0] += 1;
    /// assert_eq!(c.get_i64(0), 19_001);
    /// ```
    pub fn try_as_mut_slice<T: FixedElem>(&mut self) -> Result<&mut [T], Error> {
        self.check_write::<T>()?;
        let len = self.len;
        Ok(&mut self.data.as_elems_mut::<T>()[..len])
    }

    /// The body of every typed append: inlined whole into the caller, so
    /// a loop of appends is a tag test, three room checks and one store a
    /// row (the error paths are out of line).
    #[inline(always)]
    pub(super) fn try_append_value<T: FixedElem>(&mut self, value: T) -> Result<(), Error> {
        self.check_write::<T>()?;
        self.push_row(bytemuck::bytes_of(&value), false)
    }

    pub(super) fn try_get_value<T: FixedElem>(&self, row: usize) -> Result<T, Error> {
        self.check_elem::<T>()?;
        self.check_row(row)?;
        Ok(self.data.as_elems::<T>()[row])
    }

    /// Whether `T` reads and writes this column's logical type. Every type
    /// `T` accepts has `T`'s size, so this is the size check too.
    #[inline(always)]
    pub(super) fn check_elem<T: FixedElem>(&self) -> Result<(), Error> {
        self.check_accepts(
            <T as sealed::Sealed>::ACCEPTS,
            <T as sealed::Sealed>::EXPECTED,
        )?;
        debug_assert_eq!(self.field.elem_size(), Some(std::mem::size_of::<T>()));
        Ok(())
    }

    /// Whether `T` writes this column's logical type: as
    /// [`Column::check_elem`], less `u8` on a `Bool` column.
    #[inline(always)]
    pub(super) fn check_write<T: FixedElem>(&self) -> Result<(), Error> {
        self.check_accepts(
            <T as sealed::Sealed>::WRITES,
            <T as sealed::Sealed>::WRITE_EXPECTED,
        )?;
        debug_assert_eq!(self.field.elem_size(), Some(std::mem::size_of::<T>()));
        Ok(())
    }

    /// Whether the logical type's bit is in `accepts`.
    #[inline(always)]
    pub(super) fn check_accepts(&self, accepts: u32, expected: &'static str) -> Result<(), Error> {
        if accepts & tag::bit(self.field.tag()) != 0 {
            Ok(())
        } else {
            Err(self.mismatch(expected))
        }
    }

    pub(super) fn check_row(&self, row: usize) -> Result<(), Error> {
        if row < self.len {
            Ok(())
        } else {
            Err(Error::RowOutOfRange { row, len: self.len })
        }
    }

    /// [`Error::TypeMismatch`] for this column; out of line, so the
    /// checks that may return it cost a test and a branch.
    #[cold]
    #[inline(never)]
    pub(super) fn mismatch(&self, expected: &'static str) -> Error {
        Error::TypeMismatch {
            expected,
            actual: self.field,
        }
    }
}
