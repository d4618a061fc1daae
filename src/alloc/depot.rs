//! The lock-free allocator's shared cache: whole chunks queued per layout,
//! loose columns queued per size class, and the counters that bound them.
//!
//! A [`Depot`] is replaced as a unit by `trim`; the old one is reclaimed with
//! crossbeam-epoch once no thread can still be inside it. The [`Accounting`]
//! outlives every depot, so bounds hold across a swap: buffers in a depot
//! waiting for reclamation still count until they are freed.

use crate::chunk::Slot;
use crate::column::Column;
use crate::config::PoolConfig;
use crate::field::FieldType;
use crate::sync::{Arc, AtomicPtr, AtomicUsize, CachePadded, Ordering, SegQueue};
use std::fmt;

/// Distinct whole-chunk layouts one depot caches; further layouts fall back
/// to loose columns until the next `trim`.
pub(crate) const LAYOUTS: usize = 8;

/// Column size classes: class 0 is variable width, the others are claimed by
/// the first fixed element sizes seen, for the allocator's lifetime.
pub(crate) const CLASSES: usize = 16;

/// Retention counters and the class table, shared by every depot of one
/// allocator.
pub(crate) struct Accounting {
    config: PoolConfig,
    /// Element size code of each class (0 = unclaimed; class 0 is variable width).
    class_codes: [AtomicUsize; CLASSES],
    chunks: CachePadded<AtomicUsize>,
    columns: CachePadded<[AtomicUsize; CLASSES]>,
    bytes: CachePadded<AtomicUsize>,
}

/// Adds `n` to `counter` unless that would pass `limit`: the reservation a
/// cache push must win before it pushes, so concurrent pushers can never
/// together exceed a bound.
#[cfg(not(chunkpool_loom_mutant))]
fn try_reserve(counter: &AtomicUsize, n: usize, limit: usize) -> bool {
    counter
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |cur| {
            cur.checked_add(n).filter(|&next| next <= limit)
        })
        .is_ok()
}

/// Planted bug for the loom mutant check: check, then add, not atomically.
#[cfg(chunkpool_loom_mutant)]
fn try_reserve(counter: &AtomicUsize, n: usize, limit: usize) -> bool {
    if counter.load(Ordering::Relaxed) + n > limit {
        return false;
    }
    counter.fetch_add(n, Ordering::Relaxed);
    true
}

