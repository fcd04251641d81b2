//! RFC 5246 (TLS 1.2): the ClientHello (7.4.1.2), ServerHello (7.4.1.3, 7.4.1.4),
//! ServerKeyExchange (7.4.3), ChangeCipherSpec (7.1), Finished (7.4.9) and alerts
//! (7.2.2).

use ferrotls::msgs::enums::{
    AlertDescription as A, CipherSuite, ContentType, HandshakeType, NamedGroup, SignatureScheme,
};
use ferrotls::msgs::ServerExtension;

use crate::pair::{
    edit_plain_message, edit_server_hello, join_records, plain_record, split_records, Hello12,
    Keys12, Pair, Side,
};
use crate::peer::{
    before_hello_with, client, refused, send_hello, server, unexpected, Check, TLS12,
};

/// A TLS 1.2 pair offering TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 only.
fn pair12() -> Pair {
    Pair::new(
        client()
            .versions(TLS12)
            .cipher_suites(&[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]),
        server(),
    )
}

/// Delivers the server's first TLS 1.2 flight with its ServerKeyExchange changed
/// by `edit`; the client must refuse it (its alert goes out in the clear).
fn ske_refused(p: &mut Pair, edit: impl FnOnce(&mut Vec<u8>), alert: A, text: &str) -> Check {
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let mut flight = p.take(Side::Server);
    edit_plain_message(&mut flight, HandshakeType::ServerKeyExchange, edit);
    let outcome = p.deliver(Side::Client, &flight);
    refused(p, Side::Client, outcome, alert, text)
}

