//! Interop of TLS 1.3 resumption, 0-RTT, client certificates and OCSP stapling with
//! OpenSSL 3.0's `s_client` and `s_server`, started by each test on a loopback port.
//! Every wait is bounded (common::TIMEOUT).

mod common;

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use ferrotls::client::{ClientConfig, ClientConnection};
use ferrotls::conn::{ClientEarlyData, Negotiated};
use ferrotls::pki::{ClientAuthVerifier, ClientCertVerifier, RootStore, TrustAnchor, Verifier};
use ferrotls::server::{InMemorySessionCache, ServerConfig, ServerConnection};
use ferrotls::stream::StreamOwned;
use rustls_pki_types::{CertificateDer, ServerName};

// ---------------------------------------------------------------------------------
// A ferrotls server for several connections in a row.

/// What the server saw on one connection.
#[derive(Debug, Default)]
struct Seen {
    negotiated: Negotiated,
    early_accepted: bool,
    /// Read from `early_data()`.
    early: Vec<u8>,
    /// Read from `reader()` (and echoed back).
    normal: Vec<u8>,
    peer_certificates: Vec<CertificateDer<'static>>,
    /// The handshake or the connection failed with this.
    error: Option<String>,
}

/// Accepts one connection per configuration, in order, on one loopback port. Each
/// connection: handshake, read the accepted 0-RTT data, echo normal data until the
/// peer closes. Failures are reported in [`Seen::error`], not raised.
struct SeqServer {
    port: u16,
    results: mpsc::Receiver<Seen>,
    _thread: thread::JoinHandle<()>,
}

impl SeqServer {
    fn start(configs: Vec<Arc<ServerConfig>>) -> SeqServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("address").port();
        let (tx, results) = mpsc::channel();
        let thread = thread::spawn(move || {
            for config in configs {
                let seen = match accept(&listener) {
                    Ok(tcp) => serve(config, tcp),
                    Err(e) => Seen {
                        error: Some(e),
                        ..Seen::default()
                    },
                };
                if tx.send(seen).is_err() {
                    return;
                }
            }
        });
        SeqServer {
            port,
            results,
            _thread: thread,
        }
    }

    /// What the server saw on its next connection.
    fn next(&self) -> Result<Seen, String> {
        self.results
            .recv_timeout(3 * TIMEOUT)
            .map_err(|e| format!("the server reported no connection: {e}"))
    }
}

fn accept(listener: &TcpListener) -> Result<TcpStream, String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match listener.accept() {
            Ok((tcp, _)) => {
                tcp.set_nonblocking(false).map_err(|e| e.to_string())?;
                tcp.set_read_timeout(Some(TIMEOUT))
                    .map_err(|e| e.to_string())?;
                tcp.set_write_timeout(Some(TIMEOUT))
                    .map_err(|e| e.to_string())?;
                return Ok(tcp);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(e) => return Err(format!("no client connected: {e}")),
        }
    }
}

fn serve(config: Arc<ServerConfig>, tcp: TcpStream) -> Seen {
    let mut seen = Seen::default();
    let conn = match ServerConnection::new(config) {
        Ok(c) => c,
        Err(e) => {
            seen.error = Some(e.to_string());
            return seen;
        }
    };
    let mut tls = StreamOwned::new(conn, tcp);
    let outcome = (|| -> io::Result<()> {
        tls.handshake()?;
        tls.conn.early_data().read_to_end(&mut seen.early)?;
        let mut buf = [0u8; 4096];
        loop {
            let n = tls.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            seen.normal.extend_from_slice(&buf[..n]);
            tls.write_all(&buf[..n])?;
            tls.flush()?;
        }
    })();
    if let Err(e) = outcome {
        // s_client may end with a plain TCP close; only handshake errors count.
        if tls.conn.is_handshaking() || tls.conn.error().is_some() {
            seen.error = Some(e.to_string());
        }
    }
    let _ = tls.close();
    seen.negotiated = tls.conn.negotiated().clone();
    seen.early_accepted = tls.conn.early_data_accepted();
    seen.peer_certificates = tls.conn.peer_certificates().to_vec();
    seen
}

