//! Protocol violations by a peer whose messages decoded correctly.

use core::fmt;

use crate::msgs::enums::{ExtensionType, ProtocolVersion, SignatureScheme};

/// Protocol violations by a peer whose messages decoded correctly.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerMisbehaved {
    /// The Finished message did not match the transcript (RFC 8446, 4.4.4).
    BadFinished { from_server: bool },
    /// CertificateVerify did not verify with the certificate's key (RFC 8446, 4.4.3).
    BadCertificateVerify { scheme: SignatureScheme },
    /// ServerHello.random carries a downgrade sentinel (RFC 8446, 4.1.3).
    DowngradeDetected { to: ProtocolVersion },
    /// The server chose something the client never offered.
    SelectedUnoffered { what: &'static str, value: String },
    /// ServerHello echoed a different legacy_session_id (RFC 8446, 4.1.3).
    SessionIdMismatch,
    /// A second HelloRetryRequest, or one that would not change the ClientHello (RFC 8446, 4.1.4).
    BadHelloRetryRequest { reason: &'static str },
    /// A required extension was absent.
    MissingExtension {
        message: &'static str,
        extension: &'static str,
    },
    /// An extension we did not ask for came back (RFC 8446, 4.2).
    UnsolicitedExtension {
        message: &'static str,
        extension: String,
    },
    /// A field had a value the RFC forbids.
    IllegalParameter {
        message: &'static str,
        field: &'static str,
        reason: &'static str,
    },
    /// The second ClientHello after HelloRetryRequest did not follow the rules (RFC 8446, 4.1.2).
    BadSecondClientHello { reason: &'static str },
    /// The second ClientHello changed an extension beyond what RFC 8446, 4.1.2 allows.
    SecondHelloExtension {
        extension: ExtensionType,
        change: ExtensionChange,
    },
    /// The client's server_name is not a DNS host name (RFC 6066, 3). `name` is the
    /// peer's bytes, shown escaped.
    BadServerName { name: Vec<u8>, reason: &'static str },
    /// The peer sent a non-empty legacy_compression_methods other than null.
    CompressionOffered,
    /// The peer sent a certificate we asked not to get, or an empty one where required.
    NoCertificate,
    /// A KeyUpdate carried a value other than 0 or 1.
    BadKeyUpdate { value: u8 },
    /// The ServerKeyExchange signature did not verify (RFC 5246, 7.4.3).
    BadServerKeyExchange { scheme: SignatureScheme },
    /// RFC 5746 secure renegotiation indication failed.
    SecureRenegotiation { reason: &'static str },
    /// A PSK binder did not verify (RFC 8446, 4.2.11).
    BadPskBinder,
    /// More 0-RTT data than max_early_data_size (RFC 8446, 4.2.10).
    TooMuchEarlyData { max: usize },
    /// A fallback ClientHello (TLS_FALLBACK_SCSV) asked for less than our best version (RFC 7507).
    InappropriateFallback,
    /// The peer ignored our protocol_version or asked for TLS below 1.2.
    ProtocolVersionTooOld { offered: ProtocolVersion },
    /// A TLS 1.2 resumption would change whether the session uses the extended
    /// master secret (RFC 7627, 5.3): `from_server` says whose hello did it,
    /// `session_ems` whether the session being resumed used it.
    EmsChangedOnResumption {
        from_server: bool,
        session_ems: bool,
    },
}

/// How an extension of the second ClientHello differs from the first one's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExtensionChange {
    /// The first ClientHello had it, the second does not.
    Removed,
    /// The second ClientHello has it, the first did not.
    Added,
    /// Both have it, at other places among the extensions.
    Moved,
    /// Both have it, with different contents.
    Changed,
}

/// `bytes` from the network as text that is safe to print: printable ASCII as it
/// is, every other byte (control characters such as ESC, non-ASCII) as `\xNN`, and
/// `"` and `\` escaped, so no terminal escape sequence reaches a log or a screen.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

impl fmt::Display for PeerMisbehaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerMisbehaved::BadFinished { from_server } => write!(
                f,
                "the {}'s Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys",
                if *from_server { "server" } else { "client" }
            ),
            PeerMisbehaved::BadCertificateVerify { scheme } => write!(
                f,
                "the peer's CertificateVerify signature ({scheme}) does not verify with its certificate's key: it does not hold the private key"
            ),
            PeerMisbehaved::DowngradeDetected { to } => write!(
                f,
                "the server's random carries the RFC 8446 downgrade marker for {to}: an attacker may be forcing an older version"
            ),
            PeerMisbehaved::SelectedUnoffered { what, value } => {
                write!(f, "the server selected {what} {value}, which the client did not offer")
            }
            PeerMisbehaved::SessionIdMismatch => write!(
                f,
                "the server's legacy_session_id does not echo the client's"
            ),
            PeerMisbehaved::BadHelloRetryRequest { reason } => {
                write!(f, "the server sent an invalid HelloRetryRequest: {reason}")
            }
            PeerMisbehaved::MissingExtension { message, extension } => {
                write!(f, "peer's {message} lacks the required {extension} extension")
            }
            PeerMisbehaved::UnsolicitedExtension { message, extension } => write!(
                f,
                "peer's {message} contains the {extension} extension, which was not requested"
            ),
            PeerMisbehaved::IllegalParameter {
                message,
                field,
                reason,
            } => write!(f, "peer's {message} has an illegal {field}: {reason}"),
            PeerMisbehaved::BadSecondClientHello { reason } => write!(
                f,
                "the client's second ClientHello does not follow the HelloRetryRequest: {reason}"
            ),
            PeerMisbehaved::SecondHelloExtension { extension, change } => {
                f.write_str(
                    "the client's second ClientHello does not follow the HelloRetryRequest: ",
                )?;
                match change {
                    ExtensionChange::Removed => write!(f, "its {extension} extension was removed"),
                    ExtensionChange::Added => write!(f, "it adds the {extension} extension"),
                    ExtensionChange::Moved => {
                        write!(f, "its extensions are in another order ({extension} moved)")
                    }
                    ExtensionChange::Changed => write!(f, "its {extension} extension changed"),
                }
            }
            PeerMisbehaved::BadServerName { name, reason } => write!(
                f,
                "the client's server_name \"{}\" is not a valid DNS host name (RFC 6066, 3): {reason}",
                escape_bytes(name)
            ),
            PeerMisbehaved::CompressionOffered => write!(
                f,
                "peer offered compression methods other than null, which TLS 1.3 forbids"
            ),
            PeerMisbehaved::NoCertificate => {
                write!(f, "peer sent no certificate, but one is required")
            }
            PeerMisbehaved::BadKeyUpdate { value } => write!(
                f,
                "peer sent a KeyUpdate with request_update {value}; only 0 and 1 are defined"
            ),
            PeerMisbehaved::BadServerKeyExchange { scheme } => write!(
                f,
                "the server's ServerKeyExchange signature ({scheme}) does not verify with its certificate's key: the key exchange was tampered with or the server does not hold the key"
            ),
            PeerMisbehaved::SecureRenegotiation { reason } => {
                write!(f, "secure renegotiation (RFC 5746) check failed: {reason}")
            }
            PeerMisbehaved::BadPskBinder => write!(
                f,
                "the client's pre-shared key binder does not verify: the ticket was altered or the client derived a different key"
            ),
            PeerMisbehaved::TooMuchEarlyData { max } => write!(
                f,
                "the client sent more 0-RTT data than the {max} bytes allowed"
            ),
            PeerMisbehaved::InappropriateFallback => write!(
                f,
                "the client retried with a lower version (TLS_FALLBACK_SCSV) although both sides support TLS 1.3: something interfered with the first attempt"
            ),
            PeerMisbehaved::ProtocolVersionTooOld { offered } => write!(
                f,
                "peer offered only {offered}; ferrotls requires TLS 1.2 or later"
            ),
            PeerMisbehaved::EmsChangedOnResumption {
                from_server,
                session_ems,
            } => {
                let (who, hello) = if *from_server {
                    ("the server resumed", "ServerHello")
                } else {
                    ("the client asked to resume", "ClientHello")
                };
                let (used, has, then) = match (session_ems, from_server) {
                    (true, _) => ("used", "does not include", "aborting the handshake"),
                    (false, true) => ("did not use", "includes", "aborting the handshake"),
                    (false, false) => ("did not use", "includes", "a full handshake instead"),
                };
                write!(
                    f,
                    "{who} a session that {used} the TLS 1.2 extended master secret (RFC 7627), but its {hello} {has} the extension; RFC 7627, 5.3 requires {then}"
                )
            }
        }
    }
}
