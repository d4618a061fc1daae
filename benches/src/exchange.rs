//! S10 of `benches/README.md`, exchange: batches made on one thread and
//! dropped on another, so every pooled chunk goes home from a thread other
//! than the one that filled it.
//!
//! The batch is S9's scan shape ([`crate::engine`], 8192 rows, 4 columns:
//! `id` i64, `price` f64, `qty` i32, `name` text averaging 64 B a row, one
//! NULL in eight), made by [`Engine::make_full`] exactly as S9's scan makes
//! it (fill from the same table, then the export to a `RecordBatch`):
//!
//! * `chunkpool`: a [`chunkpool::LockFreeAllocator`] chunk (default
//!   `PoolConfig`), filled and exported;
//! * `unpooled`: the same with `Chunk::new` (no pool);
//! * `arrow-builders-exact`: arrow's builders sized exactly.
//!
//! Two ways to run the same batches:
//!
//! * [`Topology::Exchange`]: N producer threads make batches and send them,
//!   with their slice number, round robin over M bounded channels
//!   (`std::sync::mpsc::sync_channel`, [`QUEUE`] batches each), one per
//!   consumer thread; a consumer sums the prices (`arrow_arith`'s `sum`),
//!   checks the sum against the table and drops the batch.
//! * [`Topology::SameThread`]: T threads each make, sum and drop their own
//!   batches, no channel: the same work with no batch crossing threads.
//!
//! Both time making a batch (allocation, fill, export: on the producer)
//! and dropping it (where the pool takes its chunk back: on the consumer)
//! in thread CPU time (`CLOCK_THREAD_CPUTIME_ID`, so a thread preempted
//! mid-batch on an oversubscribed machine is not charged for it), so the
//! remote-return cost is the difference of (make + drop) between the two
//! topologies. The same-thread run has as many threads as the exchange
//! (N + M), so both keep the same number of threads busy.

use crate::alloc::{self, rusage};
use crate::engine::table::{SrcCol, PRICE};
use crate::engine::{Engine, Maker};
use crate::harness::whole_chunk_rate;
use arrow_arith::aggregate::sum;
use arrow_array::cast::AsArray;
use arrow_array::types::Float64Type;
use arrow_array::RecordBatch;
use chunkpool::Stats;
use serde_json::{json, Value};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::sync_channel;
use std::time::{Duration, Instant};

/// S10's batch shape: S9's scan at 8192 rows, 64 B text, 4 columns.
pub const ROWS: usize = 8192;
pub const WIDTH: usize = 64;
pub const COLUMNS: usize = 4;
/// Batches each consumer's channel holds before a producer waits.
pub const QUEUE: usize = 4;

/// S10's contenders, table order.
pub const CONTENDERS: [Maker; 3] = [Maker::Chunkpool, Maker::ArrowExact, Maker::Unpooled];

/// The first argument that makes `compare` an S10 child.
pub const CHILD_FLAG: &str = "--s10-child";

/// How the threads share the work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Topology {
    /// N producers, M consumers, every batch crossing a channel.
    Exchange { producers: usize, consumers: usize },
    /// T threads, each consuming what it makes.
    SameThread { threads: usize },
}

impl Topology {
    /// `NxM` (exchange) or `Tx0` written as `T` same-thread threads.
    pub fn name(self) -> String {
        match self {
            Topology::Exchange {
                producers,
                consumers,
            } => format!("{producers}x{consumers}"),
            Topology::SameThread { threads } => format!("same-thread {threads}"),
        }
    }

    /// The same-thread run that does the same work as this exchange with
    /// as many threads (N + M), each making and consuming its own batches.
    pub fn same_thread(self) -> Topology {
        match self {
            Topology::Exchange {
                producers,
                consumers,
            } => Topology::SameThread {
                threads: producers + consumers,
            },
            t => t,
        }
    }
}

/// Parses `1x1,2x2` into exchange topologies.
pub fn parse_pairs(s: &str) -> Result<Vec<Topology>, String> {
    s.split(',')
        .map(|p| {
            let (a, b) = p.split_once('x').ok_or_else(|| format!("pair {p}: NxM"))?;
            let n: usize = a.parse().map_err(|e| format!("pair {p}: {e}"))?;
            let m: usize = b.parse().map_err(|e| format!("pair {p}: {e}"))?;
            if n == 0 || m == 0 {
                return Err(format!("pair {p}: at least one producer and consumer"));
            }
            Ok(Topology::Exchange {
                producers: n,
                consumers: m,
            })
        })
        .collect()
}

