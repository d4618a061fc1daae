//! The side-by-side comparison of PERF.md: scenarios S1–S6, every contender,
//! one run.
//!
//! ```text
//! cargo run --release --example compare            # about 1–2 minutes
//! cargo run --release --example compare -- --quick # under 30 s, for CI
//! ```
//!
//! S1–S4 run in this process, contenders interleaved and their order rotated
//! between repetitions, so every contender sees the same machine. `mimalloc`
//! needs its own global allocator and runs in the `compare_mimalloc` example
//! (built on demand). S5 (the executor pipeline) and S6 (churn under a byte
//! budget) run each contender in a child process of this binary so peak and
//! resident memory are that contender's own.
//!
//! Prints one table (median ns per cycle per thread, min–max, throughput,
//! page faults per cycle, ratio to chunkpool, PERF.md's target and whether it
//! holds), the floor-scaling check that decides whether multi-thread rows are
//! valid, and writes `target/chunkpool-report/` (report.md, report.json,
//! throughput.svg) under the package root.
//!
//! Other flags: `--reps N`, `--sample-ms N`, `--only S1,S2,...`,
//! `--contenders a,b,...`, `--no-children` (skip S5, S6 and mimalloc),
//! `--s6-cycles N`, `--out DIR`. Diagnostic mode: `--cachegrind CONTENDER CYCLES [--mixed]`
//! runs that many single-thread cycles and nothing else (for
//! `valgrind --tool=cachegrind`).

#![allow(missing_docs)]

#[path = "../benches/common/mod.rs"]
mod common;

use chunkpool::{
    Chunk, ChunkAllocator, EmptyAllocator, FieldType, LockFreeAllocator, MutexAllocator, PoolConfig,
};
use common::contenders::{AnyContender, Kind};
use common::harness::{median, min_max};
use common::pipeline::{self, Opts as PipeOpts, Report as PipeReport};
use common::shapes::{touch, F8, MIXED, MIX_B, MIX_C, SINGLE};
use common::sys;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// S1–S4 as run in this process.
struct Scenario {
    id: &'static str,
    threads: usize,
    layouts: &'static [&'static [FieldType]],
}

const SCENARIOS: [Scenario; 4] = [
    Scenario {
        id: "S1",
        threads: 1,
        layouts: SINGLE,
    },
    Scenario {
        id: "S2",
        threads: 2,
        layouts: SINGLE,
    },
    Scenario {
        id: "S3",
        threads: 16,
        layouts: SINGLE,
    },
    Scenario {
        id: "S4",
        threads: 1,
        layouts: MIXED,
    },
];

struct Args {
    quick: bool,
    reps: usize,
    sample: Duration,
    only: Option<Vec<String>>,
    contenders: Vec<Kind>,
    children: bool,
    out: PathBuf,
    /// S6 churn cycles (default 10^6; 10^5 with --quick).
    s6_cycles: Option<u64>,
}

fn parse_args(raw: &[String]) -> Result<Args, String> {
    let quick = raw.iter().any(|a| a == "--quick");
    let mut a = Args {
        quick,
        reps: if quick { 3 } else { 15 },
        sample: Duration::from_millis(if quick { 8 } else { 40 }),
        only: None,
        contenders: Kind::ALL.to_vec(),
        children: true,
        out: PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/target/chunkpool-report"
        )),
        s6_cycles: None,
    };
    let mut it = raw.iter();
    while let Some(arg) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--quick" => {}
            "--reps" => a.reps = val()?.parse().map_err(|e| format!("--reps: {e}"))?,
            "--sample-ms" => {
                a.sample =
                    Duration::from_millis(val()?.parse().map_err(|e| format!("--sample-ms: {e}"))?)
            }
            "--only" => a.only = Some(val()?.split(',').map(|s| s.trim().to_uppercase()).collect()),
            "--contenders" => {
                a.contenders = val()?
                    .split(',')
                    .map(|s| {
                        Kind::from_name(s.trim()).ok_or_else(|| format!("unknown contender {s}"))
                    })
                    .collect::<Result<_, _>>()?;
                if !a.contenders.contains(&Kind::Chunkpool) {
                    a.contenders.insert(0, Kind::Chunkpool);
                }
            }
            "--no-children" => a.children = false,
            "--s6-cycles" => {
                a.s6_cycles = Some(val()?.parse().map_err(|e| format!("--s6-cycles: {e}"))?)
            }
            "--out" => a.out = PathBuf::from(val()?),
            "-h" | "--help" => {
                println!("{}", HELP);
                std::process::exit(0);
            }
            "--bench" => {} // passed by `cargo bench`-style runners; ignored
            other => return Err(format!("unknown argument {other}\n{HELP}")),
        }
    }
    a.reps = a.reps.max(1);
    Ok(a)
}

const HELP: &str = "usage: compare [--quick] [--reps N] [--sample-ms N] [--only S1,S2,...] \
[--contenders a,b,...] [--no-children] [--s6-cycles N] [--out DIR]\n       compare --cachegrind CONTENDER CYCLES [--mixed]";

fn wants(args: &Args, id: &str) -> bool {
    args.only
        .as_ref()
        .map_or(true, |o| o.iter().any(|s| s == id))
}

/// Samples of one contender in one scenario, indexed by repetition.
#[derive(Default, Clone)]
struct Series {
    ns: Vec<f64>,
    throughput: Vec<f64>,
    faults: Vec<f64>,
    reuse: Vec<f64>,
}

impl Series {
    fn push(&mut self, ns: f64, thr: f64, faults: f64, reuse: Option<f64>) {
        self.ns.push(ns);
        self.throughput.push(thr);
        self.faults.push(faults);
        if let Some(r) = reuse {
            self.reuse.push(r);
        }
    }
}

