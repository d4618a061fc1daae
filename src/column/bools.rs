//! A `Bool` column's own reads and writes. It stores a byte a row and
//! holds only 0 and 1: every write here takes a `bool` (or a bit), the raw
//! byte append checks its byte ([`Error::InvalidBool`]), and `u8` reads
//! but does not write it (see [`FixedElem`](crate::FixedElem)), so no
//! mutable `u8` view of it exists. Rows are rewritten in place with
//! [`Column::set_bool`].

use super::bulk::{bit, check_validity};
use super::Column;
use crate::error::{unwrap_or_fail, Error};
use crate::field::tag;

/// What the `bool` accesses accept.
const BOOL_EXPECTED: &str = "bool (Bool)";

impl Column {
    /// [`Error::TypeMismatch`] unless the column is `Bool`.
    #[inline]
    fn check_bool(&self) -> Result<(), Error> {
        self.check_accepts(tag::bit(tag::BOOL), BOOL_EXPECTED)
    }

    /// [`Error::InvalidBool`] when `bytes`, an element of this column, is
    /// a `Bool` byte other than 0 or 1 (every other type takes any bytes).
    #[inline]
    pub(super) fn check_bool_bytes(&self, bytes: &[u8]) -> Result<(), Error> {
        match bytes {
            &[value] if value > 1 && self.field.tag() == tag::BOOL => {
                Err(Error::InvalidBool { value })
            }
            _ => Ok(()),
        }
    }

