//! In-memory client/server pairs for the API and hostile-input tests.
//!
//! - certificates: one test CA and leaves for given names (ECDSA P-256, RSA-2048);
//! - [`Pair`]: a client and a server joined by a byte pipe, with tamper hooks on
//!   every flight in transit ([`Pair::transfer_with`], [`Pair::drive`]);
//! - records: split a byte stream into records, build plaintext records;
//! - keys: a [`KeyCapture`] key log on both sides, so a test can decrypt a flight,
//!   change a message and re-encrypt it with the same keys and sequence numbers
//!   ([`Pair::edit_sealed`]), and decode the alert a failed side sent
//!   ([`last_alert_sent`], [`Pair::alert_sent_by`]).
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

use ferrotls::client::{ClientConfig, ClientConfigBuilder, ClientConnection};
use ferrotls::conn::{Connection, IoState, Negotiated};
use ferrotls::crypto::aead::{AeadAlgorithm, AeadKey, NONCE_LEN, TAG_LEN};
use ferrotls::crypto::cbc::{CbcKey, MacKey, AES_BLOCK_LEN};
use ferrotls::crypto::HashContext;
use ferrotls::msgs::enums::ExtensionType;
use ferrotls::msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, HandshakeType, KeyUpdateRequest,
    ProtocolVersion,
};
use ferrotls::msgs::ClientHello;
use ferrotls::msgs::{
    AlertMessage, HandshakeMessage, HandshakePayload, KeyUpdate, ServerExtension, ServerHello,
};
use ferrotls::observe::{Direction, Event, KeyLog, Observer};
use ferrotls::record::protect12::{new_pair_from_key_block, Decrypter12, Encrypter12};
use ferrotls::record::{Decrypter13, Encrypter13, OpaqueRecord};
use ferrotls::server::{
    ServerConfig, ServerConfigBuilder, ServerConnection, ServerSessionCache, StoredSession,
};
use ferrotls::tls12::prf;
use ferrotls::tls12::suites::{self as suites12, Bulk, Tls12CipherSuite};
use ferrotls::tls13::key_schedule::hkdf_expand_label;
use ferrotls::tls13::suites::{self, Tls13CipherSuite};
use ferrotls::Error;

/// The name the client connects to unless a test says otherwise.
pub const SERVER_NAME: &str = "localhost";

/// At most this many round trips for one handshake; a correct one needs three.
const MAX_ROUNDS: usize = 16;

/// Sequence numbers tried when looking for the key and nonce of a sent alert.
const MAX_SEQ_PROBE: u64 = 256;

/// Protected records longer than this cannot be an alert (two bytes, the type byte
/// and the tag; ferrotls does not pad), so [`last_alert_sent`] does not try them.
const MAX_SEALED_ALERT_LEN: usize = 64;

/// KeyUpdate generations tried when looking for the key of a sent alert.
const MAX_KEY_UPDATES: usize = 8;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test must not poison the helpers for the tests that run after it.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------
// Certificates

/// The kind of key a test certificate carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyType {
    /// ECDSA P-256: the server signs with ecdsa_secp256r1_sha256.
    Ecdsa,
    /// RSA-2048: the server signs with rsa_pss_rsae_sha256.
    Rsa,
}

/// A server certificate chain (leaf, then the test CA) and the leaf's private key.
#[derive(Clone, Debug)]
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    key_pkcs8: Vec<u8>,
}

impl Identity {
    pub fn leaf(&self) -> &CertificateDer<'static> {
        &self.chain[0]
    }

    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pkcs8.clone()))
    }
}

/// The test CA and every leaf issued so far (key generation is slow: RSA especially).
struct Authority {
    der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    issued: HashMap<(KeyType, Vec<String>), Identity>,
}

fn authority() -> &'static Mutex<Authority> {
    static CA: OnceLock<Mutex<Authority>> = OnceLock::new();
    CA.get_or_init(|| {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "ferrotls test CA");
        let cert = params.self_signed(&key).expect("CA certificate");
        Mutex::new(Authority {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
            issued: HashMap::new(),
        })
    })
}

/// A leaf for `names` (the first is also its CN), issued by the test CA. Repeated
/// calls with the same arguments return the same certificate.
pub fn identity(key_type: KeyType, names: &[&str]) -> Identity {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut ca = lock(authority());
    if let Some(id) = ca.issued.get(&(key_type, names.clone())) {
        return id.clone();
    }
    let alg = match key_type {
        KeyType::Ecdsa => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::Rsa => &rcgen::PKCS_RSA_SHA256,
    };
    let key = KeyPair::generate_for(alg).expect("leaf key");
    let mut params = CertificateParams::new(names.clone()).expect("leaf params");
    params
        .distinguished_name
        .push(DnType::CommonName, names[0].as_str());
    let cert = params
        .signed_by(&key, &ca.issuer)
        .expect("leaf certificate");
    let id = Identity {
        chain: vec![cert.der().clone(), ca.der.clone()],
        key_pkcs8: key.serialize_der(),
    };
    ca.issued.insert((key_type, names), id.clone());
    id
}

/// The usual test identity: ECDSA P-256 for [`SERVER_NAME`].
pub fn ecdsa() -> Identity {
    identity(KeyType::Ecdsa, &[SERVER_NAME])
}

/// The RSA-2048 identity for [`SERVER_NAME`].
pub fn rsa() -> Identity {
    identity(KeyType::Rsa, &[SERVER_NAME])
}

/// A server session cache that keeps nothing: servers that resume by ticket only.
#[derive(Debug)]
pub struct NoCache;

impl ServerSessionCache for NoCache {
    fn put(&self, _: Vec<u8>, _: Arc<StoredSession>) {}
    fn get(&self, _: &[u8]) -> Option<Arc<StoredSession>> {
        None
    }
    fn take(&self, _: &[u8]) -> Option<Arc<StoredSession>> {
        None
    }
}

/// A server configuration holding `ids` in this order (the first is the default).
pub fn server_config(ids: &[&Identity]) -> ServerConfigBuilder {
    ids.iter().fold(ServerConfig::builder(), |b, id| {
        b.cert(id.chain.clone(), &id.key())
            .expect("server certificate")
    })
}

/// A change to a client configuration, for helpers that build the rest.
pub type ClientSetup = fn(ClientConfigBuilder) -> ClientConfigBuilder;

/// A client configuration that trusts exactly the leaves of `pins`.
pub fn client_config(pins: &[&Identity]) -> ClientConfigBuilder {
    ClientConfig::pinned(pins.iter().map(|id| id.leaf().clone()).collect()).expect("pinned client")
}

// ---------------------------------------------------------------------------------
// Key log and observer

/// One line of the key log.
#[derive(Debug)]
struct Logged {
    label: String,
    client_random: Vec<u8>,
    secret: Vec<u8>,
}

/// A key log that keeps every secret, so tests can derive record keys.
#[derive(Debug, Default)]
pub struct KeyCapture {
    /// In the order they were logged.
    entries: Mutex<Vec<Logged>>,
}

