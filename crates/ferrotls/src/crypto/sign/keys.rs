//! Our private key: loading it (PKCS#8, SEC1 or PKCS#1 DER) and signing handshake
//! messages (CertificateVerify, TLS 1.2 ServerKeyExchange; RFC 8446, 4.2.3 and 4.4.3).
//!
//! Anything we cannot load gets a sentence that says what the key is and what to use
//! instead.

use std::borrow::Cow;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as lc, KeyPair as _};
use rustls_pki_types::PrivateKeyDer;
use x509_parser::asn1_rs::{Any, Class, FromDer, Oid, Tag};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_PKCS1_RSASSAPSS, OID_SIG_ED25519,
};

use super::{
    algorithm_name, der_items, der_sequence, rsa_private_key_bits, RSA_MAX_BITS, RSA_MIN_BITS,
};
use crate::error::{ConfigError, CryptoError};
use crate::msgs::enums::SignatureScheme;

/// What to suggest when a key type is refused.
const USE_INSTEAD: &str = "use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key";

/// The kinds of private key we can sign with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    EcdsaP256,
    EcdsaP384,
    Ed25519,
    Rsa { bits: usize },
}

impl core::fmt::Display for KeyKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            KeyKind::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyKind::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyKind::Ed25519 => f.write_str("Ed25519"),
            KeyKind::Rsa { bits } => write!(f, "{bits}-bit RSA"),
        }
    }
}

// RFC 8446, 4.2.3: ECDSA schemes are bound to a curve; RSA signs with RSASSA-PSS only.
static P256_SCHEMES: [SignatureScheme; 1] = [SignatureScheme::ECDSA_NISTP256_SHA256];
static P384_SCHEMES: [SignatureScheme; 1] = [SignatureScheme::ECDSA_NISTP384_SHA384];
static ED25519_SCHEMES: [SignatureScheme; 1] = [SignatureScheme::ED25519];
static RSA_TLS13_SCHEMES: [SignatureScheme; 3] = [
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
];
// RFC 5246, 7.4.1.4.1 (as updated by RFC 8446, 4.2.3): TLS 1.2 also allows PKCS#1 v1.5.
static RSA_TLS12_SCHEMES: [SignatureScheme; 6] = [
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

fn scheme_name(scheme: SignatureScheme) -> &'static str {
    match scheme.name() {
        Cow::Borrowed(name) => name,
        Cow::Owned(_) => "unknown",
    }
}

/// A private key that signs handshake messages.
pub struct SigningKey {
    kind: KeyKind,
    key: Key,
    spki: Vec<u8>,
}

enum Key {
    Ecdsa(lc::EcdsaKeyPair),
    Ed25519(lc::Ed25519KeyPair),
    Rsa(lc::RsaKeyPair),
    /// Held elsewhere (KMS, HSM, signing service): the handshake pauses to have it
    /// sign (see `crate::pause`).
    Remote,
}

