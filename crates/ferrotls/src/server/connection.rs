//! The server side of a [`Connection`].

use std::sync::Arc;

use crate::conn::{Connection, HandshakeState};
use crate::error::Error;
use crate::server::{hello, ServerConfig};

/// A TLS server connection: a sans-I/O state machine. See [`Connection`].
#[derive(Debug)]
pub struct ServerConnection {
    inner: Connection,
}

impl ServerConnection {
    /// Whether 0-RTT data was accepted (known once the ClientHello was processed).
    pub fn early_data_accepted(&self) -> bool {
        self.inner.early_data_accepted_by_server()
    }

    /// Asks the client for a certificate now, after the TLS 1.3 handshake (RFC 8446,
    /// 4.6.2): sends a CertificateRequest with a fresh random context. The client
    /// answers when it processes it, between application data; once its Certificate,
    /// CertificateVerify and Finished verified, `negotiated().post_handshake_auth`
    /// counts the answer and `peer_certificates()` holds the chain (an empty answer
    /// leaves it unchanged, or fails the connection with certificate_required if the
    /// verifier makes certificates mandatory). Several requests may be outstanding.
    ///
    /// Fails if the client did not offer post_handshake_auth, on TLS 1.2, before the
    /// handshake completes, after close_notify, or without a verifier
    /// (`post_handshake_client_auth` or `client_auth`).
    pub fn request_client_certificate(&mut self) -> Result<(), Error> {
        self.inner.request_client_certificate()
    }

    pub fn new(config: Arc<ServerConfig>) -> Result<Self, Error> {
        let mut inner = Connection::new(config.observer.clone());
        inner.start(|_| Ok(HandshakeState::Server(hello::start(config))))?;
        Ok(ServerConnection { inner })
    }
}

impl core::ops::Deref for ServerConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.inner
    }
}

impl core::ops::DerefMut for ServerConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.inner
    }
}
