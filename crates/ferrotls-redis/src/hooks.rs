//! The fleet stores as the hooks of a ferrotls server: a session cache whose
//! lookups pause the handshake (`ferrotls::server::ServerSessionCache::pauses`) and
//! an anti-replay guard that pauses too (`ferrotls::server::AntiReplay::pauses`),
//! answered by ferrotls-tokio's acceptor from the shared [`SessionStore`] and
//! [`ReplayGuard`]. No thread waits on Redis: the handshake's task does.
//!
//! ```no_run
//! # async fn demo(config: ferrotls::server::ServerConfigBuilder, store: std::sync::Arc<dyn ferrotls_redis::SessionStore>, guard: std::sync::Arc<dyn ferrotls_redis::ReplayGuard>) {
//! use std::time::Duration;
//! use ferrotls_redis::FleetHooks;
//!
//! let hooks = FleetHooks::new(store, guard, Duration::from_secs(6 * 3600), tokio::runtime::Handle::current());
//! let config = hooks.apply(config).max_early_data(16384).build().unwrap();
//! let acceptor = ferrotls_tokio::TlsAcceptor::from(config).with_handlers(hooks.handlers());
//! # let _ = acceptor;
//! # }
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrotls::server::{AntiReplay, ServerConfigBuilder, ServerSessionCache, StoredSession};
use ferrotls_tokio::pause::{AsyncAntiReplay, AsyncHandlers, AsyncSessionStore};
use tokio::runtime::Handle;
use tokio::sync::Semaphore;

use crate::replay::ReplayGuard;
use crate::session_store::SessionStore;

/// Most session writes in flight at once. Beyond it a write is dropped (and
/// counted), so a flood of handshakes cannot pile up tasks waiting on a slow Redis;
/// each write also ends at the link's deadline.
pub const MAX_PENDING_WRITES: usize = 1024;

/// A [`SessionStore`] as a server's session cache: lookups pause the handshake and
/// are answered by [`AsyncSessionStore`]; new sessions are written by a task in the
/// background, so the handshake that made them does not wait.
#[derive(Clone)]
pub struct FleetSessions {
    store: Arc<dyn SessionStore>,
    lifetime: Duration,
    runtime: Handle,
    writes: Arc<Semaphore>,
    dropped: Arc<AtomicU64>,
}

impl fmt::Debug for FleetSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetSessions")
            .field("store", &self.store)
            .field("lifetime", &self.lifetime)
            .field("dropped_writes", &self.dropped_writes())
            .finish()
    }
}

impl FleetSessions {
    /// Sessions kept in `store` for `lifetime` (their TTL there), written by tasks
    /// spawned on `runtime`.
    pub fn new(store: Arc<dyn SessionStore>, lifetime: Duration, runtime: Handle) -> Self {
        FleetSessions {
            store,
            lifetime,
            runtime,
            writes: Arc::new(Semaphore::new(MAX_PENDING_WRITES)),
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The store's counts.
    pub fn stats(&self) -> crate::StoreStats {
        self.store.stats()
    }

    /// Writes dropped because [`MAX_PENDING_WRITES`] were already in flight.
    pub fn dropped_writes(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The session under `id`, taken or read.
    async fn load(&self, id: &[u8], take: bool) -> Option<Arc<StoredSession>> {
        let bytes = match take {
            true => self.store.take(id).await?,
            false => self.store.get(id).await?,
        };
        StoredSession::from_bytes(bytes.as_bytes()).map(Arc::new)
    }
}

impl ServerSessionCache for FleetSessions {
    fn put(&self, id: Vec<u8>, session: Arc<StoredSession>) {
        let Some(bytes) = session.to_bytes() else {
            return;
        };
        let Ok(permit) = self.writes.clone().try_acquire_owned() else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let store = self.store.clone();
        let ttl = self.lifetime;
        self.runtime.spawn(async move {
            store.put(&id, bytes.as_bytes(), ttl).await;
            drop(permit);
        });
    }

    /// Never called: lookups pause and are answered by [`AsyncSessionStore::get`].
    fn get(&self, _id: &[u8]) -> Option<Arc<StoredSession>> {
        None
    }

    /// Never called: takes pause and are answered by [`AsyncSessionStore::take`].
    fn take(&self, _id: &[u8]) -> Option<Arc<StoredSession>> {
        None
    }

    fn pauses(&self) -> bool {
        true
    }
}

impl AsyncSessionStore for FleetSessions {
    async fn get(&self, id: Vec<u8>) -> Option<Arc<StoredSession>> {
        self.load(&id, false).await
    }

    async fn take(&self, id: Vec<u8>) -> Option<Arc<StoredSession>> {
        self.load(&id, true).await
    }
}

/// A [`ReplayGuard`] as a server's anti-replay guard (RFC 8446, 8.2): the check
/// pauses the handshake and is answered by [`AsyncAntiReplay`]. A guard that cannot
/// tell (Redis down or slow) says "seen", so the early data is refused.
#[derive(Clone, Debug)]
pub struct FleetAntiReplay {
    guard: Arc<dyn ReplayGuard>,
}

impl FleetAntiReplay {
    pub fn new(guard: Arc<dyn ReplayGuard>) -> Self {
        FleetAntiReplay { guard }
    }
}

impl AntiReplay for FleetAntiReplay {
    /// Never called: the check pauses and is answered by [`AsyncAntiReplay`].
    fn first_seen(&self, _digest: &[u8], _window_ms: u64) -> bool {
        false
    }

    fn pauses(&self) -> bool {
        true
    }
}

impl AsyncAntiReplay for FleetAntiReplay {
    async fn first_seen(&self, digest: Vec<u8>, window_ms: u64) -> Result<bool, String> {
        Ok(self
            .guard
            .first_use(&digest, Duration::from_millis(window_ms))
            .await)
    }
}

/// Both hooks, for a server configuration and its acceptor.
#[derive(Clone, Debug)]
pub struct FleetHooks {
    pub sessions: FleetSessions,
    pub replay: FleetAntiReplay,
}

impl FleetHooks {
    /// Sessions in `store` for `lifetime`, ClientHellos recorded in `guard`.
    pub fn new(
        store: Arc<dyn SessionStore>,
        guard: Arc<dyn ReplayGuard>,
        lifetime: Duration,
        runtime: Handle,
    ) -> Self {
        FleetHooks {
            sessions: FleetSessions::new(store, lifetime, runtime),
            replay: FleetAntiReplay::new(guard),
        }
    }

    /// The configuration with the shared session cache and anti-replay guard.
    pub fn apply(&self, builder: ServerConfigBuilder) -> ServerConfigBuilder {
        builder
            .session_cache(Arc::new(self.sessions.clone()))
            .anti_replay(Arc::new(self.replay.clone()))
    }

    /// The acceptor's handlers that answer the paused lookups.
    pub fn handlers(&self) -> AsyncHandlers {
        self.with_handlers(AsyncHandlers::new())
    }

    /// `handlers` with the session store and anti-replay answers added.
    pub fn with_handlers(&self, handlers: AsyncHandlers) -> AsyncHandlers {
        handlers
            .session_store(self.sessions.clone())
            .anti_replay(self.replay.clone())
    }
}
