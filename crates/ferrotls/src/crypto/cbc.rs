//! Legacy CBC-HMAC record primitives for TLS 1.2 (RFC 5246, 6.2.3.2; RFC 7366):
//! AES-128/256-CBC without padding, HMAC-SHA1/SHA256/SHA384, and the constant-time
//! check of a MAC-then-encrypt record.
//!
//! # Lucky Thirteen
//!
//! A MAC-then-encrypt record is `CBC(data || MAC || padding || padding_length)`. The
//! receiver learns where the data ends only from the (secret, unauthenticated)
//! padding, so a naive check leaks the padding length through the number of hash
//! compression-function calls ("Lucky Thirteen", AlFardan and Paterson, 2013).
//! [`check_mac_then_encrypt`] follows BoringSSL's and s2n's countermeasure: the
//! padding is checked with masks over the last 256 bytes whatever its length, and
//! the inner HMAC hash is computed by [`MacKey::sign_constant_time`], which runs the
//! compression function over every block the message could end in and selects the
//! state of the block it does end in with masks. aws-lc-rs exposes no
//! compression-function access, so that path uses the SHA-1/SHA-256/SHA-512
//! compression functions below (tested against aws-lc's digests); the amount of work
//! depends only on the record length, never on the padding or the MAC. Bad padding
//! and a bad MAC give the same `None`, decided by one branch at the very end.

use core::fmt;
use core::hint::black_box;

use aws_lc_rs::cipher::{
    DecryptingKey, DecryptionContext, EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128,
    AES_256,
};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::{constant_time, digest, hmac as lc_hmac};
use zeroize::Zeroize;

use crate::error::CryptoError;

mod compress;

use compress::HashState;

/// AES block length, also the explicit IV length of a TLS 1.2 CBC record.
pub const AES_BLOCK_LEN: usize = 16;
/// The longest MAC we produce (HMAC-SHA384).
pub const MAX_MAC_LEN: usize = 48;
/// The largest hash block (SHA-384's 128 bytes).
const MAX_BLOCK_LEN: usize = 128;

/// The record MAC of a TLS 1.2 CBC suite (RFC 5246, 6.2.3.1 and A.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// HMAC-SHA1: the `_SHA` suites.
    Sha1,
    /// HMAC-SHA256: the `_SHA256` CBC suites.
    Sha256,
    /// HMAC-SHA384: the `_SHA384` CBC suites (RFC 5289).
    Sha384,
}

impl MacAlgorithm {
    /// MAC length in bytes; also the MAC key length (RFC 5246, 6.2.3.1).
    pub fn output_len(self) -> usize {
        match self {
            MacAlgorithm::Sha1 => 20,
            MacAlgorithm::Sha256 => 32,
            MacAlgorithm::Sha384 => 48,
        }
    }

    /// MAC key length in bytes (RFC 5246, 6.3: mac_key_length = mac_length).
    pub fn key_len(self) -> usize {
        self.output_len()
    }

    /// Human-readable name, e.g. "HMAC-SHA256".
    pub fn name(self) -> &'static str {
        match self {
            MacAlgorithm::Sha1 => "HMAC-SHA1",
            MacAlgorithm::Sha256 => "HMAC-SHA256",
            MacAlgorithm::Sha384 => "HMAC-SHA384",
        }
    }

    fn block_len(self) -> usize {
        match self {
            MacAlgorithm::Sha1 | MacAlgorithm::Sha256 => 64,
            MacAlgorithm::Sha384 => 128,
        }
    }

    /// log2 of the block length, so block arithmetic on secret lengths is a shift.
    fn block_shift(self) -> u32 {
        match self {
            MacAlgorithm::Sha1 | MacAlgorithm::Sha256 => 6,
            MacAlgorithm::Sha384 => 7,
        }
    }

    /// Bytes of the message-length field in the final block (FIPS 180-4, 5.1).
    fn length_field_len(self) -> usize {
        match self {
            MacAlgorithm::Sha1 | MacAlgorithm::Sha256 => 8,
            MacAlgorithm::Sha384 => 16,
        }
    }

    fn lc_hmac(self) -> lc_hmac::Algorithm {
        match self {
            MacAlgorithm::Sha1 => lc_hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
            MacAlgorithm::Sha256 => lc_hmac::HMAC_SHA256,
            MacAlgorithm::Sha384 => lc_hmac::HMAC_SHA384,
        }
    }

    fn lc_digest(self) -> &'static digest::Algorithm {
        match self {
            MacAlgorithm::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            MacAlgorithm::Sha256 => &digest::SHA256,
            MacAlgorithm::Sha384 => &digest::SHA384,
        }
    }
}

