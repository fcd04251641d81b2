//! The scripted peer: builds messages with ferrotls's own codec, sends them to a
//! real ferrotls connection of an in-memory [`Pair`], and checks what came back.
//!
//! Cases return `Err` sentences instead of panicking, so the list can run them all.

use std::sync::Arc;

use ferrotls::client::ClientConfigBuilder;
use ferrotls::conn::IoState;
use ferrotls::msgs::enums::{
    AlertDescription, CipherSuite, ContentType, ExtensionType, HandshakeType,
};
use ferrotls::msgs::{
    ClientExtension, ClientHello, HandshakeMessage, HandshakePayload, ServerExtension,
    HELLO_RETRY_REQUEST_RANDOM,
};
use ferrotls::pki::{ClientAuthVerifier, ClientCertVerifier, RootStore, TrustAnchor, Verifier};
use ferrotls::record::OpaqueRecord;
use ferrotls::server::ServerConfigBuilder;
use ferrotls::Error;

use crate::pair::{
    self, alert12_sent_by, client_config, client_hello_of, handshake_record, join_records,
    plain_record, server_config, server_hello, split_records, Keys12, Pair, Side,
};

pub use crate::pair::without;

/// What a case returns.
pub type Check = Result<(), String>;

/// `Err(what)` unless `cond`.
pub fn ensure(cond: bool, what: impl FnOnce() -> String) -> Check {
    if cond {
        Ok(())
    } else {
        Err(what())
    }
}

/// `Err` naming `what` unless `got == want`.
pub fn same<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Check {
    ensure(got == want, || {
        format!("{what}: got {got:?}, expected {want:?}")
    })
}

/// Checks that `side` refused its input: `outcome` is an error with this text and
/// alert, the alert is what `side` put on the wire, and the connection keeps
/// returning the same error.
pub fn refused(
    p: &mut Pair,
    side: Side,
    outcome: Result<IoState, Error>,
    alert: AlertDescription,
    text: &str,
) -> Check {
    let err = match outcome {
        Ok(_) => return Err(format!("{side:?} accepted what it must refuse ({text})")),
        Err(e) => e,
    };
    same("error text", err.to_string().as_str(), text)?;
    same("alert of the error", err.alert(), Some(alert))?;
    same("alert on the wire", p.alert_sent_by(side), Some(alert))?;
    same(
        "error on the next call",
        p.conn(side).process_new_packets().err(),
        Some(err),
    )
}

/// The usual server configuration (ECDSA P-256 for `localhost`).
pub fn server() -> ServerConfigBuilder {
    server_config(&[&pair::ecdsa()])
}

/// A client configuration that trusts the usual server.
pub fn client() -> ClientConfigBuilder {
    client_config(&[&pair::ecdsa()])
}

/// A pair whose client's first ClientHello has been taken off the wire: the server
/// has seen nothing yet.
pub fn before_hello_with(
    client: ClientConfigBuilder,
    server: ServerConfigBuilder,
) -> (Pair, ClientHello) {
    let mut p = Pair::new(client, server);
    let (_, ch) = client_hello_of(&mut p.client);
    (p, ch)
}

/// [`before_hello_with`] the usual configurations.
pub fn before_hello() -> (Pair, ClientHello) {
    before_hello_with(client(), server())
}

/// A handshake message's encoding in unprotected records of at most `fragment`
/// bytes each.
pub fn in_records(message: &[u8], fragment: usize) -> Vec<u8> {
    message
        .chunks(fragment)
        .flat_map(|chunk| plain_record(ContentType::Handshake, chunk))
        .collect()
}

/// The ClientHello message's encoding.
pub fn hello_bytes(ch: &ClientHello) -> Vec<u8> {
    HandshakeMessage::new(HandshakePayload::ClientHello(ch.clone())).to_bytes()
}

/// Sends `ch` to the server in records of at most 2^14 bytes.
pub fn send_hello(p: &mut Pair, ch: &ClientHello) -> Result<IoState, Error> {
    p.deliver(Side::Server, &in_records(&hello_bytes(ch), 1 << 14))
}

/// A handshake message of type `typ` with this body, header added.
pub fn message(typ: HandshakeType, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len())
        .expect("a body under 2^24 bytes")
        .to_be_bytes();
    let mut out = vec![typ.to_wire(), len[1], len[2], len[3]];
    out.extend_from_slice(body);
    out
}

