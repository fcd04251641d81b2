//! The client side: [`TlsConnector`] and the stream it returns.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use ferrotls::pki_types::ServerName;
use ferrotls::{ClientConfig, ClientConnection};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::pause::AsyncHandlers;
use crate::stream::tls_error;

/// A client TLS stream over `IO`; `get_ref().1` is the [`ferrotls::Connection`].
pub type TlsStream<IO> = crate::stream::TlsStream<IO, ClientConnection>;

/// Connects TLS clients over any async transport with one shared [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
    handlers: AsyncHandlers,
}

impl From<Arc<ClientConfig>> for TlsConnector {
    fn from(config: Arc<ClientConfig>) -> Self {
        TlsConnector {
            config,
            handlers: AsyncHandlers::default(),
        }
    }
}

impl TlsConnector {
    pub fn new(config: Arc<ClientConfig>) -> Self {
        config.into()
    }

    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// Answers the operations handshakes pause on (a deferred server certificate
    /// verification, a remote client key's signature; see [`crate::pause`]).
    pub fn with_handlers(mut self, handlers: AsyncHandlers) -> Self {
        self.handlers = handlers;
        self
    }

    /// Runs the handshake with `server_name` over `io`; the stream is returned once the
    /// handshake is complete and our Finished has been written.
    ///
    /// Fails with `InvalidData` wrapping [`ferrotls::Error`] if the handshake fails (the
    /// server's certificate is not trusted, an alert arrived…), after sending our
    /// alert; with `UnexpectedEof` if the server closes the connection mid-handshake;
    /// or with the transport's own error. The future has no deadline of its own: see
    /// [`connect_with_timeout`](Self::connect_with_timeout).
    pub fn connect<IO>(
        &self,
        server_name: ServerName<'static>,
        io: IO,
    ) -> impl Future<Output = io::Result<TlsStream<IO>>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = ClientConnection::new(self.config.clone(), server_name);
        let handlers = self.handlers.clone();
        async move {
            let mut stream = TlsStream::new(io, conn.map_err(tls_error)?);
            stream.handshake(&handlers).await?;
            Ok(stream)
        }
    }

    /// [`connect`](Self::connect) with a deadline: fails with `TimedOut` if the handshake
    /// has not completed within `timeout`, dropping `io`. Needs a tokio runtime with
    /// the time driver enabled.
    pub async fn connect_with_timeout<IO>(
        &self,
        server_name: ServerName<'static>,
        io: IO,
        timeout: Duration,
    ) -> io::Result<TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        crate::with_timeout(timeout, self.connect(server_name, io)).await
    }
}
