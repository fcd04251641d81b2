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
//! Everything read from the peer is checked here and fails with an [`Error`] that
//! carries the alert the draft asks for; nothing panics on malformed input.

use core::fmt;
use std::collections::{HashMap, HashSet};

use zeroize::Zeroizing;

use crate::codec::{
    put_u16, put_u8, put_vec_u16, put_vec_u8, with_u16_len, with_u24_len, with_u8_len, Codec,
    DecodeError, DecodeErrorKind, Reader,
};
use crate::crypto::hpke::{
    setup_base_receiver, setup_base_sender, HpkeKem, HpkeKeyPair, HpkeSuite, ReceiverContext,
    SenderContext,
};
use crate::crypto::{hkdf_extract, HashAlgorithm, Provider};
use crate::error::{ConfigError, Error};
use crate::msgs::enums::{ExtensionType, HandshakeType, ProtocolVersion};
use crate::msgs::extensions::ClientExtension;
use crate::msgs::handshake::ClientHello;
use crate::tls13::key_schedule::hkdf_expand_label;

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

// ---------------------------------------------------------------------------------
// ECHConfig (section 4)
// ---------------------------------------------------------------------------------

/// One ECHConfig of version 0xfe0d that this crate can use (section 4), with its
/// exact encoding kept for the HPKE info (section 6.1). Only [`parse_config_list`]
/// and [`EchKeys`] make one, so every `EchConfig` passed the checks of section 6.1.
///
/// The fields describe [`EchConfig::encoded`], which is what is sent and what HPKE
/// binds to: change them and the two disagree, so the server will not decrypt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchConfig {
    encoded: Vec<u8>,
    pub config_id: u8,
    /// HpkeKemId (RFC 9180, 7.1).
    pub kem_id: u16,
    pub public_key: Vec<u8>,
    /// The (KDF, AEAD) pairs in the configuration's order of preference.
    pub cipher_suites: Vec<(u16, u16)>,
    /// The longest backend server name, or 0 if unknown (section 6.1.3).
    pub maximum_name_length: u8,
    /// The client-facing server's name (section 6.1.7): put in the outer server_name
    /// and used to authenticate a rejection.
    pub public_name: String,
    /// The ECHConfigExtensions (type, data), none of them mandatory (section 4.2).
    pub extensions: Vec<(u16, Vec<u8>)>,
}

impl EchConfig {
    /// The whole ECHConfig as received: version, length and contents.
    pub fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// Section 6.1: the HPKE info, "tls ech" || 0x00 || ECHConfig.
    pub fn hpke_info(&self) -> Vec<u8> {
        [INFO_PREFIX, &self.encoded].concat()
    }

    /// Section 6.1: the first (KDF, AEAD) pair, in the configuration's order, that
    /// this crate implements. Always `Some` for a configuration from
    /// [`parse_config_list`].
    /// The KEM and cipher suites in words, for people: "HPKE X25519 with
    /// HKDF-SHA256 and AES-128-GCM, AES-256-GCM, ChaCha20Poly1305". Identifiers this
    /// crate does not know are shown as numbers.
    pub fn describe_hpke(&self) -> String {
        use crate::crypto::hpke::{HpkeAead, HpkeKdf, HpkeKem};
        let kem = match HpkeKem::from_id(self.kem_id) {
            Some(HpkeKem::DhkemX25519HkdfSha256) => "X25519".to_string(),
            Some(HpkeKem::DhkemP256HkdfSha256) => "P-256".to_string(),
            None => format!("KEM {:#06x}", self.kem_id),
        };
        let kdf =
            |id: u16| HpkeKdf::from_id(id).map_or(format!("KDF {id:#06x}"), |k| k.name().into());
        let aead =
            |id: u16| HpkeAead::from_id(id).map_or(format!("AEAD {id:#06x}"), |a| a.name().into());
        let mut kdfs: Vec<String> = Vec::new();
        for (k, _) in &self.cipher_suites {
            if !kdfs.contains(&kdf(*k)) {
                kdfs.push(kdf(*k));
            }
        }
        let aeads: Vec<String> = self.cipher_suites.iter().map(|(_, a)| aead(*a)).collect();
        format!(
            "HPKE {kem} with {} and {}",
            kdfs.join(" or "),
            aeads.join(", ")
        )
    }

    pub fn select_suite(&self) -> Option<HpkeSuite> {
        self.cipher_suites
            .iter()
            .find_map(|&(kdf, aead)| HpkeSuite::from_ids(self.kem_id, kdf, aead))
    }

    /// Whether the configuration lists (kdf, aead) and we implement it with its KEM
    /// (section 7.1).
    fn suite_for(&self, kdf: u16, aead: u16) -> Option<HpkeSuite> {
        if !self.cipher_suites.contains(&(kdf, aead)) {
            return None;
        }
        HpkeSuite::from_ids(self.kem_id, kdf, aead)
    }

    /// Builds and encodes a configuration of our own (for [`EchKeys`]).
    fn build(
        config_id: u8,
        kem_id: u16,
        public_key: Vec<u8>,
        cipher_suites: Vec<(u16, u16)>,
        public_name: String,
    ) -> EchConfig {
        let mut encoded = Vec::new();
        put_u16(&mut encoded, ECH_VERSION);
        with_u16_len(&mut encoded, |o| {
            put_u8(o, config_id);
            put_u16(o, kem_id);
            put_vec_u16(o, &public_key);
            with_u16_len(o, |o| {
                cipher_suites.iter().for_each(|&(kdf, aead)| {
                    put_u16(o, kdf);
                    put_u16(o, aead);
                })
            });
            put_u8(o, 0);
            put_vec_u8(o, public_name.as_bytes());
            with_u16_len(o, |_| {});
        });
        EchConfig {
            encoded,
            config_id,
            kem_id,
            public_key,
            cipher_suites,
            maximum_name_length: 0,
            public_name,
            extensions: Vec::new(),
        }
    }
}

/// Parses an ECHConfigList (section 4: `ECHConfig ECHConfigList<4..2^16-1>`) and
/// keeps the configurations this crate can use, in the list's order of preference.
///
/// Passed over (section 4, 4.2, 6.1, 6.1.7): a version other than 0xfe0d (skipped by
/// its length), an unsupported mandatory extension or an extension type twice, a
/// public name that is not an LDH host name or whose last label could be read as an
/// IPv4 address, a KEM or public key we cannot use, and no (KDF, AEAD) pair we
/// implement. A list that is not well-formed (including a 0xfe0d configuration whose
/// contents do not parse) is [`EchError::MalformedConfigList`]; a list of which
/// nothing remains is [`EchError::NoUsableConfig`], saying why each was passed over.
pub fn parse_config_list(bytes: &[u8]) -> Result<Vec<EchConfig>, EchError> {
    let (usable, skipped) = read_config_list(bytes).map_err(EchError::MalformedConfigList)?;
    if usable.is_empty() {
        return Err(EchError::NoUsableConfig { skipped });
    }
    Ok(usable)
}

/// The configurations of a well-formed list we can use, and those we pass over.
fn read_config_list(bytes: &[u8]) -> Result<(Vec<EchConfig>, Vec<SkippedConfig>), DecodeError> {
    let mut outer = Reader::new(bytes, "ECHConfigList");
    let mut list = outer.sub_u16("ECHConfigList")?;
    outer.expect_empty("ECHConfigList")?;
    if list.remaining() < 4 {
        let length = list.remaining();
        let kind = DecodeErrorKind::TooShort { length, min: 4 };
        return Err(list.error("ECHConfigList", kind));
    }
    let mut usable = Vec::new();
    let mut skipped = Vec::new();
    let mut position = 0;
    while !list.is_empty() {
        position += 1;
        let mut start = list.clone();
        let version = list.u16("version")?;
        let mut contents = list.sub_u16("length")?;
        let encoded = start.take(4 + contents.remaining(), "ECHConfig")?;
        if version != ECH_VERSION {
            let reason = SkipReason::UnsupportedVersion { version };
            skipped.push(SkippedConfig { position, reason });
            continue;
        }
        match read_contents(&mut contents, encoded)? {
            Ok(config) => usable.push(config),
            Err(reason) => skipped.push(SkippedConfig { position, reason }),
        }
    }
    Ok((usable, skipped))
}

/// Reads ECHConfigContents (section 4). The outer `Result` is a malformed list; the
/// inner one a well-formed configuration we pass over.
fn read_contents(
    r: &mut Reader<'_>,
    encoded: &[u8],
) -> Result<Result<EchConfig, SkipReason>, DecodeError> {
    let config_id = r.u8("config_id")?;
    let kem_id = r.u16("kem_id")?;
    let key = r.sub_u16("public_key")?;
    key.expect_nonempty("public_key")?;
    let public_key = key.clone().rest().to_vec();
    // HpkeSymmetricCipherSuite cipher_suites<4..2^16-4>
    let mut suites = r.sub_u16("cipher_suites")?;
    let length = suites.remaining();
    if !length.is_multiple_of(4) {
        let kind = DecodeErrorKind::BadVectorLength {
            length,
            element_size: 4,
        };
        return Err(suites.error("cipher_suites", kind));
    }
    suites.expect_nonempty("cipher_suites")?;
    let mut cipher_suites = Vec::with_capacity(length / 4);
    while !suites.is_empty() {
        cipher_suites.push((suites.u16("kdf_id")?, suites.u16("aead_id")?));
    }
    let maximum_name_length = r.u8("maximum_name_length")?;
    let name = r.sub_u8("public_name")?;
    name.expect_nonempty("public_name")?;
    let name = name.clone().rest();
    let mut exts = r.sub_u16("extensions")?;
    let mut extensions: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut seen = HashSet::new();
    let mut problem = None;
    while !exts.is_empty() {
        let typ = exts.u16("extension_type")?;
        let data = exts.vec_u16("extension_data")?;
        if !seen.insert(typ) {
            problem.get_or_insert(SkipReason::DuplicateExtension {
                config_id,
                extension: typ,
            });
        } else if typ & 0x8000 != 0 {
            // Section 4.2: we implement no mandatory extension.
            problem.get_or_insert(SkipReason::MandatoryExtension {
                config_id,
                extension: typ,
            });
        }
        extensions.push((typ, data.to_vec()));
    }
    r.expect_empty("ECHConfigContents")?;
    if let Some(reason) = problem {
        return Ok(Err(reason));
    }
    let public_name = match check_public_name(name) {
        Ok(()) => String::from_utf8_lossy(name).into_owned(),
        Err(reason) => {
            let name = String::from_utf8_lossy(name).into_owned();
            return Ok(Err(SkipReason::BadPublicName {
                config_id,
                name,
                reason,
            }));
        }
    };
    let Some(kem) = HpkeKem::from_id(kem_id) else {
        return Ok(Err(SkipReason::UnsupportedKem { config_id, kem_id }));
    };
    if public_key.len() != kem.public_key_len() {
        return Ok(Err(SkipReason::BadPublicKey {
            config_id,
            kem_id,
            length: public_key.len(),
        }));
    }
    let config = EchConfig {
        encoded: encoded.to_vec(),
        config_id,
        kem_id,
        public_key,
        cipher_suites,
        maximum_name_length,
        public_name,
        extensions,
    };
    if config.select_suite().is_none() {
        return Ok(Err(SkipReason::NoSupportedSuite {
            config_id,
            suites: config.cipher_suites,
        }));
    }
    Ok(Ok(config))
}

