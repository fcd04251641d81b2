//! The hello exchange of a server, shared by TLS 1.3 and TLS 1.2: reads the
//! ClientHello, opens Encrypted Client Hello (draft-ietf-tls-esni, 7.1), chooses
//! the version (RFC 8446, 4.2.1; RFC 7507), then for TLS 1.3 the suite,
//! certificate, signature scheme, ALPN protocol and key share, and hands over to
//! the states of `tls13::server` or `tls12::server`.
//!
//! ```text
//! ExpectClientHello -(TLS 1.3)-> Tls13(tls13::server states, HelloRetryRequest included)
//!                   -(TLS 1.2)-> Tls12(tls12::server states)
//! ```

use std::sync::Arc;

use crate::conn::output::{Fact, Input, Output};
use crate::error::{ApiError, Error, NoCommon, PeerMisbehaved};
use crate::msgs::enums::{CipherSuite, HandshakeType, ProtocolVersion};
use crate::msgs::{ClientHello, HandshakePayload};
use crate::pause::{Completion, Operation, ReplayRequest, SessionRequest};
use crate::server::choice::{
    open_ech, report_inner_hello, Choices, HelloAnswers, KeyShareChoice, ServerEch,
};
use crate::server::ServerConfig;
use crate::tls12::server::ServerState12;
use crate::tls13::server::ServerState13;

/// Where the server is in the handshake: before the ClientHello, or in the states
/// of the version it chose.
#[derive(Debug)]
pub(crate) enum ServerState {
    ExpectClientHello(Box<ExpectClientHello>),
    /// Paused: lookups before the ClientHello is handled (`crate::pause`).
    AwaitHelloLookups(Box<AwaitHelloLookups>),
    /// The client negotiated TLS 1.2.
    Tls12(ServerState12),
    /// The client negotiated TLS 1.3.
    Tls13(ServerState13),
}

pub(crate) fn start(config: Arc<ServerConfig>) -> ServerState {
    ServerState::ExpectClientHello(Box::new(ExpectClientHello { config }))
}

impl ServerState {
    pub fn name(&self) -> &'static str {
        match self {
            ServerState::ExpectClientHello(_) => "ExpectClientHello",
            ServerState::AwaitHelloLookups(_) => "AwaitHelloLookups",
            ServerState::Tls12(s) => s.name(),
            ServerState::Tls13(s) => s.name(),
        }
    }

    /// Whether a message of type `typ` could be handled in this state.
    pub fn expects(&self, typ: HandshakeType) -> bool {
        match self {
            ServerState::ExpectClientHello(_) => typ == HandshakeType::ClientHello,
            ServerState::AwaitHelloLookups(_) => false,
            ServerState::Tls12(s) => s.expects(typ),
            ServerState::Tls13(s) => s.expects(typ),
        }
    }

    /// The operation a paused state waits for (`crate::pause`).
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            ServerState::ExpectClientHello(_) => None,
            ServerState::AwaitHelloLookups(s) => s.pending.last(),
            ServerState::Tls12(s) => s.operation(),
            ServerState::Tls13(s) => s.operation(),
        }
    }

    /// Resumes a paused state with the answer to its operation.
    pub fn resume(self, out: &mut Output<'_>, completion: Completion) -> Result<Self, Error> {
        match self {
            ServerState::ExpectClientHello(_) => Err(ApiError::NoOperationPending.into()),
            ServerState::AwaitHelloLookups(s) => s.resume(out, completion),
            ServerState::Tls12(s) => Ok(ServerState::Tls12(s.resume(out, completion)?)),
            ServerState::Tls13(s) => Ok(ServerState::Tls13(s.resume(out, completion)?)),
        }
    }

    /// Whether the client is in the middle of answering a post-handshake
    /// CertificateRequest: nothing may come between its messages (RFC 8446, 4.6.2).
    pub fn in_post_handshake_response(&self) -> bool {
        matches!(self, ServerState::Tls13(s) if s.in_post_handshake_response())
    }

    /// Sends a post-handshake CertificateRequest (RFC 8446, 4.6.2), if the client
    /// offered post_handshake_auth and a verifier is configured.
    pub fn request_client_certificate(&mut self, out: &mut Output<'_>) -> Result<(), Error> {
        match self {
            ServerState::Tls13(s) => s.request_client_certificate(out),
            ServerState::Tls12(_) => Err(ApiError::PostHandshakeAuthNeedsTls13.into()),
            ServerState::ExpectClientHello(_) | ServerState::AwaitHelloLookups(_) => {
                Err(ApiError::HandshakeNotComplete {
                    action: "request a client certificate",
                }
                .into())
            }
        }
    }

    pub fn handle(self, out: &mut Output<'_>, input: Input) -> Result<Self, Error> {
        match (self, input) {
            (ServerState::Tls12(s), input) => Ok(ServerState::Tls12(s.handle(out, input)?)),
            (ServerState::Tls13(s), Input::Tls13(msg)) => {
                Ok(ServerState::Tls13(s.handle(out, msg)?))
            }
            (ServerState::ExpectClientHello(s), Input::Tls13(msg)) => {
                let got = msg.parsed.name();
                match msg.parsed.payload {
                    HandshakePayload::ClientHello(ch) => s.handle(out, ch, &msg.raw),
                    _ => Err(Error::UnexpectedMessage {
                        state: "ExpectClientHello",
                        got,
                    }),
                }
            }
            (state, other) => Err(Error::UnexpectedMessage {
                state: state.name(),
                got: other.name(),
            }),
        }
    }
}

#[derive(Debug)]
pub(crate) struct ExpectClientHello {
    config: Arc<ServerConfig>,
}

