//! Handshakes that wait: operations the handshake hands to the caller.
//!
//! Where a handshake needs something from outside (a signature from a key held in
//! a KMS, an HSM or a signing service; a certificate verdict from a service that
//! takes its time), the state records what it waits for and
//! [`Connection::process_new_packets`](crate::Connection::process_new_packets)
//! returns. [`Connection::pending_operation`](crate::Connection::pending_operation)
//! then names the [`Operation`]; records that arrive meanwhile stay buffered, in
//! order. The caller performs it however it likes (on another thread, as an async
//! task, over the network), hands the answer to
//! [`Connection::complete`](crate::Connection::complete), and calls
//! `process_new_packets` again. Nothing inside the library blocks.
//!
//! ```text
//! process_new_packets -> pending_operation() == Some(Operation::Sign(..))
//!   caller signs (async, elsewhere) -> complete(Completion::Signature(Ok(sig)))
//!   -> process_new_packets (buffered records proceed) -> ...
//! ```
//!
//! What pauses, each opt-in (the default answers at once, as before):
//! - signing with a [`CertifiedKey::remote`](crate::server::CertifiedKey::remote) key:
//!   the server's CertificateVerify (TLS 1.3) or ServerKeyExchange (TLS 1.2), the
//!   client's CertificateVerify (both versions) — [`Operation::Sign`];
//! - server certificate verification on a client whose verifier
//!   [`pauses`](crate::pki::ServerCertVerifier::pauses), such as
//!   [`DeferredServerCertVerifier`] — [`Operation::VerifyServerCert`];
//! - client certificate verification on a server whose verifier
//!   [`pauses`](crate::pki::ClientCertVerifier::pauses), such as
//!   [`DeferredClientCertVerifier`] — [`Operation::VerifyClientCert`];
//! - TLS 1.2 session-ID lookups on a server whose session cache
//!   [`pauses`](crate::server::ServerSessionCache::pauses) — [`Operation::LookupSession`].
//!
//! Post-handshake client authentication (RFC 8446, 4.6.2) does not pause: a remote
//! client key fails it, and a deferred client verifier refuses it.
//!
//! Blocking drivers answer with synchronous [`Handlers`] ([`Connection::complete_with`],
//! [`StreamOwned::with_handlers`](crate::StreamOwned::with_handlers)); ferrotls-tokio
//! awaits async ones.
//!
//! [`Connection::complete_with`]: crate::Connection::complete_with
//!
//! A completion that fails (the signer's error, the verifier's refusal) fails the
//! handshake as the synchronous path would: internal_error for a signer, the
//! verifier's own alert for a refusal. Completing with no operation pending, twice,
//! or with the answer to another kind of operation is an [`ApiError`] and changes
//! nothing.
//!
//! ```no_run
//! use ferrotls::pause::{Completion, Operation};
//! # fn remote_sign(_: &[u8]) -> Result<Vec<u8>, String> { unimplemented!() }
//! # fn demo(conn: &mut ferrotls::Connection) -> Result<(), ferrotls::Error> {
//! conn.process_new_packets()?;
//! if let Some(Operation::Sign(request)) = conn.pending_operation() {
//!     // Any time later, from anywhere: the connection only waits.
//!     let signature = remote_sign(&request.message);
//!     conn.complete(Completion::Signature(signature))?;
//!     conn.process_new_packets()?; // the handshake goes on
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`ApiError`]: crate::error::ApiError

mod handlers;

pub use handlers::{Handlers, Signer};

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::{ApiError, CertificateError, CryptoError, Error};
use crate::msgs::enums::SignatureScheme;
use crate::pki::{ClientCertVerified, ClientCertVerifier, ServerCertVerified, ServerCertVerifier};
use crate::server::session::StoredSession;

/// What a paused handshake waits for. More will come (server session-store and
/// ticket-key lookups, 0-RTT replay checks: each a variant with its request struct
/// and a [`Completion`] variant answering it), so match with a `_` arm.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Operation {
    /// Sign with the private key of a [`CertifiedKey::remote`](crate::server::CertifiedKey::remote).
    /// Answer with [`Completion::Signature`].
    Sign(SignRequest),
    /// Verify the server's certificate chain. Answer with
    /// [`Completion::ServerCertVerified`].
    VerifyServerCert(ServerCertRequest),
    /// Verify a client's certificate chain (on a server). Answer with
    /// [`Completion::ClientCertVerified`].
    VerifyClientCert(ClientCertRequest),
    /// Look up a TLS 1.2 session by its ID (on a server whose session cache
    /// [`pauses`](crate::server::ServerSessionCache::pauses)). Answer with
    /// [`Completion::Session`].
    LookupSession(SessionRequest),
    /// Take (remove and return) the TLS 1.3 stateful ticket the ClientHello offers
    /// (RFC 8446, 8.1), on a server whose session cache pauses: taking it is what
    /// makes it single-use. Answer with [`Completion::Session`].
    TakeSession(SessionRequest),
    /// Record the digest of the ClientHello's first PSK binder and say whether it
    /// was seen before within `window_ms` (RFC 8446, 8.2), on a server whose
    /// [`AntiReplay`](crate::server::AntiReplay) pauses. Asked only for a
    /// ClientHello that offers early data. Answer with [`Completion::Replay`].
    CheckReplay(ReplayRequest),
}

