//! Hashes, HMAC (RFC 2104), HKDF (RFC 5869), constant-time comparison and the
//! zeroize-on-drop [`Secret`] buffer that carries every key and secret.

use core::fmt;

use aws_lc_rs::{constant_time, digest, hmac as lc_hmac, tls_prf};
use zeroize::Zeroize;

/// The largest digest we produce (SHA-384).
const MAX_DIGEST_LEN: usize = 48;

/// The hash functions TLS 1.3 cipher suites use (RFC 8446, B.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    Sha256,
    Sha384,
}

impl HashAlgorithm {
    /// Output length in bytes (HashLen in RFC 5869).
    pub fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
        }
    }

    /// The hash's block size: the length of HMAC's padded key (RFC 2104, 2).
    pub fn block_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 64,
            HashAlgorithm::Sha384 => 128,
        }
    }

    /// The name used in cipher suite names ("SHA256", "SHA384").
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "SHA256",
            HashAlgorithm::Sha384 => "SHA384",
        }
    }

    fn digest_alg(self) -> &'static digest::Algorithm {
        match self {
            HashAlgorithm::Sha256 => &digest::SHA256,
            HashAlgorithm::Sha384 => &digest::SHA384,
        }
    }

    fn hmac_alg(self) -> lc_hmac::Algorithm {
        match self {
            HashAlgorithm::Sha256 => lc_hmac::HMAC_SHA256,
            HashAlgorithm::Sha384 => lc_hmac::HMAC_SHA384,
        }
    }
}

/// A hash or HMAC output. Equality is constant time, so comparing a received
/// Finished value with `==` is safe. Zeroized on drop (it may be verify_data).
#[derive(Clone)]
pub struct Digest {
    buf: [u8; MAX_DIGEST_LEN],
    len: usize,
    alg: HashAlgorithm,
}

impl Digest {
    fn new(alg: HashAlgorithm, bytes: &[u8]) -> Self {
        let mut buf = [0u8; MAX_DIGEST_LEN];
        // aws-lc returns exactly output_len() bytes for our two algorithms.
        let len = bytes.len().min(MAX_DIGEST_LEN);
        buf[..len].copy_from_slice(&bytes[..len]);
        Self { buf, len, alg }
    }

    /// The algorithm that produced this digest.
    pub fn algorithm(&self) -> HashAlgorithm {
        self.alg
    }
}

impl AsRef<[u8]> for Digest {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl PartialEq for Digest {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.as_ref(), other.as_ref())
    }
}
impl Eq for Digest {}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({:?}, ", self.alg)?;
        for b in self.as_ref() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

impl Drop for Digest {
    fn drop(&mut self) {
        // As a slice: zeroize wipes arrays element by element, slices in bulk.
        self.buf[..].zeroize();
    }
}

/// Hashes `data` in one go.
pub fn hash(alg: HashAlgorithm, data: &[u8]) -> Digest {
    Digest::new(alg, digest::digest(alg.digest_alg(), data).as_ref())
}

/// A running transcript hash (RFC 8446, 4.4.1): feed messages in, read the hash of
/// everything so far at any point without consuming the context.
#[derive(Clone)]
pub struct HashContext {
    ctx: digest::Context,
    alg: HashAlgorithm,
}

impl HashContext {
    pub fn new(alg: HashAlgorithm) -> Self {
        Self {
            ctx: digest::Context::new(alg.digest_alg()),
            alg,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.ctx.update(data);
    }

    /// The hash of everything fed in so far; the context keeps running.
    pub fn current(&self) -> Digest {
        Digest::new(self.alg, self.ctx.clone().finish().as_ref())
    }

    /// The hash of everything fed in, ending the context (no copy of its state).
    pub fn finish(self) -> Digest {
        Digest::new(self.alg, self.ctx.finish().as_ref())
    }

    pub fn algorithm(&self) -> HashAlgorithm {
        self.alg
    }
}

impl fmt::Debug for HashContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HashContext({:?})", self.alg)
    }
}

/// HMAC (RFC 2104) of `data` under `key`.
pub fn hmac(alg: HashAlgorithm, key: &[u8], data: &[u8]) -> Digest {
    hmac_parts(alg, key, &[data])
}

/// The largest hash block (SHA-384's): the longest HMAC key used as it is.
const MAX_BLOCK_LEN: usize = 128;

/// Messages up to this long are MACed in a stack buffer: every HKDF-Expand-Label
/// block (a 48-byte T(i-1), an info of at most 514 bytes, the counter), every
/// Finished and binder MAC, and the TLS 1.2 PRF's blocks.
const STACK_MESSAGE_LEN: usize = 576;

