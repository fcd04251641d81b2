//! `ferrotls diagnose`: probes a TLS server and explains every misconfiguration it
//! finds, each with its evidence and a fix.
//!
//! ```text
//! versions (5 hand-made hellos, in parallel)
//!   -> in parallel: suites per version (+ TLS 1.2 groups, SHA-1/MD5 signatures,
//!      the DHE prime), TLS 1.3 groups,
//!      certificate with / without / wrong SNI, Heartbleed, compression,
//!      TLS_FALLBACK_SCSV, resumption and 0-RTT, ALPN, HTTP (--http),
//!      Encrypted Client Hello (TLS 1.3)
//!   -> certificate analysis (needs the server's clock) -> report
//! ```
//!
//! Hand-made hellos (`wire`) read only the server's cleartext flight and never send
//! application data; probes that need a whole handshake use the ferrotls client
//! (`session`) with TLS 1.2 or 1.3 only.
//!
//! # JSON output (`--json`)
//!
//! ```text
//! { "target": "host:port" as given, "address": "ip:port" probed,
//!   "server_name": name matched and sent in SNI, "elapsed_ms": integer,
//!   "verdict": one line, "exit_code": 0 | 1 | 2 | 3,
//!   "errors": integer, "warnings": integer,
//!   "findings": [ { "id": "cert.expired", "severity": "error" | "warning" | "info",
//!                   "title": sentence, "evidence": [lines], "fix": sentence or "" } ] }
//! ```
//! Findings are sorted errors first. Ids: versions, versions.{sslv3,tls10,tls11,
//! no-tls13,no-modern,none}, suites, suites.{null,anonymous,export,rc4,des,3des,
//! no-forward-secrecy,static-rsa,cbc-only,cbc,client-order}, sigalgs,
//! sigalgs.{sha1,md5}, groups.{tls13,tls12,no-pq}, dhe.{weak,prime,common-prime},
//! cert.{chain,chain-order,chain-extra,chain-root,trusted,missing-intermediate,
//! wrong-intermediate,untrusted,untrusted-root,self-signed,distrusted,expired,
//! not-yet-valid,expires-soon,validity,chain-expired,name,name-mismatch,weak-key,
//! weak-signature,revoked,none,unparseable,unavailable,lifetime,no-revocation-info},
//! ocsp.{stapled,none,invalid,must-staple,must-staple-missing}, sni, sni.{ignored,default-mismatch,unrecognized},
//! heartbleed, renegotiation, fallback-scsv, compression, alpn,
//! resumption.{tls12-id,tls12-ticket,tls13}, tls12.{ems,no-ems}, early-data, http,
//! http.hsts, ech, ech.{supported,absent,intolerant,grease-intolerant,
//! retry-configs-stale,retry-configs-unusable,retry-failed}, clock, connect, timeout.
//!
//! Exit code: 0 no problems, 1 warnings only, 2 errors, 3 could not connect.

mod certs;
mod dh_primes;
mod ech;
mod hardening;
mod heartbleed;
mod leaf_policy;
mod probes;
mod report;
mod session;
mod suites;
mod wire;