impl KeyLog for KeyCapture {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        lock(&self.entries).push(Logged {
            label: label.to_string(),
            client_random: client_random.to_vec(),
            secret: secret.to_vec(),
        });
    }
}

impl KeyCapture {
    /// The last secret logged under `label`.
    pub fn secret(&self, label: &str) -> Option<Vec<u8>> {
        lock(&self.entries)
            .iter()
            .rev()
            .find(|e| e.label == label)
            .map(|e| e.secret.clone())
    }

    /// Every label logged, in order.
    pub fn labels(&self) -> Vec<String> {
        lock(&self.entries)
            .iter()
            .map(|e| e.label.clone())
            .collect()
    }

    /// The client_random of every entry, in order.
    pub fn client_randoms(&self) -> Vec<Vec<u8>> {
        lock(&self.entries)
            .iter()
            .map(|e| e.client_random.clone())
            .collect()
    }
}

/// An observer that records messages, change_cipher_spec records and alerts as
/// lines like `sent ClientHello` or `received alert decode_error`.
#[derive(Debug, Default)]
pub struct Recorder {
    lines: Mutex<Vec<String>>,
}

impl Observer for Recorder {
    fn event(&self, event: &Event<'_>) {
        let dir = |d: &Direction| match d {
            Direction::Sent => "sent",
            Direction::Received => "received",
        };
        let line = match event {
            Event::Message {
                direction, message, ..
            } => format!("{} {}", dir(direction), message.name()),
            Event::Message12 {
                direction, message, ..
            } => format!("{} {}", dir(direction), message.name()),
            Event::ChangeCipherSpec { direction } => format!("{} ChangeCipherSpec", dir(direction)),
            Event::Alert {
                direction,
                description,
            } => format!("{} alert {description}", dir(direction)),
            Event::Secret { .. } => return,
        };
        lock(&self.lines).push(line);
    }
}

impl Recorder {
    pub fn lines(&self) -> Vec<String> {
        lock(&self.lines).clone()
    }

    pub fn count(&self, line: &str) -> usize {
        lock(&self.lines).iter().filter(|l| *l == line).count()
    }
}

// ---------------------------------------------------------------------------------
// The pair

/// One end of a [`Pair`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn peer(self) -> Side {
        match self {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        }
    }

    /// The key log label prefix of this side's sending secrets.
    fn label(self) -> &'static str {
        match self {
            Side::Client => "CLIENT",
            Side::Server => "SERVER",
        }
    }
}

pub const BOTH: [Side; 2] = [Side::Client, Side::Server];

/// Which flight a tamper hook is looking at: its sender and its index among all
/// flights of this drive (0 is the ClientHello).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flight {
    pub from: Side,
    pub index: usize,
}

/// How a driven handshake ended.
#[derive(Debug)]
pub enum Outcome {
    /// Neither side is handshaking and neither has bytes to send.
    Done,
    /// `Side` failed processing what it received, with this error.
    Failed(Side, Error),
    /// Both sides wait for bytes that never come (e.g. a truncated record).
    Stalled,
}

/// A client and a server, each with a [`KeyCapture`] key log, joined in memory.
pub struct Pair {
    pub client: ClientConnection,
    pub server: ServerConnection,
    pub client_keys: Arc<KeyCapture>,
    pub server_keys: Arc<KeyCapture>,
}

impl Pair {
    /// Builds both configurations (adding key logs) and connects to [`SERVER_NAME`].
    pub fn new(client: ClientConfigBuilder, server: ServerConfigBuilder) -> Self {
        Self::named(client, server, SERVER_NAME)
    }

    /// As [`Pair::new`], connecting to `server_name`.
    pub fn named(
        client: ClientConfigBuilder,
        server: ServerConfigBuilder,
        server_name: &str,
    ) -> Self {
        let client_keys = Arc::new(KeyCapture::default());
        let server_keys = Arc::new(KeyCapture::default());
        let client_config = client
            .key_log(client_keys.clone())
            .build()
            .expect("client config");
        let server_config = server
            .key_log(server_keys.clone())
            .build()
            .expect("server config");
        let name = ServerName::try_from(server_name.to_string()).expect("server name");
        Pair {
            client: ClientConnection::new(client_config, name).expect("client connection"),
            server: ServerConnection::new(server_config).expect("server connection"),
            client_keys,
            server_keys,
        }
    }

    /// The usual pair: ECDSA certificate, default configurations.
    pub fn ecdsa() -> Self {
        let id = ecdsa();
        Pair::new(client_config(&[&id]), server_config(&[&id]))
    }

    /// A usual pair with the handshake done. The server sends no session tickets, so
    /// its first application record has sequence number 0.
    pub fn connected() -> Self {
        let id = ecdsa();
        let mut p = Pair::new(
            client_config(&[&id]),
            server_config(&[&id]).tls13_tickets(0),
        );
        p.handshake().expect("handshake");
        p
    }

    pub fn conn(&mut self, side: Side) -> &mut Connection {
        match side {
            Side::Client => &mut self.client,
            Side::Server => &mut self.server,
        }
    }

    pub fn conn_ref(&self, side: Side) -> &Connection {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }

    pub fn keys(&self, side: Side) -> &KeyCapture {
        match side {
            Side::Client => &self.client_keys,
            Side::Server => &self.server_keys,
        }
    }

    /// Takes every byte `from` has queued.
    pub fn take(&mut self, from: Side) -> Vec<u8> {
        self.conn(from).take_tls()
    }

    /// Hands `bytes` to `to` and processes them, as often as `feed_tls` needs to
    /// take them all (it buffers at most one maximal record at a time).
    pub fn deliver(&mut self, to: Side, bytes: &[u8]) -> Result<IoState, Error> {
        let conn = self.conn(to);
        let mut rest = bytes;
        loop {
            let taken = conn.feed_tls(rest);
            rest = &rest[taken..];
            let state = conn.process_new_packets()?;
            if rest.is_empty() {
                return Ok(state);
            }
            assert!(
                taken > 0,
                "feed_tls took nothing after its buffer was drained"
            );
        }
    }

    /// Moves what `from` has queued to its peer, after `tamper` has seen (and maybe
    /// changed) the bytes. Returns how many bytes were moved, or the peer's error.
    pub fn transfer_with(
        &mut self,
        from: Side,
        tamper: impl FnOnce(&mut Vec<u8>),
    ) -> Result<usize, Error> {
        let mut bytes = self.take(from);
        tamper(&mut bytes);
        self.deliver(from.peer(), &bytes)?;
        Ok(bytes.len())
    }

    pub fn transfer(&mut self, from: Side) -> Result<usize, Error> {
        self.transfer_with(from, |_| {})
    }

    pub fn transfer_client_to_server(&mut self) -> Result<usize, Error> {
        self.transfer(Side::Client)
    }

    pub fn transfer_server_to_client(&mut self) -> Result<usize, Error> {
        self.transfer(Side::Server)
    }

    fn idle(&self) -> bool {
        BOTH.iter().all(|s| {
            let c = self.conn_ref(*s);
            !c.is_handshaking() && !c.wants_write()
        })
    }

