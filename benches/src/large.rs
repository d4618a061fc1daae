//! S11 of `benches/README.md`, large columns: one thread, cycles of a 2 MiB
//! and a 32 MiB column, where a fresh allocation costs page faults (glibc
//! serves blocks this large with `mmap` and returns them with `munmap`).
//!
//! One cycle: make a batch of one `I64` column of [`SMALL_ROWS`] rows
//! (2 MiB) and one of [`LARGE_ROWS`] rows (32 MiB), each filled from a
//! source table with one bulk copy, exported to an arrow `RecordBatch`,
//! summed (`arrow_arith`'s `sum`), and dropped; every sum is checked
//! against the table. A chunk holds columns of one row count, so the two
//! columns are two one-column batches, made one after the other and both
//! alive until the end of the cycle.
//!
//! * `chunkpool`: [`LockFreeAllocator`] chunks (default `PoolConfig`),
//!   `Column::extend_from_slice`, `Chunk::into_record_batch_as`;
//! * `unpooled`: the same with `Chunk::new` (no pool);
//! * `arrow-builders-exact`: `Int64Builder::with_capacity(rows)` and
//!   `append_slice`.

use crate::alloc::{self, rusage};
use crate::engine::Maker;
use crate::harness::whole_chunk_rate;
use arrow_arith::aggregate::sum;
use arrow_array::builder::Int64Builder;
use arrow_array::cast::AsArray;
use arrow_array::types::Int64Type;
use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator, Stats};
use serde_json::{json, Value};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows of the 2 MiB column (8-byte values).
pub const SMALL_ROWS: usize = 262_144;
/// Rows of the 32 MiB column.
pub const LARGE_ROWS: usize = 4_194_304;
const FIELDS: [FieldType; 1] = [FieldType::I64];

/// S11's contenders, table order.
pub const CONTENDERS: [Maker; 3] = [Maker::Chunkpool, Maker::ArrowExact, Maker::Unpooled];

/// The first argument that makes `compare` an S11 child.
pub const CHILD_FLAG: &str = "--s11-child";

/// S11 in one process: the source column, the pool (alive for the whole
/// process) and the schemas, each made once.
pub struct Large {
    src: Vec<i64>,
    /// The sums of the first [`SMALL_ROWS`] and of all [`LARGE_ROWS`] values.
    sums: (i64, i64),
    pub pool: LockFreeAllocator,
    schema: SchemaRef,
    export_schema: SchemaRef,
}

impl Default for Large {
    fn default() -> Self {
        Large::new()
    }
}

/// One S11 sample.
pub struct Sample {
    pub cycles: u64,
    pub wall: Duration,
    pub minor_faults: u64,
    pub stats_before: Option<Stats>,
    pub stats_after: Option<Stats>,
}

impl Sample {
    pub fn ns_per_cycle(&self) -> f64 {
        self.wall.as_nanos() as f64 / self.cycles.max(1) as f64
    }

    pub fn faults_per_cycle(&self) -> f64 {
        self.minor_faults as f64 / self.cycles.max(1) as f64
    }

    /// `chunks_from_cache / chunks_allocated` over the sample.
    pub fn from_cache(&self) -> Option<f64> {
        whole_chunk_rate(self.stats_before.as_ref(), self.stats_after.as_ref())
    }
}

impl Large {
    pub fn new() -> Large {
        // Small values (sums far from overflow), not a constant: 0..997.
        let src: Vec<i64> = (0..LARGE_ROWS as i64).map(|i| (i * 7919) % 997).collect();
        let sums = (src[..SMALL_ROWS].iter().sum(), src.iter().sum());
        let schema = Arc::new(Schema::new(vec![Field::new("c0", DataType::Int64, true)]));
        let export_schema = chunkpool::export_schema(&FIELDS, &chunkpool::ExportOptions::new())
            .expect("one name per field");
        Large {
            src,
            sums,
            pool: LockFreeAllocator::new(),
            schema,
            export_schema: Arc::new(export_schema),
        }
    }

    /// A batch of the first `rows` source values, made `who`'s way.
    fn make(&self, who: Maker, rows: usize) -> RecordBatch {
        let values = &self.src[..rows];
        match who {
            Maker::ArrowExact => {
                let mut b = Int64Builder::with_capacity(rows);
                b.append_slice(values);
                RecordBatch::try_new(Arc::clone(&self.schema), vec![Arc::new(b.finish())])
                    .expect("builder's batch")
            }
            _ => {
                let mut c = if who == Maker::Chunkpool {
                    self.pool.alloc(&FIELDS, rows, rows)
                } else {
                    Chunk::new(&FIELDS, rows, rows)
                };
                c.column_mut(0).extend_from_slice(values);
                c.into_record_batch_as(&self.export_schema).expect("export")
            }
        }
    }

