//! Accounting an engine can wire to its limit (issue 21, part 1):
//! `Chunk::allocated_bytes`, and a `MemoryBudget` that a lock-free
//! allocator charges what it holds (live or cached), that can refuse new
//! buffers, and that gets every byte back once the pool frees it.
//!
//! Every budget test ends with the pool trimmed (or dropped) and every
//! chunk home, where the budget must be back at 0: a byte charged and
//! never given back, or given back twice, shows there.
// The test's budget is an engine's code, counting with std's atomics; it
// never runs under loom.
#![allow(clippy::disallowed_types)]

use chunkpool::{
    Chunk, ChunkAllocator, Column, Error, FieldType, LockFreeAllocator, MemoryBudget, PoolConfig,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A budget with a limit that counts what it was asked and told.
#[derive(Debug)]
struct Limit {
    used: AtomicUsize,
    limit: AtomicUsize,
    grows: AtomicUsize,
    refusals: AtomicUsize,
}

impl Limit {
    fn new(limit: usize) -> Arc<Limit> {
        Arc::new(Limit {
            used: AtomicUsize::new(0),
            limit: AtomicUsize::new(limit),
            grows: AtomicUsize::new(0),
            refusals: AtomicUsize::new(0),
        })
    }

    fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }

    fn set_limit(&self, limit: usize) {
        self.limit.store(limit, Ordering::SeqCst);
    }

    fn grows(&self) -> usize {
        self.grows.load(Ordering::SeqCst)
    }
}

impl MemoryBudget for Limit {
    fn try_grow(&self, bytes: usize) -> Result<(), &'static str> {
        self.grows.fetch_add(1, Ordering::SeqCst);
        let limit = self.limit.load(Ordering::SeqCst);
        match self
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |u| {
                (u + bytes <= limit).then_some(u + bytes)
            }) {
            Ok(_) => Ok(()),
            Err(_) => {
                self.refusals.fetch_add(1, Ordering::SeqCst);
                Err("over the test's limit")
            }
        }
    }

    fn shrink(&self, bytes: usize) {
        let before = self.used.fetch_sub(bytes, Ordering::SeqCst);
        assert!(before >= bytes, "gave back {bytes} of {before} charged");
    }
}

fn pool_with(limit: &Arc<Limit>, cfg: PoolConfig) -> LockFreeAllocator {
    LockFreeAllocator::with_memory_budget(cfg, Arc::clone(limit) as Arc<dyn MemoryBudget>)
}

const FIELDS: [FieldType; 3] = [FieldType::I64, FieldType::VAR, FieldType::DECIMAL];

#[test]
fn chunk_allocated_bytes_is_capacity_with_shared_columns_once() {
    let mut chk = Chunk::new(&FIELDS, 100, 1024);
    let per_column: Vec<usize> = chk.columns().map(Column::allocated_bytes).collect();
    let sum: usize = per_column.iter().sum();
    assert_eq!(chk.allocated_bytes(), sum);
    assert!(per_column.iter().all(|&b| b > 0));
    // Lengths do not count, growth does.
    chk.column_mut(0).append_i64(1);
    assert_eq!(chk.allocated_bytes(), sum);
    for _ in 0..100 {
        chk.column_mut(1).append_bytes(&[b'x'; 100]);
    }
    let grown = chk.column(1).allocated_bytes();
    assert!(grown > per_column[1]);
    assert_eq!(chk.allocated_bytes(), sum - per_column[1] + grown);
    // A column in two slots counts once; in two chunks, once in each.
    let mut two = Chunk::new(&[FieldType::I64, FieldType::I64, FieldType::I64], 16, 16);
    let one = two.column(0).allocated_bytes();
    two.make_ref(0, 2);
    assert_eq!(two.allocated_bytes(), 2 * one);
    two.make_ref(0, 1);
    assert_eq!(two.allocated_bytes(), one);
    let mut other = Chunk::new(&[FieldType::I64], 16, 16);
    other.make_ref_to(0, &mut two, 0);
    assert_eq!((other.allocated_bytes(), two.allocated_bytes()), (one, one));
}

