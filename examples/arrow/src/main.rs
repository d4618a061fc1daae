//! A pooled scan feeding arrow kernels: the query
//! `SELECT COUNT(*), SUM(price) FROM items WHERE qty <= 25`, plus the three
//! most expensive of those rows, run by two scan threads that fill chunks
//! from one shared `LockFreeAllocator` and hand them to arrow as
//! `RecordBatch`es, without a copy, and one consumer thread that runs
//! arrow's kernels on them and drops them.
//!
//! It shows:
//! * `Chunk::into_record_batch_with`: a filled chunk leaves as a
//!   `RecordBatch` over its own buffers (named columns, `LargeUtf8` names
//!   with NULLs);
//! * arrow's kernels on it: `arrow_ord::cmp::lt_eq` for the predicate,
//!   `arrow_select::filter::filter_record_batch`, `arrow_arith::aggregate::sum`,
//!   `arrow_ord::sort::sort_to_indices` with a limit and `arrow_select::take`;
//! * the batches dropped on another thread than the one that made them:
//!   each chunk goes back to the pool from the consumer, and the scan
//!   threads get those buffers again (`Stats::chunks_from_cache`);
//! * `Stats::exported_chunks`, 0 once every batch is dropped.
//!
//! The result is checked against the same query computed directly over the
//! generated table; a mismatch exits non-zero.
//!
//! Run it with `cargo run --release -p chunkpool-arrow-example`.

use arrow_arith::aggregate::sum;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_array::{Array, Int32Array, RecordBatch};
use arrow_ord::cmp::lt_eq;
use arrow_ord::sort::{sort_to_indices, SortOptions};
use arrow_select::filter::filter_record_batch;
use arrow_select::take::take;
use chunkpool::{ChunkAllocator, ExportOptions, FieldType, LockFreeAllocator};
use std::error::Error;
use std::sync::mpsc;

/// The scanned table's layout: id, price, qty, name.
const FIELDS: [FieldType; 4] = [
    FieldType::I64,
    FieldType::F64,
    FieldType::I32,
    FieldType::UTF8,
];
const NAMES: [&str; 4] = ["id", "price", "qty", "name"];
/// Rows per chunk (TiDB's `max_chunk_size` default).
const BATCH: usize = 1024;
/// Chunks in the table; the two scan threads take every other one.
const BATCHES: usize = 128;
const SCANNERS: usize = 2;
/// The predicate: `qty <= QTY_MAX`.
const QTY_MAX: i32 = 25;
/// How many of the most expensive kept rows to report.
const TOP: usize = 3;

/// A worker's error: `Send` so it can cross the thread join.
type WorkerError = Box<dyn Error + Send + Sync>;

/// The generated table, row by row (what a storage layer would hand a scan).
struct Table {
    id: Vec<i64>,
    price: Vec<f64>,
    qty: Vec<i32>,
    name: Vec<Option<String>>,
}

impl Table {
    fn generate() -> Table {
        let n = BATCHES * BATCH;
        let words = ["bolt", "nut", "washer", "gear", "spring", "valve", "hinge"];
        let mut t = Table {
            id: Vec::with_capacity(n),
            price: Vec::with_capacity(n),
            qty: Vec::with_capacity(n),
            name: Vec::with_capacity(n),
        };
        for r in 0..n {
            let id = r as i64;
            t.id.push(id);
            // A permutation of 0..n (7919 is odd, n a power of two), in
            // quarters: every price distinct, every sum exact.
            t.price.push(((r * 7919) % n) as f64 * 0.25);
            t.qty.push(1 + ((r * 31 + r / 7) % 50) as i32);
            // Every ninth name is NULL.
            t.name
                .push((r % 9 != 0).then(|| format!("{}-{}", words[r % words.len()], r % 1000)));
        }
        t
    }

    /// The query computed directly: (rows kept, sum of their prices, the
    /// ids of the `TOP` most expensive).
    fn expected(&self) -> (usize, f64, Vec<i64>) {
        let mut kept: Vec<usize> = (0..self.id.len())
            .filter(|&r| self.qty[r] <= QTY_MAX)
            .collect();
        let total = kept.iter().map(|&r| self.price[r]).sum();
        let count = kept.len();
        kept.sort_by(|&a, &b| self.price[b].total_cmp(&self.price[a]));
        (
            count,
            total,
            kept[..TOP].iter().map(|&r| self.id[r]).collect(),
        )
    }
}

/// One scan thread: chunk `b` for every `b` in `first, first + step, …`,
/// filled from the table in a chunk from `alloc`, sent to the consumer as
/// a `RecordBatch` over the chunk's own buffers.
fn scan(
    table: &Table,
    alloc: &LockFreeAllocator,
    first: usize,
    step: usize,
    out: mpsc::SyncSender<RecordBatch>,
) -> Result<(), WorkerError> {
    let opts = ExportOptions::new().names(NAMES);
    for b in (first..BATCHES).step_by(step) {
        let mut chk = alloc.try_alloc(&FIELDS, BATCH, BATCH)?;
        let rows = b * BATCH..(b + 1) * BATCH;
        chk.column_mut(0)
            .try_extend_from_slice(&table.id[rows.clone()])?;
        chk.column_mut(1)
            .try_extend_from_slice(&table.price[rows.clone()])?;
        chk.column_mut(2)
            .try_extend_from_slice(&table.qty[rows.clone()])?;
        let names = chk.column_mut(3);
        for r in rows {
            names.try_append_option_str(table.name[r].as_deref())?;
        }
        // No copy: the batch's buffers are the chunk's, and the chunk goes
        // home when the consumer drops the last array made from it.
        let batch = chk.into_record_batch_with(&opts)?;
        out.send(batch)?;
    }
    Ok(())
}

