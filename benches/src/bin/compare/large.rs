//! S11, large columns (`benches/README.md`): the plan, the child processes
//! (one per allocator × contender and repetition: page faults and peak RSS
//! are that contender's own under that allocator), the table, report.json's
//! section and the targets. The workload is `chunkpool_bench::large`.

use crate::allocators::{need_arrow, run_rep};
use crate::analysis::{memory_measures, memory_target, TargetResult};
use crate::args::Args;
use crate::progress::Progress;
use crate::table::{mark, opt, ratio_cell, render_md, spread};
use chunkpool_bench::alloc::Allocator;
use chunkpool_bench::harness::median;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[cfg(feature = "arrow")]
use chunkpool_bench::large::CHILD_FLAG;
/// Unused without the `arrow` feature (S11 does not run), kept for one code path.
#[cfg(not(feature = "arrow"))]
const CHILD_FLAG: &str = "--s11-child";

/// S11's contenders (`chunkpool_bench::engine::Maker` names), table order.
pub(crate) const CONTENDERS: [&str; 3] = ["chunkpool", "arrow-builders-exact", "unpooled"];
const NO_POOL: [&str; 2] = ["arrow-builders-exact", "unpooled"];
/// Targets: chunkpool's time ≤ this × the best no-pool contender's, and
/// its faults per cycle below [`MAX_FAULTS`] (none, to the sample's
/// resolution: fewer than one fault in 20 cycles).
const MAX_VS_BEST: f64 = 1.05;
const MAX_FAULTS: f64 = 0.05;

pub(crate) struct Plan {
    pub(crate) reps: usize,
    pub(crate) sample_ms: u64,
    pub(crate) min_cycles: u64,
}

pub(crate) fn plan(args: &Args) -> Plan {
    Plan {
        reps: args.s11_reps.unwrap_or(if args.quick { 1 } else { 3 }),
        sample_ms: args
            .s11_sample_ms
            .unwrap_or(if args.quick { 30 } else { 500 }),
        min_cycles: if args.quick { 5 } else { 20 },
    }
}

pub(crate) fn s11_steps(args: &Args) -> usize {
    plan(args).reps * Allocator::ALL.len() * CONTENDERS.len()
}

/// One child's measurement (one contender, allocator and repetition).
#[derive(Clone, Debug)]
pub(crate) struct Point {
    pub(crate) ns: f64,
    pub(crate) faults: f64,
    pub(crate) cycles: u64,
    pub(crate) calls: f64,
    pub(crate) rss_mib: f64,
    pub(crate) from_cache: Option<f64>,
    pub(crate) retained: Option<u64>,
}

#[derive(Default)]
pub(crate) struct S11Results {
    pub(crate) reps: usize,
    pub(crate) points: BTreeMap<(Allocator, &'static str), Vec<Option<Point>>>,
    pub(crate) errors: Vec<String>,
}

impl S11Results {
    pub(crate) fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    fn point(&self, a: Allocator, who: &'static str, rep: usize) -> Option<&Point> {
        self.points.get(&(a, who))?.get(rep)?.as_ref()
    }

    fn med(&self, a: Allocator, who: &'static str, f: impl Fn(&Point) -> f64) -> Option<f64> {
        let v: Vec<f64> = (0..self.reps)
            .filter_map(|r| self.point(a, who, r).map(&f))
            .collect();
        (!v.is_empty()).then(|| median(&v))
    }

    /// Per repetition `num(rep) / chunkpool's time`: (median, min, max).
    fn ratio_by(
        &self,
        a: Allocator,
        num: impl Fn(usize) -> Option<f64>,
    ) -> Option<(f64, f64, f64)> {
        let per: Vec<f64> = (0..self.reps)
            .filter_map(|r| Some(num(r)? / self.point(a, "chunkpool", r)?.ns))
            .collect();
        spread(&per)
    }

    fn ratio(&self, a: Allocator, who: &'static str) -> Option<(f64, f64, f64)> {
        self.ratio_by(a, |r| Some(self.point(a, who, r)?.ns))
    }

    fn best_ratio(&self, a: Allocator) -> Option<(f64, f64, f64)> {
        self.ratio_by(a, |r| {
            NO_POOL
                .iter()
                .filter_map(|w| self.point(a, w, r).map(|p| p.ns))
                .reduce(f64::min)
        })
    }

