//! A chunk: an ordered list of columns handed out by an allocator, returned
//! to it when dropped.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`Chunk`] itself: its body, sizes, row counts, column access, reset, return on drop |
//! | `share.rs` | columns shared (`make_ref`, `make_ref_to`), swapped, replaced and taken |
//! | `rows.rs` | moving rows between chunks (`append_row`, `append_rows`, `append_selected`, ...) |
//! | `select.rs` | the selection vector (`set_sel`, `selected_rows`) |
//! | `row.rs` | [`Row`], a view of one row |
//! | `compact.rs` | keeping some rows in place (`compact`, `retain`) |
//! | `copy.rs` | copies into a new chunk (`copy_construct`, `copy_construct_sel`) |
//! | `nulls.rs` | NULL flags merged across columns (`merge_nulls`) |
//! | `display.rs` | `Display`: a bounded table of the rows |
//! | `iter.rs` | iterators of [`Row`]s: [`Rows`] of one chunk, [`ListRows`] of a list of chunks |

mod compact;
mod copy;
mod display;
mod iter;
mod nulls;
mod row;
mod rows;
mod select;
mod share;

pub use display::ChunkDisplay;
pub use iter::{ListRows, Rows};
pub use row::Row;
pub use select::SelectedRows;

use crate::alloc::home::{Body, Home};
use crate::column::{Column, ColumnPlan, Slot};
use crate::error::{fail, Error};
use crate::field::FieldType;
use crate::sync::SharedArc;
use std::fmt;
use std::mem::ManuallyDrop;

/// A batch of rows stored column by column.
///
/// A chunk from a pooling allocator gives its buffers back to that allocator
/// when dropped, from whichever thread drops it; a chunk in use is owned, so
/// its buffers can never be recycled under it. A chunk made with
/// [`Chunk::new`] belongs to no pool and frees its buffers.
///
/// A `Chunk` is one pointer: everything it holds (the columns, the
/// selection, the sizes, the pool it returns to) lives in one heap record
/// that a pool takes back whole and hands out again. So moving a chunk
/// copies one word, and a chunk made without a pool costs one small
/// allocation besides its columns' buffers.
///
/// ```
/// # use chunkpool::Chunk;
/// assert_eq!(std::mem::size_of::<Chunk>(), std::mem::size_of::<usize>());
/// assert_eq!(std::mem::size_of::<Option<Chunk>>(), std::mem::size_of::<usize>());
/// ```
///
/// ```
/// use chunkpool::{Chunk, FieldType};
///
/// let mut chk = Chunk::new(&[FieldType::I64, FieldType::VAR], 32, 1024);
/// assert_eq!((chk.capacity(), chk.required_rows()), (32, 1024));
/// chk.column_mut(0).append_i64(42);
/// chk.column_mut(1).append_str("answer");
/// assert_eq!(chk.num_rows(), 1);
/// chk.reset();
/// assert_eq!(chk.num_rows(), 0);
/// ```
pub struct Chunk {
    /// Everything the chunk holds, in one heap record that a pool takes
    /// back whole on drop and hands out again, so a chunk moves as one
    /// pointer. Taken out only by `Drop`.
    pub(crate) body: ManuallyDrop<Box<Body>>,
}

/// Row counts up to which no column of any field type can overflow its
/// byte size, so `check_alloc` need not look at the fields.
const SAFE_ROWS: usize = (isize::MAX as usize / crate::field::MAX_ELEM_SIZE) / 2;

/// Checks `alloc`'s arguments and returns the chunk capacity
/// `min(capacity, max_chunk_size)`. Every allocator calls it before touching
/// its cache, so a bad request never takes anything out.
#[inline]
pub(crate) fn check_alloc(
    fields: &[FieldType],
    capacity: usize,
    max_chunk_size: usize,
) -> Result<usize, Error> {
    if capacity == 0 {
        return Err(Error::ZeroCapacity);
    }
    if max_chunk_size == 0 {
        return Err(Error::ZeroMaxChunkSize);
    }
    let cap = capacity.min(max_chunk_size);
    if cap > SAFE_ROWS {
        for &f in fields {
            ColumnPlan::new(f, cap)?;
        }
    }
    Ok(cap)
}

