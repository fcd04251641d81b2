//! RFC 8446 (TLS 1.3) after the handshake, with a hostile peer: post-handshake
//! authentication (4.6.2) and its Finished (4.4.4), KeyUpdate (4.6.3), key usage
//! limits (5.5), alerts and closure (6), and handshake messages that have no place
//! after the handshake (6.2).

use std::io::Write;

use ferrotls::msgs::enums::{
    AlertDescription as A, AlertLevel, ContentType, HandshakeType, KeyUpdateRequest,
    SignatureScheme,
};
use ferrotls::msgs::{CertReqExtension, CertificateRequest13, HandshakeMessage, HandshakePayload};

use crate::pair::{
    self, key_update, next_traffic_secret, read_plaintext, KeyType, Pair, RecordCipher, Side,
};
use crate::peer::{
    client, ensure, failed_without_alert, message, refused, same, server, verifier, Check,
};

const CLIENT_AP: &str = "CLIENT_TRAFFIC_SECRET_0";
const SERVER_AP: &str = "SERVER_TRAFFIC_SECRET_0";

/// A connected pair (no tickets): the client offers post_handshake_auth if
/// `offer`, has a certificate if `cert`; the server can ask for one afterwards
/// (`optional`: a client without one is let in).
fn pha(offer: bool, cert: bool, optional: bool) -> Result<Pair, String> {
    let mut c = client().post_handshake_auth(offer);
    if cert {
        let me = pair::identity(KeyType::Ecdsa, &["client.example"]);
        c = c
            .client_cert(me.chain.clone(), &me.key())
            .map_err(|e| e.to_string())?;
    }
    let s = server()
        .tls13_tickets(0)
        .post_handshake_client_auth(verifier(optional)?);
    let mut p = Pair::new(c, s);
    p.handshake()
        .map_err(|(side, e)| format!("handshake: {side:?}: {e}"))?;
    Ok(p)
}

/// A post-handshake CertificateRequest with this context, asking for ECDSA P-256.
fn cert_request(context: &[u8], extensions: Vec<CertReqExtension>) -> Vec<u8> {
    let mut extensions = extensions;
    if extensions.is_empty() {
        extensions.push(CertReqExtension::SignatureAlgorithms(vec![
            SignatureScheme::ECDSA_NISTP256_SHA256,
        ]));
    }
    HandshakeMessage::new(HandshakePayload::CertificateRequest(CertificateRequest13 {
        context: context.to_vec(),
        extensions,
    }))
    .to_bytes()
}

/// The handshake messages in `bytes` sent by `side` under its first application
/// secret, each as its type and encoding.
fn messages_from(p: &Pair, side: Side, bytes: &[u8]) -> Vec<(HandshakeType, Vec<u8>)> {
    let label = if side == Side::Client {
        CLIENT_AP
    } else {
        SERVER_AP
    };
    let mut cipher = p.cipher(side, label);
    let mut content = Vec::new();
    for r in pair::split_records(bytes) {
        if let Some((ContentType::Handshake, m)) = cipher.open(&r) {
            content.extend(m);
        }
    }
    let mut out = Vec::new();
    let mut rest = content.as_slice();
    while rest.len() >= 4 {
        let len =
            4 + (usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]));
        let (m, tail) = rest.split_at(len.min(rest.len()));
        out.push((HandshakeType::from_wire(m[0]), m.to_vec()));
        rest = tail;
    }
    out
}

/// The server asks for a certificate; returns the client's answer as messages.
fn answer(p: &mut Pair) -> Result<Vec<(HandshakeType, Vec<u8>)>, String> {
    p.server
        .request_client_certificate()
        .map_err(|e| format!("request_client_certificate: {e}"))?;
    p.transfer(Side::Server)
        .map_err(|e| format!("the client refused the request: {e}"))?;
    let bytes = p.take(Side::Client);
    Ok(messages_from(p, Side::Client, &bytes))
}

/// Seals `messages` from the client under its first application secret, one
/// record each, and delivers them to the server.
fn deliver_from_client(
    p: &mut Pair,
    messages: &[Vec<u8>],
) -> Result<ferrotls::conn::IoState, ferrotls::Error> {
    let mut cipher = p.cipher(Side::Client, CLIENT_AP);
    let bytes: Vec<u8> = messages
        .iter()
        .flat_map(|m| cipher.seal_bytes(ContentType::Handshake, m))
        .collect();
    p.deliver(Side::Server, &bytes)
}

