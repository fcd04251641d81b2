//! Interop with real TLS 1.3 peers, started by each test on a loopback port:
//! OpenSSL 3.0's `s_server` and `s_client`, curl, Python's `ssl` and rustls.
//!
//! Every test exchanges application data both ways and checks what was negotiated,
//! on our side and, where the peer prints it, on theirs. The peers must be installed
//! (scripts/test.sh installs them); a missing one fails the test with a hint.

mod common;

use std::ffi::OsString;
use std::io::{Read, Write};
use std::sync::Arc;

use common::*;
use ferrotls::client::ClientConfig;
use ferrotls::conn::Negotiated;
use ferrotls::msgs::enums::{
    CipherSuite, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme,
};
use ferrotls::observe::Direction;
use rustls_pki_types::{CertificateDer, ServerName};

const SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS13_AES_128_GCM_SHA256,
    CipherSuite::TLS13_AES_256_GCM_SHA384,
    CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
];

/// The TLS 1.3 groups OpenSSL 3.0 implements (it has no ML-KEM).
const OPENSSL_GROUPS: [NamedGroup; 3] = [
    NamedGroup::X25519,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
];

const RSA_PSS_RSAE: [SignatureScheme; 3] = [
    SignatureScheme::RSA_PSS_RSAE_SHA256,
    SignatureScheme::RSA_PSS_RSAE_SHA384,
    SignatureScheme::RSA_PSS_RSAE_SHA512,
];

fn every_suite_and_openssl_group() -> Vec<(CipherSuite, NamedGroup)> {
    SUITES
        .iter()
        .flat_map(|&s| OPENSSL_GROUPS.iter().map(move |&g| (s, g)))
        .collect()
}

/// OpenSSL's `-groups` name for `group`.
fn openssl_group(group: NamedGroup) -> &'static str {
    match group {
        NamedGroup::X25519 => "X25519",
        NamedGroup::secp256r1 => "P-256",
        NamedGroup::secp384r1 => "P-384",
        other => panic!("OpenSSL 3.0 does not implement {other}"),
    }
}

/// How `s_client` reports the key exchange of a TLS 1.3 handshake.
fn openssl_temp_key(group: NamedGroup) -> &'static str {
    match group {
        NamedGroup::X25519 => "Server Temp Key: X25519, 253 bits",
        NamedGroup::secp256r1 => "Server Temp Key: ECDH, prime256v1, 256 bits",
        NamedGroup::secp384r1 => "Server Temp Key: ECDH, secp384r1, 384 bits",
        other => panic!("OpenSSL 3.0 does not implement {other}"),
    }
}

/// What one side must have negotiated.
struct Expect {
    suite: Option<CipherSuite>,
    group: NamedGroup,
    hello_retry: bool,
}

fn check_negotiated(side: &str, n: &Negotiated, want: &Expect) -> Result<(), String> {
    let checks = || -> Result<(), String> {
        check_eq("version", n.version, Some(ProtocolVersion::TLSv1_3))?;
        if let Some(suite) = want.suite {
            check_eq("cipher suite", n.suite.map(|s| s.suite), Some(suite))?;
        }
        check_eq("key exchange group", n.group, Some(want.group))?;
        check_eq("hello_retry", n.hello_retry, want.hello_retry)
    };
    println!("  {side}: {}", describe(n));
    checks().map_err(|e| format!("{side}: {e} (negotiated {})", describe(n)))
}

// ---------------------------------------------------------------------------------
// OpenSSL peers.

/// `openssl s_server` for one connection in `-rev` mode (it answers each line
/// reversed), serving `leaf`, on a port it picks and reports.
fn openssl_server(leaf: &Leaf, extra: &[&str]) -> Process {
    let mut args = os_args(&[
        &"s_server",
        &"-tls1_3",
        &"-accept",
        &"127.0.0.1:0",
        &"-naccept",
        &"1",
        &"-rev",
        &"-cert",
        &leaf.cert_file,
        &"-key",
        &leaf.key_file,
    ]);
    args.extend(extra.iter().map(OsString::from));
    Process::spawn("openssl", &args)
}

/// Connects a ferrotls client with `config` to an `openssl s_server` started with
/// `server_args`, runs `talk`, then closes with close_notify both ways. Returns what
/// the client negotiated and s_server's output.
fn ferrotls_client_with_openssl_server(
    leaf: &Leaf,
    config: Arc<ClientConfig>,
    server_args: &[&str],
    talk: impl FnOnce(&mut ClientStream) -> Result<(), String>,
) -> Result<(Negotiated, String), String> {
    let mut server = openssl_server(leaf, server_args);
    let negotiated = server.supervise(|s| {
        let port = s.wait_for_stdout("s_server's ACCEPT line", accept_port)?;
        let mut tls = ferrotls_client(config, port, "localhost")?;
        talk(&mut tls)?;
        close_both_ways(&mut tls)?;
        Ok(tls.conn.negotiated().clone())
    })?;
    Ok((negotiated, server.stdout() + &server.stderr()))
}

