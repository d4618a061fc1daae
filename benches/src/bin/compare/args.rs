//! The command line of a comparison run: flags, their defaults, and which
//! scenarios were asked for.

use chunkpool_bench::contenders::Kind;
use std::path::PathBuf;
use std::time::Duration;

pub(crate) struct Args {
    pub(crate) quick: bool,
    pub(crate) reps: usize,
    pub(crate) sample: Duration,
    pub(crate) only: Option<Vec<String>>,
    pub(crate) contenders: Vec<Kind>,
    pub(crate) children: bool,
    pub(crate) out: PathBuf,
    /// S6 churn cycles (default 10^6; 10^5 with --quick).
    pub(crate) s6_cycles: Option<u64>,
    /// S5 repetitions per contender, default width and width sweep alike
    /// (default 7 and 3; 1 and 1 with --quick).
    pub(crate) s5_reps: Option<usize>,
    /// S9 repetitions (a child process per allocator × contender × shape
    /// each; default 3, 1 with --quick).
    pub(crate) s9_reps: Option<usize>,
    /// S9 sample length per thread count, ms (default 40, 4 with --quick).
    pub(crate) s9_sample_ms: Option<u64>,
    /// S9's scan axis: only `rows` or only `bulk` (default: both).
    pub(crate) s9_scan: Option<String>,
    /// S10 repetitions (a child per allocator × contender each; 3, 1 with --quick).
    pub(crate) s10_reps: Option<usize>,
    /// S10 sample length per pair and mode, ms (300; 20 with --quick).
    pub(crate) s10_sample_ms: Option<u64>,
    /// S11 repetitions (a child per allocator × contender each; 3, 1 with --quick).
    pub(crate) s11_reps: Option<usize>,
    /// S11 sample length, ms (500; 30 with --quick).
    pub(crate) s11_sample_ms: Option<u64>,
    /// DF: the DataFusion benchmark binary (`bench`); without it, found
    /// where `datafusion::build_command` builds it, or DF is "not run".
    pub(crate) datafusion_bin: Option<PathBuf>,
    /// DF's rows (2^20; 2^17 with --quick), timed queries per child (20;
    /// 3) and repetitions (5; 1).
    pub(crate) df_rows: Option<u64>,
    pub(crate) df_iters: Option<u64>,
    pub(crate) df_reps: Option<usize>,
}

/// The target directory this binary was built into (`<target>/release/compare`),
/// so `CARGO_TARGET_DIR` or a configured `build.target-dir` is followed;
/// `None` if the binary sits elsewhere.
pub(crate) fn built_in_target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?;
    let name = profile_dir.file_name()?.to_str()?;
    matches!(name, "release" | "debug" | "bench")
        .then(|| profile_dir.parent().map(PathBuf::from))?
}

/// Where the report goes without `--out`: `chunkpool-report` in the target
/// directory this binary was built into ([`built_in_target_dir`]), or in
/// the repository's `target/` if the binary sits elsewhere.
fn default_out() -> PathBuf {
    built_in_target_dir()
        .unwrap_or_else(|| chunkpool_bench::repo_root().join("target"))
        .join("chunkpool-report")
}

