use super::*;
use crate::crypto::cbc::MacAlgorithm;
use crate::msgs::enums::AlertDescription;
use crate::record::Deframer;
use crate::test_util::unhex;
use crate::tls12::suites::{
    DEFAULT_TLS12_SUITES, LEGACY_TLS12_SUITES, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_CBC_SHA256,
};

/// A "random" source that always gives the same byte, for known CBC IVs.
#[derive(Debug)]
struct Fixed(u8);

impl RandomSource for Fixed {
    fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
        buf.fill(self.0);
        Ok(())
    }
}

#[derive(Debug)]
struct Broken;

impl RandomSource for Broken {
    fn fill(&self, _: &mut [u8]) -> Result<(), CryptoError> {
        Err(CryptoError::RandomFailed)
    }
}

fn parse(wire: &[u8]) -> OpaqueRecord {
    let mut d = Deframer::new();
    assert_eq!(d.push(wire), wire.len());
    let r = d.next_record().unwrap().unwrap();
    assert_eq!(d.buffered_len(), 0);
    r
}

/// Splits one record without the deframer's checks (it refuses heartbeat and
/// unknown content types, which this layer must still handle).
fn split(wire: &[u8]) -> OpaqueRecord {
    assert_eq!(
        usize::from(u16::from_be_bytes([wire[3], wire[4]])),
        wire.len() - HEADER_LEN
    );
    OpaqueRecord {
        typ: ContentType::from_wire(wire[0]),
        version: ProtocolVersion::from_wire(u16::from_be_bytes([wire[1], wire[2]])),
        payload: wire[HEADER_LEN..].to_vec(),
    }
}

fn range(from: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| from.wrapping_add(i as u8)).collect()
}

fn pair(
    suite: &Tls12CipherSuite,
    mac: &[u8],
    key: &[u8],
    iv: &[u8],
    etm: bool,
    random: u8,
) -> (Encrypter12, Decrypter12) {
    let mut enc = Encrypter12::new(suite, mac, key, iv, etm).unwrap();
    enc.set_random(Arc::new(Fixed(random)));
    (enc, Decrypter12::new(suite, mac, key, iv, etm).unwrap())
}

/// Checks that `enc` produces `want` for (typ, plaintext) and `dec` reverses it.
fn known_answer(
    enc: &mut Encrypter12,
    dec: &mut Decrypter12,
    typ: ContentType,
    plaintext: &[u8],
    want: &str,
) {
    let mut out = Vec::new();
    enc.encrypt(typ, plaintext, &mut out).unwrap();
    assert_eq!(out, unhex(want), "{enc:?}");
    let plain = dec.decrypt(parse(&out)).unwrap();
    assert_eq!((plain.typ, plain.payload.as_slice()), (typ, plaintext));
}

// Expected records computed independently with Python's `cryptography` (OpenSSL)
// and hmac/hashlib: AAD/MAC header = seq || type || 0303 || length.
const PT: &[u8] = b"hello, TLS 1.2";

#[test]
fn aes_gcm_rfc5288_known_answer() {
    // AESGCM(00..0f).encrypt(a0a1a2a3 || seq, pt, aad)
    let (mut enc, mut dec) = pair(
        &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        &[],
        &range(0, 16),
        &unhex("a0a1a2a3"),
        false,
        0,
    );
    let t = ContentType::ApplicationData;
    known_answer(
        &mut enc,
        &mut dec,
        t,
        PT,
        "17030300260000000000000000e238a2f128a3143b1f950a125ff8970dab0d0b39845444869d80bfe13f1f",
    );
    // The explicit nonce is the sequence number (RFC 5288, 3).
    known_answer(
        &mut enc,
        &mut dec,
        t,
        PT,
        "170303002600000000000000012e14709e03a85704cb3f6626f5365ecc8273b302c3bac2e55f97e752f2c2",
    );
    assert_eq!((enc.sequence(), dec.sequence()), (2, 2));
    assert_eq!(format!("{enc:?}"), "Encrypter12(AES-128-GCM, sequence 2)");
    assert!(!enc.is_encrypt_then_mac() && !dec.is_encrypt_then_mac());
    assert_eq!(dec.min_overhead(), 24);
}

