//! TLS 1.3 server handshake states (RFC 8446, 2 and 4).
//!
//! ```text
//! ExpectClientHello -(no usable key share)-> HelloRetryRequest -> ExpectSecondClientHello
//!                   -> ServerHello, {EncryptedExtensions, Certificate, CertificateVerify,
//!                      Finished} -> ExpectFinished -> Connected
//!
//! Post-handshake client authentication (RFC 8446, 4.6.2), requested by the
//! application with a CertificateRequest:
//! Connected -> ExpectPostHandshakeCertificateVerify -> ExpectPostHandshakeFinished
//!           -> Connected (an empty Certificate skips the CertificateVerify)
//! ```

mod retry;

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::conn::{CommonState, EchStatus, Flight, HsMessage, Input};
use crate::crypto::{constant_time_eq, kx, sign, Secret};
use crate::ech::{self, EchServerState};
use crate::error::{illegal, ApiError, Error, NoCommon, PeerMisbehaved};
use crate::exporter::ExporterSecret;
use crate::msgs::enums::{
    CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
    SignatureScheme,
};
use crate::msgs::{
    CertReqExtension, Certificate13, CertificateEntry, CertificateExtension, CertificateRequest13,
    CertificateVerify, ClientHello, EncryptedExtensions, Finished, HandshakeMessage,
    HandshakePayload, KeyShareEntry, NewSessionTicket13, NewSessionTicketExtension, OfferedPsks,
    ServerExtension, ServerHello, HELLO_RETRY_REQUEST_RANDOM,
};
use crate::observe::{Direction, Event, Protection};
use crate::pause::{ClientCertRequest, Completion, Operation, SignRequest};
use crate::pki::{CheckedClientChain, ClientCertVerified, ClientCertVerifier};
use crate::server::{CertifiedKey, ServerConfig, StoredSession, TICKET_NONCE_LEN};
use crate::tls12::server::{self as server12, ServerState12};
use crate::tls13::key_schedule::{
    finished_verify_data, resumption_psk, EarlySecret, HandshakeSecret, MasterSecret, TrafficSecret,
};
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::{certificate_verify_message, Transcript};

/// Where the server is in the handshake. Each variant holds only what is valid there.
#[derive(Debug)]
pub(crate) enum ServerState {
    ExpectClientHello(Box<ExpectClientHello>),
    ExpectSecondClientHello(Box<ExpectSecondClientHello>),
    ExpectEndOfEarlyData(Box<ExpectFinished>),
    ExpectCertificate(Box<ExpectFinished>),
    ExpectCertificateVerify(Box<ExpectCertificateVerify>),
    ExpectFinished(Box<ExpectFinished>),
    Connected(Box<Connected>),
    /// After the handshake: the client's Certificate answered our request.
    ExpectPostHandshakeCertificateVerify(Box<ExpectPostHandshakeCertificateVerify>),
    ExpectPostHandshakeFinished(Box<ExpectPostHandshakeFinished>),
    /// Paused: a remote key signs the CertificateVerify (`crate::pause`).
    AwaitSignature(Box<AwaitSignature>),
    /// Paused: the caller verifies the client's chain (`crate::pause`).
    AwaitClientCertVerification(Box<AwaitClientCertVerification>),
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
            ServerState::ExpectEndOfEarlyData(_) => "ExpectEndOfEarlyData",
            ServerState::ExpectCertificate(_) => "ExpectCertificate",
            ServerState::ExpectCertificateVerify(_) => "ExpectCertificateVerify",
            ServerState::ExpectFinished(_) => "ExpectFinished",
            ServerState::Connected(_) => "Connected",
            ServerState::ExpectPostHandshakeCertificateVerify(_) => {
                "ExpectPostHandshakeCertificateVerify"
            }
            ServerState::ExpectPostHandshakeFinished(_) => "ExpectPostHandshakeFinished",
            ServerState::AwaitSignature(_) => "AwaitSignature",
            ServerState::AwaitClientCertVerification(_) => "AwaitClientCertVerification",
            ServerState::Tls12(s) => s.name(),
        }
    }

    /// Whether a message of type `typ` could be handled in this state.
    pub fn expects(&self, typ: HandshakeType) -> bool {
        use HandshakeType as H;
        match self {
            ServerState::ExpectClientHello(_) | ServerState::ExpectSecondClientHello(_) => {
                typ == H::ClientHello
            }
            ServerState::ExpectEndOfEarlyData(_) => typ == H::EndOfEarlyData,
            ServerState::ExpectCertificate(_) => typ == H::Certificate,
            ServerState::ExpectCertificateVerify(_)
            | ServerState::ExpectPostHandshakeCertificateVerify(_) => typ == H::CertificateVerify,
            ServerState::ExpectFinished(_) | ServerState::ExpectPostHandshakeFinished(_) => {
                typ == H::Finished
            }
            ServerState::Connected(_) => matches!(typ, H::KeyUpdate | H::Certificate),
            ServerState::AwaitSignature(_) | ServerState::AwaitClientCertVerification(_) => false,
            ServerState::Tls12(s) => s.expects(typ),
        }
    }

    /// Whether the client is in the middle of answering a post-handshake
    /// CertificateRequest: nothing may come between its messages (RFC 8446, 4.6.2).
    pub fn in_post_handshake_response(&self) -> bool {
        matches!(
            self,
            ServerState::ExpectPostHandshakeCertificateVerify(_)
                | ServerState::ExpectPostHandshakeFinished(_)
        )
    }

    /// Sends a post-handshake CertificateRequest (RFC 8446, 4.6.2), if the client
    /// offered post_handshake_auth and a verifier is configured.
    pub fn request_client_certificate(&mut self, common: &mut CommonState) -> Result<(), Error> {
        let auth = match self {
            ServerState::Connected(s) => s.auth.as_deref_mut(),
            ServerState::ExpectPostHandshakeCertificateVerify(s) => Some(&mut *s.auth),
            ServerState::ExpectPostHandshakeFinished(s) => Some(&mut *s.auth),
            ServerState::Tls12(_) => return Err(ApiError::PostHandshakeAuthNeedsTls13.into()),
            _ => {
                return Err(ApiError::HandshakeNotComplete {
                    action: "request a client certificate",
                }
                .into())
            }
        };
        match auth {
            Some(auth) => auth.request(common),
            None if !common.negotiated.post_handshake_auth.offered => {
                Err(ApiError::PostHandshakeAuthNotOffered.into())
            }
            None => Err(ApiError::NoClientCertVerifier.into()),
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

    /// The operation a paused state waits for.
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            ServerState::AwaitSignature(s) => Some(&s.operation),
            ServerState::AwaitClientCertVerification(s) => Some(&s.operation),
            ServerState::Tls12(s) => s.operation(),
            _ => None,
        }
    }

    /// Resumes a paused state with the answer to its operation.
    pub fn resume(self, common: &mut CommonState, completion: Completion) -> Result<Self, Error> {
        match self {
            ServerState::AwaitSignature(s) => s.resume(common, completion),
            ServerState::AwaitClientCertVerification(s) => s.resume(common, completion),
            ServerState::Tls12(s) => {
                Ok(ServerState::Tls12(Box::new(s.resume(common, completion)?)))
            }
            _ => Err(ApiError::NoOperationPending.into()),
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
            (ServerState::ExpectEndOfEarlyData(mut s), HandshakePayload::EndOfEarlyData) => {
                // RFC 8446, 4.5: early data ends; the client's handshake keys follow.
                s.transcript.add(&msg.raw);
                common.end_early_data();
                common.install_decrypter(s.suite, &s.client_hs, Protection::Handshake)?;
                Ok(ServerState::ExpectFinished(s))
            }
            (ServerState::ExpectCertificate(s), HandshakePayload::Certificate(c)) => {
                s.handle_certificate(common, c, &msg.raw)
            }
            (ServerState::ExpectCertificateVerify(s), HandshakePayload::CertificateVerify(cv)) => {
                s.handle(cv, &msg.raw)
            }
            (ServerState::ExpectFinished(s), HandshakePayload::Finished(f)) => {
                s.handle(common, f, &msg.raw)
            }
            (ServerState::Connected(s), HandshakePayload::KeyUpdate(ku)) => {
                common.receive_key_update(ku.0)?;
                Ok(ServerState::Connected(s))
            }
            (ServerState::Connected(s), HandshakePayload::Certificate(c)) => {
                s.handle_certificate(c, &msg.raw)
            }
            (
                ServerState::ExpectPostHandshakeCertificateVerify(s),
                HandshakePayload::CertificateVerify(cv),
            ) => s.handle(cv, &msg.raw),
            (ServerState::ExpectPostHandshakeFinished(s), HandshakePayload::Finished(f)) => {
                s.handle(common, f)
            }
            (_, _) => Err(Error::UnexpectedMessage { state: name, got }),
        }
    }
}

