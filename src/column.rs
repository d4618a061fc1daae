//! One column of a chunk: a null bitmap, offsets for variable-width data, and
//! the data bytes, in an Arrow-like layout.

use crate::config::VarLimit;
use crate::error::Error;
use crate::field::{tag, FieldType};
use std::fmt;
use std::mem::MaybeUninit;

mod sealed {
    pub trait Sealed {
        /// The logical types this Rust type reads and writes: bit `tag`
        /// for each (`crate::field::tag`).
        const ACCEPTS: u32;
        /// What the access needs, for [`Error::TypeMismatch`](crate::Error::TypeMismatch).
        const EXPECTED: &'static str;
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
/// | `u8` | `UInt8`, `Bool` (the 0/1 byte it is stored as) |
/// | `u16` | `UInt16` |
/// | `u32` | `UInt32` |
/// | `u64` | `UInt64` |
/// | `f32` | `Float32` |
/// | `f64` | `Float64` |
///
/// Every typed access (`append_*`, `get_*`, [`Column::as_slice`],
/// [`Column::as_mut_slice`]) on a column of another logical type is
/// [`Error::TypeMismatch`], even when the sizes agree: an `f64` does not go
/// into an `Int64` column. `Decimal` and raw
/// [`FixedBytes`](crate::LogicalType::FixedBytes) columns have no typed
/// access; their raw bytes, like those of every fixed-width type, are
/// reached with [`Column::append_fixed_bytes`] and
/// [`Column::get_fixed_bytes`].
///
/// Sealed: the crate relies on these types having no padding, no invalid bit
/// patterns and an alignment of at most 8.
pub trait FixedElem: bytemuck::Pod + sealed::Sealed + fmt::Debug {
    /// Name used in error messages.
    const NAME: &'static str;
}

macro_rules! fixed_elem {
    ($($t:ty => $expected:literal, $size:literal, [$($tag:ident),*];)*) => {$(
        impl sealed::Sealed for $t {
            const ACCEPTS: u32 = 0 $(| tag::bit(tag::$tag))*;
            const EXPECTED: &'static str = $expected;
        }
        impl FixedElem for $t {
            const NAME: &'static str = stringify!($t);
        }
        const _: () = assert!(std::mem::size_of::<$t>() == $size);
    )*};
}
fixed_elem! {
    i8 => "i8 (Int8)", 1, [INT8];
    i16 => "i16 (Int16)", 2, [INT16];
    i32 => "i32 (Int32)", 4, [INT32];
    i64 => "i64 (Int64, Date, Datetime, Timestamp, Duration)", 8,
        [INT64, DATE, DATETIME, TIMESTAMP, DURATION];
    u8 => "u8 (UInt8, Bool)", 1, [UINT8, BOOL];
    u16 => "u16 (UInt16)", 2, [UINT16];
    u32 => "u32 (UInt32)", 4, [UINT32];
    u64 => "u64 (UInt64)", 8, [UINT64];
    f32 => "f32 (Float32)", 4, [FLOAT32];
    f64 => "f64 (Float64)", 8, [FLOAT64];
}

/// What `append_bool` / `get_bool` accept.
const BOOL_EXPECTED: &str = "bool (Bool)";
/// What the byte-string accesses accept.
const BYTES_EXPECTED: &str = "byte string (Utf8, Binary)";
/// What `append_str` accepts.
const STR_EXPECTED: &str = "str (Utf8, Binary)";

/// Why a column must not be cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Marked `avoid_reusing`.
    AvoidReuse,
    /// Variable-width data capacity above the allocator's limit.
    Oversize,
}

/// Buffer sizes a column of `rows` rows of `field` starts with.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnPlan {
    /// Rows the buffers are sized for.
    rows: usize,
    /// 8-byte words of data.
    data_words: usize,
    /// Offset entries (variable width only).
    offsets: usize,
    /// Bytes of null bitmap.
    bitmap: usize,
}

impl ColumnPlan {
    /// Sizes for `rows` rows, or [`Error::CapacityOverflow`] when a byte size
    /// does not fit in `isize`.
    pub(crate) fn new(field: FieldType, rows: usize) -> Result<ColumnPlan, Error> {
        let overflow = || Error::CapacityOverflow { field, rows };
        let data_bytes = match field.elem_size() {
            Some(size) => rows.checked_mul(size).ok_or_else(overflow)?,
            None => rows.checked_mul(8).ok_or_else(overflow)?,
        };
        let offsets = if field.is_var() {
            let n = rows.checked_add(1).ok_or_else(overflow)?;
            n.checked_mul(8).ok_or_else(overflow)?;
            n
        } else {
            0
        };
        if data_bytes > isize::MAX as usize - 8 {
            return Err(overflow());
        }
        Ok(ColumnPlan {
            rows,
            data_words: data_bytes.div_ceil(8),
            offsets,
            bitmap: rows.div_ceil(8),
        })
    }

