use super::*;
use crate::ech::tests::*;

#[test]
fn inner_round_trip_without_compression() {
    let inner = inner_hello();
    let outer = outer_hello(&inner);
    let encoded = encode_inner(&inner, &[], 0);
    assert_eq!(encoded.len() % 32, 0);
    // The session ID is left out; the rest is the hello body, then zeros.
    let mut plain = inner.clone();
    plain.session_id.clear();
    let body = plain.to_bytes();
    assert_eq!(&encoded[..body.len()], body.as_slice());
    assert!(encoded[body.len()..].iter().all(|&b| b == 0));
    let back = decode_inner(&encoded, &outer).unwrap();
    assert_eq!(back, inner);
    assert_eq!(
        inner_handshake_bytes(&back),
        HandshakeMessage::new(HandshakePayload::ClientHello(inner)).to_bytes()
    );
}

#[test]
fn inner_round_trip_with_compression() {
    let inner = inner_hello();
    let outer = outer_hello(&inner);
    let encoded = encode_inner(&inner, &COMPRESS, 0);
    let uncompressed = encode_inner(&inner, &[], 0);
    assert!(encoded.len() < uncompressed.len());
    // The two are replaced by one ech_outer_extensions at their position.
    let mut r = Reader::new(&encoded[..client_hello_len(&encoded).unwrap()], "test");
    let seen = ClientHello::read(&mut r).unwrap();
    let types: Vec<ExtensionType> = seen.extensions.iter().map(|e| e.ext_type()).collect();
    assert_eq!(
        types,
        [
            ExtensionType::ServerName,
            ExtensionType::SupportedGroups,
            ExtensionType::EchOuterExtensions,
            ExtensionType::SignatureAlgorithms,
            ExtensionType::ApplicationLayerProtocolNegotiation,
            ExtensionType::EncryptedClientHello,
        ]
    );
    assert_eq!(
        seen.extensions[2],
        ClientExtension::Unknown {
            typ: ExtensionType::EchOuterExtensions,
            data: vec![4, 0, 0x33, 0, 0x2b],
        }
    );
    assert_eq!(decode_inner(&encoded, &outer).unwrap(), inner);

    // Compressed extensions take the outer's values (both are sealed together).
    let mut outer2 = outer.clone();
    outer2.extensions[1] = share(0x99);
    let mut expected = inner.clone();
    expected.extensions[2] = share(0x99);
    assert_eq!(decode_inner(&encoded, &outer2).unwrap(), expected);

    // encrypted_client_hello and a second, separate run are never compressed: only
    // the first run (server_name alone) is, and the result still decodes.
    let odd = [
        ExtensionType::ServerName,
        ExtensionType::ApplicationLayerProtocolNegotiation,
        ExtensionType::EncryptedClientHello,
    ];
    let encoded = encode_inner(&inner, &odd, 0);
    let mut r = Reader::new(&encoded[..client_hello_len(&encoded).unwrap()], "test");
    let seen = ClientHello::read(&mut r).unwrap();
    assert_eq!(
        seen.extensions[0],
        ClientExtension::Unknown {
            typ: ExtensionType::EchOuterExtensions,
            data: vec![2, 0, 0],
        }
    );
    assert_eq!(seen.extensions.len(), inner.extensions.len());
    let mut expected = inner.clone();
    expected.extensions[0] = sni(b"public.example");
    assert_eq!(decode_inner(&encoded, &outer).unwrap(), expected);
}

fn decode_error(encoded: &[u8], outer: &ClientHello) -> (String, Option<A>) {
    said(decode_inner(encoded, outer).unwrap_err())
}

