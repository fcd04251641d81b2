//! The SHA-1, SHA-256 and SHA-512 compression functions (FIPS 180-4, 6), for the
//! constant-time inner HMAC hash of a MAC-then-encrypt record only
//! ([`MacKey::sign_constant_time`](super::MacKey::sign_constant_time)): aws-lc-rs
//! exposes no compression-function access. Everything else hashes with aws-lc.

use zeroize::Zeroize;

use super::{MacAlgorithm, MAX_MAC_LEN};

/// The chaining state of SHA-1, SHA-256 or SHA-384 (FIPS 180-4), for the
/// constant-time inner hash only; everything else uses aws-lc.
#[derive(Clone)]
pub(super) enum HashState {
    Sha1([u32; 5]),
    Sha256([u32; 8]),
    Sha384([u64; 8]),
}

impl HashState {
    pub(super) fn new(alg: MacAlgorithm) -> Self {
        match alg {
            MacAlgorithm::Sha1 => {
                HashState::Sha1([0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0])
            }
            MacAlgorithm::Sha256 => HashState::Sha256(SHA256_IV),
            MacAlgorithm::Sha384 => HashState::Sha384(SHA384_IV),
        }
    }

    /// One compression-function call on a whole block (64 or 128 bytes).
    pub(super) fn compress(&mut self, block: &[u8]) {
        match self {
            HashState::Sha1(s) => sha1_compress(s, block),
            HashState::Sha256(s) => sha256_compress(s, block),
            HashState::Sha384(s) => sha512_compress(s, block),
        }
    }

    /// `self = mask ? other : self`, word by word.
    pub(super) fn select_from(&mut self, other: &HashState, mask: usize) {
        let m32 = mask as u32;
        let m64 = mask as u64;
        match (self, other) {
            (HashState::Sha1(a), HashState::Sha1(b)) => a
                .iter_mut()
                .zip(b)
                .for_each(|(x, y)| *x = (y & m32) | (*x & !m32)),
            (HashState::Sha256(a), HashState::Sha256(b)) => a
                .iter_mut()
                .zip(b)
                .for_each(|(x, y)| *x = (y & m32) | (*x & !m32)),
            (HashState::Sha384(a), HashState::Sha384(b)) => a
                .iter_mut()
                .zip(b)
                .for_each(|(x, y)| *x = (y & m64) | (*x & !m64)),
            // Both states always come from the same MacKey.
            _ => {}
        }
    }

    /// Writes the big-endian digest (SHA-384 truncated to 48 bytes); returns its length.
    pub(super) fn write_digest(&self, out: &mut [u8; MAX_MAC_LEN]) -> usize {
        match self {
            HashState::Sha1(s) => {
                for (o, w) in out.chunks_exact_mut(4).zip(s) {
                    o.copy_from_slice(&w.to_be_bytes());
                }
                20
            }
            HashState::Sha256(s) => {
                for (o, w) in out.chunks_exact_mut(4).zip(s) {
                    o.copy_from_slice(&w.to_be_bytes());
                }
                32
            }
            HashState::Sha384(s) => {
                for (o, w) in out.chunks_exact_mut(8).zip(&s[..6]) {
                    o.copy_from_slice(&w.to_be_bytes());
                }
                48
            }
        }
    }
}

fn be32(block: &[u8], i: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&block[4 * i..4 * i + 4]);
    u32::from_be_bytes(w)
}

fn be64(block: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&block[8 * i..8 * i + 8]);
    u64::from_be_bytes(w)
}

/// FIPS 180-4, 6.1.2.
fn sha1_compress(s: &mut [u32; 5], block: &[u8]) {
    let mut w = [0u32; 80];
    for (i, wi) in w.iter_mut().enumerate().take(16) {
        *wi = be32(block, i);
    }
    for i in 16..80 {
        w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
    }
    let [mut a, mut b, mut c, mut d, mut e] = *s;
    for (i, wi) in w.iter().enumerate() {
        let (f, k) = match i {
            0..=19 => ((b & c) | (!b & d), 0x5a827999),
            20..=39 => (b ^ c ^ d, 0x6ed9eba1),
            40..=59 => ((b & c) | (b & d) | (c & d), 0x8f1bbcdc),
            _ => (b ^ c ^ d, 0xca62c1d6),
        };
        let t = a
            .rotate_left(5)
            .wrapping_add(f)
            .wrapping_add(e)
            .wrapping_add(k)
            .wrapping_add(*wi);
        e = d;
        d = c;
        c = b.rotate_left(30);
        b = a;
        a = t;
    }
    for (x, v) in s.iter_mut().zip([a, b, c, d, e]) {
        *x = x.wrapping_add(v);
    }
    w.zeroize();
}

/// FIPS 180-4, 6.2.2.
fn sha256_compress(s: &mut [u32; 8], block: &[u8]) {
    let mut w = [0u32; 64];
    for (i, wi) in w.iter_mut().enumerate().take(16) {
        *wi = be32(block, i);
    }
    for i in 16..64 {
        let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
        let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16]
            .wrapping_add(s0)
            .wrapping_add(w[i - 7])
            .wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *s;
    for (k, wi) in SHA256_K.iter().zip(w.iter()) {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(*k)
            .wrapping_add(*wi);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (x, v) in s.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *x = x.wrapping_add(v);
    }
    w.zeroize();
}

