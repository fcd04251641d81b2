//! x509-limbo harness: reads limbo.json on stdin, runs every case through
//! `pki::Verifier`, prints the results JSON (see shared/limbo/README.md).
//!
//! `cargo run --release -p ferrotls --example ferrotls-limbo [-- --cabf | --strict] < limbo.json > results.json`
//!
//! By default the verifier runs with `Policy::default()`, the score users get. With
//! `--cabf` it also applies the CA/Browser Forum subject-CN rule (BR 7.1.4.3,
//! `Policy::require_cn_in_san`), which limbo's nine webpki::cn::* cases expect and
//! 396 cases expecting success (389 of them BetterTLS), whose leaves carry a CN that
//! is no SAN, do not. With `--strict` it runs `Policy::strict_rfc5280()` with the
//! subject-CN rule: every RFC 5280 encoding rule and BR 7.1.4.3, so that nothing
//! limbo expects to fail is accepted.

use std::io::Read;

use ferrotls::pki::{Policy, Purpose, Request, RootStore, SubjectName, TrustAnchor, Verifier};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use serde_json::{json, Value};

/// Feature tags whose cases we skip, and why.
pub const SKIPPED_FEATURES: &[(&str, &str)] = &[
    (
        "pedantic-public-suffix-wildcard",
        "needs the Public Suffix List, which ferrotls does not ship; wildcards need two labels after them (so *.com is refused)",
    ),
    (
        "rfc5280-incompatible-with-webpki",
        "ferrotls follows Web PKI practice and honours non-critical nameConstraints (webpki::nc::permitted-dns-match-noncritical)",
    ),
    (
        "pedantic-webpki-eku",
        "requiring an EKU in every end-entity certificate contradicts RFC 5280 (rfc5280::eku::ee-without-eku)",
    ),
    (
        "pedantic-rfc5280",
        "a trust anchor is a name and a key (RFC 5280, 6.1.1 (d)); requiring an AKI in a cross-signed trusted root breaks cve::cve-2024-0567",
    ),
];

/// The policy the cases run under.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `Policy::default()`.
    Default,
    /// `--cabf`: the default policy plus `require_cn_in_san`.
    Cabf,
    /// `--strict`: `Policy::strict_rfc5280()` plus `require_cn_in_san`.
    Strict,
}

impl Mode {
    fn policy(self) -> Policy {
        match self {
            Mode::Default => Policy::default(),
            Mode::Strict => Policy {
                require_cn_in_san: true,
                ..Policy::strict_rfc5280()
            },
            Mode::Cabf => Policy {
                require_cn_in_san: true,
                ..Policy::default()
            },
        }
    }
}

pub fn run_case(case: &Value, mode: Mode) -> (&'static str, String) {
    let features: Vec<&str> = case["features"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (f, why) in SKIPPED_FEATURES {
        if features.contains(f) {
            return ("SKIPPED", format!("feature {f}: {why}"));
        }
    }
    match verify_case(case, mode) {
        Ok(()) => ("SUCCESS", String::new()),
        Err(e) => ("FAILURE", e),
    }
}

fn pem_cert(pem: &str) -> Result<CertificateDer<'static>, String> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| format!("PEM: {e}"))
}

fn verify_case(case: &Value, mode: Mode) -> Result<(), String> {
    let mut roots = RootStore::new();
    for pem in case["trusted_certs"].as_array().into_iter().flatten() {
        let der = pem_cert(pem.as_str().unwrap_or_default())?;
        roots.add(TrustAnchor::from_cert(der).map_err(|e| e.to_string())?);
    }
    let inter: Vec<CertificateDer<'static>> = case["untrusted_intermediates"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| pem_cert(p.as_str().unwrap_or_default()))
        .collect::<Result<_, _>>()?;
    let leaf = pem_cert(case["peer_certificate"].as_str().unwrap_or_default())?;
    let mut crls = Vec::new();
    for pem in case["crls"].as_array().into_iter().flatten() {
        crls.extend(
            ferrotls::pki::crls_from_bytes(pem.as_str().unwrap_or_default().as_bytes())
                .map_err(|e| e.to_string())?,
        );
    }
    let now = match case["validation_time"].as_str() {
        Some(t) => ferrotls::pki::time::parse_time(t).ok_or("bad validation_time")?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    let verifier = Verifier::new(roots)
        .with_crls(crls)
        .with_policy(mode.policy());
    let mut req = Request::new(leaf.as_ref(), now);
    req.intermediates = inter.iter().map(|c| c.as_ref()).collect();
    req.purpose = match case["validation_kind"].as_str() {
        Some("CLIENT") => Purpose::ClientAuth,
        _ => Purpose::ServerAuth,
    };
    let ekus: Vec<&str> = case["extended_key_usage"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if ekus.contains(&"clientAuth") {
        req.purpose = Purpose::ClientAuth;
    } else if ekus.contains(&"serverAuth") {
        req.purpose = Purpose::ServerAuth;
    }
    req.max_intermediates = case["max_chain_depth"].as_u64().map(|d| d as usize);
    let name = &case["expected_peer_name"];
    req.name = match (name["kind"].as_str(), name["value"].as_str()) {
        (Some("DNS"), Some(v)) => Some(SubjectName::Dns(v.to_string())),
        (Some("IP"), Some(v)) => Some(SubjectName::Ip(v.parse().map_err(|_| "bad IP")?)),
        _ => None,
    };
    verifier.verify(&req).map(|_| ()).map_err(|e| e.to_string())
}

#[allow(dead_code)] // Also compiled into tests/limbo.rs, which has its own entry point.
fn main() {
    let mode = match std::env::args().nth(1).as_deref() {
        None => Mode::Default,
        Some("--cabf") => Mode::Cabf,
        Some("--strict") => Mode::Strict,
        Some(other) => {
            eprintln!("ferrotls-limbo: unknown argument {other}; the options are --cabf (apply the CA/Browser Forum subject-CN rule) and --strict (the strict RFC 5280 profile)");
            std::process::exit(2);
        }
    };
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("ferrotls-limbo: cannot read stdin: {e}");
        std::process::exit(2);
    }
    let limbo: Value = match serde_json::from_str(&input) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("ferrotls-limbo: stdin is not limbo JSON: {e}");
            std::process::exit(2);
        }
    };
    let results: Vec<Value> = limbo["testcases"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|case| {
            let (actual, context) = run_case(case, mode);
            json!({"id": case["id"], "actual_result": actual, "context": context})
        })
        .collect();
    let harness = match mode {
        Mode::Default => "ferrotls",
        Mode::Cabf => "ferrotls --cabf",
        Mode::Strict => "ferrotls --strict",
    };
    let out = json!({"version": 1, "harness": harness, "results": results});
    println!("{out}");
}
