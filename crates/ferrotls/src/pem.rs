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
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let pem = format!("{}{}", cert.pem(), cert.pem());
        let certs = certs_from_bytes(pem.as_bytes()).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].as_ref(), cert.der().as_ref());
        assert_eq!(certs_from_bytes(cert.der()).unwrap().len(), 1);
        let k = private_key_from_bytes(key.serialize_pem().as_bytes()).unwrap();
        assert_eq!(k.secret_der(), key.serialize_der().as_slice());
    }
}
