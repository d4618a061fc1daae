//! The bounds of one lock-free allocator: whole-chunk credits, loose
//! columns per size class, the byte budget, and the size-class table.
//!
//! # The credit rule
//! Whoever holds a cached chunk holds one [`Credit`] for it: a chunk is
//! cached (in a thread cache or the depot) only together with a credit, and
//! credits come from one counter, `chunk_credits`, through a bounded atomic
//! reservation that no interleaving can push past `max_free_chunks`.
//! Thread caches reserve credits in batches and keep the unused ones in a
//! [`Spare`]; both types must be spent or given back, never dropped: in
//! builds with debug assertions (the tests and the loom models) dropping one
//! panics, so a path that loses a credit fails loudly instead of shrinking
//! the cache for good. In release builds they are a zero-sized token and a
//! count.
//!
//! The byte budget works the same way in bytes (plain counts, not tokens);
//! loose columns reserve one at a time. A chunk or column is charged what
//! it costs on the heap while cached: its buffers, its records and its
//! queue slot (`depot.rs` computes the charge once, when it is checked).
//!
//! # Synchronization
//! | atomic | ordering | why that is enough |
//! |---|---|---|
//! | `chunk_credits`, `columns[_]`, `budget_used` | `Relaxed` RMW | a bound needs only atomicity: each reservation is one read-modify-write that checks and adds together, so the sum never passes the limit; the credits guard no memory (the queues synchronise what they carry) |
//! | `class_codes[_]` | `AcqRel` CAS / `Acquire` load | a class is claimed once and never changes; readers only compare the code |
//! | the statistics gauges | `Relaxed` | tallies for [`Stats`](crate::Stats); nothing depends on them |

use super::tuning::CLASSES;
use crate::alloc::budget::{Charge, MemoryBudget};
use crate::config::PoolConfig;
use crate::field::FieldType;
use crate::stats::CachedColumns;
use crate::sync::{AtomicUsize, CachePadded, Ordering, StatGauge};
use std::fmt;
// The budget is the user's `Arc` (see `alloc/budget.rs`).
use std::sync::Arc;

/// The right to keep one whole chunk cached; see the module docs.
#[must_use = "a credit must be spent (kept with a cached chunk) or given back"]
#[derive(Debug)]
pub(super) struct Credit(());

#[cfg(debug_assertions)]
impl Drop for Credit {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("chunkpool: a whole-chunk credit was dropped instead of given back");
        }
    }
}

impl Credit {
    /// Ends a credit whose count the caller has just given back (or moved
    /// into a [`Spare`]).
    #[inline(always)]
    fn retire(self) {
        std::mem::forget(self);
    }
}

/// Whole-chunk credits a thread cache holds for its next returns.
#[derive(Debug)]
pub(super) struct Spare(usize);

#[cfg(debug_assertions)]
impl Drop for Spare {
    fn drop(&mut self) {
        if self.0 != 0 && !std::thread::panicking() {
            panic!(
                "chunkpool: {} spare credits were dropped instead of given back",
                self.0
            );
        }
    }
}

impl Spare {
    pub(super) const fn new() -> Spare {
        Spare(0)
    }

    /// Unused credits held.
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.0
    }

    /// One credit out of the spare ones, if any.
    #[inline(always)]
    pub(super) fn take(&mut self) -> Option<Credit> {
        if self.0 == 0 {
            return None;
        }
        self.0 -= 1;
        Some(Credit(()))
    }

    /// Keeps the credit of a chunk that left the cache for the next return.
    #[inline(always)]
    pub(super) fn keep(&mut self, credit: Credit) {
        credit.retire();
        self.0 += 1;
    }
}

/// Bounds and counters shared by every depot of one allocator.
pub(super) struct Credits {
    config: PoolConfig,
    /// The engine's memory budget, if the allocator was given one.
    budget: Option<Arc<dyn MemoryBudget>>,
    /// Element size code of each class (0 = unclaimed; class 0 is variable width).
    class_codes: [AtomicUsize; CLASSES],
    chunk_credits: CachePadded<AtomicUsize>,
    columns: CachePadded<[AtomicUsize; CLASSES]>,
    /// Bytes reserved against the budget; untouched when there is none.
    budget_used: CachePadded<AtomicUsize>,
    /// Exact contents of depots, for statistics.
    pub(super) depot_chunks: StatGauge,
    pub(super) depot_bytes: StatGauge,
    loose_bytes: StatGauge,
    /// Derived from the config once: the hot path reads them every time.
    credit_batch: usize,
    byte_batch: usize,
}

