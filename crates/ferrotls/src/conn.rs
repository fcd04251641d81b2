//! The connection core: bytes in, bytes out, plaintext in between.
//!
//! ```text
//! feed_tls/read_tls -> Deframer -> Decrypter13 -> HandshakeJoiner -> msgs decode
//!                   -> state machine (tls13::client / tls13::server)
//!                      Decrypter13 -> application data -> plaintext buffer -> reader()
//! writer()/states   -> Encrypter13 -> send buffer -> write_tls/pending_tls
//! ```
//!
//! Bulk data is not copied on its way through: records are sealed straight from the
//! caller's plaintext into the send buffer, and opened straight from the received
//! bytes into the plaintext buffer (after the handshake, `feed_tls` decrypts whole
//! application-data records from the caller's slice without buffering them first).
//!
//! After the first fatal error the connection stays failed: every later call returns
//! that same error.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::codec::{Codec, Reader};
use crate::error::{ApiError, Error, RecordError};
use crate::exporter::ExporterSecret;
use crate::msgs::alert::AlertMessage;
use crate::msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, HandshakeType, KeyUpdateRequest,
    NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::{HandshakeMessage, HandshakeMessage12, HandshakePayload, KeyUpdate};
use crate::observe::{Direction, Event, KeyLog, Observer, Protection};
use crate::record::buffers::{PlaintextBuffer, SendBuffer};
use crate::record::deframer::{Deframer, OpaqueRecord};
use crate::record::joiner::HandshakeJoiner;
use crate::record::protect::{Decrypter13, Encrypter13};
use crate::record::Opened;
use crate::record::{RecordDecrypter, RecordEncrypter};
use crate::tls12::suites::Tls12CipherSuite;
use crate::tls13::key_schedule::TrafficSecret;
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::Transcript;

/// RFC 8446, 5.1: the most plaintext one record may carry.
pub const MAX_FRAGMENT_LEN: usize = 1 << 14;
/// How much application data may be buffered before the handshake completes.
const MAX_EARLY_PLAINTEXT: usize = 64 * 1024;
/// How many empty application-data records or CCS records we tolerate in a row.
const MAX_EMPTY_RECORDS: usize = 32;
/// `feed_tls` decrypts application data straight from the caller's bytes until this
/// much plaintext waits to be read (then it buffers at most one record, as before).
/// Small enough that the plaintext is still in cache when the reader copies it out.
const DECRYPT_AHEAD_LIMIT: usize = 32 * 1024;

#[derive(Debug)]
pub(crate) enum HandshakeState {
    Client(crate::tls13::client::ClientState),
    Server(crate::tls13::server::ServerState),
}

impl HandshakeState {
    fn name(&self) -> &'static str {
        match self {
            HandshakeState::Client(s) => s.name(),
            HandshakeState::Server(s) => s.name(),
        }
    }

    /// Whether a handshake message of type `typ` could be handled now; `false` only
    /// where it certainly could not (then a malformed body is unexpected_message,
    /// not decode_error: the type alone is wrong, RFC 8446, 6.2).
    fn expects(&self, typ: HandshakeType) -> bool {
        match self {
            HandshakeState::Client(s) => s.expects(typ),
            HandshakeState::Server(s) => s.expects(typ),
        }
    }

    /// Whether the peer is in the middle of a post-handshake authentication response,
    /// whose messages must follow each other with nothing between (RFC 8446, 4.6.2).
    fn in_post_handshake_response(&self) -> bool {
        match self {
            HandshakeState::Client(_) => false,
            HandshakeState::Server(s) => s.in_post_handshake_response(),
        }
    }

    fn handle(self, common: &mut CommonState, input: Input) -> Result<Self, Error> {
        Ok(match self {
            HandshakeState::Client(s) => HandshakeState::Client(s.handle(common, input)?),
            HandshakeState::Server(s) => HandshakeState::Server(s.handle(common, input)?),
        })
    }

    /// The operation the state waits for, if it is paused (see `crate::pause`).
    pub(crate) fn operation(&self) -> Option<&crate::pause::Operation> {
        match self {
            HandshakeState::Client(s) => s.operation(),
            HandshakeState::Server(s) => s.operation(),
        }
    }

    /// Resumes a paused state with the answer to its operation.
    pub(crate) fn resume(
        self,
        common: &mut CommonState,
        completion: crate::pause::Completion,
    ) -> Result<Self, Error> {
        Ok(match self {
            HandshakeState::Client(s) => HandshakeState::Client(s.resume(common, completion)?),
            HandshakeState::Server(s) => HandshakeState::Server(s.resume(common, completion)?),
        })
    }
}

/// A received TLS 1.3 handshake message: decoded, with its exact bytes for the transcript.
#[derive(Debug)]
pub(crate) struct HsMessage {
    pub parsed: HandshakeMessage,
    pub raw: Vec<u8>,
}

/// A received TLS 1.2 handshake message, with its exact bytes.
#[derive(Debug)]
pub(crate) struct HsMessage12 {
    pub parsed: HandshakeMessage12,
    pub raw: Vec<u8>,
}

/// What the connection hands to the handshake state machine.
#[derive(Debug)]
pub(crate) enum Input {
    Tls13(HsMessage),
    Tls12(HsMessage12),
    /// A TLS 1.2 ChangeCipherSpec: the peer switches to the pending keys.
    ChangeCipherSpec,
}

impl Input {
    /// The message name, for errors.
    pub fn name(&self) -> &'static str {
        match self {
            Input::Tls13(m) => m.parsed.name(),
            Input::Tls12(m) => m.parsed.name(),
            Input::ChangeCipherSpec => "ChangeCipherSpec",
        }
    }
}

/// What was negotiated, filled in as the handshake goes.
#[derive(Debug, Default, Clone)]
pub struct Negotiated {
    pub version: Option<ProtocolVersion>,
    /// The cipher suite, whichever the version.
    pub cipher_suite: Option<CipherSuite>,
    /// The TLS 1.3 suite with its hash and AEAD, when TLS 1.3 was negotiated.
    pub suite: Option<&'static Tls13CipherSuite>,
    /// The TLS 1.2 suite, when TLS 1.2 was negotiated.
    pub suite12: Option<&'static Tls12CipherSuite>,
    /// Whether the handshake resumed an earlier session.
    pub resumed: bool,
    /// TLS 1.3: the identity of the external PSK the handshake authenticated with.
    pub external_psk: Option<Vec<u8>>,
    /// TLS 1.2: whether the extended master secret (RFC 7627) was used.
    pub extended_master_secret: bool,
    pub group: Option<NamedGroup>,
    pub signature_scheme: Option<SignatureScheme>,
    pub alpn: Option<Vec<u8>>,
    pub server_name: Option<String>,
    pub peer_certificates: Vec<CertificateDer<'static>>,
    /// Whether the server answered the first ClientHello with HelloRetryRequest.
    pub hello_retry: bool,
    /// Whether the peer asked for (server) or sent (client) a client certificate.
    pub client_auth: bool,
    /// How many NewSessionTicket messages the client received.
    pub tickets_received: usize,
    /// Encrypted Client Hello: offered, accepted or rejected.
    pub ech: EchStatus,
    /// TLS 1.3 post-handshake client authentication (RFC 8446, 4.6.2).
    pub post_handshake_auth: PostHandshakeAuth,
}

