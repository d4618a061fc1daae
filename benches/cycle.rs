//! Criterion benches of PERF.md's scenarios, every contender in each group.
//!
//! * `cycle/1-thread`, `cycle/2-threads`, `cycle/16-threads` (S1–S3): one F8
//!   chunk per cycle, threads sharing one pool; throughput counts cycles of
//!   all threads.
//! * `mixed-schemas` (S4): three layouts held at once per iteration.
//! * `pipeline` (S5): one statement of the executor pipeline per iteration,
//!   2 workers; throughput counts scanned rows.
//!
//! Multi-thread timing uses `iter_custom`: threads are spawned and warmed up
//! before a barrier, and only the parallel part is timed.
//! `cargo bench --bench cycle -- --quick` for a fast pass.
//! `mimalloc` lives in `benches/cycle_mimalloc.rs` (global allocator).
//! For the side-by-side table use `cargo run --release --example compare`.
#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

mod common;

use common::contenders::{AnyContender, Kind};
use common::pipeline::{self, Opts, Table};
use common::shapes::{MIXED, SINGLE};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;

fn cycles(c: &mut Criterion) {
    for (group, threads) in [
        ("cycle/1-thread", 1),
        ("cycle/2-threads", 2),
        ("cycle/16-threads", 16),
    ] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(threads as u64));
        for kind in Kind::ALL {
            let contender = AnyContender::new(kind, SINGLE);
            contender
                .verify(SINGLE)
                .expect("contender hands out wrong chunks");
            g.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
                b.iter_custom(|iters| contender.run(threads, iters).wall)
            });
        }
        g.finish();
    }
}

fn mixed(c: &mut Criterion) {
    let mut g = c.benchmark_group("mixed-schemas");
    // Three chunks (one per operator layout) per iteration.
    g.throughput(Throughput::Elements(MIXED.len() as u64));
    for kind in Kind::ALL {
        let contender = AnyContender::new(kind, MIXED);
        contender
            .verify(MIXED)
            .expect("contender hands out wrong chunks");
        g.bench_function(BenchmarkId::from_parameter(kind.name()), |b| {
            b.iter_custom(|iters| contender.run(1, iters).wall)
        });
    }
    g.finish();
}

fn pipelines(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline");
    let rows = 64 * 1024;
    let table = Table::generate(rows);
    g.throughput(Throughput::Elements(rows as u64));
    g.sample_size(10);
    for name in pipeline::CONTENDERS {
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter_custom(|iters| {
                let opts = Opts {
                    workers: 2,
                    rows,
                    statements: iters as usize,
                    fail_statement: None,
                };
                pipeline::run_named(name, &table, &opts).unwrap().wall
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = cycles, mixed, pipelines
}
criterion_main!(benches);
