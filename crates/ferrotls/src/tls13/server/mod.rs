//! TLS 1.3 server handshake states (RFC 8446, 2 and 4), from the first
//! ClientHello on, once `server::hello` chose TLS 1.3, its suite and key share.
//!
//! ```text
//! ClientHello -(no usable key share)-> HelloRetryRequest -> ExpectSecondClientHello
//!                   -> ServerHello, {EncryptedExtensions, Certificate, CertificateVerify,
//!                      Finished} -> ExpectFinished -> Connected
//!
//! Post-handshake client authentication (RFC 8446, 4.6.2), requested by the
//! application with a CertificateRequest:
//! Connected -> ExpectPostHandshakeCertificateVerify -> ExpectPostHandshakeFinished
//!           -> Connected (an empty Certificate skips the CertificateVerify)
//! ```

mod client_flight;
mod flight;
mod post_handshake;
mod psk;
mod retry;
mod tickets;

use client_flight::{
    certificate_request, AwaitClientCertVerification, ClientProof, ExpectCertificateVerify,
    ExpectFinished,
};
use flight::{server_flight, AwaitSignature};
use post_handshake::{
    Connected, ExpectPostHandshakeCertificateVerify, ExpectPostHandshakeFinished, PostHandshakeAuth,
};
pub(crate) use psk::{binder_digest, MAX_PSK_IDENTITIES, REPLAY_WINDOW_MS};
use psk::{resolve_psk, AcceptedPsk};
pub(crate) use tickets::STATEFUL_TICKET_LEN;
use tickets::{send_tickets, sends_tickets, TicketRandom, MAX_TICKET_LIFETIME};

use std::sync::Arc;

use crate::conn::output::{Fact, Flight, HsMessage, Output};
use crate::crypto::{constant_time_eq, kx, sign, Secret};
use crate::ech;
use crate::error::{illegal, ApiError, Error, PeerMisbehaved};
use crate::msgs::enums::{
    ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
};
use crate::msgs::{
    CertReqExtension, Certificate13, CertificateEntry, CertificateExtension, CertificateRequest13,
    CertificateVerify, ClientHello, EncryptedExtensions, Finished, HandshakeMessage,
    HandshakePayload, KeyShareEntry, NewSessionTicket13, NewSessionTicketExtension, OfferedPsks,
    ServerExtension, ServerHello, HELLO_RETRY_REQUEST_RANDOM,
};
use crate::observe::Protection;
use crate::pause::{ClientCertRequest, Completion, Operation, SignRequest};
use crate::pki::{CheckedClientChain, ClientCertVerified, ClientCertVerifier};
use crate::server::choice::{report_inner_hello, Choices, KeyShareChoice, ServerEch};
use crate::server::{ServerConfig, StoredSession, TICKET_NONCE_LEN};
use crate::tls13::key_schedule::{
    finished_verify_data, resumption_psk, EarlySecret, HandshakeSecret, MasterSecret, TrafficSecret,
};
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::{certificate_verify_message, Transcript};

/// Where a TLS 1.3 server is after the first ClientHello. Each variant holds only
/// what is valid there.
#[derive(Debug)]
pub(crate) enum ServerState13 {
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
}

