//! The lock-free allocator's per-thread caches: what a thread caches is
//! handed back when it exits, flows between threads through the depot,
//! counts against the limits, and goes away on `trim`.
//!
//! Threads are joined explicitly: a thread's cache is flushed by its
//! thread-local destructor, which `JoinHandle::join` waits for (the implicit
//! join at the end of `std::thread::scope` does not).
// A std barrier lines the threads up: real threads, never loom
// (clippy.toml's rule is for the library).
#![allow(clippy::disallowed_types)]

use chunkpool::{ChunkAllocator, FieldType, LockFreeAllocator, PoolConfig};
use std::collections::HashSet;
use std::sync::mpsc;
use std::sync::Barrier;

const F: [FieldType; 3] = [FieldType::I64, FieldType::VAR, FieldType::DECIMAL];

#[test]
fn a_thread_that_exits_hands_back_its_cache() {
    let pool = LockFreeAllocator::new();
    let made: HashSet<usize> = std::thread::scope(|s| {
        s.spawn(|| {
            let chunks: Vec<_> = (0..10).map(|_| pool.alloc(&F, 64, 64)).collect();
            let ptrs = chunks
                .iter()
                .map(|c| c.column(0).data_ptr() as usize)
                .collect();
            drop(chunks); // into this thread's cache
            assert_eq!(pool.stats().retained_chunks, 10);
            ptrs
        })
        .join()
        .unwrap()
    });
    let st = pool.stats();
    assert_eq!(
        st.retained_chunks, 10,
        "nothing lost at thread exit: {st:?}"
    );
    let again: Vec<_> = (0..10).map(|_| pool.alloc(&F, 64, 64)).collect();
    let got: HashSet<usize> = again
        .iter()
        .map(|c| c.column(0).data_ptr() as usize)
        .collect();
    assert_eq!(got, made, "the exited thread's chunks serve another thread");
    assert_eq!(pool.stats().chunks_from_cache, 10);
}

#[test]
fn chunks_dropped_on_another_thread_come_back_through_the_depot() {
    let pool = LockFreeAllocator::new();
    // A short queue keeps the producer from running far ahead of the consumer.
    let (tx, rx) = mpsc::sync_channel(4);
    let rounds = 200;
    std::thread::scope(|s| {
        let producer = s.spawn(|| {
            for i in 0..rounds {
                let mut chk = pool.alloc(&F, 32, 32);
                chk.column_mut(0).append_i64(i);
                tx.send(chk).unwrap();
            }
            drop(tx);
        });
        let consumer = s.spawn(|| {
            let mut n = 0;
            for chk in rx {
                assert_eq!(chk.column(0).get_i64(0), n);
                n += 1;
            } // each chunk is dropped here, on the consumer thread
            n
        });
        producer.join().unwrap();
        assert_eq!(consumer.join().unwrap(), rounds);
    });
    let st = pool.stats();
    assert_eq!(st.chunks_returned, rounds as u64);
    assert!(
        st.chunks_from_cache > rounds as u64 / 2,
        "the producer reuses what the consumer dropped: {st:?}"
    );
    assert!(st.retained_chunks <= 64);
}

#[test]
fn thread_caches_count_against_the_limit() {
    let limit = 5;
    let pool = LockFreeAllocator::with_config(PoolConfig::with_limits(limit, 0).unwrap());
    let barrier = Barrier::new(3);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                s.spawn(|| {
                    let chunks: Vec<_> = (0..4).map(|_| pool.alloc(&F, 8, 8)).collect();
                    barrier.wait();
                    drop(chunks);
                    barrier.wait(); // every thread's cache is filled as far as allowed
                    let st = pool.stats();
                    assert!(st.retained_chunks <= limit, "{st:?}");
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    let st = pool.stats();
    assert_eq!(st.retained_chunks, limit, "{st:?}");
    assert_eq!(st.chunks_returned, 12);
}

/// A worker caches six chunks and waits while `main` trims, then runs
/// `then` on its own thread, before its next call into the allocator.
fn trim_under_a_caching_worker(pool: &LockFreeAllocator, then: impl FnOnce() + Send) {
    let (to_worker, worker_rx) = mpsc::channel::<()>();
    let (to_main, main_rx) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let worker = s.spawn(move || {
            let chunks: Vec<_> = (0..6).map(|_| pool.alloc(&F, 8, 8)).collect();
            drop(chunks);
            to_main.send(()).unwrap();
            worker_rx.recv().unwrap(); // main trims meanwhile
            then();
        });
        main_rx.recv().unwrap();
        assert_eq!(pool.stats().retained_chunks, 6);
        pool.trim();
        to_worker.send(()).unwrap();
        worker.join().unwrap();
    });
}

