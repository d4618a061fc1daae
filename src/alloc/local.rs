//! Per-thread caches ("magazines") in front of the lock-free allocator's
//! depot.
//!
//! A thread keeps up to [`MAGAZINE`] whole chunks per allocator in a
//! thread-local (fewer when many threads share the allocator, below). A chunk dropped on a thread goes into that thread's
//! magazine; an alloc looks there first. Each cached chunk keeps the
//! `Arc` of its allocator with it, so handing it out or taking it back
//! touches no shared reference count, and counting happens in a statistics
//! block the thread owns: the steady-state cycle performs no atomic
//! read-modify-write at all.
//!
//! Magazines exchange chunks with the depot in batches (a full magazine
//! moves its older half there; an empty one refills from it), and take
//! whole-chunk credits from the allocator's counter in batches, so the bound
//! `max_free_chunks` covers magazines too.
//!
//! No thread hoards: a magazine holds at most its thread's fair share of
//! the limit (half of `max_free_chunks` split among the threads caching for
//! the allocator, between 1 and [`MAGAZINE`]), and keeps at most that many
//! unused credits. A thread that sees the number of threads change resizes
//! its share and hands back the excess, so threads that start when the
//! cache is full, or while others hold batches, still get whole chunks.
//!
//! A magazine gives everything back when its thread exits (the thread-local
//! destructor), when the thread needs its slot for another allocator, when
//! it sees that `trim` ran, or when it sees that every handle of its
//! allocator is gone.

use super::depot::{Body, Depot};
use super::layout::LayoutKey;
use super::lockfree::Shared;
use crate::field::FieldType;
use crate::stats::{BlockId, Counter};
use crate::sync::{epoch, thread_local, Arc};
use std::cell::RefCell;
use std::fmt;

/// Whole chunks one thread keeps per allocator.
pub(crate) const MAGAZINE: usize = 16;
/// Chunks moved between a magazine and the depot at once.
const BATCH: usize = MAGAZINE / 2;
/// Allocators one thread caches for at once; the least recently used is
/// flushed to make room.
const ENTRIES: usize = 4;

thread_local! {
    static LOCAL: RefCell<LocalCache> = const { RefCell::new(LocalCache { entries: Vec::new() }) };
}

/// Runs `f` with this thread's cache, or with `None` where there is none
/// (the thread-local is being destroyed, or this thread is already inside
/// it): callers then use the depot directly.
#[inline]
pub(crate) fn with_cache<R>(f: impl FnOnce(Option<&mut LocalCache>) -> R) -> R {
    let mut f = Some(f);
    let done = LOCAL.try_with(|cell| {
        let mut cache = cell.try_borrow_mut().ok()?;
        let f = f.take()?;
        Some(f(Some(&mut cache)))
    });
    match done {
        Ok(Some(r)) => r,
        // No cache: `f` did not run, so it is still here.
        _ => f
            .take()
            .map_or_else(|| unreachable!("ran without a result"), |f| f(None)),
    }
}

/// The steady-state alloc: takes this thread's newest cached chunk of
/// `pool` if it is a `key` chunk whose columns hold `rows` rows, counting
/// it as handed out. `None` sends the caller to the general path (another
/// allocator used last, `trim` ran, an empty magazine, another layout, no
/// thread-local).
#[inline]
pub(crate) fn take_newest(
    pool: &Arc<Shared>,
    key: LayoutKey,
    fields: &[FieldType],
    rows: usize,
) -> Option<Held> {
    LOCAL
        .try_with(|cell| {
            let mut cache = cell.try_borrow_mut().ok()?;
            let e = cache.entries.first_mut()?;
            let top = e.mag.last()?;
            if !Arc::ptr_eq(&e.pool, pool)
                || e.generation != pool.generation()
                || e.threads_seen != pool.threads()
                || top.body.rows < rows
                || !top.body.is(key, fields)
            {
                return None;
            }
            let held = e.mag.pop()?;
            e.handed_out(&held.body);
            Some(held)
        })
        .ok()
        .flatten()
}

