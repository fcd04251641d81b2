//! What TLS 1.2 needs from aws-lc beyond the TLS 1.3 primitives: the PRF's keyed
//! hash ([`PrfKey`]), and ECDHE in its RFC 8422 shape.
//!
//! RFC 8422, 5.4 and 5.10: the ECPoint of ServerKeyExchange and ClientKeyExchange is
//! the uncompressed point (0x04 || X || Y) for P-256 and P-384 and the 32-byte u
//! coordinate for X25519, which is exactly the TLS 1.3 key share encoding that
//! [`KeyExchange`] produces and checks. The premaster secret is the shared
//! x-coordinate (FE2OSP, leading zeros kept) or the X25519 output, as aws-lc
//! returns it. The hybrid X25519MLKEM768 is a KEM, which TLS 1.2's message flow
//! (server sends first) cannot carry, so it is refused here.

use aws_lc_rs::digest;
use zeroize::Zeroize;

use super::hash::{HashAlgorithm, Secret};
use super::kx::{server_key_exchange, KeyExchange};
use crate::error::CryptoError;
use crate::msgs::enums::NamedGroup;

/// The largest hash block (SHA-384's) and output.
const MAX_BLOCK_LEN: usize = 128;
const MAX_OUTPUT_LEN: usize = 48;
/// Seeds up to this long (every handshake's: a label and two randoms or a hash) are
/// joined into one buffer before hashing. Seeds are public values.
const JOINED_SEED_LEN: usize = 128;

fn digest_alg(alg: HashAlgorithm) -> &'static digest::Algorithm {
    match alg {
        HashAlgorithm::Sha256 => &digest::SHA256,
        HashAlgorithm::Sha384 => &digest::SHA384,
    }
}

fn block_len(alg: HashAlgorithm) -> usize {
    match alg {
        HashAlgorithm::Sha256 => 64,
        HashAlgorithm::Sha384 => 128,
    }
}

/// A TLS 1.2 PRF secret as an HMAC key (RFC 2104) whose padded blocks are hashed
/// once: every MAC resumes from the saved inner and outer hash states. A secret that
/// derives several values (the master secret: key block and both Finished values)
/// pays for its key once, and no MAC sets up, copies or wipes a whole HMAC context.
/// The saved states are wiped when dropped (aws-lc clears what it frees).
pub struct PrfKey {
    inner: digest::Context,
    outer: digest::Context,
    alg: HashAlgorithm,
}

impl PrfKey {
    pub fn new(alg: HashAlgorithm, secret: &[u8]) -> Self {
        let block = block_len(alg);
        let mut hashed = [0u8; MAX_OUTPUT_LEN];
        // RFC 2104, 3: a key longer than the block is hashed first.
        let key = if secret.len() > block {
            let d = digest::digest(digest_alg(alg), secret);
            let n = d.as_ref().len().min(MAX_OUTPUT_LEN);
            hashed[..n].copy_from_slice(&d.as_ref()[..n]);
            &hashed[..n]
        } else {
            secret
        };
        let mut pad = [0u8; MAX_BLOCK_LEN];
        let pad = &mut pad[..block];
        let mut state = |fill: u8| {
            pad.fill(fill);
            for (p, k) in pad.iter_mut().zip(key) {
                *p ^= k;
            }
            let mut ctx = digest::Context::new(digest_alg(alg));
            ctx.update(pad);
            ctx
        };
        let inner = state(0x36);
        let outer = state(0x5c);
        pad.zeroize();
        hashed.as_mut_slice().zeroize();
        PrfKey { inner, outer, alg }
    }

    /// HMAC of `prefix` then `parts`, into `out`; returns its length.
    fn mac(&self, prefix: &[u8], parts: &[&[u8]], out: &mut [u8; MAX_OUTPUT_LEN]) -> usize {
        let mut inner = self.inner.clone();
        if !prefix.is_empty() {
            inner.update(prefix);
        }
        for p in parts {
            inner.update(p);
        }
        let inner = inner.finish();
        let mut outer = self.outer.clone();
        outer.update(inner.as_ref());
        let mac = outer.finish();
        let n = mac.as_ref().len().min(MAX_OUTPUT_LEN);
        out[..n].copy_from_slice(&mac.as_ref()[..n]);
        n
    }

