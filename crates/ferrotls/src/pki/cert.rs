//! One parsed certificate with the fields path validation needs, and the checks
//! that concern a single certificate (RFC 5280, 4.1 and 4.2).

use std::borrow::Cow;
use std::cell::OnceCell;

use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::{GeneralName, GeneralSubtree, ParsedExtension};
use x509_parser::prelude::{AttributeTypeAndValue, FromDer, X509Certificate, X509Version};

use super::names::{self, dn_to_string, general_name_to_string};
use crate::crypto::sign::{check_cert_public_key, CertKey, CertSignatureError};
use crate::error::{CertRole, CertificateError};

pub(crate) const OID_SERVER_AUTH: &str = "1.3.6.1.5.5.7.3.1";
pub(crate) const OID_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
pub(crate) const OID_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
const OID_ANY_EKU: &str = "2.5.29.37.0";
const OID_TLS_FEATURE: &str = "1.3.6.1.5.5.7.1.24";

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
    /// Purpose OIDs, dotted; the common ones borrowed, others made from the DER.
    pub eku: Option<Vec<Cow<'static, str>>>,
    pub san: Option<Vec<GeneralName<'a>>>,
    pub nc: Option<(Vec<GeneralSubtree<'a>>, Vec<GeneralSubtree<'a>>)>,
    pub ski: Option<&'a [u8]>,
    pub aki_key_id: Option<&'a [u8]>,
    pub must_staple: bool,
    /// The first problem found while reading the extensions; reported when the
    /// certificate is used.
    pub problem: Option<CertificateError>,
}

