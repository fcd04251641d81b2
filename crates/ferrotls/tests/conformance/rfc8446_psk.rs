//! RFC 8446 (TLS 1.3): resumption and 0-RTT with a hostile peer:
//! psk_key_exchange_modes (4.2.9), early_data (4.2.10), pre_shared_key (4.2.11),
//! NewSessionTicket (4.6.1) and anti-replay (8).
//!
//! The peer gets a real ticket from a first (full) handshake, then edits the
//! resuming ClientHello; where the edit must leave the binders valid it recomputes
//! them with the ticket's PSK (RFC 8446, 4.2.11.2), as a client holding the ticket
//! could.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferrotls::client::{
    ClientConfigBuilder, ClientSessionStore, InMemorySessionStore, Tls12Session, Tls13Ticket,
};
use ferrotls::crypto::hash::hash;
use ferrotls::crypto::provider::Provider;
use ferrotls::msgs::enums::{
    AlertDescription as A, CipherSuite, ContentType, ExtensionType, HandshakeType,
    PskKeyExchangeMode,
};
use ferrotls::msgs::{
    ClientExtension, ClientHello, HandshakeMessage, HandshakePayload, NewSessionTicket13,
    NewSessionTicketExtension, OfferedPsks, PskIdentity, ServerExtension,
};
use ferrotls::pki_types::UnixTime;
use ferrotls::server::{InMemorySessionCache, ServerConfigBuilder, Ticketer};
use ferrotls::tls13::key_schedule::EarlySecret;

use crate::pair::{
    client_hello_of, edit_server_hello, join_records, split_records, Pair, RecordCipher, Side,
};
use crate::peer::{
    answered_hello, client, ensure, extension_body_offset, hello_bytes, in_records, message,
    refused, same, send_hello, server, set_extension, Check,
};

/// The moment every fixed clock starts from (2023-11-14).
pub const T0: u64 = 1_700_000_000;
/// The 0-RTT limit of the servers that accept early data.
pub const MAX_EARLY: u32 = 1024;
const DAY: u64 = 24 * 3600;

/// A fixed clock at `secs`, each with its own random seed.
pub fn clock(secs: u64) -> Provider {
    static SEED: AtomicU64 = AtomicU64::new(0xc0f2);
    Provider::fixed(
        SEED.fetch_add(1, Ordering::Relaxed),
        UnixTime::since_unix_epoch(Duration::from_secs(secs)),
    )
}

/// A client ticket store that remembers the PSK of every ticket handed out, so the
/// peer can recompute binders.
#[derive(Debug)]
pub struct Recording {
    inner: InMemorySessionStore,
    taken: Mutex<Vec<(Vec<u8>, CipherSuite)>>,
}

impl Recording {
    /// The PSK and suite of the last ticket the client took.
    pub fn last_psk(&self) -> Option<(Vec<u8>, CipherSuite)> {
        self.taken.lock().ok()?.last().cloned()
    }

    /// How many TLS 1.3 tickets the store holds (emptying it).
    pub fn drain(&self) -> usize {
        std::iter::from_fn(|| self.inner.take_tls13_ticket(crate::pair::SERVER_NAME)).count()
    }
}

impl ClientSessionStore for Recording {
    fn insert_tls13_ticket(&self, server_name: &str, ticket: Tls13Ticket) {
        self.inner.insert_tls13_ticket(server_name, ticket);
    }
    fn take_tls13_ticket(&self, server_name: &str) -> Option<Tls13Ticket> {
        let t = self.inner.take_tls13_ticket(server_name)?;
        if let Ok(mut taken) = self.taken.lock() {
            taken.push((t.psk.as_bytes().to_vec(), t.suite));
        }
        Some(t)
    }
    fn insert_tls12_session(&self, server_name: &str, session: Tls12Session) {
        self.inner.insert_tls12_session(server_name, session);
    }
    fn take_tls12_session(&self, server_name: &str) -> Option<Tls12Session> {
        self.inner.take_tls12_session(server_name)
    }
}

/// What consecutive connections share: the client's tickets, the server's ticket
/// key and session cache.
pub struct Tickets {
    pub store: Arc<Recording>,
    pub ticketer: Arc<Ticketer>,
    pub cache: Arc<InMemorySessionCache>,
}

impl Tickets {
    pub fn new() -> Tickets {
        Tickets {
            store: Arc::new(Recording {
                inner: InMemorySessionStore::new(8),
                taken: Mutex::new(Vec::new()),
            }),
            ticketer: Arc::new(Ticketer::new(clock(T0), 30 * DAY)),
            cache: Arc::new(InMemorySessionCache::new(64)),
        }
    }

    /// A client at T0 (AES-128-GCM only, so binders are SHA-256) with the tickets.
    pub fn client(&self) -> ClientConfigBuilder {
        client()
            .cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256])
            .session_store(self.store.clone())
            .provider(clock(T0))
    }

    /// A client that offers 0-RTT where a ticket allows it.
    pub fn client_ed(&self) -> ClientConfigBuilder {
        self.client().early_data(true)
    }

    /// A server at `secs` with the shared ticket key and cache (stateless tickets).
    pub fn server_at(&self, secs: u64) -> ServerConfigBuilder {
        server()
            .ticketer(self.ticketer.clone())
            .session_cache(self.cache.clone())
            .provider(clock(secs))
    }

    pub fn server(&self) -> ServerConfigBuilder {
        self.server_at(T0)
    }

    /// A server accepting MAX_EARLY bytes of 0-RTT: single-use (stateful) tickets.
    pub fn server_ed(&self) -> ServerConfigBuilder {
        self.server().max_early_data(MAX_EARLY)
    }

    /// A full handshake that leaves tickets in the client's store.
    pub fn prime(&self, early: bool) -> Result<(), String> {
        let (c, s) = if early {
            (self.client_ed(), self.server_ed())
        } else {
            (self.client(), self.server())
        };
        let mut p = Pair::new(c, s);
        p.handshake()
            .map_err(|(side, e)| format!("first handshake: {side:?}: {e}"))?;
        ensure(p.client.negotiated().tickets_received > 0, || {
            "the first handshake left no ticket".into()
        })
    }
}

