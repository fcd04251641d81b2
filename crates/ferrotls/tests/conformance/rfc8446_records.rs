//! RFC 8446 (TLS 1.3): the record layer (5.1-5.4) and alerts (6.1, 6.2), mostly
//! as the client sees them from a hostile server, and the protected-record rules
//! the server-side cases of `rfc8446_more` leave open.

use ferrotls::conn::IoState;
use ferrotls::msgs::enums::{AlertDescription as A, AlertLevel, ContentType, HandshakeType};
use ferrotls::record::OpaqueRecord;
use ferrotls::Error;

use crate::pair::{
    alert_record, join_records, plain_record, raw_record, read_plaintext, split_records, Pair,
    Piece, RecordCipher, Side,
};
use crate::peer::{
    client, connected, failed_without_alert, rec, refused, same, send_edited_client_flight,
    send_edited_server_flight, server, Check,
};

const BAD_CCS: &str = "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)";

/// A pair whose client has sent its ClientHello and waits for the server.
fn waiting_client() -> Result<Pair, String> {
    let mut p = Pair::new(client(), server());
    let _ = p.take(Side::Client);
    Ok(p)
}

/// Delivers `bytes` to a client waiting for the ServerHello; it must refuse them.
fn client_refuses_first(bytes: &[u8], alert: A, text: &str) -> Check {
    let mut p = waiting_client()?;
    let outcome = p.deliver(Side::Client, bytes);
    refused(&mut p, Side::Client, outcome, alert, text)
}

/// The server's answer to the usual ClientHello (ServerHello in the clear, maybe a
/// change_cipher_spec, then protected records), changed by `edit`, to the client.
fn server_records_refused(
    edit: impl FnOnce(&mut Vec<OpaqueRecord>),
    alert: A,
    text: &str,
) -> Check {
    let mut p = Pair::new(client(), server());
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let mut records = split_records(&p.take(Side::Server));
    edit(&mut records);
    let outcome = p.deliver(Side::Client, &join_records(&records));
    refused(&mut p, Side::Client, outcome, alert, text)
}

/// A connected pair and the server's application-traffic protection, to send the
/// client protected records of any content.
fn connected_client() -> (Pair, RecordCipher) {
    let p = Pair::connected();
    let cipher = p.cipher(Side::Server, "SERVER_TRAFFIC_SECRET_0");
    (p, cipher)
}

/// Sends the connected client one record sealed by the server; it must refuse it.
fn client_refuses_sealed(
    seal: impl FnOnce(&mut RecordCipher) -> OpaqueRecord,
    alert: A,
    text: &str,
) -> Check {
    let (mut p, mut cipher) = connected_client();
    let record = seal(&mut cipher);
    let outcome = p.deliver(Side::Client, &join_records(&[record]));
    refused(&mut p, Side::Client, outcome, alert, text)
}

/// Sends the connected server one record sealed by the client; it must refuse it.
fn server_refuses_sealed(
    seal: impl FnOnce(&mut RecordCipher) -> OpaqueRecord,
    alert: A,
    text: &str,
) -> Check {
    let (mut p, mut cipher) = connected();
    let record = seal(&mut cipher);
    let outcome = p.deliver(Side::Server, &join_records(&[record]));
    refused(&mut p, Side::Server, outcome, alert, text)
}

