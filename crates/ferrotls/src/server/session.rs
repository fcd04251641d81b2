//! Server-side session state for resumption: a bounded session-ID cache and
//! encrypted, rotating session tickets (RFC 5246, 7.4.1.2; RFC 5077).

use core::fmt::Debug;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use zeroize::Zeroize;

use crate::codec::{
    put_u16, put_u32, put_u64, put_u8, put_vec_u24, put_vec_u8, with_u24_len, Reader,
};
use crate::crypto::aead::{AeadAlgorithm, AeadKey, TAG_LEN};
use crate::crypto::provider::{Provider, RandomSource};
use crate::crypto::Secret;
use crate::msgs::enums::CipherSuite;
use rustls_pki_types::CertificateDer;

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

/// The largest session encoding kept for resumption, a client's certificate chain
/// included. A ticket travels back in a ClientHello, whose extensions share one
/// 2^16-1 length with the rest (RFC 5077, 3.2; RFC 8446, 4.2.11): a session larger
/// than this gets no ticket and no cache entry, and the client a full handshake.
pub(crate) const MAX_SESSION_LEN: usize = 16 * 1024;

impl StoredSession {
    const VERSION: u8 = 2;

    /// A client certificate chain as sessions store it.
    pub(crate) fn chain_to_store(chain: &[CertificateDer<'_>]) -> Vec<Vec<u8>> {
        chain.iter().map(|c| c.as_ref().to_vec()).collect()
    }

    /// The stored client certificate chain, as a connection reports it.
    pub(crate) fn chain(&self) -> Vec<CertificateDer<'static>> {
        self.peer_certificates
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect()
    }

    /// Whether the session is small enough to ticket or cache ([`MAX_SESSION_LEN`]).
    pub(crate) fn fits_for_resumption(&self) -> bool {
        self.encoded_len() <= MAX_SESSION_LEN
    }

    /// The session as bytes, for a store outside the process (which must keep them
    /// secret: they hold the master secret or resumption PSK). `None` for a session
    /// too large to resume (over 16 KiB encoded).
    pub fn to_bytes(&self) -> Option<Secret> {
        if !self.fits_for_resumption() {
            return None;
        }
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        Some(Secret::from(out))
    }

