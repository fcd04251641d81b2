//! Many TLS connections at once on one runtime, over real TCP on 127.0.0.1.

mod common;

use std::net::SocketAddr;

use common::{checksum, localhost, payload, TestCert, STEP};
use ferrotls_tokio::{TlsAcceptor, TlsConnector};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::timeout;

const CONNECTIONS: usize = 200;
const PAYLOAD: usize = 32 * 1024;

/// Echoes each connection's data back once the client has closed its direction.
async fn echo_server(listener: TcpListener, acceptor: TlsAcceptor) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let mut tls = acceptor.accept(tcp).await.expect("accept");
            let mut got = Vec::new();
            tls.read_to_end(&mut got).await.expect("server read_to_end");
            tls.write_all(&got).await.expect("echo");
            tls.shutdown().await.expect("server shutdown");
        });
    }
}

/// Sends a payload made from `id`, reads the echo, and checks it.
async fn echo_client(connector: TlsConnector, addr: SocketAddr, id: u64) -> Result<(), String> {
    let sent = payload(id, PAYLOAD);
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connection {id}: connect: {e}"))?;
    let mut tls = connector
        .connect(localhost(), tcp)
        .await
        .map_err(|e| format!("connection {id}: handshake: {e}"))?;
    tls.write_all(&sent)
        .await
        .map_err(|e| format!("connection {id}: write: {e}"))?;
    tls.shutdown()
        .await
        .map_err(|e| format!("connection {id}: shutdown: {e}"))?;
    let mut got = Vec::new();
    tls.read_to_end(&mut got)
        .await
        .map_err(|e| format!("connection {id}: read: {e}"))?;
    if checksum(&got) != checksum(&sent) || got.len() != sent.len() {
        return Err(format!(
            "connection {id}: {} bytes came back, {} sent, checksums differ",
            got.len(),
            sent.len()
        ));
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_connections_echo_intact() {
    let cert = TestCert::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let server = tokio::spawn(echo_server(listener, cert.acceptor()));

    let mut clients = JoinSet::new();
    for id in 0..CONNECTIONS as u64 {
        clients.spawn(echo_client(cert.connector(), addr, id));
    }
    let results = timeout(STEP, clients.join_all())
        .await
        .expect("clients timed out");
    server.abort();
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
