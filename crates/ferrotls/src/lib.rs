//! ferrotls: a TLS 1.3 (and later TLS 1.2) stack with a sans-I/O core.
//!
//! ```text
//! bytes in -> record::Deframer -> record unprotect -> msgs decode -> tls13 state machine
//!          -> actions (messages, keys, app data) -> record protect -> bytes out
//! ```
//!
//! `crypto` is the only module that names the crypto provider (aws-lc-rs).
#![forbid(unsafe_code)]

pub mod codec;
pub mod crypto;
pub mod error;
pub mod msgs;
pub mod record;
pub mod tls13;

pub use error::Error;
