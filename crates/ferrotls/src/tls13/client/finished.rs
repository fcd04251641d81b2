//! The end of the handshake (RFC 8446, 4.4.4 and 4.5): the server's Finished,
//! then our EndOfEarlyData, Certificate, CertificateVerify and Finished.

use crate::server::CertifiedKey;

use crate::proof::SignatureChecked;

use super::*;

#[derive(Debug)]
pub(crate) struct ExpectFinished {
    pub(super) inner: ExpectCertificate,
    /// How the server proved itself.
    pub(super) server: ServerProof,
}

/// What proves the server's identity to the client when its Finished arrives.
#[derive(Debug)]
pub(crate) enum ServerProof {
    /// The server's chain verified and its CertificateVerify checked out
    /// (RFC 8446, 4.4.3).
    Certificate(SignatureChecked<ServerCertVerified>),
    /// The server selected our PSK (RFC 8446, 4.2.11): its Finished, keyed from
    /// that PSK, proves it holds it (2.2).
    Psk,
}

impl ServerProof {
    /// The scheme of the server's CertificateVerify; none with a PSK.
    fn scheme(&self) -> Option<SignatureScheme> {
        match self {
            ServerProof::Certificate(c) => Some(c.scheme()),
            ServerProof::Psk => None,
        }
    }
}

impl ExpectFinished {
    /// RFC 8446, 4.4.4: the server's Finished ends its flight; then the
    /// application secrets (7.1), and our own flight: EndOfEarlyData (4.5), our
    /// Certificate and CertificateVerify if asked for, and Finished.
    pub(super) fn handle(
        self,
        out: &mut Output<'_>,
        fin: Finished,
        raw: &[u8],
    ) -> Result<ClientState13, Error> {
        let ExpectCertificate {
            base,
            suite,
            mut transcript,
            hs,
            client_hs,
            server_hs,
            cert_request,
            early_encrypter,
        } = self.inner;
        let expected = finished_verify_data(suite, &server_hs, transcript.current().as_ref());
        fin.check_len(expected.as_ref().len())?;
        if !constant_time_eq(expected.as_ref(), &fin.verify_data) {
            return Err(PeerMisbehaved::BadFinished { from_server: true }.into());
        }
        transcript.add(raw);
        out.record(Fact::SignatureScheme(self.server.scheme()));
        // draft-ietf-tls-esni, 6.1.6: a handshake authenticated for the public name
        // only ends here, with ech_required and the retry configurations, if any.
        if let Some(e) = base.ech.as_ref().filter(|e| e.rejected) {
            return Err(EchError::Rejected {
                public_name: e.sender.config().public_name.clone(),
                retry_configs: e.retry_configs.clone(),
            }
            .into());
        }

        let master: MasterSecret = hs.into_master();
        let (client_ap, server_ap) =
            crate::tls13::application_secrets(out, suite, &master, transcript.current().as_ref());
        out.install_decrypter(suite, &server_ap, Protection::Application)?;

        if let Some(early) = early_encrypter {
            send_end_of_early_data(out, suite, early, &client_hs, &mut transcript)?;
        }

        // Our Certificate, CertificateVerify and Finished go out as one flight.
        let mut flight = Flight::default();
        let mut remote = None;
        if let Some(schemes) = &cert_request {
            if let ClientCert::Remote(request) = add_client_certificate(
                out,
                &base.config,
                schemes,
                Vec::new(),
                &mut flight,
                &mut transcript,
            )? {
                remote = Some(request);
            }
        }
        let end = ClientFlightEnd {
            base,
            suite,
            transcript,
            flight,
            client_hs,
            client_ap,
            server_ap,
            master,
        };
        match remote {
            Some(request) => Ok(ClientState13::AwaitSignature(Box::new(AwaitSignature {
                end,
                operation: Operation::Sign(request),
            }))),
            None => end.send_finished(out),
        }
    }
}

/// Our Finished and what the connected state needs; kept while a remote key
/// signs our CertificateVerify.
pub(crate) struct ClientFlightEnd {
    base: HelloBase,
    suite: &'static Tls13CipherSuite,
    transcript: Transcript,
    flight: Flight,
    client_hs: TrafficSecret,
    client_ap: TrafficSecret,
    server_ap: TrafficSecret,
    master: MasterSecret,
}

impl core::fmt::Debug for ClientFlightEnd {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientFlightEnd")
            .field("suite", &self.suite.suite)
            .finish_non_exhaustive()
    }
}

impl ClientFlightEnd {
    /// Finished ends our flight (RFC 8446, 4.4.4); then application traffic.
    fn send_finished(self, out: &mut Output<'_>) -> Result<ClientState13, Error> {
        let ClientFlightEnd {
            base,
            suite,
            mut transcript,
            flight,
            client_hs,
            client_ap,
            server_ap,
            master,
        } = self;
        crate::tls13::send_finished(out, suite, &client_hs, flight, &mut transcript)?;
        // RFC 8446, 4.4: post-handshake authentication messages extend the
        // handshake transcript through our Finished; kept only if we offered it.
        let offered_post_handshake_auth = base.config.post_handshake_auth;
        out.record(Fact::PostHandshakeAuthOffered(offered_post_handshake_auth));
        let handshake_transcript = offered_post_handshake_auth.then(|| transcript.clone());
        let resumption = master.resumption_master_secret(transcript.finish().as_ref());

        out.install_encrypter(suite, &client_ap, Protection::Application)?;
        out.start_traffic(client_ap, server_ap)?;
        Ok(ClientState13::Connected(Box::new(Connected {
            config: base.config,
            server_name: base.server_name.to_str().into_owned(),
            suite,
            resumption,
            handshake_transcript,
        })))
    }
}

