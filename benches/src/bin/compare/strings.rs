//! String widths: S7 (the S1 cycle with the variable-width columns filled
//! with text of 8, 24, 64 and 200 bytes a row on average, run in this
//! process) and the tables of S5's width sweep (run as children, see
//! `children::s5_plan`).

use crate::analysis::TargetResult;
use crate::args::Args;
use crate::progress::Progress;
use crate::scenarios::Series;
use crate::table::PipeSummary;
use chunkpool_bench::contenders::{AnyContender, Kind};
use chunkpool_bench::harness::{median, min_max};
use chunkpool_bench::pipeline::{Report as PipeReport, DEFAULT_STR_BYTES};
use chunkpool_bench::shapes::{F8, ROWS, SINGLE};
use chunkpool_bench::strings::{FillTouch, WIDTHS};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// S7's contenders (`benches/README.md`), in its order.
pub(crate) const S7_CONTENDERS: [Kind; 5] = [
    Kind::Chunkpool,
    Kind::TidbMutex,
    Kind::MutexWhole,
    Kind::LockfreeObjectPool,
    Kind::Malloc,
];

/// The widths up to which `benches/README.md` wants chunkpool's whole-chunk reuse ≥ 95%.
const TARGET_WIDTHS: [usize; 3] = [8, 24, 64];

/// S7 samples keyed by (mean bytes a row, contender name).
pub(crate) type S7Results = BTreeMap<(usize, String), Series>;

/// The S7 contenders this run measures (those of `--contenders`).
fn kinds(args: &Args) -> Vec<Kind> {
    S7_CONTENDERS
        .into_iter()
        .filter(|k| args.contenders.contains(k))
        .collect()
}

/// Progress-bar steps S7 takes.
pub(crate) fn s7_steps(args: &Args) -> usize {
    kinds(args).len() * WIDTHS.len() * (args.reps + 1)
}

/// Runs S7: per width, one pool per contender for the whole run (warmed up
/// by calibration and before every sample), `args.reps` repetitions with
/// the contender order rotated, 1 thread, one F8 chunk of 1024 rows per
/// cycle: alloc, fill both string columns, touch, drop.
pub(crate) fn run_s7(args: &Args, pb: &Progress) -> Result<S7Results, String> {
    let kinds = kinds(args);
    let works: Vec<FillTouch> = WIDTHS.iter().map(|&w| FillTouch::new(ROWS, w)).collect();
    let mut pools: BTreeMap<(usize, Kind), (AnyContender, u64)> = BTreeMap::new();
    for work in &works {
        let want = work.expected(&F8);
        for &k in &kinds {
            pb.set_message(format!("calibrate S7 {} B {}", work.width, k.name()));
            let c = AnyContender::new(k, SINGLE);
            c.verify_with(work, want, SINGLE)
                .map_err(|e| format!("{} in S7 at {} B: {e}", k.name(), work.width))?;
            let iters = c.calibrate_with(work, 1, args.sample);
            pools.insert((work.width, k), (c, iters));
            pb.inc(1);
        }
    }
    let mut res = S7Results::new();
    let n = kinds.len();
    for rep in 0..args.reps {
        for work in &works {
            for i in 0..n {
                let k = kinds[(i + rep) % n];
                pb.set_message(format!(
                    "rep {}/{} S7 {} B {}",
                    rep + 1,
                    args.reps,
                    work.width,
                    k.name()
                ));
                let (c, iters) = &pools[&(work.width, k)];
                let s = c.run_with(work, 1, *iters);
                let series = res.entry((work.width, k.name().to_string())).or_default();
                series.push(
                    s.ns_per_cycle(),
                    s.throughput(),
                    s.faults_per_cycle(),
                    s.reuse_rate(),
                );
                if let Some(w) = s.whole_chunk_rate() {
                    series.whole.push(w);
                }
                pb.inc(1);
            }
        }
    }
    Ok(res)
}