/// Encrypted Client Hello on the server (draft-ietf-tls-esni, 7.1).
#[derive(Debug)]
enum ServerEch {
    /// No ECH extension, or no ECH keys configured.
    NotOffered,
    /// The inner ClientHello was decrypted and is the one negotiated with; the
    /// HPKE context decrypts the second one after HelloRetryRequest (7.1.1).
    Accepted(Box<EchServerState>),
    /// The offer could not be decrypted: the outer ClientHello is used and the
    /// retry configurations go in EncryptedExtensions.
    Rejected,
}

impl ServerEch {
    fn status(&self) -> EchStatus {
        match self {
            ServerEch::NotOffered => EchStatus::NotOffered,
            ServerEch::Accepted(_) => EchStatus::Accepted,
            ServerEch::Rejected => EchStatus::Rejected,
        }
    }
}

/// A decrypted inner ClientHello with its encoding, for the transcript.
type InnerHello = (ClientHello, Vec<u8>);

/// Opens the ClientHello's ECH offer, if it has one and we have keys: the inner
/// ClientHello with its encoding for the transcript when that works.
fn open_ech(
    config: &ServerConfig,
    ch: &ClientHello,
) -> Result<(ServerEch, Option<InnerHello>), Error> {
    if config.ech.is_empty() {
        return Ok((ServerEch::NotOffered, None));
    }
    match ech::server_open_first(&config.ech, ch)? {
        Some((inner, state)) => {
            let raw = ech::inner_handshake_bytes(&inner);
            Ok((ServerEch::Accepted(Box::new(state)), Some((inner, raw))))
        }
        None if ech::ech_extension(ch).is_some() => Ok((ServerEch::Rejected, None)),
        None => Ok((ServerEch::NotOffered, None)),
    }
}

/// Shows observers the ClientHelloInner just decrypted.
fn report_inner_hello(common: &CommonState, inner: &ClientHello, raw: &[u8]) {
    if common.observed() {
        let msg = HandshakeMessage::new(HandshakePayload::ClientHello(inner.clone()));
        common.emit(Event::Message {
            direction: Direction::Received,
            protection: Protection::EncryptedClientHello,
            message: &msg,
            raw,
        });
    }
}

