use super::*;
use crate::ech::tests::*;

#[test]
fn keys_pem_round_trip() {
    let keys = make_keys(42, 3);
    assert_eq!(keys.config().config_id, 42);
    assert_eq!(keys.config().public_name, "public.example");
    assert_eq!(keys.config().maximum_name_length, 0);
    assert!(keys.config().extensions.is_empty());
    assert_eq!(keys.config().public_key.len(), 32);
    let pem = keys.to_pem();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(pem.ends_with("-----END ECHCONFIG-----\n"));
    assert!(pem.lines().all(|l| l.len() <= 64));
    let key = crate::pem::private_key_from_bytes(pem.as_bytes()).unwrap();
    let der = key.secret_der();
    assert_eq!(der[..16], X25519_PKCS8_PREFIX);
    assert_eq!(&der[16..], keys.keypair.private_key());
    assert_eq!(echconfig_from_pem(&pem).unwrap(), keys.config_list());

    let back = EchKeys::from_pem(&pem).unwrap();
    assert_eq!(back.config(), keys.config());
    assert_eq!(back.keypair.public_key(), keys.keypair.public_key());
    assert_eq!(back.to_pem(), pem);
    assert_eq!(
        format!("{back:?}"),
        "EchKeys { config_id: 42, public_name: \"public.example\", .. }"
    );
    // Different seeds, different keys.
    assert_ne!(
        make_keys(42, 4).config().public_key,
        keys.config().public_key
    );
}

#[test]
fn key_file_errors() {
    let a = make_keys(1, 1).to_pem();
    let b = make_keys(2, 2).to_pem();
    let key_of = |pem: &str| pem[..pem.find("-----BEGIN ECHCONFIG").unwrap()].to_string();
    let config_of = |pem: &str| pem[pem.find("-----BEGIN ECHCONFIG").unwrap()..].to_string();
    let mixed = key_of(&a) + &config_of(&b);
    assert_eq!(
        said(EchKeys::from_pem(&mixed).unwrap_err()),
        ("the ECH private key does not match the public key of its ECHConfig (config_id 2, public name public.example): the file pairs a key with another key's configuration".to_string(), None)
    );
    let p256 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let not_x25519 = p256.serialize_pem() + &config_of(&a);
    let list_of_two = {
        let one = make_keys(1, 1);
        let list = encode_config_list(&[one.config(), one.config()]);
        key_of(&a) + &crate::pem::encode("ECHCONFIG", &list)
    };
    let mut p256_config = Raw::new(1);
    p256_config.kem = 0x0010;
    p256_config.key = vec![4; 65];
    let cases: Vec<(String, &str)> = vec![
        (key_of(&a), "could not read the ECH keys: no ECHCONFIG block was found"),
        (key_of(&a) + "-----BEGIN ECHCONFIG-----\nAAAA\n", "could not read the ECH keys: the ECHCONFIG block has no END line"),
        (key_of(&a) + "-----BEGIN ECHCONFIG-----\nAA*A\n-----END ECHCONFIG-----\n", "could not read the ECH keys: the ECHCONFIG block is not valid base64"),
        (key_of(&a) + &crate::pem::encode("ECHCONFIG", &[0, 2, 0, 0]), "the ECH configuration list could not be read: malformed ECHConfigList: field ECHConfigList at byte 2: length 2 is below the minimum of 4"),
        (list_of_two, "could not read the ECH keys: the ECHCONFIG block must hold exactly one ECHConfig"),
        (key_of(&a) + &crate::pem::encode("ECHCONFIG", &list(&[p256_config.bytes()])), "could not read the ECH keys: the ECHConfig uses HPKE KEM 0x0010, but the private key is X25519 (KEM 0x0020)"),
        (not_x25519, "the private key cannot be used: an ECH key must be an X25519 key in PKCS#8 (RFC 8410)"),
    ];
    for (pem, text) in cases {
        let (got, alert) = said(EchKeys::from_pem(&pem).unwrap_err());
        assert_eq!(got, text);
        // Only the list's decode error carries an alert (for retry_configs).
        assert_eq!(alert.is_some(), text.contains("malformed"), "{text}");
    }
    // No private key at all: the crate's PEM reader says so.
    let err = EchKeys::from_pem(&config_of(&a)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Config(ConfigError::BadPem {
                what: "the private key",
                ..
            })
        ),
        "{err:?}"
    );

    let bad_names: [(&str, &str); 3] = [
        (
            "192.0.2.1",
            "its last label is all digits, so it could be read as an IPv4 address",
        ),
        ("", "it is empty"),
        (&"a.".repeat(128), "it is longer than 255 bytes"),
    ];
    for (name, reason) in bad_names {
        let err = EchKeys::generate(name, 1, &provider(1)).unwrap_err();
        assert_eq!(
            said(err),
            (
                format!("the ECH public name {name:?} is not a valid DNS host name: {reason}"),
                None
            )
        );
    }
}
