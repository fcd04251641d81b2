//! TLS 1.3 client handshake states (RFC 8446, 2 and 4).
//!
//! ```text
//! start -> ExpectServerHello -(HRR)-> ExpectServerHello
//!       -> ExpectEncryptedExtensions -> ExpectCertificateOrCertReq -> ExpectCertificate
//!       -> ExpectCertificateVerify -> ExpectFinished -> Connected
//! ```
//!
//! In Connected, a CertificateRequest (post-handshake authentication, RFC 8446,
//! 4.6.2) is answered at once with Certificate, CertificateVerify and Finished.

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName};

use crate::client::{ClientConfig, Tls12Session, Tls13Ticket, MAX_TICKET_LEN};
use crate::conn::{ClientEarlyData, CommonState, EchStatus, Flight, HsMessage, Input};
use crate::crypto::kx::KeyExchange;
use crate::crypto::{constant_time_eq, sign};
use crate::ech::{self, EchError, EchSender};
use crate::error::illegal;
use crate::error::{ApiError, CertificateError, ConfigError, Error, NoCommon, PeerMisbehaved};
use crate::exporter::ExporterSecret;
use crate::msgs::enums::{
    CipherSuite, ECPointFormat, ExtensionType, HandshakeType, HeartbeatMode, NamedGroup,
    ProtocolVersion, PskKeyExchangeMode, ServerNameType, SignatureScheme,
};
use crate::msgs::{
    Certificate13, CertificateEntry, CertificateVerify, ClientExtension, ClientHello,
    EncryptedExtensions, Finished, HandshakeMessage, HandshakePayload, KeyShareEntry,
    NewSessionTicket13, OfferedPsks, PskIdentity, ServerExtension, ServerHello, ServerNameEntry,
    DOWNGRADE_TLS11, DOWNGRADE_TLS12,
};
use crate::observe::{Direction, Event, Protection};
use crate::pause::{Completion, Operation, ServerCertRequest, SignRequest};
use crate::pki::ServerCertVerified;
use crate::record::RecordEncrypter;
use crate::tls12::client::{self as client12, ClientState12};
use crate::tls13::key_schedule::{
    finished_verify_data, resumption_psk, EarlySecret, HandshakeSecret, MasterSecret, TrafficSecret,
};
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::{certificate_verify_message, Transcript};

/// Where the client is in the handshake. Each variant holds only what is valid there.
#[derive(Debug)]
pub(crate) enum ClientState {
    ExpectServerHello(Box<ExpectServerHello>),
    ExpectEncryptedExtensions(Box<ExpectEncryptedExtensions>),
    ExpectCertificateOrCertReq(Box<ExpectCertificate>),
    ExpectCertificate(Box<ExpectCertificate>),
    ExpectCertificateVerify(Box<ExpectCertificateVerify>),
    ExpectFinished(Box<ExpectFinished>),
    Connected(Box<Connected>),
    /// Paused: the caller verifies the server's chain (`crate::pause`).
    AwaitServerCertVerification(Box<AwaitServerCertVerification>),
    /// Paused: a remote key signs our CertificateVerify (`crate::pause`).
    AwaitSignature(Box<AwaitClientSignature>),
    /// The server chose TLS 1.2.
    Tls12(Box<ClientState12>),
}

impl ClientState {
    /// Whether a message of type `typ` could be handled in this state (TLS 1.2
    /// states: any, their checks come after decoding).
    pub fn expects(&self, typ: HandshakeType) -> bool {
        use HandshakeType as H;
        match self {
            ClientState::ExpectServerHello(_) => typ == H::ServerHello,
            ClientState::ExpectEncryptedExtensions(_) => typ == H::EncryptedExtensions,
            ClientState::ExpectCertificateOrCertReq(_) => {
                matches!(typ, H::Certificate | H::CertificateRequest)
            }
            ClientState::ExpectCertificate(_) => typ == H::Certificate,
            ClientState::ExpectCertificateVerify(_) => typ == H::CertificateVerify,
            ClientState::ExpectFinished(_) => typ == H::Finished,
            ClientState::Connected(_) => matches!(
                typ,
                H::NewSessionTicket | H::KeyUpdate | H::CertificateRequest
            ),
            ClientState::AwaitServerCertVerification(_) | ClientState::AwaitSignature(_) => false,
            ClientState::Tls12(_) => true,
        }
    }

    /// The operation a paused state waits for.
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            ClientState::AwaitServerCertVerification(s) => Some(&s.operation),
            ClientState::AwaitSignature(s) => Some(&s.operation),
            ClientState::Tls12(s) => s.operation(),
            _ => None,
        }
    }

    /// Resumes a paused state with the answer to its operation.
    pub fn resume(self, common: &mut CommonState, completion: Completion) -> Result<Self, Error> {
        match self {
            ClientState::AwaitServerCertVerification(s) => s.resume(common, completion),
            ClientState::AwaitSignature(s) => s.resume(common, completion),
            ClientState::Tls12(s) => {
                Ok(ClientState::Tls12(Box::new(s.resume(common, completion)?)))
            }
            _ => Err(ApiError::NoOperationPending.into()),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ClientState::ExpectServerHello(_) => "ExpectServerHello",
            ClientState::ExpectEncryptedExtensions(_) => "ExpectEncryptedExtensions",
            ClientState::ExpectCertificateOrCertReq(_) => "ExpectCertificateOrCertificateRequest",
            ClientState::ExpectCertificate(_) => "ExpectCertificate",
            ClientState::ExpectCertificateVerify(_) => "ExpectCertificateVerify",
            ClientState::ExpectFinished(_) => "ExpectFinished",
            ClientState::Connected(_) => "Connected",
            ClientState::AwaitServerCertVerification(_) => "AwaitServerCertVerification",
            ClientState::AwaitSignature(_) => "AwaitSignature",
            ClientState::Tls12(s) => s.name(),
        }
    }

    pub fn handle(self, common: &mut CommonState, input: Input) -> Result<Self, Error> {
        let msg = match (self, input) {
            (ClientState::Tls12(s), input) => {
                return Ok(ClientState::Tls12(Box::new(s.handle(common, input)?)))
            }
            (state, Input::Tls13(msg)) => (state, msg),
            (state, other) => {
                return Err(Error::UnexpectedMessage {
                    state: state.name(),
                    got: other.name(),
                })
            }
        };
        let (state, msg) = msg;
        state.handle13(common, msg)
    }

    fn handle13(self, common: &mut CommonState, msg: HsMessage) -> Result<Self, Error> {
        let name = self.name();
        let got = msg.parsed.name();
        match (self, msg.parsed.payload) {
            (ClientState::ExpectServerHello(s), HandshakePayload::ServerHello(sh)) => {
                s.handle(common, sh, msg.raw)
            }
            (
                ClientState::ExpectEncryptedExtensions(s),
                HandshakePayload::EncryptedExtensions(ee),
            ) => s.handle(common, ee, &msg.raw),
            (
                ClientState::ExpectCertificateOrCertReq(mut s),
                HandshakePayload::CertificateRequest(cr),
            ) => {
                if !cr.context.is_empty() {
                    return Err(illegal(
                        "CertificateRequest",
                        "certificate_request_context",
                        "must be empty during the handshake",
                    ));
                }
                let schemes =
                    cr.signature_algorithms()
                        .ok_or(PeerMisbehaved::MissingExtension {
                            message: "CertificateRequest",
                            extension: "signature_algorithms",
                        })?;
                s.cert_request = Some(schemes.to_vec());
                s.transcript.add(&msg.raw);
                common.negotiated.client_auth = true;
                Ok(ClientState::ExpectCertificate(s))
            }
            (
                ClientState::ExpectCertificateOrCertReq(s) | ClientState::ExpectCertificate(s),
                HandshakePayload::Certificate(c),
            ) => s.handle(common, c, &msg.raw),
            (ClientState::ExpectCertificateVerify(s), HandshakePayload::CertificateVerify(cv)) => {
                s.handle(cv, &msg.raw)
            }
            (ClientState::ExpectFinished(s), HandshakePayload::Finished(f)) => {
                s.handle(common, f, &msg.raw)
            }
            (ClientState::Connected(s), HandshakePayload::NewSessionTicket(t)) => {
                s.store_ticket(common, t)?;
                Ok(ClientState::Connected(s))
            }
            (ClientState::Connected(s), HandshakePayload::KeyUpdate(ku)) => {
                common.receive_key_update(ku.0)?;
                Ok(ClientState::Connected(s))
            }
            (ClientState::Connected(s), HandshakePayload::CertificateRequest(cr)) => {
                s.answer_certificate_request(common, cr, &msg.raw)?;
                Ok(ClientState::Connected(s))
            }
            (_, _) => Err(Error::UnexpectedMessage { state: name, got }),
        }
    }
}

