//! S5: a small vectorized executor driven through the session slot the way
//! TiDB's server drives it.
//!
//! A statement scans a generated table with `workers` parallel workers. Each
//! worker claims 1024-row morsels and runs scan → filter → project on them:
//! the scan fills a chunk of the table's layout, the filter copies the rows
//! that pass into a second chunk (`append_selected`), the projection computes
//! an output chunk of another layout (revenue and a name prefix computed, the
//! pass-through columns moved over with `swap_column`), and a sink folds it
//! into a checksum. The operators use the crate's row-movement API, not
//! copiers of their own. Every chunk comes from
//! `session.chunk_allocator()` and is dropped once consumed, as batches are
//! in Rust executors, so the allocator is on the path of every morsel.
//!
//! Per statement, exactly as TiDB's server: `begin_statement`, `set_alloc`,
//! workers allocate from many threads, `clear_alloc(&mut a, outcome)`,
//! `a.reset()`. One statement fails half-way: the worker that hits the error
//! cancels the others and a leftover chunk outlives the statement, so the
//! allocator is abandoned (`clear_alloc` with an error renews it) and the
//! leftover returns to the abandoned one after the session moved on.
//!
//! Workers are a persistent thread pool (as a Rust executor has), not threads
//! spawned per statement.
//!
//! The `name` and `comment` strings average [`Opts::str_bytes`] bytes a row
//! (default [`DEFAULT_STR_BYTES`], 8; `compare` also runs 24, 64 and 200):
//! at 8 a variable-width column mostly fits its first 8 KiB or grows once to
//! 16 KiB, which every pool keeps; wider text grows it past TiDB's flat 16
//! KiB limit, which `tidb-mutex` (built with [`PoolConfig::tidb`]) applies
//! and `chunkpool`'s default per-row limit does not, up to 128 B a row.
//!
//! Layout: this file runs statements ([`run`], [`run_named`]); `table` holds
//! the generated table and the operators; `report` what to run, what was
//! measured, and the one-contender child process protocol.

mod report;
mod table;

pub use report::{child_main, run_in_child, Opts, Report, CHILD_FLAG};
pub use table::{Table, OUT, SCAN};

use crate::shapes::ROWS;
use crate::sys;
use chunkpool::{
    Chunk, ChunkAllocator, EmptyAllocator, LockFreeAllocator, MutexAllocator, PoolConfig, Renew,
    SessionChunkPool, StatementOutcome, Stats,
};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::Instant;
use table::{filter, project, scan, sink};

/// Mean bytes a row of the `name` and `comment` strings unless asked otherwise.
pub const DEFAULT_STR_BYTES: usize = 8;

/// Contenders of S5 (`benches/README.md`), plus `floor`: workers reuse chunks they own,
/// which bounds what any allocator could gain here.
pub const CONTENDERS: [&str; 4] = ["chunkpool", "tidb-mutex", "malloc", "floor"];

/// An allocator a session can hold in S5.
pub trait SessionAlloc: ChunkAllocator + Renew + Clone + Send + Sync + 'static {
    /// `tidb_enable_reuse_chunk` for the session.
    const REUSE: bool = true;
    fn counters(&self) -> Option<Stats>;
}
impl SessionAlloc for LockFreeAllocator {
    fn counters(&self) -> Option<Stats> {
        Some(self.stats())
    }
}
impl SessionAlloc for MutexAllocator {
    fn counters(&self) -> Option<Stats> {
        Some(self.stats())
    }
}
/// `malloc`: reuse disabled for the session, so `chunk_allocator()` is the
/// empty allocator (TiDB with `tidb_enable_reuse_chunk = OFF`).
impl SessionAlloc for EmptyAllocator {
    const REUSE: bool = false;
    fn counters(&self) -> Option<Stats> {
        None
    }
}

#[derive(Default)]
struct Totals {
    rows_scanned: AtomicU64,
    rows_out: AtomicU64,
    checksum: AtomicU64,
    alloc_ns: AtomicU64,
    busy_ns: AtomicU64,
    chunks: AtomicU64,
}

/// Per-statement control shared with the workers.
struct Ctl {
    cursor: AtomicUsize,
    cancel: AtomicBool,
    /// Morsel at which this statement fails (usize::MAX: it does not).
    fail_at: AtomicUsize,
    errors: AtomicUsize,
    stop: AtomicBool,
    timed: AtomicBool,
}

/// `a += b` (or `a -= b`), wrapping: a baseline is subtracted before the
/// counters it is part of are added.
fn add(a: &mut Stats, b: &Stats, sign: i64) {
    let f = |x: &mut u64, y: u64| {
        *x = if sign >= 0 {
            x.wrapping_add(y)
        } else {
            x.wrapping_sub(y)
        }
    };
    f(&mut a.columns_reused, b.columns_reused);
    f(&mut a.columns_fresh, b.columns_fresh);
    f(&mut a.chunks_allocated, b.chunks_allocated);
    f(&mut a.chunks_from_cache, b.chunks_from_cache);
}