impl Chunk {
    /// A chunk that belongs to no pool: one new column per field, with
    /// `capacity = min(capacity, max_chunk_size)` and
    /// `required_rows = max_chunk_size`.
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_new`] returns: on a zero
    /// capacity or max chunk size, a byte size that overflows, or memory
    /// that cannot be had.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 32, 1024);
    /// assert_eq!((chk.num_cols(), chk.num_rows(), chk.capacity()), (2, 0, 32));
    /// assert!(!chk.is_pooled()); // frees its buffers when dropped
    /// ```
    #[must_use]
    #[track_caller]
    pub fn new(fields: &[FieldType], capacity: usize, max_chunk_size: usize) -> Chunk {
        match Chunk::try_new(fields, capacity, max_chunk_size) {
            Ok(c) => c,
            Err(e) => fail(e),
        }
    }

    /// Like [`Chunk::new`], returning an error instead of panicking (or
    /// aborting the process).
    ///
    /// # Errors
    /// [`Error::ZeroCapacity`], [`Error::ZeroMaxChunkSize`],
    /// [`Error::CapacityOverflow`] when a column's byte size overflows, or
    /// [`Error::OutOfMemory`] when the global allocator refuses a column's
    /// buffers (the columns already made are freed).
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// assert_eq!(Chunk::try_new(&[FieldType::I64], 0, 1024).err(), Some(Error::ZeroCapacity));
    /// let chk = Chunk::try_new(&[FieldType::I64], 2048, 1024).unwrap();
    /// assert_eq!(chk.capacity(), 1024); // min(capacity, max_chunk_size)
    /// ```
    pub fn try_new(
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error> {
        let cap = check_alloc(fields, capacity, max_chunk_size)?;
        let columns = fields
            .iter()
            .map(|&f| Column::try_new(f, cap).map(Slot::Own))
            .collect::<Result<_, _>>()?;
        Ok(Chunk::from_body(Body::new(
            columns,
            cap,
            max_chunk_size,
            None,
        )))
    }

    /// A chunk of no pool made of `columns`, in order (the way to build a
    /// chunk from columns made or filled elsewhere). Its capacity is the
    /// rows every column holds without growing (at least 1), and it asks
    /// for that many rows (`required_rows`).
    ///
    /// ```
    /// # use chunkpool::{Chunk, Column, FieldType};
    /// let mut ids = Column::new(FieldType::I64, 4);
    /// ids.extend_from_slice(&[1i64, 2]);
    /// let mut names = Column::new(FieldType::UTF8, 4);
    /// names.extend_str(["a", "b"]);
    /// let chk = Chunk::from_columns(vec![ids, names])?;
    /// assert_eq!((chk.num_rows(), chk.fields()), (2, vec![FieldType::I64, FieldType::UTF8]));
    /// assert!(!chk.is_pooled() && chk.capacity() >= 4);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::RaggedChunk`] when the columns differ in length (the
    /// columns are dropped).
    pub fn from_columns(columns: Vec<Column>) -> Result<Chunk, Error> {
        let rows = columns.first().map_or(0, Column::len);
        if let Some((column, c)) = columns.iter().enumerate().find(|(_, c)| c.len() != rows) {
            return Err(Error::RaggedChunk {
                column,
                len: c.len(),
                rows,
            });
        }
        let cap = columns
            .iter()
            .map(Column::capacity)
            .min()
            .unwrap_or(1)
            .max(1);
        let slots = columns.into_iter().map(Slot::Own).collect();
        Ok(Chunk::from_body(Body::new(slots, cap, cap, None)))
    }

    /// The chunk living in `body`.
    #[inline(always)]
    pub(crate) fn from_body(body: Box<Body>) -> Chunk {
        Chunk {
            body: ManuallyDrop::new(body),
        }
    }

    /// Number of columns.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let chk = Chunk::new(&[FieldType::I64, FieldType::F64, FieldType::UTF8], 4, 4);
    /// assert_eq!(chk.num_cols(), 3);
    /// ```
    #[inline]
    #[must_use]
    pub fn num_cols(&self) -> usize {
        self.body.columns.len()
    }

    /// Number of rows as TiDB's `NumRows` counts them: the selected rows
    /// when the chunk has a selection ([`Chunk::set_sel`]), else every row
    /// its columns hold ([`Chunk::physical_rows`]). [`Chunk::row`],
    /// [`Chunk::is_full`] and [`Chunk::selected_rows`] count the same way.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// chk.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
    /// assert_eq!(chk.num_rows(), 3);
    /// chk.set_sel(Some(vec![2]));
    /// assert_eq!((chk.num_rows(), chk.physical_rows()), (1, 3));
    /// ```
    #[inline]
    #[must_use]
    pub fn num_rows(&self) -> usize {
        match &self.body.sel {
            Some(sel) => sel.len(),
            None => self.physical_rows(),
        }
    }

    /// Rows the columns hold, selected or not: the length of the first
    /// column, or for a chunk without columns the count
    /// [`Chunk::set_num_virtual_rows`] gave it. The row indices of
    /// [`Chunk::append_rows`], [`Chunk::append_selected`], a selection and
    /// [`Row::idx`] are below it.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// chk.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
    /// chk.set_sel(Some(vec![]));
    /// assert_eq!((chk.num_rows(), chk.physical_rows()), (0, 3));
    /// ```
    #[inline]
    #[must_use]
    pub fn physical_rows(&self) -> usize {
        match self.body.columns.first() {
            Some(s) => s.get().len(),
            None => self.body.virtual_rows,
        }
    }

    /// Gives a chunk without columns a row count (TiDB's
    /// `SetNumVirtualRows`): what an operator that reads no column, such
    /// as `COUNT(*)` over a projection of nothing, passes on. The count
    /// is the chunk's [`physical_rows`](Self::physical_rows) (so also its
    /// [`num_rows`](Self::num_rows) without a selection, and a selection
    /// may name those rows); [`Chunk::reset`] and [`Chunk::truncate`]
    /// lower it, the row-moving methods ([`Chunk::append_rows`] and the
    /// others) raise it by the rows they append from another chunk
    /// without columns, [`Chunk::swap_columns`] moves it with the
    /// columns, and a pool hands the chunk out again with none.
    ///
    /// TiDB sets the count on any chunk and ignores it while there are
    /// columns; here a chunk with columns refuses it, since the count
    /// would not show.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[], 32, 1024);
    /// chk.set_num_virtual_rows(5);
    /// assert_eq!((chk.num_rows(), chk.physical_rows(), chk.num_cols()), (5, 5, 0));
    /// chk.set_sel(Some(vec![0, 4]));
    /// assert_eq!(chk.num_rows(), 2);
    /// chk.reset();
    /// assert_eq!(chk.num_rows(), 0);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_set_num_virtual_rows`]
    /// returns: if the chunk has columns.
    #[track_caller]
    pub fn set_num_virtual_rows(&mut self, rows: usize) {
        if let Err(e) = self.try_set_num_virtual_rows(rows) {
            fail(e);
        }
    }

    /// Like [`Chunk::set_num_virtual_rows`], returning an error instead of
    /// panicking; on an error the chunk is unchanged.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(chk.try_set_num_virtual_rows(3), Err(Error::HasColumns { columns: 1 }));
    /// assert_eq!(chk.num_rows(), 0);
    /// ```
    ///
    /// # Errors
    /// [`Error::HasColumns`] if the chunk has columns. A selection set
    /// before is kept and checked against the new count: it must name
    /// rows below it, else [`Error::RowOutOfRange`].
    pub fn try_set_num_virtual_rows(&mut self, rows: usize) -> Result<(), Error> {
        if !self.body.columns.is_empty() {
            return Err(Error::HasColumns {
                columns: self.body.columns.len(),
            });
        }
        if let Some(sel) = &self.body.sel {
            select::check_sel(sel, rows)?;
        }
        self.body.virtual_rows = rows;
        Ok(())
    }

    /// The capacity the chunk was allocated with: `min(capacity, max_chunk_size)`.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// assert_eq!(Chunk::new(&[FieldType::I64], 32, 1024).capacity(), 32);
    /// assert_eq!(Chunk::new(&[FieldType::I64], 4096, 1024).capacity(), 1024);
    /// ```
    #[inline]
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.body.capacity
    }

