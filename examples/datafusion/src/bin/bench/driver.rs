//! The test query inside DataFusion, over three scans of the same rows,
//! under mimalloc: rows per second, allocator calls and peak RSS, printed
//! as a markdown table.
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
//! `--reps` times, the scans' order rotated between repetitions. A child
//! builds its table, runs the query once to warm up, resets the peak RSS
//! (`/proc/self/clear_refs`), then times `--iters` queries and counts the
//! allocator's calls over them.
//!
//! `cargo run --release --features bench --bin bench -- [--rows N]
//! [--iters N] [--reps N]`

use chunkpool::{LockFreeAllocator, PoolConfig};
use chunkpool_datafusion::{PooledTable, SourceTable};
use datafusion::arrow::array::{
    ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch,
};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};
use mimalloc::MiMalloc;
use stats_alloc::{Region, StatsAlloc};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

#[global_allocator]
static GLOBAL: StatsAlloc<MiMalloc> = StatsAlloc::new(MiMalloc);

const QUERY: &str =
    "SELECT name, sum(price) FROM t WHERE qty > 10 GROUP BY name ORDER BY 2 DESC LIMIT 5";
const BATCH: usize = 8192;
const PARTITIONS: usize = 2;
const SCANS: [&str; 3] = ["pooled", "no-reuse", "memtable"];

/// What a child prints, one line, space-separated.
#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Median seconds per query.
    secs: f64,
    /// Allocating calls (alloc, realloc) and frees per query.
    allocs: f64,
    frees: f64,
    /// Bytes allocated per query.
    bytes: f64,
    /// Peak RSS during the timed queries, and RSS before them (KiB).
    peak_kib: u64,
    base_kib: u64,
    /// Batches taken from the pool's cache, out of those made (pooled
    /// scans; 0 of 0 for the MemTable).
    from_cache: u64,
    made: u64,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .map_or(default, |v| v.parse().expect("a number"))
    };
    let rows = arg("--rows", 1 << 20);
    let iters = arg("--iters", 20);
    if let Some(i) = args.iter().position(|a| a == "--child") {
        let sample = child(&args[i + 1], rows, iters)?;
        println!(
            "{} {} {} {} {} {} {} {}",
            sample.secs,
            sample.allocs,
            sample.frees,
            sample.bytes,
            sample.peak_kib,
            sample.base_kib,
            sample.from_cache,
            sample.made
        );
        return Ok(());
    }
    parent(rows, iters, arg("--reps", 3));
    Ok(())
}

