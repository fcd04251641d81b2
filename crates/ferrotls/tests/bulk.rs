//! Bulk application data on an in-memory pair: records decrypted straight from the
//! bytes handed to `feed_tls`, however those bytes are split and whatever else the
//! stream carries between the records (KeyUpdate, close_notify, tampering, empty
//! records), in both TLS versions and every AEAD (and a CBC suite).

mod pair;

use std::io::{self, Read, Write};

use ferrotls::conn::Connection;
use ferrotls::error::RecordError;
use ferrotls::msgs::enums::{AlertDescription, CipherSuite, ContentType, ProtocolVersion};
use ferrotls::Error;

use pair::{client_config, ecdsa, join_records, server_config, split_records, Pair, Side};

const TLS13: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_3];
const TLS12: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_2];
/// The most plaintext one record carries.
const RECORD: usize = 16384;

/// Every AEAD in both versions, and one legacy CBC suite (with encrypt-then-MAC).
const SUITES: [(CipherSuite, &[ProtocolVersion]); 7] = [
    (CipherSuite::TLS13_AES_128_GCM_SHA256, TLS13),
    (CipherSuite::TLS13_AES_256_GCM_SHA384, TLS13),
    (CipherSuite::TLS13_CHACHA20_POLY1305_SHA256, TLS13),
    (CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS12),
    (CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS12),
    (
        CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TLS12,
    ),
    (CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, TLS12),
];

/// A connected pair for `suite`; the server sends no tickets.
fn connected(suite: CipherSuite, versions: &[ProtocolVersion]) -> Pair {
    let id = ecdsa();
    let mut p = Pair::new(
        client_config(&[&id])
            .versions(versions)
            .cipher_suites(&[suite])
            .enable_legacy_tls12_suites(),
        server_config(&[&id])
            .versions(versions)
            .enable_legacy_tls12_suites()
            .tls13_tickets(0),
    );
    p.handshake()
        .unwrap_or_else(|(side, e)| panic!("{suite:?}: {side:?} failed: {e}"));
    p
}

/// Distinct bytes, so a record out of place or a byte out of order shows.
fn data(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 251) as u8)
        .collect()
}

/// The client's records carrying `data`.
fn records_of(p: &mut Pair, data: &[u8]) -> Vec<u8> {
    p.client.writer().write_all(data).expect("write");
    p.take(Side::Client)
}

/// Reads everything buffered into `out` with a `buf`-sized buffer, until the reader
/// would block, reports the end of the stream or the connection's error.
fn read_into(conn: &mut Connection, out: &mut Vec<u8>, buf: usize) {
    let mut chunk = vec![0u8; buf];
    loop {
        match conn.reader().read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
            Err(e) => {
                assert!(conn.error().is_some(), "read failed: {e}");
                return;
            }
        }
    }
}

/// Hands `bytes` over in slices of at most `piece` bytes, processing after each and
/// (if `read` is set) reading with a `read`-byte buffer; returns the plaintext read,
/// and the first error.
fn feed(
    conn: &mut Connection,
    bytes: &[u8],
    piece: usize,
    read: Option<usize>,
) -> (Vec<u8>, Option<Error>) {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = conn.feed_tls(&rest[..piece.min(rest.len())]);
        rest = &rest[n..];
        if let Err(e) = conn.process_new_packets() {
            return (out, Some(e));
        }
        assert!(n > 0, "feed_tls took nothing after processing");
        if let Some(buf) = read {
            read_into(conn, &mut out, buf);
        }
    }
    read_into(conn, &mut out, 4096);
    (out, None)
}