/// The groups that get a key share in the first ClientHello: the first preference,
/// plus X25519 when the first is the X25519MLKEM768 hybrid (so servers without
/// ML-KEM need no HelloRetryRequest).
fn default_share_groups(groups: &[NamedGroup]) -> Vec<NamedGroup> {
    let mut out: Vec<NamedGroup> = groups.iter().take(1).copied().collect();
    if out.first() == Some(&NamedGroup::X25519MLKEM768) && groups.contains(&NamedGroup::X25519) {
        out.push(NamedGroup::X25519);
    }
    out
}

/// RFC 8446, 4.1.2: one u16 length covers all of a ClientHello's extensions.
const MAX_EXTENSIONS_LEN: usize = 0xffff;

/// Bytes `ext` takes in a ClientHello, its type and length included: what encoding
/// it would write, summed instead (a hello that would not fit is cut down first).
fn extension_wire_len(ext: &ClientExtension) -> usize {
    use ClientExtension as C;
    let body = match ext {
        C::ServerName(names) => 2 + names.iter().map(|n| 3 + n.name.len()).sum::<usize>(),
        C::SupportedVersions(versions) => 1 + 2 * versions.len(),
        C::SupportedGroups(groups) => 2 + 2 * groups.len(),
        C::SignatureAlgorithms(schemes) | C::SignatureAlgorithmsCert(schemes) => {
            2 + 2 * schemes.len()
        }
        C::KeyShare(shares) => 2 + shares.iter().map(|s| 4 + s.payload.len()).sum::<usize>(),
        C::Alpn(protocols) => 2 + protocols.iter().map(|p| 1 + p.len()).sum::<usize>(),
        C::Cookie(cookie) => 2 + cookie.len(),
        C::PskKeyExchangeModes(modes) => 1 + modes.len(),
        C::PreSharedKey(psks) => {
            2 + psks
                .identities
                .iter()
                .map(|i| 2 + i.identity.len() + 4)
                .sum::<usize>()
                + psks.binders_len()
        }
        C::EcPointFormats(formats) => 1 + formats.len(),
        C::RenegotiationInfo(info) => 1 + info.len(),
        C::Heartbeat(_) => 1,
        C::StatusRequest(data) | C::SessionTicket(data) | C::Unknown { data, .. } => data.len(),
        C::EarlyData | C::PostHandshakeAuth | C::ExtendedMasterSecret | C::EncryptThenMac => 0,
    };
    4 + body
}

/// Encrypted Client Hello as offered by the client (draft-ietf-tls-esni, 6.1).
#[derive(Debug)]
struct ClientEch {
    sender: EchSender,
    /// ClientHelloOuter.random: fresh, never the inner one (6.1, rule 4).
    outer_random: [u8; 32],
    /// The ClientHelloOuter last sent: the transcript's, should the server reject ECH.
    outer_hello: Vec<u8>,
    /// What a HelloRetryRequest said: accepted (true) or rejected (false).
    decided_at_retry: Option<bool>,
    /// The server rejected ECH: the handshake authenticates the public name, then
    /// fails with the retry configurations (6.1.6).
    rejected: bool,
    retry_configs: Option<Vec<u8>>,
}

/// What stays the same between the first and second ClientHello.
#[derive(Debug)]
struct HelloBase {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    sni: Option<String>,
    random: [u8; 32],
    session_id: Vec<u8>,
    /// A TLS 1.2 session offered for resumption (its ID, or its ticket).
    resuming12: Option<Tls12Session>,
    /// A TLS 1.3 pre-shared key offered: a ticket, or an external PSK.
    ticket: Option<(OfferedPsk, &'static Tls13CipherSuite)>,
    /// Whether the first ClientHello offers 0-RTT data with the ticket.
    offer_early: bool,
    /// Encrypted Client Hello: `self` describes the inner ClientHello.
    ech: Option<ClientEch>,
    /// A GREASE ECH extension, made for the first ClientHello and repeated in the
    /// second (draft-ietf-tls-esni, 6.2.1).
    grease_ech: Option<ClientExtension>,
}

impl HelloBase {
    fn offers(&self, v: ProtocolVersion) -> bool {
        self.config.versions.contains(&v)
    }

    /// The name the server's certificate must cover: after an ECH rejection, the
    /// configuration's public name (draft-ietf-tls-esni, 6.1.7).
    fn auth_name(&self) -> Result<ServerName<'static>, Error> {
        match &self.ech {
            Some(e) if e.rejected => ServerName::try_from(e.sender.config().public_name.clone())
                .map_err(|_| {
                    ConfigError::OutOfRange {
                        what: "ECH public name",
                        reason: "it is not a DNS name".into(),
                    }
                    .into()
                }),
            _ => Ok(self.server_name.clone()),
        }
    }

