//! The fuzz harness's differential run with its `arrow` feature on, as the
//! fuzz targets run it, on two seeds:
//!
//! * a variable-width bulk append of valid parts whose form matches its
//!   column goes in through `Column::extend_from_array` as an arrow array
//!   (sliced or not, either offset width, NULL slots empty or spanning
//!   bytes);
//! * an `append_chunk`, `append_rows` or `append_row` of an odd number
//!   of rows goes in through `Chunk::append_record_batch` as a batch of
//!   the same rows
//!   (sliced or not, either offset width, into a chunk with a selection
//!   or without columns).
//!
//! The chunks must hold what the model says after every step, with the
//! pool's checks on every return. The root crate's
//! `tests/fuzz_regressions.rs` runs the same seeds without the feature,
//! through the `_from_parts` calls and the plain appends.

use chunkpool_harness::arrays::{ARRAY_CALLS, BATCH_CALLS, EXPORT_DROPS};
use chunkpool_harness::input::{AllocInput, Cfg, Limit};
use chunkpool_harness::seeds::{append_chunk_seed, var_parts_seed};
use std::sync::atomic::Ordering;

fn configs() -> [Cfg; 4] {
    [
        Cfg::Default,
        Cfg::NoReuse,
        Cfg::Limits {
            chunks: Limit::new(1),
            columns: Limit::new(1),
        },
        Cfg::Tiny {
            chunks: Limit::new(2),
            columns: Limit::new(3),
            max_var_bytes: 4,
            budget: Some(300),
        },
    ]
}

/// Runs `ops` under every config; returns the fewest calls the counter
/// `calls` reads counted in one run (other tests in this binary may add
/// theirs meanwhile, so it is at least what the run made).
fn fewest_calls(ops: &[chunkpool_harness::input::Op], calls: impl Fn() -> usize) -> usize {
    configs()
        .into_iter()
        .map(|config| {
            let before = calls();
            chunkpool_harness::run_differential(&AllocInput {
                config,
                ops: ops.to_vec(),
            });
            calls() - before
        })
        .min()
        .expect("four configs")
}

#[test]
fn var_parts_go_in_as_arrow_arrays() {
    // 1, 3, 5, 7 and 9 rows in each of the four forms.
    let calls = fewest_calls(&var_parts_seed(), || ARRAY_CALLS.load(Ordering::Relaxed));
    assert!(calls >= 20, "{calls} calls went through extend_from_array");
}

#[test]
fn chunk_appends_go_in_as_record_batches() {
    // The seed's 33 appends of an odd count of rows, on both of the run's
    // allocators: `append_chunk` of 1, 3, 5, 7, 9 and 11 filled rows and
    // of three selected rows (three times), `append_row` twelve times,
    // `append_rows` of 1 (a one-row source), 1, 3, 5, 7, 9 and 11 rows,
    // 1, 3 and 5 rows of text, and 5 and 3 rows without columns.
    let calls = fewest_calls(&append_chunk_seed(), || BATCH_CALLS.load(Ordering::Relaxed));
    assert!(calls >= 66, "{calls} appends went through the batch");
}

/// Chunks dropped with an odd number of rows go home through an export
/// (the batch dropped at once), and must come back as a drop brings them.
#[test]
fn dropped_chunks_go_home_through_exports() {
    // Of the seed's six chunks, three end with an odd number of rows and
    // can be exported (5 and 9 rows of text, 3 rows without columns; the
    // others have a selection or an even count), on both of the run's
    // allocators.
    let drops = fewest_calls(&append_chunk_seed(), || {
        EXPORT_DROPS.load(Ordering::Relaxed)
    });
    assert!(drops >= 6, "{drops} chunks went home through an export");
}
