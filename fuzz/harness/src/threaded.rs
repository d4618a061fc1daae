//! `threaded_ops`: 2 or 3 worker threads run their own operation lists at
//! once against one session and its allocators (all lock-free or all
//! mutex, as the input's `kind` says); between phases every
//! worker parks at a barrier and the main thread checks the invariants over
//! everything (contents of every live chunk, buffer identity across
//! threads, the counters summed over every allocator, the bounds of each,
//! the session flags where the interleaving does not decide them).
//!
//! Chunks move between workers (`Give`): one thread allocates a chunk,
//! another changes its columns (replace, swap, clone) or drops it, a third
//! allocates its layout again; workers race `trim` and
//! `set_alloc` / `clear_alloc` with allocations; one may panic while
//! holding chunks. Under AddressSanitizer (cargo fuzz's default) memory
//! errors on the way are caught as well.

use crate::columns::{clone_column_into, replace_column, swap_columns};
use crate::counters::{check_bounds, check_counts, sum_stats};
use crate::fresh::check_new_chunk;
use crate::input::{field_types, Kind, MainOp, Phase, ThreadOp, ThreadedInput, MAX_LIVE};
use crate::model::{admit, col_op, drop_live, make_ref, reset_chunk, Expect, Live, Sinks};
use crate::panics::{expect_panic, install_panic_filter, message, WORKER_PANIC};
use crate::verify::{verify, verify_identity};
use crate::world::{make_ref_to_picked, pick, Pool};
use chunkpool::{
    FieldType, LockFreeAllocator, MutexAllocator, PoolConfig, SessionChunkPool, StatementOutcome,
};
use std::any::Any;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

const MAX_PHASES: usize = 12;
const MAX_MAIN_OPS: usize = 6;
const MAX_THREAD_OPS: usize = 24;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A barrier that a failing thread can break, so one failed assertion does
/// not leave the others waiting forever (under `cargo test`).
struct Gate {
    state: Mutex<(usize, u64)>,
    cv: Condvar,
    n: usize,
    failed: AtomicBool,
}

impl Gate {
    fn new(n: usize) -> Gate {
        Gate {
            state: Mutex::new((0, 0)),
            cv: Condvar::new(),
            n,
            failed: AtomicBool::new(false),
        }
    }

    fn wait(&self) {
        let mut g = lock(&self.state);
        let gen = g.1;
        g.0 += 1;
        if g.0 == self.n {
            g.0 = 0;
            g.1 += 1;
            self.cv.notify_all();
            return;
        }
        while g.1 == gen && !self.failed.load(Ordering::SeqCst) {
            g = self.cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        drop(g);
        if self.failed.load(Ordering::SeqCst) {
            std::panic::panic_any(GATE_BROKEN);
        }
    }

    fn fail(&self) {
        self.failed.store(true, Ordering::SeqCst);
        let _g = lock(&self.state);
        self.cv.notify_all();
    }
}

/// What a thread waiting at the gate panics with once another failed.
const GATE_BROKEN: &str = "another thread of this input failed";

/// Of the panics of one input's threads, the one that says what went
/// wrong: the others only say that another thread failed.
fn first_cause(mut panics: Vec<Box<dyn Any + Send>>) -> Option<Box<dyn Any + Send>> {
    let i = panics
        .iter()
        .position(|p| message(&**p) != GATE_BROKEN)
        .unwrap_or(0);
    (!panics.is_empty()).then(|| panics.swap_remove(i))
}

/// A session fact the interleaving may leave undecided.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Known<T> {
    Is(T),
    Unknown,
}

struct Shared<'a, P: Pool> {
    cfg: PoolConfig,
    phases: &'a [Phase],
    nworkers: usize,
    session: SessionChunkPool<P>,
    /// The caller's allocator.
    current: Mutex<P>,
    /// Every allocator made (the first, and each one `clear_alloc(err)` made).
    pools: Mutex<Vec<P>>,
    owned: [Mutex<Vec<Live>>; 3],
    inbox: [Mutex<Vec<Live>>; 3],
    /// Expectations summed over all pools (pooled chunks have home 0).
    exp: Mutex<Expect>,
    session_allocs: AtomicUsize,
    /// What a session alloc in this phase must return (pooled or not), when
    /// the phase has no racing set/clear and the slot is known.
    expect_pooled: Mutex<Option<bool>>,
    gate: Gate,
}

