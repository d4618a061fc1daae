//! Timing `threads` threads that share one contender: per-thread state and
//! warm-up cycles happen before a barrier, and only the parallel part is
//! timed, from the first thread's start to the last thread's end.

use crate::contenders::{AnyContender, Contender, Visit};
use crate::shapes::{check_fresh, expected_touch, Touch, Work};
use crate::sys;
use chunkpool::Stats;
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

/// One timed run: `threads` threads, `iters` cycles each.
#[derive(Clone, Debug)]
pub struct Sample {
    pub threads: usize,
    pub iters: u64,
    /// First start to last end.
    pub wall: Duration,
    /// Minor page faults of the process during the timed part.
    pub minor_faults: u64,
    /// Allocator counters before and after the timed part (when it has them).
    pub stats_before: Option<Stats>,
    pub stats_after: Option<Stats>,
}

impl Sample {
    /// Wall nanoseconds per cycle per thread (the unit of `benches/README.md`).
    pub fn ns_per_cycle(&self) -> f64 {
        self.wall.as_nanos() as f64 / self.iters as f64
    }

    /// Cycles per second, all threads together.
    pub fn throughput(&self) -> f64 {
        (self.threads as u64 * self.iters) as f64 / self.wall.as_secs_f64()
    }

    pub fn faults_per_cycle(&self) -> f64 {
        self.minor_faults as f64 / (self.threads as u64 * self.iters) as f64
    }

    /// Fraction of columns handed out from the cache during the timed part.
    pub fn reuse_rate(&self) -> Option<f64> {
        let (a, b) = (self.stats_before.as_ref()?, self.stats_after.as_ref()?);
        let reused = b.columns_reused - a.columns_reused;
        let fresh = b.columns_fresh - a.columns_fresh;
        (reused + fresh > 0).then(|| reused as f64 / (reused + fresh) as f64)
    }

    /// Fraction of chunks handed out as whole cached chunks during the
    /// timed part (`chunks_from_cache / chunks_allocated`).
    pub fn whole_chunk_rate(&self) -> Option<f64> {
        whole_chunk_rate(self.stats_before.as_ref(), self.stats_after.as_ref())
    }
}

/// `chunks_from_cache / chunks_allocated` between two snapshots of a
/// pool's counters (None without both, or when no chunk was allocated):
/// the share of chunks handed out whole from the cache. Every scenario's
/// sample (S1–S4 here, S9, S10, S11) reports it.
pub fn whole_chunk_rate(before: Option<&Stats>, after: Option<&Stats>) -> Option<f64> {
    let (a, b) = (before?, after?);
    let whole = b.chunks_from_cache - a.chunks_from_cache;
    let all = b.chunks_allocated - a.chunks_allocated;
    (all > 0).then(|| whole as f64 / all as f64)
}

/// Runs `warmup` untimed then `iters` timed cycles on each of `threads`
/// threads sharing `c`.
pub fn run_threads<C: Contender>(c: &C, threads: usize, warmup: u64, iters: u64) -> Sample {
    run_threads_with(c, &Touch, threads, warmup, iters)
}

/// [`run_threads`] with cycles doing `w` instead of the touch.
pub fn run_threads_with<C: Contender, W: Work>(
    c: &C,
    w: &W,
    threads: usize,
    warmup: u64,
    iters: u64,
) -> Sample {
    assert!(threads > 0 && iters > 0);
    let barrier = Barrier::new(threads);
    let before = std::sync::Mutex::new((0u64, None));
    let spans: Vec<(Instant, Instant)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, before) = (&barrier, &before);
                s.spawn(move || {
                    let mut local = c.local();
                    let mut acc = 0u64;
                    for _ in 0..warmup {
                        acc = acc.wrapping_add(c.cycle_with(&mut local, w));
                    }
                    if barrier.wait().is_leader() {
                        *before.lock().unwrap() = (sys::minor_faults(), c.stats());
                    }
                    barrier.wait();
                    let t0 = Instant::now();
                    for _ in 0..iters {
                        acc = acc.wrapping_add(c.cycle_with(&mut local, w));
                    }
                    let t1 = Instant::now();
                    black_box(acc);
                    let _ = t;
                    drop(local);
                    (t0, t1)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("bench thread panicked"))
            .collect()
    });
    let faults_after = sys::minor_faults();
    let stats_after = c.stats();
    let (faults_before, stats_before) = before.into_inner().unwrap();
    let start = spans.iter().map(|s| s.0).min().unwrap();
    let end = spans.iter().map(|s| s.1).max().unwrap();
    Sample {
        threads,
        iters,
        wall: end - start,
        minor_faults: faults_after.saturating_sub(faults_before),
        stats_before,
        stats_after,
    }
}

