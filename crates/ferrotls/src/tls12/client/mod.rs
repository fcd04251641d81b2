//! TLS 1.2 client handshake states (RFC 5246, 7.3; RFC 5077; RFC 7627; RFC 5746).
//!
//! ```text
//! ServerHello -> ExpectCertificate -> ExpectServerKeyExchange (ECDHE only)
//!             -> ExpectServerHelloDone -> [our Certificate], ClientKeyExchange, CCS, Finished
//!             -> ExpectNewTicket (if acknowledged) -> ExpectCcs -> ExpectFinished -> Connected
//! ServerHello resuming our session -> ExpectNewTicket/ExpectCcs -> ExpectFinished
//!             -> CCS, Finished -> Connected
//! ```

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName};

use crate::client::{ClientConfig, Tls12Session, MAX_TICKET_LEN};
use crate::conn::output::{Fact, Input, Output};
use crate::crypto::{rsa_kx, tls12 as kx12};
use crate::error::illegal;
use crate::error::{CertificateError, Error, NoCommon, PeerMisbehaved};
use crate::msgs::enums::{
    AlertDescription, ECPointFormat, HeartbeatMode, ProtocolVersion, SignatureScheme,
};
use crate::msgs::{
    Certificate12, ClientKeyExchange, Finished, HandshakePayload12, ServerExtension, ServerHello,
    ServerKeyExchangeEcdhe,
};
use crate::observe::Protection;
use crate::pause::{Completion, Operation, ServerCertRequest, SignRequest};
use crate::pki::ServerCertVerified;
use crate::proof::{check_signature, SignatureChecked};
use crate::record::protect12::{Decrypter12, Encrypter12};
use crate::tls12::prf::{self, MasterSecret};
use crate::tls12::suites::KeyExchangeAlgorithm;
use crate::tls12::{scheme_matches, tls12_schemes, HandshakeCore};

mod flight;

use flight::{AwaitSignature, ExpectServerHelloDone};

/// Where a TLS 1.2 client is in the handshake.
#[derive(Debug)]
pub(crate) enum ClientState12 {
    ExpectCertificate(Box<Handshake>),
    ExpectCertificateStatus(Box<ExpectCertificateStatus>),
    ExpectServerKeyExchange(Box<ExpectServerKeyExchange>),
    ExpectServerHelloDone(Box<ExpectServerHelloDone>),
    ExpectNewTicket(Box<ExpectCcs>),
    ExpectCcs(Box<ExpectCcs>),
    ExpectFinished(Box<ExpectFinished>),
    Connected(Box<Connected>),
    /// Paused: the caller verifies the server's chain (`crate::pause`).
    AwaitServerCertVerification(Box<AwaitServerCertVerification>),
    /// Paused: a remote key signs our CertificateVerify (`crate::pause`).
    AwaitSignature(Box<AwaitSignature>),
}

