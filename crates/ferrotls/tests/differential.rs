//! Differential test of certificate path validation over a generated corpus.
//!
//! Every chain of [`corpus::corpus`] (hundreds: every rule broken alone and in pairs,
//! with and without key identifiers, unordered, redundant and cross-signed chains,
//! self-signed leaves of both kinds) gets five verdicts:
//!
//! - ferrotls with the default policy, against rustls-webpki 0.103 and against
//!   `openssl verify` without `-x509_strict`;
//! - ferrotls with the strict RFC 5280 profile, against `openssl verify -x509_strict`.
//!
//! Each pair must agree except for the disagreements listed below, each with its
//! reason; an unlisted disagreement, or a listed one that no longer happens, fails the
//! test with a table. ferrotls's default verdict must also be the one the corpus
//! expects from the faults it put in, so a fault that never reached the certificates
//! cannot hide behind three verifiers agreeing. Run with `--nocapture` for the
//! per-case matrix, the summary and timing (`DIFFERENTIAL_WHY=1` adds every reason):
//! `cargo test -p ferrotls --test differential -- --nocapture`.
//! Without `openssl` on PATH the OpenSSL half is skipped with a message, except under
//! `CI=true`, where it fails.

mod common;
mod differential_support;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use common::TempDir;
use differential_support::corpus::{self, Case, Factory};
use differential_support::peers::{self, Verdict};
use ferrotls::pki::Policy;

/// The verifier ferrotls is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Peer {
    /// rustls-webpki 0.103, against ferrotls's default policy.
    Webpki,
    /// `openssl verify`, against ferrotls's default policy.
    Openssl,
    /// `openssl verify -x509_strict`, against ferrotls's strict profile.
    OpensslStrict,
}

/// A justified disagreement: the cases it covers (`*` matches any text in a case
/// name), the peer, ferrotls's verdict (the peer gives the other), and why.
struct Listed {
    cases: &'static str,
    peer: Peer,
    ferrotls_accepts: bool,
    reason: &'static str,
}

const fn listed(
    cases: &'static str,
    peer: Peer,
    ferrotls_accepts: bool,
    reason: &'static str,
) -> Listed {
    Listed {
        cases,
        peer,
        ferrotls_accepts,
        reason,
    }
}

const ANCHOR_VALIDITY: &str = "rustls-webpki keeps only a trust anchor's subject, key and name \
    constraints (RFC 5280, 6.1.1 (d)) and never reads its validity period; OpenSSL, Go's \
    crypto/x509 and ferrotls refuse a root outside its validity (a policy question for issue 13: \
    RFC 5280 leaves trust anchor validity to the relying party)";
const CA_KEY_USAGE: &str = "rustls-webpki does not read keyUsage in CA certificates; RFC 5280, \
    4.2.1.3 and 6.1.4 (n) require keyCertSign when keyUsage is present, and OpenSSL, Chrome, \
    Firefox and ferrotls refuse such an issuer";
const WEBPKI_LEAF_KEY: &str = "rustls-webpki checks a key's size only when it verifies a \
    signature made with it; the leaf's key signs only in the handshake, where rustls refuses \
    RSA under 2048 bits. ferrotls refuses the certificate itself (CA/B Forum BR 6.1.5)";
const OPENSSL_NO_SECLEVEL: &str = "`openssl verify` applies no security level unless given \
    -auth_level; OpenSSL's own TLS clients verify at their security level, where level 1 \
    (OpenSSL 3's default) refuses SHA-1 signatures and level 2 (Debian's default) refuses \
    RSA-1024 keys (measured: -auth_level 1 and 2 give errors 68 and 66 on these cases)";
const OPENSSL_CA_LEAF: &str = "OpenSSL accepts a CA certificate (cA=TRUE) as the server's \
    own; rustls-webpki (CaUsedAsEndEntity), Firefox \
    (MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY) and ferrotls refuse it (CA/B Forum BR \
    7.1.2.7.8)";
const OPENSSL_CA_LEAF_TRUSTED: &str = "an `openssl req -x509` certificate (cA=TRUE) put in \
    the trust store: OpenSSL accepts the trusted certificate as the server's own; \
    rustls-webpki and ferrotls's Verifier refuse a CA as end entity even when trusted \
    (ferrotls's PinnedCertVerifier accepts it)";
