//! RFC 5077 (TLS 1.2 session tickets) with a hostile peer: the SessionTicket
//! extension (3.2), NewSessionTicket (3.3) and resumption with a ticket (3.4).

use ferrotls::client::{ClientConfigBuilder, ClientSessionStore};
use ferrotls::msgs::enums::{AlertDescription as A, ContentType, ExtensionType, HandshakeType};
use ferrotls::msgs::{ClientExtension, ServerExtension};

use crate::pair::{
    client_hello_of, edit_server_hello, join_records, plain_record, split_records, Hello12, Keys12,
    Pair, Side, SERVER_NAME,
};
use crate::peer::{client, ensure, message, refused12, same, Check, TLS12};
use crate::rfc8446_psk::Tickets;

/// A TLS 1.2 client sharing `t`'s ticket store; `tickets` says whether it asks
/// for tickets.
fn client12(t: &Tickets, tickets: bool) -> ClientConfigBuilder {
    client()
        .versions(TLS12)
        .session_tickets(tickets)
        .session_store(t.store.clone())
}

/// A full TLS 1.2 handshake that leaves a session (with a ticket) in `t`'s store.
fn prime(t: &Tickets) -> Check {
    let mut p = Pair::new(client12(t, true), t.server());
    p.handshake12()
        .map_err(|(side, e)| format!("first handshake: {side:?}: {e}"))?;
    Ok(())
}

/// Changes the ticket of the stored TLS 1.2 session.
fn edit_stored_ticket(t: &Tickets, edit: impl FnOnce(&mut Vec<u8>)) -> Check {
    let mut s = t
        .store
        .take_tls12_session(SERVER_NAME)
        .ok_or("no TLS 1.2 session stored")?;
    ensure(!s.ticket.is_empty(), || {
        "the stored session has no ticket".into()
    })?;
    edit(&mut s.ticket);
    t.store.insert_tls12_session(SERVER_NAME, s);
    Ok(())
}

/// Runs a TLS 1.2 handshake from `t`'s store; returns the pair and the first
/// ServerHello.
fn handshake(t: &Tickets) -> Result<(Pair, Hello12), String> {
    let mut p = Pair::new(client12(t, true), t.server());
    let hello = p
        .handshake12()
        .map_err(|(side, e)| format!("handshake: {side:?}: {e}"))?;
    Ok((p, hello))
}

/// Runs a full TLS 1.2 handshake up to the server's last flight ([NewSessionTicket],
/// ChangeCipherSpec, Finished), lets `edit` change its records and delivers it to
/// the client. Returns the pair, the client's keys and the outcome.
fn last_flight_edited(
    client_tickets: bool,
    server_tickets: bool,
    edit: impl FnOnce(&mut Vec<ferrotls::record::OpaqueRecord>),
) -> Result<
    (
        Pair,
        Keys12,
        Result<ferrotls::conn::IoState, ferrotls::Error>,
    ),
    String,
> {
    let t = Tickets::new();
    let mut p = Pair::new(
        client12(&t, client_tickets),
        t.server().session_tickets(server_tickets),
    );
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let flight = p.take(Side::Server);
    let hello = Hello12::of(&flight);
    p.deliver(Side::Client, &flight)
        .map_err(|e| format!("server flight: {e}"))?;
    p.transfer(Side::Client)
        .map_err(|e| format!("client flight: {e}"))?;
    let keys = Keys12::from_log(&p.client_keys, &hello);
    let mut records = split_records(&p.take(Side::Server));
    edit(&mut records);
    let outcome = p.deliver(Side::Client, &join_records(&records));
    Ok((p, keys, outcome))
}

/// A NewSessionTicket record (lifetime hint an hour, 32 ticket bytes).
fn ticket_record() -> ferrotls::record::OpaqueRecord {
    let mut body = 3600u32.to_be_bytes().to_vec();
    body.extend_from_slice(&[0, 32]);
    body.extend_from_slice(&[0x5c; 32]);
    split_records(&plain_record(
        ContentType::Handshake,
        &message(HandshakeType::NewSessionTicket, &body),
    ))
    .remove(0)
}

/// Inserts a NewSessionTicket before the ChangeCipherSpec of the last flight.
fn insert_ticket(records: &mut Vec<ferrotls::record::OpaqueRecord>) {
    let at = records
        .iter()
        .position(|r| r.typ == ContentType::ChangeCipherSpec)
        .unwrap_or(0);
    records.insert(at, ticket_record());
}