#[test]
fn chacha20_poly1305_rfc7905_known_answer() {
    // nonce = iv XOR (0^4 || seq); no explicit nonce in the record.
    let suite = &TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;
    let (key, iv) = (range(0x80, 32), range(0x40, 12));
    let (mut enc, mut dec) = pair(suite, &[], &key, &iv, true, 0);
    let t = ContentType::Handshake;
    known_answer(
        &mut enc,
        &mut dec,
        t,
        PT,
        "160303001e35e53e56f1351ba165fc3b40eaeb7f5be03302106ee605b7470496d4e609",
    );
    let (enc, dec) = pair(suite, &[], &key, &iv, false, 0);
    let (mut enc, mut dec) = (enc.with_sequence(5), dec.with_sequence(5));
    known_answer(
        &mut enc,
        &mut dec,
        t,
        PT,
        "160303001e6a99e805cabd1792cde9dc620375b20364a4dd4a3946b4a555f241984e48",
    );
    assert_eq!(
        format!("{dec:?}"),
        "Decrypter12(ChaCha20-Poly1305, sequence 6)"
    );
    assert!(!enc.is_encrypt_then_mac(), "RFC 7366, 3: not for AEADs");
}

#[test]
fn cbc_mac_then_encrypt_known_answers() {
    // AES-CBC(key, iv, pt || HMAC(mac_key, aad || pt) || padding), iv sent first.
    let (mut enc, mut dec) = pair(
        &TLS_RSA_WITH_AES_128_CBC_SHA,
        &range(0x20, 20),
        &range(0x10, 16),
        &[],
        false,
        0x77,
    );
    known_answer(
        &mut enc,
        &mut dec,
        ContentType::ApplicationData,
        PT,
        "170303004077777777777777777777777777777777d0721cf62ce545968c2600696db4106790e4
         2679f8aae83507525262299e07cab1001d8235b4259f5626ff07db201f19",
    );
    assert_eq!(
        format!("{enc:?}"),
        "Encrypter12(AES-128-CBC HMAC-SHA1 MAC-then-encrypt, sequence 1)"
    );
    let (mut enc, mut dec) = pair(
        &TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        &range(0x50, 48),
        &range(0x30, 32),
        &[],
        false,
        0x55,
    );
    known_answer(
        &mut enc,
        &mut dec,
        ContentType::Alert,
        &[1, 0],
        "150303005055555555555555555555555555555555be61b0867cb582b720be5289bc4cb703ff92
         5d9c9f41413321d5bbe4e6cdc4e05609c9e7cf2af17ca1fda4043e6c3dab848705300e204005e2
         ec04846db948b4",
    );
    assert_eq!(dec.min_overhead(), 16 + 48 + 1);
}

#[test]
fn cbc_encrypt_then_mac_known_answer() {
    // RFC 7366, 3: MAC(mac_key, aad(len = IV + ciphertext) || IV || ciphertext).
    let (mut enc, mut dec) = pair(
        &TLS_RSA_WITH_AES_256_CBC_SHA256,
        &range(0xc0, 32),
        &range(0xa0, 32),
        &[],
        true,
        0x66,
    );
    known_answer(
        &mut enc,
        &mut dec,
        ContentType::ApplicationData,
        PT,
        "17030300406666666666666666666666666666666631714320bf48add7c7b99c9cfa762247f7d4
         7dabb09d1f38f06a29113a579641bad8483ab42a6e25af9c89a32e5e75db",
    );
    assert!(enc.is_encrypt_then_mac() && dec.is_encrypt_then_mac());
    assert_eq!(
        format!("{dec:?}"),
        "Decrypter12(AES-256-CBC HMAC-SHA256 encrypt-then-MAC, sequence 1)"
    );
}

fn all_suites() -> impl Iterator<Item = &'static Tls12CipherSuite> {
    DEFAULT_TLS12_SUITES
        .iter()
        .chain(LEGACY_TLS12_SUITES)
        .copied()
}

