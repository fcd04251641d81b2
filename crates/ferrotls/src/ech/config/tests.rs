use super::*;
use crate::ech::tests::*;

#[test]
fn config_list_round_trip() {
    let mut raw = Raw::new(9);
    raw.max = 42;
    raw.suites = vec![
        (0x0003, AEAD_AES_128_GCM),
        (KDF_HKDF_SHA256, AEAD_CHACHA20_POLY1305),
    ];
    raw.exts = vec![(0x1234, vec![1, 2, 3]), (0x0001, vec![])];
    let one = raw.bytes();
    let two = Raw::new(10).bytes();
    let bytes = list(&[one.clone(), two.clone()]);
    let configs = parse_config_list(&bytes).unwrap();
    assert_eq!(configs.len(), 2);
    let c = &configs[0];
    assert_eq!(c.encoded(), one.as_slice());
    assert_eq!(c.config_id, 9);
    assert_eq!(c.kem_id, KEM_X25519_HKDF_SHA256);
    assert_eq!(c.public_key, vec![0x5a; 32]);
    assert_eq!(c.maximum_name_length, 42);
    assert_eq!(c.public_name, "public.example");
    assert_eq!(c.extensions, raw.exts);
    // Section 6.1: the first suite we implement, in the configuration's order.
    let suite = c.select_suite().unwrap();
    assert_eq!(
        (suite.kem_id(), suite.kdf_id(), suite.aead_id()),
        (0x0020, 0x0001, 0x0003)
    );
    assert_eq!(c.hpke_info(), [&b"tls ech\0"[..], &one].concat());
    assert_eq!(encode_config_list(&[&configs[0], &configs[1]]), bytes);
    assert_eq!(configs[1].encoded(), two.as_slice());

    // A generated configuration survives the same trip.
    let keys = make_keys(3, 1);
    let parsed = parse_config_list(&keys.config_list()).unwrap();
    assert_eq!(parsed, vec![keys.config().clone()]);
    assert_eq!(parsed[0].cipher_suites, GENERATED_SUITES.to_vec());
    assert_eq!(
        retry_configs(&[&keys, &keys]).len(),
        2 + 2 * keys.config().encoded().len()
    );
    assert_eq!(
        retry_configs(&[std::sync::Arc::new(make_keys(4, 2))]).len(),
        2 + parsed[0].encoded().len()
    );
}

