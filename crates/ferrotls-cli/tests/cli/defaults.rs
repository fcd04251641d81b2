//! Compatible by default: certificates from the real world that every mainstream
//! verifier accepts are accepted, and failures name first what a person must fix.
//!
//! - A private CA made with Python's `cryptography` builder, without
//!   authorityKeyIdentifier or subjectKeyIdentifier: `verify`, `client` and
//!   `diagnose` accept it; `verify --strict` refuses it, and names expiry or a
//!   missing intermediate before the key identifier.
//! - The `openssl req -x509 -subj /CN=localhost` certificate served by `openssl
//!   s_server`: `client` and `diagnose` say self-signed first.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{ferrotls, have, tmpdir, Server};

/// Writes root.pem, inter.pem, leaf.pem, leaf.key and chain.pem (leaf then
/// intermediate) into `dir`, made the way a Python user makes a private CA:
/// `x509.CertificateBuilder` with basicConstraints, keyUsage and SAN, and no key
/// identifiers. The leaf is valid from 2025-01-01 to 2035-01-01.
fn python_private_ca(dir: &Path) {
    let script = r#"
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

def cert(subject, issuer, key, signer, ca, start, end, san=None):
    b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(end)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    return b.sign(signer, hashes.SHA256())

d = datetime.datetime
rk, ik, lk = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
root = cert("Py Root", "Py Root", rk, rk, True, d(2024, 1, 1), d(2040, 1, 1))
inter = cert("Py Intermediate", "Py Root", ik, rk, True, d(2024, 1, 1), d(2040, 1, 1))
leaf = cert("localhost", "Py Intermediate", lk, ik, False, d(2025, 1, 1), d(2035, 1, 1), "localhost")
pem = lambda c: c.public_bytes(serialization.Encoding.PEM)
out = sys.argv[1]
open(out + "/root.pem", "wb").write(pem(root))
open(out + "/inter.pem", "wb").write(pem(inter))
open(out + "/leaf.pem", "wb").write(pem(leaf))
open(out + "/chain.pem", "wb").write(pem(leaf) + pem(inter))
open(out + "/leaf.key", "wb").write(lk.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "Python's cryptography package is needed (pip install cryptography): {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn verify(dir: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "verify",
        "leaf.pem",
        "--cafile",
        "root.pem",
        "--host",
        "localhost",
    ];
    args.extend(extra);
    let r = ferrotls(dir, &args);
    (r.code, r.stdout)
}

fn failed_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("FAILED: ") || l.starts_with("  also: "))
        .collect()
}

const NO_AKI: &str = "CN=localhost has an invalid authorityKeyIdentifier extension: it is missing; RFC 5280, 4.2.1.1 requires it in every certificate that is not self-signed";
const NO_AKI_INTER: &str = "CN=Py Intermediate has an invalid authorityKeyIdentifier extension: it is missing; RFC 5280, 4.2.1.1 requires it in every certificate that is not self-signed";
const NO_SKI: &str = "CN=Py Intermediate has an invalid subjectKeyIdentifier extension: it is missing from a CA certificate (RFC 5280, 4.2.1.2)";
const NO_SKI_ROOT: &str = "CN=Py Root has an invalid subjectKeyIdentifier extension: it is missing from a CA certificate (RFC 5280, 4.2.1.2)";
const NO_INTERMEDIATE: &str = "no trusted issuer for CN=localhost: its issuer CN=Py Intermediate was not sent by the server and is not in the trust store. The server probably omits its intermediate certificate.";

