//! Allocation statistics: per-thread counter blocks and their snapshot.

use crate::field::FieldType;
use crate::sync::{CachePadded, Ordering, StatCounter, StatFlag};
use std::fmt;

/// A snapshot of one allocator's counters.
///
/// Counts are cumulative since the allocator was made; `retained_*`,
/// `cached_columns` and `reserved_chunks` are the current cache contents.
/// Each thread counts in a block of its own and a snapshot sums the blocks,
/// so a snapshot taken while other threads work is an estimate, not an
/// atomic cut; once those threads are joined it is exact.
///
/// Every field means the same for both pooling allocators,
/// [`LockFreeAllocator`](crate::LockFreeAllocator) and
/// [`MutexAllocator`](crate::MutexAllocator). They keep different things:
/// both keep loose columns per size class; only the lock-free allocator
/// keeps whole chunks (columns inside), and only the mutex allocator keeps
/// empty chunk shells (as TiDB does). A field about one of those is 0 for
/// the allocator that does not keep it.
///
/// ```
/// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, MutexAllocator};
///
/// let fields = [FieldType::I64, FieldType::VAR];
/// let (lf, mx) = (LockFreeAllocator::new(), MutexAllocator::new());
/// drop(lf.alloc(&fields, 8, 8));
/// drop(mx.alloc(&fields, 8, 8));
/// let (a, b) = (lf.stats(), mx.stats());
/// // The lock-free allocator kept the chunk whole, columns inside ...
/// assert_eq!((a.retained_chunks, a.retained_shells, a.retained_columns), (1, 0, 0));
/// // ... the mutex allocator an empty shell and two loose columns.
/// assert_eq!((b.retained_chunks, b.retained_shells, b.retained_columns), (0, 1, 2));
/// assert_eq!(b.cached_columns.get(FieldType::I64), 1);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Chunks handed out.
    pub chunks_allocated: u64,
    /// Chunks handed out with no newly made column: every column came from
    /// the cache (a chunk of no columns counts too). The lock-free
    /// allocator counts a whole cached chunk and a chunk built entirely
    /// from loose cached columns; the mutex allocator a chunk for which
    /// every field's column was reused. A cached column too small for the
    /// request, replaced by a new one, keeps its chunk out of this count.
    pub chunks_from_cache: u64,
    /// Columns handed out from the cache (inside whole chunks or loose).
    pub columns_reused: u64,
    /// Columns newly allocated.
    pub columns_fresh: u64,
    /// Chunks given back (dropped).
    pub chunks_returned: u64,
    /// Columns freed because a count limit or the byte budget was reached.
    pub discarded_over_limit: u64,
    /// Variable-width columns freed for holding more data capacity than
    /// the variable-width limit allows: above `max_cached_var_bytes` and
    /// above `max_cached_var_bytes_per_row` times the rows they hold (see
    /// [`PoolConfig`](crate::PoolConfig)).
    pub discarded_oversize: u64,
    /// Columns freed because they were marked `avoid_reusing`.
    pub discarded_avoid_reuse: u64,
    /// Cached columns freed because they were too small for a request.
    pub discarded_too_small: u64,
    /// Whole chunks cached now, with their columns inside (the lock-free
    /// allocator: shared depot and per-thread caches). Their columns are
    /// not in `retained_columns` nor in `cached_columns`. Always 0 for the
    /// mutex allocator, which keeps no whole chunk.
    pub retained_chunks: usize,
    /// Empty chunk shells cached now: column lists without columns, which
    /// the mutex allocator keeps (as TiDB does) up to `max_free_chunks`.
    /// Always 0 for the lock-free allocator, which keeps no shell.
    pub retained_shells: usize,
    /// Loose columns cached now (outside whole chunks), all size classes:
    /// the sum of `cached_columns`.
    pub retained_columns: usize,
    /// Loose columns cached now, per size class (outside whole chunks,
    /// like `retained_columns`).
    pub cached_columns: CachedColumns,
    /// Heap bytes cached now (whole chunks, shells and loose columns):
    /// column buffers and their records (column structs, column lists,
    /// queue slots), as the byte budget counts them. Summed from per-thread
    /// counts, so while other threads work it can lag or lead the truth by
    /// what they moved meanwhile.
    ///
    /// These are the bytes of the buffers held, not the resident memory of
    /// the process: what the global allocator keeps around them is not
    /// counted (freed and outgrown buffers it has not yet returned to the
    /// system, partly used pages). In S9's batches a process's peak RSS
    /// exceeded the best run without a pool by at most this at every shape
    /// under glibc and jemalloc, and at all but one under mimalloc, whose
    /// default keeps freed memory resident for a second (0.1 MiB more;
    /// `benches/results/README.md`).
    pub retained_bytes: usize,
    /// Slots reserved against `max_free_chunks` right now, exactly. For the
    /// lock-free allocator (one atomic counter): cached whole chunks plus
    /// slots that thread caches hold for their next returns; never above
    /// `max_free_chunks`, at any instant, and `retained_chunks` is at most
    /// this once threads are quiet. For the mutex allocator: the cached
    /// shells (`retained_shells`).
    pub reserved_chunks: usize,
    /// Under a byte budget: bytes reserved against it right now, exactly
    /// (one atomic counter): cached buffers plus budget that thread caches
    /// hold for their next returns. Never above the budget, at any instant.
    /// 0 without a budget.
    pub budget_reserved: usize,
    /// Chunks of this allocator exported to Arrow (`Chunk::into_record_batch`)
    /// whose arrays are still alive somewhere: each comes home when the
    /// last array, buffer or slice made from it is dropped.
    #[cfg(feature = "arrow")]
    pub exported_chunks: usize,
}

