//! TLS 1.3 server handshake states (RFC 8446, 2 and 4).
//!
//! ```text
//! ExpectClientHello -(no usable key share)-> HelloRetryRequest -> ExpectSecondClientHello
//!                   -> ServerHello, {EncryptedExtensions, Certificate, CertificateVerify,
//!                      Finished} -> ExpectFinished -> Connected
//! ```

use std::sync::Arc;

use crate::conn::{CommonState, HsMessage, Input};
use crate::crypto::{constant_time_eq, kx};
use crate::error::{Error, NoCommon, PeerMisbehaved};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use crate::msgs::{
    Certificate13, CertificateEntry, CertificateVerify, ClientHello, EncryptedExtensions, Finished,
    HandshakeMessage, HandshakePayload, KeyShareEntry, ServerExtension, ServerHello,
    HELLO_RETRY_REQUEST_RANDOM,
};
use crate::observe::Protection;
use crate::server::{CertifiedKey, ServerConfig};
use crate::tls12::server::{self as server12, ServerState12};
use crate::tls13::key_schedule::{finished_verify_data, EarlySecret, TrafficSecret};
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::{certificate_verify_message, Transcript};

/// Where the server is in the handshake. Each variant holds only what is valid there.
#[derive(Debug)]
pub(crate) enum ServerState {
    ExpectClientHello(Box<ExpectClientHello>),
    ExpectSecondClientHello(Box<ExpectSecondClientHello>),
    ExpectFinished(Box<ExpectFinished>),
    Connected(Box<Connected>),
    /// The client negotiated TLS 1.2.
    Tls12(Box<ServerState12>),
}

pub(crate) fn start(config: Arc<ServerConfig>) -> ServerState {
    ServerState::ExpectClientHello(Box::new(ExpectClientHello { config }))
}

impl ServerState {
    pub fn name(&self) -> &'static str {
        match self {
            ServerState::ExpectClientHello(_) => "ExpectClientHello",
            ServerState::ExpectSecondClientHello(_) => "ExpectSecondClientHello",
            ServerState::ExpectFinished(_) => "ExpectFinished",
            ServerState::Connected(_) => "Connected",
            ServerState::Tls12(s) => s.name(),
        }
    }

    pub fn handle(self, common: &mut CommonState, input: Input) -> Result<Self, Error> {
        match (self, input) {
            (ServerState::Tls12(s), input) => {
                Ok(ServerState::Tls12(Box::new(s.handle(common, input)?)))
            }
            (state, Input::Tls13(msg)) => state.handle13(common, msg),
            (state, other) => Err(Error::UnexpectedMessage {
                state: state.name(),
                got: other.name(),
            }),
        }
    }

    fn handle13(self, common: &mut CommonState, msg: HsMessage) -> Result<Self, Error> {
        let name = self.name();
        let got = msg.parsed.name();
        match (self, msg.parsed.payload) {
            (ServerState::ExpectClientHello(s), HandshakePayload::ClientHello(ch)) => {
                s.handle(common, ch, &msg.raw)
            }
            (ServerState::ExpectSecondClientHello(s), HandshakePayload::ClientHello(ch)) => {
                s.handle(common, ch, &msg.raw)
            }
            (ServerState::ExpectFinished(s), HandshakePayload::Finished(f)) => {
                s.handle(common, f, &msg.raw)
            }
            (ServerState::Connected(s), HandshakePayload::KeyUpdate(ku)) => {
                common.receive_key_update(ku.0)?;
                Ok(ServerState::Connected(s))
            }
            (_, _) => Err(Error::UnexpectedMessage { state: name, got }),
        }
    }
}

/// What the server decided from the first ClientHello.
#[derive(Debug)]
struct Choices {
    suite: &'static Tls13CipherSuite,
    cert: Arc<CertifiedKey>,
    scheme: crate::msgs::enums::SignatureScheme,
    alpn: Option<Vec<u8>>,
    /// The SNI, when a certificate was chosen because it covers that name.
    sni_matched: bool,
}

#[derive(Debug)]
pub(crate) struct ExpectClientHello {
    config: Arc<ServerConfig>,
}

