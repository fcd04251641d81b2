//! The error type and the one mapping from errors to the alerts we send.
//!
//! Every variant carries its context, and every `Display` text is a sentence a person
//! can act on. `Error::alert` is the only place that decides which alert a failure sends.

use core::fmt;

pub use crate::codec::{DecodeError, DecodeErrorKind};
use crate::msgs::enums::{AlertDescription, ContentType, ProtocolVersion, SignatureScheme};

/// Everything that can end a connection or refuse a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A record or handshake message could not be decoded.
    Decode(DecodeError),
    /// A record-layer failure: framing, size limits, decryption.
    Record(RecordError),
    /// A message arrived that the handshake state does not accept.
    UnexpectedMessage {
        state: &'static str,
        got: &'static str,
    },
    /// The peer sent something well-formed that the protocol forbids.
    PeerMisbehaved(PeerMisbehaved),
    /// The peers share no version, cipher suite, group or signature scheme.
    NoCommonParameters(NoCommon),
    /// The peer sent a fatal alert (or a close_notify during the handshake).
    AlertReceived(AlertDescription),
    /// The peer's certificate was rejected.
    Certificate(CertificateError),
    /// A cryptographic operation failed.
    Crypto(CryptoError),
    /// The local configuration cannot be used.
    Config(ConfigError),
    /// The application asked for something the connection cannot do now.
    Api(ApiError),
}

/// Record-layer failures (RFC 8446, 5).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordError {
    /// A record's length field exceeds what its kind allows (RFC 8446, 5.1 and 5.2).
    Overflow { length: usize, max: usize },
    /// A protected record failed authentication (wrong key, tampering, or truncation).
    BadRecordMac { sequence: u64 },
    /// A record carried a content type that is not valid at this point.
    UnexpectedContentType { got: ContentType },
    /// A record with zero bytes of content where that is not allowed.
    Empty { content_type: ContentType },
    /// A TLS 1.3 inner plaintext had no non-zero content type byte.
    NoContentType,
    /// A change_cipher_spec record whose body was not the single byte 0x01, or
    /// one received while it is not allowed (RFC 8446, 5).
    InvalidChangeCipherSpec,
    /// A handshake message spanned a change of keys (RFC 8446, 5.1).
    HandshakeSpansKeyChange,
    /// Handshake data was interleaved with another content type (RFC 8446, 5.1).
    InterleavedHandshake,
    /// A handshake message declared a length above our limit.
    HandshakeTooLarge { length: usize, max: usize },
    /// The record's legacy version field was not a TLS version.
    BadLegacyVersion { version: ProtocolVersion },
    /// The peer sent too many empty or warning records in a row.
    TooManyEmptyRecords { count: usize },
    /// The peer kept sending data after we could no longer rekey.
    SequenceExhausted,
    /// We were asked to protect more than fits in one record (RFC 8446, 5.2): a
    /// local bug, the caller must fragment first.
    PlaintextTooLarge { length: usize, max: usize },
}

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
    /// The peer sent a non-empty legacy_compression_methods other than null.
    CompressionOffered,
    /// The peer sent a certificate we asked not to get, or an empty one where required.
    NoCertificate,
    /// A KeyUpdate carried a value other than 0 or 1.
    BadKeyUpdate { value: u8 },
    /// The peer ignored our protocol_version or asked for TLS below 1.2.
    ProtocolVersionTooOld { offered: ProtocolVersion },
}

/// Parameters for which the peers found nothing in common.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoCommon {
    Version {
        offered: Vec<String>,
    },
    CipherSuite {
        offered: Vec<String>,
        ours: Vec<String>,
    },
    Group {
        offered: Vec<String>,
        ours: Vec<String>,
    },
    SignatureScheme {
        offered: Vec<String>,
    },
    ApplicationProtocol {
        offered: Vec<String>,
        ours: Vec<String>,
    },
    /// No configured certificate suits the client's server name and signature schemes.
    Certificate {
        server_name: Option<String>,
    },
}

/// Why a peer's certificate was rejected. The PKI module adds the path-validation
/// variants; the TLS 1.3 core only needs these.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The peer sent an empty certificate list.
    Empty,
    /// The end-entity certificate could not be parsed.
    BadEncoding { reason: String },
    /// The chain is not one of the certificates the configuration pins.
    NotPinned { subject: String },
    /// The certificate key is of a type we cannot use for the offered scheme.
    UnsupportedKey { detail: String },
}

