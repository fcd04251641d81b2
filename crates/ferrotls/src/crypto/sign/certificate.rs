//! Certificate, CRL and OCSP signatures (RFC 5280, 4.1.1.2; RFC 4055; RFC 5758;
//! RFC 8410). Unlike TLS schemes, an algorithm identifier names only the hash:
//! ecdsa-with-SHA256 may be made by a P-384 issuer, so the curve comes from the
//! issuer's key. Used by `pki`; self-contained so it can grow independently.

use std::borrow::Cow;

use aws_lc_rs::signature as lc;
use x509_parser::asn1_rs::{Any, Class, FromDer, Oid, Tag};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
};
use x509_parser::x509::SubjectPublicKeyInfo;

use super::{
    algorithm_name, der_items, der_sequence, rsa_public_key_bits, RSA_MAX_BITS, RSA_MIN_BITS,
};

pub use crate::error::CertSignatureError;

/// A public key we accept in a certificate, described for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertKey {
    Rsa { bits: usize },
    EcP256,
    EcP384,
    EcP521,
    Ed25519,
}

impl core::fmt::Display for CertKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            CertKey::Rsa { bits } => write!(f, "RSA {bits}-bit"),
            CertKey::EcP256 => f.write_str("ECDSA P-256"),
            CertKey::EcP384 => f.write_str("ECDSA P-384"),
            CertKey::EcP521 => f.write_str("ECDSA P-521"),
            CertKey::Ed25519 => f.write_str("Ed25519"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CertHash {
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CertSigAlg {
    RsaPkcs1(CertHash),
    RsaPss(CertHash),
    Ecdsa(CertHash),
    Ed25519,
}

impl CertSigAlg {
    fn name(self) -> &'static str {
        use CertHash::*;
        match self {
            CertSigAlg::RsaPkcs1(Sha256) => "sha256WithRSAEncryption",
            CertSigAlg::RsaPkcs1(Sha384) => "sha384WithRSAEncryption",
            CertSigAlg::RsaPkcs1(Sha512) => "sha512WithRSAEncryption",
            CertSigAlg::RsaPss(Sha256) => "RSASSA-PSS with SHA-256",
            CertSigAlg::RsaPss(Sha384) => "RSASSA-PSS with SHA-384",
            CertSigAlg::RsaPss(Sha512) => "RSASSA-PSS with SHA-512",
            CertSigAlg::Ecdsa(Sha256) => "ecdsa-with-SHA256",
            CertSigAlg::Ecdsa(Sha384) => "ecdsa-with-SHA384",
            CertSigAlg::Ecdsa(Sha512) => "ecdsa-with-SHA512",
            CertSigAlg::Ed25519 => "Ed25519",
        }
    }
}

/// A readable name for a signature AlgorithmIdentifier (DER), whether or not we
/// support it: "ecdsa-with-SHA256", "sha1WithRSAEncryption", "1.2.3.4".
pub fn cert_signature_algorithm_name(alg_id_der: &[u8]) -> String {
    match parse_cert_sig_alg(alg_id_der) {
        Ok(alg) => alg.name().to_string(),
        Err(CertSignatureError::WeakHash { algorithm }) => algorithm.to_string(),
        Err(CertSignatureError::UnsupportedAlgorithm { algorithm }) => algorithm,
        Err(_) => "unknown".to_string(),
    }
}

const OID_RSA_PKCS1_SHA1: &str = "1.2.840.113549.1.1.5";
const OID_RSA_PKCS1_MD5: &str = "1.2.840.113549.1.1.4";
const OID_RSA_PKCS1_SHA256: &str = "1.2.840.113549.1.1.11";
const OID_RSA_PKCS1_SHA384: &str = "1.2.840.113549.1.1.12";
const OID_RSA_PKCS1_SHA512: &str = "1.2.840.113549.1.1.13";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_MGF1: &str = "1.2.840.113549.1.1.8";
const OID_ECDSA_SHA1: &str = "1.2.840.10045.4.1";
const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const OID_ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const OID_ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
const OID_DSA_SHA1: &str = "1.2.840.10040.4.3";
const OID_ED25519: &str = "1.3.101.112";
const OID_SHA1: &str = "1.3.14.3.2.26";
const OID_SHA256: &str = "2.16.840.1.101.3.4.2.1";
const OID_SHA384: &str = "2.16.840.1.101.3.4.2.2";
const OID_SHA512: &str = "2.16.840.1.101.3.4.2.3";

/// Splits an AlgorithmIdentifier into its OID (dotted) and optional parameters.
/// The certificate signature algorithms seen every day, by their OID's DER content,
/// so that their dotted text need not be formatted on every verification.
const COMMON_SIG_OIDS: &[(&[u8], &str)] = &[
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
        OID_RSA_PKCS1_SHA256,
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c],
        OID_RSA_PKCS1_SHA384,
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d],
        OID_RSA_PKCS1_SHA512,
    ),
    (
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a],
        OID_RSA_PSS,
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
        OID_ECDSA_SHA256,
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
        OID_ECDSA_SHA384,
    ),
    (
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04],
        OID_ECDSA_SHA512,
    ),
    (&[0x2b, 0x65, 0x70], OID_ED25519),
];

