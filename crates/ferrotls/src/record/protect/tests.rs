use super::*;
use crate::record::Deframer;
use crate::tls13::key_schedule::rfc8448::{s3, s4, s5, unhex};
use crate::tls13::key_schedule::EarlySecret;
use crate::tls13::suites::{
    ALL_TLS13_SUITES, TLS13_AES_128_GCM_SHA256, TLS13_CHACHA20_POLY1305_SHA256,
};

const AES128: AeadAlgorithm = AeadAlgorithm::Aes128Gcm;

fn iv(hex: &str) -> [u8; NONCE_LEN] {
    unhex(hex).try_into().unwrap()
}

fn encrypter(key: &str, iv_hex: &str) -> Encrypter13 {
    Encrypter13::new(AES128, &unhex(key), iv(iv_hex)).unwrap()
}

fn decrypter(key: &str, iv_hex: &str) -> Decrypter13 {
    Decrypter13::new(AES128, &unhex(key), iv(iv_hex)).unwrap()
}

/// Parses exactly one record from wire bytes.
fn parse(wire: &[u8]) -> OpaqueRecord {
    let mut d = Deframer::new();
    assert_eq!(d.push(wire), wire.len());
    let r = d.next_record().unwrap().unwrap();
    assert_eq!(d.buffered_len(), 0);
    r
}

fn concat(hex: &[&str]) -> Vec<u8> {
    hex.iter().flat_map(|h| unhex(h)).collect()
}

/// A record whose inner plaintext is exactly `inner`, bypassing `encrypt`.
fn raw_record(enc: &Encrypter13, inner: &[u8], seq: u64) -> OpaqueRecord {
    let mut body = inner.to_vec();
    let aad = header(
        ContentType::ApplicationData,
        ProtocolVersion::TLSv1_2,
        body.len() + TAG_LEN,
    );
    enc.key
        .seal_in_place_append_tag(nonce(&enc.iv, seq), &aad, &mut body)
        .unwrap();
    OpaqueRecord {
        typ: ContentType::ApplicationData,
        version: ProtocolVersion::TLSv1_2,
        payload: body,
    }
}

/// Checks one protected record of an RFC 8448 trace in both directions.
fn check_trace_record(
    enc: &mut Encrypter13,
    dec: &mut Decrypter13,
    typ: ContentType,
    plaintext: &[u8],
    record_hex: &str,
) {
    let wire = unhex(record_hex);
    let mut out = Vec::new();
    enc.encrypt(typ, plaintext, 0, &mut out).unwrap();
    assert_eq!(out, wire);
    let plain = dec.decrypt(parse(&wire)).unwrap();
    assert_eq!(plain.typ, typ);
    assert_eq!(plain.payload, plaintext);
}

#[test]
fn rfc8448_server_handshake_flight() {
    let flight = concat(&[
        s3::ENCRYPTED_EXTENSIONS,
        s3::CERTIFICATE,
        s3::CERTIFICATE_VERIFY,
        s3::SERVER_FINISHED,
    ]);
    let mut enc = encrypter(s3::SERVER_HS_KEY, s3::SERVER_HS_IV);
    let mut dec = decrypter(s3::SERVER_HS_KEY, s3::SERVER_HS_IV);
    check_trace_record(
        &mut enc,
        &mut dec,
        ContentType::Handshake,
        &flight,
        s3::SERVER_FLIGHT_RECORD,
    );
    assert_eq!((enc.sequence(), dec.sequence()), (1, 1));
}

#[test]
fn rfc8448_client_finished_and_application_records() {
    let mut enc = encrypter(s3::CLIENT_HS_KEY, s3::CLIENT_HS_IV);
    let mut dec = decrypter(s3::CLIENT_HS_KEY, s3::CLIENT_HS_IV);
    check_trace_record(
        &mut enc,
        &mut dec,
        ContentType::Handshake,
        &unhex(s3::CLIENT_FINISHED),
        s3::CLIENT_FINISHED_RECORD,
    );

    // Server application key: NewSessionTicket (seq 0), data (1), close_notify (2).
    let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    for (typ, plain, record) in SERVER_AP_RECORDS {
        check_trace_record(&mut enc, &mut dec, typ, &unhex(plain), record);
    }
    assert_eq!(enc.sequence(), 3);

    // Client application key: data (0), close_notify (1).
    let mut enc = encrypter(s3::CLIENT_AP_KEY, s3::CLIENT_AP_IV);
    let mut dec = decrypter(s3::CLIENT_AP_KEY, s3::CLIENT_AP_IV);
    for (typ, plain, record) in [
        (
            ContentType::ApplicationData,
            s3::APP_DATA,
            s3::CLIENT_APP_DATA_RECORD,
        ),
        (
            ContentType::Alert,
            s3::CLOSE_NOTIFY,
            s3::CLIENT_ALERT_RECORD,
        ),
    ] {
        check_trace_record(&mut enc, &mut dec, typ, &unhex(plain), record);
    }
}