/// Takes between `min` and `max` from what `counter` has left under
/// `limit`, but no more than a quarter of what is left (unless `min` needs
/// more): 0 when even `min` does not fit. The reservation a cache push must
/// win before it pushes, so concurrent pushers can never together exceed a
/// bound; the quarter keeps a few threads taking batches from starving the
/// rest (with 16 threads and 64 credits, every thread still gets some).
#[cfg(not(chunkpool_loom_mutant))]
fn reserve_range(counter: &AtomicUsize, min: usize, max: usize, limit: usize) -> usize {
    // What was taken is computed from the value the successful update saw:
    // the closure may run several times, and only its last run counts.
    let take = |cur: usize| {
        let room = limit.saturating_sub(cur);
        (room >= min).then(|| (room / 4).clamp(min, max.max(min)))
    };
    match counter.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |cur| {
        take(cur).map(|got| cur + got)
    }) {
        Ok(prev) => take(prev).unwrap_or(0),
        Err(_) => 0,
    }
}

/// Planted bug for the loom mutant check: check, then add, not atomically.
#[cfg(chunkpool_loom_mutant)]
fn reserve_range(counter: &AtomicUsize, min: usize, max: usize, limit: usize) -> usize {
    let room = limit.saturating_sub(counter.load(Ordering::Relaxed));
    if room < min {
        return 0;
    }
    let got = (room / 4).clamp(min, max.max(min));
    counter.fetch_add(got, Ordering::Relaxed);
    got
}

impl Credits {
    pub(super) fn new(config: PoolConfig, budget: Option<Arc<dyn MemoryBudget>>) -> Credits {
        Credits {
            config,
            budget,
            class_codes: std::array::from_fn(|_| AtomicUsize::new(0)),
            chunk_credits: CachePadded::new(AtomicUsize::new(0)),
            columns: CachePadded::new(std::array::from_fn(|_| AtomicUsize::new(0))),
            budget_used: CachePadded::new(AtomicUsize::new(0)),
            depot_chunks: StatGauge::new(0),
            depot_bytes: StatGauge::new(0),
            loose_bytes: StatGauge::new(0),
            credit_batch: (config.max_free_chunks() / 8).clamp(1, 8),
            byte_batch: config.byte_budget().map_or(0, |b| (b / 8).min(64 * 1024)),
        }
    }

    pub(super) fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// The engine's memory budget, if any.
    pub(super) fn budget(&self) -> Option<&Arc<dyn MemoryBudget>> {
        self.budget.as_ref()
    }

    /// An empty charge to the memory budget (inactive without one).
    pub(super) fn charge(&self) -> Charge {
        Charge::to(self.budget.as_ref())
    }

    /// The class of `field`, if one is claimed.
    pub(super) fn class_of(&self, field: FieldType) -> Option<usize> {
        if field.is_var() {
            return Some(0);
        }
        let code = field.code();
        for (i, slot) in self.class_codes.iter().enumerate().skip(1) {
            match slot.load(Ordering::Acquire) {
                0 => return None,
                c if c == code => return Some(i),
                _ => {}
            }
        }
        None
    }

    /// The class of `field`, claiming a free one if needed; `None` when all
    /// are taken by other sizes.
    pub(super) fn class_or_claim(&self, field: FieldType) -> Option<usize> {
        if field.is_var() {
            return Some(0);
        }
        let code = field.code();
        for (i, slot) in self.class_codes.iter().enumerate().skip(1) {
            let cur = match slot.compare_exchange(0, code, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(i),
                Err(cur) => cur,
            };
            if cur == code {
                return Some(i);
            }
        }
        None
    }

    /// How many credits a thread cache reserves at once: an eighth of the
    /// limit, between 1 and 8.
    #[inline]
    pub(super) fn credit_batch(&self) -> usize {
        self.credit_batch
    }

    /// Adds up to `want` credits (at least one if any is left) to `spare`;
    /// how many it got. A thread cache asks for an eighth of the limit at
    /// most (between 1 and 8), so idle credits never keep much from others.
    pub(super) fn reserve_into(&self, spare: &mut Spare, want: usize) -> usize {
        let want = want.min(self.credit_batch);
        let got = reserve_range(&self.chunk_credits, 1, want, self.config.max_free_chunks());
        spare.0 += got;
        got
    }

