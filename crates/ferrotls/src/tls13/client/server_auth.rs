//! How the server authenticates (RFC 8446, 4.3.2 to 4.4.3): its optional
//! CertificateRequest, its Certificate, verified against our trust, and the
//! CertificateVerify that proves it holds the certificate's key.

use rustls_pki_types::CertificateDer;

use crate::tls13::check_certificate_verify;

use super::*;

#[derive(Debug)]
pub(crate) struct ExpectCertificate {
    pub(super) base: HelloBase,
    pub(super) suite: &'static Tls13CipherSuite,
    pub(super) transcript: Transcript,
    pub(super) hs: HandshakeSecret,
    pub(super) client_hs: TrafficSecret,
    pub(super) server_hs: TrafficSecret,
    /// The signature schemes of the server's CertificateRequest, if it sent one.
    pub(super) cert_request: Option<Vec<SignatureScheme>>,
    /// The 0-RTT key, when the server accepted early data (for EndOfEarlyData).
    pub(super) early_encrypter: Option<Box<dyn RecordEncrypter>>,
}

impl ExpectCertificate {
    /// RFC 8446, 4.3.2: a CertificateRequest during the handshake; our Certificate
    /// (and CertificateVerify, if we have a key the server accepts) will precede
    /// our Finished.
    pub(super) fn handle_certificate_request(
        mut self: Box<Self>,
        out: &mut Output<'_>,
        cr: CertificateRequest13,
        raw: &[u8],
    ) -> Result<ClientState13, Error> {
        if !cr.context.is_empty() {
            return Err(illegal(
                "CertificateRequest",
                "certificate_request_context",
                "must be empty during the handshake",
            ));
        }
        let schemes = cr
            .signature_algorithms()
            .ok_or(PeerMisbehaved::MissingExtension {
                message: "CertificateRequest",
                extension: "signature_algorithms",
            })?;
        self.cert_request = Some(schemes.to_vec());
        self.transcript.add(raw);
        out.record(Fact::ClientAuth);
        Ok(ClientState13::ExpectCertificate(self))
    }

    pub(super) fn handle(
        mut self,
        out: &mut Output<'_>,
        cert: Certificate13,
        raw: &[u8],
    ) -> Result<ClientState13, Error> {
        if !cert.context.is_empty() {
            return Err(illegal(
                "Certificate",
                "certificate_request_context",
                "must be empty in the server's Certificate",
            ));
        }
        let mut entries = cert.entries.into_iter();
        let first = entries.next().ok_or(CertificateError::Empty)?;
        let ocsp = first.extensions.iter().find_map(|e| match e {
            crate::msgs::CertificateExtension::StatusRequest(r) => Some(r.clone()),
            _ => None,
        });
        let end_entity = CertificateDer::from(first.cert);
        let intermediates: Vec<CertificateDer<'static>> =
            entries.map(|e| CertificateDer::from(e.cert)).collect();
        if self.base.config.verifier.pauses() {
            // The caller verifies; the transcript takes the Certificate meanwhile
            // (the synchronous path adds it right after verifying: the same).
            let operation = Operation::VerifyServerCert(ServerCertRequest {
                end_entity,
                intermediates,
                server_name: self.base.auth_name()?.to_owned(),
                ocsp: ocsp.unwrap_or_default(),
                now: self.base.config.provider.time.now(),
            });
            self.transcript.add(raw);
            return Ok(ClientState13::AwaitServerCertVerification(Box::new(
                AwaitServerCertVerification {
                    inner: self,
                    operation,
                },
            )));
        }
        let crate::pki::VerifiedServerChain {
            chain,
            spki,
            verified,
        } = crate::pki::verify_server_chain(
            self.base.config.verifier.as_ref(),
            end_entity,
            intermediates,
            &self.base.auth_name()?,
            ocsp.as_deref().unwrap_or_default(),
            self.base.config.provider.time.now(),
        )?;
        out.record(Fact::PeerCertificates(chain));
        self.transcript.add(raw);
        Ok(ClientState13::ExpectCertificateVerify(Box::new(
            ExpectCertificateVerify {
                inner: self,
                spki,
                verified,
            },
        )))
    }
}

/// Paused until the caller's verifier answers for the server's chain
/// (`crate::pause`).
#[derive(Debug)]
pub(crate) struct AwaitServerCertVerification {
    inner: ExpectCertificate,
    pub(super) operation: Operation,
}

impl AwaitServerCertVerification {
    pub(super) fn resume(
        self: Box<Self>,
        out: &mut Output<'_>,
        completion: Completion,
    ) -> Result<ClientState13, Error> {
        let verified = crate::pause::server_cert_verdict(completion)?;
        let AwaitServerCertVerification { inner, operation } = *self;
        let Operation::VerifyServerCert(request) = operation else {
            return Err(crate::error::ApiError::NoOperationPending.into());
        };
        let (chain, spki) = crate::pki::chain_and_key(request.end_entity, request.intermediates)?;
        out.record(Fact::PeerCertificates(chain));
        Ok(ClientState13::ExpectCertificateVerify(Box::new(
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
    pub(super) inner: ExpectCertificate,
    pub(super) spki: Vec<u8>,
    /// The token that the chain was verified; this state cannot exist without it.
    pub(super) verified: ServerCertVerified,
}

impl ExpectCertificateVerify {
    pub(super) fn handle(
        mut self,
        cv: CertificateVerify,
        raw: &[u8],
    ) -> Result<ClientState13, Error> {
        // RFC 8446, 4.4.3: with a scheme we offered, over the transcript so far.
        let checked =
            check_certificate_verify(self.verified, true, &self.inner.transcript, &self.spki, &cv)?;
        self.inner.transcript.add(raw);
        Ok(ClientState13::ExpectFinished(Box::new(ExpectFinished {
            inner: self.inner,
            server: ServerProof::Certificate(checked),
        })))
    }
}
