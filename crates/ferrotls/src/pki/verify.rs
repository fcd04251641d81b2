//! Path building (RFC 4158 style depth-first search over the certificates given)
//! and path validation (RFC 5280, 6.1), with every rejection explained.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use super::anchors::{RootStore, TrustAnchor};
use super::cert::{Cert, OID_CLIENT_AUTH, OID_SERVER_AUTH};
use super::names::{self, general_name_to_string, hex_colons};
use super::problems::{self, Precedence};
use super::{revocation, ServerCertVerified, ServerCertVerifier};
use crate::crypto::sign::{
    cert_signature_algorithm_name, verify_cert_signature, verify_cert_signature_spki,
    CertSignatureError,
};
use crate::error::{CertRole, CertificateError, Error, RejectedPath};

/// What the end-entity certificate is being verified for (RFC 5280, 4.2.1.12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// id-kp-serverAuth: a TLS server.
    ServerAuth,
    /// id-kp-clientAuth: a TLS client.
    ClientAuth,
}

impl Purpose {
    fn oid(self) -> &'static str {
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

/// Hard bound on the certificates in one path, whatever the policy says.
const MAX_PATH_CERTS: usize = 12;
/// Hard bound on search steps (candidate issuers considered).
const MAX_SEARCH_STEPS: usize = 2_000;
/// Hard bound on how many rejected paths an error lists.
const MAX_REPORTED_PATHS: usize = 8;

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

fn describe(c: &Cert<'_>, role: CertRole) -> ChainEntry {
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

fn anchor_entry(anchor: &TrustAnchor, cert: Option<&Cert<'_>>) -> ChainEntry {
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
        let mut search = Search {
            v: self,
            req,
            inter: &inter,
            crls: &crls,
            sigs: 0,
            steps: 0,
            nc_checks: 0,
            leaf_problems: leaf_problems.len(),
            failures: Vec::new(),
            best: None,
            exhausted: None,
            describe: describe_path,
        };
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

/// Name constraints of one CA, as GeneralNames.
struct Constraints<'x> {
    ca: String,
    permitted: Vec<GeneralName<'x>>,
    excluded: Vec<GeneralName<'x>>,
}

fn cert_constraints<'x>(c: &Cert<'x>) -> Option<Constraints<'x>> {
    c.nc.as_ref().map(|(p, e)| Constraints {
        ca: c.subject_dn().to_string(),
        permitted: p.iter().map(|s| s.base.clone()).collect(),
        excluded: e.iter().map(|s| s.base.clone()).collect(),
    })
}

/// A trust anchor's NameConstraints value (with or without its outer SEQUENCE).
fn anchor_constraints<'x>(ca: &str, der: &'x [u8]) -> Result<Constraints<'x>, CertificateError> {
    use super::der;
    let bad = || CertificateError::InvalidExtension {
        subject: ca.to_string(),
        extension: "nameConstraints",
        reason: "the trust anchor's name constraints do not parse".into(),
    };
    let body = match der::read_all(der) {
        Some(t) if t.tag == der::SEQUENCE => t.content,
        _ => der,
    };
    let mut out = Constraints {
        ca: ca.to_string(),
        permitted: Vec::new(),
        excluded: Vec::new(),
    };
    for part in der::items(body).ok_or_else(bad)? {
        let list = match part.tag {
            0xa0 => &mut out.permitted,
            0xa1 => &mut out.excluded,
            _ => return Err(bad()),
        };
        for subtree in der::items(part.content).ok_or_else(bad)? {
            let base = der::items(subtree.content)
                .and_then(|i| i.first().copied())
                .ok_or_else(bad)?;
            let (_, any) =
                x509_parser::der_parser::asn1_rs::Any::from_der(base.raw).map_err(|_| bad())?;
            list.push(GeneralName::try_from(any).map_err(|_| bad())?);
        }
    }
    Ok(out)
}

/// The key a signature is checked with: an issuing certificate's (its
/// SubjectPublicKeyInfo already parsed) or a trust anchor's DER.
enum IssuerKey<'k> {
    Cert(&'k Cert<'k>),
    Der(&'k [u8]),
}