impl ClientState12 {
    /// The operation a paused state waits for.
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            ClientState12::AwaitServerCertVerification(s) => Some(&s.operation),
            ClientState12::AwaitSignature(s) => Some(&s.operation),
            _ => None,
        }
    }

    /// Resumes a paused state with the answer to its operation.
    pub fn resume(self, out: &mut Output<'_>, completion: Completion) -> Result<Self, Error> {
        match self {
            ClientState12::AwaitServerCertVerification(s) => s.resume(out, completion),
            ClientState12::AwaitSignature(s) => s.resume(out, completion),
            _ => Err(crate::error::ApiError::NoOperationPending.into()),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ClientState12::ExpectCertificate(_) => "TLS 1.2 ExpectCertificate",
            ClientState12::ExpectCertificateStatus(_) => "TLS 1.2 ExpectCertificateStatus",
            ClientState12::ExpectServerKeyExchange(_) => "TLS 1.2 ExpectServerKeyExchange",
            ClientState12::ExpectServerHelloDone(_) => "TLS 1.2 ExpectServerHelloDone",
            ClientState12::ExpectNewTicket(_) => "TLS 1.2 ExpectNewSessionTicket",
            ClientState12::ExpectCcs(_) => "TLS 1.2 ExpectChangeCipherSpec",
            ClientState12::ExpectFinished(_) => "TLS 1.2 ExpectFinished",
            ClientState12::Connected(_) => "TLS 1.2 Connected",
            ClientState12::AwaitServerCertVerification(_) => "TLS 1.2 AwaitServerCertVerification",
            ClientState12::AwaitSignature(_) => "TLS 1.2 AwaitSignature",
        }
    }

    pub fn handle(self, out: &mut Output<'_>, input: Input) -> Result<Self, Error> {
        // RFC 6066, 8: CertificateStatus may be skipped even when acknowledged.
        let this = match self {
            ClientState12::ExpectCertificateStatus(s) => match &input {
                Input::Tls12(m) => match &m.parsed.payload {
                    HandshakePayload12::CertificateStatus(cs) => {
                        let ocsp = cs.ocsp_response.clone();
                        let mut s = s;
                        s.hs.record(&m.raw);
                        return s.verify(out, &ocsp);
                    }
                    _ => s.verify(out, &[])?,
                },
                _ => s.verify(out, &[])?,
            },
            other => other,
        };
        if let ClientState12::AwaitServerCertVerification(mut paused) = this {
            // The message after the chain waits with it for the verdict.
            paused.held = Some(input);
            return Ok(ClientState12::AwaitServerCertVerification(paused));
        }
        this.handle_next(out, input)
    }

    fn handle_next(self, out: &mut Output<'_>, input: Input) -> Result<Self, Error> {
        // RFC 5246, 7.4.1.1: a HelloRequest while negotiating is ignored, and it is
        // not part of the handshake hash; afterwards it is refused (below).
        if let Input::Tls12(m) = &input {
            if matches!(m.parsed.payload, HandshakePayload12::HelloRequest)
                && !matches!(self, ClientState12::Connected(_))
            {
                return Ok(self);
            }
        }
        let state = self.name();
        let got = input.name();
        let unexpected = || Error::UnexpectedMessage { state, got };
        let (payload, raw) = match input {
            Input::Tls12(m) => (Some(m.parsed.payload), m.raw),
            Input::ChangeCipherSpec => (None, Vec::new()),
            Input::Tls13(_) => return Err(unexpected()),
        };
        match (self, payload) {
            (ClientState12::ExpectCertificate(s), Some(HandshakePayload12::Certificate(c))) => {
                s.handle_certificate(out, c, &raw)
            }
            (
                ClientState12::ExpectServerKeyExchange(s),
                Some(HandshakePayload12::ServerKeyExchange(ske)),
            ) => s.handle(out, ske, &raw),
            (
                ClientState12::ExpectServerHelloDone(mut s),
                Some(HandshakePayload12::CertificateRequest(cr)),
            ) if s.cert_requested.is_none() => {
                s.cert_requested = Some(cr.schemes);
                s.hs.record(&raw);
                out.record(Fact::ClientAuth);
                Ok(ClientState12::ExpectServerHelloDone(s))
            }
            (
                ClientState12::ExpectServerHelloDone(s),
                Some(HandshakePayload12::ServerHelloDone),
            ) => s.handle(out, &raw),
            (
                ClientState12::ExpectNewTicket(mut s),
                Some(HandshakePayload12::NewSessionTicket(t)),
            ) => {
                s.hs.transcript.update(&raw);
                // A ticket too long to offer again (see MAX_TICKET_LEN) is dropped, as if
                // the server had sent an empty one (RFC 5077, 3.3); a session ID may remain.
                let usable = t.ticket.len() <= MAX_TICKET_LEN;
                s.new_ticket = Some(if usable { t.ticket } else { Vec::new() });
                Ok(ClientState12::ExpectCcs(s))
            }
            // RFC 5077, 3.3: an acknowledged ticket must arrive before ChangeCipherSpec.
            (ClientState12::ExpectCcs(s), None) => {
                out.set_decrypter(s.decrypter, Protection::Handshake);
                Ok(ClientState12::ExpectFinished(Box::new(ExpectFinished {
                    hs: s.hs,
                    master: s.master,
                    encrypter: s.encrypter,
                    new_ticket: s.new_ticket,
                    old_ticket: s.old_ticket,
                    _server: s.server,
                })))
            }
            (ClientState12::ExpectFinished(s), Some(HandshakePayload12::Finished(f))) => {
                s.handle(out, f, &raw)
            }
            // RFC 5746, 4.2 and RFC 5246, 7.4.1.1: renegotiation is refused with a warning.
            (ClientState12::Connected(s), Some(HandshakePayload12::HelloRequest)) => {
                out.send_warning(AlertDescription::NoRenegotiation);
                Ok(ClientState12::Connected(s))
            }
            (_, _) => Err(unexpected()),
        }
    }
}

