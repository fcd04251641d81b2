//! What a verification is asked and what it returns: the purpose, the name, the
//! policy, the request, and the described path.

use std::net::IpAddr;

use rustls_pki_types::ServerName;

use super::anchors::TrustAnchor;
use super::cert::{Cert, OID_CLIENT_AUTH, OID_SERVER_AUTH};
use super::names::hex_colons;
use crate::crypto::sign::CertSignatureError;
use crate::error::{CertRole, CertificateError};

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
