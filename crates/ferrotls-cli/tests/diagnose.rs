//! `ferrotls diagnose` against a zoo of misconfigured servers started here on
//! 127.0.0.1: `openssl s_server` variants and `ferrotls server`. Certificates are made
//! with rcgen (AKI/SKI on every issued one); the leaf key is RSA (from `openssl
//! genpkey`) so that static-RSA and CBC suites can be served.
//!
//! Each test bounds diagnose with `--timeout 20`; a run takes well under a second.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair, KeyUsagePurpose,
};
use serde_json::Value;

/// The certificates every test shares, made once.
struct Zoo {
    dir: PathBuf,
}

fn named(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn zoo() -> &'static Path {
    static ZOO: OnceLock<Zoo> = OnceLock::new();
    &ZOO.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("ferrotls-diagnose-zoo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();

        let root_key = KeyPair::generate().unwrap();
        let mut rp = CertificateParams::new(vec![]).unwrap();
        rp.distinguished_name = named("Zoo Root");
        rp.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        rp.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        rp.not_before = date_time_ymd(2020, 1, 1);
        rp.not_after = date_time_ymd(2040, 1, 1);
        let root = rp.self_signed(&root_key).unwrap();
        let root_issuer = Issuer::from_params(&rp, &root_key);

        let inter_key = KeyPair::generate().unwrap();
        let mut ip = rp.clone();
        ip.distinguished_name = named("Zoo Intermediate");
        ip.use_authority_key_identifier_extension = true;
        let inter = ip.signed_by(&inter_key, &root_issuer).unwrap();
        let inter_issuer = Issuer::from_params(&ip, &inter_key);

        openssl(
            &dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "leaf.key",
            ],
        );
        let leaf_pem = std::fs::read_to_string(dir.join("leaf.key")).unwrap();
        let leaf_key = KeyPair::from_pem(&leaf_pem).unwrap();
        let leaf = |names: &[&str], cn: &str, from: (i32, u8, u8), to: (i32, u8, u8)| {
            let mut p =
                CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                    .unwrap();
            p.distinguished_name = named(cn);
            p.use_authority_key_identifier_extension = true;
            p.not_before = date_time_ymd(from.0, from.1, from.2);
            p.not_after = date_time_ymd(to.0, to.1, to.2);
            p
        };
        let good = leaf(&["localhost"], "localhost", (2024, 1, 1), (2039, 1, 1))
            .signed_by(&leaf_key, &inter_issuer)
            .unwrap();
        let expired = leaf(&["localhost"], "localhost", (2020, 1, 1), (2021, 1, 1))
            .signed_by(&leaf_key, &inter_issuer)
            .unwrap();
        let other = leaf(
            &["other.example"],
            "other.example",
            (2024, 1, 1),
            (2039, 1, 1),
        )
        .signed_by(&leaf_key, &inter_issuer)
        .unwrap();
        let self_signed = leaf(&["localhost"], "localhost", (2024, 1, 1), (2039, 1, 1))
            .self_signed(&leaf_key)
            .unwrap();

        // Valid from 2037: not yet valid by this machine's clock.
        let future = leaf(&["localhost"], "localhost", (2037, 1, 1), (2039, 1, 1))
            .signed_by(&leaf_key, &inter_issuer)
            .unwrap();
        // No subjectAltName at all; only the subject CN names localhost.
        let no_san = leaf(&[], "localhost", (2024, 1, 1), (2039, 1, 1))
            .signed_by(&leaf_key, &inter_issuer)
            .unwrap();
        // A second hierarchy whose root is not in ca.pem.
        let stranger_key = KeyPair::generate().unwrap();
        let mut sp = rp.clone();
        sp.distinguished_name = named("Stranger Root");
        let _stranger_root = sp.self_signed(&stranger_key).unwrap();
        let stranger_issuer = Issuer::from_params(&sp, &stranger_key);
        let sinter_key = KeyPair::generate().unwrap();
        let mut sip = rp.clone();
        sip.distinguished_name = named("Stranger Intermediate");
        sip.use_authority_key_identifier_extension = true;
        let sinter = sip.signed_by(&sinter_key, &stranger_issuer).unwrap();
        let sinter_issuer = Issuer::from_params(&sip, &sinter_key);
        let stranger_leaf = leaf(&["localhost"], "localhost", (2024, 1, 1), (2039, 1, 1))
            .signed_by(&leaf_key, &sinter_issuer)
            .unwrap();
        w("future.pem", &future.pem());
        w("nosan.pem", &no_san.pem());
        w("stranger.pem", &stranger_leaf.pem());
        w("stranger-inter.pem", &sinter.pem());

        w("ca.pem", &root.pem());
        w("inter.pem", &inter.pem());
        w("inter.key", &inter_key.serialize_pem());
        w("leaf.pem", &good.pem());
        w("chain.pem", &(good.pem() + &inter.pem()));
        w("expired.pem", &expired.pem());
        w("other.pem", &other.pem());
        w("self.pem", &self_signed.pem());

        // An OCSP response for the good leaf, signed by its issuer (RFC 6960).
        let serial = Command::new("openssl")
            .args(["x509", "-in", "leaf.pem", "-noout", "-serial"])
            .current_dir(&dir)
            .output()
            .unwrap();
        let serial = String::from_utf8_lossy(&serial.stdout)
            .trim()
            .trim_start_matches("serial=")
            .to_string();
        w(
            "index.txt",
            &format!("V\t390101000000Z\t\t{serial}\tunknown\t/CN=localhost\n"),
        );
        openssl(
            &dir,
            &[
                "ocsp",
                "-issuer",
                "inter.pem",
                "-cert",
                "leaf.pem",
                "-no_nonce",
                "-reqout",
                "req.der",
            ],
        );
        openssl(
            &dir,
            &[
                "ocsp",
                "-index",
                "index.txt",
                "-rsigner",
                "inter.pem",
                "-rkey",
                "inter.key",
                "-CA",
                "inter.pem",
                "-reqin",
                "req.der",
                "-respout",
                "ocsp.der",
                "-ndays",
                "7",
            ],
        );
        std::fs::write(dir.join("garbage.der"), b"\x30\x03\x0a\x01\x00").unwrap();
        // Made with openssl, which rcgen cannot: a SHA-1 signature (by the zoo
        // intermediate) on the usual RSA key, and a 1024-bit RSA leaf.
        w(
            "san.cnf",
            "subjectAltName=DNS:localhost\nauthorityKeyIdentifier=keyid\n",
        );
        openssl(
            &dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
                "-out",
                "weak.key",
            ],
        );
        for (key, digest, out) in [
            ("leaf.key", "-sha1", "sha1"),
            ("weak.key", "-sha256", "weak"),
        ] {
            let csr = format!("{out}.csr");
            openssl(
                &dir,
                &[
                    "req",
                    "-new",
                    "-key",
                    key,
                    "-subj",
                    "/CN=localhost",
                    "-out",
                    &csr,
                ],
            );
            openssl(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    "inter.pem",
                    "-CAkey",
                    "inter.key",
                    "-set_serial",
                    "4242",
                    digest,
                    "-days",
                    "3650",
                    "-extfile",
                    "san.cnf",
                    "-out",
                    &format!("{out}.pem"),
                ],
            );
        }
        // What `openssl req -x509` makes by default: a self-signed CA certificate
        // (basicConstraints CA:TRUE), here naming localhost and used as the server's own.
        openssl(
            &dir,
            &[
                "req",
                "-x509",
                "-key",
                "leaf.key",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
                "-days",
                "3650",
                "-out",
                "ca-leaf.pem",
            ],
        );
        // DHE parameters: groups OpenSSL knows by name, and a fresh prime of our own.
        for g in ["ffdhe2048", "modp_1536", "dh_1024_160"] {
            openssl(
                &dir,
                &[
                    "genpkey",
                    "-genparam",
                    "-algorithm",
                    "DH",
                    "-pkeyopt",
                    &format!("group:{g}"),
                    "-out",
                    &format!("{g}.pem"),
                ],
            );
        }
        openssl(&dir, &["dhparam", "-out", "own1024.pem", "1024"]);
        // An OpenSSL configuration whose SSL_CONF section `noems` turns the extended
        // master secret off (s_server -ssl_config noems).
        w(
            "noems.cnf",
            "openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nnoems = noems\n[noems]\nOptions = -ExtendedMasterSecret\n",
        );
        // A 300-day leaf that names an OCSP responder and a CRL.
        w(
            "revinfo.cnf",
            "subjectAltName=DNS:localhost\nauthorityKeyIdentifier=keyid\nauthorityInfoAccess=OCSP;URI:http://ocsp.zoo.test/\ncrlDistributionPoints=URI:http://crl.zoo.test/inter.crl\n",
        );
        openssl(
            &dir,
            &[
                "req",
                "-new",
                "-key",
                "leaf.key",
                "-subj",
                "/CN=localhost",
                "-out",
                "revinfo.csr",
            ],
        );
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "revinfo.csr",
                "-CA",
                "inter.pem",
                "-CAkey",
                "inter.key",
                "-set_serial",
                "4343",
                "-sha256",
                "-days",
                "300",
                "-extfile",
                "revinfo.cnf",
                "-out",
                "revinfo.pem",
            ],
        );
        Zoo { dir }
    })
    .dir
}