/// TLS 1.3 post-handshake client authentication (RFC 8446, 4.6.2), as it went so far.
///
/// On the server, a request is answered once the client's Certificate,
/// CertificateVerify (if it sent a certificate) and Finished all verified; the chain
/// of the latest answer with a certificate is then `Negotiated::peer_certificates`.
/// On the client, a request is answered as soon as it arrives.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PostHandshakeAuth {
    /// The client's ClientHello carried post_handshake_auth (RFC 8446, 4.2.6).
    pub offered: bool,
    /// CertificateRequests sent (server) or received (client) after the handshake.
    pub requests: usize,
    /// Requests answered, with or without a certificate.
    pub answered: usize,
    /// Requests answered with a certificate (verified, on the server).
    pub authenticated: usize,
}

impl PostHandshakeAuth {
    /// Requests not answered yet.
    pub fn pending(&self) -> usize {
        self.requests.saturating_sub(self.answered)
    }
}

/// What became of Encrypted Client Hello (draft-ietf-tls-esni, 6.1.4 and 7.1).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum EchStatus {
    /// The ClientHello carried no ECH offer (or the server has no ECH keys).
    #[default]
    NotOffered,
    /// The server decrypted the inner ClientHello; the handshake used it.
    Accepted,
    /// The server could not (or would not) decrypt it; the handshake used the outer
    /// ClientHello and, on the client, authenticated the public name only.
    Rejected,
}

/// A client's 0-RTT data (RFC 8446, 2.3 and 4.2.10).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum ClientEarlyData {
    /// No ticket allowing 0-RTT was offered.
    #[default]
    NotOffered,
    /// Offered: up to `max` bytes may be written before the ServerHello arrives.
    Offered { max: usize, sent: Vec<u8> },
    /// The ServerHello arrived; waiting for EncryptedExtensions to say.
    Sent { sent: Vec<u8> },
    /// The server accepted the early data.
    Accepted,
    /// The server rejected it; it was sent again after the handshake.
    Rejected,
}

/// A summary of what `process_new_packets` left to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoState {
    pub tls_bytes_to_write: usize,
    pub plaintext_bytes_to_read: usize,
    pub peer_has_closed: bool,
}

/// Consecutive handshake messages encoded back to back, to go out together under
/// one set of keys (see [`CommonState::add_to_flight`]).
#[derive(Debug, Default)]
pub(crate) struct Flight {
    bytes: Vec<u8>,
}

impl Flight {
    /// An empty flight with room for `len` bytes.
    pub fn with_capacity(len: usize) -> Self {
        Flight {
            bytes: Vec::with_capacity(len),
        }
    }
}

/// State shared by both sides and every handshake state.
#[derive(Debug)]
pub(crate) struct CommonState {
    pub negotiated: Negotiated,
    pub observer: Option<Arc<dyn Observer>>,
    pub key_log: Option<Arc<dyn KeyLog>>,
    pub client_random: [u8; 32],
    encrypter: Option<(Box<dyn RecordEncrypter>, Protection)>,
    decrypter: Option<(Box<dyn RecordDecrypter>, Protection)>,
    /// The current traffic secrets after the handshake, for KeyUpdate (RFC 8446, 7.2).
    send_secret: Option<TrafficSecret>,
    recv_secret: Option<TrafficSecret>,
    /// Bumped whenever receive keys change, to detect messages spanning a key change.
    recv_epoch: u64,
    /// Record version for plaintext records: 0x0301 for the first ClientHello.
    plain_record_version: ProtocolVersion,
    outgoing: SendBuffer,
    received_plaintext: PlaintextBuffer,
    pending_plaintext: Vec<u8>,
    pub handshake_complete: bool,
    /// Server: accepted 0-RTT data may still arrive, up to this many bytes.
    receiving_early: Option<usize>,
    /// Server: rejected 0-RTT data to skip, up to this many bytes (RFC 8446, 4.2.10).
    skipping_early: usize,
    early_plaintext: VecDeque<u8>,
    early_accepted: bool,
    compat_ccs_sent: bool,
    /// Client: the state of 0-RTT data.
    pub early: ClientEarlyData,
    /// What keying material is exported from, once the handshake derived it.
    pub exporter: Option<ExporterSecret>,
    /// TLS 1.2: we agreed to answer heartbeat requests (RFC 6520).
    pub heartbeat: bool,
    /// TLS 1.2: the peer lets us send heartbeat requests.
    pub heartbeat_may_send: bool,
    heartbeat_responses: VecDeque<Vec<u8>>,
    /// The configuration's random source, for heartbeat padding.
    pub random: Option<Arc<dyn crate::crypto::RandomSource>>,
    /// RFC 8446, 5: a plaintext CCS may arrive between the first ClientHello and the
    /// peer's Finished; states clear this once it may no longer.
    pub ccs_allowed: bool,
    ccs_seen: usize,
    empty_records: usize,
    close_notify_sent: bool,
    close_notify_received: bool,
    error: Option<Error>,
}

impl CommonState {
    fn new(observer: Option<Arc<dyn Observer>>) -> Self {
        CommonState {
            negotiated: Negotiated::default(),
            observer,
            key_log: None,
            client_random: [0; 32],
            encrypter: None,
            decrypter: None,
            send_secret: None,
            recv_secret: None,
            recv_epoch: 0,
            plain_record_version: ProtocolVersion::TLSv1_2,
            outgoing: SendBuffer::default(),
            received_plaintext: PlaintextBuffer::default(),
            pending_plaintext: Vec::new(),
            handshake_complete: false,
            receiving_early: None,
            skipping_early: 0,
            early_plaintext: VecDeque::new(),
            early_accepted: false,
            compat_ccs_sent: false,
            early: ClientEarlyData::NotOffered,
            exporter: None,
            heartbeat: false,
            heartbeat_may_send: false,
            heartbeat_responses: VecDeque::new(),
            random: None,
            ccs_allowed: false,
            ccs_seen: 0,
            empty_records: 0,
            close_notify_sent: false,
            close_notify_received: false,
            error: None,
        }
    }

    pub fn is_tls12(&self) -> bool {
        self.negotiated.version == Some(ProtocolVersion::TLSv1_2)
    }

