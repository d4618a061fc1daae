//! Scenario DF (`benches/README.md`): what the DataFusion benchmark
//! (`examples/datafusion`, binary `bench`, run by `compare` as a child
//! process with `--json`) prints, read back, and the figures its report
//! takes from it.
//!
//! The DataFusion crate is a workspace of its own (DataFusion 55 with
//! arrow 59, while this crate uses arrow 60), so this crate never links it:
//! the binary is built on its own and `compare` only reads its output.
//! The lines it reads (the binary's `--json`, one JSON object a line):
//!
//! ```text
//! {"df":"meta","format":1,"query":"SELECT ...","rows":1048576,"batch_rows":8192,"partitions":2,
//!  "iters":10,"reps":3,"allocators":["mimalloc","glibc"],"scans":["pooled","no-reuse","memtable"],
//!  "datafusion":"55.2.0"}
//! {"df":"sample","allocator":"mimalloc","scan":"pooled","rep":0,"secs_per_query":0.0424,
//!  "allocs_per_query":14770,"frees_per_query":13864,"bytes_per_query":26738688,
//!  "peak_rss_kib":121856,"base_rss_kib":121856,"batches_from_cache":1280,"batches_made":1280}
//! ```
//!
//! one sample per allocator, scan and repetition, each from a child process
//! of the binary's own.

use crate::harness::{median, min_max};
use serde_json::Value;

/// The `format` of the meta line this reader understands.
pub const FORMAT: u64 = 1;

/// The scan whose time the others' are compared with.
pub const POOLED: &str = "pooled";

/// A ratio at or above this is a win for the pool, at or below
/// [`LOSE_AT`] a loss, a tie between (as the "When to use it" table of S9).
pub const WIN_AT: f64 = 1.05;
/// See [`WIN_AT`].
pub const LOSE_AT: f64 = 0.95;

/// The run's parameters, from the meta line.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    pub query: String,
    pub rows: u64,
    pub batch_rows: u64,
    pub partitions: u64,
    pub iters: u64,
    pub reps: usize,
    pub allocators: Vec<String>,
    pub scans: Vec<String>,
    /// DataFusion's version, as the binary was built with.
    pub datafusion: String,
}

/// One child process: one scan under one allocator, one repetition.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub allocator: String,
    pub scan: String,
    pub rep: usize,
    /// The child's median query, seconds.
    pub secs: f64,
    /// Allocating calls (alloc, realloc) and frees per query.
    pub allocs: f64,
    pub frees: f64,
    /// Bytes allocated per query.
    pub bytes: f64,
    /// Peak RSS over the timed queries, and RSS before them, KiB.
    pub peak_kib: u64,
    pub base_kib: u64,
    /// Batches from the pool's cache, of those made (0 of 0: the MemTable).
    pub from_cache: u64,
    pub made: u64,
}

/// A line of the binary's output.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    Meta(Meta),
    Sample(Sample),
}

fn field<'a>(v: &'a Value, k: &str) -> Result<&'a Value, String> {
    v.get(k).ok_or_else(|| format!("no \"{k}\""))
}

fn num(v: &Value, k: &str) -> Result<f64, String> {
    field(v, k)?
        .as_f64()
        .ok_or_else(|| format!("\"{k}\" is not a number"))
}

fn int(v: &Value, k: &str) -> Result<u64, String> {
    field(v, k)?
        .as_u64()
        .ok_or_else(|| format!("\"{k}\" is not a count"))
}

fn text(v: &Value, k: &str) -> Result<String, String> {
    field(v, k)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("\"{k}\" is not a string"))
}

fn texts(v: &Value, k: &str) -> Result<Vec<String>, String> {
    field(v, k)?
        .as_array()
        .and_then(|a| a.iter().map(|x| x.as_str().map(str::to_owned)).collect())
        .ok_or_else(|| format!("\"{k}\" is not a list of strings"))
}

/// Parses one line of the binary's `--json` output.
pub fn parse_line(line: &str) -> Result<Line, String> {
    let v: Value = serde_json::from_str(line.trim()).map_err(|e| format!("not JSON ({e})"))?;
    let r = match v.get("df").and_then(Value::as_str) {
        Some("meta") => {
            let format = int(&v, "format")?;
            if format != FORMAT {
                return Err(format!(
                    "format {format}, this compare reads {FORMAT}: rebuild the one that is older"
                ));
            }
            Line::Meta(Meta {
                query: text(&v, "query")?,
                rows: int(&v, "rows")?,
                batch_rows: int(&v, "batch_rows")?,
                partitions: int(&v, "partitions")?,
                iters: int(&v, "iters")?,
                reps: int(&v, "reps")? as usize,
                allocators: texts(&v, "allocators")?,
                scans: texts(&v, "scans")?,
                datafusion: text(&v, "datafusion")?,
            })
        }
        Some("sample") => {
            let secs = num(&v, "secs_per_query")?;
            if !(secs > 0.0 && secs.is_finite()) {
                return Err(format!("secs_per_query {secs}"));
            }
            Line::Sample(Sample {
                allocator: text(&v, "allocator")?,
                scan: text(&v, "scan")?,
                rep: int(&v, "rep")? as usize,
                secs,
                allocs: num(&v, "allocs_per_query")?,
                frees: num(&v, "frees_per_query")?,
                bytes: num(&v, "bytes_per_query")?,
                peak_kib: int(&v, "peak_rss_kib")?,
                base_kib: int(&v, "base_rss_kib")?,
                from_cache: int(&v, "batches_from_cache")?,
                made: int(&v, "batches_made")?,
            })
        }
        _ => return Err("no \"df\": \"meta\" or \"sample\"".into()),
    };
    Ok(r)
}

