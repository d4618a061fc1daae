//! Support code shared by integration tests (`mod common;`).

pub mod counting;
