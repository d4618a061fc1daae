//! DataFusion runs SQL over chunkpool's pooled chunks.
//!
//! [`PooledTable`] is a DataFusion `TableProvider` whose scan
//! ([`PooledScanExec`]) fills chunks from a chunkpool `LockFreeAllocator`
//! with rows of a [`SourceTable`] and exports each one, without a copy,
//! as a `RecordBatch` over the chunk's buffers. DataFusion's operators
//! read those buffers; when the last array over a chunk is dropped (after
//! a filter, an aggregate's input, a slice), the chunk goes back to the
//! allocator and the next batch reuses its buffers.
//!
//! DataFusion's memory pool sees each batch's pooled capacity from the
//! moment it leaves the scan until its chunk is home (see
//! [`PooledTable`] for exactly what is counted), and can refuse it: a
//! pool whose limit is reached fails the query, and the chunk goes home.
//!
//! ```no_run
//! # async fn run() -> datafusion::error::Result<()> {
//! use chunkpool::LockFreeAllocator;
//! use chunkpool_datafusion::{PooledTable, SourceTable};
//! use datafusion::prelude::SessionContext;
//! use std::sync::Arc;
//!
//! let alloc = LockFreeAllocator::new();
//! let ctx = SessionContext::new();
//! let source = Arc::new(SourceTable::generate(100_000));
//! ctx.register_table("t", Arc::new(PooledTable::new(source, alloc.clone())))?;
//! let df = ctx
//!     .sql("SELECT name, sum(price) FROM t WHERE qty > 10 GROUP BY name ORDER BY 2 DESC LIMIT 5")
//!     .await?;
//! df.show().await?;
//! assert_eq!(alloc.stats().exported_chunks, 0); // every batch came home
//! # Ok(())
//! # }
//! ```
//!
//! This crate is a workspace of its own (`examples/datafusion/`), with
//! its own `Cargo.lock` (DataFusion 55 and arrow 59), so neither
//! chunkpool's users nor its workspace build DataFusion;
//! `.ci/datafusion.sh` builds, tests and lints it.
//!
//! The feature `bench` builds the benchmark: the binaries `bench`
//! (mimalloc) and `bench-glibc` (glibc's malloc) run the query above over
//! the pooled scan, the same scan without reuse and DataFusion's own
//! `MemTable` (`src/bin/bench.rs` says what is measured; its body is
//! the module `bench`). The comparison program of the root workspace runs them as its scenario DF
//! and puts them in its report (`benches/README.md`, "How `compare` runs
//! DF"):
//!
//! ```text
//! cargo build --release --features bench --locked \
//!     --manifest-path examples/datafusion/Cargo.toml --target-dir target/datafusion
//! cargo run --release -p chunkpool-bench --bin compare -- --only DF
//! ```

#[cfg(feature = "bench")]
pub mod bench;
mod claim;
mod scan;
mod source;

pub use scan::{PooledScanExec, PooledTable};
pub use source::{SourceTable, FIELDS, NAMES};
