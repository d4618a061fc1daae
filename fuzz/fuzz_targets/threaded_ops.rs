#![no_main]
//! `threaded_ops`: see `chunkpool_harness::run_threaded_ops` (fuzz/harness/src/) for what it checks.

use chunkpool_harness::input::ThreadedInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: chunkpool_harness::panics::install_panic_filter(),
    |input: ThreadedInput| {
        chunkpool_harness::run_threaded_ops(&input);
    }
);
