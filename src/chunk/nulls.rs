//! NULL flags merged across columns (TiDB's `MergeNulls`).

use super::Chunk;
use crate::column::Column;
use crate::error::{fail, Error};

impl Chunk {
    /// Makes row `r` of column `dst` NULL wherever row `r` of any column
    /// of `srcs` is NULL (TiDB's `MergeNulls`: the NULL flag becomes the
    /// OR of the columns'); the values are left as they are. How a
    /// vectorised `a + b` marks its result NULL where an input is.
    ///
    /// On a chunk rather than a column, since a column of a chunk cannot
    /// be borrowed mutably beside its siblings. TiDB requires a
    /// fixed-width `dst`; here a variable-width one is accepted, as
    /// [`Column::set_null`] accepts it (a NULL row then still has its
    /// bytes, which no read returns).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64, FieldType::I64], 4, 4);
    /// chk.column_mut(0).extend_options([Some(1i64), None, Some(3)]);
    /// chk.column_mut(1).extend_options([Some(1i64), Some(2), None]);
    /// chk.column_mut(2).extend_from_slice(&[2i64, 4, 6]); // a + b, computed
    /// chk.merge_nulls(2, &[0, 1]);
    /// assert_eq!(chk.column(2).iter::<i64>().collect::<Vec<_>>(), [Some(2), None, None]);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_merge_nulls`] returns.
    #[track_caller]
    pub fn merge_nulls(&mut self, dst: usize, srcs: &[usize]) {
        if let Err(e) = self.try_merge_nulls(dst, srcs) {
            fail(e);
        }
    }

    /// Like [`Chunk::merge_nulls`], returning an error instead of
    /// panicking; on an error no row is changed.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// chk.column_mut(0).append_i64(1);
    /// assert_eq!(
    ///     chk.try_merge_nulls(0, &[1]),
    ///     Err(Error::RaggedChunk { column: 1, len: 0, rows: 1 })
    /// );
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] for the first of `dst`, `srcs` out of
    /// range; [`Error::RaggedChunk`] for the first of them whose length
    /// is not the chunk's [`physical_rows`](Chunk::physical_rows);
    /// [`Error::SharedColumn`] if `dst` is shared with another slot
    /// ([`Chunk::make_ref`]).
    pub fn try_merge_nulls(&mut self, dst: usize, srcs: &[usize]) -> Result<(), Error> {
        let rows = self.physical_rows();
        for &column in std::iter::once(&dst).chain(srcs) {
            let len = self.try_column(column)?.len();
            if len != rows {
                return Err(Error::RaggedChunk { column, len, rows });
            }
        }
        // Out for the merge, so that the sources can be read beside it;
        // it is owned, so no other slot reads it meanwhile.
        let mut col = std::mem::replace(self.try_column_mut(dst)?, Column::EMPTY);
        for &s in srcs {
            if s != dst {
                col.and_validity(self.column(s));
            }
        }
        *self.column_mut(dst) = col;
        Ok(())
    }
}
