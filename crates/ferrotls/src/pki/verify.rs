//! Path building (RFC 4158 style depth-first search over the certificates given)
//! and path validation (RFC 5280, 6.1), with every rejection explained.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::extensions::GeneralName;

use super::anchors::{RootStore, TrustAnchor};
use super::cert::{Cert, OID_CLIENT_AUTH, OID_SERVER_AUTH};
use super::names::{self, general_name_to_string, hex_colons};
use super::problems;
use super::search::Search;
use super::{revocation, ServerCertVerified, ServerCertVerifier};
use crate::crypto::sign::{cert_signature_algorithm_name, CertSignatureError};
use crate::error::{CertRole, CertificateError, Error};

/// What the end-entity certificate is being verified for (RFC 5280, 4.2.1.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// id-kp-serverAuth: a TLS server.
    ServerAuth,
    /// id-kp-clientAuth: a TLS client.
    ClientAuth,
}

impl Purpose {
    pub(super) fn oid(self) -> &'static str {
        match self {
            Purpose::ServerAuth => OID_SERVER_AUTH,
            Purpose::ClientAuth => OID_CLIENT_AUTH,
        }
    }
}

/// The identity the certificate must name (RFC 6125 reference identifier).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectName {
    Dns(String),
    Ip(IpAddr),
}

impl core::fmt::Display for SubjectName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SubjectName::Dns(d) => f.write_str(d),
            SubjectName::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

impl SubjectName {
    /// From a TLS server name.
    pub fn from_server_name(name: &ServerName<'_>) -> Option<Self> {
        match name {
            ServerName::DnsName(d) => Some(SubjectName::Dns(d.as_ref().to_string())),
            ServerName::IpAddress(ip) => Some(SubjectName::Ip(IpAddr::from(*ip))),
            _ => None,
        }
    }
}

/// Knobs of the validation policy. The defaults accept what the major browsers'
/// verifiers accept (see the table in the crate README): every rule with security
/// value is on, the RFC 5280 encoding rules no browser enforces are not.
/// [`Policy::strict_rfc5280`] adds them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Enforce the RFC 5280 MUSTs that private PKIs often skip and no browser
    /// enforces: authorityKeyIdentifier in issued certificates and its form
    /// (keyIdentifier present, non-critical, no authorityCertIssuer), a
    /// subjectKeyIdentifier and critical basicConstraints in CA certificates, the
    /// criticality rules of subjectKeyIdentifier and subjectAltName, no
    /// pathLenConstraint without cA. Default false.
    pub strict_rfc5280: bool,
    /// The most intermediate CA certificates (not counting self-issued ones) a
    /// path may have. Default 6.
    pub max_intermediates: usize,
    /// Signature verifications one call may spend on building paths. Default 100.
    pub max_signature_checks: usize,
    /// Name comparisons one call may spend on name constraints. Default 250,000.
    pub max_name_constraint_checks: usize,
    /// Apply distrust-after rules of the trust anchors (Symantec). Default true.
    pub apply_distrust: bool,
    /// For server certificates, also apply the CA/Browser Forum subscriber profile
    /// checks RFC 5280 does not make: no anyExtendedKeyUsage, and the subject CN
    /// copied from a SAN (everything `require_cn_in_san` checks). Publicly trusted
    /// certificates meet them; private PKIs often do not. Default false. (A CA
    /// certificate as the leaf is refused whatever the policy.)
    pub cabf_server_profile: bool,
    /// For server certificates, require a subject commonName, if present, to be a
    /// character-for-character copy of a dNSName or the canonical text of an
    /// iPAddress in subjectAltName (CA/Browser Forum BR 7.1.4.3), failing with
    /// [`CertificateError::CommonNameNotInSan`]. The CN is never used for name
    /// matching either way. Default false: many private and test certificates carry
    /// a CN that is no SAN (a service name, "Test Leaf").
    pub require_cn_in_san: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            strict_rfc5280: false,
            max_intermediates: 6,
            max_signature_checks: 100,
            max_name_constraint_checks: 250_000,
            apply_distrust: true,
            cabf_server_profile: false,
            require_cn_in_san: false,
        }
    }
}

impl Policy {
    /// The strict profile: the defaults plus every RFC 5280 encoding rule
    /// (`strict_rfc5280`), as `openssl verify -x509_strict` applies them.
    /// `ferrotls verify --strict`. Add `require_cn_in_san` for the CA/Browser Forum
    /// subject-CN rule as well.
    pub fn strict_rfc5280() -> Self {
        Policy {
            strict_rfc5280: true,
            ..Policy::default()
        }
    }
}

