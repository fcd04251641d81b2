//! The verifier: a trust store, CRLs and a policy; the end entity's own checks,
//! then path building and validation (`search`), with every problem explained.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::extensions::GeneralName;

use super::anchors::RootStore;
use super::cert::Cert;
use super::names::{self, general_name_to_string};
use super::path::{describe, Policy, Purpose, Request, SubjectName, VerifiedPath};
use super::problems;
use super::search::Search;
use super::{revocation, ServerCertVerified, ServerCertVerifier};
use crate::error::{CertRole, CertificateError, Error};

/// The certificate path validator: a trust store, optional CRLs and a policy.
///
/// Implements [`ServerCertVerifier`]; use [`super::ClientAuthVerifier`] on servers.
#[derive(Clone, Debug)]
pub struct Verifier {
    roots: Arc<RootStore>,
    crls: Vec<Vec<u8>>,
    policy: Policy,
}

impl Verifier {
    /// Trusts exactly `roots`.
    pub fn new(roots: RootStore) -> Self {
        Verifier {
            roots: Arc::new(roots),
            crls: Vec::new(),
            policy: Policy::default(),
        }
    }

    /// Trusts Mozilla's root program (compiled in via webpki-roots).
    pub fn with_webpki_roots() -> Self {
        Self::new(RootStore::webpki_roots())
    }

    /// Trusts the operating system's store.
    pub fn with_system_roots() -> Result<Self, Error> {
        Ok(Self::new(RootStore::system()?))
    }

    /// Trusts every certificate in the given PEM (or DER) files.
    pub fn from_pem_files<P: AsRef<Path>>(paths: &[P]) -> Result<Self, Error> {
        let mut roots = RootStore::new();
        for p in paths {
            roots.add_pem_file(p)?;
        }
        if roots.is_empty() {
            return Err(crate::error::ConfigError::Empty {
                what: "the trust store",
            }
            .into());
        }
        Ok(Self::new(roots))
    }

    /// Replaces the policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Adds certificate revocation lists (DER). They are checked (signature, dates,
    /// scope) when a certificate of their issuer is verified; a CRL that applies
    /// but cannot be used fails the verification.
    pub fn with_crls(mut self, crls: Vec<Vec<u8>>) -> Self {
        self.crls.extend(crls);
        self
    }