/// A primed setup and the resuming client's first flight, not yet delivered: the
/// pair, its ClientHello (offering the ticket) and the flight's bytes.
pub fn resuming(
    early: bool,
    server: impl FnOnce(&Tickets) -> ServerConfigBuilder,
) -> Result<(Tickets, Pair, ClientHello, Vec<u8>), String> {
    let t = Tickets::new();
    t.prime(early)?;
    let c = if early { t.client_ed() } else { t.client() };
    let s = server(&t);
    let mut p = Pair::new(c, s);
    if early {
        p.client
            .write_early_data(b"early")
            .map_err(|e| format!("write_early_data: {e}"))?;
    }
    let (flight, ch) = client_hello_of(&mut p.client);
    ensure(ch.psk().is_some(), || {
        "the resuming client offered no ticket".into()
    })?;
    ensure(!early || has_early_records(&flight), || {
        "the resuming client sent no 0-RTT record".into()
    })?;
    Ok((t, p, ch, flight))
}

/// Whether a first flight carries protected (0-RTT) records after the ClientHello.
fn has_early_records(flight: &[u8]) -> bool {
    split_records(flight)
        .iter()
        .any(|r| r.typ == ContentType::ApplicationData)
}

/// Recomputes the binder at `index` of `ch` with `psk` (RFC 8446, 4.2.11.2: an
/// HMAC over the ClientHello up to the binders list), as its holder would.
pub fn rebind(ch: &mut ClientHello, index: usize, psk: &[u8]) {
    let suite = crate::pair::suite(CipherSuite::TLS13_AES_128_GCM_SHA256);
    let bytes = hello_bytes(ch);
    let Some(binders_len) = ch.psk().map(OfferedPsks::binders_len) else {
        return;
    };
    let truncated = &bytes[..bytes.len() - binders_len];
    let digest = hash(suite.hash, truncated);
    let binder = EarlySecret::new(suite, Some(psk))
        .psk_binder(true, digest.as_ref())
        .as_ref()
        .to_vec();
    if let Some(ClientExtension::PreSharedKey(offered)) = ch.extensions.last_mut() {
        if let Some(b) = offered.binders.get_mut(index) {
            *b = binder;
        }
    }
}

/// Changes the pre_shared_key offer of `ch`.
fn edit_psk(ch: &mut ClientHello, edit: impl FnOnce(&mut OfferedPsks)) {
    if let Some(ClientExtension::PreSharedKey(offered)) = ch.extensions.last_mut() {
        edit(offered);
    }
}

/// Resumes with the ClientHello changed by `edit` (given the ticket's PSK, binders
/// recomputed afterwards) and returns the pair after the server answered it.
fn resume_edited(
    early: bool,
    server: impl FnOnce(&Tickets) -> ServerConfigBuilder,
    edit: impl FnOnce(&mut ClientHello),
) -> Result<Pair, String> {
    let (t, mut p, mut ch, _) = resuming(early, server)?;
    let (psk, _) = t.store.last_psk().ok_or("no ticket taken")?;
    edit(&mut ch);
    let at = ch
        .psk()
        .map(|o| {
            o.identities
                .iter()
                .position(|i| i.identity.len() > 16)
                .unwrap_or(0)
        })
        .unwrap_or(0);
    rebind(&mut ch, at, &psk);
    let outcome = send_hello(&mut p, &ch);
    answered_hello(&mut p, outcome, false)?;
    Ok(p)
}

/// Checks whether the server resumed and whether it accepted 0-RTT.
fn resumed_and_early(p: &Pair, resumed: bool, early: bool) -> Check {
    same("resumed", p.server.negotiated().resumed, resumed)?;
    same("0-RTT accepted", p.server.early_data_accepted(), early)
}

/// Offers the real ticket with the binders changed by `edit`; the server must
/// refuse with decrypt_error.
fn binder_refused(edit: impl FnOnce(&mut Vec<u8>)) -> Check {
    let (_, mut p, mut ch, _) = resuming(false, Tickets::server)?;
    edit_psk(&mut ch, |o| {
        if let Some(b) = o.binders.first_mut() {
            edit(b);
        }
    });
    let outcome = send_hello(&mut p, &ch);
    refused(&mut p, Side::Server, outcome, A::DecryptError, BAD_BINDER)
}

const BAD_BINDER: &str = "the client's pre-shared key binder does not verify: the ticket was altered or the client derived a different key";

/// A connected pair whose client keeps tickets in `t`, the server sending none of
/// its own, and the server's application-traffic protection.
fn connected_with(t: &Tickets) -> Result<(Pair, RecordCipher), String> {
    let mut p = Pair::new(t.client(), server().tls13_tickets(0));
    p.handshake()
        .map_err(|(side, e)| format!("handshake: {side:?}: {e}"))?;
    let cipher = p.cipher(Side::Server, "SERVER_TRAFFIC_SECRET_0");
    Ok((p, cipher))
}

/// A NewSessionTicket of 16 ticket bytes, lifetime a day, with `extensions`.
fn ticket(extensions: Vec<NewSessionTicketExtension>) -> NewSessionTicket13 {
    NewSessionTicket13 {
        lifetime: DAY as u32,
        age_add: 0x0102_0304,
        nonce: vec![0],
        ticket: vec![7; 16],
        extensions,
    }
}

fn nst_bytes(t: NewSessionTicket13) -> Vec<u8> {
    HandshakeMessage::new(HandshakePayload::NewSessionTicket(t)).to_bytes()
}

/// Sends the client the NewSessionTicket message `msg` after the handshake; it
/// must refuse with `alert` and `text`.
fn ticket_refused(msg: &[u8], alert: A, text: &str) -> Check {
    let t = Tickets::new();
    let (mut p, mut cipher) = connected_with(&t)?;
    let outcome = p.deliver(
        Side::Client,
        &cipher.seal_bytes(ContentType::Handshake, msg),
    );
    refused(&mut p, Side::Client, outcome, alert, text)
}

