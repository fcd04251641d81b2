//! Issue 5, "Must show": the key log decrypts a captured session (tshark on loopback),
//! `--trace` narrates every handshake message in order (against `ferrotls server`
//! and `openssl s_server`), and `cert issue --broken no-intermediate`.
//!
//! tshark comes from Debian (`apt-get install -y --no-install-recommends tshark`);
//! without it, or without the right to capture, the capture test says why on
//! stderr and passes.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::util::{ferrotls, have, issue, run_with_timeout, tmpdir, Run, Server, BIN};

/// A child process killed (SIGKILL) and reaped on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Waits for a line of `child`'s stderr (or stdout) satisfying `pred`, for at most
/// `timeout`; all lines read are appended to the returned log either way. The reader
/// thread keeps draining the stream afterwards so the child never blocks on it.
fn wait_for_line(
    stream: impl std::io::Read + Send + 'static,
    timeout: Duration,
    pred: impl Fn(&str) -> bool + Send + 'static,
) -> (
    Option<String>,
    std::sync::Arc<std::sync::Mutex<Vec<String>>>,
) {
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = log.clone();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if pred(&line) {
                let _ = tx.send(line.clone());
            }
            sink.lock().unwrap().push(line);
        }
    });
    (rx.recv_timeout(timeout).ok(), log)
}

/// `ferrotls server --dev --port 0 ARGS` with `SSLKEYLOGFILE=keylog`; its port.
/// (`util::Server` clears SSLKEYLOGFILE, so this one is started here.)
fn server_with_keylog(dir: &Path, keylog: &Path, args: &[&str]) -> (Killed, u16) {
    let mut child = Command::new(BIN)
        .args(["server", "--dev", "--port", "0"])
        .args(args)
        .current_dir(dir)
        .env("FERROTLS_DEV_DIR", dir.join("dev"))
        .env("SSLKEYLOGFILE", keylog)
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let child = Killed(child);
    let (line, log) = wait_for_line(stderr, Duration::from_secs(20), |l| {
        l.contains("listening on 127.0.0.1:")
    });
    let line =
        line.unwrap_or_else(|| panic!("the server did not start: {:?}", log.lock().unwrap()));
    let port = line
        .split_once("listening on 127.0.0.1:")
        .unwrap()
        .1
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (child, port)
}

