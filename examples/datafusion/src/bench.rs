//! The DataFusion benchmark's body (feature `bench`), shared by the
//! binaries `bench` (mimalloc; its documentation says what is measured)
//! and `bench-glibc` (glibc's malloc): each declares its global
//! allocator, wrapped in `stats_alloc`'s counter, and hands it to
//! [`main`] with its name.
//!
//! Why two binaries and not one that picks its allocator from the
//! environment (as `compare`'s children do with `CHUNKPOOL_BENCH_ALLOC`):
//! a switching global allocator is an `unsafe impl GlobalAlloc`, and this
//! crate forbids unsafe code. `stats_alloc::StatsAlloc<T>` over a
//! concrete allocator is a safe `static`. `cargo build --features bench`
//! builds both; the parent starts each allocator's children from the
//! binary that has it (`bench-glibc` sits beside `bench`).

use crate::{PooledTable, SourceTable};
use chunkpool::{LockFreeAllocator, PoolConfig};
use datafusion::arrow::array::{
    ArrayRef, AsArray, Float64Array, Int32Array, Int64Array, LargeStringArray, RecordBatch,
};
use datafusion::arrow::datatypes::Float64Type;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};
use stats_alloc::{Region, StatsAlloc};
use std::alloc::GlobalAlloc;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

const QUERY: &str =
    "SELECT name, sum(price) FROM t WHERE qty > 10 GROUP BY name ORDER BY 2 DESC LIMIT 5";
/// S9's large batch (`benches/README.md`): 8192 rows.
const BATCH: usize = 8192;
const PARTITIONS: usize = 2;
const SCANS: [&str; 3] = ["pooled", "no-reuse", "memtable"];
/// The allocators and the binary that runs each (beside this one).
const ALLOCATORS: [(&str, &str); 2] = [("mimalloc", "bench"), ("glibc", "bench-glibc")];
/// The version of the `--json` lines; `compare` checks it.
const FORMAT: u32 = 1;

/// What a child measured.
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

impl Sample {
    /// The child's stdout line: its allocator's name, then the fields,
    /// space-separated.
    fn to_line(self, alloc: &str) -> String {
        format!(
            "{alloc} {} {} {} {} {} {} {} {}",
            self.secs,
            self.allocs,
            self.frees,
            self.bytes,
            self.peak_kib,
            self.base_kib,
            self.from_cache,
            self.made
        )
    }

    /// Parses [`Sample::to_line`], checking the allocator.
    fn from_line(line: &str, alloc: &str) -> std::result::Result<Sample, String> {
        let mut words = line.split_whitespace();
        let ran = words.next().unwrap_or_default();
        if ran != alloc {
            return Err(format!("asked for {alloc}, the child ran on '{ran}'"));
        }
        let f: Vec<f64> = words
            .map(|v| v.parse().map_err(|e| format!("'{v}' in '{line}': {e}")))
            .collect::<std::result::Result<_, _>>()?;
        if f.len() != 8 {
            return Err(format!("8 numbers expected: '{line}'"));
        }
        Ok(Sample {
            secs: f[0],
            allocs: f[1],
            frees: f[2],
            bytes: f[3],
            peak_kib: f[4] as u64,
            base_kib: f[5] as u64,
            from_cache: f[6] as u64,
            made: f[7] as u64,
        })
    }

    /// One `--json` line: this sample with its allocator, scan and
    /// repetition.
    fn to_json(self, alloc: &str, scan: &str, rep: usize) -> String {
        format!(
            "{{\"df\":\"sample\",\"allocator\":{},\"scan\":{},\"rep\":{rep},\
             \"secs_per_query\":{},\"allocs_per_query\":{},\"frees_per_query\":{},\
             \"bytes_per_query\":{},\"peak_rss_kib\":{},\"base_rss_kib\":{},\
             \"batches_from_cache\":{},\"batches_made\":{}}}",
            json_str(alloc),
            json_str(scan),
            json_num(self.secs),
            json_num(self.allocs),
            json_num(self.frees),
            json_num(self.bytes),
            self.peak_kib,
            self.base_kib,
            self.from_cache,
            self.made
        )
    }
}