impl ExpectClientHello {
    fn handle(
        self,
        common: &mut CommonState,
        ch: ClientHello,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let config = self.config;
        common.key_log = config.key_log.clone();
        common.client_random = ch.random;
        common.ccs_allowed = true;

        // RFC 8446, 4.2.1: TLS 1.3 is negotiated only through supported_versions;
        // without it, legacy_version names the client's highest version.
        let versions = ch.supported_versions();
        let ours = |v| config.versions.contains(&v);
        let client13 = versions.is_some_and(|v| v.contains(&ProtocolVersion::TLSv1_3));
        let client12 = match versions {
            Some(v) => v.contains(&ProtocolVersion::TLSv1_2),
            None => ch.legacy_version.to_wire() >= ProtocolVersion::TLSv1_2.to_wire(),
        };
        if !(client13 && ours(ProtocolVersion::TLSv1_3)) {
            if client12 && ours(ProtocolVersion::TLSv1_2) {
                // RFC 7507, 3: a fallback retry below our best version is an attack.
                if ch.cipher_suites.contains(&CipherSuite::TLS_FALLBACK_SCSV)
                    && ours(ProtocolVersion::TLSv1_3)
                {
                    return Err(PeerMisbehaved::InappropriateFallback.into());
                }
                let state = server12::handle_client_hello(common, config, ch, raw)?;
                return Ok(ServerState::Tls12(Box::new(state)));
            }
            let offered = match versions {
                Some(v) => v.iter().map(|v| v.to_string()).collect(),
                None => vec![ch.legacy_version.to_string()],
            };
            return Err(NoCommon::Version { offered }.into());
        }
        if ch.compression_methods != [0] {
            return Err(PeerMisbehaved::CompressionOffered.into());
        }
        let choices = choose(&config, common, &ch)?;
        let client_groups = ch
            .supported_groups()
            .ok_or(PeerMisbehaved::MissingExtension {
                message: "ClientHello",
                extension: "supported_groups",
            })?;
        let shares = ch.key_shares().ok_or(PeerMisbehaved::MissingExtension {
            message: "ClientHello",
            extension: "key_share",
        })?;
        // RFC 8446, 4.2.8: every share must be for a group the client lists.
        if shares.iter().any(|s| !client_groups.contains(&s.group)) {
            return Err(PeerMisbehaved::IllegalParameter {
                message: "ClientHello",
                field: "key_share",
                reason: "it holds a share for a group missing from supported_groups",
            }
            .into());
        }

        // Our preference among the groups the client sent shares for, else HelloRetryRequest.
        let shared = config
            .groups
            .iter()
            .find_map(|g| shares.iter().find(|s| s.group == *g));
        if let Some(share) = shared {
            let mut transcript = Transcript::new(choices.suite.hash);
            transcript.add(raw);
            return server_flight(common, &config, &ch, share, choices, transcript);
        }
        let group = config
            .groups
            .iter()
            .copied()
            .find(|g| client_groups.contains(g))
            .ok_or_else(|| NoCommon::Group {
                offered: client_groups.iter().map(|g| g.to_string()).collect(),
                ours: config.groups.iter().map(|g| g.to_string()).collect(),
            })?;

        // RFC 8446, 4.1.4: ask for a share in `group`.
        let mut transcript = Transcript::after_hello_retry(choices.suite.hash, raw);
        let hrr = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: HELLO_RETRY_REQUEST_RANDOM,
            session_id: ch.session_id.clone(),
            cipher_suite: choices.suite.suite,
            compression_method: 0,
            extensions: vec![
                ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3),
                ServerExtension::HrrKeyShare(group),
            ],
        }));
        common.send_handshake(&hrr, &mut transcript)?;
        if !ch.session_id.is_empty() {
            common.send_ccs();
        }
        common.negotiated.hello_retry = true;
        Ok(ServerState::ExpectSecondClientHello(Box::new(
            ExpectSecondClientHello {
                config,
                choices,
                group,
                transcript,
                session_id: ch.session_id,
            },
        )))
    }
}

