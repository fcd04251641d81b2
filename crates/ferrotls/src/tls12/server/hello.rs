//! A TLS 1.2 server's answer to the ClientHello (RFC 5246, 7.4.1.2 and 7.3), one
//! function per step: check it, choose suite and certificate, resume a session
//! or send the full handshake's ServerHello, Certificate, CertificateStatus,
//! ServerKeyExchange, CertificateRequest and ServerHelloDone.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use super::*;

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

/// Random bytes one ClientHello needs at most: server random, session ID, ticket nonce.
const HELLO_RANDOM_LEN: usize = 32 + 32 + TICKET_NONCE_LEN;

fn key_signs_for(kind: KeyKind, sign: SignatureAlgorithm) -> bool {
    match sign {
        SignatureAlgorithm::Ecdsa => !matches!(kind, KeyKind::Rsa { .. }),
        SignatureAlgorithm::Rsa => matches!(kind, KeyKind::Rsa { .. }),
    }
}

/// Handles a ClientHello that negotiates TLS 1.2 (RFC 5246, 7.4.1.2): checks it,
/// chooses suite, certificate and group, then resumes a session (RFC 5077, 3.4;
/// RFC 5246, 7.3) or starts a full handshake.
pub(crate) fn handle_client_hello(
    out: &mut Output<'_>,
    config: Arc<ServerConfig>,
    ch: ClientHello,
    raw: &[u8],
) -> Result<ServerState12, Error> {
    // A ticket the ticketer can try goes first; otherwise a session store that
    // pauses is asked for the session ID before anything else (`crate::pause`), so
    // that answering the hello after the lookup repeats no side effect.
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
    answer_client_hello(out, config, ch, raw, None)
}

/// Paused until the session store answers for the ClientHello's session ID.
#[derive(Debug)]
pub(crate) struct AwaitSessionLookup {
    config: Arc<ServerConfig>,
    ch: ClientHello,
    raw: Vec<u8>,
    pub(super) operation: Operation,
}

impl AwaitSessionLookup {
    pub(super) fn resume(
        self: Box<Self>,
        out: &mut Output<'_>,
        completion: Completion,
    ) -> Result<ServerState12, Error> {
        let AwaitSessionLookup {
            config, ch, raw, ..
        } = *self;
        let found = crate::pause::session(completion)?;
        answer_client_hello(out, config, ch, &raw, Some(found))
    }
}

/// The ClientHello, with the session store's answer when it was asked ahead
/// (`looked_up`).
fn answer_client_hello(
    out: &mut Output<'_>,
    config: Arc<ServerConfig>,
    mut ch: ClientHello,
    raw: &[u8],
    looked_up: Option<Option<Arc<StoredSession>>>,
) -> Result<ServerState12, Error> {
    let offer = check_client_hello(&config, &ch)?;
    // RFC 5077, 3.2: the client's ticket (empty when it asks for one), taken out of
    // the hello to be decrypted in place.
    let mut client_ticket = ch.extensions.iter_mut().find_map(|e| match e {
        ClientExtension::SessionTicket(t) => Some(std::mem::take(t)),
        _ => None,
    });
    out.record(Fact::ServerName(crate::server::client_sni(&ch)));
    let server_name = out.negotiated().server_name.as_deref();
    let alpn = crate::server::choose_alpn(&config, &ch)?;
    let (suite, cert, key_use) = choose(&config, &ch, server_name)?;

    let etm =
        ch.has_extension(ExtensionType::EncryptThenMac) && matches!(suite.bulk, Bulk::Cbc { .. });
    let send_ticket = client_ticket.is_some() && config.ticketer.is_some();
    let batch_nonce = send_ticket
        && config
            .ticketer
            .as_ref()
            .is_some_and(|t| t.draws_from(&config.provider.random));
    let resumed = resume(
        &config,
        &ch,
        client_ticket.as_mut(),
        suite,
        server_name,
        offer.ems,
        looked_up,
    )?;
    let randoms = HelloRandoms::draw(&config, resumed.is_none(), batch_nonce)?;

    out.record(Fact::Tls12 {
        suite,
        extended_master_secret: offer.ems,
    });
    out.record(Fact::Alpn(alpn.clone()));

    let mut hs = Handshake {
        config: config.clone(),
        core: HandshakeCore::new(
            suite,
            ch.random,
            randoms.server_random,
            offer.ems,
            etm,
            resumed.is_none() && config.client_auth.is_some(),
        ),
        session_id: Vec::new(),
        send_ticket,
        ticket_nonce: batch_nonce.then_some(randoms.ticket_nonce),
        session_created: resumed.as_ref().map(|r| r.session().created),
    };
    hs.record(raw);

    let mut extensions = Vec::with_capacity(8);
    if offer.secure_renegotiation {
        extensions.push(ServerExtension::RenegotiationInfo(Vec::new()));
    }
    if offer.ems {
        extensions.push(ServerExtension::ExtendedMasterSecret);
    }
    if etm {
        extensions.push(ServerExtension::EncryptThenMac);
    }
    if let Some(p) = alpn {
        extensions.push(ServerExtension::Alpn(p));
    }
    match resumed {
        // RFC 5246, 7.4.1.3: resuming, we echo the client's session ID.
        Some(session) => resume_session(
            out,
            hs,
            std::mem::take(&mut ch.session_id),
            session,
            extensions,
        ),
        None => {
            hs.session_id = randoms.session_id.to_vec();
            full_handshake(out, hs, &ch, cert, key_use, extensions)
        }
    }
}

