//! The `hyper_server` example's server, driven by curl and by the `client` example's
//! hyper client over `TlsConnector`, and held up against slowloris clients.

mod common;

#[allow(dead_code)] // the example's `main` and argument parsing are not used here
#[path = "../examples/hyper_server.rs"]
mod hyper_server;

#[allow(dead_code)] // the example's `main` is not used here
#[path = "../examples/client.rs"]
mod client;

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::{localhost, STEP};
use ferrotls::msgs::enums::ProtocolVersion;
use ferrotls::{ClientConfig, ServerConfig};
use ferrotls_tokio::{TlsAcceptor, TlsConnector};
use hyper_server::{DevCert, Limits};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// The example server on a free loopback port; aborted on drop.
struct Server {
    addr: SocketAddr,
    cert: DevCert,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    async fn start(limits: Limits) -> Server {
        let cert = hyper_server::dev_cert().expect("dev certificate");
        let config = ServerConfig::builder()
            .cert(cert.chain.clone(), &cert.key)
            .map(|b| b.alpn(vec![b"http/1.1".to_vec()]))
            .and_then(|b| b.build())
            .expect("server config");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(hyper_server::serve(
            listener,
            TlsAcceptor::from(config),
            limits,
        ));
        Server { addr, cert, task }
    }

    fn connector(&self) -> TlsConnector {
        let config = ClientConfig::pinned(self.cert.chain.clone())
            .map(|b| b.alpn(vec![b"http/1.1".to_vec()]))
            .and_then(|b| b.build())
            .expect("client config");
        TlsConnector::from(config)
    }

    /// GETs `path` with the example client; the response body as text.
    async fn fetch(&self, path: &str) -> String {
        let fetched = timeout(
            STEP,
            client::fetch(&self.connector(), &self.addr.to_string(), localhost(), path),
        )
        .await
        .expect("fetch timed out")
        .expect("fetch");
        assert_eq!(fetched.status, 200);
        assert_eq!(fetched.negotiated.version, Some(ProtocolVersion::TLSv1_3));
        String::from_utf8(fetched.body).expect("UTF-8 body")
    }
}

fn quiet(max_handshakes: usize, handshake_timeout: Duration) -> Limits {
    Limits {
        max_handshakes,
        handshake_timeout,
        log_errors: false,
        ..Limits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_fetches_a_page_over_tls13() {
    let server = Server::start(quiet(8, STEP)).await;
    let ca: PathBuf = std::env::temp_dir().join(format!(
        "ferrotls-tokio-test-{}-{}.pem",
        std::process::id(),
        server.addr.port()
    ));
    std::fs::write(&ca, &server.cert.pem).expect("write the certificate");
    let port = server.addr.port();
    let ca_arg = ca.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("curl")
            .args(["--silent", "--show-error", "--tlsv1.3", "--max-time", "10"])
            .arg("--cacert")
            .arg(&ca_arg)
            .args(["--resolve", &format!("localhost:{port}:127.0.0.1")])
            .arg(format!("https://localhost:{port}/from-curl"))
            .output()
    })
    .await
    .expect("curl task")
    .expect("curl runs (is it installed?)");
    let _ = std::fs::remove_file(&ca);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "curl failed: {}{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.starts_with("hello from ferrotls\npath: /from-curl\ntls: TLSv1.3 "),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_client_fetches_a_page_with_hyper() {
    let server = Server::start(quiet(8, STEP)).await;
    let body = server.fetch("/from-hyper").await;
    assert!(
        body.starts_with("hello from ferrotls\npath: /from-hyper\ntls: TLSv1.3 "),
        "{body}"
    );
}

/// A client that sends the first half of a real ClientHello and then stalls.
fn slowloris(addr: SocketAddr) -> std::net::TcpStream {
    let config = ClientConfig::pinned(vec![common::TestCert::new().leaf])
        .and_then(|b| b.build())
        .expect("client config");
    let hello = ferrotls::ClientConnection::new(config, localhost())
        .expect("client connection")
        .take_tls();
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    tcp.write_all(&hello[..hello.len() / 2])
        .expect("half a hello");
    tcp.set_nonblocking(true).expect("nonblocking");
    tcp
}

/// Whether the server has closed the connection (FIN or RST arrived).
fn closed(mut tcp: &std::net::TcpStream) -> bool {
    match tcp.read(&mut [0u8; 64]) {
        Ok(0) => true,
        Ok(n) => panic!("the server answered half a ClientHello with {n} bytes"),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
        Err(_) => true,
    }
}

async fn wait_closed(tcp: &std::net::TcpStream) {
    timeout(STEP, async {
        while !closed(tcp) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the server never dropped a stalled handshake");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_handshakes_time_out_while_other_clients_are_served() {
    const LIMIT: usize = 4;
    let server = Server::start(quiet(LIMIT, Duration::from_millis(1500))).await;

    // Stallers below the limit: other clients are served while they hang.
    let stallers: Vec<_> = (0..LIMIT - 1).map(|_| slowloris(server.addr)).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    for i in 0..2 {
        server.fetch(&format!("/while-stalled/{i}")).await;
    }
    for (i, s) in stallers.iter().enumerate() {
        assert!(!closed(s), "staller {i} was dropped too early");
    }
    for s in &stallers {
        wait_closed(s).await;
    }

    // Stallers filling every handshake slot: the timeout frees them for a real client.
    let stallers: Vec<_> = (0..LIMIT).map(|_| slowloris(server.addr)).collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    server.fetch("/after-the-stallers").await;
    // The real client got a slot, so a staller's timeout must have released it first.
    let released = stallers.iter().filter(|s| closed(s)).count();
    assert!(
        released >= 1,
        "served while every staller still held its slot"
    );
    for s in &stallers {
        wait_closed(s).await;
    }
}
