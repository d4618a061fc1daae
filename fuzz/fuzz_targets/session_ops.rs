#![no_main]
//! `session_ops`: see `chunkpool_fuzz::run_session_ops` (fuzz/src/) for what it checks.

use chunkpool_fuzz::input::SessionInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: chunkpool_fuzz::panics::install_panic_filter(),
    |input: SessionInput| {
        chunkpool_fuzz::run_session_ops(&input);
    }
);
