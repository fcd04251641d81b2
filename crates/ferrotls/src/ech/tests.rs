//! Helpers shared by the ECH unit tests, and the tests that span the module.

pub(super) use super::extension::ech_extension_mut;
pub(crate) use super::*;
pub(crate) use crate::codec::{put_u16, put_u8, put_vec_u16, put_vec_u8, with_u16_len, Codec};
pub(crate) use crate::crypto::Provider;
pub(crate) use crate::error::Error;
pub(crate) use crate::msgs::enums::{ExtensionType, ProtocolVersion};
pub(crate) use crate::msgs::extensions::ClientExtension;
pub(crate) use crate::msgs::handshake::ClientHello;
pub(crate) use core::time::Duration;
pub(crate) use rustls_pki_types::UnixTime;

pub(crate) use crate::msgs::enums::{
    AlertDescription as A, CipherSuite, NamedGroup, ServerNameType, SignatureScheme,
};
pub(crate) use crate::msgs::extensions::{
    KeyShareEntry, OfferedPsks, PskIdentity, ServerNameEntry,
};
pub(crate) use crate::msgs::handshake::{HandshakeMessage, HandshakePayload};

pub(crate) const V13: ProtocolVersion = ProtocolVersion::TLSv1_3;

pub(crate) fn provider(seed: u64) -> Provider {
    Provider::fixed(
        seed,
        UnixTime::since_unix_epoch(Duration::from_secs(1_700_000_000)),
    )
}

pub(crate) fn make_keys(config_id: u8, seed: u64) -> EchKeys {
    EchKeys::generate("public.example", config_id, &provider(seed)).unwrap()
}

/// The text and alert of an error.
pub(crate) fn said(e: Error) -> (String, Option<A>) {
    (e.to_string(), e.alert())
}

pub(crate) fn sni(name: &[u8]) -> ClientExtension {
    ClientExtension::ServerName(vec![ServerNameEntry {
        name_type: ServerNameType::HostName,
        name: name.to_vec(),
    }])
}

pub(crate) fn share(byte: u8) -> ClientExtension {
    ClientExtension::KeyShare(vec![KeyShareEntry {
        group: NamedGroup::X25519,
        payload: vec![byte; 32],
    }])
}

pub(crate) fn inner_hello() -> ClientHello {
    ClientHello {
        legacy_version: ProtocolVersion::TLSv1_2,
        random: [0x11; 32],
        session_id: vec![0x22; 32],
        cipher_suites: vec![
            CipherSuite::TLS13_AES_128_GCM_SHA256,
            CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        ],
        compression_methods: vec![0],
        extensions: vec![
            sni(b"secret.example"),
            ClientExtension::SupportedGroups(vec![NamedGroup::X25519]),
            share(0x33),
            ClientExtension::SupportedVersions(vec![V13]),
            ClientExtension::SignatureAlgorithms(vec![SignatureScheme::ED25519]),
            ClientExtension::Alpn(vec![b"h2".to_vec()]),
            inner_extension(),
        ],
        empty_extensions_block: false,
    }
}

/// A ClientHelloOuter for `inner` without the ECH extension: key_share and
/// supported_versions copied in the same relative order, not adjacent.
pub(crate) fn outer_hello(inner: &ClientHello) -> ClientHello {
    ClientHello {
        random: [0x44; 32],
        extensions: vec![
            sni(b"public.example"),
            share(0x33),
            ClientExtension::SupportedGroups(vec![NamedGroup::X25519]),
            ClientExtension::SupportedVersions(vec![V13]),
            ClientExtension::SignatureAlgorithms(vec![SignatureScheme::ED25519]),
        ],
        ..inner.clone()
    }
}

/// `outer` with an outer ECH extension (placeholder payload) as a server sees it.
pub(crate) fn with_ech(mut outer: ClientHello, ext: &EchClientHello) -> ClientHello {
    outer.extensions.push(ext.to_extension());
    outer
}

pub(crate) fn any_outer_ext() -> EchClientHello {
    EchClientHello::Outer {
        kdf: KDF_HKDF_SHA256,
        aead: AEAD_AES_128_GCM,
        config_id: 7,
        enc: vec![1; 32],
        payload: vec![2; 48],
    }
}

pub(crate) const COMPRESS: [ExtensionType; 2] =
    [ExtensionType::KeyShare, ExtensionType::SupportedVersions];

// --- Errors -------------------------------------------------------------------------

/// Every ECH error's sentence and alert, including those the tests above cannot
/// reach through the API.
/// One ECHConfig built field by field, so tests can break any of them.
pub(crate) struct Raw {
    pub(crate) version: u16,
    pub(crate) config_id: u8,
    pub(crate) kem: u16,
    pub(crate) key: Vec<u8>,
    pub(crate) suites: Vec<(u16, u16)>,
    pub(crate) max: u8,
    pub(crate) name: Vec<u8>,
    pub(crate) exts: Vec<(u16, Vec<u8>)>,
}

