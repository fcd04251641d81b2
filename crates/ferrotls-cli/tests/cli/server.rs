//! `ferrotls server`: OpenSSL's s_client and curl, concurrently; the --www status
//! page and files; limits; and the error messages.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::{ferrotls, have, tmpdir, Server};

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
