//! Scenario DF (`benches/README.md`, issue 21): the test query inside
//! DataFusion over the pooled scan, the same scan without reuse and
//! DataFusion's MemTable, under mimalloc and glibc, as the DataFusion
//! benchmark (`examples/datafusion`, binary `bench`) measures it.
//!
//! That benchmark is a workspace of its own (DataFusion 55 with arrow 59;
//! this crate has arrow 60), so `compare` neither links nor builds it: it
//! runs the binary, given by `--datafusion-bin PATH` or found where
//! [`build_command`] puts it, as a child process with `--json`, reads its
//! lines as they come (`chunkpool_bench::df`), and writes the section.
//! Where there is no binary, the section says "not run" and gives the
//! command that builds it.

use crate::args::{built_in_target_dir, Args};
use crate::progress::Progress;
use crate::table::{ratio_cell, render_md};
use chunkpool_bench::df::{self, Results, POOLED};
use chunkpool_bench::harness::{median, min_max};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The allocators DF runs (the benchmark has a binary for each).
const ALLOCATORS: &str = "mimalloc,glibc";
const N_ALLOCATORS: usize = 2;
const N_SCANS: usize = 3;

/// What the benchmark is asked to run.
pub(crate) struct Plan {
    pub(crate) rows: u64,
    pub(crate) iters: u64,
    pub(crate) reps: usize,
}

pub(crate) fn plan(args: &Args) -> Plan {
    Plan {
        rows: args
            .df_rows
            .unwrap_or(if args.quick { 1 << 17 } else { 1 << 20 }),
        iters: args.df_iters.unwrap_or(if args.quick { 3 } else { 20 }),
        reps: args.df_reps.unwrap_or(if args.quick { 1 } else { 5 }),
    }
}

/// The DataFusion crate's directory in this repository.
fn crate_dir() -> PathBuf {
    chunkpool_bench::repo_root().join("examples/datafusion")
}

/// Where [`build_command`] builds: `datafusion/` in the target directory
/// `compare` was built into (the directory `.ci/datafusion.sh` tests the
/// crate in), or in the repository's `target/`.
fn df_target_dir() -> PathBuf {
    built_in_target_dir()
        .unwrap_or_else(|| chunkpool_bench::repo_root().join("target"))
        .join("datafusion")
}

/// The command that builds the benchmark where `compare` finds it.
pub(crate) fn build_command() -> String {
    format!(
        "cargo build --release --features bench --locked --manifest-path {} --target-dir {}",
        crate_dir().join("Cargo.toml").display(),
        df_target_dir().display()
    )
}

/// Where `compare` looks for the binary without `--datafusion-bin`: where
/// [`build_command`] puts it, then where a plain `cargo build --release
/// --features bench` in `examples/datafusion` does.
fn candidates() -> Vec<PathBuf> {
    vec![
        df_target_dir().join("release/bench"),
        crate_dir().join("target/release/bench"),
    ]
}

/// What DF came to.
#[derive(Default)]
pub(crate) enum DfOutcome {
    /// Not asked for (`--only` without DF).
    #[default]
    Off,
    /// Not run, and why; `build` where building the binary would fix it.
    NotRun {
        why: String,
        build: bool,
    },
    /// The binary failed, or printed what cannot be read.
    Failed {
        bin: PathBuf,
        error: String,
    },
    Ran {
        bin: PathBuf,
        results: Results,
    },
}

/// The binary DF runs: `--datafusion-bin` (which must exist), or the first
/// of [`candidates`] that does; `Err` says why there is none.
pub(crate) fn find_bin(args: &Args) -> Result<PathBuf, String> {
    if let Some(p) = &args.datafusion_bin {
        return if p.is_file() {
            Ok(p.clone())
        } else {
            Err(format!("--datafusion-bin {}: no such file", p.display()))
        };
    }
    let c = candidates();
    c.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        format!(
            "no DataFusion benchmark binary (looked for {})",
            c.iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" and ")
        )
    })
}

/// Progress steps DF takes: one per child of the benchmark.
pub(crate) fn df_steps(args: &Args, bin: &Result<PathBuf, String>) -> usize {
    if bin.is_ok() {
        plan(args).reps * N_ALLOCATORS * N_SCANS
    } else {
        0
    }
}

