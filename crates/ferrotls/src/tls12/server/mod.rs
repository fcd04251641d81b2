//! TLS 1.2 server handshake states (RFC 5246, 7.3; RFC 5077; RFC 7627; RFC 5746).
//!
//! ```text
//! ClientHello -> ServerHello, Certificate, ServerKeyExchange (ECDHE), ServerHelloDone
//!             -> ExpectClientKeyExchange -> ExpectCcs -> ExpectFinished
//!             -> [NewSessionTicket], CCS, Finished -> Connected
//! ClientHello resuming (session ID or ticket) -> ServerHello, [NewSessionTicket], CCS,
//!             Finished -> ExpectCcs -> ExpectFinished -> Connected
//! ```

mod hello;

pub(crate) use hello::handle_client_hello;
use hello::{AwaitSessionLookup, AwaitSignature};

use std::sync::Arc;

use crate::conn::output::{Fact, Input, Output};
use crate::crypto::sign::KeyKind;
use crate::crypto::tls12 as kx12;
use crate::crypto::Secret;
use crate::error::illegal;
use crate::error::{Error, NoCommon, PeerMisbehaved};
use crate::msgs::enums::{
    AlertDescription, CipherSuite, ECPointFormat, ExtensionType, HandshakeType, HeartbeatMode,
    NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::tls12::{CERT_TYPE_ECDSA_SIGN, CERT_TYPE_RSA_SIGN, NAMED_CURVE};
use crate::msgs::{
    Certificate12, CertificateRequest12, CertificateStatus, ClientExtension, ClientHello, Finished,
    HandshakeMessage, HandshakePayload, HandshakePayload12, NewSessionTicket12, ServerExtension,
    ServerHello, ServerKeyExchangeEcdhe, DOWNGRADE_TLS12,
};
use crate::observe::Protection;
use crate::pause::{ClientCertRequest, Completion, Operation, SessionRequest, SignRequest};
use crate::pki::{ClientCertVerified, ClientCertVerifier};
use crate::proof::{check_signature, SignatureChecked};
use crate::record::protect12::{Decrypter12, Encrypter12};
use crate::server::{CertifiedKey, ServerConfig, StoredSession, TICKET_NONCE_LEN};
use crate::tls12::prf::{self, MasterSecret};
use crate::tls12::suites::{Bulk, KeyExchangeAlgorithm, SignatureAlgorithm, Tls12CipherSuite};
use crate::tls12::{scheme_matches, tls12_schemes, HandshakeCore};
use rustls_pki_types::CertificateDer;

/// Where a TLS 1.2 server is in the handshake.
#[derive(Debug)]
pub(crate) enum ServerState12 {
    ExpectClientCertificate(Box<ExpectClientKeyExchange>),
    ExpectClientKeyExchange(Box<ExpectClientKeyExchange>),
    ExpectCertificateVerify(Box<ExpectCertificateVerify>),
    ExpectCcs(Box<ExpectCcs>),
    ExpectFinished(Box<ExpectFinished>),
    Connected(Box<Connected>),
    /// Paused: a remote key signs the ServerKeyExchange (`crate::pause`).
    AwaitSignature(Box<AwaitSignature>),
    /// Paused: the caller verifies the client's chain (`crate::pause`).
    AwaitClientCertVerification(Box<AwaitClientCertVerification>),
    /// Paused: the session cache looks up the ClientHello's session ID.
    AwaitSessionLookup(Box<AwaitSessionLookup>),
}

impl ServerState12 {
    /// The operation a paused state waits for.
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            ServerState12::AwaitSignature(s) => Some(&s.operation),
            ServerState12::AwaitClientCertVerification(s) => Some(&s.operation),
            ServerState12::AwaitSessionLookup(s) => Some(&s.operation),
            _ => None,
        }
    }

    /// Resumes a paused state with the answer to its operation.
    pub fn resume(self, out: &mut Output<'_>, completion: Completion) -> Result<Self, Error> {
        match self {
            ServerState12::AwaitSignature(s) => s.resume(out, completion),
            ServerState12::AwaitClientCertVerification(s) => s.resume(out, completion),
            ServerState12::AwaitSessionLookup(s) => s.resume(out, completion),
            _ => Err(crate::error::ApiError::NoOperationPending.into()),
        }
    }

    /// Whether a message of type `typ` could be handled in this state.
    pub fn expects(&self, typ: HandshakeType) -> bool {
        use HandshakeType as H;
        match self {
            ServerState12::ExpectClientCertificate(_) => typ == H::Certificate,
            ServerState12::ExpectClientKeyExchange(_) => typ == H::ClientKeyExchange,
            ServerState12::ExpectCertificateVerify(_) => typ == H::CertificateVerify,
            ServerState12::ExpectCcs(_) => false,
            ServerState12::ExpectFinished(_) => typ == H::Finished,
            ServerState12::Connected(_) => typ == H::ClientHello,
            ServerState12::AwaitSignature(_)
            | ServerState12::AwaitClientCertVerification(_)
            | ServerState12::AwaitSessionLookup(_) => false,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ServerState12::ExpectClientCertificate(_) => "TLS 1.2 ExpectCertificate",
            ServerState12::ExpectClientKeyExchange(_) => "TLS 1.2 ExpectClientKeyExchange",
            ServerState12::ExpectCertificateVerify(_) => "TLS 1.2 ExpectCertificateVerify",
            ServerState12::ExpectCcs(_) => "TLS 1.2 ExpectChangeCipherSpec",
            ServerState12::ExpectFinished(_) => "TLS 1.2 ExpectFinished",
            ServerState12::Connected(_) => "TLS 1.2 Connected",
            ServerState12::AwaitSignature(_) => "TLS 1.2 AwaitSignature",
            ServerState12::AwaitClientCertVerification(_) => "TLS 1.2 AwaitClientCertVerification",
            ServerState12::AwaitSessionLookup(_) => "TLS 1.2 AwaitSessionLookup",
        }
    }

    pub fn handle(self, out: &mut Output<'_>, input: Input) -> Result<Self, Error> {
        let state = self.name();
        let got = input.name();
        match (self, input) {
            (ServerState12::ExpectClientCertificate(s), Input::Tls12(m)) => {
                match m.parsed.payload {
                    HandshakePayload12::Certificate(c) => s.handle_certificate(out, c, &m.raw),
                    _ => Err(Error::UnexpectedMessage { state, got }),
                }
            }
            (ServerState12::ExpectClientKeyExchange(s), Input::Tls12(m)) => {
                match m.parsed.payload {
                    HandshakePayload12::ClientKeyExchange(cke) => s.handle(out, &cke, &m.raw),
                    _ => Err(Error::UnexpectedMessage { state, got }),
                }
            }
            (ServerState12::ExpectCertificateVerify(s), Input::Tls12(m)) => {
                match m.parsed.payload {
                    HandshakePayload12::CertificateVerify(cv) => s.handle(&cv, &m.raw),
                    _ => Err(Error::UnexpectedMessage { state, got }),
                }
            }
            (ServerState12::ExpectCcs(s), Input::ChangeCipherSpec) => {
                out.set_decrypter(s.decrypter, Protection::Handshake);
                Ok(ServerState12::ExpectFinished(Box::new(ExpectFinished {
                    hs: s.hs,
                    master: s.master,
                    encrypter: s.encrypter,
                    _client: s.client,
                })))
            }
            (ServerState12::ExpectFinished(s), Input::Tls12(m)) => match m.parsed.payload {
                HandshakePayload12::Finished(f) => s.handle(out, &f, &m.raw),
                _ => Err(Error::UnexpectedMessage { state, got }),
            },
            // RFC 5746, 4.4: a renegotiation ClientHello is refused with a warning.
            (ServerState12::Connected(s), Input::Tls12(m))
                if matches!(m.parsed.payload, HandshakePayload12::ClientHello(_)) =>
            {
                out.send_warning(AlertDescription::NoRenegotiation);
                Ok(ServerState12::Connected(s))
            }
            (_, _) => Err(Error::UnexpectedMessage { state, got }),
        }
    }
}

