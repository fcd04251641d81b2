//! Signatures, in two concerns:
//!
//! - handshake signatures: TLS `SignatureScheme`s, our signing key for
//!   CertificateVerify and the TLS 1.2 ServerKeyExchange (`keys`), and checking a
//!   peer's handshake signature against its certificate's key (`schemes`) (RFC 8446,
//!   4.2.3 and 4.4.3);
//! - certificate signatures: X.509 signatureAlgorithm identifiers, the keys a
//!   certificate may hold, and a certificate's, CRL's or OCSP response's signature
//!   checked with its issuer's key (`certificate`, used by `pki`).
//!
//! Both read DER with the few helpers below.

use x509_parser::asn1_rs::{Any, FromDer, Oid, Tag};
use x509_parser::oid_registry::{OID_KEY_TYPE_DSA, OID_PKCS1_RSASSAPSS, OID_SIG_ED448};

mod certificate;
mod keys;
mod schemes;
#[cfg(test)]
mod tests;

pub use certificate::{
    cert_signature_algorithm_name, check_cert_public_key, check_cert_spki, sha1_for_identifiers,
    sha256, verify_cert_signature, verify_cert_signature_spki, CertKey, CertSignatureError,
};
pub use keys::{KeyKind, SigningKey};
pub use schemes::{tls13_verify_schemes, verify_signature, webpki_verify_schemes, SignatureError};

/// RSA moduli outside this range are refused, for our keys and peers' alike.
const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 8192;

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
