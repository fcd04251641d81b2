//! Ticket keys on a schedule shared by the fleet (the model of s2n-tls): each key has
//! an introduction time, an encrypt-until and a decrypt-until time. A server seals
//! new tickets with the current key and opens tickets with any live one (RFC 5077,
//! 5.5: keys rotate; RFC 8446, 4.6.1: a ticket outlives its key by no more than the
//! ticket lifetime).
//!
//! Three sources behind [`TicketKeyBackend`]: [`LocalTicketKeys`] (one process, keys
//! made here), [`FileTicketKeys`] (keys distributed by the fleet's own tools, reread
//! when the file changes) and [`RedisTicketKeys`] (the first server to need a key
//! creates it in Redis, everyone reads it).

mod file;
mod on_redis;
mod shared;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use ferrotls::crypto::{Provider, Secret};

use crate::BoxFuture;

pub use self::file::{FileTicketKeys, KeyFileError};
pub use self::on_redis::RedisTicketKeys;
pub use self::shared::{Refresh, SharedTicketKeys, MAX_WANTED};

/// Length of a ticket key's material (an AES-256-GCM key, as the ticketer uses).
pub const KEY_LEN: usize = 32;

/// A ticket key's name, sent in the clear at the front of each ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyId(pub [u8; 4]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

/// One ticket key and its windows, in Unix seconds.
pub struct TicketKey {
    pub id: KeyId,
    /// From when it seals tickets (and may open them).
    pub introduced: u64,
    /// Until when (exclusive) it seals new tickets.
    pub encrypt_until: u64,
    /// Until when (exclusive) it opens tickets.
    pub decrypt_until: u64,
    material: Secret,
}

impl fmt::Debug for TicketKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TicketKey({}, introduced {}, encrypts until {}, decrypts until {})",
            self.id, self.introduced, self.encrypt_until, self.decrypt_until
        )
    }
}

impl TicketKey {
    /// `None` unless the material is [`KEY_LEN`] bytes and
    /// `introduced < encrypt_until <= decrypt_until`.
    pub fn new(
        id: KeyId,
        introduced: u64,
        encrypt_until: u64,
        decrypt_until: u64,
        material: Secret,
    ) -> Option<Self> {
        (material.len() == KEY_LEN && introduced < encrypt_until && encrypt_until <= decrypt_until)
            .then_some(TicketKey {
                id,
                introduced,
                encrypt_until,
                decrypt_until,
                material,
            })
    }

    /// The AES-256-GCM key material.
    pub fn material(&self) -> &[u8] {
        self.material.as_bytes()
    }

    /// Whether it seals new tickets at `now`.
    pub fn encrypts_at(&self, now: u64) -> bool {
        self.introduced <= now && now < self.encrypt_until
    }

    /// Whether it opens tickets at `now`, allowing for servers whose clocks run up
    /// to `skew` seconds ahead (they may already seal with it).
    pub fn decrypts_at(&self, now: u64, skew: u64) -> bool {
        self.introduced <= now.saturating_add(skew) && now < self.decrypt_until
    }
}

/// Where a server gets its ticket keys.
pub trait TicketKeyBackend: fmt::Debug + Send + Sync {
    /// The key to seal a new ticket with at `now`; `None` if none can be had (the
    /// server then issues no ticket; clients fall back to full handshakes).
    fn current(&self, now: u64) -> BoxFuture<'_, Option<Arc<TicketKey>>>;
    /// The live key named `id` to open a ticket with at `now`; `None` if unknown,
    /// past its decrypt-until time, or unavailable (the handshake goes on in full).
    fn lookup(&self, id: KeyId, now: u64) -> BoxFuture<'_, Option<Arc<TicketKey>>>;
}

/// A rotation schedule every server computes alike from the clock: key number `n`
/// seals during `[n * period, (n + 1) * period)` and opens until `decrypt_for`
/// seconds later. Its id is `n` (low 32 bits, big-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySchedule {
    /// Seconds each key seals tickets (at least 1).
    pub period: u64,
    /// Seconds a key still opens tickets after it stops sealing them: the ticket
    /// lifetime the server announces should not exceed it.
    pub decrypt_for: u64,
    /// Seconds a peer server's clock may run ahead of ours.
    pub skew: u64,
}

impl Default for KeySchedule {
    /// A new key every hour, each opening tickets for 12 hours after that, 60 s skew.
    fn default() -> Self {
        KeySchedule {
            period: 3600,
            decrypt_for: 12 * 3600,
            skew: 60,
        }
    }
}

impl KeySchedule {
    fn period(&self) -> u64 {
        self.period.max(1)
    }

    /// The number of the key that seals at `now`.
    pub fn slot(&self, now: u64) -> u64 {
        now / self.period()
    }

    /// The id of key number `slot`.
    pub fn id(&self, slot: u64) -> KeyId {
        KeyId((slot as u32).to_be_bytes())
    }

    /// The key number named `id` nearest to `now`'s (ids wrap after 2^32 keys).
    pub fn slot_of(&self, id: KeyId, now: u64) -> u64 {
        let current = self.slot(now);
        let behind = (current as u32).wrapping_sub(u32::from_be_bytes(id.0)) as i32;
        current.saturating_add_signed(-i64::from(behind))
    }

