//! Contenders measured in processes of their own: S5's pipeline runs and
//! S6's churn runs, both the parent's side (plan, spawn, read back) and
//! S6's child side. (S1–S3's no-pool rows under mimalloc and jemalloc are
//! in `allocators`.)

use crate::args::Args;
use chunkpool::{
    Chunk, ChunkAllocator, EmptyAllocator, FieldType, LockFreeAllocator, MutexAllocator, PoolConfig,
};
use chunkpool_bench::harness::median;
use chunkpool_bench::pipeline::{self, Opts as PipeOpts};
use chunkpool_bench::shapes::{touch, F8, MIX_B, MIX_C};
use chunkpool_bench::strings::WIDTHS;
use chunkpool_bench::sys;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------- S5

/// Contenders of S5's width sweep: the two pools and no pool.
pub(crate) const S5_WIDTH_CONTENDERS: [&str; 3] = ["chunkpool", "tidb-mutex", "malloc"];

/// S5's runs: every contender at 1 and 2 workers with the default string
/// width (8 B a row), then the width sweep: the wider strings (24, 64, 200
/// B a row) at 2 workers only, [`S5_WIDTH_CONTENDERS`] only and fewer
/// repetitions (3; `--quick` 1), which keeps S5 within about a minute.
/// `--s5-reps N` sets both repetition counts. Contender order rotates
/// between repetitions.
pub(crate) fn s5_plan(args: &Args) -> Vec<(&'static str, PipeOpts)> {
    let (rows, statements, reps, width_reps) = if args.quick {
        (32 * 1024, 16, 1, 1)
    } else {
        (64 * 1024, 60, 7, 3)
    };
    let (reps, width_reps) = args.s5_reps.map_or((reps, width_reps), |r| (r, r));
    let opts = |workers, str_bytes| PipeOpts {
        workers,
        rows,
        statements,
        fail_statement: Some(statements / 2),
        str_bytes,
    };
    let mut plan = Vec::new();
    for workers in [1, 2] {
        for rep in 0..reps {
            let n = pipeline::CONTENDERS.len();
            for i in 0..n {
                let name = pipeline::CONTENDERS[(i + rep) % n];
                plan.push((name, opts(workers, pipeline::DEFAULT_STR_BYTES)));
            }
        }
    }
    for width in WIDTHS {
        if width == pipeline::DEFAULT_STR_BYTES {
            continue; // measured above
        }
        for rep in 0..width_reps {
            let n = S5_WIDTH_CONTENDERS.len();
            for i in 0..n {
                plan.push((S5_WIDTH_CONTENDERS[(i + rep) % n], opts(2, width)));
            }
        }
    }
    plan
}

// ---------------------------------------------------------------- S6

pub(crate) const S6_CHILD_FLAG: &str = "--s6-child";
pub(crate) const S6_BUDGET: usize = 4 << 20;

pub(crate) fn s6_plan(args: &Args) -> Vec<(&'static str, u64, usize)> {
    let cycles = args
        .s6_cycles
        .unwrap_or(if args.quick { 100_000 } else { 1_000_000 });
    ["chunkpool", "tidb-mutex", "malloc"]
        .into_iter()
        .map(|n| (n, cycles, S6_BUDGET))
        .collect()
}

