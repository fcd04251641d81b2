//! The server's first flight (RFC 8446, 2), one function per message: ServerHello,
//! then under the handshake keys EncryptedExtensions, CertificateRequest,
//! Certificate, CertificateVerify and Finished, which go out together as one
//! flight (one record where they fit).

use std::sync::Arc;

use super::*;

/// Sends ServerHello and the protected flight up to Finished (RFC 8446, 2), then
/// derives the application secrets and waits for the client's flight.
pub(super) fn server_flight(
    out: &mut Output<'_>,
    config: &Arc<ServerConfig>,
    ch: &ClientHello,
    share: &KeyShareEntry,
    choices: Choices,
    mut transcript: Transcript,
    mut psk: Option<AcceptedPsk>,
) -> Result<ServerState13, Error> {
    let suite = choices.suite;
    // RFC 8446, 7.1: client_early_traffic_secret covers the ClientHello alone.
    let hello_only_hash = psk
        .as_ref()
        .filter(|p| p.early_data)
        .map(|_| transcript.current());
    let (shared, ticket_random) = send_server_hello(
        out,
        config,
        ch,
        share,
        &choices,
        psk.as_ref(),
        &mut transcript,
    )?;

    // RFC 8446, 7.1: the handshake secrets, from the (PSK's) Early Secret and the
    // key exchange, over the transcript through ServerHello.
    let hello_hash = transcript.current();
    let early = psk
        .as_mut()
        .and_then(|p| p.early.take())
        .unwrap_or_else(|| EarlySecret::new(suite, None));
    let client_early = hello_only_hash.map(|h| early.client_early_traffic_secret(h.as_ref()));
    let hs = early.into_handshake(shared.as_bytes());
    let client_hs = hs.client_traffic_secret(hello_hash.as_ref());
    let server_hs = hs.server_traffic_secret(hello_hash.as_ref());
    if let Some(secret) = &client_early {
        out.log_secret("CLIENT_EARLY_TRAFFIC_SECRET", secret.as_bytes());
    }
    out.log_secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client_hs.as_bytes());
    out.log_secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", server_hs.as_bytes());
    out.install_encrypter(suite, &server_hs, Protection::Handshake)?;

    // EncryptedExtensions through Finished go out as one flight: one record.
    let chain_len: usize = choices.cert.chain.iter().map(|c| c.as_ref().len()).sum();
    let mut f = ServerFlight {
        choices,
        transcript,
        flight: Flight::with_capacity(chain_len + 1024),
    };
    f.send_encrypted_extensions(out, config, client_early.is_some());
    let client_auth = f.send_certificate_request(out, config, psk.is_some());
    let mut end = FlightEnd {
        config: config.clone(),
        flight: f,
        server_hs,
        client_hs,
        hs,
        client_early,
        client_auth,
        ticket_random,
        group: share.group,
        psk,
        post_handshake_auth: ch.has_extension(ExtensionType::PostHandshakeAuth),
    };
    if end.psk.is_none() {
        end.flight.send_certificate(out, ch);
        if end.flight.choices.cert.key.is_remote() {
            // The key is elsewhere: wait for its signature (`crate::pause`).
            let operation = Operation::Sign(end.flight.certificate_verify_request());
            return Ok(ServerState13::AwaitSignature(Box::new(AwaitSignature {
                end,
                operation,
            })));
        }
        let signature = end.flight.sign_certificate_verify()?;
        end.flight.send_certificate_verify(out, signature);
    }
    end.finish(out)
}

/// What the end of the server's flight (CertificateVerify, Finished) and the
/// states after it need; kept while a remote key signs the CertificateVerify.
pub(super) struct FlightEnd {
    config: Arc<ServerConfig>,
    flight: ServerFlight,
    server_hs: TrafficSecret,
    client_hs: TrafficSecret,
    hs: HandshakeSecret,
    client_early: Option<TrafficSecret>,
    client_auth: Option<Arc<dyn ClientCertVerifier>>,
    ticket_random: TicketRandom,
    group: NamedGroup,
    psk: Option<AcceptedPsk>,
    post_handshake_auth: bool,
}

impl core::fmt::Debug for FlightEnd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FlightEnd")
            .field("suite", &self.flight.choices.suite.suite)
            .field("scheme", &self.flight.choices.scheme)
            .finish_non_exhaustive()
    }
}

/// Paused until a remote key signs the server's CertificateVerify (`crate::pause`).
#[derive(Debug)]
pub(crate) struct AwaitSignature {
    end: FlightEnd,
    pub(super) operation: Operation,
}

impl AwaitSignature {
    pub(super) fn resume(
        mut self: Box<Self>,
        out: &mut Output<'_>,
        completion: Completion,
    ) -> Result<ServerState13, Error> {
        let signature = crate::pause::signature(completion, self.end.flight.choices.scheme)?;
        self.end.flight.send_certificate_verify(out, signature);
        self.end.finish(out)
    }
}