/// Checks that the server took the ClientHello and answered with a ServerHello
/// (a real one, not a HelloRetryRequest, unless `retry`).
pub fn answered_hello(p: &mut Pair, outcome: Result<IoState, Error>, retry: bool) -> Check {
    if let Err(e) = outcome {
        return Err(format!("the server refused the ClientHello: {e}"));
    }
    let flight = p.take(Side::Server);
    let records = split_records(&flight);
    let first = records.first().ok_or("the server answered nothing")?;
    same("first record's type", first.typ, ContentType::Handshake)?;
    match HandshakeMessage::read_tls13(&first.payload).map(|m| m.payload) {
        Ok(HandshakePayload::ServerHello(sh)) => same(
            "HelloRetryRequest",
            sh.random == ferrotls::msgs::HELLO_RETRY_REQUEST_RANDOM,
            retry,
        ),
        other => Err(format!(
            "the server's first message is not a ServerHello: {other:?}"
        )),
    }
}

/// Replaces the extension of `ext`'s type, or appends it before pre_shared_key.
pub fn set_extension(ch: &mut ClientHello, ext: ClientExtension) {
    match ch
        .extensions
        .iter()
        .position(|e| e.ext_type() == ext.ext_type())
    {
        Some(at) => ch.extensions[at] = ext,
        None => {
            let at = ch
                .extensions
                .iter()
                .position(|e| e.ext_type() == ExtensionType::PreSharedKey)
                .unwrap_or(ch.extensions.len());
            ch.extensions.insert(at, ext);
        }
    }
}

/// A pair after a HelloRetryRequest: the client offered no key share, the server
/// asked for one and the client answered. Returns the pair, the first ClientHello,
/// and the client's second flight (possibly a CCS, then the second ClientHello)
/// with the index of the ClientHello's record, not yet delivered.
pub fn after_retry_with(
    client: ClientConfigBuilder,
) -> Result<(Pair, ClientHello, Vec<OpaqueRecord>, usize), String> {
    let mut p = Pair::new(client.key_share_groups(&[]), server());
    let (flight, first) = client_hello_of(&mut p.client);
    p.deliver(Side::Server, &flight)
        .map_err(|e| format!("the server refused the first ClientHello: {e}"))?;
    p.transfer(Side::Server)
        .map_err(|e| format!("the client refused the HelloRetryRequest: {e}"))?;
    let records = split_records(&p.take(Side::Client));
    let at = records
        .iter()
        .position(|r| r.typ == ContentType::Handshake)
        .ok_or("the client sent no second ClientHello")?;
    Ok((p, first, records, at))
}

/// The second ClientHello of [`after_retry_with`]'s flight.
pub fn second_hello(records: &[OpaqueRecord], at: usize) -> Result<ClientHello, String> {
    match HandshakeMessage::read_tls13(&records[at].payload).map(|m| m.payload) {
        Ok(HandshakePayload::ClientHello(ch)) => Ok(ch),
        other => Err(format!(
            "the client's second flight holds no ClientHello: {other:?}"
        )),
    }
}

/// Runs the usual retry, lets `edit` change the second ClientHello, and sends it.
pub fn send_edited_second_hello(
    edit: impl FnOnce(&ClientHello, &mut ClientHello),
) -> Result<(Pair, Result<IoState, Error>), String> {
    let (mut p, first, mut records, at) = after_retry_with(client())?;
    let mut second = second_hello(&records, at)?;
    edit(&first, &mut second);
    records[at].payload = hello_bytes(&second);
    let outcome = p.deliver(Side::Server, &join_records(&records));
    Ok((p, outcome))
}

/// Where the body of `ch`'s extension of type `typ` starts in the encoded message
/// (handshake header included), for errors that name a byte offset.
pub fn extension_body_offset(ch: &ClientHello, typ: ExtensionType) -> usize {
    use ferrotls::codec::Codec;
    let fixed = 4
        + 2
        + 32
        + 1
        + ch.session_id.len()
        + 2
        + 2 * ch.cipher_suites.len()
        + 1
        + ch.compression_methods.len()
        + 2;
    let before: usize = ch
        .extensions
        .iter()
        .take_while(|e| e.ext_type() != typ)
        .map(|e| {
            let mut out = Vec::new();
            e.encode(&mut out);
            out.len()
        })
        .sum();
    fixed + before + 4
}

/// TLS 1.2 only.
pub const TLS12: &[ferrotls::msgs::enums::ProtocolVersion] =
    &[ferrotls::msgs::enums::ProtocolVersion::TLSv1_2];

/// Checks that `side` failed with this text, sending no alert (a received alert
/// ends the connection without an answer, RFC 8446, 6).
pub fn failed_without_alert(
    p: &mut Pair,
    side: Side,
    outcome: Result<IoState, Error>,
    text: &str,
) -> Check {
    let err = match outcome {
        Ok(_) => return Err(format!("{side:?} accepted what it must refuse ({text})")),
        Err(e) => e,
    };
    same("error text", err.to_string().as_str(), text)?;
    same("alert of the error", err.alert(), None)?;
    same("alert on the wire", p.alert_sent_by(side), None)
}

