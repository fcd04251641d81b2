//! Server-side session state for resumption: a bounded session-ID cache and
//! encrypted, rotating session tickets (RFC 5246, 7.4.1.2; RFC 5077).

use core::fmt::Debug;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::codec::{
    put_u16, put_u32, put_u64, put_u8, put_vec_u24, put_vec_u8, with_u24_len, Reader,
};
use crate::crypto::aead::{AeadAlgorithm, AeadKey};
use crate::crypto::provider::Provider;
use crate::crypto::Secret;
use crate::msgs::enums::CipherSuite;

/// What resuming a session needs: the TLS 1.2 master secret (RFC 5246, 8.1; RFC
/// 7627, 5.3) or the TLS 1.3 resumption PSK and ticket parameters (RFC 8446, 4.6.1).
#[derive(Debug)]
pub struct StoredSession {
    pub suite: CipherSuite,
    /// TLS 1.2: the master secret. TLS 1.3: the resumption PSK.
    pub master_secret: Secret,
    pub ems: bool,
    /// Seconds since the Unix epoch when the session was created.
    pub created: u64,
    /// The server name the session was established for, if any.
    pub server_name: Option<String>,
    /// TLS 1.3: the ticket's age_add.
    pub age_add: u32,
    /// TLS 1.3: the max_early_data_size the ticket allows (0: no 0-RTT).
    pub max_early_data: u32,
    /// TLS 1.3: the ALPN protocol of the original connection (0-RTT must match it).
    pub alpn: Option<Vec<u8>>,
    /// The client's certificate chain, if it authenticated with one: a resumed
    /// connection stands for the same client (RFC 8446, 2.2).
    pub peer_certificates: Vec<Vec<u8>>,
}

impl StoredSession {
    const VERSION: u8 = 2;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_u8(&mut out, Self::VERSION);
        put_u16(&mut out, self.suite.to_wire());
        put_u8(&mut out, u8::from(self.ems));
        put_u64(&mut out, self.created);
        put_vec_u8(&mut out, self.master_secret.as_bytes());
        put_vec_u8(
            &mut out,
            self.server_name.as_deref().unwrap_or_default().as_bytes(),
        );
        put_u32(&mut out, self.age_add);
        put_u32(&mut out, self.max_early_data);
        match &self.alpn {
            Some(p) => {
                put_u8(&mut out, 1);
                put_vec_u8(&mut out, p);
            }
            None => put_u8(&mut out, 0),
        }
        with_u24_len(&mut out, |o| {
            for cert in &self.peer_certificates {
                put_vec_u24(o, cert);
            }
        });
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes, "session state");
        if r.u8("version").ok()? != Self::VERSION {
            return None;
        }
        let suite = CipherSuite::from_wire(r.u16("suite").ok()?);
        let ems = r.u8("ems").ok()? == 1;
        let created = r.u64("created").ok()?;
        let master = r.vec_u8("master").ok()?.to_vec();
        let name = r.vec_u8("server_name").ok()?;
        let age_add = r.u32("age_add").ok()?;
        let max_early_data = r.u32("max_early_data").ok()?;
        let alpn = match r.u8("alpn").ok()? {
            0 => None,
            _ => Some(r.vec_u8("alpn").ok()?.to_vec()),
        };
        let mut certs = r.sub_u24("peer_certificates").ok()?;
        let mut peer_certificates = Vec::new();
        while !certs.is_empty() {
            peer_certificates.push(certs.vec_u24("certificate").ok()?.to_vec());
        }
        r.expect_empty("session state").ok()?;
        Some(StoredSession {
            suite,
            master_secret: Secret::from(master),
            ems,
            created,
            server_name: (!name.is_empty())
                .then(|| String::from_utf8(name.to_vec()).ok())
                .flatten(),
            age_add,
            max_early_data,
            alpn,
            peer_certificates,
        })
    }
}

