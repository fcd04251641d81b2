//! Path building (RFC 5280, 6.1; RFC 4158's depth-first search): from the end
//! entity through the candidate issuers towards a trust anchor, within work
//! bounds, validating each complete path and keeping every problem found for the
//! error.

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;

use super::anchors::RootStore;
use super::anchors::TrustAnchor;
use super::cert::Cert;
use super::names::{self, general_name_to_string};
use super::path::{anchor_entry, describe, ChainEntry, Policy, Purpose, Request, VerifiedPath};
use super::problems::{self, Precedence};
use super::revocation;
use crate::crypto::sign::{
    cert_signature_algorithm_name, verify_cert_signature, verify_cert_signature_spki,
    CertSignatureError,
};
use crate::error::{CertRole, CertificateError, RejectedPath};

/// Hard bound on the certificates in one path, whatever the policy says.
const MAX_PATH_CERTS: usize = 12;
/// Hard bound on search steps (candidate issuers considered).
const MAX_SEARCH_STEPS: usize = 2_000;
/// Hard bound on how many rejected paths an error lists.
const MAX_REPORTED_PATHS: usize = 8;

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

pub(super) struct Search<'s, 'c, 'a> {
    roots: &'s RootStore,
    policy: &'s Policy,
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
    /// A search for `req` over the parsed intermediates and CRLs; `leaf_problems`
    /// counts the end entity's own problems, which start every path.
    pub(super) fn new(
        roots: &'s RootStore,
        policy: &'s Policy,
        req: &'s Request<'a>,
        inter: &'c [Cert<'a>],
        crls: &'s [revocation::Crl<'s>],
        describe: bool,
        leaf_problems: usize,
    ) -> Self {
        Search {
            roots,
            policy,
            req,
            inter,
            crls,
            sigs: 0,
            steps: 0,
            nc_checks: 0,
            leaf_problems,
            failures: Vec::new(),
            best: None,
            exhausted: None,
            describe,
        }
    }

    fn strict(&self) -> bool {
        self.policy.strict_rfc5280
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
        if self.sigs >= self.policy.max_signature_checks {
            let e = CertificateError::TooComplex {
                subject: child.subject_dn().to_string(),
                what: "signature checks",
                limit: self.policy.max_signature_checks,
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
    pub(super) fn dfs(
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
        let roots = self.roots;
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
            .unwrap_or(self.policy.max_intermediates);
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
        if self.policy.apply_distrust {
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
        if self.nc_checks > self.policy.max_name_constraint_checks {
            let e = CertificateError::TooComplex {
                subject: cert.subject_dn().to_string(),
                what: "name-constraint comparisons",
                limit: self.policy.max_name_constraint_checks,
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
    pub(super) fn into_error(
        mut self,
        leaf: &Cert<'_>,
        found: Vec<CertificateError>,
    ) -> CertificateError {
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

fn signature_error(e: CertSignatureError, child: &Cert<'_>, issuer: &str) -> CertificateError {
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
