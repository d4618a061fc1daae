//! The test query inside DataFusion, over three scans of the same rows,
//! under mimalloc and glibc's malloc: rows per second, allocator calls and
//! peak RSS, printed as a markdown table, or as JSON lines for `compare`
//! (`--json`; `benches/README.md`, scenario DF).
//!
//! - `pooled`: [`PooledTable`] with a default `LockFreeAllocator`: each
//!   batch is filled into a pooled chunk and exported without a copy;
//! - `no-reuse`: the same scan with `PoolConfig::no_reuse()`: the same
//!   fill, into fresh buffers every batch (what a scan without a pool
//!   does);
//! - `memtable`: DataFusion's own `MemTable` over arrow batches built once
//!   from the same rows: no fill at all per query, the floor for a scan.
//!
//! Each scan runs in a child process of its own (so peak RSS is its own),
//! `--reps` times under each allocator, the scans' order rotated between
//! repetitions. A child builds its table, runs the query once to warm up,
//! resets the peak RSS (`/proc/self/clear_refs`), then times `--iters`
//! queries and counts the allocator's calls over them.
//!
//! This binary (`bench`) runs on mimalloc and starts the mimalloc children
//! from itself; the glibc children run `bench-glibc`, the same code on
//! glibc's malloc, which `cargo build --features bench` builds beside it
//! (`src/bench.rs`, the module `bench`, says why two binaries).
//!
//! ```text
//! cargo run --release --features bench --bin bench -- [--rows N] [--iters N]
//!     [--reps N] [--allocators mimalloc,glibc] [--json]
//! ```
//!
//! With `--json`, stdout is one JSON object a line: first
//! `{"df":"meta","format":1,"query":..,"rows":..,"batch_rows":8192,
//! "partitions":2,"iters":..,"reps":..,"allocators":[..],"scans":[..],
//! "datafusion":"55.2.0"}`, then one
//! `{"df":"sample","allocator":..,"scan":..,"rep":..,"secs_per_query":..,
//! "allocs_per_query":..,"frees_per_query":..,"bytes_per_query":..,
//! "peak_rss_kib":..,"base_rss_kib":..,"batches_from_cache":..,
//! "batches_made":..}` per child, as each ends. A failed child (a wrong
//! answer, a batch not home) ends the run with its error on stderr and
//! exit status 1.
//!
//! [`PooledTable`]: chunkpool_datafusion::PooledTable

use mimalloc::MiMalloc;
use stats_alloc::StatsAlloc;

#[global_allocator]
static GLOBAL: StatsAlloc<MiMalloc> = StatsAlloc::new(MiMalloc);

fn main() -> datafusion::error::Result<()> {
    chunkpool_datafusion::bench::main(&GLOBAL, "mimalloc")
}
