//! Moving rows between chunks (TiDB's `AppendRow`, `Append`, ...): values,
//! NULLs and bytes, column by column, with one bulk copy per run of
//! consecutive rows.
//!
//! Row indices name physical rows of the source ([`Chunk::physical_rows`]):
//! its selection is not consulted, except by [`Chunk::append_chunk`], which
//! appends the rows as selected. Rows appended to a chunk that has a
//! selection join it, so they count in its [`Chunk::num_rows`].
//!
//! Every method checks everything before its first write (layouts, equal
//! column lengths, row indices, shared columns) and reserves every column
//! before copying into any, so a failed call leaves the destination's rows
//! as they were (a buffer grown before a refusal keeps its capacity).

use super::select::check_sel;
use super::{Chunk, Slot};
use crate::column::{Column, Pick};
use crate::error::{fail, Error};
use std::ops::Range;

/// Coalesces row indices into runs of consecutive rows.
fn runs_of(rows: impl Iterator<Item = usize>) -> Vec<Range<usize>> {
    // At most one run a row: sized once where the count is known (a
    // selection), so the loop never reallocates.
    let mut runs: Vec<Range<usize>> = Vec::with_capacity(rows.size_hint().0);
    for r in rows {
        match runs.last_mut() {
            Some(last) if last.end == r => last.end = r + 1,
            _ => runs.push(r..r + 1),
        }
    }
    runs
}

impl Chunk {
    /// The row count every column shares, or [`Error::RaggedChunk`].
    pub(crate) fn equal_rows(&self) -> Result<usize, Error> {
        let rows = self.physical_rows();
        match self.columns().enumerate().find(|(_, c)| c.len() != rows) {
            Some((column, c)) => Err(Error::RaggedChunk {
                column,
                len: c.len(),
                rows,
            }),
            None => Ok(rows),
        }
    }

    /// Checks that rows of `src` can be appended to `self`: the same
    /// layout, no ragged chunk, no shared destination column. Returns the
    /// source's row count.
    fn check_append(&mut self, src: &Chunk) -> Result<usize, Error> {
        let n = self.num_cols().max(src.num_cols());
        for column in 0..n {
            let dst = self.body.columns.get(column).map(|s| s.get().field_type());
            let from = src.body.columns.get(column).map(|s| s.get().field_type());
            if dst != from {
                return Err(Error::LayoutMismatch {
                    column,
                    dst,
                    src: from,
                });
            }
        }
        self.equal_rows()?;
        let rows = src.equal_rows()?;
        for i in 0..self.num_cols() {
            self.try_column_mut(i)?;
        }
        Ok(rows)
    }

    /// Appends the runs of rows of `src` (checked by [`Chunk::check_append`]
    /// and against its rows).
    fn append_runs(&mut self, src: &Chunk, runs: &[Range<usize>]) -> Result<(), Error> {
        self.append_pick(src, Pick::Runs(runs))
    }

    /// Appends the rows `pick` takes from `src` (checked by
    /// [`Chunk::check_append`] and against its rows): reserves every
    /// column, then copies.
    fn append_pick(&mut self, src: &Chunk, pick: Pick<'_>) -> Result<(), Error> {
        let rows = pick.rows();
        let before = self.physical_rows();
        self.reserve_sel(before, rows)?;
        for (slot, from) in self.body.columns.iter_mut().zip(src.columns()) {
            if let Slot::Own(c) = slot {
                c.try_reserve_pick(from, pick, rows)?;
            }
        }
        for (slot, from) in self.body.columns.iter_mut().zip(src.columns()) {
            if let Slot::Own(c) = slot {
                c.extend_pick(from, pick, rows);
            }
        }
        self.rows_appended(before, rows);
        Ok(())
    }

    /// Counts `rows` rows appended after physical row `before` column by
    /// column: they join the selection, if the chunk has one
    /// ([`Chunk::reserve_sel`] made room), and a chunk without columns
    /// counts them instead (TiDB's `numVirtualRows`; saturating, as no
    /// buffer bounds it).
    pub(crate) fn rows_appended(&mut self, before: usize, rows: usize) {
        self.extend_sel(before, rows);
        if self.body.columns.is_empty() {
            self.body.virtual_rows = before.saturating_add(rows);
        }
    }

