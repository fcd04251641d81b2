//! One parsed certificate with the fields path validation needs: the DER read once,
//! its extensions decoded and checked for well-formedness (RFC 5280, 4.1 and 4.2).
//! The checks path validation asks of a single certificate are in `checks`.

use std::cell::OnceCell;

use x509_parser::certificate::X509CertificateParser;
use x509_parser::extensions::{
    AuthorityInfoAccess, AuthorityKeyIdentifier, BasicConstraints, CRLDistributionPoints,
    ExtendedKeyUsage, GeneralName, GeneralSubtree, KeyIdentifier, KeyUsage, NameConstraints,
    ParsedExtension, SubjectAlternativeName, X509Extension,
};
use x509_parser::nom::Parser;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::names::{self, dn_to_string, general_name_to_string};
use crate::error::CertificateError;

mod checks;

pub(crate) const OID_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
pub(crate) const OID_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
pub(crate) const OID_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

/// Extension OIDs as their DER contents, compared without making dotted text.
mod ext_oid {
    pub const SUBJECT_KEY_ID: &[u8] = &[0x55, 0x1d, 0x0e];
    pub const KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
    pub const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
    pub const ISSUER_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x12];
    pub const BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
    pub const CRL_NUMBER: &[u8] = &[0x55, 0x1d, 0x14];
    pub const REASON_CODE: &[u8] = &[0x55, 0x1d, 0x15];
    pub const ISSUING_DISTRIBUTION_POINT: &[u8] = &[0x55, 0x1d, 0x1c];
    pub const NAME_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x1e];
    pub const CRL_DISTRIBUTION_POINTS: &[u8] = &[0x55, 0x1d, 0x1f];
    pub const CERTIFICATE_POLICIES: &[u8] = &[0x55, 0x1d, 0x20];
    pub const POLICY_MAPPINGS: &[u8] = &[0x55, 0x1d, 0x21];
    pub const AUTHORITY_KEY_ID: &[u8] = &[0x55, 0x1d, 0x23];
    pub const POLICY_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x24];
    pub const EXTENDED_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
    pub const INHIBIT_ANY_POLICY: &[u8] = &[0x55, 0x1d, 0x36];
    /// 1.3.6.1.5.5.7.1.1
    pub const AUTHORITY_INFO_ACCESS: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01];
    /// 1.3.6.1.5.5.7.1.24 (RFC 7633)
    pub const TLS_FEATURE: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x18];
}

/// keyUsage bits (RFC 5280, 4.2.1.3), as x509-parser numbers them.
pub(crate) const KU_KEY_CERT_SIGN: u16 = 1 << 5;
pub(crate) const KU_CRL_SIGN: u16 = 1 << 6;

/// A certificate parsed once, borrowing its DER.
pub(crate) struct Cert<'a> {
    /// The signed TBSCertificate, the outer signatureAlgorithm, the signature bits.
    pub tbs: &'a [u8],
    pub sig_alg: &'a [u8],
    pub signature: &'a [u8],
    tbs_sig_alg: &'a [u8],
    pub x509: X509Certificate<'a>,
    /// The subject and issuer DNs as text, made on first use (only messages need them).
    subject_dn: OnceCell<String>,
    issuer_dn: OnceCell<String>,
    pub basic: Option<(bool, Option<u32>, bool)>,
    pub key_usage: Option<u16>,
    pub eku: Option<ExtendedKeyUsage<'a>>,
    pub san: Option<Vec<GeneralName<'a>>>,
    pub nc: Option<(Vec<GeneralSubtree<'a>>, Vec<GeneralSubtree<'a>>)>,
    pub ski: Option<&'a [u8]>,
    pub aki_key_id: Option<&'a [u8]>,
    pub must_staple: bool,
    /// The first problem found while reading the extensions; reported when the
    /// certificate is used.
    pub problem: Option<CertificateError>,
    /// The first breach of an RFC 5280 encoding rule that no browser enforces
    /// (extension criticality, authorityKeyIdentifier form); reported only by the
    /// strict profile (`Policy::strict_rfc5280`).
    pub pedantic: Option<CertificateError>,
}

