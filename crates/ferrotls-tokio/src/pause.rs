//! Async answers for handshakes that wait (`ferrotls::pause`).
//!
//! A handshake that needs a signature from a key held elsewhere
//! ([`ferrotls::server::CertifiedKey::remote`]) or a certificate verdict from a
//! deferred verifier pauses; the connector or acceptor then awaits the matching
//! handler below and resumes the handshake with its answer. The task waits, not a
//! thread: thousands of handshakes can wait on a slow signer at once.
//!
//! Implement the traits with `async fn`:
//!
//! ```no_run
//! use ferrotls::pause::SignRequest;
//! use ferrotls_tokio::pause::AsyncSigner;
//!
//! #[derive(Debug)]
//! struct Kms;
//!
//! impl AsyncSigner for Kms {
//!     async fn sign(&self, request: SignRequest) -> Result<Vec<u8>, String> {
//!         // Ask the KMS to sign request.message with request.scheme.
//!         # let _ = request;
//!         Err("not connected".into())
//!     }
//! }
//! ```

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use ferrotls::pause::{
    ClientCertRequest, Completion, Handlers, Operation, ServerCertRequest, SignRequest,
};
use ferrotls::pki::{ClientCertVerified, ServerCertVerified};
use ferrotls::server::StoredSession;
use ferrotls::Error;

/// A boxed, sendable future, as the handlers are stored behind `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Signs with a key held elsewhere (KMS, HSM, signing service).
pub trait AsyncSigner: Debug + Send + Sync + 'static {
    /// Signs `request.message` with `request.scheme`, using the private key of
    /// `request.certificate`. An error is a sentence saying why; the handshake then
    /// fails with internal_error.
    fn sign(&self, request: SignRequest) -> impl Future<Output = Result<Vec<u8>, String>> + Send;
}

/// Verifies a server's chain for a client whose verifier defers
/// ([`ferrotls::pause::DeferredServerCertVerifier`]).
pub trait AsyncServerCertVerifier: Debug + Send + Sync + 'static {
    fn verify(
        &self,
        request: ServerCertRequest,
    ) -> impl Future<Output = Result<ServerCertVerified, Error>> + Send;
}

/// Verifies a client's chain for a server whose verifier defers
/// ([`ferrotls::pause::DeferredClientCertVerifier`]).
pub trait AsyncClientCertVerifier: Debug + Send + Sync + 'static {
    fn verify(
        &self,
        request: ClientCertRequest,
    ) -> impl Future<Output = Result<ClientCertVerified, Error>> + Send;
}

/// Looks up TLS 1.2 sessions and takes TLS 1.3 stateful tickets for a server
/// whose session cache pauses ([`ferrotls::server::ServerSessionCache::pauses`]).
pub trait AsyncSessionStore: Debug + Send + Sync + 'static {
    /// The session stored under `id`, if any.
    fn get(&self, id: Vec<u8>) -> impl Future<Output = Option<Arc<StoredSession>>> + Send;
    /// Removes and returns the session under `id`, atomically: a second `take`
    /// (from any server sharing the store) finds nothing.
    fn take(&self, id: Vec<u8>) -> impl Future<Output = Option<Arc<StoredSession>>> + Send;
}

/// Records ClientHellos with early data for a server whose anti-replay guard
/// pauses ([`ferrotls::server::AntiReplay::pauses`]; RFC 8446, 8.2).
pub trait AsyncAntiReplay: Debug + Send + Sync + 'static {
    /// Records `digest` for `window_ms`: `Ok(true)` if it was not seen before,
    /// `Ok(false)` for a replay, `Err` (why) if the record could not be checked
    /// (early data is then refused).
    fn first_seen(
        &self,
        digest: Vec<u8>,
        window_ms: u64,
    ) -> impl Future<Output = Result<bool, String>> + Send;
}

// The traits above return `impl Future`, which `dyn` cannot hold: these box it.
trait DynSigner: Debug + Send + Sync {
    fn sign(&self, request: SignRequest) -> BoxFuture<'_, Result<Vec<u8>, String>>;
}

impl<T: AsyncSigner> DynSigner for T {
    fn sign(&self, request: SignRequest) -> BoxFuture<'_, Result<Vec<u8>, String>> {
        Box::pin(AsyncSigner::sign(self, request))
    }
}

trait DynServerVerifier: Debug + Send + Sync {
    fn verify(
        &self,
        request: ServerCertRequest,
    ) -> BoxFuture<'_, Result<ServerCertVerified, Error>>;
}

impl<T: AsyncServerCertVerifier> DynServerVerifier for T {
    fn verify(
        &self,
        request: ServerCertRequest,
    ) -> BoxFuture<'_, Result<ServerCertVerified, Error>> {
        Box::pin(AsyncServerCertVerifier::verify(self, request))
    }
}

trait DynClientVerifier: Debug + Send + Sync {
    fn verify(
        &self,
        request: ClientCertRequest,
    ) -> BoxFuture<'_, Result<ClientCertVerified, Error>>;
}

