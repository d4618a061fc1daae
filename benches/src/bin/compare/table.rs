//! The tables of a run (S1–S4, S5, S6, S7, S8, targets), rendered as plain text for
//! the terminal or as Markdown for the report.

use crate::analysis::{multi_thread, other_process, row_target, Analysis};
use crate::args::Args;
use crate::children::S6_BUDGET;
use crate::handoff::{s8_rows, S8_NOTE};
use crate::scenarios::{Measured, Results, Series, SCENARIOS};
use crate::strings::{has_s5_widths, s5_width_rows, s7_rows, S5_WIDTHS_NOTE, S7_NOTE};
use chunkpool_bench::contenders::Kind;
use chunkpool_bench::harness::{median, min_max};
use chunkpool_bench::pipeline::{self, Report as PipeReport, DEFAULT_STR_BYTES};
use serde_json::Value;
use std::fmt::Write as _;

pub(crate) fn order_of(who: &str) -> usize {
    Kind::from_name(who).map_or(Kind::ALL.len(), |k| {
        Kind::ALL.iter().position(|&x| x == k).unwrap()
    })
}

/// Rows of the main table: (scenario, contender, series), in the order of `benches/README.md`.
pub(crate) fn rows(r: &Results) -> Vec<(&str, &str, &Series)> {
    let mut v: Vec<_> = r
        .iter()
        .map(|((id, who), s)| (id.as_str(), who.as_str(), s))
        .collect();
    v.sort_by_key(|(id, who, _)| (id.to_string(), order_of(who)));
    v
}

/// (median, min, max) of per-repetition ratios, or None when there are none.
pub(crate) fn spread(per: &[f64]) -> Option<(f64, f64, f64)> {
    if per.is_empty() {
        return None;
    }
    let (lo, hi) = min_max(per);
    Some((median(per), lo, hi))
}

/// A (median, min, max) ratio as "m [lo–hi]", or "-".
pub(crate) fn ratio_cell(r: Option<(f64, f64, f64)>) -> String {
    r.map_or("-".into(), |(m, lo, hi)| {
        format!("{m:.2} [{lo:.2}–{hi:.2}]")
    })
}

/// A target's verdict: ✓, ✗, or "-" where it was not measured.
pub(crate) fn mark(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "✓",
        Some(false) => "✗",
        None => "-",
    }
}

/// `x` with `prec` decimals, or "-".
pub(crate) fn opt(x: Option<f64>, prec: usize) -> String {
    x.map_or("-".into(), |x| format!("{x:.prec$}"))
}