    fn total(b: &RecordBatch) -> i64 {
        sum(b.column(0).as_primitive::<Int64Type>()).unwrap_or(0)
    }

    /// One cycle: both batches made, summed, dropped. Returns the sums.
    #[inline]
    pub fn cycle(&self, who: Maker) -> (i64, i64) {
        let small = self.make(who, SMALL_ROWS);
        let large = self.make(who, LARGE_ROWS);
        let sums = (
            Self::total(black_box(&small)),
            Self::total(black_box(&large)),
        );
        drop(small);
        drop(large);
        sums
    }

    /// Checks, untimed, that `who`'s batches hold the table and sum right.
    pub fn verify(&self, who: Maker) -> Result<(), String> {
        for rows in [SMALL_ROWS, LARGE_ROWS] {
            let b = self.make(who, rows);
            let col = b.column(0).as_primitive_opt::<Int64Type>();
            if b.num_rows() != rows || col.map(|c| c.values()[..] == self.src[..rows]) != Some(true)
            {
                return Err(format!(
                    "{}: the {rows}-row batch differs from the table",
                    who.name()
                ));
            }
        }
        let got = self.cycle(who);
        if got != self.sums {
            return Err(format!(
                "{}: sums {got:?}, expected {:?}",
                who.name(),
                self.sums
            ));
        }
        Ok(())
    }

    /// Steady state: `warm` untimed cycles, then cycles until `dur` has
    /// passed (at least `min` of them). Page faults are the process's over
    /// the timed cycles.
    pub fn sample(&self, who: Maker, warm: u64, dur: Duration, min: u64) -> Result<Sample, String> {
        let pooled = who == Maker::Chunkpool;
        for _ in 0..warm {
            black_box(self.cycle(who));
        }
        let before = (rusage().0, pooled.then(|| self.pool.stats()));
        let t0 = Instant::now();
        let mut cycles = 0u64;
        while cycles < min || t0.elapsed() < dur {
            if self.cycle(who) != self.sums {
                return Err(format!("{}: a cycle gave wrong sums", who.name()));
            }
            cycles += 1;
        }
        let wall = t0.elapsed();
        Ok(Sample {
            cycles,
            wall,
            minor_faults: rusage().0.saturating_sub(before.0),
            stats_before: before.1,
            stats_after: pooled.then(|| self.pool.stats()),
        })
    }
}

/// One S11 child run under the process's allocator; `a` are the arguments
/// after [`CHILD_FLAG`]: `CONTENDER SAMPLE_MS MIN_CYCLES`. Verifies, counts
/// allocator calls over 4 untimed cycles, warms up with 4 cycles, then
/// takes one timed sample.
pub fn child_main(a: &[String]) -> Result<Value, String> {
    let arg = |i: usize, what: &str| a.get(i).ok_or_else(|| format!("missing {what}"));
    let who = Maker::from_name(arg(0, "contender")?)
        .filter(|m| CONTENDERS.contains(m))
        .ok_or_else(|| format!("unknown S11 contender {}", a[0]))?;
    let num = |i: usize, what: &str| -> Result<u64, String> {
        arg(i, what)?.parse().map_err(|e| format!("{what}: {e}"))
    };
    let (ms, min) = (num(1, "sample ms")?, num(2, "min cycles")?.max(1));

    let l = Large::new();
    let from = crate::sys::PeakFrom::here();
    l.verify(who)?;
    const COUNTED: u64 = 4;
    alloc::counting(true);
    let (a0, f0) = alloc::counts();
    for _ in 0..COUNTED {
        black_box(l.cycle(who));
    }
    let (a1, f1) = alloc::counts();
    alloc::counting(false);
    let s = l.sample(who, 4, Duration::from_millis(ms), min)?;
    Ok(json!({
        "allocator": alloc::current().name(),
        "contender": who.name(),
        "cycles": s.cycles,
        "ns_per_cycle": s.ns_per_cycle(),
        "faults_per_cycle": s.faults_per_cycle(),
        "from_cache": s.from_cache(),
        "retained_bytes": pooled_retained(&l, who),
        "allocs_per_cycle": (a1 - a0) as f64 / COUNTED as f64,
        "frees_per_cycle": (f1 - f0) as f64 / COUNTED as f64,
        "base_rss_kb": from.base_kb,
        "peak_rss_kb": from.peak_kb(),
        "peak_since_base": from.reset,
    }))
}

fn pooled_retained(l: &Large, who: Maker) -> Option<usize> {
    (who == Maker::Chunkpool).then(|| l.pool.stats().retained_bytes)
}