    /// (introduced, encrypt_until, decrypt_until) of key number `slot`.
    pub fn windows(&self, slot: u64) -> (u64, u64, u64) {
        let introduced = slot.saturating_mul(self.period());
        let encrypt_until = introduced.saturating_add(self.period());
        (
            introduced,
            encrypt_until,
            encrypt_until.saturating_add(self.decrypt_for),
        )
    }

    /// Key number `slot` with `material`.
    pub fn key(&self, slot: u64, material: Secret) -> Option<TicketKey> {
        let (introduced, encrypt_until, decrypt_until) = self.windows(slot);
        TicketKey::new(
            self.id(slot),
            introduced,
            encrypt_until,
            decrypt_until,
            material,
        )
    }
}

/// Keys by id, dropping those past their decrypt-until time.
#[derive(Debug, Default)]
struct KeyCache(Mutex<HashMap<KeyId, Arc<TicketKey>>>);

impl KeyCache {
    fn get(&self, id: KeyId) -> Option<Arc<TicketKey>> {
        self.0.lock().ok()?.get(&id).cloned()
    }

    fn insert(&self, key: TicketKey, now: u64) -> Option<Arc<TicketKey>> {
        let mut map = self.0.lock().ok()?;
        map.retain(|_, k| k.decrypt_until > now);
        // A key already cached under this id wins: every caller sees one key per id.
        Some(map.entry(key.id).or_insert_with(|| Arc::new(key)).clone())
    }
}

/// Keys made in this process on a [`KeySchedule`]: today's behaviour of a single
/// server (tickets do not open on another server).
#[derive(Debug)]
pub struct LocalTicketKeys {
    schedule: KeySchedule,
    provider: Provider,
    cache: KeyCache,
}

impl LocalTicketKeys {
    pub fn new(schedule: KeySchedule, provider: Provider) -> Self {
        LocalTicketKeys {
            schedule,
            provider,
            cache: KeyCache::default(),
        }
    }

    fn make(&self, slot: u64, now: u64) -> Option<Arc<TicketKey>> {
        let id = self.schedule.id(slot);
        if let Some(k) = self.cache.get(id) {
            return Some(k);
        }
        let material = Secret::from(self.provider.random_array::<KEY_LEN>().ok()?.as_slice());
        self.cache.insert(self.schedule.key(slot, material)?, now)
    }
}

impl TicketKeyBackend for LocalTicketKeys {
    fn current(&self, now: u64) -> BoxFuture<'_, Option<Arc<TicketKey>>> {
        Box::pin(async move { self.make(self.schedule.slot(now), now) })
    }

    fn lookup(&self, id: KeyId, now: u64) -> BoxFuture<'_, Option<Arc<TicketKey>>> {
        Box::pin(async move {
            self.cache
                .get(id)
                .filter(|k| k.decrypts_at(now, self.schedule.skew))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_windows_and_ids() {
        let s = KeySchedule {
            period: 100,
            decrypt_for: 250,
            skew: 10,
        };
        assert_eq!(s.slot(1_099), 10);
        assert_eq!(s.windows(10), (1_000, 1_100, 1_350));
        assert_eq!(s.id(10), KeyId([0, 0, 0, 10]));
        assert_eq!(s.slot_of(KeyId([0, 0, 0, 9]), 1_050), 9);
        assert_eq!(s.slot_of(KeyId([0, 0, 0, 11]), 1_050), 11);
        let big = (1u64 << 32) + 5;
        assert_eq!(
            s.slot_of(s.id(big - 7), big * 100),
            big - 7,
            "across the wrap"
        );
        let k = s.key(10, Secret::from(vec![1u8; 32])).unwrap();
        assert!(!k.encrypts_at(999) && k.encrypts_at(1_000) && !k.encrypts_at(1_100));
        assert!(k.decrypts_at(990, 10) && !k.decrypts_at(989, 10));
        assert!(k.decrypts_at(1_349, 10) && !k.decrypts_at(1_350, 10));
        assert!(s.key(10, Secret::from(vec![1u8; 31])).is_none());
        assert_eq!(
            format!("{k:?}"),
            "TicketKey(0000000a, introduced 1000, encrypts until 1100, decrypts until 1350)"
        );
    }

    #[tokio::test]
    async fn local_keys_rotate_and_expire() {
        let s = KeySchedule {
            period: 100,
            decrypt_for: 200,
            skew: 0,
        };
        let keys = LocalTicketKeys::new(s, Provider::system());
        let a = keys.current(1_000).await.unwrap();
        assert!(Arc::ptr_eq(&a, &keys.current(1_099).await.unwrap()));
        let b = keys.current(1_100).await.unwrap();
        assert_ne!(a.id, b.id);
        assert_ne!(a.material(), b.material());
        assert!(keys.lookup(a.id, 1_299).await.is_some());
        assert!(keys.lookup(a.id, 1_300).await.is_none());
        assert!(keys.lookup(KeyId([9; 4]), 1_100).await.is_none());
    }
}