/// The command line.
struct Args {
    rows: usize,
    iters: usize,
    reps: usize,
    allocators: Vec<&'static str>,
    json: bool,
}

const USAGE: &str =
    "usage: bench [--rows N] [--iters N] [--reps N] [--allocators mimalloc,glibc] [--json]";

fn parse_args(args: &[String]) -> std::result::Result<Args, String> {
    let mut a = Args {
        rows: 1 << 20,
        iters: 20,
        reps: 3,
        allocators: ALLOCATORS.iter().map(|x| x.0).collect(),
        json: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        let mut num = || -> std::result::Result<usize, String> {
            let v = val()?;
            v.parse::<usize>()
                .map(|n| n.max(1))
                .map_err(|e| format!("{arg} {v}: {e}"))
        };
        match arg.as_str() {
            "--rows" => a.rows = num()?,
            "--iters" => a.iters = num()?,
            "--reps" => a.reps = num()?,
            "--allocators" => {
                a.allocators = val()?
                    .split(',')
                    .map(|s| {
                        ALLOCATORS
                            .iter()
                            .find(|x| x.0 == s.trim())
                            .map(|x| x.0)
                            .ok_or_else(|| format!("unknown allocator '{s}'\n{USAGE}"))
                    })
                    .collect::<std::result::Result<_, _>>()?;
            }
            "--json" => a.json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(a)
}

/// The binaries' `main`: `global` is this binary's counted global
/// allocator, `alloc_name` its name (`mimalloc`, `glibc`).
pub fn main<T: GlobalAlloc>(global: &'static StatsAlloc<T>, alloc_name: &str) -> Result<()> {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some("--child") {
        // --child SCAN ROWS ITERS
        let scan = raw.get(1).expect("--child SCAN ROWS ITERS");
        let n = |i: usize| -> usize { raw.get(i).and_then(|v| v.parse().ok()).expect("a number") };
        let sample = child(global, scan, n(2), n(3))?;
        println!("{}", sample.to_line(alloc_name));
        return Ok(());
    }
    let args = match parse_args(&raw) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = parent(&args) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    Ok(())
}

/// The binary that runs `alloc`'s children: this one's sibling.
fn binary_of(alloc: &str) -> std::result::Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("own path: {e}"))?;
    let file = ALLOCATORS
        .iter()
        .find(|x| x.0 == alloc)
        .map(|x| x.1)
        .expect("a known allocator");
    let path = exe.with_file_name(file);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{alloc}: no binary at {} (`cargo build --release --features bench` builds `bench` and `bench-glibc`)",
            path.display()
        ))
    }
}

