//! The lock-free allocator's shared cache: whole chunks queued per layout,
//! loose columns queued per size class, and the counters that bound them.
//!
//! A [`Depot`] is replaced as a unit by `trim`; the old one is reclaimed with
//! crossbeam-epoch once no thread can still be inside it. The [`Accounting`]
//! outlives every depot, so bounds hold across a swap: buffers in a depot
//! waiting for reclamation still count until they are freed.

use super::layout::{Fit, KeyAcc, LayoutKey};
use crate::chunk::Slot;
use crate::column::Column;
use crate::config::PoolConfig;
use crate::field::FieldType;
use crate::sync::{Arc, AtomicPtr, AtomicUsize, CachePadded, Ordering, SegQueue, StatGauge};
use std::fmt;

/// Distinct whole-chunk layouts one depot caches; further layouts fall back
/// to loose columns until the next `trim`.
pub(crate) const LAYOUTS: usize = 8;

/// Column size classes: class 0 is variable width, the others are claimed by
/// the first fixed element sizes seen, for the allocator's lifetime.
pub(crate) const CLASSES: usize = 16;

/// Retention counters and the class table, shared by every depot of one
/// allocator.
///
/// Whole chunks are bounded through *credits*: `chunk_credits` counts every
/// whole chunk cached anywhere (depot or a thread cache) plus credits a
/// thread cache holds unused. A chunk is cached only with a credit in hand,
/// and credits are taken from the counter with a bounded atomic reservation,
/// so no interleaving can exceed `max_free_chunks`. Thread caches take and
/// give credits in batches, keeping the counter off the hot path. The byte
/// budget works the same way in bytes. Loose columns reserve one at a time.
pub(crate) struct Accounting {
    config: PoolConfig,
    /// Element size code of each class (0 = unclaimed; class 0 is variable width).
    class_codes: [AtomicUsize; CLASSES],
    chunk_credits: CachePadded<AtomicUsize>,
    columns: CachePadded<[AtomicUsize; CLASSES]>,
    /// Bytes reserved against the budget; untouched when there is none.
    budget_used: CachePadded<AtomicUsize>,
    /// Exact contents of depots, for statistics.
    depot_chunks: StatGauge,
    depot_bytes: StatGauge,
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
    // the closure may run several times, and a value it computed on an
    // attempt whose CAS then failed must not count (found by loom: a retry
    // that returned `None` used to leave the earlier attempt's amount in a
    // captured variable, handing out a credit the counter never recorded).
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

impl Accounting {
    pub(crate) fn new(config: PoolConfig) -> Accounting {
        Accounting {
            config,
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

    /// The class of `field`, if one is claimed.
    pub(crate) fn class_of(&self, field: FieldType) -> Option<usize> {
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
    pub(crate) fn class_or_claim(&self, field: FieldType) -> Option<usize> {
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

    /// How many whole-chunk credits a thread cache takes at once: an eighth
    /// of the limit, between 1 and 8, so idle credits held by threads never
    /// keep much of the limit from others.
    #[inline]
    pub(crate) fn credit_batch(&self) -> usize {
        self.credit_batch
    }

    /// Bytes of budget a thread cache takes at once: an eighth of the
    /// budget, at most 64 KiB.
    #[inline]
    pub(crate) fn byte_batch(&self) -> usize {
        self.byte_batch
    }

    /// Takes up to `want` whole-chunk credits; how many it got.
    pub(crate) fn reserve_chunks(&self, want: usize) -> usize {
        reserve_range(&self.chunk_credits, 1, want, self.config.max_free_chunks())
    }

    pub(crate) fn release_chunks(&self, n: usize) {
        if n > 0 {
            self.chunk_credits.fetch_sub(n, Ordering::Relaxed);
        }
    }

    /// With a byte budget: takes at least `need` and up to `want` bytes of it,
    /// or nothing (returns 0) when `need` does not fit. Without a budget
    /// there is nothing to count: returns `want` untouched.
    pub(crate) fn reserve_bytes(&self, need: usize, want: usize) -> usize {
        match self.config.byte_budget() {
            Some(budget) => reserve_range(&self.budget_used, need, want.max(need), budget),
            None => want.max(need),
        }
    }

    pub(crate) fn release_bytes(&self, n: usize) {
        if self.config.byte_budget().is_some() && n > 0 {
            self.budget_used.fetch_sub(n, Ordering::Relaxed);
        }
    }

    /// Whole-chunk credits reserved now.
    pub(crate) fn reserved_chunks(&self) -> usize {
        self.chunk_credits.load(Ordering::Relaxed)
    }

    /// Bytes reserved against the budget now (0 without one).
    pub(crate) fn budget_reserved(&self) -> usize {
        self.budget_used.load(Ordering::Relaxed)
    }

    /// Whether a byte budget is set (thread caches then hold byte credits).
    pub(crate) fn has_budget(&self) -> bool {
        self.config.byte_budget().is_some()
    }

    /// Reserves room for one loose column of class `class`.
    fn try_reserve_column(&self, class: usize, bytes: usize) -> bool {
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

    fn release_column(&self, class: usize, bytes: usize) {
        self.columns[class].fetch_sub(1, Ordering::Relaxed);
        self.loose_bytes.fetch_sub(bytes, Ordering::Relaxed);
        self.release_bytes(bytes);
    }

    /// (whole chunks, loose columns, bytes) in depots now.
    pub(crate) fn retained(&self) -> (usize, usize, usize) {
        let cols = self.columns.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        (
            self.depot_chunks.load(Ordering::Relaxed),
            cols,
            self.depot_bytes.load(Ordering::Relaxed) + self.loose_bytes.load(Ordering::Relaxed),
        )
    }

    pub(crate) fn config(&self) -> &PoolConfig {
        &self.config
    }
}

impl fmt::Debug for Accounting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (chunks, columns, bytes) = self.retained();
        f.debug_struct("Accounting")
            .field("depot_chunks", &chunks)
            .field("loose_columns", &columns)
            .field("depot_bytes", &bytes)
            .finish()
    }
}

/// A cached whole chunk: its column list (every slot owned, every column
/// reset), its layout key, the rows every column holds without growing, and
/// its bytes. Whoever holds a `Body` outside a chunk holds one whole-chunk
/// credit for it (and, under a byte budget, `bytes` of budget).
pub(crate) struct Body {
    pub(crate) columns: Vec<Slot>,
    pub(crate) key: LayoutKey,
    pub(crate) rows: usize,
    pub(crate) bytes: usize,
}

impl Body {
    /// Resets every column of a dropped chunk for the cache and wraps them
    /// up, or gives the list back (some columns possibly reset) when one
    /// must not be cached whole: still shared, marked `avoid_reusing`, or
    /// variable width with more than `max_var_bytes` of data. One pass over
    /// the columns computes the key, the bytes and the rows too.
    #[inline(always)]
    pub(crate) fn prepare(mut columns: Vec<Slot>, max_var_bytes: usize) -> Result<Body, Vec<Slot>> {
        let (mut bytes, mut rows, mut acc) = (0, usize::MAX, KeyAcc::new());
        for slot in &mut columns {
            let Slot::Own(c) = slot else {
                return Err(columns);
            };
            match c.prepare_for_cache(max_var_bytes) {
                Ok((b, r)) => {
                    bytes += b;
                    rows = rows.min(r);
                    acc.push(c.field_type());
                }
                Err(_) => return Err(columns),
            }
        }
        let key = acc
            .finish(columns.len())
            .unwrap_or_else(|| LayoutKey::of(columns.iter().map(|s| s.get().field_type())));
        Ok(Body {
            columns,
            key,
            rows,
            bytes,
        })
    }

    /// [`Body::prepare`] for a chunk that remembers its layout: one pass
    /// that resets the columns and adds up their bytes, giving the list
    /// back (some columns possibly reset) for `prepare` when a column is
    /// shared, retyped, marked `avoid_reusing` or oversized.
    #[inline(always)]
    pub(crate) fn prepare_unchanged(
        mut columns: Vec<Slot>,
        fit: Fit,
        max_var_bytes: usize,
    ) -> Result<Body, Vec<Slot>> {
        let mut bytes = 0;
        for slot in &mut columns {
            let Slot::Own(c) = slot else {
                return Err(columns);
            };
            match c.prepare_unchanged(max_var_bytes) {
                Some(b) => bytes += b,
                None => return Err(columns),
            }
        }
        Ok(Body {
            columns,
            key: fit.key,
            rows: fit.rows,
            bytes,
        })
    }

    /// Whether this is a chunk of exactly `fields` (whose key is `key`).
    #[inline]
    pub(crate) fn is(&self, key: LayoutKey, fields: &[FieldType]) -> bool {
        self.key.matches(
            key,
            self.columns.iter().map(|s| s.get().field_type()),
            fields,
        )
    }
}

/// The layout a [`LayoutSlot`] caches.
struct SlotLayout {
    key: LayoutKey,
    fields: Box<[FieldType]>,
}

/// One layout's queue of whole chunks. The layout is published once and
/// never changes for the depot's lifetime.
struct LayoutSlot {
    layout: AtomicPtr<SlotLayout>,
    bodies: SegQueue<Body>,
}

/// The shared cache one allocator pushes to and pops from.
pub(crate) struct Depot {
    layouts: [LayoutSlot; LAYOUTS],
    loose: [SegQueue<Column>; CLASSES],
    acct: Arc<Accounting>,
}

impl Depot {
    pub(crate) fn new(acct: Arc<Accounting>) -> Depot {
        Depot {
            layouts: std::array::from_fn(|_| LayoutSlot {
                layout: AtomicPtr::new(std::ptr::null_mut()),
                bodies: SegQueue::new(),
            }),
            loose: std::array::from_fn(|_| SegQueue::new()),
            acct,
        }
    }

    /// The layout of slot `i`, if published.
    fn layout(&self, i: usize) -> Option<&SlotLayout> {
        let p = self.layouts[i].layout.load(Ordering::Acquire);
        // A non-null layout came from `Box::into_raw` in `claim`, published
        // by a release CAS that the acquire load above pairs with.
        // SAFETY: it is never replaced, and freed only by `Drop`, which needs
        // `&mut self` and so cannot overlap this borrow of `self`.
        unsafe { p.as_ref() }
    }

    /// Whether slot `i` holds the layout `fields`; `None` if it is free.
    fn slot_is(
        &self,
        i: usize,
        key: LayoutKey,
        fields: impl Iterator<Item = FieldType>,
    ) -> Option<bool> {
        let l = self.layout(i)?;
        Some(l.key.matches(key, fields, &l.fields))
    }

    /// Pops a cached whole chunk of exactly `fields`; its credit passes to the caller.
    pub(crate) fn pop_body(&self, key: LayoutKey, fields: &[FieldType]) -> Option<Body> {
        for i in 0..LAYOUTS {
            match self.slot_is(i, key, fields.iter().copied())? {
                false => {}
                true => {
                    let body = self.layouts[i].bodies.pop()?;
                    self.acct.depot_chunks.fetch_sub(1, Ordering::Relaxed);
                    self.acct
                        .depot_bytes
                        .fetch_sub(body.bytes, Ordering::Relaxed);
                    return Some(body);
                }
            }
        }
        None
    }

    /// Pushes a whole chunk whose credit the caller holds (the credit moves
    /// with it), if its layout has or can claim a slot. Gives the body back
    /// when not cached.
    pub(crate) fn push_body(&self, body: Body) -> Result<(), Body> {
        let fields = body.columns.iter().map(|s| s.get().field_type());
        let Some(i) = self.find_or_claim(body.key, fields) else {
            return Err(body);
        };
        self.acct.depot_chunks.fetch_add(1, Ordering::Relaxed);
        self.acct
            .depot_bytes
            .fetch_add(body.bytes, Ordering::Relaxed);
        self.layouts[i].bodies.push(body);
        Ok(())
    }

    fn find_or_claim<F>(&self, key: LayoutKey, fields: F) -> Option<usize>
    where
        F: Iterator<Item = FieldType> + Clone,
    {
        for i in 0..LAYOUTS {
            match self.slot_is(i, key, fields.clone()) {
                Some(true) => return Some(i),
                Some(false) => continue,
                None => {
                    // Claim the free slot, or see who won it.
                    if self.claim(i, key, fields.clone())
                        || self.slot_is(i, key, fields.clone()) == Some(true)
                    {
                        return Some(i);
                    }
                }
            }
        }
        None
    }

    /// Publishes a layout for the free slot `i`; false if another thread won it.
    fn claim(&self, i: usize, key: LayoutKey, fields: impl Iterator<Item = FieldType>) -> bool {
        let layout = Box::into_raw(Box::new(SlotLayout {
            key,
            fields: fields.collect(),
        }));
        let slot = &self.layouts[i].layout;
        match slot.compare_exchange(
            std::ptr::null_mut(),
            layout,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => true,
            Err(_) => {
                // SAFETY: `layout` came from `Box::into_raw` above and, since
                // the CAS failed, was never published; this is its only owner.
                drop(unsafe { Box::from_raw(layout) });
                false
            }
        }
    }

    /// Pops a loose column of `class`, releasing its reservation.
    pub(crate) fn pop_column(&self, class: usize) -> Option<Column> {
        let col = self.loose[class].pop()?;
        self.acct.release_column(class, col.allocated_bytes());
        Some(col)
    }

    /// Pushes a reset loose column of `class` if the bounds allow.
    pub(crate) fn push_column(&self, class: usize, col: Column) -> Result<(), Column> {
        if self.acct.try_reserve_column(class, col.allocated_bytes()) {
            self.loose[class].push(col);
            Ok(())
        } else {
            Err(col)
        }
    }

    /// Whole chunks and loose columns queued in this depot (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> (usize, usize) {
        let bodies = self.layouts.iter().map(|l| l.bodies.len()).sum();
        let cols = self.loose.iter().map(|q| q.len()).sum();
        (bodies, cols)
    }
}

impl Drop for Depot {
    fn drop(&mut self) {
        for slot in &mut self.layouts {
            while let Some(body) = slot.bodies.pop() {
                self.acct.depot_chunks.fetch_sub(1, Ordering::Relaxed);
                self.acct
                    .depot_bytes
                    .fetch_sub(body.bytes, Ordering::Relaxed);
                self.acct.release_chunks(1);
                self.acct.release_bytes(body.bytes);
            }
            let layout = slot.layout.swap(std::ptr::null_mut(), Ordering::Acquire);
            if !layout.is_null() {
                // SAFETY: a non-null layout came from `Box::into_raw` in
                // `claim`; `&mut self` means no reader holds it, and the swap
                // above took it out of the slot, so it is freed exactly once.
                drop(unsafe { Box::from_raw(layout) });
            }
        }
        for (class, queue) in self.loose.iter().enumerate() {
            while let Some(col) = queue.pop() {
                self.acct.release_column(class, col.allocated_bytes());
            }
        }
    }
}

impl fmt::Debug for Depot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layouts = (0..LAYOUTS).filter(|&i| self.layout(i).is_some()).count();
        f.debug_struct("Depot")
            .field("layouts", &layouts)
            .field("accounting", &self.acct)
            .finish()
    }
}