/// Runs the benchmark at `bin` (or notes why not). A wrong answer or a
/// batch that did not come home is an error of the run (`Err`), as a wrong
/// checksum is in S8–S11; any other failure is the outcome `Failed`.
pub(crate) fn run_df(
    args: &Args,
    bin: Result<PathBuf, String>,
    pb: &Progress,
) -> Result<DfOutcome, String> {
    if !args.children {
        return Ok(DfOutcome::NotRun {
            why: "--no-children (DF runs the DataFusion benchmark as a child process)".into(),
            build: false,
        });
    }
    let bin = match bin {
        Ok(b) => b,
        Err(why) => return Ok(DfOutcome::NotRun { why, build: true }),
    };
    let p = plan(args);
    pb.set_message(format!(
        "DF DataFusion benchmark: {} rows, {} queries, {} rep(s) × {ALLOCATORS} × 3 scans ({})",
        p.rows,
        p.iters,
        p.reps,
        bin.display()
    ));
    let failed = |error: String| {
        Ok(DfOutcome::Failed {
            bin: bin.clone(),
            error,
        })
    };
    let mut child = match Command::new(&bin)
        .args(["--json", "--allocators", ALLOCATORS])
        .args(["--rows", &p.rows.to_string()])
        .args(["--iters", &p.iters.to_string()])
        .args(["--reps", &p.reps.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => return failed(format!("starting it: {e}")),
    };
    // stderr drained aside, so a chatty child cannot block on a full pipe.
    let mut stderr = child.stderr.take().expect("piped");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut results = Results::default();
    let mut bad: Option<String> = None;
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                bad.get_or_insert(format!("reading its output: {e}"));
                break;
            }
        };
        if bad.is_some() {
            continue; // read to the end, so the child is not blocked
        }
        let before = results.samples.len();
        match results.push_line(&line) {
            Ok(()) => {
                if let Some(s) = results.samples.get(before) {
                    pb.set_message(format!(
                        "DF {} {} rep {}/{}: {:.1} ms/query",
                        s.allocator,
                        s.scan,
                        s.rep + 1,
                        p.reps,
                        s.secs * 1e3
                    ));
                    pb.inc(1);
                }
            }
            Err(e) => bad = Some(e),
        }
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    let stderr = err_reader.join().unwrap_or_default();
    if !status.success() {
        let msg = stderr.trim().to_string();
        if msg.contains("wrong answer") || msg.contains("did not come home") {
            return Err(format!("DF: {msg}"));
        }
        return failed(format!("{status}: {msg}"));
    }
    if let Some(e) = bad.or_else(|| results.check_complete().err()) {
        return failed(format!(
            "{e} (a binary built from older sources? rebuild it: {})",
            build_command()
        ));
    }
    Ok(DfOutcome::Ran { bin, results })
}

const TITLE: &str = "## DF: DataFusion (issue 21)";

