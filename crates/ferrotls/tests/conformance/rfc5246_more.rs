//! RFC 5246 (TLS 1.2), more rules: the handshake messages of both sides (7.4),
//! their order and the ChangeCipherSpec (7.1), the record layer (6.2) and alerts
//! (7.2), one scripted peer each.

use ferrotls::client::ClientConfigBuilder;
use ferrotls::msgs::enums::{
    AlertDescription as A, AlertLevel, CipherSuite, ContentType, ExtensionType, HandshakeType,
    ProtocolVersion,
};
use ferrotls::msgs::ClientHello;
use ferrotls::record::OpaqueRecord;

use crate::pair::{
    alert12_sent_by, alert_record, edit_server_hello, join_records, plain_record, raw_record,
    read_plaintext, split_records, Hello12, Keys12, Pair, Side,
};
use crate::peer::{
    before_hello_with, client, failed_without_alert, message, rec, refused, refused12, same,
    send_hello, server, unexpected, without, Check, TLS12,
};

/// A TLS 1.2 client offering TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 only.
pub fn client12() -> ClientConfigBuilder {
    client()
        .versions(TLS12)
        .cipher_suites(&[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])
}

/// Sends the TLS 1.2 ClientHello changed by `edit`; the server must refuse it.
pub fn hello12_refused(edit: impl FnOnce(&mut ClientHello), alert: A, text: &str) -> Check {
    let (mut p, mut ch) = before_hello_with(client12(), server());
    edit(&mut ch);
    let outcome = send_hello(&mut p, &ch);
    refused(&mut p, Side::Server, outcome, alert, text)
}

/// One unprotected handshake record holding `msg`.
pub fn hs(msg: &[u8]) -> OpaqueRecord {
    split_records(&plain_record(ContentType::Handshake, msg)).remove(0)
}

/// The index of the unprotected handshake record starting a message of type `typ`.
pub fn at(records: &[OpaqueRecord], typ: HandshakeType) -> usize {
    records
        .iter()
        .position(|r| r.typ == ContentType::Handshake && r.payload.first() == Some(&typ.to_wire()))
        .unwrap_or_else(|| panic!("no unprotected {typ} record"))
}

/// Sets a message's 24-bit length from its body.
pub fn fix_len(m: &mut [u8]) {
    let len = u32::try_from(m.len() - 4).expect("short").to_be_bytes();
    m[1..4].copy_from_slice(&len[1..]);
}

/// Delivers the server's first flight (one record per message) changed by `edit`
/// to a TLS 1.2 client configured by `client`; it must refuse it.
pub fn server_flight_refused_with(
    client: ClientConfigBuilder,
    edit: impl FnOnce(&mut Vec<OpaqueRecord>),
    alert: A,
    text: &str,
) -> Check {
    let mut p = Pair::new(client, server());
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let mut records = split_records(&p.take(Side::Server));
    edit(&mut records);
    let outcome = p.deliver(Side::Client, &join_records(&records));
    refused(&mut p, Side::Client, outcome, alert, text)
}

pub fn server_flight_refused(
    edit: impl FnOnce(&mut Vec<OpaqueRecord>),
    alert: A,
    text: &str,
) -> Check {
    server_flight_refused_with(client12(), edit, alert, text)
}

/// Changes the server's first message of type `typ` with `edit` (length fixed).
pub fn server_message_refused(
    typ: HandshakeType,
    edit: impl FnOnce(&mut Vec<u8>),
    alert: A,
    text: &str,
) -> Check {
    server_flight_refused(
        |r| {
            let i = at(r, typ);
            edit(&mut r[i].payload);
            fix_len(&mut r[i].payload);
        },
        alert,
        text,
    )
}

/// Runs a TLS 1.2 handshake up to the client's second flight (ClientKeyExchange,
/// ChangeCipherSpec, Finished, one record each), lets `edit` change it (with the
/// session's keys), and delivers it to the server, which must refuse it.
pub fn client_flight_refused(
    edit: impl FnOnce(&mut Vec<OpaqueRecord>, &Keys12),
    alert: A,
    text: &str,
) -> Check {
    client_flight_refused_with(client12(), edit, alert, text)
}

/// [`client_flight_refused`] with a client configured by `client`.
pub fn client_flight_refused_with(
    client: ClientConfigBuilder,
    edit: impl FnOnce(&mut Vec<OpaqueRecord>, &Keys12),
    alert: A,
    text: &str,
) -> Check {
    let mut p = Pair::new(client, server());
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let flight = p.take(Side::Server);
    let hello = Hello12::of(&flight);
    p.deliver(Side::Client, &flight)
        .map_err(|e| format!("server flight: {e}"))?;
    let keys = Keys12::from_log(&p.client_keys, &hello);
    let mut records = split_records(&p.take(Side::Client));
    edit(&mut records, &keys);
    let outcome = p.deliver(Side::Server, &join_records(&records));
    refused(&mut p, Side::Server, outcome, alert, text)
}

/// Changes the client's ClientKeyExchange with `edit` (length fixed).
pub fn cke_refused(edit: impl FnOnce(&mut Vec<u8>), alert: A, text: &str) -> Check {
    client_flight_refused(
        |r, _| {
            let i = at(r, HandshakeType::ClientKeyExchange);
            edit(&mut r[i].payload);
            fix_len(&mut r[i].payload);
        },
        alert,
        text,
    )
}

