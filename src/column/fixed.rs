//! Mutable access to one fixed-width element as its raw bytes (TiDB's
//! `Column.GetDecimal` hands out a pointer the caller may write through):
//! for a decimal above all, whose 40 bytes have no typed view.

use super::Column;
use crate::error::{unwrap_or_fail, Error};
use crate::field::tag;

impl Column {
    /// The raw bytes of row `row` of a fixed-width column, to change in
    /// place: a decimal's 40 bytes, or the element of any fixed-width
    /// type but `Bool` (whose byte must stay 0 or 1: see
    /// [`Column::set_bool`]). A NULL row's element is reachable too (zero
    /// unless written); writing it does not mark the row not NULL (use
    /// [`Column::set_null`]).
    ///
    /// ```
    /// # use chunkpool::{Column, FieldType};
    /// let mut c = Column::new(FieldType::decimal(4, 2).unwrap(), 2);
    /// c.append_fixed_bytes(&[0; 40]);
    /// c.append_null();
    /// c.fixed_bytes_mut(0)[..3].copy_from_slice(&[2, 2, 2]); // digits: 2 + 2
    /// assert_eq!(&c.get_fixed_bytes(0)[..4], &[2, 2, 2, 0]);
    /// assert!(c.fixed_bytes_mut(1).iter().all(|&b| b == 0)); // NULL: zero
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_fixed_bytes_mut`]
    /// returns.
    #[track_caller]
    pub fn fixed_bytes_mut(&mut self, row: usize) -> &mut [u8] {
        unwrap_or_fail(self.try_fixed_bytes_mut(row))
    }

    /// Like [`Column::fixed_bytes_mut`], returning an error instead of
    /// panicking.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let mut d = Column::new(FieldType::DECIMAL, 1);
    /// assert_eq!(d.try_fixed_bytes_mut(0), Err(Error::RowOutOfRange { row: 0, len: 0 }));
    /// let mut b = Column::new(FieldType::BOOL, 1);
    /// b.append_bool(true);
    /// assert!(matches!(b.try_fixed_bytes_mut(0), Err(Error::TypeMismatch { .. })));
    /// let mut s = Column::new(FieldType::UTF8, 1);
    /// s.append_str("x");
    /// assert!(matches!(s.try_fixed_bytes_mut(0), Err(Error::TypeMismatch { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] on a variable-width or a `Bool` column;
    /// [`Error::RowOutOfRange`] if `row >= len()`.
    pub fn try_fixed_bytes_mut(&mut self, row: usize) -> Result<&mut [u8], Error> {
        let size = match self.field.elem_size() {
            Some(size) if self.field.tag() != tag::BOOL => size,
            _ => return Err(self.mismatch("raw fixed-width bytes (not Bool)")),
        };
        self.check_row(row)?;
        Ok(&mut self.data.as_bytes_mut()[row * size..(row + 1) * size])
    }
}
