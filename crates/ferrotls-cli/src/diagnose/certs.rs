//! The certificate chain as the server sent it: order, completeness, trust (with the
//! PKI verifier's explanation), validity against the clock, name coverage, key and
//! signature strength, OCSP stapling and must-staple.

use ferrotls::error::CertificateError;
use ferrotls::pki::time::{format_duration, format_time};
use ferrotls::pki::{
    describe_certificate, CertRole, ParsedCert, Policy, Precedence, Purpose, Request, Verifier,
};

use super::report::Finding;

/// A time the server told us (HTTP Date, or ServerHello.random where it carries time).
#[derive(Clone, Debug)]
pub struct ServerClock {
    pub now: i64,
    /// "the HTTP Date header", "the ServerHello random"
    pub source: &'static str,
}

/// What the certificate checks need.
pub struct Input<'a> {
    pub chain: &'a [Vec<u8>],
    pub ocsp: Option<&'a [u8]>,
    /// The name asked for (DNS name or IP address text).
    pub name: &'a str,
    pub verifier: &'a Verifier,
    pub now: i64,
    pub server_clock: Option<ServerClock>,
    /// How the chain was obtained, for evidence ("TLS 1.2 handshake with SNI").
    pub source: &'a str,
}

/// One parsed certificate of the chain.
struct Entry {
    parsed: ParsedCert,
    key: String,
    signature: &'static str,
    must_staple: bool,
}

