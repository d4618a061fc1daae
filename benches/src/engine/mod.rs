//! S9 of `benches/README.md`, engine batches: the batch an engine makes per
//! morsel, five ways, with the same work around it.
//!
//! One batch: scan slice `k` of the [`Source`] into a batch, filter it on
//! `qty <= 25`, project away `id`, hand it to arrow as a `RecordBatch`, run
//! an arrow kernel (`sum` of the kept prices), drop everything. Every
//! batch's (rows kept, sum) is checked against the table.
//!
//! * `chunkpool` and `unpooled`: the scan fills a chunk (from a
//!   [`LockFreeAllocator`] with the default `PoolConfig`, or `Chunk::new`,
//!   which is what `EmptyAllocator` hands out) with `extend_from_slice` and
//!   `append_option_str`; the filter builds the selection over `qty`
//!   with [`chunkpool::Column::select_where`] (branch-free, as arrow's
//!   `lt_eq` is for the other contenders), sets it on the scan chunk and
//!   keeps the selected rows in place with [`Chunk::compact`] (TiDB's
//!   `Reconstruct`; until 2026-12-07 the rows moved into a second chunk of
//!   the same allocator with `Chunk::append_selected`, the same
//!   instructions and twice the buffers); the chunk is exported with
//!   [`Chunk::into_record_batch_as`] into a schema made once.
//! * `arrow-builders-exact` / `arrow-builders-nohint`: the scan is arrow's
//!   builders (`Int64Builder`, `Float64Builder`, `Int32Builder`,
//!   `LargeStringBuilder`, the types the export gives), sized exactly or
//!   made with `new()` (grow by doubling); the filter is arrow's
//!   (`lt_eq`, `filter_record_batch`).
//! * `copy-floor`: the scan is a memcpy into buffers the thread reuses
//!   ([`floor`]); the filter is arrow's.
//!
//! The projection (`RecordBatch::project`, dropping `id`) moves no data, so
//! every contender does it on the exported batch with the same call. The
//! *make* part of a batch is the scan plus the export (read off the clock:
//! four clock reads a batch for every contender).
//!
//! The scan axis ([`Scan`], the engine's `scan`): the *rows* scan (above;
//! S9's main table) appends the text a row at a time, as a decoder
//! produces it. The *bulk* scan fills every column at a time from the
//! slice's arrow-layout buffers, the ones `copy-floor` copies: the fixed
//! columns from slices (chunks: `extend_from_slice`, the builders:
//! `append_slice`), the text from the slice as a `LargeStringArray` made
//! once over copies of the same buffers (offsets from 0, the bytes, the
//! validity bitmap), the same array for both (chunks:
//! [`chunkpool::Column::extend_from_array`], the builders:
//! `LargeStringBuilder::append_array`; neither checks again what arrow
//! checked when it made the array). Made once because that is faster for
//! the builders than building the array each batch with
//! `LargeStringArray::try_new`, which checks the UTF-8 again: see
//! `Engine::build`. `copy-floor` is the same in both. On the bulk scan
//! chunkpool's make part can be held to `copy-floor`'s; on the rows scan
//! the ratio measures decoding text row by row.

pub mod child;
pub mod floor;
pub mod table;

pub use table::Source;

use crate::alloc::rusage;
use crate::harness::whole_chunk_rate;
use arrow_arith::aggregate::sum;
use arrow_array::builder::{Float64Builder, Int32Builder, Int64Builder, LargeStringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int32Type, Int64Type};
use arrow_array::{ArrayRef, Int32Array, LargeStringArray, RecordBatch, Scalar};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use chunkpool::{Chunk, ChunkAllocator, FieldType, LockFreeAllocator, Stats};
use floor::Floor;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use table::{SrcCol, PRICE, QTY, QTY_MAX};

/// A contender of S9.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Maker {
    Chunkpool,
    ArrowExact,
    ArrowNoHint,
    Unpooled,
    CopyFloor,
}

