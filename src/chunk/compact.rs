//! Keeping some rows in place (`compact`, TiDB's `Reconstruct`, and
//! `retain`): the kept rows move to the front of the columns' own
//! buffers, so an operator that filters or keeps a running top-k reuses
//! one chunk batch after batch.
//!
//! A column that [`Chunk::make_ref`] shares between slots is rewritten
//! once, for all of them; one shared with another chunk
//! ([`Chunk::make_ref_to`]) is refused, as the other chunk still reads
//! it. Nothing grows when the kept rows rise (the usual case), so the
//! pool's record of the buffers holds; rows kept in another order, or
//! twice, are gathered into new columns, and the old ones go back to the
//! chunk's allocator.

use super::select::check_sel;
use super::{Chunk, Row, Slot};
use crate::column::{Column, Pick};
use crate::error::{fail, Error};
use crate::sync::SharedArc;

impl Chunk {
    /// Moves the selected rows to the front of the columns, in the
    /// selection's order, and drops the selection and the other rows
    /// (TiDB's `Reconstruct`): afterwards the chunk's physical rows are
    /// the rows it had. Nothing happens without a selection.
    ///
    /// A rising selection (what a filter makes) is compacted in place,
    /// in the buffers the chunk has: about the work of
    /// [`Chunk::append_selected`] into another chunk, over one chunk's
    /// buffers instead of two (`cargo bench -p chunkpool-bench --bench
    /// rows`, group `filter`). One in another order, or with repeats, is
    /// gathered into new columns, and the old ones are given back to the
    /// chunk's allocator.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 8, 8);
    /// chk.column_mut(0).extend_from_slice(&[1i64, 2, 3, 4]);
    /// chk.column_mut(1).extend_str(["a", "b", "c", "d"]);
    /// let data = chk.column(0).data_ptr();
    /// chk.set_sel(Some(vec![1, 3]));
    /// chk.compact();
    /// assert_eq!((chk.sel(), chk.physical_rows()), (None, 2));
    /// assert_eq!(chk.column(0).as_slice::<i64>(), &[2, 4]);
    /// assert_eq!(chk.column(1).value_str(1), Some("d"));
    /// assert_eq!(chk.column(0).data_ptr(), data); // in place
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_compact`] returns.
    #[track_caller]
    pub fn compact(&mut self) {
        if let Err(e) = self.try_compact() {
            fail(e);
        }
    }

    /// Like [`Chunk::compact`], returning an error instead of panicking;
    /// on an error the chunk is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut scan = Chunk::new(&[FieldType::I64], 4, 4);
    /// scan.column_mut(0).extend_from_slice(&[1i64, 2]);
    /// let mut out = Chunk::new(&[FieldType::I64], 4, 4);
    /// out.make_ref_to(0, &mut scan, 0); // `scan` still reads the column
    /// out.set_sel(Some(vec![1]));
    /// assert_eq!(out.try_compact(), Err(Error::SharedColumn { column: 0 }));
    /// assert_eq!(out.sel(), Some(&[1][..]));
    /// ```
    ///
    /// # Errors
    /// [`Error::RaggedChunk`] if the columns differ in length;
    /// [`Error::RowOutOfRange`] if the selection names a row past them;
    /// [`Error::SharedColumn`] for the first column still shared with
    /// another chunk; [`Error::OutOfMemory`] (or
    /// [`Error::CapacityOverflow`]) when rows out of order cannot be
    /// gathered.
    pub fn try_compact(&mut self) -> Result<(), Error> {
        let Some(sel) = self.body.sel.take() else {
            return Ok(());
        };
        let done = self.keep_rows(&sel);
        if done.is_err() {
            self.body.sel = Some(sel);
        }
        done
    }