/// Results keyed by (scenario id, contender name).
type Results = BTreeMap<(String, String), Series>;

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if raw.first().map(String::as_str) == Some(pipeline::CHILD_FLAG) {
        if let Err(e) = pipeline::child_main(&raw[1..]) {
            eprintln!("{e}");
            std::process::exit(2);
        }
        return;
    }
    if raw.first().map(String::as_str) == Some(S6_CHILD_FLAG) {
        match s6_child(&raw[1..]) {
            Ok(v) => println!("{v}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        }
        return;
    }
    if raw.first().map(String::as_str) == Some("--cachegrind") {
        cachegrind_mode(&raw[1..]);
        return;
    }
    let args = match parse_args(&raw) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let wall = Instant::now();
    let meta_before = machine_meta(&args);
    eprintln!(
        "chunkpool compare: {} cpus ({}), load {}, other processes busy {}",
        sys::cpus(),
        sys::cpu_model(),
        fmt_load(sys::loadavg()),
        meta_before["busy_others_before"]
            .as_f64()
            .map_or("?".into(), |b| format!("{:.0}%", b * 100.0)),
    );

    let scenarios: Vec<&Scenario> = SCENARIOS.iter().filter(|s| wants(&args, s.id)).collect();
    let s5 = args.children && wants(&args, "S5");
    let s6 = args.children && wants(&args, "S6");
    let mimalloc = args.children && scenarios.iter().any(|s| s.id != "S4");
    let s5_plan = s5_plan(&args);
    let s6_plan = s6_plan(&args);
    let total = scenarios.len() * args.contenders.len() * (args.reps + 1)
        + usize::from(mimalloc)
        + if s5 { s5_plan.len() } else { 0 }
        + if s6 { s6_plan.len() } else { 0 };
    let pb = ProgressBar::new(total as u64);
    pb.set_style(
        ProgressStyle::with_template("{elapsed:>4} [{bar:32.cyan/blue}] {pos:>3}/{len} {msg}")
            .unwrap()
            .progress_chars("=> "),
    );

    // Contenders live for the whole run, like a server's pools.
    let mut pools: BTreeMap<(&str, Kind), (AnyContender, u64)> = BTreeMap::new();
    for sc in &scenarios {
        for &k in &args.contenders {
            pb.set_message(format!("calibrate {} {}", sc.id, k.name()));
            let c = AnyContender::new(k, sc.layouts);
            if let Err(e) = c.verify(sc.layouts) {
                pb.abandon();
                eprintln!("{} in {}: {e}", k.name(), sc.id);
                std::process::exit(1);
            }
            let iters = c.calibrate(sc.threads, args.sample);
            pools.insert((sc.id, k), (c, iters));
            pb.inc(1);
        }
    }

    let mut results: Results = BTreeMap::new();
    for rep in 0..args.reps {
        for sc in &scenarios {
            let n = args.contenders.len();
            for i in 0..n {
                let k = args.contenders[(i + rep) % n];
                pb.set_message(format!(
                    "rep {}/{} {} {}",
                    rep + 1,
                    args.reps,
                    sc.id,
                    k.name()
                ));
                let (c, iters) = &pools[&(sc.id, k)];
                let s = c.run(sc.threads, *iters);
                let per_chunk = sc.layouts.len() as f64;
                results
                    .entry((sc.id.to_string(), k.name().to_string()))
                    .or_default()
                    .push(
                        s.ns_per_cycle() / per_chunk,
                        s.throughput() * per_chunk,
                        s.faults_per_cycle() / per_chunk,
                        s.reuse_rate(),
                    );
                pb.inc(1);
            }
        }
    }
    drop(pools);

    let mut notes: Vec<String> = Vec::new();
    if mimalloc {
        pb.set_message("mimalloc (child process)");
        match run_mimalloc_child(&args, &scenarios) {
            Ok(rows) => {
                for (key, series) in rows {
                    results.insert(key, series);
                }
            }
            Err(e) => notes.push(format!("mimalloc not measured: {e}")),
        }
        pb.inc(1);
    }

    let exe = std::env::current_exe().expect("current_exe");
    let mut s5_results: Vec<PipeReport> = Vec::new();
    if s5 {
        for (i, (name, opts)) in s5_plan.iter().enumerate() {
            pb.set_message(format!(
                "S5 pipeline {name}, {} worker(s) (child {})",
                opts.workers,
                i + 1
            ));
            match pipeline::run_in_child(&exe, name, opts) {
                Ok(r) => s5_results.push(r),
                Err(e) => notes.push(format!("S5 {name}: {e}")),
            }
            pb.inc(1);
        }
    }
    let mut s6_results: Vec<Value> = Vec::new();
    if s6 {
        for (name, cycles, budget) in &s6_plan {
            pb.set_message(format!("S6 churn {name}, {cycles} cycles (child)"));
            match run_s6_child(&exe, name, *cycles, *budget) {
                Ok(v) => s6_results.push(v),
                Err(e) => notes.push(format!("S6 {name}: {e}")),
            }
            pb.inc(1);
        }
    }
    pb.finish_and_clear();

    let meta_after = json!({ "load_after": sys::loadavg().map(|l| vec![l.0, l.1, l.2]) });
    let elapsed = wall.elapsed();
    let analysis = analyse(&args, &results, &s5_results, &s6_results);
    let text = render_text(&args, &results, &analysis, &s5_results, &s6_results, &notes);
    println!("{text}");
    println!(
        "load average before {}, after {}; run took {:.1} s",
        fmt_load(load_from_json(&meta_before["load_before"])),
        fmt_load(load_from_json(&meta_after["load_after"])),
        elapsed.as_secs_f64()
    );
    match write_report(
        &args,
        &meta_before,
        &meta_after,
        elapsed,
        &results,
        &analysis,
        &s5_results,
        &s6_results,
        &notes,
    ) {
        Ok(dir) => println!("report: {}", dir.display()),
        Err(e) => {
            eprintln!("writing the report failed: {e}");
            std::process::exit(1);
        }
    }
}

// ---------------------------------------------------------------- machine

fn machine_meta(args: &Args) -> Value {
    let busy = sys::cpu_busy(Duration::from_millis(if args.quick { 200 } else { 1000 }));
    let git = |a: &[&str]| {
        std::process::Command::new("git")
            .args(a)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let rev = git(&["rev-parse", "--short", "HEAD"]);
    let dirty = git(&["status", "--porcelain", "--", "src"]).is_some_and(|s| !s.is_empty());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string());
    json!({
        "date_utc": utc_now(),
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "cpus": sys::cpus(),
        "cpu_model": sys::cpu_model(),
        "kernel": kernel,
        "git_rev": std::env::var("COMPARE_SOURCE").ok().or_else(|| rev.map(|r| {
            if dirty {
                format!("{r} + uncommitted src/ changes")
            } else {
                r
            }
        })),
        "load_before": sys::loadavg().map(|l| vec![l.0, l.1, l.2]),
        "busy_others_before": busy,
        "quick": args.quick,
        "reps": args.reps,
        "sample_ms": args.sample.as_millis() as u64,
    })
}

fn fmt_load(l: Option<(f64, f64, f64)>) -> String {
    l.map_or("?".into(), |(a, b, c)| format!("{a:.2} {b:.2} {c:.2}"))
}

fn load_from_json(v: &Value) -> Option<(f64, f64, f64)> {
    let a = v.as_array()?;
    Some((
        a.first()?.as_f64()?,
        a.get(1)?.as_f64()?,
        a.get(2)?.as_f64()?,
    ))
}

/// "YYYY-MM-DD HH:MM UTC" without a date crate.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

// ---------------------------------------------------------------- mimalloc

/// Runs `compare_mimalloc` (next to this binary; built with the cargo that
/// built this one if missing) and reads its samples.
fn run_mimalloc_child(args: &Args, scenarios: &[&Scenario]) -> Result<Results, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let child = exe.with_file_name(format!("compare_mimalloc{}", std::env::consts::EXE_SUFFIX));
    // Build it with the cargo that built this binary, into the same target
    // directory and profile (a no-op when it is up to date).
    let profile_dir = exe.parent().and_then(Path::parent);
    let target_dir = profile_dir.and_then(Path::parent);
    let cargo = Path::new(env!("CARGO"));
    if let (true, Some(target_dir), Some(profile_dir)) = (cargo.exists(), target_dir, profile_dir) {
        let mut cmd = std::process::Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "--example",
            "compare_mimalloc",
            "--target-dir",
        ])
        .arg(target_dir)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
        if profile_dir.file_name() == Some(std::ffi::OsStr::new("release")) {
            cmd.arg("--release");
        }
        let st = cmd.status().map_err(|e| format!("cargo build: {e}"))?;
        if !st.success() {
            return Err("could not build the compare_mimalloc example".into());
        }
    }
    if !child.exists() {
        return Err(format!(
            "{} not found (cargo build --release --example compare_mimalloc)",
            child.display()
        ));
    }
    let ids: Vec<&str> = scenarios
        .iter()
        .filter(|s| s.id != "S4")
        .map(|s| s.id)
        .collect();
    let out = std::process::Command::new(&child)
        .args(["--reps", &args.reps.to_string()])
        .args(["--sample-ms", &args.sample.as_millis().to_string()])
        .args(["--only", &ids.join(",")])
        .output()
        .map_err(|e| format!("{}: {e}", child.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let mut res = Results::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
        let f = |k: &str| -> Vec<f64> {
            v[k].as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default()
        };
        let id = v["scenario"].as_str().unwrap_or("?").to_string();
        res.insert(
            (id, "mimalloc".into()),
            Series {
                ns: f("ns"),
                throughput: f("throughput"),
                faults: f("faults"),
                reuse: vec![],
            },
        );
    }
    Ok(res)
}

