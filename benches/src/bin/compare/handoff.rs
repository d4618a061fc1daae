//! S8, the Arrow hand-off (`benches/README.md`): run in this process like
//! S7, one thread, the workload in `chunkpool_bench::handoff`. Built with
//! the bench crate's `arrow` feature (on by default); without it S8
//! reports itself not built.

use crate::analysis::TargetResult;
use crate::args::Args;
use crate::progress::Progress;
use crate::scenarios::Series;
use chunkpool_bench::harness::{median, min_max};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The least time of `arrow-builders` over chunkpool's (`benches/README.md`).
const TARGET_RATIO: f64 = 1.5;
/// The least `chunks_from_cache / chunks_allocated` after warm-up.
const TARGET_FROM_CACHE: f64 = 0.99;

/// What one timed chunkpool sample did with the pool.
#[derive(Clone, Debug)]
pub(crate) struct PoolSample {
    /// Batches exported (the sample's cycles).
    pub(crate) exported: u64,
    /// `chunks_returned` over the sample.
    pub(crate) returned: u64,
    /// `chunks_allocated` and `chunks_from_cache` over the sample.
    pub(crate) allocated: u64,
    pub(crate) from_cache: u64,
    /// `exported_chunks` once the sample's last batch was dropped.
    pub(crate) alive_after: u64,
}

/// S8's samples.
#[derive(Default)]
pub(crate) struct S8Results {
    /// Per contender name, indexed by repetition.
    pub(crate) series: BTreeMap<String, Series>,
    /// Per contender name, ns per cycle making the batch, by repetition.
    pub(crate) make_ns: BTreeMap<String, Vec<f64>>,
    /// chunkpool's pool, per repetition.
    pub(crate) pool: Vec<PoolSample>,
    /// Why S8 did not run, when it did not.
    pub(crate) not_built: Option<&'static str>,
}

impl S8Results {
    pub(crate) fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}

/// S8's contenders in the table's order.
const ORDER: [&str; 3] = ["chunkpool", "arrow-builders", "malloc"];

fn order(who: &str) -> usize {
    ORDER.iter().position(|&n| n == who).unwrap_or(ORDER.len())
}

#[cfg(feature = "arrow")]
mod run {
    use super::*;
    use chunkpool_bench::contenders::Kind;
    use chunkpool_bench::handoff::{Handoff, Handoffs};

    /// chunkpool and arrow-builders always (the target compares them);
    /// malloc when `--contenders` has it.
    pub(super) fn kinds(args: &Args) -> Vec<Handoff> {
        Handoff::ALL
            .into_iter()
            .filter(|&h| h != Handoff::Malloc || args.contenders.contains(&Kind::Malloc))
            .collect()
    }

    pub(crate) fn s8_steps(args: &Args) -> usize {
        kinds(args).len() * (args.reps + 1)
    }

    /// Runs S8: one `Handoffs` (table, pool, schema) for the whole run,
    /// each contender verified and calibrated, then `args.reps`
    /// repetitions with the contender order rotated.
    pub(crate) fn run_s8(args: &Args, pb: &Progress) -> Result<S8Results, String> {
        let kinds = kinds(args);
        let h = Handoffs::new();
        let mut iters = BTreeMap::new();
        for &k in &kinds {
            pb.set_message(format!("calibrate S8 {}", k.name()));
            h.verify(k).map_err(|e| format!("S8: {e}"))?;
            iters.insert(k, h.calibrate(k, args.sample));
            pb.inc(1);
        }
        let mut res = S8Results::default();
        let n = kinds.len();
        for rep in 0..args.reps {
            for i in 0..n {
                let k = kinds[(i + rep) % n];
                pb.set_message(format!("rep {}/{} S8 {}", rep + 1, args.reps, k.name()));
                let s = h.run(k, iters[&k]).map_err(|e| format!("S8: {e}"))?;
                res.series.entry(k.name().to_string()).or_default().push(
                    s.sample.ns_per_cycle(),
                    s.sample.throughput(),
                    s.sample.faults_per_cycle(),
                    None,
                );
                res.make_ns
                    .entry(k.name().to_string())
                    .or_default()
                    .push(s.make_ns_per_cycle());
                if let (Some(a), Some(b)) = (&s.sample.stats_before, &s.sample.stats_after) {
                    res.pool.push(PoolSample {
                        exported: s.sample.iters,
                        returned: b.chunks_returned - a.chunks_returned,
                        allocated: b.chunks_allocated - a.chunks_allocated,
                        from_cache: b.chunks_from_cache - a.chunks_from_cache,
                        alive_after: b.exported_chunks as u64,
                    });
                }
                pb.inc(1);
            }
        }
        Ok(res)
    }
}

