//! RFC 5746 (TLS 1.2 renegotiation indication): the initial handshake (3.4, 3.6).

use ferrotls::msgs::enums::{AlertDescription as A, CipherSuite, ExtensionType};
use ferrotls::msgs::{ClientExtension, HandshakeMessage, HandshakePayload, ServerExtension};

use crate::pair::{edit_server_hello, split_records, Pair, Side};
use crate::peer::{
    before_hello_with, client, refused, same, send_hello, server, set_extension, without, Check,
    TLS12,
};

/// The TLS 1.2 client's first flight answered by a ServerHello whose
/// renegotiation_info is `value` (`None`: absent); the client must refuse it.
fn server_renegotiation_info_refused(value: Option<Vec<u8>>, text: &str) -> Check {
    let mut p = Pair::new(client().versions(TLS12), server());
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let mut flight = p.take(Side::Server);
    edit_server_hello(&mut flight, |sh| {
        sh.extensions
            .retain(|e| e.ext_type() != ExtensionType::RenegotiationInfo);
        if let Some(v) = value {
            sh.extensions.push(ServerExtension::RenegotiationInfo(v));
        }
    });
    let outcome = p.deliver(Side::Client, &flight);
    refused(&mut p, Side::Client, outcome, A::HandshakeFailure, text)
}

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

    /// RFC 5746, 3.6: the TLS_EMPTY_RENEGOTIATION_INFO_SCSV signals support as the
    /// extension does; "the server MUST include an empty "renegotiation_info"
    /// extension in the ServerHello message".
    "3.6", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV gets an empty renegotiation_info" =>
    fn renegotiation_scsv_gets_an_empty_renegotiation_info() {
        let (mut p, mut ch) = before_hello_with(client().versions(TLS12), server());
        without(&mut ch, ExtensionType::RenegotiationInfo);
        ch.cipher_suites.push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
        if let Err(e) = send_hello(&mut p, &ch) {
            return Err(format!("the server refused the ClientHello: {e}"));
        }
        let flight = p.take(Side::Server);
        let first = split_records(&flight).into_iter().next().ok_or("no answer")?;
        match HandshakeMessage::read_tls13(&first.payload).map(|m| m.payload) {
            Ok(HandshakePayload::ServerHello(sh)) => same(
                "renegotiation_info",
                sh.extensions.iter().any(|e| *e == ServerExtension::RenegotiationInfo(Vec::new())),
                true,
            ),
            other => Err(format!("not a ServerHello: {other:?}")),
        }
    }

    /// RFC 5746, 3.4: the client "MUST then verify that the length of the
    /// "renegotiated_connection" field is zero, and if it is not, MUST abort the
    /// handshake (by sending a fatal handshake_failure alert)."
    "3.4", "non-empty renegotiation_info in the ServerHello is handshake_failure" =>
    fn non_empty_server_renegotiation_info_is_handshake_failure() {
        server_renegotiation_info_refused(Some(vec![0x5a; 24]),
            "secure renegotiation (RFC 5746) check failed: the server's renegotiation_info is not empty on an initial handshake")
    }

    /// RFC 5746, 3.4 and 4.1: a client that requires secure renegotiation aborts a
    /// handshake with a server that does not signal it, with handshake_failure.
    "4.1", "ServerHello without renegotiation_info is handshake_failure" =>
    fn server_hello_without_renegotiation_info_is_handshake_failure() {
        server_renegotiation_info_refused(None,
            "secure renegotiation (RFC 5746) check failed: the server does not support secure renegotiation (no renegotiation_info)")
    }
}
