//! An executor written against `chunkpool`'s public API: the operators of
//! `SELECT name, SUM(price), COUNT(*) FROM items WHERE price > 10 GROUP BY name`,
//! run by two parallel workers, inside a session driven the way TiDB's server
//! drives it (one allocator per session, installed per statement).
//!
//! It shows:
//! * the session lifecycle for three statements: `begin_statement`,
//!   `set_alloc`, workers allocating through `chunk_allocator()`, then
//!   `clear_alloc` and `ChunkAllocator::reset`. The second statement fails
//!   half way on purpose, so `clear_alloc(.., StatementOutcome::Failed)` abandons its allocator;
//! * a scan producing 1024-row chunks of `(id I64, name UTF8, price F64)`,
//!   some prices NULL;
//! * a filter that sets a selection vector and moves the selected rows into
//!   an output chunk (`set_sel` + `append_chunk`);
//! * a per-worker hash aggregation and the merge of the two partials;
//! * the pool's reuse statistics.
//!
//! Run it with `cargo run --release --example operators`.

use chunkpool::{
    Chunk, ChunkAllocator, FieldType, LockFreeAllocator, SessionChunkPool, StatementOutcome,
};
use std::collections::HashMap;
use std::error::Error;

/// The scanned table's layout: id, name, price.
const FIELDS: [FieldType; 3] = [FieldType::I64, FieldType::UTF8, FieldType::F64];
/// Rows per chunk (TiDB's `max_chunk_size` default).
const BATCH: usize = 1024;
/// Chunks each worker scans per statement.
const BATCHES_PER_WORKER: usize = 8;
const NAMES: [&str; 5] = ["apple", "banana", "cherry", "durian", "elderberry"];

/// A worker's error: `Send` so it can cross the thread join.
type WorkerError = Box<dyn Error + Send + Sync>;
/// Group by name: (sum of price, count).
type Groups = HashMap<String, (f64, u64)>;

/// Scan operator over generated rows `first_id..first_id + rows`.
struct Scan {
    next_id: i64,
    end_id: i64,
}

impl Scan {
    /// The next chunk of up to `BATCH` rows, or `None` when the range is done.
    /// Chunks come from the session's current allocator: recycled buffers
    /// when one is installed, plain ones otherwise.
    fn next(&mut self, session: &SessionChunkPool) -> Result<Option<Chunk>, WorkerError> {
        if self.next_id >= self.end_id {
            return Ok(None);
        }
        let mut chk = session.chunk_allocator().try_alloc(&FIELDS, BATCH, BATCH)?;
        while self.next_id < self.end_id && chk.num_rows() < BATCH {
            let id = self.next_id;
            // Every 10th price is NULL; the others lie in 0.00..20.00.
            let price = (id % 10 != 0).then(|| (id * 37 % 2000) as f64 / 100.0);
            chk.column_mut(0).try_append_i64(id)?;
            chk.column_mut(1)
                .try_append_option_str(Some(NAMES[id as usize % NAMES.len()]))?;
            chk.column_mut(2).try_append_option::<f64>(price)?;
            self.next_id += 1;
        }
        Ok(Some(chk))
    }
}

/// Filter operator: `price > 10` (NULL never passes). Marks the passing rows
/// of `src` with a selection vector, then copies just those rows into `out`.
fn filter(src: &mut Chunk, out: &mut Chunk) -> Result<(), WorkerError> {
    let prices = src.column(2);
    let selected: Vec<u32> = (0..src.num_rows())
        .filter(|&row| prices.value::<f64>(row).is_some_and(|p| p > 10.0))
        .map(|row| row as u32)
        .collect();
    src.try_set_sel(Some(selected))?;
    out.try_append_chunk(src)?; // honours the selection; errors on a layout mismatch
    Ok(())
}

/// Hash aggregation operator: folds every row of `chk` into `groups`.
fn aggregate(chk: &Chunk, groups: &mut Groups) {
    let names = chk.column(1).iter_str();
    let prices = chk.column(2).iter::<f64>();
    for (name, price) in names.zip(prices) {
        let entry = groups
            .entry(name.unwrap_or("<null>").to_owned())
            .or_default();
        entry.0 += price.unwrap_or(0.0);
        entry.1 += 1;
    }
}

/// One worker's pipeline: scan -> filter -> partial aggregate. With
/// `fail_half_way`, it returns an error after half its batches (a stand-in
/// for a runtime error, a killed query, ...).
fn worker(
    session: &SessionChunkPool,
    id: usize,
    fail_half_way: bool,
) -> Result<Groups, WorkerError> {
    let rows = (BATCHES_PER_WORKER * BATCH) as i64;
    let mut scan = Scan {
        next_id: id as i64 * rows,
        end_id: (id as i64 + 1) * rows,
    };
    let mut groups = Groups::new();
    let mut batch = 0;
    while let Some(mut chk) = scan.next(session)? {
        if fail_half_way && batch == BATCHES_PER_WORKER / 2 {
            return Err(format!("worker {id}: injected failure at batch {batch}").into());
        }
        let mut out = session.chunk_allocator().try_alloc(&FIELDS, BATCH, BATCH)?;
        filter(&mut chk, &mut out)?;
        aggregate(&out, &mut groups);
        batch += 1;
        // `chk` and `out` drop here: their buffers go back to the allocator.
    }
    Ok(groups)
}

fn main() -> Result<(), Box<dyn Error>> {
    let session = SessionChunkPool::new();
    let mut alloc = LockFreeAllocator::new();

    for statement in 1..=3 {
        session.begin_statement();
        session.set_alloc(Some(&alloc));

        // Two workers; the handles are joined explicitly so that each
        // thread's cached chunks are handed back before we read the stats.
        let results: Vec<Result<Groups, WorkerError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|w| {
                    let session = &session;
                    s.spawn(move || worker(session, w, statement == 2 && w == 1))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("worker panicked".into())))
                .collect()
        });

        // Merge the partial aggregates, or stop at the first error.
        let merged: Result<Groups, WorkerError> =
            results
                .into_iter()
                .try_fold(Groups::new(), |mut acc, part| {
                    for (name, (sum, count)) in part? {
                        let entry = acc.entry(name).or_default();
                        entry.0 += sum;
                        entry.1 += count;
                    }
                    Ok(acc)
                });

        let stats = alloc.stats();
        println!(
            "statement {statement} (allocator totals so far): chunks allocated {}, from cache {}, column reuse rate {:.1}%",
            stats.chunks_allocated,
            stats.chunks_from_cache,
            stats.reuse_rate() * 100.0
        );
        let failed = match &merged {
            Ok(groups) => {
                let mut rows: Vec<_> = groups.iter().collect();
                rows.sort_by(|a, b| a.0.cmp(b.0));
                for (name, (sum, count)) in rows {
                    println!("  {name:<10} sum(price) = {sum:>10.2}  count = {count}");
                }
                false
            }
            Err(e) => {
                // The server reports the error to the client; the session lives on.
                println!("  failed: {e}");
                true
            }
        };

        // End of statement: on an error, the allocator is abandoned (a worker
        // might still hold its chunks) and replaced by a fresh one.
        session.clear_alloc(&mut alloc, StatementOutcome::failed_if(failed));
        ChunkAllocator::reset(&alloc);
    }

    // `alloc` is now the one made after statement 2's failure.
    let stats = alloc.stats();
    println!(
        "final allocator: chunks allocated {}, from cache {}, reuse rate {:.2}; last statement used the pool: {}",
        stats.chunks_allocated,
        stats.chunks_from_cache,
        stats.reuse_rate(),
        session.used_chunk_alloc()
    );
    Ok(())
}
