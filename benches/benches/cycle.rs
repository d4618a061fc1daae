//! Criterion benches of the scenarios of `benches/README.md`, every contender in each group.
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
//! `cargo bench -p chunkpool-bench --bench cycle -- --quick` for a fast pass.
//! `mimalloc` lives in `benches/benches/cycle_mimalloc.rs` (global allocator).
//! For the side-by-side table use
//! `cargo run --release -p chunkpool-bench --bin compare`.

mod groups;

use chunkpool_bench::contenders::Kind;
use chunkpool_bench::pipeline::{self, Opts, Table};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

/// Every contender of the default binary, under its name in `benches/README.md`.
fn all() -> Vec<(Kind, &'static str)> {
    Kind::ALL.iter().map(|&k| (k, k.name())).collect()
}

fn cycles(c: &mut Criterion) {
    groups::cycles(c, &all());
}

fn mixed(c: &mut Criterion) {
    groups::mixed(c, &all());
}

fn pipelines(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline");
    let rows = 64 * 1024;
    let table = Table::generate(rows, pipeline::DEFAULT_STR_BYTES);
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
                    str_bytes: pipeline::DEFAULT_STR_BYTES,
                };
                pipeline::run_named(name, &table, &opts).unwrap().wall
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = groups::config();
    targets = cycles, mixed, pipelines
}
criterion_main!(benches);