/// `openssl s_client -tls1_3` against a local server on `port`, verifying it
/// against the test CA for "localhost" ([`common::s_client`]).
fn s_client(pki: &TestPki, port: u16, extra: &[&str]) -> Process {
    common::s_client(pki, port, &[&["-tls1_3"][..], extra].concat())
}

/// [`common::openssl_client_with_ferrotls_server`] over TLS 1.3 only, with the
/// server built from `config`.
fn openssl_client_with_ferrotls_server(
    pki: &TestPki,
    config: Result<Arc<ferrotls::server::ServerConfig>, ferrotls::Error>,
    client_args: &[&str],
    line: &str,
) -> Result<(String, Negotiated), String> {
    common::openssl_client_with_ferrotls_server(
        pki,
        built("server", config)?,
        &[&["-tls1_3"][..], client_args].concat(),
        line,
    )
}

#[test]
fn ferrotls_client_with_openssl_server_every_suite_and_group() {
    let pki = TestPki::new("client-vs-s_server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    run_cases(
        "ferrotls client -> openssl s_server",
        every_suite_and_openssl_group(),
        |&(suite, group)| {
            // We offer every suite and group but share a key only for `group`, which
            // the server is restricted to: no HelloRetryRequest.
            let config = built(
                "client",
                leaf.client_config().key_share_groups(&[group]).build(),
            )?;
            let suite_name = suite.name();
            let args = [
                "-ciphersuites",
                &suite_name,
                "-groups",
                openssl_group(group),
            ];
            let line = format!("hello from ferrotls, {suite} over {group}");
            let (n, server_output) =
                ferrotls_client_with_openssl_server(&leaf, config, &args, |tls| {
                    expect_reversed(tls, &line)
                })?;
            let want = Expect {
                suite: Some(suite),
                group,
                hello_retry: false,
            };
            check_negotiated("client", &n, &want)?;
            check_eq(
                "client's signature scheme",
                n.signature_scheme,
                Some(SignatureScheme::ECDSA_NISTP256_SHA256),
            )?;
            check_eq(
                "client's peer certificates",
                n.peer_certificates,
                leaf.chain(),
            )?;
            check_contains(
                "s_server's output",
                &server_output,
                &format!("Ciphersuite: {suite}"),
            )
        },
    );
}

#[test]
fn openssl_client_with_ferrotls_server_every_suite_and_group() {
    let pki = TestPki::new("s_client-vs-server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    run_cases(
        "openssl s_client -> ferrotls server",
        every_suite_and_openssl_group(),
        |&(suite, group)| {
            let suite_name = suite.name();
            let args = [
                "-ciphersuites",
                &suite_name,
                "-groups",
                openssl_group(group),
            ];
            let line = format!("hello from s_client, {suite} over {group}");
            let (stdout, n) = openssl_client_with_ferrotls_server(
                &pki,
                leaf.server_config().build(),
                &args,
                &line,
            )?;
            let want = Expect {
                suite: Some(suite),
                group,
                hello_retry: false,
            };
            check_negotiated("server", &n, &want)?;
            check_eq("server's SNI", n.server_name.as_deref(), Some("localhost"))?;
            check_contains(
                "s_client's output",
                &stdout,
                &format!("New, TLSv1.3, Cipher is {suite}"),
            )?;
            check_contains("s_client's output", &stdout, openssl_temp_key(group))
        },
    );
}

/// Which key shares the ferrotls client sends in its first ClientHello.
#[derive(Debug, Clone, Copy)]
enum Shares {
    /// The default: X25519MLKEM768 and X25519.
    Default,
    /// None at all.
    Empty,
}

