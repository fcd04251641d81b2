//! How a stream ends: close_notify is a clean `Ok(0)`, a bare TCP close is
//! `UnexpectedEof` (a possible truncation), and shutdown closes only our direction.

mod common;

use std::io;

use common::{localhost, TestCert, STEP};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::time::timeout;

type Client = ferrotls_tokio::client::TlsStream<DuplexStream>;
type Server = ferrotls_tokio::server::TlsStream<DuplexStream>;

/// A connected client and server over a small in-memory pipe.
async fn pair() -> (Client, Server) {
    let cert = TestCert::new();
    // Room for the server's session tickets and a closing flight while the other side is
    // not reading (a real socket buffer holds far more).
    let (c, s) = tokio::io::duplex(4096);
    let acceptor = cert.acceptor();
    let server = tokio::spawn(async move { acceptor.accept(s).await.expect("accept") });
    let client = cert
        .connector()
        .connect(localhost(), c)
        .await
        .expect("connect");
    (client, server.await.expect("server task"))
}

#[tokio::test]
async fn close_notify_reads_as_end_of_stream_and_the_other_direction_stays_open() {
    let (mut client, mut server) = pair().await;
    client.write_all(b"request").await.expect("write");
    client.shutdown().await.expect("shutdown");

    let mut got = Vec::new();
    timeout(STEP, server.read_to_end(&mut got))
        .await
        .expect("timed out")
        .expect("read_to_end after close_notify");
    assert_eq!(got, b"request");
    let conn = server.get_ref().1;
    assert!(
        !conn.wants_read() && conn.error().is_none(),
        "closed cleanly"
    );
    assert_eq!(server.read(&mut [0u8; 8]).await.expect("read again"), 0);

    // Half-closed: the server still answers, then closes too.
    server
        .write_all(b"response")
        .await
        .expect("write after peer's close");
    server.shutdown().await.expect("server shutdown");
    let mut got = Vec::new();
    timeout(STEP, client.read_to_end(&mut got))
        .await
        .expect("timed out")
        .expect("client read_to_end");
    assert_eq!(got, b"response");
}

#[tokio::test]
async fn writing_after_shutdown_is_broken_pipe() {
    let (mut client, _server) = pair().await;
    client.shutdown().await.expect("shutdown");
    let err = client
        .write_all(b"late")
        .await
        .expect_err("write after close");
    assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
    assert_eq!(
        err.to_string(),
        "the connection was closed with close_notify; nothing more can be sent"
    );
    // Shutting down twice is harmless.
    client.shutdown().await.expect("second shutdown");
}

#[tokio::test]
async fn tcp_close_without_close_notify_is_unexpected_eof_after_the_data() {
    let (mut client, mut server) = pair().await;
    server.write_all(b"partial").await.expect("write");
    server.flush().await.expect("flush");
    let (transport, _conn) = server.into_inner();
    drop(transport);

    let mut buf = [0u8; 7];
    client
        .read_exact(&mut buf)
        .await
        .expect("data before the close");
    assert_eq!(&buf, b"partial");
    let err = client.read(&mut buf).await.expect_err("truncation");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(
        err.to_string(),
        "the peer closed the TCP connection without sending close_notify; the data may be truncated"
    );
    // It stays an error: no later read mistakes it for a clean end.
    let again = client.read(&mut buf).await.expect_err("still truncated");
    assert_eq!(again.kind(), io::ErrorKind::UnexpectedEof);
}

#[tokio::test]
async fn tcp_close_during_the_handshake_is_unexpected_eof() {
    let cert = TestCert::new();
    let (c, s) = tokio::io::duplex(4096);
    drop(s);
    let err = cert
        .connector()
        .connect(localhost(), c)
        .await
        .expect_err("no server");
    // Writing the ClientHello into a closed pipe may fail first.
    assert!(
        matches!(
            err.kind(),
            io::ErrorKind::UnexpectedEof | io::ErrorKind::BrokenPipe
        ),
        "{err:?}"
    );

    let (c, s) = tokio::io::duplex(4096);
    let acceptor = cert.acceptor();
    let server = tokio::spawn(async move { acceptor.accept(s).await });
    drop(c);
    let err = server
        .await
        .expect("server task")
        .expect_err("client went away");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(
        err.to_string(),
        "the peer closed the TCP connection during the TLS handshake, while waiting for the ClientHello"
    );
}
