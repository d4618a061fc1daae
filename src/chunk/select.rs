//! The selection vector of a chunk (TiDB's `sel`): which of its rows are
//! "in", in order, without moving them.

use super::Chunk;
use crate::error::{fail, Error};
use std::iter::FusedIterator;

/// Checks that every index of `sel` is below `rows`; the error names the
/// first that is not. The largest index is found first, with no branch
/// per index (so the loop vectorises); the search for the first one out
/// of range runs only on the error path.
pub(super) fn check_sel(sel: &[u32], rows: usize) -> Result<(), Error> {
    let largest = sel.iter().fold(0, |m, &r| m.max(r));
    if sel.is_empty() || (largest as usize) < rows {
        return Ok(());
    }
    let row = sel.iter().find(|&&r| r as usize >= rows).map_or(0, |&r| r);
    Err(Error::RowOutOfRange {
        row: row as usize,
        len: rows,
    })
}

/// The rows a chunk's selection names, or all its rows without one; see
/// [`Chunk::selected_rows`]. An [`ExactSizeIterator`] of row indices.
///
/// A filter operator computes a selection; the next operator reads through it:
///
/// ```
/// use chunkpool::{Chunk, FieldType};
///
/// let mut chk = Chunk::new(&[FieldType::I64], 8, 8);
/// chk.column_mut(0).extend_from_slice(&[5i64, -3, 8, -1]);
/// // Filter: keep the positive values.
/// let keep: Vec<u32> = chk
///     .selected_rows()
///     .filter(|&r| chk.column(0).get_i64(r) > 0)
///     .map(|r| r as u32)
///     .collect();
/// chk.set_sel(Some(keep));
/// let rows = chk.selected_rows();
/// assert_eq!(rows.len(), 2);
/// assert_eq!(rows.map(|r| chk.column(0).get_i64(r)).collect::<Vec<_>>(), [5, 8]);
/// ```
#[derive(Clone, Debug)]
pub struct SelectedRows<'a> {
    inner: Inner<'a>,
}

#[derive(Clone, Debug)]
enum Inner<'a> {
    Sel(std::slice::Iter<'a, u32>),
    All(std::ops::Range<usize>),
}

impl Iterator for SelectedRows<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        match &mut self.inner {
            Inner::Sel(it) => it.next().map(|&r| r as usize),
            Inner::All(it) => it.next(),
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            Inner::Sel(it) => it.size_hint(),
            Inner::All(it) => it.size_hint(),
        }
    }
}

impl DoubleEndedIterator for SelectedRows<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<usize> {
        match &mut self.inner {
            Inner::Sel(it) => it.next_back().map(|&r| r as usize),
            Inner::All(it) => it.next_back(),
        }
    }
}

impl ExactSizeIterator for SelectedRows<'_> {}
impl FusedIterator for SelectedRows<'_> {}

impl Chunk {
    /// Sets (or with `None` drops) the selection vector (TiDB's `SetSel`):
    /// the rows of this chunk that are "in", in the given order (repeats
    /// allowed). The rows themselves are not moved.
    ///
    /// A selection names physical rows of this chunk
    /// ([`Chunk::physical_rows`]), and the chunk's rows are then the
    /// selected ones: [`Chunk::num_rows`], [`Chunk::row`] and
    /// [`Chunk::is_full`] count and read through it (as TiDB's `NumRows`,
    /// `GetRow` and `IsFull` do). [`Chunk::reset`] drops it; rows appended
    /// with the row-moving methods ([`Chunk::append_rows`] and the others)
    /// are added to it, so they count too (TiDB's `AppendRow` does the
    /// same); replacing or taking a column keeps it. A chunk with a
    /// selection shares and swaps columns only within itself
    /// ([`Error::HasSelection`]). Every method that reads rows through it
    /// checks it again against the chunk's rows; [`Chunk::selected_rows`]
    /// yields it as set.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// for v in [10, 20, 30] {
    ///     chk.column_mut(0).append_i64(v);
    /// }
    /// chk.set_sel(Some(vec![2, 0]));
    /// assert_eq!(chk.sel(), Some(&[2, 0][..]));
    /// assert_eq!(chk.selected_rows().collect::<Vec<_>>(), [2, 0]);
    /// assert_eq!((chk.num_rows(), chk.row(0).get_i64(0)), (2, 30));
    /// chk.set_sel(None);
    /// assert_eq!(chk.num_rows(), 3);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_set_sel`] returns: if an
    /// index is not below [`num_rows()`](Self::num_rows).
    #[track_caller]
    pub fn set_sel(&mut self, sel: Option<Vec<u32>>) {
        if let Err(e) = self.try_set_sel(sel) {
            fail(e);
        }
    }

    /// Like [`Chunk::set_sel`], returning an error instead of panicking;
    /// on an error the selection is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// chk.column_mut(0).append_i64(1);
    /// assert_eq!(chk.try_set_sel(Some(vec![1])), Err(Error::RowOutOfRange { row: 1, len: 1 }));
    /// assert_eq!(chk.sel(), None);
    /// ```
    ///
    /// # Errors
    /// [`Error::RowOutOfRange`] for the first index not below
    /// [`num_rows()`](Self::num_rows).
    pub fn try_set_sel(&mut self, sel: Option<Vec<u32>>) -> Result<(), Error> {
        if let Some(s) = &sel {
            check_sel(s, self.physical_rows())?;
        }
        self.body.sel = sel;
        Ok(())
    }

    /// Removes the selection vector and hands it back, so an operator can
    /// refill the same buffer for its next batch instead of allocating one
    /// per batch.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// chk.column_mut(0).extend_from_slice(&[5i64, 6, 7]);
    /// chk.set_sel(Some(vec![0, 2]));
    /// let mut buf = chk.take_sel().unwrap();
    /// assert_eq!((buf.as_slice(), chk.sel()), (&[0, 2][..], None));
    /// buf.clear();
    /// buf.push(1); // the next batch's selection, in the same allocation
    /// chk.set_sel(Some(buf));
    /// assert_eq!(chk.selected_rows().collect::<Vec<_>>(), [1]);
    /// ```
    pub fn take_sel(&mut self) -> Option<Vec<u32>> {
        self.body.sel.take()
    }

    /// The selection vector, if one is set (TiDB's `Sel`).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(chk.sel(), None);
    /// ```
    #[must_use]
    pub fn sel(&self) -> Option<&[u32]> {
        self.body.sel.as_deref()
    }

    /// The physical indices of the chunk's rows, in order: the selection
    /// when one is set, otherwise `0..physical_rows()`. `num_rows()` long;
    /// read them with [`Chunk::physical_row`] (or read row `i` through
    /// the selection with [`Chunk::row`]).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// chk.column_mut(0).append_i64(1);
    /// chk.column_mut(0).append_i64(2);
    /// assert_eq!(chk.selected_rows().collect::<Vec<_>>(), [0, 1]);
    /// chk.set_sel(Some(vec![1]));
    /// let sum: i64 = chk.selected_rows().map(|r| chk.physical_row(r).get_i64(0)).sum();
    /// assert_eq!(sum, 2);
    /// ```
    #[must_use]
    pub fn selected_rows(&self) -> SelectedRows<'_> {
        let inner = match &self.body.sel {
            Some(s) => Inner::Sel(s.iter()),
            None => Inner::All(0..self.physical_rows()),
        };
        SelectedRows { inner }
    }
}
