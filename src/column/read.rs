//! NULL-aware reads: getters that return `None` for a NULL row (where the
//! `get_*` family returns the element a NULL row stores), `&str` reads of
//! `Utf8` columns, and iterators over a column's rows.

use super::{Column, FixedElem};
use crate::error::unwrap_or_fail;
use crate::error::Error;
use crate::field::tag;

/// What the `&str` reads accept.
const UTF8_EXPECTED: &str = "str (Utf8)";
/// What the byte-string reads accept.
const BYTES_EXPECTED: &str = "byte string (Utf8, Binary)";

impl Column {
    /// Whether row `row` (already checked to be in range) is not NULL.
    #[inline]
    fn valid(&self, row: usize) -> bool {
        self.bitmap[row / 8] & (1 << (row % 8)) != 0
    }

    /// Row `row` as `Some(value)`, or `None` when it is NULL, for a column
    /// of a logical type `T` reads (see [`FixedElem`]).
    ///
    /// Unlike [`Column::get_i64`] and the other `get_*` methods, which read
    /// the element a NULL row stores (zero unless written), this one tells
    /// a NULL from a value.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I64, 2);
    /// c.append_i64(7);
    /// c.append_null();
    /// assert_eq!(c.value::<i64>(0), Some(7));
    /// assert_eq!(c.value::<i64>(1), None);
    /// assert_eq!(c.get_i64(1), 0); // the stored element
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_value`] returns: if `T`
    /// does not read the column's logical type, or `row >= len()`.
    #[track_caller]
    #[must_use]
    pub fn value<T: FixedElem>(&self, row: usize) -> Option<T> {
        unwrap_or_fail(self.try_value(row))
    }

    /// Like [`Column::value`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::F64, 1);
    /// c.append_f64(0.5);
    /// assert_eq!(c.try_value::<f64>(0), Ok(Some(0.5)));
    /// assert!(matches!(c.try_value::<i64>(0), Err(Error::TypeMismatch { .. })));
    /// assert!(matches!(c.try_value::<f64>(1), Err(Error::RowOutOfRange { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` reads the column's logical type
    /// (a same-sized type or a variable-width column included);
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    pub fn try_value<T: FixedElem>(&self, row: usize) -> Result<Option<T>, Error> {
        let v = self.try_get_value::<T>(row)?;
        Ok(self.valid(row).then_some(v))
    }

