//! Encrypted Client Hello (draft-ietf-tls-esni; "section" below means a section of
//! that draft): configurations, the encrypted_client_hello extension, the
//! EncodedClientHelloInner codec, HPKE sealing and opening of ClientHelloInner, and
//! the acceptance signals.
//!
//! ```text
//! client: ClientHelloInner --encode_inner--> EncodedClientHelloInner
//!           --EchSender::seal_outer (HPKE, AAD = ClientHelloOuterAAD)--> ClientHelloOuter
//! server: ClientHelloOuter --server_open_first--> ClientHelloInner (via decode_inner),
//!           or Ok(None): go on with ClientHelloOuter and send retry configurations
//!         second ClientHelloOuter --server_open_second--> second ClientHelloInner
//! both:   accept_confirmation (ServerHello.random) / hrr_accept_confirmation (HRR)
//! ```
//!
//! One file per concern: `config` (ECHConfigList decoding and encoding), `keys` (the
//! server's key pairs and key file), `extension` (the encrypted_client_hello
//! extension), `inner` (EncodedClientHelloInner and outer extensions), `client`
//! (sealing), `server` (opening), `confirmation` (the acceptance signals). The errors
//! are [`EchError`] in the `error` module. The public items are re-exported here.
//!
//! Everything read from the peer is checked here and fails with an [`Error`] that
//! carries the alert the draft asks for; nothing panics on malformed input.

use core::fmt;

use crate::error::Error;
use crate::msgs::enums::ExtensionType;

pub use crate::error::{EchError, SkipReason, SkippedConfig};
pub use crate::msgs::enums::ECH_VERSION;

/// HpkeKemId of DHKEM(X25519, HKDF-SHA256) (RFC 9180, 7.1), the KEM of [`EchKeys`].
pub const KEM_X25519_HKDF_SHA256: u16 = 0x0020;
/// HpkeKdfId of HKDF-SHA256 (RFC 9180, 7.2).
pub const KDF_HKDF_SHA256: u16 = 0x0001;
/// HpkeAeadId of AES-128-GCM (RFC 9180, 7.3).
pub const AEAD_AES_128_GCM: u16 = 0x0001;
/// HpkeAeadId of AES-256-GCM (RFC 9180, 7.3).
pub const AEAD_AES_256_GCM: u16 = 0x0002;
/// HpkeAeadId of ChaCha20Poly1305 (RFC 9180, 7.3).
pub const AEAD_CHACHA20_POLY1305: u16 = 0x0003;

/// The cipher suites a generated configuration offers, in preference order.
const GENERATED_SUITES: [(u16, u16); 3] = [
    (KDF_HKDF_SHA256, AEAD_AES_128_GCM),
    (KDF_HKDF_SHA256, AEAD_AES_256_GCM),
    (KDF_HKDF_SHA256, AEAD_CHACHA20_POLY1305),
];

/// Section 6.1: the HPKE info is "tls ech" || 0x00 || ECHConfig.
const INFO_PREFIX: &[u8] = b"tls ech\0";

/// The tag length of every HPKE AEAD (AES-GCM and ChaCha20Poly1305: RFC 9180, 7.3).
const AEAD_TAG_LEN: usize = 16;

/// ECHClientHelloType (section 5).
const TYPE_OUTER: u8 = 0;
const TYPE_INNER: u8 = 1;

/// RFC 8410 (with RFC 5958): the DER of a PKCS#8 X25519 private key up to the key.
const X25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
];
const X25519_KEY_LEN: usize = 32;

/// The RFC name of an extension type for messages ("key_share", "0xfa0a").
fn ext_name(typ: ExtensionType) -> String {
    if typ == ExtensionType::EchOuterExtensions {
        return "ech_outer_extensions".to_string();
    }
    match typ {
        ExtensionType::Unknown(v) => format!("{v:#06x}"),
        known => known.name().into_owned(),
    }
}

/// An HPKE failure on our side, as an [`EchError::Hpke`].
fn hpke_error(operation: &'static str, e: impl fmt::Display) -> Error {
    EchError::Hpke {
        operation,
        reason: e.to_string(),
    }
    .into()
}

mod client;
mod config;
mod confirmation;
mod extension;
mod inner;
mod keys;
mod server;

pub use client::EchSender;
pub use config::{check_retry_configs, encode_config_list, parse_config_list, EchConfig};
pub use confirmation::{accept_confirmation, hrr_accept_confirmation};
pub use extension::{ech_extension, inner_extension, EchClientHello};
pub use inner::{decode_inner, encode_inner, inner_handshake_bytes, outer_aad};
pub use keys::{retry_configs, EchKeys};
pub use server::{server_open_first, server_open_second, EchServerState};

#[cfg(test)]
mod tests;
