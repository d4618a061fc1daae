//! S9's tables (report.md and the console) and its report.json section: the
//! time matrix with the targets per cell, the resources (allocator calls,
//! page faults, peak RSS, retained bytes) and the generated "When to use
//! it" table, from the rows scan; the bulk scan's table, on which the make
//! target is judged, and its resources.

use crate::engine::{
    floor_list, verdicts, Cell, S9Results, Shape, BULK_CONTENDERS, CONTENDERS, MAX_MAKE_VS_FLOOR,
    MIN_FROM_CACHE, MIN_VS_EXACT, MIN_VS_NOHINT, NO_POOL,
};
use crate::table::{mark, ratio_cell, render_md};
use chunkpool_bench::alloc::Allocator;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// A ratio at or above this (contender's time / chunkpool's) is a win for
/// the pool, at or below its inverse a loss; between, a tie.
const WIN: f64 = 1.05;
const LOSE: f64 = 0.95;

pub(crate) fn shape_name(s: Shape) -> String {
    format!("{}×{} B×{}c", s.rows, s.width, s.columns)
}

pub(crate) fn cell_name(c: Cell) -> String {
    format!("{} {}T {}", shape_name(c.1), c.2, c.0.name())
}

pub(crate) const S9_NOTE: &str = "One batch: scan a slice of a pre-generated table \
(id i64, price f64, qty i32, name text with 1 in 8 NULL; 16 columns: 12 more, one of them text) into a batch, \
filter `qty <= 25` (about half the rows), project away `id`, export to an arrow RecordBatch, \
`sum` of the kept prices, drop. chunkpool / unpooled: a LockFreeAllocator (default PoolConfig) / Chunk::new chunk \
filled with extend_from_slice and append_option_str, a selection built with select_where, the rows kept compacted in place (compact), \
exported with into_record_batch_as into a schema made once; arrow-builders-exact / -nohint: arrow's builders \
sized exactly / made with new(), then lt_eq + filter_record_batch; copy-floor: a memcpy of the slice into buffers \
the thread reuses, wrapped without a copy, then the same arrow filter. Every batch's (rows kept, sum) is checked. \
Each contender runs under each allocator in a process of its own (one per repetition). \
ns/batch is wall time per batch per thread; × = contender's time / chunkpool's in the same repetition \
(> 1: chunkpool faster), median [min–max]; make = fill + export, chunkpool's over copy-floor's; \
targets: E ≥ 1.0× exact builders, N ≥ 1.1× no-hint builders, C 100% from cache; M make ≤ 1.3× copy-floor is \
judged on the bulk scan (its own table below).";

pub(crate) const S9_BULK_NOTE: &str = "The same batch, its scan filled column at a time from the slice's \
arrow-layout buffers (the offsets from 0, the text bytes and the validity bitmap that copy-floor copies): \
the fixed columns from slices, the text from the slice's text as a LargeStringArray over copies of those \
buffers, made once per process, the same array for every contender (measured faster for the builders than \
LargeStringArray::try_new over fresh copies each batch); chunkpool / unpooled: extend_from_slice and \
Column::extend_from_array of that array; arrow-builders-exact: append_slice into builders sized exactly and \
LargeStringBuilder::append_array (sized exactly) of that array; neither checks again what arrow checked when \
the array was made; copy-floor: unchanged. Filter, projection, export, \
kernel and checks as in the rows scan. One thread; arrow-builders-nohint is not run (with one append per \
column a builder made with new() reserves exactly that, so it is the exact builders). make = fill + export \
(ns per batch, thread time); the M target, make ≤ 1.3× copy-floor's, is judged here.";

/// The time matrix: one row per (shape, threads, allocator).
pub(crate) fn s9_time_rows(r: &S9Results) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "shape",
        "threads",
        "allocator",
        "chunkpool ns/batch",
        "exact ×",
        "no-hint ×",
        "unpooled ×",
        "copy-floor ×",
        "make ÷ copy-floor",
        "make share",
        "from cache",
        "E N C",
    ];
    let rows = r
        .cells()
        .into_iter()
        .map(|c| {
            let v = verdicts(r, c);
            let cp = r.med(c, "chunkpool", |p| p.ns);
            let share = r.med(c, "chunkpool", |p| p.make_ns / p.ns);
            let valid = r.cell_valid(c.2);
            vec![
                shape_name(c.1),
                format!("{}{}", c.2, if valid { "" } else { " INVALID" }),
                c.0.name().to_string(),
                cp.map_or("-".into(), |x| format!("{x:.0}")),
                ratio_cell(r.ratio(c, "arrow-builders-exact")),
                ratio_cell(r.ratio(c, "arrow-builders-nohint")),
                ratio_cell(r.ratio(c, "unpooled")),
                ratio_cell(r.ratio(c, "copy-floor")),
                ratio_cell(r.make_ratio(c)),
                share.map_or("-".into(), |x| format!("{:.0}%", x * 100.0)),
                r.lowest_from_cache(c)
                    .map_or("-".into(), |x| format!("{:.1}%", x * 100.0)),
                format!("{} {} {}", mark(v.exact), mark(v.nohint), mark(v.cache)),
            ]
        })
        .collect();
    (head, rows)
}