pub(crate) fn run_s6_child(
    exe: &Path,
    name: &str,
    cycles: u64,
    budget: usize,
) -> Result<Value, String> {
    let out = std::process::Command::new(exe)
        .args([
            S6_CHILD_FLAG,
            name,
            &cycles.to_string(),
            &budget.to_string(),
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or_default()).map_err(|e| e.to_string())
}

/// One S6 sample: cycles done, (retained bytes, bytes reserved against the
/// budget) where the contender has them, resident KiB.
type S6Sample = (u64, Option<(usize, usize)>, u64);

/// S6 child: after `cycles` warm-up cycles, `cycles` measured ones: two
/// threads churn chunks of four layouts and three capacities
/// (TiDB asks for 32-row chunks first and grows them to 1024)
/// (so cached columns are sometimes too small and get replaced), each
/// holding up to 8 at once, against an allocator with a byte budget. A
/// sampler thread reads the bytes reserved against the budget (the exact
/// bound), the retained-bytes gauge and RSS every 250 µs.
pub(crate) fn s6_child(a: &[String]) -> Result<Value, String> {
    let name = a.first().ok_or("missing contender")?.as_str();
    let cycles: u64 = a
        .get(1)
        .ok_or("missing cycles")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let budget: usize = a
        .get(2)
        .ok_or("missing budget")?
        .parse()
        .map_err(|e| format!("{e}"))?;
    let cfg = PoolConfig::builder()
        .byte_budget(budget)
        .build()
        .map_err(|e| e.to_string())?;
    // tidb-mutex: TiDB's limits plus the budget.
    let tidb_cfg = PoolConfig::tidb()
        .to_builder()
        .byte_budget(budget)
        .build()
        .map_err(|e| e.to_string())?;
    enum A {
        Lf(LockFreeAllocator),
        Mx(MutexAllocator),
        Em(EmptyAllocator),
    }
    let alloc = match name {
        "chunkpool" => A::Lf(LockFreeAllocator::with_config(cfg)),
        "tidb-mutex" => A::Mx(MutexAllocator::with_config(tidb_cfg)),
        "malloc" => A::Em(EmptyAllocator),
        _ => return Err(format!("unknown contender {name}")),
    };
    let get = |f: &[FieldType], cap: usize| -> Chunk {
        match &alloc {
            A::Lf(x) => x.alloc(f, cap, 1024),
            A::Mx(x) => x.alloc(f, cap, 1024),
            A::Em(x) => x.alloc(f, cap, 1024),
        }
    };
    // (retained bytes, bytes reserved against the budget): the first is a
    // sum of per-thread counts and may be skewed while threads work; the
    // second is one exact counter, the one the bound is enforced on.
    let retained = || match &alloc {
        A::Lf(x) => Some((x.stats().retained_bytes, x.stats().budget_reserved)),
        A::Mx(x) => Some((x.stats().retained_bytes, x.stats().budget_reserved)),
        A::Em(_) => None,
    };
    const SMALL: [FieldType; 2] = [FieldType::I64, FieldType::UTF8];
    let layouts: [&[FieldType]; 4] = [&F8, &MIX_B, &MIX_C, &SMALL];
    let caps = [1024usize, 256, 64];
    let threads = 2u64;
    // The cache fills in a few thousand cycles, but the C allocator's heap
    // under it keeps growing for about 10^6 (fragmentation around buffers
    // the cache holds): drift is measured over `cycles` after as many
    // warm-up cycles, and the budget is checked at every sample of both.
    let warm = cycles;
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let mut samples: Vec<S6Sample> = Vec::new();
    let t0 = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (get, done, layouts) = (&get, &done, &layouts);
            s.spawn(move || {
                let mut rng = 0x9e37_79b9_u64 ^ (t + 1).wrapping_mul(0x2545_f491_4f6c_dd1d);
                let mut held: Vec<Option<Chunk>> = (0..8).map(|_| None).collect();
                for i in 0..(warm + cycles) / threads {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    let layout = layouts[(rng % 4) as usize];
                    let cap = caps[((rng >> 8) % 3) as usize];
                    let mut c = get(layout, cap);
                    std::hint::black_box(touch(&mut c));
                    held[((rng >> 16) % 8) as usize] = Some(c);
                    if i % 256 == 0 {
                        done.fetch_add(256, Ordering::Relaxed);
                    }
                }
            });
        }
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                samples.push((
                    done.load(Ordering::Relaxed),
                    retained(),
                    sys::rss_kb().unwrap_or(0),
                ));
                std::thread::sleep(Duration::from_micros(250));
            }
        });
        // Wait for the churners (the scope joins them), then stop the sampler.
        while done.load(Ordering::Relaxed) + 256 * threads < warm + cycles {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(2));
        stop.store(true, Ordering::Relaxed);
    });
    let secs = t0.elapsed().as_secs_f64();
    // The churn threads have exited, so their caches went back: a quiescent
    // reading, free of any snapshot skew between thread caches and depot.
    let final_retained = retained().map(|r| r.0);
    // And what is really cached, independent of any gauge: take every cached
    // whole chunk out again (the smallest capacity asked for, so none is
    // replaced) and add up its buffers.
    let drained = match &alloc {
        A::Lf(x) => {
            let mut held = Vec::new();
            let mut bytes = 0usize;
            for layout in layouts {
                loop {
                    let before = x.stats().chunks_from_cache;
                    let c = x.alloc(layout, caps[2], 1024);
                    if x.stats().chunks_from_cache == before {
                        break;
                    }
                    bytes += c.columns().map(|col| col.allocated_bytes()).sum::<usize>();
                    held.push(c);
                }
            }
            Some(bytes)
        }
        _ => None,
    };
    let max_retained = samples.iter().filter_map(|s| s.1.map(|r| r.0)).max();
    let max_reserved = samples.iter().filter_map(|s| s.1.map(|r| r.1)).max();
    let over = samples
        .iter()
        .filter(|s| s.1.is_some_and(|r| r.1 > budget))
        .count();
    let skewed = samples
        .iter()
        .filter(|s| s.1.is_some_and(|r| r.0 > budget))
        .count();
    // Median RSS over a window of progress (fraction of cycles done); a
    // window that caught no sample takes the sample nearest its middle.
    let window = |lo: f64, hi: f64| -> f64 {
        let at =
            |s: &(u64, Option<(usize, usize)>, u64)| (s.0 as f64 - warm as f64) / cycles as f64;
        let v: Vec<f64> = samples
            .iter()
            .filter(|s| at(s) >= lo && at(s) <= hi)
            .map(|s| s.2 as f64)
            .collect();
        if !v.is_empty() {
            return median(&v);
        }
        let mid = (lo + hi) / 2.0;
        samples
            .iter()
            .min_by(|a, b| (at(a) - mid).abs().total_cmp(&(at(b) - mid).abs()))
            .map_or(f64::NAN, |s| s.2 as f64)
    };
    let (early, late) = (window(0.0, 0.15), window(0.85, 1.0));
    let start = samples.first().map_or(f64::NAN, |s| s.2 as f64);
    Ok(json!({
        "contender": name,
        "cycles": cycles,
        "warmup_cycles": warm,
        "rss_start_kb": start,
        "budget": if name == "malloc" { Value::Null } else { json!(budget) },
        "samples": samples.len(),
        "max_retained": max_retained,
        "max_reserved": max_reserved,
        "over_budget_samples": over,
        "retained_snapshots_over_budget": skewed,
        "final_retained": final_retained,
        "drained_bytes": drained,
        "rss_early_kb": early,
        "rss_late_kb": late,
        "rss_drift": (late - early) / early,
        "peak_rss_kb": sys::peak_rss_kb(),
        "secs": secs,
    }))
}
