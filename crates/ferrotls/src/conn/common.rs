//! The connection's state that handshake states act on, through their
//! `Output` (in `output.rs`): record protection, the send and receive
//! buffers, early data, traffic secrets, and what was negotiated. Only the `conn`
//! module sees its fields.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::codec::Codec;
use crate::error::{ApiError, Error, RecordError};
use crate::exporter::ExporterSecret;
use crate::msgs::alert::AlertMessage;
use crate::msgs::enums::{
    AlertDescription, AlertLevel, ContentType, KeyUpdateRequest, ProtocolVersion,
};
use crate::msgs::{HandshakeMessage, HandshakeMessage12, HandshakePayload, KeyUpdate};
use crate::observe::{Direction, Event, KeyLog, Observer, Protection};
use crate::record::buffers::{PlaintextBuffer, SendBuffer};
use crate::record::protect::{Decrypter13, Encrypter13};
use crate::record::{RecordDecrypter, RecordEncrypter};
use crate::tls13::key_schedule::TrafficSecret;
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::Transcript;

use super::types::{ClientEarlyData, Flight, Negotiated};
use super::{MAX_EMPTY_RECORDS, MAX_FRAGMENT_LEN};

/// State shared by both sides and every handshake state.
#[derive(Debug)]
pub(crate) struct CommonState {
    pub(super) negotiated: Negotiated,
    pub(super) observer: Option<Arc<dyn Observer>>,
    pub(super) key_log: Option<Arc<dyn KeyLog>>,
    pub(super) client_random: [u8; 32],
    pub(super) encrypter: Option<(Box<dyn RecordEncrypter>, Protection)>,
    pub(super) decrypter: Option<(Box<dyn RecordDecrypter>, Protection)>,
    /// The current traffic secrets after the handshake, for KeyUpdate (RFC 8446, 7.2).
    pub(super) send_secret: Option<TrafficSecret>,
    pub(super) recv_secret: Option<TrafficSecret>,
    /// Bumped whenever receive keys change, to detect messages spanning a key change.
    pub(super) recv_epoch: u64,
    /// Record version for plaintext records: 0x0301 for the first ClientHello.
    pub(super) plain_record_version: ProtocolVersion,
    pub(super) outgoing: SendBuffer,
    pub(super) received_plaintext: PlaintextBuffer,
    pub(super) pending_plaintext: Vec<u8>,
    pub(super) handshake_complete: bool,
    /// Server: accepted 0-RTT data may still arrive, up to this many bytes.
    pub(super) receiving_early: Option<usize>,
    /// Server: rejected 0-RTT data to skip, up to this many bytes (RFC 8446, 4.2.10).
    pub(super) skipping_early: usize,
    pub(super) early_plaintext: VecDeque<u8>,
    pub(super) early_accepted: bool,
    pub(super) compat_ccs_sent: bool,
    /// Client: the state of 0-RTT data.
    pub(super) early: ClientEarlyData,
    /// What keying material is exported from, once the handshake derived it.
    pub(super) exporter: Option<ExporterSecret>,
    /// TLS 1.2: we agreed to answer heartbeat requests (RFC 6520).
    pub(super) heartbeat: bool,
    /// TLS 1.2: the peer lets us send heartbeat requests.
    pub(super) heartbeat_may_send: bool,
    pub(super) heartbeat_responses: VecDeque<Vec<u8>>,
    /// The configuration's random source, for heartbeat padding.
    pub(super) random: Option<Arc<dyn crate::crypto::RandomSource>>,
    /// RFC 8446, 5: a plaintext CCS may arrive between the first ClientHello and the
    /// peer's Finished; states clear this once it may no longer.
    pub(super) ccs_allowed: bool,
    /// ChangeCipherSpec records received (u32, with the next counter, keeps the
    /// connection as small as before the handshake states were split by version).
    pub(super) ccs_seen: u32,
    /// Empty records in a row; refused past `MAX_EMPTY_RECORDS`.
    pub(super) empty_records: u32,
    pub(super) close_notify_sent: bool,
    pub(super) close_notify_received: bool,
    pub(super) error: Option<Error>,
}

