//! The contenders of the performance brief (`benches/README.md`), each doing the same cycle: get one chunk per
//! layout (all held at once), [`touch`](crate::shapes::touch) each (or do
//! another [`Work`] on it, as S7 fills strings), give them back.
//!
//! Whole-chunk pools (`mutex-whole`, `segqueue-whole`, the two crates) keep
//! one pool per layout, as a user of such a crate would; they hold chunks
//! made by [`Chunk::new`] (which belong to no chunkpool allocator) and reset
//! them on the way back (`lockfree-object-pool` runs its reset closure on
//! drop; `object-pool` has none, so the chunk is reset after `pull`).
//!
//! `tidb-mutex` is a [`MutexAllocator`] with [`PoolConfig::tidb`]: TiDB's
//! design and TiDB's limits (no variable-width column above 16 KiB is
//! kept), while `chunkpool` keeps its default limits.
//!
//! `mimalloc` (and `jemalloc`) is [`Kind::Malloc`] run in a process whose
//! global allocator is mimalloc (jemalloc): the criterion bench
//! `benches/benches/cycle_mimalloc.rs`, and `compare`'s child processes
//! under `CHUNKPOOL_BENCH_ALLOC` ([`crate::alloc`]).

use crate::shapes::{Touch, Work, MAX_HELD, ROWS};
use chunkpool::{
    Chunk, ChunkAllocator, EmptyAllocator, FieldType, LockFreeAllocator, MutexAllocator,
    PoolConfig, Stats,
};
use crossbeam_queue::SegQueue;
use std::sync::Mutex;

/// The contenders, in the brief's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Chunkpool,
    TidbMutex,
    MutexWhole,
    SegqueueWhole,
    LockfreeObjectPool,
    ObjectPool,
    Malloc,
    Floor,
}

impl Kind {
    /// Every contender that runs in the default binary.
    pub const ALL: [Kind; 8] = [
        Kind::Chunkpool,
        Kind::TidbMutex,
        Kind::MutexWhole,
        Kind::SegqueueWhole,
        Kind::LockfreeObjectPool,
        Kind::ObjectPool,
        Kind::Malloc,
        Kind::Floor,
    ];

    /// The name used in `benches/README.md`, the tables and the benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Chunkpool => "chunkpool",
            Kind::TidbMutex => "tidb-mutex",
            Kind::MutexWhole => "mutex-whole",
            Kind::SegqueueWhole => "segqueue-whole",
            Kind::LockfreeObjectPool => "lockfree-object-pool",
            Kind::ObjectPool => "object-pool",
            Kind::Malloc => "malloc",
            Kind::Floor => "floor",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

/// One contender: per-thread state plus the cycle.
pub trait Contender: Sync {
    /// What each thread keeps across cycles (the floor's own chunks).
    type Local;
    fn local(&self) -> Self::Local;
    /// One cycle over this contender's layouts; returns the touch checksums.
    #[inline]
    fn cycle(&self, local: &mut Self::Local) -> u64 {
        self.cycle_with(local, &Touch)
    }
    /// One cycle doing `w` to each chunk; returns the sum of its checksums.
    fn cycle_with<W: Work>(&self, local: &mut Self::Local, w: &W) -> u64;
    /// Allocator counters, for the contenders that have them.
    fn stats(&self) -> Option<Stats> {
        None
    }
}

/// Holds up to [`MAX_HELD`] values without touching the heap.
macro_rules! held {
    () => {
        [None, None, None, None]
    };
}

/// A `ChunkAllocator` (chunkpool, tidb-mutex, and malloc = `EmptyAllocator`).
pub struct Alloc<A> {
    pub alloc: A,
    layouts: &'static [&'static [FieldType]],
}

impl<A: ChunkAllocator> Contender for Alloc<A>
where
    Alloc<A>: StatsOf,
{
    type Local = ();
    fn local(&self) {}
    #[inline]
    fn cycle_with<W: Work>(&self, _: &mut (), w: &W) -> u64 {
        let mut held: [Option<Chunk>; MAX_HELD] = held!();
        for (slot, layout) in held.iter_mut().zip(self.layouts) {
            *slot = Some(self.alloc.alloc(layout, ROWS, ROWS));
        }
        let acc = touch_all(&mut held, w, |c| c);
        drop_in_reverse(&mut held);
        acc
    }
    fn stats(&self) -> Option<Stats> {
        StatsOf::stats_of(self)
    }
}

/// Counters of the allocators that keep them.
pub trait StatsOf {
    fn stats_of(&self) -> Option<Stats>;
}
impl StatsOf for Alloc<LockFreeAllocator> {
    fn stats_of(&self) -> Option<Stats> {
        Some(self.alloc.stats())
    }
}
impl StatsOf for Alloc<MutexAllocator> {
    fn stats_of(&self) -> Option<Stats> {
        Some(self.alloc.stats())
    }
}
impl StatsOf for Alloc<EmptyAllocator> {
    fn stats_of(&self) -> Option<Stats> {
        None
    }
}

