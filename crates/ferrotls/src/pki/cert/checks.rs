//! The checks that concern a single certificate (RFC 5280, 4.1 and 4.2; the CA/B
//! Forum Baseline Requirements in strict mode): validity period, key, extended key
//! usage, keyUsage for TLS, basic constraints, and the subject CN against the SANs.

use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::{ExtendedKeyUsage, GeneralName};
use x509_parser::prelude::{AttributeTypeAndValue, X509Version};

use super::{Cert, KU_KEY_CERT_SIGN, OID_CLIENT_AUTH, OID_OCSP_SIGNING, OID_SERVER_AUTH};
use crate::crypto::sign::{check_cert_spki, CertKey, CertSignatureError};
use crate::error::{CertRole, CertificateError};
use crate::pki::names::{self, general_name_to_string};

const OID_ANY_EKU: &str = "2.5.29.37.0";
const OID_CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
const OID_EMAIL_PROTECTION: &str = "1.3.6.1.5.5.7.3.4";
const OID_TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";

impl<'a> Cert<'a> {
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
    /// version, serial, signature algorithm agreement, names, extensions, key; every
    /// problem found, unordered (a broken version, serial number, signature
    /// algorithm or issuer name is reported alone). `strict` adds the RFC 5280 MUSTs
    /// that private PKIs often skip and no browser enforces (authorityKeyIdentifier
    /// presence and form, extension criticality).
    pub fn common_problems(&self, role: CertRole, strict: bool) -> Vec<CertificateError> {
        let tbs = &self.x509.tbs_certificate;
        // RFC 5280, 4.1.2.1: extensions need v3; we accept v3 only (v1 only for roots).
        let v3 = tbs.version() == X509Version::V3;
        if !(v3 || role == CertRole::TrustAnchor && tbs.extensions().is_empty()) {
            return vec![self.nonconforming(format!(
                "it is a version {} certificate; only version 3 is accepted",
                tbs.version().0 + 1
            ))];
        }
        // RFC 5280, 4.1.2.2: a positive integer of at most 20 octets, minimally encoded.
        let serial = self.x509.raw_serial();
        match serial {
            [] => return vec![self.nonconforming("its serial number is empty")],
            [first, ..] if first & 0x80 != 0 => {
                return vec![self.nonconforming("its serial number is negative (RFC 5280, 4.1.2.2)")]
            }
            // Some long-trusted roots (Starfield G2) carry serial 0; a root's serial is never used.
            [0] if role != CertRole::TrustAnchor => {
                return vec![self.nonconforming("its serial number is zero (RFC 5280, 4.1.2.2)")]
            }
            [0, second, ..] if second & 0x80 == 0 => {
                return vec![self.nonconforming("its serial number is not minimally encoded (DER)")]
            }
            _ => {}
        }
        let magnitude = serial.strip_prefix(&[0]).unwrap_or(serial);
        if magnitude.len() > 20 {
            return vec![self.nonconforming(format!(
                "its serial number is {} octets long; at most 20 are allowed (RFC 5280, 4.1.2.2)",
                magnitude.len()
            ))];
        }
        // RFC 5280, 4.1.1.2: both signature algorithm fields must be identical.
        if self.sig_alg != self.tbs_sig_alg {
            return vec![self.nonconforming(
                "its signatureAlgorithm differs from the signature field inside the signed part (RFC 5280, 4.1.1.2)",
            )];
        }
        // RFC 5280, 4.1.2.4: the issuer must not be empty.
        if self.x509.issuer().iter_rdn().next().is_none() {
            return vec![self.nonconforming("its issuer name is empty (RFC 5280, 4.1.2.4)")];
        }
        let mut found: Vec<CertificateError> = self.problem.iter().cloned().collect();
        if strict {
            found.extend(self.pedantic.iter().cloned());
        }
        // RFC 5280, 4.2.1.1: every certificate but a self-signed one names its issuer's key.
        // A trust anchor is a name and a key (RFC 5280, 6.1.1 (d)); its own issuer does not matter.
        if strict
            && v3
            && self.aki_key_id.is_none()
            && !self.self_issued()
            && role != CertRole::TrustAnchor
        {
            found.push(self.invalid(
                "authorityKeyIdentifier",
                "it is missing; RFC 5280, 4.2.1.1 requires it in every certificate that is not self-signed",
            ));
        }
        // A self-signed root that names an authority key must name its own.
        if strict && role == CertRole::TrustAnchor && self.self_issued() {
            if let (Some(aki), Some(ski)) = (self.aki_key_id, self.ski) {
                if aki != ski {
                    found.push(self.invalid(
                        "authorityKeyIdentifier",
                        "the self-signed root's keyIdentifier differs from its own subjectKeyIdentifier",
                    ));
                }
            }
        }
        // keyCertSign needs cA (RFC 5280, 4.2.1.3); cA with keyUsage needs keyCertSign (4.2.1.9).
        if let Some(ku) = self.key_usage {
            if ku & KU_KEY_CERT_SIGN != 0 && !self.is_ca() {
                found.push(self.invalid(
                    "keyUsage",
                    "it asserts keyCertSign but basicConstraints does not say cA (RFC 5280, 4.2.1.3)",
                ));
            }
            if ku & KU_KEY_CERT_SIGN == 0 && self.is_ca() {
                found.push(self.invalid(
                    "keyUsage",
                    "basicConstraints says cA but keyUsage lacks keyCertSign (RFC 5280, 4.2.1.9)",
                ));
            }
        }
        if let Err(e) = self.check_key() {
            found.push(e);
        }
        found
    }