/// The client's answer to a request with the message of type `typ` changed by
/// `edit` (or dropped if it returns false); delivered to the server.
fn edited_answer(
    cert: bool,
    optional: bool,
    edit: impl Fn(HandshakeType, &mut Vec<u8>) -> bool,
) -> Result<(Pair, Result<ferrotls::conn::IoState, ferrotls::Error>), String> {
    let mut p = pha(true, cert, optional)?;
    let msgs: Vec<Vec<u8>> = answer(&mut p)?
        .into_iter()
        .filter_map(|(t, mut m)| edit(t, &mut m).then_some(m))
        .collect();
    let outcome = deliver_from_client(&mut p, &msgs);
    Ok((p, outcome))
}

/// Sends `msg` from the server to a connected client (under the server's first
/// application secret) and returns the outcome.
fn to_client(
    p: &mut Pair,
    typ: ContentType,
    msg: &[u8],
) -> Result<ferrotls::conn::IoState, ferrotls::Error> {
    let mut cipher = p.cipher(Side::Server, SERVER_AP);
    p.deliver(Side::Client, &cipher.seal_bytes(typ, msg))
}

/// A connected pair (no tickets) and the client's sending protection.
fn connected() -> (Pair, RecordCipher) {
    crate::peer::connected()
}

fn alert(level: AlertLevel, description: A) -> [u8; 2] {
    [level.to_wire(), description.to_wire()]
}

/// Sends the server `typ` content after the handshake; it must refuse with
/// unexpected_message and `text`.
fn server_refuses_message(msg: &[u8], text: &str) -> Check {
    let (mut p, mut cipher) = connected();
    let outcome = p.deliver(
        Side::Server,
        &cipher.seal_bytes(ContentType::Handshake, msg),
    );
    refused(&mut p, Side::Server, outcome, A::UnexpectedMessage, text)
}

