//! The DataFusion benchmark (`bench`, whose documentation says what it
//! measures) on glibc's malloc: `bench` starts its glibc children from
//! this binary. Built by `cargo build --features bench` with `bench`.

use stats_alloc::StatsAlloc;
use std::alloc::System;

#[global_allocator]
static GLOBAL: StatsAlloc<System> = StatsAlloc::new(System);

fn main() -> datafusion::error::Result<()> {
    chunkpool_datafusion::bench::main(&GLOBAL, "glibc")
}