/// What the checks of a ClientHello found (RFC 5246, 7.4.1.2).
struct ClientOffer12 {
    /// RFC 5746, 3.6: the client supports secure renegotiation.
    secure_renegotiation: bool,
    /// RFC 7627, 5.1: the client offers the extended master secret.
    ems: bool,
}

/// The checks of a TLS 1.2 ClientHello: compression, point formats (RFC 8422,
/// 5.1.2), renegotiation_info (RFC 5746, 3.6) and the extended master secret
/// (RFC 7627, 5.2).
fn check_client_hello(config: &ServerConfig, ch: &ClientHello) -> Result<ClientOffer12, Error> {
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
    let ems = ch.has_extension(ExtensionType::ExtendedMasterSecret);
    if config.require_ems && !ems {
        return Err(NoCommon::ExtendedMasterSecret { from_server: false }.into());
    }
    Ok(ClientOffer12 {
        secure_renegotiation,
        ems,
    })
}

/// RFC 5246, 7.4.1.2 and RFC 8422, 5.1: our first suite the client offers for
/// which we have a certificate, and how its key is used: signing the
/// ServerKeyExchange of ECDHE on a group both support, or RSA key transport.
fn choose(
    config: &ServerConfig,
    ch: &ClientHello,
    server_name: Option<&str>,
) -> Result<(&'static Tls12CipherSuite, Arc<CertifiedKey>, KeyUse), Error> {
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
            return Ok((suite, cert, key_use));
        }
    }
    Err(NoCommon::CipherSuite {
        offered: ch.cipher_suites.iter().map(|s| s.to_string()).collect(),
        ours: config
            .suites12
            .iter()
            .map(|s| s.suite.to_string())
            .collect(),
    }
    .into())
}

/// The session to resume, if any: a ticket first (RFC 5077, 3.4), then the
/// session ID cache (RFC 5246, 7.4.1.2), with the same suite and server name
/// (RFC 6066, 3), the same use of the extended master secret (RFC 7627, 5.3),
/// and a client our client authentication would accept now.
fn resume(
    config: &ServerConfig,
    ch: &ClientHello,
    client_ticket: Option<&mut Vec<u8>>,
    suite: &'static Tls12CipherSuite,
    server_name: Option<&str>,
    client_ems: bool,
    looked_up: Option<Option<Arc<StoredSession>>>,
) -> Result<Option<Resumed>, Error> {
    let resumed = client_ticket
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
    Ok(resumed
        .filter(|r| r.session().ems == client_ems)
        .filter(|r| crate::server::client_auth_allows(config, r.session())))
}

/// The random bytes of our hello: the server random, a session ID for a full
/// handshake, a ticket nonce.
struct HelloRandoms {
    server_random: [u8; 32],
    session_id: [u8; 32],
    ticket_nonce: [u8; TICKET_NONCE_LEN],
}

impl HelloRandoms {
    /// Every random byte this hello needs, in one draw: server random, then for a
    /// full handshake the session ID, then the ticket nonce. A TLS 1.3 server
    /// negotiating TLS 1.2 marks its random (RFC 8446, 4.1.3).
    fn draw(config: &ServerConfig, full: bool, ticket_nonce: bool) -> Result<Self, Error> {
        let mut random = [0u8; HELLO_RANDOM_LEN];
        let used = 32 + if full { 32 } else { 0 } + if ticket_nonce { TICKET_NONCE_LEN } else { 0 };
        config
            .provider
            .random
            .fill(random.get_mut(..used).unwrap_or_default())?;
        let mut out = HelloRandoms {
            server_random: [0u8; 32],
            session_id: [0u8; 32],
            ticket_nonce: [0u8; TICKET_NONCE_LEN],
        };
        let mut drawn = random.iter();
        let mut take = |to: &mut [u8]| to.iter_mut().zip(&mut drawn).for_each(|(t, r)| *t = *r);
        take(&mut out.server_random);
        if full {
            take(&mut out.session_id);
        }
        take(&mut out.ticket_nonce);
        if config.versions.contains(&ProtocolVersion::TLSv1_3) {
            if let Some(tail) = out.server_random.get_mut(24..) {
                tail.copy_from_slice(&DOWNGRADE_TLS12);
            }
        }
        Ok(out)
    }
}

