//! Contender `mimalloc` for `compare` (`benches/src/bin/compare/`): no pool, mimalloc as the
//! global allocator, which needs a process of its own. `compare` runs this
//! binary and reads one JSON line per scenario from its stdout; run it by
//! hand to see the same numbers:
//!
//! ```text
//! cargo run --release -p chunkpool-bench --bin compare_mimalloc -- [--reps N] [--sample-ms N] [--only S1,S2,S3]
//! ```

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chunkpool_bench::contenders::{AnyContender, Kind};
use chunkpool_bench::shapes::SINGLE;
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let reps: usize = arg("--reps").and_then(|v| v.parse().ok()).unwrap_or(15);
    let sample = Duration::from_millis(
        arg("--sample-ms")
            .and_then(|v| v.parse().ok())
            .unwrap_or(40),
    );
    let only = arg("--only").unwrap_or_else(|| "S1,S2,S3".into());
    for (id, threads) in [("S1", 1usize), ("S2", 2), ("S3", 16)] {
        if !only.split(',').any(|s| s == id) {
            continue;
        }
        let c = AnyContender::new(Kind::Malloc, SINGLE);
        c.verify(SINGLE).expect("wrong chunks");
        let iters = c.calibrate(threads, sample);
        let (mut ns, mut thr, mut faults) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..reps {
            let s = c.run(threads, iters);
            ns.push(s.ns_per_cycle());
            thr.push(s.throughput());
            faults.push(s.faults_per_cycle());
        }
        println!(
            "{}",
            serde_json::json!({
                "scenario": id,
                "threads": threads,
                "contender": "mimalloc",
                "ns": ns,
                "throughput": thr,
                "faults": faults,
            })
        );
    }
}
