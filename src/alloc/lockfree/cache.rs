//! Per-thread caches ("magazines", after Bonwick and Adams, USENIX 2001)
//! in front of the depot.
//!
//! A thread keeps a few whole chunks per allocator. A chunk returned on a
//! thread goes into that thread's magazine ([`put`]); an alloc looks there
//! first ([`take`]). Each cached chunk keeps the `Arc` of its pool with it,
//! so handing it out or taking it back touches no shared reference count,
//! and counting happens in a statistics block the thread owns: the
//! steady-state cycle performs no atomic read-modify-write at all. The fast
//! case is the first branch of `take` and of `put`; everything else
//! (another allocator, an empty or full magazine, a changed pool) is the
//! cold rest of the same function.
//!
//! Magazines exchange chunks with the depot in batches and reserve
//! whole-chunk credits in batches (see `credits.rs`), so `max_free_chunks`
//! covers them too. No thread hoards: a thread's cached chunks and its
//! spare credits together are at most its fair share (`max_free_chunks`
//! split among the threads caching for the pool, between 1 and twice
//! [`MAGAZINE`]), its magazine at most `MAGAZINE` of them; a thread that
//! sees the number of threads change resizes its share. Together they
//! count each chunk a thread works with once: in the magazine while it is
//! cached, as a spare credit while it is handed out. So a thread whose
//! batches hold up to its share of chunks at once (and a magazine) finds
//! every one of them in its own magazine, cycle after cycle.
//!
//! When a magazine lets go:
//! * at its thread's exit (the thread-local destructor), or earlier, when
//!   the thread calls `release_thread_cache` (the same steps, [`release`]);
//! * when its thread needs the slot for another allocator (least recently
//!   used of [`ENTRIES`]);
//! * at its thread's next call into any lock-free allocator after `trim`
//!   of its pool, or after its pool's last handle is gone (a process-wide
//!   counter of dead pools tells every thread to look).
//!
//! So an idle thread holds at most `ENTRIES` pools' magazines, each at
//! most `MAGAZINE` chunks (and its fair share), until it calls again or
//! exits.

use super::credits::{Credit, Spare};
use super::depot::{Cached, Depot};
use super::pool::Pool;
use super::tuning::{BATCH, ENTRIES, MAGAZINE};
use crate::alloc::home::{Body, Home};
use crate::field::FieldType;
use crate::stats::{Block, BlockId, Counter};
use crate::sync::{epoch, retired_pools, thread_local, Arc, Ordering};
use std::cell::RefCell;
use std::fmt;

thread_local! {
    static LOCAL: RefCell<ThreadCache> = const { RefCell::new(ThreadCache::new()) };
}

/// A whole chunk taken out of the cache for a request.
#[derive(Debug)]
pub(super) enum Taken {
    /// Its columns hold the rows asked for; counted as handed out, and its
    /// body has its home.
    Ready(Box<Body>),
    /// Its columns hold fewer rows: not counted, and its credit still with
    /// it, for the caller to grow (and count) or to give back.
    Small(Cached),
}

/// The pool a cached or returning body goes home to, if it is a lock-free
/// one.
#[inline(always)]
pub(super) fn pool_of(body: &Body) -> Option<&Arc<Pool>> {
    match &body.home {
        Some(Home::LockFree(pool)) => Some(pool),
        _ => None,
    }
}

/// Takes a cached whole chunk of exactly `fields` whose columns hold
/// `rows` rows if one is cached (else one that holds fewer, for the caller
/// to grow). The thread's magazine first, then a batch from the depot.
#[inline]
pub(super) fn take(pool: &Arc<Pool>, fields: &[FieldType], rows: usize) -> Option<Taken> {
    let taken = LOCAL.try_with(|cell| match cell.try_borrow_mut() {
        Ok(mut cache) => Some(cache.entry(pool).take(fields, rows)),
        Err(_) => None,
    });
    match taken {
        Ok(Some(taken)) => taken,
        _ => take_uncached(pool, fields, rows),
    }
}

/// [`take`] for a thread without its cache (thread-locals torn down).
#[cold]
fn take_uncached(pool: &Arc<Pool>, fields: &[FieldType], rows: usize) -> Option<Taken> {
    let guard = pool.pin_unregistered();
    let cached = pool.depot(&guard).pop_chunk(fields)?;
    drop(guard);
    if cached.body.rows < rows {
        return Some(Taken::Small(cached));
    }
    let Cached { mut body, credit } = cached;
    count_from_depot(pool.stats.block(BlockId::SHARED), &body);
    pool.credits.give_back(credit, body.bytes);
    body.home = Some(Home::LockFree(Arc::clone(pool)));
    Some(Taken::Ready(body))
}