impl<'a> Cert<'a> {
    /// Parses strictly: the DER must be exactly one certificate. x509-parser reads
    /// the structure; `read_extensions` reads the extensions.
    pub fn parse(der: &'a [u8]) -> Result<Self, CertificateError> {
        let (rest, x509) = X509CertificateParser::new()
            .with_deep_parse_extensions(false)
            .parse(der)
            .map_err(|e| CertificateError::BadEncoding {
                reason: e.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(CertificateError::BadEncoding {
                reason: format!("{} bytes follow the certificate", rest.len()),
            });
        }
        let malformed = || CertificateError::BadEncoding {
            reason: "the certificate's outer structure is not strict DER".to_string(),
        };
        let (tbs, sig_alg, signature) = super::der::signed_parts(der).ok_or_else(malformed)?;
        let tbs_sig_alg = super::der::tbs_signature_alg(tbs.content).ok_or_else(malformed)?;
        let mut cert = Cert {
            tbs: tbs.raw,
            sig_alg: sig_alg.raw,
            signature,
            tbs_sig_alg,
            subject_dn: OnceCell::new(),
            issuer_dn: OnceCell::new(),
            basic: None,
            key_usage: None,
            eku: None,
            san: None,
            nc: None,
            ski: None,
            aki_key_id: None,
            must_staple: false,
            problem: None,
            pedantic: None,
            x509,
        };
        cert.read_extensions();
        Ok(cert)
    }

    /// The subject DN as text ("CN=example.com, O=Example").
    pub fn subject_dn(&self) -> &str {
        self.subject_dn
            .get_or_init(|| dn_to_string(self.x509.subject()))
    }

    pub fn issuer_dn(&self) -> &str {
        self.issuer_dn
            .get_or_init(|| dn_to_string(self.x509.issuer()))
    }

    /// Subject for messages: the first DNS SAN, else the subject DN.
    pub fn name(&self) -> &str {
        let first_dns = self.san.iter().flatten().find_map(|n| match n {
            GeneralName::DNSName(d) => Some(*d),
            _ => None,
        });
        match first_dns {
            Some(d) => d,
            None => self.subject_dn(),
        }
    }

    fn invalid(&self, extension: &'static str, reason: impl Into<String>) -> CertificateError {
        CertificateError::InvalidExtension {
            subject: self.subject_dn().to_string(),
            extension,
            reason: reason.into(),
        }
    }

    /// Reads the extensions path validation uses with x509-parser's parser for each,
    /// and has x509-parser read every other one in full, so that a malformed or
    /// misplaced extension is found whatever it is (RFC 5280, 4.2).
    fn read_extensions(&mut self) {
        let mut problem = None;
        let mut note = |p: CertificateError| {
            problem.get_or_insert(p);
        };
        let mut pedantic = None;
        let mut pedantic_note = |p: CertificateError| {
            pedantic.get_or_insert(p);
        };
        let subject_empty = self.x509.subject().iter_rdn().next().is_none();
        let exts = self.x509.extensions();
        for (i, ext) in exts.iter().enumerate() {
            if exts.iter().skip(i + 1).any(|e| e.oid == ext.oid) {
                note(self.invalid(
                    extension_name(ext.oid.as_bytes()),
                    "it appears more than once (RFC 5280, 4.2)",
                ));
            }
        }
        for ext in exts {
            let value = ext.value;
            // A known extension that does not parse falls through to the full
            // reading below, which reports x509-parser's reason.
            match ext.oid.as_bytes() {
                ext_oid::BASIC_CONSTRAINTS => {
                    if let Ok((_, bc)) = BasicConstraints::from_der(value) {
                        self.basic = Some((bc.ca, bc.path_len_constraint, ext.critical));
                        if !bc.ca && bc.path_len_constraint.is_some() {
                            pedantic_note(self.invalid(
                                "basicConstraints",
                                "it sets pathLenConstraint without cA (RFC 5280, 4.2.1.9)",
                            ));
                        }
                        continue;
                    }
                }
                ext_oid::KEY_USAGE => {
                    if let Ok((_, ku)) = KeyUsage::from_der(value) {
                        self.key_usage = Some(ku.flags);
                        if ku.flags == 0 {
                            note(self.invalid("keyUsage", "no bit is set (RFC 5280, 4.2.1.3)"));
                        }
                        continue;
                    }
                }
                ext_oid::EXTENDED_KEY_USAGE => {
                    if let Ok((_, eku)) = ExtendedKeyUsage::from_der(value) {
                        if eku_is_empty(&eku) {
                            note(self.invalid(
                                "extendedKeyUsage",
                                "it lists no purpose (RFC 5280, 4.2.1.12 requires at least one)",
                            ));
                        }
                        self.eku = Some(eku);
                        continue;
                    }
                }
                ext_oid::SUBJECT_ALT_NAME => {
                    if let Ok((_, san)) = SubjectAlternativeName::from_der(value) {
                        if san
                            .general_names
                            .iter()
                            .any(|n| matches!(n, GeneralName::IPAddress(ip) if ip.len() != 4 && ip.len() != 16))
                        {
                            note(self.invalid(
                                "subjectAltName",
                                "an iPAddress entry is not 4 or 16 bytes (RFC 5280, 4.2.1.6)",
                            ));
                        }
                        if san.general_names.is_empty() {
                            note(self.invalid("subjectAltName", "it is empty (RFC 5280, 4.2.1.6)"));
                        }
                        if subject_empty && !ext.critical {
                            pedantic_note(self.invalid(
                                "subjectAltName",
                                "the subject is empty, so it must be critical (RFC 5280, 4.2.1.6)",
                            ));
                        }
                        if !subject_empty && ext.critical {
                            pedantic_note(self.invalid(
                                "subjectAltName",
                                "it is critical although the subject is not empty (RFC 5280, 4.2.1.6)",
                            ));
                        }
                        self.san = Some(san.general_names);
                        continue;
                    }
                }
                ext_oid::NAME_CONSTRAINTS => {
                    if let Ok((_, nc)) = NameConstraints::from_der(value) {
                        let permitted = nc.permitted_subtrees.unwrap_or_default();
                        let excluded = nc.excluded_subtrees.unwrap_or_default();
                        if permitted.is_empty() && excluded.is_empty() {
                            note(self.invalid(
                                "nameConstraints",
                                "it has neither permitted nor excluded subtrees (RFC 5280, 4.2.1.10)",
                            ));
                        }
                        for s in permitted.iter().chain(&excluded) {
                            if let Some(why) = names::invalid_subtree(&s.base) {
                                note(self.invalid(
                                    "nameConstraints",
                                    format!(
                                        "it contains {why}: {}",
                                        general_name_to_string(&s.base)
                                    ),
                                ));
                            }
                        }
                        self.nc = Some((permitted, excluded));
                        continue;
                    }
                }
                ext_oid::SUBJECT_KEY_ID => {
                    if let Ok((_, ki)) = KeyIdentifier::from_der(value) {
                        self.ski = Some(ki.0);
                        if ext.critical {
                            pedantic_note(self.invalid(
                                "subjectKeyIdentifier",
                                "it is critical (RFC 5280, 4.2.1.2 requires non-critical)",
                            ));
                        }
                        continue;
                    }
                }
                ext_oid::AUTHORITY_KEY_ID => {
                    if let Ok((_, aki)) = AuthorityKeyIdentifier::from_der(value) {
                        self.aki_key_id = aki.key_identifier.as_ref().map(|k| k.0);
                        if ext.critical {
                            pedantic_note(self.invalid(
                                "authorityKeyIdentifier",
                                "it is critical (RFC 5280, 4.2.1.1 requires non-critical)",
                            ));
                        }
                        if aki.key_identifier.is_none() {
                            pedantic_note(self.invalid(
                                "authorityKeyIdentifier",
                                "it lacks keyIdentifier (RFC 5280, 4.2.1.1)",
                            ));
                        }
                        if aki.authority_cert_issuer.is_some()
                            || aki.authority_cert_serial.is_some()
                        {
                            pedantic_note(self.invalid(
                                "authorityKeyIdentifier",
                                "it carries authorityCertIssuer or authorityCertSerialNumber (CA/Browser Forum BR 7.1.2)",
                            ));
                        }
                        continue;
                    }
                }
                ext_oid::AUTHORITY_INFO_ACCESS if AuthorityInfoAccess::from_der(value).is_ok() => {
                    if ext.critical {
                        note(self.invalid(
                            "authorityInfoAccess",
                            "it is critical (RFC 5280, 4.2.2.1 requires non-critical)",
                        ));
                    }
                    continue;
                }
                ext_oid::CRL_DISTRIBUTION_POINTS
                    if CRLDistributionPoints::from_der(value).is_ok() =>
                {
                    continue;
                }
                ext_oid::TLS_FEATURE => {
                    // RFC 7633: understood (x509-parser does not know it), so it may be critical.
                    self.must_staple = tls_feature_has_status_request(value);
                    continue;
                }
                _ => {}
            }
            if let Some(p) = self.other_extension_problem(ext) {
                note(p);
            }
        }
        self.problem = problem;
        self.pedantic = pedantic;
    }

    /// What is wrong with an extension that `read_extensions` does not read itself,
    /// going by x509-parser's full reading of it.
    fn other_extension_problem(&self, ext: &X509Extension<'_>) -> Option<CertificateError> {
        let name = || extension_name(ext.oid.as_bytes());
        let der = encode_extension(ext);
        let full = match X509Extension::from_der(&der) {
            Ok((_, full)) => full,
            Err(e) => return Some(self.invalid(name(), format!("it does not parse ({e})"))),
        };
        match full.parsed_extension() {
            ParsedExtension::ParseError { error } => {
                Some(self.invalid(name(), format!("it does not parse ({error})")))
            }
            ParsedExtension::AuthorityInfoAccess(_) if ext.critical => Some(self.invalid(
                "authorityInfoAccess",
                "it is critical (RFC 5280, 4.2.2.1 requires non-critical)",
            )),
            ParsedExtension::PolicyConstraints(_) if !ext.critical => Some(self.invalid(
                "policyConstraints",
                "it is not critical (RFC 5280, 4.2.1.11 requires critical)",
            )),
            ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::Unparsed => {
                if !ext.critical {
                    return None;
                }
                let oid = ext.oid.to_id_string();
                if KNOWN_UNPARSED.contains(&oid.as_str()) {
                    return None;
                }
                Some(CertificateError::UnknownCriticalExtension {
                    subject: self.subject_dn().to_string(),
                    oid,
                })
            }
            ParsedExtension::CRLNumber(_)
            | ParsedExtension::ReasonCode(_)
            | ParsedExtension::InvalidityDate(_)
            | ParsedExtension::IssuingDistributionPoint(_) => {
                Some(self.invalid(name(), "it belongs in a CRL, not in a certificate"))
            }
            // Understood (or safely ignorable when critical: policies are not
            // processed, RFC 5280, 6.1 with any-policy as the user set).
            _ => None,
        }
    }

    pub fn subject_raw(&self) -> &'a [u8] {
        self.x509.tbs_certificate.subject.as_raw()
    }