use std::io::IsTerminal;
use std::net::{IpAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrotls::msgs::enums::ProtocolVersion;
use ferrotls::pki::{ParsedCert, Verifier};

use report::{Finding, Report};
use wire::{Flight, Refusal, Target};

#[derive(clap::Args)]
pub struct DiagnoseArgs {
    /// The server, as HOST or HOST:PORT (port 443 by default).
    target: String,
    /// The name to ask for (SNI) and to match the certificate against (default: HOST).
    #[arg(long)]
    servername: Option<String>,
    /// Trust only the CA certificates in this PEM file (default: Mozilla's roots).
    #[arg(long, conflicts_with = "system_roots")]
    cafile: Option<PathBuf>,
    /// Trust the operating system's store (default: Mozilla's roots).
    #[arg(long)]
    system_roots: bool,
    /// Print the report as JSON (schema in `ferrotls diagnose --help`'s source docs).
    #[arg(long)]
    json: bool,
    /// Also send `GET /` over HTTPS: HSTS and the server's Date header.
    #[arg(long)]
    http: bool,
    /// Stop probing after this many seconds in total.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

pub fn run(args: DiagnoseArgs) -> Result<(), String> {
    let report = diagnose(&args)?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    std::process::exit(report.exit_code);
}

/// A progress bar on a terminal, nothing otherwise.
fn progress(total: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}",
    ) {
        pb.set_style(style);
    }
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

fn diagnose(args: &DiagnoseArgs) -> Result<Report, String> {
    let start = Instant::now();
    let (host, port) = crate::common::split_host_port(&args.target, 443)?;
    let name = args
        .servername
        .clone()
        .unwrap_or_else(|| host.clone())
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let name_is_dns = name.parse::<IpAddr>().is_err();
    let verifier = match (&args.cafile, args.system_roots) {
        (Some(f), _) => Verifier::from_pem_files(&[f]).map_err(|e| e.to_string())?,
        (None, true) => Verifier::with_system_roots().map_err(|e| e.to_string())?,
        (None, false) => Verifier::with_webpki_roots(),
    };
    let finish = |address: String, findings: Vec<Finding>, connected: bool| {
        Report::new(
            args.target.clone(),
            address,
            name.clone(),
            findings,
            start.elapsed().as_millis(),
            connected,
        )
    };
    let addr = match (host.as_str(), port)
        .to_socket_addrs()
        .map(|mut a| a.next())
    {
        Ok(Some(a)) => a,
        Ok(None) | Err(_) => {
            let f = Finding::error("connect", format!("{host} does not resolve to an address"))
                .fix("Check the host name and DNS.");
            return Ok(finish(String::new(), vec![f], false));
        }
    };
    let target = Target {
        addr,
        name: name.clone(),
        deadline: start + Duration::from_secs(args.timeout.max(1)),
    };
    let sni = name_is_dns.then(|| name.clone());
    let pb = progress(5);

    // Phase 1: which versions.
    pb.set_message("protocol versions");
    let versions: Vec<(ProtocolVersion, Result<Flight, Refusal>)> = std::thread::scope(|s| {
        let handles: Vec<_> = probes::VERSIONS
            .iter()
            .map(|v| {
                let (target, sni) = (&target, sni.clone());
                (*v, s.spawn(move || probes::version(target, *v, sni)))
            })
            .collect();
        handles
            .into_iter()
            .map(|(v, h)| {
                let r = h
                    .join()
                    .unwrap_or_else(|_| Err(Refusal::Malformed("probe panicked".into())));
                (v, r)
            })
            .collect()
    });
    pb.inc(5);
    let accepted = |v: ProtocolVersion| versions.iter().any(|(x, r)| *x == v && r.is_ok());
    if !versions.iter().any(|(_, r)| r.is_ok()) {
        pb.finish_and_clear();
        let connect_err = versions.iter().find_map(|(_, r)| match r {
            Err(Refusal::Connect(e)) => Some(e.clone()),
            _ => None,
        });
        let f = match connect_err {
            Some(e) => Finding::error("connect", format!("Cannot connect to {addr}: {e}"))
                .fix("Check that the server runs and listens on this port, and that no firewall blocks it."),
            None => {
                let mut f = Finding::error("versions.none", "The server accepted no TLS version");
                for (v, r) in &versions {
                    if let Err(e) = r {
                        f = f.evidence(format!("{}: {}", probes::vname(*v), e.describe()));
                    }
                }
                f.fix("Check that this port serves TLS (not plain HTTP or another protocol).")
            }
        };
        return Ok(finish(addr.to_string(), vec![f], false));
    }
    let mut findings = probes::version_findings(&versions);
    let tls13 = accepted(ProtocolVersion::TLSv1_3);
    let tls12 = accepted(ProtocolVersion::TLSv1_2);
    let legacy_versions: Vec<ProtocolVersion> = versions
        .iter()
        .filter(|(v, r)| r.is_ok() && *v != ProtocolVersion::TLSv1_3)
        .map(|(v, _)| *v)
        .collect();
    let best_legacy = legacy_versions.last().copied();
    let all_accepted: Vec<ProtocolVersion> = versions
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(v, _)| *v)
        .collect();
    let lib_versions = session::usable_versions(tls13, tls12);
    let chain_probes = if name_is_dns { 3 } else { 1 };
    let tasks = all_accepted.len()
        + chain_probes
        + usize::from(tls13) * 3
        + usize::from(tls12)
        + usize::from(best_legacy.is_some()) * 2
        + usize::from(all_accepted.len() >= 2)
        + usize::from(!lib_versions.is_empty()) * (1 + usize::from(args.http));
    pb.set_length(5 + tasks as u64);
    if let Some(f) = versions
        .iter()
        .find(|(v, r)| Some(*v) == best_legacy && r.is_ok())
        .and_then(|(_, r)| r.as_ref().ok())
    {
        findings.push(probes::renegotiation_finding(f));
    }

    // Phase 2: everything else, in parallel.
    pb.set_message("cipher suites, groups, certificates, vulnerabilities, sessions");
    let wrong_name = "ferrotls-diagnose-nonexistent.invalid".to_string();
    let (suite_probe, g13, g12, chains, hb, comp, fb, res12, res13, alpn, http, ech) =
        std::thread::scope(|s| {
            let t = &target;
            let pb = &pb;
            let done = |what: &str| {
                pb.inc(1);
                pb.set_message(what.to_string());
            };
            let suite_handles: Vec<_> = all_accepted
                .iter()
                .map(|v| {
                    let sni = sni.clone();
                    s.spawn(move || {
                        let l = probes::enumerate_suites(t, *v, sni.clone());
                        let legacy = *v != ProtocolVersion::TLSv1_3 && Some(*v) == best_legacy;
                        let (g, sig, dhe) = if legacy {
                            (
                                probes::groups12(t, &l, sni.clone()),
                                hardening::weak_sigalgs(t, &l, sni.clone()),
                                hardening::dhe_flight(t, &l, sni),
                            )
                        } else {
                            (Vec::new(), None, None)
                        };
                        done("cipher suites");
                        (l, g, sig, dhe)
                    })
                })
                .collect();
            let g13 = tls13.then(|| {
                let sni = sni.clone();
                s.spawn(move || {
                    let r = probes::groups13(t, sni);
                    done("groups");
                    r
                })
            });
            let chain_handles: Vec<_> = [sni.clone(), None, Some(wrong_name.clone())]
                .into_iter()
                .enumerate()
                .filter(|(i, _)| *i == 0 || name_is_dns)
                .map(|(_, sni)| {
                    let lib_versions = lib_versions.clone();
                    s.spawn(move || {
                        let r = fetch_chain(t, sni, best_legacy, tls13);
                        let _ = lib_versions;
                        done("certificates");
                        r
                    })
                })
                .collect();
            let hb = best_legacy.map(|v| {
                let sni = sni.clone();
                s.spawn(move || {
                    let r = heartbleed::probe(t, v, sni);
                    done("heartbleed");
                    r
                })
            });
            let comp = best_legacy.map(|v| {
                let sni = sni.clone();
                s.spawn(move || {
                    let r = probes::compression(t, v, sni);
                    done("compression");
                    r
                })
            });
            let fb = (all_accepted.len() >= 2).then(|| {
                let best = all_accepted[all_accepted.len() - 1];
                let lower = all_accepted[all_accepted.len() - 2];
                let sni = sni.clone();
                s.spawn(move || {
                    let r = probes::fallback(t, best, lower, sni);
                    done("downgrade protection");
                    r
                })
            });
            let res12 = tls12.then(|| {
                s.spawn(move || {
                    let r = session::resumption12(t);
                    done("TLS 1.2 resumption");
                    r
                })
            });
            let res13 = tls13.then(|| {
                s.spawn(move || {
                    let r = session::resumption13(t);
                    done("TLS 1.3 resumption and 0-RTT");
                    r
                })
            });
            let alpn = (!lib_versions.is_empty()).then(|| {
                let v = lib_versions.clone();
                s.spawn(move || {
                    let r = session::alpn(t, &v);
                    done("ALPN");
                    r
                })
            });
            let http = (args.http && !lib_versions.is_empty()).then(|| {
                let v = lib_versions.clone();
                s.spawn(move || {
                    let r = session::http(t, &v);
                    done("HTTP");
                    r
                })
            });
            let ech = tls13.then(|| {
                s.spawn(move || {
                    let r = ech::probe(t, name_is_dns);
                    done("Encrypted Client Hello");
                    r
                })
            });
            let mut lists = Vec::new();
            let mut g12 = Vec::new();
            let (mut sigalgs, mut dhe) = (None, None);
            for h in suite_handles {
                if let Ok((l, g, sig, d)) = h.join() {
                    if !g.is_empty() {
                        g12 = g;
                    }
                    sigalgs = sigalgs.or(sig);
                    dhe = dhe.or(d);
                    lists.push(l);
                }
            }
            let chains: Vec<Result<Chain, String>> = chain_handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("probe panicked".into())))
                .collect();
            (
                (lists, sigalgs, dhe),
                g13.and_then(|h| h.join().ok()),
                g12,
                chains,
                hb.and_then(|h| h.join().ok()),
                comp.and_then(|h| h.join().ok()).flatten(),
                fb.and_then(|h| h.join().ok()),
                res12.and_then(|h| h.join().ok()).unwrap_or_default(),
                res13.and_then(|h| h.join().ok()).unwrap_or_default(),
                alpn.and_then(|h| h.join().ok()),
                http.and_then(|h| h.join().ok()),
                ech.and_then(|h| h.join().ok()),
            )
        });
    pb.finish_and_clear();
    let (suite_lists, sigalgs, dhe) = suite_probe;

    findings.extend(probes::suite_findings(&suite_lists));
    findings.extend(hardening::cbc_beside_aead(&suite_lists));
    findings.extend(hardening::client_order(&suite_lists));
    findings.extend(
        sigalgs
            .as_ref()
            .map(hardening::sigalg_findings)
            .unwrap_or_default(),
    );
    let dh_bits = suite_lists
        .iter()
        .flat_map(|l| l.flights.iter())
        .filter_map(Flight::ske_dh_bits)
        .min();
    let (prime_finding, prime_covers_size) =
        match dhe.as_ref().and_then(hardening::dhe_prime_finding) {
            Some((f, covers)) => (Some(f), covers),
            None => (None, false),
        };
    findings.extend(prime_finding);
    let dh_bits = dh_bits.filter(|_| !prime_covers_size);
    findings.extend(probes::group_findings(g13.as_ref(), &g12, dh_bits));
    if let Some(f) = versions
        .iter()
        .find(|(v, r)| Some(*v) == best_legacy && r.is_ok())
        .and_then(|(_, r)| r.as_ref().ok())
    {
        findings.extend(hardening::ems_finding(f));
    }

    // The server's clock: HTTP Date, else ServerHello.random.
    let now = unix_now();
    let mut clock = None;
    if let Some(http) = &http {
        match http {
            Ok(h) => {
                findings.push(session::hsts_finding(h));
                clock = h.date.map(|d| certs::ServerClock {
                    now: d,
                    source: "the HTTP Date header",
                });
            }
            Err(e) => findings.push(
                Finding::warning("http", "The HTTP request failed")
                    .evidence(e.clone())
                    .fix("Check that the server speaks HTTP on this port, or drop --http."),
            ),
        }
    }
    if clock.is_none() {
        let flights: Vec<&Flight> = versions
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .chain(suite_lists.iter().flat_map(|l| l.flights.iter()))
            .collect();
        clock = probes::random_clock(&flights, now);
    }
    findings.push(probes::clock_finding(clock.as_ref(), now, http.is_some()));

    // Certificates and SNI.
    let primary = chains
        .first()
        .cloned()
        .unwrap_or_else(|| Err("not run".into()));
    match &primary {
        Ok(c) => {
            let found = certs::analyze(&certs::Input {
                chain: &c.certs,
                ocsp: c.ocsp.as_deref(),
                name: &name,
                verifier: &verifier,
                now,
                server_clock: clock.clone(),
                source: &c.source,
            });
            let trusted = found.iter().any(|f| f.id == "cert.trusted");
            findings.extend(found);
            if let Some(der) = c.certs.first() {
                findings.extend(leaf_policy::findings(&leaf_policy::Leaf {
                    der,
                    publicly_trusted: trusted && args.cafile.is_none(),
                }));
            }
        }
        Err(e) => findings.push(
            Finding::error("cert.unavailable", "The certificate could not be retrieved")
                .evidence(e.clone()),
        ),
    }
    if name_is_dns {
        findings.extend(sni_findings(&name, &wrong_name, &chains));
    }

    if let Some(Ok(v)) = &hb {
        findings.push(heartbleed::finding(v));
    } else if let Some(Err(e)) = &hb {
        findings.push(
            Finding::info("heartbleed", "The Heartbleed probe did not run").evidence(e.describe()),
        );
    }
    findings.extend(comp);
    findings.extend(fb);
    findings.extend(res12);
    findings.extend(res13);
    findings.extend(alpn);
    if let Some(o) = &ech {
        let plain13 = matches!(&primary, Ok(c) if c.tls13);
        findings.extend(ech::findings(o, plain13));
    }
    if Instant::now() >= target.deadline {
        findings.push(
            Finding::warning(
                "timeout",
                format!(
                    "The {} s time budget ran out; some probes are incomplete",
                    args.timeout
                ),
            )
            .fix("Run again with a larger --timeout."),
        );
    }
    Ok(finish(addr.to_string(), findings, true))
}