    /// Queues a TLS 1.2 handshake message under the current keys; the caller does the transcript.
    pub fn send_handshake12(&mut self, msg: &HandshakeMessage12, raw: &[u8]) -> Result<(), Error> {
        self.emit(Event::Message12 {
            direction: Direction::Sent,
            protection: self.send_protection(),
            message: msg,
            raw,
        });
        self.send_record(ContentType::Handshake, raw)
    }

    /// Sends a warning alert (TLS 1.2's no_renegotiation).
    pub fn send_warning(&mut self, description: AlertDescription) {
        self.send_alert(AlertLevel::Warning, description);
    }

    /// The first ClientHello record carries version 0x0301 for compatibility (RFC 8446, 5.1).
    pub fn set_initial_record_version(&mut self, v: ProtocolVersion) {
        self.plain_record_version = v;
    }

    /// Whether an observer receives events (so work done only to report them can
    /// be skipped).
    pub fn observed(&self) -> bool {
        self.observer.is_some()
    }

    pub fn emit(&self, event: Event<'_>) {
        if let Some(o) = &self.observer {
            o.event(&event);
        }
    }

    /// Logs a secret to the key log and the observer.
    pub fn log_secret(&self, label: &'static str, secret: &[u8]) {
        if let Some(k) = &self.key_log {
            k.log(label, &self.client_random, secret);
        }
        self.emit(Event::Secret { label, secret });
    }

    fn send_protection(&self) -> Protection {
        self.encrypter
            .as_ref()
            .map(|(_, p)| *p)
            .unwrap_or(Protection::Plaintext)
    }

    /// Encodes `msg`, adds it to the transcript, and queues it under the current keys.
    pub fn send_handshake(
        &mut self,
        msg: &HandshakeMessage,
        transcript: &mut Transcript,
    ) -> Result<(), Error> {
        let mut flight = Flight::default();
        self.add_to_flight(&mut flight, msg, transcript);
        self.send_flight(flight)
    }

    /// Encodes `msg` at the end of `flight`, adds it to the transcript and reports
    /// it as sent under the current keys. Send the flight with [`Self::send_flight`]
    /// before the keys change.
    pub fn add_to_flight(
        &self,
        flight: &mut Flight,
        msg: &HandshakeMessage,
        transcript: &mut Transcript,
    ) {
        let start = flight.bytes.len();
        flight.bytes.reserve(4 + msg.payload.size_hint());
        msg.encode(&mut flight.bytes);
        let raw = flight.bytes.get(start..).unwrap_or_default();
        transcript.add(raw);
        self.emit(Event::Message {
            direction: Direction::Sent,
            protection: self.send_protection(),
            message: msg,
            raw,
        });
    }

    /// [`Self::add_to_flight`] for a post-handshake message, which no transcript covers.
    pub fn add_ticket_to_flight(&self, flight: &mut Flight, msg: &HandshakeMessage) {
        let start = flight.bytes.len();
        msg.encode(&mut flight.bytes);
        self.emit(Event::Message {
            direction: Direction::Sent,
            protection: self.send_protection(),
            message: msg,
            raw: flight.bytes.get(start..).unwrap_or_default(),
        });
    }

    /// Sends the messages of `flight` under the current keys, sharing records
    /// (RFC 8446, 5.1 lets handshake messages share one), so a flight costs one
    /// record protection rather than one per message.
    pub fn send_flight(&mut self, flight: Flight) -> Result<(), Error> {
        if flight.bytes.is_empty() {
            return Ok(());
        }
        self.send_record(ContentType::Handshake, &flight.bytes)
    }

    /// Queues an already-encoded handshake message (the caller did the transcript).
    pub fn send_handshake_raw(&mut self, msg: &HandshakeMessage, raw: &[u8]) -> Result<(), Error> {
        self.emit(Event::Message {
            direction: Direction::Sent,
            protection: self.send_protection(),
            message: msg,
            raw,
        });
        self.send_record(ContentType::Handshake, raw)
    }

    /// RFC 8446, D.4: the middlebox-compatibility change_cipher_spec, sent at most once.
    pub fn send_compat_ccs(&mut self) {
        if !self.compat_ccs_sent {
            self.compat_ccs_sent = true;
            self.send_ccs();
        }
    }

    /// Sends a change_cipher_spec record (TLS 1.2's key switch; TLS 1.3's compatibility one).
    pub fn send_ccs(&mut self) {
        self.emit(Event::ChangeCipherSpec {
            direction: Direction::Sent,
        });
        self.outgoing.append(|out| {
            crate::record::write_plain_record(
                ContentType::ChangeCipherSpec,
                ProtocolVersion::TLSv1_2,
                &[1],
                out,
            )
        });
    }

    fn send_record(&mut self, typ: ContentType, payload: &[u8]) -> Result<(), Error> {
        let chunks = payload.chunks(MAX_FRAGMENT_LEN);
        match &mut self.encrypter {
            Some((enc, _)) => {
                for chunk in chunks {
                    // Sealed straight from `payload` into the send buffer.
                    let room = self.outgoing.room(enc.record_len(chunk.len()));
                    let len = enc.encrypt_into(typ, chunk, room)?;
                    self.outgoing.commit(len);
                }
            }
            None => {
                let version = self.plain_record_version;
                for chunk in chunks {
                    self.outgoing
                        .append(|out| crate::record::write_plain_record(typ, version, chunk, out));
                }
                self.plain_record_version = ProtocolVersion::TLSv1_2;
            }
        }
        Ok(())
    }

    fn send_alert(&mut self, level: AlertLevel, description: AlertDescription) {
        self.emit(Event::Alert {
            direction: Direction::Sent,
            description,
        });
        let body = AlertMessage { level, description }.to_bytes();
        // Failing to encrypt an alert leaves nothing better to send.
        let _ = self.send_record(ContentType::Alert, &body);
    }

    /// Installs keys for what we send next.
    pub fn install_encrypter(
        &mut self,
        suite: &'static Tls13CipherSuite,
        secret: &TrafficSecret,
        protection: Protection,
    ) -> Result<(), Error> {
        self.set_encrypter(
            Box::new(Encrypter13::from_secret(suite, secret)?),
            protection,
        );
        Ok(())
    }

    /// Switches what we send next to `enc` (TLS 1.2's ChangeCipherSpec, TLS 1.3 key changes).
    pub fn set_encrypter(&mut self, enc: Box<dyn RecordEncrypter>, protection: Protection) {
        self.encrypter = Some((enc, protection));
    }

    /// Switches what we receive next to `dec`.
    pub fn set_decrypter(&mut self, dec: Box<dyn RecordDecrypter>, protection: Protection) {
        self.decrypter = Some((dec, protection));
        self.recv_epoch += 1;
    }

