//! The measurements held against the targets of `benches/README.md`: ratios to chunkpool, the
//! floor-scaling check, and every target with its verdict.

use crate::args::Args;
use crate::scenarios::Measured;
use crate::strings::s7_targets;
use chunkpool_bench::harness::{median, min_max};
use chunkpool_bench::pipeline::{Report as PipeReport, DEFAULT_STR_BYTES};
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

/// The memory target's measures, MiB: chunkpool's peak RSS above the
/// table, the best (lowest) of the `no_pool` contenders', and what
/// chunkpool retains; `rss` gives a contender's peak. `None` if one is
/// missing.
pub(crate) fn memory_measures(
    no_pool: &[&'static str],
    rss: impl Fn(&'static str) -> Option<f64>,
    retained: Option<f64>,
) -> Option<(f64, f64, f64)> {
    let best = no_pool.iter().filter_map(|&w| rss(w)).reduce(f64::min)?;
    Some((rss("chunkpool")?, best, retained?))
}

/// The memory target of `benches/README.md` for one allocator of S10 or
/// S11: chunkpool's peak RSS above the table ≤ the best no-pool
/// contender's plus what chunkpool retains ([`memory_measures`], MiB).
pub(crate) fn memory_target(
    scenario: &'static str,
    a: chunkpool_bench::alloc::Allocator,
    (pooled, best, retained): (f64, f64, f64),
) -> TargetResult {
    TargetResult {
        scenario,
        text: format!(
            "under {}: peak RSS ≤ the best no-pool contender's + chunkpool's retained bytes",
            a.name()
        ),
        measured: format!(
            "chunkpool {pooled:.1} MiB, best no-pool {best:.1} + retained {retained:.1} = {:.1} MiB",
            best + retained
        ),
        met: Some(pooled <= best + retained),
        valid: true,
        borderline: false,
    }
}

pub(crate) struct Analysis {
    pub(crate) floor_scaling: Option<f64>,
    pub(crate) floor_ok: bool,
    pub(crate) targets: Vec<TargetResult>,
    /// (scenario, contender) -> (median ratio, min, max) of contender time /
    /// chunkpool time in the same repetition.
    pub(crate) ratios: BTreeMap<(String, String), (f64, f64, f64)>,
}

/// S1–S3's rows measured in another process (no pool under mimalloc or
/// jemalloc): not paired with chunkpool by repetition.
pub(crate) fn other_process(who: &str) -> bool {
    matches!(who, "mimalloc" | "jemalloc")
}

pub(crate) fn multi_thread(id: &str) -> bool {
    matches!(id, "S2" | "S3")
}

pub(crate) fn analyse(args: &Args, m: &Measured) -> Analysis {
    let (r, s5, s6, s7) = (&m.cycles, &m.s5[..], &m.s6[..], &m.s7);
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
            let per_rep: Vec<f64> = if other_process(who) {
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

    targets.extend(s5_targets(s5, floor_ok));
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
    targets.extend(crate::handoff::s8_targets(&m.s8));
    targets.extend(crate::engine::s9_targets(&m.s9));
    targets.extend(crate::exchange::s10_targets(&m.s10));
    targets.extend(crate::large::s11_targets(&m.s11));
    let _ = args;
    Analysis {
        floor_scaling,
        floor_ok,
        targets,
        ratios,
    }
}

/// S5's targets (`benches/README.md`), per worker count, at the default
/// string width (the width sweep has no target). Each contender's runs are
/// taken in plan order, so the i-th run of one and the i-th of another
/// come from the same repetition.
///
/// * Alloc share (worker time inside alloc and chunk drops over worker
///   time): chunkpool's median ≤ 0.5× `tidb-mutex`'s and ≤ 0.25× `malloc`'s
///   median.
/// * Rows/s, never below `tidb-mutex` or `malloc` beyond the run's noise:
///   not met only when chunkpool's best repetition is below the other's
///   worst. The median of the per-repetition ratios is reported with its
///   range; a pass with that median ratio below 1, or chunkpool's median
///   rows/s below the other's, is flagged "range straddles".
/// * Peak RSS ≤ `malloc`'s plus what the pool itself keeps cached: per
///   chunkpool run, its peak RSS less its own `retained_bytes_max`, median
///   over runs, against `malloc`'s median peak RSS.
///
/// The 2-worker time targets (alloc share, rows/s) are invalid when the
/// floor-scaling check fails; memory does not depend on a free core.
fn s5_targets(s5: &[PipeReport], floor_ok: bool) -> Vec<TargetResult> {
    let runs = |who: &str, w: usize| -> Vec<&PipeReport> {
        s5.iter()
            .filter(|r| r.contender == who && r.workers == w && r.str_bytes == DEFAULT_STR_BYTES)
            .collect()
    };
    let stats = |v: &[f64]| {
        let (lo, hi) = min_max(v);
        (median(v), lo, hi)
    };
    let mut out = Vec::new();
    for w in [1usize, 2] {
        let cp = runs("chunkpool", w);
        if cp.is_empty() {
            continue;
        }
        let timing_valid = w == 1 || floor_ok;
        let share =
            |rs: &[&PipeReport]| -> Vec<f64> { rs.iter().map(|r| r.alloc_share()).collect() };
        let rows =
            |rs: &[&PipeReport]| -> Vec<f64> { rs.iter().map(|r| r.rows_per_sec()).collect() };
        for (vs, max) in [("tidb-mutex", 0.5), ("malloc", 0.25)] {
            let o = runs(vs, w);
            if o.is_empty() {
                continue;
            }
            let ((cm, clo, chi), (om, olo, ohi)) = (stats(&share(&cp)), stats(&share(&o)));
            let ratio = cm / om;
            out.push(TargetResult {
                scenario: "S5",
                text: format!("{}: alloc share ≤ {max}× {vs}'s", n_workers(w)),
                measured: format!(
                    "{ratio:.2}× ({:.1}% [{:.1}–{:.1}] vs {:.1}% [{:.1}–{:.1}] of worker time)",
                    cm * 100.0,
                    clo * 100.0,
                    chi * 100.0,
                    om * 100.0,
                    olo * 100.0,
                    ohi * 100.0
                ),
                met: Some(ratio <= max),
                valid: timing_valid,
                borderline: clo / ohi <= max && chi / olo > max,
            });
        }
        for vs in ["tidb-mutex", "malloc"] {
            let o = runs(vs, w);
            if o.is_empty() {
                continue;
            }
            let (c, v) = (rows(&cp), rows(&o));
            let per_rep: Vec<f64> = c.iter().zip(&v).map(|(a, b)| a / b).collect();
            let (pm, plo, phi) = stats(&per_rep);
            let ((cm, _, best), (om, worst, _)) = (stats(&c), stats(&v));
            out.push(TargetResult {
                scenario: "S5",
                text: format!("{}: rows/s not below {vs}'s beyond noise", n_workers(w)),
                measured: format!(
                    "median ratio {pm:.3}× [{plo:.3}–{phi:.3}] ({:.2} vs {:.2} M rows/s); chunkpool's best {:.2} vs {vs}'s worst {:.2}",
                    cm / 1e6,
                    om / 1e6,
                    best / 1e6,
                    worst / 1e6
                ),
                met: Some(best >= worst),
                valid: timing_valid,
                borderline: best >= worst && (pm < 1.0 || cm < om),
            });
        }
        let m = runs("malloc", w);
        let m_rss: Vec<f64> = m.iter().filter_map(|r| r.peak_rss_bytes()).collect();
        if m_rss.is_empty() {
            continue;
        }
        let cp_rss: Vec<(f64, f64)> = cp
            .iter()
            .filter_map(|r| Some((r.peak_rss_bytes()?, r.retained_bytes_max? as f64)))
            .collect();
        let mib = |b: f64| b / (1024.0 * 1024.0);
        let (mm, mlo, mhi) = stats(&m_rss);
        let text = format!("{}: peak RSS ≤ malloc's + retained_bytes", n_workers(w));
        if cp_rss.is_empty() {
            out.push(TargetResult {
                scenario: "S5",
                text,
                measured: "chunkpool's peak RSS or retained bytes not reported".into(),
                met: None,
                valid: true,
                borderline: false,
            });
            continue;
        }
        let rss: Vec<f64> = cp_rss.iter().map(|p| p.0).collect();
        let kept: Vec<f64> = cp_rss.iter().map(|p| p.1).collect();
        let less: Vec<f64> = cp_rss.iter().map(|p| p.0 - p.1).collect();
        let (lm, llo, lhi) = stats(&less);
        out.push(TargetResult {
            scenario: "S5",
            text,
            measured: format!(
                "{:.1} MiB less {:.1} MiB retained = {:.1} MiB [{:.1}–{:.1}] vs malloc's {:.1} MiB [{:.1}–{:.1}]",
                mib(median(&rss)),
                mib(median(&kept)),
                mib(lm),
                mib(llo),
                mib(lhi),
                mib(mm),
                mib(mlo),
                mib(mhi)
            ),
            met: Some(lm <= mm),
            valid: true,
            borderline: llo <= mhi && lhi > mlo,
        });
    }
    out
}

/// "1 worker", "2 workers".
fn n_workers(w: usize) -> String {
    format!("{w} worker{}", if w == 1 { "" } else { "s" })
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
