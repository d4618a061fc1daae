//! [`MemoryBudget`]: an engine's reservation that a
//! [`LockFreeAllocator`](crate::LockFreeAllocator) asks before it keeps
//! new buffers, and tells when it lets buffers go; and [`Charge`], the
//! bytes one chunk (or one alloc in progress) has been charged.
//!
//! # What is counted
//! The budget is charged the bytes of the column buffers the pool holds
//! ([`Column::allocated_bytes`](crate::Column::allocated_bytes)), live in
//! a chunk or cached, as the pool last saw them:
//! * a chunk handed out is charged the buffers it was handed out with:
//!   new buffers are offered to [`MemoryBudget::try_grow`] (a refusal
//!   fails the alloc); cached ones were charged already;
//! * a chunk coming home is settled: buffers it grew by appends (or
//!   columns it gained) are offered then, and if refused the chunk is
//!   freed rather than cached; buffers it lost are given back;
//! * whatever the pool frees (a column too small, over a limit, a
//!   trimmed cache, an abandoned allocator) is given back with
//!   [`MemoryBudget::shrink`] as it is freed.
//!
//! The records around buffers (the chunk's record, column structs, queue
//! slots) are not counted: `Stats::retained_bytes` and the byte budget
//! count those.
//!
//! # Why a [`Charge`] is a value, not a count
//! Each chunk's record carries its `Charge`: the bytes it was charged
//! and the budget to give them back to. A record is freed in many places
//! (a magazine dropped at thread exit, a depot drained by `trim`, a return
//! to an abandoned allocator); dropping the `Charge` with it gives the
//! bytes back in every one of them, so no path can forget.
//!
//! # Concurrency
//! A `Charge` is owned by one chunk record (or one alloc in progress), so
//! it is plain data: no atomics, no ordering. The budget is called from
//! whichever thread allocates, returns or frees; it must be `Sync`, and
//! synchronises itself. Every `try_grow` that succeeded is matched by
//! `shrink`s of the same total, from the thread that frees the bytes: the
//! budget sees a return's `shrink` after the alloc's `try_grow` (the
//! chunk moved between them), so no loom model is needed for it.

use crate::error::Error;
// std's `Arc` in both modes: it is the user's handle to their budget
// (loom's cannot hold a `dyn` value), and reference counting, not a
// synchronisation primitive the models must see.
use std::fmt;
use std::sync::Arc;

/// An engine's memory reservation, consulted by a
/// [`LockFreeAllocator`](crate::LockFreeAllocator) made with
/// [`with_memory_budget`](crate::LockFreeAllocator::with_memory_budget):
/// the pool asks it before it hands out new buffers, and tells it when it
/// frees them, so the engine's limit counts what the pool holds, live
/// and cached (see "What is counted" below).
///
/// Implementations synchronise themselves (an atomic counter, or the
/// engine's own reservation behind a lock). `try_grow` must not call back
/// into the allocator.
///
/// # What is counted
/// The bytes of column buffers ([`Column::allocated_bytes`](crate::Column::allocated_bytes)):
/// * a chunk made from new buffers (a cache miss) is charged them, and
///   `try_alloc` fails with [`Error::BudgetRefused`] when the budget says
///   no; the new buffers are then freed, and cached ones taken for the
///   request go back to the cache;
/// * a chunk from the cache costs nothing more: its buffers stay charged
///   while cached;
/// * growth of a live chunk (appends past its capacity, columns put in
///   from elsewhere) is charged when the chunk comes home; if the budget
///   refuses, the chunk is freed instead of cached (counted in
///   `Stats::discarded_over_limit`), and what it was charged is given
///   back;
/// * a column that leaves a live chunk for the pool (replaced by
///   [`Chunk::make_ref`](crate::Chunk::make_ref) or
///   [`Chunk::make_ref_to`](crate::Chunk::make_ref_to)) is charged as it
///   enters the cache, and its chunk gives its share back when it comes
///   home: until then it counts twice;
/// * every byte freed by the pool is given back with `shrink` as it is
///   freed ([`LockFreeAllocator::trim`](crate::LockFreeAllocator::trim),
///   limits, the allocator dropped).
///
/// So with every chunk home and the cache trimmed, the budget is back
/// where it started. The records around buffers (chunk and column
/// structs, queue slots) are not counted; `Stats::retained_bytes` is.
///
/// ```
/// use chunkpool::{ChunkAllocator, Error, FieldType, LockFreeAllocator, MemoryBudget, PoolConfig};
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// /// An engine's limit: refuses growth past `limit` bytes.
/// #[derive(Debug)]
/// struct Limit { used: AtomicUsize, limit: usize }
///
/// impl MemoryBudget for Limit {
///     fn try_grow(&self, bytes: usize) -> Result<(), &'static str> {
///         self.used
///             .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
///                 (u + bytes <= self.limit).then_some(u + bytes)
///             })
///             .map(|_| ())
///             .map_err(|_| "the query's memory limit is reached")
///     }
///     fn shrink(&self, bytes: usize) {
///         self.used.fetch_sub(bytes, Ordering::Relaxed);
///     }
/// }
///
/// let limit = Arc::new(Limit { used: AtomicUsize::new(0), limit: 20_000 });
/// let pool = LockFreeAllocator::with_memory_budget(PoolConfig::default(), limit.clone());
/// let chk = pool.alloc(&[FieldType::I64], 1024, 1024); // 8 KiB of data and its bitmap
/// assert_eq!(limit.used.load(Ordering::Relaxed), chk.allocated_bytes());
/// let two = pool.alloc(&[FieldType::I64], 1024, 1024);
/// let err = pool.try_alloc(&[FieldType::I64], 1024, 1024).unwrap_err();
/// assert!(matches!(err, Error::BudgetRefused { reason: "the query's memory limit is reached", .. }));
/// drop((chk, two)); // cached: still counted
/// assert!(limit.used.load(Ordering::Relaxed) > 0);
/// pool.trim(); // freed: given back
/// assert_eq!(limit.used.load(Ordering::Relaxed), 0);
/// ```
pub trait MemoryBudget: Send + Sync + fmt::Debug {
    /// Asks for `bytes` more; `Err` with the engine's reason refuses
    /// them, and the pool then keeps nothing it would have counted.
    ///
    /// # Errors
    /// The engine's reason, which `try_alloc` returns inside
    /// [`Error::BudgetRefused`].
    ///
    /// ```
    /// # use chunkpool::MemoryBudget;
    /// #[derive(Debug)]
    /// struct Never;
    /// impl MemoryBudget for Never {
    ///     fn try_grow(&self, _: usize) -> Result<(), &'static str> { Err("no memory for you") }
    ///     fn shrink(&self, _: usize) {}
    /// }
    /// assert_eq!(Never.try_grow(1), Err("no memory for you"));
    /// ```
    fn try_grow(&self, bytes: usize) -> Result<(), &'static str>;

