//! A blocking `std::io` adapter: a TLS connection over any `Read + Write`.

use std::io::{self, Read, Write};
use std::ops::DerefMut;

use crate::conn::Connection;
use crate::pause::Handlers;

fn tls_error(e: crate::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Writes everything the connection has queued: one write per flight, as the
/// queued records lie in one buffer, unless the socket takes less. Fails with
/// `WriteZero` if the socket accepts nothing.
fn flush_tls(conn: &mut Connection, sock: &mut dyn Write) -> io::Result<()> {
    while conn.wants_write() {
        match conn.write_tls(sock) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "the socket accepted none of the TLS bytes waiting to be sent",
                ))
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    sock.flush()
}

/// Reads once from the socket (as much as one record's room takes) and processes
/// what arrived. Returns false at end of input.
fn read_and_process(conn: &mut Connection, sock: &mut (impl Read + Write)) -> io::Result<bool> {
    let n = loop {
        match conn.read_tls(sock) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => break other?,
        }
    };
    let result = conn.process_new_packets();
    // Send whatever the records produced: responses, or our alert on failure.
    flush_tls(conn, sock)?;
    result.map_err(tls_error)?;
    Ok(n != 0)
}

/// Answers the operation the handshake paused on (`crate::pause`) with `handlers`
/// (blocking this thread), then processes what arrived meanwhile. Without a
/// handler for it the connection fails with `ApiError::NoHandler`.
fn answer_pending(
    conn: &mut Connection,
    sock: &mut (impl Read + Write),
    handlers: Option<&Handlers>,
) -> io::Result<()> {
    while conn.pending_operation().is_some() {
        let result = match handlers {
            Some(h) => conn.complete_with(h),
            None => conn.complete_with(&Handlers::new()),
        }
        .and_then(|()| conn.process_new_packets().map(|_| ()));
        flush_tls(conn, sock)?;
        result.map_err(tls_error)?;
    }
    Ok(())
}

/// Drives the handshake to completion, blocking on `sock`.
pub fn complete_handshake(conn: &mut Connection, sock: &mut (impl Read + Write)) -> io::Result<()> {
    drive_handshake(conn, sock, None)
}

/// [`complete_handshake`], answering the operations the handshake pauses on with
/// `handlers` (see [`crate::pause`]).
pub fn complete_handshake_with(
    conn: &mut Connection,
    sock: &mut (impl Read + Write),
    handlers: &Handlers,
) -> io::Result<()> {
    drive_handshake(conn, sock, Some(handlers))
}

fn drive_handshake(
    conn: &mut Connection,
    sock: &mut (impl Read + Write),
    handlers: Option<&Handlers>,
) -> io::Result<()> {
    flush_tls(conn, sock)?;
    while conn.is_handshaking() {
        if let Some(e) = conn.error() {
            return Err(tls_error(e.clone()));
        }
        answer_pending(conn, sock, handlers)?;
        if !conn.is_handshaking() {
            break;
        }
        if !read_and_process(conn, sock)? {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the TCP connection during the TLS handshake",
            ));
        }
    }
    Ok(())
}

fn read_plaintext(
    conn: &mut Connection,
    sock: &mut (impl Read + Write),
    handlers: Option<&Handlers>,
    buf: &mut [u8],
) -> io::Result<usize> {
    drive_handshake(conn, sock, handlers)?;
    loop {
        match conn.reader().read(buf) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            other => return other,
        }
        if !read_and_process(conn, sock)? {
            // RFC 8446, 6.1: end of input without close_notify may be a truncation attack.
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the TCP connection without sending close_notify; the data may be truncated",
            ));
        }
    }
}

fn write_plaintext(
    conn: &mut Connection,
    sock: &mut (impl Read + Write),
    handlers: Option<&Handlers>,
    buf: &[u8],
) -> io::Result<usize> {
    drive_handshake(conn, sock, handlers)?;
    let n = conn.writer().write(buf)?;
    flush_tls(conn, sock)?;
    Ok(n)
}

/// A TLS stream borrowing a connection and a socket.
pub struct Stream<'a, T: Read + Write> {
    pub conn: &'a mut Connection,
    pub sock: &'a mut T,
    handlers: Option<&'a Handlers>,
}

impl<'a, T: Read + Write> Stream<'a, T> {
    pub fn new(conn: &'a mut Connection, sock: &'a mut T) -> Self {
        Stream {
            conn,
            sock,
            handlers: None,
        }
    }

    /// Answers the operations the handshake pauses on (a remote key's signature, a
    /// deferred verification; see [`crate::pause`]) with `handlers`, blocking.
    pub fn with_handlers(mut self, handlers: &'a Handlers) -> Self {
        self.handlers = Some(handlers);
        self
    }
}

impl<T: Read + Write> Read for Stream<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_plaintext(self.conn, self.sock, self.handlers, buf)
    }
}

impl<T: Read + Write> Write for Stream<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write_plaintext(self.conn, self.sock, self.handlers, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        flush_tls(self.conn, self.sock)
    }
}

/// A TLS stream owning its connection (`ClientConnection` or `ServerConnection`) and socket.
pub struct StreamOwned<C: DerefMut<Target = Connection>, T: Read + Write> {
    pub conn: C,
    pub sock: T,
    handlers: Option<Handlers>,
}

impl<C: DerefMut<Target = Connection>, T: Read + Write> StreamOwned<C, T> {
    pub fn new(conn: C, sock: T) -> Self {
        StreamOwned {
            conn,
            sock,
            handlers: None,
        }
    }

    /// Answers the operations the handshake pauses on (a remote key's signature, a
    /// deferred verification; see [`crate::pause`]) with `handlers`, blocking.
    pub fn with_handlers(mut self, handlers: Handlers) -> Self {
        self.handlers = Some(handlers);
        self
    }

    /// Completes the handshake now rather than on first read or write.
    pub fn handshake(&mut self) -> io::Result<()> {
        drive_handshake(&mut self.conn, &mut self.sock, self.handlers.as_ref())
    }

    /// Sends close_notify and flushes it.
    pub fn close(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        flush_tls(&mut self.conn, &mut self.sock)
    }
}

impl<C: DerefMut<Target = Connection>, T: Read + Write> Read for StreamOwned<C, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_plaintext(&mut self.conn, &mut self.sock, self.handlers.as_ref(), buf)
    }
}

impl<C: DerefMut<Target = Connection>, T: Read + Write> Write for StreamOwned<C, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write_plaintext(&mut self.conn, &mut self.sock, self.handlers.as_ref(), buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        flush_tls(&mut self.conn, &mut self.sock)
    }
}
