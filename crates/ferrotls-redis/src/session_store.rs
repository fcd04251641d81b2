//! A session store shared by the fleet: TLS 1.2 session IDs and TLS 1.3 stateful
//! tickets, each taken at most once (RFC 8446, 8.1: single-use tickets are what
//! keeps 0-RTT from being replayed across servers).
//!
//! Values are sealed under a fleet key bound to their Redis key name, so a master
//! secret never sits in Redis in the clear and a value cannot be moved to another
//! name. A value too large, or one that fails to open, is a miss and is counted.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ferrotls::crypto::Secret;
use redis::Value;

use crate::link::{Link, LinkConfig, LinkError};
use crate::seal::{FleetKey, SEAL_OVERHEAD};
use crate::BoxFuture;

/// Largest session key (ID or ticket) accepted.
pub const MAX_KEY_LEN: usize = 255;
/// The default largest value (an encoded session) stored or accepted back.
pub const DEFAULT_MAX_VALUE_LEN: usize = 8 * 1024;

/// Sessions by key, each taken at most once.
pub trait SessionStore: Debug + Send + Sync {
    /// Stores `value` under `key` for `ttl` (the session's lifetime). `false` when it
    /// was not stored: too large, a zero TTL, or the backend failed; the server then
    /// simply cannot resume that session.
    fn put<'a>(&'a self, key: &'a [u8], value: &'a [u8], ttl: Duration) -> BoxFuture<'a, bool>;
    /// Removes and returns the value: of any number of concurrent takers of one key,
    /// in any process, one gets it. `None` for a miss, an expired, oversized or
    /// undecryptable value, or a failed backend (the handshake goes on in full).
    fn take<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Option<Secret>>;
    /// Returns the value and leaves it in place, for what may be resumed more than
    /// once (TLS 1.2 session IDs, RFC 5246, 7.4.1.2). `None` as for `take`.
    fn get<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Option<Secret>>;
    /// Counts so far.
    fn stats(&self) -> StoreStats;
}

/// What a store has seen since it was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    pub stored: u64,
    pub hits: u64,
    /// Every take that returned nothing, including those counted below.
    pub misses: u64,
    /// Puts refused for a key or value over the limit.
    pub too_large_writes: u64,
    /// Values from the backend over the limit, dropped.
    pub too_large_reads: u64,
    /// Values from the backend that failed to open (tampered, other key or name).
    pub undecryptable: u64,
    /// Operations the backend did not answer in time or answered with garbage.
    pub failures: u64,
}

#[derive(Debug, Default)]
struct Counters {
    stored: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    too_large_writes: AtomicU64,
    too_large_reads: AtomicU64,
    undecryptable: AtomicU64,
    failures: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    fn snapshot(&self) -> StoreStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        StoreStats {
            stored: get(&self.stored),
            hits: get(&self.hits),
            misses: get(&self.misses),
            too_large_writes: get(&self.too_large_writes),
            too_large_reads: get(&self.too_large_reads),
            undecryptable: get(&self.undecryptable),
            failures: get(&self.failures),
        }
    }

    /// Counts a put refused for size; `true` if it fits.
    fn fits(&self, key: &[u8], value: &[u8], max_value_len: usize) -> bool {
        let fits = !key.is_empty() && key.len() <= MAX_KEY_LEN && value.len() <= max_value_len;
        if !fits {
            bump(&self.too_large_writes);
        }
        fits
    }

    fn miss<T>(&self) -> Option<T> {
        bump(&self.misses);
        None
    }
}

/// The one-process twin of [`RedisSessionStore`]: same limits and single use.
#[derive(Debug)]
pub struct MemorySessionStore {
    max_value_len: usize,
    capacity: usize,
    map: Mutex<HashMap<Vec<u8>, (Instant, Secret)>>,
    counters: Counters,
}

impl MemorySessionStore {
    /// Holds at most `capacity` sessions of at most `max_value_len` bytes.
    pub fn new(capacity: usize, max_value_len: usize) -> Self {
        MemorySessionStore {
            max_value_len,
            capacity: capacity.max(1),
            map: Mutex::new(HashMap::new()),
            counters: Counters::default(),
        }
    }
}

