//! Deliberately weak cryptography for `cert issue --broken`: a 1024-bit RSA key and an
//! ECDSA signature over SHA-1. aws-lc-rs (rightly) makes neither, so they are done here
//! with plain big-integer arithmetic. Not constant time and not for real keys: these
//! certificates exist to be rejected.

use num_bigint::BigUint;

use super::der;

/// Random bytes from the system generator.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut buf)
        .map_err(|_| "the system random generator failed".to_string())?;
    Ok(buf)
}

fn random_below(limit: &BigUint) -> Result<BigUint, String> {
    // 64 extra bits make the modulo bias negligible.
    let bytes = random_bytes(limit.bits().div_ceil(8) as usize + 8)?;
    Ok(BigUint::from_bytes_be(&bytes) % limit)
}

// ---------------------------------------------------------------------------
// RSA-1024
// ---------------------------------------------------------------------------

const SMALL_PRIMES: &[u32] = &[
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167, 173, 179, 181, 191, 193,
    197, 199, 211, 223, 227, 229, 233, 239, 241, 251,
];

fn probably_prime(n: &BigUint, rounds: usize) -> Result<bool, String> {
    let one = BigUint::from(1u32);
    let two = BigUint::from(2u32);
    for p in SMALL_PRIMES {
        if (n % *p) == BigUint::from(0u32) {
            return Ok(n == &BigUint::from(*p));
        }
    }
    let n_minus_1 = n - &one;
    let s = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> s;
    'witness: for _ in 0..rounds {
        let a = random_below(&(n - 3u32))? + &two;
        let mut x = a.modpow(&d, n);
        if x == one || x == n_minus_1 {
            continue;
        }
        for _ in 1..s {
            x = x.modpow(&two, n);
            if x == n_minus_1 {
                continue 'witness;
            }
        }
        return Ok(false);
    }
    Ok(true)
}

fn random_prime(bits: u64, e: &BigUint) -> Result<BigUint, String> {
    loop {
        let mut bytes = random_bytes((bits / 8) as usize)?;
        bytes[0] |= 0xc0; // the two top bits: the product has exactly 2 * bits bits
        if let Some(last) = bytes.last_mut() {
            *last |= 1;
        }
        let candidate = BigUint::from_bytes_be(&bytes);
        let gcd_ok = gcd(&(&candidate - 1u32), e) == BigUint::from(1u32);
        if gcd_ok && probably_prime(&candidate, 24)? {
            return Ok(candidate);
        }
    }
}

fn gcd(a: &BigUint, b: &BigUint) -> BigUint {
    let (mut a, mut b) = (a.clone(), b.clone());
    while b != BigUint::from(0u32) {
        let r = &a % &b;
        a = b;
        b = r;
    }
    a
}

/// An RSA key pair as DER: RSAPublicKey (PKCS#1) and PrivateKeyInfo (PKCS#8).
pub struct RsaKey {
    pub public_pkcs1: Vec<u8>,
    pub private_pkcs8: Vec<u8>,
}

/// Generates an RSA key of `bits` bits with public exponent 65537.
pub fn generate_rsa(bits: u64) -> Result<RsaKey, String> {
    let e = BigUint::from(65_537u32);
    let (p, q) = loop {
        let p = random_prime(bits / 2, &e)?;
        let q = random_prime(bits / 2, &e)?;
        if p != q {
            break (p, q);
        }
    };
    let n = &p * &q;
    let phi = (&p - 1u32) * (&q - 1u32);
    let d = e
        .modinv(&phi)
        .ok_or("RSA key generation failed: e has no inverse")?;
    let dp = &d % (&p - 1u32);
    let dq = &d % (&q - 1u32);
    let qinv = q
        .modinv(&p)
        .ok_or("RSA key generation failed: q has no inverse")?;
    let int = |v: &BigUint| der::unsigned_integer(&v.to_bytes_be());
    let public_pkcs1 = der::sequence(&[&int(&n), &int(&e)]);
    // RFC 8017, A.1.2: RSAPrivateKey, version 0 (two primes).
    let private_pkcs1 = der::sequence(&[
        &der::unsigned_integer(&[0]),
        &int(&n),
        &int(&e),
        &int(&d),
        &int(&p),
        &int(&q),
        &int(&dp),
        &int(&dq),
        &int(&qinv),
    ]);
    // RFC 5208: PrivateKeyInfo { version 0, rsaEncryption with NULL parameters, key }.
    let rsa_encryption = der::tlv(
        der::OID,
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
    );
    let alg = der::sequence(&[&rsa_encryption, &der::tlv(der::NULL, &[])]);
    let private_pkcs8 = der::sequence(&[
        &der::unsigned_integer(&[0]),
        &alg,
        &der::tlv(der::OCTET_STRING, &private_pkcs1),
    ]);
    Ok(RsaKey {
        public_pkcs1,
        private_pkcs8,
    })
}

