//! TiDB's design, for comparison: one mutex over per-column free lists.
//!
//! | file | what it holds |
//! |---|---|
//! | `mod.rs` | [`MutexAllocator`], the handle: its public API |
//! | `shared.rs` | what the handles and their chunks share: the lock, the free lists, alloc and return |

mod shared;

pub(crate) use shared::{recycle, MutexShared};

use super::{ChunkAllocator, Renew};
use crate::chunk::Chunk;
use crate::config::PoolConfig;
use crate::error::Error;
use crate::field::FieldType;
use crate::stats::Stats;
use crate::sync::Arc;
use std::fmt;

/// TiDB's `syncAllocator` over its `allocator`, restated: one
/// `std::sync::Mutex` around a free list of chunk shells and one free list
/// of columns per element size. Every alloc takes the lock once and pops a
/// shell and one column per field; every returned chunk takes it once and
/// pushes them back.
///
/// It applies the same [`PoolConfig`] rules to each column as
/// [`LockFreeAllocator`](crate::LockFreeAllocator) (limit per size class,
/// `avoid_reusing`, oversized variable-width columns, a cached column too
/// small for a request replaced), but keeps different things:
/// `max_free_chunks` bounds the empty chunk shells it keeps
/// ([`Stats::retained_shells`]), not whole chunks with their columns, and
/// every cached column is a loose one, at most `max_free_columns` per size
/// class ([`Stats::cached_columns`]). So it keeps fewer columns than the
/// lock-free allocator, which caches whole chunks on top of as many loose
/// columns; but it keeps loose columns of any number of element sizes,
/// where the lock-free allocator has classes for 15 fixed sizes. See
/// "What it keeps" on [`LockFreeAllocator`](crate::LockFreeAllocator) for
/// an example.
///
/// This is the baseline the benchmarks beat, and a simple reference model
/// for tests. Cheap to clone; clones share one cache.
///
/// ```
/// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
///
/// let pool = MutexAllocator::new();
/// let chk = pool.alloc(&[FieldType::F64], 16, 1024);
/// let buf = chk.column(0).data_ptr();
/// drop(chk);
/// assert_eq!(pool.alloc(&[FieldType::F64], 16, 1024).column(0).data_ptr(), buf);
/// ```
#[derive(Clone)]
pub struct MutexAllocator {
    shared: Arc<MutexShared>,
}

impl Default for MutexAllocator {
    fn default() -> Self {
        MutexAllocator::new()
    }
}

impl MutexAllocator {
    /// An allocator with TiDB's default limits.
    ///
    /// ```
    /// use chunkpool::{MutexAllocator, PoolConfig};
    ///
    /// assert_eq!(MutexAllocator::new().config(), PoolConfig::default());
    /// ```
    #[must_use]
    pub fn new() -> MutexAllocator {
        MutexAllocator::with_config(PoolConfig::default())
    }

    /// An allocator with the given limits.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator, PoolConfig};
    ///
    /// let alloc = MutexAllocator::with_config(PoolConfig::with_limits(64, 1)?);
    /// let a = alloc.alloc(&[FieldType::I64], 8, 8);
    /// let b = alloc.alloc(&[FieldType::I64], 8, 8);
    /// drop((a, b));
    /// let stats = alloc.stats();
    /// assert_eq!(stats.retained_columns, 1); // one loose column per size class
    /// assert_eq!(stats.discarded_over_limit, 1);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn with_config(config: PoolConfig) -> MutexAllocator {
        MutexAllocator {
            shared: Arc::new(MutexShared::new(config)),
        }
    }

    /// The limits this allocator was made with.
    ///
    /// ```
    /// # use chunkpool::{MutexAllocator, PoolConfig};
    /// let alloc = MutexAllocator::with_config(PoolConfig::no_reuse());
    /// assert_eq!(alloc.config(), PoolConfig::no_reuse());
    /// ```
    #[must_use]
    pub fn config(&self) -> PoolConfig {
        self.shared.config()
    }

    /// A snapshot of the counters and the current cache contents, taken
    /// under the lock (exact). This allocator keeps no whole chunk:
    /// `retained_chunks` is 0, and the cached chunk shells (column lists
    /// without columns, as TiDB keeps them) are `retained_shells`.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
    ///
    /// let alloc = MutexAllocator::new();
    /// drop(alloc.alloc(&[FieldType::I64, FieldType::F64], 8, 8));
    /// let stats = alloc.stats();
    /// assert_eq!((stats.retained_chunks, stats.retained_shells), (0, 1));
    /// // I64 and F64 share the 8-byte size class.
    /// assert_eq!(stats.cached_columns.get(FieldType::I64), 2);
    /// ```
    #[must_use = "stats() takes a snapshot; it resets no counter"]
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Drops everything cached. Chunks in use are untouched and return to
    /// the cache when dropped.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
    ///
    /// let alloc = MutexAllocator::new();
    /// drop(alloc.alloc(&[FieldType::UTF8], 8, 8));
    /// assert_eq!(alloc.stats().retained_columns, 1);
    /// alloc.trim();
    /// let stats = alloc.stats();
    /// assert_eq!((stats.retained_columns, stats.retained_shells), (0, 0));
    /// assert_eq!(stats.retained_bytes, 0);
    /// ```
    pub fn trim(&self) {
        self.shared.trim();
    }
}

impl ChunkAllocator for MutexAllocator {
    fn try_alloc(
        &self,
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error> {
        MutexShared::alloc(&self.shared, fields, capacity, max_chunk_size)
    }

    /// Nothing to do: chunks came back when they were dropped.
    fn reset(&self) {}

    fn check_reuse_alloc_size(&self) -> bool {
        self.shared.config().reuse_enabled()
    }
}

impl Renew for MutexAllocator {
    fn renew(&self) -> Self {
        MutexAllocator::with_config(self.config())
    }
}

impl fmt::Debug for MutexAllocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexAllocator")
            .field("config", &self.shared.config())
            .field("stats", &self.stats())
            .finish()
    }
}