    /// Installs keys for what we receive next.
    pub fn install_decrypter(
        &mut self,
        suite: &'static Tls13CipherSuite,
        secret: &TrafficSecret,
        protection: Protection,
    ) -> Result<(), Error> {
        self.set_decrypter(
            Box::new(Decrypter13::from_secret(suite, secret)?),
            protection,
        );
        Ok(())
    }

    /// The traffic secret we currently send under, after the handshake: the base key
    /// of our post-handshake Finished (RFC 8446, 4.4).
    pub fn send_traffic_secret(&self) -> Option<&TrafficSecret> {
        self.send_secret.as_ref()
    }

    /// The traffic secret the peer currently sends under, after the handshake.
    pub fn recv_traffic_secret(&self) -> Option<&TrafficSecret> {
        self.recv_secret.as_ref()
    }

    /// Whether we sent close_notify: nothing more may be sent (RFC 8446, 6.1).
    pub fn close_notify_sent(&self) -> bool {
        self.close_notify_sent
    }

    /// Called by a state when the handshake is done: application traffic keys are
    /// installed by the caller, the secrets kept here for KeyUpdate.
    pub fn start_traffic(&mut self, send: TrafficSecret, recv: TrafficSecret) -> Result<(), Error> {
        self.send_secret = Some(send);
        self.recv_secret = Some(recv);
        self.finish_handshake()
    }

    /// Marks the handshake complete and sends application data written meanwhile.
    pub fn finish_handshake(&mut self) -> Result<(), Error> {
        self.handshake_complete = true;
        self.ccs_allowed = false;
        let pending = std::mem::take(&mut self.pending_plaintext);
        self.send_app_data(&pending)
    }

    pub(crate) fn send_app_data(&mut self, data: &[u8]) -> Result<(), Error> {
        // Room for every record at once, so the buffer grows at most once per write.
        if let Some((enc, _)) = &self.encrypter {
            let full = data.len() / MAX_FRAGMENT_LEN;
            let last = data.len() % MAX_FRAGMENT_LEN;
            self.outgoing.reserve(
                full * enc.record_len(MAX_FRAGMENT_LEN)
                    + enc.record_len(last) * usize::from(last > 0),
            );
        }
        for chunk in data.chunks(MAX_FRAGMENT_LEN) {
            if self
                .encrypter
                .as_ref()
                .is_some_and(|(e, _)| e.should_update_key())
            {
                self.send_key_update(KeyUpdateRequest::UpdateNotRequested)?;
            }
            self.send_record(ContentType::ApplicationData, chunk)?;
        }
        Ok(())
    }

    /// Sends KeyUpdate and switches to the next sending secret (RFC 8446, 4.6.3).
    fn send_key_update(&mut self, request: KeyUpdateRequest) -> Result<(), Error> {
        let msg = HandshakeMessage::new(HandshakePayload::KeyUpdate(KeyUpdate(request)));
        let raw = msg.to_bytes();
        self.send_handshake_raw(&msg, &raw)?;
        let (suite, next) = match (&self.negotiated.suite, &self.send_secret) {
            (Some(suite), Some(secret)) => (*suite, secret.next()),
            _ => {
                return Err(ApiError::HandshakeNotComplete {
                    action: "update traffic keys",
                }
                .into())
            }
        };
        self.install_encrypter(suite, &next, Protection::Application)?;
        self.send_secret = Some(next);
        Ok(())
    }

    /// Handles a received KeyUpdate after the handshake (RFC 8446, 4.6.3).
    pub fn receive_key_update(&mut self, request: KeyUpdateRequest) -> Result<(), Error> {
        if let KeyUpdateRequest::Unknown(value) = request {
            return Err(crate::error::PeerMisbehaved::BadKeyUpdate { value }.into());
        }
        let (suite, next) = match (&self.negotiated.suite, &self.recv_secret) {
            (Some(suite), Some(secret)) => (*suite, secret.next()),
            _ => {
                return Err(Error::UnexpectedMessage {
                    state: "handshaking",
                    got: "KeyUpdate",
                })
            }
        };
        self.install_decrypter(suite, &next, Protection::Application)?;
        self.recv_secret = Some(next);
        // Every request is answered, even when our own request crossed it in flight:
        // each side then moves two generations (RFC 8446, 4.6.3).
        if request == KeyUpdateRequest::UpdateRequested && !self.close_notify_sent {
            self.send_key_update(KeyUpdateRequest::UpdateNotRequested)?;
        }
        Ok(())
    }

    /// Server: 0-RTT data was accepted; up to `max` bytes may arrive before EndOfEarlyData.
    pub fn accept_early_data(&mut self, max: usize) {
        self.receiving_early = Some(max);
        self.early_accepted = true;
    }

    /// Server: whether 0-RTT data was accepted on this connection.
    pub fn early_data_accepted_by_server(&self) -> bool {
        self.early_accepted
    }

    /// Server: EndOfEarlyData arrived.
    pub fn end_early_data(&mut self) {
        self.receiving_early = None;
    }

    /// Server: skip up to `budget` bytes of rejected 0-RTT records.
    pub fn skip_early_data(&mut self, budget: usize) {
        self.skipping_early = budget;
    }

    fn receive_early_data(&mut self, data: &[u8]) -> Result<(), Error> {
        let remaining = self.receiving_early.unwrap_or_default();
        // RFC 8446, 4.2.10: more than max_early_data_size is unexpected_message.
        if data.len() > remaining {
            return Err(crate::error::PeerMisbehaved::TooMuchEarlyData {
                max: self.early_plaintext.len() + remaining,
            }
            .into());
        }
        self.receiving_early = Some(remaining - data.len());
        self.early_plaintext.extend(data.iter());
        Ok(())
    }

    /// Client: writes 0-RTT data under the early traffic key while it is allowed.
    pub fn write_early_data(&mut self, data: &[u8]) -> Result<usize, Error> {
        let ClientEarlyData::Offered { max, sent } = &mut self.early else {
            return Ok(0);
        };
        let n = data.len().min(max.saturating_sub(sent.len()));
        let chunk = data.get(..n).unwrap_or_default();
        sent.extend_from_slice(chunk);
        self.send_app_data(chunk)?;
        Ok(n)
    }

    /// Client: the ServerHello arrived, so no more 0-RTT data can be written.
    pub fn early_data_sent(&mut self) {
        if let ClientEarlyData::Offered { sent, .. } = &mut self.early {
            self.early = ClientEarlyData::Sent {
                sent: std::mem::take(sent),
            };
        }
    }

    /// Client: the server said whether it accepted 0-RTT data. Rejected data is
    /// queued to be sent again once the handshake completes.
    pub fn early_data_answered(&mut self, accepted: bool) {
        let previous = std::mem::take(&mut self.early);
        self.early = match (previous, accepted) {
            (ClientEarlyData::Sent { .. }, true) => ClientEarlyData::Accepted,
            (ClientEarlyData::Sent { sent }, false)
            | (ClientEarlyData::Offered { sent, .. }, false) => {
                let mut again = sent;
                again.extend_from_slice(&self.pending_plaintext);
                self.pending_plaintext = again;
                ClientEarlyData::Rejected
            }
            (other, _) => other,
        };
    }

