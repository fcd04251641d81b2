//! `ferrotls cert show FILE`: a certificate decoded for people, like
//! `openssl x509 -text` without the hex dumps.

use ferrotls::pki::{describe_certificate, CertRole};
use x509_parser::extensions::{GeneralName, ParsedExtension};

use super::der;
use crate::common::{hex_colons, spki_sha256_base64, Palette};
use crate::trace::fmt_time;

/// "in 3 days", "12 days ago".
pub fn relative_days(secs: i64) -> String {
    let days = secs / 86_400;
    match days {
        0 if secs >= 0 => "less than a day left".to_string(),
        0 => "less than a day ago".to_string(),
        1 => "1 day left".to_string(),
        -1 => "1 day ago".to_string(),
        d if d > 0 => format!("{d} days left"),
        d => format!("{} days ago", -d),
    }
}

pub fn general_name(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::IPAddress(ip) => match ip.len() {
            4 => format!(
                "IP:{}",
                std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*ip).unwrap_or_default())
            ),
            16 => format!(
                "IP:{}",
                std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*ip).unwrap_or_default())
            ),
            // Name constraints: address and mask.
            8 | 32 => {
                let (addr, mask) = ip.split_at(ip.len() / 2);
                let prefix: u32 = mask.iter().map(|b| b.count_ones()).sum();
                let addr = if addr.len() == 4 {
                    std::net::Ipv4Addr::from(<[u8; 4]>::try_from(addr).unwrap_or_default())
                        .to_string()
                } else {
                    std::net::Ipv6Addr::from(<[u8; 16]>::try_from(addr).unwrap_or_default())
                        .to_string()
                };
                format!("IP:{addr}/{prefix}")
            }
            n => format!("IP:({n} bytes)"),
        },
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::URI(u) => format!("URI:{u}"),
        GeneralName::DirectoryName(n) => format!("DirName:{n}"),
        other => format!("{other:?}"),
    }
}