fn fmt_ns(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

pub(crate) struct TableRow {
    pub(crate) cells: Vec<String>,
}

pub(crate) fn main_table(r: &Results, a: &Analysis) -> (Vec<&'static str>, Vec<TableRow>) {
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
            Some(&(m, _, _)) if other_process(who) => format!("{m:.2} (ratio of medians)"),
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

pub(crate) fn render_md(head: &[&str], rows: &[Vec<String>]) -> String {
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

/// Medians of one contender's S5 runs, as the S5 tables print them.
pub(crate) struct PipeSummary {
    /// Rows per second of each run.
    pub(crate) rows: Vec<f64>,
    /// Column reuse and whole-chunk reuse of the runs that report them.
    pub(crate) reuse: Vec<f64>,
    pub(crate) whole: Vec<f64>,
    share: Vec<f64>,
    rss_mib: Vec<f64>,
}

impl PipeSummary {
    pub(crate) fn of(runs: &[&PipeReport]) -> PipeSummary {
        PipeSummary {
            rows: runs.iter().map(|r| r.rows_per_sec()).collect(),
            reuse: runs.iter().filter_map(|r| r.reuse_rate).collect(),
            whole: runs.iter().filter_map(|r| r.chunk_reuse_rate).collect(),
            share: runs.iter().map(|r| r.alloc_share()).collect(),
            rss_mib: runs
                .iter()
                .filter_map(|r| r.peak_rss_kb)
                .map(|k| k as f64 / 1024.0)
                .collect(),
        }
    }

    /// Median M rows/s.
    pub(crate) fn rows_per_sec(&self) -> String {
        format!("{:.2}", median(&self.rows) / 1e6)
    }

    /// Min–max M rows/s.
    pub(crate) fn range(&self) -> String {
        let (lo, hi) = min_max(&self.rows);
        format!("{:.2}–{:.2}", lo / 1e6, hi / 1e6)
    }

    /// Median rows/s over chunkpool's median.
    pub(crate) fn ratio_to(&self, chunkpool: &PipeSummary) -> String {
        format!("{:.3}", median(&self.rows) / median(&chunkpool.rows))
    }

    /// Median share of worker time in the allocator.
    pub(crate) fn share(&self) -> String {
        format!("{:.1}%", median(&self.share) * 100.0)
    }

    /// Median peak RSS in MiB.
    pub(crate) fn rss(&self) -> String {
        format!("{:.1}", median(&self.rss_mib))
    }
}

pub(crate) fn s5_rows(s5: &[PipeReport]) -> (Vec<&'static str>, Vec<Vec<String>>) {
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
        "retained MiB",
        "failed stmts",
        "abandoned allocators",
    ];
    let mut rows = Vec::new();
    for w in [1usize, 2] {
        let of = |who: &str| -> Vec<&PipeReport> {
            s5.iter()
                .filter(|r| {
                    r.contender == who && r.workers == w && r.str_bytes == DEFAULT_STR_BYTES
                })
                .collect()
        };
        let cp = PipeSummary::of(&of("chunkpool"));
        for name in pipeline::CONTENDERS {
            let rs = of(name);
            if rs.is_empty() {
                continue;
            }
            let sum = PipeSummary::of(&rs);
            let faults: Vec<f64> = rs.iter().map(|r| r.faults_per_morsel()).collect();
            rows.push(vec![
                w.to_string(),
                name.to_string(),
                sum.rows_per_sec(),
                sum.range(),
                sum.ratio_to(&cp),
                sum.share(),
                format!("{:.2}", median(&faults)),
                if sum.reuse.is_empty() {
                    "-".into()
                } else {
                    format!("{:.2}%", median(&sum.reuse) * 100.0)
                },
                sum.rss(),
                {
                    let kept: Vec<f64> = rs
                        .iter()
                        .filter_map(|r| r.retained_bytes_max)
                        .map(|b| b as f64 / (1024.0 * 1024.0))
                        .collect();
                    if kept.is_empty() {
                        "-".into()
                    } else {
                        format!("{:.1}", median(&kept))
                    }
                },
                rs[0].failed_statements.to_string(),
                rs[0].abandoned_allocators.to_string(),
            ]);
        }
    }
    (head, rows)
}

/// `v[field]` as text, or "-" when `v[guard]` is null (the contender has
/// no such figure).
fn or_dash(v: &Value, guard: &str, field: &str) -> String {
    if v[guard].is_null() {
        "-".into()
    } else {
        v[field].to_string()
    }
}

pub(crate) fn s6_rows(s6: &[Value]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "contender",
        "cycles",
        "budget",
        "max reserved",
        "samples over budget",
        "max retained (gauge)",
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
                or_dash(v, "budget", "budget"),
                or_dash(v, "max_reserved", "max_reserved"),
                or_dash(v, "budget", "over_budget_samples"),
                or_dash(v, "max_retained", "max_retained"),
                or_dash(v, "final_retained", "final_retained"),
                or_dash(v, "drained_bytes", "drained_bytes"),
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

pub(crate) fn floor_line(a: &Analysis) -> String {
    match a.floor_scaling {
        Some(f) if a.floor_ok => format!(
            "floor scaling check: floor's 2-thread throughput is {f:.2}× its 1-thread throughput (≥ 1.5 required): PASS, multi-thread rows are valid"
        ),
        Some(f) => format!(
            "floor scaling check: floor's 2-thread throughput is {f:.2}× its 1-thread throughput (≥ 1.5 required): FAIL — \
             another process holds a core; S2/S3 rows and S5's 2-worker time targets (alloc share, rows/s) are INVALID, rerun when the machine is quiet"
        ),
        None => "floor scaling check: not run (needs floor in S1 and S2)".into(),
    }
}

pub(crate) fn targets_lines(a: &Analysis, md: bool) -> String {
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
                "  {} {:<54} {:<8} {}{}",
                t.scenario, t.text, verdict, t.measured, border
            );
        }
    }
    s
}

