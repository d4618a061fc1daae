//! Claimed exports (feature `arrow-pool`, arrow-rs 60 with its `pool`
//! feature): an exported chunk's pooled capacity claimed into an arrow
//! [`MemoryPool`], counted once, and released when the chunk is home.
//!
//! # How the pool sees the capacity once
//! Arrow counts a buffer by what it was made over: an export wraps the
//! bytes in use, never the capacity behind them (past the length a
//! reused buffer holds an earlier user's bytes, which arrow must not
//! reach). So the owner holds one [`MemoryReservation`], the *rest*:
//! the chunk's [`allocated_bytes`](Chunk::allocated_bytes) less what the
//! export's live buffers claim themselves. Every buffer keeps the owner
//! through a [`Piece`] of its own: made, it moves its length from the
//! rest to the buffer's own reservation (`RecordBatch::claim`); dropped
//! (with the last array that used it), it moves its length back to the
//! rest. So at every moment the pool sees exactly the chunk's allocated
//! bytes (plus what arrow allocated itself: packed `Bool` values,
//! converted `i32` offsets), whichever arrays the engine kept, and
//! claiming the batch again into the same pool changes nothing (arrow
//! replaces a buffer's reservation). A column in several slots
//! (`make_ref`) is one buffer in every array that shows it, so its bytes
//! are claimed once.
//!
//! # Synchronization
//! The rest is behind a mutex: pieces drop on whichever thread lets go of
//! their last array. Nothing else is shared.

use super::export;
use super::owner::{Held, Owner};
use crate::chunk::Chunk;
use crate::error::Error;
use crate::sync::{lock, Mutex};
use arrow_array::RecordBatch;
use arrow_buffer::alloc::Allocation;
use arrow_buffer::{Buffer, MemoryPool, MemoryReservation};
use arrow_schema::SchemaRef;
use std::ptr::NonNull;
use std::sync::Arc;

/// A claimed export's reservation (see the module docs).
#[derive(Debug)]
pub(super) struct Claim {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// The chunk's allocated bytes that no live buffer of the export claims.
    rest: Box<dyn MemoryReservation>,
    /// While the export is built: the buffers made so far, by address, so
    /// that bytes shown twice get one buffer. Emptied when built (each
    /// buffer holds the owner, which holds this).
    made: Vec<(usize, usize, Buffer)>,
}

impl Claim {
    /// The buffer already made over these bytes, if any.
    pub(super) fn made(&self, ptr: NonNull<u8>, len: usize) -> Option<Buffer> {
        let at = ptr.as_ptr() as usize;
        lock(&self.state)
            .made
            .iter()
            .find(|(p, l, _)| (*p, *l) == (at, len))
            .map(|(_, _, b)| b.clone())
    }

    /// Records a buffer made over the bytes at `ptr`.
    pub(super) fn record(&self, ptr: NonNull<u8>, made: &Buffer) {
        let entry = (ptr.as_ptr() as usize, made.len(), made.clone());
        lock(&self.state).made.push(entry);
    }

    /// Moves `len` bytes out of the rest (`true`) or back into it.
    fn shift(&self, len: usize, out: bool) {
        let mut state = lock(&self.state);
        let size = state.rest.size();
        let new = if out {
            size.saturating_sub(len)
        } else {
            size + len
        };
        state.rest.resize(new);
    }

    /// The export is built: lets go of the buffers kept to find twins
    /// (outside the lock: dropping the last one drops its piece, which
    /// takes the lock).
    fn built(&self) {
        let made = std::mem::take(&mut lock(&self.state).made);
        drop(made);
    }
}

/// What keeps a claimed export's buffer alive: the owner, and the
/// buffer's length, which goes back to the owner's rest when the buffer
/// is dropped.
#[derive(Debug)]
struct Piece {
    owner: Arc<Owner>,
    len: usize,
}

impl Drop for Piece {
    fn drop(&mut self) {
        if let Some(claim) = &self.owner.claim {
            claim.shift(self.len, false);
        }
    }
}

/// What a new buffer of `len` bytes over `owner`'s memory holds: a piece
/// (its length moved out of the rest) when the export is claimed, else
/// the owner itself.
pub(super) fn keep(owner: &Arc<Owner>, len: usize) -> Arc<dyn Allocation> {
    match &owner.claim {
        Some(claim) => {
            claim.shift(len, true);
            Arc::new(Piece {
                owner: Arc::clone(owner),
                len,
            })
        }
        None => Arc::clone(owner) as Arc<dyn Allocation>,
    }
}

impl Chunk {
    /// Like [`Chunk::into_record_batch_as`], and claims the batch into
    /// `pool` at the chunk's pooled capacity: the pool sees
    /// [`Chunk::allocated_bytes`] (capacities, a shared column once, not
    /// the lengths arrow's buffers show), plus what arrow allocates for
    /// the batch itself (packed `Bool` values, `i32` offsets), from now
    /// until the chunk is home. Whichever arrays of the batch an engine
    /// keeps or drops, the pool keeps seeing the whole chunk while any
    /// part of it is alive; claiming the batch again into the same pool
    /// (`RecordBatch::claim`) counts nothing twice. Claiming it into
    /// another pool moves the buffers' visible bytes there; the rest of
    /// the capacity stays in `pool`.
    ///
    /// Needs the `arrow-pool` feature (arrow-rs 60 with its `pool`
    /// feature; arrow-rs 59 has no memory pools).
    ///
    /// ```
    /// use arrow_buffer::{MemoryPool, TrackingMemoryPool};
    /// use chunkpool::{export_schema, ChunkAllocator, ExportOptions, FieldType, LockFreeAllocator};
    /// use std::sync::Arc;
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let fields = [FieldType::I64, FieldType::UTF8];
    /// let schema = Arc::new(export_schema(&fields, &ExportOptions::new())?);
    /// let pool = TrackingMemoryPool::default();
    ///
    /// let mut chk = alloc.alloc(&fields, 1024, 1024);
    /// chk.column_mut(0).append_i64(7); // one row in use, 1024 allocated
    /// chk.column_mut(1).append_str("seven");
    /// let bytes = chk.allocated_bytes();
    /// let batch = chk.into_record_batch_claimed(&schema, &pool)?;
    /// assert_eq!(pool.used(), bytes);
    /// batch.claim(&pool); // the engine claims it too: nothing twice
    /// assert_eq!(pool.used(), bytes);
    /// drop(batch); // the chunk goes home, and the pool lets go
    /// assert_eq!((pool.used(), alloc.stats().chunks_returned), (0, 1));
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    ///
    /// # Errors
    /// Those of [`Chunk::into_record_batch_as`]; nothing stays claimed on
    /// error.
    #[cfg_attr(docsrs, doc(cfg(feature = "arrow-pool")))]
    pub fn into_record_batch_claimed(
        self,
        schema: &SchemaRef,
        pool: &dyn MemoryPool,
    ) -> Result<RecordBatch, Error> {
        let rows = export::check_chunk(&self, schema)?;
        let bytes = self.allocated_bytes();
        let mut owner = Owner::unshared(Held::Chunk(self));
        owner.claim = Some(Claim {
            state: Mutex::new(State {
                rest: pool.reserve(bytes),
                made: Vec::new(),
            }),
        });
        let owner = Arc::new(owner);
        let batch = export::batch(&owner, rows, schema);
        if let Some(claim) = &owner.claim {
            claim.built();
        }
        let batch = batch?;
        batch.claim(pool);
        Ok(batch)
    }
}
