//! The hello exchange of a client, shared by TLS 1.3 and TLS 1.2: sends the
//! ClientHello (built in `offer.rs`), answers a HelloRetryRequest (RFC 8446, 4.1.4)
//! and, on the ServerHello, decides the version (RFC 8446, 4.1.3) and hands over to
//! the states of `tls13::client` or `tls12::client`.
//!
//! ```text
//! start -> ExpectServerHello -(HelloRetryRequest)-> ExpectServerHello
//!       -(supported_versions: TLS 1.3)-> Tls13(tls13::client states)
//!       -(no supported_versions: TLS 1.2)-> Tls12(tls12::client states)
//! ```

use std::sync::Arc;

use rustls_pki_types::ServerName;

use crate::client::offer::{default_share_groups, usable_psk, ClientEch, HelloBase, HelloProgress};
use crate::client::{ClientConfig, MAX_TICKET_LEN};
use crate::conn::output::{Fact, Input, Output};
use crate::conn::types::EchStatus;
use crate::crypto::constant_time_eq;
use crate::crypto::kx::KeyExchange;
use crate::ech::{self, EchError, EchSender};
use crate::error::{illegal, Error, NoCommon, PeerMisbehaved};
use crate::msgs::enums::{ExtensionType, HandshakeType, ProtocolVersion};
use crate::msgs::{
    HandshakeMessage, HandshakePayload, ServerExtension, ServerHello, DOWNGRADE_TLS11,
    DOWNGRADE_TLS12,
};
use crate::observe::{Direction, Event, Protection};
use crate::pause::{Completion, Operation};
use crate::tls12::client::ClientState12;
use crate::tls13::client::ClientState13;
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::Transcript;

/// Where the client is in the handshake: before the ServerHello, or in the states
/// of the version the server chose. Each variant holds only what is valid there.
#[derive(Debug)]
pub(crate) enum ClientState {
    ExpectServerHello(Box<ExpectServerHello>),
    /// The server chose TLS 1.2.
    Tls12(ClientState12),
    /// The server chose TLS 1.3.
    Tls13(ClientState13),
}

impl ClientState {
    /// Whether a message of type `typ` could be handled in this state (TLS 1.2
    /// states: any, their checks come after decoding).
    pub fn expects(&self, typ: HandshakeType) -> bool {
        match self {
            ClientState::ExpectServerHello(_) => typ == HandshakeType::ServerHello,
            ClientState::Tls12(_) => true,
            ClientState::Tls13(s) => s.expects(typ),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ClientState::ExpectServerHello(_) => "ExpectServerHello",
            ClientState::Tls12(s) => s.name(),
            ClientState::Tls13(s) => s.name(),
        }
    }

