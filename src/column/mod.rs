//! One column of a chunk: a null bitmap, offsets for variable-width data, and
//! the data bytes, in an Arrow-like layout.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`Column`] itself: construction, the buffers as they are, reset, and what the pools read off it |
//! | `typed.rs` | typed reads and writes, checked against the logical type ([`FixedElem`]) |
//! | `bools.rs` | a `Bool` column's reads and writes, which keep it to 0 and 1 |
//! | `read.rs` | NULL-aware reads: `Option` getters, strings, iterators |
//! | `bulk.rs` | bulk appends in Arrow's layout: values, offsets, a validity bitmap |
//! | `build.rs` | NULL-aware and bulk writes: `append_option*`, `set_null`, `resize`, `extend_*` |
//! | `buffers.rs` | how big the buffers start and how they grow, reserved fallibly; one row appended |
//! | `collect.rs` | `FromIterator` and `Extend`; `reserve_bytes` |
//! | `fixed.rs` | one fixed-width element as raw bytes, to change in place (`fixed_bytes_mut`) |
//! | `pick.rs` | rows copied in bulk from another column: runs, or a selection |
//! | `select.rs` | a selection built from a predicate over the values (`select_where`) |
//! | `blocks.rs` | the data buffer: bytes in 64-byte aligned blocks |
//! | `slot.rs` | a chunk's column position: the column owned, or shared with other positions |

mod blocks;
mod bools;
mod buffers;
mod build;
mod bulk;
mod collect;
mod compact;
mod fixed;
mod pick;
mod read;
mod select;
mod slot;
mod typed;

use blocks::Blocks;
use buffers::out_of_memory;
pub(crate) use buffers::{ColumnPlan, VAR_BYTES_PER_ROW};
pub use bulk::OffsetElem;
pub(crate) use pick::Pick;
pub(crate) use slot::Slot;
pub use typed::FixedElem;

use crate::config::VarLimit;
use crate::error::{unwrap_or_fail, Error};
use crate::field::FieldType;
use std::fmt;
use std::mem::MaybeUninit;