/// What every TLS 1.2 client state carries.
#[derive(Debug)]
pub(crate) struct Handshake {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    core: HandshakeCore,
    ticket_acked: bool,
    /// The server acknowledged status_request: a CertificateStatus may follow.
    status_acked: bool,
    /// The session ID the server assigned (empty when it keeps no cache).
    session_id: Vec<u8>,
}

impl core::ops::Deref for Handshake {
    type Target = HandshakeCore;
    fn deref(&self) -> &HandshakeCore {
        &self.core
    }
}

impl core::ops::DerefMut for Handshake {
    fn deref_mut(&mut self) -> &mut HandshakeCore {
        &mut self.core
    }
}

fn unsolicited(message: &'static str, ext: &ServerExtension) -> Error {
    PeerMisbehaved::UnsolicitedExtension {
        message,
        extension: ext.ext_type().to_string(),
    }
    .into()
}

/// What the client offered, as the TLS 1.3 hello code hands it over.
#[derive(Debug)]
pub(crate) struct Offer {
    pub config: Arc<ClientConfig>,
    pub server_name: ServerName<'static>,
    pub sent_sni: bool,
    pub client_random: [u8; 32],
    pub client_hello: Vec<u8>,
    /// The session we offered to resume, if any.
    pub resuming: Option<Tls12Session>,
}