    /// Gives back `bytes` that an earlier `try_grow` granted.
    ///
    /// ```
    /// # use chunkpool::MemoryBudget;
    /// # use std::sync::atomic::{AtomicUsize, Ordering};
    /// #[derive(Debug, Default)]
    /// struct Count(AtomicUsize);
    /// impl MemoryBudget for Count {
    ///     fn try_grow(&self, n: usize) -> Result<(), &'static str> {
    ///         self.0.fetch_add(n, Ordering::Relaxed);
    ///         Ok(())
    ///     }
    ///     fn shrink(&self, n: usize) {
    ///         self.0.fetch_sub(n, Ordering::Relaxed);
    ///     }
    /// }
    /// let c = Count::default();
    /// c.try_grow(10).unwrap();
    /// c.shrink(4);
    /// assert_eq!(c.0.load(Ordering::Relaxed), 6);
    /// ```
    fn shrink(&self, bytes: usize);
}

/// The bytes one chunk record (or one alloc in progress) has been charged
/// to its pool's budget; given back when dropped. Without a budget it is
/// empty and every method does nothing.
pub(crate) struct Charge {
    budget: Option<Arc<dyn MemoryBudget>>,
    bytes: usize,
}

impl Charge {
    /// A charge of nothing, to no budget.
    pub(crate) const NONE: Charge = Charge {
        budget: None,
        bytes: 0,
    };

    /// An empty charge to `budget`.
    pub(crate) fn to(budget: Option<&Arc<dyn MemoryBudget>>) -> Charge {
        Charge {
            budget: budget.cloned(),
            bytes: 0,
        }
    }

    /// Whether there is a budget to charge.
    #[inline(always)]
    pub(crate) fn is_active(&self) -> bool {
        self.budget.is_some()
    }

    /// Asks the budget for `bytes` new bytes and records them.
    ///
    /// # Errors
    /// [`Error::BudgetRefused`] with the budget's reason; nothing recorded.
    pub(crate) fn try_grow(&mut self, bytes: usize) -> Result<(), Error> {
        if let Some(b) = &self.budget {
            if bytes > 0 {
                b.try_grow(bytes)
                    .map_err(|reason| Error::BudgetRefused { bytes, reason })?;
                self.bytes += bytes;
            }
        }
        Ok(())
    }

    /// Gives `bytes` of this charge back to the budget (they were freed).
    pub(crate) fn release(&mut self, bytes: usize) {
        if let Some(b) = &self.budget {
            let bytes = bytes.min(self.bytes);
            if bytes > 0 {
                b.shrink(bytes);
                self.bytes -= bytes;
            }
        }
    }

    /// Records `bytes` already charged elsewhere (a cached column taken
    /// into this charge's chunk).
    pub(crate) fn take_in(&mut self, bytes: usize) {
        if self.is_active() {
            self.bytes += bytes;
        }
    }

    /// Moves `bytes` out of this charge into the cache (a column cached
    /// loose), asking the budget for the part this charge does not cover
    /// (the column grew, or came from elsewhere); false, nothing moved,
    /// when the budget refuses.
    pub(crate) fn move_out(&mut self, bytes: usize) -> bool {
        if !self.is_active() {
            return true;
        }
        let covered = bytes.min(self.bytes);
        if self.try_grow(bytes - covered).is_err() {
            return false;
        }
        self.bytes -= bytes;
        true
    }

    /// Charges or gives back the difference between this charge and
    /// `bytes`, the buffers its chunk holds now.
    ///
    /// # Errors
    /// [`Error::BudgetRefused`] when growth is refused; nothing changed.
    pub(crate) fn settle(&mut self, bytes: usize) -> Result<(), Error> {
        if bytes >= self.bytes {
            self.try_grow(bytes - self.bytes)
        } else {
            self.release(self.bytes - bytes);
            Ok(())
        }
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        let bytes = self.bytes;
        self.release(bytes);
    }
}

impl fmt::Debug for Charge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Charge")
            .field("budget", &self.is_active())
            .field("bytes", &self.bytes)
            .finish()
    }
}
