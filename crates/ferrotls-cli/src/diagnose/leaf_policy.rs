//! Rules for the server's own certificate that public CAs and browsers apply but
//! that are no error of the chain: its lifetime, and where revocation can be checked.
//!
//! Lifetime: the CA/Browser Forum Baseline Requirements (6.3.2) limit a certificate
//! issued since 2020-09-01 to 398 days (825 days before), and Chrome
//! (ERR_CERT_VALIDITY_TOO_LONG) and Safari refuse a longer one, but only from a
//! publicly trusted CA: a certificate from a root the user or administrator added may
//! live as long as its CA likes. So the limit is an error for a chain that leads to
//! Mozilla's roots or the system store, and an INFO fact otherwise (a `--cafile` CA,
//! or a chain trusted by nothing, whose trust problem is reported elsewhere).
//!
//! Revocation: a leaf with neither an OCSP responder (authorityInfoAccess, RFC 5280,
//! 4.2.2.1) nor a CRL distribution point (4.2.1.13) cannot be checked for revocation;
//! normal for a private CA, so INFO either way.

use ferrotls::pki::time::format_time;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_OCSP;

use super::report::Finding;

/// 2020-09-01T00:00:00Z: from then on, 398 days (Baseline Requirements 6.3.2).
const LIMIT_398_FROM: i64 = 1_598_918_400;

/// What the checks need to know about the chain.
pub struct Leaf<'a> {
    pub der: &'a [u8],
    /// The chain verified against Mozilla's roots or the system store (not --cafile).
    pub publicly_trusted: bool,
}

pub fn findings(leaf: &Leaf<'_>) -> Vec<Finding> {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.der) else {
        // An unparseable leaf is reported by the certificate analysis.
        return Vec::new();
    };
    let mut out = Vec::new();
    let not_before = cert.validity().not_before.timestamp();
    let not_after = cert.validity().not_after.timestamp();
    out.extend(lifetime(not_before, not_after, leaf.publicly_trusted));

    let mut ocsp = Vec::new();
    let mut crl = Vec::new();
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for d in aia.iter() {
                    if let (true, GeneralName::URI(u)) = (
                        d.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP,
                        &d.access_location,
                    ) {
                        ocsp.push(u.to_string());
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(points) => {
                for p in points.iter() {
                    if let Some(DistributionPointName::FullName(names)) = &p.distribution_point {
                        crl.extend(names.iter().filter_map(|n| match n {
                            GeneralName::URI(u) => Some(u.to_string()),
                            _ => None,
                        }));
                    }
                }
            }
            _ => {}
        }
    }
    if ocsp.is_empty() && crl.is_empty() {
        out.push(
            Finding::info(
                "cert.no-revocation-info",
                "The certificate names no OCSP responder and no CRL",
            )
            .evidence(if leaf.publicly_trusted {
                "it has no authorityInfoAccess OCSP URI and no cRLDistributionPoints; clients cannot check whether it was revoked"
            } else {
                "it has no authorityInfoAccess OCSP URI and no cRLDistributionPoints; normal for a private CA, but clients cannot check whether it was revoked"
            }),
        );
    }
    out
}

fn lifetime(not_before: i64, not_after: i64, publicly_trusted: bool) -> Option<Finding> {
    // Baseline Requirements 1.6.1: the validity period includes both ends.
    let seconds = not_after.saturating_sub(not_before).saturating_add(1);
    let limit_days: i64 = if not_before >= LIMIT_398_FROM {
        398
    } else {
        825
    };
    if seconds <= limit_days * 86_400 {
        return None;
    }
    let days = seconds / 86_400;
    let evidence = format!(
        "valid from {} to {}: {days} days",
        format_time(not_before),
        format_time(not_after)
    );
    Some(if publicly_trusted {
        Finding::error(
            "cert.lifetime",
            format!("The certificate is valid for {days} days, longer than the {limit_days} a public CA may issue"),
        )
        .evidence(evidence)
        .evidence(format!("the CA/Browser Forum Baseline Requirements (6.3.2) allow {limit_days} days for a certificate issued then; Chrome (ERR_CERT_VALIDITY_TOO_LONG) and Safari refuse a longer one from a publicly trusted CA"))
        .fix("Have the CA reissue the certificate with at most 398 days of validity (ACME clients renew every 60 to 90 days), and report the misissued one to the CA.")
    } else {
        Finding::info(
            "cert.lifetime",
            format!("The certificate is valid for {days} days, longer than the {limit_days} a public CA may issue; fine for a private CA"),
        )
        .evidence(evidence)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_limits() {
        let day = 86_400;
        let t = LIMIT_398_FROM + 10 * day;
        // 398 days exactly (both ends included) is allowed; one second more is not.
        assert!(lifetime(t, t + 398 * day - 1, true).is_none());
        let f = lifetime(t, t + 398 * day, true).unwrap();
        assert_eq!(f.id, "cert.lifetime");
        assert_eq!(
            f.title,
            "The certificate is valid for 398 days, longer than the 398 a public CA may issue"
        );
        assert_eq!(f.severity, super::super::report::Severity::Error);
        let f = lifetime(t, t + 3650 * day, false).unwrap();
        assert_eq!(f.severity, super::super::report::Severity::Info);
        assert_eq!(
            f.title,
            "The certificate is valid for 3650 days, longer than the 398 a public CA may issue; fine for a private CA"
        );
        assert_eq!(
            f.evidence,
            ["valid from 2020-09-11T00:00:00Z to 2030-09-09T00:00:00Z: 3650 days"]
        );
        // Before 2020-09-01, 825 days.
        let old = LIMIT_398_FROM - 100 * day;
        assert!(lifetime(old, old + 800 * day, true).is_none());
        assert!(lifetime(old, old + 826 * day, true).is_some());
    }
}