fn is_chaos(op: &ThreadOp) -> bool {
    matches!(op, ThreadOp::SetAlloc | ThreadOp::ClearAlloc { .. })
}

fn worker<P: Pool>(w: usize, sh: &Shared<'_, P>) {
    for phase in sh.phases {
        sh.gate.wait();
        let mut mine = std::mem::take(&mut *lock(&sh.owned[w]));
        let mut exp = vec![Expect::default()];
        for op in phase.workers[w].iter().take(MAX_THREAD_OPS) {
            worker_step(w, sh, op, &mut mine, &mut exp);
        }
        *lock(&sh.owned[w]) = mine;
        lock(&sh.exp).merge(&exp[0]);
        sh.gate.wait();
    }
    // Last round: every worker drops what it holds (chunks other threads
    // allocated included), then exits.
    sh.gate.wait();
    let mine = std::mem::take(&mut *lock(&sh.owned[w]));
    let mut exp = vec![Expect::default()];
    for live in mine {
        drop_live(
            live,
            &mut Sinks {
                cfg: &sh.cfg,
                exp: &mut exp,
            },
        );
    }
    lock(&sh.exp).merge(&exp[0]);
    sh.gate.wait();
}

fn worker_step<P: Pool>(
    w: usize,
    sh: &Shared<'_, P>,
    op: &ThreadOp,
    mine: &mut Vec<Live>,
    exp: &mut Vec<Expect>,
) {
    let cfg = &sh.cfg;
    match op {
        ThreadOp::Alloc { fields, cap, max } => {
            if mine.len() >= MAX_LIVE {
                drop_live(mine.remove(0), &mut Sinks { cfg, exp });
            }
            let ft = field_types(fields);
            let pool = lock(&sh.current).clone();
            let (cap, max) = (usize::from(*cap), usize::from(*max));
            if let Some(live) = admit(pool.try_alloc(&ft, cap, max), &ft, cap, max, Some(0)) {
                exp[0].on_alloc(ft.len());
                mine.push(live);
            }
        }
        ThreadOp::SessionAlloc { fields, cap, max } => {
            if mine.len() >= MAX_LIVE {
                drop_live(mine.remove(0), &mut Sinks { cfg, exp });
            }
            let ft = field_types(fields);
            let (cap, max) = (usize::from(*cap), usize::from(*max));
            sh.session_allocs.fetch_add(1, Ordering::SeqCst);
            let got = sh.session.chunk_allocator().try_alloc(&ft, cap, max);
            let expect = *lock(&sh.expect_pooled);
            let pooled = match (expect, &got) {
                (Some(p), _) => p,
                (None, Ok(c)) => c.is_pooled(),
                (None, Err(_)) => false,
            };
            if let Some(live) = admit(got, &ft, cap, max, pooled.then_some(0)) {
                if pooled {
                    exp[0].on_alloc(ft.len());
                }
                mine.push(live);
            }
        }
        ThreadOp::Col { chunk, col, op } => {
            if let Some(k) = pick(*chunk, mine.len()) {
                if let Some(c) = pick(*col, mine[k].m.slots.len()) {
                    col_op(&mut mine[k], c, op);
                }
            }
        }
        ThreadOp::MakeRef { chunk, src, dst } => {
            if let Some(k) = pick(*chunk, mine.len()) {
                let n = mine[k].m.slots.len();
                if let (Some(s), Some(d)) = (pick(*src, n), pick(*dst, n)) {
                    make_ref(&mut mine[k], s, d, &mut Sinks { cfg, exp });
                }
            }
        }
        ThreadOp::MakeRefTo {
            dst_chunk,
            dst,
            src_chunk,
            src,
        } => {
            let picks = [*dst_chunk, *dst, *src_chunk, *src];
            make_ref_to_picked(mine, picks, &mut Sinks { cfg, exp });
        }
        ThreadOp::ResetChunk { chunk } => {
            if let Some(k) = pick(*chunk, mine.len()) {
                reset_chunk(&mut mine[k]);
            }
        }
        ThreadOp::Drop { chunk } => {
            if let Some(k) = pick(*chunk, mine.len()) {
                drop_live(mine.remove(k), &mut Sinks { cfg, exp });
            }
        }
        ThreadOp::Give { chunk, to } => {
            let to = usize::from(*to) % sh.nworkers;
            if let (Some(k), true) = (pick(*chunk, mine.len()), to != w) {
                lock(&sh.inbox[to]).push(mine.remove(k));
            }
        }
        ThreadOp::Trim => {
            lock(&sh.current).clone().trim();
            exp[0].trimmed = true;
        }
        ThreadOp::ReleaseThreadCache => lock(&sh.current).clone().release_thread_cache(),
        ThreadOp::SetAlloc => {
            let cur = lock(&sh.current);
            sh.session.set_alloc(Some(&*cur));
        }
        ThreadOp::ClearAlloc { has_err } => {
            let mut cur = lock(&sh.current);
            sh.session
                .clear_alloc(&mut cur, StatementOutcome::failed_if(*has_err));
            if *has_err {
                lock(&sh.pools).push(cur.clone());
            }
        }
        ThreadOp::PanicHolding { n } => {
            install_panic_filter();
            let n = usize::from(*n % 4);
            let pool = lock(&sh.current).clone();
            let fields = [FieldType::I64, FieldType::UTF8];
            let got = {
                let _planned = expect_panic(true);
                catch_unwind(AssertUnwindSafe(|| {
                    let mut held = Vec::new();
                    for i in 0..n {
                        let mut c = pool.alloc(&fields, 4, 8);
                        check_new_chunk(&mut c, &fields, 4, 8);
                        c.column_mut(0).append_i64(i as i64);
                        held.push(c);
                    }
                    std::panic::panic_any(WORKER_PANIC);
                }))
            };
            let payload = got.expect_err("the worker should have panicked");
            assert_eq!(message(&*payload), WORKER_PANIC);
            // Every chunk it held went back while unwinding.
            let e = &mut exp[0];
            for _ in 0..n {
                e.on_alloc(2);
                e.returned += 1;
                e.returned_plain += 2;
            }
            if n > 0 {
                e.codes.extend([0, 8]);
            }
        }
        ThreadOp::Yield(n) => {
            for _ in 0..*n % 4 {
                std::thread::yield_now();
            }
        }
        ThreadOp::ReplaceColumn {
            chunk,
            col,
            field,
            cap,
        } => replace_column(mine, *chunk, *col, *field, *cap),
        ThreadOp::SwapColumns { a, i, b, j } => swap_columns(mine, [*a, *i, *b, *j]),
        ThreadOp::CloneColumnInto {
            src_chunk,
            src_col,
            dst_chunk,
            dst_col,
        } => clone_column_into(mine, [*src_chunk, *src_col, *dst_chunk, *dst_col]),
        ThreadOp::Rows(op) => crate::rows::row_op(mine, op, &mut Sinks { cfg, exp }),
    }
}

