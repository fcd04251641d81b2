//! `ferrotls client` against `ferrotls server`: the summary, `--json`, colour, client
//! authentication, resumption, and the verifier's explanation on failure.

use std::path::PathBuf;

use serde_json::Value;

use crate::util::{ferrotls, ferrotls_env, issue, tmpdir, Server};

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

#[test]
fn json_events_and_summary() {
    let d = tmpdir("client-json");
    let server = Server::start(&d, &["--dev", "--alpn", "echo/1", "--early-data", "1024"]);
    let ca = d.join("dev/ferrotls-ca.pem");
    let ca = ca.to_str().unwrap();
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            ca,
            "--json",
            "--alpn",
            "echo/1",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let events = json_lines(&r.stdout);
    let messages: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["type"] == "message")
        .map(|e| {
            (
                e["direction"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("sent", "ClientHello"),
        ("received", "ServerHello"),
        ("received", "EncryptedExtensions"),
        ("received", "Certificate"),
        ("received", "CertificateVerify"),
        ("received", "Finished"),
        ("sent", "Finished"),
        ("received", "NewSessionTicket"),
        ("received", "NewSessionTicket"),
    ];
    assert_eq!(
        messages,
        expected.map(|(d, m)| (d.to_string(), m.to_string())),
        "{}",
        r.stdout
    );
    let hello = &events[0];
    assert_eq!(hello["protection"], "plaintext");
    assert!(hello["length"].as_u64().unwrap() > 100);
    let exts = hello["fields"]["extensions"].as_array().unwrap();
    let ext = |t: &str| {
        exts.iter()
            .find(|e| e["type"] == t)
            .unwrap_or_else(|| panic!("no {t}"))
    };
    assert_eq!(
        ext("server_name")["names"],
        serde_json::json!(["localhost"])
    );
    assert_eq!(
        ext("application_layer_protocol_negotiation")["protocols"],
        serde_json::json!(["echo/1"])
    );
    assert!(ext("supported_versions")["versions"]
        .as_array()
        .unwrap()
        .contains(&"TLSv1.3".into()));
    assert_eq!(ext("key_share")["shares"][0]["group"], "X25519MLKEM768");
    assert_eq!(hello["fields"]["random"].as_str().unwrap().len(), 64);
    let cert = events
        .iter()
        .find(|e| e["message"] == "Certificate")
        .unwrap();
    assert_eq!(cert["protection"], "handshake");
    assert_eq!(
        cert["fields"]["certificates"][0]["subject"],
        "O=ferrotls development certificate, CN=localhost"
    );
    assert_eq!(
        cert["fields"]["certificates"][0]["names"],
        serde_json::json!(["DNS:localhost", "IP:127.0.0.1", "IP:::1"])
    );
    // Secrets: labels only, unless --trace=keys.
    let secrets: Vec<&Value> = events.iter().filter(|e| e["type"] == "secret").collect();
    assert!(secrets
        .iter()
        .any(|s| s["label"] == "CLIENT_HANDSHAKE_TRAFFIC_SECRET"));
    assert!(secrets.iter().all(|s| s.get("secret").is_none()));

    // Closing reads the tickets and the server's close_notify; the summary comes last.
    let alerts: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["type"] == "alert")
        .map(|e| {
            (
                e["direction"].as_str().unwrap(),
                e["description"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        alerts,
        [("sent", "close_notify"), ("received", "close_notify")]
    );
    let summary = events.last().unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["tickets_received"], 2);
    assert_eq!(summary["version"], "TLSv1.3");
    assert_eq!(summary["group"], "X25519MLKEM768");
    assert_eq!(summary["alpn"], "echo/1");
    assert_eq!(summary["resumed"], false);
    assert_eq!(summary["verification"], "verified");
    assert_eq!(summary["client_auth"]["requested"], false);
    assert!(summary["cipher_suite"]
        .as_str()
        .unwrap()
        .starts_with("TLS_"));
    let chain = summary["chain"].as_array().unwrap();
    assert_eq!(chain.len(), 2, "{summary}");
    assert_eq!(chain[0]["role"], "end_entity");
    assert_eq!(chain[1]["role"], "trust_anchor");
    assert_eq!(chain[1]["subject"], chain[0]["issuer"]);
    assert!(chain[0]["not_after"].as_str().unwrap().ends_with('Z'));
    assert!(
        r.stderr.is_empty(),
        "--json keeps stderr quiet: {}",
        r.stderr
    );

    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            ca,
            "--json",
            "--trace=keys",
            "--ciphers",
            "TLS_AES_256_GCM_SHA384",
        ],
    );
    let events = json_lines(&r.stdout);
    let secret = events
        .iter()
        .find(|e| e["label"] == "SERVER_TRAFFIC_SECRET_0")
        .unwrap();
    assert_eq!(
        secret["secret"].as_str().unwrap().len(),
        96,
        "SHA-384 secrets are 48 bytes"
    );
    // Resumption with 0-RTT, through the server's async path.
    std::fs::write(d.join("early.txt"), "early hello\n").unwrap();
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            ca,
            "--reconnect",
            "1",
            "--early-data",
            "early.txt",
            "--no-pipe",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("  0-RTT:         not offered (no ticket allowing early data yet)\n"),
        "{}",
        r.stderr
    );
    let second = r.stderr.split("Reconnection 1\n").nth(1).unwrap();
    assert!(
        second.contains("  resumption:    resumed a previous session\n"),
        "{second}"
    );
    assert!(
        second.contains("  0-RTT:         the server accepted 12 bytes of early data\n"),
        "{second}"
    );
    server.wait_for(1, |l| {
        l.ends_with(" resumed sni=localhost alpn=- 0-RTT=12B: echoed 12 bytes, closed")
    });

    let lines = server.wait_for(2, |l| {
        l.contains("TLSv1.3 ") && l.contains(": echoed 0 bytes, closed")
    });
    assert!(
        lines[0].ends_with(" sni=localhost alpn=echo/1: echoed 0 bytes, closed"),
        "{lines:?}"
    );
}

