//! The async stream: a sans-I/O [`Connection`] driven over any tokio transport.
//!
//! Memory per connection is bounded: the transport is read only when no received
//! plaintext is waiting (so at most one [`READ_CHUNK`] of plaintext is buffered), a
//! write accepts new plaintext only after earlier records have left (at most
//! [`MAX_WRITE_CHUNK`] plus record overhead is queued), and reading stops while more than
//! [`MAX_PENDING_TLS`] bytes of our own records (KeyUpdate answers) wait to be sent.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::mem::MaybeUninit;
use std::ops::DerefMut;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use ferrotls::conn::Connection;
use ferrotls::record::MAX_RECORD_LEN;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::pause::{answer_pending, AsyncHandlers};

/// How much is read from the transport at once: one maximal TLS record.
pub const READ_CHUNK: usize = MAX_RECORD_LEN;
/// The most plaintext one `poll_write` encrypts.
pub const MAX_WRITE_CHUNK: usize = 64 * 1024;
/// While more of our own TLS bytes than this wait for the transport, reading pauses.
pub const MAX_PENDING_TLS: usize = 64 * 1024;

/// A TLS error as the `io::Error` every adapter returns: kind `InvalidData`, and
/// `get_ref()` downcasts to [`ferrotls::Error`].
pub(crate) fn tls_error(e: ferrotls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// A TLS connection over an async transport `IO`, after the handshake.
///
/// Created by [`TlsConnector::connect`](crate::TlsConnector::connect) (as
/// [`client::TlsStream`](crate::client::TlsStream)) or
/// [`TlsAcceptor::accept`](crate::TlsAcceptor::accept) (as
/// [`server::TlsStream`](crate::server::TlsStream)).
///
/// Reading returns `Ok(0)` after the peer's close_notify, and an `UnexpectedEof` error if
/// the transport ends without one (RFC 8446, 6.1: the data may have been truncated).
/// TLS failures are `InvalidData` errors wrapping [`ferrotls::Error`]; our alert is sent
/// before the error is returned, and every later call returns the same error.
/// `poll_shutdown` sends close_notify, flushes, then shuts the transport down; reading
/// still works afterwards. Dropping the stream without `shutdown` closes the transport
/// without close_notify, which the peer reads as a possible truncation.
///
/// Reads and writes may run in different tasks (`tokio::io::split`): a write never
/// waits on reading, and a read waits on writing only while more than
/// [`MAX_PENDING_TLS`] bytes of its own records are queued.
#[derive(Debug)]
pub struct TlsStream<IO, C> {
    io: IO,
    conn: C,
    /// The transport reported end of input.
    eof: bool,
    /// Bytes read while the handshake was paused (`ferrotls::pause`) that the
    /// connection did not take yet; fed before the transport is read again.
    unfed: Vec<u8>,
}

impl<IO, C> TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    pub(crate) fn new(io: IO, conn: C) -> Self {
        TlsStream {
            io,
            conn,
            eof: false,
            unfed: Vec::new(),
        }
    }

    /// Runs the handshake, answering the operations it pauses on with `handlers`:
    /// the task awaits them, no thread blocks.
    pub(crate) async fn handshake(&mut self, handlers: &AsyncHandlers) -> io::Result<()> {
        loop {
            poll_fn(|cx| self.poll_handshake(cx)).await?;
            if self.conn.pending_operation().is_none() {
                return Ok(());
            }
            answer_pending(&mut self.conn, handlers).await;
        }
    }

    /// The transport and the connection (for `negotiated()`, `peer_certificates()`…).
    pub fn get_ref(&self) -> (&IO, &Connection) {
        (&self.io, &self.conn)
    }

    /// The transport and the connection, mutably. Reading from or writing to the
    /// transport directly corrupts the TLS stream.
    pub fn get_mut(&mut self) -> (&mut IO, &mut Connection) {
        (&mut self.io, &mut self.conn)
    }

    /// The side's own connection type ([`ferrotls::ServerConnection`] or
    /// [`ferrotls::ClientConnection`]), for what only one side does, such as a
    /// server's `request_client_certificate` (send it with `flush`).
    pub fn conn_mut(&mut self) -> &mut C {
        &mut self.conn
    }

    /// Gives back the transport and the connection. TLS bytes still queued are lost:
    /// call `flush` (or `shutdown`) first.
    pub fn into_inner(self) -> (IO, C) {
        (self.io, self.conn)
    }

    /// Writes queued TLS bytes once; `Ready(Ok(0))` when nothing is queued.
    fn poll_write_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let pending = self.conn.pending_tls();
        if pending.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = ready!(Pin::new(&mut self.io).poll_write(cx, pending))?;
        if n == 0 {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "the transport accepted no bytes of a TLS record",
            )));
        }
        self.conn.consume_tls(n);
        Poll::Ready(Ok(n))
    }

    /// Writes every queued TLS byte, then flushes the transport.
    fn poll_flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.conn.wants_write() {
            ready!(self.poll_write_tls(cx))?;
        }
        Pin::new(&mut self.io).poll_flush(cx)
    }

    /// Reads once from the transport and processes what arrived. Returns how many
    /// bytes were read; 0 is end of input. A TLS error is not returned here: it stays
    /// in the connection, where the callers pick it up.
    fn poll_read_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if !self.unfed.is_empty() {
            let unfed = std::mem::take(&mut self.unfed);
            self.feed(&unfed)?;
            return Poll::Ready(Ok(unfed.len()));
        }
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        let mut storage = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
        let mut buf = ReadBuf::uninit(&mut storage);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut buf))?;
        let data = buf.filled();
        if data.is_empty() {
            self.eof = true;
            return Poll::Ready(Ok(0));
        }
        let read = data.len();
        self.feed(data)?;
        Poll::Ready(Ok(read))
    }

    /// Hands received bytes to the connection and processes them. feed_tls may take
    /// only part (it buffers at most one record, and decrypts ahead only so far);
    /// processing drains what it holds, then it takes the rest. While the handshake
    /// is paused, what it does not take waits in `unfed`.
    fn feed(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let taken = self.conn.feed_tls(data);
            data = data.get(taken..).unwrap_or_default();
            if self.conn.process_new_packets().is_err() {
                break;
            }
            if self.conn.pending_operation().is_some() {
                self.unfed.extend_from_slice(data);
                break;
            }
            if taken == 0 {
                return Err(io::Error::other(
                    "ferrotls took no received bytes although no complete record was waiting",
                ));
            }
        }
        Ok(())
    }

    /// If the connection has failed: sends our alert (best effort), then returns the
    /// error. `Ready(Ok(()))` if it has not failed.
    fn poll_failed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(e) = self.conn.error() else {
            return Poll::Ready(Ok(()));
        };
        let err = tls_error(e.clone());
        // The peer may be gone already; the TLS error says more than the transport's.
        let _ = ready!(self.poll_flush_tls(cx));
        Poll::Ready(Err(err))
    }

    /// A write failed because the peer went away; it may have said why first (an
    /// alert), and that says more than the transport's error.
    fn explain_write_error(&mut self, cx: &mut Context<'_>, err: io::Error) -> io::Error {
        while self.conn.error().is_none() {
            match self.poll_read_tls(cx) {
                Poll::Ready(Ok(n)) if n > 0 => {}
                _ => return err,
            }
        }
        self.conn.error().map_or(err, |e| tls_error(e.clone()))
    }

    /// Drives the handshake until it completes, writing as much of our flights as the
    /// transport takes.
    pub(crate) fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_failed(cx))?;
            // Reading goes on while our flight waits for the transport: both sides may
            // be writing at once (the client's CCS crosses the server's flight).
            let flushed = match self.poll_flush_tls(cx) {
                Poll::Ready(Err(e)) => return Poll::Ready(Err(self.explain_write_error(cx, e))),
                flushed => flushed?,
            };
            if !self.conn.is_handshaking() {
                // Done. Whatever is still queued (the client's Finished, the server's
                // session tickets) goes out with the next read, write or flush: waiting
                // here could deadlock against a peer that is not reading yet.
                let _ = flushed;
                return Poll::Ready(Ok(()));
            }
            if self.conn.pending_operation().is_some() {
                // Paused (`ferrotls::pause`): the caller answers, then polls again;
                // what is still queued goes out then.
                return Poll::Ready(Ok(()));
            }
            if ready!(self.poll_read_tls(cx))? == 0 {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "the peer closed the TCP connection during the TLS handshake, {}",
                        ferrotls::error::handshake_step(self.conn.state_name())
                    ),
                )));
            }
        }
    }
}

