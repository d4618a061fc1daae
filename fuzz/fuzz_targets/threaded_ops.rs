#![no_main]
//! `threaded_ops`: see `chunkpool_fuzz::run_threaded_ops` (fuzz/src/) for what it checks.

use chunkpool_fuzz::input::ThreadedInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: chunkpool_fuzz::panics::install_panic_filter(),
    |input: ThreadedInput| {
        chunkpool_fuzz::run_threaded_ops(&input);
    }
);