    /// With ECH offered: the ClientHelloOuter wrapping `inner` (the ClientHello
    /// `client_hello` built), its encoding kept for the transcript in case the server
    /// rejects ECH (draft-ietf-tls-esni, 6.1 and 6.1.1). The outer hello carries the
    /// public name for SNI, no ALPN, and a GREASE PSK in place of a real one; its key
    /// shares are those of the inner hello, which refers to them instead of repeating
    /// them (5.1).
    fn seal_ech(
        &mut self,
        inner: &HandshakeMessage,
        first: bool,
    ) -> Result<Option<(HandshakeMessage, Vec<u8>)>, Error> {
        let (Some(ech), HandshakePayload::ClientHello(inner)) = (&mut self.ech, &inner.payload)
        else {
            return Ok(None);
        };
        let public_name = ech.sender.config().public_name.clone();
        let mut extensions = Vec::with_capacity(inner.extensions.len());
        for ext in &inner.extensions {
            match ext {
                ClientExtension::ServerName(_) => {
                    extensions.push(ClientExtension::ServerName(vec![ServerNameEntry {
                        name_type: ServerNameType::HostName,
                        name: public_name.as_bytes().to_vec(),
                    }]))
                }
                ClientExtension::Alpn(_) => {}
                // 6.1.2: the outer hello carries a GREASE pre_shared_key shaped like
                // the inner one, so a resumed handshake does not stand out.
                ClientExtension::PreSharedKey(psk) => extensions.push(
                    ClientExtension::PreSharedKey(grease_psk(psk, &self.config.provider)?),
                ),
                ClientExtension::Unknown { typ, .. }
                    if *typ == ExtensionType::EncryptedClientHello => {}
                other => extensions.push(other.clone()),
            }
        }
        if !extensions
            .iter()
            .any(|e| matches!(e, ClientExtension::ServerName(_)))
        {
            // An inner hello without SNI (an IP address) still names the public name.
            extensions.insert(
                0,
                ClientExtension::ServerName(vec![ServerNameEntry {
                    name_type: ServerNameType::HostName,
                    name: public_name.as_bytes().to_vec(),
                }]),
            );
        }
        let compress: &[ExtensionType] = if inner
            .extensions
            .iter()
            .any(|e| e.ext_type() == ExtensionType::KeyShare)
        {
            &[ExtensionType::KeyShare]
        } else {
            &[]
        };
        let encoded = ech::encode_inner(inner, compress, ech.sender.config().maximum_name_length);
        // The outer extensions plus the ECH extension (type, ids, enc, payload with
        // its tag) must fit in one 2^16-1 extensions block.
        let outer_len: usize = extensions.iter().map(extension_wire_len).sum::<usize>()
            + 4
            + 10
            + ech.sender.enc().len()
            + encoded.len()
            + 16;
        if outer_len > MAX_EXTENSIONS_LEN {
            return Err(ConfigError::OutOfRange {
                what: "ClientHello",
                reason: format!(
                    "with Encrypted Client Hello its extensions would take {outer_len} bytes, \
                     more than the {MAX_EXTENSIONS_LEN} allowed; offer fewer or shorter ALPN \
                     protocols"
                ),
            }
            .into());
        }
        let outer = ClientHello {
            legacy_version: inner.legacy_version,
            random: ech.outer_random,
            session_id: inner.session_id.clone(),
            cipher_suites: inner.cipher_suites.clone(),
            compression_methods: inner.compression_methods.clone(),
            extensions,
            empty_extensions_block: false,
        };
        let outer = ech.sender.seal_outer(outer, &encoded, first)?;
        let msg = HandshakeMessage::new(HandshakePayload::ClientHello(outer));
        let raw = msg.to_bytes();
        ech.outer_hello = raw.clone();
        Ok(Some((msg, raw)))
    }

    /// The ClientHello and its encoding; after HelloRetryRequest, `retry` is the
    /// transcript so far (the PSK binder covers it, RFC 8446, 4.2.11.2). With a PSK
    /// offered, also what computing its binder produced, for the handshake to reuse.
    ///
    /// All extensions share one 2^16-1 length. Resumption is optional, so a hello
    /// that would not fit offers no ticket or PSK (they are dropped from `self`, which
    /// then describes what was offered); one that still does not fit is an error.
    fn client_hello(
        &mut self,
        key_shares: &[KeyExchange],
        cookie: Option<&[u8]>,
        retry: Option<&Transcript>,
    ) -> Result<(HandshakeMessage, Vec<u8>, Option<BinderWork>), Error> {
        if self.grease_ech.is_none()
            && self.ech.is_none()
            && self.config.ech_grease
            && self.offers(ProtocolVersion::TLSv1_3)
        {
            let len: usize = self
                .extensions(key_shares, cookie, retry)
                .iter()
                .map(extension_wire_len)
                .sum();
            self.grease_ech = Some(grease_ech(&self.config.provider, len)?);
        }
        let mut ext = self.extensions(key_shares, cookie, retry);
        let mut len: usize = ext.iter().map(extension_wire_len).sum();
        let ticket12 = self
            .resuming12
            .as_ref()
            .is_some_and(|s| !s.ticket.is_empty());
        if len > MAX_EXTENSIONS_LEN && (self.ticket.is_some() || ticket12) {
            self.ticket = None;
            self.offer_early = false;
            // Offered by ticket, the session went with a fresh session ID: without the
            // ticket, nothing of it is offered.
            if ticket12 {
                self.resuming12 = None;
            }
            ext = self.extensions(key_shares, cookie, retry);
            len = ext.iter().map(extension_wire_len).sum();
        }
        if len > MAX_EXTENSIONS_LEN {
            return Err(match retry {
                Some(_) => PeerMisbehaved::BadHelloRetryRequest {
                    reason: "the second ClientHello it asks for would exceed the 65535 bytes \
                             a ClientHello's extensions may take",
                }
                .into(),
                None => ConfigError::OutOfRange {
                    what: "ClientHello",
                    reason: format!(
                        "its extensions would take {len} bytes, more than the \
                         {MAX_EXTENSIONS_LEN} allowed; offer fewer or shorter ALPN protocols"
                    ),
                }
                .into(),
            });
        }
        Ok(self.encode_hello(ext, retry))
    }

