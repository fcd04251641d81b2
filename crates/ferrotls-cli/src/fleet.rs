//! `ferrotls server --ticket-keys redis://HOST:PORT|FILE`: session tickets sealed
//! under keys a fleet of servers shares (ferrotls-redis's `SharedTicketKeys`), so a
//! client that got a ticket from one server resumes on any other.
//!
//! The keys are served to handshakes from memory and refreshed by a task on the
//! server's tokio runtime; no handshake waits for Redis or the file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrotls::crypto::Provider;
use ferrotls::server::Ticketer;
use ferrotls_redis::{
    FileTicketKeys, FleetKey, KeySchedule, LinkConfig, RedisTicketKeys, Refresh, SharedTicketKeys,
    StderrLog, TicketKeyBackend,
};

/// Seconds a ticket is announced to live (and is accepted for): the library's
/// default, within the 12 hours each shared key opens tickets after it stops
/// sealing them (RFC 8446, 4.6.1: at most 7 days).
const TICKET_LIFETIME: u64 = 6 * 3600;

/// How often the key file is checked for changes.
const FILE_CHECK: Duration = Duration::from_secs(1);

/// Where the server's ticket keys come from, when a fleet shares them.
#[derive(clap::Args, Debug, Default)]
pub struct FleetKnobs {
    /// Share session-ticket keys with other servers: `redis://HOST:PORT[/DB]` (the
    /// first server to need the next key creates it there, all read it; needs
    /// --fleet-key-file), or a key FILE your own tools distribute, one key a line:
    /// `ID INTRODUCED ENCRYPT-UNTIL DECRYPT-UNTIL MATERIAL` (8 hex digits, three
    /// Unix times, 64 hex digits; reread when it changes). Tickets live 6 hours.
    #[arg(long, value_name = "URL|FILE", conflicts_with = "no_tickets")]
    pub ticket_keys: Option<String>,
    /// The fleet secret (at least 32 random bytes, in hex: `openssl rand -hex 32`)
    /// that seals ticket keys stored in Redis, so they never sit there in the clear.
    /// Every server of the fleet needs the same one.
    #[arg(long, value_name = "FILE", requires = "ticket_keys")]
    pub fleet_key_file: Option<PathBuf>,
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

impl FleetKnobs {
    /// The ticketer over the shared keys, or `None` without --ticket-keys. Runs on
    /// the server's runtime, whose task refreshes the keys from then on.
    pub async fn ticketer(&self) -> Result<Option<Arc<Ticketer>>, String> {
        let Some(spec) = &self.ticket_keys else {
            return Ok(None);
        };
        let provider = Provider::system();
        let backend: Arc<dyn TicketKeyBackend> = if is_url(spec) {
            if !spec.starts_with("redis://") && !spec.starts_with("rediss://") {
                return Err(format!(
                    "--ticket-keys {spec}: only Redis URLs are supported (redis://HOST:PORT); \
                     anything else is read as a key file"
                ));
            }
            let path = self.fleet_key_file.as_ref().ok_or_else(|| {
                format!(
                    "--ticket-keys {spec}: give --fleet-key-file FILE as well (the fleet secret \
                     in hex, `openssl rand -hex 32`), so ticket keys never sit in Redis in the clear"
                )
            })?;
            let secret = fleet_secret(path)?;
            let wrap = FleetKey::derive(&secret, "ticket keys", provider.clone())
                .map_err(|e| format!("--fleet-key-file {}: {e}", path.display()))?;
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
            if let Some(path) = &self.fleet_key_file {
                return Err(format!(
                    "--fleet-key-file {}: only used with --ticket-keys redis://...; a key file \
                     holds its keys as they are",
                    path.display()
                ));
            }
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