fn split_alg_id(der: &[u8]) -> Option<(Cow<'static, str>, Option<Any<'_>>)> {
    let items = der_sequence(der)?;
    let oid = Oid::try_from(items.first()?).ok()?;
    let text = match COMMON_SIG_OIDS.iter().find(|(b, _)| *b == oid.as_bytes()) {
        Some((_, text)) => Cow::Borrowed(*text),
        None => Cow::Owned(oid.to_id_string()),
    };
    match items.len() {
        1 => Some((text, None)),
        2 => Some((text, items.get(1).cloned())),
        _ => None,
    }
}

fn is_null(p: &Option<Any<'_>>) -> bool {
    matches!(p, Some(a) if a.tag() == Tag::Null && a.data.is_empty())
}

fn parse_cert_sig_alg(der: &[u8]) -> Result<CertSigAlg, CertSignatureError> {
    let unsupported = |algorithm: String| CertSignatureError::UnsupportedAlgorithm { algorithm };
    let (oid, params) =
        split_alg_id(der).ok_or_else(|| unsupported("a malformed AlgorithmIdentifier".into()))?;
    let with_params = |what: &str| unsupported(format!("{what} with unexpected parameters"));
    // RFC 4055, 5: PKCS#1 v1.5 parameters MUST be NULL. RFC 5758, 3.2 and RFC 8410, 3:
    // ECDSA and Ed25519 parameters MUST be absent.
    let pkcs1 = |h| {
        if is_null(&params) {
            Ok(CertSigAlg::RsaPkcs1(h))
        } else {
            Err(with_params(CertSigAlg::RsaPkcs1(h).name()))
        }
    };
    let absent = |alg: CertSigAlg| {
        if params.is_none() {
            Ok(alg)
        } else {
            Err(with_params(alg.name()))
        }
    };
    match oid.as_ref() {
        OID_RSA_PKCS1_SHA256 => pkcs1(CertHash::Sha256),
        OID_RSA_PKCS1_SHA384 => pkcs1(CertHash::Sha384),
        OID_RSA_PKCS1_SHA512 => pkcs1(CertHash::Sha512),
        OID_ECDSA_SHA256 => absent(CertSigAlg::Ecdsa(CertHash::Sha256)),
        OID_ECDSA_SHA384 => absent(CertSigAlg::Ecdsa(CertHash::Sha384)),
        OID_ECDSA_SHA512 => absent(CertSigAlg::Ecdsa(CertHash::Sha512)),
        OID_ED25519 => absent(CertSigAlg::Ed25519),
        OID_RSA_PSS => parse_pss_params(params.as_ref()),
        OID_RSA_PKCS1_SHA1 => Err(CertSignatureError::WeakHash {
            algorithm: "sha1WithRSAEncryption",
        }),
        OID_RSA_PKCS1_MD5 => Err(CertSignatureError::WeakHash {
            algorithm: "md5WithRSAEncryption",
        }),
        OID_ECDSA_SHA1 => Err(CertSignatureError::WeakHash {
            algorithm: "ecdsa-with-SHA1",
        }),
        OID_DSA_SHA1 => Err(CertSignatureError::WeakHash {
            algorithm: "dsa-with-SHA1",
        }),
        other => Err(unsupported(match other {
            "1.3.101.113" => "Ed448".into(),
            "2.16.840.1.101.3.4.3.2" => "dsa-with-SHA256".into(),
            o => format!("algorithm {o}"),
        })),
    }
}

