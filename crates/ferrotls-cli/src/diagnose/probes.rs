//! Probes made of hand-built ClientHellos: versions, cipher suites and their order,
//! key exchange groups, secure renegotiation, TLS_FALLBACK_SCSV, compression, and the
//! time in ServerHello.random.

use ferrotls::msgs::enums::{ExtensionType, NamedGroup, ProtocolVersion};
use ferrotls::msgs::DOWNGRADE_TLS12;

use super::certs::ServerClock;
use super::report::Finding;
use super::suites::{self, traits};
use super::wire::{self, group_name, Flight, Hello, Refusal, Target};

pub const VERSIONS: [ProtocolVersion; 5] = [
    ProtocolVersion::SSLv3,
    ProtocolVersion::TLSv1_0,
    ProtocolVersion::TLSv1_1,
    ProtocolVersion::TLSv1_2,
    ProtocolVersion::TLSv1_3,
];

pub fn vname(v: ProtocolVersion) -> &'static str {
    match v {
        ProtocolVersion::SSLv3 => "SSL 3.0",
        ProtocolVersion::TLSv1_0 => "TLS 1.0",
        ProtocolVersion::TLSv1_1 => "TLS 1.1",
        ProtocolVersion::TLSv1_2 => "TLS 1.2",
        ProtocolVersion::TLSv1_3 => "TLS 1.3",
        _ => "an unknown version",
    }
}

/// Whether the server accepts exactly `v`.
pub fn version(
    target: &Target,
    v: ProtocolVersion,
    sni: Option<String>,
) -> Result<Flight, Refusal> {
    let f = wire::probe(target, &Hello::for_version(v, sni))?;
    if f.version != v {
        return Err(Refusal::Malformed(format!(
            "it answered with {}",
            vname(f.version)
        )));
    }
    Ok(f)
}

pub fn version_findings(results: &[(ProtocolVersion, Result<Flight, Refusal>)]) -> Vec<Finding> {
    let ok = |v| results.iter().any(|(x, r)| *x == v && r.is_ok());
    let mut out = Vec::new();
    let accepted: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(v, _)| vname(*v))
        .collect();
    let mut f = Finding::info(
        "versions",
        format!("Protocol versions accepted: {}", accepted.join(", ")),
    );
    for (v, r) in results {
        f = f.evidence(match r {
            Ok(_) => format!("{}: accepted", vname(*v)),
            Err(e) => format!("{}: refused ({})", vname(*v), e.describe()),
        });
    }
    out.push(f);
    if ok(ProtocolVersion::SSLv3) {
        out.push(
            Finding::error("versions.sslv3", "SSL 3.0 is enabled")
                .evidence("a ClientHello offering only SSL 3.0 was accepted")
                .fix("Disable SSL 3.0 (POODLE, RFC 7568). nginx: ssl_protocols TLSv1.2 TLSv1.3; Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3"),
        );
    }
    for (v, id) in [
        (ProtocolVersion::TLSv1_0, "versions.tls10"),
        (ProtocolVersion::TLSv1_1, "versions.tls11"),
    ] {
        if ok(v) {
            out.push(
                Finding::warning(id, format!("{} is enabled", vname(v)))
                    .evidence(format!("a ClientHello offering only {} was accepted", vname(v)))
                    .fix("Disable TLS 1.0 and 1.1 (deprecated by RFC 8996; browsers refuse them). nginx: ssl_protocols TLSv1.2 TLSv1.3; Apache: SSLProtocol -all +TLSv1.2 +TLSv1.3"),
            );
        }
    }
    if !ok(ProtocolVersion::TLSv1_2) && !ok(ProtocolVersion::TLSv1_3) && !accepted.is_empty() {
        out.push(
            Finding::error("versions.no-modern", "Neither TLS 1.2 nor TLS 1.3 is supported")
                .fix("Upgrade the server's TLS library and enable TLS 1.2 and TLS 1.3; current clients refuse older versions."),
        );
    } else if !ok(ProtocolVersion::TLSv1_3) && !accepted.is_empty() {
        out.push(
            Finding::warning("versions.no-tls13", "TLS 1.3 is not supported")
                .fix("Enable TLS 1.3 (OpenSSL 1.1.1 or later): it is faster and removes obsolete options."),
        );
    }
    out
}