impl MemorySessionStore {
    /// The value of an entry that has not expired, counted as a hit or a miss.
    fn live(&self, entry: Option<(Instant, Secret)>) -> Option<Secret> {
        match entry {
            Some((expiry, value)) if expiry > Instant::now() => {
                bump(&self.counters.hits);
                Some(value)
            }
            _ => self.counters.miss(),
        }
    }
}

impl SessionStore for MemorySessionStore {
    fn put<'a>(&'a self, key: &'a [u8], value: &'a [u8], ttl: Duration) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            if !self.counters.fits(key, value, self.max_value_len) || ttl.is_zero() {
                return false;
            }
            let Ok(mut map) = self.map.lock() else {
                return false;
            };
            let now = Instant::now();
            if map.len() >= self.capacity {
                map.retain(|_, (expiry, _)| *expiry > now);
            }
            if map.len() >= self.capacity {
                // Full of live sessions: the one closest to expiry makes room.
                let soonest = map
                    .iter()
                    .min_by_key(|(_, (e, _))| *e)
                    .map(|(k, _)| k.clone());
                if let Some(k) = soonest {
                    map.remove(&k);
                }
            }
            map.insert(key.to_vec(), (now + ttl, Secret::from(value)));
            bump(&self.counters.stored);
            true
        })
    }

    fn take<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Option<Secret>> {
        Box::pin(async move {
            let taken = self.map.lock().ok().and_then(|mut m| m.remove(key));
            self.live(taken)
        })
    }

    fn get<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Option<Secret>> {
        Box::pin(async move {
            let found = self.map.lock().ok().and_then(|m| m.get(key).cloned());
            self.live(found)
        })
    }

    fn stats(&self) -> StoreStats {
        self.counters.snapshot()
    }
}

/// Lua for servers before 6.2, which lack GETDEL: a script runs atomically.
const TAKE_SCRIPT: &str =
    "local v = redis.call('GET', KEYS[1]) if v then redis.call('DEL', KEYS[1]) end return v";

/// What a take may answer: nothing, or the stored bytes.
fn nil_or_bulk(v: &Value) -> bool {
    matches!(v, Value::Nil | Value::BulkString(_))
}

/// The session store on Redis.
#[derive(Debug)]
pub struct RedisSessionStore {
    link: Link,
    key: FleetKey,
    max_value_len: usize,
    /// Take with the Lua script instead of GETDEL (set when the server lacks GETDEL).
    use_script: AtomicBool,
    counters: Counters,
}

impl RedisSessionStore {
    /// Values sealed under `key` (derive it with purpose "session store"), of at most
    /// [`DEFAULT_MAX_VALUE_LEN`] bytes.
    pub fn new(config: LinkConfig, key: FleetKey) -> Result<Self, LinkError> {
        let link = Link::new(
            config,
            "session store",
            "sessions are not shared and resumption falls back to full handshakes",
        )?;
        Ok(RedisSessionStore {
            link,
            key,
            max_value_len: DEFAULT_MAX_VALUE_LEN,
            use_script: AtomicBool::new(false),
            counters: Counters::default(),
        })
    }

    /// Sets the largest value stored or accepted back.
    pub fn with_max_value_len(mut self, max: usize) -> Self {
        self.max_value_len = max;
        self
    }

    /// Takes with the Lua script from the start (for servers without GETDEL; without
    /// this it switches by itself when the server says it lacks the command).
    pub fn with_take_script(self) -> Self {
        self.use_script.store(true, Ordering::Relaxed);
        self
    }

    /// The Redis key a session key is stored under.
    pub fn redis_key(&self, key: &[u8]) -> Vec<u8> {
        self.link.key("session", key)
    }

    /// Whether the last operation found Redis down.
    pub fn is_down(&self) -> bool {
        self.link.health().is_down()
    }

