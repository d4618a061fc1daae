//! `allocator_ops` and `differential`: an operation sequence run on one
//! allocator (or two in lockstep), checked against the model after every
//! step.

use crate::columns::{clone_column_into, column_mut_agrees, replace_column, swap_columns};
use crate::counters::check_stats;
use crate::input::{field_types, AllocInput, Op, MAX_LIVE};
use crate::logical;
use crate::model::{
    admit, col_op, drop_live, make_ref, make_ref_to, reset_chunk, write_spare, Expect, Live, Sink,
    Sinks,
};
pub use crate::pool::Pool;
use crate::verify::{verify, verify_identity};
use chunkpool::{
    Chunk, ChunkAllocator, Error, FieldType, LockFreeAllocator, MutexAllocator, PoolConfig,
};
use std::sync::Arc;

/// Picks an index out of `len`, if any.
pub fn pick(n: u8, len: usize) -> Option<usize> {
    (len > 0).then(|| usize::from(n) % len)
}

/// Live chunks `a` and `b` (distinct), mutably.
pub fn two_mut(live: &mut [Live], a: usize, b: usize) -> (&mut Live, &mut Live) {
    assert_ne!(a, b, "two_mut of one chunk");
    let (lo, hi) = live.split_at_mut(a.max(b));
    if a < b {
        (&mut lo[a], &mut hi[0])
    } else {
        (&mut hi[0], &mut lo[b])
    }
}

/// `make_ref_to` between two distinct live chunks and columns picked by the
/// input bytes `[dst_chunk, dst, src_chunk, src]`; nothing when the picks
/// name one chunk twice or a chunk without columns.
pub fn make_ref_to_picked(live: &mut [Live], picks: [u8; 4], sink: &mut dyn Sink) {
    let [dst_chunk, dst, src_chunk, src] = picks;
    let len = live.len();
    let (Some(a), Some(b)) = (pick(dst_chunk, len), pick(src_chunk, len)) else {
        return;
    };
    if a == b {
        return;
    }
    let (dl, sl) = two_mut(live, a, b);
    if let (Some(d), Some(s)) = (pick(dst, dl.m.slots.len()), pick(src, sl.m.slots.len())) {
        make_ref_to(dl, d, sl, s, sink);
    }
}

/// A reuse the design promises (TiDB's "the same columns come back"): a
/// chunk was dropped into an empty cache with room for all of it, so the
/// next allocation of its layout, no larger, gets every buffer back.
#[derive(Debug)]
struct Pending {
    pool: usize,
    fields: Vec<FieldType>,
    capacity: usize,
    ptrs: Vec<usize>,
    /// Cached as one whole chunk: the buffers come back in place.
    whole: bool,
}

/// One allocator family's world: its pools (the last is current), the live
/// chunks and the model.
#[derive(Debug)]
pub struct World<P: Pool> {
    pub cfg: PoolConfig,
    pub pools: Vec<P>,
    pub exp: Vec<Expect>,
    pub live: Vec<Live>,
    pending: Option<Pending>,
}

impl<P: Pool> World<P> {
    pub fn new(cfg: PoolConfig) -> Self {
        let pool = P::make(cfg);
        assert_eq!(pool.config(), cfg);
        assert_eq!(pool.check_reuse_alloc_size(), cfg.reuse_enabled());
        World {
            cfg,
            pools: vec![pool],
            exp: vec![Expect::default()],
            live: Vec::new(),
            pending: None,
        }
    }

    fn cur(&self) -> usize {
        self.pools.len() - 1
    }