    /// Exchanges flights until both sides are done, one fails, or nothing moves.
    /// `tamper` sees every non-empty flight before its receiver does.
    pub fn drive(&mut self, mut tamper: impl FnMut(Flight, &mut Vec<u8>)) -> Outcome {
        let mut index = 0;
        for _ in 0..MAX_ROUNDS {
            if self.idle() {
                return Outcome::Done;
            }
            let mut moved = false;
            for from in BOTH {
                if !self.conn_ref(from).wants_write() {
                    continue;
                }
                moved = true;
                let flight = Flight { from, index };
                index += 1;
                if let Err(e) = self.transfer_with(from, |bytes| tamper(flight, bytes)) {
                    return Outcome::Failed(from.peer(), e);
                }
            }
            if !moved {
                return Outcome::Stalled;
            }
        }
        panic!("the handshake made no progress in {MAX_ROUNDS} rounds");
    }

    /// Runs the handshake to completion; the error names the side that failed.
    pub fn handshake(&mut self) -> Result<(), (Side, Error)> {
        match self.drive(|_, _| {}) {
            Outcome::Done => Ok(()),
            Outcome::Failed(side, e) => Err((side, e)),
            Outcome::Stalled => panic!("handshake stalled: neither side has anything to send"),
        }
    }

    /// Writes `data` on `from` and delivers the records to the peer.
    pub fn send(&mut self, from: Side, data: &[u8]) {
        self.conn(from).writer().write_all(data).expect("write");
        self.transfer(from).expect("peer accepts the records");
    }

    /// Every plaintext byte `side` has received, and whether the stream has ended
    /// (the reader returned Ok(0) after close_notify).
    pub fn read(&mut self, side: Side) -> (Vec<u8>, bool) {
        read_plaintext(self.conn(side))
    }

    /// Sends a distinct message each way and checks it arrives intact; also moves
    /// whatever each side queued in response (KeyUpdate answers).
    pub fn round_trip(&mut self) {
        for from in BOTH {
            let msg = format!("{from:?} says hello").into_bytes();
            self.send(from, &msg);
            self.transfer(from.peer()).expect("responses are accepted");
            assert_eq!(self.read(from.peer()).0, msg, "data from {from:?}");
        }
    }

    /// The negotiated suite, from whichever side knows it.
    pub fn suite(&self) -> &'static Tls13CipherSuite {
        BOTH.iter()
            .find_map(|s| self.conn_ref(*s).negotiated().suite)
            .expect("no cipher suite negotiated yet")
    }

    /// A record cipher for `side`'s `label` secret (e.g. "SERVER_HANDSHAKE_TRAFFIC_SECRET"),
    /// starting at sequence number 0.
    pub fn cipher(&self, side: Side, label: &str) -> RecordCipher {
        let secret = self
            .keys(side)
            .secret(label)
            .unwrap_or_else(|| panic!("{side:?} logged no {label}"));
        RecordCipher::new(self.suite(), &secret)
    }

    /// Decrypts the flight `bytes` sent by `from` under its `label` secret (the first
    /// protected record having sequence number 0), lets `edit` change the pieces, and
    /// writes them back: plaintext records as they were, protected ones re-encrypted
    /// in their new order with the same keys and sequence numbers 0, 1, ... This uses
    /// the library's own record protection, keyed from the key log.
    pub fn edit_sealed(
        &self,
        from: Side,
        label: &str,
        bytes: &mut Vec<u8>,
        edit: impl FnOnce(&mut Vec<Piece>),
    ) {
        let secret = self
            .keys(from)
            .secret(label)
            .unwrap_or_else(|| panic!("{from:?} logged no {label}"));
        let (key, iv) = record_key_iv(self.suite(), &secret);
        let aead = self.suite().aead;
        let mut pieces = open_flight(
            bytes,
            &mut Decrypter13::new(aead, &key, iv).expect("record key"),
        );
        edit(&mut pieces);
        *bytes = seal_flight(
            &pieces,
            &mut Encrypter13::new(aead, &key, iv).expect("record key"),
        );
    }

    /// Every secret `side` may have sent records under: handshake, application and
    /// a few KeyUpdate generations.
    pub fn sending_secrets(&self, side: Side) -> Vec<Vec<u8>> {
        let keys = self.keys(side);
        let prefix = side.label();
        let mut out: Vec<Vec<u8>> = keys
            .secret(&format!("{prefix}_HANDSHAKE_TRAFFIC_SECRET"))
            .into_iter()
            .collect();
        if let (Some(mut app), Some(suite)) = (
            keys.secret(&format!("{prefix}_TRAFFIC_SECRET_0")),
            self.conn_ref(side).negotiated().suite,
        ) {
            for _ in 0..=MAX_KEY_UPDATES {
                let next = next_traffic_secret(suite, &app);
                out.push(app);
                app = next;
            }
        }
        out
    }

    /// Takes what `side` queued and returns the last alert in it, decrypting with
    /// `side`'s captured secrets where needed.
    pub fn alert_sent_by(&mut self, side: Side) -> Option<AlertDescription> {
        let bytes = self.take(side);
        let secrets = self.sending_secrets(side);
        // The side's own suite: a tampered ServerHello can make the peers disagree.
        let suite = [side, side.peer()]
            .iter()
            .find_map(|s| self.conn_ref(*s).negotiated().suite);
        last_alert_sent(&bytes, suite.map(|s| (s, secrets.as_slice())))
    }
}

/// Reads every buffered plaintext byte; `true` if the reader reported end of stream.
pub fn read_plaintext(conn: &mut Connection) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match conn.reader().read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return (out, false),
            Err(e) => panic!("reading plaintext failed: {e}"),
        }
    }
}

/// What a test compares between two handshakes: everything but keys and randoms.
pub fn summary(n: &Negotiated) -> String {
    format!(
        "version={:?} suite={:?} group={:?} scheme={:?} alpn={:?} sni={:?} hrr={} certs={}",
        n.version,
        n.suite.map(|s| s.suite),
        n.group,
        n.signature_scheme,
        n.alpn,
        n.server_name,
        n.hello_retry,
        n.peer_certificates.len()
    )
}

/// The ferrotls error inside an `io::Error` from the plaintext reader or writer.
pub fn inner_error(e: &io::Error) -> &Error {
    e.get_ref()
        .and_then(|i| i.downcast_ref::<Error>())
        .unwrap_or_else(|| panic!("io error {e:?} does not carry a ferrotls::Error"))
}

// ---------------------------------------------------------------------------------
// Records and messages

/// A record of any type and version, header included: for building garbage.
pub fn raw_record(typ: u8, version: u16, payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len()).expect("record payload fits a u16 length");
    let mut out = vec![typ];
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// An unprotected record (version 0x0303).
pub fn plain_record(typ: ContentType, payload: &[u8]) -> Vec<u8> {
    raw_record(typ.to_wire(), ProtocolVersion::TLSv1_2.to_wire(), payload)
}

/// A KeyUpdate message (RFC 8446, 4.6.3), header included.
pub fn key_update(request: KeyUpdateRequest) -> Vec<u8> {
    HandshakeMessage::new(HandshakePayload::KeyUpdate(KeyUpdate(request))).to_bytes()
}