impl Maker {
    pub const ALL: [Maker; 5] = [
        Maker::Chunkpool,
        Maker::ArrowExact,
        Maker::ArrowNoHint,
        Maker::Unpooled,
        Maker::CopyFloor,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Maker::Chunkpool => "chunkpool",
            Maker::ArrowExact => "arrow-builders-exact",
            Maker::ArrowNoHint => "arrow-builders-nohint",
            Maker::Unpooled => "unpooled",
            Maker::CopyFloor => "copy-floor",
        }
    }

    pub fn from_name(s: &str) -> Option<Maker> {
        Maker::ALL.into_iter().find(|m| m.name() == s)
    }

    fn chunked(self) -> bool {
        matches!(self, Maker::Chunkpool | Maker::Unpooled)
    }
}

/// How the scan fills a batch: S9's scan axis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scan {
    /// Fixed-width columns with one bulk call each, text a row at a time
    /// (`append_option_str`, the builders' `append_option`), as a decoder
    /// produces it: S9's main table.
    #[default]
    Rows,
    /// Every column at a time from the slice's arrow-layout buffers, the
    /// ones `copy-floor` copies ([`table::Text::slice_off`],
    /// [`table::Text::slice_str`], [`table::Text::slice_valid`]), the text
    /// as one `LargeStringArray` over copies of them made once: the
    /// chunks' text with `Column::extend_from_array`, the builders' with
    /// `LargeStringBuilder::append_array`. The scan on which the make part
    /// can be held to `copy-floor`'s.
    Bulk,
}

impl Scan {
    pub const ALL: [Scan; 2] = [Scan::Rows, Scan::Bulk];

    pub fn name(self) -> &'static str {
        match self {
            Scan::Rows => "rows",
            Scan::Bulk => "bulk",
        }
    }

    pub fn from_name(s: &str) -> Option<Scan> {
        Scan::ALL.into_iter().find(|m| m.name() == s)
    }
}

/// A batch's result and how long making it took.
pub struct BatchOut {
    pub kept: u64,
    pub sum: f64,
    pub make: Duration,
}

/// One thread's state: `copy-floor`'s buffers.
pub struct Local {
    floor: Option<Floor>,
}

/// S9 in one process: the source, the pool (alive for the whole process,
/// like a server's) and the schemas, each made once.
pub struct Engine {
    pub src: Source,
    pub pool: LockFreeAllocator,
    /// The builders' and copy-floor's schema.
    schema: SchemaRef,
    /// The exports' schema (the same types, with chunkpool's metadata).
    export_schema: SchemaRef,
    /// Every column but `id`.
    project: Vec<usize>,
    qty_max: Scalar<Int32Array>,
    /// How the scan fills a batch.
    pub scan: Scan,
    /// The bulk scan's arrow source of the text, for the chunks'
    /// `extend_from_array` and the builders' `append_array`: per
    /// column, each slice's text as a `LargeStringArray` over copies of
    /// the slice's buffers (offsets from 0, bytes, validity), made once
    /// here; empty for fixed-width columns and in the rows scan.
    text_arrays: Vec<Vec<LargeStringArray>>,
}

/// Slice `k` of a text column as an arrow array over copies of its
/// buffers, made with arrow's checked constructors.
fn text_array(t: &table::Text, k: usize, rows: usize) -> LargeStringArray {
    LargeStringArray::try_new(
        OffsetBuffer::new(ScalarBuffer::from(t.slice_off[k].clone())),
        Buffer::from_slice_ref(t.slice_bytes(k, rows)),
        Some(NullBuffer::from(BooleanBuffer::new(
            Buffer::from_slice_ref(&t.slice_valid[k]),
            0,
            rows,
        ))),
    )
    .expect("a slice's buffers make a LargeStringArray")
}

impl Engine {
    /// The engine of the rows scan (S9's main table, S10's producers).
    pub fn new(rows: usize, width: usize, columns: usize) -> Engine {
        Engine::with_scan(rows, width, columns, Scan::Rows)
    }

