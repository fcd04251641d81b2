//! 0-RTT anti-replay across the fleet by ClientHello recording (RFC 8446, 8.2).
//!
//! The server records a digest of the ClientHello's PSK binder for the freshness
//! window (8.3: a ClientHello older than the window is refused by its ticket age, so
//! the record need not outlive it). A digest already recorded, by any server, means
//! a replay: the early data is rejected and the handshake goes on as 1-RTT. When the
//! record cannot be made (Redis down, slow or answering garbage) the answer is also
//! "not first use": fail closed.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::Value;

use crate::link::{Link, LinkConfig, LinkError};
use crate::BoxFuture;

/// Longest digest accepted (SHA-512 size); a longer one is refused.
pub const MAX_DIGEST_LEN: usize = 64;

/// Records ClientHellos for the freshness window.
pub trait ReplayGuard: Debug + Send + Sync {
    /// `true` only if `digest` (of the PSK binder) was not seen within `window` by
    /// any server sharing this guard, and is now recorded until the window ends.
    /// `false` means: reject the early data.
    fn first_use<'a>(&'a self, digest: &'a [u8], window: Duration) -> BoxFuture<'a, bool>;
}

fn acceptable(digest: &[u8], window: Duration) -> bool {
    !digest.is_empty() && digest.len() <= MAX_DIGEST_LEN && !window.is_zero()
}

/// The one-process twin of [`RedisReplayGuard`]. When full of live records it
/// answers `false` (rejecting early data) rather than forgetting one.
#[derive(Debug)]
pub struct MemoryReplayGuard {
    capacity: usize,
    seen: Mutex<HashMap<Vec<u8>, Instant>>,
}

impl MemoryReplayGuard {
    pub fn new(capacity: usize) -> Self {
        MemoryReplayGuard {
            capacity: capacity.max(1),
            seen: Mutex::new(HashMap::new()),
        }
    }
}

impl ReplayGuard for MemoryReplayGuard {
    fn first_use<'a>(&'a self, digest: &'a [u8], window: Duration) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            if !acceptable(digest, window) {
                return false;
            }
            let Ok(mut seen) = self.seen.lock() else {
                return false;
            };
            let now = Instant::now();
            if seen.get(digest).is_some_and(|until| *until > now) {
                return false;
            }
            if seen.len() >= self.capacity {
                seen.retain(|_, until| *until > now);
                if seen.len() >= self.capacity {
                    return false;
                }
            }
            seen.insert(digest.to_vec(), now + window);
            true
        })
    }
}

/// The replay guard on Redis: `SET <prefix>replay:<digest> 1 NX PX <window>`.
#[derive(Debug)]
pub struct RedisReplayGuard {
    link: Link,
}

impl RedisReplayGuard {
    pub fn new(config: LinkConfig) -> Result<Self, LinkError> {
        let link = Link::new(config, "0-RTT replay guard", "all early data is rejected")?;
        Ok(RedisReplayGuard { link })
    }

    /// The Redis key a digest is recorded under.
    pub fn redis_key(&self, digest: &[u8]) -> Vec<u8> {
        self.link.key("replay", digest)
    }

    /// Whether the last operation found Redis down.
    pub fn is_down(&self) -> bool {
        self.link.health().is_down()
    }
}

impl ReplayGuard for RedisReplayGuard {
    fn first_use<'a>(&'a self, digest: &'a [u8], window: Duration) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            if !acceptable(digest, window) {
                return false;
            }
            let ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
            let cmd = redis::cmd("SET")
                .arg(self.redis_key(digest))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .to_owned();
            let reply = self
                .link
                .run(&cmd, "SET NX", |v| matches!(v, Value::Okay | Value::Nil))
                .await;
            // Recorded now, or already recorded, or unknown: only the first is "first".
            matches!(reply, Ok(Value::Okay))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_twin_first_use_only_within_window() {
        let g = MemoryReplayGuard::new(2);
        let w = Duration::from_millis(30);
        assert!(g.first_use(b"a", w).await);
        assert!(!g.first_use(b"a", w).await);
        assert!(!g.first_use(b"", w).await);
        assert!(!g.first_use(&[0; 65], w).await);
        assert!(!g.first_use(b"z", Duration::ZERO).await);
        assert!(g.first_use(b"b", w).await);
        assert!(!g.first_use(b"c", w).await, "full of live records: reject");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(g.first_use(b"a", w).await, "window over");
        assert!(g.first_use(b"c", w).await);
    }
}