#[test]
fn text_summary_colour_and_failures() {
    let d = tmpdir("client-text");
    let good = issue(&d, &["localhost"], &[]);
    let expired = issue(&d, &["localhost"], &["--broken", "expired"]);
    let wrong = issue(&d, &["localhost"], &["--broken", "wrong-name"]);
    let key = |p: &std::path::Path| p.with_extension("key").to_str().unwrap().to_string();
    let server = Server::start(
        &d,
        &["--cert", good.to_str().unwrap(), "--key", &key(&good)],
    );
    let target = server.target();

    let r = ferrotls(
        &d,
        &[
            "client",
            &target,
            "--cafile",
            "ferrotls-ca.pem",
            "--no-pipe",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains('\x1b'), "no colour when piped");
    for line in [
        "  ALPN:          none\n",
        "  resumption:    full handshake\n",
        "  0-RTT:         not attempted\n",
        "  client auth:   not requested\n",
        "Certificate chain: verified against the CAs in ferrotls-ca.pem\n",
        "  0 O=ferrotls development certificate, CN=localhost\n",
    ] {
        assert!(r.stderr.contains(line), "{line:?} in {}", r.stderr);
    }
    assert!(
        r.stderr.contains("Connected: TLSv1.3 with TLS_"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(" (trust anchor)\n"));
    assert!(r.stderr.contains(" (824 days left)\n") || r.stderr.contains(" (825 days left)\n"));

    let coloured = ferrotls_env(
        &d,
        &[
            "client",
            &target,
            "--cafile",
            "ferrotls-ca.pem",
            "--no-pipe",
            "--trace",
        ],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(
        coloured.stderr.contains("\x1b[32mConnected:\x1b[0m"),
        "{}",
        coloured.stderr
    );
    assert!(
        coloured
            .stderr
            .contains("\x1b[36m->\x1b[0m \x1b[1mClientHello\x1b[0m"),
        "{}",
        coloured.stderr
    );
    let plain = ferrotls_env(
        &d,
        &[
            "client",
            &target,
            "--cafile",
            "ferrotls-ca.pem",
            "--no-pipe",
            "--trace",
        ],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
    );
    assert!(!plain.stderr.contains('\x1b'));
    assert!(
        plain.stderr.contains("[client] <- Certificate ("),
        "{}",
        plain.stderr
    );
    drop(server);

    // The verifier's explanation is the last line.
    let server = Server::start(
        &d,
        &["--cert", expired.to_str().unwrap(), "--key", &key(&expired)],
    );
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            "ferrotls-ca.pem",
            "--no-pipe",
        ],
    );
    assert_eq!(r.code, 1);
    let last = r.last_err_line();
    assert!(
        last.starts_with("ferrotls: the server's certificate was rejected: certificate for localhost expired at ")
            && last.ends_with(" (30 days later). Renew it, or check the clock."),
        "{last}"
    );
    assert!(r.stderr.contains(&format!("Handshake with localhost:{} failed.\nThe server sent:\n  0 O=ferrotls development certificate, CN=localhost\n", server.port)), "{}", r.stderr);
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            "ferrotls-ca.pem",
            "--json",
        ],
    );
    assert_eq!(r.code, 1);
    let events = json_lines(&r.stdout);
    let error = events.last().unwrap();
    assert_eq!(error["type"], "error");
    assert!(error["certificate_error"]
        .as_str()
        .unwrap()
        .starts_with("certificate for localhost expired at "));
    assert_eq!(error["sent_chain"].as_array().unwrap().len(), 2);
    assert!(events
        .iter()
        .any(|e| e["type"] == "alert" && e["direction"] == "sent"));
    server.wait_for(2, |l| l.contains(" handshake failed: peer sent a fatal "));
    drop(server);

    let server = Server::start(
        &d,
        &["--cert", wrong.to_str().unwrap(), "--key", &key(&wrong)],
    );
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            "ferrotls-ca.pem",
            "--no-pipe",
        ],
    );
    assert_eq!(
        r.last_err_line(),
        "ferrotls: the server's certificate was rejected: certificate is not valid for localhost; it names DNS:wrong-name.invalid (the subject CN is not used for matching)"
    );
    // --insecure connects anyway and says what it skipped.
    let r = ferrotls(&d, &["client", &server.target(), "--insecure", "--no-pipe"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.starts_with(
        "WARNING: --insecure: the server's certificate chain, validity and name are NOT checked;"
    ));
    assert!(r
        .stderr
        .contains("Certificate chain: NOT verified (--insecure); as the server sent it\n"));
}