/// Loose columns cached now, per size class: what TiDB's tests read as
/// `pool[size].Len()`.
///
/// A size class is a [`FieldType`]'s physical shape, whatever its logical
/// type: one class for variable width, one per element size, so
/// [`FieldType::I64`] and [`FieldType::F64`] are in the same 8-byte class
/// (a column cached as one is handed out, retyped, as the other). A class
/// is named by the raw type of its size ([`FieldType::fixed`]`(n)`, or
/// [`FieldType::BINARY`] for variable width). Columns inside cached
/// whole chunks (the lock-free allocator's) are not counted here.
///
/// ```
/// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig};
///
/// // Whole-chunk caching off: a returned chunk is split into loose columns.
/// let cfg = PoolConfig::builder().max_free_chunks(0).build()?;
/// let pool = LockFreeAllocator::with_config(cfg);
/// let fields = [FieldType::I64, FieldType::I64, FieldType::VAR, FieldType::DECIMAL];
/// drop(pool.alloc(&fields, 8, 8));
/// let cached = pool.stats().cached_columns;
/// assert_eq!(cached.get(FieldType::I64), 2);
/// assert_eq!(cached.get(FieldType::F64), 2); // the same 8-byte class
/// assert_eq!(cached.get(FieldType::VAR), 1);
/// assert_eq!(cached.get(FieldType::DECIMAL), 1);
/// assert_eq!(cached.get(FieldType::UTF8), 1); // variable width
/// assert_eq!(cached.get(FieldType::F32), 0);
/// let classes: Vec<_> = cached.iter().collect();
/// assert_eq!(
///     classes,
///     [
///         (FieldType::BINARY, 1),
///         (FieldType::fixed(8)?, 2),
///         (FieldType::fixed(40)?, 1),
///     ]
/// );
/// assert_eq!(cached.total(), 4);
/// # Ok::<(), chunkpool::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CachedColumns {
    /// `(class, count)`, counts above 0, ordered by size code (variable
    /// width first), one entry per class.
    classes: Vec<(FieldType, usize)>,
}

impl CachedColumns {
    /// Built from per-class counts in any order; zero counts are left out
    /// and repeated classes added up.
    pub(crate) fn from_counts(counts: impl IntoIterator<Item = (FieldType, usize)>) -> Self {
        let mut all: Vec<_> = counts
            .into_iter()
            .filter(|&(_, n)| n > 0)
            .map(|(f, n)| (FieldType::from_code(f.code()), n))
            .collect();
        all.sort_unstable_by_key(|&(f, _)| f.code());
        let mut classes: Vec<(FieldType, usize)> = Vec::with_capacity(all.len());
        for (f, n) in all {
            match classes.last_mut() {
                Some((g, m)) if g.code() == f.code() => *m += n,
                _ => classes.push((f, n)),
            }
        }
        CachedColumns { classes }
    }

    /// Loose columns cached in the size class of `field`: of any logical
    /// type of its physical size.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
    ///
    /// let alloc = MutexAllocator::new();
    /// drop(alloc.alloc(&[FieldType::U32], 8, 8));
    /// let cached = alloc.stats().cached_columns;
    /// assert_eq!(cached.get(FieldType::U32), 1);
    /// assert_eq!(cached.get(FieldType::F32), 1); // the same 4-byte class
    /// assert_eq!(cached.get(FieldType::U64), 0);
    /// ```
    #[must_use]
    pub fn get(&self, field: FieldType) -> usize {
        self.classes
            .iter()
            .find(|&&(f, _)| f.code() == field.code())
            .map_or(0, |&(_, n)| n)
    }

