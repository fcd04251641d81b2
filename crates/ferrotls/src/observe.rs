//! Hooks for traces and key logging: what happened in a handshake, as it happens.

use core::fmt::Debug;
use std::io::Write;
use std::sync::Mutex;

use crate::msgs::{HandshakeMessage, HandshakeMessage12};

/// Whether a message was sent or received, and under which protection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// Which keys protected a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Sent in the clear (ClientHello, ServerHello, HelloRetryRequest).
    Plaintext,
    /// Under the client's 0-RTT key (TLS 1.3 early data).
    EarlyData,
    /// Under handshake traffic keys (TLS 1.3), or TLS 1.2's keys before its Finished.
    Handshake,
    /// Under application traffic keys.
    Application,
    /// Not a record of its own: the ClientHelloInner, HPKE-encrypted inside the outer
    /// ClientHello's encrypted_client_hello extension (draft-ietf-tls-esni, 5). The
    /// client reports it as it seals it, the server as it opens it.
    EncryptedClientHello,
}

/// One event of a handshake, for `--trace` output and tests.
#[derive(Debug)]
pub enum Event<'a> {
    /// A handshake message, decoded.
    Message {
        direction: Direction,
        protection: Protection,
        message: &'a HandshakeMessage,
        /// The encoded bytes (4-byte header included).
        raw: &'a [u8],
    },
    /// A TLS 1.2 handshake message, decoded.
    Message12 {
        direction: Direction,
        protection: Protection,
        message: &'a HandshakeMessage12,
        raw: &'a [u8],
    },
    /// A change_cipher_spec record (TLS 1.2's key switch, or TLS 1.3's compatibility one).
    ChangeCipherSpec { direction: Direction },
    /// A secret of the key schedule was derived (label as in SSLKEYLOGFILE).
    Secret {
        label: &'static str,
        secret: &'a [u8],
    },
    /// An alert.
    Alert {
        direction: Direction,
        description: crate::msgs::enums::AlertDescription,
    },
}

/// Receives handshake events (for traces). Must be cheap; it runs inline.
pub trait Observer: Debug + Send + Sync {
    fn event(&self, event: &Event<'_>);
}

/// Receives TLS secrets in the NSS key log format (SSLKEYLOGFILE).
pub trait KeyLog: Debug + Send + Sync {
    /// `label` is e.g. `CLIENT_HANDSHAKE_TRAFFIC_SECRET`; `client_random` is 32 bytes.
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]);
}

/// Appends secrets to the file named by `SSLKEYLOGFILE`, as browsers and curl do.
#[derive(Debug)]
pub struct KeyLogFile {
    file: Mutex<std::fs::File>,
}

impl KeyLogFile {
    /// Opens `$SSLKEYLOGFILE` for appending; `None` if the variable is unset or the
    /// file cannot be opened.
    pub fn from_env() -> Option<Self> {
        let path = std::env::var_os("SSLKEYLOGFILE")?;
        Self::open(std::path::Path::new(&path)).ok()
    }

    pub fn open(path: &std::path::Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(KeyLogFile {
            file: Mutex::new(file),
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        if let Ok(mut f) = self.file.lock() {
            // A key log is a debugging aid: a failed write must not break the connection.
            let _ = f.write_all(line.as_bytes());
        }
    }
}
