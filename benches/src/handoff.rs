//! S8 of `benches/README.md`, the Arrow hand-off: a scan batch made, handed
//! to arrow kernels as a `RecordBatch` (filter, then sum) and dropped, three
//! ways:
//!
//! * `chunkpool`: a chunk from a [`LockFreeAllocator`], filled, exported
//!   with [`Chunk::into_record_batch_as`] (no copy) into a schema made
//!   once; the chunk goes home when the batch drops;
//! * `arrow-builders`: the same batch built with arrow's builders
//!   (`Int64Builder`, `Float64Builder`, `Int32Builder`, `LargeStringBuilder`,
//!   sized exactly) into a schema made once: fresh buffers every cycle;
//! * `malloc`: an unpooled [`Chunk::new`], filled and exported the same
//!   way: the export without the pool.
//!
//! Every contender fills from the same pre-generated [`Table`], one
//! 1024-row slice a cycle (`id` i64, `price` f64, `qty` i32, `name` text
//! with NULLs), and runs the same kernels: `qty <= 25`
//! (`arrow_ord::cmp::lt_eq` against a scalar), `filter_record_batch`, and
//! `sum` of the kept prices. Prices are multiples of 0.25, so every sum is
//! exact and the checksum (rows kept, sum) must equal [`Table::expected`],
//! whatever order the kernels add in.

