//! Handshakes that wait, driven by ferrotls-tokio: 1,000 concurrent TLS 1.3
//! handshakes against a server whose key lives in another process (a Python signing
//! service that takes 20 ms per signature), and 1,000 against a client whose
//! certificate verifier takes 20 ms, all on a 2-thread runtime. They finish in about
//! the time the latency allows, far below 1,000 x 20 ms: no thread blocks.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrotls::crypto::KeyKind;
use ferrotls::msgs::enums::{NamedGroup, ProtocolVersion};
use ferrotls::pause::{DeferredServerCertVerifier, ServerCertRequest, SignRequest};
use ferrotls::pki::{PinnedCertVerifier, ServerCertVerified};
use ferrotls::server::CertifiedKey;
use ferrotls::{ClientConfig, ServerConfig};
use ferrotls_tokio::pause::{
    AsyncHandlers, AsyncServerCertVerifier, AsyncSessionStore, AsyncSigner,
};
use ferrotls_tokio::{TlsAcceptor, TlsConnector};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use common::{localhost, TestCert, STEP};

/// How many handshakes run at once.
const HANDSHAKES: usize = 1000;
/// What each remote operation waits.
const LATENCY: Duration = Duration::from_millis(20);
/// Far below HANDSHAKES x LATENCY (20 s): what a blocked thread per wait would take
/// on two threads is 10 s at best.
const LIMIT: Duration = Duration::from_secs(10);

/// The signing service: a Python process holding the key, killed on drop.
struct SignerProcess {
    child: Child,
    addr: SocketAddr,
    _dir: TempKey,
}

impl Drop for SignerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The private key file the signer reads, removed on drop.
struct TempKey(std::path::PathBuf);

impl Drop for TempKey {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl SignerProcess {
    /// Starts the signer with `key_der` (PKCS#8). Fails, with how to fix it, if
    /// python3 or its `cryptography` package is missing: never skipped.
    fn start(key_der: &[u8]) -> SignerProcess {
        let path = std::env::temp_dir().join(format!(
            "ferrotls-remote-signer-{}-{:?}.der",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&path, key_der).expect("write the signer's key");
        let key = TempKey(path);
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/remote_signer.py"
        );
        let probe = Command::new("python3")
            .args(["-c", "import cryptography"])
            .output();
        match probe {
            Ok(out) if out.status.success() => {}
            Ok(_) => panic!(
                "python3's `cryptography` package is missing; the remote signer needs it. \
                 Install it (`python3 -m pip install cryptography`), or run scripts/test.sh, which does."
            ),
            Err(e) => panic!(
                "python3 cannot be started ({e}); the remote signer needs it. Install python3 \
                 and its `cryptography` package, or run scripts/test.sh."
            ),
        }
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&key.0)
            .arg("0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the remote signer");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the signer prints its port");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the signer printed {line:?}, not its port"));
        SignerProcess {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            _dir: key,
        }
    }
}

/// One request to the signing service; its answer's status and payload.
async fn ask(addr: SocketAddr, request: &[u8]) -> Result<(u8, Vec<u8>), String> {
    let mut sock = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("cannot reach the signing service at {addr}: {e}"))?;
    sock.write_all(request)
        .await
        .map_err(|e| format!("sending to the signing service failed: {e}"))?;
    let mut head = [0u8; 5];
    sock.read_exact(&mut head)
        .await
        .map_err(|e| format!("the signing service did not answer: {e}"))?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    let mut payload = vec![0u8; len];
    sock.read_exact(&mut payload)
        .await
        .map_err(|e| format!("the signing service's answer was cut short: {e}"))?;
    Ok((head[0], payload))
}

/// Signs through the service in the other process.
#[derive(Debug, Clone)]
struct RemoteSigner {
    addr: SocketAddr,
}

