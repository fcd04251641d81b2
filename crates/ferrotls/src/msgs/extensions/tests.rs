use super::*;
use crate::msgs::enums::{HeartbeatMode, PskKeyExchangeMode, ServerNameType};
use crate::msgs::enums::{ProtocolVersion as V, SignatureScheme as S};
use core::fmt::Debug;

#[test]
fn seen_set_finds_repeats_in_place_and_past_its_inline_part() {
    let mut seen = SeenU16::default();
    for v in 0..100u16 {
        assert!(seen.insert(v * 7), "{v}");
    }
    for v in [0u16, 7, 31 * 7, 32 * 7, 99 * 7] {
        assert!(!seen.insert(v), "{v}");
    }
    assert!(seen.insert(1));
}

#[test]
fn extension_count_is_a_capped_hint() {
    let count = |bytes: &[u8]| count_extensions(&Reader::new(bytes, "Test"));
    assert_eq!(count(&[]), 0);
    // Two whole extensions, then a header whose body runs past the end.
    assert_eq!(count(&[0, 1, 0, 1, 9, 0, 2, 0, 0, 0, 3, 0, 5, 1]), 3);
    // A lone partial header is not counted.
    assert_eq!(count(&[0, 1, 0]), 0);
    // 16,383 empty extensions in a hostile block: capped.
    assert_eq!(count(&[0u8; 65532]), 64);
}

