//! Hostile input: every malformed, oversized, misordered or tampered input must end
//! the connection with the RFC's alert (read back from the wire here) and an error
//! whose text is asserted, never with a panic or a hang.

mod pair;

use std::io::{Read, Write};

use ferrotls::codec::Codec;
use ferrotls::msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType, HandshakeType,
    KeyUpdateRequest, NamedGroup, ProtocolVersion, SignatureScheme,
};
use ferrotls::msgs::{
    Certificate13, ClientExtension, ClientHello, Finished, HandshakeMessage, HandshakePayload,
    KeyShareEntry, NewSessionTicket13, ServerExtension, ServerHello, DOWNGRADE_TLS11,
    DOWNGRADE_TLS12, HELLO_RETRY_REQUEST_RANDOM,
};
use ferrotls::Error;

use pair::{
    alert_record, client_config, client_hello_of, handshake_record, identity, inner_error,
    key_update, last_alert_sent, plain_record, raw_record, sealed_message, server_config,
    server_hello, split_records, summary, without, KeyType, Outcome, Pair, Piece, Side, BOTH,
    SERVER_NAME,
};

use AlertDescription as A;

const CLIENT_HS: &str = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
const SERVER_HS: &str = "SERVER_HANDSHAKE_TRAFFIC_SECRET";
const CLIENT_AP: &str = "CLIENT_TRAFFIC_SECRET_0";
const SERVER_AP: &str = "SERVER_TRAFFIC_SECRET_0";

/// Checks how `side` failed: the error's text and alert, the alert it actually put
/// on the wire, and that the connection keeps returning the same error.
fn check_failure(p: &mut Pair, side: Side, err: &Error, alert: AlertDescription, text: &str) {
    assert_eq!(err.alert(), Some(alert), "alert for: {err}");
    assert_eq!(err.to_string(), text);
    assert_eq!(
        p.alert_sent_by(side),
        Some(alert),
        "the alert {side:?} sent for: {err}"
    );
    assert_eq!(p.conn(side).process_new_packets().as_ref().err(), Some(err));
}

/// Delivers `bytes` to `to`, which must fail.
fn deliver_err(p: &mut Pair, to: Side, bytes: &[u8]) -> Error {
    p.deliver(to, bytes).expect_err("the input must be refused")
}

/// A pair whose client's ClientHello has been taken off the wire: the server has seen
/// nothing yet. Returns the ClientHello record bytes and message.
fn pair_before_hello() -> (Pair, Vec<u8>, ClientHello) {
    let mut p = Pair::ecdsa();
    let (flight, ch) = client_hello_of(&mut p.client);
    (p, flight, ch)
}

/// A handshake message of type `typ` whose body is `body`, in one plaintext record.
fn handshake_bytes(typ: HandshakeType, body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap().to_be_bytes();
    let mut msg = vec![typ.to_wire(), len[1], len[2], len[3]];
    msg.extend_from_slice(body);
    plain_record(ContentType::Handshake, &msg)
}

/// Delivers the client's ClientHello to the server and returns the server's flight,
/// not yet delivered.
fn server_flight(p: &mut Pair) -> Vec<u8> {
    p.transfer(Side::Client)
        .expect("the server accepts the ClientHello");
    p.take(Side::Server)
}

/// Runs the handshake up to the client's Finished flight and returns it, not yet
/// delivered.
fn client_finished_flight(p: &mut Pair) -> Vec<u8> {
    let flight = server_flight(p);
    p.deliver(Side::Client, &flight)
        .expect("the client accepts the server's flight");
    p.take(Side::Client)
}

/// Changes the server's protected flight with `edit` and delivers it to the client,
/// which must fail.
fn tamper_server_flight(p: &mut Pair, edit: impl FnOnce(&mut Vec<Piece>)) -> Error {
    let mut flight = server_flight(p);
    p.edit_sealed(Side::Server, SERVER_HS, &mut flight, edit);
    deliver_err(p, Side::Client, &flight)
}

/// Changes the client's protected Finished flight with `edit` and delivers it to
/// the server, which must fail.
fn tamper_client_flight(p: &mut Pair, edit: impl FnOnce(&mut Vec<Piece>)) -> Error {
    let mut flight = client_finished_flight(p);
    p.edit_sealed(Side::Client, CLIENT_HS, &mut flight, edit);
    deliver_err(p, Side::Server, &flight)
}

fn flip_finished(pieces: &mut [Piece]) {
    sealed_message(pieces, HandshakeType::Finished)[4] ^= 0x01;
}

// ---------------------------------------------------------------------------------
// Records

#[test]
fn a_truncated_record_waits_for_the_rest() {
    let hello_len = pair_before_hello().1.len();
    for cut in [1, 4, 5, 6, hello_len / 2, hello_len - 1] {
        let (mut p, hello, _) = pair_before_hello();
        let state = p
            .deliver(Side::Server, &hello[..cut])
            .expect("a partial record is no error");
        assert_eq!(state.tls_bytes_to_write, 0, "cut at {cut}");
        assert!(p.server.is_handshaking());
        p.deliver(Side::Server, &hello[cut..])
            .expect("the rest completes the record");
        assert!(
            p.server.wants_write(),
            "cut at {cut}: the server answers the whole hello"
        );
        p.handshake()
            .unwrap_or_else(|(s, e)| panic!("cut at {cut}: {s:?} failed: {e}"));
    }
}

#[test]
fn a_protected_record_cut_short_is_bad_record_mac() {
    let mut p = Pair::connected();
    p.client.writer().write_all(b"hello").unwrap();
    let mut records = split_records(&p.take(Side::Client));
    records[0].payload.pop();
    let err = deliver_err(&mut p, Side::Server, &pair::join_records(&records));
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::BadRecordMac,
        "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys",
    );

    // Shorter than an AEAD tag.
    let mut p = Pair::connected();
    let err = deliver_err(
        &mut p,
        Side::Server,
        &raw_record(23, 0x0303, &[1, 2, 3, 4, 5]),
    );
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::BadRecordMac,
        "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys",
    );
}

#[test]
fn an_oversized_ciphertext_record_is_record_overflow() {
    let mut p = Pair::connected();
    let err = deliver_err(
        &mut p,
        Side::Server,
        &raw_record(23, 0x0303, &[0; (1 << 14) + 257]),
    );
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::RecordOverflow,
        "peer sent a record of 16641 bytes, more than the 16640 allowed",
    );
}

#[test]
fn an_oversized_plaintext_record_is_record_overflow() {
    let (mut p, _, _) = pair_before_hello();
    let err = deliver_err(
        &mut p,
        Side::Server,
        &raw_record(22, 0x0301, &[1; (1 << 14) + 1]),
    );
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::RecordOverflow,
        "peer sent a record of 16385 bytes, more than the 16384 allowed",
    );
}