#[test]
fn hello_retry_request_from_openssl_server() {
    let pki = TestPki::new("hrr-s_server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let cases = SUITES
        .iter()
        .flat_map(|&s| [(s, Shares::Default), (s, Shares::Empty)]);
    run_cases(
        "ferrotls client -> openssl s_server -groups P-384",
        cases,
        |&(suite, shares)| {
            let builder = leaf.client_config();
            let builder = match shares {
                Shares::Default => builder,
                Shares::Empty => builder.key_share_groups(&[]),
            };
            let suite_name = suite.name();
            let args = ["-ciphersuites", &suite_name, "-groups", "P-384"];
            let line = format!("hello after a retry, {suite}");
            let (n, _) = ferrotls_client_with_openssl_server(
                &leaf,
                built("client", builder.build())?,
                &args,
                |tls| expect_reversed(tls, &line),
            )?;
            let want = Expect {
                suite: Some(suite),
                group: NamedGroup::secp384r1,
                hello_retry: true,
            };
            check_negotiated("client", &n, &want)
        },
    );
}

#[test]
fn hello_retry_request_to_openssl_client() {
    let pki = TestPki::new("hrr-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    run_cases(
        "openssl s_client -groups X25519:P-256 -> ferrotls server with P-256 only",
        SUITES,
        |&suite| {
            // s_client sends a key share for its first group only (X25519).
            let suite_name = suite.name();
            let args = ["-ciphersuites", &suite_name, "-groups", "X25519:P-256"];
            let line = format!("hello after a retry, {suite}");
            let config = leaf
                .server_config()
                .groups(&[NamedGroup::secp256r1])
                .build();
            let (stdout, n) = openssl_client_with_ferrotls_server(&pki, config, &args, &line)?;
            let want = Expect {
                suite: Some(suite),
                group: NamedGroup::secp256r1,
                hello_retry: true,
            };
            check_negotiated("server", &n, &want)?;
            check_contains(
                "s_client's output",
                &stdout,
                openssl_temp_key(NamedGroup::secp256r1),
            )
        },
    );
}

/// How a certificate of each key type shows in s_client's output, and the schemes
/// its CertificateVerify may use.
fn expected_signature(kind: KeyKind) -> (&'static str, &'static str, &'static [SignatureScheme]) {
    match kind {
        KeyKind::EcdsaP256 => (
            "Peer signature type: ECDSA",
            "Server public key is 256 bit",
            &[SignatureScheme::ECDSA_NISTP256_SHA256],
        ),
        KeyKind::Rsa2048 => (
            "Peer signature type: RSA-PSS",
            "Server public key is 2048 bit",
            &RSA_PSS_RSAE,
        ),
    }
}

/// A ferrotls server loaded with `served` certificates, and the client's `-sigalgs`.
#[derive(Debug)]
struct CertCase {
    served: &'static [KeyKind],
    sigalgs: Option<&'static str>,
    expected: KeyKind,
}

#[test]
fn certificate_key_types_with_openssl_client() {
    let pki = TestPki::new("certs-s_client");
    let ecdsa = pki.leaf(KeyKind::EcdsaP256);
    let rsa = pki.leaf(KeyKind::Rsa2048);
    let cases = [
        CertCase {
            served: &[KeyKind::Rsa2048],
            sigalgs: None,
            expected: KeyKind::Rsa2048,
        },
        CertCase {
            served: &[KeyKind::EcdsaP256],
            sigalgs: None,
            expected: KeyKind::EcdsaP256,
        },
        // With both, the client's signature_algorithms decide.
        CertCase {
            served: &[KeyKind::EcdsaP256, KeyKind::Rsa2048],
            sigalgs: Some("rsa_pss_rsae_sha256"),
            expected: KeyKind::Rsa2048,
        },
        CertCase {
            served: &[KeyKind::Rsa2048, KeyKind::EcdsaP256],
            sigalgs: Some("ecdsa_secp256r1_sha256"),
            expected: KeyKind::EcdsaP256,
        },
    ];
    run_cases("openssl s_client -> ferrotls server", cases, |case| {
        let mut builder = ferrotls::server::ServerConfig::builder();
        for kind in case.served {
            let leaf = if *kind == KeyKind::Rsa2048 {
                &rsa
            } else {
                &ecdsa
            };
            builder = built("server", builder.cert(leaf.chain(), &leaf.key()))?;
        }
        let mut args = Vec::new();
        if let Some(sigalgs) = case.sigalgs {
            args.extend(["-sigalgs", sigalgs]);
        }
        let line = format!("hello, {:?}", case.expected);
        let (stdout, n) = openssl_client_with_ferrotls_server(&pki, builder.build(), &args, &line)?;
        let (signature_type, key_size, schemes) = expected_signature(case.expected);
        println!("  negotiated: {}", describe(&n));
        let scheme = n.signature_scheme;
        check(scheme.is_some_and(|s| schemes.contains(&s)), || {
            format!(
                "server signed with {scheme:?}, expected one of {schemes:?} (negotiated {})",
                describe(&n)
            )
        })?;
        check_contains("s_client's output", &stdout, signature_type)?;
        check_contains("s_client's output", &stdout, key_size)?;
        if let Some(sigalgs) = case.sigalgs {
            check_eq(
                "server's signature scheme",
                scheme.map(|s| s.to_string()),
                Some(sigalgs.to_string()),
            )?;
        }
        Ok(())
    });
}

#[test]
fn certificate_key_types_with_openssl_server() {
    let pki = TestPki::new("certs-s_server");
    let leaves = [pki.leaf(KeyKind::EcdsaP256), pki.leaf(KeyKind::Rsa2048)];
    run_cases(
        "ferrotls client -> openssl s_server",
        leaves.iter().map(|l| l.kind),
        |&kind| {
            let leaf = leaves
                .iter()
                .find(|l| l.kind == kind)
                .ok_or_else(|| format!("no {kind:?} leaf"))?;
            let config = built("client", leaf.client_config().build())?;
            let line = format!("hello, {kind:?}");
            let (n, _) = ferrotls_client_with_openssl_server(leaf, config, &[], |tls| {
                expect_reversed(tls, &line)
            })?;
            let (_, _, schemes) = expected_signature(kind);
            println!("  negotiated: {}", describe(&n));
            let scheme = n.signature_scheme;
            check(scheme.is_some_and(|s| schemes.contains(&s)), || {
                format!(
                    "client saw a signature with {scheme:?}, expected one of {schemes:?} (negotiated {})",
                    describe(&n)
                )
            })?;
            check_eq(
                "client's peer certificates",
                n.peer_certificates,
                leaf.chain(),
            )
        },
    );
}

#[test]
fn alpn_with_openssl_client() {
    let pki = TestPki::new("alpn-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let config = leaf
        .server_config()
        .alpn(vec![b"http/1.1".to_vec()])
        .build();
    let args = ["-alpn", "h2,http/1.1"];
    let outcome = openssl_client_with_ferrotls_server(&pki, config, &args, "hello with ALPN")
        .and_then(|(stdout, n)| {
            check_eq("server's ALPN", n.alpn.as_deref(), Some(&b"http/1.1"[..]))?;
            check_contains("s_client's output", &stdout, "ALPN protocol: http/1.1")
        });
    assert_ok(
        "openssl s_client -alpn h2,http/1.1 -> ferrotls server [http/1.1]",
        outcome,
    );
}

#[test]
fn alpn_with_openssl_server() {
    let pki = TestPki::new("alpn-s_server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let outcome = built(
        "client",
        leaf.client_config()
            .alpn(vec![b"h2".to_vec(), b"http/1.1".to_vec()])
            .build(),
    )
    .and_then(|config| {
        ferrotls_client_with_openssl_server(&leaf, config, &["-alpn", "http/1.1"], |tls| {
            expect_reversed(tls, "hello with ALPN")
        })
    })
    .and_then(|(n, _)| check_eq("client's ALPN", n.alpn.as_deref(), Some(&b"http/1.1"[..])));
    assert_ok(
        "ferrotls client [h2, http/1.1] -> openssl s_server -alpn http/1.1",
        outcome,
    );
}

#[test]
fn key_update_with_openssl_server() {
    let pki = TestPki::new("keyupdate-s_server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    run_cases(
        "ferrotls client KeyUpdate -> openssl s_server",
        SUITES,
        |&suite| {
            let log = MessageLog::new();
            let config = built(
                "client",
                leaf.client_config()
                    .cipher_suites(&[suite])
                    .observer(log.clone())
                    .build(),
            )?;
            let (n, _) = ferrotls_client_with_openssl_server(&leaf, config, &[], |tls| {
                expect_reversed(tls, "hello before the key update")?;
                // RFC 8446, 4.6.3: update_requested, so OpenSSL must update its keys too.
                tls.conn
                    .refresh_traffic_keys()
                    .map_err(|e| format!("refresh_traffic_keys: {e}"))?;
                expect_reversed(tls, "hello after the key update")
            })?;
            check_eq("cipher suite", n.suite.map(|s| s.suite), Some(suite))?;
            check_eq(
                "KeyUpdates sent by the client",
                log.count(Direction::Sent, HandshakeType::KeyUpdate),
                1,
            )?;
            check_eq(
                "KeyUpdates received from s_server",
                log.count(Direction::Received, HandshakeType::KeyUpdate),
                1,
            )
        },
    );
}

#[test]
fn key_update_from_openssl_client() {
    let pki = TestPki::new("keyupdate-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    run_cases(
        "openssl s_client KeyUpdate -> ferrotls server",
        SUITES,
        |&suite| {
            let log = MessageLog::new();
            let config = leaf.server_config().observer(log.clone()).build();
            let server = ferrotls_echo_server(built("server", config)?);
            let lines = ["hello before the key update", "hello after the key update"];
            let mut client = s_client(&pki, server.port, &["-ciphersuites", &suite.name()]);
            let talk = client.supervise(|c| {
                c.write_stdin(format!("{}\n", lines[0]).as_bytes())?;
                c.wait_for_stdout_text(lines[0])?;
                // s_client's "K" command: KeyUpdate with update_requested. It drops the rest
                // of what it read with the command, so wait before the next line.
                c.write_stdin(b"K\n")?;
                c.wait_for_stderr_text("KEYUPDATE")?;
                c.write_stdin(format!("{}\n", lines[1]).as_bytes())?;
                c.wait_for_stdout_text(lines[1])?;
                c.close_stdin();
                Ok(())
            });
            let (_, served) = both(talk, server.finish())?;
            check_eq(
                "bytes echoed by the server",
                served.value,
                lines.iter().map(|l| l.len() + 1).sum(),
            )?;
            check_eq(
                "KeyUpdates received from s_client",
                log.count(Direction::Received, HandshakeType::KeyUpdate),
                1,
            )?;
            check_eq(
                "KeyUpdates sent by the server in reply",
                log.count(Direction::Sent, HandshakeType::KeyUpdate),
                1,
            )
        },
    );
}

// ---------------------------------------------------------------------------------
// curl and Python's ssl module.

/// How the ferrotls server differs from its defaults in a curl or Python case.
#[derive(Debug, Clone, Copy)]
enum ServerVariant {
    Default,
    /// Restricted to one group the client sends no key share for.
    OnlyGroup(NamedGroup),
    Alpn,
}

impl ServerVariant {
    fn config(self, leaf: &Leaf) -> Result<Arc<ferrotls::server::ServerConfig>, String> {
        let builder = leaf.server_config();
        let builder = match self {
            ServerVariant::Default => builder,
            ServerVariant::OnlyGroup(g) => builder.groups(&[g]),
            ServerVariant::Alpn => builder.alpn(vec![b"http/1.1".to_vec()]),
        };
        built("server", builder.build())
    }

    /// What the server must negotiate with a client that offers the OpenSSL 3.0
    /// defaults (X25519 first, with the only key share).
    fn expect(self) -> Expect {
        let (group, hello_retry) = match self {
            ServerVariant::OnlyGroup(g) => (g, true),
            ServerVariant::Default | ServerVariant::Alpn => (NamedGroup::X25519, false),
        };
        Expect {
            suite: None,
            group,
            hello_retry,
        }
    }

    fn alpn(self) -> Option<&'static [u8]> {
        match self {
            ServerVariant::Alpn => Some(b"http/1.1"),
            _ => None,
        }
    }
}

#[test]
fn curl_fetches_from_ferrotls_server() {
    let pki = TestPki::new("curl");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let cases = [
        ServerVariant::Default,
        ServerVariant::OnlyGroup(NamedGroup::secp384r1),
        ServerVariant::Alpn,
    ];
    run_cases("curl -> ferrotls HTTPS server", cases, |&variant| {
        let server = ferrotls_http_server(variant.config(&leaf)?);
        let args = os_args(&[
            &"-q", // ignore ~/.curlrc
            &"--silent",
            &"--show-error",
            &"--verbose",
            &"--noproxy",
            &"*",
            &"--max-time",
            &"10",
            &"--tlsv1.3",
            &"--resolve",
            &format!("localhost:{}:127.0.0.1", server.port),
            &"--cacert",
            &pki.ca_file,
            &format!("https://localhost:{}/", server.port),
        ]);
        let mut curl = Process::spawn("curl", &args);
        let (_, served) = both(curl.supervise(|_| Ok(())), server.finish())?;
        let (body, trace) = (curl.stdout(), curl.stderr());
        let n = &served.negotiated;
        check_negotiated("server", n, &variant.expect())?;
        check_eq("server's ALPN", n.alpn.as_deref(), variant.alpn())?;
        check_eq("curl's output (the server's body)", &body, &served.value)?;
        let suite = n.suite.map(|s| s.name()).unwrap_or_default();
        check_contains(
            "curl's trace",
            &trace,
            &format!("SSL connection using TLSv1.3 / {suite}"),
        )?;
        check_eq(
            "ClientHellos in curl's trace",
            trace.matches("TLS handshake, Client hello (1)").count(),
            if n.hello_retry { 2 } else { 1 },
        )?;
        if variant.alpn().is_some() {
            check_contains("curl's trace", &trace, "ALPN: server accepted http/1.1")?;
        }
        Ok(())
    });
}

/// Connects with Python's `ssl` module (TLS 1.3 only, verifying "localhost" against
/// the CA), sends a line, reads the echo, prints what it negotiated, and closes with
/// close_notify both ways.
const PYTHON_CLIENT: &str = r#"
import socket, ssl, sys
port, cafile, line = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    tls = ctx.wrap_socket(raw, server_hostname="localhost")
    tls.sendall(line.encode() + b"\n")
    echo = b""
    while not echo.endswith(b"\n"):
        chunk = tls.recv(4096)
        if not chunk:
            sys.exit("the server closed before echoing a full line: %r" % echo)
        echo += chunk
    print("echo:", echo.decode().rstrip("\n"))
    print("version:", tls.version())
    print("cipher:", tls.cipher()[0])
    tls.unwrap()
"#;

#[test]
fn python_ssl_client_with_ferrotls_server() {
    let pki = TestPki::new("python");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let cases = [
        ServerVariant::Default,
        ServerVariant::OnlyGroup(NamedGroup::secp256r1),
    ];
    run_cases("python3 ssl -> ferrotls server", cases, |&variant| {
        let server = ferrotls_echo_server(variant.config(&leaf)?);
        let line = format!("hello from python, {variant:?}");
        let args = os_args(&[
            &"-c",
            &PYTHON_CLIENT,
            &server.port.to_string(),
            &pki.ca_file,
            &line,
        ]);
        let mut python = Process::spawn("python3", &args);
        let (_, served) = both(python.supervise(|_| Ok(())), server.finish())?;
        let n = &served.negotiated;
        check_negotiated("server", n, &variant.expect())?;
        let suite = n.suite.map(|s| s.name()).unwrap_or_default();
        let expected = format!("echo: {line}\nversion: TLSv1.3\ncipher: {suite}\n");
        check_eq("python's output", python.stdout(), expected)
    });
}

// ---------------------------------------------------------------------------------
// rustls, the one peer here with X25519MLKEM768.

/// What a rustls peer negotiated, as wire values.
#[derive(Debug, PartialEq)]
struct RustlsView {
    suite: Option<u16>,
    group: Option<u16>,
}

impl RustlsView {
    fn of(conn: &rustls::CommonState) -> RustlsView {
        RustlsView {
            suite: conn.negotiated_cipher_suite().map(|s| u16::from(s.suite())),
            group: conn
                .negotiated_key_exchange_group()
                .map(|g| u16::from(g.name())),
        }
    }

    fn check(&self, side: &str, suite: CipherSuite) -> Result<(), String> {
        let want = RustlsView {
            suite: Some(suite.to_wire()),
            group: Some(NamedGroup::X25519MLKEM768.to_wire()),
        };
        check_eq(
            &format!("{side} (suite, group) as wire values; want {suite} and X25519MLKEM768"),
            self,
            &want,
        )
    }
}

/// aws-lc-rs's default provider (X25519MLKEM768 first) restricted to one suite.
fn rustls_provider(suite: CipherSuite) -> Arc<rustls::crypto::CryptoProvider> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    provider
        .cipher_suites
        .retain(|s| u16::from(s.suite()) == suite.to_wire());
    Arc::new(provider)
}

