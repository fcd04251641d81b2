//! The session store and anti-replay guard as a server's hooks ([`FleetHooks`]):
//! servers A, B and C, each with its own Redis links (as three processes would
//! have), share one real `redis-server`. Their handshakes pause for each lookup and
//! are answered by the async handlers, as ferrotls-tokio's acceptor answers them.
//!
//! - TLS 1.2 session IDs made on A resume on B and C, more than once.
//! - 0-RTT: one ClientHello with early data, sent to A and replayed to B and to A,
//!   gets its early data accepted exactly once; the replays complete as 1-RTT.
//! - Redis down: no resumption, no early data (fail closed), every handshake
//!   completes, one log line per component; back up, sharing resumes by itself.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrotls::client::{ClientConfig, ClientConnection, InMemorySessionStore};
use ferrotls::crypto::Provider;
use ferrotls::msgs::enums::ProtocolVersion;
use ferrotls::pki_types::ServerName;
use ferrotls::server::{ServerConfig, ServerConnection};
use ferrotls::Connection;
use ferrotls_redis::{
    FleetHooks, FleetKey, LinkConfig, MemoryLog, RedisReplayGuard, RedisSessionStore,
};
use ferrotls_tokio::pause::AsyncHandlers;

use support::{cert, Cert, RedisServer, SECRET};

/// One server: its configuration and the handlers its acceptor would hold.
struct Server {
    config: Arc<ServerConfig>,
    hooks: FleetHooks,
    handlers: AsyncHandlers,
}

/// A server with its own links to Redis; `early_data`: 0-RTT up to 1 KiB, whose
/// TLS 1.3 tickets are single-use entries of the shared store.
fn server(cert: &Cert, link: impl Fn() -> LinkConfig, early_data: bool) -> Server {
    let key = FleetKey::derive(&SECRET, "session store", Provider::system()).unwrap();
    let store = RedisSessionStore::new(link(), key).unwrap();
    let guard = RedisReplayGuard::new(link()).unwrap();
    let hooks = FleetHooks::new(
        Arc::new(store),
        Arc::new(guard),
        Duration::from_secs(3600),
        tokio::runtime::Handle::current(),
    );
    let mut b = ServerConfig::builder()
        .cert(vec![cert.leaf.clone()], &cert.key)
        .unwrap()
        .session_tickets(false);
    if early_data {
        b = b.max_early_data(1024);
    }
    let config = hooks.apply(b).build().unwrap();
    let handlers = hooks.handlers();
    Server {
        config,
        hooks,
        handlers,
    }
}

fn client(cert: &Cert, version: ProtocolVersion) -> Arc<ClientConfig> {
    ClientConfig::pinned(vec![cert.leaf.clone()])
        .unwrap()
        .versions(&[version])
        .early_data(true)
        .session_store(Arc::new(InMemorySessionStore::new(16)))
        .build()
        .unwrap()
}

/// Feeds `bytes` to `to`, answering every pause with `handlers` (as the acceptor
/// does); `Err` with the handshake's error.
async fn deliver(
    to: &mut Connection,
    mut bytes: &[u8],
    handlers: &AsyncHandlers,
) -> Result<(), ferrotls::Error> {
    loop {
        let taken = to.feed_tls(bytes);
        bytes = &bytes[taken..];
        to.process_new_packets()?;
        while let Some(op) = to.pending_operation().cloned() {
            let answer = handlers.answer(op).await.expect("a handler for each pause");
            to.complete(answer)?;
            to.process_new_packets()?;
        }
        if bytes.is_empty() {
            return Ok(());
        }
    }
}

/// What a connection came to, seen from the server.
#[derive(Debug)]
struct Outcome {
    resumed: bool,
    early_accepted: bool,
    /// The early data the server read.
    early: Vec<u8>,
    /// The client's first flight: ClientHello and any early data.
    first_flight: Vec<u8>,
}

/// A connection of `client` to `server` in memory, with `early` sent as 0-RTT if
/// the client has a ticket for it.
async fn connect(client: &Arc<ClientConfig>, server: &Server, early: &[u8]) -> Outcome {
    let name = ServerName::try_from("localhost").unwrap();
    let mut c = ClientConnection::new(client.clone(), name).unwrap();
    let mut s = ServerConnection::new(server.config.clone()).unwrap();
    if !early.is_empty() {
        let _ = c.write_early_data(early);
    }
    let first_flight = c.pending_tls().to_vec();
    let none = AsyncHandlers::new();
    for _ in 0..16 {
        let flight = c.take_tls();
        deliver(&mut s, &flight, &server.handlers)
            .await
            .expect("the server completes the handshake");
        let flight = s.take_tls();
        deliver(&mut c, &flight, &none)
            .await
            .expect("the client completes the handshake");
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            break;
        }
    }
    assert!(!c.is_handshaking() && !s.is_handshaking(), "handshake done");
    let mut read = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s.early_data(), &mut read);
    Outcome {
        resumed: s.negotiated().resumed,
        early_accepted: s.early_data_accepted(),
        early: read,
        first_flight,
    }
}