/// What the main thread knows about the session.
#[derive(Debug)]
struct SessModel {
    reuse: bool,
    /// `Is(None)`: empty; `Is(Some(fired))`: holds an allocator whose hook
    /// has (not) fired.
    slot: Known<Option<bool>>,
    used: Known<bool>,
    last: Known<bool>,
}

fn main_step<P: Pool>(sh: &Shared<'_, P>, m: &mut SessModel, op: &MainOp, trimmed: &mut bool) {
    match op {
        MainOp::BeginStatement => {
            sh.session.begin_statement();
            m.last = m.used;
            m.used = Known::Is(false);
        }
        MainOp::SetAlloc => {
            sh.session.set_alloc(Some(&*lock(&sh.current)));
            m.slot = Known::Is(m.reuse.then_some(false));
        }
        MainOp::SetAllocNone => {
            sh.session.set_alloc(None);
            m.slot = Known::Is(None);
        }
        MainOp::ClearAlloc { has_err } => {
            let mut cur = lock(&sh.current);
            sh.session
                .clear_alloc(&mut cur, StatementOutcome::failed_if(*has_err));
            if *has_err {
                lock(&sh.pools).push(cur.clone());
            }
            m.slot = Known::Is(None);
        }
        MainOp::SetReuseEnabled(b) => {
            sh.session.set_reuse_enabled(*b);
            m.reuse = *b;
        }
        MainOp::Trim => {
            lock(&sh.current).trim();
            *trimmed = true;
        }
    }
}