    /// Adds the CRLs in a PEM file (`X509 CRL` blocks) or a DER file.
    pub fn add_crl_file(&mut self, path: impl AsRef<Path>) -> Result<(), Error> {
        let bytes =
            std::fs::read(path.as_ref()).map_err(|e| crate::error::ConfigError::BadPem {
                what: "CRL",
                reason: format!("{}: {e}", path.as_ref().display()),
            })?;
        self.crls.extend(revocation::crls_from_bytes(&bytes)?);
        Ok(())
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn roots(&self) -> &RootStore {
        &self.roots
    }

    /// Builds and validates a path for `req`, or explains why none exists.
    pub fn verify(&self, req: &Request<'_>) -> Result<VerifiedPath, CertificateError> {
        self.run(req, true)
    }

    /// [`Verifier::verify`] for callers that need only the verdict (the TLS
    /// handshake): the same checks, without describing the path.
    pub(crate) fn check(&self, req: &Request<'_>) -> Result<(), CertificateError> {
        self.run(req, false).map(|_| ())
    }

    /// Verifies; with `describe_path`, the returned path lists every certificate,
    /// otherwise it is empty.
    fn run(
        &self,
        req: &Request<'_>,
        describe_path: bool,
    ) -> Result<VerifiedPath, CertificateError> {
        let leaf = Cert::parse(req.end_entity)?;
        let leaf_problems = self.leaf_problems(&leaf, req);
        // A certificate the user trusts directly (a pinned self-signed leaf).
        for anchor in self.roots.by_subject(leaf.subject_raw()) {
            if anchor.cert.as_ref().map(|c| c.as_ref()) == Some(req.end_entity) {
                if let Some(e) = problems::compose(leaf_problems) {
                    return Err(e);
                }
                let chain = match describe_path {
                    true => vec![describe(&leaf, CertRole::EndEntity)],
                    false => Vec::new(),
                };
                return Ok(VerifiedPath { chain });
            }
        }
        let inter: Vec<Cert<'_>> = req
            .intermediates
            .iter()
            .take(64)
            .filter_map(|d| Cert::parse(d).ok())
            .collect();
        let crls = revocation::parse_crls(&self.crls)?;
        let mut search = Search::new(
            &self.roots,
            &self.policy,
            req,
            &inter,
            &crls,
            describe_path,
            leaf_problems.len(),
        );
        let mut path = vec![&leaf];
        let mut found = leaf_problems;
        if let Some(valid) = search.dfs(&mut path, &mut found) {
            return Ok(valid);
        }
        Err(search.into_error(&leaf, found))
    }

    /// Path-independent checks of the end-entity certificate: every problem found.
    ///
    /// A CA certificate is refused as the end entity, also when it is itself a
    /// trust anchor (a self-signed `openssl req -x509` certificate added to the
    /// trust store): trusting a CA means trusting what it issues, not that it is the
    /// peer's own certificate. rustls-webpki and Firefox refuse it too;
    /// [`super::PinnedCertVerifier`] still accepts a pinned one.
    fn leaf_problems(&self, leaf: &Cert<'_>, req: &Request<'_>) -> Vec<CertificateError> {
        let mut found = leaf.common_problems(CertRole::EndEntity, self.policy.strict_rfc5280);
        let mut note = |r: Result<(), CertificateError>| found.extend(r.err());
        // A CA as the leaf needs another certificate, so its key usage is moot.
        let ca_leaf = leaf.check_not_ca(req.purpose == Purpose::ClientAuth);
        let tls_key_usage = req.tls_key_usage && ca_leaf.is_ok();
        note(ca_leaf);
        if leaf.nc.is_some() {
            note(Err(CertificateError::InvalidExtension {
                subject: leaf.subject_dn().to_string(),
                extension: "nameConstraints",
                reason: "it appears in an end-entity certificate (RFC 5280, 4.2.1.10: CA certificates only)".into(),
            }));
        }
        note(leaf.check_validity(CertRole::EndEntity, req.now));
        if let Some(name) = &req.name {
            note(check_name(leaf, name));
        }
        note(leaf.check_purpose(CertRole::EndEntity, req.purpose.oid()));
        if tls_key_usage {
            note(leaf.check_tls_key_usage());
        }
        if req.purpose == Purpose::ServerAuth {
            if self.policy.cabf_server_profile {
                note(leaf.check_cabf_subscriber());
            }
            if self.policy.cabf_server_profile || self.policy.require_cn_in_san {
                note(leaf.check_cn_in_san());
            }
        }
        if leaf.must_staple && req.ocsp_response.is_none() {
            note(Err(CertificateError::MustStapleMissing {
                subject: leaf.name().to_string(),
            }));
        }
        found
    }
}

/// RFC 6125, 6.4 / RFC 9525: only subjectAltName entries count.
fn check_name(leaf: &Cert<'_>, name: &SubjectName) -> Result<(), CertificateError> {
    let sans = leaf.san.as_deref().unwrap_or_default();
    let matched = sans.iter().any(|san| match (san, name) {
        (GeneralName::DNSName(p), SubjectName::Dns(r)) => names::dns_matches(p, r),
        (GeneralName::IPAddress(p), SubjectName::Ip(IpAddr::V4(r))) => *p == r.octets(),
        (GeneralName::IPAddress(p), SubjectName::Ip(IpAddr::V6(r))) => *p == r.octets(),
        _ => false,
    });
    if matched {
        return Ok(());
    }
    Err(CertificateError::NameMismatch {
        expected: name.to_string(),
        presented: sans
            .iter()
            .filter(|n| matches!(n, GeneralName::DNSName(_) | GeneralName::IPAddress(_)))
            .map(general_name_to_string)
            .collect(),
    })
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let req = Request {
            end_entity: end_entity.as_ref(),
            intermediates: intermediates.iter().map(|c| c.as_ref()).collect(),
            name: SubjectName::from_server_name(server_name),
            purpose: Purpose::ServerAuth,
            now: i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
            ocsp_response: (!ocsp.is_empty()).then_some(ocsp),
            max_intermediates: None,
            tls_key_usage: true,
        };
        self.check(&req)?;
        Ok(ServerCertVerified::assertion())
    }
}
