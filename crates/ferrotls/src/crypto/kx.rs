//! Ephemeral key exchange for TLS 1.3 key shares (RFC 8446, 4.2.8 and 7.4) and the
//! hybrid X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem, 4).
//!
//! Every peer share is length-checked here before aws-lc sees it; a share of the
//! wrong size, a point not on the curve, or an X25519 result of all zeros is
//! `CryptoError::BadKeyShare` (illegal_parameter).

use std::borrow::Cow;
use std::sync::Arc;

use aws_lc_rs::{agreement, kem};

use super::hash::Secret;
use crate::error::CryptoError;
use crate::msgs::enums::NamedGroup;

/// X25519 public value length (RFC 7748, 6.1).
const X25519_LEN: usize = 32;
/// Uncompressed P-256 point: 0x04 || X || Y (RFC 8446, 4.2.8.2).
const P256_LEN: usize = 65;
/// Uncompressed P-384 point.
const P384_LEN: usize = 97;
/// ML-KEM-768 encapsulation key and ciphertext sizes (FIPS 203, table 3).
const MLKEM768_EK_LEN: usize = 1184;
const MLKEM768_CT_LEN: usize = 1088;
/// SEC 1, 2.3.3: the uncompressed point form marker.
const UNCOMPRESSED: u8 = 0x04;

static SUPPORTED: [NamedGroup; 4] = [
    NamedGroup::X25519MLKEM768,
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

/// The groups we implement, in our default preference order (hybrid post-quantum first).
pub fn supported_groups() -> &'static [NamedGroup] {
    &SUPPORTED
}

/// Whether [`KeyExchange::start`] and [`server_key_exchange`] accept `group`.
pub fn is_supported(group: NamedGroup) -> bool {
    SUPPORTED.contains(&group)
}

/// The group's RFC name as a `&'static str` for error values.
fn group_name(group: NamedGroup) -> &'static str {
    match group.name() {
        Cow::Borrowed(name) => name,
        Cow::Owned(_) => "unknown",
    }
}

fn unsupported(group: NamedGroup) -> CryptoError {
    CryptoError::UnsupportedGroup {
        group: group.name().into_owned(),
    }
}

fn bad_share(group: NamedGroup) -> CryptoError {
    CryptoError::BadKeyShare {
        group: group_name(group),
    }
}

fn failed(group: NamedGroup) -> CryptoError {
    CryptoError::KeyExchangeFailed {
        group: group_name(group),
    }
}

/// The plain (EC)DH groups: aws-lc algorithm and encoded public value length.
fn ecdh_params(group: NamedGroup) -> Option<(&'static agreement::Algorithm, usize)> {
    match group {
        NamedGroup::X25519 => Some((&agreement::X25519, X25519_LEN)),
        NamedGroup::secp256r1 => Some((&agreement::ECDH_P256, P256_LEN)),
        NamedGroup::secp384r1 => Some((&agreement::ECDH_P384, P384_LEN)),
        _ => None,
    }
}

/// A client's ephemeral key share for one group, kept until the ServerHello arrives.
pub struct KeyExchange {
    group: NamedGroup,
    public: Vec<u8>,
    private: Private,
}

enum Private {
    /// Shared with the hybrid share when a client offers X25519 beside X25519MLKEM768.
    Ecdh(Arc<agreement::PrivateKey>),
    /// draft-ietf-tls-ecdhe-mlkem, 4.1.
    X25519MlKem768 {
        mlkem: kem::DecapsulationKey<kem::AlgorithmId>,
        x25519: Arc<agreement::PrivateKey>,
    },
}

impl KeyExchange {
    /// Generates a fresh ephemeral key pair for `group`.
    pub fn start(group: NamedGroup) -> Result<Self, CryptoError> {
        if group == NamedGroup::X25519MLKEM768 {
            let mlkem =
                kem::DecapsulationKey::generate(&kem::ML_KEM_768).map_err(|_| failed(group))?;
            let ek = mlkem
                .encapsulation_key()
                .and_then(|ek| ek.key_bytes())
                .map_err(|_| failed(group))?;
            let (x25519, x25519_pub) = ecdh_generate(group, &agreement::X25519)?;
            // Client share: ML-KEM-768 encapsulation key || X25519 public (4.1).
            let mut public = Vec::with_capacity(MLKEM768_EK_LEN + X25519_LEN);
            public.extend_from_slice(ek.as_ref());
            public.extend_from_slice(&x25519_pub);
            return Ok(Self {
                group,
                public,
                private: Private::X25519MlKem768 {
                    mlkem,
                    x25519: Arc::new(x25519),
                },
            });
        }
        let (alg, _) = ecdh_params(group).ok_or_else(|| unsupported(group))?;
        let (private, public) = ecdh_generate(group, alg)?;
        Ok(Self {
            group,
            public,
            private: Private::Ecdh(Arc::new(private)),
        })
    }