/// Writes the ECH confirmation into the 8 bytes at `at` of `raw` (an encoded
/// ServerHello or HelloRetryRequest), computed over `transcript` followed by `raw`
/// as it stands, with those bytes zero (draft-ietf-tls-esni, 7.2 and 7.2.1).
fn write_confirmation(
    raw: &mut [u8],
    at: usize,
    transcript: &Transcript,
    inner_random: &[u8; 32],
    hrr: bool,
) {
    let mut t = transcript.clone();
    t.add(raw);
    let hash = t.finish();
    let confirmation = if hrr {
        ech::hrr_accept_confirmation(transcript.algorithm(), inner_random, hash.as_ref())
    } else {
        ech::accept_confirmation(transcript.algorithm(), inner_random, hash.as_ref())
    };
    if let Some(dst) = raw.get_mut(at..at + 8) {
        dst.copy_from_slice(&confirmation);
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
    ech: ServerEch,
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
        // The key log names the connection by the random on the wire: the outer one.
        common.client_random = ch.random;
        common.ccs_allowed = true;
        // draft-ietf-tls-esni, 7.1: ECH is decided before anything else is negotiated;
        // once accepted, the inner ClientHello is the ClientHello.
        let (ech, inner) = open_ech(&config, &ch)?;
        common.negotiated.ech = ech.status();
        let (ch, inner_raw) = match inner {
            Some((inner, inner_raw)) => {
                report_inner_hello(common, &inner, &inner_raw);
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
        let mut choices = choose(&config, common, &ch)?;
        choices.ech = ech;
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
            let mut psk = resolve_psk(&config, common, &ch, raw, None, &mut choices)?;
            let transcript = hello_transcript(choices.suite, None, psk.as_mut(), raw);
            return server_flight(common, &config, &ch, share, choices, transcript, psk);
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
        let mut extensions = vec![
            ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3),
            ServerExtension::HrrKeyShare(group),
        ];
        let ech_accepted = matches!(choices.ech, ServerEch::Accepted(_));
        if ech_accepted {
            // draft-ietf-tls-esni, 7.2.1: the confirmation, last, replaces 8 zeros.
            extensions.push(ServerExtension::Unknown {
                typ: ExtensionType::EncryptedClientHello,
                data: vec![0; 8],
            });
        }
        let hrr = HandshakeMessage::new(HandshakePayload::ServerHello(ServerHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: HELLO_RETRY_REQUEST_RANDOM,
            session_id: ch.session_id.clone(),
            cipher_suite: choices.suite.suite,
            compression_method: 0,
            extensions,
            empty_extensions_block: false,
        }));
        let mut hrr_raw = hrr.to_bytes();
        if ech_accepted {
            let at = hrr_raw.len().saturating_sub(8);
            write_confirmation(&mut hrr_raw, at, &transcript, &ch.random, true);
        }
        transcript.add(&hrr_raw);
        common.send_handshake_raw(&hrr, &hrr_raw)?;
        if !ch.session_id.is_empty() {
            common.send_ccs();
        }
        common.negotiated.hello_retry = true;
        // RFC 8446, 4.2.10: after HelloRetryRequest, 0-RTT records are skipped.
        if ch.early_data() {
            common.skip_early_data(early_data_skip_budget(&config));
        }
        Ok(ServerState::ExpectSecondClientHello(Box::new(
            ExpectSecondClientHello {
                config,
                choices,
                group,
                transcript,
                first: ch,
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
        ech: ServerEch::NotOffered,
    })
}

#[derive(Debug)]
pub(crate) struct ExpectSecondClientHello {
    config: Arc<ServerConfig>,
    choices: Choices,
    group: NamedGroup,
    transcript: Transcript,
    /// The ClientHello negotiated with (the inner one if ECH was accepted).
    first: ClientHello,
}

impl ExpectSecondClientHello {
    /// RFC 8446, 4.1.2: the second ClientHello repeats the first but for the key share.
    fn handle(
        mut self,
        common: &mut CommonState,
        ch: ClientHello,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        // draft-ietf-tls-esni, 7.1.1: after accepting ECH, the second ClientHelloOuter
        // is opened with the same HPKE context; after rejecting it, it is not opened.
        let (ch, inner_raw) = match &mut self.choices.ech {
            ServerEch::Accepted(state) => {
                let inner = ech::server_open_second(state, &ch)?;
                let inner_raw = ech::inner_handshake_bytes(&inner);
                report_inner_hello(common, &inner, &inner_raw);
                (inner, Some(inner_raw))
            }
            _ => (ch, None),
        };
        let raw = inner_raw.as_deref().unwrap_or(raw);
        let bad = |reason| Error::from(PeerMisbehaved::BadSecondClientHello { reason });
        if ch.session_id != self.first.session_id {
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
        retry::check_unchanged(&self.first, &ch)?;
        let mut psk = resolve_psk(
            &self.config,
            common,
            &ch,
            raw,
            Some(&self.transcript),
            &mut self.choices,
        )?;
        let transcript =
            hello_transcript(self.choices.suite, Some(self.transcript), psk.as_mut(), raw);
        server_flight(
            common,
            &self.config,
            &ch,
            &share,
            self.choices,
            transcript,
            psk,
        )
    }
}

/// How many bytes of rejected 0-RTT data we skip before treating records that fail
/// to decrypt as an attack (RFC 8446, 4.2.10).
fn early_data_skip_budget(config: &ServerConfig) -> usize {
    (config.max_early_data as usize).max(16 * 1024)
}

/// The transcript through the ClientHello `raw`: after an accepted PSK, the binder
/// check's hash of everything before the binders, continued with them (so the
/// ClientHello is hashed once); otherwise `retry` (after HelloRetryRequest) or a
/// fresh hash, given the whole message.
fn hello_transcript(
    suite: &'static Tls13CipherSuite,
    retry: Option<Transcript>,
    psk: Option<&mut AcceptedPsk>,
    raw: &[u8],
) -> Transcript {
    if let Some((mut t, binders_at)) = psk.and_then(|p| p.truncated_transcript.take()) {
        t.add(raw.get(binders_at..).unwrap_or_default());
        return t;
    }
    let mut t = retry.unwrap_or_else(|| Transcript::new(suite.hash));
    t.add(raw);
    t
}

/// A pre-shared key the server accepted (RFC 8446, 4.2.11).
#[derive(Debug)]
struct AcceptedPsk {
    index: u16,
    /// The Early Secret from this PSK, as the binder check derived it.
    early: Option<EarlySecret>,
    /// The binder check's transcript hash through the ClientHello up to its binders,
    /// and where the binders start.
    truncated_transcript: Option<(Transcript, usize)>,
    /// Whether 0-RTT data is accepted (RFC 8446, 4.2.10).
    early_data: bool,
    max_early_data: u32,
}

/// RFC 8446, 8.3: how far the client's view of the ticket age may stray from ours.
const FRESHNESS_WINDOW_MS: i64 = 10_000;
/// At most this many offered identities are looked up.
const MAX_PSK_IDENTITIES: usize = 4;

/// Finds a usable ticket among the client's PSK identities, checks its binder, and
/// decides on 0-RTT. Unknown, expired or mismatched tickets, and tickets our client
/// authentication would not accept now, fall back to a full handshake; a bad binder
/// is fatal (decrypt_error).
fn resolve_psk(
    config: &ServerConfig,
    common: &mut CommonState,
    ch: &ClientHello,
    raw: &[u8],
    retry_transcript: Option<&Transcript>,
    choices: &mut Choices,
) -> Result<Option<AcceptedPsk>, Error> {
    let reject_early = |common: &mut CommonState| {
        if ch.early_data() && retry_transcript.is_none() {
            common.skip_early_data(early_data_skip_budget(config));
        }
    };
    let Some(offered) = ch.psk() else {
        // early_data without a PSK cannot be accepted; its records are skipped.
        reject_early(common);
        return Ok(None);
    };
    // RFC 8446, 4.2.9: "If clients offer "pre_shared_key" without a
    // "psk_key_exchange_modes" extension, servers MUST abort the handshake."
    let modes = ch.psk_modes().ok_or(PeerMisbehaved::MissingExtension {
        message: "ClientHello",
        extension: "psk_key_exchange_modes",
    })?;
    // Without psk_dhe_ke we do not resume (psk_ke is not offered here).
    if !modes.contains(&PskKeyExchangeMode::PskDheKe) {
        reject_early(common);
        return Ok(None);
    }
    if offered.identities.len() != offered.binders.len() {
        return Err(PeerMisbehaved::IllegalParameter {
            message: "ClientHello",
            field: "pre_shared_key",
            reason: "the number of binders differs from the number of identities",
        }
        .into());
    }
    let now = config.provider.time.now().as_secs();
    let found = offered
        .identities
        .iter()
        .take(MAX_PSK_IDENTITIES)
        .enumerate()
        .find_map(|(i, id)| {
            let (session, single_use, external) =
                lookup_psk(config, ch, &id.identity, choices.suite, now)?;
            let suite = config
                .suites
                .iter()
                .copied()
                .find(|s| s.suite == session.suite && ch.cipher_suites.contains(&s.suite))?;
            // After HelloRetryRequest the suite is fixed (RFC 8446, 4.1.4).
            if retry_transcript.is_some() && suite.suite != choices.suite.suite {
                return None;
            }
            let age_secs = now.checked_sub(session.created)?;
            if age_secs > u64::from(MAX_TICKET_LIFETIME) {
                return None;
            }
            // RFC 8446, 4.6.1: resumption only for the server name of the original.
            if session.server_name.is_some()
                && session.server_name.as_deref() != common.negotiated.server_name.as_deref()
            {
                return None;
            }
            let client_age = i64::from(id.obfuscated_ticket_age.wrapping_sub(session.age_add));
            let our_age = i64::try_from(age_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            let fresh = (client_age - our_age).abs() <= FRESHNESS_WINDOW_MS;
            Some((i, session, suite, single_use, fresh, external))
        });
    let Some((index, session, suite, single_use, fresh, external)) = found else {
        reject_early(common);
        return Ok(None);
    };
    let (early, truncated_transcript) = check_binder(
        suite,
        &session.master_secret,
        !external,
        raw,
        offered,
        index,
        retry_transcript,
    )?;
    // The resumed connection would stand for the client the ticket was issued to, so
    // a ticket resumes only where a full handshake would accept that client now: no
    // PSK handshake for a client without a certificate where one is required, none
    // that takes on a certificate's identity where clients are not authenticated, and
    // a stored chain verified again (expiry, revocation, trust). Otherwise the PSK is
    // ignored (RFC 8446, 4.2.11) and the full handshake asks for a certificate.
    // Checked after the binder: only a client that holds the PSK costs a verification.
    if !external && !server12::client_auth_allows(config, &session) {
        reject_early(common);
        return Ok(None);
    }
    choices.suite = suite;
    if external {
        common.negotiated.external_psk = offered.identities.get(index).map(|i| i.identity.clone());
    }

    let early_data = ch.early_data()
        && index == 0
        && retry_transcript.is_none()
        && single_use
        && fresh
        && config.max_early_data > 0
        && session.max_early_data > 0
        && session.alpn == choices.alpn;
    if ch.early_data() && !early_data {
        reject_early(common);
    }
    // The resumed connection stands for the client the ticket was issued to.
    common.negotiated.peer_certificates = session.chain();
    Ok(Some(AcceptedPsk {
        index: u16::try_from(index).unwrap_or(0),
        early: Some(early),
        truncated_transcript: Some(truncated_transcript),
        early_data,
        max_early_data: session.max_early_data.min(config.max_early_data),
    }))
}

/// The session behind a PSK identity: a configured external PSK; a stateful ticket
/// (0-RTT capable), taken from the store so each is used once; or a stateless
/// ticket, decrypted. Returns (session, single_use, external).
fn lookup_psk(
    config: &ServerConfig,
    ch: &ClientHello,
    identity: &[u8],
    chosen: &'static Tls13CipherSuite,
    now: u64,
) -> Option<(Arc<StoredSession>, bool, bool)> {
    if let Some(ext) = config.external_psks.iter().find(|p| p.identity == identity) {
        // The chosen suite if its hash fits the PSK, else our first one that does.
        let suite = std::iter::once(chosen)
            .chain(config.suites.iter().copied())
            .find(|s| s.hash == ext.hash && ch.cipher_suites.contains(&s.suite))?;
        let session = StoredSession {
            suite: suite.suite,
            master_secret: Secret::from(ext.key.as_bytes().to_vec()),
            ems: false,
            created: now,
            server_name: None,
            age_add: 0,
            max_early_data: 0,
            alpn: None,
            peer_certificates: Vec::new(),
        };
        return Some((Arc::new(session), false, true));
    }
    if identity.len() == STATEFUL_TICKET_LEN {
        if let Some(s) = config.session_cache.take(identity) {
            return Some((s, true, false));
        }
    }
    let session = config.ticketer.as_ref()?.decrypt(identity)?;
    Some((Arc::new(session), false, false))
}

/// RFC 8446, 4.2.11.2: the binder is an HMAC over the ClientHello up to the binders.
/// On success returns the PSK's Early Secret and the transcript through the
/// truncated ClientHello with the offset of the binders, for the handshake to go on from.
fn check_binder(
    suite: &'static Tls13CipherSuite,
    psk: &Secret,
    resumption: bool,
    raw: &[u8],
    offered: &OfferedPsks,
    index: usize,
    retry_transcript: Option<&Transcript>,
) -> Result<(EarlySecret, (Transcript, usize)), Error> {
    let truncated_len = raw.len().saturating_sub(offered.binders_len());
    let truncated = raw.get(..truncated_len).unwrap_or_default();
    let mut transcript = match retry_transcript {
        Some(t) => t.clone(),
        None => Transcript::new(suite.hash),
    };
    transcript.add(truncated);
    let early = EarlySecret::new(suite, Some(psk.as_bytes()));
    let expected = early.psk_binder(resumption, transcript.current().as_ref());
    let got = offered
        .binders
        .get(index)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !constant_time_eq(expected.as_ref(), got) {
        return Err(PeerMisbehaved::BadPskBinder.into());
    }
    Ok((early, (transcript, truncated_len)))
}

/// Sends ServerHello and the protected flight up to Finished (RFC 8446, 2).
fn server_flight(
    common: &mut CommonState,
    config: &Arc<ServerConfig>,
    ch: &ClientHello,
    share: &KeyShareEntry,
    choices: Choices,
    mut transcript: Transcript,
    mut psk: Option<AcceptedPsk>,
) -> Result<ServerState, Error> {
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
    }

    let mut end = FlightEnd {
        post_handshake_auth: ch.has_extension(ExtensionType::PostHandshakeAuth),
        config: config.clone(),
        suite,
        transcript,
        flight,
        server_hs,
        client_hs,
        hs,
        client_early,
        client_auth,
        ticket_random,
        group: share.group,
        scheme: psk.is_none().then_some(choices.scheme),
        alpn: choices.alpn.clone(),
        psk: psk.map(|p| p.max_early_data),
    };
    if end.psk.is_none() {
        let signed = certificate_verify_message(true, end.transcript.current().as_ref());
        if choices.cert.key.is_remote() {
            // RFC 8446, 4.4.3: the key is elsewhere; wait for its signature.
            let operation = Operation::Sign(SignRequest {
                scheme: choices.scheme,
                message: signed,
                certificate: choices
                    .cert
                    .chain
                    .first()
                    .cloned()
                    .unwrap_or_else(|| CertificateDer::from(Vec::new())),
            });
            return Ok(ServerState::AwaitSignature(Box::new(AwaitSignature {
                end,
                operation,
            })));
        }
        let signature = choices.cert.key.sign(choices.scheme, &signed)?;
        end.add_certificate_verify(common, choices.scheme, signature);
    }
    finish_flight(common, end)
}

/// The end of the server's flight (CertificateVerify, Finished) and what the
/// states after it need; kept while a remote key signs.
struct FlightEnd {
    config: Arc<ServerConfig>,
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    flight: Flight,
    server_hs: TrafficSecret,
    client_hs: TrafficSecret,
    hs: HandshakeSecret,
    client_early: Option<TrafficSecret>,
    client_auth: Option<Arc<dyn ClientCertVerifier>>,
    ticket_random: TicketRandom,
    group: NamedGroup,
    scheme: Option<SignatureScheme>,
    alpn: Option<Vec<u8>>,
    /// With a PSK: its max_early_data.
    psk: Option<u32>,
    post_handshake_auth: bool,
}

impl core::fmt::Debug for FlightEnd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FlightEnd")
            .field("suite", &self.suite.suite)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl FlightEnd {
    /// RFC 8446, 4.4.3: CertificateVerify joins the flight.
    fn add_certificate_verify(
        &mut self,
        common: &mut CommonState,
        scheme: SignatureScheme,
        signature: Vec<u8>,
    ) {
        let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
            scheme,
            signature,
        }));
        common.add_to_flight(&mut self.flight, &cv, &mut self.transcript);
    }
}

/// Paused until a remote key signs the CertificateVerify (`crate::pause`).
#[derive(Debug)]
pub(crate) struct AwaitSignature {
    end: FlightEnd,
    operation: Operation,
}

impl AwaitSignature {
    fn resume(
        mut self: Box<Self>,
        common: &mut CommonState,
        completion: Completion,
    ) -> Result<ServerState, Error> {
        let Operation::Sign(request) = &self.operation else {
            return Err(ApiError::NoOperationPending.into());
        };
        let scheme = request.scheme;
        let signature = crate::pause::signature(completion, scheme)?;
        self.end.add_certificate_verify(common, scheme, signature);
        finish_flight(common, self.end)
    }
}

/// Finished, the application keys, and the state that waits for the client.
fn finish_flight(common: &mut CommonState, end: FlightEnd) -> Result<ServerState, Error> {
    let FlightEnd {
        config,
        suite,
        mut transcript,
        mut flight,
        server_hs,
        client_hs,
        hs,
        client_early,
        client_auth,
        ticket_random,
        group,
        scheme,
        alpn,
        psk,
        post_handshake_auth,
    } = end;
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
    n.group = Some(group);
    n.signature_scheme = scheme;
    n.alpn = alpn;
    n.resumed = psk.is_some() && n.external_psk.is_none();

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
        client_cert_verified: None,
        ticket_random,
    });
    Ok(match (client_early, &next.client_auth) {
        (Some(early_secret), _) => {
            common.install_decrypter(suite, &early_secret, Protection::EarlyData)?;
            common.accept_early_data(psk.unwrap_or(0) as usize);
            ServerState::ExpectEndOfEarlyData(next)
        }
        (None, auth) => {
            common.install_decrypter(suite, &next.client_hs, Protection::Handshake)?;
            if auth.is_some() {
                ServerState::ExpectCertificate(next)
            } else {
                ServerState::ExpectFinished(next)
            }
        }
    })
}

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    config: Arc<ServerConfig>,
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    client_hs: TrafficSecret,
    client_ap: TrafficSecret,
    server_ap: TrafficSecret,
    master: MasterSecret,
    client_auth: Option<Arc<dyn ClientCertVerifier>>,
    /// Set once a client certificate chain was verified (and its CertificateVerify checked).
    client_cert_verified: Option<ClientCertVerified>,
    ticket_random: TicketRandom,
    /// The client offered post_handshake_auth (RFC 8446, 4.2.6).
    post_handshake_auth: bool,
}

