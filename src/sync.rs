//! The one place the crate gets its synchronisation primitives from.
//!
//! Normal builds use `std`, `arc-swap` and `crossbeam-queue`. Under
//! `--cfg chunkpool_loom` (together with `--cfg crossbeam_loom` and the
//! `loom` feature of crossbeam-epoch, which `Cargo.toml` turns on for that
//! cfg) every primitive becomes one that loom can see:
//!
//! * atomics, `Arc` and `Mutex` come from `loom`;
//! * [`AtomicOptionArc`] (arc-swap's `ArcSwapOption`) and [`SegQueue`]
//!   (crossbeam's unbounded MPMC queue) are replaced by small stand-ins with the
//!   same semantics built on a loom `Mutex`: loom cannot look inside the real
//!   ones, and what the models check is the crate's protocol around them;
//! * crossbeam-epoch runs in its own loom mode.
//!
//! Nothing outside this file names `std::sync`, `loom`, `arc_swap` or
//! `crossbeam_queue` directly.

pub(crate) use crossbeam_epoch as epoch;
pub(crate) use crossbeam_utils::CachePadded;

#[cfg(not(chunkpool_loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering},
    Arc, Mutex, MutexGuard,
};

#[cfg(chunkpool_loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering},
    Arc, Mutex, MutexGuard,
};

/// The `Arc` behind columns shared by `make_ref`: std's in both modes.
///
/// Recycling a shared column exactly once relies on `Arc::into_inner`, which
/// loom's `Arc` lacks (its `try_unwrap` lets two racing last users both fail,
/// so the column would be freed, not recycled). Under loom this stays std's
/// `Arc`, whose guarantee is trusted; the models check the protocol around it.
pub(crate) use std::sync::Arc as SharedArc;

/// Locks a mutex, ignoring poisoning.
///
/// Every critical section in this crate runs only the crate's own code, which
/// leaves the protected state consistent at every point a panic could start
/// (an allocation failure aborts). A poisoned lock therefore still guards
/// consistent data, and refusing it would turn one panic into many.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(not(chunkpool_loom))]
    {
        m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    #[cfg(chunkpool_loom)]
    {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(not(chunkpool_loom))]
mod imp {
    use std::fmt;
    use std::sync::Arc;

    /// Unbounded lock-free MPMC queue (crossbeam's `SegQueue`).
    pub(crate) type SegQueue<T> = crossbeam_queue::SegQueue<T>;

    /// An atomically replaceable `Option<Arc<T>>` (arc-swap's `ArcSwapOption`).
    pub(crate) struct AtomicOptionArc<T>(arc_swap::ArcSwapOption<T>);

    /// A cheap, short-lived read of an [`AtomicOptionArc`].
    pub(crate) type OptionArcGuard<T> = arc_swap::Guard<Option<Arc<T>>>;

    impl<T> AtomicOptionArc<T> {
        pub(crate) fn empty() -> Self {
            Self(arc_swap::ArcSwapOption::empty())
        }
        /// Reads the current value without touching its reference count.
        pub(crate) fn load(&self) -> OptionArcGuard<T> {
            self.0.load()
        }
        /// Replaces the value, returning the previous one.
        pub(crate) fn swap(&self, new: Option<Arc<T>>) -> Option<Arc<T>> {
            self.0.swap(new)
        }
    }

    impl<T: fmt::Debug> fmt::Debug for AtomicOptionArc<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(&*self.load(), f)
        }
    }
}

#[cfg(chunkpool_loom)]
mod imp {
    use super::{lock, Arc, Mutex};
    use std::collections::VecDeque;
    use std::fmt;

    /// Loom stand-in for crossbeam's `SegQueue`: same FIFO semantics.
    pub(crate) struct SegQueue<T>(Mutex<VecDeque<T>>);

    impl<T> SegQueue<T> {
        pub(crate) fn new() -> Self {
            Self(Mutex::new(VecDeque::new()))
        }
        pub(crate) fn push(&self, value: T) {
            lock(&self.0).push_back(value);
        }
        pub(crate) fn pop(&self) -> Option<T> {
            lock(&self.0).pop_front()
        }
        #[cfg(test)]
        pub(crate) fn len(&self) -> usize {
            lock(&self.0).len()
        }
    }

    impl<T> fmt::Debug for SegQueue<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("SegQueue").finish_non_exhaustive()
        }
    }

    /// Loom stand-in for arc-swap's `ArcSwapOption`: loads and swaps are
    /// atomic with respect to each other, as arc-swap's are.
    pub(crate) struct AtomicOptionArc<T>(Mutex<Option<Arc<T>>>);

    /// What a load returns under loom: a clone of the current value.
    pub(crate) struct OptionArcGuard<T>(Option<Arc<T>>);

    impl<T> std::ops::Deref for OptionArcGuard<T> {
        type Target = Option<Arc<T>>;
        fn deref(&self) -> &Option<Arc<T>> {
            &self.0
        }
    }

    impl<T> AtomicOptionArc<T> {
        pub(crate) fn empty() -> Self {
            Self(Mutex::new(None))
        }
        pub(crate) fn load(&self) -> OptionArcGuard<T> {
            OptionArcGuard(lock(&self.0).clone())
        }
        pub(crate) fn swap(&self, new: Option<Arc<T>>) -> Option<Arc<T>> {
            std::mem::replace(&mut *lock(&self.0), new)
        }
    }

    impl<T: fmt::Debug> fmt::Debug for AtomicOptionArc<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(&*self.load(), f)
        }
    }
}

pub(crate) use imp::{AtomicOptionArc, OptionArcGuard, SegQueue};

/// The atomic behind statistics counters: std's in both modes.
///
/// Counters are relaxed tallies that no protocol depends on; under loom they
/// would only multiply the interleavings to explore.
pub(crate) use std::sync::atomic::AtomicU64 as StatCounter;

/// A small per-thread number, handed out round-robin on a thread's first
/// call; used to spread statistics counters over shards.
///
/// Always std's thread-local and atomic: the number only decides which shard
/// a relaxed counter lands in, which no model needs to explore.
pub(crate) fn thread_index() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    std::thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    INDEX.try_with(|i| *i).unwrap_or(0)
}