impl Raw {
    pub(crate) fn new(config_id: u8) -> Self {
        Raw {
            version: ECH_VERSION,
            config_id,
            kem: KEM_X25519_HKDF_SHA256,
            key: vec![0x5a; 32],
            suites: vec![(KDF_HKDF_SHA256, AEAD_AES_128_GCM)],
            max: 0,
            name: b"public.example".to_vec(),
            exts: vec![],
        }
    }

    pub(crate) fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_u16(&mut out, self.version);
        with_u16_len(&mut out, |o| {
            put_u8(o, self.config_id);
            put_u16(o, self.kem);
            put_vec_u16(o, &self.key);
            with_u16_len(o, |o| {
                for &(kdf, aead) in &self.suites {
                    put_u16(o, kdf);
                    put_u16(o, aead);
                }
            });
            put_u8(o, self.max);
            put_vec_u8(o, &self.name);
            with_u16_len(o, |o| {
                for (typ, data) in &self.exts {
                    put_u16(o, *typ);
                    put_vec_u16(o, data);
                }
            });
        });
        out
    }
}

pub(crate) fn list(configs: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    with_u16_len(&mut out, |o| configs.iter().for_each(|c| o.extend(c)));
    out
}

/// An EncodedClientHelloInner whose key_share and supported_versions are replaced
/// by an ech_outer_extensions with body `data`, at their position.
pub(crate) fn encoded_with(data: Vec<u8>, mut hello: ClientHello) -> Vec<u8> {
    hello.session_id.clear();
    hello
        .extensions
        .retain(|e| !COMPRESS.contains(&e.ext_type()));
    hello.extensions.insert(
        2,
        ClientExtension::Unknown {
            typ: ExtensionType::EchOuterExtensions,
            data,
        },
    );
    hello.to_bytes()
}

pub(crate) fn refs(types: &[u16]) -> Vec<u8> {
    let mut data = vec![(2 * types.len()) as u8];
    types.iter().for_each(|t| data.extend(t.to_be_bytes()));
    data
}

/// A client offer to `keys`: (sender, inner, sealed first ClientHelloOuter).
pub(crate) fn offer(keys: &EchKeys, seed: u64) -> (EchSender, ClientHello, ClientHello) {
    let mut sender = EchSender::new(keys.config(), &provider(seed)).unwrap();
    let inner = inner_hello();
    let encoded = encode_inner(&inner, &COMPRESS, keys.config().maximum_name_length);
    let outer = sender
        .seal_outer(outer_hello(&inner), &encoded, true)
        .unwrap();
    (sender, inner, outer)
}

#[test]
fn every_ech_error_explains_itself() {
    let s = |x: &str| x.to_string();
    let cases: Vec<(EchError, &str, Option<A>)> = vec![
        (EchError::Rejected { public_name: s("public.example"), retry_configs: Some(vec![0, 0]) }, "the server public.example did not accept Encrypted Client Hello; it sent retry configurations to connect again with", Some(A::EchRequired)),
        (EchError::Rejected { public_name: s("public.example"), retry_configs: None }, "the server public.example did not accept Encrypted Client Hello and sent no retry configurations: ECH is disabled there", Some(A::EchRequired)),
        (EchError::BadRetryConfirmation { len: 7 }, "the server's HelloRetryRequest carries a 7-byte encrypted_client_hello confirmation; it must be 8 bytes", Some(A::DecodeError)),
        (EchError::Hpke { operation: "Seal", reason: s("the ciphertext is 3 bytes instead of the expected 19") }, "ECH encryption failed in HPKE Seal: the ciphertext is 3 bytes instead of the expected 19", Some(A::InternalError)),
        (EchError::NoEchExtension, "internal error: the ClientHello has no encrypted_client_hello extension to authenticate", Some(A::InternalError)),
        (EchError::UnknownHelloType { value: 9 }, "peer's encrypted_client_hello extension has type 9; only outer (0) and inner (1) are defined", Some(A::IllegalParameter)),
        (EchError::InnerFromNetwork, "peer's ClientHello carries an inner encrypted_client_hello extension, which belongs only inside an encrypted ClientHelloInner", Some(A::IllegalParameter)),
        (EchError::OuterExtensionsInOuter, "peer's ClientHelloOuter contains the ech_outer_extensions extension, which may appear only inside an EncodedClientHelloInner", Some(A::IllegalParameter)),
        (EchError::NonZeroPadding { offset: 300 }, "peer's EncodedClientHelloInner has a non-zero padding byte at offset 300; padding must be all zeros", Some(A::IllegalParameter)),
        (EchError::OuterExtensionMissing { extension: s("key_share") }, "peer's ech_outer_extensions references the key_share extension, but ClientHelloOuter has none", Some(A::IllegalParameter)),
        (EchError::OuterExtensionTwice { extension: s("key_share") }, "peer's ech_outer_extensions references the key_share extension more than once", Some(A::IllegalParameter)),
        (EchError::OuterExtensionIsEch, "peer's ech_outer_extensions references encrypted_client_hello, which must never be copied from ClientHelloOuter", Some(A::IllegalParameter)),
        (EchError::OuterExtensionOutOfOrder { extension: s("key_share"), after: s("supported_versions") }, "peer's ech_outer_extensions lists key_share after supported_versions, but ClientHelloOuter has them in the other order", Some(A::IllegalParameter)),
        (EchError::MissingInnerMarker, "peer's ClientHelloInner lacks the inner encrypted_client_hello extension it must carry", Some(A::IllegalParameter)),
        (EchError::BadInnerMarker, "peer's ClientHelloInner carries an encrypted_client_hello extension that is not the inner variant (a single byte 1)", Some(A::IllegalParameter)),
        (EchError::InnerOffersOldVersion { version: ProtocolVersion::TLSv1_1 }, "peer's ClientHelloInner offers TLSv1.1; a ClientHelloInner may offer only TLS 1.3 or later", Some(A::IllegalParameter)),
        (EchError::InnerWithoutSupportedVersions, "peer's ClientHelloInner has no supported_versions extension, so it offers TLS 1.2 or below; a ClientHelloInner may offer only TLS 1.3 or later", Some(A::IllegalParameter)),
        (EchError::MissingInSecondHello, "the client's second ClientHelloOuter lacks the encrypted_client_hello extension, although ECH was accepted for the first", Some(A::MissingExtension)),
        (EchError::SecondHelloChanged { what: "config_id", first: s("1"), second: s("2") }, "the client's second ClientHelloOuter changed the ECH config_id from 1 to 2; it must stay as in the first", Some(A::IllegalParameter)),
        (EchError::SecondHelloHasEnc { length: 1 }, "the client's second ClientHelloOuter carries a 1-byte ECH enc; after HelloRetryRequest enc must be empty", Some(A::IllegalParameter)),
        (EchError::SecondHelloDecryptFailed { config_id: 3 }, "the client's second ClientHelloOuter does not decrypt with the HPKE context of the first (config_id 3): it was altered in transit or sealed with another context", Some(A::DecryptError)),
        (EchError::KeyMismatch { config_id: 3, public_name: s("a.example") }, "the ECH private key does not match the public key of its ECHConfig (config_id 3, public name a.example): the file pairs a key with another key's configuration", None),
        (EchError::BadPublicName { name: s("1"), reason: "it is empty" }, "the ECH public name \"1\" is not a valid DNS host name: it is empty", None),
        (EchError::NoUsableConfig { skipped: vec![SkippedConfig { position: 2, reason: SkipReason::UnsupportedVersion { version: 0xfe0a } }] }, "none of the 1 ECH configuration(s) can be used: configuration 2 has ECH version 0xfe0a; ferrotls supports only 0xfe0d", None),
    ];
    for (error, text, alert) in cases {
        assert_eq!(error.to_string(), text);
        assert_eq!(said(error.into()), (text.to_string(), alert));
    }
}