    /// A client's shares for `groups`, in order. An X25519 share offered beside
    /// X25519MLKEM768 reuses the hybrid's X25519 key pair, so one X25519 key is
    /// generated rather than two (draft-ietf-tls-hybrid-design, 3.2 allows reusing
    /// the classical share; rustls and browsers do the same). Each share still
    /// completes on its own; only the one the server picks is used.
    pub fn start_all(groups: &[NamedGroup]) -> Result<Vec<Self>, CryptoError> {
        let mut shares: Vec<Self> = Vec::with_capacity(groups.len());
        for &group in groups {
            let hybrid_x25519 = shares.iter().find_map(|k| match &k.private {
                Private::X25519MlKem768 { x25519, .. } => {
                    Some((x25519, k.public.get(MLKEM768_EK_LEN..)))
                }
                Private::Ecdh(_) => None,
            });
            let share = match (group, hybrid_x25519) {
                (NamedGroup::X25519, Some((x25519, Some(public)))) => Self {
                    group,
                    public: public.to_vec(),
                    private: Private::Ecdh(Arc::clone(x25519)),
                },
                _ => Self::start(group)?,
            };
            shares.push(share);
        }
        Ok(shares)
    }

    /// Test hook for replaying recorded transcripts (RFC 8448): an X25519 share
    /// from a known private key.
    pub fn x25519_from_private(private: &[u8; 32]) -> Result<Self, CryptoError> {
        Self::from_private(NamedGroup::X25519, private)
    }

    /// Test hook: a plain (EC)DH share (x25519, secp256r1, secp384r1) from a known
    /// private key (raw X25519 scalar, or big-endian fixed-length EC scalar).
    pub fn from_private(group: NamedGroup, private: &[u8]) -> Result<Self, CryptoError> {
        let (alg, _) = ecdh_params(group).ok_or_else(|| unsupported(group))?;
        let private = agreement::PrivateKey::from_private_key(alg, private).map_err(|_| {
            let scalar_len = if group == NamedGroup::secp384r1 {
                48
            } else {
                32
            };
            if private.len() == scalar_len {
                // The right size but not a valid scalar (zero, or not below the order).
                failed(group)
            } else {
                CryptoError::BadKeyLength {
                    algorithm: group_name(group),
                    length: private.len(),
                }
            }
        })?;
        let public = private
            .compute_public_key()
            .map_err(|_| failed(group))?
            .as_ref()
            .to_vec();
        Ok(Self {
            group,
            public,
            private: Private::Ecdh(Arc::new(private)),
        })
    }

    pub fn group(&self) -> NamedGroup {
        self.group
    }

    /// The `key_exchange` bytes of our KeyShareEntry (RFC 8446, 4.2.8).
    pub fn public_share(&self) -> &[u8] {
        &self.public
    }

    /// Combines our private key with the server's share into the shared secret
    /// (the IKM of the handshake secret, RFC 8446, 7.1).
    pub fn complete(self, server_share: &[u8]) -> Result<Secret, CryptoError> {
        let group = self.group;
        match &self.private {
            Private::Ecdh(private) => {
                let (alg, len) = ecdh_params(group).ok_or_else(|| unsupported(group))?;
                check_ecdh_share(group, server_share, len)?;
                ecdh_agree(group, alg, private, server_share)
            }
            Private::X25519MlKem768 { mlkem, x25519 } => {
                // Server share: ML-KEM ciphertext || X25519 public (4.2).
                let (ct, x25519_peer) = split_exact(server_share, MLKEM768_CT_LEN, X25519_LEN)
                    .ok_or_else(|| bad_share(group))?;
                let x25519_secret = ecdh_agree(group, &agreement::X25519, x25519, x25519_peer)?;
                // 4.2: decapsulation failing for a well-sized ciphertext is internal_error.
                let mlkem_secret = mlkem
                    .decapsulate(kem::Ciphertext::from(ct))
                    .map_err(|_| failed(group))?;
                Ok(hybrid_secret(mlkem_secret.as_ref(), &x25519_secret))
            }
        }
    }
}

