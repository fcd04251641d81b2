//! TLS 1.3 resumption, 0-RTT, client certificates and OCSP stapling on an in-memory
//! pair (RFC 8446, 2.2, 2.3, 4.2.10, 4.2.11, 4.4.2, 4.6.1, 8).
//!
//! Clocks are fixed (`Provider::fixed`) so ticket ages, lifetimes and the 0-RTT
//! freshness window are exact; a [`Setup`] holds what several connections share
//! (the client's ticket store, the server's ticketer and session cache).

mod common;
mod pair;

use std::io::{self, Read, Write};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{check, check_contains, check_eq, run_cases, StapleRecorder};
use pair::*;
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertificateRevocationListParams, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, RevocationReason,
    RevokedCertParams, SerialNumber,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};

use ferrotls::client::{
    ClientConfig, ClientConfigBuilder, ClientConnection, ClientSessionStore, InMemorySessionStore,
    Tls12Session, Tls13Ticket,
};
use ferrotls::conn::{ClientEarlyData, Connection};
use ferrotls::crypto::provider::Provider;
use ferrotls::crypto::Secret;
use ferrotls::error::{CertificateError, PeerMisbehaved};
use ferrotls::msgs::enums::{
    AlertDescription, CipherSuite, ContentType, ExtensionType, HandshakeType, ProtocolVersion,
};
use ferrotls::msgs::{
    CertReqExtension, ClientExtension, ClientHello, HandshakeMessage, HandshakePayload,
    NewSessionTicket13, ServerExtension, ServerHello,
};
use ferrotls::observe::{Direction, Event, Observer, Protection};
use ferrotls::pki::{
    ClientAuthVerifier, ClientCertVerifier, PinnedCertVerifier, RootStore, TrustAnchor, Verifier,
};
use ferrotls::server::{
    InMemorySessionCache, ServerConfig, ServerConfigBuilder, ServerConnection, Ticketer,
};
use ferrotls::tls12::prf;
use ferrotls::Error;

/// The moment every fixed clock starts from (2023-11-14).
const T0: u64 = 1_700_000_000;
const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;
/// RFC 8446, 4.6.1: no ticket may be used for more than seven days.
const SEVEN_DAYS: u64 = 7 * DAY;
/// The 0-RTT limit the servers of these tests announce.
const MAX_EARLY: usize = 1024;

/// A fixed clock at `secs` with its own random seed (configurations that shared a
/// seed would draw the same ticket IDs).
fn clock(secs: u64) -> Provider {
    static SEED: AtomicU64 = AtomicU64::new(0x5eed);
    Provider::fixed(
        SEED.fetch_add(1, Ordering::Relaxed),
        UnixTime::since_unix_epoch(Duration::from_secs(secs)),
    )
}

// ---------------------------------------------------------------------------------
// A trace of one connection: every handshake message (decoded, with its protection),
// alert and change_cipher_spec, in order.

#[derive(Debug, Clone)]
enum Seen {
    Message {
        sent: bool,
        protection: Protection,
        message: HandshakeMessage,
    },
    Alert {
        sent: bool,
        description: AlertDescription,
    },
    Ccs {
        sent: bool,
    },
}

#[derive(Debug, Default)]
struct Trace {
    seen: Mutex<Vec<Seen>>,
}

impl Observer for Trace {
    fn event(&self, event: &Event<'_>) {
        let sent = |d: &Direction| *d == Direction::Sent;
        let seen = match event {
            Event::Message {
                direction,
                protection,
                message,
                ..
            } => Seen::Message {
                sent: sent(direction),
                protection: *protection,
                message: (*message).clone(),
            },
            Event::Alert {
                direction,
                description,
            } => Seen::Alert {
                sent: sent(direction),
                description: *description,
            },
            Event::ChangeCipherSpec { direction } => Seen::Ccs {
                sent: sent(direction),
            },
            _ => return,
        };
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(seen);
    }
}

impl Trace {
    fn all(&self) -> Vec<Seen> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Lines like `sent ClientHello` or `received alert decrypt_error`.
    fn lines(&self) -> Vec<String> {
        let dir = |s: bool| if s { "sent" } else { "received" };
        self.all()
            .iter()
            .map(|s| match s {
                Seen::Message { sent, message, .. } => format!("{} {}", dir(*sent), message.name()),
                Seen::Alert { sent, description } => format!("{} alert {description}", dir(*sent)),
                Seen::Ccs { sent } => format!("{} ChangeCipherSpec", dir(*sent)),
            })
            .collect()
    }

    fn count(&self, line: &str) -> usize {
        self.lines().iter().filter(|l| *l == line).count()
    }

    /// Messages of type `typ` sent (or received), with the keys that protected them.
    fn messages(&self, sent: bool, typ: HandshakeType) -> Vec<(Protection, HandshakeMessage)> {
        self.all()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Message {
                    sent: s,
                    protection,
                    message,
                } if s == sent && message.typ == typ => Some((protection, message)),
                _ => None,
            })
            .collect()
    }

    /// The first ClientHello this side sent or received.
    fn client_hello(&self, sent: bool) -> ClientHello {
        match self.messages(sent, HandshakeType::ClientHello).first() {
            Some((_, m)) => match &m.payload {
                HandshakePayload::ClientHello(ch) => ch.clone(),
                other => panic!("not a ClientHello: {other:?}"),
            },
            None => panic!("no ClientHello; trace: {:?}", self.lines()),
        }
    }

    /// The ServerHello (not HelloRetryRequest) this side sent or received.
    fn server_hello(&self, sent: bool) -> ServerHello {
        self.messages(sent, HandshakeType::ServerHello)
            .into_iter()
            .find_map(|(_, m)| match m.payload {
                HandshakePayload::ServerHello(sh) if !sh.is_hello_retry_request() => Some(sh),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no ServerHello; trace: {:?}", self.lines()))
    }

    fn tickets(&self, sent: bool) -> Vec<NewSessionTicket13> {
        self.messages(sent, HandshakeType::NewSessionTicket)
            .into_iter()
            .filter_map(|(_, m)| match m.payload {
                HandshakePayload::NewSessionTicket(t) => Some(t),
                _ => None,
            })
            .collect()
    }
}

/// The PSK identities a ClientHello offers.
fn offered_identities(ch: &ClientHello) -> Vec<Vec<u8>> {
    ch.psk()
        .map(|p| p.identities.iter().map(|i| i.identity.clone()).collect())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------
// Connections sharing tickets

/// What consecutive connections share: the server certificate, the client's ticket
/// store, the server's ticketer (stateless tickets) and session cache (stateful ones).
struct Setup {
    id: Identity,
    store: Arc<InMemorySessionStore>,
    ticketer: Arc<Ticketer>,
    cache: Arc<InMemorySessionCache>,
}

impl Setup {
    /// Ticket keys rotate every six hours (the default): tickets live six hours.
    fn new() -> Setup {
        Setup::with_ticket_rotation(6 * HOUR)
    }

    /// The ticketer's own clock stays at T0, so its keys never rotate during a test.
    fn with_ticket_rotation(secs: u64) -> Setup {
        Setup {
            id: ecdsa(),
            store: Arc::new(InMemorySessionStore::new(16)),
            ticketer: Arc::new(Ticketer::new(clock(T0), secs)),
            cache: Arc::new(InMemorySessionCache::new(64)),
        }
    }

    /// A client at T0 using the shared ticket store.
    fn client(&self) -> ClientConfigBuilder {
        client_config(&[&self.id])
            .session_store(self.store.clone())
            .provider(clock(T0))
    }

    /// A client that offers 0-RTT.
    fn client_ed(&self) -> ClientConfigBuilder {
        self.client().early_data(true)
    }

    /// A server at T0 with the shared ticketer and session cache.
    fn server(&self) -> ServerConfigBuilder {
        server_config(&[&self.id])
            .ticketer(self.ticketer.clone())
            .session_cache(self.cache.clone())
            .provider(clock(T0))
    }

    /// A server that accepts MAX_EARLY bytes of 0-RTT (so issues stateful tickets).
    fn server_ed(&self) -> ServerConfigBuilder {
        self.server().max_early_data(MAX_EARLY as u32)
    }

    /// A full handshake that leaves tickets in the store; returns how many arrived.
    fn prime(&self, client: ClientConfigBuilder, server: ServerConfigBuilder) -> usize {
        let mut c = Conn::new(client, server);
        c.handshake_ok("the first (full) handshake");
        assert!(!c.resumed(), "the first connection cannot be resumed");
        c.p.client.negotiated().tickets_received
    }
}

/// One connection of a [`Pair`] with traces on both sides.
struct Conn {
    p: Pair,
    ct: Arc<Trace>,
    st: Arc<Trace>,
    server_config: Arc<ServerConfig>,
}

impl Conn {
    fn new(client: ClientConfigBuilder, server: ServerConfigBuilder) -> Conn {
        let ct = Arc::new(Trace::default());
        let st = Arc::new(Trace::default());
        let client_keys = Arc::new(KeyCapture::default());
        let server_keys = Arc::new(KeyCapture::default());
        let client_config: Arc<ClientConfig> = client
            .observer(ct.clone())
            .key_log(client_keys.clone())
            .build()
            .expect("client config");
        let server_config = server
            .observer(st.clone())
            .key_log(server_keys.clone())
            .build()
            .expect("server config");
        let name = ServerName::try_from(SERVER_NAME.to_string()).expect("server name");
        let p = Pair {
            client: ClientConnection::new(client_config, name).expect("client connection"),
            server: ServerConnection::new(server_config.clone()).expect("server connection"),
            client_keys,
            server_keys,
        };
        Conn {
            p,
            ct,
            st,
            server_config,
        }
    }

    fn handshake_ok(&mut self, what: &str) {
        if let Err((side, e)) = self.p.handshake() {
            panic!(
                "{what}: {side:?} failed: {e}\nclient trace: {:?}\nserver trace: {:?}",
                self.ct.lines(),
                self.st.lines()
            );
        }
    }

    /// Whether both sides agree the handshake resumed; panics if they disagree.
    fn resumed(&self) -> bool {
        let (c, s) = (
            self.p.client.negotiated().resumed,
            self.p.server.negotiated().resumed,
        );
        assert_eq!(c, s, "client and server disagree on resumption");
        c
    }

    /// Asserts a full handshake: certificate-authenticated, not resumed.
    fn assert_full(&self, what: &str) {
        assert!(
            !self.resumed(),
            "{what}: resumed, expected a full handshake"
        );
        assert_eq!(
            self.ct.count("received Certificate"),
            1,
            "{what}: client trace {:?}",
            self.ct.lines()
        );
        assert_eq!(self.ct.count("received CertificateVerify"), 1, "{what}");
    }

    /// Asserts a PSK resumption with (EC)DHE and no certificate messages.
    fn assert_resumed(&self, what: &str) {
        assert!(
            self.resumed(),
            "{what}: not resumed; client trace {:?}",
            self.ct.lines()
        );
        for line in [
            "received Certificate",
            "received CertificateVerify",
            "received CertificateRequest",
        ] {
            assert_eq!(self.ct.count(line), 0, "{what}: client {line}");
        }
        for line in ["sent Certificate", "sent CertificateVerify"] {
            assert_eq!(self.st.count(line), 0, "{what}: server {line}");
        }
        // psk_dhe_ke (RFC 8446, 4.2.9): both hellos carry a key share.
        let sh = self.ct.server_hello(false);
        assert_eq!(sh.psk_index(), Some(0), "{what}: selected identity");
        assert!(
            sh.key_share().is_some(),
            "{what}: no key share in the ServerHello"
        );
        assert!(
            self.p.client.negotiated().group.is_some(),
            "{what}: no group"
        );
        assert_eq!(
            self.p.client.negotiated().signature_scheme,
            None,
            "{what}: a PSK handshake has no signature"
        );
    }

    fn early_status(&self) -> ClientEarlyData {
        self.p.client.early_data_status().clone()
    }
}

/// Everything `early_data()` yields now, and whether it reported the end (Ok(0)).
fn read_early(conn: &mut Connection) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.early_data().read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (out, false),
            Err(e) => panic!("reading early data failed: {e}"),
        }
    }
}

