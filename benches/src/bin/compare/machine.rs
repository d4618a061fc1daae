//! What a run was measured on: machine, load, source revision and date, for
//! the header of the text output and of the report.

use crate::args::Args;
use chunkpool_bench::sys;
use serde_json::{json, Value};
use std::time::Duration;

pub(crate) fn machine_meta(args: &Args) -> Value {
    let busy = sys::cpu_busy(Duration::from_millis(if args.quick { 200 } else { 1000 }));
    let git = |a: &[&str]| {
        std::process::Command::new("git")
            .args(a)
            .current_dir(chunkpool_bench::repo_root())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let rev = git(&["rev-parse", "--short", "HEAD"]);
    let dirty = git(&["status", "--porcelain", "--", "src"]).is_some_and(|s| !s.is_empty());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|s| s.trim().to_string());
    json!({
        "date_utc": utc_now(),
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "cpus": sys::cpus(),
        "cpu_model": sys::cpu_model(),
        "kernel": kernel,
        "git_rev": std::env::var("COMPARE_SOURCE").ok().or_else(|| rev.map(|r| {
            if dirty {
                format!("{r} + uncommitted src/ changes")
            } else {
                r
            }
        })),
        "load_before": sys::loadavg().map(|l| vec![l.0, l.1, l.2]),
        "busy_others_before": busy,
        "quick": args.quick,
        "reps": args.reps,
        "sample_ms": args.sample.as_millis() as u64,
    })
}

pub(crate) fn fmt_load(l: Option<(f64, f64, f64)>) -> String {
    l.map_or("?".into(), |(a, b, c)| format!("{a:.2} {b:.2} {c:.2}"))
}

pub(crate) fn load_from_json(v: &Value) -> Option<(f64, f64, f64)> {
    let a = v.as_array()?;
    Some((
        a.first()?.as_f64()?,
        a.get(1)?.as_f64()?,
        a.get(2)?.as_f64()?,
    ))
}

/// "YYYY-MM-DD HH:MM UTC" without a date crate.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}