impl<'a> Cert<'a> {
    /// Parses strictly: the DER must be exactly one certificate.
    pub fn parse(der: &'a [u8]) -> Result<Self, CertificateError> {
        let (rest, x509) =
            X509Certificate::from_der(der).map_err(|e| CertificateError::BadEncoding {
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

    fn read_extensions(&mut self) {
        let mut problem = None;
        let subject_empty = self.x509.subject().iter_rdn().next().is_none();
        let exts = self.x509.extensions();
        for (i, ext) in exts.iter().enumerate() {
            if exts.iter().skip(i + 1).any(|e| e.oid == ext.oid) {
                problem.get_or_insert(self.invalid(
                    extension_name(&ext.oid.to_id_string()),
                    "it appears more than once (RFC 5280, 4.2)",
                ));
            }
        }
        for ext in exts {
            // The dotted OID text is made only where a message or lookup needs it.
            let oid = || ext.oid.to_id_string();
            let mut note = |p: CertificateError| {
                problem.get_or_insert(p);
            };
            match ext.parsed_extension() {
                ParsedExtension::ParseError { error } => note(self.invalid(
                    extension_name(&oid()),
                    format!("it does not parse ({error})"),
                )),
                ParsedExtension::BasicConstraints(bc) => {
                    self.basic = Some((bc.ca, bc.path_len_constraint, ext.critical));
                    if !bc.ca && bc.path_len_constraint.is_some() {
                        note(self.invalid(
                            "basicConstraints",
                            "it sets pathLenConstraint without cA (RFC 5280, 4.2.1.9)",
                        ));
                    }
                }
                ParsedExtension::KeyUsage(ku) => {
                    self.key_usage = Some(ku.flags);
                    if ku.flags == 0 {
                        note(self.invalid("keyUsage", "no bit is set (RFC 5280, 4.2.1.3)"));
                    }
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    let mut list = Vec::new();
                    if eku.any {
                        list.push(Cow::Borrowed(OID_ANY_EKU));
                    }
                    if eku.server_auth {
                        list.push(Cow::Borrowed(OID_SERVER_AUTH));
                    }
                    if eku.client_auth {
                        list.push(Cow::Borrowed(OID_CLIENT_AUTH));
                    }
                    if eku.code_signing {
                        list.push(Cow::Borrowed("1.3.6.1.5.5.7.3.3"));
                    }
                    if eku.email_protection {
                        list.push(Cow::Borrowed("1.3.6.1.5.5.7.3.4"));
                    }
                    if eku.time_stamping {
                        list.push(Cow::Borrowed("1.3.6.1.5.5.7.3.8"));
                    }
                    if eku.ocsp_signing {
                        list.push(Cow::Borrowed(OID_OCSP_SIGNING));
                    }
                    list.extend(eku.other.iter().map(|o| Cow::Owned(o.to_id_string())));
                    if list.is_empty() {
                        note(self.invalid(
                            "extendedKeyUsage",
                            "it lists no purpose (RFC 5280, 4.2.1.12 requires at least one)",
                        ));
                    }
                    self.eku = Some(list);
                }
                ParsedExtension::SubjectAlternativeName(san) => {
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
                        note(self.invalid(
                            "subjectAltName",
                            "the subject is empty, so it must be critical (RFC 5280, 4.2.1.6)",
                        ));
                    }
                    if !subject_empty && ext.critical {
                        note(self.invalid(
                            "subjectAltName",
                            "it is critical although the subject is not empty (RFC 5280, 4.2.1.6)",
                        ));
                    }
                    self.san = Some(san.general_names.clone());
                }
                ParsedExtension::NameConstraints(nc) => {
                    let permitted = nc.permitted_subtrees.clone().unwrap_or_default();
                    let excluded = nc.excluded_subtrees.clone().unwrap_or_default();
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
                                format!("it contains {why}: {}", general_name_to_string(&s.base)),
                            ));
                        }
                    }
                    self.nc = Some((permitted, excluded));
                }
                ParsedExtension::SubjectKeyIdentifier(ki) => {
                    self.ski = Some(ki.0);
                    if ext.critical {
                        note(self.invalid(
                            "subjectKeyIdentifier",
                            "it is critical (RFC 5280, 4.2.1.2 requires non-critical)",
                        ));
                    }
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    self.aki_key_id = aki.key_identifier.as_ref().map(|k| k.0);
                    if ext.critical {
                        note(self.invalid(
                            "authorityKeyIdentifier",
                            "it is critical (RFC 5280, 4.2.1.1 requires non-critical)",
                        ));
                    }
                    if aki.key_identifier.is_none() {
                        note(self.invalid(
                            "authorityKeyIdentifier",
                            "it lacks keyIdentifier (RFC 5280, 4.2.1.1)",
                        ));
                    }
                    if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial.is_some() {
                        note(self.invalid(
                            "authorityKeyIdentifier",
                            "it carries authorityCertIssuer or authorityCertSerialNumber (CA/Browser Forum BR 7.1.2)",
                        ));
                    }
                }
                ParsedExtension::AuthorityInfoAccess(_) if ext.critical => note(self.invalid(
                    "authorityInfoAccess",
                    "it is critical (RFC 5280, 4.2.2.1 requires non-critical)",
                )),
                ParsedExtension::PolicyConstraints(_) if !ext.critical => note(self.invalid(
                    "policyConstraints",
                    "it is not critical (RFC 5280, 4.2.1.11 requires critical)",
                )),
                ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::Unparsed => {
                    let oid = oid();
                    if oid == OID_TLS_FEATURE {
                        // RFC 7633: a SEQUENCE OF INTEGER; 5 is status_request.
                        self.must_staple = tls_feature_has_status_request(ext.value);
                    } else if ext.critical && !KNOWN_UNPARSED.contains(&oid.as_str()) {
                        note(CertificateError::UnknownCriticalExtension {
                            subject: self.subject_dn().to_string(),
                            oid,
                        });
                    }
                }
                ParsedExtension::CRLNumber(_)
                | ParsedExtension::ReasonCode(_)
                | ParsedExtension::InvalidityDate(_)
                | ParsedExtension::IssuingDistributionPoint(_) => note(self.invalid(
                    extension_name(&oid()),
                    "it belongs in a CRL, not in a certificate",
                )),
                // Understood (or safely ignorable when critical: policies are not
                // processed, RFC 5280, 6.1 with any-policy as the user set).
                _ => {}
            }
        }
        self.problem = problem;
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

    /// RFC 5280, 6.1.3 (a)(2): notBefore <= now <= notAfter.
    pub fn check_validity(&self, role: CertRole, now: i64) -> Result<(), CertificateError> {
        if now < self.not_before() {
            return Err(CertificateError::NotYetValid {
                role,
                subject: self.name().to_string(),
                not_before: self.not_before(),
                now,
            });
        }
        if now > self.not_after() {
            return Err(CertificateError::Expired {
                role,
                subject: self.name().to_string(),
                not_after: self.not_after(),
                now,
            });
        }
        Ok(())
    }

    fn nonconforming(&self, rule: impl Into<String>) -> CertificateError {
        CertificateError::Nonconforming {
            subject: self.subject_dn().to_string(),
            rule: rule.into(),
        }
    }

    /// The checks every certificate in a path gets, whatever its position:
    /// version, serial, signature algorithm agreement, names, extensions, key.
    /// `strict` adds the RFC 5280 MUSTs that private PKIs often skip (AKI, SKI,
    /// critical basicConstraints).
    pub fn check_common(&self, role: CertRole, strict: bool) -> Result<(), CertificateError> {
        let tbs = &self.x509.tbs_certificate;
        // RFC 5280, 4.1.2.1: extensions need v3; we accept v3 only (v1 only for roots).
        let v3 = tbs.version() == X509Version::V3;
        if !(v3 || role == CertRole::TrustAnchor && tbs.extensions().is_empty()) {
            return Err(self.nonconforming(format!(
                "it is a version {} certificate; only version 3 is accepted",
                tbs.version().0 + 1
            )));
        }
        // RFC 5280, 4.1.2.2: a positive integer of at most 20 octets, minimally encoded.
        let serial = self.x509.raw_serial();
        match serial {
            [] => return Err(self.nonconforming("its serial number is empty")),
            [first, ..] if first & 0x80 != 0 => {
                return Err(self.nonconforming("its serial number is negative (RFC 5280, 4.1.2.2)"))
            }
            // Some long-trusted roots (Starfield G2) carry serial 0; a root's serial is never used.
            [0] if role != CertRole::TrustAnchor => {
                return Err(self.nonconforming("its serial number is zero (RFC 5280, 4.1.2.2)"))
            }
            [0, second, ..] if second & 0x80 == 0 => {
                return Err(self.nonconforming("its serial number is not minimally encoded (DER)"))
            }
            _ => {}
        }
        let magnitude = serial.strip_prefix(&[0]).unwrap_or(serial);
        if magnitude.len() > 20 {
            return Err(self.nonconforming(format!(
                "its serial number is {} octets long; at most 20 are allowed (RFC 5280, 4.1.2.2)",
                magnitude.len()
            )));
        }
        // RFC 5280, 4.1.1.2: both signature algorithm fields must be identical.
        if self.sig_alg != self.tbs_sig_alg {
            return Err(self.nonconforming(
                "its signatureAlgorithm differs from the signature field inside the signed part (RFC 5280, 4.1.1.2)",
            ));
        }
        // RFC 5280, 4.1.2.4: the issuer must not be empty.
        if self.x509.issuer().iter_rdn().next().is_none() {
            return Err(self.nonconforming("its issuer name is empty (RFC 5280, 4.1.2.4)"));
        }
        if let Some(p) = &self.problem {
            return Err(p.clone());
        }
        // RFC 5280, 4.2.1.1: every certificate but a self-signed one names its issuer's key.
        // A trust anchor is a name and a key (RFC 5280, 6.1.1 (d)); its own issuer does not matter.
        if strict
            && v3
            && self.aki_key_id.is_none()
            && !self.self_issued()
            && role != CertRole::TrustAnchor
        {
            return Err(self.invalid(
                "authorityKeyIdentifier",
                "it is missing; RFC 5280, 4.2.1.1 requires it in every certificate that is not self-signed",
            ));
        }
        // A self-signed root that names an authority key must name its own.
        if role == CertRole::TrustAnchor && self.self_issued() {
            if let (Some(aki), Some(ski)) = (self.aki_key_id, self.ski) {
                if aki != ski {
                    return Err(self.invalid(
                        "authorityKeyIdentifier",
                        "the self-signed root's keyIdentifier differs from its own subjectKeyIdentifier",
                    ));
                }
            }
        }
        // keyCertSign needs cA (RFC 5280, 4.2.1.3); cA with keyUsage needs keyCertSign (4.2.1.9).
        if let Some(ku) = self.key_usage {
            if ku & KU_KEY_CERT_SIGN != 0 && !self.is_ca() {
                return Err(self.invalid(
                    "keyUsage",
                    "it asserts keyCertSign but basicConstraints does not say cA (RFC 5280, 4.2.1.3)",
                ));
            }
            if ku & KU_KEY_CERT_SIGN == 0 && self.is_ca() {
                return Err(self.invalid(
                    "keyUsage",
                    "basicConstraints says cA but keyUsage lacks keyCertSign (RFC 5280, 4.2.1.9)",
                ));
            }
        }
        self.check_key()?;
        Ok(())
    }

    /// The certificate's own public key must be one we accept.
    pub fn check_key(&self) -> Result<CertKey, CertificateError> {
        check_cert_public_key(self.spki()).map_err(|e| match e {
            CertSignatureError::WeakKey { key } => CertificateError::WeakKey {
                subject: self.subject_dn().to_string(),
                key,
            },
            CertSignatureError::UnsupportedKey { key } => CertificateError::UnsupportedPublicKey {
                subject: self.subject_dn().to_string(),
                key,
            },
            other => CertificateError::UnsupportedPublicKey {
                subject: self.subject_dn().to_string(),
                key: format!("{other:?}"),
            },
        })
    }

    /// Checks for a certificate used to issue others (RFC 5280, 6.1.4 (k), (n)).
    pub fn check_issuer(&self, strict: bool) -> Result<(), CertificateError> {
        let not_ca = |reason| CertificateError::NotCa {
            subject: self.subject_dn().to_string(),
            reason,
        };
        match self.basic {
            None => return Err(not_ca("it has no basicConstraints extension")),
            Some((false, _, _)) => return Err(not_ca("its basicConstraints does not assert cA")),
            Some((true, _, critical)) if strict && !critical => {
                return Err(self.invalid(
                    "basicConstraints",
                    "it is not critical in a CA certificate (RFC 5280, 4.2.1.9)",
                ))
            }
            _ => {}
        }
        if let Some(ku) = self.key_usage {
            if ku & KU_KEY_CERT_SIGN == 0 {
                return Err(not_ca("its keyUsage lacks keyCertSign"));
            }
        }
        if strict && self.ski.is_none() {
            return Err(self.invalid(
                "subjectKeyIdentifier",
                "it is missing from a CA certificate (RFC 5280, 4.2.1.2)",
            ));
        }
        if self.x509.subject().iter_rdn().next().is_none() {
            return Err(
                self.nonconforming("a CA certificate has an empty subject (RFC 5280, 4.1.2.6)")
            );
        }
        Ok(())
    }

    /// RFC 5280, 4.2.1.12: an EKU, when present, must allow `purpose`. For CA
    /// certificates anyExtendedKeyUsage also does (EKU chaining as browsers do).
    pub fn check_purpose(
        &self,
        role: CertRole,
        purpose: &'static str,
    ) -> Result<(), CertificateError> {
        let Some(eku) = &self.eku else {
            return Ok(());
        };
        let ok = eku.iter().any(|o| o == purpose)
            || (role != CertRole::EndEntity && eku.iter().any(|o| o == OID_ANY_EKU));
        if ok {
            return Ok(());
        }
        Err(CertificateError::WrongPurpose {
            role,
            subject: self.name().to_string(),
            required: purpose_name(purpose),
            present: eku.iter().map(|o| purpose_name(o).to_string()).collect(),
        })
    }

    /// A TLS end-entity key must be allowed to sign (or, for static RSA and ECDH, to
    /// encipher or agree) when keyUsage is present (RFC 8446, 4.4.2.2; RFC 5246, 7.4.2).
    pub fn check_tls_key_usage(&self) -> Result<(), CertificateError> {
        const DIGITAL_SIGNATURE: u16 = 1;
        const KEY_ENCIPHERMENT: u16 = 1 << 2;
        const KEY_AGREEMENT: u16 = 1 << 4;
        match self.key_usage {
            Some(ku) if ku & (DIGITAL_SIGNATURE | KEY_ENCIPHERMENT | KEY_AGREEMENT) == 0 => {
                Err(self.invalid(
                    "keyUsage",
                    "it allows neither digitalSignature, keyEncipherment nor keyAgreement, so the key cannot be used in TLS (RFC 8446, 4.4.2.2)",
                ))
            }
            _ => Ok(()),
        }
    }

    /// An end-entity certificate must not be a CA certificate (CA/Browser Forum BR
    /// 7.1.2.7.8; what Firefox and rustls-webpki enforce). RFC 5280 itself allows it
    /// (x509-limbo's rfc5280::ca-as-leaf); the Web PKI does not (webpki::ca-as-leaf).
    pub fn check_not_ca(&self, from_client: bool) -> Result<(), CertificateError> {
        if self.is_ca() {
            return Err(CertificateError::CaUsedAsEndEntity {
                subject: self.name().to_string(),
                from_client,
            });
        }
        Ok(())
    }

    /// CA/Browser Forum Baseline Requirements profile check of a TLS server
    /// certificate that RFC 5280 does not make: no anyExtendedKeyUsage (7.1.2.7.10).
    /// (A CA certificate as the leaf is refused whatever the policy: `check_not_ca`.)
    pub fn check_cabf_subscriber(&self) -> Result<(), CertificateError> {
        if self
            .eku
            .as_ref()
            .is_some_and(|e| e.iter().any(|o| o == OID_ANY_EKU))
        {
            return Err(CertificateError::Nonconforming {
                subject: self.subject_dn().to_string(),
                rule: "a server certificate's extendedKeyUsage contains anyExtendedKeyUsage (CA/Browser Forum Baseline Requirements)".into(),
            });
        }
        Ok(())
    }

    /// CA/Browser Forum BR 7.1.4.3: a subject commonName, if present, must be a
    /// character-for-character copy of a dNSName, or the canonical text
    /// ([`names::canonical_ip_text`]) of an iPAddress, in subjectAltName.
    pub fn check_cn_in_san(&self) -> Result<(), CertificateError> {
        let sans = self.san.as_deref().unwrap_or_default();
        let dns: Vec<&str> = sans
            .iter()
            .filter_map(|n| match n {
                GeneralName::DNSName(d) => Some(*d),
                _ => None,
            })
            .collect();
        let ips: Vec<&[u8]> = sans
            .iter()
            .filter_map(|n| match n {
                GeneralName::IPAddress(ip) => Some(*ip),
                _ => None,
            })
            .collect();
        for atv in self.x509.subject().iter_common_name() {
            let (common_name, reason) = match attribute_text(atv) {
                Some(cn) => {
                    let copied = dns.iter().any(|d| *d == cn)
                        || ips
                            .iter()
                            .any(|ip| names::canonical_ip_text(ip).as_deref() == Some(cn.as_str()));
                    if copied {
                        continue;
                    }
                    let reason = cn_mismatch(&cn, &dns, &ips);
                    (cn, reason)
                }
                None => (
                    format!("#{}", names::hex(atv.attr_value().data)),
                    format!(
                        "its value is an ASN.1 string type (tag {}) ferrotls does not read as text",
                        atv.attr_value().tag().0
                    ),
                ),
            };
            return Err(CertificateError::CommonNameNotInSan {
                subject: self.name().to_string(),
                common_name,
                presented: sans
                    .iter()
                    .filter(|n| matches!(n, GeneralName::DNSName(_) | GeneralName::IPAddress(_)))
                    .map(general_name_to_string)
                    .collect(),
                reason,
            });
        }
        Ok(())
    }

    /// SAN entries as text, for messages.
    pub fn san_strings(&self) -> Vec<String> {
        self.san
            .iter()
            .flatten()
            .map(general_name_to_string)
            .collect()
    }
}

