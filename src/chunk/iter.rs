//! Iterators over rows: [`Rows`], the rows of one chunk through its
//! selection (TiDB's `Iterator4Chunk`), and [`ListRows`], the rows of a
//! list of chunks one chunk after another (TiDB's `Iterator4List`).

use super::{Chunk, Row, SelectedRows};
use std::iter::FusedIterator;

/// The rows of a chunk as [`Chunk::num_rows`] counts them, as [`Row`]s
/// (TiDB's `Iterator4Chunk`); see [`Chunk::rows`]. Exact in size, and
/// double-ended.
///
/// ```
/// use chunkpool::{Chunk, FieldType};
///
/// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
/// chk.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
/// chk.set_sel(Some(vec![2, 0]));
/// let rows = chk.rows();
/// assert_eq!(rows.len(), 2);
/// assert_eq!(rows.map(|r| r.get_i64(0)).collect::<Vec<_>>(), [3, 1]);
/// assert_eq!(chk.rows().next_back().map(|r| r.idx()), Some(0));
/// ```
#[derive(Clone, Debug)]
pub struct Rows<'a> {
    chunk: &'a Chunk,
    rows: SelectedRows<'a>,
}

impl<'a> Iterator for Rows<'a> {
    type Item = Row<'a>;

    #[inline]
    fn next(&mut self) -> Option<Row<'a>> {
        self.rows.next().map(|r| Row::at(self.chunk, r))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.rows.size_hint()
    }
}

impl DoubleEndedIterator for Rows<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.rows.next_back().map(|r| Row::at(self.chunk, r))
    }
}

impl ExactSizeIterator for Rows<'_> {}
impl FusedIterator for Rows<'_> {}

/// The rows of a list of chunks, the first chunk's rows first, each
/// chunk's as [`Chunk::rows`] yields them (TiDB's `Iterator4List`).
/// [`Row::chunk`] tells which chunk a row is of. Exact in size, and
/// double-ended.
///
/// ```
/// use chunkpool::{Chunk, FieldType, ListRows};
///
/// let mut a = Chunk::new(&[FieldType::I64], 4, 4);
/// a.column_mut(0).extend_from_slice(&[1i64, 2]);
/// let mut b = Chunk::new(&[FieldType::I64], 4, 4);
/// b.column_mut(0).extend_from_slice(&[3i64, 4, 5]);
/// b.set_sel(Some(vec![0, 2]));
/// let list = [a, b];
/// let rows = ListRows::new(&list);
/// assert_eq!(rows.len(), 4);
/// assert_eq!(rows.map(|r| r.get_i64(0)).collect::<Vec<_>>(), [1, 2, 3, 5]);
/// assert_eq!(ListRows::new(&list).rev().map(|r| r.get_i64(0)).collect::<Vec<_>>(), [5, 3, 2, 1]);
/// ```
#[derive(Clone, Debug)]
pub struct ListRows<'a> {
    /// The chunks neither end has started on.
    chunks: &'a [Chunk],
    front: Option<Rows<'a>>,
    back: Option<Rows<'a>>,
    /// Rows left, at both ends together.
    len: usize,
}

impl<'a> ListRows<'a> {
    /// The rows of `chunks`, in order.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType, ListRows};
    /// let mut chk = Chunk::new(&[FieldType::UTF8], 4, 4);
    /// chk.column_mut(0).extend_str(["x", "y"]);
    /// let empty = Chunk::new(&[FieldType::UTF8], 4, 4);
    /// let list = vec![empty, chk];
    /// let names: Vec<_> = ListRows::new(&list).map(|r| r.value_str(0)).collect();
    /// assert_eq!(names, [Some("x"), Some("y")]);
    /// ```
    #[must_use]
    pub fn new(chunks: &'a [Chunk]) -> ListRows<'a> {
        ListRows {
            chunks,
            front: None,
            back: None,
            len: chunks.iter().map(Chunk::num_rows).sum(),
        }
    }
}

impl<'a> Iterator for ListRows<'a> {
    type Item = Row<'a>;

    fn next(&mut self) -> Option<Row<'a>> {
        loop {
            if let Some(row) = self.front.as_mut().and_then(Iterator::next) {
                self.len -= 1;
                return Some(row);
            }
            match self.chunks.split_first() {
                Some((first, rest)) => {
                    self.chunks = rest;
                    self.front = Some(first.rows());
                }
                None => {
                    let row = self.back.as_mut().and_then(Iterator::next);
                    self.len -= usize::from(row.is_some());
                    return row;
                }
            }
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }
}

impl DoubleEndedIterator for ListRows<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(row) = self.back.as_mut().and_then(DoubleEndedIterator::next_back) {
                self.len -= 1;
                return Some(row);
            }
            match self.chunks.split_last() {
                Some((last, rest)) => {
                    self.chunks = rest;
                    self.back = Some(last.rows());
                }
                None => {
                    let row = self.front.as_mut().and_then(DoubleEndedIterator::next_back);
                    self.len -= usize::from(row.is_some());
                    return row;
                }
            }
        }
    }
}

impl ExactSizeIterator for ListRows<'_> {}
impl FusedIterator for ListRows<'_> {}

impl Chunk {
    /// The chunk's rows as [`Chunk::num_rows`] counts them, as [`Row`]s
    /// (TiDB's `Iterator4Chunk`): through the selection when there is
    /// one, else every row. Row `k` is [`Chunk::row`]`(k)`; its
    /// [`Row::idx`] is its physical index. A selection that names rows
    /// past the columns (they were replaced since it was set) yields
    /// them: each read of such a row is an error
    /// ([`Error::RowOutOfRange`](crate::Error::RowOutOfRange)).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
    /// chk.column_mut(0).extend_from_slice(&[1i64, 2]);
    /// chk.column_mut(1).extend_str(["one", "two"]);
    /// let names: Vec<_> = chk.rows().map(|r| r.value_str(1)).collect();
    /// assert_eq!(names, [Some("one"), Some("two")]);
    /// ```
    #[must_use]
    pub fn rows(&self) -> Rows<'_> {
        Rows {
            chunk: self,
            rows: self.selected_rows(),
        }
    }
}