/// Lowercase hex of `bytes` (key log lines, messages that print keys).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of a hex string such as a key log field.
pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Removes the ClientHello's extension of type `typ`.
pub fn without(ch: &mut ClientHello, typ: ExtensionType) {
    ch.extensions.retain(|e| e.ext_type() != typ);
}

/// A handshake message in one unprotected record.
pub fn handshake_record(msg: &HandshakeMessage) -> Vec<u8> {
    plain_record(ContentType::Handshake, &msg.to_bytes())
}

/// An unprotected alert record.
pub fn alert_record(level: AlertLevel, description: AlertDescription) -> Vec<u8> {
    plain_record(
        ContentType::Alert,
        &[level.to_wire(), description.to_wire()],
    )
}

/// Splits well-formed bytes into records; the longest prefix of whole records and
/// what is left over.
pub fn split_records_lenient(bytes: &[u8]) -> (Vec<OpaqueRecord>, &[u8]) {
    let mut out = Vec::new();
    let mut rest = bytes;
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        let Some(payload) = rest.get(5..5 + len) else {
            break;
        };
        out.push(OpaqueRecord {
            typ: ContentType::from_wire(rest[0]),
            version: ProtocolVersion::from_wire(u16::from_be_bytes([rest[1], rest[2]])),
            payload: payload.to_vec(),
        });
        rest = &rest[5 + len..];
    }
    (out, rest)
}

/// Splits bytes that must be whole records (what a connection wrote).
pub fn split_records(bytes: &[u8]) -> Vec<OpaqueRecord> {
    let (records, rest) = split_records_lenient(bytes);
    assert!(
        rest.is_empty(),
        "{} bytes after the last whole record",
        rest.len()
    );
    records
}

pub fn join_records(records: &[OpaqueRecord]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in records {
        r.encode(&mut out);
    }
    out
}

/// The handshake message in an unprotected flight's first record (e.g. the ClientHello).
pub fn first_message(flight: &[u8]) -> HandshakeMessage {
    let records = split_records(flight);
    let first = records.first().expect("an empty flight");
    assert_eq!(first.typ, ContentType::Handshake);
    HandshakeMessage::read_tls13(&first.payload).expect("a well-formed message")
}

/// The ClientHello a fresh client sends, taken from its queue.
pub fn client_hello_of(client: &mut ClientConnection) -> (Vec<u8>, ferrotls::msgs::ClientHello) {
    let flight = client.take_tls();
    match first_message(&flight).payload {
        HandshakePayload::ClientHello(ch) => (flight, ch),
        other => panic!("expected a ClientHello, got {other:?}"),
    }
}

/// A ServerHello (or, with `HELLO_RETRY_REQUEST_RANDOM`, a HelloRetryRequest)
/// answering `session_id`.
pub fn server_hello(
    random: [u8; 32],
    session_id: &[u8],
    suite: CipherSuite,
    extensions: Vec<ServerExtension>,
) -> HandshakeMessage {
    HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        session_id: session_id.to_vec(),
        cipher_suite: suite,
        compression_method: 0,
        extensions,
        empty_extensions_block: false,
    }))
}

// ---------------------------------------------------------------------------------
// Record protection, reimplemented from the key log (RFC 8446, 5.2-5.4 and 7.3)

/// HKDF-Expand-Label(secret, "traffic upd", "", Hash.length) (RFC 8446, 7.2).
pub fn next_traffic_secret(suite: &Tls13CipherSuite, secret: &[u8]) -> Vec<u8> {
    let len = suite.hash.output_len();
    hkdf_expand_label(suite.hash, secret, b"traffic upd", &[], len)
        .as_bytes()
        .to_vec()
}

/// The record key and IV of a traffic secret (RFC 8446, 7.3).
pub fn record_key_iv(suite: &Tls13CipherSuite, secret: &[u8]) -> (Vec<u8>, [u8; NONCE_LEN]) {
    let key = hkdf_expand_label(suite.hash, secret, b"key", &[], suite.aead.key_len());
    let iv = hkdf_expand_label(suite.hash, secret, b"iv", &[], NONCE_LEN);
    let iv = iv.as_bytes().try_into().expect("a 12-byte IV");
    (key.as_bytes().to_vec(), iv)
}

/// One direction's record protection, derived from a logged traffic secret: an
/// independent implementation of RFC 8446, 5.2-5.4 that can also do what the
/// library refuses to (oversized records, any sequence number).
pub struct RecordCipher {
    key: AeadKey,
    iv: [u8; NONCE_LEN],
    /// The sequence number of the next record sealed or opened.
    pub seq: u64,
}

impl RecordCipher {
    pub fn new(suite: &Tls13CipherSuite, secret: &[u8]) -> Self {
        let (key, iv) = record_key_iv(suite, secret);
        RecordCipher {
            key: AeadKey::new(suite.aead, &key).expect("record key"),
            iv,
            seq: 0,
        }
    }

    /// RFC 8446, 5.3: the IV XORed with the left-padded sequence number.
    fn nonce(&self, seq: u64) -> [u8; NONCE_LEN] {
        let mut nonce = self.iv;
        for (n, s) in nonce[NONCE_LEN - 8..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }

    /// Seals `content` of type `typ` followed by `padding` zero bytes.
    pub fn seal_padded(
        &mut self,
        typ: ContentType,
        content: &[u8],
        padding: usize,
    ) -> OpaqueRecord {
        let mut inner = content.to_vec();
        inner.push(typ.to_wire());
        inner.resize(inner.len() + padding, 0);
        let len = u16::try_from(inner.len() + TAG_LEN).expect("record fits a u16 length");
        let aad = [23, 3, 3, (len >> 8) as u8, len as u8];
        self.key
            .seal_in_place_append_tag(self.nonce(self.seq), &aad, &mut inner)
            .expect("seal");
        self.seq += 1;
        OpaqueRecord {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload: inner,
        }
    }

    pub fn seal(&mut self, typ: ContentType, content: &[u8]) -> OpaqueRecord {
        self.seal_padded(typ, content, 0)
    }

    /// `seal` in wire form.
    pub fn seal_bytes(&mut self, typ: ContentType, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.seal(typ, content).encode(&mut out);
        out
    }

    /// Opens `record` as if it had sequence number `seq`: its real type and content.
    pub fn open_at(&self, record: &OpaqueRecord, seq: u64) -> Option<(ContentType, Vec<u8>)> {
        let len = u16::try_from(record.payload.len()).ok()?;
        let [vh, vl] = record.version.to_wire().to_be_bytes();
        let aad = [record.typ.to_wire(), vh, vl, (len >> 8) as u8, len as u8];
        let mut buf = record.payload.clone();
        let plain = self.key.open_in_place(self.nonce(seq), &aad, &mut buf)?;
        let end = plain.iter().rposition(|b| *b != 0)?;
        Some((ContentType::from_wire(plain[end]), plain[..end].to_vec()))
    }

    /// Opens the next record in sequence.
    pub fn open(&mut self, record: &OpaqueRecord) -> Option<(ContentType, Vec<u8>)> {
        let out = self.open_at(record, self.seq)?;
        self.seq += 1;
        Some(out)
    }
}

/// One record of a flight after [`open_flight`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// An unprotected record, kept as it was.
    Plain(OpaqueRecord),
    /// A protected record's real type and content.
    Sealed { typ: ContentType, content: Vec<u8> },
}