/// (width, contender) -> (median, min, max) of the contender's time over
/// chunkpool's in the same repetition.
pub(crate) fn s7_ratios(r: &S7Results) -> BTreeMap<(usize, String), (f64, f64, f64)> {
    let mut out = BTreeMap::new();
    for ((w, who), s) in r {
        if let Some(cp) = r.get(&(*w, "chunkpool".to_string())) {
            let per: Vec<f64> = s.ns.iter().zip(&cp.ns).map(|(a, b)| a / b).collect();
            let (lo, hi) = min_max(&per);
            out.insert((*w, who.clone()), (median(&per), lo, hi));
        }
    }
    out
}

fn pct(v: &[f64]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        format!("{:.1}%", median(v) * 100.0)
    }
}

fn order(who: &str) -> usize {
    S7_CONTENDERS
        .iter()
        .position(|k| k.name() == who)
        .unwrap_or(S7_CONTENDERS.len())
}

/// Rows of S7's table, by width then contender.
fn sorted(r: &S7Results) -> Vec<(usize, &str, &Series)> {
    let mut v: Vec<_> = r
        .iter()
        .map(|((w, who), s)| (*w, who.as_str(), s))
        .collect();
    v.sort_by_key(|&(w, who, _)| (w, order(who)));
    v
}

pub(crate) fn s7_rows(r: &S7Results) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "B/row",
        "contender",
        "ns/cycle (median)",
        "min–max",
        "× chunkpool [min–max]",
        "whole-chunk reuse",
        "column reuse",
        "faults/cycle",
    ];
    let ratios = s7_ratios(r);
    let rows = sorted(r)
        .into_iter()
        .map(|(w, who, s)| {
            let (lo, hi) = min_max(&s.ns);
            let ratio = match ratios.get(&(w, who.to_string())) {
                Some(_) if who == "chunkpool" => "1.00".to_string(),
                Some(&(m, l, h)) => format!("{m:.2} [{l:.2}–{h:.2}]"),
                None => "-".into(),
            };
            let whole = pct(&s.whole);
            vec![
                w.to_string(),
                who.to_string(),
                format!("{:.0}", median(&s.ns)),
                format!("{lo:.0}–{hi:.0}"),
                ratio,
                whole,
                pct(&s.reuse),
                format!("{:.3}", median(&s.faults)),
            ]
        })
        .collect();
    (head, rows)
}

/// What S7 puts in report.json.
pub(crate) fn s7_json(r: &S7Results) -> Vec<Value> {
    let ratios = s7_ratios(r);
    sorted(r)
        .into_iter()
        .map(|(w, who, s)| {
            let (lo, hi) = min_max(&s.ns);
            let whole = (!s.whole.is_empty()).then(|| {
                let (wl, wh) = min_max(&s.whole);
                json!({"median": median(&s.whole), "min": wl, "max": wh, "samples": s.whole})
            });
            json!({
                "bytes_per_row": w,
                "contender": who,
                "ns_per_cycle": s.ns,
                "median_ns": median(&s.ns),
                "min_ns": lo,
                "max_ns": hi,
                "faults_per_cycle": median(&s.faults),
                "ratio_to_chunkpool": ratios.get(&(w, who.to_string())).map(|r| json!({"median": r.0, "min": r.1, "max": r.2})),
                "whole_chunk_reuse": whole,
                "column_reuse": if s.reuse.is_empty() { Value::Null } else { json!(median(&s.reuse)) },
            })
        })
        .collect()
}