#[test]
fn every_unprotected_record_over_2_14_bytes_is_record_overflow() {
    // RFC 8446, 5.1: "An endpoint that receives a record that exceeds this length
    // MUST terminate the connection with a "record_overflow" alert."
    let oversized = vec![1; (1 << 14) + 1];
    let text = "peer sent a record of 16385 bytes, more than the 16384 allowed";
    // An alert before any keys, then an alert and a change_cipher_spec while the
    // client already has handshake keys (both are accepted in the clear there).
    let cases = [
        ("alert before ServerHello", ContentType::Alert, false),
        ("alert after ServerHello", ContentType::Alert, true),
        (
            "change_cipher_spec after ServerHello",
            ContentType::ChangeCipherSpec,
            true,
        ),
    ];
    let mut got = Vec::new();
    for (name, typ, after_server_hello) in cases {
        let mut p = Pair::ecdsa();
        if after_server_hello {
            let flight = split_records(&server_flight(&mut p));
            p.deliver(Side::Client, &pair::join_records(&flight[..1]))
                .unwrap();
        } else {
            p.take(Side::Client);
        }
        let err = deliver_err(&mut p, Side::Client, &plain_record(typ, &oversized));
        got.push((name, p.alert_sent_by(Side::Client), err.to_string()));
    }
    let want: Vec<_> = cases
        .iter()
        .map(|(name, _, _)| (*name, Some(A::RecordOverflow), text.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn an_oversized_protected_plaintext_is_record_overflow() {
    // RFC 8446, 5.2 and 6.2: a record that decrypts to more than 2^14 bytes of
    // content is record_overflow, though its ciphertext length is within bounds.
    let mut p = Pair::connected();
    let record = p
        .cipher(Side::Client, CLIENT_AP)
        .seal_bytes(ContentType::ApplicationData, &[7; (1 << 14) + 1]);
    let err = deliver_err(&mut p, Side::Server, &record);
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::RecordOverflow,
        "peer sent a record of 16386 bytes, more than the 16385 allowed",
    );
}

#[test]
fn a_header_claiming_65535_bytes_fails_at_once() {
    let (mut p, _, _) = pair_before_hello();
    // Only the header: the server must not wait for 64 KiB before refusing it.
    let err = deliver_err(&mut p, Side::Server, &[22, 3, 1, 0xff, 0xff]);
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::RecordOverflow,
        "peer sent a record of 65535 bytes, more than the 16640 allowed",
    );
}

#[test]
fn an_unknown_content_type_is_unexpected_message() {
    let (mut p, _, _) = pair_before_hello();
    let err = deliver_err(
        &mut p,
        Side::Server,
        b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    );
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::UnexpectedMessage,
        "peer sent a record of type unknown(0x47) where none is allowed",
    );
}

#[test]
fn a_record_version_with_a_bad_major_byte_is_protocol_version() {
    let (mut p, hello, _) = pair_before_hello();
    let mut record = hello.clone();
    record[1] = 0x7f;
    let err = deliver_err(&mut p, Side::Server, &record);
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::ProtocolVersion,
        "peer sent a record with version unknown(0x7f01), which is not TLS",
    );
}

#[test]
fn alerts_of_the_wrong_size_are_decode_errors() {
    for (body, text) in [
        (&[2][..], "peer sent a malformed Alert: field description at byte 1: needs 1 byte(s) but only 0 remain (message cut short)"),
        (&[2, 40, 0][..], "peer sent a malformed Alert: field description at byte 2: 1 unexpected byte(s) after the end"),
    ] {
        let (mut p, _, _) = pair_before_hello();
        let err = deliver_err(&mut p, Side::Server, &plain_record(ContentType::Alert, body));
        check_failure(&mut p, Side::Server, &err, A::DecodeError, text);
    }
}

// ---------------------------------------------------------------------------------
// Malformed handshake messages

#[test]
fn every_truncated_client_hello_is_a_decode_error() {
    let (_, _, ch) = pair_before_hello();
    let body = ch.to_bytes();
    // The one prefix that is a well-formed hello: TLS 1.2's shape, without extensions,
    // so without the extended master secret that this server requires.
    let no_extensions = 2 + 32 + 1 + ch.session_id.len() + 2 + 2 * ch.cipher_suites.len() + 1 + 1;
    let config = server_config(&[&pair::ecdsa()])
        .require_extended_master_secret(true)
        .build()
        .unwrap();
    for len in 0..body.len() {
        let mut server = ferrotls::server::ServerConnection::new(config.clone()).unwrap();
        server.feed_tls(&handshake_bytes(HandshakeType::ClientHello, &body[..len]));
        let err = server
            .process_new_packets()
            .expect_err("a truncated ClientHello must be refused");
        let alert = last_alert_sent(&server.take_tls(), None);
        if len == no_extensions {
            assert_eq!(
                err.to_string(),
                "the client did not offer the TLS 1.2 extended master secret (RFC 7627), which this server is configured to require: without it a session is open to the triple-handshake attack"
            );
            assert_eq!(alert, Some(A::HandshakeFailure));
            continue;
        }
        assert!(matches!(err, Error::Decode(_)), "prefix {len}: {err}");
        assert!(
            err.to_string()
                .starts_with("peer sent a malformed ClientHello: field "),
            "prefix {len}: {err}"
        );
        assert_eq!(alert, Some(A::DecodeError), "prefix {len}: {err}");
        match len {
            0 => assert_eq!(
                err.to_string(),
                "peer sent a malformed ClientHello: field legacy_version at byte 4: needs 2 byte(s) but only 0 remain (message cut short)"
            ),
            34 => assert_eq!(
                err.to_string(),
                "peer sent a malformed ClientHello: field legacy_session_id at byte 38: needs 1 byte(s) but only 0 remain (message cut short)"
            ),
            _ => {}
        }
    }
}

#[test]
fn a_garbage_client_hello_is_a_decode_error() {
    let (mut p, _, _) = pair_before_hello();
    let err = deliver_err(
        &mut p,
        Side::Server,
        &handshake_bytes(HandshakeType::ClientHello, &[0xff; 100]),
    );
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::DecodeError,
        "peer sent a malformed ClientHello: field legacy_session_id at byte 38: length 255 exceeds the maximum of 32",
    );
}

