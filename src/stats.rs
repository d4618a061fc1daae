//! Allocation statistics: per-thread counter blocks and their snapshot.

use crate::sync::{CachePadded, Ordering, StatCounter, StatFlag};
use std::fmt;

/// A snapshot of one allocator's counters.
///
/// Counts are cumulative since the allocator was made; `retained_*` are the
/// current cache contents. Each thread counts in a block of its own and a
/// snapshot sums the blocks, so a snapshot taken while other threads work is
/// an estimate, not an atomic cut; once those threads are joined it is exact.
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
    /// Whole chunks cached now (shared cache and per-thread caches).
    pub retained_chunks: usize,
    /// Loose columns cached now (all classes).
    pub retained_columns: usize,
    /// Heap bytes cached now (whole chunks and loose columns): column
    /// buffers and their records (column structs, column lists, queue
    /// slots), as the byte budget counts them. Summed from per-thread
    /// counts, so while other threads work it can lag or lead the truth by
    /// what they moved meanwhile.
    pub retained_bytes: usize,
    /// Whole-chunk slots reserved against `max_free_chunks` right now,
    /// exactly (one atomic counter): cached whole chunks plus slots that
    /// thread caches hold for their next returns. Never above
    /// `max_free_chunks`, at any instant; `retained_chunks` is at most this
    /// once threads are quiet.
    pub reserved_chunks: usize,
    /// Under a byte budget: bytes reserved against it right now, exactly
    /// (one atomic counter): cached buffers plus budget that thread caches
    /// hold for their next returns. Never above the budget, at any instant.
    /// 0 without a budget.
    pub budget_reserved: usize,
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

/// What the counters count; indexes into a block.
///
/// The thread caches count flows in and out of their magazines rather than
/// the [`Stats`] fields themselves, so the steady-state cycle updates five
/// counters (three out, two in) instead of eight; [`stats_from`] turns
/// flows into fields.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Counter {
    /// Chunks handed out other than from a magazine.
    ChunksAllocated,
    /// Of those, whole cached chunks.
    ChunksFromCache,
    /// Columns handed out from the cache other than inside a magazine's chunk.
    ColumnsReused,
    ColumnsFresh,
    /// Chunks returned other than into a magazine.
    ChunksReturned,
    DiscardedOverLimit,
    DiscardedOversize,
    DiscardedAvoidReuse,
    DiscardedTooSmall,
    /// Returned chunks put into a magazine, and their bytes.
    MagazineIn,
    MagazineInBytes,
    /// Chunks moved from the depot into a magazine, and their bytes.
    MagazineRefill,
    MagazineRefillBytes,
    /// Chunks handed out of a magazine, their columns and their bytes.
    MagazineOut,
    MagazineOutColumns,
    MagazineOutBytes,
    /// Chunks moved out of a magazine to the depot or freed, and their bytes.
    MagazineFlush,
    MagazineFlushBytes,
}

const N_COUNTERS: usize = 18;

impl From<crate::column::Refusal> for Counter {
    fn from(r: crate::column::Refusal) -> Counter {
        match r {
            crate::column::Refusal::AvoidReuse => Counter::DiscardedAvoidReuse,
            crate::column::Refusal::Oversize => Counter::DiscardedOversize,
        }
    }
}

/// Blocks of one allocator, the shared one included: a power of two, so an
/// index reduced modulo it needs no bounds check. Threads beyond
/// `BLOCKS - 1` count in the shared block.
const BLOCKS: usize = 64;

/// One block of counters.
pub(crate) struct Block {
    claimed: StatFlag,
    /// The shared block: updated with atomic adds.
    shared: bool,
    values: [StatCounter; N_COUNTERS],
}

impl Block {
    fn new(shared: bool) -> Block {
        Block {
            claimed: StatFlag::new(false),
            shared,
            values: std::array::from_fn(|_| StatCounter::new(0)),
        }
    }

    /// Adds `n` to `counter`; the caller owns this block or it is the shared one.
    #[inline]
    pub(crate) fn add(&self, counter: Counter, n: u64) {
        let c = &self.values[counter as usize];
        if self.shared {
            c.fetch_add(n, Ordering::Relaxed);
        } else {
            // Only the owning thread writes this block: a load and a store
            // cannot lose an update.
            c.store(c.load(Ordering::Relaxed).wrapping_add(n), Ordering::Relaxed);
        }
    }