/// Client and server pairs from one key block.
fn both_sides(
    suite: &Tls12CipherSuite,
    etm: bool,
) -> ((Encrypter12, Decrypter12), (Encrypter12, Decrypter12)) {
    let kb = range(1, suite.key_block_layout().total_len());
    (
        new_pair_from_key_block(suite, &kb, true, etm).unwrap(),
        new_pair_from_key_block(suite, &kb, false, etm).unwrap(),
    )
}

#[test]
fn every_suite_round_trips_both_ways() {
    let types = [
        ContentType::Handshake,
        ContentType::Alert,
        ContentType::ApplicationData,
        ContentType::Heartbeat,
    ];
    for suite in all_suites() {
        for etm in [false, true] {
            let ((mut c_enc, mut c_dec), (mut s_enc, mut s_dec)) = both_sides(suite, etm);
            for (i, len) in [0usize, 1, 15, 16, 17, 31, 1000, MAX_PLAINTEXT_LEN]
                .into_iter()
                .enumerate()
            {
                let typ = types[i % types.len()];
                let data: Vec<u8> = (0..len).map(|j| (j * 31 + i) as u8).collect();
                for (enc, dec) in [(&mut c_enc, &mut s_dec), (&mut s_enc, &mut c_dec)] {
                    let mut out = Vec::new();
                    enc.encrypt(typ, &data, &mut out).unwrap();
                    assert!(out.len() <= HEADER_LEN + len + suite.max_overhead());
                    let plain = dec.decrypt(split(&out)).unwrap();
                    assert_eq!((plain.typ, plain.payload), (typ, data.clone()), "{suite:?}");
                }
            }
            // A side's own decrypter does not open its own records: the directions
            // use different keys.
            let mut out = Vec::new();
            c_enc
                .encrypt(ContentType::ApplicationData, b"x", &mut out)
                .unwrap();
            assert!(matches!(
                c_dec.decrypt(parse(&out)),
                Err(RecordError::BadRecordMac { .. })
            ));
        }
    }
}

#[test]
fn into_a_buffer_matches_appending_and_record_len_is_exact() {
    for suite in all_suites() {
        for etm in [false, true] {
            let ((mut a, _), (_, mut dec)) = both_sides(suite, etm);
            let ((mut b, _), (_, mut peer)) = both_sides(suite, etm);
            a.set_random(Arc::new(Fixed(9)));
            b.set_random(Arc::new(Fixed(9)));
            for len in [
                0usize,
                1,
                15,
                16,
                17,
                31,
                32,
                33,
                47,
                48,
                1000,
                16383,
                MAX_PLAINTEXT_LEN,
            ] {
                let data: Vec<u8> = (0..len).map(|j| (j * 7) as u8).collect();
                let mut appended = vec![0xee];
                a.encrypt(ContentType::ApplicationData, &data, &mut appended)
                    .unwrap();
                assert_eq!(
                    appended.len() - 1,
                    a.record_len(len),
                    "{suite:?} {etm} {len}"
                );
                // Written over stale bytes, with room to spare.
                let mut room = vec![0xaa; b.record_len(len) + 7];
                let n = b
                    .encrypt_into(ContentType::ApplicationData, &data, &mut room)
                    .unwrap();
                assert_eq!(room[..n], appended[1..], "{suite:?} {etm} {len}");
                assert_eq!(room[n..], [0xaa; 7]);
                // Opened into stale room as well; peeking does not advance.
                let record = parse(&room[..n]);
                let mut plain = vec![0x55; record.payload.len()];
                let seq = peer.sequence();
                let opened = peer.peek_into(record.borrow(), &mut plain).unwrap();
                assert_eq!(peer.sequence(), seq);
                assert_eq!(plain[..opened.len], data, "{suite:?} {etm} {len}");
                assert!(plain[opened.len..].iter().all(|b| *b == 0), "tail cleared");
                let opened = peer.decrypt_into(record.borrow(), &mut plain).unwrap();
                assert_eq!(peer.sequence(), seq + 1);
                assert_eq!(
                    (opened.typ, &plain[..opened.len]),
                    (ContentType::ApplicationData, &data[..])
                );
                assert_eq!(dec.decrypt(record).unwrap().payload, data);
            }
            // Too little room: nothing written, the sequence unmoved.
            let seq = b.sequence();
            let mut small = vec![0u8; b.record_len(10) - 1];
            assert!(b
                .encrypt_into(ContentType::ApplicationData, &[1; 10], &mut small)
                .is_err());
            assert_eq!(b.sequence(), seq);
        }
    }
}