    /// The engine of one shape with the given scan.
    pub fn with_scan(rows: usize, width: usize, columns: usize, scan: Scan) -> Engine {
        let src = Source::generate(rows, width, columns);
        let schema = Arc::new(Schema::new(
            src.fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let t = match *f {
                        FieldType::I64 => DataType::Int64,
                        FieldType::F64 => DataType::Float64,
                        FieldType::I32 => DataType::Int32,
                        _ => DataType::LargeUtf8,
                    };
                    Field::new(format!("c{i}"), t, true)
                })
                .collect::<Vec<_>>(),
        ));
        let export_schema = chunkpool::export_schema(&src.fields, &chunkpool::ExportOptions::new())
            .expect("one name per field");
        let project = (1..src.fields.len()).collect();
        let text_arrays = src
            .cols
            .iter()
            .map(|c| match (c, scan) {
                (SrcCol::Text(t), Scan::Bulk) => {
                    (0..src.slices()).map(|k| text_array(t, k, rows)).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        Engine {
            src,
            pool: LockFreeAllocator::new(),
            schema,
            export_schema: Arc::new(export_schema),
            project,
            qty_max: Int32Array::new_scalar(QTY_MAX),
            scan,
            text_arrays,
        }
    }

    pub fn local(&self, who: Maker) -> Local {
        Local {
            floor: (who == Maker::CopyFloor).then(|| Floor::new(&self.src, self.schema.clone())),
        }
    }

    fn chunk(&self, who: Maker) -> Chunk {
        let (f, rows) = (&self.src.fields, self.src.rows);
        match who {
            Maker::Chunkpool => self.pool.alloc(f, rows, rows),
            _ => Chunk::new(f, rows, rows),
        }
    }

    /// The scan into a chunk: slice `k` appended column by column (the
    /// text a row at a time, or at once in the bulk scan).
    fn fill(&self, chk: &mut Chunk, k: usize) {
        let range = self.src.range(k);
        for (i, col) in self.src.cols.iter().enumerate() {
            let dst = chk.column_mut(i);
            match col {
                SrcCol::I64(v) => dst.extend_from_slice(&v[range.clone()]),
                SrcCol::F64(v) => dst.extend_from_slice(&v[range.clone()]),
                SrcCol::I32(v) => dst.extend_from_slice(&v[range.clone()]),
                SrcCol::Text(t) => match self.scan {
                    Scan::Rows => {
                        for r in range.clone() {
                            dst.append_option_str(t.get(r));
                        }
                    }
                    // The array the builders' `append_array` is given.
                    Scan::Bulk => dst.extend_from_array(&self.text_arrays[i][k]),
                },
            }
        }
    }

    /// The scan with arrow's builders, sized exactly (`exact`) or not at all.
    fn build(&self, k: usize, exact: bool) -> RecordBatch {
        let (range, rows) = (self.src.range(k), self.src.rows);
        let columns: Vec<ArrayRef> = self
            .src
            .cols
            .iter()
            .enumerate()
            .map(|(i, col)| -> ArrayRef {
                match col {
                    SrcCol::I64(v) => {
                        let mut b = if exact {
                            Int64Builder::with_capacity(rows)
                        } else {
                            Int64Builder::new()
                        };
                        b.append_slice(&v[range.clone()]);
                        Arc::new(b.finish())
                    }
                    SrcCol::F64(v) => {
                        let mut b = if exact {
                            Float64Builder::with_capacity(rows)
                        } else {
                            Float64Builder::new()
                        };
                        b.append_slice(&v[range.clone()]);
                        Arc::new(b.finish())
                    }
                    SrcCol::I32(v) => {
                        let mut b = if exact {
                            Int32Builder::with_capacity(rows)
                        } else {
                            Int32Builder::new()
                        };
                        b.append_slice(&v[range.clone()]);
                        Arc::new(b.finish())
                    }
                    SrcCol::Text(t) => {
                        let mut b = if exact {
                            LargeStringBuilder::with_capacity(rows, t.slice_bytes(k, rows).len())
                        } else {
                            LargeStringBuilder::new()
                        };
                        match self.scan {
                            Scan::Rows => {
                                for r in range.clone() {
                                    b.append_option(t.get(r));
                                }
                            }
                            // Measured against `LargeStringArray::try_new` over
                            // fresh copies of the slice's buffers (`text_array`
                            // per batch), which checks the UTF-8 and the offsets
                            // again: make 8192 × 200 B 94 against 188 µs, 8192
                            // × 24 B 19 against 50 µs (glibc, one thread).
                            Scan::Bulk => b
                                .append_array(&self.text_arrays[i][k])
                                .expect("append_array"),
                        }
                        Arc::new(b.finish())
                    }
                }
            })
            .collect();
        RecordBatch::try_new(Arc::clone(&self.schema), columns).expect("builders' batch")
    }

    /// Slice `k` made the contender's way, unfiltered (what [`Engine::verify`]
    /// compares with the table, and S10's producers make: `crate::exchange`).
    pub fn make_full(&self, who: Maker, local: &mut Local, k: usize) -> RecordBatch {
        match who {
            Maker::Chunkpool | Maker::Unpooled => {
                let mut c = self.chunk(who);
                self.fill(&mut c, k);
                c.into_record_batch_as(&self.export_schema).expect("export")
            }
            Maker::ArrowExact => self.build(k, true),
            Maker::ArrowNoHint => self.build(k, false),
            Maker::CopyFloor => local
                .floor
                .as_mut()
                .expect("copy-floor's local has a floor")
                .make(&self.src, k),
        }
    }

    /// The kernel on the filtered batch: project away `id`, sum the prices.
    fn project_and_sum(&self, filtered: &RecordBatch) -> (u64, f64) {
        let out = filtered.project(&self.project).expect("projection");
        let total = sum(out.column(PRICE - 1).as_primitive::<Float64Type>()).unwrap_or(0.0);
        (out.num_rows() as u64, total)
    }

    /// One batch on slice `k`: make, filter, export, project, kernel, drop.
    #[inline]
    pub fn batch(&self, who: Maker, local: &mut Local, k: usize) -> BatchOut {
        if who.chunked() {
            let t0 = Instant::now();
            let mut scan = self.chunk(who);
            self.fill(&mut scan, k);
            let t1 = Instant::now();
            // The selection goes into the chunk, which drops it once the
            // rows are compacted: a vector a batch.
            let mut sel = Vec::with_capacity(self.src.rows);
            scan.column(QTY)
                .select_where(&mut sel, |q: i32| q <= QTY_MAX);
            scan.set_sel(Some(sel));
            scan.compact();
            let t2 = Instant::now();
            let batch = scan
                .into_record_batch_as(&self.export_schema)
                .expect("export");
            let t3 = Instant::now();
            let (n, s) = self.project_and_sum(black_box(&batch));
            drop(batch);
            BatchOut {
                kept: n,
                sum: s,
                make: (t1 - t0) + (t3 - t2),
            }
        } else {
            let t0 = Instant::now();
            let batch = match who {
                Maker::ArrowExact => self.build(k, true),
                Maker::ArrowNoHint => self.build(k, false),
                _ => local
                    .floor
                    .as_mut()
                    .expect("copy-floor's local has a floor")
                    .make(&self.src, k),
            };
            let t1 = Instant::now();
            // No export: the same two clock reads as the chunks' export.
            let t2 = Instant::now();
            let t3 = Instant::now();
            let batch = black_box(batch);
            let keep = arrow_ord::cmp::lt_eq(batch.column(QTY), &self.qty_max).expect("qty <= 25");
            let filtered =
                arrow_select::filter::filter_record_batch(&batch, &keep).expect("filter");
            drop(batch);
            let (n, s) = self.project_and_sum(&filtered);
            drop(filtered);
            BatchOut {
                kept: n,
                sum: s,
                make: (t1 - t0) + (t3 - t2),
            }
        }
    }

    /// Checks, untimed, that `who`'s batches hold the table (types, values,
    /// NULLs) and that its batches give the table's checksums.
    pub fn verify(&self, who: Maker) -> Result<(), String> {
        let mut local = self.local(who);
        for k in [0, self.src.slices() - 1] {
            let b = self.make_full(who, &mut local, k);
            let range = self.src.range(k);
            if b.num_rows() != self.src.rows || b.num_columns() != self.src.cols.len() {
                return Err(format!(
                    "{}: batch of {}×{}",
                    who.name(),
                    b.num_rows(),
                    b.num_columns()
                ));
            }
            for (i, col) in self.src.cols.iter().enumerate() {
                let a = b.column(i);
                let same = match col {
                    SrcCol::I64(v) => a
                        .as_primitive_opt::<Int64Type>()
                        .map(|x| x.values()[..] == v[range.clone()]),
                    SrcCol::F64(v) => a
                        .as_primitive_opt::<Float64Type>()
                        .map(|x| x.values()[..] == v[range.clone()]),
                    SrcCol::I32(v) => a
                        .as_primitive_opt::<Int32Type>()
                        .map(|x| x.values()[..] == v[range.clone()]),
                    SrcCol::Text(t) => a
                        .as_string_opt::<i64>()
                        .map(|x| x.iter().eq(range.clone().map(|r| t.get(r)))),
                };
                if same != Some(true) {
                    return Err(format!(
                        "{}: slice {k} column {i} differs from the table",
                        who.name()
                    ));
                }
            }
        }
        for k in 0..2 * self.src.slices() {
            let k = k % self.src.slices();
            let out = self.batch(who, &mut local, k);
            if (out.kept, out.sum) != self.src.expected(k) {
                return Err(format!(
                    "{}: slice {k}: (rows kept, sum) ({}, {}), expected {:?}",
                    who.name(),
                    out.kept,
                    out.sum,
                    self.src.expected(k)
                ));
            }
        }
        Ok(())
    }

    /// One timed sample: `threads` threads, each with its own [`Local`],
    /// batches for `warm` untimed, then batches until `dur` has passed.
    ///
    /// The warm-up starts with two rounds of one batch on every thread and
    /// a barrier, then at least one more batch a thread: after the first
    /// round every thread has joined the pool (its thread cache made), and
    /// after the second every thread has seen the final thread count and
    /// given back the credits it held over its share. Without them, a
    /// thread that ran little in the warm-up (16 threads on 2 cores) could
    /// find the pool's credits still held by threads that joined early with
    /// bigger shares, cache nothing, and make its first timed batch's
    /// chunks new.
    pub fn sample(&self, who: Maker, threads: usize, warm: Duration, dur: Duration) -> Sample {
        let joined = Barrier::new(threads);
        let start = Barrier::new(threads + 1);
        let go = Barrier::new(threads + 1);
        let stop = AtomicBool::new(false);
        let pooled = who == Maker::Chunkpool;
        let mut before = (0u64, None);
        let per_thread: Vec<(u64, Duration, u64, Instant, Instant)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (joined, start, go, stop) = (&joined, &start, &go, &stop);
                    s.spawn(move || {
                        let mut local = self.local(who);
                        let slices = self.src.slices();
                        let mut i = t * 3;
                        // Twice: every thread joins the pool, then every
                        // thread has seen the final thread count.
                        for _ in 0..2 {
                            black_box(self.batch(who, &mut local, i % slices));
                            i += 1;
                            joined.wait();
                        }
                        let w0 = Instant::now();
                        while w0.elapsed() < warm || i < t * 3 + 3 {
                            black_box(self.batch(who, &mut local, i % slices));
                            i += 1;
                        }
                        start.wait();
                        go.wait();
                        let begin = Instant::now();
                        let (mut n, mut make, mut wrong) = (0u64, Duration::ZERO, 0u64);
                        while !stop.load(Ordering::Relaxed) {
                            let k = i % slices;
                            let out = self.batch(who, &mut local, k);
                            if (out.kept, out.sum) != self.src.expected(k) {
                                wrong += 1;
                            }
                            make += out.make;
                            n += 1;
                            i += 1;
                        }
                        let end = Instant::now();
                        drop(local);
                        (n, make, wrong, begin, end)
                    })
                })
                .collect();
            start.wait();
            before = (rusage().0, pooled.then(|| self.pool.stats()));
            go.wait();
            std::thread::sleep(dur);
            stop.store(true, Ordering::Relaxed);
            handles
                .into_iter()
                .map(|h| h.join().expect("S9 thread panicked"))
                .collect()
        });
        let faults = rusage().0.saturating_sub(before.0);
        // First start to last end, as every thread read its own clock.
        let t0 = per_thread.iter().map(|p| p.3).min().expect("threads > 0");
        let end = per_thread.iter().map(|p| p.4).max().expect("threads > 0");
        Sample {
            threads,
            batches: per_thread.iter().map(|p| p.0).sum(),
            wall: end - t0,
            make: per_thread.iter().map(|p| p.1).sum(),
            wrong: per_thread.iter().map(|p| p.2).sum(),
            minor_faults: faults,
            stats_before: before.1,
            stats_after: pooled.then(|| self.pool.stats()),
        }
    }
}