/// RFC 5246, 7.3 (abbreviated handshake) and RFC 5077, 3.1: ServerHello echoing
/// the client's session ID, then at once our ChangeCipherSpec and Finished.
fn resume_session(
    out: &mut Output<'_>,
    mut hs: Handshake,
    session_id: Vec<u8>,
    session: Resumed,
    mut extensions: Vec<ServerExtension>,
) -> Result<ServerState12, Error> {
    if hs.send_ticket {
        extensions.push(ServerExtension::SessionTicketAck);
    }
    out.record(Fact::Resumed(true));
    send_server_hello(out, &mut hs, session_id, extensions)?;
    let (master, peer_certificates) = session.into_parts();
    // The resumed connection stands for the client the session was made with; set
    // before our Finished, whose new ticket carries the chain on.
    out.record(Fact::PeerCertificates(peer_certificates));
    let master = MasterSecret::new(hs.suite.hash, master);
    out.log_secret("CLIENT_RANDOM", master.as_bytes());
    let (encrypter, decrypter) = hs.keys(&master, false, hs.config.provider.random.clone())?;
    let mut fin = ExpectFinished {
        hs,
        master,
        encrypter: None,
        _client: ClientProof12::Resumed,
    };
    fin.send_server_finish(out, encrypter)?;
    Ok(ServerState12::ExpectCcs(Box::new(ExpectCcs {
        hs: fin.hs,
        master: fin.master,
        encrypter: None,
        decrypter,
        client: ClientProof12::Resumed,
    })))
}

/// RFC 5246, 7.3 (full handshake): ServerHello, Certificate, CertificateStatus
/// (RFC 6066, 8), ServerKeyExchange, CertificateRequest and ServerHelloDone.
fn full_handshake(
    out: &mut Output<'_>,
    mut hs: Handshake,
    ch: &ClientHello,
    cert: Arc<CertifiedKey>,
    key_use: KeyUse,
    mut extensions: Vec<ServerExtension>,
) -> Result<ServerState12, Error> {
    let config = hs.config.clone();
    if out
        .negotiated()
        .server_name
        .as_deref()
        .is_some_and(|n| cert.leaf.covers_dns_name(n))
    {
        extensions.push(ServerExtension::ServerNameAck);
    }
    if hs.send_ticket {
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
        out.answer_heartbeats(config.provider.random.clone());
    }
    let session_id = hs.session_id.clone();
    send_server_hello(out, &mut hs, session_id, extensions)?;
    send_certificate(out, &mut hs, &cert)?;
    if let Some(ocsp_response) = staple {
        // RFC 6066, 8: CertificateStatus follows the Certificate.
        hs.send(
            out,
            HandshakePayload12::CertificateStatus(CertificateStatus { ocsp_response }),
        )?;
    }
    let kx = match key_use {
        KeyUse::Sign(scheme, group) => {
            let (kx, ske) = server_key_exchange_params(group, scheme)?;
            if cert.key.is_remote() {
                // The key is elsewhere: wait for its signature (`crate::pause`).
                let operation = Operation::Sign(SignRequest::new(
                    &cert,
                    scheme,
                    ske.signed_message(&hs.client_random, &hs.server_random),
                ));
                return Ok(ServerState12::AwaitSignature(Box::new(AwaitSignature {
                    hs,
                    cert,
                    kx,
                    ske,
                    client_version: ch.legacy_version,
                    operation,
                })));
            }
            let signature = sign_server_key_exchange(&hs, &cert, &ske)?;
            send_server_key_exchange(out, &mut hs, ske, signature)?;
            Some(kx)
        }
        KeyUse::Decrypt => None,
    };
    end_first_flight(out, hs, cert, kx, ch.legacy_version)
}

/// Paused until a remote key signs the ServerKeyExchange (`crate::pause`).
#[derive(Debug)]
pub(crate) struct AwaitSignature {
    hs: Handshake,
    cert: Arc<CertifiedKey>,
    kx: kx12::EcdheKeyExchange,
    ske: ServerKeyExchangeEcdhe,
    client_version: ProtocolVersion,
    pub(super) operation: Operation,
}