rules! {
    rfc: "RFC 5077";

    /// RFC 5077, 3.2: "The server uses a zero-length SessionTicket extension to
    /// indicate to the client that it will send a new session ticket"; without
    /// the extension in the ClientHello it MUST NOT. A NewSessionTicket to a client
    /// that did not ask is unexpected_message.
    "3.2", "NewSessionTicket to a client that did not ask for one is unexpected_message" =>
    fn ticket_not_asked_for_is_unexpected_message() {
        let (mut p, keys, outcome) = last_flight_edited(false, true, insert_ticket)?;
        refused12(&mut p, Side::Client, Some(&keys), outcome, A::UnexpectedMessage,
            "peer sent NewSessionTicket while waiting for the peer's ChangeCipherSpec (TLS 1.2)")
    }

    /// RFC 5077, 3.3: "This message MUST NOT be sent if the server did not include
    /// a SessionTicket extension in the ServerHello."
    "3.3", "NewSessionTicket without the ServerHello's SessionTicket is unexpected_message" =>
    fn ticket_not_announced_is_unexpected_message() {
        let (mut p, keys, outcome) = last_flight_edited(true, false, insert_ticket)?;
        refused12(&mut p, Side::Client, Some(&keys), outcome, A::UnexpectedMessage,
            "peer sent NewSessionTicket while waiting for the peer's ChangeCipherSpec (TLS 1.2)")
    }

    /// RFC 5077, 3.3: "If the server successfully verifies the client's ticket,
    /// then it MAY renew the ticket by including a NewSessionTicket"; after a
    /// SessionTicket in the ServerHello the message "MUST be sent": a
    /// ChangeCipherSpec in its place is unexpected_message.
    "3.3", "announced NewSessionTicket missing is unexpected_message" =>
    fn announced_ticket_missing_is_unexpected_message() {
        let (mut p, keys, outcome) = last_flight_edited(true, true, |records| {
            records.retain(|r| !(r.typ == ContentType::Handshake && r.payload.first() == Some(&HandshakeType::NewSessionTicket.to_wire())));
        })?;
        refused12(&mut p, Side::Client, Some(&keys), outcome, A::UnexpectedMessage,
            "peer sent ChangeCipherSpec while waiting for the server's NewSessionTicket (TLS 1.2)")
    }

    /// RFC 5077, 3.2: "If the client possesses a ticket [...] Otherwise, it
    /// includes a zero-length SessionTicket extension": the server answers it with
    /// an empty SessionTicket and a NewSessionTicket.
    "3.2", "empty SessionTicket extension gets a ticket" =>
    fn empty_session_ticket_gets_a_ticket() {
        let t = Tickets::new();
        let mut p = Pair::new(client12(&t, true), t.server());
        let (flight, ch) = client_hello_of(&mut p.client);
        ensure(ch.extensions.contains(&ClientExtension::SessionTicket(Vec::new())), || "no empty SessionTicket offered".into())?;
        p.deliver(Side::Server, &flight).map_err(|e| format!("refused: {e}"))?;
        let hello = Hello12::of(&p.take(Side::Server));
        ensure(hello.extensions.contains(&ServerExtension::SessionTicketAck), || "no SessionTicket in the ServerHello".into())?;
        prime(&t)?;
        let s = t.store.take_tls12_session(SERVER_NAME).ok_or("no session")?;
        ensure(!s.ticket.is_empty(), || "no ticket stored".into())
    }

    /// RFC 5077, 3.2: a server that does not do tickets ignores the extension: no
    /// SessionTicket in its ServerHello, a full handshake.
    "3.2", "server without tickets ignores the SessionTicket extension" =>
    fn server_without_tickets_ignores_the_extension() {
        let t = Tickets::new();
        let mut p = Pair::new(client12(&t, true), t.server().session_tickets(false));
        let hello = p.handshake12().map_err(|(s, e)| format!("{s:?}: {e}"))?;
        ensure(!hello.extensions.contains(&ServerExtension::SessionTicketAck), || "the server acknowledged tickets".into())
    }

    /// RFC 5077, 3.4: a valid ticket resumes: an abbreviated handshake.
    "3.4", "valid ticket resumes the session" =>
    fn valid_ticket_resumes() {
        let t = Tickets::new();
        prime(&t)?;
        let (p, _) = handshake(&t)?;
        same("resumed", p.server.negotiated().resumed, true)
    }

    /// RFC 5077, 3.4: "If the server accepts the ticket and the Session ID is not
    /// empty, then it MUST respond with the same Session ID present in the
    /// ClientHello."
    "3.4", "resuming with a ticket echoes the ClientHello's session ID" =>
    fn ticket_resumption_echoes_the_session_id() {
        let t = Tickets::new();
        prime(&t)?;
        let mut p = Pair::new(client12(&t, true), t.server());
        let (flight, ch) = client_hello_of(&mut p.client);
        ensure(!ch.session_id.is_empty(), || "the client sent no session ID with its ticket".into())?;
        p.deliver(Side::Server, &flight).map_err(|e| format!("refused: {e}"))?;
        let hello = Hello12::of(&p.take(Side::Server));
        same("resumed", p.server.negotiated().resumed, true)?;
        same("session ID", hello.session_id, ch.session_id)
    }

    /// RFC 5077, 3.4: "If the server cannot or does not want to honor the ticket,
    /// then it can initiate a full handshake with the client." A ticket with one
    /// byte changed fails its integrity check: a full handshake, no alert.
    "3.4", "modified ticket gets a full handshake, not an alert" =>
    fn modified_ticket_gets_a_full_handshake() {
        let t = Tickets::new();
        prime(&t)?;
        edit_stored_ticket(&t, |ticket| { let last = ticket.len() - 1; ticket[last] ^= 1; })?;
        let (p, _) = handshake(&t)?;
        same("resumed", p.server.negotiated().resumed, false)
    }

    /// RFC 5077, 3.4: a ticket that is not one of ours at all (random bytes) gets a
    /// full handshake too.
    "3.4", "foreign ticket gets a full handshake, not an alert" =>
    fn foreign_ticket_gets_a_full_handshake() {
        let t = Tickets::new();
        prime(&t)?;
        edit_stored_ticket(&t, |ticket| *ticket = vec![0x3c; 100])?;
        let (p, _) = handshake(&t)?;
        same("resumed", p.server.negotiated().resumed, false)
    }

    /// RFC 5077, 3.4: a truncated ticket (too short to hold a session) gets a full
    /// handshake.
    "3.4", "truncated ticket gets a full handshake, not an alert" =>
    fn truncated_ticket_gets_a_full_handshake() {
        let t = Tickets::new();
        prime(&t)?;
        edit_stored_ticket(&t, |ticket| ticket.truncate(5))?;
        let (p, _) = handshake(&t)?;
        same("resumed", p.server.negotiated().resumed, false)
    }

    /// RFC 5077, 3.2: the server's SessionTicket extension is zero-length ("The
    /// server uses a zero-length SessionTicket extension"); one with content is
    /// malformed.
    "3.2", "ServerHello SessionTicket with content is decode_error" =>
    fn server_session_ticket_with_content_is_decode_error() {
        let t = Tickets::new();
        let mut p = Pair::new(client12(&t, true), t.server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        let mut at = 0;
        edit_server_hello(&mut flight, |sh| {
            sh.extensions.retain(|e| *e != ServerExtension::SessionTicketAck);
            sh.extensions.push(ServerExtension::Unknown { typ: ExtensionType::SessionTicket, data: vec![1] });
            // The last extension's body: its last byte in the encoded message.
            at = ferrotls::msgs::HandshakeMessage::new(ferrotls::msgs::HandshakePayload::ServerHello(sh.clone())).to_bytes().len() - 1;
        });
        let outcome = p.deliver(Side::Client, &flight);
        refused12(&mut p, Side::Client, None, outcome, A::DecodeError, &format!(
            "peer sent a malformed ServerHello: field session_ticket at byte {at}: 1 unexpected byte(s) after the end"))
    }

    /// RFC 5077, 3.2: the server sends SessionTicket only in answer to the client's
    /// ("The server uses a zero-length SessionTicket extension to indicate to the
    /// client that it will send a new session ticket"); RFC 5246, 7.4.1.4: an
    /// extension the client did not offer is unsupported_extension.
    "3.2", "ServerHello SessionTicket to a client that did not offer it is unsupported_extension" =>
    fn unsolicited_session_ticket_is_unsupported_extension() {
        let t = Tickets::new();
        let mut p = Pair::new(client12(&t, false), t.server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        edit_server_hello(&mut flight, |sh| sh.extensions.push(ServerExtension::SessionTicketAck));
        let outcome = p.deliver(Side::Client, &flight);
        refused12(&mut p, Side::Client, None, outcome, A::UnsupportedExtension,
            "peer's ServerHello contains the session_ticket extension, which was not requested")
    }
}
