//! Bulk data both ways over transports that split everything: tiny `tokio::io::duplex`
//! pipes and a transport that returns spurious `Pending`s; and proof that a stalled
//! peer makes the stream wait rather than spin.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use common::{checksum, localhost, payload, Choppy, Counted, PollCounts, Rng, TestCert, STEP};
use tokio::io::{split, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

const MIB: usize = 1 << 20;

/// Writes `data` in chunks of 1..=`max_write` bytes, then shuts down (close_notify).
async fn send_all(mut w: impl AsyncWrite + Unpin, data: &[u8], seed: u64, max_write: usize) {
    let mut rng = Rng::new(seed);
    let mut rest = data;
    while !rest.is_empty() {
        let len = rng.range(1, max_write).min(rest.len());
        let n = w.write(&rest[..len]).await.expect("write");
        assert!(n > 0, "a write accepted nothing");
        rest = &rest[n..];
    }
    w.shutdown().await.expect("shutdown");
}

/// Reads until close_notify into buffers of 1..=`max_read` bytes.
async fn receive_all(mut r: impl AsyncRead + Unpin, seed: u64, max_read: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut got = Vec::new();
    let mut buf = vec![0u8; max_read];
    loop {
        let len = rng.range(1, max_read);
        let n = r.read(&mut buf[..len]).await.expect("read");
        if n == 0 {
            return got;
        }
        got.extend_from_slice(&buf[..n]);
    }
}

/// Runs a handshake over the two transports, then sends `len` bytes each way at
/// once and checks both arrive intact.
async fn exchange<C, S>(client_io: C, server_io: S, len: usize, max_io: usize)
where
    C: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let cert = TestCert::new();
    let (acceptor, connector) = (cert.acceptor(), cert.connector());
    let to_server = payload(1, len);
    let to_client = payload(2, len);
    let (want_at_server, want_at_client) = (checksum(&to_server), checksum(&to_client));

    let server = tokio::spawn(async move {
        let tls = acceptor.accept(server_io).await.expect("accept");
        let (r, w) = split(tls);
        let (got, ()) = tokio::join!(
            receive_all(r, 3, max_io),
            send_all(w, &to_client, 4, max_io * 4)
        );
        got
    });
    let tls = connector
        .connect(localhost(), client_io)
        .await
        .expect("connect");
    let (r, w) = split(tls);
    let (got_at_client, ()) = tokio::join!(
        receive_all(r, 5, max_io),
        send_all(w, &to_server, 6, max_io * 4)
    );
    let got_at_server = server.await.expect("server task");

    assert_eq!(got_at_server.len(), len, "bytes at the server");
    assert_eq!(got_at_client.len(), len, "bytes at the client");
    assert_eq!(
        checksum(&got_at_server),
        want_at_server,
        "server's checksum"
    );
    assert_eq!(
        checksum(&got_at_client),
        want_at_client,
        "client's checksum"
    );
}

#[tokio::test]
async fn one_mib_each_way_over_tiny_duplex_pipes() {
    // A 1-byte pipe costs a task switch per byte: a quarter MiB keeps it quick.
    for (pipe, len) in [(1, MIB / 4), (7, MIB), (64, MIB)] {
        let (c, s) = tokio::io::duplex(pipe);
        timeout(STEP, exchange(c, s, len, 64))
            .await
            .unwrap_or_else(|_| panic!("a {pipe}-byte pipe timed out"));
    }
}

#[tokio::test]
async fn one_mib_each_way_with_spurious_pending_and_short_io() {
    let (c, s) = tokio::io::duplex(4096);
    let (c, s) = (Choppy::new(c, 11, 100), Choppy::new(s, 12, 100));
    timeout(STEP, exchange(c, s, MIB, 1000))
        .await
        .expect("timed out");
}

