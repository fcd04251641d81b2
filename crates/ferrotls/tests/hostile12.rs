//! Hostile input to TLS 1.2 connections on an in-memory pair: corrupted CBC and AEAD
//! records, truncation, wrong Finished messages, misplaced ChangeCipherSpec,
//! renegotiation attempts, forged ServerKeyExchange, renegotiation_info abuse and
//! garbage static-RSA pre-master secrets. Every failing side's error text is
//! asserted, and the alert it sent is decoded (decrypted with key-log keys).

mod pair;

use std::io::Write;

use ferrotls::error::{PeerMisbehaved, RecordError};
use ferrotls::msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType, HandshakeType,
    NamedGroup, ProtocolVersion, SignatureScheme,
};
use ferrotls::msgs::{AlertMessage, ClientExtension, ServerExtension};
use ferrotls::Error;

use pair::{
    client_config, ecdsa, edit_plain_message, edit_server_hello, join_records, plain_record, rsa,
    server_config, split_records, CbcFault, Hello12, Keys12, Outcome, Pair, Side,
};

const TLS12: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_2];

const BAD_RECORD_MAC_1: &str = "record 1 from the peer failed decryption: it was altered in transit or the peers derived different keys";
const BAD_RECORD_MAC_0: &str = "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys";

fn fatal(description: AlertDescription) -> AlertMessage {
    AlertMessage {
        level: AlertLevel::Fatal,
        description,
    }
}

fn warning(description: AlertDescription) -> AlertMessage {
    AlertMessage {
        level: AlertLevel::Warning,
        description,
    }
}

/// A TLS 1.2 pair offering only `suite` (legacy suites enabled when needed).
fn pair_with(suite: CipherSuite) -> Pair {
    let s = ferrotls::tls12::suites::find(suite).expect("a TLS 1.2 suite");
    let id = match s.sign {
        ferrotls::tls12::suites::SignatureAlgorithm::Ecdsa => ecdsa(),
        ferrotls::tls12::suites::SignatureAlgorithm::Rsa => rsa(),
    };
    let (mut c, mut sv) = (
        client_config(&[&id])
            .versions(TLS12)
            .cipher_suites(&[suite]),
        server_config(&[&id]),
    );
    if s.legacy {
        c = c.enable_legacy_tls12_suites();
        sv = sv.enable_legacy_tls12_suites();
    }
    Pair::new(c, sv)
}

fn connected(suite: CipherSuite) -> (Pair, Keys12) {
    let mut p = pair_with(suite);
    let hello = p
        .handshake12()
        .unwrap_or_else(|(s, e)| panic!("{s:?}: {e}"));
    let keys = Keys12::from_log(&p.client_keys, &hello);
    (p, keys)
}

/// A connected pair whose CBC records are MAC-then-encrypt: a man in the middle
/// strips encrypt_then_mac (and EMS, which would otherwise detect him) from the
/// ClientHello and repairs the Finished messages.
fn connected_mac_then_encrypt(suite: CipherSuite) -> (Pair, Keys12) {
    let s = ferrotls::tls12::suites::find(suite).expect("a TLS 1.2 suite");
    let id = match s.sign {
        ferrotls::tls12::suites::SignatureAlgorithm::Ecdsa => ecdsa(),
        ferrotls::tls12::suites::SignatureAlgorithm::Rsa => rsa(),
    };
    let mut p = Pair::new(
        client_config(&[&id])
            .versions(TLS12)
            .cipher_suites(&[suite])
            .enable_legacy_tls12_suites()
            .require_extended_master_secret(false),
        server_config(&[&id])
            .enable_legacy_tls12_suites()
            .require_extended_master_secret(false),
    );
    let keys = p
        .handshake12_through_mitm(|ch| {
            ch.extensions.retain(|e| {
                !matches!(
                    e.ext_type(),
                    ExtensionType::EncryptThenMac | ExtensionType::ExtendedMasterSecret
                )
            })
        })
        .unwrap_or_else(|(s, e)| panic!("{s:?}: {e}"));
    assert!(!keys.etm);
    (p, keys)
}

/// Delivers `bytes` to `to`, which must fail with `want` (error and text) and send
/// the fatal `alert`, read with `keys` where it is protected.
fn expect_failure(
    p: &mut Pair,
    to: Side,
    bytes: &[u8],
    keys: Option<&Keys12>,
    want: &Error,
    text: &str,
    alert: AlertDescription,
) {
    let err = p.deliver(to, bytes).expect_err("the receiver must fail");
    check_failure(p, to, &err, keys, want, text, alert);
}

