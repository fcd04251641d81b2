//! Static RSA key transport for TLS 1.2 (RFC 5246, 7.4.7.1): legacy, opt-in.
//!
//! The server side is built so it is not a Bleichenbacher/ROBOT padding oracle: it
//! draws a random 48-byte pre-master secret *before* decrypting, then chooses between
//! that and the decrypted value with masks, with no early return and no branch on
//! whether the padding, the length or the version bytes were right. A peer that
//! sent a bad ciphertext simply ends up with a different master secret and fails at
//! Finished, exactly like one that sent a good ciphertext with a wrong key.
//!
//! Residual, outside our code: aws-lc-rs offers PKCS#1 v1.5 decryption only with the
//! padding check inside aws-lc (no raw `RSA_NO_PADDING`). aws-lc checks the padding in
//! constant time, but then reports the verdict as success or an error (one branch and
//! an error-queue entry in aws-lc). We turn that into a mask at once, so the only
//! timing difference left is aws-lc's own error path, the same class of residual the
//! "Marvin" attack measured. That is one more reason static RSA stays off by default.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeyPair as RsaKeyPair, Pkcs1PrivateDecryptingKey, Pkcs1PublicEncryptingKey,
    PrivateDecryptingKey, PublicEncryptingKey,
};
use rustls_pki_types::PrivateKeyDer;
use zeroize::Zeroize;

use super::cbc::{ct_eq, ct_select};
use super::hash::Secret;
use super::provider::RandomSource;
use crate::error::{ConfigError, CryptoError};
use crate::msgs::enums::ProtocolVersion;

/// Length of the TLS 1.2 RSA pre-master secret (RFC 5246, 7.4.7.1).
pub const PRE_MASTER_LEN: usize = 48;

/// A client's pre-master secret for static RSA: `client_version || 46 random bytes`
/// (RFC 5246, 7.4.7.1). `client_version` is the version the ClientHello offered, not
/// the negotiated one.
pub fn new_pre_master(
    client_version: ProtocolVersion,
    random: &dyn RandomSource,
) -> Result<Secret, CryptoError> {
    let mut pms = vec![0u8; PRE_MASTER_LEN];
    random.fill(&mut pms[2..])?;
    pms[..2].copy_from_slice(&client_version.to_wire().to_be_bytes());
    Ok(Secret::from(pms))
}

/// Encrypts `pre_master` with RSAES-PKCS1-v1_5 to the RSA key in `spki_der` (the
/// server certificate's SubjectPublicKeyInfo): the `EncryptedPreMasterSecret` body,
/// without its length prefix. Fails with `RsaKeyTransport` if the key is not an
/// RSA key of 2048 to 8192 bits.
pub fn encrypt_pre_master(spki_der: &[u8], pre_master: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let public =
        PublicEncryptingKey::from_der(spki_der).map_err(|_| CryptoError::RsaKeyTransport {
            reason: "the certificate's key is not an RSA key of 2048 to 8192 bits",
        })?;
    let key = Pkcs1PublicEncryptingKey::new(public).map_err(|_| CryptoError::RsaKeyTransport {
        reason: "the RSA key cannot be used for PKCS#1 v1.5 encryption",
    })?;
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(pre_master, &mut out)
        .map_err(|_| CryptoError::RsaKeyTransport {
            reason: "RSA encryption failed",
        })?
        .len();
    out.truncate(len);
    Ok(out)
}

/// A server's RSA private key for decrypting the client's pre-master secret.
pub struct RsaDecryptingKey {
    key: Pkcs1PrivateDecryptingKey,
    bits: usize,
}

