//! The client's answer to the server's flight (RFC 8446, 4.4): its Certificate
//! and CertificateVerify when asked for, then its Finished.

use std::sync::Arc;

use rustls_pki_types::CertificateDer;

use crate::proof::{PskBinderChecked, SignatureChecked};
use crate::tls13::check_certificate_verify;

use super::*;

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    pub(super) config: Arc<ServerConfig>,
    pub(super) suite: &'static Tls13CipherSuite,
    pub(super) transcript: Transcript,
    pub(super) client_hs: TrafficSecret,
    pub(super) client_ap: TrafficSecret,
    pub(super) server_ap: TrafficSecret,
    pub(super) master: MasterSecret,
    pub(super) client_auth: Option<Arc<dyn ClientCertVerifier>>,
    /// How the client proved itself, if it did: the token of its PSK binder, or
    /// of its verified chain and CertificateVerify.
    pub(super) client_proof: ClientProof,
    pub(super) ticket_random: TicketRandom,
    /// The client offered post_handshake_auth (RFC 8446, 4.2.6).
    pub(super) post_handshake_auth: bool,
}

impl ExpectFinished {
    /// RFC 8446, 4.4.2: the client's Certificate, possibly empty.
    pub(super) fn handle_certificate(
        mut self: Box<Self>,
        out: &mut Output<'_>,
        cert: Certificate13,
        raw: &[u8],
    ) -> Result<ServerState13, Error> {
        if !cert.context.is_empty() {
            return Err(PeerMisbehaved::IllegalParameter {
                message: "Certificate",
                field: "certificate_request_context",
                reason: "must echo the empty context of our CertificateRequest",
            }
            .into());
        }
        self.transcript.add(raw);
        if self.client_auth.as_ref().is_some_and(|v| v.pauses()) && !cert.entries.is_empty() {
            let mut certs = cert
                .entries
                .into_iter()
                .map(|e| CertificateDer::from(e.cert));
            let operation = Operation::VerifyClientCert(ClientCertRequest {
                end_entity: certs
                    .next()
                    .unwrap_or_else(|| CertificateDer::from(Vec::new())),
                intermediates: certs.collect(),
                now: self.config.provider.time.now(),
            });
            return Ok(ServerState13::AwaitClientCertVerification(Box::new(
                AwaitClientCertVerification {
                    inner: self,
                    operation,
                },
            )));
        }
        let checked = crate::pki::verify_client_chain(
            self.client_auth.as_deref(),
            cert.entries
                .into_iter()
                .map(|e| CertificateDer::from(e.cert)),
            self.config.provider.time.now(),
        )?;
        Ok(match checked {
            Some(c) => {
                out.record(Fact::PeerCertificates(c.chain));
                ServerState13::ExpectCertificateVerify(Box::new(ExpectCertificateVerify {
                    inner: self,
                    spki: c.spki,
                    verified: c.verified,
                }))
            }
            None => ServerState13::ExpectFinished(self),
        })
    }

    pub(super) fn handle(
        mut self: Box<Self>,
        out: &mut Output<'_>,
        fin: Finished,
        raw: &[u8],
    ) -> Result<ServerState13, Error> {
        let expected = finished_verify_data(
            self.suite,
            &self.client_hs,
            self.transcript.current().as_ref(),
        );
        fin.check_len(expected.as_ref().len())?;
        if !constant_time_eq(expected.as_ref(), &fin.verify_data) {
            return Err(PeerMisbehaved::BadFinished { from_server: false }.into());
        }
        self.transcript.add(raw);
        out.install_decrypter(self.suite, &self.client_ap, Protection::Application)?;
        let this = *self;
        out.record(Fact::PostHandshakeAuthOffered(this.post_handshake_auth));
        // RFC 8446, 4.4: post-handshake authentication extends the transcript
        // through the client's Finished; kept only where a request can be sent.
        let auth = this
            .config
            .post_handshake_verifier()
            .filter(|_| this.post_handshake_auth)
            .map(|verifier| {
                Box::new(PostHandshakeAuth {
                    config: this.config.clone(),
                    verifier: verifier.clone(),
                    suite: this.suite,
                    handshake: this.transcript.clone(),
                    outstanding: Vec::new(),
                })
            });
        // The resumption master secret is needed only for tickets.
        let resumption = sends_tickets(&this.config).then(|| {
            this.master
                .resumption_master_secret(this.transcript.finish().as_ref())
        });
        out.start_traffic(this.server_ap, this.client_ap)?;
        if let Some(resumption) = resumption {
            send_tickets(
                out,
                &this.config,
                this.suite,
                &resumption,
                &this.ticket_random,
            )?;
        }
        Ok(ServerState13::Connected(Box::new(Connected { auth })))
    }
}