    /// Room in the selection, if the chunk has one, for `rows` rows to be
    /// appended after physical row `before`: they will join it, so every
    /// new index must fit its `u32`.
    pub(crate) fn reserve_sel(&mut self, before: usize, rows: usize) -> Result<(), Error> {
        let Some(sel) = &mut self.body.sel else {
            return Ok(());
        };
        let end = before.saturating_add(rows);
        if end > u32::MAX as usize + 1 {
            return Err(Error::RowOutOfRange {
                row: end - 1,
                len: u32::MAX as usize + 1,
            });
        }
        sel.try_reserve(rows).map_err(|_| Error::OutOfMemory {
            field: crate::field::FieldType::U32,
            rows: sel.len().saturating_add(rows),
            bytes: sel.len().saturating_add(rows).saturating_mul(4),
        })
    }

    /// Adds the `rows` rows appended after physical row `before` to the
    /// selection, if the chunk has one (`reserve_sel` made room).
    fn extend_sel(&mut self, before: usize, rows: usize) {
        if let Some(sel) = &mut self.body.sel {
            // Checked by `reserve_sel`: every index fits.
            sel.extend((before..before + rows).map(|r| r as u32));
        }
    }

    /// Appends row `row` of `src` (TiDB's `AppendRow`). `row` is a physical
    /// row index: the source's selection is not consulted.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let fields = [FieldType::I64, FieldType::UTF8];
    /// let mut src = Chunk::new(&fields, 4, 4);
    /// src.column_mut(0).append_i64(7);
    /// src.column_mut(1).append_null();
    /// let mut dst = Chunk::new(&fields, 4, 4);
    /// dst.append_row(&src, 0);
    /// assert_eq!(dst.row(0).get_i64(0), 7);
    /// assert!(dst.row(0).is_null(1));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_append_row`] returns.
    #[track_caller]
    pub fn append_row(&mut self, src: &Chunk, row: usize) {
        if let Err(e) = self.try_append_row(src, row) {
            fail(e);
        }
    }

    /// Like [`Chunk::append_row`], returning an error instead of panicking;
    /// on an error the destination's rows are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let src = Chunk::new(&[FieldType::I64], 4, 4);
    /// let mut dst = Chunk::new(&[FieldType::F64], 4, 4);
    /// assert!(matches!(dst.try_append_row(&src, 0), Err(Error::LayoutMismatch { column: 0, .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::LayoutMismatch`] unless both chunks have the same field
    /// types in the same order; [`Error::RaggedChunk`] if either chunk's
    /// columns differ in length; [`Error::RowOutOfRange`] if `row >=
    /// src.physical_rows()`; [`Error::SharedColumn`] if a destination column is
    /// shared ([`Chunk::make_ref`]); [`Error::OutOfMemory`] or
    /// [`Error::OffsetOverflow`] when a column cannot grow.
    pub fn try_append_row(&mut self, src: &Chunk, row: usize) -> Result<(), Error> {
        let rows = self.check_append(src)?;
        if row >= rows {
            return Err(Error::RowOutOfRange { row, len: rows });
        }
        self.append_runs(src, std::slice::from_ref(&(row..row + 1)))
    }

    /// Appends rows `range` of `src` (TiDB's `Append(other, begin, end)`),
    /// one bulk copy per column: element bytes, or byte ranges with their
    /// offsets rebased, and null bits. Physical rows: the source's
    /// selection is not consulted. An empty range appends nothing.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut src = Chunk::new(&[FieldType::UTF8], 4, 4);
    /// for s in ["a", "bc", "def"] {
    ///     src.column_mut(0).append_str(s);
    /// }
    /// let mut dst = Chunk::new(&[FieldType::UTF8], 4, 4);
    /// dst.append_rows(&src, 1..3);
    /// assert_eq!(dst.column(0).get_bytes(1), b"def");
    /// assert_eq!(dst.column(0).offsets(), &[0, 2, 5]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_append_rows`] returns.
    #[track_caller]
    pub fn append_rows(&mut self, src: &Chunk, range: Range<usize>) {
        if let Err(e) = self.try_append_rows(src, range) {
            fail(e);
        }
    }

