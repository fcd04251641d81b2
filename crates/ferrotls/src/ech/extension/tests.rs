use super::*;
use crate::ech::tests::*;

#[test]
fn ech_client_hello_codec() {
    let outer = any_outer_ext();
    let bytes = outer.encode();
    assert_eq!(bytes[..6], [0, 0, 1, 0, 1, 7]);
    assert_eq!(EchClientHello::read(&bytes).unwrap(), outer);
    assert_eq!(EchClientHello::Inner.encode(), [1]);
    assert_eq!(EchClientHello::read(&[1]).unwrap(), EchClientHello::Inner);
    assert_eq!(
        inner_extension(),
        ClientExtension::Unknown {
            typ: ExtensionType::EncryptedClientHello,
            data: vec![1]
        }
    );
    // An empty enc is fine (second ClientHelloOuter).
    let second = EchClientHello::Outer {
        kdf: 1,
        aead: 1,
        config_id: 0,
        enc: vec![],
        payload: vec![9],
    };
    assert_eq!(EchClientHello::read(&second.encode()).unwrap(), second);
    for n in 0..bytes.len() {
        assert!(
            EchClientHello::read(&bytes[..n]).is_err(),
            "{n}-byte prefix"
        );
    }
    let cases: Vec<(Vec<u8>, &str, A)> = vec![
        (vec![2], "peer's encrypted_client_hello extension has type 2; only outer (0) and inner (1) are defined", A::IllegalParameter),
        (vec![1, 0], "peer sent a malformed ECHClientHello: field ECHClientHello at byte 1: 1 unexpected byte(s) after the end", A::DecodeError),
        ([&bytes[..], &[0]].concat(), "peer sent a malformed ECHClientHello: field ECHClientHello at byte 90: 1 unexpected byte(s) after the end", A::DecodeError),
        (vec![0, 0, 1, 0, 1, 7, 0, 0, 0, 0], "peer sent a malformed ECHClientHello: field payload at byte 10: must not be empty", A::DecodeError),
        (vec![], "peer sent a malformed ECHClientHello: field type at byte 0: needs 1 byte(s) but only 0 remain (message cut short)", A::DecodeError),
    ];
    for (body, text, alert) in cases {
        assert_eq!(
            said(EchClientHello::read(&body).unwrap_err()),
            (text.to_string(), Some(alert))
        );
    }
    let ch = with_ech(outer_hello(&inner_hello()), &outer);
    assert_eq!(ech_extension(&ch), Some(bytes.as_slice()));
    assert_eq!(ech_extension(&inner_hello()), Some(&[1u8][..]));
    assert_eq!(ech_extension(&outer_hello(&inner_hello())), None);
}

/// 0xfd00 from the network decodes and stays `Unknown`; the ECH code refuses it
/// in ClientHelloOuter.
#[test]
fn ech_outer_extensions_from_the_network() {
    assert_eq!(
        ExtensionType::from_wire(0xfd00),
        ExtensionType::EchOuterExtensions
    );
    assert_eq!(ExtensionType::EchOuterExtensions.to_wire(), 0xfd00);
    assert_eq!(
        ext_name(ExtensionType::EchOuterExtensions),
        "ech_outer_extensions"
    );
    let mut outer = with_ech(outer_hello(&inner_hello()), &any_outer_ext());
    outer.extensions.insert(
        0,
        ClientExtension::Unknown {
            typ: ExtensionType::EchOuterExtensions,
            data: vec![2, 0, 0x33],
        },
    );
    let wire = HandshakeMessage::new(HandshakePayload::ClientHello(outer.clone())).to_bytes();
    let decoded = match HandshakeMessage::read_tls13(&wire).unwrap().payload {
        HandshakePayload::ClientHello(ch) => ch,
        other => panic!("{other:?}"),
    };
    assert_eq!(decoded, outer);
    let text = "peer's ClientHelloOuter contains the ech_outer_extensions extension, which may appear only inside an EncodedClientHelloInner";
    let keys = [make_keys(7, 1)];
    assert_eq!(
        said(server_open_first(&keys, &decoded).unwrap_err()),
        (text.to_string(), Some(A::IllegalParameter))
    );
    let encoded = encode_inner(&inner_hello(), &[], 0);
    assert_eq!(said(decode_inner(&encoded, &decoded).unwrap_err()).0, text);
}
