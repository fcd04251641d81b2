//! RFC 8446 (TLS 1.3): client authentication in the handshake: CertificateRequest
//! (4.3.2) and the client's Certificate (4.4.2, 4.4.2.4).

use ferrotls::msgs::enums::{AlertDescription as A, HandshakeType};
use ferrotls::msgs::HandshakePayload;
use ferrotls::server::ServerConfigBuilder;

use crate::pair::{Pair, Side};
use crate::peer::{client, edit_sealed_message, refused, same, server, verifier};

fn server_asking(optional: bool) -> Result<ServerConfigBuilder, String> {
    Ok(server().client_auth(verifier(optional)?))
}

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 4.4.2.4: "If the client does not send any certificates (i.e., it
    /// sends an empty Certificate message), the server MAY at its discretion either
    /// continue the handshake without client authentication or abort the handshake
    /// with a "certificate_required" alert." Where certificates are mandatory:
    "4.4.2.4", "empty client Certificate where one is required is certificate_required" =>
    fn empty_client_certificate_is_certificate_required() {
        let mut p = Pair::new(client(), server_asking(false)?);
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        p.transfer(Side::Server).map_err(|e| format!("server flight: {e}"))?;
        let flight = p.take(Side::Client);
        let outcome = p.deliver(Side::Server, &flight);
        refused(&mut p, Side::Server, outcome, A::CertificateRequired,
            "peer sent no certificate, but one is required")
    }

    /// RFC 8446, 4.4.2.4: where client certificates are optional, an empty
    /// Certificate continues the handshake.
    "4.4.2.4", "empty client Certificate where one is optional continues the handshake" =>
    fn empty_client_certificate_where_optional_continues() {
        let mut p = Pair::new(client(), server_asking(true)?);
        p.handshake().map_err(|(side, e)| format!("{side:?} failed: {e}"))?;
        same("client certificates", p.server.negotiated().peer_certificates.len(), 0)
    }

    /// RFC 8446, 4.3.2: "The "signature_algorithms" extension MUST be specified"
    /// in a CertificateRequest; one without it is refused (missing_extension,
    /// RFC 8446, 6.2).
    "4.3.2", "CertificateRequest without signature_algorithms is missing_extension" =>
    fn certificate_request_without_signature_algorithms_is_missing_extension() {
        let mut p = Pair::new(client(), server_asking(false)?);
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        p.edit_sealed(Side::Server, "SERVER_HANDSHAKE_TRAFFIC_SECRET", &mut flight, |pieces| {
            edit_sealed_message(pieces, HandshakeType::CertificateRequest, |payload| {
                if let HandshakePayload::CertificateRequest(cr) = payload {
                    cr.extensions.retain(|e| !matches!(e, ferrotls::msgs::CertReqExtension::SignatureAlgorithms(_)));
                }
            })
        });
        let outcome = p.deliver(Side::Client, &flight);
        refused(&mut p, Side::Client, outcome, A::MissingExtension,
            "peer's CertificateRequest lacks the required signature_algorithms extension")
    }

    /// RFC 8446, 4.3.2: certificate_request_context "SHALL be zero length unless
    /// used for the post-handshake authentication exchanges".
    "4.3.2", "in-handshake CertificateRequest with a context is illegal_parameter" =>
    fn certificate_request_with_a_context_is_illegal_parameter() {
        let mut p = Pair::new(client(), server_asking(false)?);
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        p.edit_sealed(Side::Server, "SERVER_HANDSHAKE_TRAFFIC_SECRET", &mut flight, |pieces| {
            edit_sealed_message(pieces, HandshakeType::CertificateRequest, |payload| {
                if let HandshakePayload::CertificateRequest(cr) = payload {
                    cr.context = vec![1, 2];
                }
            })
        });
        let outcome = p.deliver(Side::Client, &flight);
        refused(&mut p, Side::Client, outcome, A::IllegalParameter,
            "peer's CertificateRequest has an illegal certificate_request_context: must be empty during the handshake")
    }
}