// ---------------------------------------------------------------- S5

fn s5_plan(args: &Args) -> Vec<(&'static str, PipeOpts)> {
    let (rows, statements, reps) = if args.quick {
        (32 * 1024, 16, 1)
    } else {
        (64 * 1024, 60, 3)
    };
    let mut plan = Vec::new();
    for workers in [1, 2] {
        for rep in 0..reps {
            let n = pipeline::CONTENDERS.len();
            for i in 0..n {
                let name = pipeline::CONTENDERS[(i + rep) % n];
                plan.push((
                    name,
                    PipeOpts {
                        workers,
                        rows,
                        statements,
                        fail_statement: Some(statements / 2),
                    },
                ));
            }
        }
    }
    plan
}

// ---------------------------------------------------------------- S6

const S6_CHILD_FLAG: &str = "--s6-child";
const S6_BUDGET: usize = 4 << 20;

fn s6_plan(args: &Args) -> Vec<(&'static str, u64, usize)> {
    let cycles = args
        .s6_cycles
        .unwrap_or(if args.quick { 100_000 } else { 1_000_000 });
    ["chunkpool", "tidb-mutex", "malloc"]
        .into_iter()
        .map(|n| (n, cycles, S6_BUDGET))
        .collect()
}

fn run_s6_child(exe: &Path, name: &str, cycles: u64, budget: usize) -> Result<Value, String> {
    let out = std::process::Command::new(exe)
        .args([
            S6_CHILD_FLAG,
            name,
            &cycles.to_string(),
            &budget.to_string(),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).map_err(|e| e.to_string())
}

/// S6 child: two threads churn chunks of four layouts and three capacities
/// (TiDB asks for 32-row chunks first and grows them to 1024)
/// (so cached columns are sometimes too small and get replaced), each
/// holding up to 8 at once, against an allocator with a byte budget. A
/// sampler thread reads retained bytes and RSS every 250 µs.
fn s6_child(a: &[String]) -> Result<Value, String> {
    let name = a.first().ok_or("missing contender")?.as_str();
    let cycles: u64 = a
        .get(1)
        .ok_or("missing cycles")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let budget: usize = a
        .get(2)
        .ok_or("missing budget")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let cfg = PoolConfig::builder()
        .byte_budget(budget)
        .build()
        .map_err(|e| e.to_string())?;
    enum A {
        Lf(LockFreeAllocator),
        Mx(MutexAllocator),
        Em(EmptyAllocator),
    }
    let alloc = match name {
        "chunkpool" => A::Lf(LockFreeAllocator::with_config(cfg)),
        "tidb-mutex" => A::Mx(MutexAllocator::with_config(cfg)),
        "malloc" => A::Em(EmptyAllocator),
        _ => return Err(format!("unknown contender {name}")),
    };
    let get = |f: &[FieldType], cap: usize| -> Chunk {
        match &alloc {
            A::Lf(x) => x.alloc(f, cap, 1024),
            A::Mx(x) => x.alloc(f, cap, 1024),
            A::Em(x) => x.alloc(f, cap, 1024),
        }
    };
    let retained = || match &alloc {
        A::Lf(x) => Some(x.stats().retained_bytes),
        A::Mx(x) => Some(x.stats().retained_bytes),
        A::Em(_) => None,
    };
    const SMALL: [FieldType; 2] = [FieldType::I64, FieldType::VAR];
    let layouts: [&[FieldType]; 4] = [&F8, &MIX_B, &MIX_C, &SMALL];
    let caps = [1024usize, 256, 64];
    let threads = 2u64;
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let mut samples: Vec<(u64, Option<usize>, u64)> = Vec::new();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (get, done, layouts) = (&get, &done, &layouts);
            s.spawn(move || {
                let mut rng = 0x9e37_79b9_u64 ^ (t + 1).wrapping_mul(0x2545_f491_4f6c_dd1d);
                let mut held: Vec<Option<Chunk>> = (0..8).map(|_| None).collect();
                for i in 0..cycles / threads {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let layout = layouts[(rng % 4) as usize];
                    let cap = caps[((rng >> 8) % 3) as usize];
                    let mut c = get(layout, cap);
                    std::hint::black_box(touch(&mut c));
                    held[((rng >> 16) % 8) as usize] = Some(c);
                    if i % 256 == 0 {
                        done.fetch_add(256, Ordering::Relaxed);
                    }
                }
            });
        }
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                samples.push((
                    done.load(Ordering::Relaxed),
                    retained(),
                    sys::rss_kb().unwrap_or(0),
                ));
                std::thread::sleep(Duration::from_micros(250));
            }
        });
        // Wait for the churners (the scope joins them), then stop the sampler.
        while done.load(Ordering::Relaxed) + 256 * threads < cycles {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(2));
        stop.store(true, Ordering::Relaxed);
    });
    let secs = t0.elapsed().as_secs_f64();
    // The churn threads have exited, so their caches went back: a quiescent
    // reading, free of any snapshot skew between thread caches and depot.
    let final_retained = retained();
    // And what is really cached, independent of any gauge: take every cached
    // whole chunk out again (the smallest capacity asked for, so none is
    // replaced) and add up its buffers.
    let drained = match &alloc {
        A::Lf(x) => {
            let mut held = Vec::new();
            let mut bytes = 0usize;
            for layout in layouts {
                loop {
                    let before = x.stats().chunks_from_cache;
                    let c = x.alloc(layout, caps[2], 1024);
                    if x.stats().chunks_from_cache == before {
                        break;
                    }
                    bytes += c.columns().map(|col| col.allocated_bytes()).sum::<usize>();
                    held.push(c);
                }
            }
            Some(bytes)
        }
        _ => None,
    };
    let max_retained = samples.iter().filter_map(|s| s.1).max();
    let over = samples
        .iter()
        .filter(|s| s.1.is_some_and(|r| r > budget))
        .count();
    // Median RSS over a window of progress (fraction of cycles done); a
    // window that caught no sample takes the sample nearest its middle.
    let window = |lo: f64, hi: f64| -> f64 {
        let at = |s: &(u64, Option<usize>, u64)| s.0 as f64 / cycles as f64;
        let v: Vec<f64> = samples
            .iter()
            .filter(|s| at(s) >= lo && at(s) <= hi)
            .map(|s| s.2 as f64)
            .collect();
        if !v.is_empty() {
            return median(&v);
        }
        let mid = (lo + hi) / 2.0;
        samples
            .iter()
            .min_by(|a, b| (at(a) - mid).abs().total_cmp(&(at(b) - mid).abs()))
            .map_or(f64::NAN, |s| s.2 as f64)
    };
    let (early, late) = (window(0.1, 0.2), window(0.85, 1.0));
    Ok(json!({
        "contender": name,
        "cycles": cycles,
        "budget": if name == "malloc" { Value::Null } else { json!(budget) },
        "samples": samples.len(),
        "max_retained": max_retained,
        "over_budget_samples": over,
        "final_retained": final_retained,
        "drained_bytes": drained,
        "rss_early_kb": early,
        "rss_late_kb": late,
        "rss_drift": (late - early) / early,
        "peak_rss_kb": sys::peak_rss_kb(),
        "secs": secs,
    }))
}