/// Why a column must not be cached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Marked `avoid_reusing`.
    AvoidReuse,
    /// Variable-width data capacity above the allocator's limit.
    Oversize,
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
///
/// A column collects from an iterator (`FromIterator`) into the field
/// type of its items: `i8` … `u64`, `f32`, `f64` (or an `Option` of one)
/// into `I8` … `U64`, `F32`, `F64`; `bool` into `BOOL`; `&str` and
/// `String` into `UTF8`; `&[u8]` into `BINARY`. For another type of the
/// same values (`i64` rows of a `DATE` column), make the column and
/// `extend` it: `Extend` takes the items any `append_*` of them takes,
/// and panics as the `extend_*` method it goes through does (their
/// `try_` twins are the fallible forms).
///
/// ```
/// use chunkpool::{Column, FieldType};
///
/// let ids: Column = (1..=3i64).collect();
/// assert_eq!(ids.field_type(), FieldType::I64);
/// let names: Column = [Some("a"), None].into_iter().collect();
/// assert_eq!(names.field_type(), FieldType::UTF8);
/// let mut days = Column::new(FieldType::DATE, 2);
/// days.extend([19_000i64, 19_001]);
/// assert_eq!(days.as_slice::<i64>(), &[19_000, 19_001]);
/// ```
pub struct Column {
    field: FieldType,
    len: usize,
    /// Bit `i` set: row `i` is not null.
    bitmap: Vec<u8>,
    /// Clear bits among the first `len` of `bitmap`: the NULL rows, kept
    /// by every writer of `bitmap` so [`Column::null_count`] is O(1)
    /// (`push_bit`, `resize`, `set_null`, `reset`, rollbacks, clone).
    nulls: usize,
    /// Variable width: `len + 1` entries, the first 0, none below the one
    /// before, the last `data_len`: every writer keeps them so, and the
    /// arrow export's `unsafe` relies on it (`src/arrow/export.rs`).
    /// Fixed width: empty.
    offsets: Vec<i64>,
    /// Data bytes, in 64-byte aligned blocks so typed views are always
    /// aligned. The blocks in use are initialised; past `data_len` they
    /// hold zeros or bytes of earlier rows, which [`Column::reset`] leaves
    /// in place so a reused column is written once, never zeroed first.
    /// No read reaches them: every read stops at `data_len` (or `len`
    /// elements), and [`Column::spare_capacity_mut`] hands them out only
    /// as uninitialised memory.
    data: Blocks,
    /// Bytes of `data` in use; every byte past it is zero or unreachable.
    data_len: usize,
    /// Rows the buffers hold without growing: always [`Column::rows_held`]
    /// of the buffers as they are, kept so the pool's return and hand-out
    /// paths read one field. Every constructor and change of type sets
    /// it, and every reservation goes through [`Column::growing`], which
    /// refreshes it; debug builds check it wherever the pools read it.
    rows_capacity: usize,
    /// Set by `set_avoid_reusing(true)`: never cache these buffers.
    avoid_reuse: bool,
    /// Provenance: the tag the lock-free pool gave this column when its
    /// return check last found it cacheable (unique to that check and the
    /// column's position), or 0. Everything that changes what that check
    /// reads clears it: a growth of any buffer ([`Column::growing`]), a
    /// retype, `set_avoid_reusing`; a new column and a clone start at 0.
    /// Replacing, swapping or sharing a column moves it to a position
    /// whose tag differs. So a column that still carries its position's
    /// tag is as that check found it, and the return skips its checks.
    tag: u64,
    /// Variable width: some row's bytes were written without being known
    /// to be UTF-8 (`append_bytes` and its kin, or rows copied from a
    /// column with this set). Clear on a new or reset column, copied by
    /// `clone`; only `push_str_row` and `extend_str_from_parts`, which
    /// take a `&str` (the latter checking that every row starts and ends
    /// on a character boundary), and `extend_arrow_parts` of an arrow
    /// string array (whose rows arrow checked) write data without setting
    /// it. While it is clear, every row is valid UTF-8
    /// and the data is their concatenation, so the Arrow export of a
    /// `Utf8` column skips arrow's UTF-8 check (`arrow::export`'s
    /// `bytes_array` relies on this for soundness).
    raw_bytes: bool,
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
            nulls: self.nulls,
            offsets: self.offsets.clone(),
            data: self.data.clone_covering(self.data_len),
            data_len: self.data_len,
            rows_capacity: 0,
            avoid_reuse: self.avoid_reuse,
            raw_bytes: self.raw_bytes,
            tag: 0,
        };
        c.rows_capacity = c.rows_held();
        c
    }
}

/// The unused capacity of a column's buffers; see
/// [`Column::spare_capacity_mut`].
///
/// ```
/// use chunkpool::{Column, FieldType};
///
/// let mut c = Column::new(FieldType::UTF8, 16);
/// c.append_str("abc");
/// let spare = c.spare_capacity_mut();
/// assert_eq!(spare.offsets.len(), 15); // 17 entries held, 2 in use
/// assert_eq!(spare.null_bitmap.len(), 1); // 2 bytes held, 1 in use
/// for word in spare.data.iter_mut() {
///     word.write(0); // prefault the rest of the data buffer
/// }
/// assert_eq!(c.value_str(0), Some("abc")); // the rows are untouched
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct SpareCapacity<'a> {
    /// Data capacity past the last 64-byte block in use, as 8-byte words.
    pub data: &'a mut [MaybeUninit<u64>],
    /// Offset entries past the `len + 1` in use (variable width; empty
    /// capacity for fixed width).
    pub offsets: &'a mut [MaybeUninit<i64>],
    /// Null bitmap bytes past the `(len + 7) / 8` in use.
    pub null_bitmap: &'a mut [MaybeUninit<u8>],
}