/// An AES-128 or AES-256 key for raw CBC (no padding: TLS pads itself). The key
/// material lives inside aws-lc.
pub struct CbcKey {
    enc: EncryptingKey,
    dec: DecryptingKey,
    name: &'static str,
}

impl CbcKey {
    /// A 16-byte key is AES-128, a 32-byte key AES-256; anything else is `BadKeyLength`.
    pub fn new(key: &[u8]) -> Result<Self, CryptoError> {
        let (alg, name) = match key.len() {
            16 => (&AES_128, "AES-128-CBC"),
            32 => (&AES_256, "AES-256-CBC"),
            length => {
                return Err(CryptoError::BadKeyLength {
                    algorithm: "AES-CBC",
                    length,
                })
            }
        };
        let bad = || CryptoError::BadKeyLength {
            algorithm: name,
            length: key.len(),
        };
        let unbound = || UnboundCipherKey::new(alg, key).map_err(|_| bad());
        Ok(CbcKey {
            enc: EncryptingKey::cbc(unbound()?).map_err(|_| bad())?,
            dec: DecryptingKey::cbc(unbound()?).map_err(|_| bad())?,
            name,
        })
    }

    /// "AES-128-CBC" or "AES-256-CBC".
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn whole_blocks(&self, len: usize) -> Result<(), CryptoError> {
        if len.is_multiple_of(AES_BLOCK_LEN) {
            Ok(())
        } else {
            Err(CryptoError::BlockLength {
                algorithm: self.name,
                length: len,
            })
        }
    }

    /// Encrypts `in_out` (a whole number of blocks) in place under `iv`. The IV must
    /// be unpredictable and fresh for every record (RFC 5246, 6.2.3.2).
    pub fn encrypt(&self, iv: [u8; AES_BLOCK_LEN], in_out: &mut [u8]) -> Result<(), CryptoError> {
        self.whole_blocks(in_out.len())?;
        let ctx = EncryptionContext::Iv128(FixedLength::from(iv));
        self.enc
            .less_safe_encrypt(in_out, ctx)
            .map(|_| ())
            .map_err(|_| CryptoError::EncryptFailed)
    }

    /// Decrypts `in_out` (a whole number of blocks) in place. Raw CBC decryption
    /// cannot fail on well-sized input; the work depends only on the length.
    pub fn decrypt(&self, iv: [u8; AES_BLOCK_LEN], in_out: &mut [u8]) -> Result<(), CryptoError> {
        self.whole_blocks(in_out.len())?;
        let ctx = DecryptionContext::Iv128(FixedLength::from(iv));
        self.dec
            .decrypt(in_out, ctx)
            .map(|_| ())
            .map_err(|_| CryptoError::BlockLength {
                algorithm: self.name,
                length: in_out.len(),
            })
    }
}

impl fmt::Debug for CbcKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CbcKey({})", self.name)
    }
}

/// A MAC value. Equality is constant time; zeroized on drop.
#[derive(Clone)]
pub struct MacTag {
    buf: [u8; MAX_MAC_LEN],
    len: usize,
}

impl MacTag {
    fn new(bytes: &[u8]) -> Self {
        let mut buf = [0u8; MAX_MAC_LEN];
        let len = bytes.len().min(MAX_MAC_LEN);
        buf[..len].copy_from_slice(&bytes[..len]);
        MacTag { buf, len }
    }
}

