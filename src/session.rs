//! The session's slot for the current statement's allocator (TiDB's
//! `SessionVars` chunk fields), safe to set, clear and read from any thread.

use crate::alloc::{ChunkAllocator, EmptyAllocator, Renew, ReuseHook};
use crate::chunk::Chunk;
use crate::error::{fail, Error};
use crate::field::FieldType;
use crate::sync::{Arc, AtomicBool, AtomicOptionArc, OptionArcGuard, Ordering};
use std::fmt;

/// The callback type of the hook a session wraps around its allocator.
type FlagCallback = Box<dyn Fn() + Send + Sync>;

/// What the session slot holds: the caller's allocator behind a reuse hook
/// that records, once per `set_alloc`, that the statement used reused buffers.
type SlotAlloc<A> = ReuseHook<A, FlagCallback>;

#[derive(Debug, Default)]
struct StmtFlags {
    /// The current statement handed out chunks from a reusing allocator.
    used_chunk_alloc: AtomicBool,
    /// The previous statement's `used_chunk_alloc`.
    last_sql_use_alloc: AtomicBool,
}

/// A session's chunk-allocator slot (TiDB's `SetAlloc` / `ClearAlloc` /
/// `GetChunkAllocator` / `IsAllocValid`), race-free where TiDB's plain field
/// raced (TiDB issue 46282).
///
/// The slot is an atomically swappable `Option<Arc<_>>` (arc-swap):
/// [`set_alloc`](Self::set_alloc) and [`clear_alloc`](Self::clear_alloc) are
/// single swaps, and [`chunk_allocator`](Self::chunk_allocator) reads it
/// without a lock and without touching a shared reference count. An
/// allocation racing with a set or clear sees the old allocator, the new
/// one, or none (then it gets a plain, unpooled chunk).
///
/// All methods take `&self`; share the session across threads by reference
/// or `Arc`.
///
/// ```
/// use chunkpool::{FieldType, LockFreeAllocator, SessionChunkPool, StatementOutcome};
///
/// let session = SessionChunkPool::new();
/// let mut alloc = LockFreeAllocator::new();
///
/// session.begin_statement();
/// session.set_alloc(Some(&alloc));
/// assert!(session.is_alloc_valid());
/// let chk = session.chunk_allocator().alloc(&[FieldType::I64], 32, 1024);
/// assert!(chk.is_pooled());
/// assert!(session.used_chunk_alloc());
/// drop(chk);
/// session.clear_alloc(&mut alloc, StatementOutcome::Succeeded);
/// assert!(!session.is_alloc_valid());
/// ```
pub struct SessionChunkPool<A = crate::LockFreeAllocator> {
    slot: AtomicOptionArc<SlotAlloc<A>>,
    reuse_enabled: AtomicBool,
    flags: Arc<StmtFlags>,
}

impl<A> Default for SessionChunkPool<A>
where
    A: ChunkAllocator + Clone + 'static,
{
    fn default() -> Self {
        SessionChunkPool::new()
    }
}