struct Search<'s, 'c, 'a> {
    v: &'s Verifier,
    req: &'s Request<'a>,
    inter: &'c [Cert<'a>],
    crls: &'s [revocation::Crl<'s>],
    sigs: usize,
    steps: usize,
    nc_checks: usize,
    /// How many of the problems along a path are the end entity's own; rejected
    /// paths record only what follows them, the final error adds them once.
    leaf_problems: usize,
    failures: Vec<RejectedPath>,
    /// Every problem of the best complete path (one that reaches a trust anchor
    /// with every signature verified) that is not clean.
    best: Option<Vec<CertificateError>>,
    exhausted: Option<CertificateError>,
    /// Whether a found path is described (`Verifier::verify`) or only accepted.
    describe: bool,
}

/// `error` with the problems found before it on the same path.
fn after(found: &[CertificateError], error: CertificateError) -> CertificateError {
    let mut all = found.to_vec();
    all.push(error);
    problems::compose(all).unwrap_or(CertificateError::Empty)
}

/// How good a failed complete path is: its most urgent problem as late in the
/// reporting order as possible, then as few problems as possible.
fn path_rank(found: &[CertificateError]) -> (core::cmp::Reverse<Option<Precedence>>, usize) {
    let most_urgent = found.iter().map(CertificateError::precedence).min();
    (core::cmp::Reverse(most_urgent), found.len())
}

impl<'s, 'c, 'a> Search<'s, 'c, 'a> {
    fn strict(&self) -> bool {
        self.v.policy.strict_rfc5280
    }

