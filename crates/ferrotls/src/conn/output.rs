//! What handshake states may do to their connection, and what they receive.
//!
//! A state handler gets the decoded message ([`Input`]) and an [`Output`]: the
//! narrow set of actions a handshake takes (send a message or a flight, install
//! keys, decide about early data, record what was negotiated, log secrets and
//! trace events). The connection applies them to its own state, which the states
//! never see.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::crypto::RandomSource;
use crate::error::Error;
use crate::exporter::ExporterSecret;
use crate::msgs::enums::SignatureScheme;
use crate::msgs::enums::{AlertDescription, KeyUpdateRequest, NamedGroup, ProtocolVersion};
use crate::msgs::{HandshakeMessage, HandshakeMessage12};
use crate::observe::{Event, KeyLog, Protection};
use crate::record::{RecordDecrypter, RecordEncrypter};
use crate::tls12::suites::Tls12CipherSuite;
use crate::tls13::key_schedule::TrafficSecret;
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::Transcript;

use super::common::CommonState;
pub(crate) use super::types::Flight;
use super::types::{ClientEarlyData, EchStatus, Negotiated};

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

/// A negotiated fact a state records (see [`Output::record`]); the connection
/// reports them through [`Negotiated`].
#[derive(Debug)]
pub(crate) enum Fact {
    /// TLS 1.3 with this suite and key exchange group.
    Tls13 {
        suite: &'static Tls13CipherSuite,
        group: NamedGroup,
    },
    /// TLS 1.2 with this suite, with or without the extended master secret.
    Tls12 {
        suite: &'static Tls12CipherSuite,
        extended_master_secret: bool,
    },
    /// The (TLS 1.2 ECDHE) key exchange group.
    Group(NamedGroup),
    /// The scheme of the peer's (or, on a server, our) handshake signature.
    SignatureScheme(Option<SignatureScheme>),
    Alpn(Option<Vec<u8>>),
    ServerName(Option<String>),
    /// Whether an earlier session was resumed.
    Resumed(bool),
    /// The identity of the external PSK the handshake authenticates with.
    ExternalPsk(Option<Vec<u8>>),
    /// The server answered the first ClientHello with HelloRetryRequest.
    HelloRetry,
    /// A client certificate was asked for (server) or sent (client).
    ClientAuth,
    Ech(EchStatus),
    /// The peer's certificate chain, as verified (or as the resumed session holds it).
    PeerCertificates(Vec<CertificateDer<'static>>),
    /// The client received a NewSessionTicket.
    TicketReceived,
    /// Whether the client offered post_handshake_auth (RFC 8446, 4.2.6).
    PostHandshakeAuthOffered(bool),
    /// A post-handshake CertificateRequest was sent (server) or received (client).
    PostHandshakeAuthRequest,
    /// A post-handshake CertificateRequest was answered, with a certificate or not.
    PostHandshakeAuthAnswered {
        authenticated: bool,
    },
}

/// The actions a handshake state may take on its connection. Each is applied at
/// once, in order, so what goes on the wire is what the state asked for.
pub(crate) struct Output<'a> {
    common: &'a mut CommonState,
}

impl<'a> Output<'a> {
    pub(super) fn new(common: &'a mut CommonState) -> Self {
        Output { common }
    }

    // Sending handshake messages.

    /// Encodes `msg`, adds it to the transcript, and queues it under the current keys.
    pub fn send_handshake(
        &mut self,
        msg: &HandshakeMessage,
        transcript: &mut Transcript,
    ) -> Result<(), Error> {
        self.common.send_handshake(msg, transcript)
    }

    /// Queues an already-encoded handshake message (the caller did the transcript).
    pub fn send_handshake_raw(&mut self, msg: &HandshakeMessage, raw: &[u8]) -> Result<(), Error> {
        self.common.send_handshake_raw(msg, raw)
    }

    /// Queues a TLS 1.2 handshake message; the caller does the transcript.
    pub fn send_handshake12(&mut self, msg: &HandshakeMessage12, raw: &[u8]) -> Result<(), Error> {
        self.common.send_handshake12(msg, raw)
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
        self.common.add_to_flight(flight, msg, transcript);
    }

    /// [`Self::add_to_flight`] for a post-handshake message, which no transcript covers.
    pub fn add_ticket_to_flight(&self, flight: &mut Flight, msg: &HandshakeMessage) {
        self.common.add_ticket_to_flight(flight, msg);
    }

    /// Sends the messages of `flight` under the current keys, sharing records.
    pub fn send_flight(&mut self, flight: Flight) -> Result<(), Error> {
        self.common.send_flight(flight)
    }

    /// Sends a change_cipher_spec record (TLS 1.2's key switch).
    pub fn send_ccs(&mut self) {
        self.common.send_ccs();
    }

