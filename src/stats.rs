//! Allocation statistics: sharded counters and their snapshot.

use crate::sync::{thread_index, CachePadded, Ordering, StatCounter};
use std::fmt;

/// A snapshot of one allocator's counters.
///
/// Counts are cumulative since the allocator was made; `retained_*` are the
/// current cache contents. Counters are kept per thread shard and summed
/// here, so a snapshot taken while other threads work is a consistent-enough
/// estimate, not an atomic cut.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Chunks handed out.
    pub chunks_allocated: u64,
    /// Chunks handed out as a whole cached chunk (same layout, every column reused).
    pub chunks_from_cache: u64,
    /// Columns handed out from the cache (inside whole chunks or loose).
    pub columns_reused: u64,
    /// Columns newly allocated.
    pub columns_fresh: u64,
    /// Chunks given back (dropped).
    pub chunks_returned: u64,
    /// Columns freed because a count limit or the byte budget was reached.
    pub discarded_over_limit: u64,
    /// Variable-width columns freed for exceeding `max_cached_var_bytes`.
    pub discarded_oversize: u64,
    /// Columns freed because they were marked `avoid_reusing`.
    pub discarded_avoid_reuse: u64,
    /// Cached columns freed because they were too small for a request.
    pub discarded_too_small: u64,
    /// Whole chunks cached now.
    pub retained_chunks: usize,
    /// Loose columns cached now (all classes).
    pub retained_columns: usize,
    /// Bytes of column buffers cached now (whole chunks and loose columns).
    pub retained_bytes: usize,
}

impl Stats {
    /// Fraction of handed-out columns that came from the cache (0 when none
    /// were handed out).
    pub fn reuse_rate(&self) -> f64 {
        let total = self.columns_reused + self.columns_fresh;
        if total == 0 {
            0.0
        } else {
            self.columns_reused as f64 / total as f64
        }
    }
}

/// What the sharded counters count; indexes into a shard.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Counter {
    ChunksAllocated,
    ChunksFromCache,
    ColumnsReused,
    ColumnsFresh,
    ChunksReturned,
    DiscardedOverLimit,
    DiscardedOversize,
    DiscardedAvoidReuse,
    DiscardedTooSmall,
}

const N_COUNTERS: usize = 9;
const SHARDS: usize = 8;

/// Cumulative counters spread over cache-padded shards, one chosen per
/// thread, so threads counting at once rarely share a cache line.
pub(crate) struct Counters {
    shards: Box<[CachePadded<[StatCounter; N_COUNTERS]>]>,
}

impl Counters {
    pub(crate) fn new() -> Counters {
        Counters {
            shards: (0..SHARDS)
                .map(|_| CachePadded::new(std::array::from_fn(|_| StatCounter::new(0))))
                .collect(),
        }
    }

    /// Adds `n` to `counter` in the calling thread's shard.
    #[inline]
    pub(crate) fn add(&self, counter: Counter, n: u64) {
        if n != 0 {
            self.shards[thread_index() % SHARDS][counter as usize].fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Sums every shard into a [`Stats`] (retained fields left at zero).
    pub(crate) fn snapshot(&self) -> Stats {
        let sum = |c: Counter| -> u64 {
            self.shards
                .iter()
                .map(|s| s[c as usize].load(Ordering::Relaxed))
                .sum()
        };
        Stats {
            chunks_allocated: sum(Counter::ChunksAllocated),
            chunks_from_cache: sum(Counter::ChunksFromCache),
            columns_reused: sum(Counter::ColumnsReused),
            columns_fresh: sum(Counter::ColumnsFresh),
            chunks_returned: sum(Counter::ChunksReturned),
            discarded_over_limit: sum(Counter::DiscardedOverLimit),
            discarded_oversize: sum(Counter::DiscardedOversize),
            discarded_avoid_reuse: sum(Counter::DiscardedAvoidReuse),
            discarded_too_small: sum(Counter::DiscardedTooSmall),
            ..Stats::default()
        }
    }
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.snapshot(), f)
    }
}
