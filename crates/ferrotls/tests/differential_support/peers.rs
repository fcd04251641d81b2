//! The verifiers compared: ferrotls (default and strict policy), rustls-webpki 0.103
//! and `openssl verify` (without and with `-x509_strict`).

use std::net::IpAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ferrotls::pki::{Policy, Purpose, Request, RootStore, SubjectName, TrustAnchor, Verifier};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::corpus::{Case, VERIFY_AT};

/// A verifier's answer: accepted, or refused with its reason.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub accepted: bool,
    pub why: String,
}

impl Verdict {
    fn accept() -> Self {
        Verdict {
            accepted: true,
            why: String::new(),
        }
    }

    fn reject(why: impl Into<String>) -> Self {
        Verdict {
            accepted: false,
            why: why.into(),
        }
    }

    pub fn word(&self) -> &'static str {
        if self.accepted {
            "accept"
        } else {
            "reject"
        }
    }
}

/// ferrotls's verdict under `policy`, making the checks the TLS client makes (server
/// purpose, name, keyUsage).
pub fn ferrotls(case: &Case, policy: &Policy) -> Verdict {
    let mut store = RootStore::new();
    for r in &case.roots {
        match TrustAnchor::from_cert(CertificateDer::from(r.der.clone())) {
            Ok(a) => store.add(a),
            Err(e) => return Verdict::reject(format!("trust anchor refused: {e}")),
        }
    }
    let mut req = Request::new(&case.leaf.der, VERIFY_AT);
    req.intermediates = case.inters.iter().map(|c| c.der.as_slice()).collect();
    req.purpose = Purpose::ServerAuth;
    req.tls_key_usage = true;
    req.name = Some(match case.host.parse::<IpAddr>() {
        Ok(ip) => SubjectName::Ip(ip),
        Err(_) => SubjectName::Dns(case.host.to_string()),
    });
    match Verifier::new(store)
        .with_policy(policy.clone())
        .verify(&req)
    {
        Ok(_) => Verdict::accept(),
        Err(e) => Verdict::reject(e.to_string()),
    }
}

/// rustls-webpki's verdict: `verify_for_usage` (serverAuth) then
/// `verify_is_valid_for_subject_name`, as rustls's WebPkiServerVerifier calls them.
pub fn webpki(case: &Case) -> Verdict {
    let roots: Vec<CertificateDer<'static>> = case
        .roots
        .iter()
        .map(|r| CertificateDer::from(r.der.clone()))
        .collect();
    let mut anchors = Vec::new();
    for r in &roots {
        match webpki::anchor_from_trusted_cert(r) {
            Ok(a) => anchors.push(a.to_owned()),
            Err(e) => return Verdict::reject(format!("trust anchor refused: {e:?}")),
        }
    }
    let inters: Vec<CertificateDer<'static>> = case
        .inters
        .iter()
        .map(|c| CertificateDer::from(c.der.clone()))
        .collect();
    let leaf = CertificateDer::from(case.leaf.der.clone());
    let ee = match webpki::EndEntityCert::try_from(&leaf) {
        Ok(ee) => ee,
        Err(e) => return Verdict::reject(format!("end entity: {e:?}")),
    };
    let now = UnixTime::since_unix_epoch(Duration::from_secs(VERIFY_AT as u64));
    if let Err(e) = ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        &anchors,
        &inters,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    ) {
        return Verdict::reject(format!("{e:?}"));
    }
    let name = match ServerName::try_from(case.host) {
        Ok(n) => n,
        Err(e) => return Verdict::reject(format!("server name: {e:?}")),
    };
    match ee.verify_is_valid_for_subject_name(&name) {
        Ok(()) => Verdict::accept(),
        Err(e) => Verdict::reject(format!("{e:?}")),
    }
}

/// Whether an `openssl` binary runs.
pub fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Writes the case's PEM files into `dir` (roots.pem, inter.pem, leaf.pem).
pub fn write_case(dir: &Path, case: &Case) {
    let join = |certs: &[std::sync::Arc<super::corpus::Cert>]| -> String {
        certs.iter().map(|c| c.pem.as_str()).collect()
    };
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("roots.pem"), join(&case.roots)).unwrap();
    std::fs::write(dir.join("inter.pem"), join(&case.inters)).unwrap();
    std::fs::write(dir.join("leaf.pem"), &case.leaf.pem).unwrap();
}

/// `openssl verify -CAfile roots.pem [-untrusted inter.pem] -attime T -verify_hostname
/// NAME -purpose sslserver [-x509_strict] leaf.pem` in `dir` (see [`write_case`]).
pub fn openssl(dir: &Path, case: &Case, strict: bool) -> Verdict {
    let at = VERIFY_AT.to_string();
    let mut args = vec!["verify", "-CAfile", "roots.pem"];
    if !case.inters.is_empty() {
        args.extend(["-untrusted", "inter.pem"]);
    }
    args.extend([
        "-attime",
        &at,
        "-verify_hostname",
        case.host,
        "-purpose",
        "sslserver",
    ]);
    if strict {
        args.push("-x509_strict");
    }
    args.push("leaf.pem");
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && stdout.contains("leaf.pem: OK") {
        return Verdict::accept();
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let why = stderr
        .lines()
        .find(|l| l.contains("error "))
        .or_else(|| stderr.lines().next())
        .unwrap_or("")
        .trim()
        .to_string();
    Verdict::reject(why)
}