fn check_failure(
    p: &mut Pair,
    side: Side,
    err: &Error,
    keys: Option<&Keys12>,
    want: &Error,
    text: &str,
    alert: AlertDescription,
) {
    assert_eq!(err, want, "{side:?}'s error");
    assert_eq!(err.to_string(), text, "{side:?}'s error text");
    let sent = pair::alert12_sent_by(p, side, keys);
    assert_eq!(sent, Some(fatal(alert)), "{side:?}'s alert");
    // Later calls report the same error.
    let again = p
        .conn(side)
        .process_new_packets()
        .expect_err("stays failed");
    assert_eq!(&again, want);
}

fn bad_mac(sequence: u64) -> Error {
    Error::Record(RecordError::BadRecordMac { sequence })
}

// ---------------------------------------------------------------------------------
// Corrupted records

const CBC_SUITES: [CipherSuite; 3] = [
    CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA256,
];

#[derive(Clone, Copy, Debug)]
enum Corruption {
    Crafted(CbcFault),
    /// Flip a bit of the last byte of a real record (padding, or the MAC in EtM).
    FlipLast,
    /// Flip a bit in the first ciphertext block of a real record.
    FlipFirstBlock,
}

fn cbc_corruptions(etm: bool) {
    let mut texts = Vec::new();
    for suite in CBC_SUITES {
        for from in [Side::Client, Side::Server] {
            for c in [
                Corruption::Crafted(CbcFault::BadPadding),
                Corruption::Crafted(CbcFault::BadMac),
                Corruption::FlipLast,
                Corruption::FlipFirstBlock,
            ] {
                let (mut p, keys) = if etm {
                    connected(suite)
                } else {
                    connected_mac_then_encrypt(suite)
                };
                assert_eq!(keys.etm, etm);
                let ctx = format!("{suite} etm={etm} from {from:?}: {c:?}");
                let record = match c {
                    Corruption::Crafted(fault) => keys.seal_faulty(
                        from,
                        1,
                        ContentType::ApplicationData,
                        b"sixteen bytes!!!",
                        fault,
                    ),
                    Corruption::FlipLast | Corruption::FlipFirstBlock => {
                        p.conn(from)
                            .writer()
                            .write_all(b"a real record")
                            .expect("write");
                        let mut r = p.take(from);
                        let at = match c {
                            Corruption::FlipLast => r.len() - 1,
                            _ => 5 + 16,
                        };
                        r[at] ^= 0x01;
                        r
                    }
                };
                let to = from.peer();
                let err = p.deliver(to, &record).expect_err(&ctx);
                assert_eq!(err, bad_mac(1), "{ctx}");
                texts.push(err.to_string());
                let alert = pair::alert12_sent_by(&mut p, to, Some(&keys));
                assert_eq!(alert, Some(fatal(AlertDescription::BadRecordMac)), "{ctx}");
            }
            // The crafted records are right apart from the fault.
            let (mut p, keys) = if etm {
                connected(suite)
            } else {
                connected_mac_then_encrypt(suite)
            };
            let good = keys.seal_faulty(
                from,
                1,
                ContentType::ApplicationData,
                b"fine",
                CbcFault::None,
            );
            p.deliver(from.peer(), &good).expect("a well-formed record");
            assert_eq!(p.read(from.peer()).0, b"fine");
        }
    }
    // Padding and MAC failures cannot be told apart (no padding oracle).
    assert!(texts.iter().all(|t| t == BAD_RECORD_MAC_1), "{texts:?}");
}

#[test]
fn bad_cbc_padding_and_bad_mac_are_one_bad_record_mac_encrypt_then_mac() {
    cbc_corruptions(true);
}

#[test]
fn bad_cbc_padding_and_bad_mac_are_one_bad_record_mac_mac_then_encrypt() {
    cbc_corruptions(false);
}

#[test]
fn tampered_aead_records_are_bad_record_mac() {
    for suite in [
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite::TLS_RSA_WITH_AES_256_GCM_SHA384,
    ] {
        for from in [Side::Client, Side::Server] {
            let (mut p, keys) = connected(suite);
            p.conn(from)
                .writer()
                .write_all(b"tamper with me")
                .expect("write");
            let mut r = p.take(from);
            let mid = r.len() / 2;
            r[mid] ^= 0x80;
            let to = from.peer();
            expect_failure(
                &mut p,
                to,
                &r,
                Some(&keys),
                &bad_mac(1),
                BAD_RECORD_MAC_1,
                AlertDescription::BadRecordMac,
            );
        }
    }
}