    /// The inverse of [`Self::to_bytes`]: `None` for anything that is not a whole
    /// session encoding of this version.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > MAX_SESSION_LEN {
            return None;
        }
        Self::decode(bytes)
    }

    /// Bytes [`Self::encode_into`] writes.
    fn encoded_len(&self) -> usize {
        let name = self.server_name.as_deref().map_or(0, str::len);
        let alpn = self.alpn.as_ref().map_or(0, |p| 1 + p.len());
        let certs: usize = self.peer_certificates.iter().map(|c| 3 + c.len()).sum();
        1 + 2 + 1 + 8 + (1 + self.master_secret.len()) + (1 + name) + 4 + 4 + (1 + alpn) + 3 + certs
    }

    fn encode_into(&self, out: &mut Vec<u8>) {
        put_u8(out, Self::VERSION);
        put_u16(out, self.suite.to_wire());
        put_u8(out, u8::from(self.ems));
        put_u64(out, self.created);
        put_vec_u8(out, self.master_secret.as_bytes());
        put_vec_u8(
            out,
            self.server_name.as_deref().unwrap_or_default().as_bytes(),
        );
        put_u32(out, self.age_add);
        put_u32(out, self.max_early_data);
        match &self.alpn {
            Some(p) => {
                put_u8(out, 1);
                put_vec_u8(out, p);
            }
            None => put_u8(out, 0),
        }
        with_u24_len(out, |o| {
            for cert in &self.peer_certificates {
                put_vec_u24(o, cert);
            }
        });
    }

    /// The inverse of [`Self::encode_into`]; `None` for any other version, any
    /// length that overruns, a flag other than 0 or 1, an empty certificate, or
    /// trailing bytes. Nothing is allocated beyond what `bytes` holds.
    fn decode(bytes: &[u8]) -> Option<Self> {
        let flag = |b: u8| match b {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        };
        let mut r = Reader::new(bytes, "session state");
        if r.u8("version").ok()? != Self::VERSION {
            return None;
        }
        let suite = CipherSuite::from_wire(r.u16("suite").ok()?);
        let ems = flag(r.u8("ems").ok()?)?;
        let created = r.u64("created").ok()?;
        let master = r.vec_u8("master").ok()?.to_vec();
        let name = r.vec_u8("server_name").ok()?;
        let server_name = match name {
            [] => None,
            _ => Some(String::from_utf8(name.to_vec()).ok()?),
        };
        let age_add = r.u32("age_add").ok()?;
        let max_early_data = r.u32("max_early_data").ok()?;
        let alpn = match flag(r.u8("alpn").ok()?)? {
            false => None,
            true => Some(r.vec_u8("alpn").ok()?.to_vec()),
        };
        let mut certs = r.sub_u24("peer_certificates").ok()?;
        let mut peer_certificates = Vec::new();
        while !certs.is_empty() {
            let cert = certs.vec_u24("certificate").ok()?;
            if cert.is_empty() {
                return None;
            }
            peer_certificates.push(cert.to_vec());
        }
        r.expect_empty("session state").ok()?;
        Some(StoredSession {
            suite,
            master_secret: Secret::from(master),
            ems,
            created,
            server_name,
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

    /// Whether lookups pause the handshake instead of calling the store, for a
    /// store across the network: TLS 1.2 session IDs
    /// (`pause::Operation::LookupSession`, instead of `get`) and TLS 1.3 stateful
    /// tickets (`pause::Operation::TakeSession`, instead of `take`). `put` is
    /// still called at once (send it on in the background). No by default.
    fn pauses(&self) -> bool {
        false
    }
}

/// 0-RTT anti-replay by ClientHello recording (RFC 8446, 8.2): remembers the
/// digest of each ClientHello's first PSK binder that offers early data, for
/// `window_ms`, so that a ClientHello replayed to this server (or, with a shared
/// implementation, to any server of a fleet) gets no early data. Checked in
/// addition to single-use tickets; a replayed handshake still completes as 1-RTT.
pub trait AntiReplay: Debug + Send + Sync {
    /// Records `digest`; true if it was not seen within the window (then early
    /// data may be accepted). An implementation that cannot tell says false.
    fn first_seen(&self, digest: &[u8], window_ms: u64) -> bool;

    /// Whether the check pauses the handshake (`pause::Operation::CheckReplay`)
    /// instead of calling `first_seen`, for a store across the network. No by
    /// default.
    fn pauses(&self) -> bool {
        false
    }
}

/// An in-memory cache holding the `capacity` most recently stored sessions.
#[derive(Debug)]
pub struct InMemorySessionCache {
    capacity: usize,
    inner: Mutex<CacheInner>,
}

/// Sessions by ID, each with the number of the `put` that stored it, and the IDs in
/// the order they were stored. An `order` entry whose number is no longer the map's
/// was taken or stored again since, and is skipped: `take` is O(1).
#[derive(Debug)]
struct CacheInner {
    map: HashMap<Vec<u8>, (u64, Arc<StoredSession>), IdHashState>,
    order: VecDeque<(u64, Vec<u8>)>,
    puts: u64,
}

impl CacheInner {
    fn is_current(&self, (n, id): &(u64, Vec<u8>)) -> bool {
        self.map.get(id).is_some_and(|(m, _)| m == n)
    }
}

impl InMemorySessionCache {
    pub fn new(capacity: usize) -> Self {
        InMemorySessionCache {
            capacity: capacity.max(1),
            inner: Mutex::new(CacheInner {
                map: HashMap::with_hasher(IdHashState::new()),
                order: VecDeque::new(),
                puts: 0,
            }),
        }
    }
}

impl ServerSessionCache for InMemorySessionCache {
    fn put(&self, id: Vec<u8>, session: Arc<StoredSession>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        inner.puts += 1;
        let n = inner.puts;
        inner.map.insert(id.clone(), (n, session));
        inner.order.push_back((n, id));
        while inner.map.len() > self.capacity {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if inner.is_current(&oldest) {
                inner.map.remove(&oldest.1);
            }
        }
        // Entries left behind by `take` and by storing an ID again are dropped once
        // they outnumber the live ones: amortized O(1) per call.
        if inner.order.len() > 2 * inner.map.len() + 16 {
            let order = std::mem::take(&mut inner.order);
            inner.order = order.into_iter().filter(|e| inner.is_current(e)).collect();
        }
    }

    fn get(&self, id: &[u8]) -> Option<Arc<StoredSession>> {
        self.inner.lock().ok()?.map.get(id).map(|(_, s)| s.clone())
    }

    fn take(&self, id: &[u8]) -> Option<Arc<StoredSession>> {
        self.inner.lock().ok()?.map.remove(id).map(|(_, s)| s)
    }
}

/// Hashes session IDs for [`InMemorySessionCache`]. The IDs it stores are random
/// bytes the server chose, so a keyed multiply-rotate over them spreads them as well
/// as SipHash at a fraction of the cost; an ID a peer sends can only be looked up,
/// never inserted, so chosen collisions cost one probe sequence, not a slow table.
#[derive(Clone, Debug)]
struct IdHashState(u64);

impl IdHashState {
    /// A key drawn from std's per-process random hash keys.
    fn new() -> Self {
        use std::hash::BuildHasher;
        IdHashState(std::collections::hash_map::RandomState::new().hash_one(0u64))
    }
}

impl std::hash::BuildHasher for IdHashState {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(self.0)
    }
}

struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            for (w, b) in word.iter_mut().zip(chunk) {
                *w = *b;
            }
            self.0 = (self.0.rotate_left(23) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }

    fn finish(&self) -> u64 {
        // Fold the high bits, which the multiply mixes best, into the low ones.
        self.0 ^ (self.0 >> 29)
    }
}