// ---------------------------------------------------------------- cachegrind

/// Runs single-thread cycles of one contender and nothing else.
fn cachegrind_mode(a: &[String]) {
    let kind = a
        .first()
        .and_then(|n| Kind::from_name(n))
        .unwrap_or_else(|| {
            eprintln!("{HELP}");
            std::process::exit(2)
        });
    let cycles: u64 = a.get(1).and_then(|c| c.parse().ok()).unwrap_or(10_000);
    let layouts = if a.iter().any(|x| x == "--mixed") {
        MIXED
    } else {
        SINGLE
    };
    let c = AnyContender::new(kind, layouts);
    let s = c.run_with_warmup(1, 1_000, cycles);
    println!(
        "{} {} cycles {:.1} ns/cycle",
        kind.name(),
        cycles,
        s.ns_per_cycle()
    );
}

// ---------------------------------------------------------------- analysis

/// One PERF.md target, evaluated.
struct TargetResult {
    scenario: &'static str,
    text: String,
    measured: String,
    met: Option<bool>,
    /// False when the floor-scaling check failed for a multi-thread target.
    valid: bool,
    /// The measured range straddles the threshold.
    borderline: bool,
}

struct Analysis {
    floor_scaling: Option<f64>,
    floor_ok: bool,
    targets: Vec<TargetResult>,
    /// (scenario, contender) -> (median ratio, min, max) of contender time /
    /// chunkpool time in the same repetition.
    ratios: BTreeMap<(String, String), (f64, f64, f64)>,
}

fn multi_thread(id: &str) -> bool {
    matches!(id, "S2" | "S3")
}

