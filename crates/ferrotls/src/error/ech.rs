//! Everything that can go wrong with Encrypted Client Hello (draft-ietf-tls-esni;
//! "section" below means a section of that draft), and why a configuration of a list
//! was passed over.

use core::fmt;

use crate::codec::DecodeError;
use crate::msgs::enums::{ProtocolVersion, ECH_VERSION};

/// How many passed-over configurations [`EchError::NoUsableConfig`] names.
const MAX_SKIPPED_SHOWN: usize = 8;
/// How many cipher suites [`SkipReason::NoSupportedSuite`] names.
const MAX_SUITES_SHOWN: usize = 8;

/// Why one ECHConfig of a list was passed over (sections 4, 4.2, 6.1, 6.1.7).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// Section 4: "Clients MUST ignore any ECHConfig structure with a version they do
    /// not support."
    UnsupportedVersion { version: u16 },
    /// Section 4.2: no extension type twice.
    DuplicateExtension { config_id: u8, extension: u16 },
    /// Section 4.2: an extension type with the high bit set that we do not support.
    MandatoryExtension { config_id: u8, extension: u16 },
    /// Section 6.1.7: the public name is not a usable DNS host name.
    BadPublicName {
        config_id: u8,
        name: String,
        reason: &'static str,
    },
    /// Section 4: a KEM we do not implement.
    UnsupportedKem { config_id: u8, kem_id: u16 },
    /// The public key has the wrong length for its KEM.
    BadPublicKey {
        config_id: u8,
        kem_id: u16,
        length: usize,
    },
    /// Section 6.1: no (KDF, AEAD) pair we implement.
    NoSupportedSuite {
        config_id: u8,
        suites: Vec<(u16, u16)>,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::UnsupportedVersion { version } => write!(
                f,
                "has ECH version {version:#06x}; ferrotls supports only {ECH_VERSION:#06x}"
            ),
            SkipReason::DuplicateExtension {
                config_id,
                extension,
            } => write!(
                f,
                "(config_id {config_id}) has extension {extension:#06x} more than once"
            ),
            SkipReason::MandatoryExtension {
                config_id,
                extension,
            } => write!(
                f,
                "(config_id {config_id}) has the mandatory extension {extension:#06x}, which ferrotls does not support"
            ),
            SkipReason::BadPublicName {
                config_id,
                name,
                reason,
            } => write!(
                f,
                "(config_id {config_id}) has the public name {name:?}, which is not a valid DNS host name: {reason}"
            ),
            SkipReason::UnsupportedKem { config_id, kem_id } => write!(
                f,
                "(config_id {config_id}) uses HPKE KEM {kem_id:#06x}, which ferrotls does not support"
            ),
            SkipReason::BadPublicKey {
                config_id,
                kem_id,
                length,
            } => write!(
                f,
                "(config_id {config_id}) has a {length}-byte public key, the wrong size for HPKE KEM {kem_id:#06x}"
            ),
            SkipReason::NoSupportedSuite { config_id, suites } => {
                // Up to 16383 suites fit in a configuration: name the first few.
                let offered: Vec<String> = suites
                    .iter()
                    .take(MAX_SUITES_SHOWN)
                    .map(|(kdf, aead)| format!("KDF {kdf:#06x} with AEAD {aead:#06x}"))
                    .collect();
                write!(
                    f,
                    "(config_id {config_id}) offers only HPKE cipher suites ferrotls does not support: {}",
                    offered.join(", ")
                )?;
                match suites.len().saturating_sub(MAX_SUITES_SHOWN) {
                    0 => Ok(()),
                    more => write!(f, " and {more} more"),
                }
            }
        }
    }
}

/// One configuration passed over, by its 1-based position in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedConfig {
    pub position: usize,
    pub reason: SkipReason,
}

impl fmt::Display for SkippedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration {} {}", self.position, self.reason)
    }
}