/// A server process, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_listening(port: u16) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "server on {port} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn s_server(args: &[&str]) -> Server {
    s_server_env(&[], args)
}

/// `openssl s_server` with extra environment variables (e.g. OPENSSL_CONF).
fn s_server_env(env: &[(&str, &Path)], args: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new("openssl")
        .envs(env.iter().copied())
        .arg("s_server")
        .args(["-accept", &format!("127.0.0.1:{port}"), "-www", "-quiet"])
        .args(args)
        .current_dir(zoo())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_server starts");
    wait_listening(port);
    Server { child, port }
}

fn ferrotls_server(args: &[&str]) -> Server {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_ferrotls"))
        .args(["server", "--port", &port.to_string()])
        .args(args)
        .current_dir(zoo())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_listening(port);
    Server { child, port }
}

/// Runs diagnose with --json, trusting the zoo root; returns the exit code and the report.
fn diagnose(port: u16, extra: &[&str]) -> (i32, Value) {
    diagnose_trusting("ca.pem", port, extra)
}

fn diagnose_trusting(cafile: &str, port: u16, extra: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls"))
        .args([
            "diagnose",
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
        ])
        .args(["--cafile", cafile, "--json", "--timeout", "20"])
        .args(extra)
        .current_dir(zoo())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text}\n{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// The finding with `id`, or a panic listing what there is.
fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    findings(report)
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id} in {report:#}"))
}

fn assert_finding(report: &Value, id: &str, severity: &str, title: &str) {
    let f = finding(report, id);
    assert_eq!(f["severity"], severity, "{f:#}");
    assert_eq!(f["title"], title, "{f:#}");
}

