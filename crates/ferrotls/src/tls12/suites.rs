//! The TLS 1.2 cipher suites ferrotls implements (RFC 5246, A.5; RFC 5288; RFC 5289;
//! RFC 8422, 6; RFC 7905).
//!
//! [`DEFAULT_TLS12_SUITES`] are forward-secret AEAD suites. [`LEGACY_TLS12_SUITES`]
//! (static RSA key transport, CBC-HMAC) are for peers that have nothing better and
//! are only used when the configuration opts in.

use core::fmt;

use crate::crypto::aead::AeadAlgorithm;
use crate::crypto::cbc::{MacAlgorithm, AES_BLOCK_LEN};
use crate::crypto::HashAlgorithm;
use crate::msgs::enums::CipherSuite;

/// How the pre-master secret is established.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyExchangeAlgorithm {
    /// Ephemeral ECDH, signed by the server (RFC 8422): forward secret.
    Ecdhe,
    /// The client encrypts the pre-master secret to the server's RSA key (RFC 5246,
    /// 7.4.7.1): no forward secrecy. Legacy.
    Rsa,
}

/// The server certificate's key type: the ServerKeyExchange signature for ECDHE
/// suites, the key transport key for static RSA suites.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    Ecdsa,
    Rsa,
}

/// Record protection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bulk {
    /// AES-GCM (RFC 5288) or ChaCha20-Poly1305 (RFC 7905).
    Aead(AeadAlgorithm),
    /// AES-CBC with HMAC (RFC 5246, 6.2.3.2), optionally encrypt-then-MAC (RFC 7366).
    Cbc { key_len: usize, mac: MacAlgorithm },
}

/// A TLS 1.2 cipher suite.
#[derive(PartialEq, Eq)]
pub struct Tls12CipherSuite {
    pub suite: CipherSuite,
    pub kx: KeyExchangeAlgorithm,
    pub sign: SignatureAlgorithm,
    /// The PRF hash (RFC 5246, 5), also the Finished and transcript hash.
    pub hash: HashAlgorithm,
    pub bulk: Bulk,
    /// Off unless the configuration opts in to legacy suites.
    pub legacy: bool,
}

/// Lengths of the key block parts (RFC 5246, 6.3): the block is `client_write_MAC_key,
/// server_write_MAC_key, client_write_key, server_write_key, client_write_IV,
/// server_write_IV`, each `mac_key_len`, `enc_key_len` or `fixed_iv_len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyBlockLayout {
    pub mac_key_len: usize,
    pub enc_key_len: usize,
    /// The implicit IV: GCM's 4-byte salt (RFC 5288, 3), ChaCha20-Poly1305's 12-byte
    /// IV (RFC 7905, 2), none for CBC (TLS 1.2 sends the IV in each record).
    pub fixed_iv_len: usize,
}

impl KeyBlockLayout {
    /// Total key block length for both directions.
    pub fn total_len(&self) -> usize {
        2 * (self.mac_key_len + self.enc_key_len + self.fixed_iv_len)
    }
}

impl Tls12CipherSuite {
    pub fn key_block_layout(&self) -> KeyBlockLayout {
        match self.bulk {
            Bulk::Aead(aead) => KeyBlockLayout {
                mac_key_len: 0,
                enc_key_len: aead.key_len(),
                fixed_iv_len: match aead {
                    AeadAlgorithm::ChaCha20Poly1305 => 12,
                    AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => 4,
                },
            },
            Bulk::Cbc { key_len, mac } => KeyBlockLayout {
                mac_key_len: mac.key_len(),
                enc_key_len: key_len,
                fixed_iv_len: 0,
            },
        }
    }

    /// Bytes the record protection adds at most to a plaintext of `len` bytes.
    pub fn max_overhead(&self) -> usize {
        match self.bulk {
            Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305) => 16,
            Bulk::Aead(_) => 8 + 16,
            // IV, MAC, and up to a whole block of padding.
            Bulk::Cbc { mac, .. } => AES_BLOCK_LEN + mac.output_len() + AES_BLOCK_LEN,
        }
    }

    /// Whether this suite is forward secret (ECDHE).
    pub fn forward_secret(&self) -> bool {
        self.kx == KeyExchangeAlgorithm::Ecdhe
    }

    /// The RFC name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        self.suite.name()
    }
}

impl fmt::Debug for Tls12CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