    /// Row `row` of a variable-width column (`Utf8` or `Binary`) as
    /// `Some(bytes)`, or `None` when it is NULL. [`Column::get_bytes`]
    /// reads a NULL as the bytes it stores: the empty slice for an appended
    /// NULL (the same as an empty string), the old bytes for a row marked
    /// NULL with [`Column::set_null`].
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 4);
    /// c.append_bytes(b"");
    /// c.append_null();
    /// c.append_bytes(b"ab");
    /// c.set_null(2, true);
    /// assert_eq!(c.value_bytes(0), Some(&b""[..]));
    /// assert_eq!(c.value_bytes(1), None);
    /// assert_eq!(c.value_bytes(2), None);
    /// assert_eq!((c.get_bytes(1), c.get_bytes(2)), (&b""[..], &b"ab"[..]));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_value_bytes`] returns:
    /// on a fixed-width column, or if `row >= len()`.
    #[track_caller]
    #[must_use]
    pub fn value_bytes(&self, row: usize) -> Option<&[u8]> {
        unwrap_or_fail(self.try_value_bytes(row))
    }

    /// Like [`Column::value_bytes`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let c = Column::new(FieldType::I64, 1);
    /// assert!(c.try_value_bytes(0).is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    pub fn try_value_bytes(&self, row: usize) -> Result<Option<&[u8]>, Error> {
        let b = self.try_get_bytes(row)?;
        Ok(self.valid(row).then_some(b))
    }

    /// Row `row` of a `Utf8` column as `Some(&str)`, or `None` when it is
    /// NULL. The bytes are checked to be UTF-8 on every call (an
    /// [`append_bytes`](Column::append_bytes) may have put others there).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 2);
    /// c.append_str("tidb");
    /// c.append_null();
    /// assert_eq!(c.value_str(0), Some("tidb"));
    /// assert_eq!(c.value_str(1), None);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_value_str`] returns: on a
    /// column that is not `Utf8` (`Binary` included), if `row >= len()`,
    /// or if the row's bytes are not UTF-8.
    #[track_caller]
    #[must_use]
    pub fn value_str(&self, row: usize) -> Option<&str> {
        unwrap_or_fail(self.try_value_str(row))
    }

    /// Like [`Column::value_str`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 1);
    /// c.append_bytes(&[0xff]);
    /// assert_eq!(c.try_value_str(0), Err(Error::InvalidUtf8 { row: 0 }));
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Utf8`;
    /// [`Error::RowOutOfRange`] if `row >= len()`; [`Error::InvalidUtf8`]
    /// if the row (not NULL) holds bytes that are not UTF-8.
    pub fn try_value_str(&self, row: usize) -> Result<Option<&str>, Error> {
        self.check_accepts(tag::bit(tag::UTF8), UTF8_EXPECTED)?;
        self.check_row(row)?;
        self.str_at(row)
    }

    /// Row `row` (in range, of a `Utf8` column) as a checked `&str`.
    fn str_at(&self, row: usize) -> Result<Option<&str>, Error> {
        if !self.valid(row) {
            return Ok(None);
        }
        let (a, b) = (self.offsets[row] as usize, self.offsets[row + 1] as usize);
        std::str::from_utf8(&self.data()[a..b])
            .map(Some)
            .map_err(|_| Error::InvalidUtf8 { row })
    }

    /// The rows of a fixed-width column, `None` for each NULL, in order.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::I32, 3);
    /// c.append_i32(1);
    /// c.append_null();
    /// c.append_i32(3);
    /// let rows: Vec<Option<i32>> = c.iter::<i32>().collect();
    /// assert_eq!(rows, [Some(1), None, Some(3)]);
    /// assert_eq!(c.iter::<i32>().flatten().sum::<i32>(), 4);
    /// ```
    ///
    /// # Panics
    /// With the message of [`Error::TypeMismatch`] (at the call, not while
    /// iterating) unless `T` reads the column's logical type.
    #[track_caller]
    #[must_use]
    pub fn iter<T: FixedElem>(
        &self,
    ) -> impl ExactSizeIterator<Item = Option<T>> + DoubleEndedIterator + '_ {
        unwrap_or_fail(self.try_iter())
    }

    /// Like [`Column::iter`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let c = Column::new(FieldType::I64, 1);
    /// assert!(c.try_iter::<u64>().is_err());
    /// assert_eq!(c.try_iter::<i64>().unwrap().len(), 0);
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` reads the column's logical type.
    pub fn try_iter<T: FixedElem>(
        &self,
    ) -> Result<impl ExactSizeIterator<Item = Option<T>> + DoubleEndedIterator + '_, Error> {
        let values = self.try_as_slice::<T>()?;
        Ok(values
            .iter()
            .enumerate()
            .map(move |(row, &v)| self.valid(row).then_some(v)))
    }

    /// The rows of a variable-width column (`Utf8` or `Binary`), `None` for
    /// each NULL, in order.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::BINARY, 2);
    /// c.append_bytes(b"ab");
    /// c.append_null();
    /// let rows: Vec<Option<&[u8]>> = c.iter_bytes().collect();
    /// assert_eq!(rows, [Some(&b"ab"[..]), None]);
    /// ```
    ///
    /// # Panics
    /// With the message of [`Error::TypeMismatch`] (at the call) on a
    /// fixed-width column.
    #[track_caller]
    #[must_use]
    pub fn iter_bytes(
        &self,
    ) -> impl ExactSizeIterator<Item = Option<&[u8]>> + DoubleEndedIterator + '_ {
        unwrap_or_fail(self.try_iter_bytes())
    }

    /// Like [`Column::iter_bytes`], returning an error instead of panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// assert!(Column::new(FieldType::F32, 1).try_iter_bytes().is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a fixed-width column.
    pub fn try_iter_bytes(
        &self,
    ) -> Result<impl ExactSizeIterator<Item = Option<&[u8]>> + DoubleEndedIterator + '_, Error>
    {
        if !self.field.is_var() {
            return Err(self.mismatch(BYTES_EXPECTED));
        }
        let data = self.data();
        Ok((0..self.len).map(move |row| {
            let (a, b) = (self.offsets[row] as usize, self.offsets[row + 1] as usize);
            self.valid(row).then(|| &data[a..b])
        }))
    }

    /// The rows of a `Utf8` column as `&str`, `None` for each NULL, in
    /// order. Each row's bytes are checked to be UTF-8 as it is reached.
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 2);
    /// c.append_str("a");
    /// c.append_null();
    /// assert_eq!(c.iter_str().collect::<Vec<_>>(), [Some("a"), None]);
    /// ```
    ///
    /// # Panics
    /// With the message of [`Error::TypeMismatch`] (at the call) unless the
    /// column is `Utf8`; with the message of [`Error::InvalidUtf8`] (while
    /// iterating, at the row) when a row's bytes are not UTF-8: use
    /// [`Column::try_iter_str`] to read such a column.
    #[track_caller]
    #[must_use]
    pub fn iter_str(
        &self,
    ) -> impl ExactSizeIterator<Item = Option<&str>> + DoubleEndedIterator + '_ {
        unwrap_or_fail(self.try_iter_str()).map(unwrap_or_fail)
    }

    /// Like [`Column::iter_str`], returning errors instead of panicking:
    /// the type check at the call, and the UTF-8 check of each row as its
    /// item.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut c = Column::new(FieldType::UTF8, 2);
    /// c.append_str("ok");
    /// c.append_bytes(&[0xc3]);
    /// let rows: Vec<_> = c.try_iter_str().unwrap().collect();
    /// assert_eq!(rows, [Ok(Some("ok")), Err(Error::InvalidUtf8 { row: 1 })]);
    /// assert!(Column::new(FieldType::BINARY, 1).try_iter_str().is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless the column is `Utf8`; then each item
    /// is [`Error::InvalidUtf8`] for a row whose bytes are not UTF-8.
    pub fn try_iter_str(
        &self,
    ) -> Result<
        impl ExactSizeIterator<Item = Result<Option<&str>, Error>> + DoubleEndedIterator + '_,
        Error,
    > {
        self.check_accepts(tag::bit(tag::UTF8), UTF8_EXPECTED)?;
        Ok((0..self.len).map(move |row| self.str_at(row)))
    }
}