#[test]
fn trailing_bytes_in_a_client_hello_are_a_decode_error() {
    let (mut p, _, ch) = pair_before_hello();
    let mut body = ch.to_bytes();
    body.push(0);
    let err = deliver_err(
        &mut p,
        Side::Server,
        &handshake_bytes(HandshakeType::ClientHello, &body),
    );
    let text = format!(
        "peer sent a malformed ClientHello: field extensions at byte {}: 1 unexpected byte(s) after the end",
        4 + body.len() - 1
    );
    check_failure(&mut p, Side::Server, &err, A::DecodeError, &text);
}

#[test]
fn a_partial_message_after_the_client_hello_is_unexpected_message() {
    // RFC 8446, 5.1: the ClientHello changes the keys, so nothing may follow it in
    // its record.
    let (mut p, hello, _) = pair_before_hello();
    let mut records = split_records(&hello);
    records[0].payload.extend_from_slice(&[20, 0]);
    let err = deliver_err(&mut p, Side::Server, &pair::join_records(&records));
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::UnexpectedMessage,
        "peer sent a handshake message that continues across a change of keys",
    );
}

#[test]
fn a_duplicate_extension_is_illegal_parameter() {
    let (mut p, _, mut ch) = pair_before_hello();
    let at = ch
        .extensions
        .iter()
        .position(|e| matches!(e, ClientExtension::SupportedGroups(_)))
        .unwrap();
    let duplicate = ch.extensions[at].clone();
    ch.extensions.insert(at + 1, duplicate);
    // The error points at the second copy: header, fixed fields, block length, and
    // the extensions before it.
    let fixed = ClientHello {
        extensions: Vec::new(),
        ..ch.clone()
    }
    .to_bytes()
    .len();
    let before: usize = ch.extensions[..=at]
        .iter()
        .map(|e| e.to_bytes().len())
        .sum();
    let msg = HandshakeMessage::new(HandshakePayload::ClientHello(ch));
    let err = deliver_err(&mut p, Side::Server, &handshake_record(&msg));
    let text = format!(
        "peer sent a malformed ClientHello: field extensions at byte {}: extension 0x000a appears more than once",
        4 + fixed + 2 + before
    );
    check_failure(&mut p, Side::Server, &err, A::IllegalParameter, &text);
}

// ---------------------------------------------------------------------------------
// Messages out of order

#[test]
fn finished_before_client_hello_is_unexpected_message() {
    let (mut p, _, _) = pair_before_hello();
    let finished = HandshakeMessage::new(HandshakePayload::Finished(Finished {
        verify_data: vec![0; 32],
    }));
    let err = deliver_err(&mut p, Side::Server, &handshake_record(&finished));
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::UnexpectedMessage,
        "peer sent Finished while waiting for the ClientHello",
    );
}

#[test]
fn certificate_before_encrypted_extensions_is_unexpected_message() {
    let mut p = Pair::ecdsa();
    let err = tamper_server_flight(&mut p, |pieces| {
        let position = |t| {
            pieces
                .iter()
                .position(|p| p.handshake_type() == Some(t))
                .unwrap()
        };
        let (ee, cert) = (
            position(HandshakeType::EncryptedExtensions),
            position(HandshakeType::Certificate),
        );
        pieces.swap(ee, cert);
    });
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::UnexpectedMessage,
        "peer sent Certificate while waiting for the server's EncryptedExtensions",
    );
}

/// The bytes of a ClientHello message (header included), from a fresh client.
fn some_client_hello() -> Vec<u8> {
    let (_, _, ch) = pair_before_hello();
    HandshakeMessage::new(HandshakePayload::ClientHello(ch)).to_bytes()
}

#[test]
fn a_client_hello_after_the_handshake_is_unexpected_message() {
    let mut p = Pair::connected();
    let record = p
        .cipher(Side::Client, CLIENT_AP)
        .seal_bytes(ContentType::Handshake, &some_client_hello());
    let err = deliver_err(&mut p, Side::Server, &record);
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::UnexpectedMessage,
        "peer sent ClientHello after the handshake, where it is not allowed",
    );

    // In the clear, it is refused before it is parsed.
    let mut p = Pair::connected();
    let err = deliver_err(
        &mut p,
        Side::Server,
        &plain_record(ContentType::Handshake, &some_client_hello()),
    );
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::UnexpectedMessage,
        "peer sent a record of type handshake where none is allowed",
    );
}

// ---------------------------------------------------------------------------------
// Tampered Finished, CertificateVerify and ciphertext

#[test]
fn a_bad_server_finished_is_decrypt_error() {
    let mut p = Pair::ecdsa();
    let err = tamper_server_flight(&mut p, |pieces| flip_finished(pieces));
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::DecryptError,
        "the server's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys",
    );
}

#[test]
fn a_bad_client_finished_is_decrypt_error() {
    let mut p = Pair::ecdsa();
    let err = tamper_client_flight(&mut p, |pieces| flip_finished(pieces));
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::DecryptError,
        "the client's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys",
    );
}

#[test]
fn a_bad_certificate_verify_signature_is_decrypt_error() {
    for (key_type, scheme) in [
        (KeyType::Ecdsa, SignatureScheme::ECDSA_NISTP256_SHA256),
        (KeyType::Rsa, SignatureScheme::RSA_PSS_RSAE_SHA256),
    ] {
        let id = identity(key_type, &[SERVER_NAME]);
        let mut p = Pair::new(client_config(&[&id]), server_config(&[&id]));
        let err = tamper_server_flight(&mut p, |pieces| {
            let cv = sealed_message(pieces, HandshakeType::CertificateVerify);
            *cv.last_mut().unwrap() ^= 0x80;
        });
        let text = format!(
            "the peer's CertificateVerify signature ({scheme}) does not verify with its certificate's key: it does not hold the private key"
        );
        check_failure(&mut p, Side::Client, &err, A::DecryptError, &text);
    }
}

#[test]
fn tampered_ciphertext_is_bad_record_mac() {
    // The server's first protected record (EncryptedExtensions).
    let mut p = Pair::ecdsa();
    let mut records = split_records(&server_flight(&mut p));
    let ee = records
        .iter()
        .position(|r| r.typ == ContentType::ApplicationData)
        .unwrap();
    records[ee].payload[0] ^= 0x01;
    let err = deliver_err(&mut p, Side::Client, &pair::join_records(&records));
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::BadRecordMac,
        "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys",
    );

    // The second application data record: the error names its sequence number.
    let mut p = Pair::connected();
    p.client.writer().write_all(b"first").unwrap();
    p.client.writer().write_all(b"second").unwrap();
    let mut records = split_records(&p.take(Side::Client));
    *records[1].payload.last_mut().unwrap() ^= 0x01;
    let err = deliver_err(&mut p, Side::Server, &pair::join_records(&records));
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::BadRecordMac,
        "record 1 from the peer failed decryption: it was altered in transit or the peers derived different keys",
    );
    // The record before the tampered one was authentic and is still delivered.
    let mut buf = [0; 16];
    let n = p.server.reader().read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"first");
}

