//! TLS 1.2 (RFC 5246): PRF and key block ([`prf`]), cipher suites ([`suites`]).
//! The client and server state machines live beside them (`client.rs`, `server.rs`).

pub(crate) mod client;
pub mod prf;
pub(crate) mod server;
pub mod suites;

pub use suites::{Tls12CipherSuite, DEFAULT_TLS12_SUITES, LEGACY_TLS12_SUITES};