/// Everything, with every worker parked.
fn check_all<P: Pool>(sh: &Shared<'_, P>, m: &SessModel, trimmed: bool) {
    let s = &sh.session;
    assert_eq!(s.reuse_enabled(), m.reuse);
    if let Known::Is(slot) = m.slot {
        assert_eq!(
            s.is_alloc_valid(),
            m.reuse && slot.is_some(),
            "is_alloc_valid"
        );
        assert_eq!(
            s.chunk_allocator().is_empty(),
            slot.is_none(),
            "slot emptiness"
        );
    }
    if let Known::Is(u) = m.used {
        assert_eq!(s.used_chunk_alloc(), u, "used_chunk_alloc");
    }
    if let Known::Is(l) = m.last {
        assert_eq!(s.last_sql_use_alloc(), l, "last_sql_use_alloc");
    }
    let owned: Vec<MutexGuard<'_, Vec<Live>>> = sh.owned.iter().map(lock).collect();
    for list in &owned {
        for live in list.iter() {
            verify(live);
        }
    }
    verify_identity(owned.iter().flat_map(|l| l.iter()));
    drop(owned);
    let mut exp = lock(&sh.exp).clone();
    exp.trimmed |= trimmed;
    let pools = lock(&sh.pools);
    let stats: Vec<_> = pools.iter().map(|p| p.stats()).collect();
    for st in &stats {
        check_bounds(st, &sh.cfg, exp.codes.len(), &|| {
            format!("expected {exp:#?}")
        });
    }
    check_counts(&sum_stats(&stats), &exp, &sh.cfg, P::WHOLE_CHUNKS);
}

/// The `threaded_ops` target.
pub fn run_threaded_ops(input: &ThreadedInput) {
    match input.kind {
        Kind::LockFree => run::<LockFreeAllocator>(input),
        Kind::Mutex => run::<MutexAllocator>(input),
    }
}

