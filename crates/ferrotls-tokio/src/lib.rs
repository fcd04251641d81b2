//! Async TLS for tokio on top of the ferrotls sans-I/O core.
//!
//! ```text
//! TlsConnector::connect / TlsAcceptor::accept  -> handshake driven over IO
//!   -> TlsStream<IO>: AsyncRead  <- Connection::reader  <- process_new_packets <- IO reads
//!                     AsyncWrite -> Connection::writer  -> pending_tls          -> IO writes
//! ```
//!
//! The shape follows tokio-rustls:
//!
//! ```no_run
//! # async fn demo(leaf: ferrotls::pki_types::CertificateDer<'static>) -> std::io::Result<()> {
//! use ferrotls::pki_types::ServerName;
//! use ferrotls_tokio::TlsConnector;
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! let config = ferrotls::ClientConfig::pinned(vec![leaf])
//!     .and_then(|b| b.build())
//!     .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
//! let tcp = tokio::net::TcpStream::connect("127.0.0.1:8443").await?;
//! let name = ServerName::try_from("localhost").map_err(std::io::Error::other)?;
//! let mut tls = TlsConnector::from(config).connect(name, tcp).await?;
//! tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await?;
//! let mut response = Vec::new();
//! tls.read_to_end(&mut response).await?;
//! println!("{:?}", tls.get_ref().1.negotiated().suite);
//! # Ok(())
//! # }
//! ```
//!
//! Errors are `io::Error`s: a TLS failure has kind `InvalidData` and wraps
//! [`ferrotls::Error`] (`e.get_ref()` downcasts to it), a connection closed without
//! close_notify is `UnexpectedEof`, a handshake deadline is `TimedOut`.
//!
//! Handshakes have no deadline unless one is asked for: servers should use
//! [`TlsAcceptor::accept_with_timeout`] (or wrap `accept` in `tokio::time::timeout`)
//! and bound concurrent handshakes, as `examples/hyper_server.rs` does.
//!
//! 0-RTT early data is not offered: the ferrotls core does not implement it yet. When
//! it does, the connector will need a way to write early data before `connect`
//! completes and the acceptor a way to read it.
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod client;
pub mod pause;
pub mod server;
pub mod stream;

use std::future::Future;
use std::io;
use std::time::Duration;

pub use client::TlsConnector;
pub use ferrotls;
pub use server::TlsAcceptor;
pub use stream::TlsStream;

/// Runs a handshake future with a deadline; expiry is a `TimedOut` error.
async fn with_timeout<T>(
    timeout: Duration,
    handshake: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match tokio::time::timeout(timeout, handshake).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "the TLS handshake did not complete within {timeout:?}; the peer is slow, stalled or not speaking TLS"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use ferrotls::pki_types::ServerName;
    use tokio::io::DuplexStream;

    use super::*;

    fn assert_send<T: Send>() {}

    // These compile only if the handshake futures over a `Send` transport are `Send`.
    fn connect_is_send(
        c: &TlsConnector,
        name: ServerName<'static>,
        io: DuplexStream,
    ) -> impl Future + Send {
        c.connect(name, io)
    }

    fn accept_is_send(a: &TlsAcceptor, io: DuplexStream) -> impl Future + Send + '_ {
        a.accept_with_timeout(io, Duration::from_secs(1))
    }

    /// Streams and handshakes can be moved into `tokio::spawn`.
    #[test]
    fn streams_and_handshakes_are_send() {
        assert_send::<client::TlsStream<DuplexStream>>();
        assert_send::<server::TlsStream<DuplexStream>>();
        let _ = (connect_is_send, accept_is_send);
    }
}
