//! The error type and the one mapping from errors to the alerts we send.
//!
//! Every variant carries its context, and every `Display` text is a sentence a person
//! can act on. `Error::alert` is the only place that decides which alert a failure sends.

use core::fmt;

pub use crate::codec::{DecodeError, DecodeErrorKind};
pub use crate::ech::EchError;
use crate::msgs::enums::{
    AlertDescription, ContentType, ExtensionType, ProtocolVersion, SignatureScheme,
};
use crate::pki::time;

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
    /// Encrypted Client Hello failed or was refused (draft-ietf-tls-esni).
    Ech(EchError),
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
    /// A ClientHello declared a length no ClientHello can have (RFC 8446, 4.1.2:
    /// more than `record::joiner::MAX_CLIENT_HELLO_LEN`).
    ClientHelloTooLarge { length: usize },
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
    /// TLS 1.2 without the extended master secret (RFC 7627), which this side is
    /// configured to require: `from_server` is true when the server did not
    /// negotiate it, false when the client did not offer it.
    ExtendedMasterSecret {
        from_server: bool,
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
    /// A deferred verifier (`ferrotls::pause`) was asked at a step that cannot pause
    /// for it (post-handshake authentication).
    DeferredVerifierCannotWait { from_client: bool },
    /// The certificate key is of a type we cannot use for the offered scheme.
    UnsupportedKey { detail: String },
    /// RFC 5280, 6.1.3 (a)(2): the verification time is after notAfter.
    Expired {
        role: CertRole,
        subject: String,
        not_after: i64,
        now: i64,
    },
    /// RFC 5280, 6.1.3 (a)(2): the verification time is before notBefore.
    NotYetValid {
        role: CertRole,
        subject: String,
        not_before: i64,
        now: i64,
    },
    /// No subjectAltName matches the name asked for (RFC 6125, 6; the CN is never used).
    NameMismatch {
        expected: String,
        presented: Vec<String>,
    },
    /// Neither the intermediates sent nor the trust store hold an issuer for `subject`.
    UnknownIssuer {
        role: CertRole,
        subject: String,
        issuer: String,
        intermediates_sent: usize,
        /// Whether the chain came from a client (client authentication) or a server.
        from_client: bool,
    },
    /// The end-entity certificate signs itself and is not trusted.
    SelfSigned { subject: String },
    /// The chain ends at a self-signed root that is not in the trust store.
    UntrustedRoot { subject: String, root: String },
    /// A trust anchor is distrusted for certificates issued after a date.
    Distrusted {
        subject: String,
        root: String,
        not_before: i64,
        distrust_after: i64,
        rule: String,
    },
    /// A CRL or the stapled OCSP response says the certificate is revoked.
    Revoked {
        subject: String,
        serial: String,
        revoked_at: i64,
        reason: Option<String>,
        source: String,
    },
    /// The signature on `subject` does not verify with `issuer`'s key.
    BadSignature { subject: String, issuer: String },
    /// Signed with SHA-1 or MD5.
    WeakSignature { subject: String, algorithm: String },
    /// Signed with an algorithm ferrotls does not verify.
    UnsupportedSignature { subject: String, algorithm: String },
    /// The certificate's key is too weak (RSA under 2048 bits, or not a whole number of bytes).
    WeakKey { subject: String, key: String },
    /// The certificate's key is of a type or curve ferrotls does not support.
    UnsupportedPublicKey { subject: String, key: String },
    /// A certificate used as an issuer is not a CA certificate (RFC 5280, 6.1.4 (k), (n)).
    NotCa {
        subject: String,
        reason: &'static str,
    },
    /// A CA's pathLenConstraint allows fewer intermediates below it (RFC 5280, 4.2.1.9).
    PathLenExceeded { ca: String, path_len: u32 },
    /// The chain needs more intermediates than the configured maximum.
    PathTooLong {
        subject: String,
        max_intermediates: usize,
    },
    /// A name in `subject` is outside the name constraints of CA `ca` (RFC 5280, 4.2.1.10).
    NameConstraintViolation {
        subject: String,
        name: String,
        ca: String,
        excluded: bool,
        constraints: Vec<String>,
    },
    /// extendedKeyUsage does not allow the purpose (RFC 5280, 4.2.1.12).
    WrongPurpose {
        role: CertRole,
        subject: String,
        required: &'static str,
        present: Vec<String>,
    },
    /// A critical extension we do not process (RFC 5280, 4.2).
    UnknownCriticalExtension { subject: String, oid: String },
    /// A known extension that is malformed or used against RFC 5280's rules.
    InvalidExtension {
        subject: String,
        extension: &'static str,
        reason: String,
    },
    /// A certificate field breaks an RFC 5280 rule (version, serial number, names).
    Nonconforming { subject: String, rule: String },
    /// Verification stopped at a work limit (a hostile or absurd chain).
    TooComplex {
        subject: String,
        what: &'static str,
        limit: usize,
    },
    /// Several candidate paths were tried; each was rejected for its own reason.
    NoValidPath {
        subject: String,
        attempts: Vec<RejectedPath>,
    },
    /// A CRL that applies to the chain could not be used.
    BadCrl { issuer: String, reason: String },
    /// The stapled OCSP response could not be used (RFC 6960).
    BadOcspResponse { subject: String, reason: String },
    /// The certificate demands a stapled OCSP response (RFC 7633) and none came.
    MustStapleMissing { subject: String },
    /// The end-entity certificate is a CA certificate (basicConstraints cA=TRUE).
    /// A CA certificate is never a server's or client's own (CA/Browser Forum BR
    /// 7.1.2.7.8; Firefox's MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY), not even
    /// when it is itself in the trust store.
    CaUsedAsEndEntity {
        subject: String,
        /// Whether the chain came from a client (client authentication) or a server.
        from_client: bool,
    },
    /// With `Policy::require_cn_in_san`: the subject commonName is not a
    /// character-for-character copy of a DNS or IP subjectAltName value (CA/Browser
    /// Forum BR 7.1.4.3).
    CommonNameNotInSan {
        subject: String,
        common_name: String,
        /// The DNS and IP subjectAltName values, "DNS:example.com".
        presented: Vec<String>,
        /// Why the CN is not a copy, e.g. "it differs from DNS:example.com only in
        /// letter case".
        reason: String,
    },
    /// Several problems with the chain: `first` is the one to fix first (see
    /// [`crate::pki::Precedence`]), `also` every other one found, in order.
    Several {
        first: Box<CertificateError>,
        also: Vec<CertificateError>,
    },
}

