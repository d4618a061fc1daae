//! A small vectorized executor on chunkpool: scan → filter → project with
//! parallel workers, driven through the session slot exactly as TiDB's
//! server drives it (`begin_statement`, `set_alloc`, workers allocate through
//! `session.chunk_allocator()`, `clear_alloc(&mut a, outcome)`, `reset`).
//! One statement fails half-way and abandons its allocator while a leftover
//! chunk is still out. This is scenario S5 of `benches/README.md`; the pipeline itself is
//! in `benches/src/pipeline.rs`, shared with the benches and `compare`.
//!
//! ```text
//! cargo run --release -p chunkpool-bench --bin executor -- [--workers 1,2] [--rows N] [--statements N] [--str-bytes N] [--inline]
//! ```
//!
//! `--str-bytes N`: mean bytes a row of the `name` and `comment` strings
//! (default 8).
//!
//! Each contender (chunkpool, tidb-mutex, and malloc = reuse off) runs in a
//! child process of this binary so that the peak RSS reported (VmHWM) is that
//! contender's own; `--inline` runs them in this process instead (peak RSS is
//! then cumulative and not reported per contender).

use chunkpool_bench::pipeline::{self, Opts, Table};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(pipeline::CHILD_FLAG) {
        if let Err(e) = pipeline::child_main(&args[1..]) {
            eprintln!("{e}");
            std::process::exit(2);
        }
        return;
    }
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let workers: Vec<usize> = arg("--workers")
        .unwrap_or_else(|| "1,2".into())
        .split(',')
        .filter_map(|w| w.trim().parse().ok())
        .collect();
    let rows: usize = arg("--rows")
        .and_then(|v| v.parse().ok())
        .unwrap_or(64 * 1024);
    let statements: usize = arg("--statements")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let str_bytes: usize = arg("--str-bytes")
        .and_then(|v| v.parse().ok())
        .unwrap_or(pipeline::DEFAULT_STR_BYTES);
    let inline = args.iter().any(|a| a == "--inline");
    let exe = std::env::current_exe().expect("current_exe");
    let table = inline.then(|| Table::generate(rows, str_bytes));

    println!(
        "executor: {rows} rows per statement, strings {str_bytes} bytes a row on average, {statements} statements (+1 warm-up), statement {} fails half-way",
        statements / 2
    );
    println!(
        "{:>7}  {:<11} {:>9} {:>12} {:>14} {:>8} {:>13} {:>7} {:>9}",
        "workers",
        "contender",
        "M rows/s",
        "alloc share",
        "faults/morsel",
        "reuse",
        "peak RSS MiB",
        "failed",
        "abandoned"
    );
    for &w in &workers {
        for name in pipeline::CONTENDERS {
            let opts = Opts {
                workers: w,
                rows,
                statements,
                fail_statement: Some(statements / 2),
                str_bytes,
            };
            let r = match &table {
                Some(t) => pipeline::run_named(name, t, &opts).map(|mut r| {
                    r.peak_rss_kb = None;
                    r
                }),
                None => match pipeline::run_in_child(&exe, name, &opts) {
                    Ok(r) => Some(r),
                    Err(e) => {
                        eprintln!("{e}");
                        std::process::exit(1);
                    }
                },
            }
            .expect("known contender");
            println!(
                "{:>7}  {:<11} {:>9.2} {:>11.1}% {:>14.2} {:>8} {:>13} {:>7} {:>9}",
                w,
                name,
                r.rows_per_sec() / 1e6,
                r.alloc_share() * 100.0,
                r.faults_per_morsel(),
                r.reuse_rate
                    .map_or("-".into(), |x| format!("{:.2}%", x * 100.0)),
                r.peak_rss_kb
                    .map_or("-".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
                r.failed_statements,
                r.abandoned_allocators,
            );
        }
    }
}