    /// Like [`Chunk::append_rows`], returning an error instead of
    /// panicking; on an error the destination's rows are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let src = Chunk::new(&[FieldType::I64], 4, 4);
    /// let mut dst = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(dst.try_append_rows(&src, 0..1), Err(Error::RowOutOfRange { row: 0, len: 0 }));
    /// ```
    ///
    /// # Errors
    /// As [`Chunk::try_append_row`]; [`Error::RowOutOfRange`] names the
    /// first row of `range` past `src.physical_rows()`, or, for an inverted
    /// range (`start > end`), `start` with `len` = `end`.
    pub fn try_append_rows(&mut self, src: &Chunk, range: Range<usize>) -> Result<(), Error> {
        let rows = self.check_append(src)?;
        if range.start > range.end {
            return Err(Error::RowOutOfRange {
                row: range.start,
                len: range.end,
            });
        }
        if range.end > rows {
            return Err(Error::RowOutOfRange {
                row: range.start.max(rows),
                len: rows,
            });
        }
        self.append_runs(src, std::slice::from_ref(&range))
    }

    /// Appends the rows of `src` named by `rows`, in that order (repeats
    /// allowed); consecutive indices are copied as one run. Physical rows:
    /// the source's selection is not consulted (pass `src.sel()` to use
    /// it, or call [`Chunk::append_chunk`]).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut src = Chunk::new(&[FieldType::I64], 4, 4);
    /// for v in 0..4 {
    ///     src.column_mut(0).append_i64(v);
    /// }
    /// let mut dst = Chunk::new(&[FieldType::I64], 4, 4);
    /// dst.append_selected(&src, &[3, 1, 2]);
    /// assert_eq!(dst.column(0).as_slice::<i64>(), &[3, 1, 2]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_append_selected`] returns.
    #[track_caller]
    pub fn append_selected(&mut self, src: &Chunk, rows: &[u32]) {
        if let Err(e) = self.try_append_selected(src, rows) {
            fail(e);
        }
    }

    /// Like [`Chunk::append_selected`], returning an error instead of
    /// panicking; on an error the destination's rows are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut src = Chunk::new(&[FieldType::I64], 4, 4);
    /// src.column_mut(0).append_i64(1);
    /// let mut dst = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(dst.try_append_selected(&src, &[0, 5]), Err(Error::RowOutOfRange { row: 5, len: 1 }));
    /// assert_eq!(dst.num_rows(), 0);
    /// ```
    ///
    /// # Errors
    /// As [`Chunk::try_append_row`], for the first index not below
    /// `src.physical_rows()`.
    pub fn try_append_selected(&mut self, src: &Chunk, rows: &[u32]) -> Result<(), Error> {
        let n = self.check_append(src)?;
        check_sel(rows, n)?;
        self.append_pick(src, Pick::Rows(rows))
    }

    /// Appends the rows of `src` whose bit is set in `mask` (bit `i % 8`
    /// of byte `i / 8` for row `i`, the layout of
    /// [`Column::null_bitmap`](crate::Column::null_bitmap)), in row order;
    /// bytes past the end of `mask` select nothing. Physical rows: the
    /// source's selection is not consulted.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut src = Chunk::new(&[FieldType::I64], 4, 4);
    /// for v in 0..4 {
    ///     src.column_mut(0).append_i64(v);
    /// }
    /// let mut dst = Chunk::new(&[FieldType::I64], 4, 4);
    /// dst.append_selected_bitmap(&src, &[0b1101]);
    /// assert_eq!(dst.column(0).as_slice::<i64>(), &[0, 2, 3]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_append_selected_bitmap`]
    /// returns.
    #[track_caller]
    pub fn append_selected_bitmap(&mut self, src: &Chunk, mask: &[u8]) {
        if let Err(e) = self.try_append_selected_bitmap(src, mask) {
            fail(e);
        }
    }

