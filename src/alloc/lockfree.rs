//! The product: an allocator with no lock on the alloc or return path.

use super::depot::{layout_hash, Accounting, Body, Depot};
use super::{ChunkAllocator, Home, Renew};
use crate::chunk::{check_alloc_args, Chunk, Slot};
use crate::column::{Column, ColumnPlan};
use crate::config::PoolConfig;
use crate::error::Error;
use crate::field::FieldType;
use crate::stats::{Counter, Counters, Stats};
use crate::sync::{epoch, Arc, Ordering};
use std::fmt;

/// A chunk allocator with no lock on its alloc or return path.
///
/// Chunks return to it when dropped, from any thread. A returned chunk is
/// cached whole, queued under its layout, so the next request for the same
/// field types gets every column back in one pop; a chunk that cannot be
/// cached whole (limit reached, a column marked `avoid_reusing` or oversized,
/// a column still shared) is split into loose columns queued per element
/// size. Requests for a layout with no whole chunk cached are served column
/// by column. A cached column too small for a request is freed and a new one
/// made.
///
/// The handle is cheap to clone; clones share one cache. The cache lives
/// until the last handle and the last chunk from it are dropped.
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
#[derive(Clone)]
pub struct LockFreeAllocator {
    shared: Arc<Shared>,
}

/// What every handle and every chunk out of one allocator share.
pub(crate) struct Shared {
    acct: Arc<Accounting>,
    /// The current cache; replaced whole by `trim`, the old one reclaimed
    /// through the epoch.
    depot: epoch::Atomic<Depot>,
    stats: Counters,
}

