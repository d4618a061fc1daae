//! S9's plot, `engine_batches.svg`: the matrix's allocator axis at a
//! glance. Per shape (one thread), arrow's exact builders' time over
//! chunkpool's, one line per allocator and scan (rows: text a row at a
//! time; bulk: every column at a time). Above 1 the pool is faster; the
//! line at 1 is the target E.

use crate::engine::{S9Results, Shape};
use chunkpool_bench::alloc::Allocator;
use std::path::Path;

/// The shapes measured at one thread by either scan, in table order.
fn shapes(r: &S9Results) -> Vec<Shape> {
    let mut v: Vec<Shape> = std::iter::once(r)
        .chain(r.bulk.as_deref())
        .flat_map(|s| s.cells())
        .filter(|&(_, _, t)| t == 1)
        .map(|(_, s, _)| s)
        .collect();
    v.sort_by_key(|s| (s.rows, s.width, s.columns));
    v.dedup_by_key(|s| (s.rows, s.width, s.columns));
    v
}

/// One line: its label and its points (shape index, median ratio).
type Line = (String, Vec<(f64, f64)>);

/// The exact builders' time over chunkpool's at each shape, per scan and
/// allocator that measured it.
fn lines(r: &S9Results, shapes: &[Shape]) -> Vec<(usize, Line)> {
    let scans = [("rows", Some(r)), ("bulk", r.bulk.as_deref())];
    let mut out = Vec::new();
    for (k, (scan, res)) in scans.into_iter().enumerate() {
        let Some(res) = res else { continue };
        for (j, alloc) in Allocator::ALL.into_iter().enumerate() {
            let pts: Vec<(f64, f64)> = shapes
                .iter()
                .enumerate()
                .filter_map(|(i, &s)| {
                    let (m, _, _) = res.ratio((alloc, s, 1), "arrow-builders-exact")?;
                    Some((i as f64, m))
                })
                .collect();
            if !pts.is_empty() {
                out.push((k * 3 + j, (format!("{scan} scan, {}", alloc.name()), pts)));
            }
        }
    }
    out
}

/// Writes the plot to `path`; nothing when S9 measured no one-thread cell.
pub(crate) fn plot_s9(path: &Path, r: &S9Results) -> Result<bool, Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let shapes = shapes(r);
    let lines = lines(r, &shapes);
    if lines.is_empty() {
        return Ok(false);
    }
    let (mut lo, mut hi) = (1f64, 1f64);
    for (_, (_, pts)) in &lines {
        for &(_, y) in pts {
            lo = lo.min(y);
            hi = hi.max(y);
        }
    }
    let root = SVGBackend::new(path, (1200, 620)).into_drawing_area();
    root.fill(&WHITE)?;
    let n = shapes.len() as f64;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "S9, one thread: arrow's exact builders' time / chunkpool's (above 1: the pool is faster)",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(56)
        .build_cartesian_2d(-0.5f64..(n - 0.5), (lo * 0.9)..(hi * 1.1))?;
    let label = |x: &f64| {
        let i = x.round();
        match shapes.get(i as usize) {
            Some(s) if (x - i).abs() < 1e-6 => format!("{}×{}B×{}", s.rows, s.width, s.columns),
            _ => String::new(),
        }
    };
    chart
        .configure_mesh()
        .x_desc("shape: rows × text bytes a row × columns")
        .y_desc("× exact builders")
        .x_labels(shapes.len())
        .x_label_formatter(&label)
        .x_label_style(("sans-serif", 10))
        .light_line_style(WHITE)
        .draw()?;
    chart.draw_series(LineSeries::new(
        [(-0.5, 1.0), (n - 0.5, 1.0)],
        BLACK.stroke_width(1),
    ))?;
    let palette = [
        RGBColor(200, 30, 30),  // rows, glibc
        RGBColor(30, 100, 200), // rows, mimalloc
        RGBColor(20, 150, 60),  // rows, jemalloc
        RGBColor(240, 150, 150),
        RGBColor(140, 180, 240),
        RGBColor(140, 210, 150),
    ];
    for (idx, (name, pts)) in lines {
        let color = palette[idx % palette.len()];
        let bulk = idx >= 3;
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        if bulk {
            chart.draw_series(
                pts.iter()
                    .map(|&p| TriangleMarker::new(p, 4, color.filled())),
            )?;
        } else {
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()?;
    root.present()?;
    Ok(true)
}