#[test]
fn failed_decryption_into_a_buffer_leaves_nothing_readable() {
    for suite in all_suites() {
        for etm in [false, true] {
            let ((mut enc, _), (_, mut dec)) = both_sides(suite, etm);
            let mut out = Vec::new();
            enc.encrypt(ContentType::ApplicationData, &[0x33; 100], &mut out)
                .unwrap();
            let last = out.len() - 1;
            out[last] ^= 1;
            let record = parse(&out);
            let mut plain = vec![0x55; record.payload.len()];
            let err = dec.decrypt_into(record.borrow(), &mut plain).unwrap_err();
            assert_eq!(err, RecordError::BadRecordMac { sequence: 0 }, "{suite:?}");
            assert_eq!(dec.sequence(), 0);
            // No plaintext of the forged record is left behind (stale bytes past
            // what a successful decryption would have written may remain).
            assert!(!plain.windows(4).any(|w| w == [0x33; 4]), "{suite:?} {etm}");
            // Too little room is refused before anything is decrypted.
            let record = parse(&out);
            let mut short = vec![0u8; record.payload.len() - 1];
            assert!(dec.decrypt_into(record.borrow(), &mut short).is_err());
            assert_eq!(dec.sequence(), 0);
        }
    }
}

#[test]
fn record_sizes() {
    let size = |suite: &Tls12CipherSuite, etm: bool, len: usize| {
        let ((mut enc, _), _) = both_sides(suite, etm);
        let mut out = Vec::new();
        enc.encrypt(ContentType::ApplicationData, &vec![0; len], &mut out)
            .unwrap();
        out.len() - HEADER_LEN
    };
    assert_eq!(
        size(&TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, false, 10),
        8 + 10 + 16
    );
    assert_eq!(
        size(&TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, false, 10),
        10 + 16
    );
    // IV + (data + MAC + padding) rounded to blocks: 10 + 20 + 2 = 32.
    assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, false, 10), 16 + 32);
    // 11 + 20 + 1 = 32: one byte of padding (the length byte only).
    assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, false, 11), 16 + 32);
    assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, false, 12), 16 + 48);
    // EtM: IV + (data + padding) + MAC.
    assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, true, 10), 16 + 16 + 20);
    assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, true, 16), 16 + 32 + 20);
}

#[test]
fn key_block_is_sliced_in_rfc_order() {
    // RFC 5246, 6.3: client MAC, server MAC, client key, server key, client IV, server IV.
    for suite in all_suites() {
        let l = suite.key_block_layout();
        let kb = range(0x31, l.total_len() + 7); // longer blocks are fine
        let (m, k, v) = (l.mac_key_len, l.enc_key_len, l.fixed_iv_len);
        let client_mac = &kb[..m];
        let server_mac = &kb[m..2 * m];
        let client_key = &kb[2 * m..2 * m + k];
        let server_key = &kb[2 * m + k..2 * m + 2 * k];
        let client_iv = &kb[2 * m + 2 * k..2 * m + 2 * k + v];
        let server_iv = &kb[2 * m + 2 * k + v..2 * m + 2 * k + 2 * v];
        for is_client in [true, false] {
            let (mut enc, _) = new_pair_from_key_block(suite, &kb, is_client, false).unwrap();
            enc.set_random(Arc::new(Fixed(9)));
            let (mac, key, iv) = if is_client {
                (client_mac, client_key, client_iv)
            } else {
                (server_mac, server_key, server_iv)
            };
            let (mut explicit, mut dec) = pair(suite, mac, key, iv, false, 9);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            enc.encrypt(ContentType::Handshake, b"finished", &mut a)
                .unwrap();
            explicit
                .encrypt(ContentType::Handshake, b"finished", &mut b)
                .unwrap();
            assert_eq!(a, b, "{suite:?} client={is_client}");
            assert_eq!(dec.decrypt(parse(&a)).unwrap().payload, b"finished");
        }
        let err =
            new_pair_from_key_block(suite, &kb[..l.total_len() - 1], true, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "a {}-byte key is the wrong size for TLS 1.2 key block",
                l.total_len() - 1
            )
        );
    }
}