/// Caches a returned body whose columns were checked (see
/// `recycle::check`): in the thread's magazine for its pool (which moves
/// older chunks on to the depot when full), else straight into the depot.
/// When the bounds leave no room the body comes back.
#[inline]
pub(super) fn put(body: Box<Body>) -> Result<(), Box<Body>> {
    let mut pending = Some(body);
    let _ = LOCAL.try_with(|cell| {
        if let Ok(mut cache) = cell.try_borrow_mut() {
            if let Some(body) = pending.take() {
                pending = match pool_of(&body) {
                    Some(pool) => cache.entry(pool).put(body).err(),
                    None => Some(body),
                };
            }
        }
    });
    match pending {
        None => Ok(()),
        Some(body) => put_uncached(body),
    }
}

/// [`put`] without a magazine: straight into the depot, with a credit
/// reserved from the counter.
#[cold]
fn put_uncached(mut body: Box<Body>) -> Result<(), Box<Body>> {
    let Some(pool) = pool_of(&body).cloned() else {
        return Err(body);
    };
    let credits = &pool.credits;
    let Some(credit) = credits.reserve_one() else {
        return Err(body);
    };
    let bytes = body.bytes;
    if credits.reserve_bytes(bytes, bytes) < bytes {
        credits.release(credit);
        return Err(body);
    }
    let home = body.home.take();
    let guard = pool.pin_unregistered();
    let depot = pool.depot(&guard);
    let pushed = depot.push_chunk(Cached { body, credit });
    pool.after_push(depot, &guard);
    drop(guard);
    match pushed {
        Ok(()) => {
            pool.stats
                .block(BlockId::SHARED)
                .add(Counter::ChunksReturned, 1);
            Ok(())
        }
        Err(Cached { mut body, credit }) => {
            credits.give_back(credit, bytes);
            body.home = home;
            Err(body)
        }
    }
}

/// Gives back a chunk [`take`] handed out as [`Taken::Small`] that the
/// caller could not grow: into the depot as it was, counting nothing (the
/// request did not happen), or freed with its credit given back when the
/// depot has no slot for its layout.
#[cold]
pub(super) fn untake(pool: &Arc<Pool>, mut cached: Cached) {
    cached.body.home = None;
    let guard = pin(pool);
    let depot = pool.depot(&guard);
    if let Err(Cached { body, credit }) = depot.push_chunk(cached) {
        pool.credits.give_back(credit, body.bytes);
    }
    pool.after_push(depot, &guard);
}

/// An epoch guard of `pool`'s collector: the thread cache's own
/// participant when there is one, else a temporary one.
pub(super) fn pin(pool: &Arc<Pool>) -> epoch::Guard {
    let guard = LOCAL.try_with(|cell| {
        let mut cache = cell.try_borrow_mut().ok()?;
        Some(cache.entry(pool).handle.pin())
    });
    match guard {
        Ok(Some(g)) => g,
        _ => pool.pin_unregistered(),
    }
}

/// Drops this thread's chunks of `pool` if `trim` ran, without making an
/// entry where there is none.
pub(super) fn refresh(pool: &Arc<Pool>) {
    let _ = LOCAL.try_with(|cell| {
        if let Ok(mut cache) = cell.try_borrow_mut() {
            if let Some(i) = cache.position(pool) {
                cache.entries[i].sync();
            }
        }
    });
}

/// [`Pool::empty_depot`] with this thread's participant in the pool's
/// epoch, or a temporary one if the thread has no entry for it.
pub(super) fn empty_depot(pool: &Arc<Pool>) {
    let done = LOCAL.try_with(|cell| {
        let cache = cell.try_borrow().ok()?;
        let i = cache.position(pool)?;
        pool.empty_depot(&cache.entries[i].handle);
        Some(())
    });
    if !matches!(done, Ok(Some(()))) {
        pool.empty_depot(&pool.register());
    }
}