// ---------------------------------------------------------------------------------
// OpenSSL peers

/// `openssl s_client -tls1_3` to 127.0.0.1:`port` verifying "localhost" against the
/// test CA, with `extra` arguments.
fn s_client(pki: &TestPki, port: u16, extra: &[OsString]) -> Process {
    let mut args: Vec<OsString> = [
        "s_client",
        "-tls1_3",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-servername",
        "localhost",
        "-verify_return_error",
        "-nocommands",
        "-CAfile",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.push(pki.ca_file.clone().into());
    args.extend(extra.iter().cloned());
    Process::spawn("openssl", &args)
}

/// Runs s_client: sends `line`, waits for its echo, closes stdin and waits for the
/// exit. Returns stdout.
fn s_client_line(
    pki: &TestPki,
    port: u16,
    extra: &[OsString],
    line: &str,
) -> Result<String, String> {
    let mut client = s_client(pki, port, extra);
    client.supervise(|c| {
        c.write_stdin(format!("{line}\n").as_bytes())?;
        c.wait_for_stdout_text(line)?;
        c.close_stdin();
        Ok(())
    })?;
    Ok(client.stdout())
}

/// `openssl s_server -tls1_3` on a port it picks, for `naccept` connections.
fn s_server(leaf: &Leaf, naccept: usize, extra: &[OsString]) -> Process {
    let mut args = os_args(&[
        &"s_server",
        &"-tls1_3",
        &"-accept",
        &"127.0.0.1:0",
        &"-naccept",
        &naccept.to_string(),
        &"-cert",
        &leaf.cert_file,
        &"-key",
        &leaf.key_file,
    ]);
    args.extend(extra.iter().cloned());
    Process::spawn("openssl", &args)
}

/// Reads and processes records until `done` holds for the connection, for at most
/// `wait` (NewSessionTickets arrive after the handshake, without application data).
fn pump_until(
    tls: &mut ClientStream,
    wait: Duration,
    done: impl Fn(&ClientConnection) -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + wait;
    tls.sock
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| e.to_string())?;
    while !done(&tls.conn) {
        if Instant::now() >= deadline {
            return Err(format!("not done within {wait:?}"));
        }
        match tls.conn.read_tls(&mut tls.sock) {
            Ok(0) => return Err("the peer closed the connection".into()),
            Ok(_) => {
                tls.conn
                    .process_new_packets()
                    .map_err(|e| format!("processing records: {e}"))?;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(format!("reading: {e}")),
        }
    }
    tls.sock
        .set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())
}

/// A ferrotls client connection with 0-RTT data written before the handshake.
fn connect_with_early_data(
    config: Arc<ClientConfig>,
    port: u16,
    early: &[u8],
) -> Result<(ClientStream, usize), String> {
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let mut conn = ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    let taken = conn
        .write_early_data(early)
        .map_err(|e| format!("write_early_data: {e}"))?;
    let mut tls = StreamOwned::new(conn, connect(port)?);
    tls.handshake()
        .map_err(|e| format!("handshake in state {}: {e}", tls.conn.state_name()))?;
    Ok((tls, taken))
}

fn trust(pki: &TestPki) -> RootStore {
    let mut roots = RootStore::new();
    roots.add(TrustAnchor::from_cert(pki.ca_cert.clone()).expect("the test CA"));
    roots
}

fn write_file(dir: &Path, name: &str, data: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}

// ---------------------------------------------------------------------------------
// s_client resuming with a ferrotls server