    /// The ClientHello's extensions, pre_shared_key last with a placeholder binder.
    fn extensions(
        &self,
        key_shares: &[KeyExchange],
        cookie: Option<&[u8]>,
        retry: Option<&Transcript>,
    ) -> Vec<ClientExtension> {
        let c = &self.config;
        let (tls13, tls12) = (
            self.offers(ProtocolVersion::TLSv1_3),
            self.offers(ProtocolVersion::TLSv1_2),
        );
        let mut ext = Vec::new();
        if let Some(name) = &self.sni {
            ext.push(ClientExtension::ServerName(vec![ServerNameEntry {
                name_type: ServerNameType::HostName,
                name: name.as_bytes().to_vec(),
            }]));
        }
        if tls13 {
            ext.push(ClientExtension::SupportedVersions(c.versions.clone()));
        }
        ext.push(ClientExtension::SupportedGroups(c.groups.clone()));
        ext.push(ClientExtension::SignatureAlgorithms(if tls12 {
            client12::tls12_schemes().to_vec()
        } else {
            sign::tls13_verify_schemes().to_vec()
        }));
        if tls13 {
            ext.push(ClientExtension::KeyShare(
                key_shares
                    .iter()
                    .map(|k| KeyShareEntry {
                        group: k.group(),
                        payload: k.public_share().to_vec(),
                    })
                    .collect(),
            ));
        }
        if !c.alpn.is_empty() {
            ext.push(ClientExtension::Alpn(c.alpn.clone()));
        }
        if let Some(cookie) = cookie {
            ext.push(ClientExtension::Cookie(cookie.to_vec()));
        }
        if tls12 {
            // RFC 7627, RFC 5746, RFC 8422 5.1.2, RFC 5077.
            ext.push(ClientExtension::ExtendedMasterSecret);
            ext.push(ClientExtension::RenegotiationInfo(Vec::new()));
            ext.push(ClientExtension::EcPointFormats(vec![
                ECPointFormat::Uncompressed,
            ]));
            if c.enable_tickets {
                let ticket = self
                    .resuming12
                    .as_ref()
                    .map(|s| s.ticket.clone())
                    .unwrap_or_default();
                ext.push(ClientExtension::SessionTicket(ticket));
            }
            if c.suites12.iter().any(|s| s.legacy) {
                ext.push(ClientExtension::EncryptThenMac);
            }
            if c.heartbeat {
                // RFC 6520, 2: we ask to send requests, and answer none.
                ext.push(ClientExtension::Heartbeat(
                    HeartbeatMode::PeerNotAllowedToSend,
                ));
            }
        }
        if c.request_ocsp {
            // RFC 6066, 8: status_type ocsp, no responder IDs, no extensions.
            ext.push(ClientExtension::StatusRequest(vec![1, 0, 0, 0, 0]));
        }
        if tls13 {
            ext.push(ClientExtension::PskKeyExchangeModes(vec![
                PskKeyExchangeMode::PskDheKe,
            ]));
            // RFC 8446, 4.2.6: we answer CertificateRequests after the handshake.
            if c.post_handshake_auth {
                ext.push(ClientExtension::PostHandshakeAuth);
            }
        }
        if self.ech.is_some() {
            // draft-ietf-tls-esni, 6.1, rule 4: the inner hello says it is one.
            ext.push(ech::inner_extension());
        } else if let Some(grease) = self.grease_ech.as_ref().filter(|_| tls13) {
            ext.push(grease.clone());
        }
        let ticket = self.ticket.as_ref().filter(|_| tls13);
        if let Some((t, suite)) = ticket {
            if self.offer_early && retry.is_none() {
                ext.push(ClientExtension::EarlyData);
            }
            // RFC 8446, 4.2.11: pre_shared_key is last; its binder is filled in below.
            ext.push(ClientExtension::PreSharedKey(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: t.identity.clone(),
                    obfuscated_ticket_age: t.obfuscated_age,
                }],
                binders: vec![vec![0; suite.hash.output_len()]],
            }));
        }
        ext
    }

    /// Encodes the ClientHello with `ext` (which fit) and fills in its binder.
    fn encode_hello(
        &self,
        ext: Vec<ClientExtension>,
        retry: Option<&Transcript>,
    ) -> (HandshakeMessage, Vec<u8>, Option<BinderWork>) {
        let c = &self.config;
        let (tls13, tls12) = (
            self.offers(ProtocolVersion::TLSv1_3),
            self.offers(ProtocolVersion::TLSv1_2),
        );
        let ticket = self.ticket.as_ref().filter(|_| tls13);
        let mut suites: Vec<CipherSuite> = Vec::new();
        if tls13 {
            suites.extend(c.suites.iter().map(|s| s.suite));
        }
        if tls12 {
            suites.extend(c.suites12.iter().map(|s| s.suite));
        }
        let hello = ClientHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: self.random,
            session_id: self.session_id.clone(),
            cipher_suites: suites,
            compression_methods: vec![0],
            extensions: ext,
            empty_extensions_block: false,
        };
        let binders_len = hello.psk().map(|p| p.binders_len());
        let mut msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello));
        // Encoded once, with placeholder binders of their final size; the binder,
        // last in the message, is written into the encoding once computed.
        let mut raw = msg.to_bytes();
        let (Some((t, suite)), Some(binders_len)) = (ticket, binders_len) else {
            return (msg, raw, None);
        };
        let truncated_len = raw.len().saturating_sub(binders_len);
        let mut transcript = retry
            .cloned()
            .unwrap_or_else(|| Transcript::new(suite.hash));
        transcript.add(raw.get(..truncated_len).unwrap_or_default());
        let early = EarlySecret::new(suite, Some(t.psk.as_bytes()));
        let binder = early.psk_binder(t.resumption, transcript.current().as_ref());
        let binder_at = raw.len().saturating_sub(binder.as_ref().len());
        if let Some(dst) = raw.get_mut(binder_at..) {
            dst.copy_from_slice(binder.as_ref());
        }
        if let HandshakePayload::ClientHello(hello) = &mut msg.payload {
            if let Some(b) = hello.psk_mut().and_then(|p| p.binders.first_mut()) {
                *b = binder.as_ref().to_vec();
            }
        }
        let work = BinderWork {
            early,
            transcript,
            truncated_len,
        };
        (msg, raw, Some(work))
    }

    fn offered_suite(&self, suite: CipherSuite) -> Result<&'static Tls13CipherSuite, Error> {
        self.config
            .suites
            .iter()
            .find(|s| s.suite == suite)
            .copied()
            .ok_or_else(|| {
                PeerMisbehaved::SelectedUnoffered {
                    what: "cipher suite",
                    value: suite.to_string(),
                }
                .into()
            })
    }
}

/// draft-ietf-tls-esni, 6.1.2: for each identity and binder of `inner`, random bytes
/// of the same length, and a random obfuscated_ticket_age.
fn grease_psk(
    inner: &OfferedPsks,
    provider: &crate::crypto::Provider,
) -> Result<OfferedPsks, Error> {
    let random = |len: usize| -> Result<Vec<u8>, Error> {
        let mut bytes = vec![0u8; len];
        provider.random.fill(&mut bytes)?;
        Ok(bytes)
    };
    let mut identities = Vec::with_capacity(inner.identities.len());
    for id in &inner.identities {
        identities.push(PskIdentity {
            identity: random(id.identity.len())?,
            obfuscated_ticket_age: u32::from_be_bytes(provider.random_array::<4>()?),
        });
    }
    let mut binders = Vec::with_capacity(inner.binders.len());
    for b in &inner.binders {
        binders.push(random(b.len())?);
    }
    Ok(OfferedPsks {
        identities,
        binders,
    })
}

/// draft-ietf-tls-esni, 6.2.1: a GREASE encrypted_client_hello extension: a random
/// config_id, HKDF-SHA256 with AES-128-GCM, a valid X25519 public key as enc, and a
/// random payload as long as the sealed inner hello of a ClientHello whose
/// extensions take `extensions_len` bytes would be (padded as in 6.1.3).
fn grease_ech(
    provider: &crate::crypto::Provider,
    extensions_len: usize,
) -> Result<ClientExtension, Error> {
    use crate::crypto::hpke::{HpkeKem, HpkeKeyPair};
    let key = HpkeKeyPair::generate(HpkeKem::DhkemX25519HkdfSha256, provider.random.as_ref())
        .map_err(|e| EchError::Hpke {
            operation: "key generation for GREASE ECH",
            reason: e.to_string(),
        })?;
    // The ClientHello's fixed fields (version, random, empty session ID, a few
    // suites, compression) take about 48 bytes; then rounding to 32 and the tag.
    const FIXED_FIELDS: usize = 48;
    const TAG_LEN: usize = 16;
    let padded = (extensions_len + FIXED_FIELDS).div_ceil(32) * 32;
    let mut payload = vec![0; padded + TAG_LEN];
    provider.random.fill(&mut payload)?;
    let [config_id] = provider.random_array::<1>()?;
    Ok(ech::EchClientHello::Outer {
        kdf: ech::KDF_HKDF_SHA256,
        aead: ech::AEAD_AES_128_GCM,
        config_id,
        enc: key.public_key().to_vec(),
        payload,
    }
    .to_extension())
}

/// What computing a ClientHello's PSK binder produced, kept so the handshake need
/// not redo it: the PSK's Early Secret, and the transcript hash through the
/// ClientHello up to its binders (which start at `truncated_len`).
#[derive(Debug)]
struct BinderWork {
    early: EarlySecret,
    transcript: Transcript,
    truncated_len: usize,
}

impl BinderWork {
    /// The transcript through the whole ClientHello `raw`.
    fn full_transcript(mut self, raw: &[u8]) -> (Transcript, EarlySecret) {
        self.transcript
            .add(raw.get(self.truncated_len..).unwrap_or_default());
        (self.transcript, self.early)
    }
}

/// A pre-shared key the client offers (RFC 8446, 4.2.11).
#[derive(Debug)]
struct OfferedPsk {
    identity: Vec<u8>,
    obfuscated_age: u32,
    psk: crate::crypto::Secret,
    /// A resumption ticket ("res binder"), or an external PSK ("ext binder").
    resumption: bool,
    max_early_data: u32,
}

