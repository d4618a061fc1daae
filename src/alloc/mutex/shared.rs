//! What a [`MutexAllocator`](super::MutexAllocator)'s handles and chunks
//! share: one lock over the free lists of chunk shells and of columns per
//! element size, and the alloc and return paths that take it.

use crate::alloc::budget::Charge;
use crate::alloc::home::{Body, Home};
use crate::alloc::replace_small;
use crate::chunk::{check_alloc, Chunk};
use crate::column::{Column, Slot, VAR_BYTES_PER_ROW};
use crate::config::PoolConfig;
use crate::error::Error;
use crate::field::FieldType;
use crate::stats::{CachedColumns, Counter, Stats, Tally};
use crate::sync::{lock, Arc, Mutex};
use std::collections::HashMap;
use std::fmt;

pub(crate) struct MutexShared {
    config: PoolConfig,
    state: Mutex<State>,
    /// Chunks exported to Arrow and not yet home (`Stats::exported_chunks`).
    #[cfg(feature = "arrow")]
    pub(crate) exported: crate::sync::StatGauge,
}

#[derive(Default)]
struct State {
    /// Bodies of returned chunks with their column lists emptied (TiDB's
    /// chunk shells), with no home while here. Boxed: a chunk is its boxed
    /// body, so one is handed out again without a copy or an allocation.
    #[allow(clippy::vec_box)]
    free_chunks: Vec<Box<Body>>,
    /// Free columns keyed by element size code (0 = variable width).
    free_columns: HashMap<usize, Vec<Column>>,
    retained_columns: usize,
    retained_bytes: usize,
    /// Counted under the lock already held, so the baseline pays no extra
    /// atomics for statistics.
    tally: Tally,
}

impl MutexShared {
    pub(super) fn new(config: PoolConfig) -> MutexShared {
        MutexShared {
            config,
            state: Mutex::new(State::default()),
            #[cfg(feature = "arrow")]
            exported: crate::sync::StatGauge::new(0),
        }
    }

    pub(super) fn config(&self) -> PoolConfig {
        self.config
    }

    /// See [`MutexAllocator::stats`].
    pub(super) fn stats(&self) -> Stats {
        let st = lock(&self.state);
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
            budget_reserved: if self.config.byte_budget().is_some() {
                st.retained_bytes
            } else {
                0
            },
            #[cfg(feature = "arrow")]
            exported_chunks: self.exported.load(crate::sync::Ordering::Relaxed),
            ..st.tally.snapshot()
        }
    }

    /// See [`MutexAllocator::trim`].
    pub(super) fn trim(&self) {
        let mut st = lock(&self.state);
        st.free_chunks.clear();
        st.free_columns.clear();
        st.retained_columns = 0;
        st.retained_bytes = 0;
    }

    /// See [`ChunkAllocator::try_alloc`](crate::ChunkAllocator::try_alloc):
    /// one lock, a shell and one cached column per field where there are.
    pub(super) fn alloc(
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
        let mut body = match shell {
            Some(shell) => {
                st.retained_bytes -= shell_bytes(&shell);
                shell
            }
            None => Body::new(Vec::with_capacity(fields.len()), cap, max, None),
        };
        let columns = &mut body.columns;
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
            // No memory budget here: nothing is charged.
            let mut none = Charge::NONE;
            if let Err(e) = replace_small(columns, fields, cap, VAR_BYTES_PER_ROW, &mut none) {
                s.untake(&mut st, body, had_shell);
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
        body.capacity = cap;
        body.required_rows = max;
        body.home = Some(Home::Mutex(Arc::clone(this)));
        Ok(Chunk::from_body(body))
    }

    /// Puts back what a failed [`alloc`](Self::alloc) took, under the lock
    /// it still holds: every cached column where it was (in the order it
    /// was popped, so the lists come back as they were), the shell if one
    /// was taken. Nothing is counted: the request did not happen.
    #[cold]
    fn untake(&self, st: &mut State, mut body: Box<Body>, had_shell: bool) {
        for slot in body.columns.drain(..).rev() {
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
            st.retained_bytes += shell_bytes(&body);
            st.free_chunks.push(body);
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

    /// Takes back the body of a dropped chunk (its home taken out).
    fn recycle(&self, mut body: Box<Body>) {
        let mut st = lock(&self.state);
        st.tally.add(Counter::ChunksReturned, 1);
        for slot in body.columns.drain(..) {
            if let Some(col) = slot.into_column() {
                self.put_column(&mut st, col);
            }
        }
        body.sel = None;
        body.virtual_rows = 0;
        body.shared = false;
        let bytes = shell_bytes(&body);
        let over_budget = self
            .config
            .byte_budget()
            .is_some_and(|b| st.retained_bytes + bytes > b);
        if st.free_chunks.len() < self.config.max_free_chunks() && !over_budget {
            st.free_chunks.push(body);
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

/// What a cached chunk shell costs on the heap: the body and its column
/// list.
fn shell_bytes(shell: &Body) -> usize {
    std::mem::size_of::<Body>() + shell.columns.capacity() * std::mem::size_of::<Slot>()
}

/// Takes back the body of a dropped chunk of a [`MutexAllocator`](super::MutexAllocator).
pub(crate) fn recycle(mut body: Box<Body>) {
    // The shell keeps no home while cached: it would keep the allocator alive.
    if let Some(Home::Mutex(shared)) = body.home.take() {
        shared.recycle(body);
    }
}

impl fmt::Debug for MutexShared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MutexShared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