/// A failure inside the cryptographic provider.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// The peer's key share was not a valid point or encapsulation for its group.
    BadKeyShare { group: &'static str },
    /// Key agreement or encapsulation failed.
    KeyExchangeFailed { group: &'static str },
    /// The private key could not be used for signing.
    SigningFailed { scheme: &'static str },
    /// The random source failed.
    RandomFailed,
    /// A key or IV had the wrong length for the algorithm.
    BadKeyLength {
        algorithm: &'static str,
        length: usize,
    },
    /// Sealing a record failed.
    EncryptFailed,
    /// A key exchange was asked for a group the crypto provider does not implement.
    UnsupportedGroup { group: String },
    /// A signature was asked for with a scheme the private key cannot produce.
    UnsuitableScheme { scheme: String, key: String },
}

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
}

impl Error {
    /// The alert we send for this error, or `None` for errors that send none
    /// (a received alert, local configuration and API errors).
    pub fn alert(&self) -> Option<AlertDescription> {
        use AlertDescription as A;
        Some(match self {
            // RFC 8446, 4.2: a known extension in the wrong message is illegal_parameter.
            Error::Decode(d) => match d.kind {
                DecodeErrorKind::ExtensionNotAllowed { .. }
                | DecodeErrorKind::DuplicateExtension { .. }
                | DecodeErrorKind::PskNotLast => A::IllegalParameter,
                _ => A::DecodeError,
            },
            Error::Record(r) => match r {
                RecordError::Overflow { .. } => A::RecordOverflow,
                RecordError::BadRecordMac { .. } => A::BadRecordMac,
                RecordError::HandshakeTooLarge { .. } => A::DecodeError,
                RecordError::BadLegacyVersion { .. } => A::ProtocolVersion,
                RecordError::SequenceExhausted | RecordError::PlaintextTooLarge { .. } => {
                    A::InternalError
                }
                RecordError::UnexpectedContentType { .. }
                | RecordError::Empty { .. }
                | RecordError::NoContentType
                | RecordError::InvalidChangeCipherSpec
                | RecordError::HandshakeSpansKeyChange
                | RecordError::InterleavedHandshake
                | RecordError::TooManyEmptyRecords { .. } => A::UnexpectedMessage,
            },
            Error::UnexpectedMessage { .. } => A::UnexpectedMessage,
            Error::PeerMisbehaved(p) => match p {
                PeerMisbehaved::BadFinished { .. }
                | PeerMisbehaved::BadCertificateVerify { .. } => A::DecryptError,
                PeerMisbehaved::MissingExtension { .. } => A::MissingExtension,
                PeerMisbehaved::UnsolicitedExtension { .. } => A::UnsupportedExtension,
                PeerMisbehaved::BadHelloRetryRequest { .. } => A::IllegalParameter,
                PeerMisbehaved::NoCertificate => A::CertificateRequired,
                PeerMisbehaved::ProtocolVersionTooOld { .. } => A::ProtocolVersion,
                PeerMisbehaved::DowngradeDetected { .. }
                | PeerMisbehaved::SelectedUnoffered { .. }
                | PeerMisbehaved::SessionIdMismatch
                | PeerMisbehaved::IllegalParameter { .. }
                | PeerMisbehaved::BadSecondClientHello { .. }
                | PeerMisbehaved::CompressionOffered
                | PeerMisbehaved::BadKeyUpdate { .. } => A::IllegalParameter,
            },
            Error::NoCommonParameters(n) => match n {
                NoCommon::Version { .. } => A::ProtocolVersion,
                NoCommon::ApplicationProtocol { .. } => A::NoApplicationProtocol,
                _ => A::HandshakeFailure,
            },
            Error::AlertReceived(_) => return None,
            Error::Certificate(c) => match c {
                CertificateError::Empty => A::DecodeError,
                CertificateError::BadEncoding { .. } => A::BadCertificate,
                CertificateError::NotPinned { .. } => A::UnknownCa,
                CertificateError::UnsupportedKey { .. } => A::UnsupportedCertificate,
            },
            Error::Crypto(c) => match c {
                CryptoError::BadKeyShare { .. } => A::IllegalParameter,
                _ => A::InternalError,
            },
            Error::Config(_) | Error::Api(_) => return None,
        })
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.join(", ")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "peer sent a {e}"),
            Error::Record(e) => e.fmt(f),
            Error::UnexpectedMessage { state, got } => write!(
                f,
                "peer sent {got} while the handshake was in state {state}, which does not accept it"
            ),
            Error::PeerMisbehaved(e) => e.fmt(f),
            Error::NoCommonParameters(e) => e.fmt(f),
            Error::AlertReceived(a) => {
                match a {
                    AlertDescription::CloseNotify => {
                        write!(f, "peer closed the connection (close_notify) before the handshake completed")
                    }
                    a => write!(f, "peer sent a fatal {a} alert; the connection is closed"),
                }
            }
            Error::Certificate(e) => e.fmt(f),
            Error::Crypto(e) => e.fmt(f),
            Error::Config(e) => e.fmt(f),
            Error::Api(e) => e.fmt(f),
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Overflow { length, max } => write!(
                f,
                "peer sent a record of {length} bytes, more than the {max} allowed"
            ),
            RecordError::BadRecordMac { sequence } => write!(
                f,
                "record {sequence} from the peer failed decryption: it was altered in transit or the peers derived different keys"
            ),
            RecordError::UnexpectedContentType { got } => {
                write!(f, "peer sent a record of type {got} where none is allowed")
            }
            RecordError::Empty { content_type } => {
                write!(f, "peer sent an empty {content_type} record, which is not allowed")
            }
            RecordError::NoContentType => write!(
                f,
                "peer sent an encrypted record with no content type (all padding)"
            ),
            RecordError::InvalidChangeCipherSpec => write!(
                f,
                "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)"
            ),
            RecordError::HandshakeSpansKeyChange => write!(
                f,
                "peer sent a handshake message that continues across a change of keys"
            ),
            RecordError::InterleavedHandshake => write!(
                f,
                "peer interleaved another record type inside a fragmented handshake message"
            ),
            RecordError::HandshakeTooLarge { length, max } => write!(
                f,
                "peer sent a handshake message of {length} bytes, more than the {max} we accept"
            ),
            RecordError::BadLegacyVersion { version } => write!(
                f,
                "peer sent a record with version {version}, which is not TLS"
            ),
            RecordError::TooManyEmptyRecords { count } => write!(
                f,
                "peer sent {count} empty or warning records in a row without progress"
            ),
            RecordError::SequenceExhausted => write!(
                f,
                "the record sequence number is exhausted and the key could not be updated"
            ),
            RecordError::PlaintextTooLarge { length, max } => write!(
                f,
                "internal error: asked to protect {length} bytes in one record, but at most {max} fit; the data must be fragmented first"
            ),
        }
    }
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
            PeerMisbehaved::ProtocolVersionTooOld { offered } => write!(
                f,
                "peer offered only {offered}; ferrotls requires TLS 1.2 or later"
            ),
        }
    }
}