/// A certificate chain as some handshake delivered it.
#[derive(Clone, Debug)]
struct Chain {
    certs: Vec<Vec<u8>>,
    ocsp: Option<Vec<u8>>,
    source: String,
    /// Delivered by a complete TLS 1.3 handshake of the ferrotls client.
    tls13: bool,
}

/// Fetches the chain: from a TLS 1.3 handshake by the ferrotls client when the
/// server speaks TLS 1.3 (what current clients see), else from the cleartext flight
/// of the best older version.
fn fetch_chain(
    target: &Target,
    sni: Option<String>,
    legacy: Option<ProtocolVersion>,
    tls13: bool,
) -> Result<Chain, String> {
    let sni_text = match &sni {
        Some(n) => format!("with SNI {n}"),
        None => "without SNI".to_string(),
    };
    let mut errors = Vec::new();
    if tls13 {
        let mut opts = session::Options::new(target, &[ProtocolVersion::TLSv1_3]);
        opts.sni = sni.clone();
        match session::connect(target, &opts) {
            Ok(c) => {
                let seen = c.chain();
                c.close();
                if let Some((certs, ocsp)) = seen {
                    return Ok(Chain {
                        certs,
                        ocsp,
                        source: format!("TLS 1.3 handshake {sni_text}"),
                        tls13: true,
                    });
                }
            }
            Err(e) => errors.push(format!("TLS 1.3 handshake {sni_text}: {e}")),
        }
    }
    if let Some(v) = legacy {
        match wire::probe(target, &wire::Hello::for_version(v, sni)) {
            Ok(f) if !f.certs.is_empty() => {
                return Ok(Chain {
                    certs: f.certs,
                    ocsp: f.ocsp,
                    source: format!("{} handshake {sni_text}", probes::vname(v)),
                    tls13: false,
                })
            }
            Ok(_) => errors.push(format!(
                "{} handshake {sni_text}: no Certificate message",
                probes::vname(v)
            )),
            Err(e) => errors.push(format!(
                "{} handshake {sni_text}: {}",
                probes::vname(v),
                e.describe()
            )),
        }
    }
    Err(errors.join("; "))
}