impl<IO, C> AsyncRead for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.conn.is_handshaking() {
            ready!(this.poll_handshake(cx))?;
        }
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        loop {
            match this.conn.reader().read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => {
                    ready!(this.poll_failed(cx))?;
                    return Poll::Ready(Err(e));
                }
            }
            // Send what processing queued (KeyUpdate answers). A peer that is not
            // reading must not stop us reading, unless it makes our queue grow.
            if this.conn.wants_write() {
                match this.poll_flush_tls(cx) {
                    Poll::Ready(result) => result?,
                    Poll::Pending if this.conn.pending_tls().len() > MAX_PENDING_TLS => {
                        return Poll::Pending
                    }
                    Poll::Pending => {}
                }
            }
            if ready!(this.poll_read_tls(cx))? == 0 {
                // RFC 8446, 6.1: end of input without close_notify may be a truncation.
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the peer closed the TCP connection without sending close_notify; the data may be truncated",
                )));
            }
        }
    }
}

impl<IO, C> AsyncWrite for TlsStream<IO, C>
where
    IO: AsyncRead + AsyncWrite + Unpin,
    C: DerefMut<Target = Connection> + Unpin,
{
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.conn.is_handshaking() {
            ready!(this.poll_handshake(cx))?;
        }
        ready!(this.poll_failed(cx))?;
        // Earlier records leave first, so at most one chunk of ours is ever queued.
        while this.conn.wants_write() {
            ready!(this.poll_write_tls(cx))?;
        }
        let chunk = buf.get(..MAX_WRITE_CHUNK).unwrap_or(buf);
        if chunk.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = this.conn.writer().write(chunk)?;
        // Start sending at once; what the transport does not take yet waits for the
        // next write or flush (its waker is registered).
        while this.conn.wants_write() {
            match this.poll_write_tls(cx) {
                Poll::Ready(result) => result?,
                Poll::Pending => break,
            };
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_failed(cx))?;
        this.poll_flush_tls(cx)
    }

    /// Sends close_notify (RFC 8446, 6.1), flushes, and shuts the transport's write
    /// side down. Writing afterwards fails with `BrokenPipe`; reading goes on.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.conn.send_close_notify();
        ready!(this.poll_flush_tls(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}
