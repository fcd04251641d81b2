//! Signing with our private key (CertificateVerify, TLS 1.2 ServerKeyExchange) and
//! verifying peers' signatures (RFC 8446, 4.2.3 and 4.4.3).
//!
//! Keys load from PKCS#8, SEC1 or PKCS#1 DER; anything else gets a sentence that
//! says what the key is and what to use instead.

use std::borrow::Cow;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as lc, KeyPair as _};
use rustls_pki_types::PrivateKeyDer;
use x509_parser::asn1_rs::{Any, Class, FromDer, Oid, Tag};
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_DSA, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_PKCS1_RSASSAPSS, OID_SIG_ED25519, OID_SIG_ED448,
};
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::error::{ConfigError, CryptoError};
use crate::msgs::enums::SignatureScheme;

/// RSA moduli outside this range are refused, for our keys and peers' alike.
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 8192;

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

/// Why a peer's signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// We do not verify this scheme (SHA-1, Ed448, RSA-PSS-PSS, P-521, unknown).
    UnsupportedScheme { scheme: SignatureScheme },
    /// The certificate's key is not of the type the scheme needs (or is malformed).
    KeyMismatch {
        scheme: SignatureScheme,
        key: String,
    },
    /// The signature does not verify.
    Invalid,
}

impl core::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SignatureError::UnsupportedScheme { scheme } => write!(
                f,
                "signature scheme {scheme} is not supported; ferrotls verifies ECDSA P-256/P-384, Ed25519, RSA-PSS and RSA PKCS#1 v1.5 with SHA-2"
            ),
            SignatureError::KeyMismatch { scheme, key } => write!(
                f,
                "signature scheme {scheme} cannot be used with a {key} public key"
            ),
            SignatureError::Invalid => write!(
                f,
                "the signature does not verify with the certificate's public key"
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

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

/// A short name for a key algorithm OID we do not support.
fn algorithm_name(oid: &Oid<'_>) -> String {
    if *oid == OID_SIG_ED448 {
        "Ed448".into()
    } else if *oid == OID_PKCS1_RSASSAPSS {
        "RSASSA-PSS (id-RSASSA-PSS)".into()
    } else if *oid == OID_KEY_TYPE_DSA {
        "DSA".into()
    } else {
        match oid.to_id_string().as_str() {
            "1.3.101.110" => "X25519".into(),
            "1.3.101.111" => "X448".into(),
            other => format!("algorithm {other}"),
        }
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
struct Pkcs8Info<'a> {
    algorithm: Oid<'a>,
    /// For id-ecPublicKey: the named curve in the parameters.
    curve: Option<Oid<'a>>,
    /// The privateKey OCTET STRING contents.
    private_key: &'a [u8],
}

fn parse_pkcs8(der: &[u8]) -> Result<Pkcs8Info<'_>, ConfigError> {
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

/// The elements of a DER SEQUENCE that fills all of `der`.
fn der_sequence(der: &[u8]) -> Option<Vec<Any<'_>>> {
    match Any::from_der(der) {
        Ok((rest, seq)) if rest.is_empty() && seq.tag() == Tag::Sequence => der_items(seq.data),
        _ => None,
    }
}

/// Consecutive DER elements filling all of `data`.
fn der_items(mut data: &[u8]) -> Option<Vec<Any<'_>>> {
    let mut items = Vec::new();
    while !data.is_empty() {
        let (rest, item) = Any::from_der(data).ok()?;
        items.push(item);
        data = rest;
    }
    Some(items)
}

/// Bit length of a DER INTEGER's magnitude (ignoring leading zero octets).
fn integer_bits(int: &Any<'_>) -> Option<usize> {
    if int.tag() != Tag::Integer {
        return None;
    }
    let bytes = int.data;
    let start = bytes.iter().position(|b| *b != 0)?;
    let significant = bytes.get(start..)?;
    let first = significant.first()?;
    Some((significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize))
}

/// Modulus size of a PKCS#1 RSAPrivateKey (RFC 8017, A.1.2): version, modulus, ...
fn rsa_private_key_bits(der: &[u8]) -> Option<usize> {
    let items = der_sequence(der)?;
    integer_bits(items.get(1)?)
}

