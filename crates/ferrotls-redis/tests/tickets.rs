//! Tickets sealed by one server are opened by another: two `ServerConfig`s (servers
//! A and B, each with its own Redis link and key cache, as two processes would have)
//! share ticket keys through a real `redis-server`, and a client that got a ticket
//! from A resumes on B, over TLS 1.3 and TLS 1.2. Servers with their own random keys
//! (today's default) do not; a server whose Redis is down makes no ticket and still
//! completes every handshake, and starts issuing shared tickets once Redis answers.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrotls::client::{ClientConfig, ClientConnection, InMemorySessionStore};
use ferrotls::crypto::Provider;
use ferrotls::msgs::enums::ProtocolVersion;
use ferrotls::pki_types::ServerName;
use ferrotls::server::{
    ServerConfig, ServerConnection, ServerSessionCache, StoredSession, Ticketer,
};
use ferrotls_redis::{
    FleetKey, KeySchedule, MemoryLog, RedisTicketKeys, Refresh, SharedTicketKeys,
};

use support::{cert, Cert, RedisServer, SECRET};

/// One server's ticket keys: its own link to Redis and its own cache.
async fn shared_keys(url_config: ferrotls_redis::LinkConfig) -> Arc<SharedTicketKeys> {
    let backend = RedisTicketKeys::new(
        url_config,
        KeySchedule::default(),
        Some(FleetKey::derive(&SECRET, "ticket keys", Provider::system()).unwrap()),
        Provider::system(),
    )
    .unwrap();
    let refresh = Refresh {
        every: Duration::from_millis(50),
        ..Refresh::default()
    };
    SharedTicketKeys::start(Arc::new(backend), Provider::system(), refresh).await
}

/// A session cache that keeps nothing: these servers resume by ticket only (TLS 1.2
/// session IDs would otherwise resume on the server that made them).
#[derive(Debug)]
struct NoCache;

impl ServerSessionCache for NoCache {
    fn put(&self, _: Vec<u8>, _: Arc<StoredSession>) {}
    fn get(&self, _: &[u8]) -> Option<Arc<StoredSession>> {
        None
    }
    fn take(&self, _: &[u8]) -> Option<Arc<StoredSession>> {
        None
    }
}

fn server(cert: &Cert, ticketer: Arc<Ticketer>) -> Arc<ServerConfig> {
    ServerConfig::builder()
        .cert(vec![cert.leaf.clone()], &cert.key)
        .unwrap()
        .ticketer(ticketer)
        .session_cache(Arc::new(NoCache))
        .build()
        .unwrap()
}

fn shared_ticketer(keys: Arc<SharedTicketKeys>) -> Arc<Ticketer> {
    Arc::new(Ticketer::with_source(Provider::system(), keys, 6 * 3600))
}

fn client(cert: &Cert, version: ProtocolVersion) -> Arc<ClientConfig> {
    ClientConfig::pinned(vec![cert.leaf.clone()])
        .unwrap()
        .versions(&[version])
        .session_store(Arc::new(InMemorySessionStore::new(16)))
        .build()
        .unwrap()
}