#[test]
fn every_suite_and_every_split_delivers_the_data() {
    for (suite, versions) in SUITES {
        let mut p = connected(suite, versions);
        for (piece, read) in [
            (usize::MAX, Some(64 * 1024)),
            (usize::MAX, Some(1000)),
            (usize::MAX, None),
            (RECORD + 29, Some(RECORD)),
            (40_000, None),
            (4096, Some(4096)),
            (1, Some(7)),
        ] {
            let msg = data(5 * RECORD + 1234);
            let bytes = records_of(&mut p, &msg);
            let (got, err) = feed(&mut p.server, &bytes, piece, read);
            assert!(err.is_none(), "{suite:?}: {err:?}");
            assert!(
                got == msg,
                "{suite:?}, pieces of {piece}, reads of {read:?}"
            );
        }
        p.round_trip();
    }
}

#[test]
fn plaintext_nobody_reads_piles_up_and_stays_in_order() {
    for (suite, versions) in SUITES {
        let mut p = connected(suite, versions);
        let msg = data(20 * RECORD);
        let bytes = records_of(&mut p, &msg);
        let mut rest = &bytes[..];
        let mut buffered = 0;
        while !rest.is_empty() {
            let n = p.server.feed_tls(rest);
            rest = &rest[n..];
            let state = p.server.process_new_packets().expect("records accepted");
            assert!(n > 0, "{suite:?}: feed_tls took nothing");
            assert!(state.plaintext_bytes_to_read >= buffered, "{suite:?}");
            buffered = state.plaintext_bytes_to_read;
        }
        assert_eq!(buffered, msg.len(), "{suite:?}");
        let (got, _) = feed(&mut p.server, &[], 1, None);
        assert!(got == msg, "{suite:?}");
    }
}

#[test]
fn a_tampered_record_fails_after_the_records_before_it_and_releases_nothing() {
    for (suite, versions) in SUITES {
        let msg = data(6 * RECORD);
        for (piece, read) in [
            (usize::MAX, Some(64 * 1024)),
            (usize::MAX, None),
            (3000, Some(100)),
        ] {
            let mut p = connected(suite, versions);
            let mut tampered = split_records(&records_of(&mut p, &msg));
            assert_eq!(tampered.len(), 6);
            let last = tampered[2].payload.len() - 1;
            tampered[2].payload[last] ^= 0x01;
            let (got, err) = feed(&mut p.server, &join_records(&tampered), piece, read);
            let err = err.expect("the tampered record fails");
            assert!(
                matches!(err, Error::Record(RecordError::BadRecordMac { .. })),
                "{suite:?}: {err:?}"
            );
            assert_eq!(err.alert(), Some(AlertDescription::BadRecordMac));
            // Everything before the bad record, nothing of it or after it.
            let mut all = got;
            read_into(&mut p.server, &mut all, 4096);
            assert!(all == msg[..2 * RECORD], "{suite:?}: {} bytes", all.len());
            // The error stays, and the alert went out.
            assert_eq!(p.server.process_new_packets().unwrap_err(), err);
            assert!(
                !p.server.pending_tls().is_empty(),
                "{suite:?}: no alert queued"
            );
            if versions == TLS13 {
                assert_eq!(
                    p.alert_sent_by(Side::Server),
                    Some(AlertDescription::BadRecordMac)
                );
            }
        }
    }
}

#[test]
fn key_update_in_the_middle_of_a_fed_stream() {
    for suite in [
        CipherSuite::TLS13_AES_128_GCM_SHA256,
        CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
    ] {
        for (piece, read) in [
            (usize::MAX, Some(64 * 1024)),
            (usize::MAX, None),
            (5000, Some(300)),
        ] {
            let mut p = connected(suite, TLS13);
            let first = data(3 * RECORD + 5);
            let second = data(4 * RECORD + 77);
            let mut bytes = records_of(&mut p, &first);
            p.client.refresh_traffic_keys().expect("key update");
            bytes.extend(records_of(&mut p, &second));
            let (got, err) = feed(&mut p.server, &bytes, piece, read);
            assert!(err.is_none(), "{suite:?}: {err:?}");
            assert!(got == [first, second].concat(), "{suite:?}");
            // The server answers the request, and both keep talking.
            p.transfer(Side::Server).expect("KeyUpdate answer");
            p.round_trip();
        }
    }
}

