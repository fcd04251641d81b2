//! TLS 1.3 client handshake states (RFC 8446, 2 and 4), from the ServerHello on;
//! the ClientHello and the version split are in `client::hello`.
//!
//! ```text
//! ServerHello -> ExpectEncryptedExtensions -> ExpectCertificateOrCertReq
//!   -(CertificateRequest)-> ExpectCertificate -> ExpectCertificateVerify
//!   -> ExpectFinished -> Connected
//! ```
//!
//! In Connected, a CertificateRequest (post-handshake authentication, RFC 8446,
//! 4.6.2) is answered at once with Certificate, CertificateVerify and Finished.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::client::offer::{HelloBase, HelloProgress};
use crate::client::{ClientConfig, Tls13Ticket, MAX_TICKET_LEN};
use crate::conn::{ClientEarlyData, CommonState, Flight, HsMessage};
use crate::crypto::kx::KeyExchange;
use crate::crypto::{constant_time_eq, sign};
use crate::ech::{self, EchError};
use crate::error::illegal;
use crate::error::{CertificateError, Error, PeerMisbehaved};
use crate::exporter::ExporterSecret;
use crate::msgs::enums::{ExtensionType, HandshakeType, ProtocolVersion, SignatureScheme};
use crate::msgs::{
    Certificate13, CertificateEntry, CertificateRequest13, CertificateVerify, EncryptedExtensions,
    Finished, HandshakeMessage, HandshakePayload, NewSessionTicket13, ServerExtension, ServerHello,
};
use crate::observe::Protection;
use crate::pki::ServerCertVerified;
use crate::record::RecordEncrypter;
use crate::tls13::key_schedule::{
    finished_verify_data, resumption_psk, EarlySecret, HandshakeSecret, MasterSecret, TrafficSecret,
};
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::{certificate_verify_message, Transcript};

/// Where a TLS 1.3 client is after the ServerHello. Each variant holds only what
/// is valid there.
#[derive(Debug)]
pub(crate) enum ClientState13 {
    ExpectEncryptedExtensions(Box<ExpectEncryptedExtensions>),
    ExpectCertificateOrCertReq(Box<ExpectCertificate>),
    ExpectCertificate(Box<ExpectCertificate>),
    ExpectCertificateVerify(Box<ExpectCertificateVerify>),
    ExpectFinished(Box<ExpectFinished>),
    Connected(Box<Connected>),
}

impl ClientState13 {
    /// Whether a message of type `typ` could be handled in this state.
    pub fn expects(&self, typ: HandshakeType) -> bool {
        use HandshakeType as H;
        match self {
            ClientState13::ExpectEncryptedExtensions(_) => typ == H::EncryptedExtensions,
            ClientState13::ExpectCertificateOrCertReq(_) => {
                matches!(typ, H::Certificate | H::CertificateRequest)
            }
            ClientState13::ExpectCertificate(_) => typ == H::Certificate,
            ClientState13::ExpectCertificateVerify(_) => typ == H::CertificateVerify,
            ClientState13::ExpectFinished(_) => typ == H::Finished,
            ClientState13::Connected(_) => matches!(
                typ,
                H::NewSessionTicket | H::KeyUpdate | H::CertificateRequest
            ),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ClientState13::ExpectEncryptedExtensions(_) => "ExpectEncryptedExtensions",
            ClientState13::ExpectCertificateOrCertReq(_) => "ExpectCertificateOrCertificateRequest",
            ClientState13::ExpectCertificate(_) => "ExpectCertificate",
            ClientState13::ExpectCertificateVerify(_) => "ExpectCertificateVerify",
            ClientState13::ExpectFinished(_) => "ExpectFinished",
            ClientState13::Connected(_) => "Connected",
        }
    }