pub fn analyze(input: &Input<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(leaf_der) = input.chain.first() else {
        out.push(
            Finding::error("cert.none", "The server sent no certificate")
                .evidence(format!("Certificate message was empty ({})", input.source))
                .fix("Configure a certificate and key for this name on the server."),
        );
        return out;
    };
    let mut entries = Vec::new();
    for (i, der) in input.chain.iter().enumerate() {
        match ParsedCert::parse(der) {
            Ok(parsed) => {
                let role = if i == 0 {
                    CertRole::EndEntity
                } else {
                    CertRole::Intermediate
                };
                let key = describe_certificate(der, role)
                    .map(|d| d.key)
                    .unwrap_or_else(|_| "unknown".into());
                entries.push(Entry {
                    parsed,
                    key,
                    signature: signature_algorithm(der),
                    must_staple: contains(der, &TLS_FEATURE_OID),
                });
            }
            Err(e) => {
                out.push(
                    Finding::error(
                        "cert.unparseable",
                        format!("Certificate #{i} of the chain cannot be parsed"),
                    )
                    .evidence(e.to_string())
                    .fix(
                        "Reinstall the certificate files; the server sends a corrupt certificate.",
                    ),
                );
                return out;
            }
        }
    }
    let leaf = &entries[0];

    // The chain as sent.
    let mut f = Finding::info(
        "cert.chain",
        format!("The server sent {} certificate(s)", entries.len()),
    )
    .evidence(format!("received in a {}", input.source));
    for (i, e) in entries.iter().enumerate() {
        let names = if e.parsed.dns_names.is_empty() && e.parsed.ip_addresses.is_empty() {
            String::new()
        } else {
            let all: Vec<String> = e
                .parsed
                .dns_names
                .iter()
                .map(|d| format!("DNS:{d}"))
                .chain(e.parsed.ip_addresses.iter().map(|ip| format!("IP:{ip}")))
                .collect();
            format!(", names {}", all.join(", "))
        };
        f = f.evidence(format!(
            "#{i} {} (issuer {}), {}, {}, valid {} to {}{names}",
            e.parsed.subject,
            e.parsed.issuer,
            e.key,
            e.signature,
            format_time(e.parsed.not_before),
            format_time(e.parsed.not_after),
        ));
    }
    out.push(f);
    out.extend(chain_order(&entries));

    // Trust, independent of the clock and the name (checked below on their own):
    // verify at a time inside the leaf's validity, without a name.
    let t = input.now.clamp(
        leaf.parsed.not_before,
        leaf.parsed.not_after.max(leaf.parsed.not_before),
    );
    let intermediates: Vec<&[u8]> = input.chain.iter().skip(1).map(Vec::as_slice).collect();
    let verify_at = |t: i64| {
        let mut req = Request::new(leaf_der, t);
        req.intermediates = intermediates.clone();
        req.purpose = Purpose::ServerAuth;
        req.ocsp_response = input.ocsp;
        input.verifier.verify(&req)
    };
    let mut result = verify_at(t);
    let primary = |r: &Result<_, CertificateError>| r.as_ref().err().map(|e| e.primary().clone());
    // A time error at that time about an issuer (say a CA made after an expired leaf's
    // dates) says nothing about trust today: verify again at this machine's time. If
    // then only the leaf's own dates fail, the chain is trusted (the dates are reported
    // on their own below).
    let mut dated_only = false;
    if t != input.now
        && matches!(
            primary(&result),
            Some(CertificateError::Expired { .. } | CertificateError::NotYetValid { .. })
        )
    {
        result = verify_at(input.now);
        dated_only = matches!(
            &result,
            Err(CertificateError::Expired {
                role: CertRole::EndEntity,
                ..
            } | CertificateError::NotYetValid {
                role: CertRole::EndEntity,
                ..
            })
        );
    }
    let trusted = match result {
        Ok(path) => {
            let root = path
                .chain
                .last()
                .map(|c| c.subject.clone())
                .unwrap_or_default();
            let mut f = Finding::info(
                "cert.trusted",
                format!("The chain leads to a trusted root: {root}"),
            );
            for c in &path.chain {
                f = f.evidence(format!("{}: {}", c.role, c.subject));
            }
            out.push(f);
            out.extend(strict_note(input, t));
            true
        }
        Err(_) if dated_only => {
            out.push(
                Finding::info(
                    "cert.trusted",
                    "The chain leads to a trusted root; only the certificate's own dates fail",
                )
                .evidence("its issuers are not valid at any time the certificate is, so the chain was verified at this machine's time"),
            );
            true
        }
        // Every problem of the chain as served, in the order to fix them, each
        // with its fix.
        Err(e) => {
            let problems = e.problems();
            for p in &problems {
                if !matches!(p, CertificateError::MustStapleMissing { .. }) {
                    out.push(trust_finding(p, leaf));
                }
            }
            problems
                .iter()
                .all(|p| matches!(p, CertificateError::MustStapleMissing { .. }))
        }
    };

    out.push(validity(leaf, input));
    for (i, e) in entries.iter().enumerate().skip(1) {
        if e.parsed.not_after < input.now && e.parsed.subject != e.parsed.issuer {
            out.push(
                Finding::error(
                    "cert.chain-expired",
                    format!("Intermediate certificate #{i} has expired"),
                )
                .evidence(format!(
                    "{} expired at {}",
                    e.parsed.subject,
                    format_time(e.parsed.not_after)
                ))
                .fix("Download the current intermediate certificate from your CA and replace the old one in the server's chain file."),
            );
        }
    }
    out.push(name_coverage(leaf, input.name));

    // Keys and signatures.
    for (i, e) in entries.iter().enumerate() {
        let what = if i == 0 {
            "The certificate".to_string()
        } else {
            format!("Intermediate certificate #{i}")
        };
        if e.key.contains("too weak") {
            out.push(
                Finding::error(
                    "cert.weak-key",
                    format!(
                        "{what} has a weak key: {}",
                        e.key.replace(" (too weak)", "")
                    ),
                )
                .evidence(format!("{}: {}", e.parsed.subject, e.key))
                .fix("Reissue it with an ECDSA P-256 key or an RSA key of at least 2048 bits."),
            );
        }
        let self_signed = e.parsed.subject == e.parsed.issuer && i > 0;
        if !self_signed && (e.signature.contains("SHA-1") || e.signature.contains("MD5")) {
            out.push(
                Finding::error("cert.weak-signature", format!("{what} is signed with {}", e.signature))
                    .evidence(format!("{} signed by {}", e.parsed.subject, e.parsed.issuer))
                    .fix("Reissue it with a SHA-256 (or stronger) signature; clients reject SHA-1 and MD5 signatures."),
            );
        }
    }

    // OCSP stapling and must-staple.
    match (input.ocsp, leaf.must_staple) {
        (Some(_), _) if trusted => out.push(
            Finding::info("ocsp.stapled", "The server staples a valid OCSP response")
                .evidence("the response verifies against the issuer and covers the certificate"),
        ),
        (Some(resp), _) => out.push(
            Finding::info("ocsp.stapled", "The server staples an OCSP response")
                .evidence(format!(
                    "{} bytes; not checked because the chain is not trusted",
                    resp.len()
                )),
        ),
        (None, true) => out.push(
            Finding::error(
                "ocsp.must-staple-missing",
                "The certificate requires OCSP stapling (must-staple) but the server sends no OCSP response",
            )
            .evidence("the certificate has the TLS feature extension with status_request (RFC 7633)")
            .fix("Enable OCSP stapling on the server (nginx: ssl_stapling on; Apache: SSLUseStapling on), or reissue the certificate without must-staple."),
        ),
        (None, false) => out.push(
            Finding::info("ocsp.none", "The server does not staple an OCSP response")
                .evidence("no CertificateStatus was sent although the client asked for one"),
        ),
    }
    if leaf.must_staple && input.ocsp.is_some() {
        out.push(Finding::info(
            "ocsp.must-staple",
            "The certificate requires OCSP stapling (must-staple) and the server staples",
        ));
    }
    dedupe(out)
}