/// Section 6.1.6: the client checks that retry_configs from EncryptedExtensions is
/// a well-formed ECHConfigList (decode_error otherwise). A list of which we can use
/// nothing is well-formed: it means the server securely disabled ECH for us.
pub fn check_retry_configs(bytes: &[u8]) -> Result<(), Error> {
    match parse_config_list(bytes) {
        Ok(_) | Err(EchError::NoUsableConfig { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Encodes configurations as an ECHConfigList (section 4), each exactly as it was
/// received or generated.
///
/// # Panics
///
/// If the list exceeds 65535 bytes: local configurations only, never peer data.
pub fn encode_config_list(configs: &[&EchConfig]) -> Vec<u8> {
    let mut out = Vec::new();
    with_u16_len(&mut out, |o| {
        configs.iter().for_each(|c| o.extend_from_slice(&c.encoded))
    });
    out
}

/// Section 6.1.7: a public name must be a dot-separated sequence of LDH labels (RFC
/// 5890, 2.3.1) of at most 63 bytes, with no leading or trailing dot, and its last
/// label must not look like a number an IPv4 parser would take.
fn check_public_name(name: &[u8]) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.len() > 255 {
        return Err("it is longer than 255 bytes");
    }
    if !name
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return Err("it contains a character other than ASCII letters, digits, hyphens and dots");
    }
    let mut last: &[u8] = &[];
    for label in name.split(|&c| c == b'.') {
        if label.is_empty() {
            return Err("it begins or ends with a dot, or has an empty label");
        }
        if label.len() > 63 {
            return Err("a label is longer than 63 bytes");
        }
        if label.first() == Some(&b'-') || label.last() == Some(&b'-') {
            return Err("a label begins or ends with a hyphen");
        }
        last = label;
    }
    if last.iter().all(u8::is_ascii_digit) {
        return Err("its last label is all digits, so it could be read as an IPv4 address");
    }
    if let Some(hex) = last
        .strip_prefix(b"0x")
        .or_else(|| last.strip_prefix(b"0X"))
    {
        if hex.iter().all(u8::is_ascii_hexdigit) {
            return Err(
                "its last label is 0x and hex digits, so it could be read as an IPv4 address",
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Server keys
// ---------------------------------------------------------------------------------

/// A server's ECH configuration with its HPKE private key (sections 4 and 7.1).
pub struct EchKeys {
    config: EchConfig,
    keypair: HpkeKeyPair,
}

impl fmt::Debug for EchKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EchKeys")
            .field("config_id", &self.config.config_id)
            .field("public_name", &self.config.public_name)
            .finish_non_exhaustive()
    }
}

impl AsRef<EchKeys> for EchKeys {
    fn as_ref(&self) -> &EchKeys {
        self
    }
}

impl EchKeys {
    /// A fresh X25519 key and its configuration: suites HKDF-SHA256 with
    /// AES-128-GCM, AES-256-GCM and ChaCha20Poly1305, maximum_name_length 0, no
    /// extensions. Fails if `public_name` is not a valid host name (section 6.1.7)
    /// or the random source fails.
    pub fn generate(public_name: &str, config_id: u8, provider: &Provider) -> Result<Self, Error> {
        check_public_name(public_name.as_bytes()).map_err(|reason| EchError::BadPublicName {
            name: public_name.to_string(),
            reason,
        })?;
        let keypair = HpkeKeyPair::generate(HpkeKem::DhkemX25519HkdfSha256, &*provider.random)
            .map_err(|e| hpke_error("key generation", e))?;
        let config = EchConfig::build(
            config_id,
            KEM_X25519_HKDF_SHA256,
            keypair.public_key().to_vec(),
            GENERATED_SUITES.to_vec(),
            public_name.to_string(),
        );
        Ok(EchKeys { config, keypair })
    }

    /// The configuration these keys serve.
    pub fn config(&self) -> &EchConfig {
        &self.config
    }

    /// An ECHConfigList holding just this configuration: for the DNS HTTPS record,
    /// for clients, and as retry_configs (section 7.1).
    pub fn config_list(&self) -> Vec<u8> {
        encode_config_list(&[&self.config])
    }

    /// The keys as PEM, in the layout of OpenSSL's ECH key files: a "PRIVATE KEY"
    /// block (PKCS#8 X25519, RFC 8410) and an "ECHCONFIG" block holding an
    /// ECHConfigList with this configuration. The text holds the private key.
    pub fn to_pem(&self) -> String {
        let pkcs8 = Zeroizing::new([&X25519_PKCS8_PREFIX[..], self.keypair.private_key()].concat());
        let mut out = crate::pem::encode("PRIVATE KEY", &pkcs8);
        out.push_str(&crate::pem::encode("ECHCONFIG", &self.config_list()));
        out
    }

    /// Reads keys written by [`EchKeys::to_pem`] (or OpenSSL). The ECHCONFIG block
    /// must hold exactly one configuration, usable by this crate, of the X25519 KEM,
    /// whose public key is that of the private key.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let key = crate::pem::private_key_from_bytes(pem.as_bytes())?;
        let raw = match key.secret_der().split_at_checked(X25519_PKCS8_PREFIX.len()) {
            Some((prefix, raw)) if prefix == X25519_PKCS8_PREFIX && raw.len() == X25519_KEY_LEN => {
                raw
            }
            _ => {
                return Err(ConfigError::BadPrivateKey {
                    reason: "an ECH key must be an X25519 key in PKCS#8 (RFC 8410)".to_string(),
                }
                .into())
            }
        };
        let keypair = HpkeKeyPair::from_private(HpkeKem::DhkemX25519HkdfSha256, raw)
            .map_err(|e| hpke_error("key import", e))?;

        let list = echconfig_from_pem(pem)?;
        let mut configs = parse_config_list(&list)?;
        let config = match (configs.pop(), configs.is_empty()) {
            (Some(config), true) if encode_config_list(&[&config]) == list => config,
            _ => {
                return Err(bad_pem(
                    "the ECHCONFIG block must hold exactly one ECHConfig",
                ))
            }
        };
        if config.kem_id != KEM_X25519_HKDF_SHA256 {
            return Err(bad_pem(format!(
                "the ECHConfig uses HPKE KEM {:#06x}, but the private key is X25519 (KEM 0x0020)",
                config.kem_id
            )));
        }
        if keypair.public_key() != config.public_key.as_slice() {
            return Err(EchError::KeyMismatch {
                config_id: config.config_id,
                public_name: config.public_name,
            }
            .into());
        }
        Ok(EchKeys { config, keypair })
    }
}

/// An ECHConfigList of every configuration in `keys`, in order: the retry_configs a
/// client-facing server sends when it did not accept ECH (section 7.1).
pub fn retry_configs<K: AsRef<EchKeys>>(keys: &[K]) -> Vec<u8> {
    let configs: Vec<&EchConfig> = keys.iter().map(|k| &k.as_ref().config).collect();
    encode_config_list(&configs)
}

/// The ECHConfigList of the ECHCONFIG block in `pem`.
fn echconfig_from_pem(pem: &str) -> Result<Vec<u8>, Error> {
    use rustls_pki_types::pem::{Error as PemError, PemObject};
    rustls_pki_types::EchConfigListBytes::from_pem_slice(pem.as_bytes())
        .map(|list| list.to_vec())
        .map_err(|e| {
            bad_pem(match e {
                PemError::NoItemsFound => "no ECHCONFIG block was found".to_string(),
                PemError::MissingSectionEnd { .. } => {
                    "the ECHCONFIG block has no END line".to_string()
                }
                PemError::Base64Decode(_) => "the ECHCONFIG block is not valid base64".to_string(),
                other => format!("the ECHCONFIG block cannot be read: {other}"),
            })
        })
}

fn bad_pem(reason: impl Into<String>) -> Error {
    ConfigError::BadPem {
        what: "the ECH keys",
        reason: reason.into(),
    }
    .into()
}

fn hpke_error(operation: &'static str, e: impl fmt::Display) -> Error {
    EchError::Hpke {
        operation,
        reason: e.to_string(),
    }
    .into()
}

// ---------------------------------------------------------------------------------
// The encrypted_client_hello extension (section 5)
// ---------------------------------------------------------------------------------

/// The body of an encrypted_client_hello extension in a ClientHello (section 5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EchClientHello {
    /// In ClientHelloOuter: the HPKE suite, the configuration, the encapsulated key
    /// (empty after HelloRetryRequest) and the sealed EncodedClientHelloInner.
    Outer {
        kdf: u16,
        aead: u16,
        config_id: u8,
        enc: Vec<u8>,
        payload: Vec<u8>,
    },
    /// In ClientHelloInner: the marker the backend server answers (section 7.2).
    Inner,
}

impl EchClientHello {
    /// Decodes an extension body. An unknown type is illegal_parameter (section 7);
    /// an empty payload, a truncated body or trailing bytes are decode errors.
    pub fn read(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body, "ECHClientHello");
        let hello = match r.u8("type")? {
            TYPE_OUTER => {
                let kdf = r.u16("kdf_id")?;
                let aead = r.u16("aead_id")?;
                let config_id = r.u8("config_id")?;
                let enc = r.vec_u16("enc")?.to_vec();
                let payload = r.sub_u16("payload")?;
                payload.expect_nonempty("payload")?;
                EchClientHello::Outer {
                    kdf,
                    aead,
                    config_id,
                    enc,
                    payload: payload.clone().rest().to_vec(),
                }
            }
            TYPE_INNER => EchClientHello::Inner,
            value => return Err(EchError::UnknownHelloType { value }.into()),
        };
        r.expect_empty("ECHClientHello")?;
        Ok(hello)
    }

    /// The extension body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            EchClientHello::Outer {
                kdf,
                aead,
                config_id,
                enc,
                payload,
            } => {
                put_u8(&mut out, TYPE_OUTER);
                put_u16(&mut out, *kdf);
                put_u16(&mut out, *aead);
                put_u8(&mut out, *config_id);
                put_vec_u16(&mut out, enc);
                put_vec_u16(&mut out, payload);
            }
            EchClientHello::Inner => put_u8(&mut out, TYPE_INNER),
        }
        out
    }

    /// The whole extension, as it goes in a ClientHello.
    pub fn to_extension(&self) -> ClientExtension {
        ClientExtension::Unknown {
            typ: ExtensionType::EncryptedClientHello,
            data: self.encode(),
        }
    }
}

/// The inner encrypted_client_hello extension that ClientHelloInner must carry
/// (section 6.1, rule 4).
pub fn inner_extension() -> ClientExtension {
    EchClientHello::Inner.to_extension()
}

/// The raw body of `ch`'s encrypted_client_hello extension, if it has one.
pub fn ech_extension(ch: &ClientHello) -> Option<&[u8]> {
    ch.extensions.iter().find_map(|e| match e {
        ClientExtension::Unknown {
            typ: ExtensionType::EncryptedClientHello,
            data,
        } => Some(data.as_slice()),
        _ => None,
    })
}

/// The mutable body of `ch`'s encrypted_client_hello extension.
fn ech_extension_mut(ch: &mut ClientHello) -> Option<&mut Vec<u8>> {
    ch.extensions.iter_mut().find_map(|e| match e {
        ClientExtension::Unknown {
            typ: ExtensionType::EncryptedClientHello,
            data,
        } => Some(data),
        _ => None,
    })
}

/// The fields of an outer encrypted_client_hello extension (section 5).
struct OuterOffer {
    kdf: u16,
    aead: u16,
    config_id: u8,
    enc: Vec<u8>,
    payload: Vec<u8>,
}

/// The outer variant of an extension body; an inner one from the network is
/// illegal_parameter (section 7).
fn read_outer(body: &[u8]) -> Result<OuterOffer, Error> {
    match EchClientHello::read(body)? {
        EchClientHello::Outer {
            kdf,
            aead,
            config_id,
            enc,
            payload,
        } => Ok(OuterOffer {
            kdf,
            aead,
            config_id,
            enc,
            payload,
        }),
        EchClientHello::Inner => Err(EchError::InnerFromNetwork.into()),
    }
}

