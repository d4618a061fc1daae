//! The crate docs' invariants under real threads: TiDB's
//! `TestSyncAllocator` restated, the issue-46282 session race, bounds under
//! contention, trim racing with traffic, and unwinding workers.
//!
//! Sizes shrink under Miri and the sanitizers' `CHUNKPOOL_STRESS_SCALE`.
// std's primitives coordinate the workers: real threads, never loom
// (clippy.toml's rule is for the library).
#![allow(clippy::disallowed_types)]

use chunkpool::{
    Chunk, ChunkAllocator, FieldType, LockFreeAllocator, MutexAllocator, PoolConfig,
    SessionChunkPool, StatementOutcome,
};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Barrier, Mutex};

/// Iteration scale: 1.0 normally, smaller under Miri or when set by env.
fn scale(n: usize) -> usize {
    let factor = if cfg!(miri) {
        0.02
    } else {
        std::env::var("CHUNKPOOL_STRESS_SCALE")
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(1.0)
    };
    ((n as f64 * factor) as usize).max(2)
}

const FIELDS: [FieldType; 4] = [
    FieldType::I64,
    FieldType::VAR,
    FieldType::DECIMAL,
    FieldType::F32,
];

/// Fills every column with values derived from `stamp`.
fn write_stamp(chk: &mut Chunk, stamp: u64, rows: usize) {
    for r in 0..rows as u64 {
        let v = stamp.wrapping_mul(1_000_003).wrapping_add(r);
        chk.column_mut(0).append_i64(v as i64);
        chk.column_mut(1).append_bytes(&v.to_le_bytes());
        let mut dec = [0u8; 40];
        dec[..8].copy_from_slice(&v.to_be_bytes());
        chk.column_mut(2).append_fixed_bytes(&dec);
        if r % 5 == 0 {
            chk.column_mut(3).append_null();
        } else {
            chk.column_mut(3).append_f32(r as f32);
        }
    }
}

/// Checks that every column still holds exactly what `write_stamp` wrote.
fn check_stamp(chk: &Chunk, stamp: u64, rows: usize) {
    assert_eq!(chk.num_rows(), rows);
    for r in 0..rows {
        let v = stamp.wrapping_mul(1_000_003).wrapping_add(r as u64);
        assert_eq!(chk.column(0).get_i64(r), v as i64);
        assert_eq!(chk.column(1).get_bytes(r), &v.to_le_bytes());
        assert_eq!(&chk.column(2).get_fixed_bytes(r)[..8], &v.to_be_bytes());
        assert_eq!(chk.column(3).is_null(r), r % 5 == 0);
    }
}

fn buffers(chk: &Chunk) -> Vec<usize> {
    chk.columns().map(|c| c.data_ptr() as usize).collect()
}

/// TiDB's `TestSyncAllocator`: workers × rounds of allocate, stamp, verify,
/// drop, with `reset` between rounds; additionally no buffer may be live in
/// two chunks at once.
fn sync_allocator_stress<A: ChunkAllocator>(pool: &A) {
    let workers = 4;
    let rounds = scale(60);
    let live = Mutex::new(HashSet::new());
    let barrier = Barrier::new(workers);
    std::thread::scope(|s| {
        for w in 0..workers {
            let (live, barrier) = (&live, &barrier);
            s.spawn(move || {
                for round in 0..rounds {
                    let rows = 1 + (w * 7 + round * 13) % 40;
                    let mut chunks: Vec<_> =
                        (0..3).map(|_| pool.alloc(&FIELDS, rows, 64)).collect();
                    {
                        let mut set = live.lock().unwrap();
                        for chk in &chunks {
                            for p in buffers(chk) {
                                assert!(set.insert(p), "buffer {p:#x} handed out twice");
                            }
                        }
                    }
                    for (i, chk) in chunks.iter_mut().enumerate() {
                        write_stamp(chk, (w * 1_000 + round * 10 + i) as u64, rows);
                    }
                    barrier.wait(); // every worker's chunks are live and written
                    for (i, chk) in chunks.iter().enumerate() {
                        check_stamp(chk, (w * 1_000 + round * 10 + i) as u64, rows);
                    }
                    {
                        let mut set = live.lock().unwrap();
                        for chk in &chunks {
                            for p in buffers(chk) {
                                set.remove(&p);
                            }
                        }
                    }
                    barrier.wait(); // nobody drops until everyone has checked
                    drop(chunks);
                    if w == 0 {
                        pool.reset();
                    }
                }
            });
        }
    });
}