/// DF's section of report.md (also printed on the console).
pub(crate) fn df_markdown(o: &DfOutcome, quick: bool) -> String {
    let mut md = String::new();
    let (bin, r) = match o {
        DfOutcome::Off => return md,
        DfOutcome::NotRun { why, build: false } => {
            let _ = writeln!(md, "{TITLE}\n\nnot run: {why}.");
            return md;
        }
        DfOutcome::NotRun { why, build: true } => {
            let _ = writeln!(
                md,
                "{TITLE}\n\nnot run: {why}. The DataFusion benchmark is a workspace of its own \
                 (`examples/datafusion`: DataFusion 55 with arrow 59), which this crate does not build. \
                 Build it (both binaries, `bench` on mimalloc and `bench-glibc`) with\n\n    {}\n\n\
                 and run `compare` again, or pass `--datafusion-bin PATH` (the `bench` binary, \
                 `bench-glibc` beside it).",
                build_command()
            );
            return md;
        }
        DfOutcome::Failed { bin, error } => {
            let _ = writeln!(
                md,
                "{TITLE}\n\nnot measured: the DataFusion benchmark ({}) failed: {error}",
                bin.display()
            );
            return md;
        }
        DfOutcome::Ran { bin, results } => (bin, results),
    };
    let m = r.meta.as_ref().expect("a complete run has its meta line");
    let _ = writeln!(
        md,
        "{TITLE}\n\n`{}` in DataFusion {} over {} rows ({}-row batches, S9's large shape, with text \
         `name` of about 7 B a row, one NULL in nine; {} partitions), three scans of the same rows: \
         `pooled` = the crate's `PooledTable` over a default `LockFreeAllocator` (each batch filled into a pooled \
         chunk, exported without a copy, home when DataFusion drops it); `no-reuse` = the same scan and fill with \
         `PoolConfig::no_reuse()` (fresh buffers every batch: no pool); `memtable` = DataFusion's own `MemTable` \
         over arrow batches built once from the same rows before the timed queries (no fill per query: the floor \
         of a scan). Each scan under each allocator (the S9 axis: mimalloc and glibc) in a child process of the \
         benchmark (`{}`): one warm-up query (its answer checked, as every query's), then {} timed. \
         {} repetition(s), scan order rotated. Median [min–max] over the repetitions (each repetition's time is \
         its median query); × pooled = the scan's time / pooled's in the same repetition and allocator (> 1: the \
         pool faster). Allocator calls and bytes: `stats_alloc` over the timed queries. Peak RSS: `VmHWM` after \
         a reset just before the timed queries (RSS before them in parentheses). Batches from cache: summed over the \
         repetitions' timed queries. Reported, no target.{}\n",
        m.query,
        m.datafusion,
        m.rows,
        m.batch_rows,
        m.partitions,
        bin.display(),
        m.iters,
        m.reps,
        if quick {
            " QUICK run: few rows and queries; indicative only."
        } else {
            ""
        }
    );
    let (head, rows) = df_rows(r);
    md.push_str(&render_md(&head, &rows));
    md.push('\n');
    for line in df_verdicts(r) {
        let _ = writeln!(md, "- {line}");
    }
    md
}

fn df_rows(r: &Results) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "allocator",
        "scan",
        "Mrows/s",
        "ms/query",
        "× pooled",
        "allocs/query",
        "frees/query",
        "MiB allocated/query",
        "peak RSS MiB (before)",
        "batches from cache",
    ];
    let rows_n = r.meta.as_ref().map_or(0, |m| m.rows) as f64;
    let mut rows = Vec::new();
    for a in r.allocators() {
        for s in r.scans() {
            let range = |f: &dyn Fn(&df::Sample) -> f64, prec: usize| {
                let v = r.values(a, s, f);
                if v.is_empty() {
                    return "-".to_string();
                }
                let (lo, hi) = min_max(&v);
                format!("{:.prec$} [{lo:.prec$}–{hi:.prec$}]", median(&v))
            };
            let med = |f: &dyn Fn(&df::Sample) -> f64, prec: usize| {
                r.median(a, s, f)
                    .map_or("-".into(), |x| format!("{x:.prec$}"))
            };
            // Summed over the repetitions.
            let made: f64 = r.values(a, s, |x| x.made as f64).iter().sum();
            let hit: f64 = r.values(a, s, |x| x.from_cache as f64).iter().sum();
            let cache = if made == 0.0 {
                "-".to_string()
            } else {
                format!("{hit:.0} of {made:.0}")
            };
            rows.push(vec![
                a.clone(),
                s.clone(),
                range(&|x| rows_n / x.secs / 1e6, 2),
                range(&|x| x.secs * 1e3, 1),
                if s == POOLED {
                    "1".to_string()
                } else {
                    ratio_cell(r.ratio(a, s))
                },
                med(&|x| x.allocs, 0),
                med(&|x| x.frees, 0),
                med(&|x| x.bytes / 1048576.0, 1),
                format!(
                    "{} ({})",
                    med(&|x| x.peak_kib as f64 / 1024.0, 1),
                    med(&|x| x.base_kib as f64 / 1024.0, 1)
                ),
                cache,
            ]);
        }
    }
    (head, rows)
}

