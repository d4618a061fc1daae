//! The op-interpreter and model checks behind chunkpool's fuzz targets.
//!
//! Each target (`fuzz_targets/*.rs`) decodes its input with `arbitrary` and
//! calls one `run_*` function here. The root crate's tests use this crate
//! too (a path-only dev-dependency): `tests/fuzz_regressions.rs` replays
//! `fuzz/regressions/` and built-in seeds on stable `cargo test`, and
//! `tests/allocator.rs` runs TiDB's tests against [`pool::Pool`] with the
//! same new-chunk check ([`fresh::check_new_chunk`]).
//!
//! It is the `chunkpool-harness` crate in `fuzz/harness/`: a member of the
//! root workspace (built and linted on stable with everything else), and a
//! path dependency of the nightly cargo-fuzz workspace in `fuzz/`.

#[cfg(feature = "arrow")]
pub mod arrays;
pub mod build;
pub mod columns;
pub mod counters;
pub mod fresh;
pub mod input;
pub mod logical;
pub mod model;
pub mod panics;
pub mod pool;
pub mod reshape;
pub mod rows;
pub mod seeds;
pub mod session;
pub mod threaded;
pub mod verify;
pub mod world;

pub use session::run_session_ops;
pub use threaded::run_threaded_ops;
pub use world::{run_allocator_ops, run_differential};

/// Replays raw fuzz input bytes as `target` would (the same decoding as
/// `fuzz_target!`: `arbitrary_take_rest`); returns the decoded input's
/// `{:#?}`, or `None` when the bytes do not decode (libFuzzer skips those).
pub fn replay(target: &str, bytes: &[u8]) -> Option<String> {
    use arbitrary::{Arbitrary, Unstructured};
    fn decode<'a, T: Arbitrary<'a> + std::fmt::Debug>(bytes: &'a [u8]) -> Option<T> {
        if bytes.len() < T::size_hint(0).0 {
            return None;
        }
        T::arbitrary_take_rest(Unstructured::new(bytes)).ok()
    }
    panics::install_panic_filter();
    match target {
        "allocator_ops" => decode::<input::AllocInput>(bytes).map(|i| {
            run_allocator_ops(&i);
            format!("{i:#?}")
        }),
        "differential" => decode::<input::AllocInput>(bytes).map(|i| {
            run_differential(&i);
            format!("{i:#?}")
        }),
        "session_ops" => decode::<input::SessionInput>(bytes).map(|i| {
            run_session_ops(&i);
            format!("{i:#?}")
        }),
        "threaded_ops" => decode::<input::ThreadedInput>(bytes).map(|i| {
            run_threaded_ops(&i);
            format!("{i:#?}")
        }),
        other => panic!("unknown fuzz target {other:?}"),
    }
}

/// The four targets, as named in `fuzz/Cargo.toml`.
pub const TARGETS: [&str; 4] = [
    "allocator_ops",
    "session_ops",
    "differential",
    "threaded_ops",
];