impl AsRef<[u8]> for MacTag {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl PartialEq for MacTag {
    fn eq(&self, other: &Self) -> bool {
        constant_time::verify_slices_are_equal(self.as_ref(), other.as_ref()).is_ok()
    }
}
impl Eq for MacTag {}

impl fmt::Debug for MacTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MacTag(")?;
        for b in self.as_ref() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

impl Drop for MacTag {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

/// An HMAC key for TLS 1.2 record MACs.
pub struct MacKey {
    alg: MacAlgorithm,
    key: lc_hmac::Key,
    /// The key padded to the hash block (hashed first if longer, RFC 2104, 2), for
    /// the constant-time path, which builds HMAC from the compression function.
    block_key: [u8; MAX_BLOCK_LEN],
}

impl MacKey {
    pub fn new(alg: MacAlgorithm, key: &[u8]) -> Self {
        let mut block_key = [0u8; MAX_BLOCK_LEN];
        if key.len() > alg.block_len() {
            let d = digest::digest(alg.lc_digest(), key);
            block_key[..d.as_ref().len()].copy_from_slice(d.as_ref());
        } else {
            block_key[..key.len()].copy_from_slice(key);
        }
        MacKey {
            alg,
            key: lc_hmac::Key::new(alg.lc_hmac(), key),
            block_key,
        }
    }

    pub fn algorithm(&self) -> MacAlgorithm {
        self.alg
    }

    /// HMAC over the concatenation of `parts`.
    pub fn sign(&self, parts: &[&[u8]]) -> MacTag {
        let mut ctx = lc_hmac::Context::with_key(&self.key);
        for p in parts {
            ctx.update(p);
        }
        MacTag::new(ctx.sign().as_ref())
    }

    /// Whether `tag` is the HMAC of the concatenation of `parts`, compared in
    /// constant time.
    pub fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        constant_time::verify_slices_are_equal(self.sign(parts).as_ref(), tag).is_ok()
    }

    /// HMAC of `header || data[..data_len]`, where `data_len` is secret, computed
    /// with work that depends only on `header.len()`, `data.len()` and `min_data_len`.
    ///
    /// `min_data_len` is a public lower bound on `data_len`; the bytes before it are
    /// hashed normally. Every block between it and the longest possible message is
    /// compressed, and the state after the block the real message ends in is chosen
    /// with masks. `header` may hold secret bytes (the TLS MAC header carries the
    /// secret length). Callers guarantee `min_data_len <= data_len <= data.len()`;
    /// out-of-range values are clamped into it (the MAC is then simply wrong).
    pub fn sign_constant_time(
        &self,
        header: &[u8],
        data: &[u8],
        data_len: usize,
        min_data_len: usize,
    ) -> MacTag {
        let alg = self.alg;
        let b = alg.block_len();
        let shift = alg.block_shift();
        let lf = alg.length_field_len();
        let min_data_len = min_data_len.min(data.len());
        // Clamp without branching on the secret: min <= data_len <= data.len().
        let data_len = ct_select(ct_lt(data.len(), data_len), data.len(), data_len);
        let data_len = ct_select(ct_lt(data_len, min_data_len), min_data_len, data_len);

        let byte_at = |p: usize| -> u8 {
            match p.checked_sub(header.len()) {
                None => header.get(p).copied().unwrap_or(0),
                Some(d) => data.get(d).copied().unwrap_or(0),
            }
        };

        // Inner hash: (key ^ ipad) block, then the public prefix in whole blocks.
        let mut state = HashState::new(alg);
        let mut block = [0u8; MAX_BLOCK_LEN];
        for (o, k) in block.iter_mut().zip(self.block_key.iter()).take(b) {
            *o = k ^ 0x36;
        }
        state.compress(&block[..b]);
        let public_len = header.len() + min_data_len;
        let public_blocks = public_len >> shift;
        for k in 0..public_blocks {
            for (j, o) in block[..b].iter_mut().enumerate() {
                *o = byte_at((k << shift) + j);
            }
            state.compress(&block[..b]);
        }

        // The secret tail. The message is `t` bytes (after the ipad block), padded
        // with 0x80, zeros and the bit length, ending in block `final_block`.
        let t = header.len() + data_len;
        let t_max = header.len() + data.len();
        let final_block = (t + lf) >> shift;
        let max_block = (t_max + lf) >> shift;
        let bit_len = ((b + t) as u128) << 3;
        let len_bytes = bit_len.to_be_bytes();
        let len_bytes = &len_bytes[16 - lf..];
        let mut result = state.clone();
        for k in public_blocks..=max_block {
            let is_final = ct_eq(k, final_block);
            let final8 = is_final as u8;
            for (j, o) in block[..b].iter_mut().enumerate() {
                let p = (k << shift) + j;
                let in_msg = ct_lt(p, t) as u8;
                let at_end = ct_eq(p, t) as u8;
                let mut v = (byte_at(p) & in_msg) | (0x80 & at_end);
                if let Some(i) = j.checked_sub(b - lf) {
                    // Public position: the length field slots of every block.
                    v |= len_bytes[i] & final8;
                }
                *o = v;
            }
            state.compress(&block[..b]);
            result.select_from(&state, is_final);
        }
        block.zeroize();
        let mut inner = [0u8; MAX_MAC_LEN];
        let inner_len = result.write_digest(&mut inner);

        // Outer hash over public-length input: (key ^ opad) || inner.
        let mut opad = [0u8; MAX_BLOCK_LEN];
        for (o, k) in opad.iter_mut().zip(self.block_key.iter()).take(b) {
            *o = k ^ 0x5c;
        }
        let mut ctx = digest::Context::new(alg.lc_digest());
        ctx.update(&opad[..b]);
        ctx.update(&inner[..inner_len]);
        let tag = MacTag::new(ctx.finish().as_ref());
        opad.zeroize();
        inner.zeroize();
        tag
    }
}

impl fmt::Debug for MacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MacKey({})", self.alg.name())
    }
}