#[test]
fn rfc8448_records_from_key_schedule_secrets() {
    let suite = &TLS13_AES_128_GCM_SHA256;
    let hs = EarlySecret::new(suite, None).into_handshake(&unhex(s3::ECDHE_SHARED_SECRET));
    let server_hs = hs.server_traffic_secret(&unhex(s3::HELLO_HASH));
    let mut dec = Decrypter13::from_secret(suite, &server_hs).unwrap();
    let plain = dec
        .decrypt(parse(&unhex(s3::SERVER_FLIGHT_RECORD)))
        .unwrap();
    assert_eq!(
        plain.payload[..4],
        unhex(s3::ENCRYPTED_EXTENSIONS)[..4],
        "starts with EncryptedExtensions"
    );

    let early = EarlySecret::new(suite, Some(&unhex(s4::PSK)))
        .client_early_traffic_secret(&unhex(s4::EARLY_HELLO_HASH));
    let mut enc = Encrypter13::from_secret(suite, &early).unwrap();
    let mut dec = Decrypter13::from_secret(suite, &early).unwrap();
    check_trace_record(
        &mut enc,
        &mut dec,
        ContentType::ApplicationData,
        &unhex(s4::EARLY_DATA),
        s4::EARLY_DATA_RECORD,
    );
}

#[test]
fn rfc8448_hello_retry_server_flight() {
    let flight = concat(&[
        s5::ENCRYPTED_EXTENSIONS,
        s5::CERTIFICATE,
        s5::CERTIFICATE_VERIFY,
        s5::SERVER_FINISHED,
    ]);
    let mut enc = encrypter(s5::SERVER_HS_KEY, s5::SERVER_HS_IV);
    let mut dec = decrypter(s5::SERVER_HS_KEY, s5::SERVER_HS_IV);
    check_trace_record(
        &mut enc,
        &mut dec,
        ContentType::Handshake,
        &flight,
        s5::SERVER_FLIGHT_RECORD,
    );
}

/// RFC 8448, 3: the server's records under its application key, in order:
/// NewSessionTicket (seq 0), data (1), close_notify (2); (type, plaintext hex,
/// record hex).
const SERVER_AP_RECORDS: [(ContentType, &str, &str); 3] = [
    (
        ContentType::Handshake,
        s3::NEW_SESSION_TICKET,
        s3::NEW_SESSION_TICKET_RECORD,
    ),
    (
        ContentType::ApplicationData,
        s3::APP_DATA,
        s3::SERVER_APP_DATA_RECORD,
    ),
    (
        ContentType::Alert,
        s3::CLOSE_NOTIFY,
        s3::SERVER_ALERT_RECORD,
    ),
];

#[test]
fn into_a_buffer_gives_the_rfc8448_records() {
    let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    for (typ, plain, record) in SERVER_AP_RECORDS {
        let (plain, wire) = (unhex(plain), unhex(record));
        // Written over stale bytes, with room to spare.
        let mut room = vec![0xaa; record_len(plain.len()) + 3];
        let n = enc.encrypt_into(typ, &plain, &mut room).unwrap();
        assert_eq!(n, wire.len());
        assert_eq!(room[..n], wire);
        assert_eq!(room[n..], [0xaa; 3]);
        // Peeking opens it without consuming the sequence number.
        let record = parse(&wire);
        let mut out = vec![0x55; record.payload.len()];
        let seq = dec.sequence();
        let opened = dec.peek_into(record.borrow(), &mut out).unwrap();
        assert_eq!(dec.sequence(), seq);
        assert_eq!((opened.typ, &out[..opened.len]), (typ, &plain[..]));
        let mut out = vec![0x55; record.payload.len() + 9];
        let opened = dec.decrypt_into(record.borrow(), &mut out).unwrap();
        assert_eq!(dec.sequence(), seq + 1);
        assert_eq!((opened.typ, &out[..opened.len]), (typ, &plain[..]));
    }
}