/// Picks the suite, certificate, signature scheme and ALPN protocol.
fn choose(
    config: &ServerConfig,
    common: &mut CommonState,
    ch: &ClientHello,
) -> Result<Choices, Error> {
    let suite = config
        .suites
        .iter()
        .copied()
        .find(|s| ch.cipher_suites.contains(&s.suite))
        .ok_or_else(|| NoCommon::CipherSuite {
            offered: ch.cipher_suites.iter().map(|s| s.to_string()).collect(),
            ours: config.suites.iter().map(|s| s.suite.to_string()).collect(),
        })?;

    let sni = crate::server::client_sni(ch);
    common.negotiated.server_name = sni.clone();

    let schemes = ch
        .signature_algorithms()
        .ok_or(PeerMisbehaved::MissingExtension {
            message: "ClientHello",
            extension: "signature_algorithms",
        })?;
    let (cert, scheme) = config.choose_cert(sni.as_deref(), schemes).ok_or_else(|| {
        if config
            .certs
            .iter()
            .any(|c| c.choose_scheme(schemes).is_some())
        {
            NoCommon::Certificate {
                server_name: sni.clone(),
            }
        } else {
            NoCommon::SignatureScheme {
                offered: schemes.iter().map(|s| s.to_string()).collect(),
            }
        }
    })?;
    let sni_matched = sni
        .as_deref()
        .is_some_and(|name| cert.leaf.covers_dns_name(name));

    let alpn = crate::server::choose_alpn(config, ch)?;
    Ok(Choices {
        suite,
        cert,
        scheme,
        alpn,
        sni_matched,
    })
}

#[derive(Debug)]
pub(crate) struct ExpectSecondClientHello {
    config: Arc<ServerConfig>,
    choices: Choices,
    group: NamedGroup,
    transcript: Transcript,
    session_id: Vec<u8>,
}

impl ExpectSecondClientHello {
    /// RFC 8446, 4.1.2: the second ClientHello repeats the first but for the key share.
    fn handle(
        mut self,
        common: &mut CommonState,
        ch: ClientHello,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let bad = |reason| Error::from(PeerMisbehaved::BadSecondClientHello { reason });
        if ch.session_id != self.session_id {
            return Err(bad("its legacy_session_id changed"));
        }
        if !ch.cipher_suites.contains(&self.choices.suite.suite) {
            return Err(bad("it no longer offers the cipher suite the server chose"));
        }
        if !ch
            .supported_versions()
            .unwrap_or_default()
            .contains(&ProtocolVersion::TLSv1_3)
        {
            return Err(bad("it no longer offers TLS 1.3"));
        }
        let share = match ch.key_shares() {
            Some([share]) if share.group == self.group => share.clone(),
            _ => return Err(bad(
                "it must carry exactly one key share, for the group the HelloRetryRequest named",
            )),
        };
        self.transcript.add(raw);
        server_flight(
            common,
            &self.config,
            &ch,
            &share,
            self.choices,
            self.transcript,
        )
    }
}