/// RFC 4055, 3.1: RSASSA-PSS-params. We accept SHA-256/384/512 with MGF1 over the
/// same hash, a salt as long as the hash, and the default trailer.
fn parse_pss_params(params: Option<&Any<'_>>) -> Result<CertSigAlg, CertSignatureError> {
    let bad = || {
        CertSignatureError::UnsupportedAlgorithm {
        algorithm: "RSASSA-PSS with parameters other than SHA-256/384/512, MGF1 with the same hash and a hash-length salt".into(),
    }
    };
    let params = params
        .filter(|p| p.tag() == Tag::Sequence)
        .ok_or_else(bad)?;
    let items = der_items(params.data).ok_or_else(bad)?;
    let field = |n: u32| {
        items
            .iter()
            .find(|i| i.class() == Class::ContextSpecific && i.tag() == Tag(n))
    };
    let hash_of = |alg: &Any<'_>| -> Option<(CertHash, &'static str)> {
        let items = der_items(alg.data)?;
        let oid = Oid::try_from(items.first()?).ok()?.to_id_string();
        if items.len() > 2 || (items.len() == 2 && !is_null(&items.get(1).cloned())) {
            return None;
        }
        match oid.as_str() {
            OID_SHA256 => Some((CertHash::Sha256, OID_SHA256)),
            OID_SHA384 => Some((CertHash::Sha384, OID_SHA384)),
            OID_SHA512 => Some((CertHash::Sha512, OID_SHA512)),
            OID_SHA1 => Some((CertHash::Sha256, OID_SHA1)),
            _ => None,
        }
    };
    // [0] hashAlgorithm, EXPLICIT; absent means SHA-1.
    let hash_alg = field(0)
        .and_then(|f| Any::from_der(f.data).ok())
        .map(|(_, a)| a);
    let (hash, hash_oid) = match &hash_alg {
        Some(a) => hash_of(a).ok_or_else(bad)?,
        None => {
            return Err(CertSignatureError::WeakHash {
                algorithm: "RSASSA-PSS with SHA-1",
            })
        }
    };
    if hash_oid == OID_SHA1 {
        return Err(CertSignatureError::WeakHash {
            algorithm: "RSASSA-PSS with SHA-1",
        });
    }
    // [1] maskGenAlgorithm: MGF1 with the same hash.
    let mgf = field(1)
        .and_then(|f| Any::from_der(f.data).ok())
        .map(|(_, a)| a)
        .ok_or_else(bad)?;
    let mgf_items = der_items(mgf.data).ok_or_else(bad)?;
    let mgf_oid = mgf_items
        .first()
        .and_then(|o| Oid::try_from(o).ok())
        .map(|o| o.to_id_string())
        .ok_or_else(bad)?;
    let mgf_hash = mgf_items.get(1).and_then(hash_of).ok_or_else(bad)?;
    if mgf_oid != OID_MGF1 || mgf_hash.0 != hash || mgf_items.len() != 2 {
        return Err(bad());
    }
    // [2] saltLength: must equal the hash length. [3] trailerField: absent or 1.
    let hash_len = match hash {
        CertHash::Sha256 => 32,
        CertHash::Sha384 => 48,
        CertHash::Sha512 => 64,
    };
    let salt = field(2)
        .and_then(|f| Any::from_der(f.data).ok())
        .map(|(_, a)| a)
        .filter(|a| a.tag() == Tag::Integer)
        .ok_or_else(bad)?;
    if salt.data != [hash_len] {
        return Err(bad());
    }
    if let Some(trailer) = field(3) {
        let ok = Any::from_der(trailer.data)
            .map(|(_, a)| a.tag() == Tag::Integer && a.data == [1])
            .unwrap_or(false);
        if !ok {
            return Err(bad());
        }
    }
    if items.len() > 4 {
        return Err(bad());
    }
    Ok(CertSigAlg::RsaPss(hash))
}

