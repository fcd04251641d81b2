//! Where a client keeps TLS 1.3 tickets between connections (RFC 8446, 4.6.1).

use core::fmt::Debug;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use rustls_pki_types::UnixTime;

use crate::crypto::Secret;
use crate::msgs::enums::CipherSuite;

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
/// session is stored again after the handshake).
pub trait ClientSessionStore: Debug + Send + Sync {
    fn insert_tls13_ticket(&self, server_name: &str, ticket: Tls13Ticket);
    fn take_tls13_ticket(&self, server_name: &str) -> Option<Tls13Ticket>;
    fn insert_tls12_session(&self, server_name: &str, session: Tls12Session);
    fn take_tls12_session(&self, server_name: &str) -> Option<Tls12Session>;
}

/// A bounded in-memory store: at most `max_servers` names (least recently stored are
/// dropped first), each keeping its newest `PER_SERVER` tickets.
#[derive(Debug)]
pub struct InMemorySessionStore {
    max_servers: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    tickets: HashMap<String, VecDeque<Tls13Ticket>>,
    order: VecDeque<String>,
    sessions12: HashMap<String, Tls12Session>,
    order12: VecDeque<String>,
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
        let inner = &mut *inner;
        if !inner.tickets.contains_key(server_name) {
            if inner.order.len() >= self.max_servers {
                if let Some(oldest) = inner.order.pop_front() {
                    inner.tickets.remove(&oldest);
                }
            }
            inner.order.push_back(server_name.to_string());
        }
        let queue = inner.tickets.entry(server_name.to_string()).or_default();
        if queue.len() >= PER_SERVER {
            queue.pop_front();
        }
        queue.push_back(ticket);
    }

    fn take_tls13_ticket(&self, server_name: &str) -> Option<Tls13Ticket> {
        let mut inner = self.inner.lock().ok()?;
        // Newest first: it has the most lifetime left.
        inner.tickets.get_mut(server_name)?.pop_back()
    }

    fn insert_tls12_session(&self, server_name: &str, session: Tls12Session) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let inner = &mut *inner;
        if !inner.sessions12.contains_key(server_name) {
            if inner.order12.len() >= self.max_servers {
                if let Some(oldest) = inner.order12.pop_front() {
                    inner.sessions12.remove(&oldest);
                }
            }
            inner.order12.push_back(server_name.to_string());
        }
        inner.sessions12.insert(server_name.to_string(), session);
    }

    fn take_tls12_session(&self, server_name: &str) -> Option<Tls12Session> {
        let mut inner = self.inner.lock().ok()?;
        let session = inner.sessions12.remove(server_name)?;
        inner.order12.retain(|n| n != server_name);
        Some(session)
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
}
