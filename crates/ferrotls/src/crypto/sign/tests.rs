use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as lc, KeyPair as _};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use x509_parser::asn1_rs::FromDer;
use x509_parser::x509::SubjectPublicKeyInfo;

use super::keys::parse_pkcs8;
use super::*;
use crate::error::{ConfigError, CryptoError};
use crate::msgs::enums::SignatureScheme;
use crate::test_util::{self_signed, tlv};

fn pkcs8(der: &[u8]) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der.to_vec()))
}

fn bad_reason(key: &PrivateKeyDer<'_>) -> String {
    match SigningKey::from_der(key).unwrap_err() {
        ConfigError::BadPrivateKey { reason } => reason,
        other => panic!("unexpected {other:?}"),
    }
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
fn ecdsa_p256_pkcs8_signs_and_verifies() {
    let key =
        SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING))).unwrap();
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
    let key =
        SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P384_SHA384_ASN1_SIGNING))).unwrap();
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
        include_bytes!("../testdata/rsa2048.pkcs1.der").to_vec(),
    )))
    .unwrap();
    assert_eq!(rsa.kind(), KeyKind::Rsa { bits: 2048 });
    round_trip_all(&rsa);

    let p256 = SigningKey::from_der(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(
        include_bytes!("../testdata/ecp256.sec1.der").to_vec(),
    )))
    .unwrap();
    assert_eq!(p256.kind(), KeyKind::EcdsaP256);
    round_trip_all(&p256);

    let p384 = SigningKey::from_der(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(
        include_bytes!("../testdata/ecp384.sec1.der").to_vec(),
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
    let fixture = include_bytes!("../testdata/ecp256.sec1.der");
    let items = der_sequence(fixture).unwrap();
    let mut body = tlv(0x02, &[1]);
    body.extend(tlv(0x04, items[1].data));
    let bare = tlv(0x30, &body);
    let key = SigningKey::from_der(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(bare))).unwrap();
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
    let pkcs1 = include_bytes!("../testdata/rsa1024.pkcs1.der").to_vec();
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
        bad_reason(&pkcs8(include_bytes!("../testdata/ed448.pkcs8.der"))),
        "Ed448 keys are not supported; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key"
    );
    assert_eq!(
        bad_reason(&pkcs8(include_bytes!("../testdata/ecp521.pkcs8.der"))),
        "ECDSA keys on P-521 (secp521r1) are not supported; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key"
    );
    assert_eq!(
        bad_reason(&PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(
            include_bytes!("../testdata/ecp521.sec1.der").to_vec()
        ))),
        "ECDSA keys on P-521 (secp521r1) are not supported; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key"
    );
    assert_eq!(
        bad_reason(&pkcs8(include_bytes!("../testdata/rsapss.pkcs8.der"))),
        "it is an RSASSA-PSS key (id-RSASSA-PSS), which ferrotls does not support; use an ECDSA P-256 or P-384, Ed25519, or RSA (2048 to 8192 bits) key (an rsaEncryption key signs with RSA-PSS too)"
    );
    assert_eq!(
        bad_reason(&pkcs8(include_bytes!("../testdata/ed25519.encrypted.pkcs8.der"))),
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
        bad_reason(&pkcs8(include_bytes!("../testdata/ecp256.sec1.der"))),
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
    let p256 =
        SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING))).unwrap();
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
        include_bytes!("../testdata/rsa2048.pkcs1.der").to_vec(),
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
    let p256 =
        SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING))).unwrap();
    let p384 =
        SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P384_SHA384_ASN1_SIGNING))).unwrap();
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
        include_bytes!("../testdata/rsa2048.pkcs1.der").to_vec(),
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
    let pkcs1 = include_bytes!("../testdata/rsa1024.pkcs1.der");
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
    let p256 =
        SigningKey::from_der(&pkcs8(&ecdsa_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING))).unwrap();
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
        let (cert, kp) = self_signed(alg, &["localhost"]);
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