/// Runs `ferrotls client ARGS` with `input` on stdin and `env`, killed after `timeout`.
fn client_with_input(dir: &Path, args: &[&str], input: &str, env: &[(&str, &Path)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.arg("client")
        .args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("SSLKEYLOGFILE")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    // stdin is closed here: the client sends the line, then finishes.
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Run::from(child.wait_with_output().unwrap())
}

/// A tshark capture on loopback, stopped (SIGINT, so the file is complete) on
/// `stop` or killed on drop.
struct Capture {
    child: Option<Killed>,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Capture {
    /// Starts `tshark -i lo -f "tcp port PORT" -w FILE` and waits until it captures;
    /// Err with the reason when it cannot.
    fn start(port: u16, file: &Path) -> Result<Capture, String> {
        let mut child = Command::new("tshark")
            .args(["-i", "lo", "-f", &format!("tcp port {port}"), "-w"])
            .arg(file)
            // A bound in case the test dies before stopping it.
            .args(["-a", "duration:120"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run tshark: {e}"))?;
        let stderr = child.stderr.take().unwrap();
        let mut child = Killed(child);
        let (line, log) = wait_for_line(stderr, Duration::from_secs(30), |l| {
            l.starts_with("Capturing on") || l.contains("Capture started")
        });
        if line.is_none() {
            // Give its error message a moment to arrive.
            let deadline = Instant::now() + Duration::from_secs(2);
            while child.0.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            std::thread::sleep(Duration::from_millis(200));
            return Err(format!(
                "tshark did not start capturing on lo (exit status {:?}): {}",
                child.0.try_wait().ok().flatten(),
                log.lock().unwrap().join(" | ")
            ));
        }
        // tshark prints "Capturing on" even when it then fails to open the device
        // (no permission); "Capture started" (tshark 3.6 and later) means it captures.
        // Wait for that or a failure, then let the BPF filter settle.
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let exited = child.0.try_wait().ok().flatten();
            let text = log.lock().unwrap().join(" | ");
            if exited.is_some() || text.contains("permission") || text.contains("tshark: ") {
                std::thread::sleep(Duration::from_millis(200));
                return Err(format!(
                    "tshark could not capture on lo (exit status {exited:?}): {}",
                    log.lock().unwrap().join(" | ")
                ));
            }
            if text.contains("Capture started") || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(500));
        Ok(Capture {
            child: Some(child),
            log,
        })
    }

    /// Stops the capture cleanly and waits for tshark to finish writing.
    fn stop(&mut self) {
        // Let the last packets (close_notify, FIN) reach the capture.
        std::thread::sleep(Duration::from_millis(700));
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while child.0.try_wait().ok().flatten().is_none() {
            if Instant::now() > deadline {
                panic!(
                    "tshark did not stop after SIGINT: {:?}",
                    self.log.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `tshark -r FILE [-o tls.keylog_file:KEYS] -q -z follow,tls,ascii,0`: the decrypted
/// application data of the first TCP stream, as tshark shows it.
fn follow_tls(file: &Path, keys: Option<&Path>) -> String {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(file);
    if let Some(k) = keys {
        cmd.arg("-o")
            .arg(format!("tls.keylog_file:{}", k.display()));
    }
    cmd.args(["-q", "-z", "follow,tls,ascii,0"]);
    let r = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert_eq!(r.code, 0, "tshark -r failed: {}", r.stderr);
    r.stdout
}

/// The number of TLS records in the capture that tshark decrypted with `keys`
/// (`-x` prints a "Decrypted TLS" block for each).
fn decrypted_records(file: &Path, keys: &Path) -> usize {
    let r = run_with_timeout(
        Command::new("tshark")
            .arg("-r")
            .arg(file)
            .arg("-o")
            .arg(format!("tls.keylog_file:{}", keys.display()))
            .arg("-x"),
        Duration::from_secs(60),
    );
    r.stdout.matches("Decrypted TLS").count()
}

fn tshark_available(test: &str) -> bool {
    if !have("tshark") {
        eprintln!(
            "SKIPPED {test}: tshark is not installed (DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark)"
        );
        return false;
    }
    true
}

/// One session per version: server and client both log keys; the capture shows the
/// plaintext only when tshark is given a key log.
#[test]
fn key_log_decrypts_a_captured_session() {
    if !tshark_available("key_log_decrypts_a_captured_session") {
        return;
    }
    for (label, flags) in [("tls13", &["--tls1.3"][..]), ("tls12", &["--tls1.2"][..])] {
        let d = tmpdir(&format!("keylog-{label}"));
        let server_keys = d.join("server-keys.log");
        let client_keys = d.join("client-keys.log");
        let cap = d.join("cap.pcapng");
        let (server, port) = server_with_keylog(&d, &server_keys, &[]);
        let mut capture = match Capture::start(port, &cap) {
            Ok(c) => c,
            Err(why) => {
                eprintln!("SKIPPED key_log_decrypts_a_captured_session: cannot capture on loopback here: {why}");
                return;
            }
        };
        let marker = format!("ferrotls-keylog-plaintext-{label}-7f3a9c");
        let mut args = vec![
            format!("localhost:{port}"),
            "--cafile".into(),
            "dev/ferrotls-ca.pem".into(),
        ];
        args.extend(flags.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = client_with_input(
            &d,
            &args,
            &format!("{marker}\n"),
            &[("SSLKEYLOGFILE", &client_keys)],
        );
        capture.stop();
        drop(server);
        assert_eq!(r.code, 0, "{label}: client failed: {}", r.stderr);
        // The echo server sent the line back.
        assert!(r.stdout.contains(&marker), "{label}: {}", r.stdout);
        let want = if label == "tls13" {
            "TLSv1.3"
        } else {
            "TLSv1.2"
        };
        assert!(
            r.stderr.contains(&format!("Connected: {want} ")),
            "{label}: {}",
            r.stderr
        );

        // Both key logs are in the NSS format and describe the same session.
        let ck = std::fs::read_to_string(&client_keys).expect("the client wrote no key log");
        let sk = std::fs::read_to_string(&server_keys).expect("the server wrote no key log");
        let labels: &[&str] = if label == "tls13" {
            &[
                "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
                "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
                "CLIENT_TRAFFIC_SECRET_0 ",
                "SERVER_TRAFFIC_SECRET_0 ",
            ]
        } else {
            &["CLIENT_RANDOM "]
        };
        for l in labels {
            let line = ck
                .lines()
                .find(|x| x.starts_with(l))
                .unwrap_or_else(|| panic!("{label}: no {l}in the client's key log: {ck}"));
            assert!(
                sk.lines().any(|x| x == line),
                "{label}: the server logged other keys: {sk}"
            );
        }

        // Without keys the capture hides the plaintext; with either key log it shows.
        let raw = std::fs::read(&cap).unwrap();
        assert!(
            !String::from_utf8_lossy(&raw).contains(&marker),
            "{label}: the plaintext is in the capture unencrypted"
        );
        assert!(!follow_tls(&cap, None).contains(&marker), "{label}");
        for keys in [&client_keys, &server_keys] {
            let shown = follow_tls(&cap, Some(keys));
            assert!(
                shown.contains(&marker),
                "{label}: tshark did not decrypt the session with {}: {shown}",
                keys.display()
            );
            assert!(decrypted_records(&cap, keys) >= 2, "{label}");
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound, then released).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Asserts that each of `expected` starts a line of `trace`, in this order (other
/// lines may come between). A line is matched after its `[client] ` prefix; an
/// expected line `A(*)B` matches a line starting with `A(`, ending with `B`.
#[track_caller]
fn assert_in_order(trace: &str, expected: &[&str]) {
    let lines: Vec<&str> = trace
        .lines()
        .map(|l| l.strip_prefix("[client] ").unwrap_or(l))
        .collect();
    let mut at = 0;
    for want in expected {
        let matches = |l: &str| match want.split_once("(*)") {
            Some((head, tail)) => l.starts_with(&format!("{head}(")) && l.ends_with(tail),
            None => l.starts_with(want),
        };
        match lines[at..].iter().position(|l| matches(l)) {
            Some(i) => at += i + 1,
            None => panic!(
                "expected a line starting with {want:?} after line {at}, in order; the trace:\n{trace}"
            ),
        }
    }
}

/// The TLS 1.3 ClientHello, as the client narrates it.
const CLIENT_HELLO_13: &[&str] = &[
    "-> ClientHello (",
    "     legacy_version: TLSv1.2",
    "     random: ",
    "     session_id: ",
    "     cipher_suites: TLS_AES_128_GCM_SHA256, ",
    "     server_name: localhost",
    "     supported_versions: TLSv1.3, TLSv1.2",
    "     supported_groups: X25519MLKEM768, x25519, ",
    "     signature_algorithms: ecdsa_secp256r1_sha256, ",
    "     key_share: X25519MLKEM768 (1216 bytes), x25519 (32 bytes)",
    "     psk_key_exchange_modes: psk_dhe_ke",
];

/// The server's certificate lines (leaf, then CA) for a ferrotls development chain.
const CERTIFICATE: &[&str] = &[
    "     [0] subject: CN=localhost, O=ferrotls development certificate",
    "         issuer: CN=ferrotls ",
    "         SAN: DNS:localhost, IP:127.0.0.1, IP:::1",
    "         valid: ",
    "     [1] subject: CN=ferrotls ",
    "         issuer: CN=ferrotls ",
    "         SAN: none",
    "         valid: ",
];

fn tls13_server_flight(hs: &str) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "<- ServerHello (*) bytes, plaintext)".into(),
        "     random: ".into(),
        "     cipher_suite: TLS_".into(),
        "     key_share: ".into(),
        "     supported_versions: TLSv1.3".into(),
        "   derived CLIENT_HANDSHAKE_TRAFFIC_SECRET".into(),
        "   derived SERVER_HANDSHAKE_TRAFFIC_SECRET".into(),
        "-> change_cipher_spec".into(),
        format!("<- EncryptedExtensions (*){hs}"),
        format!("<- Certificate (*){hs}"),
    ];
    v.extend(CERTIFICATE.iter().map(|s| s.to_string()));
    v.extend([
        format!("<- CertificateVerify (*){hs}"),
        "     scheme: ecdsa_secp256r1_sha256".into(),
        "     signature: ".into(),
        format!("<- Finished (*){hs}"),
        "     verify_data: ".into(),
        "   derived CLIENT_TRAFFIC_SECRET_0".into(),
        "   derived SERVER_TRAFFIC_SECRET_0".into(),
        format!("-> Finished (*){hs}"),
        "     verify_data: ".into(),
    ]);
    v
}

#[test]
fn trace_narrates_each_message() {
    let d = tmpdir("trace-messages");
    let server = Server::start(&d, &["--dev"]);
    let ca = "dev/ferrotls-ca.pem";
    let hs = " bytes, encrypted with handshake keys)";
    let trace = |extra: &[&str]| {
        let mut args = vec!["client", "--trace", "--no-pipe", "--cafile", ca];
        let target = server.target();
        args.insert(1, &target);
        args.extend(extra);
        let r = ferrotls(&d, &args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            !r.stderr.contains('\x1b'),
            "colour when piped: {}",
            r.stderr
        );
        r.stderr
    };

    // TLS 1.3 against ferrotls server.
    let t = trace(&[]);
    let mut want: Vec<String> = CLIENT_HELLO_13.iter().map(|s| s.to_string()).collect();
    want[0] = "-> ClientHello (*) bytes, plaintext)".into();
    want.extend(tls13_server_flight(hs));
    want.extend([
        "<- NewSessionTicket (*) bytes, encrypted with application keys)".into(),
        "     lifetime: 21600 s, ticket: ".into(),
        "---".into(),
        "Connected: TLSv1.3 with TLS_AES_128_GCM_SHA256, key exchange X25519MLKEM768".into(),
    ]);
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    assert_in_order(&t, &want);
    assert!(t.contains("<- change_cipher_spec"), "{t}");
    assert!(t.contains("<- EncryptedExtensions ("), "{t}");
    // The ClientHello appears once: no HelloRetryRequest with these groups.
    assert_eq!(t.matches("-> ClientHello (").count(), 1, "{t}");

    // TLS 1.2 against ferrotls server.
    let t = trace(&["--tls1.2"]);
    assert_in_order(
        &t,
        &[
            "-> ClientHello (",
            "     legacy_version: TLSv1.2",
            "     random: ",
            "     session_id: ",
            "     cipher_suites: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ",
            "     server_name: localhost",
            "     supported_groups: ",
            "     signature_algorithms: ",
            "     extended_master_secret extension",
            "     renegotiation_info extension",
            "<- ServerHello (",
            "     random: ",
            "     cipher_suite: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "     extended_master_secret extension",
            "<- Certificate (",
            CERTIFICATE[0],
            CERTIFICATE[1],
            CERTIFICATE[2],
            CERTIFICATE[3],
            "<- ServerKeyExchange (*) bytes, plaintext)",
            "     ECDHE group: x25519 (public point 32 bytes)",
            "     signed with: ecdsa_secp256r1_sha256",
            "<- ServerHelloDone (",
            "-> ClientKeyExchange (*) bytes, plaintext)",
            "     exchange key: 33 bytes",
            "   derived CLIENT_RANDOM",
            "-> change_cipher_spec",
            "-> Finished (*) bytes, encrypted with handshake keys)",
            "     verify_data: ",
            "<- NewSessionTicket (",
            "     lifetime hint: 21600 s, ticket: ",
            "<- change_cipher_spec",
            "<- Finished (*) bytes, encrypted with handshake keys)",
            "     verify_data: ",
            "---",
            "Connected: TLSv1.2 with TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, key exchange x25519",
        ],
    );
    // TLS 1.2 has no supported_versions, key_share, EncryptedExtensions or CertificateVerify.
    for absent in [
        "supported_versions: ",
        "key_share: ",
        "EncryptedExtensions",
        "CertificateVerify",
    ] {
        assert!(!t.contains(absent), "{absent} in a TLS 1.2 trace: {t}");
    }
    drop(server);

    // TLS 1.3 against openssl s_server.
    if !have("openssl") {
        return;
    }
    issue(&d, &["localhost", "127.0.0.1", "::1"], &[]);
    let port = free_port();
    let mut child = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            "localhost.pem",
            "-key",
            "localhost.key",
            "-tls1_3",
            "-naccept",
            "1",
        ])
        .current_dir(&d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let s_server = Killed(child);
    let (ready, log) = wait_for_line(stdout, Duration::from_secs(20), |l| l.starts_with("ACCEPT"));
    assert!(
        ready.is_some(),
        "openssl s_server did not start: {:?}",
        log.lock().unwrap()
    );
    let target = format!("localhost:{port}");
    let r = ferrotls(
        &d,
        &[
            "client",
            &target,
            "--trace",
            "--no-pipe",
            "--cafile",
            "ferrotls-ca.pem",
        ],
    );
    drop(s_server);
    let t = r.stderr;
    assert_eq!(r.code, 0, "{t}");
    // OpenSSL orders the ServerHello's extensions differently, picks x25519 (it
    // has no ML-KEM), sends only the leaf and tickets valid for 7200 s.
    let mut want: Vec<String> = CLIENT_HELLO_13.iter().map(|s| s.to_string()).collect();
    want[0] = "-> ClientHello (*) bytes, plaintext)".into();
    let hs = hs.to_string();
    want.extend(
        [
            "<- ServerHello (*) bytes, plaintext)",
            "     random: ",
            "     cipher_suite: TLS_AES_128_GCM_SHA256",
            "     supported_versions: TLSv1.3",
            "     key_share: x25519 (32 bytes)",
            "   derived CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "   derived SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "-> change_cipher_spec",
            &format!("<- EncryptedExtensions (*){hs}"),
            "     (no extensions)",
            &format!("<- Certificate (*){hs}"),
            CERTIFICATE[0],
            CERTIFICATE[1],
            CERTIFICATE[2],
            CERTIFICATE[3],
            &format!("<- CertificateVerify (*){hs}"),
            "     scheme: ecdsa_secp256r1_sha256",
            "     signature: ",
            &format!("<- Finished (*){hs}"),
            "     verify_data: ",
            "   derived CLIENT_TRAFFIC_SECRET_0",
            "   derived SERVER_TRAFFIC_SECRET_0",
            &format!("-> Finished (*){hs}"),
            "     verify_data: ",
            "<- NewSessionTicket (*) bytes, encrypted with application keys)",
            "     lifetime: 7200 s, ticket: ",
            "---",
            "Connected: TLSv1.3 with TLS_AES_128_GCM_SHA256, key exchange x25519",
        ]
        .map(String::from),
    );
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    assert_in_order(&t, &want);
    assert!(t.contains("<- change_cipher_spec"), "{t}");
    assert!(
        !t.contains("     [1] subject: "),
        "openssl sent more than the leaf: {t}"
    );
}

fn chain_len(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap()
        .matches("-----BEGIN CERTIFICATE-----")
        .count()
}

fn file_in_output(stdout: &str, suffix: &str) -> PathBuf {
    PathBuf::from(
        stdout
            .lines()
            .find_map(|l| l.trim().strip_suffix(suffix))
            .unwrap_or_else(|| panic!("no line ending {suffix:?} in: {stdout}"))
            .trim(),
    )
}

/// `cert issue --broken no-intermediate`: a leaf signed by an intermediate CA that
/// the leaf's file leaves out. `verify` (and a client) explain the missing
/// intermediate, and accept the leaf once the intermediate is supplied.
#[test]
fn broken_no_intermediate() {
    let d = tmpdir("cert-no-intermediate");
    // The default development CA has pathLen 0: it cannot sign an intermediate.
    let r = ferrotls(&d, &["cert", "ca"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("intermediate"), "{}", r.stdout);
    let r = ferrotls(
        &d,
        &["cert", "issue", "localhost", "--broken", "no-intermediate"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert_eq!(
        r.last_err_line(),
        "ferrotls: --broken no-intermediate needs a CA that may sign an intermediate CA, but this CA has pathLen 0 (it may issue end-entity certificates only). Create one that allows an intermediate: ferrotls cert ca --out DIR --path-len 1, then pass --ca-dir DIR"
    );
    assert!(!d.join("localhost-no-intermediate.pem").exists());

    // A CA that allows one intermediate.
    let r = ferrotls(&d, &["cert", "ca", "--out", "ca1", "--path-len", "1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("\n  It may sign intermediate CAs: pathLen 1 (at most 1 below it)\n"),
        "{}",
        r.stdout
    );
    let show = ferrotls(&d, &["cert", "show", "ca1/ferrotls-ca.pem"]).stdout;
    assert!(
        show.contains("  CA:                yes, pathLen 1: at most 1 intermediate CA(s) below it (critical)\n"),
        "{show}"
    );

    let r = ferrotls(
        &d,
        &[
            "cert",
            "issue",
            "localhost",
            "127.0.0.1",
            "--ca-dir",
            "ca1",
            "--broken",
            "no-intermediate",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with(
        "Issued a BROKEN certificate for localhost, 127.0.0.1 (no-intermediate): it is signed by an intermediate CA, and its file leaves that intermediate out (as a misconfigured server does).\n\
         Verifiers must reject it; try: ferrotls verify ./localhost-no-intermediate.pem --cafile ca1/ferrotls-ca.pem --host localhost\n\
         It verifies once the intermediate is supplied: add --chain ./localhost-no-intermediate-intermediate.pem\n"
    ), "{}", r.stdout);
    let leaf = d.join(file_in_output(
        &r.stdout,
        "  the leaf alone, without the intermediate CA that signed it",
    ));
    let inter = d.join(
        r.stdout
            .lines()
            .find_map(|l| l.trim().split_once("  the intermediate CA (signed by "))
            .unwrap_or_else(|| panic!("no intermediate file in: {}", r.stdout))
            .0,
    );
    assert!(
        r.stdout.contains(" that the leaf's file leaves out\n"),
        "{}",
        r.stdout
    );
    assert_eq!(leaf, d.join("./localhost-no-intermediate.pem"));
    assert_eq!(
        inter,
        d.join("./localhost-no-intermediate-intermediate.pem")
    );
    assert!(d.join("localhost-no-intermediate.key").exists());
    assert_eq!(
        chain_len(&leaf),
        1,
        "the leaf's file must hold the leaf only"
    );
    assert_eq!(chain_len(&inter), 1);

    // `cert show`: the leaf's issuer is the intermediate; the intermediate's is the CA.
    let show = ferrotls(
        &d,
        &["cert", "show", "localhost-no-intermediate-intermediate.pem"],
    )
    .stdout;
    assert!(show.contains("  CA:                yes, pathLen 0: may issue end-entity certificates only (critical)\n"), "{show}");
    assert!(show.contains("CN=ferrotls intermediate "), "{show}");

    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "localhost-no-intermediate.pem",
            "--cafile",
            "ca1/ferrotls-ca.pem",
            "--host",
            "localhost",
        ];
        args.extend(extra);
        ferrotls(&d, &args)
    };
    let v = verify(&[]);
    assert_eq!(v.code, 1, "{}", v.stdout);
    let verdict = v.stdout.lines().last().unwrap();
    assert!(
        verdict.starts_with("FAILED: no trusted issuer for O=ferrotls development certificate, CN=localhost: its issuer ")
            && verdict.contains(", CN=ferrotls intermediate ")
            && verdict.ends_with(" was not sent by the server and is not in the trust store. The server probably omits its intermediate certificate."),
        "{verdict}"
    );
    let v = verify(&["--chain", "localhost-no-intermediate-intermediate.pem"]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    assert_eq!(v.stdout.lines().last().unwrap(), "OK", "{}", v.stdout);
    assert!(v.stdout.contains(" (intermediate)\n"), "{}", v.stdout);
    assert!(v.stdout.contains(" (trust anchor)\n"), "{}", v.stdout);

    // A server configured with the leaf alone: the client explains; with the
    // intermediate appended to the file, the handshake succeeds.
    let server = Server::start(
        &d,
        &[
            "--cert",
            "localhost-no-intermediate.pem",
            "--key",
            "localhost-no-intermediate.key",
        ],
    );
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            "ca1/ferrotls-ca.pem",
            "--no-pipe",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let last = r.last_err_line();
    assert!(
        last.starts_with("ferrotls: the server's certificate was rejected: no trusted issuer for ")
            && last.ends_with("The server probably omits its intermediate certificate."),
        "{last}"
    );
    drop(server);
    let full = std::fs::read_to_string(&leaf).unwrap() + &std::fs::read_to_string(&inter).unwrap();
    std::fs::write(d.join("full.pem"), full).unwrap();
    let server = Server::start(
        &d,
        &[
            "--cert",
            "full.pem",
            "--key",
            "localhost-no-intermediate.key",
        ],
    );
    let r = ferrotls(
        &d,
        &[
            "client",
            &server.target(),
            "--cafile",
            "ca1/ferrotls-ca.pem",
            "--no-pipe",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(" (intermediate)") || r.stderr.contains("ferrotls intermediate "),
        "{}",
        r.stderr
    );
    drop(server);

    // OpenSSL agrees.
    if have("openssl") {
        let run = |extra: &[&str]| {
            let mut args = vec![
                "verify",
                "-CAfile",
                "ca1/ferrotls-ca.pem",
                "-purpose",
                "sslserver",
                "-verify_hostname",
                "localhost",
            ];
            args.extend(extra);
            args.push("localhost-no-intermediate.pem");
            run_with_timeout(
                Command::new("openssl").args(&args).current_dir(&d),
                Duration::from_secs(20),
            )
        };
        let r = run(&[]);
        assert_ne!(r.code, 0);
        assert!(
            format!("{}{}", r.stdout, r.stderr).contains("unable to get local issuer certificate"),
            "{} {}",
            r.stdout,
            r.stderr
        );
        let r = run(&["-untrusted", "localhost-no-intermediate-intermediate.pem"]);
        assert_eq!(r.code, 0, "{} {}", r.stdout, r.stderr);
    }
}