/// Runs the usual handshake up to the client's Finished flight, lets `edit` change
/// its protected records, and delivers it to the server.
pub fn send_edited_client_flight(
    edit: impl FnOnce(&mut Vec<pair::Piece>),
) -> Result<(Pair, Result<IoState, Error>), String> {
    let mut p = Pair::new(client(), server());
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    p.transfer(Side::Server)
        .map_err(|e| format!("server flight: {e}"))?;
    let mut flight = p.take(Side::Client);
    p.edit_sealed(
        Side::Client,
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        &mut flight,
        edit,
    );
    let outcome = p.deliver(Side::Server, &flight);
    Ok((p, outcome))
}

/// A connected pair (no tickets) and the client's application-traffic record
/// protection, to send the server protected records of any content.
pub fn connected() -> (Pair, pair::RecordCipher) {
    let p = Pair::connected();
    let cipher = p.cipher(Side::Client, "CLIENT_TRAFFIC_SECRET_0");
    (p, cipher)
}

/// Runs the usual handshake (the client configured by `client`) up to the server's
/// flight, lets `edit` change its protected records, and delivers it to the client.
pub fn send_edited_server_flight(
    client: ClientConfigBuilder,
    edit: impl FnOnce(&mut Vec<pair::Piece>),
) -> Result<(Pair, Result<IoState, Error>), String> {
    let mut p = Pair::new(client, server());
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let mut flight = p.take(Side::Server);
    p.edit_sealed(
        Side::Server,
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        &mut flight,
        edit,
    );
    let outcome = p.deliver(Side::Client, &flight);
    Ok((p, outcome))
}

/// Re-encodes the protected handshake message of type `typ` after `edit`.
pub fn edit_sealed_message(
    pieces: &mut [pair::Piece],
    typ: HandshakeType,
    edit: impl FnOnce(&mut HandshakePayload),
) {
    let content = pair::sealed_message(pieces, typ);
    let mut msg = HandshakeMessage::read_tls13(content).expect("a message of ours");
    edit(&mut msg.payload);
    *content = msg.to_bytes();
}

/// [`refused`] for a TLS 1.2 side whose alert may go out protected under `keys`
/// (after its ChangeCipherSpec).
pub fn refused12(
    p: &mut Pair,
    side: Side,
    keys: Option<&Keys12>,
    outcome: Result<IoState, Error>,
    alert: AlertDescription,
    text: &str,
) -> Check {
    let err = match outcome {
        Ok(_) => return Err(format!("{side:?} accepted what it must refuse ({text})")),
        Err(e) => e,
    };
    same("error text", err.to_string().as_str(), text)?;
    same("alert of the error", err.alert(), Some(alert))?;
    same(
        "alert on the wire",
        alert12_sent_by(p, side, keys).map(|a| a.description),
        Some(alert),
    )?;
    same(
        "error on the next call",
        p.conn(side).process_new_packets().err(),
        Some(err),
    )
}

/// Answers the client's first ClientHello with a HelloRetryRequest carrying
/// `extensions`; the client must refuse it with `alert` and `text`.
pub fn retry_refused(
    extensions: Vec<ServerExtension>,
    alert: AlertDescription,
    text: &str,
) -> Check {
    let (mut p, ch) = before_hello();
    let hrr = server_hello(
        HELLO_RETRY_REQUEST_RANDOM,
        &ch.session_id,
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        extensions,
    );
    let outcome = p.deliver(Side::Client, &handshake_record(&hrr));
    refused(&mut p, Side::Client, outcome, alert, text)
}

/// A verifier of client certificates issued by the test CA; `optional` lets a
/// client without one in.
pub fn verifier(optional: bool) -> Result<Arc<dyn ClientCertVerifier>, String> {
    let ca = pair::ecdsa()
        .chain
        .get(1)
        .cloned()
        .ok_or("the test chain has no CA")?;
    let mut roots = RootStore::new();
    roots.add(TrustAnchor::from_cert(ca).map_err(|e| e.to_string())?);
    let v = ClientAuthVerifier::new(Verifier::new(roots));
    Ok(Arc::new(if optional { v.optional() } else { v }))
}

/// The sentence for `got` arriving at the protocol step `step`.
pub fn unexpected(step: &str, got: &str) -> String {
    format!("peer sent {got} {step}")
}

/// One unprotected record of type `typ`.
pub fn rec(typ: ContentType, payload: &[u8]) -> OpaqueRecord {
    split_records(&plain_record(typ, payload)).remove(0)
}

/// Sends the usual ClientHello changed by `edit`; the server must refuse it with
/// `alert` and `text`.
pub fn hello_refused(
    edit: impl FnOnce(&mut ClientHello),
    alert: AlertDescription,
    text: &str,
) -> Check {
    let (mut p, mut ch) = before_hello();
    edit(&mut ch);
    let outcome = send_hello(&mut p, &ch);
    refused(&mut p, Side::Server, outcome, alert, text)
}
