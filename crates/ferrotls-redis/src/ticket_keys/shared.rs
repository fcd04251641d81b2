//! The bridge from a [`TicketKeyBackend`] (async, may ask Redis or a file) to the
//! library's [`ferrotls::server::TicketKeySource`] (synchronous, asked during handshakes).
//!
//! [`SharedTicketKeys`] answers the ticketer from a cache and refreshes it in a tokio
//! task: every [`Refresh::every`] it fetches the key sealing now and the one sealing
//! [`Refresh::lookahead`] seconds from now (so the next key is there before its
//! period starts), and the keys handshakes asked for but did not find (a ticket
//! another server sealed under a key this one never read). No handshake waits: one
//! that misses a key goes on in full, and the next finds it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use ferrotls::crypto::Provider;

use super::{KeyId, TicketKey, TicketKeyBackend};

/// Most key names a refresh looks up for handshakes that missed them: a peer
/// sending tickets under made-up names cannot make the refresher do more.
pub const MAX_WANTED: usize = 16;

/// How the cache is refreshed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refresh {
    /// Time between two refreshes (at least 10 ms).
    pub every: Duration,
    /// Seconds ahead of now whose sealing key is fetched too.
    pub lookahead: u64,
    /// Seconds another server's clock may run ahead (it may already seal with a key
    /// whose period has not begun here).
    pub skew: u64,
}

impl Default for Refresh {
    /// Every second, one minute ahead, 60 s of skew.
    fn default() -> Self {
        Refresh {
            every: Duration::from_secs(1),
            lookahead: 60,
            skew: 60,
        }
    }
}

/// A key as the ticketer uses it, with its windows.
#[derive(Debug)]
struct Cached {
    key: Arc<ferrotls::server::TicketKey>,
    introduced: u64,
    encrypt_until: u64,
    decrypt_until: u64,
}

#[derive(Debug)]
struct Inner {
    backend: Arc<dyn TicketKeyBackend>,
    provider: Provider,
    refresh: Refresh,
    keys: Mutex<HashMap<KeyId, Cached>>,
    wanted: Mutex<Vec<KeyId>>,
    wake: tokio::sync::Notify,
}

/// Ticket keys from a backend, served to the ticketer from memory.
#[derive(Debug)]
pub struct SharedTicketKeys {
    inner: Arc<Inner>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for SharedTicketKeys {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Inner {
    fn now(&self) -> u64 {
        self.provider.time.now().as_secs()
    }

    fn insert(&self, key: &TicketKey) {
        let Some(lib_key) = ferrotls::server::TicketKey::new(key.id.0, key.material()) else {
            return;
        };
        let Ok(mut keys) = self.keys.lock() else {
            return;
        };
        keys.entry(key.id).or_insert_with(|| Cached {
            key: Arc::new(lib_key),
            introduced: key.introduced,
            encrypt_until: key.encrypt_until,
            decrypt_until: key.decrypt_until,
        });
    }

    async fn refresh(&self) {
        let now = self.now();
        for at in [now, now.saturating_add(self.refresh.lookahead)] {
            if let Some(key) = self.backend.current(at).await {
                self.insert(&key);
            }
        }
        let wanted = self
            .wanted
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default();
        for id in wanted {
            if let Some(key) = self.backend.lookup(id, now).await {
                self.insert(&key);
            }
        }
        if let Ok(mut keys) = self.keys.lock() {
            keys.retain(|_, k| k.decrypt_until > now);
        }
    }

    fn want(&self, id: KeyId) {
        let Ok(mut wanted) = self.wanted.lock() else {
            return;
        };
        if wanted.len() < MAX_WANTED && !wanted.contains(&id) {
            wanted.push(id);
            self.wake.notify_one();
        }
    }
}

impl SharedTicketKeys {
    /// Fills the cache once (so a server whose backend answers starts with a key),
    /// then refreshes it in a task on the current tokio runtime until dropped.
    /// `provider`'s clock is the one the ticketer's server uses.
    pub async fn start(
        backend: Arc<dyn TicketKeyBackend>,
        provider: Provider,
        refresh: Refresh,
    ) -> Arc<Self> {
        let inner = Arc::new(Inner {
            backend,
            provider,
            refresh,
            keys: Mutex::new(HashMap::new()),
            wanted: Mutex::new(Vec::new()),
            wake: tokio::sync::Notify::new(),
        });
        inner.refresh().await;
        let weak = Arc::downgrade(&inner);
        let task = tokio::spawn(refresher(
            weak,
            refresh.every.max(Duration::from_millis(10)),
        ));
        Arc::new(SharedTicketKeys {
            inner,
            task: Some(task),
        })
    }

    /// Refreshes now (what the task does on its schedule).
    pub async fn refresh(&self) {
        self.inner.refresh().await;
    }

    /// How many keys are cached.
    pub fn cached(&self) -> usize {
        self.inner.keys.lock().map(|k| k.len()).unwrap_or(0)
    }
}

async fn refresher(inner: Weak<Inner>, every: Duration) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = strong.wake.notified() => {}
        }
        strong.refresh().await;
    }
}