    /// Like [`Chunk::append_selected_bitmap`], returning an error instead
    /// of panicking; on an error the destination's rows are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut src = Chunk::new(&[FieldType::I64], 4, 4);
    /// src.column_mut(0).append_i64(1);
    /// let mut dst = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(dst.try_append_selected_bitmap(&src, &[0b10]), Err(Error::RowOutOfRange { row: 1, len: 1 }));
    /// ```
    ///
    /// # Errors
    /// As [`Chunk::try_append_row`]; [`Error::RowOutOfRange`] for the
    /// first set bit at or past `src.physical_rows()`.
    pub fn try_append_selected_bitmap(&mut self, src: &Chunk, mask: &[u8]) -> Result<(), Error> {
        let n = self.check_append(src)?;
        let set = |i: usize| mask[i / 8] & (1 << (i % 8)) != 0;
        if let Some(row) = (n..mask.len() * 8).find(|&i| set(i)) {
            return Err(Error::RowOutOfRange { row, len: n });
        }
        let runs = runs_of((0..n.min(mask.len() * 8)).filter(|&i| set(i)));
        self.append_runs(src, &runs)
    }

    /// Appends the rows of `src` (coalescing small chunks into one): its
    /// selected rows, in the selection's order, when `src` has a selection
    /// ([`Chunk::set_sel`]); otherwise all its rows, in one bulk copy per
    /// column.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut src = Chunk::new(&[FieldType::I64], 4, 4);
    /// src.column_mut(0).append_i64(1);
    /// src.column_mut(0).append_i64(2);
    /// let mut dst = Chunk::new(&[FieldType::I64], 4, 4);
    /// dst.append_chunk(&src);
    /// src.set_sel(Some(vec![1]));
    /// dst.append_chunk(&src);
    /// assert_eq!(dst.column(0).as_slice::<i64>(), &[1, 2, 2]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_append_chunk`] returns.
    #[track_caller]
    pub fn append_chunk(&mut self, src: &Chunk) {
        if let Err(e) = self.try_append_chunk(src) {
            fail(e);
        }
    }

    /// Like [`Chunk::append_chunk`], returning an error instead of
    /// panicking; on an error the destination's rows are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let src = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// let mut dst = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(
    ///     dst.try_append_chunk(&src),
    ///     Err(Error::LayoutMismatch { column: 1, dst: None, src: Some(FieldType::I64) })
    /// );
    /// ```
    ///
    /// # Errors
    /// As [`Chunk::try_append_row`]; [`Error::RowOutOfRange`] when the
    /// source's selection names a row past its rows (its columns were
    /// replaced since it was set).
    pub fn try_append_chunk(&mut self, src: &Chunk) -> Result<(), Error> {
        let n = self.check_append(src)?;
        match src.sel() {
            Some(sel) => {
                check_sel(sel, n)?;
                self.append_pick(src, Pick::Rows(sel))
            }
            None => self.append_runs(src, std::slice::from_ref(&(0..n))),
        }
    }

    /// Keeps the first `rows` rows as [`Chunk::num_rows`] counts them and
    /// drops the rest, in place (TiDB's `TruncateTo`), so a chunk is
    /// refilled without a new one: a running top-k keeps its best rows
    /// and appends the next batch behind them. Nothing happens when `rows
    /// >= num_rows()`.
    ///
    /// Without a selection every column is cut to `rows` rows, keeping its
    /// buffers. With one, the selection is cut to its first `rows`
    /// entries and the columns are left as they are: the same rows are
    /// kept, without moving any (TiDB moves the selected rows to the
    /// front first; here that is [`Chunk::append_chunk`] into another
    /// chunk).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 8, 8);
    /// chk.column_mut(0).extend_from_slice(&[5i64, 9, 7]);
    /// chk.truncate(2);
    /// assert_eq!(chk.column(0).as_slice::<i64>(), &[5, 9]);
    /// chk.set_sel(Some(vec![1, 0]));
    /// chk.truncate(1);
    /// assert_eq!((chk.num_rows(), chk.row(0).get_i64(0), chk.physical_rows()), (1, 9, 2));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_truncate`] returns.
    #[track_caller]
    pub fn truncate(&mut self, rows: usize) {
        if let Err(e) = self.try_truncate(rows) {
            fail(e);
        }
    }

