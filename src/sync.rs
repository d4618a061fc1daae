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
//! * crossbeam-epoch runs in its own loom mode; the crate pins through
//!   `tls::pin`, and its thread-locals live in the one loom thread-local of
//!   `tls`, so a modelled thread's teardown runs in a fixed order.
//!
//! Nothing outside this file names `std::sync`, `loom`, `arc_swap` or
//! `crossbeam_queue` directly.

#[cfg(not(chunkpool_loom))]
pub(crate) use crossbeam_epoch as epoch;

/// crossbeam-epoch under loom, with `pin` routed through `tls`: the crate
/// never uses crossbeam's own thread-local handle there.
#[cfg(chunkpool_loom)]
pub(crate) mod epoch {
    pub(crate) use super::tls::pin;
    pub(crate) use crossbeam_epoch::{Atomic, Guard, Owned};
}
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
pub(crate) use std::sync::atomic::{
    AtomicBool as StatFlag, AtomicU64 as StatCounter, AtomicUsize as StatGauge,
};

/// `thread_local!` from std, or under the loom cfg a `tls::Key` kept in the
/// one loom thread-local of `tls`, so that loom runs per-thread cache
/// destructors when a modelled thread ends, in a fixed order.
#[cfg(not(chunkpool_loom))]
macro_rules! shim_thread_local {
    ($($tt:tt)*) => { std::thread_local!($($tt)*); };
}
#[cfg(chunkpool_loom)]
macro_rules! shim_thread_local {
    // std's const-initialised form; loom keys initialise lazily either way.
    ($(#[$attr:meta])* $vis:vis static $name:ident : $t:ty = const { $init:expr } $(;)?) => {
        $crate::sync::thread_local!($(#[$attr])* $vis static $name: $t = $init);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident : $t:ty = $init:expr $(;)?) => {
        $(#[$attr])*
        $vis static $name: $crate::sync::tls::Key<$t> = $crate::sync::tls::Key::new({
            fn init() -> $t {
                $init
            }
            init
        });
    };
}
pub(crate) use shim_thread_local as thread_local;

/// Loom only: the crate's thread-locals and the epoch handle it pins with,
/// kept together in ONE loom thread-local per modelled thread.
///
/// Why: when a modelled thread ends, loom runs its thread-local destructors
/// in `HashMap` order, which changes from run to run. The per-thread cache
/// and crossbeam-epoch's own thread-local handle both do loom operations when
/// destroyed (the cache flushes, pinning; the handle unregisters), so the
/// same schedule would replay them in a different order and loom aborts
/// ("Is the model fully deterministic?"). Here one destructor drops the
/// crate's values first (newest first) and then the handle, and crossbeam's
/// own thread-local handle is never created.
///
/// A value dropped there that pins (a per-thread cache flushing at thread
/// exit) can no longer reach this thread-local; it pins with the dying
/// thread's handle, found through `DYING`. That is the std order in which
/// crossbeam's handle outlives the cache; loom needs one order, always the
/// same.
#[cfg(chunkpool_loom)]
pub(crate) mod tls {
    use crossbeam_epoch::{Guard, LocalHandle};
    use std::any::Any;
    use std::cell::RefCell;
    use std::marker::PhantomData;
    use std::rc::Rc;

    /// A modelled thread's crate-level thread-local state. Fields drop in
    /// declaration order: the values, then the epoch handle, then the exit
    /// signal.
    struct Bundle {
        /// (key address, value), in the order first used.
        values: RefCell<Vec<(usize, Rc<dyn Any>)>>,
        handle: Rc<LocalHandle>,
        exited: ExitSignal,
    }

    loom::thread_local! {
        static BUNDLE: Bundle = Bundle {
            values: RefCell::new(Vec::new()),
            handle: Rc::new(crossbeam_epoch::default_collector().register()),
            exited: ExitSignal(std::sync::Arc::new(ExitFlag {
                done: loom::sync::atomic::AtomicBool::new(false),
                notify: loom::sync::Notify::new(),
            })),
        };
    }

    /// Set once a thread's thread-local state is gone. (loom's `Notify` may
    /// wake spuriously, hence the flag.)
    struct ExitFlag {
        done: loom::sync::atomic::AtomicBool,
        notify: loom::sync::Notify,
    }

    /// Releases [`ThreadExit::wait`] once everything above it is dropped.
    struct ExitSignal(std::sync::Arc<ExitFlag>);

    impl Drop for ExitSignal {
        fn drop(&mut self) {
            self.0.done.store(true, super::Ordering::Release);
            self.0.notify.notify();
        }
    }

    /// Waits for the end of a modelled thread's thread-local teardown.
    ///
    /// loom's `JoinHandle::join` synchronises with the end of the thread's
    /// closure, not with its thread-local destructors, which loom runs
    /// after; std's `join` waits for those too. A model that joins a thread
    /// whose per-thread cache flushes at exit takes this handle on that
    /// thread (`chunkpool::__loom_thread_exit()`), and `wait`s on it after
    /// the join: the flush then happens-before whatever the model checks
    /// next, as it would with std.
    pub struct ThreadExit(std::sync::Arc<ExitFlag>);

    impl ThreadExit {
        /// Blocks until the thread that made this handle has dropped its
        /// thread-local state.
        pub fn wait(self) {
            while !self.0.done.load(super::Ordering::Acquire) {
                self.0.notify.wait();
            }
        }
    }

    impl std::fmt::Debug for ThreadExit {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("ThreadExit")
        }
    }

    /// A [`ThreadExit`] for the calling modelled thread.
    pub fn thread_exit() -> ThreadExit {
        BUNDLE.with(|b| ThreadExit(std::sync::Arc::clone(&b.exited.0)))
    }

    std::thread_local! {
        /// The handles of bundles being dropped, each with the stack address
        /// of its `Bundle::drop` frame. All modelled threads of a model are
        /// coroutines on one OS thread, each on its own stack, and loom may
        /// switch between them inside a destructor, so a value dropped by a
        /// bundle finds its own thread's entry by stack address (see
        /// `dying_handle`): loom offers no thread identity that survives its
        /// own thread-local teardown.
        static DYING: RefCell<Vec<(usize, Rc<LocalHandle>)>> = const { RefCell::new(Vec::new()) };
    }

    /// An address in the caller's stack frame.
    #[inline(never)]
    fn stack_address() -> usize {
        let here = 0u8;
        std::hint::black_box(std::ptr::addr_of!(here)) as usize
    }

    impl Drop for Bundle {
        fn drop(&mut self) {
            /// Takes this bundle's `DYING` entry out, even on unwinding.
            struct Unlist(usize);
            impl Drop for Unlist {
                fn drop(&mut self) {
                    let _ = DYING.try_with(|d| d.borrow_mut().retain(|(m, _)| *m != self.0));
                }
            }
            let frame = stack_address();
            DYING.with(|d| d.borrow_mut().push((frame, Rc::clone(&self.handle))));
            let _unlist = Unlist(frame);
            loop {
                let next = self.values.borrow_mut().pop();
                match next {
                    Some((_, value)) => drop(value),
                    None => break,
                }
            }
        }
    }

    /// The handle of the bundle being dropped on the calling coroutine: the
    /// entry whose frame is the nearest one above the caller's (stacks grow
    /// down, and each coroutine's stack is one contiguous block, so no other
    /// coroutine's frame lies between the caller and its own bundle's).
    fn dying_handle() -> Option<Rc<LocalHandle>> {
        let here = stack_address();
        DYING.with(|d| {
            d.borrow()
                .iter()
                // A teardown's frames sit within a few pages of its bundle's;
                // the bound only guards against a layout this reasoning does
                // not cover (then the fallback below pins, still correctly).
                .filter(|(m, _)| *m >= here && *m - here < 1 << 20)
                .min_by_key(|(m, _)| *m)
                .map(|(_, h)| Rc::clone(h))
        })
    }

    /// `crossbeam_epoch::pin` for the crate under loom.
    pub(crate) fn pin() -> Guard {
        if let Ok(guard) = BUNDLE.try_with(|b| b.handle.pin()) {
            return guard;
        }
        match dying_handle() {
            Some(handle) => handle.pin(),
            // Not reached from the crate's own thread-locals; pin as
            // crossbeam does once a thread's handle is gone.
            None => crossbeam_epoch::default_collector().register().pin(),
        }
    }

    /// The thread-local is gone (its thread is ending).
    #[derive(Debug)]
    pub(crate) struct AccessError;

    /// What the crate's `thread_local!` declares under loom.
    pub(crate) struct Key<T> {
        init: fn() -> T,
        _value: PhantomData<fn() -> T>,
    }

    impl<T: 'static> Key<T> {
        pub(crate) const fn new(init: fn() -> T) -> Key<T> {
            Key {
                init,
                _value: PhantomData,
            }
        }

        /// As `std::thread::LocalKey::try_with`.
        pub(crate) fn try_with<R>(
            &'static self,
            f: impl FnOnce(&T) -> R,
        ) -> Result<R, AccessError> {
            let id = self as *const Self as usize;
            let value = BUNDLE
                .try_with(|b| {
                    let found = b
                        .values
                        .borrow()
                        .iter()
                        .find(|(k, _)| *k == id)
                        .map(|(_, v)| Rc::clone(v));
                    found.unwrap_or_else(|| {
                        let v: Rc<dyn Any> = Rc::new((self.init)());
                        b.values.borrow_mut().push((id, Rc::clone(&v)));
                        v
                    })
                })
                .map_err(|_| AccessError)?;
            let value = value
                .downcast::<T>()
                .unwrap_or_else(|_| unreachable!("one type per key"));
            Ok(f(&value))
        }
    }
}