    pub fn issuer_raw(&self) -> &'a [u8] {
        self.x509.tbs_certificate.issuer.as_raw()
    }

    pub fn spki(&self) -> &'a [u8] {
        self.x509.tbs_certificate.subject_pki.raw
    }

    pub fn self_issued(&self) -> bool {
        self.subject_raw() == self.issuer_raw()
    }

    pub fn not_before(&self) -> i64 {
        self.x509.validity().not_before.timestamp()
    }

    pub fn not_after(&self) -> i64 {
        self.x509.validity().not_after.timestamp()
    }

    pub fn is_ca(&self) -> bool {
        matches!(self.basic, Some((true, _, _)))
    }
}

fn eku_is_empty(eku: &ExtendedKeyUsage<'_>) -> bool {
    !(eku.any
        || eku.server_auth
        || eku.client_auth
        || eku.code_signing
        || eku.email_protection
        || eku.time_stamping
        || eku.ocsp_signing)
        && eku.other.is_empty()
}

/// Critical extensions x509-parser leaves unparsed that we still handle.
const KNOWN_UNPARSED: &[&str] = &[];

fn extension_name(oid: &[u8]) -> &'static str {
    use ext_oid::*;
    match oid {
        BASIC_CONSTRAINTS => "basicConstraints",
        KEY_USAGE => "keyUsage",
        EXTENDED_KEY_USAGE => "extendedKeyUsage",
        SUBJECT_ALT_NAME => "subjectAltName",
        NAME_CONSTRAINTS => "nameConstraints",
        SUBJECT_KEY_ID => "subjectKeyIdentifier",
        AUTHORITY_KEY_ID => "authorityKeyIdentifier",
        AUTHORITY_INFO_ACCESS => "authorityInfoAccess",
        CRL_DISTRIBUTION_POINTS => "cRLDistributionPoints",
        CERTIFICATE_POLICIES => "certificatePolicies",
        POLICY_CONSTRAINTS => "policyConstraints",
        POLICY_MAPPINGS => "policyMappings",
        INHIBIT_ANY_POLICY => "inhibitAnyPolicy",
        ISSUER_ALT_NAME => "issuerAltName",
        CRL_NUMBER => "cRLNumber",
        REASON_CODE => "reasonCode",
        ISSUING_DISTRIBUTION_POINT => "issuingDistributionPoint",
        _ => "unrecognised",
    }
}

