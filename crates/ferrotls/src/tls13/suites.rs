//! The TLS 1.3 cipher suites ferrotls implements (RFC 8446, B.4).

use core::fmt;

use crate::crypto::aead::AeadAlgorithm;
use crate::crypto::HashAlgorithm;
use crate::msgs::enums::CipherSuite;

/// A TLS 1.3 cipher suite: the AEAD for records and the hash for HKDF and the
/// transcript.
#[derive(PartialEq, Eq)]
pub struct Tls13CipherSuite {
    pub suite: CipherSuite,
    pub hash: HashAlgorithm,
    pub aead: AeadAlgorithm,
}

pub static TLS13_AES_128_GCM_SHA256: Tls13CipherSuite = Tls13CipherSuite {
    suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
    hash: HashAlgorithm::Sha256,
    aead: AeadAlgorithm::Aes128Gcm,
};

pub static TLS13_AES_256_GCM_SHA384: Tls13CipherSuite = Tls13CipherSuite {
    suite: CipherSuite::TLS13_AES_256_GCM_SHA384,
    hash: HashAlgorithm::Sha384,
    aead: AeadAlgorithm::Aes256Gcm,
};

pub static TLS13_CHACHA20_POLY1305_SHA256: Tls13CipherSuite = Tls13CipherSuite {
    suite: CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    hash: HashAlgorithm::Sha256,
    aead: AeadAlgorithm::ChaCha20Poly1305,
};

/// Every suite we implement, in default preference order.
pub static ALL_TLS13_SUITES: &[&Tls13CipherSuite] = &[
    &TLS13_AES_128_GCM_SHA256,
    &TLS13_AES_256_GCM_SHA384,
    &TLS13_CHACHA20_POLY1305_SHA256,
];

/// The implementation of `suite`, or `None` if ferrotls does not implement it.
pub fn find(suite: CipherSuite) -> Option<&'static Tls13CipherSuite> {
    ALL_TLS13_SUITES.iter().copied().find(|s| s.suite == suite)
}

/// How many records one key may protect before it should be updated (RFC 8446, 5.5).
///
/// AES-GCM: 2^24.5 full-size records (23_726_566) keep a safety margin of about
/// 2^-57. ChaCha20-Poly1305: the sequence number would wrap before its limit, so we
/// use 2^62 (QUIC's bound, RFC 9001, 6.6) to stay far from the 64-bit wrap.
pub fn confidentiality_limit(aead: AeadAlgorithm) -> u64 {
    match aead {
        AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => 23_726_566,
        AeadAlgorithm::ChaCha20Poly1305 => 1 << 62,
    }
}

impl Tls13CipherSuite {
    /// See [`confidentiality_limit`].
    pub fn confidentiality_limit(&self) -> u64 {
        confidentiality_limit(self.aead)
    }

    /// The RFC name, e.g. `TLS_AES_128_GCM_SHA256`.
    pub fn name(&self) -> std::borrow::Cow<'static, str> {
        self.suite.name()
    }
}

impl fmt::Debug for Tls13CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_returns_implemented_suites_only() {
        for s in ALL_TLS13_SUITES {
            assert!(std::ptr::eq(find(s.suite).unwrap(), *s));
        }
        assert!(find(CipherSuite::TLS13_AES_128_CCM_SHA256).is_none());
        assert!(find(CipherSuite::Unknown(0x1301 + 0x100)).is_none());
    }

    #[test]
    fn preference_order_and_names() {
        let names: Vec<String> = ALL_TLS13_SUITES.iter().map(|s| format!("{s:?}")).collect();
        assert_eq!(
            names,
            [
                "TLS_AES_128_GCM_SHA256",
                "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256"
            ]
        );
    }

    #[test]
    fn confidentiality_limits() {
        // 2^24.5 = 23_726_566.4
        let aes = (2f64).powf(24.5) as u64;
        assert_eq!(TLS13_AES_128_GCM_SHA256.confidentiality_limit(), aes);
        assert_eq!(TLS13_AES_256_GCM_SHA384.confidentiality_limit(), aes);
        assert_eq!(
            TLS13_CHACHA20_POLY1305_SHA256.confidentiality_limit(),
            1 << 62
        );
    }
}
