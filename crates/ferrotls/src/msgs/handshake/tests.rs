use super::*;
use crate::msgs::enums::{
    CipherSuite as Cs, ECPointFormat, HeartbeatMode, NamedGroup as G, ProtocolVersion as V,
    PskKeyExchangeMode, ServerNameType, SignatureScheme as S,
};
use crate::msgs::extensions::{OfferedPsks, PskIdentity, ServerNameEntry};
use crate::msgs::rfc8448::{bytes, find, RESUMED_CLIENT_HELLO_PREFIX, TRACE};
use crate::test_util::Rng;

fn decode(bytes: &[u8]) -> HandshakeMessage {
    HandshakeMessage::read_tls13(bytes).unwrap()
}

fn error(bytes: &[u8]) -> String {
    HandshakeMessage::read_tls13(bytes).unwrap_err().to_string()
}

/// Round trip, byte-identical re-encoding, and every strict prefix rejected.
fn check(payload: HandshakePayload) -> Vec<u8> {
    let msg = HandshakeMessage::new(payload);
    let bytes = msg.to_bytes();
    let back = decode(&bytes);
    assert_eq!(back, msg);
    assert_eq!(back.to_bytes(), bytes);
    assert_prefixes_fail(&bytes);
    bytes
}

fn assert_prefixes_fail(bytes: &[u8]) {
    for n in 0..bytes.len() {
        assert!(
            HandshakeMessage::read_tls13(&bytes[..n]).is_err(),
            "{n}-byte prefix decoded"
        );
    }
}

fn client_hello(m: HandshakeMessage) -> ClientHello {
    match m.payload {
        HandshakePayload::ClientHello(ch) => ch,
        other => panic!("not a ClientHello: {other:?}"),
    }
}

fn server_hello(m: HandshakeMessage) -> ServerHello {
    match m.payload {
        HandshakePayload::ServerHello(sh) => sh,
        other => panic!("not a ServerHello: {other:?}"),
    }
}

fn simple_client_hello() -> ClientHello {
    client_hello(decode(&find(3, "client", "ClientHello")))
}

#[test]
fn constants() {
    // RFC 8446, 4.1.3: the HRR random is SHA-256("HelloRetryRequest").
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"HelloRetryRequest");
    assert_eq!(digest.as_ref(), HELLO_RETRY_REQUEST_RANDOM);
    assert_eq!(
        DOWNGRADE_TLS12,
        [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]
    );
    assert_eq!(
        DOWNGRADE_TLS11,
        [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]
    );
}

#[test]
fn rfc8448_every_message_round_trips() {
    for m in TRACE {
        let wire = bytes(m.hex);
        let msg = decode(&wire);
        assert_eq!(msg.to_bytes(), wire, "{} {} {}", m.section, m.from, m.name);
        assert_eq!(msg.typ.message_name(), m.name);
        assert_eq!(msg.typ, msg.payload.handshake_type());
        assert_prefixes_fail(&wire);
    }
}