impl AsyncSigner for RemoteSigner {
    async fn sign(&self, request: SignRequest) -> Result<Vec<u8>, String> {
        let mut frame = vec![b'S'];
        frame.extend_from_slice(&request.scheme.to_wire().to_be_bytes());
        frame.extend_from_slice(&(request.message.len() as u32).to_be_bytes());
        frame.extend_from_slice(&request.message);
        match ask(self.addr, &frame).await? {
            (0, signature) => Ok(signature),
            (_, text) => Err(String::from_utf8_lossy(&text).into_owned()),
        }
    }
}

impl RemoteSigner {
    /// The service's counters: (requests, most held at once).
    async fn stats(&self) -> (usize, usize) {
        let (_, text) = ask(self.addr, b"Q").await.expect("signer stats");
        let text = String::from_utf8(text).expect("text");
        let field = |name: &str| -> usize {
            text.split_whitespace()
                .find_map(|f| f.strip_prefix(name))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in {text:?}"))
        };
        (field("requests="), field("max_in_flight="))
    }
}

/// A verifier that takes LATENCY, then pins the certificate; counts what it holds.
#[derive(Debug)]
struct SlowVerifier {
    pinned: PinnedCertVerifier,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    calls: Arc<AtomicUsize>,
}

impl AsyncServerCertVerifier for SlowVerifier {
    async fn verify(
        &self,
        request: ServerCertRequest,
    ) -> Result<ServerCertVerified, ferrotls::Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(LATENCY).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        request.verify_with(&self.pinned)
    }
}

/// Accepts TLS connections on `listener` until the test ends; each answers one
/// byte with its successor.
fn serve(listener: TcpListener, acceptor: TlsAcceptor) {
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept_with_timeout(tcp, STEP * 3).await else {
                    return;
                };
                let mut b = [0u8; 1];
                if tls.read_exact(&mut b).await.is_ok() {
                    let _ = tls.write_all(&[b[0].wrapping_add(1)]).await;
                    let _ = tls.flush().await;
                }
            });
        }
    });
}

/// A listener with room for every handshake's connection at once.
fn listener() -> TcpListener {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind 127.0.0.1");
    socket.listen(4096).expect("listen")
}

/// Runs HANDSHAKES client handshakes at once against `addr`, each exchanging a byte.
/// Returns how long they all took.
async fn many_handshakes(addr: SocketAddr, connector: TlsConnector) -> Duration {
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(HANDSHAKES);
    for i in 0..HANDSHAKES {
        let connector = connector.clone();
        tasks.push(tokio::spawn(async move {
            let tcp = TcpStream::connect(addr).await.expect("connect");
            let mut tls = connector
                .connect_with_timeout(localhost(), tcp, STEP * 3)
                .await
                .unwrap_or_else(|e| panic!("handshake {i} failed: {e}"));
            assert_eq!(
                tls.get_ref().1.protocol_version(),
                Some(ProtocolVersion::TLSv1_3)
            );
            let byte = (i % 251) as u8;
            tls.write_all(&[byte]).await.expect("write");
            let mut back = [0u8; 1];
            tls.read_exact(&mut back).await.expect("read");
            assert_eq!(back[0], byte.wrapping_add(1));
        }));
    }
    for t in tasks {
        t.await.expect("handshake task");
    }
    start.elapsed()
}