/// Readable names of extended key usages.
pub(crate) fn purpose_name(oid: &str) -> &str {
    match oid {
        OID_SERVER_AUTH => "TLS server authentication (serverAuth)",
        OID_CLIENT_AUTH => "TLS client authentication (clientAuth)",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        OID_OCSP_SIGNING => "OCSPSigning",
        OID_ANY_EKU => "anyExtendedKeyUsage",
        other => other,
    }
}

/// Critical extensions x509-parser leaves unparsed that we still handle.
const KNOWN_UNPARSED: &[&str] = &[];

fn extension_name(oid: &str) -> &'static str {
    match oid {
        "2.5.29.19" => "basicConstraints",
        "2.5.29.15" => "keyUsage",
        "2.5.29.37" => "extendedKeyUsage",
        "2.5.29.17" => "subjectAltName",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.14" => "subjectKeyIdentifier",
        "2.5.29.35" => "authorityKeyIdentifier",
        "1.3.6.1.5.5.7.1.1" => "authorityInfoAccess",
        "2.5.29.31" => "cRLDistributionPoints",
        "2.5.29.32" => "certificatePolicies",
        "2.5.29.36" => "policyConstraints",
        "2.5.29.33" => "policyMappings",
        "2.5.29.54" => "inhibitAnyPolicy",
        "2.5.29.18" => "issuerAltName",
        "2.5.29.20" => "cRLNumber",
        "2.5.29.21" => "reasonCode",
        "2.5.29.28" => "issuingDistributionPoint",
        _ => "unrecognised",
    }
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