/// What the consumer folds the batches into.
#[derive(Default)]
struct Answer {
    count: usize,
    total: f64,
    /// (price, id, name) of the most expensive kept rows, best first.
    top: Vec<(f64, i64, Option<String>)>,
}

/// The consumer: `WHERE qty <= 25`, then `COUNT(*)`, `SUM(price)` and the
/// top rows by price, with arrow's kernels. Each batch is dropped here, on
/// this thread, at the end of its iteration.
fn consume(batches: mpsc::Receiver<RecordBatch>) -> Result<Answer, WorkerError> {
    let qty_max = Int32Array::new_scalar(QTY_MAX);
    let mut ans = Answer::default();
    for batch in batches {
        let keep = lt_eq(batch.column_by_name("qty").ok_or("no qty")?, &qty_max)?;
        let kept = filter_record_batch(&batch, &keep)?;
        let prices = kept.column(1).as_primitive::<Float64Type>();
        ans.count += kept.num_rows();
        ans.total += sum(prices).unwrap_or(0.0);

        let desc = SortOptions {
            descending: true,
            nulls_first: false,
        };
        let best = sort_to_indices(prices, Some(desc), Some(TOP))?;
        let ids = take(kept.column(0), &best, None)?;
        let names = take(kept.column(3), &best, None)?;
        let best_prices = take(prices, &best, None)?;
        let (ids, names) = (ids.as_primitive::<Int64Type>(), names.as_string::<i64>());
        let best_prices = best_prices.as_primitive::<Float64Type>();
        for i in 0..best.len() {
            let name = names.is_valid(i).then(|| names.value(i).to_owned());
            ans.top.push((best_prices.value(i), ids.value(i), name));
        }
        ans.top.sort_by(|a, b| b.0.total_cmp(&a.0));
        ans.top.truncate(TOP);
        // `batch`, `kept` and the arrays taken from it drop here: the
        // chunk behind `batch` goes back to the pool from this thread.
    }
    Ok(ans)
}

fn main() -> Result<(), Box<dyn Error>> {
    let table = Table::generate();
    let alloc = LockFreeAllocator::new();

    // A short queue: the scans run at most a few batches ahead, so the
    // chunks the consumer drops come back to them.
    let (tx, rx) = mpsc::sync_channel::<RecordBatch>(4);
    let answer = std::thread::scope(|s| -> Result<Answer, WorkerError> {
        let scanners: Vec<_> = (0..SCANNERS)
            .map(|w| {
                let (table, alloc, tx) = (&table, &alloc, tx.clone());
                s.spawn(move || scan(table, alloc, w, SCANNERS, tx))
            })
            .collect();
        drop(tx); // the consumer stops once every scanner's sender is gone
        let consumer = s.spawn(move || consume(rx));
        // Joined explicitly, so each thread's cached chunks are handed back
        // before the stats are read.
        for h in scanners {
            h.join().map_err(|_| "a scan thread panicked")??;
        }
        consumer.join().map_err(|_| "the consumer panicked")?
    })
    .map_err(|e| e.to_string())?;

    println!(
        "SELECT COUNT(*), SUM(price) FROM items WHERE qty <= {QTY_MAX}: {} rows, sum {:.2}",
        answer.count, answer.total
    );
    println!("the {TOP} most expensive of them:");
    for (price, id, name) in &answer.top {
        println!(
            "  id {id:>6}  price {price:>9.2}  name {}",
            name.as_deref().unwrap_or("NULL")
        );
    }

    let stats = alloc.stats();
    println!(
        "pool: {} chunks allocated, {} of them from the cache ({:.1}%), {} returned, {} exports alive",
        stats.chunks_allocated,
        stats.chunks_from_cache,
        stats.chunks_from_cache as f64 / stats.chunks_allocated.max(1) as f64 * 100.0,
        stats.chunks_returned,
        stats.exported_chunks
    );

    // Checks: the answer is the table's, and every exported chunk came home.
    let (count, total, top_ids) = table.expected();
    let got_ids: Vec<i64> = answer.top.iter().map(|t| t.1).collect();
    if (answer.count, answer.total, &got_ids) != (count, total, &top_ids) {
        return Err(format!(
            "wrong answer: got ({}, {}, {got_ids:?}), the table says ({count}, {total}, {top_ids:?})",
            answer.count, answer.total
        )
        .into());
    }
    if stats.exported_chunks != 0 || stats.chunks_returned != stats.chunks_allocated {
        return Err(format!(
            "not every chunk came home: {} exports alive, {} of {} returned",
            stats.exported_chunks, stats.chunks_returned, stats.chunks_allocated
        )
        .into());
    }
    if stats.chunks_allocated != BATCHES as u64 || stats.chunks_from_cache == 0 {
        return Err(format!(
            "expected {BATCHES} chunks, some from the cache: {} allocated, {} from the cache",
            stats.chunks_allocated, stats.chunks_from_cache
        )
        .into());
    }
    println!("checked against a direct computation over the table: OK");
    Ok(())
}
