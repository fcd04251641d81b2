//! The connection's side of pausing: what it waits for, and completing it.

use std::fmt::Debug;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use super::{Completion, Operation};
use crate::conn::Connection;
use crate::error::{ApiError, Error};
use crate::msgs::enums::SignatureScheme;
use crate::pki::{ClientCertVerifier, ServerCertVerifier};
use crate::server::ServerSessionCache;

impl Connection {
    /// The operation the handshake waits for, if it waits (see [`crate::pause`]).
    /// While it does, `process_new_packets` consumes no records: they stay buffered,
    /// in order, until [`complete`](Self::complete) resumes the handshake.
    pub fn pending_operation(&self) -> Option<&Operation> {
        self.state.as_ref().and_then(|s| s.operation())
    }

    /// Hands the answer to the pending operation to the handshake, which goes on
    /// (its next messages are queued for `write_tls`); call `process_new_packets`
    /// afterwards for records that arrived meanwhile.
    ///
    /// A failed answer (`Err`) fails the connection as the synchronous path would,
    /// sending the alert; the error is returned and every later call returns it.
    /// With no operation pending, or an answer of the wrong kind, this is an
    /// [`ApiError`] and nothing changes.
    pub fn complete(&mut self, completion: Completion) -> Result<(), Error> {
        if let Some(e) = self.error() {
            return Err(e.clone());
        }
        let expected = self
            .pending_operation()
            .ok_or(ApiError::NoOperationPending)?
            .describe();
        if expected != completion.describe() {
            return Err(ApiError::WrongCompletion {
                expected,
                got: completion.describe(),
            }
            .into());
        }
        let result = self.run_state(|state, common| state.resume(common, completion));
        result.map_err(|e| self.fail(e))
    }

    /// Answers pending operations with synchronous `handlers`, one after another,
    /// until the handshake waits for none. For blocking drivers such as
    /// [`Stream`](crate::Stream). An operation no handler answers is
    /// [`ApiError::NoHandler`], and the connection fails with it.
    pub fn complete_with(&mut self, handlers: &Handlers) -> Result<(), Error> {
        while let Some(op) = self.pending_operation() {
            let completion = match handlers.answer(op) {
                Ok(c) => c,
                Err(e) => return Err(self.fail(e)),
            };
            self.complete(completion)?;
        }
        Ok(())
    }
}

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
/// [`Connection::complete_with`] and the blocking [`Stream`](crate::Stream).
#[derive(Debug, Clone, Default)]
pub struct Handlers {
    signer: Option<Arc<dyn Signer>>,
    server_verifier: Option<Arc<dyn ServerCertVerifier>>,
    client_verifier: Option<Arc<dyn ClientCertVerifier>>,
    sessions: Option<Arc<dyn ServerSessionCache>>,
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

    /// Answers [`Operation::LookupSession`] with the store's `get`.
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
        })
    }
}