/// The S7 target of `benches/README.md`: with default limits, chunkpool hands out ≥ 95% of
/// its chunks whole from the cache at 8, 24 and 64 B a row (judged on the
/// lowest repetition of each width).
pub(crate) fn s7_targets(r: &S7Results) -> Vec<TargetResult> {
    let lowest = |w: usize| {
        r.get(&(w, "chunkpool".to_string()))
            .filter(|s| !s.whole.is_empty())
            .map(|s| (median(&s.whole), min_max(&s.whole).0))
    };
    let got: Vec<(usize, Option<(f64, f64)>)> = WIDTHS.iter().map(|&w| (w, lowest(w))).collect();
    if got.iter().all(|g| g.1.is_none()) {
        return Vec::new();
    }
    let measured = got
        .iter()
        .map(|(w, g)| match g {
            Some((m, lo)) => format!(
                "{w} B {:.1}% (lowest {:.1}%){}",
                m * 100.0,
                lo * 100.0,
                if TARGET_WIDTHS.contains(w) {
                    ""
                } else {
                    ", no target"
                }
            ),
            None => format!("{w} B not measured"),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let targeted: Vec<Option<f64>> = got
        .iter()
        .filter(|(w, _)| TARGET_WIDTHS.contains(w))
        .map(|(_, g)| g.map(|x| x.1))
        .collect();
    let met = if targeted.iter().any(Option::is_none) {
        None
    } else {
        Some(targeted.iter().flatten().all(|&lo| lo >= 0.95))
    };
    vec![TargetResult {
        scenario: "S7",
        text: "whole-chunk reuse ≥ 95% at 8/24/64 B".into(),
        measured: format!("chunkpool: {measured}"),
        met,
        valid: true,
        borderline: false,
    }]
}

// ---------------------------------------------------------------- S5 widths

/// Rows of S5's width table: 2 workers, per mean width and contender.
pub(crate) fn s5_width_rows(s5: &[PipeReport]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "B/row",
        "contender",
        "M rows/s (median)",
        "min–max",
        "× chunkpool",
        "whole-chunk reuse",
        "column reuse",
        "alloc share",
        "peak RSS MiB",
        "runs",
    ];
    let mut rows = Vec::new();
    for w in WIDTHS {
        let of = |who: &str| -> Vec<&PipeReport> {
            s5.iter()
                .filter(|r| r.contender == who && r.workers == 2 && r.str_bytes == w)
                .collect()
        };
        let cp = PipeSummary::of(&of("chunkpool"));
        for who in crate::children::S5_WIDTH_CONTENDERS {
            let rs = of(who);
            if rs.is_empty() {
                continue;
            }
            let sum = PipeSummary::of(&rs);
            rows.push(vec![
                w.to_string(),
                who.to_string(),
                sum.rows_per_sec(),
                sum.range(),
                sum.ratio_to(&cp),
                pct(&sum.whole),
                pct(&sum.reuse),
                sum.share(),
                sum.rss(),
                rs.len().to_string(),
            ]);
        }
    }
    (head, rows)
}

/// Whether S5 ran any width other than the default.
pub(crate) fn has_s5_widths(s5: &[PipeReport]) -> bool {
    s5.iter().any(|r| r.str_bytes != DEFAULT_STR_BYTES)
}

/// The explanation printed above S5's width table.
pub(crate) const S5_WIDTHS_NOTE: &str = "The same pipeline with `name` and `comment` averaging 8, 24, 64 and 200 bytes a row, \
2 workers only (the 8 B rows are the main S5 runs; the wider ones run fewer repetitions, see `runs`), \
chunkpool (default limits), tidb-mutex (TiDB's flat 16 KiB string limit) and malloc. \
Reuse is over the timed statements: whole-chunk = chunks handed out as whole cached chunks, column = columns from the cache.";

/// The explanation printed above S7's table.
pub(crate) const S7_NOTE: &str = "The S1 cycle (1 thread, one F8 chunk of 1024 rows) with both variable-width columns filled, \
every row, with text averaging the given bytes a row (fixed pseudo-random lengths 1..2·mean−1), then touched and dropped. \
× chunkpool = contender's time / chunkpool's in the same repetition. Reuse is measured after warm-up: whole-chunk = \
chunks_from_cache / chunks_allocated, column = columns from the cache. chunkpool keeps its default limits \
(string columns up to max(16 KiB, 128 B × rows)); tidb-mutex has TiDB's (PoolConfig::tidb(): none above 16 KiB). \
At 200 B a row a string column grows to 256 KiB, above both limits: it is freed when the chunk comes back and grown anew \
(the whole-chunk pools have no limit and keep it).";
