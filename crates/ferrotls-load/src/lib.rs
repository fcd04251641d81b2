//! Hostile-input and load tooling for ferrotls.
//!
//! - [`fuzz`]: the harness behind every cargo-fuzz target in `fuzz/` (each target is a
//!   one-line call into it), also used by `tests/fuzz_regressions.rs` to replay saved
//!   inputs on stable Rust in CI.
//! - [`load`] (feature `load`, on by default): the `ferrotls-load` soak program: one
//!   ferrotls-tokio server, N concurrent clients echoing checksummed payloads, and
//!   misbehaving clients mixed in.
#![deny(unsafe_code)] // the only exception: setrlimit and sysconf in `load`, each allowed where it is

pub mod fuzz;
#[cfg(feature = "load")]
pub mod load;
#[cfg(feature = "load")]
pub mod record;