    /// How many rows the consumer wants per batch (the `max_chunk_size` at
    /// allocation, unless changed).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let chk = Chunk::new(&[FieldType::I64], 32, 1024);
    /// assert_eq!(chk.required_rows(), 1024);
    /// ```
    #[inline]
    #[must_use]
    pub fn required_rows(&self) -> usize {
        self.body.required_rows
    }

    /// Sets the rows the consumer wants, capped at `max_chunk_size`; 0
    /// means "no particular number" and asks for `max_chunk_size` (TiDB's
    /// `SetRequiredRows`, which maps a non-positive request to
    /// `maxChunkSize`). With a `max_chunk_size` of 0 the chunk asks for 1
    /// row, so that [`is_full`](Self::is_full) still needs a row.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 32, 1024);
    /// chk.set_required_rows(10, 1024);
    /// assert_eq!(chk.required_rows(), 10);
    /// chk.set_required_rows(5000, 1024); // capped
    /// assert_eq!(chk.required_rows(), 1024);
    /// chk.set_required_rows(0, 1024); // no particular number: a full batch
    /// assert_eq!(chk.required_rows(), 1024);
    /// chk.set_required_rows(0, 0);
    /// assert_eq!(chk.required_rows(), 1);
    /// ```
    pub fn set_required_rows(&mut self, rows: usize, max_chunk_size: usize) {
        let rows = if rows == 0 { max_chunk_size } else { rows };
        self.body.required_rows = rows.min(max_chunk_size).max(1);
    }

