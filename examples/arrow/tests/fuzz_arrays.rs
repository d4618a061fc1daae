//! The fuzz harness's differential run with its `arrow` feature on, as the
//! fuzz targets run it: a variable-width bulk append of valid parts whose
//! form matches its column then goes in through
//! `Column::extend_from_array` as an arrow array (sliced or not, either
//! offset width, NULL slots empty or spanning bytes), and the column must
//! hold what the model says after every step, with the pool's checks on
//! every return. The root crate's `tests/fuzz_regressions.rs` runs the same
//! seed without the feature, through the `_from_parts` calls.

use chunkpool_harness::arrays::ARRAY_CALLS;
use chunkpool_harness::build::var_parts_seed;
use chunkpool_harness::input::{AllocInput, Cfg, Limit};
use std::sync::atomic::Ordering;

#[test]
fn var_parts_go_in_as_arrow_arrays() {
    let configs = [
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
    ];
    for config in configs {
        let before = ARRAY_CALLS.load(Ordering::Relaxed);
        chunkpool_harness::run_differential(&AllocInput {
            config,
            ops: var_parts_seed(),
        });
        // 1, 3, 5, 7 and 9 rows in each of the four forms (other tests in
        // this binary may add theirs meanwhile).
        let calls = ARRAY_CALLS.load(Ordering::Relaxed) - before;
        assert!(calls >= 20, "{calls} calls went through extend_from_array");
    }
}