impl FlightEnd {
    /// Finished, the application secrets, and the state that waits for the client.
    fn finish(self, out: &mut Output<'_>) -> Result<ServerState13, Error> {
        let FlightEnd {
            config,
            flight: f,
            server_hs,
            client_hs,
            hs,
            client_early,
            client_auth,
            ticket_random,
            group,
            psk,
            post_handshake_auth,
        } = self;
        let suite = f.choices.suite;
        let ServerFlight {
            choices,
            mut transcript,
            flight,
        } = f;
        crate::tls13::send_finished(out, suite, &server_hs, flight, &mut transcript)?;

        let master = hs.into_master();
        let (client_ap, server_ap) =
            crate::tls13::application_secrets(out, suite, &master, transcript.current().as_ref());
        out.install_encrypter(suite, &server_ap, Protection::Application)?;

        out.record(Fact::Tls13 { suite, group });
        out.record(Fact::SignatureScheme(
            psk.is_none().then_some(choices.scheme),
        ));
        out.record(Fact::Alpn(choices.alpn));
        let resumed = psk.is_some() && out.negotiated().external_psk.is_none();
        out.record(Fact::Resumed(resumed));

        let next = Box::new(ExpectFinished {
            post_handshake_auth,
            config,
            suite,
            transcript,
            client_hs,
            client_ap,
            server_ap,
            master,
            client_auth,
            client_proof: match &psk {
                Some(p) => ClientProof::Psk(p.binder),
                None => ClientProof::None,
            },
            ticket_random,
        });
        Ok(match (client_early, &next.client_auth) {
            (Some(early_secret), _) => {
                out.install_decrypter(suite, &early_secret, Protection::EarlyData)?;
                out.accept_early_data(psk.map_or(0, |p| p.max_early_data) as usize);
                ServerState13::ExpectEndOfEarlyData(next)
            }
            (None, auth) => {
                out.install_decrypter(suite, &next.client_hs, Protection::Handshake)?;
                if auth.is_some() {
                    ServerState13::ExpectCertificate(next)
                } else {
                    ServerState13::ExpectFinished(next)
                }
            }
        })
    }
}

/// RFC 8446, 4.1.3: the ServerHello, with our key share (4.2.8), the version and
/// the index of an accepted PSK (4.2.11); with ECH accepted, the confirmation in
/// the last 8 bytes of its random (draft-ietf-tls-esni, 7.2). Then the
/// compatibility ChangeCipherSpec (D.4). Returns the shared secret and the
/// randomness of our tickets, drawn with the random.
fn send_server_hello(
    out: &mut Output<'_>,
    config: &ServerConfig,
    ch: &ClientHello,
    share: &KeyShareEntry,
    choices: &Choices,
    psk: Option<&AcceptedPsk>,
    transcript: &mut Transcript,
) -> Result<(Secret, TicketRandom), Error> {
    let (server_share, shared) = kx::server_key_exchange(share.group, &share.payload)?;
    let mut sh_ext = vec![
        ServerExtension::KeyShare(KeyShareEntry {
            group: share.group,
            payload: server_share,
        }),
        ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3),
    ];
    if let Some(p) = psk {
        sh_ext.push(ServerExtension::PreSharedKey(p.index));
    }
    // One draw for the ServerHello random and every ticket's randomness (each draw
    // from the system source has a fixed cost that dwarfs its bytes).
    let mut drawn = vec![0u8; 32 + TicketRandom::len(config)];
    config.provider.random.fill(&mut drawn)?;
    let ticket_random = TicketRandom(Secret::from(drawn.split_off(32)));
    let mut random: [u8; 32] = drawn
        .try_into()
        .map_err(|_| crate::error::CryptoError::RandomFailed)?;
    let ech_accepted = matches!(choices.ech, ServerEch::Accepted(_));
    if ech_accepted {
        // draft-ietf-tls-esni, 7.2: the last 8 bytes carry the confirmation.
        if let Some(tail) = random.get_mut(24..) {
            tail.fill(0);
        }
    }
    let mut sh = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random,
        session_id: ch.session_id.clone(),
        cipher_suite: choices.suite.suite,
        compression_method: 0,
        extensions: sh_ext,
        empty_extensions_block: false,
    }));
    if ech_accepted {
        let mut raw = sh.to_bytes();
        // The handshake header, legacy_version, then 24 random bytes.
        const CONFIRMATION_AT: usize = 4 + 2 + 24;
        write_confirmation(&mut raw, CONFIRMATION_AT, transcript, &ch.random, false);
        if let (HandshakePayload::ServerHello(parsed), Some(tail)) = (
            &mut sh.payload,
            raw.get(CONFIRMATION_AT..CONFIRMATION_AT + 8),
        ) {
            if let Some(dst) = parsed.random.get_mut(24..) {
                dst.copy_from_slice(tail);
            }
        }
        transcript.add(&raw);
        out.send_handshake_raw(&sh, &raw)?;
    } else {
        out.send_handshake(&sh, transcript)?;
    }
    // RFC 8446, D.4: after a HelloRetryRequest the CCS went out already.
    if !out.negotiated().hello_retry && !ch.session_id.is_empty() {
        out.send_ccs();
    }
    Ok((shared, ticket_random))
}