#[test]
fn truncated_records() {
    for suite in [
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    ] {
        // Cut short with a matching length field: fails authentication.
        for keep in [0usize, 1, 7, 15, 16, 23] {
            let (mut p, keys) = connected(suite);
            p.client.writer().write_all(&[0x42; 100]).expect("write");
            let r = split_records(&p.take(Side::Client)).remove(0);
            let cut = r.payload[..keep.min(r.payload.len())].to_vec();
            let record = pair::raw_record(r.typ.to_wire(), 0x0303, &cut);
            let want = bad_mac(1);
            let ctx = format!("{suite}: {keep} of {} bytes", r.payload.len());
            let err = p.deliver(Side::Server, &record).expect_err(&ctx);
            assert_eq!(err, want, "{ctx}");
            assert_eq!(err.to_string(), BAD_RECORD_MAC_1, "{ctx}");
            let alert = pair::alert12_sent_by(&mut p, Side::Server, Some(&keys));
            assert_eq!(alert, Some(fatal(AlertDescription::BadRecordMac)), "{ctx}");
        }
        // Cut short without changing the header: the receiver waits for the rest.
        let (mut p, _) = connected(suite);
        p.client
            .writer()
            .write_all(b"in two pieces")
            .expect("write");
        let bytes = p.take(Side::Client);
        let state = p
            .deliver(Side::Server, &bytes[..bytes.len() - 3])
            .expect("waits");
        assert_eq!(state.plaintext_bytes_to_read, 0, "{suite}");
        p.deliver(Side::Server, &bytes[bytes.len() - 3..])
            .expect("the rest");
        assert_eq!(p.read(Side::Server).0, b"in two pieces");
    }
    // A handshake flight cut short leaves both sides waiting, without an error.
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    let outcome = p.drive(|f, bytes| {
        if f.from == Side::Server {
            let n = bytes.len();
            bytes.truncate(n - 1);
        }
    });
    assert!(matches!(outcome, Outcome::Stalled), "{outcome:?}");
}

// ---------------------------------------------------------------------------------
// Finished

/// Flips a bit of the protected Finished in `flight`, sent by `from` under `keys`
/// (its first protected record, sequence 0).
fn corrupt_finished(flight: &mut Vec<u8>, from: Side, keys: &Keys12) {
    let mut records = split_records(flight);
    let at = records
        .iter()
        .position(|r| r.typ == ContentType::ChangeCipherSpec)
        .expect("a CCS")
        + 1;
    let mut fin = keys.open_at(from, &records[at], 0).expect("Finished opens");
    assert_eq!(fin[0], HandshakeType::Finished.to_wire());
    fin[4] ^= 0x01;
    let sealed = keys.seal_at(from, 0, ContentType::Handshake, &fin);
    records[at] = split_records(&sealed).remove(0);
    *flight = join_records(&records);
}

fn bad_finished(from_server: bool) -> (Error, &'static str) {
    let text = if from_server {
        "the server's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys"
    } else {
        "the client's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys"
    };
    (
        Error::PeerMisbehaved(PeerMisbehaved::BadFinished { from_server }),
        text,
    )
}

#[test]
fn a_wrong_client_finished_is_decrypt_error() {
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384);
    p.transfer(Side::Client).expect("ClientHello");
    let flight1 = p.take(Side::Server);
    let hello = Hello12::of(&flight1);
    p.deliver(Side::Client, &flight1).expect("server flight");
    let keys = Keys12::from_log(&p.client_keys, &hello);
    let mut flight2 = p.take(Side::Client);
    corrupt_finished(&mut flight2, Side::Client, &keys);
    let (want, text) = bad_finished(false);
    // The server has no write keys yet: its alert is in the clear.
    expect_failure(
        &mut p,
        Side::Server,
        &flight2,
        None,
        &want,
        text,
        AlertDescription::DecryptError,
    );
}

