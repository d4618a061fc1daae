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
//!   the `SegQueue` stand-in also carries a use-after-free canary;
//! * crossbeam-epoch runs in its own loom mode. The crate pins only
//!   through collectors of its own (one per lock-free allocator), never
//!   crossbeam's default thread-local handle, so a modelled thread has one
//!   thread-local with a destructor (the crate's thread cache) and its
//!   teardown runs in one fixed order;
//! * `ThreadExit` (loom only) lets a model wait for that teardown after a join.
//!
//! Nothing outside this file names `loom`, `arc_swap` or `crossbeam_queue`,
//! or a synchronisation primitive of `std::sync` (`Arc` is reference
//! counting, not one: `SharedArc` below, and the `ChunkAllocator` impl for
//! users' `Arc<A>`). Clippy keeps that rule for std's primitives: the
//! workspace's `clippy.toml` disallows their types and `fence`, and only
//! [`std_types`] below, which wraps them, allows it.

pub(crate) use crossbeam_epoch as epoch;
pub(crate) use crossbeam_utils::CachePadded;

#[cfg(not(chunkpool_loom))]
pub(crate) use std::sync::{atomic::Ordering, Arc, MutexGuard};
#[cfg(not(chunkpool_loom))]
pub(crate) use std_types::{fence, AtomicBool, AtomicPtr, AtomicUsize, Mutex};

#[cfg(chunkpool_loom)]
pub(crate) use loom::sync::{
    atomic::{fence, AtomicBool, AtomicPtr, AtomicUsize, Ordering},
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
    ///
    /// It also carries a use-after-free detector for the epoch-reclaimed
    /// depot that owns it: every `push` / `pop` reads `canary` after its
    /// operation, and `Drop` writes it. Loom reports any read that is not
    /// ordered before that write by a happens-before edge ("Causality
    /// violation"), i.e. a thread still inside a queue that another thread
    /// is freeing, which loom cannot see through plain memory.
    pub(crate) struct SegQueue<T> {
        items: Mutex<VecDeque<T>>,
        canary: loom::cell::UnsafeCell<()>,
    }

    impl<T> SegQueue<T> {
        pub(crate) fn new() -> Self {
            Self {
                items: Mutex::new(VecDeque::new()),
                canary: loom::cell::UnsafeCell::new(()),
            }
        }
        pub(crate) fn push(&self, value: T) {
            lock(&self.items).push_back(value);
            self.canary.with(|_| ());
        }
        pub(crate) fn pop(&self) -> Option<T> {
            let value = lock(&self.items).pop_front();
            self.canary.with(|_| ());
            value
        }
        #[cfg(test)]
        pub(crate) fn len(&self) -> usize {
            lock(&self.items).len()
        }
    }

    // SAFETY: the canary holds `()` and is only ever touched through loom's
    // access tracking, never dereferenced; the items sit behind a `Mutex`.
    // So, like crossbeam's `SegQueue`, this is `Sync` for `T: Send`.
    unsafe impl<T: Send> Sync for SegQueue<T> {}

    impl<T> Drop for SegQueue<T> {
        fn drop(&mut self) {
            self.canary.with_mut(|_| ());
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

/// The atomics behind statistics counters and gauges: std's in both modes.
///
/// They are relaxed tallies that no protocol depends on; under loom they
/// would only multiply the interleavings to explore.
pub(crate) use std_types::{
    AtomicBool as StatFlag, AtomicU64 as StatCounter, AtomicUsize as StatGauge,
};

/// std's primitives as types of the shim's own.
///
/// Each is a `repr(transparent)` newtype that derefs to the std type, so
/// the crate gets std's whole API through it, as it would through a
/// re-export. A re-export would be std's type itself, though, and clippy's
/// `disallowed_types` matches a type wherever it is named, however it was
/// imported: every use of the shim would be flagged along with a std
/// primitive named directly. A newtype is flagged nowhere, and std's own
/// are named only here, hence the one `allow`.
#[allow(clippy::disallowed_types, clippy::disallowed_methods)]
mod std_types {
    use std::fmt;
    use std::ops::{Deref, DerefMut};
    use std::sync::atomic;

    macro_rules! std_atomic {
        ($($name:ident($value:ty);)*) => {$(
            #[doc = concat!("std's [`atomic::", stringify!($name), "`].")]
            #[derive(Default)]
            #[repr(transparent)]
            pub(crate) struct $name(atomic::$name);

            impl $name {
                #[inline]
                pub(crate) const fn new(value: $value) -> Self {
                    Self(atomic::$name::new(value))
                }
            }

            impl Deref for $name {
                type Target = atomic::$name;
                #[inline]
                fn deref(&self) -> &atomic::$name {
                    &self.0
                }
            }

            impl DerefMut for $name {
                #[inline]
                fn deref_mut(&mut self) -> &mut atomic::$name {
                    &mut self.0
                }
            }

            impl fmt::Debug for $name {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    fmt::Debug::fmt(&self.0, f)
                }
            }
        )*};
    }

    std_atomic! {
        AtomicBool(bool);
        AtomicU64(u64);
        AtomicUsize(usize);
    }

    /// std's [`atomic::AtomicPtr`].
    #[cfg(not(chunkpool_loom))]
    #[derive(Default)]
    #[repr(transparent)]
    pub(crate) struct AtomicPtr<T>(atomic::AtomicPtr<T>);

    #[cfg(not(chunkpool_loom))]
    impl<T> AtomicPtr<T> {
        #[inline]
        pub(crate) const fn new(p: *mut T) -> Self {
            Self(atomic::AtomicPtr::new(p))
        }
    }

    #[cfg(not(chunkpool_loom))]
    impl<T> Deref for AtomicPtr<T> {
        type Target = atomic::AtomicPtr<T>;
        #[inline]
        fn deref(&self) -> &atomic::AtomicPtr<T> {
            &self.0
        }
    }

    #[cfg(not(chunkpool_loom))]
    impl<T> DerefMut for AtomicPtr<T> {
        #[inline]
        fn deref_mut(&mut self) -> &mut atomic::AtomicPtr<T> {
            &mut self.0
        }
    }

    #[cfg(not(chunkpool_loom))]
    impl<T> fmt::Debug for AtomicPtr<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(&self.0, f)
        }
    }

    /// std's [`std::sync::Mutex`].
    #[cfg(not(chunkpool_loom))]
    #[derive(Default)]
    #[repr(transparent)]
    pub(crate) struct Mutex<T>(std::sync::Mutex<T>);

    #[cfg(not(chunkpool_loom))]
    impl<T> Mutex<T> {
        #[inline]
        pub(crate) const fn new(value: T) -> Self {
            Self(std::sync::Mutex::new(value))
        }
    }

    #[cfg(not(chunkpool_loom))]
    impl<T> Deref for Mutex<T> {
        type Target = std::sync::Mutex<T>;
        #[inline]
        fn deref(&self) -> &std::sync::Mutex<T> {
            &self.0
        }
    }

    #[cfg(not(chunkpool_loom))]
    impl<T> DerefMut for Mutex<T> {
        #[inline]
        fn deref_mut(&mut self) -> &mut std::sync::Mutex<T> {
            &mut self.0
        }
    }

    #[cfg(not(chunkpool_loom))]
    impl<T: fmt::Debug> fmt::Debug for Mutex<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(&self.0, f)
        }
    }

    /// std's [`atomic::fence`].
    #[cfg(not(chunkpool_loom))]
    #[inline]
    pub(crate) fn fence(order: atomic::Ordering) {
        atomic::fence(order);
    }
}

