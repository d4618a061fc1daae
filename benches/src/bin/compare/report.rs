//! The report directory of a run: `report.json`, `report.md` and the
//! `throughput.svg` plot.

use crate::analysis::{multi_thread, row_target, Analysis};
use crate::args::Args;
use crate::children::S6_BUDGET;
use crate::handoff::{s8_json, s8_rows, S8_NOTE};
use crate::machine::{fmt_load, load_from_json};
use crate::scenarios::{Measured, Results, SCENARIOS};
use crate::strings::{has_s5_widths, s5_width_rows, s7_json, s7_rows, S5_WIDTHS_NOTE, S7_NOTE};
use crate::table::{
    floor_line, main_table, order_of, render_md, rows, s5_rows, s6_rows, targets_lines,
};
use chunkpool_bench::contenders::Kind;
use chunkpool_bench::harness::{median, min_max};
use chunkpool_bench::pipeline::Report as PipeReport;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[allow(clippy::too_many_arguments)]
pub(crate) fn write_report(
    args: &Args,
    meta_before: &Value,
    meta_after: &Value,
    elapsed: Duration,
    m: &Measured,
    a: &Analysis,
) -> std::io::Result<PathBuf> {
    let (r, s5, s6, s7, notes) = (&m.cycles, &m.s5[..], &m.s6[..], &m.s7, &m.notes[..]);
    std::fs::create_dir_all(&args.out)?;
    // JSON
    let series: Vec<Value> = rows(r)
        .into_iter()
        .map(|(id, who, s)| {
            let (lo, hi) = min_max(&s.ns);
            let ratio = a.ratios.get(&(id.to_string(), who.to_string()));
            json!({
                "scenario": id,
                "contender": who,
                "ns_per_cycle": s.ns,
                "median_ns": median(&s.ns),
                "min_ns": lo,
                "max_ns": hi,
                "throughput_per_sec": s.throughput,
                "median_throughput": median(&s.throughput),
                "faults_per_cycle": median(&s.faults),
                "reuse_rate": if s.reuse.is_empty() { Value::Null } else { json!(median(&s.reuse)) },
                "ratio_to_chunkpool": ratio.map(|r| json!({"median": r.0, "min": r.1, "max": r.2})),
                "target_min_ratio": row_target(id, who).map(|t| t.0),
                "valid": !multi_thread(id) || a.floor_ok,
            })
        })
        .collect();
    let targets: Vec<Value> = a
        .targets
        .iter()
        .map(|t| json!({"scenario": t.scenario, "target": t.text, "measured": t.measured, "met": t.met, "valid": t.valid, "borderline": t.borderline}))
        .collect();
    let report = json!({
        "meta": meta_before,
        "after": meta_after,
        "elapsed_s": elapsed.as_secs_f64(),
        "floor_check": {"scaling": a.floor_scaling, "required": 1.5, "pass": a.floor_ok},
        "cycles": series,
        "pipeline": s5.iter().map(PipeReport::to_json).collect::<Vec<_>>(),
        "churn": s6,
        "strings": s7_json(s7),
        "arrow_handoff": s8_json(&m.s8),
        "engine_batches": crate::engine_report::s9_json(&m.s9),
        "exchange": crate::exchange::s10_json(&m.s10),
        "large_columns": crate::large::s11_json(&m.s11),
        "datafusion": crate::datafusion::df_json(&m.df),
        "targets": targets,
        "notes": notes,
    });
    std::fs::write(
        args.out.join("report.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;

    // SVG
    let svg_note = match plot(&args.out.join("throughput.svg"), r, a) {
        Ok(()) => String::new(),
        Err(e) => format!("\n(plot failed: {e})\n"),
    };

    // Markdown
    let mut md = String::new();
    let _ = writeln!(md, "# chunkpool: side-by-side comparison\n");
    let _ = writeln!(
        md,
        "- date: {}",
        meta_before["date_utc"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        md,
        "- command: `{}`",
        meta_before["command"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        md,
        "- machine: {} CPUs, {}, Linux {}",
        meta_before["cpus"],
        meta_before["cpu_model"].as_str().unwrap_or("?"),
        meta_before["kernel"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        md,
        "- source: {}",
        meta_before["git_rev"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        md,
        "- load average before: {}; after: {}; CPU taken by other processes just before: {}",
        fmt_load(load_from_json(&meta_before["load_before"])),
        fmt_load(load_from_json(&meta_after["load_after"])),
        meta_before["busy_others_before"]
            .as_f64()
            .map_or("?".into(), |b| format!("{:.0}%", b * 100.0))
    );
    let _ = writeln!(
        md,
        "- {} repetitions of ~{} ms per sample, contender order rotated; run took {:.1} s{}",
        args.reps,
        args.sample.as_millis(),
        elapsed.as_secs_f64(),
        if args.quick {
            " (QUICK: indicative only)"
        } else {
            ""
        }
    );
    let _ = writeln!(md, "- {}\n", floor_line(a));
    let (head, trows) = main_table(r, a);
    let trows: Vec<Vec<String>> = trows.into_iter().map(|r| r.cells).collect();
    if !trows.is_empty() {
        let _ = writeln!(
        md,
        "## S1–S4: chunk cycles\n\nOne cycle: get an F8 chunk (8 columns × 1024 rows: 2 variable-width, one 4-byte, \
         one 40-byte, four 8-byte), write and read back the first and the last element of every buffer (data, offsets, null bitmap), give it back. \
         ns/cycle is wall time per cycle per thread (S4: per chunk, three layouts live at once). \
         × chunkpool is the contender's time over chunkpool's in the same repetition (> 1: chunkpool is faster); \
         the target column is the minimum `benches/README.md` asks of it.\n"
    );
        md.push_str(&render_md(&head, &trows));
        let _ = writeln!(
            md,
            "\n![throughput against threads](throughput.svg){svg_note}\n"
        );
    }
    if !s5.is_empty() {
        let _ = writeln!(
            md,
            "## S5: executor pipeline\n\nscan → filter → project over a generated table, per statement \
             `set_alloc` / workers allocate through the session / `clear_alloc(&mut a, err)` / `reset`; one \
             statement fails half-way and abandons its allocator. Each contender runs in its own process \
             (peak RSS = its VmHWM). Alloc share = worker time inside alloc and chunk drops. \
             Retained = the most the pool held cached (`stats().retained_bytes`) at the end of any statement. \
             `floor` is not a contender of `benches/README.md`: its workers reuse chunks they own, so it is the ceiling \
             that no allocator can beat here.\n"
        );
        let (h, rws) = s5_rows(s5);
        md.push_str(&render_md(&h, &rws));
        md.push('\n');
    }
    if has_s5_widths(s5) {
        let _ = writeln!(md, "### S5 string widths\n\n{}\n", S5_WIDTHS_NOTE);
        let (h, rws) = s5_width_rows(s5);
        md.push_str(&render_md(&h, &rws));
        md.push('\n');
    }
    if !s6.is_empty() {
        let _ = writeln!(
            md,
            "## S6: churn under a byte budget ({} MiB)\n",
            S6_BUDGET >> 20
        );
        let (h, rws) = s6_rows(s6);
        md.push_str(&render_md(&h, &rws));
        md.push('\n');
    }
    if !s7.is_empty() {
        let _ = writeln!(md, "## S7: string widths\n\n{}\n", S7_NOTE);
        let (h, rws) = s7_rows(s7);
        md.push_str(&render_md(&h, &rws));
        md.push('\n');
    }
    if !m.s8.is_empty() {
        let _ = writeln!(md, "## S8: Arrow hand-off\n\n{}\n", S8_NOTE);
        let (h, rws) = s8_rows(&m.s8);
        md.push_str(&render_md(&h, &rws));
        md.push('\n');
    }
    if !m.s9.is_empty() {
        md.push_str(&crate::engine_report::s9_markdown(&m.s9, args.quick));
        match crate::engine_plot::plot_s9(&args.out.join("engine_batches.svg"), &m.s9) {
            Ok(true) => md.push_str(
                "\n![S9, one thread: exact builders' time over chunkpool's per shape, \
                 per allocator and scan](engine_batches.svg)\n",
            ),
            Ok(false) => {}
            Err(e) => {
                let _ = writeln!(md, "\n(S9 plot failed: {e})");
            }
        }
        md.push('\n');
    }
    if !m.s10.is_empty() {
        md.push_str(&crate::exchange::s10_markdown(&m.s10, args.quick));
        md.push('\n');
    }
    if !m.s11.is_empty() {
        md.push_str(&crate::large::s11_markdown(&m.s11, args.quick));
        md.push('\n');
    }
    let df = crate::datafusion::df_markdown(&m.df, args.quick);
    if !df.is_empty() {
        md.push_str(&df);
        md.push('\n');
    }
    let _ = writeln!(md, "## Targets (benches/README.md)\n");
    md.push_str(&targets_lines(a, true));
    for n in notes {
        let _ = writeln!(md, "\nnote: {n}");
    }
    std::fs::write(args.out.join("report.md"), md)?;
    Ok(args.out.clone())
}

fn plot(path: &Path, r: &Results, a: &Analysis) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let threads_of = |id: &str| {
        SCENARIOS
            .iter()
            .find(|s| s.id == id && s.id != "S4")
            .map(|s| s.threads)
    };
    let mut lines: BTreeMap<usize, (String, Vec<(f64, f64)>)> = BTreeMap::new();
    for ((id, who), s) in r {
        if let Some(t) = threads_of(id) {
            lines
                .entry(
                    order_of(who) * 3
                        + usize::from(who == "mimalloc")
                        + 2 * usize::from(who == "jemalloc"),
                )
                .or_insert_with(|| (who.clone(), Vec::new()))
                .1
                .push(((t as f64).log2(), median(&s.throughput) / 1e6));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let (mut lo, mut hi) = (f64::INFINITY, 0f64);
    for (_, pts) in lines.values_mut() {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        for p in pts.iter() {
            lo = lo.min(p.1);
            hi = hi.max(p.1);
        }
    }
    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let caption = if a.floor_ok {
        "chunk cycles per second, all threads (F8 chunk; higher is better)".to_string()
    } else {
        "chunk cycles per second (floor check FAILED: 2- and 16-thread points invalid)".to_string()
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.25f64..4.25f64, ((lo / 1.6)..(hi * 8.0)).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("threads sharing one pool (2 cores)")
        .y_desc("million cycles / s")
        .x_labels(5)
        .x_label_formatter(&|x| format!("{}", 2f64.powf(x.round()) as u32))
        .light_line_style(WHITE)
        .y_label_formatter(&|y| {
            if *y >= 1.0 {
                format!("{y:.0}")
            } else {
                format!("{y:.2}")
            }
        })
        .draw()?;
    let palette = [
        RGBColor(200, 30, 30),   // chunkpool
        RGBColor(120, 60, 160),  // tidb-mutex
        RGBColor(30, 100, 200),  // mutex-whole
        RGBColor(0, 150, 150),   // segqueue-whole
        RGBColor(230, 140, 0),   // lockfree-object-pool
        RGBColor(150, 110, 60),  // object-pool
        RGBColor(90, 90, 90),    // malloc
        RGBColor(20, 160, 60),   // floor
        RGBColor(160, 160, 160), // mimalloc
        RGBColor(60, 60, 20),    // jemalloc
    ];
    for (i, (name, pts)) in lines.values().enumerate() {
        let idx = match name.as_str() {
            "jemalloc" => 9,
            _ => {
                Kind::from_name(name).map_or(8, |k| Kind::ALL.iter().position(|&x| x == k).unwrap())
            }
        };
        let color = palette[idx.min(9)];
        let width = if name == "chunkpool" { 4 } else { 2 };
        let _ = i;
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(width)))?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(width))
            });
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