impl<A> SessionChunkPool<A>
where
    A: ChunkAllocator + Clone + 'static,
{
    /// An empty slot with reuse enabled (TiDB's `tidb_enable_reuse_chunk`
    /// defaults to on).
    ///
    /// ```
    /// use chunkpool::SessionChunkPool;
    ///
    /// let session: SessionChunkPool = SessionChunkPool::new();
    /// assert!(session.reuse_enabled());
    /// assert!(!session.is_alloc_valid());
    /// assert!(session.chunk_allocator().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        SessionChunkPool {
            slot: AtomicOptionArc::empty(),
            reuse_enabled: AtomicBool::new(true),
            flags: Arc::new(StmtFlags::default()),
        }
    }

    /// Turns chunk reuse for this session on or off (`tidb_enable_reuse_chunk`).
    /// Takes effect at the next [`set_alloc`](Self::set_alloc); an
    /// allocator already installed stays installed until then, but
    /// [`is_alloc_valid`](Self::is_alloc_valid) answers false at once.
    ///
    /// ```
    /// use chunkpool::{LockFreeAllocator, SessionChunkPool};
    ///
    /// let session = SessionChunkPool::new();
    /// let alloc = LockFreeAllocator::new();
    /// session.set_reuse_enabled(false);
    /// session.set_alloc(Some(&alloc));
    /// assert!(!session.is_alloc_valid());
    /// assert!(session.chunk_allocator().is_empty()); // unpooled chunks
    /// ```
    pub fn set_reuse_enabled(&self, enabled: bool) {
        self.reuse_enabled.store(enabled, Ordering::Release);
    }

    /// Whether chunk reuse is enabled for this session.
    ///
    /// ```
    /// # use chunkpool::SessionChunkPool;
    /// let session: SessionChunkPool = SessionChunkPool::new();
    /// assert!(session.reuse_enabled());
    /// session.set_reuse_enabled(false);
    /// assert!(!session.reuse_enabled());
    /// ```
    pub fn reuse_enabled(&self) -> bool {
        self.reuse_enabled.load(Ordering::Acquire)
    }

    /// Installs `alloc` for the coming statement, wrapped in a reuse hook
    /// that sets [`used_chunk_alloc`](Self::used_chunk_alloc) on the first
    /// reusing allocation. With reuse disabled or `alloc` of `None`, the slot
    /// becomes empty. One atomic swap; the handle is cloned (cheap).
    ///
    /// ```
    /// use chunkpool::{FieldType, LockFreeAllocator, SessionChunkPool};
    ///
    /// let session = SessionChunkPool::new();
    /// let alloc = LockFreeAllocator::new();
    /// session.set_alloc(Some(&alloc));
    /// let current = session.chunk_allocator();
    /// assert!(current.inner().unwrap().same_pool(&alloc));
    /// drop(current);
    /// session.set_alloc(None);
    /// assert!(session.chunk_allocator().is_empty());
    /// ```
    pub fn set_alloc(&self, alloc: Option<&A>) {
        let new = match alloc {
            Some(a) if self.reuse_enabled() => {
                let flags = Arc::clone(&self.flags);
                let callback: FlagCallback = Box::new(move || {
                    flags.used_chunk_alloc.store(true, Ordering::Release);
                });
                Some(Arc::new(ReuseHook::new(a.clone(), callback)))
            }
            _ => None,
        };
        drop(self.slot.swap(new));
    }

    /// Empties the slot at the end of a statement (TiDB's
    /// `ClearChunkAlloc`, whose `hasErr` flag is `outcome` here). After a
    /// [`StatementOutcome::Failed`] statement it also replaces the caller's
    /// allocator with a new one of the same kind and limits: the old one is
    /// abandoned, not reset, so chunks a leftover worker still holds keep it
    /// alive and return to it, never to the new one.
    ///
    /// ```
    /// use chunkpool::{FieldType, LockFreeAllocator, SessionChunkPool, StatementOutcome};
    ///
    /// let session = SessionChunkPool::new();
    /// let mut alloc = LockFreeAllocator::new();
    /// let before = alloc.clone();
    ///
    /// session.set_alloc(Some(&alloc));
    /// session.clear_alloc(&mut alloc, StatementOutcome::Succeeded); // keep the allocator
    /// assert!(!session.is_alloc_valid());
    /// assert!(alloc.same_pool(&before));
    ///
    /// session.set_alloc(Some(&alloc));
    /// session.clear_alloc(&mut alloc, StatementOutcome::Failed); // abandon it
    /// assert!(!alloc.same_pool(&before));
    /// assert_eq!(alloc.config(), before.config());
    /// ```
    pub fn clear_alloc(&self, alloc: &mut A, outcome: StatementOutcome)
    where
        A: Renew,
    {
        drop(self.slot.swap(None));
        if outcome == StatementOutcome::Failed {
            *alloc = alloc.renew();
        }
    }

    /// True when reuse is enabled and an allocator is installed.
    ///
    /// ```
    /// # use chunkpool::{LockFreeAllocator, SessionChunkPool};
    /// let session = SessionChunkPool::new();
    /// assert!(!session.is_alloc_valid());
    /// session.set_alloc(Some(&LockFreeAllocator::new()));
    /// assert!(session.is_alloc_valid());
    /// ```
    pub fn is_alloc_valid(&self) -> bool {
        self.reuse_enabled() && self.slot.load().is_some()
    }

    /// The installed allocator (hook-wrapped), or the empty allocator when
    /// the slot is empty. A cheap read meant for one batch: load it, allocate,
    /// let it go.
    ///
    /// ```
    /// use chunkpool::{FieldType, LockFreeAllocator, SessionChunkPool};
    ///
    /// let session = SessionChunkPool::new();
    /// // Nothing installed: plain chunks that belong to no pool.
    /// assert!(!session.chunk_allocator().alloc(&[FieldType::I64], 8, 8).is_pooled());
    ///
    /// let alloc = LockFreeAllocator::new();
    /// session.set_alloc(Some(&alloc));
    /// let chk = session.chunk_allocator().alloc(&[FieldType::I64], 8, 8);
    /// assert!(chk.is_pooled());
    /// drop(chk);
    /// assert_eq!(alloc.stats().chunks_returned, 1);
    /// ```
    pub fn chunk_allocator(&self) -> CurrentAllocator<A> {
        CurrentAllocator {
            guard: self.slot.load(),
        }
    }

    /// Starts a statement: the previous statement's
    /// [`used_chunk_alloc`](Self::used_chunk_alloc) becomes
    /// [`last_sql_use_alloc`](Self::last_sql_use_alloc) and the flag clears.
    ///
    /// ```
    /// use chunkpool::{FieldType, LockFreeAllocator, SessionChunkPool};
    ///
    /// let session = SessionChunkPool::new();
    /// session.set_alloc(Some(&LockFreeAllocator::new()));
    /// drop(session.chunk_allocator().alloc(&[FieldType::I64], 8, 8));
    /// assert!(session.used_chunk_alloc());
    ///
    /// session.begin_statement();
    /// assert!(!session.used_chunk_alloc());
    /// assert!(session.last_sql_use_alloc());
    /// ```
    pub fn begin_statement(&self) {
        let used = self.flags.used_chunk_alloc.swap(false, Ordering::AcqRel);
        self.flags.last_sql_use_alloc.store(used, Ordering::Release);
    }

    /// Whether the current statement has allocated from a reusing allocator.
    /// A caller keeping row data past the statement must copy it when true.
    ///
    /// ```
    /// use chunkpool::{FieldType, LockFreeAllocator, PoolConfig, SessionChunkPool};
    ///
    /// let session = SessionChunkPool::new();
    /// // An allocator configured to reuse nothing does not set the flag.
    /// session.set_alloc(Some(&LockFreeAllocator::with_config(PoolConfig::no_reuse())));
    /// drop(session.chunk_allocator().alloc(&[FieldType::I64], 8, 8));
    /// assert!(!session.used_chunk_alloc());
    ///
    /// session.set_alloc(Some(&LockFreeAllocator::new()));
    /// drop(session.chunk_allocator().alloc(&[FieldType::I64], 8, 8));
    /// assert!(session.used_chunk_alloc());
    /// ```
    pub fn used_chunk_alloc(&self) -> bool {
        self.flags.used_chunk_alloc.load(Ordering::Acquire)
    }

    /// Whether the previous statement allocated from a reusing allocator
    /// (as of the last [`begin_statement`](Self::begin_statement)).
    ///
    /// ```
    /// # use chunkpool::{FieldType, LockFreeAllocator, SessionChunkPool};
    /// let session = SessionChunkPool::new();
    /// session.begin_statement();
    /// session.set_alloc(Some(&LockFreeAllocator::new()));
    /// drop(session.chunk_allocator().alloc(&[FieldType::I64], 8, 8));
    /// assert!(!session.last_sql_use_alloc()); // this statement, not the last
    /// session.begin_statement();
    /// assert!(session.last_sql_use_alloc());
    /// ```
    pub fn last_sql_use_alloc(&self) -> bool {
        self.flags.last_sql_use_alloc.load(Ordering::Acquire)
    }
}