impl ExpectFinished {
    /// RFC 8446, 4.4.2: the client's Certificate, possibly empty.
    fn handle_certificate(
        mut self: Box<Self>,
        common: &mut CommonState,
        cert: Certificate13,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        if !cert.context.is_empty() {
            return Err(PeerMisbehaved::IllegalParameter {
                message: "Certificate",
                field: "certificate_request_context",
                reason: "must echo the empty context of our CertificateRequest",
            }
            .into());
        }
        self.transcript.add(raw);
        if self.client_auth.as_ref().is_some_and(|v| v.pauses()) && !cert.entries.is_empty() {
            let mut certs = cert
                .entries
                .into_iter()
                .map(|e| CertificateDer::from(e.cert));
            let operation = Operation::VerifyClientCert(ClientCertRequest {
                end_entity: certs
                    .next()
                    .unwrap_or_else(|| CertificateDer::from(Vec::new())),
                intermediates: certs.collect(),
                now: self.config.provider.time.now(),
            });
            return Ok(ServerState::AwaitClientCertVerification(Box::new(
                AwaitClientCertVerification {
                    inner: self,
                    operation,
                },
            )));
        }
        let verified = crate::pki::verify_client_chain(
            common,
            self.client_auth.as_deref(),
            cert.entries
                .into_iter()
                .map(|e| CertificateDer::from(e.cert)),
            self.config.provider.time.now(),
        )?;
        Ok(match verified {
            Some((spki, verified)) => {
                ServerState::ExpectCertificateVerify(Box::new(ExpectCertificateVerify {
                    inner: self,
                    spki,
                    verified,
                }))
            }
            None => ServerState::ExpectFinished(self),
        })
    }

