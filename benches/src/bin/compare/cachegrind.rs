//! The diagnostic mode `--cachegrind CONTENDER CYCLES [--mixed] [--threads N]`,
//! run under `valgrind --tool=cachegrind` by `benches/cachegrind.sh`
//! (valgrind runs threads one at a time: `--threads` counts the
//! instructions of the multi-thread paths, not their timing).

use crate::args::HELP;
use chunkpool_bench::contenders::{AnyContender, Kind};
use chunkpool_bench::shapes::{MIXED, SINGLE};

/// Runs cycles of one contender (on one thread unless `--threads N`, each
/// thread doing CYCLES) and nothing else.
pub(crate) fn cachegrind_mode(a: &[String]) {
    let kind = a
        .first()
        .and_then(|n| Kind::from_name(n))
        .unwrap_or_else(|| {
            eprintln!("{HELP}");
            std::process::exit(2)
        });
    let cycles: u64 = a.get(1).and_then(|c| c.parse().ok()).unwrap_or(10_000);
    let layouts = if a.iter().any(|x| x == "--mixed") {
        MIXED
    } else {
        SINGLE
    };
    let threads: usize = a
        .iter()
        .position(|x| x == "--threads")
        .and_then(|i| a.get(i + 1))
        .and_then(|t| t.parse().ok())
        .unwrap_or(1);
    let c = AnyContender::new(kind, layouts);
    let s = c.run_with_warmup(threads, 1_000, cycles);
    println!(
        "{} {} cycles {:.1} ns/cycle",
        kind.name(),
        cycles,
        s.ns_per_cycle()
    );
}