/// How a statement ended, for [`SessionChunkPool::clear_alloc`]: a failed
/// statement's allocator is abandoned (workers it left behind may still
/// hold its chunks) and replaced by a fresh one.
///
/// ```
/// use chunkpool::StatementOutcome;
///
/// let run: Result<u64, String> = Err("division by zero".into());
/// assert_eq!(StatementOutcome::of(&run), StatementOutcome::Failed);
/// assert_eq!(StatementOutcome::failed_if(false), StatementOutcome::Succeeded);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatementOutcome {
    /// The statement finished: its allocator is kept for the next one.
    Succeeded,
    /// The statement ended with an error: its allocator is abandoned.
    Failed,
}

impl StatementOutcome {
    /// [`Failed`](StatementOutcome::Failed) for an `Err`,
    /// [`Succeeded`](StatementOutcome::Succeeded) for an `Ok`.
    ///
    /// ```
    /// # use chunkpool::StatementOutcome;
    /// assert_eq!(StatementOutcome::of(&Ok::<(), ()>(())), StatementOutcome::Succeeded);
    /// ```
    #[must_use]
    pub fn of<T, E>(result: &Result<T, E>) -> StatementOutcome {
        StatementOutcome::failed_if(result.is_err())
    }

    /// [`Failed`](StatementOutcome::Failed) when `failed`, as TiDB's
    /// `hasErr` flag reads.
    ///
    /// ```
    /// # use chunkpool::StatementOutcome;
    /// assert_eq!(StatementOutcome::failed_if(true), StatementOutcome::Failed);
    /// ```
    #[must_use]
    pub const fn failed_if(failed: bool) -> StatementOutcome {
        if failed {
            StatementOutcome::Failed
        } else {
            StatementOutcome::Succeeded
        }
    }
}

