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
use crate::conn::{CommonState, Input};
use crate::crypto::{rsa_kx, sign, tls12 as kx12};
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
use crate::record::protect12::{Decrypter12, Encrypter12};
use crate::tls12::prf::{self, MasterSecret};
use crate::tls12::suites::{KeyExchangeAlgorithm, SignatureAlgorithm};
use crate::tls12::HandshakeCore;

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
    pub fn resume(self, common: &mut CommonState, completion: Completion) -> Result<Self, Error> {
        match self {
            ClientState12::AwaitServerCertVerification(s) => s.resume(common, completion),
            ClientState12::AwaitSignature(s) => s.resume(common, completion),
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

    pub fn handle(self, common: &mut CommonState, input: Input) -> Result<Self, Error> {
        // RFC 6066, 8: CertificateStatus may be skipped even when acknowledged.
        let this = match self {
            ClientState12::ExpectCertificateStatus(s) => match &input {
                Input::Tls12(m) => match &m.parsed.payload {
                    HandshakePayload12::CertificateStatus(cs) => {
                        let ocsp = cs.ocsp_response.clone();
                        let mut s = s;
                        s.hs.record(&m.raw);
                        return s.verify(common, &ocsp);
                    }
                    _ => s.verify(common, &[])?,
                },
                _ => s.verify(common, &[])?,
            },
            other => other,
        };
        if let ClientState12::AwaitServerCertVerification(mut paused) = this {
            // The message after the chain waits with it for the verdict.
            paused.held = Some(input);
            return Ok(ClientState12::AwaitServerCertVerification(paused));
        }
        this.handle_next(common, input)
    }

    fn handle_next(self, common: &mut CommonState, input: Input) -> Result<Self, Error> {
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
                s.handle_certificate(common, c, &raw)
            }
            (
                ClientState12::ExpectServerKeyExchange(s),
                Some(HandshakePayload12::ServerKeyExchange(ske)),
            ) => s.handle(common, ske, &raw),
            (
                ClientState12::ExpectServerHelloDone(mut s),
                Some(HandshakePayload12::CertificateRequest(cr)),
            ) if s.cert_requested.is_none() => {
                s.cert_requested = Some(cr.schemes);
                s.hs.record(&raw);
                common.negotiated.client_auth = true;
                Ok(ClientState12::ExpectServerHelloDone(s))
            }
            (
                ClientState12::ExpectServerHelloDone(s),
                Some(HandshakePayload12::ServerHelloDone),
            ) => s.handle(common, &raw),
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
                common.set_decrypter(s.decrypter, Protection::Handshake);
                Ok(ClientState12::ExpectFinished(Box::new(ExpectFinished {
                    hs: s.hs,
                    master: s.master,
                    encrypter: s.encrypter,
                    new_ticket: s.new_ticket,
                    old_ticket: s.old_ticket,
                })))
            }
            (ClientState12::ExpectFinished(s), Some(HandshakePayload12::Finished(f))) => {
                s.handle(common, f, &raw)
            }
            // RFC 5746, 4.2 and RFC 5246, 7.4.1.1: renegotiation is refused with a warning.
            (ClientState12::Connected(s), Some(HandshakePayload12::HelloRequest)) => {
                common.send_warning(AlertDescription::NoRenegotiation);
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
    common: &mut CommonState,
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
                common.heartbeat_may_send = *mode == HeartbeatMode::PeerAllowedToSend;
            }
            ServerExtension::Alpn(p) if config.alpn.contains(p) => {
                common.negotiated.alpn = Some(p.clone());
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
    let n = &mut common.negotiated;
    n.version = Some(ProtocolVersion::TLSv1_2);
    n.cipher_suite = Some(suite.suite);
    n.suite12 = Some(suite);
    n.extended_master_secret = ems;

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
        common.negotiated.resumed = true;
        let master = MasterSecret::new(suite.hash, session.master_secret);
        common.log_secret("CLIENT_RANDOM", master.as_bytes());
        let (encrypter, decrypter) = hs.keys(&master, true, hs.config.provider.random.clone())?;
        let ccs = Box::new(ExpectCcs {
            hs,
            master,
            encrypter: Some(encrypter),
            decrypter,
            new_ticket: None,
            old_ticket: Some(session.ticket),
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
        common: &mut CommonState,
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
        pending.verify(common, &[])
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
    fn verify(self, common: &mut CommonState, ocsp: &[u8]) -> Result<ClientState12, Error> {
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
        let (spki, verified) = crate::pki::verify_server_chain(
            common,
            hs.config.verifier.as_ref(),
            self.end_entity,
            self.intermediates,
            &hs.server_name,
            ocsp,
            hs.config.provider.time.now(),
        )?;
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
        common: &mut CommonState,
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
        let spki = crate::pki::spki_of(request.end_entity.as_ref())?.to_vec();
        let mut chain = vec![request.end_entity];
        chain.extend(request.intermediates);
        common.negotiated.peer_certificates = chain;
        let next = key_exchange_state(hs, spki, verified);
        match held {
            Some(input) => next.handle_next(common, input),
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
                _verified: verified,
                ecdhe: None,
                cert_requested: None,
            }))
        }
    }
}