#[test]
fn private_ca_without_key_identifiers_verifies_by_default() {
    let d = tmpdir("defaults-py-ca");
    python_private_ca(&d);
    let (code, out) = verify(&d, &["--chain", "inter.pem"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("OK\n"), "{out}");

    // The strict profile keeps RFC 5280's key-identifier rules.
    let (code, out) = verify(&d, &["--chain", "inter.pem", "--strict"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        failed_lines(&out),
        [
            format!("FAILED: {NO_AKI}"),
            format!("  also: {NO_AKI_INTER}"),
            format!("  also: {NO_SKI}"),
            format!("  also: {NO_SKI_ROOT}"),
        ]
    );
}

/// Expired (and, in the strict profile, also without key identifiers): the expiry is
/// named first. Without its intermediate: the missing intermediate first.
#[test]
fn private_ca_errors_name_what_to_fix_first() {
    let d = tmpdir("defaults-py-ca-order");
    python_private_ca(&d);
    let expired = "certificate for localhost expired at 2035-01-01T00:00:00Z; this machine's clock says 2036-01-01T00:00:00Z (365 days later). Renew it, or check the clock.";
    let (code, out) = verify(
        &d,
        &["--chain", "inter.pem", "--at", "2036-01-01T00:00:00Z"],
    );
    assert_eq!(code, 1);
    assert_eq!(failed_lines(&out), [format!("FAILED: {expired}")]);
    let (_, out) = verify(
        &d,
        &[
            "--chain",
            "inter.pem",
            "--at",
            "2036-01-01T00:00:00Z",
            "--strict",
        ],
    );
    assert_eq!(
        failed_lines(&out),
        [
            format!("FAILED: {expired}"),
            format!("  also: {NO_AKI}"),
            format!("  also: {NO_AKI_INTER}"),
            format!("  also: {NO_SKI}"),
            format!("  also: {NO_SKI_ROOT}"),
        ]
    );

    let (code, out) = verify(&d, &[]);
    assert_eq!(code, 1);
    assert_eq!(failed_lines(&out), [format!("FAILED: {NO_INTERMEDIATE}")]);
    let (_, out) = verify(&d, &["--strict"]);
    assert_eq!(
        failed_lines(&out),
        [
            format!("FAILED: {NO_INTERMEDIATE}"),
            format!("  also: {NO_AKI}"),
        ]
    );

    // --json lists the problems in the same order.
    let (_, out) = verify(&d, &["--strict", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["error"]["kind"], "UnknownIssuer");
    let problems = v["problems"].as_array().unwrap();
    let row = |p: &Value| {
        (
            p["kind"].as_str().unwrap().to_string(),
            p["class"].as_str().unwrap().to_string(),
            p["certificate"].as_str().unwrap().to_string(),
            p["message"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(
        problems.iter().map(row).collect::<Vec<_>>(),
        [
            (
                "unknown_issuer".into(),
                "not_trusted".into(),
                "CN=localhost".into(),
                NO_INTERMEDIATE.to_string()
            ),
            (
                "invalid_extension".into(),
                "encoding".into(),
                "CN=localhost".into(),
                NO_AKI.to_string()
            ),
        ]
    );
    let (_, out) = verify(&d, &["--chain", "inter.pem", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["problems"], serde_json::json!([]));
}

/// `ferrotls client` and `diagnose` against a ferrotls server with that chain.
#[test]
fn private_ca_without_key_identifiers_client_and_diagnose() {
    let d = tmpdir("defaults-py-ca-tls");
    python_private_ca(&d);
    let server = Server::start(&d, &["--cert", "chain.pem", "--key", "leaf.key"]);
    let target = server.target();
    let r = ferrotls(&d, &["client", &target, "--cafile", "root.pem"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let r = ferrotls(&d, &["diagnose", &target, "--cafile", "root.pem", "--json"]);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let bad: Vec<&Value> = findings
        .iter()
        .filter(|f| f["severity"] != "info")
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert_eq!(r.code, 0, "{report:#}");
    let strict = findings
        .iter()
        .find(|f| f["id"] == "cert.strict")
        .unwrap_or_else(|| panic!("no cert.strict note: {report:#}"));
    assert_eq!(
        strict["title"],
        "Strict verifiers, such as OpenSSL with -x509_strict, refuse this chain"
    );
    assert_eq!(
        strict["evidence"],
        serde_json::json!([NO_AKI, NO_AKI_INTER, NO_SKI, NO_SKI_ROOT])
    );
    assert_eq!(strict["fix"], "Nothing browsers need; to satisfy strict verifiers, reissue the certificates with the extensions the evidence names (most CAs add them).");
}

/// `openssl s_server` on a free port; killed on drop.
struct SServer {
    child: Child,
    port: u16,
}

impl Drop for SServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn s_server(dir: &Path, args: &[&str]) -> SServer {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("openssl")
        .arg("s_server")
        .args(["-accept", &format!("127.0.0.1:{port}"), "-www", "-quiet"])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "s_server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    SServer { child, port }
}

const SELF_SIGNED: &str = "certificate for CN=localhost is self-signed and is not in the trust store. Trust it explicitly (for example with --cafile), or use a certificate issued by a CA.";

/// The most common self-signed certificate: CA:TRUE and no SAN. Self-signed comes
/// first, before the CA-as-leaf and the missing name.
#[test]
fn openssl_req_x509_certificate_is_called_self_signed() {
    assert!(have("openssl"));
    let d = tmpdir("defaults-req-x509");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "30",
            "-subj",
            "/CN=localhost",
        ])
        .current_dir(&d)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = s_server(&d, &["-cert", "cert.pem", "-key", "key.pem"]);
    let target = format!("127.0.0.1:{}", s.port);

    let r = ferrotls(&d, &["client", &target, "--servername", "localhost"]);
    assert_ne!(r.code, 0);
    let last = r.last_err_line();
    let expected_start = format!("the server's certificate was rejected: {SELF_SIGNED}");
    assert!(last.contains(&expected_start), "{}", r.stderr);
    assert!(
        last.contains(" Also: certificate is not valid for localhost; it names no DNS or IP subject alternative names at all"),
        "{last}"
    );

    let r = ferrotls(
        &d,
        &["diagnose", &target, "--servername", "localhost", "--json"],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let errors: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(errors.first(), Some(&"cert.self-signed"), "{report:#}");
    assert!(errors.contains(&"cert.ca-as-leaf"), "{errors:?}");
}

/// A chain that is trusted but breaks a rule clients enforce (a leaf for client
/// authentication only): diagnose names the rule and its fix, not "not trusted".
#[test]
fn diagnose_names_a_broken_rule_as_such() {
    let d = tmpdir("defaults-diagnose-eku");
    let r = ferrotls(&d, &["cert", "ca"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = ferrotls(
        &d,
        &["cert", "issue", "localhost", "--broken", "missing-eku"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let server = Server::start(
        &d,
        &[
            "--cert",
            "localhost-missing-eku.pem",
            "--key",
            "localhost-missing-eku.key",
        ],
    );
    let r = ferrotls(
        &d,
        &[
            "diagnose",
            &server.target(),
            "--cafile",
            "ferrotls-ca.pem",
            "--json",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    let report: Value = serde_json::from_str(&r.stdout).unwrap();
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "cert.invalid")
        .unwrap_or_else(|| panic!("no cert.invalid: {report:#}"));
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["title"],
        "A certificate of the chain breaks a rule that clients enforce"
    );
    assert_eq!(
        f["evidence"],
        serde_json::json!(["certificate localhost is not valid for TLS server authentication (serverAuth): its extendedKeyUsage allows only TLS client authentication (clientAuth)"])
    );
    assert_eq!(f["fix"], "Reissue the certificate the explanation names so that it follows the rule; clients refuse the chain until then.");
    assert!(
        !report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "cert.untrusted"),
        "{report:#}"
    );
}
