//! A chunk: an ordered list of columns handed out by an allocator, returned
//! to it when dropped.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`Chunk`] itself: slots, sharing, replacing and swapping columns, reset, return on drop |
//! | `rows.rs` | moving rows between chunks (`append_row`, `append_rows`, `append_selected`, ...) |
//! | `select.rs` | the selection vector (`set_sel`, `selected_rows`) |
//! | `row.rs` | [`Row`], a view of one row |

mod row;
mod rows;
mod select;

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
    /// column (0 without columns). The row indices of
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
        self.body.columns.first().map_or(0, |s| s.get().len())
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
    /// assert_eq!(chk.column(1).get_str(0), Some("a"));
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
        if self.body.shared {
            self.reset_shared();
        }
        for slot in &mut self.body.columns {
            if let Slot::Own(c) = slot {
                c.reset();
            }
        }
    }

    /// [`Chunk::reset`] of the shared slots: each group of slots sharing
    /// one column gets that column back, reset, if this chunk holds every
    /// reference to it, else a new one; either way shared by the group
    /// again (owned when the group is one slot).
    #[cold]
    fn reset_shared(&mut self) {
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
    /// assert_eq!(out.column(1).get_str(0), Some("kept"));
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

    /// Swaps column `i` of this chunk with column `j` of `other` (TiDB's
    /// `SwapColumn`). The two chunks may come from different allocators and
    /// the columns may be of different types: each allocator checks what
    /// comes back to it (crate invariant 2). Neither chunk may have a
    /// selection (TiDB's rule): it would not follow the column.
    ///
    /// ```
    /// # use chunkpool::{Chunk, FieldType};
    /// let mut a = Chunk::new(&[FieldType::I64], 4, 4);
    /// let mut b = Chunk::new(&[FieldType::UTF8], 4, 4);
    /// a.column_mut(0).append_i64(1);
    /// b.column_mut(0).append_str("x");
    /// a.swap_columns(0, &mut b, 0);
    /// assert_eq!(a.column(0).get_bytes(0), b"x");
    /// assert_eq!(b.column(0).get_i64(0), 1);
    /// ```
    ///
    /// # Panics
    /// With the message of the error [`Chunk::try_swap_columns`] returns.
    #[track_caller]
    pub fn swap_columns(&mut self, i: usize, other: &mut Chunk, j: usize) {
        if let Err(e) = self.try_swap_columns(i, other, j) {
            fail(e);
        }
    }

    /// Like [`Chunk::swap_columns`], returning an error instead of
    /// panicking; on an error neither chunk is changed.
    ///
    /// ```
    /// # use chunkpool::{Chunk, Error, FieldType};
    /// let mut a = Chunk::new(&[FieldType::I64], 4, 4);
    /// let mut b = Chunk::new(&[FieldType::I64], 4, 4);
    /// assert_eq!(
    ///     a.try_swap_columns(0, &mut b, 3),
    ///     Err(Error::ColumnOutOfRange { column: 3, columns: 1 })
    /// );
    /// ```
    ///
    /// # Errors
    /// [`Error::ColumnOutOfRange`] if `i` or `j` is out of range;
    /// [`Error::HasSelection`] if either chunk has a selection, even an
    /// empty one; [`Error::SharedColumn`] if either column is still shared
    /// with another slot ([`Chunk::make_ref`]).
    pub fn try_swap_columns(&mut self, i: usize, other: &mut Chunk, j: usize) -> Result<(), Error> {
        self.try_column(i)?;
        other.try_column(j)?;
        if self.body.sel.is_some() || other.body.sel.is_some() {
            return Err(Error::HasSelection);
        }
        self.try_column_mut(i)?;
        other.try_column_mut(j)?;
        std::mem::swap(&mut self.body.columns[i], &mut other.body.columns[j]);
        Ok(())
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

    /// The allocator this chunk returns to, if any.
    #[cfg(feature = "arrow")]
    pub(crate) fn home(&self) -> Option<&Home> {
        self.body.home.as_ref()
    }

    /// `Ok` if `i` names a column of this chunk.
    fn check_column(&self, i: usize) -> Result<(), Error> {
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
    fn give_back(&self, slot: Slot) {
        if let (Some(home), Some(col)) = (&self.body.home, slot.into_column()) {
            home.recycle_column(col);
        }
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