/// The bulk scan's table: one row per (shape, allocator), one thread.
pub(crate) fn s9_bulk_rows(b: &S9Results) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "shape",
        "allocator",
        "chunkpool ns/batch",
        "exact ×",
        "unpooled ×",
        "copy-floor ×",
        "chunkpool make ns",
        "copy-floor make ns",
        "make ÷ copy-floor",
        "exact make ÷ copy-floor",
        "from cache",
        "E M C",
    ];
    let rows = b
        .cells()
        .into_iter()
        .map(|c| {
            let v = verdicts(b, c);
            let ns = |who, f: fn(&crate::engine::Point) -> f64| {
                b.med(c, who, f).map_or("-".into(), |x| format!("{x:.0}"))
            };
            vec![
                shape_name(c.1),
                c.0.name().to_string(),
                ns("chunkpool", |p| p.ns),
                ratio_cell(b.ratio(c, "arrow-builders-exact")),
                ratio_cell(b.ratio(c, "unpooled")),
                ratio_cell(b.ratio(c, "copy-floor")),
                ns("chunkpool", |p| p.make_ns),
                ns("copy-floor", |p| p.make_ns),
                ratio_cell(b.make_ratio(c)),
                ratio_cell(b.ratio_by(c, "arrow-builders-exact", "copy-floor", |p| p.make_ns)),
                b.lowest_from_cache(c)
                    .map_or("-".into(), |x| format!("{:.1}%", x * 100.0)),
                format!("{} {} {}", mark(v.exact), mark(v.make), mark(v.cache)),
            ]
        })
        .collect();
    (head, rows)
}

/// The resources: one row per (shape, allocator), each cell the
/// contenders `who` in order.
pub(crate) fn s9_resource_rows(
    r: &S9Results,
    who: &[&'static str],
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "shape",
        "allocator",
        "allocator calls / batch",
        "minor faults / batch (1 thread)",
        "peak RSS above the table, MiB",
        "chunkpool retained MiB",
    ];
    let mut keys: Vec<(Shape, Allocator)> = r.procs.keys().map(|&(a, s, _)| (s, a)).collect();
    keys.sort();
    keys.dedup();
    let rows = keys
        .into_iter()
        .map(|(s, a)| {
            let each = |f: &dyn Fn(&'static str) -> Option<f64>, prec: usize| {
                who.iter()
                    .map(|&w| f(w).map_or("-".into(), |x| format!("{x:.prec$}")))
                    .collect::<Vec<_>>()
                    .join(" / ")
            };
            let calls = each(&|w| r.proc_med(a, s, w, |p| p.allocs + p.frees), 1);
            let faults = each(&|w| r.med((a, s, 1), w, |p| p.faults), 2);
            let rss = each(&|w| r.rss_mib(a, s, w), 1);
            let retained = (r.retained_mib(a, s)).map_or("-".into(), |x| format!("{x:.2}"));
            vec![
                shape_name(s),
                a.name().to_string(),
                calls,
                faults,
                rss,
                retained,
            ]
        })
        .collect();
    (head, rows)
}

/// Tally of verdicts over cells: (wins, ties, losses, lowest, highest).
#[derive(Default)]
struct Tally(usize, usize, usize, f64, f64);

impl Tally {
    fn add(&mut self, x: f64) {
        if self.0 + self.1 + self.2 == 0 {
            (self.3, self.4) = (x, x);
        }
        match x {
            x if x >= WIN => self.0 += 1,
            x if x <= LOSE => self.2 += 1,
            _ => self.1 += 1,
        }
        self.3 = self.3.min(x);
        self.4 = self.4.max(x);
    }

    fn show(&self) -> String {
        if self.0 + self.1 + self.2 == 0 {
            return "-".into();
        }
        let word = if self.2 == 0 && self.0 > 0 && self.1 == 0 {
            "wins"
        } else if self.0 == 0 && self.1 == 0 {
            "loses"
        } else if self.0 == 0 && self.2 == 0 {
            "ties"
        } else {
            "mixed"
        };
        format!(
            "{word}: {}W {}T {}L, × {:.2}–{:.2}",
            self.0, self.1, self.2, self.3, self.4
        )
    }
}

