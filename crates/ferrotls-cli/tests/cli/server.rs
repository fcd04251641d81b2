//! `ferrotls server`: OpenSSL's s_client and curl, concurrently; the --www status
//! page and files; limits; and the error messages.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::{ferrotls, have, no_ems_conf, openssl, require, tmpdir, Run, Server};

fn curl(args: &[&str]) -> (i32, String) {
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn echo_with_concurrent_s_clients() {
    if !have("openssl") {
        return;
    }
    let d = tmpdir("server-echo");
    let server = Server::start(&d, &["--dev"]);
    let ca = d.join("dev/ferrotls-ca.pem");
    let clients: Vec<_> = (0..8)
        .map(|i| {
            let ca = ca.clone();
            let port = server.port;
            std::thread::spawn(move || {
                let mut child = Command::new("openssl")
                    .args([
                        "s_client",
                        "-connect",
                        &format!("127.0.0.1:{port}"),
                        "-servername",
                        "localhost",
                    ])
                    .args([
                        "-verify_return_error",
                        "-verify_hostname",
                        "localhost",
                        "-quiet",
                        "-no_ign_eof",
                        "-CAfile",
                    ])
                    .arg(&ca)
                    .args(if i % 2 == 0 { ["-tls1_3"] } else { ["-tls1_2"] })
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                let line = format!("hello from s_client {i}\n");
                child
                    .stdin
                    .as_mut()
                    .unwrap()
                    .write_all(line.as_bytes())
                    .unwrap();
                let mut echoed = String::new();
                BufReader::new(child.stdout.take().unwrap())
                    .read_line(&mut echoed)
                    .unwrap();
                drop(child.stdin.take()); // EOF: s_client closes the connection
                let status = child.wait().unwrap();
                (line, echoed, status.success())
            })
        })
        .collect();
    for c in clients {
        let (sent, echoed, ok) = c.join().unwrap();
        assert_eq!(sent, echoed);
        assert!(ok);
    }
    let lines = server.wait_for(8, |l| {
        l.contains(" echoed 22 bytes, closed") || l.contains(": ended with error")
    });
    assert_eq!(
        lines.iter().filter(|l| l.contains("TLSv1.3 ")).count(),
        4,
        "{lines:#?}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.contains("TLSv1.2 ")).count(),
        4,
        "{lines:#?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("127.0.0.1:") && l.contains(" sni=localhost alpn=-")),
        "{lines:#?}"
    );
}

#[test]
fn www_status_page_and_files_with_curl() {
    if !have("curl") {
        return;
    }
    let d = tmpdir("server-www");
    let root = d.join("site");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("hello.txt"), "hello, file\n").unwrap();
    std::fs::write(root.join("sub/index.html"), "<p>sub index</p>\n").unwrap();
    std::fs::write(root.join(".hidden"), "secret\n").unwrap();
    std::fs::write(d.join("outside.txt"), "outside\n").unwrap();
    let server = Server::start(&d, &["--dev", "--www", "--root", root.to_str().unwrap()]);
    let log = server.log().join("\n");
    assert!(log.contains("Created a development CA in "), "{log}");
    assert!(log.contains("Chromium without installing anything: chromium --user-data-dir=DIR --ignore-certificate-errors-spki-list="));
    let ca = d.join("dev/ferrotls-ca.pem");
    let ca = ca.to_str().unwrap();
    let base = format!("https://localhost:{}", server.port);

    let (code, page) = curl(&["--cacert", ca, "--tlsv1.3", &format!("{base}/")]);
    assert_eq!(code, 0, "{page}");
    assert!(page.contains("<td id=\"version\">TLSv1.3</td>"), "{page}");
    assert!(page.contains("<td id=\"alpn\">http/1.1</td>"), "{page}");
    assert!(page.contains("<td id=\"sni\">localhost</td>"));
    assert!(page.contains("<td id=\"user-agent\">curl/"));
    assert!(
        page.contains("<li><a href=\"/hello.txt\">hello.txt</a></li>"),
        "{page}"
    );
    assert!(!page.contains(".hidden"));

    assert_eq!(
        curl(&["--cacert", ca, &format!("{base}/hello.txt")]),
        (0, "hello, file\n".into())
    );
    assert_eq!(
        curl(&["--cacert", ca, &format!("{base}/sub/")]),
        (0, "<p>sub index</p>\n".into())
    );
    for evil in [
        "/../outside.txt",
        "/%2e%2e/outside.txt",
        "/sub/..%2f..%2foutside.txt",
        "/.hidden",
        "/missing",
    ] {
        let (code, body) = curl(&[
            "--cacert",
            ca,
            "--path-as-is",
            "-w",
            " %{http_code}",
            &format!("{base}{evil}"),
        ]);
        assert_eq!((code, body.as_str()), (0, "not found\n 404"), "{evil}");
    }
    let (_, body) = curl(&[
        "--cacert",
        ca,
        "-X",
        "POST",
        "-w",
        " %{http_code}",
        &format!("{base}/"),
    ]);
    assert_eq!(body, "only GET and HEAD are served\n 405");
    let (_, head) = curl(&["--cacert", ca, "-I", &format!("{base}/hello.txt")]);
    assert!(
        head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains("content-length: 12\r\n"),
        "{head}"
    );

    // 50 transfers at once, each its own connection.
    let mut args: Vec<String> = [
        "--cacert",
        ca,
        "--parallel",
        "--parallel-immediate",
        "--parallel-max",
        "50",
        "-w",
        "%{http_code} %{ssl_verify_result}\\n",
        "-o",
        "/dev/null",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in 0..50 {
        args.push(format!("{base}/hello.txt?n={i}"));
        if i > 0 {
            args.extend(["-o".to_string(), "/dev/null".to_string()]);
        }
    }
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let (code, out) = curl(&args);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().filter(|l| *l == "200 0").count(), 50, "{out}");
    let lines = server.wait_for(50, |l| l.contains(": GET /hello.txt?n="));
    assert!(
        lines.iter().all(|l| l.contains(" 200, 12 bytes")),
        "{lines:#?}"
    );

    // TLS 1.2 shows the extended master secret.
    drop(server);
    let server = Server::start(&d, &["--dev", "--www", "--tls1.2"]);
    assert!(
        !server.log().join("\n").contains("Created a development CA"),
        "the dev CA is reused"
    );
    let (code, page) = curl(&[
        "--cacert",
        ca,
        &format!("https://localhost:{}/", server.port),
    ]);
    assert_eq!(code, 0, "{page}");
    assert!(page.contains("<td id=\"version\">TLSv1.2</td>"), "{page}");
    assert!(page.contains("<td id=\"ems\">yes</td>"), "{page}");
}

