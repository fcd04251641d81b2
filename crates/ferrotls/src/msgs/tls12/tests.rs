use super::*;
use crate::msgs::enums::{CipherSuite as Cs, ProtocolVersion as V, SignatureScheme as S};
use crate::msgs::enums::{ECPointFormat, HeartbeatMode};
use crate::msgs::extensions::{ClientExtension, ServerExtension};
use crate::msgs::handshake::HandshakeMessage;

fn decode(bytes: &[u8]) -> HandshakeMessage12 {
    HandshakeMessage12::read_bytes(bytes).unwrap()
}

fn error(bytes: &[u8]) -> String {
    HandshakeMessage12::read_bytes(bytes)
        .unwrap_err()
        .to_string()
}

/// Round trip, byte-identical re-encoding, and every strict prefix rejected.
fn check(payload: HandshakePayload12) -> Vec<u8> {
    let msg = HandshakeMessage12::new(payload);
    let bytes = msg.to_bytes();
    let back = decode(&bytes);
    assert_eq!(back, msg);
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(HandshakeMessage::read_tls12(&bytes).unwrap(), msg);
    for n in 0..bytes.len() {
        assert!(
            HandshakeMessage12::read_bytes(&bytes[..n]).is_err(),
            "{n}-byte prefix of {} decoded",
            msg.name()
        );
    }
    bytes
}

fn ske() -> ServerKeyExchangeEcdhe {
    ServerKeyExchangeEcdhe {
        curve_type: NAMED_CURVE,
        group: NamedGroup::X25519,
        public: vec![0x9a; 32],
        scheme: S::ECDSA_NISTP256_SHA256,
        signature: vec![0x30; 70],
    }
}

fn tls12_client_hello() -> ClientHello {
    ClientHello {
        legacy_version: V::TLSv1_2,
        random: [7; 32],
        session_id: vec![1; 32],
        cipher_suites: vec![
            Cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            Cs::TLS_RSA_WITH_AES_128_CBC_SHA,
            Cs::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
        ],
        compression_methods: vec![0],
        extensions: vec![
            ClientExtension::ExtendedMasterSecret,
            ClientExtension::RenegotiationInfo(vec![]),
            ClientExtension::EcPointFormats(vec![ECPointFormat::Uncompressed]),
            ClientExtension::SessionTicket(vec![0xab; 40]),
            ClientExtension::EncryptThenMac,
            ClientExtension::Heartbeat(HeartbeatMode::PeerAllowedToSend),
        ],
        empty_extensions_block: false,
    }
}