/// "When to use it", generated: per (rows, text width), over every
/// allocator, column count and valid thread count, how chunkpool's time
/// compares (medians of the per-repetition ratios; ≥ 1.05 a win for the
/// pool, ≤ 0.95 a loss, a tie between), and against the best no-pool
/// contender (the fastest median of the no-pool contenders under any
/// allocator, over chunkpool's fastest median under any allocator).
pub(crate) fn s9_when_rows(r: &S9Results) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let head = vec![
        "rows × text",
        "vs exact builders",
        "vs no-hint builders",
        "vs unpooled Chunk",
        "vs best no-pool (any allocator)",
        "chunkpool from cache",
    ];
    let groups: BTreeSet<(usize, usize)> =
        r.cells().iter().map(|c| (c.1.rows, c.1.width)).collect();
    let rows = groups
        .into_iter()
        .map(|(rows, width)| {
            let cells: Vec<Cell> = r
                .cells()
                .into_iter()
                .filter(|c| c.1.rows == rows && c.1.width == width && r.cell_valid(c.2))
                .collect();
            let mut t = [
                Tally::default(),
                Tally::default(),
                Tally::default(),
                Tally::default(),
            ];
            let mut cache: Option<f64> = None;
            for &c in &cells {
                for (i, who) in NO_POOL.iter().enumerate() {
                    if let Some((m, _, _)) = r.ratio(c, who) {
                        t[i].add(m);
                    }
                }
                if let Some(x) = r.lowest_from_cache(c) {
                    cache = Some(cache.map_or(x, |y: f64| y.min(x)));
                }
            }
            // Best no-pool against the pool's best, per (shape, threads).
            let keys: BTreeSet<(Shape, usize)> = cells.iter().map(|c| (c.1, c.2)).collect();
            for (s, th) in keys {
                let best = |whos: &[&'static str]| {
                    Allocator::ALL
                        .iter()
                        .flat_map(|&a| {
                            whos.iter()
                                .filter_map(move |&w| r.med((a, s, th), w, |p| p.ns))
                        })
                        .reduce(f64::min)
                };
                if let (Some(np), Some(cp)) = (best(&NO_POOL), best(&["chunkpool"])) {
                    t[3].add(np / cp);
                }
            }
            vec![
                format!("{rows} × {width} B"),
                t[0].show(),
                t[1].show(),
                t[2].show(),
                t[3].show(),
                cache.map_or("-".into(), |x| format!("lowest {:.1}%", x * 100.0)),
            ]
        })
        .collect();
    (head, rows)
}

/// S9's section of report.md (also printed on the console).
pub(crate) fn s9_markdown(r: &S9Results, quick: bool) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## S9: engine batches\n\n{S9_NOTE}\n");
    let _ = writeln!(
        md,
        "{} repetition(s); floor check per repetition (floor's 2-thread / 1-thread throughput, ≥ 1.5 for \
         multi-thread rows to count): {}.{}\n",
        r.reps,
        floor_list(&r.floor),
        if quick {
            " QUICK run: a subset of the shapes, short samples; indicative only."
        } else {
            ""
        }
    );
    if !r.points.is_empty() {
        rows_markdown(&mut md, r);
    }
    if let Some(b) = &r.bulk {
        bulk_markdown(&mut md, b);
    }
    for e in r.errors.iter().chain(r.bulk.iter().flat_map(|b| &b.errors)) {
        let _ = writeln!(md, "\nS9 not measured: {e}");
    }
    md
}

/// The rows scan's tables.
fn rows_markdown(md: &mut String, r: &S9Results) {
    let (h, rows) = s9_when_rows(r);
    let _ = writeln!(
        md,
        "### When to use it (generated from this run)\n\nPer batch size and text width, over every allocator, \
         column count and valid thread count: the median ratio (contender's time / chunkpool's) at each cell, \
         counted as a win for chunkpool (≥ {WIN}), a tie or a loss (≤ {LOSE}), with the range of those medians. \
         Besides speed the pool offers bounded, accounted memory (byte budget, `Stats`) and TiDB's allocator \
         semantics; where it shows no gain below, that is the honest answer at that shape.\n"
    );
    md.push_str(&render_md(&h, &rows));
    let (h, rows) = s9_time_rows(r);
    let _ = writeln!(
        md,
        "\n### Time per batch, targets per shape and allocator\n\nE: exact ≥ {MIN_VS_EXACT}, N: no-hint ≥ \
         {MIN_VS_NOHINT}, C: from cache ≥ {:.1}% (lowest sample). INVALID: no repetition passed the floor \
         check. make ÷ copy-floor is reported as measured, with no target here: this scan appends text a row \
         at a time for every contender but copy-floor, which copies whole buffers, so the make target \
         (M, ≤ {MAX_MAKE_VS_FLOOR}×) is judged on the bulk scan below, where every contender fills from \
         the same buffers copy-floor copies.\n",
        MIN_FROM_CACHE * 100.0
    );
    md.push_str(&render_md(&h, &rows));
    let (h, rows) = s9_resource_rows(r, &CONTENDERS);
    let _ = writeln!(
        md,
        "\n### Resources per batch\n\nEach cell lists {} (medians over repetitions). Allocator calls: \
         alloc + realloc + free through the global allocator in an untimed one-thread pass. Minor faults: \
         `getrusage` over the timed one-thread sample. Peak RSS: the process's peak resident set since the table \
         was made (`VmHWM`, reset there), less its resident set then. Retained: chunkpool's `Stats::retained_bytes` after a sample (most over \
         thread counts).\n",
        CONTENDERS.join(" / ")
    );
    md.push_str(&render_md(&h, &rows));
}

