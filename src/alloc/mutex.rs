//! TiDB's design, for comparison: one mutex over per-column free lists.

use super::{replace_small, ChunkAllocator, Home, Renew};
use crate::chunk::{check_alloc, Chunk, Slot};
use crate::column::Column;
use crate::config::PoolConfig;
use crate::error::Error;
use crate::field::FieldType;
use crate::stats::{CachedColumns, Counter, Stats, Tally};
use crate::sync::{lock, Arc, Mutex};
use std::collections::HashMap;
use std::fmt;

/// TiDB's `syncAllocator` over its `allocator`, restated: one
/// `std::sync::Mutex` around a free list of chunk shells and one free list
/// of columns per element size. Every alloc takes the lock once and pops a
/// shell and one column per field; every returned chunk takes it once and
/// pushes them back.
///
/// It applies the same [`PoolConfig`] rules to each column as
/// [`LockFreeAllocator`](crate::LockFreeAllocator) (limit per size class,
/// `avoid_reusing`, oversized variable-width columns, a cached column too
/// small for a request replaced), but keeps different things:
/// `max_free_chunks` bounds the empty chunk shells it keeps
/// ([`Stats::retained_shells`]), not whole chunks with their columns, and
/// every cached column is a loose one, at most `max_free_columns` per size
/// class ([`Stats::cached_columns`]). So it keeps fewer columns than the
/// lock-free allocator, which caches whole chunks on top of as many loose
/// columns; but it keeps loose columns of any number of element sizes,
/// where the lock-free allocator has classes for 15 fixed sizes. See
/// "What it keeps" on [`LockFreeAllocator`](crate::LockFreeAllocator) for
/// an example.
///
/// This is the baseline the benchmarks beat, and a simple reference model
/// for tests. Cheap to clone; clones share one cache.
///
/// ```
/// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
///
/// let pool = MutexAllocator::new();
/// let chk = pool.alloc(&[FieldType::F64], 16, 1024);
/// let buf = chk.column(0).data_ptr();
/// drop(chk);
/// assert_eq!(pool.alloc(&[FieldType::F64], 16, 1024).column(0).data_ptr(), buf);
/// ```
#[derive(Clone)]
pub struct MutexAllocator {
    shared: Arc<MutexShared>,
}

pub(crate) struct MutexShared {
    config: PoolConfig,
    state: Mutex<State>,
    /// Chunks exported to Arrow and not yet home (`Stats::exported_chunks`).
    #[cfg(feature = "arrow")]
    pub(super) exported: crate::sync::StatGauge,
}

#[derive(Default)]
struct State {
    /// Empty column lists of returned chunks.
    free_chunks: Vec<Vec<Slot>>,
    /// Free columns keyed by element size code (0 = variable width).
    free_columns: HashMap<usize, Vec<Column>>,
    retained_columns: usize,
    retained_bytes: usize,
    /// Counted under the lock already held, so the baseline pays no extra
    /// atomics for statistics.
    tally: Tally,
}

impl Default for MutexAllocator {
    fn default() -> Self {
        MutexAllocator::new()
    }
}

impl MutexAllocator {
    /// An allocator with TiDB's default limits.
    ///
    /// ```
    /// use chunkpool::{MutexAllocator, PoolConfig};
    ///
    /// assert_eq!(MutexAllocator::new().config(), PoolConfig::default());
    /// ```
    #[must_use]
    pub fn new() -> MutexAllocator {
        MutexAllocator::with_config(PoolConfig::default())
    }

    /// An allocator with the given limits.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator, PoolConfig};
    ///
    /// let alloc = MutexAllocator::with_config(PoolConfig::with_limits(64, 1)?);
    /// let a = alloc.alloc(&[FieldType::I64], 8, 8);
    /// let b = alloc.alloc(&[FieldType::I64], 8, 8);
    /// drop((a, b));
    /// let stats = alloc.stats();
    /// assert_eq!(stats.retained_columns, 1); // one loose column per size class
    /// assert_eq!(stats.discarded_over_limit, 1);
    /// # Ok::<(), chunkpool::Error>(())
    /// ```
    #[must_use]
    pub fn with_config(config: PoolConfig) -> MutexAllocator {
        MutexAllocator {
            shared: Arc::new(MutexShared {
                config,
                state: Mutex::new(State::default()),
                #[cfg(feature = "arrow")]
                exported: crate::sync::StatGauge::new(0),
            }),
        }
    }