/// An RSA public key for rcgen to put in a certificate.
pub struct RsaPublicKey(pub Vec<u8>);

impl rcgen::PublicKeyData for RsaPublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        // Only its key algorithm (rsaEncryption) is used for a public key.
        &rcgen::PKCS_RSA_SHA256
    }
}

// ---------------------------------------------------------------------------
// ECDSA P-256 over SHA-1
// ---------------------------------------------------------------------------

struct Curve {
    p: BigUint,
    a: BigUint,
    n: BigUint,
    g: (BigUint, BigUint),
}

fn hex_int(s: &str) -> BigUint {
    BigUint::parse_bytes(s.as_bytes(), 16).unwrap_or_default()
}

/// SEC 2, 2.4.2: secp256r1.
fn p256() -> Curve {
    let p = hex_int("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
    Curve {
        a: &p - 3u32,
        n: hex_int("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"),
        g: (
            hex_int("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"),
            hex_int("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"),
        ),
        p,
    }
}

type Point = Option<(BigUint, BigUint)>;

impl Curve {
    fn sub(&self, a: &BigUint, b: &BigUint) -> BigUint {
        (a + &self.p - (b % &self.p)) % &self.p
    }

    fn inv(&self, a: &BigUint) -> Option<BigUint> {
        a.modinv(&self.p)
    }

    fn add(&self, a: &Point, b: &Point) -> Point {
        let (Some((x1, y1)), Some((x2, y2))) = (a, b) else {
            return a.clone().or_else(|| b.clone());
        };
        let lambda = if x1 == x2 {
            if (y1 + y2) % &self.p == BigUint::from(0u32) {
                return None;
            }
            // Doubling: (3x^2 + a) / 2y.
            let num = (x1 * x1 * 3u32 + &self.a) % &self.p;
            num * self.inv(&(y1 * 2u32 % &self.p))? % &self.p
        } else {
            self.sub(y2, y1) * self.inv(&self.sub(x2, x1))? % &self.p
        };
        let x3 = self.sub(&self.sub(&(&lambda * &lambda % &self.p), x1), x2);
        let y3 = self.sub(&(&lambda * self.sub(x1, &x3) % &self.p), y1);
        Some((x3, y3))
    }

    fn mul(&self, k: &BigUint, point: &Point) -> Point {
        let mut acc: Point = None;
        for i in (0..k.bits()).rev() {
            acc = self.add(&acc, &acc);
            if k.bit(i) {
                acc = self.add(&acc, point);
            }
        }
        acc
    }
}

/// The private scalar of a P-256 key in PKCS#8 (RFC 5208 around RFC 5915's
/// ECPrivateKey) or bare SEC1 form.
pub fn p256_private_scalar(key_der: &[u8]) -> Option<BigUint> {
    let (outer, _) = der::read(key_der)?;
    let items = der::children(outer.content)?;
    // ECPrivateKey: { INTEGER 1, OCTET STRING d, ... }
    let ec = match items.as_slice() {
        [version, d, ..] if version.content == [1] && d.tag == der::OCTET_STRING => {
            return Some(BigUint::from_bytes_be(d.content))
        }
        [_, _, key, ..] if key.tag == der::OCTET_STRING => key.content,
        _ => return None,
    };
    p256_private_scalar(ec)
}

/// Signs `message` with ECDSA P-256 over SHA-1 (ecdsa-with-SHA1, RFC 3279, 2.2.3) and
/// returns the DER Ecdsa-Sig-Value.
pub fn ecdsa_p256_sha1_sign(private: &BigUint, message: &[u8]) -> Result<Vec<u8>, String> {
    let curve = p256();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, message);
    // SHA-1 is shorter than the group order, so the whole digest is used (SEC 1, 4.1.3).
    let e = BigUint::from_bytes_be(digest.as_ref());
    let n = &curve.n;
    loop {
        let k = random_below(&(n - 1u32))? + 1u32;
        let Some((x, _)) = curve.mul(&k, &Some(curve.g.clone())) else {
            continue;
        };
        let r = x % n;
        if r == BigUint::from(0u32) {
            continue;
        }
        let Some(k_inv) = k.modinv(n) else { continue };
        let s = k_inv * ((&e + &r * private) % n) % n;
        if s == BigUint::from(0u32) {
            continue;
        }
        return Ok(der::sequence(&[
            &der::unsigned_integer(&r.to_bytes_be()),
            &der::unsigned_integer(&s.to_bytes_be()),
        ]));
    }
}

