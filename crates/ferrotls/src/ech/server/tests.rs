use super::*;
use crate::ech::tests::*;

fn outer_fields(outer: &ClientHello) -> (u16, u16, u8, Vec<u8>, Vec<u8>) {
    let o = read_outer(ech_extension(outer).unwrap()).unwrap();
    (o.kdf, o.aead, o.config_id, o.enc, o.payload)
}

/// `outer` with its ECH extension body replaced.
fn rewrite(outer: &ClientHello, edit: impl Fn(&mut EchClientHello)) -> ClientHello {
    let mut outer = outer.clone();
    let data = ech_extension_mut(&mut outer).unwrap();
    let mut ext = EchClientHello::read(data).unwrap();
    edit(&mut ext);
    *data = ext.encode();
    outer
}

#[test]
fn seal_then_open_recovers_the_inner_hello() {
    let keys = [make_keys(7, 1)];
    let (sender, inner, outer) = offer(&keys[0], 2);
    assert_eq!(sender.config(), keys[0].config());
    assert_eq!(sender.enc().len(), 32);
    assert_eq!(
        format!("{sender:?}"),
        format!(
            "EchSender {{ config_id: 7, public_name: \"public.example\", suite: {:?}, .. }}",
            sender.suite()
        )
    );
    // The extension is last, with the suite, config_id, enc and a payload of
    // plaintext + tag.
    assert_eq!(
        outer.extensions.last().unwrap().ext_type(),
        ExtensionType::EncryptedClientHello
    );
    let (kdf, aead, config_id, enc, payload) = outer_fields(&outer);
    assert_eq!(
        (kdf, aead, config_id),
        (KDF_HKDF_SHA256, AEAD_AES_128_GCM, 7)
    );
    assert_eq!(enc, sender.enc());
    let encoded = encode_inner(&inner, &COMPRESS, 0);
    assert_eq!(payload.len(), encoded.len() + 16);
    // Section 5.2: the AAD is the hello with zeros for the payload.
    let aad = outer_aad(&outer).unwrap();
    let zeroed = rewrite(&outer, |e| {
        if let EchClientHello::Outer { payload, .. } = e {
            payload.fill(0)
        }
    });
    assert_eq!(aad, zeroed.to_bytes());
    assert_eq!(aad.len(), outer.to_bytes().len());

    // Through the wire and back, as the server sees it.
    let wire = HandshakeMessage::new(HandshakePayload::ClientHello(outer.clone())).to_bytes();
    let seen = match HandshakeMessage::read_tls13(&wire).unwrap().payload {
        HandshakePayload::ClientHello(ch) => ch,
        other => panic!("{other:?}"),
    };
    let (got, state) = server_open_first(&keys, &seen).unwrap().unwrap();
    assert_eq!(got, inner);
    assert_eq!(state.config_id(), 7);
    assert_eq!(state.suite(), sender.suite());
    assert!(format!("{state:?}")
        .starts_with("EchServerState { config_id: 7, context: ReceiverContext("));

    // Trial decryption (section 7.1): a key with the same config_id that does not
    // open, a key with another config_id, then the right one.
    let many = vec![
        std::sync::Arc::new(make_keys(7, 9)),
        std::sync::Arc::new(make_keys(8, 1)),
        std::sync::Arc::new(make_keys(7, 1)),
    ];
    assert_eq!(server_open_first(&many, &seen).unwrap().unwrap().0, inner);
}

