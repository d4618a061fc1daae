//! The shared cache behind the thread caches (the depot of Bonwick and
//! Adams' magazines, USENIX 2001): whole chunks queued per layout, loose
//! columns queued per size class, and the record a cached chunk is kept as.
//!
//! A [`Depot`] is replaced as a unit by `trim`; the old one is emptied at
//! once and its shell reclaimed with crossbeam-epoch once no thread can
//! still be inside it. The [`Credits`] outlive every depot, so bounds hold
//! across a swap: anything a late push leaves in an old depot still counts
//! until the shell is freed.

use super::credits::{Credit, Credits};
use super::layout::LayoutKey;
use super::tuning::{CLASSES, LAYOUTS};
use crate::alloc::home::Body;
use crate::column::{Column, Slot};
use crate::field::FieldType;
use crate::sync::{Arc, AtomicPtr, Ordering, SegQueue};
use std::fmt;

/// Heap bytes a queued value costs beyond its own size: a depot queue
/// (`SegQueue`) keeps each value in a slot with a state word, 31 slots to a
/// block with one link word, so a word for the state and a word for the
/// link's share (rounded up) cover every full block. The blocks a queue
/// holds partly filled (at most two) are part of the fixed overhead.
const QUEUE_SLOT_EXTRA: usize = 2 * std::mem::size_of::<usize>();

/// What a cached whole chunk costs on the heap beyond its columns'
/// buffers: its body, its column list (the column records), its layout
/// record and its queue slot.
#[inline(always)]
pub(super) fn body_bytes(columns: &Vec<Slot>, layout: &Vec<FieldType>) -> usize {
    columns.capacity() * std::mem::size_of::<Slot>()
        + layout.capacity() * std::mem::size_of::<FieldType>()
        + std::mem::size_of::<Body>()
        + std::mem::size_of::<Cached>()
        + QUEUE_SLOT_EXTRA
}

/// What a loose cached column costs on the heap: its buffers, its record
/// and its queue slot. The byte budget and `Stats` count this.
#[inline]
pub(super) fn loose_bytes(col: &Column) -> usize {
    col.allocated_bytes() + std::mem::size_of::<Column>() + QUEUE_SLOT_EXTRA
}

/// A whole chunk in the cache: its checked body (every slot owned, reset;
/// `rows` and `bytes` as the return found them) and the credit that lets
/// it be there. In a magazine the body keeps its home (the pool); in the
/// depot, which the pool owns, it has none.
#[derive(Debug)]
pub(super) struct Cached {
    pub(super) body: Box<Body>,
    pub(super) credit: Credit,
}

/// The key of a cached body's layout.
fn key_of(body: &Body) -> LayoutKey {
    LayoutKey::of(body.layout.iter().copied())
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
    chunks: SegQueue<Cached>,
}

/// The shared cache one allocator pushes to and pops from.
pub(super) struct Depot {
    layouts: [LayoutSlot; LAYOUTS],
    loose: [SegQueue<Column>; CLASSES],
    credits: Arc<Credits>,
}

impl Depot {
    pub(super) fn new(credits: Arc<Credits>) -> Depot {
        Depot {
            layouts: std::array::from_fn(|_| LayoutSlot {
                layout: AtomicPtr::new(std::ptr::null_mut()),
                chunks: SegQueue::new(),
            }),
            loose: std::array::from_fn(|_| SegQueue::new()),
            credits,
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

    /// Pops a cached whole chunk of exactly `fields`, with its credit.
    pub(super) fn pop_chunk(&self, fields: &[FieldType]) -> Option<Cached> {
        let key = LayoutKey::of(fields.iter().copied());
        for i in 0..LAYOUTS {
            if self.slot_is(i, key, fields.iter().copied())? {
                let cached = self.layouts[i].chunks.pop()?;
                self.credits.depot_chunks.fetch_sub(1, Ordering::Relaxed);
                self.credits
                    .depot_bytes
                    .fetch_sub(cached.body.bytes, Ordering::Relaxed);
                return Some(cached);
            }
        }
        None
    }

    /// Queues a cached chunk under its layout, if the layout has or can
    /// claim a slot; gives it back otherwise.
    /// Its body must have no home (the depot must not keep its pool alive).
    pub(super) fn push_chunk(&self, cached: Cached) -> Result<(), Cached> {
        debug_assert!(cached.body.home.is_none(), "a depot body keeps no home");
        let fields = cached.body.layout.iter().copied();
        let Some(i) = self.find_or_claim(key_of(&cached.body), fields) else {
            return Err(cached);
        };
        self.credits.depot_chunks.fetch_add(1, Ordering::Relaxed);
        self.credits
            .depot_bytes
            .fetch_add(cached.body.bytes, Ordering::Relaxed);
        self.layouts[i].chunks.push(cached);
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
    pub(super) fn pop_column(&self, class: usize) -> Option<Column> {
        let col = self.loose[class].pop()?;
        self.credits.release_column(class, loose_bytes(&col));
        Some(col)
    }

    /// Queues a reset loose column of `class` if the bounds allow.
    pub(super) fn push_column(&self, class: usize, col: Column) -> Result<(), Column> {
        if self.credits.reserve_column(class, loose_bytes(&col)) {
            self.loose[class].push(col);
            Ok(())
        } else {
            Err(col)
        }
    }

    /// Frees everything queued here and gives back its credits. Safe to run
    /// while other threads push and pop: it frees what it pops.
    pub(super) fn drain(&self) {
        for slot in &self.layouts {
            while let Some(cached) = slot.chunks.pop() {
                self.credits.depot_chunks.fetch_sub(1, Ordering::Relaxed);
                self.credits
                    .depot_bytes
                    .fetch_sub(cached.body.bytes, Ordering::Relaxed);
                self.credits.give_back(cached.credit, cached.body.bytes);
            }
        }
        for (class, queue) in self.loose.iter().enumerate() {
            while let Some(col) = queue.pop() {
                self.credits.release_column(class, loose_bytes(&col));
                // A cached loose column is charged its buffers (see `Charge`).
                if let Some(budget) = self.credits.budget() {
                    budget.shrink(col.allocated_bytes());
                }
            }
        }
    }

    /// Whole chunks and loose columns queued in this depot (for tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> (usize, usize) {
        let chunks = self.layouts.iter().map(|l| l.chunks.len()).sum();
        let cols = self.loose.iter().map(|q| q.len()).sum();
        (chunks, cols)
    }
}

impl Drop for Depot {
    fn drop(&mut self) {
        self.drain();
        for slot in &mut self.layouts {
            let layout = slot.layout.swap(std::ptr::null_mut(), Ordering::Acquire);
            if !layout.is_null() {
                // SAFETY: a non-null layout came from `Box::into_raw` in
                // `claim`; `&mut self` means no reader holds it, and the swap
                // above took it out of the slot, so it is freed exactly once.
                drop(unsafe { Box::from_raw(layout) });
            }
        }
    }
}

impl fmt::Debug for Depot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let layouts = (0..LAYOUTS).filter(|&i| self.layout(i).is_some()).count();
        f.debug_struct("Depot")
            .field("layouts", &layouts)
            .field("credits", &self.credits)
            .finish()
    }
}