/// HMAC of the concatenation of `parts` under `key` (RFC 2104):
/// `H((K ^ opad) || H((K ^ ipad) || message))`.
///
/// A key of at most one block and a message of at most [`STACK_MESSAGE_LEN`] bytes
/// (every MAC of the TLS key schedules) take two one-shot hashes over a stack buffer:
/// no HMAC context is set up, copied or allocated, which costs more than the hashing
/// for messages this short. Longer inputs go through aws-lc's HMAC. The buffer,
/// which holds the padded key, is wiped afterwards.
fn hmac_parts(alg: HashAlgorithm, key: &[u8], parts: &[&[u8]]) -> Digest {
    let block = alg.block_len();
    let message_len: usize = parts.iter().map(|p| p.len()).sum();
    if key.len() > block || message_len > STACK_MESSAGE_LEN {
        // Long keys are hashed first (RFC 2104, 3), which aws-lc does.
        let key = lc_hmac::Key::new(alg.hmac_alg(), key);
        let mut ctx = lc_hmac::Context::with_key(&key);
        for p in parts {
            ctx.update(p);
        }
        return Digest::new(alg, ctx.sign().as_ref());
    }
    // Most MACs here are of short messages: a small buffer is quicker to clear.
    if message_len <= SHORT_MESSAGE_LEN {
        hmac_on_stack::<{ MAX_BLOCK_LEN + SHORT_MESSAGE_LEN }>(alg, key, parts)
    } else {
        hmac_on_stack::<{ MAX_BLOCK_LEN + STACK_MESSAGE_LEN }>(alg, key, parts)
    }
}

/// Messages up to this long take [`hmac_on_stack`]'s small buffer: HKDF-Expand-Label
/// with a hash as context, Finished and binder MACs, HKDF-Extract of a shared secret.
const SHORT_MESSAGE_LEN: usize = 128;

/// [`hmac_parts`] with a stack buffer of `N` bytes, which must hold a block and the
/// message (and a block and a hash output).
fn hmac_on_stack<const N: usize>(alg: HashAlgorithm, key: &[u8], parts: &[&[u8]]) -> Digest {
    let block = alg.block_len();
    let mut buf = [0u8; N];
    // Inner hash: (K ^ ipad) || message.
    xor_pad(&mut buf[..block], key, 0x36);
    let mut end = block;
    for p in parts {
        buf[end..end + p.len()].copy_from_slice(p);
        end += p.len();
    }
    let inner = digest::digest(alg.digest_alg(), &buf[..end]);
    // Outer hash: (K ^ opad) || inner hash.
    let out_len = alg.output_len();
    xor_pad(&mut buf[..block], key, 0x5c);
    buf[block..block + out_len].copy_from_slice(&inner.as_ref()[..out_len]);
    let outer = digest::digest(alg.digest_alg(), &buf[..block + out_len]);
    buf[..end.max(block + out_len)].zeroize();
    Digest::new(alg, outer.as_ref())
}

/// Writes the HMAC padded key `K ^ pad` (K zero-extended to the block) into `out`.
fn xor_pad(out: &mut [u8], key: &[u8], pad: u8) {
    out.fill(pad);
    for (o, k) in out.iter_mut().zip(key) {
        *o ^= k;
    }
}

/// The TLS 1.2 PRF (RFC 5246, 5), P_hash over `label + seed1 + seed2`, computed by
/// aws-lc in one call (the HMAC key is prepared once for all blocks). `None` where
/// aws-lc declines: an empty secret or `len` 0.
pub fn tls12_prf(
    alg: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    seed1: &[u8],
    seed2: &[u8],
    len: usize,
) -> Option<Secret> {
    let lc_alg = match alg {
        HashAlgorithm::Sha256 => &tls_prf::P_SHA256,
        HashAlgorithm::Sha384 => &tls_prf::P_SHA384,
    };
    let out = tls_prf::Secret::new(lc_alg, secret)
        .and_then(|s| s.derive_with_seed_concatination(label, seed1, seed2, len))
        .ok()?;
    Some(Secret::from(out.as_ref()))
}

/// An HMAC key prepared once for several MACs, as the TLS 1.2 PRF computes them
/// block after block: a key longer than a block is hashed here, once (RFC 2104, 3).
/// Zeroized on drop.
pub struct HmacKey {
    key: [u8; MAX_BLOCK_LEN],
    len: usize,
    alg: HashAlgorithm,
}

