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

/// Where a child's peak resident set is measured from: its resident set
/// once its input is made, with the high-water mark (`VmHWM`) reset
/// there, so the peak is of what ran after; the input's build, which
/// frees what it used on the way, is not in it. Where the mark cannot be
/// reset (`/proc/self/clear_refs` not writable), the peak is the process
/// image's since its `exec`.
///
/// Not `getrusage`'s `ru_maxrss`: a child keeps the largest resident set
/// of the process it was forked from, so every child of `compare`
/// smaller than `compare` itself (about 30 MiB) read `compare`'s peak,
/// and children of different contenders read the same number (before
/// 2026-12-07).
#[derive(Clone, Copy, Debug)]
pub struct PeakFrom {
    /// The resident set there, KiB.
    pub base_kb: u64,
    /// Whether the high-water mark was reset there.
    pub reset: bool,
}

impl PeakFrom {
    /// Marks here: reads the resident set, then resets the high-water mark
    /// to it.
    pub fn here() -> PeakFrom {
        let base_kb = rss_kb().unwrap_or(0);
        let reset = fs::write("/proc/self/clear_refs", "5").is_ok();
        PeakFrom { base_kb, reset }
    }

    /// The peak resident set since [`PeakFrom::here`] (where it reset the
    /// mark), KiB; 0 where `/proc` cannot tell.
    pub fn peak_kb(&self) -> u64 {
        peak_rss_kb().unwrap_or(0)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;
    use std::sync::Mutex;

    /// The tests below measure this process's resident set: one at a time.
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    /// A block of `mib` MiB with every page written, so resident.
    fn resident(mib: usize) -> Vec<u8> {
        let mut block = vec![0u8; mib << 20];
        for page in block.chunks_mut(4096) {
            page[0] = 1;
        }
        black_box(block)
    }

    /// Made resident, then freed (to the OS: glibc maps a block this large
    /// on its own).
    fn touch_and_free(mib: usize) {
        drop(resident(mib));
    }

    /// The child's side of the test below (run by it, in a process of its
    /// own): marks, then prints the peak from the mark and `ru_maxrss`.
    #[test]
    #[ignore = "run as a child by a_child_reports_its_own_peak_not_its_parents"]
    fn peak_child_probe() {
        let from = PeakFrom::here();
        println!(
            "PEAK {} {} {}",
            from.reset,
            from.peak_kb(),
            crate::alloc::rusage().1
        );
    }

    /// What `PeakFrom` is for: a child of a process with 256 MiB resident
    /// reads that parent's peak as its own `ru_maxrss` (every S9, S10 and
    /// S11 child reported `compare`'s before 2026-12-07), while its peak
    /// from the mark is its own.
    #[test]
    #[cfg(target_os = "linux")]
    fn a_child_reports_its_own_peak_not_its_parents() {
        let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let block = resident(256);
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--ignored", "--exact", "sys::tests::peak_child_probe"])
            .args(["--nocapture", "--test-threads=1"])
            .output()
            .unwrap();
        drop(block);
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find_map(|l| Some(l.split_once("PEAK ")?.1));
        let fields: Vec<&str> = line
            .unwrap_or_else(|| panic!("no probe line in the child's output: {text}"))
            .split(' ')
            .collect();
        let (reset, peak, maxrss): (bool, u64, u64) = (
            fields[0].parse().unwrap(),
            fields[1].parse().unwrap(),
            fields[2].parse().unwrap(),
        );
        assert!(
            maxrss >= 256 << 10,
            "ru_maxrss {maxrss} KiB: the parent's peak is not inherited here"
        );
        if reset {
            assert!(peak < 128 << 10, "the probe's own peak: {peak} KiB");
        }
    }

    /// A peak taken from a mark leaves out what was resident and freed
    /// before it (the table's build, in a child), and counts what comes
    /// after. Where the mark cannot be reset, the peak is the process's,
    /// which still holds the earlier block. Other tests in this process
    /// allocate far less than the margins.
    #[test]
    fn a_peak_from_a_mark_leaves_out_what_was_freed_before_it() {
        let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        if cfg!(not(target_os = "linux")) {
            assert_eq!(PeakFrom::here().peak_kb(), 0, "no /proc: no peak");
            return;
        }
        touch_and_free(256);
        let from = PeakFrom::here();
        let before = from.peak_kb();
        if from.reset {
            assert!(
                before < from.base_kb + (128 << 10),
                "the freed 256 MiB still counted: peak {before} KiB, base {} KiB",
                from.base_kb
            );
        } else {
            assert!(before >= 256 << 10, "the process's peak: {before} KiB");
        }
        touch_and_free(64);
        let after = from.peak_kb();
        assert!(
            after >= from.base_kb + (48 << 10),
            "64 MiB after the mark not counted: peak {after} KiB, base {} KiB",
            from.base_kb
        );
    }
}