impl Operation {
    /// What the operation is, in words, for errors.
    pub fn describe(&self) -> &'static str {
        match self {
            Operation::Sign(_) => "a signature",
            Operation::VerifyServerCert(_) => "a server certificate verdict",
            Operation::VerifyClientCert(_) => "a client certificate verdict",
            Operation::LookupSession(_) | Operation::TakeSession(_) => "a session lookup",
            Operation::CheckReplay(_) => "a replay check",
        }
    }
}

/// A signature the handshake needs from a key held elsewhere.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignRequest {
    /// The scheme to sign with (RFC 8446, 4.2.3), one the key's kind produces.
    pub scheme: SignatureScheme,
    /// The exact bytes to sign (for TLS 1.3's CertificateVerify, the padded
    /// context string and transcript hash of RFC 8446, 4.4.3).
    pub message: Vec<u8>,
    /// The end-entity certificate whose private key signs: tells keys apart.
    pub certificate: CertificateDer<'static>,
}

impl SignRequest {
    /// What `key` (a remote key) is asked to sign with `scheme`.
    pub(crate) fn new(
        key: &crate::server::CertifiedKey,
        scheme: SignatureScheme,
        message: Vec<u8>,
    ) -> Self {
        SignRequest {
            scheme,
            message,
            certificate: key
                .chain
                .first()
                .cloned()
                .unwrap_or_else(|| CertificateDer::from(Vec::new())),
        }
    }
}

/// The server's chain, for a verifier outside the handshake.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerCertRequest {
    pub end_entity: CertificateDer<'static>,
    /// As the server sent them (any order, possibly hostile).
    pub intermediates: Vec<CertificateDer<'static>>,
    /// The name the certificate must be valid for.
    pub server_name: ServerName<'static>,
    /// The stapled OCSP response, empty if none.
    pub ocsp: Vec<u8>,
    /// The time to verify at, from the configuration's clock.
    pub now: UnixTime,
}

impl ServerCertRequest {
    /// Runs a synchronous verifier on the request.
    pub fn verify_with(
        &self,
        verifier: &dyn ServerCertVerifier,
    ) -> Result<ServerCertVerified, Error> {
        verifier.verify_server_cert(
            &self.end_entity,
            &self.intermediates,
            &self.server_name,
            &self.ocsp,
            self.now,
        )
    }
}

/// A client's chain, for a verifier outside the handshake (on a server).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientCertRequest {
    pub end_entity: CertificateDer<'static>,
    /// As the client sent them.
    pub intermediates: Vec<CertificateDer<'static>>,
    /// The time to verify at, from the configuration's clock.
    pub now: UnixTime,
}

impl ClientCertRequest {
    /// Runs a synchronous verifier on the request.
    pub fn verify_with(
        &self,
        verifier: &dyn ClientCertVerifier,
    ) -> Result<ClientCertVerified, Error> {
        verifier.verify_client_cert(&self.end_entity, &self.intermediates, self.now)
    }
}

/// A session ID a TLS 1.2 client offers to resume (RFC 5246, 7.4.1.2), or the
/// stateful ticket a TLS 1.3 client offers (RFC 8446, 4.2.11).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionRequest {
    pub id: Vec<u8>,
}

/// A ClientHello with early data to record (RFC 8446, 8.2).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReplayRequest {
    /// SHA-256 of the first PSK binder: unique per ClientHello.
    pub digest: Vec<u8>,
    /// How long to remember it: the freshness window on either side (RFC 8446, 8.3).
    pub window_ms: u64,
}