    /// Keeps the rows for which `keep` returns true and drops the others,
    /// in place (as `Vec::retain`): a running top-k or a filter reuses
    /// its chunk instead of copying into a new one per batch. `keep` sees
    /// each row as [`Chunk::rows`] yields it, once, in that order; the
    /// kept rows stay in that order, and the selection, if any, is gone
    /// afterwards ([`Chunk::compact`] of the kept rows).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 8, 8);
    /// chk.column_mut(0).extend_from_slice(&[5i64, 1, 7, 3]);
    /// chk.retain(|row| row.get_i64(0) > 2);
    /// assert_eq!(chk.column(0).as_slice::<i64>(), &[5, 7, 3]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_retain`] returns.
    #[track_caller]
    pub fn retain(&mut self, keep: impl FnMut(Row<'_>) -> bool) {
        if let Err(e) = self.try_retain(keep) {
            fail(e);
        }
    }

    /// Like [`Chunk::retain`], returning an error instead of panicking;
    /// on an error the chunk is unchanged and `keep` was not called.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// chk.column_mut(0).append_i64(1); // column 1 stays empty
    /// assert!(matches!(chk.try_retain(|_| true), Err(Error::RaggedChunk { column: 1, .. })));
    /// ```
    ///
    /// # Errors
    /// As [`Chunk::try_compact`]; [`Error::RowOutOfRange`] also when the
    /// chunk holds more rows than a `u32` counts (row indices are kept
    /// as `u32`, as in a selection).
    pub fn try_retain(&mut self, mut keep: impl FnMut(Row<'_>) -> bool) -> Result<(), Error> {
        self.check_keep(self.sel().unwrap_or_default())?;
        let rows = self.physical_rows();
        if rows > u32::MAX as usize + 1 {
            return Err(Error::RowOutOfRange {
                row: u32::MAX as usize + 1,
                len: rows,
            });
        }
        // In range: checked just above.
        let kept: Vec<u32> = self
            .rows()
            .filter(|r| keep(*r))
            .map(|r| r.idx() as u32)
            .collect();
        let sel = self.body.sel.take();
        let done = self.keep_rows(&kept);
        if done.is_err() {
            self.body.sel = sel;
        }
        done
    }

    /// Checks that the chunk's rows can be rewritten to rows `keep`:
    /// equal columns, `keep` within them, no column shared with another
    /// chunk.
    fn check_keep(&self, keep: &[u32]) -> Result<(), Error> {
        check_sel(keep, self.equal_rows()?)?;
        // A group's slots all hold one column: its first slot, the lowest,
        // is the one named. Only a shared slot has a group to find.
        for (column, slot) in self.body.columns.iter().enumerate() {
            if let Slot::Shared(arc) = slot {
                if SharedArc::strong_count(arc) != self.group_slots(column).count() {
                    return Err(Error::SharedColumn { column });
                }
            }
        }
        Ok(())
    }

    /// Each column once: the first slot that holds it, and every slot
    /// that does.
    fn groups(&self) -> Vec<(usize, Vec<usize>)> {
        let mut seen = vec![false; self.num_cols()];
        let mut groups = Vec::new();
        for i in 0..self.num_cols() {
            if !seen[i] {
                let group = self.group_of(i);
                for &k in &group {
                    seen[k] = true;
                }
                groups.push((i, group));
            }
        }
        groups
    }

    /// Keeps rows `keep` (physical, in that order) and nothing else; the
    /// chunk's selection was taken out. Checks first, so an error leaves
    /// the rows as they were.
    fn keep_rows(&mut self, keep: &[u32]) -> Result<(), Error> {
        // No branch per pair, so the loop vectorises.
        let rising = keep
            .iter()
            .zip(keep.iter().skip(1))
            .fold(true, |up, (a, b)| up & (a < b));
        self.check_keep(keep)?;
        let owned = |s: &Slot| matches!(s, Slot::Own(_));
        if rising && self.body.columns.iter().all(owned) {
            // The usual case, no column shared: each compacted on its own,
            // with no groups to find (that allocates).
            for slot in &mut self.body.columns {
                if let Slot::Own(col) = slot {
                    col.compact_rows(keep);
                }
            }
        } else {
            let groups = self.groups();
            if rising {
                for (_, group) in &groups {
                    let mut slot = self.take_group(group);
                    if let Some(col) = slot.make_owned() {
                        col.compact_rows(keep);
                    }
                    self.put_group(group, slot);
                }
            } else {
                self.gather_rows(&groups, keep)?;
            }
        }
        if self.body.columns.is_empty() {
            self.body.virtual_rows = keep.len();
        }
        Ok(())
    }

    /// [`Chunk::keep_rows`] of rows out of order or repeated: each column
    /// gathered into a new one (all made before any is replaced), the
    /// old one given back to the allocator.
    #[cold]
    fn gather_rows(&mut self, groups: &[(usize, Vec<usize>)], keep: &[u32]) -> Result<(), Error> {
        let (n, pick) = (keep.len(), Pick::Rows(keep));
        let rows = n.max(self.body.capacity);
        let mut gathered = Vec::with_capacity(groups.len());
        for (first, _) in groups {
            let old = self.body.columns[*first].get();
            let mut col = Column::try_new(old.field_type(), rows)?;
            col.try_reserve_pick(old, pick, n)?;
            col.extend_pick(old, pick, n);
            gathered.push(col);
        }
        for ((_, group), col) in groups.iter().zip(gathered) {
            let old = self.take_group(group);
            self.put_group(group, Slot::Own(col));
            self.give_back(old);
        }
        Ok(())
    }
}
