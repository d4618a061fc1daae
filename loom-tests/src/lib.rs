//! loom models for chunkpool live in `tests/`; this crate has no code of its own.