/// A directory with a dev CA, a server certificate for localhost and a client
/// certificate for alice, and a server asking for client certificates (`mode`:
/// required, optional, post-handshake) issued by that CA. Returns the directory,
/// the server's and alice's certificate files, and the server.
fn client_auth_server(test: &str, mode: &str) -> (PathBuf, PathBuf, PathBuf, Server) {
    let d = tmpdir(test);
    let server_cert = issue(&d, &["localhost"], &[]);
    let alice = issue(&d, &["alice"], &["--client"]);
    let server = Server::start(
        &d,
        &[
            "--cert",
            server_cert.to_str().unwrap(),
            "--key",
            server_cert.with_extension("key").to_str().unwrap(),
            "--client-auth",
            mode,
            "--client-ca",
            "ferrotls-ca.pem",
        ],
    );
    (d, server_cert, alice, server)
}

#[test]
fn client_auth_resumption_and_tls12() {
    let (d, server_cert, alice, server) = client_auth_server("client-auth", "required");
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            "ferrotls-ca.pem",
            "--no-pipe",
            "--cert",
            alice.to_str().unwrap(),
            "--key",
            alice.with_extension("key").to_str().unwrap(),
            "--reconnect",
            "1",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "  client auth:   requested; sent O=ferrotls development certificate, CN=alice\n"
        ),
        "{}",
        r.stderr
    );
    let second = r
        .stderr
        .split("Reconnection 1\n")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", r.stderr));
    assert!(
        second.contains("  resumption:    resumed a previous session\n"),
        "{second}"
    );
    assert!(second.contains("Certificate chain: none exchanged: resumed a session whose server was authenticated before\n"));
    server.wait_for(1, |l| {
        l.contains(" client=\"CN=alice, O=ferrotls development certificate\"")
    });
    server.wait_for(1, |l| l.contains(" resumed sni=localhost"));

    // Without a certificate the server refuses (after the client's Finished, in TLS
    // 1.3), and the client says why.
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            "ferrotls-ca.pem",
            "--no-pipe",
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.last_err_line(),
        "ferrotls: the server ended the connection after the handshake: peer sent a fatal certificate_required alert; the connection is closed (the peer requires a client certificate)"
    );
    drop(server);

    let server = Server::start(
        &d,
        &[
            "--cert",
            server_cert.to_str().unwrap(),
            "--key",
            server_cert.with_extension("key").to_str().unwrap(),
            "--tls1.2",
        ],
    );
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            "ferrotls-ca.pem",
            "--json",
        ],
    );
    let events = json_lines(&r.stdout);
    let names: Vec<&str> = events
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(
        names.starts_with(&[
            "ClientHello",
            "ServerHello",
            "Certificate",
            "ServerKeyExchange",
            "ServerHelloDone",
            "ClientKeyExchange"
        ]),
        "{names:?}"
    );
    let summary = events.iter().find(|e| e["type"] == "summary").unwrap();
    assert_eq!(summary["version"], "TLSv1.2");
    let ske = events
        .iter()
        .find(|e| e["message"] == "ServerKeyExchange")
        .unwrap();
    assert_eq!(ske["fields"]["group"], "x25519");
}