impl core::fmt::Debug for KeyExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "KeyExchange({})", self.group)
    }
}

/// The server side: answers the client's share for `group` with our share and the
/// shared secret. For X25519MLKEM768 this encapsulates to the client's ML-KEM key
/// (draft-ietf-tls-ecdhe-mlkem, 4.2); otherwise it is ephemeral (EC)DH.
pub fn server_key_exchange(
    group: NamedGroup,
    client_share: &[u8],
) -> Result<(Vec<u8>, Secret), CryptoError> {
    if group == NamedGroup::X25519MLKEM768 {
        let (ek, x25519_peer) = split_exact(client_share, MLKEM768_EK_LEN, X25519_LEN)
            .ok_or_else(|| bad_share(group))?;
        // 4.2: the FIPS 203, 7.2 encapsulation key check; failure is illegal_parameter.
        let ek = kem::EncapsulationKey::new(&kem::ML_KEM_768, ek).map_err(|_| bad_share(group))?;
        let (x25519, x25519_pub) = ecdh_generate(group, &agreement::X25519)?;
        let x25519_secret = ecdh_agree(group, &agreement::X25519, &x25519, x25519_peer)?;
        let (ct, mlkem_secret) = ek.encapsulate().map_err(|_| bad_share(group))?;
        let mut share = Vec::with_capacity(MLKEM768_CT_LEN + X25519_LEN);
        share.extend_from_slice(ct.as_ref());
        share.extend_from_slice(&x25519_pub);
        return Ok((share, hybrid_secret(mlkem_secret.as_ref(), &x25519_secret)));
    }
    let (alg, len) = ecdh_params(group).ok_or_else(|| unsupported(group))?;
    check_ecdh_share(group, client_share, len)?;
    let (private, public) = ecdh_generate(group, alg)?;
    let secret = ecdh_agree(group, alg, &private, client_share)?;
    Ok((public, secret))
}

fn ecdh_generate(
    group: NamedGroup,
    alg: &'static agreement::Algorithm,
) -> Result<(agreement::PrivateKey, Vec<u8>), CryptoError> {
    let private = agreement::PrivateKey::generate(alg).map_err(|_| failed(group))?;
    let public = private
        .compute_public_key()
        .map_err(|_| failed(group))?
        .as_ref()
        .to_vec();
    Ok((private, public))
}

/// RFC 8446, 4.2.8.2: EC shares are uncompressed points; X25519 shares are 32 bytes.
/// aws-lc would also take compressed points or SPKI DER, so we check the form first.
fn check_ecdh_share(group: NamedGroup, share: &[u8], len: usize) -> Result<(), CryptoError> {
    let form_ok = group == NamedGroup::X25519 || share.first() == Some(&UNCOMPRESSED);
    if share.len() == len && form_ok {
        Ok(())
    } else {
        Err(bad_share(group))
    }
}

/// (EC)DH with a length-checked peer value. aws-lc checks that EC points are on the
/// curve; we reject an all-zero X25519 result (RFC 8446, 7.4.2; RFC 7748, 6.1).
fn ecdh_agree(
    group: NamedGroup,
    alg: &'static agreement::Algorithm,
    private: &agreement::PrivateKey,
    peer: &[u8],
) -> Result<Secret, CryptoError> {
    agreement::agree(
        private,
        agreement::UnparsedPublicKey::new(alg, peer),
        bad_share(group),
        |shared| {
            if shared.iter().fold(0u8, |acc, b| acc | b) == 0 {
                return Err(bad_share(group));
            }
            Ok(Secret::from(shared))
        },
    )
}

/// Splits `data` into exactly `first` and `second` bytes, or `None` if its length differs.
fn split_exact(data: &[u8], first: usize, second: usize) -> Option<(&[u8], &[u8])> {
    if data.len() != first.checked_add(second)? {
        return None;
    }
    data.split_at_checked(first)
}

/// draft-ietf-tls-ecdhe-mlkem, 4.3: ML-KEM shared secret || X25519 shared secret.
fn hybrid_secret(mlkem: &[u8], x25519: &Secret) -> Secret {
    let mut out = Vec::with_capacity(mlkem.len() + x25519.len());
    out.extend_from_slice(mlkem);
    out.extend_from_slice(x25519.as_bytes());
    Secret::from(out)
}

#[cfg(test)]
mod tests;