impl Piece {
    /// The handshake message type of a protected handshake record.
    pub fn handshake_type(&self) -> Option<HandshakeType> {
        match self {
            Piece::Sealed {
                typ: ContentType::Handshake,
                content,
            } => content.first().map(|t| HandshakeType::from_wire(*t)),
            _ => None,
        }
    }
}

/// Decrypts every application_data record of `bytes` in order with `decrypter`. A
/// protected record carrying several whole handshake messages (a flight sent in one
/// record) becomes one piece per message.
pub fn open_flight(bytes: &[u8], decrypter: &mut Decrypter13) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for r in split_records(bytes) {
        match r.typ {
            ContentType::ApplicationData => {
                let plain = decrypter
                    .decrypt(r)
                    .expect("a record of this flight failed to open");
                match (plain.typ, split_messages(&plain.payload)) {
                    (ContentType::Handshake, Some(messages)) => {
                        pieces.extend(messages.into_iter().map(|content| Piece::Sealed {
                            typ: ContentType::Handshake,
                            content,
                        }))
                    }
                    _ => pieces.push(Piece::Sealed {
                        typ: plain.typ,
                        content: plain.payload,
                    }),
                }
            }
            _ => pieces.push(Piece::Plain(r)),
        }
    }
    pieces
}

/// Whole handshake messages back to back (type, 24-bit length, body), or `None`
/// if `bytes` is not exactly that.
fn split_messages(mut bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let header = bytes.get(..4)?;
        let len =
            usize::from(header[1]) << 16 | usize::from(header[2]) << 8 | usize::from(header[3]);
        let (message, rest) = bytes.split_at_checked(4 + len)?;
        out.push(message.to_vec());
        bytes = rest;
    }
    Some(out)
}

/// The inverse of [`open_flight`].
pub fn seal_flight(pieces: &[Piece], encrypter: &mut Encrypter13) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in pieces {
        match piece {
            Piece::Plain(r) => r.encode(&mut out),
            Piece::Sealed { typ, content } => {
                encrypter.encrypt(*typ, content, 0, &mut out).expect("seal")
            }
        }
    }
    out
}

/// The content of the protected handshake record holding a message of type `typ`.
pub fn sealed_message(pieces: &mut [Piece], typ: HandshakeType) -> &mut Vec<u8> {
    pieces
        .iter_mut()
        .find(|p| p.handshake_type() == Some(typ))
        .and_then(|p| match p {
            Piece::Sealed { content, .. } => Some(content),
            Piece::Plain(_) => None,
        })
        .unwrap_or_else(|| panic!("no protected {typ} record in the flight"))
}

/// The last alert in `bytes`: unprotected alert records are read directly; protected
/// records are tried with each of `keys`' secrets at sequence numbers 0.. (only the
/// right key and sequence number authenticate).
pub fn last_alert_sent(
    bytes: &[u8],
    keys: Option<(&Tls13CipherSuite, &[Vec<u8>])>,
) -> Option<AlertDescription> {
    let ciphers: Vec<RecordCipher> = keys
        .map(|(suite, secrets)| {
            secrets
                .iter()
                .map(|s| RecordCipher::new(suite, s))
                .collect()
        })
        .unwrap_or_default();
    let decode = |payload: &[u8]| AlertMessage::decode(payload).ok().map(|a| a.description);
    let (records, _) = split_records_lenient(bytes);
    records.iter().rev().find_map(|r| match r.typ {
        ContentType::Alert => decode(&r.payload),
        ContentType::ApplicationData if r.payload.len() <= MAX_SEALED_ALERT_LEN => {
            ciphers.iter().find_map(|c| {
                (0..MAX_SEQ_PROBE).find_map(|seq| match c.open_at(r, seq)? {
                    (ContentType::Alert, content) => decode(&content),
                    _ => None,
                })
            })
        }
        _ => None,
    })
}

/// The suite implementation for a wire value.
pub fn suite(s: CipherSuite) -> &'static Tls13CipherSuite {
    suites::find(s).expect("an implemented suite")
}

// ---------------------------------------------------------------------------------
// TLS 1.2: record keys from the key log (RFC 5246, 6.3), record protection at any
// sequence number (an independent implementation of RFC 5246 6.2.3, RFC 5288,
// RFC 7905 and RFC 7366), and a man in the middle that repairs transcripts.

/// What a TLS 1.2 ServerHello said, read from the server's first flight.
#[derive(Clone, Debug)]
pub struct Hello12 {
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub suite: &'static Tls12CipherSuite,
    pub extensions: Vec<ServerExtension>,
}

impl Hello12 {
    /// Reads the ServerHello at the start of `flight` (the server's first flight).
    pub fn of(flight: &[u8]) -> Hello12 {
        match first_message(flight).payload {
            HandshakePayload::ServerHello(sh) => Hello12 {
                random: sh.random,
                session_id: sh.session_id.clone(),
                suite: suites12::find(sh.cipher_suite)
                    .unwrap_or_else(|| panic!("{} is not a TLS 1.2 suite", sh.cipher_suite)),
                extensions: sh.extensions,
            },
            other => panic!("expected a ServerHello, got {other:?}"),
        }
    }

    pub fn has(&self, typ: ExtensionType) -> bool {
        self.extensions.iter().any(|e| e.ext_type() == typ)
    }

    /// Whether records are encrypt-then-MAC (RFC 7366: CBC suites only).
    pub fn etm(&self) -> bool {
        self.has(ExtensionType::EncryptThenMac) && matches!(self.suite.bulk, Bulk::Cbc { .. })
    }
}

/// A corruption [`Keys12::seal_faulty`] builds into a CBC record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CbcFault {
    None,
    /// The padding bytes disagree with the padding length byte; the MAC is right.
    BadPadding,
    /// The padding is right; the MAC is not.
    BadMac,
}

/// One TLS 1.2 connection's record keys, from the master secret in the key log.
#[derive(Clone, Debug)]
pub struct Keys12 {
    pub suite: &'static Tls12CipherSuite,
    pub master: Vec<u8>,
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    pub etm: bool,
    /// key_block = PRF(master, "key expansion", server_random + client_random).
    pub block: Vec<u8>,
}

impl Keys12 {
    pub fn new(
        suite: &'static Tls12CipherSuite,
        master: &[u8],
        client_random: [u8; 32],
        server_random: [u8; 32],
        etm: bool,
    ) -> Keys12 {
        let len = suite.key_block_layout().total_len();
        let block = prf::key_block(suite.hash, master, &server_random, &client_random, len);
        Keys12 {
            suite,
            master: master.to_vec(),
            client_random,
            server_random,
            etm,
            block: block.as_bytes().to_vec(),
        }
    }