/// Batches consumed before the timed window opens (at least; besides
/// the warm-up time), so every cache the contender has is filled.
const WARM_BATCHES: u64 = 16;
const WARM: u8 = 0;
const TIMED: u8 = 1;
const STOP: u8 = 2;

/// What one thread did inside the timed window.
#[derive(Default)]
struct Tally {
    make: Duration,
    made: u64,
    drop: Duration,
    dropped: u64,
    /// Batches whose price sum was not the table's (any phase).
    wrong: u64,
}

impl Tally {
    fn add(&mut self, o: Tally) {
        self.make += o.make;
        self.made += o.made;
        self.drop += o.drop;
        self.dropped += o.dropped;
        self.wrong += o.wrong;
    }
}

/// One S10 sample.
pub struct Sample {
    pub topology: Topology,
    /// Batches consumed inside the timed window.
    pub batches: u64,
    pub wall: Duration,
    /// The process's CPU time (user + system) over the window.
    pub cpu: Duration,
    /// Mean thread CPU time making a batch (allocation, fill, export),
    /// producer side.
    pub make_ns: f64,
    /// Mean thread CPU time dropping a batch, consumer side.
    pub drop_ns: f64,
    pub wrong: u64,
    pub minor_faults: u64,
    pub stats_before: Option<Stats>,
    pub stats_after: Option<Stats>,
    /// `retained_bytes` once every thread of the sample has ended.
    pub retained: Option<usize>,
}

impl Sample {
    /// Wall nanoseconds per batch (the pipeline's throughput, inverted).
    pub fn ns_per_batch(&self) -> f64 {
        self.wall.as_nanos() as f64 / self.batches.max(1) as f64
    }

    /// CPU nanoseconds per batch, all threads.
    pub fn cpu_ns_per_batch(&self) -> f64 {
        self.cpu.as_nanos() as f64 / self.batches.max(1) as f64
    }

    /// `chunks_from_cache / chunks_allocated` over the window.
    pub fn from_cache(&self) -> Option<f64> {
        whole_chunk_rate(self.stats_before.as_ref(), self.stats_after.as_ref())
    }
}

/// The calling thread's CPU time.
fn thread_cpu() -> Duration {
    // SAFETY: an all-zero `timespec` is a valid value of the plain C struct.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: `ts` is a valid, writable `timespec` for the call.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The process's user + system CPU time.
fn cpu_time() -> Duration {
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable `rusage` for the call.
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) } != 0 {
        return Duration::ZERO;
    }
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// S10 in one process: S9's engine at S10's shape (its table, pool and
/// schemas), and each slice's price sum.
pub struct Exchange {
    pub e: Engine,
    sums: Vec<f64>,
}

impl Default for Exchange {
    fn default() -> Self {
        Exchange::new()
    }
}

impl Exchange {
    pub fn new() -> Exchange {
        let e = Engine::new(ROWS, WIDTH, COLUMNS);
        let SrcCol::F64(price) = &e.src.cols[PRICE] else {
            unreachable!("price is f64");
        };
        // Multiples of 0.25 below 10 000: exact in any summation order.
        let sums = (0..e.src.slices())
            .map(|k| price[e.src.range(k)].iter().sum())
            .collect();
        Exchange { e, sums }
    }

    /// The consumer's kernel: the sum of the prices.
    fn consume(&self, b: &RecordBatch) -> f64 {
        sum(b.column(PRICE).as_primitive::<Float64Type>()).unwrap_or(0.0)
    }

    /// Checks, untimed, that `who`'s batches hold the table (S9's check)
    /// and give every slice's price sum.
    pub fn verify(&self, who: Maker) -> Result<(), String> {
        self.e.verify(who)?;
        let mut local = self.e.local(who);
        for k in 0..self.e.src.slices() {
            let b = self.e.make_full(who, &mut local, k);
            let got = self.consume(&b);
            if b.num_rows() != ROWS || got != self.sums[k] {
                return Err(format!(
                    "{}: slice {k}: {} rows, price sum {got}, expected {ROWS} rows, {}",
                    who.name(),
                    b.num_rows(),
                    self.sums[k]
                ));
            }
        }
        Ok(())
    }