fn describe_leaf(der: &[u8]) -> String {
    match ParsedCert::parse(der) {
        Ok(p) => {
            let names: Vec<String> = p.dns_names.iter().map(|d| format!("DNS:{d}")).collect();
            if names.is_empty() {
                p.subject
            } else {
                format!("{} ({})", p.subject, names.join(", "))
            }
        }
        Err(_) => "an unparseable certificate".into(),
    }
}

fn covers(der: &[u8], name: &str) -> bool {
    ParsedCert::parse(der).is_ok_and(|p| p.covers_dns_name(name))
}

/// Compares the certificates served with SNI, without it, and for a made-up name.
fn sni_findings(name: &str, wrong: &str, chains: &[Result<Chain, String>]) -> Vec<Finding> {
    let leaf = |i: usize| -> Result<&[u8], String> {
        match chains.get(i) {
            Some(Ok(c)) => c
                .certs
                .first()
                .map(Vec::as_slice)
                .ok_or_else(|| "no certificate".into()),
            Some(Err(e)) => Err(e.clone()),
            None => Err("not run".into()),
        }
    };
    let (with, without, made_up) = (leaf(0), leaf(1), leaf(2));
    let line = |what: &str, r: &Result<&[u8], String>| match r {
        Ok(d) => format!("{what}: {}", describe_leaf(d)),
        Err(e) => format!("{what}: refused ({e})"),
    };
    let evidence = [
        line(&format!("with SNI {name}"), &with),
        line("without SNI", &without),
        line(&format!("with SNI {wrong}"), &made_up),
    ];
    let add = |mut f: Finding| {
        for e in &evidence {
            f = f.evidence(e.clone());
        }
        f
    };
    let Ok(with) = with else {
        let unrecognized = evidence[0].contains("unrecognized_name");
        return vec![if unrecognized {
            add(Finding::error(
                "sni.unrecognized",
                format!("The server does not know the name {name}"),
            ))
            .fix(format!(
                "Configure a virtual host (and certificate) for {name} on the server."
            ))
        } else {
            add(Finding::info("sni", "SNI could not be tested"))
        }];
    };
    let mut out = Vec::new();
    if covers(with, name) {
        match &without {
            Ok(d) if *d != with && !covers(d, name) => out.push(
                add(Finding::warning(
                    "sni.default-mismatch",
                    format!("The default certificate (sent without SNI) does not match {name}"),
                ))
                .fix(format!("Make the certificate for {name} the default (nginx: listen ... default_server; Apache: the first VirtualHost), unless clients without SNI do not matter.")),
            ),
            _ => out.push(add(Finding::info("sni", format!("The server sends the right certificate for {name}")))),
        }
    } else if matches!((&without, &made_up), (Ok(a), Ok(b)) if *a == with && *b == with) {
        out.push(
            add(Finding::warning(
                "sni.ignored",
                "The server ignores SNI: it sends the same certificate whatever name is asked",
            ))
            .fix(format!("Configure a certificate for {name} on the server (a virtual host for {name} with its own certificate), or add {name} to this certificate.")),
        );
    } else {
        out.push(add(Finding::info(
            "sni",
            format!("The server selects a certificate by SNI, but not one for {name}"),
        )));
    }
    out
}