const OPENSSL_CN: &str = "OpenSSL falls back to the subject CN when the certificate has no \
    DNS subjectAltName; RFC 9525 (6.3), the CA/B Forum BRs, Chrome (since 58), Go (since \
    1.15), rustls-webpki and ferrotls match subjectAltName only";
const OPENSSL_TRAILING_DOT: &str = "a trailing dot marks the absolute form of the same DNS \
    name (RFC 1034, 3.1); browsers, Go and rustls-webpki ignore it when matching, OpenSSL's \
    X509_check_host compares the name as given";

/// Disagreements of ferrotls's default policy with rustls-webpki and `openssl verify`.
const DEFAULT_DISAGREEMENTS: &[Listed] = &[
    listed("*root-expired*", Peer::Webpki, false, ANCHOR_VALIDITY),
    listed("*root-not-yet-valid*", Peer::Webpki, false, ANCHOR_VALIDITY),
    listed("*inter-no-certsign*", Peer::Webpki, false, CA_KEY_USAGE),
    listed("*weak-key*", Peer::Webpki, false, WEBPKI_LEAF_KEY),
    listed(
        "*sha1-signature*",
        Peer::Openssl,
        false,
        OPENSSL_NO_SECLEVEL,
    ),
    listed("*weak-key*", Peer::Openssl, false, OPENSSL_NO_SECLEVEL),
    listed("*ca-as-leaf*", Peer::Openssl, false, OPENSSL_CA_LEAF),
    listed(
        "selfsigned-ca/*/trusted",
        Peer::Openssl,
        false,
        OPENSSL_CA_LEAF_TRUSTED,
    ),
    listed("*leaf-cn-no-san*", Peer::Openssl, false, OPENSSL_CN),
    listed(
        "*name-trailing-dot*",
        Peer::Openssl,
        true,
        OPENSSL_TRAILING_DOT,
    ),
];

/// Disagreements of ferrotls's strict profile with `openssl verify -x509_strict`.
const STRICT_DISAGREEMENTS: &[Listed] = &[
    listed(
        "*sha1-signature*",
        Peer::OpensslStrict,
        false,
        OPENSSL_NO_SECLEVEL,
    ),
    listed(
        "*weak-key*",
        Peer::OpensslStrict,
        false,
        OPENSSL_NO_SECLEVEL,
    ),
    listed("*ca-as-leaf*", Peer::OpensslStrict, false, OPENSSL_CA_LEAF),
    listed(
        "selfsigned-ca/*/trusted",
        Peer::OpensslStrict,
        false,
        OPENSSL_CA_LEAF_TRUSTED,
    ),
    listed("*leaf-cn-no-san*", Peer::OpensslStrict, false, OPENSSL_CN),
    listed(
        "*name-trailing-dot*",
        Peer::OpensslStrict,
        true,
        OPENSSL_TRAILING_DOT,
    ),
];

/// Which ferrotls policy a comparison uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Mode {
    /// `Policy::default()`.
    Default,
    /// `Policy::strict_rfc5280()`, the opt-in strict profile.
    Strict,
}

impl Mode {
    /// The lists that may explain a disagreement in this mode.
    fn lists(self) -> &'static [&'static str] {
        match self {
            Mode::Default => &["DEFAULT_DISAGREEMENTS"],
            Mode::Strict => &["STRICT_DISAGREEMENTS"],
        }
    }
}

const LISTS: [(&str, &[Listed]); 2] = [
    ("DEFAULT_DISAGREEMENTS", DEFAULT_DISAGREEMENTS),
    ("STRICT_DISAGREEMENTS", STRICT_DISAGREEMENTS),
];

/// `*`-wildcard match of a whole name.
fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((head, tail)) => {
            let Some(rest) = name.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len()).any(|i| rest.is_char_boundary(i) && glob(tail, &rest[i..]))
        }
    }
}