    pub fn handle(self, common: &mut CommonState, msg: HsMessage) -> Result<Self, Error> {
        let name = self.name();
        let got = msg.parsed.name();
        match (self, msg.parsed.payload) {
            (
                ClientState13::ExpectEncryptedExtensions(s),
                HandshakePayload::EncryptedExtensions(ee),
            ) => s.handle(common, ee, &msg.raw),
            (
                ClientState13::ExpectCertificateOrCertReq(s),
                HandshakePayload::CertificateRequest(cr),
            ) => s.handle_certificate_request(common, cr, &msg.raw),
            (
                ClientState13::ExpectCertificateOrCertReq(s) | ClientState13::ExpectCertificate(s),
                HandshakePayload::Certificate(c),
            ) => s.handle(common, c, &msg.raw),
            (
                ClientState13::ExpectCertificateVerify(s),
                HandshakePayload::CertificateVerify(cv),
            ) => s.handle(cv, &msg.raw),
            (ClientState13::ExpectFinished(s), HandshakePayload::Finished(f)) => {
                s.handle(common, f, &msg.raw)
            }
            (ClientState13::Connected(s), HandshakePayload::NewSessionTicket(t)) => {
                s.store_ticket(common, t)?;
                Ok(ClientState13::Connected(s))
            }
            (ClientState13::Connected(s), HandshakePayload::KeyUpdate(ku)) => {
                common.receive_key_update(ku.0)?;
                Ok(ClientState13::Connected(s))
            }
            (ClientState13::Connected(s), HandshakePayload::CertificateRequest(cr)) => {
                s.answer_certificate_request(common, cr, &msg.raw)?;
                Ok(ClientState13::Connected(s))
            }
            (_, _) => Err(Error::UnexpectedMessage { state: name, got }),
        }
    }
}