    fn allocators(&self) -> Vec<Allocator> {
        let mut v: Vec<_> = self.points.keys().map(|k| k.0).collect();
        v.dedup();
        v
    }

    /// chunkpool's highest faults per cycle over the repetitions.
    fn worst_faults(&self, a: Allocator) -> Option<f64> {
        (0..self.reps)
            .filter_map(|r| self.point(a, "chunkpool", r).map(|p| p.faults))
            .reduce(f64::max)
    }

    /// The fastest median of `whos` under any allocator.
    fn best_any(&self, whos: &[&'static str]) -> Option<f64> {
        self.allocators()
            .into_iter()
            .flat_map(|a| whos.iter().filter_map(move |&w| self.med(a, w, |p| p.ns)))
            .reduce(f64::min)
    }
}

/// Runs S11: per repetition every allocator, its contenders in an order
/// rotated between repetitions. S11 is single-threaded: no floor check.
pub(crate) fn run_s11(args: &Args, pb: &Progress) -> Result<S11Results, String> {
    need_arrow("S11")?;
    let p = plan(args);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut res = S11Results {
        reps: p.reps,
        ..S11Results::default()
    };
    for rep in 0..p.reps {
        let done = run_rep(
            "S11",
            &exe,
            (rep, p.reps),
            &CONTENDERS,
            pb,
            &mut res.errors,
            |who| {
                vec![
                    CHILD_FLAG.to_string(),
                    who.to_string(),
                    p.sample_ms.to_string(),
                    p.min_cycles.to_string(),
                ]
            },
        )?;
        for (alloc, who, v) in done {
            record(&mut res, alloc, who, rep, &v);
        }
    }
    Ok(res)
}

fn record(res: &mut S11Results, alloc: Allocator, who: &'static str, rep: usize, v: &Value) {
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let kb = |k: &str| v[k].as_u64().unwrap_or(0);
    let slot = res
        .points
        .entry((alloc, who))
        .or_insert_with(|| vec![None; res.reps]);
    slot[rep] = Some(Point {
        ns: f("ns_per_cycle"),
        faults: f("faults_per_cycle"),
        cycles: kb("cycles"),
        calls: f("allocs_per_cycle") + f("frees_per_cycle"),
        rss_mib: kb("peak_rss_kb").saturating_sub(kb("base_rss_kb")) as f64 / 1024.0,
        from_cache: v["from_cache"].as_f64(),
        retained: v["retained_bytes"].as_u64(),
    });
}

pub(crate) const S11_NOTE: &str = "Large columns, one thread. One cycle: a batch of one i64 column of 262,144 \
rows (2 MiB) and one of 4,194,304 rows (32 MiB), each filled from a source table with one bulk copy, exported to an \
arrow RecordBatch, summed (checked against the table), both dropped at the end of the cycle (a chunk's columns \
share one row count, so the two sizes are two one-column batches). chunkpool: LockFreeAllocator chunks (default \
PoolConfig), Column::extend_from_slice, into_record_batch_as; unpooled: Chunk::new, the same; arrow-builders-exact: \
Int64Builder::with_capacity + append_slice. Each contender under each allocator in a process of its own per \
repetition: 4 warm-up cycles, then a timed sample (steady state). × = contender's time / chunkpool's in the same \
repetition (> 1: chunkpool faster), median [min–max]. Targets: chunkpool ≤ 1.05× the best no-pool contender's \
time; 0 minor faults per cycle (< 0.05 counts as 0: fewer than one fault in 20 cycles).";

pub(crate) fn s11_rows(r: &S11Results) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "allocator",
        "ns/cycle (cp / exact / unpooled)",
        "exact ×",
        "unpooled ×",
        "best no-pool ×",
        "≤ 1.05×",
        "minor faults / cycle (cp / exact / unpooled)",
        "0 faults",
        "allocator calls / cycle",
        "peak RSS above the table, MiB",
        "chunkpool retained MiB / from cache",
        "cycles timed (cp)",
    ];
    let rows = r
        .allocators()
        .into_iter()
        .map(|a| {
            let each = |f: &dyn Fn(&Point) -> f64, prec: usize| {
                CONTENDERS
                    .iter()
                    .map(|&w| opt(r.med(a, w, f), prec))
                    .collect::<Vec<_>>()
                    .join(" / ")
            };
            let best = r.best_ratio(a);
            let faults = r.worst_faults(a);
            vec![
                a.name().to_string(),
                each(&|p| p.ns, 0),
                ratio_cell(r.ratio(a, "arrow-builders-exact")),
                ratio_cell(r.ratio(a, "unpooled")),
                ratio_cell(best),
                mark(best.map(|b| b.0 >= 1.0 / MAX_VS_BEST)).to_string(),
                each(&|p| p.faults, 2),
                mark(faults.map(|f| f < MAX_FAULTS)).to_string(),
                each(&|p| p.calls, 1),
                each(&|p| p.rss_mib, 1),
                format!(
                    "{} / {}",
                    opt(
                        r.med(a, "chunkpool", |p| p.retained.unwrap_or(0) as f64
                            / 1048576.0),
                        1
                    ),
                    opt(
                        r.med(a, "chunkpool", |p| p.from_cache.unwrap_or(f64::NAN) * 100.0),
                        1
                    ) + "%"
                ),
                opt(r.med(a, "chunkpool", |p| p.cycles as f64), 0),
            ]
        })
        .collect();
    (head, rows)
}

