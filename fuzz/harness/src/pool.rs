//! The allocators under test behind one trait: what the harness (and the
//! crate's `tests/allocator.rs`) needs of an allocator besides
//! `ChunkAllocator`.

use chunkpool::{ChunkAllocator, LockFreeAllocator, MutexAllocator, PoolConfig, Renew, Stats};
use std::fmt;

/// What the harness needs of an allocator besides the trait.
pub trait Pool: ChunkAllocator + Renew + Clone + Send + Sync + fmt::Debug + 'static {
    const NAME: &'static str;
    /// Caches whole chunks (lock-free) rather than shells (mutex).
    const WHOLE_CHUNKS: bool;
    fn make(cfg: PoolConfig) -> Self;
    fn stats(&self) -> Stats;
    fn trim(&self);
    /// Hands the calling thread's cache to the shared one, where the type
    /// has thread caches.
    fn release_thread_cache(&self);
    fn config(&self) -> PoolConfig;
    /// Whether two handles share one cache, where the type can tell.
    fn same(&self, other: &Self) -> Option<bool>;

    /// Asserts that every chunk handed out came back.
    fn assert_all_returned(&self) {
        let s = self.stats();
        assert_eq!(
            s.chunks_returned,
            s.chunks_allocated,
            "{}: chunks not returned",
            Self::NAME
        );
    }
}

impl Pool for LockFreeAllocator {
    const NAME: &'static str = "lock-free";
    const WHOLE_CHUNKS: bool = true;
    fn make(cfg: PoolConfig) -> Self {
        LockFreeAllocator::with_config(cfg)
    }
    fn stats(&self) -> Stats {
        LockFreeAllocator::stats(self)
    }
    fn trim(&self) {
        LockFreeAllocator::trim(self)
    }
    fn release_thread_cache(&self) {
        LockFreeAllocator::release_thread_cache(self)
    }
    fn config(&self) -> PoolConfig {
        LockFreeAllocator::config(self)
    }
    fn same(&self, other: &Self) -> Option<bool> {
        Some(self.same_pool(other))
    }
}

impl Pool for MutexAllocator {
    const NAME: &'static str = "mutex";
    const WHOLE_CHUNKS: bool = false;
    fn make(cfg: PoolConfig) -> Self {
        MutexAllocator::with_config(cfg)
    }
    fn stats(&self) -> Stats {
        MutexAllocator::stats(self)
    }
    fn trim(&self) {
        MutexAllocator::trim(self)
    }
    fn release_thread_cache(&self) {}
    fn config(&self) -> PoolConfig {
        MutexAllocator::config(self)
    }
    fn same(&self, _other: &Self) -> Option<bool> {
        None
    }
}
