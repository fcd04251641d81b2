//! RFC 7301 (ALPN): the protocol lists (3.1) and the server's choice (3.2).

use ferrotls::msgs::enums::{AlertDescription as A, ExtensionType, HandshakeType};
use ferrotls::msgs::{ClientExtension, HandshakePayload, ServerExtension};

use crate::pair::Side;
use crate::peer::{
    before_hello_with, client, edit_sealed_message, extension_body_offset, refused,
    send_edited_server_flight, send_hello, server, set_extension,
};

rules! {
    rfc: "RFC 7301";

    /// RFC 7301, 3.2: "In the event that the server supports no protocols that the
    /// client advertises, then the server SHALL respond with a fatal
    /// "no_application_protocol" alert."
    "3.2", "no protocol in common is no_application_protocol" =>
    fn no_common_protocol_is_no_application_protocol() {
        let (mut p, mut ch) = before_hello_with(client(), server().alpn(vec![b"h2".to_vec()]));
        set_extension(&mut ch, ClientExtension::Alpn(vec![b"spdy/3".to_vec(), b"imap".to_vec()]));
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::NoApplicationProtocol,
            "no application protocol (ALPN) in common: the client offered spdy/3, imap; the server supports h2")
    }

    /// RFC 7301, 3.1: `opaque ProtocolName<1..2^8-1>`: an empty name is malformed
    /// (decode_error).
    "3.1", "empty protocol name is decode_error" =>
    fn empty_protocol_name_is_decode_error() {
        let (mut p, mut ch) = before_hello_with(client(), server());
        let typ = ExtensionType::ApplicationLayerProtocolNegotiation;
        set_extension(&mut ch, ClientExtension::Unknown { typ, data: vec![0, 4, 2, b'h', b'2', 0] });
        let at = extension_body_offset(&ch, typ) + 2 + 3 + 1;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field protocol_name at byte {at}: must not be empty"))
    }

    /// RFC 7301, 3.2: the server's answer is one of the client's protocols; the
    /// client refuses another with illegal_parameter (RFC 8446, 6.2: "A field in the
    /// handshake was incorrect").
    "3.2", "server selecting a protocol the client did not offer is illegal_parameter" =>
    fn unoffered_protocol_answer_is_illegal_parameter() {
        let (mut p, outcome) = send_edited_server_flight(client().alpn(vec![b"h2".to_vec()]), |pieces| {
            edit_sealed_message(pieces, HandshakeType::EncryptedExtensions, |payload| {
                if let HandshakePayload::EncryptedExtensions(ee) = payload {
                    ee.extensions.insert(0, ServerExtension::Alpn(b"spdy/1".to_vec()));
                }
            })
        })?;
        refused(&mut p, Side::Client, outcome, A::IllegalParameter,
            "the server selected ALPN protocol spdy/1, which the client did not offer")
    }
}
