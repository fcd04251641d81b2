//! The connection core: bytes in, bytes out, plaintext in between.
//!
//! ```text
//! feed_tls/read_tls -> Deframer -> Decrypter13 | Decrypter12 -> HandshakeJoiner
//!                   -> msgs decode -> Input
//!                   -> HandshakeState::{Client, Server}.handle(Input, &mut Output)
//!                        client::hello / server::hello, then tls13:: or tls12:: states
//!                   -> Output: messages and flights, keys, early data, Fact, secrets
//!                        (applied at once to CommonState, which only conn sees)
//!                      Decrypter -> application data -> plaintext buffer -> reader()
//! writer()/Output   -> Encrypter13 | Encrypter12 -> send buffer -> write_tls/pending_tls
//! ```
//!
//! `mod.rs` is the record loop; `output.rs` is everything a handshake state may
//! do (and the `Input` it receives); `common.rs` the state behind it; `types.rs`
//! the public types (`Negotiated`, `EchStatus`, `ClientEarlyData`, `IoState`, the
//! readers and writer), re-exported here.
//!
//! Bulk data is not copied on its way through: records are sealed straight from the
//! caller's plaintext into the send buffer, and opened straight from the received
//! bytes into the plaintext buffer (after the handshake, `feed_tls` decrypts whole
//! application-data records from the caller's slice without buffering them first).
//!
//! After the first fatal error the connection stays failed: every later call returns
//! that same error.

mod common;
pub(crate) mod output;
mod pause;
pub(crate) mod types;

pub use types::{
    ClientEarlyData, EarlyDataReader, EchStatus, IoState, Negotiated, PlaintextReader,
    PlaintextWriter, PostHandshakeAuth,
};

use std::io;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::codec::{Codec, Reader};
use crate::error::{ApiError, Error, RecordError};
use crate::msgs::alert::AlertMessage;
use crate::msgs::enums::{
    AlertDescription, AlertLevel, ContentType, HandshakeType, KeyUpdateRequest, ProtocolVersion,
};
use crate::msgs::HandshakeMessage;
use crate::observe::{Direction, Event, Observer, Protection};
use crate::record::deframer::{Deframer, OpaqueRecord};
use crate::record::joiner::HandshakeJoiner;
use crate::record::Opened;

use common::CommonState;
pub(crate) use output::{HsMessage, HsMessage12, Input, Output};

/// RFC 8446, 5.1: the most plaintext one record may carry.
pub const MAX_FRAGMENT_LEN: usize = 1 << 14;
/// How much application data may be buffered before the handshake completes.
const MAX_EARLY_PLAINTEXT: usize = 64 * 1024;
/// How many empty application-data records or CCS records we tolerate in a row.
const MAX_EMPTY_RECORDS: u32 = 32;
/// `feed_tls` decrypts application data straight from the caller's bytes until this
/// much plaintext waits to be read (then it buffers at most one record, as before).
/// Small enough that the plaintext is still in cache when the reader copies it out.
const DECRYPT_AHEAD_LIMIT: usize = 32 * 1024;

#[derive(Debug)]
pub(crate) enum HandshakeState {
    Client(crate::client::hello::ClientState),
    Server(crate::server::hello::ServerState),
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
        let out = &mut Output::new(common);
        Ok(match self {
            HandshakeState::Client(s) => HandshakeState::Client(s.handle(out, input)?),
            HandshakeState::Server(s) => HandshakeState::Server(s.handle(out, input)?),
        })
    }

    /// The operation the state waits for, if it is paused (see `crate::pause`).
    fn operation(&self) -> Option<&crate::pause::Operation> {
        match self {
            HandshakeState::Client(s) => s.operation(),
            HandshakeState::Server(s) => s.operation(),
        }
    }

    /// Resumes a paused state with the answer to its operation, through the same
    /// output as a message.
    fn resume(
        self,
        common: &mut CommonState,
        completion: crate::pause::Completion,
    ) -> Result<Self, Error> {
        let out = &mut Output::new(common);
        Ok(match self {
            HandshakeState::Client(s) => HandshakeState::Client(s.resume(out, completion)?),
            HandshakeState::Server(s) => HandshakeState::Server(s.resume(out, completion)?),
        })
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
    common: CommonState,
    state: Option<HandshakeState>,
    deframer: Deframer,
    joiner: HandshakeJoiner,
}

impl Connection {
    /// Starts the handshake with `start`, which may send the first flight through
    /// its output and returns the first state.
    pub(crate) fn start(
        &mut self,
        start: impl FnOnce(&mut Output<'_>) -> Result<HandshakeState, Error>,
    ) -> Result<(), Error> {
        let state = start(&mut Output::new(&mut self.common))?;
        self.state = Some(state);
        Ok(())
    }

    /// Server: whether 0-RTT data was accepted on this connection.
    pub(crate) fn early_data_accepted_by_server(&self) -> bool {
        self.common.early_data_accepted_by_server()
    }

    /// Server: sends a post-handshake CertificateRequest (RFC 8446, 4.6.2).
    pub(crate) fn request_client_certificate(&mut self) -> Result<(), Error> {
        self.check_post_handshake_send("request a client certificate")?;
        match &mut self.state {
            Some(HandshakeState::Server(state)) => {
                state.request_client_certificate(&mut Output::new(&mut self.common))
            }
            _ => Err(ApiError::AlreadyFailed.into()),
        }
    }

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
    fn fail(&mut self, e: Error) -> Error {
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
        self.common.ccs_seen = self.common.ccs_seen.saturating_add(1);
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
    /// the operation it paused on); both go through the same output.
    fn run_state(
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
                        count: self.common.empty_records as usize,
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
