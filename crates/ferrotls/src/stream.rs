//! A blocking `std::io` adapter: a TLS connection over any `Read + Write`.

use std::io::{self, Read, Write};
use std::ops::DerefMut;

use crate::conn::Connection;

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

/// Drives the handshake to completion, blocking on `sock`.
pub fn complete_handshake(conn: &mut Connection, sock: &mut (impl Read + Write)) -> io::Result<()> {
    flush_tls(conn, sock)?;
    while conn.is_handshaking() {
        if let Some(e) = conn.error() {
            return Err(tls_error(e.clone()));
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
    buf: &mut [u8],
) -> io::Result<usize> {
    complete_handshake(conn, sock)?;
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
    buf: &[u8],
) -> io::Result<usize> {
    complete_handshake(conn, sock)?;
    let n = conn.writer().write(buf)?;
    flush_tls(conn, sock)?;
    Ok(n)
}

/// A TLS stream borrowing a connection and a socket.
pub struct Stream<'a, T: Read + Write> {
    pub conn: &'a mut Connection,
    pub sock: &'a mut T,
}

impl<'a, T: Read + Write> Stream<'a, T> {
    pub fn new(conn: &'a mut Connection, sock: &'a mut T) -> Self {
        Stream { conn, sock }
    }
}

impl<T: Read + Write> Read for Stream<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_plaintext(self.conn, self.sock, buf)
    }
}

impl<T: Read + Write> Write for Stream<'_, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write_plaintext(self.conn, self.sock, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        flush_tls(self.conn, self.sock)
    }
}

/// A TLS stream owning its connection (`ClientConnection` or `ServerConnection`) and socket.
pub struct StreamOwned<C: DerefMut<Target = Connection>, T: Read + Write> {
    pub conn: C,
    pub sock: T,
}

impl<C: DerefMut<Target = Connection>, T: Read + Write> StreamOwned<C, T> {
    pub fn new(conn: C, sock: T) -> Self {
        StreamOwned { conn, sock }
    }

    /// Completes the handshake now rather than on first read or write.
    pub fn handshake(&mut self) -> io::Result<()> {
        complete_handshake(&mut self.conn, &mut self.sock)
    }

    /// Sends close_notify and flushes it.
    pub fn close(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        flush_tls(&mut self.conn, &mut self.sock)
    }
}

impl<C: DerefMut<Target = Connection>, T: Read + Write> Read for StreamOwned<C, T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_plaintext(&mut self.conn, &mut self.sock, buf)
    }
}

impl<C: DerefMut<Target = Connection>, T: Read + Write> Write for StreamOwned<C, T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        write_plaintext(&mut self.conn, &mut self.sock, buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        flush_tls(&mut self.conn, &mut self.sock)
    }
}