/// Handles a TLS 1.2 ServerHello (RFC 5246, 7.4.1.3).
pub(crate) fn handle_server_hello(
    out: &mut Output<'_>,
    offer: Offer,
    sh: ServerHello,
    raw: &[u8],
) -> Result<ClientState12, Error> {
    let config = offer.config;
    let suite = config
        .suites12
        .iter()
        .copied()
        .find(|s| s.suite == sh.cipher_suite)
        .ok_or_else(|| PeerMisbehaved::SelectedUnoffered {
            what: "cipher suite",
            value: sh.cipher_suite.to_string(),
        })?;
    if sh.compression_method != 0 {
        return Err(illegal(
            "ServerHello",
            "compression_method",
            "must be null (0)",
        ));
    }

    let mut secure_renegotiation = false;
    let mut ems = false;
    let mut etm = false;
    let mut ticket_acked = false;
    let mut status_acked = false;
    for ext in &sh.extensions {
        match ext {
            // RFC 5746, 3.4: on the initial handshake the server's value must be empty.
            ServerExtension::RenegotiationInfo(v) => {
                if !v.is_empty() {
                    return Err(PeerMisbehaved::SecureRenegotiation {
                        reason:
                            "the server's renegotiation_info is not empty on an initial handshake",
                    }
                    .into());
                }
                secure_renegotiation = true;
            }
            ServerExtension::ExtendedMasterSecret => ems = true,
            ServerExtension::EncryptThenMac => etm = true,
            ServerExtension::SessionTicketAck if config.enable_tickets => ticket_acked = true,
            ServerExtension::EcPointFormats(formats) => {
                if !formats.contains(&ECPointFormat::Uncompressed) {
                    return Err(illegal(
                        "ServerHello",
                        "ec_point_formats",
                        "must include uncompressed (RFC 8422, 5.2)",
                    ));
                }
            }
            ServerExtension::ServerNameAck if offer.sent_sni => {}
            ServerExtension::StatusRequestAck if config.request_ocsp => status_acked = true,
            // RFC 6520, 2: an unknown mode is illegal_parameter.
            ServerExtension::Heartbeat(HeartbeatMode::Unknown(_)) if config.heartbeat => {
                return Err(illegal(
                    "ServerHello",
                    "heartbeat",
                    "its mode must be peer_allowed_to_send (1) or peer_not_allowed_to_send (2)",
                ));
            }
            ServerExtension::Heartbeat(mode) if config.heartbeat => {
                out.allow_heartbeat_requests(*mode == HeartbeatMode::PeerAllowedToSend);
            }
            ServerExtension::Alpn(p) if config.alpn.contains(p) => {
                out.record(Fact::Alpn(Some(p.clone())));
            }
            ServerExtension::Alpn(p) if !config.alpn.is_empty() => {
                return Err(PeerMisbehaved::SelectedUnoffered {
                    what: "ALPN protocol",
                    value: String::from_utf8_lossy(p).into_owned(),
                }
                .into())
            }
            other => return Err(unsolicited("ServerHello", other)),
        }
    }
    if !secure_renegotiation {
        return Err(PeerMisbehaved::SecureRenegotiation {
            reason: "the server does not support secure renegotiation (no renegotiation_info)",
        }
        .into());
    }
    // RFC 7627, 5.2: without the extension we go on with the legacy master secret,
    // as every mainstream stack does, unless configured to require it.
    if !ems && config.require_ems {
        return Err(NoCommon::ExtendedMasterSecret { from_server: true }.into());
    }

    // RFC 5246, 7.4.1.3 and RFC 5077, 3.4: an echoed session ID means resumption.
    let resuming = offer
        .resuming
        .as_ref()
        .is_some_and(|s| !s.session_id.is_empty() && s.session_id == sh.session_id);
    // RFC 5246, 7.4.8: our CertificateVerify, if we send one, signs every message. An
    // abbreviated handshake has none.
    let mut core = HandshakeCore::new(
        suite,
        offer.client_random,
        sh.random,
        ems,
        etm,
        config.client_cert.is_some() && !resuming,
    );
    core.record(&offer.client_hello);
    core.record(raw);
    out.record(Fact::Tls12 {
        suite,
        extended_master_secret: ems,
    });

    let hs = Handshake {
        config,
        server_name: offer.server_name,
        core,
        ticket_acked,
        status_acked,
        session_id: sh.session_id,
    };

    if let Some(session) = offer.resuming.filter(|_| resuming) {
        if session.suite != suite.suite {
            return Err(illegal(
                "ServerHello",
                "cipher_suite",
                "differs from the resumed session's",
            ));
        }
        // RFC 7627, 5.3: the client aborts when an abbreviated handshake's ServerHello
        // disagrees with the original session about the extended master secret.
        if session.ems != ems {
            return Err(PeerMisbehaved::EmsChangedOnResumption {
                from_server: true,
                session_ems: session.ems,
            }
            .into());
        }
        out.record(Fact::Resumed(true));
        let master = MasterSecret::new(suite.hash, session.master_secret);
        out.log_secret("CLIENT_RANDOM", master.as_bytes());
        let (encrypter, decrypter) = hs.keys(&master, true, hs.config.provider.random.clone())?;
        let ccs = Box::new(ExpectCcs {
            hs,
            master,
            encrypter: Some(encrypter),
            decrypter,
            new_ticket: None,
            old_ticket: Some(session.ticket),
            server: ServerProof12::Resumed,
        });
        return Ok(if ccs.hs.ticket_acked {
            ClientState12::ExpectNewTicket(ccs)
        } else {
            ClientState12::ExpectCcs(ccs)
        });
    }
    Ok(ClientState12::ExpectCertificate(Box::new(hs)))
}

impl Handshake {
    fn handle_certificate(
        mut self,
        out: &mut Output<'_>,
        cert: Certificate12,
        raw: &[u8],
    ) -> Result<ClientState12, Error> {
        let mut certs = cert.certs.into_iter().map(CertificateDer::from);
        let end_entity = certs.next().ok_or(CertificateError::Empty)?;
        let intermediates: Vec<CertificateDer<'static>> = certs.collect();
        self.record(raw);
        let pending = Box::new(ExpectCertificateStatus {
            hs: self,
            end_entity,
            intermediates,
        });
        if pending.hs.status_acked {
            return Ok(ClientState12::ExpectCertificateStatus(pending));
        }
        pending.verify(out, &[])
    }
}

/// The server's chain, held until a stapled OCSP response may arrive (RFC 6066, 8).
#[derive(Debug)]
pub(crate) struct ExpectCertificateStatus {
    hs: Handshake,
    end_entity: CertificateDer<'static>,
    intermediates: Vec<CertificateDer<'static>>,
}

