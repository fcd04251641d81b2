//! The server side: [`TlsAcceptor`] and the stream it returns.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use ferrotls::{ServerConfig, ServerConnection};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::pause::AsyncHandlers;
use crate::stream::tls_error;

/// A server TLS stream over `IO`; `get_ref().1` is the [`ferrotls::Connection`].
pub type TlsStream<IO> = crate::stream::TlsStream<IO, ServerConnection>;

/// Accepts TLS connections over any async transport with one shared [`ServerConfig`].
#[derive(Debug, Clone)]
pub struct TlsAcceptor {
    config: Arc<ServerConfig>,
    handlers: AsyncHandlers,
}

impl From<Arc<ServerConfig>> for TlsAcceptor {
    fn from(config: Arc<ServerConfig>) -> Self {
        TlsAcceptor {
            config,
            handlers: AsyncHandlers::default(),
        }
    }
}

impl TlsAcceptor {
    pub fn new(config: Arc<ServerConfig>) -> Self {
        config.into()
    }

    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Answers the operations handshakes pause on (a remote key's signature, a
    /// deferred client certificate verification; see [`crate::pause`]).
    pub fn with_handlers(mut self, handlers: AsyncHandlers) -> Self {
        self.handlers = handlers;
        self
    }

    /// Runs the server handshake over `io`; the stream is returned once the client's
    /// Finished has been verified.
    ///
    /// Fails with `InvalidData` wrapping [`ferrotls::Error`] if the handshake fails
    /// (after sending our alert), with `UnexpectedEof` if the client closes the
    /// connection mid-handshake, or with the transport's own error. The future waits
    /// for the client as long as it takes: a server should use
    /// [`accept_with_timeout`](Self::accept_with_timeout) so that clients that stall
    /// (slowloris) cannot hold resources forever.
    pub fn accept<IO>(&self, io: IO) -> impl Future<Output = io::Result<TlsStream<IO>>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        let conn = ServerConnection::new(self.config.clone());
        let handlers = self.handlers.clone();
        async move {
            let mut stream = TlsStream::new(io, conn.map_err(tls_error)?);
            stream.handshake(&handlers).await?;
            Ok(stream)
        }
    }

    /// [`accept`](Self::accept) with a deadline: fails with `TimedOut` if the handshake
    /// has not completed within `timeout`, dropping (and so closing) `io`. Needs a tokio
    /// runtime with the time driver enabled.
    pub async fn accept_with_timeout<IO>(
        &self,
        io: IO,
        timeout: Duration,
    ) -> io::Result<TlsStream<IO>>
    where
        IO: AsyncRead + AsyncWrite + Unpin,
    {
        crate::with_timeout(timeout, self.accept(io)).await
    }
}
