//! The error type and the one mapping from errors to the alerts we send.
//!
//! Every variant carries its context, and every `Display` text is a sentence a person
//! can act on. `Error::alert` is the only place that decides which alert a failure sends.
//!
//! One file per concern: `record`, `peer` (PeerMisbehaved), `negotiation` (NoCommon),
//! `certificate`, `crypto` (with signature errors), `config` (with API misuse), `ech`.
//! Every error type of the library lives here except two whose context is their own
//! module's types: `DecodeError` in `codec` (below this module, re-exported here) and
//! `HpkeError` in `crypto::hpke`. This module imports only `codec`, `msgs::enums` and
//! `time`, so every other module can use it without an import cycle.

use core::fmt;

pub use crate::codec::{DecodeError, DecodeErrorKind};
use crate::msgs::enums::AlertDescription;

mod certificate;
mod config;
mod crypto;
mod ech;
mod negotiation;
mod peer;
mod record;

pub use certificate::{CertRole, CertificateError, RejectedPath};
pub use config::{ApiError, ConfigError};
pub use crypto::{CertSignatureError, CryptoError, SignatureError};
pub use ech::{EchError, SkipReason, SkippedConfig};
pub use negotiation::NoCommon;
pub use peer::{escape_bytes, ExtensionChange, PeerMisbehaved};
pub use record::RecordError;

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
        "AwaitHelloLookups" => {
            "while the session cache and the anti-replay guard were asked about the ClientHello"
        }
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
    use crate::msgs::enums::{ContentType, ExtensionType, ProtocolVersion, SignatureScheme};

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