/// Distinct, position-dependent bytes: a lost, repeated or reordered chunk shows.
fn pattern(len: usize, tag: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(tag))
        .collect()
}

fn err_text(e: &Error) -> String {
    e.to_string()
}

// ---------------------------------------------------------------------------------
// Resumption

#[derive(Debug, Clone, Copy)]
enum Tickets {
    /// The default server: encrypted session state.
    Stateless,
    /// A server with 0-RTT enabled: single-use IDs in the session cache.
    Stateful,
}

impl Tickets {
    fn server(self, s: &Setup) -> ServerConfigBuilder {
        match self {
            Tickets::Stateless => s.server(),
            Tickets::Stateful => s.server_ed(),
        }
    }
}

#[test]
fn resumption_with_stateless_and_stateful_tickets() {
    run_cases(
        "resumption",
        [Tickets::Stateless, Tickets::Stateful],
        |&mode| {
            let s = Setup::new();
            // Two tickets from the first connection; later servers issue none, so the
            // store runs dry after two resumptions.
            let got = s.prime(s.client(), mode.server(&s).tls13_tickets(2));
            check_eq("tickets from the first connection", got, 2)?;

            let mut identities = Vec::new();
            for n in 2..=3 {
                let mut c = Conn::new(s.client(), mode.server(&s).tls13_tickets(0));
                c.handshake_ok(&format!("connection {n}"));
                c.assert_resumed(&format!("connection {n}"));
                let ch = c.ct.client_hello(true);
                // psk_dhe_ke only, and a key share to go with it.
                check(ch.key_shares().is_some_and(|k| !k.is_empty()), || {
                    format!("connection {n}: no key share offered")
                })?;
                let ids = offered_identities(&ch);
                check_eq(&format!("connection {n}: identities offered"), ids.len(), 1)?;
                identities.push(ids[0].clone());
                c.p.round_trip();
            }
            check(identities[0] != identities[1], || {
                "connections 2 and 3 offered the same ticket: tickets must be single-use".into()
            })?;

            let mut c = Conn::new(s.client(), mode.server(&s));
            c.handshake_ok("connection 4");
            check_eq(
                "connection 4 offers a ticket",
                c.ct.client_hello(true).psk().is_some(),
                false,
            )?;
            c.assert_full("connection 4, after every ticket was used");
            c.p.round_trip();
            Ok(())
        },
    );
}

#[test]
fn resumed_connections_issue_fresh_tickets() {
    let s = Setup::new();
    s.prime(s.client(), s.server());
    let mut c = Conn::new(s.client(), s.server());
    c.handshake_ok("resumed");
    c.assert_resumed("resumed");
    assert_eq!(c.p.client.negotiated().tickets_received, 2);
    // Each ticket has its own nonce, so its own PSK (RFC 8446, 4.6.1).
    let nonces: Vec<Vec<u8>> = c.st.tickets(true).iter().map(|t| t.nonce.clone()).collect();
    assert_eq!(nonces.len(), 2);
    assert_ne!(nonces[0], nonces[1], "ticket nonces must differ");
    for t in c.st.tickets(true) {
        assert!(
            u64::from(t.lifetime) <= SEVEN_DAYS,
            "lifetime {} exceeds seven days",
            t.lifetime
        );
    }
}

#[test]
fn stateful_tickets_announce_the_early_data_limit() {
    let s = Setup::new();
    let mut c = Conn::new(s.client(), s.server_ed());
    c.handshake_ok("first");
    let tickets = c.st.tickets(true);
    assert_eq!(tickets.len(), 2);
    for t in &tickets {
        assert_eq!(t.max_early_data(), Some(MAX_EARLY as u32));
        assert_eq!(t.ticket.len(), 32, "stateful tickets are 32-byte IDs");
    }
    // Stateless tickets (0-RTT off) announce no early data.
    let mut c = Conn::new(s.client(), s.server());
    c.handshake_ok("stateless");
    for t in c.st.tickets(true) {
        assert_eq!(t.max_early_data(), None);
    }
}

#[test]
fn ticket_from_another_server_key_gives_a_full_handshake() {
    run_cases(
        "other server",
        [Tickets::Stateless, Tickets::Stateful],
        |&mode| {
            let s = Setup::new();
            s.prime(s.client(), mode.server(&s));
            // Another server: its own ticketer and cache, same certificate.
            let other = Setup::new();
            let server = mode
                .server(&s)
                .ticketer(other.ticketer.clone())
                .session_cache(other.cache.clone());
            let mut c = Conn::new(s.client_ed(), server);
            match c.p.handshake() {
                Ok(()) => {}
                Err((side, e)) => {
                    return Err(format!("{side:?} failed instead of falling back: {e}"))
                }
            }
            check(c.ct.client_hello(true).psk().is_some(), || {
                "the client offered no ticket".into()
            })?;
            check_eq("resumed", c.resumed(), false)?;
            check_eq("certificates", c.ct.count("received Certificate"), 1)?;
            check(!c.p.server.early_data_accepted(), || {
                "0-RTT accepted".into()
            })?;
            c.p.round_trip();
            Ok(())
        },
    );
}

#[derive(Debug)]
struct SuiteCase {
    first: CipherSuite,
    client_then: &'static [CipherSuite],
    server_then: &'static [CipherSuite],
    /// Whether the client still offers the ticket (it drops those it cannot use).
    offered: bool,
}

#[test]
fn suite_mismatch_gives_a_full_handshake() {
    use CipherSuite::*;
    let cases = [
        // The client no longer offers the ticket's suite: it does not offer the ticket.
        SuiteCase {
            first: TLS13_AES_128_GCM_SHA256,
            client_then: &[TLS13_AES_256_GCM_SHA384],
            server_then: &[TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384],
            offered: false,
        },
        // The server no longer accepts it: the ticket is offered and ignored.
        SuiteCase {
            first: TLS13_AES_128_GCM_SHA256,
            client_then: &[TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384],
            server_then: &[TLS13_AES_256_GCM_SHA384],
            offered: true,
        },
        SuiteCase {
            first: TLS13_AES_256_GCM_SHA384,
            client_then: &[TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384],
            server_then: &[TLS13_AES_128_GCM_SHA256],
            offered: true,
        },
    ];
    run_cases("suite mismatch", cases, |case| {
        for mode in [Tickets::Stateless, Tickets::Stateful] {
            let s = Setup::new();
            s.prime(
                s.client().cipher_suites(&[case.first]),
                mode.server(&s).cipher_suites(&[case.first]),
            );
            let mut c = Conn::new(
                s.client_ed().cipher_suites(case.client_then),
                mode.server(&s).cipher_suites(case.server_then),
            );
            if let Err((side, e)) = c.p.handshake() {
                return Err(format!("{mode:?}: {side:?} failed: {e}"));
            }
            check_eq(
                &format!("{mode:?}: ticket offered"),
                c.ct.client_hello(true).psk().is_some(),
                case.offered,
            )?;
            check_eq(&format!("{mode:?}: resumed"), c.resumed(), false)?;
            check_eq(
                &format!("{mode:?}: certificates"),
                c.ct.count("received Certificate"),
                1,
            )?;
            c.p.round_trip();
        }
        Ok(())
    });
}

#[test]
fn ticket_expired_on_the_client_clock_is_not_offered() {
    let s = Setup::new();
    s.prime(s.client(), s.server());
    let lifetime = 6 * HOUR;
    // One second before the end of its lifetime the ticket is still used ...
    // (That server issues no new tickets: the store keeps only the first two.)
    let mut c = Conn::new(
        s.client().provider(clock(T0 + lifetime - 1)),
        s.server().tls13_tickets(0),
    );
    c.handshake_ok("within the lifetime");
    c.assert_resumed("within the lifetime");
    // ... at the end it is not (RFC 8446, 4.6.1: not cached beyond the lifetime).
    let mut c = Conn::new(s.client().provider(clock(T0 + lifetime)), s.server());
    c.handshake_ok("at the end of the lifetime");
    assert!(
        c.ct.client_hello(true).psk().is_none(),
        "an expired ticket was offered"
    );
    c.assert_full("expired ticket");
}

#[test]
fn ticket_older_than_seven_days_on_the_server_clock_gives_a_full_handshake() {
    run_cases(
        "seven days",
        [Tickets::Stateless, Tickets::Stateful],
        |&mode| {
            // Ticket keys live 30 days, so only the seven-day rule can refuse the ticket.
            let s = Setup::with_ticket_rotation(30 * DAY);
            let tickets = s.prime(s.client(), mode.server(&s));
            check_eq("tickets", tickets, 2)?;
            // The client's clock stands still, so it still offers the tickets.
            let mut c = Conn::new(
                s.client(),
                mode.server(&s)
                    .provider(clock(T0 + SEVEN_DAYS - 10))
                    .tls13_tickets(0),
            );
            c.p.handshake()
                .map_err(|(side, e)| format!("{side:?}: {e}"))?;
            check_eq("resumed just under seven days", c.resumed(), true)?;
            let mut c = Conn::new(
                s.client(),
                mode.server(&s).provider(clock(T0 + SEVEN_DAYS + 1)),
            );
            c.p.handshake()
                .map_err(|(side, e)| format!("{side:?}: {e}"))?;
            check(c.ct.client_hello(true).psk().is_some(), || {
                "the client offered no ticket".into()
            })?;
            check_eq("resumed after seven days", c.resumed(), false)?;
            check_eq("certificates", c.ct.count("received Certificate"), 1)?;
            Ok(())
        },
    );
}

#[test]
fn wrong_binder_is_decrypt_error() {
    run_cases(
        "wrong binder",
        [Tickets::Stateless, Tickets::Stateful],
        |&mode| {
            let s = Setup::new();
            s.prime(s.client(), mode.server(&s));
            let mut c = Conn::new(s.client(), mode.server(&s));
            // pre_shared_key is the last extension and its binders end the ClientHello.
            let outcome = c.p.drive(|f, bytes| {
                if f.index == 0 {
                    let mut records = split_records(bytes);
                    let last = records[0].payload.last_mut().expect("a ClientHello");
                    *last ^= 0x01;
                    *bytes = join_records(&records);
                }
            });
            let Outcome::Failed(Side::Server, e) = outcome else {
                return Err(format!("expected the server to fail, got {outcome:?}"));
            };
            check(
                matches!(e, Error::PeerMisbehaved(PeerMisbehaved::BadPskBinder)),
                || format!("error {e:?}"),
            )?;
            check_contains(
                "the error",
                &err_text(&e),
                "the client's pre-shared key binder does not verify",
            )?;
            check_eq(
                "alert",
                c.p.alert_sent_by(Side::Server),
                Some(AlertDescription::DecryptError),
            )?;
            Ok(())
        },
    );
}

#[test]
fn resumption_for_another_server_name_is_a_full_handshake() {
    // RFC 8446, 4.6.1: the server resumes only for the name of the original session.
    let id = identity(KeyType::Ecdsa, &["a.example", "b.example"]);
    let s = Setup { id, ..Setup::new() };
    let connect = |name: &str| {
        let ct = Arc::new(Trace::default());
        let client = s.client().observer(ct.clone());
        let mut p = Pair::named(client, s.server(), name);
        p.handshake().expect("handshake");
        (p, ct)
    };
    connect("a.example");
    // The client keeps tickets per name: b.example has none.
    let (p, ct) = connect("b.example");
    assert!(ct.client_hello(true).psk().is_none());
    assert!(!p.client.negotiated().resumed);
    let (p, _) = connect("a.example");
    assert!(p.client.negotiated().resumed);
}

