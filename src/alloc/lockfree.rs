//! The product: an allocator with no lock on the alloc or return path.

use super::depot::{Accounting, Body, Depot};
use super::layout::{Fit, LayoutKey};
use super::local::{self, Entry, Held};
use super::{ChunkAllocator, Home, Renew};
use crate::chunk::{check_alloc, Chunk, Slot};
use crate::column::Column;
use crate::config::PoolConfig;
use crate::error::Error;
use crate::field::FieldType;
use crate::stats::{BlockId, Counter, Counters, Stats};
use crate::sync::{epoch, Arc, AtomicUsize, CachePadded, Ordering, StatGauge};
use std::fmt;

/// A chunk allocator with no lock on its alloc or return path.
///
/// Chunks return to it when dropped, from any thread. A returned chunk is
/// cached whole: first in a small per-thread cache of the dropping thread,
/// then, in batches, in a shared depot queued under its layout; the next
/// request for the same field types gets every column back at once. A
/// chunk that cannot be cached whole (limit reached, a column marked
/// `avoid_reusing` or oversized, a column still shared) is split into loose
/// columns queued per element size; requests for a layout with no whole
/// chunk cached are served column by column. A cached column too small for
/// a request is freed and a new one made.
///
/// The handle is cheap to clone; clones share one cache. The cache lives
/// until the last handle and the last chunk from it are dropped; dropping
/// the last handle frees the shared depot at once, and per-thread caches let
/// go of their chunks when their thread next uses an allocator or exits.
///
/// ```
/// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator};
///
/// let pool = LockFreeAllocator::new();
/// let fields = [FieldType::I64, FieldType::VAR];
/// let mut chk = pool.alloc(&fields, 32, 1024);
/// chk.column_mut(0).append_i64(1);
/// let buffer = chk.column(0).data_ptr();
/// drop(chk); // back to the pool
///
/// let again = pool.alloc(&fields, 32, 1024);
/// assert_eq!(again.column(0).data_ptr(), buffer); // same buffer, reset
/// assert_eq!(again.num_rows(), 0);
/// assert_eq!(pool.stats().chunks_from_cache, 1);
/// ```
pub struct LockFreeAllocator {
    shared: Arc<Shared>,
}

/// What every handle and every chunk out of one allocator share.
pub(crate) struct Shared {
    pub(super) acct: Arc<Accounting>,
    /// The current depot; replaced whole by `trim`, the old one reclaimed
    /// through the epoch.
    depot: epoch::Atomic<Depot>,
    pub(super) stats: Counters,
    control: CachePadded<Control>,
}

/// Read-mostly state every operation glances at.
struct Control {
    /// Live `LockFreeAllocator` handles; 0 means the allocator is abandoned.
    handles: AtomicUsize,
    /// Bumped by `trim`; a per-thread cache that sees it change drops its chunks.
    generation: AtomicUsize,
    /// Threads with a cache entry for this allocator. Only sizes each
    /// thread's fair share of the cache (a heuristic: no bound depends on
    /// it), so a plain std atomic even under loom.
    threads: StatGauge,
}

impl Default for LockFreeAllocator {
    fn default() -> Self {
        LockFreeAllocator::new()
    }
}