impl ExpectCertificateStatus {
    /// Verifies the chain (with the staple, if any) and moves on to the key exchange.
    fn verify(self, out: &mut Output<'_>, ocsp: &[u8]) -> Result<ClientState12, Error> {
        let hs = self.hs;
        if hs.config.verifier.pauses() {
            let operation = Operation::VerifyServerCert(ServerCertRequest {
                end_entity: self.end_entity,
                intermediates: self.intermediates,
                server_name: hs.server_name.clone(),
                ocsp: ocsp.to_vec(),
                now: hs.config.provider.time.now(),
            });
            return Ok(ClientState12::AwaitServerCertVerification(Box::new(
                AwaitServerCertVerification {
                    hs,
                    operation,
                    held: None,
                },
            )));
        }
        let crate::pki::VerifiedServerChain {
            chain,
            spki,
            verified,
        } = crate::pki::verify_server_chain(
            hs.config.verifier.as_ref(),
            self.end_entity,
            self.intermediates,
            &hs.server_name,
            ocsp,
            hs.config.provider.time.now(),
        )?;
        out.record(Fact::PeerCertificates(chain));
        Ok(key_exchange_state(hs, spki, verified))
    }
}

/// Paused until the caller's verifier answers for the server's chain.
#[derive(Debug)]
pub(crate) struct AwaitServerCertVerification {
    hs: Handshake,
    operation: Operation,
    /// The message that followed the chain, if it arrived before the verdict.
    held: Option<Input>,
}

impl AwaitServerCertVerification {
    fn resume(
        self: Box<Self>,
        out: &mut Output<'_>,
        completion: Completion,
    ) -> Result<ClientState12, Error> {
        let verified = crate::pause::server_cert_verdict(completion)?;
        let AwaitServerCertVerification {
            hs,
            operation,
            held,
        } = *self;
        let Operation::VerifyServerCert(request) = operation else {
            return Err(crate::error::ApiError::NoOperationPending.into());
        };
        let (chain, spki) = crate::pki::chain_and_key(request.end_entity, request.intermediates)?;
        out.record(Fact::PeerCertificates(chain));
        let next = key_exchange_state(hs, spki, verified);
        match held {
            Some(input) => next.handle_next(out, input),
            None => Ok(next),
        }
    }
}

/// After the chain verified: ServerKeyExchange (ECDHE) or ServerHelloDone (RSA).
fn key_exchange_state(hs: Handshake, spki: Vec<u8>, verified: ServerCertVerified) -> ClientState12 {
    match hs.suite.kx {
        KeyExchangeAlgorithm::Ecdhe => {
            ClientState12::ExpectServerKeyExchange(Box::new(ExpectServerKeyExchange {
                hs,
                spki,
                verified,
            }))
        }
        KeyExchangeAlgorithm::Rsa => {
            ClientState12::ExpectServerHelloDone(Box::new(ExpectServerHelloDone {
                hs,
                spki,
                server: ServerProof12::KeyTransport {
                    _verified: verified,
                },
                ecdhe: None,
                cert_requested: None,
            }))
        }
    }
}

#[derive(Debug)]
pub(crate) struct ExpectServerKeyExchange {
    hs: Handshake,
    spki: Vec<u8>,
    verified: ServerCertVerified,
}

impl ExpectServerKeyExchange {
    /// RFC 8422, 5.4: the server's ephemeral point, signed with its certificate key.
    fn handle(
        mut self,
        out: &mut Output<'_>,
        ske: ServerKeyExchangeEcdhe,
        raw: &[u8],
    ) -> Result<ClientState12, Error> {
        let hs = &self.hs;
        if !hs.config.groups.contains(&ske.group) || !kx12::tls12_groups().contains(&ske.group) {
            return Err(PeerMisbehaved::SelectedUnoffered {
                what: "group",
                value: ske.group.to_string(),
            }
            .into());
        }
        if !tls12_schemes().contains(&ske.scheme) || !scheme_matches(ske.scheme, hs.suite.sign) {
            return Err(PeerMisbehaved::SelectedUnoffered {
                what: "signature scheme",
                value: ske.scheme.to_string(),
            }
            .into());
        }
        let signed = ske.signed_message(&hs.client_random, &hs.server_random);
        let checked = check_signature(
            self.verified,
            ske.scheme,
            &self.spki,
            &signed,
            &ske.signature,
            PeerMisbehaved::BadServerKeyExchange { scheme: ske.scheme },
        )?;
        self.hs.record(raw);
        out.record(Fact::SignatureScheme(Some(ske.scheme)));
        Ok(ClientState12::ExpectServerHelloDone(Box::new(
            ExpectServerHelloDone {
                hs: self.hs,
                spki: self.spki,
                server: ServerProof12::KeyExchangeSigned { _checked: checked },
                ecdhe: Some(ske),
                cert_requested: None,
            },
        )))
    }
}