    /// The certificate's own public key must be one we accept.
    pub fn check_key(&self) -> Result<CertKey, CertificateError> {
        check_cert_spki(&self.x509.tbs_certificate.subject_pki).map_err(|e| match e {
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

    /// Checks for a certificate used to issue others (RFC 5280, 6.1.4 (k), (n)):
    /// every problem found, unordered; a certificate that is no CA is reported alone.
    pub fn issuer_problems(&self, strict: bool) -> Vec<CertificateError> {
        let not_ca = |reason| {
            vec![CertificateError::NotCa {
                subject: self.subject_dn().to_string(),
                reason,
            }]
        };
        let mut found = Vec::new();
        match self.basic {
            None => return not_ca("it has no basicConstraints extension"),
            Some((false, _, _)) => return not_ca("its basicConstraints does not assert cA"),
            Some((true, _, critical)) if strict && !critical => found.push(self.invalid(
                "basicConstraints",
                "it is not critical in a CA certificate (RFC 5280, 4.2.1.9)",
            )),
            _ => {}
        }
        if let Some(ku) = self.key_usage {
            if ku & KU_KEY_CERT_SIGN == 0 {
                return not_ca("its keyUsage lacks keyCertSign");
            }
        }
        if strict && self.ski.is_none() {
            found.push(self.invalid(
                "subjectKeyIdentifier",
                "it is missing from a CA certificate (RFC 5280, 4.2.1.2)",
            ));
        }
        if self.x509.subject().iter_rdn().next().is_none() {
            found.push(
                self.nonconforming("a CA certificate has an empty subject (RFC 5280, 4.1.2.6)"),
            );
        }
        found
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
        if eku_has(eku, purpose) || (role != CertRole::EndEntity && eku.any) {
            return Ok(());
        }
        Err(CertificateError::WrongPurpose {
            role,
            subject: self.name().to_string(),
            required: purpose_name(purpose),
            present: eku_purposes(eku)
                .iter()
                .map(|o| purpose_name(o).to_string())
                .collect(),
        })
    }

    /// Whether an extendedKeyUsage is present and lists `purpose` (dotted OID).
    pub fn has_purpose(&self, purpose: &str) -> bool {
        self.eku.as_ref().is_some_and(|e| eku_has(e, purpose))
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
        if self.eku.as_ref().is_some_and(|e| e.any) {
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

/// Whether an extendedKeyUsage lists `purpose` (dotted OID).
fn eku_has(eku: &ExtendedKeyUsage<'_>, purpose: &str) -> bool {
    match purpose {
        OID_ANY_EKU => eku.any,
        OID_SERVER_AUTH => eku.server_auth,
        OID_CLIENT_AUTH => eku.client_auth,
        OID_CODE_SIGNING => eku.code_signing,
        OID_EMAIL_PROTECTION => eku.email_protection,
        OID_TIME_STAMPING => eku.time_stamping,
        OID_OCSP_SIGNING => eku.ocsp_signing,
        other => eku.other.iter().any(|o| o.to_id_string() == other),
    }
}

/// The purposes an extendedKeyUsage lists, dotted (for messages).
fn eku_purposes(eku: &ExtendedKeyUsage<'_>) -> Vec<String> {
    let known = [
        (eku.any, OID_ANY_EKU),
        (eku.server_auth, OID_SERVER_AUTH),
        (eku.client_auth, OID_CLIENT_AUTH),
        (eku.code_signing, OID_CODE_SIGNING),
        (eku.email_protection, OID_EMAIL_PROTECTION),
        (eku.time_stamping, OID_TIME_STAMPING),
        (eku.ocsp_signing, OID_OCSP_SIGNING),
    ];
    known
        .iter()
        .filter(|(listed, _)| *listed)
        .map(|(_, oid)| oid.to_string())
        .chain(eku.other.iter().map(|o| o.to_id_string()))
        .collect()
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
