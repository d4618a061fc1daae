//! S5: a small vectorized executor driven through the session slot the way
//! TiDB's server drives it.
//!
//! A statement scans a generated table with `workers` parallel workers. Each
//! worker claims 1024-row morsels and runs scan → filter → project on them:
//! the scan fills a chunk of the table's layout, the filter copies the rows
//! that pass into a second chunk, the projection computes an output chunk of
//! another layout, and a sink folds it into a checksum. Every chunk comes from
//! `session.chunk_allocator()` and is dropped once consumed, as batches are
//! in Rust executors, so the allocator is on the path of every morsel.
//!
//! Per statement, exactly as TiDB's server: `begin_statement`, `set_alloc`,
//! workers allocate from many threads, `clear_alloc(&mut a, has_err)`,
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

use super::shapes::{F8, ROWS};
use super::strings::{push_text, splitmix, text_len};
use super::sys;
use chunkpool::{
    Chunk, ChunkAllocator, EmptyAllocator, FieldType, LockFreeAllocator, MutexAllocator,
    PoolConfig, Renew, SessionChunkPool, Stats,
};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

/// The scanned table's layout (PERF.md's F8): name, comment, discount,
/// amount (decimal), id, qty, price, flags.
pub const SCAN: [FieldType; 8] = F8;
const NAME: usize = 0;
const COMMENT: usize = 1;
const DISCOUNT: usize = 2;
const AMOUNT: usize = 3;
const ID: usize = 4;
const QTY: usize = 5;
const PRICE: usize = 6;
const FLAGS: usize = 7;

/// The projection's layout: id, revenue, name prefix, amount.
pub const OUT: [FieldType; 4] = [
    FieldType::I64,
    FieldType::F64,
    FieldType::VAR,
    FieldType::DECIMAL,
];

/// Mean bytes a row of the `name` and `comment` strings unless asked otherwise.
pub const DEFAULT_STR_BYTES: usize = 8;

/// Contenders of S5 (PERF.md), plus `floor`: workers reuse chunks they own,
/// which bounds what any allocator could gain here.
pub const CONTENDERS: [&str; 4] = ["chunkpool", "tidb-mutex", "malloc", "floor"];

/// Variable-width values stored back to back.
#[derive(Default)]
struct Strings {
    data: Vec<u8>,
    ends: Vec<usize>,
    null: Vec<bool>,
}

impl Strings {
    fn push(&mut self, v: Option<&[u8]>) {
        self.data.extend_from_slice(v.unwrap_or_default());
        self.ends.push(self.data.len());
        self.null.push(v.is_none());
    }
    fn get(&self, i: usize) -> Option<&[u8]> {
        if self.null[i] {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.data[start..self.ends[i]])
    }
}

/// A generated table, held column by column like a storage layer's blocks.
pub struct Table {
    pub rows: usize,
    name: Strings,
    comment: Strings,
    discount: Vec<f32>,
    amount: Vec<[u8; 40]>,
    id: Vec<i64>,
    qty: Vec<i64>,
    price: Vec<f64>,
    flags: Vec<u64>,
}

