//! After the handshake (RFC 8446, 4.6): NewSessionTicket, and CertificateRequest
//! for post-handshake authentication.

use std::sync::Arc;

use super::*;

/// The handshake is complete; only post-handshake messages remain (RFC 8446, 4.6).
#[derive(Debug)]
pub(crate) struct Connected {
    pub(super) config: Arc<ClientConfig>,
    pub(super) server_name: String,
    pub(super) suite: &'static Tls13CipherSuite,
    pub(super) resumption: crate::crypto::Secret,
    /// The handshake transcript through our Finished, when we offered
    /// post_handshake_auth: each post-handshake authentication extends it.
    pub(super) handshake_transcript: Option<Transcript>,
}

/// RFC 8446, 4.6.1: tickets may not be used for more than seven days.
pub(super) const MAX_TICKET_LIFETIME: u32 = 7 * 24 * 3600;

impl Connected {
    /// RFC 8446, 4.6.2: answers a post-handshake CertificateRequest with Certificate
    /// (echoing its context), CertificateVerify if we have a certificate the server
    /// accepts, and Finished, in one flight. Each answer covers the handshake
    /// transcript plus its own messages; the Finished key comes from our current
    /// application traffic secret (RFC 8446, 4.4).
    pub(super) fn answer_certificate_request(
        &self,
        out: &mut Output<'_>,
        cr: crate::msgs::CertificateRequest13,
        raw: &[u8],
    ) -> Result<(), Error> {
        // RFC 8446, 4.6.2: a request we did not allow is unexpected_message.
        let Some(handshake) = &self.handshake_transcript else {
            return Err(Error::UnexpectedMessage {
                state: "Connected",
                got: "CertificateRequest",
            });
        };
        // RFC 8446, 4.3.2: only the handshake's request has an empty context.
        if cr.context.is_empty() {
            return Err(illegal(
                "CertificateRequest",
                "certificate_request_context",
                "must not be empty after the handshake",
            ));
        }
        let schemes = cr
            .signature_algorithms()
            .ok_or(PeerMisbehaved::MissingExtension {
                message: "CertificateRequest",
                extension: "signature_algorithms",
            })?;
        out.record(Fact::PostHandshakeAuthRequest);
        // RFC 8446, 6.1: nothing follows our close_notify, not even an answer.
        if out.close_notify_sent() {
            return Ok(());
        }
        let mut transcript = handshake.clone();
        transcript.add(raw);
        let mut flight = Flight::default();
        let with_certificate = match add_client_certificate(
            out,
            &self.config,
            schemes,
            cr.context.clone(),
            &mut flight,
            &mut transcript,
        )? {
            ClientCert::Empty => false,
            ClientCert::Signed => true,
            // Post-handshake answers are sent while records are read: they cannot
            // wait for a remote key.
            ClientCert::Remote(request) => {
                return Err(crate::error::CryptoError::RemoteSigningFailed {
                    scheme: crate::crypto::sign::SigningKey::scheme_name(request.scheme),
                    reason: "a post-handshake CertificateRequest cannot wait for a remote key"
                        .into(),
                }
                .into())
            }
        };
        let base_key = out.send_traffic_secret().ok_or(Error::UnexpectedMessage {
            state: "Connected",
            got: "CertificateRequest",
        })?;
        let base_key = base_key.clone();
        crate::tls13::send_finished(out, self.suite, &base_key, flight, &mut transcript)?;
        out.record(Fact::PostHandshakeAuthAnswered {
            authenticated: with_certificate,
        });
        Ok(())
    }

    /// Stores a NewSessionTicket with its PSK for a later resumption (RFC 8446, 4.6.1).
    pub(super) fn store_ticket(
        &self,
        out: &mut Output<'_>,
        t: NewSessionTicket13,
    ) -> Result<(), Error> {
        if t.lifetime > MAX_TICKET_LIFETIME {
            return Err(illegal(
                "NewSessionTicket",
                "ticket_lifetime",
                "exceeds seven days",
            ));
        }
        out.record(Fact::TicketReceived);
        // Lifetime zero: discard at once (RFC 8446, 4.6.1). A ticket too long to be
        // sent back in a ClientHello (see MAX_TICKET_LEN) is of no use: not kept.
        if t.lifetime == 0 || t.ticket.len() > MAX_TICKET_LEN {
            return Ok(());
        }
        let psk = resumption_psk(self.suite, &self.resumption, &t.nonce);
        self.config.session_store.insert_tls13_ticket(
            &self.server_name,
            Tls13Ticket {
                max_early_data: t.max_early_data(),
                ticket: t.ticket,
                psk,
                suite: self.suite.suite,
                lifetime: t.lifetime,
                age_add: t.age_add,
                received_at: self.config.provider.time.now(),
                alpn: out.negotiated().alpn.clone(),
            },
        );
        Ok(())
    }
}