/// The steady-state return: caches a prepared chunk in this thread's
/// magazine for its pool when that is the most recently used one, the
/// magazine has room and a whole-chunk credit is in hand (and no byte
/// budget is set). Gives the chunk back otherwise, for the general path.
#[inline]
pub(crate) fn put_newest(held: Held) -> Result<(), Held> {
    let mut held = Some(held);
    let _ = LOCAL.try_with(|cell| {
        let Ok(mut cache) = cell.try_borrow_mut() else {
            return;
        };
        let Some(e) = cache.entries.first_mut() else {
            return;
        };
        let fits = held.as_ref().is_some_and(|h| {
            Arc::ptr_eq(&e.pool, &h.home)
                && e.credits > 0
                && e.mag.len() < e.share
                && e.generation == e.pool.generation()
                && e.threads_seen == e.pool.threads()
                && !e.pool.acct.has_budget()
        });
        if !fits {
            return;
        }
        if let Some(h) = held.take() {
            e.credits -= 1;
            e.taken_back(&h.body);
            e.mag.push(h);
        }
    });
    held.map_or(Ok(()), Err)
}

/// One thread's magazines, one entry per allocator, most recently used first.
pub(crate) struct LocalCache {
    entries: Vec<Entry>,
}

impl LocalCache {
    /// This thread's entry for `pool`, made (and an old one evicted) if needed.
    #[inline]
    pub(crate) fn entry(&mut self, pool: &Arc<Shared>) -> &mut Entry {
        match self.entries.first_mut() {
            Some(e) if Arc::ptr_eq(&e.pool, pool) => {
                e.sync_generation();
                e.sync_share();
                // Reborrow: the guard above ended.
                &mut self.entries[0]
            }
            _ => self.entry_slow(pool),
        }
    }

    /// [`LocalCache::entry`] when `pool` is not the most recently used.
    #[cold]
    fn entry_slow(&mut self, pool: &Arc<Shared>) -> &mut Entry {
        if let Some(i) = self.entries.iter().position(|e| Arc::ptr_eq(&e.pool, pool)) {
            if i != 0 {
                self.entries.swap(0, i);
            }
        } else {
            self.entries.retain(|e| !e.pool.abandoned());
            if self.entries.len() == ENTRIES {
                self.entries.pop();
            }
            self.entries.insert(0, Entry::new(pool));
        }
        let e = &mut self.entries[0];
        e.sync_generation();
        e.sync_share();
        e
    }
}

impl LocalCache {
    /// Drops this thread's cached chunks of `pool` if `trim` ran, without
    /// making an entry where there is none.
    pub(crate) fn refresh(&mut self, pool: &Arc<Shared>) {
        if let Some(e) = self.entries.iter_mut().find(|e| Arc::ptr_eq(&e.pool, pool)) {
            e.sync_generation();
        }
    }

    /// Removes this thread's entry for `pool` (its last handle is gone).
    pub(crate) fn forget(&mut self, pool: &Arc<Shared>) {
        self.entries.retain(|e| !Arc::ptr_eq(&e.pool, pool));
    }
}

impl fmt::Debug for LocalCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.entries).finish()
    }
}

/// A cached chunk with its own reference to the pool.
pub(crate) struct Held {
    pub(crate) body: Body,
    pub(crate) home: Arc<Shared>,
}

/// One thread's cache for one allocator.
pub(crate) struct Entry {
    pool: Arc<Shared>,
    mag: Vec<Held>,
    /// Whole-chunk credits held and unused.
    credits: usize,
    /// Byte credits held and unused (only under a byte budget).
    bytes: usize,
    generation: usize,
    block: BlockId,
    /// The most chunks the magazine holds and the most unused credits kept:
    /// this thread's fair share of `max_free_chunks` among the
    /// `threads_seen` threads caching for the pool, so a few threads cannot
    /// hoard what the others need.
    share: usize,
    threads_seen: usize,
}

/// A thread's fair share (see [`Entry::share`]): half the limit split
/// evenly, so even when every thread holds its share in chunks and its
/// share again in unused credits, together they stay within the limit;
/// at least 1 and at most a magazine.
fn share_of(max_free_chunks: usize, threads: usize) -> usize {
    (max_free_chunks / (2 * threads.max(1))).clamp(1, MAGAZINE)
}