/// Round trip, byte-identical re-encoding, and every strict prefix rejected.
fn check<T: PartialEq + Debug>(
    value: &T,
    encode: impl Fn(&T, &mut Vec<u8>),
    read: impl Fn(&mut Reader<'_>) -> Result<T, DecodeError>,
) -> Vec<u8> {
    let mut bytes = Vec::new();
    encode(value, &mut bytes);
    let mut r = Reader::new(&bytes, "Test");
    let back = read(&mut r).unwrap();
    assert!(r.is_empty(), "{value:?} left bytes");
    assert_eq!(&back, value);
    let mut again = Vec::new();
    encode(&back, &mut again);
    assert_eq!(again, bytes);
    for n in 0..bytes.len() {
        assert!(
            read(&mut Reader::new(&bytes[..n], "Test")).is_err(),
            "{n}-byte prefix of {value:?} decoded"
        );
    }
    bytes
}

fn check_codec<T: Codec + PartialEq + Debug>(value: &T) -> Vec<u8> {
    check(value, T::encode, T::read)
}

fn check_server(value: &ServerExtension, ctx: ServerExtContext) -> Vec<u8> {
    check(value, ServerExtension::encode, |r| {
        ServerExtension::read(r, ctx)
    })
}

fn share(group: NamedGroup, len: usize) -> KeyShareEntry {
    KeyShareEntry {
        group,
        payload: vec![0x42; len],
    }
}

fn psks() -> OfferedPsks {
    OfferedPsks {
        identities: vec![
            PskIdentity {
                identity: b"ticket-1".to_vec(),
                obfuscated_ticket_age: 0x0102_0304,
            },
            PskIdentity {
                identity: vec![7],
                obfuscated_ticket_age: 0,
            },
        ],
        binders: vec![vec![0xb1; 32], vec![0xb2; 48]],
    }
}

#[test]
fn client_extensions_round_trip() {
    use ClientExtension as C;
    let all = [
        C::ServerName(vec![ServerNameEntry {
            name_type: ServerNameType::HostName,
            name: b"example.com".to_vec(),
        }]),
        C::SupportedVersions(vec![V::TLSv1_3, V::TLSv1_2, V::Unknown(0x7a7a)]),
        C::SupportedGroups(vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519]),
        C::SignatureAlgorithms(vec![S::ECDSA_NISTP256_SHA256, S::RSA_PSS_RSAE_SHA256]),
        C::SignatureAlgorithmsCert(vec![S::ED25519]),
        C::KeyShare(vec![
            share(NamedGroup::X25519, 32),
            share(NamedGroup::secp256r1, 65),
        ]),
        C::KeyShare(vec![]),
        C::Alpn(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
        C::Cookie(b"cookie".to_vec()),
        C::PskKeyExchangeModes(vec![
            PskKeyExchangeMode::PskDheKe,
            PskKeyExchangeMode::PskKe,
        ]),
        C::PreSharedKey(psks()),
        C::EarlyData,
        C::StatusRequest(vec![1, 0, 0, 0, 0]),
        C::PostHandshakeAuth,
        C::EcPointFormats(vec![ECPointFormat::Uncompressed]),
        C::ExtendedMasterSecret,
        C::RenegotiationInfo(vec![]),
        C::RenegotiationInfo(vec![0x11; 12]),
        C::SessionTicket(vec![]),
        C::SessionTicket(vec![0x22; 40]),
        C::EncryptThenMac,
        C::Heartbeat(HeartbeatMode::PeerNotAllowedToSend),
        C::Unknown {
            typ: ExtensionType::Padding,
            data: vec![0; 5],
        },
        C::Unknown {
            typ: ExtensionType::Unknown(0x1a1a),
            data: vec![],
        },
    ];
    for ext in &all {
        let bytes = check_codec(ext);
        assert_eq!(bytes[..2], ext.ext_type().to_wire().to_be_bytes());
    }
    // RFC 8446, 4.2.1: a u8-prefixed list of versions.
    assert_eq!(
        C::SupportedVersions(vec![V::TLSv1_3]).to_bytes(),
        [0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04]
    );
}

#[test]
fn server_extensions_round_trip() {
    use ServerExtContext as X;
    use ServerExtension as Sx;
    let cases = [
        (X::ServerHello, Sx::SupportedVersions(V::TLSv1_3)),
        (X::ServerHello, Sx::KeyShare(share(NamedGroup::X25519, 32))),
        (X::ServerHello, Sx::PreSharedKey(1)),
        (X::ServerHello, Sx::ServerNameAck),
        (X::ServerHello, Sx::Alpn(b"http/1.1".to_vec())),
        (X::ServerHello, Sx::StatusRequestAck),
        (X::ServerHello, Sx::RenegotiationInfo(vec![])),
        (X::ServerHello, Sx::ExtendedMasterSecret),
        (
            X::ServerHello,
            Sx::EcPointFormats(vec![ECPointFormat::Uncompressed]),
        ),
        (X::ServerHello, Sx::SessionTicketAck),
        (X::ServerHello, Sx::EncryptThenMac),
        (
            X::ServerHello,
            Sx::Heartbeat(HeartbeatMode::PeerAllowedToSend),
        ),
        (
            X::ServerHello,
            Sx::Unknown {
                typ: ExtensionType::SignedCertificateTimestamp,
                data: vec![0, 2, 0, 0],
            },
        ),
        (X::HelloRetryRequest, Sx::SupportedVersions(V::TLSv1_3)),
        (X::HelloRetryRequest, Sx::HrrKeyShare(NamedGroup::secp384r1)),
        (X::HelloRetryRequest, Sx::Cookie(vec![5; 100])),
        (
            X::HelloRetryRequest,
            Sx::Unknown {
                typ: ExtensionType::EncryptedClientHello,
                data: vec![9; 8],
            },
        ),
        (X::EncryptedExtensions, Sx::ServerNameAck),
        (X::EncryptedExtensions, Sx::Alpn(b"h2".to_vec())),
        (
            X::EncryptedExtensions,
            Sx::SupportedGroups(vec![NamedGroup::X25519]),
        ),
        (X::EncryptedExtensions, Sx::EarlyData),
        (
            X::EncryptedExtensions,
            Sx::Unknown {
                typ: ExtensionType::Unknown(28),
                data: vec![0x40, 0x01],
            },
        ),
    ];
    for (ctx, ext) in &cases {
        check_server(ext, *ctx);
    }
    // The same key_share bytes mean different things in SH and HRR (RFC 8446, 4.2.8).
    let hrr = check_server(&Sx::HrrKeyShare(NamedGroup::X25519), X::HelloRetryRequest);
    let err = ServerExtension::read(&mut Reader::new(&hrr, "ServerHello"), X::ServerHello);
    assert_eq!(
        err.unwrap_err().to_string(),
        "malformed ServerHello: field key_exchange at byte 6: needs 2 byte(s) but only 0 remain (message cut short)"
    );
}

#[test]
fn entries_and_other_extensions_round_trip() {
    check_codec(&share(NamedGroup::Unknown(0x2a2a), 1));
    check_codec(&ServerNameEntry {
        name_type: ServerNameType::Unknown(9),
        name: b"x".to_vec(),
    });
    check_codec(&psks().identities[0]);
    check_codec(&psks());
    assert_eq!(psks().binders_len(), 2 + 33 + 49);

    check_codec(&CertificateExtension::StatusRequest(vec![
        0x30, 0x03, 1, 2, 3,
    ]));
    check_codec(&CertificateExtension::SignedCertificateTimestamp(vec![
        0, 3, 0, 1, 5,
    ]));
    check_codec(&CertificateExtension::Unknown {
        typ: ExtensionType::Unknown(0xfafa),
        data: vec![1],
    });

    check_codec(&CertReqExtension::SignatureAlgorithms(vec![S::ED448]));
    check_codec(&CertReqExtension::SignatureAlgorithmsCert(vec![
        S::RSA_PKCS1_SHA256,
    ]));
    check_codec(&CertReqExtension::CertificateAuthorities(vec![
        vec![0x30, 0],
        vec![0x30, 1, 5],
    ]));
    check_codec(&CertReqExtension::StatusRequest(vec![]));
    check_codec(&CertReqExtension::Unknown {
        typ: ExtensionType::OidFilters,
        data: vec![0, 0],
    });

    check_codec(&NewSessionTicketExtension::EarlyData(16384));
    check_codec(&NewSessionTicketExtension::Unknown {
        typ: ExtensionType::Unknown(0xeaea),
        data: vec![],
    });
}

/// Decodes `hex` as one extension of `message`'s kind and returns the error text.
fn error(message: &'static str, hex: &str) -> String {
    let bytes: Vec<u8> = crate::msgs::rfc8448::bytes(hex);
    let mut r = Reader::new(&bytes, message);
    let result = match message {
        "ClientHello" => ClientExtension::read(&mut r).map(|_| ()),
        "ServerHello" => ServerExtension::read(&mut r, ServerExtContext::ServerHello).map(|_| ()),
        "HelloRetryRequest" => {
            ServerExtension::read(&mut r, ServerExtContext::HelloRetryRequest).map(|_| ())
        }
        "EncryptedExtensions" => {
            ServerExtension::read(&mut r, ServerExtContext::EncryptedExtensions).map(|_| ())
        }
        "Certificate" => CertificateExtension::read(&mut r).map(|_| ()),
        "CertificateRequest" => CertReqExtension::read(&mut r).map(|_| ()),
        "NewSessionTicket" => NewSessionTicketExtension::read(&mut r).map(|_| ()),
        _ => unreachable!(),
    };
    result.unwrap_err().to_string()
}

#[test]
fn extension_not_allowed() {
    let cases = [
        // RFC 8446, 4.2: key_share is CH, SH, HRR only.
        ("EncryptedExtensions", "0033000400170000", "0x0033"),
        ("CertificateRequest", "0033000400170000", "0x0033"),
        // Never in any ServerHello, nor a HelloRetryRequest.
        ("ServerHello", "000d000400020403", "0x000d"),
        ("ServerHello", "002c0003000101", "0x002c"),
        ("ServerHello", "002a0000", "0x002a"),
        ("ServerHello", "002d00020101", "0x002d"),
        ("HelloRetryRequest", "002900020000", "0x0029"),
        ("HelloRetryRequest", "00000000", "0x0000"),
        // TLS 1.2-only extensions have no place in TLS 1.3 messages.
        ("EncryptedExtensions", "ff0100010000", "0xff01"),
        ("EncryptedExtensions", "00170000", "0x0017"),
        ("EncryptedExtensions", "002b00020304", "0x002b"),
        ("ClientHello", "003000020000", "0x0030"),
        ("Certificate", "0010000500030268 32", "0x0010"),
        ("NewSessionTicket", "0010000500030268 32", "0x0010"),
    ];
    for (message, hex, ext) in cases {
        assert_eq!(
            error(message, &hex.replace(' ', "")),
            format!("malformed {message}: field extensions at byte 0: extension {ext} is not allowed in this message")
        );
    }
}

#[test]
fn empty_and_malformed_vectors() {
    let cases = [
        // supported_versions: versions<2..254>
        ("ClientHello", "002b000100", "field versions at byte 5: must not be empty"),
        ("ClientHello", "002b0002010303", "field versions at byte 5: length 1 is not a multiple of the element size 2"),
        ("ClientHello", "000a00020000", "field named_group_list at byte 6: must not be empty"),
        ("ClientHello", "000a0005000300170018", "field named_group_list at byte 6: length 3 is not a multiple of the element size 2"),
        ("ClientHello", "000d00020000", "field supported_signature_algorithms at byte 6: must not be empty"),
        ("ClientHello", "003200020000", "field supported_signature_algorithms at byte 6: must not be empty"),
        ("ClientHello", "002d000100", "field ke_modes at byte 5: must not be empty"),
        ("ClientHello", "000b000100", "field ec_point_format_list at byte 5: must not be empty"),
        ("ClientHello", "002c00020000", "field cookie at byte 6: must not be empty"),
        ("ClientHello", "000000020000", "field server_name_list at byte 6: must not be empty"),
        ("ClientHello", "00000005000300 0000", "field host_name at byte 9: must not be empty"),
        ("ClientHello", "0010000200 00", "field protocol_name_list at byte 6: must not be empty"),
        ("ClientHello", "00100003000100", "field protocol_name at byte 7: must not be empty"),
        ("ClientHello", "003300060004001d0000", "field key_exchange at byte 10: must not be empty"),
        ("ClientHello", "0029000400000000", "field identities at byte 6: must not be empty"),
        ("ClientHello", "0029000a0004000000000000 0000", "field identity at byte 8: must not be empty"),
        ("ClientHello", "0029000b 0007 0001 61 00000000 0000", "field binders at byte 15: must not be empty"),
        ("ClientHello", "0029000d 0007 0001 61 00000000 0002 01ff", "field binder at byte 16: length 1 is below the minimum of 32"),
        // Fixed-size bodies with extra bytes.
        ("ClientHello", "002a000100", "field early_data at byte 4: 1 unexpected byte(s) after the end"),
        ("ClientHello", "ff01000200 00", "field renegotiation_info at byte 5: 1 unexpected byte(s) after the end"),
        ("ClientHello", "000f0000", "field mode at byte 4: needs 1 byte(s) but only 0 remain (message cut short)"),
        // RFC 8446, 4.2.8: a group offered twice.
        ("ClientHello", "0033000c000a 001d000101 001d000102", "field client_shares at byte 11: value 0x1d appears more than once"),
        // RFC 6066, 3: two host names.
        ("ClientHello", "0000000a0008 00000161 00000162", "field server_name_list at byte 10: value 0x0 appears more than once"),
        // RFC 7301, 3.1: the server selects exactly one protocol.
        ("EncryptedExtensions", "0010000800060268320268 33", "field protocol_name_list at byte 9: 3 unexpected byte(s) after the end"),
        ("EncryptedExtensions", "001000020000", "field protocol_name_list at byte 6: must not be empty"),
        ("HelloRetryRequest", "002c00020000", "field cookie at byte 6: must not be empty"),
        ("ServerHello", "0000000100", "field server_name at byte 4: 1 unexpected byte(s) after the end"),
        ("Certificate", "0005000400000000", "field status_type at byte 4: invalid value 0x0"),
        ("Certificate", "000500040100 0000", "field response at byte 8: must not be empty"),
        ("CertificateRequest", "002f00020000", "field authorities at byte 6: must not be empty"),
        ("CertificateRequest", "002f000400020000", "field DistinguishedName at byte 8: must not be empty"),
        ("NewSessionTicket", "002a0002 0000", "field max_early_data_size at byte 4: needs 4 byte(s) but only 2 remain (message cut short)"),
    ];
    let wrong: Vec<_> = cases
        .iter()
        .map(|(message, hex, text)| {
            let got = error(message, &hex.replace(' ', ""));
            (got, format!("malformed {message}: {text}"))
        })
        .filter(|(got, want)| got != want)
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}