/// Where a certificate sits in a chain, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertRole {
    EndEntity,
    Intermediate,
    TrustAnchor,
}

impl fmt::Display for CertRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertRole::EndEntity => "certificate",
            CertRole::Intermediate => "intermediate certificate",
            CertRole::TrustAnchor => "root certificate",
        })
    }
}

/// One candidate path and why it was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedPath {
    /// Subjects from the end entity up to where the path stopped.
    pub chain: Vec<String>,
    pub error: CertificateError,
}

impl CertificateError {
    /// The alert this failure sends (RFC 8446, 6.2). For several rejected paths,
    /// the first path's reason decides.
    pub fn alert(&self) -> AlertDescription {
        use AlertDescription as A;
        use CertificateError as C;
        match self {
            C::Empty => A::DecodeError,
            C::BadEncoding { .. }
            | C::BadSignature { .. }
            | C::WeakSignature { .. }
            | C::WeakKey { .. }
            | C::NotCa { .. }
            | C::PathLenExceeded { .. }
            | C::NameConstraintViolation { .. }
            | C::UnknownCriticalExtension { .. }
            | C::InvalidExtension { .. }
            | C::Nonconforming { .. }
            | C::CaUsedAsEndEntity { .. }
            | C::CommonNameNotInSan { .. }
            | C::NameMismatch { .. } => A::BadCertificate,
            C::NotPinned { .. }
            | C::UnknownIssuer { .. }
            | C::SelfSigned { .. }
            | C::UntrustedRoot { .. }
            | C::Distrusted { .. }
            | C::PathTooLong { .. } => A::UnknownCa,
            C::UnsupportedKey { .. }
            | C::UnsupportedSignature { .. }
            | C::UnsupportedPublicKey { .. }
            | C::WrongPurpose { .. } => A::UnsupportedCertificate,
            C::Expired { .. } | C::NotYetValid { .. } => A::CertificateExpired,
            C::Revoked { .. } => A::CertificateRevoked,
            C::TooComplex { .. } | C::BadCrl { .. } | C::DeferredVerifierCannotWait { .. } => {
                A::CertificateUnknown
            }
            C::BadOcspResponse { .. } | C::MustStapleMissing { .. } => {
                A::BadCertificateStatusResponse
            }
            C::NoValidPath { attempts, .. } => attempts
                .first()
                .map(|a| a.error.alert())
                .unwrap_or(A::CertificateUnknown),
            C::Several { first, .. } => first.alert(),
        }
    }
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
    /// A key held elsewhere (KMS, HSM, signing service): the signer reported failure.
    RemoteSigningFailed {
        scheme: &'static str,
        reason: String,
    },
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
    /// A block cipher was given input that is not a whole number of blocks.
    BlockLength {
        algorithm: &'static str,
        length: usize,
    },
    /// The RSA pre-master secret could not be encrypted to the server's key
    /// (RFC 5246, 7.4.7.1).
    RsaKeyTransport { reason: &'static str },
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
                | DecodeErrorKind::RepeatedEntry { .. }
                | DecodeErrorKind::PskNotLast => A::IllegalParameter,
                _ => A::DecodeError,
            },
            Error::Record(r) => match r {
                RecordError::Overflow { .. } => A::RecordOverflow,
                RecordError::BadRecordMac { .. } => A::BadRecordMac,
                RecordError::HandshakeTooLarge { .. } | RecordError::ClientHelloTooLarge { .. } => {
                    A::DecodeError
                }
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
                PeerMisbehaved::InappropriateFallback => A::InappropriateFallback,
                PeerMisbehaved::BadPskBinder | PeerMisbehaved::BadServerKeyExchange { .. } => {
                    A::DecryptError
                }
                // RFC 5746, 3.4 and 4.1: handshake_failure.
                PeerMisbehaved::SecureRenegotiation { .. } => A::HandshakeFailure,
                // RFC 7627, 5.3 says to abort; handshake_failure, as OpenSSL sends.
                PeerMisbehaved::EmsChangedOnResumption { .. } => A::HandshakeFailure,
                PeerMisbehaved::TooMuchEarlyData { .. } => A::UnexpectedMessage,
                PeerMisbehaved::DowngradeDetected { .. }
                | PeerMisbehaved::SelectedUnoffered { .. }
                | PeerMisbehaved::SessionIdMismatch
                | PeerMisbehaved::IllegalParameter { .. }
                | PeerMisbehaved::BadSecondClientHello { .. }
                | PeerMisbehaved::SecondHelloExtension { .. }
                | PeerMisbehaved::BadServerName { .. }
                | PeerMisbehaved::CompressionOffered
                | PeerMisbehaved::BadKeyUpdate { .. } => A::IllegalParameter,
            },
            Error::NoCommonParameters(n) => match n {
                NoCommon::Version { .. } => A::ProtocolVersion,
                NoCommon::ApplicationProtocol { .. } => A::NoApplicationProtocol,
                _ => A::HandshakeFailure,
            },
            Error::AlertReceived(_) => return None,
            Error::Certificate(c) => c.alert(),
            Error::Crypto(c) => match c {
                CryptoError::BadKeyShare { .. } => A::IllegalParameter,
                _ => A::InternalError,
            },
            Error::Config(_) | Error::Api(_) => return None,
            Error::Ech(e) => match e {
                // draft-ietf-tls-esni, 6.1.6: a malformed retry_configs is decode_error.
                EchError::MalformedConfigList(_) => A::DecodeError,
                // Sections 5.1, 7, 7.1 and 7.1.1: illegal_parameter.
                EchError::UnknownHelloType { .. }
                | EchError::InnerFromNetwork
                | EchError::OuterExtensionsInOuter
                | EchError::NonZeroPadding { .. }
                | EchError::OuterExtensionMissing { .. }
                | EchError::OuterExtensionTwice { .. }
                | EchError::OuterExtensionIsEch
                | EchError::OuterExtensionOutOfOrder { .. }
                | EchError::MissingInnerMarker
                | EchError::BadInnerMarker
                | EchError::InnerOffersOldVersion { .. }
                | EchError::InnerWithoutSupportedVersions
                | EchError::SecondHelloChanged { .. }
                | EchError::SecondHelloHasEnc { .. } => A::IllegalParameter,
                // Section 6.1.4: a confirmation of the wrong length is decode_error.
                EchError::BadRetryConfirmation { .. } => A::DecodeError,
                EchError::MissingInSecondHello => A::MissingExtension,
                EchError::SecondHelloDecryptFailed { .. } => A::DecryptError,
                EchError::NoEchExtension | EchError::Hpke { .. } => A::InternalError,
                // Section 6.1.6.
                EchError::Rejected { .. } => A::EchRequired,
                // Local configuration: nothing to tell the peer.
                EchError::NoUsableConfig { .. }
                | EchError::BadPublicName { .. }
                | EchError::KeyMismatch { .. } => return None,
            },
        })
    }
}