impl Entry {
    fn new(pool: &Arc<Shared>) -> Entry {
        let threads = pool.thread_joined(true);
        Entry {
            pool: Arc::clone(pool),
            mag: Vec::with_capacity(MAGAZINE),
            credits: 0,
            bytes: 0,
            generation: pool.generation(),
            block: pool.stats.claim(),
            share: share_of(pool.acct.config().max_free_chunks(), threads),
            threads_seen: threads,
        }
    }

    /// The statistics block this thread counts in.
    #[inline]
    pub(crate) fn block(&self) -> BlockId {
        self.block
    }

    /// Resizes this thread's share when threads started or stopped caching
    /// for the pool, handing back chunks and credits above the new share.
    #[inline]
    fn sync_share(&mut self) {
        let now = self.pool.threads();
        if now != self.threads_seen {
            self.reshare(now);
        }
    }

    #[cold]
    fn reshare(&mut self, threads: usize) {
        self.threads_seen = threads;
        self.share = share_of(self.pool.acct.config().max_free_chunks(), threads);
        if self.mag.len() > self.share {
            self.flush(self.mag.len() - self.share);
        }
        if self.credits > self.share {
            self.pool.acct.release_chunks(self.credits - self.share);
            self.credits = self.share;
        }
    }

    /// Drops the magazine if `trim` ran since this entry last looked.
    #[inline]
    fn sync_generation(&mut self) {
        let now = self.pool.generation();
        if now != self.generation {
            self.drop_all();
            self.generation = now;
        }
    }

    /// Takes a cached chunk of exactly `fields`: from the magazine, newest
    /// first and preferring one whose columns hold `rows` rows (so a small
    /// chunk is not grown while a big one waits: less heap churn), else a
    /// batch from the depot. The credit of the chunk handed out stays here.
    #[inline]
    pub(crate) fn take(
        &mut self,
        key: LayoutKey,
        fields: &[FieldType],
        rows: usize,
    ) -> Option<(Body, Arc<Shared>)> {
        let fits = self
            .mag
            .iter()
            .rposition(|h| h.body.rows >= rows && h.body.is(key, fields));
        let any = || self.mag.iter().rposition(|h| h.body.is(key, fields));
        let held = fits.or_else(any).map(|i| self.mag.swap_remove(i));
        let held = match held {
            Some(held) => {
                self.unheld(&held.body);
                held
            }
            None => self.refill(key, fields)?,
        };
        self.keep_credit(held.body.bytes);
        Some((held.body, held.home))
    }

    /// Pops up to a batch of `fields` chunks from the depot: one to hand out,
    /// the rest into the magazine (their credits travel with them).
    fn refill(&mut self, key: LayoutKey, fields: &[FieldType]) -> Option<Held> {
        let guard = epoch::pin();
        let depot = self.pool.depot(&guard);
        let first = depot.pop_body(key, fields)?;
        let room = self.share.saturating_sub(self.mag.len());
        for _ in 1..BATCH.min(room + 1) {
            let Some(body) = depot.pop_body(key, fields) else {
                break;
            };
            self.hold(Held {
                body,
                home: Arc::clone(&self.pool),
            });
        }
        drop(guard);
        Some(Held {
            body: first,
            home: Arc::clone(&self.pool),
        })
    }

    /// Caches a returned chunk in the magazine, taking a credit for it.
    /// Gives it back when the bounds leave no room.
    #[inline]
    pub(crate) fn put(&mut self, body: Body, home: Arc<Shared>) -> Result<(), (Body, Arc<Shared>)> {
        if !self.take_credit(body.bytes) {
            return Err((body, home));
        }
        if self.mag.len() >= self.share {
            self.flush(
                (self.mag.len() + 1)
                    .saturating_sub(self.share)
                    .max(self.share / 2),
            );
        }
        self.hold(Held { body, home });
        Ok(())
    }

    #[inline]
    fn hold(&mut self, held: Held) {
        let block = self.pool.stats.block(self.block);
        block.add(Counter::HeldChunks, 1);
        block.add(Counter::HeldBytes, held.body.bytes as u64);
        self.mag.push(held);
    }

