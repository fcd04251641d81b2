//! Where a client keeps TLS 1.3 tickets between connections (RFC 8446, 4.6.1).

use core::fmt::Debug;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use rustls_pki_types::UnixTime;

use crate::crypto::Secret;
use crate::msgs::enums::CipherSuite;

/// The longest ticket a client keeps and offers, TLS 1.3 or TLS 1.2. A ticket may
/// be up to 2^16-1 bytes (RFC 8446, 4.6.1; RFC 5077, 3.3), but it goes back as a PSK
/// identity (RFC 8446, 4.2.11) or a SessionTicket extension (RFC 5077, 3.2) in a
/// ClientHello whose extensions all share one 2^16-1 length, with the key shares,
/// ALPN list, a HelloRetryRequest cookie and possibly a ticket of the other version.
/// 16 KiB is what a server keeps a session to (a client's certificate chain
/// included); the rest is room for the ticket's own framing. A longer ticket is
/// dropped when it arrives, and the next connection is a full handshake.
pub(crate) const MAX_TICKET_LEN: usize = 17 * 1024;

/// A ticket and what resuming with it needs.
#[derive(Debug)]
pub struct Tls13Ticket {
    /// The opaque ticket, sent back as the PSK identity.
    pub ticket: Vec<u8>,
    /// The resumption PSK derived from the ticket nonce.
    pub psk: Secret,
    pub suite: CipherSuite,
    /// Seconds the server allows the ticket to be used for.
    pub lifetime: u32,
    /// Added to the ticket age to obfuscate it (RFC 8446, 4.2.11.1).
    pub age_add: u32,
    pub received_at: UnixTime,
    /// The server's max_early_data_size, if it allows 0-RTT with this ticket.
    pub max_early_data: Option<u32>,
    /// The ALPN protocol of the connection that received the ticket.
    pub alpn: Option<Vec<u8>>,
}

/// A TLS 1.2 session to resume by session ID or ticket (RFC 5246, 7.4.1.2; RFC 5077).
#[derive(Debug)]
pub struct Tls12Session {
    /// The server's session ID; with a ticket, the ID sent alongside it.
    pub session_id: Vec<u8>,
    /// The server's ticket, empty for ID-only resumption.
    pub ticket: Vec<u8>,
    pub master_secret: Secret,
    pub suite: CipherSuite,
    /// Whether the session used the extended master secret (RFC 7627).
    pub ems: bool,
    pub received_at: UnixTime,
}

/// Stores tickets and sessions per server name. Implementations must be thread-safe;
/// `take` removes what it returns (TLS 1.3 tickets are single-use; a resumed TLS 1.2
/// session is stored again after the handshake). Tickets over 17 KiB, too long to
/// offer, are never stored, and are not offered if a store returns one.
pub trait ClientSessionStore: Debug + Send + Sync {
    fn insert_tls13_ticket(&self, server_name: &str, ticket: Tls13Ticket);
    fn take_tls13_ticket(&self, server_name: &str) -> Option<Tls13Ticket>;
    fn insert_tls12_session(&self, server_name: &str, session: Tls12Session);
    fn take_tls12_session(&self, server_name: &str) -> Option<Tls12Session>;
}

/// A bounded in-memory store: at most `max_servers` names per protocol version (the
/// least recently stored are dropped first), each keeping its newest `PER_SERVER`
/// TLS 1.3 tickets or its one TLS 1.2 session.
#[derive(Debug)]
pub struct InMemorySessionStore {
    max_servers: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tickets: ByName<VecDeque<Tls13Ticket>>,
    sessions12: ByName<Option<Tls12Session>>,
}

/// Values by server name, and the names in the order they were last stored, each
/// with the stamp of that store: an `order` entry whose stamp is no longer its name's
/// was taken or stored again since, and is skipped. Eviction and `take` are O(1), and
/// a newly stored name costs one allocation, shared by the map and the order.
#[derive(Debug)]
struct ByName<T> {
    map: HashMap<Arc<str>, (u64, T)>,
    order: VecDeque<(u64, Arc<str>)>,
    clock: u64,
}

impl<T> Default for ByName<T> {
    fn default() -> Self {
        ByName {
            map: HashMap::new(),
            order: VecDeque::new(),
            clock: 0,
        }
    }
}

impl<T: Default> ByName<T> {
    fn is_current(&self, (stamp, name): &(u64, Arc<str>)) -> bool {
        self.map.get(name).is_some_and(|(s, _)| s == stamp)
    }

    /// Runs `update` on the value stored under `name` (a default one, after evicting
    /// the least recently stored name if `max` are held, when there is none) and
    /// stamps it as stored now.
    fn store(&mut self, name: &str, max: usize, update: impl FnOnce(&mut T)) {
        self.clock += 1;
        let now = self.clock;
        let key = match self.map.get_key_value(name) {
            Some((key, _)) => key.clone(),
            None => {
                while self.map.len() >= max {
                    let Some(oldest) = self.order.pop_front() else {
                        break;
                    };
                    if self.is_current(&oldest) {
                        self.map.remove(&oldest.1);
                    }
                }
                let key: Arc<str> = Arc::from(name);
                self.map.insert(key.clone(), (now, T::default()));
                key
            }
        };
        if let Some((stamp, value)) = self.map.get_mut(name) {
            *stamp = now;
            update(value);
        }
        self.order.push_back((now, key));
        // Entries left behind by `take` and by storing a name again are dropped once
        // they outnumber the live ones: amortized O(1) per call.
        if self.order.len() > 2 * self.map.len() + 16 {
            let order = std::mem::take(&mut self.order);
            self.order = order.into_iter().filter(|e| self.is_current(e)).collect();
        }
    }
}