/// The suites a server accepts at `v`, in the order it picked them, and whether
/// that order is its own (None: fewer than two suites).
pub struct SuiteList {
    pub version: ProtocolVersion,
    pub accepted: Vec<u16>,
    pub server_order: Option<bool>,
    /// The suite chosen when the accepted ones were offered in reverse order.
    pub reverse_pick: Option<u16>,
    /// A flight of each accepted suite, for the groups and DH checks.
    pub flights: Vec<Flight>,
}

pub fn enumerate_suites(target: &Target, v: ProtocolVersion, sni: Option<String>) -> SuiteList {
    let mut hello = Hello::for_version(v, sni);
    let mut remaining = hello.suites.clone();
    let mut accepted = Vec::new();
    let mut flights = Vec::new();
    while !remaining.is_empty() {
        hello.suites = remaining.clone();
        match wire::probe(target, &hello) {
            Ok(f) if f.version == v && remaining.contains(&f.suite()) => {
                let s = f.suite();
                accepted.push(s);
                remaining.retain(|x| *x != s);
                flights.push(f);
            }
            _ => break,
        }
    }
    let reverse_pick = if accepted.len() >= 2 {
        hello.suites = accepted.iter().rev().copied().collect();
        wire::probe(target, &hello).ok().map(|f| f.suite())
    } else {
        None
    };
    SuiteList {
        version: v,
        server_order: reverse_pick.map(|s| Some(&s) == accepted.first()),
        reverse_pick,
        accepted,
        flights,
    }
}