#[test]
fn seal_goes_before_pre_shared_key_and_replaces_an_old_extension() {
    let keys = [make_keys(7, 1)];
    let mut sender = EchSender::new(keys[0].config(), &provider(3)).unwrap();
    let inner = inner_hello();
    let encoded = encode_inner(&inner, &COMPRESS, 0);
    let mut outer = outer_hello(&inner);
    outer
        .extensions
        .push(ClientExtension::PreSharedKey(OfferedPsks {
            identities: vec![PskIdentity {
                identity: vec![1; 16],
                obfuscated_ticket_age: 5,
            }],
            binders: vec![vec![2; 32]],
        }));
    let sealed = sender.seal_outer(outer.clone(), &encoded, true).unwrap();
    let types: Vec<ExtensionType> = sealed.extensions.iter().map(|e| e.ext_type()).collect();
    assert_eq!(
        types[types.len() - 2..],
        [
            ExtensionType::EncryptedClientHello,
            ExtensionType::PreSharedKey
        ]
    );
    assert_eq!(server_open_first(&keys, &sealed).unwrap().unwrap().0, inner);

    // A hello that already carries the extension has it replaced in place.
    let mut sender = EchSender::new(keys[0].config(), &provider(4)).unwrap();
    let mut stale = outer.clone();
    stale.extensions.insert(1, any_outer_ext().to_extension());
    let sealed = sender.seal_outer(stale, &encoded, true).unwrap();
    assert_eq!(
        sealed.extensions[1].ext_type(),
        ExtensionType::EncryptedClientHello
    );
    assert_eq!(sealed.extensions.len(), outer.extensions.len() + 1);
    assert_eq!(server_open_first(&keys, &sealed).unwrap().unwrap().0, inner);
}

/// Section 7.1: anything that does not open falls back to ClientHelloOuter.
#[test]
fn what_does_not_open_is_ignored() {
    let keys = [make_keys(7, 1)];
    let (_, _, outer) = offer(&keys[0], 2);
    let mut tampered: Vec<ClientHello> = Vec::new();
    let mut random = outer.clone();
    random.random[0] ^= 1;
    tampered.push(random);
    let mut other = outer.clone();
    other.extensions[4] = ClientExtension::SignatureAlgorithms(vec![SignatureScheme::ED448]);
    tampered.push(other);
    let mut session = outer.clone();
    session.session_id[31] ^= 1;
    tampered.push(session);
    tampered.push(rewrite(&outer, |e| {
        if let EchClientHello::Outer { payload, .. } = e {
            payload[0] ^= 1
        }
    }));
    tampered.push(rewrite(&outer, |e| {
        if let EchClientHello::Outer { enc, .. } = e {
            enc[5] ^= 1
        }
    }));
    tampered.push(rewrite(&outer, |e| {
        if let EchClientHello::Outer { enc, .. } = e {
            enc.pop();
        }
    }));
    // Another config_id, or a suite the configuration does not list (GREASE).
    tampered.push(rewrite(&outer, |e| {
        if let EchClientHello::Outer { config_id, .. } = e {
            *config_id = 8
        }
    }));
    tampered.push(rewrite(&outer, |e| {
        if let EchClientHello::Outer { kdf, .. } = e {
            *kdf = 2
        }
    }));
    for (i, hello) in tampered.iter().enumerate() {
        assert!(
            server_open_first(&keys, hello).unwrap().is_none(),
            "case {i}"
        );
    }
    // No extension: nothing to do. No keys: nothing opens.
    assert!(server_open_first(&keys, &outer_hello(&inner_hello()))
        .unwrap()
        .is_none());
    assert!(server_open_first::<EchKeys>(&[], &outer).unwrap().is_none());

    // An inner extension from the network is fatal (section 7).
    let inner_marked = with_ech(outer_hello(&inner_hello()), &EchClientHello::Inner);
    assert_eq!(
        said(server_open_first(&keys, &inner_marked).unwrap_err()),
        ("peer's ClientHello carries an inner encrypted_client_hello extension, which belongs only inside an encrypted ClientHelloInner".to_string(), Some(A::IllegalParameter))
    );
    assert_eq!(
        said(outer_aad(&outer_hello(&inner_hello())).unwrap_err()),
        ("internal error: the ClientHello has no encrypted_client_hello extension to authenticate".to_string(), Some(A::InternalError))
    );
}