/// A field the RFC forbids: the most common protocol violation, as an `Error`.
pub(crate) fn illegal(message: &'static str, field: &'static str, reason: &'static str) -> Error {
    PeerMisbehaved::IllegalParameter {
        message,
        field,
        reason,
    }
    .into()
}

/// What a received alert most likely means, for the person reading the error.
fn alert_hint(a: AlertDescription) -> Option<&'static str> {
    use AlertDescription as A;
    Some(match a {
        A::UnknownCa => "the peer does not trust the issuer of our certificate",
        A::BadCertificate | A::CertificateUnknown | A::UnsupportedCertificate => {
            "the peer rejected our certificate"
        }
        A::CertificateExpired => "the peer says our certificate has expired",
        A::CertificateRevoked => "the peer says our certificate was revoked",
        A::CertificateRequired => "the peer requires a client certificate",
        A::HandshakeFailure => {
            "the peer found no acceptable parameters (suites, groups, signatures)"
        }
        A::ProtocolVersion => "the peer does not accept the TLS versions offered",
        A::InsufficientSecurity => "the peer wants stronger parameters than were offered",
        A::NoApplicationProtocol => "the peer supports none of the ALPN protocols offered",
        A::UnrecognizedName => "the peer has no certificate for the server name sent",
        A::DecryptError | A::BadRecordMac => {
            "a signature, Finished or record did not verify on the peer's side"
        }
        A::DecodeError | A::IllegalParameter | A::UnexpectedMessage => {
            "the peer found our messages malformed or out of order"
        }
        A::InappropriateFallback => "the peer saw a version fallback it considers an attack",
        _ => return None,
    })
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.join(", ")
    }
}

/// The protocol step a handshake state stands for, for messages: "while waiting
/// for the peer's Finished". TLS 1.2 states carry a "TLS 1.2 " prefix.
/// [`handshake_step`] joins the two parts.
fn protocol_step(state: &str) -> (&'static str, &'static str) {
    let (bare, version) = match state.strip_prefix("TLS 1.2 ") {
        Some(s) => (s, " (TLS 1.2)"),
        None => (state, ""),
    };
    let step = match bare {
        "ExpectClientHello" => "while waiting for the ClientHello",
        "ExpectSecondClientHello" => {
            "while waiting for the second ClientHello (after HelloRetryRequest)"
        }
        "ExpectServerHello" => "while waiting for the ServerHello",
        "ExpectServerHello (after HelloRetryRequest)" => {
            "while waiting for the ServerHello after HelloRetryRequest"
        }
        "ExpectEncryptedExtensions" => "while waiting for the server's EncryptedExtensions",
        "ExpectCertificateOrCertificateRequest" => {
            "while waiting for the server's Certificate or CertificateRequest"
        }
        "ExpectCertificate" => "while waiting for the peer's Certificate",
        "ExpectCertificateStatus" => "while waiting for the server's CertificateStatus",
        "ExpectServerKeyExchange" => "while waiting for the server's ServerKeyExchange",
        "ExpectServerHelloDone" => "while waiting for the server's ServerHelloDone",
        "ExpectClientKeyExchange" => "while waiting for the client's ClientKeyExchange",
        "ExpectCertificateVerify" => "while waiting for the peer's CertificateVerify",
        "ExpectNewSessionTicket" => "while waiting for the server's NewSessionTicket",
        "ExpectChangeCipherSpec" => "while waiting for the peer's ChangeCipherSpec",
        "ExpectEndOfEarlyData" => "while waiting for the client's EndOfEarlyData",
        "ExpectFinished" => "while waiting for the peer's Finished",
        "ExpectPostHandshakeCertificateVerify" => {
            "while waiting for the client's CertificateVerify after the handshake"
        }
        "ExpectPostHandshakeFinished" => {
            "while waiting for the client's Finished after the handshake"
        }
        "AwaitSignature" => "while the certificate's private key was signing",
        "AwaitServerCertVerification" => "while the server's certificate was being verified",
        "AwaitClientCertVerification" => "while the client's certificate was being verified",
        "AwaitSessionLookup" => "while the session cache was looking up the client's session",
        "Connected" => "after the handshake, where it is not allowed",
        "handshaking" => "during the handshake, where it is not allowed",
        _ => "at a point of the handshake where it is not allowed",
    };
    (step, version)
}