fn analyse(args: &Args, r: &Results, s5: &[PipeReport], s6: &[Value]) -> Analysis {
    let get = |id: &str, who: &str| r.get(&(id.to_string(), who.to_string()));
    let thr = |id: &str, who: &str| get(id, who).map(|s| median(&s.throughput));
    let floor_scaling = match (thr("S1", "floor"), thr("S2", "floor")) {
        (Some(a), Some(b)) => Some(b / a),
        _ => None,
    };
    let floor_ok = floor_scaling.is_some_and(|f| f >= 1.5);

    let mut ratios = BTreeMap::new();
    for ((id, who), s) in r {
        if let Some(cp) = get(id, "chunkpool") {
            let per_rep: Vec<f64> = if who == "mimalloc" {
                // Another process, not paired by repetition: ratio of medians.
                vec![median(&s.ns) / median(&cp.ns)]
            } else {
                s.ns.iter().zip(&cp.ns).map(|(a, b)| a / b).collect()
            };
            let (lo, hi) = min_max(&per_rep);
            ratios.insert((id.clone(), who.clone()), (median(&per_rep), lo, hi));
        }
    }

    let mut targets = Vec::new();
    let mut ratio_target = |id: &'static str, who: &str, min: f64, text: String| {
        let Some(&(m, lo, hi)) = ratios.get(&(id.to_string(), who.to_string())) else {
            return;
        };
        targets.push(TargetResult {
            scenario: id,
            text,
            measured: format!("{} is {m:.2}× chunkpool's time [{lo:.2}–{hi:.2}]", who),
            met: Some(m >= min),
            valid: !multi_thread(id) || floor_ok,
            borderline: lo < min && hi >= min,
        });
    };
    ratio_target(
        "S1",
        "mutex-whole",
        1.0,
        "chunkpool ≤ 1.0× mutex-whole".into(),
    );
    ratio_target(
        "S1",
        "tidb-mutex",
        3.0,
        "≥ 3× faster than tidb-mutex".into(),
    );
    ratio_target("S1", "malloc", 8.0, "≥ 8× faster than malloc".into());
    ratio_target("S1", "floor", 0.5, "chunkpool ≤ 2× floor".into());
    ratio_target(
        "S2",
        "mutex-whole",
        4.0,
        "≥ 4× faster than mutex-whole".into(),
    );
    ratio_target(
        "S2",
        "tidb-mutex",
        10.0,
        "≥ 10× faster than tidb-mutex".into(),
    );
    ratio_target(
        "S2",
        "segqueue-whole",
        1.5,
        "≥ 1.5× faster than segqueue-whole".into(),
    );
    ratio_target("S2", "floor", 0.4, "chunkpool ≤ 2.5× floor".into());
    ratio_target(
        "S3",
        "mutex-whole",
        5.0,
        "≥ 5× faster than mutex-whole".into(),
    );
    ratio_target(
        "S3",
        "tidb-mutex",
        15.0,
        "≥ 15× faster than tidb-mutex".into(),
    );

    if let (Some(s2), Some(s3)) = (get("S2", "chunkpool"), get("S3", "chunkpool")) {
        let (m2, m3) = (median(&s2.throughput), median(&s3.throughput));
        let per: Vec<f64> = s3
            .throughput
            .iter()
            .zip(&s2.throughput)
            .map(|(a, b)| a / b)
            .collect();
        let (lo, hi) = min_max(&per);
        targets.push(TargetResult {
            scenario: "S3",
            text: "total throughput ≥ 0.8× its S2 throughput".into(),
            measured: format!(
                "{:.2}× [{lo:.2}–{hi:.2}] ({:.2} vs {:.2} M cycles/s)",
                m3 / m2,
                m3 / 1e6,
                m2 / 1e6
            ),
            met: Some(m3 / m2 >= 0.8),
            valid: floor_ok,
            borderline: lo < 0.8 && hi >= 0.8,
        });
    }
    if let Some(s4) = get("S4", "chunkpool") {
        if !s4.reuse.is_empty() {
            let (lo, _) = min_max(&s4.reuse);
            targets.push(TargetResult {
                scenario: "S4",
                text: "reuse ≥ 99% after warm-up".into(),
                measured: format!(
                    "{:.3}% (lowest sample {:.3}%)",
                    median(&s4.reuse) * 100.0,
                    lo * 100.0
                ),
                met: Some(lo >= 0.99),
                valid: true,
                borderline: false,
            });
        }
        if let Some(s1) = get("S1", "chunkpool") {
            let per: Vec<f64> = s4.ns.iter().zip(&s1.ns).map(|(a, b)| a / b).collect();
            let (lo, hi) = min_max(&per);
            let m = median(&s4.ns) / median(&s1.ns);
            targets.push(TargetResult {
                scenario: "S4",
                text: "cost per chunk ≤ 1.2× its S1 cost".into(),
                measured: format!(
                    "{m:.2}× [{lo:.2}–{hi:.2}] ({:.0} vs {:.0} ns)",
                    median(&s4.ns),
                    median(&s1.ns)
                ),
                met: Some(m <= 1.2),
                valid: true,
                borderline: lo <= 1.2 && hi > 1.2,
            });
        }
    }

    // S5: medians over repetitions, per (contender, workers).
    let s5m = |who: &str, w: usize, f: &dyn Fn(&PipeReport) -> f64| -> Option<(f64, f64, f64)> {
        let v: Vec<f64> = s5
            .iter()
            .filter(|r| r.contender == who && r.workers == w)
            .map(f)
            .collect();
        (!v.is_empty()).then(|| {
            let (lo, hi) = min_max(&v);
            (median(&v), lo, hi)
        })
    };
    for (w, vs, min) in [
        (1, "malloc", 1.0),
        (1, "tidb-mutex", 1.0),
        (2, "malloc", 1.15),
        (2, "tidb-mutex", 1.2),
    ] {
        if let (Some(cp), Some(o)) = (
            s5m("chunkpool", w, &|r| r.rows_per_sec()),
            s5m(vs, w, &|r| r.rows_per_sec()),
        ) {
            let ratio = cp.0 / o.0;
            let text = if w == 1 {
                format!("1 worker: never slower than {vs}")
            } else {
                format!("2 workers: rows/s ≥ {min}× {vs}")
            };
            targets.push(TargetResult {
                scenario: "S5",
                text,
                measured: format!(
                    "{ratio:.3}× ({:.2} vs {:.2} M rows/s; chunkpool range {:.2}–{:.2})",
                    cp.0 / 1e6,
                    o.0 / 1e6,
                    cp.1 / 1e6,
                    cp.2 / 1e6
                ),
                met: Some(ratio >= min),
                valid: w == 1 || floor_ok,
                borderline: cp.1 / o.2 < min && cp.2 / o.1 >= min,
            });
        }
    }
    for w in [1, 2] {
        let rss = |who: &str| s5m(who, w, &|r| r.peak_rss_kb.unwrap_or(0) as f64);
        if let (Some(cp), Some(m)) = (rss("chunkpool"), rss("malloc")) {
            targets.push(TargetResult {
                scenario: "S5",
                text: format!("{w} worker(s): peak RSS ≤ malloc's"),
                measured: format!("{:.1} MiB vs {:.1} MiB", cp.0 / 1024.0, m.0 / 1024.0),
                met: Some(cp.0 <= m.0),
                valid: true,
                borderline: cp.1 <= m.2 && cp.2 > m.1,
            });
        }
    }
    for v in s6 {
        if v["contender"] != "chunkpool" {
            continue;
        }
        let over = v["over_budget_samples"].as_u64().unwrap_or(u64::MAX);
        let at_rest = v["final_retained"].as_u64().unwrap_or(u64::MAX);
        let drained = v["drained_bytes"].as_u64().unwrap_or(0);
        let budget = v["budget"].as_u64().unwrap_or(0);
        targets.push(TargetResult {
            scenario: "S6",
            text: "retained bytes ≤ budget at every sample".into(),
            measured: format!(
                "{over} of {} samples of stats().retained_bytes over {budget} (max {}); at rest {at_rest} by stats, {drained} in cached whole chunks taken back out",
                v["samples"], v["max_retained"]
            ),
            met: Some(over == 0 && at_rest <= budget && drained <= budget),
            valid: true,
            borderline: false,
        });
        let drift = v["rss_drift"].as_f64().unwrap_or(f64::NAN);
        targets.push(TargetResult {
            scenario: "S6",
            text: format!("RSS drift < 5% over {} cycles", v["cycles"]),
            measured: format!(
                "{:+.2}% ({:.1} → {:.1} MiB)",
                drift * 100.0,
                v["rss_early_kb"].as_f64().unwrap_or(0.0) / 1024.0,
                v["rss_late_kb"].as_f64().unwrap_or(0.0) / 1024.0
            ),
            met: Some(drift.abs() < 0.05),
            valid: true,
            borderline: false,
        });
    }
    let _ = args;
    Analysis {
        floor_scaling,
        floor_ok,
        targets,
        ratios,
    }
}