impl HmacKey {
    pub fn new(alg: HashAlgorithm, key: &[u8]) -> Self {
        let mut buf = [0u8; MAX_BLOCK_LEN];
        let len = if key.len() > alg.block_len() {
            let hashed = hash(alg, key);
            buf[..hashed.len].copy_from_slice(hashed.as_ref());
            hashed.len
        } else {
            buf[..key.len()].copy_from_slice(key);
            key.len()
        };
        Self { key: buf, len, alg }
    }

    /// HMAC of the concatenation of `parts`.
    pub fn sign(&self, parts: &[&[u8]]) -> Digest {
        hmac_parts(self.alg, &self.key[..self.len], parts)
    }
}

impl Drop for HmacKey {
    fn drop(&mut self) {
        // Past `len` the key is all zeros already.
        self.key[..self.len].zeroize();
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HmacKey({:?})", self.alg)
    }
}

/// Compares two byte strings in time independent of their contents. Different
/// lengths compare unequal (lengths are not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Secret bytes (keys, IVs, traffic secrets, shared secrets): zeroized on drop,
/// never printed. Equality is constant time.
#[derive(Clone, Default)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Secret {
    fn from(v: Vec<u8>) -> Self {
        Self(v)
    }
}

impl From<&[u8]> for Secret {
    fn from(v: &[u8]) -> Self {
        Self(v.to_vec())
    }
}

impl AsRef<[u8]> for Secret {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(&self.0, &other.0)
    }
}
impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A secret of at most one hash output (48 bytes) held inline, so the key
/// schedule's secrets need no allocation. Zeroized on drop, never printed;
/// equality is constant time.
#[derive(Clone)]
pub struct HashSecret {
    buf: [u8; MAX_DIGEST_LEN],
    len: usize,
}

impl HashSecret {
    /// `len` (at most 48) bytes written by `fill`.
    pub fn fill_with(len: usize, fill: impl FnOnce(&mut [u8])) -> Self {
        let mut s = HashSecret {
            buf: [0u8; MAX_DIGEST_LEN],
            len: len.min(MAX_DIGEST_LEN),
        };
        fill(&mut s.buf[..s.len]);
        s
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl From<&Digest> for HashSecret {
    fn from(d: &Digest) -> Self {
        HashSecret::fill_with(d.len, |out| out.copy_from_slice(d.as_ref()))
    }
}

impl AsRef<[u8]> for HashSecret {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for HashSecret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.as_bytes(), other.as_bytes())
    }
}
impl Eq for HashSecret {}

impl fmt::Debug for HashSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HashSecret(..)")
    }
}

impl Drop for HashSecret {
    fn drop(&mut self) {
        self.buf[..].zeroize();
    }
}

