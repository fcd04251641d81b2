//! ferrotls: a TLS 1.3 (and later TLS 1.2) stack with a sans-I/O core.
//!
//! ```text
//! bytes in -> record::Deframer -> record unprotect -> msgs decode -> tls13 state machine
//!          -> actions (messages, keys, app data) -> record protect -> bytes out
//! ```
//!
//! `crypto` is the only module that names the crypto provider (aws-lc-rs).
#![forbid(unsafe_code)]

pub mod client;
pub mod codec;
mod config;
pub mod conn;
pub mod crypto;
pub mod error;
pub mod msgs;
pub mod observe;
pub mod pem;
pub mod pki;
pub mod record;
pub mod server;
pub mod stream;
pub mod tls12;
pub mod tls13;

pub use client::{ClientConfig, ClientConnection};
pub use conn::Connection;
pub use error::Error;
pub use rustls_pki_types as pki_types;
pub use server::{ServerConfig, ServerConnection};
pub use stream::{Stream, StreamOwned};