// ---------------------------------------------------------------------------------
// change_cipher_spec (RFC 8446, 5 and D.4)

const BAD_CCS: &str = "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)";

#[test]
fn a_ccs_with_a_body_other_than_1_is_unexpected_message() {
    let mut p = Pair::ecdsa();
    server_flight(&mut p);
    let err = deliver_err(
        &mut p,
        Side::Server,
        &plain_record(ContentType::ChangeCipherSpec, &[2]),
    );
    check_failure(&mut p, Side::Server, &err, A::UnexpectedMessage, BAD_CCS);
}

#[test]
fn a_ccs_after_the_handshake_is_unexpected_message() {
    let mut p = Pair::connected();
    let err = deliver_err(
        &mut p,
        Side::Client,
        &plain_record(ContentType::ChangeCipherSpec, &[1]),
    );
    check_failure(&mut p, Side::Client, &err, A::UnexpectedMessage, BAD_CCS);
}

#[test]
fn a_ccs_before_the_client_hello_is_unexpected_message() {
    let (mut p, _, _) = pair_before_hello();
    let err = deliver_err(
        &mut p,
        Side::Server,
        &plain_record(ContentType::ChangeCipherSpec, &[1]),
    );
    check_failure(&mut p, Side::Server, &err, A::UnexpectedMessage, BAD_CCS);
}

#[test]
fn a_protected_ccs_is_unexpected_message() {
    let mut p = Pair::ecdsa();
    let err = tamper_client_flight(&mut p, |pieces| {
        let finished = pieces
            .iter()
            .position(|p| p.handshake_type() == Some(HandshakeType::Finished))
            .unwrap();
        pieces[finished] = Piece::Sealed {
            typ: ContentType::ChangeCipherSpec,
            content: vec![1],
        };
    });
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::UnexpectedMessage,
        "peer sent a record of type change_cipher_spec where none is allowed",
    );
}

#[test]
fn the_compatibility_ccs_is_accepted_and_optional() {
    // With the CCS records both sides send (RFC 8446, D.4).
    let mut p = Pair::ecdsa();
    let mut ccs_seen = Vec::new();
    let outcome = p.drive(|flight, bytes| {
        let ccs = split_records(bytes)
            .iter()
            .filter(|r| r.typ == ContentType::ChangeCipherSpec && r.payload == [1])
            .count();
        ccs_seen.push((flight.from, ccs));
    });
    assert!(matches!(outcome, Outcome::Done), "{outcome:?}");
    // The last flight is the server's session tickets.
    assert_eq!(
        ccs_seen,
        [
            (Side::Client, 0),
            (Side::Server, 1),
            (Side::Client, 1),
            (Side::Server, 0)
        ]
    );
    p.round_trip();

    // Without them: a peer need not send the CCS.
    let mut p = Pair::ecdsa();
    let outcome = p.drive(|_, bytes| {
        let kept: Vec<_> = split_records(bytes)
            .into_iter()
            .filter(|r| r.typ != ContentType::ChangeCipherSpec)
            .collect();
        *bytes = pair::join_records(&kept);
    });
    assert!(matches!(outcome, Outcome::Done), "{outcome:?}");
    p.round_trip();
}

// ---------------------------------------------------------------------------------
// Alerts from the peer

#[test]
fn a_fatal_alert_from_the_peer_surfaces_as_alert_received() {
    // During the handshake, in the clear.
    let (mut p, _, _) = pair_before_hello();
    let alert = alert_record(AlertLevel::Fatal, A::HandshakeFailure);
    let err = deliver_err(&mut p, Side::Client, &alert);
    assert_eq!(err, Error::AlertReceived(A::HandshakeFailure));
    assert_eq!(
        err.to_string(),
        "peer sent a fatal handshake_failure alert; the connection is closed (the peer found no acceptable parameters (suites, groups, signatures))"
    );
    assert!(p.take(Side::Client).is_empty(), "no alert answers an alert");
    assert_eq!(p.client.process_new_packets().unwrap_err(), err);

    // After the handshake, protected.
    let mut p = Pair::connected();
    let alert = p
        .cipher(Side::Server, SERVER_AP)
        .seal_bytes(ContentType::Alert, &[2, A::InternalError.to_wire()]);
    let err = deliver_err(&mut p, Side::Client, &alert);
    assert_eq!(err, Error::AlertReceived(A::InternalError));
    assert_eq!(
        err.to_string(),
        "peer sent a fatal internal_error alert; the connection is closed"
    );
    assert!(p.take(Side::Client).is_empty(), "no alert answers an alert");
}

#[test]
fn close_notify_before_the_handshake_completes_is_an_error() {
    let (mut p, _, _) = pair_before_hello();
    let err = deliver_err(
        &mut p,
        Side::Client,
        &alert_record(AlertLevel::Warning, A::CloseNotify),
    );
    assert_eq!(err, Error::AlertReceived(A::CloseNotify));
    assert_eq!(
        err.to_string(),
        "peer closed the connection (close_notify) before the handshake completed"
    );
    assert!(p.take(Side::Client).is_empty());
}

// ---------------------------------------------------------------------------------
// Downgrade protection (RFC 8446, 4.1.3)

#[test]
fn a_downgrade_sentinel_is_illegal_parameter() {
    for (sentinel, version) in [(DOWNGRADE_TLS12, "TLSv1.2"), (DOWNGRADE_TLS11, "TLSv1.1")] {
        let (mut p, _, ch) = pair_before_hello();
        let mut random = [0x5a; 32];
        random[24..].copy_from_slice(&sentinel);
        // A TLS 1.2 ServerHello: no supported_versions.
        let sh = server_hello(
            random,
            &ch.session_id,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            vec![ServerExtension::RenegotiationInfo(Vec::new())],
        );
        let err = deliver_err(&mut p, Side::Client, &handshake_record(&sh));
        let text = format!(
            "the server's random carries the RFC 8446 downgrade marker for {version}: an attacker may be forcing an older version"
        );
        check_failure(&mut p, Side::Client, &err, A::IllegalParameter, &text);
    }
}

// ---------------------------------------------------------------------------------
// ClientHello contents the server must refuse

/// Delivers the fresh client's ClientHello, changed by `edit`, to the server, which
/// must fail.
fn server_refuses_hello(edit: impl FnOnce(&mut ClientHello)) -> (Pair, Error) {
    let (mut p, _, mut ch) = pair_before_hello();
    edit(&mut ch);
    let msg = HandshakeMessage::new(HandshakePayload::ClientHello(ch));
    let err = deliver_err(&mut p, Side::Server, &handshake_record(&msg));
    (p, err)
}