use crate::harness::Sample;
use crate::strings::{push_text, splitmix};
use arrow_arith::aggregate::sum;
use arrow_array::builder::{Float64Builder, Int32Builder, Int64Builder, LargeStringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::{ArrayRef, Int32Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows of one batch (TiDB's `max_chunk_size` default).
pub const ROWS: usize = 1024;
/// Distinct 1024-row slices of the table, cycled through.
pub const SLICES: usize = 16;
/// The scan's layout: `id`, `price`, `qty`, `name`.
pub const FIELDS: [FieldType; 4] = [
    FieldType::I64,
    FieldType::F64,
    FieldType::I32,
    FieldType::UTF8,
];
/// The filter: `qty <= QTY_MAX` (`qty` is uniform on 1..=50: about half pass).
pub const QTY_MAX: i32 = 25;
/// Mean bytes of a `name`.
pub const NAME_BYTES: usize = 16;

/// A generated table of `SLICES × ROWS` rows, column by column.
pub struct Table {
    pub id: Vec<i64>,
    /// Multiples of 0.25 below 10 000: sums of up to 2^40 of them are exact.
    pub price: Vec<f64>,
    pub qty: Vec<i32>,
    /// Every name, back to back (ASCII).
    name_text: String,
    /// Row `r`'s name is `name_bytes[name_off[r]..name_off[r + 1]]`.
    name_off: Vec<usize>,
    /// NULL names (about one in eight).
    name_null: Vec<bool>,
}

impl Table {
    /// The table, the same every run.
    pub fn generate() -> Table {
        let n = SLICES * ROWS;
        let mut st = 0x5eed_0008_u64;
        let mut t = Table {
            id: Vec::with_capacity(n),
            price: Vec::with_capacity(n),
            qty: Vec::with_capacity(n),
            name_text: String::new(),
            name_off: Vec::with_capacity(n + 1),
            name_null: Vec::with_capacity(n),
        };
        let mut bytes = Vec::with_capacity(n * NAME_BYTES);
        t.name_off.push(0);
        for r in 0..n {
            let x = splitmix(&mut st);
            t.id.push(r as i64);
            t.price.push((x % 40_000) as f64 * 0.25);
            t.qty.push(1 + ((x >> 20) % 50) as i32);
            let null = (x >> 40) % 8 == 0;
            if !null {
                let len = 1 + ((x >> 44) % (2 * NAME_BYTES as u64 - 1)) as usize;
                push_text(&mut bytes, len, &mut st);
            }
            t.name_null.push(null);
            t.name_off.push(bytes.len());
        }
        t.name_text = String::from_utf8(bytes).expect("push_text writes ASCII letters");
        t
    }

    /// Row `r`'s name (`None` for NULL).
    #[inline]
    pub fn name(&self, r: usize) -> Option<&str> {
        if self.name_null[r] {
            return None;
        }
        Some(&self.name_text[self.name_off[r]..self.name_off[r + 1]])
    }

    /// Bytes of the names of slice `k`.
    pub fn name_bytes_of(&self, k: usize) -> usize {
        self.name_off[(k + 1) * ROWS] - self.name_off[k * ROWS]
    }

    /// The checksum of slice `k`, computed directly: (rows with
    /// `qty <= QTY_MAX`, the sum of their prices).
    pub fn expected(&self, k: usize) -> (u64, f64) {
        let rows = k * ROWS..(k + 1) * ROWS;
        let mut kept = 0u64;
        let mut total = 0.0f64;
        for r in rows {
            if self.qty[r] <= QTY_MAX {
                kept += 1;
                total += self.price[r];
            }
        }
        (kept, total)
    }

    /// The checksum of `iters` cycles starting at slice 0.
    pub fn expected_run(&self, iters: u64) -> (u64, f64) {
        (0..iters).fold((0, 0.0), |(a, b), i| {
            let (k, s) = self.expected(i as usize % SLICES);
            (a + k, b + s)
        })
    }

    /// Fills `chk` (of [`FIELDS`], empty) with slice `k`.
    pub fn fill(&self, chk: &mut Chunk, k: usize) {
        let rows = k * ROWS..(k + 1) * ROWS;
        chk.column_mut(0).extend_from_slice(&self.id[rows.clone()]);
        chk.column_mut(1)
            .extend_from_slice(&self.price[rows.clone()]);
        chk.column_mut(2).extend_from_slice(&self.qty[rows.clone()]);
        let names = chk.column_mut(3);
        for r in rows {
            names.append_option_str(self.name(r));
        }
    }
}

/// An S8 contender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Handoff {
    /// A pooled chunk, exported.
    Chunkpool,
    /// Arrow's builders, fresh every cycle.
    Builders,
    /// An unpooled chunk, exported.
    Malloc,
}

impl Handoff {
    pub const ALL: [Handoff; 3] = [Handoff::Chunkpool, Handoff::Builders, Handoff::Malloc];

    pub fn name(self) -> &'static str {
        match self {
            Handoff::Chunkpool => "chunkpool",
            Handoff::Builders => "arrow-builders",
            Handoff::Malloc => "malloc",
        }
    }
}

/// The kernels of a cycle: `qty <= QTY_MAX`, filter, sum of the kept
/// prices. Returns (rows kept, their sum); every array made here is
/// dropped on return.
pub fn kernels(batch: &RecordBatch, qty_max: &arrow_array::Scalar<Int32Array>) -> (u64, f64) {
    let keep = arrow_ord::cmp::lt_eq(batch.column(2), qty_max).expect("qty <= 25");
    let kept = arrow_select::filter::filter_record_batch(batch, &keep).expect("filter");
    let total = sum(kept.column(1).as_primitive::<Float64Type>()).unwrap_or(0.0);
    (kept.num_rows() as u64, total)
}

/// One timed S8 sample: a one-thread [`Sample`] (wall time, faults, the
/// pool's counters for `chunkpool`) plus the part of it spent making
/// batches.
#[derive(Clone, Debug)]
pub struct HandoffSample {
    pub sample: Sample,
    /// Of the sample's wall time, the time spent making batches (filling
    /// and exporting, or building); the rest is the kernels and the drops.
    pub make: Duration,
}

impl HandoffSample {
    /// Nanoseconds per cycle making the batch.
    pub fn make_ns_per_cycle(&self) -> f64 {
        self.make.as_nanos() as f64 / self.sample.iters as f64
    }
}

/// S8's state: the table, the pool (alive for the whole run, like a
/// server's) and the schemas (each made once: every contender's best
/// case).
pub struct Handoffs {
    pub table: Table,
    pub alloc: LockFreeAllocator,
    /// The builders' schema.
    schema: SchemaRef,
    /// The exports' schema (the same types, with chunkpool's metadata).
    export_schema: SchemaRef,
    qty_max: arrow_array::Scalar<Int32Array>,
}

impl Default for Handoffs {
    fn default() -> Self {
        Self::new()
    }
}

impl Handoffs {
    pub fn new() -> Handoffs {
        let schema = Arc::new(Schema::new(vec![
            Field::new("c0", DataType::Int64, true),
            Field::new("c1", DataType::Float64, true),
            Field::new("c2", DataType::Int32, true),
            Field::new("c3", DataType::LargeUtf8, true),
        ]));
        let export_schema = chunkpool::export_schema(&FIELDS, &chunkpool::ExportOptions::new())
            .expect("one name per field");
        Handoffs {
            table: Table::generate(),
            alloc: LockFreeAllocator::new(),
            schema,
            export_schema: Arc::new(export_schema),
            qty_max: Int32Array::new_scalar(QTY_MAX),
        }
    }

    /// Slice `k` as a `RecordBatch`, made the contender's way.
    pub fn batch(&self, who: Handoff, k: usize) -> RecordBatch {
        match who {
            Handoff::Chunkpool => {
                let mut chk = self.alloc.alloc(&FIELDS, ROWS, ROWS);
                self.table.fill(&mut chk, k);
                chk.into_record_batch_as(&self.export_schema)
                    .expect("export")
            }
            Handoff::Malloc => {
                let mut chk = Chunk::new(&FIELDS, ROWS, ROWS);
                self.table.fill(&mut chk, k);
                chk.into_record_batch_as(&self.export_schema)
                    .expect("export")
            }
            Handoff::Builders => self.build(k),
        }
    }

    /// Slice `k` through arrow's builders, each sized for exactly what it
    /// gets.
    fn build(&self, k: usize) -> RecordBatch {
        let t = &self.table;
        let rows = k * ROWS..(k + 1) * ROWS;
        let mut id = Int64Builder::with_capacity(ROWS);
        id.append_slice(&t.id[rows.clone()]);
        let mut price = Float64Builder::with_capacity(ROWS);
        price.append_slice(&t.price[rows.clone()]);
        let mut qty = Int32Builder::with_capacity(ROWS);
        qty.append_slice(&t.qty[rows.clone()]);
        let mut name = LargeStringBuilder::with_capacity(ROWS, t.name_bytes_of(k));
        for r in rows {
            name.append_option(t.name(r));
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(id.finish()),
            Arc::new(price.finish()),
            Arc::new(qty.finish()),
            Arc::new(name.finish()),
        ];
        RecordBatch::try_new(Arc::clone(&self.schema), columns).expect("builders' batch")
    }

    /// One cycle on slice `k`: make the batch, run the kernels, drop it.
    #[inline]
    pub fn cycle(&self, who: Handoff, k: usize) -> (u64, f64) {
        let batch = self.batch(who, k);
        kernels(black_box(&batch), &self.qty_max)
    }

    /// `iters` cycles from slice 0: their checksum, and the time spent
    /// making batches (read off the clock between making a batch and
    /// running the kernels on it: two clock reads a cycle, tens of ns).
    fn cycles(&self, who: Handoff, iters: u64) -> ((u64, f64), Duration) {
        let (mut kept, mut total) = (0u64, 0.0f64);
        let mut make = Duration::ZERO;
        for i in 0..iters {
            let t0 = Instant::now();
            let batch = self.batch(who, i as usize % SLICES);
            make += t0.elapsed();
            let (k, s) = kernels(black_box(&batch), &self.qty_max);
            drop(batch);
            kept += k;
            total += s;
        }
        (black_box((kept, total)), make)
    }

    /// Checks, untimed, that `who`'s batches hold the table (type by type,
    /// value by value, NULLs included) and that two passes over the table
    /// give the directly computed checksum.
    pub fn verify(&self, who: Handoff) -> Result<(), String> {
        for k in [0, SLICES - 1] {
            let b = self.batch(who, k);
            let t = &self.table;
            let rows = k * ROWS..(k + 1) * ROWS;
            let types: Vec<_> = b
                .schema()
                .fields()
                .iter()
                .map(|f| f.data_type().clone())
                .collect();
            let want_types: Vec<_> = self
                .schema
                .fields()
                .iter()
                .map(|f| f.data_type().clone())
                .collect();
            if types != want_types || b.num_rows() != ROWS {
                return Err(format!(
                    "{}: batch of {types:?} × {} rows",
                    who.name(),
                    b.num_rows()
                ));
            }
            let same = b
                .column(0)
                .as_primitive::<arrow_array::types::Int64Type>()
                .values()[..]
                == t.id[rows.clone()]
                && b.column(1).as_primitive::<Float64Type>().values()[..] == t.price[rows.clone()]
                && b.column(2)
                    .as_primitive::<arrow_array::types::Int32Type>()
                    .values()[..]
                    == t.qty[rows.clone()]
                && b.column(3)
                    .as_string::<i64>()
                    .iter()
                    .eq(rows.map(|r| t.name(r)));
            if !same {
                return Err(format!("{}: slice {k} differs from the table", who.name()));
            }
        }
        let iters = 2 * SLICES as u64;
        let (got, _) = self.cycles(who, iters);
        let want = self.table.expected_run(iters);
        if got != want {
            return Err(format!(
                "{}: checksum (rows kept, sum) {got:?}, expected {want:?}",
                who.name()
            ));
        }
        Ok(())
    }

    /// One sample: warm-up cycles, then `iters` timed ones, whose checksum
    /// must be the table's.
    pub fn run(&self, who: Handoff, iters: u64) -> Result<HandoffSample, String> {
        self.cycles(who, crate::harness::warmup_for(iters));
        let pooled = who == Handoff::Chunkpool;
        let stats_before = pooled.then(|| self.alloc.stats());
        let faults = crate::sys::minor_faults();
        let t0 = Instant::now();
        let (got, make) = self.cycles(who, iters);
        let wall = t0.elapsed();
        let minor_faults = crate::sys::minor_faults().saturating_sub(faults);
        let stats_after = pooled.then(|| self.alloc.stats());
        let want = self.table.expected_run(iters);
        if got != want {
            return Err(format!(
                "{}: checksum (rows kept, sum) {got:?} over {iters} cycles, expected {want:?}",
                who.name()
            ));
        }
        Ok(HandoffSample {
            sample: Sample {
                threads: 1,
                iters,
                wall,
                minor_faults,
                stats_before,
                stats_after,
            },
            make,
        })
    }

    /// Cycles for a sample of about `target` wall time.
    pub fn calibrate(&self, who: Handoff, target: Duration) -> u64 {
        let mut iters = 16u64;
        loop {
            let t0 = Instant::now();
            self.cycles(who, iters);
            let wall = t0.elapsed();
            if wall >= target / 8 || iters >= 1 << 30 {
                let per = wall.as_secs_f64() / iters as f64;
                return ((target.as_secs_f64() / per) as u64).max(16);
            }
            iters *= 4;
        }
    }
}