impl ferrotls::server::TicketKeySource for SharedTicketKeys {
    fn encrypting_key(&self, now: u64) -> Option<Arc<ferrotls::server::TicketKey>> {
        let keys = self.inner.keys.lock().ok()?;
        let key = keys
            .values()
            .filter(|k| k.introduced <= now && now < k.encrypt_until)
            .max_by_key(|k| k.introduced)
            .map(|k| k.key.clone());
        if key.is_none() {
            self.inner.wake.notify_one();
        }
        key
    }

    fn decrypting_key(&self, id: [u8; 4], now: u64) -> Option<Arc<ferrotls::server::TicketKey>> {
        let id = KeyId(id);
        let found = {
            let keys = self.inner.keys.lock().ok()?;
            keys.get(&id).map(|k| {
                let live = k.introduced <= now.saturating_add(self.inner.refresh.skew)
                    && now < k.decrypt_until;
                live.then(|| k.key.clone())
            })
        };
        match found {
            Some(live) => live,
            None => {
                self.inner.want(id);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket_keys::{KeySchedule, LocalTicketKeys};
    use ferrotls::pki_types::UnixTime;
    use ferrotls::server::TicketKeySource as _;

    #[tokio::test]
    async fn serves_from_memory_and_prefetches_the_next_key() {
        let at = |t: u64| Provider::fixed(3, UnixTime::since_unix_epoch(Duration::from_secs(t)));
        let schedule = KeySchedule {
            period: 100,
            decrypt_for: 200,
            skew: 5,
        };
        let backend = Arc::new(LocalTicketKeys::new(schedule, at(0)));
        let refresh = Refresh {
            every: Duration::from_secs(3600),
            lookahead: 30,
            skew: 5,
        };
        let keys = SharedTicketKeys::start(backend.clone(), at(1_080), refresh).await;
        assert_eq!(keys.cached(), 2, "this period's key and the next");
        let now = keys.encrypting_key(1_080).unwrap();
        assert_eq!(now.id(), schedule.id(10).0);
        let next = keys.encrypting_key(1_100).unwrap();
        assert_eq!(next.id(), schedule.id(11).0, "ready before its period");
        assert!(keys.decrypting_key(now.id(), 1_299).is_some());
        assert!(
            keys.decrypting_key(now.id(), 1_300).is_none(),
            "decrypt-until"
        );
        assert!(keys.decrypting_key(next.id(), 1_095).is_some(), "skew");
        assert!(keys.decrypting_key(next.id(), 1_094).is_none());
        assert!(keys.encrypting_key(1_200).is_none(), "not fetched yet");
        // Names asked for and missed are looked up on the next refresh, at most 16.
        for i in 0..40u8 {
            assert!(keys.decrypting_key([9, 9, 9, i], 1_080).is_none());
        }
        assert_eq!(keys.inner.wanted.lock().unwrap().len(), MAX_WANTED);
        keys.refresh().await;
        assert!(keys.inner.wanted.lock().unwrap().is_empty());
    }
}
