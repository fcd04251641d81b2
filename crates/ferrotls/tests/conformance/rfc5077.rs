//! RFC 5077 (TLS 1.2 session tickets): the ticket the client sends (3.4) and the
//! server's answers (3.2, 3.3).

use ferrotls::msgs::enums::{AlertDescription as A, HandshakeType};
use ferrotls::msgs::{ClientExtension, ServerExtension};

use crate::peer::{answered_hello, before_hello_with, message, send_hello, server, set_extension};
use crate::rfc5246_more::{at, client12, edit_first, hs, server_flight_refused_with};

rules! {
    rfc: "RFC 5077";

    /// RFC 5077, 3.4: "If the server cannot or does not want to honor the ticket,
    /// then it can initiate a full handshake with the client." A ticket of bytes
    /// the server never issued gets a full handshake, not an error.
    "3.4", "unknown session ticket gets a full handshake" =>
    fn unknown_ticket_gets_a_full_handshake() {
        let (mut p, mut ch) = before_hello_with(client12(), server());
        set_extension(&mut ch, ClientExtension::SessionTicket(vec![0x42; 200]));
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 5077, 3.2 with RFC 5246, 7.4.1.4: the server's empty SessionTicket
    /// extension answers the client's; a client that sent none aborts with
    /// unsupported_extension.
    "3.2", "unrequested SessionTicket answer is unsupported_extension" =>
    fn unrequested_ticket_answer_is_unsupported_extension() {
        server_flight_refused_with(client12().session_tickets(false),
            |r| edit_first(r, |sh| sh.extensions.push(ServerExtension::SessionTicketAck)),
            A::UnsupportedExtension, "peer's ServerHello contains the session_ticket extension, which was not requested")
    }

    /// RFC 5077, 3.3: "This message [NewSessionTicket] MUST NOT be sent if the
    /// server did not include a SessionTicket extension in the ServerHello." One
    /// in the server's first flight is out of order.
    "3.3", "NewSessionTicket without the extension is unexpected_message" =>
    fn new_session_ticket_without_the_extension_is_unexpected_message() {
        server_flight_refused_with(client12().session_tickets(false), |r| {
            let i = at(r, HandshakeType::ServerHelloDone);
            r.insert(i, hs(&message(HandshakeType::NewSessionTicket, &[0, 0, 0, 1, 0, 2, 1, 2])));
        }, A::UnexpectedMessage, "peer sent NewSessionTicket while the handshake was in state TLS 1.2 ExpectServerHelloDone, which does not accept it")
    }
}