/// Every verdict of one case (the OpenSSL ones absent when it is not installed).
struct Verdicts {
    ferrotls: Verdict,
    ferrotls_strict: Verdict,
    webpki: Verdict,
    openssl: Option<Verdict>,
    openssl_strict: Option<Verdict>,
}

/// One disagreement found.
struct Found<'c> {
    case: &'c str,
    mode: Mode,
    peer: Peer,
    ferrotls: &'c Verdict,
    other: &'c Verdict,
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

fn table(rows: &[Found<'_>]) -> String {
    let mut out = String::new();
    for r in rows {
        out.push_str(&format!(
            "  {:<52} {:<14} {:<14} ferrotls {} | peer {}\n      ferrotls: {}\n      peer:     {}\n",
            r.case,
            format!("{:?}", r.mode),
            format!("{:?}", r.peer),
            r.ferrotls.word(),
            r.other.word(),
            or_dash(&r.ferrotls.why),
            or_dash(&r.other.why),
        ));
    }
    out
}

/// OpenSSL's verdicts (without, with `-x509_strict`) for every case, on both cores.
fn openssl_verdicts(dir: &Path, cases: &[Case]) -> Vec<(Verdict, Verdict)> {
    const WORKERS: usize = 2;
    let case_dir = |n: usize| dir.join(format!("case-{n:04}"));
    for (n, c) in cases.iter().enumerate() {
        peers::write_case(&case_dir(n), c);
    }
    let mut out: Vec<Option<(Verdict, Verdict)>> = vec![None; cases.len()];
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                s.spawn(move || {
                    (w..cases.len())
                        .step_by(WORKERS)
                        .map(|n| {
                            let d = case_dir(n);
                            let plain = peers::openssl(&d, &cases[n], false);
                            (n, plain, peers::openssl(&d, &cases[n], true))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for w in workers {
            for (n, plain, strict) in w.join().unwrap() {
                out[n] = Some((plain, strict));
            }
        }
    });
    out.into_iter().map(|v| v.unwrap()).collect()
}

#[test]
fn glob_matches_whole_names() {
    assert!(glob("inter/*/weak-key", "inter/ids/weak-key"));
    assert!(glob("*weak-key*", "inter/ids/leaf-expired+weak-key"));
    assert!(!glob(
        "inter/*/weak-key",
        "inter/ids/weak-key+sha1-signature"
    ));
    assert!(!glob("direct/*", "inter/ids/clean"));
}

#[test]
fn ferrotls_agrees_with_webpki_and_openssl_except_where_listed() {
    let started = Instant::now();
    let tmp = TempDir::new("differential");
    let have_openssl = peers::openssl_available();
    if !have_openssl {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`openssl` is not installed (not found on PATH); the differential test needs it \
             under CI. Install it (`apt-get install openssl`), or run scripts/test.sh, which does."
        );
        eprintln!("openssl is not installed: comparing with rustls-webpki only");
    }
    let mut factory = Factory::new(tmp.path(), have_openssl);
    let cases = corpus::corpus(&mut factory);
    let generated = started.elapsed();
    assert!(
        cases.len() >= 300,
        "corpus too small: {} cases",
        cases.len()
    );
    let mut names = HashSet::new();
    for c in &cases {
        assert!(
            names.insert(c.name.as_str()),
            "case name {} used twice",
            c.name
        );
    }

    let default_policy = Policy::default();
    let strict_policy = Policy::strict_rfc5280();
    let t = Instant::now();
    let ferro: Vec<[Verdict; 2]> = cases
        .iter()
        .map(|c| {
            [
                peers::ferrotls(c, &default_policy),
                peers::ferrotls(c, &strict_policy),
            ]
        })
        .collect();
    let ferrotls_time = t.elapsed();
    let t = Instant::now();
    let webpki: Vec<Verdict> = cases.iter().map(peers::webpki).collect();
    let webpki_time = t.elapsed();
    let t = Instant::now();
    let mut openssl = match have_openssl {
        true => openssl_verdicts(tmp.path(), &cases)
            .into_iter()
            .map(Some)
            .collect(),
        false => vec![None; cases.len()],
    };
    let openssl_time = t.elapsed();

    let verdicts: Vec<Verdicts> = ferro
        .into_iter()
        .zip(webpki)
        .zip(openssl.drain(..))
        .map(|(([f, fs], w), o)| Verdicts {
            ferrotls: f,
            ferrotls_strict: fs,
            webpki: w,
            openssl_strict: o.as_ref().map(|o| o.1.clone()),
            openssl: o.map(|o| o.0),
        })
        .collect();

    let mut failures: Vec<String> = Vec::new();
    let mut unlisted: Vec<Found<'_>> = Vec::new();
    let mut uses: HashMap<(&str, usize), usize> = HashMap::new();
    let mut agree: HashMap<(Mode, Peer), usize> = HashMap::new();
    let mut explained: HashMap<(Mode, Peer), usize> = HashMap::new();
    for (c, v) in cases.iter().zip(&verdicts) {
        let comparisons = [
            (Mode::Default, Peer::Webpki, &v.ferrotls, Some(&v.webpki)),
            (
                Mode::Default,
                Peer::Openssl,
                &v.ferrotls,
                v.openssl.as_ref(),
            ),
            (
                Mode::Strict,
                Peer::OpensslStrict,
                &v.ferrotls_strict,
                v.openssl_strict.as_ref(),
            ),
        ];
        for (mode, peer, f, other) in comparisons {
            let Some(other) = other else { continue };
            if f.accepted == other.accepted {
                *agree.entry((mode, peer)).or_default() += 1;
                continue;
            }
            let hit = LISTS
                .iter()
                .filter(|(list, _)| mode.lists().contains(list))
                .find_map(|(list, entries)| {
                    entries
                        .iter()
                        .position(|e| {
                            e.peer == peer
                                && e.ferrotls_accepts == f.accepted
                                && glob(e.cases, &c.name)
                        })
                        .map(|i| (*list, i))
                });
            match hit {
                Some(key) => {
                    *uses.entry(key).or_default() += 1;
                    *explained.entry((mode, peer)).or_default() += 1;
                }
                None => unlisted.push(Found {
                    case: &c.name,
                    mode,
                    peer,
                    ferrotls: f,
                    other,
                }),
            }
        }
    }
    for (list, entries) in LISTS {
        for (i, e) in entries.iter().enumerate() {
            let ran = e.peer == Peer::Webpki || have_openssl;
            if ran && !uses.contains_key(&(list, i)) {
                failures.push(format!(
                    "{list} entry {:?} ({:?}) matches no disagreement any more: delete it",
                    e.cases, e.peer
                ));
            }
        }
    }

    // The faults must be in the certificates: ferrotls's default verdict is the one the
    // rules call for (an agreement of three verifiers on a chain that lacks its fault
    // would prove nothing).
    for (c, v) in cases.iter().zip(&verdicts) {
        if v.ferrotls.accepted != c.expect_accept {
            failures.push(format!(
                "{}: ferrotls's default policy gives {} ({}), the rules call for {}",
                c.name,
                v.ferrotls.word(),
                or_dash(&v.ferrotls.why),
                if c.expect_accept { "accept" } else { "reject" }
            ));
        }
    }

    // One line per case (shown with --nocapture or on failure): A accepts, R refuses,
    // - not run; ferrotls default, strict, webpki, openssl, -x509_strict.
    // DIFFERENTIAL_WHY=1 adds every refusal's reason.
    let why = std::env::var_os("DIFFERENTIAL_WHY").is_some();
    let letter = |v: Option<&Verdict>| match v {
        Some(v) if v.accepted => 'A',
        Some(_) => 'R',
        None => '-',
    };
    println!("case                                                  F S W O OS");
    for (c, v) in cases.iter().zip(&verdicts) {
        println!(
            "{:<53} {} {} {} {} {}",
            c.name,
            letter(Some(&v.ferrotls)),
            letter(Some(&v.ferrotls_strict)),
            letter(Some(&v.webpki)),
            letter(v.openssl.as_ref()),
            letter(v.openssl_strict.as_ref()),
        );
        if why {
            for (who, v) in [
                ("ferrotls", Some(&v.ferrotls)),
                ("ferrotls strict", Some(&v.ferrotls_strict)),
                ("rustls-webpki", Some(&v.webpki)),
                ("openssl", v.openssl.as_ref()),
                ("openssl strict", v.openssl_strict.as_ref()),
            ] {
                if let Some(v) = v.filter(|v| !v.accepted) {
                    println!("    {who}: {}", v.why);
                }
            }
        }
    }

    // Every verifier must give both verdicts over the corpus, and the clean chain must
    // pass everywhere: a broken harness cannot pass by refusing (or accepting) all.
    println!("{} cases", cases.len());
    let mut classes: Vec<(&str, Vec<bool>)> = vec![
        (
            "ferrotls default",
            verdicts.iter().map(|v| v.ferrotls.accepted).collect(),
        ),
        (
            "ferrotls strict",
            verdicts
                .iter()
                .map(|v| v.ferrotls_strict.accepted)
                .collect(),
        ),
        (
            "rustls-webpki",
            verdicts.iter().map(|v| v.webpki.accepted).collect(),
        ),
    ];
    if have_openssl {
        let o = |v: &Option<Verdict>| v.as_ref().is_some_and(|v| v.accepted);
        classes.push((
            "openssl verify",
            verdicts.iter().map(|v| o(&v.openssl)).collect(),
        ));
        classes.push((
            "openssl verify -x509_strict",
            verdicts.iter().map(|v| o(&v.openssl_strict)).collect(),
        ));
    }
    for (who, accepted) in &classes {
        let yes = accepted.iter().filter(|a| **a).count();
        println!(
            "  {who:<28} accepts {yes:>4}, rejects {:>4}",
            accepted.len() - yes
        );
        if yes == 0 || yes == accepted.len() {
            failures.push(format!(
                "{who} gives one verdict to all {} cases",
                accepted.len()
            ));
        }
    }
    let clean = cases
        .iter()
        .position(|c| c.name == "inter/ids/clean")
        .expect("the clean chain is in the corpus");
    let v = &verdicts[clean];
    for (who, verdict) in [
        ("ferrotls default", Some(&v.ferrotls)),
        ("ferrotls strict", Some(&v.ferrotls_strict)),
        ("rustls-webpki", Some(&v.webpki)),
        ("openssl verify", v.openssl.as_ref()),
        ("openssl verify -x509_strict", v.openssl_strict.as_ref()),
    ] {
        if let Some(verdict) = verdict.filter(|v| !v.accepted) {
            failures.push(format!("{who} refuses the clean chain: {}", verdict.why));
        }
    }

    for (mode, peer) in [
        (Mode::Default, Peer::Webpki),
        (Mode::Default, Peer::Openssl),
        (Mode::Strict, Peer::OpensslStrict),
    ] {
        println!(
            "  ferrotls {:<14} vs {:<14} agree {:>4}, listed disagreements {:>4}, unlisted {:>4}",
            format!("{mode:?}"),
            format!("{peer:?}"),
            agree.get(&(mode, peer)).copied().unwrap_or(0),
            explained.get(&(mode, peer)).copied().unwrap_or(0),
            unlisted
                .iter()
                .filter(|u| u.mode == mode && u.peer == peer)
                .count()
        );
    }
    for (list, entries) in LISTS {
        for (i, e) in entries.iter().enumerate() {
            println!(
                "  {list}: {} vs {:?}, ferrotls {}, {} case(s): {}",
                e.cases,
                e.peer,
                if e.ferrotls_accepts {
                    "accepts"
                } else {
                    "refuses"
                },
                uses.get(&(list, i)).copied().unwrap_or(0),
                e.reason
            );
        }
    }
    println!(
        "timing: corpus {generated:.2?} ({} certificates, {} SHA-1 signatures by openssl), \
         ferrotls {ferrotls_time:.2?} (3 policies), rustls-webpki {webpki_time:.2?}, \
         openssl verify {openssl_time:.2?} ({} runs on 2 threads), total {:.2?}",
        factory.certificates(),
        factory.sha1_signatures,
        if have_openssl { 2 * cases.len() } else { 0 },
        started.elapsed()
    );
    if !unlisted.is_empty() {
        failures.push(format!(
            "{} unlisted disagreement(s):\n{}",
            unlisted.len(),
            table(&unlisted)
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
