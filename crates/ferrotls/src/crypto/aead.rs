//! Record-protection AEADs (RFC 8446, 5.2; RFC 5288; RFC 8439).
//!
//! The caller builds the per-record nonce (RFC 8446, 5.3) and the additional data;
//! this module only seals and opens.

use aws_lc_rs::aead;

use crate::error::CryptoError;

/// Length of the authentication tag of every AEAD we support.
pub const TAG_LEN: usize = 16;
/// Length of the per-record nonce of every AEAD we support.
pub const NONCE_LEN: usize = 12;

/// The AEADs of the TLS 1.3 cipher suites (RFC 8446, B.4) and their TLS 1.2 counterparts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AeadAlgorithm {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

impl AeadAlgorithm {
    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            AeadAlgorithm::Aes128Gcm => 16,
            AeadAlgorithm::Aes256Gcm | AeadAlgorithm::ChaCha20Poly1305 => 32,
        }
    }

    /// Human-readable name, e.g. "AES-128-GCM".
    pub fn name(self) -> &'static str {
        match self {
            AeadAlgorithm::Aes128Gcm => "AES-128-GCM",
            AeadAlgorithm::Aes256Gcm => "AES-256-GCM",
            AeadAlgorithm::ChaCha20Poly1305 => "ChaCha20-Poly1305",
        }
    }

    fn lc(self) -> &'static aead::Algorithm {
        match self {
            AeadAlgorithm::Aes128Gcm => &aead::AES_128_GCM,
            AeadAlgorithm::Aes256Gcm => &aead::AES_256_GCM,
            AeadAlgorithm::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }
}

/// One direction's record key. The key material lives inside aws-lc and is
/// cleared when this is dropped.
pub struct AeadKey {
    key: aead::LessSafeKey,
    alg: AeadAlgorithm,
}

impl AeadKey {
    /// Fails with `BadKeyLength` if `key` is not `alg.key_len()` bytes.
    pub fn new(alg: AeadAlgorithm, key: &[u8]) -> Result<Self, CryptoError> {
        let bad_len = CryptoError::BadKeyLength {
            algorithm: alg.name(),
            length: key.len(),
        };
        if key.len() != alg.key_len() {
            return Err(bad_len);
        }
        let unbound = aead::UnboundKey::new(alg.lc(), key).map_err(|_| bad_len)?;
        Ok(Self {
            key: aead::LessSafeKey::new(unbound),
            alg,
        })
    }

    pub fn algorithm(&self) -> AeadAlgorithm {
        self.alg
    }

    /// Encrypts `in_out` in place and appends the 16-byte tag.
    pub fn seal_in_place_append_tag(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        self.key
            .seal_in_place_append_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                in_out,
            )
            .map_err(|_| CryptoError::EncryptFailed)
    }

    /// Encrypts `in_out` in place and returns the 16-byte tag (so a record can be
    /// sealed where it lies in an output buffer, without a copy).
    pub fn seal_in_place_separate_tag(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &mut [u8],
    ) -> Result<[u8; TAG_LEN], CryptoError> {
        let tag = self
            .key
            .seal_in_place_separate_tag(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                in_out,
            )
            .map_err(|_| CryptoError::EncryptFailed)?;
        let mut out = [0u8; TAG_LEN];
        out.copy_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Encrypts `plaintext` into `out` (exactly as long) and then `extra` (TLS 1.3's
    /// content-type byte) into the front of `extra_out_and_tag`, which ends with the
    /// tag and must be `extra.len() + TAG_LEN` bytes. The plaintext is read once and
    /// never copied, so a record can be sealed straight from the caller's buffer.
    pub fn seal_out_of_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
        out: &mut [u8],
        extra: &[u8],
        extra_out_and_tag: &mut [u8],
    ) -> Result<(), CryptoError> {
        self.key
            .seal_out_of_place_scatter(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                plaintext,
                out,
                extra,
                extra_out_and_tag,
            )
            .map_err(|_| CryptoError::EncryptFailed)
    }

    /// Authenticates `sealed` (ciphertext followed by the tag) and decrypts it into
    /// `out`, which must be exactly as long as the ciphertext. Returns `None` if
    /// authentication failed for any reason; `out` is then zeroed, so nothing
    /// unauthenticated is left behind.
    pub fn open_out_of_place(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        sealed: &[u8],
        out: &mut [u8],
    ) -> Option<()> {
        let (ciphertext, tag) = sealed.split_at_checked(sealed.len().checked_sub(TAG_LEN)?)?;
        let opened = self.key.open_separate_gather(
            aead::Nonce::assume_unique_for_key(nonce),
            aead::Aad::from(aad),
            ciphertext,
            tag,
            out,
        );
        if opened.is_err() {
            out.fill(0);
            return None;
        }
        Some(())
    }

    /// Authenticates and decrypts `in_out` (ciphertext followed by the tag) in
    /// place. Returns the plaintext, or `None` if authentication failed for any
    /// reason (short input, wrong key, tampered data or AAD); which one is not revealed.
    pub fn open_in_place<'a>(
        &self,
        nonce: [u8; NONCE_LEN],
        aad: &[u8],
        in_out: &'a mut [u8],
    ) -> Option<&'a mut [u8]> {
        if in_out.len() < TAG_LEN {
            return None;
        }
        self.key
            .open_in_place(
                aead::Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad),
                in_out,
            )
            .ok()
    }
}