#[cfg(feature = "arrow")]
pub(crate) use run::{run_s8, s8_steps};

#[cfg(not(feature = "arrow"))]
pub(crate) fn s8_steps(_: &Args) -> usize {
    0
}

#[cfg(not(feature = "arrow"))]
pub(crate) fn run_s8(_: &Args, _: &Progress) -> Result<S8Results, String> {
    Ok(S8Results {
        not_built: Some(
            "S8 not built: chunkpool-bench was built without its `arrow` feature (on by default)",
        ),
        ..S8Results::default()
    })
}

/// contender -> (median, min, max) of its time over chunkpool's in the
/// same repetition.
pub(crate) fn s8_ratios(r: &S8Results) -> BTreeMap<String, (f64, f64, f64)> {
    let mut out = BTreeMap::new();
    let Some(cp) = r.series.get("chunkpool") else {
        return out;
    };
    for (who, s) in &r.series {
        let per: Vec<f64> = s.ns.iter().zip(&cp.ns).map(|(a, b)| a / b).collect();
        let (lo, hi) = min_max(&per);
        out.insert(who.clone(), (median(&per), lo, hi));
    }
    out
}

fn sorted(r: &S8Results) -> Vec<(&str, &Series)> {
    let mut v: Vec<_> = r.series.iter().map(|(w, s)| (w.as_str(), s)).collect();
    v.sort_by_key(|(w, _)| order(w));
    v
}

/// (exported, returned, allocated, from cache, most alive after a sample)
/// over every chunkpool sample.
fn pool_totals(r: &S8Results) -> (u64, u64, u64, u64, u64) {
    r.pool.iter().fold((0, 0, 0, 0, 0), |t, p| {
        (
            t.0 + p.exported,
            t.1 + p.returned,
            t.2 + p.allocated,
            t.3 + p.from_cache,
            t.4.max(p.alive_after),
        )
    })
}

/// Per-sample `chunks_from_cache / chunks_allocated`.
fn from_cache_rates(r: &S8Results) -> Vec<f64> {
    r.pool
        .iter()
        .filter(|p| p.allocated > 0)
        .map(|p| p.from_cache as f64 / p.allocated as f64)
        .collect()
}

pub(crate) fn s8_rows(r: &S8Results) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "contender",
        "ns/cycle (median)",
        "min–max",
        "× chunkpool [min–max]",
        "make batch ns",
        "kernels+drop ns",
        "M rows/s",
        "faults/cycle",
        "back home",
        "from cache",
    ];
    let ratios = s8_ratios(r);
    let (exp, ret, _, _, alive) = pool_totals(r);
    let cache = from_cache_rates(r);
    let rows = sorted(r)
        .into_iter()
        .map(|(who, s)| {
            let (lo, hi) = min_max(&s.ns);
            let ratio = match ratios.get(who) {
                Some(_) if who == "chunkpool" => "1.00".to_string(),
                Some(&(m, l, h)) => format!("{m:.2} [{l:.2}–{h:.2}]"),
                None => "-".into(),
            };
            let (home, from) = if who == "chunkpool" && exp > 0 {
                (
                    format!("{ret}/{exp}, {alive} alive"),
                    format!("{:.2}%", median(&cache) * 100.0),
                )
            } else {
                ("-".into(), "-".into())
            };
            let (make, rest) = make_split(r, who, s);
            vec![
                who.to_string(),
                format!("{:.0}", median(&s.ns)),
                format!("{lo:.0}–{hi:.0}"),
                ratio,
                format!("{make:.0}"),
                format!("{rest:.0}"),
                format!("{:.1}", median(&s.throughput) * BATCH_ROWS as f64 / 1e6),
                format!("{:.3}", median(&s.faults)),
                home,
                from,
            ]
        })
        .collect();
    (head, rows)
}

/// (making the batch, the rest) in median ns per cycle: the median of the
/// per-sample make times, and the median of each sample's total less its
/// make time.
fn make_split(r: &S8Results, who: &str, s: &Series) -> (f64, f64) {
    let make = r.make_ns.get(who).map_or(&[][..], Vec::as_slice);
    let rest: Vec<f64> = s.ns.iter().zip(make).map(|(t, m)| t - m).collect();
    (median(make), median(&rest))
}

/// Rows of one S8 batch (`chunkpool_bench::handoff::ROWS`).
const BATCH_ROWS: usize = 1024;