/// Section 5.1: the four checks, each its own error; and a malformed body.
#[test]
fn decompression_errors() {
    let outer = outer_hello(&inner_hello());
    let ill = Some(A::IllegalParameter);
    let cases: Vec<(Vec<u8>, &str, Option<A>)> = vec![
        (refs(&[0x0033, 0x0010]), "peer's ech_outer_extensions references the application_layer_protocol_negotiation extension, but ClientHelloOuter has none", ill),
        (refs(&[0x1a1a]), "peer's ech_outer_extensions references the 0x1a1a extension, but ClientHelloOuter has none", ill),
        (refs(&[0xfd00]), "peer's ech_outer_extensions references the ech_outer_extensions extension, but ClientHelloOuter has none", ill),
        (refs(&[0x0033, 0x0033]), "peer's ech_outer_extensions references the key_share extension more than once", ill),
        (refs(&[0x0033, 0xfe0d]), "peer's ech_outer_extensions references encrypted_client_hello, which must never be copied from ClientHelloOuter", ill),
        (refs(&[0x002b, 0x0033]), "peer's ech_outer_extensions lists key_share after supported_versions, but ClientHelloOuter has them in the other order", ill),
        (vec![1, 0], "peer sent a malformed OuterExtensions: field OuterExtensions at byte 1: length 1 is not a multiple of the element size 2", Some(A::DecodeError)),
        (vec![0], "peer sent a malformed OuterExtensions: field OuterExtensions at byte 1: must not be empty", Some(A::DecodeError)),
        (vec![2, 0, 0x33, 9], "peer sent a malformed OuterExtensions: field OuterExtensions at byte 3: 1 unexpected byte(s) after the end", Some(A::DecodeError)),
    ];
    for (data, text, alert) in cases {
        let encoded = encoded_with(data, inner_hello());
        assert_eq!(decode_error(&encoded, &outer), (text.to_string(), alert));
    }
    // The good references decode.
    let encoded = encoded_with(refs(&[0x0033, 0x002b]), inner_hello());
    assert_eq!(decode_inner(&encoded, &outer).unwrap(), inner_hello());
}

/// The rebuilt extension list must obey RFC 8446, 4.2 and 4.2.11 again.
#[test]
fn rebuilt_list_is_checked_again() {
    let outer = outer_hello(&inner_hello());
    // Inner keeps its own supported_groups and also references the outer one.
    let encoded = encoded_with(refs(&[0x0033, 0x000a, 0x002b]), inner_hello());
    assert_eq!(
        decode_error(&encoded, &outer),
        (
            "peer sent a malformed ClientHelloInner: field extensions at byte 118: extension 0x000a appears more than once".to_string(),
            Some(A::IllegalParameter)
        )
    );
    // pre_shared_key referenced from the outer, but not last in the inner.
    let mut outer = outer.clone();
    let psk = ClientExtension::PreSharedKey(OfferedPsks {
        identities: vec![PskIdentity {
            identity: vec![1; 16],
            obfuscated_ticket_age: 5,
        }],
        binders: vec![vec![2; 32]],
    });
    outer.extensions.push(psk);
    let encoded = encoded_with(refs(&[0x0033, 0x002b, 0x0029]), inner_hello());
    assert_eq!(
        decode_error(&encoded, &outer),
        (
            "peer sent a malformed ClientHelloInner: field extensions at byte 188: pre_shared_key must be the last extension".to_string(),
            Some(A::IllegalParameter)
        )
    );
}

#[test]
fn padding_must_be_zeros() {
    let inner = inner_hello();
    let outer = outer_hello(&inner);
    let mut encoded = encode_inner(&inner, &COMPRESS, 0);
    let last = encoded.len() - 1;
    encoded[last] = 1;
    assert_eq!(
        decode_error(&encoded, &outer),
        (
            format!("peer's EncodedClientHelloInner has a non-zero padding byte at offset {last}; padding must be all zeros"),
            Some(A::IllegalParameter)
        )
    );
    // No padding at all is accepted; so is any amount of zeros.
    let mut exact = inner.clone();
    exact.session_id.clear();
    let body = exact.to_bytes();
    assert_eq!(decode_inner(&body, &outer).unwrap(), inner);
    let long = [body.clone(), vec![0; 1000]].concat();
    assert_eq!(decode_inner(&long, &outer).unwrap(), inner);
    // A ClientHello cut short is a decode error naming EncodedClientHelloInner.
    assert_eq!(
        decode_error(&body[..10], &outer),
        (
            "peer sent a malformed EncodedClientHelloInner: field random at byte 2: needs 32 byte(s) but only 8 remain (message cut short)".to_string(),
            Some(A::DecodeError)
        )
    );
}