    fn drop_at(&mut self, k: usize) {
        let live = self.live.remove(k);
        let candidate = self.promise_candidate(&live);
        let mut sink = Sinks {
            cfg: &self.cfg,
            exp: &mut self.exp,
        };
        drop_live(live, &mut sink);
        if let Some(mut p) = candidate {
            let s = self.pools[p.pool].stats();
            let n = p.ptrs.len();
            if P::WHOLE_CHUNKS {
                // One thread owns every whole-chunk credit of this pool, so
                // the dropping thread's cache always has room: kept whole.
                assert_eq!(
                    (s.retained_chunks, s.retained_columns),
                    (1, 0),
                    "a chunk dropped into an empty cache with room for it was not kept whole: {s:#?}"
                );
                p.whole = true;
            } else {
                assert_eq!(
                    s.retained_columns, n,
                    "a chunk dropped into an empty cache with room for it was not kept: {s:#?}"
                );
            }
            self.pending = Some(p);
        }
    }

    /// Whether dropping `live` must leave all of it cached (see [`Pending`]).
    fn promise_candidate(&self, live: &Live) -> Option<Pending> {
        let home = live.m.home?;
        let cfg = &self.cfg;
        let n = live.m.slots.len();
        if !live.m.pristine
            || cfg.byte_budget().is_some()
            || cfg.max_free_chunks() == 0
            || cfg.max_free_columns() < n
        {
            return None;
        }
        let s = self.pools[home].stats();
        let empty = s.retained_columns == 0
            && s.retained_bytes == 0
            && (!P::WHOLE_CHUNKS || s.retained_chunks == 0);
        if !empty {
            return None;
        }
        let mut codes = self.exp[home].codes.clone();
        for slot in &live.m.slots {
            if Arc::strong_count(slot) > 1 || slot.avoid {
                return None;
            }
            if slot.field.is_var() {
                // A new column asks for 8 bytes a row and gets whole
                // 64-byte blocks: the limit judges what it got.
                let initial = (8 * live.m.capacity).div_ceil(64) * 64;
                let per_row = cfg.max_cached_var_bytes_per_row();
                let refused = initial > cfg.max_cached_var_bytes()
                    && initial > per_row.saturating_mul(live.m.capacity);
                if slot.peak_data > initial || refused {
                    return None;
                }
            }
            codes.insert(slot.field.elem_size().unwrap_or(0));
        }
        // The lock-free allocator has 15 classes for fixed sizes.
        if codes.iter().filter(|&&c| c != 0).count() > 15 {
            return None;
        }
        Some(Pending {
            pool: home,
            fields: live.fields(),
            capacity: live.m.capacity,
            ptrs: (0..n)
                .map(|i| live.chunk.column(i).data_ptr() as usize)
                .collect(),
            whole: false,
        })
    }

    fn alloc(&mut self, fields: Vec<FieldType>, cap: usize, max: usize, pending: Option<Pending>) {
        if self.live.len() >= MAX_LIVE {
            self.drop_at(0);
            let p = self.pending.take();
            return self.alloc(fields, cap, max, p);
        }
        let cur = self.cur();
        let before = self.pools[cur].stats();
        let got = self.pools[cur].try_alloc(&fields, cap, max);
        let Some(live) = admit(got, &fields, cap, max, Some(cur)) else {
            let after = self.pools[cur].stats();
            assert_eq!(
                after.chunks_allocated, before.chunks_allocated,
                "a failed alloc counted"
            );
            assert_eq!(
                after.retained_bytes, before.retained_bytes,
                "a failed alloc touched the cache"
            );
            return;
        };
        self.exp[cur].on_alloc(fields.len());
        // One thread: the counters are exact. A chunk counts as from the
        // cache exactly when none of its columns was newly made.
        let after = self.pools[cur].stats();
        assert_eq!(
            after.chunks_from_cache - before.chunks_from_cache,
            u64::from(after.columns_fresh == before.columns_fresh),
            "{}: chunks_from_cache disagrees with columns_fresh",
            P::NAME
        );
        if let Some(p) = pending {
            if p.pool == cur && p.fields == fields && live.m.capacity <= p.capacity {
                let n = fields.len() as u64;
                let ptrs: Vec<usize> = (0..fields.len())
                    .map(|i| live.chunk.column(i).data_ptr() as usize)
                    .collect();
                assert_eq!(
                    after.columns_reused - before.columns_reused,
                    n,
                    "{}: the promised reuse did not happen ({p:?})",
                    P::NAME
                );
                assert_eq!(after.chunks_from_cache - before.chunks_from_cache, 1);
                if p.whole {
                    assert_eq!(ptrs, p.ptrs, "a whole cached chunk came back rearranged");
                } else {
                    let (mut a, mut b) = (ptrs, p.ptrs);
                    a.sort_unstable();
                    b.sort_unstable();
                    assert_eq!(a, b, "the cached buffers did not come back");
                }
            }
        }
        self.live.push(live);
    }