    /// From `log`'s last CLIENT_RANDOM line and the ServerHello.
    pub fn from_log(log: &KeyCapture, hello: &Hello12) -> Keys12 {
        let entries = lock(&log.entries);
        let e = entries
            .iter()
            .rev()
            .find(|e| e.label == "CLIENT_RANDOM")
            .expect("no CLIENT_RANDOM line in the key log");
        let client_random: [u8; 32] = e.client_random.as_slice().try_into().expect("32 bytes");
        Keys12::new(
            hello.suite,
            &e.secret,
            client_random,
            hello.random,
            hello.etm(),
        )
    }

    /// The library's record protection for what `side` sends, at sequence `seq`
    /// (built with `new_pair_from_key_block`, advanced by sealing throwaway records).
    pub fn encrypter(&self, side: Side, seq: u64) -> Encrypter12 {
        let (mut enc, _) =
            new_pair_from_key_block(self.suite, &self.block, side == Side::Client, self.etm)
                .expect("key block");
        let mut sink = Vec::new();
        for _ in 0..seq {
            enc.encrypt(ContentType::ApplicationData, b"", &mut sink)
                .expect("seal");
            sink.clear();
        }
        enc
    }

    /// The library's decrypter for records `side` sends, from sequence 0.
    pub fn decrypter(&self, side: Side) -> Decrypter12 {
        let (_, dec) =
            new_pair_from_key_block(self.suite, &self.block, side == Side::Server, self.etm)
                .expect("key block");
        dec
    }

    /// (mac key, encryption key, fixed IV) of `side`'s sending direction.
    fn parts(&self, side: Side) -> (&[u8], &[u8], &[u8]) {
        let l = self.suite.key_block_layout();
        let i = usize::from(side == Side::Server);
        let mac = &self.block[i * l.mac_key_len..][..l.mac_key_len];
        let key = &self.block[2 * l.mac_key_len + i * l.enc_key_len..][..l.enc_key_len];
        let iv = &self.block[2 * (l.mac_key_len + l.enc_key_len) + i * l.fixed_iv_len..]
            [..l.fixed_iv_len];
        (mac, key, iv)
    }

    fn ad(seq: u64, typ: ContentType, len: usize) -> Vec<u8> {
        let mut ad = seq.to_be_bytes().to_vec();
        ad.push(typ.to_wire());
        ad.extend_from_slice(&ProtocolVersion::TLSv1_2.to_wire().to_be_bytes());
        ad.extend_from_slice(&u16::try_from(len).expect("fits").to_be_bytes());
        ad
    }

    fn nonce(&self, side: Side, seq: u64, explicit: Option<&[u8]>) -> [u8; NONCE_LEN] {
        let (_, _, iv) = self.parts(side);
        let mut nonce = [0u8; NONCE_LEN];
        match explicit {
            // RFC 5288, 3: salt || explicit nonce.
            Some(e) => {
                nonce[..4].copy_from_slice(iv);
                nonce[4..].copy_from_slice(e);
            }
            // RFC 7905, 2: IV XOR the sequence number.
            None => {
                nonce.copy_from_slice(iv);
                for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
                    *n ^= s;
                }
            }
        }
        nonce
    }

    /// Seals `content` as a record of type `typ` from `side` with sequence `seq`.
    pub fn seal_at(&self, side: Side, seq: u64, typ: ContentType, content: &[u8]) -> Vec<u8> {
        self.seal_faulty(side, seq, typ, content, CbcFault::None)
    }

    /// Like [`Keys12::seal_at`], with a CBC record corrupted as `fault` says.
    pub fn seal_faulty(
        &self,
        side: Side,
        seq: u64,
        typ: ContentType,
        content: &[u8],
        fault: CbcFault,
    ) -> Vec<u8> {
        let (mac_key, key, _) = self.parts(side);
        let payload = match self.suite.bulk {
            Bulk::Aead(alg) => {
                assert_eq!(fault, CbcFault::None, "faults are for CBC suites");
                let aead = AeadKey::new(alg, key).expect("key");
                let ad = Self::ad(seq, typ, content.len());
                let mut body = content.to_vec();
                if alg == AeadAlgorithm::ChaCha20Poly1305 {
                    aead.seal_in_place_append_tag(self.nonce(side, seq, None), &ad, &mut body)
                        .expect("seal");
                    body
                } else {
                    let explicit = seq.to_be_bytes();
                    aead.seal_in_place_append_tag(
                        self.nonce(side, seq, Some(&explicit)),
                        &ad,
                        &mut body,
                    )
                    .expect("seal");
                    [explicit.to_vec(), body].concat()
                }
            }
            Bulk::Cbc { mac, .. } => {
                let mac = MacKey::new(mac, mac_key);
                let cbc = CbcKey::new(key).expect("key");
                let iv = [0x5a_u8; AES_BLOCK_LEN];
                let mut body = content.to_vec();
                if !self.etm {
                    let mut tag = mac
                        .sign(&[&Self::ad(seq, typ, content.len()), content])
                        .as_ref()
                        .to_vec();
                    if fault == CbcFault::BadMac {
                        tag[0] ^= 1;
                    }
                    body.extend_from_slice(&tag);
                }
                // Two bytes of padding beyond the minimum, so there is a padding byte
                // to corrupt besides the length byte.
                let pad = (AES_BLOCK_LEN - 1 - body.len() % AES_BLOCK_LEN) + AES_BLOCK_LEN;
                let start = body.len();
                body.resize(start + pad + 1, pad as u8);
                if fault == CbcFault::BadPadding {
                    body[start] ^= 0x01;
                }
                cbc.encrypt(iv, &mut body).expect("whole blocks");
                let mut out = [iv.to_vec(), body].concat();
                if self.etm {
                    let mut tag = mac
                        .sign(&[&Self::ad(seq, typ, out.len()), &out])
                        .as_ref()
                        .to_vec();
                    if fault == CbcFault::BadMac {
                        tag[0] ^= 1;
                    }
                    out.extend_from_slice(&tag);
                }
                out
            }
        };
        raw_record(typ.to_wire(), ProtocolVersion::TLSv1_2.to_wire(), &payload)
    }

    /// Opens `record`, sent by `side`, as if it had sequence number `seq`.
    pub fn open_at(&self, side: Side, record: &OpaqueRecord, seq: u64) -> Option<Vec<u8>> {
        let (mac_key, key, _) = self.parts(side);
        let typ = record.typ;
        let p = &record.payload;
        match self.suite.bulk {
            Bulk::Aead(alg) => {
                let aead = AeadKey::new(alg, key).ok()?;
                if alg == AeadAlgorithm::ChaCha20Poly1305 {
                    let ad = Self::ad(seq, typ, p.len().checked_sub(TAG_LEN)?);
                    let mut buf = p.clone();
                    let plain = aead.open_in_place(self.nonce(side, seq, None), &ad, &mut buf)?;
                    Some(plain.to_vec())
                } else {
                    let ad = Self::ad(seq, typ, p.len().checked_sub(8 + TAG_LEN)?);
                    let nonce = self.nonce(side, seq, Some(&p[..8]));
                    let mut buf = p[8..].to_vec();
                    let plain = aead.open_in_place(nonce, &ad, &mut buf)?;
                    Some(plain.to_vec())
                }
            }
            Bulk::Cbc { mac, .. } => {
                let mac_len = mac.output_len();
                let mac = MacKey::new(mac, mac_key);
                let cbc = CbcKey::new(key).ok()?;
                let unpad = |body: &[u8]| -> Option<usize> {
                    let pad = usize::from(*body.last()?);
                    let start = body.len().checked_sub(pad + 1)?;
                    body[start..]
                        .iter()
                        .all(|b| usize::from(*b) == pad)
                        .then_some(start)
                };
                if self.etm {
                    let macced = p.len().checked_sub(mac_len)?;
                    if macced < 2 * AES_BLOCK_LEN || macced % AES_BLOCK_LEN != 0 {
                        return None;
                    }
                    let (data, tag) = p.split_at(macced);
                    if !mac.verify(&[&Self::ad(seq, typ, macced), data], tag) {
                        return None;
                    }
                    let iv: [u8; AES_BLOCK_LEN] = data[..AES_BLOCK_LEN].try_into().ok()?;
                    let mut body = data[AES_BLOCK_LEN..].to_vec();
                    cbc.decrypt(iv, &mut body).ok()?;
                    let end = unpad(&body)?;
                    body.truncate(end);
                    Some(body)
                } else {
                    if p.len() < 2 * AES_BLOCK_LEN || !p.len().is_multiple_of(AES_BLOCK_LEN) {
                        return None;
                    }
                    let iv: [u8; AES_BLOCK_LEN] = p[..AES_BLOCK_LEN].try_into().ok()?;
                    let mut body = p[AES_BLOCK_LEN..].to_vec();
                    cbc.decrypt(iv, &mut body).ok()?;
                    let end = unpad(&body)?;
                    let data_len = end.checked_sub(mac_len)?;
                    let (data, tag) = body[..end].split_at(data_len);
                    mac.verify(&[&Self::ad(seq, typ, data_len), data], tag)
                        .then(|| data.to_vec())
                }
            }
        }
    }

    /// Every alert (level, description) in `bytes` sent by `side`: unprotected ones
    /// read directly, protected ones opened at sequence numbers 0.. .
    pub fn alerts_in(keys: Option<&Keys12>, side: Side, bytes: &[u8]) -> Vec<AlertMessage> {
        let (records, _) = split_records_lenient(bytes);
        records
            .iter()
            .filter(|r| r.typ == ContentType::Alert)
            .filter_map(|r| {
                let plain = if r.payload.len() == 2 {
                    r.payload.clone()
                } else {
                    let k = keys?;
                    (0..MAX_SEQ_PROBE).find_map(|seq| k.open_at(side, r, seq))?
                };
                AlertMessage::decode(&plain).ok()
            })
            .collect()
    }

    /// verify_data of a Finished over `transcript` (RFC 5246, 7.4.9), as a message.
    pub fn finished(&self, label: &[u8], transcript: &[u8]) -> Vec<u8> {
        let mut h = HashContext::new(self.suite.hash);
        h.update(transcript);
        let vd = prf::verify_data(self.suite.hash, &self.master, label, h.current().as_ref());
        let mut msg = vec![HandshakeType::Finished.to_wire(), 0, 0, 12];
        msg.extend_from_slice(vd.as_bytes());
        msg
    }
}