/// The configured external PSK, else a stored ticket that is still valid and whose
/// suite we still offer.
fn usable_psk(
    config: &ClientConfig,
    server_name: &str,
) -> Option<(OfferedPsk, &'static Tls13CipherSuite)> {
    if let Some(ext) = &config.external_psk {
        let suite = config.suites.iter().copied().find(|s| s.hash == ext.hash)?;
        return Some((
            OfferedPsk {
                identity: ext.identity.clone(),
                // RFC 8446, 4.2.11: 0 for identities not established by tickets.
                obfuscated_age: 0,
                psk: crate::crypto::Secret::from(ext.key.as_bytes().to_vec()),
                resumption: false,
                max_early_data: 0,
            },
            suite,
        ));
    }
    let ticket: Tls13Ticket = config.session_store.take_tls13_ticket(server_name)?;
    // Never stored by us; a store of the application's own may hold one.
    if ticket.ticket.len() > MAX_TICKET_LEN {
        return None;
    }
    let now = config.provider.time.now().as_secs();
    let expires = ticket.received_at.as_secs() + u64::from(ticket.lifetime);
    if now >= expires {
        return None;
    }
    let suite = config
        .suites
        .iter()
        .copied()
        .find(|s| s.suite == ticket.suite)?;
    // RFC 8446, 4.2.11.1: the age in ms plus age_add, modulo 2^32.
    let age_ms = now
        .saturating_sub(ticket.received_at.as_secs())
        .saturating_mul(1000);
    Some((
        OfferedPsk {
            identity: ticket.ticket,
            obfuscated_age: (age_ms as u32).wrapping_add(ticket.age_add),
            psk: ticket.psk,
            resumption: true,
            max_early_data: ticket.max_early_data.unwrap_or(0),
        },
        suite,
    ))
}

/// Sends the ClientHello `msg` (encoded as `raw`); with ECH offered, sealed in a
/// ClientHelloOuter, whose encoding is returned. Observers see the inner hello as
/// it is sealed, then the outer one.
fn send_client_hello(
    common: &mut CommonState,
    base: &mut HelloBase,
    msg: &HandshakeMessage,
    raw: &[u8],
    first: bool,
) -> Result<Option<Vec<u8>>, Error> {
    match base.seal_ech(msg, first)? {
        Some((outer, outer_raw)) => {
            common.emit(Event::Message {
                direction: Direction::Sent,
                protection: Protection::EncryptedClientHello,
                message: msg,
                raw,
            });
            common.send_handshake_raw(&outer, &outer_raw)?;
            Ok(Some(outer_raw))
        }
        None => {
            common.send_handshake_raw(msg, raw)?;
            Ok(None)
        }
    }
}

/// Sends the first ClientHello and returns the first state.
pub(crate) fn start(
    common: &mut CommonState,
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
) -> Result<ClientState, Error> {
    common.key_log = config.key_log.clone();
    // One draw for the random, a fresh session ID and an ECH outer random (each call
    // has a fixed cost).
    let drawn = config.provider.random_array::<96>()?;
    let (random, rest) = drawn.split_at(32);
    let (fresh_id, outer_random) = rest.split_at(32);
    let random: [u8; 32] = random
        .try_into()
        .map_err(|_| crate::error::CryptoError::RandomFailed)?;
    let outer_random: [u8; 32] = outer_random
        .try_into()
        .map_err(|_| crate::error::CryptoError::RandomFailed)?;
    let ech = match &config.ech {
        Some(ech_config) if config.versions.contains(&ProtocolVersion::TLSv1_3) => {
            Some(ClientEch {
                sender: EchSender::new(ech_config, &config.provider)?,
                outer_random,
                outer_hello: Vec::new(),
                decided_at_retry: None,
                rejected: false,
                retry_configs: None,
            })
        }
        _ => None,
    };
    // The key log names the connection by the random on the wire.
    common.client_random = if ech.is_some() { outer_random } else { random };
    // RFC 8446, D.4: a non-empty session ID puts middleboxes in TLS 1.2 resumption mode.
    // A TLS 1.2 session is offered by its ID, or by its ticket with a fresh ID that
    // the server echoes when it accepts the ticket (RFC 5077, 3.4).
    let mut resuming12 = None;
    if config.versions.contains(&ProtocolVersion::TLSv1_2) {
        // A session ID or ticket too long to offer (never stored by us; a store of the
        // application's own may hold one) is not offered.
        resuming12 = config
            .session_store
            .take_tls12_session(&server_name.to_str())
            .filter(|s| s.session_id.len() <= 32 && s.ticket.len() <= MAX_TICKET_LEN)
            // A session without the extended master secret cannot satisfy a client
            // that requires it (RFC 7627, 5.3): a full handshake instead.
            .filter(|s| s.ems || !config.require_ems);
    }
    let session_id = match &mut resuming12 {
        Some(s) if s.ticket.is_empty() => s.session_id.clone(),
        Some(s) => {
            s.session_id = fresh_id.to_vec();
            s.session_id.clone()
        }
        None => fresh_id.to_vec(),
    };
    let share_groups = config
        .key_share_groups
        .clone()
        .unwrap_or_else(|| default_share_groups(&config.groups));
    let key_shares = if config.versions.contains(&ProtocolVersion::TLSv1_3) {
        KeyExchange::start_all(&share_groups)?
    } else {
        Vec::new()
    };
    let sni = match (&server_name, config.enable_sni) {
        (ServerName::DnsName(d), true) => Some(d.as_ref().trim_end_matches('.').to_string()),
        _ => None,
    };
    common.negotiated.server_name = Some(server_name.to_str().into_owned());
    let ticket = if config.versions.contains(&ProtocolVersion::TLSv1_3) {
        usable_psk(&config, &server_name.to_str())
    } else {
        None
    };
    let offer_early =
        config.enable_early_data && ticket.as_ref().is_some_and(|(t, _)| t.max_early_data > 0);
    let mut base = HelloBase {
        config,
        server_name,
        sni,
        random,
        session_id,
        resuming12,
        ticket,
        offer_early,
        ech,
        grease_ech: None,
    };
    let (msg, raw, binder) = base.client_hello(&key_shares, None, None)?;
    common.set_initial_record_version(ProtocolVersion::TLSv1_0);
    send_client_hello(common, &mut base, &msg, &raw, true)?;
    common.ccs_allowed = true;
    // With a PSK: the transcript through this ClientHello and the PSK's Early Secret.
    let offered = binder.map(|b| b.full_transcript(&raw));
    if let (true, Some((t, suite)), Some((transcript, early))) =
        (base.offer_early, &base.ticket, &offered)
    {
        // RFC 8446, 2.3: 0-RTT data goes under client_early_traffic_secret.
        let secret = early.client_early_traffic_secret(transcript.current().as_ref());
        common.log_secret("CLIENT_EARLY_TRAFFIC_SECRET", secret.as_bytes());
        // RFC 8446, D.4: with 0-RTT, the compatibility CCS follows the ClientHello.
        common.send_compat_ccs();
        common.install_encrypter(suite, &secret, Protection::EarlyData)?;
        common.early = ClientEarlyData::Offered {
            max: t.max_early_data as usize,
            sent: Vec::new(),
        };
    }
    Ok(ClientState::ExpectServerHello(Box::new(
        ExpectServerHello {
            base,
            key_shares,
            progress: HelloProgress::First {
                client_hello: raw,
                offered,
            },
        },
    )))
}