    /// Like [`Chunk::truncate`], returning an error instead of panicking;
    /// on an error the chunk is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// chk.column_mut(0).append_i64(1);
    /// chk.make_ref(0, 1);
    /// assert_eq!(chk.try_truncate(0), Err(Error::SharedColumn { column: 0 }));
    /// assert_eq!(chk.num_rows(), 1);
    /// ```
    ///
    /// # Errors
    /// Without a selection, [`Error::SharedColumn`] for the first column
    /// that is shared with another slot ([`Chunk::make_ref`]) and holds
    /// more than `rows` rows.
    pub fn try_truncate(&mut self, rows: usize) -> Result<(), Error> {
        if let Some(sel) = &mut self.body.sel {
            sel.truncate(rows);
            return Ok(());
        }
        let too_long = |c: &Column| c.len() > rows;
        for i in 0..self.num_cols() {
            if too_long(self.body.columns[i].get()) {
                self.try_column_mut(i)?;
            }
        }
        for slot in &mut self.body.columns {
            if let Slot::Own(c) = slot {
                c.truncate(rows);
            }
        }
        self.body.virtual_rows = self.body.virtual_rows.min(rows);
        Ok(())
    }

    /// Appends row `row` of `src` into this chunk's columns `col_off..`,
    /// one value per column of `src` (TiDB's `AppendPartialRow`): how a
    /// join builds its output row from the left row, then the right row
    /// at the left's width. The chunk is ragged between the two calls.
    /// `row` is physical (as [`Row::idx`](crate::Row::idx)); when the call
    /// writes column 0 of a chunk with a selection, the new row joins it.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut left = Chunk::new(&[FieldType::I64], 4, 4);
    /// left.column_mut(0).append_i64(7);
    /// let mut right = Chunk::new(&[FieldType::UTF8], 4, 4);
    /// right.column_mut(0).append_str("seven");
    /// let mut out = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
    /// out.append_partial_row(0, &left, 0);
    /// out.append_partial_row(1, &right, 0);
    /// assert_eq!((out.row(0).get_i64(0), out.row(0).value_str(1)), (7, Some("seven")));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_append_partial_row`]
    /// returns.
    #[track_caller]
    pub fn append_partial_row(&mut self, col_off: usize, src: &Chunk, row: usize) {
        if let Err(e) = self.try_append_partial_row(col_off, src, row) {
            fail(e);
        }
    }

    /// Like [`Chunk::append_partial_row`], returning an error instead of
    /// panicking; on an error no column is changed.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut src = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// src.column_mut(0).append_i64(1);
    /// src.column_mut(1).append_i64(2);
    /// let mut out = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// assert_eq!(
    ///     out.try_append_partial_row(1, &src, 0),
    ///     Err(Error::ColumnOutOfRange { column: 2, columns: 2 })
    /// );
    /// assert_eq!(out.column(1).len(), 0); // nothing written
    /// ```
    ///
    /// # Errors
    /// For the first column of `src` at fault, in order:
    /// [`Error::ColumnOutOfRange`] when `col_off + i` is past this
    /// chunk's columns; [`Error::LayoutMismatch`] when the two columns'
    /// types differ; [`Error::RowOutOfRange`] when `row` is past the
    /// source column; [`Error::SharedColumn`] when the destination column
    /// is shared ([`Chunk::make_ref`]); then [`Error::OutOfMemory`] or
    /// [`Error::OffsetOverflow`] when a column cannot grow.
    pub fn try_append_partial_row(
        &mut self,
        col_off: usize,
        src: &Chunk,
        row: usize,
    ) -> Result<(), Error> {
        let pairs = (0..src.num_cols()).map(|i| (col_off.saturating_add(i), i));
        self.append_row_into(src, row, pairs)
    }