/// A run's output, read back: the meta line, then its samples.
#[derive(Clone, Debug, Default)]
pub struct Results {
    pub meta: Option<Meta>,
    pub samples: Vec<Sample>,
}

impl Results {
    /// Reads one line of output (blank lines are skipped): the meta line
    /// first, then samples of the allocators, scans and repetitions it
    /// announced, each once.
    pub fn push_line(&mut self, line: &str) -> Result<(), String> {
        if line.trim().is_empty() {
            return Ok(());
        }
        let short: String = line.chars().take(120).collect();
        match parse_line(line).map_err(|e| format!("{e}: {short}"))? {
            Line::Meta(m) => {
                if self.meta.is_some() {
                    return Err("a second meta line".into());
                }
                self.meta = Some(m);
            }
            Line::Sample(s) => {
                let m = self
                    .meta
                    .as_ref()
                    .ok_or_else(|| format!("a sample before the meta line: {short}"))?;
                if !m.allocators.contains(&s.allocator) || !m.scans.contains(&s.scan) {
                    return Err(format!("a sample not announced: {short}"));
                }
                if s.rep >= m.reps {
                    return Err(format!("repetition {} of {}: {short}", s.rep, m.reps));
                }
                if self.get(&s.allocator, &s.scan, s.rep).is_some() {
                    return Err(format!("a repeated sample: {short}"));
                }
                self.samples.push(s);
            }
        }
        Ok(())
    }

    /// Reads a whole output.
    pub fn parse(output: &str) -> Result<Results, String> {
        let mut r = Results::default();
        for line in output.lines() {
            r.push_line(line)?;
        }
        r.check_complete()?;
        Ok(r)
    }

    /// Every allocator × scan × repetition the meta line announced has its
    /// sample.
    pub fn check_complete(&self) -> Result<(), String> {
        let m = self.meta.as_ref().ok_or("no output")?;
        let want = m.allocators.len() * m.scans.len() * m.reps;
        if self.samples.len() != want {
            return Err(format!(
                "{} samples of the {want} announced",
                self.samples.len()
            ));
        }
        Ok(())
    }

    /// The allocators, in the binary's order.
    pub fn allocators(&self) -> &[String] {
        self.meta.as_ref().map_or(&[], |m| &m.allocators[..])
    }

    /// The scans, in the binary's order.
    pub fn scans(&self) -> &[String] {
        self.meta.as_ref().map_or(&[], |m| &m.scans[..])
    }

    pub fn get(&self, allocator: &str, scan: &str, rep: usize) -> Option<&Sample> {
        self.samples
            .iter()
            .find(|s| s.allocator == allocator && s.scan == scan && s.rep == rep)
    }

    /// `f` of each repetition's sample of `scan` under `allocator`.
    pub fn values(&self, allocator: &str, scan: &str, f: impl Fn(&Sample) -> f64) -> Vec<f64> {
        self.samples
            .iter()
            .filter(|s| s.allocator == allocator && s.scan == scan)
            .map(f)
            .collect()
    }

    /// The median over the repetitions of `f`, or `None` unmeasured.
    pub fn median(&self, allocator: &str, scan: &str, f: impl Fn(&Sample) -> f64) -> Option<f64> {
        let v = self.values(allocator, scan, f);
        (!v.is_empty()).then(|| median(&v))
    }

    /// `scan`'s time over [`POOLED`]'s under `allocator`, per repetition
    /// (the two ran back to back in it): (median, min, max); above 1 the
    /// pool is faster.
    pub fn ratio(&self, allocator: &str, scan: &str) -> Option<(f64, f64, f64)> {
        let reps = self.meta.as_ref()?.reps;
        let per: Vec<f64> = (0..reps)
            .filter_map(|r| {
                Some(self.get(allocator, scan, r)?.secs / self.get(allocator, POOLED, r)?.secs)
            })
            .collect();
        if per.is_empty() {
            return None;
        }
        let (lo, hi) = min_max(&per);
        Some((median(&per), lo, hi))
    }

    /// The fastest median time of `scan` under any allocator, with that
    /// allocator.
    pub fn best(&self, scan: &str) -> Option<(f64, &str)> {
        self.allocators()
            .iter()
            .filter_map(|a| Some((self.median(a, scan, |s| s.secs)?, a.as_str())))
            .min_by(|x, y| x.0.total_cmp(&y.0))
    }
}