/// An attribute value as text: the string types x509-parser reads, and BMPString
/// (UTF-16) and UniversalString (UTF-32), big-endian.
fn attribute_text(atv: &AttributeTypeAndValue<'_>) -> Option<String> {
    if let Ok(s) = atv.as_str() {
        return Some(s.to_string());
    }
    let value = atv.attr_value();
    match value.tag() {
        Tag::BmpString => {
            let units: Vec<u16> = value
                .data
                .chunks(2)
                .map(|c| match c {
                    [a, b] => Some(u16::from_be_bytes([*a, *b])),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            String::from_utf16(&units).ok()
        }
        Tag::UniversalString => value
            .data
            .chunks(4)
            .map(|c| match c {
                [a, b, c, d] => char::from_u32(u32::from_be_bytes([*a, *b, *c, *d])),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Why a CN is not a copy of any DNS or IP SAN, the likeliest reason first.
fn cn_mismatch(cn: &str, dns: &[&str], ips: &[&[u8]]) -> String {
    if dns.is_empty() && ips.is_empty() {
        return "there is nothing for it to copy".into();
    }
    if let Some(d) = dns.iter().find(|d| d.eq_ignore_ascii_case(cn)) {
        return format!("it differs from DNS:{d} only in letter case, and the copy must be exact");
    }
    if !cn.is_ascii() {
        return "it is written in Unicode, but a dNSName holds the ASCII (xn--) form of a name, and the CN must copy that form".into();
    }
    if let Some(addr) = names::parse_ip_leniently(cn) {
        let octets = match addr {
            std::net::IpAddr::V4(a) => a.octets().to_vec(),
            std::net::IpAddr::V6(a) => a.octets().to_vec(),
        };
        let canonical = names::canonical_ip_text(&octets).unwrap_or_default();
        if !ips.contains(&octets.as_slice()) {
            return format!("it is the IP address {canonical}, which is not among them");
        }
        let rule = match addr {
            std::net::IpAddr::V4(_) => "IPv4 in dotted decimal without leading zeros, RFC 3986, 3.2.2",
            std::net::IpAddr::V6(_) => "IPv6 as RFC 5952, 4 writes it: lowercase, no leading zeros, the longest run of zero groups as ::",
        };
        return format!(
            "it is IP:{canonical} written another way; the CN must read exactly {canonical} ({rule})"
        );
    }
    "it is not among them".into()
}