fn set_extension(ch: &mut ClientHello, ext: ClientExtension) {
    let at = ch
        .extensions
        .iter()
        .position(|e| e.ext_type() == ext.ext_type())
        .unwrap();
    ch.extensions[at] = ext;
}

#[test]
fn client_hellos_the_server_must_refuse() {
    type Edit = fn(&mut ClientHello);
    let cases: [(&str, Edit, AlertDescription, &str); 8] = [
        (
            "compression",
            |ch| ch.compression_methods = vec![1],
            A::IllegalParameter,
            "peer offered compression methods other than null, which TLS 1.3 forbids",
        ),
        (
            "no supported_groups",
            |ch| without(ch, ExtensionType::SupportedGroups),
            A::MissingExtension,
            "peer's ClientHello lacks the required supported_groups extension",
        ),
        (
            "no signature_algorithms",
            |ch| without(ch, ExtensionType::SignatureAlgorithms),
            A::MissingExtension,
            "peer's ClientHello lacks the required signature_algorithms extension",
        ),
        (
            "share for an unlisted group",
            |ch| set_extension(ch, ClientExtension::SupportedGroups(vec![NamedGroup::X25519MLKEM768])),
            A::IllegalParameter,
            "peer's ClientHello has an illegal key_share: it holds a share for a group missing from supported_groups",
        ),
        (
            "short x25519 share",
            |ch| {
                set_extension(ch, ClientExtension::KeyShare(vec![KeyShareEntry {
                    group: NamedGroup::X25519,
                    payload: vec![9; 31],
                }]))
            },
            A::IllegalParameter,
            "peer's x25519 key share is not a valid public key",
        ),
        (
            "no common suite",
            |ch| ch.cipher_suites = vec![CipherSuite::TLS13_AES_128_CCM_SHA256],
            A::HandshakeFailure,
            "no cipher suite in common: the peer offered TLS_AES_128_CCM_SHA256; enabled here: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256",
        ),
        (
            "no common group",
            |ch| {
                set_extension(ch, ClientExtension::SupportedGroups(vec![NamedGroup::secp521r1]));
                set_extension(ch, ClientExtension::KeyShare(Vec::new()));
            },
            A::HandshakeFailure,
            "no key exchange group in common: the peer offered secp521r1; enabled here: X25519MLKEM768, x25519, secp256r1, secp384r1",
        ),
        (
            "TLS 1.1 only",
            |ch| set_extension(ch, ClientExtension::SupportedVersions(vec![ProtocolVersion::TLSv1_1])),
            A::ProtocolVersion,
            "no TLS version in common: the peer offered TLSv1.1; ferrotls negotiates only TLS 1.3 and TLS 1.2",
        ),
    ];
    for (name, edit, alert, text) in cases {
        let (mut p, err) = server_refuses_hello(edit);
        assert_eq!(err.to_string(), text, "{name}");
        assert_eq!(p.alert_sent_by(Side::Server), Some(alert), "{name}: {err}");
    }
}

// ---------------------------------------------------------------------------------
// ServerHello contents the client must refuse (RFC 8446, 4.1.3 and 4.2.1)

/// Delivers the server's ServerHello, changed by `edit`, to the client, which must fail.
fn client_refuses_server_hello(p: &mut Pair, edit: impl FnOnce(&mut ServerHello)) -> Error {
    let flight = server_flight(p);
    let mut records = split_records(&flight);
    let HandshakePayload::ServerHello(mut sh) = HandshakeMessage::read_tls13(&records[0].payload)
        .unwrap()
        .payload
    else {
        panic!("the server's flight does not start with ServerHello");
    };
    edit(&mut sh);
    records[0].payload = HandshakeMessage::new(HandshakePayload::ServerHello(sh)).to_bytes();
    deliver_err(p, Side::Client, &pair::join_records(&records))
}

#[test]
fn server_hellos_the_client_must_refuse() {
    type Edit = fn(&mut ServerHello);
    let cases: [(&str, Edit, &str); 6] = [
        (
            "session id",
            |sh| sh.session_id[0] ^= 1,
            "the server's legacy_session_id does not echo the client's",
        ),
        (
            "unoffered suite",
            |sh| sh.cipher_suite = CipherSuite::TLS13_AES_256_GCM_SHA384,
            "the server selected cipher suite TLS_AES_256_GCM_SHA384, which the client did not offer",
        ),
        (
            "unshared group",
            |sh| {
                for ext in &mut sh.extensions {
                    if let ServerExtension::KeyShare(share) = ext {
                        share.group = NamedGroup::secp384r1;
                    }
                }
            },
            "the server selected key share group secp384r1, which the client did not offer",
        ),
        (
            "legacy_version",
            |sh| sh.legacy_version = ProtocolVersion::TLSv1_3,
            "peer's ServerHello has an illegal legacy_version: must be 0x0303 in TLS 1.3",
        ),
        (
            "selected TLS 1.2",
            |sh| {
                for ext in &mut sh.extensions {
                    if let ServerExtension::SupportedVersions(v) = ext {
                        *v = ProtocolVersion::TLSv1_2;
                    }
                }
            },
            "the server selected version TLSv1.2, which the client did not offer",
        ),
        (
            "compression",
            |sh| sh.compression_method = 1,
            "peer's ServerHello has an illegal legacy_compression_method: must be 0",
        ),
    ];
    let id = pair::ecdsa();
    for (name, edit, text) in cases {
        let client = client_config(&[&id]).cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256]);
        let mut p = Pair::new(client, server_config(&[&id]));
        let err = client_refuses_server_hello(&mut p, edit);
        assert_eq!(err.to_string(), text, "{name}");
        assert_eq!(
            p.alert_sent_by(Side::Client),
            Some(A::IllegalParameter),
            "{name}: {err}"
        );
    }
}

#[test]
fn a_second_hello_retry_request_is_unexpected_message() {
    // RFC 8446, 4.1.4: "If a client receives a second HelloRetryRequest in the same
    // connection ..., it MUST abort the handshake with an "unexpected_message" alert."
    let id = pair::ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).key_share_groups(&[]),
        server_config(&[&id]),
    );
    p.transfer(Side::Client).unwrap();
    p.transfer(Side::Server).unwrap();
    let second_hello = split_records(&p.take(Side::Client))
        .into_iter()
        .find(|r| r.typ == ContentType::Handshake)
        .unwrap();
    let HandshakePayload::ClientHello(ch) = HandshakeMessage::read_tls13(&second_hello.payload)
        .unwrap()
        .payload
    else {
        panic!("no second ClientHello");
    };
    let hrr = server_hello(
        HELLO_RETRY_REQUEST_RANDOM,
        &ch.session_id,
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        vec![
            ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3),
            ServerExtension::HrrKeyShare(NamedGroup::secp256r1),
        ],
    );
    let err = deliver_err(&mut p, Side::Client, &handshake_record(&hrr));
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::UnexpectedMessage,
        "peer sent HelloRetryRequest while waiting for the ServerHello after HelloRetryRequest",
    );
}

