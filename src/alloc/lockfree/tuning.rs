//! The lock-free allocator's fixed sizes, in one place.
//!
//! Under `--cfg chunkpool_loom` the sizes that only bound how much a
//! thread or a depot holds are smaller, so a model reaches a full
//! magazine, a batch move, a full entry table or a full layout table in a
//! few steps. The size classes stay as they are in both builds: how many
//! element sizes get a class is part of what the allocator documents.

/// Whole chunks one thread keeps per allocator, at most.
pub(super) const MAGAZINE: usize = if cfg!(chunkpool_loom) { 4 } else { 16 };

/// Chunks moved between a magazine and the depot at once.
pub(super) const BATCH: usize = MAGAZINE / 2;

/// Allocators one thread caches for at once; the least recently used is
/// flushed to make room.
pub(super) const ENTRIES: usize = if cfg!(chunkpool_loom) { 2 } else { 4 };

/// Distinct whole-chunk layouts one depot caches; further layouts fall
/// back to loose columns until the next `trim`.
pub(super) const LAYOUTS: usize = if cfg!(chunkpool_loom) { 4 } else { 8 };

/// Size classes of loose columns: class 0 is variable width, the others
/// are claimed by the first 15 fixed element sizes seen.
pub(super) const CLASSES: usize = 16;

/// Pin-and-flush rounds after a depot swap: two epoch advances and the
/// collection, so the old depot's shell is freed at once when no thread is
/// inside it. None under loom: they only make the reclamation prompt, and
/// each multiplies the interleavings of crossbeam-epoch's own protocol that
/// the models would explore without checking anything of this crate's.
pub(super) const RECLAIM_ROUNDS: usize = if cfg!(chunkpool_loom) { 0 } else { 3 };