/// Sends the client `msg` after the handshake; it must accept it, and its store
/// then holds `kept` tickets.
fn ticket_kept(msg: &[u8], kept: usize) -> Check {
    let t = Tickets::new();
    let (mut p, mut cipher) = connected_with(&t)?;
    p.deliver(
        Side::Client,
        &cipher.seal_bytes(ContentType::Handshake, msg),
    )
    .map_err(|e| format!("the client refused the NewSessionTicket: {e}"))?;
    same("tickets kept", t.store.drain(), kept)
}

/// The body of a NewSessionTicket (lifetime a day, 16-byte ticket) with the raw
/// extensions block `exts`.
fn nst_with_raw_extensions(exts: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&(DAY as u32).to_be_bytes());
    body.extend_from_slice(&[0, 0, 0, 9, 1, 0, 0, 16]);
    body.extend_from_slice(&[7; 16]);
    body.extend_from_slice(&u16::try_from(exts.len()).unwrap_or(0).to_be_bytes());
    body.extend_from_slice(exts);
    message(HandshakeType::NewSessionTicket, &body)
}

/// Replays the first flight `flight` to a fresh server sharing `t`'s cache.
fn replay(t: &Tickets, flight: &[u8]) -> Result<Pair, String> {
    let mut p = Pair::new(t.client(), t.server_ed());
    let outcome = p.deliver(Side::Server, flight);
    answered_hello(&mut p, outcome, false)?;
    Ok(p)
}

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 4.2.9: "psk_dhe_ke: PSK with (EC)DHE key establishment. In this
    /// mode, the client and server MUST supply "key_share" values": the resumed
    /// ServerHello carries a key share.
    "4.2.9", "resumption with psk_dhe_ke answers with a key share" =>
    fn psk_dhe_ke_resumption_has_a_key_share() {
        let (_, mut p, ch, _) = resuming(false, Tickets::server)?;
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)?;
        resumed_and_early(&p, true, false)?;
        ensure(p.server.negotiated().group.is_some(), || "no (EC)DHE group on a psk_dhe_ke resumption".into())
    }

    /// RFC 8446, 4.2.9: "Servers MUST NOT select a key exchange mode that is not
    /// listed by the client." A real ticket offered with psk_ke alone (which ferrotls
    /// does not do) is not resumed.
    "4.2.9", "real ticket offered with only psk_ke is not resumed" =>
    fn ticket_with_only_psk_ke_is_not_resumed() {
        let p = resume_edited(false, Tickets::server, |ch| {
            set_extension(ch, ClientExtension::PskKeyExchangeModes(vec![PskKeyExchangeMode::PskKe]));
        })?;
        resumed_and_early(&p, false, false)
    }

    /// RFC 8446, 4.2.9: modes the server does not know are not an error; with
    /// psk_dhe_ke among them the ticket is resumed.
    "4.2.9", "unknown psk_key_exchange_modes next to psk_dhe_ke still resume" =>
    fn unknown_psk_modes_are_ignored() {
        let p = resume_edited(false, Tickets::server, |ch| {
            set_extension(ch, ClientExtension::PskKeyExchangeModes(vec![
                PskKeyExchangeMode::Unknown(0x7f), PskKeyExchangeMode::PskDheKe]));
        })?;
        resumed_and_early(&p, true, false)
    }

    /// RFC 8446, 4.2.9: psk_key_exchange_modes without pre_shared_key is allowed
    /// ("This extension also restricts the modes for use with PSK resumption"): a
    /// full handshake follows.
    "4.2.9", "psk_key_exchange_modes without pre_shared_key gets a full handshake" =>
    fn psk_modes_without_psk_gets_a_full_handshake() {
        let (mut p, ch) = crate::peer::before_hello();
        ensure(ch.psk_modes().is_some(), || "the usual client sends no psk_key_exchange_modes".into())?;
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)?;
        resumed_and_early(&p, false, false)
    }

    /// RFC 8446, 4.2.10: "max_early_data_size: The maximum amount of 0-RTT data
    /// that the client is allowed to send when using this ticket": a server that
    /// accepts 0-RTT announces the limit in its tickets.
    "4.2.10", "tickets of a 0-RTT server carry max_early_data_size" =>
    fn tickets_announce_max_early_data() {
        let t = Tickets::new();
        let mut p = Pair::new(t.client(), t.server_ed());
        p.handshake().map_err(|(s, e)| format!("{s:?}: {e}"))?;
        let mut seen = 0;
        while let Some(ticket) = t.store.inner.take_tls13_ticket(crate::pair::SERVER_NAME) {
            same("max_early_data of a ticket", ticket.max_early_data, Some(MAX_EARLY))?;
            seen += 1;
        }
        ensure(seen > 0, || "no ticket".into())
    }

    /// RFC 8446, 4.2.10: a server accepting 0-RTT answers early_data in
    /// EncryptedExtensions and the data arrives as sent.
    "4.2.10", "0-RTT within max_early_data_size is accepted" =>
    fn early_data_is_accepted() {
        let (_, mut p, _, flight) = resuming(true, Tickets::server_ed)?;
        p.deliver(Side::Server, &flight).map_err(|e| format!("refused: {e}"))?;
        resumed_and_early(&p, true, true)?;
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut p.server.early_data(), &mut got).ok();
        same("early data", got.as_slice(), b"early".as_slice())
    }

    /// RFC 8446, 4.2.10: a server may reject 0-RTT ("Ignore the extension and
    /// return a regular 1-RTT response. The server then skips past early data");
    /// the handshake goes on, resumed, and the early data is not delivered.
    "4.2.10", "server not accepting 0-RTT skips the early data and resumes" =>
    fn rejected_early_data_is_skipped() {
        let (_, mut p, _, flight) = resuming(true, |t| t.server().max_early_data(0))?;
        p.deliver(Side::Server, &flight).map_err(|e| format!("refused: {e}"))?;
        resumed_and_early(&p, true, false)?;
        p.handshake().map_err(|(s, e)| format!("{s:?}: {e}"))?;
        same("client's 0-RTT status", p.client.early_data_status().clone(),
            ferrotls::conn::ClientEarlyData::Rejected)
    }

    /// RFC 8446, 4.6.1: "A server receiving more than max_early_data_size bytes of
    /// 0-RTT data SHOULD terminate the connection with an "unexpected_message"
    /// alert."
    "4.2.10", "0-RTT over max_early_data_size is unexpected_message" =>
    fn early_data_over_the_limit_is_unexpected_message() {
        let (_, mut p, _, flight) = resuming(true, Tickets::server_ed)?;
        let secret = p.client_keys.secret("CLIENT_EARLY_TRAFFIC_SECRET").ok_or("no early secret")?;
        let mut cipher = RecordCipher::new(crate::pair::suite(CipherSuite::TLS13_AES_128_GCM_SHA256), &secret);
        cipher.seq = split_records(&flight).iter().filter(|r| r.typ == ContentType::ApplicationData).count() as u64;
        let mut bytes = flight;
        bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, &vec![0xaa; MAX_EARLY as usize - 4]));
        let outcome = p.deliver(Side::Server, &bytes);
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "the client sent more 0-RTT data than the 1024 bytes allowed")
    }

    /// RFC 8446, 4.2.10: exactly max_early_data_size bytes are within the limit.
    "4.2.10", "0-RTT of exactly max_early_data_size is accepted" =>
    fn early_data_at_the_limit_is_accepted() {
        let (_, mut p, _, flight) = resuming(true, Tickets::server_ed)?;
        let secret = p.client_keys.secret("CLIENT_EARLY_TRAFFIC_SECRET").ok_or("no early secret")?;
        let mut cipher = RecordCipher::new(crate::pair::suite(CipherSuite::TLS13_AES_128_GCM_SHA256), &secret);
        cipher.seq = split_records(&flight).iter().filter(|r| r.typ == ContentType::ApplicationData).count() as u64;
        let mut bytes = flight;
        bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, &vec![0xaa; MAX_EARLY as usize - 5]));
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        resumed_and_early(&p, true, true)
    }

    /// RFC 8446, 4.2.10: when 0-RTT is rejected the server skips records "which
    /// fail deprotection (up to the configured max_early_data_size)"; past that
    /// budget (here 16 KiB) a record that fails deprotection is what it is for any
    /// record, bad_record_mac (5.2).
    "4.2.10", "rejected 0-RTT beyond the skip budget is bad_record_mac" =>
    fn rejected_early_data_beyond_the_budget_is_bad_record_mac() {
        let (_, mut p, _, flight) = resuming(true, |t| t.server().max_early_data(0))?;
        let mut bytes = flight;
        for _ in 0..2 {
            bytes.extend(crate::pair::raw_record(23, 0x0303, &vec![0x55; 1 << 14]));
        }
        let outcome = p.deliver(Side::Server, &bytes);
        refused(&mut p, Side::Server, outcome, A::BadRecordMac,
            "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 8446, 4.2.10: "In order to accept early data, the server MUST have
    /// accepted a PSK cipher suite and selected the first key offered in the
    /// client's "pre_shared_key" extension": a ticket accepted at index 1 resumes
    /// without 0-RTT.
    "4.2.10", "0-RTT with the ticket at index 1 is rejected, the ticket resumed" =>
    fn early_data_with_the_second_identity_is_rejected() {
        let p = resume_edited(true, Tickets::server_ed, |ch| edit_psk(ch, |o| {
            o.identities.insert(0, PskIdentity { identity: vec![0x44; 8], obfuscated_ticket_age: 0 });
            o.binders.insert(0, vec![0x66; 32]);
        }))?;
        resumed_and_early(&p, true, false)
    }

    /// RFC 8446, 4.2.10 (and 8.3): "a server MUST validate that the ticket age for
    /// the selected PSK identity [...] is within a small tolerance of the time since
    /// the ticket was issued [...]. If it is not, the server SHOULD proceed with the
    /// handshake but reject 0-RTT": a ticket age off by a minute resumes without
    /// 0-RTT.
    "4.2.10", "0-RTT with a ticket age off by a minute is rejected, the ticket resumed" =>
    fn early_data_with_a_stale_ticket_age_is_rejected() {
        let p = resume_edited(true, Tickets::server_ed, |ch| edit_psk(ch, |o| {
            o.identities[0].obfuscated_ticket_age = o.identities[0].obfuscated_ticket_age.wrapping_add(60_000);
        }))?;
        resumed_and_early(&p, true, false)
    }

    /// RFC 8446, 4.2.10 (and 8.3): within the "small tolerance" (ferrotls: 10
    /// seconds) 0-RTT is accepted; 5 seconds off is fine.
    "4.2.10", "0-RTT with a ticket age 5 seconds off is accepted" =>
    fn early_data_within_the_window_is_accepted() {
        let p = resume_edited(true, Tickets::server_ed, |ch| edit_psk(ch, |o| {
            o.identities[0].obfuscated_ticket_age = o.identities[0].obfuscated_ticket_age.wrapping_add(5_000);
        }))?;
        resumed_and_early(&p, true, true)
    }

    /// RFC 8446, 4.2.10: 0-RTT needs a ticket the server can check for replay (8):
    /// a stateless ticket (issued without max_early_data_size) with early_data added
    /// resumes without 0-RTT.
    "4.2.10", "early_data with a ticket not issued for 0-RTT is rejected, the ticket resumed" =>
    fn early_data_with_a_stateless_ticket_is_rejected() {
        let p = resume_edited(false, Tickets::server_ed, |ch| {
            let at = ch.extensions.len() - 1;
            ch.extensions.insert(at, ClientExtension::EarlyData);
        })?;
        resumed_and_early(&p, true, false)
    }

    /// RFC 8446, 4.2.10: "the selected ALPN [...] protocol" must be the one of the
    /// original connection for 0-RTT; another protocol resumes without 0-RTT.
    "4.2.10", "0-RTT with another ALPN protocol than the ticket's is rejected" =>
    fn early_data_with_another_alpn_is_rejected() {
        let t = Tickets::new();
        let mut p = Pair::new(t.client_ed().alpn(vec![b"h2".to_vec()]),
            t.server_ed().alpn(vec![b"h2".to_vec(), b"x".to_vec()]));
        p.handshake().map_err(|(s, e)| format!("first handshake: {s:?}: {e}"))?;
        let mut p = Pair::new(t.client_ed().alpn(vec![b"h2".to_vec()]),
            t.server_ed().alpn(vec![b"h2".to_vec(), b"x".to_vec()]));
        p.client.write_early_data(b"early").map_err(|e| e.to_string())?;
        let (_, mut ch) = client_hello_of(&mut p.client);
        let (psk, _) = t.store.last_psk().ok_or("no ticket")?;
        set_extension(&mut ch, ClientExtension::Alpn(vec![b"x".to_vec()]));
        rebind(&mut ch, 0, &psk);
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)?;
        resumed_and_early(&p, true, false)
    }

    /// RFC 8446, 4.2.10: "A server which receives an "early_data" extension MUST
    /// behave in one of three ways"; after a HelloRetryRequest ("early data is not
    /// permitted after a HelloRetryRequest") it skips the 0-RTT records and the
    /// handshake completes.
    "4.2.10", "0-RTT followed by a HelloRetryRequest is skipped, the handshake completes" =>
    fn early_data_before_a_retry_is_skipped() {
        let t = Tickets::new();
        t.prime(true)?;
        let mut p = Pair::new(t.client_ed().key_share_groups(&[]), t.server_ed());
        p.client.write_early_data(b"early").map_err(|e| e.to_string())?;
        let flight = p.take(Side::Client);
        ensure(has_early_records(&flight), || "the client sent no 0-RTT record".into())?;
        p.deliver(Side::Server, &flight).map_err(|e| format!("first flight refused: {e}"))?;
        let hrr = p.take(Side::Server);
        match HandshakeMessage::read_tls13(&split_records(&hrr).first().ok_or("no answer")?.payload).map(|m| m.payload) {
            Ok(HandshakePayload::ServerHello(sh)) if sh.is_hello_retry_request() => {}
            other => return Err(format!("not a HelloRetryRequest: {other:?}")),
        }
        p.deliver(Side::Client, &hrr).map_err(|e| format!("client refused the retry: {e}"))?;
        p.handshake().map_err(|(s, e)| format!("{s:?}: {e}"))?;
        same("resumed", p.server.negotiated().resumed, true)?;
        same("0-RTT accepted", p.server.early_data_accepted(), false)
    }

    /// RFC 8446, 4.5: "If the server does not send an "early_data" extension in
    /// EncryptedExtensions, then the client MUST NOT send an EndOfEarlyData
    /// message." One is unexpected_message.
    "4.5", "EndOfEarlyData after rejected 0-RTT is unexpected_message" =>
    fn end_of_early_data_after_rejection_is_unexpected_message() {
        let (_, mut p, _, flight) = resuming(true, |t| t.server().max_early_data(0))?;
        p.deliver(Side::Server, &flight).map_err(|e| format!("refused: {e}"))?;
        p.transfer(Side::Server).map_err(|e| format!("client: {e}"))?;
        let records = split_records(&p.take(Side::Client));
        let mut hs = p.cipher(Side::Client, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
        let at = records.iter().position(|r| r.typ == ContentType::ApplicationData).ok_or("no protected record")?;
        let mut edited = records[..at].to_vec();
        edited.push(hs.seal(ContentType::Handshake, &[5, 0, 0, 0]));
        let outcome = p.deliver(Side::Server, &join_records(&edited));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent EndOfEarlyData while waiting for the peer's Finished")
    }

    /// RFC 8446, 4.5: `struct {} EndOfEarlyData;`: a body is a decode_error.
    "4.5", "EndOfEarlyData with a body is decode_error" =>
    fn end_of_early_data_with_a_body_is_decode_error() {
        let (_, mut p, _, flight) = resuming(true, Tickets::server_ed)?;
        let secret = p.client_keys.secret("CLIENT_EARLY_TRAFFIC_SECRET").ok_or("no early secret")?;
        let mut cipher = RecordCipher::new(crate::pair::suite(CipherSuite::TLS13_AES_128_GCM_SHA256), &secret);
        cipher.seq = split_records(&flight).iter().filter(|r| r.typ == ContentType::ApplicationData).count() as u64;
        let mut bytes = flight;
        bytes.extend(cipher.seal_bytes(ContentType::Handshake, &[5, 0, 0, 1, 0]));
        let outcome = p.deliver(Side::Server, &bytes);
        refused(&mut p, Side::Server, outcome, A::DecodeError,
            "peer sent a malformed EndOfEarlyData: field body at byte 4: 1 unexpected byte(s) after the end")
    }

    /// RFC 8446, 4.5: EndOfEarlyData comes under the 0-RTT keys before Finished;
    /// a Finished in its place (the 0-RTT key still expected) is unexpected_message.
    "4.5", "Finished instead of EndOfEarlyData is unexpected_message" =>
    fn finished_instead_of_end_of_early_data_is_unexpected_message() {
        let (_, mut p, _, flight) = resuming(true, Tickets::server_ed)?;
        let secret = p.client_keys.secret("CLIENT_EARLY_TRAFFIC_SECRET").ok_or("no early secret")?;
        let mut cipher = RecordCipher::new(crate::pair::suite(CipherSuite::TLS13_AES_128_GCM_SHA256), &secret);
        cipher.seq = split_records(&flight).iter().filter(|r| r.typ == ContentType::ApplicationData).count() as u64;
        let mut bytes = flight;
        bytes.extend(cipher.seal_bytes(ContentType::Handshake, &message(HandshakeType::Finished, &[0; 32])));
        let outcome = p.deliver(Side::Server, &bytes);
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent Finished while waiting for the client's EndOfEarlyData")
    }

    /// RFC 8446, 4.2.10: "if the server fails to decrypt a 0-RTT record following
    /// an accepted "early_data" extension, it MUST terminate the connection with a
    /// "bad_record_mac" alert as per Section 5.2."
    "4.2.10", "accepted 0-RTT record that fails decryption is bad_record_mac" =>
    fn accepted_early_data_that_fails_decryption_is_bad_record_mac() {
        let (_, mut p, _, flight) = resuming(true, Tickets::server_ed)?;
        let mut records = split_records(&flight);
        let last = records.iter().rposition(|r| r.typ == ContentType::ApplicationData).ok_or("no 0-RTT record")?;
        records[last].payload[0] ^= 1;
        let outcome = p.deliver(Side::Server, &join_records(&records));
        refused(&mut p, Side::Server, outcome, A::BadRecordMac,
            "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 8446, 4.2.11: "Prior to accepting PSK key establishment, the server MUST
    /// validate the corresponding binder value [...]. If this value is not present
    /// or does not validate, the server MUST abort the handshake." (decrypt_error,
    /// 6.2: "a handshake [...] cryptographic operation failed")
    "4.2.11", "wrong binder on a real ticket is decrypt_error" =>
    fn wrong_binder_is_decrypt_error() {
        binder_refused(|b| b[0] ^= 1)
    }

    /// RFC 8446, 4.2.11.2: the binder is an HMAC of the suite's hash length; a
    /// 48-byte binder for a SHA-256 PSK does not validate.
    "4.2.11", "binder longer than the PSK's hash is decrypt_error" =>
    fn long_binder_is_decrypt_error() {
        binder_refused(|b| b.extend_from_slice(&[0; 16]))
    }

    /// RFC 8446, 4.2.11.2: the binder covers the ClientHello up to the binders;
    /// a ClientHello changed after binding (here its random) does not validate.
    "4.2.11.2", "ClientHello changed after its binder was computed is decrypt_error" =>
    fn altered_hello_fails_the_binder() {
        let (_, mut p, mut ch, _) = resuming(false, Tickets::server)?;
        ch.random[0] ^= 1;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecryptError, BAD_BINDER)
    }

    /// RFC 8446, 4.2.11.2: the binder also covers the identities (and their ages):
    /// a changed obfuscated_ticket_age without a new binder does not validate.
    "4.2.11.2", "ticket age changed without a new binder is decrypt_error" =>
    fn altered_ticket_age_fails_the_binder() {
        let (_, mut p, mut ch, _) = resuming(false, Tickets::server)?;
        edit_psk(&mut ch, |o| o.identities[0].obfuscated_ticket_age ^= 1);
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecryptError, BAD_BINDER)
    }

    /// RFC 8446, 4.2.11: the server may select any offered identity it accepts:
    /// an unknown identity first, the real ticket second, resumes with
    /// selected_identity 1.
    "4.2.11", "unknown identity before a real ticket resumes with selected_identity 1" =>
    fn second_identity_is_selected() {
        let (t, mut p, mut ch, _) = resuming(false, Tickets::server)?;
        let (psk, _) = t.store.last_psk().ok_or("no ticket")?;
        edit_psk(&mut ch, |o| {
            o.identities.insert(0, PskIdentity { identity: vec![0x44; 8], obfuscated_ticket_age: 0 });
            o.binders.insert(0, vec![0x66; 32]);
        });
        rebind(&mut ch, 1, &psk);
        let outcome = send_hello(&mut p, &ch);
        if let Err(e) = outcome {
            return Err(format!("refused: {e}"));
        }
        let records = split_records(&p.take(Side::Server));
        let first = records.first().ok_or("no answer")?;
        match HandshakeMessage::read_tls13(&first.payload).map(|m| m.payload) {
            Ok(HandshakePayload::ServerHello(sh)) => same("selected_identity", sh.psk_index(), Some(1)),
            other => Err(format!("not a ServerHello: {other:?}")),
        }
    }

    /// RFC 8446, 4.2.11: the server checks the binder of the identity it selects
    /// only: the unknown identity's made-up binder is no error (see the case
    /// above), but a wrong binder for the selected one at index 1 is.
    "4.2.11", "wrong binder for the selected identity at index 1 is decrypt_error" =>
    fn wrong_binder_at_index_one_is_decrypt_error() {
        let (_, mut p, mut ch, _) = resuming(false, Tickets::server)?;
        edit_psk(&mut ch, |o| {
            o.identities.insert(0, PskIdentity { identity: vec![0x44; 8], obfuscated_ticket_age: 0 });
            o.binders.insert(0, vec![0x66; 32]);
        });
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecryptError, BAD_BINDER)
    }

    /// RFC 8446, 4.2.11.1: the obfuscated age matters for 0-RTT only; a ticket whose
    /// age is off by an hour (binder recomputed) still resumes.
    "4.2.11.1", "ticket age off by an hour still resumes" =>
    fn wrong_ticket_age_still_resumes() {
        let p = resume_edited(false, Tickets::server, |ch| edit_psk(ch, |o| {
            o.identities[0].obfuscated_ticket_age = o.identities[0].obfuscated_ticket_age.wrapping_add(3_600_000);
        }))?;
        resumed_and_early(&p, true, false)
    }

    /// RFC 8446, 4.2.11: "Clients MUST verify that the server's selected_identity
    /// is within the range supplied by the client [...] and otherwise abort the
    /// handshake with an "illegal_parameter" alert."
    "4.2.11", "selected_identity out of range is illegal_parameter" =>
    fn selected_identity_out_of_range_is_illegal_parameter() {
        let (_, mut p, _, flight) = resuming(false, Tickets::server)?;
        p.deliver(Side::Server, &flight).map_err(|e| format!("server: {e}"))?;
        let mut answer = p.take(Side::Server);
        edit_server_hello(&mut answer, |sh| {
            for e in &mut sh.extensions {
                if let ServerExtension::PreSharedKey(i) = e {
                    *i = 3;
                }
            }
        });
        let outcome = p.deliver(Side::Client, &answer);
        refused(&mut p, Side::Client, outcome, A::IllegalParameter,
            "peer's ServerHello has an illegal pre_shared_key: selects a PSK the client did not offer, or with a different hash")
    }

    /// RFC 8446, 4.2.11: a server selecting a PSK the client never offered sends an
    /// extension the client did not ask for: unsupported_extension (4.2).
    "4.2.11", "pre_shared_key in the ServerHello when none was offered is unsupported_extension" =>
    fn unsolicited_psk_selection_is_unsupported_extension() {
        let mut p = Pair::new(client(), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        edit_server_hello(&mut flight, |sh| sh.extensions.push(ServerExtension::PreSharedKey(0)));
        let outcome = p.deliver(Side::Client, &flight);
        refused(&mut p, Side::Client, outcome, A::UnsupportedExtension,
            "peer's ServerHello contains the pre_shared_key extension, which was not requested")
    }

    /// RFC 8446, 4.2.11: `PskIdentity identities<7..2^16-1>`: an empty list is
    /// malformed.
    "4.2.11", "empty PSK identities list is decode_error" =>
    fn empty_psk_identities_is_decode_error() {
        let (mut p, mut ch) = crate::peer::before_hello();
        ch.extensions.push(ClientExtension::Unknown { typ: ExtensionType::PreSharedKey, data: vec![0, 0, 0, 33, 32, 0] });
        let at = extension_body_offset(&ch, ExtensionType::PreSharedKey) + 2;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field identities at byte {at}: must not be empty"))
    }

    /// RFC 8446, 4.2.11: `opaque identity<1..2^16-1>`: an empty identity is
    /// malformed.
    "4.2.11", "empty PSK identity is decode_error" =>
    fn empty_psk_identity_is_decode_error() {
        let (mut p, mut ch) = crate::peer::before_hello();
        let mut data = vec![0, 6, 0, 0, 0, 0, 0, 0, 0, 33, 32];
        data.extend_from_slice(&[0; 32]);
        ch.extensions.push(ClientExtension::Unknown { typ: ExtensionType::PreSharedKey, data });
        let at = extension_body_offset(&ch, ExtensionType::PreSharedKey) + 4;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field identity at byte {at}: must not be empty"))
    }

    /// RFC 8446, 4.6.1: the ticket is resumed only where it is still valid: a
    /// stateful ticket older than seven days on the server's clock ("Servers MUST
    /// NOT use any value greater than 604800 seconds") gets a full handshake; six
    /// days old, it resumes.
    "4.6.1", "ticket older than seven days on the server clock gets a full handshake" =>
    fn ticket_older_than_seven_days_is_not_resumed() {
        for (days, resumed) in [(6, true), (8, false)] {
            let (_, mut p, ch, _) = resuming(true, |t| t.server_at(T0 + days * DAY).max_early_data(MAX_EARLY))?;
            let outcome = send_hello(&mut p, &ch);
            answered_hello(&mut p, outcome, false)?;
            same(&format!("resumed after {days} days"), p.server.negotiated().resumed, resumed)?;
        }
        Ok(())
    }

    /// RFC 8446, 4.6.1: "The value of zero indicates that the ticket should be
    /// discarded immediately."
    "4.6.1", "ticket with lifetime zero is discarded" =>
    fn ticket_of_lifetime_zero_is_discarded() {
        let mut t = ticket(Vec::new());
        t.lifetime = 0;
        ticket_kept(&nst_bytes(t), 0)
    }

    /// RFC 8446, 4.6.1: 604800 seconds is the longest lifetime allowed, and allowed.
    "4.6.1", "ticket lifetime of exactly seven days is kept" =>
    fn ticket_of_seven_days_is_kept() {
        let mut t = ticket(Vec::new());
        t.lifetime = 604_800;
        ticket_kept(&nst_bytes(t), 1)
    }

    /// RFC 8446, 4.6.1: `opaque ticket<1..2^16-1>`: an empty ticket is malformed.
    "4.6.1", "empty ticket is decode_error" =>
    fn empty_ticket_is_decode_error() {
        let mut t = ticket(Vec::new());
        t.ticket.clear();
        ticket_refused(&nst_bytes(t), A::DecodeError,
            "peer sent a malformed NewSessionTicket: field ticket at byte 16: must not be empty")
    }

    /// RFC 8446, 4.6.1: `opaque ticket_nonce<0..255>`: an empty nonce is allowed.
    "4.6.1", "empty ticket_nonce is accepted" =>
    fn empty_ticket_nonce_is_accepted() {
        let mut t = ticket(Vec::new());
        t.nonce.clear();
        ticket_kept(&nst_bytes(t), 1)
    }

    /// RFC 8446, 4.6.1: each ticket's PSK is derived with its own nonce
    /// ("HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce,
    /// Hash.length)"): two tickets with different nonces have different PSKs.
    "4.6.1", "tickets with different nonces have different PSKs" =>
    fn ticket_nonce_changes_the_psk() {
        let t = Tickets::new();
        let (mut p, mut cipher) = connected_with(&t)?;
        for nonce in [0u8, 1] {
            let mut nst = ticket(Vec::new());
            nst.nonce = vec![nonce];
            p.deliver(Side::Client, &cipher.seal_bytes(ContentType::Handshake, &nst_bytes(nst)))
                .map_err(|e| format!("refused: {e}"))?;
        }
        let a = t.store.take_tls13_ticket(crate::pair::SERVER_NAME).ok_or("no ticket")?;
        let b = t.store.take_tls13_ticket(crate::pair::SERVER_NAME).ok_or("one ticket only")?;
        ensure(a.psk.as_bytes() != b.psk.as_bytes(), || "two nonces gave one PSK".into())
    }

    /// RFC 8446, 4.6.1: "Clients MUST ignore unrecognized extensions."
    "4.6.1", "unknown NewSessionTicket extension is ignored" =>
    fn unknown_ticket_extension_is_ignored() {
        let ext = NewSessionTicketExtension::Unknown { typ: ExtensionType::from_wire(0x5a5a), data: vec![1, 2, 3] };
        ticket_kept(&nst_bytes(ticket(vec![ext])), 1)
    }

    /// RFC 8446, 4.2.10: in a NewSessionTicket early_data is `uint32
    /// max_early_data_size`; two bytes are malformed.
    "4.6.1", "NewSessionTicket early_data of the wrong length is decode_error" =>
    fn ticket_early_data_of_the_wrong_length_is_decode_error() {
        let msg = nst_with_raw_extensions(&[0, 42, 0, 2, 0, 1]);
        ticket_refused(&msg, A::DecodeError,
            "peer sent a malformed NewSessionTicket: field max_early_data_size at byte 38: needs 4 byte(s) but only 2 remain (message cut short)")
    }

    /// RFC 8446, 4.2: "There MUST NOT be more than one extension of the same type
    /// in a given extension block."
    "4.6.1", "duplicate NewSessionTicket extension is illegal_parameter" =>
    fn duplicate_ticket_extension_is_illegal_parameter() {
        let msg = nst_with_raw_extensions(&[0, 42, 0, 4, 0, 0, 4, 0, 0, 42, 0, 4, 0, 0, 4, 0]);
        ticket_refused(&msg, A::IllegalParameter,
            "peer sent a malformed NewSessionTicket: field extensions at byte 42: extension 0x002a appears more than once")
    }

    /// RFC 8446, 4.2: a recognized extension "not specified for the message in
    /// which it appears" is illegal_parameter: key_share in a NewSessionTicket.
    "4.6.1", "key_share in a NewSessionTicket is illegal_parameter" =>
    fn key_share_in_a_ticket_is_illegal_parameter() {
        let msg = nst_with_raw_extensions(&[0, 51, 0, 0]);
        ticket_refused(&msg, A::IllegalParameter,
            "peer sent a malformed NewSessionTicket: field extensions at byte 34: extension 0x0033 is not allowed in this message")
    }

    /// RFC 8446, 4.6.1: "At any time after the server has received the client
    /// Finished message, it MAY send a NewSessionTicket message": one inside the
    /// server's handshake flight is unexpected_message.
    "4.6.1", "NewSessionTicket before the server's Finished is unexpected_message" =>
    fn ticket_inside_the_handshake_is_unexpected_message() {
        let (mut p, outcome) = crate::peer::send_edited_server_flight(client(), |pieces| {
            let at = pieces.iter().position(|p| p.handshake_type() == Some(HandshakeType::Finished)).unwrap_or(0);
            pieces.insert(at, crate::pair::Piece::Sealed { typ: ContentType::Handshake, content: nst_bytes(ticket(Vec::new())) });
        })?;
        refused(&mut p, Side::Client, outcome, A::UnexpectedMessage,
            "peer sent NewSessionTicket while waiting for the peer's Finished")
    }

    /// RFC 8446, 8.1: "Single-use tickets": a stateful (0-RTT) ticket is deleted when
    /// used, so the same ClientHello replayed to the server resumes no more.
    "8.1", "replayed 0-RTT ClientHello gets a full handshake without early data" =>
    fn replayed_hello_is_not_resumed() {
        let (t, mut p, _, flight) = resuming(true, Tickets::server_ed)?;
        p.deliver(Side::Server, &flight).map_err(|e| format!("refused: {e}"))?;
        resumed_and_early(&p, true, true)?;
        let q = replay(&t, &flight)?;
        resumed_and_early(&q, false, false)
    }

    /// RFC 8446, 8.1: the replay arriving first uses the ticket up; the genuine
    /// ClientHello then gets a full handshake, and the early data is accepted once
    /// only.
    "8.1", "0-RTT ticket is accepted once when the replay comes first" =>
    fn replay_first_uses_the_ticket_up() {
        let (t, mut p, _, flight) = resuming(true, Tickets::server_ed)?;
        let q = replay(&t, &flight)?;
        resumed_and_early(&q, true, true)?;
        p.deliver(Side::Server, &flight).map_err(|e| format!("refused: {e}"))?;
        resumed_and_early(&p, false, false)
    }

    /// RFC 8446, 8: anti-replay for 0-RTT only; stateless tickets (no 0-RTT) may be
    /// resumed again: the same ClientHello sent twice resumes twice, without 0-RTT.
    "8", "stateless ticket resumes twice, never with 0-RTT" =>
    fn stateless_ticket_resumes_twice() {
        let (t, mut p, _, flight) = resuming(false, Tickets::server)?;
        let outcome = p.deliver(Side::Server, &flight);
        answered_hello(&mut p, outcome, false)?;
        resumed_and_early(&p, true, false)?;
        let mut q = Pair::new(t.client(), t.server());
        let outcome = q.deliver(Side::Server, &flight);
        answered_hello(&mut q, outcome, false)?;
        resumed_and_early(&q, true, false)
    }

    /// RFC 8446, 4.2.11: a ticket the server cannot decrypt is ignored: "If the
    /// server [...] cannot use any of the offered PSKs, it [...] performs a full
    /// handshake" (no alert).
    "4.2.11", "ticket with one byte changed gets a full handshake" =>
    fn altered_ticket_gets_a_full_handshake() {
        let p = resume_edited(false, Tickets::server, |ch| edit_psk(ch, |o| {
            let id = &mut o.identities[0].identity;
            let last = id.len() - 1;
            id[last] ^= 1;
        }))?;
        resumed_and_early(&p, false, false)
    }

    /// RFC 8446, 4.2.11: a binders list that does not decode (a binder longer than
    /// its list) is a decode_error.
    "4.2.11", "binder running past its list is decode_error" =>
    fn binder_past_its_list_is_decode_error() {
        let (_, mut p, ch, _) = resuming(false, Tickets::server)?;
        let mut bytes = hello_bytes(&ch);
        let binders_len = ch.psk().map(OfferedPsks::binders_len).unwrap_or(0);
        let at = bytes.len() - binders_len + 2;
        bytes[at] = 0xff;
        let outcome = p.deliver(Side::Server, &in_records(&bytes, 1 << 14));
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field binder at byte {}: needs 255 byte(s) but only 32 remain (message cut short)", at + 1))
    }
}