#[test]
fn post_handshake_client_auth_between_client_and_server() {
    let (d, _, alice, server) = client_auth_server("pha", "post-handshake");
    // In pipe mode: "hello" goes out, and once its echo is back the client has read
    // (and answered) the request the server sent before echoing; then stdin closes.
    let client = |extra: &[&str]| {
        use std::io::{BufRead, BufReader, Write};
        let key = alice.with_extension("key");
        let target = server.target();
        let mut child = std::process::Command::new(crate::util::BIN)
            .args(["client", "--cafile", "ferrotls-ca.pem", "--cert"])
            .arg(&alice)
            .arg("--key")
            .arg(&key)
            .arg(&target)
            .args(extra)
            .current_dir(&d)
            .env_remove("SSLKEYLOGFILE")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.as_mut().unwrap().write_all(b"hello\n").unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line, "hello\n");
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        stderr
    };
    // The handshake asks for nothing; the certificate goes after it.
    let stderr = client(&["--post-handshake-auth"]);
    assert!(
        stderr.contains("  client auth:   not requested\n"),
        "{stderr}"
    );
    server.wait_for(1, |l| {
        l.contains(" pha=\"CN=alice, O=ferrotls development certificate\": echoed 6 bytes")
    });
    // A client that does not offer it cannot be asked.
    client(&[]);
    server.wait_for(1, |l| {
        l.contains(
            " pha=(cannot request a client certificate after the handshake: the client did not \
             offer post_handshake_auth (RFC 8446, 4.6.2). Ask for it during the handshake with \
             ServerConfigBuilder::client_auth, or have the client enable post_handshake_auth)",
        )
    });
}

/// `openssl s_server -tls1_2` without the extended master secret (OpenSSL 3.0's
/// `Options = -ExtendedMasterSecret`), serving `localhost.pem` for `naccept`
/// connections; the process and its port.
fn s_server_without_ems(d: &std::path::Path, naccept: u32) -> (std::process::Child, u16) {
    let conf = crate::util::no_ems_conf(d);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("openssl")
        .args([
            "s_server",
            "-tls1_2",
            "-accept",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["-naccept", &naccept.to_string(), "-cert", "localhost.pem"])
        .args(["-key", "localhost.key"])
        .current_dir(d)
        .env("OPENSSL_CONF", conf)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "s_server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (child, port)
}

#[test]
fn require_ems_against_an_openssl_server_without_it() {
    crate::util::require("openssl");
    let d = tmpdir("client-require-ems");
    crate::util::issue(&d, &["localhost"], &[]);
    // The port probe takes one of s_server's accepts.
    let (mut server, port) = s_server_without_ems(&d, 3);
    let target = format!("localhost:{port}");
    let client = |extra: &[&str]| {
        let mut args = vec![
            "client",
            &target,
            "--cafile",
            "ferrotls-ca.pem",
            "--no-pipe",
        ];
        args.extend(extra);
        ferrotls(&d, &args)
    };
    // By default the handshake completes without it, and the summary says so.
    let r = client(&["--keymatexport", "EXPERIMENTAL-ems"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("  EMS:           none: the server did not negotiate the extended master secret (RFC 7627); no keying material can be exported\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("  exporter:      EXPERIMENTAL-ems: none: cannot export keying material: this TLS 1.2 session has no extended master secret"),
        "{}",
        r.stderr
    );
    // --require-ems refuses it, and says why.
    let r = client(&["--require-ems"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.last_err_line(),
        format!("ferrotls: handshake with localhost:{port} failed: the server did not negotiate the TLS 1.2 extended master secret (RFC 7627), which this client is configured to require: without it a session is open to the triple-handshake attack")
    );
    let _ = server.kill();
    let _ = server.wait();
}