/// Paused until the caller's verifier answers for the client's chain
/// (`crate::pause`). An empty Certificate never pauses: it is checked at once.
#[derive(Debug)]
pub(crate) struct AwaitClientCertVerification {
    inner: Box<ExpectFinished>,
    pub(super) operation: Operation,
}

impl AwaitClientCertVerification {
    pub(super) fn resume(
        self,
        out: &mut Output<'_>,
        completion: Completion,
    ) -> Result<ServerState13, Error> {
        let verified = crate::pause::client_cert_verdict(completion)?;
        let AwaitClientCertVerification { inner, operation } = self;
        let Operation::VerifyClientCert(request) = operation else {
            return Err(ApiError::NoOperationPending.into());
        };
        let (chain, spki) = crate::pki::chain_and_key(request.end_entity, request.intermediates)?;
        out.record(Fact::PeerCertificates(chain));
        Ok(ServerState13::ExpectCertificateVerify(Box::new(
            ExpectCertificateVerify {
                inner,
                spki,
                verified,
            },
        )))
    }
}

#[derive(Debug)]
pub(crate) struct ExpectCertificateVerify {
    pub(super) inner: Box<ExpectFinished>,
    pub(super) spki: Vec<u8>,
    pub(super) verified: ClientCertVerified,
}

impl ExpectCertificateVerify {
    pub(super) fn handle(
        mut self,
        cv: CertificateVerify,
        raw: &[u8],
    ) -> Result<ServerState13, Error> {
        let checked = check_certificate_verify(
            self.verified,
            false,
            &self.inner.transcript,
            &self.spki,
            &cv,
        )?;
        self.inner.transcript.add(raw);
        self.inner.client_proof = ClientProof::Certificate { _verified: checked };
        Ok(ServerState13::ExpectFinished(self.inner))
    }
}

/// What proves the client's identity to the server when its Finished arrives.
#[derive(Debug)]
pub(crate) enum ClientProof {
    /// No client authentication: none asked for, or an empty Certificate the
    /// verifier allows (RFC 8446, 4.4.2.4).
    None,
    /// The client's PSK binder checked out (RFC 8446, 4.2.11.2).
    Psk(PskBinderChecked),
    /// The client's chain verified and its CertificateVerify checked out (4.4.3).
    Certificate {
        /// Held, not read: its existence is the proof.
        _verified: SignatureChecked<ClientCertVerified>,
    },
}

/// A CertificateRequest (RFC 8446, 4.3.2) with `context` (empty during the
/// handshake), our signature schemes and the verifier's CA names, if any.
pub(super) fn certificate_request(
    verifier: &dyn ClientCertVerifier,
    context: Vec<u8>,
) -> HandshakeMessage {
    let mut extensions = vec![CertReqExtension::SignatureAlgorithms(
        sign::tls13_verify_schemes().to_vec(),
    )];
    let hints = verifier.root_hint_subjects();
    if !hints.is_empty() {
        extensions.push(CertReqExtension::CertificateAuthorities(hints));
    }
    HandshakeMessage::new(HandshakePayload::CertificateRequest(CertificateRequest13 {
        context,
        extensions,
    }))
}
