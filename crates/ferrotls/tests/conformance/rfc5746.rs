//! RFC 5746 (TLS 1.2 renegotiation indication): the initial handshake (3.6).

use ferrotls::msgs::enums::AlertDescription as A;
use ferrotls::msgs::ClientExtension;

use crate::pair::Side;
use crate::peer::{before_hello_with, client, refused, send_hello, server, set_extension, TLS12};

rules! {
    rfc: "RFC 5746";

    /// RFC 5746, 3.6: the server "MUST then verify that the length of the
    /// "renegotiated_connection" field is zero, and if it is not, MUST abort the
    /// handshake", where 3.4 defines "abort the handshake" as sending a fatal
    /// handshake_failure alert.
    "3.6", "non-empty renegotiation_info in an initial ClientHello is handshake_failure" =>
    fn non_empty_renegotiation_info_is_handshake_failure() {
        let (mut p, mut ch) = before_hello_with(client().versions(TLS12), server());
        set_extension(&mut ch, ClientExtension::RenegotiationInfo(vec![0x5a; 12]));
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::HandshakeFailure,
            "secure renegotiation (RFC 5746) check failed: the client's renegotiation_info is not empty on an initial handshake")
    }
}