/// The bulk scan's tables.
fn bulk_markdown(md: &mut String, b: &S9Results) {
    let (h, rows) = s9_bulk_rows(b);
    let _ = writeln!(
        md,
        "\n### S9, bulk scan\n\n{S9_BULK_NOTE} × = contender's time / chunkpool's (> 1: chunkpool faster), \
         median [min–max] over the repetitions. E: exact ≥ {MIN_VS_EXACT}, M: make ≤ {MAX_MAKE_VS_FLOOR}× \
         copy-floor, C: from cache ≥ {:.1}%.\n",
        MIN_FROM_CACHE * 100.0
    );
    md.push_str(&render_md(&h, &rows));
    let (h, rows) = s9_resource_rows(b, &BULK_CONTENDERS);
    let _ = writeln!(
        md,
        "\n### Resources per batch, bulk scan\n\nEach cell lists {}, measured as in the rows scan's table.\n",
        BULK_CONTENDERS.join(" / ")
    );
    md.push_str(&render_md(&h, &rows));
}

/// S9's section of report.json: the rows scan's figures, and the bulk
/// scan's as `bulk_scan` (the same fields).
pub(crate) fn s9_json(r: &S9Results) -> Value {
    if r.is_empty() {
        return Value::Null;
    }
    let mut v = scan_json(r, &CONTENDERS);
    v["scan"] = json!("rows");
    v["bulk_scan"] = r.bulk.as_ref().map_or(Value::Null, |b| {
        let mut v = scan_json(b, &BULK_CONTENDERS);
        v["scan"] = json!("bulk");
        v
    });
    v
}

/// One scan's figures.
fn scan_json(r: &S9Results, who: &[&'static str]) -> Value {
    let rj = |x: Option<(f64, f64, f64)>| {
        x.map(|(m, lo, hi)| json!({"median": m, "min": lo, "max": hi}))
    };
    let cells: Vec<Value> = r
        .cells()
        .into_iter()
        .map(|c| {
            let v = verdicts(r, c);
            let per: serde_json::Map<String, Value> = who
                .iter()
                .map(|&w| {
                    let pts: Vec<Value> = (0..r.reps)
                        .map(|rep| {
                            r.point(c, w, rep).map_or(Value::Null, |p| {
                                json!({"ns_per_batch": p.ns, "make_ns_per_batch": p.make_ns,
                                       "faults_per_batch": p.faults, "rows_per_sec": p.rows_per_sec,
                                       "from_cache": p.from_cache, "retained_bytes": p.retained})
                            })
                        })
                        .collect();
                    (w.to_string(), json!({"per_rep": pts, "ratio_to_chunkpool": rj(r.ratio(c, w))}))
                })
                .collect();
            json!({
                "allocator": c.0.name(), "rows": c.1.rows, "width": c.1.width, "columns": c.1.columns,
                "threads": c.2, "valid": r.cell_valid(c.2),
                "make_ratio_to_copy_floor": rj(r.make_ratio(c)),
                "from_cache_min": r.lowest_from_cache(c),
                "targets": {"exact": v.exact, "nohint": v.nohint, "make": v.make, "from_cache": v.cache},
                "contenders": per,
            })
        })
        .collect();
    let procs: Vec<Value> = r
        .procs
        .iter()
        .map(|((a, s, w), ps)| {
            json!({"allocator": a.name(), "rows": s.rows, "width": s.width, "columns": s.columns,
                   "contender": w,
                   "per_rep": ps.iter().map(|p| json!({"allocs_per_batch": p.allocs, "frees_per_batch": p.frees,
                        "peak_rss_kb": p.peak_rss_kb, "base_rss_kb": p.base_rss_kb, "batch_bytes": p.batch_bytes})).collect::<Vec<_>>()})
        })
        .collect();
    json!({"reps": r.reps, "floor_scaling_per_rep": r.floor, "cells": cells, "processes": procs, "errors": r.errors})
}
