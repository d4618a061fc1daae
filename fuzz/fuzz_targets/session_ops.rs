#![no_main]
//! `session_ops`: see `chunkpool_harness::run_session_ops` (fuzz/harness/src/) for what it checks.

use chunkpool_harness::input::SessionInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: chunkpool_harness::panics::install_panic_filter(),
    |input: SessionInput| {
        chunkpool_harness::run_session_ops(&input);
    }
);