    /// Runs one step. The caller runs [`World::check`] after it.
    pub fn step(&mut self, op: &Op) {
        let pending = self.pending.take();
        match op {
            Op::Alloc { fields, cap, max } => {
                self.alloc(field_types(fields), cap.get(), max.get(), pending)
            }
            Op::AllocLike { chunk } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    let l = &self.live[k];
                    let (f, c, m) = (l.fields(), l.m.capacity, l.m.required);
                    self.alloc(f, c, m, pending);
                }
            }
            Op::DropRealloc { chunk } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    let l = &self.live[k];
                    let (f, c, m) = (l.fields(), l.m.capacity, l.m.required);
                    self.drop_at(k);
                    let p = self.pending.take();
                    self.alloc(f, c, m, p);
                }
            }
            Op::Unpooled { fields, cap, max } => {
                if self.live.len() >= MAX_LIVE {
                    self.drop_at(0);
                    self.pending = None;
                }
                let ft = field_types(fields);
                let got = Chunk::try_new(&ft, cap.get(), max.get());
                if let Some(live) = admit(got, &ft, cap.get(), max.get(), None) {
                    self.live.push(live);
                }
            }
            Op::Col { chunk, col, op } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    if let Some(c) = pick(*col, self.live[k].m.slots.len()) {
                        col_op(&mut self.live[k], c, op);
                    }
                }
            }
            Op::MakeRef { chunk, src, dst } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    let n = self.live[k].m.slots.len();
                    if let (Some(s), Some(d)) = (pick(*src, n), pick(*dst, n)) {
                        let mut sink = Sinks {
                            cfg: &self.cfg,
                            exp: &mut self.exp,
                        };
                        make_ref(&mut self.live[k], s, d, &mut sink);
                    }
                }
            }
            Op::MakeRefTo {
                dst_chunk,
                dst,
                src_chunk,
                src,
            } => {
                let mut sink = Sinks {
                    cfg: &self.cfg,
                    exp: &mut self.exp,
                };
                let picks = [*dst_chunk, *dst, *src_chunk, *src];
                make_ref_to_picked(&mut self.live, picks, &mut sink);
            }
            Op::ResetChunk { chunk } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    reset_chunk(&mut self.live[k]);
                }
            }
            Op::SetRequiredRows { chunk, rows, max } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    let (rows, max) = (usize::from(*rows), usize::from(*max));
                    self.live[k].chunk.set_required_rows(rows, max);
                    // TiDB's rule: 0 asks for a full batch of `max`.
                    let asked = if rows == 0 { max } else { rows };
                    self.live[k].m.required = asked.min(max).max(1);
                }
            }
            Op::Drop { chunk } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    self.drop_at(k);
                }
            }
            Op::BadIndex { chunk, col, row } => {
                if let Some(k) = pick(*chunk, self.live.len()) {
                    let live = &mut self.live[k];
                    let n = live.m.slots.len();
                    let bad = n + usize::from(*col);
                    let want = Error::ColumnOutOfRange {
                        column: bad,
                        columns: n,
                    };
                    assert_eq!(live.chunk.try_column(bad).err(), Some(want.clone()));
                    assert_eq!(live.chunk.try_column_mut(bad).err(), Some(want));
                    if let Some(c) = pick(*col, n) {
                        let column = live.chunk.column(c);
                        let len = column.len();
                        let r = len + usize::from(*row);
                        let oob = Error::RowOutOfRange { row: r, len };
                        assert_eq!(column.try_is_null(r), Err(oob.clone()));
                        let field = column.field_type();
                        match (field.elem_size(), logical::native(field)) {
                            (None, _) => assert_eq!(column.try_get_bytes(r).err(), Some(oob)),
                            (Some(_), Some(a)) => {
                                assert_eq!(logical::get(column, a, r).err(), Some(oob));
                            }
                            (Some(_), None) => {
                                assert_eq!(column.try_get_fixed_bytes(r).err(), Some(oob));
                            }
                        }
                    }
                }
            }
            Op::AllocatorReset => self.pools[self.cur()].reset(),
            Op::Trim => {
                let cur = self.cur();
                self.pools[cur].trim();
                self.exp[cur].trimmed = true;
            }
            Op::Scribble => {
                for (k, live) in self.live.iter_mut().enumerate() {
                    for c in 0..live.m.slots.len() {
                        if column_mut_agrees(live, c) {
                            write_spare(live.chunk.column_mut(c), (k * 16 + c) as u8);
                        }
                    }
                }
            }
            Op::ReplaceColumn {
                chunk,
                col,
                field,
                cap,
            } => replace_column(&mut self.live, *chunk, *col, *field, *cap),
            Op::SwapColumns { a, i, b, j } => swap_columns(&mut self.live, [*a, *i, *b, *j]),
            Op::CloneColumnInto {
                src_chunk,
                src_col,
                dst_chunk,
                dst_col,
            } => {
                let picks = [*src_chunk, *src_col, *dst_chunk, *dst_col];
                clone_column_into(&mut self.live, picks)
            }
            Op::Rows(op) => {
                let mut sink = Sinks {
                    cfg: &self.cfg,
                    exp: &mut self.exp,
                };
                crate::rows::row_op(&mut self.live, op, &mut sink);
            }
            Op::Renew => {
                let old = &self.pools[self.cur()];
                let new = old.renew();
                assert_eq!(new.config(), self.cfg);
                assert_ne!(old.same(&new), Some(true), "renew shares the old cache");
                let s = new.stats();
                assert_eq!(
                    (s.chunks_allocated, s.retained_chunks, s.retained_columns),
                    (0, 0, 0)
                );
                self.pools.push(new);
                self.exp.push(Expect::default());
                // Bound the number of pools kept: the oldest with no chunk
                // out is forgotten (its handle dropped) once there are many.
                if self.pools.len() > 4 {
                    let busy: Vec<usize> = self.live.iter().filter_map(|l| l.m.home).collect();
                    if !busy.contains(&0) {
                        self.check_pool(0);
                        self.pools.remove(0);
                        self.exp.remove(0);
                        for l in &mut self.live {
                            if let Some(h) = &mut l.m.home {
                                *h -= 1;
                            }
                        }
                    }
                }
            }
        }
    }

    fn check_pool(&self, i: usize) {
        check_stats(
            &self.pools[i].stats(),
            &self.exp[i],
            &self.cfg,
            P::WHOLE_CHUNKS,
        );
    }

    /// Every live chunk against its model, buffer identity across all, and
    /// every pool's counters.
    pub fn check(&self) {
        for live in &self.live {
            verify(live);
        }
        verify_identity(&self.live);
        for i in 0..self.pools.len() {
            self.check_pool(i);
        }
        assert_eq!(
            self.pools[self.cur()].check_reuse_alloc_size(),
            self.cfg.reuse_enabled()
        );
    }

    /// Drops every chunk; then every pool got every chunk back, and once
    /// trimmed and collected retains nothing (invariant 4 of the crate docs).
    pub fn finish(mut self) {
        while !self.live.is_empty() {
            self.drop_at(self.live.len() - 1);
        }
        self.check();
        for (pool, e) in self.pools.iter().zip(&self.exp) {
            pool.assert_all_returned();
            assert_eq!(e.returned, e.allocated);
            pool.trim();
        }
        let pools = &self.pools;
        // `trim` frees what it empties before it returns: no epoch
        // collection is needed (or run) for the accounting to reach zero.
        let all_freed = pools.iter().all(|p| {
            let s = p.stats();
            (s.retained_chunks, s.retained_shells) == (0, 0)
                && (s.retained_columns, s.retained_bytes) == (0, 0)
                && s.cached_columns.iter().len() == 0
        });
        assert!(
            all_freed,
            "{}: trimmed caches still hold something right after trim: {:#?}",
            P::NAME,
            pools.iter().map(|p| p.stats()).collect::<Vec<_>>()
        );
    }
}

