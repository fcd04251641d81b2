//! Values at rest in Redis, sealed under a fleet key (AES-256-GCM through
//! `ferrotls::crypto`), each bound to its Redis key name by the associated data.
//!
//! Layout: version byte (1), 12-byte random nonce, ciphertext, 16-byte tag.

use std::fmt;

use ferrotls::crypto::aead::{AeadAlgorithm, AeadKey, NONCE_LEN, TAG_LEN};
use ferrotls::crypto::{hkdf_expand, hkdf_extract, HashAlgorithm, Provider, Secret};
use zeroize::Zeroize;

const VERSION: u8 = 1;
/// Bytes a sealed value adds to its plaintext.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
const ALG: AeadAlgorithm = AeadAlgorithm::Aes256Gcm;

/// A key the whole fleet holds (from its configuration, never from Redis) that
/// seals what this crate stores in Redis.
pub struct FleetKey {
    key: AeadKey,
    provider: Provider,
}

impl fmt::Debug for FleetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FleetKey(AES-256-GCM)")
    }
}

/// Why a fleet key could not be made.
#[derive(Debug, PartialEq, Eq)]
pub enum FleetKeyError {
    /// The configured secret is shorter than 32 bytes.
    TooShort { length: usize },
}

impl fmt::Display for FleetKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FleetKeyError::TooShort { length } => write!(
                f,
                "the fleet secret is {length} bytes; it must be at least 32 random bytes"
            ),
        }
    }
}

impl std::error::Error for FleetKeyError {}

impl FleetKey {
    /// Derives the key for `purpose` ("session store", "ticket keys") from the fleet
    /// secret with HKDF-SHA256, so one configured secret never keys two uses.
    pub fn derive(secret: &[u8], purpose: &str, provider: Provider) -> Result<Self, FleetKeyError> {
        if secret.len() < 32 {
            return Err(FleetKeyError::TooShort {
                length: secret.len(),
            });
        }
        let prk = hkdf_extract(HashAlgorithm::Sha256, b"ferrotls-redis fleet key", secret);
        let info = format!("ferrotls-redis {purpose}");
        let okm = hkdf_expand(
            HashAlgorithm::Sha256,
            prk.as_bytes(),
            info.as_bytes(),
            ALG.key_len(),
        );
        let key = AeadKey::new(ALG, okm.as_bytes()).map_err(|_| FleetKeyError::TooShort {
            length: secret.len(),
        })?;
        Ok(FleetKey { key, provider })
    }

    /// Seals `plain` bound to `aad`; `None` only if the random source fails.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Option<Vec<u8>> {
        let nonce = self.provider.random_array::<NONCE_LEN>().ok()?;
        let mut out = Vec::with_capacity(plain.len() + SEAL_OVERHEAD);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let body = out.get_mut(1 + NONCE_LEN..)?;
        let tag = self.key.seal_in_place_separate_tag(nonce, aad, body);
        match tag {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                Some(out)
            }
            Err(_) => {
                out.zeroize();
                None
            }
        }
    }

    /// Opens a sealed value; `None` if it is malformed, tampered with, sealed under
    /// another key or bound to another `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Option<Secret> {
        let (version, rest) = sealed.split_first()?;
        if *version != VERSION {
            return None;
        }
        let (nonce, body) = rest.split_at_checked(NONCE_LEN)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let mut buf = body.to_vec();
        let len = self.key.open_in_place(nonce, aad, &mut buf)?.len();
        buf.truncate(len);
        Some(Secret::from(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(purpose: &str) -> FleetKey {
        FleetKey::derive(&[9u8; 32], purpose, Provider::system()).unwrap()
    }

    #[test]
    fn round_trip_and_binding() {
        let k = key("session store");
        let sealed = k.seal(b"name-a", b"master secret").unwrap();
        assert_eq!(sealed.len(), 13 + SEAL_OVERHEAD);
        assert!(!sealed.windows(6).any(|w| w == b"master"));
        assert_eq!(
            k.open(b"name-a", &sealed).unwrap().as_bytes(),
            b"master secret"
        );
        assert!(k.open(b"name-b", &sealed).is_none(), "bound to its name");
        assert!(
            key("ticket keys").open(b"name-a", &sealed).is_none(),
            "purpose"
        );
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 1;
            assert!(k.open(b"name-a", &t).is_none(), "flip at {i}");
        }
        for n in 0..sealed.len() {
            assert!(k.open(b"name-a", &sealed[..n]).is_none(), "prefix {n}");
        }
    }

    #[test]
    fn short_secret_is_refused() {
        let e = FleetKey::derive(&[1u8; 16], "x", Provider::system()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the fleet secret is 16 bytes; it must be at least 32 random bytes"
        );
    }
}