/// Everything that can go wrong with ECH. [`Error::alert`](super::Error::alert) maps each to its alert.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EchError {
    /// An ECHConfigList (from DNS, a file or retry_configs) is not well-formed
    /// (section 4; section 6.1.6: decode_error for retry_configs).
    MalformedConfigList(DecodeError),
    /// Every configuration in a list was passed over; each says why.
    NoUsableConfig { skipped: Vec<SkippedConfig> },
    /// A public name given to `EchKeys::generate` is not a valid DNS host name
    /// (section 6.1.7).
    BadPublicName { name: String, reason: &'static str },
    /// The private key in an ECH key file is not the key of its ECHConfig.
    KeyMismatch { config_id: u8, public_name: String },
    /// Section 7: an ECHClientHelloType other than outer (0) and inner (1).
    UnknownHelloType { value: u8 },
    /// Section 7: an inner encrypted_client_hello extension from the network.
    InnerFromNetwork,
    /// Section 5.1: ech_outer_extensions in a ClientHelloOuter.
    OuterExtensionsInOuter,
    /// Section 5.1: a non-zero byte in the padding of EncodedClientHelloInner.
    NonZeroPadding { offset: usize },
    /// Section 5.1: OuterExtensions references an extension ClientHelloOuter lacks.
    OuterExtensionMissing { extension: String },
    /// Section 5.1: OuterExtensions references an extension more than once.
    OuterExtensionTwice { extension: String },
    /// Section 5.1: OuterExtensions references encrypted_client_hello.
    OuterExtensionIsEch,
    /// Section 5.1: OuterExtensions lists `extension` after `after`, but
    /// ClientHelloOuter has them the other way round.
    OuterExtensionOutOfOrder { extension: String, after: String },
    /// Section 7.1: ClientHelloInner lacks the inner encrypted_client_hello extension.
    MissingInnerMarker,
    /// Section 7.1: ClientHelloInner's encrypted_client_hello is not the inner variant.
    BadInnerMarker,
    /// Section 7.1: ClientHelloInner offers TLS 1.2 or below.
    InnerOffersOldVersion { version: ProtocolVersion },
    /// Section 7.1: ClientHelloInner has no supported_versions, so it offers TLS 1.2.
    InnerWithoutSupportedVersions,
    /// Section 6.1.4: a HelloRetryRequest's encrypted_client_hello extension is not
    /// 8 bytes long.
    BadRetryConfirmation { len: usize },
    /// Section 7.1.1: the second ClientHelloOuter lacks encrypted_client_hello.
    MissingInSecondHello,
    /// Section 7.1.1: the second ClientHelloOuter changed the cipher suite or config_id.
    SecondHelloChanged {
        what: &'static str,
        first: String,
        second: String,
    },
    /// Section 7.1.1: the second ClientHelloOuter carries a non-empty enc.
    SecondHelloHasEnc { length: usize },
    /// Section 7.1.1: the second ClientHelloOuter did not decrypt.
    SecondHelloDecryptFailed { config_id: u8 },
    /// A ClientHello passed to `ech::outer_aad` has no encrypted_client_hello extension:
    /// a caller bug.
    NoEchExtension,
    /// An HPKE operation failed on our side (a caller bug or a bad configuration).
    Hpke {
        operation: &'static str,
        reason: String,
    },
    /// Section 6.1.6: the server did not accept ECH. With retry configurations the
    /// client may connect again with them; without, ECH is disabled there.
    Rejected {
        public_name: String,
        retry_configs: Option<Vec<u8>>,
    },
}