    /// RFC 8446, D.4: the middlebox-compatibility change_cipher_spec, sent at most once.
    pub fn send_compat_ccs(&mut self) {
        self.common.send_compat_ccs();
    }

    /// Sends a warning alert (TLS 1.2's no_renegotiation).
    pub fn send_warning(&mut self, description: AlertDescription) {
        self.common.send_warning(description);
    }

    /// The first ClientHello record carries version 0x0301 for compatibility (RFC 8446, 5.1).
    pub fn set_initial_record_version(&mut self, v: ProtocolVersion) {
        self.common.set_initial_record_version(v);
    }

    /// RFC 8446, 5: from now until the handshake completes, a plaintext
    /// change_cipher_spec from the peer is ignored.
    pub fn allow_ccs(&mut self) {
        self.common.ccs_allowed = true;
    }

    /// Whether we sent close_notify: nothing more may be sent (RFC 8446, 6.1).
    pub fn close_notify_sent(&self) -> bool {
        self.common.close_notify_sent()
    }

    // Keys.

    /// Installs TLS 1.3 keys for what we send next.
    pub fn install_encrypter(
        &mut self,
        suite: &'static Tls13CipherSuite,
        secret: &TrafficSecret,
        protection: Protection,
    ) -> Result<(), Error> {
        self.common.install_encrypter(suite, secret, protection)
    }

    /// Installs TLS 1.3 keys for what we receive next.
    pub fn install_decrypter(
        &mut self,
        suite: &'static Tls13CipherSuite,
        secret: &TrafficSecret,
        protection: Protection,
    ) -> Result<(), Error> {
        self.common.install_decrypter(suite, secret, protection)
    }

    /// Switches what we send next to `enc` (TLS 1.2's ChangeCipherSpec, 0-RTT's key).
    pub fn set_encrypter(&mut self, enc: Box<dyn RecordEncrypter>, protection: Protection) {
        self.common.set_encrypter(enc, protection);
    }

    /// Switches what we receive next to `dec`.
    pub fn set_decrypter(&mut self, dec: Box<dyn RecordDecrypter>, protection: Protection) {
        self.common.set_decrypter(dec, protection);
    }

    /// Takes the current encrypter (the client's 0-RTT one, to send EndOfEarlyData later).
    pub fn take_encrypter(&mut self) -> Option<(Box<dyn RecordEncrypter>, Protection)> {
        self.common.take_encrypter()
    }

    /// The handshake is done: the application traffic keys are installed, these
    /// secrets kept for KeyUpdate (RFC 8446, 4.6.3).
    pub fn start_traffic(&mut self, send: TrafficSecret, recv: TrafficSecret) -> Result<(), Error> {
        self.common.start_traffic(send, recv)
    }

    /// The (TLS 1.2) handshake is done: application data written meanwhile goes out.
    pub fn finish_handshake(&mut self) -> Result<(), Error> {
        self.common.finish_handshake()
    }

    /// The traffic secret we currently send under, after the handshake.
    pub fn send_traffic_secret(&self) -> Option<&TrafficSecret> {
        self.common.send_traffic_secret()
    }

    /// The traffic secret the peer currently sends under, after the handshake.
    pub fn recv_traffic_secret(&self) -> Option<&TrafficSecret> {
        self.common.recv_traffic_secret()
    }

    /// A received KeyUpdate (RFC 8446, 4.6.3): the next receiving keys, and our
    /// own update when asked for.
    pub fn receive_key_update(&mut self, request: KeyUpdateRequest) -> Result<(), Error> {
        self.common.receive_key_update(request)
    }

    // Early data (RFC 8446, 2.3 and 4.2.10).

    /// Client: 0-RTT data may be written, up to `max` bytes, until the ServerHello.
    pub fn offer_early_data(&mut self, max: usize) {
        self.common.early = ClientEarlyData::Offered {
            max,
            sent: Vec::new(),
        };
    }

    /// Client: what became of our 0-RTT data so far.
    pub fn early_data(&self) -> &ClientEarlyData {
        &self.common.early
    }

    /// Client: the ServerHello arrived, so no more 0-RTT data can be written.
    pub fn early_data_sent(&mut self) {
        self.common.early_data_sent();
    }

    /// Client: the server said whether it accepted 0-RTT data.
    pub fn early_data_answered(&mut self, accepted: bool) {
        self.common.early_data_answered(accepted);
    }

    /// Server: 0-RTT data was accepted; up to `max` bytes may arrive.
    pub fn accept_early_data(&mut self, max: usize) {
        self.common.accept_early_data(max);
    }

    /// Server: EndOfEarlyData arrived.
    pub fn end_early_data(&mut self) {
        self.common.end_early_data();
    }

    /// Server: skip up to `budget` bytes of rejected 0-RTT records.
    pub fn skip_early_data(&mut self, budget: usize) {
        self.common.skip_early_data(budget);
    }

    // What was negotiated.