/// A store of sessions by ID (TLS 1.2 session IDs, TLS 1.3 stateful tickets).
/// Implementations must be thread-safe; a fleet of servers can share one behind
/// this trait. `take` must be atomic: it is what makes 0-RTT tickets single-use.
pub trait ServerSessionCache: Debug + Send + Sync {
    fn put(&self, id: Vec<u8>, session: Arc<StoredSession>);
    fn get(&self, id: &[u8]) -> Option<Arc<StoredSession>>;
    /// Removes and returns the session: a second `take` of the same ID finds nothing.
    fn take(&self, id: &[u8]) -> Option<Arc<StoredSession>>;
}

/// An in-memory cache holding the `capacity` most recently stored sessions.
#[derive(Debug)]
pub struct InMemorySessionCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

/// Sessions by ID, and the IDs in insertion order for eviction.
type CacheInner = (HashMap<Vec<u8>, Arc<StoredSession>>, VecDeque<Vec<u8>>);

impl InMemorySessionCache {
    pub fn new(capacity: usize) -> Self {
        InMemorySessionCache {
            capacity: capacity.max(1),
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }
}

impl ServerSessionCache for InMemorySessionCache {
    fn put(&self, id: Vec<u8>, session: Arc<StoredSession>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let (map, order) = &mut *inner;
        if map.insert(id.clone(), session).is_none() {
            order.push_back(id);
        }
        while order.len() > self.capacity {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    fn get(&self, id: &[u8]) -> Option<Arc<StoredSession>> {
        self.inner.lock().ok()?.0.get(id).cloned()
    }

    fn take(&self, id: &[u8]) -> Option<Arc<StoredSession>> {
        let mut inner = self.inner.lock().ok()?;
        let (map, order) = &mut *inner;
        let session = map.remove(id)?;
        order.retain(|k| k.as_slice() != id);
        Some(session)
    }
}

/// Encrypts session state into tickets under keys that rotate every `rotation`
/// seconds; tickets under the previous key are still accepted, so a ticket lives
/// between one and two rotation periods (RFC 5077, 4 and 5.5).
#[derive(Debug)]
pub struct Ticketer {
    provider: Provider,
    rotation: u64,
    keys: Mutex<Vec<TicketKey>>,
}

struct TicketKey {
    id: [u8; 4],
    key: AeadKey,
    created: u64,
}

impl Debug for TicketKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TicketKey({:02x?}, created {})", self.id, self.created)
    }
}

const NONCE_LEN: usize = 12;
const TICKET_ALG: AeadAlgorithm = AeadAlgorithm::Aes256Gcm;

impl Ticketer {
    /// A ticketer whose keys rotate every `rotation_secs` seconds (at least 60).
    pub fn new(provider: Provider, rotation_secs: u64) -> Self {
        Ticketer {
            provider,
            rotation: rotation_secs.max(60),
            keys: Mutex::new(Vec::new()),
        }
    }

    /// Seconds a ticket is announced to live (RFC 5077, 3.3 lifetime hint).
    pub fn lifetime(&self) -> u32 {
        u32::try_from(self.rotation).unwrap_or(u32::MAX)
    }

    fn now(&self) -> u64 {
        self.provider.time.now().as_secs()
    }

    /// Rotates if due and runs `f` on the current keys (newest last).
    fn with_keys<T>(&self, f: impl FnOnce(&[TicketKey]) -> T) -> Option<T> {
        let now = self.now();
        let mut keys = self.keys.lock().ok()?;
        if keys.last().is_none_or(|k| now >= k.created + self.rotation) {
            let id = self.provider.random_array::<4>().ok()?;
            let secret = self.provider.random_array::<32>().ok()?;
            let key = AeadKey::new(TICKET_ALG, &secret).ok()?;
            keys.push(TicketKey {
                id,
                key,
                created: now,
            });
        }
        // Keep the current key and the one before it.
        let excess = keys.len().saturating_sub(2);
        keys.drain(..excess);
        Some(f(&keys))
    }