/// HKDF-Extract (RFC 5869, 2.2): PRK = HMAC-Hash(salt, IKM). An empty salt is
/// the same as HashLen zero bytes, as the RFC specifies.
pub fn hkdf_extract(alg: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> Secret {
    let prk = hmac(alg, salt, ikm);
    Secret::from(prk.as_ref())
}

/// HKDF-Expand (RFC 5869, 2.3): `len` bytes of output keying material from `prk`
/// and `info`. TLS 1.3's HKDF-Expand-Label (RFC 8446, 7.1) is built on this.
///
/// # Panics
///
/// If `len` exceeds 255 * HashLen, which RFC 5869 forbids. Lengths come from the
/// cipher suite (at most 48 bytes in TLS), never from the peer, so this is a caller bug.
pub fn hkdf_expand(alg: HashAlgorithm, prk: &[u8], info: &[u8], len: usize) -> Secret {
    let mut okm = vec![0u8; len];
    hkdf_expand_into(alg, prk, info, &mut okm);
    Secret::from(okm)
}

/// HKDF-Expand (RFC 5869, 2.3) filling `okm`, without allocating.
///
/// # Panics
///
/// If `okm` is longer than 255 * HashLen (see [`hkdf_expand`]).
pub fn hkdf_expand_into(alg: HashAlgorithm, prk: &[u8], info: &[u8], okm: &mut [u8]) {
    let hash_len = alg.output_len();
    assert!(
        okm.len() <= 255 * hash_len,
        "HKDF-Expand output of {} bytes exceeds 255 * HashLen (RFC 5869, 2.3)",
        okm.len()
    );
    // A PRK is a hash output, shorter than a block: used as the HMAC key as it is.
    let long_key = (prk.len() > alg.block_len()).then(|| hash(alg, prk));
    let key = long_key.as_ref().map_or(prk, |k| k.as_ref());
    let mut t: Option<Digest> = None;
    for (i, chunk) in okm.chunks_mut(hash_len).enumerate() {
        // T(i) = HMAC-Hash(PRK, T(i-1) | info | i), i from 1; the assert bounds i to 255.
        let counter = [u8::try_from(i + 1).unwrap_or(u8::MAX)];
        let previous = t.as_ref().map_or(&[][..], |d| d.as_ref());
        let block = hmac_parts(alg, key, &[previous, info, &counter]);
        chunk.copy_from_slice(&block.as_ref()[..chunk.len()]);
        t = Some(block);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex;

    #[test]
    fn sha256_and_sha384_known_answers() {
        // FIPS 180-2 examples: "abc".
        assert_eq!(
            hash(HashAlgorithm::Sha256, b"abc").as_ref(),
            unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            hash(HashAlgorithm::Sha384, b"abc").as_ref(),
            unhex(
                "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed
                 8086072ba1e7cc2358baeca134c825a7"
            )
        );
        assert_eq!(HashAlgorithm::Sha256.output_len(), 32);
        assert_eq!(HashAlgorithm::Sha384.output_len(), 48);
        assert_eq!(hash(HashAlgorithm::Sha384, b"").as_ref().len(), 48);
    }

    #[test]
    fn hash_context_current_does_not_consume() {
        let mut ctx = HashContext::new(HashAlgorithm::Sha256);
        assert_eq!(ctx.current(), hash(HashAlgorithm::Sha256, b""));
        ctx.update(b"ab");
        let fork = ctx.clone();
        assert_eq!(ctx.current(), hash(HashAlgorithm::Sha256, b"ab"));
        ctx.update(b"c");
        assert_eq!(ctx.current(), hash(HashAlgorithm::Sha256, b"abc"));
        assert_eq!(fork.current(), hash(HashAlgorithm::Sha256, b"ab"));
        assert_eq!(ctx.algorithm(), HashAlgorithm::Sha256);
        assert_eq!(format!("{ctx:?}"), "HashContext(Sha256)");
    }

    #[test]
    fn hmac_sha256_and_sha384_rfc4231_case_2() {
        // RFC 4231, 4.3: Key = "Jefe", Data = "what do ya want for nothing?".
        let data = b"what do ya want for nothing?";
        assert_eq!(
            hmac(HashAlgorithm::Sha256, b"Jefe", data).as_ref(),
            unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        );
        assert_eq!(
            hmac(HashAlgorithm::Sha384, b"Jefe", data).as_ref(),
            unhex(
                "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e
                 8e2240ca5e69e2c78b3239ecfab21649"
            )
        );
    }

    #[test]
    fn hmac_sha384_rfc4231_case_1() {
        // RFC 4231, 4.2: Key = 0x0b * 20, Data = "Hi There".
        assert_eq!(
            hmac(HashAlgorithm::Sha384, &[0x0b; 20], b"Hi There").as_ref(),
            unhex(
                "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c
                 faea9ea9076ede7f4af152e8b2fa9cb6"
            )
        );
    }

    /// The stack HMAC agrees with aws-lc's for keys and messages of every length
    /// around the block and buffer boundaries (and past them, where aws-lc computes).
    #[test]
    fn hmac_matches_aws_lc_at_every_boundary() {
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let b = alg.block_len();
            let key_lens = [0, 1, 31, 32, 48, b - 1, b, b + 1, 200];
            let msg_lens = [
                0,
                1,
                55,
                56,
                64,
                119,
                SHORT_MESSAGE_LEN,
                SHORT_MESSAGE_LEN + 1,
                512,
                STACK_MESSAGE_LEN,
                STACK_MESSAGE_LEN + 1,
                2000,
            ];
            for &kl in &key_lens {
                let key: Vec<u8> = (0..kl).map(|i| (i * 7 + 3) as u8).collect();
                let prepared = HmacKey::new(alg, &key);
                let theirs_key = lc_hmac::Key::new(alg.hmac_alg(), &key);
                for &ml in &msg_lens {
                    let msg: Vec<u8> = (0..ml).map(|i| (i * 13 + 1) as u8).collect();
                    let theirs = lc_hmac::sign(&theirs_key, &msg);
                    assert_eq!(
                        hmac(alg, &key, &msg).as_ref(),
                        theirs.as_ref(),
                        "{alg:?} {kl} {ml}"
                    );
                    let (a, c) = msg.split_at(ml / 3);
                    assert_eq!(
                        prepared.sign(&[a, c]).as_ref(),
                        theirs.as_ref(),
                        "{alg:?} {kl} {ml}"
                    );
                }
            }
        }
    }

    #[test]
    fn hash_secret_is_inline_and_redacted() {
        let d = hash(HashAlgorithm::Sha384, b"x");
        let s = HashSecret::from(&d);
        assert_eq!(s.as_bytes(), d.as_ref());
        assert_eq!(s.len(), 48);
        assert!(!s.is_empty());
        assert_eq!(format!("{s:?}"), "HashSecret(..)");
        assert_eq!(s.clone(), s);
        assert_ne!(
            HashSecret::fill_with(2, |o| o.fill(1)),
            HashSecret::fill_with(2, |o| o.fill(2))
        );
        assert_eq!(HashSecret::fill_with(100, |o| o.fill(1)).len(), 48);
    }

    #[test]
    fn constant_time_eq_semantics() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }

    #[test]
    fn secret_debug_hides_bytes() {
        let s = Secret::from(vec![0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(format!("{s:?}"), "Secret(..)");
        assert_eq!(s.len(), 4);
        assert!(!s.is_empty());
        assert_eq!(s.as_bytes(), &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(s, Secret::from(&[0xde, 0xad, 0xbe, 0xef][..]));
        assert_ne!(s, Secret::from(vec![0xde, 0xad]));
    }

    #[test]
    fn digest_debug_is_hex() {
        let d = hmac(HashAlgorithm::Sha256, b"k", b"");
        let dbg = format!("{d:?}");
        assert!(dbg.starts_with("Digest(Sha256, "), "{dbg}");
        assert_eq!(dbg.len(), "Digest(Sha256, )".len() + 64);
        assert_eq!(d.algorithm(), HashAlgorithm::Sha256);
    }

    struct HkdfCase {
        ikm: Vec<u8>,
        salt: Vec<u8>,
        info: Vec<u8>,
        len: usize,
        prk: &'static str,
        okm: &'static str,
    }

    fn check(c: HkdfCase) {
        let prk = hkdf_extract(HashAlgorithm::Sha256, &c.salt, &c.ikm);
        assert_eq!(prk.as_bytes(), unhex(c.prk));
        let okm = hkdf_expand(HashAlgorithm::Sha256, prk.as_bytes(), &c.info, c.len);
        assert_eq!(okm.as_bytes(), unhex(c.okm));
    }

    #[test]
    fn hkdf_rfc5869_case_1() {
        check(HkdfCase {
            ikm: vec![0x0b; 22],
            salt: unhex("000102030405060708090a0b0c"),
            info: unhex("f0f1f2f3f4f5f6f7f8f9"),
            len: 42,
            prk: "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
            okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf
                  34007208d5b887185865",
        });
    }

    #[test]
    fn hkdf_rfc5869_case_2() {
        check(HkdfCase {
            ikm: (0x00..=0x4f).collect(),
            salt: (0x60..=0xaf).collect(),
            info: (0xb0..=0xff).collect(),
            len: 82,
            prk: "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
            okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c
                  59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71
                  cc30c58179ec3e87c14c01d5c1f3434f1d87",
        });
    }

    #[test]
    fn hkdf_rfc5869_case_3() {
        check(HkdfCase {
            ikm: vec![0x0b; 22],
            salt: vec![],
            info: vec![],
            len: 42,
            prk: "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
            okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d
                  9d201395faa4b61a96c8",
        });
    }

    #[test]
    fn hkdf_expand_sha384_matches_aws_lc_hkdf() {
        // Cross-check our HMAC-based expand against aws-lc's own HKDF.
        use aws_lc_rs::hkdf;
        struct Len(usize);
        impl hkdf::KeyType for Len {
            fn len(&self) -> usize {
                self.0
            }
        }
        let prk = hkdf_extract(HashAlgorithm::Sha384, b"salt", b"input keying material");
        let theirs_prk =
            hkdf::Salt::new(hkdf::HKDF_SHA384, b"salt").extract(b"input keying material");
        for len in [0usize, 1, 12, 48, 49, 100] {
            let ours = hkdf_expand(HashAlgorithm::Sha384, prk.as_bytes(), b"info", len);
            let mut theirs = vec![0u8; len];
            theirs_prk
                .expand(&[b"info"], Len(len))
                .unwrap()
                .fill(&mut theirs)
                .unwrap();
            assert_eq!(ours.as_bytes(), theirs, "len {len}");
        }
    }

    #[test]
    #[should_panic(expected = "exceeds 255 * HashLen")]
    fn hkdf_expand_rejects_overlong_output() {
        let _ = hkdf_expand(HashAlgorithm::Sha256, &[0; 32], b"", 255 * 32 + 1);
    }
}