/// For a chain that verifies: an INFO note when the strict profile
/// (`Policy::strict_rfc5280()`) would refuse it, for clients that verify strictly.
fn strict_note(input: &Input<'_>, t: i64) -> Option<Finding> {
    let leaf = input.chain.first()?;
    let mut req = Request::new(leaf, t);
    req.intermediates = input.chain.iter().skip(1).map(Vec::as_slice).collect();
    req.purpose = Purpose::ServerAuth;
    req.ocsp_response = input.ocsp;
    let strict = input.verifier.clone().with_policy(Policy::strict_rfc5280());
    let e = strict.verify(&req).err()?;
    let mut f = Finding::info(
        "cert.strict",
        "Strict verifiers, such as OpenSSL with -x509_strict, refuse this chain",
    );
    for p in e.problems() {
        f = f.evidence(p.to_string());
    }
    Some(f.fix("Nothing browsers need; to satisfy strict verifiers, reissue the certificates with the extensions the evidence names (most CAs add them)."))
}

/// Keeps the first finding of each id (the verifier's explanation comes first).
fn dedupe(findings: Vec<Finding>) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for f in findings {
        if !out.iter().any(|o| o.id == f.id) {
            out.push(f);
        }
    }
    out
}

fn trust_finding(e: &CertificateError, leaf: &Entry) -> Finding {
    use CertificateError as E;
    let explanation = e.to_string();
    let f = match e {
        E::UnknownIssuer {
            role: CertRole::EndEntity,
            issuer,
            intermediates_sent: 0,
            ..
        } => Finding::error(
            "cert.missing-intermediate",
            "The server does not send the intermediate certificate",
        )
        .fix(format!(
            "Configure the server with the full chain: the certificate followed by the intermediate certificate of {issuer} (for example fullchain.pem rather than cert.pem)."
        )),
        E::UnknownIssuer {
            role: CertRole::EndEntity,
            issuer,
            ..
        } => Finding::error(
            "cert.wrong-intermediate",
            "The intermediate certificates sent do not include the certificate's issuer",
        )
        .fix(format!(
            "Replace the intermediate certificates in the server's chain file with the one for {issuer}, from your CA."
        )),
        E::UnknownIssuer { issuer, .. } => Finding::error(
            "cert.untrusted",
            "The chain leads to a CA that is not trusted",
        )
        .fix(format!(
            "Use a certificate from a publicly trusted CA, or have clients trust {issuer} explicitly."
        )),
        E::CaUsedAsEndEntity { .. } => Finding::error(
            "cert.ca-as-leaf",
            "The server's certificate is a CA certificate, which clients refuse as a server's own",
        )
        .fix("Issue a server certificate (basicConstraints cA=FALSE) from this CA and configure the server with it. Clients refuse a CA certificate as the server's own even when they trust it (Firefox: MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY); `openssl req -x509` makes one unless given -addext basicConstraints=critical,CA:FALSE."),
        E::SelfSigned { .. } => Finding::error("cert.self-signed", "The certificate is self-signed")
            .fix("Use a certificate issued by a public CA (for example Let's Encrypt), or have clients trust this one explicitly (--cafile)."),
        E::UntrustedRoot { root, .. } => Finding::error(
            "cert.untrusted-root",
            "The chain ends at a root that is not trusted",
        )
        .fix(format!(
            "Use a certificate from a publicly trusted CA, or have clients trust {root} explicitly."
        )),
        E::Distrusted { root, .. } => Finding::error(
            "cert.distrusted",
            format!("The certificate was issued under a distrusted root ({root})"),
        )
        .fix("Replace the certificate with one from another CA; browsers reject it."),
        // Name the certificate, as the per-certificate checks below would (this
        // finding comes first and replaces theirs).
        E::WeakSignature { subject, algorithm } => Finding::error(
            "cert.weak-signature",
            if leaf.signature.contains("SHA-1") || leaf.signature.contains("MD5") {
                format!("The certificate is signed with {}", leaf.signature)
            } else {
                format!("{subject} in the chain is signed with {algorithm}")
            },
        )
        .fix("Reissue it with a SHA-256 (or stronger) signature; clients reject SHA-1 and MD5 signatures."),
        E::WeakKey { subject, key } => Finding::error(
            "cert.weak-key",
            if leaf.key.contains("too weak") {
                format!("The certificate has a weak key: {key}")
            } else {
                format!("{subject} in the chain has a weak key: {key}")
            },
        )
        .fix("Reissue it with an ECDSA P-256 key or an RSA key of at least 2048 bits."),
        E::Revoked { .. } => Finding::error("cert.revoked", "The certificate has been revoked")
            .fix("Replace the certificate with a new one now."),
        E::BadOcspResponse { .. } => Finding::error(
            "ocsp.invalid",
            "The stapled OCSP response is not valid",
        )
        .fix("Fix the server's OCSP stapling (it staples a stale, wrong or corrupt response), or turn stapling off."),
        E::Expired { .. } => Finding::error(
            "cert.chain-expired",
            "A certificate of the chain has expired",
        )
        .fix("Replace the expired intermediate certificate with the current one from your CA."),
        _ if e.precedence() == Precedence::NotTrusted => {
            Finding::error("cert.untrusted", "The certificate chain is not trusted")
                .fix("Read the explanation above; fix the chain the server sends.")
        }
        _ => Finding::error(
            "cert.invalid",
            "A certificate of the chain breaks a rule that clients enforce",
        )
        .fix("Reissue the certificate the explanation names so that it follows the rule; clients refuse the chain until then."),
    };
    f.evidence(explanation)
}

