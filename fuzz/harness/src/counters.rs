//! What each allocator's counters must say: [`Stats`] checked against the
//! model's [`Expect`] and the configured bounds (invariants 3 and 5 of the
//! crate docs), per pool and summed over pools.

use crate::model::Expect;
use chunkpool::{PoolConfig, Stats};

/// Checks one pool's counters against the harness's expectations and the
/// configured bounds (invariants 3 and 5 of the crate docs).
///
/// `whole_chunks`: the pool caches whole chunks (the lock-free allocator),
/// whose columns the counters do not show, and no shells; otherwise it
/// caches empty shells and no whole chunk (the mutex allocator).
pub fn check_stats(s: &Stats, e: &Expect, cfg: &PoolConfig, whole_chunks: bool) {
    check_bounds(s, cfg, e.codes.len(), &|| format!("expected {e:#?}"));
    check_counts(s, e, cfg, whole_chunks);
}

/// What one pool may retain: the count limits (`ncodes` size classes seen),
/// the byte budget, nothing at all with limits of 0.
pub fn check_bounds(s: &Stats, cfg: &PoolConfig, ncodes: usize, more: &dyn Fn() -> String) {
    let ctx = || format!("stats {s:#?}\nconfig {cfg:?}\n{}", more());
    assert!(
        s.retained_chunks <= cfg.max_free_chunks(),
        "retained_chunks over the limit; {}",
        ctx()
    );
    assert!(
        s.retained_shells <= cfg.max_free_chunks(),
        "retained_shells over the limit; {}",
        ctx()
    );
    assert!(
        s.retained_columns <= cfg.max_free_columns() * ncodes,
        "retained_columns over the per-class limit; {}",
        ctx()
    );
    assert_eq!(
        s.cached_columns.total(),
        s.retained_columns,
        "cached_columns does not add up to retained_columns; {}",
        ctx()
    );
    assert!(
        s.cached_columns.iter().len() <= ncodes,
        "more size classes cached than seen; {}",
        ctx()
    );
    for (class, n) in s.cached_columns.iter() {
        assert!(
            n > 0 && n <= cfg.max_free_columns(),
            "{class:?} class count {n} out of range; {}",
            ctx()
        );
    }
    if let Some(budget) = cfg.byte_budget() {
        assert!(
            s.retained_bytes <= budget,
            "retained_bytes over the byte budget; {}",
            ctx()
        );
    }
    if cfg.max_free_columns() == 0 {
        assert_eq!(s.retained_columns, 0, "{}", ctx());
    }
    if cfg.max_free_chunks() == 0 {
        assert_eq!(s.retained_chunks, 0, "{}", ctx());
        assert_eq!(s.retained_shells, 0, "{}", ctx());
    }
    if !cfg.reuse_enabled() {
        assert_eq!(s.columns_reused, 0, "reuse with limits of 0; {}", ctx());
        assert_eq!(s.retained_bytes, 0, "{}", ctx());
    }
}

/// The counters against what the harness did (exact where the design makes
/// them exact), and column conservation.
pub fn check_counts(s: &Stats, e: &Expect, cfg: &PoolConfig, whole_chunks: bool) {
    let ctx = || format!("stats {s:#?}\nexpected {e:#?}\nconfig {cfg:?}");
    assert_eq!(
        s.chunks_allocated,
        e.allocated,
        "chunks_allocated; {}",
        ctx()
    );
    assert_eq!(s.chunks_returned, e.returned, "chunks_returned; {}", ctx());
    assert_eq!(
        s.columns_reused + s.columns_fresh,
        e.columns,
        "columns handed out; {}",
        ctx()
    );
    assert_eq!(
        s.discarded_avoid_reuse,
        e.avoid,
        "avoid_reusing columns discarded; {}",
        ctx()
    );
    assert!(
        s.discarded_oversize >= e.oversize_min,
        "oversized columns kept; {}",
        ctx()
    );
    assert!(s.chunks_from_cache <= s.chunks_allocated, "{}", ctx());
    if whole_chunks {
        assert_eq!(
            s.retained_shells,
            0,
            "shells in a whole-chunk cache; {}",
            ctx()
        );
    } else {
        assert_eq!(
            s.retained_chunks,
            0,
            "whole chunks in a shell cache; {}",
            ctx()
        );
    }
    // Chunk shells (the mutex allocator's) and whole chunks both hold
    // bytes: the budget counts the records too.
    if s.retained_columns == 0 && s.retained_chunks == 0 && s.retained_shells == 0 {
        assert_eq!(
            s.retained_bytes,
            0,
            "bytes retained with nothing cached; {}",
            ctx()
        );
    }
    // Conservation: every plain column given back was discarded, reused,
    // dropped as too small, or is still cached. Whole cached chunks hold
    // columns the counters do not show, and trim drops without counting.
    let out = s.discarded_oversize
        + s.discarded_over_limit
        + s.columns_reused
        + s.discarded_too_small
        + s.retained_columns as u64;
    if e.trimmed || (whole_chunks && s.retained_chunks > 0) {
        assert!(
            out <= e.returned_plain,
            "more columns left the cache than entered it; {}",
            ctx()
        );
    } else {
        assert_eq!(out, e.returned_plain, "column conservation; {}", ctx());
    }
}

/// The sum of several pools' counters.
pub fn sum_stats<'a>(all: impl IntoIterator<Item = &'a Stats>) -> Stats {
    let mut t = Stats::default();
    for s in all {
        t.chunks_allocated += s.chunks_allocated;
        t.chunks_from_cache += s.chunks_from_cache;
        t.columns_reused += s.columns_reused;
        t.columns_fresh += s.columns_fresh;
        t.chunks_returned += s.chunks_returned;
        t.discarded_over_limit += s.discarded_over_limit;
        t.discarded_oversize += s.discarded_oversize;
        t.discarded_avoid_reuse += s.discarded_avoid_reuse;
        t.discarded_too_small += s.discarded_too_small;
        t.retained_chunks += s.retained_chunks;
        t.retained_shells += s.retained_shells;
        t.retained_columns += s.retained_columns;
        t.retained_bytes += s.retained_bytes;
    }
    t
}