impl<T: AsyncClientCertVerifier> DynClientVerifier for T {
    fn verify(
        &self,
        request: ClientCertRequest,
    ) -> BoxFuture<'_, Result<ClientCertVerified, Error>> {
        Box::pin(AsyncClientCertVerifier::verify(self, request))
    }
}

trait DynSessionStore: Debug + Send + Sync {
    fn get(&self, id: Vec<u8>) -> BoxFuture<'_, Option<Arc<StoredSession>>>;
    fn take(&self, id: Vec<u8>) -> BoxFuture<'_, Option<Arc<StoredSession>>>;
}

impl<T: AsyncSessionStore> DynSessionStore for T {
    fn get(&self, id: Vec<u8>) -> BoxFuture<'_, Option<Arc<StoredSession>>> {
        Box::pin(AsyncSessionStore::get(self, id))
    }
    fn take(&self, id: Vec<u8>) -> BoxFuture<'_, Option<Arc<StoredSession>>> {
        Box::pin(AsyncSessionStore::take(self, id))
    }
}

trait DynAntiReplay: Debug + Send + Sync {
    fn first_seen(&self, digest: Vec<u8>, window_ms: u64) -> BoxFuture<'_, Result<bool, String>>;
}

impl<T: AsyncAntiReplay> DynAntiReplay for T {
    fn first_seen(&self, digest: Vec<u8>, window_ms: u64) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(AsyncAntiReplay::first_seen(self, digest, window_ms))
    }
}

/// The async handlers a connector or acceptor answers paused handshakes with.
/// Empty by default: a handshake that pauses without a handler for its operation
/// fails with `ApiError::NoHandler`.
#[derive(Debug, Clone, Default)]
pub struct AsyncHandlers {
    signer: Option<Arc<dyn DynSigner>>,
    server_verifier: Option<Arc<dyn DynServerVerifier>>,
    client_verifier: Option<Arc<dyn DynClientVerifier>>,
    sessions: Option<Arc<dyn DynSessionStore>>,
    anti_replay: Option<Arc<dyn DynAntiReplay>>,
}

impl AsyncHandlers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers `Operation::Sign`.
    pub fn signer(mut self, signer: impl AsyncSigner) -> Self {
        self.signer = Some(Arc::new(signer));
        self
    }

    /// Answers `Operation::VerifyServerCert`.
    pub fn server_verifier(mut self, verifier: impl AsyncServerCertVerifier) -> Self {
        self.server_verifier = Some(Arc::new(verifier));
        self
    }

    /// Answers `Operation::VerifyClientCert`.
    pub fn client_verifier(mut self, verifier: impl AsyncClientCertVerifier) -> Self {
        self.client_verifier = Some(Arc::new(verifier));
        self
    }

    /// Answers `Operation::LookupSession` and `Operation::TakeSession`.
    pub fn session_store(mut self, store: impl AsyncSessionStore) -> Self {
        self.sessions = Some(Arc::new(store));
        self
    }

    /// Answers `Operation::CheckReplay`.
    pub fn anti_replay(mut self, guard: impl AsyncAntiReplay) -> Self {
        self.anti_replay = Some(Arc::new(guard));
        self
    }

    /// The answer to `op`, or `None` if no handler takes it.
    pub async fn answer(&self, op: Operation) -> Option<Completion> {
        Some(match op {
            Operation::Sign(r) => Completion::Signature(self.signer.as_ref()?.sign(r).await),
            Operation::VerifyServerCert(r) => {
                Completion::ServerCertVerified(self.server_verifier.as_ref()?.verify(r).await)
            }
            Operation::VerifyClientCert(r) => {
                Completion::ClientCertVerified(self.client_verifier.as_ref()?.verify(r).await)
            }
            Operation::LookupSession(r) => {
                Completion::Session(self.sessions.as_ref()?.get(r.id).await)
            }
            Operation::TakeSession(r) => {
                Completion::Session(self.sessions.as_ref()?.take(r.id).await)
            }
            Operation::CheckReplay(r) => Completion::Replay(
                self.anti_replay
                    .as_ref()?
                    .first_seen(r.digest, r.window_ms)
                    .await,
            ),
            _ => return None,
        })
    }
}

/// Completes the connection's pending operation with `handlers`, then processes
/// the records that arrived meanwhile. Errors stay in the connection, where the
/// stream picks them up (and sends the alert).
pub(crate) async fn answer_pending(conn: &mut ferrotls::Connection, handlers: &AsyncHandlers) {
    let Some(op) = conn.pending_operation().cloned() else {
        return;
    };
    let _ = match handlers.answer(op).await {
        Some(completion) => conn.complete(completion),
        // No handler: fails the connection with `ApiError::NoHandler`.
        None => conn.complete_with(&Handlers::new()),
    };
    if conn.error().is_none() {
        let _ = conn.process_new_packets();
    }
}