    /// Bytes of all buffers (saturating; the parts each fit in `isize`).
    fn bytes(&self) -> usize {
        (self.data_words.saturating_mul(8))
            .saturating_add(self.offsets.saturating_mul(8))
            .saturating_add(self.bitmap)
    }
}

/// [`Error::OutOfMemory`]: the allocator refused memory for `rows` rows of
/// `field`, which need `bytes` bytes of buffers in all. Kept out of line so
/// the paths that reserve carry only a call.
#[cold]
#[inline(never)]
fn out_of_memory(field: FieldType, rows: usize, bytes: usize) -> Error {
    Error::OutOfMemory { field, rows, bytes }
}

/// One column: `len` rows of a [`FieldType`], with a null bitmap (bit set =
/// not null), `len + 1` offsets for variable-width data, and the data bytes.
///
/// Columns come inside a [`Chunk`](crate::Chunk); reach them with
/// [`Chunk::column`](crate::Chunk::column) and
/// [`Chunk::column_mut`](crate::Chunk::column_mut).
///
/// ```
/// use chunkpool::{Column, FieldType};
///
/// let mut c = Column::new(FieldType::I64, 4);
/// c.append_i64(7);
/// c.append_null();
/// c.append_i64(-1);
/// assert_eq!(c.len(), 3);
/// assert_eq!(c.get_i64(0), 7);
/// assert!(c.is_null(1));
/// assert_eq!(c.as_slice::<i64>(), &[7, 0, -1]);
/// // Typed access checks the logical type, not only the size.
/// assert!(c.try_append_f64(1.5).is_err());
///
/// let mut s = Column::new(FieldType::UTF8, 4);
/// s.append_str("tidb");
/// s.append_null();
/// assert_eq!(s.get_bytes(0), b"tidb");
/// assert_eq!(s.offsets(), &[0, 4, 4]);
/// ```
///
/// Misuse (a typed access the column's logical type does not accept, see
/// [`FixedElem`]; a row past the length) panics with a message naming the
/// problem; every such method has a `try_` twin
/// returning [`Error`] instead.
pub struct Column {
    field: FieldType,
    len: usize,
    /// Bit `i` set: row `i` is not null.
    bitmap: Vec<u8>,
    /// Variable width: `len + 1` entries, the first 0. Fixed width: empty.
    offsets: Vec<i64>,
    /// Data bytes, kept in 8-byte words so typed views are always aligned.
    data: Vec<u64>,
    /// Bytes of `data` in use; every byte past it is zero or unreachable.
    data_len: usize,
    /// Rows the buffers hold without growing, as [`Column::rows_held`]
    /// computes it from the buffers' capacities. Kept so the pool's return
    /// path reads one field; every constructor and every change of type
    /// sets it, and buffers only grow otherwise, so it never overstates.
    rows_capacity: usize,
    /// Set by `set_avoid_reusing(true)`: never cache these buffers.
    avoid_reuse: bool,
}

impl Clone for Column {
    /// A copy of the rows. The copy's buffers are as large as its rows
    /// need, not as the original's, and its capacity says so: a clone put
    /// into a pooled chunk is cached for the rows it can really hold.
    fn clone(&self) -> Column {
        let mut c = Column {
            field: self.field,
            len: self.len,
            bitmap: self.bitmap.clone(),
            offsets: self.offsets.clone(),
            data: self.data.clone(),
            data_len: self.data_len,
            rows_capacity: 0,
            avoid_reuse: self.avoid_reuse,
        };
        c.rows_capacity = c.rows_held();
        c
    }
}

/// The unused capacity of a column's buffers; see
/// [`Column::spare_capacity_mut`].
#[derive(Debug)]
#[non_exhaustive]
pub struct SpareCapacity<'a> {
    /// Data words past the ones in use.
    pub data: &'a mut [MaybeUninit<u64>],
    /// Offset entries past the `len + 1` in use (variable width; empty
    /// capacity for fixed width).
    pub offsets: &'a mut [MaybeUninit<i64>],
    /// Null bitmap bytes past the `(len + 7) / 8` in use.
    pub null_bitmap: &'a mut [MaybeUninit<u8>],
}

