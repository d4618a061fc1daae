//! S9, engine batches (`benches/README.md`): the plan, the child processes
//! (one per allocator × contender × shape and repetition, so peak RSS and
//! page faults are that contender's own under that allocator), the
//! per-repetition floor check, and the analysis (ratios within a
//! repetition, the targets per shape and allocator), for both scans of
//! S9's scan axis: `rows` (the main table) and `bulk` (every column at a
//! time from the slice's arrow-layout buffers, on which the make target is
//! judged; its results are [`S9Results::bulk`]). The workload is
//! `chunkpool_bench::engine`; the tables are in `engine_report`.

use crate::allocators::{need_arrow, run_json_child};
use crate::analysis::{memory_measures, TargetResult};
use crate::args::Args;
use crate::progress::Progress;
use crate::table::spread;
use chunkpool_bench::alloc::Allocator;
use chunkpool_bench::contenders::{AnyContender, Kind};
use chunkpool_bench::harness::median;
use chunkpool_bench::shapes::SINGLE;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

#[cfg(feature = "arrow")]
use chunkpool_bench::engine::child::CHILD_FLAG;
/// Unused without the `arrow` feature (S9 does not run), kept for one code path.
#[cfg(not(feature = "arrow"))]
const CHILD_FLAG: &str = "--s9-child";

/// S9's contenders (`chunkpool_bench::engine::Maker` names), table order.
pub(crate) const CONTENDERS: [&str; 5] = [
    "chunkpool",
    "arrow-builders-exact",
    "arrow-builders-nohint",
    "unpooled",
    "copy-floor",
];
/// The bulk scan's contenders: `arrow-builders-nohint` is left out (with
/// `append_slice` and `append_array` a builder made with `new()` reserves
/// each column's size at its one append, so it is the exact builders again).
pub(crate) const BULK_CONTENDERS: [&str; 4] = [
    "chunkpool",
    "arrow-builders-exact",
    "unpooled",
    "copy-floor",
];
/// The no-pool contenders (the best of them, over every allocator, is the
/// "best no-pool" row).
pub(crate) const NO_POOL: [&str; 3] = ["arrow-builders-exact", "arrow-builders-nohint", "unpooled"];

/// Targets (`benches/README.md`).
pub(crate) const MIN_VS_EXACT: f64 = 1.0;
pub(crate) const MIN_VS_NOHINT: f64 = 1.1;
pub(crate) const MAX_MAKE_VS_FLOOR: f64 = 1.3;
pub(crate) const MIN_FROM_CACHE: f64 = 0.999;
/// The floor check of `benches/README.md`.
pub(crate) const FLOOR_SCALING: f64 = 1.5;

/// One batch shape, less the thread count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Shape {
    pub(crate) rows: usize,
    pub(crate) width: usize,
    pub(crate) columns: usize,
}

/// What S9 runs.
pub(crate) struct Plan {
    /// The rows scan's shapes (none when `--s9-scan bulk`).
    pub(crate) shapes: Vec<Shape>,
    pub(crate) threads: Vec<usize>,
    /// The bulk scan's shapes, one thread (none when `--s9-scan rows`).
    pub(crate) bulk_shapes: Vec<Shape>,
    pub(crate) reps: usize,
    pub(crate) sample_ms: u64,
}

/// The bulk scan's thread counts: one (the make part is per thread).
pub(crate) const BULK_THREADS: [usize; 1] = [1];