#[test]
fn hello_retry_requests_the_client_must_refuse() {
    type Extensions = fn() -> Vec<ServerExtension>;
    let cases: [(&str, Extensions, &str); 2] = [
        (
            "a group the client does not support",
            || {
                vec![
                    ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3),
                    ServerExtension::HrrKeyShare(NamedGroup::secp521r1),
                ]
            },
            "the server selected group secp521r1, which the client did not offer",
        ),
        (
            "no change to the ClientHello",
            || vec![ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3)],
            "the server sent an invalid HelloRetryRequest: it would not change the ClientHello",
        ),
    ];
    for (name, extensions, text) in cases {
        let (mut p, _, ch) = pair_before_hello();
        let hrr = server_hello(
            HELLO_RETRY_REQUEST_RANDOM,
            &ch.session_id,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            extensions(),
        );
        let err = deliver_err(&mut p, Side::Client, &handshake_record(&hrr));
        assert_eq!(err.to_string(), text, "{name}");
        assert_eq!(
            p.alert_sent_by(Side::Client),
            Some(A::IllegalParameter),
            "{name}: {err}"
        );
    }
}

#[test]
fn a_cookie_too_long_to_echo_is_illegal_parameter() {
    // RFC 8446, 4.2.2: the second ClientHello echoes the cookie, and all its
    // extensions share one 2^16-1 length: a cookie that leaves no room for the rest
    // is refused (not a panic of the ClientHello encoder); a long one that fits is echoed.
    for (len, refused) in [(65_400, true), (60_000, false)] {
        let (mut p, _, ch) = pair_before_hello();
        let hrr = server_hello(
            HELLO_RETRY_REQUEST_RANDOM,
            &ch.session_id,
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            vec![
                ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3),
                ServerExtension::HrrKeyShare(NamedGroup::secp256r1),
                ServerExtension::Cookie(vec![0xc0; len]),
            ],
        );
        // Over 2^14 bytes: the HelloRetryRequest spans several records.
        let flight: Vec<u8> = hrr
            .to_bytes()
            .chunks(1 << 14)
            .flat_map(|chunk| plain_record(ContentType::Handshake, chunk))
            .collect();
        if refused {
            let err = deliver_err(&mut p, Side::Client, &flight);
            check_failure(
                &mut p,
                Side::Client,
                &err,
                A::IllegalParameter,
                "the server sent an invalid HelloRetryRequest: the second ClientHello it asks \
                 for would exceed the 65535 bytes a ClientHello's extensions may take",
            );
            continue;
        }
        p.deliver(Side::Client, &flight)
            .expect("a long cookie that fits");
        let hello: Vec<u8> = split_records(&p.take(Side::Client))
            .into_iter()
            .filter(|r| r.typ == ContentType::Handshake)
            .flat_map(|r| r.payload)
            .collect();
        let HandshakePayload::ClientHello(second) =
            HandshakeMessage::read_tls13(&hello).unwrap().payload
        else {
            panic!("no second ClientHello");
        };
        assert!(
            second
                .extensions
                .contains(&ClientExtension::Cookie(vec![0xc0; len])),
            "the cookie is echoed"
        );
    }
}

#[test]
fn second_client_hellos_that_ignore_the_retry_are_illegal_parameter() {
    type Edit = fn(&mut ClientHello);
    let cases: [(Edit, &str); 3] = [
        (
            |ch| {
                let share = KeyShareEntry {
                    group: NamedGroup::X25519,
                    payload: vec![9; 32],
                };
                set_extension(ch, ClientExtension::KeyShare(vec![share]));
            },
            "it must carry exactly one key share, for the group the HelloRetryRequest named",
        ),
        (
            |ch| {
                ch.cipher_suites
                    .retain(|s| *s != CipherSuite::TLS13_AES_128_GCM_SHA256)
            },
            "it no longer offers the cipher suite the server chose",
        ),
        (|ch| ch.session_id[0] ^= 1, "its legacy_session_id changed"),
    ];
    let id = pair::ecdsa();
    for (edit, reason) in cases {
        let mut p = Pair::new(
            client_config(&[&id]).key_share_groups(&[]),
            server_config(&[&id]),
        );
        p.transfer(Side::Client).unwrap();
        p.transfer(Side::Server).unwrap();
        let mut records = split_records(&p.take(Side::Client));
        let at = records
            .iter()
            .position(|r| r.typ == ContentType::Handshake)
            .unwrap();
        edit_message(&mut records[at].payload, |payload| {
            let HandshakePayload::ClientHello(ch) = payload else {
                panic!("no second ClientHello");
            };
            edit(ch);
        });
        let err = deliver_err(&mut p, Side::Server, &pair::join_records(&records));
        let text = format!(
            "the client's second ClientHello does not follow the HelloRetryRequest: {reason}"
        );
        assert_eq!(err.to_string(), text);
        assert_eq!(
            p.alert_sent_by(Side::Server),
            Some(A::IllegalParameter),
            "{err}"
        );
    }
}

// ---------------------------------------------------------------------------------
// EncryptedExtensions and the rest of the server's flight

/// Re-encodes the handshake message `content` after `edit` changed its payload.
fn edit_message(content: &mut Vec<u8>, edit: impl FnOnce(&mut HandshakePayload)) {
    let mut msg = HandshakeMessage::read_tls13(content).unwrap();
    edit(&mut msg.payload);
    *content = msg.to_bytes();
}

/// Inserts `ext` first in the server's EncryptedExtensions.
fn add_to_encrypted_extensions(ext: ServerExtension) -> impl FnOnce(&mut Vec<Piece>) {
    move |pieces| {
        edit_message(
            sealed_message(pieces, HandshakeType::EncryptedExtensions),
            |payload| {
                let HandshakePayload::EncryptedExtensions(ee) = payload else {
                    panic!("not EncryptedExtensions");
                };
                ee.extensions.insert(0, ext);
            },
        )
    }
}