/// The client's Finished, decrypted, and the index of its record.
fn client_finished(records: &[OpaqueRecord], keys: &Keys12) -> (usize, Vec<u8>) {
    let i = records
        .iter()
        .position(|r| r.typ == ContentType::ChangeCipherSpec)
        .expect("a ChangeCipherSpec")
        + 1;
    let fin = keys
        .open_at(Side::Client, &records[i], 0)
        .expect("the Finished opens");
    (i, fin)
}

/// A connected TLS 1.2 pair and its keys: each side has sent one protected record
/// (its Finished), so the next has sequence number 1.
pub fn connected12() -> Result<(Pair, Keys12), String> {
    let mut p = Pair::new(client12(), server());
    let hello = p
        .handshake12()
        .map_err(|(s, e)| format!("{s:?} failed the handshake: {e}"))?;
    let keys = Keys12::from_log(&p.client_keys, &hello);
    Ok((p, keys))
}

/// Sends the connected server a record from the client sealed at sequence 1.
fn after_handshake_refused(typ: ContentType, content: &[u8], alert: A, text: &str) -> Check {
    let (mut p, keys) = connected12()?;
    let record = keys.seal_at(Side::Client, 1, typ, content);
    let outcome = p.deliver(Side::Server, &record);
    refused12(&mut p, Side::Server, Some(&keys), outcome, alert, text)
}

/// Runs a TLS 1.2 handshake up to the server's last flight (CCS, Finished), lets
/// `edit` change it, and delivers it to the client, which must refuse it.
fn server_last_flight_refused(
    edit: impl FnOnce(&mut Vec<OpaqueRecord>, &Keys12),
    alert: A,
    text: &str,
) -> Check {
    let mut p = Pair::new(client12().session_tickets(false), server());
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
    edit(&mut records, &keys);
    let outcome = p.deliver(Side::Client, &join_records(&records));
    refused12(&mut p, Side::Client, Some(&keys), outcome, alert, text)
}

