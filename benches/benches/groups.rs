//! The criterion groups both bench binaries share (`benches/benches/cycle.rs`
//! and `benches/benches/cycle_mimalloc.rs`, which differ only in the global allocator
//! and so in which contenders they run) and their criterion settings.

use chunkpool_bench::contenders::{AnyContender, Kind};
use chunkpool_bench::shapes::{MIXED, SINGLE};
use criterion::{BenchmarkId, Criterion, Throughput};
use std::time::Duration;

/// `cycle/1-thread`, `cycle/2-threads`, `cycle/16-threads` (S1–S3): one F8
/// chunk per cycle, threads sharing one pool; throughput counts the cycles
/// of all threads. Each contender is given with the id it is reported as.
pub fn cycles(c: &mut Criterion, contenders: &[(Kind, &str)]) {
    for (group, threads) in [
        ("cycle/1-thread", 1),
        ("cycle/2-threads", 2),
        ("cycle/16-threads", 16),
    ] {
        let mut g = c.benchmark_group(group);
        g.throughput(Throughput::Elements(threads as u64));
        for &(kind, id) in contenders {
            let contender = AnyContender::new(kind, SINGLE);
            contender
                .verify(SINGLE)
                .expect("contender hands out wrong chunks");
            g.bench_function(BenchmarkId::from_parameter(id), |b| {
                b.iter_custom(|iters| contender.run(threads, iters).wall)
            });
        }
        g.finish();
    }
}

/// `mixed-schemas` (S4): three layouts held at once per iteration.
pub fn mixed(c: &mut Criterion, contenders: &[(Kind, &str)]) {
    let mut g = c.benchmark_group("mixed-schemas");
    g.throughput(Throughput::Elements(MIXED.len() as u64));
    for &(kind, id) in contenders {
        let contender = AnyContender::new(kind, MIXED);
        contender
            .verify(MIXED)
            .expect("contender hands out wrong chunks");
        g.bench_function(BenchmarkId::from_parameter(id), |b| {
            b.iter_custom(|iters| contender.run(1, iters).wall)
        });
    }
    g.finish();
}

/// Short samples: the comparison (`compare`) is the main job; these are for
/// criterion's history and regression reports.
pub fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}