/// A session-ticket key: the 4-byte name sent in the clear at the front of each
/// ticket (RFC 5077, 4: key_name) and the AES-256-GCM key that seals it. The key
/// material lives inside aws-lc from construction on and is cleared when the last
/// `Arc` of it is dropped.
pub struct TicketKey {
    id: [u8; 4],
    key: AeadKey,
    /// When the key was made, in Unix seconds (the default source rotates by it).
    created: u64,
}

impl Debug for TicketKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "TicketKey({:02x?}, created {})", self.id, self.created)
    }
}

impl TicketKey {
    /// The key named `id` with 32 bytes of `material` (the caller clears its copy);
    /// `None` for material of another length.
    pub fn new(id: [u8; 4], material: &[u8]) -> Option<Self> {
        Some(TicketKey {
            id,
            key: AeadKey::new(TICKET_ALG, material).ok()?,
            created: 0,
        })
    }

    /// The name tickets under this key carry.
    pub fn id(&self) -> [u8; 4] {
        self.id
    }
}

/// Where a [`Ticketer`] gets its keys. Both calls are made during a handshake and
/// must answer at once, from memory: a source shared by a fleet (ferrotls-redis)
/// keeps its keys in a cache that it refreshes in the background, so no handshake
/// waits on the network. Times are Unix seconds from the server's clock provider.
pub trait TicketKeySource: Debug + Send + Sync {
    /// The key to seal a new ticket with at `now`; `None` when there is none (the
    /// server issues no ticket, and the client's next connection is a full
    /// handshake).
    fn encrypting_key(&self, now: u64) -> Option<Arc<TicketKey>>;
    /// The key named `id` if it still opens tickets at `now`; `None` for a name
    /// unknown or past its decrypt-until time (the handshake goes on in full).
    fn decrypting_key(&self, id: [u8; 4], now: u64) -> Option<Arc<TicketKey>>;
}

/// The default source: random keys made in this process that rotate every
/// `rotation` seconds; tickets under the previous key are still accepted, so a
/// ticket lives between one and two rotation periods (RFC 5077, 4 and 5.5).
/// Another server, or this one restarted, opens none of its tickets.
#[derive(Debug)]
pub struct RotatingTicketKeys {
    provider: Provider,
    rotation: u64,
    /// The current key and the one before it, newest last.
    keys: Mutex<Vec<Arc<TicketKey>>>,
}

