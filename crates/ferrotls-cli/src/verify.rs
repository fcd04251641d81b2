//! `ferrotls verify`: build and validate a certificate path, print it and the
//! verdict. Exit status 0 valid, 1 invalid, 2 usage error (bad files or flags).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use ferrotls::error::CertificateError;

use crate::common::printable;
use ferrotls::pki::{
    describe_certificate, time, CertRole, ChainEntry, Policy, Purpose, Request, RootStore,
    SubjectName, TrustAnchor, Verifier,
};

/// `{"kind", "class", "message", "certificate"}` for each problem, in precedence order.
fn problems_json(e: &CertificateError) -> String {
    let items: Vec<String> = e
        .problems()
        .iter()
        .map(|p| {
            format!(
                "{{\"kind\":{},\"class\":{},\"message\":{},\"certificate\":{}}}",
                json_str(p.kind()),
                json_str(p.precedence().as_str()),
                json_str(&p.to_string()),
                p.certificate()
                    .map(json_str)
                    .unwrap_or_else(|| "null".into())
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PurposeArg {
    Server,
    Client,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The end-entity certificate (PEM or DER); further certificates in the file
    /// are used as intermediates.
    #[arg(value_name = "CERT", required_unless_present = "leaf")]
    cert: Option<PathBuf>,
    /// Same as CERT.
    #[arg(long, conflicts_with = "cert")]
    leaf: Option<PathBuf>,
    /// Intermediate certificates, in any order.
    #[arg(long = "chain", visible_alias = "intermediates", value_name = "FILE")]
    chain: Vec<PathBuf>,
    /// Trusted roots (PEM or DER).
    #[arg(long = "cafile", visible_alias = "roots", value_name = "FILE", conflicts_with_all = ["system_roots", "webpki_roots"])]
    cafile: Vec<PathBuf>,
    /// Trust the operating system's store (the default).
    #[arg(long)]
    system_roots: bool,
    /// Trust Mozilla's roots compiled into ferrotls (webpki-roots).
    #[arg(long, conflicts_with = "system_roots")]
    webpki_roots: bool,
    /// The DNS name the certificate must be valid for.
    #[arg(long, conflicts_with = "ip")]
    host: Option<String>,
    /// The IP address the certificate must be valid for.
    #[arg(long)]
    ip: Option<std::net::IpAddr>,
    /// What the certificate is for.
    #[arg(long, value_enum, default_value = "server")]
    purpose: PurposeArg,
    /// Verification time: RFC 3339 (2026-03-01T00:00:00Z) or Unix seconds. Default: now.
    #[arg(long = "at", visible_alias = "time", value_name = "TIME")]
    at: Option<String>,
    /// CRL files (PEM or DER).
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// A DER OCSP response to treat as stapled.
    #[arg(long, value_name = "FILE")]
    ocsp: Option<PathBuf>,
    /// Also apply the CA/Browser Forum subscriber profile to a server certificate:
    /// the subject CN must copy a SAN, and no anyExtendedKeyUsage (what publicly
    /// trusted certificates meet; private PKIs often do not).
    #[arg(long)]
    cabf: bool,
    /// The strict profile (`Policy::strict_rfc5280()`): also every RFC 5280 encoding
    /// rule no browser enforces (authorityKeyIdentifier and subjectKeyIdentifier
    /// present and well formed, critical basicConstraints in CAs, extension
    /// criticality), as `openssl verify -x509_strict` does.
    #[arg(long)]
    strict: bool,
    /// Print JSON: {"valid": bool, "error": {"kind", "message"}, "problems": [{"kind",
    /// "class", "message", "certificate"}...] (in the order to fix them), "chain": [...]}.
    #[arg(long)]
    json: bool,
}

fn usage(msg: String) -> ! {
    eprintln!("ferrotls verify: {msg}");
    std::process::exit(2);
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn when(t: i64) -> String {
    match t {
        i64::MIN | i64::MAX => "-".to_string(),
        t => time::format_time(t),
    }
}

fn print_entry(i: usize, e: &ChainEntry) {
    let role = match e.role {
        CertRole::EndEntity => "end entity",
        CertRole::Intermediate => "intermediate",
        CertRole::TrustAnchor => "trust anchor",
    };
    println!("  {i}: {} ({role})", printable(&e.subject));
    println!("     issuer:   {}", printable(&e.issuer));
    println!(
        "     validity: {} to {}",
        when(e.not_before),
        when(e.not_after)
    );
    println!("     key:      {}", e.key);
    if !e.names.is_empty() {
        println!("     names:    {}", printable(&e.names.join(", ")));
    }
}

fn entry_json(e: &ChainEntry) -> String {
    format!(
        "{{\"subject\":{},\"issuer\":{},\"not_before\":{},\"not_after\":{},\"key\":{},\"serial\":{}}}",
        json_str(&e.subject),
        json_str(&e.issuer),
        json_str(&when(e.not_before)),
        json_str(&when(e.not_after)),
        json_str(&e.key),
        json_str(&e.serial)
    )
}

/// A short machine-readable kind for an error: the variant name of the problem to
/// fix first.
fn kind(e: &CertificateError) -> String {
    let dbg = format!("{:?}", e.primary());
    dbg.split([' ', '{', '('])
        .next()
        .unwrap_or("Unknown")
        .to_string()
}

pub fn run(args: VerifyArgs) -> Result<(), String> {
    let leaf_path = args
        .cert
        .or(args.leaf)
        .unwrap_or_else(|| usage("no certificate given".into()));
    let mut certs = ferrotls::pem::load_certs(&leaf_path).unwrap_or_else(|e| usage(e.to_string()));
    let leaf = certs.remove(0);
    for p in &args.chain {
        certs.extend(ferrotls::pem::load_certs(p).unwrap_or_else(|e| usage(e.to_string())));
    }
    let roots = if !args.cafile.is_empty() {
        let mut s = RootStore::new();
        for p in &args.cafile {
            for der in ferrotls::pem::load_certs(p).unwrap_or_else(|e| usage(e.to_string())) {
                s.add(TrustAnchor::from_cert(der).unwrap_or_else(|e| usage(e.to_string())));
            }
        }
        s
    } else if args.webpki_roots {
        RootStore::webpki_roots()
    } else {
        RootStore::system().unwrap_or_else(|e| usage(e.to_string()))
    };
    let base = match args.strict {
        true => Policy::strict_rfc5280(),
        false => Policy::default(),
    };
    let mut verifier = Verifier::new(roots).with_policy(Policy {
        cabf_server_profile: args.cabf,
        ..base
    });
    for p in &args.crl {
        verifier
            .add_crl_file(p)
            .unwrap_or_else(|e| usage(e.to_string()));
    }
    let now = match &args.at {
        Some(t) => time::parse_time(t).unwrap_or_else(|| {
            usage(format!(
                "--at {t}: expected RFC 3339 (2026-03-01T00:00:00Z) or Unix seconds"
            ))
        }),
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
    };
    let ocsp = args
        .ocsp
        .as_ref()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| usage(format!("{}: {e}", p.display()))));
    let mut req = Request::new(leaf.as_ref(), now);
    req.intermediates = certs.iter().map(|c| c.as_ref()).collect();
    req.purpose = match args.purpose {
        PurposeArg::Server => Purpose::ServerAuth,
        PurposeArg::Client => Purpose::ClientAuth,
    };
    req.name = match (&args.host, args.ip) {
        (Some(h), _) => Some(SubjectName::Dns(h.clone())),
        (None, Some(ip)) => Some(SubjectName::Ip(ip)),
        _ => None,
    };
    req.ocsp_response = ocsp.as_deref();
    let result = verifier.verify(&req);
    // On failure, show the certificates as given.
    let shown: Vec<ChainEntry> = match &result {
        Ok(path) => path.chain.clone(),
        Err(_) => std::iter::once((leaf.as_ref(), CertRole::EndEntity))
            .chain(certs.iter().map(|c| (c.as_ref(), CertRole::Intermediate)))
            .filter_map(|(d, r)| describe_certificate(d, r).ok())
            .collect(),
    };
    if args.json {
        let chain: Vec<String> = shown.iter().map(entry_json).collect();
        let error = match &result {
            Ok(_) => "null".to_string(),
            Err(e) => format!(
                "{{\"kind\":{},\"message\":{}}}",
                json_str(&kind(e)),
                json_str(&e.to_string())
            ),
        };
        let problems = match &result {
            Ok(_) => "[]".to_string(),
            Err(e) => problems_json(e),
        };
        println!(
            "{{\"valid\":{},\"error\":{error},\"problems\":{problems},\"chain\":[{}]}}",
            result.is_ok(),
            chain.join(",")
        );
    } else {
        match &result {
            Ok(_) => println!("path:"),
            Err(_) => println!("certificates given:"),
        }
        for (i, e) in shown.iter().enumerate() {
            print_entry(i, e);
        }
        match &result {
            Ok(_) => println!("OK"),
            Err(e) => {
                let problems = e.problems();
                if let Some((first, also)) = problems.split_first() {
                    println!("FAILED: {}", printable(&first.to_string()));
                    for p in also {
                        println!("  also: {}", printable(&p.to_string()));
                    }
                }
            }
        }
    }
    std::process::exit(if result.is_ok() { 0 } else { 1 });
}