/// The answer to an [`Operation`].
#[derive(Debug)]
#[non_exhaustive]
pub enum Completion {
    /// The signature (as the scheme defines it: DER for ECDSA), or why the signer
    /// could not sign. A failure ends the handshake with internal_error.
    Signature(Result<Vec<u8>, String>),
    /// The verifier's verdict. A refusal ends the handshake with the error's alert.
    ServerCertVerified(Result<ServerCertVerified, Error>),
    /// The client verifier's verdict. A refusal ends the handshake with the error's alert.
    ClientCertVerified(Result<ClientCertVerified, Error>),
    /// The session stored under the ID, if any (`None`: a full handshake follows).
    Session(Option<Arc<StoredSession>>),
    /// Whether the ClientHello was seen for the first time (`Ok(true)`), is a
    /// replay (`Ok(false)`), or could not be checked (`Err`, why): early data is
    /// accepted only on `Ok(true)`; the handshake goes on either way.
    Replay(Result<bool, String>),
}

impl Completion {
    /// What the completion answers, in words, for errors.
    pub fn describe(&self) -> &'static str {
        match self {
            Completion::Signature(_) => "a signature",
            Completion::ServerCertVerified(_) => "a server certificate verdict",
            Completion::ClientCertVerified(_) => "a client certificate verdict",
            Completion::Session(_) => "a session lookup",
            Completion::Replay(_) => "a replay check",
        }
    }
}

/// The signature in `completion`, or the handshake's error: a signer's failure
/// is internal_error (the states checked the kind before resuming).
pub(crate) fn signature(completion: Completion, scheme: SignatureScheme) -> Result<Vec<u8>, Error> {
    match completion {
        Completion::Signature(Ok(signature)) => Ok(signature),
        Completion::Signature(Err(reason)) => Err(CryptoError::RemoteSigningFailed {
            scheme: crate::crypto::SigningKey::scheme_name(scheme),
            reason,
        }
        .into()),
        other => Err(wrong("a signature", &other)),
    }
}

/// The verifier's verdict in `completion`.
pub(crate) fn server_cert_verdict(completion: Completion) -> Result<ServerCertVerified, Error> {
    match completion {
        Completion::ServerCertVerified(verdict) => verdict,
        other => Err(wrong("a server certificate verdict", &other)),
    }
}

/// The client verifier's verdict in `completion`.
pub(crate) fn client_cert_verdict(completion: Completion) -> Result<ClientCertVerified, Error> {
    match completion {
        Completion::ClientCertVerified(verdict) => verdict,
        other => Err(wrong("a client certificate verdict", &other)),
    }
}

/// The looked-up session in `completion`.
pub(crate) fn session(completion: Completion) -> Result<Option<Arc<StoredSession>>, Error> {
    match completion {
        Completion::Session(found) => Ok(found),
        other => Err(wrong("a session lookup", &other)),
    }
}

/// Whether `completion` lets early data in: a first sighting only (an unchecked
/// ClientHello counts as a replay: fail closed).
pub(crate) fn first_seen(completion: Completion) -> Result<bool, Error> {
    match completion {
        Completion::Replay(verdict) => Ok(verdict.unwrap_or(false)),
        other => Err(wrong("a replay check", &other)),
    }
}

fn wrong(expected: &'static str, got: &Completion) -> Error {
    ApiError::WrongCompletion {
        expected,
        got: got.describe(),
    }
    .into()
}

/// A server certificate verifier that never answers at once: the client's
/// handshake pauses with [`Operation::VerifyServerCert`] and the caller answers
/// with the verdict of its own (asynchronous, remote) verifier.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeferredServerCertVerifier;

impl ServerCertVerifier for DeferredServerCertVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        // Not reached by handshakes: they pause instead (see `pauses`).
        Err(CertificateError::DeferredVerifierCannotWait { from_client: false }.into())
    }

    fn pauses(&self) -> bool {
        true
    }
}

/// A client certificate verifier (for servers) that never answers at once: the
/// handshake pauses with [`Operation::VerifyClientCert`] on a client's chain. It
/// still says what the CertificateRequest needs: whether a certificate is
/// mandatory, and the acceptable CAs' subjects (DER Names, may be empty).
#[derive(Debug, Clone, Default)]
pub struct DeferredClientCertVerifier {
    mandatory: bool,
    root_hints: Vec<Vec<u8>>,
}

impl DeferredClientCertVerifier {
    /// Clients must send a certificate when `mandatory` (else certificate_required).
    pub fn new(mandatory: bool, root_hints: Vec<Vec<u8>>) -> Self {
        DeferredClientCertVerifier {
            mandatory,
            root_hints,
        }
    }
}

impl ClientCertVerifier for DeferredClientCertVerifier {
    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> Vec<Vec<u8>> {
        self.root_hints.clone()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        // Reached only where the handshake cannot wait (post-handshake
        // authentication; resumption re-verification, which then does a full handshake).
        Err(CertificateError::DeferredVerifierCannotWait { from_client: true }.into())
    }

    fn pauses(&self) -> bool {
        true
    }
}