#[test]
fn openssl_client_resumes_with_ferrotls_server() {
    let pki = TestPki::new("resume-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let sess = pki.dir.path().join("sess.pem");
    for early in [false, true] {
        let mut builder = leaf
            .server_config()
            .session_cache(Arc::new(InMemorySessionCache::new(64)));
        if early {
            builder = builder.max_early_data(1024);
        }
        let config = built("server", builder.build()).unwrap();
        let server = SeqServer::start(vec![config.clone(), config]);
        let outcome = (|| -> Result<(), String> {
            let out1 = s_client_line(&pki, server.port, &os_args(&[&"-sess_out", &sess]), "first")?;
            let seen1 = server.next()?;
            check_contains("first s_client", &out1, "New, TLSv1.3")?;
            check_eq("first server error", seen1.error, None)?;
            check_eq("first resumed", seen1.negotiated.resumed, false)?;

            let out2 = s_client_line(&pki, server.port, &os_args(&[&"-sess_in", &sess]), "second")?;
            let seen2 = server.next()?;
            check_contains("second s_client", &out2, "Reused, TLSv1.3")?;
            check_eq("second server error", seen2.error, None)?;
            check_eq("second resumed", seen2.negotiated.resumed, true)?;
            check_eq("second echoed", seen2.normal, b"second\n".to_vec())?;
            Ok(())
        })();
        assert_ok(
            &format!("s_client -sess_out/-sess_in, 0-RTT server: {early}"),
            outcome,
        );
    }
}

#[test]
fn openssl_client_early_data_accepted_once() {
    let pki = TestPki::new("0rtt-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let sess = pki.dir.path().join("sess.pem");
    let early = b"GET /early HTTP/1.0\r\n\r\n";
    let early_file = write_file(pki.dir.path(), "early.txt", early);
    let config = built("server", leaf.server_config().max_early_data(1024).build()).unwrap();
    let server = SeqServer::start(vec![config.clone(), config.clone(), config]);
    let outcome = (|| -> Result<(), String> {
        s_client_line(&pki, server.port, &os_args(&[&"-sess_out", &sess]), "first")?;
        server.next()?;

        let args = os_args(&[&"-sess_in", &sess, &"-early_data", &early_file]);
        let out = s_client_line(&pki, server.port, &args, "second")?;
        let seen = server.next()?;
        check_contains("s_client", &out, "Reused, TLSv1.3")?;
        check_contains("s_client", &out, "Early data was accepted")?;
        check_eq("server error", seen.error, None)?;
        check_eq("server accepted", seen.early_accepted, true)?;
        check_eq("early data read", seen.early, early.to_vec())?;
        check_eq("normal data", seen.normal, b"second\n".to_vec())?;

        // The same session again: the single-use ticket is gone.
        let out = s_client_line(&pki, server.port, &args, "third")?;
        let seen = server.next()?;
        println!("replayed ticket: s_client said:\n{out}");
        check_contains(
            "s_client, same ticket again",
            &out,
            "Early data was rejected",
        )?;
        check_eq("server error", seen.error, None)?;
        check_eq("server accepted the replay", seen.early_accepted, false)?;
        check_eq("early data read on the replay", seen.early, Vec::new())?;
        check_eq("resumed on the replay", seen.negotiated.resumed, false)?;
        Ok(())
    })();
    assert_ok("s_client -early_data, then the same ticket again", outcome);
}

#[test]
fn openssl_client_early_data_rejected_by_server_without_0rtt() {
    let pki = TestPki::new("0rtt-reject-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let sess = pki.dir.path().join("sess.pem");
    let early = b"EARLY-BYTES";
    let early_file = write_file(pki.dir.path(), "early.txt", early);
    // Both configurations share the session cache: the ticket resumes, 0-RTT is off.
    let cache = Arc::new(InMemorySessionCache::new(64));
    let with = built(
        "server",
        leaf.server_config()
            .session_cache(cache.clone())
            .max_early_data(1024)
            .build(),
    )
    .unwrap();
    let without = built("server", leaf.server_config().session_cache(cache).build()).unwrap();
    let server = SeqServer::start(vec![with, without]);
    let outcome = (|| -> Result<(), String> {
        s_client_line(&pki, server.port, &os_args(&[&"-sess_out", &sess]), "first")?;
        server.next()?;
        let args = os_args(&[&"-sess_in", &sess, &"-early_data", &early_file]);
        let out = s_client_line(&pki, server.port, &args, "second")?;
        let seen = server.next()?;
        println!("s_client:\n{out}\nserver: {seen:?}");
        check_contains("s_client", &out, "Early data was rejected")?;
        check_contains("s_client", &out, "Reused, TLSv1.3")?;
        check_eq("server error", seen.error, None)?;
        check_eq("server accepted", seen.early_accepted, false)?;
        check_eq("early data read", seen.early, Vec::new())?;
        check_eq("resumed", seen.negotiated.resumed, true)?;
        // s_client does not re-send rejected early data; what arrives is its line.
        check_eq("normal data", seen.normal, b"second\n".to_vec())?;
        Ok(())
    })();
    assert_ok("s_client -early_data to a server without 0-RTT", outcome);
}

// ---------------------------------------------------------------------------------
// ferrotls client resuming with s_server

#[test]
fn ferrotls_client_zero_rtt_to_openssl_server() {
    let pki = TestPki::new("0rtt-s_server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let config = built("client", leaf.client_config().early_data(true).build()).unwrap();
    let early = b"early hello from ferrotls";
    let mut server = s_server(&leaf, 2, &os_args(&[&"-early_data"]));
    let outcome = server.supervise(|s| {
        let port = s.wait_for_stdout("s_server's ACCEPT line", accept_port)?;
        // First connection: full handshake; wait for the tickets.
        let mut tls = ferrotls_client(config.clone(), port, "localhost")?;
        pump_until(&mut tls, TIMEOUT, |c| c.negotiated().tickets_received > 0)?;
        check_eq("first resumed", tls.conn.negotiated().resumed, false)?;
        close_both_ways(&mut tls)?;

        // Second: resumed, with 0-RTT.
        let (mut tls, taken) = connect_with_early_data(config.clone(), port, early)?;
        check_eq("early bytes taken", taken, early.len())?;
        check_eq("resumed", tls.conn.negotiated().resumed, true)?;
        check_eq(
            "early data status",
            tls.conn.early_data_status().clone(),
            ClientEarlyData::Accepted,
        )?;
        tls.write_all(b"\nafter the handshake\n")
            .and_then(|()| tls.flush())
            .map_err(|e| format!("writing: {e}"))?;
        s.wait_for_stdout_text("after the handshake")?;
        close_both_ways(&mut tls)?;
        Ok(())
    });
    let stdout = server.stdout();
    let outcome = outcome.and_then(|()| {
        // s_server writes the data itself unbuffered and its messages through a
        // buffer, so the two interleave unpredictably: check each on its own.
        check_contains("s_server's output", &stdout, "Early data received:")?;
        check(!stdout.contains("Early data was rejected"), || {
            format!("s_server rejected the early data:\n{stdout}")
        })?;
        check_contains("s_server's output", &stdout, "End of early data")?;
        check_eq(
            "times s_server printed the early data",
            stdout.matches(std::str::from_utf8(early).unwrap()).count(),
            1,
        )
    });
    assert_ok(
        "ferrotls client 0-RTT -> openssl s_server -early_data",
        outcome,
    );
}

#[test]
fn ferrotls_client_zero_rtt_rejected_by_another_openssl_server() {
    // A ticket from one s_server, offered to another (its own ticket keys): no
    // resumption, 0-RTT rejected, and the data is sent again after the handshake.
    let pki = TestPki::new("0rtt-reject-s_server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let config = built("client", leaf.client_config().early_data(true).build()).unwrap();
    let early = b"early bytes for nobody";
    let mut first = s_server(&leaf, 1, &os_args(&[&"-early_data"]));
    let primed = first.supervise(|s| {
        let port = s.wait_for_stdout("s_server's ACCEPT line", accept_port)?;
        let mut tls = ferrotls_client(config.clone(), port, "localhost")?;
        pump_until(&mut tls, TIMEOUT, |c| c.negotiated().tickets_received > 0)?;
        close_both_ways(&mut tls)
    });
    assert_ok("the first s_server", primed);
    let mut second = s_server(&leaf, 1, &os_args(&[&"-early_data"]));
    let outcome = second.supervise(|s| {
        let port = s.wait_for_stdout("s_server's ACCEPT line", accept_port)?;
        let (mut tls, taken) = connect_with_early_data(config.clone(), port, early)?;
        check_eq("early bytes taken", taken, early.len())?;
        check_eq("resumed", tls.conn.negotiated().resumed, false)?;
        check_eq(
            "early data status",
            tls.conn.early_data_status().clone(),
            ClientEarlyData::Rejected,
        )?;
        tls.write_all(b"|then normal\n")
            .and_then(|()| tls.flush())
            .map_err(|e| format!("writing: {e}"))?;
        s.wait_for_stdout_text("|then normal")?;
        close_both_ways(&mut tls)
    });
    let stdout = second.stdout();
    let outcome = outcome.and_then(|()| {
        check(!stdout.contains("Early data received"), || {
            format!("s_server accepted early data:\n{stdout}")
        })?;
        check_contains(
            "s_server's output (the re-sent data, then the rest)",
            &stdout,
            &format!("{}|then normal", String::from_utf8_lossy(early)),
        )?;
        check_eq(
            "times the early bytes arrived",
            stdout.matches(std::str::from_utf8(early).unwrap()).count(),
            1,
        )
    });
    assert_ok("ferrotls client 0-RTT -> another s_server", outcome);
}

// ---------------------------------------------------------------------------------
// Client certificates

#[test]
fn ferrotls_client_certificate_to_openssl_server() {
    let pki = TestPki::new("mtls-s_server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let me = pki.client_leaf(KeyKind::EcdsaP256, "client.example");
    let config = built(
        "client",
        leaf.client_config()
            .client_cert(me.chain(), &me.key())
            .and_then(|b| b.build()),
    )
    .unwrap();
    let mut server = s_server(
        &leaf,
        1,
        &os_args(&[&"-rev", &"-Verify", &"1", &"-CAfile", &pki.ca_file]),
    );
    let outcome = server.supervise(|s| {
        let port = s.wait_for_stdout("s_server's ACCEPT line", accept_port)?;
        let mut tls = ferrotls_client(config, port, "localhost")?;
        let answer = exchange_line(&mut tls, "hello mtls")?;
        check_eq("s_server's answer", answer, "sltm olleh".to_string())?;
        check_eq("client_auth", tls.conn.negotiated().client_auth, true)?;
        close_both_ways(&mut tls)
    });
    let all = server.stdout() + &server.stderr();
    let outcome = outcome.and_then(|()| {
        println!("s_server:\n{all}");
        check_contains("s_server's output", &all, "client.example")
    });
    assert_ok("ferrotls client certificate -> s_server -Verify 1", outcome);

    // Without a certificate, s_server -Verify refuses.
    let config = built("client", leaf.client_config().build()).unwrap();
    let mut server = s_server(
        &leaf,
        1,
        &os_args(&[&"-rev", &"-Verify", &"1", &"-CAfile", &pki.ca_file]),
    );
    let port = assert_ok(
        "s_server",
        server.wait_for_stdout("s_server's ACCEPT line", accept_port),
    );
    let outcome = ferrotls_client(config, port, "localhost")
        .and_then(|mut tls| exchange_line(&mut tls, "no certificate").map(|_| ()));
    let e = outcome.expect_err("s_server -Verify accepted a client without a certificate");
    println!("without a certificate: {e}");
    assert!(
        e.contains("certificate_required") || e.contains("certificate required"),
        "{e}"
    );
}

#[test]
fn openssl_client_certificate_to_ferrotls_server() {
    let pki = TestPki::new("mtls-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let me = pki.client_leaf(KeyKind::EcdsaP256, "client.example");
    let verifier: Arc<dyn ClientCertVerifier> =
        Arc::new(ClientAuthVerifier::new(Verifier::new(trust(&pki))));
    let config = built("server", leaf.server_config().client_auth(verifier).build()).unwrap();
    let server = SeqServer::start(vec![config.clone(), config]);
    let outcome = (|| -> Result<(), String> {
        let args = os_args(&[&"-cert", &me.cert_file, &"-key", &me.key_file]);
        s_client_line(&pki, server.port, &args, "with a certificate")?;
        let seen = server.next()?;
        check_eq("server error", seen.error, None)?;
        check_eq("client_auth", seen.negotiated.client_auth, true)?;
        // s_client sends the chain it builds from -CAfile: leaf first.
        check_eq(
            "client certificate",
            seen.peer_certificates.first(),
            Some(&me.cert),
        )?;

        // Without one: certificate_required.
        // (stdin stays open so s_client reads the server's alert before it exits.)
        let mut client = s_client(&pki, server.port, &[]);
        let _ = client.write_stdin(b"no certificate\n");
        let alerted = client.wait_for_stderr_text("certificate required");
        client.close_stdin();
        let _ = client.wait_exit();
        let seen = server.next()?;
        alerted.map_err(|e| format!("{e}\n{}", client.report()))?;
        let err = seen.error.unwrap_or_default();
        check_contains(
            "server error",
            &err,
            "peer sent no certificate, but one is required",
        )?;
        let out = client.stdout() + &client.stderr();
        check_contains("s_client's output", &out, "certificate required")?;
        Ok(())
    })();
    assert_ok(
        "s_client -cert -> ferrotls server with client_auth",
        outcome,
    );
}

// ---------------------------------------------------------------------------------
// OCSP stapling

#[test]
fn openssl_client_status_with_ferrotls_server() {
    let pki = TestPki::new("ocsp-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let staple = pki.ocsp_response(&leaf, false);
    let config = built(
        "server",
        ServerConfig::builder()
            .cert_with_ocsp(leaf.chain(), &leaf.key(), staple)
            .and_then(|b| b.build()),
    )
    .unwrap();
    let server = SeqServer::start(vec![config.clone(), config]);
    let outcome = (|| -> Result<(), String> {
        let out = s_client_line(&pki, server.port, &os_args(&[&"-status"]), "with -status")?;
        server.next()?;
        check_contains("s_client -status", &out, "OCSP Response Status: successful")?;
        check_contains("s_client -status", &out, "Cert Status: good")?;
        // Asked for nothing: no staple.
        let out = s_client_line(&pki, server.port, &[], "without -status")?;
        server.next()?;
        check(!out.contains("OCSP Response Status"), || {
            format!("a staple was sent unasked:\n{out}")
        })?;
        Ok(())
    })();
    assert_ok("openssl s_client -status -> ferrotls server", outcome);
}

#[test]
fn ferrotls_client_gets_staple_from_openssl_server() {
    let pki = TestPki::new("ocsp-s_server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let mut failures = Vec::new();
    for revoked in [false, true] {
        let staple = pki.ocsp_response(&leaf, revoked);
        let file = write_file(pki.dir.path(), &format!("resp-{revoked}.der"), &staple);
        let recorder = Arc::new(StapleRecorder {
            inner: Verifier::new(trust(&pki)),
            staples: Mutex::new(Vec::new()),
        });
        let config = built("client", ClientConfig::builder(recorder.clone()).build()).unwrap();
        let mut server = s_server(&leaf, 1, &os_args(&[&"-rev", &"-status_file", &file]));
        let port = assert_ok(
            "s_server",
            server.wait_for_stdout("s_server's ACCEPT line", accept_port),
        );
        let result = ferrotls_client(config, port, "localhost").and_then(|mut tls| {
            let answer = exchange_line(&mut tls, "stapled")?;
            check_eq("answer", answer, "delpats".to_string())?;
            close_both_ways(&mut tls)
        });
        let staples = recorder.staples.lock().unwrap().clone();
        let outcome = check_eq("staples the verifier got", staples, vec![staple.clone()]).and_then(
            |()| match (revoked, &result) {
                (false, Ok(())) => Ok(()),
                (true, Err(e)) if e.contains("revoked") => Ok(()),
                _ => Err(format!("revoked {revoked}: {result:?}")),
            },
        );
        if let Err(e) = outcome {
            failures.push(format!("revoked={revoked}: {e}\n{}", server.report()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
