//! RFC 7627 (extended master secret) on the TLS 1.2 client.

use ferrotls::msgs::enums::{AlertDescription as A, ExtensionType};

use crate::rfc5246_more::{client12, edit_first, server_flight_refused_with};

rules! {
    rfc: "RFC 7627";

    /// RFC 7627, 5.2: a client that does not interoperate with servers lacking the
    /// extension "MAY abort the handshake"; ferrotls, configured to require it,
    /// answers handshake_failure.
    "5.2", "ServerHello without extended_master_secret is handshake_failure where the client requires it" =>
    fn server_without_extended_master_secret_is_handshake_failure() {
        server_flight_refused_with(client12().require_extended_master_secret(true),
            |r| edit_first(r, |sh| sh.extensions.retain(|e| e.ext_type() != ExtensionType::ExtendedMasterSecret)),
            A::HandshakeFailure, "the server did not negotiate the TLS 1.2 extended master secret (RFC 7627), which this client is configured to require: without it a session is open to the triple-handshake attack")
    }
}