impl CommonState {
    pub(super) fn new(observer: Option<Arc<dyn Observer>>) -> Self {
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

    pub(super) fn is_tls12(&self) -> bool {
        self.negotiated.version == Some(ProtocolVersion::TLSv1_2)
    }

    /// Queues a TLS 1.2 handshake message under the current keys; the caller does the transcript.
    pub(super) fn send_handshake12(
        &mut self,
        msg: &HandshakeMessage12,
        raw: &[u8],
    ) -> Result<(), Error> {
        self.emit(Event::Message12 {
            direction: Direction::Sent,
            protection: self.send_protection(),
            message: msg,
            raw,
        });
        self.send_record(ContentType::Handshake, raw)
    }

    /// Sends a warning alert (TLS 1.2's no_renegotiation).
    pub(super) fn send_warning(&mut self, description: AlertDescription) {
        self.send_alert(AlertLevel::Warning, description);
    }

    /// The first ClientHello record carries version 0x0301 for compatibility (RFC 8446, 5.1).
    pub(super) fn set_initial_record_version(&mut self, v: ProtocolVersion) {
        self.plain_record_version = v;
    }

    /// Whether an observer receives events (so work done only to report them can
    /// be skipped).
    pub(super) fn observed(&self) -> bool {
        self.observer.is_some()
    }

    pub(super) fn emit(&self, event: Event<'_>) {
        if let Some(o) = &self.observer {
            o.event(&event);
        }
    }

    /// Logs a secret to the key log and the observer.
    pub(super) fn log_secret(&self, label: &'static str, secret: &[u8]) {
        if let Some(k) = &self.key_log {
            k.log(label, &self.client_random, secret);
        }
        self.emit(Event::Secret { label, secret });
    }

    pub(super) fn send_protection(&self) -> Protection {
        self.encrypter
            .as_ref()
            .map(|(_, p)| *p)
            .unwrap_or(Protection::Plaintext)
    }

    /// Encodes `msg`, adds it to the transcript, and queues it under the current keys.
    pub(super) fn send_handshake(
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
    pub(super) fn add_to_flight(
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
    pub(super) fn add_ticket_to_flight(&self, flight: &mut Flight, msg: &HandshakeMessage) {
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
    pub(super) fn send_flight(&mut self, flight: Flight) -> Result<(), Error> {
        if flight.bytes.is_empty() {
            return Ok(());
        }
        self.send_record(ContentType::Handshake, &flight.bytes)
    }

    /// Queues an already-encoded handshake message (the caller did the transcript).
    pub(super) fn send_handshake_raw(
        &mut self,
        msg: &HandshakeMessage,
        raw: &[u8],
    ) -> Result<(), Error> {
        self.emit(Event::Message {
            direction: Direction::Sent,
            protection: self.send_protection(),
            message: msg,
            raw,
        });
        self.send_record(ContentType::Handshake, raw)
    }

    /// RFC 8446, D.4: the middlebox-compatibility change_cipher_spec, sent at most once.
    pub(super) fn send_compat_ccs(&mut self) {
        if !self.compat_ccs_sent {
            self.compat_ccs_sent = true;
            self.send_ccs();
        }
    }

    /// Sends a change_cipher_spec record (TLS 1.2's key switch; TLS 1.3's compatibility one).
    pub(super) fn send_ccs(&mut self) {
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

    pub(super) fn send_record(&mut self, typ: ContentType, payload: &[u8]) -> Result<(), Error> {
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

    pub(super) fn send_alert(&mut self, level: AlertLevel, description: AlertDescription) {
        self.emit(Event::Alert {
            direction: Direction::Sent,
            description,
        });
        let body = AlertMessage { level, description }.to_bytes();
        // Failing to encrypt an alert leaves nothing better to send.
        let _ = self.send_record(ContentType::Alert, &body);
    }

    /// Installs keys for what we send next.
    pub(super) fn install_encrypter(
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
    pub(super) fn set_encrypter(&mut self, enc: Box<dyn RecordEncrypter>, protection: Protection) {
        self.encrypter = Some((enc, protection));
    }

    /// Switches what we receive next to `dec`.
    pub(super) fn set_decrypter(&mut self, dec: Box<dyn RecordDecrypter>, protection: Protection) {
        self.decrypter = Some((dec, protection));
        self.recv_epoch += 1;
    }

    /// Installs keys for what we receive next.
    pub(super) fn install_decrypter(
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
    pub(super) fn send_traffic_secret(&self) -> Option<&TrafficSecret> {
        self.send_secret.as_ref()
    }

    /// The traffic secret the peer currently sends under, after the handshake.
    pub(super) fn recv_traffic_secret(&self) -> Option<&TrafficSecret> {
        self.recv_secret.as_ref()
    }

    /// Whether we sent close_notify: nothing more may be sent (RFC 8446, 6.1).
    pub(super) fn close_notify_sent(&self) -> bool {
        self.close_notify_sent
    }

    /// Called by a state when the handshake is done: application traffic keys are
    /// installed by the caller, the secrets kept here for KeyUpdate.
    pub(super) fn start_traffic(
        &mut self,
        send: TrafficSecret,
        recv: TrafficSecret,
    ) -> Result<(), Error> {
        self.send_secret = Some(send);
        self.recv_secret = Some(recv);
        self.finish_handshake()
    }

    /// Marks the handshake complete and sends application data written meanwhile.
    pub(super) fn finish_handshake(&mut self) -> Result<(), Error> {
        self.handshake_complete = true;
        self.ccs_allowed = false;
        let pending = std::mem::take(&mut self.pending_plaintext);
        self.send_app_data(&pending)
    }

    pub(super) fn send_app_data(&mut self, data: &[u8]) -> Result<(), Error> {
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
    pub(super) fn send_key_update(&mut self, request: KeyUpdateRequest) -> Result<(), Error> {
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
    pub(super) fn receive_key_update(&mut self, request: KeyUpdateRequest) -> Result<(), Error> {
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
    pub(super) fn accept_early_data(&mut self, max: usize) {
        self.receiving_early = Some(max);
        self.early_accepted = true;
    }

    /// Server: whether 0-RTT data was accepted on this connection.
    pub(super) fn early_data_accepted_by_server(&self) -> bool {
        self.early_accepted
    }

    /// Server: EndOfEarlyData arrived.
    pub(super) fn end_early_data(&mut self) {
        self.receiving_early = None;
    }

    /// Server: skip up to `budget` bytes of rejected 0-RTT records.
    pub(super) fn skip_early_data(&mut self, budget: usize) {
        self.skipping_early = budget;
    }

    pub(super) fn receive_early_data(&mut self, data: &[u8]) -> Result<(), Error> {
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
    pub(super) fn write_early_data(&mut self, data: &[u8]) -> Result<usize, Error> {
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
    pub(super) fn early_data_sent(&mut self) {
        if let ClientEarlyData::Offered { sent, .. } = &mut self.early {
            self.early = ClientEarlyData::Sent {
                sent: std::mem::take(sent),
            };
        }
    }

    /// Client: the server said whether it accepted 0-RTT data. Rejected data is
    /// queued to be sent again once the handshake completes.
    pub(super) fn early_data_answered(&mut self, accepted: bool) {
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
    pub(super) fn take_encrypter(&mut self) -> Option<(Box<dyn RecordEncrypter>, Protection)> {
        self.encrypter.take()
    }

    /// RFC 6520, 4: answer a request with exactly its payload; silently discard
    /// responses and anything whose payload_length does not fit the record.
    pub(super) fn process_heartbeat(&mut self, record: &[u8]) -> Result<(), Error> {
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

    pub(super) fn provider_random_padding(&self, len: usize) -> Result<Vec<u8>, Error> {
        let mut padding = vec![0u8; len];
        if let Some(random) = &self.random {
            random.fill(&mut padding)?;
        }
        Ok(padding)
    }

    pub(super) fn take_plaintext(&mut self, buf: &mut [u8]) -> usize {
        self.received_plaintext.read(buf)
    }

    /// Application data of `len` bytes arrived: a run of empty records is refused.
    pub(super) fn count_empty_records(&mut self, len: usize) -> Result<(), Error> {
        if len > 0 {
            self.empty_records = 0;
            return Ok(());
        }
        self.empty_records += 1;
        if self.empty_records > MAX_EMPTY_RECORDS {
            return Err(RecordError::TooManyEmptyRecords {
                count: self.empty_records as usize,
            }
            .into());
        }
        Ok(())
    }
}