#[test]
fn rfc8448_simple_client_hello() {
    let wire = find(3, "client", "ClientHello");
    let msg = decode(&wire);
    assert_eq!(msg.name(), "ClientHello");
    let ch = client_hello(msg);
    assert_eq!(ch.legacy_version, V::TLSv1_2);
    assert_eq!(ch.random[..4], [0xcb, 0x34, 0xec, 0xb1]);
    assert_eq!(ch.random[28..], [0x02, 0x4d, 0xec, 0xe7]);
    assert!(ch.session_id.is_empty());
    assert_eq!(
        ch.cipher_suites,
        [
            Cs::TLS13_AES_128_GCM_SHA256,
            Cs::TLS13_CHACHA20_POLY1305_SHA256,
            Cs::TLS13_AES_256_GCM_SHA384
        ]
    );
    assert_eq!(ch.compression_methods, [0]);
    assert_eq!(ch.host_name(), Some(&b"server"[..]));
    assert_eq!(
        ch.supported_groups().unwrap(),
        [
            G::X25519,
            G::secp256r1,
            G::secp384r1,
            G::secp521r1,
            G::FFDHE2048,
            G::FFDHE3072,
            G::FFDHE4096,
            G::FFDHE6144,
            G::FFDHE8192
        ]
    );
    let shares = ch.key_shares().unwrap();
    assert_eq!(shares.len(), 1);
    assert_eq!(shares[0].group, G::X25519);
    assert_eq!(shares[0].payload.len(), 32);
    assert_eq!(shares[0].payload[..4], [0x99, 0x38, 0x1d, 0xe5]);
    assert_eq!(ch.supported_versions().unwrap(), [V::TLSv1_3]);
    assert_eq!(ch.signature_algorithms().unwrap().len(), 15);
    assert_eq!(
        ch.signature_algorithms().unwrap()[..2],
        [S::ECDSA_NISTP256_SHA256, S::ECDSA_NISTP384_SHA384]
    );
    assert_eq!(ch.psk_modes().unwrap(), [PskKeyExchangeMode::PskDheKe]);
    assert!(ch.has_extension(ExtensionType::RenegotiationInfo));
    assert!(ch.has_extension(ExtensionType::SessionTicket));
    // record_size_limit (RFC 8449) is not modelled: kept as sent.
    assert!(ch.extensions.contains(&ClientExtension::Unknown {
        typ: ExtensionType::Unknown(0x1c),
        data: vec![0x40, 0x01]
    }));
    assert!(!ch.early_data());
    assert_eq!((ch.psk(), ch.cookie(), ch.alpn()), (None, None, None));
    // Without a pre_shared_key there is nothing to truncate.
    assert_eq!(ch.encode_truncated_for_binders(), wire);
}

#[test]
fn rfc8448_simple_server_hello() {
    let msg = decode(&find(3, "server", "ServerHello"));
    assert_eq!(msg.name(), "ServerHello");
    let sh = server_hello(msg);
    assert!(!sh.is_hello_retry_request());
    assert_eq!(sh.legacy_version, V::TLSv1_2);
    assert_eq!(sh.random[..4], [0xa6, 0xaf, 0x06, 0xa4]);
    assert_eq!(sh.cipher_suite, Cs::TLS13_AES_128_GCM_SHA256);
    assert_eq!(sh.compression_method, 0);
    assert_eq!(sh.supported_version(), Some(V::TLSv1_3));
    let share = sh.key_share().unwrap();
    assert_eq!(share.group, G::X25519);
    assert_eq!(share.payload.len(), 32);
    assert_eq!(share.payload[..4], [0xc9, 0x82, 0x88, 0x76]);
    assert_eq!(
        (sh.hrr_group(), sh.cookie(), sh.psk_index()),
        (None, None, None)
    );
    assert_eq!(sh.tls13_forbidden_extension(), None);
}

#[test]
fn rfc8448_hello_retry_request() {
    let hrr_msg = decode(&find(5, "server", "ServerHello"));
    assert_eq!(hrr_msg.name(), "HelloRetryRequest");
    let hrr = server_hello(hrr_msg);
    assert!(hrr.is_hello_retry_request());
    assert_eq!(hrr.cipher_suite, Cs::TLS13_AES_128_GCM_SHA256);
    assert_eq!(hrr.hrr_group(), Some(G::secp256r1));
    assert_eq!(hrr.key_share(), None);
    assert_eq!(hrr.supported_version(), Some(V::TLSv1_3));
    let cookie = hrr.cookie().unwrap();
    assert_eq!(cookie.len(), 0x72);

    let hellos: Vec<_> = TRACE
        .iter()
        .filter(|m| m.section == 5 && m.name == "ClientHello")
        .map(|m| client_hello(decode(&bytes(m.hex))))
        .collect();
    assert_eq!(hellos[0].key_shares().unwrap()[0].group, G::X25519);
    assert_eq!(hellos[0].cookie(), None);
    let second = &hellos[1];
    assert_eq!(second.random, hellos[0].random);
    assert_eq!(second.cookie(), Some(cookie));
    let shares = second.key_shares().unwrap();
    assert_eq!((shares.len(), shares[0].group), (1, G::secp256r1));
    assert_eq!(shares[0].payload.len(), 65);
}