    fn handle(
        mut self: Box<Self>,
        common: &mut CommonState,
        fin: Finished,
        raw: &[u8],
    ) -> Result<ServerState, Error> {
        let expected = finished_verify_data(
            self.suite,
            &self.client_hs,
            self.transcript.current().as_ref(),
        );
        fin.check_len(expected.as_ref().len())?;
        if !constant_time_eq(expected.as_ref(), &fin.verify_data) {
            return Err(PeerMisbehaved::BadFinished { from_server: false }.into());
        }
        self.transcript.add(raw);
        common.install_decrypter(self.suite, &self.client_ap, Protection::Application)?;
        let this = *self;
        common.negotiated.post_handshake_auth.offered = this.post_handshake_auth;
        // RFC 8446, 4.4: post-handshake authentication extends the transcript
        // through the client's Finished; kept only where a request can be sent.
        let auth = this
            .config
            .post_handshake_verifier()
            .filter(|_| this.post_handshake_auth)
            .map(|verifier| {
                Box::new(PostHandshakeAuth {
                    config: this.config.clone(),
                    verifier: verifier.clone(),
                    suite: this.suite,
                    handshake: this.transcript.clone(),
                    outstanding: Vec::new(),
                })
            });
        // The resumption master secret is needed only for tickets.
        let resumption = sends_tickets(&this.config).then(|| {
            this.master
                .resumption_master_secret(this.transcript.finish().as_ref())
        });
        common.start_traffic(this.server_ap, this.client_ap)?;
        if let Some(resumption) = resumption {
            send_tickets(
                common,
                &this.config,
                this.suite,
                &resumption,
                &this.ticket_random,
            )?;
        }
        Ok(ServerState::Connected(Box::new(Connected { auth })))
    }
}