#[test]
fn failed_decryption_into_a_buffer_leaves_nothing_behind() {
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut wire = unhex(s3::SERVER_APP_DATA_RECORD);
    let last = wire.len() - 1;
    wire[last] ^= 1;
    let record = parse(&wire);
    let mut out = vec![0x55; record.payload.len()];
    assert_eq!(
        dec.decrypt_into(record.borrow(), &mut out),
        Err(RecordError::BadRecordMac { sequence: 0 })
    );
    assert!(out[..record.payload.len() - TAG_LEN]
        .iter()
        .all(|b| *b == 0));
    assert_eq!(dec.sequence(), 0);
    // Too little room: refused before anything is decrypted.
    let record = parse(&unhex(s3::SERVER_APP_DATA_RECORD));
    let mut short = vec![0u8; record.payload.len() - TAG_LEN - 1];
    assert!(matches!(
        dec.decrypt_into(record.borrow(), &mut short),
        Err(RecordError::Overflow { .. })
    ));
    assert_eq!(dec.sequence(), 0);
    let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut small = vec![0u8; record_len(10) - 1];
    assert!(enc
        .encrypt_into(ContentType::ApplicationData, &[1; 10], &mut small)
        .is_err());
    assert_eq!(enc.sequence(), 0);
}

#[test]
fn debug_output_shows_no_key_material() {
    let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    enc.encrypt(ContentType::Alert, &[1, 0], 0, &mut Vec::new())
        .unwrap();
    assert_eq!(format!("{enc:?}"), "Encrypter13(AES-128-GCM, sequence 1)");
    let dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    assert_eq!(format!("{dec:?}"), "Decrypter13(AES-128-GCM, sequence 0)");
}

#[test]
fn nonce_is_iv_xor_padded_sequence() {
    let iv = iv("5d313eb2671276ee13000b30");
    assert_eq!(nonce(&iv, 0), iv);
    assert_eq!(nonce(&iv, 1).to_vec(), unhex("5d313eb2671276ee13000b31"));
    assert_eq!(
        nonce(&iv, 0x0102_0304_0506_0708).to_vec(),
        unhex("5d313eb2661075ea16060c38")
    );
    assert_eq!(
        nonce(&iv, u64::MAX).to_vec(),
        unhex("5d313eb298ed8911ecfff4cf")
    );
}

#[test]
fn padding_is_stripped_and_content_zeros_are_kept() {
    let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    for (content, padding) in [(&[1u8, 0, 0][..], 5), (b"abc", 0), (&[], 300)] {
        let mut out = Vec::new();
        enc.encrypt(ContentType::ApplicationData, content, padding, &mut out)
            .unwrap();
        assert_eq!(
            out.len(),
            HEADER_LEN + content.len() + 1 + padding + TAG_LEN
        );
        let plain = dec.decrypt(parse(&out)).unwrap();
        assert_eq!(plain.typ, ContentType::ApplicationData);
        assert_eq!(plain.payload, content);
    }
}

#[test]
fn find_content_type_takes_the_last_nonzero_byte() {
    assert_eq!(find_content_type(&[]), (0, 0));
    assert_eq!(find_content_type(&[0, 0, 0]), (0, 0));
    assert_eq!(find_content_type(&[22]), (0, 22));
    assert_eq!(find_content_type(&[5, 0, 23, 0, 0]), (2, 23));
    assert_eq!(find_content_type(&[21, 0, 0, 0, 23]), (4, 23));
}

#[test]
fn all_zero_inner_plaintext_has_no_content_type() {
    let enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let err = dec.decrypt(raw_record(&enc, &[0; 40], 0)).unwrap_err();
    assert_eq!(err, RecordError::NoContentType);
    assert_eq!(
        err.to_string(),
        "peer sent an encrypted record with no content type (all padding)"
    );
    let err = dec.decrypt(raw_record(&enc, &[], 1)).unwrap_err();
    assert_eq!(err, RecordError::NoContentType);
}