impl RotatingTicketKeys {
    /// Keys that rotate every `rotation_secs` seconds (at least 60).
    pub fn new(provider: Provider, rotation_secs: u64) -> Self {
        RotatingTicketKeys {
            provider,
            rotation: rotation_secs.max(60),
            keys: Mutex::new(Vec::new()),
        }
    }

    /// Rotates if due and runs `f` on the current keys (newest last). The AEAD key
    /// of each ticket key is built once, when the key is made.
    fn with_keys<T>(&self, now: u64, f: impl FnOnce(&[Arc<TicketKey>]) -> Option<T>) -> Option<T> {
        let mut keys = self.keys.lock().ok()?;
        if keys.last().is_none_or(|k| now >= k.created + self.rotation) {
            let id = self.provider.random_array::<4>().ok()?;
            let mut secret = self.provider.random_array::<32>().ok()?;
            let key = TicketKey::new(id, &secret);
            secret.as_mut_slice().zeroize();
            keys.push(Arc::new(TicketKey {
                created: now,
                ..key?
            }));
        }
        // Keep the current key and the one before it.
        let excess = keys.len().saturating_sub(2);
        keys.drain(..excess);
        f(&keys)
    }
}

impl TicketKeySource for RotatingTicketKeys {
    fn encrypting_key(&self, now: u64) -> Option<Arc<TicketKey>> {
        self.with_keys(now, |keys| keys.last().cloned())
    }

    fn decrypting_key(&self, id: [u8; 4], now: u64) -> Option<Arc<TicketKey>> {
        self.with_keys(now, |keys| keys.iter().find(|k| k.id == id).cloned())
    }
}

/// Encrypts session state into tickets under keys from a [`TicketKeySource`]
/// (RFC 5077, 4), and opens them.
#[derive(Debug)]
pub struct Ticketer {
    provider: Provider,
    /// Seconds a ticket is announced to live.
    lifetime: u64,
    /// Seconds after its session was made that a ticket is still accepted.
    max_age: u64,
    keys: Arc<dyn TicketKeySource>,
}

/// Length of a ticket's AES-GCM nonce.
pub(crate) const TICKET_NONCE_LEN: usize = 12;
/// Key id and nonce, in the clear before the ciphertext.
const TICKET_HEADER_LEN: usize = 4 + TICKET_NONCE_LEN;
const TICKET_ALG: AeadAlgorithm = AeadAlgorithm::Aes256Gcm;

impl Ticketer {
    /// A ticketer with in-process keys that rotate every `rotation_secs` seconds (at
    /// least 60; [`RotatingTicketKeys`]): tickets are announced to live one rotation
    /// period and accepted for two.
    pub fn new(provider: Provider, rotation_secs: u64) -> Self {
        let keys = RotatingTicketKeys::new(provider.clone(), rotation_secs);
        let rotation = keys.rotation;
        Ticketer {
            provider,
            lifetime: rotation,
            max_age: rotation.saturating_mul(2),
            keys: Arc::new(keys),
        }
    }

    /// A ticketer with keys from `keys` (shared by a fleet, say), whose tickets are
    /// announced to live, and are accepted for, `lifetime_secs` seconds (at least 1).
    /// A key should open tickets for at least that long after it stops sealing them.
    pub fn with_source(
        provider: Provider,
        keys: Arc<dyn TicketKeySource>,
        lifetime_secs: u64,
    ) -> Self {
        let lifetime = lifetime_secs.max(1);
        Ticketer {
            provider,
            lifetime,
            max_age: lifetime,
            keys,
        }
    }

    /// Seconds a ticket is announced to live (RFC 5077, 3.3 lifetime hint).
    pub fn lifetime(&self) -> u32 {
        u32::try_from(self.lifetime).unwrap_or(u32::MAX)
    }

    fn now(&self) -> u64 {
        self.provider.time.now().as_secs()
    }

    /// Seals `session` into a ticket: key id, nonce, AES-256-GCM ciphertext. `None`
    /// when no key could be made or the session is too large to ticket.
    pub fn encrypt(&self, session: &StoredSession) -> Option<Vec<u8>> {
        let nonce = self.provider.random_array::<TICKET_NONCE_LEN>().ok()?;
        self.encrypt_with_nonce(session, nonce)
    }