    /// The limits this allocator was made with.
    ///
    /// ```
    /// # use chunkpool::{MutexAllocator, PoolConfig};
    /// let alloc = MutexAllocator::with_config(PoolConfig::no_reuse());
    /// assert_eq!(alloc.config(), PoolConfig::no_reuse());
    /// ```
    #[must_use]
    pub fn config(&self) -> PoolConfig {
        self.shared.config
    }

    /// A snapshot of the counters and the current cache contents, taken
    /// under the lock (exact). This allocator keeps no whole chunk:
    /// `retained_chunks` is 0, and the cached chunk shells (column lists
    /// without columns, as TiDB keeps them) are `retained_shells`.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
    ///
    /// let alloc = MutexAllocator::new();
    /// drop(alloc.alloc(&[FieldType::I64, FieldType::F64], 8, 8));
    /// let stats = alloc.stats();
    /// assert_eq!((stats.retained_chunks, stats.retained_shells), (0, 1));
    /// // I64 and F64 share the 8-byte size class.
    /// assert_eq!(stats.cached_columns.get(FieldType::I64), 2);
    /// ```
    #[must_use = "stats() takes a snapshot; it resets no counter"]
    pub fn stats(&self) -> Stats {
        let st = lock(&self.shared.state);
        let cached_columns = CachedColumns::from_counts(
            st.free_columns
                .iter()
                .map(|(&code, list)| (FieldType::from_code(code), list.len())),
        );
        Stats {
            retained_shells: st.free_chunks.len(),
            retained_columns: st.retained_columns,
            cached_columns,
            retained_bytes: st.retained_bytes,
            reserved_chunks: st.free_chunks.len(),
            budget_reserved: if self.shared.config.byte_budget().is_some() {
                st.retained_bytes
            } else {
                0
            },
            #[cfg(feature = "arrow")]
            exported_chunks: self
                .shared
                .exported
                .load(crate::sync::Ordering::Relaxed),
            ..st.tally.snapshot()
        }
    }

    /// Drops everything cached. Chunks in use are untouched and return to
    /// the cache when dropped.
    ///
    /// ```
    /// use chunkpool::{ChunkAllocator, FieldType, MutexAllocator};
    ///
    /// let alloc = MutexAllocator::new();
    /// drop(alloc.alloc(&[FieldType::UTF8], 8, 8));
    /// assert_eq!(alloc.stats().retained_columns, 1);
    /// alloc.trim();
    /// let stats = alloc.stats();
    /// assert_eq!((stats.retained_columns, stats.retained_shells), (0, 0));
    /// assert_eq!(stats.retained_bytes, 0);
    /// ```
    pub fn trim(&self) {
        let mut st = lock(&self.shared.state);
        st.free_chunks.clear();
        st.free_columns.clear();
        st.retained_columns = 0;
        st.retained_bytes = 0;
    }
}

impl MutexShared {
    fn alloc(
        this: &Arc<MutexShared>,
        fields: &[FieldType],
        capacity: usize,
        max: usize,
    ) -> Result<Chunk, Error> {
        let cap = check_alloc(fields, capacity, max)?;
        let s = &**this;
        let (mut reused, mut too_small) = (0, 0);
        let mut st = lock(&s.state);
        let shell = st.free_chunks.pop();
        let had_shell = shell.is_some();
        let mut columns = match shell {
            Some(shell) => {
                st.retained_bytes -= shell_bytes(&shell);
                shell
            }
            None => Vec::with_capacity(fields.len()),
        };
        // Cached columns first, a placeholder where none is cached; then
        // new columns for what is missing or too small, all or nothing.
        for &f in fields {
            let cached = st.free_columns.get_mut(&f.code()).and_then(Vec::pop);
            let col = match cached {
                Some(mut col) => {
                    st.retained_columns -= 1;
                    st.retained_bytes -= column_bytes(&col);
                    if col.fits(cap) {
                        reused += 1;
                        // Cached under its size class; the logical type
                        // may differ.
                        col.reset_as(f);
                    } else {
                        too_small += 1;
                    }
                    col
                }
                None => Column::EMPTY,
            };
            columns.push(Slot::Own(col));
        }
        if reused < fields.len() as u64 {
            if let Err(e) = replace_small(&mut columns, fields, cap) {
                s.untake(&mut st, columns, had_shell);
                return Err(e);
            }
        }
        st.tally.add(Counter::ChunksAllocated, 1);
        if reused == fields.len() as u64 {
            st.tally.add(Counter::ChunksFromCache, 1);
        }
        st.tally.add(Counter::ColumnsReused, reused);
        st.tally.add(Counter::DiscardedTooSmall, too_small);
        st.tally
            .add(Counter::ColumnsFresh, fields.len() as u64 - reused);
        drop(st);
        Ok(Chunk::from_parts(
            columns,
            cap,
            max,
            Some(Home::Mutex(Arc::clone(this))),
        ))
    }

