//! Local configurations that cannot work, and API misuse by the application.

use core::fmt;

/// A configuration that cannot work.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The private key was not PKCS#8, SEC1 or PKCS#1, or is of an unsupported type.
    BadPrivateKey { reason: String },
    /// A PEM or DER input could not be read.
    BadPem { what: &'static str, reason: String },
    /// A server has no certificate, or a pinning verifier has no certificates.
    NoCertificates,
    /// A list that must not be empty was empty.
    Empty { what: &'static str },
    /// A value is out of range.
    OutOfRange { what: &'static str, reason: String },
}

/// API misuse by the application.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiError {
    /// The connection already failed; this is the error it failed with.
    AlreadyFailed,
    /// The handshake is not complete, so `action` is not possible yet.
    HandshakeNotComplete { action: &'static str },
    /// close_notify was already sent; nothing more can be written.
    AlreadyClosed,
    /// Heartbeats were not negotiated (RFC 6520), or the peer does not accept requests.
    HeartbeatNotNegotiated,
    /// Server: a client certificate was requested after the handshake, but the client
    /// did not offer post_handshake_auth (RFC 8446, 4.2.6 and 4.6.2).
    PostHandshakeAuthNotOffered,
    /// Server: a client certificate was requested after a TLS 1.2 handshake;
    /// post-handshake authentication exists only in TLS 1.3.
    PostHandshakeAuthNeedsTls13,
    /// Server: a client certificate was requested, but no verifier is configured.
    NoClientCertVerifier,
    /// More keying material was asked of the exporter than it can derive.
    ExportTooLong { len: usize, max: usize },
    /// A TLS 1.3 exporter label longer than HKDF-Expand-Label allows (249 bytes).
    ExporterLabelTooLong { len: usize },
    /// A TLS 1.2 exporter context longer than its 2-byte length allows.
    ExporterContextTooLong { len: usize },
    /// A TLS 1.2 exporter label that TLS itself uses with the PRF (RFC 5705, 4).
    ReservedExporterLabel { label: String },
    /// TLS 1.2 without the extended master secret: nothing may be exported
    /// (RFC 7627, 5.4).
    ExportWithoutExtendedMasterSecret,
    /// `complete` was called, but the handshake waits for no operation (none was
    /// asked for, or the one asked for was already completed).
    NoOperationPending,
    /// `complete` was given the answer to another kind of operation than the one
    /// the handshake waits for.
    WrongCompletion {
        expected: &'static str,
        got: &'static str,
    },
    /// The handshake waits for an operation that the driver has no handler for.
    NoHandler { operation: &'static str },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::BadPrivateKey { reason } => {
                write!(f, "the private key cannot be used: {reason}")
            }
            ConfigError::BadPem { what, reason } => write!(f, "could not read {what}: {reason}"),
            ConfigError::NoCertificates => write!(f, "no certificates were configured"),
            ConfigError::Empty { what } => write!(f, "{what} must not be empty"),
            ConfigError::OutOfRange { what, reason } => {
                write!(f, "invalid {what}: {reason}")
            }
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::AlreadyFailed => write!(f, "the connection has already failed"),
            ApiError::HandshakeNotComplete { action } => {
                write!(f, "cannot {action} before the handshake completes")
            }
            ApiError::HeartbeatNotNegotiated => write!(
                f,
                "the peer did not agree to receive heartbeat requests (RFC 6520)"
            ),
            ApiError::AlreadyClosed => write!(
                f,
                "the connection was closed with close_notify; nothing more can be sent"
            ),
            ApiError::PostHandshakeAuthNotOffered => write!(
                f,
                "cannot request a client certificate after the handshake: the client did not offer \
                 post_handshake_auth (RFC 8446, 4.6.2). Ask for it during the handshake with \
                 ServerConfigBuilder::client_auth, or have the client enable post_handshake_auth"
            ),
            ApiError::PostHandshakeAuthNeedsTls13 => write!(
                f,
                "cannot request a client certificate after a TLS 1.2 handshake: post-handshake \
                 authentication exists only in TLS 1.3 (TLS 1.2 would need renegotiation, which \
                 ferrotls does not do)"
            ),
            ApiError::NoClientCertVerifier => write!(
                f,
                "cannot request a client certificate: no client certificate verifier is configured \
                 (ServerConfigBuilder::post_handshake_client_auth or client_auth)"
            ),
            ApiError::ExportTooLong { len, max } => write!(
                f,
                "cannot export {len} bytes of keying material: at most {max} can be derived with \
                 this cipher suite's hash"
            ),
            ApiError::ExporterLabelTooLong { len } => write!(
                f,
                "cannot export keying material under a {len}-byte label: TLS 1.3 allows at most \
                 249 bytes (RFC 8446, 7.1)"
            ),
            ApiError::ExporterContextTooLong { len } => write!(
                f,
                "cannot export keying material with a {len}-byte context: TLS 1.2 allows at most \
                 65535 bytes (RFC 5705, 4)"
            ),
            ApiError::ReservedExporterLabel { label } => write!(
                f,
                "cannot export keying material under the label \"{label}\": TLS 1.2 uses it for its \
                 own keys (RFC 5705, 4); use a registered label or one starting with \"EXPERIMENTAL\""
            ),
            ApiError::ExportWithoutExtendedMasterSecret => write!(
                f,
                "cannot export keying material: this TLS 1.2 session has no extended master secret, \
                 so a man in the middle could share it (RFC 7627, 5.4)"
            ),
            ApiError::NoOperationPending => write!(
                f,
                "complete() was called, but the handshake is not waiting for any operation \
                 (each operation from pending_operation() is completed exactly once)"
            ),
            ApiError::WrongCompletion { expected, got } => write!(
                f,
                "the handshake waits for {expected}, but complete() was given {got}"
            ),
            ApiError::NoHandler { operation } => write!(
                f,
                "the handshake waits for {operation}, but no handler for it was given to the driver"
            ),
        }
    }
}
