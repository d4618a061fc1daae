//! The product: an allocator with no lock on its alloc or return path.
//!
//! How the files stack (each uses only the ones below it):
//!
//! | file | what it is |
//! |---|---|
//! | `mod.rs` | [`LockFreeAllocator`]: its public API and the alloc path |
//! | `recycle.rs` | the return path: a dropped chunk's body checked, cached whole or split |
//! | `cache.rs` | per-thread magazines: one `take`, one `put` |
//! | `pool.rs` | what handles, chunks and thread caches share |
//! | `depot.rs` | the shared queues, and what a cached chunk is kept as |
//! | `credits.rs` | the bounds: credits, column counts, the byte budget |
//! | `layout.rs` | a layout's identity as one comparable key |
//! | `tuning.rs` | the fixed sizes (smaller under loom) |
//!
//! **Alloc**: check the arguments, then take a cached whole chunk of the
//! layout ([`cache::take`]: the thread's magazine, else a batch from the
//! depot); failing that, build the chunk column by column from loose
//! cached columns or new ones (a new variable-width column with the room a
//! row the last such column checked on its way home had; see
//! `Pool::var_row_bytes`).
//!
//! **Return** (a chunk dropped, [`recycle::recycle`]): if the allocator is
//! abandoned, free. Otherwise check every column as it is now (owned,
//! cacheable, its type and the rows it holds) and cache the chunk's body
//! whole, as one pointer, under the layout and rows found ([`cache::put`]);
//! whatever cannot be cached whole goes back as loose columns, each to the
//! class of its current type, or is freed.

mod cache;
mod credits;
mod depot;
mod layout;
mod pool;
mod recycle;
mod tuning;

#[cfg(chunkpool_loom)]
pub use cache::thread_exit;
pub(crate) use pool::Pool;
pub(crate) use recycle::{recycle, recycle_column};

use super::budget::MemoryBudget;
use super::home::{Body, Home};
use super::{replace_small, ChunkAllocator, Renew};
use crate::chunk::{check_alloc, Chunk};
use crate::column::{Column, Slot};
use crate::config::PoolConfig;
use crate::error::{fail, Error};
use crate::field::FieldType;
use crate::stats::{BlockId, Counter, Stats};
use crate::sync::Arc;
use cache::Taken;
use depot::{Cached, Depot};
use recycle::recycle_column_into;
use std::fmt;