/// RFC 8446, 4.1.3: a TLS 1.3 ServerHello (not a HelloRetryRequest), its version,
/// session ID, suite and ECH confirmation already checked by `client::hello`:
/// its extensions, the key share and the PSK; then the handshake secrets
/// (RFC 8446, 7.1), under which EncryptedExtensions arrives.
#[allow(clippy::too_many_arguments)] // what the hello exchange hands over, in one place
pub(crate) fn handle_server_hello(
    common: &mut CommonState,
    base: HelloBase,
    key_shares: Vec<KeyExchange>,
    progress: HelloProgress,
    suite: &'static Tls13CipherSuite,
    sh: ServerHello,
    raw: Vec<u8>,
) -> Result<ClientState13, Error> {
    // RFC 8446, 4.2: a recognised extension that a TLS 1.3 ServerHello may not
    // carry (a TLS 1.2 answer such as ALPN) is illegal_parameter, even when the
    // client sent the request: its answer belongs in EncryptedExtensions.
    if sh.tls13_forbidden_extension().is_some() {
        return Err(illegal(
            "ServerHello",
            "extensions",
            "a TLS 1.3 ServerHello may carry only supported_versions, key_share and pre_shared_key",
        ));
    }
    // RFC 8446, 4.1.3: only these extensions may appear in a TLS 1.3 ServerHello.
    for ext in &sh.extensions {
        match ext {
            ServerExtension::SupportedVersions(_) | ServerExtension::KeyShare(_) => {}
            ServerExtension::PreSharedKey(_) if base.ticket.is_some() => {}
            other => {
                return Err(PeerMisbehaved::UnsolicitedExtension {
                    message: "ServerHello",
                    extension: other.ext_type().to_string(),
                }
                .into())
            }
        }
    }
    let share = sh.key_share().ok_or(PeerMisbehaved::MissingExtension {
        message: "ServerHello",
        extension: "key_share",
    })?;
    let (mut transcript, offered_early) = match progress {
        HelloProgress::First {
            client_hello,
            offered,
        } => match offered {
            // The binder's transcript goes on if the chosen suite hashes alike.
            Some((t, early)) if t.algorithm() == suite.hash => (t, Some(early)),
            _ => {
                let mut t = Transcript::new(suite.hash);
                t.add(&client_hello);
                (t, None)
            }
        },
        HelloProgress::Retried {
            suite: hrr_suite,
            transcript,
            early,
        } => {
            if hrr_suite.suite != suite.suite {
                return Err(illegal(
                    "ServerHello",
                    "cipher_suite",
                    "differs from the one in HelloRetryRequest",
                ));
            }
            (transcript, early)
        }
    };
    let kx = key_shares
        .into_iter()
        .find(|k| k.group() == share.group)
        .ok_or_else(|| PeerMisbehaved::SelectedUnoffered {
            what: "key share group",
            value: share.group.to_string(),
        })?;
    let shared = kx.complete(&share.payload)?;
    transcript.add(&raw);

    // RFC 8446, 4.2.11: the server accepted our (only) PSK, with a suite of its hash.
    let psk = match (sh.psk_index(), &base.ticket) {
        (None, _) => None,
        (Some(0), Some((t, ticket_suite))) if ticket_suite.hash == suite.hash => {
            if !t.resumption {
                common.negotiated.external_psk = Some(t.identity.clone());
            }
            Some(t.psk.as_bytes())
        }
        (Some(_), _) => {
            return Err(illegal(
                "ServerHello",
                "pre_shared_key",
                "selects a PSK the client did not offer, or with a different hash",
            ))
        }
    };
    common.negotiated.resumed =
        psk.is_some() && base.ticket.as_ref().is_some_and(|(t, _)| t.resumption);
    let psk_authenticated = psk.is_some();
    // Keep the 0-RTT key for EndOfEarlyData, in case the server accepts early data.
    let early_encrypter = match common.early {
        ClientEarlyData::Sent { .. } => common.take_encrypter().map(|(e, _)| e),
        _ => None,
    };

    let hello_hash = transcript.current();
    let early = match (psk, offered_early) {
        // The binder computation already derived this PSK's Early Secret.
        (Some(_), Some(early)) => early.for_suite(suite),
        (psk, _) => EarlySecret::new(suite, psk),
    };
    let hs = early.into_handshake(shared.as_bytes());
    let client_hs = hs.client_traffic_secret(hello_hash.as_ref());
    let server_hs = hs.server_traffic_secret(hello_hash.as_ref());
    common.log_secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client_hs.as_bytes());
    common.log_secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", server_hs.as_bytes());
    common.install_decrypter(suite, &server_hs, Protection::Handshake)?;
    // RFC 8446, D.4: the compatibility CCS goes before our first protected record.
    common.send_compat_ccs();
    common.install_encrypter(suite, &client_hs, Protection::Handshake)?;

    let n = &mut common.negotiated;
    n.version = Some(ProtocolVersion::TLSv1_3);
    n.suite = Some(suite);
    n.cipher_suite = Some(suite.suite);
    n.group = Some(share.group);

    Ok(ClientState13::ExpectEncryptedExtensions(Box::new(
        ExpectEncryptedExtensions {
            base: base,
            suite,
            transcript,
            hs,
            client_hs,
            server_hs,
            early_encrypter,
            psk_authenticated,
        },
    )))
}

#[derive(Debug)]
pub(crate) struct ExpectEncryptedExtensions {
    base: HelloBase,
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    hs: HandshakeSecret,
    client_hs: TrafficSecret,
    server_hs: TrafficSecret,
    early_encrypter: Option<Box<dyn RecordEncrypter>>,
    /// The server accepted our PSK: no Certificate or CertificateVerify follows.
    psk_authenticated: bool,
}