/// ecdsa-with-SHA1 AlgorithmIdentifier (RFC 3279: parameters absent).
pub const ECDSA_WITH_SHA1: &[u8] = &[
    0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01,
];

/// Rewrites a certificate issued by a P-256 CA so that it is signed with
/// ecdsa-with-SHA1: both AlgorithmIdentifiers are replaced and the TBSCertificate
/// signed again with `ca_private`.
pub fn resign_with_sha1(cert_der: &[u8], ca_private: &BigUint) -> Result<Vec<u8>, String> {
    let bad = || "cannot re-sign the certificate: unexpected DER structure".to_string();
    let [tbs, _, _] = der::certificate_parts(cert_der).ok_or_else(bad)?;
    let mut fields = der::children(tbs.content).ok_or_else(bad)?;
    // TBSCertificate: [0] version, serialNumber, signature, ...
    let sig_index = if fields.first().is_some_and(|f| f.tag == 0xa0) {
        2
    } else {
        1
    };
    let sig = fields.get_mut(sig_index).ok_or_else(bad)?;
    let replaced = der::read(ECDSA_WITH_SHA1).ok_or_else(bad)?.0;
    *sig = replaced;
    let raw: Vec<&[u8]> = fields.iter().map(|f| f.raw).collect();
    let new_tbs = der::sequence(&raw);
    let signature = ecdsa_p256_sha1_sign(ca_private, &new_tbs)?;
    Ok(der::sequence(&[
        &new_tbs,
        ECDSA_WITH_SHA1,
        &der::bit_string(&signature),
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify(public: &Point, message: &[u8], r: &BigUint, s: &BigUint) -> bool {
        let curve = p256();
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, message);
        let e = BigUint::from_bytes_be(digest.as_ref());
        let w = s.modinv(&curve.n).unwrap();
        let u1 = &e * &w % &curve.n;
        let u2 = r * &w % &curve.n;
        let x = curve.add(
            &curve.mul(&u1, &Some(curve.g.clone())),
            &curve.mul(&u2, public),
        );
        x.is_some_and(|(x, _)| &(x % &curve.n) == r)
    }

    #[test]
    fn generator_has_the_group_order() {
        let curve = p256();
        let g = Some(curve.g.clone());
        assert_eq!(curve.mul(&curve.n, &g), None);
        assert_eq!(curve.mul(&(&curve.n + 1u32), &g), g);
    }

    #[test]
    fn sha1_signatures_verify() {
        let curve = p256();
        let d = BigUint::from(123_456_789u64) * 987_654_321u64;
        let public = curve.mul(&d, &Some(curve.g.clone()));
        let sig = ecdsa_p256_sha1_sign(&d, b"tbs").unwrap();
        let (seq, _) = der::read(&sig).unwrap();
        let parts = der::children(seq.content).unwrap();
        let r = BigUint::from_bytes_be(parts[0].content);
        let s = BigUint::from_bytes_be(parts[1].content);
        assert!(verify(&public, b"tbs", &r, &s));
        assert!(!verify(&public, b"tbt", &r, &s));
    }

    #[test]
    fn finds_the_scalar_in_pkcs8() {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let d = p256_private_scalar(&key.serialize_der()).unwrap();
        // The public point d*G must be the key's public key (uncompressed, 0x04 || x || y).
        let curve = p256();
        let (x, y) = curve.mul(&d, &Some(curve.g.clone())).unwrap();
        let public = rcgen::PublicKeyData::der_bytes(&key).to_vec();
        let pad = |v: BigUint| {
            let b = v.to_bytes_be();
            [vec![0u8; 32 - b.len()], b].concat()
        };
        let expected = [vec![4u8], pad(x), pad(y)].concat();
        assert_eq!(public, expected);
    }

    #[test]
    fn rsa_1024_keys_have_1024_bits() {
        let key = generate_rsa(1024).unwrap();
        let (seq, _) = der::read(&key.public_pkcs1).unwrap();
        let n = der::children(seq.content).unwrap()[0].content;
        assert_eq!(BigUint::from_bytes_be(n).bits(), 1024);
    }
}