    /// Fills `out` with P_hash(secret, seed) (RFC 5246, 5):
    /// `HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + ...`, with
    /// `A(0) = seed` and `A(i) = HMAC(secret, A(i-1))`. The seed is given in parts
    /// (label, then up to two values) so callers need not concatenate them; a seed of
    /// usual size is joined here once, so each HMAC hashes it in one piece.
    pub fn p_hash(&self, seed: [&[u8]; 3], out: &mut [u8]) {
        let mut joined = [0u8; JOINED_SEED_LEN];
        let seed_len: usize = seed.iter().map(|p| p.len()).sum();
        let one;
        let seed: &[&[u8]] = if seed_len <= JOINED_SEED_LEN {
            let mut at = 0;
            for p in seed {
                joined[at..at + p.len()].copy_from_slice(p);
                at += p.len();
            }
            one = [&joined[..seed_len]];
            &one
        } else {
            &seed
        };
        let hash_len = self.alg.output_len();
        let blocks = out.len().div_ceil(hash_len);
        let mut a = [0u8; MAX_OUTPUT_LEN];
        let mut block = [0u8; MAX_OUTPUT_LEN];
        let mut a_len = self.mac(&[], seed, &mut a);
        for (i, chunk) in out.chunks_mut(hash_len).enumerate() {
            let a_i = &a[..a_len];
            self.mac(a_i, seed, &mut block);
            for (o, b) in chunk.iter_mut().zip(&block) {
                *o = *b;
            }
            if i + 1 < blocks {
                let next = self.mac(a_i, &[], &mut block);
                a = block;
                a_len = next;
            }
        }
        // As slices: zeroize clears a slice in bulk, an array byte by byte.
        a.as_mut_slice().zeroize();
        block.as_mut_slice().zeroize();
    }
}

impl core::fmt::Debug for PrfKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PrfKey({:?})", self.alg)
    }
}

static TLS12_GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

/// The groups we offer and accept for TLS 1.2 ECDHE, in preference order.
pub fn tls12_groups() -> &'static [NamedGroup] {
    &TLS12_GROUPS
}

fn check_group(group: NamedGroup) -> Result<(), CryptoError> {
    if TLS12_GROUPS.contains(&group) {
        Ok(())
    } else {
        Err(CryptoError::UnsupportedGroup {
            group: group.name().into_owned(),
        })
    }
}

/// The side that sends its ECDHE point first: the TLS 1.2 server (ServerKeyExchange).
pub struct EcdheKeyExchange {
    inner: KeyExchange,
}

impl EcdheKeyExchange {
    /// A fresh ephemeral key pair for `group`; `UnsupportedGroup` for anything but
    /// X25519, secp256r1 and secp384r1.
    pub fn start(group: NamedGroup) -> Result<Self, CryptoError> {
        check_group(group)?;
        Ok(EcdheKeyExchange {
            inner: KeyExchange::start(group)?,
        })
    }

    /// Test hook: a key pair from a known private key (see [`KeyExchange::from_private`]).
    pub fn from_private(group: NamedGroup, private: &[u8]) -> Result<Self, CryptoError> {
        check_group(group)?;
        Ok(EcdheKeyExchange {
            inner: KeyExchange::from_private(group, private)?,
        })
    }

    pub fn group(&self) -> NamedGroup {
        self.inner.group()
    }

    /// Our ECPoint (RFC 8422, 5.4): uncompressed point or X25519 u coordinate.
    pub fn public_point(&self) -> &[u8] {
        self.inner.public_share()
    }

    /// The premaster secret from the peer's ECPoint. A point of the wrong length or
    /// form, off the curve, or giving an all-zero X25519 result is `BadKeyShare`
    /// (illegal_parameter).
    pub fn complete(self, peer_point: &[u8]) -> Result<Secret, CryptoError> {
        self.inner.complete(peer_point)
    }
}

impl core::fmt::Debug for EcdheKeyExchange {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "EcdheKeyExchange({})", self.group())
    }
}

