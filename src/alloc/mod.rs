//! The allocator family: one trait, four implementations.
//!
//! * [`LockFreeAllocator`]: the product; no lock on alloc or return.
//! * [`MutexAllocator`]: TiDB's `syncAllocator` design; the baseline.
//! * [`EmptyAllocator`]: never caches.
//! * [`ReuseHook`]: runs a callback on the first reusing allocation.

pub(crate) mod budget;
mod empty;
pub(crate) mod home;
mod hook;
pub(crate) mod lockfree;
mod mutex;
mod request;

pub use budget::MemoryBudget;
pub use empty::EmptyAllocator;
pub use hook::ReuseHook;
pub use lockfree::LockFreeAllocator;
pub use mutex::MutexAllocator;
pub use request::ChunkRequest;

use crate::chunk::Chunk;
use crate::column::{Column, Slot};
use crate::error::{fail, Error};
use crate::field::FieldType;
use budget::Charge;

/// What executors allocate chunks from (TiDB's `chunk.Allocator`).
///
/// All implementations are `Send + Sync`: one allocator serves every worker
/// of a statement. Chunks go back to the allocator they came from when
/// dropped, so there is no `free`.
///
/// Executor code can be generic over it, so one operator runs on any pool
/// (or, through [`EmptyAllocator`], on none):
///
/// ```
/// use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator, MutexAllocator};
///
/// /// A scan operator: fills one batch of `n` rows.
/// fn scan(alloc: &impl ChunkAllocator, n: i64) -> Chunk {
///     let mut chk = alloc.alloc(&[FieldType::I64], n as usize, 1024);
///     for i in 0..n {
///         chk.column_mut(0).append_i64(i * i);
///     }
///     chk
/// }
///
/// let lock_free = LockFreeAllocator::new();
/// assert_eq!(scan(&lock_free, 4).column(0).get_i64(3), 9);
/// assert_eq!(scan(&MutexAllocator::new(), 4).num_rows(), 4);
/// // The first batch went back to `lock_free` when dropped; this one reuses it.
/// drop(scan(&lock_free, 4));
/// assert_eq!(lock_free.stats().chunks_from_cache, 1);
/// ```
pub trait ChunkAllocator: Send + Sync {
    /// A chunk with one empty column per field, `capacity()` equal to
    /// `min(capacity, max_chunk_size)` and `required_rows()` equal to
    /// `max_chunk_size`; its buffers may be recycled ones, never ones a live
    /// chunk still uses.
    ///
    /// Never aborts the process: a request the memory cannot meet is an
    /// error, after which the allocator holds what it held before (columns
    /// it took out of its cache for the request go back) and its
    /// statistics count nothing for the request.
    ///
    /// # Errors
    /// [`Error::ZeroCapacity`], [`Error::ZeroMaxChunkSize`],
    /// [`Error::CapacityOverflow`] when a column's byte size overflows,
    /// [`Error::OutOfMemory`] when the global allocator refuses a new
    /// column's buffers, or [`Error::BudgetRefused`] when the allocator's
    /// [`MemoryBudget`] refuses them (see
    /// [`LockFreeAllocator::with_memory_budget`]).
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, Error, FieldType, LockFreeAllocator};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let chk = alloc.try_alloc(&[FieldType::I64, FieldType::UTF8], 2048, 1024)?;
    /// assert_eq!((chk.num_cols(), chk.num_rows()), (2, 0));
    /// assert_eq!((chk.capacity(), chk.required_rows()), (1024, 1024));
    ///
    /// assert_eq!(alloc.try_alloc(&[FieldType::I64], 32, 0).unwrap_err(), Error::ZeroMaxChunkSize);
    /// assert!(matches!(
    ///     alloc.try_alloc(&[FieldType::I64], usize::MAX, usize::MAX),
    ///     Err(Error::CapacityOverflow { .. })
    /// ));
    /// assert_eq!(alloc.stats().chunks_allocated, 1); // failures count nothing
    /// # Ok::<(), Error>(())
    /// ```
    fn try_alloc(
        &self,
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error>;

    /// Like [`try_alloc`](Self::try_alloc), panicking instead of returning
    /// an error.
    ///
    /// # Panics
    /// With the [`Error`]'s message, whenever `try_alloc` would fail: on
    /// bad arguments, and when memory for a new column cannot be had.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
    ///
    /// let alloc = MutexAllocator::new();
    /// let mut chk = alloc.alloc(&[FieldType::F64], 16, 1024);
    /// chk.column_mut(0).append_f64(0.5);
    /// assert_eq!(chk.column(0).get_f64(0), 0.5);
    /// ```
    ///
    /// ```should_panic
    /// # use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
    /// // panics: "chunkpool: chunk capacity must be at least 1"
    /// let _ = MutexAllocator::new().alloc(&[FieldType::F64], 0, 1024);
    /// ```
    #[track_caller]
    fn alloc(&self, fields: &[FieldType], capacity: usize, max_chunk_size: usize) -> Chunk {
        match self.try_alloc(fields, capacity, max_chunk_size) {
            Ok(c) => c,
            Err(e) => fail(e),
        }
    }

    /// [`try_alloc`](Self::try_alloc) with the numbers named by a
    /// [`ChunkRequest`].
    ///
    /// # Errors
    /// As [`try_alloc`](Self::try_alloc)'s, for the request's numbers.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, ChunkRequest, Error, FieldType, LockFreeAllocator};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let chk = alloc.try_alloc_with(ChunkRequest::new(&[FieldType::I64], 64))?;
    /// assert_eq!(chk.capacity(), 64);
    /// let empty = ChunkRequest::new(&[FieldType::I64], 64).max_chunk_size(0);
    /// assert_eq!(alloc.try_alloc_with(empty).unwrap_err(), Error::ZeroMaxChunkSize);
    /// # Ok::<(), Error>(())
    /// ```
    fn try_alloc_with(&self, request: ChunkRequest<'_>) -> Result<Chunk, Error> {
        self.try_alloc(request.fields, request.capacity, request.max_chunk_size)
    }

    /// [`alloc`](Self::alloc) with the numbers named by a [`ChunkRequest`].
    ///
    /// # Panics
    /// Whenever [`try_alloc_with`](Self::try_alloc_with) would fail, with
    /// the [`Error`]'s message.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, ChunkRequest, FieldType, MutexAllocator};
    ///
    /// let alloc = MutexAllocator::new();
    /// let chk = alloc.alloc_with(ChunkRequest::new(&[FieldType::F64], 1024).capacity(16));
    /// assert_eq!((chk.capacity(), chk.required_rows()), (16, 1024));
    /// ```
    #[track_caller]
    fn alloc_with(&self, request: ChunkRequest<'_>) -> Chunk {
        match self.try_alloc_with(request) {
            Ok(c) => c,
            Err(e) => fail(e),
        }
    }

    /// Marks a statement boundary (TiDB's `Reset`). Chunks return when
    /// dropped, so this never takes a buffer from a live chunk. This
    /// crate's pooling allocators do nothing here (the cache stays);
    /// [`ReuseHook`] re-arms its callback.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let live = alloc.alloc(&[FieldType::I64], 8, 8);
    /// drop(alloc.alloc(&[FieldType::I64], 8, 8));
    /// alloc.reset();
    /// assert_eq!(alloc.stats().retained_chunks, 1); // still cached
    /// assert!(live.is_pooled()); // and the live chunk untouched
    /// ```
    fn reset(&self);

    /// TiDB's `CheckReuseAllocSize`: true when this allocator is configured
    /// to reuse anything (some limit is non-zero), whether or not anything
    /// is cached right now.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, EmptyAllocator, LockFreeAllocator, PoolConfig};
    ///
    /// assert!(LockFreeAllocator::new().check_reuse_alloc_size());
    /// assert!(!LockFreeAllocator::with_config(PoolConfig::no_reuse()).check_reuse_alloc_size());
    /// assert!(!EmptyAllocator.check_reuse_alloc_size());
    /// ```
    fn check_reuse_alloc_size(&self) -> bool;
}

