//! NULL-aware and bulk writes: appends of an `Option`, marking a row NULL
//! or not, setting a fixed-width column's length (`resize`), and
//! extending a column by many rows at once.
//!
//! Every bulk write checks the type first, and on an error leaves the
//! column as it was (rows appended before the error are rolled back).

use super::buffers::{out_of_memory, ColumnPlan};
use super::{Column, FixedElem};
use crate::error::unwrap_or_fail;
use crate::error::Error;

/// What the byte-string writes accept.
const BYTES_EXPECTED: &str = "byte string (Utf8, Binary)";
/// What the string writes accept.
const STR_EXPECTED: &str = "str (Utf8, Binary)";

/// Where a column's rows ended before a bulk write, to roll back to.
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    pub(super) len: usize,
    pub(super) data_len: usize,
    pub(super) offsets: usize,
    pub(super) nulls: usize,
}

impl Column {
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            len: self.len,
            data_len: self.data_len,
            offsets: self.offsets.len(),
            nulls: self.nulls,
        }
    }

    /// Drops the rows appended since `m`, keeping the buffers' capacity:
    /// the bitmap's bits and data bytes past the old ends are cleared, as
    /// they were.
    #[cold]
    pub(crate) fn rollback(&mut self, m: Mark) {
        self.shorten(m);
        self.data.truncate(m.data_len);
    }

    /// Ends the column at `m` (at most its rows), bitmap bits past the
    /// end cleared; the data blocks stay in use, as [`Column::reset`]
    /// leaves them, so the rows written next need not zero them again.
    pub(crate) fn shorten(&mut self, m: Mark) {
        self.len = m.len;
        self.nulls = m.nulls;
        self.offsets.truncate(m.offsets);
        self.bitmap.truncate(m.len.div_ceil(8));
        if m.len % 8 != 0 {
            if let Some(last) = self.bitmap.last_mut() {
                *last &= (1u8 << (m.len % 8)) - 1;
            }
        }
        self.data_len = m.data_len;
    }

    /// Keeps the first `rows` rows and drops the rest, in place: the
    /// buffers keep their capacity, so the column fills again without
    /// growing. Nothing happens when `rows >= len()` (as `Vec::truncate`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 4);
    /// c.extend_str(["a", "bc", "def"]);
    /// c.set_null(1, true);
    /// let bytes = c.allocated_bytes();
    /// c.truncate(1);
    /// assert_eq!((c.len(), c.null_count(), c.offsets()), (1, 0, &[0i64, 1][..]));
    /// assert_eq!(c.allocated_bytes(), bytes);
    /// c.append_str("x");
    /// assert_eq!(c.value_str(1), Some("x"));
    /// ```
    pub fn truncate(&mut self, rows: usize) {
        if rows >= self.len {
            return;
        }
        let dropped_nulls = (rows..self.len)
            .filter(|&i| self.bitmap[i / 8] & (1 << (i % 8)) == 0)
            .count();
        let data_len = match self.field.elem_size() {
            Some(size) => rows * size,
            // Offsets rise from 0 and stay within the data (every writer
            // keeps them so), so this is in range and not negative.
            None => usize::try_from(self.offsets[rows]).unwrap_or(self.data_len),
        };
        let offsets = if self.field.is_var() { rows + 1 } else { 0 };
        self.shorten(Mark {
            len: rows,
            data_len,
            offsets,
            nulls: self.nulls - dropped_nulls,
        });
    }

    /// Reserves, in one go, room for `rows` more rows whose data ends at
    /// byte `data_end`, with `rows` more offsets on a variable-width
    /// column.
    pub(super) fn reserve_rows(&mut self, rows: usize, data_end: usize) -> Result<(), Error> {
        let field = self.field;
        let total = self.len.saturating_add(rows);
        let offsets = if field.is_var() { total + 1 } else { 0 };
        let bitmap = total.div_ceil(8);
        let oom = |_| {
            let bytes = data_end
                .saturating_add(offsets.saturating_mul(8))
                .saturating_add(bitmap);
            out_of_memory(field, total, bytes)
        };
        self.growing(|c| {
            c.data.try_reserve_total(data_end).map_err(oom)?;
            c.offsets
                .try_reserve(offsets.saturating_sub(c.offsets.len()))
                .map_err(oom)?;
            c.bitmap
                .try_reserve(bitmap.saturating_sub(c.bitmap.len()))
                .map_err(oom)
        })
    }

    /// Appends `n` not-NULL bits (room reserved).
    pub(super) fn push_valid_bits(&mut self, n: usize) {
        let mut i = self.len;
        let end = i + n;
        // The partial byte first, then whole bytes, then the tail.
        while i < end && i % 8 != 0 {
            self.bitmap[i / 8] |= 1 << (i % 8);
            i += 1;
        }
        let full = (end - i) / 8;
        self.bitmap.resize(self.bitmap.len() + full, 0xff);
        i += full * 8;
        if i < end {
            self.bitmap.push((1u8 << (end - i)) - 1);
        }
        self.len = end;
    }

    /// Appends `Some(value)` as a value or `None` as a NULL to a column of
    /// a logical type `T` writes (see [`FixedElem`]).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 2);
    /// c.append_option(Some(5i64));
    /// c.append_option::<i64>(None);
    /// assert_eq!(c.iter::<i64>().collect::<Vec<_>>(), [Some(5), None]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_append_option`]
    /// returns: if `T` does not write the column's logical type (checked
    /// for `None` too), or the memory cannot be had.
    #[track_caller]
    pub fn append_option<T: FixedElem>(&mut self, value: Option<T>) {
        unwrap_or_fail(self.try_append_option(value))
    }

    /// Like [`Column::append_option`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 1);
    /// assert!(c.try_append_option::<f64>(None).is_err());
    /// assert_eq!(c.len(), 0);
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` writes the column's logical type;
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses (the column is then unchanged).
    pub fn try_append_option<T: FixedElem>(&mut self, value: Option<T>) -> Result<(), Error> {
        match value {
            Some(v) => self.try_append_value(v),
            None => {
                self.check_write::<T>()?;
                self.try_append_null()
            }
        }
    }

    /// Appends `Some(bytes)` or a NULL to a variable-width column (`Utf8`
    /// or `Binary`); the bytes are not checked to be UTF-8, as with
    /// [`Column::append_bytes`].
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 2);
    /// c.append_option_bytes(Some(b"\x00\x01"));
    /// c.append_option_bytes(None);
    /// assert_eq!(c.value_bytes(0), Some(&b"\x00\x01"[..]));
    /// assert!(c.is_null(1));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_append_option_bytes`]
    /// returns: on a fixed-width column, past `i64::MAX` bytes of data, or
    /// when the memory cannot be had.
    #[track_caller]
    #[inline]
    pub fn append_option_bytes(&mut self, value: Option<&[u8]>) {
        unwrap_or_fail(self.try_append_option_bytes(value))
    }

    /// Like [`Column::append_option_bytes`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// assert!(Column::new(FieldType::I8, 1).try_append_option_bytes(None).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column (for `None` too);
    /// [`Error::OffsetOverflow`] when the data would pass `i64::MAX`
    /// bytes; [`Error::OutOfMemory`] when a buffer must grow and the
    /// allocator refuses (the column is then unchanged).
    #[inline]
    pub fn try_append_option_bytes(&mut self, value: Option<&[u8]>) -> Result<(), Error> {
        match value {
            Some(b) => self.try_append_bytes(b),
            None if self.field.is_var() => self.try_append_null(),
            None => Err(self.mismatch(BYTES_EXPECTED)),
        }
    }

    /// Appends `Some(s)` or a NULL to a variable-width column (`Utf8` or
    /// `Binary`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 2);
    /// c.append_option_str(Some("x"));
    /// c.append_option_str(None);
    /// assert_eq!(c.iter_str().collect::<Vec<_>>(), [Some("x"), None]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_append_option_str`]
    /// returns: on a fixed-width column, past `i64::MAX` bytes of data, or
    /// when the memory cannot be had.
    #[track_caller]
    #[inline]
    pub fn append_option_str(&mut self, value: Option<&str>) {
        unwrap_or_fail(self.try_append_option_str(value))
    }

    /// Like [`Column::append_option_str`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// assert!(Column::new(FieldType::I64, 1).try_append_option_str(Some("1")).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column (for `None` too);
    /// [`Error::OffsetOverflow`] when the data would pass `i64::MAX`
    /// bytes; [`Error::OutOfMemory`] when a buffer must grow and the
    /// allocator refuses (the column is then unchanged).
    #[inline]
    pub fn try_append_option_str(&mut self, value: Option<&str>) -> Result<(), Error> {
        if !self.field.is_var() {
            return Err(self.mismatch(STR_EXPECTED));
        }
        match value {
            Some(s) => self.push_str_row(s),
            None => self.push_null_row(0, true),
        }
    }

    /// Marks row `row` NULL (`null == true`) or not NULL, on a column of
    /// any type. The row's stored element (its bytes, for variable width)
    /// is kept: marking a row not NULL again brings its old value back,
    /// and the `get_*` methods read it whichever way the row is marked.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 1);
    /// c.append_i64(9);
    /// c.set_null(0, true);
    /// assert_eq!((c.value::<i64>(0), c.get_i64(0), c.null_count()), (None, 9, 1));
    /// c.set_null(0, false);
    /// assert_eq!(c.value::<i64>(0), Some(9));
    /// ```
    ///
    /// # Panics
    /// With the message of [`Error::RowOutOfRange`] if `row >= len()`.
    #[track_caller]
    pub fn set_null(&mut self, row: usize, null: bool) {
        unwrap_or_fail(self.try_set_null(row, null))
    }

    /// Like [`Column::set_null`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::I64, 1);
    /// assert_eq!(c.try_set_null(0, true), Err(Error::RowOutOfRange { row: 0, len: 0 }));
    /// ```
    ///
    /// # Errors
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    pub fn try_set_null(&mut self, row: usize, null: bool) -> Result<(), Error> {
        self.check_row(row)?;
        let (byte, bit) = (&mut self.bitmap[row / 8], 1u8 << (row % 8));
        let was_null = *byte & bit == 0;
        if null && !was_null {
            *byte &= !bit;
            self.nulls += 1;
        } else if !null && was_null {
            *byte |= bit;
            self.nulls -= 1;
        }
        Ok(())
    }

    /// Appends `n` NULL rows at once (TiDB's `AppendNNulls`), reserving
    /// room for all of them first: a fixed-width NULL row holds a zeroed
    /// element, a variable-width one no bytes.
    ///
    /// # Panics
    /// With the message of the error [`Column::try_append_nulls`] returns.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 4);
    /// c.append_str("a");
    /// c.append_nulls(3);
    /// assert_eq!((c.len(), c.null_count(), c.value_str(3)), (4, 3, None));
    /// assert!(c.has_null());
    /// ```
    #[track_caller]
    pub fn append_nulls(&mut self, n: usize) {
        unwrap_or_fail(self.try_append_nulls(n));
    }

    /// Like [`Column::append_nulls`], returning an error instead of
    /// panicking; on an error no row is appended.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// assert!(matches!(c.try_append_nulls(usize::MAX), Err(Error::CapacityOverflow { .. })));
    /// assert_eq!(c.len(), 0);
    /// ```
    ///
    /// # Errors
    /// [`Error::CapacityOverflow`] when the rows' byte size overflows;
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses.
    pub fn try_append_nulls(&mut self, n: usize) -> Result<(), Error> {
        let size = self.field.elem_size();
        let data_end = match size {
            Some(size) => self
                .len
                .checked_add(n)
                .and_then(|rows| rows.checked_mul(size))
                .ok_or(Error::CapacityOverflow {
                    field: self.field,
                    rows: self.len.saturating_add(n),
                })?,
            None => self.data_len,
        };
        self.reserve_rows(n, data_end)?;
        for _ in 0..n {
            // Room for every row was reserved above: this cannot fail.
            self.push_null_row(size.unwrap_or(0), size.is_none())?;
        }
        Ok(())
    }

    /// True when some row is NULL (TiDB's `HasNull`); O(1).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// c.append_i64(1);
    /// assert!(!c.has_null());
    /// c.append_null();
    /// assert!(c.has_null());
    /// ```
    #[must_use]
    pub fn has_null(&self) -> bool {
        self.null_count() > 0
    }

    /// Marks rows `range` NULL (`null == true`) or not (TiDB's
    /// `SetNulls`), as [`Column::set_null`] does one row.
    ///
    /// # Panics
    /// With the message of the error [`Column::try_set_nulls`] returns.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 8);
    /// c.extend_from_slice(&[1i64, 2, 3, 4]);
    /// c.set_nulls(1..3, true);
    /// assert_eq!(c.iter::<i64>().collect::<Vec<_>>(), [Some(1), None, None, Some(4)]);
    /// ```
    #[track_caller]
    pub fn set_nulls(&mut self, range: std::ops::Range<usize>, null: bool) {
        unwrap_or_fail(self.try_set_nulls(range, null));
    }

    /// Like [`Column::set_nulls`], returning an error instead of
    /// panicking; on an error no row is changed.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// c.append_i64(1);
    /// assert_eq!(c.try_set_nulls(0..2, true), Err(Error::RowOutOfRange { row: 1, len: 1 }));
    /// assert!(!c.has_null());
    /// ```
    ///
    /// # Errors
    /// [`Error::RowOutOfRange`] naming the first row of `range` at or past
    /// `len()` (an inverted range names its start, with `len` = its end).
    pub fn try_set_nulls(
        &mut self,
        range: std::ops::Range<usize>,
        null: bool,
    ) -> Result<(), Error> {
        if range.start > range.end {
            return Err(Error::RowOutOfRange {
                row: range.start,
                len: range.end,
            });
        }
        if range.end > self.len {
            return Err(Error::RowOutOfRange {
                row: range.start.max(self.len),
                len: self.len,
            });
        }
        for row in range {
            self.try_set_null(row, null)?;
        }
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
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 4);
    /// c.resize(3, false); // three zero rows, not NULL
    /// c.as_mut_slice::<i64>().copy_from_slice(&[1, 2, 3]);
    /// assert_eq!(c.as_slice::<i64>(), &[1, 2, 3]);
    /// c.resize(2, true); // two NULL rows
    /// assert_eq!(c.null_count(), 2);
    /// ```
    #[track_caller]
    pub fn resize(&mut self, rows: usize, null: bool) {
        unwrap_or_fail(self.try_resize(rows, null))
    }

    /// Like [`Column::resize`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a variable-width column;
    /// [`Error::CapacityOverflow`] when the byte size of `rows` rows does not
    /// fit in the address range; [`Error::OutOfMemory`] when the buffers
    /// must grow and the allocator refuses. On an error the column is
    /// unchanged.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 1);
    /// assert!(matches!(c.try_resize(2, false), Err(Error::TypeMismatch { .. })));
    /// let mut huge = Column::new(FieldType::I64, 1);
    /// assert!(matches!(huge.try_resize(usize::MAX, false), Err(Error::CapacityOverflow { .. })));
    /// assert!(huge.is_empty());
    /// ```
    pub fn try_resize(&mut self, rows: usize, null: bool) -> Result<(), Error> {
        let size = self
            .field
            .elem_size()
            .ok_or_else(|| self.mismatch("fixed-width resize"))?;
        let plan = ColumnPlan::new(self.field, rows)?;
        // Reserve before touching the rows, so a refusal changes nothing.
        let field = self.field;
        let oom = |_| out_of_memory(field, rows, plan.bytes());
        self.growing(|c| {
            c.data.try_reserve_total(plan.data_bytes).map_err(oom)?;
            let more_bitmap = plan.bitmap.saturating_sub(c.bitmap.len());
            c.bitmap.try_reserve(more_bitmap).map_err(oom)
        })?;
        self.data.clear();
        self.data.grow_to(plan.data_bytes);
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
        self.nulls = if null { rows } else { 0 };
        Ok(())
    }

    /// Appends every value of `values`, none NULL, to a column of a logical
    /// type `T` writes (see [`FixedElem`]), with one reservation.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::F64, 0);
    /// c.extend_from_slice(&[1.0f64, 2.0, 3.0]);
    /// assert_eq!(c.as_slice::<f64>(), &[1.0, 2.0, 3.0]);
    /// assert_eq!(c.null_count(), 0);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_from_slice`]
    /// returns: if `T` does not write the column's logical type, or the
    /// memory cannot be had.
    #[track_caller]
    pub fn extend_from_slice<T: FixedElem>(&mut self, values: &[T]) {
        unwrap_or_fail(self.try_extend_from_slice(values))
    }

    /// Like [`Column::extend_from_slice`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I32, 2);
    /// assert!(c.try_extend_from_slice(&[1i64]).is_err());
    /// assert!(c.try_extend_from_slice(&[1i32, 2]).is_ok());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` writes the column's logical type;
    /// [`Error::CapacityOverflow`] when the rows' byte size does not fit in
    /// the address range; [`Error::OutOfMemory`] when a buffer must grow
    /// and the allocator refuses. On an error the column is unchanged.
    pub fn try_extend_from_slice<T: FixedElem>(&mut self, values: &[T]) -> Result<(), Error> {
        self.try_extend_from_parts(values, None)
    }

    /// Appends every item of `values`, `None` as a NULL, to a column of a
    /// logical type `T` writes (see [`FixedElem`]).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::U16, 4);
    /// c.extend_options([Some(1u16), None, Some(3)]);
    /// assert_eq!(c.iter::<u16>().collect::<Vec<_>>(), [Some(1), None, Some(3)]);
    /// assert_eq!(c.null_count(), 1);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_options`]
    /// returns: if `T` does not write the column's logical type, or the
    /// memory cannot be had.
    #[track_caller]
    pub fn extend_options<T: FixedElem>(&mut self, values: impl IntoIterator<Item = Option<T>>) {
        unwrap_or_fail(self.try_extend_options(values))
    }

    /// Like [`Column::extend_options`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::U16, 4);
    /// assert!(c.try_extend_options([Some(1u32)]).is_err());
    /// assert!(c.is_empty());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` writes the column's logical type
    /// (checked before any item is read); [`Error::OutOfMemory`] when a
    /// buffer must grow and the allocator refuses. On an error the column
    /// is unchanged: the items appended before it are removed.
    pub fn try_extend_options<T: FixedElem>(
        &mut self,
        values: impl IntoIterator<Item = Option<T>>,
    ) -> Result<(), Error> {
        self.check_write::<T>()?;
        self.all_or_nothing(values, Column::try_append_option)
    }

    /// Appends every byte string of `values`, none NULL, to a
    /// variable-width column (`Utf8` or `Binary`); the bytes are not
    /// checked to be UTF-8, as with [`Column::append_bytes`].
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 2);
    /// c.extend_bytes([&b"a"[..], b"bc"]);
    /// assert_eq!(c.offsets(), &[0, 1, 3]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_bytes`] returns:
    /// on a fixed-width column, past `i64::MAX` bytes of data, or when the
    /// memory cannot be had.
    #[track_caller]
    pub fn extend_bytes<'a>(&mut self, values: impl IntoIterator<Item = &'a [u8]>) {
        unwrap_or_fail(self.try_extend_bytes(values))
    }

    /// Like [`Column::extend_bytes`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 2);
    /// assert!(c.try_extend_bytes([&b"a"[..]]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column (checked before any
    /// item is read); [`Error::OffsetOverflow`] when the data would pass
    /// `i64::MAX` bytes; [`Error::OutOfMemory`] when a buffer must grow and
    /// the allocator refuses. On an error the column is unchanged: the
    /// items appended before it are removed.
    pub fn try_extend_bytes<'a>(
        &mut self,
        values: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<(), Error> {
        if !self.field.is_var() {
            return Err(self.mismatch(BYTES_EXPECTED));
        }
        self.all_or_nothing(values, Column::try_append_bytes)
    }

    /// Appends every string of `values`, none NULL, to a variable-width
    /// column (`Utf8` or `Binary`).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 2);
    /// c.extend_str("a,b".split(','));
    /// assert_eq!(c.iter_str().collect::<Vec<_>>(), [Some("a"), Some("b")]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_str`] returns:
    /// on a fixed-width column, past `i64::MAX` bytes of data, or when the
    /// memory cannot be had.
    #[track_caller]
    pub fn extend_str<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        unwrap_or_fail(self.try_extend_str(values))
    }

    /// Like [`Column::extend_str`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// assert!(Column::new(FieldType::BOOL, 1).try_extend_str(["t"]).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column (checked before any
    /// item is read); [`Error::OffsetOverflow`] when the data would pass
    /// `i64::MAX` bytes; [`Error::OutOfMemory`] when a buffer must grow and
    /// the allocator refuses. On an error the column is unchanged: the
    /// items appended before it are removed.
    pub fn try_extend_str<'a>(
        &mut self,
        values: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), Error> {
        if !self.field.is_var() {
            return Err(self.mismatch(STR_EXPECTED));
        }
        self.all_or_nothing(values, Column::push_str_row)
    }

    /// Appends every item of `values` with `append`; on the first error,
    /// removes the rows appended before it and returns the error.
    pub(super) fn all_or_nothing<V>(
        &mut self,
        values: impl IntoIterator<Item = V>,
        mut append: impl FnMut(&mut Column, V) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mark = self.mark();
        let r = values.into_iter().try_for_each(|v| append(self, v));
        if r.is_err() {
            self.rollback(mark);
        }
        r
    }
}
