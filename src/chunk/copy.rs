//! Copies of a chunk into a new chunk of no pool: all of it (TiDB's
//! `CopyConstruct`) or its selected rows (`CopyConstructSel`).

use super::select::check_sel;
use super::{Chunk, Slot};
use crate::alloc::home::Body;
use crate::column::{Column, Pick};
use crate::error::{fail, Error};

impl Chunk {
    /// A copy of the chunk (TiDB's `CopyConstruct`): [`Chunk::clone`]
    /// under TiDB's name. The copy belongs to no pool and keeps the
    /// selection, capacity and required rows.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// chk.column_mut(0).extend_from_slice(&[1i64, 2]);
    /// chk.set_sel(Some(vec![1]));
    /// let copy = chk.copy_construct();
    /// assert_eq!((copy.sel(), copy.physical_rows(), copy.is_pooled()), (Some(&[1][..]), 2, false));
    /// ```
    #[must_use]
    pub fn copy_construct(&self) -> Chunk {
        self.clone()
    }

    /// A new chunk of no pool holding the selected rows, in the
    /// selection's order, with no selection left (TiDB's
    /// `CopyConstructSel`); every row without a selection. Its columns
    /// have room for the rows copied, its capacity and required rows are
    /// this chunk's. To copy into a pooled chunk instead, allocate one
    /// and [`Chunk::append_chunk`] into it.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::UTF8], 4, 4);
    /// chk.column_mut(0).extend_str(["a", "b", "c"]);
    /// chk.set_sel(Some(vec![2, 0]));
    /// let copy = chk.copy_construct_sel();
    /// assert_eq!((copy.sel(), copy.physical_rows()), (None, 2));
    /// assert_eq!((copy.row(0).value_str(0), copy.row(1).value_str(0)), (Some("c"), Some("a")));
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_copy_construct_sel`]
    /// returns.
    #[must_use]
    #[track_caller]
    pub fn copy_construct_sel(&self) -> Chunk {
        match self.try_copy_construct_sel() {
            Ok(c) => c,
            Err(e) => fail(e),
        }
    }

    /// Like [`Chunk::copy_construct_sel`], returning an error instead of
    /// panicking (or aborting the process).
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// chk.column_mut(0).append_i64(1);
    /// assert!(matches!(chk.try_copy_construct_sel(), Err(Error::RaggedChunk { column: 1, .. })));
    /// ```
    ///
    /// # Errors
    /// [`Error::RaggedChunk`] if the columns differ in length;
    /// [`Error::RowOutOfRange`] if the selection names a row past them;
    /// [`Error::OutOfMemory`] (or [`Error::CapacityOverflow`]) when a
    /// column cannot be made.
    pub fn try_copy_construct_sel(&self) -> Result<Chunk, Error> {
        let rows = self.equal_rows()?;
        let all = 0..rows;
        let pick = match self.sel() {
            Some(sel) => {
                check_sel(sel, rows)?;
                Pick::Rows(sel)
            }
            None => Pick::Runs(std::slice::from_ref(&all)),
        };
        let n = pick.rows();
        let columns = self
            .columns()
            .map(|from| {
                let mut col = Column::try_new(from.field_type(), n)?;
                col.try_reserve_pick(from, pick, n)?;
                col.extend_pick(from, pick, n);
                Ok(Slot::Own(col))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let mut body = Body::new(columns, self.body.capacity, self.body.required_rows, None);
        if body.columns.is_empty() {
            body.virtual_rows = n;
        }
        Ok(Chunk::from_body(body))
    }
}
