//! What a peer chose is printed escaped: no terminal escape sequence (ESC, BEL, a
//! line break) from the network reaches the CLI's screen or log. The peers here
//! send ESC sequences where the protocol lets them: ALPN names, HTTP request lines
//! and certificate subject names (a server_name cannot carry them: the library
//! refuses such a name, RFC 6066, 3).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use ferrotls::client::{ClientConfig, ClientConnection};
use ferrotls::server::{ServerConfig, ServerConnection};
use ferrotls::stream::{complete_handshake, StreamOwned};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

use crate::util::{ferrotls, tmpdir, Server};

/// What a hostile peer puts in a name: clear the screen, set the window title, ring.
const EVIL: &str = "x\x1b[2J\x1b]0;owned\x07y";
/// The same, as the CLI must print it.
const SHOWN: &str = "x\\x1b[2J\\x1b]0;owned\\x07y";

/// Fails if any line holds a control character (other than tab).
fn assert_no_controls(what: &str, lines: &[String]) {
    for l in lines {
        assert!(
            !l.chars().any(|c| c.is_control() && c != '\t'),
            "{what} printed a control character: {l:?}"
        );
    }
}

/// A ferrotls client trusting the dev CA, offering `alpn`, connected over TCP.
fn client(
    dir: &std::path::Path,
    port: u16,
    alpn: &[u8],
) -> StreamOwned<ClientConnection, TcpStream> {
    let ca = ferrotls::pem::load_certs(dir.join("dev/ferrotls-ca.pem")).unwrap();
    let config = ClientConfig::with_root_certificates(ca)
        .unwrap()
        .alpn(vec![alpn.to_vec()])
        .build()
        .unwrap();
    let conn = ClientConnection::new(config, ServerName::try_from("localhost").unwrap()).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    StreamOwned::new(conn, tcp)
}

#[test]
fn the_server_log_escapes_alpn_offers_and_request_lines() {
    let d = tmpdir("escape-server");
    let server = Server::start(&d, &["--dev", "--www"]);

    // An ALPN offer the server does not share: the error names what was offered.
    let mut tls = client(&d, server.port, EVIL.as_bytes());
    let refused = complete_handshake(&mut tls.conn, &mut tls.sock);
    assert!(refused.is_err(), "the server must refuse the ALPN offer");
    let alpn_line = server.wait_for(1, |l| {
        l.contains("no application protocol (ALPN) in common")
    });
    assert!(alpn_line[0].contains(SHOWN), "{alpn_line:?}");

    // A request line with escape sequences in its target.
    let mut tls = client(&d, server.port, b"http/1.1");
    let request = format!("GET /{EVIL} HTTP/1.1\r\nHost: localhost\r\n\r\n");
    tls.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer);
    let request_line = server.wait_for(1, |l| l.contains("GET /x"));
    assert!(
        request_line[0].contains(&format!("GET /{SHOWN}")),
        "{request_line:?}"
    );

    assert_no_controls("ferrotls server", &server.log());
}

/// A certificate for localhost whose subject CN and organization are `EVIL`.
fn evil_certificate() -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, EVIL);
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, EVIL);
    let cert = params.self_signed(&key).unwrap();
    (
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
}

#[test]
fn the_client_escapes_certificate_names() {
    let d = tmpdir("escape-client");
    let (chain, key) = evil_certificate();
    let config: Arc<ServerConfig> = ServerConfig::builder()
        .cert(chain, &key)
        .unwrap()
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serving = std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut conn = ServerConnection::new(config).unwrap();
        // The client refuses the self-signed certificate: an error here.
        let _ = complete_handshake(&mut conn, &mut tcp);
    });
    let run = ferrotls(
        &d,
        &[
            "client",
            &format!("localhost:{port}"),
            "--trace",
            "--no-pipe",
        ],
    );
    serving.join().unwrap();
    assert_ne!(run.code, 0, "the self-signed certificate must be refused");
    let lines: Vec<String> = run.stderr.lines().map(String::from).collect();
    assert_no_controls("ferrotls client", &lines);
    assert!(
        run.stderr.contains(&format!("CN={SHOWN}")),
        "the subject is shown escaped:\n{}",
        run.stderr
    );
}

/// `verify` on that certificate (saved from a server, say) and `diagnose`'s text
/// report on a server that sends it: the names appear escaped.
#[test]
fn verify_and_diagnose_escape_certificate_names() {
    let d = tmpdir("escape-verify");
    let (chain, key) = evil_certificate();
    std::fs::write(
        d.join("evil.pem"),
        ferrotls::pem::encode("CERTIFICATE", chain[0].as_ref()),
    )
    .unwrap();
    let run = ferrotls(&d, &["verify", "evil.pem", "--host", "localhost"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let lines: Vec<String> = run.stdout.lines().map(String::from).collect();
    assert_no_controls("ferrotls verify", &lines);
    assert!(
        run.stdout
            .contains(&format!("  0: O={SHOWN}, CN={SHOWN} (end entity)\n")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "FAILED: certificate for localhost is self-signed and is not in the trust store."
        ),
        "{}",
        run.stdout
    );

    // Without a SAN, the errors name the certificate by its subject.
    let _ = (chain, key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, EVIL);
    let cert = params.self_signed(&key).unwrap();
    let config: Arc<ServerConfig> = ServerConfig::builder()
        .cert(
            vec![cert.der().clone()],
            &PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap()
        .build()
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { return };
            let config = config.clone();
            std::thread::spawn(move || {
                tcp.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut conn = ServerConnection::new(config).unwrap();
                let _ = complete_handshake(&mut conn, &mut tcp);
            });
        }
    });
    let run = ferrotls(
        &d,
        &[
            "diagnose",
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
            "--timeout",
            "10",
        ],
    );
    let lines: Vec<String> = run.stdout.lines().map(String::from).collect();
    assert_no_controls("ferrotls diagnose", &lines);
    assert!(
        run.stdout.contains(&format!(
            "      certificate for CN={SHOWN} is self-signed and is not in the trust store."
        )),
        "{}",
        run.stdout
    );
}