fn parent(rows: usize, iters: usize, reps: usize) {
    let exe = std::env::current_exe().expect("own path");
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); SCANS.len()];
    for rep in 0..reps {
        for k in 0..SCANS.len() {
            let s = (rep + k) % SCANS.len();
            let out = Command::new(&exe)
                .args(["--child", SCANS[s]])
                .args(["--rows", &rows.to_string(), "--iters", &iters.to_string()])
                .output()
                .expect("run a child");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8(out.stdout).expect("utf-8");
            let f: Vec<f64> = line
                .split_whitespace()
                .map(|v| v.parse().expect("a number"))
                .collect();
            samples[s].push(Sample {
                secs: f[0],
                allocs: f[1],
                frees: f[2],
                bytes: f[3],
                peak_kib: f[4] as u64,
                base_kib: f[5] as u64,
                from_cache: f[6] as u64,
                made: f[7] as u64,
            });
        }
    }
    println!(
        "`{QUERY}` over {rows} rows ({BATCH}-row batches, {PARTITIONS} partitions), \
         {iters} timed queries per child process after one warm-up, {reps} processes per scan, \
         order rotated; mimalloc as the global allocator. Median [min–max] over the processes; \
         each process's time is its median query.\n"
    );
    println!("| scan | Mrows/s | ms/query | allocs/query | frees/query | MiB allocated/query | peak RSS MiB (before the queries) | batches from cache |");
    println!("|---|---|---|---|---|---|---|---|");
    for (s, name) in SCANS.iter().enumerate() {
        let v = &samples[s];
        let rate: Vec<f64> = v.iter().map(|x| rows as f64 / x.secs / 1e6).collect();
        let ms: Vec<f64> = v.iter().map(|x| x.secs * 1e3).collect();
        let med = |xs: Vec<f64>| median(&xs);
        let last = v.last().expect("a sample");
        println!(
            "| {name} | {} | {} | {:.0} | {:.0} | {:.1} | {:.1} ({:.1}) | {} |",
            range(&rate, 2),
            range(&ms, 1),
            med(v.iter().map(|x| x.allocs).collect()),
            med(v.iter().map(|x| x.frees).collect()),
            med(v.iter().map(|x| x.bytes).collect()) / (1 << 20) as f64,
            med(v.iter().map(|x| x.peak_kib as f64).collect()) / 1024.0,
            med(v.iter().map(|x| x.base_kib as f64).collect()) / 1024.0,
            if last.made == 0 {
                "-".to_owned()
            } else {
                format!("{} of {}", last.from_cache, last.made)
            },
        );
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn range(xs: &[f64], digits: usize) -> String {
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{:.digits$} [{min:.digits$}–{max:.digits$}]", median(xs))
}

/// One scan's process: builds its table, warms up, measures.
fn child(scan: &str, rows: usize, iters: usize) -> Result<Sample> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let source = Arc::new(SourceTable::generate(rows));
    let expected = source.top_names(10, 5);
    let alloc = match scan {
        "pooled" => LockFreeAllocator::new(),
        _ => LockFreeAllocator::with_config(PoolConfig::no_reuse()),
    };
    let table: Arc<dyn TableProvider> = match scan {
        "memtable" => {
            let t = memtable(&source)?;
            drop(source);
            Arc::new(t)
        }
        _ => Arc::new(PooledTable::new(source, alloc.clone())),
    };
    let config = SessionConfig::new()
        .with_target_partitions(PARTITIONS)
        .with_batch_size(BATCH);
    let ctx = SessionContext::new_with_config(config);
    ctx.register_table("t", table)?;
    let run = || -> Result<()> {
        let got = rt.block_on(async { ctx.sql(QUERY).await?.collect().await })?;
        let sums: Vec<f64> = got
            .iter()
            .flat_map(|b| b.column(1).as_primitive::<Float64Type>().values().to_vec())
            .collect();
        let want: Vec<f64> = expected.iter().map(|e| e.1).collect();
        assert_eq!(sums, want, "{scan}: wrong answer");
        Ok(())
    };
    run()?;
    let base_kib = status_kib("VmRSS:");
    // Resets VmHWM to the current RSS (Linux 4.0 and later).
    std::fs::write("/proc/self/clear_refs", "5").expect("reset peak RSS");
    let before = alloc.stats();
    let region = Region::new(&GLOBAL);
    let mut times = Vec::with_capacity(iters);
    for _ in 0..iters {
        let t = Instant::now();
        run()?;
        times.push(t.elapsed().as_secs_f64());
    }
    let calls = region.change();
    let after = alloc.stats();
    assert_eq!(
        after.exported_chunks, 0,
        "{scan}: a batch did not come home"
    );
    let n = iters as f64;
    Ok(Sample {
        secs: median(&times),
        allocs: (calls.allocations + calls.reallocations) as f64 / n,
        frees: calls.deallocations as f64 / n,
        bytes: calls.bytes_allocated as f64 / n,
        peak_kib: status_kib("VmHWM:"),
        base_kib,
        from_cache: after.chunks_from_cache - before.chunks_from_cache,
        made: after.chunks_allocated - before.chunks_allocated,
    })
}

/// A `MemTable` of the same rows as arrow arrays, in the same batches and
/// partitions the pooled scan makes.
fn memtable(source: &SourceTable) -> Result<MemTable> {
    let schema = SourceTable::schema();
    let mut partitions = vec![Vec::new(); PARTITIONS];
    for (b, start) in (0..source.len()).step_by(BATCH).enumerate() {
        let r = start..(start + BATCH).min(source.len());
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(source.id[r.clone()].to_vec())),
            Arc::new(Float64Array::from(source.price[r.clone()].to_vec())),
            Arc::new(Int32Array::from(source.qty[r.clone()].to_vec())),
            Arc::new(
                source.name[r]
                    .iter()
                    .map(Option::as_deref)
                    .collect::<LargeStringArray>(),
            ),
        ];
        partitions[b % PARTITIONS].push(RecordBatch::try_new(Arc::clone(&schema), columns)?);
    }
    MemTable::try_new(schema, partitions)
}

/// A `/proc/self/status` field in KiB (`VmRSS:`, `VmHWM:`).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the field")
}