/// The signature schemes a TLS 1.2 client offers and accepts in ServerKeyExchange.
pub(crate) fn tls12_schemes() -> &'static [SignatureScheme] {
    &[
        SignatureScheme::ECDSA_NISTP256_SHA256,
        SignatureScheme::ECDSA_NISTP384_SHA384,
        SignatureScheme::ED25519,
        SignatureScheme::RSA_PSS_RSAE_SHA256,
        SignatureScheme::RSA_PSS_RSAE_SHA384,
        SignatureScheme::RSA_PSS_RSAE_SHA512,
        SignatureScheme::RSA_PKCS1_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512,
    ]
}

/// Whether `scheme` signs with the key type the suite names (RFC 5246, 7.4.3).
pub(crate) fn scheme_matches(scheme: SignatureScheme, sign: SignatureAlgorithm) -> bool {
    use SignatureScheme as S;
    match sign {
        SignatureAlgorithm::Ecdsa => matches!(
            scheme,
            S::ECDSA_NISTP256_SHA256 | S::ECDSA_NISTP384_SHA384 | S::ED25519
        ),
        SignatureAlgorithm::Rsa => matches!(
            scheme,
            S::RSA_PSS_RSAE_SHA256
                | S::RSA_PSS_RSAE_SHA384
                | S::RSA_PSS_RSAE_SHA512
                | S::RSA_PKCS1_SHA256
                | S::RSA_PKCS1_SHA384
                | S::RSA_PKCS1_SHA512
        ),
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
        common: &mut CommonState,
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
        sign::verify_signature(ske.scheme, &self.spki, &signed, &ske.signature)
            .map_err(|_| PeerMisbehaved::BadServerKeyExchange { scheme: ske.scheme })?;
        self.hs.record(raw);
        common.negotiated.signature_scheme = Some(ske.scheme);
        Ok(ClientState12::ExpectServerHelloDone(Box::new(
            ExpectServerHelloDone {
                hs: self.hs,
                spki: self.spki,
                _verified: self.verified,
                ecdhe: Some(ske),
                cert_requested: None,
            },
        )))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectServerHelloDone {
    hs: Handshake,
    spki: Vec<u8>,
    _verified: ServerCertVerified,
    ecdhe: Option<ServerKeyExchangeEcdhe>,
    /// The signature schemes of the server's CertificateRequest, if it sent one.
    cert_requested: Option<Vec<SignatureScheme>>,
}

impl ExpectServerHelloDone {
    /// Sends our flight: [Certificate], ClientKeyExchange, ChangeCipherSpec, Finished.
    fn handle(mut self, common: &mut CommonState, raw: &[u8]) -> Result<ClientState12, Error> {
        self.hs.record(raw);
        // RFC 5246, 7.4.6: our chain if one is configured and can sign with a scheme
        // the server accepts; otherwise an empty list.
        let client_key = self.cert_requested.as_ref().and_then(|schemes| {
            let ck = self.hs.config.client_cert.clone()?;
            let scheme = ck
                .key
                .tls12_schemes()
                .iter()
                .copied()
                .find(|s| schemes.contains(s))?;
            Some((ck, scheme))
        });
        if self.cert_requested.is_some() {
            let certs = client_key
                .as_ref()
                .map(|(ck, _)| ck.chain.iter().map(|c| c.as_ref().to_vec()).collect())
                .unwrap_or_default();
            self.hs.send(
                common,
                HandshakePayload12::Certificate(Certificate12 { certs }),
            )?;
        }
        let (cke, pre_master) = match &self.ecdhe {
            Some(ske) => {
                let (point, pms) = kx12::ecdhe_respond(ske.group, &ske.public)?;
                common.negotiated.group = Some(ske.group);
                (ClientKeyExchange::ecdhe(&point), pms)
            }
            None => {
                // RFC 5246, 7.4.7.1: the version we offered, not the negotiated one.
                let pms = rsa_kx::new_pre_master(
                    ProtocolVersion::TLSv1_2,
                    self.hs.config.provider.random.as_ref(),
                )?;
                let encrypted = rsa_kx::encrypt_pre_master(&self.spki, pms.as_bytes())?;
                (ClientKeyExchange::rsa(&encrypted), pms)
            }
        };
        self.hs
            .send(common, HandshakePayload12::ClientKeyExchange(cke))?;
        // The extended master secret covers the messages up to ClientKeyExchange.
        let master = self.hs.master_secret(pre_master.as_bytes());
        // The message log ends here: with a client certificate configured it was kept
        // from the ClientHello on.
        let messages = self.hs.messages.take().unwrap_or_default();
        if let Some((ck, scheme)) = client_key {
            // RFC 5246, 7.4.8: a signature over every handshake message so far.
            if ck.key.is_remote() {
                let operation = Operation::Sign(SignRequest {
                    scheme,
                    message: messages,
                    certificate: ck
                        .chain
                        .first()
                        .cloned()
                        .unwrap_or_else(|| CertificateDer::from(Vec::new())),
                });
                return Ok(ClientState12::AwaitSignature(Box::new(AwaitSignature {
                    hs: self.hs,
                    master,
                    operation,
                })));
            }
            let signature = ck.key.sign(scheme, &messages)?;
            send_certificate_verify(common, &mut self.hs, scheme, signature)?;
        }
        send_client_finish(common, self.hs, master)
    }
}

/// RFC 5246, 7.4.8: our CertificateVerify.
fn send_certificate_verify(
    common: &mut CommonState,
    hs: &mut Handshake,
    scheme: SignatureScheme,
    signature: Vec<u8>,
) -> Result<(), Error> {
    hs.send(
        common,
        HandshakePayload12::CertificateVerify(crate::msgs::CertificateVerify { scheme, signature }),
    )?;
    common.negotiated.client_auth = true;
    Ok(())
}

/// Paused until a remote key signs our CertificateVerify (`crate::pause`).
#[derive(Debug)]
pub(crate) struct AwaitSignature {
    hs: Handshake,
    master: MasterSecret,
    operation: Operation,
}

impl AwaitSignature {
    fn resume(
        self: Box<Self>,
        common: &mut CommonState,
        completion: Completion,
    ) -> Result<ClientState12, Error> {
        let AwaitSignature {
            mut hs,
            master,
            operation,
        } = *self;
        let Operation::Sign(request) = operation else {
            return Err(crate::error::ApiError::NoOperationPending.into());
        };
        let signature = crate::pause::signature(completion, request.scheme)?;
        send_certificate_verify(common, &mut hs, request.scheme, signature)?;
        send_client_finish(common, hs, master)
    }
}

/// ChangeCipherSpec and Finished end our flight.
fn send_client_finish(
    common: &mut CommonState,
    mut hs: Handshake,
    master: MasterSecret,
) -> Result<ClientState12, Error> {
    common.log_secret("CLIENT_RANDOM", master.as_bytes());
    let (encrypter, decrypter) = hs.keys(&master, true, hs.config.provider.random.clone())?;
    common.send_ccs();
    common.set_encrypter(encrypter, Protection::Handshake);
    let verify_data = hs.finished(&master, prf::CLIENT_FINISHED);
    hs.send(
        common,
        HandshakePayload12::Finished(Finished {
            verify_data: verify_data.as_bytes().to_vec(),
        }),
    )?;
    let ccs = Box::new(ExpectCcs {
        hs,
        master,
        encrypter: None,
        decrypter,
        new_ticket: None,
        old_ticket: None,
    });
    Ok(if ccs.hs.ticket_acked {
        ClientState12::ExpectNewTicket(ccs)
    } else {
        ClientState12::ExpectCcs(ccs)
    })
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
}

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    hs: Handshake,
    master: MasterSecret,
    encrypter: Option<Box<Encrypter12>>,
    new_ticket: Option<Vec<u8>>,
    old_ticket: Option<Vec<u8>>,
}

impl ExpectFinished {
    fn handle(
        mut self,
        common: &mut CommonState,
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
            common.send_ccs();
            common.set_encrypter(encrypter, Protection::Handshake);
            let verify_data = self.hs.finished(&self.master, prf::CLIENT_FINISHED);
            self.hs.send(
                common,
                HandshakePayload12::Finished(Finished {
                    verify_data: verify_data.as_bytes().to_vec(),
                }),
            )?;
        }
        common.exporter = Some(self.hs.exporter(&self.master));
        common.finish_handshake()?;

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