pub(crate) fn parse_args(raw: &[String]) -> Result<Args, String> {
    let quick = raw.iter().any(|a| a == "--quick");
    let mut a = Args {
        quick,
        reps: if quick { 3 } else { 15 },
        sample: Duration::from_millis(if quick { 8 } else { 40 }),
        only: None,
        contenders: Kind::ALL.to_vec(),
        children: true,
        out: default_out(),
        s6_cycles: None,
        s5_reps: None,
        s9_reps: None,
        s9_sample_ms: None,
        s9_scan: None,
        s10_reps: None,
        s10_sample_ms: None,
        s11_reps: None,
        s11_sample_ms: None,
        datafusion_bin: None,
        df_rows: None,
        df_iters: None,
        df_reps: None,
    };
    let mut it = raw.iter();
    while let Some(arg) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        match arg.as_str() {
            "--quick" => {}
            "--reps" => a.reps = val()?.parse().map_err(|e| format!("--reps: {e}"))?,
            "--sample-ms" => {
                a.sample =
                    Duration::from_millis(val()?.parse().map_err(|e| format!("--sample-ms: {e}"))?)
            }
            "--only" => a.only = Some(val()?.split(',').map(|s| s.trim().to_uppercase()).collect()),
            "--contenders" => {
                a.contenders = val()?
                    .split(',')
                    .map(|s| {
                        Kind::from_name(s.trim()).ok_or_else(|| format!("unknown contender {s}"))
                    })
                    .collect::<Result<_, _>>()?;
                if !a.contenders.contains(&Kind::Chunkpool) {
                    a.contenders.insert(0, Kind::Chunkpool);
                }
            }
            "--no-children" => a.children = false,
            "--s6-cycles" => {
                a.s6_cycles = Some(val()?.parse().map_err(|e| format!("--s6-cycles: {e}"))?)
            }
            "--s5-reps" => {
                a.s5_reps = Some(
                    val()?
                        .parse::<usize>()
                        .map_err(|e| format!("--s5-reps: {e}"))?
                        .max(1),
                )
            }
            "--s9-reps" => {
                a.s9_reps = Some(
                    val()?
                        .parse::<usize>()
                        .map_err(|e| format!("--s9-reps: {e}"))?
                        .max(1),
                )
            }
            "--s9-sample-ms" => {
                a.s9_sample_ms = Some(
                    val()?
                        .parse::<u64>()
                        .map_err(|e| format!("--s9-sample-ms: {e}"))?
                        .max(1),
                )
            }
            "--s9-scan" => match val()?.as_str() {
                "both" => a.s9_scan = None,
                s @ ("rows" | "bulk") => a.s9_scan = Some(s.to_string()),
                s => return Err(format!("--s9-scan: rows, bulk or both, not {s}")),
            },
            "--s10-reps" => a.s10_reps = Some(count(&val()?, arg)?),
            "--s10-sample-ms" => a.s10_sample_ms = Some(count(&val()?, arg)? as u64),
            "--s11-reps" => a.s11_reps = Some(count(&val()?, arg)?),
            "--s11-sample-ms" => a.s11_sample_ms = Some(count(&val()?, arg)? as u64),
            "--datafusion-bin" => a.datafusion_bin = Some(PathBuf::from(val()?)),
            "--df-rows" => a.df_rows = Some(count(&val()?, arg)? as u64),
            "--df-iters" => a.df_iters = Some(count(&val()?, arg)? as u64),
            "--df-reps" => a.df_reps = Some(count(&val()?, arg)?),
            "--out" => a.out = PathBuf::from(val()?),
            "-h" | "--help" => {
                println!("{}", HELP);
                std::process::exit(0);
            }
            "--bench" => {} // passed by `cargo bench`-style runners; ignored
            other => return Err(format!("unknown argument {other}\n{HELP}")),
        }
    }
    a.reps = a.reps.max(1);
    Ok(a)
}

/// A positive count flag's value (0 becomes 1).
fn count(v: &str, flag: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .map(|n| n.max(1))
        .map_err(|e| format!("{flag}: {e}"))
}

pub(crate) const HELP: &str = "usage: compare [--quick] [--reps N] [--sample-ms N] [--only S1,S2,...] \
[--contenders a,b,...] [--no-children] [--s5-reps N] [--s6-cycles N] [--s9-reps N] [--s9-sample-ms N] [--s9-scan rows|bulk|both] [--s10-reps N] [--s10-sample-ms N] [--s11-reps N] [--s11-sample-ms N] [--datafusion-bin PATH] [--df-rows N] [--df-iters N] [--df-reps N] [--out DIR]\n       (scenario ids for --only: S1 ... S11, DF)\n       compare --cachegrind CONTENDER CYCLES [--mixed] [--threads N]\n       compare --cachegrind s8-{chunkpool,arrow-builders,malloc} CYCLES [--make-only]";

pub(crate) fn wants(args: &Args, id: &str) -> bool {
    args.only
        .as_ref()
        .map_or(true, |o| o.iter().any(|s| s == id))
}
