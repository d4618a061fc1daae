//! The side-by-side comparison of `benches/README.md`: scenarios S1–S11, every contender,
//! one run.
//!
//! ```text
//! cargo run --release -p chunkpool-bench --bin compare            # about 1–2 minutes
//! cargo run --release -p chunkpool-bench --bin compare -- --quick # under 30 s, for CI
//! cargo compare --quick          # the same, through the alias in .cargo/config.toml
//! ```
//!
//! S1–S4 run in this process, contenders interleaved and their order rotated
//! between repetitions, so every contender sees the same machine. The rows
//! `mimalloc` and `jemalloc` of S1–S3 (no pool under that allocator; jemalloc
//! with the `jemalloc` feature) run in a child process of this binary whose
//! global allocator `CHUNKPOOL_BENCH_ALLOC` chooses (`allocators`). S5 (the executor pipeline) and S6 (churn under a byte
//! budget) run each contender in a child process of this binary so peak and
//! resident memory are that contender's own; S5 also runs a width sweep
//! (strings of 24, 64 and 200 bytes a row besides the default 8, 2 workers).
//! S7 (string widths: the S1 cycle with both string columns filled with
//! text averaging 8, 24, 64 and 200 bytes a row) runs in this process like
//! S1–S4; `--only S7` runs it alone. S8 (the Arrow hand-off: a pooled chunk
//! exported as a `RecordBatch`, filtered and summed by arrow's kernels,
//! dropped, against the same batch built with arrow's builders) runs in this
//! process too, one thread; it needs the bench crate's `arrow` feature (on
//! by default).
//! S9 (engine batches: scan → filter → project → export → kernel → drop at
//! 1024 and 8192 rows, text of 8–200 B a row, 4 and 16 columns, 1, 2 and
//! 16 threads, against arrow's builders, an unpooled chunk and a memcpy
//! floor) runs every contender under glibc, mimalloc and jemalloc, each in
//! a child process of this binary: its global allocator
//! (`chunkpool_bench::alloc::BenchAlloc`) is chosen per process by
//! `CHUNKPOOL_BENCH_ALLOC`, so nothing is built at run time. It also needs
//! the `arrow` feature.
//! S10 (exchange: producers make S9's scan batch and send it over channels
//! to consumers that sum and drop it, so every return is remote, against
//! the same work on one thread) and S11 (cycles of a 2 MiB and a 32 MiB
//! column: time and page faults in steady state) run the same way, each
//! contender under each allocator in a child process of this binary, and
//! need the `arrow` feature too.
//!
//! DF (issue 21: the test query inside DataFusion over the pooled scan,
//! the same scan without reuse and DataFusion's `MemTable`, under mimalloc
//! and glibc) runs the DataFusion benchmark of `examples/datafusion`, a
//! workspace of its own that this crate never links or builds, as a child
//! process (`--datafusion-bin PATH`, or found where the build command that
//! the section prints puts it); without the binary its section says "not
//! run" and how to build it.
//!
//! Prints one table (median ns per cycle per thread, min–max, throughput,
//! page faults per cycle, ratio to chunkpool, the target (`benches/README.md`) and whether it
//! holds), the floor-scaling check that decides whether multi-thread rows are
//! valid, and writes report.md, report.json, throughput.svg and (S9)
//! engine_batches.svg to `--out DIR`, or to `chunkpool-report/` in the target
//! directory the binary was built into (`CARGO_TARGET_DIR` followed).
//!
//! Other flags: `--reps N`, `--sample-ms N`, `--only S1,S2,...`,
//! `--contenders a,b,...`, `--no-children` (skip every child process: S5,
//! S6, S9, S10, S11 and the mimalloc/jemalloc rows of S1–S3),
//! `--s5-reps N` (S5 repetitions per contender and width), `--s6-cycles N`,
//! `--s9-reps N`, `--s9-sample-ms N` (S9's repetitions and sample length),
//! `--s9-scan rows|bulk|both` (S9's scan axis; default both),
//! `--s10-reps N`, `--s10-sample-ms N`, `--s11-reps N`, `--s11-sample-ms N`,
//! `--datafusion-bin PATH`, `--df-rows N`, `--df-iters N`, `--df-reps N`,
//! `--out DIR`. Diagnostic mode: `--cachegrind CONTENDER CYCLES [--mixed] [--threads N]`
//! runs that many single-thread cycles and nothing else (for
//! `valgrind --tool=cachegrind`).
//!
//! Layout: `args` (flags), `scenarios` (S1–S4 and their samples),
//! `strings` (S7, and the tables of S5's width sweep), `handoff` (S8),
//! `engine` (S9: plan, children, analysis), `engine_report` (its tables) and
//! `engine_plot` (its plot),
//! `exchange` (S10) and `large` (S11), each plan, children, tables, targets,
//! `datafusion` (DF: the DataFusion benchmark's child, its section),
//! `allocators` (children under another allocator, and S1–S3's no-pool
//! rows under mimalloc and jemalloc), `children` (S5 and S6 in processes
//! of their own),
//! `cachegrind` (the diagnostic mode), `machine` (what the run was
//! measured on), `analysis` (the targets of `benches/README.md`), `table` (text and
//! Markdown tables) and `report` (report.json, report.md, the plot).