#[tokio::test]
async fn bulk_records_larger_than_the_pipe() {
    // Whole 64 KiB writes: every poll_write leaves records queued for the next one.
    let (c, s) = tokio::io::duplex(1000);
    timeout(STEP, exchange(c, s, 4 * MIB, 64 * 1024))
        .await
        .expect("timed out");
}

/// Counts transport polls while nothing can move; a stream that spins would add
/// thousands within the pause.
async fn polls_while_stalled(counts: &PollCounts) -> usize {
    tokio::time::sleep(Duration::from_millis(20)).await;
    let before = counts.total();
    tokio::time::sleep(Duration::from_millis(200)).await;
    counts.total() - before
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_peer_makes_reads_and_writes_wait_without_spinning() {
    let cert = TestCert::new();
    let (c, s) = tokio::io::duplex(1024);
    let counts = Arc::new(PollCounts::default());
    let client_io = Counted {
        inner: c,
        counts: counts.clone(),
    };
    let acceptor = cert.acceptor();
    let server = tokio::spawn(async move { acceptor.accept(s).await.expect("accept") });
    let mut client = cert
        .connector()
        .connect(localhost(), client_io)
        .await
        .expect("connect");
    let mut server = server.await.expect("server task");

    // The server reads nothing: the client's write of 1 MiB must park.
    let data = payload(7, MIB);
    let writer = tokio::spawn(async move {
        client.write_all(&data).await.expect("write_all");
        client.flush().await.expect("flush");
        client
    });
    assert_eq!(polls_while_stalled(&counts).await, 0, "polls while writing");

    // Drain it; the writer finishes.
    let mut got = vec![0u8; MIB];
    timeout(STEP, server.read_exact(&mut got))
        .await
        .expect("read timed out")
        .expect("read");
    assert_eq!(checksum(&got), checksum(&payload(7, MIB)));
    let mut client = timeout(STEP, writer)
        .await
        .expect("writer timed out")
        .expect("writer task");

    // The server sends nothing: the client's read must park.
    let reader = tokio::spawn(async move {
        let mut buf = [0u8; 16];
        let n = client.read(&mut buf).await.expect("read");
        buf[..n].to_vec()
    });
    assert_eq!(polls_while_stalled(&counts).await, 0, "polls while reading");
    server.write_all(b"wake up").await.expect("write");
    let got = timeout(STEP, reader)
        .await
        .expect("reader timed out")
        .expect("reader task");
    assert_eq!(got, b"wake up");
}

#[tokio::test]
async fn a_slow_reader_leaves_the_rest_in_the_transport() {
    let cert = TestCert::new();
    // The pipe holds everything the server sends, so only our own limit stops reads.
    let (c, s) = tokio::io::duplex(2 * MIB);
    let counts = Arc::new(PollCounts::default());
    let client_io = Counted {
        inner: c,
        counts: counts.clone(),
    };
    let acceptor = cert.acceptor();
    let server = tokio::spawn(async move { acceptor.accept(s).await.expect("accept") });
    let mut client = cert
        .connector()
        .connect(localhost(), client_io)
        .await
        .expect("connect");
    let mut server = server.await.expect("server task");
    let data = payload(9, MIB);
    server.write_all(&data).await.expect("write_all");
    server.flush().await.expect("flush");

    let before = counts.bytes_read.load(Ordering::SeqCst);
    let mut first = [0u8; 1];
    client.read_exact(&mut first).await.expect("read one byte");
    let taken = counts.bytes_read.load(Ordering::SeqCst) - before;
    // The server's session tickets come first, then the record with the first byte:
    // at most two reads of one chunk each, not the megabyte waiting in the pipe.
    assert!(
        taken <= 2 * ferrotls_tokio::stream::READ_CHUNK,
        "reading 1 byte took {taken} bytes from the transport"
    );

    let mut rest = vec![0u8; MIB - 1];
    client.read_exact(&mut rest).await.expect("read the rest");
    assert_eq!(first[0], data[0]);
    assert_eq!(checksum(&rest), checksum(&data[1..]));
}