#[test]
fn rfc8448_resumption_binders() {
    let wire = find(4, "client", "ClientHello");
    let ch = client_hello(decode(&wire));
    assert!(ch.early_data());
    let psk = ch.psk().unwrap();
    assert_eq!(psk.identities.len(), 1);
    assert_eq!(psk.identities[0].identity.len(), 0xb2);
    assert_eq!(psk.identities[0].obfuscated_ticket_age, 0xfad6_aacb);
    assert_eq!(psk.binders.len(), 1);
    assert_eq!(psk.binders[0][..4], [0x3a, 0xdd, 0x4f, 0xb2]);
    assert_eq!(psk.binders_len(), 35);
    assert!(matches!(
        ch.extensions.last(),
        Some(ClientExtension::PreSharedKey(_))
    ));
    // RFC 8448, 4: "ClientHello prefix (477 octets)".
    let truncated = ch.encode_truncated_for_binders();
    assert_eq!(truncated, bytes(RESUMED_CLIENT_HELLO_PREFIX));
    assert_eq!(truncated, wire[..wire.len() - 35]);

    // A client fills binders in after hashing the prefix; the prefix is unchanged.
    let mut filled = ch.clone();
    filled.psk_mut().unwrap().binders = vec![vec![0; 32]];
    assert_eq!(filled.encode_truncated_for_binders(), truncated);

    let sh = server_hello(decode(&find(4, "server", "ServerHello")));
    assert_eq!(sh.psk_index(), Some(0));
    assert_eq!(sh.tls13_forbidden_extension(), None);
    match decode(&find(4, "server", "EncryptedExtensions")).payload {
        HandshakePayload::EncryptedExtensions(ee) => {
            assert!(ee.early_data());
            assert!(ee.server_name_ack());
            assert_eq!(ee.alpn(), None);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        decode(&find(4, "client", "EndOfEarlyData")).payload,
        HandshakePayload::EndOfEarlyData
    );
}

#[test]
fn rfc8448_server_flight_and_ticket() {
    match decode(&find(3, "server", "EncryptedExtensions")).payload {
        HandshakePayload::EncryptedExtensions(ee) => {
            assert!(ee.server_name_ack());
            assert!(!ee.early_data());
            assert_eq!(ee.supported_groups().unwrap().len(), 9);
        }
        other => panic!("{other:?}"),
    }
    match decode(&find(3, "server", "Certificate")).payload {
        HandshakePayload::Certificate(c) => {
            assert!(c.context.is_empty());
            assert_eq!(c.entries.len(), 1);
            assert_eq!(c.entries[0].cert.len(), 0x1b0);
            assert_eq!(c.entries[0].cert[..2], [0x30, 0x82]);
            assert_eq!(c.entries[0].ocsp_response(), None);
        }
        other => panic!("{other:?}"),
    }
    match decode(&find(3, "server", "CertificateVerify")).payload {
        HandshakePayload::CertificateVerify(cv) => {
            assert_eq!(cv.scheme, S::RSA_PSS_RSAE_SHA256);
            assert_eq!(cv.signature.len(), 128);
        }
        other => panic!("{other:?}"),
    }
    match decode(&find(3, "server", "Finished")).payload {
        HandshakePayload::Finished(f) => {
            assert_eq!(f.verify_data[..4], [0x9b, 0x9b, 0x14, 0x1d])
        }
        other => panic!("{other:?}"),
    }
    match decode(&find(3, "server", "NewSessionTicket")).payload {
        HandshakePayload::NewSessionTicket(t) => {
            assert_eq!(t.lifetime, 30);
            assert_eq!(t.age_add, 0xfad6_aac5);
            assert_eq!(t.nonce, [0, 0]);
            assert_eq!(t.ticket.len(), 0xb2);
            assert_eq!(t.max_early_data(), Some(0x400));
        }
        other => panic!("{other:?}"),
    }
    match decode(&find(6, "server", "CertificateRequest")).payload {
        HandshakePayload::CertificateRequest(cr) => {
            assert!(cr.context.is_empty());
            assert_eq!(
                cr.signature_algorithms().unwrap()[0],
                S::ECDSA_NISTP256_SHA256
            );
            assert_eq!(cr.certificate_authorities(), None);
        }
        other => panic!("{other:?}"),
    }
    // RFC 8448, 7: compatibility mode sends a 32-byte legacy_session_id.
    let compat = client_hello(decode(&find(7, "client", "ClientHello")));
    assert_eq!(compat.session_id.len(), 32);
    let echo = server_hello(decode(&find(7, "server", "ServerHello")));
    assert_eq!(echo.session_id, compat.session_id);
}

#[test]
fn read_from_a_stream_of_messages() {
    let names = [
        "EncryptedExtensions",
        "Certificate",
        "CertificateVerify",
        "Finished",
    ];
    let flight: Vec<u8> = names.iter().flat_map(|n| find(3, "server", n)).collect();
    let mut r = Reader::new(&flight, "handshake flight");
    for name in names {
        assert_eq!(HandshakeMessage::read(&mut r).unwrap().name(), name);
    }
    assert!(r.is_empty());
}

fn full_client_hello() -> ClientHello {
    let mut ch = simple_client_hello();
    ch.session_id = vec![0x5e; 32];
    ch.cipher_suites.push(Cs::Unknown(0x0a0a));
    ch.extensions = vec![
        ClientExtension::ServerName(vec![ServerNameEntry {
            name_type: ServerNameType::HostName,
            name: b"example.com".to_vec(),
        }]),
        ClientExtension::SupportedVersions(vec![V::TLSv1_3, V::TLSv1_2]),
        ClientExtension::SupportedGroups(vec![G::X25519MLKEM768, G::X25519, G::secp256r1]),
        ClientExtension::SignatureAlgorithms(vec![S::ED25519, S::RSA_PSS_RSAE_SHA384]),
        ClientExtension::SignatureAlgorithmsCert(vec![S::RSA_PKCS1_SHA256]),
        ClientExtension::KeyShare(vec![KeyShareEntry {
            group: G::X25519MLKEM768,
            payload: vec![7; 1216],
        }]),
        ClientExtension::Alpn(vec![b"h2".to_vec()]),
        ClientExtension::Cookie(vec![1, 2, 3]),
        ClientExtension::PskKeyExchangeModes(vec![PskKeyExchangeMode::PskDheKe]),
        ClientExtension::EarlyData,
        ClientExtension::StatusRequest(vec![1, 0, 0, 0, 0]),
        ClientExtension::PostHandshakeAuth,
        ClientExtension::EcPointFormats(vec![ECPointFormat::Uncompressed]),
        ClientExtension::ExtendedMasterSecret,
        ClientExtension::RenegotiationInfo(vec![]),
        ClientExtension::SessionTicket(vec![]),
        ClientExtension::EncryptThenMac,
        ClientExtension::Heartbeat(HeartbeatMode::PeerAllowedToSend),
        ClientExtension::Unknown {
            typ: ExtensionType::Unknown(0xdada),
            data: vec![0],
        },
        ClientExtension::PreSharedKey(OfferedPsks {
            identities: vec![PskIdentity {
                identity: vec![0x71; 16],
                obfuscated_ticket_age: 99,
            }],
            binders: vec![vec![0xbb; 48]],
        }),
    ];
    ch
}

#[test]
fn client_hello_round_trips() {
    let ch = full_client_hello();
    let wire = check(HandshakePayload::ClientHello(ch.clone()));
    assert_eq!(
        ch.encode_truncated_for_binders(),
        wire[..wire.len() - 2 - 49]
    );
    assert_eq!(ch.alpn().unwrap(), [b"h2".to_vec()]);
    assert_eq!(
        ch.signature_algorithms_cert().unwrap(),
        [S::RSA_PKCS1_SHA256]
    );
}

/// The extension list and the fixed-size lists are allocated once, at their
/// final size, never regrown while decoding.
#[test]
fn decoded_lists_are_sized_once() {
    let mut ch = full_client_hello();
    ch.cipher_suites = (0..40).map(|v| Cs::Unknown(0x0a00 + v)).collect();
    let wire = HandshakeMessage::new(HandshakePayload::ClientHello(ch.clone())).to_bytes();
    let back = client_hello(decode(&wire));
    assert_eq!(back, ch);
    assert_eq!(back.extensions.capacity(), ch.extensions.len());
    assert_eq!(back.cipher_suites.capacity(), 40);
    let groups = back.extensions.iter().find_map(|e| match e {
        ClientExtension::SupportedGroups(g) => Some(g),
        _ => None,
    });
    assert_eq!(groups.map(Vec::capacity), Some(3));
}

#[test]
fn tls12_client_hello_without_extensions() {
    // RFC 5246, 7.4.1.2: the extensions block is optional.
    let ch = ClientHello {
        legacy_version: V::TLSv1_2,
        random: [3; 32],
        session_id: vec![],
        cipher_suites: vec![
            Cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            Cs::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
        ],
        compression_methods: vec![0],
        extensions: vec![],
        empty_extensions_block: false,
    };
    let wire = check(HandshakePayload::ClientHello(ch.clone()));
    assert_eq!(wire.len(), 4 + 2 + 32 + 1 + 2 + 4 + 2);
    assert_eq!(ch.server_name(), None);

    // An explicit empty block is accepted too, and re-encodes exactly as it came.
    let mut with_block = wire.clone();
    with_block.extend_from_slice(&[0, 0]);
    with_block[3] += 2;
    let decoded = client_hello(decode(&with_block));
    assert!(decoded.empty_extensions_block);
    assert_eq!(decoded.extensions, ch.extensions);
    assert_eq!(
        HandshakeMessage::new(HandshakePayload::ClientHello(decoded)).to_bytes(),
        with_block
    );
}

#[test]
fn server_hellos_round_trip() {
    let mut sh = server_hello(decode(&find(3, "server", "ServerHello")));
    check(HandshakePayload::ServerHello(sh.clone()));

    // A TLS 1.2 ServerHello: its extensions are legal here; the TLS 1.3 client sees
    // the first one it must refuse.
    sh.session_id = vec![1; 32];
    sh.cipher_suite = Cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
    sh.extensions = vec![
        ServerExtension::RenegotiationInfo(vec![]),
        ServerExtension::ServerNameAck,
        ServerExtension::ExtendedMasterSecret,
        ServerExtension::EcPointFormats(vec![ECPointFormat::Uncompressed]),
        ServerExtension::SessionTicketAck,
        ServerExtension::StatusRequestAck,
        ServerExtension::Alpn(b"h2".to_vec()),
        ServerExtension::EncryptThenMac,
    ];
    check(HandshakePayload::ServerHello(sh.clone()));
    assert_eq!(
        sh.tls13_forbidden_extension(),
        Some(ExtensionType::RenegotiationInfo)
    );
    sh.extensions.clear();
    check(HandshakePayload::ServerHello(sh));

    let hrr = ServerHello {
        legacy_version: V::TLSv1_2,
        random: HELLO_RETRY_REQUEST_RANDOM,
        session_id: vec![],
        cipher_suite: Cs::TLS13_AES_256_GCM_SHA384,
        compression_method: 0,
        extensions: vec![
            ServerExtension::SupportedVersions(V::TLSv1_3),
            ServerExtension::HrrKeyShare(G::X25519MLKEM768),
            ServerExtension::Cookie(vec![0xc0; 200]),
        ],
        empty_extensions_block: false,
    };
    check(HandshakePayload::ServerHello(hrr));
}

#[test]
fn other_messages_round_trip() {
    use HandshakePayload as P;
    let payloads = [
        P::EncryptedExtensions(EncryptedExtensions { extensions: vec![] }),
        P::EncryptedExtensions(EncryptedExtensions {
            extensions: vec![
                ServerExtension::Alpn(b"http/1.1".to_vec()),
                ServerExtension::EarlyData,
                ServerExtension::ServerNameAck,
                ServerExtension::Heartbeat(HeartbeatMode::PeerNotAllowedToSend),
            ],
        }),
        P::Certificate(Certificate13 {
            context: vec![],
            entries: vec![],
        }),
        P::Certificate(Certificate13 {
            context: vec![9; 8],
            entries: vec![
                CertificateEntry {
                    cert: vec![0x30; 300],
                    extensions: vec![
                        CertificateExtension::StatusRequest(vec![0x30, 0x80]),
                        CertificateExtension::SignedCertificateTimestamp(vec![0, 1, 5]),
                    ],
                },
                CertificateEntry {
                    cert: vec![0x30],
                    extensions: vec![],
                },
            ],
        }),
        P::CertificateRequest(CertificateRequest13 {
            context: vec![1],
            extensions: vec![
                CertReqExtension::SignatureAlgorithms(vec![S::ECDSA_NISTP384_SHA384]),
                CertReqExtension::SignatureAlgorithmsCert(vec![S::RSA_PSS_PSS_SHA512]),
                CertReqExtension::CertificateAuthorities(vec![vec![0x30, 0]]),
                CertReqExtension::StatusRequest(vec![]),
            ],
        }),
        P::CertificateVerify(CertificateVerify {
            scheme: S::ECDSA_NISTP256_SHA256,
            signature: vec![0x30; 71],
        }),
        P::CertificateVerify(CertificateVerify {
            scheme: S::Unknown(0x0102),
            signature: vec![],
        }),
        P::Finished(Finished {
            verify_data: vec![0xf1; 48],
        }),
        P::NewSessionTicket(NewSessionTicket13 {
            lifetime: 604_800,
            age_add: 0xdead_beef,
            nonce: vec![],
            ticket: vec![0xaa; 100],
            extensions: vec![
                NewSessionTicketExtension::EarlyData(0xffff_ffff),
                NewSessionTicketExtension::Unknown {
                    typ: ExtensionType::Unknown(0x4a4a),
                    data: vec![],
                },
            ],
        }),
        P::KeyUpdate(KeyUpdate(KeyUpdateRequest::UpdateNotRequested)),
        P::KeyUpdate(KeyUpdate(KeyUpdateRequest::UpdateRequested)),
        P::KeyUpdate(KeyUpdate(KeyUpdateRequest::Unknown(7))),
        P::EndOfEarlyData,
        P::MessageHash(vec![0x4d; 32]),
        P::Unknown {
            typ: HandshakeType::ServerKeyExchange,
            body: vec![3, 0, 0x1d, 1, 2],
        },
    ];
    for payload in payloads {
        let name = HandshakeMessage::new(payload.clone()).name();
        assert_eq!(name, payload.handshake_type().message_name());
        check(payload);
    }
    let done = HandshakeMessage::new(P::Unknown {
        typ: HandshakeType::ServerHelloDone,
        body: vec![],
    });
    assert_eq!(done.to_bytes(), [14, 0, 0, 0]);
    assert_eq!(decode(&[14, 0, 0, 0]).name(), "ServerHelloDone");
    assert_eq!(decode(&[0xfe, 0, 0, 1, 0xaa]).name(), "MessageHash");
}

/// Appends `extra` to ClientHello's extensions, bypassing the decoder's checks.
fn client_hello_plus(mut ch: ClientHello, extra: ClientExtension) -> Vec<u8> {
    ch.extensions.push(extra);
    HandshakeMessage::new(HandshakePayload::ClientHello(ch)).to_bytes()
}

#[test]
fn client_hello_rules() {
    // RFC 8446, 4.2: one extension of each type.
    let dup = client_hello_plus(
        simple_client_hello(),
        ClientExtension::SupportedVersions(vec![V::TLSv1_3]),
    );
    assert_eq!(
        error(&dup),
        "malformed ClientHello: field extensions at byte 196: extension 0x002b appears more than once"
    );
    // RFC 8446, 4.2.11: pre_shared_key comes last.
    let resumed = client_hello(decode(&find(4, "client", "ClientHello")));
    let after_psk = client_hello_plus(resumed, ClientExtension::PostHandshakeAuth);
    assert_eq!(
        error(&after_psk),
        "malformed ClientHello: field extensions at byte 512: pre_shared_key must be the last extension"
    );
    let psk_twice = client_hello_plus(
        full_client_hello(),
        full_client_hello().extensions.pop().unwrap(),
    );
    assert!(error(&psk_twice).ends_with("extension 0x0029 appears more than once"));
    // An empty key_share list is fine (it asks for a HelloRetryRequest).
    let mut no_shares = simple_client_hello();
    no_shares
        .extensions
        .retain(|e| e.ext_type() != ExtensionType::KeyShare);
    let bytes = client_hello_plus(no_shares, ClientExtension::KeyShare(vec![]));
    assert_eq!(client_hello(decode(&bytes)).key_shares(), Some(&[][..]));
}

#[test]
fn message_errors() {
    let sh = find(3, "server", "ServerHello");
    let hrr = find(5, "server", "ServerHello");
    let ch12 = HandshakeMessage::new(HandshakePayload::ClientHello(ClientHello {
        legacy_version: V::TLSv1_2,
        random: [0; 32],
        session_id: vec![],
        cipher_suites: vec![Cs::TLS13_AES_128_GCM_SHA256],
        compression_methods: vec![0],
        extensions: vec![],
        empty_extensions_block: false,
    }))
    .to_bytes();
    let with = |base: &[u8], edits: &[(usize, u8)]| {
        let mut b = base.to_vec();
        edits.iter().for_each(|&(i, v)| b[i] = v);
        b
    };
    let appended = |base: &[u8], extra: &[u8]| [base, extra].concat();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![], "malformed handshake message: field msg_type at byte 0: needs 1 byte(s) but only 0 remain (message cut short)"),
        (vec![2, 0, 0], "malformed ServerHello: field length at byte 1: needs 3 byte(s) but only 2 remain (message cut short)"),
        (sh[..50].to_vec(), "malformed ServerHello: field length at byte 4: needs 86 byte(s) but only 46 remain (message cut short)"),
        (appended(&sh, &[0]), "malformed ServerHello: field length at byte 90: 1 unexpected byte(s) after the end"),
        (
            appended(&with(&sh, &[(3, 0x57)]), &[0]),
            "malformed ServerHello: field extensions at byte 90: 1 unexpected byte(s) after the end",
        ),
        (vec![20, 0, 0, 1, 0, 0], "malformed Finished: field length at byte 5: 1 unexpected byte(s) after the end"),
        (vec![5, 0, 0, 1, 0], "malformed EndOfEarlyData: field body at byte 4: 1 unexpected byte(s) after the end"),
        (vec![24, 0, 0, 2, 1, 0], "malformed KeyUpdate: field request_update at byte 5: 1 unexpected byte(s) after the end"),
        (vec![15, 0, 0, 4, 8, 4, 0, 1], "malformed CertificateVerify: field signature at byte 8: needs 1 byte(s) but only 0 remain (message cut short)"),
        // legacy_session_id<0..32>
        (with(&ch12, &[(38, 33)]), "malformed ClientHello: field legacy_session_id at byte 38: length 33 exceeds the maximum of 32"),
        (with(&ch12, &[(40, 0)]), "malformed ClientHello: field cipher_suites at byte 41: must not be empty"),
        (with(&ch12, &[(40, 1)]), "malformed ClientHello: field cipher_suites at byte 41: length 1 is not a multiple of the element size 2"),
        (with(&ch12, &[(43, 0), (44, 2)]), "malformed ClientHello: field legacy_compression_methods at byte 44: must not be empty"),
        // HelloRetryRequest: errors past the random name it.
        (with(&hrr, &[(45, 0x0d)]), "malformed HelloRetryRequest: field extensions at byte 44: extension 0x000d is not allowed in this message"),
        (with(&sh, &[(45, 0x2c)]), "malformed ServerHello: field extensions at byte 44: extension 0x002c is not allowed in this message"),
        (vec![11, 0, 0, 3, 0, 0, 0], "malformed Certificate: field certificate_list at byte 5: needs 3 byte(s) but only 2 remain (message cut short)"),
        (vec![11, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0, 0, 0], "malformed Certificate: field cert_data at byte 11: must not be empty"),
        (vec![13, 0, 0, 3, 0, 0, 0], "malformed CertificateRequest: field extensions at byte 7: must not be empty"),
        (
            vec![4, 0, 0, 13, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0],
            "malformed NewSessionTicket: field ticket at byte 15: must not be empty",
        ),
    ];
    let wrong: Vec<_> = cases
        .iter()
        .map(|(bytes, want)| (error(bytes), *want))
        .filter(|(got, want)| got != want)
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn encrypted_extensions_rules() {
    let mut ee = match decode(&find(3, "server", "EncryptedExtensions")).payload {
        HandshakePayload::EncryptedExtensions(ee) => ee,
        other => panic!("{other:?}"),
    };
    ee.extensions.push(ServerExtension::ServerNameAck);
    let dup = HandshakeMessage::new(HandshakePayload::EncryptedExtensions(ee)).to_bytes();
    assert_eq!(
        error(&dup),
        "malformed EncryptedExtensions: field extensions at byte 40: extension 0x0000 appears more than once"
    );
    // RFC 8446, 4.2.8: key_share never appears in EncryptedExtensions.
    let ee = EncryptedExtensions {
        extensions: vec![ServerExtension::KeyShare(KeyShareEntry {
            group: G::X25519,
            payload: vec![1; 32],
        })],
    };
    let wire = HandshakeMessage::new(HandshakePayload::EncryptedExtensions(ee)).to_bytes();
    assert_eq!(
        error(&wire),
        "malformed EncryptedExtensions: field extensions at byte 6: extension 0x0033 is not allowed in this message"
    );
}