#[derive(Debug)]
enum HelloProgress {
    /// No HelloRetryRequest yet: the transcript is the first ClientHello's bytes;
    /// with a PSK offered, already hashed with the PSK's hash, and its Early Secret.
    First {
        client_hello: Vec<u8>,
        offered: Option<(Transcript, EarlySecret)>,
    },
    /// After HelloRetryRequest: the suite is fixed and the transcript hash running;
    /// with a PSK offered, its Early Secret.
    Retried {
        suite: &'static Tls13CipherSuite,
        transcript: Transcript,
        early: Option<EarlySecret>,
    },
}

#[derive(Debug)]
pub(crate) struct ExpectServerHello {
    base: HelloBase,
    key_shares: Vec<KeyExchange>,
    progress: HelloProgress,
}

impl ExpectServerHello {
    /// draft-ietf-tls-esni, 6.1.4: whether the server used the inner ClientHello,
    /// from the confirmation in the ServerHello's random. If it did not, the
    /// handshake goes on with the outer ClientHello (6.1.6).
    fn decide_ech(
        &mut self,
        common: &mut CommonState,
        sh_raw: &[u8],
        suite: &'static Tls13CipherSuite,
    ) -> Result<(), Error> {
        let Some(ech_state) = &mut self.base.ech else {
            return Ok(());
        };
        // The handshake header, legacy_version, then 24 random bytes.
        const CONFIRMATION_AT: usize = 4 + 2 + 24;
        let accepted = match ech_state.decided_at_retry {
            Some(false) => false,
            _ => {
                let mut zeroed = sh_raw.to_vec();
                if let Some(tail) = zeroed.get_mut(CONFIRMATION_AT..CONFIRMATION_AT + 8) {
                    tail.fill(0);
                }
                let mut t = match &self.progress {
                    HelloProgress::First { client_hello, .. } => {
                        let mut t = Transcript::new(suite.hash);
                        t.add(client_hello);
                        t
                    }
                    HelloProgress::Retried { transcript, .. } => transcript.clone(),
                };
                t.add(&zeroed);
                let expected =
                    ech::accept_confirmation(suite.hash, &self.base.random, t.finish().as_ref());
                let got = sh_raw
                    .get(CONFIRMATION_AT..CONFIRMATION_AT + 8)
                    .unwrap_or_default();
                let accepted = constant_time_eq(&expected, got);
                if ech_state.decided_at_retry == Some(true) && !accepted {
                    // 6.1.5: accepted at HelloRetryRequest, it must be accepted here.
                    return Err(illegal(
                        "ServerHello",
                        "random",
                        "does not confirm Encrypted Client Hello, which the \
                         HelloRetryRequest accepted",
                    ));
                }
                accepted
            }
        };
        if accepted {
            common.negotiated.ech = EchStatus::Accepted;
            return Ok(());
        }
        common.negotiated.ech = EchStatus::Rejected;
        ech_state.rejected = true;
        // 6.1.6: the outer ClientHello, which offered no PSK, is the one in use.
        self.base.ticket = None;
        self.base.offer_early = false;
        if let HelloProgress::First {
            client_hello,
            offered,
        } = &mut self.progress
        {
            *client_hello = std::mem::take(&mut ech_state.outer_hello);
            *offered = None;
        }
        Ok(())
    }