impl Accounting {
    pub(crate) fn new(config: PoolConfig) -> Accounting {
        Accounting {
            config,
            class_codes: std::array::from_fn(|_| AtomicUsize::new(0)),
            chunks: CachePadded::new(AtomicUsize::new(0)),
            columns: CachePadded::new(std::array::from_fn(|_| AtomicUsize::new(0))),
            bytes: CachePadded::new(AtomicUsize::new(0)),
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

    fn reserve_bytes(&self, bytes: usize) -> bool {
        match self.config.byte_budget() {
            Some(budget) => try_reserve(&self.bytes, bytes, budget),
            None => {
                self.bytes.fetch_add(bytes, Ordering::Relaxed);
                true
            }
        }
    }

    /// Reserves room for one whole chunk of `bytes` bytes.
    pub(crate) fn try_reserve_chunk(&self, bytes: usize) -> bool {
        if !self.reserve_bytes(bytes) {
            return false;
        }
        if try_reserve(&self.chunks, 1, self.config.max_free_chunks()) {
            true
        } else {
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
            false
        }
    }

    /// Reserves room for one loose column of class `class`.
    pub(crate) fn try_reserve_column(&self, class: usize, bytes: usize) -> bool {
        if !self.reserve_bytes(bytes) {
            return false;
        }
        if try_reserve(&self.columns[class], 1, self.config.max_free_columns()) {
            true
        } else {
            self.bytes.fetch_sub(bytes, Ordering::Relaxed);
            false
        }
    }

    pub(crate) fn release_chunk(&self, bytes: usize) {
        self.chunks.fetch_sub(1, Ordering::Relaxed);
        self.bytes.fetch_sub(bytes, Ordering::Relaxed);
    }

    pub(crate) fn release_column(&self, class: usize, bytes: usize) {
        self.columns[class].fetch_sub(1, Ordering::Relaxed);
        self.bytes.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// (whole chunks, loose columns, bytes) cached now.
    pub(crate) fn retained(&self) -> (usize, usize, usize) {
        let cols = self.columns.iter().map(|c| c.load(Ordering::Relaxed)).sum();
        (
            self.chunks.load(Ordering::Relaxed),
            cols,
            self.bytes.load(Ordering::Relaxed),
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
            .field("retained_chunks", &chunks)
            .field("retained_columns", &columns)
            .field("retained_bytes", &bytes)
            .finish()
    }
}

/// A cached whole chunk: its column list (every slot owned, every column
/// reset) and the bytes it was accounted with.
pub(crate) struct Body {
    pub(crate) columns: Vec<Slot>,
    pub(crate) bytes: usize,
}

/// The layout a [`LayoutSlot`] caches.
struct LayoutKey {
    hash: u64,
    fields: Box<[FieldType]>,
}

/// One layout's queue of whole chunks. The key is published once and never
/// changes for the depot's lifetime.
struct LayoutSlot {
    key: AtomicPtr<LayoutKey>,
    bodies: SegQueue<Body>,
}

/// Hash of a layout, computed the same way from requested field types and
/// from a returned chunk's columns.
pub(crate) fn layout_hash(fields: impl Iterator<Item = FieldType>) -> u64 {
    // FNV-1a over the size codes; layouts are short and hashed once per call.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in fields {
        h = (h ^ f.code() as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
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
                key: AtomicPtr::new(std::ptr::null_mut()),
                bodies: SegQueue::new(),
            }),
            loose: std::array::from_fn(|_| SegQueue::new()),
            acct,
        }
    }

    /// The key of slot `i`, if published.
    fn key(&self, i: usize) -> Option<&LayoutKey> {
        let p = self.layouts[i].key.load(Ordering::Acquire);
        // SAFETY: a non-null key was made by `Box::into_raw` in `claim` and
        // published with a release CAS (paired with the acquire load above);
        // it is never replaced, and freed only in `Drop`, which needs
        // `&mut self` and so cannot overlap this borrow of `self`.
        unsafe { p.as_ref() }
    }

    /// Whether the key of slot `i` is this layout.
    fn key_matches<F>(&self, i: usize, hash: u64, fields: F) -> Option<bool>
    where
        F: ExactSizeIterator<Item = FieldType>,
    {
        let key = self.key(i)?;
        Some(
            key.hash == hash
                && key.fields.len() == fields.len()
                && key.fields.iter().copied().eq(fields),
        )
    }

    /// Pops a cached whole chunk of exactly `fields`, releasing its reservation.
    pub(crate) fn pop_body(&self, hash: u64, fields: &[FieldType]) -> Option<Body> {
        for i in 0..LAYOUTS {
            match self.key_matches(i, hash, fields.iter().copied()) {
                None => return None,
                Some(false) => {}
                Some(true) => {
                    let body = self.layouts[i].bodies.pop()?;
                    self.acct.release_chunk(body.bytes);
                    return Some(body);
                }
            }
        }
        None
    }

    /// Pushes a whole chunk whose columns are all owned, if its layout has
    /// (or can claim) a slot and the bounds allow. Gives the body back when
    /// not cached.
    pub(crate) fn push_body(&self, body: Body) -> Result<(), Body> {
        let fields = || body.columns.iter().map(|s| s.get().field_type());
        let hash = layout_hash(fields());
        let Some(i) = self.find_or_claim(hash, fields()) else {
            return Err(body);
        };
        if !self.acct.try_reserve_chunk(body.bytes) {
            return Err(body);
        }
        self.layouts[i].bodies.push(body);
        Ok(())
    }

    fn find_or_claim<F>(&self, hash: u64, fields: F) -> Option<usize>
    where
        F: ExactSizeIterator<Item = FieldType> + Clone,
    {
        for i in 0..LAYOUTS {
            match self.key_matches(i, hash, fields.clone()) {
                Some(true) => return Some(i),
                Some(false) => continue,
                None => {
                    if self.claim(i, hash, fields.clone()) {
                        return Some(i);
                    }
                    // Lost the race for slot i: it now holds some layout.
                    if self.key_matches(i, hash, fields.clone()) == Some(true) {
                        return Some(i);
                    }
                }
            }
        }
        None
    }

    /// Publishes a key for the empty slot `i`; false if another thread won it.
    fn claim(&self, i: usize, hash: u64, fields: impl Iterator<Item = FieldType>) -> bool {
        let key = Box::into_raw(Box::new(LayoutKey {
            hash,
            fields: fields.collect(),
        }));
        let slot = &self.layouts[i].key;
        match slot.compare_exchange(
            std::ptr::null_mut(),
            key,
            Ordering::AcqRel,
            Ordering::Acquire,
        ) {
            Ok(_) => true,
            Err(_) => {
                // SAFETY: `key` came from `Box::into_raw` above and, since the
                // CAS failed, was never published; this is its only owner.
                drop(unsafe { Box::from_raw(key) });
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
                self.acct.release_chunk(body.bytes);
            }
            let key = slot.key.swap(std::ptr::null_mut(), Ordering::Acquire);
            if !key.is_null() {
                // SAFETY: a non-null key came from `Box::into_raw` in `claim`;
                // `&mut self` means no reader holds it, and the swap above
                // took it out of the slot, so it is freed exactly once.
                drop(unsafe { Box::from_raw(key) });
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
        let layouts = (0..LAYOUTS).filter(|&i| self.key(i).is_some()).count();
        f.debug_struct("Depot")
            .field("layouts", &layouts)
            .field("accounting", &self.acct)
            .finish()
    }
}