macro_rules! typed_access {
    ($($t:ident: $append:ident, $try_append:ident, $get:ident, $try_get:ident;)*) => {$(
        #[doc = concat!("Appends one `", stringify!($t), "` to a column of a logical type it ",
                        "writes: ", accepts_doc!($t), " (see [`FixedElem`]).\n\n# Panics\n",
                        "With the message of the error [`Column::", stringify!($try_append), "`] returns, ",
                        "which names both types: if the column is of another logical type, ",
                        "or the buffers must grow and the memory cannot be had.")]
        #[track_caller]
        pub fn $append(&mut self, value: $t) {
            unwrap_or_panic(self.$try_append(value))
        }
        #[doc = concat!("Appends one `", stringify!($t), "`, or fails.\n\n# Errors\n",
                        "[`Error::TypeMismatch`] unless the column is ", accepts_doc!($t),
                        " (a same-sized type included); [`Error::OutOfMemory`] when a buffer ",
                        "must grow and the allocator refuses (the column is then unchanged).")]
        pub fn $try_append(&mut self, value: $t) -> Result<(), Error> {
            self.try_append_value(value)
        }
        #[doc = concat!("Reads row `row` of a column of a logical type `", stringify!($t), "` reads: ",
                        accepts_doc!($t), ". A NULL row reads as whatever its ",
                        "element holds (zero unless written).\n\n# Panics\n",
                        "With the message of the error [`Column::", stringify!($try_get), "`] returns, ",
                        "which names both types: if the column is of another logical type, ",
                        "or `row >= len()`.")]
        #[track_caller]
        pub fn $get(&self, row: usize) -> $t {
            unwrap_or_panic(self.$try_get(row))
        }
        #[doc = concat!("Reads row `row` as `", stringify!($t), "`, or fails.\n\n# Errors\n",
                        "[`Error::TypeMismatch`] unless the column is ", accepts_doc!($t),
                        " (a same-sized type or a variable-width column included); ",
                        "[`Error::RowOutOfRange`] if `row >= len()`.")]
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
        "`UInt8` or `Bool`"
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

#[track_caller]
fn unwrap_or_panic<T>(r: Result<T, Error>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("chunkpool: {e}"),
    }
}

impl Column {
    /// A column with no buffers, used as a placeholder while moving slots.
    pub(crate) const EMPTY: Column = Column {
        field: FieldType::BINARY,
        len: 0,
        bitmap: Vec::new(),
        offsets: Vec::new(),
        data: Vec::new(),
        data_len: 0,
        rows_capacity: 0,
        avoid_reuse: true,
    };

    /// A new empty column with room for `capacity` rows: `capacity * size`
    /// data bytes for fixed width; `8 * capacity` data bytes and
    /// `capacity + 1` offsets for variable width; `(capacity + 7) / 8` bitmap
    /// bytes.
    ///
    /// # Panics
    /// With the message of the error [`Column::try_new`] returns: when the
    /// byte size of `capacity` rows overflows, or the memory cannot be had.
    #[must_use]
    #[track_caller]
    pub fn new(field: FieldType, capacity: usize) -> Column {
        unwrap_or_panic(Column::try_new(field, capacity))
    }

    /// Like [`Column::new`], returning an error instead of panicking (or
    /// aborting the process).
    ///
    /// # Errors
    /// [`Error::CapacityOverflow`] when the byte size of `capacity` rows does
    /// not fit in the address range; [`Error::OutOfMemory`] when the global
    /// allocator refuses the buffers.
    pub fn try_new(field: FieldType, capacity: usize) -> Result<Column, Error> {
        let plan = ColumnPlan::new(field, capacity)?;
        let oom = |_| out_of_memory(field, capacity, plan.bytes());
        // Largest buffer first: an impossible request fails before the
        // others are made.
        let mut data = Vec::new();
        data.try_reserve_exact(plan.data_words).map_err(oom)?;
        let mut offsets = Vec::new();
        offsets.try_reserve_exact(plan.offsets).map_err(oom)?;
        let mut bitmap = Vec::new();
        bitmap.try_reserve_exact(plan.bitmap).map_err(oom)?;
        if field.is_var() {
            // Within the capacity just reserved (`rows + 1` entries).
            offsets.push(0);
        }
        Ok(Column {
            field,
            len: 0,
            bitmap,
            offsets,
            data,
            data_len: 0,
            rows_capacity: plan.rows,
            avoid_reuse: false,
        })
    }

    /// True for [`Column::EMPTY`], the placeholder the pools put where a
    /// new column is still to be made. No cached column is ever marked
    /// `avoid_reusing` (the pools refuse those), so a placeholder never
    /// passes for a cached one.
    pub(crate) fn is_placeholder(&self) -> bool {
        self.avoid_reuse && self.allocated_bytes() == 0
    }

    /// The column's current shape.
    #[inline]
    #[must_use]
    pub fn field_type(&self) -> FieldType {
        self.field
    }