    /// Records a path that stopped before a trust anchor, with `found`, the
    /// problems met on its way, and `error`, why it stopped.
    fn fail(
        &mut self,
        path: &[&Cert<'_>],
        next: Option<&str>,
        found: &[CertificateError],
        error: CertificateError,
    ) {
        let mut chain: Vec<String> = path
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    c.name().to_string()
                } else {
                    c.subject_dn().to_string()
                }
            })
            .collect();
        chain.extend(next.map(str::to_string));
        let error = after(found.get(self.leaf_problems..).unwrap_or_default(), error);
        self.failures.push(RejectedPath { chain, error });
    }

    /// Records a complete path that has problems, keeping the best one.
    fn complete(&mut self, found: Vec<CertificateError>) {
        let better = match &self.best {
            Some(best) => path_rank(&found) < path_rank(best),
            None => true,
        };
        if better {
            self.best = Some(found);
        }
    }

    /// Verifies `child`'s signature with the issuer's key, within the budget.
    fn check_signature(
        &mut self,
        child: &Cert<'_>,
        issuer: IssuerKey<'_>,
        issuer_name: impl FnOnce() -> String,
    ) -> Result<(), CertificateError> {
        if self.sigs >= self.v.policy.max_signature_checks {
            let e = CertificateError::TooComplex {
                subject: child.subject_dn().to_string(),
                what: "signature checks",
                limit: self.v.policy.max_signature_checks,
            };
            self.exhausted.get_or_insert(e.clone());
            return Err(e);
        }
        self.sigs += 1;
        match issuer {
            IssuerKey::Cert(c) => verify_cert_signature_spki(
                child.sig_alg,
                &c.x509.tbs_certificate.subject_pki,
                child.tbs,
                child.signature,
            ),
            IssuerKey::Der(spki) => {
                verify_cert_signature(child.sig_alg, spki, child.tbs, child.signature)
            }
        }
        .map_err(|e| signature_error(e, child, &issuer_name()))
    }

    /// Depth-first search from the last certificate of `path` towards an anchor.
    /// `found` holds the problems of the certificates in `path`. A path is
    /// followed through certificates that have problems (an expired
    /// intermediate), so that the error can name every problem of the best path;
    /// only a clean path is returned.
    fn dfs(
        &mut self,
        path: &mut Vec<&'c Cert<'a>>,
        found: &mut Vec<CertificateError>,
    ) -> Option<VerifiedPath> {
        let cur: &Cert<'a> = path.last().copied()?;
        let mut found_issuer = false;

        // A self-signed end entity and a trusted root of the same name with another
        // key (Debian's ssl-cert-snakeoil.pem in /etc/ssl/certs names the host): the
        // root did not sign it, so it is self-signed, not badly signed.
        let self_signed_leaf = path.len() == 1 && cur.self_issued();
        let roots = self.v.roots.clone();
        for anchor in roots.by_subject(cur.issuer_raw()) {
            self.steps += 1;
            match self.try_anchor(path, anchor) {
                Ok((valid, more)) if found.is_empty() && more.is_empty() => return Some(valid),
                Ok((_, more)) => self.complete(found.iter().cloned().chain(more).collect()),
                Err(CertificateError::BadSignature { .. }) if self_signed_leaf => continue,
                Err(e) => self.fail(path, Some(anchor.subject()), found, e),
            }
            found_issuer = true;
            if self.exhausted.is_some() {
                return None;
            }
        }

        // Candidates: matching subject; key-identifier matches and currently valid
        // certificates first, so that expired cross-signs are tried last.
        let mut candidates: Vec<&'c Cert<'a>> = self
            .inter
            .iter()
            .filter(|c| c.subject_raw() == cur.issuer_raw())
            .collect();
        candidates.sort_by_key(|c| {
            let kid_mismatch = matches!((cur.aki_key_id, c.ski), (Some(a), Some(s)) if a != s);
            let invalid = c
                .check_validity(CertRole::Intermediate, self.req.now)
                .is_err();
            (kid_mismatch, invalid)
        });
        for cand in candidates {
            // A certificate (or another with the same name and key) already in the
            // path would make a loop.
            if path
                .iter()
                .any(|p| p.subject_raw() == cand.subject_raw() && p.spki() == cand.spki())
            {
                continue;
            }
            found_issuer = true;
            self.steps += 1;
            if self.steps > MAX_SEARCH_STEPS {
                let e = CertificateError::TooComplex {
                    subject: path
                        .first()
                        .map(|c| c.name().to_string())
                        .unwrap_or_default(),
                    what: "candidate issuers",
                    limit: MAX_SEARCH_STEPS,
                };
                self.exhausted.get_or_insert(e);
                return None;
            }
            match self.check_candidate(path, cand) {
                Err(e) => {
                    self.fail(path, Some(cand.subject_dn()), found, e);
                    if self.exhausted.is_some() {
                        return None;
                    }
                }
                Ok(more) => {
                    let mark = found.len();
                    found.extend(more);
                    path.push(cand);
                    let valid = self.dfs(path, found);
                    path.pop();
                    found.truncate(mark);
                    if valid.is_some() || self.exhausted.is_some() {
                        return valid;
                    }
                }
            }
        }

        if !found_issuer {
            let leaf_name = path
                .first()
                .map(|c| c.name().to_string())
                .unwrap_or_default();
            let e = if path.len() == 1 && cur.self_issued() {
                CertificateError::SelfSigned { subject: leaf_name }
            } else if cur.self_issued() {
                CertificateError::UntrustedRoot {
                    subject: leaf_name,
                    root: cur.subject_dn().to_string(),
                }
            } else {
                CertificateError::UnknownIssuer {
                    role: if path.len() == 1 {
                        CertRole::EndEntity
                    } else {
                        CertRole::Intermediate
                    },
                    subject: cur.subject_dn().to_string(),
                    issuer: cur.issuer_dn().to_string(),
                    intermediates_sent: self.req.intermediates.len(),
                    from_client: self.req.purpose == Purpose::ClientAuth,
                }
            };
            self.fail(path, None, found, e);
        }
        None
    }

    /// Can `cand` issue the last certificate of `path`? `Err` if it cannot (not a
    /// CA, a signature that does not verify, a path too long); otherwise its
    /// problems (expired, wrong purpose, encodings), which do not break the link.
    fn check_candidate(
        &mut self,
        path: &[&Cert<'a>],
        cand: &Cert<'a>,
    ) -> Result<Vec<CertificateError>, CertificateError> {
        let child = path.last().copied().ok_or(CertificateError::Empty)?;
        let limit = self
            .req
            .max_intermediates
            .unwrap_or(self.v.policy.max_intermediates);
        let counted = path.iter().skip(1).filter(|c| !c.self_issued()).count()
            + usize::from(!cand.self_issued());
        if counted > limit || path.len() >= MAX_PATH_CERTS {
            return Err(CertificateError::PathTooLong {
                subject: path
                    .first()
                    .map(|c| c.name().to_string())
                    .unwrap_or_default(),
                max_intermediates: limit,
            });
        }
        let issuer = cand.issuer_problems(self.strict());
        if let Some(not_ca) = issuer
            .iter()
            .find(|e| matches!(e, CertificateError::NotCa { .. }))
        {
            return Err(not_ca.clone());
        }
        let mut more = cand.common_problems(CertRole::Intermediate, self.strict());
        more.extend(issuer);
        more.extend(
            cand.check_validity(CertRole::Intermediate, self.req.now)
                .err(),
        );
        more.extend(
            cand.check_purpose(CertRole::Intermediate, self.req.purpose.oid())
                .err(),
        );
        self.check_signature(child, IssuerKey::Cert(cand), || {
            cand.subject_dn().to_string()
        })?;
        Ok(more)
    }

    /// Ends the path at `anchor`: `Err` if the anchor's key does not verify the
    /// path's last signature; otherwise the path and the problems of the whole of
    /// it beyond its certificates' own (the anchor's, constraints, revocation).
    fn try_anchor(
        &mut self,
        path: &[&Cert<'a>],
        anchor: &TrustAnchor,
    ) -> Result<(VerifiedPath, Vec<CertificateError>), CertificateError> {
        let child = path.last().copied().ok_or(CertificateError::Empty)?;
        // A clean, unconstrained anchor certificate that nothing asks about (no
        // description, no revocation data) is not parsed again: its checks passed
        // when it was summarised, and path validation needs nothing of it.
        let quick = !self.describe
            && self.crls.is_empty()
            && self.req.ocsp_response.is_none()
            && anchor.name_constraints.is_none()
            && anchor.summary().is_some_and(|s| {
                s.passes(
                    self.strict(),
                    self.req.now,
                    self.req.purpose == Purpose::ServerAuth,
                )
            });
        if quick {
            self.check_signature(child, IssuerKey::Der(&anchor.spki), || {
                anchor.subject().to_string()
            })?;
            let more = self.validate_path(path, anchor, None).err();
            return Ok((
                VerifiedPath { chain: Vec::new() },
                more.into_iter().collect(),
            ));
        }
        let anchor_cert = match &anchor.cert {
            Some(der) => Some(Cert::parse(der.as_ref())?),
            None => None,
        };
        let mut more = Vec::new();
        if let Some(ac) = &anchor_cert {
            more = ac.common_problems(CertRole::TrustAnchor, self.strict());
            // A version 1 root (no extensions) is a bare name and key.
            if !ac.x509.extensions().is_empty() {
                more.extend(ac.issuer_problems(self.strict()));
            }
            more.extend(ac.check_validity(CertRole::TrustAnchor, self.req.now).err());
            more.extend(
                ac.check_purpose(CertRole::TrustAnchor, self.req.purpose.oid())
                    .err(),
            );
        } else if let Err(e) = &anchor.key {
            return Err(signature_error(e.clone(), child, anchor.subject()));
        }
        self.check_signature(child, IssuerKey::Der(&anchor.spki), || {
            anchor.subject().to_string()
        })?;
        more.extend(self.validate_path(path, anchor, anchor_cert.as_ref()).err());
        if !self.describe || !more.is_empty() {
            return Ok((VerifiedPath { chain: Vec::new() }, more));
        }
        let mut chain: Vec<ChainEntry> = path
            .iter()
            .enumerate()
            .map(|(i, c)| {
                describe(
                    c,
                    if i == 0 {
                        CertRole::EndEntity
                    } else {
                        CertRole::Intermediate
                    },
                )
            })
            .collect();
        chain.push(anchor_entry(anchor, anchor_cert.as_ref()));
        Ok((VerifiedPath { chain }, more))
    }

    /// RFC 5280, 6.1.3 and 6.1.4 over a complete path: path length, name
    /// constraints, distrust rules, revocation.
    fn validate_path(
        &mut self,
        path: &[&Cert<'a>],
        anchor: &TrustAnchor,
        anchor_cert: Option<&Cert<'_>>,
    ) -> Result<(), CertificateError> {
        // 6.1.4 (l), (m): pathLenConstraint, counting non-self-issued intermediates.
        let mut remaining: Option<(u32, String)> = anchor_cert.and_then(|a| {
            a.basic
                .and_then(|(_, len, _)| len)
                .map(|l| (l, a.subject_dn().to_string()))
        });
        for ca in path.iter().skip(1).rev() {
            if !ca.self_issued() {
                if let Some((n, who)) = &mut remaining {
                    if *n == 0 {
                        return Err(CertificateError::PathLenExceeded {
                            ca: who.clone(),
                            path_len: path_len_of(path, anchor_cert, who),
                        });
                    }
                    *n -= 1;
                }
            }
            if let Some((_, Some(len), _)) = ca.basic {
                if remaining.as_ref().is_none_or(|(n, _)| len < *n) {
                    remaining = Some((len, ca.subject_dn().to_string()));
                }
            }
        }

        // 6.1.3 (b), (c) and 6.1.4 (g): name constraints, from the anchor down.
        let mut sources: Vec<(usize, Constraints<'_>)> = Vec::new();
        match (anchor_cert, &anchor.name_constraints) {
            (Some(ac), _) => {
                if let Some(c) = cert_constraints(ac) {
                    sources.push((path.len(), c));
                }
            }
            (None, Some(der)) => {
                sources.push((path.len(), anchor_constraints(anchor.subject(), der)?))
            }
            (None, None) => {}
        }
        for (i, ca) in path.iter().enumerate().skip(1) {
            if let Some(c) = cert_constraints(ca) {
                sources.push((i, c));
            }
        }
        for (pos, constraints) in &sources {
            for (i, cert) in path.iter().enumerate().take(*pos) {
                // Self-issued intermediates are exempt (6.1.3 (b)); the end entity never is.
                if i > 0 && cert.self_issued() {
                    continue;
                }
                self.check_constraints(cert, constraints)?;
            }
        }

        // Distrust-after rules (Symantec): by the end entity's notBefore.
        if self.v.policy.apply_distrust {
            if let (Some(rule), Some(leaf)) = (&anchor.distrust, path.first()) {
                let exempt = path
                    .iter()
                    .skip(1)
                    .any(|c| super::distrust::exempt_spki(c.spki()));
                if !exempt && leaf.not_before() > rule.after {
                    return Err(CertificateError::Distrusted {
                        subject: leaf.name().to_string(),
                        root: anchor.subject().to_string(),
                        not_before: leaf.not_before(),
                        distrust_after: rule.after,
                        rule: rule.reason.clone(),
                    });
                }
            }
        }

        // Revocation: each certificate against its issuer's CRLs; the end entity
        // also against the stapled OCSP response. Nothing to check without either.
        if self.crls.is_empty() && self.req.ocsp_response.is_none() {
            return Ok(());
        }
        for (i, cert) in path.iter().enumerate() {
            let issuer = match path.get(i + 1) {
                Some(c) => revocation::Issuer {
                    subject_raw: c.subject_raw(),
                    spki: c.spki(),
                    name: c.subject_dn(),
                    key_usage: c.key_usage,
                },
                None => revocation::Issuer {
                    subject_raw: &anchor.subject,
                    spki: &anchor.spki,
                    name: anchor.subject(),
                    key_usage: anchor_cert.and_then(|a| a.key_usage),
                },
            };
            revocation::check_crls(self.crls, cert, &issuer, self.req.now)?;
            if i == 0 {
                if let Some(resp) = self.req.ocsp_response {
                    revocation::check_ocsp(resp, cert, &issuer, self.req.now)?;
                }
            }
        }
        Ok(())
    }

    fn check_constraints(
        &mut self,
        cert: &Cert<'_>,
        c: &Constraints<'_>,
    ) -> Result<(), CertificateError> {
        let subject_dn = GeneralName::DirectoryName(cert.x509.subject().clone());
        let has_subject = cert.x509.subject().iter_rdn().next().is_some();
        let mut names: Vec<&GeneralName<'_>> = cert.san.iter().flatten().collect();
        if has_subject {
            names.push(&subject_dn);
        }
        let work = names
            .len()
            .saturating_mul(c.permitted.len() + c.excluded.len());
        self.nc_checks = self.nc_checks.saturating_add(work);
        if self.nc_checks > self.v.policy.max_name_constraint_checks {
            let e = CertificateError::TooComplex {
                subject: cert.subject_dn().to_string(),
                what: "name-constraint comparisons",
                limit: self.v.policy.max_name_constraint_checks,
            };
            self.exhausted.get_or_insert(e.clone());
            return Err(e);
        }
        for name in names {
            let violation = |excluded: bool, list: &[GeneralName<'_>]| {
                CertificateError::NameConstraintViolation {
                    subject: cert.subject_dn().to_string(),
                    name: general_name_to_string(name),
                    ca: c.ca.clone(),
                    excluded,
                    constraints: list
                        .iter()
                        .filter(|b| names::same_type(name, b))
                        .map(general_name_to_string)
                        .collect(),
                }
            };
            let valid = names::valid_presented(name);
            for base in c.excluded.iter().filter(|b| names::same_type(name, b)) {
                if !valid || names::in_subtree(name, base, true) {
                    return Err(violation(true, &c.excluded));
                }
            }
            let mut of_type = c
                .permitted
                .iter()
                .filter(|b| names::same_type(name, b))
                .peekable();
            if of_type.peek().is_some()
                && !(valid && of_type.any(|b| names::in_subtree(name, b, false)))
            {
                return Err(violation(false, &c.permitted));
            }
        }
        Ok(())
    }

    /// The error for a search that found no clean path: every problem of the best
    /// complete path, or else why each candidate path stopped, with `found`, the
    /// end entity's own problems.
    fn into_error(mut self, leaf: &Cert<'_>, found: Vec<CertificateError>) -> CertificateError {
        if let Some(best) = self.best.take() {
            return problems::compose(best).unwrap_or(CertificateError::Empty);
        }
        let leaf_only = found.get(..self.leaf_problems).unwrap_or_default();
        if let Some(e) = self.exhausted.take() {
            return after(leaf_only, e);
        }
        // The same reason reached by several routes is reported once.
        let mut unique: Vec<RejectedPath> = Vec::new();
        for f in self.failures {
            if !unique.iter().any(|u| u.error == f.error) {
                unique.push(f);
            }
        }
        let stop = match unique.len() {
            0 => CertificateError::UnknownIssuer {
                role: CertRole::EndEntity,
                subject: leaf.subject_dn().to_string(),
                issuer: leaf.issuer_dn().to_string(),
                intermediates_sent: self.req.intermediates.len(),
                from_client: self.req.purpose == Purpose::ClientAuth,
            },
            1 => unique.remove(0).error,
            _ => {
                unique.truncate(MAX_REPORTED_PATHS);
                CertificateError::NoValidPath {
                    subject: leaf.name().to_string(),
                    attempts: unique,
                }
            }
        };
        after(leaf_only, stop)
    }
}

fn path_len_of(path: &[&Cert<'_>], anchor: Option<&Cert<'_>>, who: &str) -> u32 {
    path.iter()
        .copied()
        .chain(anchor)
        .find(|c| c.subject_dn() == who)
        .and_then(|c| c.basic.and_then(|(_, l, _)| l))
        .unwrap_or(0)
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