fn fast_client(
    config: ferrotls::client::ClientConfigBuilder,
) -> ferrotls::client::ClientConfigBuilder {
    // X25519 alone: the test measures waiting, not ML-KEM in a debug build.
    config
        .versions(&[ProtocolVersion::TLSv1_3])
        .groups(&[NamedGroup::X25519])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_handshakes_wait_on_a_signer_in_another_process_without_blocking() {
    let cert = TestCert::new();
    let der = match &cert.key {
        ferrotls::pki_types::PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
        other => panic!("rcgen gave a {other:?} key"),
    };
    let signer_process = SignerProcess::start(&der);
    let signer = RemoteSigner {
        addr: signer_process.addr,
    };
    let remote = CertifiedKey::remote(vec![cert.leaf.clone()], KeyKind::EcdsaP256).unwrap();
    let config = ServerConfig::builder()
        .certified_key(remote)
        .tls13_tickets(0)
        .build()
        .expect("server config");
    let acceptor =
        TlsAcceptor::from(config).with_handlers(AsyncHandlers::new().signer(signer.clone()));
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    serve(listener, acceptor);

    let client = fast_client(ClientConfig::pinned(vec![cert.leaf.clone()]).unwrap())
        .build()
        .unwrap();
    let elapsed = many_handshakes(addr, TlsConnector::from(client)).await;
    let (requests, max_in_flight) = signer.stats().await;
    println!(
        "{HANDSHAKES} handshakes with a remote signer ({LATENCY:?} each): {elapsed:?}, \
         {requests} signatures, at most {max_in_flight} in flight at once"
    );
    assert_eq!(requests, HANDSHAKES, "one signature per handshake");
    assert!(
        max_in_flight > 100,
        "only {max_in_flight} signatures were in flight at once: handshakes block"
    );
    assert!(
        elapsed < LIMIT,
        "{HANDSHAKES} handshakes took {elapsed:?}: they wait one after another"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_clients_wait_on_a_slow_certificate_verifier_without_blocking() {
    let cert = TestCert::new();
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let config = ServerConfig::builder()
        .cert(vec![cert.leaf.clone()], &cert.key)
        .unwrap()
        .tls13_tickets(0)
        .build()
        .unwrap();
    serve(listener, TlsAcceptor::from(config));

    let verifier = SlowVerifier {
        pinned: PinnedCertVerifier::new(vec![cert.leaf.clone()]).unwrap(),
        in_flight: Arc::default(),
        max_in_flight: Arc::default(),
        calls: Arc::default(),
    };
    let (calls, max_in_flight) = (verifier.calls.clone(), verifier.max_in_flight.clone());
    let client = fast_client(ClientConfig::builder(Arc::new(DeferredServerCertVerifier)))
        .build()
        .unwrap();
    let connector =
        TlsConnector::from(client).with_handlers(AsyncHandlers::new().server_verifier(verifier));
    let elapsed = many_handshakes(addr, connector).await;
    let (calls, max_in_flight) = (
        calls.load(Ordering::SeqCst),
        max_in_flight.load(Ordering::SeqCst),
    );
    println!(
        "{HANDSHAKES} handshakes with a {LATENCY:?} verifier: {elapsed:?}, at most \
         {max_in_flight} verifications at once"
    );
    assert_eq!(calls, HANDSHAKES);
    assert!(
        max_in_flight > 100,
        "only {max_in_flight} at once: handshakes block"
    );
    assert!(elapsed < LIMIT, "{HANDSHAKES} handshakes took {elapsed:?}");
}

#[tokio::test]
async fn a_failing_signer_fails_the_handshake_with_internal_error() {
    #[derive(Debug)]
    struct Broken;
    impl AsyncSigner for Broken {
        async fn sign(&self, _: SignRequest) -> Result<Vec<u8>, String> {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Err("the HSM refused the request".into())
        }
    }
    let cert = TestCert::new();
    let remote = CertifiedKey::remote(vec![cert.leaf.clone()], KeyKind::EcdsaP256).unwrap();
    let config = ServerConfig::builder()
        .certified_key(remote)
        .build()
        .unwrap();
    let acceptor = TlsAcceptor::from(config).with_handlers(AsyncHandlers::new().signer(Broken));
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move { acceptor.accept(server_io).await.map(|_| ()) });
    let client = cert.connector().connect(localhost(), client_io).await;
    let server_err = server.await.unwrap().unwrap_err();
    assert_eq!(
        server_err.to_string(),
        "the signer holding the certificate's private key could not sign with ecdsa_secp256r1_sha256: the HSM refused the request"
    );
    let client_err = client.expect_err("the client fails too");
    assert_eq!(
        client_err
            .get_ref()
            .and_then(|e| e.downcast_ref::<ferrotls::Error>()),
        Some(&ferrotls::Error::AlertReceived(
            ferrotls::msgs::enums::AlertDescription::InternalError
        ))
    );
}

#[tokio::test]
async fn a_pause_without_a_handler_is_an_error_that_says_so() {
    let cert = TestCert::new();
    let remote = CertifiedKey::remote(vec![cert.leaf.clone()], KeyKind::EcdsaP256).unwrap();
    let config = ServerConfig::builder()
        .certified_key(remote)
        .build()
        .unwrap();
    let acceptor = TlsAcceptor::from(config);
    let (client_io, server_io) = tokio::io::duplex(64 * 1024);
    let server = tokio::spawn(async move { acceptor.accept(server_io).await.map(|_| ()) });
    let connector = cert.connector();
    let client =
        tokio::spawn(async move { connector.connect(localhost(), client_io).await.map(|_| ()) });
    let err = server.await.unwrap().unwrap_err();
    assert_eq!(
        err.to_string(),
        "the handshake waits for a signature, but no handler for it was given to the driver"
    );
    assert!(client.await.unwrap().is_err());
}

/// A session store that answers after a delay, from memory.
#[derive(Debug)]
struct SlowSessions(Arc<ferrotls::server::InMemorySessionCache>);

impl AsyncSessionStore for SlowSessions {
    async fn get(&self, id: Vec<u8>) -> Option<Arc<ferrotls::server::StoredSession>> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        use ferrotls::server::ServerSessionCache;
        self.0.get(&id)
    }
    async fn take(&self, id: Vec<u8>) -> Option<Arc<ferrotls::server::StoredSession>> {
        tokio::time::sleep(Duration::from_millis(5)).await;
        use ferrotls::server::ServerSessionCache;
        self.0.take(&id)
    }
}

/// Stores at once, looks up only through the pause API.
#[derive(Debug)]
struct PausingSessions(Arc<ferrotls::server::InMemorySessionCache>);

impl ferrotls::server::ServerSessionCache for PausingSessions {
    fn put(&self, id: Vec<u8>, session: Arc<ferrotls::server::StoredSession>) {
        self.0.put(id, session);
    }
    fn get(&self, _: &[u8]) -> Option<Arc<ferrotls::server::StoredSession>> {
        None
    }
    fn take(&self, _: &[u8]) -> Option<Arc<ferrotls::server::StoredSession>> {
        None
    }
    fn pauses(&self) -> bool {
        true
    }
}

#[tokio::test]
async fn tls12_sessions_resume_through_an_async_session_store() {
    let cert = TestCert::new();
    let memory = Arc::new(ferrotls::server::InMemorySessionCache::new(16));
    let config = ServerConfig::builder()
        .cert(vec![cert.leaf.clone()], &cert.key)
        .unwrap()
        .versions(&[ProtocolVersion::TLSv1_2])
        .session_tickets(false)
        .session_cache(Arc::new(PausingSessions(memory.clone())))
        .build()
        .unwrap();
    let acceptor = TlsAcceptor::from(config)
        .with_handlers(AsyncHandlers::new().session_store(SlowSessions(memory)));
    let client = ClientConfig::pinned(vec![cert.leaf.clone()])
        .unwrap()
        .versions(&[ProtocolVersion::TLSv1_2])
        .build()
        .unwrap();
    let connector = TlsConnector::from(client);
    let mut resumed = Vec::new();
    for _ in 0..2 {
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let a = acceptor.clone();
        let server = tokio::spawn(async move {
            let mut tls = a.accept(server_io).await.expect("accept");
            let mut b = [0u8; 1];
            tls.read_exact(&mut b).await.expect("read");
            tls.get_ref().1.negotiated().resumed
        });
        let mut tls = connector
            .connect(localhost(), client_io)
            .await
            .expect("connect");
        tls.write_all(b"x").await.unwrap();
        tls.flush().await.unwrap();
        resumed.push((tls.get_ref().1.negotiated().resumed, server.await.unwrap()));
    }
    assert_eq!(resumed, [(false, false), (true, true)]);
}