    /// Whether `random` is this ticketer's own random source: only nonces drawn from
    /// it may be passed to [`Self::encrypt_with_nonce`].
    pub(crate) fn draws_from(&self, random: &Arc<dyn RandomSource>) -> bool {
        Arc::ptr_eq(&self.provider.random, random)
    }

    /// [`Self::encrypt`] with a nonce the caller drew from this ticketer's random
    /// source (see [`Self::draws_from`]) together with other randomness of the same
    /// handshake: one draw instead of two. Each nonce must be used for one ticket only.
    pub(crate) fn encrypt_with_nonce(
        &self,
        session: &StoredSession,
        nonce: [u8; TICKET_NONCE_LEN],
    ) -> Option<Vec<u8>> {
        if !session.fits_for_resumption() {
            return None;
        }
        // One buffer, sized exactly: the session is encoded where it is sealed, so no
        // plaintext copy is left behind in a reallocated buffer.
        let current = self.keys.encrypting_key(self.now())?;
        let mut out = Vec::with_capacity(TICKET_HEADER_LEN + session.encoded_len() + TAG_LEN);
        out.extend_from_slice(&current.id);
        out.extend_from_slice(&nonce);
        session.encode_into(&mut out);
        let plain = out.get_mut(TICKET_HEADER_LEN..)?;
        let sealed = current
            .key
            .seal_in_place_separate_tag(nonce, &current.id, plain);
        match sealed {
            Ok(tag) => {
                out.extend_from_slice(&tag);
                Some(out)
            }
            Err(_) => {
                out.zeroize();
                None
            }
        }
    }

    /// Opens a ticket; `None` for anything unknown, expired or tampered with.
    pub fn decrypt(&self, ticket: &[u8]) -> Option<StoredSession> {
        self.decrypt_in_place(&mut ticket.to_vec())
    }