/// A client whose configuration lists no suite we implement cannot be built
/// (only reachable by editing a parsed configuration's fields).
#[test]
fn sender_needs_a_suite() {
    let mut config = make_keys(7, 1).config().clone();
    config.cipher_suites = vec![(0x0003, 0x0001)];
    assert_eq!(
        said(EchSender::new(&config, &provider(1)).unwrap_err()),
        ("none of the 1 ECH configuration(s) can be used: configuration 1 (config_id 7) offers only HPKE cipher suites ferrotls does not support: KDF 0x0003 with AEAD 0x0001".to_string(), None)
    );
    config.cipher_suites = vec![(1, 1)];
    config.public_key = vec![1; 31];
    let err = said(EchSender::new(&config, &provider(1)).unwrap_err());
    assert_eq!(err.1, Some(A::InternalError));
    assert!(
        err.0
            .starts_with("ECH encryption failed in HPKE SetupBaseS: "),
        "{}",
        err.0
    );
}

// --- Malformed input never panics --------------------------------------------------

use crate::test_util::Rng;

#[test]
fn mutated_inputs_never_panic() {
    let keys = [make_keys(7, 1)];
    let (_, _, outer) = offer(&keys[0], 2);
    let plain_outer = outer_hello(&inner_hello());
    let encoded = encode_inner(&inner_hello(), &COMPRESS, 0);
    let refs_bad = encoded_with(refs(&[0x0033, 0x000a, 0x002b]), inner_hello());
    let config_list = list(&[Raw::new(1).bytes(), keys[0].config().encoded().to_vec()]);
    let ech_body = ech_extension(&outer).unwrap().to_vec();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut opened = 0;
    for _ in 0..3_000 {
        let _ = decode_inner(&rng.mutate(encoded.clone()), &plain_outer);
        let _ = decode_inner(&rng.mutate(refs_bad.clone()), &plain_outer);
        let _ = parse_config_list(&rng.mutate(config_list.clone()));
        let _ = check_retry_configs(&rng.mutate(config_list.clone()));
        let _ = EchClientHello::read(&rng.mutate(ech_body.clone()));
        let mut hello = outer.clone();
        *ech_extension_mut(&mut hello).unwrap() = rng.mutate(ech_body.clone());
        if let Ok(Some(_)) = server_open_first(&keys, &hello) {
            opened += 1;
        }
        let _ = outer_aad(&hello);
    }
    // Only mutations that left the body intact (e.g. cut and reinserted the same byte) open.
    assert!(opened < 100, "{opened}");
}