/// The last alert `side` queued (taking its bytes), decrypted with `keys` if needed.
pub fn alert12_sent_by(p: &mut Pair, side: Side, keys: Option<&Keys12>) -> Option<AlertMessage> {
    let bytes = p.take(side);
    Keys12::alerts_in(keys, side, &bytes).pop()
}

/// The concatenated unprotected handshake records of `records` before the first
/// change_cipher_spec, and the index of the first record after it.
fn plain_handshake_before_ccs(records: &[OpaqueRecord]) -> (Vec<u8>, usize) {
    let ccs = records
        .iter()
        .position(|r| r.typ == ContentType::ChangeCipherSpec)
        .expect("a change_cipher_spec in the flight");
    let hs = records[..ccs]
        .iter()
        .filter(|r| r.typ == ContentType::Handshake)
        .flat_map(|r| r.payload.clone())
        .collect();
    (hs, ccs + 1)
}

impl Pair {
    /// Moves the client's first flight to the server after `edit` changed its
    /// ClientHello (re-encoded, in one record). Returns the (original, edited)
    /// ClientHello messages, or the server's error.
    pub fn send_edited_client_hello(
        &mut self,
        edit: impl FnOnce(&mut ClientHello),
    ) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let flight = self.take(Side::Client);
        let mut records = split_records(&flight);
        let original = records[0].payload.clone();
        let mut ch = match HandshakeMessage::read_tls13(&original)
            .expect("ClientHello")
            .payload
        {
            HandshakePayload::ClientHello(ch) => ch,
            other => panic!("expected a ClientHello, got {other:?}"),
        };
        edit(&mut ch);
        let edited = HandshakeMessage::new(HandshakePayload::ClientHello(ch)).to_bytes();
        records[0].payload = edited.clone();
        self.deliver(Side::Server, &join_records(&records))?;
        Ok((original, edited))
    }

    /// A TLS 1.2 full handshake through a man in the middle who changes the
    /// ClientHello and, knowing the master secret from the key log, rewrites both
    /// Finished messages so that each side sees a transcript that agrees with its
    /// own. Only possible without the extended master secret (RFC 7627): with it the
    /// sides derive different master secrets. Returns the session's keys.
    pub fn handshake12_through_mitm(
        &mut self,
        edit: impl FnOnce(&mut ClientHello),
    ) -> Result<Keys12, (Side, Error)> {
        let fail = |side: Side| move |e: Error| (side, e);
        let (ch_client, ch_server) = self
            .send_edited_client_hello(edit)
            .map_err(fail(Side::Server))?;
        let flight1 = self.take(Side::Server);
        let hello = Hello12::of(&flight1);
        let hs1: Vec<u8> = split_records(&flight1)
            .iter()
            .flat_map(|r| r.payload.clone())
            .collect();
        self.deliver(Side::Client, &flight1)
            .map_err(fail(Side::Client))?;

        // Client: [CKE], CCS, Finished.
        let flight2 = self.take(Side::Client);
        let keys = Keys12::from_log(&self.client_keys, &hello);
        let mut records = split_records(&flight2);
        let (hs2, fin_at) = plain_handshake_before_ccs(&records);
        let fin_client = keys
            .open_at(Side::Client, &records[fin_at], 0)
            .expect("the client's Finished opens with the logged keys");
        let head = [ch_client.as_slice(), &hs1, &hs2].concat();
        assert_eq!(
            fin_client,
            keys.finished(prf::CLIENT_FINISHED, &head),
            "the client's Finished over its own transcript"
        );
        let fin_for_server = keys.finished(
            prf::CLIENT_FINISHED,
            &[ch_server.as_slice(), &hs1, &hs2].concat(),
        );
        let sealed = keys.seal_at(Side::Client, 0, ContentType::Handshake, &fin_for_server);
        records[fin_at] = split_records(&sealed).remove(0);
        self.deliver(Side::Server, &join_records(&records))
            .map_err(fail(Side::Server))?;

        // Server: [NewSessionTicket], CCS, Finished.
        let flight3 = self.take(Side::Server);
        let mut records = split_records(&flight3);
        let (hs3, fin_at) = plain_handshake_before_ccs(&records);
        let fin_for_client = keys.finished(
            prf::SERVER_FINISHED,
            &[ch_client.as_slice(), &hs1, &hs2, &fin_client, &hs3].concat(),
        );
        let sealed = keys.seal_at(Side::Server, 0, ContentType::Handshake, &fin_for_client);
        records[fin_at] = split_records(&sealed).remove(0);
        self.deliver(Side::Client, &join_records(&records))
            .map_err(fail(Side::Client))?;
        assert!(
            !self.client.is_handshaking() && !self.server.is_handshaking(),
            "both sides finished"
        );
        Ok(keys)
    }
}

