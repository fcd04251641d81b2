//! What a server decides from a ClientHello before its version's states take
//! over: whether Encrypted Client Hello opened (draft-ietf-tls-esni, 7.1), and
//! the suite, certificate, signature scheme and ALPN protocol.

use std::sync::Arc;

use crate::conn::output::Output;
use crate::conn::types::EchStatus;
use crate::ech::{self, EchServerState};
use crate::error::Error;
use crate::msgs::enums::{NamedGroup, SignatureScheme};
use crate::msgs::{ClientHello, HandshakeMessage, HandshakePayload};
use crate::observe::{Direction, Event, Protection};
use crate::server::{CertifiedKey, ServerConfig};
use crate::tls13::suites::Tls13CipherSuite;

/// Encrypted Client Hello on the server (draft-ietf-tls-esni, 7.1).
#[derive(Debug)]
pub(crate) enum ServerEch {
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
    pub(crate) fn status(&self) -> EchStatus {
        match self {
            ServerEch::NotOffered => EchStatus::NotOffered,
            ServerEch::Accepted(_) => EchStatus::Accepted,
            ServerEch::Rejected => EchStatus::Rejected,
        }
    }
}

/// A decrypted inner ClientHello with its encoding, for the transcript.
pub(crate) type InnerHello = (ClientHello, Vec<u8>);

/// Opens the ClientHello's ECH offer, if it has one and we have keys: the inner
/// ClientHello with its encoding for the transcript when that works.
pub(crate) fn open_ech(
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
pub(crate) fn report_inner_hello(out: &Output<'_>, inner: &ClientHello, raw: &[u8]) {
    if out.observed() {
        let msg = HandshakeMessage::new(HandshakePayload::ClientHello(inner.clone()));
        out.emit(Event::Message {
            direction: Direction::Received,
            protection: Protection::EncryptedClientHello,
            message: &msg,
            raw,
        });
    }
}

/// What the server decided from the first ClientHello.
#[derive(Debug)]
pub(crate) struct Choices {
    pub(crate) suite: &'static Tls13CipherSuite,
    pub(crate) cert: Arc<CertifiedKey>,
    pub(crate) scheme: SignatureScheme,
    pub(crate) alpn: Option<Vec<u8>>,
    /// The SNI, when a certificate was chosen because it covers that name.
    pub(crate) sni_matched: bool,
    pub(crate) ech: ServerEch,
    /// What pausing lookups answered before the ClientHello was handled.
    pub(crate) answers: HelloAnswers,
}

/// The answers to the operations a server pauses on before it handles a TLS 1.3
/// ClientHello (`crate::pause`): the stateful ticket taken from the session
/// cache, and whether the ClientHello was seen before.
#[derive(Debug, Default)]
pub(crate) struct HelloAnswers {
    /// The ticket's identity, and the session stored under it (if any).
    pub(crate) taken: Option<(Vec<u8>, Option<Arc<crate::server::StoredSession>>)>,
    /// Whether the ClientHello's binder was seen for the first time.
    pub(crate) first_seen: Option<bool>,
}

/// RFC 8446, 4.2.8: the key share the handshake goes on with: our preference among
/// the groups the client sent shares for (by its index in the key_share list),
/// else the group a HelloRetryRequest asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum KeyShareChoice {
    Share(usize),
    Retry(NamedGroup),
}