/// Which target (if any) a table row of S1–S3 carries.
fn row_target(id: &str, who: &str) -> Option<(f64, &'static str)> {
    Some(match (id, who) {
        ("S1", "mutex-whole") => (1.0, "≥ 1.0"),
        ("S1", "tidb-mutex") => (3.0, "≥ 3"),
        ("S1", "malloc") => (8.0, "≥ 8"),
        ("S1", "floor") => (0.5, "≥ 0.5 (≤ 2× floor)"),
        ("S2", "mutex-whole") => (4.0, "≥ 4"),
        ("S2", "tidb-mutex") => (10.0, "≥ 10"),
        ("S2", "segqueue-whole") => (1.5, "≥ 1.5"),
        ("S2", "floor") => (0.4, "≥ 0.4 (≤ 2.5× floor)"),
        ("S3", "mutex-whole") => (5.0, "≥ 5"),
        ("S3", "tidb-mutex") => (15.0, "≥ 15"),
        _ => return None,
    })
}

fn order_of(who: &str) -> usize {
    Kind::from_name(who).map_or(Kind::ALL.len(), |k| {
        Kind::ALL.iter().position(|&x| x == k).unwrap()
    })
}

/// Rows of the main table: (scenario, contender, series), in PERF.md order.
fn rows(r: &Results) -> Vec<(&str, &str, &Series)> {
    let mut v: Vec<_> = r
        .iter()
        .map(|((id, who), s)| (id.as_str(), who.as_str(), s))
        .collect();
    v.sort_by_key(|(id, who, _)| (id.to_string(), order_of(who)));
    v
}

fn fmt_ns(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

struct TableRow {
    cells: Vec<String>,
}

fn main_table(r: &Results, a: &Analysis) -> (Vec<&'static str>, Vec<TableRow>) {
    let head = vec![
        "scenario",
        "contender",
        "ns/cycle (median)",
        "min–max",
        "M cycles/s",
        "faults/cycle",
        "× chunkpool [min–max]",
        "target",
        "met",
    ];
    let mut out = Vec::new();
    for (id, who, s) in rows(r) {
        let (lo, hi) = min_max(&s.ns);
        let ratio = a.ratios.get(&(id.to_string(), who.to_string()));
        let ratio_s = match ratio {
            Some(_) if who == "chunkpool" => "1.00".to_string(),
            Some(&(m, _, _)) if who == "mimalloc" => format!("{m:.2} (ratio of medians)"),
            Some(&(m, l, h)) => format!("{m:.2} [{l:.2}–{h:.2}]"),
            None => "-".into(),
        };
        let (target, met) = match (row_target(id, who), ratio) {
            (Some((min, t)), Some(&(m, l, h))) => {
                let mut met = if m >= min { "yes" } else { "NO" }.to_string();
                if l < min && h >= min {
                    met.push_str(" (range straddles)");
                }
                if multi_thread(id) && !a.floor_ok {
                    met = format!("invalid ({met})");
                }
                (t.to_string(), met)
            }
            _ => (String::new(), String::new()),
        };
        let scen = match id {
            "S4" => "S4 mixed".to_string(),
            _ => format!(
                "{id} {}t",
                SCENARIOS
                    .iter()
                    .find(|s| s.id == id)
                    .map_or(0, |s| s.threads)
            ),
        };
        out.push(TableRow {
            cells: vec![
                scen,
                who.to_string(),
                fmt_ns(median(&s.ns)),
                format!("{}–{}", fmt_ns(lo), fmt_ns(hi)),
                format!("{:.2}", median(&s.throughput) / 1e6),
                format!("{:.3}", median(&s.faults)),
                ratio_s,
                target,
                met,
            ],
        });
    }
    (head, out)
}

fn render_plain(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut w: Vec<usize> = head.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut s = String::new();
    let line = |s: &mut String, cells: Vec<&str>| {
        for (i, c) in cells.iter().enumerate() {
            let pad = w[i] - c.chars().count();
            if (2..=6).contains(&i) {
                let _ = write!(s, "{}{}  ", " ".repeat(pad), c);
            } else {
                let _ = write!(s, "{}{}  ", c, " ".repeat(pad));
            }
        }
        s.truncate(s.trim_end().len());
        s.push('\n');
    };
    line(&mut s, head.to_vec());
    let total: usize = w.iter().sum::<usize>() + 2 * w.len();
    s.push_str(&"-".repeat(total.min(160)));
    s.push('\n');
    let mut last = String::new();
    for r in rows {
        if r[0] != last && !last.is_empty() {
            s.push('\n');
        }
        last = r[0].clone();
        line(&mut s, r.iter().map(String::as_str).collect());
    }
    s
}

fn render_md(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "| {} |", head.join(" | "));
    let _ = writeln!(
        s,
        "|{}|",
        head.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    s
}

fn s5_rows(s5: &[PipeReport]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "workers",
        "contender",
        "M rows/s (median)",
        "min–max",
        "× chunkpool",
        "alloc share",
        "faults/morsel",
        "reuse",
        "peak RSS MiB",
        "failed stmts",
        "abandoned allocators",
    ];
    let mut rows = Vec::new();
    for w in [1usize, 2] {
        let cp: Vec<f64> = s5
            .iter()
            .filter(|r| r.contender == "chunkpool" && r.workers == w)
            .map(|r| r.rows_per_sec())
            .collect();
        for name in pipeline::CONTENDERS {
            let rs: Vec<&PipeReport> = s5
                .iter()
                .filter(|r| r.contender == name && r.workers == w)
                .collect();
            if rs.is_empty() {
                continue;
            }
            let v: Vec<f64> = rs.iter().map(|r| r.rows_per_sec()).collect();
            let (lo, hi) = min_max(&v);
            let share: Vec<f64> = rs.iter().map(|r| r.alloc_share()).collect();
            let reuse: Vec<f64> = rs.iter().filter_map(|r| r.reuse_rate).collect();
            let rss: Vec<f64> = rs
                .iter()
                .filter_map(|r| r.peak_rss_kb)
                .map(|k| k as f64 / 1024.0)
                .collect();
            rows.push(vec![
                w.to_string(),
                name.to_string(),
                format!("{:.2}", median(&v) / 1e6),
                format!("{:.2}–{:.2}", lo / 1e6, hi / 1e6),
                format!("{:.3}", median(&v) / median(&cp)),
                format!("{:.1}%", median(&share) * 100.0),
                format!(
                    "{:.2}",
                    median(&rs.iter().map(|r| r.faults_per_morsel()).collect::<Vec<_>>())
                ),
                if reuse.is_empty() {
                    "-".into()
                } else {
                    format!("{:.2}%", median(&reuse) * 100.0)
                },
                format!("{:.1}", median(&rss)),
                rs[0].failed_statements.to_string(),
                rs[0].abandoned_allocators.to_string(),
            ]);
        }
    }
    (head, rows)
}