pub(crate) fn plan(args: &Args) -> Plan {
    let all_rows = [1024, 8192];
    let all_cols = [4, 16];
    let (widths, columns, threads): (&[usize], &[usize], &[usize]) = if args.quick {
        // A smoke pass: both batch sizes, the narrow and the wide text, 4
        // columns, 1 and 2 threads.
        (&[24, 200], &all_cols[..1], &[1, 2])
    } else {
        (&[8, 24, 64, 200], &all_cols, &[1, 2, 16])
    };
    let mut grid = Vec::new();
    for rows in all_rows {
        for &width in widths {
            for &columns in columns {
                grid.push(Shape {
                    rows,
                    width,
                    columns,
                });
            }
        }
    }
    // Each scan, or the one `--s9-scan` names. The bulk scan runs the rows
    // scan's shapes at one thread (the make part is per thread; a child of
    // it takes about 0.2 s).
    let scan = |s: &str| args.s9_scan.as_deref().map_or(true, |x| x == s);
    let shapes = if scan("rows") {
        grid.clone()
    } else {
        Vec::new()
    };
    let bulk_shapes = if scan("bulk") { grid } else { Vec::new() };
    Plan {
        shapes,
        bulk_shapes,
        threads: threads.to_vec(),
        // Five: a child's memory layout moves its times by up to about
        // 15%, every contender's alike (benches/README.md, S9).
        reps: args.s9_reps.unwrap_or(if args.quick { 1 } else { 5 }),
        sample_ms: args.s9_sample_ms.unwrap_or(if args.quick { 4 } else { 40 }),
    }
}

/// Steps of the progress bar: one per child, one floor check per repetition.
pub(crate) fn s9_steps(args: &Args) -> usize {
    let p = plan(args);
    p.reps
        * (1 + p.shapes.len() * Allocator::ALL.len() * CONTENDERS.len()
            + p.bulk_shapes.len() * Allocator::ALL.len() * BULK_CONTENDERS.len())
}

/// One sample of one contender (one thread count, one repetition).
#[derive(Clone, Debug)]
pub(crate) struct Point {
    pub(crate) ns: f64,
    pub(crate) make_ns: f64,
    pub(crate) faults: f64,
    pub(crate) rows_per_sec: f64,
    pub(crate) from_cache: Option<f64>,
    pub(crate) retained: Option<u64>,
}

/// What one child process measured besides its samples.
#[derive(Clone, Debug)]
pub(crate) struct Proc {
    pub(crate) allocs: f64,
    pub(crate) frees: f64,
    pub(crate) peak_rss_kb: u64,
    pub(crate) base_rss_kb: u64,
    pub(crate) batch_bytes: u64,
}

/// (allocator, shape, threads) of a cell of the matrix.
pub(crate) type Cell = (Allocator, Shape, usize);

