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

mod finished;
mod post_handshake;
mod server_auth;

use crate::client::offer::{HelloBase, HelloProgress};
use crate::client::{ClientConfig, Tls13Ticket, MAX_TICKET_LEN};
use crate::conn::output::{Fact, Flight, HsMessage, Output};
use crate::conn::types::ClientEarlyData;
use crate::crypto::constant_time_eq;
use crate::crypto::kx::KeyExchange;
use crate::ech::{self, EchError};
use crate::error::illegal;
use crate::error::{CertificateError, Error, PeerMisbehaved};
use crate::msgs::enums::{ExtensionType, HandshakeType, SignatureScheme};
use crate::msgs::{
    Certificate13, CertificateEntry, CertificateRequest13, CertificateVerify, EncryptedExtensions,
    Finished, HandshakeMessage, HandshakePayload, NewSessionTicket13, ServerExtension, ServerHello,
};
use crate::observe::Protection;
use crate::pause::{Completion, Operation, ServerCertRequest, SignRequest};
use crate::pki::ServerCertVerified;
use crate::record::RecordEncrypter;
use crate::tls13::key_schedule::{
    finished_verify_data, resumption_psk, EarlySecret, HandshakeSecret, MasterSecret, TrafficSecret,
};
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::{certificate_verify_message, Transcript};

use finished::{add_client_certificate, AwaitSignature, ClientCert, ExpectFinished, ServerProof};
use post_handshake::Connected;
use server_auth::{AwaitServerCertVerification, ExpectCertificate, ExpectCertificateVerify};

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
    /// Paused: the caller verifies the server's chain (`crate::pause`).
    AwaitServerCertVerification(Box<AwaitServerCertVerification>),
    /// Paused: a remote key signs our CertificateVerify (`crate::pause`).
    AwaitSignature(Box<AwaitSignature>),
}

impl ClientState13 {
    /// The operation a paused state waits for.
    pub fn operation(&self) -> Option<&Operation> {
        match self {
            ClientState13::AwaitServerCertVerification(s) => Some(&s.operation),
            ClientState13::AwaitSignature(s) => Some(&s.operation),
            _ => None,
        }
    }