/// Modulus size of a PKCS#1 RSAPublicKey (RFC 8017, A.1.1): modulus, exponent.
fn rsa_public_key_bits(der: &[u8]) -> Option<usize> {
    let items = der_sequence(der)?;
    integer_bits(items.first()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::{PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

    fn pkcs8(der: &[u8]) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec()))
    }

    fn bad_reason(key: &PrivateKeyDer<'_>) -> String {
        match SigningKey::from_der(key).unwrap_err() {
            ConfigError::BadPrivateKey { reason } => reason,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// DER TLV with a short or long-form length.
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    fn ecdsa_pkcs8(alg: &'static lc::EcdsaSigningAlgorithm) -> Vec<u8> {
        lc::EcdsaKeyPair::generate(alg)
            .unwrap()
            .to_pkcs8v1()
            .unwrap()
            .as_ref()
            .to_vec()
    }

    fn ed25519_pkcs8() -> Vec<u8> {
        lc::Ed25519KeyPair::generate()
            .unwrap()
            .to_pkcs8()
            .unwrap()
            .as_ref()
            .to_vec()
    }

    fn rsa_pkcs8() -> Vec<u8> {
        let kp = lc::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&kp)
            .unwrap()
            .as_ref()
            .to_vec()
    }

    /// Every scheme the key offers round-trips through verify_signature, and a
    /// modified message or signature does not verify.
    fn round_trip_all(key: &SigningKey) {
        let spki = key.public_key_spki();
        for &scheme in key.tls12_schemes() {
            let msg = b"TLS 1.3, server CertificateVerify\x00transcript hash";
            let sig = key.sign(scheme, msg).unwrap();
            assert_eq!(
                verify_signature(scheme, spki, msg, &sig),
                Ok(()),
                "{scheme}"
            );
            assert_eq!(
                verify_signature(scheme, spki, b"another message", &sig),
                Err(SignatureError::Invalid),
                "{scheme}"
            );
            let mut bad = sig.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert_eq!(
                verify_signature(scheme, spki, msg, &bad),
                Err(SignatureError::Invalid)
            );
            assert_eq!(
                verify_signature(scheme, spki, msg, &[]),
                Err(SignatureError::Invalid)
            );
            assert!(webpki_verify_schemes().contains(&scheme));
        }
        for &scheme in key.tls13_schemes() {
            assert!(tls13_verify_schemes().contains(&scheme), "{scheme}");
        }
    }

    #[test]
    fn common_signature_oids_match_their_text() {
        for (der, text) in COMMON_SIG_OIDS {
            let oid = Oid::new(Cow::Borrowed(*der));
            assert_eq!(oid.to_id_string(), *text);
        }
    }

    #[test]
    fn ecdsa_p256_pkcs8_signs_and_verifies() {
        let key = SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING)))
            .unwrap();
        assert_eq!(key.kind(), KeyKind::EcdsaP256);
        assert_eq!(
            key.tls13_schemes(),
            &[SignatureScheme::ECDSA_NISTP256_SHA256]
        );
        assert_eq!(key.tls12_schemes(), key.tls13_schemes());
        assert_eq!(format!("{key:?}"), "SigningKey(ECDSA P-256)");
        round_trip_all(&key);
        // The signature is a DER SEQUENCE of two INTEGERs (RFC 8446, 4.2.3).
        let sig = key
            .sign(SignatureScheme::ECDSA_NISTP256_SHA256, b"m")
            .unwrap();
        let items = der_sequence(&sig).unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|i| i.tag() == Tag::Integer));
    }

    #[test]
    fn ecdsa_p384_pkcs8_signs_and_verifies() {
        let key = SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P384_SHA384_ASN1_SIGNING)))
            .unwrap();
        assert_eq!(key.kind(), KeyKind::EcdsaP384);
        assert_eq!(
            key.tls13_schemes(),
            &[SignatureScheme::ECDSA_NISTP384_SHA384]
        );
        round_trip_all(&key);
    }

    #[test]
    fn ed25519_pkcs8_signs_and_verifies() {
        let key = SigningKey::from_der(&pkcs8(&ed25519_pkcs8())).unwrap();
        assert_eq!(key.kind(), KeyKind::Ed25519);
        assert_eq!(key.tls13_schemes(), &[SignatureScheme::ED25519]);
        assert_eq!(key.kind().to_string(), "Ed25519");
        round_trip_all(&key);
    }

    #[test]
    fn rsa_pkcs8_and_pkcs1_sign_and_verify() {
        let der = rsa_pkcs8();
        let key = SigningKey::from_der(&pkcs8(&der)).unwrap();
        assert_eq!(key.kind(), KeyKind::Rsa { bits: 2048 });
        assert_eq!(key.kind().to_string(), "2048-bit RSA");
        assert_eq!(
            key.tls13_schemes(),
            &[
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                SignatureScheme::RSA_PSS_RSAE_SHA384,
                SignatureScheme::RSA_PSS_RSAE_SHA512
            ]
        );
        assert_eq!(key.tls12_schemes().len(), 6);
        assert!(key
            .tls12_schemes()
            .contains(&SignatureScheme::RSA_PKCS1_SHA256));
        assert!(!key
            .tls13_schemes()
            .contains(&SignatureScheme::RSA_PKCS1_SHA256));
        round_trip_all(&key);

        // The same key as PKCS#1: the PrivateKeyInfo's inner RSAPrivateKey.
        let pkcs1 = parse_pkcs8(&der).unwrap().private_key.to_vec();
        let key1 =
            SigningKey::from_der(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(pkcs1))).unwrap();
        assert_eq!(key1.kind(), KeyKind::Rsa { bits: 2048 });
        assert_eq!(key1.public_key_spki(), key.public_key_spki());
        let sig = key1
            .sign(SignatureScheme::RSA_PSS_RSAE_SHA384, b"m")
            .unwrap();
        assert_eq!(
            verify_signature(
                SignatureScheme::RSA_PSS_RSAE_SHA384,
                key.public_key_spki(),
                b"m",
                &sig
            ),
            Ok(())
        );
    }

    #[test]
    fn rsa_pss_salt_is_hash_length() {
        // aws-lc verification with an explicit salt length: digest length passes.
        let key = SigningKey::from_der(&pkcs8(&rsa_pkcs8())).unwrap();
        let spki = key.public_key_spki();
        let (_, spki_parsed) = SubjectPublicKeyInfo::from_der(spki).unwrap();
        let rsa_key: &[u8] = &spki_parsed.subject_public_key.data;
        let sig = key
            .sign(SignatureScheme::RSA_PSS_RSAE_SHA256, b"m")
            .unwrap();
        let pk = lc::UnparsedPublicKey::new(&lc::RSA_PSS_2048_8192_SHA256, rsa_key);
        assert!(pk.verify(b"m", &sig).is_ok());
        let pkcs1 = key.sign(SignatureScheme::RSA_PKCS1_SHA256, b"m").unwrap();
        assert!(
            pk.verify(b"m", &pkcs1).is_err(),
            "PKCS#1 v1.5 signature is not PSS"
        );
    }

    #[test]
    fn openssl_fixtures_load() {
        let rsa = SigningKey::from_der(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(
            include_bytes!("testdata/rsa2048.pkcs1.der").to_vec(),
        )))
        .unwrap();
        assert_eq!(rsa.kind(), KeyKind::Rsa { bits: 2048 });
        round_trip_all(&rsa);

        let p256 = SigningKey::from_der(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(
            include_bytes!("testdata/ecp256.sec1.der").to_vec(),
        )))
        .unwrap();
        assert_eq!(p256.kind(), KeyKind::EcdsaP256);
        round_trip_all(&p256);

        let p384 = SigningKey::from_der(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(
            include_bytes!("testdata/ecp384.sec1.der").to_vec(),
        )))
        .unwrap();
        assert_eq!(p384.kind(), KeyKind::EcdsaP384);
        round_trip_all(&p384);
    }

    #[test]
    fn sec1_from_aws_lc_loads() {
        for (alg, kind) in [
            (&lc::ECDSA_P256_SHA256_ASN1_SIGNING, KeyKind::EcdsaP256),
            (&lc::ECDSA_P384_SHA384_ASN1_SIGNING, KeyKind::EcdsaP384),
        ] {
            let kp = lc::EcdsaKeyPair::generate(alg).unwrap();
            let sec1 = kp.private_key().as_der().unwrap();
            let key = SigningKey::from_der(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(
                sec1.as_ref().to_vec(),
            )))
            .unwrap();
            assert_eq!(key.kind(), kind);
            assert_eq!(
                key.public_key_spki(),
                kp.public_key().as_der().unwrap().as_ref()
            );
        }
    }

    #[test]
    fn sec1_without_curve_parameters_uses_key_length() {
        // RFC 5915 ECPrivateKey with only version and privateKey.
        let fixture = include_bytes!("testdata/ecp256.sec1.der");
        let items = der_sequence(fixture).unwrap();
        let mut body = tlv(0x02, &[1]);
        body.extend(tlv(0x04, items[1].data));
        let bare = tlv(0x30, &body);
        let key =
            SigningKey::from_der(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(bare))).unwrap();
        assert_eq!(key.kind(), KeyKind::EcdsaP256);

        let mut body = tlv(0x02, &[1]);
        body.extend(tlv(0x04, &[7; 40]));
        let odd = tlv(0x30, &body);
        assert_eq!(
            bad_reason(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(odd))),
            "it is a SEC1 EC key without a named curve and a 40-byte private key, which matches neither P-256 nor P-384"
        );
    }

    #[test]
    fn short_rsa_keys_are_refused_with_their_size() {
        let pkcs1 = include_bytes!("testdata/rsa1024.pkcs1.der").to_vec();
        let expected = "RSA keys shorter than 2048 bits are not accepted (this one has 1024)";
        assert_eq!(
            bad_reason(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(
                pkcs1.clone()
            ))),
            expected
        );
        // The same key wrapped in PKCS#8.
        let mut alg = tlv(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
        );
        alg.extend([0x05, 0x00]);
        let mut body = tlv(0x02, &[0]);
        body.extend(tlv(0x30, &alg));
        body.extend(tlv(0x04, &pkcs1));
        let wrapped = tlv(0x30, &body);
        assert_eq!(bad_reason(&pkcs8(&wrapped)), expected);
        let err = SigningKey::from_der(&pkcs8(&wrapped)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("the private key cannot be used: {expected}")
        );
        assert_eq!(crate::Error::from(err).alert(), None);
    }

    #[test]
    fn oversized_rsa_keys_are_refused() {
        // A syntactically valid RSAPrivateKey with a 16384-bit modulus (rejected before aws-lc).
        let mut modulus = vec![0x00, 0x80];
        modulus.resize(2049, 0x01);
        let mut body = tlv(0x02, &[0]);
        body.extend(tlv(0x02, &modulus));
        body.extend(tlv(0x02, &[1, 0, 1]));
        let der = tlv(0x30, &body);
        assert_eq!(
            bad_reason(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der))),
            "RSA keys longer than 8192 bits are not accepted (this one has 16384)"
        );
    }

    #[test]
    fn unsupported_key_types_are_named() {
        assert_eq!(
            bad_reason(&pkcs8(include_bytes!("testdata/ed448.pkcs8.der"))),
            "Ed448 keys are not supported; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key"
        );
        assert_eq!(
            bad_reason(&pkcs8(include_bytes!("testdata/ecp521.pkcs8.der"))),
            "ECDSA keys on P-521 (secp521r1) are not supported; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key"
        );
        assert_eq!(
            bad_reason(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(
                include_bytes!("testdata/ecp521.sec1.der").to_vec()
            ))),
            "ECDSA keys on P-521 (secp521r1) are not supported; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key"
        );
        assert_eq!(
            bad_reason(&pkcs8(include_bytes!("testdata/rsapss.pkcs8.der"))),
            "it is an RSASSA-PSS key (id-RSASSA-PSS), which ferrotls does not support; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key (an rsaEncryption key signs with RSA-PSS too)"
        );
        assert_eq!(
            bad_reason(&pkcs8(include_bytes!("testdata/ed25519.encrypted.pkcs8.der"))),
            "it is an encrypted PKCS#8 key; decrypt it first (for example `openssl pkcs8 -in key.pem -out plain.pem`)"
        );
        assert_eq!(
            bad_reason(&pkcs8(b"-----BEGIN PRIVATE KEY-----")),
            "it is not a valid PKCS#8 structure (is it PEM text rather than DER?)"
        );
        assert_eq!(
            bad_reason(&pkcs8(&tlv(0x30, &tlv(0x02, &[0])))),
            "it is not a valid PKCS#8 PrivateKeyInfo structure"
        );
        // An EC key on a curve we do not know (brainpoolP256r1, 1.3.36.3.3.2.8.1.1.7).
        let mut alg = tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
        alg.extend(tlv(
            0x06,
            &[0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07],
        ));
        let mut body = tlv(0x02, &[0]);
        body.extend(tlv(0x30, &alg));
        body.extend(tlv(0x04, &tlv(0x30, &[])));
        assert_eq!(
            bad_reason(&pkcs8(&tlv(0x30, &body))),
            "ECDSA keys on curve 1.3.36.3.3.2.8.1.1.7 are not supported; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key"
        );
        // X25519 (1.3.101.110) is for key exchange only.
        let mut body = tlv(0x02, &[0]);
        body.extend(tlv(0x30, &tlv(0x06, &[0x2b, 0x65, 0x6e])));
        body.extend(tlv(0x04, &tlv(0x04, &[9; 32])));
        assert_eq!(
            bad_reason(&pkcs8(&tlv(0x30, &body))),
            "X25519 keys are not supported; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key"
        );
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert_eq!(
            bad_reason(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(vec![
                0x30, 0x03, 0x02, 0x01, 0x00
            ]))),
            "it is not a valid PKCS#1 RSAPrivateKey structure"
        );
        assert_eq!(
            bad_reason(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(vec![
                0xff;
                10
            ]))),
            "it is not a valid SEC1 (RFC 5915) ECPrivateKey structure"
        );
        // A P-256 SEC1 key mislabeled as PKCS#8.
        assert_eq!(
            bad_reason(&pkcs8(include_bytes!("testdata/ecp256.sec1.der"))),
            "it is not a valid PKCS#8 PrivateKeyInfo structure"
        );
        // A P-384 PKCS#8 whose private scalar is corrupted to zero.
        let mut der = ecdsa_pkcs8(&lc::ECDSA_P384_SHA384_ASN1_SIGNING);
        let info = parse_pkcs8(&der).unwrap();
        let inner = der_sequence(info.private_key).unwrap();
        let scalar = inner[1].data.to_vec();
        let pos = der.windows(scalar.len()).position(|w| w == scalar).unwrap();
        der[pos..pos + scalar.len()].fill(0);
        assert_eq!(
            bad_reason(&pkcs8(&der)),
            "the ECDSA P-384 key is malformed, or its public key does not match the private key"
        );
        // An RSA PKCS#1 key with a 2048-bit modulus but nothing else.
        let mut modulus = vec![0x00, 0x80];
        modulus.resize(257, 0x01);
        let mut body = tlv(0x02, &[0]);
        body.extend(tlv(0x02, &modulus));
        assert_eq!(
            bad_reason(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(tlv(
                0x30, &body
            )))),
            "the 2048-bit RSA key is malformed or its components are inconsistent"
        );
    }

    #[test]
    fn keys_refuse_schemes_they_cannot_do() {
        let p256 = SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING)))
            .unwrap();
        let err = p256
            .sign(SignatureScheme::ECDSA_NISTP384_SHA384, b"m")
            .unwrap_err();
        assert_eq!(
            err,
            CryptoError::UnsuitableScheme {
                scheme: "ecdsa_secp384r1_sha384".into(),
                key: "ECDSA P-256".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "a ECDSA P-256 key cannot sign with ecdsa_secp384r1_sha384"
        );
        assert_eq!(
            crate::Error::from(err).alert(),
            Some(crate::msgs::enums::AlertDescription::InternalError)
        );
        for scheme in [
            SignatureScheme::RSA_PSS_RSAE_SHA256,
            SignatureScheme::ED25519,
            SignatureScheme::ECDSA_SHA1,
            SignatureScheme::Unknown(0xfefe),
        ] {
            assert!(p256.sign(scheme, b"m").is_err(), "{scheme}");
        }
        let ed = SigningKey::from_der(&pkcs8(&ed25519_pkcs8())).unwrap();
        assert_eq!(
            ed.sign(SignatureScheme::RSA_PKCS1_SHA1, b"m")
                .unwrap_err()
                .to_string(),
            "a Ed25519 key cannot sign with rsa_pkcs1_sha1"
        );
        let rsa = SigningKey::from_der(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(
            include_bytes!("testdata/rsa2048.pkcs1.der").to_vec(),
        )))
        .unwrap();
        assert_eq!(
            rsa.sign(SignatureScheme::RSA_PKCS1_SHA1, b"m")
                .unwrap_err()
                .to_string(),
            "a 2048-bit RSA key cannot sign with rsa_pkcs1_sha1"
        );
        assert_eq!(
            rsa.sign(SignatureScheme::RSA_PSS_PSS_SHA256, b"m")
                .unwrap_err()
                .to_string(),
            "a 2048-bit RSA key cannot sign with rsa_pss_pss_sha256"
        );
        assert_eq!(
            CryptoError::SigningFailed { scheme: "ed25519" }.to_string(),
            "signing with ed25519 failed: the private key could not be used"
        );
    }

    #[test]
    fn verification_checks_key_type_and_curve() {
        let p256 = SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING)))
            .unwrap();
        let p384 = SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P384_SHA384_ASN1_SIGNING)))
            .unwrap();
        let ed = SigningKey::from_der(&pkcs8(&ed25519_pkcs8())).unwrap();
        let sig = p256
            .sign(SignatureScheme::ECDSA_NISTP256_SHA256, b"m")
            .unwrap();

        let err = verify_signature(
            SignatureScheme::ECDSA_NISTP384_SHA384,
            p256.public_key_spki(),
            b"m",
            &sig,
        )
        .unwrap_err();
        assert_eq!(
            err,
            SignatureError::KeyMismatch {
                scheme: SignatureScheme::ECDSA_NISTP384_SHA384,
                key: "ECDSA P-256".into()
            }
        );
        assert_eq!(
            err.to_string(),
            "signature scheme ecdsa_secp384r1_sha384 cannot be used with a ECDSA P-256 public key"
        );
        assert_eq!(
            verify_signature(
                SignatureScheme::ECDSA_NISTP256_SHA256,
                p384.public_key_spki(),
                b"m",
                &sig
            )
            .unwrap_err()
            .to_string(),
            "signature scheme ecdsa_secp256r1_sha256 cannot be used with a ECDSA P-384 public key"
        );
        assert_eq!(
            verify_signature(
                SignatureScheme::RSA_PSS_RSAE_SHA256,
                ed.public_key_spki(),
                b"m",
                &sig
            )
            .unwrap_err()
            .to_string(),
            "signature scheme rsa_pss_rsae_sha256 cannot be used with a Ed25519 public key"
        );
        assert_eq!(
            verify_signature(SignatureScheme::ED25519, p256.public_key_spki(), b"m", &sig)
                .unwrap_err()
                .to_string(),
            "signature scheme ed25519 cannot be used with a ECDSA P-256 public key"
        );
        let rsa = SigningKey::from_der(&PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(
            include_bytes!("testdata/rsa2048.pkcs1.der").to_vec(),
        )))
        .unwrap();
        assert_eq!(
            verify_signature(
                SignatureScheme::ECDSA_NISTP256_SHA256,
                rsa.public_key_spki(),
                b"m",
                &sig
            )
            .unwrap_err()
            .to_string(),
            "signature scheme ecdsa_secp256r1_sha256 cannot be used with a RSA public key"
        );
        assert_eq!(
            verify_signature(
                SignatureScheme::ECDSA_NISTP256_SHA256,
                b"\x30\x00",
                b"m",
                &sig
            )
            .unwrap_err()
            .to_string(),
            "signature scheme ecdsa_secp256r1_sha256 cannot be used with a malformed public key"
        );
        // Trailing bytes after the SPKI are refused too.
        let mut trailing = p256.public_key_spki().to_vec();
        trailing.push(0);
        assert!(matches!(
            verify_signature(
                SignatureScheme::ECDSA_NISTP256_SHA256,
                &trailing,
                b"m",
                &sig
            ),
            Err(SignatureError::KeyMismatch { .. })
        ));
        assert_eq!(
            SignatureError::Invalid.to_string(),
            "the signature does not verify with the certificate's public key"
        );
    }

    #[test]
    fn verification_refuses_other_key_types_and_small_rsa() {
        // Ed448 SPKI: SEQUENCE { SEQUENCE { OID 1.3.101.113 }, BIT STRING (57 bytes) }.
        let mut bits = vec![0];
        bits.extend([5; 57]);
        let mut body = tlv(0x30, &tlv(0x06, &[0x2b, 0x65, 0x71]));
        body.extend(tlv(0x03, &bits));
        let ed448 = tlv(0x30, &body);
        assert_eq!(
            verify_signature(SignatureScheme::ED25519, &ed448, b"m", &[0; 64])
                .unwrap_err()
                .to_string(),
            "signature scheme ed25519 cannot be used with a Ed448 public key"
        );
        // P-521 SPKI.
        let mut alg = tlv(0x06, &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
        alg.extend(tlv(0x06, &[0x2b, 0x81, 0x04, 0x00, 0x23]));
        let mut point = vec![0, 4];
        point.extend([1; 132]);
        let mut body = tlv(0x30, &alg);
        body.extend(tlv(0x03, &point));
        assert_eq!(
            verify_signature(
                SignatureScheme::ECDSA_NISTP256_SHA256,
                &tlv(0x30, &body),
                b"m",
                &[0; 64]
            )
            .unwrap_err()
            .to_string(),
            "signature scheme ecdsa_secp256r1_sha256 cannot be used with a ECDSA P-521 public key"
        );
        // The 1024-bit RSA fixture's public key: SPKI { rsaEncryption, RSAPublicKey }.
        let pkcs1 = include_bytes!("testdata/rsa1024.pkcs1.der");
        let items = der_sequence(pkcs1).unwrap();
        let mut rsa_pub = tlv(0x02, items[1].data);
        rsa_pub.extend(tlv(0x02, items[2].data));
        let mut alg = tlv(
            0x06,
            &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
        );
        alg.extend([0x05, 0x00]);
        let mut bits = vec![0];
        bits.extend(tlv(0x30, &rsa_pub));
        let mut body = tlv(0x30, &alg);
        body.extend(tlv(0x03, &bits));
        assert_eq!(
            verify_signature(
                SignatureScheme::RSA_PKCS1_SHA256,
                &tlv(0x30, &body),
                b"m",
                &[0; 128]
            )
            .unwrap_err()
            .to_string(),
            "signature scheme rsa_pkcs1_sha256 cannot be used with a 1024-bit RSA public key"
        );
    }

    #[test]
    fn unsupported_schemes_are_refused() {
        let p256 = SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING)))
            .unwrap();
        for scheme in [
            SignatureScheme::ECDSA_SHA1,
            SignatureScheme::RSA_PKCS1_SHA1,
            SignatureScheme::ECDSA_NISTP521_SHA512,
            SignatureScheme::ED448,
            SignatureScheme::RSA_PSS_PSS_SHA256,
            SignatureScheme::Unknown(0x1234),
        ] {
            assert_eq!(
                verify_signature(scheme, p256.public_key_spki(), b"m", b"sig"),
                Err(SignatureError::UnsupportedScheme { scheme })
            );
            assert!(!webpki_verify_schemes().contains(&scheme));
        }
        assert_eq!(
            SignatureError::UnsupportedScheme {
                scheme: SignatureScheme::RSA_PKCS1_SHA1
            }
            .to_string(),
            "signature scheme rsa_pkcs1_sha1 is not supported; ferrotls verifies ECDSA P-256/P-384, Ed25519, RSA-PSS and RSA PKCS#1 v1.5 with SHA-2"
        );
    }

    #[test]
    fn verify_scheme_lists() {
        use SignatureScheme as S;
        assert_eq!(
            tls13_verify_schemes(),
            &[
                S::ECDSA_NISTP256_SHA256,
                S::ECDSA_NISTP384_SHA384,
                S::ED25519,
                S::RSA_PSS_RSAE_SHA256,
                S::RSA_PSS_RSAE_SHA384,
                S::RSA_PSS_RSAE_SHA512
            ]
        );
        assert!(tls13_verify_schemes()
            .iter()
            .all(|s| webpki_verify_schemes().contains(s)));
        for s in [
            S::RSA_PKCS1_SHA256,
            S::RSA_PKCS1_SHA384,
            S::RSA_PKCS1_SHA512,
        ] {
            assert!(webpki_verify_schemes().contains(&s));
            assert!(!tls13_verify_schemes().contains(&s));
        }
    }

    #[test]
    fn rcgen_certificate_spki_verifies_our_signature() {
        for alg in [
            &rcgen::PKCS_ECDSA_P256_SHA256,
            &rcgen::PKCS_ECDSA_P384_SHA384,
            &rcgen::PKCS_ED25519,
        ] {
            let kp = rcgen::KeyPair::generate_for(alg).unwrap();
            let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
                .unwrap()
                .self_signed(&kp)
                .unwrap();
            let (_, parsed) = x509_parser::parse_x509_certificate(cert.der()).unwrap();
            let spki = parsed.tbs_certificate.subject_pki.raw;

            let key = SigningKey::from_der(&pkcs8(&kp.serialize_der())).unwrap();
            assert_eq!(key.public_key_spki(), spki, "{:?}", key.kind());
            let scheme = key.tls13_schemes()[0];
            let sig = key.sign(scheme, b"hello").unwrap();
            assert_eq!(verify_signature(scheme, spki, b"hello", &sig), Ok(()));

            // The certificate's own signature, made by rcgen, verifies too.
            let tbs = parsed.tbs_certificate.as_ref();
            let cert_sig = parsed.signature_value.data.as_ref();
            assert_eq!(verify_signature(scheme, spki, tbs, cert_sig), Ok(()));
        }
    }
}