impl Table {
    /// `rows` rows from a fixed seed. `name` and every non-NULL `comment`
    /// (one in 13 is NULL) have lengths uniform on `1..=2·str_bytes−1`, so
    /// they average `str_bytes` bytes a row: at 8 a variable-width column
    /// mostly fits its initial 8 KiB (sometimes it grows once, to 16 KiB,
    /// which is still cached); wider text makes it grow further. The other
    /// columns do not depend on `str_bytes`.
    pub fn generate(rows: usize, str_bytes: usize) -> Table {
        let mut s = 0x5eed_u64;
        // Letters come from a sequence of their own, so the numeric columns
        // (and which rows pass the filter) are the same at every width.
        let mut text = 0x7e47_u64;
        let mut t = Table {
            rows,
            name: Strings::default(),
            comment: Strings::default(),
            discount: Vec::with_capacity(rows),
            amount: Vec::with_capacity(rows),
            id: Vec::with_capacity(rows),
            qty: Vec::with_capacity(rows),
            price: Vec::with_capacity(rows),
            flags: Vec::with_capacity(rows),
        };
        let mut buf = Vec::with_capacity(2 * str_bytes);
        for i in 0..rows {
            let r = splitmix(&mut s);
            buf.clear();
            push_text(&mut buf, text_len(r, str_bytes), &mut text);
            t.name.push(Some(&buf));
            let r2 = splitmix(&mut s);
            if i % 13 == 0 {
                t.comment.push(None);
            } else {
                buf.clear();
                push_text(&mut buf, text_len(r2 >> 7, str_bytes), &mut text);
                t.comment.push(Some(&buf));
            }
            t.discount.push((r2 % 100) as f32 / 1000.0);
            let mut dec = [0u8; 40];
            dec[..8].copy_from_slice(&r.to_le_bytes());
            t.amount.push(dec);
            t.id.push(i as i64);
            t.qty.push(1 + (r >> 20) as i64 % 50);
            t.price
                .push(1.0 + (r >> 32) as f64 / u32::MAX as f64 * 99.0);
            t.flags.push(r2);
        }
        t
    }
}

/// Scan: fill `chk` with rows `r` of the table.
fn scan(t: &Table, r: Range<usize>, chk: &mut Chunk) {
    let n = r.len();
    {
        let c = chk.column_mut(NAME);
        for i in r.clone() {
            c.append_bytes(t.name.get(i).unwrap_or_default());
        }
    }
    {
        let c = chk.column_mut(COMMENT);
        for i in r.clone() {
            match t.comment.get(i) {
                Some(b) => c.append_bytes(b),
                None => c.append_null(),
            }
        }
    }
    {
        let c = chk.column_mut(AMOUNT);
        for v in &t.amount[r.clone()] {
            c.append_fixed_bytes(v);
        }
    }
    macro_rules! copy {
        ($col:expr, $ty:ty, $src:expr) => {{
            let c = chk.column_mut($col);
            c.resize(n, false);
            c.as_mut_slice::<$ty>().copy_from_slice(&$src[r.clone()]);
        }};
    }
    copy!(DISCOUNT, f32, t.discount);
    copy!(ID, i64, t.id);
    copy!(QTY, i64, t.qty);
    copy!(PRICE, f64, t.price);
    copy!(FLAGS, u64, t.flags);
}

/// Filter: rows with `qty <= 25 and discount < 0.08` (about 40%), copied
/// into `out` (same layout).
fn filter(inp: &Chunk, out: &mut Chunk, sel: &mut Vec<usize>) {
    sel.clear();
    {
        let qty = inp.column(QTY).as_slice::<i64>();
        let disc = inp.column(DISCOUNT).as_slice::<f32>();
        sel.extend((0..inp.num_rows()).filter(|&i| qty[i] <= 25 && disc[i] < 0.08));
    }
    for col in [NAME, COMMENT] {
        let (src, dst) = (inp.column(col), out.column_mut(col));
        for &i in sel.iter() {
            if src.is_null(i) {
                dst.append_null();
            } else {
                dst.append_bytes(src.get_bytes(i));
            }
        }
    }
    {
        let (src, dst) = (inp.column(AMOUNT), out.column_mut(AMOUNT));
        for &i in sel.iter() {
            dst.append_fixed_bytes(src.get_fixed_bytes(i));
        }
    }
    macro_rules! gather {
        ($col:expr, $ty:ty) => {{
            let src = inp.column($col).as_slice::<$ty>();
            let dst = out.column_mut($col);
            dst.resize(sel.len(), false);
            for (d, &i) in dst.as_mut_slice::<$ty>().iter_mut().zip(sel.iter()) {
                *d = src[i];
            }
        }};
    }
    gather!(DISCOUNT, f32);
    gather!(ID, i64);
    gather!(QTY, i64);
    gather!(PRICE, f64);
    gather!(FLAGS, u64);
}

