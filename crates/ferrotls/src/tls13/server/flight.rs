//! The server's first flight (RFC 8446, 2): ServerHello, then under the
//! handshake keys EncryptedExtensions, CertificateRequest, Certificate,
//! CertificateVerify and Finished.

use std::sync::Arc;

use super::*;

/// Sends ServerHello and the protected flight up to Finished (RFC 8446, 2).
pub(super) fn server_flight(
    common: &mut CommonState,
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
    let (server_share, shared) = kx::server_key_exchange(share.group, &share.payload)?;
    let mut sh_ext = vec![
        ServerExtension::KeyShare(KeyShareEntry {
            group: share.group,
            payload: server_share,
        }),
        ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3),
    ];
    if let Some(p) = &psk {
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
        cipher_suite: suite.suite,
        compression_method: 0,
        extensions: sh_ext,
        empty_extensions_block: false,
    }));
    if ech_accepted {
        let mut raw = sh.to_bytes();
        // The handshake header, legacy_version, then 24 random bytes.
        const CONFIRMATION_AT: usize = 4 + 2 + 24;
        write_confirmation(&mut raw, CONFIRMATION_AT, &transcript, &ch.random, false);
        if let (HandshakePayload::ServerHello(parsed), Some(tail)) = (
            &mut sh.payload,
            raw.get(CONFIRMATION_AT..CONFIRMATION_AT + 8),
        ) {
            if let Some(dst) = parsed.random.get_mut(24..) {
                dst.copy_from_slice(tail);
            }
        }
        transcript.add(&raw);
        common.send_handshake_raw(&sh, &raw)?;
    } else {
        common.send_handshake(&sh, &mut transcript)?;
    }
    if !common.negotiated.hello_retry && !ch.session_id.is_empty() {
        common.send_ccs();
    }

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
        common.log_secret("CLIENT_EARLY_TRAFFIC_SECRET", secret.as_bytes());
    }
    common.log_secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client_hs.as_bytes());
    common.log_secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", server_hs.as_bytes());
    common.install_encrypter(suite, &server_hs, Protection::Handshake)?;

    let mut extensions = Vec::new();
    if choices.sni_matched {
        extensions.push(ServerExtension::ServerNameAck);
    }
    if let Some(p) = &choices.alpn {
        extensions.push(ServerExtension::Alpn(p.clone()));
    }
    if client_early.is_some() {
        extensions.push(ServerExtension::EarlyData);
    }
    // draft-ietf-tls-esni, 7.1: a client whose ECH offer failed gets our current
    // configuration, to connect again with.
    if let (ServerEch::Rejected, Some(keys)) = (&choices.ech, config.ech.first()) {
        extensions.push(ServerExtension::Unknown {
            typ: ExtensionType::EncryptedClientHello,
            data: ech::encode_config_list(&[keys.config()]),
        });
    }
    // EncryptedExtensions through Finished go out as one flight: one record.
    let chain_len: usize = choices.cert.chain.iter().map(|c| c.as_ref().len()).sum();
    let mut flight = Flight::with_capacity(chain_len + 1024);
    let ee = HandshakeMessage::new(HandshakePayload::EncryptedExtensions(EncryptedExtensions {
        extensions,
    }));
    common.add_to_flight(&mut flight, &ee, &mut transcript);

    // RFC 8446, 4.3.2: no CertificateRequest when authenticating with a PSK (a ticket
    // is accepted only where client authentication allows it, see `resolve_psk`).
    let client_auth = config.client_auth.clone().filter(|_| psk.is_none());
    if let Some(verifier) = &client_auth {
        let cr = certificate_request(verifier.as_ref(), Vec::new());
        common.add_to_flight(&mut flight, &cr, &mut transcript);
        common.negotiated.client_auth = true;
    }

    if psk.is_none() {
        // RFC 8446, 4.4.2.1: the OCSP staple rides on the end-entity entry.
        let staple = choices
            .cert
            .ocsp
            .as_ref()
            .filter(|_| ch.has_extension(ExtensionType::StatusRequest));
        let cert = HandshakeMessage::new(HandshakePayload::Certificate(Certificate13 {
            context: Vec::new(),
            entries: choices
                .cert
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
        common.add_to_flight(&mut flight, &cert, &mut transcript);

        let signed = certificate_verify_message(true, transcript.current().as_ref());
        let signature = choices.cert.key.sign(choices.scheme, &signed)?;
        let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
            scheme: choices.scheme,
            signature,
        }));
        common.add_to_flight(&mut flight, &cv, &mut transcript);
    }

    let verify_data = finished_verify_data(suite, &server_hs, transcript.current().as_ref());
    let fin = HandshakeMessage::new(HandshakePayload::Finished(Finished {
        verify_data: verify_data.as_ref().to_vec(),
    }));
    common.add_to_flight(&mut flight, &fin, &mut transcript);
    common.send_flight(flight)?;

    let handshake_hash = transcript.current();
    let master = hs.into_master();
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
    common.install_encrypter(suite, &server_ap, Protection::Application)?;

    let n = &mut common.negotiated;
    n.version = Some(ProtocolVersion::TLSv1_3);
    n.suite = Some(suite);
    n.cipher_suite = Some(suite.suite);
    n.group = Some(share.group);
    n.signature_scheme = psk.is_none().then_some(choices.scheme);
    n.alpn = choices.alpn.clone();
    n.resumed = psk.is_some() && n.external_psk.is_none();

    let next = Box::new(ExpectFinished {
        post_handshake_auth: ch.has_extension(ExtensionType::PostHandshakeAuth),
        config: config.clone(),
        suite,
        transcript,
        client_hs,
        client_ap,
        server_ap,
        master,
        client_auth,
        client_cert_verified: None,
        ticket_random,
    });
    Ok(match (client_early, &next.client_auth) {
        (Some(early_secret), _) => {
            common.install_decrypter(suite, &early_secret, Protection::EarlyData)?;
            common.accept_early_data(psk.map_or(0, |p| p.max_early_data) as usize);
            ServerState13::ExpectEndOfEarlyData(next)
        }
        (None, auth) => {
            common.install_decrypter(suite, &next.client_hs, Protection::Handshake)?;
            if auth.is_some() {
                ServerState13::ExpectCertificate(next)
            } else {
                ServerState13::ExpectFinished(next)
            }
        }
    })
}