// ---------------------------------------------------------------------------------
// 0-RTT

#[test]
fn early_data_accepted() {
    let s = Setup::new();
    s.prime(s.client_ed(), s.server_ed());
    let mut c = Conn::new(s.client_ed(), s.server_ed());
    assert_eq!(
        c.early_status(),
        ClientEarlyData::Offered {
            max: MAX_EARLY,
            sent: Vec::new()
        }
    );
    let data = pattern(MAX_EARLY + 500, 1);
    // Takes what fits under the ticket's limit, then nothing more.
    let n = c.p.client.write_early_data(&data[..1000]).unwrap();
    assert_eq!(n, 1000);
    let n2 = c.p.client.write_early_data(&data[1000..]).unwrap();
    assert_eq!(n2, MAX_EARLY - 1000, "only up to the ticket's limit");
    assert_eq!(c.p.client.write_early_data(b"more").unwrap(), 0);
    let early = &data[..MAX_EARLY];
    // Normal data written now waits for the handshake.
    c.p.client
        .writer()
        .write_all(b"after the handshake")
        .unwrap();

    c.handshake_ok("0-RTT");
    c.assert_resumed("0-RTT");
    assert!(c.p.server.early_data_accepted());
    assert_eq!(c.early_status(), ClientEarlyData::Accepted);
    let (got, ended) = read_early(&mut c.p.server);
    assert_eq!(got.len(), early.len());
    assert!(got == early, "the early data arrived changed");
    assert!(
        ended,
        "early_data() must report its end after EndOfEarlyData"
    );
    let (normal, _) = c.p.read(Side::Server);
    assert_eq!(
        normal, b"after the handshake",
        "0-RTT bytes must not be repeated as normal data"
    );
    // RFC 8446, 4.5: EndOfEarlyData, under the 0-RTT key, after the server's Finished.
    let lines = c.ct.lines();
    let pos = |l: &str| {
        lines
            .iter()
            .position(|x| x == l)
            .unwrap_or_else(|| panic!("no {l} in {lines:?}"))
    };
    assert!(pos("received Finished") < pos("sent EndOfEarlyData"));
    assert!(pos("sent EndOfEarlyData") < pos("sent Finished"));
    let eoed = c.ct.messages(true, HandshakeType::EndOfEarlyData);
    assert_eq!(eoed.len(), 1);
    assert_eq!(eoed[0].0, Protection::EarlyData);
    assert_eq!(c.st.count("received EndOfEarlyData"), 1);
    // The ServerHello came too late for more early data.
    assert_eq!(c.p.client.write_early_data(b"late").unwrap(), 0);
    c.p.round_trip();
}

#[test]
fn early_data_smaller_than_the_limit_and_empty() {
    for len in [0usize, 1, 100] {
        let s = Setup::new();
        s.prime(s.client_ed(), s.server_ed());
        let mut c = Conn::new(s.client_ed(), s.server_ed());
        let data = pattern(len, 7);
        assert_eq!(c.p.client.write_early_data(&data).unwrap(), len);
        c.handshake_ok("0-RTT");
        assert!(c.p.server.early_data_accepted(), "len {len}");
        assert_eq!(c.early_status(), ClientEarlyData::Accepted, "len {len}");
        assert_eq!(read_early(&mut c.p.server), (data, true), "len {len}");
        assert_eq!(c.p.read(Side::Server).0, Vec::<u8>::new(), "len {len}");
    }
}

#[test]
fn early_data_not_offered_without_a_suitable_ticket() {
    // No ticket at all.
    let s = Setup::new();
    let mut c = Conn::new(s.client_ed(), s.server_ed());
    assert_eq!(c.early_status(), ClientEarlyData::NotOffered);
    assert_eq!(c.p.client.write_early_data(b"x").unwrap(), 0);
    c.handshake_ok("first");
    assert_eq!(c.early_status(), ClientEarlyData::NotOffered);
    assert!(!c.ct.client_hello(true).early_data());
    // A ticket from a server without 0-RTT.
    let s = Setup::new();
    s.prime(s.client_ed(), s.server());
    let mut c = Conn::new(s.client_ed(), s.server_ed());
    assert_eq!(c.early_status(), ClientEarlyData::NotOffered);
    assert_eq!(c.p.client.write_early_data(b"x").unwrap(), 0);
    c.handshake_ok("stateless ticket");
    assert!(!c.ct.client_hello(true).early_data());
    // A client that did not enable 0-RTT.
    let s = Setup::new();
    s.prime(s.client(), s.server_ed());
    let mut c = Conn::new(s.client(), s.server_ed());
    assert_eq!(c.p.client.write_early_data(b"x").unwrap(), 0);
    c.handshake_ok("client without 0-RTT");
    c.assert_resumed("client without 0-RTT");
    assert!(!c.ct.client_hello(true).early_data());
}

#[derive(Debug, Clone, Copy)]
enum Rejection {
    /// The same session cache, but the server no longer accepts 0-RTT (max 0).
    ServerMaxZero,
    /// A server that never saw the ticket (own cache and ticketer), without 0-RTT.
    UnknownServerWithoutEarlyData,
    /// A server that never saw the ticket, with 0-RTT.
    UnknownServerWithEarlyData,
    /// The client sends no key share the server can use: HelloRetryRequest.
    HelloRetry,
    /// The client now offers another ALPN protocol (RFC 8446, 4.2.10).
    AlpnChanged,
    /// The server's clock is a minute ahead: the ticket age is off (RFC 8446, 8.3).
    ServerClockAhead,
    /// The client's clock is a minute ahead.
    ClientClockAhead,
}

#[test]
fn rejected_early_data_arrives_after_the_handshake() {
    use Rejection::*;
    let cases = [
        ServerMaxZero,
        UnknownServerWithoutEarlyData,
        UnknownServerWithEarlyData,
        HelloRetry,
        AlpnChanged,
        ServerClockAhead,
        ClientClockAhead,
    ];
    run_cases("rejected 0-RTT", cases, |&case| {
        let s = Setup::new();
        let alpn = |p: &[u8]| vec![p.to_vec()];
        let both = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        s.prime(
            s.client_ed().alpn(alpn(b"h2")),
            s.server_ed().alpn(both.clone()),
        );
        let other = Setup::new();
        let (client, server, resumed) = match case {
            ServerMaxZero => (s.client_ed(), s.server().max_early_data(0), true),
            UnknownServerWithoutEarlyData => (
                s.client_ed(),
                other.server().ticketer(other.ticketer.clone()),
                false,
            ),
            UnknownServerWithEarlyData => (s.client_ed(), other.server_ed(), false),
            HelloRetry => (s.client_ed().key_share_groups(&[]), s.server_ed(), true),
            AlpnChanged => (s.client_ed().alpn(alpn(b"http/1.1")), s.server_ed(), true),
            ServerClockAhead => (s.client_ed(), s.server_ed().provider(clock(T0 + 60)), true),
            ClientClockAhead => (s.client_ed().provider(clock(T0 + 60)), s.server_ed(), true),
        };
        let server = server.alpn(both.clone());
        let client = match case {
            AlpnChanged => client,
            _ => client.alpn(alpn(b"h2")),
        };
        let mut c = Conn::new(client, server);
        check_eq(
            "offered",
            matches!(c.early_status(), ClientEarlyData::Offered { .. }),
            true,
        )?;
        let early = pattern(300, 3);
        check_eq(
            "bytes taken",
            c.p.client.write_early_data(&early).unwrap(),
            300,
        )?;
        c.p.client.writer().write_all(b"|normal").unwrap();
        c.p.handshake().map_err(|(side, e)| {
            format!("{side:?} failed: {e}; client trace {:?}", c.ct.lines())
        })?;
        check_eq("resumed", c.resumed(), resumed)?;
        check_eq("server accepted", c.p.server.early_data_accepted(), false)?;
        check_eq("client status", c.early_status(), ClientEarlyData::Rejected)?;
        check_eq(
            "early_data() on the server",
            read_early(&mut c.p.server),
            (Vec::new(), true),
        )?;
        // RFC 8446, 4.5: no EndOfEarlyData when the server did not accept.
        check_eq("EndOfEarlyData sent", c.ct.count("sent EndOfEarlyData"), 0)?;
        let mut want = early.clone();
        want.extend_from_slice(b"|normal");
        let (got, _) = c.p.read(Side::Server);
        check(got == want, || {
            format!(
                "the server read {} bytes ({:?}...), expected the 300 early bytes once, then \"|normal\"",
                got.len(),
                &got[..got.len().min(16)]
            )
        })?;
        c.p.round_trip();
        Ok(())
    });
}

#[test]
fn early_data_within_the_freshness_window_is_accepted() {
    // RFC 8446, 8.3: the window is 10 s here; 5 s of clock drift either way is fine.
    for (client_at, server_at) in [(T0, T0 + 5), (T0 + 5, T0), (T0 + 30, T0 + 30)] {
        let s = Setup::new();
        s.prime(s.client_ed(), s.server_ed());
        let mut c = Conn::new(
            s.client_ed().provider(clock(client_at)),
            s.server_ed().provider(clock(server_at)),
        );
        let what = format!(
            "client at T0+{}, server at T0+{}",
            client_at - T0,
            server_at - T0
        );
        assert_eq!(c.p.client.write_early_data(b"fresh").unwrap(), 5, "{what}");
        c.handshake_ok(&what);
        assert!(c.p.server.early_data_accepted(), "{what}");
        assert_eq!(read_early(&mut c.p.server).0, b"fresh", "{what}");
    }
}

#[test]
fn write_early_data_when_not_offered_returns_zero() {
    let s = Setup::new();
    let mut c = Conn::new(s.client_ed(), s.server_ed());
    assert_eq!(c.p.client.write_early_data(&[1; 10]).unwrap(), 0);
}

// ---------------------------------------------------------------------------------
// Replay (RFC 8446, 8)

/// A 0-RTT connection's first flight (ClientHello, CCS, early data), not yet delivered.
fn zero_rtt_flight(s: &Setup, server: ServerConfigBuilder, early: &[u8]) -> (Conn, Vec<u8>) {
    s.prime(s.client_ed(), s.server_ed());
    let mut c = Conn::new(s.client_ed(), server);
    assert_eq!(c.p.client.write_early_data(early).unwrap(), early.len());
    let flight = c.p.take(Side::Client);
    (c, flight)
}

/// Delivers a replayed first flight to a fresh connection of `config`: the early data
/// must not be accepted and must not reach the application by any route.
fn replay_to(config: Arc<ServerConfig>, flight: &[u8], what: &str) -> Result<(), String> {
    let mut server = ServerConnection::new(config).expect("server connection");
    let mut rest = flight;
    let mut outcome = Ok(());
    while !rest.is_empty() {
        let taken = server.feed_tls(rest);
        rest = &rest[taken..];
        if let Err(e) = server.process_new_packets() {
            outcome = Err(e);
            break;
        }
    }
    println!("{what}: replay outcome {outcome:?}");
    check_eq(
        &format!("{what}: accepted"),
        server.early_data_accepted(),
        false,
    )?;
    let (early, _) = read_early(&mut server);
    check_eq(&format!("{what}: early_data()"), early, Vec::new())?;
    let (normal, _) = read_plaintext(&mut server);
    check_eq(&format!("{what}: reader()"), normal, Vec::new())?;
    check_eq(
        &format!("{what}: resumed"),
        server.negotiated().resumed,
        false,
    )?;
    Ok(())
}

