//! A wrapper that runs a callback on the first reusing allocation.

use super::ChunkAllocator;
use crate::chunk::Chunk;
use crate::error::Error;
use crate::field::FieldType;
use crate::sync::{AtomicBool, Ordering};
use std::fmt;

/// Wraps an allocator and runs `callback` once, on the first `alloc` for
/// which the inner allocator's `check_reuse_alloc_size` is true (TiDB's
/// `reuseHookAllocator`). [`reset`](ChunkAllocator::reset) re-arms it.
///
/// The session slot uses it to record that a statement used reused buffers.
/// The hook is marked fired before the callback runs, so a callback that
/// panics does not run again and leaves the allocator usable. It fires
/// before the inner allocator is asked, so an allocation that then fails
/// (bad arguments, no memory) fires it too.
///
/// ```
/// use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, ReuseHook};
/// use std::sync::atomic::{AtomicUsize, Ordering};
///
/// let calls = AtomicUsize::new(0);
/// let hooked = ReuseHook::new(LockFreeAllocator::new(), || {
///     calls.fetch_add(1, Ordering::Relaxed);
/// });
/// drop(hooked.alloc(&[FieldType::I64], 4, 4));
/// drop(hooked.alloc(&[FieldType::I64], 4, 4));
/// assert_eq!(calls.load(Ordering::Relaxed), 1);
/// ```
pub struct ReuseHook<A, F> {
    inner: A,
    callback: F,
    fired: AtomicBool,
}

impl<A, F> ReuseHook<A, F>
where
    A: ChunkAllocator,
    F: Fn() + Send + Sync,
{
    /// Wraps `inner`; `callback` runs on the first reusing allocation.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, PoolConfig, MutexAllocator, ReuseHook};
    ///
    /// // The inner allocator reuses nothing: the callback never runs.
    /// let hooked = ReuseHook::new(MutexAllocator::with_config(PoolConfig::no_reuse()), || {
    ///     panic!("not a reusing allocator")
    /// });
    /// drop(hooked.alloc(&[FieldType::I64], 4, 4));
    /// assert!(!hooked.fired());
    /// ```
    pub fn new(inner: A, callback: F) -> Self {
        ReuseHook {
            inner,
            callback,
            fired: AtomicBool::new(false),
        }
    }

    /// The wrapped allocator.
    ///
    /// ```
    /// # use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, ReuseHook};
    /// let alloc = LockFreeAllocator::new();
    /// let hooked = ReuseHook::new(alloc.clone(), || {});
    /// drop(hooked.alloc(&[FieldType::I64], 4, 4));
    /// assert!(hooked.inner().same_pool(&alloc));
    /// assert_eq!(hooked.inner().stats().chunks_allocated, 1);
    /// ```
    pub fn inner(&self) -> &A {
        &self.inner
    }

    /// Whether the callback has run since construction or the last `reset`.
    ///
    /// ```
    /// # use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, ReuseHook};
    /// let hooked = ReuseHook::new(LockFreeAllocator::new(), || {});
    /// assert!(!hooked.fired());
    /// drop(hooked.alloc(&[FieldType::I64], 4, 4));
    /// assert!(hooked.fired());
    /// hooked.reset(); // a new statement re-arms it
    /// assert!(!hooked.fired());
    /// assert!(hooked.try_alloc(&[FieldType::I64], 0, 4).is_err());
    /// assert!(hooked.fired()); // a failed allocation fires it too
    /// ```
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::Acquire)
    }
}

impl<A, F> ChunkAllocator for ReuseHook<A, F>
where
    A: ChunkAllocator,
    F: Fn() + Send + Sync,
{
    fn try_alloc(
        &self,
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error> {
        // The relaxed load keeps the common, already-fired path to one read
        // of a line nobody writes; the swap makes exactly one caller run it.
        if !self.fired.load(Ordering::Relaxed)
            && self.inner.check_reuse_alloc_size()
            && !self.fired.swap(true, Ordering::AcqRel)
        {
            (self.callback)();
        }
        self.inner.try_alloc(fields, capacity, max_chunk_size)
    }

    /// Resets the inner allocator and re-arms the hook.
    fn reset(&self) {
        self.inner.reset();
        self.fired.store(false, Ordering::Release);
    }

    fn check_reuse_alloc_size(&self) -> bool {
        self.inner.check_reuse_alloc_size()
    }
}

impl<A: fmt::Debug, F> fmt::Debug for ReuseHook<A, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReuseHook")
            .field("inner", &self.inner)
            .field("fired", &self.fired.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}