/// Checks that a SubjectPublicKeyInfo holds a key ferrotls accepts in a
/// certificate: RSA 2048 to 8192 bits (a whole number of bytes), ECDSA on a named
/// P-256, P-384 or P-521 curve, or Ed25519.
pub fn check_cert_public_key(spki_der: &[u8]) -> Result<CertKey, CertSignatureError> {
    check_cert_spki(&parse_cert_spki(spki_der)?)
}

/// The SubjectPublicKeyInfo DER, exactly one.
fn parse_cert_spki(spki_der: &[u8]) -> Result<SubjectPublicKeyInfo<'_>, CertSignatureError> {
    match SubjectPublicKeyInfo::from_der(spki_der) {
        Ok(([], spki)) => Ok(spki),
        _ => Err(CertSignatureError::UnsupportedKey {
            key: "a malformed public key".into(),
        }),
    }
}

/// [`check_cert_public_key`] for a SubjectPublicKeyInfo already parsed (as
/// x509-parser parses it inside a certificate).
pub fn check_cert_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<CertKey, CertSignatureError> {
    let unsupported = |key: String| CertSignatureError::UnsupportedKey { key };
    let alg = &spki.algorithm.algorithm;
    let key: &[u8] = &spki.subject_public_key.data;
    if *alg == OID_PKCS1_RSAENCRYPTION {
        // RFC 3279, 2.3.1: parameters MUST be NULL.
        let null_params = spki
            .algorithm
            .parameters
            .as_ref()
            .is_some_and(|p| p.tag() == Tag::Null);
        if !null_params {
            return Err(unsupported("an RSA key with malformed parameters".into()));
        }
        let bits =
            rsa_public_key_bits(key).ok_or_else(|| unsupported("a malformed RSA key".into()))?;
        if bits < RSA_MIN_BITS || bits % 8 != 0 {
            return Err(CertSignatureError::WeakKey {
                key: format!("RSA {bits}-bit"),
            });
        }
        if bits > RSA_MAX_BITS {
            return Err(unsupported(format!(
                "RSA {bits}-bit (more than {RSA_MAX_BITS})"
            )));
        }
        return Ok(CertKey::Rsa { bits });
    }
    if *alg == OID_SIG_ED25519 {
        if spki.algorithm.parameters.is_some() || key.len() != 32 {
            return Err(unsupported("a malformed Ed25519 key".into()));
        }
        return Ok(CertKey::Ed25519);
    }
    if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| Oid::try_from(p).ok())
            .ok_or_else(|| unsupported("an EC key with explicit curve parameters".into()))?;
        let (kind, len) = if curve == OID_EC_P256 {
            (CertKey::EcP256, 65)
        } else if curve == OID_NIST_EC_P384 {
            (CertKey::EcP384, 97)
        } else if curve == OID_NIST_EC_P521 {
            (CertKey::EcP521, 133)
        } else {
            let name = match curve.to_id_string().as_str() {
                "1.2.840.10045.3.1.1" => "P-192".to_string(),
                "1.3.132.0.33" => "P-224".to_string(),
                "1.3.132.0.10" => "secp256k1".to_string(),
                other => other.to_string(),
            };
            return Err(unsupported(format!("an EC key on curve {name}")));
        };
        // SEC 1, 2.3.3: an uncompressed point.
        if key.len() != len || key.first() != Some(&4) {
            return Err(unsupported(format!("a malformed or compressed {kind} key")));
        }
        return Ok(kind);
    }
    Err(unsupported(algorithm_name(alg)))
}

/// Verifies a certificate, CRL or OCSP signature: `alg_id_der` is the
/// signatureAlgorithm AlgorithmIdentifier (DER), `issuer_spki_der` the signer's
/// SubjectPublicKeyInfo, `tbs` the signed bytes, `signature` the BIT STRING contents.
pub fn verify_cert_signature(
    alg_id_der: &[u8],
    issuer_spki_der: &[u8],
    tbs: &[u8],
    signature: &[u8],
) -> Result<(), CertSignatureError> {
    let alg = parse_cert_sig_alg(alg_id_der)?;
    verify_cert_signature_with(alg, &parse_cert_spki(issuer_spki_der)?, tbs, signature)
}

