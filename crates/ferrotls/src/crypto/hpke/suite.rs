//! The algorithm identifiers of an HPKE suite (RFC 9180, 7): KEM, KDF and AEAD, and
//! the lengths and labels each contributes.

use core::fmt;

use aws_lc_rs::agreement;

use crate::crypto::aead::AeadAlgorithm;
use crate::crypto::hash::HashAlgorithm;

/// A KEM (RFC 9180, 7.1, table 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HpkeKem {
    /// DHKEM(P-256, HKDF-SHA256), 0x0010.
    DhkemP256HkdfSha256,
    /// DHKEM(X25519, HKDF-SHA256), 0x0020.
    DhkemX25519HkdfSha256,
}

impl HpkeKem {
    /// The KEM for a `kem_id`, or `None` for one we do not implement.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0010 => Some(HpkeKem::DhkemP256HkdfSha256),
            0x0020 => Some(HpkeKem::DhkemX25519HkdfSha256),
            _ => None,
        }
    }

    pub fn id(self) -> u16 {
        match self {
            HpkeKem::DhkemP256HkdfSha256 => 0x0010,
            HpkeKem::DhkemX25519HkdfSha256 => 0x0020,
        }
    }

    /// The RFC's name, e.g. "DHKEM(X25519, HKDF-SHA256)".
    pub fn name(self) -> &'static str {
        match self {
            HpkeKem::DhkemP256HkdfSha256 => "DHKEM(P-256, HKDF-SHA256)",
            HpkeKem::DhkemX25519HkdfSha256 => "DHKEM(X25519, HKDF-SHA256)",
        }
    }

    /// Npk, which equals Nenc for a DHKEM.
    pub fn public_key_len(self) -> usize {
        match self {
            HpkeKem::DhkemP256HkdfSha256 => 65,
            HpkeKem::DhkemX25519HkdfSha256 => 32,
        }
    }

    /// Nsk.
    pub fn private_key_len(self) -> usize {
        usize::from(self.nsk())
    }

    pub(super) fn nsk(self) -> u16 {
        32
    }

    /// Nsecret: the hash length of the KEM's KDF (RFC 9180, 4.1).
    pub(super) fn nsecret(self) -> u16 {
        32
    }

    /// The DHKEM's own KDF, used for its derivations whatever the suite's KDF (4.1).
    pub(super) fn kdf(self) -> HashAlgorithm {
        HashAlgorithm::Sha256
    }

    pub(super) fn agreement_alg(self) -> &'static agreement::Algorithm {
        match self {
            HpkeKem::DhkemP256HkdfSha256 => &agreement::ECDH_P256,
            HpkeKem::DhkemX25519HkdfSha256 => &agreement::X25519,
        }
    }

    /// RFC 9180, 4.1: suite_id = concat("KEM", I2OSP(kem_id, 2)).
    pub(super) fn suite_id(self) -> [u8; 5] {
        let [hi, lo] = self.id().to_be_bytes();
        [b'K', b'E', b'M', hi, lo]
    }
}

impl fmt::Display for HpkeKem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A KDF (RFC 9180, 7.2, table 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HpkeKdf {
    /// HKDF-SHA256, 0x0001.
    HkdfSha256,
    /// HKDF-SHA384, 0x0002.
    HkdfSha384,
}

impl HpkeKdf {
    /// The KDF for a `kdf_id`, or `None` for one we do not implement.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(HpkeKdf::HkdfSha256),
            0x0002 => Some(HpkeKdf::HkdfSha384),
            _ => None,
        }
    }

    pub fn id(self) -> u16 {
        match self {
            HpkeKdf::HkdfSha256 => 0x0001,
            HpkeKdf::HkdfSha384 => 0x0002,
        }
    }

    /// The RFC's name, e.g. "HKDF-SHA256".
    pub fn name(self) -> &'static str {
        match self {
            HpkeKdf::HkdfSha256 => "HKDF-SHA256",
            HpkeKdf::HkdfSha384 => "HKDF-SHA384",
        }
    }

    pub(super) fn hash(self) -> HashAlgorithm {
        match self {
            HpkeKdf::HkdfSha256 => HashAlgorithm::Sha256,
            HpkeKdf::HkdfSha384 => HashAlgorithm::Sha384,
        }
    }
}

