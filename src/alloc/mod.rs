//! The allocator family: one trait, four implementations.
//!
//! * [`LockFreeAllocator`]: the product; no lock on alloc or return.
//! * [`MutexAllocator`]: TiDB's `syncAllocator` design; the baseline.
//! * [`EmptyAllocator`]: never caches.
//! * [`ReuseHook`]: runs a callback on the first reusing allocation.

mod empty;
mod hook;
pub(crate) mod lockfree;
mod mutex;

pub use empty::EmptyAllocator;
pub use hook::ReuseHook;
pub use lockfree::LockFreeAllocator;
pub use mutex::MutexAllocator;

use crate::chunk::{Chunk, Slot};
use crate::column::Column;
use crate::error::Error;
use crate::field::FieldType;
use crate::sync::Arc;

/// What executors allocate chunks from (TiDB's `chunk.Allocator`).
///
/// All implementations are `Send + Sync`: one allocator serves every worker
/// of a statement. Chunks go back to the allocator they came from when
/// dropped, so there is no `free`.
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
    /// [`Error::CapacityOverflow`] when a column's byte size overflows, or
    /// [`Error::OutOfMemory`] when the global allocator refuses a new
    /// column's buffers.
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
    #[track_caller]
    fn alloc(&self, fields: &[FieldType], capacity: usize, max_chunk_size: usize) -> Chunk {
        match self.try_alloc(fields, capacity, max_chunk_size) {
            Ok(c) => c,
            Err(e) => alloc_failed(e),
        }
    }

    /// Marks a statement boundary (TiDB's `Reset`). Chunks return when
    /// dropped, so this never takes a buffer from a live chunk.
    fn reset(&self);

    /// TiDB's `CheckReuseAllocSize`: true when this allocator is configured
    /// to reuse anything (some limit is non-zero), whether or not anything
    /// is cached right now.
    fn check_reuse_alloc_size(&self) -> bool;
}

/// Allocators that can make a new, empty allocator of the same kind and
/// limits; [`SessionChunkPool::clear_alloc`](crate::SessionChunkPool::clear_alloc)
/// uses it to abandon an allocator after an error.
pub trait Renew {
    /// A new allocator with the same configuration, sharing nothing with `self`.
    #[must_use = "renew() returns the new allocator and leaves this one as it was"]
    fn renew(&self) -> Self;
}

/// Puts a new column of its field, for `rows` rows, in place of every
/// column of `columns` that cannot hold `rows` rows (too small, or a
/// [`Column::EMPTY`] placeholder); the ones replaced are dropped. All or
/// nothing: the new columns are made first, so when one cannot be had
/// `columns` is left as it was, for the caller to give back. Returns how
/// many were replaced.
#[cold]
pub(crate) fn replace_small(
    columns: &mut [Slot],
    fields: &[FieldType],
    rows: usize,
) -> Result<u64, Error> {
    let made = columns
        .iter()
        .zip(fields)
        .filter(|(slot, _)| !slot.get().fits(rows))
        .map(|(_, &f)| Column::try_new(f, rows))
        .collect::<Result<Vec<Column>, Error>>()?;
    let n = made.len() as u64;
    let small = columns.iter_mut().filter(|slot| !slot.get().fits(rows));
    for (slot, col) in small.zip(made) {
        *slot = Slot::Own(col);
    }
    Ok(n)
}

/// The panic of [`ChunkAllocator::alloc`] on the inputs `try_alloc` rejects.
#[cold]
#[track_caller]
pub(crate) fn alloc_failed(e: Error) -> ! {
    panic!("chunkpool: {e}")
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

/// Where a pooled chunk's buffers go when it is dropped.
#[derive(Debug)]
pub(crate) enum Home {
    LockFree(Arc<lockfree::Pool>),
    Mutex(Arc<mutex::MutexShared>),
}

impl Home {
    /// Takes back the column list of a dropped chunk; `shared` when some
    /// slot may be shared with another chunk. What the pool keeps it moves
    /// out; whatever is left in the list is freed with the chunk.
    #[inline]
    pub(crate) fn recycle(self, columns: &mut Vec<Slot>, shared: bool) {
        match self {
            Home::LockFree(p) => lockfree::recycle(p, columns, shared),
            Home::Mutex(s) => s.recycle(std::mem::take(columns)),
        }
    }

    /// Takes back one column that left a live chunk.
    pub(crate) fn recycle_column(&self, col: Column) {
        match self {
            Home::LockFree(p) => lockfree::recycle_column(p, col),
            Home::Mutex(s) => s.recycle_column(col),
        }
    }
}