/// Project: id, revenue = price * qty * (1 - discount), the name's first 4
/// bytes, amount.
fn project(inp: &Chunk, out: &mut Chunk) {
    let n = inp.num_rows();
    {
        let dst = out.column_mut(0);
        dst.resize(n, false);
        dst.as_mut_slice::<i64>()
            .copy_from_slice(inp.column(ID).as_slice::<i64>());
    }
    {
        let (p, q, d) = (
            inp.column(PRICE).as_slice::<f64>(),
            inp.column(QTY).as_slice::<i64>(),
            inp.column(DISCOUNT).as_slice::<f32>(),
        );
        let dst = out.column_mut(1);
        dst.resize(n, false);
        for (i, v) in dst.as_mut_slice::<f64>().iter_mut().enumerate() {
            *v = p[i] * q[i] as f64 * (1.0 - f64::from(d[i]));
        }
    }
    {
        let (src, dst) = (inp.column(NAME), out.column_mut(2));
        for i in 0..n {
            let b = src.get_bytes(i);
            dst.append_bytes(&b[..b.len().min(4)]);
        }
    }
    {
        let (src, dst) = (inp.column(AMOUNT), out.column_mut(3));
        for i in 0..n {
            dst.append_fixed_bytes(src.get_fixed_bytes(i));
        }
    }
}

/// Sink: what a client would receive, folded into a checksum.
fn sink(out: &Chunk) -> u64 {
    let ids: i64 = out.column(0).as_slice::<i64>().iter().sum();
    let rev: f64 = out.column(1).as_slice::<f64>().iter().sum();
    let names = out.column(2).data().len() as u64;
    (ids as u64) ^ rev.to_bits().rotate_left(17) ^ names
}

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

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    pub workers: usize,
    /// Table rows = rows each statement scans.
    pub rows: usize,
    /// Timed statements (one more, untimed, warms up first).
    pub statements: usize,
    /// The timed statement (0-based) that fails half-way, if any.
    pub fail_statement: Option<usize>,
    /// Mean bytes a row of the `name` and `comment` strings
    /// ([`DEFAULT_STR_BYTES`] unless a width is being measured).
    pub str_bytes: usize,
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub contender: String,
    pub workers: usize,
    /// Mean bytes a row of the table's strings.
    pub str_bytes: usize,
    pub statements: usize,
    pub failed_statements: usize,
    pub rows_scanned: u64,
    pub rows_out: u64,
    pub checksum: u64,
    pub wall: Duration,
    /// Worker time inside `alloc` and dropping chunks, summed over workers.
    pub alloc_ns: u64,
    /// Worker time spent on morsels, summed over workers.
    pub busy_ns: u64,
    pub chunks: u64,
    /// Columns handed out from the cache / all columns handed out, over the
    /// timed statements.
    pub reuse_rate: Option<f64>,
    /// Chunks handed out as whole cached chunks / all chunks handed out
    /// (`Stats::chunks_from_cache / chunks_allocated`), same statements.
    pub chunk_reuse_rate: Option<f64>,
    pub abandoned_allocators: usize,
    pub peak_rss_kb: Option<u64>,
    /// Minor page faults of the process during the timed statements.
    pub minor_faults: u64,
}

impl Report {
    pub fn rows_per_sec(&self) -> f64 {
        self.rows_scanned as f64 / self.wall.as_secs_f64()
    }
    /// Minor page faults per 1024-row morsel.
    pub fn faults_per_morsel(&self) -> f64 {
        self.minor_faults as f64 / (self.rows_scanned as f64 / ROWS as f64).max(1.0)
    }

