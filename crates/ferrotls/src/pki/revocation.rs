//! Revocation from data the caller supplies: CRLs (RFC 5280, 5 and 6.3) and a
//! stapled OCSP response (RFC 6960). Nothing is fetched from the network.

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateRevocationListDer;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Name};
use x509_parser::revocation_list::CertificateRevocationList;

use super::cert::{Cert, KU_CRL_SIGN, OID_OCSP_SIGNING};
use super::der::{self, Tlv};
use super::names::{dn_to_string, hex_colons};
use crate::crypto::sign::{sha1_for_identifiers, sha256, verify_cert_signature};
use crate::error::{CertRole, CertificateError, ConfigError, Error};
use crate::time::{format_duration, format_time};

/// The issuer of the certificate being checked.
pub(crate) struct Issuer<'x> {
    pub subject_raw: &'x [u8],
    pub spki: &'x [u8],
    pub name: &'x str,
    pub key_usage: Option<u16>,
}

/// A parsed CRL borrowing its DER.
pub(crate) struct Crl<'a> {
    parsed: CertificateRevocationList<'a>,
    tbs: &'a [u8],
    sig_alg: &'a [u8],
    signature: &'a [u8],
    issuer_dn: String,
}

/// Every CRL in PEM (`X509 CRL` blocks) or a single DER CRL.
pub fn crls_from_bytes(bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let bad = |reason: String| ConfigError::BadPem {
        what: "CRL",
        reason,
    };
    if bytes.first() == Some(&0x30) {
        return Ok(vec![bytes.to_vec()]);
    }
    let crls = CertificateRevocationListDer::pem_slice_iter(bytes)
        .map(|r| r.map(|c| c.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    if crls.is_empty() {
        return Err(bad("no X509 CRL block was found".into()).into());
    }
    Ok(crls)
}

pub(crate) fn parse_crls(ders: &[Vec<u8>]) -> Result<Vec<Crl<'_>>, CertificateError> {
    ders.iter()
        .map(|d| {
            let bad = |reason: String| CertificateError::BadCrl {
                issuer: "(an unreadable CRL)".into(),
                reason,
            };
            let (rest, parsed) =
                CertificateRevocationList::from_der(d).map_err(|e| bad(e.to_string()))?;
            if !rest.is_empty() {
                return Err(bad("bytes follow the CRL".into()));
            }
            let (tbs, alg, signature) =
                der::signed_parts(d).ok_or_else(|| bad("it is not strict DER".into()))?;
            let issuer_dn = dn_to_string(parsed.issuer());
            Ok(Crl {
                parsed,
                tbs: tbs.raw,
                sig_alg: alg.raw,
                signature,
                issuer_dn,
            })
        })
        .collect()
}

/// RFC 5280, 5.3.1.
fn reason_name(code: u8) -> String {
    match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        n => return format!("reason code {n}"),
    }
    .to_string()
}

