//! Lock-free recycling of columnar chunks for vectorized query executors.
//!
//! An executor processes rows in batches ("chunks") of typed column buffers.
//! Allocating those buffers per batch costs allocator calls and page faults;
//! `chunkpool` hands the same buffers out again once a batch is dropped.
//! It restates TiDB's per-session chunk allocator (`util/chunk/alloc.go`) in
//! Rust, keeping its semantics, without the race TiDB had on the session's
//! allocator pointer (issue 46282) and without the mutex TiDB added to fix it.
//!
//! # When to use it
//! * Many threads allocate chunks of recurring layouts, batch after batch.
//! * You want a bound on what is kept cached (counts and bytes), per session.
//!
//! When not: single-threaded code with a modern allocator (mimalloc,
//! jemalloc) and small chunks gains little; one-off batches gain nothing.
//!
//! # The executor lifecycle
//! ```
//! use chunkpool::{FieldType, LockFreeAllocator, SessionChunkPool, StatementOutcome};
//!
//! let session = SessionChunkPool::new();
//! let mut alloc = LockFreeAllocator::new();
//! let fields = [FieldType::I64, FieldType::UTF8];
//!
//! for statement in 0..3 {
//!     session.begin_statement();
//!     session.set_alloc(Some(&alloc));
//!     // Parallel workers allocate through the session.
//!     let failed = std::thread::scope(|s| {
//!         let workers: Vec<_> = (0..4)
//!             .map(|w| {
//!                 let session = &session;
//!                 s.spawn(move || {
//!                     let mut rows = 0;
//!                     for batch in 0..10 {
//!                         let mut chk = session.chunk_allocator().alloc(&fields, 32, 1024);
//!                         for r in 0..32 {
//!                             chk.column_mut(0).append_i64(w * 1000 + batch * 32 + r);
//!                             chk.column_mut(1).append_str("row");
//!                         }
//!                         rows += chk.num_rows();
//!                         // `chk` drops here and its buffers go back to `alloc`.
//!                     }
//!                     rows
//!                 })
//!             })
//!             .collect();
//!         workers.into_iter().map(|w| w.join().unwrap()).sum::<usize>() != 4 * 10 * 32
//!     });
//!     // An error abandons the allocator; otherwise it is kept for the next statement.
//!     session.clear_alloc(&mut alloc, StatementOutcome::failed_if(failed));
//! }
//! assert!(session.last_sql_use_alloc() || session.used_chunk_alloc());
//! assert!(alloc.stats().chunks_from_cache > 0);
//! ```
//!
//! # Invariants
//! 1. A buffer belongs to at most one live chunk: a chunk is owned, and its
//!    buffers return to the pool only when it is dropped.
//! 2. A handed-out chunk has 0 rows, a clean bitmap,
//!    `capacity = min(capacity, max_chunk_size)`,
//!    `required_rows = max_chunk_size`, exactly the requested field types
//!    and room in every column for `capacity` rows, whatever safe code did
//!    to the chunk it was made from (columns replaced, swapped between
//!    chunks, cloned, retyped): a pool checks what comes back, it never
//!    trusts what it handed out. Nothing an earlier user wrote is readable
//!    through it.
//! 3. What is cached never exceeds the configured limits ([`PoolConfig`]):
//!    whole chunks, loose columns per size class, and the byte budget,
//!    which counts the heap the cache keeps (buffers and the records
//!    around them) within a documented fixed overhead.
//! 4. Nothing leaks: every buffer is in a live chunk, cached in one place, or
//!    freed. When the last handle of a [`LockFreeAllocator`] is dropped, its
//!    shared cache is freed then, not at a later epoch collection; chunks
//!    still out are freed as they come back; another thread's cached chunks
//!    of it go at that thread's next call into any lock-free allocator, or
//!    at its exit (see "When memory comes back" on [`LockFreeAllocator`]).
//! 5. A column shared by [`Chunk::make_ref`] is recycled once, after its last
//!    user; `avoid_reusing` and oversized columns are never cached.
//! 6. A session's reuse hook fires at most once per `set_alloc`.
//! 7. `set_alloc`, `clear_alloc`, `alloc`, `reset` and drops may run on any
//!    threads in any order; an `alloc` sees the old allocator, the new one,
//!    or none.
//! 8. A panic in user code (a hook callback, a worker unwinding with chunks)
//!    leaves every pool consistent; chunks dropped while unwinding return
//!    normally; a thread that exits hands its magazines back to the depot.
//!
//! # Bad input
//! A capacity or maximum chunk size of 0, a byte size that overflows, a
//! request the memory cannot meet, an absurd limit, a typed access of the
//! wrong width, a row or column past the end: each is an [`Error`] from the
//! `try_` methods and builders, and a panic naming the problem from their
//! panicking twins (each documents it under "Panics"). None aborts the
//! process (buffers are reserved fallibly), none wraps around, and none
//! leaves a pool inconsistent: a failed `try_alloc` gives back what it took
//! from the cache and counts nothing.
//!
//! One consequence of per-thread caches: a thread's magazine is flushed by
//! its thread-local destructor, and `std::thread::scope` returns before
//! those run, while `JoinHandle::join` waits for them. Join explicitly when
//! the next step must see what the threads cached.
//!
//! # Arrow
//! With the `arrow` feature, `Chunk::into_record_batch` exports a chunk
//! as an arrow `RecordBatch` and `Column::into_array` a column as an
//! array, sharing their buffers. Data buffers are aligned to 64 bytes, as arrow
//! recommends, with or without the feature.
//!
//! The feature works with arrow-rs 59.x and 60.x: cargo picks the one the
//! rest of the build uses (60 is the newest; DataFusion 55 uses 59), and
//! CI tests both. Rust 1.85 or newer with 59, 1.88 with 60 (arrow-rs's
//! minimums); the library without the feature needs 1.75.
//!
//! ## Types
//!
//! | logical type | arrow type | copy? |
//! |---|---|---|
//! | `Int8` … `UInt64`, `Float32`, `Float64` | the same primitive type | none |
//! | `Date`, `Datetime`, `Timestamp` (TiDB's packed time) | `Int64` | none |
//! | `Duration` (nanoseconds) | `Duration(Nanosecond)` | none |
//! | `Bool` (a byte a row) | `Boolean` (a bit a row) | the values, packed |
//! | `Decimal` (TiDB's 40 bytes) | `FixedSizeBinary(40)` | none |
//! | `Decimal(p, s)` ([`FieldType::decimal`]), `p` up to 38 | `Decimal128(p, s)` | the values, converted |
//! | `Decimal(p, s)`, `p` past 38 | `FixedSizeBinary(40)` | none |
//! | `Decimal` with `ExportOptions::decimal128(p, s)` | `Decimal128(p, s)` | the values, converted |
//! | `FixedBytes(n)` | `FixedSizeBinary(n)` | none |
//! | `Utf8`, `Binary` | `LargeUtf8`, `LargeBinary` (`i64` offsets) | none |
//! | `Utf8`, `Binary` with `ExportOptions::small_offsets` | `Utf8`, `Binary` | the offsets, as `i32` |
//!
//! Every field carries the column's logical type in its metadata under
//! `LOGICAL_TYPE_KEY` (the [`FieldType`]'s `Display` name: `Int64`,
//! `Decimal(4, 2)`, ...), since several logical types share an arrow
//! type; an import reads it back, and a `Decimal128(p, s)` array without
//! it imports as `Decimal(p, s)`. The validity bitmap is shared
//! as it is (the same bit order and polarity); a column without NULLs gets
//! no validity buffer. A `Utf8` column whose rows were all written as
//! `&str` since it was made or reset (`append_str`, `append_option_str`,
//! `extend_str`, or rows copied from such a column) vouches for its UTF-8
//! and exports without arrow's check. One given bytes
//! ([`Column::append_bytes`] and its kin do not check) is checked by arrow
//! as the array is made, and the export fails if a row is not UTF-8.
//!
//! `Chunk::into_record_batch_with` builds the schema from
//! `ExportOptions` on every call; `export_schema` builds it once and
//! `Chunk::into_record_batch_as` exports into it (or into a schema written
//! by hand, whose field types choose the offsets and decimal form).
//!
//! ## Memory
//!
//! Every buffer of an export is an arrow `Buffer`
//! over the column's own memory, holding a reference to the exported chunk
//! (except a `Bool` column's values, which are packed into a new buffer:
//! a `Bool` array without NULLs holds nothing of the chunk).
//! Clones, slices and arrays moved to other threads all hold it; when the
//! last one is dropped, on whichever thread, the chunk is dropped there and
//! goes back to its allocator as any dropped chunk does (checked like any
//! other). `Stats::exported_chunks` counts
//! the exports still alive.
//!
//! Arrow counts an exported buffer by the bytes in use, not by the
//! pooled capacity behind it. With the `arrow-pool` feature (arrow-rs
//! 60's `pool` feature), `Chunk::into_record_batch_claimed` claims an
//! export into an arrow `MemoryPool` at [`Chunk::allocated_bytes`],
//! counted once whatever the engine claims again or keeps, and released
//! when the chunk is home.
//!
//! # Accounting an engine can wire to its limit
//! * [`Chunk::allocated_bytes`] and [`Column::allocated_bytes`]: the heap
//!   a chunk's or column's buffers hold.
//! * [`MemoryBudget`]: an engine's reservation, given to
//!   [`LockFreeAllocator::with_memory_budget`]. The pool charges it the
//!   buffers it holds, live or cached: new buffers before a chunk made of
//!   them is handed out (a refusal is [`Error::BudgetRefused`] from
//!   `try_alloc`), a live chunk's growth when it comes home, and gives
//!   back every byte it frees. A recycled chunk asks nothing, so the
//!   alloc-and-return cycle costs the same with a budget as without.
//!   The mutex allocator takes no budget.
//! * Claiming every live pooled chunk into an arrow `MemoryPool` (not
//!   only exports) is not offered: a reservation made at each alloc and
//!   dropped at each return costs about 200 instructions (arrow's
//!   `TrackingMemoryPool`, measured under cachegrind: a boxed reservation
//!   and two shared atomic updates), where the whole pooled cycle costs
//!   about 330 above the benchmark's floor. A [`MemoryBudget`] that
//!   forwards to the engine's pool sees the same memory at no cost per
//!   cycle.
//!
//! # Coming from TiDB
//! TiDB's `util/chunk` functions and this crate's names for them. Where a
//! TiDB name is used, TiDB's meaning is kept; the differences are listed.
//!
//! | TiDB | chunkpool | difference, and why |
//! |---|---|---|
//! | `NewChunkWithCapacity` | [`Chunk::new`] | none |
//! | `Allocator.Alloc` | [`ChunkAllocator::alloc`] / [`ChunkAllocator::try_alloc`], or [`ChunkAllocator::alloc_with`] a [`ChunkRequest`] that names the numbers | no `Free`: a chunk returns when dropped, so a buffer is never recycled under a live user |
//! | `Allocator.Reset`, `CheckReuseAllocSize` | [`ChunkAllocator::reset`], [`ChunkAllocator::check_reuse_alloc_size`] | `reset` frees nothing: chunks came back when dropped |
//! | the session's `SetAlloc`, `ClearAlloc`, `IsAllocValid` | [`SessionChunkPool::set_alloc`], [`SessionChunkPool::clear_alloc`], [`SessionChunkPool::is_alloc_valid`] | atomic swaps, not an unsynchronised field (TiDB issue 46282); `ClearAlloc`'s `hasErr` flag is a [`StatementOutcome`] |
//! | `NumRows`, `IsFull`, `GetRow` | [`Chunk::num_rows`], [`Chunk::is_full`], [`Chunk::row`] | none: through the selection |
//! | (the columns' length) | [`Chunk::physical_rows`], [`Chunk::physical_row`] | named for what they count |
//! | `NumCols`, `Capacity`, `RequiredRows`, `SetRequiredRows` | [`Chunk::num_cols`], [`Chunk::capacity`], [`Chunk::required_rows`], [`Chunk::set_required_rows`] | none |
//! | `Column(i)`, `SetCol` | [`Chunk::column`] / [`Chunk::column_mut`], [`Chunk::set_column`] | a shared column is not mutable ([`Error::SharedColumn`]) |
//! | `MakeRef`, `MakeRefTo` | [`Chunk::make_ref`], [`Chunk::make_ref_to`] | `make_ref_to` refuses a chunk with a selection, as TiDB does ([`Error::HasSelection`]) |
//! | `SwapColumn` | [`Chunk::swap_column`]; within one chunk [`Chunk::swap_column_within`] | the borrow rules need a second name for a swap within one chunk, which keeps a selection (it names rows both columns hold; TiDB refuses any) |
//! | `SwapColumns` | [`Chunk::swap_columns`] | none: columns, selection and virtual row count move together, whatever the widths |
//! | `SetNumVirtualRows` | [`Chunk::set_num_virtual_rows`] | refused on a chunk with columns ([`Error::HasColumns`]), where TiDB sets a count that does not show |
//! | `Reconstruct` | [`Chunk::compact`] | rows selected out of order, or twice, are gathered into new columns (TiDB assumes a rising selection) |
//! | (none) | [`Chunk::retain`] | a filter in place, keeping rows as [`Chunk::rows`] yields them |
//! | `Column.MergeNulls` | [`Chunk::merge_nulls`] | on the chunk, by column index (a column cannot be borrowed mutably beside its siblings); a variable-width destination is accepted, as [`Column::set_null`] accepts it |
//! | `Iterator4Chunk`, `Iterator4List` | [`Chunk::rows`], [`ListRows`] | Rust iterators of [`Row`] (exact size, double-ended); a list is a slice of chunks |
//! | `Reset` | [`Chunk::reset`] | a column still shared with another chunk is replaced by a new one: the other chunk still reads it |
//! | `Sel`, `SetSel` | [`Chunk::sel`], [`Chunk::set_sel`] | `u32` indices, checked against the rows |
//! | `AppendRow`, `Append(other, begin, end)` | [`Chunk::append_row`], [`Chunk::append_rows`] (and [`Chunk::append_selected`], [`Chunk::append_chunk`]) | take the source chunk and physical rows rather than a `Row`; checked, all or nothing |
//! | `AppendPartialRow`, `AppendRowByColIdxs` | [`Chunk::append_partial_row`], [`Chunk::append_row_by_col_idxs`] | take the source chunk and a physical row rather than a `Row` |
//! | `TruncateTo` | [`Chunk::truncate`] | with a selection, the selection is cut and no row moves (TiDB compacts first) |
//! | `CopyConstruct`, `CopyConstructSel` | [`Chunk::copy_construct`] (`Chunk::clone`), [`Chunk::copy_construct_sel`] | the copy belongs to no pool (for a pooled copy: allocate, then [`Chunk::append_chunk`]) |
//! | `GetFieldTypes` (of the chunk's columns) | [`Chunk::fields`] | none |
//! | `Column.AppendNull`, `AppendNNulls`, `SetNull`, `SetNulls`, `HasNull`, `IsNull` | [`Column::append_null`], [`Column::append_nulls`], [`Column::set_null`], [`Column::set_nulls`], [`Column::has_null`], [`Column::is_null`] | none |
//! | `Column.Reset(eType)` | [`Column::reset_as`] | none |
//! | `Column.ReserveString`, `ReserveBytes` | [`Column::reserve_bytes`] | takes the rows and the bytes to make room for, where TiDB estimates 8 bytes a row |
//! | `Column.GetDecimal` (a pointer to write through), `AppendMyDecimal` | [`Column::fixed_bytes_mut`], [`Column::append_fixed_bytes`] | TiDB's 40 bytes as raw bytes; any fixed-width type but `Bool` |
//! | a `DECIMAL(p, s)` field type (`Flen`, `Decimal`) | [`FieldType::decimal`], [`FieldType::decimal_precision_scale`] | part of the type: chunks of one precision never serve another (loose 40-byte buffers do, retyped) |
//! | (booleans: TiDB stores them as `Int64`) | [`FieldType::BOOL`]: [`Column::append_bool`], [`Column::extend_bools`], [`Column::extend_bools_from_parts`], [`Column::iter_bool`], [`Column::set_bool`] | a byte a row, 0 or 1 only: `u8` reads it and does not write it |
//! | (Go has none) | `FromIterator` / `Extend` for [`Column`] | the element type picks the field type (see [`Column`]) |
//! | `Row.Idx`, `Row.GetInt64`, `GetUint64`, `GetFloat32`, `GetFloat64`, `GetBytes`, ... | [`Row::idx`], [`Row::get_i64`], [`Row::get_u64`], [`Row::get_f32`], [`Row::get_f64`], [`Row::get_bytes`], ... | typed reads check the logical type ([`Error::TypeMismatch`]); `get_*` read a NULL as TiDB does (zero, empty), and the `value_*` twins ([`Row::value`], [`Row::value_str`], [`Column::value_bool`], ...) return `None` for it |
//! | `Row.GetString` | [`Row::value_str`] | `None` for NULL; [`Error::InvalidUtf8`] for bytes that are not UTF-8 (TiDB returns them as they are) |
//!
//! `Display` for a chunk prints a bounded table of its rows, as arrow's
//! `pretty_format_batches` prints a batch ([`Chunk::display`] chooses
//! the bound).
//!
//! # Design
//! * **arc-swap** holds the session slot ([`SessionChunkPool`]): setting and
//!   clearing are atomic swaps, and a read is a guard that does not touch a
//!   shared reference count.
//! * **A chunk is one pointer** to a heap record (its columns, selection,
//!   sizes and home) that a pool caches whole and hands out again, so
//!   neither path builds anything; an unpooled chunk pays one small
//!   allocation more for it.
//! * **Per-thread magazines** (Bonwick and Adams' magazines and depot)
//!   sit in front of everything shared: a chunk dropped on a thread is
//!   checked (every column's type, the rows it can hold, whether it may be
//!   cached; a column still carrying the provenance tag the last check
//!   gave it is known unchanged, and only reset) and cached in that
//!   thread's magazine (up to 16 per allocator,
//!   or the thread's fair share of `max_free_chunks` when many threads share
//!   it) together with the `Arc` of its allocator, so the common
//!   alloc-and-drop cycle touches no shared reference count, no shared
//!   counter and no queue. Statistics are counted in per-thread blocks with
//!   plain stores.
//! * **crossbeam-queue's `SegQueue`** is the shared depot behind the
//!   magazines: one queue of whole chunks per layout (up to 8 layouts) and
//!   one of loose columns per element-size class. Magazines exchange chunks
//!   with it in batches of 8. The whole-chunk bound is enforced with
//!   *credits*: a chunk is cached (in a magazine or the depot) only with a
//!   credit reserved from an atomic counter that can never pass
//!   `max_free_chunks`; the credit is a type that must be spent or given
//!   back (debug builds panic otherwise). Loose columns and the byte budget
//!   reserve the same way.
//! * **crossbeam-epoch** reclaims a depot that [`LockFreeAllocator::trim`]
//!   (or the last handle) swaps for an empty one: its contents are freed at
//!   once, by the swapper or by a pusher that raced it, and the empty shell
//!   once no thread can still be inside it. Each allocator has its own
//!   collector, which each thread's cache entry joins, so nothing waits on
//!   unrelated epoch activity. Epoch guards are held for depot operations
//!   only, never across user code.
//! * **loom** model-checks these protocols (`loom-tests/`); every
//!   synchronisation primitive goes through one internal shim that loom can
//!   replace.
//!
//! [`MutexAllocator`] is TiDB's design (one mutex over per-column free
//! lists), kept as the baseline and as a reference model for tests.

