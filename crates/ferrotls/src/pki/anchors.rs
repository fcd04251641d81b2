//! Trust anchors (RFC 5280, 6.1.1 (d)): a name and a key, optionally the whole
//! root certificate and name constraints; loaded from PEM, webpki-roots or the
//! operating system. Also the distrust-after rules browsers apply to roots.

use std::collections::HashMap;
use std::path::Path;

use rustls_pki_types::CertificateDer;

use super::cert::{Cert, OID_CLIENT_AUTH, OID_SERVER_AUTH};
pub use super::distrust::DistrustRule;
use super::names::hex;
use crate::crypto::sign::{check_cert_public_key, sha256, CertKey, CertSignatureError};
use crate::error::CertRole;
use crate::error::{ConfigError, Error};

/// One trusted root.
#[derive(Clone, Debug)]
pub struct TrustAnchor {
    pub(crate) subject: Vec<u8>,
    pub(crate) spki: Vec<u8>,
    /// Whether `spki` holds a key we accept, decided once.
    pub(crate) key: Result<CertKey, CertSignatureError>,
    /// The DER NameConstraints value, if the anchor is constrained.
    pub(crate) name_constraints: Option<Vec<u8>>,
    /// The whole certificate, when known: it is then checked like a CA
    /// certificate (validity, basicConstraints, keyUsage, critical extensions).
    pub(crate) cert: Option<CertificateDer<'static>>,
    pub(crate) display: String,
    pub(crate) distrust: Option<DistrustRule>,
    /// What verification needs of `cert` that no request changes, made with the anchor.
    pub(crate) summary: Option<AnchorSummary>,
}

/// The request-independent outcome of checking an anchor certificate, so that a
/// clean, unconstrained anchor need not be parsed again on every verification.
/// Anything short of clean takes the full path, which produces the errors.
#[derive(Clone, Debug)]
pub(crate) struct AnchorSummary {
    /// The version, serial, extension, key and CA checks pass: [lenient, strict].
    clean: [bool; 2],
    not_before: i64,
    not_after: i64,
    /// Its extendedKeyUsage, if any, allows [serverAuth, clientAuth].
    purposes: [bool; 2],
    /// No pathLenConstraint and no nameConstraints: path validation needs nothing of it.
    unconstrained: bool,
}

impl AnchorSummary {
    fn of(c: &Cert<'_>) -> Self {
        let clean = |strict: bool| {
            c.common_problems(CertRole::TrustAnchor, strict).is_empty()
                && (c.x509.extensions().is_empty() || c.issuer_problems(strict).is_empty())
        };
        let allows = |oid| c.check_purpose(CertRole::TrustAnchor, oid).is_ok();
        AnchorSummary {
            clean: [clean(false), clean(true)],
            not_before: c.not_before(),
            not_after: c.not_after(),
            purposes: [allows(OID_SERVER_AUTH), allows(OID_CLIENT_AUTH)],
            unconstrained: c.nc.is_none() && !matches!(c.basic, Some((_, Some(_), _))),
        }
    }

    /// Whether the anchor passes every check of its own for this request.
    pub(crate) fn passes(&self, strict: bool, now: i64, server_auth: bool) -> bool {
        let clean = if strict { self.clean[1] } else { self.clean[0] };
        let purpose = if server_auth {
            self.purposes[0]
        } else {
            self.purposes[1]
        };
        clean && purpose && self.unconstrained && self.not_before <= now && now <= self.not_after
    }
}

impl TrustAnchor {
    /// The summary of the anchor certificate; `None` without one.
    pub(crate) fn summary(&self) -> Option<&AnchorSummary> {
        self.summary.as_ref()
    }

    /// An anchor from a root certificate; the certificate itself is checked at
    /// verification time (RFC 5280 does not require it, the x509-limbo policy does).
    pub fn from_cert(der: CertificateDer<'static>) -> Result<Self, Error> {
        // Parsed here once; verification uses the summary, not the certificate.
        let (subject, spki, display, summary) = {
            let cert = Cert::parse(der.as_ref()).map_err(|e| ConfigError::BadPem {
                what: "trust anchor",
                reason: e.to_string(),
            })?;
            (
                cert.subject_raw().to_vec(),
                cert.spki().to_vec(),
                cert.subject_dn().to_string(),
                AnchorSummary::of(&cert),
            )
        };
        let mut anchor = TrustAnchor {
            subject,
            key: check_cert_public_key(&spki),
            spki,
            name_constraints: None,
            cert: Some(der),
            display,
            distrust: None,
            summary: Some(summary),
        };
        anchor.distrust = super::distrust::rule_for_spki(&anchor.spki);
        Ok(anchor)
    }