/// Lets go of this thread's cache of `pool` now, as the thread's exit
/// would (see `Entry`'s `Drop`): its chunks to the depot, its spare
/// credits and budget back to the pool, and the thread no longer counted
/// among those sharing the limit. Makes no entry where there is none.
pub(super) fn release(pool: &Arc<Pool>) {
    let entry = LOCAL.try_with(|cell| {
        let mut cache = cell.try_borrow_mut().ok()?;
        let i = cache.position(pool)?;
        Some(cache.entries.remove(i))
    });
    // Dropped here, outside the borrow: a chunk the depot has no slot for
    // is freed by the flush.
    drop(entry);
}

/// Frees this thread's chunks of every allocator whose last handle is gone.
pub(super) fn forget_dead() {
    let _ = LOCAL.try_with(|cell| {
        if let Ok(mut cache) = cell.try_borrow_mut() {
            cache.retired_seen = retired_pools().load(Ordering::Acquire);
            cache.entries.retain(|e| !e.pool.abandoned());
        }
    });
}

/// Loom only: a handle that a model waits on after joining this thread.
#[cfg(chunkpool_loom)]
#[must_use]
pub fn thread_exit() -> crate::sync::ThreadExit {
    LOCAL.with(|cell| cell.borrow().exit.waiter())
}

/// One thread's magazines, one entry per allocator, most recently used first.
pub(super) struct ThreadCache {
    entries: Vec<Entry>,
    /// `retired_pools()` when this thread last looked for dead pools.
    retired_seen: usize,
    /// Fires after the entries are dropped (fields drop in order).
    #[cfg(chunkpool_loom)]
    exit: crate::sync::ExitSignal,
}

impl ThreadCache {
    #[cfg(not(chunkpool_loom))]
    const fn new() -> ThreadCache {
        ThreadCache {
            entries: Vec::new(),
            retired_seen: 0,
        }
    }

    #[cfg(chunkpool_loom)]
    fn new() -> ThreadCache {
        ThreadCache {
            entries: Vec::new(),
            retired_seen: 0,
            exit: crate::sync::ExitSignal::new(),
        }
    }

    /// This thread's entry for `pool`, up to date with the pool. The fast
    /// case: `pool` was used last, nothing changed since, and no pool died.
    #[inline(always)]
    fn entry(&mut self, pool: &Arc<Pool>) -> &mut Entry {
        let retired = retired_pools().load(Ordering::Acquire);
        let fresh = match self.entries.first() {
            Some(e) => Arc::ptr_eq(&e.pool, pool) && e.version == pool.version(),
            None => false,
        };
        if fresh && retired == self.retired_seen {
            return &mut self.entries[0];
        }
        self.entry_slow(pool, retired)
    }

    /// Where this thread's entry for `pool` is, if it has one.
    fn position(&self, pool: &Arc<Pool>) -> Option<usize> {
        self.entries.iter().position(|e| Arc::ptr_eq(&e.pool, pool))
    }

    #[cold]
    #[inline(never)]
    fn entry_slow(&mut self, pool: &Arc<Pool>, retired: usize) -> &mut Entry {
        if retired != self.retired_seen {
            // Some pool died: free what this thread holds of any dead one.
            self.retired_seen = retired;
            self.entries.retain(|e| !e.pool.abandoned());
        }
        match self.position(pool) {
            Some(i) => self.entries[..=i].rotate_right(1),
            None => {
                if self.entries.len() == ENTRIES {
                    self.entries.pop();
                }
                self.entries.insert(0, Entry::new(pool));
            }
        }
        let e = &mut self.entries[0];
        e.sync();
        e
    }
}

impl fmt::Debug for ThreadCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.entries).finish()
    }
}

/// One thread's cache for one allocator.
struct Entry {
    /// This thread's participant in the pool's epoch. Declared (so dropped)
    /// before `pool`: if `pool` is the last reference to the pool, the
    /// pool's collector must outlive this participant. Otherwise dropping
    /// the handle would drop the collector's last reference from inside
    /// crossbeam-epoch's `Local::finalize`, which frees the participant
    /// while that function still borrows it (Miri, Tree Borrows).
    handle: epoch::LocalHandle,
    pool: Arc<Pool>,
    /// Cached chunks, oldest first; each body keeps its home (this pool),
    /// so handing one out touches no shared reference count.
    magazine: Vec<Cached>,
    /// Whole-chunk credits held for the next returns.
    spare: Spare,
    /// Bytes of budget held for the next returns (only under a byte budget).
    spare_bytes: usize,
    budget: bool,
    /// The pool's `version` and `generation` when this entry last synced.
    version: usize,
    generation: usize,
    block: BlockId,
    /// The most chunks the magazine holds and spare credits kept, the two
    /// together: this thread's fair share (see the module docs).
    share: usize,
}