fn run<P: Pool>(input: &ThreadedInput) {
    let cfg = input.config.build();
    let first = P::make(cfg);
    let nphases = input.phases.len().min(MAX_PHASES);
    let nworkers = if input.three_workers { 3 } else { 2 };
    let sh = Shared {
        cfg,
        phases: &input.phases[..nphases],
        nworkers,
        session: SessionChunkPool::new(),
        pools: Mutex::new(vec![first.clone()]),
        current: Mutex::new(first),
        owned: Default::default(),
        inbox: Default::default(),
        exp: Mutex::new(Expect::default()),
        session_allocs: AtomicUsize::new(0),
        expect_pooled: Mutex::new(None),
        gate: Gate::new(nworkers + 1),
    };
    let main_trimmed = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..nworkers)
            .map(|w| {
                let sh = &sh;
                scope.spawn(move || {
                    if let Err(p) = catch_unwind(AssertUnwindSafe(|| worker(w, sh))) {
                        sh.gate.fail();
                        resume_unwind(p);
                    }
                })
            })
            .collect();
        let mut panics = Vec::new();
        let trimmed = match catch_unwind(AssertUnwindSafe(|| main_thread(&sh))) {
            Ok(trimmed) => trimmed,
            Err(p) => {
                sh.gate.fail();
                panics.push(p);
                false
            }
        };
        // Join explicitly: unlike the scope's implicit join, `join` waits for
        // the workers' thread-local destructors, which hand their per-thread
        // caches back to the pools.
        for h in handles {
            if let Err(p) = h.join() {
                panics.push(p);
            }
        }
        if let Some(p) = first_cause(panics) {
            resume_unwind(p);
        }
        trimmed
    });
    // Every worker has exited (its per-thread caches handed back what they
    // held): the counters still add up, and every pooled chunk came back.
    let mut exp = lock(&sh.exp).clone();
    exp.trimmed |= main_trimmed;
    let pools = std::mem::take(&mut *lock(&sh.pools));
    let stats: Vec<_> = pools.iter().map(|p| p.stats()).collect();
    for st in &stats {
        check_bounds(st, &cfg, exp.codes.len(), &|| format!("expected {exp:#?}"));
    }
    let total = sum_stats(&stats);
    check_counts(&total, &exp, &cfg, P::WHOLE_CHUNKS);
    assert_eq!(
        total.chunks_returned, total.chunks_allocated,
        "chunks not returned"
    );
    assert_eq!(exp.returned, exp.allocated);
    drop(sh);
    for p in &pools {
        p.trim();
    }
    // `trim` frees what it empties before it returns (the workers are
    // joined, so their caches were handed back first).
    assert!(
        pools.iter().all(|p| {
            let s = p.stats();
            (s.retained_chunks, s.retained_columns, s.retained_bytes) == (0, 0, 0)
        }),
        "trimmed caches still hold something right after trim"
    );
}

fn main_thread<P: Pool>(sh: &Shared<'_, P>) -> bool {
    let mut m = SessModel {
        reuse: true,
        slot: Known::Is(None),
        used: Known::Is(false),
        last: Known::Is(false),
    };
    let mut trimmed = false;
    for phase in sh.phases {
        for op in phase.main.iter().take(MAX_MAIN_OPS) {
            main_step(sh, &mut m, op, &mut trimmed);
        }
        check_all(sh, &m, trimmed);
        let chaos = phase.workers[..sh.nworkers]
            .iter()
            .any(|ops| ops.iter().take(MAX_THREAD_OPS).any(is_chaos));
        *lock(&sh.expect_pooled) = match (chaos, m.slot) {
            (false, Known::Is(slot)) => Some(slot.is_some()),
            _ => None,
        };
        sh.session_allocs.store(0, Ordering::SeqCst);
        sh.gate.wait(); // workers run the phase
        sh.gate.wait(); // workers parked
        for (to, inbox) in sh.inbox.iter().enumerate() {
            let given = std::mem::take(&mut *lock(inbox));
            lock(&sh.owned[to]).extend(given);
        }
        let attempts = sh.session_allocs.load(Ordering::SeqCst);
        if attempts > 0 {
            let decided = match (chaos, m.slot) {
                (false, Known::Is(None)) => Some(false),
                (false, Known::Is(Some(fired))) => {
                    let fires = !fired && sh.cfg.reuse_enabled();
                    m.slot = Known::Is(Some(fired || fires));
                    Some(fires)
                }
                _ => None,
            };
            m.used = match (m.used, decided) {
                (Known::Is(true), _) => Known::Is(true),
                (u, Some(false)) => u,
                (_, Some(true)) => Known::Is(true),
                (_, None) => Known::Unknown,
            };
        }
        if chaos {
            m.slot = Known::Unknown;
        }
        check_all(sh, &m, trimmed);
    }
    sh.gate.wait(); // workers drop everything
    sh.gate.wait();
    // No check here: the workers are exiting, and a thread-exit flush of a
    // per-thread cache (held -> depot) is not atomic with a stats snapshot.
    // `run_threaded_ops` checks once they have been joined.
    trimmed
}