/// Untimed warm-up cycles per thread before a sample of `iters` cycles.
pub fn warmup_for(iters: u64) -> u64 {
    (iters / 8).clamp(64, 2_000)
}

impl AnyContender {
    /// One sample (warm-up included, untimed).
    pub fn run(&self, threads: usize, iters: u64) -> Sample {
        self.run_with_warmup(threads, warmup_for(iters), iters)
    }

    pub fn run_with_warmup(&self, threads: usize, warmup: u64, iters: u64) -> Sample {
        self.run_work(&Touch, threads, warmup, iters)
    }

    /// One sample of cycles doing `w` (warm-up included, untimed).
    pub fn run_with<W: Work>(&self, w: &W, threads: usize, iters: u64) -> Sample {
        self.run_work(w, threads, warmup_for(iters), iters)
    }

    fn run_work<W: Work>(&self, w: &W, threads: usize, warmup: u64, iters: u64) -> Sample {
        struct Run<'a, W>(&'a W, usize, u64, u64);
        impl<W: Work> Visit for Run<'_, W> {
            type Out = Sample;
            fn visit<C: Contender>(self, c: &C) -> Sample {
                run_threads_with(c, self.0, self.1, self.2, self.3)
            }
        }
        self.visit(Run(w, threads, warmup, iters))
    }

    /// Cycles per thread for a sample of about `target` wall time.
    pub fn calibrate(&self, threads: usize, target: Duration) -> u64 {
        self.calibrate_with(&Touch, threads, target)
    }

    /// [`calibrate`](Self::calibrate) for cycles doing `w`.
    pub fn calibrate_with<W: Work>(&self, w: &W, threads: usize, target: Duration) -> u64 {
        let mut iters = 64u64;
        loop {
            let s = self.run_work(w, threads, 32, iters);
            if s.wall >= target / 8 || iters >= 1 << 30 {
                let per = s.wall.as_secs_f64() / iters as f64;
                return ((target.as_secs_f64() / per) as u64).max(16);
            }
            iters *= 4;
        }
    }

    /// Checks, untimed, that cycles hand out what they should: every chunk a
    /// cycle touches has the right layout, no rows and full-size buffers
    /// (checked through the touch checksum and on the first and a later
    /// allocation of each layout).
    pub fn verify(&self, layouts: &[&[chunkpool::FieldType]]) -> Result<(), String> {
        let want: u64 = layouts
            .iter()
            .fold(0u64, |a, l| a.wrapping_add(expected_touch(l)));
        self.verify_with(&Touch, want, layouts)
    }

    /// [`verify`](Self::verify) for cycles doing `w`, whose checksum must
    /// be `want` every cycle.
    pub fn verify_with<W: Work>(
        &self,
        w: &W,
        want: u64,
        layouts: &[&[chunkpool::FieldType]],
    ) -> Result<(), String> {
        struct V<'a, W>(&'a W, u64);
        impl<W: Work> Visit for V<'_, W> {
            type Out = Result<(), String>;
            fn visit<C: Contender>(self, c: &C) -> Result<(), String> {
                let mut local = c.local();
                for i in 0..64 {
                    let got = c.cycle_with(&mut local, self.0);
                    if got != self.1 {
                        return Err(format!(
                            "cycle {i}: checksum {got:#x}, expected {:#x}",
                            self.1
                        ));
                    }
                }
                Ok(())
            }
        }
        // Shapes of what the chunk allocators hand out, fresh and recycled.
        if let AnyContender::Chunkpool(a) = self {
            for l in layouts {
                for _ in 0..2 {
                    let chk = chunkpool::ChunkAllocator::alloc(&a.alloc, l, 1024, 1024);
                    check_fresh(&chk, l)?;
                }
            }
        }
        if let AnyContender::TidbMutex(a) = self {
            for l in layouts {
                for _ in 0..2 {
                    let chk = chunkpool::ChunkAllocator::alloc(&a.alloc, l, 1024, 1024);
                    check_fresh(&chk, l)?;
                }
            }
        }
        self.visit(V(w, want))
    }
}

/// Median of `v` (sorted copy); NaN when empty.
pub fn median(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

pub fn min_max(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}
