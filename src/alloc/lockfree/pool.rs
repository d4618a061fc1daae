//! What every handle, every chunk and every thread cache of one lock-free
//! allocator share: the bounds, the current depot, the epoch collector that
//! reclaims replaced depots, the statistics, and the control words the
//! thread caches watch.
//!
//! # Synchronization
//! | atomic | ordering | why |
//! |---|---|---|
//! | `depot` | `Acquire` load / `AcqRel` swap, under a guard of `collector` | a replaced depot is freed only after every thread that could have loaded it has unpinned |
//! | `handles` | `AcqRel` decrement, `Acquire` load | the thread that takes it to 0 empties the cache; a returning chunk that then sees 0 frees instead of caching |
//! | `version` | `Release` bump, `Acquire` load | bumped after `generation`, `threads` or `handles` change, so a thread cache that sees a new version re-reads them |
//! | `generation` | `Release` / `Acquire` | bumped by `trim`: thread caches drop what they hold |
//! | `threads` | `Relaxed` | sizes fair shares only; no bound depends on it |
//!
//! # Nothing is left behind in a depot being emptied
//! `trim` and the last handle empty a depot while other threads may still
//! push to it. Both sides put a `SeqCst` fence between their write and
//! their read: the emptier swaps the depot pointer (or takes `handles` to
//! 0), fences, then pops everything; a pusher pushes, fences
//! ([`Pool::after_push`]), then reads the pointer and `handles`. In the
//! single total order of the two fences, if the pusher's comes first the
//! emptier's pops see its push; otherwise the pusher's reads see the swap
//! (or the 0) and it empties the depot itself. Either way nothing pushed
//! stays in an old or abandoned depot, so its memory comes back at once,
//! not when the epoch frees the shell.

use super::credits::Credits;
use super::depot::Depot;
use super::tuning::RECLAIM_ROUNDS;
use crate::alloc::budget::MemoryBudget;
use crate::config::PoolConfig;
use crate::stats::{Counters, Stats};
use crate::sync::{
    epoch, fence, retired_pools, Arc, AtomicUsize, CachePadded, Ordering, StatGauge,
};
use std::fmt;
// The budget is the user's `Arc` (see `alloc/budget.rs`).
use std::sync::Arc as StdArc;

/// The shared state of one lock-free allocator.
pub(crate) struct Pool {
    pub(super) credits: Arc<Credits>,
    /// The current depot; replaced whole by `trim`.
    depot: epoch::Atomic<Depot>,
    /// Reclaims replaced depots. One per allocator, so that what it defers
    /// is freed at the latest when the allocator is, and so that no thread
    /// ever pins crossbeam's process-wide collector on the crate's behalf.
    collector: epoch::Collector,
    pub(super) stats: Counters,
    control: CachePadded<Control>,
    /// Chunks exported to Arrow and not yet home (`Stats::exported_chunks`).
    #[cfg(feature = "arrow")]
    pub(crate) exported: StatGauge,
    /// See [`Pool::var_row_bytes`]. A hint that no bound or protocol
    /// depends on, hence a statistics gauge.
    var_row_bytes: StatGauge,
}

/// Read-mostly words every operation may glance at.
struct Control {
    /// Live `LockFreeAllocator` handles; 0 means the allocator is abandoned.
    handles: AtomicUsize,
    /// Changes whenever one of the words below or `handles` reaching 0
    /// does: a thread cache compares this one word on its fast path.
    version: AtomicUsize,
    /// Bumped by `trim`; a thread cache that sees it change drops its chunks.
    generation: AtomicUsize,
    /// Threads with a cache entry for this allocator (fair shares only).
    threads: StatGauge,
}