    /// Records a negotiated fact.
    pub fn record(&mut self, fact: Fact) {
        let n = &mut self.common.negotiated;
        match fact {
            Fact::Tls13 { suite, group } => {
                n.version = Some(ProtocolVersion::TLSv1_3);
                n.suite = Some(suite);
                n.cipher_suite = Some(suite.suite);
                n.group = Some(group);
            }
            Fact::Tls12 {
                suite,
                extended_master_secret,
            } => {
                n.version = Some(ProtocolVersion::TLSv1_2);
                n.cipher_suite = Some(suite.suite);
                n.suite12 = Some(suite);
                n.extended_master_secret = extended_master_secret;
            }
            Fact::Group(group) => n.group = Some(group),
            Fact::SignatureScheme(scheme) => n.signature_scheme = scheme,
            Fact::Alpn(alpn) => n.alpn = alpn,
            Fact::ServerName(name) => n.server_name = name,
            Fact::Resumed(resumed) => n.resumed = resumed,
            Fact::ExternalPsk(identity) => n.external_psk = identity,
            Fact::HelloRetry => n.hello_retry = true,
            Fact::ClientAuth => n.client_auth = true,
            Fact::Ech(status) => n.ech = status,
            Fact::PeerCertificates(chain) => n.peer_certificates = chain,
            Fact::TicketReceived => n.tickets_received += 1,
            Fact::PostHandshakeAuthOffered(offered) => n.post_handshake_auth.offered = offered,
            Fact::PostHandshakeAuthRequest => n.post_handshake_auth.requests += 1,
            Fact::PostHandshakeAuthAnswered { authenticated } => {
                n.post_handshake_auth.answered += 1;
                n.post_handshake_auth.authenticated += usize::from(authenticated);
            }
        }
    }

    /// What was negotiated so far.
    pub fn negotiated(&self) -> &Negotiated {
        &self.common.negotiated
    }

    /// What keying material is exported from (RFC 8446, 7.5; RFC 5705).
    pub fn set_exporter(&mut self, exporter: ExporterSecret) {
        self.common.exporter = Some(exporter);
    }

    /// TLS 1.2: we answer the peer's heartbeat requests (RFC 6520), with padding
    /// from `random`.
    pub fn answer_heartbeats(&mut self, random: Arc<dyn RandomSource>) {
        self.common.heartbeat = true;
        self.common.random = Some(random);
    }

    /// TLS 1.2: whether the peer lets us send heartbeat requests (RFC 6520, 2).
    pub fn allow_heartbeat_requests(&mut self, allowed: bool) {
        self.common.heartbeat_may_send = allowed;
    }

    // Secrets and trace events.

    /// Where secrets are logged, and the client random that names the connection there.
    pub fn set_key_log(&mut self, key_log: Option<Arc<dyn KeyLog>>, client_random: [u8; 32]) {
        self.common.key_log = key_log;
        self.common.client_random = client_random;
    }

    /// Logs a secret to the key log and the observer.
    pub fn log_secret(&self, label: &'static str, secret: &[u8]) {
        self.common.log_secret(label, secret);
    }

    /// Whether an observer receives events (so work done only to report them can
    /// be skipped).
    pub fn observed(&self) -> bool {
        self.common.observed()
    }

    /// Reports `event` to the observer.
    pub fn emit(&self, event: Event<'_>) {
        self.common.emit(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls13::suites::TLS13_AES_128_GCM_SHA256;

    #[test]
    fn recorded_facts_are_what_negotiated_reports() {
        let mut common = CommonState::new(None);
        let mut out = Output::new(&mut common);
        let suite = &TLS13_AES_128_GCM_SHA256;
        out.record(Fact::Tls13 {
            suite,
            group: NamedGroup::X25519,
        });
        out.record(Fact::TicketReceived);
        out.record(Fact::TicketReceived);
        out.record(Fact::PostHandshakeAuthRequest);
        out.record(Fact::PostHandshakeAuthRequest);
        out.record(Fact::PostHandshakeAuthAnswered {
            authenticated: true,
        });
        out.record(Fact::PostHandshakeAuthAnswered {
            authenticated: false,
        });
        out.record(Fact::Alpn(Some(b"h2".to_vec())));
        let n = out.negotiated();
        assert_eq!(n.version, Some(ProtocolVersion::TLSv1_3));
        assert_eq!(n.cipher_suite, Some(suite.suite));
        assert!(n.suite.is_some_and(|s| s.suite == suite.suite));
        assert_eq!(n.group, Some(NamedGroup::X25519));
        assert_eq!(n.tickets_received, 2);
        let auth = n.post_handshake_auth;
        assert_eq!(
            (auth.requests, auth.answered, auth.authenticated),
            (2, 2, 1)
        );
        assert_eq!(auth.pending(), 0);
        assert_eq!(n.alpn.as_deref(), Some(&b"h2"[..]));
    }
}