#[test]
fn trim_empties_other_threads_caches_when_they_next_look() {
    let pool = LockFreeAllocator::new();
    trim_under_a_caching_worker(&pool, || {
        let fresh_before = pool.stats().columns_fresh;
        let chk = pool.alloc(&F, 8, 8);
        assert_eq!(chk.num_rows(), 0);
        assert_eq!(
            pool.stats().columns_fresh,
            fresh_before + 3,
            "the trimmed cache served nothing"
        );
    });
    // The worker's cache let go of its 6 chunks; only the one it allocated
    // and dropped since may be cached.
    assert!(pool.stats().retained_chunks <= 1, "{:?}", pool.stats());
}

#[test]
fn many_allocators_on_one_thread_stay_correct() {
    // More allocators than a thread keeps caches for: the least recently
    // used cache is flushed to its depot; nothing is lost or mixed up.
    let pools: Vec<_> = (0..7).map(|_| LockFreeAllocator::new()).collect();
    let ptrs: Vec<_> = pools
        .iter()
        .map(|p| {
            let chk = p.alloc(&F, 16, 16);
            chk.column(0).data_ptr() // dropped here, into a cache
        })
        .collect();
    for (p, &ptr) in pools.iter().zip(&ptrs) {
        assert_eq!(p.stats().retained_chunks, 1, "{:?}", p.stats());
        let chk = p.alloc(&F, 16, 16);
        assert_eq!(
            chk.column(0).data_ptr(),
            ptr,
            "each pool gets its own chunk back"
        );
        assert_eq!(p.stats().chunks_from_cache, 1);
    }
}

