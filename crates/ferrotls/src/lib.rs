//! ferrotls: a TLS 1.3 and TLS 1.2 stack with a sans-I/O core.
//!
//! # Data flow
//!
//! ```text
//! bytes in (feed_tls / read_tls)
//!   -> record::Deframer -> record unprotect (Decrypter13 | Decrypter12)
//!   -> record::HandshakeJoiner -> msgs decode (whole message, before any state sees it)
//!   -> conn::HandshakeState::{Client, Server}
//!        client::hello::ClientState  = ExpectServerHello | Tls13(ClientState13) | Tls12(ClientState12)
//!        server::hello::ServerState  = ExpectClientHello | Tls13(ServerState13) | Tls12(ServerState12)
//!      each handler: (message, &mut conn::output::Output) -> next state
//!   -> Output actions, applied at once by the connection:
//!        send a message / a flight / ChangeCipherSpec, install keys,
//!        early-data decisions, record(Fact) of what was negotiated,
//!        log secrets, trace events (observe::Event)
//!   -> record protect (Encrypter13 | Encrypter12) -> send buffer
//! bytes out (pending_tls / write_tls)
//!
//! writer() -> record protect -> bytes out;  bytes in -> record unprotect -> reader()
//! ```
//!
//! The hello exchange is version-neutral: `client::hello` sends the ClientHello
//! (built by `client::offer`), answers HelloRetryRequest and splits on the
//! ServerHello's version; `server::hello` reads the ClientHello, opens ECH and
//! chooses version, suite, certificate and key share. From there `tls13` and
//! `tls12` hold only their own states and never import each other. States never
//! see the connection: they act through `conn::output::Output`, and the checks
//! that must not be skipped hand the next state a token (`proof`).
//!
//! # Module map
//!
//! ```text
//! conn/      mod.rs: Connection, the record loop;  output.rs: Output, Fact, Input
//!            (what states get and may do);  common.rs: the state only conn sees;
//!            types.rs: Negotiated, EchStatus, ClientEarlyData, IoState, readers
//! client/    mod.rs: ClientConfig;  connection.rs: ClientConnection;  store.rs: tickets
//!            offer.rs: the ClientHello (extensions, PSK binder, GREASE, ECH sealing)
//!            hello.rs: ClientState, ClientHello and HelloRetryRequest, version split
//! server/    mod.rs: ServerConfig, certificate choice;  connection.rs: ServerConnection
//!            hello.rs: ServerState, ClientHello, ECH, version/suite/cert/key share choice
//!            choice.rs: what was chosen;  session.rs: session cache and ticketer
//! proof.rs   the tokens only the signature and PSK binder checks can make
//! tls13/     key_schedule.rs, suites.rs, secrets.rs
//!            client/ mod (ServerHello, EncryptedExtensions), server_auth, finished,
//!                    post_handshake
//!            server/ mod (ClientHello, HelloRetryRequest), psk, flight, client_flight,
//!                    tickets, post_handshake, retry
//! tls12/     mod.rs (HandshakeCore, signature schemes), prf.rs, suites.rs, client.rs,
//!            server/ hello (answering the ClientHello), mod (the states after it)
//! record/    framing, joining, protection (1.3 and 1.2), buffers
//! msgs/      wire types;  codec.rs: Reader and length-prefixed writers
//! crypto/    the only module that names the crypto provider (aws-lc-rs)
//! pki/       chains, path validation, policy;  ech/: Encrypted Client Hello
//! error/     every error type, by concern (record, peer, negotiation, certificate, ...)
//! pause/     operations a handshake can wait for (remote signing, deferred verifiers,
//!            session lookups) and the connection's pending_operation/complete
//! ```
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
mod proof;
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
pub use server::{ServerConfig, ServerConnection};
pub use stream::{Stream, StreamOwned};
