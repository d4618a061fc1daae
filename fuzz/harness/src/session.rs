//! `session_ops`: the session slot (`set_alloc` / `clear_alloc` / reuse
//! switch / statement flags / allocation through the slot) against a model
//! of TiDB's `SessionVars` chunk fields and its reuse hook.

use crate::counters::check_stats;
use crate::fresh::check_new_chunk;
use crate::input::{field_types, HookStep, Kind, SessOp, SessionInput, Val, MAX_LIVE, MAX_OPS};
use crate::model::{admit, col_op, drop_live, Expect, Live, MultiSinks};
use crate::panics::{expect_panic, install_panic_filter, message, HOOK_PANIC};
use crate::verify::{verify, verify_identity};
use crate::world::{pick, Pool};
use chunkpool::{
    ChunkAllocator, FieldType, LockFreeAllocator, MutexAllocator, PoolConfig, ReuseHook,
    SessionChunkPool, StatementOutcome,
};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The model of the slot: which pool it holds, and whether that
/// `set_alloc`'s hook has fired.
#[derive(Clone, Copy, Debug)]
struct SlotModel {
    pool: usize,
    fired: bool,
}

struct SessWorld<P: Pool> {
    session: SessionChunkPool<P>,
    /// The caller's allocator (what TiDB's session keeps and passes to
    /// `set_alloc` / `clear_alloc`).
    caller: P,
    caller_id: usize,
    /// Every allocator made so far (handles kept to read their counters).
    pools: Vec<P>,
    cfgs: Vec<PoolConfig>,
    exp: Vec<Expect>,
    slot: Option<SlotModel>,
    reuse: bool,
    used: bool,
    last: bool,
    live: Vec<Live>,
}

impl<P: Pool> SessWorld<P> {
    fn new(cfg: PoolConfig) -> Self {
        let caller = P::make(cfg);
        SessWorld {
            session: SessionChunkPool::new(),
            pools: vec![caller.clone()],
            caller,
            caller_id: 0,
            cfgs: vec![cfg],
            exp: vec![Expect::default()],
            slot: None,
            reuse: true,
            used: false,
            last: false,
            live: Vec::new(),
        }
    }