/// S11's section of report.md (also printed on the console).
pub(crate) fn s11_markdown(r: &S11Results, quick: bool) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## S11: large columns\n\n{S11_NOTE}\n\n{} repetition(s).{}\n",
        r.reps,
        if quick {
            " QUICK run: short samples; indicative only."
        } else {
            ""
        }
    );
    let (h, rows) = s11_rows(r);
    md.push_str(&render_md(&h, &rows));
    if let (Some(np), Some(cp)) = (r.best_any(&NO_POOL), r.best_any(&["chunkpool"])) {
        let _ = writeln!(
            md,
            "\nBest no-pool under any allocator {np:.0} ns/cycle, chunkpool's best {cp:.0} ns/cycle: ratio {:.2} \
             (target ≥ {:.2}: {})",
            np / cp,
            1.0 / MAX_VS_BEST,
            if np / cp >= 1.0 / MAX_VS_BEST { "met" } else { "NOT met" }
        );
    }
    for e in &r.errors {
        let _ = writeln!(md, "\nS11 not measured: {e}");
    }
    md
}

pub(crate) fn s11_targets(r: &S11Results) -> Vec<TargetResult> {
    let mut out = Vec::new();
    for a in r.allocators() {
        let rss = |w| r.med(a, w, |p| p.rss_mib);
        let retained = r.med(a, "chunkpool", |p| {
            p.retained.unwrap_or(0) as f64 / 1048576.0
        });
        if let Some(m) = memory_measures(&NO_POOL, rss, retained) {
            out.push(memory_target("S11", a, m));
        }
        if let Some((m, lo, hi)) = r.best_ratio(a) {
            let min = 1.0 / MAX_VS_BEST;
            out.push(TargetResult {
                scenario: "S11",
                text: format!(
                    "under {}: chunkpool ≤ 1.05× the best no-pool contender's time",
                    a.name()
                ),
                measured: format!("best no-pool / chunkpool {m:.2} [{lo:.2}–{hi:.2}]"),
                met: Some(m >= min),
                valid: true,
                borderline: lo < min && hi >= min,
            });
        }
        if let Some(f) = r.worst_faults(a) {
            out.push(TargetResult {
                scenario: "S11",
                text: format!("under {}: chunkpool 0 minor faults per cycle", a.name()),
                measured: format!("{f:.3} per cycle (highest repetition)"),
                met: Some(f < MAX_FAULTS),
                valid: true,
                borderline: false,
            });
        }
    }
    out
}

pub(crate) fn s11_json(r: &S11Results) -> Value {
    if r.is_empty() {
        return Value::Null;
    }
    let points: Vec<Value> = r
        .points
        .iter()
        .map(|((a, w), pts)| {
            json!({"allocator": a.name(), "contender": w,
                   "per_rep": pts.iter().map(|p| p.as_ref().map_or(Value::Null, |p| json!({
                       "ns_per_cycle": p.ns, "faults_per_cycle": p.faults, "cycles": p.cycles,
                       "calls_per_cycle": p.calls, "peak_rss_above_table_mib": p.rss_mib,
                       "from_cache": p.from_cache, "retained_bytes": p.retained}))).collect::<Vec<_>>()})
        })
        .collect();
    json!({"reps": r.reps, "points": points, "errors": r.errors})
}