pub(crate) fn render_text(args: &Args, m: &Measured, a: &Analysis) -> String {
    let (r, s5, s6, s7, notes) = (&m.cycles, &m.s5[..], &m.s6[..], &m.s7, &m.notes[..]);
    let mut s = String::new();
    let (head, rows) = main_table(r, a);
    let rows: Vec<Vec<String>> = rows.into_iter().map(|r| r.cells).collect();
    if !rows.is_empty() {
        let _ = writeln!(
        s,
        "\nS1–S4: one cycle = get an F8 chunk (8 columns × 1024 rows), touch every buffer, give it back.\n\
         ns/cycle is wall time per cycle per thread; × chunkpool = contender's time / chunkpool's in the same repetition \
         (> 1: chunkpool faster). {} repetitions, contender order rotated.{}\n",
        args.reps,
        if args.quick { " QUICK run: few, short samples; indicative only." } else { "" }
    );
        s.push_str(&render_plain(&head, &rows));
        let _ = writeln!(s, "\n{}", floor_line(a));
    }
    if !s5.is_empty() {
        let _ = writeln!(
            s,
            "\nS5: executor pipeline (scan → filter → project), each contender in its own process, strings {DEFAULT_STR_BYTES} B a row"
        );
        let (h, rws) = s5_rows(s5);
        s.push_str(&render_plain(&h, &rws));
    }
    if has_s5_widths(s5) {
        let _ = writeln!(s, "\nS5 string widths: {S5_WIDTHS_NOTE}");
        let (h, rws) = s5_width_rows(s5);
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
    if !s7.is_empty() {
        let _ = writeln!(
            s,
            "\nS7 string widths: {S7_NOTE} {} repetitions, contender order rotated.{}",
            args.reps,
            if args.quick { " QUICK run." } else { "" }
        );
        let (h, rws) = s7_rows(s7);
        s.push_str(&render_plain(&h, &rws));
    }
    if !m.s8.is_empty() {
        let _ = writeln!(
            s,
            "\nS8 Arrow hand-off: {S8_NOTE} {} repetitions, contender order rotated.{}",
            args.reps,
            if args.quick { " QUICK run." } else { "" }
        );
        let (h, rws) = s8_rows(&m.s8);
        s.push_str(&render_plain(&h, &rws));
    }
    if !m.s9.is_empty() {
        s.push('\n');
        s.push_str(&crate::engine_report::s9_markdown(&m.s9, args.quick));
    }
    if !m.s10.is_empty() {
        s.push('\n');
        s.push_str(&crate::exchange::s10_markdown(&m.s10, args.quick));
    }
    if !m.s11.is_empty() {
        s.push('\n');
        s.push_str(&crate::large::s11_markdown(&m.s11, args.quick));
    }
    let df = crate::datafusion::df_markdown(&m.df, args.quick);
    if !df.is_empty() {
        s.push('\n');
        s.push_str(&df);
    }
    let _ = writeln!(s, "\nTargets (benches/README.md):");
    s.push_str(&targets_lines(a, false));
    for n in notes {
        let _ = writeln!(s, "note: {n}");
    }
    s
}
