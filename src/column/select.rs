//! A selection built from a predicate over a column's values: the row
//! numbers an executor's filter hands to
//! [`Chunk::append_selected`](crate::Chunk::append_selected) (the rows
//! moved into another chunk) or [`Chunk::set_sel`](crate::Chunk::set_sel)
//! (read through the selection, or kept in place by
//! [`Chunk::compact`](crate::Chunk::compact)).

use super::{Column, FixedElem};
use crate::error::{unwrap_or_fail, Error};

impl Column {
    /// Appends to `sel` the rows (in rising order) whose value is not
    /// NULL and satisfies `pred`, and returns how many it appended.
    ///
    /// The loop has no branch on `pred`'s answer: every row's number is
    /// written and the write position moves on by the answer, so a
    /// predicate that holds for a random half of the rows costs what one
    /// that always holds does (a `filter` then `push` loop mispredicts
    /// about every other row). `pred` is called once per row, in order,
    /// NULL rows included (with the value they store, zero unless written
    /// otherwise); their answer is ignored.
    ///
    /// ```
    /// use chunkpool::{Chunk, FieldType};
    ///
    /// let fields = [FieldType::I32, FieldType::UTF8];
    /// let mut scan = Chunk::new(&fields, 8, 8);
    /// for (q, name) in [(10, "a"), (30, "b"), (20, "c")] {
    ///     scan.column_mut(0).append_i32(q);
    ///     scan.column_mut(1).append_str(name);
    /// }
    /// scan.column_mut(0).append_null();
    /// scan.column_mut(1).append_str("d");
    ///
    /// let mut sel = Vec::new();
    /// let n = scan.column(0).select_where(&mut sel, |q: i32| q <= 25);
    /// assert_eq!((n, &sel[..]), (2, &[0u32, 2][..])); // the NULL row is not kept
    ///
    /// let mut kept = Chunk::new(&fields, 8, 8);
    /// kept.append_selected(&scan, &sel);
    /// assert_eq!(kept.column(1).value_str(1), Some("c"));
    ///
    /// // Or keep the rows in place, in the scan chunk's own buffers.
    /// scan.set_sel(Some(sel));
    /// scan.compact();
    /// assert_eq!(scan.column(1).value_str(1), Some("c"));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Column::try_select_where`] returns.
    #[track_caller]
    pub fn select_where<T: FixedElem>(
        &self,
        sel: &mut Vec<u32>,
        pred: impl FnMut(T) -> bool,
    ) -> usize {
        unwrap_or_fail(self.try_select_where(sel, pred))
    }

    /// Like [`Column::select_where`], returning an error instead of
    /// panicking; on an error `sel` is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Column, Error, FieldType};
    /// let c = Column::new(FieldType::F64, 1);
    /// let mut sel = vec![7];
    /// let r = c.try_select_where(&mut sel, |v: i64| v > 0);
    /// assert!(matches!(r, Err(Error::TypeMismatch { .. })));
    /// assert_eq!(sel, [7]);
    /// ```
    ///
    /// # Errors
    /// [`Error::TypeMismatch`] unless `T` reads the column's logical type
    /// (as [`Column::as_slice`]); [`Error::RowOutOfRange`] (naming row
    /// 2<sup>32</sup>) on a column of more rows than a `u32` can number.
    pub fn try_select_where<T: FixedElem>(
        &self,
        sel: &mut Vec<u32>,
        mut pred: impl FnMut(T) -> bool,
    ) -> Result<usize, Error> {
        let values = self.try_as_slice::<T>()?;
        if u32::try_from(values.len()).is_err() {
            return Err(Error::RowOutOfRange {
                row: 1 << 32,
                len: values.len(),
            });
        }
        let start = sel.len();
        sel.resize(start + values.len(), 0);
        let out = &mut sel[start..];
        let mut n = 0;
        if self.nulls == 0 {
            for (i, &v) in values.iter().enumerate() {
                // `n <= i < out.len()`: row numbers fit `u32` (checked).
                out[n] = i as u32;
                n += usize::from(pred(v));
            }
        } else {
            for (i, &v) in values.iter().enumerate() {
                let valid = (self.bitmap[i / 8] >> (i % 8)) & 1;
                out[n] = i as u32;
                n += usize::from(pred(v)) & usize::from(valid);
            }
        }
        sel.truncate(start + n);
        Ok(n)
    }
}