/// Paused until a remote key signs our CertificateVerify (`crate::pause`).
#[derive(Debug)]
pub(crate) struct AwaitSignature {
    end: ClientFlightEnd,
    pub(super) operation: Operation,
}

impl AwaitSignature {
    pub(super) fn resume(
        mut self: Box<Self>,
        out: &mut Output<'_>,
        completion: Completion,
    ) -> Result<ClientState13, Error> {
        let Operation::Sign(request) = &self.operation else {
            return Err(crate::error::ApiError::NoOperationPending.into());
        };
        let scheme = request.scheme;
        let signature = crate::pause::signature(completion, scheme)?;
        let end = &mut self.end;
        send_certificate_verify(out, scheme, signature, &mut end.flight, &mut end.transcript);
        self.end.send_finished(out)
    }
}

/// What [`add_client_certificate`] sent.
pub(super) enum ClientCert {
    /// An empty Certificate.
    Empty,
    /// Our Certificate and CertificateVerify.
    Signed,
    /// Our Certificate; a remote key must sign the CertificateVerify.
    Remote(SignRequest),
}

/// RFC 8446, 4.5: EndOfEarlyData, under the 0-RTT key, ends our early data; the
/// rest of our flight goes under the client handshake traffic secret.
fn send_end_of_early_data(
    out: &mut Output<'_>,
    suite: &'static Tls13CipherSuite,
    early: Box<dyn RecordEncrypter>,
    client_hs: &TrafficSecret,
    transcript: &mut Transcript,
) -> Result<(), Error> {
    out.set_encrypter(early, Protection::EarlyData);
    let eoed = HandshakeMessage::new(HandshakePayload::EndOfEarlyData);
    out.send_handshake(&eoed, transcript)?;
    out.install_encrypter(suite, client_hs, Protection::Handshake)
}

/// RFC 8446, 4.4.2 and 4.4.3: our certificate and its CertificateVerify when one is
/// configured and can sign with a scheme the server accepts; else an empty Certificate.
/// `context` echoes the CertificateRequest's (empty during the handshake). Returns
/// what was sent; with a remote key, the request to sign the CertificateVerify.
pub(super) fn add_client_certificate(
    out: &mut Output<'_>,
    config: &ClientConfig,
    schemes: &[SignatureScheme],
    context: Vec<u8>,
    flight: &mut Flight,
    transcript: &mut Transcript,
) -> Result<ClientCert, Error> {
    let Some((key, scheme)) = send_certificate(out, config, schemes, context, flight, transcript)
    else {
        return Ok(ClientCert::Empty);
    };
    if key.key.is_remote() {
        return Ok(ClientCert::Remote(SignRequest::new(
            key,
            scheme,
            certificate_verify_message(false, transcript.current().as_ref()),
        )));
    }
    let signature = sign_certificate_verify(key, scheme, transcript)?;
    send_certificate_verify(out, scheme, signature, flight, transcript);
    Ok(ClientCert::Signed)
}

/// RFC 8446, 4.4.2: our Certificate: the configured chain if its key can sign with
/// one of the server's `schemes`, else an empty list. Returns the key and scheme
/// our CertificateVerify signs with, when a chain was sent.
fn send_certificate<'c>(
    out: &Output<'_>,
    config: &'c ClientConfig,
    schemes: &[SignatureScheme],
    context: Vec<u8>,
    flight: &mut Flight,
    transcript: &mut Transcript,
) -> Option<(&'c CertifiedKey, SignatureScheme)> {
    let chosen = config
        .client_cert
        .as_deref()
        .and_then(|c| c.choose_scheme(schemes).map(|s| (c, s)));
    let entries = chosen
        .map(|(c, _)| {
            c.chain
                .iter()
                .map(|der| CertificateEntry {
                    cert: der.as_ref().to_vec(),
                    extensions: Vec::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let cert = HandshakeMessage::new(HandshakePayload::Certificate(Certificate13 {
        context,
        entries,
    }));
    out.add_to_flight(flight, &cert, transcript);
    chosen
}

/// RFC 8446, 4.4.3: the signature of our CertificateVerify, over the transcript
/// through our Certificate.
fn sign_certificate_verify(
    key: &CertifiedKey,
    scheme: SignatureScheme,
    transcript: &Transcript,
) -> Result<Vec<u8>, Error> {
    let signed = certificate_verify_message(false, transcript.current().as_ref());
    Ok(key.key.sign(scheme, &signed)?)
}

/// RFC 8446, 4.4.3: our CertificateVerify, carrying `signature` made with `scheme`
/// (see `sign_certificate_verify`).
fn send_certificate_verify(
    out: &mut Output<'_>,
    scheme: SignatureScheme,
    signature: Vec<u8>,
    flight: &mut Flight,
    transcript: &mut Transcript,
) {
    let cv = HandshakeMessage::new(HandshakePayload::CertificateVerify(CertificateVerify {
        scheme,
        signature,
    }));
    out.add_to_flight(flight, &cv, transcript);
    out.record(Fact::ClientAuth);
}