    async fn take_raw(&self, name: &[u8]) -> Result<Value, LinkError> {
        if !self.use_script.load(Ordering::Relaxed) {
            let reply = self
                .link
                .run(redis::cmd("GETDEL").arg(name), "GETDEL", nil_or_bulk)
                .await;
            match reply {
                Err(e) if e.is_unknown_command() => self.use_script.store(true, Ordering::Relaxed),
                other => return other,
            }
        }
        self.link
            .run(
                redis::cmd("EVAL").arg(TAKE_SCRIPT).arg(1).arg(name),
                "EVAL",
                nil_or_bulk,
            )
            .await
    }
}

impl SessionStore for RedisSessionStore {
    fn put<'a>(&'a self, key: &'a [u8], value: &'a [u8], ttl: Duration) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            if !self.counters.fits(key, value, self.max_value_len) || ttl.is_zero() {
                return false;
            }
            let name = self.redis_key(key);
            let Some(sealed) = self.key.seal(&name, value) else {
                return false;
            };
            let ms = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            let reply = self
                .link
                .run(
                    redis::cmd("SET").arg(&name).arg(sealed).arg("PX").arg(ms),
                    "SET",
                    |v| matches!(v, Value::Okay),
                )
                .await;
            match reply {
                Ok(_) => {
                    bump(&self.counters.stored);
                    true
                }
                Err(_) => {
                    bump(&self.counters.failures);
                    false
                }
            }
        })
    }

    fn take<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Option<Secret>> {
        Box::pin(self.fetch(key, true))
    }

    fn get<'a>(&'a self, key: &'a [u8]) -> BoxFuture<'a, Option<Secret>> {
        Box::pin(self.fetch(key, false))
    }

    fn stats(&self) -> StoreStats {
        self.counters.snapshot()
    }
}

impl RedisSessionStore {
    /// `take` (atomically removing the value) or `get`, then the limits and the seal.
    async fn fetch(&self, key: &[u8], remove: bool) -> Option<Secret> {
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return self.counters.miss();
        }
        let name = self.redis_key(key);
        let reply = match remove {
            true => self.take_raw(&name).await,
            false => {
                self.link
                    .run(redis::cmd("GET").arg(&name), "GET", nil_or_bulk)
                    .await
            }
        };
        let sealed = match reply {
            Ok(Value::Nil) => return self.counters.miss(),
            Ok(Value::BulkString(b)) => b,
            Ok(_) | Err(_) => {
                bump(&self.counters.failures);
                return self.counters.miss();
            }
        };
        if sealed.len() > self.max_value_len.saturating_add(SEAL_OVERHEAD) {
            bump(&self.counters.too_large_reads);
            return self.counters.miss();
        }
        match self.key.open(&name, &sealed) {
            Some(v) => {
                bump(&self.counters.hits);
                Some(v)
            }
            None => {
                bump(&self.counters.undecryptable);
                self.counters.miss()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_twin_is_single_use_with_limits_and_ttl() {
        let s = MemorySessionStore::new(2, 8);
        assert!(s.put(b"a", b"12345678", Duration::from_secs(60)).await);
        assert!(!s.put(b"b", b"123456789", Duration::from_secs(60)).await);
        assert!(!s.put(b"", b"1", Duration::from_secs(60)).await);
        assert!(!s.put(b"c", b"1", Duration::ZERO).await);
        assert_eq!(s.take(b"a").await.unwrap().as_bytes(), b"12345678");
        assert!(s.take(b"a").await.is_none());
        assert!(s.put(b"t", b"1", Duration::from_millis(20)).await);
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert!(s.take(b"t").await.is_none(), "expired");
        for k in [b"x", b"y", b"z"] {
            assert!(s.put(k, b"v", Duration::from_secs(60)).await);
        }
        assert_eq!(s.map.lock().unwrap().len(), 2, "capacity");
        let st = s.stats();
        assert_eq!(
            (st.stored, st.hits, st.misses, st.too_large_writes),
            (5, 1, 2, 2)
        );
    }
}