fn s6_rows(s6: &[Value]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "contender",
        "cycles",
        "budget",
        "max retained",
        "samples over budget",
        "retained at rest",
        "drained whole chunks",
        "RSS early→late MiB",
        "drift",
        "peak RSS MiB",
    ];
    let rows = s6
        .iter()
        .map(|v| {
            vec![
                v["contender"].as_str().unwrap_or("?").to_string(),
                v["cycles"].to_string(),
                if v["budget"].is_null() {
                    "-".into()
                } else {
                    v["budget"].to_string()
                },
                if v["max_retained"].is_null() {
                    "-".into()
                } else {
                    v["max_retained"].to_string()
                },
                if v["budget"].is_null() {
                    "-".into()
                } else {
                    v["over_budget_samples"].to_string()
                },
                if v["final_retained"].is_null() {
                    "-".into()
                } else {
                    v["final_retained"].to_string()
                },
                if v["drained_bytes"].is_null() {
                    "-".into()
                } else {
                    v["drained_bytes"].to_string()
                },
                format!(
                    "{:.1} → {:.1}",
                    v["rss_early_kb"].as_f64().unwrap_or(0.0) / 1024.0,
                    v["rss_late_kb"].as_f64().unwrap_or(0.0) / 1024.0
                ),
                format!(
                    "{:+.2}%",
                    v["rss_drift"].as_f64().unwrap_or(f64::NAN) * 100.0
                ),
                format!("{:.1}", v["peak_rss_kb"].as_f64().unwrap_or(0.0) / 1024.0),
            ]
        })
        .collect();
    (head, rows)
}

fn floor_line(a: &Analysis) -> String {
    match a.floor_scaling {
        Some(f) if a.floor_ok => format!(
            "floor scaling check: floor's 2-thread throughput is {f:.2}× its 1-thread throughput (≥ 1.5 required): PASS, multi-thread rows are valid"
        ),
        Some(f) => format!(
            "floor scaling check: floor's 2-thread throughput is {f:.2}× its 1-thread throughput (≥ 1.5 required): FAIL — \
             another process holds a core; S2/S3 rows and S5's 2-worker targets are INVALID, rerun when the machine is quiet"
        ),
        None => "floor scaling check: not run (needs floor in S1 and S2)".into(),
    }
}

fn targets_lines(a: &Analysis, md: bool) -> String {
    let mut s = String::new();
    for t in &a.targets {
        let verdict = match (t.met, t.valid) {
            (Some(true), true) => "met",
            (Some(false), true) => "NOT met",
            (Some(true), false) => "met, but INVALID (floor check failed)",
            (Some(false), false) => "not met, INVALID (floor check failed)",
            (None, _) => "not measured",
        };
        let border = if t.borderline {
            "; range straddles the threshold"
        } else {
            ""
        };
        if md {
            let _ = writeln!(
                s,
                "- **{}** {}: {} — {}{}",
                t.scenario, t.text, t.measured, verdict, border
            );
        } else {
            let _ = writeln!(
                s,
                "  {} {:<44} {:<8} {}{}",
                t.scenario, t.text, verdict, t.measured, border
            );
        }
    }
    s
}

fn render_text(
    args: &Args,
    r: &Results,
    a: &Analysis,
    s5: &[PipeReport],
    s6: &[Value],
    notes: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nS1–S4: one cycle = get an F8 chunk (8 columns × 1024 rows), touch every buffer, give it back.\n\
         ns/cycle is wall time per cycle per thread; × chunkpool = contender's time / chunkpool's in the same repetition \
         (> 1: chunkpool faster). {} repetitions, contender order rotated.{}\n",
        args.reps,
        if args.quick { " QUICK run: few, short samples; indicative only." } else { "" }
    );
    let (head, rows) = main_table(r, a);
    let rows: Vec<Vec<String>> = rows.into_iter().map(|r| r.cells).collect();
    s.push_str(&render_plain(&head, &rows));
    let _ = writeln!(s, "\n{}", floor_line(a));
    if !s5.is_empty() {
        let _ = writeln!(
            s,
            "\nS5: executor pipeline (scan → filter → project), each contender in its own process"
        );
        let (h, rws) = s5_rows(s5);
        s.push_str(&render_plain(&h, &rws));
    }
    if !s6.is_empty() {
        let _ = writeln!(
            s,
            "\nS6: churn under a {} MiB byte budget, 2 threads",
            S6_BUDGET >> 20
        );
        let (h, rws) = s6_rows(s6);
        s.push_str(&render_plain(&h, &rws));
    }
    let _ = writeln!(s, "\nPERF.md targets:");
    s.push_str(&targets_lines(a, false));
    for n in notes {
        let _ = writeln!(s, "note: {n}");
    }
    s
}

// ---------------------------------------------------------------- report