/// A thread's fair share: the limit split evenly, so when every thread
/// holds its share in cached chunks and spare credits, together they stay
/// within the limit; at least 1, and at most two magazines' worth (a full
/// magazine and as many chunks out).
///
/// Not half the limit, as it once was (the magazine and the spare credits
/// each held to it): a chunk is in one of the two at a time, so the halves
/// only halved what a thread keeps for itself. With 16 threads (and the
/// thread that made the allocator, 17) on the default limit of 64, a share
/// of 1 made every batch of two chunks go through the depot, and now and
/// then find it empty (`tests/thread_cache.rs`).
fn share_of(max_free_chunks: usize, threads: usize) -> usize {
    (max_free_chunks / threads.max(1)).clamp(1, 2 * MAGAZINE)
}

impl Entry {
    fn new(pool: &Arc<Pool>) -> Entry {
        let threads = pool.thread_joined(true);
        Entry {
            pool: Arc::clone(pool),
            handle: pool.register(),
            magazine: Vec::with_capacity(MAGAZINE),
            spare: Spare::new(),
            spare_bytes: 0,
            budget: pool.credits.has_budget(),
            version: pool.version(),
            generation: pool.generation(),
            block: pool.stats.claim(),
            share: share_of(pool.config().max_free_chunks(), threads),
        }
    }

    /// Catches up with the pool: drops the magazine if `trim` ran, and
    /// resizes the share to the number of threads caching for it now.
    #[cold]
    fn sync(&mut self) {
        self.version = self.pool.version();
        self.drop_if_trimmed();
        self.share = share_of(self.pool.config().max_free_chunks(), self.pool.threads());
        let cap = self.cap();
        if self.magazine.len() > cap {
            self.flush(self.magazine.len() - cap);
        }
        let room = self.share - self.magazine.len();
        self.pool.credits.release_spare(&mut self.spare, room);
    }

    /// See [`take`]. The credit of a chunk handed out stays here, spare.
    #[inline(always)]
    fn take(&mut self, fields: &[FieldType], rows: usize) -> Option<Taken> {
        if let Some(top) = self.magazine.last() {
            // It holds `rows` and not more than twice as many; a bigger one
            // may be waited for by a bigger request (the slow path picks
            // the best fit).
            if top.body.rows >= rows && top.body.rows / 2 <= rows && top.body.is(fields) {
                let i = self.magazine.len() - 1;
                return Some(Taken::Ready(self.hand_out(i)));
            }
        }
        self.take_slow(fields, rows)
    }

    #[cold]
    #[inline(never)]
    fn take_slow(&mut self, fields: &[FieldType], rows: usize) -> Option<Taken> {
        // The best fit: of the chunks that hold `rows`, the one that holds
        // the fewest (so neither is a small chunk grown while a big one
        // waits, nor a big one taken by a small request while a bigger
        // request follows); of those, the one last handed out for the
        // nearest capacity (`Body::capacity` is still what its last
        // request asked for), then the newest. So when two sizes of one
        // layout take turns, each keeps getting the chunk it wrote last,
        // whose buffers are the likelier still in cache, whatever order
        // the chunks came back in.
        let fits = |c: &Cached| c.body.rows >= rows && c.body.is(fields);
        let best = (self.magazine.iter().enumerate().rev())
            .filter(|(_, c)| fits(c))
            .min_by_key(|(_, c)| (c.body.rows, c.body.capacity.abs_diff(rows)))
            .map(|(i, _)| i);
        if let Some(i) = best {
            return Some(Taken::Ready(self.hand_out(i)));
        }
        match self.magazine.iter().rposition(|c| c.body.is(fields)) {
            Some(i) => {
                let small = self.magazine.remove(i);
                // Out of the magazine, not (yet) handed out.
                let block = self.pool.stats.block(self.block);
                block.add(Counter::MagazineFlush, 1);
                block.add(Counter::MagazineFlushBytes, small.body.bytes as u64);
                Some(Taken::Small(small))
            }
            None => self.refill(fields, rows),
        }
    }