    /// Appends row `row` of `src`, its columns `col_idxs` in that order,
    /// into this chunk's columns `0..col_idxs.len()` (TiDB's
    /// `AppendRowByColIdxs`): a projection of one row, as a join's
    /// output takes some columns of each side.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut src = Chunk::new(&[FieldType::I64, FieldType::UTF8, FieldType::F64], 4, 4);
    /// src.column_mut(0).append_i64(1);
    /// src.column_mut(1).append_str("one");
    /// src.column_mut(2).append_f64(1.5);
    /// let mut out = Chunk::new(&[FieldType::F64, FieldType::I64], 4, 4);
    /// out.append_row_by_col_idxs(&src, 0, &[2, 0]);
    /// assert_eq!((out.row(0).get_f64(0), out.row(0).get_i64(1)), (1.5, 1));
    /// ```
    ///
    /// # Panics
    /// With the message of the error
    /// [`Chunk::try_append_row_by_col_idxs`] returns.
    #[track_caller]
    pub fn append_row_by_col_idxs(&mut self, src: &Chunk, row: usize, col_idxs: &[usize]) {
        if let Err(e) = self.try_append_row_by_col_idxs(src, row, col_idxs) {
            fail(e);
        }
    }

    /// Like [`Chunk::append_row_by_col_idxs`], returning an error instead
    /// of panicking; on an error no column is changed.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let src = Chunk::new(&[FieldType::I64], 4, 4);
    /// let mut out = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(
    ///     out.try_append_row_by_col_idxs(&src, 0, &[3]),
    ///     Err(Error::ColumnOutOfRange { column: 3, columns: 1 })
    /// );
    /// ```
    ///
    /// # Errors
    /// As [`Chunk::try_append_partial_row`], where a column index of
    /// `col_idxs` past `src`'s columns is [`Error::ColumnOutOfRange`] for
    /// `src`.
    pub fn try_append_row_by_col_idxs(
        &mut self,
        src: &Chunk,
        row: usize,
        col_idxs: &[usize],
    ) -> Result<(), Error> {
        let pairs = col_idxs.iter().enumerate().map(|(d, &s)| (d, s));
        self.append_row_into(src, row, pairs)
    }

    /// Appends row `row` of `src`'s column `s` to this chunk's column `d`
    /// for every pair `(d, s)`: every pair checked, then every destination
    /// reserved, then every value copied; the selection follows when
    /// column 0 is written.
    fn append_row_into(
        &mut self,
        src: &Chunk,
        row: usize,
        pairs: impl Iterator<Item = (usize, usize)> + Clone,
    ) -> Result<(), Error> {
        let dst_cols = self.num_cols();
        let mut writes_first = false;
        for (d, s) in pairs.clone() {
            if d >= dst_cols {
                return Err(Error::ColumnOutOfRange {
                    column: d,
                    columns: dst_cols,
                });
            }
            let from = src.try_column(s)?;
            let to = self.body.columns[d].get().field_type();
            if to != from.field_type() {
                return Err(Error::LayoutMismatch {
                    column: d,
                    dst: Some(to),
                    src: Some(from.field_type()),
                });
            }
            if row >= from.len() {
                return Err(Error::RowOutOfRange {
                    row,
                    len: from.len(),
                });
            }
            self.try_column_mut(d)?;
            writes_first |= d == 0;
        }
        // (Saturating: with no pairs nothing is checked, nor copied.)
        let one = row..row.saturating_add(1);
        let pick = Pick::Runs(std::slice::from_ref(&one));
        let (before, joins) = (self.physical_rows(), usize::from(writes_first));
        self.reserve_sel(before, joins)?;
        for (d, s) in pairs.clone() {
            if let Slot::Own(c) = &mut self.body.columns[d] {
                c.try_reserve_pick(src.column(s), pick, 1)?;
            }
        }
        for (d, s) in pairs {
            if let Slot::Own(c) = &mut self.body.columns[d] {
                c.extend_pick(src.column(s), pick, 1);
            }
        }
        self.extend_sel(before, joins);
        Ok(())
    }
}
