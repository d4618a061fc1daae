//! An executor written against `chunkpool`'s public API, as a new user
//! would write one: operators generic over `impl ChunkAllocator`, fed the
//! session's current allocator, for the query
//!
//! ```sql
//! SELECT i.id, i.price, o.item_id, o.qty
//! FROM items i JOIN orders o ON o.item_id = i.id
//! WHERE i.price > 10
//! ORDER BY i.price DESC LIMIT 5
//! ```
//!
//! run by two parallel workers (each scans half of `items`), inside a
//! session driven the way TiDB's server drives it: one allocator per
//! session, installed per statement, abandoned when a statement fails.
//!
//! It shows:
//! * a scan filling pooled chunks of `(id I64, name UTF8, price F64)`, some
//!   prices NULL, from whatever allocator it is given
//!   (`session.chunk_allocator()` here);
//! * a filter that marks rows with a selection, and a projection of the
//!   filtered chunk that keeps exactly the selected rows: `make_ref_to`
//!   refuses a chunk with a selection (it would not follow the column), so
//!   the filter `compact`s in place first and the projection then shares
//!   the columns it keeps without copying them;
//! * a hash join whose output rows are built from both sides with
//!   `append_partial_row` (TiDB's `AppendPartialRow`);
//! * a running top-k kept in one chunk with `retain`, so no batch makes a
//!   new one, printed as a table (`Display`; columns are unnamed, so the
//!   header shows their logical types);
//! * the session lifecycle for three statements (the second fails half way
//!   on purpose, and `clear_alloc(.., StatementOutcome::Failed)` abandons
//!   its allocator) and the pool's reuse statistics.
//!
//! The answer is checked against the same query computed directly over the
//! generated tables; a mismatch exits non-zero.
//!
//! Run it with `cargo run --release --example operators`.

use chunkpool::{
    Chunk, ChunkAllocator, ChunkRequest, Error, FieldType, LockFreeAllocator, SessionChunkPool,
    StatementOutcome,
};
use std::collections::HashMap;

/// `items`: id, name, price.
const ITEMS: [FieldType; 3] = [FieldType::I64, FieldType::UTF8, FieldType::F64];
/// The projection of a filtered `items` chunk: id, price.
const PROJECTED: [FieldType; 2] = [FieldType::I64, FieldType::F64];
/// `orders`: item id, quantity.
const ORDERS: [FieldType; 2] = [FieldType::I64, FieldType::I32];
/// The join's output: id, price (from `items`), item id, qty (from `orders`).
const JOINED: [FieldType; 4] = [
    FieldType::I64,
    FieldType::F64,
    FieldType::I64,
    FieldType::I32,
];
/// Rows per chunk (TiDB's `max_chunk_size` default).
const BATCH: usize = 1024;
/// `items` rows; ids are `0..ITEM_ROWS`.
const ITEM_ROWS: i64 = 16 * BATCH as i64;
/// The `LIMIT`.
const K: usize = 5;
const NAMES: [&str; 5] = ["bolt", "gear", "nut", "valve", "washer"];

/// The generated tables, one function each, so the check below computes the
/// query from the same rows.
fn price_of(id: i64) -> Option<f64> {
    // Every 10th price is NULL; the others lie in 0.00..20.00.
    (id % 10 != 0).then(|| (id * 37 % 2000) as f64 / 100.0)
}
fn name_of(id: i64) -> String {
    format!("{}-{}", NAMES[id as usize % NAMES.len()], id)
}
/// `orders`: a few hundred rows naming every 37th item, some twice.
fn orders() -> Vec<(i64, i32)> {
    (0..ITEM_ROWS)
        .step_by(37)
        .flat_map(|id| {
            let qty = (id % 7) as i32 + 1;
            let again = (id % 3 == 0).then_some((id, qty * 10));
            std::iter::once((id, qty)).chain(again)
        })
        .collect()
}