#[test]
fn data_after_close_notify_in_the_same_feed_is_ignored() {
    for (suite, versions) in SUITES {
        let mut p = connected(suite, versions);
        let msg = data(3 * RECORD + 11);
        let mut bytes = records_of(&mut p, &msg);
        p.client.send_close_notify();
        bytes.extend(p.take(Side::Client));
        // A record the peer could not have sent after its close_notify.
        let replay = split_records(&bytes)[0].clone();
        let mut stream = bytes.clone();
        stream.extend(join_records(&[replay]));
        let (got, err) = feed(&mut p.server, &stream, usize::MAX, Some(64 * 1024));
        assert!(err.is_none(), "{suite:?}: {err:?}");
        assert!(got == msg, "{suite:?}");
        assert!(p.server.process_new_packets().unwrap().peer_has_closed);
        assert_eq!(p.server.reader().read(&mut [0u8; 10]).unwrap(), 0);
    }
}

#[test]
fn a_run_of_empty_records_is_still_refused() {
    let mut p = connected(CipherSuite::TLS13_AES_128_GCM_SHA256, TLS13);
    let mut cipher = p.cipher(Side::Client, "CLIENT_TRAFFIC_SECRET_0");
    let msg = data(2 * RECORD);
    // Empty records between full ones reset nothing but their own count.
    let mut bytes = Vec::new();
    for _ in 0..20 {
        bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, b""));
    }
    bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, &msg[..RECORD]));
    for _ in 0..20 {
        bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, b""));
    }
    bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, &msg[RECORD..]));
    let (got, err) = feed(&mut p.server, &bytes, usize::MAX, Some(64 * 1024));
    assert!(err.is_none(), "{err:?}");
    assert!(got == msg);
    let mut bytes = Vec::new();
    for _ in 0..40 {
        bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, b""));
    }
    let (_, err) = feed(&mut p.server, &bytes, usize::MAX, Some(64 * 1024));
    assert_eq!(
        err,
        Some(Error::Record(RecordError::TooManyEmptyRecords {
            count: 33
        }))
    );
}

#[test]
fn a_handshake_record_between_data_records_is_processed_in_order() {
    // The client decrypts data records ahead, stops at a record of another type and
    // leaves it, and what follows, to be processed in order.
    let id = ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).versions(TLS13),
        server_config(&[&id]).versions(TLS13).tls13_tickets(0),
    );
    p.handshake().expect("handshake");
    let mut cipher = p.cipher(Side::Server, "SERVER_TRAFFIC_SECRET_0");
    let msg = data(2 * RECORD);
    let mut bytes = Vec::new();
    bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, &msg[..RECORD]));
    // An alert in the middle ends the stream there: warning-level user_canceled
    // is allowed and ignored (RFC 8446, 6.1); the data after it still arrives.
    bytes.extend(cipher.seal_bytes(ContentType::Alert, &[1, 90]));
    bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, &msg[RECORD..]));
    let (got, err) = feed(&mut p.client, &bytes, usize::MAX, Some(64 * 1024));
    assert!(err.is_none(), "{err:?}");
    assert!(got == msg);
    // A handshake message that may not come now is refused in its place, after the
    // data before it.
    let mut bytes = cipher.seal_bytes(ContentType::ApplicationData, &msg[..100]);
    bytes.extend(cipher.seal_bytes(ContentType::Handshake, &[20, 0, 0, 0]));
    bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, &msg[..100]));
    let (mut got, err) = feed(&mut p.client, &bytes, usize::MAX, Some(64 * 1024));
    read_into(&mut p.client, &mut got, 4096);
    assert!(got == msg[..100]);
    let err = err.expect("a Finished after the handshake is refused");
    assert_eq!(
        err.alert(),
        Some(AlertDescription::UnexpectedMessage),
        "{err}"
    );
}