/// Runs every scan under every allocator asked for, `reps` times, a child
/// process each: per repetition the allocators in turn, and under each the
/// scans in an order rotated by the repetition. Prints the `--json` lines
/// as the samples come (a meta line first), or a markdown table at the end.
fn parent(args: &Args) -> std::result::Result<(), String> {
    let bins: Vec<(&str, PathBuf)> = args
        .allocators
        .iter()
        .map(|&a| Ok((a, binary_of(a)?)))
        .collect::<std::result::Result<_, String>>()?;
    if args.json {
        let list = |xs: &[&str]| xs.iter().map(|x| json_str(x)).collect::<Vec<_>>().join(",");
        println!(
            "{{\"df\":\"meta\",\"format\":{FORMAT},\"query\":{},\"rows\":{},\"batch_rows\":{BATCH},\
             \"partitions\":{PARTITIONS},\"iters\":{},\"reps\":{},\"allocators\":[{}],\"scans\":[{}],\
             \"datafusion\":{}}}",
            json_str(QUERY),
            args.rows,
            args.iters,
            args.reps,
            list(&args.allocators),
            list(&SCANS),
            json_str(datafusion::DATAFUSION_VERSION),
        );
    }
    let mut samples: Vec<(&str, &str, Sample)> = Vec::new();
    for rep in 0..args.reps {
        for (alloc, exe) in &bins {
            for k in 0..SCANS.len() {
                let scan = SCANS[(rep + k) % SCANS.len()];
                let out = Command::new(exe)
                    .args(["--child", scan])
                    .args([args.rows.to_string(), args.iters.to_string()])
                    .output()
                    .map_err(|e| format!("{alloc} {scan}: running {}: {e}", exe.display()))?;
                if !out.status.success() {
                    return Err(format!(
                        "{alloc} {scan}: the child failed ({}): {}",
                        out.status,
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                }
                let line = String::from_utf8_lossy(&out.stdout);
                let sample = Sample::from_line(line.trim(), alloc)
                    .map_err(|e| format!("{alloc} {scan}: {e}"))?;
                if args.json {
                    println!("{}", sample.to_json(alloc, scan, rep));
                    // `compare` reads the lines as they come (its progress).
                    let _ = std::io::stdout().flush();
                }
                samples.push((alloc, scan, sample));
            }
        }
    }
    if !args.json {
        print_table(args, &samples);
        // Every child asserted its queries' answers equal this.
        let answer: Vec<String> = SourceTable::generate(args.rows)
            .top_names(10, 5)
            .into_iter()
            .map(|(name, sum)| format!("{} {sum:.2}", name.as_deref().unwrap_or("NULL")))
            .collect();
        println!(
            "\nThe answer of every query (name, sum(price)), each checked against a plain \
             computation over the rows: {}",
            answer.join(", ")
        );
    }
    Ok(())
}

/// The markdown table of a run without `--json`: per allocator and scan,
/// median [min–max] over the processes.
fn print_table(args: &Args, samples: &[(&str, &str, Sample)]) {
    println!(
        "`{QUERY}` over {} rows ({BATCH}-row batches, {PARTITIONS} partitions), \
         {} timed queries per child process after one warm-up, {} processes per scan and allocator, \
         scan order rotated. Median [min–max] over the processes; each process's time is its median query.\n",
        args.rows, args.iters, args.reps
    );
    println!("| allocator | scan | Mrows/s | ms/query | allocs/query | frees/query | MiB allocated/query | peak RSS MiB (before the queries) | batches from cache |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for alloc in &args.allocators {
        for scan in SCANS {
            let v: Vec<Sample> = samples
                .iter()
                .filter(|s| s.0 == *alloc && s.1 == scan)
                .map(|s| s.2)
                .collect();
            let Some(last) = v.last() else { continue };
            let rate: Vec<f64> = v.iter().map(|x| args.rows as f64 / x.secs / 1e6).collect();
            let ms: Vec<f64> = v.iter().map(|x| x.secs * 1e3).collect();
            let med = |f: fn(&Sample) -> f64| median(&v.iter().map(f).collect::<Vec<_>>());
            println!(
                "| {alloc} | {scan} | {} | {} | {:.0} | {:.0} | {:.1} | {:.1} ({:.1}) | {} |",
                range(&rate, 2),
                range(&ms, 1),
                med(|x| x.allocs),
                med(|x| x.frees),
                med(|x| x.bytes) / (1 << 20) as f64,
                med(|x| x.peak_kib as f64) / 1024.0,
                med(|x| x.base_kib as f64) / 1024.0,
                if last.made == 0 {
                    "-".to_owned()
                } else {
                    format!("{} of {}", last.from_cache, last.made)
                },
            );
        }
    }
}

/// `s` as a JSON string (the names and the query: no control characters).
fn json_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `x` as a JSON number (`null` where JSON has none: NaN, infinities).
fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".to_owned()
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
fn child<T: GlobalAlloc>(
    global: &'static StatsAlloc<T>,
    scan: &str,
    rows: usize,
    iters: usize,
) -> Result<Sample> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let source = Arc::new(SourceTable::generate(rows));
    let expected = source.top_names(10, 5);
    let alloc = match scan {
        "pooled" => LockFreeAllocator::new(),
        "no-reuse" | "memtable" => LockFreeAllocator::with_config(PoolConfig::no_reuse()),
        other => panic!("unknown scan '{other}'"),
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
    let region = Region::new(global);
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