/// Section 5.1: ech_outer_extensions "MUST NOT appear in either ClientHelloOuter or
/// ClientHelloInner".
fn refuse_outer_extensions(outer: &ClientHello) -> Result<(), Error> {
    if outer.has_extension(ExtensionType::EchOuterExtensions) {
        return Err(EchError::OuterExtensionsInOuter.into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// EncodedClientHelloInner (section 5.1) and ClientHelloOuterAAD (section 5.2)
// ---------------------------------------------------------------------------------

/// Encodes ClientHelloInner as EncodedClientHelloInner (section 5.1): a ClientHello
/// body (no handshake header) with an empty legacy_session_id, the extensions of the
/// types in `compress` replaced by one ech_outer_extensions extension at their
/// position, then zeros as padding (section 6.1.3): for the server name up to
/// `max_name_len` (the ECHConfig's maximum_name_length), then up to a multiple of 32.
///
/// The compressed extensions must be consecutive in `inner` (section 6.1, rule 3)
/// and be copied, in the same relative order, to ClientHelloOuter. Only the first
/// consecutive run of them is compressed; any others, and encrypted_client_hello
/// (which the server refuses to copy), stay in full, which is always correct.
pub fn encode_inner(inner: &ClientHello, compress: &[ExtensionType], max_name_len: u8) -> Vec<u8> {
    let compressible = |e: &ClientExtension| {
        let typ = e.ext_type();
        typ != ExtensionType::EncryptedClientHello && compress.contains(&typ)
    };
    let mut hello = inner.clone();
    hello.session_id.clear();
    if let Some(start) = hello.extensions.iter().position(compressible) {
        // ExtensionType OuterExtensions<2..254>: at most 127 types.
        let run = hello
            .extensions
            .iter()
            .skip(start)
            .take_while(|e| compressible(e))
            .take(127)
            .count();
        let mut data = Vec::with_capacity(1 + 2 * run);
        with_u8_len(&mut data, |o| {
            hello
                .extensions
                .drain(start..start + run)
                .for_each(|e| e.ext_type().encode(o))
        });
        hello.extensions.insert(
            start,
            ClientExtension::Unknown {
                typ: ExtensionType::EchOuterExtensions,
                data,
            },
        );
    }
    let mut out = hello.to_bytes();
    let padding = padding_len(inner, out.len(), max_name_len);
    out.resize(out.len() + padding, 0);
    out
}

/// Section 6.1.3: bytes of padding for an EncodedClientHelloInner of `encoded_len`
/// bytes. With maximum_name_length L: L - D for a server name of D bytes (at least
/// 0), L + 9 without server_name; then up to a multiple of 32.
fn padding_len(inner: &ClientHello, encoded_len: usize, max_name_len: u8) -> usize {
    let max = usize::from(max_name_len);
    let sni = match inner.server_name() {
        Some(_) => max.saturating_sub(inner.host_name().map_or(0, <[u8]>::len)),
        None => max + 9,
    };
    let len = encoded_len + sni;
    sni + (31 - (len.saturating_sub(1) % 32))
}

/// The length of the ClientHello at the start of an EncodedClientHelloInner: up to
/// the end of its extensions block, which a ClientHelloInner always has (it carries
/// encrypted_client_hello).
fn client_hello_len(encoded: &[u8]) -> Result<usize, DecodeError> {
    let mut r = Reader::new(encoded, "EncodedClientHelloInner");
    r.u16("legacy_version")?;
    r.take(32, "random")?;
    r.vec_u8("legacy_session_id")?;
    r.vec_u16("cipher_suites")?;
    r.vec_u8("legacy_compression_methods")?;
    r.vec_u16("extensions")?;
    Ok(r.offset())
}

/// Reconstructs ClientHelloInner from a decrypted EncodedClientHelloInner and the
/// ClientHelloOuter it came in (sections 5.1 and 7.1).
///
/// Fails with illegal_parameter on: non-zero padding; ech_outer_extensions in
/// ClientHelloOuter; an ech_outer_extensions reference to an extension missing from
/// ClientHelloOuter, referenced twice, to encrypted_client_hello, or out of
/// ClientHelloOuter's order; a rebuilt extension list with a type twice or
/// pre_shared_key not last; no inner encrypted_client_hello extension; and an offer
/// of TLS 1.2 or below. A ClientHello that does not decode is a decode error.
pub fn decode_inner(encoded: &[u8], outer: &ClientHello) -> Result<ClientHello, Error> {
    refuse_outer_extensions(outer)?;
    let hello_len = client_hello_len(encoded)?;
    let (hello_bytes, padding) = encoded
        .split_at_checked(hello_len)
        .unwrap_or((encoded, &[]));
    if let Some(at) = padding.iter().position(|&b| b != 0) {
        return Err(EchError::NonZeroPadding {
            offset: hello_len.saturating_add(at),
        }
        .into());
    }
    let mut r = Reader::new(hello_bytes, "EncodedClientHelloInner");
    let mut inner = ClientHello::read(&mut r)?;
    r.expect_empty("extensions")?;

    if let Some(at) = inner
        .extensions
        .iter()
        .position(|e| e.ext_type() == ExtensionType::EchOuterExtensions)
    {
        let mut extensions = Vec::with_capacity(inner.extensions.len() + outer.extensions.len());
        let mut rest = inner.extensions.drain(..);
        extensions.extend(rest.by_ref().take(at));
        if let Some(ClientExtension::Unknown { data, .. }) = rest.next() {
            expand_outer_extensions(&data, outer, &mut extensions)?;
        }
        extensions.extend(rest);
        inner.extensions = extensions;
        // The rebuilt list must obey the rules the decoder enforces (RFC 8446, 4.2 and
        // 4.2.11): decode it again.
        let bytes = inner.to_bytes();
        let mut r = Reader::new(&bytes, "ClientHelloInner");
        inner = ClientHello::read(&mut r)?;
        r.expect_empty("extensions")?;
    }
    inner.session_id = outer.session_id.clone();
    check_inner(&inner)?;
    Ok(inner)
}

/// Replaces ech_outer_extensions (whose body is `data`) by the extensions of `outer`
/// it references, appended to `out`. Linear time, as Appendix A asks: one pass over
/// the references with a precomputed index of `outer`'s extensions, each reference
/// moving forward through `outer`.
fn expand_outer_extensions(
    data: &[u8],
    outer: &ClientHello,
    out: &mut Vec<ClientExtension>,
) -> Result<(), Error> {
    // ExtensionType OuterExtensions<2..254>
    let mut r = Reader::new(data, "OuterExtensions");
    let mut list = r.sub_u8("OuterExtensions")?;
    r.expect_empty("OuterExtensions")?;
    let length = list.remaining();
    if !length.is_multiple_of(2) {
        let kind = DecodeErrorKind::BadVectorLength {
            length,
            element_size: 2,
        };
        return Err(list.error("OuterExtensions", kind).into());
    }
    list.expect_nonempty("OuterExtensions")?;

    let mut index: HashMap<ExtensionType, usize> = HashMap::with_capacity(outer.extensions.len());
    for (i, e) in outer.extensions.iter().enumerate() {
        index.entry(e.ext_type()).or_insert(i);
    }
    let mut seen = HashSet::with_capacity(length / 2);
    let mut next = 0usize;
    let mut previous: Option<ExtensionType> = None;
    while !list.is_empty() {
        let typ = ExtensionType::read(&mut list)?;
        if typ == ExtensionType::EncryptedClientHello {
            return Err(EchError::OuterExtensionIsEch.into());
        }
        if !seen.insert(typ) {
            return Err(EchError::OuterExtensionTwice {
                extension: ext_name(typ),
            }
            .into());
        }
        let Some(&at) = index.get(&typ) else {
            return Err(EchError::OuterExtensionMissing {
                extension: ext_name(typ),
            }
            .into());
        };
        let (Some(ext), true) = (outer.extensions.get(at), at >= next) else {
            return Err(EchError::OuterExtensionOutOfOrder {
                extension: ext_name(typ),
                after: previous.map(ext_name).unwrap_or_default(),
            }
            .into());
        };
        out.push(ext.clone());
        next = at + 1;
        previous = Some(typ);
    }
    Ok(())
}

/// Section 7.1: ClientHelloInner carries the inner encrypted_client_hello extension
/// and does not offer TLS 1.2 or below (GREASE values, RFC 8701, are all above).
fn check_inner(inner: &ClientHello) -> Result<(), Error> {
    match ech_extension(inner) {
        None => return Err(EchError::MissingInnerMarker.into()),
        Some([TYPE_INNER]) => {}
        Some(_) => return Err(EchError::BadInnerMarker.into()),
    }
    let Some(versions) = inner.supported_versions() else {
        return Err(EchError::InnerWithoutSupportedVersions.into());
    };
    if let Some(&version) = versions
        .iter()
        .find(|v| v.to_wire() < ProtocolVersion::TLSv1_3.to_wire())
    {
        return Err(EchError::InnerOffersOldVersion { version }.into());
    }
    Ok(())
}

/// The handshake message (with its 4-byte header) of a reconstructed
/// ClientHelloInner: what goes in the transcript in its place (section 6.1.5).
pub fn inner_handshake_bytes(inner: &ClientHello) -> Vec<u8> {
    let mut out = Vec::new();
    HandshakeType::ClientHello.encode(&mut out);
    with_u24_len(&mut out, |o| inner.encode(o));
    out
}

/// Section 5.2: ClientHelloOuterAAD, the ClientHelloOuter body (no handshake header)
/// with the encrypted_client_hello payload replaced by as many zeros.
pub fn outer_aad(outer: &ClientHello) -> Result<Vec<u8>, Error> {
    let body = ech_extension(outer).ok_or(EchError::NoEchExtension)?;
    let offer = read_outer(body)?;
    let zeroed = EchClientHello::Outer {
        kdf: offer.kdf,
        aead: offer.aead,
        config_id: offer.config_id,
        enc: offer.enc,
        payload: vec![0; offer.payload.len()],
    }
    .encode();
    let mut aad = outer.clone();
    if let Some(data) = ech_extension_mut(&mut aad) {
        *data = zeroed;
    }
    Ok(aad.to_bytes())
}

// ---------------------------------------------------------------------------------
// Client-facing server (sections 7.1 and 7.1.1)
// ---------------------------------------------------------------------------------

/// What a client-facing server keeps after accepting ECH: the HPKE context, to open
/// the second ClientHelloOuter after HelloRetryRequest (section 7.1.1), and what that
/// hello must repeat.
pub struct EchServerState {
    context: ReceiverContext,
    config_id: u8,
    kdf: u16,
    aead: u16,
}

impl EchServerState {
    /// The config_id of the configuration that decrypted the first ClientHelloOuter.
    pub fn config_id(&self) -> u8 {
        self.config_id
    }

    /// The HPKE suite in use.
    pub fn suite(&self) -> HpkeSuite {
        self.context.suite()
    }
}

impl fmt::Debug for EchServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EchServerState")
            .field("config_id", &self.config_id)
            .field("context", &self.context)
            .finish()
    }
}

/// Section 7.1: decrypts the first ClientHelloOuter with the server's keys.
///
/// `Ok(None)` when there is no encrypted_client_hello extension, or when no key
/// whose config_id matches and whose configuration lists the offered suite opens
/// the payload (possibly GREASE): the server then goes on with ClientHelloOuter
/// and, having keys, sends retry configurations ([`retry_configs`]). On success,
/// the reconstructed ClientHelloInner (see [`decode_inner`]; any failure there is
/// fatal) and the state for the second hello.
///
/// Errors: an inner extension from the network, an unknown type or
/// ech_outer_extensions in ClientHelloOuter (illegal_parameter); a malformed
/// extension (decode_error).
pub fn server_open_first<K: AsRef<EchKeys>>(
    keys: &[K],
    outer: &ClientHello,
) -> Result<Option<(ClientHello, EchServerState)>, Error> {
    let Some(body) = ech_extension(outer) else {
        return Ok(None);
    };
    let OuterOffer {
        kdf,
        aead,
        config_id,
        enc,
        payload,
    } = read_outer(body)?;
    refuse_outer_extensions(outer)?;
    let aad = outer_aad(outer)?;
    for keys in keys.iter().map(AsRef::as_ref) {
        let config = &keys.config;
        if config.config_id != config_id {
            continue;
        }
        let Some(suite) = config.suite_for(kdf, aead) else {
            continue;
        };
        let Ok(mut context) = setup_base_receiver(suite, &enc, &keys.keypair, &config.hpke_info())
        else {
            continue;
        };
        let Ok(encoded) = context.open(&aad, &payload) else {
            continue;
        };
        let encoded = Zeroizing::new(encoded);
        let inner = decode_inner(&encoded, outer)?;
        let state = EchServerState {
            context,
            config_id,
            kdf,
            aead,
        };
        return Ok(Some((inner, state)));
    }
    Ok(None)
}

/// Section 7.1.1: decrypts the second ClientHelloOuter (after HelloRetryRequest)
/// with the context of the first, and reconstructs the second ClientHelloInner.
///
/// Errors: no encrypted_client_hello extension (missing_extension); a changed
/// cipher suite or config_id, or a non-empty enc (illegal_parameter); a payload
/// that does not open (decrypt_error); and those of [`decode_inner`].
pub fn server_open_second(
    state: &mut EchServerState,
    outer2: &ClientHello,
) -> Result<ClientHello, Error> {
    let body = ech_extension(outer2).ok_or(EchError::MissingInSecondHello)?;
    let OuterOffer {
        kdf,
        aead,
        config_id,
        enc,
        payload,
    } = read_outer(body)?;
    if (kdf, aead) != (state.kdf, state.aead) {
        let suite = |kdf: u16, aead: u16| format!("KDF {kdf:#06x} with AEAD {aead:#06x}");
        return Err(EchError::SecondHelloChanged {
            what: "cipher suite",
            first: suite(state.kdf, state.aead),
            second: suite(kdf, aead),
        }
        .into());
    }
    if config_id != state.config_id {
        return Err(EchError::SecondHelloChanged {
            what: "config_id",
            first: state.config_id.to_string(),
            second: config_id.to_string(),
        }
        .into());
    }
    if !enc.is_empty() {
        return Err(EchError::SecondHelloHasEnc { length: enc.len() }.into());
    }
    refuse_outer_extensions(outer2)?;
    let aad = outer_aad(outer2)?;
    let encoded =
        state
            .context
            .open(&aad, &payload)
            .map_err(|_| EchError::SecondHelloDecryptFailed {
                config_id: state.config_id,
            })?;
    decode_inner(&Zeroizing::new(encoded), outer2)
}

// ---------------------------------------------------------------------------------
// Client (sections 6.1 and 6.1.1)
// ---------------------------------------------------------------------------------

/// A client's ECH offer to one configuration: the HPKE sender context and `enc`,
/// set up once and used for both ClientHelloOuters (section 6.1.5).
pub struct EchSender {
    config: EchConfig,
    suite: HpkeSuite,
    context: SenderContext,
    enc: Vec<u8>,
}

impl fmt::Debug for EchSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EchSender")
            .field("config_id", &self.config.config_id)
            .field("public_name", &self.config.public_name)
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

impl EchSender {
    /// Section 6.1: selects the configuration's first suite we implement and sets up
    /// the HPKE context to its public key, with randomness from `provider`.
    pub fn new(config: &EchConfig, provider: &Provider) -> Result<Self, Error> {
        let suite = config
            .select_suite()
            .ok_or_else(|| EchError::NoUsableConfig {
                skipped: vec![SkippedConfig {
                    position: 1,
                    reason: SkipReason::NoSupportedSuite {
                        config_id: config.config_id,
                        suites: config.cipher_suites.clone(),
                    },
                }],
            })?;
        let (enc, context) = setup_base_sender(
            suite,
            &config.public_key,
            &config.hpke_info(),
            &*provider.random,
        )
        .map_err(|e| hpke_error("SetupBaseS", e))?;
        Ok(EchSender {
            config: config.clone(),
            suite,
            context,
            enc,
        })
    }

    /// The configuration offered to: its public_name goes in the outer server_name.
    pub fn config(&self) -> &EchConfig {
        &self.config
    }

    pub fn suite(&self) -> HpkeSuite {
        self.suite
    }

    /// The HPKE encapsulated key sent in the first ClientHelloOuter.
    pub fn enc(&self) -> &[u8] {
        &self.enc
    }

    /// Section 6.1.1: completes `outer` (a ClientHelloOuter complete but for ECH)
    /// with the outer encrypted_client_hello extension sealing `encoded_inner` (from
    /// [`encode_inner`]). The extension goes last, or just before pre_shared_key; if
    /// `outer` already has one (copied from the first ClientHelloOuter), it is
    /// replaced where it is. `first` is false for the hello after HelloRetryRequest,
    /// which sends an empty enc (section 6.1.5); call this once for each hello, in
    /// order, as the HPKE context counts them.
    pub fn seal_outer(
        &mut self,
        mut outer: ClientHello,
        encoded_inner: &[u8],
        first: bool,
    ) -> Result<ClientHello, Error> {
        let ext = |payload: Vec<u8>| EchClientHello::Outer {
            kdf: self.suite.kdf_id(),
            aead: self.suite.aead_id(),
            config_id: self.config.config_id,
            enc: if first { self.enc.clone() } else { Vec::new() },
            payload,
        };
        let placeholder = ext(vec![0; encoded_inner.len() + AEAD_TAG_LEN]);
        match ech_extension_mut(&mut outer) {
            Some(data) => *data = placeholder.encode(),
            None => {
                let at = match outer.extensions.last() {
                    Some(ClientExtension::PreSharedKey(_)) => outer.extensions.len() - 1,
                    _ => outer.extensions.len(),
                };
                outer.extensions.insert(at, placeholder.to_extension());
            }
        }
        // Section 5.2: the AAD is the hello with the payload as zeros.
        let aad = outer.to_bytes();
        let payload = self
            .context
            .seal(&aad, encoded_inner)
            .map_err(|e| hpke_error("Seal", e))?;
        let expected = encoded_inner.len() + AEAD_TAG_LEN;
        if payload.len() != expected {
            return Err(EchError::Hpke {
                operation: "Seal",
                reason: format!(
                    "the ciphertext is {} bytes instead of the expected {expected}",
                    payload.len()
                ),
            }
            .into());
        }
        if let Some(data) = ech_extension_mut(&mut outer) {
            *data = ext(payload).encode();
        }
        Ok(outer)
    }
}

// ---------------------------------------------------------------------------------
// Acceptance signals (sections 7.2 and 7.2.1)
// ---------------------------------------------------------------------------------

/// Section 7.2: accept_confirmation, the last 8 bytes of ServerHello.random when the
/// backend server accepted ECH. `transcript_hash` is the hash (with `hash`) of
/// ClientHelloInner .. ServerHello with those 8 bytes zeroed (a hash output: at
/// most 255 bytes, as HKDF-Expand-Label requires).
pub fn accept_confirmation(
    hash: HashAlgorithm,
    inner_random: &[u8; 32],
    transcript_hash: &[u8],
) -> [u8; 8] {
    confirmation(
        hash,
        inner_random,
        b"ech accept confirmation",
        transcript_hash,
    )
}

/// Section 7.2.1: hrr_accept_confirmation, the body of the encrypted_client_hello
/// extension in a HelloRetryRequest. `transcript_hash` covers ClientHelloInner1 ..
/// HelloRetryRequest with that body zeroed.
pub fn hrr_accept_confirmation(
    hash: HashAlgorithm,
    inner_random: &[u8; 32],
    transcript_hash: &[u8],
) -> [u8; 8] {
    confirmation(
        hash,
        inner_random,
        b"hrr ech accept confirmation",
        transcript_hash,
    )
}

/// HKDF-Expand-Label(HKDF-Extract(0, ClientHelloInner.random), label,
/// transcript_hash, 8), where 0 is Hash.length zero bytes.
fn confirmation(
    hash: HashAlgorithm,
    inner_random: &[u8; 32],
    label: &[u8],
    transcript_hash: &[u8],
) -> [u8; 8] {
    let zeros = [0u8; 64];
    let salt = zeros.get(..hash.output_len()).unwrap_or(&zeros);
    let prk = hkdf_extract(hash, salt, inner_random);
    let okm = hkdf_expand_label(hash, prk.as_bytes(), label, transcript_hash, 8);
    let mut out = [0u8; 8];
    out.iter_mut()
        .zip(okm.as_bytes())
        .for_each(|(o, b)| *o = *b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::time::Duration;
    use rustls_pki_types::UnixTime;

    use crate::msgs::enums::{
        AlertDescription as A, CipherSuite, NamedGroup, ServerNameType, SignatureScheme,
    };
    use crate::msgs::extensions::{KeyShareEntry, OfferedPsks, PskIdentity, ServerNameEntry};
    use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};

    const V13: ProtocolVersion = ProtocolVersion::TLSv1_3;

    fn provider(seed: u64) -> Provider {
        Provider::fixed(
            seed,
            UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000)),
        )
    }

    fn make_keys(config_id: u8, seed: u64) -> EchKeys {
        EchKeys::generate("public.example", config_id, &provider(seed)).unwrap()
    }

    /// The text and alert of an error.
    fn said(e: Error) -> (String, Option<A>) {
        (e.to_string(), e.alert())
    }

    fn sni(name: &[u8]) -> ClientExtension {
        ClientExtension::ServerName(vec![ServerNameEntry {
            name_type: ServerNameType::HostName,
            name: name.to_vec(),
        }])
    }

    fn share(byte: u8) -> ClientExtension {
        ClientExtension::KeyShare(vec![KeyShareEntry {
            group: NamedGroup::X25519,
            payload: vec![byte; 32],
        }])
    }

    fn inner_hello() -> ClientHello {
        ClientHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: [0x11; 32],
            session_id: vec![0x22; 32],
            cipher_suites: vec![
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            ],
            compression_methods: vec![0],
            extensions: vec![
                sni(b"secret.example"),
                ClientExtension::SupportedGroups(vec![NamedGroup::X25519]),
                share(0x33),
                ClientExtension::SupportedVersions(vec![V13]),
                ClientExtension::SignatureAlgorithms(vec![SignatureScheme::ED25519]),
                ClientExtension::Alpn(vec![b"h2".to_vec()]),
                inner_extension(),
            ],
            empty_extensions_block: false,
        }
    }

    /// A ClientHelloOuter for `inner` without the ECH extension: key_share and
    /// supported_versions copied in the same relative order, not adjacent.
    fn outer_hello(inner: &ClientHello) -> ClientHello {
        ClientHello {
            random: [0x44; 32],
            extensions: vec![
                sni(b"public.example"),
                share(0x33),
                ClientExtension::SupportedGroups(vec![NamedGroup::X25519]),
                ClientExtension::SupportedVersions(vec![V13]),
                ClientExtension::SignatureAlgorithms(vec![SignatureScheme::ED25519]),
            ],
            ..inner.clone()
        }
    }

    /// `outer` with an outer ECH extension (placeholder payload) as a server sees it.
    fn with_ech(mut outer: ClientHello, ext: &EchClientHello) -> ClientHello {
        outer.extensions.push(ext.to_extension());
        outer
    }

    fn any_outer_ext() -> EchClientHello {
        EchClientHello::Outer {
            kdf: KDF_HKDF_SHA256,
            aead: AEAD_AES_128_GCM,
            config_id: 7,
            enc: vec![1; 32],
            payload: vec![2; 48],
        }
    }

    const COMPRESS: [ExtensionType; 2] =
        [ExtensionType::KeyShare, ExtensionType::SupportedVersions];

    // --- ECHConfig -----------------------------------------------------------------

    /// One ECHConfig built field by field, so tests can break any of them.
    struct Raw {
        version: u16,
        config_id: u8,
        kem: u16,
        key: Vec<u8>,
        suites: Vec<(u16, u16)>,
        max: u8,
        name: Vec<u8>,
        exts: Vec<(u16, Vec<u8>)>,
    }

    impl Raw {
        fn new(config_id: u8) -> Self {
            Raw {
                version: ECH_VERSION,
                config_id,
                kem: KEM_X25519_HKDF_SHA256,
                key: vec![0x5a; 32],
                suites: vec![(KDF_HKDF_SHA256, AEAD_AES_128_GCM)],
                max: 0,
                name: b"public.example".to_vec(),
                exts: vec![],
            }
        }

        fn bytes(&self) -> Vec<u8> {
            let mut out = Vec::new();
            put_u16(&mut out, self.version);
            with_u16_len(&mut out, |o| {
                put_u8(o, self.config_id);
                put_u16(o, self.kem);
                put_vec_u16(o, &self.key);
                with_u16_len(o, |o| {
                    for &(kdf, aead) in &self.suites {
                        put_u16(o, kdf);
                        put_u16(o, aead);
                    }
                });
                put_u8(o, self.max);
                put_vec_u8(o, &self.name);
                with_u16_len(o, |o| {
                    for (typ, data) in &self.exts {
                        put_u16(o, *typ);
                        put_vec_u16(o, data);
                    }
                });
            });
            out
        }
    }

    fn list(configs: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        with_u16_len(&mut out, |o| configs.iter().for_each(|c| o.extend(c)));
        out
    }

    #[test]
    fn config_list_round_trip() {
        let mut raw = Raw::new(9);
        raw.max = 42;
        raw.suites = vec![
            (0x0003, AEAD_AES_128_GCM),
            (KDF_HKDF_SHA256, AEAD_CHACHA20_POLY1305),
        ];
        raw.exts = vec![(0x1234, vec![1, 2, 3]), (0x0001, vec![])];
        let one = raw.bytes();
        let two = Raw::new(10).bytes();
        let bytes = list(&[one.clone(), two.clone()]);
        let configs = parse_config_list(&bytes).unwrap();
        assert_eq!(configs.len(), 2);
        let c = &configs[0];
        assert_eq!(c.encoded(), one.as_slice());
        assert_eq!(c.config_id, 9);
        assert_eq!(c.kem_id, KEM_X25519_HKDF_SHA256);
        assert_eq!(c.public_key, vec![0x5a; 32]);
        assert_eq!(c.maximum_name_length, 42);
        assert_eq!(c.public_name, "public.example");
        assert_eq!(c.extensions, raw.exts);
        // Section 6.1: the first suite we implement, in the configuration's order.
        let suite = c.select_suite().unwrap();
        assert_eq!(
            (suite.kem_id(), suite.kdf_id(), suite.aead_id()),
            (0x0020, 0x0001, 0x0003)
        );
        assert_eq!(c.hpke_info(), [&b"tls ech\0"[..], &one].concat());
        assert_eq!(encode_config_list(&[&configs[0], &configs[1]]), bytes);
        assert_eq!(configs[1].encoded(), two.as_slice());

        // A generated configuration survives the same trip.
        let keys = make_keys(3, 1);
        let parsed = parse_config_list(&keys.config_list()).unwrap();
        assert_eq!(parsed, vec![keys.config().clone()]);
        assert_eq!(parsed[0].cipher_suites, GENERATED_SUITES.to_vec());
        assert_eq!(
            retry_configs(&[&keys, &keys]).len(),
            2 + 2 * keys.config().encoded().len()
        );
        assert_eq!(
            retry_configs(&[std::sync::Arc::new(make_keys(4, 2))]).len(),
            2 + parsed[0].encoded().len()
        );
    }

    /// Each skip rule, alone next to a good configuration, and all of them together.
    #[test]
    fn config_skip_rules() {
        let good = Raw::new(1).bytes();
        let mut cases: Vec<(Raw, &str)> = Vec::new();
        let mut r = Raw::new(2);
        r.version = 0xfe0c;
        cases.push((r, "has ECH version 0xfe0c; ferrotls supports only 0xfe0d"));
        let mut r = Raw::new(3);
        r.exts = vec![(0x0005, vec![]), (0x0005, vec![1])];
        cases.push((r, "(config_id 3) has extension 0x0005 more than once"));
        let mut r = Raw::new(4);
        r.exts = vec![(0x8001, vec![])];
        cases.push((
            r,
            "(config_id 4) has the mandatory extension 0x8001, which ferrotls does not support",
        ));
        let mut r = Raw::new(5);
        r.kem = 0x0012;
        cases.push((
            r,
            "(config_id 5) uses HPKE KEM 0x0012, which ferrotls does not support",
        ));
        let mut r = Raw::new(6);
        r.key = vec![1; 31];
        cases.push((
            r,
            "(config_id 6) has a 31-byte public key, the wrong size for HPKE KEM 0x0020",
        ));
        let mut r = Raw::new(7);
        r.suites = vec![(0x0003, 0x0001), (0x0001, 0xffff)];
        cases.push((r, "(config_id 7) offers only HPKE cipher suites ferrotls does not support: KDF 0x0003 with AEAD 0x0001, KDF 0x0001 with AEAD 0xffff"));
        let names: [(&[u8], &str); 11] = [
            (
                b"192.0.2.1",
                "its last label is all digits, so it could be read as an IPv4 address",
            ),
            (
                b"example.0x1f",
                "its last label is 0x and hex digits, so it could be read as an IPv4 address",
            ),
            (
                b"example.0X",
                "its last label is 0x and hex digits, so it could be read as an IPv4 address",
            ),
            (b"-a.example", "a label begins or ends with a hyphen"),
            (b"a-.example", "a label begins or ends with a hyphen"),
            (
                b"a..example",
                "it begins or ends with a dot, or has an empty label",
            ),
            (
                b".example",
                "it begins or ends with a dot, or has an empty label",
            ),
            (
                b"example.",
                "it begins or ends with a dot, or has an empty label",
            ),
            (
                b"exa_mple.com",
                "it contains a character other than ASCII letters, digits, hyphens and dots",
            ),
            (
                b"caf\xc3\xa9.example",
                "it contains a character other than ASCII letters, digits, hyphens and dots",
            ),
            (&[b'a'; 64], "a label is longer than 63 bytes"),
        ];
        for (name, reason) in names {
            let mut r = Raw::new(8);
            r.name = name.to_vec();
            let shown = format!("{:?}", String::from_utf8_lossy(name));
            let text = format!("(config_id 8) has the public name {shown}, which is not a valid DNS host name: {reason}");
            let configs = parse_config_list(&list(&[r.bytes(), good.clone()])).unwrap();
            assert_eq!(configs.len(), 1, "{text}");
            assert_eq!(configs[0].config_id, 1);
            let err = parse_config_list(&list(&[r.bytes()])).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("none of the 1 ECH configuration(s) can be used: configuration 1 {text}")
            );
        }
        for (raw, reason) in &cases {
            // Skipped, and the configuration after it is still found.
            let configs = parse_config_list(&list(&[raw.bytes(), good.clone()])).unwrap();
            assert_eq!(configs.len(), 1, "{reason}");
            assert_eq!(configs[0].config_id, 1);
        }
        // Names that are fine: digits and 0x are allowed before the last label.
        for name in [
            "a",
            "0x1.example",
            "123.example",
            "x-1.example",
            "example.0xg",
        ] {
            let mut r = Raw::new(1);
            r.name = name.as_bytes().to_vec();
            assert_eq!(
                parse_config_list(&list(&[r.bytes()])).unwrap()[0].public_name,
                name
            );
        }
        let all: Vec<Vec<u8>> = cases.iter().map(|(r, _)| r.bytes()).collect();
        let err = parse_config_list(&list(&all)).unwrap_err();
        let reasons: Vec<String> = cases
            .iter()
            .enumerate()
            .map(|(i, (_, reason))| format!("configuration {} {reason}", i + 1))
            .collect();
        assert_eq!(
            err.to_string(),
            format!(
                "none of the 6 ECH configuration(s) can be used: {}",
                reasons.join("; ")
            )
        );
        assert_eq!(said(err.into()).1, None);
    }

    #[test]
    fn many_unusable_configs_are_summarised() {
        // 16383 empty configurations of another version fill a 64 KiB list; the
        // error keeps every reason but its message names only the first 8.
        let other = vec![0xfe, 0x0c, 0x00, 0x00];
        let bytes = list(&vec![other; 16383]);
        assert_eq!(bytes.len(), 65534);
        let err = parse_config_list(&bytes).unwrap_err();
        let EchError::NoUsableConfig { skipped } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(skipped.len(), 16383);
        assert_eq!(skipped[16382].position, 16383);
        let reasons: Vec<String> = (1..=8)
            .map(|i| {
                format!("configuration {i} has ECH version 0xfe0c; ferrotls supports only 0xfe0d")
            })
            .collect();
        assert_eq!(
            err.to_string(),
            format!(
                "none of the 16383 ECH configuration(s) can be used: {}; and 16375 more",
                reasons.join("; ")
            )
        );
        // One configuration of 16360 suites, none of them ours.
        let mut raw = Raw::new(7);
        raw.suites = (0..16360).map(|i| (0x0003, i)).collect();
        let err = parse_config_list(&list(&[raw.bytes()])).unwrap_err();
        let EchError::NoUsableConfig { skipped } = &err else {
            panic!("{err:?}");
        };
        let SkipReason::NoSupportedSuite { suites, .. } = &skipped[0].reason else {
            panic!("{skipped:?}");
        };
        assert_eq!(suites.len(), 16360);
        let named: Vec<String> = (0..8)
            .map(|i| format!("KDF 0x0003 with AEAD {i:#06x}"))
            .collect();
        assert_eq!(
            err.to_string(),
            format!(
                "none of the 1 ECH configuration(s) can be used: configuration 1 (config_id 7) \
                 offers only HPKE cipher suites ferrotls does not support: {} and 16352 more",
                named.join(", ")
            )
        );
        // Exactly 8 are all named.
        let err = parse_config_list(&list(&vec![vec![0xfe, 0x0c, 0x00, 0x00]; 8])).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "none of the 8 ECH configuration(s) can be used: {}",
                reasons.join("; ")
            )
        );
    }

    #[test]
    fn malformed_config_lists() {
        let good = Raw::new(1).bytes();
        let mut empty_name = Raw::new(1);
        empty_name.name = vec![];
        let mut empty_key = Raw::new(1);
        empty_key.key = vec![];
        let mut odd_suites = Raw::new(1);
        odd_suites.suites = vec![];
        let mut odd = odd_suites.bytes();
        // cipher_suites length 0 -> 2 with two extra bytes: not a multiple of 4.
        let at = 4 + 1 + 2 + 2 + 32;
        odd[at + 1] = 2;
        odd.splice(at + 2..at + 2, [0, 1]);
        odd[3] += 2;
        let mut trailing = good.clone();
        trailing.push(0);
        trailing[3] += 1;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "field ECHConfigList at byte 0: needs 2 byte(s) but only 0 remain (message cut short)"),
            (vec![0, 0], "field ECHConfigList at byte 2: length 0 is below the minimum of 4"),
            (vec![0, 3, 0xfe, 0x0d, 0], "field ECHConfigList at byte 2: length 3 is below the minimum of 4"),
            ([list(std::slice::from_ref(&good)), vec![0]].concat(), "field ECHConfigList at byte 67: 1 unexpected byte(s) after the end"),
            (list(&[good[..good.len() - 1].to_vec()]), "field length at byte 6: needs 61 byte(s) but only 60 remain (message cut short)"),
            (list(&[empty_name.bytes()]), "field public_name at byte 51: must not be empty"),
            (list(&[empty_key.bytes()]), "field public_key at byte 11: must not be empty"),
            (list(&[odd_suites.bytes()]), "field cipher_suites at byte 45: must not be empty"),
            (list(&[odd]), "field cipher_suites at byte 45: length 2 is not a multiple of the element size 4"),
            (list(&[trailing]), "field ECHConfigContents at byte 67: 1 unexpected byte(s) after the end"),
        ];
        for (bytes, text) in cases {
            let err = parse_config_list(&bytes).unwrap_err();
            assert!(matches!(err, EchError::MalformedConfigList(_)));
            assert_eq!(
                said(err.into()),
                (
                    format!("the ECH configuration list could not be read: malformed ECHConfigList: {text}"),
                    Some(A::DecodeError)
                )
            );
            assert!(check_retry_configs(&bytes).is_err());
        }
        // Section 6.1.6: a well-formed list we cannot use is not an error for retry_configs.
        let mut unknown = Raw::new(1);
        unknown.version = 0xff00;
        check_retry_configs(&list(&[unknown.bytes()])).unwrap();
        check_retry_configs(&list(&[good])).unwrap();
    }

    // --- The extension ---------------------------------------------------------------

    #[test]
    fn ech_client_hello_codec() {
        let outer = any_outer_ext();
        let bytes = outer.encode();
        assert_eq!(bytes[..6], [0, 0, 1, 0, 1, 7]);
        assert_eq!(EchClientHello::read(&bytes).unwrap(), outer);
        assert_eq!(EchClientHello::Inner.encode(), [1]);
        assert_eq!(EchClientHello::read(&[1]).unwrap(), EchClientHello::Inner);
        assert_eq!(
            inner_extension(),
            ClientExtension::Unknown {
                typ: ExtensionType::EncryptedClientHello,
                data: vec![1]
            }
        );
        // An empty enc is fine (second ClientHelloOuter).
        let second = EchClientHello::Outer {
            kdf: 1,
            aead: 1,
            config_id: 0,
            enc: vec![],
            payload: vec![9],
        };
        assert_eq!(EchClientHello::read(&second.encode()).unwrap(), second);
        for n in 0..bytes.len() {
            assert!(
                EchClientHello::read(&bytes[..n]).is_err(),
                "{n}-byte prefix"
            );
        }
        let cases: Vec<(Vec<u8>, &str, A)> = vec![
            (vec![2], "peer's encrypted_client_hello extension has type 2; only outer (0) and inner (1) are defined", A::IllegalParameter),
            (vec![1, 0], "peer sent a malformed ECHClientHello: field ECHClientHello at byte 1: 1 unexpected byte(s) after the end", A::DecodeError),
            ([&bytes[..], &[0]].concat(), "peer sent a malformed ECHClientHello: field ECHClientHello at byte 90: 1 unexpected byte(s) after the end", A::DecodeError),
            (vec![0, 0, 1, 0, 1, 7, 0, 0, 0, 0], "peer sent a malformed ECHClientHello: field payload at byte 10: must not be empty", A::DecodeError),
            (vec![], "peer sent a malformed ECHClientHello: field type at byte 0: needs 1 byte(s) but only 0 remain (message cut short)", A::DecodeError),
        ];
        for (body, text, alert) in cases {
            assert_eq!(
                said(EchClientHello::read(&body).unwrap_err()),
                (text.to_string(), Some(alert))
            );
        }
        let ch = with_ech(outer_hello(&inner_hello()), &outer);
        assert_eq!(ech_extension(&ch), Some(bytes.as_slice()));
        assert_eq!(ech_extension(&inner_hello()), Some(&[1u8][..]));
        assert_eq!(ech_extension(&outer_hello(&inner_hello())), None);
    }

    /// 0xfd00 from the network decodes and stays `Unknown`; the ECH code refuses it
    /// in ClientHelloOuter.
    #[test]
    fn ech_outer_extensions_from_the_network() {
        assert_eq!(
            ExtensionType::from_wire(0xfd00),
            ExtensionType::EchOuterExtensions
        );
        assert_eq!(ExtensionType::EchOuterExtensions.to_wire(), 0xfd00);
        assert_eq!(
            ext_name(ExtensionType::EchOuterExtensions),
            "ech_outer_extensions"
        );
        let mut outer = with_ech(outer_hello(&inner_hello()), &any_outer_ext());
        outer.extensions.insert(
            0,
            ClientExtension::Unknown {
                typ: ExtensionType::EchOuterExtensions,
                data: vec![2, 0, 0x33],
            },
        );
        let wire = HandshakeMessage::new(HandshakePayload::ClientHello(outer.clone())).to_bytes();
        let decoded = match HandshakeMessage::read_tls13(&wire).unwrap().payload {
            HandshakePayload::ClientHello(ch) => ch,
            other => panic!("{other:?}"),
        };
        assert_eq!(decoded, outer);
        let text = "peer's ClientHelloOuter contains the ech_outer_extensions extension, which may appear only inside an EncodedClientHelloInner";
        let keys = [make_keys(7, 1)];
        assert_eq!(
            said(server_open_first(&keys, &decoded).unwrap_err()),
            (text.to_string(), Some(A::IllegalParameter))
        );
        let encoded = encode_inner(&inner_hello(), &[], 0);
        assert_eq!(said(decode_inner(&encoded, &decoded).unwrap_err()).0, text);
    }

    // --- EncodedClientHelloInner --------------------------------------------------------

    #[test]
    fn inner_round_trip_without_compression() {
        let inner = inner_hello();
        let outer = outer_hello(&inner);
        let encoded = encode_inner(&inner, &[], 0);
        assert_eq!(encoded.len() % 32, 0);
        // The session ID is left out; the rest is the hello body, then zeros.
        let mut plain = inner.clone();
        plain.session_id.clear();
        let body = plain.to_bytes();
        assert_eq!(&encoded[..body.len()], body.as_slice());
        assert!(encoded[body.len()..].iter().all(|&b| b == 0));
        let back = decode_inner(&encoded, &outer).unwrap();
        assert_eq!(back, inner);
        assert_eq!(
            inner_handshake_bytes(&back),
            HandshakeMessage::new(HandshakePayload::ClientHello(inner)).to_bytes()
        );
    }

    #[test]
    fn inner_round_trip_with_compression() {
        let inner = inner_hello();
        let outer = outer_hello(&inner);
        let encoded = encode_inner(&inner, &COMPRESS, 0);
        let uncompressed = encode_inner(&inner, &[], 0);
        assert!(encoded.len() < uncompressed.len());
        // The two are replaced by one ech_outer_extensions at their position.
        let mut r = Reader::new(&encoded[..client_hello_len(&encoded).unwrap()], "test");
        let seen = ClientHello::read(&mut r).unwrap();
        let types: Vec<ExtensionType> = seen.extensions.iter().map(|e| e.ext_type()).collect();
        assert_eq!(
            types,
            [
                ExtensionType::ServerName,
                ExtensionType::SupportedGroups,
                ExtensionType::EchOuterExtensions,
                ExtensionType::SignatureAlgorithms,
                ExtensionType::ApplicationLayerProtocolNegotiation,
                ExtensionType::EncryptedClientHello,
            ]
        );
        assert_eq!(
            seen.extensions[2],
            ClientExtension::Unknown {
                typ: ExtensionType::EchOuterExtensions,
                data: vec![4, 0, 0x33, 0, 0x2b],
            }
        );
        assert_eq!(decode_inner(&encoded, &outer).unwrap(), inner);

        // Compressed extensions take the outer's values (both are sealed together).
        let mut outer2 = outer.clone();
        outer2.extensions[1] = share(0x99);
        let mut expected = inner.clone();
        expected.extensions[2] = share(0x99);
        assert_eq!(decode_inner(&encoded, &outer2).unwrap(), expected);

        // encrypted_client_hello and a second, separate run are never compressed: only
        // the first run (server_name alone) is, and the result still decodes.
        let odd = [
            ExtensionType::ServerName,
            ExtensionType::ApplicationLayerProtocolNegotiation,
            ExtensionType::EncryptedClientHello,
        ];
        let encoded = encode_inner(&inner, &odd, 0);
        let mut r = Reader::new(&encoded[..client_hello_len(&encoded).unwrap()], "test");
        let seen = ClientHello::read(&mut r).unwrap();
        assert_eq!(
            seen.extensions[0],
            ClientExtension::Unknown {
                typ: ExtensionType::EchOuterExtensions,
                data: vec![2, 0, 0],
            }
        );
        assert_eq!(seen.extensions.len(), inner.extensions.len());
        let mut expected = inner.clone();
        expected.extensions[0] = sni(b"public.example");
        assert_eq!(decode_inner(&encoded, &outer).unwrap(), expected);
    }

    /// An EncodedClientHelloInner whose key_share and supported_versions are replaced
    /// by an ech_outer_extensions with body `data`, at their position.
    fn encoded_with(data: Vec<u8>, mut hello: ClientHello) -> Vec<u8> {
        hello.session_id.clear();
        hello
            .extensions
            .retain(|e| !COMPRESS.contains(&e.ext_type()));
        hello.extensions.insert(
            2,
            ClientExtension::Unknown {
                typ: ExtensionType::EchOuterExtensions,
                data,
            },
        );
        hello.to_bytes()
    }

    fn refs(types: &[u16]) -> Vec<u8> {
        let mut data = vec![(2 * types.len()) as u8];
        types.iter().for_each(|t| data.extend(t.to_be_bytes()));
        data
    }

    fn decode_error(encoded: &[u8], outer: &ClientHello) -> (String, Option<A>) {
        said(decode_inner(encoded, outer).unwrap_err())
    }

    /// Section 5.1: the four checks, each its own error; and a malformed body.
    #[test]
    fn decompression_errors() {
        let outer = outer_hello(&inner_hello());
        let ill = Some(A::IllegalParameter);
        let cases: Vec<(Vec<u8>, &str, Option<A>)> = vec![
            (refs(&[0x0033, 0x0010]), "peer's ech_outer_extensions references the application_layer_protocol_negotiation extension, but ClientHelloOuter has none", ill),
            (refs(&[0x1a1a]), "peer's ech_outer_extensions references the 0x1a1a extension, but ClientHelloOuter has none", ill),
            (refs(&[0xfd00]), "peer's ech_outer_extensions references the ech_outer_extensions extension, but ClientHelloOuter has none", ill),
            (refs(&[0x0033, 0x0033]), "peer's ech_outer_extensions references the key_share extension more than once", ill),
            (refs(&[0x0033, 0xfe0d]), "peer's ech_outer_extensions references encrypted_client_hello, which must never be copied from ClientHelloOuter", ill),
            (refs(&[0x002b, 0x0033]), "peer's ech_outer_extensions lists key_share after supported_versions, but ClientHelloOuter has them in the other order", ill),
            (vec![1, 0], "peer sent a malformed OuterExtensions: field OuterExtensions at byte 1: length 1 is not a multiple of the element size 2", Some(A::DecodeError)),
            (vec![0], "peer sent a malformed OuterExtensions: field OuterExtensions at byte 1: must not be empty", Some(A::DecodeError)),
            (vec![2, 0, 0x33, 9], "peer sent a malformed OuterExtensions: field OuterExtensions at byte 3: 1 unexpected byte(s) after the end", Some(A::DecodeError)),
        ];
        for (data, text, alert) in cases {
            let encoded = encoded_with(data, inner_hello());
            assert_eq!(decode_error(&encoded, &outer), (text.to_string(), alert));
        }
        // The good references decode.
        let encoded = encoded_with(refs(&[0x0033, 0x002b]), inner_hello());
        assert_eq!(decode_inner(&encoded, &outer).unwrap(), inner_hello());
    }

    /// The rebuilt extension list must obey RFC 8446, 4.2 and 4.2.11 again.
    #[test]
    fn rebuilt_list_is_checked_again() {
        let outer = outer_hello(&inner_hello());
        // Inner keeps its own supported_groups and also references the outer one.
        let encoded = encoded_with(refs(&[0x0033, 0x000a, 0x002b]), inner_hello());
        assert_eq!(
            decode_error(&encoded, &outer),
            (
                "peer sent a malformed ClientHelloInner: field extensions at byte 118: extension 0x000a appears more than once".to_string(),
                Some(A::IllegalParameter)
            )
        );
        // pre_shared_key referenced from the outer, but not last in the inner.
        let mut outer = outer.clone();
        let psk = ClientExtension::PreSharedKey(OfferedPsks {
            identities: vec![PskIdentity {
                identity: vec![1; 16],
                obfuscated_ticket_age: 5,
            }],
            binders: vec![vec![2; 32]],
        });
        outer.extensions.push(psk);
        let encoded = encoded_with(refs(&[0x0033, 0x002b, 0x0029]), inner_hello());
        assert_eq!(
            decode_error(&encoded, &outer),
            (
                "peer sent a malformed ClientHelloInner: field extensions at byte 188: pre_shared_key must be the last extension".to_string(),
                Some(A::IllegalParameter)
            )
        );
    }

    #[test]
    fn padding_must_be_zeros() {
        let inner = inner_hello();
        let outer = outer_hello(&inner);
        let mut encoded = encode_inner(&inner, &COMPRESS, 0);
        let last = encoded.len() - 1;
        encoded[last] = 1;
        assert_eq!(
            decode_error(&encoded, &outer),
            (
                format!("peer's EncodedClientHelloInner has a non-zero padding byte at offset {last}; padding must be all zeros"),
                Some(A::IllegalParameter)
            )
        );
        // No padding at all is accepted; so is any amount of zeros.
        let mut exact = inner.clone();
        exact.session_id.clear();
        let body = exact.to_bytes();
        assert_eq!(decode_inner(&body, &outer).unwrap(), inner);
        let long = [body.clone(), vec![0; 1000]].concat();
        assert_eq!(decode_inner(&long, &outer).unwrap(), inner);
        // A ClientHello cut short is a decode error naming EncodedClientHelloInner.
        assert_eq!(
            decode_error(&body[..10], &outer),
            (
                "peer sent a malformed EncodedClientHelloInner: field random at byte 2: needs 32 byte(s) but only 8 remain (message cut short)".to_string(),
                Some(A::DecodeError)
            )
        );
    }

    /// Section 6.1.3, step by step.
    #[test]
    fn padding_arithmetic() {
        let inner = inner_hello(); // server name of 14 bytes
        let mut no_sni = inner.clone();
        no_sni.extensions.remove(0);
        // (hello, encoded length, maximum_name_length, padding)
        let cases: [(&ClientHello, usize, u8, usize); 10] = [
            (&inner, 1, 0, 31),
            (&inner, 32, 0, 0),
            (&inner, 33, 0, 31),
            (&inner, 64, 0, 0),
            (&inner, 26, 20, 6),         // 26 + 6 = 32
            (&inner, 27, 20, 6 + 31),    // 27 + 6 = 33
            (&inner, 32, 10, 0),         // the name is longer than L: no SNI padding
            (&no_sni, 23, 0, 9),         // L + 9 = 9; 23 + 9 = 32
            (&no_sni, 100, 50, 59 + 1),  // 159 -> 160
            (&no_sni, 1, 255, 264 + 23), // 265 -> 288
        ];
        for (hello, len, max, want) in cases {
            assert_eq!(padding_len(hello, len, max), want, "{len} {max}");
        }
        for max in [0u8, 14, 50, 255] {
            for hello in [&inner, &no_sni] {
                let encoded = encode_inner(hello, &[], max);
                assert_eq!(encoded.len() % 32, 0);
                let mut plain = hello.clone();
                plain.session_id.clear();
                let body = plain.to_bytes().len();
                assert_eq!(encoded.len(), body + padding_len(hello, body, max));
                assert!(
                    encoded.len()
                        >= body
                            + if hello.server_name().is_some() {
                                usize::from(max).saturating_sub(14)
                            } else {
                                usize::from(max) + 9
                            }
                );
            }
        }
    }

    /// Section 7.1: the inner marker, and no TLS 1.2 or below.
    #[test]
    fn inner_hello_checks() {
        let outer = outer_hello(&inner_hello());
        let with = |edit: &dyn Fn(&mut ClientHello)| {
            let mut hello = inner_hello();
            edit(&mut hello);
            decode_inner(&encode_inner(&hello, &[], 0), &outer)
        };
        let ill = Some(A::IllegalParameter);
        type Edit = Box<dyn Fn(&mut ClientHello)>;
        let cases: Vec<(Edit, &str)> = vec![
            (
                Box::new(|h| h.extensions[3] = ClientExtension::SupportedVersions(vec![V13, ProtocolVersion::TLSv1_2])),
                "peer's ClientHelloInner offers TLSv1.2; a ClientHelloInner may offer only TLS 1.3 or later",
            ),
            (
                Box::new(|h| h.extensions[3] = ClientExtension::SupportedVersions(vec![ProtocolVersion::Unknown(0x0200), V13])),
                "peer's ClientHelloInner offers unknown(0x200); a ClientHelloInner may offer only TLS 1.3 or later",
            ),
            (
                Box::new(|h| { h.extensions.remove(3); }),
                "peer's ClientHelloInner has no supported_versions extension, so it offers TLS 1.2 or below; a ClientHelloInner may offer only TLS 1.3 or later",
            ),
            (
                Box::new(|h| { h.extensions.pop(); }),
                "peer's ClientHelloInner lacks the inner encrypted_client_hello extension it must carry",
            ),
            (
                Box::new(|h| { h.extensions.pop(); h.extensions.push(any_outer_ext().to_extension()); }),
                "peer's ClientHelloInner carries an encrypted_client_hello extension that is not the inner variant (a single byte 1)",
            ),
            (
                Box::new(|h| { h.extensions.pop(); h.extensions.push(ClientExtension::Unknown { typ: ExtensionType::EncryptedClientHello, data: vec![1, 0] }); }),
                "peer's ClientHelloInner carries an encrypted_client_hello extension that is not the inner variant (a single byte 1)",
            ),
        ];
        for (edit, text) in cases {
            assert_eq!(said(with(&*edit).unwrap_err()), (text.to_string(), ill));
        }
        // GREASE versions (RFC 8701) and later versions are fine.
        with(&|h| {
            h.extensions[3] = ClientExtension::SupportedVersions(vec![
                ProtocolVersion::Unknown(0x7a7a),
                V13,
                ProtocolVersion::Unknown(0x0305),
            ])
        })
        .unwrap();
    }

    // --- Keys ---------------------------------------------------------------------------

    #[test]
    fn keys_pem_round_trip() {
        let keys = make_keys(42, 3);
        assert_eq!(keys.config().config_id, 42);
        assert_eq!(keys.config().public_name, "public.example");
        assert_eq!(keys.config().maximum_name_length, 0);
        assert!(keys.config().extensions.is_empty());
        assert_eq!(keys.config().public_key.len(), 32);
        let pem = keys.to_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        assert!(pem.ends_with("-----END ECHCONFIG-----\n"));
        assert!(pem.lines().all(|l| l.len() <= 64));
        let key = crate::pem::private_key_from_bytes(pem.as_bytes()).unwrap();
        let der = key.secret_der();
        assert_eq!(der[..16], X25519_PKCS8_PREFIX);
        assert_eq!(&der[16..], keys.keypair.private_key());
        assert_eq!(echconfig_from_pem(&pem).unwrap(), keys.config_list());

        let back = EchKeys::from_pem(&pem).unwrap();
        assert_eq!(back.config(), keys.config());
        assert_eq!(back.keypair.public_key(), keys.keypair.public_key());
        assert_eq!(back.to_pem(), pem);
        assert_eq!(
            format!("{back:?}"),
            "EchKeys { config_id: 42, public_name: \"public.example\", .. }"
        );
        // Different seeds, different keys.
        assert_ne!(
            make_keys(42, 4).config().public_key,
            keys.config().public_key
        );
    }

    #[test]
    fn key_file_errors() {
        let a = make_keys(1, 1).to_pem();
        let b = make_keys(2, 2).to_pem();
        let key_of = |pem: &str| pem[..pem.find("-----BEGIN ECHCONFIG").unwrap()].to_string();
        let config_of = |pem: &str| pem[pem.find("-----BEGIN ECHCONFIG").unwrap()..].to_string();
        let mixed = key_of(&a) + &config_of(&b);
        assert_eq!(
            said(EchKeys::from_pem(&mixed).unwrap_err()),
            ("the ECH private key does not match the public key of its ECHConfig (config_id 2, public name public.example): the file pairs a key with another key's configuration".to_string(), None)
        );
        let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let not_x25519 = p256.serialize_pem() + &config_of(&a);
        let list_of_two = {
            let one = make_keys(1, 1);
            let list = encode_config_list(&[one.config(), one.config()]);
            key_of(&a) + &crate::pem::encode("ECHCONFIG", &list)
        };
        let mut p256_config = Raw::new(1);
        p256_config.kem = 0x0010;
        p256_config.key = vec![4; 65];
        let cases: Vec<(String, &str)> = vec![
            (key_of(&a), "could not read the ECH keys: no ECHCONFIG block was found"),
            (key_of(&a) + "-----BEGIN ECHCONFIG-----\nAAAA\n", "could not read the ECH keys: the ECHCONFIG block has no END line"),
            (key_of(&a) + "-----BEGIN ECHCONFIG-----\nAA*A\n-----END ECHCONFIG-----\n", "could not read the ECH keys: the ECHCONFIG block is not valid base64"),
            (key_of(&a) + &crate::pem::encode("ECHCONFIG", &[0, 2, 0, 0]), "the ECH configuration list could not be read: malformed ECHConfigList: field ECHConfigList at byte 2: length 2 is below the minimum of 4"),
            (list_of_two, "could not read the ECH keys: the ECHCONFIG block must hold exactly one ECHConfig"),
            (key_of(&a) + &crate::pem::encode("ECHCONFIG", &list(&[p256_config.bytes()])), "could not read the ECH keys: the ECHConfig uses HPKE KEM 0x0010, but the private key is X25519 (KEM 0x0020)"),
            (not_x25519, "the private key cannot be used: an ECH key must be an X25519 key in PKCS#8 (RFC 8410)"),
        ];
        for (pem, text) in cases {
            let (got, alert) = said(EchKeys::from_pem(&pem).unwrap_err());
            assert_eq!(got, text);
            // Only the list's decode error carries an alert (for retry_configs).
            assert_eq!(alert.is_some(), text.contains("malformed"), "{text}");
        }
        // No private key at all: the crate's PEM reader says so.
        let err = EchKeys::from_pem(&config_of(&a)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Config(ConfigError::BadPem {
                    what: "the private key",
                    ..
                })
            ),
            "{err:?}"
        );

        let bad_names: [(&str, &str); 3] = [
            (
                "192.0.2.1",
                "its last label is all digits, so it could be read as an IPv4 address",
            ),
            ("", "it is empty"),
            (&"a.".repeat(128), "it is longer than 255 bytes"),
        ];
        for (name, reason) in bad_names {
            let err = EchKeys::generate(name, 1, &provider(1)).unwrap_err();
            assert_eq!(
                said(err),
                (
                    format!("the ECH public name {name:?} is not a valid DNS host name: {reason}"),
                    None
                )
            );
        }
    }

    // --- Sealing and opening ------------------------------------------------------------

    /// A client offer to `keys`: (sender, inner, sealed first ClientHelloOuter).
    fn offer(keys: &EchKeys, seed: u64) -> (EchSender, ClientHello, ClientHello) {
        let mut sender = EchSender::new(keys.config(), &provider(seed)).unwrap();
        let inner = inner_hello();
        let encoded = encode_inner(&inner, &COMPRESS, keys.config().maximum_name_length);
        let outer = sender
            .seal_outer(outer_hello(&inner), &encoded, true)
            .unwrap();
        (sender, inner, outer)
    }

    fn outer_fields(outer: &ClientHello) -> (u16, u16, u8, Vec<u8>, Vec<u8>) {
        let o = read_outer(ech_extension(outer).unwrap()).unwrap();
        (o.kdf, o.aead, o.config_id, o.enc, o.payload)
    }

    /// `outer` with its ECH extension body replaced.
    fn rewrite(outer: &ClientHello, edit: impl Fn(&mut EchClientHello)) -> ClientHello {
        let mut outer = outer.clone();
        let data = ech_extension_mut(&mut outer).unwrap();
        let mut ext = EchClientHello::read(data).unwrap();
        edit(&mut ext);
        *data = ext.encode();
        outer
    }

    #[test]
    fn seal_then_open_recovers_the_inner_hello() {
        let keys = [make_keys(7, 1)];
        let (sender, inner, outer) = offer(&keys[0], 2);
        assert_eq!(sender.config(), keys[0].config());
        assert_eq!(sender.enc().len(), 32);
        assert_eq!(
            format!("{sender:?}"),
            format!(
                "EchSender {{ config_id: 7, public_name: \"public.example\", suite: {:?}, .. }}",
                sender.suite()
            )
        );
        // The extension is last, with the suite, config_id, enc and a payload of
        // plaintext + tag.
        assert_eq!(
            outer.extensions.last().unwrap().ext_type(),
            ExtensionType::EncryptedClientHello
        );
        let (kdf, aead, config_id, enc, payload) = outer_fields(&outer);
        assert_eq!(
            (kdf, aead, config_id),
            (KDF_HKDF_SHA256, AEAD_AES_128_GCM, 7)
        );
        assert_eq!(enc, sender.enc());
        let encoded = encode_inner(&inner, &COMPRESS, 0);
        assert_eq!(payload.len(), encoded.len() + 16);
        // Section 5.2: the AAD is the hello with zeros for the payload.
        let aad = outer_aad(&outer).unwrap();
        let zeroed = rewrite(&outer, |e| {
            if let EchClientHello::Outer { payload, .. } = e {
                payload.fill(0)
            }
        });
        assert_eq!(aad, zeroed.to_bytes());
        assert_eq!(aad.len(), outer.to_bytes().len());

        // Through the wire and back, as the server sees it.
        let wire = HandshakeMessage::new(HandshakePayload::ClientHello(outer.clone())).to_bytes();
        let seen = match HandshakeMessage::read_tls13(&wire).unwrap().payload {
            HandshakePayload::ClientHello(ch) => ch,
            other => panic!("{other:?}"),
        };
        let (got, state) = server_open_first(&keys, &seen).unwrap().unwrap();
        assert_eq!(got, inner);
        assert_eq!(state.config_id(), 7);
        assert_eq!(state.suite(), sender.suite());
        assert!(format!("{state:?}")
            .starts_with("EchServerState { config_id: 7, context: ReceiverContext("));

        // Trial decryption (section 7.1): a key with the same config_id that does not
        // open, a key with another config_id, then the right one.
        let many = vec![
            std::sync::Arc::new(make_keys(7, 9)),
            std::sync::Arc::new(make_keys(8, 1)),
            std::sync::Arc::new(make_keys(7, 1)),
        ];
        assert_eq!(server_open_first(&many, &seen).unwrap().unwrap().0, inner);
    }

    #[test]
    fn seal_goes_before_pre_shared_key_and_replaces_an_old_extension() {
        let keys = [make_keys(7, 1)];
        let mut sender = EchSender::new(keys[0].config(), &provider(3)).unwrap();
        let inner = inner_hello();
        let encoded = encode_inner(&inner, &COMPRESS, 0);
        let mut outer = outer_hello(&inner);
        outer
            .extensions
            .push(ClientExtension::PreSharedKey(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: vec![1; 16],
                    obfuscated_ticket_age: 5,
                }],
                binders: vec![vec![2; 32]],
            }));
        let sealed = sender.seal_outer(outer.clone(), &encoded, true).unwrap();
        let types: Vec<ExtensionType> = sealed.extensions.iter().map(|e| e.ext_type()).collect();
        assert_eq!(
            types[types.len() - 2..],
            [
                ExtensionType::EncryptedClientHello,
                ExtensionType::PreSharedKey
            ]
        );
        assert_eq!(server_open_first(&keys, &sealed).unwrap().unwrap().0, inner);

        // A hello that already carries the extension has it replaced in place.
        let mut sender = EchSender::new(keys[0].config(), &provider(4)).unwrap();
        let mut stale = outer.clone();
        stale.extensions.insert(1, any_outer_ext().to_extension());
        let sealed = sender.seal_outer(stale, &encoded, true).unwrap();
        assert_eq!(
            sealed.extensions[1].ext_type(),
            ExtensionType::EncryptedClientHello
        );
        assert_eq!(sealed.extensions.len(), outer.extensions.len() + 1);
        assert_eq!(server_open_first(&keys, &sealed).unwrap().unwrap().0, inner);
    }

    /// Section 7.1: anything that does not open falls back to ClientHelloOuter.
    #[test]
    fn what_does_not_open_is_ignored() {
        let keys = [make_keys(7, 1)];
        let (_, _, outer) = offer(&keys[0], 2);
        let mut tampered: Vec<ClientHello> = Vec::new();
        let mut random = outer.clone();
        random.random[0] ^= 1;
        tampered.push(random);
        let mut other = outer.clone();
        other.extensions[4] = ClientExtension::SignatureAlgorithms(vec![SignatureScheme::ED448]);
        tampered.push(other);
        let mut session = outer.clone();
        session.session_id[31] ^= 1;
        tampered.push(session);
        tampered.push(rewrite(&outer, |e| {
            if let EchClientHello::Outer { payload, .. } = e {
                payload[0] ^= 1
            }
        }));
        tampered.push(rewrite(&outer, |e| {
            if let EchClientHello::Outer { enc, .. } = e {
                enc[5] ^= 1
            }
        }));
        tampered.push(rewrite(&outer, |e| {
            if let EchClientHello::Outer { enc, .. } = e {
                enc.pop();
            }
        }));
        // Another config_id, or a suite the configuration does not list (GREASE).
        tampered.push(rewrite(&outer, |e| {
            if let EchClientHello::Outer { config_id, .. } = e {
                *config_id = 8
            }
        }));
        tampered.push(rewrite(&outer, |e| {
            if let EchClientHello::Outer { kdf, .. } = e {
                *kdf = 2
            }
        }));
        for (i, hello) in tampered.iter().enumerate() {
            assert!(
                server_open_first(&keys, hello).unwrap().is_none(),
                "case {i}"
            );
        }
        // No extension: nothing to do. No keys: nothing opens.
        assert!(server_open_first(&keys, &outer_hello(&inner_hello()))
            .unwrap()
            .is_none());
        assert!(server_open_first::<EchKeys>(&[], &outer).unwrap().is_none());

        // An inner extension from the network is fatal (section 7).
        let inner_marked = with_ech(outer_hello(&inner_hello()), &EchClientHello::Inner);
        assert_eq!(
            said(server_open_first(&keys, &inner_marked).unwrap_err()),
            ("peer's ClientHello carries an inner encrypted_client_hello extension, which belongs only inside an encrypted ClientHelloInner".to_string(), Some(A::IllegalParameter))
        );
        assert_eq!(
            said(outer_aad(&outer_hello(&inner_hello())).unwrap_err()),
            ("internal error: the ClientHello has no encrypted_client_hello extension to authenticate".to_string(), Some(A::InternalError))
        );
    }

    /// Section 7.1: a payload that opens but holds a bad ClientHelloInner is fatal.
    #[test]
    fn a_bad_inner_that_opens_is_fatal() {
        let keys = [make_keys(7, 1)];
        let mut sender = EchSender::new(keys[0].config(), &provider(2)).unwrap();
        let mut hello = inner_hello();
        hello.extensions.pop();
        let encoded = encode_inner(&hello, &[], 0);
        let outer = sender
            .seal_outer(outer_hello(&hello), &encoded, true)
            .unwrap();
        assert_eq!(
            said(server_open_first(&keys, &outer).unwrap_err()).0,
            "peer's ClientHelloInner lacks the inner encrypted_client_hello extension it must carry"
        );
    }

    /// Section 7.1.1: the second ClientHelloOuter after HelloRetryRequest.
    #[test]
    fn second_hello() {
        let keys = [make_keys(7, 1)];
        let (mut sender, _, outer) = offer(&keys[0], 2);
        let (_, mut state) = server_open_first(&keys, &outer).unwrap().unwrap();

        let mut inner2 = inner_hello();
        inner2.extensions[2] = share(0x77);
        inner2
            .extensions
            .insert(6, ClientExtension::Cookie(vec![0xc0; 20]));
        let mut outer2 = outer_hello(&inner2);
        outer2.extensions[1] = share(0x77);
        let encoded2 = encode_inner(&inner2, &COMPRESS, 0);
        let sealed2 = sender.seal_outer(outer2.clone(), &encoded2, false).unwrap();
        let (kdf, aead, config_id, enc, _) = outer_fields(&sealed2);
        assert_eq!(
            (kdf, aead, config_id, enc.len()),
            (KDF_HKDF_SHA256, AEAD_AES_128_GCM, 7, 0)
        );

        let ill = Some(A::IllegalParameter);
        let mut tampered = sealed2.clone();
        tampered.random[3] ^= 1;
        let cases: Vec<(ClientHello, &str, Option<A>)> = vec![
            (outer2.clone(), "the client's second ClientHelloOuter lacks the encrypted_client_hello extension, although ECH was accepted for the first", Some(A::MissingExtension)),
            (
                rewrite(&sealed2, |e| if let EchClientHello::Outer { enc, .. } = e { *enc = vec![9; 32] }),
                "the client's second ClientHelloOuter carries a 32-byte ECH enc; after HelloRetryRequest enc must be empty",
                ill,
            ),
            (
                rewrite(&sealed2, |e| if let EchClientHello::Outer { config_id, .. } = e { *config_id = 8 }),
                "the client's second ClientHelloOuter changed the ECH config_id from 7 to 8; it must stay as in the first",
                ill,
            ),
            (
                rewrite(&sealed2, |e| if let EchClientHello::Outer { aead, .. } = e { *aead = 3 }),
                "the client's second ClientHelloOuter changed the ECH cipher suite from KDF 0x0001 with AEAD 0x0001 to KDF 0x0001 with AEAD 0x0003; it must stay as in the first",
                ill,
            ),
            (
                with_ech(outer2.clone(), &EchClientHello::Inner),
                "peer's ClientHello carries an inner encrypted_client_hello extension, which belongs only inside an encrypted ClientHelloInner",
                ill,
            ),
            (
                tampered,
                "the client's second ClientHelloOuter does not decrypt with the HPKE context of the first (config_id 7): it was altered in transit or sealed with another context",
                Some(A::DecryptError),
            ),
        ];
        for (hello, text, alert) in cases {
            assert_eq!(
                said(server_open_second(&mut state, &hello).unwrap_err()),
                (text.to_string(), alert)
            );
        }
        // The failures used up no sequence number: the real second hello still opens.
        assert_eq!(server_open_second(&mut state, &sealed2).unwrap(), inner2);
        // The first hello replayed as the second does not (sequence number 1, enc set).
        let replay = rewrite(&outer, |e| {
            if let EchClientHello::Outer { enc, .. } = e {
                enc.clear()
            }
        });
        assert_eq!(
            said(server_open_second(&mut state, &replay).unwrap_err()).1,
            Some(A::DecryptError)
        );
    }

    // --- Acceptance signals ------------------------------------------------------------

    /// Sections 7.2 and 7.2.1 against HKDF computed by hand (RFC 8446, 7.1).
    #[test]
    fn accept_confirmations() {
        let random = [0x5c; 32];
        for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let transcript = crate::crypto::hash(hash, b"ClientHelloInner .. ServerHello");
            let by_hand = |label: &[u8]| -> Vec<u8> {
                let prk = crate::crypto::hmac(hash, &vec![0u8; hash.output_len()], &random);
                let mut info = vec![0, 8];
                let full = [&b"tls13 "[..], label].concat();
                info.push(full.len() as u8);
                info.extend(&full);
                info.push(transcript.as_ref().len() as u8);
                info.extend(transcript.as_ref());
                // HKDF-Expand for 8 bytes: T(1) = HMAC(PRK, info || 0x01).
                info.push(1);
                crate::crypto::hmac(hash, prk.as_ref(), &info).as_ref()[..8].to_vec()
            };
            let ch = accept_confirmation(hash, &random, transcript.as_ref());
            let hrr = hrr_accept_confirmation(hash, &random, transcript.as_ref());
            assert_eq!(ch.to_vec(), by_hand(b"ech accept confirmation"));
            assert_eq!(hrr.to_vec(), by_hand(b"hrr ech accept confirmation"));
            assert_ne!(ch, hrr);
            assert_ne!(
                ch,
                accept_confirmation(hash, &[0x5d; 32], transcript.as_ref())
            );
        }
    }

    // --- Errors -------------------------------------------------------------------------

    /// Every ECH error's sentence and alert, including those the tests above cannot
    /// reach through the API.
    #[test]
    fn every_ech_error_explains_itself() {
        let s = |x: &str| x.to_string();
        let cases: Vec<(EchError, &str, Option<A>)> = vec![
            (EchError::Rejected { public_name: s("public.example"), retry_configs: Some(vec![0, 0]) }, "the server public.example did not accept Encrypted Client Hello; it sent retry configurations to connect again with", Some(A::EchRequired)),
            (EchError::Rejected { public_name: s("public.example"), retry_configs: None }, "the server public.example did not accept Encrypted Client Hello and sent no retry configurations: ECH is disabled there", Some(A::EchRequired)),
            (EchError::BadRetryConfirmation { len: 7 }, "the server's HelloRetryRequest carries a 7-byte encrypted_client_hello confirmation; it must be 8 bytes", Some(A::DecodeError)),
            (EchError::Hpke { operation: "Seal", reason: s("the ciphertext is 3 bytes instead of the expected 19") }, "ECH encryption failed in HPKE Seal: the ciphertext is 3 bytes instead of the expected 19", Some(A::InternalError)),
            (EchError::NoEchExtension, "internal error: the ClientHello has no encrypted_client_hello extension to authenticate", Some(A::InternalError)),
            (EchError::UnknownHelloType { value: 9 }, "peer's encrypted_client_hello extension has type 9; only outer (0) and inner (1) are defined", Some(A::IllegalParameter)),
            (EchError::InnerFromNetwork, "peer's ClientHello carries an inner encrypted_client_hello extension, which belongs only inside an encrypted ClientHelloInner", Some(A::IllegalParameter)),
            (EchError::OuterExtensionsInOuter, "peer's ClientHelloOuter contains the ech_outer_extensions extension, which may appear only inside an EncodedClientHelloInner", Some(A::IllegalParameter)),
            (EchError::NonZeroPadding { offset: 300 }, "peer's EncodedClientHelloInner has a non-zero padding byte at offset 300; padding must be all zeros", Some(A::IllegalParameter)),
            (EchError::OuterExtensionMissing { extension: s("key_share") }, "peer's ech_outer_extensions references the key_share extension, but ClientHelloOuter has none", Some(A::IllegalParameter)),
            (EchError::OuterExtensionTwice { extension: s("key_share") }, "peer's ech_outer_extensions references the key_share extension more than once", Some(A::IllegalParameter)),
            (EchError::OuterExtensionIsEch, "peer's ech_outer_extensions references encrypted_client_hello, which must never be copied from ClientHelloOuter", Some(A::IllegalParameter)),
            (EchError::OuterExtensionOutOfOrder { extension: s("key_share"), after: s("supported_versions") }, "peer's ech_outer_extensions lists key_share after supported_versions, but ClientHelloOuter has them in the other order", Some(A::IllegalParameter)),
            (EchError::MissingInnerMarker, "peer's ClientHelloInner lacks the inner encrypted_client_hello extension it must carry", Some(A::IllegalParameter)),
            (EchError::BadInnerMarker, "peer's ClientHelloInner carries an encrypted_client_hello extension that is not the inner variant (a single byte 1)", Some(A::IllegalParameter)),
            (EchError::InnerOffersOldVersion { version: ProtocolVersion::TLSv1_1 }, "peer's ClientHelloInner offers TLSv1.1; a ClientHelloInner may offer only TLS 1.3 or later", Some(A::IllegalParameter)),
            (EchError::InnerWithoutSupportedVersions, "peer's ClientHelloInner has no supported_versions extension, so it offers TLS 1.2 or below; a ClientHelloInner may offer only TLS 1.3 or later", Some(A::IllegalParameter)),
            (EchError::MissingInSecondHello, "the client's second ClientHelloOuter lacks the encrypted_client_hello extension, although ECH was accepted for the first", Some(A::MissingExtension)),
            (EchError::SecondHelloChanged { what: "config_id", first: s("1"), second: s("2") }, "the client's second ClientHelloOuter changed the ECH config_id from 1 to 2; it must stay as in the first", Some(A::IllegalParameter)),
            (EchError::SecondHelloHasEnc { length: 1 }, "the client's second ClientHelloOuter carries a 1-byte ECH enc; after HelloRetryRequest enc must be empty", Some(A::IllegalParameter)),
            (EchError::SecondHelloDecryptFailed { config_id: 3 }, "the client's second ClientHelloOuter does not decrypt with the HPKE context of the first (config_id 3): it was altered in transit or sealed with another context", Some(A::DecryptError)),
            (EchError::KeyMismatch { config_id: 3, public_name: s("a.example") }, "the ECH private key does not match the public key of its ECHConfig (config_id 3, public name a.example): the file pairs a key with another key's configuration", None),
            (EchError::BadPublicName { name: s("1"), reason: "it is empty" }, "the ECH public name \"1\" is not a valid DNS host name: it is empty", None),
            (EchError::NoUsableConfig { skipped: vec![SkippedConfig { position: 2, reason: SkipReason::UnsupportedVersion { version: 0xfe0a } }] }, "none of the 1 ECH configuration(s) can be used: configuration 2 has ECH version 0xfe0a; ferrotls supports only 0xfe0d", None),
        ];
        for (error, text, alert) in cases {
            assert_eq!(error.to_string(), text);
            assert_eq!(said(error.into()), (text.to_string(), alert));
        }
    }

    /// A client whose configuration lists no suite we implement cannot be built
    /// (only reachable by editing a parsed configuration's fields).
    #[test]
    fn sender_needs_a_suite() {
        let mut config = make_keys(7, 1).config().clone();
        config.cipher_suites = vec![(0x0003, 0x0001)];
        assert_eq!(
            said(EchSender::new(&config, &provider(1)).unwrap_err()),
            ("none of the 1 ECH configuration(s) can be used: configuration 1 (config_id 7) offers only HPKE cipher suites ferrotls does not support: KDF 0x0003 with AEAD 0x0001".to_string(), None)
        );
        config.cipher_suites = vec![(1, 1)];
        config.public_key = vec![1; 31];
        let err = said(EchSender::new(&config, &provider(1)).unwrap_err());
        assert_eq!(err.1, Some(A::InternalError));
        assert!(
            err.0
                .starts_with("ECH encryption failed in HPKE SetupBaseS: "),
            "{}",
            err.0
        );
    }

    // --- Malformed input never panics --------------------------------------------------

    /// xorshift64: deterministic randomness for the mutation loops.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        fn mutate(&mut self, mut bytes: Vec<u8>) -> Vec<u8> {
            for _ in 0..1 + self.below(3) {
                let at = self.below(bytes.len() + 1);
                match self.below(4) {
                    0 | 1 if at < bytes.len() => bytes[at] = self.next() as u8,
                    2 => bytes.truncate(at),
                    _ => bytes.insert(at.min(bytes.len()), self.next() as u8),
                }
            }
            bytes
        }
    }

    #[test]
    fn mutated_inputs_never_panic() {
        let keys = [make_keys(7, 1)];
        let (_, _, outer) = offer(&keys[0], 2);
        let plain_outer = outer_hello(&inner_hello());
        let encoded = encode_inner(&inner_hello(), &COMPRESS, 0);
        let refs_bad = encoded_with(refs(&[0x0033, 0x000a, 0x002b]), inner_hello());
        let config_list = list(&[Raw::new(1).bytes(), keys[0].config().encoded().to_vec()]);
        let ech_body = ech_extension(&outer).unwrap().to_vec();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut opened = 0;
        for _ in 0..3_000 {
            let _ = decode_inner(&rng.mutate(encoded.clone()), &plain_outer);
            let _ = decode_inner(&rng.mutate(refs_bad.clone()), &plain_outer);
            let _ = parse_config_list(&rng.mutate(config_list.clone()));
            let _ = check_retry_configs(&rng.mutate(config_list.clone()));
            let _ = EchClientHello::read(&rng.mutate(ech_body.clone()));
            let mut hello = outer.clone();
            *ech_extension_mut(&mut hello).unwrap() = rng.mutate(ech_body.clone());
            if let Ok(Some(_)) = server_open_first(&keys, &hello) {
                opened += 1;
            }
            let _ = outer_aad(&hello);
        }
        // Only mutations that left the body intact (e.g. cut and reinserted the same byte) open.
        assert!(opened < 100, "{opened}");
    }
}