/// [`verify_cert_signature`] with the signer's SubjectPublicKeyInfo already parsed.
pub fn verify_cert_signature_spki(
    alg_id_der: &[u8],
    issuer_spki: &SubjectPublicKeyInfo<'_>,
    tbs: &[u8],
    signature: &[u8],
) -> Result<(), CertSignatureError> {
    let alg = parse_cert_sig_alg(alg_id_der)?;
    verify_cert_signature_with(alg, issuer_spki, tbs, signature)
}

fn verify_cert_signature_with(
    alg: CertSigAlg,
    issuer_spki: &SubjectPublicKeyInfo<'_>,
    tbs: &[u8],
    signature: &[u8],
) -> Result<(), CertSignatureError> {
    use CertHash::*;
    let key = check_cert_spki(issuer_spki)?;
    let mismatch = || CertSignatureError::KeyMismatch {
        algorithm: alg.name(),
        key: key.to_string(),
    };
    let verifier: &'static dyn lc::VerificationAlgorithm = match (alg, key) {
        (CertSigAlg::RsaPkcs1(h), CertKey::Rsa { .. }) => match h {
            Sha256 => &lc::RSA_PKCS1_2048_8192_SHA256,
            Sha384 => &lc::RSA_PKCS1_2048_8192_SHA384,
            Sha512 => &lc::RSA_PKCS1_2048_8192_SHA512,
        },
        (CertSigAlg::RsaPss(h), CertKey::Rsa { .. }) => match h {
            Sha256 => &lc::RSA_PSS_2048_8192_SHA256,
            Sha384 => &lc::RSA_PSS_2048_8192_SHA384,
            Sha512 => &lc::RSA_PSS_2048_8192_SHA512,
        },
        (CertSigAlg::Ecdsa(h), CertKey::EcP256) => match h {
            Sha256 => &lc::ECDSA_P256_SHA256_ASN1,
            Sha384 => &lc::ECDSA_P256_SHA384_ASN1,
            Sha512 => &lc::ECDSA_P256_SHA512_ASN1,
        },
        (CertSigAlg::Ecdsa(h), CertKey::EcP384) => match h {
            Sha256 => &lc::ECDSA_P384_SHA256_ASN1,
            Sha384 => &lc::ECDSA_P384_SHA384_ASN1,
            Sha512 => &lc::ECDSA_P384_SHA512_ASN1,
        },
        (CertSigAlg::Ecdsa(h), CertKey::EcP521) => match h {
            Sha256 => &lc::ECDSA_P521_SHA256_ASN1,
            Sha384 => &lc::ECDSA_P521_SHA384_ASN1,
            Sha512 => &lc::ECDSA_P521_SHA512_ASN1,
        },
        (CertSigAlg::Ed25519, CertKey::Ed25519) => &lc::ED25519,
        _ => return Err(mismatch()),
    };
    lc::UnparsedPublicKey::new(verifier, &issuer_spki.subject_public_key.data)
        .verify(tbs, signature)
        .map_err(|_| CertSignatureError::Invalid)
}