impl fmt::Display for HpkeKdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An AEAD (RFC 9180, 7.3, table 5). Export-only (0xffff) is not supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HpkeAead {
    /// AES-128-GCM, 0x0001.
    Aes128Gcm,
    /// AES-256-GCM, 0x0002.
    Aes256Gcm,
    /// ChaCha20Poly1305, 0x0003.
    ChaCha20Poly1305,
}

impl HpkeAead {
    /// The AEAD for an `aead_id`, or `None` for one we do not implement.
    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(HpkeAead::Aes128Gcm),
            0x0002 => Some(HpkeAead::Aes256Gcm),
            0x0003 => Some(HpkeAead::ChaCha20Poly1305),
            _ => None,
        }
    }

    pub fn id(self) -> u16 {
        match self {
            HpkeAead::Aes128Gcm => 0x0001,
            HpkeAead::Aes256Gcm => 0x0002,
            HpkeAead::ChaCha20Poly1305 => 0x0003,
        }
    }

    /// The RFC's name, e.g. "ChaCha20Poly1305".
    pub fn name(self) -> &'static str {
        match self {
            HpkeAead::Aes128Gcm => "AES-128-GCM",
            HpkeAead::Aes256Gcm => "AES-256-GCM",
            HpkeAead::ChaCha20Poly1305 => "ChaCha20Poly1305",
        }
    }

    /// Nk.
    pub(super) fn nk(self) -> u16 {
        match self {
            HpkeAead::Aes128Gcm => 16,
            HpkeAead::Aes256Gcm | HpkeAead::ChaCha20Poly1305 => 32,
        }
    }

    pub(super) fn algorithm(self) -> AeadAlgorithm {
        match self {
            HpkeAead::Aes128Gcm => AeadAlgorithm::Aes128Gcm,
            HpkeAead::Aes256Gcm => AeadAlgorithm::Aes256Gcm,
            HpkeAead::ChaCha20Poly1305 => AeadAlgorithm::ChaCha20Poly1305,
        }
    }
}

impl fmt::Display for HpkeAead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An HPKE ciphersuite: a (KEM, KDF, AEAD) triple (RFC 9180, 4). Every combination
/// of the supported algorithms works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HpkeSuite {
    pub kem: HpkeKem,
    pub kdf: HpkeKdf,
    pub aead: HpkeAead,
}

impl HpkeSuite {
    /// The suite for the three identifiers (as an ECHConfig lists them), or `None`
    /// if any of them is one we do not implement.
    pub fn from_ids(kem_id: u16, kdf_id: u16, aead_id: u16) -> Option<Self> {
        Some(Self {
            kem: HpkeKem::from_id(kem_id)?,
            kdf: HpkeKdf::from_id(kdf_id)?,
            aead: HpkeAead::from_id(aead_id)?,
        })
    }

    pub fn kem_id(&self) -> u16 {
        self.kem.id()
    }

    pub fn kdf_id(&self) -> u16 {
        self.kdf.id()
    }

    pub fn aead_id(&self) -> u16 {
        self.aead.id()
    }

    /// RFC 9180, 5.1: suite_id = concat("HPKE", I2OSP(kem_id, 2), I2OSP(kdf_id, 2),
    /// I2OSP(aead_id, 2)).
    pub(super) fn suite_id(&self) -> [u8; 10] {
        let [k0, k1] = self.kem_id().to_be_bytes();
        let [d0, d1] = self.kdf_id().to_be_bytes();
        let [a0, a1] = self.aead_id().to_be_bytes();
        [b'H', b'P', b'K', b'E', k0, k1, d0, d1, a0, a1]
    }
}

impl fmt::Display for HpkeSuite {
    /// As the RFC's appendix B titles: "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}, {}", self.kem, self.kdf, self.aead)
    }
}