    /// Takes the current encrypter (the client's 0-RTT one, to send EndOfEarlyData later).
    pub fn take_encrypter(&mut self) -> Option<(Box<dyn RecordEncrypter>, Protection)> {
        self.encrypter.take()
    }

    /// RFC 6520, 4: answer a request with exactly its payload; silently discard
    /// responses and anything whose payload_length does not fit the record.
    fn process_heartbeat(&mut self, record: &[u8]) -> Result<(), Error> {
        use crate::msgs::tls12::{HeartbeatMessage, HeartbeatRead, HEARTBEAT_MIN_PADDING};
        let HeartbeatRead::Message(msg) = HeartbeatMessage::read_record(record) else {
            return Ok(());
        };
        let Some(response) = msg.response() else {
            // A response to one of our requests; keep a few for the application.
            if self.heartbeat_may_send && self.heartbeat_responses.len() < 4 {
                self.heartbeat_responses.push_back(msg.payload);
            }
            return Ok(());
        };
        if !self.heartbeat {
            return Ok(());
        }
        let padding = self.provider_random_padding(HEARTBEAT_MIN_PADDING)?;
        let mut body = Vec::new();
        response.encode(&padding, &mut body);
        self.send_record(ContentType::Heartbeat, &body)
    }

    fn provider_random_padding(&self, len: usize) -> Result<Vec<u8>, Error> {
        let mut padding = vec![0u8; len];
        if let Some(random) = &self.random {
            random.fill(&mut padding)?;
        }
        Ok(padding)
    }

    fn take_plaintext(&mut self, buf: &mut [u8]) -> usize {
        self.received_plaintext.read(buf)
    }

    /// Application data of `len` bytes arrived: a run of empty records is refused.
    fn count_empty_records(&mut self, len: usize) -> Result<(), Error> {
        if len > 0 {
            self.empty_records = 0;
            return Ok(());
        }
        self.empty_records += 1;
        if self.empty_records > MAX_EMPTY_RECORDS {
            return Err(RecordError::TooManyEmptyRecords {
                count: self.empty_records,
            }
            .into());
        }
        Ok(())
    }
}

/// A TLS connection (client or server), without any I/O of its own.
///
/// Feed received bytes with [`read_tls`](Self::read_tls) or [`feed_tls`](Self::feed_tls),
/// call [`process_new_packets`](Self::process_new_packets), write what
/// [`write_tls`](Self::write_tls) produces, and exchange plaintext through
/// [`reader`](Self::reader) and [`writer`](Self::writer).
#[derive(Debug)]
pub struct Connection {
    pub(crate) common: CommonState,
    pub(crate) state: Option<HandshakeState>,
    deframer: Deframer,
    joiner: HandshakeJoiner,
}

impl Connection {
    pub(crate) fn new(observer: Option<Arc<dyn Observer>>) -> Self {
        Connection {
            common: CommonState::new(observer),
            state: None,
            deframer: Deframer::new(),
            joiner: HandshakeJoiner::new(),
        }
    }

    /// Reads TLS bytes from `rd`: one `read` call, of at most the room left for one
    /// maximal record, into memory that is reused rather than allocated and zeroed.
    /// Returns 0 at end of input.
    pub fn read_tls(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        self.deframer.read_from(rd)
    }

    /// Hands received TLS bytes to the connection (sans-I/O input). Returns how many
    /// bytes were taken; call `process_new_packets` and feed the rest.
    ///
    /// After the handshake, whole application-data records are decrypted straight
    /// from `data` into the plaintext buffer (until 32 KiB of plaintext waits to be
    /// read); anything else, and anything beyond, goes through a buffer that holds at
    /// most one maximal record. Records that fail, or are not application data, are
    /// left for `process_new_packets`, which reports them as it always would.
    pub fn feed_tls(&mut self, data: &[u8]) -> usize {
        let ahead = self.decrypt_ahead(data);
        if ahead > 0 && self.common.received_plaintext.len() >= DECRYPT_AHEAD_LIMIT {
            return ahead;
        }
        ahead + self.deframer.push(data.get(ahead..).unwrap_or_default())
    }

    /// Decrypts the application-data records at the front of `data` into the
    /// plaintext buffer, exactly as `process_new_packets` would, and returns how many
    /// bytes they took. Only where that is all processing would do: after the
    /// handshake, nothing buffered before them, no handshake message half-joined, no
    /// error. It stops, consuming nothing more, at the first record that is
    /// incomplete, is not (or not non-empty) application data or fails in any way;
    /// that record is then buffered and processed, in order, by `process_new_packets`.
    fn decrypt_ahead(&mut self, data: &[u8]) -> usize {
        let c = &mut self.common;
        if c.error.is_some()
            || self.state.as_ref().is_none_or(|s| s.operation().is_some())
            || !c.handshake_complete
            || c.close_notify_received
            || c.receiving_early.is_some()
            || !self.joiner.is_empty()
            || self.deframer.buffered_len() > 0
            || self
                .state
                .as_ref()
                .is_some_and(|s| s.in_post_handshake_response())
        {
            return 0;
        }
        if c.is_tls12() {
            self.deframer.allow_tls12_records();
        }
        let Some((dec, _)) = &mut c.decrypter else {
            return 0;
        };
        let max = self.deframer.max_ciphertext();
        let mut taken = 0;
        while c.received_plaintext.len() < DECRYPT_AHEAD_LIMIT {
            let rest = data.get(taken..).unwrap_or_default();
            let Ok(Some((record, len))) = crate::record::deframer::frame(rest, max) else {
                break;
            };
            if record.typ != ContentType::ApplicationData {
                break;
            }
            let room = c.received_plaintext.room(record.payload.len());
            match dec.peek_into(record, room) {
                Ok(opened) if opened.typ == ContentType::ApplicationData && opened.len > 0 => {
                    dec.advance();
                    c.received_plaintext.commit(opened.len);
                    c.empty_records = 0;
                    taken += len;
                }
                _ => break,
            }
        }
        taken
    }