#[test]
fn limits_timeouts_and_garbage() {
    let d = tmpdir("server-limits");
    let server = Server::start(
        &d,
        &[
            "--dev",
            "--max-connections",
            "2",
            "--handshake-timeout",
            "1",
        ],
    );
    let addr = format!("127.0.0.1:{}", server.port);
    // Two silent connections hold both slots; a third is refused at once.
    let silent: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(&addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(
        third.read(&mut buf).unwrap_or(0),
        0,
        "refused connections are closed"
    );
    server.wait_for(1, |l| {
        l.ends_with(" refused: 2 connections are already open (--max-connections)")
    });
    let timed_out = server.wait_for(2, |l| l.contains(" handshake failed: the TLS handshake did not complete within 1s; the peer is slow, stalled or not speaking TLS"));
    assert_eq!(timed_out.len(), 2);
    drop(silent);
    // Not TLS at all.
    let mut garbage = TcpStream::connect(&addr).unwrap();
    garbage
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    let _ = garbage.read_to_end(&mut reply);
    server.wait_for(1, |l| {
        l.contains(" handshake failed: ") && !l.contains("did not complete")
    });
    // The server still serves.
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            "dev/ferrotls-ca.pem",
            "--no-pipe",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn server_errors_explain_themselves() {
    let d = tmpdir("server-errors");
    let cases: &[(&[&str], &str)] = &[
        (&[], "ferrotls: give --cert FILE --key FILE, or --dev for a development certificate"),
        (&["--cert", "a.pem"], "ferrotls: give one --key for each --cert"),
        (&["--dev", "--client-auth", "sometimes", "--client-ca", "dev/ferrotls-ca.pem"], "ferrotls: --client-auth sometimes: choose optional, required or post-handshake"),
        (&["--dev", "--client-auth", "required"], "ferrotls: --client-auth needs --client-ca FILE (the CA that issues client certificates)"),
        (&["--dev", "--www", "--root", "nowhere"], "ferrotls: --root nowhere: not a directory"),
        (&["--dev", "--max-connections", "0"], "ferrotls: --max-connections must be at least 1"),
        (&["--dev", "--handshake-timeout", "0"], "ferrotls: --handshake-timeout must be at least 1 second"),
        (&["--dev", "--groups", "ffdhe2048"], "ferrotls: unknown group ffdhe2048; choose from X25519MLKEM768, x25519, secp256r1, secp384r1"),
        (&["--dev", "--ciphers", "AES128-SHA"], "ferrotls: cipher suite AES128-SHA (TLS_RSA_WITH_AES_128_CBC_SHA) is a legacy suite (static RSA or CBC); add --legacy to use it"),
        (&["--dev", "--versions", "1.1"], "ferrotls: unknown protocol version 1.1; choose from 1.2 and 1.3 (also written tls1.2, TLSv1.2)"),
        (&["--dev", "--session-cache", "0", "--early-data", "1024"], "ferrotls: --session-cache 0 leaves no room for the single-use tickets of --early-data; give a size, or drop one of them"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["server", "--port", "0"];
        all.extend(*args);
        let r = crate::util::ferrotls_env(
            &d,
            &all,
            &[("FERROTLS_DEV_DIR", d.join("dev").to_str().unwrap())],
        );
        assert_eq!(r.code, 1, "{args:?}");
        assert_eq!(r.last_err_line(), *expected, "{args:?}");
    }
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let r = crate::util::ferrotls_env(
        &d,
        &["server", "--dev", "--port", &port],
        &[("FERROTLS_DEV_DIR", d.join("dev").to_str().unwrap())],
    );
    assert!(
        r.last_err_line().starts_with(&format!(
            "ferrotls: cannot listen on 127.0.0.1:{port}: Address already in use"
        )),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------
// The interop knobs: --require-ems, --no-tickets, --session-cache, --ciphers,
// --groups, --versions; and --www's one write per response.

/// `openssl s_client` to `server` (verifying the dev CA) with `extra` flags,
/// sending `input`, under the environment `env`.
fn s_client(
    d: &std::path::Path,
    server: &Server,
    extra: &[&str],
    input: &[u8],
    env: &[(&str, &std::path::Path)],
) -> Run {
    let connect = format!("127.0.0.1:{}", server.port);
    let mut args = vec![
        "s_client",
        "-connect",
        &connect,
        "-servername",
        "localhost",
        "-CAfile",
        "dev/ferrotls-ca.pem",
        "-verify_return_error",
    ];
    args.extend(extra);
    openssl(d, &args, input, env)
}

/// `ferrotls client` to `server` with the dev CA, no piping, and `extra` flags.
fn ferrotls_client(d: &std::path::Path, server: &Server, extra: &[&str]) -> Run {
    let target = server.target();
    let mut args = vec![
        "client",
        &target,
        "--cafile",
        "dev/ferrotls-ca.pem",
        "--no-pipe",
    ];
    args.extend(extra);
    ferrotls(d, &args)
}

#[test]
fn require_ems_refuses_clients_without_it_and_only_then() {
    require("openssl");
    let d = tmpdir("server-require-ems");
    let conf = no_ems_conf(&d);
    let no_ems = [("OPENSSL_CONF", conf.as_path())];

    // A default server serves a TLS 1.2 client without the extended master secret.
    let server = Server::start(&d, &["--dev"]);
    let r = s_client(&d, &server, &["-tls1_2"], b"", &no_ems);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("Extended master secret: no"),
        "{}",
        r.stdout
    );
    let line = server.wait_for(1, |l| l.contains("TLSv1.2 ")).remove(0);
    assert!(line.contains(" ems=no: echoed 0 bytes, closed"), "{line}");
    drop(server);

    // --require-ems refuses it with handshake_failure, and the log says why.
    let server = Server::start(&d, &["--dev", "--require-ems"]);
    let r = s_client(&d, &server, &["-tls1_2"], b"", &no_ems);
    assert_ne!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stderr.contains("sslv3 alert handshake failure"),
        "{}",
        r.stderr
    );
    let line = server
        .wait_for(1, |l| l.contains("handshake failed"))
        .remove(0);
    assert!(
        line.ends_with(" handshake failed: the client did not offer the TLS 1.2 extended master secret (RFC 7627), which this server is configured to require: without it a session is open to the triple-handshake attack"),
        "{line}"
    );
    // A client with the extension is served, with it.
    let r = s_client(&d, &server, &["-tls1_2"], b"", &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("Extended master secret: yes"),
        "{}",
        r.stdout
    );
    let line = server.wait_for(1, |l| l.contains("TLSv1.2 ")).remove(0);
    assert!(line.ends_with(" alpn=-: echoed 0 bytes, closed"), "{line}");
}

/// How many NewSessionTicket messages the client's trace shows, and whether each
/// connection resumed.
fn tickets_and_resumption(r: &Run) -> (usize, Vec<bool>) {
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tickets = r.stderr.matches("<- NewSessionTicket (").count();
    let resumed = r
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  resumption:    "))
        .map(|v| v == "resumed a previous session")
        .collect();
    (tickets, resumed)
}

#[test]
fn no_tickets_sends_no_new_session_ticket() {
    let d = tmpdir("server-no-tickets");
    let reconnect = ["--reconnect", "1", "--trace"];
    // By default: TLS 1.3 tickets (two per connection) and resumption with them;
    // TLS 1.2: a ticket per connection.
    let server = Server::start(&d, &["--dev"]);
    assert_eq!(
        tickets_and_resumption(&ferrotls_client(&d, &server, &reconnect)),
        (4, vec![false, true])
    );
    let r = ferrotls_client(&d, &server, &[&reconnect[..], &["--tls1.2"]].concat());
    assert_eq!(tickets_and_resumption(&r), (2, vec![false, true]));
    drop(server);

    // --no-tickets: none, in either version. TLS 1.3 cannot resume; TLS 1.2 still
    // resumes by session ID.
    let server = Server::start(&d, &["--dev", "--no-tickets"]);
    assert_eq!(
        tickets_and_resumption(&ferrotls_client(&d, &server, &reconnect)),
        (0, vec![false, false])
    );
    let r = ferrotls_client(&d, &server, &[&reconnect[..], &["--tls1.2"]].concat());
    assert_eq!(tickets_and_resumption(&r), (0, vec![false, true]));
    // The ServerHello does not acknowledge the client's session_ticket extension.
    let hellos: Vec<&str> = r
        .stderr
        .split("[client] <- ServerHello (")
        .skip(1)
        .map(|h| h.split("[client] <- ").next().unwrap_or_default())
        .collect();
    assert_eq!(hellos.len(), 2, "{}", r.stderr);
    assert!(
        hellos.iter().all(|h| !h.contains("session_ticket")),
        "{hellos:#?}"
    );
}

#[test]
fn session_cache_size_and_zero() {
    require("openssl");
    let d = tmpdir("server-session-cache");
    let sess = |name: &str| d.join(name).to_str().unwrap().to_string();
    let (a, b) = (sess("a.sess"), sess("b.sess"));
    // One session kept, no tickets: of two clients, only the later one resumes.
    let server = Server::start(
        &d,
        &["--dev", "--tls1.2", "--no-tickets", "--session-cache", "1"],
    );
    for out in [&a, &b] {
        let r = s_client(&d, &server, &["-sess_out", out], b"", &[]);
        assert!(r.stdout.contains("New, TLSv1.2, "), "{}", r.stdout);
    }
    // (A resumption stores nothing; a full handshake would evict b.)
    let r = s_client(&d, &server, &["-sess_in", &b], b"", &[]);
    assert!(r.stdout.contains("Reused, TLSv1.2, "), "kept: {}", r.stdout);
    let r = s_client(&d, &server, &["-sess_in", &a], b"", &[]);
    assert!(r.stdout.contains("New, TLSv1.2, "), "evicted: {}", r.stdout);
    drop(server);

    // --session-cache 0 keeps none: no resumption by session ID...
    let server = Server::start(
        &d,
        &["--dev", "--tls1.2", "--no-tickets", "--session-cache", "0"],
    );
    let r = ferrotls_client(&d, &server, &["--reconnect", "1"]);
    assert_eq!(tickets_and_resumption(&r), (0, vec![false, false]));
    drop(server);
    // ... while tickets still resume.
    let server = Server::start(&d, &["--dev", "--tls1.2", "--session-cache", "0"]);
    let r = ferrotls_client(&d, &server, &["--reconnect", "1"]);
    assert_eq!(tickets_and_resumption(&r).1, vec![false, true]);
}

/// The cipher suite in s_client's "New, TLSv1.x, Cipher is X" line.
fn s_client_suite(r: &Run) -> &str {
    r.stdout
        .lines()
        .find_map(|l| l.split_once(", Cipher is ").map(|(_, c)| c))
        .unwrap_or_else(|| panic!("no cipher in s_client's output:\n{}{}", r.stdout, r.stderr))
}

#[test]
fn ciphers_choose_the_suite() {
    require("openssl");
    let d = tmpdir("server-ciphers");
    // OpenSSL and IANA spellings, colon- and comma-separated, both versions.
    let server = Server::start(
        &d,
        &[
            "--dev",
            "--ciphers",
            "ECDHE-ECDSA-AES256-GCM-SHA384:TLS_CHACHA20_POLY1305_SHA256",
            "--ciphers",
            "tls_ecdhe_ecdsa_with_chacha20_poly1305_sha256",
        ],
    );
    // The server's order wins over the client's.
    let r = s_client(
        &d,
        &server,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
        ],
        b"",
        &[],
    );
    assert_eq!(s_client_suite(&r), "ECDHE-ECDSA-AES256-GCM-SHA384");
    let r = s_client(&d, &server, &["-tls1_3"], b"", &[]);
    assert_eq!(s_client_suite(&r), "TLS_CHACHA20_POLY1305_SHA256");
    // A client offering only other suites is refused with handshake_failure.
    for (flag, suite) in [
        ("-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"),
        ("-ciphersuites", "TLS_AES_128_GCM_SHA256"),
    ] {
        let version = if flag == "-cipher" {
            "-tls1_2"
        } else {
            "-tls1_3"
        };
        let r = s_client(&d, &server, &[version, flag, suite], b"", &[]);
        assert_ne!(r.code, 0, "{suite}: {}", r.stdout);
        assert!(
            r.stderr.contains("alert handshake failure"),
            "{suite}: {}",
            r.stderr
        );
    }
    let refused = server.wait_for(2, |l| {
        l.contains(" handshake failed: no cipher suite in common: the peer offered ")
    });
    assert!(
        refused[0].ends_with("; enabled here: TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
        "{refused:#?}"
    );
    // The ferrotls client takes the same names.
    let r = ferrotls_client(
        &d,
        &server,
        &["--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305", "--tls1.2"],
    );
    assert!(
        r.stderr
            .contains("Connected: TLSv1.2 with TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,"),
        "{}",
        r.stderr
    );
}

#[test]
fn groups_choose_the_group() {
    require("openssl");
    let d = tmpdir("server-groups");
    let server = Server::start(&d, &["--dev", "--groups", "P-384:prime256v1"]);
    // ferrotls's client sends X25519MLKEM768 and x25519 shares: a HelloRetryRequest
    // asks for secp384r1.
    let r = ferrotls_client(&d, &server, &[]);
    assert!(
        r.stderr
            .contains(", key exchange secp384r1 (after HelloRetryRequest)"),
        "{}",
        r.stderr
    );
    let r = s_client(&d, &server, &["-groups", "X25519:P-256"], b"", &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = s_client(&d, &server, &["-groups", "X25519"], b"", &[]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    let lines = server.wait_for(3, |l| l.starts_with("127.0.0.1:"));
    assert!(lines[0].contains(" secp384r1 (HRR) "), "{lines:#?}");
    assert!(lines[1].contains(" secp256r1 "), "{lines:#?}");
    assert!(
        lines[2].contains(" handshake failed: no key exchange group in common: "),
        "{lines:#?}"
    );
    // The client's --groups takes OpenSSL's spelling too.
    let r = ferrotls_client(&d, &server, &["--groups", "prime256v1"]);
    assert!(
        r.stderr.contains(", key exchange secp256r1\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn versions_choose_the_protocol() {
    require("openssl");
    let d = tmpdir("server-versions");
    for (versions, ok12, ok13) in [
        ("1.2", true, false),
        ("tls1.3", false, true),
        ("1.2,1.3", true, true),
    ] {
        let server = Server::start(&d, &["--dev", "--versions", versions]);
        for (flag, ok) in [("-tls1_2", ok12), ("-tls1_3", ok13)] {
            let r = s_client(&d, &server, &[flag], b"", &[]);
            assert_eq!(
                r.code == 0,
                ok,
                "--versions {versions}, {flag}: {}{}",
                r.stdout,
                r.stderr
            );
            if !ok {
                assert!(
                    r.stderr.contains("alert protocol version"),
                    "--versions {versions}, {flag}: {}",
                    r.stderr
                );
            }
        }
        // The ferrotls client's --versions picks the same way.
        let r = ferrotls_client(&d, &server, &["--versions", "TLSv1.2"]);
        assert_eq!(r.code == 0, ok12, "--versions {versions}: {}", r.stderr);
    }
}

/// The application_data records s_client's `-msg` shows arriving: in TLS 1.2 record
/// headers of type 23, in TLS 1.3 inner content types 23 (every TLS 1.3 record is
/// of outer type 23). The markers may follow body text on the same line.
fn application_records_received(msg: &str, tls13: bool) -> usize {
    if tls13 {
        msg.matches("<<< TLS 1.3, InnerContent [length 0001]\n    17\n")
            .count()
    } else {
        msg.matches("<<< TLS 1.2, RecordHeader [length 0005]\n    17 03 03")
            .count()
    }
}

#[test]
fn www_answers_each_request_in_one_record() {
    require("openssl");
    let d = tmpdir("server-www-one-record");
    let root = d.join("site");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("small.txt"), "x".repeat(4000) + "\n").unwrap();
    std::fs::write(root.join("big.txt"), "y".repeat(40_000) + "\n").unwrap();
    let server = Server::start(&d, &["--dev", "--www", "--root", root.to_str().unwrap()]);
    let request = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    for version in ["-tls1_2", "-tls1_3"] {
        for (path, records, body) in [
            ("/", 1, "<h1>Your TLS connection"),
            ("/small.txt", 1, "xxxx"),
            ("/big.txt", 3, "yyyy"),
        ] {
            let r = s_client(
                &d,
                &server,
                &[version, "-msg", "-ign_eof", "-no_ticket"],
                request(path).as_bytes(),
                &[],
            );
            assert!(
                r.stdout.contains("HTTP/1.1 200 OK\r\n"),
                "{version} {path}: {}",
                r.stdout
            );
            assert!(r.stdout.contains(body), "{version} {path}");
            assert_eq!(
                application_records_received(&r.stdout, version == "-tls1_3"),
                records,
                "{version} {path}: {}",
                r.stdout.get(..4000).unwrap_or(&r.stdout)
            );
        }
    }
}