rules! {
    rfc: "RFC 5246";

    /// RFC 5246, 7.4.1.2: `SessionID session_id` with `opaque SessionID<0..32>`;
    /// 7.2.2: decode_error for "some field was out of the specified range".
    "7.4.1.2", "TLS 1.2 ClientHello session_id over 32 bytes is decode_error" =>
    fn client_hello_session_id_over_32_bytes_is_decode_error() {
        hello12_refused(|ch| ch.session_id = vec![7; 33], A::DecodeError, "peer sent a malformed ClientHello: field legacy_session_id at byte 38: length 33 exceeds the maximum of 32")
    }

    /// RFC 5246, 7.4.1.2: `CipherSuite cipher_suites<2..2^16-2>`: an empty list is
    /// out of range (decode_error).
    "7.4.1.2", "TLS 1.2 ClientHello with no cipher suites is decode_error" =>
    fn client_hello_with_no_cipher_suites_is_decode_error() {
        hello12_refused(|ch| ch.cipher_suites.clear(), A::DecodeError, "peer sent a malformed ClientHello: field cipher_suites at byte 73: must not be empty")
    }

    /// RFC 5246, 7.4.1.2: `CompressionMethod compression_methods<1..2^8-1>`: an
    /// empty list is out of range (decode_error).
    "7.4.1.2", "TLS 1.2 ClientHello with no compression methods is decode_error" =>
    fn client_hello_with_no_compression_methods_is_decode_error() {
        hello12_refused(|ch| ch.compression_methods.clear(), A::DecodeError, "peer sent a malformed ClientHello: field legacy_compression_methods at byte 76: must not be empty")
    }

    /// RFC 5246, 7.4.1.3: "If no acceptable choices are presented, return a
    /// handshake failure alert and close the connection" (no suite in common).
    "7.4.1.3", "TLS 1.2 ClientHello with no suite in common is handshake_failure" =>
    fn client_hello_with_no_common_suite_is_handshake_failure() {
        hello12_refused(|ch| ch.cipher_suites = vec![CipherSuite::Unknown(0x0005)], A::HandshakeFailure, "no cipher suite in common: the peer offered unknown(0x5); enabled here: TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")
    }

    /// RFC 5246, 7.4.1.2 and E.1: a server that does not support the client's version (here
    /// TLS 1.1, ferrotls's floor being TLS 1.2) answers protocol_version (7.2.2:
    /// "The protocol version the client has attempted to negotiate is recognized
    /// but not supported").
    "7.4.1.2", "ClientHello for TLS 1.1 is protocol_version" =>
    fn client_hello_for_tls11_is_protocol_version() {
        hello12_refused(|ch| {
            ch.legacy_version = ProtocolVersion::TLSv1_1;
            without(ch, ExtensionType::SupportedVersions);
        }, A::ProtocolVersion, "no TLS version in common: the peer offered TLSv1.1; ferrotls negotiates only TLS 1.3 and TLS 1.2")
    }

    /// RFC 5246, 7.4.1.4: "There MUST NOT be more than one extension of the same
    /// type."
    "7.4.1.4", "TLS 1.2 ClientHello with an extension twice is illegal_parameter" =>
    fn client_hello_with_an_extension_twice_is_illegal_parameter() {
        hello12_refused(|ch| {
            let first = ch.extensions[0].clone();
            ch.extensions.insert(1, first);
        }, A::IllegalParameter, "peer sent a malformed ClientHello: field extensions at byte 97: extension 0x0000 appears more than once")
    }

    /// RFC 5246, 7.4.9: "a Finished message [...] is sent immediately after a
    /// change cipher spec message"; 7.1: the ChangeCipherSpec switches the keys.
    /// A Finished in the clear in place of the ChangeCipherSpec is out of order.
    "7.4.9", "client Finished without ChangeCipherSpec is unexpected_message" =>
    fn client_finished_without_ccs_is_unexpected_message() {
        client_flight_refused(|r, keys| {
            let (i, fin) = client_finished(r, keys);
            r[i] = hs(&fin);
            r.remove(i - 1);
        }, A::UnexpectedMessage, &unexpected("while waiting for the peer's ChangeCipherSpec (TLS 1.2)", "Finished"))
    }

    /// RFC 5246, 7.3: the client's second flight is ClientKeyExchange, then
    /// ChangeCipherSpec and Finished; a Finished first is out of order.
    "7.3", "Finished in place of ClientKeyExchange is unexpected_message" =>
    fn finished_in_place_of_client_key_exchange_is_unexpected_message() {
        client_flight_refused(|r, _| r[0] = hs(&message(HandshakeType::Finished, &[0; 12])),
            A::UnexpectedMessage, &unexpected("while waiting for the client's ClientKeyExchange (TLS 1.2)", "Finished"))
    }

    /// RFC 8422, 5.7 with RFC 5246, 7.4.7: `opaque point <1..2^8-1>`: an empty
    /// point is out of range (decode_error).
    "7.4.7", "ClientKeyExchange with an empty point is decode_error" =>
    fn client_key_exchange_with_an_empty_point_is_decode_error() {
        cke_refused(|m| m.truncate(5), A::DecodeError, "peer sent a malformed ClientKeyExchange: field ecdh_Yc at byte 5: needs 32 byte(s) but only 0 remain (message cut short)")
    }

    /// RFC 5246, 7.2.2: decode_error when "the length of the message was
    /// incorrect": a byte after the ClientKeyExchange's point.
    "7.4.7", "ClientKeyExchange with bytes after the point is decode_error" =>
    fn client_key_exchange_with_trailing_bytes_is_decode_error() {
        cke_refused(|m| m.push(0), A::DecodeError, "peer sent a malformed ClientKeyExchange: field exchange_keys at byte 37: 1 unexpected byte(s) after the end")
    }

    /// RFC 8422, 5.7 and RFC 7748, 5: an X25519 public key is 32 bytes; a point of
    /// another length is an illegal parameter.
    "7.4.7", "ClientKeyExchange with a point of the wrong length is illegal_parameter" =>
    fn client_key_exchange_with_a_short_point_is_illegal_parameter() {
        cke_refused(|m| { m.pop(); m[4] -= 1; }, A::IllegalParameter, "peer's x25519 key share is not a valid public key")
    }

    /// RFC 5246, 7.4.6: "This message is only sent if the server requests a
    /// certificate." An unrequested client Certificate is out of order.
    "7.4.6", "unrequested client Certificate is unexpected_message" =>
    fn unrequested_client_certificate_is_unexpected_message() {
        client_flight_refused(|r, _| r.insert(0, hs(&message(HandshakeType::Certificate, &[0, 0, 0]))),
            A::UnexpectedMessage, &unexpected("while waiting for the client's ClientKeyExchange (TLS 1.2)", "Certificate"))
    }

    /// RFC 5246, 7.4.8: CertificateVerify is sent only after a client certificate
    /// "that has signing capability"; one without a certificate is out of order.
    "7.4.8", "CertificateVerify without a client certificate is unexpected_message" =>
    fn certificate_verify_without_a_certificate_is_unexpected_message() {
        client_flight_refused(|r, _| r.insert(1, hs(&message(HandshakeType::CertificateVerify, &[4, 3, 0, 0]))),
            A::UnexpectedMessage, "peer sent CertificateVerify while waiting for the peer's ChangeCipherSpec (TLS 1.2)")
    }

    /// RFC 5246, 7.3: one ClientKeyExchange per handshake; a second is out of order.
    "7.3", "second ClientKeyExchange is unexpected_message" =>
    fn second_client_key_exchange_is_unexpected_message() {
        client_flight_refused(|r, _| { let cke = r[0].clone(); r.insert(1, cke); },
            A::UnexpectedMessage, "peer sent ClientKeyExchange while waiting for the peer's ChangeCipherSpec (TLS 1.2)")
    }

    /// RFC 5246, 7.4.1.1: HelloRequest is sent by the server only; one from the
    /// client is out of order.
    "7.4.1.1", "HelloRequest from the client is unexpected_message" =>
    fn hello_request_from_the_client_is_unexpected_message() {
        client_flight_refused(|r, _| r.insert(0, hs(&message(HandshakeType::HelloRequest, &[]))),
            A::UnexpectedMessage, "peer sent HelloRequest while waiting for the client's ClientKeyExchange (TLS 1.2)")
    }

    /// RFC 5246, 7.4: a handshake message of a type the RFC does not define, where
    /// ClientKeyExchange is due.
    "7.4", "handshake message of an unknown type is unexpected_message" =>
    fn unknown_handshake_type_is_unexpected_message() {
        client_flight_refused(|r, _| r[0] = hs(&message(HandshakeType::Unknown(99), &[1, 2])),
            A::UnexpectedMessage, "peer sent handshake message while waiting for the client's ClientKeyExchange (TLS 1.2)")
    }

    /// RFC 5246, 7.4.9: "It is a fatal error if a Finished message is not preceded
    /// by a ChangeCipherSpec message at the appropriate point in the handshake";
    /// the protected record after the ChangeCipherSpec must be the Finished.
    "7.4.9", "protected message other than Finished after ChangeCipherSpec is unexpected_message" =>
    fn protected_message_other_than_finished_is_unexpected_message() {
        client_flight_refused(|r, keys| {
            let (i, _) = client_finished(r, keys);
            let cke = r[0].payload.clone();
            r[i] = split_records(&keys.seal_at(Side::Client, 0, ContentType::Handshake, &cke)).remove(0);
        }, A::UnexpectedMessage, "peer sent ClientKeyExchange while waiting for the peer's Finished (TLS 1.2)")
    }

    /// RFC 5246, 6.2.1 and 7.2.2: application data before the handshake is done
    /// is an inappropriate message.
    "6.2.1", "application data before the client's Finished is unexpected_message" =>
    fn application_data_before_finished_is_unexpected_message() {
        client_flight_refused(|r, _| r.insert(1, rec(ContentType::ApplicationData, b"early")),
            A::UnexpectedMessage, "peer sent a record of type application_data where none is allowed")
    }

    /// RFC 5246, 7.1: "The message consists of a single byte of value 1."
    "7.1", "ChangeCipherSpec of value 2 is refused" =>
    fn ccs_of_value_2_is_refused() {
        client_flight_refused(|r, _| r[1] = rec(ContentType::ChangeCipherSpec, &[2]),
            A::UnexpectedMessage, "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)")
    }

    /// RFC 5246, 7.1: the ChangeCipherSpec is exactly one byte; two are malformed.
    "7.1", "ChangeCipherSpec of two bytes is refused" =>
    fn ccs_of_two_bytes_is_refused() {
        client_flight_refused(|r, _| r[1] = rec(ContentType::ChangeCipherSpec, &[1, 1]),
            A::UnexpectedMessage, "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)")
    }

    /// RFC 5246, 6.2.1: "Implementations MUST NOT send zero-length fragments of
    /// Handshake, Alert, or ChangeCipherSpec content types." An empty
    /// ChangeCipherSpec record.
    "6.2.1", "zero-length ChangeCipherSpec record is refused" =>
    fn zero_length_ccs_is_refused() {
        client_flight_refused(|r, _| r[1] = rec(ContentType::ChangeCipherSpec, &[]),
            A::UnexpectedMessage, "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)")
    }

    /// RFC 5246, 6.2.1: an empty handshake record.
    "6.2.1", "zero-length TLS 1.2 handshake record is unexpected_message" =>
    fn zero_length_handshake_record_is_unexpected_message() {
        client_flight_refused(|r, _| r.insert(0, rec(ContentType::Handshake, &[])),
            A::UnexpectedMessage, "peer sent an empty handshake record, which is not allowed")
    }

    /// RFC 5246, 6.2.1: an empty alert record.
    "6.2.1", "zero-length TLS 1.2 alert record is refused" =>
    fn zero_length_alert_record_is_refused() {
        client_flight_refused(|r, _| r.insert(0, rec(ContentType::Alert, &[])),
            A::UnexpectedMessage, "peer sent an empty alert record, which is not allowed")
    }

    /// RFC 5246, 6.2.1: "The length MUST NOT exceed 2^14"; 7.2.2: record_overflow
    /// for "a TLSCiphertext record was received that had a length more than
    /// 2^14+2048 bytes, or a record decrypted to a TLSCompressed record with more
    /// than 2^14+1024 bytes". An oversized plaintext record to the client.
    "6.2.1", "TLS 1.2 plaintext record over 2^14 bytes to the client is record_overflow" =>
    fn plaintext_record_over_2_14_to_the_client_is_record_overflow() {
        server_flight_refused(|r| r.insert(1, rec(ContentType::Handshake, &[0; (1 << 14) + 1])),
            A::RecordOverflow, "peer sent a record of 16385 bytes, more than the 16384 allowed")
    }

    /// RFC 5246, 6.2.3: "The length MUST NOT exceed 2^14 + 2048."
    "6.2.3", "TLS 1.2 ciphertext record over 2^14 + 2048 bytes is record_overflow" =>
    fn ciphertext_record_over_limit_is_record_overflow() {
        let (mut p, keys) = connected12()?;
        let outcome = p.deliver(Side::Server, &raw_record(23, 0x0303, &vec![0; (1 << 14) + 2049]));
        refused12(&mut p, Side::Server, Some(&keys), outcome, A::RecordOverflow, "peer sent a record of 18433 bytes, more than the 18432 allowed")
    }

    /// RFC 5246, 6.2.1 and 7.2.2: a protected record whose plaintext is over 2^14
    /// bytes (ferrotls has no compression, so the plaintext limit applies).
    "6.2.1", "TLS 1.2 protected plaintext over 2^14 bytes is record_overflow" =>
    fn protected_plaintext_over_2_14_is_record_overflow() {
        after_handshake_refused(ContentType::ApplicationData, &vec![7; (1 << 14) + 1],
            A::RecordOverflow, "peer sent a record of 16385 bytes, more than the 16384 allowed")
    }

    /// RFC 5246, 6.2.1: a protected record of exactly 2^14 plaintext bytes is the
    /// largest allowed, and is accepted.
    "6.2.1", "TLS 1.2 protected record of 2^14 bytes is accepted" =>
    fn protected_record_of_2_14_is_accepted() {
        let (mut p, keys) = connected12()?;
        let data = vec![9; 1 << 14];
        p.deliver(Side::Server, &keys.seal_at(Side::Client, 1, ContentType::ApplicationData, &data))
            .map_err(|e| format!("the server refused a 2^14-byte record: {e}"))?;
        same("plaintext", read_plaintext(&mut p.server).0, data)
    }

    /// RFC 5246, 6.2.3.3 and 7.2.2: bad_record_mac for "a record is received with
    /// an incorrect MAC" (for AEAD, a record that fails to open).
    "6.2.3.3", "TLS 1.2 record that fails to decrypt is bad_record_mac" =>
    fn record_that_fails_to_decrypt_is_bad_record_mac() {
        let (mut p, keys) = connected12()?;
        let mut record = keys.seal_at(Side::Client, 1, ContentType::ApplicationData, b"hello");
        let last = record.len() - 1;
        record[last] ^= 1;
        let outcome = p.deliver(Side::Server, &record);
        refused12(&mut p, Side::Server, Some(&keys), outcome, A::BadRecordMac, "record 1 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 5246, 6.2.3.3: a record from the right key but the wrong sequence number
    /// (replayed) fails to open: bad_record_mac.
    "6.2.3.3", "replayed TLS 1.2 record is bad_record_mac" =>
    fn replayed_record_is_bad_record_mac() {
        let (mut p, keys) = connected12()?;
        let record = keys.seal_at(Side::Client, 1, ContentType::ApplicationData, b"once");
        p.deliver(Side::Server, &record).map_err(|e| format!("first record: {e}"))?;
        let outcome = p.deliver(Side::Server, &record);
        refused12(&mut p, Side::Server, Some(&keys), outcome, A::BadRecordMac, "record 2 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 5246, 6: "If a TLS implementation receives an unexpected record type,
    /// it MUST send an unexpected_message alert." After the handshake.
    "6", "TLS 1.2 record of an unknown content type is unexpected_message" =>
    fn unknown_content_type_is_unexpected_message() {
        after_handshake_refused(ContentType::Unknown(0x63), b"x", A::UnexpectedMessage, "peer sent a record of type unknown(0x63) where none is allowed")
    }

    /// RFC 5246, 7.1: a ChangeCipherSpec after the handshake changes to nothing:
    /// unexpected_message.
    "7.1", "TLS 1.2 ChangeCipherSpec after the handshake is unexpected_message" =>
    fn ccs_after_the_handshake_is_unexpected_message() {
        let (mut p, keys) = connected12()?;
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::ChangeCipherSpec, &[1]));
        refused12(&mut p, Side::Server, Some(&keys), outcome, A::UnexpectedMessage, "peer sent ChangeCipherSpec after the handshake, where it is not allowed (TLS 1.2)")
    }

    /// RFC 5246, 7.2: an alert is two bytes (level, description); a protected alert
    /// of three is malformed (decode_error).
    "7.2", "TLS 1.2 alert of the wrong length is decode_error" =>
    fn alert_of_the_wrong_length_is_decode_error() {
        after_handshake_refused(ContentType::Alert, &[1, 0, 0], A::DecodeError, "peer sent a malformed Alert: field description at byte 2: 1 unexpected byte(s) after the end")
    }

    /// RFC 5246, 7.2.1: "Either party may initiate a close by sending a
    /// close_notify alert. Any data received after a closure alert is ignored."
    /// The reader sees the end of the stream; the answering close_notify is the
    /// application's to send (see the deviations), and goes out protected.
    "7.2.1", "TLS 1.2 close_notify ends the stream" =>
    fn close_notify_ends_the_stream() {
        let (mut p, keys) = connected12()?;
        let close = keys.seal_at(Side::Client, 1, ContentType::Alert, &[1, 0]);
        let data = keys.seal_at(Side::Client, 2, ContentType::ApplicationData, b"ignored");
        p.deliver(Side::Server, &[close, data].concat()).map_err(|e| format!("close_notify refused: {e}"))?;
        same("plaintext and end of stream", read_plaintext(&mut p.server), (Vec::new(), true))?;
        same("answer before the application closes", alert12_sent_by(&mut p, Side::Server, Some(&keys)).map(|a| a.description), None)?;
        p.server.send_close_notify();
        same("answer", alert12_sent_by(&mut p, Side::Server, Some(&keys)).map(|a| (a.level, a.description)),
            Some((AlertLevel::Warning, A::CloseNotify)))
    }

    /// RFC 5246, 7.2: "Upon transmission or receipt of a fatal alert message, both
    /// parties immediately close the connection"; no alert answers it.
    "7.2", "TLS 1.2 fatal alert ends the handshake without an answer" =>
    fn fatal_alert_ends_the_handshake() {
        let mut p = Pair::new(client12(), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let outcome = p.deliver(Side::Server, &alert_record(AlertLevel::Fatal, A::InsufficientSecurity));
        failed_without_alert(&mut p, Side::Server, outcome, "peer sent a fatal insufficient_security alert; the connection is closed (the peer wants stronger parameters than were offered)")
    }

    /// RFC 5246, 7.2: alerts "with a level of warning" do not end the connection
    /// (the TLS 1.3 rule that error alerts are always fatal does not apply): a
    /// warning unrecognized_name (RFC 6066, 3) during the handshake is ignored.
    "7.2", "TLS 1.2 warning alert during the handshake is ignored" =>
    fn warning_alert_during_the_handshake_is_ignored() {
        let mut p = Pair::new(client12(), server());
        let mut flight = p.take(Side::Client);
        flight.extend(alert_record(AlertLevel::Warning, A::UnrecognizedName));
        p.deliver(Side::Server, &flight).map_err(|e| format!("the server refused a warning: {e}"))?;
        p.handshake().map_err(|(s, e)| format!("{s:?} failed the handshake after a warning: {e}"))
    }

    /// RFC 5246, 7.2.2: fatal alerts of unknown descriptions end the connection.
    "7.2", "TLS 1.2 fatal alert of an unknown description ends the connection" =>
    fn unknown_fatal_alert_ends_the_connection() {
        let mut p = Pair::new(client12(), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::Alert, &[2, 201]));
        failed_without_alert(&mut p, Side::Server, outcome, "peer sent a fatal unknown(0xc9) alert; the connection is closed")
    }

    /// RFC 5246, 7.2.1: close_notify during the handshake ends it; the handshake
    /// did not complete, which is an error.
    "7.2.1", "TLS 1.2 close_notify during the handshake is an error" =>
    fn close_notify_during_the_handshake_is_an_error() {
        let mut p = Pair::new(client12(), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let outcome = p.deliver(Side::Server, &alert_record(AlertLevel::Warning, A::CloseNotify));
        failed_without_alert(&mut p, Side::Server, outcome, "peer closed the connection (close_notify) before the handshake completed")
    }

    /// RFC 5246, 7.4.1.3: `SessionID session_id` (`<0..32>`) in the ServerHello;
    /// 33 bytes are out of range (decode_error).
    "7.4.1.3", "TLS 1.2 ServerHello session_id over 32 bytes is decode_error" =>
    fn server_hello_session_id_over_32_bytes_is_decode_error() {
        server_flight_refused(|r| {
            edit_first(r, |sh| sh.session_id = vec![7; 33]);
        }, A::DecodeError, "peer sent a malformed ServerHello: field legacy_session_id_echo at byte 38: length 33 exceeds the maximum of 32")
    }

    /// RFC 5246, 7.4.1.3: compression_method is "The single compression algorithm
    /// selected by the server from the list in ClientHello.compression_methods";
    /// the client offered null only.
    "7.4.1.3", "TLS 1.2 ServerHello with a compression method not offered is illegal_parameter" =>
    fn server_hello_with_compression_is_illegal_parameter() {
        server_flight_refused(|r| edit_first(r, |sh| sh.compression_method = 1), A::IllegalParameter, "peer's ServerHello has an illegal compression_method: must be null (0)")
    }

    /// RFC 5246, 7.4.1.3 and E.1: "If the version chosen by the server is not supported by the
    /// client (or not acceptable), the client MUST send a "protocol_version" alert
    /// message and close the connection."
    "7.4.1.3", "ServerHello for TLS 1.1 is protocol_version" =>
    fn server_hello_for_tls11_is_protocol_version() {
        server_flight_refused(|r| edit_first(r, |sh| sh.legacy_version = ProtocolVersion::TLSv1_1), A::ProtocolVersion, "no TLS version in common: the peer offered only TLSv1.1; ferrotls negotiates only TLS 1.3 and TLS 1.2")
    }

    /// RFC 5246, 7.4.1.3: the suite is one the client offered; a TLS 1.3 suite in a
    /// TLS 1.2 ServerHello was not offered for TLS 1.2.
    "7.4.1.3", "TLS 1.2 ServerHello selecting a TLS 1.3 suite is illegal_parameter" =>
    fn server_hello_selecting_a_tls13_suite_is_illegal_parameter() {
        server_flight_refused(|r| edit_first(r, |sh| sh.cipher_suite = CipherSuite::TLS13_AES_128_GCM_SHA256), A::IllegalParameter, "the server selected cipher suite TLS_AES_128_GCM_SHA256, which the client did not offer")
    }

    /// RFC 5246, 7.4.1.4: "There MUST NOT be more than one extension of the same
    /// type" (in the ServerHello).
    "7.4.1.4", "TLS 1.2 ServerHello with an extension twice is illegal_parameter" =>
    fn server_hello_with_an_extension_twice_is_illegal_parameter() {
        server_flight_refused(|r| edit_first(r, |sh| {
            let first = sh.extensions[0].clone();
            sh.extensions.push(first);
        }), A::IllegalParameter, "peer sent a malformed ServerHello: field extensions at byte 99: extension 0xff01 appears more than once")
    }

    /// RFC 5246, 7.4.2: "This message conveys the server's certificate chain to the
    /// client" and is required with ECDHE_ECDSA; an empty list gives no key to
    /// verify the ServerKeyExchange with.
    "7.4.2", "empty server Certificate in TLS 1.2 is decode_error" =>
    fn empty_server_certificate_is_decode_error() {
        server_message_refused(HandshakeType::Certificate, |m| { m.truncate(4); m.extend_from_slice(&[0, 0, 0]); }, A::DecodeError, "peer sent an empty certificate chain")
    }

    /// RFC 5246, 7.4.2 and 7.2.2: bad_certificate for "A certificate was corrupt":
    /// a certificate of three bytes that are no DER.
    "7.4.2", "TLS 1.2 server Certificate that is not DER is bad_certificate" =>
    fn server_certificate_that_is_not_der_is_bad_certificate() {
        server_message_refused(HandshakeType::Certificate, |m| {
            m.truncate(4);
            m.extend_from_slice(&[0, 0, 6, 0, 0, 3, 1, 2, 3]);
        }, A::BadCertificate, "peer's certificate could not be parsed: Parsing Error: NomError(Eof)")
    }

    /// RFC 5246, 7.4.2 and 7.3: with ECDHE_ECDSA the Certificate follows the
    /// ServerHello; a ServerKeyExchange in its place is out of order.
    "7.4.2", "server Certificate missing is unexpected_message" =>
    fn server_certificate_missing_is_unexpected_message() {
        server_flight_refused(|r| { r.remove(at(r, HandshakeType::Certificate)); },
            A::UnexpectedMessage, &unexpected("while waiting for the peer's Certificate (TLS 1.2)", "ServerKeyExchange"))
    }

    /// RFC 5246, 7.4.3: "This message will be sent immediately after the server
    /// Certificate message" for ECDHE; a ServerHelloDone in its place is out of
    /// order.
    "7.4.3", "ServerKeyExchange missing is unexpected_message" =>
    fn server_key_exchange_missing_is_unexpected_message() {
        server_flight_refused(|r| { r.remove(at(r, HandshakeType::ServerKeyExchange)); },
            A::UnexpectedMessage, &unexpected("while waiting for the server's ServerKeyExchange (TLS 1.2)", "ServerHelloDone"))
    }

    /// RFC 5246, 7.4.5: `struct { } ServerHelloDone;`: a body is malformed
    /// (decode_error).
    "7.4.5", "ServerHelloDone with a body is decode_error" =>
    fn server_hello_done_with_a_body_is_decode_error() {
        server_message_refused(HandshakeType::ServerHelloDone, |m| m.push(0), A::DecodeError, "peer sent a malformed ServerHelloDone: field body at byte 4: 1 unexpected byte(s) after the end")
    }

    /// RFC 8422, 5.4 with RFC 5246, 7.4.3: curve_type explicit_prime (1) is
    /// deprecated and never offered; "the client MUST abort" a key exchange it
    /// cannot use. ferrotls's ECParameters has no explicit form, so the message
    /// does not decode.
    "7.4.3", "ServerKeyExchange with an explicit curve is decode_error" =>
    fn server_key_exchange_with_an_explicit_curve_is_decode_error() {
        server_message_refused(HandshakeType::ServerKeyExchange, |m| m[4] = 1, A::DecodeError, "peer sent a malformed ServerKeyExchange: field curve_type at byte 4: invalid value 0x1")
    }

    /// RFC 5246, 7.2.2: decode_error when "the length of the message was
    /// incorrect": a ServerKeyExchange cut inside its signature.
    "7.4.3", "truncated ServerKeyExchange is decode_error" =>
    fn truncated_server_key_exchange_is_decode_error() {
        server_message_refused(HandshakeType::ServerKeyExchange, |m| m.truncate(4 + 4 + 10), A::DecodeError, "peer sent a malformed ServerKeyExchange: field public at byte 8: needs 32 byte(s) but only 10 remain (message cut short)")
    }

    /// RFC 5246, 7.2.2: a byte after the ServerKeyExchange's signature.
    "7.4.3", "ServerKeyExchange with bytes after the signature is decode_error" =>
    fn server_key_exchange_with_trailing_bytes_is_decode_error() {
        let mut p = Pair::new(client12(), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut r = split_records(&p.take(Side::Server));
        let i = at(&r, HandshakeType::ServerKeyExchange);
        let end = r[i].payload.len();
        r[i].payload.push(0);
        fix_len(&mut r[i].payload);
        let outcome = p.deliver(Side::Client, &join_records(&r));
        refused(&mut p, Side::Client, outcome, A::DecodeError, &format!(
            "peer sent a malformed ServerKeyExchange: field signature at byte {end}: 1 unexpected byte(s) after the end"))
    }

    /// RFC 5246, 7.4.4: `ClientCertificateType certificate_types<1..2^8-1>`: an
    /// empty list in a CertificateRequest is out of range.
    "7.4.4", "CertificateRequest with no certificate types is decode_error" =>
    fn certificate_request_with_no_types_is_decode_error() {
        server_flight_refused(|r| {
            let i = at(r, HandshakeType::ServerHelloDone);
            r.insert(i, hs(&message(HandshakeType::CertificateRequest, &[0, 0, 2, 4, 3, 0, 0])));
        }, A::DecodeError, "peer sent a malformed CertificateRequest: field certificate_types at byte 5: must not be empty")
    }

    /// RFC 5246, 7.4.4: `supported_signature_algorithms<2..2^16-2>`: an empty list
    /// in a CertificateRequest is out of range.
    "7.4.4", "CertificateRequest with no signature algorithms is decode_error" =>
    fn certificate_request_with_no_algorithms_is_decode_error() {
        server_flight_refused(|r| {
            let i = at(r, HandshakeType::ServerHelloDone);
            r.insert(i, hs(&message(HandshakeType::CertificateRequest, &[1, 64, 0, 0, 0, 0])));
        }, A::DecodeError, "peer sent a malformed CertificateRequest: field supported_signature_algorithms at byte 8: must not be empty")
    }

    /// RFC 5246, 7.3: one ServerHelloDone ends the server's flight; a second one
    /// arrives when the client waits for the ChangeCipherSpec.
    "7.4.5", "second ServerHelloDone is unexpected_message" =>
    fn second_server_hello_done_is_unexpected_message() {
        let mut p = Pair::new(client12(), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let flight = p.take(Side::Server);
        let hello = Hello12::of(&flight);
        let mut r = split_records(&flight);
        let done = r[at(&r, HandshakeType::ServerHelloDone)].clone();
        r.push(done);
        let outcome = p.deliver(Side::Client, &join_records(&r));
        // The client answered the first ServerHelloDone: its alert is protected.
        let keys = Keys12::from_log(&p.client_keys, &hello);
        refused12(&mut p, Side::Client, Some(&keys), outcome, A::UnexpectedMessage,
            &unexpected("while waiting for the server's NewSessionTicket (TLS 1.2)", "ServerHelloDone"))
    }

    /// RFC 5246, 7.3: one ServerHello per handshake; a second is out of order.
    "7.4.1.3", "second ServerHello is unexpected_message" =>
    fn second_server_hello_is_unexpected_message() {
        server_flight_refused(|r| { let sh = r[0].clone(); r.insert(1, sh); },
            A::UnexpectedMessage, &unexpected("while waiting for the peer's Certificate (TLS 1.2)", "ServerHello"))
    }

    /// RFC 5246, 7.4.9: "Recipients of Finished messages MUST verify that the
    /// contents are correct": the server's Finished, to the client.
    "7.4.9", "TLS 1.2 server Finished with wrong verify_data is decrypt_error" =>
    fn server_finished_with_wrong_verify_data_is_decrypt_error() {
        server_last_flight_refused(|r, keys| {
            let i = r.iter().position(|r| r.typ == ContentType::ChangeCipherSpec).expect("a CCS") + 1;
            let mut fin = keys.open_at(Side::Server, &r[i], 0).expect("the Finished opens");
            fin[4] ^= 1;
            r[i] = split_records(&keys.seal_at(Side::Server, 0, ContentType::Handshake, &fin)).remove(0);
        }, A::DecryptError, "the server's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys")
    }

    /// RFC 5246, 7.4.9: the server's Finished in the clear, without its
    /// ChangeCipherSpec, is out of order.
    "7.4.9", "TLS 1.2 server Finished without ChangeCipherSpec is unexpected_message" =>
    fn server_finished_without_ccs_is_unexpected_message() {
        server_last_flight_refused(|r, keys| {
            let i = r.iter().position(|r| r.typ == ContentType::ChangeCipherSpec).expect("a CCS");
            let fin = keys.open_at(Side::Server, &r[i + 1], 0).expect("the Finished opens");
            r[i + 1] = hs(&fin);
            r.remove(i);
        }, A::UnexpectedMessage, "peer sent Finished while waiting for the peer's ChangeCipherSpec (TLS 1.2)")
    }

    /// RFC 5246, 6.2.1 and 7.2.2: application data from the server before its
    /// Finished is an inappropriate message.
    "6.2.1", "TLS 1.2 application data before the server's Finished is unexpected_message" =>
    fn server_application_data_before_finished_is_unexpected_message() {
        server_last_flight_refused(|r, _| r.insert(0, rec(ContentType::ApplicationData, b"early")),
            A::UnexpectedMessage, "peer sent a record of type application_data where none is allowed")
    }
}

/// Rewrites the ServerHello in the first record.
pub fn edit_first(
    records: &mut [OpaqueRecord],
    edit: impl FnOnce(&mut ferrotls::msgs::ServerHello),
) {
    let mut flight = join_records(&records[..1]);
    edit_server_hello(&mut flight, edit);
    records[0] = split_records(&flight).remove(0);
}

/// Requirements of RFC 5246 that ferrotls deliberately does not follow.
pub const DEVIATIONS: &[crate::registry::Deviation] = &[crate::registry::Deviation {
    rfc: "RFC 5246",
    section: "7.2.1",
    rule: "The other party MUST respond with a close_notify alert of its own",
    reason: "ferrotls does not answer by itself: the application sends its close_notify (send_close_notify) when it has finished writing, as RFC 8446, 6.1 allows, so a half-closed TLS 1.2 connection can still deliver its last data; the alert goes out as soon as it does",
}];