    /// (allocating calls, frees) per batch through the global allocator:
    /// one thread making, summing and dropping `n` batches after as many
    /// untimed.
    pub fn count_calls(&self, who: Maker, n: usize) -> (f64, f64) {
        let mut local = self.e.local(who);
        let slices = self.e.src.slices();
        for k in 0..n {
            let b = self.e.make_full(who, &mut local, k % slices);
            black_box(self.consume(&b));
        }
        alloc::counting(true);
        let (a0, f0) = alloc::counts();
        for k in 0..n {
            let b = self.e.make_full(who, &mut local, k % slices);
            black_box(self.consume(&b));
        }
        let (a1, f1) = alloc::counts();
        alloc::counting(false);
        ((a1 - a0) as f64 / n as f64, (f1 - f0) as f64 / n as f64)
    }

    /// One sample: the threads of `t` run for `warm` untimed, then `dur`
    /// timed (the window), then stop and drain.
    pub fn sample(&self, who: Maker, t: Topology, warm: Duration, dur: Duration) -> Sample {
        let phase = AtomicU8::new(WARM);
        let consumed = AtomicU64::new(0);
        let pooled = who == Maker::Chunkpool;
        let stats = || pooled.then(|| self.e.pool.stats());
        let mut window = (Duration::ZERO, Duration::ZERO, 0u64, None, None);
        let tally = std::thread::scope(|s| {
            let handles = match t {
                Topology::Exchange {
                    producers,
                    consumers,
                } => self.spawn_exchange(s, who, producers, consumers, &phase, &consumed),
                Topology::SameThread { threads } => (0..threads)
                    .map(|i| {
                        let (phase, consumed) = (&phase, &consumed);
                        s.spawn(move || self.same_thread(who, i, phase, consumed))
                    })
                    .collect(),
            };
            std::thread::sleep(warm);
            while consumed.load(Ordering::Relaxed) < WARM_BATCHES {
                std::thread::sleep(Duration::from_millis(1));
            }
            let (f0, c0, s0) = (rusage().0, cpu_time(), stats());
            let t0 = Instant::now();
            phase.store(TIMED, Ordering::Relaxed);
            std::thread::sleep(dur);
            phase.store(STOP, Ordering::Relaxed);
            let wall = t0.elapsed();
            window = (
                wall,
                cpu_time().saturating_sub(c0),
                rusage().0.saturating_sub(f0),
                s0,
                stats(),
            );
            let mut all = Tally::default();
            for h in handles {
                all.add(h.join().expect("S10 thread panicked"));
            }
            all
        });
        let (wall, cpu, faults, before, after) = window;
        Sample {
            topology: t,
            batches: tally.dropped,
            wall,
            cpu,
            make_ns: tally.make.as_nanos() as f64 / tally.made.max(1) as f64,
            drop_ns: tally.drop.as_nanos() as f64 / tally.dropped.max(1) as f64,
            wrong: tally.wrong,
            minor_faults: faults,
            stats_before: before,
            stats_after: after,
            retained: stats().map(|st| st.retained_bytes),
        }
    }

