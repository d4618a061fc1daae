//! Columns that move between slots and chunks: shared (`make_ref`,
//! `make_ref_to`), swapped, replaced and taken; and how a reset treats the
//! slots that share one column.

use super::Chunk;
use crate::column::{Column, Slot};
use crate::error::{fail, Error};
use crate::sync::SharedArc;

impl Chunk {
    /// Makes column `dst` refer to column `src` of the same chunk (TiDB's
    /// `MakeRef`): both slots read one column, which is recycled once, after
    /// its last user lets go. The column `dst` held before is given back.
    /// `make_ref(i, i)` does nothing.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// chk.column_mut(0).append_i64(9);
    /// chk.make_ref(0, 1);
    /// assert_eq!(chk.column(1).get_i64(0), 9);
    /// assert!(chk.is_shared(0) && chk.is_shared(1));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_make_ref`] returns: if
    /// either index is out of range.
    #[track_caller]
    pub fn make_ref(&mut self, src: usize, dst: usize) {
        if let Err(e) = self.try_make_ref(src, dst) {
            fail(e);
        }
    }

    /// Like [`Chunk::make_ref`], returning an error instead of panicking.
    /// On error the chunk is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// let err = chk.try_make_ref(0, 3).unwrap_err();
    /// assert_eq!(err, Error::ColumnOutOfRange { column: 3, columns: 1 });
    /// assert!(!chk.is_shared(0));
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] naming the first of `src`, `dst` that is
    /// out of range.
    pub fn try_make_ref(&mut self, src: usize, dst: usize) -> Result<(), Error> {
        self.check_column(src)?;
        self.check_column(dst)?;
        if src == dst {
            return Ok(());
        }
        let shared = self.share(src);
        let old = std::mem::replace(&mut self.body.columns[dst], Slot::Shared(shared));
        self.body.shared = true;
        self.give_back(old);
        Ok(())
    }

    /// Makes column `dst` of this chunk refer to column `src_col` of `src`
    /// (TiDB's `MakeRefTo`). The two chunks may come from different
    /// allocators; the column is recycled once, into the allocator of
    /// whichever chunk lets go of it last. The column `dst` held before is
    /// given back.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut scan = Chunk::new(&[FieldType::UTF8], 4, 4);
    /// scan.column_mut(0).append_str("kept");
    /// let mut out = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
    /// out.make_ref_to(1, &mut scan, 0); // project column 0 of `scan`, no copy
    /// assert_eq!(out.column(1).value_str(0), Some("kept"));
    /// assert!(out.is_shared(1) && scan.is_shared(0));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_make_ref_to`] returns: if
    /// either index is out of range.
    #[track_caller]
    pub fn make_ref_to(&mut self, dst: usize, src: &mut Chunk, src_col: usize) {
        if let Err(e) = self.try_make_ref_to(dst, src, src_col) {
            fail(e);
        }
    }

    /// Like [`Chunk::make_ref_to`], returning an error instead of
    /// panicking. On error both chunks are unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut a = Chunk::new(&[FieldType::I64], 4, 4);
    /// let mut b = Chunk::new(&[FieldType::I64], 4, 4);
    /// let err = a.try_make_ref_to(0, &mut b, 1).unwrap_err();
    /// assert_eq!(err, Error::ColumnOutOfRange { column: 1, columns: 1 });
    /// assert!(!a.is_shared(0) && !b.is_shared(0));
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `dst` is out of range for this chunk
    /// (checked first) or `src_col` for `src`; [`Error::HasSelection`] if
    /// either chunk has a selection, even an empty one (TiDB's rule: the
    /// selection would not follow the column).
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut scan = Chunk::new(&[FieldType::I64], 4, 4);
    /// scan.column_mut(0).extend_from_slice(&[1i64, 2]);
    /// scan.set_sel(Some(vec![1])); // row 0 filtered out
    /// let mut out = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(out.try_make_ref_to(0, &mut scan, 0), Err(Error::HasSelection));
    /// ```
    pub fn try_make_ref_to(
        &mut self,
        dst: usize,
        src: &mut Chunk,
        src_col: usize,
    ) -> Result<(), Error> {
        self.check_column(dst)?;
        src.check_column(src_col)?;
        if self.body.sel.is_some() || src.body.sel.is_some() {
            return Err(Error::HasSelection);
        }
        let shared = src.share(src_col);
        src.body.shared = true;
        let old = std::mem::replace(&mut self.body.columns[dst], Slot::Shared(shared));
        self.body.shared = true;
        self.give_back(old);
        Ok(())
    }

    /// Swaps column `i` of this chunk with column `j` of `other`, keeping
    /// [`Chunk::make_ref`] groups (TiDB's `SwapColumn`): every slot of
    /// this chunk that shares the column at `i` then reads the column
    /// `other` had at `j`, and every slot of `other` that shared that one
    /// reads this chunk's. A column shared by both chunks
    /// ([`Chunk::make_ref_to`]) stays where it is. Neither chunk may have
    /// a selection (TiDB's rule): it would not follow the column. The two
    /// chunks may come from different allocators and the columns may be of
    /// different types: each allocator checks what comes back to it (crate
    /// invariant 2).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut a = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// a.column_mut(0).append_i64(1);
    /// a.make_ref(0, 1); // slots 0 and 1 read one column
    /// let mut b = Chunk::new(&[FieldType::I64], 4, 4);
    /// b.column_mut(0).append_i64(2);
    /// a.swap_column(1, &mut b, 0);
    /// assert_eq!((a.column(0).get_i64(0), a.column(1).get_i64(0)), (2, 2));
    /// assert!(a.is_shared(0) && a.is_shared(1)); // still one group
    /// assert_eq!(b.column(0).get_i64(0), 1);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_swap_column`] returns.
    #[track_caller]
    pub fn swap_column(&mut self, i: usize, other: &mut Chunk, j: usize) {
        if let Err(e) = self.try_swap_column(i, other, j) {
            fail(e);
        }
    }

    /// Like [`Chunk::swap_column`], returning an error instead of
    /// panicking; on an error neither chunk is changed.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut a = Chunk::new(&[FieldType::I64], 4, 4);
    /// let mut b = Chunk::new(&[FieldType::I64], 4, 4);
    /// b.set_sel(Some(vec![]));
    /// assert_eq!(a.try_swap_column(0, &mut b, 0), Err(Error::HasSelection));
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `i` or `j` is out of range;
    /// [`Error::HasSelection`] if either chunk has a selection, even an
    /// empty one.
    pub fn try_swap_column(&mut self, i: usize, other: &mut Chunk, j: usize) -> Result<(), Error> {
        self.check_column(i)?;
        other.check_column(j)?;
        if self.body.sel.is_some() || other.body.sel.is_some() {
            return Err(Error::HasSelection);
        }
        let (mine, theirs) = (self.group_of(i), other.group_of(j));
        let a = self.take_group(&mine);
        let b = other.take_group(&theirs);
        self.put_group(&mine, b);
        other.put_group(&theirs, a);
        Ok(())
    }

    /// Swaps columns `i` and `j` of this chunk, keeping [`Chunk::make_ref`]
    /// groups: the slots that shared the column at `i` read the column at
    /// `j`, and the other way round (TiDB's `SwapColumn` with the chunk
    /// itself as the other). Nothing happens when `i` and `j` share a
    /// column. A selection is kept: it names rows of the chunk, which
    /// both columns hold, so it may be set (a difference from TiDB, which
    /// refuses any selection).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
    /// chk.column_mut(0).append_i64(7);
    /// chk.column_mut(1).append_str("seven");
    /// chk.swap_column_within(0, 1);
    /// assert_eq!(chk.fields(), [FieldType::UTF8, FieldType::I64]);
    /// assert_eq!((chk.row(0).value_str(0), chk.row(0).get_i64(1)), (Some("seven"), 7));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_swap_column_within`]
    /// returns.
    #[track_caller]
    pub fn swap_column_within(&mut self, i: usize, j: usize) {
        if let Err(e) = self.try_swap_column_within(i, j) {
            fail(e);
        }
    }

    /// Like [`Chunk::swap_column_within`], returning an error instead of
    /// panicking; on an error the chunk is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(chk.try_swap_column_within(0, 2), Err(Error::ColumnOutOfRange { column: 2, columns: 1 }));
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `i` or `j` is out of range.
    pub fn try_swap_column_within(&mut self, i: usize, j: usize) -> Result<(), Error> {
        self.check_column(i)?;
        self.check_column(j)?;
        let (gi, gj) = (self.group_of(i), self.group_of(j));
        if gi.contains(&j) {
            return Ok(());
        }
        let a = self.take_group(&gi);
        let b = self.take_group(&gj);
        self.put_group(&gi, b);
        self.put_group(&gj, a);
        Ok(())
    }

    /// Swaps every column with `other`'s, with the selections and the
    /// counts of chunks without columns ([`Chunk::set_num_virtual_rows`])
    /// (TiDB's `SwapColumns`): each chunk then holds the other's rows,
    /// as selected, whatever the two widths. Capacity, required rows and
    /// the allocator each chunk returns to stay with the chunk; each
    /// allocator checks the columns that come back to it.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut a = Chunk::new(&[FieldType::I64], 4, 4);
    /// a.column_mut(0).extend_from_slice(&[1i64, 2]);
    /// a.set_sel(Some(vec![1]));
    /// let mut b = Chunk::new(&[FieldType::UTF8, FieldType::F64], 8, 8);
    /// a.swap_columns(&mut b);
    /// assert_eq!((a.num_cols(), a.num_rows(), a.sel()), (2, 0, None));
    /// assert_eq!((b.num_cols(), b.num_rows(), b.row(0).get_i64(0)), (1, 1, 2));
    /// assert_eq!((a.capacity(), b.capacity()), (4, 8));
    /// ```
    pub fn swap_columns(&mut self, other: &mut Chunk) {
        let (a, b) = (&mut *self.body, &mut *other.body);
        std::mem::swap(&mut a.columns, &mut b.columns);
        std::mem::swap(&mut a.shared, &mut b.shared);
        std::mem::swap(&mut a.sel, &mut b.sel);
        std::mem::swap(&mut a.virtual_rows, &mut b.virtual_rows);
    }

    /// The slots of this chunk that read the same column as slot `i`
    /// (its [`Chunk::make_ref`] group), in order.
    pub(super) fn group_of(&self, i: usize) -> Vec<usize> {
        self.group_slots(i).collect()
    }

    /// The slots of [`Chunk::group_of`], lowest first, without collecting
    /// them.
    pub(super) fn group_slots(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        let columns = &self.body.columns;
        let ptr = match &columns[i] {
            Slot::Shared(arc) => Some(SharedArc::as_ptr(arc)),
            Slot::Own(_) => None,
        };
        (0..columns.len()).filter(move |&k| match (&columns[k], ptr) {
            (Slot::Shared(a), Some(p)) => SharedArc::as_ptr(a) == p,
            _ => k == i,
        })
    }

    /// Takes the column of `group` out of its slots, as the first slot
    /// held it; the others held references to the same column, which go.
    /// Nothing is recycled: the column lives on in what is returned.
    pub(super) fn take_group(&mut self, group: &[usize]) -> Slot {
        let mut taken = None;
        for &k in group {
            let slot = std::mem::replace(&mut self.body.columns[k], Slot::Own(Column::EMPTY));
            taken.get_or_insert(slot);
        }
        taken.unwrap_or(Slot::Own(Column::EMPTY))
    }

    /// Puts `col` in every slot of `group`: as it is into one slot,
    /// shared by all of them into more.
    pub(super) fn put_group(&mut self, group: &[usize], mut col: Slot) {
        let body = &mut *self.body;
        if let [k] = group {
            body.shared |= matches!(col, Slot::Shared(_));
            body.columns[*k] = col;
            return;
        }
        let shared = col.make_shared();
        for &k in group {
            body.columns[k] = Slot::Shared(SharedArc::clone(&shared));
        }
        body.shared = true;
    }

    /// Puts `col` at position `i` and returns the column that was there
    /// (TiDB's `SetCol`). The returned column belongs to no pool any more:
    /// dropping it frees it. `col` may be of any type and from anywhere;
    /// the chunk's allocator checks it when the chunk comes back (crate
    /// invariant 2). The selection is kept as it is.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Column, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// chk.column_mut(0).append_i64(5);
    /// let mut col = Column::new(FieldType::F64, 4);
    /// col.append_f64(0.5);
    /// let old = chk.set_column(0, col);
    /// assert_eq!(old.get_i64(0), 5);
    /// assert_eq!(chk.column(0).get_f64(0), 0.5);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_set_column`] returns.
    #[track_caller]
    pub fn set_column(&mut self, i: usize, col: Column) -> Column {
        match self.try_set_column(i, col) {
            Ok(c) => c,
            Err(e) => fail(e),
        }
    }

    /// Like [`Chunk::set_column`], returning an error instead of panicking;
    /// on an error the chunk is unchanged and `col` is dropped.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Column, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// chk.make_ref(0, 1);
    /// let col = Column::new(FieldType::I64, 4);
    /// assert_eq!(chk.try_set_column(1, col).err(), Some(Error::SharedColumn { column: 1 }));
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `i >= num_cols()`;
    /// [`Error::SharedColumn`] while column `i` is shared with another slot.
    pub fn try_set_column(&mut self, i: usize, col: Column) -> Result<Column, Error> {
        Ok(std::mem::replace(self.try_column_mut(i)?, col))
    }

    /// Takes column `i` out of the chunk and puts in its place a new empty
    /// column of the same type with room for [`capacity()`](Self::capacity)
    /// rows, so the chunk stays usable. The taken column belongs to no pool
    /// any more: dropping it frees it. The selection is kept as it is.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::UTF8], 4, 4);
    /// chk.column_mut(0).append_str("kept");
    /// let col = chk.take_column(0);
    /// assert_eq!(col.get_bytes(0), b"kept");
    /// assert_eq!(chk.column(0).field_type(), FieldType::UTF8);
    /// assert!(chk.column(0).is_empty() && chk.column(0).capacity() >= 4);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_take_column`] returns.
    #[track_caller]
    pub fn take_column(&mut self, i: usize) -> Column {
        match self.try_take_column(i) {
            Ok(c) => c,
            Err(e) => fail(e),
        }
    }

    /// Like [`Chunk::take_column`], returning an error instead of
    /// panicking; on an error the chunk is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert!(matches!(chk.try_take_column(1), Err(Error::ColumnOutOfRange { .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `i >= num_cols()`;
    /// [`Error::SharedColumn`] while column `i` is shared with another slot;
    /// [`Error::OutOfMemory`] (or [`Error::CapacityOverflow`]) when the
    /// replacement column cannot be made.
    pub fn try_take_column(&mut self, i: usize) -> Result<Column, Error> {
        let cap = self.body.capacity;
        let field = self.try_column_mut(i)?.field_type();
        let fresh = Column::try_new(field, cap)?;
        Ok(std::mem::replace(self.try_column_mut(i)?, fresh))
    }

    /// [`Chunk::reset`] of the shared slots: each group of slots sharing
    /// one column gets that column back, reset, if this chunk holds every
    /// reference to it, else a new one; either way shared by the group
    /// again (owned when the group is one slot).
    #[cold]
    pub(super) fn reset_shared(&mut self) {
        let cap = self.body.capacity;
        let columns = &mut self.body.columns;
        for i in 0..columns.len() {
            let Slot::Shared(arc) = &columns[i] else {
                continue;
            };
            let (ptr, field) = (SharedArc::as_ptr(arc), arc.field_type());
            let is_ptr = |s: &Slot| matches!(s, Slot::Shared(a) if SharedArc::as_ptr(a) == ptr);
            if columns[..i].iter().any(is_ptr) {
                continue; // Its group was reset with its first slot.
            }
            let group: Vec<usize> = (i..columns.len())
                .filter(|&k| is_ptr(&columns[k]))
                .collect();
            let mut kept = None;
            for &k in &group {
                // The last reference taken out gives the column back.
                if let Some(col) =
                    std::mem::replace(&mut columns[k], Slot::Own(Column::EMPTY)).into_column()
                {
                    kept = Some(col);
                }
            }
            let mut col = kept.unwrap_or_else(|| Column::new(field, cap));
            col.reset();
            if let [k] = group[..] {
                columns[k] = Slot::Own(col);
            } else {
                let shared = SharedArc::new(col);
                for &k in &group {
                    columns[k] = Slot::Shared(SharedArc::clone(&shared));
                }
            }
        }
    }

    /// `Ok` if `i` names a column of this chunk.
    pub(super) fn check_column(&self, i: usize) -> Result<(), Error> {
        if i < self.body.columns.len() {
            Ok(())
        } else {
            Err(Error::ColumnOutOfRange {
                column: i,
                columns: self.body.columns.len(),
            })
        }
    }

    /// Turns slot `i` into a shared one and returns another reference to it.
    fn share(&mut self, i: usize) -> SharedArc<Column> {
        self.body.columns[i].make_shared()
    }

    /// Gives a column that left the chunk back to the chunk's allocator.
    pub(super) fn give_back(&self, slot: Slot) {
        if let (Some(home), Some(col)) = (&self.body.home, slot.into_column()) {
            home.recycle_column(col);
        }
    }
}