/// Paused until the caller's verifier answers for the client's chain.
#[derive(Debug)]
pub(crate) struct AwaitClientCertVerification {
    inner: Box<ExpectFinished>,
    operation: Operation,
}

impl AwaitClientCertVerification {
    fn resume(
        self,
        common: &mut CommonState,
        completion: Completion,
    ) -> Result<ServerState, Error> {
        let verified = crate::pause::client_cert_verdict(completion)?;
        let Operation::VerifyClientCert(request) = self.operation else {
            return Err(ApiError::NoOperationPending.into());
        };
        let spki = crate::pki::spki_of(request.end_entity.as_ref())?.to_vec();
        let mut chain = vec![request.end_entity];
        chain.extend(request.intermediates);
        common.negotiated.peer_certificates = chain;
        Ok(ServerState::ExpectCertificateVerify(Box::new(
            ExpectCertificateVerify {
                inner: self.inner,
                spki,
                verified,
            },
        )))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificateVerify {
    inner: Box<ExpectFinished>,
    spki: Vec<u8>,
    verified: ClientCertVerified,
}

impl ExpectCertificateVerify {
    fn handle(mut self, cv: CertificateVerify, raw: &[u8]) -> Result<ServerState, Error> {
        check_client_certificate_verify(&self.inner.transcript, &self.spki, &cv)?;
        self.inner.transcript.add(raw);
        self.inner.client_cert_verified = Some(self.verified);
        Ok(ServerState::ExpectFinished(self.inner))
    }
}

/// RFC 8446, 4.4.3: the client's CertificateVerify over `transcript` (through its
/// Certificate), with a scheme our CertificateRequest offered.
fn check_client_certificate_verify(
    transcript: &Transcript,
    spki: &[u8],
    cv: &CertificateVerify,
) -> Result<(), Error> {
    if !sign::tls13_verify_schemes().contains(&cv.scheme) {
        return Err(PeerMisbehaved::SelectedUnoffered {
            what: "signature scheme",
            value: cv.scheme.to_string(),
        }
        .into());
    }
    let message = certificate_verify_message(false, transcript.current().as_ref());
    sign::verify_signature(cv.scheme, spki, &message, &cv.signature)
        .map_err(|_| PeerMisbehaved::BadCertificateVerify { scheme: cv.scheme })?;
    Ok(())
}

/// A CertificateRequest (RFC 8446, 4.3.2) with `context` (empty during the
/// handshake), our signature schemes and the verifier's CA names, if any.
fn certificate_request(verifier: &dyn ClientCertVerifier, context: Vec<u8>) -> HandshakeMessage {
    let mut extensions = vec![CertReqExtension::SignatureAlgorithms(
        sign::tls13_verify_schemes().to_vec(),
    )];
    let hints = verifier.root_hint_subjects();
    if !hints.is_empty() {
        extensions.push(CertReqExtension::CertificateAuthorities(hints));
    }
    HandshakeMessage::new(HandshakePayload::CertificateRequest(CertificateRequest13 {
        context,
        extensions,
    }))
}

/// RFC 8446, 4.6.1: tickets may not be used for more than seven days.
pub(crate) const MAX_TICKET_LIFETIME: u32 = 7 * 24 * 3600;
/// Stateful (single-use, 0-RTT capable) tickets are random IDs of this length.
const STATEFUL_TICKET_LEN: usize = 32;

/// Whether this server issues TLS 1.3 tickets: stateful ones (with 0-RTT enabled)
/// or, with a ticketer, encrypted ones.
fn sends_tickets(config: &ServerConfig) -> bool {
    config.tls13_tickets > 0 && (config.max_early_data > 0 || config.ticketer.is_some())
}

/// The randomness of this connection's NewSessionTickets, drawn with the
/// ServerHello random: per ticket, its age_add and then its ID (stateful tickets)
/// or the nonce that seals it (stateless ones). Zeroized on drop.
#[derive(Debug)]
struct TicketRandom(Secret);

impl TicketRandom {
    /// Bytes per ticket.
    fn per_ticket(config: &ServerConfig) -> usize {
        4 + if config.max_early_data > 0 {
            STATEFUL_TICKET_LEN
        } else {
            TICKET_NONCE_LEN
        }
    }

    /// Bytes for all tickets `config` sends.
    fn len(config: &ServerConfig) -> usize {
        if sends_tickets(config) {
            usize::from(config.tls13_tickets) * Self::per_ticket(config)
        } else {
            0
        }
    }

    /// Ticket `n`'s age_add and ID or nonce.
    fn ticket(&self, config: &ServerConfig, n: usize) -> Option<(u32, &[u8])> {
        let per = Self::per_ticket(config);
        let bytes = self.0.as_bytes().get(n * per..(n + 1) * per)?;
        let (age_add, rest) = bytes.split_first_chunk::<4>()?;
        Some((u32::from_be_bytes(*age_add), rest))
    }
}

/// Sends the configured number of NewSessionTickets (RFC 8446, 4.6.1). With 0-RTT
/// enabled they are stateful single-use IDs (RFC 8446, 8.1); otherwise encrypted
/// session state.
fn send_tickets(
    common: &mut CommonState,
    config: &ServerConfig,
    suite: &'static Tls13CipherSuite,
    resumption: &Secret,
    random: &TicketRandom,
) -> Result<(), Error> {
    let stateful = config.max_early_data > 0;
    let lifetime = config
        .ticketer
        .as_ref()
        .map_or(MAX_TICKET_LIFETIME, |t| t.lifetime())
        .min(MAX_TICKET_LIFETIME);
    let created = config.provider.time.now().as_secs();
    let mut flight = Flight::default();
    for n in 0..config.tls13_tickets {
        let Some((age_add, id_or_nonce)) = random.ticket(config, usize::from(n)) else {
            break;
        };
        let nonce = vec![n];
        let session = StoredSession {
            suite: suite.suite,
            master_secret: resumption_psk(suite, resumption, &nonce),
            ems: false,
            created,
            server_name: common.negotiated.server_name.clone(),
            age_add,
            max_early_data: config.max_early_data,
            alpn: common.negotiated.alpn.clone(),
            peer_certificates: StoredSession::chain_to_store(&common.negotiated.peer_certificates),
        };
        let ticket = if stateful {
            let id = id_or_nonce.to_vec();
            config.session_cache.put(id.clone(), Arc::new(session));
            id
        } else {
            let sealed = <[u8; TICKET_NONCE_LEN]>::try_from(id_or_nonce)
                .ok()
                .and_then(|nonce| {
                    config
                        .ticketer
                        .as_ref()
                        .and_then(|t| t.encrypt_with_nonce(&session, nonce))
                });
            match sealed {
                Some(t) => t,
                None => break,
            }
        };
        let mut extensions = Vec::new();
        if stateful {
            extensions.push(NewSessionTicketExtension::EarlyData(config.max_early_data));
        }
        let msg = HandshakeMessage::new(HandshakePayload::NewSessionTicket(NewSessionTicket13 {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions,
        }));
        common.add_ticket_to_flight(&mut flight, &msg);
    }
    common.send_flight(flight)
}

/// The handshake is complete; only KeyUpdate, and answers to our post-handshake
/// CertificateRequests, may follow from a client (RFC 8446, 4.6).
#[derive(Debug)]
pub(crate) struct Connected {
    /// Present when the client offered post_handshake_auth and a verifier is
    /// configured: only then can a client certificate be requested.
    auth: Option<Box<PostHandshakeAuth>>,
}

/// How many random bytes make a post-handshake certificate_request_context: enough
/// that no two requests of a connection share one (RFC 8446, 4.3.2).
const REQUEST_CONTEXT_LEN: usize = 32;

/// What post-handshake client authentication (RFC 8446, 4.6.2) needs.
#[derive(Debug)]
pub(crate) struct PostHandshakeAuth {
    config: Arc<ServerConfig>,
    verifier: Arc<dyn ClientCertVerifier>,
    suite: &'static Tls13CipherSuite,
    /// The handshake transcript through the client's Finished (RFC 8446, 4.4).
    handshake: Transcript,
    /// Requests sent and not answered yet, oldest first.
    outstanding: Vec<OutstandingRequest>,
}

/// A CertificateRequest the client has not answered yet.
#[derive(Debug)]
struct OutstandingRequest {
    context: Vec<u8>,
    /// The handshake transcript plus this CertificateRequest.
    transcript: Transcript,
}

impl PostHandshakeAuth {
    /// Sends a CertificateRequest with a fresh random context.
    fn request(&mut self, common: &mut CommonState) -> Result<(), Error> {
        let mut context = vec![0u8; REQUEST_CONTEXT_LEN];
        self.config.provider.random.fill(&mut context)?;
        let cr = certificate_request(self.verifier.as_ref(), context.clone());
        let mut transcript = self.handshake.clone();
        common.send_handshake(&cr, &mut transcript)?;
        self.outstanding.push(OutstandingRequest {
            context,
            transcript,
        });
        common.negotiated.post_handshake_auth.requests += 1;
        common.negotiated.client_auth = true;
        Ok(())
    }
}

impl Connected {
    /// RFC 8446, 4.4.2 and 4.6.2: the client's Certificate answering one of our
    /// outstanding requests, found by its context (clients may answer out of order).
    fn handle_certificate(self, cert: Certificate13, raw: &[u8]) -> Result<ServerState, Error> {
        let Some(mut auth) = self.auth.filter(|a| !a.outstanding.is_empty()) else {
            return Err(Error::UnexpectedMessage {
                state: "Connected",
                got: "Certificate",
            });
        };
        let Some(at) = auth
            .outstanding
            .iter()
            .position(|r| r.context == cert.context)
        else {
            return Err(illegal(
                "Certificate",
                "certificate_request_context",
                "matches none of our outstanding CertificateRequests",
            ));
        };
        let mut transcript = auth.outstanding.remove(at).transcript;
        transcript.add(raw);
        let checked = crate::pki::check_client_chain(
            auth.verifier.as_ref(),
            cert.entries
                .into_iter()
                .map(|e| CertificateDer::from(e.cert)),
            auth.config.provider.time.now(),
        )?;
        Ok(match checked {
            Some(chain) => ServerState::ExpectPostHandshakeCertificateVerify(Box::new(
                ExpectPostHandshakeCertificateVerify {
                    auth,
                    transcript,
                    chain,
                },
            )),
            None => {
                ServerState::ExpectPostHandshakeFinished(Box::new(ExpectPostHandshakeFinished {
                    auth,
                    transcript,
                    chain: None,
                }))
            }
        })
    }
}

/// The client sent a certificate chain the verifier accepted; its CertificateVerify
/// must prove it holds the key.
#[derive(Debug)]
pub(crate) struct ExpectPostHandshakeCertificateVerify {
    auth: Box<PostHandshakeAuth>,
    /// The transcript through the client's Certificate.
    transcript: Transcript,
    chain: CheckedClientChain,
}

impl ExpectPostHandshakeCertificateVerify {
    fn handle(mut self, cv: CertificateVerify, raw: &[u8]) -> Result<ServerState, Error> {
        check_client_certificate_verify(&self.transcript, &self.chain.spki, &cv)?;
        self.transcript.add(raw);
        Ok(ServerState::ExpectPostHandshakeFinished(Box::new(
            ExpectPostHandshakeFinished {
                auth: self.auth,
                transcript: self.transcript,
                chain: Some(self.chain),
            },
        )))
    }
}

/// The client's Finished ends its answer (RFC 8446, 4.4.4).
#[derive(Debug)]
pub(crate) struct ExpectPostHandshakeFinished {
    auth: Box<PostHandshakeAuth>,
    /// The transcript through the client's CertificateVerify (or empty Certificate).
    transcript: Transcript,
    /// The chain whose CertificateVerify checked out; none for an empty Certificate.
    chain: Option<CheckedClientChain>,
}

impl ExpectPostHandshakeFinished {
    /// RFC 8446, 4.4: the Finished key comes from the client's current application
    /// traffic secret, the one this message arrived under.
    fn handle(self, common: &mut CommonState, fin: Finished) -> Result<ServerState, Error> {
        let base_key = common
            .recv_traffic_secret()
            .ok_or(Error::UnexpectedMessage {
                state: "ExpectPostHandshakeFinished",
                got: "Finished",
            })?;
        let expected = finished_verify_data(
            self.auth.suite,
            base_key,
            self.transcript.current().as_ref(),
        );
        fin.check_len(expected.as_ref().len())?;
        if !constant_time_eq(expected.as_ref(), &fin.verify_data) {
            return Err(PeerMisbehaved::BadFinished { from_server: false }.into());
        }
        let negotiated = &mut common.negotiated;
        negotiated.post_handshake_auth.answered += 1;
        if let Some(chain) = self.chain {
            negotiated.peer_certificates = chain.chain;
            negotiated.post_handshake_auth.authenticated += 1;
        }
        Ok(ServerState::Connected(Box::new(Connected {
            auth: Some(self.auth),
        })))
    }
}
