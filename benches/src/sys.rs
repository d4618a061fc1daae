//! Small readers of `/proc` (Linux); each returns `None`/0 elsewhere.

use std::fs;

/// A `kB` field of `/proc/self/status` (`VmHWM`, `VmRSS`, ...), in KiB.
pub fn status_kb(field: &str) -> Option<u64> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Peak resident set size of this process, KiB.
pub fn peak_rss_kb() -> Option<u64> {
    status_kb("VmHWM")
}

/// Current resident set size of this process, KiB.
pub fn rss_kb() -> Option<u64> {
    status_kb("VmRSS")
}

/// Minor page faults of this process so far (all threads).
pub fn minor_faults() -> u64 {
    // Field 10 of /proc/self/stat; fields start after the ")" closing comm.
    fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            rest.split_whitespace().nth(7)?.parse().ok()
        })
        .unwrap_or(0)
}

/// 1-, 5- and 15-minute load averages.
pub fn loadavg() -> Option<(f64, f64, f64)> {
    let s = fs::read_to_string("/proc/loadavg").ok()?;
    let mut it = s.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

/// CPUs this process may run on.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The CPU's model name.
pub fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, v)| v.trim().to_string())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// Busy fraction of all CPUs over `window`, from `/proc/stat` (what other
/// processes take while we are idle).
pub fn cpu_busy(window: std::time::Duration) -> Option<f64> {
    fn read() -> Option<(u64, u64)> {
        let s = fs::read_to_string("/proc/stat").ok()?;
        let line = s.lines().next()?;
        let v: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        let idle = v.get(3)? + v.get(4).copied().unwrap_or(0);
        Some((v.iter().sum(), idle))
    }
    let (t0, i0) = read()?;
    std::thread::sleep(window);
    let (t1, i1) = read()?;
    let total = t1.saturating_sub(t0);
    (total > 0).then(|| 1.0 - (i1.saturating_sub(i0)) as f64 / total as f64)
}