    /// [`Self::decrypt`], decrypting in the ticket's own buffer (left garbled).
    pub(crate) fn decrypt_in_place(&self, ticket: &mut [u8]) -> Option<StoredSession> {
        let (id, rest) = ticket.split_at_mut_checked(4)?;
        let (nonce, sealed) = rest.split_at_mut_checked(TICKET_NONCE_LEN)?;
        let nonce: [u8; TICKET_NONCE_LEN] = (&*nonce).try_into().ok()?;
        let now = self.now();
        let id: [u8; 4] = (&*id).try_into().ok()?;
        let key = self.keys.decrypting_key(id, now)?;
        let plain = key.key.open_in_place(nonce, &id, sealed)?;
        let session = StoredSession::decode(plain);
        plain.zeroize();
        let session = session?;
        (now < session.created.saturating_add(self.max_age)).then_some(session)
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
    fn encoded_len_is_exact() {
        let mut bare = session(5);
        bare.server_name = None;
        bare.alpn = None;
        bare.peer_certificates = Vec::new();
        for s in [session(5), bare] {
            let mut out = Vec::new();
            s.encode_into(&mut out);
            assert_eq!(out.len(), s.encoded_len());
            let back = StoredSession::decode(&out).unwrap();
            assert_eq!(back.server_name, s.server_name);
            assert_eq!(back.alpn, s.alpn);
        }
    }

    #[test]
    fn to_bytes_round_trips_and_refuses_what_cannot_resume() {
        let s = session(7);
        let bytes = s.to_bytes().unwrap();
        let back = StoredSession::from_bytes(bytes.as_bytes()).unwrap();
        assert_eq!(back.master_secret, s.master_secret);
        assert_eq!((back.created, back.age_add), (s.created, s.age_add));
        assert!(StoredSession::from_bytes(&bytes.as_bytes()[1..]).is_none());
        let mut huge = session(7);
        huge.peer_certificates = vec![vec![1; MAX_SESSION_LEN]];
        assert!(huge.to_bytes().is_none());
        assert!(StoredSession::from_bytes(&vec![0; MAX_SESSION_LEN + 1]).is_none());
    }

    /// Byte offsets in the encoding of `session(_)`: the ems flag, the alpn flag, and
    /// the first certificate's length.
    const EMS_AT: usize = 3;
    const ALPN_FLAG_AT: usize = 1 + 2 + 1 + 8 + (1 + 48) + (1 + 11) + 4 + 4;
    const FIRST_CERT_AT: usize = ALPN_FLAG_AT + 1 + (1 + 2) + 3;

    #[test]
    fn decoding_is_strict() {
        let mut good = Vec::new();
        session(5).encode_into(&mut good);
        assert_eq!(
            good.get(FIRST_CERT_AT..FIRST_CERT_AT + 6),
            Some(&[0, 0, 3, 1, 2, 3][..])
        );
        assert!(StoredSession::decode(&good).is_some());
        // No truncation of the encoding decodes, nor anything trailing it.
        for len in 0..good.len() {
            assert!(
                StoredSession::decode(&good[..len]).is_none(),
                "prefix {len}"
            );
        }
        let mut long = good.clone();
        long.push(0);
        assert!(StoredSession::decode(&long).is_none());
        let edited = |at: usize, to: u8| {
            let mut b = good.clone();
            b[at] = to;
            StoredSession::decode(&b)
        };
        assert!(edited(0, 1).is_none(), "another version");
        assert!(edited(EMS_AT, 2).is_none(), "ems flag");
        assert!(edited(ALPN_FLAG_AT, 2).is_none(), "alpn flag");
        // A certificate list length larger than what follows.
        assert!(edited(FIRST_CERT_AT - 1, 0xff).is_none());
        // A certificate length that overruns its list.
        assert!(edited(FIRST_CERT_AT + 2, 0xff).is_none());
        // An empty certificate.
        let mut empty_cert = session(5);
        empty_cert.peer_certificates = vec![Vec::new()];
        let mut b = Vec::new();
        empty_cert.encode_into(&mut b);
        assert!(StoredSession::decode(&b).is_none());
        // A server name that is not UTF-8.
        let name_at = 1 + 2 + 1 + 8 + 1 + 48 + 1;
        assert!(edited(name_at, 0xff).is_none());
    }

    #[test]
    fn sessions_too_large_get_no_ticket() {
        let t = Ticketer::new(provider(1_000_000), 3600);
        let mut s = session(1_000_000);
        let room = MAX_SESSION_LEN - s.encoded_len();
        s.peer_certificates.push(vec![9; room - 3]);
        assert!(s.fits_for_resumption());
        let ticket = t.encrypt(&s).expect("a session of the largest size");
        assert_eq!(
            t.decrypt(&ticket).unwrap().peer_certificates,
            s.peer_certificates
        );
        s.peer_certificates.push(vec![9]);
        assert!(!s.fits_for_resumption());
        assert!(t.encrypt(&s).is_none());
    }

    #[test]
    fn tickets_open_in_place_with_caller_nonces() {
        let p = provider(1_000_000);
        let t = Ticketer::new(p.clone(), 3600);
        assert!(t.draws_from(&p.random));
        assert!(!t.draws_from(&provider(1_000_000).random));
        let a = t.encrypt_with_nonce(&session(1_000_000), [1; 12]).unwrap();
        let b = t.encrypt_with_nonce(&session(1_000_000), [2; 12]).unwrap();
        assert_eq!(
            a.len(),
            TICKET_HEADER_LEN + session(0).encoded_len() + TAG_LEN
        );
        assert_eq!(a.get(4..16), Some(&[1u8; 12][..]));
        assert_ne!(a.get(16..), b.get(16..));
        let mut buf = a.clone();
        let back = t.decrypt_in_place(&mut buf).unwrap();
        assert_eq!(back.master_secret.as_bytes(), &[7u8; 48]);
        assert_ne!(buf, a, "decrypted in place");
        assert!(t.decrypt(&a).is_some());
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

    /// Keys a test hands out by hand: one sealing key, any number opening.
    #[derive(Debug, Default)]
    struct HandKeys {
        sealing: Mutex<Option<Arc<TicketKey>>>,
        opening: Mutex<Vec<Arc<TicketKey>>>,
    }

    impl TicketKeySource for HandKeys {
        fn encrypting_key(&self, _: u64) -> Option<Arc<TicketKey>> {
            self.sealing.lock().unwrap().clone()
        }
        fn decrypting_key(&self, id: [u8; 4], _: u64) -> Option<Arc<TicketKey>> {
            let keys = self.opening.lock().unwrap();
            keys.iter().find(|k| k.id() == id).cloned()
        }
    }

    #[test]
    fn tickets_from_a_shared_source_open_on_another_server() {
        let key = Arc::new(TicketKey::new([1, 2, 3, 4], &[5; 32]).unwrap());
        assert!(TicketKey::new([0; 4], &[5; 31]).is_none());
        assert_eq!(format!("{key:?}"), "TicketKey([01, 02, 03, 04], created 0)");
        let source = Arc::new(HandKeys::default());
        *source.sealing.lock().unwrap() = Some(key.clone());
        let a = Ticketer::with_source(provider(1_000_000), source.clone(), 600);
        let b = Ticketer::with_source(provider(1_000_100), source.clone(), 600);
        assert_eq!(a.lifetime(), 600);
        let ticket = a.encrypt(&session(1_000_000)).unwrap();
        assert_eq!(ticket.get(..4), Some(&[1, 2, 3, 4][..]), "named by the key");
        assert!(
            b.decrypt(&ticket).is_none(),
            "the source no longer opens it"
        );
        source.opening.lock().unwrap().push(key);
        let back = b.decrypt(&ticket).expect("opened by server B");
        assert_eq!(back.master_secret.as_bytes(), &[7u8; 48]);
        // The announced lifetime is also the most a ticket is accepted for.
        let late = Ticketer::with_source(provider(1_000_600), source.clone(), 600);
        assert!(late.decrypt(&ticket).is_none());
        // No sealing key: no ticket.
        *source.sealing.lock().unwrap() = None;
        assert!(a.encrypt(&session(1_000_000)).is_none());
    }

    #[test]
    fn rotating_keys_keep_the_previous_one() {
        let keys = RotatingTicketKeys::new(provider(0), 10);
        let first = keys.encrypting_key(1_000).unwrap();
        assert_eq!(
            keys.encrypting_key(1_059).unwrap().id(),
            first.id(),
            "60 s at least"
        );
        let second = keys.encrypting_key(1_060).unwrap();
        assert_ne!(second.id(), first.id());
        assert!(keys.decrypting_key(first.id(), 1_060).is_some());
        assert!(
            keys.decrypting_key(first.id(), 1_120).is_none(),
            "two periods"
        );
        assert!(keys.decrypting_key(second.id(), 1_120).is_some());
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

    #[test]
    fn cache_evicts_the_least_recently_stored_and_stays_compact() {
        let c = InMemorySessionCache::new(2);
        c.put(vec![1], Arc::new(session(1)));
        c.put(vec![2], Arc::new(session(2)));
        // Storing 1 again makes 2 the oldest.
        c.put(vec![1], Arc::new(session(3)));
        c.put(vec![3], Arc::new(session(4)));
        assert!(c.get(&[2]).is_none());
        assert_eq!(c.get(&[1]).unwrap().created, 3);
        assert!(c.get(&[3]).is_some());
        // Many put-and-take cycles leave no trail behind.
        for i in 0..1000u32 {
            let id = i.to_be_bytes().to_vec();
            c.put(id.clone(), Arc::new(session(0)));
            assert!(c.take(&id).is_some());
        }
        let inner = c.inner.lock().unwrap();
        assert!(inner.order.len() <= 2 * inner.map.len() + 17);
        // Each put over capacity evicted the oldest of 1 and 3.
        assert_eq!(inner.map.len(), 1);
    }

    #[test]
    fn id_hash_spreads_random_ids_and_keys_differ() {
        use std::hash::BuildHasher;
        let (a, b) = (IdHashState::new(), IdHashState::new());
        let id = [7u8; 32];
        assert_ne!(a.hash_one(&id[..]), b.hash_one(&id[..]));
        let buckets: std::collections::HashSet<u64> = (0..1000u32)
            .map(|i| {
                a.hash_one(
                    crate::crypto::hash(crate::crypto::HashAlgorithm::Sha256, &i.to_be_bytes())
                        .as_ref(),
                ) & 1023
            })
            .collect();
        assert!(buckets.len() > 500, "{}", buckets.len());
    }
}