    /// An anchor from just a name and key, as webpki-roots ships them.
    pub fn from_subject_and_spki(
        subject_der: &[u8],
        spki_der: &[u8],
        name_constraints: Option<&[u8]>,
    ) -> Self {
        let display = display_raw_name(subject_der);
        let mut anchor = TrustAnchor {
            subject: subject_der.to_vec(),
            spki: spki_der.to_vec(),
            key: check_cert_public_key(spki_der),
            name_constraints: name_constraints.map(<[u8]>::to_vec),
            cert: None,
            display,
            distrust: None,
            summary: None,
        };
        anchor.distrust = super::distrust::rule_for_spki(&anchor.spki);
        anchor
    }

    /// Adds (or replaces) a distrust-after rule.
    pub fn with_distrust(mut self, rule: DistrustRule) -> Self {
        self.distrust = Some(rule);
        self
    }

    /// The subject, readable.
    pub fn subject(&self) -> &str {
        &self.display
    }

    /// SHA-256 of the SubjectPublicKeyInfo, hex (the usual "SPKI pin").
    pub fn spki_sha256(&self) -> String {
        hex(&sha256(&self.spki))
    }
}

/// webpki-roots and pki-types give the subject as the Name's contents without the
/// outer SEQUENCE; add it back so it compares with certificates' raw issuers.
fn wrap_sequence(inner: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30];
    let len = inner.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xff {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(inner);
    out
}

fn display_raw_name(der: &[u8]) -> String {
    use x509_parser::prelude::{FromDer, X509Name};
    match X509Name::from_der(der) {
        Ok((_, name)) => super::names::dn_to_string(&name),
        Err(_) => "(an unreadable name)".to_string(),
    }
}

/// A set of trust anchors, indexed by subject.
#[derive(Clone, Debug, Default)]
pub struct RootStore {
    anchors: Vec<TrustAnchor>,
    by_subject: HashMap<Vec<u8>, Vec<usize>>,
}

impl RootStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, anchor: TrustAnchor) {
        // The same root twice adds nothing.
        if self
            .anchors
            .iter()
            .any(|a| a.subject == anchor.subject && a.spki == anchor.spki)
        {
            return;
        }
        self.by_subject
            .entry(anchor.subject.clone())
            .or_default()
            .push(self.anchors.len());
        self.anchors.push(anchor);
    }

    /// Adds every certificate in PEM (or DER) bytes as a trust anchor.
    pub fn add_pem(&mut self, bytes: &[u8]) -> Result<usize, Error> {
        let certs = crate::pem::certs_from_bytes(bytes)?;
        let n = certs.len();
        for der in certs {
            self.add(TrustAnchor::from_cert(der)?);
        }
        Ok(n)
    }

    /// Adds every certificate in a PEM or DER file.
    pub fn add_pem_file(&mut self, path: impl AsRef<Path>) -> Result<usize, Error> {
        let certs = crate::pem::load_certs(path)?;
        let n = certs.len();
        for der in certs {
            self.add(TrustAnchor::from_cert(der)?);
        }
        Ok(n)
    }

    /// Mozilla's root program, as compiled into the webpki-roots crate.
    pub fn webpki_roots() -> Self {
        let mut store = RootStore::new();
        for ta in webpki_roots::TLS_SERVER_ROOTS {
            store.add(TrustAnchor::from_subject_and_spki(
                &wrap_sequence(ta.subject.as_ref()),
                &wrap_sequence(ta.subject_public_key_info.as_ref()),
                ta.name_constraints.as_ref().map(|n| n.as_ref()),
            ));
        }
        store
    }

    /// The operating system's trust store (rustls-native-certs). Certificates it
    /// cannot parse are skipped; an empty result is an error that says where we looked.
    pub fn system() -> Result<Self, Error> {
        let found = rustls_native_certs::load_native_certs();
        let mut store = RootStore::new();
        for der in found.certs {
            // System stores hold old roots (v1, odd extensions): trust them as name
            // and key, the way the platform verifiers do.
            if let Ok(cert) = Cert::parse(der.as_ref()) {
                let anchor =
                    TrustAnchor::from_subject_and_spki(cert.subject_raw(), cert.spki(), None);
                store.add(anchor);
            }
        }
        if store.is_empty() {
            let why = found
                .errors
                .first()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no certificates were found".to_string());
            return Err(ConfigError::BadPem {
                what: "the system trust store",
                reason: format!("{why}; set SSL_CERT_FILE or use webpki-roots"),
            }
            .into());
        }
        Ok(store)
    }

    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    pub fn anchors(&self) -> &[TrustAnchor] {
        &self.anchors
    }

    pub(crate) fn by_subject(&self, subject: &[u8]) -> impl Iterator<Item = &TrustAnchor> {
        self.by_subject
            .get(subject)
            .into_iter()
            .flatten()
            .filter_map(|i| self.anchors.get(*i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webpki_roots_subjects_compare_with_certificates() {
        let store = RootStore::webpki_roots();
        assert!(store.len() > 100);
        // Every anchor's subject parses as a Name once wrapped.
        for a in store.anchors() {
            assert!(
                !a.subject().starts_with("(an unreadable"),
                "{:?}",
                a.subject
            );
        }
        assert!(store
            .anchors()
            .iter()
            .any(|a| a.subject().contains("ISRG Root X1")));
    }
}