/// Section 6.1.3, step by step.
#[test]
fn padding_arithmetic() {
    let inner = inner_hello(); // server name of 14 bytes
    let mut no_sni = inner.clone();
    no_sni.extensions.remove(0);
    // (hello, encoded length, maximum_name_length, padding)
    let cases: [(&ClientHello, usize, u8, usize); 10] = [
        (&inner, 1, 0, 31),
        (&inner, 32, 0, 0),
        (&inner, 33, 0, 31),
        (&inner, 64, 0, 0),
        (&inner, 26, 20, 6),         // 26 + 6 = 32
        (&inner, 27, 20, 6 + 31),    // 27 + 6 = 33
        (&inner, 32, 10, 0),         // the name is longer than L: no SNI padding
        (&no_sni, 23, 0, 9),         // L + 9 = 9; 23 + 9 = 32
        (&no_sni, 100, 50, 59 + 1),  // 159 -> 160
        (&no_sni, 1, 255, 264 + 23), // 265 -> 288
    ];
    for (hello, len, max, want) in cases {
        assert_eq!(padding_len(hello, len, max), want, "{len} {max}");
    }
    for max in [0u8, 14, 50, 255] {
        for hello in [&inner, &no_sni] {
            let encoded = encode_inner(hello, &[], max);
            assert_eq!(encoded.len() % 32, 0);
            let mut plain = hello.clone();
            plain.session_id.clear();
            let body = plain.to_bytes().len();
            assert_eq!(encoded.len(), body + padding_len(hello, body, max));
            assert!(
                encoded.len()
                    >= body
                        + if hello.server_name().is_some() {
                            usize::from(max).saturating_sub(14)
                        } else {
                            usize::from(max) + 9
                        }
            );
        }
    }
}

/// Section 7.1: the inner marker, and no TLS 1.2 or below.
#[test]
fn inner_hello_checks() {
    let outer = outer_hello(&inner_hello());
    let with = |edit: &dyn Fn(&mut ClientHello)| {
        let mut hello = inner_hello();
        edit(&mut hello);
        decode_inner(&encode_inner(&hello, &[], 0), &outer)
    };
    let ill = Some(A::IllegalParameter);
    type Edit = Box<dyn Fn(&mut ClientHello)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|h| h.extensions[3] = ClientExtension::SupportedVersions(vec![V13, ProtocolVersion::TLSv1_2])),
            "peer's ClientHelloInner offers TLSv1.2; a ClientHelloInner may offer only TLS 1.3 or later",
        ),
        (
            Box::new(|h| h.extensions[3] = ClientExtension::SupportedVersions(vec![ProtocolVersion::Unknown(0x0200), V13])),
            "peer's ClientHelloInner offers unknown(0x200); a ClientHelloInner may offer only TLS 1.3 or later",
        ),
        (
            Box::new(|h| { h.extensions.remove(3); }),
            "peer's ClientHelloInner has no supported_versions extension, so it offers TLS 1.2 or below; a ClientHelloInner may offer only TLS 1.3 or later",
        ),
        (
            Box::new(|h| { h.extensions.pop(); }),
            "peer's ClientHelloInner lacks the inner encrypted_client_hello extension it must carry",
        ),
        (
            Box::new(|h| { h.extensions.pop(); h.extensions.push(any_outer_ext().to_extension()); }),
            "peer's ClientHelloInner carries an encrypted_client_hello extension that is not the inner variant (a single byte 1)",
        ),
        (
            Box::new(|h| { h.extensions.pop(); h.extensions.push(ClientExtension::Unknown { typ: ExtensionType::EncryptedClientHello, data: vec![1, 0] }); }),
            "peer's ClientHelloInner carries an encrypted_client_hello extension that is not the inner variant (a single byte 1)",
        ),
    ];
    for (edit, text) in cases {
        assert_eq!(said(with(&*edit).unwrap_err()), (text.to_string(), ill));
    }
    // GREASE versions (RFC 8701) and later versions are fine.
    with(&|h| {
        h.extensions[3] = ClientExtension::SupportedVersions(vec![
            ProtocolVersion::Unknown(0x7a7a),
            V13,
            ProtocolVersion::Unknown(0x0305),
        ])
    })
    .unwrap();
}