    fn sink(&mut self) -> MultiSinks<'_> {
        MultiSinks {
            cfgs: &self.cfgs,
            exp: &mut self.exp,
        }
    }

    fn adopt_caller(&mut self, cfg: PoolConfig) {
        self.pools.push(self.caller.clone());
        self.cfgs.push(cfg);
        self.exp.push(Expect::default());
        self.caller_id = self.pools.len() - 1;
    }

    fn begin_statement(&mut self) {
        self.session.begin_statement();
        self.last = self.used;
        self.used = false;
    }

    fn set_alloc(&mut self) {
        self.session.set_alloc(Some(&self.caller));
        self.slot = self.reuse.then_some(SlotModel {
            pool: self.caller_id,
            fired: false,
        });
    }

    fn clear_alloc(&mut self, has_err: bool) {
        let old = self.caller.clone();
        self.session
            .clear_alloc(&mut self.caller, StatementOutcome::failed_if(has_err));
        self.slot = None;
        if has_err {
            // The old allocator is abandoned (not reset); the caller gets a
            // new one with the same limits, sharing nothing.
            let cfg = self.cfgs[self.caller_id];
            assert_eq!(self.caller.config(), cfg);
            assert_ne!(
                self.caller.same(&old),
                Some(true),
                "clear_alloc(err) kept the old cache"
            );
            let s = self.caller.stats();
            assert_eq!(
                (s.chunks_allocated, s.retained_chunks, s.retained_columns),
                (0, 0, 0)
            );
            self.adopt_caller(cfg);
        } else {
            assert_ne!(
                self.caller.same(&old),
                Some(false),
                "clear_alloc(ok) replaced the allocator"
            );
        }
    }

    /// An allocation through the slot, as an executor does it.
    fn alloc(
        &mut self,
        fields: &[FieldType],
        cap: usize,
        max: usize,
        keep: bool,
        append: Option<&Val>,
    ) {
        let ca = self.session.chunk_allocator();
        let got = ca.try_alloc(fields, cap, max);
        drop(ca);
        // TiDB's hook runs on the first alloc call through the slot with a
        // reusing allocator, before the inner alloc (so even one that fails).
        if let Some(s) = &mut self.slot {
            if !s.fired && self.cfgs[s.pool].reuse_enabled() {
                s.fired = true;
                self.used = true;
            }
        }
        let home = self.slot.map(|s| s.pool);
        let Some(mut live) = admit(got, fields, cap, max, home) else {
            return;
        };
        if let Some(h) = home {
            self.exp[h].on_alloc(fields.len());
        }
        if let (Some(v), false) = (append, fields.is_empty()) {
            col_op(&mut live, 0, &crate::input::ColOp::Append(v.clone()));
        }
        if keep && self.live.len() < MAX_LIVE {
            self.live.push(live);
        } else {
            drop_live(live, &mut self.sink());
        }
    }

    /// A standalone reuse hook over the caller's allocator.
    fn hook(&mut self, panics: bool, steps: &[HookStep]) {
        install_panic_filter();
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let hook = ReuseHook::new(self.caller.clone(), move || {
            counter.fetch_add(1, Ordering::SeqCst);
            if panics {
                std::panic::panic_any(HOOK_PANIC);
            }
        });
        let reuse = self.cfgs[self.caller_id].reuse_enabled();
        let (mut fired, mut count) = (false, 0);
        for step in steps.iter().take(16) {
            match step {
                HookStep::Alloc => {
                    let fires = !fired && reuse;
                    let got = {
                        let _planned = expect_panic(fires && panics);
                        catch_unwind(AssertUnwindSafe(|| hook.try_alloc(&[FieldType::I64], 2, 2)))
                    };
                    if fires {
                        fired = true;
                        count += 1;
                    }
                    match got {
                        Ok(res) => {
                            assert!(!(fires && panics), "the hook callback should have panicked");
                            let id = self.caller_id;
                            let live =
                                admit(res, &[FieldType::I64], 2, 2, Some(id)).expect("valid alloc");
                            self.exp[id].on_alloc(1);
                            drop_live(live, &mut self.sink());
                        }
                        Err(payload) => {
                            assert!(fires && panics, "unexpected panic: {}", message(&*payload));
                            assert_eq!(message(&*payload), HOOK_PANIC);
                        }
                    }
                }
                HookStep::Reset => {
                    hook.reset();
                    fired = false;
                }
            }
            assert_eq!(hook.fired(), fired, "hook fired()");
            assert_eq!(calls.load(Ordering::SeqCst), count, "hook callback calls");
            assert_eq!(hook.check_reuse_alloc_size(), reuse);
        }
    }

    fn step(&mut self, op: &SessOp) {
        match op {
            SessOp::BeginStatement => self.begin_statement(),
            SessOp::SetAlloc => self.set_alloc(),
            SessOp::SetAllocNone => {
                self.session.set_alloc(None);
                self.slot = None;
            }
            SessOp::ClearAlloc { has_err } => self.clear_alloc(*has_err),
            SessOp::SetReuseEnabled(b) => {
                self.session.set_reuse_enabled(*b);
                self.reuse = *b;
            }
            SessOp::Alloc {
                fields,
                cap,
                max,
                keep,
            } => self.alloc(&field_types(fields), cap.get(), max.get(), *keep, None),
            SessOp::Append { chunk, val } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    if !self.live[k].m.slots.is_empty() {
                        col_op(
                            &mut self.live[k],
                            0,
                            &crate::input::ColOp::Append(val.clone()),
                        );
                    }
                }
            }
            SessOp::Drop { chunk } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    let live = self.live.remove(k);
                    drop_live(live, &mut self.sink());
                }
            }
            SessOp::ResetCaller => {
                // Resets the caller's allocator; the slot's hook (a separate
                // wrapper made by set_alloc) is not re-armed by it.
                self.caller.reset();
            }
            SessOp::ReplaceCaller(cfg) => {
                let cfg = cfg.build();
                self.caller = P::make(cfg);
                self.adopt_caller(cfg);
            }
            SessOp::Statement { allocs, err } => {
                self.begin_statement();
                self.set_alloc();
                let fields = [FieldType::I64, FieldType::UTF8];
                for i in 0..*allocs % 8 {
                    self.alloc(&fields, 4, 8, false, Some(&Val::I64(i64::from(i))));
                }
                self.clear_alloc(*err);
                self.caller.reset();
            }
            SessOp::Hook { panics, steps } => self.hook(*panics, steps),
            SessOp::Rows(op) => {
                let mut sink = MultiSinks {
                    cfgs: &self.cfgs,
                    exp: &mut self.exp,
                };
                crate::rows::row_op(&mut self.live, op, &mut sink);
            }
        }
    }

    fn check(&mut self) {
        let s = &self.session;
        assert_eq!(s.reuse_enabled(), self.reuse, "reuse_enabled");
        assert_eq!(
            s.is_alloc_valid(),
            self.reuse && self.slot.is_some(),
            "is_alloc_valid"
        );
        assert_eq!(s.used_chunk_alloc(), self.used, "used_chunk_alloc");
        assert_eq!(s.last_sql_use_alloc(), self.last, "last_sql_use_alloc");
        let ca = s.chunk_allocator();
        assert_eq!(
            ca.is_empty(),
            self.slot.is_none(),
            "chunk_allocator() is the empty allocator"
        );
        assert_eq!(
            ca.check_reuse_alloc_size(),
            self.slot.is_some_and(|m| self.cfgs[m.pool].reuse_enabled())
        );
        assert_eq!(ca.inner().is_some(), self.slot.is_some());
        if let (Some(inner), Some(m)) = (ca.inner(), self.slot) {
            assert_ne!(
                inner.same(&self.pools[m.pool]),
                Some(false),
                "the slot holds another allocator"
            );
            // Which allocator the slot holds, by behaviour: a chunk from its
            // inner allocator (no hook) is counted by the model's pool.
            let before = self.pools[m.pool].stats().chunks_allocated;
            let mut probe = inner.try_alloc(&[], 1, 1).expect("empty layout");
            check_new_chunk(&mut probe, &[], 1, 1);
            assert!(probe.is_pooled());
            assert_eq!(
                self.pools[m.pool].stats().chunks_allocated,
                before + 1,
                "the slot holds another allocator"
            );
            drop(probe);
            self.exp[m.pool].allocated += 1;
            self.exp[m.pool].returned += 1;
        }
        drop(ca);
        for live in &self.live {
            verify(live);
        }
        verify_identity(&self.live);
        for (i, pool) in self.pools.iter().enumerate() {
            check_stats(&pool.stats(), &self.exp[i], &self.cfgs[i], P::WHOLE_CHUNKS);
        }
    }

    fn finish(mut self) {
        let _ = format!("{:?}", self.session);
        while let Some(live) = self.live.pop() {
            drop_live(live, &mut self.sink());
        }
        self.session.set_alloc(None);
        self.slot = None;
        self.check();
        for pool in &self.pools {
            pool.assert_all_returned();
            pool.trim();
        }
        let pools = &self.pools;
        // `trim` frees what it empties before it returns.
        assert!(pools.iter().all(|p| {
            let s = p.stats();
            (s.retained_chunks, s.retained_columns, s.retained_bytes) == (0, 0, 0)
        }));
    }
}

fn run<P: Pool>(input: &SessionInput) {
    let mut w = SessWorld::<P>::new(input.config.build());
    w.check();
    for op in input.ops.iter().take(MAX_OPS) {
        w.step(op);
        w.check();
    }
    w.finish();
}

/// The `session_ops` target.
pub fn run_session_ops(input: &SessionInput) {
    match input.kind {
        Kind::LockFree => run::<LockFreeAllocator>(input),
        Kind::Mutex => run::<MutexAllocator>(input),
    }
}