    /// Hands out the magazine's chunk `i`, counting it. Its credit stays
    /// here, spare: the share's count is unchanged.
    #[inline(always)]
    fn hand_out(&mut self, i: usize) -> Box<Body> {
        let Cached { body, credit } = if i + 1 == self.magazine.len() {
            self.magazine.pop()
        } else {
            Some(self.magazine.remove(i))
        }
        .expect("index checked by the caller");
        let block = self.pool.stats.block(self.block);
        block.add(Counter::MagazineOut, 1);
        block.add(Counter::MagazineOutColumns, body.columns.len() as u64);
        block.add(Counter::MagazineOutBytes, body.bytes as u64);
        self.keep_credit(credit, body.bytes);
        body
    }

    /// Chunks cached here plus spare credits: at most `share`.
    #[inline(always)]
    fn held(&self) -> usize {
        self.magazine.len() + self.spare.len()
    }

    /// The most chunks the magazine holds: the share, at most `MAGAZINE`.
    #[inline(always)]
    fn cap(&self) -> usize {
        self.share.min(MAGAZINE)
    }

    /// Pops up to a batch of `fields` chunks from the depot: one for the
    /// request, the rest into the magazine (their credits travel with them).
    fn refill(&mut self, fields: &[FieldType], rows: usize) -> Option<Taken> {
        let guard = self.handle.pin();
        let depot = self.pool.depot(&guard);
        let first = depot.pop_chunk(fields)?;
        // What the share leaves once `first`'s credit is spare, and the
        // magazine has room for.
        let room = (self.share.saturating_sub(self.held() + 1))
            .min(self.cap().saturating_sub(self.magazine.len()));
        let block = self.pool.stats.block(self.block);
        for _ in 1..BATCH.min(room + 1) {
            let Some(mut cached) = depot.pop_chunk(fields) else {
                break;
            };
            block.add(Counter::MagazineRefill, 1);
            block.add(Counter::MagazineRefillBytes, cached.body.bytes as u64);
            cached.body.home = Some(Home::LockFree(Arc::clone(&self.pool)));
            self.magazine.push(cached);
        }
        drop(guard);
        if first.body.rows < rows {
            return Some(Taken::Small(first));
        }
        let Cached { mut body, credit } = first;
        count_from_depot(block, &body);
        self.keep_credit(credit, body.bytes);
        if self.held() > self.share {
            self.give_back_spare();
        }
        body.home = Some(Home::LockFree(Arc::clone(&self.pool)));
        Some(Taken::Ready(body))
    }

    /// See [`put`]: the fast case is room in the magazine and a spare
    /// credit in hand (the chunk takes its credit's place in the share).
    #[inline(always)]
    fn put(&mut self, body: Box<Body>) -> Result<(), Box<Body>> {
        if self.magazine.len() < MAGAZINE && !self.budget {
            if let Some(credit) = self.spare.take() {
                self.load(body, credit);
                return Ok(());
            }
        }
        self.put_slow(body)
    }

    #[cold]
    #[inline(never)]
    fn put_slow(&mut self, body: Box<Body>) -> Result<(), Box<Body>> {
        let credits = Arc::clone(&self.pool.credits);
        // A full magazine: room first, the oldest chunks to the depot (half
        // a magazine at once, so the next returns find room). Then, with no
        // credit in hand, the share has room too (`cap` is at most it).
        let cap = self.cap();
        if self.magazine.len() >= cap {
            let over = self.magazine.len() + 1 - cap;
            self.flush(over.max(cap / 2));
        }
        if self.spare.len() == 0 {
            let room = self.share - self.magazine.len();
            if credits.reserve_into(&mut self.spare, room) == 0 {
                return Err(body);
            }
        }
        let bytes = body.bytes;
        if self.budget && self.spare_bytes < bytes {
            let got = credits.reserve_bytes(bytes - self.spare_bytes, credits.byte_batch());
            if got == 0 {
                return Err(body);
            }
            self.spare_bytes += got;
        }
        let Some(credit) = self.spare.take() else {
            return Err(body);
        };
        if self.budget {
            self.spare_bytes -= bytes;
        }
        self.load(body, credit);
        Ok(())
    }

    /// Puts a returned body into the magazine, counting it.
    #[inline(always)]
    fn load(&mut self, body: Box<Body>, credit: Credit) {
        let block = self.pool.stats.block(self.block);
        block.add(Counter::MagazineIn, 1);
        block.add(Counter::MagazineInBytes, body.bytes as u64);
        self.magazine.push(Cached { body, credit });
    }