/// A chunk allocator with no lock on its alloc or return path.
///
/// Chunks return to it when dropped, from any thread. A returned chunk is
/// checked (every column's type and the rows it can hold, as they are now)
/// and cached whole: first in a small per-thread cache of the dropping
/// thread, then, in batches, in a shared depot queued under its layout; the
/// next request for the same field types gets every column back at once. A
/// chunk that cannot be cached whole (limit reached, a column marked
/// `avoid_reusing` or oversized, a column still shared) is split into loose
/// columns queued per element size; requests for a layout with no whole
/// chunk cached are served column by column. Of the whole chunks a thread
/// has cached, a request gets the best fit: one that holds its rows and
/// the fewest more, then the one last handed out for the nearest
/// capacity, so that requests of two sizes taking turns each keep their
/// own buffers. A cached column too small for a request is freed and a
/// new one made.
///
/// The handle is cheap to clone; clones share one cache.
///
/// # What it keeps, compared with [`MutexAllocator`](crate::MutexAllocator)
/// For one [`PoolConfig`] the two apply the same rules to each column
/// (limit per size class, `avoid_reusing`, oversized variable-width
/// columns, a cached column too small for a request replaced), but keep
/// different things, and this one can hold more columns:
/// * up to `max_free_chunks` whole chunks, their columns inside, which do
///   not count against `max_free_columns` ([`Stats::retained_chunks`]);
///   the mutex allocator (like TiDB) keeps up to `max_free_chunks` empty
///   chunk shells instead ([`Stats::retained_shells`]);
/// * on top of those, like the mutex allocator, up to `max_free_columns`
///   loose columns per size class ([`Stats::cached_columns`]); but loose
///   columns of 15 fixed element sizes at most (the first 15 seen, for the
///   allocator's lifetime) besides variable width, where the mutex
///   allocator takes any number of sizes. Columns of a further size are
///   freed when they come back loose.
///
/// So with limits (50, 100), 120 one-column variable-width chunks returned
/// at once all stay cached here (50 whole chunks and 70 loose columns),
/// where the mutex allocator and TiDB keep 100 columns and 50 shells.
///
/// # When memory comes back
/// * [`trim`](Self::trim) frees every chunk and column the shared depot
///   and the calling thread's cache hold before it returns (a chunk that
///   another thread returns to the depot at that very moment is freed by
///   that thread). Other threads' caches free their chunks of this
///   allocator at their next call into any lock-free allocator (an alloc,
///   or a chunk returning), or when they exit or call
///   [`release_thread_cache`](Self::release_thread_cache). The emptied
///   depot's shell (a few KiB of queue blocks at most) is freed through
///   crossbeam-epoch once no thread can still be inside it, at the latest
///   with the allocator.
/// * Dropping the last handle does the same as `trim`; chunks still out
///   are freed when they are dropped, and the allocator's remaining state
///   goes with the last chunk and the last thread cache that refer to it.
/// * An idle thread (one that makes no further calls) holds at most 4
///   allocators' thread caches, each at most 16 whole chunks and never
///   more than its fair share of `max_free_chunks`, until it exits or
///   hands them to the shared depot with
///   [`release_thread_cache`](Self::release_thread_cache).
///
/// # New string columns
/// A column this allocator makes new (nothing cached fits) has room for 8
/// bytes a row if it is variable-width, as TiDB's do, until a chunk whose
/// variable-width columns grew comes home: then new ones start with the
/// room a row its widest had, at most
/// [`PoolConfig::max_cached_var_bytes_per_row`] (so not under
/// [`PoolConfig::tidb`], which has no per-row limit): a workload of wide
/// text does not grow every new chunk through a chain of doublings. Not
/// under a byte budget or a [`MemoryBudget`] either, which charge a new
/// chunk before it is handed out.
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
    pool: Arc<Pool>,
}

impl Default for LockFreeAllocator {
    fn default() -> Self {
        LockFreeAllocator::new()
    }
}

impl Clone for LockFreeAllocator {
    fn clone(&self) -> Self {
        self.pool.handle_cloned();
        LockFreeAllocator {
            pool: Arc::clone(&self.pool),
        }
    }
}

impl Drop for LockFreeAllocator {
    fn drop(&mut self) {
        if self.pool.handle_dropped() {
            // Abandoned: nobody can allocate from it again, so free the
            // cache now rather than when the last chunk comes back.
            cache::empty_depot(&self.pool);
            cache::forget_dead();
        }
    }
}

impl LockFreeAllocator {
    /// An allocator with TiDB's default limits.
    ///
    /// ```
    /// use chunkpool::{LockFreeAllocator, PoolConfig};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// assert_eq!(alloc.config(), PoolConfig::default());
    /// assert_eq!(alloc.stats().chunks_allocated, 0);
    /// ```
    #[must_use]
    pub fn new() -> LockFreeAllocator {
        LockFreeAllocator::with_config(PoolConfig::default())
    }