impl ServerState13 {
    pub fn name(&self) -> &'static str {
        match self {
            ServerState13::ExpectSecondClientHello(_) => "ExpectSecondClientHello",
            ServerState13::ExpectEndOfEarlyData(_) => "ExpectEndOfEarlyData",
            ServerState13::ExpectCertificate(_) => "ExpectCertificate",
            ServerState13::ExpectCertificateVerify(_) => "ExpectCertificateVerify",
            ServerState13::ExpectFinished(_) => "ExpectFinished",
            ServerState13::Connected(_) => "Connected",
            ServerState13::ExpectPostHandshakeCertificateVerify(_) => {
                "ExpectPostHandshakeCertificateVerify"
            }
            ServerState13::ExpectPostHandshakeFinished(_) => "ExpectPostHandshakeFinished",
            ServerState13::AwaitSignature(_) => "AwaitSignature",
            ServerState13::AwaitClientCertVerification(_) => "AwaitClientCertVerification",
        }
    }

    /// Whether a message of type `typ` could be handled in this state.
    pub fn expects(&self, typ: HandshakeType) -> bool {
        use HandshakeType as H;
        match self {
            ServerState13::ExpectSecondClientHello(_) => typ == H::ClientHello,
            ServerState13::ExpectEndOfEarlyData(_) => typ == H::EndOfEarlyData,
            ServerState13::ExpectCertificate(_) => typ == H::Certificate,
            ServerState13::ExpectCertificateVerify(_)
            | ServerState13::ExpectPostHandshakeCertificateVerify(_) => typ == H::CertificateVerify,
            ServerState13::ExpectFinished(_) | ServerState13::ExpectPostHandshakeFinished(_) => {
                typ == H::Finished
            }
            ServerState13::Connected(_) => matches!(typ, H::KeyUpdate | H::Certificate),
            ServerState13::AwaitSignature(_) | ServerState13::AwaitClientCertVerification(_) => {
                false
            }
        }
    }

    /// The operation a paused state waits for.
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            ServerState13::AwaitSignature(s) => Some(&s.operation),
            ServerState13::AwaitClientCertVerification(s) => Some(&s.operation),
            _ => None,
        }
    }

    /// Resumes a paused state with the answer to its operation.
    pub fn resume(self, out: &mut Output<'_>, completion: Completion) -> Result<Self, Error> {
        match self {
            ServerState13::AwaitSignature(s) => s.resume(out, completion),
            ServerState13::AwaitClientCertVerification(s) => s.resume(out, completion),
            _ => Err(ApiError::NoOperationPending.into()),
        }
    }

    /// Whether the client is in the middle of answering a post-handshake
    /// CertificateRequest: nothing may come between its messages (RFC 8446, 4.6.2).
    pub fn in_post_handshake_response(&self) -> bool {
        matches!(
            self,
            ServerState13::ExpectPostHandshakeCertificateVerify(_)
                | ServerState13::ExpectPostHandshakeFinished(_)
        )
    }

    /// Sends a post-handshake CertificateRequest (RFC 8446, 4.6.2), if the client
    /// offered post_handshake_auth and a verifier is configured.
    pub fn request_client_certificate(&mut self, out: &mut Output<'_>) -> Result<(), Error> {
        let auth = match self {
            ServerState13::Connected(s) => s.auth.as_deref_mut(),
            ServerState13::ExpectPostHandshakeCertificateVerify(s) => Some(&mut *s.auth),
            ServerState13::ExpectPostHandshakeFinished(s) => Some(&mut *s.auth),
            _ => {
                return Err(ApiError::HandshakeNotComplete {
                    action: "request a client certificate",
                }
                .into())
            }
        };
        match auth {
            Some(auth) => auth.request(out),
            None if !out.negotiated().post_handshake_auth.offered => {
                Err(ApiError::PostHandshakeAuthNotOffered.into())
            }
            None => Err(ApiError::NoClientCertVerifier.into()),
        }
    }

    pub fn handle(self, out: &mut Output<'_>, msg: HsMessage) -> Result<Self, Error> {
        let name = self.name();
        let got = msg.parsed.name();
        match (self, msg.parsed.payload) {
            (ServerState13::ExpectSecondClientHello(s), HandshakePayload::ClientHello(ch)) => {
                s.handle(out, ch, &msg.raw)
            }
            (ServerState13::ExpectEndOfEarlyData(mut s), HandshakePayload::EndOfEarlyData) => {
                // RFC 8446, 4.5: early data ends; the client's handshake keys follow.
                s.transcript.add(&msg.raw);
                out.end_early_data();
                out.install_decrypter(s.suite, &s.client_hs, Protection::Handshake)?;
                Ok(ServerState13::ExpectFinished(s))
            }
            (ServerState13::ExpectCertificate(s), HandshakePayload::Certificate(c)) => {
                s.handle_certificate(out, c, &msg.raw)
            }
            (
                ServerState13::ExpectCertificateVerify(s),
                HandshakePayload::CertificateVerify(cv),
            ) => s.handle(cv, &msg.raw),
            (ServerState13::ExpectFinished(s), HandshakePayload::Finished(f)) => {
                s.handle(out, f, &msg.raw)
            }
            (ServerState13::Connected(s), HandshakePayload::KeyUpdate(ku)) => {
                out.receive_key_update(ku.0)?;
                Ok(ServerState13::Connected(s))
            }
            (ServerState13::Connected(s), HandshakePayload::Certificate(c)) => {
                s.handle_certificate(c, &msg.raw)
            }
            (
                ServerState13::ExpectPostHandshakeCertificateVerify(s),
                HandshakePayload::CertificateVerify(cv),
            ) => s.handle(cv, &msg.raw),
            (ServerState13::ExpectPostHandshakeFinished(s), HandshakePayload::Finished(f)) => {
                s.handle(out, f)
            }
            (_, _) => Err(Error::UnexpectedMessage { state: name, got }),
        }
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

/// RFC 8446, 4.1.1: a first ClientHello that negotiates TLS 1.3, its suite,
/// certificate and key share chosen by `server::hello`: with a share we can use,
/// the ServerHello and our flight; otherwise a HelloRetryRequest.
pub(crate) fn handle_client_hello(
    out: &mut Output<'_>,
    config: Arc<ServerConfig>,
    ch: ClientHello,
    raw: &[u8],
    mut choices: Choices,
    key_share: KeyShareChoice,
) -> Result<ServerState13, Error> {
    let group = match key_share {
        KeyShareChoice::Share(at) => {
            let share = ch.key_shares().and_then(|s| s.get(at)).ok_or(
                PeerMisbehaved::MissingExtension {
                    message: "ClientHello",
                    extension: "key_share",
                },
            )?;
            let mut psk = resolve_psk(&config, out, &ch, raw, None, &mut choices)?;
            let transcript = hello_transcript(choices.suite, None, psk.as_mut(), raw);
            return server_flight(out, &config, &ch, share, choices, transcript, psk);
        }
        KeyShareChoice::Retry(group) => group,
    };
    send_hello_retry_request(out, config, ch, raw, choices, group)
}

/// RFC 8446, 4.1.4: asks for a key share in `group`; the second ClientHello comes next.
fn send_hello_retry_request(
    out: &mut Output<'_>,
    config: Arc<ServerConfig>,
    ch: ClientHello,
    raw: &[u8],
    choices: Choices,
    group: NamedGroup,
) -> Result<ServerState13, Error> {
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
    out.send_handshake_raw(&hrr, &hrr_raw)?;
    if !ch.session_id.is_empty() {
        out.send_ccs();
    }
    out.record(Fact::HelloRetry);
    // RFC 8446, 4.2.10: after HelloRetryRequest, 0-RTT records are skipped.
    if ch.early_data() {
        out.skip_early_data(early_data_skip_budget(&config));
    }
    Ok(ServerState13::ExpectSecondClientHello(Box::new(
        ExpectSecondClientHello {
            config,
            choices,
            group,
            transcript,
            first: ch,
        },
    )))
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
        out: &mut Output<'_>,
        ch: ClientHello,
        raw: &[u8],
    ) -> Result<ServerState13, Error> {
        // draft-ietf-tls-esni, 7.1.1: after accepting ECH, the second ClientHelloOuter
        // is opened with the same HPKE context; after rejecting it, it is not opened.
        let (ch, inner_raw) = match &mut self.choices.ech {
            ServerEch::Accepted(state) => {
                let inner = ech::server_open_second(state, &ch)?;
                let inner_raw = ech::inner_handshake_bytes(&inner);
                report_inner_hello(out, &inner, &inner_raw);
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
            out,
            &ch,
            raw,
            Some(&self.transcript),
            &mut self.choices,
        )?;
        let transcript =
            hello_transcript(self.choices.suite, Some(self.transcript), psk.as_mut(), raw);
        server_flight(
            out,
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