impl Column {
    /// A column with no buffers, used as a placeholder while moving slots.
    pub(crate) const EMPTY: Column = Column {
        field: FieldType::BINARY,
        len: 0,
        bitmap: Vec::new(),
        nulls: 0,
        offsets: Vec::new(),
        data: Blocks::new(),
        data_len: 0,
        rows_capacity: 0,
        avoid_reuse: true,
        raw_bytes: false,
        tag: 0,
    };

    /// A new empty column with room for `capacity` rows: `capacity * size`
    /// data bytes for fixed width; `8 * capacity` data bytes and
    /// `capacity + 1` offsets for variable width; `(capacity + 7) / 8` bitmap
    /// bytes.
    ///
    /// # Panics
    /// With the message of the error [`Column::try_new`] returns: when the
    /// byte size of `capacity` rows overflows, or the memory cannot be had.
    ///
    /// ```
    /// use chunkpool::{Column, FieldType};
    ///
    /// let c = Column::new(FieldType::F32, 100);
    /// assert!(c.is_empty());
    /// assert!(c.capacity() >= 100);
    /// assert_eq!(c.field_type(), FieldType::F32);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn new(field: FieldType, capacity: usize) -> Column {
        unwrap_or_fail(Column::try_new(field, capacity))
    }

    /// Like [`Column::new`], returning an error instead of panicking (or
    /// aborting the process).
    ///
    /// # Errors
    /// [`Error::CapacityOverflow`] when the byte size of `capacity` rows does
    /// not fit in the address range; [`Error::OutOfMemory`] when the global
    /// allocator refuses the buffers.
    ///
    /// ```
    /// use chunkpool::{Column, Error, FieldType};
    ///
    /// assert_eq!(Column::try_new(FieldType::I64, 8)?.capacity(), 8);
    /// assert_eq!(
    ///     Column::try_new(FieldType::I64, usize::MAX).unwrap_err(),
    ///     Error::CapacityOverflow { field: FieldType::I64, rows: usize::MAX }
    /// );
    /// # Ok::<(), Error>(())
    /// ```
    pub fn try_new(field: FieldType, capacity: usize) -> Result<Column, Error> {
        Column::try_with_var_bytes(field, capacity, VAR_BYTES_PER_ROW)
    }

    /// [`Column::try_new`] with room for `var_row_bytes` bytes of data a
    /// row if `field` is variable-width (at least the usual 8).
    pub(crate) fn try_with_var_bytes(
        field: FieldType,
        capacity: usize,
        var_row_bytes: usize,
    ) -> Result<Column, Error> {
        let plan = ColumnPlan::with_var_bytes(field, capacity, var_row_bytes)?;
        let oom = |_| out_of_memory(field, capacity, plan.bytes());
        // Largest buffer first: an impossible request fails before the
        // others are made.
        let mut data = Blocks::new();
        data.try_reserve_total_exact(plan.data_bytes).map_err(oom)?;
        let mut offsets = Vec::new();
        offsets.try_reserve_exact(plan.offsets).map_err(oom)?;
        let mut bitmap = Vec::new();
        bitmap.try_reserve_exact(plan.bitmap).map_err(oom)?;
        if field.is_var() {
            // Within the capacity just reserved (`rows + 1` entries).
            offsets.push(0);
        }
        let mut col = Column {
            field,
            len: 0,
            bitmap,
            nulls: 0,
            offsets,
            data,
            data_len: 0,
            rows_capacity: 0,
            avoid_reuse: false,
            raw_bytes: false,
            tag: 0,
        };
        // At least `plan.rows`; more where whole blocks or the allocator's
        // rounding leave room.
        col.rows_capacity = col.rows_held();
        debug_assert!(col.rows_capacity >= plan.rows);
        Ok(col)
    }

    /// Runs `reserve`, which may grow the buffers; if it grew any (even
    /// when it then failed: a buffer grown before a refusal keeps its new
    /// capacity), records the rows they hold now and clears the
    /// provenance tag. Every reservation on a live column goes through
    /// here, so a column grown by appends is judged by the pools at its
    /// grown size. (Reservations never shrink a buffer, so a growth
    /// always changes the bytes held.)
    #[inline]
    pub(super) fn growing<T>(
        &mut self,
        reserve: impl FnOnce(&mut Column) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let before = self.allocated_bytes();
        let r = reserve(self);
        if self.allocated_bytes() != before {
            self.rows_capacity = self.rows_held();
            self.tag = 0;
        }
        r
    }

    /// The provenance tag (see the `tag` field); 0 for none.
    #[inline(always)]
    pub(crate) fn tag(&self) -> u64 {
        self.tag
    }

    /// Records that the pool's return check found this column cacheable
    /// as it is, at the position `tag` names.
    #[inline]
    pub(crate) fn set_tag(&mut self, tag: u64) {
        self.tag = tag;
    }

    /// Whether every row of this variable-width column is known to be
    /// valid UTF-8 (see the `raw_bytes` field).
    #[cfg(feature = "arrow")]
    pub(crate) fn utf8_vouched(&self) -> bool {
        self.field.is_var() && !self.raw_bytes
    }

    /// True for [`Column::EMPTY`], the placeholder the pools put where a
    /// new column is still to be made. No cached column is ever marked
    /// `avoid_reusing` (the pools refuse those), so a placeholder never
    /// passes for a cached one.
    pub(crate) fn is_placeholder(&self) -> bool {
        self.avoid_reuse && self.allocated_bytes() == 0
    }

    /// The column's type: the one it was made with, or the one it was
    /// last retyped to with [`reset_as`](Self::reset_as).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// assert_eq!(c.field_type(), FieldType::I64);
    /// c.reset_as(FieldType::DATETIME);
    /// assert_eq!(c.field_type(), FieldType::DATETIME);
    /// ```
    #[inline]
    #[must_use]
    pub fn field_type(&self) -> FieldType {
        self.field
    }

    /// Number of rows, NULL rows included.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 4);
    /// c.append_str("a");
    /// c.append_null();
    /// assert_eq!(c.len(), 2);
    /// ```
    #[inline]
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the column has no rows.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// assert!(c.is_empty());
    /// c.append_null();
    /// assert!(!c.is_empty());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when row `row` is NULL.
    ///
    /// # Panics
    /// With the message of [`Error::RowOutOfRange`] if `row >= len()`.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// c.append_i64(1);
    /// c.append_null();
    /// assert!(!c.is_null(0));
    /// assert!(c.is_null(1));
    /// ```
    #[track_caller]
    #[must_use]
    pub fn is_null(&self, row: usize) -> bool {
        unwrap_or_fail(self.try_is_null(row))
    }

    /// Like [`Column::is_null`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// c.append_null();
    /// assert_eq!(c.try_is_null(0), Ok(true));
    /// assert_eq!(c.try_is_null(1), Err(Error::RowOutOfRange { row: 1, len: 1 }));
    /// ```
    pub fn try_is_null(&self, row: usize) -> Result<bool, Error> {
        self.check_row(row)?;
        Ok(self.bitmap[row / 8] & (1 << (row % 8)) == 0)
    }

    /// Number of NULL rows. O(1): the column keeps the count as rows are
    /// appended, marked ([`Column::set_null`]), resized and reset.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I32, 8);
    /// c.extend_options([Some(1), None, None, Some(4)]);
    /// assert_eq!(c.null_count(), 2);
    /// c.set_null(0, true);
    /// assert_eq!(c.null_count(), 3);
    /// c.reset();
    /// assert_eq!(c.null_count(), 0);
    /// ```
    #[must_use]
    pub fn null_count(&self) -> usize {
        debug_assert_eq!(self.nulls, self.count_nulls(), "null count out of step");
        self.nulls
    }

    /// The NULL rows counted off the bitmap, for the debug check of the
    /// kept count.
    fn count_nulls(&self) -> usize {
        let set: usize = self.bitmap.iter().map(|b| b.count_ones() as usize).sum();
        self.len - set
    }

    /// The null bitmap: `(len + 7) / 8` bytes, bit `i` set when row `i` is not
    /// null; bits past `len` are zero.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 16);
    /// c.extend_options([Some(1i64), None, Some(3)]);
    /// assert_eq!(c.null_bitmap(), &[0b101]);
    /// ```
    #[must_use]
    pub fn null_bitmap(&self) -> &[u8] {
        &self.bitmap
    }

    /// The offsets of a variable-width column (`len + 1` entries, the first
    /// 0); empty for a fixed-width column.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 4);
    /// c.extend_bytes([&b"ab"[..], b"", b"xyz"]);
    /// assert_eq!(c.offsets(), &[0, 2, 2, 5]);
    /// assert!(Column::new(FieldType::I64, 4).offsets().is_empty());
    /// ```
    #[must_use]
    pub fn offsets(&self) -> &[i64] {
        &self.offsets
    }

    /// The data bytes in use: `len * size` for fixed width (a NULL row
    /// takes its element too), the rows' bytes back to back for variable
    /// width.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::U16, 4);
    /// c.extend_from_slice(&[1u16, 0x0302]);
    /// assert_eq!(c.data(), &[1u16.to_ne_bytes(), 0x0302u16.to_ne_bytes()].concat()[..]);
    ///
    /// let mut s = Column::new(FieldType::UTF8, 4);
    /// s.extend_str(["ab", "c"]);
    /// assert_eq!(s.data(), b"abc");
    /// ```
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data.as_bytes()[..self.data_len]
    }

    /// Whether this column's buffers must never be recycled (TiDB's
    /// `avoidReusing`; set it when the buffer is handed to another component).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// assert!(!c.avoid_reusing());
    /// c.set_avoid_reusing(true);
    /// assert!(c.avoid_reusing());
    /// ```
    #[must_use]
    pub fn avoid_reusing(&self) -> bool {
        self.avoid_reuse
    }

    /// Marks the buffers as never to be recycled: when the chunk holding this
    /// column is dropped, the column is freed instead of cached. `false`
    /// clears the mark.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let mut chk = alloc.alloc(&[FieldType::I64, FieldType::UTF8], 8, 8);
    /// chk.column_mut(1).set_avoid_reusing(true); // its bytes escape the executor
    /// drop(chk);
    /// let stats = alloc.stats();
    /// assert_eq!(stats.discarded_avoid_reuse, 1);
    /// assert_eq!(stats.retained_chunks, 0); // not cached whole ...
    /// assert_eq!(stats.retained_columns, 1); // ... only the I64 column, loose
    /// ```
    pub fn set_avoid_reusing(&mut self, avoid: bool) {
        self.avoid_reuse = avoid;
        self.tag = 0;
    }

    /// Address of the data buffer, or null when the column has no data
    /// buffer (a data capacity of 0: `Column::new(field, 0)`, or a clone of
    /// a column with no data bytes). Two live columns never share a
    /// non-null address; tests use it to observe that a recycled column
    /// came back. A data buffer is aligned to 64 bytes (a cache line, and
    /// Arrow's recommended alignment), whatever the column's type.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let (a, b) = (Column::new(FieldType::I64, 4), Column::new(FieldType::I64, 4));
    /// assert!(!a.data_ptr().is_null());
    /// assert_eq!(a.data_ptr() as usize % 64, 0);
    /// assert_ne!(a.data_ptr(), b.data_ptr());
    /// assert!(Column::new(FieldType::I64, 0).data_ptr().is_null());
    /// ```
    #[must_use]
    pub fn data_ptr(&self) -> *const u8 {
        if self.data.capacity() == 0 {
            std::ptr::null()
        } else {
            self.data.as_ptr()
        }
    }

    /// The unused capacity of each buffer, past what the rows use, as
    /// possibly uninitialised memory: like [`Vec::spare_capacity_mut`] for
    /// the three buffers at once. Data is offered as 8-byte words; it is
    /// allocated in 64-byte blocks, and the spare data starts after the
    /// last block in use (the rest of that block is not offered).
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
    #[inline]
    pub fn spare_capacity_mut(&mut self) -> SpareCapacity<'_> {
        // Blocks a reset left in use past the data are spare again.
        if self.data.in_use() > self.data_len {
            self.data.keep_covering(self.data_len);
        }
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
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 64);
    /// // 64 8-byte elements and 8 bitmap bytes, whatever the rows in use.
    /// assert_eq!(c.allocated_bytes(), 64 * 8 + 8);
    /// c.append_i64(1);
    /// assert_eq!(c.allocated_bytes(), 64 * 8 + 8);
    /// ```
    #[must_use]
    pub fn allocated_bytes(&self) -> usize {
        self.data.capacity() + self.offsets.capacity() * 8 + self.bitmap.capacity()
    }

    /// Bytes of data capacity (what the variable-width limit looks at).
    pub(crate) fn data_capacity_bytes(&self) -> usize {
        self.data.capacity()
    }

    /// Why this column must not be cached, if it must not.
    #[inline]
    pub(crate) fn refusal(&self, var: VarLimit) -> Option<Refusal> {
        if self.avoid_reuse {
            Some(Refusal::AvoidReuse)
        } else if self.field.is_var()
            && var.exceeded(self.data_capacity_bytes(), self.rows_capacity())
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
        debug_assert_eq!(
            self.rows_capacity,
            self.rows_held(),
            "a growth went unrecorded"
        );
        self.rows_capacity
    }

    /// The rows the buffers hold, computed from their capacities: data
    /// elements (8 bytes a row for variable width), offsets past the
    /// leading 0, and bitmap bits, whichever runs out first.
    fn rows_held(&self) -> usize {
        let data_bytes = self.data.capacity();
        let data_rows = match self.field.elem_size() {
            Some(size) => data_bytes / size,
            None => (data_bytes / 8).min(self.offsets.capacity().saturating_sub(1)),
        };
        data_rows.min(self.bitmap.capacity().saturating_mul(8))
    }

    /// Whether this column can hold `rows` rows without growing.
    #[inline]
    pub(crate) fn fits(&self, rows: usize) -> bool {
        self.rows_capacity() >= rows
    }

    /// Clears the contents, keeping type, capacity and the `avoid_reusing` flag.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 8);
    /// c.extend_str(["a", "b"]);
    /// let bytes = c.allocated_bytes();
    /// c.reset();
    /// assert!(c.is_empty());
    /// assert_eq!(c.offsets(), &[0]);
    /// assert_eq!(c.allocated_bytes(), bytes); // the buffers stay
    /// ```
    #[inline]
    pub fn reset(&mut self) {
        self.len = 0;
        self.bitmap.clear();
        self.nulls = 0;
        if !self.field.is_var() {
            self.offsets.clear();
        } else if self.offsets.is_empty() {
            // Just retyped from fixed width (`reset_as`).
            self.offsets.push(0);
            self.raw_bytes = false;
        } else {
            // The first offset is always 0: keep it.
            self.offsets.truncate(1);
            self.raw_bytes = false;
        }
        // The data blocks stay in use: the next rows overwrite them in
        // place, without zeroing them first (no read reaches past
        // `data_len`).
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
        let resized = field.code() != self.field.code();
        self.field = field;
        self.tag = 0;
        // A fixed-width column retyped to variable width gets its leading
        // offset here, which may allocate: count the rows after it.
        self.reset();
        if resized {
            self.rows_capacity = self.rows_held();
        }
        // Same size: the buffers hold as many rows as before.
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