impl SigningKey {
    /// Loads a private key: PKCS#8 (ECDSA P-256/P-384, Ed25519, RSA), SEC1 (ECDSA)
    /// or PKCS#1 (RSA). Anything else, including RSA keys under 2048 bits, is a
    /// `BadPrivateKey` that names what was found.
    pub fn from_der(key: &PrivateKeyDer<'_>) -> Result<Self, ConfigError> {
        match key {
            PrivateKeyDer::Pkcs8(der) => Self::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Sec1(der) => Self::from_sec1(der.secret_sec1_der()),
            PrivateKeyDer::Pkcs1(der) => Self::from_pkcs1(der.secret_pkcs1_der()),
            _ => Err(bad_key(format!(
                "it is in a private key format ferrotls does not read; {USE_INSTEAD} in PKCS#8, SEC1 or PKCS#1 form"
            ))),
        }
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, ConfigError> {
        let info = parse_pkcs8(der)?;
        let alg = info.algorithm;
        if alg == OID_PKCS1_RSAENCRYPTION {
            let bits = rsa_private_key_bits(info.private_key).ok_or_else(|| {
                bad_key(
                    "its PKCS#8 wrapper says RSA, but the inner RSAPrivateKey is malformed".into(),
                )
            })?;
            check_rsa_bits(bits)?;
            let kp = lc::RsaKeyPair::from_pkcs8(der).map_err(|_| rsa_rejected(bits))?;
            Self::rsa(kp, bits)
        } else if alg == OID_KEY_TYPE_EC_PUBLIC_KEY {
            let curve = info
                .curve
                .ok_or_else(|| bad_key("it is a PKCS#8 EC key without a named curve".into()))?;
            let (signing, kind) = ecdsa_curve(&curve)?;
            let kp = lc::EcdsaKeyPair::from_pkcs8(signing, der).map_err(|_| ec_rejected(kind))?;
            Self::ecdsa(kp, kind)
        } else if alg == OID_SIG_ED25519 {
            let kp = lc::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(|_| {
                bad_key(
                    "it is a malformed Ed25519 PKCS#8 key (or its public key does not match)"
                        .into(),
                )
            })?;
            let spki = kp.public_key().as_der().map_err(|_| spki_failed())?;
            Ok(Self {
                kind: KeyKind::Ed25519,
                spki: spki.as_ref().to_vec(),
                key: Key::Ed25519(kp),
            })
        } else {
            Err(bad_key(unsupported_algorithm(&alg)))
        }
    }

    /// SEC1 / RFC 5915 ECPrivateKey. The curve comes from the parameters field, or
    /// from the private key's length when that field is absent.
    fn from_sec1(der: &[u8]) -> Result<Self, ConfigError> {
        let malformed =
            || bad_key("it is not a valid SEC1 (RFC 5915) ECPrivateKey structure".into());
        let items = der_sequence(der).ok_or_else(malformed)?;
        let private_len = items
            .get(1)
            .filter(|i| i.tag() == Tag::OctetString)
            .map(|i| i.data.len())
            .ok_or_else(malformed)?;
        let curve = items
            .iter()
            .skip(2)
            .find(|i| i.class() == Class::ContextSpecific && i.tag() == Tag(0))
            .map(|params| {
                Any::from_der(params.data)
                    .ok()
                    .and_then(|(_, oid)| Oid::try_from(&oid).ok())
                    .ok_or_else(malformed)
            })
            .transpose()?;
        let (signing, kind) = match curve {
            Some(curve) => ecdsa_curve(&curve)?,
            None => match private_len {
                32 => (&lc::ECDSA_P256_SHA256_ASN1_SIGNING, KeyKind::EcdsaP256),
                48 => (&lc::ECDSA_P384_SHA384_ASN1_SIGNING, KeyKind::EcdsaP384),
                n => {
                    return Err(bad_key(format!(
                        "it is a SEC1 EC key without a named curve and a {n}-byte private key, which matches neither P-256 nor P-384"
                    )))
                }
            },
        };
        let kp =
            lc::EcdsaKeyPair::from_private_key_der(signing, der).map_err(|_| ec_rejected(kind))?;
        Self::ecdsa(kp, kind)
    }

    fn from_pkcs1(der: &[u8]) -> Result<Self, ConfigError> {
        let bits = rsa_private_key_bits(der)
            .ok_or_else(|| bad_key("it is not a valid PKCS#1 RSAPrivateKey structure".into()))?;
        check_rsa_bits(bits)?;
        let kp = lc::RsaKeyPair::from_der(der).map_err(|_| rsa_rejected(bits))?;
        Self::rsa(kp, bits)
    }

    fn ecdsa(kp: lc::EcdsaKeyPair, kind: KeyKind) -> Result<Self, ConfigError> {
        let spki = kp.public_key().as_der().map_err(|_| spki_failed())?;
        Ok(Self {
            kind,
            spki: spki.as_ref().to_vec(),
            key: Key::Ecdsa(kp),
        })
    }

    fn rsa(kp: lc::RsaKeyPair, bits: usize) -> Result<Self, ConfigError> {
        let spki = kp.public_key().as_der().map_err(|_| spki_failed())?;
        Ok(Self {
            kind: KeyKind::Rsa { bits },
            spki: spki.as_ref().to_vec(),
            key: Key::Rsa(kp),
        })
    }

    /// A key of `kind` that is held elsewhere, whose public key is `spki`: handshakes
    /// pause with `Operation::Sign` where it must sign (see `crate::pause`).
    pub fn remote(kind: KeyKind, spki: Vec<u8>) -> Self {
        Self {
            kind,
            key: Key::Remote,
            spki,
        }
    }

    /// Whether the key is held elsewhere, so signing pauses the handshake.
    pub fn is_remote(&self) -> bool {
        matches!(self.key, Key::Remote)
    }

    /// The scheme's name, for errors.
    pub(crate) fn scheme_name(scheme: SignatureScheme) -> &'static str {
        scheme_name(scheme)
    }

    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The public key as SubjectPublicKeyInfo DER, to compare with the
    /// certificate's (a key that does not match its certificate is a config error).
    pub fn public_key_spki(&self) -> &[u8] {
        &self.spki
    }