fn rustls_error(what: &str) -> impl Fn(rustls::Error) -> String + '_ {
    move |e| format!("rustls: {what}: {e}")
}

fn rustls_client_config(
    pki: &TestPki,
    suite: CipherSuite,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(pki.ca_cert.clone())
        .map_err(rustls_error("adding the test CA"))?;
    let config = rustls::ClientConfig::builder_with_provider(rustls_provider(suite))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(rustls_error("client config"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A rustls server for one connection: echoes one line, then waits for the client's
/// close_notify and sends its own.
fn rustls_echo_server(leaf: &Leaf, suite: CipherSuite) -> Result<ServerHandle<RustlsView>, String> {
    let config = rustls::ServerConfig::builder_with_provider(rustls_provider(suite))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(rustls_error("server config"))?
        .with_no_client_auth()
        .with_single_cert(leaf.chain(), leaf.key())
        .map_err(rustls_error("server certificate"))?;
    let config = Arc::new(config);
    Ok(spawn_server(move |tcp| {
        let conn = rustls::ServerConnection::new(config).map_err(rustls_error("new connection"))?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let line = read_line(&mut tls)?;
        tls.write_all(format!("{line}\n").as_bytes())
            .and_then(|()| tls.flush())
            .map_err(|e| format!("rustls server: echoing: {e}"))?;
        expect_close_notify(&mut tls)?;
        tls.conn.send_close_notify();
        tls.flush()
            .map_err(|e| format!("rustls server: sending close_notify: {e}"))?;
        Ok(RustlsView::of(&tls.conn))
    }))
}

/// Line lengths for the rustls cases: one record, and many full records each way.
const LINE_LENGTHS: [usize; 2] = [40, 100_000];

fn every_suite_and_line_length() -> Vec<(CipherSuite, usize)> {
    SUITES
        .iter()
        .flat_map(|&s| LINE_LENGTHS.iter().map(move |&len| (s, len)))
        .collect()
}

#[test]
fn rustls_client_with_ferrotls_server_x25519mlkem768_every_suite() {
    let pki = TestPki::new("rustls-client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let cases = every_suite_and_line_length();
    run_cases(
        "rustls client -> ferrotls server",
        cases,
        |&(suite, len)| {
            let server = ferrotls_echo_server(built("server", leaf.server_config().build())?);
            let line = test_line(&format!("hello from rustls, {suite}"), len);
            let client = (|| {
                let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
                let conn = rustls::ClientConnection::new(rustls_client_config(&pki, suite)?, name)
                    .map_err(rustls_error("new connection"))?;
                let mut tls = rustls::StreamOwned::new(conn, connect(server.port)?);
                let echo = exchange_line(&mut tls, &line)?;
                check_same_text("rustls client: echo", &echo, &line)?;
                tls.conn.send_close_notify();
                tls.flush()
                    .map_err(|e| format!("rustls client: sending close_notify: {e}"))?;
                expect_close_notify(&mut tls)?;
                Ok(RustlsView::of(&tls.conn))
            })();
            let (client, served) = both(client, server.finish())?;
            check_eq("bytes echoed by the server", served.value, line.len() + 1)?;
            let want = Expect {
                suite: Some(suite),
                group: NamedGroup::X25519MLKEM768,
                hello_retry: false,
            };
            check_negotiated("server", &served.negotiated, &want)?;
            client.check("rustls client", suite)
        },
    );
}

#[test]
fn ferrotls_client_with_rustls_server_x25519mlkem768_every_suite() {
    let pki = TestPki::new("rustls-server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let cases = every_suite_and_line_length();
    run_cases(
        "ferrotls client -> rustls server",
        cases,
        |&(suite, len)| {
            let server = rustls_echo_server(&leaf, suite)?;
            let line = test_line(&format!("hello from ferrotls, {suite}"), len);
            let client = (|| {
                let config = built("client", leaf.client_config().build())?;
                let mut tls = ferrotls_client(config, server.port, "localhost")?;
                let echo = exchange_line(&mut tls, &line)?;
                check_same_text("ferrotls client: echo", &echo, &line)?;
                close_both_ways(&mut tls)?;
                Ok(tls.conn.negotiated().clone())
            })();
            let (n, server_view) = both(client, server.finish())?;
            let want = Expect {
                suite: Some(suite),
                group: NamedGroup::X25519MLKEM768,
                hello_retry: false,
            };
            check_negotiated("client", &n, &want)?;
            server_view.check("rustls server", suite)
        },
    );
}

// ---------------------------------------------------------------------------------
// Post-handshake client authentication (RFC 8446, 4.6.2).

fn client_auth_verifier(pki: &TestPki) -> Arc<dyn ferrotls::pki::ClientCertVerifier> {
    use ferrotls::pki::{ClientAuthVerifier, RootStore, TrustAnchor, Verifier};
    let mut roots = RootStore::new();
    roots.add(TrustAnchor::from_cert(pki.ca_cert.clone()).expect("the test CA is an anchor"));
    Arc::new(ClientAuthVerifier::new(Verifier::new(roots)))
}

/// Python's `ssl` server for one connection, asking for no certificate during the
/// handshake (`post_handshake_auth` with CERT_REQUIRED) and for one with
/// `verify_client_post_handshake()` after the first line, sent with its echo. It
/// echoes two lines and prints whose certificate it saw before and after.
const PYTHON_PHA_SERVER: &str = r#"
import socket, ssl, sys
certfile, keyfile, cafile = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(certfile, keyfile)
ctx.load_verify_locations(cafile)
ctx.verify_mode = ssl.CERT_REQUIRED
ctx.post_handshake_auth = True

def read_line(tls):
    line = b""
    while not line.endswith(b"\n"):
        chunk = tls.recv(1)
        if not chunk:
            sys.exit("the client closed before a full line: %r" % line)
        line += chunk
    return line

def peer(tls):
    cert = tls.getpeercert()
    if not cert:
        return "no certificate"
    return dict(rdn[0] for rdn in cert["subject"])["commonName"]

with socket.create_server(("127.0.0.1", 0)) as listener:
    print("port:", listener.getsockname()[1], flush=True)
    raw, _ = listener.accept()
    raw.settimeout(10)
    tls = ctx.wrap_socket(raw, server_side=True)
    first = read_line(tls)
    print("before:", peer(tls), flush=True)
    # The request goes out with the next write, ahead of the echo.
    tls.verify_client_post_handshake()
    tls.sendall(first)
    tls.sendall(read_line(tls))
    print("after:", peer(tls), flush=True)
    tls.unwrap()
"#;

#[test]
fn post_handshake_auth_with_python_ssl_server() {
    let pki = TestPki::new("pha-python-server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let me = pki.client_leaf(KeyKind::EcdsaP256, "client.example");
    let outcome = (|| {
        let config = built(
            "client",
            leaf.client_config()
                .post_handshake_auth(true)
                .client_cert(me.chain(), &me.key())
                .and_then(|b| b.build()),
        )?;
        let args = os_args(&[
            &"-c",
            &PYTHON_PHA_SERVER,
            &leaf.cert_file,
            &leaf.key_file,
            &pki.ca_file,
        ]);
        let mut python = Process::spawn("python3", &args);
        let n = python.supervise(|py| {
            let port = py.wait_for_stdout("python's port line", |out| {
                let rest = out.get(out.find("port: ")? + 6..)?;
                rest.get(..rest.find('\n')?)?.trim().parse::<u16>().ok()
            })?;
            let mut tls = ferrotls_client(config, port, "localhost")?;
            // Reading the echo processes the CertificateRequest ahead of it and
            // sends our answer.
            check_eq(
                "echo",
                exchange_line(&mut tls, "hello before")?,
                "hello before".into(),
            )?;
            check_eq(
                "echo",
                exchange_line(&mut tls, "hello after")?,
                "hello after".into(),
            )?;
            close_both_ways(&mut tls)?;
            Ok(tls.conn.negotiated().clone())
        })?;
        let stdout = python.stdout();
        check_eq(
            "python's output after the port line",
            stdout.lines().skip(1).collect::<Vec<_>>(),
            vec!["before: no certificate", "after: client.example"],
        )?;
        check_eq(
            "client's post-handshake auth",
            n.post_handshake_auth,
            ferrotls::conn::PostHandshakeAuth {
                offered: true,
                requests: 1,
                answered: 1,
                authenticated: 1,
            },
        )?;
        check(n.client_auth, || {
            "the client does not report sending its certificate".into()
        })
    })();
    assert_ok(
        "ferrotls client post_handshake_auth -> python3 ssl server",
        outcome,
    );
}

/// A ferrotls server that echoes a first line, requests a client certificate
/// after it, and answers the second line saying whether it then verified one.
/// Reports the chain the client sent (OpenSSL adds the CA it trusts).
fn ferrotls_pha_server(
    pki: &TestPki,
    leaf: &Leaf,
) -> Result<ServerHandle<Served<Vec<CertificateDer<'static>>>>, String> {
    let config = built(
        "server",
        leaf.server_config()
            .post_handshake_client_auth(client_auth_verifier(pki))
            .build(),
    )?;
    Ok(ferrotls_server(config, |tls| {
        let first = read_line(tls)?;
        check(tls.conn.peer_certificates().is_empty(), || {
            "a certificate arrived during the handshake".into()
        })?;
        tls.conn
            .request_client_certificate()
            .map_err(|e| format!("request_client_certificate: {e}"))?;
        // The request goes out ahead of the echo.
        tls.write_all(format!("{first}\n").as_bytes())
            .and_then(|()| tls.flush())
            .map_err(|e| format!("echoing the first line: {e}"))?;
        let second = read_line(tls)?;
        let status = tls.conn.negotiated().post_handshake_auth;
        check_eq(
            "answered requests",
            (status.requests, status.answered),
            (1, 1),
        )?;
        let certs = tls.conn.peer_certificates().to_vec();
        let verdict = if certs.is_empty() {
            "no certificate"
        } else {
            "authenticated"
        };
        tls.write_all(format!("{second}: {verdict}\n").as_bytes())
            .and_then(|()| tls.flush())
            .map_err(|e| format!("answering the second line: {e}"))?;
        let mut rest = Vec::new();
        let _ = tls.read_to_end(&mut rest);
        let _ = tls.close();
        Ok(certs)
    }))
}

#[test]
fn post_handshake_auth_from_openssl_s_client() {
    let pki = TestPki::new("pha-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let me = pki.client_leaf(KeyKind::EcdsaP256, "client.example");
    let outcome = (|| {
        let server = ferrotls_pha_server(&pki, &leaf)?;
        let cert = me.cert_file.to_string_lossy().into_owned();
        let key = me.key_file.to_string_lossy().into_owned();
        let mut client = s_client(
            &pki,
            server.port,
            &["-enable_pha", "-cert", &cert, "-key", &key, "-nocommands"],
        );
        let talk = client.supervise(|c| {
            c.write_stdin(b"hello before\n")?;
            c.wait_for_stdout_text("hello before")?;
            c.write_stdin(b"hello after\n")?;
            c.wait_for_stdout_text("hello after: authenticated")?;
            c.close_stdin();
            Ok(())
        });
        let (_, served) = both(talk, server.finish())?;
        check_eq(
            "the client's certificate",
            served.value.first(),
            Some(&me.cert),
        )?;
        check_eq(
            "post-handshake authentications",
            served.negotiated.post_handshake_auth.authenticated,
            1,
        )
    })();
    assert_ok("openssl s_client -enable_pha -> ferrotls server", outcome);
}

/// Python's `ssl` client with a certificate and `post_handshake_auth`: sends two
/// lines and prints the answers.
const PYTHON_PHA_CLIENT: &str = r#"
import socket, ssl, sys
port, cafile, certfile, keyfile = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=cafile)
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
ctx.load_cert_chain(certfile, keyfile)
ctx.post_handshake_auth = True

def exchange(tls, line):
    tls.sendall(line.encode() + b"\n")
    answer = b""
    while not answer.endswith(b"\n"):
        chunk = tls.recv(4096)
        if not chunk:
            sys.exit("the server closed before answering: %r" % answer)
        answer += chunk
    print(answer.decode().rstrip("\n"), flush=True)

with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
    tls = ctx.wrap_socket(raw, server_hostname="localhost")
    exchange(tls, "hello before")
    exchange(tls, "hello after")
    tls.unwrap()
"#;

#[test]
fn post_handshake_auth_from_python_ssl_client() {
    let pki = TestPki::new("pha-python-client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let me = pki.client_leaf(KeyKind::EcdsaP256, "client.example");
    let outcome = (|| {
        let server = ferrotls_pha_server(&pki, &leaf)?;
        let args = os_args(&[
            &"-c",
            &PYTHON_PHA_CLIENT,
            &server.port.to_string(),
            &pki.ca_file,
            &me.cert_file,
            &me.key_file,
        ]);
        let mut python = Process::spawn("python3", &args);
        let (_, served) = both(python.supervise(|_| Ok(())), server.finish())?;
        check_eq(
            "python's output",
            python.stdout(),
            "hello before\nhello after: authenticated\n".to_string(),
        )?;
        check_eq(
            "the client's certificate",
            served.value.first(),
            Some(&me.cert),
        )
    })();
    assert_ok(
        "python3 ssl post_handshake_auth -> ferrotls server",
        outcome,
    );
}

#[test]
fn grease_ech_with_openssl_server_and_rustls_server() {
    // draft-ietf-tls-esni, 6.2: servers without ECH ignore a GREASE offer.
    let pki = TestPki::new("grease-ech");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let config = || built("client", leaf.client_config().ech_grease(true).build());
    let openssl = config().and_then(|config| {
        ferrotls_client_with_openssl_server(&leaf, config, &[], |tls| {
            expect_reversed(tls, "hello with GREASE ECH")
        })
    });
    assert_ok(
        "ferrotls client (GREASE ECH) -> openssl s_server",
        openssl.map(|_| ()),
    );

    let suite = CipherSuite::TLS13_AES_128_GCM_SHA256;
    let rustls = rustls_echo_server(&leaf, suite).and_then(|server| {
        let client = config().and_then(|config| {
            let mut tls = ferrotls_client(config, server.port, "localhost")?;
            let line = test_line("hello from a GREASE ECH client", 40);
            let echo = exchange_line(&mut tls, &line)?;
            check_same_text("ferrotls client: echo", &echo, &line)?;
            close_both_ways(&mut tls)?;
            Ok(tls.conn.negotiated().ech)
        });
        let (ech, _) = both(client, server.finish())?;
        check_eq("ECH status", ech, ferrotls::conn::EchStatus::NotOffered)
    });
    assert_ok("ferrotls client (GREASE ECH) -> rustls server", rustls);
}