impl fmt::Display for NoCommon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoCommon::Version { offered } => write!(
                f,
                "no TLS version in common: the peer offered {}; enabled here: TLS 1.3",
                list(offered)
            ),
            NoCommon::CipherSuite { offered, ours } => write!(
                f,
                "no cipher suite in common: the peer offered {}; enabled here: {}",
                list(offered),
                list(ours)
            ),
            NoCommon::Group { offered, ours } => write!(
                f,
                "no key exchange group in common: the peer offered {}; enabled here: {}",
                list(offered),
                list(ours)
            ),
            NoCommon::SignatureScheme { offered } => write!(
                f,
                "no signature scheme in common: the peer accepts {}, none of which suits the configured key",
                list(offered)
            ),
            NoCommon::ApplicationProtocol { offered, ours } => write!(
                f,
                "no application protocol (ALPN) in common: the client offered {}; the server supports {}",
                list(offered),
                list(ours)
            ),
            NoCommon::Certificate { server_name } => match server_name {
                Some(n) => write!(f, "no configured certificate is suitable for server name {n}"),
                None => write!(f, "no configured certificate is suitable for a client that sent no server name"),
            },
        }
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateError::Empty => write!(f, "peer sent an empty certificate chain"),
            CertificateError::BadEncoding { reason } => {
                write!(f, "peer's certificate could not be parsed: {reason}")
            }
            CertificateError::NotPinned { subject } => write!(
                f,
                "certificate for {subject} is not one of the certificates this client was configured to trust"
            ),
            CertificateError::UnsupportedKey { detail } => {
                write!(f, "peer's certificate key cannot be used: {detail}")
            }
        }
    }
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::BadKeyShare { group } => {
                write!(f, "peer's {group} key share is not a valid public key")
            }
            CryptoError::KeyExchangeFailed { group } => {
                write!(f, "{group} key exchange failed")
            }
            CryptoError::SigningFailed { scheme } => {
                write!(
                    f,
                    "signing with {scheme} failed: the private key could not be used"
                )
            }
            CryptoError::RandomFailed => write!(f, "the system random source failed"),
            CryptoError::BadKeyLength { algorithm, length } => {
                write!(f, "a {length}-byte key is the wrong size for {algorithm}")
            }
            CryptoError::EncryptFailed => write!(f, "record encryption failed"),
            CryptoError::UnsupportedGroup { group } => {
                write!(f, "key exchange group {group} is not supported by ferrotls")
            }
            CryptoError::UnsuitableScheme { scheme, key } => {
                write!(f, "a {key} key cannot sign with {scheme}")
            }
        }
    }
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
            ApiError::AlreadyClosed => write!(
                f,
                "the connection was closed with close_notify; nothing more can be sent"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}
impl From<RecordError> for Error {
    fn from(e: RecordError) -> Self {
        Error::Record(e)
    }
}
impl From<PeerMisbehaved> for Error {
    fn from(e: PeerMisbehaved) -> Self {
        Error::PeerMisbehaved(e)
    }
}
impl From<CryptoError> for Error {
    fn from(e: CryptoError) -> Self {
        Error::Crypto(e)
    }
}
impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}
impl From<CertificateError> for Error {
    fn from(e: CertificateError) -> Self {
        Error::Certificate(e)
    }
}
impl From<NoCommon> for Error {
    fn from(e: NoCommon) -> Self {
        Error::NoCommonParameters(e)
    }
}
impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}