#[test]
fn inner_plaintext_over_2_14_plus_1_is_overflow() {
    let enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut inner = vec![0x61; MAX_PLAINTEXT_LEN];
    inner.extend_from_slice(&[23, 0]);
    let err = dec.decrypt(raw_record(&enc, &inner, 0)).unwrap_err();
    assert_eq!(
        err,
        RecordError::Overflow {
            length: MAX_INNER_PLAINTEXT_LEN + 1,
            max: MAX_INNER_PLAINTEXT_LEN
        }
    );
    assert_eq!(
        err.to_string(),
        "peer sent a record of 16386 bytes, more than the 16385 allowed"
    );
    // Exactly 2^14 + 1 is fine.
    inner.pop();
    let plain = dec.decrypt(raw_record(&enc, &inner, 1)).unwrap();
    assert_eq!(plain.payload.len(), MAX_PLAINTEXT_LEN);
}

#[test]
fn oversize_ciphertext_is_overflow() {
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let record = OpaqueRecord {
        typ: ContentType::ApplicationData,
        version: ProtocolVersion::TLSv1_2,
        payload: vec![0; MAX_CIPHERTEXT_LEN + 1],
    };
    assert_eq!(
        dec.decrypt(record),
        Err(RecordError::Overflow {
            length: MAX_CIPHERTEXT_LEN + 1,
            max: MAX_CIPHERTEXT_LEN
        })
    );
}

#[test]
fn tampering_fails_without_advancing_the_sequence() {
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let wire = unhex(s3::NEW_SESSION_TICKET_RECORD);
    // Every bit flip in the version (part of the AAD) or the body is caught. The
    // type and length bytes are covered too, but the deframer rejects most flips.
    for i in (2..3).chain(HEADER_LEN..wire.len()) {
        let mut bad = wire.clone();
        bad[i] ^= 0x80;
        let record = OpaqueRecord {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::from_wire(u16::from_be_bytes([bad[1], bad[2]])),
            payload: bad[HEADER_LEN..].to_vec(),
        };
        assert_eq!(
            dec.decrypt(record),
            Err(RecordError::BadRecordMac { sequence: 0 }),
            "byte {i}"
        );
    }
    // A truncated record also fails, and the real one still decrypts at sequence 0.
    let mut short = parse(&wire);
    short.payload.truncate(TAG_LEN - 1);
    let err = dec.decrypt(short).unwrap_err();
    assert_eq!(
        err.to_string(),
        "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys"
    );
    assert_eq!(dec.sequence(), 0);
    assert!(dec.decrypt(parse(&wire)).is_ok());
    assert_eq!(dec.sequence(), 1);
    // Replaying it under sequence 1 fails.
    assert_eq!(
        dec.decrypt(parse(&wire)),
        Err(RecordError::BadRecordMac { sequence: 1 })
    );
}

#[test]
fn wrong_outer_or_inner_type_is_unexpected() {
    let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut record = parse(&unhex(s3::NEW_SESSION_TICKET_RECORD));
    record.typ = ContentType::Handshake;
    assert_eq!(
        dec.decrypt(record),
        Err(RecordError::UnexpectedContentType {
            got: ContentType::Handshake
        })
    );

    // RFC 8446, 5: change_cipher_spec must never be encrypted.
    let mut out = Vec::new();
    enc.encrypt(ContentType::ChangeCipherSpec, &[1], 0, &mut out)
        .unwrap();
    let err = dec.decrypt(parse(&out)).unwrap_err();
    assert_eq!(
        err,
        RecordError::UnexpectedContentType {
            got: ContentType::ChangeCipherSpec
        }
    );
    assert_eq!(
        err.to_string(),
        "peer sent a record of type change_cipher_spec where none is allowed"
    );
    let mut out = Vec::new();
    enc.encrypt(ContentType::Unknown(99), b"x", 0, &mut out)
        .unwrap();
    assert_eq!(
        dec.decrypt(parse(&out)),
        Err(RecordError::UnexpectedContentType {
            got: ContentType::Unknown(99)
        })
    );
}

#[test]
fn plaintext_over_2_14_is_refused_and_padding_is_clamped() {
    let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut out = Vec::new();
    let big = vec![7; MAX_PLAINTEXT_LEN + 1];
    let err = enc
        .encrypt(ContentType::ApplicationData, &big, 0, &mut out)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Record(RecordError::PlaintextTooLarge {
            length: 16385,
            max: 16384
        })
    );
    assert_eq!(
        err.to_string(),
        "internal error: asked to protect 16385 bytes in one record, but at most 16384 fit; the data must be fragmented first"
    );
    assert_eq!(
        err.alert(),
        Some(crate::msgs::enums::AlertDescription::InternalError)
    );
    assert!(out.is_empty());
    assert_eq!(enc.sequence(), 0);

    enc.encrypt(ContentType::ApplicationData, &big[1..], 100, &mut out)
        .unwrap();
    assert_eq!(out.len(), HEADER_LEN + MAX_INNER_PLAINTEXT_LEN + TAG_LEN);
    let plain = dec.decrypt(parse(&out)).unwrap();
    assert_eq!(plain.payload.len(), MAX_PLAINTEXT_LEN);
}