impl<A: fmt::Debug> fmt::Debug for SessionChunkPool<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionChunkPool")
            .field("slot", &self.slot)
            .field("reuse_enabled", &self.reuse_enabled.load(Ordering::Relaxed))
            .field("flags", &self.flags)
            .finish()
    }
}

/// A short-lived read of a session's slot, from
/// [`SessionChunkPool::chunk_allocator`]: the installed allocator, or the
/// empty one.
///
/// Holding it keeps that allocator alive; it is meant to live for one batch
/// on one thread, not to be stored.
///
/// ```
/// use chunkpool::{FieldType, LockFreeAllocator, SessionChunkPool};
///
/// let session = SessionChunkPool::new();
/// let alloc = LockFreeAllocator::new();
/// session.set_alloc(Some(&alloc));
/// let current = session.chunk_allocator();
/// session.set_alloc(None); // a racing clear: `current` still works
/// let chk = current.alloc(&[FieldType::I64], 8, 8);
/// assert!(chk.is_pooled());
/// assert!(!current.is_empty());
/// ```
pub struct CurrentAllocator<A> {
    guard: OptionArcGuard<SlotAlloc<A>>,
}

impl<A: ChunkAllocator> CurrentAllocator<A> {
    /// See [`ChunkAllocator::try_alloc`]; from the empty allocator when the
    /// slot was empty.
    ///
    /// # Errors
    /// Whatever the installed allocator's `try_alloc` returns; for the
    /// allocators of this crate (and the empty one): [`Error::ZeroCapacity`],
    /// [`Error::ZeroMaxChunkSize`], [`Error::CapacityOverflow`] when a
    /// column's byte size overflows, or [`Error::OutOfMemory`] when the
    /// global allocator refuses a new column's buffers.
    ///
    /// ```
    /// use chunkpool::{Error, FieldType, SessionChunkPool};
    ///
    /// let session: SessionChunkPool = SessionChunkPool::new();
    /// let current = session.chunk_allocator();
    /// let chk = current.try_alloc(&[FieldType::I64], 8, 1024)?;
    /// assert_eq!((chk.capacity(), chk.required_rows()), (8, 1024));
    /// assert_eq!(current.try_alloc(&[FieldType::I64], 0, 1024).unwrap_err(), Error::ZeroCapacity);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn try_alloc(
        &self,
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error> {
        match &*self.guard {
            Some(a) => a.try_alloc(fields, capacity, max_chunk_size),
            None => EmptyAllocator.try_alloc(fields, capacity, max_chunk_size),
        }
    }