/// Runs the pipeline with a session holding `alloc`. With `floor`, workers
/// ignore the session and reuse chunks they own (the ceiling no allocator
/// can beat: what the pipeline costs with allocation taken away).
pub fn run<A: SessionAlloc>(
    name: &str,
    mut alloc: A,
    table: &Table,
    opts: &Opts,
    floor: bool,
) -> Report {
    let workers = opts.workers.max(1);
    let session = SessionChunkPool::<A>::new();
    session.set_reuse_enabled(A::REUSE);
    let morsels = table.rows.div_ceil(ROWS);
    let ctl = Ctl {
        cursor: AtomicUsize::new(0),
        cancel: AtomicBool::new(false),
        fail_at: AtomicUsize::new(usize::MAX),
        errors: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
        timed: AtomicBool::new(false),
    };
    let totals = Totals::default();
    let leftovers: Mutex<Vec<Chunk>> = Mutex::new(Vec::new());
    let (start, done) = (Barrier::new(workers + 1), Barrier::new(workers + 1));
    let mut report = Report {
        contender: name.to_string(),
        workers,
        str_bytes: opts.str_bytes,
        statements: opts.statements,
        ..Report::default()
    };
    // Counters of abandoned allocators, and the baseline at the first timed statement.
    let mut counted = Stats::default();
    let mut have_counters = false;

    std::thread::scope(|s| {
        for _ in 0..workers {
            let (session, ctl, totals, leftovers, start, done) =
                (&session, &ctl, &totals, &leftovers, &start, &done);
            s.spawn(move || {
                let mut sel = Vec::with_capacity(ROWS);
                let mut own = floor.then(|| {
                    (
                        Chunk::new(&SCAN, ROWS, ROWS),
                        Chunk::new(&SCAN, ROWS, ROWS),
                        Chunk::new(&OUT, ROWS, ROWS),
                    )
                });
                loop {
                    start.wait();
                    if ctl.stop.load(Ordering::Acquire) {
                        break;
                    }
                    let (mut rows, mut out_rows, mut sum) = (0u64, 0u64, 0u64);
                    let (mut alloc_ns, mut chunks) = (0u64, 0u64);
                    let busy = Instant::now();
                    while !ctl.cancel.load(Ordering::Relaxed) {
                        let m = ctl.cursor.fetch_add(1, Ordering::Relaxed);
                        if m >= morsels {
                            break;
                        }
                        let range = m * ROWS..((m + 1) * ROWS).min(table.rows);
                        if let Some((scanned, passed, out)) = own.as_mut() {
                            // floor: the worker's own chunks, reset per morsel.
                            let t = Instant::now();
                            scanned.reset();
                            passed.reset();
                            out.reset();
                            alloc_ns += t.elapsed().as_nanos() as u64;
                            scan(table, range.clone(), scanned);
                            if m == ctl.fail_at.load(Ordering::Relaxed) {
                                ctl.errors.fetch_add(1, Ordering::Relaxed);
                                ctl.cancel.store(true, Ordering::Relaxed);
                                break;
                            }
                            filter(scanned, passed, &mut sel);
                            project(passed, out);
                            sum = sum.wrapping_add(sink(out));
                            rows += range.len() as u64;
                            out_rows += out.num_rows() as u64;
                            chunks += 3;
                            continue;
                        }
                        // One read of the session slot per batch.
                        let a = session.chunk_allocator();
                        let t = Instant::now();
                        let mut scanned = a.alloc(&SCAN, ROWS, ROWS);
                        alloc_ns += t.elapsed().as_nanos() as u64;
                        scan(table, range.clone(), &mut scanned);
                        if m == ctl.fail_at.load(Ordering::Relaxed) {
                            // The statement fails here: cancel the others and
                            // leave this chunk behind, as a leftover worker would.
                            ctl.errors.fetch_add(1, Ordering::Relaxed);
                            ctl.cancel.store(true, Ordering::Relaxed);
                            leftovers.lock().unwrap().push(scanned);
                            break;
                        }
                        let t = Instant::now();
                        let mut passed = a.alloc(&SCAN, ROWS, ROWS);
                        alloc_ns += t.elapsed().as_nanos() as u64;
                        filter(&scanned, &mut passed, &mut sel);
                        let t = Instant::now();
                        drop(scanned);
                        let mut out = a.alloc(&OUT, ROWS, ROWS);
                        alloc_ns += t.elapsed().as_nanos() as u64;
                        project(&mut passed, &mut out);
                        sum = sum.wrapping_add(sink(&out));
                        rows += range.len() as u64;
                        out_rows += out.num_rows() as u64;
                        chunks += 3;
                        let t = Instant::now();
                        drop(passed);
                        drop(out);
                        alloc_ns += t.elapsed().as_nanos() as u64;
                    }
                    if ctl.timed.load(Ordering::Relaxed) {
                        let busy = busy.elapsed().as_nanos() as u64;
                        totals.rows_scanned.fetch_add(rows, Ordering::Relaxed);
                        totals.rows_out.fetch_add(out_rows, Ordering::Relaxed);
                        totals.checksum.fetch_add(sum, Ordering::Relaxed);
                        totals.alloc_ns.fetch_add(alloc_ns, Ordering::Relaxed);
                        totals.busy_ns.fetch_add(busy, Ordering::Relaxed);
                        totals.chunks.fetch_add(chunks, Ordering::Relaxed);
                    }
                    done.wait();
                }
            });
        }

        let mut t0 = Instant::now();
        let mut faults0 = sys::minor_faults();
        for stmt in 0..=opts.statements {
            // Statement 0 warms up, untimed.
            let timed = stmt > 0;
            if stmt == 1 {
                if let Some(c) = alloc.counters() {
                    add(&mut counted, &c, -1);
                    have_counters = true;
                }
                faults0 = sys::minor_faults();
                t0 = Instant::now();
            }
            let fails = timed && opts.fail_statement == Some(stmt - 1);
            session.begin_statement();
            session.set_alloc(Some(&alloc));
            ctl.cursor.store(0, Ordering::Relaxed);
            ctl.cancel.store(false, Ordering::Relaxed);
            ctl.errors.store(0, Ordering::Relaxed);
            ctl.timed.store(timed, Ordering::Relaxed);
            ctl.fail_at.store(
                if fails { morsels / 2 } else { usize::MAX },
                Ordering::Relaxed,
            );
            start.wait();
            done.wait();
            let has_err = ctl.errors.load(Ordering::Relaxed) > 0;
            if has_err {
                report.failed_statements += 1;
                report.abandoned_allocators += 1;
                if let Some(c) = alloc.counters() {
                    add(&mut counted, &c, 1);
                }
            }
            // TiDB's order: clear the slot (renewing the allocator on error),
            // then reset it.
            // A handle on the allocator being abandoned, if any, so what it
            // retains can be read once its leftover is back.
            let abandoned = has_err.then(|| alloc.clone());
            session.clear_alloc(&mut alloc, StatementOutcome::failed_if(has_err));
            alloc.reset();
            // The leftover chunk lets go only now; it returns to the
            // abandoned allocator, never to the renewed one.
            let returned = |a: &A| a.counters().map(|c| c.chunks_returned);
            let before = returned(&alloc);
            leftovers.lock().unwrap().clear();
            assert_eq!(
                before,
                returned(&alloc),
                "a leftover chunk of an abandoned allocator went back to the new one"
            );
            // Workers are parked and every chunk of the statement is back:
            // the pool's cache is at its largest for this statement.
            if let Some(c) = abandoned.as_ref().unwrap_or(&alloc).counters() {
                let b = c.retained_bytes as u64;
                report.retained_bytes_max = Some(report.retained_bytes_max.map_or(b, |m| m.max(b)));
            }
            drop(abandoned);
        }
        report.wall = t0.elapsed();
        report.minor_faults = sys::minor_faults().saturating_sub(faults0);
        ctl.stop.store(true, Ordering::Release);
        start.wait();
    });

    if have_counters {
        if let Some(c) = alloc.counters() {
            add(&mut counted, &c, 1);
        }
        let total = counted.columns_reused + counted.columns_fresh;
        report.reuse_rate = (total > 0).then(|| counted.columns_reused as f64 / total as f64);
        report.chunk_reuse_rate = (counted.chunks_allocated > 0)
            .then(|| counted.chunks_from_cache as f64 / counted.chunks_allocated as f64);
    }
    report.rows_scanned = totals.rows_scanned.into_inner();
    report.rows_out = totals.rows_out.into_inner();
    report.checksum = totals.checksum.into_inner();
    report.alloc_ns = totals.alloc_ns.into_inner();
    report.busy_ns = totals.busy_ns.into_inner();
    report.chunks = totals.chunks.into_inner();
    report.peak_rss_kb = sys::peak_rss_kb();
    report
}

/// Runs contender `name` ("chunkpool", "tidb-mutex", "malloc" or "floor").
/// `tidb-mutex` is TiDB's design with TiDB's limits ([`PoolConfig::tidb`]);
/// `chunkpool` has the default limits.
pub fn run_named(name: &str, table: &Table, opts: &Opts) -> Option<Report> {
    Some(match name {
        "chunkpool" => run(name, LockFreeAllocator::new(), table, opts, false),
        "tidb-mutex" => run(
            name,
            MutexAllocator::with_config(PoolConfig::tidb()),
            table,
            opts,
            false,
        ),
        "malloc" => run(name, EmptyAllocator, table, opts, false),
        "floor" => run(name, EmptyAllocator, table, opts, true),
        _ => return None,
    })
}
