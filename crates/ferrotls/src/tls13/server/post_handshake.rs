//! Post-handshake client authentication (RFC 8446, 4.6.2): our
//! CertificateRequest, the client's Certificate, CertificateVerify and Finished.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::proof::SignatureChecked;
use crate::tls13::check_certificate_verify;

use super::*;

/// The handshake is complete; only KeyUpdate, and answers to our post-handshake
/// CertificateRequests, may follow from a client (RFC 8446, 4.6).
#[derive(Debug)]
pub(crate) struct Connected {
    /// Present when the client offered post_handshake_auth and a verifier is
    /// configured: only then can a client certificate be requested.
    pub(super) auth: Option<Box<PostHandshakeAuth>>,
}

/// How many random bytes make a post-handshake certificate_request_context: enough
/// that no two requests of a connection share one (RFC 8446, 4.3.2).
pub(super) const REQUEST_CONTEXT_LEN: usize = 32;

/// What post-handshake client authentication (RFC 8446, 4.6.2) needs.
#[derive(Debug)]
pub(crate) struct PostHandshakeAuth {
    pub(super) config: Arc<ServerConfig>,
    pub(super) verifier: Arc<dyn ClientCertVerifier>,
    pub(super) suite: &'static Tls13CipherSuite,
    /// The handshake transcript through the client's Finished (RFC 8446, 4.4).
    pub(super) handshake: Transcript,
    /// Requests sent and not answered yet, oldest first.
    pub(super) outstanding: Vec<OutstandingRequest>,
}

/// A CertificateRequest the client has not answered yet.
#[derive(Debug)]
pub(super) struct OutstandingRequest {
    pub(super) context: Vec<u8>,
    /// The handshake transcript plus this CertificateRequest.
    pub(super) transcript: Transcript,
}

impl PostHandshakeAuth {
    /// Sends a CertificateRequest with a fresh random context.
    pub(super) fn request(&mut self, out: &mut Output<'_>) -> Result<(), Error> {
        let mut context = vec![0u8; REQUEST_CONTEXT_LEN];
        self.config.provider.random.fill(&mut context)?;
        let cr = certificate_request(self.verifier.as_ref(), context.clone());
        let mut transcript = self.handshake.clone();
        out.send_handshake(&cr, &mut transcript)?;
        self.outstanding.push(OutstandingRequest {
            context,
            transcript,
        });
        out.record(Fact::PostHandshakeAuthRequest);
        out.record(Fact::ClientAuth);
        Ok(())
    }
}

impl Connected {
    /// RFC 8446, 4.4.2 and 4.6.2: the client's Certificate answering one of our
    /// outstanding requests, found by its context (clients may answer out of order).
    pub(super) fn handle_certificate(
        self,
        cert: Certificate13,
        raw: &[u8],
    ) -> Result<ServerState13, Error> {
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
            Some(chain) => ServerState13::ExpectPostHandshakeCertificateVerify(Box::new(
                ExpectPostHandshakeCertificateVerify {
                    auth,
                    transcript,
                    chain,
                },
            )),
            None => {
                ServerState13::ExpectPostHandshakeFinished(Box::new(ExpectPostHandshakeFinished {
                    auth,
                    transcript,
                    proof: None,
                }))
            }
        })
    }
}

/// The client sent a certificate chain the verifier accepted; its CertificateVerify
/// must prove it holds the key.
#[derive(Debug)]
pub(crate) struct ExpectPostHandshakeCertificateVerify {
    pub(super) auth: Box<PostHandshakeAuth>,
    /// The transcript through the client's Certificate.
    pub(super) transcript: Transcript,
    pub(super) chain: CheckedClientChain,
}

impl ExpectPostHandshakeCertificateVerify {
    pub(super) fn handle(
        mut self,
        cv: CertificateVerify,
        raw: &[u8],
    ) -> Result<ServerState13, Error> {
        let CheckedClientChain {
            chain,
            spki,
            verified,
        } = self.chain;
        let checked = check_certificate_verify(verified, false, &self.transcript, &spki, &cv)?;
        self.transcript.add(raw);
        Ok(ServerState13::ExpectPostHandshakeFinished(Box::new(
            ExpectPostHandshakeFinished {
                auth: self.auth,
                transcript: self.transcript,
                proof: Some((chain, checked)),
            },
        )))
    }
}

/// The client's Finished ends its answer (RFC 8446, 4.4.4).
#[derive(Debug)]
pub(crate) struct ExpectPostHandshakeFinished {
    pub(super) auth: Box<PostHandshakeAuth>,
    /// The transcript through the client's CertificateVerify (or empty Certificate).
    pub(super) transcript: Transcript,
    /// The chain whose CertificateVerify checked out, with the token of that
    /// check; none for an empty Certificate.
    pub(super) proof: Option<(
        Vec<CertificateDer<'static>>,
        SignatureChecked<ClientCertVerified>,
    )>,
}

impl ExpectPostHandshakeFinished {
    /// RFC 8446, 4.4: the Finished key comes from the client's current application
    /// traffic secret, the one this message arrived under.
    pub(super) fn handle(
        self,
        out: &mut Output<'_>,
        fin: Finished,
    ) -> Result<ServerState13, Error> {
        let base_key = out.recv_traffic_secret().ok_or(Error::UnexpectedMessage {
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
        let authenticated = self.proof.is_some();
        if let Some((chain, _proof)) = self.proof {
            out.record(Fact::PeerCertificates(chain));
        }
        out.record(Fact::PostHandshakeAuthAnswered { authenticated });
        Ok(ServerState13::Connected(Box::new(Connected {
            auth: Some(self.auth),
        })))
    }
}
