//! Ticket keys created once for the whole fleet in Redis.
//!
//! Key number `n` lives at `<prefix>ticket-key:<id>` and expires at its
//! decrypt-until time. The first server that needs it draws fresh material and
//! stores it with `SET NX`: of servers racing, exactly one write lands, and every
//! other server (and the loser of the race) reads that one. With a wrapping key the
//! material is stored sealed (AEAD, the key id as associated data), never in the
//! clear; a server with a wrapping key refuses a key stored without one.
//!
//! A key once read is cached until its decrypt-until time, so a server needs Redis
//! only once per key: Redis down costs new keys, not the ones already shared.

use std::sync::Arc;

use ferrotls::crypto::{Provider, Secret};
use redis::Value;

use super::{KeyCache, KeyId, KeySchedule, TicketKey, TicketKeyBackend, KEY_LEN};
use crate::link::{Link, LinkConfig, LinkError};
use crate::seal::FleetKey;
use crate::BoxFuture;

/// First byte of a stored key: material in the clear, or sealed under the wrapping key.
const PLAIN: u8 = 0;
const SEALED: u8 = 1;

/// What GET (or SET NX GET) may answer: nothing, or the stored bytes.
fn nil_or_bulk(v: &Value) -> bool {
    matches!(v, Value::Nil | Value::BulkString(_))
}

/// The ticket-key source shared by a fleet through Redis.
#[derive(Debug)]
pub struct RedisTicketKeys {
    link: Link,
    schedule: KeySchedule,
    wrap: Option<FleetKey>,
    provider: Provider,
    cache: KeyCache,
}

impl RedisTicketKeys {
    /// Keys on `schedule`, wrapped under `wrap` (derive it with purpose "ticket
    /// keys"; `None` stores the material in the clear: only for a Redis as private
    /// as the servers themselves).
    pub fn new(
        config: LinkConfig,
        schedule: KeySchedule,
        wrap: Option<FleetKey>,
        provider: Provider,
    ) -> Result<Self, LinkError> {
        let link = Link::new(
            config,
            "ticket-key store",
            "no new ticket keys can be shared (tickets under keys already read still work)",
        )?;
        Ok(RedisTicketKeys {
            link,
            schedule,
            wrap,
            provider,
            cache: KeyCache::default(),
        })
    }

    /// The Redis key that key `id` is stored under.
    pub fn redis_key(&self, id: KeyId) -> Vec<u8> {
        self.link.key("ticket-key", &id.0)
    }

    /// Whether the last operation found Redis down.
    pub fn is_down(&self) -> bool {
        self.link.health().is_down()
    }

    fn aad(id: KeyId) -> Vec<u8> {
        let mut aad = b"ferrotls ticket key ".to_vec();
        aad.extend_from_slice(&id.0);
        aad
    }

    fn encode(&self, id: KeyId, material: &[u8]) -> Option<Vec<u8>> {
        match &self.wrap {
            Some(wrap) => {
                let mut out = vec![SEALED];
                out.extend_from_slice(&wrap.seal(&Self::aad(id), material)?);
                Some(out)
            }
            None => {
                let mut out = vec![PLAIN];
                out.extend_from_slice(material);
                Some(out)
            }
        }
    }

    fn decode(&self, id: KeyId, stored: &[u8]) -> Option<Secret> {
        let (kind, body) = stored.split_first()?;
        let material = match (*kind, &self.wrap) {
            (SEALED, Some(wrap)) => wrap.open(&Self::aad(id), body)?,
            (PLAIN, None) => Secret::from(body),
            _ => return None,
        };
        (material.len() == KEY_LEN).then_some(material)
    }

    /// Reads key number `slot` from Redis; Ok(None) if it is not there.
    async fn read(&self, slot: u64, now: u64) -> Result<Option<Arc<TicketKey>>, LinkError> {
        let id = self.schedule.id(slot);
        match self
            .link
            .run(
                redis::cmd("GET").arg(self.redis_key(id)),
                "GET",
                nil_or_bulk,
            )
            .await?
        {
            Value::BulkString(stored) => self.accept(slot, &stored, now),
            _ => Ok(None),
        }
    }

    fn accept(
        &self,
        slot: u64,
        stored: &[u8],
        now: u64,
    ) -> Result<Option<Arc<TicketKey>>, LinkError> {
        let id = self.schedule.id(slot);
        let key = self
            .decode(id, stored)
            .and_then(|m| self.schedule.key(slot, m))
            .ok_or(LinkError::UnexpectedReply {
                command: "GET",
                reply: format!("ticket key {id} that does not open under the wrapping key"),
            })?;
        Ok(self.cache.insert(key, now))
    }

    /// Reads key number `slot`, creating it if no server has yet.
    async fn read_or_create(
        &self,
        slot: u64,
        now: u64,
    ) -> Result<Option<Arc<TicketKey>>, LinkError> {
        if let Some(key) = self.read(slot, now).await? {
            return Ok(Some(key));
        }
        let id = self.schedule.id(slot);
        let (_, _, decrypt_until) = self.schedule.windows(slot);
        let Ok(fresh) = self.provider.random_array::<KEY_LEN>() else {
            return Ok(None);
        };
        let fresh = Secret::from(fresh.as_slice());
        let Some(stored) = self.encode(id, fresh.as_bytes()) else {
            return Ok(None);
        };
        let ttl = decrypt_until.saturating_sub(now).max(1);
        // SET NX ... GET (Redis 7.0): the value already there, or nil if ours landed.
        let cmd = redis::cmd("SET")
            .arg(self.redis_key(id))
            .arg(&stored)
            .arg("NX")
            .arg("GET")
            .arg("EX")
            .arg(ttl)
            .to_owned();
        match self.link.run(&cmd, "SET NX", nil_or_bulk).await {
            Ok(Value::BulkString(theirs)) => self.accept(slot, &theirs, now),
            Ok(_) => self.accept(slot, &stored, now),
            Err(e) if e.is_refused_by_server() => {
                // A server before 7.0 refuses NX with GET: plain SET NX, then read.
                let cmd = redis::cmd("SET")
                    .arg(self.redis_key(id))
                    .arg(&stored)
                    .arg("NX")
                    .arg("EX")
                    .arg(ttl)
                    .to_owned();
                let landed = |v: &Value| matches!(v, Value::Okay | Value::Nil);
                match self.link.run(&cmd, "SET NX", landed).await? {
                    Value::Okay => self.accept(slot, &stored, now),
                    _ => self.read(slot, now).await,
                }
            }
            Err(e) => Err(e),
        }
    }
}

impl TicketKeyBackend for RedisTicketKeys {
    fn current(&self, now: u64) -> BoxFuture<'_, Option<Arc<TicketKey>>> {
        Box::pin(async move {
            let slot = self.schedule.slot(now);
            if let Some(key) = self.cache.get(self.schedule.id(slot)) {
                if key.encrypts_at(now) {
                    return Some(key);
                }
            }
            self.read_or_create(slot, now).await.ok().flatten()
        })
    }

    fn lookup(&self, id: KeyId, now: u64) -> BoxFuture<'_, Option<Arc<TicketKey>>> {
        Box::pin(async move {
            let skew = self.schedule.skew;
            if let Some(key) = self.cache.get(id) {
                return key.decrypts_at(now, skew).then_some(key);
            }
            let slot = self.schedule.slot_of(id, now);
            let (introduced, _, decrypt_until) = self.schedule.windows(slot);
            if introduced > now.saturating_add(skew) || now >= decrypt_until {
                return None;
            }
            // Only read: a key no server made never sealed a ticket.
            self.read(slot, now).await.ok().flatten()
        })
    }
}
