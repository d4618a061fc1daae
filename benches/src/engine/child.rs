//! S9's child process: one contender at one shape under one allocator (the
//! process's, [`crate::alloc`]), every asked thread count, one JSON line
//! on stdout. `compare` spawns it as
//!
//! ```text
//! CHUNKPOOL_BENCH_ALLOC=jemalloc compare --s9-child CONTENDER ROWS WIDTH COLUMNS THREADS SAMPLE_MS [SCAN]
//! ```
//!
//! with THREADS a comma-separated list (`1,2,16`) and SCAN `rows` (the
//! default when it is left out) or `bulk` ([`super::Scan`]). Before the timed samples
//! it verifies the contender's batches against the table and counts
//! allocator calls per batch in an untimed one-thread pass, then hands the
//! chunks that pass cached to the pool's depot
//! (`LockFreeAllocator::release_thread_cache`). `base_rss_kb` is the
//! resident set once the table is made, before any batch, and
//! `peak_rss_kb` the peak since then (`crate::sys::PeakFrom`).

use super::{Engine, Maker, Scan};
use crate::alloc;
use serde_json::{json, Value};
use std::time::Duration;

/// The first argument that makes `compare` an S9 child.
pub const CHILD_FLAG: &str = "--s9-child";

/// One S9 child run; `a` are the arguments after [`CHILD_FLAG`].
pub fn child_main(a: &[String]) -> Result<Value, String> {
    let arg = |i: usize, what: &str| a.get(i).ok_or_else(|| format!("missing {what}"));
    let num = |i: usize, what: &str| -> Result<usize, String> {
        arg(i, what)?.parse().map_err(|e| format!("{what}: {e}"))
    };
    let who = Maker::from_name(arg(0, "contender")?)
        .ok_or_else(|| format!("unknown S9 contender {}", a[0]))?;
    let (rows, width, columns) = (num(1, "rows")?, num(2, "width")?, num(3, "columns")?);
    let threads: Vec<usize> = arg(4, "threads")?
        .split(',')
        .map(|t| t.parse().map_err(|e| format!("threads: {e}")))
        .collect::<Result<_, _>>()?;
    let sample = Duration::from_millis(num(5, "sample ms")? as u64);
    let warm = sample / 4;
    let scan = match a.get(6) {
        None => Scan::Rows,
        Some(s) => Scan::from_name(s).ok_or_else(|| format!("unknown S9 scan {s}"))?,
    };

    let e = Engine::with_scan(rows, width, columns, scan);
    let from = crate::sys::PeakFrom::here();
    e.verify(who)?;

    // Allocator calls per batch, one thread, after a warm-up pass.
    let mut local = e.local(who);
    let n = 2 * e.src.slices();
    for k in 0..n {
        e.batch(who, &mut local, k % e.src.slices());
    }
    alloc::counting(true);
    let (a0, f0) = alloc::counts();
    for k in 0..n {
        e.batch(who, &mut local, k % e.src.slices());
    }
    let (a1, f1) = alloc::counts();
    alloc::counting(false);
    drop(local);
    // This thread runs no timed batch: it hands the pool's chunks it cached
    // to the depot, where the timed threads take them, as an engine's
    // thread that stops running batches does. Kept here, they would wait
    // for this thread's exit, and the first timed thread would make its own.
    e.pool.release_thread_cache();

    let mut samples = Vec::new();
    for &t in &threads {
        let s = e.sample(who, t, warm, sample);
        if s.wrong > 0 {
            return Err(format!(
                "{}: {} of {} batches gave a wrong (rows kept, sum) at {t} threads",
                who.name(),
                s.wrong,
                s.batches
            ));
        }
        samples.push(json!({
            "threads": t,
            "batches": s.batches,
            "wall_s": s.wall.as_secs_f64(),
            "ns_per_batch": s.ns_per_batch(),
            "make_ns_per_batch": s.make_ns_per_batch(),
            "faults_per_batch": s.minor_faults as f64 / s.batches.max(1) as f64,
            "rows_per_sec": (s.batches * rows as u64) as f64 / s.wall.as_secs_f64(),
            "from_cache": s.from_cache(),
            "retained_bytes": s.stats_after.as_ref().map(|st| st.retained_bytes),
        }));
    }
    Ok(json!({
        "allocator": alloc::current().name(),
        "contender": who.name(),
        "scan": scan.name(),
        "rows": rows,
        "width": width,
        "columns": columns,
        "batch_bytes": e.src.batch_bytes(),
        "allocs_per_batch": (a1 - a0) as f64 / n as f64,
        "frees_per_batch": (f1 - f0) as f64 / n as f64,
        "base_rss_kb": from.base_kb,
        "peak_rss_kb": from.peak_kb(),
        "peak_since_base": from.reset,
        "samples": samples,
    }))
}