/// FIPS 180-4, 6.4.2 (SHA-384 is SHA-512 with another IV, truncated).
fn sha512_compress(s: &mut [u64; 8], block: &[u8]) {
    let mut w = [0u64; 80];
    for (i, wi) in w.iter_mut().enumerate().take(16) {
        *wi = be64(block, i);
    }
    for i in 16..80 {
        let s0 = w[i - 15].rotate_right(1) ^ w[i - 15].rotate_right(8) ^ (w[i - 15] >> 7);
        let s1 = w[i - 2].rotate_right(19) ^ w[i - 2].rotate_right(61) ^ (w[i - 2] >> 6);
        w[i] = w[i - 16]
            .wrapping_add(s0)
            .wrapping_add(w[i - 7])
            .wrapping_add(s1);
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *s;
    for (k, wi) in SHA512_K.iter().zip(w.iter()) {
        let s1 = e.rotate_right(14) ^ e.rotate_right(18) ^ e.rotate_right(41);
        let ch = (e & f) ^ (!e & g);
        let t1 = h
            .wrapping_add(s1)
            .wrapping_add(ch)
            .wrapping_add(*k)
            .wrapping_add(*wi);
        let s0 = a.rotate_right(28) ^ a.rotate_right(34) ^ a.rotate_right(39);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
    }
    for (x, v) in s.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *x = x.wrapping_add(v);
    }
    w.zeroize();
}

const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

const SHA384_IV: [u64; 8] = [
    0xcbbb9d5dc1059ed8,
    0x629a292a367cd507,
    0x9159015a3070dd17,
    0x152fecd8f70e5939,
    0x67332667ffc00b31,
    0x8eb44a8768581511,
    0xdb0c2e0d64f98fa7,
    0x47b5481dbefa4fa4,
];

const SHA256_K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const SHA512_K: [u64; 80] = [
    0x428a2f98d728ae22,
    0x7137449123ef65cd,
    0xb5c0fbcfec4d3b2f,
    0xe9b5dba58189dbbc,
    0x3956c25bf348b538,
    0x59f111f1b605d019,
    0x923f82a4af194f9b,
    0xab1c5ed5da6d8118,
    0xd807aa98a3030242,
    0x12835b0145706fbe,
    0x243185be4ee4b28c,
    0x550c7dc3d5ffb4e2,
    0x72be5d74f27b896f,
    0x80deb1fe3b1696b1,
    0x9bdc06a725c71235,
    0xc19bf174cf692694,
    0xe49b69c19ef14ad2,
    0xefbe4786384f25e3,
    0x0fc19dc68b8cd5b5,
    0x240ca1cc77ac9c65,
    0x2de92c6f592b0275,
    0x4a7484aa6ea6e483,
    0x5cb0a9dcbd41fbd4,
    0x76f988da831153b5,
    0x983e5152ee66dfab,
    0xa831c66d2db43210,
    0xb00327c898fb213f,
    0xbf597fc7beef0ee4,
    0xc6e00bf33da88fc2,
    0xd5a79147930aa725,
    0x06ca6351e003826f,
    0x142929670a0e6e70,
    0x27b70a8546d22ffc,
    0x2e1b21385c26c926,
    0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df,
    0x650a73548baf63de,
    0x766a0abb3c77b2a8,
    0x81c2c92e47edaee6,
    0x92722c851482353b,
    0xa2bfe8a14cf10364,
    0xa81a664bbc423001,
    0xc24b8b70d0f89791,
    0xc76c51a30654be30,
    0xd192e819d6ef5218,
    0xd69906245565a910,
    0xf40e35855771202a,
    0x106aa07032bbd1b8,
    0x19a4c116b8d2d0c8,
    0x1e376c085141ab53,
    0x2748774cdf8eeb99,
    0x34b0bcb5e19b48a8,
    0x391c0cb3c5c95a63,
    0x4ed8aa4ae3418acb,
    0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3,
    0x748f82ee5defb2fc,
    0x78a5636f43172f60,
    0x84c87814a1f0ab72,
    0x8cc702081a6439ec,
    0x90befffa23631e28,
    0xa4506cebde82bde9,
    0xbef9a3f7b2c67915,
    0xc67178f2e372532b,
    0xca273eceea26619c,
    0xd186b8c721c0c207,
    0xeada7dd6cde0eb1e,
    0xf57d4f7fee6ed178,
    0x06f067aa72176fba,
    0x0a637dc5a2c898a6,
    0x113f9804bef90dae,
    0x1b710b35131c471b,
    0x28db77f523047d84,
    0x32caab7b40c72493,
    0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c,
    0x4cc5d4becb3e42b6,
    0x597f299cfc657e2a,
    0x5fcb6fab3ad6faec,
    0x6c44198c4a475817,
];
