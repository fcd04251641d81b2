//! The fleet flags of `ferrotls server`:
//!
//! - `--ticket-keys redis://HOST:PORT|FILE`: session tickets sealed under keys a
//!   fleet of servers shares (ferrotls-redis's `SharedTicketKeys`), so a client that
//!   got a ticket from one server resumes on any other. The keys are served to
//!   handshakes from memory and refreshed by a task on the server's tokio runtime.
//! - `--session-store redis://HOST:PORT`: TLS 1.2 session IDs and the single-use
//!   TLS 1.3 tickets of --early-data kept in Redis, sealed under the fleet key, and
//!   0-RTT ClientHellos recorded there (RFC 8446, 8.2), so early data replayed to
//!   any server of the fleet is refused. Lookups pause the handshake (its task
//!   waits, not a thread); writes go on in the background.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrotls::crypto::Provider;
use ferrotls::server::{ServerConfigBuilder, Ticketer};
use ferrotls_redis::{
    FileTicketKeys, FleetHooks, FleetKey, KeySchedule, LinkConfig, RedisReplayGuard,
    RedisSessionStore, RedisTicketKeys, Refresh, SharedTicketKeys, StderrLog, TicketKeyBackend,
};
use ferrotls_tokio::pause::AsyncHandlers;

/// Seconds a ticket is announced to live (and is accepted for): the library's
/// default, within the 12 hours each shared key opens tickets after it stops
/// sealing them (RFC 8446, 4.6.1: at most 7 days). Sessions in the store live as long.
const TICKET_LIFETIME: u64 = 6 * 3600;

/// How often the key file is checked for changes.
const FILE_CHECK: Duration = Duration::from_secs(1);

/// Where the server's ticket keys and sessions live, when a fleet shares them.
#[derive(clap::Args, Debug, Default)]
pub struct FleetKnobs {
    /// Share session-ticket keys with other servers: `redis://HOST:PORT[/DB]` (the
    /// first server to need the next key creates it there, all read it; needs
    /// --fleet-key-file), or a key FILE your own tools distribute, one key a line:
    /// `ID INTRODUCED ENCRYPT-UNTIL DECRYPT-UNTIL MATERIAL` (8 hex digits, three
    /// Unix times, 64 hex digits; reread when it changes). Tickets live 6 hours.
    #[arg(long, value_name = "URL|FILE", conflicts_with = "no_tickets")]
    pub ticket_keys: Option<String>,
    /// Share sessions with other servers through Redis, `redis://HOST:PORT[/DB]`:
    /// TLS 1.2 session IDs and the single-use tickets of --early-data, sealed under
    /// the fleet key (needs --fleet-key-file), and the ClientHellos of 0-RTT, so
    /// early data replayed to any server of the fleet is refused. Redis down or
    /// slow (50 ms): full handshakes and no early data, never a failed one.
    #[arg(long, value_name = "URL", conflicts_with = "session_cache")]
    pub session_store: Option<String>,
    /// The fleet secret (at least 32 random bytes, in hex: `openssl rand -hex 32`)
    /// that seals ticket keys and sessions stored in Redis, so they never sit there
    /// in the clear. Every server of the fleet needs the same one.
    #[arg(long, value_name = "FILE")]
    pub fleet_key_file: Option<PathBuf>,
}

/// What the fleet flags made: the shared ticketer and the session hooks.
#[derive(Default)]
pub struct Fleet {
    ticketer: Option<Arc<Ticketer>>,
    hooks: Option<FleetHooks>,
}

impl Fleet {
    /// The server configuration with the shared ticketer and session store.
    pub fn apply(&self, mut builder: ServerConfigBuilder) -> ServerConfigBuilder {
        if let Some(ticketer) = &self.ticketer {
            builder = builder.ticketer(ticketer.clone());
        }
        match &self.hooks {
            Some(hooks) => hooks.apply(builder),
            None => builder,
        }
    }

    /// The acceptor's answers to the session lookups and replay checks.
    pub fn handlers(&self) -> AsyncHandlers {
        match &self.hooks {
            Some(hooks) => hooks.handlers(),
            None => AsyncHandlers::new(),
        }
    }
}

/// Whether `--ticket-keys` names Redis (or some other URL) rather than a file.
fn is_url(spec: &str) -> bool {
    spec.contains("://")
}