#[test]
fn an_unrequested_alpn_answer_is_unsupported_extension() {
    // RFC 8446, 4.2: an extension response without the request is unsupported_extension.
    let mut p = Pair::ecdsa();
    let err = tamper_server_flight(
        &mut p,
        add_to_encrypted_extensions(ServerExtension::Alpn(b"h2".to_vec())),
    );
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::UnsupportedExtension,
        "peer's EncryptedExtensions contains the application_layer_protocol_negotiation extension, which was not requested",
    );
}

#[test]
fn an_alpn_answer_the_client_did_not_offer_is_illegal_parameter() {
    let id = pair::ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).alpn(vec![b"h2".to_vec()]),
        server_config(&[&id]),
    );
    let err = tamper_server_flight(
        &mut p,
        add_to_encrypted_extensions(ServerExtension::Alpn(b"spdy/1".to_vec())),
    );
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::IllegalParameter,
        "the server selected ALPN protocol spdy/1, which the client did not offer",
    );
}

#[test]
fn an_unrequested_server_name_answer_is_unsupported_extension() {
    let id = pair::ecdsa();
    let mut p = Pair::new(client_config(&[&id]).sni(false), server_config(&[&id]));
    let err = tamper_server_flight(
        &mut p,
        add_to_encrypted_extensions(ServerExtension::ServerNameAck),
    );
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::UnsupportedExtension,
        "peer's EncryptedExtensions contains the server_name extension, which was not requested",
    );
}

#[test]
fn a_key_share_in_encrypted_extensions_is_illegal_parameter() {
    let mut p = Pair::ecdsa();
    let share = KeyShareEntry {
        group: NamedGroup::X25519,
        payload: vec![9; 32],
    };
    let err = tamper_server_flight(
        &mut p,
        add_to_encrypted_extensions(ServerExtension::KeyShare(share)),
    );
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::IllegalParameter,
        "peer sent a malformed EncryptedExtensions: field extensions at byte 6: extension 0x0033 is not allowed in this message",
    );
}

#[test]
fn certificate_messages_the_client_must_refuse() {
    type Edit = fn(&mut Certificate13);
    let cases: [(Edit, AlertDescription, &str); 2] = [
        (
            // RFC 8446, 4.4.2.4: an empty Certificate from the server is decode_error.
            |c| c.entries.clear(),
            A::DecodeError,
            "peer sent an empty certificate chain",
        ),
        (
            // RFC 8446, 4.4.2: the context is empty for server authentication.
            |c| c.context = vec![1],
            A::IllegalParameter,
            "peer's Certificate has an illegal certificate_request_context: must be empty in the server's Certificate",
        ),
    ];
    for (edit, alert, text) in cases {
        let mut p = Pair::ecdsa();
        let err = tamper_server_flight(&mut p, |pieces| {
            edit_message(
                sealed_message(pieces, HandshakeType::Certificate),
                |payload| {
                    let HandshakePayload::Certificate(c) = payload else {
                        panic!("not a Certificate");
                    };
                    edit(c);
                },
            )
        });
        check_failure(&mut p, Side::Client, &err, alert, text);
    }
}

#[test]
fn a_certificate_verify_with_an_unoffered_scheme_is_illegal_parameter() {
    // RFC 8446, 4.4.3: the scheme must be one the client offered; RSASSA-PKCS1-v1_5
    // is never valid in a TLS 1.3 CertificateVerify.
    let mut p = Pair::ecdsa();
    let err = tamper_server_flight(&mut p, |pieces| {
        edit_message(
            sealed_message(pieces, HandshakeType::CertificateVerify),
            |payload| {
                let HandshakePayload::CertificateVerify(cv) = payload else {
                    panic!("not a CertificateVerify");
                };
                cv.scheme = SignatureScheme::RSA_PKCS1_SHA256;
            },
        )
    });
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::IllegalParameter,
        "the server selected signature scheme rsa_pkcs1_sha256, which the client did not offer",
    );
}

#[test]
fn a_key_update_before_finished_is_unexpected_message() {
    // RFC 8446, 4.6.3.
    let mut p = Pair::ecdsa();
    let err = tamper_server_flight(&mut p, |pieces| {
        let finished = pieces
            .iter()
            .position(|p| p.handshake_type() == Some(HandshakeType::Finished))
            .unwrap();
        let content = key_update(KeyUpdateRequest::UpdateNotRequested);
        pieces.insert(
            finished,
            Piece::Sealed {
                typ: ContentType::Handshake,
                content,
            },
        );
    });
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::UnexpectedMessage,
        "peer sent KeyUpdate while waiting for the peer's Finished",
    );
}

#[test]
fn legal_but_unusual_framing_is_accepted() {
    type Reframe = fn(&mut Vec<Piece>);
    let reframings: [(&str, Reframe); 3] = [
        ("a CCS between protected messages (RFC 8446, 5)", |pieces| {
            let ccs =
                pair::split_records(&plain_record(ContentType::ChangeCipherSpec, &[1])).remove(0);
            pieces.insert(pieces.len() - 2, Piece::Plain(ccs));
        }),
        ("Certificate split across two records", |pieces| {
            let at = pieces
                .iter()
                .position(|p| p.handshake_type() == Some(HandshakeType::Certificate))
                .unwrap();
            let Piece::Sealed { content, .. } = &mut pieces[at] else {
                unreachable!()
            };
            let tail = content.split_off(content.len() / 2);
            pieces.insert(
                at + 1,
                Piece::Sealed {
                    typ: ContentType::Handshake,
                    content: tail,
                },
            );
        }),
        ("all protected messages in one record", |pieces| {
            let mut joined = Vec::new();
            pieces.retain(|p| match p {
                Piece::Sealed { content, .. } => {
                    joined.extend_from_slice(content);
                    false
                }
                Piece::Plain(_) => true,
            });
            pieces.push(Piece::Sealed {
                typ: ContentType::Handshake,
                content: joined,
            });
        }),
    ];
    for (name, reframe) in reframings {
        let mut p = Pair::ecdsa();
        let mut flight = server_flight(&mut p);
        p.edit_sealed(Side::Server, SERVER_HS, &mut flight, reframe);
        p.deliver(Side::Client, &flight)
            .unwrap_or_else(|e| panic!("{name}: the client refused the flight: {e}"));
        p.handshake()
            .unwrap_or_else(|(s, e)| panic!("{name}: {s:?} failed: {e}"));
        p.round_trip();
    }
}

// ---------------------------------------------------------------------------------
// Post-handshake messages

#[test]
fn a_key_update_with_an_undefined_request_is_illegal_parameter() {
    let mut p = Pair::connected();
    let record = p.cipher(Side::Client, CLIENT_AP).seal_bytes(
        ContentType::Handshake,
        &key_update(KeyUpdateRequest::Unknown(2)),
    );
    let err = deliver_err(&mut p, Side::Server, &record);
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::IllegalParameter,
        "peer sent a KeyUpdate with request_update 2; only 0 and 1 are defined",
    );
}