#[test]
fn wrong_key_lengths_are_refused() {
    let suite = &TLS_RSA_WITH_AES_128_CBC_SHA;
    let err = Encrypter12::new(suite, &[0; 20], &[0; 32], &[], false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a 32-byte key is the wrong size for AES-CBC"
    );
    let err = Decrypter12::new(suite, &[0; 32], &[0; 16], &[], false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a 32-byte key is the wrong size for HMAC-SHA1"
    );
    let gcm = &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    let err = Encrypter12::new(gcm, &[], &[0; 16], &[0; 12], false).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a 12-byte key is the wrong size for TLS 1.2 implicit IV"
    );
    assert!(Decrypter12::new(gcm, &[], &[0; 32], &[0; 4], false).is_err());
}

/// Every single-byte change and every truncation of a record fails the same way,
/// and leaves the sequence number where it was.
#[test]
fn tampering_and_truncation_fail_with_bad_record_mac() {
    for suite in all_suites() {
        for etm in [false, true] {
            let ((mut enc, _), (_, mut dec)) = both_sides(suite, etm);
            let mut wire = Vec::new();
            enc.encrypt(ContentType::ApplicationData, &[0x42; 50], &mut wire)
                .unwrap();
            let want = Err(RecordError::BadRecordMac { sequence: 0 });
            // The version byte is authenticated too (type and length flips are
            // mostly stopped by the deframer).
            for i in (2..3).chain(HEADER_LEN..wire.len()) {
                for bit in [0x01, 0x80] {
                    let mut bad = wire.clone();
                    bad[i] ^= bit;
                    let record = OpaqueRecord {
                        typ: ContentType::ApplicationData,
                        version: ProtocolVersion::from_wire(u16::from_be_bytes([bad[1], bad[2]])),
                        payload: bad[HEADER_LEN..].to_vec(),
                    };
                    assert_eq!(dec.decrypt(record), want, "{suite:?} etm={etm} byte {i}");
                }
            }
            for n in 0..wire.len() - HEADER_LEN {
                let mut short = parse(&wire);
                short.payload.truncate(n);
                assert_eq!(dec.decrypt(short), want, "{suite:?} etm={etm} len {n}");
            }
            // A different type in the header (with the same bytes) fails too.
            let mut retyped = parse(&wire);
            retyped.typ = ContentType::Handshake;
            assert_eq!(dec.decrypt(retyped), want);
            // Then the genuine record decrypts at sequence 0 ...
            assert_eq!(dec.sequence(), 0);
            assert!(dec.decrypt(parse(&wire)).is_ok());
            // ... and replaying it as record 1 fails.
            assert_eq!(
                dec.decrypt(parse(&wire)),
                Err(RecordError::BadRecordMac { sequence: 1 })
            );
        }
    }
}

#[test]
fn mte_and_etm_records_are_not_interchangeable() {
    let suite = &TLS_RSA_WITH_AES_128_CBC_SHA;
    for etm in [false, true] {
        let ((mut enc, _), _) = both_sides(suite, etm);
        let ((_, _), (_, mut dec)) = both_sides(suite, !etm);
        let mut out = Vec::new();
        enc.encrypt(ContentType::ApplicationData, b"data", &mut out)
            .unwrap();
        assert_eq!(
            dec.decrypt(parse(&out)),
            Err(RecordError::BadRecordMac { sequence: 0 })
        );
    }
}