macro_rules! suite {
    ($name:ident, $kx:ident, $sign:ident, $hash:ident, $bulk:expr, $legacy:literal) => {
        pub static $name: Tls12CipherSuite = Tls12CipherSuite {
            suite: CipherSuite::$name,
            kx: KeyExchangeAlgorithm::$kx,
            sign: SignatureAlgorithm::$sign,
            hash: HashAlgorithm::$hash,
            bulk: $bulk,
            legacy: $legacy,
        };
    };
}

const AES128GCM: Bulk = Bulk::Aead(AeadAlgorithm::Aes128Gcm);
const AES256GCM: Bulk = Bulk::Aead(AeadAlgorithm::Aes256Gcm);
const CHACHA: Bulk = Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305);
const fn cbc(key_len: usize, mac: MacAlgorithm) -> Bulk {
    Bulk::Cbc { key_len, mac }
}
use MacAlgorithm::{Sha1 as MacSha1, Sha256 as MacSha256, Sha384 as MacSha384};

// Default: ECDHE with AEAD (RFC 5289, RFC 7905).
suite!(
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    Ecdhe,
    Ecdsa,
    Sha256,
    AES128GCM,
    false
);
suite!(
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    Ecdhe,
    Rsa,
    Sha256,
    AES128GCM,
    false
);
suite!(
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    Ecdhe,
    Ecdsa,
    Sha384,
    AES256GCM,
    false
);
suite!(
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    Ecdhe,
    Rsa,
    Sha384,
    AES256GCM,
    false
);
suite!(
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    Ecdhe,
    Ecdsa,
    Sha256,
    CHACHA,
    false
);
suite!(
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    Ecdhe,
    Rsa,
    Sha256,
    CHACHA,
    false
);

// Legacy: ECDHE with CBC-HMAC (RFC 8422, 6; RFC 5289). The _SHA suites use the
// TLS 1.2 default PRF, SHA-256.
suite!(
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    Ecdhe,
    Ecdsa,
    Sha256,
    cbc(16, MacSha1),
    true
);
suite!(
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    Ecdhe,
    Rsa,
    Sha256,
    cbc(16, MacSha1),
    true
);
suite!(
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    Ecdhe,
    Ecdsa,
    Sha256,
    cbc(32, MacSha1),
    true
);
suite!(
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    Ecdhe,
    Rsa,
    Sha256,
    cbc(32, MacSha1),
    true
);
suite!(
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    Ecdhe,
    Ecdsa,
    Sha256,
    cbc(16, MacSha256),
    true
);
suite!(
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    Ecdhe,
    Rsa,
    Sha256,
    cbc(16, MacSha256),
    true
);
suite!(
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    Ecdhe,
    Ecdsa,
    Sha384,
    cbc(32, MacSha384),
    true
);
suite!(
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    Ecdhe,
    Rsa,
    Sha384,
    cbc(32, MacSha384),
    true
);

// Legacy: static RSA key transport (RFC 5246, A.5; RFC 5288).
suite!(
    TLS_RSA_WITH_AES_128_GCM_SHA256,
    Rsa,
    Rsa,
    Sha256,
    AES128GCM,
    true
);
suite!(
    TLS_RSA_WITH_AES_256_GCM_SHA384,
    Rsa,
    Rsa,
    Sha384,
    AES256GCM,
    true
);
suite!(
    TLS_RSA_WITH_AES_128_CBC_SHA,
    Rsa,
    Rsa,
    Sha256,
    cbc(16, MacSha1),
    true
);
suite!(
    TLS_RSA_WITH_AES_256_CBC_SHA,
    Rsa,
    Rsa,
    Sha256,
    cbc(32, MacSha1),
    true
);
suite!(
    TLS_RSA_WITH_AES_128_CBC_SHA256,
    Rsa,
    Rsa,
    Sha256,
    cbc(16, MacSha256),
    true
);
suite!(
    TLS_RSA_WITH_AES_256_CBC_SHA256,
    Rsa,
    Rsa,
    Sha256,
    cbc(32, MacSha256),
    true
);

/// The suites used unless legacy ones are enabled, in preference order: ECDSA before
/// RSA, AES-128-GCM, AES-256-GCM, then ChaCha20-Poly1305.
pub static DEFAULT_TLS12_SUITES: &[&Tls12CipherSuite] = &[
    &TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    &TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    &TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    &TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    &TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
];

/// The opt-in legacy suites, in preference order (after the defaults): forward
/// secret CBC first, then static RSA with GCM, then static RSA with CBC.
pub static LEGACY_TLS12_SUITES: &[&Tls12CipherSuite] = &[
    &TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    &TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    &TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
    &TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    &TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    &TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    &TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    &TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    &TLS_RSA_WITH_AES_128_GCM_SHA256,
    &TLS_RSA_WITH_AES_256_GCM_SHA384,
    &TLS_RSA_WITH_AES_128_CBC_SHA256,
    &TLS_RSA_WITH_AES_256_CBC_SHA256,
    &TLS_RSA_WITH_AES_128_CBC_SHA,
    &TLS_RSA_WITH_AES_256_CBC_SHA,
];