impl Pair {
    /// A TLS 1.2 abbreviated handshake (resumption) through the man in the middle
    /// of `handshake12_through_mitm`: he changes the ClientHello and rewrites both
    /// Finished messages with the resumed master secret from the client's key log.
    /// Returns the session's keys.
    pub fn resume12_through_mitm(
        &mut self,
        edit: impl FnOnce(&mut ClientHello),
    ) -> Result<Keys12, (Side, Error)> {
        let fail = |side: Side| move |e: Error| (side, e);
        let (ch_client, ch_server) = self
            .send_edited_client_hello(edit)
            .map_err(fail(Side::Server))?;
        // Server: ServerHello, [NewSessionTicket], CCS, Finished.
        let flight1 = self.take(Side::Server);
        let hello = Hello12::of(&flight1);
        let mut records = split_records(&flight1);
        let (hs1, fin_at) = plain_handshake_before_ccs(&records);
        let keys = Keys12::from_log(&self.server_keys, &hello);
        let fin_server = keys
            .open_at(Side::Server, &records[fin_at], 0)
            .expect("the server's Finished opens with the logged keys");
        assert_eq!(
            fin_server,
            keys.finished(prf::SERVER_FINISHED, &[ch_server.as_slice(), &hs1].concat()),
            "the server's Finished over its own transcript"
        );
        let fin_for_client =
            keys.finished(prf::SERVER_FINISHED, &[ch_client.as_slice(), &hs1].concat());
        let sealed = keys.seal_at(Side::Server, 0, ContentType::Handshake, &fin_for_client);
        records[fin_at] = split_records(&sealed).remove(0);
        self.deliver(Side::Client, &join_records(&records))
            .map_err(fail(Side::Client))?;

        // Client: CCS, Finished.
        let flight2 = self.take(Side::Client);
        let mut records = split_records(&flight2);
        let (_, fin_at) = plain_handshake_before_ccs(&records);
        let fin_for_server = keys.finished(
            prf::CLIENT_FINISHED,
            &[ch_server.as_slice(), &hs1, &fin_server].concat(),
        );
        let sealed = keys.seal_at(Side::Client, 0, ContentType::Handshake, &fin_for_server);
        records[fin_at] = split_records(&sealed).remove(0);
        self.deliver(Side::Server, &join_records(&records))
            .map_err(fail(Side::Server))?;
        assert!(
            !self.client.is_handshaking() && !self.server.is_handshaking(),
            "both sides finished"
        );
        Ok(keys)
    }

    /// A pair from finished configurations (shared across connections, e.g. for
    /// resumption); the key captures are the ones the configurations log to.
    pub fn from_configs(
        client: &Arc<ClientConfig>,
        server: &Arc<ServerConfig>,
        client_keys: &Arc<KeyCapture>,
        server_keys: &Arc<KeyCapture>,
    ) -> Pair {
        let name = ServerName::try_from(SERVER_NAME.to_string()).expect("server name");
        Pair {
            client: ClientConnection::new(client.clone(), name).expect("client connection"),
            server: ServerConnection::new(server.clone()).expect("server connection"),
            client_keys: client_keys.clone(),
            server_keys: server_keys.clone(),
        }
    }

    /// Runs the handshake and returns the TLS 1.2 ServerHello seen on the way.
    pub fn handshake12(&mut self) -> Result<Hello12, (Side, Error)> {
        let mut hello = None;
        let outcome = self.drive(|f, bytes| {
            if f.from == Side::Server && hello.is_none() {
                hello = Some(Hello12::of(bytes));
            }
        });
        match outcome {
            Outcome::Done => Ok(hello.expect("the server sent a ServerHello")),
            Outcome::Failed(side, e) => Err((side, e)),
            Outcome::Stalled => panic!("handshake stalled: neither side has anything to send"),
        }
    }
}

/// Rewrites the ServerHello at the start of a server flight (one record) with `edit`.
pub fn edit_server_hello(flight: &mut Vec<u8>, edit: impl FnOnce(&mut ServerHello)) {
    let mut records = split_records(flight);
    let mut sh = match HandshakeMessage::read_tls13(&records[0].payload)
        .expect("ServerHello")
        .payload
    {
        HandshakePayload::ServerHello(sh) => sh,
        other => panic!("expected a ServerHello, got {other:?}"),
    };
    edit(&mut sh);
    records[0].payload = HandshakeMessage::new(HandshakePayload::ServerHello(sh)).to_bytes();
    *flight = join_records(&records);
}

/// Rewrites the first unprotected handshake record of type `typ` in `flight`.
pub fn edit_plain_message(
    flight: &mut Vec<u8>,
    typ: HandshakeType,
    edit: impl FnOnce(&mut Vec<u8>),
) {
    let mut records = split_records(flight);
    let r = records
        .iter_mut()
        .find(|r| r.typ == ContentType::Handshake && r.payload.first() == Some(&typ.to_wire()))
        .unwrap_or_else(|| panic!("no unprotected {typ} record in the flight"));
    edit(&mut r.payload);
    *flight = join_records(&records);
}

/// Configurations shared by the connections of one test, with the keys they log and
/// what the server observes.
pub struct Shared {
    pub client: Arc<ClientConfig>,
    pub server: Arc<ServerConfig>,
    pub client_keys: Arc<KeyCapture>,
    pub server_keys: Arc<KeyCapture>,
    pub recorder: Arc<Recorder>,
}

impl Shared {
    pub fn new(client: ClientConfigBuilder, server: ServerConfigBuilder) -> Shared {
        let client_keys = Arc::new(KeyCapture::default());
        let server_keys = Arc::new(KeyCapture::default());
        let recorder = Arc::new(Recorder::default());
        Shared {
            client: client
                .key_log(client_keys.clone())
                .build()
                .expect("client config"),
            server: server
                .key_log(server_keys.clone())
                .observer(recorder.clone())
                .build()
                .expect("server config"),
            client_keys,
            server_keys,
            recorder,
        }
    }

    /// A new connection pair from these configurations.
    pub fn connect(&self) -> Pair {
        Pair::from_configs(
            &self.client,
            &self.server,
            &self.client_keys,
            &self.server_keys,
        )
    }
}