    /// Counts a cached chunk handed out whole (it left the magazine).
    #[inline(always)]
    fn handed_out(&mut self, body: &Body) {
        let block = self.pool.stats.block(self.block);
        block.add(Counter::ChunksAllocated, 1);
        block.add(Counter::ChunksFromCache, 1);
        block.add(Counter::ColumnsReused, body.columns.len() as u64);
        block.sub(Counter::HeldChunks, 1);
        block.sub(Counter::HeldBytes, body.bytes as u64);
        self.keep_credit(body.bytes);
    }

    /// Counts a returned chunk going into the magazine.
    #[inline]
    fn taken_back(&self, body: &Body) {
        let block = self.pool.stats.block(self.block);
        block.add(Counter::ChunksReturned, 1);
        block.add(Counter::HeldChunks, 1);
        block.add(Counter::HeldBytes, body.bytes as u64);
    }

    #[inline]
    fn unheld(&self, body: &Body) {
        let block = self.pool.stats.block(self.block);
        block.sub(Counter::HeldChunks, 1);
        block.sub(Counter::HeldBytes, body.bytes as u64);
    }

    /// Takes one whole-chunk credit (and `bytes` of budget) for a chunk
    /// about to be cached, from those held or from the shared counters.
    #[inline]
    fn take_credit(&mut self, bytes: usize) -> bool {
        let acct = &self.pool.acct;
        if self.credits == 0 {
            self.credits = acct.reserve_chunks(acct.credit_batch().min(self.share));
            if self.credits == 0 {
                return false;
            }
        }
        if acct.has_budget() && self.bytes < bytes {
            let got = acct.reserve_bytes(bytes - self.bytes, acct.byte_batch());
            if got == 0 {
                return false;
            }
            self.bytes += got;
        }
        self.credits -= 1;
        if acct.has_budget() {
            self.bytes -= bytes;
        }
        true
    }

    /// Keeps the credit of a chunk leaving the cache, giving back the excess.
    #[inline(always)]
    fn keep_credit(&mut self, bytes: usize) {
        let acct = &self.pool.acct;
        let batch = acct.credit_batch().min(self.share);
        self.credits += 1;
        if self.credits > self.share {
            acct.release_chunks(self.credits - batch);
            self.credits = batch;
        }
        if acct.has_budget() {
            let batch = acct.byte_batch();
            self.bytes += bytes;
            if self.bytes > 2 * batch {
                acct.release_bytes(self.bytes - batch);
                self.bytes = batch;
            }
        }
    }

    /// Moves the `n` oldest cached chunks to the depot.
    fn flush(&mut self, n: usize) {
        let n = n.min(self.mag.len());
        if n == 0 {
            return;
        }
        let guard = epoch::pin();
        let depot: &Depot = self.pool.depot(&guard);
        for held in self.mag.drain(..n).collect::<Vec<_>>() {
            self.unheld(&held.body);
            if let Err(body) = depot.push_body(held.body) {
                // No layout slot free in the depot: free it, return its credit.
                self.pool.acct.release_chunks(1);
                self.pool.acct.release_bytes(body.bytes);
                self.pool
                    .stats
                    .block(self.block)
                    .add(Counter::DiscardedOverLimit, body.columns.len() as u64);
            }
        }
    }

    /// Frees everything cached here and returns its credits.
    fn drop_all(&mut self) {
        for held in std::mem::take(&mut self.mag) {
            self.unheld(&held.body);
            self.pool.acct.release_chunks(1);
            self.pool.acct.release_bytes(held.body.bytes);
        }
        self.mag = Vec::with_capacity(MAGAZINE);
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        if self.pool.abandoned() {
            self.drop_all();
        } else {
            self.flush(self.mag.len());
        }
        self.pool.acct.release_chunks(self.credits);
        self.pool.acct.release_bytes(self.bytes);
        self.pool.stats.release(self.block);
        self.pool.thread_joined(false);
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("cached", &self.mag.len())
            .field("credits", &self.credits)
            .finish_non_exhaustive()
    }
}
