//! The fleet components against a real `redis-server` started by each test: ticket
//! keys created once with SET NX and agreed on by independent instances, rotation
//! windows, sealed material; a session store taken once across instances, with TTL,
//! size limits and sealed values; the 0-RTT replay guard across instances.

mod support;

use std::sync::Arc;
use std::time::Duration;

use ferrotls::crypto::Provider;
use ferrotls_redis::seal::SEAL_OVERHEAD;
use ferrotls_redis::{
    FleetKey, KeyId, KeySchedule, MemoryLog, RedisReplayGuard, RedisSessionStore, RedisTicketKeys,
    ReplayGuard, SessionStore, TicketKeyBackend,
};

use support::{RedisServer, SECRET};

const DEADLINE: Duration = Duration::from_millis(500);

fn schedule() -> KeySchedule {
    KeySchedule {
        period: 100,
        decrypt_for: 250,
        skew: 10,
    }
}

/// Now, in Unix seconds, rounded down to the start of a key period.
fn period_start() -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    now - now % 100
}

fn keys(redis: &RedisServer, wrap: bool) -> RedisTicketKeys {
    let log = MemoryLog::new();
    let wrap = wrap.then(|| FleetKey::derive(&SECRET, "ticket keys", Provider::system()).unwrap());
    RedisTicketKeys::new(
        redis.config(DEADLINE, &log),
        schedule(),
        wrap,
        Provider::system(),
    )
    .unwrap()
}