impl RsaDecryptingKey {
    /// Loads an RSA private key (PKCS#8 or PKCS#1) of 2048 to 8192 bits. Other key
    /// types and sizes are `BadPrivateKey`.
    pub fn from_der(key: &PrivateKeyDer<'_>) -> Result<Self, ConfigError> {
        let bad = |reason: &str| ConfigError::BadPrivateKey {
            reason: format!("it cannot decrypt RSA key exchanges: {reason}"),
        };
        let private = match key {
            PrivateKeyDer::Pkcs8(der) => {
                PrivateDecryptingKey::from_pkcs8(der.secret_pkcs8_der())
                    .map_err(|_| bad("it is not a PKCS#8 RSA key of 2048 to 8192 bits"))?
            }
            PrivateKeyDer::Pkcs1(der) => {
                let pair = RsaKeyPair::from_der(der.secret_pkcs1_der())
                    .map_err(|_| bad("it is not a PKCS#1 RSA key of 2048 to 8192 bits"))?;
                let pkcs8 = pair
                    .as_der()
                    .map_err(|_| bad("it could not be re-encoded as PKCS#8"))?;
                PrivateDecryptingKey::from_pkcs8(pkcs8.as_ref())
                    .map_err(|_| bad("it is not an RSA key of 2048 to 8192 bits"))?
            }
            _ => return Err(bad("only RSA keys (PKCS#8 or PKCS#1) can")),
        };
        let bits = private.key_size_bits();
        let key = Pkcs1PrivateDecryptingKey::new(private)
            .map_err(|_| bad("aws-lc refused it for PKCS#1 v1.5 decryption"))?;
        Ok(RsaDecryptingKey { key, bits })
    }

    pub fn key_size_bits(&self) -> usize {
        self.bits
    }

    /// The pre-master secret from an `EncryptedPreMasterSecret` body (RFC 5246,
    /// 7.4.7.1), never an error that depends on the ciphertext.
    ///
    /// A random 48-byte value is drawn first; the decrypted value replaces it only
    /// if decryption succeeded, it is 48 bytes long and it starts with
    /// `client_version` (the version the ClientHello offered). The choice is made
    /// with masks. The only error is a failing random source, before decryption.
    pub fn decrypt_pre_master(
        &self,
        encrypted: &[u8],
        client_version: ProtocolVersion,
        random: &dyn RandomSource,
    ) -> Result<Secret, CryptoError> {
        let mut fallback = [0u8; PRE_MASTER_LEN];
        random.fill(&mut fallback)?;

        let mut buf = vec![0u8; self.key.min_output_size().max(PRE_MASTER_LEN)];
        // The verdict becomes a mask right away; both arms do the same (nothing).
        let (ok, len) = match self.key.decrypt(encrypted, &mut buf) {
            Ok(plain) => (1usize, plain.len()),
            Err(_) => (0usize, 0usize),
        };
        let [hi, lo] = client_version.to_wire().to_be_bytes();
        let good = 0usize.wrapping_sub(ok)
            & ct_eq(len, PRE_MASTER_LEN)
            & ct_eq(usize::from(buf[0]), usize::from(hi))
            & ct_eq(usize::from(buf[1]), usize::from(lo));

        let mut pms = vec![0u8; PRE_MASTER_LEN];
        for ((out, &dec), &rnd) in pms.iter_mut().zip(&buf).zip(&fallback) {
            *out = ct_select(good, usize::from(dec), usize::from(rnd)) as u8;
        }
        buf.zeroize();
        fallback.zeroize();
        Ok(Secret::from(pms))
    }
}

