//! Contender `mimalloc`: no pool, with mimalloc as the global allocator
//! (`benches/README.md`). Same cycle, groups and harness as `benches/benches/cycle.rs`;
//! only the global allocator differs, which needs a binary of its own.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod groups;

use chunkpool_bench::contenders::Kind;
use criterion::{criterion_group, criterion_main, Criterion};

/// No pool (`Kind::Malloc`) under mimalloc, reported as `mimalloc`.
const MIMALLOC: [(Kind, &str); 1] = [(Kind::Malloc, "mimalloc")];

fn cycles(c: &mut Criterion) {
    groups::cycles(c, &MIMALLOC);
    groups::mixed(c, &MIMALLOC);
}

criterion_group! {
    name = benches;
    config = groups::config();
    targets = cycles
}
criterion_main!(benches);