    /// The schemes this key can sign with in TLS 1.3, in our preference order.
    pub fn tls13_schemes(&self) -> &'static [SignatureScheme] {
        match self.kind {
            KeyKind::EcdsaP256 => &P256_SCHEMES,
            KeyKind::EcdsaP384 => &P384_SCHEMES,
            KeyKind::Ed25519 => &ED25519_SCHEMES,
            KeyKind::Rsa { .. } => &RSA_TLS13_SCHEMES,
        }
    }

    /// The schemes this key can sign with in TLS 1.2: RSA keys add PKCS#1 v1.5.
    pub fn tls12_schemes(&self) -> &'static [SignatureScheme] {
        match self.kind {
            KeyKind::Rsa { .. } => &RSA_TLS12_SCHEMES,
            _ => self.tls13_schemes(),
        }
    }

    /// Signs `message` with `scheme`: ECDSA as a DER `ECDSA-Sig-Value` (RFC 8446,
    /// 4.2.3), RSA-PSS with salt length equal to the hash length. A scheme this key
    /// cannot produce is `UnsuitableScheme`.
    pub fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if !self.tls12_schemes().contains(&scheme) {
            return Err(CryptoError::UnsuitableScheme {
                scheme: scheme.name().into_owned(),
                key: self.kind.to_string(),
            });
        }
        let failed = || CryptoError::SigningFailed {
            scheme: scheme_name(scheme),
        };
        match &self.key {
            Key::Ecdsa(kp) => kp
                .sign(&SystemRandom::new(), message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| failed()),
            Key::Ed25519(kp) => kp
                .try_sign(message)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| failed()),
            Key::Rsa(kp) => {
                let padding: &'static dyn lc::RsaEncoding = match scheme {
                    SignatureScheme::RSA_PSS_RSAE_SHA256 => &lc::RSA_PSS_SHA256,
                    SignatureScheme::RSA_PSS_RSAE_SHA384 => &lc::RSA_PSS_SHA384,
                    SignatureScheme::RSA_PSS_RSAE_SHA512 => &lc::RSA_PSS_SHA512,
                    SignatureScheme::RSA_PKCS1_SHA256 => &lc::RSA_PKCS1_SHA256,
                    SignatureScheme::RSA_PKCS1_SHA384 => &lc::RSA_PKCS1_SHA384,
                    SignatureScheme::RSA_PKCS1_SHA512 => &lc::RSA_PKCS1_SHA512,
                    _ => return Err(failed()),
                };
                let mut sig = vec![0u8; kp.public_modulus_len()];
                kp.sign(padding, &SystemRandom::new(), message, &mut sig)
                    .map_err(|_| failed())?;
                Ok(sig)
            }
            // Handshakes ask the remote signer instead (they check `is_remote`).
            Key::Remote => Err(failed()),
        }
    }
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigningKey({})", self.kind)
    }
}