/// Allocators that can make a new, empty allocator of the same kind and
/// limits; [`SessionChunkPool::clear_alloc`](crate::SessionChunkPool::clear_alloc)
/// uses it to abandon an allocator after an error.
///
/// ```
/// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator, PoolConfig, Renew};
///
/// let old = MutexAllocator::with_config(PoolConfig::with_limits(4, 8)?);
/// drop(old.alloc(&[FieldType::I64], 8, 8));
/// let new = old.renew();
/// assert_eq!(new.config(), old.config());
/// assert_eq!(new.stats().retained_columns, 0); // nothing shared
/// assert_eq!(old.stats().retained_columns, 1);
/// # Ok::<(), chunkpool::Error>(())
/// ```
pub trait Renew {
    /// A new allocator with the same configuration, sharing nothing with `self`.
    ///
    /// ```
    /// use chunkpool::{LockFreeAllocator, Renew};
    ///
    /// let old = LockFreeAllocator::new();
    /// let new = old.renew();
    /// assert!(!new.same_pool(&old));
    /// assert!(old.clone().same_pool(&old));
    /// ```
    #[must_use = "renew() returns the new allocator and leaves this one as it was"]
    fn renew(&self) -> Self;
}

/// Puts a new column of its field, for `rows` rows, in place of every
/// column of `columns` that cannot hold `rows` rows (too small, or a
/// [`Column::EMPTY`] placeholder); the ones replaced are dropped. All or
/// nothing: the new columns are made first, so when one cannot be had
/// `columns` is left as it was, for the caller to give back. Returns how
/// many were replaced.
///
/// With a memory budget, `charge` (what `columns` were charged) asks for
/// the new columns' bytes once they are made (a refusal frees them and
/// leaves `columns` as they were), and gives back the bytes of the
/// columns replaced.
///
/// A new variable-width column has room for `var_row_bytes` bytes a row
/// (at least the usual 8; see `Pool::var_row_bytes`).
#[cold]
pub(crate) fn replace_small(
    columns: &mut [Slot],
    fields: &[FieldType],
    rows: usize,
    var_row_bytes: usize,
    charge: &mut Charge,
) -> Result<u64, Error> {
    let made = columns
        .iter()
        .zip(fields)
        .filter(|(slot, _)| !slot.get().fits(rows))
        .map(|(_, &f)| Column::try_with_var_bytes(f, rows, var_row_bytes))
        .collect::<Result<Vec<Column>, Error>>()?;
    if charge.is_active() {
        charge.try_grow(made.iter().map(Column::allocated_bytes).sum())?;
    }
    let n = made.len() as u64;
    let small = columns.iter_mut().filter(|slot| !slot.get().fits(rows));
    for (slot, col) in small.zip(made) {
        let old = std::mem::replace(slot, Slot::Own(col));
        charge.release(old.get().allocated_bytes());
    }
    Ok(n)
}

/// `ChunkAllocator` for handles that forward to the allocator they point to.
macro_rules! forward_allocator {
    ($($handle:ty),*) => {$(
        impl<A: ChunkAllocator + ?Sized> ChunkAllocator for $handle {
            fn try_alloc(
                &self,
                fields: &[FieldType],
                capacity: usize,
                max_chunk_size: usize,
            ) -> Result<Chunk, Error> {
                (**self).try_alloc(fields, capacity, max_chunk_size)
            }
            #[track_caller]
            fn alloc(&self, fields: &[FieldType], capacity: usize, max_chunk_size: usize) -> Chunk {
                (**self).alloc(fields, capacity, max_chunk_size)
            }
            fn reset(&self) {
                (**self).reset()
            }
            fn check_reuse_alloc_size(&self) -> bool {
                (**self).check_reuse_alloc_size()
            }
        }
    )*};
}
forward_allocator!(std::sync::Arc<A>, &A);