    /// Each size class with columns cached and how many: variable width
    /// first, then by element size. A class is named by the raw type of its
    /// size: [`FieldType::BINARY`] for variable width,
    /// [`FieldType::fixed`]`(n)` for `n` bytes.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
    ///
    /// let alloc = MutexAllocator::new();
    /// drop(alloc.alloc(&[FieldType::I16, FieldType::UTF8, FieldType::U16], 8, 8));
    /// let classes: Vec<_> = alloc.stats().cached_columns.iter().collect();
    /// assert_eq!(classes, [(FieldType::BINARY, 1), (FieldType::fixed(2)?, 2)]);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (FieldType, usize)> + '_ {
        self.classes.iter().copied()
    }

    /// Loose columns cached in all classes: the same as
    /// [`Stats::retained_columns`].
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
    ///
    /// let alloc = MutexAllocator::new();
    /// drop(alloc.alloc(&[FieldType::I8, FieldType::DECIMAL, FieldType::BINARY], 8, 8));
    /// let stats = alloc.stats();
    /// assert_eq!(stats.cached_columns.total(), 3);
    /// assert_eq!(stats.cached_columns.total(), stats.retained_columns);
    /// ```
    #[must_use]
    pub fn total(&self) -> usize {
        self.classes.iter().map(|&(_, n)| n).sum()
    }
}

impl fmt::Debug for CachedColumns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.classes.iter().copied()).finish()
    }
}

impl Stats {
    /// Fraction of handed-out columns that came from the cache (0 when none
    /// were handed out).
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// assert_eq!(alloc.stats().reuse_rate(), 0.0);
    /// drop(alloc.alloc(&[FieldType::I64], 8, 8)); // fresh
    /// drop(alloc.alloc(&[FieldType::I64], 8, 8)); // reused
    /// assert_eq!(alloc.stats().reuse_rate(), 0.5);
    /// ```
    #[must_use]
    pub fn reuse_rate(&self) -> f64 {
        let total = self.columns_reused + self.columns_fresh;
        if total == 0 {
            0.0
        } else {
            self.columns_reused as f64 / total as f64
        }
    }
}

/// A summary in one paragraph, for logs: what was handed out and how much
/// of it came from the cache, what came back and what was freed (and why),
/// and what is cached now.
///
/// ```
/// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator};
///
/// let alloc = LockFreeAllocator::new();
/// for _ in 0..4 {
///     drop(alloc.alloc(&[FieldType::I64, FieldType::UTF8], 8, 8));
/// }
/// let text = alloc.stats().to_string();
/// assert!(text.starts_with("4 chunks handed out, 3 from the cache (75.0% of columns reused)"));
/// assert!(text.contains("4 returned"));
/// assert!(text.contains("cached now: 1 whole chunks"));
/// ```
impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} chunks handed out, {} from the cache ({:.1}% of columns reused); \
             {} returned; freed: {} over a limit, {} oversized, {} avoid_reusing, {} too small; \
             cached now: {} whole chunks, {} shells, {} loose columns, {} bytes",
            self.chunks_allocated,
            self.chunks_from_cache,
            self.reuse_rate() * 100.0,
            self.chunks_returned,
            self.discarded_over_limit,
            self.discarded_oversize,
            self.discarded_avoid_reuse,
            self.discarded_too_small,
            self.retained_chunks,
            self.retained_shells,
            self.retained_columns,
            self.retained_bytes,
        )
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
    /// Of those, chunks with no new column (a whole cached chunk, or one
    /// built from loose cached columns only); a cached chunk whose small
    /// columns were replaced is not one.
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

/// Builds a [`Stats`] from one value per counter (`retained_shells`,
/// `retained_columns`, `cached_columns` and the reservations left empty;
/// `retained_chunks` and `retained_bytes` hold what magazines hold).
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
        columns_reused: get(ColumnsReused) + get(MagazineOutColumns),
        columns_fresh: get(ColumnsFresh),
        chunks_returned: get(ChunksReturned) + get(MagazineIn),
        discarded_over_limit: get(DiscardedOverLimit),
        discarded_oversize: get(DiscardedOversize),
        discarded_avoid_reuse: get(DiscardedAvoidReuse),
        discarded_too_small: get(DiscardedTooSmall),
        // A snapshot taken while threads work reads the flows at slightly
        // different instants, so the difference can dip below zero.
        retained_chunks: (held as i64).max(0) as usize,
        retained_shells: 0,
        retained_columns: 0,
        cached_columns: CachedColumns::default(),
        retained_bytes: (held_bytes as i64).max(0) as usize,
        reserved_chunks: 0,
        budget_reserved: 0,
        #[cfg(feature = "arrow")]
        exported_chunks: 0,
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