    /// True when `num_rows() >= required_rows()` (TiDB's `IsFull`): with
    /// a selection, the selected rows count.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// chk.set_required_rows(2, 4);
    /// chk.column_mut(0).append_i64(1);
    /// assert!(!chk.is_full());
    /// chk.column_mut(0).append_i64(2);
    /// assert!(chk.is_full());
    /// chk.set_sel(Some(vec![1])); // one row selected
    /// assert!(!chk.is_full());
    /// ```
    #[inline]
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.num_rows() >= self.body.required_rows
    }

    /// True when the chunk came from a pooling allocator and will return to it.
    ///
    /// ```
    /// # use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator};
    /// let alloc = LockFreeAllocator::new();
    /// assert!(alloc.alloc(&[FieldType::I64], 4, 4).is_pooled());
    /// assert!(!Chunk::new(&[FieldType::I64], 4, 4).is_pooled());
    /// ```
    #[must_use]
    pub fn is_pooled(&self) -> bool {
        self.body.home.is_some()
    }

    /// Bytes of heap memory the chunk's column buffers hold: the sum of
    /// [`Column::allocated_bytes`] (capacities, not lengths) over its
    /// columns, a column that [`Chunk::make_ref`] put in several slots
    /// counted once. A column shared with another chunk
    /// ([`Chunk::make_ref_to`]) counts in each chunk that holds it. The
    /// chunk's own record, its column list and its selection are not
    /// counted (a few dozen bytes a column).
    ///
    /// ```
    /// # use chunkpool::{Chunk, Column, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 64, 64);
    /// let one = chk.column(0).allocated_bytes();
    /// assert_eq!(one, 64 * 8 + 8); // 64 elements and 8 bitmap bytes
    /// assert_eq!(chk.allocated_bytes(), 2 * one);
    /// chk.column_mut(0).append_i64(1); // lengths do not count, capacities do
    /// assert_eq!(chk.allocated_bytes(), 2 * one);
    /// chk.make_ref(0, 1); // one column in two slots
    /// assert_eq!(chk.allocated_bytes(), one);
    /// ```
    #[must_use]
    pub fn allocated_bytes(&self) -> usize {
        let columns = &self.body.columns;
        columns
            .iter()
            .enumerate()
            .filter(|&(i, slot)| match slot {
                Slot::Own(_) => true,
                // Counted at its first slot in this chunk.
                Slot::Shared(arc) => !columns[..i]
                    .iter()
                    .any(|s| matches!(s, Slot::Shared(b) if SharedArc::ptr_eq(arc, b))),
            })
            .map(|(_, slot)| slot.get().allocated_bytes())
            .sum()
    }

    /// Column `i`.
    ///
    /// # Panics
    /// With the message of [`Error::ColumnOutOfRange`] if `i >= num_cols()`
    /// (see [`Chunk::try_column`]).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
    /// chk.column_mut(1).append_str("a");
    /// assert_eq!(chk.column(1).value_str(0), Some("a"));
    /// assert_eq!(chk.column(0).field_type(), FieldType::I64);
    /// ```
    #[must_use]
    #[track_caller]
    pub fn column(&self, i: usize) -> &Column {
        match self.try_column(i) {
            Ok(c) => c,
            Err(e) => fail(e),
        }
    }

    /// Like [`Chunk::column`], returning an error instead of panicking.
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `i >= num_cols()`.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let chk = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert!(chk.try_column(0).is_ok());
    /// assert_eq!(chk.try_column(1).err(), Some(Error::ColumnOutOfRange { column: 1, columns: 1 }));
    /// ```
    pub fn try_column(&self, i: usize) -> Result<&Column, Error> {
        self.body
            .columns
            .get(i)
            .map(Slot::get)
            .ok_or(Error::ColumnOutOfRange {
                column: i,
                columns: self.body.columns.len(),
            })
    }

    /// Column `i`, mutably.
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_column_mut`] returns: if
    /// `i >= num_cols()`, or column `i` is still shared with another slot
    /// (see [`Chunk::make_ref`]).
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::F64], 4, 4);
    /// chk.column_mut(0).append_f64(0.5);
    /// assert_eq!(chk.column(0).get_f64(0), 0.5);
    /// ```
    #[track_caller]
    #[inline]
    pub fn column_mut(&mut self, i: usize) -> &mut Column {
        match self.try_column_mut(i) {
            Ok(c) => c,
            Err(e) => fail(e),
        }
    }

    /// Column `i`, mutably, or an error. A shared column whose other users
    /// have all let go becomes owned again.
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `i >= num_cols()`;
    /// [`Error::SharedColumn`] while another slot or chunk still shares
    /// column `i`.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// chk.make_ref(0, 1);
    /// assert_eq!(chk.try_column_mut(1).err(), Some(Error::SharedColumn { column: 1 }));
    /// assert!(chk.try_column_mut(2).is_err());
    /// ```
    #[inline]
    pub fn try_column_mut(&mut self, i: usize) -> Result<&mut Column, Error> {
        let columns = self.body.columns.len();
        match self.body.columns.get_mut(i) {
            Some(Slot::Own(c)) => Ok(c),
            Some(slot) => Chunk::unshare(slot, i),
            None => Err(Error::ColumnOutOfRange { column: i, columns }),
        }
    }

    /// Makes a shared slot owned again if its other users have all let go.
    #[cold]
    fn unshare(slot: &mut Slot, i: usize) -> Result<&mut Column, Error> {
        slot.make_owned().ok_or(Error::SharedColumn { column: i })
    }

    /// The columns' types, in order (TiDB's `GetFieldTypes`): the layout to
    /// allocate a chunk like this one with.
    ///
    /// ```
    /// # use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator};
    /// let chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
    /// assert_eq!(chk.fields(), [FieldType::I64, FieldType::UTF8]);
    /// let like = LockFreeAllocator::new().alloc(&chk.fields(), 4, 4);
    /// assert_eq!(like.fields(), chk.fields());
    /// ```
    #[must_use]
    pub fn fields(&self) -> Vec<FieldType> {
        self.columns().map(Column::field_type).collect()
    }

    /// Iterates over the columns in order.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Column, FieldType};
    /// let chk = Chunk::new(&[FieldType::I64, FieldType::UTF8], 4, 4);
    /// let types: Vec<FieldType> = chk.columns().map(Column::field_type).collect();
    /// assert_eq!(types, [FieldType::I64, FieldType::UTF8]);
    /// ```
    pub fn columns(&self) -> impl ExactSizeIterator<Item = &Column> + '_ {
        self.body.columns.iter().map(Slot::get)
    }

    /// True when column `i` is shared with another slot or chunk.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64, FieldType::I64], 4, 4);
    /// chk.make_ref(0, 2);
    /// assert_eq!((chk.is_shared(0), chk.is_shared(1), chk.is_shared(2)), (true, false, true));
    /// ```
    #[must_use]
    pub fn is_shared(&self, i: usize) -> bool {
        matches!(self.body.columns.get(i), Some(Slot::Shared(a)) if SharedArc::strong_count(a) > 1)
    }

    /// Clears every column, keeping types and capacities, and drops the
    /// selection (see [`Chunk::set_sel`]); `capacity` and
    /// `required_rows` are unchanged. Columns that [`Chunk::make_ref`]
    /// made one stay one (TiDB's `Reset` clears the one column they
    /// share). A column still shared with another chunk
    /// ([`Chunk::make_ref_to`]) is replaced by a new empty column of the
    /// same type, since its other user still reads it; the slots of this
    /// chunk that shared it share the new one.
    ///
    /// # Panics
    /// With the message of [`Error::OutOfMemory`] if memory for such a new
    /// column cannot be had.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut chk = Chunk::new(&[FieldType::I64, FieldType::I64], 4, 4);
    /// chk.column_mut(0).extend_from_slice(&[1i64, 2]);
    /// chk.set_sel(Some(vec![1]));
    /// chk.make_ref(0, 1);
    /// chk.reset();
    /// assert_eq!((chk.num_rows(), chk.sel(), chk.capacity()), (0, None, 4));
    /// assert!(chk.is_shared(0) && chk.is_shared(1)); // still one column
    /// ```
    pub fn reset(&mut self) {
        self.body.sel = None;
        self.body.virtual_rows = 0;
        if self.body.shared {
            self.reset_shared();
        }
        for slot in &mut self.body.columns {
            if let Slot::Own(c) = slot {
                c.reset();
            }
        }
    }

    /// The allocator this chunk returns to, if any.
    #[cfg(feature = "arrow")]
    pub(crate) fn home(&self) -> Option<&Home> {
        self.body.home.as_ref()
    }
}