/// Sends the client `msg` after the handshake; it must refuse with `alert`.
fn client_refuses_message(msg: &[u8], alert: A, text: &str) -> Check {
    let mut p = Pair::connected();
    let outcome = to_client(&mut p, ContentType::Handshake, msg);
    refused(&mut p, Side::Client, outcome, alert, text)
}

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 4.6.2: "A client that receives a CertificateRequest message
    /// without having sent the "post_handshake_auth" extension MUST send an
    /// "unexpected_message" fatal alert."
    "4.6.2", "CertificateRequest without the client's post_handshake_auth is unexpected_message" =>
    fn request_without_the_extension_is_unexpected_message() {
        client_refuses_message(&cert_request(&[1], Vec::new()), A::UnexpectedMessage,
            "peer sent CertificateRequest after the handshake, where it is not allowed")
    }

    /// RFC 8446, 4.3.2: "certificate_request_context [...] shall be zero length
    /// unless used for the post-handshake authentication exchanges"; ferrotls
    /// refuses an empty one after the handshake (illegal_parameter), as it could not
    /// tell the answers apart.
    "4.6.2", "post-handshake CertificateRequest with an empty context is illegal_parameter" =>
    fn request_with_an_empty_context_is_illegal_parameter() {
        let mut p = pha(true, false, true)?;
        let outcome = to_client(&mut p, ContentType::Handshake, &cert_request(&[], Vec::new()));
        refused(&mut p, Side::Client, outcome, A::IllegalParameter,
            "peer's CertificateRequest has an illegal certificate_request_context: must not be empty after the handshake")
    }

    /// RFC 8446, 4.3.2: "The "signature_algorithms" extension MUST be specified";
    /// missing after the handshake too: missing_extension.
    "4.6.2", "post-handshake CertificateRequest without signature_algorithms is missing_extension" =>
    fn request_without_signature_algorithms_is_missing_extension() {
        let mut p = pha(true, false, true)?;
        let msg = cert_request(&[1], vec![CertReqExtension::CertificateAuthorities(vec![vec![0x30, 0]])]);
        let outcome = to_client(&mut p, ContentType::Handshake, &msg);
        refused(&mut p, Side::Client, outcome, A::MissingExtension,
            "peer's CertificateRequest lacks the required signature_algorithms extension")
    }

    /// RFC 8446, 4.4.2: "If this message is in response to a CertificateRequest,
    /// the value of certificate_request_context in that message" is echoed; the
    /// client answers Certificate, CertificateVerify and Finished (4.4).
    "4.6.2", "client answers a request with its context echoed, CertificateVerify and Finished" =>
    fn client_echoes_the_context() {
        let mut p = pha(true, true, false)?;
        to_client(&mut p, ContentType::Handshake, &cert_request(&[9, 8, 7], Vec::new()))
            .map_err(|e| format!("refused: {e}"))?;
        let bytes = p.take(Side::Client);
        let msgs = messages_from(&p, Side::Client, &bytes);
        let types: Vec<HandshakeType> = msgs.iter().map(|(t, _)| *t).collect();
        same("answer", types, vec![HandshakeType::Certificate, HandshakeType::CertificateVerify, HandshakeType::Finished])?;
        let cert = &msgs[0].1;
        same("echoed context", &cert[4..8], &[3, 9, 8, 7][..])
    }

    /// RFC 8446, 4.4.2.4 and 4.4.3: a client without a suitable certificate sends
    /// an empty Certificate "and MUST NOT send CertificateVerify", then Finished.
    "4.6.2", "client without a certificate answers an empty Certificate and Finished" =>
    fn client_without_a_certificate_answers_empty() {
        let mut p = pha(true, false, true)?;
        to_client(&mut p, ContentType::Handshake, &cert_request(&[5], Vec::new()))
            .map_err(|e| format!("refused: {e}"))?;
        let bytes = p.take(Side::Client);
        let msgs = messages_from(&p, Side::Client, &bytes);
        let types: Vec<HandshakeType> = msgs.iter().map(|(t, _)| *t).collect();
        same("answer", types, vec![HandshakeType::Certificate, HandshakeType::Finished])?;
        same("empty Certificate with the context", msgs[0].1.as_slice(), message(HandshakeType::Certificate, &[1, 5, 0, 0, 0]).as_slice())
    }

    /// RFC 8446, 4.2: "Clients MUST ignore unrecognized extensions" in a
    /// CertificateRequest too: the request is answered.
    "4.6.2", "post-handshake CertificateRequest with an unknown extension is answered" =>
    fn request_with_an_unknown_extension_is_answered() {
        let mut p = pha(true, false, true)?;
        let msg = cert_request(&[5], vec![
            CertReqExtension::SignatureAlgorithms(vec![SignatureScheme::ECDSA_NISTP256_SHA256]),
            CertReqExtension::Unknown { typ: ferrotls::msgs::enums::ExtensionType::from_wire(0x7a7a), data: vec![1] },
        ]);
        to_client(&mut p, ContentType::Handshake, &msg).map_err(|e| format!("refused: {e}"))?;
        let bytes = p.take(Side::Client);
        same("answered messages", messages_from(&p, Side::Client, &bytes).len(), 2)
    }

    /// RFC 8446, 4.6.2: each request is answered separately with its own context;
    /// two requests in a row get two answers.
    "4.6.2", "two post-handshake requests get two answers with their contexts" =>
    fn two_requests_get_two_answers() {
        let mut p = pha(true, false, true)?;
        let mut cipher = p.cipher(Side::Server, SERVER_AP);
        let mut bytes = cipher.seal_bytes(ContentType::Handshake, &cert_request(&[1], Vec::new()));
        bytes.extend(cipher.seal_bytes(ContentType::Handshake, &cert_request(&[2], Vec::new())));
        p.deliver(Side::Client, &bytes).map_err(|e| format!("refused: {e}"))?;
        let out = p.take(Side::Client);
        let contexts: Vec<u8> = messages_from(&p, Side::Client, &out)
            .iter()
            .filter(|(t, _)| *t == HandshakeType::Certificate)
            .map(|(_, m)| m[5])
            .collect();
        same("answered contexts", contexts, vec![1, 2])
    }

    /// RFC 8446, 4.4.2: the context must be the request's; an answer with another
    /// context is illegal_parameter.
    "4.6.2", "post-handshake Certificate with another context is illegal_parameter" =>
    fn answer_with_another_context_is_illegal_parameter() {
        let (mut p, outcome) = edited_answer(false, true, |t, m| {
            if t == HandshakeType::Certificate { m[5] ^= 0xff; }
            true
        })?;
        refused(&mut p, Side::Server, outcome, A::IllegalParameter,
            "peer's Certificate has an illegal certificate_request_context: matches none of our outstanding CertificateRequests")
    }

    /// RFC 8446, 4.4.2.4: an empty Certificate where the server requires one is
    /// "certificate_required".
    "4.6.2", "empty post-handshake Certificate where one is required is certificate_required" =>
    fn empty_answer_where_required_is_certificate_required() {
        let (mut p, outcome) = edited_answer(false, false, |_, _| true)?;
        refused(&mut p, Side::Server, outcome, A::CertificateRequired,
            "peer sent no certificate, but one is required")
    }

    /// RFC 8446, 4.4.2.4: where the certificate is optional, an empty one is
    /// accepted ("the server MAY at its discretion [...] continue").
    "4.6.2", "empty post-handshake Certificate where one is optional is accepted" =>
    fn empty_answer_where_optional_is_accepted() {
        let (p, outcome) = edited_answer(false, true, |_, _| true)?;
        outcome.map_err(|e| format!("refused: {e}"))?;
        same("authenticated", p.server.negotiated().post_handshake_auth.authenticated, 0)
    }

    /// RFC 8446, 4.4.4: "Recipients of Finished messages MUST verify that the
    /// contents are correct and if incorrect MUST terminate the connection with a
    /// "decrypt_error" alert." (the post-handshake Finished)
    "4.4.4", "post-handshake Finished with wrong verify_data is decrypt_error" =>
    fn post_handshake_finished_wrong_is_decrypt_error() {
        let (mut p, outcome) = edited_answer(true, false, |t, m| {
            if t == HandshakeType::Finished { m[4] ^= 1; }
            true
        })?;
        refused(&mut p, Side::Server, outcome, A::DecryptError,
            "the client's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys")
    }

    /// RFC 8446, 4.4.3: a certificate must be followed by CertificateVerify; a
    /// Finished in its place is unexpected_message.
    "4.6.2", "post-handshake Certificate without CertificateVerify is unexpected_message" =>
    fn answer_without_certificate_verify_is_unexpected_message() {
        let (mut p, outcome) = edited_answer(true, false, |t, _| t != HandshakeType::CertificateVerify)?;
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent Finished while waiting for the client's CertificateVerify after the handshake")
    }

    /// RFC 8446, 4.4.3: "Recipients of CertificateVerify messages MUST [...] abort
    /// the handshake with a "decrypt_error" alert" when the signature does not
    /// verify.
    "4.6.2", "post-handshake CertificateVerify that does not verify is decrypt_error" =>
    fn answer_with_a_bad_signature_is_decrypt_error() {
        let (mut p, outcome) = edited_answer(true, false, |t, m| {
            if t == HandshakeType::CertificateVerify { let last = m.len() - 1; m[last] ^= 1; }
            true
        })?;
        refused(&mut p, Side::Server, outcome, A::DecryptError,
            "the peer's CertificateVerify signature (ecdsa_secp256r1_sha256) does not verify with its certificate's key: it does not hold the private key")
    }

    /// RFC 8446, 4.6.2: the client sends Certificate only in answer to a request;
    /// an unsolicited one is unexpected_message.
    "4.6.2", "unsolicited post-handshake Certificate is unexpected_message" =>
    fn unsolicited_certificate_is_unexpected_message() {
        server_refuses_message(&message(HandshakeType::Certificate, &[0, 0, 0, 0]),
            "peer sent Certificate after the handshake, where it is not allowed")
    }

    /// RFC 8446, 4.4.4: after the handshake a Finished comes only at the end of an
    /// answer to a CertificateRequest; an unsolicited one is unexpected_message.
    "4.4.4", "unsolicited post-handshake Finished to the server is unexpected_message" =>
    fn unsolicited_finished_to_the_server_is_unexpected_message() {
        server_refuses_message(&message(HandshakeType::Finished, &[0; 32]),
            "peer sent Finished after the handshake, where it is not allowed")
    }

    /// RFC 8446, 4.4.4: the server sends no Finished after the handshake.
    "4.4.4", "post-handshake Finished to the client is unexpected_message" =>
    fn finished_to_the_client_is_unexpected_message() {
        client_refuses_message(&message(HandshakeType::Finished, &[0; 32]), A::UnexpectedMessage,
            "peer sent Finished after the handshake, where it is not allowed")
    }

    /// RFC 8446, 4.6.3: "If an implementation receives any other value, it MUST
    /// terminate the connection with an "illegal_parameter" alert." (the client)
    "4.6.3", "KeyUpdate with request_update 255 to the client is illegal_parameter" =>
    fn client_refuses_an_undefined_key_update() {
        client_refuses_message(&key_update(KeyUpdateRequest::Unknown(255)), A::IllegalParameter,
            "peer sent a KeyUpdate with request_update 255; only 0 and 1 are defined")
    }

    /// RFC 8446, 4.6.3: `struct { KeyUpdateRequest request_update; }`: one byte; two
    /// are decode_error.
    "4.6.3", "KeyUpdate of two bytes is decode_error" =>
    fn key_update_of_two_bytes_is_decode_error() {
        let (mut p, mut cipher) = connected();
        let outcome = p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Handshake, &message(HandshakeType::KeyUpdate, &[0, 0])));
        refused(&mut p, Side::Server, outcome, A::DecodeError,
            "peer sent a malformed KeyUpdate: field request_update at byte 5: 1 unexpected byte(s) after the end")
    }

    /// RFC 8446, 4.6.3: an empty KeyUpdate is decode_error.
    "4.6.3", "empty KeyUpdate is decode_error" =>
    fn empty_key_update_is_decode_error() {
        let (mut p, mut cipher) = connected();
        let outcome = p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Handshake, &message(HandshakeType::KeyUpdate, &[])));
        refused(&mut p, Side::Server, outcome, A::DecodeError,
            "peer sent a malformed KeyUpdate: field request_update at byte 4: needs 1 byte(s) but only 0 remain (message cut short)")
    }

    /// RFC 8446, 4.6.3: "Implementations that receive a KeyUpdate message prior to
    /// receiving a Finished message MUST terminate the connection with an
    /// "unexpected_message" alert." (the server, in the client's flight)
    "4.6.3", "KeyUpdate in the client's flight before Finished is unexpected_message" =>
    fn key_update_before_the_clients_finished_is_unexpected_message() {
        let (mut p, outcome) = crate::peer::send_edited_client_flight(|pieces| {
            let at = pieces.iter().position(|p| p.handshake_type() == Some(HandshakeType::Finished)).unwrap_or(0);
            pieces.insert(at, pair::Piece::Sealed { typ: ContentType::Handshake, content: key_update(KeyUpdateRequest::UpdateNotRequested) });
        })?;
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent KeyUpdate while waiting for the peer's Finished")
    }

    /// RFC 8446, 4.6.3: "update_not_requested": the receiver updates its receiving
    /// keys and sends nothing in answer; data under the next secret arrives.
    "4.6.3", "KeyUpdate update_not_requested is followed, unanswered" =>
    fn key_update_not_requested_is_followed() {
        let (mut p, mut cipher) = connected();
        let mut bytes = cipher.seal_bytes(ContentType::Handshake, &key_update(KeyUpdateRequest::UpdateNotRequested));
        let next = next_traffic_secret(p.suite(), &p.client_keys.secret(CLIENT_AP).ok_or("no secret")?);
        let mut next_cipher = RecordCipher::new(p.suite(), &next);
        bytes.extend(next_cipher.seal_bytes(ContentType::ApplicationData, b"after"));
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        same("answer", p.take(Side::Server).len(), 0)?;
        same("data", read_plaintext(&mut p.server).0, b"after".to_vec())
    }

    /// RFC 8446, 4.6.3: after a KeyUpdate the old keys are gone ("the receiver
    /// [...] MUST update its receiving keys"): a record under the old key fails,
    /// bad_record_mac (5.2).
    "4.6.3", "record under the keys before KeyUpdate is bad_record_mac" =>
    fn old_keys_after_key_update_are_bad_record_mac() {
        let (mut p, mut cipher) = connected();
        let mut bytes = cipher.seal_bytes(ContentType::Handshake, &key_update(KeyUpdateRequest::UpdateNotRequested));
        bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, b"old key"));
        let outcome = p.deliver(Side::Server, &bytes);
        refused(&mut p, Side::Server, outcome, A::BadRecordMac,
            "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 8446, 5.1: "Implementations MUST verify that all messages immediately
    /// preceding a key change align with a record boundary; if not, then they MUST
    /// terminate the connection with an "unexpected_message" alert." A KeyUpdate
    /// followed by more handshake bytes in one record:
    "5.1", "KeyUpdate not at the end of its record is unexpected_message" =>
    fn key_update_not_at_a_record_end_is_unexpected_message() {
        let (mut p, mut cipher) = connected();
        let mut content = key_update(KeyUpdateRequest::UpdateNotRequested);
        content.extend_from_slice(&[24, 0, 0]);
        let outcome = p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Handshake, &content));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent a handshake message that continues across a change of keys")
    }

    /// RFC 8446, 4.6.3: update_requested to the client: it answers with its own
    /// KeyUpdate (update_not_requested) before its next application data.
    "4.6.3", "client answers update_requested with update_not_requested" =>
    fn client_answers_update_requested() {
        let mut p = Pair::connected();
        to_client(&mut p, ContentType::Handshake, &key_update(KeyUpdateRequest::UpdateRequested))
            .map_err(|e| format!("refused: {e}"))?;
        p.client.writer().write_all(b"x").map_err(|e| e.to_string())?;
        let bytes = p.take(Side::Client);
        let msgs = messages_from(&p, Side::Client, &bytes);
        same("first record", msgs.first().map(|(_, m)| m.clone()), Some(key_update(KeyUpdateRequest::UpdateNotRequested)))
    }

    /// RFC 8446, 4.6.3: after answering, the sender "MUST [...] update its sending
    /// keys": its data after the KeyUpdate is under the next traffic secret.
    "4.6.3", "data after the answering KeyUpdate is under the next secret" =>
    fn data_after_the_answer_uses_the_next_secret() {
        let (mut p, mut cipher) = connected();
        p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Handshake, &key_update(KeyUpdateRequest::UpdateRequested)))
            .map_err(|e| format!("refused: {e}"))?;
        p.server.writer().write_all(b"later").map_err(|e| e.to_string())?;
        let records = pair::split_records(&p.take(Side::Server));
        let next = next_traffic_secret(p.suite(), &p.server_keys.secret(SERVER_AP).ok_or("no secret")?);
        let next_cipher = RecordCipher::new(p.suite(), &next);
        let second = records.get(1).and_then(|r| next_cipher.open_at(r, 0)).ok_or("no record under the next secret")?;
        same("data", second, (ContentType::ApplicationData, b"later".to_vec()))
    }

    /// RFC 8446, 5.5: "Implementations SHOULD do a key update as described in
    /// Section 4.6.3 prior to reaching these limits." The refresh ferrotls does for
    /// them is a KeyUpdate the peer follows, and data keeps flowing under the new
    /// keys.
    "5.5", "key refresh for the usage limits sends a KeyUpdate the peer follows" =>
    fn key_refresh_is_followed_by_the_peer() {
        let mut p = Pair::connected();
        p.client.refresh_traffic_keys().map_err(|e| format!("refresh: {e}"))?;
        let bytes = p.take(Side::Client);
        let msgs = messages_from(&p, Side::Client, &bytes);
        ensure(msgs.first().is_some_and(|(t, _)| *t == HandshakeType::KeyUpdate), || format!("no KeyUpdate: {msgs:?}"))?;
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        p.transfer(Side::Server).map_err(|e| format!("answer refused: {e}"))?;
        p.client.writer().write_all(b"fresh").map_err(|e| e.to_string())?;
        p.transfer(Side::Client).map_err(|e| format!("refused: {e}"))?;
        same("data", read_plaintext(&mut p.server).0, b"fresh".to_vec())
    }

    /// RFC 8446, 6.1: close_notify "does not have any effect on its read side":
    /// the party that received it may still write, and the data arrives.
    "6.1", "after receiving close_notify a party can still send" =>
    fn receiving_close_notify_leaves_the_write_side_open() {
        let (mut p, mut cipher) = connected();
        p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Warning, A::CloseNotify)))
            .map_err(|e| format!("refused: {e}"))?;
        same("end of stream", read_plaintext(&mut p.server).1, true)?;
        p.server.writer().write_all(b"still here").map_err(|e| e.to_string())?;
        p.transfer(Side::Server).map_err(|e| format!("client refused: {e}"))?;
        same("data", read_plaintext(&mut p.client).0, b"still here".to_vec())
    }

    /// RFC 8446, 6: "the "level" field can safely be ignored": close_notify sent
    /// at fatal level is still a closure, the end of the stream.
    "6", "close_notify at fatal level is still a closure" =>
    fn fatal_close_notify_is_a_closure() {
        let (mut p, mut cipher) = connected();
        let mut bytes = cipher.seal_bytes(ContentType::ApplicationData, b"data");
        bytes.extend(cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Fatal, A::CloseNotify)));
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        same("data then end of stream", read_plaintext(&mut p.server), (b"data".to_vec(), true))
    }

    /// RFC 8446, 6.1: user_canceled after the handshake, at warning level, ends
    /// nothing by itself: data that follows arrives.
    "6.1", "user_canceled after the handshake does not end the connection" =>
    fn user_canceled_after_the_handshake_is_not_an_error() {
        let (mut p, mut cipher) = connected();
        let mut bytes = cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Warning, A::UserCanceled));
        bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, b"more"));
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        same("data", read_plaintext(&mut p.server), (b"more".to_vec(), false))
    }

    /// RFC 8446, 6.1: user_canceled "SHOULD be followed by a close_notify": the
    /// two end the stream cleanly.
    "6.1", "user_canceled then close_notify ends the stream cleanly" =>
    fn user_canceled_then_close_notify_is_a_clean_end() {
        let (mut p, mut cipher) = connected();
        let mut bytes = cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Warning, A::UserCanceled));
        bytes.extend(cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Warning, A::CloseNotify)));
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        same("end of stream", read_plaintext(&mut p.server), (Vec::new(), true))
    }

    /// RFC 8446, 6.2: "Upon [...] receipt of a fatal alert message, both parties
    /// MUST immediately close the connection" (after the handshake too), with no
    /// alert in answer.
    "6.2", "fatal alert after the handshake ends the connection without an answer" =>
    fn fatal_alert_after_the_handshake_ends_it() {
        let (mut p, mut cipher) = connected();
        let outcome = p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Fatal, A::HandshakeFailure)));
        failed_without_alert(&mut p, Side::Server, outcome,
            "peer sent a fatal handshake_failure alert; the connection is closed (the peer found no acceptable parameters (suites, groups, signatures))")
    }

    /// RFC 8446, 6.2: "All the alerts listed in Section 6.2 MUST be sent with
    /// AlertLevel=fatal and MUST be treated as error alerts when received
    /// regardless of the AlertLevel in the message."
    "6.2", "error alert at warning level after the handshake ends the connection" =>
    fn warning_error_alert_after_the_handshake_ends_it() {
        let (mut p, mut cipher) = connected();
        let outcome = p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Warning, A::DecryptError)));
        failed_without_alert(&mut p, Side::Server, outcome,
            "peer sent a fatal decrypt_error alert; the connection is closed (a signature, Finished or record did not verify on the peer's side)")
    }

    /// RFC 8446, 6: "Unknown Alert types MUST be treated as error alerts."
    "6", "unknown alert after the handshake ends the connection" =>
    fn unknown_alert_after_the_handshake_ends_it() {
        let (mut p, mut cipher) = connected();
        let outcome = p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Alert, &[1, 0xfe]));
        failed_without_alert(&mut p, Side::Server, outcome,
            "peer sent a fatal unknown(0xfe) alert; the connection is closed")
    }

    /// RFC 8446, 6.1: "Any data received after a closure alert has been received
    /// MUST be ignored": a KeyUpdate asking for an answer gets none.
    "6.1", "KeyUpdate after close_notify is ignored" =>
    fn key_update_after_close_notify_is_ignored() {
        let (mut p, mut cipher) = connected();
        let mut bytes = cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Warning, A::CloseNotify));
        bytes.extend(cipher.seal_bytes(ContentType::Handshake, &key_update(KeyUpdateRequest::UpdateRequested)));
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        same("bytes in answer", p.take(Side::Server).len(), 0)
    }

    /// RFC 8446, 6.1: a fatal alert after close_notify is data after the closure,
    /// ignored: the stream ended cleanly and stays so.
    "6.1", "alert after close_notify is ignored" =>
    fn alert_after_close_notify_is_ignored() {
        let (mut p, mut cipher) = connected();
        let mut bytes = cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Warning, A::CloseNotify));
        bytes.extend(cipher.seal_bytes(ContentType::Alert, &alert(AlertLevel::Fatal, A::InternalError)));
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        same("end of stream", read_plaintext(&mut p.server), (Vec::new(), true))
    }

    /// RFC 8446, 6.1: a party that closes "MUST send a "close_notify" alert before
    /// closing its write side": send_close_notify puts one on the wire, and the
    /// peer sees the end of the stream.
    "6.1", "closing sends close_notify and the peer sees the end" =>
    fn closing_sends_close_notify() {
        let mut p = Pair::connected();
        p.server.send_close_notify();
        same("alert on the wire", p.alert_sent_by(Side::Server), Some(A::CloseNotify))?;
        let mut p = Pair::connected();
        p.server.send_close_notify();
        p.transfer(Side::Server).map_err(|e| format!("refused: {e}"))?;
        same("end of stream", read_plaintext(&mut p.client), (Vec::new(), true))
    }

    /// RFC 8446, 6.2: a ServerHello after the handshake is a message the client
    /// cannot accept: unexpected_message.
    "6.2", "ServerHello after the handshake is unexpected_message" =>
    fn server_hello_after_the_handshake_is_unexpected_message() {
        let (_, ch) = crate::peer::before_hello();
        let sh = pair::server_hello([1; 32], &ch.session_id, ferrotls::msgs::enums::CipherSuite::TLS13_AES_128_GCM_SHA256, Vec::new());
        client_refuses_message(&sh.to_bytes(), A::UnexpectedMessage,
            "peer sent ServerHello after the handshake, where it is not allowed")
    }

    /// RFC 8446, 6.2: EncryptedExtensions after the handshake: unexpected_message.
    "6.2", "EncryptedExtensions after the handshake is unexpected_message" =>
    fn encrypted_extensions_after_the_handshake_is_unexpected_message() {
        client_refuses_message(&message(HandshakeType::EncryptedExtensions, &[0, 0]), A::UnexpectedMessage,
            "peer sent EncryptedExtensions after the handshake, where it is not allowed")
    }

    /// RFC 8446, 6.2: a server Certificate after the handshake: unexpected_message.
    "6.2", "server Certificate after the handshake is unexpected_message" =>
    fn certificate_to_the_client_after_the_handshake_is_unexpected_message() {
        client_refuses_message(&message(HandshakeType::Certificate, &[0, 0, 0, 0]), A::UnexpectedMessage,
            "peer sent Certificate after the handshake, where it is not allowed")
    }

    /// RFC 8446, 4.5: EndOfEarlyData belongs to the handshake with 0-RTT; after it,
    /// unexpected_message.
    "6.2", "EndOfEarlyData after the handshake is unexpected_message" =>
    fn end_of_early_data_after_the_handshake_is_unexpected_message() {
        server_refuses_message(&message(HandshakeType::EndOfEarlyData, &[]),
            "peer sent EndOfEarlyData after the handshake, where it is not allowed")
    }

    /// RFC 8446, 6.2: CertificateVerify with no Certificate before it, after the
    /// handshake: unexpected_message.
    "6.2", "CertificateVerify after the handshake is unexpected_message" =>
    fn certificate_verify_after_the_handshake_is_unexpected_message() {
        server_refuses_message(&message(HandshakeType::CertificateVerify, &[4, 3, 0, 1, 0]),
            "peer sent CertificateVerify after the handshake, where it is not allowed")
    }
}