impl Pool {
    pub(super) fn new(config: PoolConfig, budget: Option<StdArc<dyn MemoryBudget>>) -> Pool {
        let credits = Arc::new(Credits::new(config, budget));
        Pool {
            depot: epoch::Atomic::new(Depot::new(Arc::clone(&credits))),
            credits,
            collector: epoch::Collector::new(),
            stats: Counters::new(),
            control: CachePadded::new(Control {
                handles: AtomicUsize::new(1),
                version: AtomicUsize::new(0),
                generation: AtomicUsize::new(0),
                threads: StatGauge::new(0),
            }),
            #[cfg(feature = "arrow")]
            exported: StatGauge::new(0),
            var_row_bytes: StatGauge::new(0),
        }
    }

    /// The data bytes a row a new variable-width column is made with: what
    /// the widest variable-width column of the chunk that last came home
    /// and was checked in full (its first return, or one after its columns
    /// changed) had room for, 0 (the usual 8) until one did. So the first
    /// chunks of a workload of wide text grow through a chain of doublings
    /// (and leave the buffers they outgrew to the global allocator), and
    /// the chunks made after them start at the size they will reach. At
    /// most `PoolConfig::max_cached_var_bytes_per_row` (so a new column is
    /// one the pool may cache; 0, so the usual 8, under `PoolConfig::tidb`,
    /// which has no per-row limit): a column under the 16 KiB floor may
    /// have far more a row (a one-row chunk of 10 KiB of text), which a
    /// request for thousands of rows must not be made with.
    ///
    /// Always 0 under a byte budget or a `MemoryBudget`: there a new chunk
    /// is charged what it is made with before it is handed out, and a
    /// bigger start could be refused where growing later is not.
    #[inline]
    pub(super) fn var_row_bytes(&self) -> usize {
        if self.credits.has_budget() || self.credits.budget().is_some() {
            return 0;
        }
        (self.var_row_bytes.load(Ordering::Relaxed))
            .min(self.config().max_cached_var_bytes_per_row())
    }

    /// Records what a variable-width column coming home had room for, a
    /// row (see [`Pool::var_row_bytes`]).
    pub(super) fn saw_var_row_bytes(&self, bytes: usize) {
        self.var_row_bytes.store(bytes, Ordering::Relaxed);
    }

    #[inline]
    pub(super) fn config(&self) -> &PoolConfig {
        self.credits.config()
    }

    /// A participant of this pool's epoch, for a thread cache to keep.
    pub(super) fn register(&self) -> epoch::LocalHandle {
        self.collector.register()
    }

    /// A guard for a thread with no cache entry (its thread-locals are
    /// being torn down): registers for the duration of the guard.
    pub(super) fn pin_unregistered(&self) -> epoch::Guard {
        self.collector.register().pin()
    }