#[test]
fn mutated_trace_messages_never_panic() {
    let corpus: Vec<Vec<u8>> = TRACE.iter().map(|m| bytes(m.hex)).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut decoded = 0;
    for _ in 0..20_000 {
        let mut msg = corpus[rng.below(corpus.len())].clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(msg.len() + 1);
            match rng.below(5) {
                0 | 1 if at < msg.len() => msg[at] = rng.next() as u8,
                2 => msg.truncate(at),
                3 => msg
                    .splice(at..at, (0..1 + rng.below(4)).map(|_| rng.next() as u8))
                    .for_each(drop),
                _ if at < msg.len() => {
                    msg.remove(at);
                }
                _ => {}
            }
        }
        // Usually keep the header's length right, so mutations reach the bodies.
        if msg.len() >= 4 && rng.below(4) != 0 {
            let len = (msg.len() - 4) as u32;
            msg[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
        }
        let Ok(m) = HandshakeMessage::read_tls13(&msg) else {
            continue;
        };
        decoded += 1;
        let again = m.to_bytes();
        assert_eq!(decode(&again), m);
        if again != msg {
            // The one non-canonical form: an explicit empty extensions block in a
            // hello, which re-encodes as absent.
            assert_eq!(again.len() + 2, msg.len(), "{msg:02x?}");
            let empty = match &m.payload {
                HandshakePayload::ClientHello(ch) => ch.extensions.is_empty(),
                HandshakePayload::ServerHello(sh) => sh.extensions.is_empty(),
                _ => false,
            };
            assert!(empty, "{m:?}");
        }
    }
    // The loop must exercise successful decodes too, not only early rejections.
    assert!(decoded > 1_000, "only {decoded} mutants decoded");
}