impl Drop for MacKey {
    fn drop(&mut self) {
        self.block_key.zeroize();
    }
}

/// Checks a decrypted MAC-then-encrypt record body `data || MAC || padding ||
/// padding_length` (RFC 5246, 6.2.3.2) in constant time and returns the data length,
/// or `None` if the padding or the MAC is wrong (which one is not revealed).
///
/// `mac_header` is `seq_num || type || version` (11 bytes); the length that follows it
/// in the MAC input is computed here from the secret padding length. The work depends
/// only on `plaintext.len()`: every padding byte that could exist is inspected, the
/// MAC is computed by [`MacKey::sign_constant_time`] and the received MAC is copied
/// out of every position it could occupy.
pub fn check_mac_then_encrypt(
    mac: &MacKey,
    mac_header: &[u8; 11],
    plaintext: &[u8],
) -> Option<usize> {
    let mac_len = mac.alg.output_len();
    let len = plaintext.len();
    // Public: the record is too short to hold a MAC and the padding length byte.
    if len < mac_len + 1 {
        return None;
    }
    // The data ends here at the latest (when bad padding strips nothing).
    let max_data = len - mac_len;
    let pad = usize::from(*plaintext.last()?);

    // RFC 5246, 6.2.3.2: padding_length + 1 bytes, each equal to padding_length, and
    // room left for the MAC. Inspect the last 256 bytes whatever padding_length says.
    let mut good = ct_le(pad + 1 + mac_len, len);
    for (i, &byte) in plaintext.iter().rev().take(256).enumerate() {
        let in_padding = ct_le(i, pad);
        good &= !(in_padding & !ct_eq(usize::from(byte), pad));
    }
    // With bad padding remove nothing (BoringSSL does the same): the MAC then fails.
    let data_len = len - mac_len - ((pad + 1) & good);
    let min_data = max_data.saturating_sub(256);

    let mut header = [0u8; 13];
    header[..11].copy_from_slice(mac_header);
    // data_len <= 2^16 - 1 for any record the deframer accepts; truncation only
    // makes the MAC wrong.
    header[11..].copy_from_slice(&(data_len as u16).to_be_bytes());
    let computed = mac.sign_constant_time(&header, &plaintext[..max_data], data_len, min_data);

    // Copy the received MAC out of plaintext[data_len..data_len + mac_len] without a
    // secret-dependent address: visit every byte where it could start or end.
    let mut received = [0u8; MAX_MAC_LEN];
    for (p, &byte) in plaintext.iter().enumerate().skip(min_data) {
        for (k, r) in received.iter_mut().enumerate().take(mac_len) {
            *r |= byte & (ct_eq(p, data_len + k) as u8);
        }
    }
    good &= ct_bytes_eq(computed.as_ref(), &received[..mac_len]);
    received.zeroize();
    header.zeroize();

    // The one branch on secret data: the verdict itself, which the alert reveals anyway.
    (black_box(good) != 0).then_some(data_len)
}