#[test]
fn replayed_first_flight_gets_no_early_data() {
    let s = Setup::new();
    let early = b"POST /transfer?amount=100".to_vec();
    let (mut c, flight) = zero_rtt_flight(&s, s.server_ed(), &early);
    // The genuine connection gets its early data ...
    c.p.deliver(Side::Server, &flight).expect("first delivery");
    assert!(c.p.server.early_data_accepted());
    c.handshake_ok("the genuine connection");
    assert_eq!(read_early(&mut c.p.server), (early.clone(), true));

    // ... the same bytes again get none: same configuration, a configuration
    // sharing the cache and ticketer (another server of the fleet), and one sharing
    // only the ticketer.
    let mut failures = Vec::new();
    let shares_store = s.server_ed().build().expect("config");
    let shares_ticketer = s
        .server_ed()
        .session_cache(Arc::new(InMemorySessionCache::new(8)))
        .build()
        .expect("config");
    for (what, config) in [
        ("the same configuration", c.server_config.clone()),
        ("the same configuration again", c.server_config.clone()),
        ("a server sharing the session cache", shares_store),
        ("a server sharing only the ticketer", shares_ticketer),
    ] {
        if let Err(e) = replay_to(config, &flight, what) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn replay_before_the_genuine_connection_consumes_the_ticket() {
    // If the attacker's copy arrives first, it is the one that gets the early data
    // (that is what 0-RTT allows); the genuine connection must then not get it again.
    let s = Setup::new();
    let early = b"GET /idempotent".to_vec();
    let (mut c, flight) = zero_rtt_flight(&s, s.server_ed(), &early);
    let mut first = ServerConnection::new(c.server_config.clone()).unwrap();
    let mut rest = &flight[..];
    while !rest.is_empty() {
        let n = first.feed_tls(rest);
        rest = &rest[n..];
        first.process_new_packets().expect("first copy");
    }
    assert!(first.early_data_accepted());
    assert_eq!(read_early(&mut first).0, early);

    c.p.deliver(Side::Server, &flight).expect("second copy");
    assert!(
        !c.p.server.early_data_accepted(),
        "the ticket was used twice"
    );
    c.handshake_ok("the genuine client, after the replay");
    assert_eq!(c.early_status(), ClientEarlyData::Rejected);
    assert_eq!(read_early(&mut c.p.server), (Vec::new(), true));
    // The client re-sends its data as normal data: it arrives exactly once here.
    assert_eq!(c.p.read(Side::Server).0, early);
}

// ---------------------------------------------------------------------------------
// Early data limit and EndOfEarlyData

#[test]
fn early_data_over_the_servers_current_limit_is_unexpected_message() {
    // The ticket promised 1024 bytes; the server now allows only 16 (RFC 8446,
    // 4.2.10: the max_early_data_size of the accepted ticket binds).
    let s = Setup::new();
    s.prime(s.client_ed(), s.server_ed());
    let mut c = Conn::new(s.client_ed(), s.server().max_early_data(16));
    let data = pattern(100, 9);
    assert_eq!(c.p.client.write_early_data(&data).unwrap(), 100);
    match c.p.drive(|_, _| {}) {
        Outcome::Failed(Side::Server, e) => {
            assert!(
                matches!(
                    e,
                    Error::PeerMisbehaved(PeerMisbehaved::TooMuchEarlyData { .. })
                ),
                "{e:?}"
            );
            assert_contains(&err_text(&e), "more 0-RTT data than the 16 bytes allowed");
            assert_eq!(
                c.p.alert_sent_by(Side::Server),
                Some(AlertDescription::UnexpectedMessage)
            );
        }
        other => panic!("expected the server to fail, got {other:?}"),
    }
}

fn assert_contains(text: &str, needle: &str) {
    assert!(
        text.contains(needle),
        "{text:?} does not contain {needle:?}"
    );
}

/// A 0-RTT connection whose first flight is held back, with a record cipher for the
/// client's early traffic secret positioned after the records the client sent.
fn hand_sealed_early_data(limit_fill: usize) -> (Conn, Vec<u8>, RecordCipher) {
    let s = Setup::new();
    s.prime(
        s.client_ed()
            .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256]),
        s.server_ed(),
    );
    let mut c = Conn::new(s.client_ed(), s.server_ed());
    let fill = pattern(limit_fill, 5);
    assert_eq!(c.p.client.write_early_data(&fill).unwrap(), limit_fill);
    let flight = c.p.take(Side::Client);
    let secret =
        c.p.client_keys
            .secret("CLIENT_EARLY_TRAFFIC_SECRET")
            .expect("the client logged its early secret");
    let mut cipher = RecordCipher::new(suite(CipherSuite::TLS13_AES_128_GCM_SHA256), &secret);
    // The records the client already sealed under this key.
    cipher.seq = split_records(&flight)
        .iter()
        .filter(|r| r.typ == ContentType::ApplicationData)
        .count() as u64;
    (c, flight, cipher)
}

#[test]
fn hand_written_early_data_over_the_limit_is_unexpected_message() {
    // Exactly the limit is fine ...
    let (mut c, mut flight, mut cipher) = hand_sealed_early_data(MAX_EARLY - 10);
    flight.extend(cipher.seal_bytes(ContentType::ApplicationData, &[0xaa; 10]));
    c.p.deliver(Side::Server, &flight)
        .expect("exactly the limit");
    assert!(c.p.server.early_data_accepted());
    // (The handshake cannot go on: the client's next 0-RTT record, EndOfEarlyData,
    // reuses the sequence number of the record written by hand.)
    let mut want = pattern(MAX_EARLY - 10, 5);
    want.extend([0xaa; 10]);
    assert_eq!(read_early(&mut c.p.server), (want, false));

    // ... one byte more is not.
    let (mut c, mut flight, mut cipher) = hand_sealed_early_data(MAX_EARLY - 10);
    flight.extend(cipher.seal_bytes(ContentType::ApplicationData, &[0xaa; 11]));
    let e =
        c.p.deliver(Side::Server, &flight)
            .expect_err("one byte over the limit");
    assert!(
        matches!(
            e,
            Error::PeerMisbehaved(PeerMisbehaved::TooMuchEarlyData { .. })
        ),
        "{e:?}"
    );
    assert_contains(&err_text(&e), "more 0-RTT data than the 1024 bytes allowed");
    assert_eq!(
        c.p.alert_sent_by(Side::Server),
        Some(AlertDescription::UnexpectedMessage)
    );
}

#[test]
fn early_data_after_end_of_early_data_is_refused() {
    // The client's second flight: EndOfEarlyData under the 0-RTT key, then Finished.
    // A 0-RTT record after EndOfEarlyData cannot be accepted as early data.
    let (mut c, flight, mut cipher) = hand_sealed_early_data(10);
    c.p.deliver(Side::Server, &flight).unwrap();
    c.p.transfer(Side::Server).unwrap();
    let second = c.p.take(Side::Client);
    let records = split_records(&second);
    // Find EndOfEarlyData (the first record under the early key after the ones sent).
    let eoed_at = records
        .iter()
        .position(|r| {
            r.typ == ContentType::ApplicationData
                && cipher
                    .open_at(r, cipher.seq)
                    .is_some_and(|(t, m)| t == ContentType::Handshake && m == [5, 0, 0, 0])
        })
        .expect("EndOfEarlyData under the early key");
    cipher.seq += 1;
    let extra = cipher.seal(ContentType::ApplicationData, b"late 0-RTT");
    let mut edited = records.clone();
    edited.insert(eoed_at + 1, extra);
    let e =
        c.p.deliver(Side::Server, &join_records(&edited))
            .expect_err("0-RTT after EndOfEarlyData");
    println!("server error: {e}");
    assert_eq!(
        c.p.alert_sent_by(Side::Server),
        Some(AlertDescription::BadRecordMac)
    );
    assert_eq!(read_early(&mut c.p.server).0, pattern(10, 5));
    let mut buf = [0u8; 64];
    let read = c.p.server.reader().read(&mut buf);
    assert!(
        read.is_err(),
        "the failed server yielded plaintext: {read:?}"
    );
}

#[test]
fn missing_end_of_early_data_fails_the_handshake() {
    let (mut c, flight, cipher) = hand_sealed_early_data(10);
    c.p.deliver(Side::Server, &flight).unwrap();
    c.p.transfer(Side::Server).unwrap();
    let second = c.p.take(Side::Client);
    let records: Vec<_> = split_records(&second)
        .into_iter()
        .filter(|r| {
            !(r.typ == ContentType::ApplicationData && cipher.open_at(r, cipher.seq).is_some())
        })
        .collect();
    let e =
        c.p.deliver(Side::Server, &join_records(&records))
            .expect_err("a Finished without EndOfEarlyData");
    println!("server error: {e}");
    assert!(c.p.server.is_handshaking());
}