const PER_SERVER: usize = 4;

impl InMemorySessionStore {
    pub fn new(max_servers: usize) -> Self {
        InMemorySessionStore {
            max_servers: max_servers.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }
}

impl ClientSessionStore for InMemorySessionStore {
    fn insert_tls13_ticket(&self, server_name: &str, ticket: Tls13Ticket) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        inner.tickets.store(server_name, self.max_servers, |queue| {
            if queue.len() >= PER_SERVER {
                queue.pop_front();
            }
            queue.push_back(ticket);
        });
    }

    fn take_tls13_ticket(&self, server_name: &str) -> Option<Tls13Ticket> {
        let mut inner = self.inner.lock().ok()?;
        // Newest first: it has the most lifetime left.
        inner.tickets.map.get_mut(server_name)?.1.pop_back()
    }

    fn insert_tls12_session(&self, server_name: &str, session: Tls12Session) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        inner
            .sessions12
            .store(server_name, self.max_servers, |slot| *slot = Some(session));
    }

    fn take_tls12_session(&self, server_name: &str) -> Option<Tls12Session> {
        let mut inner = self.inner.lock().ok()?;
        inner.sessions12.map.remove(server_name)?.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(n: u8) -> Tls13Ticket {
        Tls13Ticket {
            ticket: vec![n],
            psk: Secret::from(vec![n; 32]),
            suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
            lifetime: 7200,
            age_add: 0,
            received_at: UnixTime::since_unix_epoch(core::time::Duration::from_secs(0)),
            max_early_data: None,
            alpn: None,
        }
    }

    #[test]
    fn bounded_and_single_use() {
        let store = InMemorySessionStore::new(2);
        for n in 0..6 {
            store.insert_tls13_ticket("a.example", ticket(n));
        }
        store.insert_tls13_ticket("b.example", ticket(10));
        store.insert_tls13_ticket("c.example", ticket(20));
        // a.example was evicted as the oldest server name.
        assert!(store.take_tls13_ticket("a.example").is_none());
        assert_eq!(store.take_tls13_ticket("b.example").unwrap().ticket, [10]);
        assert!(store.take_tls13_ticket("b.example").is_none());
        assert_eq!(store.take_tls13_ticket("c.example").unwrap().ticket, [20]);
    }

    #[test]
    fn keeps_newest_per_server() {
        let store = InMemorySessionStore::new(8);
        for n in 0..6 {
            store.insert_tls13_ticket("a.example", ticket(n));
        }
        let got: Vec<u8> = std::iter::from_fn(|| store.take_tls13_ticket("a.example"))
            .map(|t| t.ticket[0])
            .collect();
        assert_eq!(got, [5, 4, 3, 2]);
    }

    fn session12(n: u8) -> Tls12Session {
        Tls12Session {
            session_id: vec![n; 32],
            ticket: Vec::new(),
            master_secret: Secret::from(vec![n; 48]),
            suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            ems: true,
            received_at: UnixTime::since_unix_epoch(core::time::Duration::from_secs(0)),
        }
    }

    #[test]
    fn tls12_sessions_are_bounded_replaced_and_taken_once() {
        let store = InMemorySessionStore::new(2);
        store.insert_tls12_session("a.example", session12(1));
        store.insert_tls12_session("b.example", session12(2));
        // Storing a.example again makes b.example the least recently stored.
        store.insert_tls12_session("a.example", session12(3));
        store.insert_tls12_session("c.example", session12(4));
        assert!(store.take_tls12_session("b.example").is_none());
        assert_eq!(
            store.take_tls12_session("a.example").unwrap().session_id,
            [3; 32]
        );
        assert!(
            store.take_tls12_session("a.example").is_none(),
            "taken once"
        );
        assert_eq!(
            store.take_tls12_session("c.example").unwrap().session_id,
            [4; 32]
        );
        // Many take-and-store cycles leave no trail behind.
        for _ in 0..1000 {
            let s = store
                .take_tls12_session("c.example")
                .unwrap_or(session12(5));
            store.insert_tls12_session("c.example", s);
        }
        let inner = store.inner.lock().unwrap();
        assert!(inner.sessions12.order.len() <= 2 * inner.sessions12.map.len() + 17);
        drop(inner);
        assert!(store.take_tls12_session("c.example").is_some());
        // TLS 1.3 tickets are kept apart.
        store.insert_tls13_ticket("c.example", ticket(9));
        assert!(store.take_tls12_session("c.example").is_none());
        assert_eq!(store.take_tls13_ticket("c.example").unwrap().ticket, [9]);
    }
}