    /// An allocator with the given limits.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig};
    ///
    /// let alloc = LockFreeAllocator::with_config(PoolConfig::with_limits(2, 0)?);
    /// let chunks: Vec<_> = (0..3).map(|_| alloc.alloc(&[FieldType::I32], 8, 8)).collect();
    /// drop(chunks);
    /// let stats = alloc.stats();
    /// assert_eq!(stats.retained_chunks, 2); // the third chunk did not fit
    /// assert_eq!(stats.discarded_over_limit, 1);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn with_config(config: PoolConfig) -> LockFreeAllocator {
        LockFreeAllocator {
            pool: Arc::new(Pool::new(config, None)),
        }
    }

    /// An allocator with the given limits whose column buffers are charged
    /// to `budget`, an engine's memory reservation: new buffers are asked
    /// for before a chunk made of them is handed out (`try_alloc` fails
    /// with [`Error::BudgetRefused`] when the budget says no), growth of a
    /// live chunk is asked for when it comes home, and freed buffers are
    /// given back. What is counted, and when, is on [`MemoryBudget`].
    /// A chunk from the cache asks nothing: the budget is consulted on
    /// cache misses, on returns that find a chunk changed, and when memory
    /// is freed, never on the alloc-and-return cycle of a recycled chunk.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, MemoryBudget, PoolConfig};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// #[derive(Debug, Default)]
    /// struct Tally(AtomicUsize);
    /// impl MemoryBudget for Tally {
    ///     fn try_grow(&self, n: usize) -> Result<(), &'static str> {
    ///         self.0.fetch_add(n, Ordering::Relaxed);
    ///         Ok(())
    ///     }
    ///     fn shrink(&self, n: usize) {
    ///         self.0.fetch_sub(n, Ordering::Relaxed);
    ///     }
    /// }
    ///
    /// let tally = Arc::new(Tally::default());
    /// let pool = LockFreeAllocator::with_memory_budget(PoolConfig::default(), tally.clone());
    /// let fields = [FieldType::I64, FieldType::UTF8];
    /// let chk = pool.alloc(&fields, 256, 1024);
    /// let bytes = chk.allocated_bytes();
    /// assert_eq!(tally.0.load(Ordering::Relaxed), bytes);
    /// drop(chk);
    /// drop(pool.alloc(&fields, 256, 1024)); // from the cache: nothing new
    /// assert_eq!(tally.0.load(Ordering::Relaxed), bytes);
    /// drop(pool); // the cache is freed, and given back
    /// assert_eq!(tally.0.load(Ordering::Relaxed), 0);
    /// ```
    #[must_use]
    pub fn with_memory_budget(
        config: PoolConfig,
        budget: std::sync::Arc<dyn MemoryBudget>,
    ) -> LockFreeAllocator {
        LockFreeAllocator {
            pool: Arc::new(Pool::new(config, Some(budget))),
        }
    }

    /// The limits this allocator was made with.
    ///
    /// ```
    /// # use chunkpool::{LockFreeAllocator, PoolConfig};
    /// let alloc = LockFreeAllocator::with_config(PoolConfig::tidb());
    /// assert_eq!(alloc.config(), PoolConfig::tidb());
    /// assert_eq!(alloc.clone().config(), PoolConfig::tidb());
    /// ```
    #[must_use]
    pub fn config(&self) -> PoolConfig {
        *self.pool.config()
    }

    /// A snapshot of the counters and the current cache contents (shared
    /// depot and per-thread caches).
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let fields = [FieldType::I64, FieldType::UTF8];
    /// for _batch in 0..4 {
    ///     let mut chk = alloc.alloc(&fields, 64, 1024);
    ///     chk.column_mut(0).append_i64(1);
    ///     chk.column_mut(1).append_str("a");
    /// } // each batch's chunk returns here
    /// let stats = alloc.stats();
    /// assert_eq!((stats.chunks_allocated, stats.chunks_from_cache), (4, 3));
    /// assert_eq!((stats.columns_fresh, stats.columns_reused), (2, 6));
    /// assert_eq!(stats.reuse_rate(), 0.75);
    /// assert_eq!(stats.retained_chunks, 1);
    /// ```
    #[must_use = "stats() takes a snapshot; it resets no counter"]
    pub fn stats(&self) -> Stats {
        self.pool.stats()
    }

    /// Drops everything cached, and lets the depot's layout table start
    /// afresh. What the shared depot and the calling thread's cache hold is
    /// freed before `trim` returns; other threads' caches free their chunks
    /// of this allocator at their next call into any lock-free allocator,
    /// or when they exit or call
    /// [`release_thread_cache`](Self::release_thread_cache). Chunks in use
    /// are untouched and return to the
    /// cache when dropped.
    ///
    /// The depot is replaced by an empty one in one atomic step and emptied
    /// at once; its shell is reclaimed with crossbeam-epoch once no thread
    /// can still be inside it (see "When memory comes back" on
    /// [`LockFreeAllocator`]).
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let live = alloc.alloc(&[FieldType::I64], 8, 8);
    /// drop(alloc.alloc(&[FieldType::I64], 8, 8));
    /// assert_eq!(alloc.stats().retained_chunks, 1);
    /// alloc.trim();
    /// assert_eq!(alloc.stats().retained_bytes, 0);
    /// drop(live); // returns to the (now empty) cache
    /// assert_eq!(alloc.stats().retained_chunks, 1);
    /// ```
    pub fn trim(&self) {
        let pool = &self.pool;
        pool.bump_generation();
        cache::refresh(pool);
        cache::empty_depot(pool);
    }

    /// Hands what the calling thread's cache holds for this allocator to
    /// the shared depot, where any thread's next request can take it, as
    /// the thread's exit would: its cached chunks go to the depot (a chunk
    /// the depot has no slot for is freed), and the slots of
    /// `max_free_chunks` (and, under a byte budget, the bytes) it held for
    /// its next returns go back to the pool. The thread stops counting
    /// among the threads that share the limit, so theirs grow.
    ///
    /// Call it on a thread that stops working with the allocator but lives
    /// on: a coordinator that made a few chunks before handing the work to
    /// workers, a worker parked between queries. Otherwise such a thread's
    /// cache keeps up to 16 whole chunks (never more than its fair share)
    /// that only that thread can take, until it exits, while the other
    /// threads make new ones. Nothing else changes: chunks out stay valid
    /// and still come home when dropped, and the thread's next alloc or
    /// return starts a cache for it again. A thread with no cache for this
    /// allocator has nothing to hand back; the call then does nothing. A
    /// thread whose cache `trim` emptied frees what it held instead of
    /// handing it on, as `trim` says.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator};
    ///
    /// let alloc = LockFreeAllocator::new();
    /// let fields = [FieldType::I64];
    /// let mut chk = alloc.alloc(&fields, 8, 8);
    /// chk.column_mut(0).append_i64(7);
    /// let buffer = chk.column(0).data_ptr();
    /// drop(chk); // cached for this thread only
    ///
    /// alloc.release_thread_cache(); // now in the shared depot
    /// let got = std::thread::scope(|s| {
    ///     let worker = s.spawn(|| alloc.alloc(&fields, 8, 8).column(0).data_ptr() as usize);
    ///     worker.join().unwrap()
    /// });
    /// assert_eq!(got, buffer as usize); // another thread reused it
    /// assert_eq!(alloc.stats().chunks_from_cache, 1);
    /// ```
    pub fn release_thread_cache(&self) {
        cache::release(&self.pool);
    }

    /// The alloc path, after `check_alloc` gave the chunk capacity `cap`.
    /// Fails only when memory for a new column cannot be had. Generic over
    /// what the caller returns ([`Outcome`]), so `alloc` gets its chunk
    /// built in place, with no `Result` to unwrap and move out of. Not
    /// `#[track_caller]` (the hidden location argument costs the hot path
    /// a few instructions): an out-of-memory panic from `alloc` points
    /// here, not at the caller; bad arguments, checked before, still do.
    #[inline]
    fn alloc_checked<R: Outcome>(&self, fields: &[FieldType], cap: usize, max: usize) -> R {
        let pool = &self.pool;
        if pool.config().max_free_chunks() > 0 {
            match cache::take(pool, fields, cap) {
                Some(Taken::Ready(mut body)) => {
                    body.capacity = cap;
                    body.required_rows = max;
                    return R::ok(Chunk::from_body(body));
                }
                Some(Taken::Small(small)) => {
                    return match grow(pool, small, fields, cap, max) {
                        Ok(chunk) => R::ok(chunk),
                        Err(e) => R::err(e),
                    }
                }
                None => {}
            }
        }
        match alloc_loose(pool, fields, cap, max) {
            Ok(chunk) => R::ok(chunk),
            Err(e) => R::err(e),
        }
    }

    /// True when both handles share one cache.
    ///
    /// ```
    /// # use chunkpool::LockFreeAllocator;
    /// let a = LockFreeAllocator::new();
    /// assert!(a.same_pool(&a.clone()));
    /// assert!(!a.same_pool(&LockFreeAllocator::new()));
    /// ```
    #[must_use]
    pub fn same_pool(&self, other: &LockFreeAllocator) -> bool {
        Arc::ptr_eq(&self.pool, &other.pool)
    }
}