fn evidence(report: &Value, id: &str) -> String {
    finding(report, id)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn severities(report: &Value, severity: &str) -> Vec<String> {
    findings(report)
        .iter()
        .filter(|f| f["severity"] == severity)
        .map(|f| format!("{}: {}", f["id"], f["title"]))
        .collect()
}

#[test]
fn good_ferrotls_server_is_clean() {
    let s = ferrotls_server(&["--cert", "chain.pem", "--key", "leaf.key"]);
    let (code, r) = diagnose(s.port, &[]);
    assert_eq!(severities(&r, "error"), Vec::<String>::new());
    assert_eq!(severities(&r, "warning"), Vec::<String>::new());
    assert_eq!(code, 0);
    assert_eq!(r["verdict"], "Verdict: OK: no problems found.");
    assert_finding(
        &r,
        "versions",
        "info",
        "Protocol versions accepted: TLS 1.2, TLS 1.3",
    );
    assert_finding(
        &r,
        "cert.trusted",
        "info",
        "The chain leads to a trusted root: CN=Zoo Root",
    );
    assert_finding(&r, "cert.name", "info", "The certificate covers localhost");
    assert_finding(
        &r,
        "sni",
        "info",
        "The server sends the right certificate for localhost",
    );
    assert_finding(
        &r,
        "groups.tls13",
        "info",
        "Key exchange groups (TLS 1.3): X25519MLKEM768, x25519, secp256r1, secp384r1, in the server's order of preference",
    );
    assert_finding(
        &r,
        "heartbleed",
        "info",
        "Not vulnerable to Heartbleed: the heartbeat extension is off",
    );
    assert_finding(
        &r,
        "fallback-scsv",
        "info",
        "Downgrades are refused (TLS_FALLBACK_SCSV)",
    );
    assert_finding(
        &r,
        "resumption.tls13",
        "info",
        "TLS 1.3 sessions resume with tickets",
    );
    assert_finding(
        &r,
        "renegotiation",
        "info",
        "Secure renegotiation is supported (RFC 5746)",
    );
    assert_finding(&r, "compression", "info", "TLS compression is off");
}

#[test]
fn good_ferrotls_server_text_report_and_http() {
    let s = ferrotls_server(&[
        "--cert",
        "chain.pem",
        "--key",
        "leaf.key",
        "--www",
        "--alpn",
        "h2,http/1.1",
    ]);
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls"))
        .args([
            "diagnose",
            &format!("127.0.0.1:{}", s.port),
            "--servername",
            "localhost",
        ])
        .args(["--cafile", "ca.pem", "--http", "--timeout", "20"])
        .current_dir(zoo())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().nth(1).unwrap_or_default();
    // The ferrotls status page sends no HSTS header or a short max-age (its choice
    // changes): either is the only warning, with its exact text.
    let hsts = if text.contains("[http.hsts]\n      GET / answered") {
        "  ! HSTS is not enabled [http.hsts]\n      GET / answered HTTP/1.1 200 OK without a Strict-Transport-Security header\n      fix: Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response, so browsers never fall back to plain HTTP.\n"
    } else {
        "  ! HSTS max-age is shorter than 180 days [http.hsts]\n      Strict-Transport-Security: max-age=300\n      fix: Use max-age=31536000 (one year).\n"
    };
    let title = &hsts[4..hsts.find(" [http.hsts]").unwrap()];
    assert_eq!(
        first,
        format!("Verdict: WORKS, with 1 warning: {title}."),
        "{text}"
    );
    assert!(text.contains(&format!("\nWARNINGS (1)\n{hsts}")), "{text}");
    assert!(
        text.contains("  - ALPN protocols: h2, http/1.1 [alpn]\n"),
        "{text}"
    );
    // With a Date header the clocks are compared; without one, the report says why not.
    assert!(
        text.contains("  - The server's clock agrees with this machine's [clock]\n      the HTTP Date header says ")
            || text.contains("  - The server's clock could not be read [clock]\n      its ServerHello.random carries no time (normal since 2014) and its HTTP response has no Date header\n"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn tls10_and_tls11_enabled() {
    let s = s_server(&[
        "-cert",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
        "-cipher",
        "DEFAULT:@SECLEVEL=0",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(&r, "versions.tls10", "warning", "TLS 1.0 is enabled");
    assert_finding(&r, "versions.tls11", "warning", "TLS 1.1 is enabled");
    assert!(evidence(&r, "versions").contains("TLS 1.0: accepted"));
    assert_eq!(code, 1, "{r:#}");
}

#[test]
fn tls10_only() {
    let s = s_server(&[
        "-cert",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
        "-tls1",
        "-cipher",
        "DEFAULT:@SECLEVEL=0",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "versions",
        "info",
        "Protocol versions accepted: TLS 1.0",
    );
    assert_finding(
        &r,
        "versions.no-modern",
        "error",
        "Neither TLS 1.2 nor TLS 1.3 is supported",
    );
    // The chain still comes from the TLS 1.0 flight.
    assert!(
        evidence(&r, "cert.chain").contains("received in a TLS 1.0 handshake with SNI localhost")
    );
    assert_finding(
        &r,
        "cert.trusted",
        "info",
        "The chain leads to a trusted root: CN=Zoo Root",
    );
    assert_eq!(code, 2);
}

#[test]
fn only_cbc_suites() {
    let s = s_server(&[
        "-cert",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
        "-no_tls1_3",
        "-cipher",
        "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "suites.cbc-only",
        "warning",
        "Only CBC cipher suites are offered (no AEAD)",
    );
    assert_finding(
        &r,
        "versions.no-tls13",
        "warning",
        "TLS 1.3 is not supported",
    );
    assert_finding(
        &r,
        "suites",
        "info",
        "Cipher suites (TLS 1.2): 2 accepted, the server follows the client's order",
    );
    assert_eq!(code, 1);
}

#[test]
fn static_rsa_only() {
    let s = s_server(&[
        "-cert",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
        "-no_tls1_3",
        "-cipher",
        "AES128-GCM-SHA256:AES256-SHA",
        "-serverpref",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "suites.no-forward-secrecy",
        "error",
        "No cipher suite has forward secrecy (static RSA key exchange only)",
    );
    assert_eq!(
        evidence(&r, "suites.no-forward-secrecy"),
        "TLS_RSA_WITH_AES_128_GCM_SHA256\nTLS_RSA_WITH_AES_256_CBC_SHA"
    );
    assert_finding(
        &r,
        "suites",
        "info",
        "Cipher suites (TLS 1.2): 2 accepted, in the server's order of preference",
    );
    assert_eq!(code, 2);
}

#[test]
fn expired_certificate() {
    let s = s_server(&[
        "-cert",
        "expired.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "cert.expired",
        "error",
        "The certificate for localhost has expired",
    );
    assert!(
        evidence(&r, "cert.expired")
            .starts_with("it expired at 2021-01-01T00:00:00Z; this machine's clock says "),
        "{r:#}"
    );
    assert_eq!(
        finding(&r, "cert.expired")["fix"],
        "Renew the certificate and install it (with its intermediates) on the server."
    );
    // Apart from the clock, the chain is fine.
    assert_finding(
        &r,
        "cert.trusted",
        "info",
        "The chain leads to a trusted root: CN=Zoo Root",
    );
    assert_eq!(code, 2);
}

#[test]
fn self_signed_certificate() {
    let s = s_server(&["-cert", "self.pem", "-key", "leaf.key"]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "cert.self-signed",
        "error",
        "The certificate is self-signed",
    );
    assert_eq!(
        evidence(&r, "cert.self-signed"),
        "certificate for localhost is self-signed and is not in the trust store. Trust it explicitly (for example with --cafile), or use a certificate issued by a CA."
    );
    assert_eq!(code, 2);
}

/// A self-signed CA certificate as the server's own, trusted directly (the client
/// was given it with --cafile): still refused, and diagnose says why and how to fix it.
#[test]
fn ca_certificate_as_server_certificate() {
    let s = s_server(&["-cert", "ca-leaf.pem", "-key", "leaf.key"]);
    let (code, r) = diagnose_trusting("ca-leaf.pem", s.port, &[]);
    assert_finding(
        &r,
        "cert.ca-as-leaf",
        "error",
        "The server's certificate is a CA certificate, which clients refuse as a server's own",
    );
    assert_eq!(
        evidence(&r, "cert.ca-as-leaf"),
        "certificate for localhost is a CA certificate (basicConstraints cA=TRUE), so it cannot be the server's own certificate, even when it is trusted. Issue a server certificate from this CA and use that instead (`openssl req -x509` makes CA:TRUE certificates unless given -addext basicConstraints=critical,CA:FALSE)."
    );
    assert_eq!(
        finding(&r, "cert.ca-as-leaf")["fix"],
        "Issue a server certificate (basicConstraints cA=FALSE) from this CA and configure the server with it. Clients refuse a CA certificate as the server's own even when they trust it (Firefox: MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY); `openssl req -x509` makes one unless given -addext basicConstraints=critical,CA:FALSE."
    );
    // Only that is wrong: name and dates are fine.
    assert_finding(&r, "cert.name", "info", "The certificate covers localhost");
    assert_eq!(severities(&r, "error").len(), 1, "{r:#}");
    assert_eq!(code, 2);
}

#[test]
fn missing_intermediate() {
    let s = s_server(&["-cert", "leaf.pem", "-key", "leaf.key"]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "cert.missing-intermediate",
        "error",
        "The server does not send the intermediate certificate",
    );
    assert_eq!(
        evidence(&r, "cert.missing-intermediate"),
        "no trusted issuer for CN=localhost: its issuer CN=Zoo Intermediate was not sent by the server and is not in the trust store. The server probably omits its intermediate certificate."
    );
    assert_eq!(
        finding(&r, "cert.missing-intermediate")["fix"],
        "Configure the server with the full chain: the certificate followed by the intermediate certificate of CN=Zoo Intermediate (for example fullchain.pem rather than cert.pem)."
    );
    assert_finding(&r, "cert.chain", "info", "The server sent 1 certificate(s)");
    assert_eq!(code, 2);
}

#[test]
fn wrong_name_and_sni_ignored() {
    let s = s_server(&[
        "-cert",
        "other.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    // OpenSSL's default suites add three warnings: suites.static-rsa, suites.cbc and
    // suites.client-order.
    assert_finding(
        &r,
        "cert.name-mismatch",
        "error",
        "The certificate does not cover localhost",
    );
    assert_eq!(
        evidence(&r, "cert.name-mismatch"),
        "it names DNS:other.example (the subject CN is not used for matching)"
    );
    assert_eq!(
        finding(&r, "cert.name-mismatch")["fix"],
        "Reissue the certificate with DNS:localhost in its subjectAltName (keeping DNS:other.example), or point localhost at a server that has a certificate for it."
    );
    assert_finding(
        &r,
        "sni.ignored",
        "warning",
        "The server ignores SNI: it sends the same certificate whatever name is asked",
    );
    assert_eq!(
        r["verdict"],
        "Verdict: BROKEN, 1 error and 4 warnings: The certificate does not cover localhost."
    );
    assert_eq!(code, 2);
}

#[test]
fn default_certificate_does_not_match() {
    let s = s_server(&[
        "-cert",
        "other.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
        "-servername",
        "localhost",
        "-cert2",
        "leaf.pem",
        "-key2",
        "leaf.key",
    ]);
    let (_, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "sni.default-mismatch",
        "warning",
        "The default certificate (sent without SNI) does not match localhost",
    );
    let e = evidence(&r, "sni.default-mismatch");
    assert!(
        e.contains("with SNI localhost: CN=localhost (DNS:localhost)"),
        "{e}"
    );
    assert!(
        e.contains("without SNI: CN=other.example (DNS:other.example)"),
        "{e}"
    );
    assert_finding(&r, "cert.name", "info", "The certificate covers localhost");
}

#[test]
fn ocsp_staple_valid() {
    let s = s_server(&[
        "-cert",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
        "-status_file",
        "ocsp.der",
    ]);
    let (_, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "ocsp.stapled",
        "info",
        "The server staples a valid OCSP response",
    );
    assert_finding(
        &r,
        "cert.trusted",
        "info",
        "The chain leads to a trusted root: CN=Zoo Root",
    );
}

#[test]
fn ocsp_staple_invalid() {
    let s = s_server(&[
        "-cert",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
        "-status_file",
        "garbage.der",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "ocsp.invalid",
        "error",
        "The stapled OCSP response is not valid",
    );
    assert_eq!(code, 2);
}

#[test]
fn nothing_listening() {
    let port = free_port();
    let (code, r) = diagnose(port, &[]);
    assert_eq!(code, 3);
    assert!(
        r["verdict"]
            .as_str()
            .unwrap()
            .starts_with("Verdict: COULD NOT CONNECT: Cannot connect to 127.0.0.1:"),
        "{r:#}"
    );
}

#[test]
fn zero_rtt_accepted() {
    let s = ferrotls_server(&[
        "--cert",
        "chain.pem",
        "--key",
        "leaf.key",
        "--early-data",
        "1024",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "early-data",
        "warning",
        "0-RTT (early data) is accepted",
    );
    assert_eq!(
        evidence(&r, "early-data"),
        "the ticket allows 1024 bytes of early data and the server accepted it on resumption"
    );
    assert_eq!(code, 1);
}

/// A stand-in for a Heartbleed-vulnerable server: to a TLS 1.2 ClientHello it answers
/// a canned cleartext flight (ServerHello with the heartbeat extension, Certificate,
/// ServerHelloDone), then echoes `payload_length` bytes of a heartbeat request even
/// when the request is shorter, filling the rest from its "memory". Everything else
/// gets a protocol_version alert. No keys, no real handshake.
fn fake_heartbleed_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let certs = ferrotls::pem::load_certs(zoo().join("chain.pem")).unwrap();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let certs = certs.clone();
            std::thread::spawn(move || {
                let _ = serve_fake(sock, &certs);
            });
        }
    });
    port
}

fn record(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ, 3, 3];
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
    out
}

fn handshake(typ: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![typ];
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

fn read_record(sock: &mut TcpStream) -> std::io::Result<(u8, Vec<u8>)> {
    use std::io::Read;
    let mut hdr = [0u8; 5];
    sock.read_exact(&mut hdr)?;
    let mut body = vec![0u8; usize::from(u16::from_be_bytes([hdr[3], hdr[4]]))];
    sock.read_exact(&mut body)?;
    Ok((hdr[0], body))
}

fn serve_fake(
    mut sock: TcpStream,
    certs: &[rustls_pki_types::CertificateDer<'static>],
) -> std::io::Result<()> {
    use std::io::Write;
    sock.set_read_timeout(Some(Duration::from_secs(5)))?;
    let (typ, hello) = read_record(&mut sock)?;
    // ClientHello: header (4), legacy_version (2); a TLS 1.3-only hello also says 0x0303
    // but carries supported_versions, which this 2013 server ignores: it answers 1.2.
    if typ != 22 || hello.get(4..6) != Some(&[3, 3][..]) {
        return sock.write_all(&record(21, &[2, 70]));
    }
    let mut sh = vec![3, 3];
    sh.extend_from_slice(&[0x11; 32]);
    sh.push(0); // session_id
    sh.extend_from_slice(&[0xc0, 0x2f, 0]); // suite, compression
    let exts = [0xff, 0x01, 0, 1, 0, 0x00, 0x0f, 0, 1, 1];
    sh.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    sh.extend_from_slice(&exts);
    let mut list = Vec::new();
    for c in certs {
        list.extend_from_slice(&(c.len() as u32).to_be_bytes()[1..]);
        list.extend_from_slice(c.as_ref());
    }
    let mut cert = (list.len() as u32).to_be_bytes()[1..].to_vec();
    cert.extend_from_slice(&list);
    let mut flight = handshake(2, &sh);
    flight.extend(handshake(11, &cert));
    flight.extend(handshake(14, &[]));
    sock.write_all(&record(22, &flight))?;
    let (typ, hb) = read_record(&mut sock)?;
    if typ == 24 && hb.len() >= 3 {
        let claimed = usize::from(u16::from_be_bytes([hb[1], hb[2]]));
        let mut memory = hb[3..].to_vec();
        memory.extend_from_slice(b"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEF");
        memory.resize(claimed, 0);
        let mut resp = vec![2];
        resp.extend_from_slice(&(claimed as u16).to_be_bytes());
        resp.extend_from_slice(&memory);
        resp.extend_from_slice(&[0; 16]);
        sock.write_all(&record(24, &resp))?;
    }
    Ok(())
}

#[test]
fn heartbleed_vulnerable_stand_in() {
    let port = fake_heartbleed_server();
    let (code, r) = diagnose(port, &[]);
    assert_finding(
        &r,
        "heartbleed",
        "error",
        "The server is vulnerable to Heartbleed (CVE-2014-0160)",
    );
    assert_eq!(
        evidence(&r, "heartbleed"),
        "sent a heartbeat with 17 bytes of payload claiming 65; the server returned 65 bytes, 48 more than the payload (its memory)"
    );
    assert_eq!(code, 2);
}

/// `-cipher` for s_server at security level 0 (needed to load SHA-1 and 1024-bit RSA
/// certificates) but with TLS 1.0/1.1 still off, so that only the certificate is wrong.
const SECLEVEL0: [&str; 4] = ["-cipher", "DEFAULT:@SECLEVEL=0", "-no_tls1", "-no_tls1_1"];

#[test]
fn not_yet_valid_certificate() {
    let s = s_server(&[
        "-cert",
        "future.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "cert.not-yet-valid",
        "error",
        "The certificate is not valid yet",
    );
    assert!(
        evidence(&r, "cert.not-yet-valid")
            .starts_with("it is valid from 2037-01-01T00:00:00Z; this machine's clock says "),
        "{r:#}"
    );
    assert_eq!(
        finding(&r, "cert.not-yet-valid")["fix"],
        "Check this machine's clock; if it is right, the certificate was issued with a future start date: wait, or reissue it."
    );
    assert_finding(
        &r,
        "cert.trusted",
        "info",
        "The chain leads to a trusted root: CN=Zoo Root",
    );
    assert_eq!(code, 2);
}

#[test]
fn unknown_ca() {
    let s = s_server(&[
        "-cert",
        "stranger.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "stranger-inter.pem",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "cert.untrusted",
        "error",
        "The chain leads to a CA that is not trusted",
    );
    assert_eq!(
        finding(&r, "cert.untrusted")["fix"],
        "Use a certificate from a publicly trusted CA, or have clients trust CN=Stranger Root explicitly."
    );
    assert!(findings(&r).iter().all(|f| f["id"] != "cert.trusted"));
    // Name and dates are fine; only trust is wrong.
    assert_finding(&r, "cert.name", "info", "The certificate covers localhost");
    assert_eq!(severities(&r, "error").len(), 1, "{r:#}");
    assert_eq!(code, 2);
}

#[test]
fn no_subject_alt_name() {
    let s = s_server(&[
        "-cert",
        "nosan.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "cert.name-mismatch",
        "error",
        "The certificate does not cover localhost",
    );
    assert_eq!(
        evidence(&r, "cert.name-mismatch"),
        "it has no subjectAltName; its subject CN=localhost is not used for matching by clients"
    );
    assert_eq!(
        finding(&r, "cert.name-mismatch")["fix"],
        "Reissue the certificate with DNS:localhost in its subjectAltName; clients ignore the subject CN (RFC 6125, CA/Browser Forum)."
    );
    assert_eq!(code, 2);
}

#[test]
fn sha1_signature() {
    let mut args = vec![
        "-cert",
        "sha1.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
    ];
    args.extend(SECLEVEL0);
    let s = s_server(&args);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "cert.weak-signature",
        "error",
        "The certificate is signed with ECDSA with SHA-1",
    );
    assert_eq!(
        finding(&r, "cert.weak-signature")["fix"],
        "Reissue it with a SHA-256 (or stronger) signature; clients reject SHA-1 and MD5 signatures."
    );
    assert_eq!(code, 2);
}

#[test]
fn rsa_1024_key() {
    let mut args = vec![
        "-cert",
        "weak.pem",
        "-key",
        "weak.key",
        "-cert_chain",
        "inter.pem",
    ];
    args.extend(SECLEVEL0);
    let s = s_server(&args);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "cert.weak-key",
        "error",
        "The certificate has a weak key: RSA 1024-bit",
    );
    assert_eq!(
        finding(&r, "cert.weak-key")["fix"],
        "Reissue it with an ECDSA P-256 key or an RSA key of at least 2048 bits."
    );
    assert_eq!(code, 2);
}

#[test]
fn tls12_only_without_ecdhe() {
    let s = s_server(&[
        "-cert",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
        "-no_tls1_3",
        "-cipher",
        "AES128-SHA256:AES256-GCM-SHA384",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "versions",
        "info",
        "Protocol versions accepted: TLS 1.2",
    );
    assert_finding(
        &r,
        "versions.no-tls13",
        "warning",
        "TLS 1.3 is not supported",
    );
    assert_finding(
        &r,
        "suites.no-forward-secrecy",
        "error",
        "No cipher suite has forward secrecy (static RSA key exchange only)",
    );
    let e = evidence(&r, "suites.no-forward-secrecy");
    assert!(e.contains("TLS_RSA_WITH_AES_128_CBC_SHA256"), "{e}");
    assert!(e.contains("TLS_RSA_WITH_AES_256_GCM_SHA384"), "{e}");
    assert_eq!(
        finding(&r, "suites.no-forward-secrecy")["fix"],
        "Enable ECDHE suites (for example ECDHE-RSA-AES128-GCM-SHA256) and TLS 1.3: with static RSA, anyone who later gets the private key decrypts all recorded traffic."
    );
    // One GCM suite: not CBC-only.
    assert!(findings(&r).iter().all(|f| f["id"] != "suites.cbc-only"));
    assert_eq!(code, 2);
}

/// RC4 and 3DES suites, where the local OpenSSL still has them (OpenSSL 3.x builds
/// usually do not, even at SECLEVEL=0: then this test only says so).
#[test]
fn rc4_and_3des_where_openssl_allows() {
    for (list, id, title) in [
        (
            "DES-CBC3-SHA",
            "suites.3des",
            "3DES cipher suites are accepted (Sweet32)",
        ),
        ("RC4-SHA", "suites.rc4", "RC4 cipher suites are accepted"),
    ] {
        let cipher = format!("{list}:@SECLEVEL=0");
        let have = Command::new("openssl")
            .args(["ciphers", "-v", &cipher])
            .output()
            .is_ok_and(|o| o.status.success());
        if !have {
            eprintln!("skipped {id}: the local OpenSSL has no {list}");
            continue;
        }
        let s = s_server(&[
            "-cert",
            "leaf.pem",
            "-key",
            "leaf.key",
            "-cert_chain",
            "inter.pem",
            "-no_tls1_3",
            "-cipher",
            &cipher,
        ]);
        let (code, r) = diagnose(s.port, &[]);
        assert_eq!(finding(&r, id)["title"], title, "{r:#}");
        assert_eq!(code, 2);
    }
}

/// ECH keys for the public name localhost in the zoo, as `ferrotls cert ech` makes
/// them: `file` (one per test, so that tests running at once do not share one).
fn ech_keys(file: &str, config_id: u8) {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls"))
        .args(["cert", "ech", "--public-name", "localhost", "--force"])
        .args(["--config-id", &config_id.to_string(), "--out", file])
        .current_dir(zoo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The base64 ECHConfigList in a key file from `ferrotls cert ech`.
fn ech_config_base64(file: &str) -> String {
    let pem = std::fs::read_to_string(zoo().join(file)).unwrap();
    pem.split("-----BEGIN ECHCONFIG-----")
        .nth(1)
        .and_then(|b| b.split("-----END ECHCONFIG-----").next())
        .unwrap()
        .split_whitespace()
        .collect()
}

/// The ferrotls server of the zoo (chain.pem), with `extra` arguments.
fn good_ferrotls_server(extra: &[&str]) -> Server {
    let mut args = vec!["--cert", "chain.pem", "--key", "leaf.key"];
    args.extend(extra);
    ferrotls_server(&args)
}

#[test]
fn ech_supported() {
    ech_keys("ech-supported.pem", 7);
    let s = good_ferrotls_server(&["--ech", "ech-supported.pem"]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "ech.supported",
        "info",
        "The server supports Encrypted Client Hello: 1 configuration, public name localhost",
    );
    assert_eq!(
        evidence(&r, "ech.supported"),
        format!(
            "an offer with a configuration made up for localhost was rejected with 1 configuration to retry with\n\
             config_id 7: public name localhost, HPKE X25519 with HKDF-SHA256 and AES-128-GCM, AES-256-GCM, ChaCha20Poly1305\n\
             the public name localhost is the host name itself\n\
             clients learn the configurations from the ech= parameter of the DNS HTTPS record for localhost; the server's list (base64): {}\n\
             an ECH handshake with config_id 7 from that list was accepted\n\
             a handshake with a GREASE encrypted_client_hello extension succeeds",
            ech_config_base64("ech-supported.pem")
        )
    );
    assert_eq!(finding(&r, "ech.supported")["fix"], "");
    assert_eq!(severities(&r, "warning"), Vec::<String>::new());
    assert_eq!(severities(&r, "error"), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn ech_absent_on_ferrotls_server() {
    let s = good_ferrotls_server(&[]);
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "ech.absent",
        "info",
        "The server does not support Encrypted Client Hello",
    );
    assert_eq!(
        evidence(&r, "ech.absent"),
        "an offer with a configuration made up for localhost was rejected without retry configurations\n\
         a handshake with a GREASE encrypted_client_hello extension succeeds"
    );
    assert_eq!(code, 0);
}

/// OpenSSL 3.0 knows nothing of ECH: it ignores the extension, so the offer ends in
/// a rejection without retry configurations and GREASE goes unnoticed.
#[test]
fn ech_absent_on_openssl() {
    let s = s_server(&[
        "-cert",
        "leaf.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
    ]);
    let (_, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "ech.absent",
        "info",
        "The server does not support Encrypted Client Hello",
    );
    assert_eq!(
        evidence(&r, "ech.absent"),
        "an offer with a configuration made up for localhost was rejected without retry configurations\n\
         a handshake with a GREASE encrypted_client_hello extension succeeds"
    );
    for id in ["ech.grease-intolerant", "ech.intolerant", "ech"] {
        assert!(findings(&r).iter().all(|f| f["id"] != id), "{r:#}");
    }
}

/// With an IP address as the server name there is nothing to ask ECH for.
#[test]
fn ech_needs_a_dns_name() {
    let s = good_ferrotls_server(&[]);
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls"))
        .args(["diagnose", &format!("127.0.0.1:{}", s.port)])
        .args(["--cafile", "ca.pem", "--json", "--timeout", "20"])
        .current_dir(zoo())
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_finding(
        &r,
        "ech",
        "info",
        "Encrypted Client Hello was not tested: ECH needs a DNS name, and 127.0.0.1 is an IP address",
    );
    assert_eq!(
        evidence(&r, "ech"),
        "clients find ECH configurations in a host name's DNS HTTPS record; give one with --servername"
    );
}

/// The encrypted_client_hello extension (0xfe0d) of a ClientHello handshake message.
fn ech_extension(hello: &[u8]) -> Option<&[u8]> {
    let mut at = 4 + 2 + 32;
    at += 1 + usize::from(*hello.get(at)?);
    at += 2 + usize::from(u16::from_be_bytes([*hello.get(at)?, *hello.get(at + 1)?]));
    at += 1 + usize::from(*hello.get(at)?);
    at += 2;
    while at + 4 <= hello.len() {
        let typ = u16::from_be_bytes([hello[at], hello[at + 1]]);
        let len = usize::from(u16::from_be_bytes([hello[at + 2], hello[at + 3]]));
        if typ == 0xfe0d {
            return hello.get(at + 4..at + 4 + len);
        }
        at += 4 + len;
    }
    None
}

/// Where a front sends a connection, given the ClientHello's encrypted_client_hello
/// extension: to a backend port, or nowhere (the connection is closed).
type Route = fn(Option<&[u8]>, &[u16]) -> Option<u16>;

/// A TCP front, like a firewall or load balancer: reads the ClientHello, then closes
/// the connection or relays it (the hello and all that follows) to a backend chosen
/// by `route`.
fn front(route: Route, backends: Vec<u16>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for sock in listener.incoming().flatten() {
            let backends = backends.clone();
            std::thread::spawn(move || {
                let _ = relay(sock, route, &backends);
            });
        }
    });
    port
}

fn relay(mut sock: TcpStream, route: Route, backends: &[u16]) -> std::io::Result<()> {
    use std::io::Write;
    sock.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut raw = Vec::new();
    let mut hello = Vec::new();
    loop {
        let (typ, body) = read_record(&mut sock)?;
        raw.extend(record(typ, &body));
        hello.extend_from_slice(&body);
        let whole = hello.len() >= 4
            && hello.len() >= 4 + (u32::from_be_bytes([0, hello[1], hello[2], hello[3]]) as usize);
        if typ != 22 || whole {
            break;
        }
    }
    let Some(port) = route(ech_extension(&hello), backends) else {
        return Ok(());
    };
    let mut backend = TcpStream::connect(("127.0.0.1", port))?;
    backend.write_all(&raw)?;
    sock.set_read_timeout(None)?;
    let (mut from_client, mut to_client) = (sock.try_clone()?, sock);
    let (mut to_backend, mut from_backend) = (backend.try_clone()?, backend);
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_backend);
        let _ = to_backend.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut from_backend, &mut to_client);
    let _ = to_client.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// A front that drops every connection whose ClientHello carries
/// encrypted_client_hello, real or GREASE, as some middleboxes do with extensions
/// they do not know; everything else reaches a good ferrotls server.
#[test]
fn ech_intolerant_front() {
    let s = good_ferrotls_server(&[]);
    let port = front(
        |ech, backends| match ech {
            Some(_) => None,
            None => backends.first().copied(),
        },
        vec![s.port],
    );
    let (code, r) = diagnose(port, &[]);
    assert_finding(
        &r,
        "ech.intolerant",
        "warning",
        "The server or a middlebox breaks handshakes that offer Encrypted Client Hello",
    );
    assert_eq!(
        evidence(&r, "ech.intolerant"),
        "an offer with a configuration made up for localhost: the peer closed the TCP connection during the TLS handshake\n\
         the same handshake without the encrypted_client_hello extension succeeds"
    );
    assert_eq!(
        finding(&r, "ech.intolerant")["fix"],
        "A server without ECH must ignore the encrypted_client_hello extension (0xfe0d) and complete the handshake (RFC 8446, 4.1.2: unknown extensions are ignored): update the server's TLS library, or the firewall or load balancer in front of it. Until then clients that offer ECH cannot connect."
    );
    assert_finding(
        &r,
        "ech.grease-intolerant",
        "warning",
        "Handshakes with a GREASE encrypted_client_hello extension fail",
    );
    assert_eq!(
        evidence(&r, "ech.grease-intolerant"),
        "with a GREASE encrypted_client_hello extension: the peer closed the TCP connection during the TLS handshake\n\
         the same handshake without it succeeds\n\
         Chrome and Firefox send GREASE ECH by default, so they cannot connect"
    );
    assert_eq!(
        finding(&r, "ech.grease-intolerant")["fix"],
        "Update the server's TLS library, or the firewall or load balancer in front of it, so that it ignores the unknown encrypted_client_hello extension (0xfe0d) as RFC 8446, 4.1.2 requires."
    );
    assert_eq!(severities(&r, "warning").len(), 2, "{r:#}");
    assert_eq!(severities(&r, "error"), Vec::<String>::new());
    assert_eq!(code, 1);
}

/// Two servers behind one front with different ECH keys, as in a deployment whose
/// keys were rotated on one machine only: offers for config_id 1 (what the first
/// server hands out as its retry configuration) go to the second, which has only
/// config_id 2.
#[test]
fn ech_retry_configs_stale() {
    ech_keys("ech-stale-a.pem", 1);
    ech_keys("ech-stale-b.pem", 2);
    let a = good_ferrotls_server(&["--ech", "ech-stale-a.pem"]);
    let b = good_ferrotls_server(&["--ech", "ech-stale-b.pem"]);
    let port = front(
        |ech, backends| {
            // ECHClientHello outer: type 0, cipher suite (4 bytes), config_id.
            let id = ech.filter(|e| e.first() == Some(&0)).and_then(|e| e.get(5));
            backends.get(usize::from(id == Some(&1))).copied()
        },
        vec![a.port, b.port],
    );
    let (code, r) = diagnose(port, &[]);
    assert_finding(
        &r,
        "ech.retry-configs-stale",
        "error",
        "The server rejects ECH offers made with its own retry configurations",
    );
    assert_eq!(
        evidence(&r, "ech.retry-configs-stale"),
        "connecting again with config_id 1: the server localhost did not accept Encrypted Client Hello; it sent retry configurations to connect again with"
    );
    assert_eq!(
        finding(&r, "ech.retry-configs-stale")["fix"],
        "The server hands out configurations it cannot decrypt, so clients that use ECH fail even after retrying: the keys are inconsistent across the deployment (servers answering for localhost with different ECH keys, or a configuration sent without its private key). Give every server the private keys of all configurations it sends or DNS publishes."
    );
    assert_finding(
        &r,
        "ech.supported",
        "info",
        "The server supports Encrypted Client Hello: 1 configuration, public name localhost",
    );
    let e = evidence(&r, "ech.supported");
    assert!(
        e.contains("\nconfig_id 1: public name localhost, HPKE X25519 with HKDF-SHA256 and AES-128-GCM, AES-256-GCM, ChaCha20Poly1305\n"),
        "{e}"
    );
    assert!(!e.contains("was accepted"), "{e}");
    assert_eq!(code, 2);
}

// What testssl.sh and sslyze flag beyond broken suites (issue 13).

const LEAF: [&str; 6] = [
    "-cert",
    "leaf.pem",
    "-key",
    "leaf.key",
    "-cert_chain",
    "inter.pem",
];

/// Finding ids of the checks below, none of which a clean server may show as a
/// warning or error.
const HARDENING_IDS: [&str; 8] = [
    "suites.cbc",
    "suites.client-order",
    "sigalgs.sha1",
    "sigalgs.md5",
    "dhe.common-prime",
    "dhe.weak",
    "tls12.no-ems",
    "cert.lifetime",
];

fn assert_no_hardening_problem(r: &Value) {
    for f in findings(r) {
        let id = f["id"].as_str().unwrap();
        assert!(
            !(HARDENING_IDS.contains(&id) && f["severity"] != "info"),
            "{f:#}"
        );
    }
}

const CBC_FIX: &str = "Accept only AEAD suites in TLS 1.2 (OpenSSL: -cipher 'ECDHE+AESGCM:ECDHE+CHACHA20'; nginx: ssl_ciphers with the same list): Mozilla's intermediate configuration has no CBC suite and still serves clients back to Firefox 27, Chrome 31, Android 4.4.2 and Safari 9.";

#[test]
fn cbc_beside_aead_and_client_order() {
    let s = s_server(
        &[
            &LEAF[..],
            &[
                "-no_tls1_3",
                "-cipher",
                "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:AES128-SHA",
            ],
        ]
        .concat(),
    );
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "suites.cbc",
        "warning",
        "CBC cipher suites are accepted beside AEAD ones (Lucky13, padding oracles)",
    );
    assert_eq!(
        evidence(&r, "suites.cbc"),
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (TLS 1.2)\nTLS_RSA_WITH_AES_128_CBC_SHA (TLS 1.2)\nAEAD suites such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 are accepted too: CBC serves only clients that ask for it, and each of those connections uses MAC-then-encrypt"
    );
    assert_eq!(finding(&r, "suites.cbc")["fix"], CBC_FIX);
    assert_finding(
        &r,
        "suites.client-order",
        "warning",
        "The server follows the client's cipher suite order (TLS 1.2) although it accepts weak suites",
    );
    assert_eq!(
        evidence(&r, "suites.client-order"),
        "offered strongest first, the server chose TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\noffered the same suites in reverse order, it chose TLS_RSA_WITH_AES_128_CBC_SHA"
    );
    assert_eq!(
        finding(&r, "suites.client-order")["fix"],
        "Make the server's order decide (OpenSSL: -serverpref or Options = ServerPreference; nginx: ssl_prefer_server_ciphers on; Apache: SSLHonorCipherOrder on), or remove the weak suites, after which the client's order does no harm."
    );
    // OpenSSL 3.0 at its default security level refuses SHA-1 handshake signatures.
    assert_finding(
        &r,
        "sigalgs",
        "info",
        "The server does not sign TLS 1.2 handshakes with SHA-1 or MD5",
    );
    assert_eq!(
        evidence(&r, "sigalgs"),
        "TLS 1.2 ClientHellos whose signature_algorithms offered only rsa_pkcs1_sha1, ecdsa_sha1, dsa_sha1, rsa_md5, ecdsa_md5, dsa_md5\nrefused: handshake_failure alert"
    );
    assert_eq!(code, 1, "{r:#}");
}

/// With -serverpref the order finding goes, but CBC is still reported although the
/// server prefers AEAD.
#[test]
fn server_preference_and_cbc_even_when_aead_preferred() {
    let s = s_server(
        &[
            &LEAF[..],
            &[
                "-no_tls1_3",
                "-cipher",
                "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:AES128-SHA",
                "-serverpref",
            ],
        ]
        .concat(),
    );
    let (_, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "suites",
        "info",
        "Cipher suites (TLS 1.2): 3 accepted, in the server's order of preference",
    );
    assert!(
        !findings(&r)
            .iter()
            .any(|f| f["id"] == "suites.client-order"),
        "{r:#}"
    );
    assert_eq!(finding(&r, "suites.cbc")["severity"], "warning");
}

#[test]
fn sha1_handshake_signatures() {
    let s = s_server(
        &[
            &LEAF[..],
            &["-no_tls1_3", "-sigalgs", "RSA+SHA1"],
            &SECLEVEL0[..],
        ]
        .concat(),
    );
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "sigalgs.sha1",
        "warning",
        "The server signs its TLS 1.2 key exchange with SHA-1 when a client asks for it",
    );
    assert_eq!(
        evidence(&r, "sigalgs.sha1"),
        "TLS 1.2 ClientHellos whose signature_algorithms offered only rsa_pkcs1_sha1, ecdsa_sha1, dsa_sha1, rsa_md5, ecdsa_md5, dsa_md5\nthe ServerKeyExchange was signed with rsa_pkcs1_sha1"
    );
    assert_eq!(
        finding(&r, "sigalgs.sha1")["fix"],
        "Remove SHA-1 from the server's signature algorithms (OpenSSL: keep security level 1 or more, which refuses SHA-1 signatures since 3.0, and no RSA+SHA1 or ECDSA+SHA1 in -sigalgs): SHA-1 chosen-prefix collisions cost little since 2020 (SHA-1 is a Shambles)."
    );
    // OpenSSL 3 signs with MD5 for no one.
    assert!(
        !findings(&r).iter().any(|f| f["id"] == "sigalgs.md5"),
        "{r:#}"
    );
    assert!(code >= 1);
}

/// DHE with a well-known prime under 2048 bits: an error naming the group, said once
/// (no separate size warning).
#[test]
fn dhe_well_known_small_primes() {
    let mut ran = 0;
    for (file, title, group) in [
        (
            "modp_1536.pem",
            "DHE uses a well-known 1536-bit prime (RFC 3526 group 5), open to Logjam's precomputation",
            "the 1536-bit prime of RFC 3526 group 5",
        ),
        (
            "dh_1024_160.pem",
            "DHE uses a well-known 1024-bit prime (RFC 5114 1024-bit group), open to Logjam's precomputation",
            "the 1024-bit prime of RFC 5114 1024-bit group",
        ),
    ] {
        let s = s_server(
            &[
                &LEAF[..],
                &[
                    "-no_tls1_3",
                    "-no_tls1",
                    "-no_tls1_1",
                    "-dhparam",
                    file,
                    "-cipher",
                    "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
                ],
            ]
            .concat(),
        );
        let (code, r) = diagnose(s.port, &[]);
        assert_finding(&r, "dhe.common-prime", "error", title);
        assert_eq!(
            evidence(&r, "dhe.common-prime"),
            format!("the ServerKeyExchange of TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 (TLS 1.2) carries {group}\none number-field-sieve precomputation for a shared prime of this size breaks every key exchange with it; 1024-bit shared primes are within a state's reach")
        );
        assert_eq!(
            finding(&r, "dhe.common-prime")["fix"],
            "Use a 2048-bit or larger group (OpenSSL: -dhparam with `openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048`, nginx: ssl_dhparam), or drop DHE suites in favour of ECDHE."
        );
        assert!(
            !findings(&r).iter().any(|f| f["id"] == "dhe.weak"),
            "{r:#}"
        );
        assert_eq!(code, 2);
        ran += 1;
    }
    assert_eq!(ran, 2);
}

/// A prime of the server's own, under 2048 bits: the size warning, not the shared one.
#[test]
fn dhe_own_small_prime() {
    let s = s_server(
        &[
            &LEAF[..],
            &[
                "-no_tls1_3",
                "-no_tls1",
                "-no_tls1_1",
                "-dhparam",
                "own1024.pem",
                "-cipher",
                "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0",
            ],
        ]
        .concat(),
    );
    let (_, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "dhe.prime",
        "info",
        "DHE uses a 1024-bit prime of its own (not a well-known group)",
    );
    assert_finding(
        &r,
        "dhe.weak",
        "warning",
        "DHE parameters are only 1024 bits",
    );
    assert!(
        !findings(&r).iter().any(|f| f["id"] == "dhe.common-prime"),
        "{r:#}"
    );
}

/// A clean OpenSSL server (AEAD with forward secrecy only, its own order, the RFC
/// 7919 group for DHE, EMS on): none of the checks above fire.
#[test]
fn clean_openssl_server_has_no_hardening_problem() {
    let s = s_server(
        &[
            &LEAF[..],
            &[
                "-dhparam",
                "ffdhe2048.pem",
                "-cipher",
                "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-GCM-SHA256",
                "-serverpref",
            ],
        ]
        .concat(),
    );
    let (code, r) = diagnose(s.port, &[]);
    assert_no_hardening_problem(&r);
    assert_finding(
        &r,
        "dhe.common-prime",
        "info",
        "DHE uses the well-known RFC 7919 ffdhe2048, large enough to share",
    );
    assert_finding(
        &r,
        "tls12.ems",
        "info",
        "The server negotiates the extended master secret (RFC 7627)",
    );
    assert_finding(
        &r,
        "sigalgs",
        "info",
        "The server does not sign TLS 1.2 handshakes with SHA-1 or MD5",
    );
    assert_eq!(severities(&r, "warning"), Vec::<String>::new());
    assert_eq!(severities(&r, "error"), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn clean_ferrotls_server_has_no_hardening_problem() {
    for extra in [
        &["--cert", "chain.pem", "--key", "leaf.key"][..],
        &["--dev"][..],
    ] {
        let s = ferrotls_server(extra);
        let (_, r) = if extra == ["--dev"] {
            // The dev CA is not the zoo's: trust whatever it chains to by its name.
            diagnose_trusting_none(s.port)
        } else {
            diagnose(s.port, &[])
        };
        assert_no_hardening_problem(&r);
        assert_finding(
            &r,
            "tls12.ems",
            "info",
            "The server negotiates the extended master secret (RFC 7627)",
        );
        assert_finding(
            &r,
            "sigalgs",
            "info",
            "The server does not sign TLS 1.2 handshakes with SHA-1 or MD5",
        );
    }
}

/// diagnose without --cafile (Mozilla's roots): for the dev server, whose CA is
/// not public; only the findings that do not depend on trust are looked at.
fn diagnose_trusting_none(port: u16) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls"))
        .args([
            "diagnose",
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
            "--json",
            "--timeout",
            "20",
        ])
        .current_dir(zoo())
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    (out.status.code().unwrap_or(-1), json)
}

#[test]
fn no_extended_master_secret() {
    let conf = zoo().join("noems.cnf");
    let s = s_server_env(
        &[("OPENSSL_CONF", &conf)],
        &[
            &LEAF[..],
            &[
                "-ssl_config",
                "noems",
                "-cipher",
                "ECDHE+AESGCM",
                "-serverpref",
            ],
        ]
        .concat(),
    );
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "tls12.no-ems",
        "warning",
        "TLS 1.2 without the extended master secret (RFC 7627)",
    );
    assert_eq!(
        evidence(&r, "tls12.no-ems"),
        "the TLS 1.2 ClientHello offered extended_master_secret; the ServerHello did not echo it"
    );
    assert_eq!(
        finding(&r, "tls12.no-ems")["fix"],
        "Turn the extended master secret on (OpenSSL negotiates it since 1.1.0 unless Options = -ExtendedMasterSecret is set; otherwise upgrade the TLS library): without it one TLS 1.2 session can be spliced onto another (the triple handshake attack), exported keys are not bound to the connection, and clients that require it refuse the server."
    );
    assert_eq!(severities(&r, "warning").len(), 1, "{r:#}");
    assert_eq!(code, 1);
}

/// The zoo leaf lives 15 years and names no OCSP responder or CRL: INFO facts under a
/// private CA (--cafile), an error when the same root is in the system store.
#[test]
fn leaf_lifetime_and_revocation_pointers() {
    let s = s_server(&[&LEAF[..], &["-cipher", "ECDHE+AESGCM", "-serverpref"]].concat());
    let (code, r) = diagnose(s.port, &[]);
    assert_finding(
        &r,
        "cert.lifetime",
        "info",
        "The certificate is valid for 5479 days, longer than the 398 a public CA may issue; fine for a private CA",
    );
    assert_eq!(
        evidence(&r, "cert.lifetime"),
        "valid from 2024-01-01T00:00:00Z to 2039-01-01T00:00:00Z: 5479 days"
    );
    assert_finding(
        &r,
        "cert.no-revocation-info",
        "info",
        "The certificate names no OCSP responder and no CRL",
    );
    assert_eq!(
        evidence(&r, "cert.no-revocation-info"),
        "it has no authorityInfoAccess OCSP URI and no cRLDistributionPoints; normal for a private CA, but clients cannot check whether it was revoked"
    );
    assert_eq!(code, 0, "{r:#}");

    // The same root in the "system" store (rustls-native-certs reads SSL_CERT_FILE):
    // publicly trusted as far as diagnose can tell.
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls"))
        .args([
            "diagnose",
            &format!("127.0.0.1:{}", s.port),
            "--servername",
            "localhost",
            "--system-roots",
            "--json",
            "--timeout",
            "20",
        ])
        .env("SSL_CERT_FILE", zoo().join("ca.pem"))
        .env_remove("SSL_CERT_DIR")
        .current_dir(zoo())
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_finding(
        &r,
        "cert.lifetime",
        "error",
        "The certificate is valid for 5479 days, longer than the 398 a public CA may issue",
    );
    assert_eq!(
        evidence(&r, "cert.lifetime"),
        "valid from 2024-01-01T00:00:00Z to 2039-01-01T00:00:00Z: 5479 days\nthe CA/Browser Forum Baseline Requirements (6.3.2) allow 398 days for a certificate issued then; Chrome (ERR_CERT_VALIDITY_TOO_LONG) and Safari refuse a longer one from a publicly trusted CA"
    );
    assert_eq!(
        finding(&r, "cert.lifetime")["fix"],
        "Have the CA reissue the certificate with at most 398 days of validity (ACME clients renew every 60 to 90 days), and report the misissued one to the CA."
    );
    assert_eq!(
        evidence(&r, "cert.no-revocation-info"),
        "it has no authorityInfoAccess OCSP URI and no cRLDistributionPoints; clients cannot check whether it was revoked"
    );
    assert_eq!(out.status.code(), Some(2));

    // 300 days, with an OCSP responder and a CRL: neither finding.
    let s = s_server(&[
        "-cert",
        "revinfo.pem",
        "-key",
        "leaf.key",
        "-cert_chain",
        "inter.pem",
        "-cipher",
        "ECDHE+AESGCM",
        "-serverpref",
    ]);
    let (code, r) = diagnose(s.port, &[]);
    for id in ["cert.lifetime", "cert.no-revocation-info"] {
        assert!(!findings(&r).iter().any(|f| f["id"] == id), "{r:#}");
    }
    assert_finding(
        &r,
        "cert.trusted",
        "info",
        "The chain leads to a trusted root: CN=Zoo Root",
    );
    assert_eq!(code, 0, "{r:#}");
}