impl Default for LockFreeAllocator {
    fn default() -> Self {
        LockFreeAllocator::new()
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
            }),
        }
    }

    /// The limits this allocator was made with.
    pub fn config(&self) -> PoolConfig {
        *self.shared.acct.config()
    }

    /// A snapshot of the counters and the current cache contents.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// Drops everything cached: the cache is swapped for an empty one in one
    /// atomic step, and the old one is freed once no thread can still be
    /// inside it (crossbeam-epoch). Until then its buffers still count
    /// against the limits. Chunks in use are untouched and return to the new
    /// cache when dropped.
    pub fn trim(&self) {
        let s = &*self.shared;
        let fresh = epoch::Owned::new(Depot::new(Arc::clone(&s.acct)));
        let guard = epoch::pin();
        let old = s.depot.swap(fresh, Ordering::AcqRel, &guard);
        // SAFETY: the swap unlinked `old`, so no thread can load it any more;
        // threads that loaded it earlier are pinned, and the epoch runs the
        // destructor only after all of them have unpinned. It is destroyed
        // once: only this swap unlinked it.
        unsafe { guard.defer_destroy(old) };
        guard.flush();
    }

    /// True when both handles share one cache.
    pub fn same_pool(&self, other: &LockFreeAllocator) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Shared {
    fn stats(&self) -> Stats {
        let (chunks, columns, bytes) = self.acct.retained();
        Stats {
            retained_chunks: chunks,
            retained_columns: columns,
            retained_bytes: bytes,
            ..self.stats.snapshot()
        }
    }

    fn config(&self) -> &PoolConfig {
        self.acct.config()
    }

    /// A column for `plan`: a cached one of its class if one fits, else new.
    fn column_for(&self, depot: &Depot, field: FieldType, plan: ColumnPlan) -> Column {
        if self.config().max_free_columns() > 0 {
            if let Some(class) = self.acct.class_of(field) {
                if let Some(col) = depot.pop_column(class) {
                    if col.fits(&plan) {
                        self.stats.add(Counter::ColumnsReused, 1);
                        return col;
                    }
                    self.stats.add(Counter::DiscardedTooSmall, 1);
                }
            }
        }
        self.stats.add(Counter::ColumnsFresh, 1);
        Column::from_plan(field, plan)
    }

    fn alloc(
        this: &Arc<Shared>,
        fields: &[FieldType],
        capacity: usize,
        max: usize,
    ) -> Result<Chunk, Error> {
        let cap = check_alloc_args(capacity, max)?;
        // Validate every size before touching the cache, so a bad request
        // never takes anything out of it.
        for &f in fields {
            ColumnPlan::new(f, cap)?;
        }
        let s = &**this;
        s.stats.add(Counter::ChunksAllocated, 1);
        let home = || Some(Home::LockFree(Arc::clone(this)));
        let guard = epoch::pin();
        // SAFETY: the depot pointer is never null (set at construction,
        // replaced only by swap with a new one) and the guard keeps the
        // pointee alive for this borrow.
        let depot = unsafe { s.depot.load(Ordering::Acquire, &guard).deref() };

        if s.config().max_free_chunks() > 0 {
            let hash = layout_hash(fields.iter().copied());
            if let Some(Body { mut columns, .. }) = depot.pop_body(hash, fields) {
                drop(guard);
                let mut fresh = 0;
                for (slot, &f) in columns.iter_mut().zip(fields) {
                    let plan = ColumnPlan::new(f, cap)?;
                    if !slot.get().fits(&plan) {
                        *slot = Slot::Own(Column::from_plan(f, plan));
                        fresh += 1;
                    }
                }
                s.stats.add(Counter::ChunksFromCache, 1);
                s.stats.add(Counter::DiscardedTooSmall, fresh);
                s.stats.add(Counter::ColumnsFresh, fresh);
                s.stats
                    .add(Counter::ColumnsReused, fields.len() as u64 - fresh);
                return Ok(Chunk::from_parts(columns, cap, max, home()));
            }
        }
        let mut columns = Vec::with_capacity(fields.len());
        for &f in fields {
            let plan = ColumnPlan::new(f, cap)?;
            columns.push(Slot::Own(s.column_for(depot, f, plan)));
        }
        drop(guard);
        Ok(Chunk::from_parts(columns, cap, max, home()))
    }

    /// Why a column cannot be cached, if it cannot.
    fn refuse(&self, col: &Column) -> Option<Counter> {
        if col.avoid_reusing() {
            Some(Counter::DiscardedAvoidReuse)
        } else if col.field_type().is_var()
            && col.data_capacity_bytes() > self.config().max_cached_var_bytes()
        {
            Some(Counter::DiscardedOversize)
        } else {
            None
        }
    }

    /// Takes back the columns of a dropped chunk.
    pub(crate) fn recycle(&self, mut columns: Vec<Slot>) {
        self.stats.add(Counter::ChunksReturned, 1);
        let layout_len = columns.len();
        // Keep only the columns this chunk was the last user of; a column
        // still shared elsewhere is recycled by its last user.
        columns.retain_mut(|slot| {
            if let Slot::Shared(_) = slot {
                let taken = std::mem::replace(slot, Slot::Own(Column::EMPTY));
                match taken.into_column() {
                    Some(col) => *slot = Slot::Own(col),
                    None => return false,
                }
            }
            true
        });
        let whole = self.config().max_free_chunks() > 0
            && columns.len() == layout_len
            && columns.iter().all(|s| self.refuse(s.get()).is_none());

        let guard = epoch::pin();
        // SAFETY: as in `alloc`: never null, kept alive by `guard`.
        let depot = unsafe { self.depot.load(Ordering::Acquire, &guard).deref() };
        if whole {
            let mut bytes = 0;
            for slot in &mut columns {
                if let Slot::Own(c) = slot {
                    c.reset();
                    bytes += c.allocated_bytes();
                }
            }
            match depot.push_body(Body { columns, bytes }) {
                Ok(()) => return,
                Err(body) => columns = body.columns,
            }
        }
        for slot in columns {
            if let Some(col) = slot.into_column() {
                self.recycle_loose(depot, col);
            }
        }
    }

    /// Takes back one column that left a chunk.
    pub(crate) fn recycle_column(&self, col: Column) {
        let guard = epoch::pin();
        // SAFETY: as in `alloc`: never null, kept alive by `guard`.
        let depot = unsafe { self.depot.load(Ordering::Acquire, &guard).deref() };
        self.recycle_loose(depot, col);
    }

    fn recycle_loose(&self, depot: &Depot, mut col: Column) {
        if let Some(why) = self.refuse(&col) {
            self.stats.add(why, 1);
            return;
        }
        let class = if self.config().max_free_columns() > 0 {
            self.acct.class_or_claim(col.field_type())
        } else {
            None
        };
        let Some(class) = class else {
            self.stats.add(Counter::DiscardedOverLimit, 1);
            return;
        };
        col.reset();
        if depot.push_column(class, col).is_err() {
            self.stats.add(Counter::DiscardedOverLimit, 1);
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let depot = std::mem::replace(&mut self.depot, epoch::Atomic::null());
        // SAFETY: `&mut self` means no handle, chunk or pinned thread can
        // reach this depot any more; the pointer came from `Owned` and only
        // this drop takes it back (a depot swapped out by `trim` belongs to
        // the epoch instead).
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
        // SAFETY: never null; guarded.
        let depot = unsafe { pool.shared.depot.load(Ordering::Acquire, &guard).deref() };
        assert_eq!(depot.len(), (0, 0));
    }
}