#[test]
fn end_of_early_data_when_early_data_was_rejected_is_unexpected_message() {
    // RFC 8446, 4.5: without an early_data extension in EncryptedExtensions the client
    // must not send EndOfEarlyData; a server that gets one fails the handshake.
    let s = Setup::new();
    s.prime(s.client_ed(), s.server_ed());
    let mut c = Conn::new(s.client_ed(), s.server().max_early_data(0));
    c.p.client.write_early_data(b"rejected").unwrap();
    c.p.transfer(Side::Client).unwrap();
    c.p.transfer(Side::Server).unwrap();
    assert_eq!(c.early_status(), ClientEarlyData::Rejected);
    // The flight: Finished under the handshake key, then the re-sent data under
    // the application key. Put an EndOfEarlyData before the Finished.
    let records = split_records(&c.p.take(Side::Client));
    let mut hs = c.p.cipher(Side::Client, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
    let fin_at = records
        .iter()
        .position(|r| r.typ == ContentType::ApplicationData)
        .expect("a protected record");
    let (typ, fin) = hs.open_at(&records[fin_at], 0).expect("Finished");
    assert_eq!((typ, fin[0]), (ContentType::Handshake, 20));
    let mut edited = records[..fin_at].to_vec();
    edited.push(hs.seal(ContentType::Handshake, &[5, 0, 0, 0]));
    edited.push(hs.seal(ContentType::Handshake, &fin));
    edited.extend_from_slice(&records[fin_at + 1..]);
    let second = join_records(&edited);
    let e =
        c.p.deliver(Side::Server, &second)
            .expect_err("an unexpected EndOfEarlyData");
    assert!(matches!(e, Error::UnexpectedMessage { .. }), "{e:?}");
    assert_contains(&err_text(&e), "EndOfEarlyData");
    assert_eq!(
        c.p.alert_sent_by(Side::Server),
        Some(AlertDescription::UnexpectedMessage)
    );
}

#[test]
fn early_data_reader_blocks_until_end_of_early_data() {
    let s = Setup::new();
    s.prime(s.client_ed(), s.server_ed());
    let mut c = Conn::new(s.client_ed(), s.server_ed());
    c.p.client.write_early_data(b"part one").unwrap();
    c.p.transfer(Side::Client).unwrap();
    assert!(c.p.server.early_data_accepted());
    // Before EndOfEarlyData: the data so far, then WouldBlock (more may come).
    assert_eq!(read_early(&mut c.p.server), (b"part one".to_vec(), false));
    c.handshake_ok("rest");
    assert_eq!(read_early(&mut c.p.server), (Vec::new(), true));
}

// ---------------------------------------------------------------------------------
// Client certificates (RFC 8446, 4.3.2, 4.4.2, 4.4.3)

/// A CA for client certificates, made with rcgen (with the key identifiers the
/// verifier requires, RFC 5280, 4.2.1.1).
struct ClientCa {
    cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl ClientCa {
    fn new(name: &str) -> ClientCa {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, name);
        ca.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let cert = ca.self_signed(&key).unwrap();
        ClientCa {
            cert: cert.der().clone(),
            issuer: Issuer::new(ca, key),
        }
    }

    /// A leaf for `name` with these extended key usages; chain: leaf, CA.
    fn issue(
        &self,
        name: &str,
        eku: Vec<ExtendedKeyUsagePurpose>,
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        self.issue_with(name, eku, |_| {})
    }

    /// [`Self::issue`], with `edit` applied to the leaf's parameters before signing.
    fn issue_with(
        &self,
        name: &str,
        eku: Vec<ExtendedKeyUsagePurpose>,
        edit: impl FnOnce(&mut CertificateParams),
    ) -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut leaf = CertificateParams::new(vec![name.to_string()]).unwrap();
        leaf.distinguished_name.push(DnType::CommonName, name);
        leaf.use_authority_key_identifier_extension = true;
        leaf.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = eku;
        edit(&mut leaf);
        let cert = leaf.signed_by(&key, &self.issuer).unwrap();
        (
            vec![cert.der().clone(), self.cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }

    /// A server-side verifier trusting this CA for client certificates.
    fn verifier(&self, optional: bool) -> Arc<dyn ClientCertVerifier> {
        let mut roots = RootStore::new();
        roots.add(TrustAnchor::from_cert(self.cert.clone()).expect("CA"));
        let v = ClientAuthVerifier::new(Verifier::new(roots));
        Arc::new(if optional { v.optional() } else { v })
    }

    /// A verifier requiring client certificates from this CA, with a current CRL
    /// (T0 lies between its updates) that revokes serial `serial`.
    fn verifier_revoking(&self, serial: u64) -> Arc<dyn ClientCertVerifier> {
        let crl = CertificateRevocationListParams {
            this_update: date_time_ymd(2023, 11, 1),
            next_update: date_time_ymd(2023, 12, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: vec![RevokedCertParams {
                serial_number: SerialNumber::from(serial),
                revocation_time: date_time_ymd(2023, 11, 10),
                reason_code: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            }],
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.issuer)
        .unwrap();
        let mut roots = RootStore::new();
        roots.add(TrustAnchor::from_cert(self.cert.clone()).expect("CA"));
        let v = Verifier::new(roots).with_crls(vec![crl.der().to_vec()]);
        Arc::new(ClientAuthVerifier::new(v))
    }
}

/// The trusted client CA of these tests and one client certificate it issued.
struct ClientAuth {
    ca: ClientCa,
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// The serial number of [`ClientAuth`]'s client certificate.
const CLIENT_SERIAL: u64 = 0x4242;

impl ClientAuth {
    fn new() -> ClientAuth {
        let ca = ClientCa::new("Client Test CA");
        let (chain, key) = ca.issue_with(
            "client.example",
            vec![ExtendedKeyUsagePurpose::ClientAuth],
            |p| p.serial_number = Some(SerialNumber::from(CLIENT_SERIAL)),
        );
        ClientAuth { ca, chain, key }
    }

    fn client(&self, s: &Setup) -> ClientConfigBuilder {
        s.client()
            .client_cert(self.chain.clone(), &self.key)
            .unwrap()
    }

    fn server(&self, s: &Setup, optional: bool) -> ServerConfigBuilder {
        s.server().client_auth(self.ca.verifier(optional))
    }
}

/// A CA nobody trusts, and a client certificate it issued (chain: leaf, CA).
fn untrusted_client() -> (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>) {
    ClientCa::new("Untrusted Test CA")
        .issue("mallory.example", vec![ExtendedKeyUsagePurpose::ClientAuth])
}

#[test]
fn client_certificate_required_and_presented() {
    let s = Setup::new();
    let me = ClientAuth::new();
    let mut c = Conn::new(me.client(&s), me.server(&s, false));
    c.handshake_ok("mTLS");
    assert!(c.p.client.negotiated().client_auth);
    assert!(c.p.server.negotiated().client_auth);
    assert_eq!(c.p.server.peer_certificates(), &me.chain[..]);
    for line in [
        "received CertificateRequest",
        "sent Certificate",
        "sent CertificateVerify",
    ] {
        assert_eq!(c.ct.count(line), 1, "client {line}: {:?}", c.ct.lines());
    }
    // RFC 8446, 4.2.4: the request names the acceptable CA.
    let (_, cr) =
        c.ct.messages(false, HandshakeType::CertificateRequest)
            .remove(0);
    let HandshakePayload::CertificateRequest(cr) = cr.payload else {
        unreachable!()
    };
    assert!(cr.context.is_empty());
    assert!(cr.signature_algorithms().is_some_and(|s| !s.is_empty()));
    let cas = cr
        .extensions
        .iter()
        .find_map(|e| match e {
            CertReqExtension::CertificateAuthorities(c) => Some(c.clone()),
            _ => None,
        })
        .expect("certificate_authorities");
    assert_eq!(cas.len(), 1);
    c.p.round_trip();
}

#[test]
fn client_certificate_required_but_missing_is_certificate_required() {
    let s = Setup::new();
    let me = ClientAuth::new();
    let mut c = Conn::new(s.client(), me.server(&s, false));
    match c.p.handshake() {
        Err((Side::Server, e)) => {
            assert!(
                matches!(e, Error::PeerMisbehaved(PeerMisbehaved::NoCertificate)),
                "{e:?}"
            );
            assert_contains(
                &err_text(&e),
                "peer sent no certificate, but one is required",
            );
            assert_eq!(
                c.p.alert_sent_by(Side::Server),
                Some(AlertDescription::CertificateRequired)
            );
        }
        other => panic!("expected the server to fail, got {other:?}"),
    }
    // The client sent an empty Certificate and no CertificateVerify.
    assert_eq!(c.ct.count("sent Certificate"), 1);
    assert_eq!(c.ct.count("sent CertificateVerify"), 0);
    assert!(!c.p.client.negotiated().client_auth || c.ct.count("received CertificateRequest") == 1);
}

#[test]
fn client_certificate_optional() {
    let s = Setup::new();
    let me = ClientAuth::new();
    // Without a certificate: accepted, anonymous.
    let mut c = Conn::new(s.client(), me.server(&s, true));
    c.handshake_ok("optional, none");
    assert!(c.p.server.peer_certificates().is_empty());
    c.p.round_trip();
    // With one: verified and recorded (a new ticket store: no resumption).
    let s = Setup::new();
    let mut c = Conn::new(me.client(&s), me.server(&s, true));
    c.handshake_ok("optional, presented");
    assert_eq!(c.p.server.peer_certificates(), &me.chain[..]);
}

#[test]
fn client_certificate_from_an_untrusted_ca_is_refused() {
    let s = Setup::new();
    let me = ClientAuth::new();
    let (chain, key) = untrusted_client();
    for optional in [false, true] {
        let mut c = Conn::new(
            s.client().client_cert(chain.clone(), &key).unwrap(),
            me.server(&s, optional),
        );
        match c.p.handshake() {
            Err((Side::Server, e)) => {
                assert!(matches!(e, Error::Certificate(_)), "{e:?}");
                let text = err_text(&e);
                println!("untrusted client certificate: {text}");
                assert_contains(&text, "mallory.example");
                assert_contains(&text, "Untrusted Test CA");
                assert_contains(&text, "not in the trust store");
                assert_eq!(
                    c.p.alert_sent_by(Side::Server),
                    Some(AlertDescription::UnknownCa),
                    "optional: {optional}"
                );
            }
            other => panic!("optional {optional}: expected the server to fail, got {other:?}"),
        }
    }
}

#[test]
fn client_certificate_error_text_blames_the_client() {
    // The server's explanation of a refused client certificate must speak of the
    // client: it is the client that sent the chain.
    let s = Setup::new();
    let me = ClientAuth::new();
    let (chain, key) = untrusted_client();
    let leaf_only = vec![chain[0].clone()];
    let mut c = Conn::new(
        s.client().client_cert(leaf_only, &key).unwrap(),
        me.server(&s, false),
    );
    let Err((Side::Server, e)) = c.p.handshake() else {
        panic!("expected the server to fail");
    };
    let text = err_text(&e);
    for wrong in [
        "sent by the server",
        "the server sent",
        "The server probably",
    ] {
        assert!(
            !text.contains(wrong),
            "the explanation of a client certificate failure blames the server ({wrong:?}): {text:?}"
        );
    }
}

#[test]
fn client_certificate_for_server_auth_only_is_refused() {
    // A certificate whose extended key usage allows only serverAuth cannot
    // authenticate a client (RFC 5280, 4.2.1.12).
    let me = ClientAuth::new();
    let (chain, key) = me.ca.issue(
        "server-only.example",
        vec![ExtendedKeyUsagePurpose::ServerAuth],
    );
    let s = Setup::new();
    let mut c = Conn::new(
        s.client().client_cert(chain, &key).unwrap(),
        me.server(&s, false),
    );
    let Err((Side::Server, e)) = c.p.handshake() else {
        panic!("a serverAuth-only certificate authenticated a client");
    };
    println!("{e}");
    assert!(matches!(e, Error::Certificate(_)), "{e:?}");
    assert_eq!(
        c.p.alert_sent_by(Side::Server),
        Some(AlertDescription::UnsupportedCertificate)
    );
}

#[test]
fn bad_client_certificate_verify_is_decrypt_error() {
    let s = Setup::new();
    let me = ClientAuth::new();
    let mut c = Conn::new(me.client(&s), me.server(&s, false));
    c.p.transfer(Side::Client).unwrap();
    c.p.transfer(Side::Server).unwrap();
    let mut second = c.p.take(Side::Client);
    c.p.edit_sealed(
        Side::Client,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        &mut second,
        |pieces| {
            let cv = sealed_message(pieces, HandshakeType::CertificateVerify);
            // The last byte of the signature.
            *cv.last_mut().unwrap() ^= 0x01;
        },
    );
    let e =
        c.p.deliver(Side::Server, &second)
            .expect_err("a bad CertificateVerify");
    assert!(
        matches!(
            e,
            Error::PeerMisbehaved(PeerMisbehaved::BadCertificateVerify { .. })
        ),
        "{e:?}"
    );
    assert_contains(&err_text(&e), "CertificateVerify signature");
    assert_eq!(
        c.p.alert_sent_by(Side::Server),
        Some(AlertDescription::DecryptError)
    );
}

#[test]
fn resumption_does_not_request_client_certificates() {
    // RFC 8446, 4.3.2: no CertificateRequest in a PSK handshake.
    let s = Setup::new();
    let me = ClientAuth::new();
    let client = || me.client(&s);
    let server = || me.server(&s, false);
    s.prime(client(), server());
    let mut c = Conn::new(client(), server());
    c.handshake_ok("resumed with client auth configured");
    c.assert_resumed("resumed with client auth configured");
    assert_eq!(c.st.count("sent CertificateRequest"), 0);
    assert_eq!(c.ct.count("sent Certificate"), 0);
    c.p.round_trip();
}

#[test]
fn resumed_session_keeps_the_client_identity() {
    // The PSK stands for the original handshake's authentication (RFC 8446, 2.2):
    // a server application that authorizes by client certificate must see the same
    // client after resumption, or a resumed mTLS client looks anonymous.
    let s = Setup::new();
    let me = ClientAuth::new();
    let client = || me.client(&s);
    let server = || me.server(&s, false);
    s.prime(client(), server());
    let mut c = Conn::new(client(), server());
    c.handshake_ok("resumed");
    assert!(c.resumed());
    assert_eq!(
        c.p.server.peer_certificates(),
        &me.chain[..],
        "the resumed server connection lost the client's certificate"
    );
}

#[test]
fn tls12_resumed_session_keeps_the_client_identity() {
    // The same for TLS 1.2 (RFC 5246, 7.4.1.2; RFC 5077), by session ID and by ticket,
    // on the fixed clock the server re-checks the client's chain at.
    for tickets in [false, true] {
        let s = Setup::new();
        let me = ClientAuth::new();
        let client = || {
            me.client(&s)
                .versions(&[ProtocolVersion::TLSv1_2])
                .session_tickets(tickets)
        };
        let server = || me.server(&s, false).session_tickets(tickets);
        s.prime(client(), server());
        for n in 2..=3 {
            let mut c = Conn::new(client(), server());
            c.handshake_ok("resumed");
            assert!(c.resumed(), "tickets {tickets}, connection {n}");
            assert_eq!(
                c.p.server.negotiated().version,
                Some(ProtocolVersion::TLSv1_2)
            );
            assert_eq!(
                c.p.server.peer_certificates(),
                &me.chain[..],
                "tickets {tickets}, connection {n}: the client's certificate was lost"
            );
            c.p.round_trip();
        }
    }
}

// ---------------------------------------------------------------------------------
// Tickets and client authentication. Servers of one deployment share a ticketer and
// session cache yet may differ (or change) in how they authenticate clients. A ticket
// stands for the client of the connection that issued it (RFC 8446, 2.2), and a PSK
// handshake sends no CertificateRequest (RFC 8446, 4.3.2): so a ticket resumes only
// where a full handshake would accept that client now. Otherwise the server ignores
// the PSK (RFC 8446, 4.2.11) and its full handshake asks for a certificate.

/// A server of `mode` sharing `s`'s ticketer and cache, verifying client
/// certificates with `verifier` (none: no client authentication).
fn auth_server(
    s: &Setup,
    mode: Tickets,
    verifier: Option<Arc<dyn ClientCertVerifier>>,
) -> ServerConfigBuilder {
    match verifier {
        Some(v) => mode.server(s).client_auth(v),
        None => mode.server(s),
    }
}

impl Conn {
    /// Asserts the client offered a ticket that the server ignored for a full
    /// handshake, with a CertificateRequest if `requested`.
    fn assert_ticket_ignored(&self, what: &str, requested: bool) {
        assert!(
            self.ct.client_hello(true).psk().is_some(),
            "{what}: the client offered no ticket"
        );
        assert_eq!(
            self.st.server_hello(true).psk_index(),
            None,
            "{what}: the server selected the ticket; server trace {:?}",
            self.st.lines()
        );
        assert!(!self.p.server.negotiated().resumed, "{what}: resumed");
        for (line, want) in [
            ("sent Certificate", 1),
            ("sent CertificateVerify", 1),
            ("sent CertificateRequest", usize::from(requested)),
        ] {
            assert_eq!(self.st.count(line), want, "{what}: server {line}");
        }
    }

    /// The server's error, which must end the handshake.
    fn server_error(&mut self, what: &str) -> Error {
        match self.p.handshake() {
            Err((Side::Server, e)) => e,
            other => panic!(
                "{what}: expected the server to refuse the client, got {other:?}; server trace {:?}",
                self.st.lines()
            ),
        }
    }
}

#[test]
fn an_anonymous_ticket_does_not_resume_where_a_certificate_is_now_required() {
    for mode in [Tickets::Stateless, Tickets::Stateful] {
        let s = Setup::new();
        let me = ClientAuth::new();
        let optional = || auth_server(&s, mode, Some(me.ca.verifier(true)));
        let required = || auth_server(&s, mode, Some(me.ca.verifier(false)));
        s.prime(s.client_ed(), auth_server(&s, mode, None));

        // Where a certificate is optional, a full handshake could do without one: the
        // anonymous ticket resumes, and the connection stays anonymous.
        let what = format!("{mode:?}, optional client auth");
        let mut c = Conn::new(s.client(), optional());
        c.handshake_ok(&what);
        c.assert_resumed(&what);
        assert!(c.p.server.peer_certificates().is_empty(), "{what}");

        // Where one is required, the ticket is ignored: the full handshake asks for the
        // certificate the client lacks, and its 0-RTT data is not accepted.
        let what = format!("{mode:?}, required client auth, no certificate");
        let mut c = Conn::new(s.client_ed(), required());
        let early = c.p.client.write_early_data(b"GET /admin").unwrap();
        assert_eq!(
            early > 0,
            matches!(mode, Tickets::Stateful),
            "{what}: 0-RTT"
        );
        let e = c.server_error(&what);
        assert_eq!(
            e,
            Error::PeerMisbehaved(PeerMisbehaved::NoCertificate),
            "{what}"
        );
        assert_eq!(
            e.to_string(),
            "peer sent no certificate, but one is required"
        );
        c.assert_ticket_ignored(&what, true);
        assert!(!c.p.server.early_data_accepted(), "{what}: 0-RTT accepted");
        assert_eq!(
            c.p.alert_sent_by(Side::Server),
            Some(AlertDescription::CertificateRequired),
            "{what}"
        );

        // A client with a certificate, offering an anonymous ticket from the shared
        // store, gets a full handshake that verifies it; its new tickets carry the chain.
        let what = format!("{mode:?}, required client auth, certificate");
        let mut c = Conn::new(me.client(&s), required());
        c.handshake_ok(&what);
        c.assert_ticket_ignored(&what, true);
        assert_eq!(c.st.count("received Certificate"), 1, "{what}");
        assert_eq!(c.p.server.peer_certificates(), &me.chain[..], "{what}");
        let mut c = Conn::new(me.client(&s), required());
        c.handshake_ok(&what);
        c.assert_resumed(&format!("{what}, resumed"));
        assert_eq!(c.p.server.peer_certificates(), &me.chain[..], "{what}");
        c.p.round_trip();
    }
}

#[test]
fn a_ticket_with_a_client_certificate_resumes_only_where_the_chain_is_still_accepted() {
    let me = ClientAuth::new();
    let stranger = ClientCa::new("Another Client CA");
    for mode in [Tickets::Stateless, Tickets::Stateful] {
        // Each case: a session authenticated by a client certificate, then the client
        // again at a server with other client authentication.
        let primed = || {
            let s = Setup::new();
            s.prime(
                me.client(&s),
                auth_server(&s, mode, Some(me.ca.verifier(false))),
            );
            s
        };

        // Optional client auth from the same CA accepts the chain: resumed with it.
        let what = format!("{mode:?}, optional client auth");
        let s = primed();
        let mut c = Conn::new(
            me.client(&s),
            auth_server(&s, mode, Some(me.ca.verifier(true))),
        );
        c.handshake_ok(&what);
        c.assert_resumed(&what);
        assert_eq!(c.p.server.peer_certificates(), &me.chain[..], "{what}");

        // A server that does not authenticate clients does not take on the identity.
        let what = format!("{mode:?}, no client auth");
        let s = primed();
        let mut c = Conn::new(me.client(&s), auth_server(&s, mode, None));
        c.handshake_ok(&what);
        c.assert_ticket_ignored(&what, false);
        assert!(c.p.server.peer_certificates().is_empty(), "{what}");
        assert!(!c.p.server.negotiated().client_auth, "{what}");
        c.p.round_trip();

        // A server that no longer trusts the client's CA verifies the chain afresh, and
        // refuses it.
        let what = format!("{mode:?}, the client CA no longer trusted");
        let s = primed();
        let mut c = Conn::new(
            me.client(&s),
            auth_server(&s, mode, Some(stranger.verifier(false))),
        );
        let e = c.server_error(&what);
        assert!(matches!(e, Error::Certificate(_)), "{what}: {e:?}");
        assert_contains(&e.to_string(), "Client Test CA");
        assert_contains(&e.to_string(), "not in the trust store");
        c.assert_ticket_ignored(&what, true);
        assert_eq!(c.st.count("received Certificate"), 1, "{what}");
        assert_eq!(
            c.p.alert_sent_by(Side::Server),
            Some(AlertDescription::UnknownCa),
            "{what}"
        );

        // Nor does one whose CRL now revokes the client's certificate.
        let what = format!("{mode:?}, the client certificate revoked");
        let s = primed();
        let mut c = Conn::new(
            me.client(&s),
            auth_server(&s, mode, Some(me.ca.verifier_revoking(CLIENT_SERIAL))),
        );
        let e = c.server_error(&what);
        assert!(matches!(e, Error::Certificate(_)), "{what}: {e:?}");
        assert_eq!(
            e.to_string(),
            "certificate for client.example (serial 42:42) was revoked at \
             2023-11-10T00:00:00Z (reason: keyCompromise) according to the CRL issued by \
             CN=Client Test CA at 2023-11-01T00:00:00Z. Replace it.",
            "{what}"
        );
        c.assert_ticket_ignored(&what, true);
        assert_eq!(
            c.p.alert_sent_by(Side::Server),
            Some(AlertDescription::CertificateRevoked),
            "{what}"
        );
    }
}

#[test]
fn a_ticket_does_not_outlive_its_client_certificate() {
    // The stored chain is verified at the server's current time: a ticket still within
    // its lifetime does not resume once the client's certificate has expired.
    for mode in [Tickets::Stateless, Tickets::Stateful] {
        let s = Setup::with_ticket_rotation(2 * DAY);
        let me = ClientAuth::new();
        // Valid until 2023-11-15T00:00:00Z, under two hours after T0.
        let (chain, key) = me.ca.issue_with(
            "short.example",
            vec![ExtendedKeyUsagePurpose::ClientAuth],
            |p| p.not_after = date_time_ymd(2023, 11, 15),
        );
        let at = |secs: u64| {
            let client = s
                .client()
                .client_cert(chain.clone(), &key)
                .unwrap()
                .provider(clock(secs));
            let server = auth_server(&s, mode, Some(me.ca.verifier(false))).provider(clock(secs));
            Conn::new(client, server)
        };
        let mut c = at(T0);
        c.handshake_ok("the full handshake");
        let what = format!("{mode:?}, an hour later");
        let mut c = at(T0 + HOUR);
        c.handshake_ok(&what);
        c.assert_resumed(&what);
        assert_eq!(c.p.server.peer_certificates(), &chain[..], "{what}");

        let what = format!("{mode:?}, a day later");
        let mut c = at(T0 + DAY);
        let e = c.server_error(&what);
        assert!(
            matches!(e, Error::Certificate(CertificateError::Expired { .. })),
            "{what}: {e:?}"
        );
        assert_eq!(
            e.to_string(),
            "certificate for short.example expired at 2023-11-15T00:00:00Z; this machine's \
             clock says 2023-11-15T22:13:20Z (22 hours later). Renew it, or check the clock.",
            "{what}"
        );
        c.assert_ticket_ignored(&what, true);
        assert_eq!(
            c.p.alert_sent_by(Side::Server),
            Some(AlertDescription::CertificateExpired),
            "{what}"
        );
    }
}

// ---------------------------------------------------------------------------------
// OCSP stapling (RFC 8446, 4.4.2.1; RFC 6066, 8)

/// The staple on each entry of the Certificate the client received.
fn staples_received(t: &Trace) -> Vec<Option<Vec<u8>>> {
    let (_, m) = t
        .messages(false, HandshakeType::Certificate)
        .pop()
        .expect("a Certificate");
    let HandshakePayload::Certificate(c) = m.payload else {
        unreachable!()
    };
    c.entries
        .iter()
        .map(|e| e.ocsp_response().map(<[u8]>::to_vec))
        .collect()
}

#[test]
fn ocsp_staple_reaches_the_verifier_when_asked_for() {
    let id = ecdsa();
    let staple = b"\x30\x03\x0a\x01\x00 any bytes: the pinned verifier ignores them".to_vec();
    for request in [true, false] {
        let recorder = Arc::new(StapleRecorder {
            inner: PinnedCertVerifier::new(vec![id.leaf().clone()]).unwrap(),
            staples: Mutex::new(Vec::new()),
        });
        let client = ClientConfig::builder(recorder.clone()).request_ocsp(request);
        let server = ServerConfig::builder()
            .cert_with_ocsp(id.chain.clone(), &id.key(), staple.clone())
            .unwrap();
        let mut c = Conn::new(client, server);
        c.handshake_ok("OCSP");
        assert_eq!(
            c.ct.client_hello(true)
                .has_extension(ferrotls::msgs::enums::ExtensionType::StatusRequest),
            request
        );
        let want = if request { staple.clone() } else { Vec::new() };
        assert_eq!(
            *recorder.staples.lock().unwrap(),
            vec![want],
            "request_ocsp({request})"
        );
        let on_entries = staples_received(&c.ct);
        assert_eq!(on_entries.len(), id.chain.len());
        assert_eq!(on_entries[0], request.then(|| staple.clone()), "leaf entry");
        assert!(
            on_entries[1..].iter().all(Option::is_none),
            "only the leaf carries it"
        );
    }
}

#[test]
fn no_staple_configured_means_none_sent() {
    let id = ecdsa();
    let recorder = Arc::new(StapleRecorder {
        inner: PinnedCertVerifier::new(vec![id.leaf().clone()]).unwrap(),
        staples: Mutex::new(Vec::new()),
    });
    let mut c = Conn::new(
        ClientConfig::builder(recorder.clone()),
        server_config(&[&id]),
    );
    c.handshake_ok("no staple");
    assert_eq!(*recorder.staples.lock().unwrap(), vec![Vec::<u8>::new()]);
    assert!(staples_received(&c.ct).iter().all(Option::is_none));
}

/// A CA, a leaf for localhost and OCSP responses for it, made by `openssl`.
struct OpensslPki {
    dir: std::path::PathBuf,
}

impl OpensslPki {
    fn run(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&self.dir)
            .output()
            .expect("openssl is installed (the OCSP tests need it)");
        assert!(
            out.status.success(),
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn new(label: &str) -> OpensslPki {
        let dir = std::env::temp_dir().join(format!(
            "ferrotls-resumption-{}-{label}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pki = OpensslPki { dir };
        std::fs::write(
            pki.dir.join("leaf.ext"),
            "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        std::fs::write(pki.dir.join("index.txt"), "").unwrap();
        for args in [
            "ecparam -name prime256v1 -genkey -noout -out ca.key",
            "req -new -x509 -key ca.key -out ca.pem -days 30 -subj /CN=ferrotls-ocsp-test-CA",
            "ecparam -name prime256v1 -genkey -noout -out leaf.key.sec1",
            "pkcs8 -topk8 -nocrypt -in leaf.key.sec1 -out leaf.key",
            "req -new -key leaf.key -out leaf.csr -subj /CN=localhost",
            "x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 4660 -days 10 -extfile leaf.ext -out leaf.pem",
        ] {
            pki.run(&args.split(' ').collect::<Vec<_>>());
        }
        pki
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }

    /// An OCSP response for the leaf, signed by the CA; `revoked` marks it revoked.
    fn response(&self, revoked: bool) -> Vec<u8> {
        let serial_hex = "1234"; // 4660
        let line = if revoked {
            format!("R\t300101000000Z\t240101000000Z\t{serial_hex}\tunknown\t/CN=localhost\n")
        } else {
            format!("V\t300101000000Z\t\t{serial_hex}\tunknown\t/CN=localhost\n")
        };
        std::fs::write(self.dir.join("index.txt"), line).unwrap();
        self.run(&[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            "ca.pem",
            "-rkey",
            "ca.key",
            "-CA",
            "ca.pem",
            "-issuer",
            "ca.pem",
            "-cert",
            "leaf.pem",
            "-ndays",
            "1",
            "-respout",
            "resp.der",
        ]);
        std::fs::read(self.dir.join("resp.der")).unwrap()
    }

    fn der(&self, name: &str) -> CertificateDer<'static> {
        let pem = std::fs::read(self.dir.join(name)).unwrap();
        ferrotls::pem::certs_from_bytes(&pem).unwrap().remove(0)
    }

    fn key(&self) -> PrivateKeyDer<'static> {
        let pem = std::fs::read(self.dir.join("leaf.key")).unwrap();
        ferrotls::pem::private_key_from_bytes(&pem).unwrap()
    }
}

impl Drop for OpensslPki {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[test]
fn real_ocsp_staple_checked_by_the_verifier() {
    let pki = OpensslPki::new("ocsp");
    let _ = pki.path("ca.pem");
    let leaf = pki.der("leaf.pem");
    let ca = pki.der("ca.pem");
    let verifier = || {
        let mut roots = RootStore::new();
        roots.add(TrustAnchor::from_cert(ca.clone()).unwrap());
        Arc::new(Verifier::new(roots))
    };
    // Good: accepted.
    let good = pki.response(false);
    let server = ServerConfig::builder()
        .cert_with_ocsp(vec![leaf.clone()], &pki.key(), good.clone())
        .unwrap();
    let mut c = Conn::new(ClientConfig::builder(verifier()), server);
    c.handshake_ok("a good OCSP staple");
    assert_eq!(staples_received(&c.ct)[0].as_deref(), Some(&good[..]));

    // Revoked: refused with certificate_revoked.
    let revoked = pki.response(true);
    let server = ServerConfig::builder()
        .cert_with_ocsp(vec![leaf.clone()], &pki.key(), revoked)
        .unwrap();
    let mut c = Conn::new(ClientConfig::builder(verifier()), server);
    match c.p.handshake() {
        Err((Side::Client, e)) => {
            println!("revoked: {e}");
            assert!(
                matches!(e, Error::Certificate(CertificateError::Revoked { .. })),
                "{e:?}"
            );
            assert_eq!(
                c.p.alert_sent_by(Side::Client),
                Some(AlertDescription::CertificateRevoked)
            );
        }
        other => panic!("a revoked staple was accepted: {other:?}"),
    }
}

#[test]
fn resumed_handshake_carries_no_staple() {
    let id = ecdsa();
    let s = Setup {
        id: id.clone(),
        ..Setup::new()
    };
    let server = || {
        ServerConfig::builder()
            .cert_with_ocsp(id.chain.clone(), &id.key(), b"staple".to_vec())
            .unwrap()
            .ticketer(s.ticketer.clone())
            .provider(clock(T0))
    };
    s.prime(s.client(), server());
    let mut c = Conn::new(s.client(), server());
    c.handshake_ok("resumed");
    c.assert_resumed("resumed");
}

// ---------------------------------------------------------------------------------
// NewSessionTicket checks on the client (RFC 8446, 4.6.1)

/// A full handshake whose NewSessionTickets `edit` changes (in the clear, then
/// re-sealed under the server's first application key) before the client sees them.
fn with_edited_tickets(s: &Setup, edit: impl Fn(&mut Vec<u8>)) -> (Conn, Result<IoStateOk, Error>) {
    let mut c = Conn::new(s.client(), s.server());
    c.p.transfer(Side::Client).unwrap();
    c.p.transfer(Side::Server).unwrap();
    c.p.transfer(Side::Client).unwrap();
    let mut tickets = c.p.take(Side::Server);
    c.p.edit_sealed(
        Side::Server,
        "SERVER_TRAFFIC_SECRET_0",
        &mut tickets,
        |pieces| {
            for p in pieces.iter_mut() {
                if p.handshake_type() == Some(HandshakeType::NewSessionTicket) {
                    if let Piece::Sealed { content, .. } = p {
                        edit(content);
                    }
                }
            }
        },
    );
    let result = c.p.deliver(Side::Client, &tickets).map(|_| IoStateOk);
    (c, result)
}

#[derive(Debug)]
struct IoStateOk;

/// Sets a NewSessionTicket message's ticket_lifetime (after the 4-byte header).
fn set_lifetime(msg: &mut [u8], lifetime: u32) {
    msg[4..8].copy_from_slice(&lifetime.to_be_bytes());
}

#[test]
fn ticket_lifetime_over_seven_days_is_illegal_parameter() {
    let s = Setup::new();
    let (mut c, result) = with_edited_tickets(&s, |m| set_lifetime(m, (SEVEN_DAYS + 1) as u32));
    let e = result.expect_err("a ticket lifetime over seven days");
    assert!(
        matches!(
            e,
            Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter { .. })
        ),
        "{e:?}"
    );
    assert_contains(&err_text(&e), "exceeds seven days");
    assert_eq!(
        c.p.alert_sent_by(Side::Client),
        Some(AlertDescription::IllegalParameter)
    );
}

#[test]
fn ticket_lifetime_of_seven_days_is_fine_and_zero_means_discard() {
    let s = Setup::new();
    let (_, result) = with_edited_tickets(&s, |m| set_lifetime(m, SEVEN_DAYS as u32));
    result.expect("a lifetime of exactly seven days");
    let mut c = Conn::new(s.client(), s.server());
    c.handshake_ok("resume");
    c.assert_resumed("seven-day tickets");

    // RFC 8446, 4.6.1: lifetime zero means the ticket should be discarded at once.
    let s = Setup::new();
    let (c, result) = with_edited_tickets(&s, |m| set_lifetime(m, 0));
    result.expect("zero lifetimes");
    assert_eq!(c.p.client.negotiated().tickets_received, 2);
    let mut c = Conn::new(s.client(), s.server());
    c.handshake_ok("after zero-lifetime tickets");
    assert!(c.ct.client_hello(true).psk().is_none());
    c.assert_full("after zero-lifetime tickets");
}

// ---------------------------------------------------------------------------------
// Oversized tickets. A ticket may be up to 2^16-1 bytes on the wire (RFC 8446, 4.6.1;
// RFC 5077, 3.3), but one that long cannot be sent back: the ClientHello's extensions
// share one 2^16-1 length (RFC 8446, 4.2.11; RFC 5077, 3.2). The client keeps no
// ticket over 16 KiB (plus room for framing), and the next connection, instead of
// failing to encode its ClientHello, is a full handshake.

/// Ticket lengths a hostile server sends: over the client's limit, and just under
/// what the 64 KiB handshake message limit lets through.
const HUGE_TICKETS: [usize; 2] = [60_000, 65_000];

/// A full handshake whose server sends, instead of its own tickets, one
/// NewSessionTicket with a `len`-byte ticket, in records of at most 2^14 bytes.
fn with_huge_ticket(s: &Setup, len: usize) -> Conn {
    let mut c = Conn::new(s.client(), s.server());
    c.p.transfer(Side::Client).unwrap();
    c.p.transfer(Side::Server).unwrap();
    c.p.transfer(Side::Client).unwrap();
    let _own_tickets = c.p.take(Side::Server);
    let nst = HandshakeMessage::new(HandshakePayload::NewSessionTicket(NewSessionTicket13 {
        lifetime: 3600,
        age_add: 7,
        nonce: vec![0],
        ticket: pattern(len, 3),
        extensions: Vec::new(),
    }))
    .to_bytes();
    let mut cipher = c.p.cipher(Side::Server, "SERVER_TRAFFIC_SECRET_0");
    let flight: Vec<u8> = nst
        .chunks(16 * 1024)
        .flat_map(|chunk| cipher.seal_bytes(ContentType::Handshake, chunk))
        .collect();
    c.p.deliver(Side::Client, &flight)
        .expect("a long ticket is no error");
    assert_eq!(c.p.client.negotiated().tickets_received, 1);
    c
}

#[test]
fn a_ticket_too_long_to_offer_is_not_kept() {
    for len in HUGE_TICKETS {
        let s = Setup::new();
        with_huge_ticket(&s, len);
        let mut c = Conn::new(s.client(), s.server());
        c.handshake_ok(&format!("after a {len}-byte ticket"));
        assert!(
            c.ct.client_hello(true).psk().is_none(),
            "a {len}-byte ticket was offered"
        );
        c.assert_full(&format!("after a {len}-byte ticket"));
        // The tickets of that full handshake are ordinary, and resume.
        let mut c = Conn::new(s.client(), s.server());
        c.handshake_ok("after the full handshake");
        c.assert_resumed("after the full handshake");
    }
}

#[test]
fn a_ticket_of_the_largest_session_the_server_tickets_is_kept() {
    // Our own server tickets sessions of up to 16 KiB, a client chain included: the
    // client keeps such a ticket, and resumes with it.
    let s = Setup::new();
    let me = ClientAuth::new();
    let mut chain = me.chain.clone();
    let filler = me.ca.cert.clone();
    while chain.iter().map(|c| c.as_ref().len() + 3).sum::<usize>() + filler.as_ref().len() + 3
        < 16 * 1024 - 200
    {
        chain.push(filler.clone());
    }
    let client = || s.client().client_cert(chain.clone(), &me.key).unwrap();
    let mut c = Conn::new(client(), me.server(&s, false));
    c.handshake_ok("a long client chain");
    let tickets = c.st.tickets(true);
    assert_eq!(tickets.len(), 2, "a session of that size is ticketed");
    assert!(tickets[0].ticket.len() > 15 * 1024, "a long ticket");
    let mut c = Conn::new(client(), me.server(&s, false));
    c.handshake_ok("resumed with a long ticket");
    c.assert_resumed("resumed with a long ticket");
    assert_eq!(c.p.server.peer_certificates(), &chain[..]);
}

/// `message` (handshake messages back to back) in unprotected records of at most
/// 2^14 bytes.
fn plain_handshake_records(message: &[u8]) -> Vec<u8> {
    message
        .chunks(16 * 1024)
        .flat_map(|chunk| plain_record(ContentType::Handshake, chunk))
        .collect()
}

/// The unprotected handshake bytes of `flight` (before any change_cipher_spec),
/// records joined.
fn plain_handshake(flight: &[u8]) -> Vec<u8> {
    split_records(flight)
        .into_iter()
        .take_while(|r| r.typ != ContentType::ChangeCipherSpec)
        .filter(|r| r.typ == ContentType::Handshake)
        .flat_map(|r| r.payload)
        .collect()
}

/// The (only) ClientHello in `flight`, which may span several records.
fn client_hello_in(flight: &[u8]) -> ClientHello {
    let hello: Vec<u8> = split_records(flight)
        .into_iter()
        .filter(|r| r.typ == ContentType::Handshake)
        .flat_map(|r| r.payload)
        .collect();
    match HandshakeMessage::read_tls13(&hello)
        .expect("a ClientHello")
        .payload
    {
        HandshakePayload::ClientHello(ch) => ch,
        other => panic!("expected a ClientHello, got {other:?}"),
    }
}

/// The ticket in a ClientHello's SessionTicket extension (RFC 5077, 3.2).
fn session_ticket(ch: &ClientHello) -> Option<&[u8]> {
    ch.extensions.iter().find_map(|e| match e {
        ClientExtension::SessionTicket(t) => Some(t.as_slice()),
        _ => None,
    })
}

/// A TLS 1.2 client and a ticket-only TLS 1.2 server sharing `s`'s store and ticketer.
fn tls12_by_ticket(s: &Setup) -> (ClientConfigBuilder, ServerConfigBuilder) {
    (
        s.client().versions(&[ProtocolVersion::TLSv1_2]),
        s.server()
            .versions(&[ProtocolVersion::TLSv1_2])
            .session_cache(Arc::new(NoCache)),
    )
}

/// A TLS 1.2 full handshake whose server sends a NewSessionTicket with a `len`-byte
/// ticket instead of its own (and a Finished that covers it, made with the keys from
/// the key log).
fn tls12_with_huge_ticket(s: &Setup, len: usize) {
    let (client, server) = tls12_by_ticket(s);
    let mut c = Conn::new(client, server);
    let p = &mut c.p;
    let client_hello = p.take(Side::Client);
    p.deliver(Side::Server, &client_hello).unwrap();
    let flight1 = p.take(Side::Server);
    let hello = Hello12::of(&flight1);
    assert!(
        hello.has(ExtensionType::SessionTicket),
        "a ticket is coming"
    );
    p.deliver(Side::Client, &flight1).unwrap();
    // The client's ClientKeyExchange, ChangeCipherSpec and Finished.
    let flight2 = p.take(Side::Client);
    let keys = Keys12::from_log(&p.client_keys, &hello);
    let fin_record = split_records(&flight2)
        .pop()
        .expect("the client's Finished");
    let client_fin = keys
        .open_at(Side::Client, &fin_record, 0)
        .expect("the client's Finished opens with the logged keys");
    p.deliver(Side::Server, &flight2).unwrap();
    let _own_ticket_and_finished = p.take(Side::Server);

    let mut nst = vec![HandshakeType::NewSessionTicket.to_wire()];
    nst.extend_from_slice(&u32::try_from(6 + len).unwrap().to_be_bytes()[1..]);
    nst.extend_from_slice(&3600u32.to_be_bytes());
    nst.extend_from_slice(&u16::try_from(len).unwrap().to_be_bytes());
    nst.extend_from_slice(&pattern(len, 5));
    let transcript = [
        plain_handshake(&client_hello),
        plain_handshake(&flight1),
        plain_handshake(&flight2),
        client_fin,
        nst.clone(),
    ]
    .concat();
    let server_fin = keys.finished(prf::SERVER_FINISHED, &transcript);
    let flight3 = [
        plain_handshake_records(&nst),
        plain_record(ContentType::ChangeCipherSpec, &[1]),
        keys.seal_at(Side::Server, 0, ContentType::Handshake, &server_fin),
    ]
    .concat();
    p.deliver(Side::Client, &flight3)
        .expect("a long ticket is no error");
    assert!(!p.client.is_handshaking());
}

#[test]
fn a_tls12_ticket_too_long_to_offer_is_not_kept() {
    for len in HUGE_TICKETS {
        let s = Setup::new();
        tls12_with_huge_ticket(&s, len);
        let (client, server) = tls12_by_ticket(&s);
        let mut c = Conn::new(client, server);
        c.handshake_ok(&format!("after a {len}-byte TLS 1.2 ticket"));
        assert_eq!(
            session_ticket(&c.ct.client_hello(true)),
            Some(&[][..]),
            "a {len}-byte ticket was offered"
        );
        assert!(!c.resumed(), "{len}");
        // That full handshake's ticket is an ordinary one, and resumes.
        let (client, server) = tls12_by_ticket(&s);
        let mut c = Conn::new(client, server);
        c.handshake_ok("after the full handshake");
        assert!(c.resumed(), "after a {len}-byte ticket");
    }
}

/// A store of the application's own, as the [`ClientSessionStore`] trait allows: it
/// hands out a TLS 1.3 ticket and a TLS 1.2 session with tickets of these lengths.
#[derive(Debug)]
struct HandMadeTickets {
    tls13: usize,
    tls12: usize,
}

impl ClientSessionStore for HandMadeTickets {
    fn insert_tls13_ticket(&self, _: &str, _: Tls13Ticket) {}
    fn take_tls13_ticket(&self, _: &str) -> Option<Tls13Ticket> {
        Some(Tls13Ticket {
            ticket: pattern(self.tls13, 1),
            psk: Secret::from(vec![7; 32]),
            suite: CipherSuite::TLS13_AES_128_GCM_SHA256,
            lifetime: 3600,
            age_add: 0,
            received_at: UnixTime::since_unix_epoch(Duration::from_secs(T0)),
            max_early_data: None,
            alpn: None,
        })
    }
    fn insert_tls12_session(&self, _: &str, _: Tls12Session) {}
    fn take_tls12_session(&self, _: &str) -> Option<Tls12Session> {
        Some(Tls12Session {
            session_id: vec![1; 32],
            ticket: pattern(self.tls12, 2),
            master_secret: Secret::from(vec![8; 48]),
            suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            ems: true,
            received_at: UnixTime::since_unix_epoch(Duration::from_secs(T0)),
        })
    }
}

/// A TLS 1.3 and 1.2 client whose store is `store`.
fn client_with_store(s: &Setup, store: HandMadeTickets) -> ClientConfigBuilder {
    s.client()
        .versions(&[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2])
        .session_store(Arc::new(store))
}

#[test]
fn tickets_too_long_to_offer_from_an_applications_store_are_not_offered() {
    let s = Setup::new();
    let store = HandMadeTickets {
        tls13: 65_000,
        tls12: 65_000,
    };
    let mut c = Conn::new(client_with_store(&s, store), s.server());
    c.handshake_ok("hand-made tickets");
    let ch = c.ct.client_hello(true);
    assert!(ch.psk().is_none(), "the TLS 1.3 ticket was offered");
    assert_eq!(session_ticket(&ch), Some(&[][..]), "the TLS 1.2 ticket");
    c.assert_full("hand-made tickets");
}

/// ALPN names that take `bytes` of the ClientHello (255-byte names, all different).
fn long_alpn(bytes: usize) -> Vec<Vec<u8>> {
    (0..bytes / 256)
        .map(|i| format!("{i:0>255}").into_bytes())
        .collect()
}

#[test]
fn tickets_that_leave_no_room_in_the_client_hello_are_not_offered() {
    // Each ticket fits, and so does the ClientHello without them: resumption is
    // optional, so the client offers neither rather than no ClientHello at all.
    let s = Setup::new();
    let store = HandMadeTickets {
        tls13: 16 * 1024,
        tls12: 16 * 1024,
    };
    let mut c = Conn::new(
        client_with_store(&s, store).alpn(long_alpn(40_000)),
        s.server(),
    );
    c.handshake_ok("tickets and a long ALPN list");
    let ch = c.ct.client_hello(true);
    assert!(ch.psk().is_none(), "the TLS 1.3 ticket was offered");
    assert_eq!(session_ticket(&ch), Some(&[][..]), "the TLS 1.2 ticket");
    assert_ne!(
        ch.session_id,
        vec![1; 32],
        "a session ID of the unoffered session"
    );
    c.assert_full("tickets and a long ALPN list");

    // Without the ALPN list they are offered (and ignored: no server issued them).
    let store = HandMadeTickets {
        tls13: 16 * 1024,
        tls12: 16 * 1024,
    };
    let mut c = Conn::new(client_with_store(&s, store), s.server());
    c.handshake_ok("tickets alone");
    let ch = c.ct.client_hello(true);
    assert_eq!(offered_identities(&ch), vec![pattern(16 * 1024, 1)]);
    assert_eq!(session_ticket(&ch), Some(&pattern(16 * 1024, 2)[..]));
    c.assert_full("tickets alone");
}

#[test]
fn a_cookie_that_leaves_no_room_for_the_ticket_drops_it_from_the_second_client_hello() {
    // RFC 8446, 4.1.2: the second ClientHello echoes the cookie (4.2.2) and may
    // update pre_shared_key; with no room for both, the ticket goes.
    let s = Setup::new();
    let store = HandMadeTickets {
        tls13: 16 * 1024,
        tls12: 0,
    };
    let client = client_with_store(&s, store).key_share_groups(&[]);
    let mut c = Conn::new(client, s.server());
    c.p.transfer(Side::Client).unwrap();
    assert_eq!(
        offered_identities(&c.ct.client_hello(true)),
        vec![pattern(16 * 1024, 1)]
    );
    let records = split_records(&c.p.take(Side::Server));
    let mut hrr = HandshakeMessage::read_tls13(&records[0].payload).expect("HelloRetryRequest");
    match &mut hrr.payload {
        HandshakePayload::ServerHello(sh) if sh.is_hello_retry_request() => sh
            .extensions
            .push(ServerExtension::Cookie(pattern(50_000, 9))),
        other => panic!("expected a HelloRetryRequest, got {other:?}"),
    }
    // Re-framed: the HelloRetryRequest now needs several records.
    let hrr_flight = [
        plain_handshake_records(&hrr.to_bytes()),
        join_records(&records[1..]),
    ]
    .concat();
    c.p.deliver(Side::Client, &hrr_flight)
        .expect("the HelloRetryRequest is answered");
    let second = client_hello_in(&c.p.take(Side::Client));
    assert!(second.psk().is_none(), "the ticket was offered again");
    assert!(
        second.extensions.iter().any(|e| matches!(
            e,
            ClientExtension::Cookie(cookie) if *cookie == pattern(50_000, 9)
        )),
        "the cookie was not echoed"
    );
}