/// Checks `cert` against every CRL from its issuer (RFC 5280, 6.3.3).
pub(crate) fn check_crls(
    crls: &[Crl<'_>],
    cert: &Cert<'_>,
    issuer: &Issuer<'_>,
    now: i64,
) -> Result<(), CertificateError> {
    for crl in crls {
        if crl.parsed.issuer().as_raw() != issuer.subject_raw {
            continue;
        }
        let bad = |reason: String| CertificateError::BadCrl {
            issuer: crl.issuer_dn.clone(),
            reason,
        };
        // Scope (5.2.5): a CRL for CA certificates only, or end entities only.
        let mut only_ca = false;
        let mut only_user = false;
        let mut has_number = false;
        for ext in crl.parsed.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::CRLNumber(_) => {
                    has_number = true;
                    if ext.critical {
                        return Err(bad("its cRLNumber extension is critical (RFC 5280, 5.2.3 requires non-critical)".into()));
                    }
                }
                ParsedExtension::IssuingDistributionPoint(idp) => {
                    if idp.indirect_crl
                        || idp.only_contains_attribute_certs
                        || idp.only_some_reasons.is_some()
                    {
                        // Indirect and partitioned CRLs are not supported: not used.
                        continue;
                    }
                    only_ca = idp.only_contains_ca_certs;
                    only_user = idp.only_contains_user_certs;
                }
                ParsedExtension::AuthorityKeyIdentifier(_) => {}
                ParsedExtension::ParseError { error } => {
                    return Err(bad(format!(
                        "extension {} does not parse ({error})",
                        ext.oid.to_id_string()
                    )))
                }
                _ if ext.critical => {
                    return Err(bad(format!(
                        "it has a critical extension {} that ferrotls does not understand",
                        ext.oid.to_id_string()
                    )))
                }
                _ => {}
            }
        }
        if (only_ca && !cert.is_ca()) || (only_user && cert.is_ca()) {
            continue;
        }
        if !has_number {
            return Err(bad(
                "it lacks the cRLNumber extension (RFC 5280, 5.2.3)".into()
            ));
        }
        // 6.3.3 (f): the issuer's key must be allowed to sign CRLs.
        if let Some(ku) = issuer.key_usage {
            if ku & KU_CRL_SIGN == 0 {
                return Err(bad(format!(
                    "its issuer {}'s keyUsage lacks cRLSign, so the CA may not sign CRLs",
                    issuer.name
                )));
            }
        }
        verify_cert_signature(crl.sig_alg, issuer.spki, crl.tbs, crl.signature).map_err(|e| {
            bad(format!(
                "its signature does not verify with {}'s key ({e:?})",
                issuer.name
            ))
        })?;
        let this_update = crl.parsed.last_update().timestamp();
        if this_update > now {
            return Err(bad(format!(
                "it was issued at {}, which is in the future of this machine's clock ({})",
                format_time(this_update),
                format_time(now)
            )));
        }
        if let Some(next) = crl.parsed.next_update() {
            let next = next.timestamp();
            if next < now {
                return Err(bad(format!(
                    "it is stale: its nextUpdate was {} ({} ago); fetch a current CRL",
                    format_time(next),
                    format_duration(now - next)
                )));
            }
        }
        for revoked in crl.parsed.iter_revoked_certificates() {
            if revoked.raw_serial() == cert.x509.raw_serial() {
                let reason = revoked.reason_code().map(|(_, r)| reason_name(r.0));
                return Err(CertificateError::Revoked {
                    subject: cert.name().to_string(),
                    serial: hex_colons(cert.x509.raw_serial()),
                    revoked_at: revoked.revocation_date.timestamp(),
                    reason,
                    source: format!(
                        "the CRL issued by {} at {}",
                        crl.issuer_dn,
                        format_time(this_update)
                    ),
                });
            }
        }
    }
    Ok(())
}

const OID_OCSP_BASIC: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];
const OID_SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// How old a response without nextUpdate may be.
const OCSP_MAX_AGE: i64 = 7 * 86_400;
/// Clock skew tolerated on thisUpdate.
const OCSP_SKEW: i64 = 300;

/// The subjectPublicKey BIT STRING contents of an SPKI (what RFC 6960 hashes).
fn spki_key_bits(spki: &[u8]) -> Option<&[u8]> {
    let seq = der::read_all(spki)?;
    let parts = der::items(seq.content)?;
    let bits = parts.get(1).filter(|t| t.tag == der::BIT_STRING)?;
    bits.content.get(1..)
}