#[allow(clippy::too_many_arguments)]
fn write_report(
    args: &Args,
    meta_before: &Value,
    meta_after: &Value,
    elapsed: Duration,
    r: &Results,
    a: &Analysis,
    s5: &[PipeReport],
    s6: &[Value],
    notes: &[String],
) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(&args.out)?;
    // JSON
    let series: Vec<Value> = rows(r)
        .into_iter()
        .map(|(id, who, s)| {
            let (lo, hi) = min_max(&s.ns);
            let ratio = a.ratios.get(&(id.to_string(), who.to_string()));
            json!({
                "scenario": id,
                "contender": who,
                "ns_per_cycle": s.ns,
                "median_ns": median(&s.ns),
                "min_ns": lo,
                "max_ns": hi,
                "throughput_per_sec": s.throughput,
                "median_throughput": median(&s.throughput),
                "faults_per_cycle": median(&s.faults),
                "reuse_rate": if s.reuse.is_empty() { Value::Null } else { json!(median(&s.reuse)) },
                "ratio_to_chunkpool": ratio.map(|r| json!({"median": r.0, "min": r.1, "max": r.2})),
                "target_min_ratio": row_target(id, who).map(|t| t.0),
                "valid": !multi_thread(id) || a.floor_ok,
            })
        })
        .collect();
    let targets: Vec<Value> = a
        .targets
        .iter()
        .map(|t| json!({"scenario": t.scenario, "target": t.text, "measured": t.measured, "met": t.met, "valid": t.valid, "borderline": t.borderline}))
        .collect();
    let report = json!({
        "meta": meta_before,
        "after": meta_after,
        "elapsed_s": elapsed.as_secs_f64(),
        "floor_check": {"scaling": a.floor_scaling, "required": 1.5, "pass": a.floor_ok},
        "cycles": series,
        "pipeline": s5.iter().map(PipeReport::to_json).collect::<Vec<_>>(),
        "churn": s6,
        "targets": targets,
        "notes": notes,
    });
    std::fs::write(
        args.out.join("report.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;

    // SVG
    let svg_note = match plot(&args.out.join("throughput.svg"), r, a) {
        Ok(()) => String::new(),
        Err(e) => format!("\n(plot failed: {e})\n"),
    };

    // Markdown
    let mut md = String::new();
    let _ = writeln!(md, "# chunkpool: side-by-side comparison\n");
    let _ = writeln!(
        md,
        "- date: {}",
        meta_before["date_utc"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        md,
        "- command: `{}`",
        meta_before["command"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        md,
        "- machine: {} CPUs, {}, Linux {}",
        meta_before["cpus"],
        meta_before["cpu_model"].as_str().unwrap_or("?"),
        meta_before["kernel"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        md,
        "- source: {}",
        meta_before["git_rev"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        md,
        "- load average before: {}; after: {}; CPU taken by other processes just before: {}",
        fmt_load(load_from_json(&meta_before["load_before"])),
        fmt_load(load_from_json(&meta_after["load_after"])),
        meta_before["busy_others_before"]
            .as_f64()
            .map_or("?".into(), |b| format!("{:.0}%", b * 100.0))
    );
    let _ = writeln!(
        md,
        "- {} repetitions of ~{} ms per sample, contender order rotated; run took {:.1} s{}",
        args.reps,
        args.sample.as_millis(),
        elapsed.as_secs_f64(),
        if args.quick {
            " (QUICK: indicative only)"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "- {}\n", floor_line(a));
    let _ = writeln!(
        md,
        "## S1–S4: chunk cycles\n\nOne cycle: get an F8 chunk (8 columns × 1024 rows: 2 variable-width, one 4-byte, \
         one 40-byte, four 8-byte), write and read back the first element of every buffer, give it back. \
         ns/cycle is wall time per cycle per thread (S4: per chunk, three layouts live at once). \
         × chunkpool is the contender's time over chunkpool's in the same repetition (> 1: chunkpool is faster); \
         the target column is the minimum PERF.md asks of it.\n"
    );
    let (head, trows) = main_table(r, a);
    let trows: Vec<Vec<String>> = trows.into_iter().map(|r| r.cells).collect();
    md.push_str(&render_md(&head, &trows));
    let _ = writeln!(
        md,
        "\n![throughput against threads](throughput.svg){svg_note}\n"
    );
    if !s5.is_empty() {
        let _ = writeln!(
            md,
            "## S5: executor pipeline\n\nscan → filter → project over a generated table, per statement \
             `set_alloc` / workers allocate through the session / `clear_alloc(&mut a, err)` / `reset`; one \
             statement fails half-way and abandons its allocator. Each contender runs in its own process \
             (peak RSS = its VmHWM). Alloc share = worker time inside alloc and chunk drops. \
             `floor` is not a PERF.md contender: its workers reuse chunks they own, so it is the ceiling \
             that no allocator can beat here.\n"
        );
        let (h, rws) = s5_rows(s5);
        md.push_str(&render_md(&h, &rws));
        md.push('\n');
    }
    if !s6.is_empty() {
        let _ = writeln!(
            md,
            "## S6: churn under a byte budget ({} MiB)\n",
            S6_BUDGET >> 20
        );
        let (h, rws) = s6_rows(s6);
        md.push_str(&render_md(&h, &rws));
        md.push('\n');
    }
    let _ = writeln!(md, "## PERF.md targets\n");
    md.push_str(&targets_lines(a, true));
    for n in notes {
        let _ = writeln!(md, "\nnote: {n}");
    }
    std::fs::write(args.out.join("report.md"), md)?;
    Ok(args.out.clone())
}

fn plot(path: &Path, r: &Results, a: &Analysis) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let threads_of = |id: &str| {
        SCENARIOS
            .iter()
            .find(|s| s.id == id && s.id != "S4")
            .map(|s| s.threads)
    };
    let mut lines: BTreeMap<usize, (String, Vec<(f64, f64)>)> = BTreeMap::new();
    for ((id, who), s) in r {
        if let Some(t) = threads_of(id) {
            lines
                .entry(order_of(who) * 2 + usize::from(who == "mimalloc"))
                .or_insert_with(|| (who.clone(), Vec::new()))
                .1
                .push(((t as f64).log2(), median(&s.throughput) / 1e6));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let (mut lo, mut hi) = (f64::INFINITY, 0f64);
    for (_, pts) in lines.values_mut() {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        for p in pts.iter() {
            lo = lo.min(p.1);
            hi = hi.max(p.1);
        }
    }
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let caption = if a.floor_ok {
        "chunk cycles per second, all threads (F8 chunk; higher is better)".to_string()
    } else {
        "chunk cycles per second (floor check FAILED: 2- and 16-thread points invalid)".to_string()
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.25f64..4.25f64, ((lo / 1.6)..(hi * 8.0)).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("threads sharing one pool (2 cores)")
        .y_desc("million cycles / s")
        .x_labels(5)
        .x_label_formatter(&|x| format!("{}", 2f64.powf(x.round()) as u32))
        .light_line_style(WHITE)
        .y_label_formatter(&|y| {
            if *y >= 1.0 {
                format!("{y:.0}")
            } else {
                format!("{y:.2}")
            }
        })
        .draw()?;
    let palette = [
        RGBColor(200, 30, 30),   // chunkpool
        RGBColor(120, 60, 160),  // tidb-mutex
        RGBColor(30, 100, 200),  // mutex-whole
        RGBColor(0, 150, 150),   // segqueue-whole
        RGBColor(230, 140, 0),   // lockfree-object-pool
        RGBColor(150, 110, 60),  // object-pool
        RGBColor(90, 90, 90),    // malloc
        RGBColor(20, 160, 60),   // floor
        RGBColor(160, 160, 160), // mimalloc
    ];
    for (i, (name, pts)) in lines.values().enumerate() {
        let idx =
            Kind::from_name(name).map_or(8, |k| Kind::ALL.iter().position(|&x| x == k).unwrap());
        let color = palette[idx.min(8)];
        let width = if name == "chunkpool" { 4 } else { 2 };
        let _ = i;
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(width)))?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(width))
            });
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
