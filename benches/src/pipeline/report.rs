//! What an S5 run is asked to do ([`Opts`]), what it measured
//! ([`Report`]), and the protocol that runs one contender in a child
//! process so its peak RSS is its own.

use super::{run_named, Table, DEFAULT_STR_BYTES};
use crate::shapes::ROWS;
use std::path::Path;
use std::time::Duration;

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct Opts {
    pub workers: usize,
    /// Table rows = rows each statement scans.
    pub rows: usize,
    /// Timed statements (one more, untimed, warms up first).
    pub statements: usize,
    /// The timed statement (0-based) that fails half-way, if any.
    pub fail_statement: Option<usize>,
    /// Mean bytes a row of the `name` and `comment` strings
    /// ([`DEFAULT_STR_BYTES`] unless a width is being measured).
    pub str_bytes: usize,
}

/// What a run measured.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub contender: String,
    pub workers: usize,
    /// Mean bytes a row of the table's strings.
    pub str_bytes: usize,
    pub statements: usize,
    pub failed_statements: usize,
    pub rows_scanned: u64,
    pub rows_out: u64,
    pub checksum: u64,
    pub wall: Duration,
    /// Worker time inside `alloc` and dropping chunks, summed over workers.
    pub alloc_ns: u64,
    /// Worker time spent on morsels, summed over workers.
    pub busy_ns: u64,
    pub chunks: u64,
    /// Columns handed out from the cache / all columns handed out, over the
    /// timed statements.
    pub reuse_rate: Option<f64>,
    /// Chunks handed out as whole cached chunks / all chunks handed out
    /// (`Stats::chunks_from_cache / chunks_allocated`), same statements.
    pub chunk_reuse_rate: Option<f64>,
    pub abandoned_allocators: usize,
    pub peak_rss_kb: Option<u64>,
    /// The most heap the pool held cached (`Stats::retained_bytes`) at the
    /// end of any statement, the untimed warm-up included (peak RSS covers
    /// it too): read once the workers are parked and every chunk of the
    /// statement is back (after a failed statement, from the abandoned
    /// allocator once its leftover chunk is back), when the cache is at its
    /// largest and the per-thread counts it sums are settled. `None` for
    /// contenders that keep no cache (`malloc`, `floor`).
    pub retained_bytes_max: Option<u64>,
    /// Minor page faults of the process during the timed statements.
    pub minor_faults: u64,
}

impl Report {
    pub fn rows_per_sec(&self) -> f64 {
        self.rows_scanned as f64 / self.wall.as_secs_f64()
    }
    /// Minor page faults per 1024-row morsel.
    pub fn faults_per_morsel(&self) -> f64 {
        self.minor_faults as f64 / (self.rows_scanned as f64 / ROWS as f64).max(1.0)
    }

    /// Share of worker time spent getting and returning chunks.
    pub fn alloc_share(&self) -> f64 {
        self.alloc_ns as f64 / self.busy_ns.max(1) as f64
    }

    /// Peak RSS in bytes.
    pub fn peak_rss_bytes(&self) -> Option<f64> {
        self.peak_rss_kb.map(|k| k as f64 * 1024.0)
    }

    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "contender": self.contender,
            "workers": self.workers,
            "str_bytes": self.str_bytes,
            "statements": self.statements,
            "failed_statements": self.failed_statements,
            "rows_scanned": self.rows_scanned,
            "rows_out": self.rows_out,
            "checksum": self.checksum,
            "wall_ns": self.wall.as_nanos() as u64,
            "alloc_ns": self.alloc_ns,
            "busy_ns": self.busy_ns,
            "chunks": self.chunks,
            "reuse_rate": self.reuse_rate,
            "chunk_reuse_rate": self.chunk_reuse_rate,
            "abandoned_allocators": self.abandoned_allocators,
            "peak_rss_kb": self.peak_rss_kb,
            "retained_bytes_max": self.retained_bytes_max,
            "minor_faults": self.minor_faults,
            "rows_per_sec": self.rows_per_sec(),
            "alloc_share": self.alloc_share(),
        })
    }

    pub fn from_json(v: &serde_json::Value) -> Option<Report> {
        let u = |k: &str| v.get(k).and_then(|x| x.as_u64());
        Some(Report {
            contender: v.get("contender")?.as_str()?.to_string(),
            workers: u("workers")? as usize,
            str_bytes: u("str_bytes").map_or(DEFAULT_STR_BYTES, |b| b as usize),
            statements: u("statements")? as usize,
            failed_statements: u("failed_statements")? as usize,
            rows_scanned: u("rows_scanned")?,
            rows_out: u("rows_out")?,
            checksum: u("checksum")?,
            wall: Duration::from_nanos(u("wall_ns")?),
            alloc_ns: u("alloc_ns")?,
            busy_ns: u("busy_ns")?,
            chunks: u("chunks")?,
            reuse_rate: v.get("reuse_rate").and_then(|x| x.as_f64()),
            chunk_reuse_rate: v.get("chunk_reuse_rate").and_then(|x| x.as_f64()),
            abandoned_allocators: u("abandoned_allocators")? as usize,
            peak_rss_kb: u("peak_rss_kb"),
            retained_bytes_max: u("retained_bytes_max"),
            minor_faults: u("minor_faults").unwrap_or(0),
        })
    }
}