    /// The current depot, kept alive by `guard`, which must be a guard of
    /// this pool's collector.
    #[inline]
    pub(super) fn depot<'g>(&self, guard: &'g epoch::Guard) -> &'g Depot {
        debug_assert!(guard.collector().is_some_and(|c| c == &self.collector));
        // The pointer is set at construction, replaced only by a swap with a
        // new depot, and nulled only in `drop`, which no caller can overlap.
        // SAFETY: so it is never null here, and `guard` keeps it alive for 'g.
        unsafe { self.depot.load(Ordering::Acquire, guard).deref() }
    }

    /// Replaces the depot with an empty one and empties the old one now
    /// (`trim`, or the last handle gone). The old shell goes to the epoch;
    /// [`RECLAIM_ROUNDS`] pin-and-flush rounds on `handle` let the epoch
    /// advance twice and free it before this returns, unless another thread of this
    /// allocator is pinned right now (then it is freed later, at the latest
    /// with the allocator).
    pub(super) fn empty_depot(&self, handle: &epoch::LocalHandle) {
        self.replace_depot(&handle.pin());
        // (Not a `0..RECLAIM_ROUNDS` loop: under loom the range is empty,
        // which clippy refuses.)
        std::iter::repeat(())
            .take(RECLAIM_ROUNDS)
            .for_each(|()| handle.pin().flush());
    }

    /// Replaces the depot with an empty one and empties the old one now;
    /// its shell is freed once no thread can still be inside it.
    fn replace_depot(&self, guard: &epoch::Guard) {
        let fresh = epoch::Owned::new(Depot::new(Arc::clone(&self.credits)));
        let old = self.depot.swap(fresh, Ordering::AcqRel, guard);
        fence(Ordering::SeqCst);
        // SAFETY: `old` was the current depot, non-null (see `depot`), and
        // `guard` was pinned before the swap, so it is not freed before
        // `guard` is dropped.
        let old_ref = unsafe { old.deref() };
        old_ref.drain();
        // SAFETY: only this swap unlinked `old`, so it is deferred once, and
        // no thread can load it any more; those that loaded it earlier are
        // pinned, and the epoch frees it only after all of them unpin.
        unsafe { guard.defer_destroy(old) };
        guard.flush();
    }

    /// Called after pushing to `depot` (loaded under `guard`): empties it
    /// if `trim` replaced it or the allocator was abandoned meanwhile (see
    /// the module docs).
    pub(super) fn after_push(&self, depot: &Depot, guard: &epoch::Guard) {
        fence(Ordering::SeqCst);
        let current = self.depot.load(Ordering::Acquire, guard);
        if !std::ptr::eq(current.as_raw(), depot) || self.abandoned() {
            depot.drain();
        }
    }

    #[inline]
    pub(super) fn version(&self) -> usize {
        self.control.version.load(Ordering::Acquire)
    }

    pub(super) fn generation(&self) -> usize {
        self.control.generation.load(Ordering::Acquire)
    }

    fn bump_version(&self) {
        self.control.version.fetch_add(1, Ordering::Release);
    }

    /// `trim` ran: thread caches drop what they hold when they next look.
    pub(super) fn bump_generation(&self) {
        self.control.generation.fetch_add(1, Ordering::Release);
        self.bump_version();
    }

    /// Threads caching for this allocator now.
    pub(super) fn threads(&self) -> usize {
        self.control.threads.load(Ordering::Relaxed)
    }

    /// A thread starts (`true`) or stops caching for this allocator;
    /// returns the new count.
    pub(super) fn thread_joined(&self, joined: bool) -> usize {
        let now = if joined {
            self.control.threads.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.control.threads.fetch_sub(1, Ordering::Relaxed) - 1
        };
        self.bump_version();
        now
    }

    pub(super) fn handle_cloned(&self) {
        self.control.handles.fetch_add(1, Ordering::Relaxed);
    }

    /// A handle is gone; true when it was the last (the allocator is
    /// abandoned from now on, and every thread cache is told).
    pub(super) fn handle_dropped(&self) -> bool {
        if self.control.handles.fetch_sub(1, Ordering::AcqRel) != 1 {
            return false;
        }
        self.bump_version();
        retired_pools().fetch_add(1, Ordering::Release);
        true
    }

    /// True once every handle is gone: nobody can allocate from it again.
    #[inline]
    pub(super) fn abandoned(&self) -> bool {
        self.control.handles.load(Ordering::Acquire) == 0
    }

    pub(super) fn stats(&self) -> Stats {
        let (chunks, _, bytes) = self.credits.retained();
        // One read of the per-class counts, so `retained_columns` is their
        // sum in every snapshot.
        let cached_columns = self.credits.loose_columns();
        let held = self.stats.snapshot();
        Stats {
            retained_chunks: held.retained_chunks + chunks,
            retained_columns: cached_columns.total(),
            cached_columns,
            retained_bytes: held.retained_bytes + bytes,
            reserved_chunks: self.credits.reserved_chunks(),
            budget_reserved: self.credits.budget_reserved(),
            #[cfg(feature = "arrow")]
            exported_chunks: self.exported.load(Ordering::Relaxed),
            ..held
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        let depot = std::mem::replace(&mut self.depot, epoch::Atomic::null());
        // Depots replaced by `trim` belong to the collector, which frees
        // them when it is dropped right after this; this one came from
        // `Owned` and only this drop takes it back.
        // SAFETY: `&mut self`: no handle, chunk or pinned thread can reach it.
        drop(unsafe { depot.into_owned() });
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("config", self.config())
            .field("stats", &self.stats())
            .finish()
    }
}