#[test]
fn misses_are_charged_and_hits_ask_nothing() {
    let limit = Limit::new(usize::MAX);
    let pool = pool_with(&limit, PoolConfig::default());
    let chk = pool.alloc(&FIELDS, 256, 1024);
    assert_eq!(limit.used(), chk.allocated_bytes());
    let asked = limit.grows();
    assert_eq!(asked, 1, "one question for the new buffers");
    let bytes = chk.allocated_bytes();
    drop(chk);
    for _ in 0..100 {
        let chk = pool.alloc(&FIELDS, 256, 1024);
        assert_eq!(chk.allocated_bytes(), bytes);
    }
    assert_eq!(limit.grows(), asked, "recycled chunks ask nothing");
    assert_eq!(limit.used(), bytes, "a cached chunk stays counted");
    pool.trim();
    assert_eq!(limit.used(), 0);
}

#[test]
fn a_refused_alloc_errors_and_leaves_pool_and_budget_as_they_were() {
    let one = Chunk::new(&FIELDS, 256, 1024).allocated_bytes();
    let limit = Limit::new(one + one / 2);
    let pool = pool_with(&limit, PoolConfig::default());
    let held = pool.alloc(&FIELDS, 256, 1024);
    let err = pool.try_alloc(&FIELDS, 256, 1024).unwrap_err();
    match &err {
        Error::BudgetRefused { bytes, reason } => {
            assert_eq!((*bytes, *reason), (one, "over the test's limit"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("over the test's limit"), "{err}");
    assert_eq!(limit.used(), one, "a refusal charges nothing");
    let s = pool.stats();
    assert_eq!((s.chunks_allocated, s.columns_fresh), (1, 3), "{s:?}");
    // The panicking twin panics with the reason.
    let alloc = std::panic::AssertUnwindSafe(&pool);
    let panicked = std::panic::catch_unwind(|| drop(alloc.alloc(&FIELDS, 256, 1024)));
    assert!(panicked.is_err());
    drop(held);
    // The chunk is cached (still counted) and serves the next request.
    let again = pool.try_alloc(&FIELDS, 256, 1024).expect("from the cache");
    assert_eq!((limit.used(), pool.stats().chunks_from_cache), (one, 1));
    drop(again);
    drop(pool);
    assert_eq!(limit.used(), 0);
}

#[test]
fn a_refusal_puts_cached_loose_columns_back() {
    // Loose columns only: a chunk of 3 columns takes the 2 cached ones
    // and needs a new one, which the budget refuses.
    let cfg = PoolConfig::with_limits(0, 16).unwrap();
    let two = [FieldType::I64, FieldType::I64];
    let three = [FieldType::I64; 3];
    let col = Chunk::new(&[FieldType::I64], 64, 64).allocated_bytes();
    let limit = Limit::new(2 * col);
    let pool = pool_with(&limit, cfg);
    drop(pool.alloc(&two, 64, 64));
    assert_eq!((pool.stats().retained_columns, limit.used()), (2, 2 * col));
    let err = pool.try_alloc(&three, 64, 64).unwrap_err();
    assert!(matches!(err, Error::BudgetRefused { .. }), "{err:?}");
    let s = pool.stats();
    assert_eq!((s.retained_columns, s.columns_reused), (2, 0), "{s:?}");
    assert_eq!(limit.used(), 2 * col);
    // Room for one more column: the request goes through, reusing both.
    limit.set_limit(3 * col);
    let chk = pool.try_alloc(&three, 64, 64).unwrap();
    assert_eq!((limit.used(), pool.stats().columns_reused), (3 * col, 2));
    drop(chk);
    pool.trim();
    assert_eq!(limit.used(), 0);
}

#[test]
fn growth_is_charged_when_the_chunk_comes_home() {
    let limit = Limit::new(usize::MAX);
    let pool = pool_with(&limit, PoolConfig::default());
    let mut chk = pool.alloc(&[FieldType::VAR], 64, 1024);
    let before = chk.allocated_bytes();
    for _ in 0..64 {
        chk.column_mut(0).append_bytes(&[b'y'; 200]);
    }
    let grown = chk.allocated_bytes();
    assert!(grown > before);
    assert_eq!(
        limit.used(),
        before,
        "a live chunk's growth is not seen yet"
    );
    drop(chk);
    assert_eq!(limit.used(), grown, "settled when it came home");
    assert_eq!(pool.stats().retained_chunks, 1);
    pool.trim();
    assert_eq!(limit.used(), 0);
}

#[test]
fn refused_growth_frees_the_chunk_instead_of_caching_it() {
    let limit = Limit::new(usize::MAX);
    let pool = pool_with(&limit, PoolConfig::default());
    let mut chk = pool.alloc(&[FieldType::VAR], 64, 1024);
    let before = chk.allocated_bytes();
    limit.set_limit(before);
    for _ in 0..64 {
        chk.column_mut(0).append_bytes(&[b'y'; 200]);
    }
    drop(chk);
    let s = pool.stats();
    assert_eq!((s.retained_chunks, s.retained_columns), (0, 0), "{s:?}");
    assert_eq!(s.discarded_over_limit, 1, "{s:?}");
    assert_eq!(limit.used(), 0, "what it was charged is given back");
}

#[test]
fn a_column_leaving_a_live_chunk_is_charged_as_it_enters_the_cache() {
    let limit = Limit::new(usize::MAX);
    let pool = pool_with(&limit, PoolConfig::default());
    let fields = [FieldType::I64, FieldType::I64];
    let mut chk = pool.alloc(&fields, 64, 64);
    let one = chk.column(1).allocated_bytes();
    assert_eq!(limit.used(), 2 * one);
    chk.make_ref(0, 1); // column 1 goes to the cache
    assert_eq!(pool.stats().retained_columns, 1);
    assert_eq!(
        limit.used(),
        3 * one,
        "cached and still in its chunk's charge"
    );
    drop(chk); // settles to the one column it holds, freed or cached loose
    pool.trim();
    assert_eq!(limit.used(), 0);
}

#[test]
fn chunks_outliving_the_allocator_give_everything_back() {
    let limit = Limit::new(usize::MAX);
    let pool = pool_with(&limit, PoolConfig::default());
    let live: Vec<Chunk> = (0..5).map(|_| pool.alloc(&FIELDS, 32, 1024)).collect();
    drop(pool.alloc(&FIELDS, 32, 1024));
    let bytes: usize = live.iter().map(Chunk::allocated_bytes).sum();
    assert!(limit.used() > bytes, "the cached one counts too");
    drop(pool);
    assert_eq!(limit.used(), bytes, "the cache went with the allocator");
    drop(live);
    assert_eq!(limit.used(), 0);
}

#[test]
fn threads_under_a_tight_budget_never_pass_it_and_leave_nothing_charged() {
    let one = Chunk::new(&FIELDS, 128, 1024).allocated_bytes();
    let limit = Limit::new(6 * one);
    let cfg = PoolConfig::with_limits(4, 8).unwrap();
    let pool = pool_with(&limit, cfg);
    let workers: Vec<_> = (0..4)
        .map(|t| {
            let pool = pool.clone();
            let limit = Arc::clone(&limit);
            std::thread::spawn(move || {
                let mut held = Vec::new();
                let mut refused = 0;
                for i in 0..300 {
                    match pool.try_alloc(&FIELDS, 128, 1024) {
                        Ok(mut chk) => {
                            if (i + t) % 7 == 0 {
                                // Grow it: settled (or refused) at return.
                                for _ in 0..40 {
                                    chk.column_mut(1).append_bytes(&[b'z'; 64]);
                                }
                            }
                            held.push(chk);
                        }
                        Err(Error::BudgetRefused { .. }) => refused += 1,
                        Err(e) => panic!("{e}"),
                    }
                    assert!(limit.used() <= 6 * one);
                    if held.len() > 2 || i % 5 == 0 {
                        held.clear();
                    }
                }
                refused
            })
        })
        .collect();
    let refused: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    // Every failed alloc was a refusal; the others freed a grown chunk.
    assert!(refused <= limit.refusals.load(Ordering::SeqCst));
    assert!(limit.used() <= 6 * one);
    drop(pool);
    assert_eq!(limit.used(), 0);
}

#[test]
fn a_renewed_allocator_charges_the_same_budget() {
    use chunkpool::Renew;
    let limit = Limit::new(usize::MAX);
    let old = pool_with(&limit, PoolConfig::default());
    let new = old.renew();
    let chk = new.alloc(&FIELDS, 64, 64);
    assert_eq!(limit.used(), chk.allocated_bytes());
    drop((chk, new, old));
    assert_eq!(limit.used(), 0);
}