/// What proves the server's identity to the client when its Finished arrives.
#[derive(Debug)]
pub(crate) enum ServerProof12 {
    /// ECDHE: the chain verified and the ServerKeyExchange signature checked out
    /// with its key (RFC 8422, 5.4).
    KeyExchangeSigned {
        /// Held, not read: its existence is the proof.
        _checked: SignatureChecked<ServerCertVerified>,
    },
    /// RSA key transport: the chain verified; only the holder of its key can
    /// decrypt our pre-master secret, which the server's Finished then proves
    /// (RFC 5246, 7.4.7.1).
    KeyTransport {
        /// Held, not read: its existence is the proof.
        _verified: ServerCertVerified,
    },
    /// An abbreviated handshake: the server's Finished proves it holds the
    /// session's master secret (RFC 5246, 7.3).
    Resumed,
}

#[derive(Debug)]
pub(crate) struct ExpectCcs {
    hs: Handshake,
    master: MasterSecret,
    /// Our pending write keys in an abbreviated handshake, installed after the
    /// server's Finished (a full handshake installed them already).
    encrypter: Option<Box<Encrypter12>>,
    decrypter: Box<Decrypter12>,
    new_ticket: Option<Vec<u8>>,
    old_ticket: Option<Vec<u8>>,
    /// How the server proved itself.
    server: ServerProof12,
}

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    hs: Handshake,
    master: MasterSecret,
    encrypter: Option<Box<Encrypter12>>,
    new_ticket: Option<Vec<u8>>,
    old_ticket: Option<Vec<u8>>,
    /// How the server proved itself; held, not read: the Finished state cannot
    /// exist without it.
    _server: ServerProof12,
}

impl ExpectFinished {
    fn handle(
        mut self,
        out: &mut Output<'_>,
        fin: Finished,
        raw: &[u8],
    ) -> Result<ClientState12, Error> {
        let expected = self.hs.finished(&self.master, prf::SERVER_FINISHED);
        fin.check_len(expected.as_bytes().len())?;
        if !expected.matches(&fin.verify_data) {
            return Err(PeerMisbehaved::BadFinished { from_server: true }.into());
        }
        self.hs.transcript.update(raw);
        if let Some(encrypter) = self.encrypter {
            // Abbreviated handshake: our CCS and Finished follow the server's.
            out.send_ccs();
            out.set_encrypter(encrypter, Protection::Handshake);
            let verify_data = self.hs.finished(&self.master, prf::CLIENT_FINISHED);
            self.hs.send(
                out,
                HandshakePayload12::Finished(Finished {
                    verify_data: verify_data.as_bytes().to_vec(),
                }),
            )?;
        }
        out.set_exporter(self.hs.exporter(&self.master));
        out.finish_handshake()?;

        // Keep the session for resumption: a new ticket, else the old one, else the ID.
        let ticket = self.new_ticket.or(self.old_ticket).unwrap_or_default();
        if !ticket.is_empty() || !self.hs.session_id.is_empty() {
            self.hs.config.session_store.insert_tls12_session(
                &self.hs.server_name.to_str(),
                Tls12Session {
                    session_id: std::mem::take(&mut self.hs.session_id),
                    ticket,
                    master_secret: self.master.into_secret(),
                    suite: self.hs.suite.suite,
                    ems: self.hs.ems,
                    received_at: self.hs.config.provider.time.now(),
                },
            );
        }
        Ok(ClientState12::Connected(Box::new(Connected)))
    }
}

/// The handshake is complete; renegotiation requests are refused.
#[derive(Debug)]
pub(crate) struct Connected;