/// Each skip rule, alone next to a good configuration, and all of them together.
#[test]
fn config_skip_rules() {
    let good = Raw::new(1).bytes();
    let mut cases: Vec<(Raw, &str)> = Vec::new();
    let mut r = Raw::new(2);
    r.version = 0xfe0c;
    cases.push((r, "has ECH version 0xfe0c; ferrotls supports only 0xfe0d"));
    let mut r = Raw::new(3);
    r.exts = vec![(0x0005, vec![]), (0x0005, vec![1])];
    cases.push((r, "(config_id 3) has extension 0x0005 more than once"));
    let mut r = Raw::new(4);
    r.exts = vec![(0x8001, vec![])];
    cases.push((
        r,
        "(config_id 4) has the mandatory extension 0x8001, which ferrotls does not support",
    ));
    let mut r = Raw::new(5);
    r.kem = 0x0012;
    cases.push((
        r,
        "(config_id 5) uses HPKE KEM 0x0012, which ferrotls does not support",
    ));
    let mut r = Raw::new(6);
    r.key = vec![1; 31];
    cases.push((
        r,
        "(config_id 6) has a 31-byte public key, the wrong size for HPKE KEM 0x0020",
    ));
    let mut r = Raw::new(7);
    r.suites = vec![(0x0003, 0x0001), (0x0001, 0xffff)];
    cases.push((r, "(config_id 7) offers only HPKE cipher suites ferrotls does not support: KDF 0x0003 with AEAD 0x0001, KDF 0x0001 with AEAD 0xffff"));
    let names: [(&[u8], &str); 11] = [
        (
            b"192.0.2.1",
            "its last label is all digits, so it could be read as an IPv4 address",
        ),
        (
            b"example.0x1f",
            "its last label is 0x and hex digits, so it could be read as an IPv4 address",
        ),
        (
            b"example.0X",
            "its last label is 0x and hex digits, so it could be read as an IPv4 address",
        ),
        (b"-a.example", "a label begins or ends with a hyphen"),
        (b"a-.example", "a label begins or ends with a hyphen"),
        (
            b"a..example",
            "it begins or ends with a dot, or has an empty label",
        ),
        (
            b".example",
            "it begins or ends with a dot, or has an empty label",
        ),
        (
            b"example.",
            "it begins or ends with a dot, or has an empty label",
        ),
        (
            b"exa_mple.com",
            "it contains a character other than ASCII letters, digits, hyphens and dots",
        ),
        (
            b"caf\xc3\xa9.example",
            "it contains a character other than ASCII letters, digits, hyphens and dots",
        ),
        (&[b'a'; 64], "a label is longer than 63 bytes"),
    ];
    for (name, reason) in names {
        let mut r = Raw::new(8);
        r.name = name.to_vec();
        let shown = format!("{:?}", String::from_utf8_lossy(name));
        let text = format!("(config_id 8) has the public name {shown}, which is not a valid DNS host name: {reason}");
        let configs = parse_config_list(&list(&[r.bytes(), good.clone()])).unwrap();
        assert_eq!(configs.len(), 1, "{text}");
        assert_eq!(configs[0].config_id, 1);
        let err = parse_config_list(&list(&[r.bytes()])).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("none of the 1 ECH configuration(s) can be used: configuration 1 {text}")
        );
    }
    for (raw, reason) in &cases {
        // Skipped, and the configuration after it is still found.
        let configs = parse_config_list(&list(&[raw.bytes(), good.clone()])).unwrap();
        assert_eq!(configs.len(), 1, "{reason}");
        assert_eq!(configs[0].config_id, 1);
    }
    // Names that are fine: digits and 0x are allowed before the last label.
    for name in [
        "a",
        "0x1.example",
        "123.example",
        "x-1.example",
        "example.0xg",
    ] {
        let mut r = Raw::new(1);
        r.name = name.as_bytes().to_vec();
        assert_eq!(
            parse_config_list(&list(&[r.bytes()])).unwrap()[0].public_name,
            name
        );
    }
    let all: Vec<Vec<u8>> = cases.iter().map(|(r, _)| r.bytes()).collect();
    let err = parse_config_list(&list(&all)).unwrap_err();
    let reasons: Vec<String> = cases
        .iter()
        .enumerate()
        .map(|(i, (_, reason))| format!("configuration {} {reason}", i + 1))
        .collect();
    assert_eq!(
        err.to_string(),
        format!(
            "none of the 6 ECH configuration(s) can be used: {}",
            reasons.join("; ")
        )
    );
    assert_eq!(said(err.into()).1, None);
}

