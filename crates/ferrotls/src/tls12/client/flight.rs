//! Our flight after the server's ServerHelloDone (RFC 5246, 7.4.6 to 7.4.9):
//! [Certificate], ClientKeyExchange, [CertificateVerify], ChangeCipherSpec and
//! Finished; with a remote key, paused before the CertificateVerify.

use super::*;

#[derive(Debug)]
pub(crate) struct ExpectServerHelloDone {
    pub(super) hs: Handshake,
    pub(super) spki: Vec<u8>,
    pub(super) server: ServerProof12,
    pub(super) ecdhe: Option<ServerKeyExchangeEcdhe>,
    /// The signature schemes of the server's CertificateRequest, if it sent one.
    pub(super) cert_requested: Option<Vec<SignatureScheme>>,
}

impl ExpectServerHelloDone {
    /// Sends our flight: [Certificate], ClientKeyExchange, ChangeCipherSpec, Finished.
    pub(super) fn handle(
        mut self,
        out: &mut Output<'_>,
        raw: &[u8],
    ) -> Result<ClientState12, Error> {
        self.hs.record(raw);
        // RFC 5246, 7.4.6: our chain if one is configured and can sign with a scheme
        // the server accepts; otherwise an empty list.
        let client_key = self.cert_requested.as_ref().and_then(|schemes| {
            let ck = self.hs.config.client_cert.clone()?;
            let scheme = ck
                .key
                .tls12_schemes()
                .iter()
                .copied()
                .find(|s| schemes.contains(s))?;
            Some((ck, scheme))
        });
        if self.cert_requested.is_some() {
            let certs = client_key
                .as_ref()
                .map(|(ck, _)| ck.chain.iter().map(|c| c.as_ref().to_vec()).collect())
                .unwrap_or_default();
            self.hs.send(
                out,
                HandshakePayload12::Certificate(Certificate12 { certs }),
            )?;
        }
        let (cke, pre_master) = match &self.ecdhe {
            Some(ske) => {
                let (point, pms) = kx12::ecdhe_respond(ske.group, &ske.public)?;
                out.record(Fact::Group(ske.group));
                (ClientKeyExchange::ecdhe(&point), pms)
            }
            None => {
                // RFC 5246, 7.4.7.1: the version we offered, not the negotiated one.
                let pms = rsa_kx::new_pre_master(
                    ProtocolVersion::TLSv1_2,
                    self.hs.config.provider.random.as_ref(),
                )?;
                let encrypted = rsa_kx::encrypt_pre_master(&self.spki, pms.as_bytes())?;
                (ClientKeyExchange::rsa(&encrypted), pms)
            }
        };
        self.hs
            .send(out, HandshakePayload12::ClientKeyExchange(cke))?;
        // The extended master secret covers the messages up to ClientKeyExchange.
        let master = self.hs.master_secret(pre_master.as_bytes());
        // The message log ends here: with a client certificate configured it was kept
        // from the ClientHello on.
        let messages = self.hs.messages.take().unwrap_or_default();
        let mut flight = ClientFlight {
            hs: self.hs,
            master,
            server: self.server,
        };
        if let Some((ck, scheme)) = client_key {
            // RFC 5246, 7.4.8: a signature over every handshake message so far.
            if ck.key.is_remote() {
                let operation = Operation::Sign(SignRequest::new(&ck, scheme, messages));
                return Ok(ClientState12::AwaitSignature(Box::new(AwaitSignature {
                    flight,
                    operation,
                })));
            }
            let signature = ck.key.sign(scheme, &messages)?;
            flight.send_certificate_verify(out, scheme, signature)?;
        }
        flight.send_finished(out)
    }
}

/// Our flight after ClientKeyExchange: what CertificateVerify and Finished need.
#[derive(Debug)]
pub(crate) struct ClientFlight {
    hs: Handshake,
    master: MasterSecret,
    server: ServerProof12,
}

impl ClientFlight {
    /// RFC 5246, 7.4.8: our CertificateVerify, the signature its input.
    fn send_certificate_verify(
        &mut self,
        out: &mut Output<'_>,
        scheme: SignatureScheme,
        signature: Vec<u8>,
    ) -> Result<(), Error> {
        self.hs.send(
            out,
            HandshakePayload12::CertificateVerify(crate::msgs::CertificateVerify {
                scheme,
                signature,
            }),
        )?;
        out.record(Fact::ClientAuth);
        Ok(())
    }

    /// RFC 5246, 7.4.9: ChangeCipherSpec and Finished end our flight.
    fn send_finished(self, out: &mut Output<'_>) -> Result<ClientState12, Error> {
        let ClientFlight {
            mut hs,
            master,
            server,
        } = self;
        out.log_secret("CLIENT_RANDOM", master.as_bytes());
        let (encrypter, decrypter) = hs.keys(&master, true, hs.config.provider.random.clone())?;
        out.send_ccs();
        out.set_encrypter(encrypter, Protection::Handshake);
        let verify_data = hs.finished(&master, prf::CLIENT_FINISHED);
        hs.send(
            out,
            HandshakePayload12::Finished(Finished {
                verify_data: verify_data.as_bytes().to_vec(),
            }),
        )?;
        let ccs = Box::new(ExpectCcs {
            hs,
            master,
            encrypter: None,
            decrypter,
            new_ticket: None,
            old_ticket: None,
            server,
        });
        Ok(if ccs.hs.ticket_acked {
            ClientState12::ExpectNewTicket(ccs)
        } else {
            ClientState12::ExpectCcs(ccs)
        })
    }
}

/// Paused until a remote key signs our CertificateVerify (`crate::pause`).
#[derive(Debug)]
pub(crate) struct AwaitSignature {
    flight: ClientFlight,
    pub(super) operation: Operation,
}

impl AwaitSignature {
    pub(super) fn resume(
        self: Box<Self>,
        out: &mut Output<'_>,
        completion: Completion,
    ) -> Result<ClientState12, Error> {
        let AwaitSignature {
            mut flight,
            operation,
        } = *self;
        let Operation::Sign(request) = operation else {
            return Err(crate::error::ApiError::NoOperationPending.into());
        };
        let signature = crate::pause::signature(completion, request.scheme)?;
        flight.send_certificate_verify(out, request.scheme, signature)?;
        flight.send_finished(out)
    }
}