/// The lines under the table: per allocator, the pool against each other
/// scan, said plainly where it loses; the best of each under any allocator;
/// what the pool saves in allocations.
fn df_verdicts(r: &Results) -> Vec<String> {
    let mut out = Vec::new();
    for a in r.allocators() {
        let mut parts = Vec::new();
        for s in r.scans().iter().filter(|s| *s != POOLED) {
            if let Some((m, lo, hi)) = r.ratio(a, s) {
                let mut t = format!(
                    "{s}'s time / pooled's {m:.2} [{lo:.2}–{hi:.2}]: {}",
                    df::verdict(m)
                );
                if m <= df::LOSE_AT {
                    let _ = write!(t, ", its time {:.2}× {s}'s", 1.0 / m);
                    if s == "memtable" {
                        t.push_str(
                            " (the MemTable's batches exist before the query: it fills nothing per query)",
                        );
                    }
                }
                if lo < df::LOSE_AT && hi > df::WIN_AT {
                    t.push_str(" (range straddles: noisy)");
                }
                parts.push(t);
            }
        }
        if !parts.is_empty() {
            out.push(format!("under {a}: {}", parts.join("; ")));
        }
    }
    let best: Vec<String> = r
        .scans()
        .iter()
        .filter_map(|s| {
            let (t, a) = r.best(s)?;
            Some(format!("{s} {:.1} ms ({a})", t * 1e3))
        })
        .collect();
    if let (Some((cp, _)), Some((nr, _))) = (r.best(POOLED), r.best("no-reuse")) {
        out.push(format!(
            "best under any allocator: {}; no-reuse's best / pooled's best {:.2}: {}",
            best.join(", "),
            nr / cp,
            df::verdict(nr / cp)
        ));
    }
    for a in r.allocators() {
        let mib = |s: &str| r.median(a, s, |x| x.bytes / 1048576.0);
        let calls = |s: &str| r.median(a, s, |x| x.allocs);
        if let (Some(p), Some(n), Some(cp), Some(cn)) = (
            mib(POOLED),
            mib("no-reuse"),
            calls(POOLED),
            calls("no-reuse"),
        ) {
            out.push(format!(
                "under {a}, per query: pooled allocates {p:.1} MiB in {cp:.0} calls, no-reuse {n:.1} MiB in \
                 {cn:.0} ({:+.0}% bytes, {:+.0} calls with the pool)",
                (p / n - 1.0) * 100.0,
                cp - cn
            ));
        }
    }
    out
}

/// report.json's `datafusion`.
pub(crate) fn df_json(o: &DfOutcome) -> Value {
    match o {
        DfOutcome::Off => Value::Null,
        DfOutcome::NotRun { why, .. } => {
            json!({"status": "not run", "why": why, "build_command": build_command()})
        }
        DfOutcome::Failed { bin, error } => {
            json!({"status": "failed", "binary": bin.display().to_string(), "error": error})
        }
        DfOutcome::Ran { bin, results } => {
            let m = results.meta.as_ref();
            let ratios: Vec<Value> = results
                .allocators()
                .iter()
                .flat_map(|a| {
                    results.scans().iter().filter_map(move |s| {
                        let (med, lo, hi) = results.ratio(a, s)?;
                        Some(json!({"allocator": a, "scan": s, "time_over_pooled":
                            {"median": med, "min": lo, "max": hi}}))
                    })
                })
                .collect();
            json!({
                "status": "ran",
                "binary": bin.display().to_string(),
                "query": m.map(|m| m.query.clone()),
                "datafusion": m.map(|m| m.datafusion.clone()),
                "rows": m.map(|m| m.rows),
                "batch_rows": m.map(|m| m.batch_rows),
                "partitions": m.map(|m| m.partitions),
                "iters": m.map(|m| m.iters),
                "reps": m.map(|m| m.reps),
                "samples": results.samples.iter().map(|s| json!({
                    "allocator": s.allocator, "scan": s.scan, "rep": s.rep,
                    "secs_per_query": s.secs, "allocs_per_query": s.allocs,
                    "frees_per_query": s.frees, "bytes_per_query": s.bytes,
                    "peak_rss_kib": s.peak_kib, "base_rss_kib": s.base_kib,
                    "batches_from_cache": s.from_cache, "batches_made": s.made,
                })).collect::<Vec<_>>(),
                "ratios": ratios,
            })
        }
    }
}