/// Scan: the `items` rows `ids`, one chunk of up to `BATCH` rows per call.
fn scan(
    alloc: &impl ChunkAllocator,
    ids: &mut std::ops::Range<i64>,
) -> Result<Option<Chunk>, Error> {
    if ids.is_empty() {
        return Ok(None);
    }
    let mut chk = alloc.try_alloc_with(ChunkRequest::new(&ITEMS, BATCH))?;
    for id in ids.by_ref().take(BATCH) {
        chk.column_mut(0).try_append_i64(id)?;
        chk.column_mut(1).try_append_str(&name_of(id))?;
        chk.column_mut(2).try_append_option(price_of(id))?;
    }
    Ok(Some(chk))
}

/// Filter `price > 10` (NULL never passes), then project `(id, price)`:
/// the selection is applied in place (`compact`), so the projection shares
/// exactly the selected rows' columns.
fn filter_project(alloc: &impl ChunkAllocator, mut chk: Chunk) -> Result<Chunk, Error> {
    // The selection from the price column, with no branch per row; NULL
    // rows are never selected.
    let mut selected = Vec::new();
    chk.column(2)
        .try_select_where(&mut selected, |p: f64| p > 10.0)?;
    chk.try_set_sel(Some(selected))?;

    let mut out = alloc.try_alloc_with(ChunkRequest::new(&PROJECTED, BATCH))?;
    // Sharing a column out of a filtered chunk would bring back the rows
    // the filter dropped: refused.
    assert_eq!(
        out.try_make_ref_to(0, &mut chk, 0),
        Err(Error::HasSelection)
    );
    chk.try_compact()?; // the selected rows, moved to the front in place
    out.try_make_ref_to(0, &mut chk, 0)?;
    out.try_make_ref_to(1, &mut chk, 2)?;
    Ok(out)
    // `chk` drops here; the columns `out` shares go home with `out`.
}

/// Hash join: `probe` rows (id, price) with the `orders` rows of the same
/// id, built from both sides with `append_partial_row`.
fn join(
    alloc: &impl ChunkAllocator,
    probe: &Chunk,
    build: &HashMap<i64, Vec<usize>>,
    orders: &Chunk,
) -> Result<Chunk, Error> {
    let mut out = alloc.try_alloc_with(ChunkRequest::new(&JOINED, BATCH))?;
    for row in probe.rows() {
        for &o in build.get(&row.get_i64(0)).into_iter().flatten() {
            out.try_append_partial_row(0, probe, row.idx())?; // id, price
            out.try_append_partial_row(2, orders, o)?; // item id, qty
        }
    }
    Ok(out)
}

/// The order of the result: price descending, then id and qty ascending
/// (an item ordered twice joins twice, with two quantities).
fn by_price(a: &Joined, b: &Joined) -> std::cmp::Ordering {
    b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)).then(a.2.cmp(&b.2))
}

/// A joined chunk's row as the result's tuple.
fn joined(r: chunkpool::Row<'_>) -> Joined {
    (r.get_i64(0), r.get_f64(1), r.get_i32(3))
}

/// Top-k by price, kept in `top` itself: `batch`'s rows are appended, then
/// `retain` keeps the `K` first in the result's order.
fn top_k(top: &mut Chunk, batch: &Chunk) -> Result<(), Error> {
    top.try_append_chunk(batch)?;
    let mut keys: Vec<Joined> = top.rows().map(joined).collect();
    if keys.len() <= K {
        return Ok(());
    }
    keys.sort_by(by_price);
    let last = keys[K - 1];
    top.try_retain(|r| by_price(&joined(r), &last).is_le())
}