#[test]
fn sixteen_threads_all_get_credits_under_the_default_limit() {
    // Thread caches take credits in batches; a batch is never more than a
    // quarter of what is left, so 16 threads cycling one chunk each under
    // the default 64-chunk limit all keep caching whole chunks.
    let pool = LockFreeAllocator::new();
    let barrier = Barrier::new(16);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    drop(pool.alloc(&F, 64, 64));
                    barrier.wait(); // every thread now holds credits at once
                    for _ in 0..199 {
                        drop(pool.alloc(&F, 64, 64));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    let st = pool.stats();
    assert_eq!(st.discarded_over_limit, 0, "{st:?}");
    assert_eq!(st.retained_columns, 0, "no chunk had to be split: {st:?}");
    assert!(st.chunks_from_cache >= 16 * 199, "{st:?}");
}

#[test]
fn threads_starting_on_a_full_cache_share_it() {
    // Fill the shared cache to the default limit of 64 whole chunks: one
    // thread holds 64 at once, drops them and exits (handing back its own
    // magazine too).
    let pool = LockFreeAllocator::new();
    std::thread::scope(|s| {
        s.spawn(|| {
            let held: Vec<_> = (0..64).map(|_| pool.alloc(&F, 64, 64)).collect();
            drop(held);
        })
        .join()
        .unwrap();
    });
    assert_eq!(pool.stats().retained_chunks, 64);
    // Sixteen live threads take turns (one runs at a time, so the outcome
    // does not depend on scheduling). A thread takes chunks from the shared
    // cache in batches of up to 8: if the first eight kept their batches,
    // they would hold all 64 chunks and credits, and the other eight would
    // cycle loose columns for good. Each keeps a fair share instead.
    let cycle = |n: usize| {
        for _ in 0..n {
            drop(pool.alloc(&F, 64, 64));
        }
    };
    let (mid, after) = in_turns(16, cycle, |round| {
        round(1); // every thread's first take, the first ones refilling
        let mid = pool.stats();
        round(50);
        (mid, pool.stats())
    });
    let allocated = after.chunks_allocated - mid.chunks_allocated;
    let whole = after.chunks_from_cache - mid.chunks_from_cache;
    assert_eq!(allocated, 16 * 50, "{after:?}");
    assert!(
        whole * 100 >= allocated * 95,
        "{whole} of {allocated} allocations got a whole cached chunk: {after:?}"
    );
}

/// S9's shape of work: sixteen threads each hold two chunks at a time (a
/// scan and what its filter keeps), with the default limit of 64 whole
/// chunks and a seventeenth thread (the one that made the allocator, as
/// `compare` verifies on it) caching one. Every thread's fair share holds
/// its two: from the third round on, every chunk comes whole from the
/// thread's own magazine, and it is the same two chunks every cycle. With
/// the share at half the limit split (1 here), the second chunk of every
/// cycle went through the depot, another thread's chunk each time, and
/// under real concurrency it sometimes found the depot empty and made a
/// new one.
///
/// The threads take turns (one runs at a time), so the outcome does not
/// depend on scheduling. The first round makes the chunks (threads that
/// join early reserve credits in batches, so a late one may find none);
/// the second lets every thread see the final thread count and give back
/// what it holds over its share.
#[test]
fn sixteen_threads_keep_their_two_chunks_each_to_themselves() {
    let pool = LockFreeAllocator::new();
    // `main` caches for the pool too.
    drop(pool.alloc(&F, 64, 64));
    // Each cycle's two chunks, by the address of their first column.
    let cycle = |n: usize| -> Vec<[usize; 2]> {
        (0..n)
            .map(|_| {
                let scan = pool.alloc(&F, 64, 64);
                let kept = pool.alloc(&F, 64, 64);
                let mut pair =
                    [scan.column(0).data_ptr(), kept.column(0).data_ptr()].map(|p| p as usize);
                pair.sort_unstable();
                pair
            })
            .collect()
    };
    let (mid, after, seen) = in_turns(16, cycle, |round| {
        round(1);
        round(1);
        let mid = pool.stats();
        let seen = round(20);
        (mid, pool.stats(), seen)
    });
    let allocated = after.chunks_allocated - mid.chunks_allocated;
    let whole = after.chunks_from_cache - mid.chunks_from_cache;
    assert_eq!(allocated, 16 * 20 * 2, "{after:?}");
    assert_eq!(whole, allocated, "{mid:?}\n{after:?}");
    assert_eq!(after.columns_fresh, mid.columns_fresh, "{after:?}");
    for (t, pairs) in seen.iter().enumerate() {
        assert!(
            pairs.iter().all(|p| p == &pairs[0]),
            "thread {t} got other chunks than its own: {pairs:?}"
        );
    }
}

/// Two sizes of one layout in turn, as S11's 2 MiB and 32 MiB columns:
/// each request gets the cached chunk that fits it best, whatever order
/// the chunks came back in, so no column is made again and the cache
/// holds one chunk of each size. A request that only a much bigger
/// cached chunk fits still gets that one rather than a new one.
#[test]
fn each_request_gets_the_cached_chunk_that_fits_it_best() {
    let (small, large) = (1 << 10, 1 << 16);
    for small_back_first in [true, false] {
        let pool = LockFreeAllocator::new();
        for _cycle in 0..4 {
            let a = pool.alloc(&[FieldType::I64], small, small);
            let b = pool.alloc(&[FieldType::I64], large, large);
            assert!(a.column(0).capacity() >= small && b.column(0).capacity() >= large);
            if small_back_first {
                drop((a, b));
            } else {
                drop((b, a));
            }
        }
        let st = pool.stats();
        assert_eq!(
            (st.columns_fresh, st.discarded_too_small, st.retained_chunks),
            (2, 0, 2),
            "small back first: {small_back_first}; {st:?}"
        );
        assert_eq!(st.chunks_from_cache, 6, "{st:?}");
    }
    let pool = LockFreeAllocator::new();
    drop(pool.alloc(&[FieldType::I64], large, large));
    let chk = pool.alloc(&[FieldType::I64], small, small);
    assert_eq!(pool.stats().chunks_from_cache, 1);
    assert!(chk.column(0).capacity() >= large);
}

/// S11's sequence: a lone small chunk and a lone large one first (the
/// small one grows into a large one), then small and large requests in
/// turn, both cached chunks now of the large capacity. Each request keeps
/// getting the chunk it wrote last (the one last handed out for its
/// capacity), whatever order the chunks came back in: the large request's
/// buffer is the same every cycle, so its writes land where the last
/// cycle's did.
#[test]
fn two_sizes_in_turn_keep_their_own_buffers() {
    let (small, large) = (1 << 10, 1 << 16);
    for small_back_first in [true, false] {
        let pool = LockFreeAllocator::new();
        drop(pool.alloc(&[FieldType::I64], small, small));
        drop(pool.alloc(&[FieldType::I64], large, large));
        let mut seen = Vec::new();
        for _cycle in 0..6 {
            let mut a = pool.alloc(&[FieldType::I64], small, small);
            let mut b = pool.alloc(&[FieldType::I64], large, large);
            a.column_mut(0).extend_from_slice(&vec![1i64; small]);
            b.column_mut(0).extend_from_slice(&vec![2i64; large]);
            seen.push((a.column(0).data_ptr(), b.column(0).data_ptr()));
            if small_back_first {
                drop((a, b));
            } else {
                drop((b, a));
            }
        }
        // From the second cycle on (the first made the second chunk).
        assert!(
            seen[1..].iter().all(|&s| s == seen[1]),
            "small back first: {small_back_first}: {seen:?}"
        );
        assert_eq!(pool.stats().retained_chunks, 2);
    }
}

/// Runs `threads` threads that take turns, one at a time (so what they do
/// does not depend on scheduling): `script` gets `round`, which has each
/// thread in turn run `cycle(n)` and returns what each gave, in turn
/// order. The threads leave when `script` returns.
fn in_turns<R: Send, T>(
    threads: usize,
    cycle: impl Fn(usize) -> R + Sync,
    script: impl FnOnce(&dyn Fn(usize) -> Vec<R>) -> T,
) -> T {
    let (done_tx, done_rx) = mpsc::channel::<R>();
    let cycle = &cycle;
    std::thread::scope(|s| {
        let turns: Vec<mpsc::Sender<usize>> = (0..threads)
            .map(|_| {
                let (tx, rx) = mpsc::channel::<usize>();
                let done_tx = done_tx.clone();
                s.spawn(move || {
                    while let Ok(n) = rx.recv() {
                        done_tx.send(cycle(n)).unwrap();
                    }
                });
                tx
            })
            .collect();
        let round = |n: usize| -> Vec<R> {
            (turns.iter())
                .map(|tx| {
                    tx.send(n).unwrap();
                    done_rx.recv().unwrap()
                })
                .collect()
        };
        script(&round)
        // `turns` drops here: the threads leave their loops.
    })
}

/// The chunks a thread cached, data pointers of column 0.
fn cache_some(pool: &LockFreeAllocator, n: usize) -> HashSet<usize> {
    let chunks: Vec<_> = (0..n).map(|_| pool.alloc(&F, 64, 64)).collect();
    chunks
        .iter()
        .map(|c| c.column(0).data_ptr() as usize)
        .collect()
}

#[test]
fn a_thread_that_releases_its_cache_leaves_its_chunks_to_other_threads() {
    let pool = LockFreeAllocator::new();
    let made = cache_some(&pool, 3); // in this thread's cache
    assert_eq!(pool.stats().retained_chunks, 3);

    // Not released yet: another thread cannot reach them and makes its own.
    let (held, fresh) = std::thread::scope(|s| {
        s.spawn(|| {
            let c = pool.alloc(&F, 64, 64);
            let p = c.column(0).data_ptr() as usize;
            (c, p)
        })
        .join()
        .unwrap()
    });
    assert!(!made.contains(&fresh));
    assert_eq!(pool.stats().chunks_from_cache, 0);

    pool.release_thread_cache();
    let st = pool.stats();
    assert_eq!(st.retained_chunks, 3, "handed on, not freed: {st:?}");
    assert_eq!(
        st.reserved_chunks, st.retained_chunks,
        "the thread keeps no slot for its next returns: {st:?}"
    );

    let got: HashSet<usize> = std::thread::scope(|s| {
        s.spawn(|| {
            let chunks: Vec<_> = (0..3).map(|_| pool.alloc(&F, 64, 64)).collect();
            chunks
                .iter()
                .map(|c| c.column(0).data_ptr() as usize)
                .collect()
        })
        .join()
        .unwrap()
    });
    assert_eq!(got, made, "another thread reuses the released chunks");
    assert_eq!(pool.stats().chunks_from_cache, 3);
    drop(held);
}

#[test]
fn a_thread_that_released_its_cache_takes_its_chunk_back_and_caches_again() {
    let pool = LockFreeAllocator::new();
    let made = cache_some(&pool, 1);
    pool.release_thread_cache();
    let again = pool.alloc(&F, 64, 64);
    assert!(made.contains(&(again.column(0).data_ptr() as usize)));
    drop(again);
    let st = pool.stats();
    assert_eq!((st.chunks_from_cache, st.retained_chunks), (1, 1));
    // Cached for this thread again: a second release hands it on again.
    pool.release_thread_cache();
    let got = std::thread::scope(|s| {
        s.spawn(|| pool.alloc(&F, 64, 64).column(0).data_ptr() as usize)
            .join()
            .unwrap()
    });
    assert!(made.contains(&got));
    assert_eq!(pool.stats().chunks_from_cache, 2);
}

#[test]
fn releasing_a_thread_cache_gives_back_the_budget_it_held() {
    let budget = 1 << 20;
    let pool =
        LockFreeAllocator::with_config(PoolConfig::builder().byte_budget(budget).build().unwrap());
    cache_some(&pool, 2);
    let before = pool.stats();
    assert!(
        before.budget_reserved > before.retained_bytes,
        "the thread holds budget for its next returns: {before:?}"
    );
    pool.release_thread_cache();
    let st = pool.stats();
    assert_eq!(st.retained_chunks, 2);
    assert_eq!(st.retained_bytes, before.retained_bytes);
    assert_eq!(
        (st.budget_reserved, st.reserved_chunks),
        (st.retained_bytes, st.retained_chunks),
        "{st:?}"
    );
    assert!(st.budget_reserved <= budget);
}

#[test]
fn a_release_reaches_only_the_calling_threads_cache() {
    let pool = LockFreeAllocator::new();
    let (to_main, from_worker) = mpsc::channel();
    let (to_worker, from_main) = mpsc::channel::<()>();
    std::thread::scope(|s| {
        let pool = &pool;
        let worker = s.spawn(move || {
            let mine = cache_some(pool, 1);
            to_main.send(()).unwrap();
            from_main.recv().unwrap();
            // Still in this thread's cache: taken from there, not made.
            let c = pool.alloc(&F, 64, 64);
            assert!(mine.contains(&(c.column(0).data_ptr() as usize)));
        });
        from_worker.recv().unwrap();
        let before = pool.stats();
        pool.release_thread_cache(); // main has no cache of this pool
        assert_eq!(pool.stats(), before);
        to_worker.send(()).unwrap();
        worker.join().unwrap();
    });
    let st = pool.stats();
    assert_eq!((st.chunks_allocated, st.chunks_from_cache), (2, 1));
}

/// `trim` frees what other threads cache at their next call "or when they
/// exit": a thread that exits, or hands its cache on with
/// `release_thread_cache`, after a `trim` it has not seen frees its
/// trimmed chunks instead of moving them to the depot.
#[test]
fn a_thread_that_exits_or_releases_after_a_trim_frees_its_chunks() {
    for release in [false, true] {
        let pool = LockFreeAllocator::new();
        trim_under_a_caching_worker(&pool, || {
            if release {
                pool.release_thread_cache();
                assert_eq!(pool.stats().retained_chunks, 0, "released after trim");
            }
        });
        let st = pool.stats();
        assert_eq!(
            (st.retained_chunks, st.retained_bytes, st.reserved_chunks),
            (0, 0, 0),
            "release {release}: {st:?}"
        );
    }
}
