#![no_main]
//! `differential`: see `chunkpool_fuzz::run_differential` (fuzz/src/) for what it checks.

use chunkpool_fuzz::input::AllocInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: chunkpool_fuzz::panics::install_panic_filter(),
    |input: AllocInput| {
        chunkpool_fuzz::run_differential(&input);
    }
);