mod allocators;
mod analysis;
mod args;
mod cachegrind;
mod children;
mod datafusion;
mod engine;
mod engine_plot;
mod engine_report;
mod exchange;
mod handoff;
mod large;
mod machine;
mod progress;
mod report;
mod scenarios;
mod strings;
mod table;

use allocators::{nopool_allocators, nopool_child, run_nopool_child, NOPOOL_CHILD_FLAG};
use analysis::analyse;
use args::{parse_args, wants};
use cachegrind::cachegrind_mode;
use children::{run_s6_child, s5_plan, s6_child, s6_plan, S6_CHILD_FLAG};
use chunkpool_bench::contenders::{AnyContender, Kind};
use chunkpool_bench::pipeline::{self, Report as PipeReport};
use chunkpool_bench::sys;
use handoff::{run_s8, s8_steps, S8Results};
use machine::{fmt_load, load_from_json, machine_meta};
use progress::Progress;
use report::write_report;
use scenarios::{Measured, Results, Scenario, SCENARIOS};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;
use strings::{run_s7, s7_steps, S7Results};
use table::render_text;

/// glibc, mimalloc or jemalloc, as `CHUNKPOOL_BENCH_ALLOC` says (glibc
/// unless set): S9's allocator axis.
#[global_allocator]
static GLOBAL: chunkpool_bench::alloc::BenchAlloc = chunkpool_bench::alloc::BenchAlloc;

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let first = raw.first().map(String::as_str);
    #[cfg(feature = "arrow")]
    if first == Some(chunkpool_bench::engine::child::CHILD_FLAG) {
        return child_exit(chunkpool_bench::engine::child::child_main(&raw[1..]));
    }
    #[cfg(feature = "arrow")]
    if first == Some(chunkpool_bench::exchange::CHILD_FLAG) {
        return child_exit(chunkpool_bench::exchange::child_main(&raw[1..]));
    }
    #[cfg(feature = "arrow")]
    if first == Some(chunkpool_bench::large::CHILD_FLAG) {
        return child_exit(chunkpool_bench::large::child_main(&raw[1..]));
    }
    if first == Some(pipeline::CHILD_FLAG) {
        if let Err(e) = pipeline::child_main(&raw[1..]) {
            eprintln!("{e}");
            std::process::exit(2);
        }
        return;
    }
    if first == Some(NOPOOL_CHILD_FLAG) {
        return child_exit(nopool_child(&raw[1..]));
    }
    if first == Some(S6_CHILD_FLAG) {
        return child_exit(s6_child(&raw[1..]));
    }
    if first == Some("--cachegrind") {
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
    let s7 = wants(&args, "S7");
    let s8 = wants(&args, "S8");
    let s9 = args.children && wants(&args, "S9");
    let s10 = args.children && wants(&args, "S10");
    let s11 = args.children && wants(&args, "S11");
    // DF runs the DataFusion benchmark, a binary built apart (a workspace
    // of its own); a path given and missing ends the run before it starts.
    let df = wants(&args, "DF");
    let df_bin = datafusion::find_bin(&args);
    if let (true, Some(_), Err(e)) = (df, &args.datafusion_bin, &df_bin) {
        eprintln!("{e}");
        std::process::exit(2);
    }
    let nopool_allocs = if args.children && scenarios.iter().any(|s| s.id != "S4") {
        nopool_allocators()
    } else {
        Vec::new()
    };
    let s5_plan = s5_plan(&args);
    let s6_plan = s6_plan(&args);
    let total = scenarios.len() * args.contenders.len() * (args.reps + 1)
        + nopool_allocs.len()
        + if s5 { s5_plan.len() } else { 0 }
        + if s6 { s6_plan.len() } else { 0 }
        + if s7 { s7_steps(&args) } else { 0 }
        + if s8 { s8_steps(&args) } else { 0 }
        + if s9 { engine::s9_steps(&args) } else { 0 }
        + if s10 { exchange::s10_steps(&args) } else { 0 }
        + if s11 { large::s11_steps(&args) } else { 0 }
        + if df && args.children {
            datafusion::df_steps(&args, &df_bin)
        } else {
            0
        };
    let pb = Progress::new(total as u64);

    // Contenders live for the whole run, like a server's pools.
    let mut pools: BTreeMap<(&str, Kind), (AnyContender, u64)> = BTreeMap::new();
    for sc in &scenarios {
        for &k in &args.contenders {
            pb.set_message(format!("calibrate {} {}", sc.id, k.name()));
            let c = AnyContender::new(k, sc.layouts);
            if let Err(e) = c.verify(sc.layouts) {
                fatal(&pb, format!("{} in {}: {e}", k.name(), sc.id));
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
    let s7_results = if s7 {
        run_s7(&args, &pb).unwrap_or_else(|e| fatal(&pb, e))
    } else {
        S7Results::new()
    };
    let s8_results = if s8 {
        run_s8(&args, &pb).unwrap_or_else(|e| fatal(&pb, e))
    } else {
        S8Results::default()
    };
    if let Some(why) = s8_results.not_built {
        notes.push(why.to_string());
    }
    let s9_results = run_or_note(s9, "S9", &pb, &mut notes, || engine::run_s9(&args, &pb));
    let s10_results = run_or_note(s10, "S10", &pb, &mut notes, || {
        exchange::run_s10(&args, &pb)
    });
    let s11_results = run_or_note(s11, "S11", &pb, &mut notes, || large::run_s11(&args, &pb));
    let df_outcome = if df {
        datafusion::run_df(&args, df_bin, &pb).unwrap_or_else(|e| fatal(&pb, e))
    } else {
        datafusion::DfOutcome::Off
    };
    if let datafusion::DfOutcome::Failed { error, .. } = &df_outcome {
        notes.push(format!("DF not measured: {error}"));
    }
    for &alloc in &nopool_allocs {
        pb.set_message(format!(
            "S1–S3 no pool under {} (child process)",
            alloc.name()
        ));
        match run_nopool_child(&args, &scenarios, alloc) {
            Ok(rows) => {
                for (key, series) in rows {
                    results.insert(key, series);
                }
            }
            Err(e) => notes.push(format!("{} not measured: {e}", alloc.name())),
        }
        pb.inc(1);
    }

    let exe = std::env::current_exe().expect("current_exe");
    let mut s5_results: Vec<PipeReport> = Vec::new();
    if s5 {
        for (i, (name, opts)) in s5_plan.iter().enumerate() {
            pb.set_message(format!(
                "S5 pipeline {name}, {} worker(s), {} B strings (child {})",
                opts.workers,
                opts.str_bytes,
                i + 1
            ));
            match pipeline::run_in_child(&exe, name, opts) {
                Ok(r) => s5_results.push(r),
                Err(e) => notes.push(format!("S5 {name} at {} B: {e}", opts.str_bytes)),
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
    let measured = Measured {
        cycles: results,
        s5: s5_results,
        s6: s6_results,
        s7: s7_results,
        s8: s8_results,
        s9: s9_results,
        s10: s10_results,
        s11: s11_results,
        df: df_outcome,
        notes,
    };
    let analysis = analyse(&args, &measured);
    let text = render_text(&args, &measured, &analysis);
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
        &measured,
        &analysis,
    ) {
        Ok(dir) => println!("report: {}", dir.display()),
        Err(e) => {
            eprintln!("writing the report failed: {e}");
            std::process::exit(1);
        }
    }
}

/// A child mode's end: its JSON line on stdout, or its error on stderr and
/// exit status 2.
fn child_exit(r: Result<Value, String>) {
    match r {
        Ok(v) => println!("{v}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    }
}

/// Ends the run on an error of a scenario: the progress bar left as it is,
/// the error on stderr, exit status 1.
fn fatal(pb: &Progress, e: impl std::fmt::Display) -> ! {
    pb.abandon();
    eprintln!("{e}");
    std::process::exit(1);
}

/// S9, S10 or S11 (`id`) when `on`: `run`'s results; where the scenario
/// was not built (an error starting "`id` not built"), the default and the
/// error as a note of the report; any other error ends the run.
fn run_or_note<T: Default>(
    on: bool,
    id: &str,
    pb: &Progress,
    notes: &mut Vec<String>,
    run: impl FnOnce() -> Result<T, String>,
) -> T {
    if !on {
        return T::default();
    }
    match run() {
        Ok(r) => r,
        Err(e) if e.starts_with(&format!("{id} not built")) => {
            notes.push(e);
            T::default()
        }
        Err(e) => fatal(pb, e),
    }
}