    /// Puts back what a failed [`alloc`](Self::alloc) took, under the lock
    /// it still holds: every cached column where it was (in the order it
    /// was popped, so the lists come back as they were), the shell if one
    /// was taken. Nothing is counted: the request did not happen.
    #[cold]
    fn untake(&self, st: &mut State, mut columns: Vec<Slot>, had_shell: bool) {
        for slot in columns.drain(..).rev() {
            let Some(col) = slot.into_column() else {
                continue;
            };
            if col.is_placeholder() {
                continue;
            }
            st.retained_columns += 1;
            st.retained_bytes += column_bytes(&col);
            let list = st.free_columns.entry(col.field_type().code()).or_default();
            list.push(col);
        }
        if had_shell {
            st.retained_bytes += shell_bytes(&columns);
            st.free_chunks.push(columns);
        }
    }

    /// Whether `col` may be cached now; pushes it if so.
    fn put_column(&self, st: &mut State, mut col: Column) {
        let why = if let Some(r) = col.refusal(self.config.var_limit()) {
            Some(Counter::from(r))
        } else {
            let bytes = column_bytes(&col);
            let list = st.free_columns.entry(col.field_type().code()).or_default();
            let over_budget = self
                .config
                .byte_budget()
                .is_some_and(|b| st.retained_bytes + bytes > b);
            if list.len() >= self.config.max_free_columns() || over_budget {
                Some(Counter::DiscardedOverLimit)
            } else {
                col.reset();
                list.push(col);
                st.retained_columns += 1;
                st.retained_bytes += bytes;
                None
            }
        };
        if let Some(why) = why {
            st.tally.add(why, 1);
        }
    }

    pub(crate) fn recycle(&self, mut columns: Vec<Slot>) {
        let mut st = lock(&self.state);
        st.tally.add(Counter::ChunksReturned, 1);
        for slot in columns.drain(..) {
            if let Some(col) = slot.into_column() {
                self.put_column(&mut st, col);
            }
        }
        let bytes = shell_bytes(&columns);
        let over_budget = self
            .config
            .byte_budget()
            .is_some_and(|b| st.retained_bytes + bytes > b);
        if st.free_chunks.len() < self.config.max_free_chunks() && !over_budget {
            st.free_chunks.push(columns);
            st.retained_bytes += bytes;
        }
    }

    pub(crate) fn recycle_column(&self, col: Column) {
        let mut st = lock(&self.state);
        self.put_column(&mut st, col);
    }
}

/// What a cached column costs on the heap: its buffers and its record
/// (the free lists' spare capacity is not counted).
fn column_bytes(col: &Column) -> usize {
    col.allocated_bytes() + std::mem::size_of::<Column>()
}

/// What a cached chunk shell costs on the heap: its column list.
fn shell_bytes(shell: &Vec<Slot>) -> usize {
    shell.capacity() * std::mem::size_of::<Slot>()
}

impl ChunkAllocator for MutexAllocator {
    fn try_alloc(
        &self,
        fields: &[FieldType],
        capacity: usize,
        max_chunk_size: usize,
    ) -> Result<Chunk, Error> {
        MutexShared::alloc(&self.shared, fields, capacity, max_chunk_size)
    }

    /// Nothing to do: chunks came back when they were dropped.
    fn reset(&self) {}

    fn check_reuse_alloc_size(&self) -> bool {
        self.shared.config.reuse_enabled()
    }
}

impl Renew for MutexAllocator {
    fn renew(&self) -> Self {
        MutexAllocator::with_config(self.config())
    }
}

impl fmt::Debug for MutexAllocator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexAllocator")
            .field("config", &self.shared.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl fmt::Debug for MutexShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexShared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