/// What S8 puts in report.json.
pub(crate) fn s8_json(r: &S8Results) -> Value {
    if r.is_empty() {
        return r
            .not_built
            .map_or(Value::Null, |why| json!({ "not_built": why }));
    }
    let ratios = s8_ratios(r);
    let contenders: Vec<Value> = sorted(r)
        .into_iter()
        .map(|(who, s)| {
            let (lo, hi) = min_max(&s.ns);
            let (make, rest) = make_split(r, who, s);
            json!({
                "contender": who,
                "ns_per_cycle": s.ns,
                "make_batch_ns_per_cycle": r.make_ns.get(who),
                "median_make_batch_ns": make,
                "median_kernels_and_drop_ns": rest,
                "median_ns": median(&s.ns),
                "min_ns": lo,
                "max_ns": hi,
                "cycles_per_sec": s.throughput,
                "faults_per_cycle": median(&s.faults),
                "ratio_to_chunkpool": ratios.get(who).map(|r| json!({"median": r.0, "min": r.1, "max": r.2})),
            })
        })
        .collect();
    let (exp, ret, alloc, cache, alive) = pool_totals(r);
    json!({
        "rows_per_batch": BATCH_ROWS,
        "contenders": contenders,
        "pool": {
            "exported": exp,
            "returned": ret,
            "allocated": alloc,
            "from_cache": cache,
            "max_exported_chunks_after_sample": alive,
            "per_sample": r.pool.iter().map(|p| json!({
                "exported": p.exported, "returned": p.returned, "allocated": p.allocated,
                "from_cache": p.from_cache, "exported_chunks_after": p.alive_after,
            })).collect::<Vec<_>>(),
        },
    })
}

/// S8's targets: `arrow-builders` takes ≥ 1.5× chunkpool's time, and
/// every exported chunk comes home (returned = exported, no export alive
/// after a sample, ≥ 99% of allocations whole from the cache after
/// warm-up). One thread: valid whatever the floor check says.
pub(crate) fn s8_targets(r: &S8Results) -> Vec<TargetResult> {
    let mut out = Vec::new();
    if let Some(&(m, lo, hi)) = s8_ratios(r).get("arrow-builders") {
        out.push(TargetResult {
            scenario: "S8",
            text: format!("arrow-builders' time / chunkpool's ≥ {TARGET_RATIO}"),
            measured: format!("arrow-builders is {m:.2}× chunkpool's time [{lo:.2}–{hi:.2}]"),
            met: Some(m >= TARGET_RATIO),
            valid: true,
            borderline: lo < TARGET_RATIO && hi >= TARGET_RATIO,
        });
    }
    if !r.pool.is_empty() {
        let (exp, ret, alloc, cache, alive) = pool_totals(r);
        let rates = from_cache_rates(r);
        let lowest = min_max(&rates).0;
        out.push(TargetResult {
            scenario: "S8",
            text: "every exported chunk back in the pool".into(),
            measured: format!(
                "{ret} of {exp} exported chunks returned, exported_chunks {alive} after every sample; \
                 from cache {cache} of {alloc} allocations ({:.2}%, lowest sample {:.2}%)",
                cache as f64 / alloc.max(1) as f64 * 100.0,
                lowest * 100.0
            ),
            met: Some(ret == exp && alive == 0 && lowest >= TARGET_FROM_CACHE),
            valid: true,
            borderline: false,
        });
    }
    out
}

/// The explanation printed above S8's table.
pub(crate) const S8_NOTE: &str = "One thread, one cycle = a 1024-row scan batch \
(id i64, price f64, qty i32, name text averaging 16 B with 1 in 8 NULL) filled from a pre-generated table, \
made a RecordBatch, `qty <= 25` (arrow_ord::cmp::lt_eq), filter_record_batch, sum of the kept prices, dropped. \
chunkpool: a LockFreeAllocator chunk exported with into_record_batch_as() into a schema made once (no copy; it goes home when the batch drops); \
arrow-builders: Int64/Float64/Int32/LargeString builders sized exactly, into a schema made once; \
malloc: an unpooled Chunk::new exported. The filter's output is new arrow memory for everyone. \
× chunkpool = contender's time / chunkpool's in the same repetition (> 1: chunkpool faster). \
Make batch = filling and exporting (or building), read off the clock each cycle; kernels+drop = the rest of the cycle. \
Every cycle's (rows kept, sum) is checked against the table. Back home = chunks_returned / batches exported \
and exports still alive (exported_chunks) after the sample; from cache = chunks_from_cache / chunks_allocated, median of the samples.";