    fn handle(
        mut self,
        common: &mut CommonState,
        sh: ServerHello,
        raw: Vec<u8>,
    ) -> Result<ClientState, Error> {
        // RFC 8446, 4.1.3: a server that does not speak TLS 1.3 omits supported_versions.
        let version = match sh.supported_version() {
            Some(v) => v,
            None => return self.handle_legacy_server_hello(common, sh, raw),
        };
        if version != ProtocolVersion::TLSv1_3 {
            return Err(PeerMisbehaved::SelectedUnoffered {
                what: "version",
                value: version.to_string(),
            }
            .into());
        }
        if sh.legacy_version != ProtocolVersion::TLSv1_2 {
            return Err(illegal(
                "ServerHello",
                "legacy_version",
                "must be 0x0303 in TLS 1.3",
            ));
        }
        if sh.session_id != self.base.session_id {
            return Err(PeerMisbehaved::SessionIdMismatch.into());
        }
        if sh.compression_method != 0 {
            return Err(illegal(
                "ServerHello",
                "legacy_compression_method",
                "must be 0",
            ));
        }
        let suite = self.base.offered_suite(sh.cipher_suite)?;
        common.early_data_sent();
        if sh.is_hello_retry_request() {
            return self.handle_retry(common, sh, raw, suite);
        }
        self.decide_ech(common, &raw, suite)?;

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
                ServerExtension::PreSharedKey(_) if self.base.ticket.is_some() => {}
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
        let (mut transcript, offered_early) = match self.progress {
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
        let kx = self
            .key_shares
            .into_iter()
            .find(|k| k.group() == share.group)
            .ok_or_else(|| PeerMisbehaved::SelectedUnoffered {
                what: "key share group",
                value: share.group.to_string(),
            })?;
        let shared = kx.complete(&share.payload)?;
        transcript.add(&raw);

        // RFC 8446, 4.2.11: the server accepted our (only) PSK, with a suite of its hash.
        let psk = match (sh.psk_index(), &self.base.ticket) {
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
            psk.is_some() && self.base.ticket.as_ref().is_some_and(|(t, _)| t.resumption);
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

        Ok(ClientState::ExpectEncryptedExtensions(Box::new(
            ExpectEncryptedExtensions {
                base: self.base,
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

    /// A ServerHello without supported_versions: TLS 1.2 if we offered it, after the
    /// downgrade check (RFC 8446, 4.1.3).
    fn handle_legacy_server_hello(
        self,
        common: &mut CommonState,
        sh: ServerHello,
        raw: Vec<u8>,
    ) -> Result<ClientState, Error> {
        if self.base.offers(ProtocolVersion::TLSv1_3) {
            let tail = sh.random.get(24..).unwrap_or_default();
            for (marker, to) in [
                (DOWNGRADE_TLS12, ProtocolVersion::TLSv1_2),
                (DOWNGRADE_TLS11, ProtocolVersion::TLSv1_1),
            ] {
                if tail == marker {
                    return Err(PeerMisbehaved::DowngradeDetected { to }.into());
                }
            }
        }
        if sh.legacy_version != ProtocolVersion::TLSv1_2
            || !self.base.offers(ProtocolVersion::TLSv1_2)
        {
            return Err(NoCommon::Version {
                offered: vec![format!("only {}", sh.legacy_version)],
            }
            .into());
        }
        let client_hello = match self.progress {
            HelloProgress::First { client_hello, .. } => client_hello,
            HelloProgress::Retried { .. } => {
                return Err(PeerMisbehaved::SelectedUnoffered {
                    what: "version",
                    value: "TLSv1.2 after a TLS 1.3 HelloRetryRequest".into(),
                }
                .into())
            }
        };
        if sh.session_id.len() > 32 {
            return Err(illegal("ServerHello", "session_id", "longer than 32 bytes"));
        }
        let offer = client12::Offer {
            sent_sni: self.base.sni.is_some(),
            config: self.base.config,
            server_name: self.base.server_name,
            client_random: self.base.random,
            client_hello,
            resuming: self.base.resuming12,
        };
        let state = client12::handle_server_hello(common, offer, sh, &raw)?;
        Ok(ClientState::Tls12(Box::new(state)))
    }

    /// RFC 8446, 4.1.4: HelloRetryRequest.
    fn handle_retry(
        self,
        common: &mut CommonState,
        hrr: ServerHello,
        raw: Vec<u8>,
        suite: &'static Tls13CipherSuite,
    ) -> Result<ClientState, Error> {
        let client_hello = match self.progress {
            HelloProgress::First { client_hello, .. } => client_hello,
            // RFC 8446, 4.1.4: a second HelloRetryRequest is unexpected_message.
            HelloProgress::Retried { .. } => {
                return Err(Error::UnexpectedMessage {
                    state: "ExpectServerHello (after HelloRetryRequest)",
                    got: "HelloRetryRequest",
                })
            }
        };
        let mut ech_confirmation = None;
        for ext in &hrr.extensions {
            match ext {
                ServerExtension::SupportedVersions(_)
                | ServerExtension::HrrKeyShare(_)
                | ServerExtension::Cookie(_) => {}
                ServerExtension::Unknown { typ, data }
                    if *typ == ExtensionType::EncryptedClientHello && self.base.ech.is_some() =>
                {
                    ech_confirmation = Some(data.as_slice());
                }
                // draft-ietf-tls-esni, 6.2.1: after GREASE, checked, then ignored.
                ServerExtension::Unknown { typ, data }
                    if *typ == ExtensionType::EncryptedClientHello
                        && self.base.grease_ech.is_some() =>
                {
                    if data.len() != 8 {
                        return Err(EchError::BadRetryConfirmation { len: data.len() }.into());
                    }
                }
                other => {
                    return Err(PeerMisbehaved::UnsolicitedExtension {
                        message: "HelloRetryRequest",
                        extension: other.ext_type().to_string(),
                    }
                    .into())
                }
            }
        }
        let cookie = hrr.cookie().map(|c| c.to_vec());
        let key_shares = match hrr.hrr_group() {
            Some(group) => {
                if !self.base.config.groups.contains(&group) {
                    return Err(PeerMisbehaved::SelectedUnoffered {
                        what: "group",
                        value: group.to_string(),
                    }
                    .into());
                }
                if self.key_shares.iter().any(|k| k.group() == group) {
                    return Err(PeerMisbehaved::BadHelloRetryRequest {
                        reason: "it asks for a key share the ClientHello already contained",
                    }
                    .into());
                }
                vec![KeyExchange::start(group)?]
            }
            None if cookie.is_some() => self.key_shares,
            None => {
                return Err(PeerMisbehaved::BadHelloRetryRequest {
                    reason: "it would not change the ClientHello",
                }
                .into())
            }
        };

        let mut base = self.base;
        let mut client_hello = client_hello;
        if let Some(ech_state) = &mut base.ech {
            // draft-ietf-tls-esni, 6.1.4: accepted if the extension holds the
            // confirmation computed over the first inner hello and this message
            // with those 8 bytes zero (7.2.1).
            let accepted = match ech_confirmation {
                None => false,
                Some(got) if got.len() != 8 => {
                    return Err(EchError::BadRetryConfirmation { len: got.len() }.into())
                }
                Some(got) => {
                    let mut zeroed = hrr.clone();
                    for ext in &mut zeroed.extensions {
                        if let ServerExtension::Unknown { typ, data } = ext {
                            if *typ == ExtensionType::EncryptedClientHello {
                                data.fill(0);
                            }
                        }
                    }
                    let mut t = Transcript::after_hello_retry(suite.hash, &client_hello);
                    t.add(&HandshakeMessage::new(HandshakePayload::ServerHello(zeroed)).to_bytes());
                    let expected =
                        ech::hrr_accept_confirmation(suite.hash, &base.random, t.finish().as_ref());
                    constant_time_eq(&expected, got)
                }
            };
            ech_state.decided_at_retry = Some(accepted);
            if accepted {
                common.negotiated.ech = EchStatus::Accepted;
            } else {
                // 6.1.6: the outer ClientHello is the one in use; it offered no PSK.
                common.negotiated.ech = EchStatus::Rejected;
                ech_state.rejected = true;
                client_hello = std::mem::take(&mut ech_state.outer_hello);
                base.ticket = None;
                base.offer_early = false;
            }
        }
        let mut transcript = Transcript::after_hello_retry(suite.hash, &client_hello);
        transcript.add(&raw);
        common.negotiated.hello_retry = true;
        // RFC 8446, 4.2.10: no 0-RTT after HelloRetryRequest; it is sent again later.
        common.early_data_answered(false);
        if common.take_encrypter().is_some() {
            // The 0-RTT key is gone; the second ClientHello goes in the clear.
        }
        // RFC 8446, 4.1.4: a PSK whose hash differs from the chosen suite's is dropped.
        if base
            .ticket
            .as_ref()
            .is_some_and(|(_, s)| s.hash != suite.hash)
        {
            base.ticket = None;
        }
        // RFC 8446, D.4: the compatibility CCS precedes the second ClientHello.
        common.send_compat_ccs();
        let (msg, mut raw, binder) =
            base.client_hello(&key_shares, cookie.as_deref(), Some(&transcript))?;
        // draft-ietf-tls-esni, 6.1.5: the second outer hello, sealed with the same
        // HPKE context and an empty enc.
        if let Some(outer_raw) = send_client_hello(common, &mut base, &msg, &raw, false)? {
            if base.ech.as_ref().is_some_and(|e| e.rejected) {
                raw = outer_raw;
            }
        }
        let (transcript, early) = match binder {
            Some(work) => {
                let (t, early) = work.full_transcript(&raw);
                (t, Some(early))
            }
            None => {
                transcript.add(&raw);
                (transcript, None)
            }
        };
        Ok(ClientState::ExpectServerHello(Box::new(
            ExpectServerHello {
                base,
                key_shares,
                progress: HelloProgress::Retried {
                    suite,
                    transcript,
                    early,
                },
            },
        )))
    }
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
    ) -> Result<ClientState, Error> {
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
            return Ok(ClientState::ExpectFinished(Box::new(ExpectFinished {
                inner: next,
                scheme: None,
            })));
        }
        Ok(ClientState::ExpectCertificateOrCertReq(Box::new(next)))
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
    fn handle(
        mut self,
        common: &mut CommonState,
        cert: Certificate13,
        raw: &[u8],
    ) -> Result<ClientState, Error> {
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
        if self.base.config.verifier.pauses() {
            // The caller verifies; the transcript takes the Certificate meanwhile.
            let operation = Operation::VerifyServerCert(ServerCertRequest {
                end_entity,
                intermediates,
                server_name: self.base.auth_name()?.to_owned(),
                ocsp: ocsp.unwrap_or_default(),
                now: self.base.config.provider.time.now(),
            });
            self.transcript.add(raw);
            return Ok(ClientState::AwaitServerCertVerification(Box::new(
                AwaitServerCertVerification {
                    inner: self,
                    operation,
                },
            )));
        }
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
        Ok(ClientState::ExpectCertificateVerify(Box::new(
            ExpectCertificateVerify {
                inner: self,
                spki,
                _verified: verified,
            },
        )))
    }
}

/// Paused until the caller's verifier answers for the server's chain.
#[derive(Debug)]
pub(crate) struct AwaitServerCertVerification {
    inner: ExpectCertificate,
    operation: Operation,
}

impl AwaitServerCertVerification {
    fn resume(
        self: Box<Self>,
        common: &mut CommonState,
        completion: Completion,
    ) -> Result<ClientState, Error> {
        let verified = crate::pause::server_cert_verdict(completion)?;
        let Operation::VerifyServerCert(request) = self.operation else {
            return Err(ApiError::NoOperationPending.into());
        };
        let spki = crate::pki::spki_of(request.end_entity.as_ref())?.to_vec();
        let mut chain = vec![request.end_entity];
        chain.extend(request.intermediates);
        common.negotiated.peer_certificates = chain;
        Ok(ClientState::ExpectCertificateVerify(Box::new(
            ExpectCertificateVerify {
                inner: self.inner,
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
    fn handle(mut self, cv: CertificateVerify, raw: &[u8]) -> Result<ClientState, Error> {
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
        Ok(ClientState::ExpectFinished(Box::new(ExpectFinished {
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
    ) -> Result<ClientState, Error> {
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
        let mut remote = None;
        if let Some(schemes) = &cert_request {
            if let ClientCert::Remote(request) = add_client_certificate(
                common,
                &base.config,
                schemes,
                Vec::new(),
                &mut flight,
                &mut transcript,
            )? {
                remote = Some(request);
            }
        }
        let end = ClientFlightEnd {
            base,
            suite,
            transcript,
            flight,
            client_hs,
            client_ap,
            server_ap,
            master,
        };
        match remote {
            Some(request) => Ok(ClientState::AwaitSignature(Box::new(
                AwaitClientSignature {
                    end,
                    operation: Operation::Sign(request),
                },
            ))),
            None => end.send(common),
        }
    }
}

/// Our Finished and what the connected state needs; kept while a remote key signs.
struct ClientFlightEnd {
    base: HelloBase,
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    flight: Flight,
    client_hs: TrafficSecret,
    client_ap: TrafficSecret,
    server_ap: TrafficSecret,
    master: MasterSecret,
}

impl core::fmt::Debug for ClientFlightEnd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientFlightEnd")
            .field("suite", &self.suite.suite)
            .finish_non_exhaustive()
    }
}

/// Paused until a remote key signs our CertificateVerify (`crate::pause`).
#[derive(Debug)]
pub(crate) struct AwaitClientSignature {
    end: ClientFlightEnd,
    operation: Operation,
}

impl AwaitClientSignature {
    fn resume(
        mut self: Box<Self>,
        common: &mut CommonState,
        completion: Completion,
    ) -> Result<ClientState, Error> {
        let Operation::Sign(request) = &self.operation else {
            return Err(ApiError::NoOperationPending.into());
        };
        let scheme = request.scheme;
        let signature = crate::pause::signature(completion, scheme)?;
        let end = &mut self.end;
        add_certificate_verify(
            common,
            scheme,
            signature,
            &mut end.flight,
            &mut end.transcript,
        );
        self.end.send(common)
    }
}

impl ClientFlightEnd {
    /// Finished ends our flight; then application traffic.
    fn send(self, common: &mut CommonState) -> Result<ClientState, Error> {
        let ClientFlightEnd {
            base,
            suite,
            mut transcript,
            mut flight,
            client_hs,
            client_ap,
            server_ap,
            master,
        } = self;
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
        Ok(ClientState::Connected(Box::new(Connected {
            config: base.config,
            server_name: base.server_name.to_str().into_owned(),
            suite,
            resumption,
            handshake_transcript,
        })))
    }
}

/// What [`add_client_certificate`] sent.
enum ClientCert {
    /// An empty Certificate.
    Empty,
    /// Our Certificate and CertificateVerify.
    Signed,
    /// Our Certificate; a remote key must sign the CertificateVerify.
    Remote(SignRequest),
}

/// RFC 8446, 4.4.3: our CertificateVerify joins the flight.
fn add_certificate_verify(
    common: &mut CommonState,
    scheme: SignatureScheme,
    signature: Vec<u8>,
    flight: &mut Flight,
    transcript: &mut Transcript,
) {
    let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
        scheme,
        signature,
    }));
    common.add_to_flight(flight, &cv, transcript);
    common.negotiated.client_auth = true;
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
) -> Result<ClientCert, Error> {
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
        return Ok(ClientCert::Empty);
    };
    let signed = certificate_verify_message(false, transcript.current().as_ref());
    if key.key.is_remote() {
        return Ok(ClientCert::Remote(SignRequest {
            scheme,
            message: signed,
            certificate: key
                .chain
                .first()
                .cloned()
                .unwrap_or_else(|| CertificateDer::from(Vec::new())),
        }));
    }
    let signature = key.key.sign(scheme, &signed)?;
    add_certificate_verify(common, scheme, signature, flight, transcript);
    Ok(ClientCert::Signed)
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
        let with_certificate = match add_client_certificate(
            common,
            &self.config,
            schemes,
            cr.context.clone(),
            &mut flight,
            &mut transcript,
        )? {
            ClientCert::Empty => false,
            ClientCert::Signed => true,
            // Post-handshake answers are sent while records are read: they cannot
            // wait for a remote key yet.
            ClientCert::Remote(request) => {
                return Err(crate::error::CryptoError::RemoteSigningFailed {
                    scheme: sign::SigningKey::scheme_name(request.scheme),
                    reason: "a post-handshake CertificateRequest cannot wait for a remote key"
                        .into(),
                }
                .into())
            }
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Codec;
    use crate::msgs::enums::ExtensionType;

    #[test]
    fn extension_wire_len_is_what_encoding_writes() {
        use ClientExtension as C;
        let every = [
            C::ServerName(vec![ServerNameEntry {
                name_type: ServerNameType::HostName,
                name: b"example.com".to_vec(),
            }]),
            C::SupportedVersions(vec![ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]),
            C::SupportedGroups(vec![NamedGroup::X25519, NamedGroup::secp256r1]),
            C::SignatureAlgorithms(vec![SignatureScheme::ED25519]),
            C::SignatureAlgorithmsCert(vec![SignatureScheme::ED25519; 3]),
            C::KeyShare(vec![
                KeyShareEntry {
                    group: NamedGroup::X25519,
                    payload: vec![1; 32],
                },
                KeyShareEntry {
                    group: NamedGroup::secp256r1,
                    payload: vec![4; 65],
                },
            ]),
            C::Alpn(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            C::Cookie(vec![9; 300]),
            C::PskKeyExchangeModes(vec![PskKeyExchangeMode::PskDheKe]),
            C::PreSharedKey(OfferedPsks {
                identities: vec![
                    PskIdentity {
                        identity: vec![7; 200],
                        obfuscated_ticket_age: 5,
                    },
                    PskIdentity {
                        identity: vec![8; 3],
                        obfuscated_ticket_age: 6,
                    },
                ],
                binders: vec![vec![0; 32], vec![0; 48]],
            }),
            C::EarlyData,
            C::StatusRequest(vec![1, 0, 0, 0, 0]),
            C::PostHandshakeAuth,
            C::EcPointFormats(vec![ECPointFormat::Uncompressed]),
            C::ExtendedMasterSecret,
            C::RenegotiationInfo(vec![1, 2]),
            C::SessionTicket(vec![3; 1000]),
            C::EncryptThenMac,
            C::Heartbeat(HeartbeatMode::PeerNotAllowedToSend),
            C::Unknown {
                typ: ExtensionType::Unknown(0xfafa),
                data: vec![0; 17],
            },
        ];
        for ext in &every {
            let mut out = Vec::new();
            ext.encode(&mut out);
            assert_eq!(extension_wire_len(ext), out.len(), "{ext:?}");
        }
    }

    #[test]
    fn hybrid_first_also_shares_x25519() {
        let groups = [
            NamedGroup::X25519MLKEM768,
            NamedGroup::X25519,
            NamedGroup::secp256r1,
        ];
        assert_eq!(
            default_share_groups(&groups),
            vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519]
        );
        assert_eq!(
            default_share_groups(&[NamedGroup::secp256r1, NamedGroup::X25519]),
            vec![NamedGroup::secp256r1]
        );
    }
}
