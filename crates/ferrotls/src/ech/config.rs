//! ECHConfig and ECHConfigList (section 4): decoding with the checks of section
//! 6.1, encoding, and the HPKE info a configuration binds to.

use std::collections::HashSet;

use crate::codec::{
    put_u16, put_u8, put_vec_u16, put_vec_u8, with_u16_len, DecodeError, DecodeErrorKind, Reader,
};
use crate::crypto::hpke::{HpkeKem, HpkeSuite};
use crate::error::Error;
use crate::error::{EchError, SkipReason, SkippedConfig};
use crate::msgs::enums::ECH_VERSION;

use super::INFO_PREFIX;

/// One ECHConfig of version 0xfe0d that this crate can use (section 4), with its
/// exact encoding kept for the HPKE info (section 6.1). Only [`parse_config_list`]
/// and `EchKeys` make one, so every `EchConfig` passed the checks of section 6.1.
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
    pub(super) fn suite_for(&self, kdf: u16, aead: u16) -> Option<HpkeSuite> {
        if !self.cipher_suites.contains(&(kdf, aead)) {
            return None;
        }
        HpkeSuite::from_ids(self.kem_id, kdf, aead)
    }

    /// Builds and encodes a configuration of our own (for [`EchKeys`]).
    pub(super) fn build(
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
pub(super) fn check_public_name(name: &[u8]) -> Result<(), &'static str> {
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

#[cfg(test)]
mod tests;
