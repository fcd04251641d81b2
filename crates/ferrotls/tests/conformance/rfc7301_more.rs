//! RFC 7301 (ALPN), more rules: list syntax (3.1), the server's choice (3.2) in
//! TLS 1.3 and TLS 1.2.

use ferrotls::msgs::enums::{AlertDescription as A, ExtensionType, HandshakeType};
use ferrotls::msgs::{ClientExtension, HandshakePayload, ServerExtension};

use crate::pair::{Pair, Side};
use crate::peer::{
    before_hello_with, client, edit_sealed_message, extension_body_offset, refused, same,
    send_edited_server_flight, send_hello, server, set_extension,
};
use crate::rfc5246_more::{client12, edit_first, server_flight_refused_with};

fn h2() -> Vec<Vec<u8>> {
    vec![b"h2".to_vec()]
}

rules! {
    rfc: "RFC 7301";

    /// RFC 7301, 3.1: `ProtocolName protocol_name_list<2..2^16-1>`: an empty list
    /// is out of range (decode_error).
    "3.1", "empty protocol_name_list is decode_error" =>
    fn empty_protocol_name_list_is_decode_error() {
        let (mut p, mut ch) = before_hello_with(client(), server());
        let typ = ExtensionType::ApplicationLayerProtocolNegotiation;
        set_extension(&mut ch, ClientExtension::Unknown { typ, data: vec![0, 0] });
        let at = extension_body_offset(&ch, typ) + 2;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field protocol_name_list at byte {at}: must not be empty"))
    }

    /// RFC 7301, 3.2: "It is expected that a server will have a list of protocols
    /// that it supports, in preference order, and will only select a protocol if
    /// the client supports it": the server's first choice wins over the client's
    /// order.
    "3.2", "the server's preference decides the protocol" =>
    fn server_preference_decides() {
        let mut p = Pair::new(client().alpn(vec![b"http/1.1".to_vec(), b"h2".to_vec()]),
            server().alpn(vec![b"h2".to_vec(), b"http/1.1".to_vec()]));
        p.handshake().map_err(|(s, e)| format!("{s:?}: {e}"))?;
        same("client's protocol", p.client.negotiated().alpn.clone(), Some(b"h2".to_vec()))?;
        same("server's protocol", p.server.negotiated().alpn.clone(), Some(b"h2".to_vec()))
    }

    /// RFC 7301, 3.1: the server's `ProtocolNameList` "MUST contain exactly one
    /// "ProtocolName"", and names are `<1..2^8-1>`: an empty name in
    /// EncryptedExtensions is malformed.
    "3.1", "empty protocol name from the server is decode_error" =>
    fn empty_server_protocol_name_is_decode_error() {
        let (mut p, outcome) = send_edited_server_flight(client().alpn(h2()), |pieces| {
            edit_sealed_message(pieces, HandshakeType::EncryptedExtensions, |payload| {
                if let HandshakePayload::EncryptedExtensions(ee) = payload {
                    ee.extensions.push(ServerExtension::Alpn(Vec::new()));
                }
            })
        })?;
        refused(&mut p, Side::Client, outcome, A::DecodeError, "peer sent a malformed EncryptedExtensions: field protocol_name at byte 17: must not be empty")
    }

    /// RFC 7301, 3.2: "the server SHALL respond with a fatal
    /// "no_application_protocol" alert", in TLS 1.2 too.
    "3.2", "TLS 1.2 no protocol in common is no_application_protocol" =>
    fn tls12_no_common_protocol_is_no_application_protocol() {
        let (mut p, mut ch) = before_hello_with(client12(), server().alpn(h2()));
        set_extension(&mut ch, ClientExtension::Alpn(vec![b"imap".to_vec()]));
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::NoApplicationProtocol, "no application protocol (ALPN) in common: the client offered imap; the server supports h2")
    }

    /// RFC 7301, 3.2: in TLS 1.2 the answer is in the ServerHello; a protocol the
    /// client did not offer is refused (illegal_parameter).
    "3.2", "TLS 1.2 server selecting an unoffered protocol is illegal_parameter" =>
    fn tls12_unoffered_protocol_is_illegal_parameter() {
        server_flight_refused_with(client12().alpn(h2()), |r| edit_first(r, |sh| {
            sh.extensions.retain(|e| !matches!(e, ServerExtension::Alpn(_)));
            sh.extensions.push(ServerExtension::Alpn(b"spdy/1".to_vec()));
        }), A::IllegalParameter, "the server selected ALPN protocol spdy/1, which the client did not offer")
    }
}
