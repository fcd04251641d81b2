//! One Redis connection shared by a component's operations, each under a deadline.
//!
//! The connection is the `redis` crate's tokio connection manager (multiplexed, it
//! reconnects after I/O errors by itself). Every operation runs under
//! [`LinkConfig::deadline`]: a dead, slow or garbage-speaking server costs at most that
//! long, and the caller then gives its fail-closed answer. After a failure the manager
//! is rebuilt (at most once per [`LinkConfig::retry_interval`]), so a server that
//! comes back, or one that stops speaking garbage, is used again without a restart.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Cmd, Value};

use crate::health::{Health, HealthLog, StderrLog};

/// The default per-operation deadline.
pub const DEFAULT_DEADLINE: Duration = Duration::from_millis(50);

/// Where Redis is and how long an operation may take.
#[derive(Clone, Debug)]
pub struct LinkConfig {
    /// A `redis://host:port[/db]` URL.
    pub url: String,
    /// Time one operation may take, connecting included; past it the operation
    /// fails closed.
    pub deadline: Duration,
    /// Least time between two rebuilds of the connection after failures.
    pub retry_interval: Duration,
    /// Prefix of every Redis key this crate writes (so a fleet can share a Redis
    /// with other users, or run two fleets on one).
    pub prefix: String,
    /// Where the one line per up/down change goes.
    pub log: Arc<dyn HealthLog>,
}

impl LinkConfig {
    /// `url` with the default deadline (50 ms), a 250 ms retry interval, the key
    /// prefix "ferrotls:" and state changes logged to standard error.
    pub fn new(url: &str) -> Self {
        LinkConfig {
            url: url.to_owned(),
            deadline: DEFAULT_DEADLINE,
            retry_interval: Duration::from_millis(250),
            prefix: "ferrotls:".to_owned(),
            log: Arc::new(StderrLog),
        }
    }
}

/// Why an operation on Redis failed. Every one makes the caller fail closed.
#[derive(Debug)]
pub enum LinkError {
    /// The URL does not parse as a Redis URL.
    BadUrl {
        url: String,
        source: redis::RedisError,
    },
    /// Neither a connection nor a reply within the deadline.
    Timeout { deadline: Duration },
    /// The connection could not be made or broke.
    Connection { source: redis::RedisError },
    /// Redis answered with an error, or with bytes that are not its protocol.
    Reply { source: redis::RedisError },
    /// A well-formed reply of a type the command never returns.
    UnexpectedReply {
        command: &'static str,
        reply: String,
    },
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::BadUrl { url, source } => {
                write!(
                    f,
                    "{url:?} is not a Redis URL ({source}); write redis://HOST:PORT"
                )
            }
            LinkError::Timeout { deadline } => {
                write!(f, "no reply within {} ms", deadline.as_millis())
            }
            LinkError::Connection { source } => write!(f, "connection failed: {source}"),
            LinkError::Reply { source } => write!(f, "Redis answered with an error: {source}"),
            LinkError::UnexpectedReply { command, reply } => {
                write!(f, "unexpected reply to {command}: {reply}")
            }
        }
    }
}

impl std::error::Error for LinkError {}

impl LinkError {
    fn from_redis(source: redis::RedisError) -> Self {
        if source.is_io_error() || source.is_connection_refusal() || source.is_timeout() {
            LinkError::Connection { source }
        } else {
            LinkError::Reply { source }
        }
    }

    /// Whether Redis said it does not know the command (a server older than it).
    pub fn is_unknown_command(&self) -> bool {
        match self {
            LinkError::Reply { source } => {
                source.code() == Some("ERR")
                    && source
                        .detail()
                        .is_some_and(|d| d.contains("unknown command"))
            }
            _ => false,
        }
    }

    /// Whether Redis itself answered with an error reply (as opposed to no reply, or
    /// bytes that are not its protocol).
    pub fn is_refused_by_server(&self) -> bool {
        matches!(self, LinkError::Reply { source } if source.code().is_some_and(|c| c.starts_with("ERR")))
    }