impl core::fmt::Debug for RsaDecryptingKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RsaDecryptingKey({}-bit)", self.bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Provider;
    use rustls_pki_types::{PrivatePkcs1KeyDer, PrivatePkcs8KeyDer};

    const RSA2048_PKCS1: &[u8] = include_bytes!("testdata/rsa2048.pkcs1.der");
    const RSA1024_PKCS1: &[u8] = include_bytes!("testdata/rsa1024.pkcs1.der");

    fn key() -> RsaDecryptingKey {
        RsaDecryptingKey::from_der(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(
            RSA2048_PKCS1.to_vec(),
        )))
        .unwrap()
    }

    fn spki() -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair;
        let pair = RsaKeyPair::from_der(RSA2048_PKCS1).unwrap();
        pair.public_key().as_der().unwrap().as_ref().to_vec()
    }

    /// Textbook RSA (`block^65537 mod n`) of a 256-byte block, so tests can build
    /// any padding, valid or not; aws-lc only encrypts valid blocks.
    fn raw_encrypt(block: &[u8]) -> Vec<u8> {
        use aws_lc_rs::signature::KeyPair;
        let pair = RsaKeyPair::from_der(RSA2048_PKCS1).unwrap();
        let comps: aws_lc_rs::rsa::PublicKeyComponents<Vec<u8>> = pair.public_key().into();
        assert_eq!(comps.e, [1, 0, 1]);
        modexp_65537(block, &comps.n)
    }

    /// Big-endian `m^65537 mod n`, schoolbook multiplication on 32-bit limbs and
    /// bit-by-bit reduction. Slow, simple, for tests only.
    fn modexp_65537(m: &[u8], n: &[u8]) -> Vec<u8> {
        let limbs = |b: &[u8]| -> Vec<u64> {
            b.rchunks(4)
                .map(|c| c.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
                .collect()
        };
        let n_bytes = n.len();
        let n: Vec<u64> = limbs(n).into_iter().chain([0]).collect();
        let k = n.len() - 1;
        let geq = |a: &[u64], b: &[u64]| {
            for i in (0..a.len()).rev() {
                if a[i] != b[i] {
                    return a[i] > b[i];
                }
            }
            true
        };
        let mulmod = |a: &[u64], b: &[u64]| -> Vec<u64> {
            let mut prod = vec![0u64; 2 * k];
            for i in 0..k {
                let mut carry = 0;
                for j in 0..k {
                    let t = prod[i + j] + a[i] * b[j] + carry;
                    prod[i + j] = t & 0xffff_ffff;
                    carry = t >> 32;
                }
                prod[i + k] = carry;
            }
            let mut r = vec![0u64; k + 1];
            for bit in (0..64 * k).rev() {
                let mut carry = (prod[bit / 32] >> (bit % 32)) & 1;
                for x in r.iter_mut() {
                    let t = (*x << 1) | carry;
                    *x = t & 0xffff_ffff;
                    carry = t >> 32;
                }
                if geq(&r, &n) {
                    let mut borrow = 0i64;
                    for (x, y) in r.iter_mut().zip(&n) {
                        let t = *x as i64 - *y as i64 - borrow;
                        borrow = i64::from(t < 0);
                        *x = (t + (borrow << 32)) as u64;
                    }
                }
            }
            r.truncate(k);
            r
        };
        let mut base = limbs(m);
        base.resize(k, 0);
        let mut acc = base.clone();
        for _ in 0..16 {
            acc = mulmod(&acc, &acc);
        }
        acc = mulmod(&acc, &base);
        let mut out: Vec<u8> = acc.iter().flat_map(|l| (*l as u32).to_le_bytes()).collect();
        out.truncate(n_bytes);
        out.reverse();
        out
    }

    fn type2_block(msg: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let k = 256;
        let mut block = vec![0u8, 2];
        block.extend(std::iter::repeat_n(0x5a, k - 3 - msg.len()));
        block.push(0);
        block.extend_from_slice(msg);
        edit(&mut block);
        block
    }

    #[test]
    fn round_trip_with_version_check() {
        let provider = Provider::fixed(7, rustls_pki_types::UnixTime::now());
        let pms = new_pre_master(ProtocolVersion::TLSv1_2, provider.random.as_ref()).unwrap();
        assert_eq!(pms.len(), 48);
        assert_eq!(pms.as_bytes()[..2], [3, 3]);
        let ct = encrypt_pre_master(&spki(), pms.as_bytes()).unwrap();
        assert_eq!(ct.len(), 256);
        let key = key();
        assert_eq!(key.key_size_bits(), 2048);
        assert_eq!(format!("{key:?}"), "RsaDecryptingKey(2048-bit)");
        let got = key
            .decrypt_pre_master(&ct, ProtocolVersion::TLSv1_2, provider.random.as_ref())
            .unwrap();
        assert_eq!(got, pms);
        // The same ciphertext checked against another offered version: random.
        let other = key
            .decrypt_pre_master(&ct, ProtocolVersion::TLSv1_1, provider.random.as_ref())
            .unwrap();
        assert_eq!(other.len(), 48);
        assert_ne!(other, pms);
    }

    #[test]
    fn textbook_helper_matches_aws_lc_decryption() {
        // Our test-only modexp builds a valid block that aws-lc decrypts as expected.
        let msg = [[3u8, 3].as_slice(), &[0xab; 46]].concat();
        let ct = raw_encrypt(&type2_block(&msg, |_| {}));
        let provider = Provider::fixed(1, rustls_pki_types::UnixTime::now());
        let got = key()
            .decrypt_pre_master(&ct, ProtocolVersion::TLSv1_2, provider.random.as_ref())
            .unwrap();
        assert_eq!(got.as_bytes(), msg);
    }

    #[test]
    fn every_bad_ciphertext_yields_a_random_pre_master_not_an_error() {
        let good = [[3u8, 3].as_slice(), &[0xab; 46]].concat();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            (
                "first byte not 0",
                raw_encrypt(&type2_block(&good, |b| b[0] = 1)),
            ),
            (
                "block type 1",
                raw_encrypt(&type2_block(&good, |b| b[1] = 1)),
            ),
            (
                "no zero separator",
                raw_encrypt(&type2_block(&good, |b| {
                    let at = b.len() - 49;
                    b[at] = 0x5a
                })),
            ),
            (
                "padding under 8 bytes",
                raw_encrypt(&type2_block(
                    &[[3u8, 3].as_slice(), &[1; 244]].concat(),
                    |_| {},
                )),
            ),
            (
                "47-byte secret",
                raw_encrypt(&type2_block(&good[..47], |_| {})),
            ),
            (
                "49-byte secret",
                raw_encrypt(&type2_block(&[good.as_slice(), &[0]].concat(), |_| {})),
            ),
            (
                "wrong version",
                raw_encrypt(&type2_block(
                    &[[3u8, 1].as_slice(), &[0xab; 46]].concat(),
                    |_| {},
                )),
            ),
            ("short ciphertext", vec![1; 255]),
            ("long ciphertext", vec![1; 257]),
            ("empty", vec![]),
            ("value above the modulus", vec![0xff; 256]),
        ];
        let key = key();
        for (name, ct) in cases {
            // Two runs with different randomness: the result is the random value, so
            // it differs between runs and never equals the encrypted secret.
            let a = Provider::fixed(1, rustls_pki_types::UnixTime::now());
            let b = Provider::fixed(2, rustls_pki_types::UnixTime::now());
            let ra = key
                .decrypt_pre_master(&ct, ProtocolVersion::TLSv1_2, a.random.as_ref())
                .unwrap();
            let rb = key
                .decrypt_pre_master(&ct, ProtocolVersion::TLSv1_2, b.random.as_ref())
                .unwrap();
            assert_eq!(ra.len(), 48, "{name}");
            assert_ne!(ra, rb, "{name}");
            assert_ne!(ra.as_bytes(), good, "{name}");
            // And it is exactly the first 48 random bytes the provider gives.
            let fresh = Provider::fixed(1, rustls_pki_types::UnixTime::now());
            assert_eq!(ra.as_bytes(), fresh.random_array::<48>().unwrap(), "{name}");
        }
    }

    #[test]
    fn key_loading_errors() {
        let small = RsaDecryptingKey::from_der(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(
            RSA1024_PKCS1.to_vec(),
        )))
        .unwrap_err();
        assert_eq!(
            small.to_string(),
            "the private key cannot be used: it cannot decrypt RSA key exchanges: it is not a PKCS#1 RSA key of 2048 to 8192 bits"
        );
        let ec = RsaDecryptingKey::from_der(&PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(vec![
            0x30, 0x00,
        ])))
        .unwrap_err();
        assert_eq!(
            ec.to_string(),
            "the private key cannot be used: it cannot decrypt RSA key exchanges: it is not a PKCS#8 RSA key of 2048 to 8192 bits"
        );
        // PKCS#8 form of the same key loads too.
        let pkcs8 = RsaKeyPair::from_der(RSA2048_PKCS1)
            .unwrap()
            .as_der()
            .unwrap();
        let k = RsaDecryptingKey::from_der(&PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            pkcs8.as_ref().to_vec(),
        )))
        .unwrap();
        assert_eq!(k.key_size_bits(), 2048);
    }

    #[test]
    fn encrypting_to_a_non_rsa_key_fails() {
        let err = encrypt_pre_master(&[0x30, 0x03, 0x02, 0x01, 0x00], &[0; 48]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not encrypt the RSA pre-master secret to the server's key: the certificate's key is not an RSA key of 2048 to 8192 bits"
        );
        assert_eq!(
            crate::Error::from(err).alert(),
            Some(crate::msgs::enums::AlertDescription::InternalError)
        );
    }
}