#[test]
fn encrypt_appends_to_existing_output() {
    let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
    let mut out = b"earlier bytes".to_vec();
    enc.encrypt(
        ContentType::Handshake,
        &unhex(s3::NEW_SESSION_TICKET),
        0,
        &mut out,
    )
    .unwrap();
    assert_eq!(out[..13], *b"earlier bytes");
    assert_eq!(out[13..], unhex(s3::NEW_SESSION_TICKET_RECORD));
}

#[test]
fn sequence_never_wraps() {
    let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV).with_sequence(u64::MAX - 1);
    let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV).with_sequence(u64::MAX - 1);
    let mut out = Vec::new();
    enc.encrypt(ContentType::ApplicationData, b"last", 0, &mut out)
        .unwrap();
    assert_eq!(dec.decrypt(parse(&out)).unwrap().payload, b"last");
    assert_eq!((enc.sequence(), dec.sequence()), (u64::MAX, u64::MAX));

    let err = enc
        .encrypt(ContentType::ApplicationData, b"one more", 0, &mut out)
        .unwrap_err();
    assert_eq!(err, Error::Record(RecordError::SequenceExhausted));
    assert_eq!(
        err.to_string(),
        "the record sequence number is exhausted and the key could not be updated"
    );
    assert_eq!(
        dec.decrypt(parse(&out)),
        Err(RecordError::SequenceExhausted)
    );
}

#[test]
fn key_update_is_due_near_the_confidentiality_limit() {
    for suite in ALL_TLS13_SUITES {
        let key = vec![1; suite.aead.key_len()];
        let due = suite.confidentiality_limit() - KEY_UPDATE_MARGIN;
        let mut enc = Encrypter13::new(suite.aead, &key, [2; 12])
            .unwrap()
            .with_sequence(due - 1);
        let mut dec = Decrypter13::new(suite.aead, &key, [2; 12])
            .unwrap()
            .with_sequence(due - 1);
        assert!(!enc.should_update_key() && !dec.should_update_key());
        let mut out = Vec::new();
        enc.encrypt(ContentType::ApplicationData, b"x", 0, &mut out)
            .unwrap();
        dec.decrypt(parse(&out)).unwrap();
        assert!(
            enc.should_update_key() && dec.should_update_key(),
            "{suite:?}"
        );
    }
    assert!(!Encrypter13::new(AES128, &[0; 16], [0; 12])
        .unwrap()
        .with_sequence(23_726_566 - KEY_UPDATE_MARGIN - 1)
        .should_update_key());
}

#[test]
fn every_suite_round_trips_through_its_key_schedule() {
    for suite in ALL_TLS13_SUITES {
        let secret = EarlySecret::new(suite, None)
            .into_handshake(&[9; 32])
            .client_traffic_secret(&[0; 48][..suite.hash.output_len()]);
        let mut enc = Encrypter13::from_secret(suite, &secret).unwrap();
        let mut dec = Decrypter13::from_secret(suite, &secret).unwrap();
        let mut out = Vec::new();
        for i in 0..3u8 {
            out.clear();
            enc.encrypt(ContentType::Alert, &[i, 0], 7, &mut out)
                .unwrap();
            let plain = dec.decrypt(parse(&out)).unwrap();
            assert_eq!((plain.typ, plain.payload), (ContentType::Alert, vec![i, 0]));
        }
        // The next generation's keys do not open this generation's records.
        let mut next = Decrypter13::from_secret(suite, &secret.next()).unwrap();
        assert!(next.decrypt(parse(&out)).is_err(), "{suite:?}");
    }
    let chacha = &TLS13_CHACHA20_POLY1305_SHA256;
    assert_eq!(
        Encrypter13::new(chacha.aead, &[0; 16], [0; 12]).unwrap_err(),
        CryptoError::BadKeyLength {
            algorithm: "ChaCha20-Poly1305",
            length: 16
        }
    );
}
