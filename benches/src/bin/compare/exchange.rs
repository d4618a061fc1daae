//! S10, exchange (`benches/README.md`): the plan, the child processes (one
//! per allocator × contender and repetition, so peak RSS and page faults
//! are that contender's own under that allocator), the floor check per
//! repetition, the tables, report.json's section and the targets. The
//! workload is `chunkpool_bench::exchange`.

use crate::allocators::{need_arrow, run_rep};
use crate::analysis::{memory_measures, memory_target, TargetResult};
use crate::args::Args;
use crate::engine::{floor_list, floor_scaling, FLOOR_SCALING};
use crate::progress::Progress;
use crate::table::{mark, opt, ratio_cell, render_md, spread};
use chunkpool_bench::alloc::Allocator;
use chunkpool_bench::harness::median;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

#[cfg(feature = "arrow")]
use chunkpool_bench::exchange::CHILD_FLAG;
/// Unused without the `arrow` feature (S10 does not run), kept for one code path.
#[cfg(not(feature = "arrow"))]
const CHILD_FLAG: &str = "--s10-child";

/// S10's contenders (`chunkpool_bench::engine::Maker` names), table order.
pub(crate) const CONTENDERS: [&str; 3] = ["chunkpool", "arrow-builders-exact", "unpooled"];
const NO_POOL: [&str; 2] = ["arrow-builders-exact", "unpooled"];
/// Target: chunkpool's time ≤ this × the best no-pool contender's.
const MAX_VS_BEST: f64 = 1.05;

/// What S10 runs.
pub(crate) struct Plan {
    pub(crate) pairs: Vec<&'static str>,
    pub(crate) reps: usize,
    pub(crate) sample_ms: u64,
}

pub(crate) fn plan(args: &Args) -> Plan {
    Plan {
        pairs: if args.quick {
            vec!["1x1"]
        } else {
            vec!["1x1", "2x2"]
        },
        reps: args.s10_reps.unwrap_or(if args.quick { 1 } else { 3 }),
        sample_ms: args
            .s10_sample_ms
            .unwrap_or(if args.quick { 20 } else { 300 }),
    }
}

/// Steps of the progress bar: one per child, one floor check per repetition.
pub(crate) fn s10_steps(args: &Args) -> usize {
    let p = plan(args);
    p.reps * (1 + Allocator::ALL.len() * CONTENDERS.len())
}

/// One sample: one contender, one pair, one mode, one repetition.
#[derive(Clone, Debug)]
pub(crate) struct Point {
    pub(crate) ns: f64,
    pub(crate) cpu_ns: f64,
    pub(crate) make_ns: f64,
    pub(crate) drop_ns: f64,
    pub(crate) faults: f64,
    pub(crate) from_cache: Option<f64>,
    pub(crate) retained: Option<u64>,
}

/// What one child process measured besides its samples.
#[derive(Clone, Debug)]
pub(crate) struct Proc {
    pub(crate) calls: f64,
    pub(crate) rss_mib: f64,
}