fn validity(leaf: &Entry, input: &Input<'_>) -> Finding {
    let p = &leaf.parsed;
    let now = input.now;
    let clock = |f: Finding, server_agrees: bool| match &input.server_clock {
        Some(c) => f.evidence(format!(
            "the server's clock ({}) says {}: {}",
            c.source,
            format_time(c.now),
            if server_agrees {
                "it agrees with this machine"
            } else {
                "it disagrees with this machine; check this machine's clock first"
            }
        )),
        None => f,
    };
    let agrees = input
        .server_clock
        .as_ref()
        .map(|c| (c.now - now).abs() < 300)
        .unwrap_or(true);
    if now > p.not_after {
        let server_says_valid = input
            .server_clock
            .as_ref()
            .is_some_and(|c| c.now <= p.not_after && c.now >= p.not_before);
        let f = Finding::error(
            "cert.expired",
            format!("The certificate for {} has expired", input.name),
        )
        .evidence(format!(
            "it expired at {}; this machine's clock says {} ({} later)",
            format_time(p.not_after),
            format_time(now),
            format_duration(now - p.not_after)
        ));
        let f = clock(f, agrees);
        return if server_says_valid {
            f.fix("This machine's clock looks wrong (the server's clock says the certificate is still valid): fix the clock first.")
        } else {
            f.fix("Renew the certificate and install it (with its intermediates) on the server.")
        };
    }
    if now < p.not_before {
        let f = Finding::error("cert.not-yet-valid", "The certificate is not valid yet").evidence(
            format!(
                "it is valid from {}; this machine's clock says {} ({} earlier)",
                format_time(p.not_before),
                format_time(now),
                format_duration(p.not_before - now)
            ),
        );
        return clock(f, agrees).fix("Check this machine's clock; if it is right, the certificate was issued with a future start date: wait, or reissue it.");
    }
    let days = (p.not_after - now) / 86_400;
    if days < 30 {
        return Finding::warning(
            "cert.expires-soon",
            format!("The certificate expires in {days} day(s)"),
        )
        .evidence(format!("it is valid until {}", format_time(p.not_after)))
        .fix("Renew it now, and automate renewal (for example with an ACME client).");
    }
    Finding::info(
        "cert.validity",
        format!("The certificate is valid for {days} more days"),
    )
    .evidence(format!(
        "valid from {} to {}",
        format_time(p.not_before),
        format_time(p.not_after)
    ))
}