/// The `allocator_ops` target: the lock-free allocator against the model.
pub fn run_allocator_ops(input: &AllocInput) {
    run_world::<LockFreeAllocator>(input);
}

/// `allocator_ops` on any allocator under test (the replay tests run the
/// mutex allocator alone this way too).
pub fn run_world<P: Pool>(input: &AllocInput) {
    let mut world = World::<P>::new(input.config.build());
    for op in input.ops.iter().take(crate::input::MAX_OPS) {
        world.step(op);
        world.check();
    }
    world.finish();
}

/// What a chunk shows through the safe API, for the differential target.
#[derive(Debug, PartialEq)]
struct Observed {
    rows: usize,
    capacity: usize,
    required: usize,
    pooled: bool,
    sel: Option<Vec<u32>>,
    columns: Vec<ObservedColumn>,
}

/// Type, length, bitmap, offsets, data, avoid_reusing, shared.
type ObservedColumn = (FieldType, usize, Vec<u8>, Vec<i64>, Vec<u8>, bool, bool);

fn observe(live: &Live) -> Observed {
    let c = &live.chunk;
    Observed {
        rows: c.num_rows(),
        capacity: c.capacity(),
        required: c.required_rows(),
        pooled: c.is_pooled(),
        sel: c.sel().map(<[u32]>::to_vec),
        columns: (0..c.num_cols())
            .map(|i| {
                let col = c.column(i);
                (
                    col.field_type(),
                    col.len(),
                    col.null_bitmap().to_vec(),
                    col.offsets().to_vec(),
                    col.data().to_vec(),
                    col.avoid_reusing(),
                    c.is_shared(i),
                )
            })
            .collect(),
    }
}