impl Drop for Chunk {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: `body` is taken out here, once; `self` is never used
        // again after `drop`, so nothing reads the emptied field.
        let body = unsafe { ManuallyDrop::take(&mut self.body) };
        if body.home.is_some() {
            Home::recycle(body);
        }
    }
}

/// A copy of the rows (TiDB's `CopyConstruct`): a chunk of no pool, with a
/// clone of every column (its buffers as large as its rows need, see
/// [`Column`'s `Clone`](Column#impl-Clone-for-Column)), the same selection,
/// capacity and required rows. Slots that share one column
/// ([`Chunk::make_ref`]) get a copy each. To copy only the selected rows,
/// [`Chunk::append_chunk`] into a new chunk.
///
/// ```
/// # use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator};
/// let pool = LockFreeAllocator::new();
/// let mut chk = pool.alloc(&[FieldType::I64, FieldType::UTF8], 8, 8);
/// chk.column_mut(0).extend_from_slice(&[1i64, 2]);
/// chk.column_mut(1).extend_str(["a", "b"]);
/// chk.set_sel(Some(vec![1]));
/// let copy = chk.clone();
/// assert!(!copy.is_pooled());
/// assert_eq!((copy.num_rows(), copy.row(0).get_i64(0), copy.capacity()), (1, 2, 8));
/// drop(chk); // goes home; the copy is independent
/// assert_eq!(copy.column(1).value_str(0), Some("a"));
/// ```
impl Clone for Chunk {
    fn clone(&self) -> Chunk {
        let columns = self.columns().map(|c| Slot::Own(c.clone())).collect();
        let b = &self.body;
        let mut body = Body::new(columns, b.capacity, b.required_rows, None);
        body.sel.clone_from(&b.sel);
        body.virtual_rows = b.virtual_rows;
        Chunk::from_body(body)
    }
}

impl fmt::Debug for Chunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chunk")
            .field("rows", &self.num_rows())
            .field("capacity", &self.body.capacity)
            .field("required_rows", &self.body.required_rows)
            .field("pooled", &self.body.home.is_some())
            .field("sel", &self.body.sel.as_ref().map(Vec::len))
            .field(
                "columns",
                &self.body.columns.iter().map(Slot::get).collect::<Vec<_>>(),
            )
            .finish()
    }
}