    /// Resumes a paused state with the answer to its operation.
    pub fn resume(self, out: &mut Output<'_>, completion: Completion) -> Result<Self, Error> {
        match self {
            ClientState13::AwaitServerCertVerification(s) => s.resume(out, completion),
            ClientState13::AwaitSignature(s) => s.resume(out, completion),
            _ => Err(crate::error::ApiError::NoOperationPending.into()),
        }
    }

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
            ClientState13::AwaitServerCertVerification(_) | ClientState13::AwaitSignature(_) => {
                false
            }
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
            ClientState13::AwaitServerCertVerification(_) => "AwaitServerCertVerification",
            ClientState13::AwaitSignature(_) => "AwaitSignature",
        }
    }

    pub fn handle(self, out: &mut Output<'_>, msg: HsMessage) -> Result<Self, Error> {
        let name = self.name();
        let got = msg.parsed.name();
        match (self, msg.parsed.payload) {
            (
                ClientState13::ExpectEncryptedExtensions(s),
                HandshakePayload::EncryptedExtensions(ee),
            ) => s.handle(out, ee, &msg.raw),
            (
                ClientState13::ExpectCertificateOrCertReq(s),
                HandshakePayload::CertificateRequest(cr),
            ) => s.handle_certificate_request(out, cr, &msg.raw),
            (
                ClientState13::ExpectCertificateOrCertReq(s) | ClientState13::ExpectCertificate(s),
                HandshakePayload::Certificate(c),
            ) => s.handle(out, c, &msg.raw),
            (
                ClientState13::ExpectCertificateVerify(s),
                HandshakePayload::CertificateVerify(cv),
            ) => s.handle(cv, &msg.raw),
            (ClientState13::ExpectFinished(s), HandshakePayload::Finished(f)) => {
                s.handle(out, f, &msg.raw)
            }
            (ClientState13::Connected(s), HandshakePayload::NewSessionTicket(t)) => {
                s.store_ticket(out, t)?;
                Ok(ClientState13::Connected(s))
            }
            (ClientState13::Connected(s), HandshakePayload::KeyUpdate(ku)) => {
                out.receive_key_update(ku.0)?;
                Ok(ClientState13::Connected(s))
            }
            (ClientState13::Connected(s), HandshakePayload::CertificateRequest(cr)) => {
                s.answer_certificate_request(out, cr, &msg.raw)?;
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
    out: &mut Output<'_>,
    base: HelloBase,
    key_shares: Vec<KeyExchange>,
    progress: HelloProgress,
    suite: &'static Tls13CipherSuite,
    sh: ServerHello,
    raw: Vec<u8>,
) -> Result<ClientState13, Error> {
    check_server_hello_extensions(&sh, base.ticket.is_some())?;
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

    let psk = accepted_psk(out, &sh, &base, suite)?;
    out.record(Fact::Resumed(
        psk.is_some() && base.ticket.as_ref().is_some_and(|(t, _)| t.resumption),
    ));
    let psk_authenticated = psk.is_some();
    // Keep the 0-RTT key for EndOfEarlyData, in case the server accepts early data.
    let early_encrypter = match out.early_data() {
        ClientEarlyData::Sent { .. } => out.take_encrypter().map(|(e, _)| e),
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
    out.log_secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client_hs.as_bytes());
    out.log_secret("SERVER_HANDSHAKE_TRAFFIC_SECRET", server_hs.as_bytes());
    out.install_decrypter(suite, &server_hs, Protection::Handshake)?;
    // RFC 8446, D.4: the compatibility CCS goes before our first protected record.
    out.send_compat_ccs();
    out.install_encrypter(suite, &client_hs, Protection::Handshake)?;

    out.record(Fact::Tls13 {
        suite,
        group: share.group,
    });

    Ok(ClientState13::ExpectEncryptedExtensions(Box::new(
        ExpectEncryptedExtensions {
            base,
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

/// RFC 8446, 4.1.3 and 4.2: only supported_versions, key_share and (when we
/// offered a PSK) pre_shared_key may appear in a TLS 1.3 ServerHello.
fn check_server_hello_extensions(sh: &ServerHello, offered_psk: bool) -> Result<(), Error> {
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
    for ext in &sh.extensions {
        match ext {
            ServerExtension::SupportedVersions(_) | ServerExtension::KeyShare(_) => {}
            ServerExtension::PreSharedKey(_) if offered_psk => {}
            other => {
                return Err(PeerMisbehaved::UnsolicitedExtension {
                    message: "ServerHello",
                    extension: other.ext_type().to_string(),
                }
                .into())
            }
        }
    }
    Ok(())
}

/// RFC 8446, 4.2.11: the PSK the server selected, if any: our (only) one, with a
/// suite of its hash. An external PSK's identity is recorded.
fn accepted_psk<'b>(
    out: &mut Output<'_>,
    sh: &ServerHello,
    base: &'b HelloBase,
    suite: &'static Tls13CipherSuite,
) -> Result<Option<&'b [u8]>, Error> {
    match (sh.psk_index(), &base.ticket) {
        (None, _) => Ok(None),
        (Some(0), Some((t, ticket_suite))) if ticket_suite.hash == suite.hash => {
            if !t.resumption {
                out.record(Fact::ExternalPsk(Some(t.identity.clone())));
            }
            Ok(Some(t.psk.as_bytes()))
        }
        (Some(_), _) => Err(illegal(
            "ServerHello",
            "pre_shared_key",
            "selects a PSK the client did not offer, or with a different hash",
        )),
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
        out: &mut Output<'_>,
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
                    out.record(Fact::Alpn(Some(p.clone())));
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
        out.early_data_answered(accepted);
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
                server: ServerProof::Psk,
            })));
        }
        Ok(ClientState13::ExpectCertificateOrCertReq(Box::new(next)))
    }
}