/// A MAC-then-encrypt record with a hand-made body: `data || mac || padding`.
fn handmade(key: &CbcKey, body: &[u8]) -> OpaqueRecord {
    let mut payload = vec![0x3c; AES_BLOCK_LEN];
    let mut ct = body.to_vec();
    key.encrypt([0x3c; AES_BLOCK_LEN], &mut ct).unwrap();
    payload.extend_from_slice(&ct);
    OpaqueRecord {
        typ: ContentType::ApplicationData,
        version: ProtocolVersion::TLSv1_2,
        payload,
    }
}

/// The padding oracle test: whatever is wrong (padding bytes, padding length, MAC,
/// data, sequence number, record shape), the error value, its text and its alert
/// are identical.
#[test]
fn padding_oracle_every_failure_is_the_same_error() {
    for suite in [
        &TLS_RSA_WITH_AES_128_CBC_SHA,
        &TLS_RSA_WITH_AES_256_CBC_SHA256,
        &TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
    ] {
        let Bulk::Cbc { key_len, mac } = suite.bulk else {
            unreachable!()
        };
        let (enc_key, mac_key) = (range(0x10, key_len), range(0x60, mac.key_len()));
        let cbc = CbcKey::new(&enc_key).unwrap();
        let mac_k = MacKey::new(mac, &mac_key);
        let mac_len = mac.output_len();
        let data = b"attack at dawn!!"; // 16 bytes
        let body = |seq: u64, data: &[u8], padding: &[u8]| -> Vec<u8> {
            let ad = additional_data(
                seq,
                ContentType::ApplicationData,
                ProtocolVersion::TLSv1_2,
                data.len(),
            );
            let mut b = data.to_vec();
            b.extend_from_slice(mac_k.sign(&[&ad, data]).as_ref());
            b.extend_from_slice(padding);
            b
        };
        // Padding that makes data || mac || padding a whole number of blocks.
        let pad_to = |n: usize, extra_blocks: usize| -> Vec<u8> {
            let p = (AES_BLOCK_LEN - 1 - n % AES_BLOCK_LEN) + AES_BLOCK_LEN * extra_blocks;
            vec![p as u8; p + 1]
        };
        let good_padding = pad_to(data.len() + mac_len, 0);
        let long_padding = pad_to(data.len() + mac_len, 15); // > 240 bytes
        let dec = || Decrypter12::new(suite, &mac_key, &enc_key, &[], false).unwrap();

        // Controls: both decrypt.
        for padding in [&good_padding, &long_padding] {
            let ok = dec().decrypt(handmade(&cbc, &body(0, data, padding)));
            assert_eq!(ok.unwrap().payload, data, "{suite:?}");
        }

        let mut bad: Vec<(String, OpaqueRecord)> = Vec::new();
        for padding in [&good_padding, &long_padding] {
            let n = padding.len();
            // Each padding byte wrong, one at a time (the length byte last).
            for i in 0..n - 1 {
                let mut p = padding.clone();
                p[i] ^= 0x01;
                bad.push((
                    format!("pad byte {i}/{n}"),
                    handmade(&cbc, &body(0, data, &p)),
                ));
            }
            // The length byte claims one more or one less than the run.
            for delta in [1i16, -1] {
                let mut p = padding.clone();
                let last = p.len() - 1;
                p[last] = (i16::from(p[last]) + delta) as u8;
                bad.push((
                    format!("length {delta:+}/{n}"),
                    handmade(&cbc, &body(0, data, &p)),
                ));
            }
            // Each MAC byte and each data byte altered, padding valid.
            for i in 0..data.len() + mac_len {
                let mut b = body(0, data, padding);
                b[i] ^= 0x20;
                bad.push((format!("mac/data byte {i}/{n}"), handmade(&cbc, &b)));
            }
            // MAC over another sequence number.
            bad.push((format!("seq/{n}"), handmade(&cbc, &body(1, data, padding))));
        }
        // Padding length beyond the record: 255 in a short record.
        let mut b = body(0, data, &good_padding);
        *b.last_mut().unwrap() = 255;
        bad.push(("pad 255 in short record".into(), handmade(&cbc, &b)));
        // All-padding record: no room for the MAC.
        let n = data.len() + mac_len + good_padding.len();
        bad.push((
            "all padding".into(),
            handmade(&cbc, &vec![(n - 1) as u8; n]),
        ));
        // Shapes rejected before decryption: too short, not whole blocks, IV only.
        let mut r = handmade(&cbc, &body(0, data, &good_padding));
        r.payload.pop();
        bad.push(("partial block".into(), r));
        let mut r = handmade(&cbc, &[0; 16]);
        r.payload.truncate(AES_BLOCK_LEN);
        bad.push(("IV only".into(), r));
        if mac_len >= 16 {
            bad.push(("one block".into(), handmade(&cbc, &[0x0f; 16])));
        }

        let want = RecordError::BadRecordMac { sequence: 0 };
        let text = want.to_string();
        for (name, record) in bad {
            let err = dec().decrypt(record).unwrap_err();
            assert_eq!(err, want, "{suite:?}: {name}");
            assert_eq!(err.to_string(), text);
            assert_eq!(
                Error::from(err).alert(),
                Some(AlertDescription::BadRecordMac)
            );
        }
    }
}