fn key_usage_names(ku: &x509_parser::extensions::KeyUsage) -> Vec<&'static str> {
    [
        (ku.digital_signature(), "digitalSignature"),
        (ku.non_repudiation(), "contentCommitment"),
        (ku.key_encipherment(), "keyEncipherment"),
        (ku.data_encipherment(), "dataEncipherment"),
        (ku.key_agreement(), "keyAgreement"),
        (ku.key_cert_sign(), "keyCertSign"),
        (ku.crl_sign(), "cRLSign"),
        (ku.encipher_only(), "encipherOnly"),
        (ku.decipher_only(), "decipherOnly"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}

fn eku_names(eku: &x509_parser::extensions::ExtendedKeyUsage<'_>) -> Vec<String> {
    let mut out: Vec<String> = [
        (eku.server_auth, "serverAuth (TLS server)"),
        (eku.client_auth, "clientAuth (TLS client)"),
        (eku.code_signing, "codeSigning"),
        (eku.email_protection, "emailProtection"),
        (eku.time_stamping, "timeStamping"),
        (eku.ocsp_signing, "OCSPSigning"),
        (eku.any, "anyExtendedKeyUsage"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| name.to_string())
    .collect();
    out.extend(eku.other.iter().map(|o| o.to_id_string()));
    out
}

fn critical(c: bool) -> &'static str {
    if c {
        " (critical)"
    } else {
        ""
    }
}

/// The lines describing one certificate; `now` is Unix seconds.
pub fn describe(der_bytes: &[u8], now: i64, p: Palette) -> Result<Vec<String>, String> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der_bytes)
        .map_err(|e| format!("not a certificate: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} bytes follow the certificate", rest.len()));
    }
    let mut out = Vec::new();
    let mut field =
        |name: &str, value: String| out.push(format!("  {:<18} {value}", format!("{name}:")));
    let mut notes: Vec<String> = Vec::new();

    field(
        "subject",
        p.paint(Palette::BOLD, &cert.subject().to_string()),
    );
    field("issuer", cert.issuer().to_string());
    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    if self_issued {
        let self_signed = der::certificate_parts(der_bytes).is_some_and(|[tbs, alg, sig]| {
            let signature = sig.content.get(1..).unwrap_or_default();
            ferrotls::crypto::sign::verify_cert_signature(
                alg.raw,
                cert.public_key().raw,
                tbs.raw,
                signature,
            )
            .is_ok()
        });
        field(
            "self-signed",
            if self_signed {
                "yes (subject and issuer are the same, and its own key verifies the signature)"
            } else {
                "self-issued (subject and issuer are the same name), but its own key does not verify the signature"
            }
            .to_string(),
        );
    }
    field("serial", cert.raw_serial_as_string().to_uppercase());
    field("version", format!("{}", cert.version().0 + 1));
    let nb = cert.validity().not_before.timestamp();
    let na = cert.validity().not_after.timestamp();
    let status = if now < nb {
        notes.push(format!(
            "not valid yet: valid from {} ({})",
            fmt_time(nb),
            relative_days(nb - now).replace(" left", " from now")
        ));
        p.paint(
            Palette::RED,
            &format!(
                "NOT YET VALID, starts in {}",
                relative_days(nb - now).replace(" left", "")
            ),
        )
    } else if now > na {
        notes.push(format!(
            "expired at {} ({})",
            fmt_time(na),
            relative_days(na - now)
        ));
        p.paint(
            Palette::RED,
            &format!("EXPIRED {}", relative_days(na - now)),
        )
    } else if na - now < 30 * 86_400 {
        p.paint(Palette::YELLOW, &relative_days(na - now))
    } else {
        p.paint(Palette::GREEN, &relative_days(na - now))
    };
    field(
        "validity",
        format!(
            "{} to {} ({status}, {} in all)",
            fmt_time(nb),
            fmt_time(na),
            days_span(na - nb)
        ),
    );

    let sans: Vec<String> = match cert.subject_alternative_name() {
        Ok(Some(san)) => san.value.general_names.iter().map(general_name).collect(),
        _ => Vec::new(),
    };
    if sans.is_empty() {
        field("names (SAN)", "none".into());
    }
    if sans.is_empty() && !cert.is_ca() {
        notes.push(
            "no subjectAltName: TLS clients match names against SANs only, never the subject CN"
                .into(),
        );
    } else {
        field("names (SAN)", sans.join(", "));
    }

    let role = match cert.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => CertRole::Intermediate,
        _ => CertRole::EndEntity,
    };
    match describe_certificate(der_bytes, role) {
        Ok(entry) => {
            if entry.key.contains("too weak") {
                notes.push(format!("weak key: {}", entry.key));
                field("public key", p.paint(Palette::RED, &entry.key));
            } else {
                field("public key", entry.key);
            }
        }
        Err(_) => field(
            "public key",
            cert.public_key().algorithm.algorithm.to_id_string(),
        ),
    }
    let sig_alg = der::certificate_parts(der_bytes)
        .map(|[_, alg, _]| ferrotls::crypto::sign::cert_signature_algorithm_name(alg.raw))
        .unwrap_or_else(|| "unknown".into());
    if sig_alg.contains("SHA1") || sig_alg.contains("MD5") {
        notes.push(format!(
            "signed with {sig_alg}, which verifiers reject (collisions are practical)"
        ));
        field("signature", p.paint(Palette::RED, &sig_alg));
    } else {
        field("signature", sig_alg);
    }

    match cert.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => {
            let len = match bc.value.path_len_constraint {
                Some(0) => ", pathLen 0: may issue end-entity certificates only".to_string(),
                Some(n) => format!(", pathLen {n}: at most {n} intermediate CA(s) below it"),
                None => String::new(),
            };
            field("CA", format!("yes{len}{}", critical(bc.critical)));
        }
        Ok(Some(bc)) => field("CA", format!("no{}", critical(bc.critical))),
        Ok(None) => field("CA", "no (no basicConstraints)".into()),
        Err(e) => field("CA", format!("basicConstraints does not parse: {e}")),
    }
    let mut key_usage = None;
    let mut eku = None;
    let mut ski = None;
    let mut aki = None;
    let mut constraints = None;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::KeyUsage(ku) => {
                key_usage = Some(format!(
                    "{}{}",
                    key_usage_names(ku).join(", "),
                    critical(ext.critical)
                ))
            }
            ParsedExtension::ExtendedKeyUsage(e) => {
                eku = Some(format!(
                    "{}{}",
                    eku_names(e).join(", "),
                    critical(ext.critical)
                ))
            }
            ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(hex_colons(k.0)),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = Some(
                    a.key_identifier
                        .as_ref()
                        .map(|k| hex_colons(k.0))
                        .unwrap_or_else(|| "present, without a key identifier".into()),
                )
            }
            ParsedExtension::NameConstraints(nc) => {
                let list = |subtrees: &Option<Vec<x509_parser::extensions::GeneralSubtree<'_>>>| {
                    subtrees
                        .iter()
                        .flatten()
                        .map(|s| general_name(&s.base))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let mut parts = Vec::new();
                let permitted = list(&nc.permitted_subtrees);
                if !permitted.is_empty() {
                    parts.push(format!("permitted {permitted}"));
                }
                let excluded = list(&nc.excluded_subtrees);
                if !excluded.is_empty() {
                    parts.push(format!("excluded {excluded}"));
                }
                constraints = Some(format!("{}{}", parts.join("; "), critical(ext.critical)));
            }
            _ => {}
        }
    }
    field(
        "key usage",
        key_usage.unwrap_or_else(|| "any (no keyUsage)".into()),
    );
    match &eku {
        Some(e) => field("ext. key usage", e.clone()),
        None => field("ext. key usage", "any (no extendedKeyUsage)".into()),
    }
    if let Some(c) = constraints {
        field("name constraints", c);
    }
    field(
        "subject key id",
        ski.clone().unwrap_or_else(|| "none".into()),
    );
    field(
        "authority key id",
        aki.clone().unwrap_or_else(|| "none".into()),
    );
    let fingerprint = ferrotls::crypto::hash(ferrotls::crypto::HashAlgorithm::Sha256, der_bytes);
    field("SHA-256", hex_colons(fingerprint.as_ref()));
    if let Some(spki) = spki_sha256_base64(der_bytes) {
        field(
            "SPKI SHA-256",
            format!(
                "{spki} (base64; for pins and Chromium's --ignore-certificate-errors-spki-list)"
            ),
        );
    }

    // What a verifier will object to, beyond what is already marked above.
    if role == CertRole::Intermediate {
        if !sans.is_empty() && self_issued {
            notes.push("a self-signed CA certificate that names hosts (what `openssl req -x509` makes by default): as a server's own certificate, ferrotls and browsers refuse it even when it is trusted; remake it with -addext basicConstraints=critical,CA:FALSE, or issue a server certificate from it".into());
        } else if !sans.is_empty() {
            notes.push("a CA certificate that names hosts: as a server's own certificate, ferrotls and browsers refuse it (CA/Browser Forum BR 7.1.2.7.8: a server certificate is not a CA); issue a server certificate from it instead".into());
        } else if !self_issued {
            notes.push(
                "a CA certificate: fine as an issuer, never as a server's own certificate".into(),
            );
        }
    }
    if aki.is_none() && !self_issued {
        notes.push("no authorityKeyIdentifier: strict verifiers (ferrotls) reject an issued certificate without it (RFC 5280, 4.2.1.1)".into());
    }
    if role == CertRole::Intermediate && ski.is_none() {
        notes.push("no subjectKeyIdentifier in a CA certificate (RFC 5280, 4.2.1.2)".into());
    }
    if let Some(e) = &eku {
        if role == CertRole::EndEntity
            && !e.contains("serverAuth")
            && !e.contains("anyExtendedKeyUsage")
        {
            notes.push("its extendedKeyUsage does not allow TLS server authentication: usable only as a client certificate (or for what it names)".into());
        }
    }
    for n in notes {
        out.push(format!("  {} {n}", p.paint(Palette::YELLOW, "note:")));
    }
    Ok(out)
}

fn days_span(secs: i64) -> String {
    let days = secs / 86_400;
    if days == 1 {
        "1 day".into()
    } else {
        format!("{days} days")
    }
}

/// Runs `cert show` on one file.
pub fn show(path: &std::path::Path, now: i64, p: Palette) -> Result<String, String> {
    let certs = ferrotls::pem::load_certs(path).map_err(|e| e.to_string())?;
    let mut out = String::new();
    for (i, c) in certs.iter().enumerate() {
        let heading = if certs.len() > 1 {
            format!(
                "{} certificate {} of {}",
                path.display(),
                i + 1,
                certs.len()
            )
        } else {
            format!("{}", path.display())
        };
        out.push_str(&p.paint(Palette::BOLD, &heading));
        out.push('\n');
        match describe(c.as_ref(), now, p) {
            Ok(lines) => {
                for l in lines {
                    out.push_str(&l);
                    out.push('\n');
                }
            }
            Err(e) => out.push_str(&format!("  {e}\n")),
        }
        if i + 1 < certs.len() {
            out.push('\n');
        }
    }
    Ok(out)
}