/// Checks that `side` failed on a received alert without answering.
fn ended_by_alert(p: &mut Pair, side: Side, outcome: Result<IoState, Error>, text: &str) -> Check {
    failed_without_alert(p, side, outcome, text)
}

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 5: "An implementation which receives any other change_cipher_spec
    /// value [than 0x01] [...] MUST abort the handshake with an
    /// "unexpected_message" alert." A server's change_cipher_spec of 2.
    "5", "server change_cipher_spec other than 0x01 is unexpected_message" =>
    fn server_ccs_other_than_1_is_unexpected_message() {
        server_records_refused(|r| r.insert(1, rec(ContentType::ChangeCipherSpec, &[2])),
            A::UnexpectedMessage, BAD_CCS)
    }

    /// RFC 8446, 5: the change_cipher_spec is "the single byte value 0x01"; two
    /// bytes from the client are refused.
    "5", "change_cipher_spec of two bytes is unexpected_message" =>
    fn ccs_of_two_bytes_is_unexpected_message() {
        let mut p = Pair::new(client(), server());
        let mut flight = p.take(Side::Client);
        flight.extend(plain_record(ContentType::ChangeCipherSpec, &[1, 1]));
        let outcome = p.deliver(Side::Server, &flight);
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage, BAD_CCS)
    }

    /// RFC 8446, 5: an empty change_cipher_spec record is not the byte 0x01.
    "5", "empty change_cipher_spec is unexpected_message" =>
    fn empty_ccs_is_unexpected_message() {
        let mut p = Pair::new(client(), server());
        let mut flight = p.take(Side::Client);
        flight.extend(plain_record(ContentType::ChangeCipherSpec, &[]));
        let outcome = p.deliver(Side::Server, &flight);
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage, "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)")
    }

    /// RFC 8446, 5: "An implementation which receives [...] a protected
    /// change_cipher_spec record MUST abort the handshake with an
    /// "unexpected_message" alert": one inside the server's protected flight.
    "5", "protected change_cipher_spec from the server is unexpected_message" =>
    fn protected_server_ccs_is_unexpected_message() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            let at = pieces.iter().position(|p| matches!(p, Piece::Sealed { .. })).unwrap_or(0);
            pieces.insert(at, Piece::Sealed { typ: ContentType::ChangeCipherSpec, content: vec![1] });
        })?;
        refused(&mut p, Side::Client, outcome, A::UnexpectedMessage,
            "peer sent a record of type change_cipher_spec where none is allowed")
    }

    /// RFC 8446, 5: change_cipher_spec is allowed only "before the peer's Finished
    /// message has been received"; after the handshake, to the client.
    "5", "change_cipher_spec to the client after the handshake is unexpected_message" =>
    fn ccs_to_the_client_after_the_handshake_is_unexpected_message() {
        let (mut p, _) = connected_client();
        let outcome = p.deliver(Side::Client, &plain_record(ContentType::ChangeCipherSpec, &[1]));
        refused(&mut p, Side::Client, outcome, A::UnexpectedMessage, BAD_CCS)
    }

    /// RFC 8446, 5: a change_cipher_spec before the ServerHello (the client has
    /// sent its ClientHello but received nothing) is allowed: "at any time after
    /// the first ClientHello message has been sent or received".
    "5", "change_cipher_spec before the ServerHello is ignored by the client" =>
    fn ccs_before_the_server_hello_is_ignored() {
        let mut p = Pair::new(client(), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = plain_record(ContentType::ChangeCipherSpec, &[1]);
        flight.extend(p.take(Side::Server));
        p.deliver(Side::Client, &flight).map_err(|e| format!("the client refused: {e}"))?;
        p.handshake().map_err(|(s, e)| format!("{s:?}: {e}"))
    }

    /// RFC 8446, 5: "If a TLS implementation receives an unexpected record type, it
    /// MUST terminate the connection with an "unexpected_message" alert." A
    /// protected record whose inner content type is unknown, to the server.
    "5", "protected record of an unknown inner type to the server is unexpected_message" =>
    fn protected_unknown_type_to_the_server_is_unexpected_message() {
        server_refuses_sealed(|c| c.seal(ContentType::Unknown(0x63), b"x"), A::UnexpectedMessage,
            "peer sent a record of type unknown(0x63) where none is allowed")
    }

    /// RFC 8446, 5: the same, to the client.
    "5", "protected record of an unknown inner type to the client is unexpected_message" =>
    fn protected_unknown_type_to_the_client_is_unexpected_message() {
        client_refuses_sealed(|c| c.seal(ContentType::Unknown(0x63), b"x"), A::UnexpectedMessage,
            "peer sent a record of type unknown(0x63) where none is allowed")
    }

    /// RFC 8446, 5: an unprotected record of an unknown type to a client waiting
    /// for the ServerHello.
    "5", "unknown record type to the client is unexpected_message" =>
    fn unknown_record_type_to_the_client_is_unexpected_message() {
        client_refuses_first(&raw_record(0x63, 0x0303, &[1]), A::UnexpectedMessage,
            "peer sent a record of type unknown(0x63) where none is allowed")
    }

    /// RFC 8446, 5: application data in the clear before the ServerHello.
    "5", "application_data to the client before the ServerHello is unexpected_message" =>
    fn application_data_before_the_server_hello_is_unexpected_message() {
        client_refuses_first(&plain_record(ContentType::ApplicationData, b"data"), A::UnexpectedMessage,
            "peer sent a record of type application_data where none is allowed")
    }

    /// RFC 8446, 5.1: "The length MUST NOT exceed 2^14 bytes. An endpoint that
    /// receives a record that exceeds this length MUST terminate the connection
    /// with a "record_overflow" alert." To the client.
    "5.1", "plaintext record over 2^14 bytes to the client is record_overflow" =>
    fn plaintext_record_over_2_14_to_the_client_is_record_overflow() {
        client_refuses_first(&raw_record(22, 0x0303, &vec![2; (1 << 14) + 1]), A::RecordOverflow,
            "peer sent a record of 16385 bytes, more than the 16384 allowed")
    }

    /// RFC 8446, 5.1: "Implementations MUST NOT send zero-length fragments of
    /// Handshake types", to the client.
    "5.1", "zero-length handshake fragment to the client is unexpected_message" =>
    fn zero_length_handshake_fragment_to_the_client_is_unexpected_message() {
        client_refuses_first(&plain_record(ContentType::Handshake, &[]), A::UnexpectedMessage,
            "peer sent an empty handshake record, which is not allowed")
    }

    /// RFC 8446, 5.1: "[zero-length fragments] even if those fragments contain
    /// padding": a protected handshake record with no content.
    "5.1", "protected zero-length handshake record is unexpected_message" =>
    fn protected_zero_length_handshake_record_is_unexpected_message() {
        server_refuses_sealed(|c| c.seal_padded(ContentType::Handshake, &[], 10), A::UnexpectedMessage,
            "peer sent an empty handshake record, which is not allowed")
    }

    /// RFC 8446, 5.1: "Zero-length fragments of Application Data MAY be sent", to
    /// the client.
    "5.1", "zero-length application data to the client is accepted" =>
    fn zero_length_application_data_to_the_client_is_accepted() {
        let (mut p, mut cipher) = connected_client();
        let mut bytes = join_records(&[cipher.seal(ContentType::ApplicationData, &[])]);
        bytes.extend(join_records(&[cipher.seal(ContentType::ApplicationData, b"after")]));
        p.deliver(Side::Client, &bytes).map_err(|e| format!("the client refused: {e}"))?;
        same("plaintext", read_plaintext(&mut p.client).0, b"after".to_vec())
    }

    /// RFC 8446, 5.1 and 2: once the server's handshake keys are in use, its
    /// messages are protected; an EncryptedExtensions in the clear is out of place.
    "5.1", "unprotected handshake record after the ServerHello is unexpected_message" =>
    fn unprotected_handshake_after_the_server_hello_is_unexpected_message() {
        server_records_refused(|r| r.insert(1, rec(ContentType::Handshake, &[8, 0, 0, 2, 0, 0])),
            A::UnexpectedMessage, "peer sent a record of type handshake where none is allowed")
    }

    /// RFC 8446, 5.1: "Handshake messages MUST NOT span key changes": bytes of a
    /// next message in the ServerHello's record, which changes the keys.
    "5.1", "ServerHello record with a next message's bytes is unexpected_message" =>
    fn server_hello_spanning_a_key_change_is_unexpected_message() {
        server_records_refused(|r| r[0].payload.extend_from_slice(&[8, 0]), A::UnexpectedMessage,
            "peer sent a handshake message that continues across a change of keys")
    }

    /// RFC 8446, 5.1: the client's Finished changes the keys; a next message's
    /// bytes in its record span that change.
    "5.1", "client Finished record with a next message's bytes is unexpected_message" =>
    fn client_finished_spanning_a_key_change_is_unexpected_message() {
        let (mut p, outcome) = send_edited_client_flight(|pieces| {
            if let Some(Piece::Sealed { content, .. }) = pieces.iter_mut().rev().find(|p| p.handshake_type() == Some(HandshakeType::Finished)) {
                content.extend_from_slice(&[24, 0]);
            }
        })?;
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent a handshake message that continues across a change of keys")
    }

    /// RFC 8446, 5.1: "Handshake messages MUST NOT be interleaved with other record
    /// types", to the client: an alert between two fragments of the ServerHello.
    "5.1", "record between ServerHello fragments is unexpected_message" =>
    fn record_between_server_hello_fragments_is_unexpected_message() {
        server_records_refused(|r| {
            let sh = r.remove(0).payload;
            r.insert(0, rec(ContentType::Handshake, &sh[10..]));
            r.insert(0, split_records(&alert_record(AlertLevel::Warning, A::UserCanceled)).remove(0));
            r.insert(0, rec(ContentType::Handshake, &sh[..10]));
        }, A::UnexpectedMessage, "peer interleaved another record type inside a fragmented handshake message")
    }

    /// RFC 8446, 5.2: "The length MUST NOT exceed 2^14 + 256 bytes. An endpoint
    /// that receives a record that exceeds this length MUST terminate the
    /// connection with a "record_overflow" alert." To the client.
    "5.2", "ciphertext record over 2^14 + 256 bytes to the client is record_overflow" =>
    fn ciphertext_record_over_limit_to_the_client_is_record_overflow() {
        let (mut p, _) = connected_client();
        let outcome = p.deliver(Side::Client, &raw_record(23, 0x0303, &vec![0; (1 << 14) + 257]));
        refused(&mut p, Side::Client, outcome, A::RecordOverflow,
            "peer sent a record of 16641 bytes, more than the 16640 allowed")
    }

    /// RFC 8446, 5.2: TLSInnerPlaintext "MUST NOT exceed 2^14 + 1 octets", to the
    /// client.
    "5.2", "protected plaintext over 2^14 + 1 bytes to the client is record_overflow" =>
    fn protected_plaintext_over_limit_to_the_client_is_record_overflow() {
        client_refuses_sealed(|c| c.seal(ContentType::ApplicationData, &vec![1; (1 << 14) + 1]),
            A::RecordOverflow, "peer sent a record of 16386 bytes, more than the 16385 allowed")
    }

    /// RFC 8446, 5.4: "The presence of padding does not change the overall record
    /// size limitations: the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 +
    /// 1 octets": one byte of content and padding up to exactly the limit is
    /// accepted.
    "5.4", "padding up to the inner plaintext limit is accepted" =>
    fn padding_up_to_the_limit_is_accepted() {
        let (mut p, mut cipher) = connected();
        let record = cipher.seal_padded(ContentType::ApplicationData, b"x", (1 << 14) - 1);
        p.deliver(Side::Server, &join_records(&[record])).map_err(|e| format!("the server refused: {e}"))?;
        same("plaintext", read_plaintext(&mut p.server).0, b"x".to_vec())
    }

    /// RFC 8446, 5.4: padding that takes the inner plaintext one byte over the
    /// limit is record_overflow, though the content is one byte.
    "5.4", "padding beyond the inner plaintext limit is record_overflow" =>
    fn padding_beyond_the_limit_is_record_overflow() {
        server_refuses_sealed(|c| c.seal_padded(ContentType::ApplicationData, b"x", 1 << 14),
            A::RecordOverflow, "peer sent a record of 16386 bytes, more than the 16385 allowed")
    }

    /// RFC 8446, 5.2: "If the decryption fails, the receiver MUST terminate the
    /// connection with a "bad_record_mac" alert." To the client.
    "5.2", "record that fails to decrypt at the client is bad_record_mac" =>
    fn record_that_fails_to_decrypt_at_the_client_is_bad_record_mac() {
        client_refuses_sealed(|c| {
            let mut record = c.seal(ContentType::ApplicationData, b"hello");
            record.payload[0] ^= 0x80;
            record
        }, A::BadRecordMac,
            "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 8446, 5.3: each record's nonce comes from its sequence number, so a
    /// replayed record fails to decrypt (bad_record_mac).
    "5.3", "replayed record is bad_record_mac" =>
    fn replayed_record_is_bad_record_mac() {
        let (mut p, mut cipher) = connected();
        let record = join_records(&[cipher.seal(ContentType::ApplicationData, b"once")]);
        p.deliver(Side::Server, &record).map_err(|e| format!("first record: {e}"))?;
        let outcome = p.deliver(Side::Server, &record);
        refused(&mut p, Side::Server, outcome, A::BadRecordMac,
            "record 1 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 8446, 5.3: a record sealed for sequence number 1 arriving first (one
    /// record dropped) fails to decrypt.
    "5.3", "record with a skipped sequence number is bad_record_mac" =>
    fn record_with_a_skipped_sequence_number_is_bad_record_mac() {
        server_refuses_sealed(|c| { c.seq = 1; c.seal(ContentType::ApplicationData, b"late") },
            A::BadRecordMac,
            "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 8446, 7.2 and 5.2: after the client's Finished its records use the
    /// application traffic keys; one under the handshake keys fails to decrypt.
    "5.2", "record under the handshake keys after the handshake is bad_record_mac" =>
    fn record_under_old_keys_is_bad_record_mac() {
        let (mut p, _) = connected();
        let mut old = p.cipher(Side::Client, "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
        old.seq = 1;
        let outcome = p.deliver(Side::Server, &join_records(&[old.seal(ContentType::ApplicationData, b"old")]));
        refused(&mut p, Side::Server, outcome, A::BadRecordMac,
            "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 8446, 5.2: a protected record must hold at least the AEAD tag and the
    /// content type; a payload shorter than the tag cannot decrypt.
    "5.2", "protected record shorter than its tag is bad_record_mac" =>
    fn protected_record_shorter_than_its_tag_is_bad_record_mac() {
        let (mut p, _) = connected();
        let outcome = p.deliver(Side::Server, &raw_record(23, 0x0303, &[0; 5]));
        refused(&mut p, Side::Server, outcome, A::BadRecordMac, "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 8446, 5.2: "opaque_type: The outer opaque_type field of a TLSCiphertext
    /// record is always set to the value 23 (application_data)": an unprotected
    /// handshake record after the handshake is out of place.
    "5.2", "unprotected handshake record after the handshake is unexpected_message" =>
    fn unprotected_handshake_after_the_handshake_is_unexpected_message() {
        let (mut p, _) = connected();
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::Handshake, &[24, 0, 0, 1, 0]));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage, "peer sent a record of type handshake where none is allowed")
    }

    /// RFC 8446, 5.2: once the keys are in use every record is a TLSCiphertext of
    /// outer type 23; an unprotected alert after the handshake is an unexpected
    /// record (5: "it MUST terminate the connection with an "unexpected_message"
    /// alert"), answered under the application keys.
    "5.2", "unprotected alert after the handshake is unexpected_message" =>
    fn unprotected_alert_after_the_handshake_is_unexpected_message() {
        let (mut p, _) = connected();
        let outcome = p.deliver(Side::Server, &alert_record(AlertLevel::Fatal, A::InternalError));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage, "peer sent a record of type alert where none is allowed")
    }

    /// RFC 8446, 5.4: "If a receiving implementation does not find a non-zero
    /// octet in the cleartext, it MUST terminate the connection with an
    /// "unexpected_message" alert." To the client.
    "5.4", "protected record with no content type to the client is unexpected_message" =>
    fn protected_record_without_content_type_to_the_client_is_unexpected_message() {
        client_refuses_sealed(|c| c.seal_padded(ContentType::Unknown(0), &[], 5), A::UnexpectedMessage,
            "peer sent an encrypted record with no content type (all padding)")
    }

    /// RFC 8446, 5.4: zero padding is removed before the content is used, at the
    /// client.
    "5.4", "zero padding at the client is accepted" =>
    fn zero_padding_at_the_client_is_accepted() {
        let (mut p, mut cipher) = connected_client();
        let record = cipher.seal_padded(ContentType::ApplicationData, b"padded", 1000);
        p.deliver(Side::Client, &join_records(&[record])).map_err(|e| format!("the client refused: {e}"))?;
        same("plaintext", read_plaintext(&mut p.client).0, b"padded".to_vec())
    }

    /// RFC 8446, 6: "Unknown Alert types MUST be treated as error alerts", at the
    /// client, with no alert in answer.
    "6", "unknown alert to the client is an error" =>
    fn unknown_alert_to_the_client_is_an_error() {
        let mut p = waiting_client()?;
        let outcome = p.deliver(Side::Client, &plain_record(ContentType::Alert, &[2, 222]));
        ended_by_alert(&mut p, Side::Client, outcome, "peer sent a fatal unknown(0xde) alert; the connection is closed")
    }

    /// RFC 8446, 6: a protected alert of an unknown type after the handshake.
    "6", "protected unknown alert is an error" =>
    fn protected_unknown_alert_is_an_error() {
        let (mut p, mut cipher) = connected();
        let record = join_records(&[cipher.seal(ContentType::Alert, &[1, 199])]);
        let outcome = p.deliver(Side::Server, &record);
        ended_by_alert(&mut p, Side::Server, outcome, "peer sent a fatal unknown(0xc7) alert; the connection is closed")
    }

    /// RFC 8446, 6: `struct { AlertLevel level; AlertDescription description; }`:
    /// a three-byte alert to the client is malformed (decode_error).
    "6", "alert of the wrong length to the client is decode_error" =>
    fn alert_of_the_wrong_length_to_the_client_is_decode_error() {
        client_refuses_first(&plain_record(ContentType::Alert, &[2, 40, 0]), A::DecodeError,
            "peer sent a malformed Alert: field description at byte 2: 1 unexpected byte(s) after the end")
    }

    /// RFC 8446, 6: a protected alert of one byte is malformed.
    "6", "protected alert of one byte is decode_error" =>
    fn protected_alert_of_one_byte_is_decode_error() {
        server_refuses_sealed(|c| c.seal(ContentType::Alert, &[2]), A::DecodeError, "peer sent a malformed Alert: field description at byte 1: needs 1 byte(s) but only 0 remain (message cut short)")
    }

    /// RFC 8446, 5.1: alerts are never empty; a protected alert record with no
    /// content is refused.
    "5.1", "protected empty alert record is refused" =>
    fn protected_empty_alert_is_refused() {
        server_refuses_sealed(|c| c.seal_padded(ContentType::Alert, &[], 3), A::UnexpectedMessage, "peer sent an empty alert record, which is not allowed")
    }

    /// RFC 8446, 6.2: error alerts "MUST be treated as error alerts when received
    /// regardless of the AlertLevel in the message": a warning decrypt_error to
    /// the client.
    "6.2", "error alert at warning level to the client is an error" =>
    fn error_alert_at_warning_level_to_the_client_is_an_error() {
        let mut p = waiting_client()?;
        let outcome = p.deliver(Side::Client, &alert_record(AlertLevel::Warning, A::DecryptError));
        ended_by_alert(&mut p, Side::Client, outcome, "peer sent a fatal decrypt_error alert; the connection is closed (a signature, Finished or record did not verify on the peer's side)")
    }

    /// RFC 8446, 6.2: "Upon receipt of a fatal alert [...] the receiver [...] MUST
    /// NOT send any more messages": a fatal alert in place of the ServerHello.
    "6.2", "fatal alert in place of the ServerHello ends the handshake" =>
    fn fatal_alert_in_place_of_the_server_hello_ends_the_handshake() {
        let mut p = waiting_client()?;
        let outcome = p.deliver(Side::Client, &alert_record(AlertLevel::Fatal, A::ProtocolVersion));
        ended_by_alert(&mut p, Side::Client, outcome, "peer sent a fatal protocol_version alert; the connection is closed (the peer does not accept the TLS versions offered)")
    }

    /// RFC 8446, 6.2: a protected fatal alert inside the server's encrypted flight
    /// (after the ServerHello) ends the handshake.
    "6.2", "protected fatal alert during the handshake ends it" =>
    fn protected_fatal_alert_during_the_handshake_ends_it() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            let at = pieces.iter().position(|p| matches!(p, Piece::Sealed { .. })).unwrap_or(0);
            pieces.insert(at + 1, Piece::Sealed { typ: ContentType::Alert, content: vec![2, A::BadCertificate.to_wire()] });
        })?;
        ended_by_alert(&mut p, Side::Client, outcome, "peer sent a fatal bad_certificate alert; the connection is closed (the peer rejected our certificate)")
    }

    /// RFC 8446, 6.1: close_notify to the client before the handshake completed
    /// leaves it unfinished: an error, with nothing to answer.
    "6.1", "close_notify to the client during the handshake is an error" =>
    fn close_notify_to_the_client_during_the_handshake_is_an_error() {
        let mut p = waiting_client()?;
        let outcome = p.deliver(Side::Client, &alert_record(AlertLevel::Warning, A::CloseNotify));
        ended_by_alert(&mut p, Side::Client, outcome,
            "peer closed the connection (close_notify) before the handshake completed")
    }

    /// RFC 8446, 6.1: "Any data received after a closure alert has been received
    /// MUST be ignored." A protected close_notify to the client ends its stream.
    "6.1", "close_notify to the client ends the stream and later data is ignored" =>
    fn close_notify_to_the_client_ends_the_stream() {
        let (mut p, mut cipher) = connected_client();
        let mut bytes = join_records(&[cipher.seal(ContentType::ApplicationData, b"before")]);
        bytes.extend(join_records(&[cipher.seal(ContentType::Alert, &[1, 0])]));
        bytes.extend(join_records(&[cipher.seal(ContentType::ApplicationData, b"after")]));
        p.deliver(Side::Client, &bytes).map_err(|e| format!("the client refused: {e}"))?;
        same("plaintext and end of stream", read_plaintext(&mut p.client), (b"before".to_vec(), true))
    }

    /// RFC 8446, 6.1: user_canceled at warning level alone does not end the
    /// handshake, at the client.
    "6.1", "warning user_canceled to the client does not end the handshake" =>
    fn user_canceled_to_the_client_is_not_an_error() {
        let mut p = Pair::new(client(), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = alert_record(AlertLevel::Warning, A::UserCanceled);
        flight.extend(p.take(Side::Server));
        p.deliver(Side::Client, &flight).map_err(|e| format!("the client refused: {e}"))?;
        p.handshake().map_err(|(s, e)| format!("{s:?}: {e}"))
    }
}
