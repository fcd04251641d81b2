//! The public types a connection reports: what was negotiated, early data and
//! ECH status, I/O state, and the plaintext readers and writer.

use std::io;

use rustls_pki_types::CertificateDer;

use crate::error::{ApiError, Error};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion, SignatureScheme};
use crate::tls12::suites::Tls12CipherSuite;
use crate::tls13::suites::Tls13CipherSuite;

use super::{Connection, MAX_EARLY_PLAINTEXT};

/// What was negotiated, filled in as the handshake goes.
#[derive(Debug, Default, Clone)]
pub struct Negotiated {
    pub version: Option<ProtocolVersion>,
    /// The cipher suite, whichever the version.
    pub cipher_suite: Option<CipherSuite>,
    /// The TLS 1.3 suite with its hash and AEAD, when TLS 1.3 was negotiated.
    pub suite: Option<&'static Tls13CipherSuite>,
    /// The TLS 1.2 suite, when TLS 1.2 was negotiated.
    pub suite12: Option<&'static Tls12CipherSuite>,
    /// Whether the handshake resumed an earlier session.
    pub resumed: bool,
    /// TLS 1.3: the identity of the external PSK the handshake authenticated with.
    pub external_psk: Option<Vec<u8>>,
    /// TLS 1.2: whether the extended master secret (RFC 7627) was used.
    pub extended_master_secret: bool,
    pub group: Option<NamedGroup>,
    pub signature_scheme: Option<SignatureScheme>,
    pub alpn: Option<Vec<u8>>,
    pub server_name: Option<String>,
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// Whether the server answered the first ClientHello with HelloRetryRequest.
    pub hello_retry: bool,
    /// Whether the peer asked for (server) or sent (client) a client certificate.
    pub client_auth: bool,
    /// How many NewSessionTicket messages the client received.
    pub tickets_received: usize,
    /// Encrypted Client Hello: offered, accepted or rejected.
    pub ech: EchStatus,
    /// TLS 1.3 post-handshake client authentication (RFC 8446, 4.6.2).
    pub post_handshake_auth: PostHandshakeAuth,
}

/// TLS 1.3 post-handshake client authentication (RFC 8446, 4.6.2), as it went so far.
///
/// On the server, a request is answered once the client's Certificate,
/// CertificateVerify (if it sent a certificate) and Finished all verified; the chain
/// of the latest answer with a certificate is then `Negotiated::peer_certificates`.
/// On the client, a request is answered as soon as it arrives.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PostHandshakeAuth {
    /// The client's ClientHello carried post_handshake_auth (RFC 8446, 4.2.6).
    pub offered: bool,
    /// CertificateRequests sent (server) or received (client) after the handshake.
    pub requests: usize,
    /// Requests answered, with or without a certificate.
    pub answered: usize,
    /// Requests answered with a certificate (verified, on the server).
    pub authenticated: usize,
}

impl PostHandshakeAuth {
    /// Requests not answered yet.
    pub fn pending(&self) -> usize {
        self.requests.saturating_sub(self.answered)
    }
}

/// What became of Encrypted Client Hello (draft-ietf-tls-esni, 6.1.4 and 7.1).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum EchStatus {
    /// The ClientHello carried no ECH offer (or the server has no ECH keys).
    #[default]
    NotOffered,
    /// The server decrypted the inner ClientHello; the handshake used it.
    Accepted,
    /// The server could not (or would not) decrypt it; the handshake used the outer
    /// ClientHello and, on the client, authenticated the public name only.
    Rejected,
}

/// A client's 0-RTT data (RFC 8446, 2.3 and 4.2.10).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum ClientEarlyData {
    /// No ticket allowing 0-RTT was offered.
    #[default]
    NotOffered,
    /// Offered: up to `max` bytes may be written before the ServerHello arrives.
    Offered { max: usize, sent: Vec<u8> },
    /// The ServerHello arrived; waiting for EncryptedExtensions to say.
    Sent { sent: Vec<u8> },
    /// The server accepted the early data.
    Accepted,
    /// The server rejected it; it was sent again after the handshake.
    Rejected,
}

/// A summary of what `process_new_packets` left to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoState {
    pub tls_bytes_to_write: usize,
    pub plaintext_bytes_to_read: usize,
    pub peer_has_closed: bool,
}

/// Reads accepted 0-RTT data on a server: `WouldBlock` while more may arrive,
/// `Ok(0)` once the client sent EndOfEarlyData (or never sent any).
pub struct EarlyDataReader<'a> {
    pub(super) conn: &'a mut Connection,
}

impl io::Read for EarlyDataReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let c = &mut self.conn.common;
        if !c.early_plaintext.is_empty() {
            let n = buf.len().min(c.early_plaintext.len());
            for (dst, src) in buf.iter_mut().zip(c.early_plaintext.drain(..n)) {
                *dst = src;
            }
            return Ok(n);
        }
        if c.receiving_early.is_some() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(0)
    }
}

/// Reads received plaintext; `WouldBlock` when none is buffered, `Ok(0)` after the
/// peer's close_notify.
pub struct PlaintextReader<'a> {
    pub(super) conn: &'a mut Connection,
}

impl io::Read for PlaintextReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let c = &mut self.conn.common;
        if !c.received_plaintext.is_empty() {
            return Ok(c.take_plaintext(buf));
        }
        if c.close_notify_received {
            return Ok(0);
        }
        if let Some(e) = &c.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Writes plaintext: encrypted at once after the handshake, buffered (up to 64 KiB) before.
pub struct PlaintextWriter<'a> {
    pub(super) conn: &'a mut Connection,
}

impl io::Write for PlaintextWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let c = &mut self.conn.common;
        if let Some(e) = &c.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if c.close_notify_sent {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                Error::Api(ApiError::AlreadyClosed),
            ));
        }
        if !c.handshake_complete {
            let room = MAX_EARLY_PLAINTEXT.saturating_sub(c.pending_plaintext.len());
            let n = room.min(buf.len());
            if n == 0 && !buf.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            c.pending_plaintext
                .extend_from_slice(buf.get(..n).unwrap_or_default());
            return Ok(n);
        }
        c.send_app_data(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Consecutive handshake messages encoded back to back, to go out together under
/// one set of keys (see [`Output::add_to_flight`]).
#[derive(Debug, Default)]
pub(crate) struct Flight {
    pub(super) bytes: Vec<u8>,
}

impl Flight {
    /// An empty flight with room for `len` bytes.
    pub fn with_capacity(len: usize) -> Self {
        Flight {
            bytes: Vec::with_capacity(len),
        }
    }
}