    /// One credit straight from the counter, for a chunk cached without a
    /// thread cache.
    pub(super) fn reserve_one(&self) -> Option<Credit> {
        let got = reserve_range(&self.chunk_credits, 1, 1, self.config.max_free_chunks());
        if got == 1 {
            Some(Credit(()))
        } else {
            None
        }
    }

    /// Gives back what a cached chunk of `bytes` held: its credit and its
    /// share of the byte budget.
    #[inline]
    pub(super) fn give_back(&self, credit: Credit, bytes: usize) {
        self.release_bytes(bytes);
        self.release(credit);
    }

    /// Gives back the credit of a chunk that leaves the cache for good.
    pub(super) fn release(&self, credit: Credit) {
        credit.retire();
        self.chunk_credits.fetch_sub(1, Ordering::Relaxed);
    }

    /// Gives back the spare credits above `keep`.
    pub(super) fn release_spare(&self, spare: &mut Spare, keep: usize) {
        if spare.0 > keep {
            self.chunk_credits
                .fetch_sub(spare.0 - keep, Ordering::Relaxed);
            spare.0 = keep;
        }
    }

    /// Whole-chunk credits reserved now.
    pub(super) fn reserved_chunks(&self) -> usize {
        self.chunk_credits.load(Ordering::Relaxed)
    }

    /// Whether a byte budget is set (thread caches then hold byte credits).
    #[inline]
    pub(super) fn has_budget(&self) -> bool {
        self.config.byte_budget().is_some()
    }

    /// Bytes of budget a thread cache takes at once: an eighth of the
    /// budget, at most 64 KiB.
    pub(super) fn byte_batch(&self) -> usize {
        self.byte_batch
    }

    /// With a byte budget: takes at least `need` and up to `want` bytes of it,
    /// or nothing (returns 0) when `need` does not fit. Without a budget
    /// there is nothing to count: returns `want` untouched.
    pub(super) fn reserve_bytes(&self, need: usize, want: usize) -> usize {
        match self.config.byte_budget() {
            Some(budget) => reserve_range(&self.budget_used, need, want.max(need), budget),
            None => want.max(need),
        }
    }

    pub(super) fn release_bytes(&self, n: usize) {
        if self.config.byte_budget().is_some() && n > 0 {
            self.budget_used.fetch_sub(n, Ordering::Relaxed);
        }
    }

    /// Bytes reserved against the budget now (0 without one).
    pub(super) fn budget_reserved(&self) -> usize {
        self.budget_used.load(Ordering::Relaxed)
    }

    /// Reserves room for one loose column of class `class`.
    pub(super) fn reserve_column(&self, class: usize, bytes: usize) -> bool {
        if self.reserve_bytes(bytes, bytes) < bytes {
            return false;
        }
        if reserve_range(&self.columns[class], 1, 1, self.config.max_free_columns()) == 1 {
            self.loose_bytes.fetch_add(bytes, Ordering::Relaxed);
            true
        } else {
            self.release_bytes(bytes);
            false
        }
    }

    pub(super) fn release_column(&self, class: usize, bytes: usize) {
        self.columns[class].fetch_sub(1, Ordering::Relaxed);
        self.loose_bytes.fetch_sub(bytes, Ordering::Relaxed);
        self.release_bytes(bytes);
    }

    /// Loose columns reserved now, per size class (class 0 is variable
    /// width; an unclaimed class has none).
    pub(super) fn loose_columns(&self) -> CachedColumns {
        CachedColumns::from_counts(self.columns.iter().enumerate().filter_map(|(class, n)| {
            let field = if class == 0 {
                FieldType::VAR
            } else {
                match self.class_codes[class].load(Ordering::Acquire) {
                    0 => return None,
                    code => FieldType::from_code(code),
                }
            };
            Some((field, n.load(Ordering::Relaxed)))
        }))
    }

    /// (whole chunks, loose columns, bytes) in depots now.
    pub(super) fn retained(&self) -> (usize, usize, usize) {
        let cols = self.columns.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        (
            self.depot_chunks.load(Ordering::Relaxed),
            cols,
            self.depot_bytes.load(Ordering::Relaxed) + self.loose_bytes.load(Ordering::Relaxed),
        )
    }
}

impl fmt::Debug for Credits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (chunks, columns, bytes) = self.retained();
        f.debug_struct("Credits")
            .field("reserved_chunks", &self.reserved_chunks())
            .field("depot_chunks", &chunks)
            .field("loose_columns", &columns)
            .field("depot_bytes", &bytes)
            .finish()
    }
}