/// Validates a stapled OCSP response for `cert` (RFC 6960, 3.2): it must be
/// about this certificate, signed by its issuer or a delegated responder, and fresh.
pub(crate) fn check_ocsp(
    resp: &[u8],
    cert: &Cert<'_>,
    issuer: &Issuer<'_>,
    now: i64,
) -> Result<(), CertificateError> {
    let bad = |reason: String| CertificateError::BadOcspResponse {
        subject: cert.name().to_string(),
        reason,
    };
    let malformed = || bad("it is not a well-formed DER OCSPResponse (RFC 6960, 4.2.1)".into());
    let outer = der::read_all(resp)
        .filter(|t| t.tag == der::SEQUENCE)
        .ok_or_else(malformed)?;
    let parts = der::items(outer.content).ok_or_else(malformed)?;
    let status = parts
        .first()
        .filter(|t| t.tag == der::ENUMERATED)
        .ok_or_else(malformed)?;
    match status.content {
        [0] => {}
        [s] => {
            let what = match s {
                1 => "malformedRequest",
                2 => "internalError",
                3 => "tryLater",
                5 => "sigRequired",
                6 => "unauthorized",
                _ => "an unknown status",
            };
            return Err(bad(format!(
                "the responder answered {what} instead of a status"
            )));
        }
        _ => return Err(malformed()),
    }
    let bytes = parts
        .get(1)
        .filter(|t| t.tag == 0xa0)
        .ok_or_else(malformed)?;
    let bytes = der::read_all(bytes.content).ok_or_else(malformed)?;
    let rb = der::items(bytes.content).ok_or_else(malformed)?;
    let kind = rb
        .first()
        .filter(|t| t.tag == der::OID)
        .ok_or_else(malformed)?;
    if kind.content != OID_OCSP_BASIC {
        return Err(bad(
            "it is not a basic OCSP response (id-pkix-ocsp-basic)".into()
        ));
    }
    let basic = rb
        .get(1)
        .filter(|t| t.tag == der::OCTET_STRING)
        .ok_or_else(malformed)?;
    let (tbs, sig_alg, signature) = der::signed_parts(basic.content).ok_or_else(malformed)?;
    let basic_items = der::items(der::read_all(basic.content).ok_or_else(malformed)?.content)
        .ok_or_else(malformed)?;
    let certs: Vec<&[u8]> = match basic_items.get(3) {
        Some(t) if t.tag == 0xa0 => der::read_all(t.content)
            .and_then(|s| der::items(s.content))
            .ok_or_else(malformed)?
            .iter()
            .map(|c| c.raw)
            .collect(),
        _ => Vec::new(),
    };

    // ResponseData.
    let fields = der::items(tbs.content).ok_or_else(malformed)?;
    let mut fields = fields.iter().peekable();
    if fields.peek().is_some_and(|t| t.tag == 0xa0) {
        fields.next();
    }
    let responder = fields.next().ok_or_else(malformed)?;
    let _produced_at = fields
        .next()
        .filter(|t| t.tag == der::GENERALIZED_TIME)
        .ok_or_else(malformed)?;
    let responses = fields
        .next()
        .filter(|t| t.tag == der::SEQUENCE)
        .ok_or_else(malformed)?;

    // The signer: the issuer itself or a delegated responder (RFC 6960, 4.2.2.2).
    let issuer_key_bits = spki_key_bits(issuer.spki).ok_or_else(malformed)?;
    let names_issuer = |id: &Tlv<'_>| match id.tag {
        0xa1 => id.content == issuer.subject_raw,
        0xa2 => der::read_all(id.content)
            .is_some_and(|h| h.content == sha1_for_identifiers(issuer_key_bits)),
        _ => false,
    };
    let signer_spki: Vec<u8> = if names_issuer(responder) {
        issuer.spki.to_vec()
    } else {
        let mut found = None;
        for der_cert in &certs {
            let Ok(rc) = Cert::parse(der_cert) else {
                continue;
            };
            let matches = match responder.tag {
                0xa1 => responder.content == rc.subject_raw(),
                0xa2 => spki_key_bits(rc.spki()).is_some_and(|k| {
                    der::read_all(responder.content)
                        .is_some_and(|h| h.content == sha1_for_identifiers(k))
                }),
                _ => false,
            };
            if !matches {
                continue;
            }
            if rc.issuer_raw() != issuer.subject_raw {
                return Err(bad(format!(
                    "its responder certificate {} was not issued by {}, the certificate's issuer",
                    rc.subject_dn(),
                    issuer.name
                )));
            }
            verify_cert_signature(rc.sig_alg, issuer.spki, rc.tbs, rc.signature).map_err(|_| {
                bad(format!(
                    "its responder certificate {} is not signed by {}",
                    rc.subject_dn(),
                    issuer.name
                ))
            })?;
            if !rc.has_purpose(OID_OCSP_SIGNING) {
                return Err(bad(format!(
                    "its responder certificate {} lacks the id-kp-OCSPSigning extended key usage, so it may not sign responses",
                    rc.subject_dn()
                )));
            }
            rc.check_validity(CertRole::Intermediate, now)
                .map_err(|e| bad(format!("its responder certificate is unusable: {e}")))?;
            found = Some(rc.spki().to_vec());
            break;
        }
        found.ok_or_else(|| {
            bad("it is signed by neither the certificate's issuer nor a responder certificate it includes".into())
        })?
    };
    verify_cert_signature(sig_alg.raw, &signer_spki, tbs.raw, signature)
        .map_err(|e| bad(format!("its signature does not verify ({e:?})")))?;

    // Find the SingleResponse about this certificate.
    for single in der::items(responses.content).ok_or_else(malformed)? {
        let f = der::items(single.content).ok_or_else(malformed)?;
        let cert_id = f
            .first()
            .filter(|t| t.tag == der::SEQUENCE)
            .ok_or_else(malformed)?;
        let id = der::items(cert_id.content).ok_or_else(malformed)?;
        let (Some(alg), Some(name_hash), Some(key_hash), Some(serial)) =
            (id.first(), id.get(1), id.get(2), id.get(3))
        else {
            return Err(malformed());
        };
        let alg_oid = der::items(alg.content)
            .and_then(|a| a.first().copied())
            .filter(|t| t.tag == der::OID)
            .ok_or_else(malformed)?;
        let (nh, kh): (Vec<u8>, Vec<u8>) = if alg_oid.content == OID_SHA1 {
            (
                sha1_for_identifiers(issuer.subject_raw).to_vec(),
                sha1_for_identifiers(issuer_key_bits).to_vec(),
            )
        } else if alg_oid.content == OID_SHA256 {
            (
                sha256(issuer.subject_raw).to_vec(),
                sha256(issuer_key_bits).to_vec(),
            )
        } else {
            continue;
        };
        if name_hash.content != nh.as_slice()
            || key_hash.content != kh.as_slice()
            || serial.content != cert.x509.raw_serial()
        {
            continue;
        }
        let status = f.get(1).ok_or_else(malformed)?;
        let this_update = f
            .get(2)
            .filter(|t| t.tag == der::GENERALIZED_TIME)
            .and_then(|t| der::generalized_time(t.content))
            .ok_or_else(malformed)?;
        let next_update = match f.get(3) {
            Some(t) if t.tag == 0xa0 => Some(
                der::read_all(t.content)
                    .and_then(|g| der::generalized_time(g.content))
                    .ok_or_else(malformed)?,
            ),
            _ => None,
        };
        if this_update > now + OCSP_SKEW {
            return Err(bad(format!(
                "it was produced at {}, in the future of this machine's clock ({})",
                format_time(this_update),
                format_time(now)
            )));
        }
        match next_update {
            Some(next) if next < now => {
                return Err(bad(format!(
                    "it is stale: its nextUpdate was {} ({} ago)",
                    format_time(next),
                    format_duration(now - next)
                )))
            }
            None if now - this_update > OCSP_MAX_AGE => {
                return Err(bad(format!(
                    "it is stale: it was produced at {} ({} ago) and names no nextUpdate",
                    format_time(this_update),
                    format_duration(now - this_update)
                )))
            }
            _ => {}
        }
        return match status.tag {
            0x80 => Ok(()),
            0xa1 => {
                let info = der::items(status.content).ok_or_else(malformed)?;
                let at = info
                    .first()
                    .filter(|t| t.tag == der::GENERALIZED_TIME)
                    .and_then(|t| der::generalized_time(t.content))
                    .ok_or_else(malformed)?;
                let reason = info
                    .get(1)
                    .filter(|t| t.tag == 0xa0)
                    .and_then(|t| der::read_all(t.content))
                    .and_then(|e| e.content.first().copied())
                    .map(reason_name);
                Err(CertificateError::Revoked {
                    subject: cert.name().to_string(),
                    serial: hex_colons(cert.x509.raw_serial()),
                    revoked_at: at,
                    reason,
                    source: format!(
                        "the stapled OCSP response signed at {}",
                        format_time(this_update)
                    ),
                })
            }
            0x82 => Err(bad(
                "the responder does not know this certificate (status unknown)".into(),
            )),
            _ => Err(malformed()),
        };
    }
    Err(bad(format!(
        "it is about another certificate: no response in it matches serial {} from {}",
        hex_colons(cert.x509.raw_serial()),
        issuer.name
    )))
}

/// The issuer name of a CRL, readable (for the CLI).
pub fn crl_issuer(der: &[u8]) -> Option<String> {
    let (_, crl) = CertificateRevocationList::from_der(der).ok()?;
    let name: &X509Name<'_> = crl.issuer();
    Some(dn_to_string(name))
}