rules! {
    rfc: "RFC 5246";

    /// RFC 5246, 7.4.9: `opaque verify_data[verify_data_length]`, 12 bytes for
    /// every suite ferrotls has; 7.2.2: decode_error is for "A message could not
    /// be decoded because some field was out of the specified range or the length
    /// of the message was incorrect", decrypt_error for a Finished that fails its
    /// check. A client Finished one byte short is the former.
    "7.4.9", "Finished of the wrong length is decode_error" =>
    fn finished_of_the_wrong_length_is_decode_error() {
        finished_refused(|fin| {
            fin.pop();
            fin[3] -= 1;
        }, A::DecodeError,
            "peer sent a malformed Finished: field verify_data at byte 4: length 11 where exactly 12 are needed")
    }

    /// RFC 5246, 7.4.9: "Recipients of Finished messages MUST verify that the
    /// contents are correct"; 7.2.2: decrypt_error for "a handshake cryptographic
    /// operation failed, including being unable to [...] validate a finished
    /// message".
    "7.4.9", "Finished with wrong verify_data is decrypt_error" =>
    fn finished_with_wrong_verify_data_is_decrypt_error() {
        finished_refused(|fin| fin[4] ^= 1, A::DecryptError,
            "the client's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys")
    }

    /// RFC 5246, 7.4.1.2: the compression methods "MUST contain, and all
    /// implementations MUST support, CompressionMethod.null".
    "7.4.1.2", "ClientHello without null compression is illegal_parameter" =>
    fn client_hello_without_null_compression_is_illegal_parameter() {
        let (mut p, mut ch) = before_hello_with(client().versions(TLS12), server());
        ch.compression_methods = vec![1];
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::IllegalParameter,
            "peer's ClientHello has an illegal compression_methods: must include null (0)")
    }

    /// RFC 5246, 7.1 and 7.2.2: a ChangeCipherSpec before the ClientKeyExchange
    /// comes when the server has no keys to change to: unexpected_message.
    "7.1", "ChangeCipherSpec before ClientKeyExchange is unexpected_message" =>
    fn ccs_before_client_key_exchange_is_unexpected_message() {
        let mut p = pair12();
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::ChangeCipherSpec, &[1]));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            &unexpected("while waiting for the client's ClientKeyExchange (TLS 1.2)", "ChangeCipherSpec"))
    }

    /// RFC 5246, 7.1: the same to the client, inside the server's first flight.
    "7.1", "ChangeCipherSpec inside the server's first flight is unexpected_message" =>
    fn ccs_inside_the_server_flight_is_unexpected_message() {
        let mut p = pair12();
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut records = split_records(&p.take(Side::Server));
        records.insert(2, split_records(&plain_record(ContentType::ChangeCipherSpec, &[1])).remove(0));
        let outcome = p.deliver(Side::Client, &join_records(&records));
        refused(&mut p, Side::Client, outcome, A::UnexpectedMessage,
            &unexpected("while waiting for the server's ServerKeyExchange (TLS 1.2)", "ChangeCipherSpec"))
    }

    /// RFC 5246, 7.4.3: the ServerKeyExchange signature covers the randoms and the
    /// parameters; 7.2.2: one that does not verify is decrypt_error.
    "7.4.3", "ServerKeyExchange whose signature does not verify is decrypt_error" =>
    fn server_key_exchange_with_a_bad_signature_is_decrypt_error() {
        ske_refused(&mut pair12(), |m| {
            let last = m.len() - 1;
            m[last] ^= 1;
        }, A::DecryptError,
            "the server's ServerKeyExchange signature (ecdsa_secp256r1_sha256) does not verify with its certificate's key: the key exchange was tampered with or the server does not hold the key")
    }

    /// RFC 8422, 5.4 with RFC 5246, 7.4.3: the server's curve must be one the client
    /// listed; another is illegal_parameter.
    "7.4.3", "ServerKeyExchange for a group the client did not offer is illegal_parameter" =>
    fn server_key_exchange_for_an_unoffered_group_is_illegal_parameter() {
        let mut p = Pair::new(client().versions(TLS12).groups(&[NamedGroup::X25519, NamedGroup::secp256r1]), server());
        ske_refused(&mut p, |m| m[5..7].copy_from_slice(&NamedGroup::secp384r1.to_wire().to_be_bytes()),
            A::IllegalParameter, "the server selected group secp384r1, which the client did not offer")
    }

    /// RFC 5246, 7.4.1.4.1: the server's signature algorithm must be one the client
    /// listed in signature_algorithms.
    "7.4.1.4.1", "ServerKeyExchange signed with an unoffered scheme is illegal_parameter" =>
    fn server_key_exchange_with_an_unoffered_scheme_is_illegal_parameter() {
        ske_refused(&mut pair12(), |m| {
            let at = 8 + usize::from(m[7]);
            m[at..at + 2].copy_from_slice(&SignatureScheme::ECDSA_NISTP521_SHA512.to_wire().to_be_bytes());
        }, A::IllegalParameter, "the server selected signature scheme ecdsa_secp521r1_sha512, which the client did not offer")
    }

    /// RFC 5246, 7.4.1.3: the server's cipher_suite is "selected by the server from
    /// the list in ClientHello.cipher_suites"; another is illegal_parameter.
    "7.4.1.3", "TLS 1.2 ServerHello selecting an unoffered suite is illegal_parameter" =>
    fn server_hello_with_an_unoffered_suite_is_illegal_parameter() {
        let mut p = pair12();
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        edit_server_hello(&mut flight, |sh| sh.cipher_suite = CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
        let outcome = p.deliver(Side::Client, &flight);
        refused(&mut p, Side::Client, outcome, A::IllegalParameter,
            "the server selected cipher suite TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, which the client did not offer")
    }

    /// RFC 5246, 7.4.1.4: "If a client receives an extension type in ServerHello
    /// that it did not request in the associated ClientHello, it MUST abort the
    /// handshake with an unsupported_extension fatal alert."
    "7.4.1.4", "TLS 1.2 ServerHello with an unrequested extension is unsupported_extension" =>
    fn server_hello_with_an_unrequested_extension_is_unsupported_extension() {
        let mut p = pair12();
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        edit_server_hello(&mut flight, |sh| sh.extensions.push(ServerExtension::Alpn(b"h2".to_vec())));
        let outcome = p.deliver(Side::Client, &flight);
        refused(&mut p, Side::Client, outcome, A::UnsupportedExtension,
            "peer's ServerHello contains the application_layer_protocol_negotiation extension, which was not requested")
    }
}

/// Runs a TLS 1.2 handshake up to the client's Finished, changes the Finished
/// message with `edit` (re-encrypted under the client's keys), and delivers it to
/// the server, which must refuse it; its alert goes out in the clear.
fn finished_refused(edit: impl FnOnce(&mut Vec<u8>), alert: A, text: &str) -> Check {
    let mut p = Pair::new(client().versions(TLS12), server());
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let flight = p.take(Side::Server);
    let hello = Hello12::of(&flight);
    p.deliver(Side::Client, &flight)
        .map_err(|e| format!("server flight: {e}"))?;
    let keys = Keys12::from_log(&p.client_keys, &hello);
    let mut records = split_records(&p.take(Side::Client));
    let at = records
        .iter()
        .position(|r| r.typ == ContentType::ChangeCipherSpec)
        .ok_or("no ChangeCipherSpec from the client")?
        + 1;
    let mut fin = keys
        .open_at(Side::Client, &records[at], 0)
        .ok_or("the Finished does not open")?;
    if fin.first() != Some(&HandshakeType::Finished.to_wire()) {
        return Err("the record after the CCS is not Finished".into());
    }
    edit(&mut fin);
    let sealed = keys.seal_at(Side::Client, 0, ContentType::Handshake, &fin);
    records[at] = split_records(&sealed).remove(0);
    let outcome = p.deliver(Side::Server, &join_records(&records));
    refused(&mut p, Side::Server, outcome, alert, text)
}
