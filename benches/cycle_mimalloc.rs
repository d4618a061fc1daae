//! Contender `mimalloc`: no pool, with mimalloc as the global allocator
//! (PERF.md). Same cycle, groups and harness as `benches/cycle.rs`; only the
//! global allocator differs, which needs a binary of its own.
#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod common;

use common::contenders::{AnyContender, Kind};
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
        let contender = AnyContender::new(Kind::Malloc, SINGLE);
        contender.verify(SINGLE).expect("wrong chunks");
        g.bench_function(BenchmarkId::from_parameter("mimalloc"), |b| {
            b.iter_custom(|iters| contender.run(threads, iters).wall)
        });
        g.finish();
    }
    let mut g = c.benchmark_group("mixed-schemas");
    g.throughput(Throughput::Elements(MIXED.len() as u64));
    let contender = AnyContender::new(Kind::Malloc, MIXED);
    g.bench_function(BenchmarkId::from_parameter("mimalloc"), |b| {
        b.iter_custom(|iters| contender.run(1, iters).wall)
    });
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
    targets = cycles
}
criterion_main!(benches);