// docs.rs builds with `--cfg docsrs` on nightly (Cargo.toml's
// [package.metadata.docs.rs]): rustdoc then marks what the `arrow` feature
// gates. Local builds and stable never see the attribute.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod alloc;
#[cfg(feature = "arrow")]
mod arrow;
mod chunk;
mod column;
mod config;
mod error;
mod field;
mod session;
mod stats;
mod sync;

pub use alloc::{
    ChunkAllocator, ChunkRequest, EmptyAllocator, LockFreeAllocator, MemoryBudget, MutexAllocator,
    Renew, ReuseHook,
};
#[cfg(feature = "arrow")]
pub use arrow::{arrow_type, export_schema, field_type_of, ExportOptions, LOGICAL_TYPE_KEY};
pub use chunk::{Chunk, ChunkDisplay, ListRows, Row, Rows, SelectedRows};
pub use column::{Column, FixedElem, OffsetElem, SpareCapacity};
pub use config::{PoolConfig, PoolConfigBuilder, MAX_COUNT_LIMIT};
#[cfg(feature = "arrow")]
pub use error::ArrowCause;
pub use error::Error;
pub use field::{FieldType, LogicalType, MAX_ELEM_SIZE};
pub use session::{CurrentAllocator, SessionChunkPool, StatementOutcome};
pub use stats::{CachedColumns, Stats};

/// loom models only: see `ThreadExit` in `src/sync.rs`.
#[cfg(chunkpool_loom)]
#[doc(hidden)]
pub use {
    alloc::lockfree::thread_exit as __loom_thread_exit, sync::ThreadExit as __LoomThreadExit,
};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