#[test]
fn full_record_with_maximum_padding_is_accepted() {
    // 2^14 bytes, an HMAC-SHA1 and 256 bytes of padding: more than TLS 1.3's 2^14 +
    // 256 ciphertext limit, within TLS 1.2's 2^14 + 2048.
    let suite = &TLS_RSA_WITH_AES_128_CBC_SHA;
    let (enc_key, mac_key) = (range(1, 16), range(2, 20));
    let cbc = CbcKey::new(&enc_key).unwrap();
    let data = vec![0x5a; MAX_PLAINTEXT_LEN];
    let ad = additional_data(
        0,
        ContentType::ApplicationData,
        ProtocolVersion::TLSv1_2,
        data.len(),
    );
    let mut body = data.clone();
    body.extend_from_slice(
        MacKey::new(MacAlgorithm::Sha1, &mac_key)
            .sign(&[&ad, &data])
            .as_ref(),
    );
    // 16384 + 20 = 16404 = 16 * 1025 + 4: 12 bytes to the block end, plus 240.
    body.extend(std::iter::repeat_n(251u8, 252));
    assert_eq!(body.len() % AES_BLOCK_LEN, 0);
    let record = handmade(&cbc, &body);
    assert!(record.payload.len() > MAX_PLAINTEXT_LEN + 256);
    let mut dec = Decrypter12::new(suite, &mac_key, &enc_key, &[], false).unwrap();
    assert_eq!(dec.decrypt(record).unwrap().payload, data);
}

#[test]
fn decrypted_plaintext_over_2_14_is_overflow() {
    let suite = &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    let key = AeadKey::new(AeadAlgorithm::Aes128Gcm, &[7; 16]).unwrap();
    let mut dec = Decrypter12::new(suite, &[], &[7; 16], &[1, 2, 3, 4], false).unwrap();
    let n = MAX_PLAINTEXT_LEN + 1;
    let mut body = vec![0x61; n];
    let ad = additional_data(0, ContentType::ApplicationData, ProtocolVersion::TLSv1_2, n);
    key.seal_in_place_append_tag(gcm_nonce(&[1, 2, 3, 4], [0; 8]), &ad, &mut body)
        .unwrap();
    let mut payload = vec![0; 8];
    payload.extend_from_slice(&body);
    let err = dec
        .decrypt(OpaqueRecord {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload,
        })
        .unwrap_err();
    assert_eq!(
        err,
        RecordError::Overflow {
            length: 16385,
            max: 16384
        }
    );
    assert_eq!(
        Error::from(err).alert(),
        Some(AlertDescription::RecordOverflow)
    );
    // A ciphertext above the TLS 1.2 limit is refused before decryption.
    let mut dec = Decrypter12::new(suite, &[], &[7; 16], &[1, 2, 3, 4], false).unwrap();
    assert_eq!(
        dec.decrypt(OpaqueRecord {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload: vec![0; MAX_CIPHERTEXT_LEN_TLS12 + 1],
        }),
        Err(RecordError::Overflow {
            length: MAX_CIPHERTEXT_LEN_TLS12 + 1,
            max: MAX_CIPHERTEXT_LEN_TLS12
        })
    );
}