#[test]
fn every_message_round_trips() {
    use HandshakePayload12 as P;
    let payloads = vec![
        P::HelloRequest,
        P::ClientHello(tls12_client_hello()),
        P::ServerHello(ServerHello {
            legacy_version: V::TLSv1_2,
            random: [9; 32],
            session_id: vec![2; 32],
            cipher_suite: Cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            compression_method: 0,
            extensions: vec![
                ServerExtension::ExtendedMasterSecret,
                ServerExtension::RenegotiationInfo(vec![]),
                ServerExtension::SessionTicketAck,
            ],
            empty_extensions_block: false,
        }),
        P::NewSessionTicket(NewSessionTicket12 {
            lifetime_hint: 7200,
            ticket: vec![0x7e; 180],
        }),
        P::NewSessionTicket(NewSessionTicket12 {
            lifetime_hint: 0,
            ticket: vec![],
        }),
        P::Certificate(Certificate12 { certs: vec![] }),
        P::Certificate(Certificate12 {
            certs: vec![vec![0x30; 700], vec![0x30]],
        }),
        P::ServerKeyExchange(ske()),
        P::ServerKeyExchange(ServerKeyExchangeEcdhe {
            group: NamedGroup::secp256r1,
            public: vec![4; 65],
            scheme: S::RSA_PKCS1_SHA256,
            signature: vec![],
            ..ske()
        }),
        P::CertificateRequest(CertificateRequest12 {
            certificate_types: vec![CERT_TYPE_RSA_SIGN, CERT_TYPE_ECDSA_SIGN],
            schemes: vec![S::ECDSA_NISTP256_SHA256, S::RSA_PSS_RSAE_SHA256],
            authorities: vec![],
        }),
        P::CertificateRequest(CertificateRequest12 {
            certificate_types: vec![CERT_TYPE_ECDSA_SIGN],
            schemes: vec![S::Unknown(0x0102)],
            authorities: vec![vec![0x30, 0x00], vec![0x30; 90]],
        }),
        P::ServerHelloDone,
        P::CertificateVerify(CertificateVerify {
            scheme: S::RSA_PKCS1_SHA384,
            signature: vec![0x55; 256],
        }),
        P::ClientKeyExchange(ClientKeyExchange::ecdhe(&[0x20; 32])),
        P::ClientKeyExchange(ClientKeyExchange::rsa(&[0x11; 256])),
        P::Finished(Finished {
            verify_data: vec![0xf1; 12],
        }),
        P::CertificateStatus(CertificateStatus {
            ocsp_response: vec![0x30, 0x03, 0x0a, 0x01, 0x00],
        }),
        P::Unknown {
            typ: HandshakeType::EncryptedExtensions,
            body: vec![0, 0],
        },
        P::Unknown {
            typ: HandshakeType::KeyUpdate,
            body: vec![1],
        },
    ];
    for p in payloads {
        let name = HandshakeMessage12::new(p.clone()).name();
        assert_eq!(name, p.handshake_type().message_name());
        check(p);
    }
    assert_eq!(
        HandshakeMessage12::new(HandshakePayload12::ServerHelloDone).to_bytes(),
        [14, 0, 0, 0]
    );
    assert_eq!(
        decode(&[0, 0, 0, 0]).payload,
        HandshakePayload12::HelloRequest
    );
}

#[test]
fn wire_layouts() {
    // RFC 8422, 5.4: curve_type 3, named curve, ECPoint, then the signature.
    let wire = HandshakeMessage12::new(HandshakePayload12::ServerKeyExchange(ske())).to_bytes();
    assert_eq!(
        wire[..9],
        [12, 0, 0, 4 + 32 + 4 + 70, 3, 0x00, 0x1d, 32, 0x9a]
    );
    assert_eq!(wire[4 + 36..4 + 40], [0x04, 0x03, 0, 70]);
    // RFC 5246, 7.4.2: u24 list of u24 certificates.
    let cert = Certificate12 {
        certs: vec![vec![0xaa, 0xbb]],
    };
    assert_eq!(cert.to_bytes(), [0, 0, 5, 0, 0, 2, 0xaa, 0xbb]);
    // RFC 5077, 3.3.
    let nst = NewSessionTicket12 {
        lifetime_hint: 0x0102_0304,
        ticket: vec![9],
    };
    assert_eq!(nst.to_bytes(), [1, 2, 3, 4, 0, 1, 9]);
    // RFC 6066, 8.
    let cs = CertificateStatus {
        ocsp_response: vec![0x30],
    };
    assert_eq!(cs.to_bytes(), [1, 0, 0, 1, 0x30]);
    // RFC 5246, 7.4.4.
    let cr = CertificateRequest12 {
        certificate_types: vec![64],
        schemes: vec![S::ECDSA_NISTP256_SHA256],
        authorities: vec![vec![0x30]],
    };
    assert_eq!(cr.to_bytes(), [1, 64, 0, 2, 4, 3, 0, 3, 0, 1, 0x30]);
}

#[test]
fn signed_params_are_randoms_then_server_ecdh_params() {
    let ske = ske();
    let params = ske.params_bytes();
    assert_eq!(params.len(), 1 + 2 + 1 + 32);
    assert_eq!(params[..4], [3, 0x00, 0x1d, 32]);
    let m = ske.signed_message(&[1; 32], &[2; 32]);
    assert_eq!(m[..32], [1; 32]);
    assert_eq!(m[32..64], [2; 32]);
    assert_eq!(m[64..], params);
    // The params are a prefix of the encoded body.
    assert_eq!(ske.to_bytes()[..params.len()], params);
}