/// The flag a binary recognises to act as a one-contender child.
pub const CHILD_FLAG: &str = "--pipeline-child";

/// Child side: `args` after [`CHILD_FLAG`] are contender, workers, rows,
/// statements, failing statement (or -1) and, optionally, the strings' mean
/// bytes a row (default [`DEFAULT_STR_BYTES`]). Runs and prints one JSON
/// line.
pub fn child_main(args: &[String]) -> Result<(), String> {
    let get = |i: usize| {
        args.get(i)
            .ok_or_else(|| format!("{CHILD_FLAG}: missing argument {i}"))
    };
    let name = get(0)?.clone();
    let num = |i: usize| -> Result<i64, String> { get(i)?.parse().map_err(|e| format!("{e}")) };
    let opts = Opts {
        workers: num(1)? as usize,
        rows: num(2)? as usize,
        statements: num(3)? as usize,
        fail_statement: usize::try_from(num(4)?).ok(),
        str_bytes: match args.get(5) {
            Some(_) => num(5)? as usize,
            None => DEFAULT_STR_BYTES,
        },
    };
    let table = Table::generate(opts.rows, opts.str_bytes);
    let r = run_named(&name, &table, &opts).ok_or_else(|| format!("unknown contender {name}"))?;
    println!("{}", r.to_json());
    Ok(())
}

/// Parent side: runs one contender in a child process (`exe` must call
/// [`child_main`] when given [`CHILD_FLAG`]), so its peak RSS is its own.
pub fn run_in_child(exe: &Path, name: &str, opts: &Opts) -> Result<Report, String> {
    let out = std::process::Command::new(exe)
        .arg(CHILD_FLAG)
        .arg(name)
        .arg(opts.workers.to_string())
        .arg(opts.rows.to_string())
        .arg(opts.statements.to_string())
        .arg(opts.fail_statement.map_or(-1, |s| s as i64).to_string())
        .arg(opts.str_bytes.to_string())
        .output()
        .map_err(|e| format!("spawning {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{name} child failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("{e}: {line}"))?;
    Report::from_json(&v).ok_or_else(|| format!("bad child report: {line}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `compare` reads back from a child is what the child measured,
    /// the pool's retained bytes included (S5's RSS target needs them).
    #[test]
    fn report_json_round_trip() {
        let r = Report {
            contender: "chunkpool".into(),
            workers: 2,
            str_bytes: 24,
            statements: 16,
            failed_statements: 1,
            rows_scanned: 1 << 20,
            rows_out: 1 << 19,
            checksum: 0xdead_beef,
            wall: Duration::from_nanos(123_456_789),
            alloc_ns: 1_000,
            busy_ns: 100_000,
            chunks: 3072,
            reuse_rate: Some(0.99),
            chunk_reuse_rate: Some(0.98),
            abandoned_allocators: 1,
            peak_rss_kb: Some(40_960),
            retained_bytes_max: Some(3 << 20),
            minor_faults: 7,
        };
        let back = Report::from_json(&r.to_json()).expect("parses");
        assert_eq!(format!("{back:?}"), format!("{r:?}"));
        let mut none = r.clone();
        none.retained_bytes_max = None;
        none.peak_rss_kb = None;
        let back = Report::from_json(&none.to_json()).expect("parses");
        assert_eq!(back.retained_bytes_max, None);
        assert_eq!(back.peak_rss_kb, None);
    }
}