/// The implementation of `suite` (default or legacy; check `legacy` against the
/// configuration), or `None` if ferrotls does not implement it.
pub fn find(suite: CipherSuite) -> Option<&'static Tls12CipherSuite> {
    DEFAULT_TLS12_SUITES
        .iter()
        .chain(LEGACY_TLS12_SUITES)
        .copied()
        .find(|s| s.suite == suite)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> impl Iterator<Item = &'static Tls12CipherSuite> {
        DEFAULT_TLS12_SUITES
            .iter()
            .chain(LEGACY_TLS12_SUITES)
            .copied()
    }

    #[test]
    fn find_returns_implemented_suites_only() {
        for s in all() {
            assert!(std::ptr::eq(find(s.suite).unwrap(), s));
        }
        assert_eq!(all().count(), 20);
        assert!(find(CipherSuite::TLS13_AES_128_GCM_SHA256).is_none());
        assert!(find(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV).is_none());
        assert!(find(CipherSuite::Unknown(0x000a)).is_none());
    }

    #[test]
    fn defaults_are_forward_secret_aead_and_legacy_is_flagged() {
        for s in DEFAULT_TLS12_SUITES {
            assert!(!s.legacy && s.forward_secret(), "{s:?}");
            assert!(matches!(s.bulk, Bulk::Aead(_)), "{s:?}");
        }
        for s in LEGACY_TLS12_SUITES {
            assert!(s.legacy, "{s:?}");
        }
    }

    #[test]
    fn names_agree_with_the_parameters() {
        for s in all() {
            let name = s.name();
            assert!(name.starts_with("TLS_"), "{name}");
            assert_eq!(
                name.contains("_ECDHE_"),
                s.kx == KeyExchangeAlgorithm::Ecdhe,
                "{name}"
            );
            assert_eq!(
                name.contains("ECDSA"),
                s.sign == SignatureAlgorithm::Ecdsa,
                "{name}"
            );
            assert_eq!(
                name.ends_with("SHA384"),
                s.hash == HashAlgorithm::Sha384,
                "{name}"
            );
            match s.bulk {
                Bulk::Aead(AeadAlgorithm::ChaCha20Poly1305) => {
                    assert!(name.contains("_CHACHA20_POLY1305_"), "{name}")
                }
                Bulk::Aead(a) => {
                    let aes = if a.key_len() == 16 {
                        "_AES_128_GCM_"
                    } else {
                        "_AES_256_GCM_"
                    };
                    assert!(name.contains(aes), "{name}");
                }
                Bulk::Cbc { key_len, mac } => {
                    let aes = if key_len == 16 {
                        "_AES_128_CBC_"
                    } else {
                        "_AES_256_CBC_"
                    };
                    assert!(name.contains(aes), "{name}");
                    let suffix = match mac {
                        MacAlgorithm::Sha1 => "_CBC_SHA",
                        MacAlgorithm::Sha256 => "_CBC_SHA256",
                        MacAlgorithm::Sha384 => "_CBC_SHA384",
                    };
                    assert!(name.ends_with(suffix), "{name}");
                }
            }
        }
        assert_eq!(
            format!("{:?}", TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        );
    }

    #[test]
    fn key_block_layouts() {
        let l = |s: &Tls12CipherSuite| {
            let k = s.key_block_layout();
            (k.mac_key_len, k.enc_key_len, k.fixed_iv_len, k.total_len())
        };
        assert_eq!(l(&TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), (0, 16, 4, 40));
        assert_eq!(l(&TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384), (0, 32, 4, 72));
        assert_eq!(
            l(&TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
            (0, 32, 12, 88)
        );
        assert_eq!(l(&TLS_RSA_WITH_AES_128_CBC_SHA), (20, 16, 0, 72));
        assert_eq!(l(&TLS_RSA_WITH_AES_256_CBC_SHA256), (32, 32, 0, 128));
        assert_eq!(l(&TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384), (48, 32, 0, 160));
        assert_eq!(TLS_RSA_WITH_AES_128_GCM_SHA256.max_overhead(), 24);
        assert_eq!(
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256.max_overhead(),
            16
        );
        assert_eq!(TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384.max_overhead(), 80);
    }
}