impl AwaitSignature {
    pub(super) fn resume(
        self: Box<Self>,
        out: &mut Output<'_>,
        completion: Completion,
    ) -> Result<ServerState12, Error> {
        let AwaitSignature {
            mut hs,
            cert,
            kx,
            ske,
            client_version,
            operation: _,
        } = *self;
        let signature = crate::pause::signature(completion, ske.scheme)?;
        send_server_key_exchange(out, &mut hs, ske, signature)?;
        end_first_flight(out, hs, cert, Some(kx), client_version)
    }
}

/// The end of the server's first flight: CertificateRequest (RFC 5246, 7.4.4)
/// when client certificates are verified, then ServerHelloDone (7.4.5).
fn end_first_flight(
    out: &mut Output<'_>,
    mut hs: Handshake,
    cert: Arc<CertifiedKey>,
    kx: Option<kx12::EcdheKeyExchange>,
    client_version: ProtocolVersion,
) -> Result<ServerState12, Error> {
    let config = hs.config.clone();
    let client_auth = send_certificate_request(out, &mut hs, &config)?;
    hs.send(out, HandshakePayload12::ServerHelloDone)?;
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

/// RFC 5246, 7.4.2: our certificate chain.
fn send_certificate(
    out: &mut Output<'_>,
    hs: &mut Handshake,
    cert: &CertifiedKey,
) -> Result<(), Error> {
    hs.send(
        out,
        HandshakePayload12::Certificate(Certificate12 {
            certs: cert.chain.iter().map(|c| c.as_ref().to_vec()).collect(),
        }),
    )
}

/// RFC 8422, 5.4: our ephemeral ECDHE key on `group`, and the ServerKeyExchange
/// parameters that carry it, not yet signed.
fn server_key_exchange_params(
    group: NamedGroup,
    scheme: SignatureScheme,
) -> Result<(kx12::EcdheKeyExchange, ServerKeyExchangeEcdhe), Error> {
    let kx = kx12::EcdheKeyExchange::start(group)?;
    let ske = ServerKeyExchangeEcdhe {
        curve_type: NAMED_CURVE,
        group,
        public: kx.public_point().to_vec(),
        scheme,
        signature: Vec::new(),
    };
    Ok((kx, ske))
}

/// RFC 8422, 5.4: the signature of the ServerKeyExchange, with the certificate's
/// key over both randoms and the parameters.
fn sign_server_key_exchange(
    hs: &Handshake,
    cert: &CertifiedKey,
    ske: &ServerKeyExchangeEcdhe,
) -> Result<Vec<u8>, Error> {
    let signed = ske.signed_message(&hs.client_random, &hs.server_random);
    Ok(cert.key.sign(ske.scheme, &signed)?)
}

/// RFC 8422, 5.4: the ServerKeyExchange, carrying `signature` (see
/// `sign_server_key_exchange`).
fn send_server_key_exchange(
    out: &mut Output<'_>,
    hs: &mut Handshake,
    mut ske: ServerKeyExchangeEcdhe,
    signature: Vec<u8>,
) -> Result<(), Error> {
    let (group, scheme) = (ske.group, ske.scheme);
    ske.signature = signature;
    hs.send(out, HandshakePayload12::ServerKeyExchange(ske))?;
    out.record(Fact::Group(group));
    out.record(Fact::SignatureScheme(Some(scheme)));
    Ok(())
}

/// RFC 5246, 7.4.4: a CertificateRequest when client certificates are verified.
/// Returns the verifier.
fn send_certificate_request(
    out: &mut Output<'_>,
    hs: &mut Handshake,
    config: &ServerConfig,
) -> Result<Option<Arc<dyn ClientCertVerifier>>, Error> {
    let Some(verifier) = config.client_auth.clone() else {
        return Ok(None);
    };
    hs.send(
        out,
        HandshakePayload12::CertificateRequest(CertificateRequest12 {
            certificate_types: vec![CERT_TYPE_RSA_SIGN, CERT_TYPE_ECDSA_SIGN],
            schemes: tls12_schemes().to_vec(),
            authorities: verifier.root_hint_subjects(),
        }),
    )?;
    out.record(Fact::ClientAuth);
    Ok(Some(verifier))
}

/// RFC 5246, 7.4.1.3: the ServerHello.
fn send_server_hello(
    out: &mut Output<'_>,
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
    hs.send_hello(out, &sh)
}