    /// Subtracts `n` from a gauge.
    #[inline]
    pub(crate) fn sub(&self, counter: Counter, n: u64) {
        self.add(counter, n.wrapping_neg());
    }
}

/// Counters of one allocator: block 0 is shared (atomic adds), the others
/// each belong to at most one thread at a time, which updates them with
/// plain loads and stores: counting on the hot path costs no atomic
/// read-modify-write and no shared cache line.
pub(crate) struct Counters {
    blocks: Box<[CachePadded<Block>; BLOCKS]>,
}

/// Index of a block in [`Counters`]; [`BlockId::SHARED`] for the shared one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BlockId(usize);

impl BlockId {
    pub(crate) const SHARED: BlockId = BlockId(0);
}

impl Counters {
    pub(crate) fn new() -> Counters {
        Counters {
            blocks: Box::new(std::array::from_fn(|i| {
                CachePadded::new(Block::new(i == 0))
            })),
        }
    }

    /// Claims a block for the calling thread's exclusive use, or the shared
    /// block when all are taken.
    pub(crate) fn claim(&self) -> BlockId {
        for (i, b) in self.blocks.iter().enumerate().skip(1) {
            if !b.claimed.load(Ordering::Relaxed)
                && b.claimed
                    .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return BlockId(i);
            }
        }
        BlockId::SHARED
    }

    /// Gives a claimed block back; its counts stay and keep being summed.
    pub(crate) fn release(&self, id: BlockId) {
        if id != BlockId::SHARED {
            self.block(id).claimed.store(false, Ordering::Release);
        }
    }

    /// Block `id`, which the caller owns (or the shared one).
    #[inline]
    pub(crate) fn block(&self, id: BlockId) -> &Block {
        // `id` is below BLOCKS by construction; the modulo says so to the
        // compiler.
        &self.blocks[id.0 % BLOCKS]
    }

    fn sum(&self, c: Counter) -> u64 {
        self.blocks
            .iter()
            .map(|b| b.values[c as usize].load(Ordering::Relaxed))
            .fold(0u64, u64::wrapping_add)
    }

    /// Sums every block into a [`Stats`]; `retained_chunks` and
    /// `retained_bytes` hold only what thread caches hold.
    pub(crate) fn snapshot(&self) -> Stats {
        stats_from(|c| self.sum(c))
    }
}

/// Builds a [`Stats`] from one value per counter (`retained_columns` and
/// the reservations left 0; `retained_*` hold what magazines hold).
fn stats_from(get: impl Fn(Counter) -> u64) -> Stats {
    use Counter::*;
    let out = get(MagazineOut);
    let held = (get(MagazineIn) + get(MagazineRefill))
        .wrapping_sub(out)
        .wrapping_sub(get(MagazineFlush));
    let held_bytes = (get(MagazineInBytes) + get(MagazineRefillBytes))
        .wrapping_sub(get(MagazineOutBytes))
        .wrapping_sub(get(MagazineFlushBytes));
    Stats {
        chunks_allocated: get(ChunksAllocated) + out,
        chunks_from_cache: get(ChunksFromCache) + out,
        columns_reused: get(ColumnsReused).wrapping_add(get(MagazineOutColumns)),
        columns_fresh: get(ColumnsFresh),
        chunks_returned: get(ChunksReturned) + get(MagazineIn),
        discarded_over_limit: get(DiscardedOverLimit),
        discarded_oversize: get(DiscardedOversize),
        discarded_avoid_reuse: get(DiscardedAvoidReuse),
        discarded_too_small: get(DiscardedTooSmall),
        // A snapshot taken while threads work reads the flows at slightly
        // different instants, so the difference can dip below zero.
        retained_chunks: (held as i64).max(0) as usize,
        retained_columns: 0,
        retained_bytes: (held_bytes as i64).max(0) as usize,
        reserved_chunks: 0,
        budget_reserved: 0,
    }
}

/// Plain counters for code that counts while holding a lock anyway.
#[derive(Debug, Default)]
pub(crate) struct Tally([u64; N_COUNTERS]);

impl Tally {
    pub(crate) fn add(&mut self, counter: Counter, n: u64) {
        self.0[counter as usize] += n;
    }

    pub(crate) fn snapshot(&self) -> Stats {
        stats_from(|c| self.0[c as usize])
    }
}

impl fmt::Debug for Counters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.snapshot(), f)
    }
}