#[test]
fn client_key_exchange_forms() {
    let ecdhe = ClientKeyExchange::ecdhe(&[4; 65]);
    assert_eq!(ecdhe.body[0], 65);
    assert_eq!(ecdhe.ecdhe_point().unwrap(), [4; 65]);
    let rsa = ClientKeyExchange::rsa(&[0x11; 256]);
    assert_eq!(rsa.body[..2], [1, 0]);
    assert_eq!(rsa.rsa_encrypted_pre_master().unwrap(), [0x11; 256]);

    // Read in the wrong form, or malformed: a located error.
    let cases = [
        (
            rsa.ecdhe_point().unwrap_err(),
            "malformed ClientKeyExchange: field exchange_keys at byte 6: 256 unexpected byte(s) after the end",
        ),
        (
            ClientKeyExchange { body: vec![0] }.ecdhe_point().unwrap_err(),
            "malformed ClientKeyExchange: field ecdh_Yc at byte 5: must not be empty",
        ),
        (
            ClientKeyExchange {
                body: vec![1, 2, 3],
            }
            .ecdhe_point()
            .unwrap_err(),
            "malformed ClientKeyExchange: field exchange_keys at byte 6: 1 unexpected byte(s) after the end",
        ),
        (
            ecdhe.rsa_encrypted_pre_master().unwrap_err(),
            "malformed ClientKeyExchange: field encrypted_pre_master_secret at byte 6: needs 16644 byte(s) but only 64 remain (message cut short)",
        ),
        (
            ClientKeyExchange { body: vec![0, 0] }
                .rsa_encrypted_pre_master()
                .unwrap_err(),
            "malformed ClientKeyExchange: field encrypted_pre_master_secret at byte 6: must not be empty",
        ),
    ];
    for (err, want) in cases {
        assert_eq!(err.to_string(), want);
    }
}

#[test]
fn message_errors() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![0, 0, 0, 1, 0], "malformed HelloRequest: field body at byte 4: 1 unexpected byte(s) after the end"),
        (vec![14, 0, 0, 1, 0], "malformed ServerHelloDone: field body at byte 4: 1 unexpected byte(s) after the end"),
        (vec![16, 0, 0, 0], "malformed ClientKeyExchange: field exchange_keys at byte 4: must not be empty"),
        // Explicit curves (RFC 8422, 5.4: deprecated) and other key exchanges.
        (vec![12, 0, 0, 1, 1], "malformed ServerKeyExchange: field curve_type at byte 4: invalid value 0x1"),
        (vec![12, 0, 0, 4, 3, 0, 0x1d, 0], "malformed ServerKeyExchange: field public at byte 8: must not be empty"),
        (vec![12, 0, 0, 8, 3, 0, 0x1d, 1, 9, 4, 3, 0], "malformed ServerKeyExchange: field signature at byte 11: needs 2 byte(s) but only 1 remain (message cut short)"),
        (vec![12, 0, 0, 10, 3, 0, 0x1d, 1, 9, 4, 3, 0, 0, 7], "malformed ServerKeyExchange: field signature at byte 13: 1 unexpected byte(s) after the end"),
        (vec![11, 0, 0, 6, 0, 0, 3, 0, 0, 0], "malformed Certificate: field ASN.1Cert at byte 10: must not be empty"),
        (vec![11, 0, 0, 4, 0, 0, 0, 0], "malformed Certificate: field certificate_list at byte 7: 1 unexpected byte(s) after the end"),
        (vec![13, 0, 0, 5, 0, 0, 0, 0, 0], "malformed CertificateRequest: field certificate_types at byte 5: must not be empty"),
        (vec![13, 0, 0, 6, 1, 64, 0, 0, 0, 0], "malformed CertificateRequest: field supported_signature_algorithms at byte 8: must not be empty"),
        (vec![13, 0, 0, 7, 1, 64, 0, 1, 4, 0, 0], "malformed CertificateRequest: field supported_signature_algorithms at byte 8: length 1 is not a multiple of the element size 2"),
        (vec![13, 0, 0, 10, 1, 64, 0, 2, 4, 3, 0, 2, 0, 0], "malformed CertificateRequest: field DistinguishedName at byte 14: must not be empty"),
        (vec![4, 0, 0, 7, 0, 0, 0, 0, 0, 1, 9, 9], "malformed NewSessionTicket: field length at byte 11: 1 unexpected byte(s) after the end"),
        (vec![4, 0, 0, 8, 0, 0, 0, 0, 0, 1, 9, 9], "malformed NewSessionTicket: field ticket at byte 11: 1 unexpected byte(s) after the end"),
        (vec![22, 0, 0, 5, 2, 0, 0, 1, 0x30], "malformed CertificateStatus: field status_type at byte 4: invalid value 0x2"),
        (vec![22, 0, 0, 4, 1, 0, 0, 0], "malformed CertificateStatus: field response at byte 8: must not be empty"),
    ];
    let wrong: Vec<_> = cases
        .iter()
        .map(|(b, want)| (error(b), *want))
        .filter(|(got, want)| got != want)
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
    // Every decode error sends decode_error.
    let e = crate::Error::from(HandshakeMessage12::read_bytes(&[16, 0, 0, 0]).unwrap_err());
    assert_eq!(
        e.alert(),
        Some(crate::msgs::enums::AlertDescription::DecodeError)
    );
}