#[test]
fn a_wrong_server_finished_is_decrypt_error() {
    let mut p = pair_with(CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    p.transfer(Side::Client).expect("ClientHello");
    let flight1 = p.take(Side::Server);
    let hello = Hello12::of(&flight1);
    p.deliver(Side::Client, &flight1).expect("server flight");
    p.transfer(Side::Client).expect("client flight");
    let keys = Keys12::from_log(&p.client_keys, &hello);
    let mut flight3 = p.take(Side::Server);
    corrupt_finished(&mut flight3, Side::Server, &keys);
    let (want, text) = bad_finished(true);
    expect_failure(
        &mut p,
        Side::Client,
        &flight3,
        Some(&keys),
        &want,
        text,
        AlertDescription::DecryptError,
    );
}

#[test]
fn wrong_finished_in_an_abbreviated_handshake_is_decrypt_error() {
    use std::sync::Arc;
    let id = ecdsa();
    for from in [Side::Server, Side::Client] {
        let keys_c = Arc::new(pair::KeyCapture::default());
        let keys_s = Arc::new(pair::KeyCapture::default());
        let client = client_config(&[&id])
            .versions(TLS12)
            .key_log(keys_c.clone())
            .build()
            .expect("client");
        let server = server_config(&[&id])
            .key_log(keys_s.clone())
            .build()
            .expect("server");
        let mut first = Pair::from_configs(&client, &server, &keys_c, &keys_s);
        first.handshake12().expect("first handshake");
        let master = keys_c.secret("CLIENT_RANDOM").expect("master");

        let mut p = Pair::from_configs(&client, &server, &keys_c, &keys_s);
        let (ch, hello_msg) = pair::client_hello_of(&mut p.client);
        p.deliver(Side::Server, &ch).expect("ClientHello");
        // Abbreviated: ServerHello, NewSessionTicket, CCS, Finished from the server.
        let mut flight1 = p.take(Side::Server);
        let hello = Hello12::of(&flight1);
        assert!(p.server.negotiated().resumed);
        let keys = Keys12::new(hello.suite, &master, hello_msg.random, hello.random, false);
        if from == Side::Server {
            corrupt_finished(&mut flight1, Side::Server, &keys);
            let (want, text) = bad_finished(true);
            expect_failure(
                &mut p,
                Side::Client,
                &flight1,
                Some(&keys),
                &want,
                text,
                AlertDescription::DecryptError,
            );
        } else {
            p.deliver(Side::Client, &flight1)
                .expect("server's abbreviated flight");
            let mut flight2 = p.take(Side::Client);
            corrupt_finished(&mut flight2, Side::Client, &keys);
            let (want, text) = bad_finished(false);
            // The server already writes under the new keys.
            expect_failure(
                &mut p,
                Side::Server,
                &flight2,
                Some(&keys),
                &want,
                text,
                AlertDescription::DecryptError,
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// ChangeCipherSpec

fn ccs(body: &[u8]) -> Vec<u8> {
    plain_record(ContentType::ChangeCipherSpec, body)
}

/// The error for `got` arriving in `state`, and its sentence, which names the
/// protocol step `step`.
fn unexpected(state: &'static str, step: &str, got: &'static str) -> (Error, String) {
    (
        Error::UnexpectedMessage { state, got },
        format!("peer sent {got} {step}"),
    )
}

const INVALID_CCS: &str = "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)";

#[test]
fn a_ccs_before_the_keys_are_ready_is_unexpected_message() {
    // To the server, before ClientKeyExchange.
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    p.transfer(Side::Client).expect("ClientHello");
    let (want, text) = unexpected(
        "TLS 1.2 ExpectClientKeyExchange",
        "while waiting for the client's ClientKeyExchange (TLS 1.2)",
        "ChangeCipherSpec",
    );
    expect_failure(
        &mut p,
        Side::Server,
        &ccs(&[1]),
        None,
        &want,
        &text,
        AlertDescription::UnexpectedMessage,
    );

    // To the client, in the middle of the server's first flight.
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    p.transfer(Side::Client).expect("ClientHello");
    let flight = p.take(Side::Server);
    let mut records = split_records(&flight);
    records.insert(2, split_records(&ccs(&[1])).remove(0));
    let (want, text) = unexpected(
        "TLS 1.2 ExpectServerKeyExchange",
        "while waiting for the server's ServerKeyExchange (TLS 1.2)",
        "ChangeCipherSpec",
    );
    expect_failure(
        &mut p,
        Side::Client,
        &join_records(&records),
        None,
        &want,
        &text,
        AlertDescription::UnexpectedMessage,
    );
}

/// The client's second flight with its CCS replaced by `ccs_records`.
fn client_flight_with_ccs(p: &mut Pair, ccs_records: &[Vec<u8>]) -> Vec<u8> {
    p.transfer(Side::Client).expect("ClientHello");
    p.transfer(Side::Server).expect("server flight");
    let mut out = Vec::new();
    for r in split_records(&p.take(Side::Client)) {
        if r.typ == ContentType::ChangeCipherSpec {
            ccs_records.iter().for_each(|c| out.extend_from_slice(c));
        } else {
            r.encode(&mut out);
        }
    }
    out
}

#[test]
fn a_second_ccs_is_unexpected_message() {
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    let flight = client_flight_with_ccs(&mut p, &[ccs(&[1]), ccs(&[1])]);
    let (want, text) = unexpected(
        "TLS 1.2 ExpectFinished",
        "while waiting for the peer's Finished (TLS 1.2)",
        "ChangeCipherSpec",
    );
    expect_failure(
        &mut p,
        Side::Server,
        &flight,
        None,
        &want,
        &text,
        AlertDescription::UnexpectedMessage,
    );

    // To the client: the server's last flight with its CCS twice.
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    p.transfer(Side::Client).expect("ClientHello");
    let flight1 = p.take(Side::Server);
    let hello = Hello12::of(&flight1);
    p.deliver(Side::Client, &flight1).expect("server flight");
    p.transfer(Side::Client).expect("client flight");
    let keys = Keys12::from_log(&p.client_keys, &hello);
    let mut out = Vec::new();
    for r in split_records(&p.take(Side::Server)) {
        if r.typ == ContentType::ChangeCipherSpec {
            out.extend(ccs(&[1]));
        }
        r.encode(&mut out);
    }
    expect_failure(
        &mut p,
        Side::Client,
        &out,
        Some(&keys),
        &want,
        &text,
        AlertDescription::UnexpectedMessage,
    );
}

#[test]
fn a_ccs_with_another_body_is_unexpected_message() {
    for body in [&[2u8][..], &[], &[1, 1], &[0]] {
        let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        let flight = client_flight_with_ccs(&mut p, &[ccs(body)]);
        let want = Error::Record(RecordError::InvalidChangeCipherSpec);
        expect_failure(
            &mut p,
            Side::Server,
            &flight,
            None,
            &want,
            INVALID_CCS,
            AlertDescription::UnexpectedMessage,
        );
    }
}

#[test]
fn a_ccs_after_the_handshake_is_unexpected_message() {
    for to in [Side::Server, Side::Client] {
        let (mut p, keys) = connected(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        let (want, text) = unexpected(
            "TLS 1.2 Connected",
            "after the handshake, where it is not allowed (TLS 1.2)",
            "ChangeCipherSpec",
        );
        expect_failure(
            &mut p,
            to,
            &ccs(&[1]),
            Some(&keys),
            &want,
            &text,
            AlertDescription::UnexpectedMessage,
        );
    }
}

// ---------------------------------------------------------------------------------
// Renegotiation (RFC 5746, RFC 5246 7.4.1.1): refused with a warning

#[test]
fn a_renegotiation_client_hello_gets_a_no_renegotiation_warning() {
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256);
    let (ch, _) = pair::client_hello_of(&mut p.client);
    let ch_message = split_records(&ch).remove(0).payload;
    p.deliver(Side::Server, &ch).expect("ClientHello");
    let hello = p
        .handshake12()
        .unwrap_or_else(|(s, e)| panic!("{s:?}: {e}"));
    let keys = Keys12::from_log(&p.client_keys, &hello);

    let reneg = keys.seal_at(Side::Client, 1, ContentType::Handshake, &ch_message);
    p.deliver(Side::Server, &reneg)
        .expect("renegotiation is not a failure");
    let reply = p.take(Side::Server);
    assert_eq!(
        Keys12::alerts_in(Some(&keys), Side::Server, &reply),
        vec![warning(AlertDescription::NoRenegotiation)],
        "the server's answer"
    );
    assert_eq!(split_records(&reply).len(), 1, "nothing but the warning");
    // The warning is accepted by the client, and data flows both ways afterwards.
    p.deliver(Side::Client, &reply)
        .expect("the client accepts the warning");
    let data = keys.seal_at(
        Side::Client,
        2,
        ContentType::ApplicationData,
        b"after renegotiation",
    );
    p.deliver(Side::Server, &data)
        .expect("data after the refusal");
    assert_eq!(p.read(Side::Server).0, b"after renegotiation");
    p.server
        .writer()
        .write_all(b"server after renegotiation")
        .expect("write");
    p.transfer(Side::Server).expect("server data");
    assert_eq!(p.read(Side::Client).0, b"server after renegotiation");
    assert!(p.server.error().is_none() && p.client.error().is_none());
}

const HELLO_REQUEST: [u8; 4] = [0, 0, 0, 0];

#[test]
fn a_hello_request_gets_a_no_renegotiation_warning() {
    let (mut p, keys) = connected(CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
    let hr = keys.seal_at(Side::Server, 1, ContentType::Handshake, &HELLO_REQUEST);
    p.deliver(Side::Client, &hr)
        .expect("a HelloRequest is not a failure");
    let reply = p.take(Side::Client);
    assert_eq!(
        Keys12::alerts_in(Some(&keys), Side::Client, &reply),
        vec![warning(AlertDescription::NoRenegotiation)]
    );
    assert_eq!(split_records(&reply).len(), 1, "nothing but the warning");
    p.deliver(Side::Server, &reply)
        .expect("the server accepts the warning");
    p.client
        .writer()
        .write_all(b"client still here")
        .expect("write");
    p.transfer(Side::Client).expect("client data");
    assert_eq!(p.read(Side::Server).0, b"client still here");
    let data = keys.seal_at(
        Side::Server,
        2,
        ContentType::ApplicationData,
        b"server still here",
    );
    p.deliver(Side::Client, &data).expect("server data");
    assert_eq!(p.read(Side::Client).0, b"server still here");
}

#[test]
fn a_hello_request_during_the_handshake_is_ignored() {
    // RFC 5246, 7.4.1.1: "This message will be ignored by the client if the client
    // is currently negotiating a session"; it is not part of the transcript (7.4.9).
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    p.transfer(Side::Client).expect("ClientHello");
    let flight = p.take(Side::Server);
    let mut records = split_records(&flight);
    records.insert(
        2,
        split_records(&plain_record(ContentType::Handshake, &HELLO_REQUEST)).remove(0),
    );
    p.deliver(Side::Client, &join_records(&records))
        .expect("a HelloRequest while negotiating is ignored");
    p.handshake().expect("the handshake completes");
}

// ---------------------------------------------------------------------------------
// ServerKeyExchange

/// Runs the handshake to the server's first flight, lets `edit` change the raw
/// ServerKeyExchange message, and returns the client's error.
fn client_error_on_ske(p: &mut Pair, edit: impl FnOnce(&mut Vec<u8>)) -> Error {
    p.transfer(Side::Client).expect("ClientHello");
    let mut flight = p.take(Side::Server);
    edit_plain_message(&mut flight, HandshakeType::ServerKeyExchange, edit);
    p.deliver(Side::Client, &flight)
        .expect_err("the client refuses the ServerKeyExchange")
}

#[test]
fn a_server_key_exchange_with_a_bad_signature_is_decrypt_error() {
    for (suite, scheme) in [
        (
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            SignatureScheme::ECDSA_NISTP256_SHA256,
        ),
        (
            CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            SignatureScheme::RSA_PSS_RSAE_SHA256,
        ),
    ] {
        // A flipped signature byte, then a changed public point under a good signature.
        for edit_point in [false, true] {
            let mut p = pair_with(suite);
            let err = client_error_on_ske(&mut p, |m| {
                let at = if edit_point { 4 + 4 + 5 } else { m.len() - 1 };
                m[at] ^= 0x01;
            });
            let want = Error::PeerMisbehaved(PeerMisbehaved::BadServerKeyExchange { scheme });
            let text = format!("the server's ServerKeyExchange signature ({scheme}) does not verify with its certificate's key: the key exchange was tampered with or the server does not hold the key");
            check_failure(
                &mut p,
                Side::Client,
                &err,
                None,
                &want,
                &text,
                AlertDescription::DecryptError,
            );
        }
    }
}

#[test]
fn a_server_key_exchange_for_an_unoffered_group_or_scheme_is_illegal_parameter() {
    let groups = [NamedGroup::X25519, NamedGroup::secp256r1];
    for (group, what) in [
        (NamedGroup::secp384r1, "not in the client's list"),
        (NamedGroup::X25519MLKEM768, "not a TLS 1.2 group"),
        (NamedGroup::Unknown(0x1234), "unknown"),
    ] {
        let id = ecdsa();
        let client_groups: Vec<NamedGroup> = if group == NamedGroup::X25519MLKEM768 {
            vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519]
        } else {
            groups.to_vec()
        };
        let mut p = Pair::new(
            client_config(&[&id]).versions(TLS12).groups(&client_groups),
            server_config(&[&id]),
        );
        let err = client_error_on_ske(&mut p, |m| {
            m[5..7].copy_from_slice(&group.to_wire().to_be_bytes())
        });
        let want = Error::PeerMisbehaved(PeerMisbehaved::SelectedUnoffered {
            what: "group",
            value: group.to_string(),
        });
        let text = format!("the server selected group {group}, which the client did not offer");
        println!("{what}");
        check_failure(
            &mut p,
            Side::Client,
            &err,
            None,
            &want,
            &text,
            AlertDescription::IllegalParameter,
        );
    }
    // An RSA scheme for an ECDSA suite, and a scheme the client never offered.
    for scheme in [
        SignatureScheme::RSA_PKCS1_SHA256,
        SignatureScheme::ECDSA_NISTP521_SHA512,
    ] {
        let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        let err = client_error_on_ske(&mut p, |m| {
            let point_len = usize::from(m[7]);
            let at = 8 + point_len;
            m[at..at + 2].copy_from_slice(&scheme.to_wire().to_be_bytes());
        });
        let want = Error::PeerMisbehaved(PeerMisbehaved::SelectedUnoffered {
            what: "signature scheme",
            value: scheme.to_string(),
        });
        let text = format!(
            "the server selected signature scheme {scheme}, which the client did not offer"
        );
        check_failure(
            &mut p,
            Side::Client,
            &err,
            None,
            &want,
            &text,
            AlertDescription::IllegalParameter,
        );
    }
}

// ---------------------------------------------------------------------------------
// renegotiation_info on the initial handshake (RFC 5746, 3.4 and 3.6)

#[test]
fn a_non_empty_renegotiation_info_from_the_client_is_refused() {
    // RFC 5746, 3.6: the server "MUST abort the handshake", which section 3 defines
    // as sending a fatal handshake_failure alert.
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    let err = p
        .send_edited_client_hello(|ch| {
            for e in ch.extensions.iter_mut() {
                if let ClientExtension::RenegotiationInfo(v) = e {
                    *v = vec![0x5a; 12];
                }
            }
        })
        .expect_err("the server aborts");
    let want = Error::PeerMisbehaved(PeerMisbehaved::SecureRenegotiation {
        reason: "the client's renegotiation_info is not empty on an initial handshake",
    });
    check_failure(
        &mut p,
        Side::Server,
        &err,
        None,
        &want,
        "secure renegotiation (RFC 5746) check failed: the client's renegotiation_info is not empty on an initial handshake",
        AlertDescription::HandshakeFailure,
    );
}

#[test]
fn a_client_hello_signals_secure_renegotiation_by_extension_or_scsv() {
    // RFC 5746, 3.6: the SCSV alone earns an empty renegotiation_info; neither the
    // SCSV nor the extension earns none.
    for (scsv, ext, answered) in [(true, false, true), (false, false, false)] {
        let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        p.send_edited_client_hello(|ch| {
            ch.extensions
                .retain(|e| e.ext_type() != ExtensionType::RenegotiationInfo || ext);
            ch.cipher_suites
                .retain(|s| *s != CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
            if scsv {
                ch.cipher_suites
                    .push(CipherSuite::TLS_EMPTY_RENEGOTIATION_INFO_SCSV);
            }
        })
        .expect("the server accepts the ClientHello");
        let hello = Hello12::of(&p.take(Side::Server));
        let info = hello.extensions.iter().find_map(|e| match e {
            ServerExtension::RenegotiationInfo(v) => Some(v.clone()),
            _ => None,
        });
        assert_eq!(info, answered.then(Vec::new), "scsv={scsv} ext={ext}");
    }
}

fn edit_renegotiation_info(
    value: Option<Vec<u8>>,
) -> impl FnOnce(&mut ferrotls::msgs::ServerHello) {
    move |sh| {
        sh.extensions
            .retain(|e| e.ext_type() != ExtensionType::RenegotiationInfo);
        if let Some(v) = value {
            sh.extensions.push(ServerExtension::RenegotiationInfo(v));
        }
    }
}

#[test]
fn a_non_empty_renegotiation_info_from_the_server_is_handshake_failure() {
    // RFC 5746, 3.4: the client "MUST abort the handshake (by sending a fatal
    // handshake_failure alert)".
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    p.transfer(Side::Client).expect("ClientHello");
    let mut flight = p.take(Side::Server);
    edit_server_hello(&mut flight, edit_renegotiation_info(Some(vec![0x5a; 24])));
    let err = p
        .deliver(Side::Client, &flight)
        .expect_err("the client aborts");
    let want = Error::PeerMisbehaved(PeerMisbehaved::SecureRenegotiation {
        reason: "the server's renegotiation_info is not empty on an initial handshake",
    });
    check_failure(
        &mut p,
        Side::Client,
        &err,
        None,
        &want,
        "secure renegotiation (RFC 5746) check failed: the server's renegotiation_info is not empty on an initial handshake",
        AlertDescription::HandshakeFailure,
    );
}

#[test]
fn a_server_without_renegotiation_info_is_handshake_failure() {
    // RFC 5746, 4.1: clients that abort for a missing renegotiation_info "MUST
    // generate a fatal handshake_failure alert" (missing_extension is TLS 1.3's).
    let mut p = pair_with(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    p.transfer(Side::Client).expect("ClientHello");
    let mut flight = p.take(Side::Server);
    edit_server_hello(&mut flight, edit_renegotiation_info(None));
    let err = p
        .deliver(Side::Client, &flight)
        .expect_err("the client aborts");
    let want = Error::PeerMisbehaved(PeerMisbehaved::SecureRenegotiation {
        reason: "the server does not support secure renegotiation (no renegotiation_info)",
    });
    check_failure(
        &mut p,
        Side::Client,
        &err,
        None,
        &want,
        "secure renegotiation (RFC 5746) check failed: the server does not support secure renegotiation (no renegotiation_info)",
        AlertDescription::HandshakeFailure,
    );
}

// ---------------------------------------------------------------------------------
// Static RSA: no Bleichenbacher oracle (RFC 5246, 7.4.7.1)

#[test]
fn a_garbage_rsa_pre_master_fails_at_finished_and_never_earlier() {
    let id = rsa();
    let spki = ferrotls::pki::ParsedCert::parse(id.leaf().as_ref())
        .expect("leaf")
        .spki;
    let encrypt =
        |pms: &[u8]| ferrotls::crypto::rsa_kx::encrypt_pre_master(&spki, pms).expect("encrypt");
    let pms = |version: u16, len: usize| -> Vec<u8> {
        let mut v = vec![0x3c; len];
        v[..2].copy_from_slice(&version.to_be_bytes());
        v
    };
    let cases: Vec<(&str, Option<Vec<u8>>)> = vec![
        ("the client's own, one bit flipped", None),
        (
            "random bytes",
            Some((0..256u32).map(|i| (i * 151 + 7) as u8).collect()),
        ),
        ("all zero", Some(vec![0; 256])),
        ("all 0xff (above the modulus)", Some(vec![0xff; 256])),
        ("one byte short", Some(vec![0x42; 255])),
        ("one byte long", Some(vec![0x42; 257])),
        ("a single byte", Some(vec![1])),
        (
            "PKCS#1, wrong version 0x0301",
            Some(encrypt(&pms(0x0301, 48))),
        ),
        ("PKCS#1, version 0x0300", Some(encrypt(&pms(0x0300, 48)))),
        ("PKCS#1, 47 bytes", Some(encrypt(&pms(0x0303, 47)))),
        ("PKCS#1, 49 bytes", Some(encrypt(&pms(0x0303, 49)))),
        ("PKCS#1, empty", Some(encrypt(&[]))),
        (
            "PKCS#1, well-formed but not the client's",
            Some(encrypt(&pms(0x0303, 48))),
        ),
    ];
    for suite in [
        CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::TLS_RSA_WITH_AES_256_CBC_SHA,
    ] {
        for (what, body) in &cases {
            let ctx = format!("{suite}: {what}");
            let mut p = pair_with(suite);
            p.transfer(Side::Client).expect("ClientHello");
            p.transfer(Side::Server).expect("server flight");
            let records = split_records(&p.take(Side::Client));
            assert_eq!(records.len(), 3, "CKE, CCS, Finished");
            let mut cke = records[0].clone();
            match body {
                None => {
                    let last = cke.payload.len() - 1;
                    cke.payload[last] ^= 0x01;
                }
                Some(b) => {
                    let mut m = vec![HandshakeType::ClientKeyExchange.to_wire()];
                    let len = b.len() + 2;
                    m.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
                    m.extend_from_slice(&(b.len() as u16).to_be_bytes());
                    m.extend_from_slice(b);
                    cke.payload = m;
                }
            }
            let state = p
                .deliver(Side::Server, &join_records(&[cke]))
                .unwrap_or_else(|e| panic!("{ctx}: failed at ClientKeyExchange: {e}"));
            assert_eq!(
                state.tls_bytes_to_write, 0,
                "{ctx}: answered the ClientKeyExchange"
            );
            p.deliver(Side::Server, &join_records(&records[1..2]))
                .unwrap_or_else(|e| panic!("{ctx}: failed at ChangeCipherSpec: {e}"));
            expect_failure(
                &mut p,
                Side::Server,
                &join_records(&records[2..]),
                None,
                &bad_mac(0),
                BAD_RECORD_MAC_0,
                AlertDescription::BadRecordMac,
            );
        }
    }
}