#[test]
fn sync_allocator_stress_lockfree() {
    let pool = LockFreeAllocator::with_config(PoolConfig::tidb());
    sync_allocator_stress(&pool);
    let st = pool.stats();
    assert_eq!(st.chunks_allocated, st.chunks_returned);
    assert!(st.chunks_from_cache > 0, "{st:?}");
}

#[test]
fn sync_allocator_stress_mutex() {
    let pool = MutexAllocator::with_config(PoolConfig::tidb());
    sync_allocator_stress(&pool);
    let st = pool.stats();
    assert_eq!(st.chunks_allocated, st.chunks_returned);
    assert!(st.columns_reused > 0);
}

#[test]
fn bounds_hold_under_contention() {
    let cfg = PoolConfig::builder()
        .max_free_chunks(2)
        .max_free_columns(3)
        .byte_budget(4096)
        .build()
        .unwrap();
    let pool = LockFreeAllocator::with_config(cfg);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let pool = &pool;
                s.spawn(move || {
                    for i in 0..scale(2_000) {
                        let fields: &[FieldType] = if (i + t) % 3 == 0 {
                            &[FieldType::I64, FieldType::VAR]
                        } else {
                            &[FieldType::I64]
                        };
                        let mut a = pool.alloc(fields, 8, 8);
                        let b = pool.alloc(fields, 8, 8);
                        if i % 7 == 0 {
                            a.column_mut(0).set_avoid_reusing(true);
                        }
                        drop(a);
                        drop(b);
                        // While others work, the exact reservations are the
                        // bound; `retained_*` sums per-thread counts read at
                        // slightly different times and may include a chunk
                        // moving between a thread cache and the depot twice.
                        let st = pool.stats();
                        assert!(st.reserved_chunks <= 2, "{st:?}");
                        assert!(st.budget_reserved <= 4096, "{st:?}");
                        // Each class counter is reserved before a push.
                        assert!(st.retained_columns <= 2 * 3, "{st:?}");
                    }
                })
            })
            .collect();
        // Join explicitly: `join` waits for the thread-local destructors that
        // hand the thread caches back; the scope's implicit join does not.
        for w in workers {
            w.join().unwrap();
        }
    });
    // Quiet now: the snapshot is exact.
    let st = pool.stats();
    assert_eq!(st.chunks_allocated, st.chunks_returned);
    assert!(st.retained_chunks > 0, "{st:?}");
    assert!(st.retained_chunks <= st.reserved_chunks, "{st:?}");
    assert!(st.reserved_chunks <= 2, "{st:?}");
    assert!(st.retained_bytes <= st.budget_reserved, "{st:?}");
    assert!(st.budget_reserved <= 4096, "{st:?}");
}

#[test]
fn trim_races_with_alloc_and_return() {
    let pool = LockFreeAllocator::with_config(PoolConfig::with_limits(4, 8).unwrap());
    let stop = AtomicBool::new(false);
    let trims = AtomicU64::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let pool = &pool;
                s.spawn(move || {
                    for i in 0..scale(3_000) {
                        let mut chk = pool.alloc(&FIELDS, 16, 16);
                        write_stamp(&mut chk, (w * 100_000 + i) as u64, 3);
                        check_stamp(&chk, (w * 100_000 + i) as u64, 3);
                    }
                })
            })
            .collect();
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                pool.trim();
                trims.fetch_add(1, Ordering::Relaxed);
            }
        });
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert!(trims.load(Ordering::Relaxed) > 0);
    let st = pool.stats();
    assert_eq!(st.chunks_allocated, st.chunks_returned);
    assert!(
        st.retained_chunks <= 4 && st.retained_columns <= 4 * 8,
        "{st:?}"
    );
    // Still fully usable.
    let chk = pool.alloc(&FIELDS, 16, 16);
    assert_eq!(chk.num_rows(), 0);
}