#[test]
fn many_unusable_configs_are_summarised() {
    // 16383 empty configurations of another version fill a 64 KiB list; the
    // error keeps every reason but its message names only the first 8.
    let other = vec![0xfe, 0x0c, 0x00, 0x00];
    let bytes = list(&vec![other; 16383]);
    assert_eq!(bytes.len(), 65534);
    let err = parse_config_list(&bytes).unwrap_err();
    let EchError::NoUsableConfig { skipped } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(skipped.len(), 16383);
    assert_eq!(skipped[16382].position, 16383);
    let reasons: Vec<String> = (1..=8)
        .map(|i| format!("configuration {i} has ECH version 0xfe0c; ferrotls supports only 0xfe0d"))
        .collect();
    assert_eq!(
        err.to_string(),
        format!(
            "none of the 16383 ECH configuration(s) can be used: {}; and 16375 more",
            reasons.join("; ")
        )
    );
    // One configuration of 16360 suites, none of them ours.
    let mut raw = Raw::new(7);
    raw.suites = (0..16360).map(|i| (0x0003, i)).collect();
    let err = parse_config_list(&list(&[raw.bytes()])).unwrap_err();
    let EchError::NoUsableConfig { skipped } = &err else {
        panic!("{err:?}");
    };
    let SkipReason::NoSupportedSuite { suites, .. } = &skipped[0].reason else {
        panic!("{skipped:?}");
    };
    assert_eq!(suites.len(), 16360);
    let named: Vec<String> = (0..8)
        .map(|i| format!("KDF 0x0003 with AEAD {i:#06x}"))
        .collect();
    assert_eq!(
        err.to_string(),
        format!(
            "none of the 1 ECH configuration(s) can be used: configuration 1 (config_id 7) \
             offers only HPKE cipher suites ferrotls does not support: {} and 16352 more",
            named.join(", ")
        )
    );
    // Exactly 8 are all named.
    let err = parse_config_list(&list(&vec![vec![0xfe, 0x0c, 0x00, 0x00]; 8])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "none of the 8 ECH configuration(s) can be used: {}",
            reasons.join("; ")
        )
    );
}

#[test]
fn malformed_config_lists() {
    let good = Raw::new(1).bytes();
    let mut empty_name = Raw::new(1);
    empty_name.name = vec![];
    let mut empty_key = Raw::new(1);
    empty_key.key = vec![];
    let mut odd_suites = Raw::new(1);
    odd_suites.suites = vec![];
    let mut odd = odd_suites.bytes();
    // cipher_suites length 0 -> 2 with two extra bytes: not a multiple of 4.
    let at = 4 + 1 + 2 + 2 + 32;
    odd[at + 1] = 2;
    odd.splice(at + 2..at + 2, [0, 1]);
    odd[3] += 2;
    let mut trailing = good.clone();
    trailing.push(0);
    trailing[3] += 1;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            vec![],
            "field ECHConfigList at byte 0: needs 2 byte(s) but only 0 remain (message cut short)",
        ),
        (
            vec![0, 0],
            "field ECHConfigList at byte 2: length 0 is below the minimum of 4",
        ),
        (
            vec![0, 3, 0xfe, 0x0d, 0],
            "field ECHConfigList at byte 2: length 3 is below the minimum of 4",
        ),
        (
            [list(std::slice::from_ref(&good)), vec![0]].concat(),
            "field ECHConfigList at byte 67: 1 unexpected byte(s) after the end",
        ),
        (
            list(&[good[..good.len() - 1].to_vec()]),
            "field length at byte 6: needs 61 byte(s) but only 60 remain (message cut short)",
        ),
        (
            list(&[empty_name.bytes()]),
            "field public_name at byte 51: must not be empty",
        ),
        (
            list(&[empty_key.bytes()]),
            "field public_key at byte 11: must not be empty",
        ),
        (
            list(&[odd_suites.bytes()]),
            "field cipher_suites at byte 45: must not be empty",
        ),
        (
            list(&[odd]),
            "field cipher_suites at byte 45: length 2 is not a multiple of the element size 4",
        ),
        (
            list(&[trailing]),
            "field ECHConfigContents at byte 67: 1 unexpected byte(s) after the end",
        ),
    ];
    for (bytes, text) in cases {
        let err = parse_config_list(&bytes).unwrap_err();
        assert!(matches!(err, EchError::MalformedConfigList(_)));
        assert_eq!(
            said(err.into()),
            (
                format!(
                    "the ECH configuration list could not be read: malformed ECHConfigList: {text}"
                ),
                Some(A::DecodeError)
            )
        );
        assert!(check_retry_configs(&bytes).is_err());
    }
    // Section 6.1.6: a well-formed list we cannot use is not an error for retry_configs.
    let mut unknown = Raw::new(1);
    unknown.version = 0xff00;
    check_retry_configs(&list(&[unknown.bytes()])).unwrap();
    check_retry_configs(&list(&[good])).unwrap();
}