/// Sends ServerHello and the protected flight up to Finished (RFC 8446, 2).
fn server_flight(
    common: &mut CommonState,
    config: &ServerConfig,
    ch: &ClientHello,
    share: &KeyShareEntry,
    choices: Choices,
    mut transcript: Transcript,
) -> Result<ServerState, Error> {
    let suite = choices.suite;
    let (server_share, shared) = kx::server_key_exchange(share.group, &share.payload)?;
    let sh = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random: config.provider.random_array::<32>()?,
        session_id: ch.session_id.clone(),
        cipher_suite: suite.suite,
        compression_method: 0,
        extensions: vec![
            ServerExtension::KeyShare(KeyShareEntry {
                group: share.group,
                payload: server_share,
            }),
            ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3),
        ],
    }));
    common.send_handshake(&sh, &mut transcript)?;
    if !common.negotiated.hello_retry && !ch.session_id.is_empty() {
        common.send_ccs();
    }

    let hello_hash = transcript.current();
    let hs = EarlySecret::new(suite, None).into_handshake(shared.as_bytes());
    let client_hs = hs.client_traffic_secret(hello_hash.as_ref());
    let server_hs = hs.server_traffic_secret(hello_hash.as_ref());
    common.log_secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client_hs.as_bytes());
    common.log_secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", server_hs.as_bytes());
    common.install_encrypter(suite, &server_hs, Protection::Handshake)?;
    common.install_decrypter(suite, &client_hs, Protection::Handshake)?;

    let mut extensions = Vec::new();
    if choices.sni_matched {
        extensions.push(ServerExtension::ServerNameAck);
    }
    if let Some(p) = &choices.alpn {
        extensions.push(ServerExtension::Alpn(p.clone()));
    }
    let ee = HandshakeMessage::new(HandshakePayload::EncryptedExtensions(EncryptedExtensions {
        extensions,
    }));
    common.send_handshake(&ee, &mut transcript)?;

    let cert = HandshakeMessage::new(HandshakePayload::Certificate(Certificate13 {
        context: Vec::new(),
        entries: choices
            .cert
            .chain
            .iter()
            .map(|c| CertificateEntry {
                cert: c.as_ref().to_vec(),
                extensions: Vec::new(),
            })
            .collect(),
    }));
    common.send_handshake(&cert, &mut transcript)?;

    let signed = certificate_verify_message(true, transcript.current().as_ref());
    let signature = choices.cert.key.sign(choices.scheme, &signed)?;
    let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
        scheme: choices.scheme,
        signature,
    }));
    common.send_handshake(&cv, &mut transcript)?;

    let verify_data = finished_verify_data(suite, &server_hs, transcript.current().as_ref());
    let fin = HandshakeMessage::new(HandshakePayload::Finished(Finished {
        verify_data: verify_data.as_ref().to_vec(),
    }));
    common.send_handshake(&fin, &mut transcript)?;

    let handshake_hash = transcript.current();
    let master = hs.into_master();
    let client_ap = master.client_traffic_secret(handshake_hash.as_ref());
    let server_ap = master.server_traffic_secret(handshake_hash.as_ref());
    let exporter = master.exporter_master_secret(handshake_hash.as_ref());
    common.log_secret("CLIENT_TRAFFIC_SECRET_0", client_ap.as_bytes());
    common.log_secret("SERVER_TRAFFIC_SECRET_0", server_ap.as_bytes());
    common.log_secret("EXPORTER_SECRET", exporter.as_bytes());
    common.install_encrypter(suite, &server_ap, Protection::Application)?;

    let n = &mut common.negotiated;
    n.version = Some(ProtocolVersion::TLSv1_3);
    n.suite = Some(suite);
    n.cipher_suite = Some(suite.suite);
    n.group = Some(share.group);
    n.signature_scheme = Some(choices.scheme);
    n.alpn = choices.alpn;
    n.peer_certificates = Vec::new();

    Ok(ServerState::ExpectFinished(Box::new(ExpectFinished {
        suite,
        transcript,
        client_hs,
        client_ap,
        server_ap,
        master,
    })))
}

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    client_hs: TrafficSecret,
    client_ap: TrafficSecret,
    server_ap: TrafficSecret,
    master: crate::tls13::key_schedule::MasterSecret,
}

impl ExpectFinished {
    fn handle(
        mut self,
        common: &mut CommonState,
        fin: Finished,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let expected = finished_verify_data(
            self.suite,
            &self.client_hs,
            self.transcript.current().as_ref(),
        );
        if !constant_time_eq(expected.as_ref(), &fin.verify_data) {
            return Err(PeerMisbehaved::BadFinished { from_server: false }.into());
        }
        self.transcript.add(raw);
        let resumption = self
            .master
            .resumption_master_secret(self.transcript.current().as_ref());
        common.install_decrypter(self.suite, &self.client_ap, Protection::Application)?;
        common.start_traffic(self.server_ap, self.client_ap)?;
        Ok(ServerState::Connected(Box::new(Connected {
            _resumption: resumption,
        })))
    }
}

/// The handshake is complete; only KeyUpdate may follow from a client (RFC 8446, 4.6).
#[derive(Debug)]
pub(crate) struct Connected {
    _resumption: crate::crypto::Secret,
}
