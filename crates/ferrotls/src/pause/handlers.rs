//! Synchronous answers to the operations a handshake pauses on, for blocking
//! drivers (`Connection::complete_with`, `Stream`).

use std::fmt::Debug;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use super::{Completion, Operation};
use crate::error::{ApiError, Error};
use crate::msgs::enums::SignatureScheme;
use crate::pki::{ClientCertVerifier, ServerCertVerifier};
use crate::server::{AntiReplay, ServerSessionCache};

/// Signs with a key held elsewhere, synchronously (for blocking drivers; async
/// drivers bring their own, such as ferrotls-tokio's `AsyncSigner`).
pub trait Signer: Debug + Send + Sync {
    /// Signs `message` with `scheme`, using the private key of `certificate`. An
    /// error is a sentence saying why; the handshake then fails with internal_error.
    fn sign(
        &self,
        certificate: &CertificateDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
    ) -> Result<Vec<u8>, String>;
}

/// Synchronous answers for the operations a handshake may pause on, for
/// [`Connection::complete_with`](crate::Connection::complete_with) and the blocking [`Stream`](crate::Stream).
#[derive(Debug, Clone, Default)]
pub struct Handlers {
    signer: Option<Arc<dyn Signer>>,
    server_verifier: Option<Arc<dyn ServerCertVerifier>>,
    client_verifier: Option<Arc<dyn ClientCertVerifier>>,
    sessions: Option<Arc<dyn ServerSessionCache>>,
    anti_replay: Option<Arc<dyn AntiReplay>>,
}

impl Handlers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers [`Operation::Sign`].
    pub fn signer(mut self, signer: Arc<dyn Signer>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Answers [`Operation::VerifyServerCert`].
    pub fn server_verifier(mut self, verifier: Arc<dyn ServerCertVerifier>) -> Self {
        self.server_verifier = Some(verifier);
        self
    }

    /// Answers [`Operation::VerifyClientCert`].
    pub fn client_verifier(mut self, verifier: Arc<dyn ClientCertVerifier>) -> Self {
        self.client_verifier = Some(verifier);
        self
    }

    /// Answers [`Operation::CheckReplay`] with the guard's `first_seen`.
    pub fn anti_replay(mut self, guard: Arc<dyn AntiReplay>) -> Self {
        self.anti_replay = Some(guard);
        self
    }

    /// Answers [`Operation::LookupSession`] with the store's `get` and
    /// [`Operation::TakeSession`] with its `take`.
    pub fn session_store(mut self, store: Arc<dyn ServerSessionCache>) -> Self {
        self.sessions = Some(store);
        self
    }

    /// The answer to `op`, or [`ApiError::NoHandler`] if no handler takes it.
    pub fn answer(&self, op: &Operation) -> Result<Completion, Error> {
        let missing = || ApiError::NoHandler {
            operation: op.describe(),
        };
        Ok(match op {
            Operation::Sign(r) => {
                let signer = self.signer.as_ref().ok_or_else(missing)?;
                Completion::Signature(signer.sign(&r.certificate, r.scheme, &r.message))
            }
            Operation::VerifyServerCert(r) => {
                let verifier = self.server_verifier.as_ref().ok_or_else(missing)?;
                Completion::ServerCertVerified(r.verify_with(verifier.as_ref()))
            }
            Operation::VerifyClientCert(r) => {
                let verifier = self.client_verifier.as_ref().ok_or_else(missing)?;
                Completion::ClientCertVerified(r.verify_with(verifier.as_ref()))
            }
            Operation::LookupSession(r) => {
                let store = self.sessions.as_ref().ok_or_else(missing)?;
                Completion::Session(store.get(&r.id))
            }
            Operation::TakeSession(r) => {
                let store = self.sessions.as_ref().ok_or_else(missing)?;
                Completion::Session(store.take(&r.id))
            }
            Operation::CheckReplay(r) => {
                let guard = self.anti_replay.as_ref().ok_or_else(missing)?;
                Completion::Replay(Ok(guard.first_seen(&r.digest, r.window_ms)))
            }
        })
    }
}