/// `first_flight` replayed to `server` by someone who has no keys: whether its early
/// data got in. The server answers with its flight (1-RTT) and waits for a Finished
/// that never comes.
async fn replay(first_flight: &[u8], server: &Server) -> bool {
    let mut s = ServerConnection::new(server.config.clone()).unwrap();
    deliver(&mut s, first_flight, &server.handlers)
        .await
        .expect("a replayed ClientHello is no error: it is answered as 1-RTT");
    assert!(s.is_handshaking(), "waiting for the client's Finished");
    assert!(!s.take_tls().is_empty(), "the server answered");
    let mut read = Vec::new();
    let _ = std::io::Read::read_to_end(&mut s.early_data(), &mut read);
    assert_eq!(read.is_empty(), !s.early_data_accepted());
    s.early_data_accepted()
}

/// Waits until `server` has stored `n` sessions in Redis (writes run in the
/// background).
async fn stored(server: &Server, n: u64) {
    let start = Instant::now();
    while server.hooks.sessions.stats().stored < n {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{n} sessions stored: {:?}",
            server.hooks.sessions.stats()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls12_session_ids_resume_on_every_server_of_the_fleet() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let cert = cert();
    let link = || redis.config(Duration::from_millis(500), &MemoryLog::new());
    let fleet = [
        server(&cert, link, false),
        server(&cert, link, false),
        server(&cert, link, false),
    ];
    let client = client(&cert, ProtocolVersion::TLSv1_2);
    assert!(!connect(&client, &fleet[0], b"").await.resumed, "full on A");
    stored(&fleet[0], 1).await;
    // A session ID can be resumed again and again (RFC 5246, 7.4.1.2), on any server.
    for (i, to) in [1, 2, 0, 1].into_iter().enumerate() {
        let o = connect(&client, &fleet[to], b"").await;
        assert!(o.resumed, "reconnection {i} to server {to}: {o:?}");
    }
    let hits: u64 = fleet.iter().map(|s| s.hooks.sessions.stats().hits).sum();
    assert_eq!(hits, 4);

    // Control: a server on another Redis does not know the session.
    let Some(other) = RedisServer::start() else {
        return;
    };
    let alone = server(
        &cert,
        || other.config(Duration::from_millis(500), &MemoryLog::new()),
        false,
    );
    assert!(!connect(&client, &alone, b"").await.resumed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn early_data_replayed_across_the_fleet_is_accepted_exactly_once() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let cert = cert();
    let link = || redis.config(Duration::from_millis(500), &MemoryLog::new());
    let (a, b) = (server(&cert, link, true), server(&cert, link, true));
    let client = client(&cert, ProtocolVersion::TLSv1_3);
    let full = connect(&client, &a, b"").await;
    assert!(!full.resumed && !full.early_accepted);
    stored(&a, 2).await; // two single-use tickets

    let first = connect(&client, &a, b"GET /once").await;
    assert!(first.resumed && first.early_accepted, "{first:?}");
    assert_eq!(first.early, b"GET /once");
    // The same bytes, to B and back to A: the ticket was taken, and the ClientHello
    // recorded, fleet-wide.
    assert!(!replay(&first.first_flight, &b).await, "replayed to B");
    assert!(!replay(&first.first_flight, &a).await, "replayed to A");

    // A ticket A issued is good for 0-RTT on B (once)...
    let second = connect(&client, &b, b"GET /twice").await;
    assert!(second.resumed && second.early_accepted, "{second:?}");
    // ...and its ClientHello digest is in Redis for the freshness window.
    let mut raw = redis.raw();
    let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*replay*").query(&mut raw).unwrap();
    assert_eq!(
        keys.len(),
        2,
        "one record per accepted-or-refused 0-RTT ClientHello"
    );
    for k in &keys {
        let ttl = redis.pttl(k);
        assert!(0 < ttl && ttl <= 20_000, "window 20 s: {ttl}");
    }
    // The sealed sessions hold no secret in the clear.
    let sessions: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*session*").query(&mut raw).unwrap();
    assert!(!sessions.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_refuses_early_data_completes_handshakes_and_recovers() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let cert = cert();
    let log = MemoryLog::new();
    let deadline = Duration::from_millis(100);
    let link = || redis.config(deadline, &log);
    let a = server(&cert, link, true);
    let client = client(&cert, ProtocolVersion::TLSv1_3);
    connect(&client, &a, b"").await;
    stored(&a, 2).await;

    redis.stop();
    for i in 0..5 {
        let start = Instant::now();
        let o = connect(&client, &a, b"GET /").await;
        let took = start.elapsed();
        assert!(!o.resumed && !o.early_accepted, "{i}: fail closed: {o:?}");
        assert!(
            took < 4 * deadline + Duration::from_millis(500),
            "{i}: {took:?}"
        );
    }
    let lines = log.lines();
    assert!(
        (1..=2).contains(&lines.len()),
        "one line per component, not per connection: {lines:?}"
    );
    assert!(lines.iter().all(|l| l.contains(" is down (")), "{lines:?}");

    redis.restart();
    let start = Instant::now();
    loop {
        // A full handshake stores tickets again; the next connection resumes with 0-RTT.
        let o = connect(&client, &a, b"GET /again").await;
        if o.early_accepted {
            assert_eq!(o.early, b"GET /again");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "sharing resumes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(log.lines().len() >= 3, "{:?}", log.lines());
}