pub fn suite_findings(lists: &[SuiteList]) -> Vec<Finding> {
    let mut out = Vec::new();
    for l in lists {
        if l.accepted.is_empty() {
            continue;
        }
        let order = match l.server_order {
            Some(true) => "in the server's order of preference",
            Some(false) => "the server follows the client's order",
            None => "only one",
        };
        let mut f = Finding::info(
            "suites",
            format!(
                "Cipher suites ({}): {} accepted, {order}",
                vname(l.version),
                l.accepted.len()
            ),
        );
        for s in &l.accepted {
            f = f.evidence(suites::name(*s));
        }
        out.push(f);
    }
    let all: Vec<(ProtocolVersion, u16)> = lists
        .iter()
        .flat_map(|l| l.accepted.iter().map(move |s| (l.version, *s)))
        .collect();
    if all.is_empty() {
        return out;
    }
    let with = |pred: fn(&suites::Traits) -> bool| -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (v, s) in &all {
            if pred(&traits(*s)) {
                names.push(format!("{} ({})", suites::name(*s), vname(*v)));
            }
        }
        names
    };
    let mut weak =
        |id: &'static str, sev_error: bool, title: &str, fix: &str, names: Vec<String>| {
            if names.is_empty() {
                return;
            }
            let mut f = if sev_error {
                Finding::error(id, title)
            } else {
                Finding::warning(id, title)
            };
            for n in names {
                f = f.evidence(n);
            }
            out.push(f.fix(fix));
        };
    weak(
        "suites.null",
        true,
        "Cipher suites without encryption (NULL) are accepted",
        "Remove NULL suites from the cipher list (OpenSSL: add !eNULL).",
        with(|t| t.null_cipher),
    );
    weak(
        "suites.anonymous",
        true,
        "Anonymous cipher suites (no server authentication) are accepted",
        "Remove anonymous suites from the cipher list (OpenSSL: add !aNULL).",
        with(|t| t.anonymous),
    );
    weak(
        "suites.export",
        true,
        "Export-grade cipher suites are accepted (FREAK, Logjam)",
        "Remove EXPORT suites from the cipher list (OpenSSL: add !EXPORT).",
        with(|t| t.export),
    );
    weak(
        "suites.rc4",
        true,
        "RC4 cipher suites are accepted",
        "Remove RC4 from the cipher list (RFC 7465 forbids it; OpenSSL: add !RC4).",
        with(|t| t.rc4),
    );
    weak(
        "suites.des",
        true,
        "Single-DES cipher suites are accepted",
        "Remove DES from the cipher list (OpenSSL: add !DES).",
        with(|t| t.des),
    );
    weak(
        "suites.3des",
        false,
        "3DES cipher suites are accepted (Sweet32)",
        "Remove 3DES from the cipher list (OpenSSL: add !3DES).",
        with(|t| t.triple_des),
    );

    let legacy: Vec<u16> = lists
        .iter()
        .filter(|l| l.version != ProtocolVersion::TLSv1_3)
        .flat_map(|l| l.accepted.iter().copied())
        .collect();
    let tls13 = lists
        .iter()
        .any(|l| l.version == ProtocolVersion::TLSv1_3 && !l.accepted.is_empty());
    if !legacy.is_empty() {
        let fs = legacy.iter().any(|s| traits(*s).forward_secret);
        let static_rsa: Vec<String> = legacy
            .iter()
            .filter(|s| traits(**s).static_rsa)
            .map(|s| suites::name(*s))
            .collect();
        if !fs && !tls13 {
            let mut f = Finding::error(
                "suites.no-forward-secrecy",
                "No cipher suite has forward secrecy (static RSA key exchange only)",
            );
            for n in dedup(static_rsa.clone()) {
                f = f.evidence(n);
            }
            out.push(f.fix("Enable ECDHE suites (for example ECDHE-RSA-AES128-GCM-SHA256) and TLS 1.3: with static RSA, anyone who later gets the private key decrypts all recorded traffic."));
        } else if !static_rsa.is_empty() {
            let mut f = Finding::warning(
                "suites.static-rsa",
                "Static RSA key exchange is accepted (no forward secrecy)",
            );
            for n in dedup(static_rsa) {
                f = f.evidence(n);
            }
            out.push(f.fix(
                "Remove TLS_RSA_* suites (OpenSSL: add !kRSA); ECDHE suites remain for clients.",
            ));
        }
        let aead = legacy
            .iter()
            .any(|s| !traits(*s).cbc && !traits(*s).rc4 && !traits(*s).null_cipher);
        if !aead && !tls13 {
            out.push(
                Finding::warning("suites.cbc-only", "Only CBC cipher suites are offered (no AEAD)")
                    .evidence("every suite accepted uses CBC with HMAC (MAC-then-encrypt), open to padding-oracle attacks like Lucky13")
                    .fix("Enable AES-GCM or ChaCha20-Poly1305 suites (for example ECDHE-RSA-AES128-GCM-SHA256) and TLS 1.3."),
            );
        }
    }
    out
}

fn dedup(mut v: Vec<String>) -> Vec<String> {
    let mut seen = Vec::new();
    v.retain(|x| {
        let new = !seen.contains(x);
        seen.push(x.clone());
        new
    });
    v
}

/// TLS 1.3 groups: offer a list with no key share; the HelloRetryRequest names the
/// server's pick. Remove it and repeat.
pub fn groups13(target: &Target, sni: Option<String>) -> (Vec<NamedGroup>, Option<bool>) {
    let mut hello = Hello::for_version(ProtocolVersion::TLSv1_3, sni);
    hello.key_shares = Vec::new();
    let mut remaining = wire::tls13_groups();
    let mut found = Vec::new();
    while !remaining.is_empty() {
        hello.groups = remaining.clone();
        let pick = match wire::probe(target, &hello) {
            Ok(f) => f
                .hello
                .hrr_group()
                .or_else(|| f.hello.key_share().map(|k| k.group)),
            Err(_) => None,
        };
        match pick {
            Some(g) if remaining.contains(&g) => {
                found.push(g);
                remaining.retain(|x| *x != g);
            }
            _ => break,
        }
    }
    let order = if found.len() >= 2 {
        hello.groups = found.iter().rev().copied().collect();
        wire::probe(target, &hello)
            .ok()
            .and_then(|f| f.hello.hrr_group())
            .map(|g| g == found[0])
    } else {
        None
    };
    (found, order)
}

