//! The client side of a [`Connection`].

use std::sync::Arc;

use rustls_pki_types::ServerName;

use crate::client::{hello, ClientConfig};
use crate::conn::{Connection, HandshakeState};
use crate::error::Error;

/// A TLS client connection: a sans-I/O state machine. See [`Connection`].
#[derive(Debug)]
pub struct ClientConnection {
    inner: Connection,
}

impl ClientConnection {
    /// Starts a handshake with `server_name`; the ClientHello is ready to write at once.
    pub fn new(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Result<Self, Error> {
        let mut inner = Connection::new(config.observer.clone());
        inner.start(|out| hello::start(out, config, server_name).map(HandshakeState::Client))?;
        Ok(ClientConnection { inner })
    }
}

impl core::ops::Deref for ClientConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.inner
    }
}

impl core::ops::DerefMut for ClientConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.inner
    }
}