#[test]
fn tls13_shapes_are_not_tls12_shapes() {
    // A TLS 1.3 Certificate (context byte first) is not a TLS 1.2 one.
    let tls13 = [11, 0, 0, 4, 0, 0, 0, 0];
    assert!(HandshakeMessage::read_tls13(&tls13).is_ok());
    assert!(HandshakeMessage12::read_bytes(&tls13).is_err());
}

#[test]
fn read_from_a_stream_of_messages() {
    use HandshakePayload12 as P;
    let flight: Vec<u8> = [
        P::Certificate(Certificate12 {
            certs: vec![vec![0x30; 10]],
        }),
        P::ServerKeyExchange(ske()),
        P::ServerHelloDone,
    ]
    .into_iter()
    .flat_map(|p| HandshakeMessage12::new(p).to_bytes())
    .collect();
    let mut r = Reader::new(&flight, "handshake flight");
    for name in ["Certificate", "ServerKeyExchange", "ServerHelloDone"] {
        assert_eq!(HandshakeMessage12::read(&mut r).unwrap().name(), name);
    }
    assert!(r.is_empty());
}

#[test]
fn mutated_messages_never_panic() {
    let corpus: Vec<Vec<u8>> = [
        HandshakePayload12::ClientHello(tls12_client_hello()),
        HandshakePayload12::ServerKeyExchange(ske()),
        HandshakePayload12::CertificateRequest(CertificateRequest12 {
            certificate_types: vec![1, 64],
            schemes: vec![S::ECDSA_NISTP256_SHA256],
            authorities: vec![vec![0x30; 5]],
        }),
        HandshakePayload12::Certificate(Certificate12 {
            certs: vec![vec![1; 9], vec![2; 3]],
        }),
        HandshakePayload12::NewSessionTicket(NewSessionTicket12 {
            lifetime_hint: 1,
            ticket: vec![3; 20],
        }),
        HandshakePayload12::CertificateStatus(CertificateStatus {
            ocsp_response: vec![0x30; 8],
        }),
    ]
    .into_iter()
    .map(|p| HandshakeMessage12::new(p).to_bytes())
    .collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut decoded = 0;
    for _ in 0..20_000 {
        let mut msg = corpus[(next() % corpus.len() as u64) as usize].clone();
        let at = (next() % msg.len() as u64) as usize;
        match next() % 3 {
            0 => msg[at] = next() as u8,
            1 => msg.truncate(at),
            _ => msg.insert(at, next() as u8),
        }
        if msg.len() >= 4 && next() % 4 != 0 {
            let len = (msg.len() - 4) as u32;
            msg[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
        }
        if let Ok(m) = HandshakeMessage12::read_bytes(&msg) {
            decoded += 1;
            assert_eq!(decode(&m.to_bytes()), m);
        }
    }
    assert!(decoded > 1_000, "only {decoded} mutants decoded");
}

fn heartbeat(typ: u8, payload_length: usize, payload: &[u8], padding: usize) -> Vec<u8> {
    let mut r = vec![typ];
    r.extend_from_slice(&(payload_length as u16).to_be_bytes());
    r.extend_from_slice(payload);
    r.extend(std::iter::repeat_n(0xee, padding));
    r
}

#[test]
fn heartbeat_request_and_response() {
    let req = HeartbeatMessage::request(b"ping".to_vec());
    let mut wire = Vec::new();
    req.encode(&[0x5a; 16], &mut wire);
    assert_eq!(
        wire,
        heartbeat(1, 4, b"ping", 0)
            .into_iter()
            .chain([0x5a; 16])
            .collect::<Vec<_>>()
    );
    let HeartbeatRead::Message(got) = HeartbeatMessage::read_record(&wire) else {
        panic!("discarded a valid request");
    };
    assert_eq!(got, req);
    let resp = got.response().unwrap();
    assert_eq!(resp.typ, HeartbeatMessageType::Response);
    assert_eq!(resp.payload, b"ping");
    assert_eq!(resp.response(), None, "responses are never answered");
    // Longer padding is fine and ignored; an empty payload too.
    let HeartbeatRead::Message(m) = HeartbeatMessage::read_record(&heartbeat(2, 0, b"", 40)) else {
        panic!()
    };
    assert_eq!(
        (m.typ, m.payload.len(), m.padding_len),
        (HeartbeatMessageType::Response, 0, 40)
    );
    assert_eq!(
        HeartbeatMessageType::Request.to_string(),
        "heartbeat_request"
    );
}

#[test]
fn heartbleed_shaped_requests_are_discarded() {
    use HeartbeatDiscard as D;
    let cases = [
        // A 1-byte payload claiming 16 KiB and 64 KiB (the Heartbleed attack).
        (
            heartbeat(1, 16 * 1024, b"A", 16),
            D::PayloadTooLong {
                payload_length: 16384,
                record_len: 20,
            },
        ),
        (
            heartbeat(1, 0xffff, b"A", 16),
            D::PayloadTooLong {
                payload_length: 65535,
                record_len: 20,
            },
        ),
        // Exactly one byte too long, i.e. only 15 bytes of padding.
        (
            heartbeat(1, 5, b"hello", 15),
            D::PayloadTooLong {
                payload_length: 5,
                record_len: 23,
            },
        ),
        (heartbeat(1, 0, b"", 15), D::TooShort { record_len: 18 }),
        (vec![1, 0], D::TooShort { record_len: 2 }),
        (vec![], D::TooShort { record_len: 0 }),
        (heartbeat(3, 1, b"x", 16), D::UnknownType { typ: 3 }),
        (
            heartbeat(1, 1, b"x", (1 << 14) - 3),
            D::TooLarge {
                record_len: (1 << 14) + 1,
            },
        ),
    ];
    for (record, want) in cases {
        assert_eq!(
            HeartbeatMessage::read_record(&record),
            HeartbeatRead::Discard(want)
        );
    }
    // The boundary: payload_length + 3 + 16 == record length is accepted.
    let ok = heartbeat(1, 5, b"hello", 16);
    assert!(matches!(
        HeartbeatMessage::read_record(&ok),
        HeartbeatRead::Message(_)
    ));
    // Every length field against a fixed 40-byte record: accepted exactly up to
    // 21, and the payload returned is always within the record.
    let mut record = heartbeat(1, 0, &[0x61; 21], 16);
    for claimed in 0..=u16::MAX {
        record[1..3].copy_from_slice(&claimed.to_be_bytes());
        match HeartbeatMessage::read_record(&record) {
            HeartbeatRead::Message(m) => {
                assert!(claimed <= 21);
                assert_eq!(m.payload.len(), usize::from(claimed));
                assert_eq!(m.payload.len() + 3 + m.padding_len, record.len());
            }
            HeartbeatRead::Discard(d) => {
                assert!(claimed > 21);
                assert_eq!(
                    d,
                    D::PayloadTooLong {
                        payload_length: usize::from(claimed),
                        record_len: 40
                    }
                );
            }
        }
    }
}
