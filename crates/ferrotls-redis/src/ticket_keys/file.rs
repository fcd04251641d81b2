//! Ticket keys from a file the fleet distributes with its own tools, reread when
//! the file changes.
//!
//! One key a line, fields separated by blanks, `#` starts a comment:
//!
//! ```text
//! # id       introduced  encrypt-until decrypt-until material (32 bytes, hex)
//! 0000002a   1767225600  1767229200    1767268800    00112233...
//! ```
//!
//! Times are Unix seconds. A file that fails to read or parse on reload leaves the
//! keys read before in use and logs one line (and one when it reads again).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use ferrotls::crypto::Secret;

use super::{KeyId, TicketKey, TicketKeyBackend, KEY_LEN};
use crate::health::{Health, HealthLog};
use crate::BoxFuture;

/// Why a key file was not used.
#[derive(Debug)]
pub enum KeyFileError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Line {
        path: PathBuf,
        line: usize,
        problem: &'static str,
    },
    NoKeys {
        path: PathBuf,
    },
}

impl fmt::Display for KeyFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFileError::Read { path, source } => {
                write!(
                    f,
                    "cannot read ticket-key file {}: {source}",
                    path.display()
                )
            }
            KeyFileError::Line {
                path,
                line,
                problem,
            } => write!(
                f,
                "ticket-key file {}, line {line}: {problem}",
                path.display()
            ),
            KeyFileError::NoKeys { path } => {
                write!(f, "ticket-key file {} holds no key", path.display())
            }
        }
    }
}

impl std::error::Error for KeyFileError {}

fn hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Parses a key file's text.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Arc<TicketKey>>, KeyFileError> {
    let mut keys = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let err = |problem| KeyFileError::Line {
            path: path.to_owned(),
            line: n + 1,
            problem,
        };
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [id, introduced, encrypt_until, decrypt_until, material] = fields[..] else {
            return Err(err(
                "expected 5 fields: id introduced encrypt-until decrypt-until material",
            ));
        };
        let id: [u8; 4] = hex(id)
            .and_then(|v| v.try_into().ok())
            .ok_or(err("the id must be 4 bytes in hex (8 digits)"))?;
        let time = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| err("times must be Unix seconds"))
        };
        let (introduced, encrypt_until, decrypt_until) = (
            time(introduced)?,
            time(encrypt_until)?,
            time(decrypt_until)?,
        );
        let material = hex(material)
            .filter(|m| m.len() == KEY_LEN)
            .ok_or(err("the material must be 32 bytes in hex (64 digits)"))?;
        let key = TicketKey::new(
            KeyId(id),
            introduced,
            encrypt_until,
            decrypt_until,
            Secret::from(material),
        )
        .ok_or(err(
            "times must satisfy introduced < encrypt-until <= decrypt-until",
        ))?;
        if keys.iter().any(|k: &Arc<TicketKey>| k.id == key.id) {
            return Err(err("two keys with the same id"));
        }
        keys.push(Arc::new(key));
    }
    if keys.is_empty() {
        return Err(KeyFileError::NoKeys {
            path: path.to_owned(),
        });
    }
    Ok(keys)
}

#[derive(Debug)]
struct Loaded {
    keys: Vec<Arc<TicketKey>>,
    /// Modification time and length of the file the keys came from.
    stamp: Option<(SystemTime, u64)>,
    checked: Instant,
}

/// Ticket keys read from a file and reread when it changes (checked at most once
/// per `check_every`).
#[derive(Debug)]
pub struct FileTicketKeys {
    path: PathBuf,
    check_every: Duration,
    skew: u64,
    loaded: Mutex<Loaded>,
    health: Health,
}

async fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = tokio::fs::metadata(path).await.ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

async fn load(path: &Path) -> Result<Vec<Arc<TicketKey>>, KeyFileError> {
    let text = tokio::fs::read_to_string(path)
        .await
        .map_err(|source| KeyFileError::Read {
            path: path.to_owned(),
            source,
        })?;
    parse(path, &text)
}

impl FileTicketKeys {
    /// Reads `path` now (an unreadable or empty file is an error), then rereads it
    /// when it changes; `skew` as in [`super::KeySchedule::skew`].
    pub async fn open(
        path: impl Into<PathBuf>,
        check_every: Duration,
        skew: u64,
        log: Arc<dyn HealthLog>,
    ) -> Result<Self, KeyFileError> {
        let path = path.into();
        let stamp = stamp(&path).await;
        let keys = load(&path).await?;
        let health = Health::new(
            format!("ticket-key file {}", path.display()),
            "the keys read before stay in use",
            log,
        );
        Ok(FileTicketKeys {
            path,
            check_every,
            skew,
            loaded: Mutex::new(Loaded {
                keys,
                stamp,
                checked: Instant::now(),
            }),
            health,
        })
    }

    /// Rereads the file if it changed since it was last read.
    async fn refresh(&self) {
        let due = self
            .loaded
            .lock()
            .is_ok_and(|l| l.checked.elapsed() >= self.check_every);
        if !due {
            return;
        }
        let now_stamp = stamp(&self.path).await;
        let changed = match self.loaded.lock() {
            Ok(mut l) => {
                l.checked = Instant::now();
                l.stamp != now_stamp || self.health.is_down()
            }
            Err(_) => false,
        };
        if !changed {
            return;
        }
        match load(&self.path).await {
            Ok(keys) => {
                if let Ok(mut l) = self.loaded.lock() {
                    l.keys = keys;
                    l.stamp = now_stamp;
                }
                self.health.succeeded();
            }
            Err(e) => self.health.failed(&e),
        }
    }

    fn keys(&self) -> Vec<Arc<TicketKey>> {
        self.loaded
            .lock()
            .map(|l| l.keys.clone())
            .unwrap_or_default()
    }
}

impl TicketKeyBackend for FileTicketKeys {
    fn current(&self, now: u64) -> BoxFuture<'_, Option<Arc<TicketKey>>> {
        Box::pin(async move {
            self.refresh().await;
            // Of keys sealing now, the one introduced last.
            self.keys()
                .into_iter()
                .filter(|k| k.encrypts_at(now))
                .max_by_key(|k| k.introduced)
        })
    }

    fn lookup(&self, id: KeyId, now: u64) -> BoxFuture<'_, Option<Arc<TicketKey>>> {
        Box::pin(async move {
            self.refresh().await;
            self.keys()
                .into_iter()
                .find(|k| k.id == id && k.decrypts_at(now, self.skew))
        })
    }
}