    /// An [`LinkError::UnexpectedReply`] naming the reply's shape, never its bytes
    /// (which may be a secret).
    pub fn unexpected(command: &'static str, reply: &Value) -> Self {
        let reply = match reply {
            Value::Nil => "nil".to_owned(),
            Value::Int(i) => format!("integer {i}"),
            Value::BulkString(b) => format!("a {}-byte string", b.len()),
            Value::SimpleString(s) => format!("status {s:?}"),
            Value::Okay => "OK".to_owned(),
            Value::Array(a) => format!("an array of {}", a.len()),
            _ => "a value of another type".to_owned(),
        };
        LinkError::UnexpectedReply { command, reply }
    }
}

/// A component's connection: the manager, its config and its health.
#[derive(Debug)]
pub struct Link {
    client: Client,
    config: LinkConfig,
    /// The manager, and when it was built (None before the first operation).
    manager: Mutex<Option<(ConnectionManager, Instant)>>,
    health: Health,
}

impl Link {
    /// `what` names the component in log lines ("session store"); `while_down` says
    /// what the server does without it.
    pub fn new(
        config: LinkConfig,
        what: &str,
        while_down: &'static str,
    ) -> Result<Self, LinkError> {
        let client = Client::open(config.url.as_str()).map_err(|source| LinkError::BadUrl {
            url: config.url.clone(),
            source,
        })?;
        let health = Health::new(
            format!("{what} on {}", config.url),
            while_down,
            config.log.clone(),
        );
        Ok(Link {
            client,
            config,
            manager: Mutex::new(None),
            health,
        })
    }

    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    pub fn health(&self) -> &Health {
        &self.health
    }

    /// The Redis key `name` under the configured prefix.
    pub fn key(&self, kind: &str, name: &[u8]) -> Vec<u8> {
        let mut key = format!("{}{kind}:", self.config.prefix).into_bytes();
        for b in name {
            key.extend_from_slice(format!("{b:02x}").as_bytes());
        }
        key
    }

    /// The manager to send on: built on first use (it connects lazily, inside the
    /// operation's deadline), rebuilt after a failure if `rebuild`.
    fn manager(&self, rebuild: bool) -> Option<ConnectionManager> {
        let mut slot = self.manager.lock().ok()?;
        let stale = slot
            .as_ref()
            .is_none_or(|(_, built)| rebuild && built.elapsed() >= self.config.retry_interval);
        if stale {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(self.config.deadline))
                .set_response_timeout(Some(self.config.deadline))
                .set_number_of_retries(1)
                .set_min_delay(Duration::from_millis(10))
                .set_max_delay(self.config.retry_interval);
            let manager =
                ConnectionManager::new_lazy_with_config(self.client.clone(), config).ok()?;
            *slot = Some((manager, Instant::now()));
        }
        slot.as_ref().map(|(m, _)| m.clone())
    }

    /// Runs `cmd` (named `command` in errors) under the deadline and records the
    /// outcome in the health state: a reply `expect` refuses (a server speaking
    /// garbage) is a failure like no reply, so it is logged once, not once per
    /// operation.
    pub async fn run(
        &self,
        cmd: &Cmd,
        command: &'static str,
        expect: fn(&Value) -> bool,
    ) -> Result<Value, LinkError> {
        let deadline = self.config.deadline;
        let result = tokio::time::timeout(deadline, async {
            let mut manager = self.manager(false).ok_or(LinkError::Timeout { deadline })?;
            cmd.query_async::<Value>(&mut manager)
                .await
                .map_err(LinkError::from_redis)
        })
        .await
        .unwrap_or(Err(LinkError::Timeout { deadline }))
        .and_then(|v| {
            if expect(&v) {
                Ok(v)
            } else {
                Err(LinkError::unexpected(command, &v))
            }
        });
        self.outcome(&result);
        result
    }

    /// Records an operation's outcome: an expected reply, or an error reply from
    /// Redis itself, is up; no reply or a broken one is down, and rebuilds the
    /// connection.
    fn outcome(&self, result: &Result<Value, LinkError>) {
        match result {
            Ok(_) => self.health.succeeded(),
            Err(e) if e.is_refused_by_server() => self.health.succeeded(),
            Err(e) => {
                self.health.failed(e);
                self.manager(true);
            }
        }
    }
}
