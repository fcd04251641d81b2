//! TLS 1.2 server handshake states (RFC 5246, 7.3; RFC 5077; RFC 7627; RFC 5746).
//!
//! ```text
//! ClientHello -> ServerHello, Certificate, ServerKeyExchange (ECDHE), ServerHelloDone
//!             -> ExpectClientKeyExchange -> ExpectCcs -> ExpectFinished
//!             -> [NewSessionTicket], CCS, Finished -> Connected
//! ClientHello resuming (session ID or ticket) -> ServerHello, [NewSessionTicket], CCS,
//!             Finished -> ExpectCcs -> ExpectFinished -> Connected
//! ```

use std::sync::Arc;

use crate::conn::{CommonState, Input};
use crate::crypto::sign;
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
use crate::record::protect12::{Decrypter12, Encrypter12};
use crate::server::{CertifiedKey, ServerConfig, StoredSession, TICKET_NONCE_LEN};
use crate::tls12::client::{scheme_matches, tls12_schemes};
use crate::tls12::prf::{self, MasterSecret};
use crate::tls12::suites::{Bulk, KeyExchangeAlgorithm, SignatureAlgorithm};
use crate::tls12::HandshakeCore;
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
    pub fn resume(self, common: &mut CommonState, completion: Completion) -> Result<Self, Error> {
        match self {
            ServerState12::AwaitSignature(s) => s.resume(common, completion),
            ServerState12::AwaitClientCertVerification(s) => s.resume(common, completion),
            ServerState12::AwaitSessionLookup(s) => {
                let AwaitSessionLookup {
                    config, ch, raw, ..
                } = *s;
                let found = crate::pause::session(completion)?;
                client_hello(common, config, ch, &raw, Some(found))
            }
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

    pub fn handle(self, common: &mut CommonState, input: Input) -> Result<Self, Error> {
        let state = self.name();
        let got = input.name();
        match (self, input) {
            (ServerState12::ExpectClientCertificate(s), Input::Tls12(m)) => {
                match m.parsed.payload {
                    HandshakePayload12::Certificate(c) => s.handle_certificate(common, c, &m.raw),
                    _ => Err(Error::UnexpectedMessage { state, got }),
                }
            }
            (ServerState12::ExpectClientKeyExchange(s), Input::Tls12(m)) => {
                match m.parsed.payload {
                    HandshakePayload12::ClientKeyExchange(cke) => s.handle(common, &cke, &m.raw),
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
                common.set_decrypter(s.decrypter, Protection::Handshake);
                Ok(ServerState12::ExpectFinished(Box::new(ExpectFinished {
                    hs: s.hs,
                    master: s.master,
                    encrypter: s.encrypter,
                })))
            }
            (ServerState12::ExpectFinished(s), Input::Tls12(m)) => match m.parsed.payload {
                HandshakePayload12::Finished(f) => s.handle(common, &f, &m.raw),
                _ => Err(Error::UnexpectedMessage { state, got }),
            },
            // RFC 5746, 4.4: a renegotiation ClientHello is refused with a warning.
            (ServerState12::Connected(s), Input::Tls12(m))
                if matches!(m.parsed.payload, HandshakePayload12::ClientHello(_)) =>
            {
                common.send_warning(AlertDescription::NoRenegotiation);
                Ok(ServerState12::Connected(s))
            }
            (_, _) => Err(Error::UnexpectedMessage { state, got }),
        }
    }
}

/// What every TLS 1.2 server state carries. The client's server name is
/// `common.negotiated.server_name`.
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

/// How the chosen suite will use the certificate's key.
#[derive(Debug, Clone, Copy)]
enum KeyUse {
    /// ECDHE, the ServerKeyExchange signed with this scheme, on this group.
    Sign(SignatureScheme, NamedGroup),
    /// Static RSA key transport (legacy).
    Decrypt,
}

/// A session to resume: decrypted from a ticket, or shared with the session cache.
enum Resumed {
    Ticket(StoredSession),
    Cached(Arc<StoredSession>),
}

impl Resumed {
    fn session(&self) -> &StoredSession {
        match self {
            Resumed::Ticket(s) => s,
            Resumed::Cached(s) => s,
        }
    }

    /// The master secret and the client's certificate chain (moved out of a ticket,
    /// copied from a cached session).
    fn into_parts(self) -> (Secret, Vec<CertificateDer<'static>>) {
        match self {
            Resumed::Ticket(s) => (
                s.master_secret,
                s.peer_certificates
                    .into_iter()
                    .map(CertificateDer::from)
                    .collect(),
            ),
            Resumed::Cached(s) => (s.master_secret.clone(), s.chain()),
        }
    }
}

/// Whether our client authentication policy lets `session` be resumed: the resumed
/// connection stands for the client of the original one, so it must be a client a
/// full handshake would accept now. A session without a client certificate resumes
/// only where a full handshake could go without one; a session with one only where
/// client certificates are verified, and only if the verifier still accepts the
/// chain (RFC 5246, F.1.4: certificates that may have expired or been revoked
/// force a full handshake). Otherwise the client gets a full handshake, which asks
/// for its certificate. The TLS 1.3 server applies the same policy to tickets.
pub(crate) fn client_auth_allows(config: &ServerConfig, session: &StoredSession) -> bool {
    let Some((leaf, intermediates)) = session.peer_certificates.split_first() else {
        return config
            .client_auth
            .as_ref()
            .is_none_or(|v| !v.client_auth_mandatory());
    };
    let Some(verifier) = &config.client_auth else {
        return false;
    };
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    verifier
        .verify_client_cert(
            &CertificateDer::from(leaf.as_slice()),
            &intermediates,
            config.provider.time.now(),
        )
        .is_ok()
}

/// Random bytes one ClientHello needs at most: server random, session ID, ticket nonce.
const HELLO_RANDOM_LEN: usize = 32 + 32 + TICKET_NONCE_LEN;

fn key_signs_for(kind: KeyKind, sign: SignatureAlgorithm) -> bool {
    match sign {
        SignatureAlgorithm::Ecdsa => !matches!(kind, KeyKind::Rsa { .. }),
        SignatureAlgorithm::Rsa => matches!(kind, KeyKind::Rsa { .. }),
    }
}

/// Handles a ClientHello that negotiates TLS 1.2.
pub(crate) fn handle_client_hello(
    common: &mut CommonState,
    config: Arc<ServerConfig>,
    ch: ClientHello,
    raw: &[u8],
) -> Result<ServerState12, Error> {
    // A ticket the ticketer can try goes first; otherwise a session store that
    // pauses is asked for the session ID before anything else (`crate::pause`).
    let ticket = config.ticketer.is_some()
        && ch
            .extensions
            .iter()
            .any(|e| matches!(e, ClientExtension::SessionTicket(t) if !t.is_empty()));
    if config.session_cache.pauses() && !ch.session_id.is_empty() && !ticket {
        let operation = Operation::LookupSession(SessionRequest {
            id: ch.session_id.clone(),
        });
        return Ok(ServerState12::AwaitSessionLookup(Box::new(
            AwaitSessionLookup {
                config,
                ch,
                raw: raw.to_vec(),
                operation,
            },
        )));
    }
    client_hello(common, config, ch, raw, None)
}

/// Paused until the session store answers for the ClientHello's session ID.
#[derive(Debug)]
pub(crate) struct AwaitSessionLookup {
    config: Arc<ServerConfig>,
    ch: ClientHello,
    raw: Vec<u8>,
    operation: Operation,
}

/// The ClientHello, with the session store's answer when it was asked ahead.
fn client_hello(
    common: &mut CommonState,
    config: Arc<ServerConfig>,
    mut ch: ClientHello,
    raw: &[u8],
    looked_up: Option<Option<Arc<StoredSession>>>,
) -> Result<ServerState12, Error> {
    if !ch.compression_methods.contains(&0) {
        return Err(illegal(
            "ClientHello",
            "compression_methods",
            "must include null (0)",
        ));
    }
    // RFC 8422, 5.1.2: a client listing curves of RFC 8422 whose point formats lack
    // uncompressed (the only format ferrotls's ECDHE uses) is illegal_parameter.
    let lists_ecc_curve = ch.extensions.iter().any(|e| {
        matches!(e, ClientExtension::SupportedGroups(g) if g.iter().any(|g| matches!(g,
            NamedGroup::secp256r1 | NamedGroup::secp384r1 | NamedGroup::secp521r1 | NamedGroup::X25519 | NamedGroup::X448)))
    });
    let without_uncompressed = ch.extensions.iter().any(|e| {
        matches!(e, ClientExtension::EcPointFormats(f) if !f.contains(&ECPointFormat::Uncompressed))
    });
    if lists_ecc_curve && without_uncompressed {
        return Err(illegal(
            "ClientHello",
            "ec_point_formats",
            "must include uncompressed (RFC 8422, 5.1.2)",
        ));
    }
    // RFC 5746, 3.6: the extension or the SCSV signals secure renegotiation support.
    let secure_renegotiation = match ch.extensions.iter().find_map(|e| match e {
        ClientExtension::RenegotiationInfo(v) => Some(v),
        _ => None,
    }) {
        // RFC 5746, 3.6: "MUST abort the handshake", which 3 defines as a fatal
        // handshake_failure alert.
        Some(v) if !v.is_empty() => {
            return Err(PeerMisbehaved::SecureRenegotiation {
                reason: "the client's renegotiation_info is not empty on an initial handshake",
            }
            .into())
        }
        Some(_) => true,
        None => ch
            .cipher_suites
            .contains(&CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV),
    };
    // RFC 7627, 5.2: a client that does not offer the extension gets the legacy
    // master secret, as every mainstream stack allows, unless configured otherwise.
    let client_ems = ch.has_extension(ExtensionType::ExtendedMasterSecret);
    if config.require_ems && !client_ems {
        return Err(NoCommon::ExtendedMasterSecret { from_server: false }.into());
    }
    // RFC 5077, 3.2: the client's ticket (empty when it asks for one), taken out of
    // the hello to be decrypted in place.
    let mut client_ticket = ch.extensions.iter_mut().find_map(|e| match e {
        ClientExtension::SessionTicket(t) => Some(std::mem::take(t)),
        _ => None,
    });
    common.negotiated.server_name = crate::server::client_sni(&ch);
    let server_name = common.negotiated.server_name.as_deref();
    let alpn = crate::server::choose_alpn(&config, &ch)?;

    let usable = |g: &NamedGroup| kx12::tls12_groups().contains(g);
    let group = match ch.supported_groups() {
        Some(client_groups) => config
            .groups
            .iter()
            .copied()
            .find(|g| usable(g) && client_groups.contains(g)),
        // RFC 8422, 4: without the extension the server may choose any curve. An old
        // client most likely has P-256 (OpenSSL's choice too), so P-256 if enabled,
        // else our first group that TLS 1.2 can use.
        None => [NamedGroup::secp256r1]
            .iter()
            .chain(&config.groups)
            .copied()
            .find(|g| usable(g) && config.groups.contains(g)),
    };
    let client_schemes = ch.signature_algorithms().unwrap_or_default();

    let mut chosen = None;
    for suite in config
        .suites12
        .iter()
        .copied()
        .filter(|s| ch.cipher_suites.contains(&s.suite))
    {
        let found = match suite.kx {
            KeyExchangeAlgorithm::Ecdhe => group.and_then(|g| {
                config.choose_cert_with(server_name, |c: &CertifiedKey| {
                    if !key_signs_for(c.key.kind(), suite.sign) {
                        return None;
                    }
                    c.key
                        .tls12_schemes()
                        .iter()
                        .copied()
                        .find(|s| client_schemes.contains(s) && scheme_matches(*s, suite.sign))
                        .map(|s| KeyUse::Sign(s, g))
                })
            }),
            KeyExchangeAlgorithm::Rsa => config
                .choose_cert_with(server_name, |c: &CertifiedKey| {
                    c.rsa_decrypt.as_ref().map(|_| KeyUse::Decrypt)
                }),
        };
        if let Some((cert, key_use)) = found {
            chosen = Some((suite, cert, key_use));
            break;
        }
    }
    let (suite, cert, key_use) = chosen.ok_or_else(|| NoCommon::CipherSuite {
        offered: ch.cipher_suites.iter().map(|s| s.to_string()).collect(),
        ours: config
            .suites12
            .iter()
            .map(|s| s.suite.to_string())
            .collect(),
    })?;

    let etm =
        ch.has_extension(ExtensionType::EncryptThenMac) && matches!(suite.bulk, Bulk::Cbc { .. });
    let send_ticket = client_ticket.is_some() && config.ticketer.is_some();
    let batch_nonce = send_ticket
        && config
            .ticketer
            .as_ref()
            .is_some_and(|t| t.draws_from(&config.provider.random));

    // Resumption: a ticket first (RFC 5077, 3.4), then the session ID cache.
    let resumed = client_ticket
        .as_mut()
        .filter(|t| !t.is_empty())
        .and_then(|t| config.ticketer.as_ref()?.decrypt_in_place(t))
        .map(Resumed::Ticket)
        .or_else(|| {
            let now = config.provider.time.now().as_secs();
            (!ch.session_id.is_empty())
                .then(|| match looked_up {
                    Some(found) => found,
                    // A store that pauses was not asked (a ticket came first).
                    None if config.session_cache.pauses() => None,
                    None => config.session_cache.get(&ch.session_id),
                })
                .flatten()
                .filter(|s| cached_session_fresh(s.created, now))
                .map(Resumed::Cached)
        })
        // Resume only with the same suite and, RFC 6066 3, the same server name.
        .filter(|r| {
            let s = r.session();
            s.suite == suite.suite && s.server_name.as_deref() == server_name
        });
    // RFC 7627, 5.3: a session with the extended master secret is never resumed
    // without it (the server MUST abort); one without it is not resumed when the
    // client now offers it (a full handshake makes a new session with it). When
    // neither has it, the legacy resumption goes on, as OpenSSL and Go allow: the
    // connection refuses renegotiation and exporters, as RFC 7627, 5.4 advises.
    if resumed
        .as_ref()
        .is_some_and(|r| r.session().ems && !client_ems)
    {
        return Err(PeerMisbehaved::EmsChangedOnResumption {
            from_server: false,
            session_ems: true,
        }
        .into());
    }
    let resumed = resumed
        .filter(|r| r.session().ems == client_ems)
        .filter(|r| client_auth_allows(&config, r.session()));

    // Every random byte this hello needs, in one draw: server random, then for a full
    // handshake the session ID, then the ticket nonce.
    let mut random = [0u8; HELLO_RANDOM_LEN];
    let used = 32
        + if resumed.is_none() { 32 } else { 0 }
        + if batch_nonce { TICKET_NONCE_LEN } else { 0 };
    config
        .provider
        .random
        .fill(random.get_mut(..used).unwrap_or_default())?;
    let mut server_random = [0u8; 32];
    let mut session_id = [0u8; 32];
    let mut ticket_nonce = [0u8; TICKET_NONCE_LEN];
    let mut drawn = random.iter();
    let mut take = |to: &mut [u8]| to.iter_mut().zip(&mut drawn).for_each(|(t, r)| *t = *r);
    take(&mut server_random);
    if resumed.is_none() {
        take(&mut session_id);
    }
    take(&mut ticket_nonce);
    // RFC 8446, 4.1.3: a TLS 1.3 server negotiating TLS 1.2 marks its random.
    if config.versions.contains(&ProtocolVersion::TLSv1_3) {
        if let Some(tail) = server_random.get_mut(24..) {
            tail.copy_from_slice(&DOWNGRADE_TLS12);
        }
    }

    let n = &mut common.negotiated;
    n.version = Some(ProtocolVersion::TLSv1_2);
    n.cipher_suite = Some(suite.suite);
    n.suite12 = Some(suite);
    n.alpn = alpn.clone();
    n.extended_master_secret = client_ems;

    let mut hs = Handshake {
        config: config.clone(),
        core: HandshakeCore::new(
            suite,
            ch.random,
            server_random,
            client_ems,
            etm,
            resumed.is_none() && config.client_auth.is_some(),
        ),
        session_id: Vec::new(),
        send_ticket,
        ticket_nonce: batch_nonce.then_some(ticket_nonce),
        session_created: resumed.as_ref().map(|r| r.session().created),
    };
    hs.record(raw);

    let mut extensions = Vec::with_capacity(8);
    if secure_renegotiation {
        extensions.push(ServerExtension::RenegotiationInfo(Vec::new()));
    }
    if client_ems {
        extensions.push(ServerExtension::ExtendedMasterSecret);
    }
    if etm {
        extensions.push(ServerExtension::EncryptThenMac);
    }
    if let Some(p) = alpn {
        extensions.push(ServerExtension::Alpn(p));
    }

    if let Some(session) = resumed {
        if send_ticket {
            extensions.push(ServerExtension::SessionTicketAck);
        }
        common.negotiated.resumed = true;
        // RFC 5246, 7.4.1.3: resuming, we echo the client's session ID.
        send_server_hello(
            common,
            &mut hs,
            std::mem::take(&mut ch.session_id),
            extensions,
        )?;
        let (master, peer_certificates) = session.into_parts();
        // The resumed connection stands for the client the session was made with; set
        // before our Finished, whose new ticket carries the chain on.
        common.negotiated.peer_certificates = peer_certificates;
        let master = MasterSecret::new(suite.hash, master);
        common.log_secret("CLIENT_RANDOM", master.as_bytes());
        let (encrypter, decrypter) = hs.keys(&master, false, hs.config.provider.random.clone())?;
        let mut fin = ExpectFinished {
            hs,
            master,
            encrypter: None,
        };
        fin.send_server_finish(common, encrypter)?;
        return Ok(ServerState12::ExpectCcs(Box::new(ExpectCcs {
            hs: fin.hs,
            master: fin.master,
            encrypter: None,
            decrypter,
        })));
    }

    // A full handshake.
    hs.session_id = session_id.to_vec();
    if common
        .negotiated
        .server_name
        .as_deref()
        .is_some_and(|n| cert.leaf.covers_dns_name(n))
    {
        extensions.push(ServerExtension::ServerNameAck);
    }
    if send_ticket {
        extensions.push(ServerExtension::SessionTicketAck);
    }
    if matches!(key_use, KeyUse::Sign(..)) && ch.has_extension(ExtensionType::EcPointFormats) {
        extensions.push(ServerExtension::EcPointFormats(vec![
            ECPointFormat::Uncompressed,
        ]));
    }
    // RFC 6066, 8: staple when asked and we have a response.
    let staple = cert
        .ocsp
        .clone()
        .filter(|_| ch.has_extension(ExtensionType::StatusRequest));
    if staple.is_some() {
        extensions.push(ServerExtension::StatusRequestAck);
    }
    if config.heartbeat && ch.has_extension(ExtensionType::Heartbeat) {
        // RFC 6520, 2: the mode tells the client it may send us requests.
        extensions.push(ServerExtension::Heartbeat(HeartbeatMode::PeerAllowedToSend));
        common.heartbeat = true;
        common.random = Some(config.provider.random.clone());
    }
    send_server_hello(common, &mut hs, session_id.to_vec(), extensions)?;
    hs.send(
        common,
        HandshakePayload12::Certificate(Certificate12 {
            certs: cert.chain.iter().map(|c| c.as_ref().to_vec()).collect(),
        }),
    )?;
    if let Some(ocsp_response) = staple {
        hs.send(
            common,
            HandshakePayload12::CertificateStatus(CertificateStatus { ocsp_response }),
        )?;
    }
    let kx = match key_use {
        KeyUse::Sign(scheme, group) => {
            let kx = kx12::EcdheKeyExchange::start(group)?;
            let mut ske = ServerKeyExchangeEcdhe {
                curve_type: NAMED_CURVE,
                group,
                public: kx.public_point().to_vec(),
                scheme,
                signature: Vec::new(),
            };
            let signed = ske.signed_message(&hs.client_random, &hs.server_random);
            if cert.key.is_remote() {
                // RFC 5246, 7.4.3: the key is elsewhere; wait for its signature.
                let operation = Operation::Sign(SignRequest {
                    scheme,
                    message: signed,
                    certificate: cert
                        .chain
                        .first()
                        .cloned()
                        .unwrap_or_else(|| CertificateDer::from(Vec::new())),
                });
                return Ok(ServerState12::AwaitSignature(Box::new(AwaitSignature {
                    hs,
                    cert,
                    kx,
                    ske,
                    client_version: ch.legacy_version,
                    operation,
                })));
            }
            ske.signature = cert.key.sign(scheme, &signed)?;
            send_server_key_exchange(common, &mut hs, ske)?;
            Some(kx)
        }
        KeyUse::Decrypt => None,
    };
    send_certificate_request_and_done(common, hs, cert, kx, ch.legacy_version)
}

/// RFC 5246, 7.4.3: the signed ServerKeyExchange.
fn send_server_key_exchange(
    common: &mut CommonState,
    hs: &mut Handshake,
    ske: ServerKeyExchangeEcdhe,
) -> Result<(), Error> {
    let (group, scheme) = (ske.group, ske.scheme);
    hs.send(common, HandshakePayload12::ServerKeyExchange(ske))?;
    common.negotiated.group = Some(group);
    common.negotiated.signature_scheme = Some(scheme);
    Ok(())
}

/// Paused until a remote key signs the ServerKeyExchange (`crate::pause`).
#[derive(Debug)]
pub(crate) struct AwaitSignature {
    hs: Handshake,
    cert: Arc<CertifiedKey>,
    kx: kx12::EcdheKeyExchange,
    ske: ServerKeyExchangeEcdhe,
    client_version: ProtocolVersion,
    operation: Operation,
}

impl AwaitSignature {
    fn resume(
        self: Box<Self>,
        common: &mut CommonState,
        completion: Completion,
    ) -> Result<ServerState12, Error> {
        let AwaitSignature {
            mut hs,
            cert,
            kx,
            mut ske,
            client_version,
            operation: _,
        } = *self;
        ske.signature = crate::pause::signature(completion, ske.scheme)?;
        send_server_key_exchange(common, &mut hs, ske)?;
        send_certificate_request_and_done(common, hs, cert, Some(kx), client_version)
    }
}

/// The rest of the server's first flight: CertificateRequest if we ask for a
/// client certificate, then ServerHelloDone.
fn send_certificate_request_and_done(
    common: &mut CommonState,
    mut hs: Handshake,
    cert: Arc<CertifiedKey>,
    kx: Option<kx12::EcdheKeyExchange>,
    client_version: ProtocolVersion,
) -> Result<ServerState12, Error> {
    // RFC 5246, 7.4.4: ask for a client certificate.
    let client_auth = hs.config.client_auth.clone();
    if let Some(verifier) = &client_auth {
        hs.send(
            common,
            HandshakePayload12::CertificateRequest(CertificateRequest12 {
                certificate_types: vec![CERT_TYPE_RSA_SIGN, CERT_TYPE_ECDSA_SIGN],
                schemes: tls12_schemes().to_vec(),
                authorities: verifier.root_hint_subjects(),
            }),
        )?;
        common.negotiated.client_auth = true;
    }
    hs.send(common, HandshakePayload12::ServerHelloDone)?;
    let next = Box::new(ExpectClientKeyExchange {
        hs,
        cert,
        kx,
        client_version,
        client_auth,
        client_spki: None,
    });
    Ok(if next.client_auth.is_some() {
        ServerState12::ExpectClientCertificate(next)
    } else {
        ServerState12::ExpectClientKeyExchange(next)
    })
}

fn send_server_hello(
    common: &mut CommonState,
    hs: &mut Handshake,
    session_id: Vec<u8>,
    extensions: Vec<ServerExtension>,
) -> Result<(), Error> {
    let sh = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random: hs.server_random,
        session_id,
        cipher_suite: hs.suite.suite,
        compression_method: 0,
        extensions,
        empty_extensions_block: false,
    }));
    hs.send_hello(common, &sh)
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
        common: &mut CommonState,
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
        self.client_spki = crate::pki::verify_client_chain(
            common,
            self.client_auth.as_deref(),
            cert.certs.into_iter().map(CertificateDer::from),
            self.hs.config.provider.time.now(),
        )?;
        Ok(ServerState12::ExpectClientKeyExchange(self))
    }

    fn handle(
        mut self,
        common: &mut CommonState,
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
        common.log_secret("CLIENT_RANDOM", master.as_bytes());
        let (encrypter, decrypter) =
            self.hs
                .keys(&master, false, self.hs.config.provider.random.clone())?;
        let ccs = Box::new(ExpectCcs {
            hs: self.hs,
            master,
            encrypter: Some(encrypter),
            decrypter,
        });
        Ok(match self.client_spki {
            Some((spki, verified)) => {
                ServerState12::ExpectCertificateVerify(Box::new(ExpectCertificateVerify {
                    ccs,
                    spki,
                    _verified: verified,
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
    fn resume(
        self,
        common: &mut CommonState,
        completion: Completion,
    ) -> Result<ServerState12, Error> {
        let verified = crate::pause::client_cert_verdict(completion)?;
        let AwaitClientCertVerification {
            mut inner,
            operation,
        } = self;
        let Operation::VerifyClientCert(request) = operation else {
            return Err(crate::error::ApiError::NoOperationPending.into());
        };
        let spki = crate::pki::spki_of(request.end_entity.as_ref())?.to_vec();
        let mut chain = vec![request.end_entity];
        chain.extend(request.intermediates);
        common.negotiated.peer_certificates = chain;
        inner.client_spki = Some((spki, verified));
        Ok(ServerState12::ExpectClientKeyExchange(inner))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificateVerify {
    ccs: Box<ExpectCcs>,
    spki: Vec<u8>,
    _verified: ClientCertVerified,
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
        sign::verify_signature(cv.scheme, &self.spki, &messages, &cv.signature)
            .map_err(|_| PeerMisbehaved::BadCertificateVerify { scheme: cv.scheme })?;
        self.ccs.hs.record(raw);
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
}

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    hs: Handshake,
    master: MasterSecret,
    encrypter: Option<Box<Encrypter12>>,
}

impl ExpectFinished {
    fn handle(
        mut self,
        common: &mut CommonState,
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
            self.send_server_finish(common, encrypter)?;
        }
        common.exporter = Some(self.hs.exporter(&self.master));
        common.finish_handshake()?;
        if !self.hs.session_id.is_empty() && !common.negotiated.resumed {
            let session = self.stored_session(common);
            // A session too large to keep (an outsized client chain) is not cached:
            // the client's next connection is a full handshake.
            if session.fits_for_resumption() {
                let id = std::mem::take(&mut self.hs.session_id);
                self.hs.config.session_cache.put(id, Arc::new(session));
            }
        }
        Ok(ServerState12::Connected(Box::new(Connected)))
    }

    fn stored_session(&self, common: &CommonState) -> StoredSession {
        StoredSession {
            suite: self.hs.suite.suite,
            master_secret: Secret::from(self.master.as_bytes()),
            ems: self.hs.ems,
            created: self
                .hs
                .session_created
                .unwrap_or_else(|| self.hs.config.provider.time.now().as_secs()),
            server_name: common.negotiated.server_name.clone(),
            age_add: 0,
            max_early_data: 0,
            alpn: None,
            // Verified in this handshake (with its CertificateVerify) or restored
            // with the session it resumes.
            peer_certificates: StoredSession::chain_to_store(&common.negotiated.peer_certificates),
        }
    }

    /// [NewSessionTicket], ChangeCipherSpec, Finished (RFC 5077, 3.3; RFC 5246, 7.4.9).
    fn send_server_finish(
        &mut self,
        common: &mut CommonState,
        encrypter: Box<Encrypter12>,
    ) -> Result<(), Error> {
        if self.hs.send_ticket {
            let nonce = self.hs.ticket_nonce.take();
            let ticket = self.hs.config.ticketer.as_ref().and_then(|t| {
                let session = self.stored_session(common);
                match nonce {
                    Some(nonce) => t.encrypt_with_nonce(&session, nonce),
                    None => t.encrypt(&session),
                }
                .map(|ticket| (t.lifetime(), ticket))
            });
            // RFC 5077, 3.3: an empty ticket when we could not make one.
            let (lifetime_hint, ticket) = ticket.unwrap_or_default();
            self.hs.send(
                common,
                HandshakePayload12::NewSessionTicket(NewSessionTicket12 {
                    lifetime_hint,
                    ticket,
                }),
            )?;
        }
        common.send_ccs();
        common.set_encrypter(encrypter, Protection::Handshake);
        let verify_data = self.hs.finished(&self.master, prf::SERVER_FINISHED);
        self.hs.send(
            common,
            HandshakePayload12::Finished(Finished {
                verify_data: verify_data.as_bytes().to_vec(),
            }),
        )
    }
}

/// The handshake is complete; renegotiation is refused.
#[derive(Debug)]
pub(crate) struct Connected;
