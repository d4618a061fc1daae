//! Ties a DataFusion [`MemoryReservation`] to the life of an exported
//! batch's buffers, so it is released when the batch's chunk goes home.
//!
//! A chunk exported with `into_record_batch_as` goes home when the last
//! arrow buffer over it is dropped, wherever DataFusion dropped it (after
//! a filter, in a slice a `LIMIT` kept, on another thread). Nothing in
//! chunkpool's public API says when that is, but arrow-buffer's `pool`
//! feature gives every buffer a slot for a reservation that is dropped
//! with the buffer's memory: [`Buffer::claim`]. [`tie`] claims every
//! buffer of a batch into one small [`arrow_buffer::MemoryPool`] whose
//! reservations all share one [`Lease`]; the lease, and with it the
//! DataFusion reservation, is dropped when the last of those buffers is:
//! the same moment the last holder of the chunk lets go.
//!
//! Two limits, both on the side of counting longer, never shorter:
//! - a buffer of the batch that is not the chunk's memory (a copy the
//!   export made, such as `i32` offsets under `small_offsets`) also keeps
//!   the lease; the scan here exports none;
//! - anyone who claims the same buffers again into another arrow pool
//!   replaces this claim (arrow keeps one per buffer); the lease is then
//!   released early. DataFusion 55 claims buffers only in its own tests.
//!
//! [`Buffer::claim`]: arrow_buffer::Buffer::claim

use arrow_buffer::Buffer;
use datafusion::arrow::array::{Array, ArrayData, RecordBatch};
use datafusion::execution::memory_pool::MemoryReservation;
use std::sync::Arc;

/// A batch's share of DataFusion's memory pool: held by every buffer of
/// the batch, released (the reservation dropped) when the last one goes.
#[derive(Debug)]
struct Lease {
    reservation: MemoryReservation,
}

/// The arrow-side pool that hands every buffer of one batch a reference
/// to the batch's [`Lease`].
#[derive(Debug)]
struct LeasePool(Arc<Lease>);

/// One buffer's hold on the [`Lease`]: kept only to be dropped with the
/// buffer.
#[derive(Debug)]
struct LeaseHold {
    _lease: Arc<Lease>,
}

impl arrow_buffer::MemoryReservation for LeaseHold {
    /// 0: the bytes are counted once, by the lease, not per buffer.
    fn size(&self) -> usize {
        0
    }

    /// Nothing to do: arrow resizes a reservation when it reallocates a
    /// buffer, which it never does to memory it does not own.
    fn resize(&mut self, _new_size: usize) {}
}

impl arrow_buffer::MemoryPool for LeasePool {
    fn reserve(&self, _size: usize) -> Box<dyn arrow_buffer::MemoryReservation> {
        Box::new(LeaseHold {
            _lease: Arc::clone(&self.0),
        })
    }

    fn available(&self) -> isize {
        isize::MAX
    }

    fn used(&self) -> usize {
        self.0.reservation.size()
    }

    fn capacity(&self) -> usize {
        usize::MAX
    }
}

/// Makes `reservation` last exactly as long as the buffers of `batch`:
/// it is dropped (its bytes go back to DataFusion's pool) when the last
/// buffer of `batch`, including clones and slices made from it, is
/// dropped. A batch with no buffers drops it at once.
pub fn tie(batch: &RecordBatch, reservation: MemoryReservation) {
    let pool = LeasePool(Arc::new(Lease { reservation }));
    for column in batch.columns() {
        claim_data(&column.to_data(), &pool);
    }
}

/// Claims every buffer of `data` (values, offsets, validity, children).
fn claim_data(data: &ArrayData, pool: &LeasePool) {
    for buffer in data.buffers() {
        claim(buffer, pool);
    }
    if let Some(nulls) = data.nulls() {
        claim(nulls.buffer(), pool);
    }
    for child in data.child_data() {
        claim_data(child, pool);
    }
}

fn claim(buffer: &Buffer, pool: &LeasePool) {
    buffer.claim(pool);
}