/// One worker: scan its half of `items`, filter and project, join with
/// `orders`, keep a partial top-k. With `fail_half_way`, it stops with an
/// error after half its batches (a stand-in for a runtime error).
fn worker(
    session: &SessionChunkPool,
    half: i64,
    fail_half_way: bool,
) -> Result<Vec<Joined>, String> {
    let orders_chunk = orders_chunk();
    let mut build: HashMap<i64, Vec<usize>> = HashMap::new();
    for row in orders_chunk.rows() {
        build.entry(row.get_i64(0)).or_default().push(row.idx());
    }
    let mut ids = half * ITEM_ROWS / 2..(half + 1) * ITEM_ROWS / 2;
    let mut top = Chunk::new(&JOINED, BATCH, BATCH);
    let mut batch = 0;
    loop {
        // The session's allocator, read once per batch.
        let alloc = session.chunk_allocator();
        let Some(chk) = scan(&alloc, &mut ids).map_err(|e| e.to_string())? else {
            break;
        };
        if fail_half_way && batch == 4 {
            return Err(format!("worker {half}: injected failure at batch {batch}"));
        }
        let projected = filter_project(&alloc, chk).map_err(|e| e.to_string())?;
        let joined = join(&alloc, &projected, &build, &orders_chunk).map_err(|e| e.to_string())?;
        top_k(&mut top, &joined).map_err(|e| e.to_string())?;
        batch += 1;
    }
    Ok(top.rows().map(joined).collect())
}

/// A joined row: id, price, qty.
type Joined = (i64, f64, i32);

/// `orders` as one unpooled chunk (the join's build side).
fn orders_chunk() -> Chunk {
    let rows = orders();
    let mut chk = Chunk::new(&ORDERS, rows.len(), rows.len());
    for (id, qty) in rows {
        chk.column_mut(0).append_i64(id);
        chk.column_mut(1).append_i32(qty);
    }
    chk
}

/// The query computed directly over the generated tables.
fn expected() -> Vec<Joined> {
    let mut all: Vec<Joined> = orders()
        .into_iter()
        .filter_map(|(id, qty)| price_of(id).filter(|&p| p > 10.0).map(|p| (id, p, qty)))
        .collect();
    all.sort_by(by_price);
    all.truncate(K);
    all
}

fn main() {
    let session = SessionChunkPool::new();
    let mut alloc = LockFreeAllocator::new();
    let want = expected();

    for statement in 1..=3 {
        session.begin_statement();
        session.set_alloc(Some(&alloc));

        // Two workers; joined explicitly, so each thread's cached chunks are
        // handed back before the stats are read.
        let parts: Vec<Result<Vec<Joined>, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|half| {
                    let session = &session;
                    s.spawn(move || worker(session, half, statement == 2 && half == 1))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("worker panicked".into())))
                .collect()
        });
        // Merge the partial top-ks into one chunk, again with `top_k`.
        let result: Result<Chunk, String> =
            parts
                .into_iter()
                .try_fold(Chunk::new(&JOINED, BATCH, BATCH), |mut top, part| {
                    let mut chk = Chunk::new(&JOINED, BATCH, BATCH);
                    for (id, price, qty) in part? {
                        chk.column_mut(0).append_i64(id);
                        chk.column_mut(1).append_f64(price);
                        chk.column_mut(2).append_i64(id);
                        chk.column_mut(3).append_i32(qty);
                    }
                    top_k(&mut top, &chk).map_err(|e| e.to_string())?;
                    Ok(top)
                });

        let stats = alloc.stats();
        println!(
            "statement {statement}: chunks allocated {}, from cache {} (allocator totals so far)",
            stats.chunks_allocated, stats.chunks_from_cache
        );
        match &result {
            Ok(top) => {
                let mut got: Vec<Joined> = top.rows().map(joined).collect();
                got.sort_by(by_price);
                print!("{top}");
                if got != want {
                    eprintln!("wrong answer: got {got:?}, want {want:?}");
                    std::process::exit(1);
                }
            }
            // The server reports the error to the client; the session lives on.
            Err(e) => println!("  failed: {e}"),
        }
        // End of statement: after a failure the allocator is abandoned (a
        // worker might still hold its chunks) and replaced by a fresh one.
        session.clear_alloc(&mut alloc, StatementOutcome::of(&result));
    }

    // `alloc` is the one made after statement 2's failure.
    let stats = alloc.stats();
    println!(
        "final allocator: {} chunks allocated, {} from the cache; checked against a direct computation: OK",
        stats.chunks_allocated, stats.chunks_from_cache
    );
}
