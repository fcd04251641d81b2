//! What the shared session store costs per resumed handshake: TLS 1.2 session-ID
//! resumptions (client and server in memory, one process) against a server whose
//! sessions live in Redis (`FleetHooks`, a `redis-server` on 127.0.0.1 started here)
//! and against the in-process cache. Prints p50 and p99 handshake time, the added
//! latency, and CPU per handshake (this process only; Redis's own CPU not counted).
//!
//! cargo run --release -p ferrotls-redis --example store_cost [-- HANDSHAKES]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrotls::client::{ClientConfig, ClientConnection, InMemorySessionStore};
use ferrotls::crypto::Provider;
use ferrotls::msgs::enums::ProtocolVersion;
use ferrotls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use ferrotls::server::{InMemorySessionCache, ServerConfig, ServerConnection};
use ferrotls::Connection;
use ferrotls_redis::{FleetHooks, FleetKey, LinkConfig, RedisReplayGuard, RedisSessionStore};
use ferrotls_tokio::pause::AsyncHandlers;

async fn deliver(to: &mut Connection, mut bytes: &[u8], handlers: &AsyncHandlers) {
    loop {
        let taken = to.feed_tls(bytes);
        bytes = &bytes[taken..];
        to.process_new_packets().expect("no handshake error");
        while let Some(op) = to.pending_operation().cloned() {
            let answer = handlers.answer(op).await.expect("a handler");
            to.complete(answer).expect("completes");
            to.process_new_packets().expect("no handshake error");
        }
        if bytes.is_empty() {
            return;
        }
    }
}

/// One handshake; whether it resumed.
async fn connect(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    handlers: &AsyncHandlers,
) -> bool {
    let name = ServerName::try_from("localhost").unwrap();
    let mut c = ClientConnection::new(client.clone(), name).unwrap();
    let mut s = ServerConnection::new(server.clone()).unwrap();
    let none = AsyncHandlers::new();
    for _ in 0..16 {
        let flight = c.take_tls();
        deliver(&mut s, &flight, handlers).await;
        let flight = s.take_tls();
        deliver(&mut c, &flight, &none).await;
        if !c.is_handshaking() && !s.is_handshaking() && !c.wants_write() && !s.wants_write() {
            break;
        }
    }
    s.negotiated().resumed
}

/// User plus system CPU of this process so far (Linux `/proc/self/stat`, 100 Hz ticks).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, r)| r.split(' ').collect())
        .unwrap_or_default();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((tick(11) + tick(12)) * 10)
}

struct Row {
    p50: Duration,
    p99: Duration,
    cpu: Duration,
}

async fn measure(
    client: &Arc<ClientConfig>,
    server: &Arc<ServerConfig>,
    handlers: &AsyncHandlers,
    n: usize,
) -> Row {
    assert!(
        !connect(client, server, handlers).await,
        "a full handshake first"
    );
    tokio::time::sleep(Duration::from_millis(100)).await; // the background write
    let mut times = Vec::with_capacity(n);
    let start_cpu = cpu();
    for _ in 0..n {
        let start = Instant::now();
        assert!(connect(client, server, handlers).await, "resumed");
        times.push(start.elapsed());
    }
    let cpu = (cpu() - start_cpu) / n as u32;
    times.sort();
    Row {
        p50: times[n / 2],
        p99: times[n * 99 / 100],
        cpu,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let dir = std::env::temp_dir().join(format!("store-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut redis = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
        ])
        .arg("--dir")
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server (apt-get install redis-server)");
    std::thread::sleep(Duration::from_millis(300));

    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let leaf = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let base = || {
        ServerConfig::builder()
            .cert(vec![leaf.clone()], &key)
            .unwrap()
            .session_tickets(false)
    };
    let client = || {
        ClientConfig::pinned(vec![leaf.clone()])
            .unwrap()
            .versions(&[ProtocolVersion::TLSv1_2])
            .session_store(Arc::new(InMemorySessionStore::new(16)))
            .build()
            .unwrap()
    };
    let local = base()
        .session_cache(Arc::new(InMemorySessionCache::new(4096)))
        .build()
        .unwrap();
    let url = format!("redis://127.0.0.1:{port}");
    let fleet_key = FleetKey::derive(&[0x5a; 32], "sessions", Provider::system()).unwrap();
    let hooks = FleetHooks::new(
        Arc::new(RedisSessionStore::new(LinkConfig::new(&url), fleet_key).unwrap()),
        Arc::new(RedisReplayGuard::new(LinkConfig::new(&url)).unwrap()),
        Duration::from_secs(3600),
        tokio::runtime::Handle::current(),
    );
    let shared = hooks.apply(base()).build().unwrap();

    let memory = measure(&client(), &local, &AsyncHandlers::new(), n).await;
    let redis_row = measure(&client(), &shared, &hooks.handlers(), n).await;
    let _ = redis.kill();
    let _ = redis.wait();
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "TLS 1.2 session-ID resumption, {n} handshakes each (client and server in one process)"
    );
    println!(
        "{:<24} {:>10} {:>10} {:>14}",
        "store", "p50", "p99", "CPU/handshake"
    );
    for (name, r) in [
        ("in-process cache", &memory),
        ("Redis (FleetHooks)", &redis_row),
    ] {
        println!(
            "{:<24} {:>8.1}µs {:>8.1}µs {:>12.1}µs",
            name,
            r.p50.as_secs_f64() * 1e6,
            r.p99.as_secs_f64() * 1e6,
            r.cpu.as_secs_f64() * 1e6
        );
    }
    let added = |a: Duration, b: Duration| (a.as_secs_f64() - b.as_secs_f64()) * 1e6;
    println!(
        "added by Redis: p50 {:+.1}µs, p99 {:+.1}µs, CPU {:+.1}µs per handshake",
        added(redis_row.p50, memory.p50),
        added(redis_row.p99, memory.p99),
        added(redis_row.cpu, memory.cpu)
    );
}