    /// Processes every complete record received so far.
    pub fn process_new_packets(&mut self) -> Result<IoState, Error> {
        if let Some(e) = &self.common.error {
            return Err(e.clone());
        }
        match self.process_records() {
            Ok(()) => Ok(self.io_state()),
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Fails the connection with `e`: sends its alert, and every later call returns it.
    pub(crate) fn fail(&mut self, e: Error) -> Error {
        if let Some(alert) = e.alert() {
            self.common.send_alert(AlertLevel::Fatal, alert);
        }
        self.common.error = Some(e.clone());
        e
    }

    /// Whether the handshake is paused on an operation (`crate::pause`): then no
    /// record is consumed, and messages already joined wait in the joiner.
    fn paused(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.operation().is_some())
    }

    fn io_state(&self) -> IoState {
        IoState {
            tls_bytes_to_write: self.common.outgoing.len(),
            plaintext_bytes_to_read: self.common.received_plaintext.len(),
            peer_has_closed: self.common.close_notify_received,
        }
    }

    fn process_records(&mut self) -> Result<(), Error> {
        // Messages joined before a pause come first, in order.
        self.process_joined()?;
        loop {
            if self.paused() {
                return Ok(());
            }
            if self.common.is_tls12() {
                self.deframer.allow_tls12_records();
            }
            let Some((record, len)) = self.deframer.peek()? else {
                return Ok(());
            };
            if self.common.close_notify_received {
                // RFC 8446, 6.1: data after close_notify is ignored.
                self.deframer.discard(len);
                continue;
            }
            let (typ, payload_len) = (record.typ, record.payload.len());
            // TLS 1.2 protects every record type; TLS 1.3 hides them all in application_data.
            let protected = if self.common.is_tls12() {
                typ != ContentType::ChangeCipherSpec
            } else {
                typ == ContentType::ApplicationData
            };
            match &mut self.common.decrypter {
                Some((dec, _)) if protected => {
                    // Decrypted where it lies, into the plaintext buffer's free room.
                    let room = self.common.received_plaintext.room(payload_len);
                    let opened = dec.decrypt_into(record, room);
                    self.deframer.discard(len);
                    self.process_opened(typ, payload_len, opened)?;
                }
                _ => {
                    let record = OpaqueRecord {
                        typ,
                        version: record.version,
                        payload: record.payload.to_vec(),
                    };
                    self.deframer.discard(len);
                    self.process_plain(record)?;
                }
            }
        }
    }

    /// A protected record after decryption into the plaintext buffer's room.
    fn process_opened(
        &mut self,
        outer: ContentType,
        ciphertext_len: usize,
        opened: Result<Opened, RecordError>,
    ) -> Result<(), Error> {
        let c = &mut self.common;
        let skippable =
            c.skipping_early > 0 && outer == ContentType::ApplicationData && !c.handshake_complete;
        let opened = match opened {
            Ok(opened) => {
                c.skipping_early = 0;
                opened
            }
            // RFC 8446, 4.2.10: rejected 0-RTT records fail to decrypt; skip them.
            Err(_) if skippable && ciphertext_len <= c.skipping_early => {
                c.skipping_early -= ciphertext_len;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        if opened.typ == ContentType::ApplicationData
            && c.handshake_complete
            && c.receiving_early.is_none()
            && self.joiner.is_empty()
            && self
                .state
                .as_ref()
                .is_some_and(|s| !s.in_post_handshake_response())
        {
            // Application data stays where it was decrypted.
            c.count_empty_records(opened.len)?;
            c.received_plaintext.commit(opened.len);
            return Ok(());
        }
        let payload = c
            .received_plaintext
            .room(opened.len)
            .get(..opened.len)
            .unwrap_or_default()
            .to_vec();
        c.received_plaintext.release_if_empty();
        self.dispatch(opened.typ, payload)
    }

    /// A record that is not protected (or arrived before any keys).
    fn process_plain(&mut self, record: OpaqueRecord) -> Result<(), Error> {
        let tls12 = self.common.is_tls12();
        // RFC 8446, 5.1; RFC 5246, 6.2.1: no unprotected record may exceed 2^14 bytes.
        if record.payload.len() > MAX_FRAGMENT_LEN {
            return Err(RecordError::Overflow {
                length: record.payload.len(),
                max: MAX_FRAGMENT_LEN,
            }
            .into());
        }
        if record.typ == ContentType::ChangeCipherSpec {
            return self.process_ccs(&record.payload, tls12);
        }
        let skippable = self.common.skipping_early > 0
            && record.typ == ContentType::ApplicationData
            && !self.common.handshake_complete;
        let has_keys = self.common.decrypter.is_some();
        match record.typ {
            // After HelloRetryRequest, 0-RTT records arrive before any keys.
            _ if !has_keys && skippable && record.payload.len() <= self.common.skipping_early => {
                self.common.skipping_early -= record.payload.len();
                Ok(())
            }
            ContentType::Handshake | ContentType::Alert if !has_keys => {
                self.dispatch(record.typ, record.payload)
            }
            // A peer that failed to read our protected flight may alert in the clear.
            ContentType::Alert if !self.common.handshake_complete => {
                self.dispatch(record.typ, record.payload)
            }
            got => Err(RecordError::UnexpectedContentType { got }.into()),
        }
    }

    /// Whether application data may arrive now (not inside a post-handshake
    /// authentication response).
    fn application_data_allowed(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| !s.in_post_handshake_response())
    }

    /// Hands a record's content to whatever consumes its type.
    fn dispatch(&mut self, typ: ContentType, payload: Vec<u8>) -> Result<(), Error> {
        if typ != ContentType::Handshake && !self.joiner.is_empty() {
            return Err(RecordError::InterleavedHandshake.into());
        }
        if payload.is_empty() && typ != ContentType::ApplicationData {
            return Err(RecordError::Empty { content_type: typ }.into());
        }

        match typ {
            ContentType::Handshake => self.process_handshake(&payload),
            ContentType::Alert => self.process_alert(&payload),
            ContentType::ApplicationData if self.common.receiving_early.is_some() => {
                self.common.receive_early_data(&payload)
            }
            ContentType::ApplicationData => {
                if !self.common.handshake_complete {
                    return Err(RecordError::UnexpectedContentType { got: typ }.into());
                }
                // RFC 8446, 4.6.2: nothing between the messages of a post-handshake
                // authentication response.
                if !self.application_data_allowed() {
                    return Err(Error::UnexpectedMessage {
                        state: self.state_name(),
                        got: "application data",
                    });
                }
                self.common.count_empty_records(payload.len())?;
                self.common.received_plaintext.push(&payload);
                Ok(())
            }
            ContentType::Heartbeat
                if (self.common.heartbeat || self.common.heartbeat_may_send)
                    && self.common.handshake_complete =>
            {
                self.common.process_heartbeat(&payload)
            }
            // A protected CCS (TLS 1.3, 5) or any other type.
            ContentType::ChangeCipherSpec => Err(RecordError::InvalidChangeCipherSpec.into()),
            other => Err(RecordError::UnexpectedContentType { got: other }.into()),
        }
    }

    /// ChangeCipherSpec: real in TLS 1.2, a compatibility no-op in TLS 1.3.
    fn process_ccs(&mut self, payload: &[u8], tls12: bool) -> Result<(), Error> {
        self.common.ccs_seen += 1;
        // RFC 8446, 5: an unprotected CCS of the single byte 1, only mid-handshake.
        // RFC 5246, 7.1: the single byte 1, never inside a handshake message.
        if payload != [1]
            || !self.joiner.is_empty()
            || (!tls12 && (!self.common.ccs_allowed || self.common.ccs_seen > 2))
        {
            return Err(RecordError::InvalidChangeCipherSpec.into());
        }
        self.common.emit(Event::ChangeCipherSpec {
            direction: Direction::Received,
        });
        if tls12 {
            self.deliver(Input::ChangeCipherSpec)?;
        }
        Ok(())
    }

    fn process_handshake(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.joiner.push(payload)?;
        self.process_joined()
    }

    /// Hands every complete message in the joiner to the state machine, stopping
    /// (the rest stays joined) when the state pauses on an operation.
    fn process_joined(&mut self) -> Result<(), Error> {
        while !self.paused() {
            let Some(raw) = self.joiner.next_message()? else {
                break;
            };
            let protection = self
                .common
                .decrypter
                .as_ref()
                .map(|(_, p)| *p)
                .unwrap_or(Protection::Plaintext);
            // ClientHello and ServerHello read the same in both versions; what follows
            // ServerHello is decoded by the negotiated version's rules.
            let input = if self.common.is_tls12() {
                let parsed = HandshakeMessage::read_tls12(&raw)
                    .map_err(|e| self.misplaced(&raw).unwrap_or(e.into()))?;
                self.common.emit(Event::Message12 {
                    direction: Direction::Received,
                    protection,
                    message: &parsed,
                    raw: &raw,
                });
                Input::Tls12(HsMessage12 { parsed, raw })
            } else {
                let parsed = HandshakeMessage::read_tls13(&raw)
                    .map_err(|e| self.misplaced(&raw).unwrap_or(e.into()))?;
                self.common.emit(Event::Message {
                    direction: Direction::Received,
                    protection,
                    message: &parsed,
                    raw: &raw,
                });
                Input::Tls13(HsMessage { parsed, raw })
            };
            self.deliver(input)?;
        }
        Ok(())
    }

    /// The error for a message that failed to decode whose type the state does not
    /// take now: unexpected_message rather than decode_error.
    fn misplaced(&self, raw: &[u8]) -> Option<Error> {
        let typ = HandshakeType::from_wire(*raw.first()?);
        let state = self.state.as_ref()?;
        (!state.expects(typ)).then(|| Error::UnexpectedMessage {
            state: state.name(),
            got: typ.message_name(),
        })
    }

    /// Runs the state machine on one input.
    fn deliver(&mut self, input: Input) -> Result<(), Error> {
        self.run_state(|state, common| state.handle(common, input))
    }

    /// Moves the state machine one step with `step` (a message, or the answer to
    /// the operation it paused on).
    pub(crate) fn run_state(
        &mut self,
        step: impl FnOnce(HandshakeState, &mut CommonState) -> Result<HandshakeState, Error>,
    ) -> Result<(), Error> {
        let state = self.state.take().ok_or(ApiError::AlreadyFailed)?;
        let epoch = self.common.recv_epoch;
        self.state = Some(step(state, &mut self.common)?);
        // RFC 8446, 5.1: a message that changes keys must end its record.
        if epoch != self.common.recv_epoch && !self.joiner.is_empty() {
            return Err(RecordError::HandshakeSpansKeyChange.into());
        }
        Ok(())
    }

    fn process_alert(&mut self, payload: &[u8]) -> Result<(), Error> {
        let mut r = Reader::new(payload, "Alert");
        let alert = AlertMessage::read(&mut r)?;
        r.expect_empty("Alert")?;
        self.common.emit(Event::Alert {
            direction: Direction::Received,
            description: alert.description,
        });
        match alert.description {
            AlertDescription::CloseNotify if self.common.handshake_complete => {
                self.common.close_notify_received = true;
                Ok(())
            }
            // RFC 8446, 6.1: user_canceled is followed by close_notify.
            AlertDescription::UserCanceled if alert.level == AlertLevel::Warning => Ok(()),
            // RFC 5246, 7.2: TLS 1.2 warnings (e.g. no_renegotiation) do not end the
            // connection, but a stream of them is refused. A close_notify is no such
            // warning (7.2.1: nothing after it counts): during the handshake it ends
            // the handshake with an error, below, rather than leave it waiting.
            _ if alert.level == AlertLevel::Warning
                && self.common.is_tls12()
                && alert.description != AlertDescription::CloseNotify =>
            {
                self.common.empty_records += 1;
                if self.common.empty_records > MAX_EMPTY_RECORDS {
                    return Err(RecordError::TooManyEmptyRecords {
                        count: self.common.empty_records,
                    }
                    .into());
                }
                Ok(())
            }
            // RFC 8446, 6: every other alert is an error, whatever its level.
            d => Err(Error::AlertReceived(d)),
        }
    }

    /// Writes pending TLS bytes to `wr`. Returns how many were written.
    pub fn write_tls(&mut self, wr: &mut dyn io::Write) -> io::Result<usize> {
        let pending = self.pending_tls();
        if pending.is_empty() {
            return Ok(0);
        }
        let n = wr.write(pending)?;
        self.consume_tls(n);
        Ok(n)
    }

    /// The TLS bytes waiting to be sent (sans-I/O output); call `consume_tls` after sending.
    pub fn pending_tls(&self) -> &[u8] {
        self.common.outgoing.pending()
    }

    /// Marks `n` bytes of `pending_tls` as sent. Once everything went out the buffer
    /// is given back, so idle connections hold none.
    pub fn consume_tls(&mut self, n: usize) {
        self.common.outgoing.consume(n);
    }

    /// Takes all pending TLS bytes at once.
    pub fn take_tls(&mut self) -> Vec<u8> {
        let out = self.pending_tls().to_vec();
        self.consume_tls(out.len());
        out
    }

    pub fn wants_write(&self) -> bool {
        !self.common.outgoing.is_empty()
    }

    /// Whether the connection needs more bytes from the peer to make progress.
    pub fn wants_read(&self) -> bool {
        self.common.error.is_none()
            && !self.common.close_notify_received
            && self.common.received_plaintext.is_empty()
    }

    pub fn is_handshaking(&self) -> bool {
        !self.common.handshake_complete
    }

    /// Server: accepted 0-RTT data (RFC 8446, 2.3). It may be a replay of an earlier
    /// connection's: read it only if the application's requests are idempotent.
    pub fn early_data(&mut self) -> EarlyDataReader<'_> {
        EarlyDataReader { conn: self }
    }

    /// Client: the state of 0-RTT data (offered, accepted, rejected).
    pub fn early_data_status(&self) -> &ClientEarlyData {
        &self.common.early
    }

    /// Client: writes 0-RTT data. Returns how many bytes were taken: 0 when no ticket
    /// allowing early data was offered or the ServerHello already arrived. Rejected
    /// early data is sent again, automatically, after the handshake.
    pub fn write_early_data(&mut self, data: &[u8]) -> Result<usize, Error> {
        if let Some(e) = &self.common.error {
            return Err(e.clone());
        }
        self.common.write_early_data(data)
    }

    /// The error the connection failed with, if it did.
    pub fn error(&self) -> Option<&Error> {
        self.common.error.as_ref()
    }

    /// Plaintext received from the peer.
    pub fn reader(&mut self) -> PlaintextReader<'_> {
        PlaintextReader { conn: self }
    }