/// One verification: the certificates, the name, the purpose, the time.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub end_entity: &'a [u8],
    /// Other certificates that may help build a path, in any order.
    pub intermediates: Vec<&'a [u8]>,
    /// The name to match; `None` skips name matching (for client certificates).
    pub name: Option<SubjectName>,
    pub purpose: Purpose,
    /// Verification time, Unix seconds.
    pub now: i64,
    /// A stapled OCSP response (RFC 6960 OCSPResponse DER).
    pub ocsp_response: Option<&'a [u8]>,
    /// Overrides `Policy::max_intermediates` for this call.
    pub max_intermediates: Option<usize>,
    /// The end-entity key will sign or decrypt in TLS: a keyUsage extension must allow
    /// it (RFC 8446, 4.4.2.2; RFC 5246, 7.4.2). RFC 5280 itself does not ask this, so
    /// plain path validation leaves it off; the TLS verifiers turn it on.
    pub tls_key_usage: bool,
}

impl<'a> Request<'a> {
    /// A server-authentication request with no name, intermediates or OCSP.
    pub fn new(end_entity: &'a [u8], now: i64) -> Self {
        Request {
            end_entity,
            intermediates: Vec::new(),
            name: None,
            purpose: Purpose::ServerAuth,
            now,
            ocsp_response: None,
            max_intermediates: None,
            tls_key_usage: false,
        }
    }
}

/// One certificate of a verified path, described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainEntry {
    pub role: CertRole,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: i64,
    pub not_after: i64,
    /// "ECDSA P-256", "RSA 2048-bit", ...
    pub key: String,
    /// SAN entries, "DNS:example.com".
    pub names: Vec<String>,
}

/// A verified path, end entity first, trust anchor last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedPath {
    pub chain: Vec<ChainEntry>,
}

/// Describes a certificate for display (the CLI prints these).
pub fn describe_certificate(der: &[u8], role: CertRole) -> Result<ChainEntry, CertificateError> {
    Ok(describe(&Cert::parse(der)?, role))
}

pub(super) fn describe(c: &Cert<'_>, role: CertRole) -> ChainEntry {
    ChainEntry {
        role,
        subject: c.subject_dn().to_string(),
        issuer: c.issuer_dn().to_string(),
        serial: hex_colons(c.x509.raw_serial()),
        not_before: c.not_before(),
        not_after: c.not_after(),
        key: key_name(c.spki()),
        names: c.san_strings(),
    }
}

fn key_name(spki: &[u8]) -> String {
    match crate::crypto::sign::check_cert_public_key(spki) {
        Ok(k) => k.to_string(),
        Err(CertSignatureError::WeakKey { key }) => format!("{key} (too weak)"),
        Err(CertSignatureError::UnsupportedKey { key }) => format!("{key} (unsupported)"),
        Err(_) => "unknown".to_string(),
    }
}

pub(super) fn anchor_entry(anchor: &TrustAnchor, cert: Option<&Cert<'_>>) -> ChainEntry {
    match cert {
        Some(c) => describe(c, CertRole::TrustAnchor),
        None => ChainEntry {
            role: CertRole::TrustAnchor,
            subject: anchor.subject().to_string(),
            issuer: anchor.subject().to_string(),
            serial: String::new(),
            not_before: i64::MIN,
            not_after: i64::MAX,
            key: key_name(&anchor.spki),
            names: Vec::new(),
        },
    }
}

/// The certificate path validator: a trust store, optional CRLs and a policy.
///
/// Implements [`ServerCertVerifier`]; use [`super::ClientAuthVerifier`] on servers.
#[derive(Clone, Debug)]
pub struct Verifier {
    pub(super) roots: Arc<RootStore>,
    crls: Vec<Vec<u8>>,
    pub(super) policy: Policy,
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
        let mut search = Search::new(self, req, &inter, &crls, describe_path, leaf_problems.len());
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

pub(crate) fn signature_error(
    e: CertSignatureError,
    child: &Cert<'_>,
    issuer: &str,
) -> CertificateError {
    match e {
        CertSignatureError::WeakHash { algorithm } => CertificateError::WeakSignature {
            subject: child.subject_dn().to_string(),
            algorithm: algorithm.to_string(),
        },
        CertSignatureError::UnsupportedAlgorithm { .. } => CertificateError::UnsupportedSignature {
            subject: child.subject_dn().to_string(),
            algorithm: cert_signature_algorithm_name(child.sig_alg),
        },
        CertSignatureError::WeakKey { key } => CertificateError::WeakKey {
            subject: issuer.to_string(),
            key,
        },
        CertSignatureError::UnsupportedKey { key } => CertificateError::UnsupportedPublicKey {
            subject: issuer.to_string(),
            key,
        },
        CertSignatureError::KeyMismatch { .. } | CertSignatureError::Invalid => {
            CertificateError::BadSignature {
                subject: child.subject_dn().to_string(),
                issuer: issuer.to_string(),
            }
        }
    }
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
