//! Code shared by every benchmark target: the chunk shapes and the "touch"
//! of a cycle, the contenders of `PERF.md`, the multi-thread harness, the
//! criterion groups of the bench binaries, the S5 executor pipeline, text of
//! realistic widths (S7 and S5's width sweep), and small `/proc` readers.
//!
//! Included by `benches/cycle.rs` and `benches/cycle_mimalloc.rs` as
//! `mod common;`, by `examples/compare_mimalloc.rs` and `examples/executor.rs`
//! with `#[path = "../benches/common/mod.rs"]`, and by
//! `examples/compare/main.rs` with `#[path = "../../benches/common/mod.rs"]`, so
//! a number in the criterion report and one in the comparison table come from
//! the same code. Each includer uses a different subset.
#![allow(dead_code)]

pub mod contenders;
pub mod groups;
pub mod harness;
pub mod pipeline;
pub mod shapes;
pub mod strings;
pub mod sys;
