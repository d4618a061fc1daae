//! Children of this binary under another global allocator
//! (`chunkpool_bench::alloc`, chosen per process by `CHUNKPOOL_BENCH_ALLOC`):
//! the spawn-and-read-back every such child shares (S1–S3's no-pool rows,
//! S9, S10, S11), the repetition S10 and S11 share (every allocator, each
//! contender in a child), and S1–S3's no-pool contender under mimalloc and
//! jemalloc, both sides. Nothing here runs `cargo`: the child is this very binary.
//!
//! S1–S3's rows `mimalloc` and `jemalloc` are `malloc` (no pool,
//! `EmptyAllocator`) under that allocator, in a process of their own:
//!
//! ```text
//! CHUNKPOOL_BENCH_ALLOC=mimalloc compare --nopool-child REPS SAMPLE_MS S1,S2,S3
//! ```
//!
//! one JSON line per scenario on stdout.

use crate::args::Args;
use crate::progress::Progress;
use crate::scenarios::{Results, Scenario, Series};
use chunkpool_bench::alloc::{self, Allocator, ENV};
use chunkpool_bench::contenders::{AnyContender, Kind};
use chunkpool_bench::shapes::SINGLE;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// The first argument that makes `compare` an S1–S3 no-pool child.
pub(crate) const NOPOOL_CHILD_FLAG: &str = "--nopool-child";

/// The allocators S1–S3 run their no-pool row under besides glibc (which
/// is the `malloc` row): mimalloc, and jemalloc where it is built.
pub(crate) fn nopool_allocators() -> Vec<Allocator> {
    [Allocator::Mimalloc, Allocator::Jemalloc]
        .into_iter()
        .filter(|a| a.built())
        .collect()
}

/// Runs this binary with `args` under `alloc` and parses the last line of
/// its stdout as JSON; checks that the child ran on the allocator asked for.
pub(crate) fn run_json_child(
    exe: &Path,
    alloc: Allocator,
    args: &[String],
) -> Result<Value, String> {
    let out = std::process::Command::new(exe)
        .env(ENV, alloc.name())
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Value = serde_json::from_str(text.lines().last().unwrap_or_default())
        .map_err(|e| format!("{e}: {text}"))?;
    if v["allocator"].as_str() != Some(alloc.name()) {
        return Err(format!(
            "asked for {}, the child ran on {}",
            alloc.name(),
            v["allocator"]
        ));
    }
    Ok(v)
}

/// S9, S10 or S11 (`id`) needs the bench crate's `arrow` feature: the
/// error (starting "`id` not built") without it.
pub(crate) fn need_arrow(id: &str) -> Result<(), String> {
    if cfg!(feature = "arrow") {
        Ok(())
    } else {
        Err(format!(
            "{id} not built: chunkpool-bench was built without its `arrow` feature (on by default)"
        ))
    }
}

/// Repetition `rep` (of `reps`) of S10 or S11 (`id`): under every
/// allocator, `contenders` in an order rotated by `rep`, each in a child
/// process of `exe` given `child_args(contender)`. Returns every child's
/// JSON, in run order. An allocator not built is noted in `errors` (once,
/// at repetition 0) and skipped; a wrong batch (a child's error saying
/// "wrong" or "differs") is an error of the scenario; any other child's
/// error is noted in `errors`.
pub(crate) fn run_rep(
    id: &str,
    exe: &Path,
    (rep, reps): (usize, usize),
    contenders: &[&'static str],
    pb: &Progress,
    errors: &mut Vec<String>,
    child_args: impl Fn(&'static str) -> Vec<String>,
) -> Result<Vec<(Allocator, &'static str, Value)>, String> {
    let n = contenders.len();
    let mut done = Vec::new();
    for alloc in Allocator::ALL {
        if !alloc.built() {
            if rep == 0 {
                errors.push(format!("{}: not built (feature `{0}`)", alloc.name()));
            }
            pb.inc(n as u64);
            continue;
        }
        for i in 0..n {
            let who = contenders[(i + rep) % n];
            pb.set_message(format!(
                "{id} rep {}/{reps} {} {who}",
                rep + 1,
                alloc.name()
            ));
            match run_json_child(exe, alloc, &child_args(who)) {
                Ok(v) => done.push((alloc, who, v)),
                Err(e) if e.contains("wrong") || e.contains("differs") => {
                    return Err(format!("{id} {} {who}: {e}", alloc.name()))
                }
                Err(e) => errors.push(format!("{id} {} {who}: {e}", alloc.name())),
            }
            pb.inc(1);
        }
    }
    Ok(done)
}

/// The parent's side: S1–S3 (S4 has no such row) of the no-pool contender
/// under `alloc`, in a child process; rows keyed by the allocator's name.
pub(crate) fn run_nopool_child(
    args: &Args,
    scenarios: &[&Scenario],
    alloc: Allocator,
) -> Result<Results, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let ids: Vec<&str> = scenarios
        .iter()
        .filter(|s| s.id != "S4")
        .map(|s| s.id)
        .collect();
    let child_args = [
        NOPOOL_CHILD_FLAG.to_string(),
        args.reps.to_string(),
        args.sample.as_millis().to_string(),
        ids.join(","),
    ];
    let v = run_json_child(&exe, alloc, &child_args)?;
    let mut res = Results::new();
    for row in v["rows"].as_array().into_iter().flatten() {
        let f = |k: &str| -> Vec<f64> {
            row[k]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default()
        };
        let id = row["scenario"].as_str().unwrap_or("?").to_string();
        res.insert(
            (id, alloc.name().to_string()),
            Series {
                ns: f("ns"),
                throughput: f("throughput"),
                faults: f("faults"),
                ..Series::default()
            },
        );
    }
    Ok(res)
}

/// The child's side: `a` are the arguments after [`NOPOOL_CHILD_FLAG`]
/// (repetitions, sample ms, scenario ids). Verifies the chunks, calibrates
/// each scenario, then samples it `reps` times.
pub(crate) fn nopool_child(a: &[String]) -> Result<Value, String> {
    let num = |i: usize, what: &str| -> Result<u64, String> {
        a.get(i)
            .ok_or_else(|| format!("missing {what}"))?
            .parse()
            .map_err(|e| format!("{what}: {e}"))
    };
    let reps = num(0, "reps")?.max(1);
    let sample = Duration::from_millis(num(1, "sample ms")?);
    let only = a.get(2).ok_or("missing scenarios")?;
    let mut rows = Vec::new();
    for (id, threads) in [("S1", 1usize), ("S2", 2), ("S3", 16)] {
        if !only.split(',').any(|s| s == id) {
            continue;
        }
        let c = AnyContender::new(Kind::Malloc, SINGLE);
        c.verify(SINGLE)?;
        let iters = c.calibrate(threads, sample);
        let (mut ns, mut thr, mut faults) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            let s = c.run(threads, iters);
            ns.push(s.ns_per_cycle());
            thr.push(s.throughput());
            faults.push(s.faults_per_cycle());
        }
        rows.push(json!({
            "scenario": id,
            "threads": threads,
            "ns": ns,
            "throughput": thr,
            "faults": faults,
        }));
    }
    Ok(json!({"allocator": alloc::current().name(), "rows": rows}))
}