/// The side that answers a received point: the TLS 1.2 client (ClientKeyExchange).
/// Returns our ECPoint and the premaster secret.
pub fn ecdhe_respond(
    group: NamedGroup,
    peer_point: &[u8],
) -> Result<(Vec<u8>, Secret), CryptoError> {
    check_group(group)?;
    server_key_exchange(group, peer_point)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::enums::AlertDescription;
    use crate::test_util::unhex;

    #[test]
    fn both_sides_agree_for_every_group() {
        for &group in tls12_groups() {
            let server = EcdheKeyExchange::start(group).unwrap();
            assert_eq!(server.group(), group);
            let (client_point, client_pms) = ecdhe_respond(group, server.public_point()).unwrap();
            let server_pms = server.complete(&client_point).unwrap();
            assert_eq!(client_pms, server_pms, "{group}");
            let (point_len, pms_len) = match group {
                NamedGroup::X25519 => (32, 32),
                NamedGroup::secp256r1 => (65, 32),
                _ => (97, 48),
            };
            assert_eq!(client_point.len(), point_len);
            assert_eq!(server_pms.len(), pms_len);
            if group != NamedGroup::X25519 {
                assert_eq!(client_point[0], 4, "RFC 8422, 5.4.1: uncompressed form");
            }
        }
    }

    #[test]
    fn rfc7748_x25519_vector_as_tls12_premaster() {
        // RFC 7748, 6.1: Alice's private key and Bob's public key give K.
        let alice = EcdheKeyExchange::from_private(
            NamedGroup::X25519,
            &unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
        )
        .unwrap();
        assert_eq!(
            alice.public_point(),
            unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        );
        let pms = alice
            .complete(&unhex(
                "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
            ))
            .unwrap();
        assert_eq!(
            pms.as_bytes(),
            unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        );
    }

    #[test]
    fn p256_premaster_is_the_x_coordinate() {
        // RFC 8422, 5.10: the premaster secret is the x-coordinate of d_A * Q_B.
        // Cross-checked with Python's `cryptography` ECDH (which returns x).
        let a = EcdheKeyExchange::from_private(NamedGroup::secp256r1, &[0x11; 32]).unwrap();
        let b = EcdheKeyExchange::from_private(NamedGroup::secp256r1, &[0x22; 32]).unwrap();
        let b_point = b.public_point().to_vec();
        let pms = a.complete(&b_point).unwrap();
        assert_eq!(pms.as_bytes(), unhex(P256_X_11_22));
    }

    /// x-coordinate of (0x11..11 * 0x22..22) * G on P-256, from Python `cryptography`.
    const P256_X_11_22: &str = "ccfc261f58193c98ca4ad4a53bbac6f0ee29bc4d48438090446908622ca79af6";

    #[test]
    fn bad_points_and_groups_are_refused() {
        let server = EcdheKeyExchange::start(NamedGroup::secp256r1).unwrap();
        let mut compressed = server.public_point()[..33].to_vec();
        compressed[0] = 2;
        let err = EcdheKeyExchange::start(NamedGroup::secp256r1)
            .unwrap()
            .complete(&compressed)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "peer's secp256r1 key share is not a valid public key"
        );
        assert_eq!(
            crate::Error::from(err).alert(),
            Some(AlertDescription::IllegalParameter)
        );
        assert!(ecdhe_respond(NamedGroup::X25519, &[0; 32]).is_err());
        assert!(ecdhe_respond(NamedGroup::secp384r1, &[4; 97]).is_err());

        for group in [
            NamedGroup::X25519MLKEM768,
            NamedGroup::FFDHE2048,
            NamedGroup::secp521r1,
        ] {
            let err = EcdheKeyExchange::start(group).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("key exchange group {group} is not supported by ferrotls")
            );
            assert!(ecdhe_respond(group, &[4; 65]).is_err());
        }
        assert_eq!(format!("{server:?}"), "EcdheKeyExchange(secp256r1)");
    }

    #[test]
    fn prf_seeds_longer_than_the_join_buffer_match_aws_lc() {
        use aws_lc_rs::tls_prf;
        let seed: Vec<u8> = (0..JOINED_SEED_LEN + 72).map(|i| i as u8).collect();
        for seed_len in [
            JOINED_SEED_LEN - 1,
            JOINED_SEED_LEN,
            JOINED_SEED_LEN + 1,
            seed.len(),
        ] {
            let seed = &seed[..seed_len];
            let ours = crate::tls12::prf::prf(
                crate::crypto::HashAlgorithm::Sha256,
                &[9; 48],
                b"label",
                seed,
                72,
            );
            let theirs = tls_prf::Secret::new(&tls_prf::P_SHA256, &[9; 48])
                .unwrap()
                .derive(b"label", seed, 72)
                .unwrap();
            assert_eq!(ours.as_bytes(), theirs.as_ref(), "{seed_len}");
        }
    }

    #[test]
    fn prf_key_debug_names_only_the_hash() {
        let key = PrfKey::new(crate::crypto::HashAlgorithm::Sha384, &[1; 48]);
        assert_eq!(format!("{key:?}"), "PrfKey(Sha384)");
    }

    #[test]
    fn prf_matches_aws_lc_tls_prf() {
        // An independent implementation of the RFC 5246 PRF: aws-lc's own.
        use crate::crypto::HashAlgorithm;
        use aws_lc_rs::tls_prf;
        for (alg, lc) in [
            (HashAlgorithm::Sha256, &tls_prf::P_SHA256),
            (HashAlgorithm::Sha384, &tls_prf::P_SHA384),
        ] {
            for len in [0usize, 1, 12, 48, 100, 200] {
                // Keys shorter than, as long as and longer than a hash block (RFC 2104, 3).
                for secret_len in [1usize, 48, 64, 65, 128, 129, 300] {
                    let secret: Vec<u8> = (0..secret_len).map(|i| i as u8 ^ 0x0b).collect();
                    let ours =
                        crate::tls12::prf::prf(alg, &secret, b"key expansion", b"seed bytes", len);
                    if len == 0 {
                        assert!(ours.is_empty());
                        continue;
                    }
                    let theirs = tls_prf::Secret::new(lc, &secret)
                        .unwrap()
                        .derive(b"key expansion", b"seed bytes", len)
                        .unwrap();
                    assert_eq!(
                        ours.as_bytes(),
                        theirs.as_ref(),
                        "{alg:?} {len} {secret_len}"
                    );
                }
            }
        }
    }
}