impl Clone for LockFreeAllocator {
    fn clone(&self) -> Self {
        self.shared.control.handles.fetch_add(1, Ordering::Relaxed);
        LockFreeAllocator {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for LockFreeAllocator {
    fn drop(&mut self) {
        if self.shared.control.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Abandoned: nobody can allocate from it again, so free the
            // cache now rather than when the last chunk comes back.
            self.trim();
            local::with_cache(|cache| {
                if let Some(cache) = cache {
                    cache.forget(&self.shared);
                }
            });
        }
    }
}

impl LockFreeAllocator {
    /// An allocator with TiDB's default limits.
    pub fn new() -> LockFreeAllocator {
        LockFreeAllocator::with_config(PoolConfig::default())
    }

    /// An allocator with the given limits.
    pub fn with_config(config: PoolConfig) -> LockFreeAllocator {
        let acct = Arc::new(Accounting::new(config));
        let depot = epoch::Atomic::new(Depot::new(Arc::clone(&acct)));
        LockFreeAllocator {
            shared: Arc::new(Shared {
                acct,
                depot,
                stats: Counters::new(),
                control: CachePadded::new(Control {
                    handles: AtomicUsize::new(1),
                    generation: AtomicUsize::new(0),
                    threads: StatGauge::new(0),
                }),
            }),
        }
    }

    /// The limits this allocator was made with.
    pub fn config(&self) -> PoolConfig {
        *self.shared.acct.config()
    }

    /// A snapshot of the counters and the current cache contents (shared
    /// depot and per-thread caches).
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Drops everything cached. The shared depot is swapped for an empty one
    /// in one atomic step and freed once no thread can still be inside it
    /// (crossbeam-epoch); until then its buffers still count against the
    /// limits. The calling thread's cache is emptied at once; other threads'
    /// caches empty themselves the next time they touch this allocator.
    /// Chunks in use are untouched and return to the new cache when dropped.
    pub fn trim(&self) {
        let s = &*self.shared;
        s.control.generation.fetch_add(1, Ordering::Release);
        local::with_cache(|cache| {
            if let Some(cache) = cache {
                cache.refresh(&self.shared);
            }
        });
        let fresh = epoch::Owned::new(Depot::new(Arc::clone(&s.acct)));
        let guard = epoch::pin();
        let old = s.depot.swap(fresh, Ordering::AcqRel, &guard);
        // The swap unlinked `old` (only this swap did, so it is destroyed
        // once), and no thread can load it any more.
        // SAFETY: threads that loaded it earlier are pinned, and the epoch
        // runs the destructor only after all of them have unpinned.
        unsafe { guard.defer_destroy(old) };
        guard.flush();
    }

    /// True when both handles share one cache.
    pub fn same_pool(&self, other: &LockFreeAllocator) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

/// Where a step counts: the calling thread's cache entry, or the shared
/// path when the thread has none.
type Sink<'a> = Option<&'a mut Entry>;

fn block_of(sink: &Sink<'_>) -> BlockId {
    sink.as_ref().map_or(BlockId::SHARED, |e| e.block())
}

impl Shared {
    fn stats(&self) -> Stats {
        let (chunks, columns, bytes) = self.acct.retained();
        let held = self.stats.snapshot();
        Stats {
            retained_chunks: held.retained_chunks + chunks,
            retained_columns: columns,
            retained_bytes: held.retained_bytes + bytes,
            reserved_chunks: self.acct.reserved_chunks(),
            budget_reserved: self.acct.budget_reserved(),
            ..held
        }
    }

    fn config(&self) -> &PoolConfig {
        self.acct.config()
    }

    /// The current depot, kept alive by `guard`.
    pub(super) fn depot<'g>(&self, guard: &'g epoch::Guard) -> &'g Depot {
        // The pointer is set at construction, replaced only by a swap with a
        // new depot, and nulled only in `drop`, which no caller can overlap.
        // SAFETY: so it is never null here, and `guard` keeps it alive for 'g.
        unsafe { self.depot.load(Ordering::Acquire, guard).deref() }
    }

    pub(super) fn generation(&self) -> usize {
        self.control.generation.load(Ordering::Acquire)
    }

    /// Threads caching for this allocator now.
    #[inline]
    pub(super) fn threads(&self) -> usize {
        self.control.threads.load(Ordering::Relaxed)
    }

    /// A thread starts (`+1`) or stops (`-1`) caching for this allocator;
    /// returns the new count.
    pub(super) fn thread_joined(&self, joined: bool) -> usize {
        if joined {
            self.control.threads.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.control.threads.fetch_sub(1, Ordering::Relaxed) - 1
        }
    }

    /// True once every handle is gone: nobody can allocate from it again.
    pub(super) fn abandoned(&self) -> bool {
        self.control.handles.load(Ordering::Acquire) == 0
    }

    fn count(&self, sink: &Sink<'_>, counter: Counter, n: u64) {
        self.stats.block(block_of(sink)).add(counter, n);
    }

    fn alloc(
        this: &Arc<Shared>,
        fields: &[FieldType],
        capacity: usize,
        max: usize,
    ) -> Result<Chunk, Error> {
        let cap = check_alloc(fields, capacity, max)?;
        if this.config().max_free_chunks() > 0 {
            let key = LayoutKey::of(fields.iter().copied());
            if let Some(held) = local::take_newest(this, key, fields, cap) {
                let fit = Fit {
                    key,
                    rows: held.body.rows,
                };
                let home = Some(Home::LockFree(held.home, Some(fit)));
                return Ok(Chunk::from_parts(held.body.columns, cap, max, home));
            }
        }
        Ok(local::with_cache(|cache| {
            let mut sink = cache.map(|c| c.entry(this));
            Shared::alloc_with(this, &mut sink, fields, cap, max)
        }))
    }

    fn alloc_with(
        this: &Arc<Shared>,
        sink: &mut Sink<'_>,
        fields: &[FieldType],
        cap: usize,
        max: usize,
    ) -> Chunk {
        let block = this.stats.block(block_of(sink));
        block.add(Counter::ChunksAllocated, 1);
        if this.config().max_free_chunks() > 0 {
            let key = LayoutKey::of(fields.iter().copied());
            if let Some((body, home)) = Shared::take_body(this, sink, key, fields, cap) {
                let mut columns = body.columns;
                let mut fresh = 0;
                let mut rows = body.rows;
                if body.rows < cap {
                    for (slot, &f) in columns.iter_mut().zip(fields) {
                        if !slot.get().fits(cap) {
                            *slot = Slot::Own(Column::fresh(f, cap));
                            fresh += 1;
                        }
                    }
                    // Every column holds `cap` rows now, some more.
                    rows = cap;
                }
                block.add(Counter::ChunksFromCache, 1);
                block.add(Counter::ColumnsReused, fields.len() as u64 - fresh);
                if fresh > 0 {
                    block.add(Counter::DiscardedTooSmall, fresh);
                    block.add(Counter::ColumnsFresh, fresh);
                }
                let fit = Some(Fit { key, rows });
                return Chunk::from_parts(columns, cap, max, Some(Home::LockFree(home, fit)));
            }
        }
        let guard = epoch::pin();
        let depot = this.depot(&guard);
        let columns = fields
            .iter()
            .map(|&f| Slot::Own(this.column_for(sink, depot, f, cap)))
            .collect();
        drop(guard);
        // Loose or new columns: the layout is worked out when it returns.
        let home = Home::LockFree(Arc::clone(this), None);
        Chunk::from_parts(columns, cap, max, Some(home))
    }

    /// A cached whole chunk of `fields` and the reference to `self` it
    /// carries: from the thread's cache, or straight from the depot.
    fn take_body(
        this: &Arc<Shared>,
        sink: &mut Sink<'_>,
        key: LayoutKey,
        fields: &[FieldType],
        rows: usize,
    ) -> Option<(Body, Arc<Shared>)> {
        match sink {
            Some(entry) => entry.take(key, fields, rows),
            None => {
                let guard = epoch::pin();
                let body = this.depot(&guard).pop_body(key, fields)?;
                drop(guard);
                this.acct.release_chunks(1);
                this.acct.release_bytes(body.bytes);
                Some((body, Arc::clone(this)))
            }
        }
    }

    /// A column for `plan`: a cached one of its class if one fits, else new.
    fn column_for(&self, sink: &Sink<'_>, depot: &Depot, field: FieldType, rows: usize) -> Column {
        if self.config().max_free_columns() > 0 {
            if let Some(class) = self.acct.class_of(field) {
                if let Some(col) = depot.pop_column(class) {
                    if col.fits(rows) {
                        self.count(sink, Counter::ColumnsReused, 1);
                        return col;
                    }
                    self.count(sink, Counter::DiscardedTooSmall, 1);
                }
            }
        }
        self.count(sink, Counter::ColumnsFresh, 1);
        Column::fresh(field, rows)
    }

    /// Takes back the columns of a dropped chunk, and the chunk's reference
    /// to `self` (which stays with the chunk if it is cached whole).
    pub(crate) fn recycle(this: Arc<Shared>, columns: Vec<Slot>, shared: bool, fit: Option<Fit>) {
        if this.abandoned() {
            // Nobody can allocate from it again: just free the buffers.
            return;
        }
        let (mut this, mut columns) = (this, columns);
        if !shared && this.config().max_free_chunks() > 0 {
            let max_var = this.config().max_cached_var_bytes();
            let prepared = match fit {
                Some(fit) => Body::prepare_unchanged(columns, fit, max_var),
                None => Body::prepare(columns, max_var),
            };
            match prepared {
                Ok(body) => match local::put_newest(Held { body, home: this }) {
                    Ok(()) => return,
                    // The general path below prepares the columns again:
                    // resetting twice is harmless and this path is rare.
                    Err(held) => (this, columns) = (held.home, held.body.columns),
                },
                Err(refused) => columns = refused,
            }
        }
        local::with_cache(|cache| {
            let mut sink = cache.map(|c| c.entry(&this));
            Shared::recycle_with(this, &mut sink, columns, shared)
        })
    }

    fn recycle_with(
        mut this: Arc<Shared>,
        sink: &mut Sink<'_>,
        mut columns: Vec<Slot>,
        shared: bool,
    ) {
        this.count(sink, Counter::ChunksReturned, 1);
        let layout_len = columns.len();
        if shared {
            // Keep only the columns this chunk was the last user of; a column
            // still shared elsewhere is recycled by its last user.
            columns.retain_mut(|slot| {
                let taken = std::mem::replace(slot, Slot::Own(Column::EMPTY));
                match taken.into_column() {
                    Some(col) => *slot = Slot::Own(col),
                    None => return false,
                }
                true
            });
        }
        if this.config().max_free_chunks() > 0 && columns.len() == layout_len {
            match Body::prepare(columns, this.config().max_cached_var_bytes()) {
                Ok(body) => {
                    // The chunk's reference to `this` moves into the cache with it.
                    let (body, home) = match sink {
                        Some(entry) => match entry.put(body, this) {
                            Ok(()) => return,
                            Err(rejected) => rejected,
                        },
                        None => match this.push_shared(body) {
                            None => return,
                            Some(body) => (body, this),
                        },
                    };
                    this = home;
                    columns = body.columns;
                }
                Err(refused) => columns = refused,
            }
        }
        let guard = epoch::pin();
        let depot = this.depot(&guard);
        for slot in columns {
            if let Some(col) = slot.into_column() {
                this.recycle_loose(sink, depot, col);
            }
        }
    }

    /// Caches a whole chunk in the depot directly, reserving its credit.
    fn push_shared(&self, body: Body) -> Option<Body> {
        if self.acct.reserve_chunks(1) == 0 {
            return Some(body);
        }
        if self.acct.reserve_bytes(body.bytes, body.bytes) < body.bytes {
            self.acct.release_chunks(1);
            return Some(body);
        }
        let guard = epoch::pin();
        let rejected = self.depot(&guard).push_body(body).err();
        if let Some(body) = &rejected {
            self.acct.release_chunks(1);
            self.acct.release_bytes(body.bytes);
        }
        rejected
    }

    /// Takes back one column that left a chunk.
    pub(crate) fn recycle_column(&self, col: Column) {
        let guard = epoch::pin();
        self.recycle_loose(&None, self.depot(&guard), col);
    }

    fn recycle_loose(&self, sink: &Sink<'_>, depot: &Depot, mut col: Column) {
        if let Some(why) = col.refusal(self.config().max_cached_var_bytes()) {
            self.count(sink, why.into(), 1);
            return;
        }
        let class = if self.config().max_free_columns() > 0 {
            self.acct.class_or_claim(col.field_type())
        } else {
            None
        };
        let Some(class) = class else {
            self.count(sink, Counter::DiscardedOverLimit, 1);
            return;
        };
        col.reset_for_cache();
        if depot.push_column(class, col).is_err() {
            self.count(sink, Counter::DiscardedOverLimit, 1);
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let depot = std::mem::replace(&mut self.depot, epoch::Atomic::null());
        // A depot swapped out by `trim` belongs to the epoch; this one came
        // from `Owned` and only this drop takes it back.
        // SAFETY: `&mut self`: no handle, chunk or pinned thread can reach it.
        drop(unsafe { depot.into_owned() });
    }
}

impl ChunkAllocator for LockFreeAllocator {
    fn try_alloc(
        &self,
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error> {
        Shared::alloc(&self.shared, fields, capacity, max_chunk_size)
    }

    /// Nothing to do: chunks came back when they were dropped. Kept for
    /// TiDB's statement lifecycle (`clear_alloc` then `reset`).
    fn reset(&self) {}

    fn check_reuse_alloc_size(&self) -> bool {
        self.shared.config().reuse_enabled()
    }
}

impl Renew for LockFreeAllocator {
    fn renew(&self) -> Self {
        LockFreeAllocator::with_config(self.config())
    }
}

impl fmt::Debug for LockFreeAllocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockFreeAllocator")
            .field("config", self.shared.config())
            .field("stats", &self.stats())
            .finish()
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_frees_the_depot_and_keeps_accounting_exact() {
        let pool = LockFreeAllocator::new();
        let f = [FieldType::I64];
        drop(pool.alloc(&f, 8, 8));
        assert_eq!(pool.stats().retained_chunks, 1);
        pool.trim();
        // Deferred destruction may wait for other pinned threads; with none,
        // repeated pins let the collector run it.
        for _ in 0..1024 {
            epoch::pin().flush();
            if pool.stats().retained_chunks == 0 {
                break;
            }
        }
        assert_eq!(pool.stats().retained_chunks, 0);
        assert_eq!(pool.stats().retained_bytes, 0);
        let guard = epoch::pin();
        assert_eq!(pool.shared.depot(&guard).len(), (0, 0));
    }
}