/// Checks the padding of a decrypted encrypt-then-MAC record body (RFC 7366; the MAC
/// was already verified, so this need not hide anything, but it is constant time
/// anyway) and returns the content length, or `None` if the padding is malformed.
pub fn check_padding(plaintext: &[u8]) -> Option<usize> {
    let len = plaintext.len();
    let pad = usize::from(*plaintext.last()?);
    let mut good = ct_le(pad + 1, len);
    for (i, &byte) in plaintext.iter().rev().take(256).enumerate() {
        good &= !(ct_le(i, pad) & !ct_eq(usize::from(byte), pad));
    }
    (black_box(good) != 0).then(|| len - pad - 1)
}

// Constant-time helpers: masks are all ones (true) or zero (false). Inputs are far
// below 2^63, which the comparison formulas rely on.

/// All ones if `a == 0`.
fn ct_is_zero(a: usize) -> usize {
    black_box(0usize.wrapping_sub((!a & a.wrapping_sub(1)) >> (usize::BITS - 1)))
}

/// All ones if `a == b`.
pub(crate) fn ct_eq(a: usize, b: usize) -> usize {
    ct_is_zero(a ^ b)
}

/// All ones if `a < b`.
pub(crate) fn ct_lt(a: usize, b: usize) -> usize {
    let x = a ^ ((a ^ b) | (a.wrapping_sub(b) ^ a));
    black_box(0usize.wrapping_sub(x >> (usize::BITS - 1)))
}

/// All ones if `a <= b`.
pub(crate) fn ct_le(a: usize, b: usize) -> usize {
    !ct_lt(b, a)
}

/// `a` if `mask` is all ones, `b` if it is zero.
pub(crate) fn ct_select(mask: usize, a: usize, b: usize) -> usize {
    (a & mask) | (b & !mask)
}