    /// Appends one boolean to a [`FieldType::BOOL`](crate::FieldType::BOOL) column (stored as the
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
        unwrap_or_fail(self.try_append_bool(value))
    }

    /// Like [`Column::append_bool`], returning an error instead of
    /// panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool`;
    /// [`Error::OutOfMemory`] when a buffer must grow and the allocator
    /// refuses (the column is then unchanged).
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 1);
    /// assert_eq!(c.try_append_bool(true), Ok(()));
    /// let mut bytes = Column::new(FieldType::U8, 1);
    /// assert!(matches!(bytes.try_append_bool(true), Err(Error::TypeMismatch { .. })));
    /// ```
    pub fn try_append_bool(&mut self, value: bool) -> Result<(), Error> {
        self.check_bool()?;
        self.push_row(&[u8::from(value)], false)
    }

    /// Reads row `row` of a [`FieldType::BOOL`](crate::FieldType::BOOL) column: true unless its
    /// byte is 0 (a NULL reads as false unless written).
    ///
    /// # Panics
    /// With the message of the error [`Column::try_get_bool`] returns: on a
    /// column of another logical type, or if `row >= len()`.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 2);
    /// c.append_bool(true);
    /// c.append_null();
    /// assert!(c.get_bool(0));
    /// assert!(!c.get_bool(1)); // NULL reads as false; `value_bool` tells it apart
    /// ```
    #[track_caller]
    #[must_use]
    pub fn get_bool(&self, row: usize) -> bool {
        unwrap_or_fail(self.try_get_bool(row))
    }

    /// Like [`Column::get_bool`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool`;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 1);
    /// c.append_bool(false);
    /// assert_eq!(c.try_get_bool(0), Ok(false));
    /// assert_eq!(c.try_get_bool(1), Err(Error::RowOutOfRange { row: 1, len: 1 }));
    /// ```
    pub fn try_get_bool(&self, row: usize) -> Result<bool, Error> {
        self.check_bool()?;
        self.check_row(row)?;
        Ok(self.data()[row] != 0)
    }

    /// Row `row` of a [`FieldType::BOOL`](crate::FieldType::BOOL) column as
    /// `Some(bool)`, or `None` when it is NULL (the `bool` twin of
    /// [`Column::value`]).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 2);
    /// c.append_bool(true);
    /// c.append_null();
    /// assert_eq!((c.value_bool(0), c.value_bool(1)), (Some(true), None));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_value_bool`] returns.
    #[track_caller]
    #[must_use]
    pub fn value_bool(&self, row: usize) -> Option<bool> {
        unwrap_or_fail(self.try_value_bool(row))
    }

    /// Like [`Column::value_bool`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::U8, 1);
    /// c.append_u8(1);
    /// assert!(matches!(c.try_value_bool(0), Err(Error::TypeMismatch { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool`;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    pub fn try_value_bool(&self, row: usize) -> Result<Option<bool>, Error> {
        let value = self.try_get_bool(row)?;
        Ok((!self.is_null(row)).then_some(value))
    }

    /// Appends `Some(value)` or a NULL to a
    /// [`FieldType::BOOL`](crate::FieldType::BOOL) column (a NULL stores
    /// 0).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 2);
    /// c.append_option_bool(Some(true));
    /// c.append_option_bool(None);
    /// assert_eq!(c.iter_bool().collect::<Vec<_>>(), [Some(true), None]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_append_option_bool`]
    /// returns.
    #[track_caller]
    pub fn append_option_bool(&mut self, value: Option<bool>) {
        unwrap_or_fail(self.try_append_option_bool(value));
    }

    /// Like [`Column::append_option_bool`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::U8, 1);
    /// assert!(matches!(c.try_append_option_bool(None), Err(Error::TypeMismatch { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool` (for `None`
    /// too); [`Error::OutOfMemory`] when a buffer must grow and the
    /// allocator refuses (the column is then unchanged).
    pub fn try_append_option_bool(&mut self, value: Option<bool>) -> Result<(), Error> {
        self.check_bool()?;
        match value {
            Some(v) => self.push_row(&[u8::from(v)], false),
            None => self.push_null_row(1, false),
        }
    }

    /// Appends every value of `values`, none NULL, to a
    /// [`FieldType::BOOL`](crate::FieldType::BOOL) column, with one
    /// reservation and one copy (a `bool` is the byte 0 or 1 already).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 4);
    /// c.extend_bools(&[true, false, true]);
    /// assert_eq!(c.as_slice::<u8>(), &[1, 0, 1]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_bools`] returns.
    #[track_caller]
    pub fn extend_bools(&mut self, values: &[bool]) {
        unwrap_or_fail(self.try_extend_bools(values));
    }

    /// Like [`Column::extend_bools`], returning an error instead of
    /// panicking; on an error the column is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::U8, 4);
    /// assert!(matches!(c.try_extend_bools(&[true]), Err(Error::TypeMismatch { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool`;
    /// [`Error::CapacityOverflow`] or [`Error::OutOfMemory`] when the
    /// buffers cannot grow.
    pub fn try_extend_bools(&mut self, values: &[bool]) -> Result<(), Error> {
        self.check_bool()?;
        self.extend_fixed_parts(bytemuck::cast_slice(values), None)
    }

    /// Appends every item of `values`, `None` as a NULL, to a
    /// [`FieldType::BOOL`](crate::FieldType::BOOL) column.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 4);
    /// c.extend_option_bools([Some(false), None, Some(true)]);
    /// assert_eq!((c.null_count(), c.get_bool(2)), (1, true));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_option_bools`]
    /// returns.
    #[track_caller]
    pub fn extend_option_bools(&mut self, values: impl IntoIterator<Item = Option<bool>>) {
        unwrap_or_fail(self.try_extend_option_bools(values));
    }

    /// Like [`Column::extend_option_bools`], returning an error instead of
    /// panicking; on an error the column is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::I8, 4);
    /// let err = c.try_extend_option_bools([Some(true)]).unwrap_err();
    /// assert!(matches!(err, Error::TypeMismatch { .. }));
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool` (checked before
    /// any item is read); [`Error::OutOfMemory`] when a buffer must grow
    /// and the allocator refuses (the items appended before it are
    /// removed).
    pub fn try_extend_option_bools(
        &mut self,
        values: impl IntoIterator<Item = Option<bool>>,
    ) -> Result<(), Error> {
        self.check_bool()?;
        self.all_or_nothing(values, Column::try_append_option_bool)
    }

    /// Appends `rows` booleans packed a bit a row (Arrow's `Boolean`
    /// layout: LSB first, from bit 0 of `values`) to a
    /// [`FieldType::BOOL`](crate::FieldType::BOOL) column, row `i` NULL
    /// where bit `i` of `validity` is clear (`None`: no NULL). A NULL row
    /// stores 0, whatever its value bit.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 8);
    /// c.extend_bools_from_parts(&[0b0000_0111], 3, Some(&[0b101]));
    /// assert_eq!(c.iter_bool().collect::<Vec<_>>(), [Some(true), None, Some(true)]);
    /// assert_eq!(c.as_slice::<u8>(), &[1, 0, 1]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_extend_bools_from_parts`]
    /// returns.
    #[track_caller]
    pub fn extend_bools_from_parts(&mut self, values: &[u8], rows: usize, validity: Option<&[u8]>) {
        unwrap_or_fail(self.try_extend_bools_from_parts(values, rows, validity));
    }

    /// Like [`Column::extend_bools_from_parts`], returning an error
    /// instead of panicking; on an error the column's rows are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 16);
    /// let short = c.try_extend_bools_from_parts(&[0xff], 9, None);
    /// assert!(matches!(short, Err(Error::InvalidRows { at: 1, .. })));
    /// assert!(c.is_empty());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool`;
    /// [`Error::InvalidRows`] when `values` or `validity` has fewer bits
    /// than `rows` (`at`: its length in bytes); [`Error::CapacityOverflow`]
    /// or [`Error::OutOfMemory`] when the buffers cannot grow.
    pub fn try_extend_bools_from_parts(
        &mut self,
        values: &[u8],
        rows: usize,
        validity: Option<&[u8]>,
    ) -> Result<(), Error> {
        self.check_bool()?;
        if values.len() < rows.div_ceil(8) {
            return Err(Error::InvalidRows {
                reason: "the values bitmap has fewer bits than there are rows",
                at: values.len(),
            });
        }
        check_validity(validity, rows)?;
        let end = self.data_end_after(rows, rows)?;
        self.reserve_rows(rows, end)?;
        let start = self.data_len;
        self.data.grow_to(end);
        let valid = |i| validity.map_or(true, |v| bit(v, i));
        for (i, b) in self.data.as_bytes_mut()[start..end].iter_mut().enumerate() {
            *b = u8::from(bit(values, i) && valid(i));
        }
        self.data_len = end;
        match validity {
            None => self.push_valid_bits(rows),
            Some(bits) => self.push_bits(bits, rows),
        }
        Ok(())
    }

    /// The rows of a [`FieldType::BOOL`](crate::FieldType::BOOL) column,
    /// `None` for each NULL, in order.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 3);
    /// c.extend_option_bools([Some(true), None, Some(false)]);
    /// assert_eq!(c.iter_bool().filter(|b| *b == Some(true)).count(), 1);
    /// ```
    ///
    /// # Panics
    /// With the message of [`Error::TypeMismatch`] (at the call) unless the
    /// column is `Bool`.
    #[track_caller]
    #[must_use]
    pub fn iter_bool(
        &self,
    ) -> impl ExactSizeIterator<Item = Option<bool>> + DoubleEndedIterator + '_ {
        unwrap_or_fail(self.try_iter_bool())
    }

    /// Like [`Column::iter_bool`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// assert!(Column::new(FieldType::U8, 1).try_iter_bool().is_err());
    /// assert_eq!(Column::new(FieldType::BOOL, 1).try_iter_bool().unwrap().len(), 0);
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool`.
    pub fn try_iter_bool(
        &self,
    ) -> Result<impl ExactSizeIterator<Item = Option<bool>> + DoubleEndedIterator + '_, Error> {
        self.check_bool()?;
        Ok(self
            .try_iter::<u8>()?
            .map(|b: Option<u8>| b.map(|b| b != 0)))
    }

    /// Sets row `row` of a [`FieldType::BOOL`](crate::FieldType::BOOL)
    /// column to `value`, in place: the mutable access a `Bool` column has
    /// instead of a `u8` slice (which could store 2). The row's NULL mark
    /// is not touched, as with [`Column::as_mut_slice`].
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 2);
    /// c.extend_bools(&[false, false]);
    /// c.set_bool(1, true);
    /// assert_eq!(c.as_slice::<u8>(), &[0, 1]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_set_bool`] returns.
    #[track_caller]
    pub fn set_bool(&mut self, row: usize, value: bool) {
        unwrap_or_fail(self.try_set_bool(row, value));
    }

    /// Like [`Column::set_bool`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::BOOL, 2);
    /// assert_eq!(c.try_set_bool(0, true), Err(Error::RowOutOfRange { row: 0, len: 0 }));
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Bool`;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    pub fn try_set_bool(&mut self, row: usize, value: bool) -> Result<(), Error> {
        self.check_bool()?;
        self.check_row(row)?;
        self.data.as_bytes_mut()[row] = u8::from(value);
        Ok(())
    }
}