/// `thread_local!` from std, or loom's under the loom cfg, so that loom runs
/// the per-thread cache's destructor when a modelled thread ends.
#[cfg(not(chunkpool_loom))]
macro_rules! shim_thread_local {
    ($($tt:tt)*) => { std::thread_local!($($tt)*); };
}
#[cfg(chunkpool_loom)]
macro_rules! shim_thread_local {
    // std's const-initialised form: loom's initialises lazily either way.
    ($(#[$attr:meta])* $vis:vis static $name:ident : $t:ty = const { $init:expr } $(;)?) => {
        loom::thread_local!($(#[$attr])* $vis static $name: $t = $init);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident : $t:ty = $init:expr $(;)?) => {
        loom::thread_local!($(#[$attr])* $vis static $name: $t = $init);
    };
}
pub(crate) use shim_thread_local as thread_local;

/// A process-wide count of lock-free allocators whose last handle is
/// gone. A thread cache that sees it change looks for entries of dead
/// allocators to free; no protocol depends on it for safety.
#[cfg(not(chunkpool_loom))]
pub(crate) fn retired_pools() -> &'static AtomicUsize {
    static RETIRED: AtomicUsize = AtomicUsize::new(0);
    &RETIRED
}

/// Under loom: one counter per modelled execution.
#[cfg(chunkpool_loom)]
pub(crate) fn retired_pools() -> &'static AtomicUsize {
    loom::lazy_static! {
        static ref RETIRED: AtomicUsize = AtomicUsize::new(0);
    }
    &RETIRED
}

/// Loom only: waits for a modelled thread's thread-local teardown.
///
/// loom's `JoinHandle::join` synchronises with the end of the thread's
/// closure, not with its thread-local destructors, which loom runs after;
/// std's `join` waits for those too. The thread cache holds an
/// [`ExitSignal`] as its last field, so it fires once the cache has handed
/// everything back; a model that joins a thread takes a `ThreadExit` on
/// that thread (`chunkpool::__loom_thread_exit()`) and `wait`s on it after
/// the join, so the teardown happens-before whatever the model checks next,
/// as with std.
#[cfg(chunkpool_loom)]
pub struct ThreadExit(std::sync::Arc<ExitFlag>);

/// Set once a modelled thread's cache is gone. (loom's `Notify` may wake
/// spuriously, hence the flag.)
#[cfg(chunkpool_loom)]
#[derive(Debug)]
pub(crate) struct ExitFlag {
    done: AtomicBool,
    notify: loom::sync::Notify,
}

/// Releases every [`ThreadExit`] of its thread when dropped.
#[cfg(chunkpool_loom)]
#[derive(Debug)]
pub(crate) struct ExitSignal(std::sync::Arc<ExitFlag>);

#[cfg(chunkpool_loom)]
impl ExitSignal {
    pub(crate) fn new() -> ExitSignal {
        ExitSignal(std::sync::Arc::new(ExitFlag {
            done: AtomicBool::new(false),
            notify: loom::sync::Notify::new(),
        }))
    }

    pub(crate) fn waiter(&self) -> ThreadExit {
        ThreadExit(std::sync::Arc::clone(&self.0))
    }
}

#[cfg(chunkpool_loom)]
impl Drop for ExitSignal {
    fn drop(&mut self) {
        self.0.done.store(true, Ordering::Release);
        self.0.notify.notify();
    }
}

#[cfg(chunkpool_loom)]
impl ThreadExit {
    /// Blocks until the thread that made this handle has dropped its cache.
    pub fn wait(self) {
        while !self.0.done.load(Ordering::Acquire) {
            self.0.notify.wait();
        }
    }
}

#[cfg(chunkpool_loom)]
impl std::fmt::Debug for ThreadExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ThreadExit")
    }
}
