//! The TLS signature schemes we accept from peers, and checking a peer's handshake
//! signature (CertificateVerify, TLS 1.2 ServerKeyExchange) with the public key of its
//! certificate (RFC 8446, 4.2.3 and 4.4.3).

use aws_lc_rs::signature as lc;
use x509_parser::asn1_rs::{FromDer, Oid};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED25519,
};
use x509_parser::x509::SubjectPublicKeyInfo;

use super::{algorithm_name, rsa_public_key_bits, RSA_MAX_BITS, RSA_MIN_BITS};
use crate::msgs::enums::SignatureScheme;

static TLS13_VERIFY: [SignatureScheme; 6] = [
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
];
static WEBPKI_VERIFY: [SignatureScheme; 9] = [
    SignatureScheme::ECDSA_NISTP256_SHA256,
    SignatureScheme::ECDSA_NISTP384_SHA384,
    SignatureScheme::ED25519,
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

/// The schemes we accept in a peer's TLS 1.3 CertificateVerify, in our preference
/// order (RFC 8446, 4.2.3: no PKCS#1 v1.5, no SHA-1).
pub fn tls13_verify_schemes() -> &'static [SignatureScheme] {
    &TLS13_VERIFY
}

/// The schemes we accept for certificate signatures (and TLS 1.2 handshake
/// signatures): the TLS 1.3 set plus RSA PKCS#1 v1.5 with SHA-2. Never SHA-1.
pub fn webpki_verify_schemes() -> &'static [SignatureScheme] {
    &WEBPKI_VERIFY
}

pub use crate::error::SignatureError;

/// The public key types a scheme can be verified with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PublicKind {
    EcP256,
    EcP384,
    Ed25519,
    Rsa,
}

fn verification(
    scheme: SignatureScheme,
) -> Option<(PublicKind, &'static dyn lc::VerificationAlgorithm)> {
    use SignatureScheme as S;
    Some(match scheme {
        S::ECDSA_NISTP256_SHA256 => (PublicKind::EcP256, &lc::ECDSA_P256_SHA256_ASN1),
        S::ECDSA_NISTP384_SHA384 => (PublicKind::EcP384, &lc::ECDSA_P384_SHA384_ASN1),
        S::ED25519 => (PublicKind::Ed25519, &lc::ED25519),
        S::RSA_PSS_RSAE_SHA256 => (PublicKind::Rsa, &lc::RSA_PSS_2048_8192_SHA256),
        S::RSA_PSS_RSAE_SHA384 => (PublicKind::Rsa, &lc::RSA_PSS_2048_8192_SHA384),
        S::RSA_PSS_RSAE_SHA512 => (PublicKind::Rsa, &lc::RSA_PSS_2048_8192_SHA512),
        S::RSA_PKCS1_SHA256 => (PublicKind::Rsa, &lc::RSA_PKCS1_2048_8192_SHA256),
        S::RSA_PKCS1_SHA384 => (PublicKind::Rsa, &lc::RSA_PKCS1_2048_8192_SHA384),
        S::RSA_PKCS1_SHA512 => (PublicKind::Rsa, &lc::RSA_PKCS1_2048_8192_SHA512),
        _ => return None,
    })
}

/// Verifies `signature` over `message` with the public key in `spki_der` (a
/// certificate's whole SubjectPublicKeyInfo). The key's algorithm and curve must
/// be the ones `scheme` names (RFC 8446, 4.2.3): ECDSA_NISTP256_SHA256 needs an
/// id-ecPublicKey on prime256v1, RSA_PSS_RSAE_* an rsaEncryption key of 2048 to
/// 8192 bits, and so on. This accepts every scheme in [`webpki_verify_schemes`];
/// TLS 1.3 callers also check the scheme is in [`tls13_verify_schemes`].
pub fn verify_signature(
    scheme: SignatureScheme,
    spki_der: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureError> {
    let (needed, alg) = verification(scheme).ok_or(SignatureError::UnsupportedScheme { scheme })?;
    let mismatch = |key: String| SignatureError::KeyMismatch { scheme, key };
    let spki = match SubjectPublicKeyInfo::from_der(spki_der) {
        Ok(([], spki)) => spki,
        _ => return Err(mismatch("malformed".into())),
    };
    let have = public_kind(&spki).map_err(mismatch)?;
    if have != needed {
        return Err(mismatch(public_kind_name(have).into()));
    }
    let key: &[u8] = &spki.subject_public_key.data;
    if have == PublicKind::Rsa {
        let bits = rsa_public_key_bits(key).ok_or_else(|| mismatch("malformed RSA".into()))?;
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(mismatch(format!("{bits}-bit RSA")));
        }
    }
    lc::UnparsedPublicKey::new(alg, key)
        .verify(message, signature)
        .map_err(|_| SignatureError::Invalid)
}

/// The kind of key in an SPKI, or a description of the unsupported one.
fn public_kind(spki: &SubjectPublicKeyInfo<'_>) -> Result<PublicKind, String> {
    let alg = &spki.algorithm.algorithm;
    if *alg == OID_PKCS1_RSAENCRYPTION {
        Ok(PublicKind::Rsa)
    } else if *alg == OID_SIG_ED25519 {
        Ok(PublicKind::Ed25519)
    } else if *alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| Oid::try_from(p).ok())
            .ok_or_else(|| "EC (without a named curve)".to_string())?;
        if curve == OID_EC_P256 {
            Ok(PublicKind::EcP256)
        } else if curve == OID_NIST_EC_P384 {
            Ok(PublicKind::EcP384)
        } else if curve == OID_NIST_EC_P521 {
            Err("ECDSA P-521".into())
        } else {
            Err(format!("EC (curve {})", curve.to_id_string()))
        }
    } else {
        Err(algorithm_name(alg))
    }
}

fn public_kind_name(kind: PublicKind) -> &'static str {
    match kind {
        PublicKind::EcP256 => "ECDSA P-256",
        PublicKind::EcP384 => "ECDSA P-384",
        PublicKind::Ed25519 => "Ed25519",
        PublicKind::Rsa => "RSA",
    }
}