impl ChunkAllocator for LockFreeAllocator {
    fn try_alloc(
        &self,
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error> {
        let cap = check_alloc(fields, capacity, max_chunk_size)?;
        self.alloc_checked(fields, cap, max_chunk_size)
    }

    #[inline]
    #[track_caller]
    fn alloc(&self, fields: &[FieldType], capacity: usize, max_chunk_size: usize) -> Chunk {
        match check_alloc(fields, capacity, max_chunk_size) {
            Ok(cap) => self.alloc_checked::<Chunk>(fields, cap, max_chunk_size),
            Err(e) => fail(e),
        }
    }

    /// Nothing to do: chunks came back when they were dropped. Kept for
    /// TiDB's statement lifecycle (`clear_alloc` then `reset`).
    fn reset(&self) {}

    fn check_reuse_alloc_size(&self) -> bool {
        self.pool.config().reuse_enabled()
    }
}

/// What an alloc path hands its caller: the chunk itself for `alloc`,
/// which panics on an error, or a `Result` for `try_alloc`.
trait Outcome {
    fn ok(chunk: Chunk) -> Self;
    fn err(e: Error) -> Self;
}

impl Outcome for Chunk {
    #[inline(always)]
    fn ok(chunk: Chunk) -> Chunk {
        chunk
    }
    #[cold]
    fn err(e: Error) -> Chunk {
        fail(e)
    }
}

impl Outcome for Result<Chunk, Error> {
    #[inline(always)]
    fn ok(chunk: Chunk) -> Self {
        Ok(chunk)
    }
    #[inline(always)]
    fn err(e: Error) -> Self {
        Err(e)
    }
}

/// Hands out a cached whole chunk too small for `cap` rows, its small
/// columns replaced by new ones (all or nothing, see [`replace_small`]),
/// and counts it only then; when a new column cannot be had, the chunk
/// goes back to the cache as it was and nothing is counted.
#[cold]
fn grow(
    pool: &Arc<Pool>,
    small: Cached,
    fields: &[FieldType],
    cap: usize,
    max: usize,
) -> Result<Chunk, Error> {
    let Cached { mut body, credit } = small;
    let fresh = match replace_small(
        &mut body.columns,
        fields,
        cap,
        pool.var_row_bytes(),
        &mut body.charge,
    ) {
        Ok(fresh) => fresh,
        Err(e) => {
            cache::untake(pool, Cached { body, credit });
            return Err(e);
        }
    };
    pool.credits.give_back(credit, body.bytes);
    let block = pool.stats.block(BlockId::SHARED);
    let n = body.columns.len() as u64;
    block.add(Counter::ChunksAllocated, 1);
    block.add(Counter::ChunksFromCache, u64::from(fresh == 0));
    block.add(Counter::ColumnsReused, n - fresh);
    block.add(Counter::DiscardedTooSmall, fresh);
    block.add(Counter::ColumnsFresh, fresh);
    body.capacity = cap;
    body.required_rows = max;
    body.home = Some(Home::LockFree(Arc::clone(pool)));
    Ok(Chunk::from_body(body))
}

/// A chunk built column by column: loose cached columns where one of the
/// class fits, new ones otherwise. When a new column cannot be had, the
/// cached columns taken go back to their classes, the new ones made are
/// freed, and nothing is counted.
fn alloc_loose(
    pool: &Arc<Pool>,
    fields: &[FieldType],
    cap: usize,
    max: usize,
) -> Result<Chunk, Error> {
    let block = pool.stats.block(BlockId::SHARED);
    let guard = cache::pin(pool);
    let depot = pool.depot(&guard);
    let (mut reused, mut too_small) = (0, 0);
    // Cached columns come charged; new ones are asked for by `replace_small`.
    let mut charge = pool.credits.charge();
    let mut columns: Vec<Slot> = fields
        .iter()
        .map(|&f| {
            let popped = loose_column(pool, depot, f);
            if let Some(col) = &popped {
                charge.take_in(col.allocated_bytes());
            }
            let col = match popped {
                Some(mut col) if col.fits(cap) => {
                    reused += 1;
                    // Queued under its size class; the logical field may differ.
                    col.reset_as(f);
                    col
                }
                Some(col) => {
                    too_small += 1;
                    col
                }
                None => Column::EMPTY,
            };
            Slot::Own(col)
        })
        .collect();
    if reused < columns.len() as u64 {
        if let Err(e) = replace_small(&mut columns, fields, cap, pool.var_row_bytes(), &mut charge)
        {
            for slot in columns {
                match slot.into_column() {
                    Some(col) if !col.is_placeholder() => {
                        recycle_column_into(pool, block, depot, col, &mut charge);
                    }
                    _ => {}
                }
            }
            pool.after_push(depot, &guard);
            // What `charge` still holds was freed: given back as it drops.
            return Err(e);
        }
    }
    drop(guard);
    block.add(Counter::ChunksAllocated, 1);
    if reused == fields.len() as u64 {
        // Every column came from the cache: a chunk from the cache too.
        block.add(Counter::ChunksFromCache, 1);
    }
    block.add(Counter::ColumnsReused, reused);
    block.add(Counter::DiscardedTooSmall, too_small);
    block.add(Counter::ColumnsFresh, fields.len() as u64 - reused);
    let home = Some(Home::LockFree(Arc::clone(pool)));
    let mut body = Body::new(columns, cap, max, home);
    body.charge = charge;
    Ok(Chunk::from_body(body))
}

/// A cached loose column of `field`'s class, if there is one; it may be
/// too small for the request.
fn loose_column(pool: &Pool, depot: &Depot, field: FieldType) -> Option<Column> {
    if pool.config().max_free_columns() > 0 {
        let class = pool.credits.class_of(field)?;
        depot.pop_column(class)
    } else {
        None
    }
}

impl Renew for LockFreeAllocator {
    /// The new allocator has the same memory budget, if any.
    fn renew(&self) -> Self {
        LockFreeAllocator {
            pool: Arc::new(Pool::new(
                self.config(),
                self.pool.credits.budget().cloned(),
            )),
        }
    }
}

impl fmt::Debug for LockFreeAllocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockFreeAllocator")
            .field("config", self.pool.config())
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_frees_the_depot_at_once_and_keeps_accounting_exact() {
        let pool = LockFreeAllocator::new();
        let f = [FieldType::I64];
        let held: Vec<_> = (0..40).map(|_| pool.alloc(&f, 8, 8)).collect();
        drop(held);
        let s = pool.stats();
        assert!(
            s.retained_chunks > 16,
            "depot and magazine both hold: {s:?}"
        );
        pool.trim();
        let s = pool.stats();
        assert_eq!((s.retained_chunks, s.retained_bytes), (0, 0), "{s:?}");
        let guard = cache::pin(&pool.pool);
        assert_eq!(pool.pool.depot(&guard).len(), (0, 0));
    }
}