/// SHA-256 of `data` (SPKI pins, distrust lists, OCSP CertIDs).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// SHA-1 of `data`, only for identifiers (OCSP CertID and ResponderID byKey,
/// RFC 6960, 4.1.1), never for signatures.
pub fn sha1_for_identifiers(data: &[u8]) -> [u8; 20] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    let mut out = [0u8; 20];
    out.copy_from_slice(d.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::tlv;

    fn alg(oid: &[u8], params: Option<&[u8]>) -> Vec<u8> {
        let mut body = tlv(0x06, oid);
        if let Some(p) = params {
            body.extend_from_slice(p);
        }
        tlv(0x30, &body)
    }

    #[test]
    fn common_signature_oids_match_their_text() {
        for (der, text) in COMMON_SIG_OIDS {
            let oid = Oid::new(Cow::Borrowed(*der));
            assert_eq!(oid.to_id_string(), *text);
        }
    }

    #[test]
    fn rcgen_signatures_verify_across_curves() {
        for (issuer_alg, leaf_alg) in [
            (
                &rcgen::PKCS_ECDSA_P384_SHA384,
                &rcgen::PKCS_ECDSA_P256_SHA256,
            ),
            (&rcgen::PKCS_ECDSA_P256_SHA256, &rcgen::PKCS_ED25519),
            (&rcgen::PKCS_ED25519, &rcgen::PKCS_ECDSA_P384_SHA384),
        ] {
            let ca_key = rcgen::KeyPair::generate_for(issuer_alg).unwrap();
            let mut ca_params = rcgen::CertificateParams::new(vec![]).unwrap();
            ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
            let ca = ca_params.self_signed(&ca_key).unwrap();
            let issuer = rcgen::Issuer::new(ca_params, &ca_key);
            let leaf_key = rcgen::KeyPair::generate_for(leaf_alg).unwrap();
            let leaf = rcgen::CertificateParams::new(vec!["a.example".into()])
                .unwrap()
                .signed_by(&leaf_key, &issuer)
                .unwrap();
            let (_, ca_parsed) = x509_parser::parse_x509_certificate(ca.der()).unwrap();
            let (_, parsed) = x509_parser::parse_x509_certificate(leaf.der()).unwrap();
            let issuer_spki = ca_parsed.tbs_certificate.subject_pki.raw;
            // ECDSA and Ed25519 identifiers have no parameters.
            let sig_alg = &alg(parsed.signature_algorithm.algorithm.as_bytes(), None);
            let tbs = parsed.tbs_certificate.as_ref();
            let sig = parsed.signature_value.data.as_ref();
            assert_eq!(
                verify_cert_signature(sig_alg, issuer_spki, tbs, sig),
                Ok(())
            );
            let mut tampered = tbs.to_vec();
            if let Some(last) = tampered.last_mut() {
                *last ^= 1;
            }
            assert_eq!(
                verify_cert_signature(sig_alg, issuer_spki, &tampered, sig),
                Err(CertSignatureError::Invalid)
            );
        }
    }

    #[test]
    fn weak_and_unsupported_algorithms_are_named() {
        let sha1_rsa = alg(
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05],
            Some(&[5, 0]),
        );
        assert_eq!(
            parse_cert_sig_alg(&sha1_rsa),
            Err(CertSignatureError::WeakHash {
                algorithm: "sha1WithRSAEncryption"
            })
        );
        let ecdsa_sha256_with_null = alg(
            &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
            Some(&[5, 0]),
        );
        assert_eq!(
            parse_cert_sig_alg(&ecdsa_sha256_with_null),
            Err(CertSignatureError::UnsupportedAlgorithm {
                algorithm: "ecdsa-with-SHA256 with unexpected parameters".into()
            })
        );
        let ed448 = alg(&[0x2b, 0x65, 0x71], None);
        assert_eq!(cert_signature_algorithm_name(&ed448), "Ed448");
        let rsa_sha256_no_null = alg(
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
            None,
        );
        assert!(parse_cert_sig_alg(&rsa_sha256_no_null).is_err());
        let rsa_sha256 = alg(
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b],
            Some(&[5, 0]),
        );
        assert_eq!(
            parse_cert_sig_alg(&rsa_sha256),
            Ok(CertSigAlg::RsaPkcs1(CertHash::Sha256))
        );
    }

    #[test]
    fn pss_params_are_checked() {
        let sha256 = alg(
            &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
            Some(&[5, 0]),
        );
        let mgf1 = {
            let mut b = tlv(
                0x06,
                &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08],
            );
            b.extend(&sha256);
            tlv(0x30, &b)
        };
        let params = |salt: u8| {
            let mut p = tlv(0xa0, &sha256);
            p.extend(tlv(0xa1, &mgf1));
            p.extend(tlv(0xa2, &tlv(0x02, &[salt])));
            tlv(0x30, &p)
        };
        let pss_oid = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
        assert_eq!(
            parse_cert_sig_alg(&alg(&pss_oid, Some(&params(32)))),
            Ok(CertSigAlg::RsaPss(CertHash::Sha256))
        );
        assert!(parse_cert_sig_alg(&alg(&pss_oid, Some(&params(20)))).is_err());
        assert_eq!(
            parse_cert_sig_alg(&alg(&pss_oid, Some(&tlv(0x30, &[])))),
            Err(CertSignatureError::WeakHash {
                algorithm: "RSASSA-PSS with SHA-1"
            })
        );
    }

    #[test]
    fn hashes() {
        assert_eq!(sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(sha1_for_identifiers(b"abc")[..4], [0xa9, 0x99, 0x3e, 0x36]);
    }
}