/// The `differential` target: the same steps on the lock-free and the
/// mutex allocator, each checked against the model, and compared with each
/// other: contents, shapes, errors, the counters both keep alike, and the
/// reuse both promise.
pub fn run_differential(input: &AllocInput) {
    let cfg = input.config.build();
    let mut a = World::<LockFreeAllocator>::new(cfg);
    let mut b = World::<MutexAllocator>::new(cfg);
    for op in input.ops.iter().take(crate::input::MAX_OPS) {
        a.step(op);
        b.step(op);
        a.check();
        b.check();
        assert_eq!(
            a.live.len(),
            b.live.len(),
            "live chunk count differs after {op:?}"
        );
        for (x, y) in a.live.iter().zip(&b.live) {
            assert_eq!(observe(x), observe(y), "chunks differ after {op:?}");
        }
        assert_eq!(a.pools.len(), b.pools.len());
        for (p, q) in a.pools.iter().zip(&b.pools) {
            let (s, t) = (p.stats(), q.stats());
            assert_eq!(
                (
                    s.chunks_allocated,
                    s.chunks_returned,
                    s.columns_reused + s.columns_fresh,
                    s.discarded_avoid_reuse
                ),
                (
                    t.chunks_allocated,
                    t.chunks_returned,
                    t.columns_reused + t.columns_fresh,
                    t.discarded_avoid_reuse
                ),
                "counters differ after {op:?}"
            );
            assert_eq!(p.check_reuse_alloc_size(), q.check_reuse_alloc_size());
        }
    }
    a.finish();
    b.finish();
}