/// One S9 sample.
pub struct Sample {
    pub threads: usize,
    /// Batches made by all threads.
    pub batches: u64,
    /// From the threads' start to the last one's end.
    pub wall: Duration,
    /// Time making batches, summed over the threads.
    pub make: Duration,
    /// Batches whose (rows kept, sum) was not the table's.
    pub wrong: u64,
    pub minor_faults: u64,
    pub stats_before: Option<Stats>,
    pub stats_after: Option<Stats>,
}

impl Sample {
    /// Wall nanoseconds per batch per thread.
    pub fn ns_per_batch(&self) -> f64 {
        self.wall.as_nanos() as f64 * self.threads as f64 / self.batches.max(1) as f64
    }

    /// Nanoseconds making a batch (thread time).
    pub fn make_ns_per_batch(&self) -> f64 {
        self.make.as_nanos() as f64 / self.batches.max(1) as f64
    }

    /// `chunks_from_cache / chunks_allocated` over the sample.
    pub fn from_cache(&self) -> Option<f64> {
        whole_chunk_rate(self.stats_before.as_ref(), self.stats_after.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every contender's batches hold the table and give its checksums, in
    /// both scans, at small shapes of 4 and 16 columns (the 16-column one
    /// has two text columns), narrow and wide text.
    #[test]
    fn every_contender_verifies_in_both_scans() {
        for scan in Scan::ALL {
            for (rows, width, columns) in [(64, 8, 4), (64, 200, 16)] {
                let e = Engine::with_scan(rows, width, columns, scan);
                for who in Maker::ALL {
                    e.verify(who).unwrap_or_else(|err| {
                        panic!("{} scan, {rows}×{width} B×{columns}: {err}", scan.name())
                    });
                }
            }
        }
    }

    /// The bulk scan's chunk holds what the rows scan's does, buffer for
    /// buffer as exported (offsets, bytes, NULLs).
    #[test]
    fn bulk_fill_equals_rows_fill() {
        let rows = Engine::with_scan(128, 24, 16, Scan::Rows);
        let bulk = Engine::with_scan(128, 24, 16, Scan::Bulk);
        for who in [Maker::Chunkpool, Maker::Unpooled, Maker::ArrowExact] {
            let (mut lr, mut lb) = (rows.local(who), bulk.local(who));
            for k in 0..rows.src.slices() {
                let a = rows.make_full(who, &mut lr, k);
                let b = bulk.make_full(who, &mut lb, k);
                assert_eq!(a, b, "{} slice {k}", who.name());
            }
        }
    }

    #[test]
    fn scan_names_round_trip() {
        for s in Scan::ALL {
            assert_eq!(Scan::from_name(s.name()), Some(s));
        }
        assert_eq!(Scan::from_name("columns"), None);
        assert_eq!(Scan::default(), Scan::Rows);
    }
}
