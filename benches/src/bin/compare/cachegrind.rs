//! The diagnostic mode `--cachegrind CONTENDER CYCLES [--mixed] [--threads N]`,
//! run under `valgrind --tool=cachegrind` by `benches/cachegrind.sh`
//! (valgrind runs threads one at a time: `--threads` counts the
//! instructions of the multi-thread paths, not their timing). S8's
//! contenders are `s8-chunkpool`, `s8-arrow-builders` and `s8-malloc`: a
//! whole cycle, or with `--make-only` the batch made and dropped without
//! the kernels; they need the `arrow` feature, and without it the mode
//! says S8 is not built and exits with status 2.

use crate::args::HELP;
use chunkpool_bench::contenders::{AnyContender, Kind};
use chunkpool_bench::shapes::{MIXED, SINGLE};

/// Runs cycles of one contender (on one thread unless `--threads N`, each
/// thread doing CYCLES) and nothing else.
pub(crate) fn cachegrind_mode(a: &[String]) {
    if let Some(who) = a.first().and_then(|n| n.strip_prefix("s8-")) {
        return handoff_mode(who, a);
    }
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

/// S8 under cachegrind: `cycles` cycles of one contender from slice 0,
/// after 64 warm-up cycles.
#[cfg(feature = "arrow")]
fn handoff_mode(who: &str, a: &[String]) {
    use chunkpool_bench::handoff::{Handoff, Handoffs, SLICES};
    let who = Handoff::ALL
        .into_iter()
        .find(|h| h.name() == who)
        .unwrap_or_else(|| {
            eprintln!("{HELP}");
            std::process::exit(2)
        });
    let cycles: usize = a.get(1).and_then(|c| c.parse().ok()).unwrap_or(1_000);
    let make_only = a.iter().any(|x| x == "--make-only");
    let h = Handoffs::new();
    let mut kept = 0u64;
    for i in 0..64 + cycles {
        let k = i % SLICES;
        if make_only {
            drop(std::hint::black_box(h.batch(who, k)));
        } else {
            kept += h.cycle(who, k).0;
        }
    }
    println!("s8-{} {cycles} cycles, {kept} rows kept", who.name());
}

#[cfg(not(feature = "arrow"))]
fn handoff_mode(who: &str, _: &[String]) {
    eprintln!(
        "s8-{who}: S8 not built: chunkpool-bench was built without its `arrow` feature (on by default)"
    );
    std::process::exit(2);
}