/// An extension re-encoded as `Extension ::= SEQUENCE { extnID, extnValue }`
/// (critical left out: x509-parser's reading of the value does not depend on it).
fn encode_extension(ext: &X509Extension<'_>) -> Vec<u8> {
    fn header_len(len: usize) -> usize {
        1 + match len {
            0..=0x7f => 1,
            0x80..=0xff => 2,
            0x100..=0xffff => 3,
            0x1_0000..=0xff_ffff => 4,
            _ => 5,
        }
    }
    fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
        out.push(tag);
        if len < 0x80 {
            out.extend_from_slice(&[len as u8]);
            return;
        }
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    let oid = ext.oid.as_bytes();
    let body = header_len(oid.len()) + oid.len() + header_len(ext.value.len()) + ext.value.len();
    let mut out = Vec::with_capacity(header_len(body) + body);
    push_header(&mut out, 0x30, body);
    push_header(&mut out, 0x06, oid.len());
    out.extend_from_slice(oid);
    push_header(&mut out, 0x04, ext.value.len());
    out.extend_from_slice(ext.value);
    out
}

/// RFC 7633, 4.1: TLS Feature is a SEQUENCE OF INTEGER; status_request is 5.
fn tls_feature_has_status_request(value: &[u8]) -> bool {
    use x509_parser::der_parser::ber::BerObjectContent;
    match x509_parser::der_parser::parse_der(value) {
        Ok((_, obj)) => match obj.content {
            BerObjectContent::Sequence(items) => items
                .iter()
                .any(|i| i.as_u32().map(|v| v == 5).unwrap_or(false)),
            _ => false,
        },
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CertRole;
    use rcgen::{CertificateParams, CustomExtension, KeyPair};
    use x509_parser::oid_registry as reg;

    /// A self-signed certificate for a.example with the extra extensions given.
    fn cert_with(extensions: &[(&[u64], Vec<u8>, bool)]) -> Vec<u8> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = CertificateParams::new(vec!["a.example".into()]).unwrap();
        for (oid, content, critical) in extensions {
            let mut ext = CustomExtension::from_oid_content(oid, content.clone());
            ext.set_criticality(*critical);
            params.custom_extensions.push(ext);
        }
        params.self_signed(&key).unwrap().der().to_vec()
    }

    /// The first problem `read_extensions` found, as text.
    fn problem(der: &[u8]) -> Option<String> {
        Cert::parse(der).unwrap().problem.map(|p| p.to_string())
    }

    /// x509-parser's own reason for an extension of `der` that does not parse.
    fn full_parse_error(der: &[u8], oid: &[u8]) -> String {
        let (_, x509) = X509Certificate::from_der(der).unwrap();
        let ext = x509
            .extensions()
            .iter()
            .find(|e| e.oid.as_bytes() == oid)
            .unwrap();
        match ext.parsed_extension() {
            ParsedExtension::ParseError { error } => error.to_string(),
            other => panic!("parsed: {other:?}"),
        }
    }

    #[test]
    fn extension_oids_are_the_registry_ones() {
        let pairs: [(&[u8], reg::Oid<'static>); 18] = [
            (
                ext_oid::SUBJECT_KEY_ID,
                reg::OID_X509_EXT_SUBJECT_KEY_IDENTIFIER,
            ),
            (ext_oid::KEY_USAGE, reg::OID_X509_EXT_KEY_USAGE),
            (
                ext_oid::SUBJECT_ALT_NAME,
                reg::OID_X509_EXT_SUBJECT_ALT_NAME,
            ),
            (ext_oid::ISSUER_ALT_NAME, reg::OID_X509_EXT_ISSUER_ALT_NAME),
            (
                ext_oid::BASIC_CONSTRAINTS,
                reg::OID_X509_EXT_BASIC_CONSTRAINTS,
            ),
            (ext_oid::CRL_NUMBER, reg::OID_X509_EXT_CRL_NUMBER),
            (ext_oid::REASON_CODE, reg::OID_X509_EXT_REASON_CODE),
            (
                ext_oid::ISSUING_DISTRIBUTION_POINT,
                reg::OID_X509_EXT_ISSUER_DISTRIBUTION_POINT,
            ),
            (
                ext_oid::NAME_CONSTRAINTS,
                reg::OID_X509_EXT_NAME_CONSTRAINTS,
            ),
            (
                ext_oid::CRL_DISTRIBUTION_POINTS,
                reg::OID_X509_EXT_CRL_DISTRIBUTION_POINTS,
            ),
            (
                ext_oid::CERTIFICATE_POLICIES,
                reg::OID_X509_EXT_CERTIFICATE_POLICIES,
            ),
            (ext_oid::POLICY_MAPPINGS, reg::OID_X509_EXT_POLICY_MAPPINGS),
            (
                ext_oid::AUTHORITY_KEY_ID,
                reg::OID_X509_EXT_AUTHORITY_KEY_IDENTIFIER,
            ),
            (
                ext_oid::POLICY_CONSTRAINTS,
                reg::OID_X509_EXT_POLICY_CONSTRAINTS,
            ),
            (
                ext_oid::EXTENDED_KEY_USAGE,
                reg::OID_X509_EXT_EXTENDED_KEY_USAGE,
            ),
            (
                ext_oid::INHIBIT_ANY_POLICY,
                reg::OID_X509_EXT_INHIBIT_ANY_POLICY,
            ),
            (
                ext_oid::AUTHORITY_INFO_ACCESS,
                reg::OID_PKIX_AUTHORITY_INFO_ACCESS,
            ),
            (
                ext_oid::TLS_FEATURE,
                reg::Oid::from(&[1, 3, 6, 1, 5, 5, 7, 1, 24]).unwrap(),
            ),
        ];
        for (bytes, oid) in pairs {
            assert_eq!(bytes, oid.as_bytes(), "{oid}");
        }
    }

    #[test]
    fn reencoded_extensions_read_back() {
        for len in [0, 1, 127, 128, 255, 256, 65_535, 65_536] {
            let value = vec![0x5a; len];
            for critical in [false, true] {
                let ext = X509Extension::new(
                    reg::OID_X509_EXT_CERTIFICATE_POLICIES,
                    critical,
                    &value,
                    ParsedExtension::Unparsed,
                );
                let der = encode_extension(&ext);
                let (rest, back) = X509Extension::from_der(&der).unwrap();
                assert!(rest.is_empty());
                assert_eq!(back.oid, ext.oid);
                assert_eq!(back.value, ext.value, "{len}");
            }
        }
    }

    #[test]
    fn malformed_extensions_report_x509_parsers_reason() {
        // basicConstraints read by its own parser, certificatePolicies by the full reading.
        for (oid, bytes, name) in [
            (
                &[2u64, 5, 29, 19][..],
                ext_oid::BASIC_CONSTRAINTS,
                "basicConstraints",
            ),
            (&[2, 5, 29, 15], ext_oid::KEY_USAGE, "keyUsage"),
            (
                &[2, 5, 29, 37],
                ext_oid::EXTENDED_KEY_USAGE,
                "extendedKeyUsage",
            ),
            (
                &[2, 5, 29, 35],
                ext_oid::AUTHORITY_KEY_ID,
                "authorityKeyIdentifier",
            ),
            (
                &[2, 5, 29, 32],
                ext_oid::CERTIFICATE_POLICIES,
                "certificatePolicies",
            ),
            (
                &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                ext_oid::AUTHORITY_INFO_ACCESS,
                "authorityInfoAccess",
            ),
        ] {
            let der = cert_with(&[(oid, vec![0x02, 0x01], false)]);
            let reason = full_parse_error(&der, bytes);
            assert_eq!(
                problem(&der).unwrap(),
                format!("CN=rcgen self signed cert has an invalid {name} extension: it does not parse ({reason})")
            );
        }
    }

    #[test]
    fn misplaced_and_unknown_extensions_are_refused() {
        let crl_number = cert_with(&[(&[2, 5, 29, 20], vec![0x02, 0x01, 0x07], false)]);
        assert_eq!(
            problem(&crl_number).unwrap(),
            "CN=rcgen self signed cert has an invalid cRLNumber extension: it belongs in a CRL, not in a certificate"
        );
        let unknown = cert_with(&[(&[1, 2, 3, 4], vec![0x05, 0x00], true)]);
        assert_eq!(
            problem(&unknown).unwrap(),
            "CN=rcgen self signed cert has a critical extension 1.2.3.4 that ferrotls does not understand, so it must be rejected (RFC 5280, 4.2)"
        );
        assert_eq!(
            problem(&cert_with(&[(&[1, 2, 3, 4], vec![0x05, 0x00], false)])),
            None
        );
        // policyConstraints must be critical (RFC 5280, 4.2.1.11); requireExplicitPolicy 0.
        let pc = vec![0x30, 0x03, 0x80, 0x01, 0x00];
        assert_eq!(
            problem(&cert_with(&[(&[2, 5, 29, 36], pc.clone(), true)])),
            None
        );
        assert_eq!(
            problem(&cert_with(&[(&[2, 5, 29, 36], pc, false)])).unwrap(),
            "CN=rcgen self signed cert has an invalid policyConstraints extension: it is not critical (RFC 5280, 4.2.1.11 requires critical)"
        );
        // TLS Feature with status_request (RFC 7633) is understood, even critical.
        let staple = cert_with(&[(
            &[1, 3, 6, 1, 5, 5, 7, 1, 24],
            vec![0x30, 0x03, 0x02, 0x01, 0x05],
            true,
        )]);
        let c = Cert::parse(&staple).unwrap();
        assert!(c.must_staple && c.problem.is_none());
    }

    #[test]
    fn extended_key_usage_purposes() {
        // serverAuth and 1.2.3.4.
        let eku = vec![
            0x30, 0x0f, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x06, 0x03,
            0x2a, 0x03, 0x04,
        ];
        let der = cert_with(&[(&[2, 5, 29, 37], eku, false)]);
        let c = Cert::parse(&der).unwrap();
        assert!(c.problem.is_none());
        assert!(c
            .check_purpose(CertRole::EndEntity, OID_SERVER_AUTH)
            .is_ok());
        assert!(c.has_purpose("1.2.3.4") && !c.has_purpose(OID_OCSP_SIGNING));
        assert_eq!(
            c.check_purpose(CertRole::EndEntity, OID_CLIENT_AUTH)
                .unwrap_err()
                .to_string(),
            "certificate a.example is not valid for TLS client authentication (clientAuth): its extendedKeyUsage allows only TLS server authentication (serverAuth), 1.2.3.4"
        );
        let empty = cert_with(&[(&[2, 5, 29, 37], vec![0x30, 0x00], false)]);
        assert_eq!(
            problem(&empty).unwrap(),
            "CN=rcgen self signed cert has an invalid extendedKeyUsage extension: it lists no purpose (RFC 5280, 4.2.1.12 requires at least one)"
        );
    }
}