/// TiDB issue 46282: two threads set and clear one session's allocator while
/// workers allocate through it. Every alloc must see the old allocator, the
/// new one, or none; data never gets mixed up; every pooled chunk returns to
/// the allocator it came from.
#[test]
fn issue_46282_set_and_clear_race() {
    let session = SessionChunkPool::new();
    let made = Mutex::new(Vec::<LockFreeAllocator>::new());
    let stop = AtomicBool::new(false);
    let pooled = AtomicU64::new(0);
    let unpooled = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let (session, made, stop) = (&session, &made, &stop);
            s.spawn(move || {
                let mut alloc =
                    LockFreeAllocator::with_config(PoolConfig::with_limits(4, 16).unwrap());
                made.lock().unwrap().push(alloc.clone());
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    session.begin_statement();
                    session.set_alloc(Some(&alloc));
                    let failed = (i + t) % 4 == 0;
                    session.clear_alloc(&mut alloc, StatementOutcome::failed_if(failed));
                    if failed {
                        made.lock().unwrap().push(alloc.clone());
                    }
                    alloc.reset();
                    i += 1;
                }
            });
        }
        let workers: Vec<_> = (0..4u64)
            .map(|w| {
                let (session, pooled, unpooled) = (&session, &pooled, &unpooled);
                s.spawn(move || {
                    for i in 0..scale(3_000) as u64 {
                        let mut chk = session.chunk_allocator().alloc(&FIELDS, 8, 32);
                        if chk.is_pooled() {
                            pooled.fetch_add(1, Ordering::Relaxed);
                        } else {
                            unpooled.fetch_add(1, Ordering::Relaxed);
                        }
                        write_stamp(&mut chk, w << 32 | i, 4);
                        check_stamp(&chk, w << 32 | i, 4);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
    let made = made.into_inner().unwrap();
    let allocated: u64 = made.iter().map(|a| a.stats().chunks_allocated).sum();
    let returned: u64 = made.iter().map(|a| a.stats().chunks_returned).sum();
    assert_eq!(
        allocated,
        pooled.load(Ordering::Relaxed),
        "every pooled chunk came from a tracked allocator"
    );
    assert_eq!(returned, allocated, "and went back to it");
    assert_eq!(
        pooled.load(Ordering::Relaxed) + unpooled.load(Ordering::Relaxed),
        4 * scale(3_000) as u64
    );
}

#[test]
fn unwinding_workers_return_their_chunks() {
    let pool = LockFreeAllocator::with_config(PoolConfig::with_limits(16, 64).unwrap());
    let panicked = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let pool = &pool;
                s.spawn(move || {
                    let mut held: Vec<_> = (0..3).map(|_| pool.alloc(&FIELDS, 8, 8)).collect();
                    write_stamp(&mut held[0], w, 2);
                    if w % 2 == 0 {
                        panic!("worker {w} fails while holding {} chunks", held.len());
                    }
                    held.len()
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().err()).count()
    });
    assert_eq!(panicked, 2);
    let st = pool.stats();
    assert_eq!(st.chunks_allocated, 12);
    assert_eq!(
        st.chunks_returned, 12,
        "chunks dropped while unwinding come back"
    );
    // Workers may reuse what a panicking one gave back; every distinct chunk
    // ever made is cached now.
    let distinct = (st.chunks_allocated - st.chunks_from_cache) as usize;
    assert_eq!(st.retained_chunks, distinct, "{st:?}");
    // The pool is whole: everything cached is handed out again, reset.
    let again: Vec<_> = (0..distinct).map(|_| pool.alloc(&FIELDS, 8, 8)).collect();
    assert!(again.iter().all(|c| c.num_rows() == 0));
    assert_eq!(
        pool.stats().chunks_from_cache,
        st.chunks_from_cache + distinct as u64
    );
}