/// What every TLS 1.2 server state carries. The client's server name is
/// `out.negotiated().server_name`.
#[derive(Debug)]
pub(crate) struct Handshake {
    config: Arc<ServerConfig>,
    core: HandshakeCore,
    /// The ID a full handshake caches its session under (empty when resuming).
    session_id: Vec<u8>,
    /// Whether to send a NewSessionTicket before our ChangeCipherSpec.
    send_ticket: bool,
    /// The ticket's nonce, when it was drawn with the hello's other random bytes
    /// (from the ticketer's own random source); otherwise the ticketer draws one.
    ticket_nonce: Option<[u8; TICKET_NONCE_LEN]>,
    /// When resuming: when the session was first established. A ticket re-issued on
    /// resumption keeps it, so resuming never extends a session's life.
    session_created: Option<u64>,
}

/// RFC 5246, F.1.4: session IDs live at most 24 hours in the cache.
pub(crate) const SESSION_ID_LIFETIME: u64 = 24 * 3600;

/// Whether a cached session created at `created` may still be resumed at `now`.
fn cached_session_fresh(created: u64, now: u64) -> bool {
    now < created.saturating_add(SESSION_ID_LIFETIME)
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

#[derive(Debug)]
pub(crate) struct ExpectClientKeyExchange {
    hs: Handshake,
    cert: Arc<CertifiedKey>,
    kx: Option<kx12::EcdheKeyExchange>,
    client_version: ProtocolVersion,
    client_auth: Option<Arc<dyn ClientCertVerifier>>,
    /// The verified client certificate's key, for its CertificateVerify.
    client_spki: Option<(Vec<u8>, ClientCertVerified)>,
}

impl ExpectClientKeyExchange {
    /// RFC 5246, 7.4.6: the client's certificate list, possibly empty.
    fn handle_certificate(
        mut self: Box<Self>,
        out: &mut Output<'_>,
        cert: Certificate12,
        raw: &[u8],
    ) -> Result<ServerState12, Error> {
        self.hs.record(raw);
        if self.client_auth.as_ref().is_some_and(|v| v.pauses()) && !cert.certs.is_empty() {
            let mut certs = cert.certs.into_iter().map(CertificateDer::from);
            let operation = Operation::VerifyClientCert(ClientCertRequest {
                end_entity: certs
                    .next()
                    .unwrap_or_else(|| CertificateDer::from(Vec::new())),
                intermediates: certs.collect(),
                now: self.hs.config.provider.time.now(),
            });
            return Ok(ServerState12::AwaitClientCertVerification(Box::new(
                AwaitClientCertVerification {
                    inner: self,
                    operation,
                },
            )));
        }
        let checked = crate::pki::verify_client_chain(
            self.client_auth.as_deref(),
            cert.certs.into_iter().map(CertificateDer::from),
            self.hs.config.provider.time.now(),
        )?;
        self.client_spki = checked.map(|c| {
            out.record(Fact::PeerCertificates(c.chain));
            (c.spki, c.verified)
        });
        Ok(ServerState12::ExpectClientKeyExchange(self))
    }

    fn handle(
        mut self,
        out: &mut Output<'_>,
        cke: &crate::msgs::ClientKeyExchange,
        raw: &[u8],
    ) -> Result<ServerState12, Error> {
        let pre_master = match (self.kx, &self.cert.rsa_decrypt) {
            (Some(kx), _) => kx.complete(cke.ecdhe_point()?)?,
            // RFC 5246, 7.4.7.1: no error that depends on the ciphertext (Bleichenbacher).
            (None, Some(rsa)) => rsa.decrypt_pre_master(
                cke.rsa_encrypted_pre_master()?,
                self.client_version,
                self.hs.config.provider.random.as_ref(),
            )?,
            (None, None) => {
                return Err(Error::UnexpectedMessage {
                    state: "TLS 1.2 ExpectClientKeyExchange",
                    got: "ClientKeyExchange for a key that cannot decrypt",
                })
            }
        };
        self.hs.record(raw);
        let master = self.hs.master_secret(pre_master.as_bytes());
        out.log_secret("CLIENT_RANDOM", master.as_bytes());
        let (encrypter, decrypter) =
            self.hs
                .keys(&master, false, self.hs.config.provider.random.clone())?;
        let ccs = Box::new(ExpectCcs {
            hs: self.hs,
            master,
            encrypter: Some(encrypter),
            decrypter,
            client: ClientProof12::None,
        });
        Ok(match self.client_spki {
            Some((spki, verified)) => {
                ServerState12::ExpectCertificateVerify(Box::new(ExpectCertificateVerify {
                    ccs,
                    spki,
                    verified,
                }))
            }
            None => ServerState12::ExpectCcs(ccs),
        })
    }
}

/// Paused until the caller's verifier answers for the client's chain.
#[derive(Debug)]
pub(crate) struct AwaitClientCertVerification {
    inner: Box<ExpectClientKeyExchange>,
    operation: Operation,
}

impl AwaitClientCertVerification {
    fn resume(self, out: &mut Output<'_>, completion: Completion) -> Result<ServerState12, Error> {
        let verified = crate::pause::client_cert_verdict(completion)?;
        let AwaitClientCertVerification {
            mut inner,
            operation,
        } = self;
        let Operation::VerifyClientCert(request) = operation else {
            return Err(crate::error::ApiError::NoOperationPending.into());
        };
        let (chain, spki) = crate::pki::chain_and_key(request.end_entity, request.intermediates)?;
        out.record(Fact::PeerCertificates(chain));
        inner.client_spki = Some((spki, verified));
        Ok(ServerState12::ExpectClientKeyExchange(inner))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificateVerify {
    ccs: Box<ExpectCcs>,
    spki: Vec<u8>,
    verified: ClientCertVerified,
}

impl ExpectCertificateVerify {
    /// RFC 5246, 7.4.8: the client signs every handshake message before this one.
    fn handle(
        mut self,
        cv: &crate::msgs::CertificateVerify,
        raw: &[u8],
    ) -> Result<ServerState12, Error> {
        if !tls12_schemes().contains(&cv.scheme) {
            return Err(PeerMisbehaved::SelectedUnoffered {
                what: "signature scheme",
                value: cv.scheme.to_string(),
            }
            .into());
        }
        // The log is kept for every full handshake that asks for a certificate.
        let messages = self.ccs.hs.messages.take().unwrap_or_default();
        let checked = check_signature(
            self.verified,
            cv.scheme,
            &self.spki,
            &messages,
            &cv.signature,
            PeerMisbehaved::BadCertificateVerify { scheme: cv.scheme },
        )?;
        self.ccs.hs.record(raw);
        self.ccs.client = ClientProof12::Certificate { _checked: checked };
        Ok(ServerState12::ExpectCcs(self.ccs))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCcs {
    hs: Handshake,
    master: MasterSecret,
    /// Our write keys, sent after the client's Finished (full handshake only).
    encrypter: Option<Box<Encrypter12>>,
    decrypter: Box<Decrypter12>,
    /// How the client proved itself, if it did.
    client: ClientProof12,
}

/// What proves the client's identity to the server when its Finished arrives.
#[derive(Debug)]
pub(crate) enum ClientProof12 {
    /// No client certificate: none asked for, or an empty list the verifier allows.
    None,
    /// The client's chain verified and its CertificateVerify checked out with its
    /// key (RFC 5246, 7.4.8).
    Certificate {
        /// Held, not read: its existence is the proof.
        _checked: SignatureChecked<ClientCertVerified>,
    },
    /// An abbreviated handshake: the client's Finished proves it holds the
    /// session's master secret (RFC 5246, 7.3); the session carries its chain.
    Resumed,
}

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    hs: Handshake,
    master: MasterSecret,
    encrypter: Option<Box<Encrypter12>>,
    /// How the client proved itself; held, not read: the Finished state cannot
    /// exist without it.
    _client: ClientProof12,
}

impl ExpectFinished {
    fn handle(
        mut self,
        out: &mut Output<'_>,
        fin: &Finished,
        raw: &[u8],
    ) -> Result<ServerState12, Error> {
        let expected = self.hs.finished(&self.master, prf::CLIENT_FINISHED);
        fin.check_len(expected.as_bytes().len())?;
        if !expected.matches(&fin.verify_data) {
            return Err(PeerMisbehaved::BadFinished { from_server: false }.into());
        }
        // A full handshake: our Finished covers the client's.
        if let Some(encrypter) = self.encrypter.take() {
            self.hs.transcript.update(raw);
            self.send_server_finish(out, encrypter)?;
        }
        out.set_exporter(self.hs.exporter(&self.master));
        out.finish_handshake()?;
        if !self.hs.session_id.is_empty() && !out.negotiated().resumed {
            let session = self.stored_session(out);
            // A session too large to keep (an outsized client chain) is not cached:
            // the client's next connection is a full handshake.
            if session.fits_for_resumption() {
                let id = std::mem::take(&mut self.hs.session_id);
                self.hs.config.session_cache.put(id, Arc::new(session));
            }
        }
        Ok(ServerState12::Connected(Box::new(Connected)))
    }

    fn stored_session(&self, out: &Output<'_>) -> StoredSession {
        StoredSession {
            suite: self.hs.suite.suite,
            master_secret: Secret::from(self.master.as_bytes()),
            ems: self.hs.ems,
            created: self
                .hs
                .session_created
                .unwrap_or_else(|| self.hs.config.provider.time.now().as_secs()),
            server_name: out.negotiated().server_name.clone(),
            age_add: 0,
            max_early_data: 0,
            alpn: None,
            // Verified in this handshake (with its CertificateVerify) or restored
            // with the session it resumes.
            peer_certificates: StoredSession::chain_to_store(&out.negotiated().peer_certificates),
        }
    }

    /// [NewSessionTicket], ChangeCipherSpec, Finished (RFC 5077, 3.3; RFC 5246, 7.4.9).
    fn send_server_finish(
        &mut self,
        out: &mut Output<'_>,
        encrypter: Box<Encrypter12>,
    ) -> Result<(), Error> {
        if self.hs.send_ticket {
            let nonce = self.hs.ticket_nonce.take();
            let ticket = self.hs.config.ticketer.as_ref().and_then(|t| {
                let session = self.stored_session(out);
                match nonce {
                    Some(nonce) => t.encrypt_with_nonce(&session, nonce),
                    None => t.encrypt(&session),
                }
                .map(|ticket| (t.lifetime(), ticket))
            });
            // RFC 5077, 3.3: an empty ticket when we could not make one.
            let (lifetime_hint, ticket) = ticket.unwrap_or_default();
            self.hs.send(
                out,
                HandshakePayload12::NewSessionTicket(NewSessionTicket12 {
                    lifetime_hint,
                    ticket,
                }),
            )?;
        }
        out.send_ccs();
        out.set_encrypter(encrypter, Protection::Handshake);
        let verify_data = self.hs.finished(&self.master, prf::SERVER_FINISHED);
        self.hs.send(
            out,
            HandshakePayload12::Finished(Finished {
                verify_data: verify_data.as_bytes().to_vec(),
            }),
        )
    }
}

/// The handshake is complete; renegotiation is refused.
#[derive(Debug)]
pub(crate) struct Connected;
