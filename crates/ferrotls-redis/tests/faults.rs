//! Faults: Redis stopped and restarted, a server answering garbage or well-formed
//! replies of the wrong type, a server answering after the deadline; a key file that
//! breaks and is mended. Every operation gives its fail-closed answer within the
//! deadline, nothing panics, each component logs one line per state change, and
//! sharing resumes by itself.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrotls::crypto::Provider;
use ferrotls_redis::{
    FileTicketKeys, FleetKey, KeyId, KeySchedule, LinkConfig, MemoryLog, RedisReplayGuard,
    RedisSessionStore, RedisTicketKeys, ReplayGuard, SessionStore, TicketKeyBackend,
};

use support::{timed, Fake, FakeServer, RedisServer, TempDir, SECRET};

const DEADLINE: Duration = Duration::from_millis(100);
/// What the scheduler of a shared 2-core machine may add to a deadline.
const SLACK: Duration = Duration::from_millis(250);

const STORE_DOWN: &str =
    "sessions are not shared and resumption falls back to full handshakes until it answers again";
const GUARD_DOWN: &str = "all early data is rejected until it answers again";
const KEYS_DOWN: &str = "no new ticket keys can be shared (tickets under keys already read \
                         still work) until it answers again";

fn schedule() -> KeySchedule {
    KeySchedule {
        period: 100,
        decrypt_for: 250,
        skew: 10,
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The three components on one link config, each with its own log.
struct Fleet {
    store: RedisSessionStore,
    guard: RedisReplayGuard,
    keys: RedisTicketKeys,
    logs: [Arc<MemoryLog>; 3],
}

impl Fleet {
    fn new(config: impl Fn(&Arc<MemoryLog>) -> LinkConfig) -> Self {
        let logs = [MemoryLog::new(), MemoryLog::new(), MemoryLog::new()];
        let p = Provider::system();
        Fleet {
            store: RedisSessionStore::new(
                config(&logs[0]),
                FleetKey::derive(&SECRET, "session store", p.clone()).unwrap(),
            )
            .unwrap(),
            guard: RedisReplayGuard::new(config(&logs[1])).unwrap(),
            keys: RedisTicketKeys::new(
                config(&logs[2]),
                schedule(),
                Some(FleetKey::derive(&SECRET, "ticket keys", p.clone()).unwrap()),
                p,
            )
            .unwrap(),
            logs,
        }
    }

    /// One round of every operation, each failing closed within the deadline:
    /// returns the slowest.
    async fn fails_closed(&self, round: u64) -> Duration {
        let mut slowest = Duration::ZERO;
        let mut note = |d: Duration, what: &str| {
            assert!(d <= DEADLINE + SLACK, "{what} took {d:?}");
            slowest = slowest.max(d);
        };
        let (ok, d) = timed(self.store.put(b"s", b"v", Duration::from_secs(60))).await;
        assert!(!ok, "put failed");
        note(d, "put");
        let (got, d) = timed(self.store.take(b"s")).await;
        assert!(got.is_none(), "take is a miss");
        note(d, "take");
        let (first, d) = timed(self.guard.first_use(&[round as u8; 32], DEADLINE * 10)).await;
        assert!(!first, "early data rejected");
        note(d, "replay check");
        // A slot no key was read for yet: it must come from Redis.
        let t = unix_now() + (round + 10) * schedule().period;
        let (key, d) = timed(self.keys.current(t)).await;
        assert!(key.is_none(), "no new ticket key");
        note(d, "ticket key");
        slowest
    }

    fn lines(&self) -> [Vec<String>; 3] {
        self.logs.clone().map(|l| l.lines())
    }
}

/// Asserts each log holds one "is down" line naming `url` and `reason`.
fn assert_down_once(lines: &[Vec<String>; 3], url: &str, reason: impl Fn(&str) -> bool) {
    let whats = [
        ("session store", STORE_DOWN),
        ("0-RTT replay guard", GUARD_DOWN),
        ("ticket-key store", KEYS_DOWN),
    ];
    for (log, (what, down)) in lines.iter().zip(whats) {
        assert_eq!(log.len(), 1, "{what}: one line per change: {log:?}");
        let prefix = format!("{what} on {url} is down (");
        let suffix = format!("); {down}");
        let line = &log[0];
        assert!(
            line.starts_with(&prefix) && line.ends_with(&suffix),
            "{line}"
        );
        let why = &line[prefix.len()..line.len() - suffix.len()];
        assert!(reason(why), "{what}: reason {why:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_fails_closed_and_sharing_resumes_after_restart() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let url = redis.url();
    let f = Fleet::new(|log| redis.config(DEADLINE, log));
    let t = unix_now();
    assert!(f.store.put(b"before", b"v", Duration::from_secs(60)).await);
    assert!(f.guard.first_use(&[1; 32], Duration::from_secs(1)).await);
    let cached = f.keys.current(t).await.expect("a key while up");

    redis.stop();
    let mut slowest = Duration::ZERO;
    for round in 0..20 {
        slowest = slowest.max(f.fails_closed(round).await);
    }
    eprintln!("Redis stopped: slowest fallback {slowest:?} (deadline {DEADLINE:?})");
    let lines = f.lines();
    assert_down_once(&lines, &url, |why| {
        why.starts_with("connection failed: ") || why == "no reply within 100 ms"
    });
    assert!(f.store.is_down() && f.guard.is_down() && f.keys.is_down());
    // A key read before keeps sealing and opening tickets without Redis.
    let again = f.keys.current(t).await.expect("the cached key");
    assert_eq!(again.material(), cached.material());
    assert!(f.keys.lookup(cached.id, t).await.is_some());

    assert_eq!(f.store.stats().failures, 40, "20 puts and 20 takes failed");
    redis.restart();
    let start = Instant::now();
    while !f.store.put(b"after", b"v", Duration::from_secs(60)).await {
        assert!(start.elapsed() < Duration::from_secs(5), "store resumes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "Redis restarted: the store shared again after {:?}",
        start.elapsed()
    );
    assert_eq!(f.store.take(b"after").await.unwrap().as_bytes(), b"v");
    while !f.guard.first_use(&[2; 32], Duration::from_secs(1)).await {
        assert!(start.elapsed() < Duration::from_secs(5), "guard resumes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let next = t + 40 * schedule().period;
    while f.keys.current(next).await.is_none() {
        assert!(start.elapsed() < Duration::from_secs(5), "keys resume");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!f.store.is_down() && !f.guard.is_down() && !f.keys.is_down());
    let lines = f.lines();
    for (log, what) in lines
        .iter()
        .zip(["session store", "0-RTT replay guard", "ticket-key store"])
    {
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(
            log[1],
            format!("{what} on {url} answers again; sharing resumes")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_answers_fail_closed_without_panic_or_hang() {
    let fake = FakeServer::start(Fake::Garbage);
    let url = fake.url();
    let f = Fleet::new(|log| fake.config(DEADLINE, log));
    let mut slowest = Duration::ZERO;
    for round in 0..10 {
        slowest = slowest.max(f.fails_closed(round).await);
    }
    eprintln!("garbage server: slowest fallback {slowest:?}");
    assert!(fake.connections.load(std::sync::atomic::Ordering::Relaxed) > 0);
    assert_down_once(&f.lines(), &url, |why| {
        why.starts_with("Redis answered with an error: ")
            || why.starts_with("connection failed: ")
            || why == "no reply within 100 ms"
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_of_the_wrong_type_fail_closed() {
    let fake = FakeServer::start(Fake::WrongType);
    let url = fake.url();
    let f = Fleet::new(|log| fake.config(DEADLINE, log));
    for round in 0..5 {
        f.fails_closed(round).await;
    }
    let lines = f.lines();
    assert_eq!(
        lines[0],
        [format!(
            "session store on {url} is down (unexpected reply to SET: integer 1); {STORE_DOWN}"
        )]
    );
    assert_eq!(
        lines[1],
        [format!(
            "0-RTT replay guard on {url} is down (unexpected reply to SET NX: integer 1); \
             {GUARD_DOWN}"
        )]
    );
    assert_eq!(
        lines[2],
        [format!(
            "ticket-key store on {url} is down (unexpected reply to GET: integer 1); {KEYS_DOWN}"
        )]
    );
    // A take alone reports its own command.
    let log = MemoryLog::new();
    let store = RedisSessionStore::new(
        fake.config(DEADLINE, &log),
        FleetKey::derive(&SECRET, "session store", Provider::system()).unwrap(),
    )
    .unwrap();
    assert!(store.take(b"x").await.is_none());
    assert_eq!(
        log.lines(),
        [format!(
            "session store on {url} is down (unexpected reply to GETDEL: integer 1); {STORE_DOWN}"
        )]
    );
    assert_eq!(store.stats().failures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_server_costs_the_deadline_only() {
    let fake = FakeServer::start(Fake::Slow(Duration::from_secs(2)));
    let url = fake.url();
    let f = Fleet::new(|log| fake.config(DEADLINE, log));
    let mut slowest = Duration::ZERO;
    for round in 0..5 {
        slowest = slowest.max(f.fails_closed(round).await);
    }
    eprintln!("slow server (2 s): slowest fallback {slowest:?} (deadline {DEADLINE:?})");
    assert_down_once(&f.lines(), &url, |why| why == "no reply within 100 ms");
}

#[test]
fn link_errors_explain_themselves() {
    let e = RedisSessionStore::new(
        LinkConfig::new("http://127.0.0.1:1"),
        FleetKey::derive(&SECRET, "session store", Provider::system()).unwrap(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.starts_with("\"http://127.0.0.1:1\" is not a Redis URL (")
            && e.ends_with("); write redis://HOST:PORT"),
        "{e}"
    );
    let e = RedisReplayGuard::new(LinkConfig::new("redis://[::1")).unwrap_err();
    assert!(e
        .to_string()
        .starts_with("\"redis://[::1\" is not a Redis URL ("));
    let e = ferrotls_redis::LinkError::Timeout {
        deadline: Duration::from_millis(50),
    };
    assert_eq!(e.to_string(), "no reply within 50 ms");
    let e = ferrotls_redis::LinkError::unexpected("GETDEL", &redis::Value::Array(vec![]));
    assert_eq!(e.to_string(), "unexpected reply to GETDEL: an array of 0");
    let bulk = redis::Value::BulkString(vec![0; 5]);
    assert_eq!(
        ferrotls_redis::LinkError::unexpected("GET", &bulk).to_string(),
        "unexpected reply to GET: a 5-byte string",
        "the shape, never the bytes"
    );
    let cases = [
        (redis::Value::Nil, "nil"),
        (redis::Value::Okay, "OK"),
        (redis::Value::SimpleString("PONG".into()), "status \"PONG\""),
        (redis::Value::Double(1.5), "a value of another type"),
    ];
    for (v, text) in cases {
        assert_eq!(
            ferrotls_redis::LinkError::unexpected("SET", &v).to_string(),
            format!("unexpected reply to SET: {text}")
        );
    }
    let refused = redis::RedisError::from((redis::ErrorKind::Io, "refused"));
    let e = ferrotls_redis::LinkError::Connection { source: refused };
    assert!(e.to_string().starts_with("connection failed: "), "{e}");
    let refused = redis::RedisError::from((redis::ErrorKind::Parse, "junk"));
    let e = ferrotls_redis::LinkError::Reply { source: refused };
    assert!(
        e.to_string().starts_with("Redis answered with an error: "),
        "{e}"
    );
}

fn key_line(id: &str, intro: u64, enc: u64, dec: u64, byte: &str) -> String {
    format!("{id} {intro} {enc} {dec} {}\n", byte.repeat(32))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_files_are_checked_and_reloaded_when_they_change() {
    let dir = TempDir::new("keyfile");
    let path = dir.0.join("ticket.keys");
    let shown = path.display().to_string();
    let open = |log: Arc<MemoryLog>| {
        let path = path.clone();
        async move { FileTicketKeys::open(path, Duration::ZERO, 10, log).await }
    };
    let err = open(MemoryLog::new()).await.unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("cannot read ticket-key file {shown}: ")),
        "{err}"
    );
    let bad_lines = [
        (
            "0000002a 1 2 3\n",
            "expected 5 fields: id introduced encrypt-until decrypt-until material",
        ),
        ("2a 1 2 3 00\n", "the id must be 4 bytes in hex (8 digits)"),
        ("0000002a x 2 3 00\n", "times must be Unix seconds"),
        (
            "0000002a 1 2 3 0011\n",
            "the material must be 32 bytes in hex (64 digits)",
        ),
        (
            &key_line("0000002a", 5, 5, 9, "11"),
            "times must satisfy introduced < encrypt-until <= decrypt-until",
        ),
        (
            &(key_line("0000002a", 1, 5, 9, "11") + &key_line("0000002a", 5, 9, 12, "22")),
            "two keys with the same id",
        ),
    ];
    for (text, problem) in bad_lines {
        std::fs::write(&path, format!("# header\n{text}")).unwrap();
        let err = open(MemoryLog::new()).await.unwrap_err().to_string();
        let line = if problem.starts_with("two") { 3 } else { 2 };
        assert_eq!(
            err,
            format!("ticket-key file {shown}, line {line}: {problem}")
        );
    }
    std::fs::write(&path, "# nothing yet\n\n").unwrap();
    assert_eq!(
        open(MemoryLog::new()).await.unwrap_err().to_string(),
        format!("ticket-key file {shown} holds no key")
    );

    let t = unix_now();
    std::fs::write(&path, key_line("00000001", t - 10, t + 100, t + 200, "11")).unwrap();
    let log = MemoryLog::new();
    let keys = open(log.clone()).await.unwrap();
    let k1 = keys.current(t).await.unwrap();
    assert_eq!(
        (k1.id, k1.material()),
        (KeyId([0, 0, 0, 1]), &[0x11; 32][..])
    );
    // The fleet's tool adds the next key, which seals from now on; the old one opens.
    let two = key_line("00000001", t - 10, t + 1, t + 200, "11")
        + &key_line("00000002", t, t + 300, t + 400, "22");
    std::fs::write(&path, two).unwrap();
    let k2 = keys.current(t + 2).await.unwrap();
    assert_eq!(k2.id, KeyId([0, 0, 0, 2]));
    assert!(keys.lookup(k1.id, t + 2).await.is_some());
    assert!(keys.lookup(k1.id, t + 200).await.is_none(), "decrypt-until");
    // A broken rewrite keeps the keys read before and logs once; mended, once more.
    std::fs::write(&path, "garbage\n").unwrap();
    for _ in 0..3 {
        assert_eq!(keys.current(t + 2).await.unwrap().id, k2.id);
    }
    std::fs::write(&path, key_line("00000003", t, t + 300, t + 400, "33")).unwrap();
    assert_eq!(keys.current(t + 2).await.unwrap().id, KeyId([0, 0, 0, 3]));
    assert_eq!(
        log.lines(),
        [
            format!(
                "ticket-key file {shown} is down (ticket-key file {shown}, line 1: expected 5 \
                 fields: id introduced encrypt-until decrypt-until material); the keys read \
                 before stay in use until it answers again"
            ),
            format!("ticket-key file {shown} answers again; sharing resumes"),
        ]
    );
}