/// Where a handshake in `state` (`Connection::state_name`) stands, as a protocol
/// step for messages: "while waiting for the ClientHello", never the state's name.
pub fn handshake_step(state: &str) -> String {
    let (step, version) = protocol_step(state);
    format!("{step}{version}")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Decode(e) => write!(f, "peer sent a {e}"),
            Error::Record(e) => e.fmt(f),
            Error::UnexpectedMessage { state, got } => {
                let (step, version) = protocol_step(state);
                write!(f, "peer sent {got} {step}{version}")
            }
            Error::PeerMisbehaved(e) => e.fmt(f),
            Error::NoCommonParameters(e) => e.fmt(f),
            Error::AlertReceived(a) => {
                match a {
                    AlertDescription::CloseNotify => {
                        write!(f, "peer closed the connection (close_notify) before the handshake completed")
                    }
                    a => {
                        write!(f, "peer sent a fatal {a} alert; the connection is closed")?;
                        match alert_hint(*a) {
                            Some(hint) => write!(f, " ({hint})"),
                            None => Ok(()),
                        }
                    }
                }
            }
            Error::Certificate(e) => e.fmt(f),
            Error::Crypto(e) => e.fmt(f),
            Error::Config(e) => e.fmt(f),
            Error::Api(e) => e.fmt(f),
            Error::Ech(e) => e.fmt(f),
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
            RecordError::ClientHelloTooLarge { length } => write!(
                f,
                "peer sent a ClientHello of {length} bytes, more than the {} any ClientHello can take",
                crate::record::joiner::MAX_CLIENT_HELLO_LEN
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

impl fmt::Display for NoCommon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoCommon::Version { offered } => write!(
                f,
                "no TLS version in common: the peer offered {}; ferrotls negotiates only TLS 1.3 and TLS 1.2",
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
            NoCommon::ExtendedMasterSecret { from_server: false } => write!(
                f,
                "the client did not offer the TLS 1.2 extended master secret (RFC 7627), which this server is configured to require: without it a session is open to the triple-handshake attack"
            ),
            NoCommon::ExtendedMasterSecret { from_server: true } => write!(
                f,
                "the server did not negotiate the TLS 1.2 extended master secret (RFC 7627), which this client is configured to require: without it a session is open to the triple-handshake attack"
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
            CertificateError::DeferredVerifierCannotWait { from_client } => write!(
                f,
                "the {} certificate was not verified: its verifier answers only when the handshake \
                 pauses for it (ferrotls::pause), and post-handshake authentication cannot pause yet; \
                 give ServerConfigBuilder::post_handshake_client_auth a synchronous verifier",
                if *from_client { "client's" } else { "server's" }
            ),
            CertificateError::NotPinned { subject } => write!(
                f,
                "certificate for {subject} is not one of the certificates this client was configured to trust"
            ),
            CertificateError::UnsupportedKey { detail } => {
                write!(f, "peer's certificate key cannot be used: {detail}")
            }
            CertificateError::Expired {
                role,
                subject,
                not_after,
                now,
            } => write!(
                f,
                "{role} for {subject} expired at {}; this machine's clock says {} ({} later). Renew it, or check the clock.",
                time::format_time(*not_after),
                time::format_time(*now),
                time::format_duration(now.saturating_sub(*not_after))
            ),
            CertificateError::NotYetValid {
                role,
                subject,
                not_before,
                now,
            } => write!(
                f,
                "{role} for {subject} is not valid until {}; this machine's clock says {} ({} earlier). Check the clock, or wait.",
                time::format_time(*not_before),
                time::format_time(*now),
                time::format_duration(not_before.saturating_sub(*now))
            ),
            CertificateError::NameMismatch {
                expected,
                presented,
            } => {
                if presented.is_empty() {
                    write!(
                        f,
                        "certificate is not valid for {expected}; it names no DNS or IP subject alternative names at all (the subject CN is not used for matching)"
                    )
                } else {
                    write!(
                        f,
                        "certificate is not valid for {expected}; it names {} (the subject CN is not used for matching)",
                        presented.join(", ")
                    )
                }
            }
            CertificateError::UnknownIssuer {
                role,
                subject,
                issuer,
                intermediates_sent,
                from_client,
            } => {
                let (peer, peer_cap) = if *from_client {
                    ("client", "The client")
                } else {
                    ("server", "The server")
                };
                match (role, intermediates_sent) {
                (CertRole::EndEntity, 0) => write!(
                    f,
                    "no trusted issuer for {subject}: its issuer {issuer} was not sent by the {peer} and is not in the trust store. {peer_cap} probably omits its intermediate certificate."
                ),
                (CertRole::EndEntity, n) => write!(
                    f,
                    "no trusted issuer for {subject}: its issuer {issuer} is neither among the {n} intermediate certificate(s) the {peer} sent nor in the trust store. {peer_cap} probably sends the wrong intermediate certificate."
                ),
                _ => write!(
                    f,
                    "no trusted issuer for {role} {subject}: its issuer {issuer} is not in the trust store. The chain leads to a root this machine does not trust; add that root to the trust store if you trust it."
                ),
            }
            }
            CertificateError::SelfSigned { subject } => write!(
                f,
                "certificate for {subject} is self-signed and is not in the trust store. Trust it explicitly (for example with --cafile), or use a certificate issued by a CA."
            ),
            CertificateError::UntrustedRoot { subject, root } => write!(
                f,
                "the chain for {subject} ends at root {root}, which is not in the trust store. Add that root to the trust store if you trust it."
            ),
            CertificateError::Distrusted {
                subject,
                root,
                not_before,
                distrust_after,
                rule,
            } => write!(
                f,
                "certificate for {subject} was issued at {} under root {root}, which is distrusted for certificates issued after {} ({rule}). Replace it with a certificate from another CA.",
                time::format_time(*not_before),
                time::format_time(*distrust_after)
            ),
            CertificateError::Revoked {
                subject,
                serial,
                revoked_at,
                reason,
                source,
            } => write!(
                f,
                "certificate for {subject} (serial {serial}) was revoked at {}{} according to {source}. Replace it.",
                time::format_time(*revoked_at),
                reason
                    .as_ref()
                    .map(|r| format!(" (reason: {r})"))
                    .unwrap_or_default()
            ),
            CertificateError::BadSignature { subject, issuer } => write!(
                f,
                "the signature on {subject} does not verify with the key of its issuer {issuer}: the certificate was altered, or was issued by another key with the same name"
            ),
            CertificateError::WeakSignature { subject, algorithm } => write!(
                f,
                "{subject} is signed with {algorithm}, which is forgeable and not accepted. Reissue it with a SHA-256 (or stronger) signature."
            ),
            CertificateError::UnsupportedSignature { subject, algorithm } => write!(
                f,
                "{subject} is signed with {algorithm}, which ferrotls does not verify; supported are RSA PKCS#1 and PSS with SHA-2, ECDSA P-256/P-384/P-521 and Ed25519"
            ),
            CertificateError::WeakKey { subject, key } => write!(
                f,
                "{subject} has a {key} key, which is too weak; RSA keys must be at least 2048 bits and a whole number of bytes. Reissue it with a stronger key."
            ),
            CertificateError::UnsupportedPublicKey { subject, key } => write!(
                f,
                "{subject} has {key}, which ferrotls does not support; use RSA (2048 to 8192 bits), ECDSA P-256/P-384/P-521 or Ed25519"
            ),
            CertificateError::NotCa { subject, reason } => write!(
                f,
                "{subject} is used to issue another certificate, but it is not a CA certificate: {reason}"
            ),
            CertificateError::PathLenExceeded { ca, path_len } => write!(
                f,
                "CA {ca} allows at most {path_len} intermediate CA certificate(s) below it (pathLenConstraint), but the chain has more"
            ),
            CertificateError::PathTooLong {
                subject,
                max_intermediates,
            } => write!(
                f,
                "the chain for {subject} would need more than {max_intermediates} intermediate certificates to reach a trusted root, more than allowed"
            ),
            CertificateError::NameConstraintViolation {
                subject,
                name,
                ca,
                excluded,
                constraints,
            } => {
                if *excluded {
                    write!(
                        f,
                        "{subject} names {name}, which CA {ca} is forbidden to certify (its name constraints exclude {})",
                        list(constraints)
                    )
                } else {
                    write!(
                        f,
                        "{subject} names {name}, which is outside what CA {ca} may certify (its name constraints permit only {})",
                        list(constraints)
                    )
                }
            }
            CertificateError::WrongPurpose {
                role,
                subject,
                required,
                present,
            } => write!(
                f,
                "{role} {subject} is not valid for {required}: its extendedKeyUsage allows only {}",
                list(present)
            ),
            CertificateError::UnknownCriticalExtension { subject, oid } => write!(
                f,
                "{subject} has a critical extension {oid} that ferrotls does not understand, so it must be rejected (RFC 5280, 4.2)"
            ),
            CertificateError::InvalidExtension {
                subject,
                extension,
                reason,
            } => write!(f, "{subject} has an invalid {extension} extension: {reason}"),
            CertificateError::Nonconforming { subject, rule } => {
                write!(f, "{subject} breaks RFC 5280: {rule}")
            }
            CertificateError::TooComplex {
                subject,
                what,
                limit,
            } => write!(
                f,
                "gave up verifying {subject} after {limit} {what}: the certificates given are built to make verification expensive"
            ),
            CertificateError::NoValidPath { subject, attempts } => {
                write!(
                    f,
                    "no valid path from {subject} to a trusted root; {} candidate path(s) were rejected:",
                    attempts.len()
                )?;
                for (i, a) in attempts.iter().enumerate() {
                    write!(f, " ({}) {}: {}", i + 1, a.chain.join(" <- "), a.error)?;
                }
                Ok(())
            }
            CertificateError::BadCrl { issuer, reason } => {
                write!(f, "the CRL issued by {issuer} cannot be used: {reason}")
            }
            CertificateError::BadOcspResponse { subject, reason } => write!(
                f,
                "the stapled OCSP response for {subject} cannot be used: {reason}"
            ),
            CertificateError::MustStapleMissing { subject } => write!(
                f,
                "certificate for {subject} requires a stapled OCSP response (OCSP must-staple), but the server sent none. The server must enable OCSP stapling."
            ),
            CertificateError::CaUsedAsEndEntity {
                subject,
                from_client,
            } => {
                let peer = if *from_client { "client" } else { "server" };
                write!(
                    f,
                    "certificate for {subject} is a CA certificate (basicConstraints cA=TRUE), so it cannot be the {peer}'s own certificate, even when it is trusted. Issue a {peer} certificate from this CA and use that instead (`openssl req -x509` makes CA:TRUE certificates unless given -addext basicConstraints=critical,CA:FALSE)."
                )
            }
            CertificateError::CommonNameNotInSan {
                subject,
                common_name,
                presented,
                reason,
            } => write!(
                f,
                "certificate for {subject} has subject CN \"{common_name}\", which is not a character-for-character copy of any of its DNS or IP subjectAltName values ({}): {reason}. The CA/Browser Forum Baseline Requirements (7.1.4.3) require the CN, if present, to copy one; reissue the certificate with such a CN, or with none.",
                if presented.is_empty() {
                    "it has none".to_string()
                } else {
                    presented.join(", ")
                }
            ),
            CertificateError::Several { first, also } => {
                let text = first.to_string();
                f.write_str(&text)?;
                if !text.ends_with('.') {
                    f.write_str(".")?;
                }
                for p in also {
                    write!(f, " Also: {p}")?;
                }
                Ok(())
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
            CryptoError::RemoteSigningFailed { scheme, reason } => write!(
                f,
                "the signer holding the certificate's private key could not sign with {scheme}: {reason}"
            ),
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
            CryptoError::BlockLength { algorithm, length } => write!(
                f,
                "internal error: {length} bytes are not a whole number of {algorithm} blocks"
            ),
            CryptoError::RsaKeyTransport { reason } => write!(
                f,
                "could not encrypt the RSA pre-master secret to the server's key: {reason}"
            ),
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
impl From<EchError> for Error {
    fn from(e: EchError) -> Self {
        Error::Ech(e)
    }
}

#[cfg(test)]
mod tests {

    /// Every state name the four state machines report reads as a protocol step.
    #[test]
    fn every_state_reads_as_a_protocol_step() {
        let names = [
            "TLS 1.2 ExpectCertificate",
            "TLS 1.2 ExpectCertificateStatus",
            "TLS 1.2 ExpectServerKeyExchange",
            "TLS 1.2 ExpectServerHelloDone",
            "TLS 1.2 ExpectNewSessionTicket",
            "TLS 1.2 ExpectChangeCipherSpec",
            "TLS 1.2 ExpectFinished",
            "TLS 1.2 Connected",
            "TLS 1.2 ExpectClientKeyExchange",
            "TLS 1.2 ExpectCertificateVerify",
            "ExpectServerHello",
            "ExpectServerHello (after HelloRetryRequest)",
            "ExpectEncryptedExtensions",
            "ExpectCertificateOrCertificateRequest",
            "ExpectCertificate",
            "ExpectCertificateVerify",
            "ExpectFinished",
            "Connected",
            "ExpectClientHello",
            "ExpectSecondClientHello",
            "ExpectEndOfEarlyData",
            "ExpectPostHandshakeCertificateVerify",
            "ExpectPostHandshakeFinished",
            "handshaking",
        ];
        for n in names {
            let step = handshake_step(n);
            assert!(
                !step.contains("Expect") && !step.contains("at a point"),
                "{n}: {step}"
            );
        }
        assert_eq!(
            handshake_step("TLS 1.2 ExpectFinished"),
            "while waiting for the peer's Finished (TLS 1.2)"
        );
        assert_eq!(
            handshake_step("ExpectClientHello"),
            "while waiting for the ClientHello"
        );
        assert_eq!(
            handshake_step("Connected"),
            "after the handshake, where it is not allowed"
        );
        assert_eq!(
            handshake_step("NoSuchState"),
            "at a point of the handshake where it is not allowed"
        );
    }
    use super::*;

    #[test]
    fn escaped_bytes_print_no_control_characters() {
        assert_eq!(escape_bytes(b"plain.example"), "plain.example");
        assert_eq!(
            escape_bytes(b"\x1b[2J\x07\r\n\"\\\x00\x7f\xc3\xa9"),
            "\\x1b[2J\\x07\\x0d\\x0a\\\"\\\\\\x00\\x7f\\xc3\\xa9"
        );
    }

    /// Every error the connection layer raises, its sentence and its alert.
    #[test]
    fn every_error_explains_itself_and_maps_to_its_alert() {
        let s = |x: &str| x.to_string();
        let cases: Vec<(Error, &str, Option<AlertDescription>)> = vec![
            (Error::UnexpectedMessage { state: "ExpectFinished", got: "Certificate" }, "peer sent Certificate while waiting for the peer's Finished", Some(AlertDescription::UnexpectedMessage)),
            (Error::AlertReceived(AlertDescription::CloseNotify), "peer closed the connection (close_notify) before the handshake completed", None),
            (Error::AlertReceived(AlertDescription::UnknownCa), "peer sent a fatal unknown_ca alert; the connection is closed (the peer does not trust the issuer of our certificate)", None),
            (Error::from(RecordError::Overflow { length: 16385, max: 16384 }), "peer sent a record of 16385 bytes, more than the 16384 allowed", Some(AlertDescription::RecordOverflow)),
            (Error::from(RecordError::BadRecordMac { sequence: 7 }), "record 7 from the peer failed decryption: it was altered in transit or the peers derived different keys", Some(AlertDescription::BadRecordMac)),
            (Error::from(RecordError::UnexpectedContentType { got: ContentType::Heartbeat }), "peer sent a record of type heartbeat where none is allowed", Some(AlertDescription::UnexpectedMessage)),
            (Error::from(RecordError::Empty { content_type: ContentType::Handshake }), "peer sent an empty handshake record, which is not allowed", Some(AlertDescription::UnexpectedMessage)),
            (Error::from(RecordError::NoContentType), "peer sent an encrypted record with no content type (all padding)", Some(AlertDescription::UnexpectedMessage)),
            (Error::from(RecordError::InvalidChangeCipherSpec), "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)", Some(AlertDescription::UnexpectedMessage)),
            (Error::from(RecordError::HandshakeSpansKeyChange), "peer sent a handshake message that continues across a change of keys", Some(AlertDescription::UnexpectedMessage)),
            (Error::from(RecordError::InterleavedHandshake), "peer interleaved another record type inside a fragmented handshake message", Some(AlertDescription::UnexpectedMessage)),
            (Error::from(RecordError::HandshakeTooLarge { length: 70000, max: 65536 }), "peer sent a handshake message of 70000 bytes, more than the 65536 we accept", Some(AlertDescription::DecodeError)),
            (Error::from(RecordError::BadLegacyVersion { version: ProtocolVersion::Unknown(0x0203) }), "peer sent a record with version unknown(0x203), which is not TLS", Some(AlertDescription::ProtocolVersion)),
            (Error::from(RecordError::TooManyEmptyRecords { count: 33 }), "peer sent 33 empty or warning records in a row without progress", Some(AlertDescription::UnexpectedMessage)),
            (Error::from(RecordError::SequenceExhausted), "the record sequence number is exhausted and the key could not be updated", Some(AlertDescription::InternalError)),
            (Error::from(RecordError::PlaintextTooLarge { length: 16385, max: 16384 }), "internal error: asked to protect 16385 bytes in one record, but at most 16384 fit; the data must be fragmented first", Some(AlertDescription::InternalError)),
            (Error::from(PeerMisbehaved::BadFinished { from_server: true }), "the server's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys", Some(AlertDescription::DecryptError)),
            (Error::from(PeerMisbehaved::BadFinished { from_server: false }), "the client's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys", Some(AlertDescription::DecryptError)),
            (Error::from(PeerMisbehaved::BadCertificateVerify { scheme: SignatureScheme::ED25519 }), "the peer's CertificateVerify signature (ed25519) does not verify with its certificate's key: it does not hold the private key", Some(AlertDescription::DecryptError)),
            (Error::from(PeerMisbehaved::DowngradeDetected { to: ProtocolVersion::TLSv1_2 }), "the server's random carries the RFC 8446 downgrade marker for TLSv1.2: an attacker may be forcing an older version", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::SelectedUnoffered { what: "group", value: s("x448") }), "the server selected group x448, which the client did not offer", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::SessionIdMismatch), "the server's legacy_session_id does not echo the client's", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::BadHelloRetryRequest { reason: "it would not change the ClientHello" }), "the server sent an invalid HelloRetryRequest: it would not change the ClientHello", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::MissingExtension { message: "ClientHello", extension: "key_share" }), "peer's ClientHello lacks the required key_share extension", Some(AlertDescription::MissingExtension)),
            (Error::from(PeerMisbehaved::UnsolicitedExtension { message: "ServerHello", extension: s("server_name") }), "peer's ServerHello contains the server_name extension, which was not requested", Some(AlertDescription::UnsupportedExtension)),
            (Error::from(PeerMisbehaved::IllegalParameter { message: "Certificate", field: "certificate_request_context", reason: "must be empty" }), "peer's Certificate has an illegal certificate_request_context: must be empty", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::BadSecondClientHello { reason: "its legacy_session_id changed" }), "the client's second ClientHello does not follow the HelloRetryRequest: its legacy_session_id changed", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::SecondHelloExtension { extension: ExtensionType::ServerName, change: ExtensionChange::Removed }), "the client's second ClientHello does not follow the HelloRetryRequest: its server_name extension was removed", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::SecondHelloExtension { extension: ExtensionType::Cookie, change: ExtensionChange::Added }), "the client's second ClientHello does not follow the HelloRetryRequest: it adds the cookie extension", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::SecondHelloExtension { extension: ExtensionType::SupportedGroups, change: ExtensionChange::Moved }), "the client's second ClientHello does not follow the HelloRetryRequest: its extensions are in another order (supported_groups moved)", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::SecondHelloExtension { extension: ExtensionType::Unknown(0xaaaa), change: ExtensionChange::Changed }), "the client's second ClientHello does not follow the HelloRetryRequest: its unknown(0xaaaa) extension changed", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::BadServerName { name: b"a\x1b]0;x\x07\"\\\xff".to_vec(), reason: "it contains a control character" }), "the client's server_name \"a\\x1b]0;x\\x07\\\"\\\\\\xff\" is not a valid DNS host name (RFC 6066, 3): it contains a control character", Some(AlertDescription::IllegalParameter)),
            (Error::from(RecordError::ClientHelloTooLarge { length: 131_397 }), "peer sent a ClientHello of 131397 bytes, more than the 131396 any ClientHello can take", Some(AlertDescription::DecodeError)),
            (Error::Decode(DecodeError { message: "Finished", field: "verify_data", offset: 4, kind: DecodeErrorKind::WrongLength { length: 31, expected: 32 } }), "peer sent a malformed Finished: field verify_data at byte 4: length 31 where exactly 32 are needed", Some(AlertDescription::DecodeError)),
            (Error::Decode(DecodeError { message: "ClientHello", field: "server_name_list", offset: 60, kind: DecodeErrorKind::RepeatedEntry { value: 0 } }), "peer sent a malformed ClientHello: field server_name_list at byte 60: value 0x0 appears more than once", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::CompressionOffered), "peer offered compression methods other than null, which TLS 1.3 forbids", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::NoCertificate), "peer sent no certificate, but one is required", Some(AlertDescription::CertificateRequired)),
            (Error::from(PeerMisbehaved::BadKeyUpdate { value: 2 }), "peer sent a KeyUpdate with request_update 2; only 0 and 1 are defined", Some(AlertDescription::IllegalParameter)),
            (Error::from(PeerMisbehaved::BadServerKeyExchange { scheme: SignatureScheme::RSA_PKCS1_SHA256 }), "the server's ServerKeyExchange signature (rsa_pkcs1_sha256) does not verify with its certificate's key: the key exchange was tampered with or the server does not hold the key", Some(AlertDescription::DecryptError)),
            (Error::from(PeerMisbehaved::SecureRenegotiation { reason: "x" }), "secure renegotiation (RFC 5746) check failed: x", Some(AlertDescription::HandshakeFailure)),
            (Error::from(PeerMisbehaved::BadPskBinder), "the client's pre-shared key binder does not verify: the ticket was altered or the client derived a different key", Some(AlertDescription::DecryptError)),
            (Error::from(PeerMisbehaved::TooMuchEarlyData { max: 1024 }), "the client sent more 0-RTT data than the 1024 bytes allowed", Some(AlertDescription::UnexpectedMessage)),
            (Error::from(PeerMisbehaved::InappropriateFallback), "the client retried with a lower version (TLS_FALLBACK_SCSV) although both sides support TLS 1.3: something interfered with the first attempt", Some(AlertDescription::InappropriateFallback)),
            (Error::from(PeerMisbehaved::ProtocolVersionTooOld { offered: ProtocolVersion::TLSv1_0 }), "peer offered only TLSv1.0; ferrotls requires TLS 1.2 or later", Some(AlertDescription::ProtocolVersion)),
            (Error::from(PeerMisbehaved::EmsChangedOnResumption { from_server: false, session_ems: true }), "the client asked to resume a session that used the TLS 1.2 extended master secret (RFC 7627), but its ClientHello does not include the extension; RFC 7627, 5.3 requires aborting the handshake", Some(AlertDescription::HandshakeFailure)),
            (Error::from(PeerMisbehaved::EmsChangedOnResumption { from_server: false, session_ems: false }), "the client asked to resume a session that did not use the TLS 1.2 extended master secret (RFC 7627), but its ClientHello includes the extension; RFC 7627, 5.3 requires a full handshake instead", Some(AlertDescription::HandshakeFailure)),
            (Error::from(PeerMisbehaved::EmsChangedOnResumption { from_server: true, session_ems: true }), "the server resumed a session that used the TLS 1.2 extended master secret (RFC 7627), but its ServerHello does not include the extension; RFC 7627, 5.3 requires aborting the handshake", Some(AlertDescription::HandshakeFailure)),
            (Error::from(PeerMisbehaved::EmsChangedOnResumption { from_server: true, session_ems: false }), "the server resumed a session that did not use the TLS 1.2 extended master secret (RFC 7627), but its ServerHello includes the extension; RFC 7627, 5.3 requires aborting the handshake", Some(AlertDescription::HandshakeFailure)),
            (Error::from(NoCommon::Version { offered: vec![s("TLSv1.0")] }), "no TLS version in common: the peer offered TLSv1.0; ferrotls negotiates only TLS 1.3 and TLS 1.2", Some(AlertDescription::ProtocolVersion)),
            (Error::from(NoCommon::CipherSuite { offered: vec![s("TLS_RSA_WITH_RC4_128_SHA")], ours: vec![s("TLS_AES_128_GCM_SHA256")] }), "no cipher suite in common: the peer offered TLS_RSA_WITH_RC4_128_SHA; enabled here: TLS_AES_128_GCM_SHA256", Some(AlertDescription::HandshakeFailure)),
            (Error::from(NoCommon::Group { offered: vec![], ours: vec![s("x25519")] }), "no key exchange group in common: the peer offered nothing; enabled here: x25519", Some(AlertDescription::HandshakeFailure)),
            (Error::from(NoCommon::SignatureScheme { offered: vec![s("rsa_pkcs1_sha1")] }), "no signature scheme in common: the peer accepts rsa_pkcs1_sha1, none of which suits the configured key", Some(AlertDescription::HandshakeFailure)),
            (Error::from(NoCommon::ApplicationProtocol { offered: vec![s("h2")], ours: vec![s("http/1.1")] }), "no application protocol (ALPN) in common: the client offered h2; the server supports http/1.1", Some(AlertDescription::NoApplicationProtocol)),
            (Error::from(NoCommon::ExtendedMasterSecret { from_server: false }), "the client did not offer the TLS 1.2 extended master secret (RFC 7627), which this server is configured to require: without it a session is open to the triple-handshake attack", Some(AlertDescription::HandshakeFailure)),
            (Error::from(NoCommon::ExtendedMasterSecret { from_server: true }), "the server did not negotiate the TLS 1.2 extended master secret (RFC 7627), which this client is configured to require: without it a session is open to the triple-handshake attack", Some(AlertDescription::HandshakeFailure)),
            (Error::from(NoCommon::Certificate { server_name: Some(s("a.example")) }), "no configured certificate is suitable for server name a.example", Some(AlertDescription::HandshakeFailure)),
            (Error::from(NoCommon::Certificate { server_name: None }), "no configured certificate is suitable for a client that sent no server name", Some(AlertDescription::HandshakeFailure)),
            (Error::from(CryptoError::BadKeyShare { group: "x25519" }), "peer's x25519 key share is not a valid public key", Some(AlertDescription::IllegalParameter)),
            (Error::from(CryptoError::KeyExchangeFailed { group: "X25519MLKEM768" }), "X25519MLKEM768 key exchange failed", Some(AlertDescription::InternalError)),
            (Error::from(CryptoError::SigningFailed { scheme: "ed25519" }), "signing with ed25519 failed: the private key could not be used", Some(AlertDescription::InternalError)),
            (Error::from(CryptoError::RandomFailed), "the system random source failed", Some(AlertDescription::InternalError)),
            (Error::from(CryptoError::RemoteSigningFailed { scheme: "ecdsa_secp256r1_sha256", reason: "key not found".into() }), "the signer holding the certificate's private key could not sign with ecdsa_secp256r1_sha256: key not found", Some(AlertDescription::InternalError)),
            (Error::from(ApiError::NoOperationPending), "complete() was called, but the handshake is not waiting for any operation (each operation from pending_operation() is completed exactly once)", None),
            (Error::from(ApiError::WrongCompletion { expected: "a signature", got: "a server certificate verdict" }), "the handshake waits for a signature, but complete() was given a server certificate verdict", None),
            (Error::from(ApiError::NoHandler { operation: "a signature" }), "the handshake waits for a signature, but no handler for it was given to the driver", None),
            (Error::from(CryptoError::BadKeyLength { algorithm: "AES-128-GCM", length: 15 }), "a 15-byte key is the wrong size for AES-128-GCM", Some(AlertDescription::InternalError)),
            (Error::from(CryptoError::EncryptFailed), "record encryption failed", Some(AlertDescription::InternalError)),
            (Error::from(CertificateError::CaUsedAsEndEntity { subject: s("ca.example.com"), from_client: false }), "certificate for ca.example.com is a CA certificate (basicConstraints cA=TRUE), so it cannot be the server's own certificate, even when it is trusted. Issue a server certificate from this CA and use that instead (`openssl req -x509` makes CA:TRUE certificates unless given -addext basicConstraints=critical,CA:FALSE).", Some(AlertDescription::BadCertificate)),
            (Error::from(CertificateError::CaUsedAsEndEntity { subject: s("CN=bob"), from_client: true }), "certificate for CN=bob is a CA certificate (basicConstraints cA=TRUE), so it cannot be the client's own certificate, even when it is trusted. Issue a client certificate from this CA and use that instead (`openssl req -x509` makes CA:TRUE certificates unless given -addext basicConstraints=critical,CA:FALSE).", Some(AlertDescription::BadCertificate)),
            (Error::from(CertificateError::CommonNameNotInSan { subject: s("example.com"), common_name: s("Example.COM"), presented: vec![s("DNS:example.com")], reason: s("it differs from DNS:example.com only in letter case, and the copy must be exact") }), "certificate for example.com has subject CN \"Example.COM\", which is not a character-for-character copy of any of its DNS or IP subjectAltName values (DNS:example.com): it differs from DNS:example.com only in letter case, and the copy must be exact. The CA/Browser Forum Baseline Requirements (7.1.4.3) require the CN, if present, to copy one; reissue the certificate with such a CN, or with none.", Some(AlertDescription::BadCertificate)),
            (Error::from(ConfigError::NoCertificates), "no certificates were configured", None),
            (Error::from(ApiError::AlreadyFailed), "the connection has already failed", None),
            (Error::from(ApiError::HandshakeNotComplete { action: "send a heartbeat" }), "cannot send a heartbeat before the handshake completes", None),
            (Error::from(ApiError::AlreadyClosed), "the connection was closed with close_notify; nothing more can be sent", None),
            (Error::from(ApiError::HeartbeatNotNegotiated), "the peer did not agree to receive heartbeat requests (RFC 6520)", None),
            (Error::from(ApiError::ExportTooLong { len: 9000, max: 8160 }), "cannot export 9000 bytes of keying material: at most 8160 can be derived with this cipher suite's hash", None),
            (Error::from(ApiError::ExporterLabelTooLong { len: 250 }), "cannot export keying material under a 250-byte label: TLS 1.3 allows at most 249 bytes (RFC 8446, 7.1)", None),
            (Error::from(ApiError::ExporterContextTooLong { len: 70000 }), "cannot export keying material with a 70000-byte context: TLS 1.2 allows at most 65535 bytes (RFC 5705, 4)", None),
            (Error::from(ApiError::ReservedExporterLabel { label: "key expansion".into() }), "cannot export keying material under the label \"key expansion\": TLS 1.2 uses it for its own keys (RFC 5705, 4); use a registered label or one starting with \"EXPERIMENTAL\"", None),
            (Error::from(ApiError::ExportWithoutExtendedMasterSecret), "cannot export keying material: this TLS 1.2 session has no extended master secret, so a man in the middle could share it (RFC 7627, 5.4)", None),
            (Error::from(ApiError::PostHandshakeAuthNotOffered), "cannot request a client certificate after the handshake: the client did not offer post_handshake_auth (RFC 8446, 4.6.2). Ask for it during the handshake with ServerConfigBuilder::client_auth, or have the client enable post_handshake_auth", None),
            (Error::from(ApiError::PostHandshakeAuthNeedsTls13), "cannot request a client certificate after a TLS 1.2 handshake: post-handshake authentication exists only in TLS 1.3 (TLS 1.2 would need renegotiation, which ferrotls does not do)", None),
            (Error::from(ApiError::NoClientCertVerifier), "cannot request a client certificate: no client certificate verifier is configured (ServerConfigBuilder::post_handshake_client_auth or client_auth)", None),
            (Error::UnexpectedMessage { state: "ExpectPostHandshakeFinished", got: "application data" }, "peer sent application data while waiting for the client's Finished after the handshake", Some(AlertDescription::UnexpectedMessage)),
        ];
        for (error, text, alert) in cases {
            assert_eq!(error.to_string(), text, "{error:?}");
            assert_eq!(error.alert(), alert, "{error:?}");
        }
    }
}
