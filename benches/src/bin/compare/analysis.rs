//! The measurements held against the targets of `benches/README.md`: ratios to chunkpool, the
//! floor-scaling check, and every target with its verdict.

use crate::args::Args;
use crate::scenarios::Results;
use crate::strings::{s7_targets, S7Results};
use chunkpool_bench::harness::{median, min_max};
use chunkpool_bench::pipeline::{Report as PipeReport, DEFAULT_STR_BYTES};
use serde_json::Value;
use std::collections::BTreeMap;

/// One target of `benches/README.md`, evaluated.
pub(crate) struct TargetResult {
    pub(crate) scenario: &'static str,
    pub(crate) text: String,
    pub(crate) measured: String,
    pub(crate) met: Option<bool>,
    /// False when the floor-scaling check failed for a multi-thread target.
    pub(crate) valid: bool,
    /// The measured range straddles the threshold.
    pub(crate) borderline: bool,
}

pub(crate) struct Analysis {
    pub(crate) floor_scaling: Option<f64>,
    pub(crate) floor_ok: bool,
    pub(crate) targets: Vec<TargetResult>,
    /// (scenario, contender) -> (median ratio, min, max) of contender time /
    /// chunkpool time in the same repetition.
    pub(crate) ratios: BTreeMap<(String, String), (f64, f64, f64)>,
}

pub(crate) fn multi_thread(id: &str) -> bool {
    matches!(id, "S2" | "S3")
}

pub(crate) fn analyse(
    args: &Args,
    r: &Results,
    s5: &[PipeReport],
    s6: &[Value],
    s7: &S7Results,
) -> Analysis {
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
    for &(id, who, min, label) in RATIO_TARGETS {
        let Some(&(m, lo, hi)) = ratios.get(&(id.to_string(), who.to_string())) else {
            continue;
        };
        targets.push(TargetResult {
            scenario: id,
            text: format!("{who}'s time / chunkpool's {label}"),
            measured: format!("{who} is {m:.2}× chunkpool's time [{lo:.2}–{hi:.2}]"),
            met: Some(m >= min),
            valid: !multi_thread(id) || floor_ok,
            borderline: lo < min && hi >= min,
        });
    }

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
            text: "total throughput ≥ 0.9× its S2 throughput".into(),
            measured: format!(
                "{:.2}× [{lo:.2}–{hi:.2}] ({:.2} vs {:.2} M cycles/s)",
                m3 / m2,
                m3 / 1e6,
                m2 / 1e6
            ),
            met: Some(m3 / m2 >= 0.9),
            valid: floor_ok,
            borderline: lo < 0.9 && hi >= 0.9,
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
                text: "cost per chunk ≤ 1.1× its S1 cost".into(),
                measured: format!(
                    "{m:.2}× [{lo:.2}–{hi:.2}] ({:.0} vs {:.0} ns)",
                    median(&s4.ns),
                    median(&s1.ns)
                ),
                met: Some(m <= 1.1),
                valid: true,
                borderline: lo <= 1.1 && hi > 1.1,
            });
        }
    }

    // S5: medians over repetitions, per (contender, workers), at the
    // default string width (the width sweep has no target).
    let s5m = |who: &str, w: usize, f: &dyn Fn(&PipeReport) -> f64| -> Option<(f64, f64, f64)> {
        let v: Vec<f64> = s5
            .iter()
            .filter(|r| r.contender == who && r.workers == w && r.str_bytes == DEFAULT_STR_BYTES)
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
                "{over} of {} samples of stats().budget_reserved over {budget} (max {}); retained_bytes gauge max {} ({} samples above, snapshot skew); at rest {at_rest} by stats, {drained} in cached whole chunks taken back out",
                v["samples"], v["max_reserved"], v["max_retained"], v["retained_snapshots_over_budget"]
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
    targets.extend(s7_targets(s7));
    let _ = args;
    Analysis {
        floor_scaling,
        floor_ok,
        targets,
        ratios,
    }
}

/// The time targets for S1–S3 (`benches/README.md`), as the least ratio of the
/// contender's time to chunkpool's in the same repetition: (scenario,
/// contender, least ratio, how the table prints it).
const RATIO_TARGETS: &[(&str, &str, f64, &str)] = &[
    ("S1", "lockfree-object-pool", 1.0, "≥ 1.0"),
    ("S1", "mutex-whole", 1.0, "≥ 1.0"),
    ("S1", "tidb-mutex", 3.0, "≥ 3"),
    ("S1", "malloc", 8.0, "≥ 8"),
    ("S2", "lockfree-object-pool", 1.3, "≥ 1.3"),
    ("S2", "mutex-whole", 3.0, "≥ 3"),
    ("S2", "tidb-mutex", 10.0, "≥ 10"),
    ("S2", "floor", 1.0 / 1.3, "≥ 0.77 (≤ 1.3× floor)"),
    ("S3", "lockfree-object-pool", 1.3, "≥ 1.3"),
    ("S3", "mutex-whole", 3.0, "≥ 3"),
    ("S3", "tidb-mutex", 15.0, "≥ 15"),
];

/// Which target (if any) a table row of S1–S3 carries.
pub(crate) fn row_target(id: &str, who: &str) -> Option<(f64, &'static str)> {
    RATIO_TARGETS
        .iter()
        .find(|t| t.0 == id && t.1 == who)
        .map(|t| (t.2, t.3))
}
