//! Code shared by every benchmark target: the chunk shapes and the "touch"
//! of a cycle, the contenders of the performance brief (`benches/README.md`), the multi-thread harness, the
//! S5 executor pipeline, text of realistic widths (S7 and S5's width sweep), the Arrow hand-off
//! (S8, feature `arrow`), S9's engine batches, S10's exchange and S11's
//! large columns (feature `arrow`), the reader of scenario DF's output
//! (the DataFusion benchmark, a binary of its own), the
//! switching, counting global allocator of the allocator axis, and small
//! `/proc` readers.
//!
//! The `chunkpool-bench` crate's library, used by the criterion benches
//! (`benches/benches/cycle.rs`, `benches/benches/cycle_mimalloc.rs`) and by
//! the binaries `compare` and `executor`
//! (`benches/src/bin/`), so a number in the criterion report and one in the
//! comparison table come from the same code. The criterion groups
//! themselves are `benches/benches/groups.rs` (criterion is a
//! dev-dependency, for the benches only).

pub mod alloc;
pub mod contenders;
pub mod df;
#[cfg(feature = "arrow")]
pub mod engine;
#[cfg(feature = "arrow")]
pub mod exchange;
#[cfg(feature = "arrow")]
pub mod handoff;
pub mod harness;
#[cfg(feature = "arrow")]
pub mod large;
pub mod pipeline;
pub mod shapes;
pub mod strings;
pub mod sys;

/// The repository root (the root workspace, which holds `chunkpool`'s
/// `src/` and the default `target/`), one level above this crate.
pub fn repo_root() -> &'static std::path::Path {
    let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here)
}