/// Does `w` to every held chunk (`chunk` reaches the chunk inside a
/// contender's handle); the sum keeps the work observable.
#[inline]
fn touch_all<T, W: Work>(
    held: &mut [Option<T>],
    w: &W,
    chunk: impl Fn(&mut T) -> &mut Chunk,
) -> u64 {
    held.iter_mut()
        .flatten()
        .fold(0u64, |acc, c| acc.wrapping_add(w.work(chunk(c))))
}

/// Gives the held handles back, last taken first.
#[inline]
fn drop_in_reverse<T>(held: &mut [Option<T>]) {
    for slot in held.iter_mut().rev() {
        drop(slot.take());
    }
}

fn fresh(layout: &[FieldType]) -> Chunk {
    Chunk::new(layout, ROWS, ROWS)
}

/// `std::sync::Mutex<Vec<Chunk>>` of whole chunks, one per layout.
pub struct MutexWhole {
    pools: Vec<(&'static [FieldType], Mutex<Vec<Chunk>>)>,
}

impl Contender for MutexWhole {
    type Local = ();
    fn local(&self) {}
    #[inline]
    fn cycle_with<W: Work>(&self, _: &mut (), w: &W) -> u64 {
        let mut held: [Option<Chunk>; MAX_HELD] = held!();
        for (slot, (layout, pool)) in held.iter_mut().zip(&self.pools) {
            let popped = pool.lock().unwrap().pop();
            *slot = Some(popped.unwrap_or_else(|| fresh(layout)));
        }
        let acc = touch_all(&mut held, w, |c| c);
        for (slot, (_, pool)) in held.iter_mut().zip(&self.pools).rev() {
            let mut chk = slot.take().unwrap();
            chk.reset();
            pool.lock().unwrap().push(chk);
        }
        acc
    }
}

/// One `crossbeam_queue::SegQueue<Chunk>` per layout, no per-thread cache.
pub struct SegqueueWhole {
    pools: Vec<(&'static [FieldType], SegQueue<Chunk>)>,
}

impl Contender for SegqueueWhole {
    type Local = ();
    fn local(&self) {}
    #[inline]
    fn cycle_with<W: Work>(&self, _: &mut (), w: &W) -> u64 {
        let mut held: [Option<Chunk>; MAX_HELD] = held!();
        for (slot, (layout, pool)) in held.iter_mut().zip(&self.pools) {
            *slot = Some(pool.pop().unwrap_or_else(|| fresh(layout)));
        }
        let acc = touch_all(&mut held, w, |c| c);
        for (slot, (_, pool)) in held.iter_mut().zip(&self.pools).rev() {
            let mut chk = slot.take().unwrap();
            chk.reset();
            pool.push(chk);
        }
        acc
    }
}

/// `lockfree_object_pool::LinearObjectPool<Chunk>` (the crate's lock-free
/// pool), one per layout; its reset closure runs when a handle drops.
pub struct LockfreeObjectPool {
    pools: Vec<lockfree_object_pool::LinearObjectPool<Chunk>>,
}

impl Contender for LockfreeObjectPool {
    type Local = ();
    fn local(&self) {}
    #[inline]
    fn cycle_with<W: Work>(&self, _: &mut (), w: &W) -> u64 {
        let mut held: [Option<lockfree_object_pool::LinearReusable<'_, Chunk>>; MAX_HELD] = held!();
        for (slot, pool) in held.iter_mut().zip(&self.pools) {
            *slot = Some(pool.pull());
        }
        let acc = touch_all(&mut held, w, |c| &mut **c);
        drop_in_reverse(&mut held);
        acc
    }
}

/// `object_pool::Pool<Chunk>` (a parking_lot mutex over a `Vec`), one per
/// layout; objects come back unreset, so the chunk is reset after `pull`.
pub struct ObjectPool {
    pools: Vec<(&'static [FieldType], object_pool::Pool<Chunk>)>,
}

impl Contender for ObjectPool {
    type Local = ();
    fn local(&self) {}
    #[inline]
    fn cycle_with<W: Work>(&self, _: &mut (), w: &W) -> u64 {
        let mut held: [Option<object_pool::Reusable<'_, Chunk>>; MAX_HELD] = held!();
        for (slot, (layout, pool)) in held.iter_mut().zip(&self.pools) {
            let mut chk = pool.pull(|| fresh(layout));
            chk.reset();
            *slot = Some(chk);
        }
        let acc = touch_all(&mut held, w, |c| &mut **c);
        drop_in_reverse(&mut held);
        acc
    }
}

/// The physical limit: the thread owns its chunks; a cycle resets and
/// touches them, no pool.
pub struct Floor {
    layouts: &'static [&'static [FieldType]],
}

impl Contender for Floor {
    type Local = Vec<Chunk>;
    fn local(&self) -> Vec<Chunk> {
        self.layouts.iter().map(|l| fresh(l)).collect()
    }
    #[inline]
    fn cycle_with<W: Work>(&self, local: &mut Vec<Chunk>, w: &W) -> u64 {
        let mut acc = 0u64;
        for chk in local.iter_mut() {
            chk.reset();
        }
        for chk in local.iter_mut() {
            acc = acc.wrapping_add(w.work(chk));
        }
        acc
    }
}

/// Any contender, built for a set of layouts; dispatches once per sample to
/// monomorphic code.
pub enum AnyContender {
    Chunkpool(Alloc<LockFreeAllocator>),
    TidbMutex(Alloc<MutexAllocator>),
    MutexWhole(MutexWhole),
    SegqueueWhole(SegqueueWhole),
    LockfreeObjectPool(LockfreeObjectPool),
    ObjectPool(ObjectPool),
    Malloc(Alloc<EmptyAllocator>),
    Floor(Floor),
}

/// Code generic over the contender type, run by [`AnyContender::visit`].
pub trait Visit {
    type Out;
    fn visit<C: Contender>(self, c: &C) -> Self::Out;
}

impl AnyContender {
    /// A fresh contender serving `layouts` (at most [`MAX_HELD`]).
    pub fn new(kind: Kind, layouts: &'static [&'static [FieldType]]) -> AnyContender {
        assert!(layouts.len() <= MAX_HELD);
        match kind {
            Kind::Chunkpool => AnyContender::Chunkpool(Alloc {
                alloc: LockFreeAllocator::new(),
                layouts,
            }),
            Kind::TidbMutex => AnyContender::TidbMutex(Alloc {
                alloc: MutexAllocator::with_config(PoolConfig::tidb()),
                layouts,
            }),
            Kind::MutexWhole => AnyContender::MutexWhole(MutexWhole {
                pools: layouts
                    .iter()
                    .map(|&l| (l, Mutex::new(Vec::new())))
                    .collect(),
            }),
            Kind::SegqueueWhole => AnyContender::SegqueueWhole(SegqueueWhole {
                pools: layouts.iter().map(|&l| (l, SegQueue::new())).collect(),
            }),
            Kind::LockfreeObjectPool => AnyContender::LockfreeObjectPool(LockfreeObjectPool {
                pools: layouts
                    .iter()
                    .map(|&l| {
                        lockfree_object_pool::LinearObjectPool::new(
                            move || fresh(l),
                            |c: &mut Chunk| c.reset(),
                        )
                    })
                    .collect(),
            }),
            Kind::ObjectPool => AnyContender::ObjectPool(ObjectPool {
                pools: layouts
                    .iter()
                    .map(|&l| (l, object_pool::Pool::new(0, || fresh(l))))
                    .collect(),
            }),
            Kind::Malloc => AnyContender::Malloc(Alloc {
                alloc: EmptyAllocator,
                layouts,
            }),
            Kind::Floor => AnyContender::Floor(Floor { layouts }),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            AnyContender::Chunkpool(_) => Kind::Chunkpool,
            AnyContender::TidbMutex(_) => Kind::TidbMutex,
            AnyContender::MutexWhole(_) => Kind::MutexWhole,
            AnyContender::SegqueueWhole(_) => Kind::SegqueueWhole,
            AnyContender::LockfreeObjectPool(_) => Kind::LockfreeObjectPool,
            AnyContender::ObjectPool(_) => Kind::ObjectPool,
            AnyContender::Malloc(_) => Kind::Malloc,
            AnyContender::Floor(_) => Kind::Floor,
        }
    }

    /// Runs `v` on the concrete contender.
    pub fn visit<V: Visit>(&self, v: V) -> V::Out {
        match self {
            AnyContender::Chunkpool(c) => v.visit(c),
            AnyContender::TidbMutex(c) => v.visit(c),
            AnyContender::MutexWhole(c) => v.visit(c),
            AnyContender::SegqueueWhole(c) => v.visit(c),
            AnyContender::LockfreeObjectPool(c) => v.visit(c),
            AnyContender::ObjectPool(c) => v.visit(c),
            AnyContender::Malloc(c) => v.visit(c),
            AnyContender::Floor(c) => v.visit(c),
        }
    }

    pub fn stats(&self) -> Option<Stats> {
        struct S;
        impl Visit for S {
            type Out = Option<Stats>;
            fn visit<C: Contender>(self, c: &C) -> Option<Stats> {
                c.stats()
            }
        }
        self.visit(S)
    }
}