/// All ones if the equal-length slices are equal.
fn ct_bytes_eq(a: &[u8], b: &[u8]) -> usize {
    let diff = a
        .iter()
        .zip(b)
        .fold(usize::from(a.len() != b.len()), |acc, (x, y)| {
            acc | usize::from(x ^ y)
        });
    ct_is_zero(diff)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex;

    const ALL: [MacAlgorithm; 3] = [
        MacAlgorithm::Sha1,
        MacAlgorithm::Sha256,
        MacAlgorithm::Sha384,
    ];

    const SP800_38A_PLAINTEXT: &str = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
                                       30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";

    #[test]
    fn aes_cbc_sp800_38a_f21_and_f25() {
        let iv: [u8; 16] = core::array::from_fn(|i| i as u8);
        for (key, ct, name) in [
            (
                "2b7e151628aed2a6abf7158809cf4f3c",
                "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2
                 73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7",
                "AES-128-CBC",
            ),
            (
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d
                 39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b",
                "AES-256-CBC",
            ),
        ] {
            let key = CbcKey::new(&unhex(key)).unwrap();
            assert_eq!(key.name(), name);
            assert_eq!(format!("{key:?}"), format!("CbcKey({name})"));
            let mut buf = unhex(SP800_38A_PLAINTEXT);
            key.encrypt(iv, &mut buf).unwrap();
            assert_eq!(buf, unhex(ct));
            key.decrypt(iv, &mut buf).unwrap();
            assert_eq!(buf, unhex(SP800_38A_PLAINTEXT));
            // Empty input is zero blocks.
            key.encrypt(iv, &mut []).unwrap();
        }
    }

    #[test]
    fn cbc_length_errors() {
        let err = CbcKey::new(&[0; 24]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a 24-byte key is the wrong size for AES-CBC"
        );
        let key = CbcKey::new(&[0; 16]).unwrap();
        let err = key.encrypt([0; 16], &mut [0; 17]).unwrap_err();
        assert_eq!(
            err,
            CryptoError::BlockLength {
                algorithm: "AES-128-CBC",
                length: 17
            }
        );
        assert_eq!(
            err.to_string(),
            "internal error: 17 bytes are not a whole number of AES-128-CBC blocks"
        );
        assert_eq!(
            crate::Error::from(err).alert(),
            Some(crate::msgs::enums::AlertDescription::InternalError)
        );
        assert!(key.decrypt([0; 16], &mut [0; 15]).is_err());
    }

    #[test]
    fn hmac_known_answers() {
        // RFC 2202, 3 (test case 2) and RFC 4231, 4.3 (test case 2).
        let data = b"what do ya want for nothing?";
        for (alg, tag) in [
            (
                MacAlgorithm::Sha1,
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                MacAlgorithm::Sha256,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
            (
                MacAlgorithm::Sha384,
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e
                 8e2240ca5e69e2c78b3239ecfab21649",
            ),
        ] {
            let key = MacKey::new(alg, b"Jefe");
            assert_eq!(key.algorithm(), alg);
            let want = unhex(tag);
            assert_eq!(key.sign(&[&data[..10], &data[10..]]).as_ref(), want);
            assert!(key.verify(&[data], &want));
            let mut bad = want.clone();
            bad[0] ^= 1;
            assert!(!key.verify(&[data], &bad));
            assert!(!key.verify(&[data], &want[1..]));
            // The constant-time path gives the same answer.
            let ct = key.sign_constant_time(b"", data, data.len(), 0);
            assert_eq!(ct.as_ref(), want, "{alg:?}");
            assert_eq!(alg.output_len(), want.len());
            assert_eq!(format!("{key:?}"), format!("MacKey({})", alg.name()));
        }
        // RFC 4231, 4.7 (test case 6): a 131-byte key is hashed first.
        let key = MacKey::new(MacAlgorithm::Sha384, &[0xaa; 131]);
        let data = b"Test Using Larger Than Block-Size Key - Hash Key First";
        let want = unhex(
            "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6
             0c2ef6ab4030fe8296248df163f44952",
        );
        assert_eq!(key.sign(&[data]).as_ref(), want);
        assert_eq!(
            key.sign_constant_time(b"", data, data.len(), 0).as_ref(),
            want
        );
    }

    #[test]
    fn constant_time_hmac_equals_hmac_for_every_length() {
        // Every secret length between the public bounds, across block boundaries,
        // for each hash and for keys shorter than, equal to and longer than a block.
        for alg in ALL {
            for key_len in [0usize, 20, 64, 129] {
                let key = MacKey::new(alg, &vec![0x4b; key_len]);
                for max in [0usize, 1, 50, 51, 55, 56, 64, 111, 112, 119, 120, 128, 300] {
                    let data: Vec<u8> = (0..max).map(|i| (i * 7 + 3) as u8).collect();
                    let header = [0x17u8; 13];
                    let min = max.saturating_sub(256);
                    for len in min..=max {
                        let want = key.sign(&[&header, &data[..len]]);
                        let got = key.sign_constant_time(&header, &data, len, min);
                        assert_eq!(got, want, "{alg:?} key {key_len} max {max} len {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn constant_time_hmac_clamps_out_of_range_lengths() {
        let key = MacKey::new(MacAlgorithm::Sha256, b"k");
        let data = [1u8; 40];
        // Above the data: treated as all of it; below the public minimum: as the minimum.
        assert_eq!(
            key.sign_constant_time(b"h", &data, 99, 0),
            key.sign(&[b"h", &data])
        );
        assert_eq!(
            key.sign_constant_time(b"h", &data, 3, 10),
            key.sign(&[b"h", &data[..10]])
        );
    }

    /// data || MAC(header || data) || padding of `pad` bytes valued `pad`.
    fn mte_body(key: &MacKey, header: &[u8; 11], data: &[u8], pad: u8) -> Vec<u8> {
        let mut h = header.to_vec();
        h.extend_from_slice(&(data.len() as u16).to_be_bytes());
        let mut body = data.to_vec();
        body.extend_from_slice(key.sign(&[&h, data]).as_ref());
        body.extend(std::iter::repeat_n(pad, usize::from(pad) + 1));
        body
    }

    #[test]
    fn mac_then_encrypt_accepts_every_valid_padding() {
        let header = [0, 0, 0, 0, 0, 0, 0, 9, 23, 3, 3];
        for alg in ALL {
            let key = MacKey::new(alg, &[0x33; 32]);
            for data_len in [0usize, 1, 13, 100] {
                let data = vec![0x61; data_len];
                for pad in (0..=255u8).step_by(7).chain([255]) {
                    let body = mte_body(&key, &header, &data, pad);
                    assert_eq!(
                        check_mac_then_encrypt(&key, &header, &body),
                        Some(data_len),
                        "{alg:?} data {data_len} pad {pad}"
                    );
                }
            }
        }
    }

    #[test]
    fn mac_then_encrypt_rejects_bad_padding_and_mac_alike() {
        let header = [0, 0, 0, 0, 0, 0, 0, 1, 22, 3, 3];
        for alg in ALL {
            let key = MacKey::new(alg, &[0x77; 20]);
            let data = b"sixteen byte msg";
            let good = mte_body(&key, &header, data, 10);
            assert_eq!(check_mac_then_encrypt(&key, &header, &good), Some(16));
            let mac_len = alg.output_len();
            let mut bad = Vec::new();
            // Each padding byte (not the length byte) altered.
            for i in 0..10 {
                let mut b = good.clone();
                let at = b.len() - 2 - i;
                b[at] ^= 0x01;
                bad.push(b);
            }
            // The padding length says more than there is padding, or more than the record.
            for pad in [11u8, 12, 50, 200, 255] {
                let mut b = good.clone();
                *b.last_mut().unwrap() = pad;
                bad.push(b);
            }
            // Each MAC byte and each data byte altered (padding valid).
            for i in 0..mac_len + data.len() {
                let mut b = good.clone();
                b[i] ^= 0x80;
                bad.push(b);
            }
            // Wrong header (sequence number, type, version).
            for i in 0..11 {
                let mut h = header;
                h[i] ^= 1;
                assert_eq!(check_mac_then_encrypt(&key, &h, &good), None, "header {i}");
            }
            // Too short for a MAC and a length byte; exactly a MAC without padding.
            bad.push(vec![0; mac_len]);
            bad.push(vec![]);
            for (n, b) in bad.iter().enumerate() {
                assert_eq!(
                    check_mac_then_encrypt(&key, &header, b),
                    None,
                    "{alg:?} case {n}"
                );
            }
        }
    }

    #[test]
    fn encrypt_then_mac_padding() {
        assert_eq!(check_padding(&[0x61, 0x61, 1, 1]), Some(2));
        assert_eq!(check_padding(&[0]), Some(0));
        assert_eq!(check_padding(&[0x61, 0]), Some(1));
        assert_eq!(check_padding(&[3, 3, 3, 3]), Some(0));
        assert_eq!(check_padding(&[2, 3, 3, 3]), None);
        assert_eq!(check_padding(&[3, 3, 3]), None);
        assert_eq!(check_padding(&[]), None);
        let mut long = vec![255u8; 256];
        assert_eq!(check_padding(&long), Some(0));
        long[0] = 254;
        assert_eq!(check_padding(&long), None);
    }

    #[test]
    fn constant_time_helpers() {
        let vals = [0usize, 1, 2, 255, 256, 1 << 20, usize::MAX >> 1];
        for &a in &vals {
            for &b in &vals {
                assert_eq!(ct_eq(a, b) == usize::MAX, a == b);
                assert_eq!(ct_lt(a, b) == usize::MAX, a < b);
                assert_eq!(ct_le(a, b) == usize::MAX, a <= b);
                assert!(matches!(ct_eq(a, b), 0 | usize::MAX));
                assert!(matches!(ct_lt(a, b), 0 | usize::MAX));
            }
        }
        assert_eq!(ct_select(usize::MAX, 3, 4), 3);
        assert_eq!(ct_select(0, 3, 4), 4);
        assert_eq!(ct_bytes_eq(b"abc", b"abc"), usize::MAX);
        assert_eq!(ct_bytes_eq(b"abc", b"abd"), 0);
        assert_eq!(ct_bytes_eq(b"abc", b"ab"), 0);
        let t = MacKey::new(MacAlgorithm::Sha1, b"").sign(&[]);
        assert!(format!("{t:?}").starts_with("MacTag(fbdb1d1b"));
    }
}