    /// The operation a paused state waits for (`crate::pause`).
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            ClientState::ExpectServerHello(_) => None,
            ClientState::Tls12(s) => s.operation(),
            ClientState::Tls13(s) => s.operation(),
        }
    }

    /// Resumes a paused state with the answer to its operation.
    pub fn resume(self, out: &mut Output<'_>, completion: Completion) -> Result<Self, Error> {
        match self {
            ClientState::ExpectServerHello(_) => {
                Err(crate::error::ApiError::NoOperationPending.into())
            }
            ClientState::Tls12(s) => Ok(ClientState::Tls12(s.resume(out, completion)?)),
            ClientState::Tls13(s) => Ok(ClientState::Tls13(s.resume(out, completion)?)),
        }
    }

    pub fn handle(self, out: &mut Output<'_>, input: Input) -> Result<Self, Error> {
        match (self, input) {
            (ClientState::Tls12(s), input) => Ok(ClientState::Tls12(s.handle(out, input)?)),
            (ClientState::Tls13(s), Input::Tls13(msg)) => {
                Ok(ClientState::Tls13(s.handle(out, msg)?))
            }
            (ClientState::ExpectServerHello(s), Input::Tls13(msg)) => {
                let got = msg.parsed.name();
                match msg.parsed.payload {
                    HandshakePayload::ServerHello(sh) => s.handle(out, sh, msg.raw),
                    _ => Err(Error::UnexpectedMessage {
                        state: "ExpectServerHello",
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

/// Sends the ClientHello `msg` (encoded as `raw`); with ECH offered, sealed in a
/// ClientHelloOuter, whose encoding is returned. Observers see the inner hello as
/// it is sealed, then the outer one.
fn send_client_hello(
    out: &mut Output<'_>,
    base: &mut HelloBase,
    msg: &HandshakeMessage,
    raw: &[u8],
    first: bool,
) -> Result<Option<Vec<u8>>, Error> {
    match base.seal_ech(msg, first)? {
        Some((outer, outer_raw)) => {
            out.emit(Event::Message {
                direction: Direction::Sent,
                protection: Protection::EncryptedClientHello,
                message: msg,
                raw,
            });
            out.send_handshake_raw(&outer, &outer_raw)?;
            Ok(Some(outer_raw))
        }
        None => {
            out.send_handshake_raw(msg, raw)?;
            Ok(None)
        }
    }
}

/// Sends the first ClientHello and returns the first state.
pub(crate) fn start(
    out: &mut Output<'_>,
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
) -> Result<ClientState, Error> {
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
    out.set_key_log(
        config.key_log.clone(),
        if ech.is_some() { outer_random } else { random },
    );
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
    out.record(Fact::ServerName(Some(server_name.to_str().into_owned())));
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
    out.set_initial_record_version(ProtocolVersion::TLSv1_0);
    send_client_hello(out, &mut base, &msg, &raw, true)?;
    out.allow_ccs();
    // With a PSK: the transcript through this ClientHello and the PSK's Early Secret.
    let offered = binder.map(|b| b.full_transcript(&raw));
    if let (true, Some((t, suite)), Some((transcript, early))) =
        (base.offer_early, &base.ticket, &offered)
    {
        // RFC 8446, 2.3: 0-RTT data goes under client_early_traffic_secret.
        let secret = early.client_early_traffic_secret(transcript.current().as_ref());
        out.log_secret("CLIENT_EARLY_TRAFFIC_SECRET", secret.as_bytes());
        // RFC 8446, D.4: with 0-RTT, the compatibility CCS follows the ClientHello.
        out.send_compat_ccs();
        out.install_encrypter(suite, &secret, Protection::EarlyData)?;
        out.offer_early_data(t.max_early_data as usize);
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
        out: &mut Output<'_>,
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
            out.record(Fact::Ech(EchStatus::Accepted));
            return Ok(());
        }
        out.record(Fact::Ech(EchStatus::Rejected));
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
        out: &mut Output<'_>,
        sh: ServerHello,
        raw: Vec<u8>,
    ) -> Result<ClientState, Error> {
        // RFC 8446, 4.1.3: a server that does not speak TLS 1.3 omits supported_versions.
        let version = match sh.supported_version() {
            Some(v) => v,
            None => return self.handle_legacy_server_hello(out, sh, raw),
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
        out.early_data_sent();
        if sh.is_hello_retry_request() {
            return self.handle_hello_retry_request(out, sh, raw, suite);
        }
        self.decide_ech(out, &raw, suite)?;

        crate::tls13::client::handle_server_hello(
            out,
            self.base,
            self.key_shares,
            self.progress,
            suite,
            sh,
            raw,
        )
        .map(ClientState::Tls13)
    }

    /// A ServerHello without supported_versions: TLS 1.2 if we offered it, after the
    /// downgrade check (RFC 8446, 4.1.3).
    fn handle_legacy_server_hello(
        self,
        out: &mut Output<'_>,
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
        let offer = crate::tls12::client::Offer {
            sent_sni: self.base.sni.is_some(),
            config: self.base.config,
            server_name: self.base.server_name,
            client_random: self.base.random,
            client_hello,
            resuming: self.base.resuming12,
        };
        let state = crate::tls12::client::handle_server_hello(out, offer, sh, &raw)?;
        Ok(ClientState::Tls12(state))
    }

    /// RFC 8446, 4.1.4: HelloRetryRequest.
    fn handle_hello_retry_request(
        self,
        out: &mut Output<'_>,
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
                out.record(Fact::Ech(EchStatus::Accepted));
            } else {
                // 6.1.6: the outer ClientHello is the one in use; it offered no PSK.
                out.record(Fact::Ech(EchStatus::Rejected));
                ech_state.rejected = true;
                client_hello = std::mem::take(&mut ech_state.outer_hello);
                base.ticket = None;
                base.offer_early = false;
            }
        }
        let mut transcript = Transcript::after_hello_retry(suite.hash, &client_hello);
        transcript.add(&raw);
        out.record(Fact::HelloRetry);
        // RFC 8446, 4.2.10: no 0-RTT after HelloRetryRequest; it is sent again later.
        out.early_data_answered(false);
        if out.take_encrypter().is_some() {
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
        out.send_compat_ccs();
        let (msg, mut raw, binder) =
            base.client_hello(&key_shares, cookie.as_deref(), Some(&transcript))?;
        // draft-ietf-tls-esni, 6.1.5: the second outer hello, sealed with the same
        // HPKE context and an empty enc.
        if let Some(outer_raw) = send_client_hello(out, &mut base, &msg, &raw, false)? {
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