/// Section 7.1: a payload that opens but holds a bad ClientHelloInner is fatal.
#[test]
fn a_bad_inner_that_opens_is_fatal() {
    let keys = [make_keys(7, 1)];
    let mut sender = EchSender::new(keys[0].config(), &provider(2)).unwrap();
    let mut hello = inner_hello();
    hello.extensions.pop();
    let encoded = encode_inner(&hello, &[], 0);
    let outer = sender
        .seal_outer(outer_hello(&hello), &encoded, true)
        .unwrap();
    assert_eq!(
        said(server_open_first(&keys, &outer).unwrap_err()).0,
        "peer's ClientHelloInner lacks the inner encrypted_client_hello extension it must carry"
    );
}

/// Section 7.1.1: the second ClientHelloOuter after HelloRetryRequest.
#[test]
fn second_hello() {
    let keys = [make_keys(7, 1)];
    let (mut sender, _, outer) = offer(&keys[0], 2);
    let (_, mut state) = server_open_first(&keys, &outer).unwrap().unwrap();

    let mut inner2 = inner_hello();
    inner2.extensions[2] = share(0x77);
    inner2
        .extensions
        .insert(6, ClientExtension::Cookie(vec![0xc0; 20]));
    let mut outer2 = outer_hello(&inner2);
    outer2.extensions[1] = share(0x77);
    let encoded2 = encode_inner(&inner2, &COMPRESS, 0);
    let sealed2 = sender.seal_outer(outer2.clone(), &encoded2, false).unwrap();
    let (kdf, aead, config_id, enc, _) = outer_fields(&sealed2);
    assert_eq!(
        (kdf, aead, config_id, enc.len()),
        (KDF_HKDF_SHA256, AEAD_AES_128_GCM, 7, 0)
    );

    let ill = Some(A::IllegalParameter);
    let mut tampered = sealed2.clone();
    tampered.random[3] ^= 1;
    let cases: Vec<(ClientHello, &str, Option<A>)> = vec![
        (outer2.clone(), "the client's second ClientHelloOuter lacks the encrypted_client_hello extension, although ECH was accepted for the first", Some(A::MissingExtension)),
        (
            rewrite(&sealed2, |e| if let EchClientHello::Outer { enc, .. } = e { *enc = vec![9; 32] }),
            "the client's second ClientHelloOuter carries a 32-byte ECH enc; after HelloRetryRequest enc must be empty",
            ill,
        ),
        (
            rewrite(&sealed2, |e| if let EchClientHello::Outer { config_id, .. } = e { *config_id = 8 }),
            "the client's second ClientHelloOuter changed the ECH config_id from 7 to 8; it must stay as in the first",
            ill,
        ),
        (
            rewrite(&sealed2, |e| if let EchClientHello::Outer { aead, .. } = e { *aead = 3 }),
            "the client's second ClientHelloOuter changed the ECH cipher suite from KDF 0x0001 with AEAD 0x0001 to KDF 0x0001 with AEAD 0x0003; it must stay as in the first",
            ill,
        ),
        (
            with_ech(outer2.clone(), &EchClientHello::Inner),
            "peer's ClientHello carries an inner encrypted_client_hello extension, which belongs only inside an encrypted ClientHelloInner",
            ill,
        ),
        (
            tampered,
            "the client's second ClientHelloOuter does not decrypt with the HPKE context of the first (config_id 7): it was altered in transit or sealed with another context",
            Some(A::DecryptError),
        ),
    ];
    for (hello, text, alert) in cases {
        assert_eq!(
            said(server_open_second(&mut state, &hello).unwrap_err()),
            (text.to_string(), alert)
        );
    }
    // The failures used up no sequence number: the real second hello still opens.
    assert_eq!(server_open_second(&mut state, &sealed2).unwrap(), inner2);
    // The first hello replayed as the second does not (sequence number 1, enc set).
    let replay = rewrite(&outer, |e| {
        if let EchClientHello::Outer { enc, .. } = e {
            enc.clear()
        }
    });
    assert_eq!(
        said(server_open_second(&mut state, &replay).unwrap_err()).1,
        Some(A::DecryptError)
    );
}