    /// Plaintext to send; buffered until the handshake completes.
    pub fn writer(&mut self) -> PlaintextWriter<'_> {
        PlaintextWriter { conn: self }
    }

    /// Sends close_notify (RFC 8446, 6.1). Nothing more can be written afterwards.
    pub fn send_close_notify(&mut self) {
        if !self.common.close_notify_sent && self.common.error.is_none() {
            self.common.close_notify_sent = true;
            self.common
                .send_alert(AlertLevel::Warning, AlertDescription::CloseNotify);
        }
    }

    /// Sends a KeyUpdate that asks the peer to update its keys too (RFC 8446, 4.6.3).
    pub fn refresh_traffic_keys(&mut self) -> Result<(), Error> {
        self.check_post_handshake_send("update traffic keys")?;
        self.common
            .send_key_update(KeyUpdateRequest::UpdateRequested)
    }

    /// Whether a post-handshake message can be sent for `action`: the connection
    /// has not failed, the handshake is complete and close_notify was not sent.
    pub(crate) fn check_post_handshake_send(&self, action: &'static str) -> Result<(), Error> {
        if let Some(e) = &self.common.error {
            return Err(e.clone());
        }
        if !self.common.handshake_complete {
            return Err(ApiError::HandshakeNotComplete { action }.into());
        }
        // RFC 8446, 6.1: nothing follows our close_notify.
        if self.common.close_notify_sent {
            return Err(ApiError::AlreadyClosed.into());
        }
        Ok(())
    }

    /// Sends a TLS 1.2 HeartbeatRequest (RFC 6520) carrying `payload`, when the
    /// server allowed it; its response arrives through `take_heartbeat_response`.
    pub fn send_heartbeat_request(&mut self, payload: &[u8]) -> Result<(), Error> {
        use crate::msgs::tls12::{HeartbeatMessage, HEARTBEAT_MIN_PADDING};
        if let Some(e) = &self.common.error {
            return Err(e.clone());
        }
        if !self.common.handshake_complete {
            return Err(ApiError::HandshakeNotComplete {
                action: "send a heartbeat",
            }
            .into());
        }
        if !self.common.heartbeat_may_send {
            return Err(ApiError::HeartbeatNotNegotiated.into());
        }
        let padding = self.common.provider_random_padding(HEARTBEAT_MIN_PADDING)?;
        let mut body = Vec::new();
        HeartbeatMessage::request(payload.to_vec()).encode(&padding, &mut body);
        self.common.send_record(ContentType::Heartbeat, &body)
    }

    /// The payload of the oldest unread HeartbeatResponse.
    pub fn take_heartbeat_response(&mut self) -> Option<Vec<u8>> {
        self.common.heartbeat_responses.pop_front()
    }

    /// Keying material exporter (RFC 8446, 7.5; RFC 5705 for TLS 1.2): fills `out`
    /// with bytes both peers derive from this connection's secrets, `label` and
    /// `context` (in TLS 1.3 no context and an empty one are the same; in TLS 1.2
    /// they differ). `openssl s_client -keymatexport LABEL -keymatexportlen N`
    /// derives the same with no context. After the handshake only; TLS 1.2 only with
    /// the extended master secret (RFC 7627, 5.4).
    pub fn export_keying_material(
        &self,
        out: &mut [u8],
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<(), Error> {
        match (&self.common.exporter, self.common.handshake_complete) {
            (Some(exporter), true) => exporter.export(label, context, out),
            _ => Err(ApiError::HandshakeNotComplete {
                action: "export keying material",
            }
            .into()),
        }
    }

    /// What has been negotiated so far.
    pub fn negotiated(&self) -> &Negotiated {
        &self.common.negotiated
    }

    pub fn protocol_version(&self) -> Option<ProtocolVersion> {
        self.common.negotiated.version
    }

    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.common.negotiated.alpn.as_deref()
    }

    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        &self.common.negotiated.peer_certificates
    }

    /// The handshake state's name, for traces and errors.
    pub fn state_name(&self) -> &'static str {
        match &self.state {
            Some(s) => s.name(),
            None => "Failed",
        }
    }
}

