//! RFC 7627 (extended master secret) on the TLS 1.2 server.

use ferrotls::msgs::enums::{AlertDescription as A, ExtensionType};
use ferrotls::msgs::ClientExtension;

use crate::pair::Side;
use crate::peer::{
    before_hello_with, client, extension_body_offset, refused, send_hello, server, set_extension,
    without, TLS12,
};

rules! {
    rfc: "RFC 7627";

    /// RFC 7627, 5.2: a server that does not interoperate with clients lacking the
    /// extension "SHOULD abort the handshake"; ferrotls, when it requires the
    /// extended master secret, answers handshake_failure.
    "5.2", "ClientHello without extended_master_secret is handshake_failure where it is required" =>
    fn missing_extended_master_secret_is_handshake_failure() {
        let (mut p, mut ch) = before_hello_with(client().versions(TLS12), server().require_extended_master_secret(true));
        without(&mut ch, ExtensionType::ExtendedMasterSecret);
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::HandshakeFailure,
            "the client did not offer the TLS 1.2 extended master secret (RFC 7627), which this server is configured to require: without it a session is open to the triple-handshake attack")
    }

    /// RFC 7627, 5.1: "The "extension_data" field of this extension is empty." A
    /// body is malformed (decode_error).
    "5.1", "extended_master_secret with a body is decode_error" =>
    fn extended_master_secret_with_a_body_is_decode_error() {
        let (mut p, mut ch) = before_hello_with(client().versions(TLS12), server());
        let typ = ExtensionType::ExtendedMasterSecret;
        set_extension(&mut ch, ClientExtension::Unknown { typ, data: vec![0] });
        let at = extension_body_offset(&ch, typ);
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field extended_master_secret at byte {at}: 1 unexpected byte(s) after the end"))
    }
}