#[derive(Default)]
pub(crate) struct S9Results {
    pub(crate) reps: usize,
    pub(crate) threads: Vec<usize>,
    /// (cell, contender) -> the point of each repetition (None: failed).
    pub(crate) points: BTreeMap<(Cell, &'static str), Vec<Option<Point>>>,
    /// (allocator, shape, contender) -> each repetition's process.
    pub(crate) procs: BTreeMap<(Allocator, Shape, &'static str), Vec<Proc>>,
    /// Per repetition: floor's 2-thread over 1-thread throughput.
    pub(crate) floor: Vec<f64>,
    pub(crate) errors: Vec<String>,
    /// The bulk scan's results (the same repetitions and floor checks;
    /// its own errors), when it ran; `self` holds the rows scan's.
    pub(crate) bulk: Option<Box<S9Results>>,
}

impl S9Results {
    /// Whether neither scan measured anything.
    pub(crate) fn is_empty(&self) -> bool {
        self.points.is_empty() && self.bulk.as_ref().map_or(true, |b| b.is_empty())
    }

    /// Whether repetition `rep` passed the floor check.
    pub(crate) fn rep_valid(&self, rep: usize) -> bool {
        self.floor.get(rep).is_some_and(|&f| f >= FLOOR_SCALING)
    }

    /// The repetitions whose samples count at `threads` threads.
    fn counted(&self, threads: usize) -> Vec<usize> {
        let valid: Vec<usize> = (0..self.reps).filter(|&r| self.rep_valid(r)).collect();
        if threads == 1 || valid.is_empty() {
            (0..self.reps).collect()
        } else {
            valid
        }
    }

    /// Whether a cell's figures are valid: one thread, or at least one
    /// repetition that passed the floor check.
    pub(crate) fn cell_valid(&self, threads: usize) -> bool {
        threads == 1 || (0..self.reps).any(|r| self.rep_valid(r))
    }

    pub(crate) fn point(&self, cell: Cell, who: &'static str, rep: usize) -> Option<&Point> {
        self.points.get(&(cell, who))?.get(rep)?.as_ref()
    }

    /// `f(contender's point) / f(chunkpool's point)` per counted repetition:
    /// (median, min, max).
    pub(crate) fn ratio_by(
        &self,
        cell: Cell,
        num: &'static str,
        den: &'static str,
        f: impl Fn(&Point) -> f64,
    ) -> Option<(f64, f64, f64)> {
        let per: Vec<f64> = self
            .counted(cell.2)
            .into_iter()
            .filter_map(|r| Some(f(self.point(cell, num, r)?) / f(self.point(cell, den, r)?)))
            .collect();
        spread(&per)
    }

    /// The contender's time over chunkpool's.
    pub(crate) fn ratio(&self, cell: Cell, who: &'static str) -> Option<(f64, f64, f64)> {
        self.ratio_by(cell, who, "chunkpool", |p| p.ns)
    }

    /// chunkpool's make part over copy-floor's.
    pub(crate) fn make_ratio(&self, cell: Cell) -> Option<(f64, f64, f64)> {
        self.ratio_by(cell, "chunkpool", "copy-floor", |p| p.make_ns)
    }

    /// A contender's peak RSS above the table, MiB (median over its
    /// processes, which run every thread count).
    pub(crate) fn rss_mib(&self, a: Allocator, s: Shape, who: &'static str) -> Option<f64> {
        self.proc_med(a, s, who, |p| {
            p.peak_rss_kb.saturating_sub(p.base_rss_kb) as f64 / 1024.0
        })
    }

    /// chunkpool's `retained_bytes` after a sample, MiB: the most over the
    /// thread counts (median over repetitions at each).
    pub(crate) fn retained_mib(&self, a: Allocator, s: Shape) -> Option<f64> {
        (self.threads.iter())
            .filter_map(|&t| self.med((a, s, t), "chunkpool", |p| p.retained.unwrap_or(0) as f64))
            .reduce(f64::max)
            .map(|b| b / 1048576.0)
    }

    /// The memory target at one shape: chunkpool's peak RSS above the
    /// table, and what the target allows it (the best no-pool contender's
    /// plus what chunkpool retains), MiB.
    pub(crate) fn memory(&self, a: Allocator, s: Shape) -> Option<(f64, f64)> {
        let rss = |w| self.rss_mib(a, s, w);
        let (pooled, best, retained) = memory_measures(&NO_POOL, rss, self.retained_mib(a, s))?;
        Some((pooled, best + retained))
    }

    /// A contender's median of `f` over the counted repetitions.
    pub(crate) fn med(
        &self,
        cell: Cell,
        who: &'static str,
        f: impl Fn(&Point) -> f64,
    ) -> Option<f64> {
        let v: Vec<f64> = self
            .counted(cell.2)
            .into_iter()
            .filter_map(|r| self.point(cell, who, r).map(&f))
            .collect();
        (!v.is_empty()).then(|| median(&v))
    }

    /// chunkpool's lowest from-cache rate over the counted repetitions.
    pub(crate) fn lowest_from_cache(&self, cell: Cell) -> Option<f64> {
        self.counted(cell.2)
            .into_iter()
            .filter_map(|r| self.point(cell, "chunkpool", r)?.from_cache)
            .reduce(f64::min)
    }

    pub(crate) fn proc_med(
        &self,
        a: Allocator,
        s: Shape,
        who: &'static str,
        f: impl Fn(&Proc) -> f64,
    ) -> Option<f64> {
        let v: Vec<f64> = self.procs.get(&(a, s, who))?.iter().map(f).collect();
        (!v.is_empty()).then(|| median(&v))
    }

    /// Every cell measured, in table order.
    pub(crate) fn cells(&self) -> Vec<Cell> {
        let mut v: Vec<Cell> = self.points.keys().map(|(c, _)| *c).collect();
        v.dedup();
        v.sort_by_key(|&(a, s, t)| (s.rows, s.width, s.columns, t, a));
        v.dedup();
        v
    }
}

/// floor's 2-thread throughput over its 1-thread throughput now (the F8
/// touch cycle of S1, in this process).
pub(crate) fn floor_scaling(sample: Duration) -> f64 {
    let c = AnyContender::new(Kind::Floor, SINGLE);
    let iters = c.calibrate(1, sample);
    let one = c.run(1, iters).throughput();
    let two = c.run(2, iters).throughput();
    two / one
}

/// The floor check of each repetition, as report.md shows it: the ratio,
/// " FAILED" below [`FLOOR_SCALING`].
pub(crate) fn floor_list(floor: &[f64]) -> String {
    floor
        .iter()
        .map(|f| format!("{f:.2}{}", if *f >= FLOOR_SCALING { "" } else { " FAILED" }))
        .collect::<Vec<_>>()
        .join(", ")
}

fn run_child(
    exe: &Path,
    alloc: Allocator,
    who: &str,
    s: Shape,
    p: &Plan,
    bulk: bool,
) -> Result<Value, String> {
    let threads: &[usize] = if bulk { &BULK_THREADS } else { &p.threads };
    let threads: Vec<String> = threads.iter().map(usize::to_string).collect();
    let mut args = vec![
        CHILD_FLAG.to_string(),
        who.to_string(),
        s.rows.to_string(),
        s.width.to_string(),
        s.columns.to_string(),
        threads.join(","),
        p.sample_ms.to_string(),
    ];
    if bulk {
        // Left out for the rows scan: the child's default.
        args.push("bulk".to_string());
    }
    run_json_child(exe, alloc, &args)
}

fn contender(name: &str) -> &'static str {
    CONTENDERS.into_iter().find(|&c| c == name).unwrap_or("?")
}

/// Runs S9: per repetition, the floor check, then every allocator ×
/// shape, its contenders in an order rotated between repetitions.
/// A wrong batch (checksum) is an error of the run.
pub(crate) fn run_s9(args: &Args, pb: &Progress) -> Result<S9Results, String> {
    need_arrow("S9")?;
    let p = plan(args);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut res = S9Results {
        reps: p.reps,
        threads: p.threads.clone(),
        ..S9Results::default()
    };
    let mut bulk = S9Results {
        reps: p.reps,
        threads: BULK_THREADS.to_vec(),
        ..S9Results::default()
    };
    for rep in 0..p.reps {
        pb.set_message(format!("S9 rep {}/{}: floor check", rep + 1, p.reps));
        res.floor
            .push(floor_scaling(Duration::from_millis(p.sample_ms.max(10))));
        pb.inc(1);
        for alloc in Allocator::ALL {
            if !alloc.built() {
                if rep == 0 {
                    res.errors.push(format!(
                        "{}: not built (chunkpool-bench without its `{}` feature)",
                        alloc.name(),
                        alloc.name()
                    ));
                }
                let children =
                    p.shapes.len() * CONTENDERS.len() + p.bulk_shapes.len() * BULK_CONTENDERS.len();
                for _ in 0..children {
                    pb.inc(1);
                }
                continue;
            }
            run_scan(&exe, &p, pb, alloc, rep, false, &mut res)?;
            run_scan(&exe, &p, pb, alloc, rep, true, &mut bulk)?;
        }
    }
    if !p.bulk_shapes.is_empty() {
        bulk.floor = res.floor.clone();
        res.bulk = Some(Box::new(bulk));
    }
    Ok(res)
}

/// One repetition of one scan's shapes under `alloc`, the contenders in
/// an order rotated between repetitions, into `res`.
fn run_scan(
    exe: &Path,
    p: &Plan,
    pb: &Progress,
    alloc: Allocator,
    rep: usize,
    bulk: bool,
    res: &mut S9Results,
) -> Result<(), String> {
    let (shapes, who_all): (&[Shape], &[&str]) = if bulk {
        (&p.bulk_shapes, &BULK_CONTENDERS)
    } else {
        (&p.shapes, &CONTENDERS)
    };
    let (n, scan) = (who_all.len(), if bulk { "bulk" } else { "rows" });
    for &s in shapes {
        for i in 0..n {
            let who = who_all[(i + rep) % n];
            pb.set_message(format!(
                "S9 rep {}/{} {scan} {} {}×{} B×{} cols {who}",
                rep + 1,
                p.reps,
                alloc.name(),
                s.rows,
                s.width,
                s.columns
            ));
            let v = match run_child(exe, alloc, who, s, p, bulk) {
                Ok(v) => v,
                Err(e) if e.contains("wrong") || e.contains("differs") => {
                    return Err(format!("S9 {scan} {} {who} {s:?}: {e}", alloc.name()))
                }
                Err(e) => {
                    res.errors
                        .push(format!("S9 {scan} {} {who} {s:?}: {e}", alloc.name()));
                    pb.inc(1);
                    continue;
                }
            };
            record(res, alloc, s, who, rep, &v);
            pb.inc(1);
        }
    }
    Ok(())
}

fn record(res: &mut S9Results, alloc: Allocator, s: Shape, who: &str, rep: usize, v: &Value) {
    let who = contender(who);
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    res.procs.entry((alloc, s, who)).or_default().push(Proc {
        allocs: f(v, "allocs_per_batch"),
        frees: f(v, "frees_per_batch"),
        peak_rss_kb: v["peak_rss_kb"].as_u64().unwrap_or(0),
        base_rss_kb: v["base_rss_kb"].as_u64().unwrap_or(0),
        batch_bytes: v["batch_bytes"].as_u64().unwrap_or(0),
    });
    for smp in v["samples"].as_array().into_iter().flatten() {
        let threads = smp["threads"].as_u64().unwrap_or(0) as usize;
        let slot = res
            .points
            .entry(((alloc, s, threads), who))
            .or_insert_with(|| vec![None; res.reps]);
        slot[rep] = Some(Point {
            ns: f(smp, "ns_per_batch"),
            make_ns: f(smp, "make_ns_per_batch"),
            faults: f(smp, "faults_per_batch"),
            rows_per_sec: f(smp, "rows_per_sec"),
            from_cache: smp["from_cache"].as_f64(),
            retained: smp["retained_bytes"].as_u64(),
        });
    }
}

/// A target's verdict at one cell: (met, the measured text).
pub(crate) struct Verdicts {
    pub(crate) exact: Option<bool>,
    pub(crate) nohint: Option<bool>,
    pub(crate) make: Option<bool>,
    pub(crate) cache: Option<bool>,
}

pub(crate) fn verdicts(r: &S9Results, cell: Cell) -> Verdicts {
    Verdicts {
        exact: r
            .ratio(cell, "arrow-builders-exact")
            .map(|x| x.0 >= MIN_VS_EXACT),
        nohint: r
            .ratio(cell, "arrow-builders-nohint")
            .map(|x| x.0 >= MIN_VS_NOHINT),
        make: r.make_ratio(cell).map(|x| x.0 <= MAX_MAKE_VS_FLOOR),
        cache: r.lowest_from_cache(cell).map(|x| x >= MIN_FROM_CACHE),
    }
}

type Pick = fn(&Verdicts) -> Option<bool>;

/// S9's targets, one line per target, scan and allocator: at how many
/// cells it holds, and where it does not. The make target is judged on the
/// bulk scan only (on the rows scan the chunks decode text a row at a
/// time while copy-floor copies whole buffers: `benches/README.md`).
pub(crate) fn s9_targets(r: &S9Results) -> Vec<TargetResult> {
    let rows: [(&str, Pick); 3] = [
        (
            "rows scan: chunkpool ≥ 1.0× arrow-builders-exact (their time / chunkpool's)",
            |v| v.exact,
        ),
        (
            "rows scan: chunkpool ≥ 1.1× arrow-builders-nohint",
            |v| v.nohint,
        ),
        (
            "rows scan: 100% of chunks from the cache (default PoolConfig)",
            |v| v.cache,
        ),
    ];
    let bulk: [(&str, Pick); 3] = [
        (
            "bulk scan: make part (fill + export) ≤ 1.3× copy-floor's",
            |v| v.make,
        ),
        (
            "bulk scan: chunkpool ≥ 1.0× arrow-builders-exact (append_slice, append_array)",
            |v| v.exact,
        ),
        (
            "bulk scan: 100% of chunks from the cache (default PoolConfig)",
            |v| v.cache,
        ),
    ];
    let mut out = scan_targets(r, &rows);
    out.extend(memory_targets(r, "rows"));
    if let Some(b) = &r.bulk {
        out.extend(scan_targets(b, &bulk));
        out.extend(memory_targets(b, "bulk"));
    }
    out
}

/// The memory target, per allocator, over one scan's shapes: chunkpool's
/// peak RSS ≤ the best no-pool contender's plus chunkpool's retained bytes.
/// Judged per process (every thread count of a shape runs in one), so on
/// shapes, not cells.
fn memory_targets(r: &S9Results, scan: &str) -> Vec<TargetResult> {
    let mut out = Vec::new();
    for alloc in Allocator::ALL {
        let mut shapes: Vec<Shape> = (r.procs.keys())
            .filter(|k| k.0 == alloc)
            .map(|k| k.1)
            .collect();
        shapes.dedup();
        let (mut met, mut missed) = (0, Vec::new());
        for s in shapes {
            match r.memory(alloc, s) {
                Some((pooled, allowed)) if pooled <= allowed => met += 1,
                Some((pooled, allowed)) => missed.push(format!(
                    "{} ({pooled:.1} > {allowed:.1} MiB)",
                    crate::engine_report::shape_name(s)
                )),
                None => {}
            }
        }
        if met + missed.len() > 0 {
            let text = format!(
                "{scan} scan: peak RSS ≤ the best no-pool contender's + chunkpool's retained bytes, under {}",
                alloc.name()
            );
            out.push(s9_line(text, met, &missed, 0, usize::MAX));
        }
    }
    out
}

/// One S9 target line: where it holds and (the first `show` of) where not,
/// with how many shapes were left out as invalid.
fn s9_line(
    text: String,
    met: usize,
    missed: &[String],
    invalid: usize,
    show: usize,
) -> TargetResult {
    let shown = &missed[..missed.len().min(show)];
    TargetResult {
        scenario: "S9",
        text,
        measured: format!(
            "holds at {met} of {} shapes{}{}{}",
            met + missed.len(),
            if invalid > 0 {
                format!(" ({invalid} multi-thread shapes INVALID: floor check failed)")
            } else {
                String::new()
            },
            if missed.is_empty() {
                String::new()
            } else {
                format!("; not at {}", shown.join(", "))
            },
            if missed.len() > shown.len() {
                format!(" and {} more", missed.len() - shown.len())
            } else {
                String::new()
            }
        ),
        met: Some(missed.is_empty()),
        valid: true,
        borderline: false,
    }
}

/// One scan's target lines, per allocator.
fn scan_targets(r: &S9Results, kinds: &[(&str, Pick)]) -> Vec<TargetResult> {
    let mut out = Vec::new();
    for alloc in Allocator::ALL {
        let cells: Vec<Cell> = r.cells().into_iter().filter(|c| c.0 == alloc).collect();
        if cells.is_empty() {
            continue;
        }
        for &(text, pick) in kinds {
            let (mut met, mut missed, mut invalid) = (0, Vec::new(), 0);
            for &c in &cells {
                if !r.cell_valid(c.2) {
                    invalid += 1;
                    continue;
                }
                match pick(&verdicts(r, c)) {
                    Some(true) => met += 1,
                    Some(false) => missed.push(crate::engine_report::cell_name(c)),
                    None => {}
                }
            }
            if met + missed.len() > 0 {
                let text = format!("{text}, under {}", alloc.name());
                out.push(s9_line(text, met, &missed, invalid, 8));
            }
        }
    }
    out
}
