//! Loading certificates and private keys from PEM (or DER) files and bytes.

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::{ConfigError, Error};

fn bad(what: &'static str, reason: impl Into<String>) -> Error {
    ConfigError::BadPem {
        what,
        reason: reason.into(),
    }
    .into()
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| bad(what, format!("{}: {e}", path.display())))
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes
        .windows(b"-----BEGIN".len())
        .any(|w| w == b"-----BEGIN")
}

/// Base64 (RFC 4648, 4) with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            let sextet = (n >> (18 - 6 * i) & 63) as usize;
            out.push(char::from(ALPHABET.get(sextet).copied().unwrap_or(b'A')));
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

/// A PEM block (RFC 7468): `label` around the base64 of `der`, in lines of 64.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Every certificate in PEM bytes (in order), or a single DER certificate.
pub fn certs_from_bytes(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    const WHAT: &str = "certificates";
    if !looks_like_pem(bytes) {
        return match bytes.first() {
            // A DER SEQUENCE.
            Some(0x30) => Ok(vec![CertificateDer::from(bytes.to_vec())]),
            _ => Err(bad(WHAT, "the input is neither PEM nor a DER certificate")),
        };
    }
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(WHAT, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(WHAT, "no CERTIFICATE block was found"));
    }
    Ok(certs)
}

/// The first private key (PKCS#8, SEC1 or PKCS#1) in PEM bytes, or a DER PKCS#8 key.
pub fn private_key_from_bytes(bytes: &[u8]) -> Result<PrivateKeyDer<'static>, Error> {
    const WHAT: &str = "the private key";
    if !looks_like_pem(bytes) {
        return match bytes.first() {
            Some(0x30) => Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                bytes.to_vec(),
            ))),
            _ => Err(bad(WHAT, "the input is neither PEM nor a DER key")),
        };
    }
    PrivateKeyDer::from_pem_slice(bytes).map_err(|e| {
        bad(
            WHAT,
            format!("{e} (expected a PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY block)"),
        )
    })
}

/// Every certificate in a PEM or DER file.
pub fn load_certs(path: impl AsRef<Path>) -> Result<Vec<CertificateDer<'static>>, Error> {
    certs_from_bytes(&read(path.as_ref(), "certificates")?)
}

/// The private key in a PEM or DER file.
pub fn load_private_key(path: impl AsRef<Path>) -> Result<PrivateKeyDer<'static>, Error> {
    private_key_from_bytes(&read(path.as_ref(), "the private key")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_and_pem_encoding() {
        // RFC 4648, 10.
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
            (b"fooba", "Zm9vYmE="),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (raw, text) in cases {
            assert_eq!(base64(raw), text);
        }
        assert_eq!(encode("X", b""), "-----BEGIN X-----\n-----END X-----\n");
        // Lines of 64, and what rustls-pki-types' reader reads back.
        let all: Vec<u8> = (0..=255).collect();
        let pem = encode("CERTIFICATE", &all);
        assert!(pem.lines().all(|l| l.len() <= 64), "{pem}");
        assert_eq!(pem.lines().count(), 2 + 256usize.div_ceil(3) * 4 / 64 + 1);
        let back = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        assert_eq!(back.as_ref(), all.as_slice());
    }

    #[test]
    fn errors_explain() {
        assert_eq!(
            certs_from_bytes(b"hello").unwrap_err().to_string(),
            "could not read certificates: the input is neither PEM nor a DER certificate"
        );
        assert_eq!(
            certs_from_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .unwrap_err()
                .to_string(),
            "could not read certificates: no CERTIFICATE block was found"
        );
        let missing = load_certs("/nonexistent/ferrotls.pem")
            .unwrap_err()
            .to_string();
        assert_eq!(
            missing,
            "could not read certificates: /nonexistent/ferrotls.pem: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn reads_pem_and_der() {
        let (cert, key) =
            crate::test_util::self_signed(&rcgen::PKCS_ECDSA_P256_SHA256, &["localhost"]);
        let pem = format!("{}{}", cert.pem(), cert.pem());
        let certs = certs_from_bytes(pem.as_bytes()).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].as_ref(), cert.der().as_ref());
        assert_eq!(certs_from_bytes(cert.der()).unwrap().len(), 1);
        let k = private_key_from_bytes(key.serialize_pem().as_bytes()).unwrap();
        assert_eq!(k.secret_der(), key.serialize_der().as_slice());
    }
}
