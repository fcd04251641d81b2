//! ferrotls: a TLS 1.3 (and later TLS 1.2) stack with a sans-I/O core.
//!
//! ```text
//! bytes in -> record::Deframer -> record unprotect -> msgs decode -> tls13 state machine
//!          -> actions (messages, keys, app data) -> record protect -> bytes out
//! ```
//!
//! `crypto` is the only module that names the crypto provider (aws-lc-rs).
//!
//! A handshake can wait for an operation from outside (a signature from a key in a
//! KMS or HSM, a certificate verdict, a session lookup) without blocking: see [`pause`].
#![forbid(unsafe_code)]
// Malformed input is an error with an alert, never a panic (STYLE.md): no unwrap or
// expect outside tests, and no indexing in the modules that touch peer data.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod client;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod codec;
mod config;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod conn;
pub mod crypto;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod ech;
pub mod error;
mod exporter;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod msgs;
pub mod observe;
pub mod pause;
pub mod pem;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod pki;
pub mod psk;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod record;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod server;
pub mod stream;
#[cfg(test)]
pub(crate) mod test_util;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod time;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod tls12;
#[cfg_attr(not(test), deny(clippy::indexing_slicing))]
pub mod tls13;

pub use client::{ClientConfig, ClientConnection};
pub use conn::Connection;
pub use error::Error;
pub use rustls_pki_types as pki_types;
/// Ticket keys from a source the server does not own (a fleet's shared schedule).
pub use server::session::{RotatingTicketKeys, TicketKey, TicketKeySource};
pub use server::{ServerConfig, ServerConnection};
pub use stream::{Stream, StreamOwned};