#[test]
fn unexpected_content_types_are_refused() {
    let ((mut enc, _), (_, mut dec)) = both_sides(&TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, false);
    for typ in [ContentType::ChangeCipherSpec, ContentType::Unknown(99)] {
        let mut out = Vec::new();
        enc.encrypt(typ, &[1], &mut out).unwrap();
        let err = dec.decrypt(split(&out)).unwrap_err();
        assert_eq!(err, RecordError::UnexpectedContentType { got: typ });
        assert_eq!(
            Error::from(err).alert(),
            Some(AlertDescription::UnexpectedMessage)
        );
    }
    assert_eq!(dec.sequence(), 0);
}

#[test]
fn plaintext_over_2_14_and_random_failure_are_refused() {
    let ((mut enc, _), _) = both_sides(&TLS_RSA_WITH_AES_128_CBC_SHA, false);
    let mut out = b"kept".to_vec();
    let err = enc
        .encrypt(
            ContentType::ApplicationData,
            &vec![0; MAX_PLAINTEXT_LEN + 1],
            &mut out,
        )
        .unwrap_err();
    assert_eq!(
        err,
        Error::Record(RecordError::PlaintextTooLarge {
            length: 16385,
            max: 16384
        })
    );
    enc.set_random(Arc::new(Broken));
    let err = enc
        .encrypt(ContentType::ApplicationData, b"x", &mut out)
        .unwrap_err();
    assert_eq!(err, Error::Crypto(CryptoError::RandomFailed));
    assert_eq!(out, b"kept");
    assert_eq!(enc.sequence(), 0);
}

#[test]
fn cbc_ivs_are_fresh_per_record() {
    let ((mut enc, _), (_, mut dec)) = both_sides(&TLS_RSA_WITH_AES_128_CBC_SHA, true);
    enc.set_random(Provider::system().random);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    enc.encrypt(ContentType::ApplicationData, b"same", &mut a)
        .unwrap();
    enc.encrypt(ContentType::ApplicationData, b"same", &mut b)
        .unwrap();
    assert_ne!(
        a[HEADER_LEN..HEADER_LEN + 16],
        b[HEADER_LEN..HEADER_LEN + 16]
    );
    assert_eq!(dec.decrypt(parse(&a)).unwrap().payload, b"same");
    assert_eq!(dec.decrypt(parse(&b)).unwrap().payload, b"same");
}

#[test]
fn sequence_never_wraps() {
    for suite in [
        &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        &TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        &TLS_RSA_WITH_AES_128_CBC_SHA,
    ] {
        let ((enc, _), (_, dec)) = both_sides(suite, false);
        let mut enc = enc.with_sequence(u64::MAX - 1);
        let mut dec = dec.with_sequence(u64::MAX - 1);
        let mut out = Vec::new();
        enc.encrypt(ContentType::ApplicationData, b"last", &mut out)
            .unwrap();
        assert_eq!(dec.decrypt(parse(&out)).unwrap().payload, b"last");
        let err = enc
            .encrypt(ContentType::ApplicationData, b"one more", &mut out)
            .unwrap_err();
        assert_eq!(err, Error::Record(RecordError::SequenceExhausted));
        assert_eq!(
            dec.decrypt(parse(&out)),
            Err(RecordError::SequenceExhausted)
        );
    }
}

#[test]
fn mac_algorithms_of_the_cbc_suites() {
    let mac = |s: &Tls12CipherSuite| match s.bulk {
        Bulk::Cbc { mac, .. } => Some(mac),
        Bulk::Aead(_) => None,
    };
    assert_eq!(mac(&TLS_RSA_WITH_AES_128_CBC_SHA), Some(MacAlgorithm::Sha1));
    assert_eq!(
        mac(&TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384),
        Some(MacAlgorithm::Sha384)
    );
    assert_eq!(mac(&TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), None);
}