/// The fleet secret in `path`: hex digits, whitespace around them ignored.
fn fleet_secret(path: &Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--fleet-key-file {}: cannot read it: {e}", path.display()))?;
    let digits = text.trim();
    let bytes: Option<Vec<u8>> = (digits.len() % 2 == 0)
        .then(|| {
            (0..digits.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten();
    bytes.filter(|b| !b.is_empty()).ok_or_else(|| {
        format!(
            "--fleet-key-file {}: expected the fleet secret in hex; make one with `openssl rand -hex 32 > {}`",
            path.display(),
            path.display()
        )
    })
}

/// `spec` if it is a Redis URL; else why not, for `flag`.
fn redis_url<'a>(flag: &str, spec: &'a str) -> Result<&'a str, String> {
    if spec.starts_with("redis://") || spec.starts_with("rediss://") {
        return Ok(spec);
    }
    Err(format!(
        "{flag} {spec}: only Redis URLs are supported (redis://HOST:PORT){}",
        if flag == "--ticket-keys" {
            "; anything else is read as a key file"
        } else {
            ""
        }
    ))
}

impl FleetKnobs {
    /// The shared ticketer and session hooks the flags ask for. Runs on the
    /// server's runtime, whose tasks refresh the keys and write sessions from then on.
    pub async fn start(&self) -> Result<Fleet, String> {
        if let (Some(path), None, false) = (
            &self.fleet_key_file,
            &self.session_store,
            self.ticket_keys.as_deref().is_some_and(is_url),
        ) {
            return Err(format!(
                "--fleet-key-file {}: only used with --ticket-keys redis://... or \
                 --session-store redis://...; a key file holds its keys as they are",
                path.display()
            ));
        }
        Ok(Fleet {
            ticketer: self.ticketer().await?,
            hooks: self.hooks()?,
        })
    }

    /// The fleet key for `purpose`, from --fleet-key-file, which `flag` needs.
    fn fleet_key(&self, flag: &str, spec: &str, purpose: &str) -> Result<FleetKey, String> {
        let path = self.fleet_key_file.as_ref().ok_or_else(|| {
            format!(
                "{flag} {spec}: give --fleet-key-file FILE as well (the fleet secret \
                 in hex, `openssl rand -hex 32`), so {purpose} never sit in Redis in the clear"
            )
        })?;
        let secret = fleet_secret(path)?;
        FleetKey::derive(&secret, purpose, Provider::system())
            .map_err(|e| format!("--fleet-key-file {}: {e}", path.display()))
    }

    /// The session store and replay guard on Redis, or `None` without --session-store.
    fn hooks(&self) -> Result<Option<FleetHooks>, String> {
        let Some(spec) = &self.session_store else {
            return Ok(None);
        };
        let url = redis_url("--session-store", spec)?;
        let key = self.fleet_key("--session-store", spec, "sessions")?;
        let store = RedisSessionStore::new(LinkConfig::new(url), key)
            .map_err(|e| format!("--session-store: {e}"))?;
        let guard = RedisReplayGuard::new(LinkConfig::new(url))
            .map_err(|e| format!("--session-store: {e}"))?;
        eprintln!(
            "Sessions: shared through Redis at {url}, sealed under the fleet key; 0-RTT \
             ClientHellos recorded there."
        );
        Ok(Some(FleetHooks::new(
            Arc::new(store),
            Arc::new(guard),
            Duration::from_secs(TICKET_LIFETIME),
            tokio::runtime::Handle::current(),
        )))
    }

    /// The ticketer over the shared keys, or `None` without --ticket-keys.
    async fn ticketer(&self) -> Result<Option<Arc<Ticketer>>, String> {
        let Some(spec) = &self.ticket_keys else {
            return Ok(None);
        };
        let provider = Provider::system();
        let backend: Arc<dyn TicketKeyBackend> = if is_url(spec) {
            redis_url("--ticket-keys", spec)?;
            let wrap = self.fleet_key("--ticket-keys", spec, "ticket keys")?;
            let path = self.fleet_key_file.as_deref().unwrap_or(Path::new(""));
            let keys = RedisTicketKeys::new(
                LinkConfig::new(spec),
                KeySchedule::default(),
                Some(wrap),
                provider.clone(),
            )
            .map_err(|e| format!("--ticket-keys: {e}"))?;
            eprintln!(
                "Ticket keys: shared through Redis at {spec}, sealed under the fleet key from {}.",
                path.display()
            );
            Arc::new(keys)
        } else {
            let keys = FileTicketKeys::open(
                spec,
                FILE_CHECK,
                Refresh::default().skew,
                Arc::new(StderrLog),
            )
            .await
            .map_err(|e| format!("--ticket-keys: {e}"))?;
            eprintln!("Ticket keys: from {spec}, reread when it changes.");
            Arc::new(keys)
        };
        let keys = SharedTicketKeys::start(backend, provider.clone(), Refresh::default()).await;
        Ok(Some(Arc::new(Ticketer::with_source(
            provider,
            keys,
            TICKET_LIFETIME,
        ))))
    }
}