    /// Keeps the credit (and budget) of a chunk leaving the cache for the
    /// next return. From the magazine that leaves `held()` as it was; a
    /// chunk from the depot adds one, which `refill` gives back if it is
    /// over the share.
    #[inline(always)]
    fn keep_credit(&mut self, credit: Credit, bytes: usize) {
        self.spare.keep(credit);
        if self.budget {
            self.spare_bytes += bytes;
            let batch = self.pool.credits.byte_batch();
            if self.spare_bytes > 2 * batch {
                self.pool.credits.release_bytes(self.spare_bytes - batch);
                self.spare_bytes = batch;
            }
        }
    }

    #[cold]
    fn give_back_spare(&mut self) {
        let room = self.share.saturating_sub(self.magazine.len());
        let keep = self.pool.credits.credit_batch().min(room);
        self.pool.credits.release_spare(&mut self.spare, keep);
    }

    /// Moves the `n` oldest cached chunks to the depot (or frees them when
    /// the depot has no slot for their layout).
    fn flush(&mut self, n: usize) {
        let n = n.min(self.magazine.len());
        if n == 0 {
            return;
        }
        let guard = self.handle.pin();
        let depot: &Depot = self.pool.depot(&guard);
        // A `trim` this entry has not synced with emptied its magazine:
        // free it, as `sync` does, rather than hand trimmed chunks to the
        // depot `trim` put in place (this thread's exit, or
        // `release_thread_cache`, comes here without a sync). Read after the
        // depot: `trim` bumps the generation before it swaps the depot, so
        // a depot read from its swap comes with the new generation; a push
        // into the depot it swaps out is emptied by `after_push` below.
        if self.drop_if_trimmed() {
            return;
        }
        let block = self.pool.stats.block(self.block);
        let credits = &self.pool.credits;
        for mut cached in self.magazine.drain(..n) {
            block.add(Counter::MagazineFlush, 1);
            block.add(Counter::MagazineFlushBytes, cached.body.bytes as u64);
            // The depot belongs to the pool: a body there keeps no home.
            cached.body.home = None;
            if let Err(Cached { body, credit }) = depot.push_chunk(cached) {
                block.add(Counter::DiscardedOverLimit, body.columns.len() as u64);
                credits.give_back(credit, body.bytes);
            }
        }
        // Like every other push: if `trim` or the last handle emptied this
        // depot meanwhile, empty it again now (see `Pool::after_push`), so
        // nothing flushed waits in it for the allocator to be freed.
        self.pool.after_push(depot, &guard);
    }

    /// Frees everything cached here and gives back its credits.
    /// Frees the magazine if `trim` ran since this entry last looked, and
    /// catches up with it; whether it had. `sync` and `flush` both look.
    fn drop_if_trimmed(&mut self) -> bool {
        let generation = self.pool.generation();
        let behind = generation != self.generation;
        if behind {
            self.generation = generation;
            self.drop_all();
        }
        behind
    }

    fn drop_all(&mut self) {
        let block = self.pool.stats.block(self.block);
        let credits = &self.pool.credits;
        for Cached { body, credit } in self.magazine.drain(..) {
            block.add(Counter::MagazineFlush, 1);
            block.add(Counter::MagazineFlushBytes, body.bytes as u64);
            credits.give_back(credit, body.bytes);
        }
    }
}

/// Counts a whole chunk handed out straight from the depot.
fn count_from_depot(block: &Block, body: &Body) {
    block.add(Counter::ChunksAllocated, 1);
    block.add(Counter::ChunksFromCache, 1);
    block.add(Counter::ColumnsReused, body.columns.len() as u64);
}

impl Drop for Entry {
    fn drop(&mut self) {
        // A magazine `trim` emptied is freed by `flush`, not handed on.
        if self.pool.abandoned() {
            self.drop_all();
        } else {
            self.flush(self.magazine.len());
        }
        let credits = &self.pool.credits;
        credits.release_spare(&mut self.spare, 0);
        credits.release_bytes(std::mem::take(&mut self.spare_bytes));
        self.pool.stats.release(self.block);
        self.pool.thread_joined(false);
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("cached", &self.magazine.len())
            .field("spare_credits", &self.spare.len())
            .field("share", &self.share)
            .finish_non_exhaustive()
    }
}