    /// Starts M consumers, each behind a bounded channel, and N producers
    /// that send round robin over the channels; every thread stops at
    /// [`STOP`] (consumers once their channel is empty and every producer
    /// is gone).
    fn spawn_exchange<'s, 'e>(
        &'e self,
        s: &'s std::thread::Scope<'s, 'e>,
        who: Maker,
        producers: usize,
        consumers: usize,
        phase: &'e AtomicU8,
        consumed: &'e AtomicU64,
    ) -> Vec<std::thread::ScopedJoinHandle<'s, Tally>> {
        let mut handles = Vec::new();
        let mut txs = Vec::new();
        for _ in 0..consumers {
            let (tx, rx) = sync_channel::<(usize, RecordBatch)>(QUEUE);
            txs.push(tx);
            handles.push(s.spawn(move || {
                let mut t = Tally::default();
                while let Ok((k, b)) = rx.recv() {
                    let timed = phase.load(Ordering::Relaxed) == TIMED;
                    self.sum_and_drop(k, b, timed, consumed, &mut t);
                }
                t
            }));
        }
        for p in 0..producers {
            let txs = txs.clone();
            handles.push(s.spawn(move || {
                self.make_loop(who, p, phase, |i, k, b, _, _| {
                    txs[i % txs.len()].send((k, b)).is_ok()
                })
            }));
        }
        handles
    }

    /// One same-thread worker: make, sum, drop, until [`STOP`].
    fn same_thread(&self, who: Maker, i: usize, phase: &AtomicU8, consumed: &AtomicU64) -> Tally {
        self.make_loop(who, i, phase, |_, k, b, timed, t| {
            self.sum_and_drop(k, b, timed, consumed, t);
            true
        })
    }

    /// The loop of every thread that makes batches (a producer, a
    /// same-thread worker): from slice `3 × i` on, make `who`'s batch of
    /// the next slice (its thread CPU time counted as make time when the
    /// phase read before it was [`TIMED`]) and hand it to
    /// `then(i, slice, batch, timed, tally)`, until [`STOP`] or until
    /// `then` returns false.
    fn make_loop(
        &self,
        who: Maker,
        i: usize,
        phase: &AtomicU8,
        mut then: impl FnMut(usize, usize, RecordBatch, bool, &mut Tally) -> bool,
    ) -> Tally {
        let mut t = Tally::default();
        let mut local = self.e.local(who);
        let slices = self.e.src.slices();
        let mut i = i * 3;
        loop {
            let ph = phase.load(Ordering::Relaxed);
            if ph == STOP {
                break;
            }
            let k = i % slices;
            let t0 = thread_cpu();
            let b = self.e.make_full(who, &mut local, k);
            let d = thread_cpu().saturating_sub(t0);
            let timed = ph == TIMED;
            if timed {
                t.make += d;
                t.made += 1;
            }
            if !then(i, k, b, timed, &mut t) {
                break;
            }
            i += 1;
        }
        t
    }

    /// The consuming end of a batch of slice `k` (a consumer, a
    /// same-thread worker): sum its prices (a wrong sum is counted), drop
    /// it (its thread CPU time counted as drop time when `timed`), count
    /// it in `consumed`.
    fn sum_and_drop(
        &self,
        k: usize,
        b: RecordBatch,
        timed: bool,
        consumed: &AtomicU64,
        t: &mut Tally,
    ) {
        if self.consume(black_box(&b)) != self.sums[k] {
            t.wrong += 1;
        }
        let t0 = thread_cpu();
        drop(b);
        let d = thread_cpu().saturating_sub(t0);
        consumed.fetch_add(1, Ordering::Relaxed);
        if timed {
            t.drop += d;
            t.dropped += 1;
        }
    }
}

/// One S10 child run under the process's allocator; `a` are the arguments
/// after [`CHILD_FLAG`]: `CONTENDER PAIRS SAMPLE_MS`, PAIRS as `1x1,2x2`.
/// Every pair runs as an exchange and as its same-thread counterpart,
/// each `SAMPLE_MS` after a quarter of that as warm-up.
pub fn child_main(a: &[String]) -> Result<Value, String> {
    let arg = |i: usize, what: &str| a.get(i).ok_or_else(|| format!("missing {what}"));
    let who = Maker::from_name(arg(0, "contender")?)
        .filter(|m| CONTENDERS.contains(m))
        .ok_or_else(|| format!("unknown S10 contender {}", a[0]))?;
    let pairs = parse_pairs(arg(1, "pairs")?)?;
    let ms: u64 = arg(2, "sample ms")?
        .parse()
        .map_err(|e| format!("sample ms: {e}"))?;
    let (dur, warm) = (Duration::from_millis(ms), Duration::from_millis(ms / 4));

    let x = Exchange::new();
    let from = crate::sys::PeakFrom::here();
    x.verify(who)?;
    let (allocs, frees) = x.count_calls(who, 2 * x.e.src.slices());
    // As S9's child: this thread runs no timed batch, so the chunks it
    // cached go to the pool's depot, where the timed threads take them.
    x.e.pool.release_thread_cache();

    let mut samples = Vec::new();
    for &pair in &pairs {
        for t in [pair, pair.same_thread()] {
            let s = x.sample(who, t, warm, dur);
            if s.wrong > 0 {
                return Err(format!(
                    "{}: {} batches gave a wrong price sum ({})",
                    who.name(),
                    s.wrong,
                    t.name()
                ));
            }
            samples.push(json!({
                "pair": pair.name(),
                "mode": if t == pair { "exchange" } else { "same-thread" },
                "batches": s.batches,
                "ns_per_batch": s.ns_per_batch(),
                "cpu_ns_per_batch": s.cpu_ns_per_batch(),
                "make_ns": s.make_ns,
                "drop_ns": s.drop_ns,
                "faults_per_batch": s.minor_faults as f64 / s.batches.max(1) as f64,
                "from_cache": s.from_cache(),
                "retained_bytes": s.retained,
            }));
        }
    }
    Ok(json!({
        "allocator": alloc::current().name(),
        "contender": who.name(),
        "allocs_per_batch": allocs,
        "frees_per_batch": frees,
        "base_rss_kb": from.base_kb,
        "peak_rss_kb": from.peak_kb(),
        "peak_since_base": from.reset,
        "samples": samples,
    }))
}
