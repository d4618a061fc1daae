//! The allocator that never caches.

use super::{ChunkAllocator, Renew};
use crate::chunk::Chunk;
use crate::error::Error;
use crate::field::FieldType;

/// Always hands out new chunks that belong to no pool (TiDB's
/// `emptyAllocator`): `check_reuse_alloc_size` is false and `reset` does
/// nothing. What a session hands out when no allocator is set.
///
/// ```
/// use chunkpool::{ChunkAllocator, EmptyAllocator, FieldType};
///
/// let chk = EmptyAllocator.alloc(&[FieldType::I64], 8, 32);
/// assert!(!chk.is_pooled());
/// assert!(!EmptyAllocator.check_reuse_alloc_size());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmptyAllocator;

impl ChunkAllocator for EmptyAllocator {
    fn try_alloc(
        &self,
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error> {
        Chunk::try_new(fields, capacity, max_chunk_size)
    }

    fn reset(&self) {}

    fn check_reuse_alloc_size(&self) -> bool {
        false
    }
}

impl Renew for EmptyAllocator {
    fn renew(&self) -> Self {
        EmptyAllocator
    }
}