    /// Number of rows.
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the column has no rows.
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when row `row` is NULL.
    ///
    /// # Panics
    /// With the message of [`Error::RowOutOfRange`] if `row >= len()`.
    #[track_caller]
    #[must_use]
    pub fn is_null(&self, row: usize) -> bool {
        unwrap_or_panic(self.try_is_null(row))
    }

    /// Like [`Column::is_null`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    pub fn try_is_null(&self, row: usize) -> Result<bool, Error> {
        self.check_row(row)?;
        Ok(self.bitmap[row / 8] & (1 << (row % 8)) == 0)
    }

    /// Number of NULL rows.
    #[must_use]
    pub fn null_count(&self) -> usize {
        let set: usize = self.bitmap.iter().map(|b| b.count_ones() as usize).sum();
        self.len - set
    }

    /// The null bitmap: `(len + 7) / 8` bytes, bit `i` set when row `i` is not
    /// null; bits past `len` are zero.
    #[must_use]
    pub fn null_bitmap(&self) -> &[u8] {
        &self.bitmap
    }

    /// The offsets of a variable-width column (`len + 1` entries, the first
    /// 0); empty for a fixed-width column.
    #[must_use]
    pub fn offsets(&self) -> &[i64] {
        &self.offsets
    }

    /// The data bytes in use (`len * size` for fixed width).
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &bytemuck::cast_slice::<u64, u8>(&self.data)[..self.data_len]
    }

    /// Whether this column's buffers must never be recycled (TiDB's
    /// `avoidReusing`; set it when the buffer is handed to another component).
    #[must_use]
    pub fn avoid_reusing(&self) -> bool {
        self.avoid_reuse
    }

    /// Marks the buffers as never to be recycled: when the chunk holding this
    /// column is dropped, the column is freed instead of cached.
    pub fn set_avoid_reusing(&mut self, avoid: bool) {
        self.avoid_reuse = avoid;
    }

    /// Address of the data buffer, or null when the column has no data
    /// buffer (a data capacity of 0: `Column::new(field, 0)`, or a clone of
    /// a column with no data bytes). Two live columns never share a
    /// non-null address; tests use it to observe that a recycled column
    /// came back.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let (a, b) = (Column::new(FieldType::I64, 4), Column::new(FieldType::I64, 4));
    /// assert!(!a.data_ptr().is_null());
    /// assert_ne!(a.data_ptr(), b.data_ptr());
    /// assert!(Column::new(FieldType::I64, 0).data_ptr().is_null());
    /// ```
    #[must_use]
    pub fn data_ptr(&self) -> *const u8 {
        if self.data.capacity() == 0 {
            std::ptr::null()
        } else {
            self.data.as_ptr().cast()
        }
    }

    /// The unused capacity of each buffer, past what the rows use, as
    /// possibly uninitialised memory: like [`Vec::spare_capacity_mut`] for
    /// the three buffers at once. Data is kept in 8-byte words.
    ///
    /// Writing here does not change the column: its rows, bitmap and
    /// offsets stay as they are, and a later append overwrites what it
    /// reaches. Use it to touch or prefault the buffers of a recycled
    /// column, or as scratch space that lives as long as the column.
    ///
    /// ```
    /// use chunkpool::{Column, FieldType};
    ///
    /// let mut c = Column::new(FieldType::I64, 1024);
    /// let spare = c.spare_capacity_mut();
    /// assert_eq!(spare.data.len(), 1024);
    /// assert_eq!(spare.null_bitmap.len(), 128);
    /// // Touch the last word of the data buffer and read it back.
    /// let last = spare.data.last_mut().unwrap().write(7);
    /// assert_eq!(*last, 7);
    /// assert_eq!(c.len(), 0);
    /// ```
    pub fn spare_capacity_mut(&mut self) -> SpareCapacity<'_> {
        SpareCapacity {
            data: self.data.spare_capacity_mut(),
            offsets: self.offsets.spare_capacity_mut(),
            null_bitmap: self.bitmap.spare_capacity_mut(),
        }
    }

    /// Rows the column holds without growing any buffer, computed from its
    /// buffers as they are now: after appends that grew them, after
    /// [`reset_as`](Self::reset_as) to another element size, after a clone
    /// (whose buffers are as large as its rows need). Until its type
    /// changes, at least the capacity it was made with.
    ///
    /// A fixed-width column holds this many elements, never fewer than
    /// [`len`](Self::len). A variable-width one holds this many offsets and
    /// null bits and `8 * capacity()` data bytes: this many rows of 8 bytes
    /// on average (TiDB's estimate), which can be fewer than `len()` when
    /// its rows are shorter.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// assert!(c.capacity() >= 4);
    /// for v in 0..10 {
    ///     c.append_i64(v); // grows past the first 4 rows
    /// }
    /// assert!(c.capacity() >= 10);
    /// // Appending up to the capacity moves no buffer.
    /// let (ptr, bytes) = (c.data_ptr(), c.allocated_bytes());
    /// while c.len() < c.capacity() {
    ///     c.append_i64(0);
    /// }
    /// assert_eq!((c.data_ptr(), c.allocated_bytes()), (ptr, bytes));
    /// ```
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.rows_held()
    }

    /// Bytes of heap memory this column's buffers hold (capacities, not lengths).
    #[must_use]
    pub fn allocated_bytes(&self) -> usize {
        self.data.capacity() * 8 + self.offsets.capacity() * 8 + self.bitmap.capacity()
    }

    /// Bytes of data capacity (what the variable-width limit looks at).
    pub(crate) fn data_capacity_bytes(&self) -> usize {
        self.data.capacity() * 8
    }

    /// Why this column must not be cached, if it must not.
    #[inline]
    pub(crate) fn refusal(&self, var: VarLimit) -> Option<Refusal> {
        if self.avoid_reuse {
            Some(Refusal::AvoidReuse)
        } else if self.field.is_var()
            && var.exceeded(self.data_capacity_bytes(), self.rows_capacity)
        {
            Some(Refusal::Oversize)
        } else {
            None
        }
    }

    /// The rows this column can hold without growing, read off its buffers
    /// as they are now (not as they were when it was handed out).
    #[inline]
    pub(crate) fn rows_capacity(&self) -> usize {
        debug_assert_eq!(self.rows_capacity, self.rows_held().min(self.rows_capacity));
        self.rows_capacity
    }

    /// The rows the buffers hold, computed from their capacities: data
    /// elements (8 bytes a row for variable width), offsets past the
    /// leading 0, and bitmap bits, whichever runs out first.
    fn rows_held(&self) -> usize {
        let data_bytes = self.data.capacity() * 8;
        let data_rows = match self.field.elem_size() {
            Some(size) => data_bytes / size,
            None => (data_bytes / 8).min(self.offsets.capacity().saturating_sub(1)),
        };
        data_rows.min(self.bitmap.capacity().saturating_mul(8))
    }

    /// Whether this column can hold `rows` rows without growing.
    #[inline]
    pub(crate) fn fits(&self, rows: usize) -> bool {
        self.rows_capacity >= rows
    }

    /// Clears the contents, keeping type, capacity and the `avoid_reusing` flag.
    #[inline]
    pub fn reset(&mut self) {
        self.len = 0;
        self.bitmap.clear();
        if !self.field.is_var() {
            self.offsets.clear();
        } else if self.offsets.is_empty() {
            // Just retyped from fixed width (`reset_as`).
            self.offsets.push(0);
        } else {
            // The first offset is always 0: keep it.
            self.offsets.truncate(1);
        }
        self.data.clear();
        self.data_len = 0;
    }

    /// Clears the contents and changes the column's type, keeping its buffers
    /// (TiDB's `Column.Reset(eType)`). The typed accessors follow the new
    /// logical type. A recycled column goes back to the pool of its
    /// physical size class at that time.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// c.append_i64(1);
    /// c.reset_as(FieldType::F64);
    /// assert!(c.try_append_i64(2).is_err());
    /// c.append_f64(2.5);
    /// assert_eq!(c.as_slice::<f64>(), &[2.5]);
    /// ```
    pub fn reset_as(&mut self, field: FieldType) {
        if field.code() != self.field.code() {
            self.field = field;
            self.rows_capacity = self.rows_held();
        } else {
            // Same size: the buffers hold as many rows as before.
            self.field = field;
        }
        self.reset();
    }

    /// Appends one boolean to a [`FieldType::BOOL`] column (stored as the
    /// byte 0 or 1).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 4);
    /// c.append_bool(true);
    /// c.append_bool(false);
    /// assert_eq!((c.get_bool(0), c.get_bool(1)), (true, false));
    /// assert_eq!(c.as_slice::<u8>(), &[1, 0]);
    /// assert!(Column::new(FieldType::U8, 1).try_append_bool(true).is_err());
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_append_bool`] returns,
    /// which names both types: on a column of another logical type, or
    /// when the buffers must grow and the memory cannot be had.
    #[track_caller]
    pub fn append_bool(&mut self, value: bool) {
        unwrap_or_panic(self.try_append_bool(value))
    }

    /// Like [`Column::append_bool`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool`;
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses (the column is then unchanged).
    pub fn try_append_bool(&mut self, value: bool) -> Result<(), Error> {
        self.check_accepts(tag::bit(tag::BOOL), BOOL_EXPECTED)?;
        self.reserve_append(self.data_len + 1, false)?;
        self.push_data(&[u8::from(value)]);
        self.push_bit(true);
        Ok(())
    }

    /// Reads row `row` of a [`FieldType::BOOL`] column: true unless its
    /// byte is 0 (a NULL reads as false unless written).
    ///
    /// # Panics
    /// With the message of the error [`Column::try_get_bool`] returns: on a
    /// column of another logical type, or if `row >= len()`.
    #[track_caller]
    #[must_use]
    pub fn get_bool(&self, row: usize) -> bool {
        unwrap_or_panic(self.try_get_bool(row))
    }

    /// Like [`Column::get_bool`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool`;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    pub fn try_get_bool(&self, row: usize) -> Result<bool, Error> {
        self.check_accepts(tag::bit(tag::BOOL), BOOL_EXPECTED)?;
        self.check_row(row)?;
        Ok(self.data()[row] != 0)
    }

    typed_access! {
        i8: append_i8, try_append_i8, get_i8, try_get_i8;
        i16: append_i16, try_append_i16, get_i16, try_get_i16;
        u8: append_u8, try_append_u8, get_u8, try_get_u8;
        u16: append_u16, try_append_u16, get_u16, try_get_u16;
        i32: append_i32, try_append_i32, get_i32, try_get_i32;
        u32: append_u32, try_append_u32, get_u32, try_get_u32;
        i64: append_i64, try_append_i64, get_i64, try_get_i64;
        u64: append_u64, try_append_u64, get_u64, try_get_u64;
        f32: append_f32, try_append_f32, get_f32, try_get_f32;
        f64: append_f64, try_append_f64, get_f64, try_get_f64;
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
    /// returns: unless `bytes.len()` equals the element size, or when the
    /// buffers must grow and the memory cannot be had.
    #[track_caller]
    pub fn append_fixed_bytes(&mut self, bytes: &[u8]) {
        unwrap_or_panic(self.try_append_fixed_bytes(bytes))
    }

    /// Like [`Column::append_fixed_bytes`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `bytes.len()` equals the element size;
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses (the column is then unchanged).
    pub fn try_append_fixed_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.field.elem_size() != Some(bytes.len()) {
            return Err(self.mismatch("raw fixed-width bytes of this length"));
        }
        self.reserve_append(self.data_len + bytes.len(), false)?;
        self.push_data(bytes);
        self.push_bit(true);
        Ok(())
    }

    /// The raw bytes of row `row` of a fixed-width column of any logical
    /// type (the raw escape hatch, as [`Column::append_fixed_bytes`]).
    ///
    /// # Panics
    /// With the message of the error [`Column::try_get_fixed_bytes`]
    /// returns: on a variable-width column, or if `row >= len()`.
    #[track_caller]
    #[must_use]
    pub fn get_fixed_bytes(&self, row: usize) -> &[u8] {
        unwrap_or_panic(self.try_get_fixed_bytes(row))
    }

    /// Like [`Column::get_fixed_bytes`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a variable-width column;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
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
    #[track_caller]
    pub fn append_bytes(&mut self, bytes: &[u8]) {
        unwrap_or_panic(self.try_append_bytes(bytes))
    }

    /// Like [`Column::append_bytes`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column;
    /// [`Error::OffsetOverflow`] when the data would pass `i64::MAX` bytes;
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses (the column is then unchanged).
    pub fn try_append_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if !self.field.is_var() {
            return Err(self.mismatch(BYTES_EXPECTED));
        }
        let end = self
            .data_len
            .checked_add(bytes.len())
            .filter(|&e| i64::try_from(e).is_ok())
            .ok_or(Error::OffsetOverflow)?;
        self.reserve_append(end, true)?;
        self.push_data(bytes);
        self.offsets.push(end as i64);
        self.push_bit(true);
        Ok(())
    }

    /// Appends a string to a variable-width column (`Utf8` or `Binary`).
    ///
    /// # Panics
    /// On a fixed-width column (with a message naming its type), past
    /// `i64::MAX` bytes of data, or when the buffers must grow and the
    /// memory cannot be had.
    #[track_caller]
    pub fn append_str(&mut self, s: &str) {
        if !self.field.is_var() {
            unwrap_or_panic::<()>(Err(self.mismatch(STR_EXPECTED)));
        }
        self.append_bytes(s.as_bytes())
    }

    /// Row `row` of a variable-width column (`Utf8` or `Binary`; empty for
    /// a NULL).
    ///
    /// # Panics
    /// With the message of the error [`Column::try_get_bytes`] returns: on
    /// a fixed-width column, or if `row >= len()`.
    #[track_caller]
    #[must_use]
    pub fn get_bytes(&self, row: usize) -> &[u8] {
        unwrap_or_panic(self.try_get_bytes(row))
    }

    /// Like [`Column::get_bytes`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
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
    #[track_caller]
    pub fn append_null(&mut self) {
        unwrap_or_panic(self.try_append_null())
    }

    /// Like [`Column::append_null`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses (the column is then unchanged).
    pub fn try_append_null(&mut self) -> Result<(), Error> {
        match self.field.elem_size() {
            Some(size) => {
                self.reserve_append(self.data_len + size, false)?;
                self.push_zeroes(size);
            }
            None => {
                self.reserve_append(self.data_len, true)?;
                self.offsets.push(self.data_len as i64);
            }
        }
        self.push_bit(false);
        Ok(())
    }

    /// Sets a fixed-width column's length to `rows`, every element zeroed and
    /// every row NULL (`null == true`) or not (TiDB's `ResizeInt64` and
    /// friends). Write the values through [`Column::as_mut_slice`].
    ///
    /// # Panics
    /// With the message of the error [`Column::try_resize`] returns: on a
    /// variable-width column, a byte size that overflows, or memory that
    /// cannot be had.
    #[track_caller]
    pub fn resize(&mut self, rows: usize, null: bool) {
        unwrap_or_panic(self.try_resize(rows, null))
    }

    /// Like [`Column::resize`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a variable-width column;
    /// [`Error::CapacityOverflow`] when the byte size of `rows` rows does not
    /// fit in the address range; [`Error::OutOfMemory`] when the buffers
    /// must grow and the allocator refuses. On an error the column is
    /// unchanged.
    pub fn try_resize(&mut self, rows: usize, null: bool) -> Result<(), Error> {
        let size = self
            .field
            .elem_size()
            .ok_or_else(|| self.mismatch("fixed-width resize"))?;
        let plan = ColumnPlan::new(self.field, rows)?;
        // Reserve before touching the rows, so a refusal changes nothing.
        let field = self.field;
        let oom = |_| out_of_memory(field, rows, plan.bytes());
        let more_words = plan.data_words.saturating_sub(self.data.len());
        self.data.try_reserve(more_words).map_err(oom)?;
        let more_bitmap = plan.bitmap.saturating_sub(self.bitmap.len());
        self.bitmap.try_reserve(more_bitmap).map_err(oom)?;
        self.data.clear();
        self.data.resize(plan.data_words, 0);
        self.data_len = rows * size;
        self.bitmap.clear();
        self.bitmap.resize(plan.bitmap, if null { 0 } else { 0xff });
        if !null && rows % 8 != 0 {
            // Keep bits past the length clear.
            if let Some(last) = self.bitmap.last_mut() {
                *last = (1u8 << (rows % 8)) - 1;
            }
        }
        self.len = rows;
        Ok(())
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
        unwrap_or_panic(self.try_as_slice())
    }

    /// Like [`Column::as_slice`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` reads and writes the column's
    /// logical type (see [`FixedElem`]): a same-sized type or a
    /// variable-width column is a mismatch.
    pub fn try_as_slice<T: FixedElem>(&self) -> Result<&[T], Error> {
        self.check_elem::<T>()?;
        Ok(&bytemuck::cast_slice::<u64, T>(&self.data)[..self.len])
    }

    /// The rows of a fixed-width column as a mutable typed slice. The NULL
    /// bitmap is not touched.
    ///
    /// # Panics
    /// With the message of [`Error::TypeMismatch`] (naming both types) unless
    /// `T` reads and writes the column's logical type (see [`FixedElem`]).
    #[track_caller]
    pub fn as_mut_slice<T: FixedElem>(&mut self) -> &mut [T] {
        unwrap_or_panic(self.try_as_mut_slice())
    }

    /// Like [`Column::as_mut_slice`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` reads and writes the column's
    /// logical type (see [`FixedElem`]): a same-sized type or a
    /// variable-width column is a mismatch.
    pub fn try_as_mut_slice<T: FixedElem>(&mut self) -> Result<&mut [T], Error> {
        self.check_elem::<T>()?;
        let len = self.len;
        Ok(&mut bytemuck::cast_slice_mut::<u64, T>(&mut self.data)[..len])
    }

    fn try_append_value<T: FixedElem>(&mut self, value: T) -> Result<(), Error> {
        self.check_elem::<T>()?;
        self.reserve_append(self.data_len + std::mem::size_of::<T>(), false)?;
        self.push_data(bytemuck::bytes_of(&value));
        self.push_bit(true);
        Ok(())
    }

    fn try_get_value<T: FixedElem>(&self, row: usize) -> Result<T, Error> {
        self.check_elem::<T>()?;
        self.check_row(row)?;
        Ok(bytemuck::cast_slice::<u64, T>(&self.data)[row])
    }

    /// Whether `T` reads and writes this column's logical type. Every type
    /// `T` accepts has `T`'s size, so this is the size check too.
    #[inline]
    fn check_elem<T: FixedElem>(&self) -> Result<(), Error> {
        self.check_accepts(
            <T as sealed::Sealed>::ACCEPTS,
            <T as sealed::Sealed>::EXPECTED,
        )?;
        debug_assert_eq!(self.field.elem_size(), Some(std::mem::size_of::<T>()));
        Ok(())
    }

    /// Whether the logical type's bit is in `accepts`.
    #[inline]
    fn check_accepts(&self, accepts: u32, expected: &'static str) -> Result<(), Error> {
        if accepts & tag::bit(self.field.tag()) != 0 {
            Ok(())
        } else {
            Err(self.mismatch(expected))
        }
    }

    fn check_row(&self, row: usize) -> Result<(), Error> {
        if row < self.len {
            Ok(())
        } else {
            Err(Error::RowOutOfRange { row, len: self.len })
        }
    }

    fn mismatch(&self, expected: &'static str) -> Error {
        Error::TypeMismatch {
            expected,
            actual: self.field,
        }
    }

    /// Makes room for one more row whose data ends at byte `data_end`, with
    /// one more offset if `offset`: afterwards the pushes of an append do
    /// not allocate. The common case (room in every buffer) is three
    /// comparisons; growing is out of line.
    #[inline]
    fn reserve_append(&mut self, data_end: usize, offset: bool) -> Result<(), Error> {
        let short = data_end.div_ceil(8) > self.data.capacity()
            || (offset && self.offsets.len() == self.offsets.capacity())
            || (self.len % 8 == 0 && self.bitmap.len() == self.bitmap.capacity());
        if short {
            self.grow_for_append(data_end, offset)
        } else {
            Ok(())
        }
    }

    /// The growing half of [`Column::reserve_append`]: amortised, like the
    /// pushes it stands in for, and fallible. A refusal leaves the rows as
    /// they were (a buffer grown before it keeps its new capacity).
    #[cold]
    #[inline(never)]
    fn grow_for_append(&mut self, data_end: usize, offset: bool) -> Result<(), Error> {
        let words = data_end.div_ceil(8);
        let rows = self.len + 1;
        let (field, offsets) = (self.field, self.offsets.len() + usize::from(offset));
        let oom = |_| {
            let bytes = (words.saturating_mul(8))
                .saturating_add(offsets.saturating_mul(8))
                .saturating_add(rows.div_ceil(8));
            out_of_memory(field, rows, bytes)
        };
        self.data
            .try_reserve(words.saturating_sub(self.data.len()))
            .map_err(oom)?;
        if offset {
            self.offsets.try_reserve(1).map_err(oom)?;
        }
        if self.len % 8 == 0 {
            self.bitmap.try_reserve(1).map_err(oom)?;
        }
        Ok(())
    }

    /// Appends `bytes` to the data, growing by whole words.
    fn push_data(&mut self, bytes: &[u8]) {
        let start = self.data_len;
        let end = start + bytes.len();
        self.grow_words(end);
        bytemuck::cast_slice_mut::<u64, u8>(&mut self.data)[start..end].copy_from_slice(bytes);
        self.data_len = end;
    }

    fn push_zeroes(&mut self, n: usize) {
        let start = self.data_len;
        let end = start + n;
        self.grow_words(end);
        bytemuck::cast_slice_mut::<u64, u8>(&mut self.data)[start..end].fill(0);
        self.data_len = end;
    }

    fn grow_words(&mut self, end_bytes: usize) {
        let words = end_bytes.div_ceil(8);
        if words > self.data.len() {
            self.data.resize(words, 0);
        }
    }

    fn push_bit(&mut self, not_null: bool) {
        let i = self.len;
        if i % 8 == 0 {
            self.bitmap.push(0);
        }
        if not_null {
            self.bitmap[i / 8] |= 1 << (i % 8);
        }
        self.len = i + 1;
    }
}

impl fmt::Debug for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Column")
            .field("field", &self.field)
            .field("len", &self.len)
            .field("nulls", &self.null_count())
            .field("data_bytes", &self.data_len)
            .field("allocated_bytes", &self.allocated_bytes())
            .field("avoid_reusing", &self.avoid_reusing())
            .finish()
    }
}
