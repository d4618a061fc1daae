//! The diagnostic mode `--cachegrind CONTENDER CYCLES [--mixed]`, run under
//! `valgrind --tool=cachegrind` by `benches/cachegrind.sh`.

use crate::args::HELP;
use crate::common::contenders::{AnyContender, Kind};
use crate::common::shapes::{MIXED, SINGLE};

/// Runs single-thread cycles of one contender and nothing else.
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
    let c = AnyContender::new(kind, layouts);
    let s = c.run_with_warmup(1, 1_000, cycles);
    println!(
        "{} {} cycles {:.1} ns/cycle",
        kind.name(),
        cycles,
        s.ns_per_cycle()
    );
}
