#![no_main]
//! `allocator_ops`: see `chunkpool_harness::run_allocator_ops` (fuzz/harness/src/) for what it checks.

use chunkpool_harness::input::AllocInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: chunkpool_harness::panics::install_panic_filter(),
    |input: AllocInput| {
        chunkpool_harness::run_allocator_ops(&input);
    }
);