fn name_coverage(leaf: &Entry, name: &str) -> Finding {
    let p = &leaf.parsed;
    let covered = match name.parse::<std::net::IpAddr>() {
        Ok(ip) => p
            .ip_addresses
            .iter()
            .any(|a| a.parse::<std::net::IpAddr>().ok() == Some(ip)),
        Err(_) => p.covers_dns_name(name),
    };
    if covered {
        return Finding::info("cert.name", format!("The certificate covers {name}"));
    }
    let sans: Vec<String> = p
        .dns_names
        .iter()
        .map(|d| format!("DNS:{d}"))
        .chain(p.ip_addresses.iter().map(|ip| format!("IP:{ip}")))
        .collect();
    let kind = if name.parse::<std::net::IpAddr>().is_ok() {
        "IP"
    } else {
        "DNS"
    };
    let f = Finding::error(
        "cert.name-mismatch",
        format!("The certificate does not cover {name}"),
    );
    let f = if sans.is_empty() {
        f.evidence(format!(
            "it has no subjectAltName; its subject {} is not used for matching by clients",
            p.subject
        ))
    } else {
        f.evidence(format!(
            "it names {} (the subject CN is not used for matching)",
            sans.join(", ")
        ))
    };
    if sans.is_empty() {
        // Only a subject CN (RFC 6125 6.4.4: clients with a SAN-aware stack ignore
        // it; browsers have since 2017): the server is right, the certificate is not.
        return f.fix(format!(
            "Reissue the certificate with {kind}:{name} in its subjectAltName; clients ignore the subject CN (RFC 6125, CA/Browser Forum)."
        ));
    }
    f.fix(format!(
        "Reissue the certificate with {kind}:{name} in its subjectAltName{}, or point {name} at a server that has a certificate for it.",
        if sans.is_empty() {
            String::new()
        } else {
            format!(" (keeping {})", sans.join(", "))
        }
    ))
}