/// A connection of `client` to `server` in memory: (resumed, TLS 1.3 tickets
/// received; TLS 1.2 tickets are not counted).
fn connect(client: &Arc<ClientConfig>, server: &Arc<ServerConfig>) -> (bool, usize) {
    let name = ServerName::try_from("localhost").unwrap();
    let mut c = ClientConnection::new(client.clone(), name).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    fn deliver(to: &mut ferrotls::Connection, mut bytes: &[u8]) {
        loop {
            let taken = to.feed_tls(bytes);
            bytes = &bytes[taken..];
            to.process_new_packets().expect("no handshake error");
            if bytes.is_empty() {
                return;
            }
        }
    }
    for _ in 0..16 {
        let flight = c.take_tls();
        deliver(&mut s, &flight);
        let flight = s.take_tls();
        deliver(&mut c, &flight);
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            break;
        }
    }
    assert!(!c.is_handshaking() && !s.is_handshaking(), "handshake done");
    let n = c.negotiated();
    (n.resumed, n.tickets_received)
}

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_from_server_a_resume_on_server_b() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let cert = cert();
    let config = || redis.config(Duration::from_millis(500), &MemoryLog::new());
    let a = server(&cert, shared_ticketer(shared_keys(config()).await));
    let b = server(&cert, shared_ticketer(shared_keys(config()).await));
    let mut runs = 0;
    for version in VERSIONS {
        let client = client(&cert, version);
        let (resumed, tickets) = connect(&client, &a);
        assert!(!resumed, "{version:?}: a full handshake with A");
        assert!(tickets > 0 || version == ProtocolVersion::TLSv1_2);
        for (i, to) in [&b, &a, &b].into_iter().enumerate() {
            let (resumed, _) = connect(&client, to);
            assert!(resumed, "{version:?}: reconnection {i} resumed");
            runs += 1;
        }
    }
    assert_eq!(runs, 6);

    // Control: today's default, each server with its own random keys.
    let own = |cert: &Cert| server(cert, Arc::new(Ticketer::new(Provider::system(), 3600)));
    let (a, b) = (own(&cert), own(&cert));
    for version in VERSIONS {
        let client = client(&cert, version);
        assert!(!connect(&client, &a).0);
        assert!(
            connect(&client, &a).0,
            "{version:?}: A opens its own ticket"
        );
        assert!(
            !connect(&client, &b).0,
            "{version:?}: B cannot open A's ticket"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_at_start_costs_tickets_not_handshakes() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    redis.stop();
    let cert = cert();
    let log = MemoryLog::new();
    let deadline = Duration::from_millis(100);
    let start = Instant::now();
    let keys = shared_keys(redis.config(deadline, &log)).await;
    let started = start.elapsed();
    eprintln!("ticket keys started with Redis down in {started:?}");
    assert!(
        started < 2 * deadline + Duration::from_millis(300),
        "{started:?}"
    );
    assert_eq!(keys.cached(), 0);
    let a = server(&cert, shared_ticketer(keys));
    for version in VERSIONS {
        let client = client(&cert, version);
        let start = Instant::now();
        let (resumed, tickets) = connect(&client, &a);
        assert!(!resumed);
        assert_eq!(tickets, 0, "no key, no ticket");
        assert!(!connect(&client, &a).0, "{version:?}: full again");
        eprintln!("{version:?}: two full handshakes in {:?}", start.elapsed());
    }
    assert_eq!(log.lines().len(), 1, "{:?}", log.lines());

    redis.restart();
    let client = client(&cert, ProtocolVersion::TLSv1_3);
    let start = Instant::now();
    while connect(&client, &a).1 == 0 {
        assert!(start.elapsed() < Duration::from_secs(5), "tickets resume");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "tickets issued again {:?} after the restart",
        start.elapsed()
    );
    assert!(connect(&client, &a).0, "and resume");
    let lines = log.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[1],
        format!(
            "ticket-key store on {} answers again; sharing resumes",
            redis.url()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_while_clients_reconnect_across_servers() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let cert = cert();
    // A new key every second, each opening tickets for 10 s more; fetched 1 s early.
    let schedule = KeySchedule {
        period: 1,
        decrypt_for: 10,
        skew: 1,
    };
    let refresh = Refresh {
        every: Duration::from_millis(50),
        lookahead: 1,
        skew: 1,
    };
    let mut servers = Vec::new();
    for _ in 0..2 {
        let backend = RedisTicketKeys::new(
            redis.config(Duration::from_millis(500), &MemoryLog::new()),
            schedule,
            Some(FleetKey::derive(&SECRET, "ticket keys", Provider::system()).unwrap()),
            Provider::system(),
        )
        .unwrap();
        let keys = SharedTicketKeys::start(Arc::new(backend), Provider::system(), refresh).await;
        let ticketer = Ticketer::with_source(Provider::system(), keys, 10);
        servers.push(server(&cert, Arc::new(ticketer)));
    }
    const CLIENTS: usize = 20;
    const RECONNECTIONS: usize = 1000;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| client(&cert, VERSIONS[i % 2]))
        .collect();
    for (i, c) in clients.iter().enumerate() {
        assert!(!connect(c, &servers[i % 2]).0, "first connections are full");
    }
    let start = Instant::now();
    let mut resumed = 0;
    for n in 0..RECONNECTIONS {
        // Round-robin over clients, each to the other server than last time.
        let server = &servers[(n / CLIENTS + n) % 2];
        resumed += usize::from(connect(&clients[n % CLIENTS], server).0);
        if n % 100 == 99 {
            // Spread the run over about three key periods.
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let took = start.elapsed();
    let made: Vec<Vec<u8>> = redis::cmd("KEYS")
        .arg("ferrotls:ticket-key:*")
        .query(&mut redis.raw())
        .unwrap();
    eprintln!(
        "{RECONNECTIONS} reconnections in {took:?} over {} keys: {resumed} resumed",
        made.len()
    );
    assert!(made.len() >= 3, "keys rotated: {} made", made.len());
    assert!(
        resumed * 100 >= RECONNECTIONS * 99,
        "{resumed} of {RECONNECTIONS} resumed"
    );
}