fn unsupported_algorithm(oid: &Oid<'_>) -> String {
    if *oid == OID_PKCS1_RSASSAPSS {
        return format!(
            "it is an RSASSA-PSS key (id-RSASSA-PSS), which ferrotls does not support; {USE_INSTEAD} (an rsaEncryption key signs with RSA-PSS too)"
        );
    }
    format!(
        "{} keys are not supported; {USE_INSTEAD}",
        algorithm_name(oid)
    )
}

fn ecdsa_curve(
    curve: &Oid<'_>,
) -> Result<(&'static lc::EcdsaSigningAlgorithm, KeyKind), ConfigError> {
    if *curve == OID_EC_P256 {
        Ok((&lc::ECDSA_P256_SHA256_ASN1_SIGNING, KeyKind::EcdsaP256))
    } else if *curve == OID_NIST_EC_P384 {
        Ok((&lc::ECDSA_P384_SHA384_ASN1_SIGNING, KeyKind::EcdsaP384))
    } else {
        let name = if *curve == OID_NIST_EC_P521 {
            "P-521 (secp521r1)".to_string()
        } else {
            format!("curve {}", curve.to_id_string())
        };
        Err(bad_key(format!(
            "ECDSA keys on {name} are not supported; {USE_INSTEAD}"
        )))
    }
}

fn check_rsa_bits(bits: usize) -> Result<(), ConfigError> {
    if bits < RSA_MIN_BITS {
        Err(bad_key(format!(
            "RSA keys shorter than {RSA_MIN_BITS} bits are not accepted (this one has {bits})"
        )))
    } else if bits > RSA_MAX_BITS {
        Err(bad_key(format!(
            "RSA keys longer than {RSA_MAX_BITS} bits are not accepted (this one has {bits})"
        )))
    } else {
        Ok(())
    }
}

fn bad_key(reason: String) -> ConfigError {
    ConfigError::BadPrivateKey { reason }
}

fn rsa_rejected(bits: usize) -> ConfigError {
    bad_key(format!(
        "the {bits}-bit RSA key is malformed or its components are inconsistent"
    ))
}

fn ec_rejected(kind: KeyKind) -> ConfigError {
    bad_key(format!(
        "the {kind} key is malformed, or its public key does not match the private key"
    ))
}

fn spki_failed() -> ConfigError {
    bad_key("its public key could not be encoded".into())
}

/// The fields of a PKCS#8 PrivateKeyInfo (RFC 5208, 5) that choose the key type.
pub(super) struct Pkcs8Info<'a> {
    algorithm: Oid<'a>,
    /// For id-ecPublicKey: the named curve in the parameters.
    curve: Option<Oid<'a>>,
    /// The privateKey OCTET STRING contents.
    pub(super) private_key: &'a [u8],
}

pub(super) fn parse_pkcs8(der: &[u8]) -> Result<Pkcs8Info<'_>, ConfigError> {
    let items = der_sequence(der).ok_or_else(|| {
        bad_key("it is not a valid PKCS#8 structure (is it PEM text rather than DER?)".into())
    })?;
    // RFC 5958, 3: EncryptedPrivateKeyInfo starts with an AlgorithmIdentifier, not a version.
    if items.first().map(|i| i.tag()) == Some(Tag::Sequence) {
        return Err(bad_key(
            "it is an encrypted PKCS#8 key; decrypt it first (for example `openssl pkcs8 -in key.pem -out plain.pem`)".into(),
        ));
    }
    let malformed = || bad_key("it is not a valid PKCS#8 PrivateKeyInfo structure".into());
    let (version, alg_id, private_key) = match items.as_slice() {
        [v, a, k, ..] => (v, a, k),
        _ => return Err(malformed()),
    };
    if version.tag() != Tag::Integer || private_key.tag() != Tag::OctetString {
        return Err(malformed());
    }
    let alg_items = der_items(alg_id.data).ok_or_else(malformed)?;
    let algorithm = alg_items
        .first()
        .and_then(|a| Oid::try_from(a).ok())
        .ok_or_else(malformed)?;
    let curve = alg_items.get(1).and_then(|p| Oid::try_from(p).ok());
    Ok(Pkcs8Info {
        algorithm,
        curve,
        private_key: private_key.data,
    })
}