/// Order and membership of the chain as sent (RFC 8446, 4.4.2; RFC 5246, 7.4.2:
/// each certificate certifies the one before it).
fn chain_order(entries: &[Entry]) -> Vec<Finding> {
    let mut out = Vec::new();
    let n = entries.len();
    let mut misordered = Vec::new();
    for i in 1..n {
        let want = &entries[i - 1].parsed.issuer;
        if &entries[i].parsed.subject != want {
            if let Some(j) = entries
                .iter()
                .enumerate()
                .position(|(j, e)| j != i - 1 && &e.parsed.subject == want)
            {
                misordered.push(format!(
                    "#{} {} is followed by #{i} {}, but its issuer is #{j}",
                    i - 1,
                    entries[i - 1].parsed.subject,
                    entries[i].parsed.subject
                ));
            }
        }
    }
    if !misordered.is_empty() {
        let mut f = Finding::warning(
            "cert.chain-order",
            "The certificates are sent in the wrong order",
        );
        for m in misordered {
            f = f.evidence(m);
        }
        out.push(f.fix("List the certificate first, then its issuer, then that issuer's issuer; some clients reject other orders."));
    }
    // Certificates that issue nothing in the chain (besides the leaf).
    let unused: Vec<String> = entries
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(j, e)| {
            !entries.iter().enumerate().any(|(k, c)| {
                k != *j
                    && c.parsed.issuer == e.parsed.subject
                    && c.parsed.subject != e.parsed.subject
            })
        })
        .filter(|(_, e)| e.parsed.subject != e.parsed.issuer)
        .map(|(j, e)| format!("#{j} {}", e.parsed.subject))
        .collect();
    if !unused.is_empty() {
        let mut f = Finding::warning(
            "cert.chain-extra",
            "The server sends certificates that do not belong to the chain",
        );
        for u in unused {
            f = f.evidence(format!("{u} issues none of the other certificates"));
        }
        out.push(f.fix("Remove them from the server's chain file."));
    }
    if n > 1 {
        let last = &entries[n - 1].parsed;
        if last.subject == last.issuer {
            out.push(
                Finding::info(
                    "cert.chain-root",
                    "The server also sends the root certificate (unneeded: clients must already have it)",
                )
                .evidence(format!("#{} {} is self-signed", n - 1, last.subject)),
            );
        }
    }
    out
}

/// id-pe-tlsfeature (RFC 7633), DER-encoded OID.
const TLS_FEATURE_OID: [u8; 10] = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x18];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One DER TLV: (tag, content, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&l0, rest) = rest.split_first()?;
    let (len, rest) = if l0 < 0x80 {
        (usize::from(l0), rest)
    } else {
        let n = usize::from(l0 & 0x7f);
        if n == 0 || n > 3 {
            return None;
        }
        let (lb, rest) = (rest.get(..n)?, rest.get(n..)?);
        (
            lb.iter().fold(0usize, |a, b| a << 8 | usize::from(*b)),
            rest,
        )
    };
    Some((tag, rest.get(..len)?, rest.get(len..)?))
}

/// The certificate's signatureAlgorithm, named.
pub fn signature_algorithm(der: &[u8]) -> &'static str {
    let oid = (|| {
        let (_, cert, _) = tlv(der)?;
        let (_, _tbs, rest) = tlv(cert)?;
        let (_, alg, _) = tlv(rest)?;
        let (tag, oid, _) = tlv(alg)?;
        (tag == 0x06).then_some(oid)
    })();
    const RSA: [u8; 8] = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    match oid {
        Some([r @ .., last]) if r == RSA => match last {
            4 => "RSA with MD5",
            5 => "RSA with SHA-1",
            10 => "RSA-PSS",
            11 => "RSA with SHA-256",
            12 => "RSA with SHA-384",
            13 => "RSA with SHA-512",
            _ => "RSA (other)",
        },
        Some([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01]) => "ECDSA with SHA-1",
        Some([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]) => "ECDSA with SHA-256",
        Some([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03]) => "ECDSA with SHA-384",
        Some([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04]) => "ECDSA with SHA-512",
        Some([0x2b, 0x65, 0x70]) => "Ed25519",
        Some([0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x03]) => "DSA with SHA-1",
        _ => "unknown signature algorithm",
    }
}