/// (allocator, pair, exchange?) of a sample.
type Key = (Allocator, &'static str, bool);

#[derive(Default)]
pub(crate) struct S10Results {
    pub(crate) reps: usize,
    pub(crate) points: BTreeMap<(Key, &'static str), Vec<Option<Point>>>,
    pub(crate) procs: BTreeMap<(Allocator, &'static str), Vec<Proc>>,
    /// Per repetition: floor's 2-thread over 1-thread throughput.
    pub(crate) floor: Vec<f64>,
    pub(crate) errors: Vec<String>,
}

impl S10Results {
    pub(crate) fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Repetitions that count: those that passed the floor check (every
    /// S10 run has two threads or more), or all when none did.
    fn counted(&self) -> Vec<usize> {
        let valid: Vec<usize> = (0..self.reps)
            .filter(|&r| self.floor.get(r).is_some_and(|&f| f >= FLOOR_SCALING))
            .collect();
        if valid.is_empty() {
            (0..self.reps).collect()
        } else {
            valid
        }
    }

    fn valid(&self) -> bool {
        self.floor.iter().any(|&f| f >= FLOOR_SCALING)
    }

    fn point(&self, k: Key, who: &'static str, rep: usize) -> Option<&Point> {
        self.points.get(&(k, who))?.get(rep)?.as_ref()
    }

    /// A contender's median of `f` over its processes under `a` (one per
    /// repetition, every pair in it).
    fn proc_med(&self, a: Allocator, who: &'static str, f: fn(&Proc) -> f64) -> Option<f64> {
        (self.procs.get(&(a, who))).map(|ps| median(&ps.iter().map(f).collect::<Vec<_>>()))
    }

    fn med(&self, k: Key, who: &'static str, f: impl Fn(&Point) -> f64) -> Option<f64> {
        let v: Vec<f64> = self
            .counted()
            .into_iter()
            .filter_map(|r| self.point(k, who, r).map(&f))
            .collect();
        (!v.is_empty()).then(|| median(&v))
    }

    /// Per counted repetition, `num(rep) / chunkpool's time`: (median, min, max).
    fn ratio_by(&self, k: Key, num: impl Fn(usize) -> Option<f64>) -> Option<(f64, f64, f64)> {
        let per: Vec<f64> = self
            .counted()
            .into_iter()
            .filter_map(|r| Some(num(r)? / self.point(k, "chunkpool", r)?.ns))
            .collect();
        spread(&per)
    }

    /// The contender's time over chunkpool's (> 1: chunkpool faster).
    fn ratio(&self, k: Key, who: &'static str) -> Option<(f64, f64, f64)> {
        self.ratio_by(k, |r| Some(self.point(k, who, r)?.ns))
    }

    /// The best no-pool contender's time (per repetition) over chunkpool's.
    fn best_ratio(&self, k: Key) -> Option<(f64, f64, f64)> {
        self.ratio_by(k, |r| {
            NO_POOL
                .iter()
                .filter_map(|w| self.point(k, w, r).map(|p| p.ns))
                .reduce(f64::min)
        })
    }

    /// (make + drop) exchanged minus (make + drop) on one thread, ns per
    /// batch (medians over the counted repetitions).
    fn remote_cost(&self, a: Allocator, pair: &'static str, who: &'static str) -> Option<f64> {
        let md = |p: &Point| p.make_ns + p.drop_ns;
        Some(self.med((a, pair, true), who, md)? - self.med((a, pair, false), who, md)?)
    }

    fn keys(&self) -> Vec<(&'static str, Allocator)> {
        let mut v: Vec<_> = self.points.keys().map(|((a, p, _), _)| (*p, *a)).collect();
        v.sort();
        v.dedup();
        v
    }
}

fn name(s: &str, list: &[&'static str]) -> &'static str {
    list.iter().copied().find(|&c| c == s).unwrap_or("?")
}

/// Runs S10: per repetition, the floor check, then every allocator, its
/// contenders in an order rotated between repetitions. A wrong batch is an
/// error of the run.
pub(crate) fn run_s10(args: &Args, pb: &Progress) -> Result<S10Results, String> {
    need_arrow("S10")?;
    let p = plan(args);
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut res = S10Results {
        reps: p.reps,
        ..S10Results::default()
    };
    for rep in 0..p.reps {
        pb.set_message(format!("S10 rep {}/{}: floor check", rep + 1, p.reps));
        res.floor.push(floor_scaling(Duration::from_millis(10)));
        pb.inc(1);
        let done = run_rep(
            "S10",
            &exe,
            (rep, p.reps),
            &CONTENDERS,
            pb,
            &mut res.errors,
            |who| {
                vec![
                    CHILD_FLAG.to_string(),
                    who.to_string(),
                    p.pairs.join(","),
                    p.sample_ms.to_string(),
                ]
            },
        )?;
        for (alloc, who, v) in done {
            record(&mut res, alloc, who, rep, &p.pairs, &v);
        }
    }
    Ok(res)
}

fn record(
    res: &mut S10Results,
    alloc: Allocator,
    who: &'static str,
    rep: usize,
    pairs: &[&'static str],
    v: &Value,
) {
    let f = |v: &Value, k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let kb = |k: &str| v[k].as_u64().unwrap_or(0);
    res.procs.entry((alloc, who)).or_default().push(Proc {
        calls: f(v, "allocs_per_batch") + f(v, "frees_per_batch"),
        rss_mib: kb("peak_rss_kb").saturating_sub(kb("base_rss_kb")) as f64 / 1024.0,
    });
    for smp in v["samples"].as_array().into_iter().flatten() {
        let pair = name(smp["pair"].as_str().unwrap_or("?"), pairs);
        let exchange = smp["mode"] == "exchange";
        let slot = res
            .points
            .entry(((alloc, pair, exchange), who))
            .or_insert_with(|| vec![None; res.reps]);
        slot[rep] = Some(Point {
            ns: f(smp, "ns_per_batch"),
            cpu_ns: f(smp, "cpu_ns_per_batch"),
            make_ns: f(smp, "make_ns"),
            drop_ns: f(smp, "drop_ns"),
            faults: f(smp, "faults_per_batch"),
            from_cache: smp["from_cache"].as_f64(),
            retained: smp["retained_bytes"].as_u64(),
        });
    }
}

pub(crate) const S10_NOTE: &str = "Exchange: N producer threads make S9's scan batch (8192 rows; id i64, \
price f64, qty i32, name text averaging 64 B, 1 in 8 NULL: fill from the table, export to a RecordBatch) and send \
it round robin over M bounded channels (std sync_channel, 4 batches each) to M consumer threads, which sum the \
prices (checked against the table) and drop the batch: every pooled chunk goes home from another thread than the \
one that filled it. chunkpool: LockFreeAllocator (default PoolConfig); unpooled: Chunk::new; \
arrow-builders-exact: arrow's builders sized exactly. ns/batch: wall time of the timed window / batches consumed \
(the pipeline's throughput); cpu: the process's CPU time / batch; × = contender's time / chunkpool's in the same \
repetition (> 1: chunkpool faster), median [min–max]; best no-pool = the faster no-pool contender of each \
repetition. Remote cost: (make + drop) per batch exchanged, minus the same in a same-thread run (N + M threads, \
each making, summing and dropping its own batches, no channel), medians of thread CPU time \
(CLOCK_THREAD_CPUTIME_ID); make = allocation + fill + export on the producer, drop = the batch dropped on the \
consumer (where a pooled chunk goes home); the no-pool contenders' remote cost (their buffers freed on another \
thread, data made on another core) is the baseline the pool's is judged against. Target: chunkpool ≤ 1.05× the \
best no-pool contender's time.";

/// The time table: one row per (pair, allocator), plus per pair the best
/// under any allocator.
pub(crate) fn s10_time_rows(r: &S10Results) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "N×M",
        "allocator",
        "chunkpool ns/batch",
        "cpu ns/batch (cp / exact / unpooled)",
        "exact ×",
        "unpooled ×",
        "best no-pool ×",
        "≤ 1.05×",
        "remote cost ns/batch (cp / exact / unpooled)",
        "same-thread make+drop ns (cp / exact / unpooled)",
    ];
    let mut rows = Vec::new();
    for (pair, a) in r.keys() {
        let k = (a, pair, true);
        let each = |f: &dyn Fn(&'static str) -> Option<f64>| {
            CONTENDERS
                .iter()
                .map(|&w| opt(f(w), 0))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let best = r.best_ratio(k);
        rows.push(vec![
            format!(
                "{}{}",
                pair.replace('x', "×"),
                if r.valid() { "" } else { " INVALID" }
            ),
            a.name().to_string(),
            opt(r.med(k, "chunkpool", |p| p.ns), 0),
            each(&|w| r.med(k, w, |p| p.cpu_ns)),
            ratio_cell(r.ratio(k, "arrow-builders-exact")),
            ratio_cell(r.ratio(k, "unpooled")),
            ratio_cell(best),
            mark(best.map(|b| b.0 >= 1.0 / MAX_VS_BEST)).to_string(),
            each(&|w| r.remote_cost(a, pair, w)),
            each(&|w| r.med((a, pair, false), w, |p| p.make_ns + p.drop_ns)),
        ]);
    }
    (head, rows)
}

/// The fastest median of `whos` under any allocator, exchanged.
fn best_any(r: &S10Results, pair: &'static str, whos: &[&'static str]) -> Option<f64> {
    Allocator::ALL
        .iter()
        .flat_map(|&a| {
            whos.iter()
                .filter_map(move |&w| r.med((a, pair, true), w, |p| p.ns))
        })
        .reduce(f64::min)
}

/// The resources: one row per (pair, allocator).
pub(crate) fn s10_resource_rows(r: &S10Results) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "N×M",
        "allocator",
        "allocator calls / batch",
        "minor faults / batch",
        "peak RSS above the table, MiB",
        "chunkpool retained MiB",
        "chunkpool from cache",
    ];
    let rows = r
        .keys()
        .into_iter()
        .map(|(pair, a)| {
            let k = (a, pair, true);
            let join = |f: &dyn Fn(&'static str) -> String| {
                CONTENDERS
                    .iter()
                    .map(|&w| f(w))
                    .collect::<Vec<_>>()
                    .join(" / ")
            };
            let proc_med = |w, f| r.proc_med(a, w, f);
            vec![
                pair.replace('x', "×"),
                a.name().to_string(),
                join(&|w| opt(proc_med(w, |p| p.calls), 1)),
                join(&|w| opt(r.med(k, w, |p| p.faults), 2)),
                join(&|w| opt(proc_med(w, |p| p.rss_mib), 1)),
                opt(
                    r.med(k, "chunkpool", |p| {
                        p.retained.unwrap_or(0) as f64 / 1048576.0
                    }),
                    2,
                ),
                r.counted()
                    .into_iter()
                    .filter_map(|rep| r.point(k, "chunkpool", rep)?.from_cache)
                    .reduce(f64::min)
                    .map_or("-".into(), |x| format!("lowest {:.1}%", x * 100.0)),
            ]
        })
        .collect();
    (head, rows)
}

/// S10's section of report.md (also printed on the console).
pub(crate) fn s10_markdown(r: &S10Results, quick: bool) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## S10: exchange\n\n{S10_NOTE}\n");
    let _ = writeln!(
        md,
        "{} repetition(s); floor check per repetition (≥ {FLOOR_SCALING} for a repetition to count; every S10 run \
         has 2 threads or more, INVALID when none passed): {}.{}\n",
        r.reps,
        floor_list(&r.floor),
        if quick {
            " QUICK run: 1×1 only, short samples; indicative only."
        } else {
            ""
        }
    );
    let (h, rows) = s10_time_rows(r);
    md.push_str(&render_md(&h, &rows));
    let pairs: Vec<&'static str> = {
        let mut v: Vec<_> = r.keys().into_iter().map(|k| k.0).collect();
        v.dedup();
        v
    };
    for pair in pairs {
        if let (Some(np), Some(cp)) = (
            best_any(r, pair, &NO_POOL),
            best_any(r, pair, &["chunkpool"]),
        ) {
            let _ = writeln!(
                md,
                "\n{}: best no-pool under any allocator {np:.0} ns/batch, chunkpool's best {cp:.0} ns/batch: \
                 ratio {:.2} (target ≥ {:.2}: {})",
                pair.replace('x', "×"),
                np / cp,
                1.0 / MAX_VS_BEST,
                if np / cp >= 1.0 / MAX_VS_BEST { "met" } else { "NOT met" }
            );
        }
    }
    let (h, rows) = s10_resource_rows(r);
    let _ = writeln!(
        md,
        "\n### S10 resources per batch\n\nEach cell lists {} (medians). Allocator calls: alloc + realloc + free \
         through the global allocator, one thread making, summing and dropping batches, untimed. Minor faults: \
         `getrusage` over the exchange's timed window. Peak RSS: the child's peak resident set since the table was made \
         (`VmHWM`, reset there), less its resident set then (all its samples). Retained: `Stats::retained_bytes` once the exchange's threads ended.\n",
        CONTENDERS.join(" / ")
    );
    md.push_str(&render_md(&h, &rows));
    for e in &r.errors {
        let _ = writeln!(md, "\nS10 not measured: {e}");
    }
    md
}

/// S10's targets: per pair, under each allocator and against the best
/// no-pool contender under any allocator.
pub(crate) fn s10_targets(r: &S10Results) -> Vec<TargetResult> {
    let mut out = Vec::new();
    for a in Allocator::ALL {
        // One process per contender runs every pair: its peak against the
        // most chunkpool retained after any of them.
        let rss = |w| r.proc_med(a, w, |p| p.rss_mib);
        let retained = (r.keys().into_iter())
            .filter(|k| k.1 == a)
            .filter_map(|(pair, _)| {
                r.med((a, pair, true), "chunkpool", |p| {
                    p.retained.unwrap_or(0) as f64
                })
            })
            .reduce(f64::max)
            .map(|b| b / 1048576.0);
        if let Some(m) = memory_measures(&NO_POOL, rss, retained) {
            out.push(memory_target("S10", a, m));
        }
    }
    for (pair, a) in r.keys() {
        let Some((m, lo, hi)) = r.best_ratio((a, pair, true)) else {
            continue;
        };
        let min = 1.0 / MAX_VS_BEST;
        let remote = r.remote_cost(a, pair, "chunkpool");
        out.push(TargetResult {
            scenario: "S10",
            text: format!(
                "{} under {}: chunkpool ≤ 1.05× the best no-pool contender's time",
                pair.replace('x', "×"),
                a.name()
            ),
            measured: format!(
                "best no-pool / chunkpool {m:.2} [{lo:.2}–{hi:.2}]; chunkpool's remote cost {} ns/batch",
                opt(remote, 0)
            ),
            met: Some(m >= min),
            valid: r.valid(),
            borderline: lo < min && hi >= min,
        });
    }
    out
}

/// S10's section of report.json.
pub(crate) fn s10_json(r: &S10Results) -> Value {
    if r.is_empty() {
        return Value::Null;
    }
    let points: Vec<Value> = r
        .points
        .iter()
        .map(|(((a, pair, x), w), pts)| {
            json!({"allocator": a.name(), "pair": pair, "mode": if *x { "exchange" } else { "same-thread" },
                   "contender": w,
                   "per_rep": pts.iter().map(|p| p.as_ref().map_or(Value::Null, |p| json!({
                       "ns_per_batch": p.ns, "cpu_ns_per_batch": p.cpu_ns, "make_ns": p.make_ns,
                       "drop_ns": p.drop_ns, "faults_per_batch": p.faults, "from_cache": p.from_cache,
                       "retained_bytes": p.retained}))).collect::<Vec<_>>()})
        })
        .collect();
    let summary: Vec<Value> = r
        .keys()
        .into_iter()
        .map(|(pair, a)| {
            let k = (a, pair, true);
            let rj = |x: Option<(f64, f64, f64)>| x.map(|(m, lo, hi)| json!({"median": m, "min": lo, "max": hi}));
            json!({"allocator": a.name(), "pair": pair,
                   "best_no_pool_ratio": rj(r.best_ratio(k)),
                   "remote_cost_ns": CONTENDERS.iter().map(|&w| (w.to_string(), json!(r.remote_cost(a, pair, w)))).collect::<serde_json::Map<_, _>>()})
        })
        .collect();
    let procs: Vec<Value> = r
        .procs
        .iter()
        .map(|((a, w), ps)| {
            json!({"allocator": a.name(), "contender": w,
                   "per_rep": ps.iter().map(|p| json!({"calls_per_batch": p.calls, "peak_rss_above_table_mib": p.rss_mib})).collect::<Vec<_>>()})
        })
        .collect();
    json!({"reps": r.reps, "valid": r.valid(), "floor_scaling_per_rep": r.floor, "summary": summary,
           "points": points, "processes": procs, "errors": r.errors})
}