impl fmt::Display for EchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EchError::MalformedConfigList(e) => {
                write!(f, "the ECH configuration list could not be read: {e}")
            }
            EchError::NoUsableConfig { skipped } => {
                // A 64 KiB list holds up to 16383 configurations: name the first few,
                // so that the message stays a sentence and not megabytes.
                let reasons: Vec<String> = skipped
                    .iter()
                    .take(MAX_SKIPPED_SHOWN)
                    .map(|s| s.to_string())
                    .collect();
                write!(
                    f,
                    "none of the {} ECH configuration(s) can be used: {}",
                    skipped.len(),
                    reasons.join("; ")
                )?;
                match skipped.len().saturating_sub(MAX_SKIPPED_SHOWN) {
                    0 => Ok(()),
                    more => write!(f, "; and {more} more"),
                }
            }
            EchError::BadPublicName { name, reason } => write!(
                f,
                "the ECH public name {name:?} is not a valid DNS host name: {reason}"
            ),
            EchError::KeyMismatch {
                config_id,
                public_name,
            } => write!(
                f,
                "the ECH private key does not match the public key of its ECHConfig (config_id {config_id}, public name {public_name}): the file pairs a key with another key's configuration"
            ),
            EchError::UnknownHelloType { value } => write!(
                f,
                "peer's encrypted_client_hello extension has type {value}; only outer (0) and inner (1) are defined"
            ),
            EchError::InnerFromNetwork => write!(
                f,
                "peer's ClientHello carries an inner encrypted_client_hello extension, which belongs only inside an encrypted ClientHelloInner"
            ),
            EchError::OuterExtensionsInOuter => write!(
                f,
                "peer's ClientHelloOuter contains the ech_outer_extensions extension, which may appear only inside an EncodedClientHelloInner"
            ),
            EchError::NonZeroPadding { offset } => write!(
                f,
                "peer's EncodedClientHelloInner has a non-zero padding byte at offset {offset}; padding must be all zeros"
            ),
            EchError::OuterExtensionMissing { extension } => write!(
                f,
                "peer's ech_outer_extensions references the {extension} extension, but ClientHelloOuter has none"
            ),
            EchError::OuterExtensionTwice { extension } => write!(
                f,
                "peer's ech_outer_extensions references the {extension} extension more than once"
            ),
            EchError::OuterExtensionIsEch => write!(
                f,
                "peer's ech_outer_extensions references encrypted_client_hello, which must never be copied from ClientHelloOuter"
            ),
            EchError::OuterExtensionOutOfOrder { extension, after } => write!(
                f,
                "peer's ech_outer_extensions lists {extension} after {after}, but ClientHelloOuter has them in the other order"
            ),
            EchError::MissingInnerMarker => write!(
                f,
                "peer's ClientHelloInner lacks the inner encrypted_client_hello extension it must carry"
            ),
            EchError::BadInnerMarker => write!(
                f,
                "peer's ClientHelloInner carries an encrypted_client_hello extension that is not the inner variant (a single byte 1)"
            ),
            EchError::InnerOffersOldVersion { version } => write!(
                f,
                "peer's ClientHelloInner offers {version}; a ClientHelloInner may offer only TLS 1.3 or later"
            ),
            EchError::InnerWithoutSupportedVersions => write!(
                f,
                "peer's ClientHelloInner has no supported_versions extension, so it offers TLS 1.2 or below; a ClientHelloInner may offer only TLS 1.3 or later"
            ),
            EchError::BadRetryConfirmation { len } => write!(
                f,
                "the server's HelloRetryRequest carries a {len}-byte encrypted_client_hello confirmation; it must be 8 bytes"
            ),
            EchError::MissingInSecondHello => write!(
                f,
                "the client's second ClientHelloOuter lacks the encrypted_client_hello extension, although ECH was accepted for the first"
            ),
            EchError::SecondHelloChanged {
                what,
                first,
                second,
            } => write!(
                f,
                "the client's second ClientHelloOuter changed the ECH {what} from {first} to {second}; it must stay as in the first"
            ),
            EchError::SecondHelloHasEnc { length } => write!(
                f,
                "the client's second ClientHelloOuter carries a {length}-byte ECH enc; after HelloRetryRequest enc must be empty"
            ),
            EchError::SecondHelloDecryptFailed { config_id } => write!(
                f,
                "the client's second ClientHelloOuter does not decrypt with the HPKE context of the first (config_id {config_id}): it was altered in transit or sealed with another context"
            ),
            EchError::NoEchExtension => write!(
                f,
                "internal error: the ClientHello has no encrypted_client_hello extension to authenticate"
            ),
            EchError::Hpke { operation, reason } => {
                write!(f, "ECH encryption failed in HPKE {operation}: {reason}")
            }
            EchError::Rejected {
                public_name,
                retry_configs: Some(_),
            } => write!(
                f,
                "the server {public_name} did not accept Encrypted Client Hello; it sent retry configurations to connect again with"
            ),
            EchError::Rejected {
                public_name,
                retry_configs: None,
            } => write!(
                f,
                "the server {public_name} did not accept Encrypted Client Hello and sent no retry configurations: ECH is disabled there"
            ),
        }
    }
}

impl std::error::Error for EchError {}