fn new_session_ticket(lifetime: u32) -> Vec<u8> {
    HandshakeMessage::new(HandshakePayload::NewSessionTicket(NewSessionTicket13 {
        lifetime,
        age_add: 7,
        nonce: vec![0],
        ticket: vec![1; 16],
        extensions: Vec::new(),
    }))
    .to_bytes()
}

#[test]
fn new_session_tickets_are_for_clients_only() {
    let mut p = Pair::connected();
    let mut cipher = p.cipher(Side::Server, SERVER_AP);
    p.deliver(
        Side::Client,
        &cipher.seal_bytes(ContentType::Handshake, &new_session_ticket(3600)),
    )
    .expect("the client accepts a ticket");
    assert_eq!(p.client.negotiated().tickets_received, 1);
    // RFC 8446, 4.6.1: at most seven days.
    let err = deliver_err(
        &mut p,
        Side::Client,
        &cipher.seal_bytes(ContentType::Handshake, &new_session_ticket(604_801)),
    );
    check_failure(
        &mut p,
        Side::Client,
        &err,
        A::IllegalParameter,
        "peer's NewSessionTicket has an illegal ticket_lifetime: exceeds seven days",
    );

    let mut p = Pair::connected();
    let record = p
        .cipher(Side::Client, CLIENT_AP)
        .seal_bytes(ContentType::Handshake, &new_session_ticket(3600));
    let err = deliver_err(&mut p, Side::Server, &record);
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::UnexpectedMessage,
        "peer sent NewSessionTicket after the handshake, where it is not allowed",
    );
}

#[test]
fn a_handshake_message_declaring_16_mib_is_refused_at_once() {
    let (mut p, _, _) = pair_before_hello();
    let err = deliver_err(
        &mut p,
        Side::Server,
        &plain_record(ContentType::Handshake, &[11, 0xff, 0xff, 0xff]),
    );
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::DecodeError,
        "peer sent a handshake message of 16777215 bytes, more than the 65536 we accept",
    );
    // A ClientHello may take up to the 131,396 bytes its encoding allows.
    let (mut p, _, _) = pair_before_hello();
    let err = deliver_err(
        &mut p,
        Side::Server,
        &plain_record(ContentType::Handshake, &[1, 0xff, 0xff, 0xff]),
    );
    check_failure(
        &mut p,
        Side::Server,
        &err,
        A::DecodeError,
        "peer sent a ClientHello of 16777215 bytes, more than the 131396 any ClientHello can take",
    );
}

// ---------------------------------------------------------------------------------
// Failure is final

#[test]
fn a_failed_connection_returns_the_same_error_on_every_call() {
    let mut p = Pair::ecdsa();
    let err = tamper_client_flight(&mut p, |pieces| flip_finished(pieces));
    assert_eq!(p.alert_sent_by(Side::Server), Some(A::DecryptError));

    assert_eq!(p.server.error(), Some(&err));
    assert_eq!(p.server.process_new_packets().unwrap_err(), err);
    // More bytes, even well-formed ones, change nothing.
    let close = alert_record(AlertLevel::Warning, A::CloseNotify);
    assert_eq!(deliver_err(&mut p, Side::Server, &close), err);
    assert_eq!(p.server.refresh_traffic_keys().unwrap_err(), err);
    let write = p.server.writer().write(b"data").unwrap_err();
    assert_eq!(*inner_error(&write), err);
    let read = p.server.reader().read(&mut [0; 16]).unwrap_err();
    assert_eq!(*inner_error(&read), err);
    assert!(!p.server.wants_read());
    // Nothing more goes out: no second alert, no close_notify.
    p.server.send_close_notify();
    assert!(p.take(Side::Server).is_empty());
}

// ---------------------------------------------------------------------------------
// Random mutations

/// xorshift64 (Marsaglia): deterministic and good enough to pick bytes.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One change to one flight of a handshake.
#[derive(Clone, Copy, Debug)]
enum Mutation {
    Flip { flight: usize, at: u64, mask: u8 },
    Truncate { flight: usize, at: u64 },
}

impl Mutation {
    fn random(rng: &mut XorShift) -> Self {
        // Flights 0..3: ClientHello, the server's flight, the client's Finished.
        let flight = rng.below(3);
        let at = rng.next();
        if rng.below(4) == 0 {
            Mutation::Truncate { flight, at }
        } else {
            Mutation::Flip {
                flight,
                at,
                mask: rng.below(255) as u8 + 1,
            }
        }
    }

    fn apply(self, index: usize, bytes: &mut Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        let pos = |at: u64| (at % bytes.len() as u64) as usize;
        match self {
            Mutation::Flip { flight, at, mask } if flight == index => {
                let i = pos(at);
                bytes[i] ^= mask;
            }
            Mutation::Truncate { flight, at } if flight == index => {
                let i = pos(at);
                bytes.truncate(i);
            }
            _ => {}
        }
    }
}

fn summaries(p: &Pair) -> [String; 2] {
    BOTH.map(|s| summary(p.conn_ref(s).negotiated()))
}

#[test]
fn random_mutations_fail_cleanly_or_change_nothing() {
    let mut clean = Pair::connected();
    let baseline = summaries(&clean);
    clean.round_trip();

    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let (mut done, mut failed, mut stalled) = (0, 0, 0);
    for case in 0..300 {
        let mutation = Mutation::random(&mut rng);
        let what = format!("case {case}: {mutation:?}");
        let mut p = Pair::ecdsa();
        match p.drive(|flight, bytes| mutation.apply(flight.index, bytes)) {
            Outcome::Done => {
                done += 1;
                assert_eq!(summaries(&p), baseline, "{what}");
                p.round_trip();
            }
            Outcome::Failed(side, err) => {
                failed += 1;
                if let Some(alert) = err.alert() {
                    assert_eq!(
                        p.alert_sent_by(side),
                        Some(alert),
                        "{what}: {side:?} failed with {err}"
                    );
                }
                assert_eq!(
                    p.conn(side).process_new_packets().unwrap_err(),
                    err,
                    "{what}"
                );
                assert!(!err.to_string().is_empty());
            }
            Outcome::Stalled => {
                stalled += 1;
                for side in BOTH {
                    assert!(p.conn_ref(side).error().is_none(), "{what}");
                }
            }
        }
    }
    eprintln!("mutations: {done} completed, {failed} failed, {stalled} stalled");
    assert_eq!(done + failed + stalled, 300);
    assert!(
        failed > 150,
        "most mutations must be detected: {failed} of 300"
    );
}
