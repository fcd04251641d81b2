//! The little DER and PEM handling the corpus needs beyond rcgen: re-signing a
//! certificate with SHA-1 (which rcgen and aws-lc-rs cannot sign with) and reading
//! the key out of a fixed SubjectPublicKeyInfo.

/// One DER TLV and what follows it.
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    /// Header and content.
    pub whole: &'a [u8],
    pub rest: &'a [u8],
}

/// The TLV at the start of `input`.
pub fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    let header = input.len() - rest.len();
    Some(Tlv {
        tag,
        content: &rest[..len],
        whole: &input[..header + len],
        rest: &rest[len..],
    })
}

/// `tag` || DER length || `content`.
pub fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// The TBSCertificate of a DER certificate.
pub fn tbs_of(cert: &[u8]) -> Vec<u8> {
    let cert = tlv(cert).expect("a certificate SEQUENCE");
    tlv(cert.content).expect("a TBSCertificate").whole.to_vec()
}

/// The subjectPublicKey bits (for RSA, the RSAPublicKey DER) of a SubjectPublicKeyInfo.
pub fn spki_key_bits(spki: &[u8]) -> Vec<u8> {
    let spki = tlv(spki).expect("an SPKI SEQUENCE");
    let alg = tlv(spki.content).expect("an AlgorithmIdentifier");
    let bits = tlv(alg.rest).expect("a BIT STRING");
    assert_eq!(bits.tag, 0x03, "subjectPublicKey is a BIT STRING");
    bits.content[1..].to_vec()
}

/// The DER of the AlgorithmIdentifier `oid` with NULL parameters.
fn rsa_alg(oid: &[u8]) -> Vec<u8> {
    let mut body = encode(0x06, oid);
    body.extend([0x05, 0x00]);
    encode(0x30, &body)
}

/// sha256WithRSAEncryption (RFC 4055) and sha1WithRSAEncryption (RFC 3279, 2.2.1).
const SHA256_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b];
const SHA1_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05];

/// The TBSCertificate of an RSA-SHA256-signed certificate, its `signature` field
/// turned into sha1WithRSAEncryption (same length, so no length changes).
pub fn tbs_as_sha1(cert: &[u8]) -> Vec<u8> {
    let mut tbs = tbs_of(cert);
    let from = rsa_alg(SHA256_RSA);
    let at = tbs
        .windows(from.len())
        .position(|w| w == from.as_slice())
        .expect("the TBSCertificate names sha256WithRSAEncryption");
    tbs[at..at + from.len()].copy_from_slice(&rsa_alg(SHA1_RSA));
    tbs
}

/// A certificate from its TBSCertificate and an RSA PKCS#1 v1.5 SHA-1 signature.
pub fn sha1_certificate(tbs: &[u8], signature: &[u8]) -> Vec<u8> {
    let mut bits = vec![0u8];
    bits.extend_from_slice(signature);
    let mut body = tbs.to_vec();
    body.extend(rsa_alg(SHA1_RSA));
    body.extend(encode(0x03, &bits));
    encode(0x30, &body)
}

/// PEM ("CERTIFICATE") of a DER certificate.
pub fn pem(der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[test]
fn der_helpers_round_trip() {
    let long = vec![7u8; 300];
    let enc = encode(0x04, &long);
    assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
    let t = tlv(&enc).unwrap();
    assert_eq!(
        (t.tag, t.content, t.whole.len(), t.rest.len()),
        (0x04, &long[..], 304, 0)
    );
    assert_eq!(
        pem(b"abcd"),
        "-----BEGIN CERTIFICATE-----\nYWJjZA==\n-----END CERTIFICATE-----\n"
    );
}