    /// Seals `session` into a ticket: key id, nonce, AES-256-GCM ciphertext.
    pub fn encrypt(&self, session: &StoredSession) -> Option<Vec<u8>> {
        let nonce = self.provider.random_array::<NONCE_LEN>().ok()?;
        self.with_keys(|keys| {
            let current = keys.last()?;
            let mut sealed = session.encode();
            current
                .key
                .seal_in_place_append_tag(nonce, &current.id, &mut sealed)
                .ok()?;
            let mut out = current.id.to_vec();
            out.extend_from_slice(&nonce);
            out.extend_from_slice(&sealed);
            Some(out)
        })
        .flatten()
    }

    /// Opens a ticket; `None` for anything unknown, expired or tampered with.
    pub fn decrypt(&self, ticket: &[u8]) -> Option<StoredSession> {
        let (id, rest) = ticket.split_at_checked(4)?;
        let (nonce, sealed) = rest.split_at_checked(NONCE_LEN)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let now = self.now();
        let rotation = self.rotation;
        self.with_keys(|keys| {
            let key = keys.iter().find(|k| k.id == id)?;
            let mut buf = sealed.to_vec();
            let plain = key.key.open_in_place(nonce, id, &mut buf)?;
            let session = StoredSession::decode(plain)?;
            (now < session.created + 2 * rotation).then_some(session)
        })
        .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::UnixTime;
    use std::time::Duration;

    fn session(created: u64) -> StoredSession {
        StoredSession {
            suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
            master_secret: Secret::from(vec![7u8; 48]),
            ems: true,
            created,
            server_name: Some("example.com".into()),
            age_add: 0x01020304,
            max_early_data: 1024,
            alpn: Some(b"h2".to_vec()),
            peer_certificates: vec![vec![1, 2, 3], vec![4]],
        }
    }

    fn provider(at: u64) -> Provider {
        Provider::fixed(1, UnixTime::since_unix_epoch(Duration::from_secs(at)))
    }

    #[test]
    fn tickets_round_trip_and_reject_tampering() {
        let t = Ticketer::new(provider(1_000_000), 3600);
        let ticket = t.encrypt(&session(1_000_000)).unwrap();
        let back = t.decrypt(&ticket).unwrap();
        assert_eq!(back.master_secret.as_bytes(), &[7u8; 48]);
        assert!(back.ems);
        assert_eq!(back.server_name.as_deref(), Some("example.com"));
        assert_eq!(back.age_add, 0x01020304);
        assert_eq!(back.max_early_data, 1024);
        assert_eq!(back.alpn.as_deref(), Some(&b"h2"[..]));
        assert_eq!(back.peer_certificates, vec![vec![1, 2, 3], vec![4]]);
        for i in 0..ticket.len() {
            let mut bad = ticket.clone();
            bad[i] ^= 1;
            assert!(t.decrypt(&bad).is_none(), "byte {i}");
        }
        assert!(t.decrypt(&ticket[..10]).is_none());
        assert!(t.decrypt(&[]).is_none());
    }

    #[test]
    fn other_servers_keys_do_not_open_tickets() {
        let a = Ticketer::new(provider(1_000_000), 3600);
        let b = Ticketer::new(
            Provider::fixed(
                2,
                UnixTime::since_unix_epoch(Duration::from_secs(1_000_000)),
            ),
            3600,
        );
        let ticket = a.encrypt(&session(1_000_000)).unwrap();
        assert!(b.decrypt(&ticket).is_none());
    }

    #[test]
    fn expired_sessions_are_refused() {
        let t = Ticketer::new(provider(1_000_000), 3600);
        let ticket = t.encrypt(&session(1_000_000 - 2 * 3600)).unwrap();
        assert!(t.decrypt(&ticket).is_none());
    }

    #[test]
    fn cache_is_bounded() {
        let c = InMemorySessionCache::new(2);
        for i in 0..3u8 {
            c.put(vec![i], Arc::new(session(0)));
        }
        assert!(c.get(&[0]).is_none());
        assert!(c.get(&[1]).is_some());
        assert!(c.get(&[2]).is_some());
        assert!(c.take(&[2]).is_some());
        assert!(c.take(&[2]).is_none(), "take is single-use");
    }
}