    /// See [`ChunkAllocator::alloc`].
    ///
    /// # Panics
    /// With the [`Error`]'s message, whenever
    /// [`try_alloc`](Self::try_alloc) would fail: for this crate's
    /// allocators, on bad arguments, and when memory for a new column
    /// cannot be had.
    ///
    /// ```
    /// use chunkpool::{FieldType, LockFreeAllocator, SessionChunkPool};
    ///
    /// let session = SessionChunkPool::new();
    /// session.set_alloc(Some(&LockFreeAllocator::new()));
    /// let chk = session.chunk_allocator().alloc(&[FieldType::F64, FieldType::UTF8], 100, 32);
    /// assert_eq!((chk.num_cols(), chk.capacity()), (2, 32));
    /// ```
    #[track_caller]
    #[must_use]
    pub fn alloc(&self, fields: &[FieldType], capacity: usize, max_chunk_size: usize) -> Chunk {
        match self.try_alloc(fields, capacity, max_chunk_size) {
            Ok(c) => c,
            Err(e) => fail(e),
        }
    }

    /// See [`ChunkAllocator::check_reuse_alloc_size`]; false for the empty allocator.
    ///
    /// ```
    /// # use chunkpool::{LockFreeAllocator, SessionChunkPool};
    /// let session = SessionChunkPool::new();
    /// assert!(!session.chunk_allocator().check_reuse_alloc_size());
    /// session.set_alloc(Some(&LockFreeAllocator::new()));
    /// assert!(session.chunk_allocator().check_reuse_alloc_size());
    /// ```
    #[must_use]
    pub fn check_reuse_alloc_size(&self) -> bool {
        self.guard
            .as_ref()
            .is_some_and(|a| a.check_reuse_alloc_size())
    }

    /// True when the slot was empty and this is the empty allocator.
    ///
    /// ```
    /// # use chunkpool::{LockFreeAllocator, SessionChunkPool};
    /// let session = SessionChunkPool::new();
    /// assert!(session.chunk_allocator().is_empty());
    /// session.set_alloc(Some(&LockFreeAllocator::new()));
    /// assert!(!session.chunk_allocator().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.guard.is_none()
    }

    /// The installed allocator itself (without the hook), if any.
    ///
    /// ```
    /// # use chunkpool::{LockFreeAllocator, SessionChunkPool};
    /// let session = SessionChunkPool::new();
    /// assert!(session.chunk_allocator().inner().is_none());
    /// let alloc = LockFreeAllocator::new();
    /// session.set_alloc(Some(&alloc));
    /// assert!(session.chunk_allocator().inner().is_some_and(|a| a.same_pool(&alloc)));
    /// ```
    #[must_use]
    pub fn inner(&self) -> Option<&A> {
        self.guard.as_ref().map(|a| a.inner())
    }
}

/// The session's allocator is a [`ChunkAllocator`] like any other, so an
/// operator written generic over the trait runs on it.
///
/// ```
/// use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator, SessionChunkPool};
///
/// fn scan(alloc: &impl ChunkAllocator) -> Chunk {
///     let mut chk = alloc.alloc(&[FieldType::I64], 4, 4);
///     chk.column_mut(0).extend_from_slice(&[1i64, 2, 3]);
///     chk
/// }
///
/// let session = SessionChunkPool::new();
/// let pool = LockFreeAllocator::new();
/// session.set_alloc(Some(&pool));
/// assert!(scan(&session.chunk_allocator()).is_pooled());
/// assert_eq!(pool.stats().chunks_returned, 1);
/// ```
impl<A: ChunkAllocator> ChunkAllocator for CurrentAllocator<A> {
    fn try_alloc(
        &self,
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error> {
        CurrentAllocator::try_alloc(self, fields, capacity, max_chunk_size)
    }

    #[track_caller]
    fn alloc(&self, fields: &[FieldType], capacity: usize, max_chunk_size: usize) -> Chunk {
        CurrentAllocator::alloc(self, fields, capacity, max_chunk_size)
    }

    /// The installed allocator's `reset` (the session's own hook
    /// included); nothing for the empty allocator.
    fn reset(&self) {
        if let Some(a) = &*self.guard {
            a.reset();
        }
    }

    fn check_reuse_alloc_size(&self) -> bool {
        CurrentAllocator::check_reuse_alloc_size(self)
    }
}

impl<A: fmt::Debug> fmt::Debug for CurrentAllocator<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.guard {
            Some(a) => f.debug_tuple("CurrentAllocator").field(a).finish(),
            None => f.write_str("CurrentAllocator(EmptyAllocator)"),
        }
    }
}