// ---------------------------------------------------------------------------
// Certificate, CRL and OCSP signatures (RFC 5280, 4.1.1.2; RFC 4055; RFC 5758;
// RFC 8410). Unlike TLS schemes, an algorithm identifier names only the hash:
// ecdsa-with-SHA256 may be made by a P-384 issuer, so the curve comes from the
// issuer's key. Used by `pki`; self-contained so it can grow independently.
// ---------------------------------------------------------------------------

/// Why a certificate (or CRL, or OCSP response) signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertSignatureError {
    /// SHA-1 or MD5 based: collisions are practical, so never accepted.
    WeakHash { algorithm: &'static str },
    /// An algorithm identifier we do not verify (DSA, Ed448, unknown OIDs, odd parameters).
    UnsupportedAlgorithm { algorithm: String },
    /// The signer's key is too weak: RSA under 2048 bits or not a whole number of bytes.
    WeakKey { key: String },
    /// The signer's key is of a type or curve we do not support (P-192, DSA, explicit curves).
    UnsupportedKey { key: String },
    /// The algorithm needs a different kind of key (RSA signature, EC key).
    KeyMismatch {
        algorithm: &'static str,
        key: String,
    },
    /// The signature does not verify.
    Invalid,
}

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
mod cert_signature_tests {
    use super::*;

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if content.len() < 128 {
            out.push(content.len() as u8);
        } else {
            out.push(0x82);
            out.extend((content.len() as u16).to_be_bytes());
        }
        out.extend_from_slice(content);
        out
    }

    fn alg(oid: &[u8], params: Option<&[u8]>) -> Vec<u8> {
        let mut body = tlv(0x06, oid);
        if let Some(p) = params {
            body.extend_from_slice(p);
        }
        tlv(0x30, &body)
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