/// The protected part of the server's first flight, built message by message.
struct ServerFlight {
    choices: Choices,
    /// The transcript through the last message added.
    transcript: Transcript,
    flight: Flight,
}

impl ServerFlight {
    /// RFC 8446, 4.3.1: EncryptedExtensions: the SNI acknowledgement (RFC 6066, 3),
    /// ALPN (RFC 7301, 3.2), early_data when 0-RTT is accepted (4.2.10), and, for a
    /// client whose ECH offer failed, our current configuration to connect again
    /// with (draft-ietf-tls-esni, 7.1).
    fn send_encrypted_extensions(
        &mut self,
        out: &Output<'_>,
        config: &ServerConfig,
        early_data: bool,
    ) {
        let mut extensions = Vec::new();
        if self.choices.sni_matched {
            extensions.push(ServerExtension::ServerNameAck);
        }
        if let Some(p) = &self.choices.alpn {
            extensions.push(ServerExtension::Alpn(p.clone()));
        }
        if early_data {
            extensions.push(ServerExtension::EarlyData);
        }
        if let (ServerEch::Rejected, Some(keys)) = (&self.choices.ech, config.ech.first()) {
            extensions.push(ServerExtension::Unknown {
                typ: ExtensionType::EncryptedClientHello,
                data: ech::encode_config_list(&[keys.config()]),
            });
        }
        let ee =
            HandshakeMessage::new(HandshakePayload::EncryptedExtensions(EncryptedExtensions {
                extensions,
            }));
        out.add_to_flight(&mut self.flight, &ee, &mut self.transcript);
    }

    /// RFC 8446, 4.3.2: a CertificateRequest when client certificates are verified,
    /// but none when authenticating with a PSK (a ticket is accepted only where
    /// client authentication allows it, see `resolve_psk`). Returns the verifier.
    fn send_certificate_request(
        &mut self,
        out: &mut Output<'_>,
        config: &ServerConfig,
        psk_authenticated: bool,
    ) -> Option<Arc<dyn ClientCertVerifier>> {
        let verifier = config.client_auth.clone().filter(|_| !psk_authenticated)?;
        let cr = certificate_request(verifier.as_ref(), Vec::new());
        out.add_to_flight(&mut self.flight, &cr, &mut self.transcript);
        out.record(Fact::ClientAuth);
        Some(verifier)
    }

    /// RFC 8446, 4.4.2: our certificate chain; the OCSP staple, when the client
    /// asked for one, rides on the end-entity entry (4.4.2.1).
    fn send_certificate(&mut self, out: &Output<'_>, ch: &ClientHello) {
        let cert = &self.choices.cert;
        let staple = cert
            .ocsp
            .as_ref()
            .filter(|_| ch.has_extension(ExtensionType::StatusRequest));
        let msg = HandshakeMessage::new(HandshakePayload::Certificate(Certificate13 {
            context: Vec::new(),
            entries: cert
                .chain
                .iter()
                .enumerate()
                .map(|(i, c)| CertificateEntry {
                    cert: c.as_ref().to_vec(),
                    extensions: match (i, staple) {
                        (0, Some(ocsp)) => vec![CertificateExtension::StatusRequest(ocsp.clone())],
                        _ => Vec::new(),
                    },
                })
                .collect(),
        }));
        out.add_to_flight(&mut self.flight, &msg, &mut self.transcript);
    }

    /// RFC 8446, 4.4.3: what a remote key signs for the server's CertificateVerify.
    fn certificate_verify_request(&self) -> SignRequest {
        let cert = &self.choices.cert;
        SignRequest::new(
            cert,
            self.choices.scheme,
            certificate_verify_message(true, self.transcript.current().as_ref()),
        )
    }

    /// RFC 8446, 4.4.3: the signature of the server's CertificateVerify, with the
    /// certificate's key, over the transcript through our Certificate.
    fn sign_certificate_verify(&self) -> Result<Vec<u8>, Error> {
        let signed = certificate_verify_message(true, self.transcript.current().as_ref());
        Ok(self.choices.cert.key.sign(self.choices.scheme, &signed)?)
    }

    /// RFC 8446, 4.4.3: CertificateVerify, carrying `signature` (see
    /// `sign_certificate_verify`) with the scheme chosen for our certificate.
    fn send_certificate_verify(&mut self, out: &Output<'_>, signature: Vec<u8>) {
        let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
            scheme: self.choices.scheme,
            signature,
        }));
        out.add_to_flight(&mut self.flight, &cv, &mut self.transcript);
    }
}