/// What a ratio (a contender's time over the pool's) says: "the pool
/// faster", "a tie" or "the pool SLOWER".
pub fn verdict(ratio: f64) -> &'static str {
    if ratio >= WIN_AT {
        "the pool faster"
    } else if ratio <= LOSE_AT {
        "the pool SLOWER"
    } else {
        "a tie (within 5%)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"{"df":"meta","format":1,"query":"SELECT 1","rows":1024,"batch_rows":8192,"partitions":2,"iters":3,"reps":2,"allocators":["mimalloc","glibc"],"scans":["pooled","no-reuse","memtable"],"datafusion":"55.2.0"}"#;

    fn sample(alloc: &str, scan: &str, rep: usize, secs: f64) -> String {
        format!(
            r#"{{"df":"sample","allocator":"{alloc}","scan":"{scan}","rep":{rep},"secs_per_query":{secs},"allocs_per_query":100.5,"frees_per_query":99,"bytes_per_query":1048576,"peak_rss_kib":2048,"base_rss_kib":1024,"batches_from_cache":4,"batches_made":5}}"#
        )
    }

    fn full() -> String {
        let mut out = vec![META.to_owned()];
        for rep in 0..2 {
            for alloc in ["mimalloc", "glibc"] {
                for (scan, secs) in [("pooled", 0.040), ("no-reuse", 0.044), ("memtable", 0.030)] {
                    // glibc slower by half; rep 1 a little slower for every scan.
                    let k = if alloc == "glibc" { 1.5 } else { 1.0 };
                    let r = if rep == 1 { 1.1 } else { 1.0 };
                    out.push(sample(alloc, scan, rep, secs * k * r));
                }
            }
        }
        out.join("\n") + "\n"
    }

    #[test]
    fn reads_a_whole_run() {
        let r = Results::parse(&full()).unwrap();
        let m = r.meta.as_ref().unwrap();
        assert_eq!((m.rows, m.reps, m.iters), (1024, 2, 3));
        assert_eq!(m.datafusion, "55.2.0");
        assert_eq!(r.samples.len(), 12);
        let s = r.get("glibc", "memtable", 1).unwrap();
        assert!((s.secs - 0.030 * 1.5 * 1.1).abs() < 1e-12);
        assert_eq!((s.allocs, s.frees, s.bytes), (100.5, 99.0, 1048576.0));
        assert_eq!(
            (s.peak_kib, s.base_kib, s.from_cache, s.made),
            (2048, 1024, 4, 5)
        );
    }

    #[test]
    fn ratios_pair_the_repetitions() {
        let r = Results::parse(&full()).unwrap();
        // Paired in each repetition: the factors of the repetition and the
        // allocator cancel.
        let (m, lo, hi) = r.ratio("glibc", "no-reuse").unwrap();
        assert!((m - 1.1).abs() < 1e-9 && (lo - 1.1).abs() < 1e-9 && (hi - 1.1).abs() < 1e-9);
        let (m, ..) = r.ratio("mimalloc", "memtable").unwrap();
        assert!((m - 0.75).abs() < 1e-9);
        assert_eq!(r.ratio("mimalloc", "pooled").map(|x| x.0), Some(1.0));
        assert_eq!(r.ratio("jemalloc", "pooled"), None);
        let (best, alloc) = r.best("memtable").unwrap();
        assert_eq!(alloc, "mimalloc");
        assert!(
            (best - 0.030 * 1.05).abs() < 1e-9,
            "median of 0.030 and 0.033"
        );
        assert_eq!(verdict(1.1), "the pool faster");
        assert_eq!(verdict(1.0), "a tie (within 5%)");
        assert_eq!(verdict(0.75), "the pool SLOWER");
    }

    #[test]
    fn refuses_what_it_cannot_trust() {
        // A binary built before --json prints its markdown table.
        let e = Results::parse("`SELECT ...` over 1024 rows\n| scan | Mrows/s |\n").unwrap_err();
        assert!(e.starts_with("not JSON"), "{e}");
        // Another format.
        let e = Results::parse(&META.replace("\"format\":1", "\"format\":2")).unwrap_err();
        assert!(e.contains("format 2"), "{e}");
        // A sample first, a repetition out of range, a repeated sample, an
        // unknown scan, a missing field.
        let one = sample("mimalloc", "pooled", 0, 0.04);
        assert!(Results::parse(&one)
            .unwrap_err()
            .contains("before the meta"));
        let bad = [
            sample("mimalloc", "pooled", 2, 0.04),
            format!("{one}\n{one}"),
            sample("mimalloc", "parquet", 0, 0.04),
            one.replace("\"batches_made\":5", "\"made\":5"),
            sample("mimalloc", "pooled", 0, 0.0),
        ];
        for b in bad {
            assert!(Results::parse(&format!("{META}\n{b}")).is_err(), "{b}");
        }
        // An interrupted run.
        let all = full();
        let cut: Vec<&str> = all.lines().take(7).collect();
        let e = Results::parse(&cut.join("\n")).unwrap_err();
        assert_eq!(e, "6 samples of the 12 announced");
        assert_eq!(Results::parse("").unwrap_err(), "no output");
    }
}