impl core::fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AeadKey({})", self.alg.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex;

    fn nonce(s: &str) -> [u8; NONCE_LEN] {
        unhex(s).try_into().unwrap()
    }

    /// Seals `pt`, checks the result is `ct || tag`, opens it back, then checks that
    /// flipping any one byte of ciphertext, tag, AAD or nonce makes opening fail.
    fn known_answer(
        alg: AeadAlgorithm,
        key: &str,
        iv: &str,
        aad: &str,
        pt: &[u8],
        ct: &str,
        tag: &str,
    ) {
        let key = AeadKey::new(alg, &unhex(key)).unwrap();
        let (iv, aad) = (nonce(iv), unhex(aad));
        let mut buf = pt.to_vec();
        key.seal_in_place_append_tag(iv, &aad, &mut buf).unwrap();
        let mut expected = unhex(ct);
        expected.extend(unhex(tag));
        assert_eq!(buf, expected, "{}", alg.name());

        let mut copy = buf.clone();
        assert_eq!(key.open_in_place(iv, &aad, &mut copy).unwrap(), pt);

        for i in [0, pt.len() / 2, buf.len() - TAG_LEN, buf.len() - 1] {
            let mut tampered = buf.clone();
            tampered[i] ^= 0x01;
            assert!(
                key.open_in_place(iv, &aad, &mut tampered).is_none(),
                "byte {i}"
            );
        }
        let mut other_aad = aad.clone();
        other_aad.push(0);
        assert!(key
            .open_in_place(iv, &other_aad, &mut buf.clone())
            .is_none());
        let mut other_iv = iv;
        other_iv[11] ^= 0x80;
        assert!(key
            .open_in_place(other_iv, &aad, &mut buf.clone())
            .is_none());
        // Truncated: the tag cut short, and less than a tag.
        assert!(key
            .open_in_place(iv, &aad, &mut buf[..buf.len() - 1].to_vec())
            .is_none());
        assert!(key
            .open_in_place(iv, &aad, &mut [0u8; TAG_LEN - 1])
            .is_none());
        assert!(key.open_in_place(iv, &aad, &mut []).is_none());
    }

    const GCM_PT: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
                          1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";
    const GCM_AAD: &str = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
    const GCM_IV: &str = "cafebabefacedbaddecaf888";

    #[test]
    fn aes_128_gcm_spec_test_case_4() {
        // McGrew & Viega, "The Galois/Counter Mode of Operation", test case 4.
        known_answer(
            AeadAlgorithm::Aes128Gcm,
            "feffe9928665731c6d6a8f9467308308",
            GCM_IV,
            GCM_AAD,
            &unhex(GCM_PT),
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e
             21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47",
        );
    }

    #[test]
    fn aes_256_gcm_spec_test_case_16() {
        known_answer(
            AeadAlgorithm::Aes256Gcm,
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            GCM_IV,
            GCM_AAD,
            &unhex(GCM_PT),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b",
        );
    }

    #[test]
    fn chacha20_poly1305_rfc8439_2_8_2() {
        known_answer(
            AeadAlgorithm::ChaCha20Poly1305,
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
            "070000004041424344454647",
            "50515253c0c1c2c3c4c5c6c7",
            b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
             3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
             92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
             3ff4def08e4b7a9de576d26586cec64b6116",
            "1ae10b594f09e26a7e902ecbd0600691",
        );
    }

    #[test]
    fn empty_plaintext_round_trips() {
        for alg in [
            AeadAlgorithm::Aes128Gcm,
            AeadAlgorithm::Aes256Gcm,
            AeadAlgorithm::ChaCha20Poly1305,
        ] {
            let key = AeadKey::new(alg, &vec![7u8; alg.key_len()]).unwrap();
            assert_eq!(key.algorithm(), alg);
            let mut buf = Vec::new();
            key.seal_in_place_append_tag([1; NONCE_LEN], b"hdr", &mut buf)
                .unwrap();
            assert_eq!(buf.len(), TAG_LEN);
            assert_eq!(
                key.open_in_place([1; NONCE_LEN], b"hdr", &mut buf).unwrap(),
                b""
            );
            // A different key of the same algorithm does not open it.
            let other = AeadKey::new(alg, &vec![8u8; alg.key_len()]).unwrap();
            let mut buf2 = Vec::new();
            key.seal_in_place_append_tag([1; NONCE_LEN], b"hdr", &mut buf2)
                .unwrap();
            assert!(other
                .open_in_place([1; NONCE_LEN], b"hdr", &mut buf2)
                .is_none());
        }
    }

    #[test]
    fn out_of_place_matches_in_place() {
        for alg in [
            AeadAlgorithm::Aes128Gcm,
            AeadAlgorithm::Aes256Gcm,
            AeadAlgorithm::ChaCha20Poly1305,
        ] {
            let key = AeadKey::new(alg, &vec![3u8; alg.key_len()]).unwrap();
            let (iv, aad) = ([9u8; NONCE_LEN], b"header");
            for len in [0usize, 1, 2, 15, 16, 17, 64, 1000, 16385] {
                let plain: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
                let mut in_place = plain.clone();
                key.seal_in_place_append_tag(iv, aad, &mut in_place)
                    .unwrap();
                // The last byte as the extra input, as TLS 1.3 does its type byte.
                let (body, extra) = plain.split_at(len.saturating_sub(1));
                let mut out = vec![0xaa; body.len()];
                let mut extra_out = vec![0xaa; extra.len() + TAG_LEN];
                key.seal_out_of_place(iv, aad, body, &mut out, extra, &mut extra_out)
                    .unwrap();
                assert_eq!([out, extra_out].concat(), in_place, "{} {len}", alg.name());

                let mut opened = vec![0x55; len];
                assert!(key
                    .open_out_of_place(iv, aad, &in_place, &mut opened)
                    .is_some());
                assert_eq!(opened, plain);
                // A forgery leaves zeros, not unauthenticated plaintext.
                let mut forged = in_place.clone();
                forged[len / 2] ^= 0x40;
                let mut opened = vec![0x55; len];
                assert!(key
                    .open_out_of_place(iv, aad, &forged, &mut opened)
                    .is_none());
                assert!(opened.iter().all(|b| *b == 0), "{} {len}", alg.name());
                // The output must be exactly as long as the ciphertext.
                assert!(key
                    .open_out_of_place(iv, aad, &in_place, &mut vec![0; len + 1])
                    .is_none());
            }
            assert!(key
                .open_out_of_place(iv, aad, &[0; TAG_LEN - 1], &mut [])
                .is_none());
            assert_eq!(
                key.seal_out_of_place(iv, aad, b"abc", &mut [0; 2], b"", &mut [0; TAG_LEN]),
                Err(CryptoError::EncryptFailed)
            );
            assert!(key
                .seal_out_of_place(iv, aad, b"abc", &mut [0; 3], b"x", &mut [0; TAG_LEN])
                .is_err());
        }
    }

    #[test]
    fn wrong_key_length_is_rejected() {
        let err = AeadKey::new(AeadAlgorithm::Aes128Gcm, &[0; 32]).unwrap_err();
        assert_eq!(
            err,
            CryptoError::BadKeyLength {
                algorithm: "AES-128-GCM",
                length: 32
            }
        );
        assert_eq!(
            err.to_string(),
            "a 32-byte key is the wrong size for AES-128-GCM"
        );
        assert_eq!(
            AeadKey::new(AeadAlgorithm::ChaCha20Poly1305, &[0; 16])
                .unwrap_err()
                .to_string(),
            "a 16-byte key is the wrong size for ChaCha20-Poly1305"
        );
        assert!(AeadKey::new(AeadAlgorithm::Aes256Gcm, &[]).is_err());
        assert_eq!(
            crate::Error::from(CryptoError::EncryptFailed).to_string(),
            "record encryption failed"
        );
    }

    #[test]
    fn debug_does_not_print_key() {
        let key = AeadKey::new(AeadAlgorithm::Aes256Gcm, &[0x42; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "AeadKey(AES-256-GCM)");
    }
}