impl ExpectEncryptedExtensions {
    fn handle(
        mut self,
        common: &mut CommonState,
        ee: EncryptedExtensions,
        raw: &[u8],
    ) -> Result<ClientState13, Error> {
        for ext in &ee.extensions {
            let solicited = match ext {
                ServerExtension::ServerNameAck => self.base.sni.is_some(),
                ServerExtension::Alpn(_) if self.base.config.alpn.is_empty() => false,
                ServerExtension::Alpn(p) => {
                    if !self.base.config.alpn.contains(p) {
                        return Err(PeerMisbehaved::SelectedUnoffered {
                            what: "ALPN protocol",
                            value: String::from_utf8_lossy(p).into_owned(),
                        }
                        .into());
                    }
                    common.negotiated.alpn = Some(p.clone());
                    true
                }
                // RFC 8446, 4.2.7: the server's groups are a hint for later connections.
                ServerExtension::SupportedGroups(_) => true,
                // RFC 8446, 4.2.10: early data can only be accepted with our first PSK.
                ServerExtension::EarlyData
                    if self.early_encrypter.is_some() && !self.psk_authenticated =>
                {
                    return Err(illegal(
                        "EncryptedExtensions",
                        "early_data",
                        "accepts early data although the server did not select the PSK",
                    ))
                }
                ServerExtension::EarlyData => self.early_encrypter.is_some(),
                // draft-ietf-tls-esni, 5 and 6.1.6: retry configurations come only
                // with a rejection; they must parse (decode_error otherwise).
                ServerExtension::Unknown { typ, data }
                    if *typ == ExtensionType::EncryptedClientHello =>
                {
                    match &mut self.base.ech {
                        Some(e) if e.rejected => {
                            ech::check_retry_configs(data)?;
                            e.retry_configs = Some(data.clone());
                            true
                        }
                        // draft-ietf-tls-esni, 6.2.1: after GREASE, checked, never kept.
                        None if self.base.grease_ech.is_some() => {
                            ech::check_retry_configs(data)?;
                            true
                        }
                        _ => false,
                    }
                }
                _ => false,
            };
            if !solicited {
                return Err(PeerMisbehaved::UnsolicitedExtension {
                    message: "EncryptedExtensions",
                    extension: ext.ext_type().to_string(),
                }
                .into());
            }
        }
        self.transcript.add(raw);
        // RFC 8446, 4.2.10: early data is accepted only if EncryptedExtensions says so.
        let accepted = ee.early_data();
        common.early_data_answered(accepted);
        let next = ExpectCertificate {
            base: self.base,
            suite: self.suite,
            transcript: self.transcript,
            hs: self.hs,
            client_hs: self.client_hs,
            server_hs: self.server_hs,
            cert_request: None,
            early_encrypter: self.early_encrypter.filter(|_| accepted),
        };
        // A PSK handshake authenticates with the PSK: Finished comes next.
        if self.psk_authenticated {
            return Ok(ClientState13::ExpectFinished(Box::new(ExpectFinished {
                inner: next,
                scheme: None,
            })));
        }
        Ok(ClientState13::ExpectCertificateOrCertReq(Box::new(next)))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificate {
    base: HelloBase,
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    hs: HandshakeSecret,
    client_hs: TrafficSecret,
    server_hs: TrafficSecret,
    /// The signature schemes of the server's CertificateRequest, if it sent one.
    cert_request: Option<Vec<SignatureScheme>>,
    /// The 0-RTT key, when the server accepted early data (for EndOfEarlyData).
    early_encrypter: Option<Box<dyn RecordEncrypter>>,
}

impl ExpectCertificate {
    /// RFC 8446, 4.3.2: a CertificateRequest during the handshake; our Certificate
    /// (and CertificateVerify, if we have a key the server accepts) will precede
    /// our Finished.
    fn handle_certificate_request(
        mut self: Box<Self>,
        common: &mut CommonState,
        cr: CertificateRequest13,
        raw: &[u8],
    ) -> Result<ClientState13, Error> {
        if !cr.context.is_empty() {
            return Err(illegal(
                "CertificateRequest",
                "certificate_request_context",
                "must be empty during the handshake",
            ));
        }
        let schemes = cr
            .signature_algorithms()
            .ok_or(PeerMisbehaved::MissingExtension {
                message: "CertificateRequest",
                extension: "signature_algorithms",
            })?;
        self.cert_request = Some(schemes.to_vec());
        self.transcript.add(raw);
        common.negotiated.client_auth = true;
        Ok(ClientState13::ExpectCertificate(self))
    }

    fn handle(
        mut self,
        common: &mut CommonState,
        cert: Certificate13,
        raw: &[u8],
    ) -> Result<ClientState13, Error> {
        if !cert.context.is_empty() {
            return Err(illegal(
                "Certificate",
                "certificate_request_context",
                "must be empty in the server's Certificate",
            ));
        }
        let mut entries = cert.entries.into_iter();
        let first = entries.next().ok_or(CertificateError::Empty)?;
        let ocsp = first.extensions.iter().find_map(|e| match e {
            crate::msgs::CertificateExtension::StatusRequest(r) => Some(r.clone()),
            _ => None,
        });
        let end_entity = CertificateDer::from(first.cert);
        let intermediates: Vec<CertificateDer<'static>> =
            entries.map(|e| CertificateDer::from(e.cert)).collect();
        let (spki, verified) = crate::pki::verify_server_chain(
            common,
            self.base.config.verifier.as_ref(),
            end_entity,
            intermediates,
            &self.base.auth_name()?,
            ocsp.as_deref().unwrap_or_default(),
            self.base.config.provider.time.now(),
        )?;
        self.transcript.add(raw);
        Ok(ClientState13::ExpectCertificateVerify(Box::new(
            ExpectCertificateVerify {
                inner: self,
                spki,
                _verified: verified,
            },
        )))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificateVerify {
    inner: ExpectCertificate,
    spki: Vec<u8>,
    /// The token that the chain was verified; this state cannot exist without it.
    _verified: ServerCertVerified,
}

impl ExpectCertificateVerify {
    fn handle(mut self, cv: CertificateVerify, raw: &[u8]) -> Result<ClientState13, Error> {
        // RFC 8446, 4.4.3: the scheme must be one we offered.
        if !sign::tls13_verify_schemes().contains(&cv.scheme) {
            return Err(PeerMisbehaved::SelectedUnoffered {
                what: "signature scheme",
                value: cv.scheme.to_string(),
            }
            .into());
        }
        let message = certificate_verify_message(true, self.inner.transcript.current().as_ref());
        sign::verify_signature(cv.scheme, &self.spki, &message, &cv.signature)
            .map_err(|_| PeerMisbehaved::BadCertificateVerify { scheme: cv.scheme })?;
        self.inner.transcript.add(raw);
        Ok(ClientState13::ExpectFinished(Box::new(ExpectFinished {
            inner: self.inner,
            scheme: Some(cv.scheme),
        })))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    inner: ExpectCertificate,
    /// The server's CertificateVerify scheme (none when resuming with a PSK).
    scheme: Option<SignatureScheme>,
}

impl ExpectFinished {
    fn handle(
        self,
        common: &mut CommonState,
        fin: Finished,
        raw: &[u8],
    ) -> Result<ClientState13, Error> {
        let ExpectCertificate {
            base,
            suite,
            mut transcript,
            hs,
            client_hs,
            server_hs,
            cert_request,
            early_encrypter,
        } = self.inner;
        let expected = finished_verify_data(suite, &server_hs, transcript.current().as_ref());
        fin.check_len(expected.as_ref().len())?;
        if !constant_time_eq(expected.as_ref(), &fin.verify_data) {
            return Err(PeerMisbehaved::BadFinished { from_server: true }.into());
        }
        transcript.add(raw);
        common.negotiated.signature_scheme = self.scheme;
        // draft-ietf-tls-esni, 6.1.6: a handshake authenticated for the public name
        // only ends here, with ech_required and the retry configurations, if any.
        if let Some(e) = base.ech.as_ref().filter(|e| e.rejected) {
            return Err(EchError::Rejected {
                public_name: e.sender.config().public_name.clone(),
                retry_configs: e.retry_configs.clone(),
            }
            .into());
        }

        let handshake_hash = transcript.current();
        let master: MasterSecret = hs.into_master();
        let client_ap = master.client_traffic_secret(handshake_hash.as_ref());
        let server_ap = master.server_traffic_secret(handshake_hash.as_ref());
        common.log_secret("CLIENT_TRAFFIC_SECRET_0", client_ap.as_bytes());
        common.log_secret("SERVER_TRAFFIC_SECRET_0", server_ap.as_bytes());
        let exporter = master.exporter_master_secret(handshake_hash.as_ref());
        common.log_secret("EXPORTER_SECRET", exporter.as_bytes());
        common.exporter = Some(ExporterSecret::Tls13 {
            hash: suite.hash,
            secret: exporter,
        });
        common.install_decrypter(suite, &server_ap, Protection::Application)?;

        if let Some(early) = early_encrypter {
            // RFC 8446, 4.5: EndOfEarlyData, under the 0-RTT key, ends our early data.
            common.set_encrypter(early, Protection::EarlyData);
            let eoed = HandshakeMessage::new(HandshakePayload::EndOfEarlyData);
            common.send_handshake(&eoed, &mut transcript)?;
            common.install_encrypter(suite, &client_hs, Protection::Handshake)?;
        }

        // Our Certificate, CertificateVerify and Finished go out as one flight.
        let mut flight = Flight::default();
        if let Some(schemes) = &cert_request {
            add_client_certificate(
                common,
                &base.config,
                schemes,
                Vec::new(),
                &mut flight,
                &mut transcript,
            )?;
        }

        let verify_data = finished_verify_data(suite, &client_hs, transcript.current().as_ref());
        let finished = HandshakeMessage::new(HandshakePayload::Finished(Finished {
            verify_data: verify_data.as_ref().to_vec(),
        }));
        common.add_to_flight(&mut flight, &finished, &mut transcript);
        common.send_flight(flight)?;
        // RFC 8446, 4.4: post-handshake authentication messages extend the
        // handshake transcript through our Finished; kept only if we offered it.
        let offered_post_handshake_auth = base.config.post_handshake_auth;
        common.negotiated.post_handshake_auth.offered = offered_post_handshake_auth;
        let handshake_transcript = offered_post_handshake_auth.then(|| transcript.clone());
        let resumption = master.resumption_master_secret(transcript.finish().as_ref());

        common.install_encrypter(suite, &client_ap, Protection::Application)?;
        common.start_traffic(client_ap, server_ap)?;
        Ok(ClientState13::Connected(Box::new(Connected {
            config: base.config,
            server_name: base.server_name.to_str().into_owned(),
            suite,
            resumption,
            handshake_transcript,
        })))
    }
}

/// RFC 8446, 4.4.2 and 4.4.3: our certificate and its CertificateVerify when one is
/// configured and can sign with a scheme the server accepts; else an empty Certificate.
/// `context` echoes the CertificateRequest's (empty during the handshake). Returns
/// whether a certificate was sent.
fn add_client_certificate(
    common: &mut CommonState,
    config: &ClientConfig,
    schemes: &[SignatureScheme],
    context: Vec<u8>,
    flight: &mut Flight,
    transcript: &mut Transcript,
) -> Result<bool, Error> {
    let chosen = config
        .client_cert
        .as_ref()
        .and_then(|c| c.choose_scheme(schemes).map(|s| (c, s)));
    let entries = chosen
        .map(|(c, _)| {
            c.chain
                .iter()
                .map(|der| CertificateEntry {
                    cert: der.as_ref().to_vec(),
                    extensions: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let cert = HandshakeMessage::new(HandshakePayload::Certificate(Certificate13 {
        context,
        entries,
    }));
    common.add_to_flight(flight, &cert, transcript);
    let Some((key, scheme)) = chosen else {
        return Ok(false);
    };
    let signed = certificate_verify_message(false, transcript.current().as_ref());
    let signature = key.key.sign(scheme, &signed)?;
    let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
        scheme,
        signature,
    }));
    common.add_to_flight(flight, &cv, transcript);
    common.negotiated.client_auth = true;
    Ok(true)
}

/// The handshake is complete; only post-handshake messages remain (RFC 8446, 4.6).
#[derive(Debug)]
pub(crate) struct Connected {
    config: Arc<ClientConfig>,
    server_name: String,
    suite: &'static Tls13CipherSuite,
    resumption: crate::crypto::Secret,
    /// The handshake transcript through our Finished, when we offered
    /// post_handshake_auth: each post-handshake authentication extends it.
    handshake_transcript: Option<Transcript>,
}

/// RFC 8446, 4.6.1: tickets may not be used for more than seven days.
const MAX_TICKET_LIFETIME: u32 = 7 * 24 * 3600;

impl Connected {
    /// RFC 8446, 4.6.2: answers a post-handshake CertificateRequest with Certificate
    /// (echoing its context), CertificateVerify if we have a certificate the server
    /// accepts, and Finished, in one flight. Each answer covers the handshake
    /// transcript plus its own messages; the Finished key comes from our current
    /// application traffic secret (RFC 8446, 4.4).
    fn answer_certificate_request(
        &self,
        common: &mut CommonState,
        cr: crate::msgs::CertificateRequest13,
        raw: &[u8],
    ) -> Result<(), Error> {
        // RFC 8446, 4.6.2: a request we did not allow is unexpected_message.
        let Some(handshake) = &self.handshake_transcript else {
            return Err(Error::UnexpectedMessage {
                state: "Connected",
                got: "CertificateRequest",
            });
        };
        // RFC 8446, 4.3.2: only the handshake's request has an empty context.
        if cr.context.is_empty() {
            return Err(illegal(
                "CertificateRequest",
                "certificate_request_context",
                "must not be empty after the handshake",
            ));
        }
        let schemes = cr
            .signature_algorithms()
            .ok_or(PeerMisbehaved::MissingExtension {
                message: "CertificateRequest",
                extension: "signature_algorithms",
            })?;
        common.negotiated.post_handshake_auth.requests += 1;
        // RFC 8446, 6.1: nothing follows our close_notify, not even an answer.
        if common.close_notify_sent() {
            return Ok(());
        }
        let mut transcript = handshake.clone();
        transcript.add(raw);
        let mut flight = Flight::default();
        let with_certificate = add_client_certificate(
            common,
            &self.config,
            schemes,
            cr.context.clone(),
            &mut flight,
            &mut transcript,
        )?;
        let base_key = common
            .send_traffic_secret()
            .ok_or(Error::UnexpectedMessage {
                state: "Connected",
                got: "CertificateRequest",
            })?;
        let verify_data = finished_verify_data(self.suite, base_key, transcript.current().as_ref());
        let finished = HandshakeMessage::new(HandshakePayload::Finished(Finished {
            verify_data: verify_data.as_ref().to_vec(),
        }));
        common.add_to_flight(&mut flight, &finished, &mut transcript);
        common.send_flight(flight)?;
        let status = &mut common.negotiated.post_handshake_auth;
        status.answered += 1;
        status.authenticated += usize::from(with_certificate);
        Ok(())
    }

    /// Stores a NewSessionTicket with its PSK for a later resumption (RFC 8446, 4.6.1).
    fn store_ticket(&self, common: &mut CommonState, t: NewSessionTicket13) -> Result<(), Error> {
        if t.lifetime > MAX_TICKET_LIFETIME {
            return Err(illegal(
                "NewSessionTicket",
                "ticket_lifetime",
                "exceeds seven days",
            ));
        }
        common.negotiated.tickets_received += 1;
        // Lifetime zero: discard at once (RFC 8446, 4.6.1). A ticket too long to be
        // sent back in a ClientHello (see MAX_TICKET_LEN) is of no use: not kept.
        if t.lifetime == 0 || t.ticket.len() > MAX_TICKET_LEN {
            return Ok(());
        }
        let psk = resumption_psk(self.suite, &self.resumption, &t.nonce);
        self.config.session_store.insert_tls13_ticket(
            &self.server_name,
            Tls13Ticket {
                max_early_data: t.max_early_data(),
                ticket: t.ticket,
                psk,
                suite: self.suite.suite,
                lifetime: t.lifetime,
                age_add: t.age_add,
                received_at: self.config.provider.time.now(),
                alpn: common.negotiated.alpn.clone(),
            },
        );
        Ok(())
    }
}
