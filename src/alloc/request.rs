//! [`ChunkRequest`]: an allocation whose numbers are named.

use crate::field::FieldType;

/// An allocation request that names its numbers, for
/// [`ChunkAllocator::alloc_with`](crate::ChunkAllocator::alloc_with): the
/// fields, the rows to make room for now (`capacity`) and the rows a full
/// chunk holds (`max_chunk_size`, the chunk's `required_rows`).
///
/// [`ChunkAllocator::alloc`](crate::ChunkAllocator::alloc) keeps TiDB's
/// positional `Alloc(fields, capacity, maxChunkSize)`; a request reads the
/// same call without counting arguments, and [`ChunkRequest::new`] covers
/// the common case where both numbers are the batch size.
///
/// ```
/// use chunkpool::{ChunkAllocator, ChunkRequest, FieldType, LockFreeAllocator};
///
/// let alloc = LockFreeAllocator::new();
/// let fields = [FieldType::I64, FieldType::UTF8];
///
/// // One number: room for a whole 1024-row batch.
/// let batch = alloc.alloc_with(ChunkRequest::new(&fields, 1024));
/// assert_eq!((batch.capacity(), batch.required_rows()), (1024, 1024));
///
/// // TiDB's pattern: start with room for 32 rows, grow up to 1024.
/// let small = alloc.alloc_with(ChunkRequest::new(&fields, 1024).capacity(32));
/// assert_eq!((small.capacity(), small.required_rows()), (32, 1024));
///
/// // Or every number spelled out.
/// let req = ChunkRequest { fields: &fields, capacity: 32, max_chunk_size: 1024 };
/// assert_eq!(req, ChunkRequest::new(&fields, 1024).capacity(32));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChunkRequest<'a> {
    /// The fields, one column each.
    pub fields: &'a [FieldType],
    /// The rows to make room for now.
    pub capacity: usize,
    /// The rows a full chunk holds (its `required_rows`).
    pub max_chunk_size: usize,
}

impl<'a> ChunkRequest<'a> {
    /// A chunk of `fields` with room for `rows` rows, full at `rows` rows
    /// (capacity and `max_chunk_size` both `rows`).
    ///
    /// ```
    /// # use chunkpool::{ChunkRequest, FieldType};
    /// let req = ChunkRequest::new(&[FieldType::F64], 256);
    /// assert_eq!((req.capacity, req.max_chunk_size), (256, 256));
    /// ```
    #[must_use]
    pub const fn new(fields: &'a [FieldType], rows: usize) -> ChunkRequest<'a> {
        ChunkRequest {
            fields,
            capacity: rows,
            max_chunk_size: rows,
        }
    }

    /// Room for `rows` rows up front; the chunk's capacity is
    /// `min(rows, max_chunk_size)`, as TiDB's `Alloc` makes it.
    ///
    /// ```
    /// # use chunkpool::{ChunkRequest, FieldType};
    /// let req = ChunkRequest::new(&[FieldType::F64], 1024).capacity(32);
    /// assert_eq!(req.capacity, 32);
    /// ```
    #[must_use]
    pub const fn capacity(self, rows: usize) -> ChunkRequest<'a> {
        ChunkRequest {
            capacity: rows,
            ..self
        }
    }

    /// The rows a full chunk holds (its `required_rows`, TiDB's
    /// `maxChunkSize`).
    ///
    /// ```
    /// # use chunkpool::{ChunkRequest, FieldType};
    /// let req = ChunkRequest::new(&[FieldType::F64], 32).max_chunk_size(1024);
    /// assert_eq!((req.capacity, req.max_chunk_size), (32, 1024));
    /// ```
    #[must_use]
    pub const fn max_chunk_size(self, rows: usize) -> ChunkRequest<'a> {
        ChunkRequest {
            max_chunk_size: rows,
            ..self
        }
    }
}