    /// Share of worker time spent getting and returning chunks.
    pub fn alloc_share(&self) -> f64 {
        self.alloc_ns as f64 / self.busy_ns.max(1) as f64
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "contender": self.contender,
            "workers": self.workers,
            "str_bytes": self.str_bytes,
            "statements": self.statements,
            "failed_statements": self.failed_statements,
            "rows_scanned": self.rows_scanned,
            "rows_out": self.rows_out,
            "checksum": self.checksum,
            "wall_ns": self.wall.as_nanos() as u64,
            "alloc_ns": self.alloc_ns,
            "busy_ns": self.busy_ns,
            "chunks": self.chunks,
            "reuse_rate": self.reuse_rate,
            "chunk_reuse_rate": self.chunk_reuse_rate,
            "abandoned_allocators": self.abandoned_allocators,
            "peak_rss_kb": self.peak_rss_kb,
            "minor_faults": self.minor_faults,
            "rows_per_sec": self.rows_per_sec(),
            "alloc_share": self.alloc_share(),
        })
    }

    pub fn from_json(v: &serde_json::Value) -> Option<Report> {
        let u = |k: &str| v.get(k).and_then(|x| x.as_u64());
        Some(Report {
            contender: v.get("contender")?.as_str()?.to_string(),
            workers: u("workers")? as usize,
            str_bytes: u("str_bytes").map_or(DEFAULT_STR_BYTES, |b| b as usize),
            statements: u("statements")? as usize,
            failed_statements: u("failed_statements")? as usize,
            rows_scanned: u("rows_scanned")?,
            rows_out: u("rows_out")?,
            checksum: u("checksum")?,
            wall: Duration::from_nanos(u("wall_ns")?),
            alloc_ns: u("alloc_ns")?,
            busy_ns: u("busy_ns")?,
            chunks: u("chunks")?,
            reuse_rate: v.get("reuse_rate").and_then(|x| x.as_f64()),
            chunk_reuse_rate: v.get("chunk_reuse_rate").and_then(|x| x.as_f64()),
            abandoned_allocators: u("abandoned_allocators")? as usize,
            peak_rss_kb: u("peak_rss_kb"),
            minor_faults: u("minor_faults").unwrap_or(0),
        })
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
                        project(&passed, &mut out);
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
            session.clear_alloc(&mut alloc, has_err);
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

/// The flag a binary recognises to act as a one-contender child.
pub const CHILD_FLAG: &str = "--pipeline-child";

/// Child side: `args` after [`CHILD_FLAG`] are contender, workers, rows,
/// statements, failing statement (or -1) and, optionally, the strings' mean
/// bytes a row (default [`DEFAULT_STR_BYTES`]). Runs and prints one JSON
/// line.
pub fn child_main(args: &[String]) -> Result<(), String> {
    let get = |i: usize| {
        args.get(i)
            .ok_or_else(|| format!("{CHILD_FLAG}: missing argument {i}"))
    };
    let name = get(0)?.clone();
    let num = |i: usize| -> Result<i64, String> { get(i)?.parse().map_err(|e| format!("{e}")) };
    let opts = Opts {
        workers: num(1)? as usize,
        rows: num(2)? as usize,
        statements: num(3)? as usize,
        fail_statement: usize::try_from(num(4)?).ok(),
        str_bytes: match args.get(5) {
            Some(_) => num(5)? as usize,
            None => DEFAULT_STR_BYTES,
        },
    };
    let table = Table::generate(opts.rows, opts.str_bytes);
    let r = run_named(&name, &table, &opts).ok_or_else(|| format!("unknown contender {name}"))?;
    println!("{}", r.to_json());
    Ok(())
}

/// Parent side: runs one contender in a child process (`exe` must call
/// [`child_main`] when given [`CHILD_FLAG`]), so its peak RSS is its own.
pub fn run_in_child(exe: &Path, name: &str, opts: &Opts) -> Result<Report, String> {
    let out = std::process::Command::new(exe)
        .arg(CHILD_FLAG)
        .arg(name)
        .arg(opts.workers.to_string())
        .arg(opts.rows.to_string())
        .arg(opts.statements.to_string())
        .arg(opts.fail_statement.map_or(-1, |s| s as i64).to_string())
        .arg(opts.str_bytes.to_string())
        .output()
        .map_err(|e| format!("spawning {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{name} child failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
    Report::from_json(&v).ok_or_else(|| format!("bad child report: {line}"))
}