fn store(redis: &RedisServer) -> RedisSessionStore {
    let key = FleetKey::derive(&SECRET, "session store", Provider::system()).unwrap();
    RedisSessionStore::new(redis.config(DEADLINE, &MemoryLog::new()), key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_server_creates_the_key_and_all_agree() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let t = period_start();
    let a = keys(&redis, true);
    let b = keys(&redis, true);
    let id = schedule().id(schedule().slot(t));
    assert_eq!(
        redis.get(&a.redis_key(id)),
        None,
        "no key before the first need"
    );

    let ka = a.current(t).await.expect("A creates the key");
    let stored = redis.get(&a.redis_key(id)).expect("stored by SET NX");
    let kb = b.current(t + 5).await.expect("B reads it");
    assert_eq!(ka.id, id);
    assert_eq!((ka.id, ka.material()), (kb.id, kb.material()));
    assert_eq!(
        redis.get(&a.redis_key(id)).as_deref(),
        Some(&stored[..]),
        "B did not overwrite"
    );
    // The key expires in Redis at its decrypt-until time.
    let (_, _, decrypt_until) = schedule().windows(schedule().slot(t));
    let pttl = redis.pttl(&a.redis_key(id));
    assert!(
        pttl > 0 && pttl <= ((decrypt_until - t) * 1000) as i64,
        "{pttl}"
    );

    // Eight fresh servers racing for the next key all end with one key.
    let next = t + 100;
    let racers: Vec<_> = (0..8).map(|_| Arc::new(keys(&redis, true))).collect();
    let tasks: Vec<_> = racers
        .iter()
        .cloned()
        .map(|k| tokio::spawn(async move { k.current(next).await.map(|k| k.material().to_vec()) }))
        .collect();
    let mut materials = Vec::new();
    for t in tasks {
        materials.push(t.await.unwrap().expect("a key"));
    }
    assert_eq!(materials.len(), 8);
    assert!(materials.windows(2).all(|w| w[0] == w[1]), "one key");
    assert_ne!(materials[0], ka.material(), "a new key for the next period");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_honours_encrypt_and_decrypt_until() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let t = period_start();
    let a = keys(&redis, true);
    let b = keys(&redis, true);
    let first = a.current(t).await.unwrap();
    assert_eq!(
        (first.introduced, first.encrypt_until, first.decrypt_until),
        (t, t + 100, t + 350)
    );
    let same = a.current(t + 99).await.unwrap();
    assert_eq!(same.id, first.id, "seals until encrypt-until");
    let second = a.current(t + 100).await.unwrap();
    assert_ne!(second.id, first.id, "a new key at encrypt-until");
    // B never cached the first key: it reads it from Redis to open a ticket.
    let opened = b.lookup(first.id, t + 200).await.expect("a live key");
    assert_eq!(opened.material(), first.material());
    assert!(b.lookup(first.id, t + 349).await.is_some());
    assert!(b.lookup(first.id, t + 350).await.is_none(), "decrypt-until");
    assert!(
        a.lookup(first.id, t + 350).await.is_none(),
        "also when cached"
    );
    // A key no server made is not created by a lookup.
    let unmade = schedule().id(schedule().slot(t) + 2);
    assert!(b.lookup(unmade, t + 150).await.is_none());
    assert_eq!(redis.get(&b.redis_key(unmade)), None);
    // Ids outside the decrypt window are refused without asking Redis.
    assert!(b.lookup(KeyId([0xff; 4]), t).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_material_is_sealed_in_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let t = period_start();
    let sealed = keys(&redis, true);
    let key = sealed.current(t).await.unwrap();
    let raw = redis.get(&sealed.redis_key(key.id)).unwrap();
    assert_eq!(raw.len(), 1 + SEAL_OVERHEAD + 32);
    assert_eq!(raw[0], 1, "marked sealed");
    assert!(
        !raw.windows(8)
            .any(|w| key.material().windows(8).any(|m| m == w)),
        "no 8 bytes of the key appear in Redis"
    );
    // Without the wrapping key the sealed key is of no use ...
    let plain = keys(&redis, false);
    assert!(plain.lookup(key.id, t).await.is_none());
    // ... nor under another wrapping key.
    let other = RedisTicketKeys::new(
        redis.config(DEADLINE, &MemoryLog::new()),
        schedule(),
        Some(FleetKey::derive(&[1; 32], "ticket keys", Provider::system()).unwrap()),
        Provider::system(),
    )
    .unwrap();
    assert!(other.lookup(key.id, t).await.is_none());
    // Keys stored in the clear (no wrapping key) are refused by a server that has one.
    let clear = plain.current(t + 100).await.unwrap();
    let raw = redis.get(&plain.redis_key(clear.id)).unwrap();
    assert_eq!((raw[0], &raw[1..]), (0, clear.material()));
    assert!(sealed.lookup(clear.id, t + 100).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_taken_once_across_stores() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let (a, b) = (store(&redis), store(&redis));
    let plain = b"TLS 1.2 master secret: 0123456789abcdef0123456789abcdef";
    assert!(a.put(b"id-1", plain, Duration::from_secs(300)).await);
    let raw = redis.get(&a.redis_key(b"id-1")).expect("stored");
    assert_eq!(raw.len(), plain.len() + SEAL_OVERHEAD);
    assert!(!raw.windows(6).any(|w| w == b"master"), "sealed");
    let pttl = redis.pttl(&a.redis_key(b"id-1"));
    assert!(pttl > 290_000 && pttl <= 300_000, "TTL = lifetime: {pttl}");

    assert_eq!(b.take(b"id-1").await.unwrap().as_bytes(), plain);
    assert!(a.take(b"id-1").await.is_none(), "single use");
    assert!(b.take(b"id-1").await.is_none());
    assert_eq!(redis.get(&a.redis_key(b"id-1")), None, "gone from Redis");

    // Sixteen takers on two stores race for one session: one wins.
    let (a, b) = (Arc::new(a), Arc::new(b));
    assert!(a.put(b"id-2", plain, Duration::from_secs(60)).await);
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { s.take(b"id-2").await.is_some() })
        })
        .collect();
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap());
    }
    assert_eq!(winners, 1);

    // The Lua take (servers before GETDEL) is single-use too.
    let script = store(&redis).with_take_script();
    assert!(a.put(b"id-3", plain, Duration::from_secs(60)).await);
    assert!(script.take(b"id-3").await.is_some());
    assert!(b.take(b"id-3").await.is_none());
    assert!(script.take(b"id-3").await.is_none());

    let (sa, sb) = (a.stats(), b.stats());
    assert_eq!((sa.stored, sb.stored), (3, 0));
    assert_eq!(sa.hits + sb.hits, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_and_limits_hold() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let s = store(&redis).with_max_value_len(64);
    assert!(s.put(b"short", b"v", Duration::from_millis(100)).await);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(s.take(b"short").await.is_none(), "expired in Redis");

    assert!(!s.put(b"big", &[7; 65], Duration::from_secs(60)).await);
    assert_eq!(redis.get(&s.redis_key(b"big")), None, "never sent");
    assert!(
        !s.put(&[1; 256], b"v", Duration::from_secs(60)).await,
        "key size"
    );
    assert!(s.put(b"fits", &[7; 64], Duration::from_secs(60)).await);

    // An oversized value planted in Redis is dropped unread.
    redis.set(&s.redis_key(b"planted"), &[0; 64 + SEAL_OVERHEAD + 1]);
    assert!(s.take(b"planted").await.is_none());
    // A tampered value, and a value moved to another name, do not open.
    let raw = redis.get(&s.redis_key(b"fits")).unwrap();
    let mut flipped = raw.clone();
    flipped[20] ^= 1;
    redis.set(&s.redis_key(b"tampered"), &flipped);
    assert!(s.take(b"tampered").await.is_none());
    redis.set(&s.redis_key(b"moved"), &raw);
    assert!(s.take(b"moved").await.is_none());
    assert_eq!(s.take(b"fits").await.unwrap().as_bytes(), &[7; 64]);

    let st = s.stats();
    assert_eq!(
        (
            st.stored,
            st.hits,
            st.misses,
            st.too_large_writes,
            st.too_large_reads,
            st.undecryptable,
            st.failures
        ),
        (2, 1, 4, 2, 1, 2, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_are_caught_across_guards_until_the_window_ends() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let a = RedisReplayGuard::new(redis.config(DEADLINE, &MemoryLog::new())).unwrap();
    let b = RedisReplayGuard::new(redis.config(DEADLINE, &MemoryLog::new())).unwrap();
    let window = Duration::from_millis(300);
    let digest = [0xab; 32];
    assert!(a.first_use(&digest, window).await, "first seen");
    assert!(!b.first_use(&digest, window).await, "replayed to B");
    assert!(!a.first_use(&digest, window).await, "replayed to A");
    let pttl = redis.pttl(&a.redis_key(&digest));
    assert!(pttl > 0 && pttl <= 300, "expiry = window: {pttl}");
    assert!(
        b.first_use(&[0xcd; 32], window).await,
        "another ClientHello"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        b.first_use(&digest, window).await,
        "recorded anew after the window"
    );
    assert!(!a.first_use(&digest, window).await);
    assert!(
        !a.first_use(&[], window).await,
        "an empty digest is refused"
    );
}