/// Reads accepted 0-RTT data on a server: `WouldBlock` while more may arrive,
/// `Ok(0)` once the client sent EndOfEarlyData (or never sent any).
pub struct EarlyDataReader<'a> {
    conn: &'a mut Connection,
}

impl io::Read for EarlyDataReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let c = &mut self.conn.common;
        if !c.early_plaintext.is_empty() {
            let n = buf.len().min(c.early_plaintext.len());
            for (dst, src) in buf.iter_mut().zip(c.early_plaintext.drain(..n)) {
                *dst = src;
            }
            return Ok(n);
        }
        if c.receiving_early.is_some() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(0)
    }
}

/// Reads received plaintext; `WouldBlock` when none is buffered, `Ok(0)` after the
/// peer's close_notify.
pub struct PlaintextReader<'a> {
    conn: &'a mut Connection,
}

impl io::Read for PlaintextReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let c = &mut self.conn.common;
        if !c.received_plaintext.is_empty() {
            return Ok(c.take_plaintext(buf));
        }
        if c.close_notify_received {
            return Ok(0);
        }
        if let Some(e) = &c.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        Err(io::ErrorKind::WouldBlock.into())
    }
}

/// Writes plaintext: encrypted at once after the handshake, buffered (up to 64 KiB) before.
pub struct PlaintextWriter<'a> {
    conn: &'a mut Connection,
}

impl io::Write for PlaintextWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let c = &mut self.conn.common;
        if let Some(e) = &c.error {
            return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
        }
        if c.close_notify_sent {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                Error::Api(ApiError::AlreadyClosed),
            ));
        }
        if !c.handshake_complete {
            let room = MAX_EARLY_PLAINTEXT.saturating_sub(c.pending_plaintext.len());
            let n = room.min(buf.len());
            if n == 0 && !buf.is_empty() {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            c.pending_plaintext
                .extend_from_slice(buf.get(..n).unwrap_or_default());
            return Ok(n);
        }
        c.send_app_data(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