/// TLS 1.2 ECDHE groups, from the ServerKeyExchange, with the ECDHE suites the
/// server accepts.
pub fn groups12(target: &Target, list: &SuiteList, sni: Option<String>) -> Vec<NamedGroup> {
    let ecdhe: Vec<u16> = list
        .accepted
        .iter()
        .copied()
        .filter(|s| suites::name(*s).starts_with("TLS_ECDHE_"))
        .collect();
    if ecdhe.is_empty() {
        return Vec::new();
    }
    let mut hello = Hello::for_version(list.version, sni);
    hello.suites = ecdhe;
    let mut remaining: Vec<NamedGroup> = wire::ec_groups()
        .into_iter()
        .filter(|g| !g.name().starts_with("ffdhe"))
        .collect();
    let mut found = Vec::new();
    while !remaining.is_empty() {
        hello.groups = remaining.clone();
        match wire::probe(target, &hello).ok().and_then(|f| f.ske_group()) {
            Some(g) if remaining.contains(&g) => {
                found.push(g);
                remaining.retain(|x| *x != g);
            }
            _ => break,
        }
    }
    found
}

pub fn group_findings(
    g13: Option<&(Vec<NamedGroup>, Option<bool>)>,
    g12: &[NamedGroup],
    dh_bits: Option<usize>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let names = |gs: &[NamedGroup]| {
        gs.iter()
            .map(|g| group_name(*g))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some((groups, order)) = g13 {
        if !groups.is_empty() {
            let how = match order {
                Some(true) => ", in the server's order of preference",
                Some(false) => ", the server follows the client's order",
                None => "",
            };
            out.push(Finding::info(
                "groups.tls13",
                format!("Key exchange groups (TLS 1.3): {}{how}", names(groups)),
            ));
            if !groups.contains(&NamedGroup::X25519MLKEM768) {
                out.push(
                    Finding::info("groups.no-pq", "No post-quantum key exchange (X25519MLKEM768)")
                        .fix("Enable X25519MLKEM768 (OpenSSL 3.5+, BoringSSL, rustls, ferrotls) to protect today's traffic from decryption by future quantum computers."),
                );
            }
        }
    }
    if !g12.is_empty() {
        out.push(Finding::info(
            "groups.tls12",
            format!("ECDHE groups (TLS 1.2 and below): {}", names(g12)),
        ));
    }
    if let Some(bits) = dh_bits {
        if bits < 1024 {
            out.push(
                Finding::error("dhe.weak", format!("DHE parameters are only {bits} bits (Logjam)"))
                    .fix("Use 2048-bit (or larger) DH parameters, or drop DHE suites in favour of ECDHE."),
            );
        } else if bits < 2048 {
            out.push(
                Finding::warning("dhe.weak", format!("DHE parameters are only {bits} bits"))
                    .fix("Use 2048-bit (or larger) DH parameters, or drop DHE suites in favour of ECDHE."),
            );
        }
    }
    out
}

/// RFC 5746: does the ServerHello carry renegotiation_info?
pub fn renegotiation_finding(flight: &Flight) -> Finding {
    if flight.hello.has_extension(ExtensionType::RenegotiationInfo) {
        Finding::info(
            "renegotiation",
            "Secure renegotiation is supported (RFC 5746)",
        )
    } else {
        Finding::warning(
            "renegotiation",
            "The server does not support secure renegotiation (RFC 5746)",
        )
        .evidence(format!(
            "the {} ServerHello has no renegotiation_info extension",
            vname(flight.version)
        ))
        .fix("Upgrade the TLS library: without RFC 5746 an attacker can splice a renegotiated session onto theirs.")
    }
}

/// Offers a version below the best one with TLS_FALLBACK_SCSV (RFC 7507): the server
/// must refuse it with inappropriate_fallback.
pub fn fallback(
    target: &Target,
    best: ProtocolVersion,
    lower: ProtocolVersion,
    sni: Option<String>,
) -> Finding {
    let mut hello = Hello::for_version(lower, sni);
    hello.fallback_scsv = true;
    match wire::probe(target, &hello) {
        Err(Refusal::Alert(ferrotls::msgs::enums::AlertDescription::InappropriateFallback)) => {
            Finding::info("fallback-scsv", "Downgrades are refused (TLS_FALLBACK_SCSV)")
                .evidence(format!(
                    "{} with TLS_FALLBACK_SCSV was refused with inappropriate_fallback; the server supports {}",
                    vname(lower),
                    vname(best)
                ))
        }
        Ok(f) => {
            let sentinel = f.hello.random.get(24..) == Some(&DOWNGRADE_TLS12[..])
                || f.hello.random.get(24..) == Some(&ferrotls::msgs::DOWNGRADE_TLS11[..]);
            Finding::warning(
                "fallback-scsv",
                "The server ignores TLS_FALLBACK_SCSV (RFC 7507)",
            )
            .evidence(format!(
                "{} with TLS_FALLBACK_SCSV was accepted although the server supports {}{}",
                vname(lower),
                vname(best),
                if sentinel {
                    " (its ServerHello.random carries the TLS 1.3 downgrade sentinel, which protects TLS 1.3 clients)"
                } else {
                    ""
                }
            ))
            .fix("Upgrade the TLS library (OpenSSL 1.0.1j or later); an attacker can otherwise force old clients down to the weaker version.")
        }
        Err(e) => Finding::info("fallback-scsv", "Downgrades are refused (TLS_FALLBACK_SCSV)")
            .evidence(format!(
                "{} with TLS_FALLBACK_SCSV was refused ({})",
                vname(lower),
                e.describe()
            )),
    }
}

/// Offers DEFLATE (RFC 3749): accepting it opens CRIME.
pub fn compression(target: &Target, v: ProtocolVersion, sni: Option<String>) -> Option<Finding> {
    let mut hello = Hello::for_version(v, sni);
    hello.compression = vec![1, 0];
    let f = wire::probe(target, &hello).ok()?;
    Some(if f.hello.compression_method == 1 {
        Finding::error("compression", "TLS compression is enabled (CRIME)")
            .evidence("the server chose DEFLATE when offered")
            .fix("Disable TLS compression (OpenSSL: SSL_OP_NO_COMPRESSION; upgrade to OpenSSL 1.1.0+, which has none).")
    } else {
        Finding::info("compression", "TLS compression is off")
    })
}

/// ServerHello.random began with gmt_unix_time up to TLS 1.2 (RFC 5246, 7.4.1.2);
/// most servers now fill it with random bytes. Two flights whose first four bytes
/// both read as a time near ours, and near each other, carry the server's clock.
pub fn random_clock(flights: &[&Flight], now: i64) -> Option<ServerClock> {
    let times: Vec<i64> = flights
        .iter()
        .filter(|f| f.version != ProtocolVersion::TLSv1_3)
        .map(|f| {
            i64::from(u32::from_be_bytes([
                f.hello.random[0],
                f.hello.random[1],
                f.hello.random[2],
                f.hello.random[3],
            ]))
        })
        .collect();
    let [a, b, ..] = times.as_slice() else {
        return None;
    };
    let year = 365 * 86_400;
    ((a - now).abs() < 2 * year && (a - b).abs() <= 60).then_some(ServerClock {
        now: *a,
        source: "ServerHello.random",
    })
}

pub fn clock_finding(clock: Option<&ServerClock>, now: i64, http_tried: bool) -> Finding {
    use ferrotls::pki::time::{format_duration, format_time};
    match clock {
        None => Finding::info("clock", "The server's clock could not be read").evidence(
            if http_tried {
                "its ServerHello.random carries no time (normal since 2014) and its HTTP response has no Date header"
            } else {
                "its ServerHello.random carries no time (normal since 2014); use --http to read the HTTP Date header"
            },
        ),
        Some(c) if (c.now - now).abs() <= 300 => Finding::info(
            "clock",
            "The server's clock agrees with this machine's",
        )
        .evidence(format!("{} says {}", c.source, format_time(c.now))),
        Some(c) => Finding::warning(
            "clock",
            format!(
                "The server's clock and this machine's differ by {}",
                format_duration(c.now - now)
            ),
        )
        .evidence(format!(
            "{} says {}; this machine says {}",
            c.source,
            format_time(c.now),
            format_time(now)
        ))
        .fix("Synchronise the clocks with NTP; one of them is wrong, and certificate checks depend on it."),
    }
}