impl ExpectClientHello {
    fn handle(
        self,
        out: &mut Output<'_>,
        ch: ClientHello,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        // Lookups that pause come before anything else, so that handling the
        // ClientHello once they are answered repeats no side effect.
        let mut pending = hello_lookups(&self.config, &ch);
        if !pending.is_empty() {
            pending.reverse();
            return Ok(ServerState::AwaitHelloLookups(Box::new(
                AwaitHelloLookups {
                    hello: self,
                    ch,
                    raw: raw.to_vec(),
                    pending,
                    answers: HelloAnswers::default(),
                },
            )));
        }
        self.answer(out, ch, raw, HelloAnswers::default())
    }

    /// The ClientHello, with what the lookups before it answered.
    fn answer(
        self,
        out: &mut Output<'_>,
        ch: ClientHello,
        raw: &[u8],
        answers: HelloAnswers,
    ) -> Result<ServerState, Error> {
        let config = self.config;
        // The key log names the connection by the random on the wire: the outer one.
        out.set_key_log(config.key_log.clone(), ch.random);
        out.allow_ccs();
        // draft-ietf-tls-esni, 7.1: ECH is decided before anything else is negotiated;
        // once accepted, the inner ClientHello is the ClientHello.
        let (ech, inner) = open_ech(&config, &ch)?;
        out.record(Fact::Ech(ech.status()));
        let (ch, inner_raw) = match inner {
            Some((inner, inner_raw)) => {
                report_inner_hello(out, &inner, &inner_raw);
                (inner, Some(inner_raw))
            }
            None => (ch, None),
        };
        let raw = inner_raw.as_deref().unwrap_or(raw);
        crate::server::check_client_hello(&ch)?;

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
                let state = crate::tls12::server::handle_client_hello(out, config, ch, raw)?;
                return Ok(ServerState::Tls12(state));
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
        let mut choices = choose(&config, out, &ch)?;
        choices.ech = ech;
        choices.answers = answers;
        let key_share = choose_key_share(&config, &ch)?;
        crate::tls13::server::handle_client_hello(out, config, ch, raw, choices, key_share)
            .map(ServerState::Tls13)
    }
}

/// What a TLS 1.3 ClientHello makes a server wait for, before it is handled
/// (`crate::pause`): taking its stateful ticket from a session cache that pauses
/// (RFC 8446, 8.1), and recording it with an anti-replay guard that pauses when
/// it offers early data (8.2). Read from the ClientHello as received: with ECH
/// accepted, a stateful ticket of the inner hello is not taken (a full handshake).
fn hello_lookups(config: &ServerConfig, ch: &ClientHello) -> Vec<Operation> {
    let mut ops = Vec::new();
    let Some(offered) = ch.psk() else {
        return ops;
    };
    if config.session_cache.pauses() {
        let stateful = offered
            .identities
            .iter()
            .take(crate::tls13::server::MAX_PSK_IDENTITIES)
            .find(|id| id.identity.len() == crate::tls13::server::STATEFUL_TICKET_LEN);
        if let Some(id) = stateful {
            ops.push(Operation::TakeSession(SessionRequest {
                id: id.identity.clone(),
            }));
        }
    }
    if ch.early_data() && config.anti_replay.as_ref().is_some_and(|g| g.pauses()) {
        if let Some(digest) = crate::tls13::server::binder_digest(offered) {
            ops.push(Operation::CheckReplay(ReplayRequest {
                digest,
                window_ms: crate::tls13::server::REPLAY_WINDOW_MS,
            }));
        }
    }
    ops
}

/// Paused until the lookups before a TLS 1.3 ClientHello are answered.
#[derive(Debug)]
pub(crate) struct AwaitHelloLookups {
    hello: ExpectClientHello,
    ch: ClientHello,
    raw: Vec<u8>,
    /// Still to answer, the next one last.
    pending: Vec<Operation>,
    answers: HelloAnswers,
}

impl AwaitHelloLookups {
    fn resume(
        mut self: Box<Self>,
        out: &mut Output<'_>,
        completion: Completion,
    ) -> Result<ServerState, Error> {
        match self.pending.pop() {
            Some(Operation::TakeSession(r)) => {
                self.answers.taken = Some((r.id, crate::pause::session(completion)?));
            }
            Some(Operation::CheckReplay(_)) => {
                self.answers.first_seen = Some(crate::pause::first_seen(completion)?);
            }
            _ => return Err(ApiError::NoOperationPending.into()),
        }
        if !self.pending.is_empty() {
            return Ok(ServerState::AwaitHelloLookups(self));
        }
        let AwaitHelloLookups {
            hello,
            ch,
            raw,
            answers,
            ..
        } = *self;
        hello.answer(out, ch, &raw, answers)
    }
}

/// Picks the suite, certificate, signature scheme and ALPN protocol.
fn choose(config: &ServerConfig, out: &mut Output<'_>, ch: &ClientHello) -> Result<Choices, Error> {
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
    out.record(Fact::ServerName(sni.clone()));

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
        ech: ServerEch::NotOffered,
        answers: HelloAnswers::default(),
    })
}

fn choose_key_share(config: &ServerConfig, ch: &ClientHello) -> Result<KeyShareChoice, Error> {
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
    // Every share must be for a group the client lists.
    if shares.iter().any(|s| !client_groups.contains(&s.group)) {
        return Err(PeerMisbehaved::IllegalParameter {
            message: "ClientHello",
            field: "key_share",
            reason: "it holds a share for a group missing from supported_groups",
        }
        .into());
    }
    let shared = config
        .groups
        .iter()
        .find_map(|g| shares.iter().position(|s| s.group == *g));
    if let Some(at) = shared {
        return Ok(KeyShareChoice::Share(at));
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
    Ok(KeyShareChoice::Retry(group))
}
