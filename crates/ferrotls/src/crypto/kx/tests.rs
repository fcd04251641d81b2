use super::*;
use crate::msgs::enums::AlertDescription;
use crate::test_util::unhex;

fn share_len(group: NamedGroup) -> (usize, usize) {
    match group {
        NamedGroup::X25519MLKEM768 => (1216, 1120),
        NamedGroup::X25519 => (32, 32),
        NamedGroup::secp256r1 => (65, 65),
        NamedGroup::secp384r1 => (97, 97),
        _ => unreachable!(),
    }
}

#[test]
fn supported_groups_in_preference_order() {
    assert_eq!(
        supported_groups(),
        &[
            NamedGroup::X25519MLKEM768,
            NamedGroup::X25519,
            NamedGroup::secp256r1,
            NamedGroup::secp384r1
        ]
    );
    assert!(is_supported(NamedGroup::X25519));
    assert!(!is_supported(NamedGroup::secp521r1));
    assert!(!is_supported(NamedGroup::FFDHE2048));
    assert!(!is_supported(NamedGroup::Unknown(0x1234)));
}

#[test]
fn client_and_server_agree_for_every_group() {
    for &group in supported_groups() {
        let (client_len, server_len) = share_len(group);
        let client = KeyExchange::start(group).unwrap();
        assert_eq!(client.group(), group);
        assert_eq!(client.public_share().len(), client_len, "{group}");
        assert_eq!(format!("{client:?}"), format!("KeyExchange({group})"));
        let (server_share, server_secret) =
            server_key_exchange(group, client.public_share()).unwrap();
        assert_eq!(server_share.len(), server_len, "{group}");
        let client_secret = client.complete(&server_share).unwrap();
        assert_eq!(client_secret, server_secret, "{group}");
        let expected_len = match group {
            NamedGroup::X25519MLKEM768 => 64,
            NamedGroup::secp384r1 => 48,
            _ => 32,
        };
        assert_eq!(client_secret.len(), expected_len, "{group}");
        // Fresh keys every time.
        assert_ne!(
            KeyExchange::start(group).unwrap().public_share(),
            KeyExchange::start(group).unwrap().public_share()
        );
    }
}

#[test]
fn start_all_reuses_the_hybrid_x25519_key_and_each_share_completes() {
    let groups = supported_groups();
    let shares = KeyExchange::start_all(groups).unwrap();
    let got: Vec<NamedGroup> = shares.iter().map(|k| k.group()).collect();
    assert_eq!(got, groups);
    let hybrid_x = &shares[0].public_share()[MLKEM768_EK_LEN..];
    assert_eq!(shares[1].public_share(), hybrid_x);
    // Each share, whichever the server picks, completes with the server's answer.
    for client in KeyExchange::start_all(groups).unwrap() {
        let group = client.group();
        let (server_share, server_secret) =
            server_key_exchange(group, client.public_share()).unwrap();
        assert_eq!(
            client.complete(&server_share).unwrap(),
            server_secret,
            "{group}"
        );
    }
    // The X25519 share alone, hybrid dropped first, still completes.
    let mut shares = KeyExchange::start_all(groups).unwrap();
    let x = shares.remove(1);
    drop(shares);
    let (server_share, server_secret) =
        server_key_exchange(NamedGroup::X25519, x.public_share()).unwrap();
    assert_eq!(x.complete(&server_share).unwrap(), server_secret);
    // Without the hybrid first, X25519 gets its own key.
    let only = KeyExchange::start_all(&[NamedGroup::X25519, NamedGroup::secp256r1]).unwrap();
    assert_eq!(only[0].public_share().len(), 32);
    assert_eq!(only[1].public_share().len(), 65);
}

#[test]
fn hybrid_secret_is_mlkem_then_x25519() {
    // Build the server side by hand so the X25519 half can be computed separately.
    let client = KeyExchange::start(NamedGroup::X25519MLKEM768).unwrap();
    let (ek, client_x) = client.public_share().split_at(MLKEM768_EK_LEN);
    let ek = kem::EncapsulationKey::new(&kem::ML_KEM_768, ek).unwrap();
    let (ct, mlkem_ss) = ek.encapsulate().unwrap();
    let server_x = KeyExchange::start(NamedGroup::X25519).unwrap();
    let mut server_share = ct.as_ref().to_vec();
    server_share.extend_from_slice(server_x.public_share());
    let x25519_ss = server_x.complete(client_x).unwrap();

    let secret = client.complete(&server_share).unwrap();
    let mut expected = mlkem_ss.as_ref().to_vec();
    expected.extend_from_slice(x25519_ss.as_bytes());
    assert_eq!(secret.as_bytes(), expected);
}

#[test]
fn rfc8448_simple_1rtt_x25519_shared_secret() {
    // RFC 8448, 3: the client's ephemeral private key and the server's public key.
    let client_private: [u8; 32] =
        unhex("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005")
            .try_into()
            .unwrap();
    let server_public = unhex("c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f");
    let client = KeyExchange::x25519_from_private(&client_private).unwrap();
    assert_eq!(client.group(), NamedGroup::X25519);
    assert_eq!(
        client.public_share(),
        unhex("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c")
    );
    let ikm = client.complete(&server_public).unwrap();
    assert_eq!(
        ikm.as_bytes(),
        unhex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d")
    );
}

#[test]
fn rfc8448_hello_retry_request_p256_shared_secret() {
    // RFC 8448, 5: the second ClientHello's P-256 share and the server's answer.
    let client_private = unhex("ab5473467e19346ceb0a0414e41da21d4d2445bc3025afe97c4e8dc8d513da39");
    let server_public = unhex(
        "04583e054b7a66672ae020ad9d2686fcc85b5ad41a134a0f03ee72b893052bd8
         5b4c8de6776f5b04ac07d83540eab3e3d9c547bc6528c4317d294686093a6cad7d",
    );
    let client = KeyExchange::from_private(NamedGroup::secp256r1, &client_private).unwrap();
    assert_eq!(
        client.public_share(),
        unhex(
            "04a6da7392ec591e17abfd535964b99894d13befb221b3def2ebe3830eac8f01
             51812677c4d6d2237e85cf01d6910cfb83954e76ba7352830534159897e80657 80"
        )
    );
    assert_eq!(
        client.complete(&server_public).unwrap().as_bytes(),
        unhex("c142ce13ca11b5c2233652e63ad3d97844f1621fbfb9de69d547dc8fedeabeb4")
    );
}

#[test]
fn from_private_rejects_wrong_length_and_groups() {
    let err = KeyExchange::from_private(NamedGroup::X25519, &[1; 31]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a 31-byte key is the wrong size for x25519"
    );
    let err = KeyExchange::from_private(NamedGroup::secp256r1, &[0xff; 32]).unwrap_err();
    assert_eq!(err.to_string(), "secp256r1 key exchange failed");
    let err = KeyExchange::from_private(NamedGroup::X25519MLKEM768, &[1; 32]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "key exchange group X25519MLKEM768 is not supported by ferrotls"
    );
}

#[test]
fn unsupported_groups_are_refused() {
    for group in [
        NamedGroup::secp521r1,
        NamedGroup::FFDHE2048,
        NamedGroup::Unknown(0xabcd),
    ] {
        let err = KeyExchange::start(group).unwrap_err();
        assert_eq!(
            err,
            CryptoError::UnsupportedGroup {
                group: group.name().into_owned()
            }
        );
        assert_eq!(server_key_exchange(group, &[4; 133]).unwrap_err(), err);
    }
    let err = KeyExchange::start(NamedGroup::Unknown(0xabcd)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "key exchange group unknown(0xabcd) is not supported by ferrotls"
    );
    assert_eq!(
        crate::Error::from(err).alert(),
        Some(AlertDescription::InternalError)
    );
}

/// Asserts `result` is BadKeyShare for `group`, with its text and alert.
fn assert_bad_share<T: core::fmt::Debug>(
    group: NamedGroup,
    result: Result<T, CryptoError>,
    what: &str,
) {
    let err = result.expect_err(what);
    assert_eq!(
        err,
        CryptoError::BadKeyShare {
            group: group_name(group)
        },
        "{what}"
    );
    assert_eq!(
        err.to_string(),
        format!("peer's {group} key share is not a valid public key"),
        "{what}"
    );
    assert_eq!(
        crate::Error::from(err).alert(),
        Some(AlertDescription::IllegalParameter),
        "{what}"
    );
}

#[test]
fn bad_share_text() {
    assert_eq!(
        CryptoError::BadKeyShare { group: "x25519" }.to_string(),
        "peer's x25519 key share is not a valid public key"
    );
    assert_eq!(
        CryptoError::BadKeyShare {
            group: "X25519MLKEM768"
        }
        .to_string(),
        "peer's X25519MLKEM768 key share is not a valid public key"
    );
    assert_eq!(
        CryptoError::KeyExchangeFailed {
            group: "X25519MLKEM768"
        }
        .to_string(),
        "X25519MLKEM768 key exchange failed"
    );
    assert_eq!(
        crate::Error::from(CryptoError::KeyExchangeFailed { group: "x25519" }).alert(),
        Some(AlertDescription::InternalError)
    );
}

#[test]
fn wrong_lengths_are_rejected_on_both_sides() {
    for &group in supported_groups() {
        let (client_len, server_len) = share_len(group);
        let good = KeyExchange::start(group).unwrap();
        let (good_server_share, _) = server_key_exchange(group, good.public_share()).unwrap();
        for len in [0, 1, client_len - 1, client_len + 1] {
            let mut share = good.public_share().to_vec();
            share.resize(len, 4);
            assert_bad_share(
                group,
                server_key_exchange(group, &share),
                &format!("{group} client share of {len}"),
            );
        }
        for len in [0, 1, server_len - 1, server_len + 1] {
            let mut share = good_server_share.clone();
            share.resize(len, 4);
            let client = KeyExchange::start(group).unwrap();
            assert_bad_share(
                group,
                client.complete(&share),
                &format!("{group} server share of {len}"),
            );
        }
    }
}

#[test]
fn x25519_low_order_points_are_rejected() {
    // The all-zero point and the point of order 8 (RFC 7748, curve25519 small-order
    // points) give an all-zero shared secret.
    let order8 = unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    for point in [vec![0u8; 32], order8] {
        let client = KeyExchange::start(NamedGroup::X25519).unwrap();
        assert_bad_share(NamedGroup::X25519, client.complete(&point), "client");
        assert_bad_share(
            NamedGroup::X25519,
            server_key_exchange(NamedGroup::X25519, &point),
            "server",
        );

        // The X25519 half of the hybrid gets the same check.
        let hybrid = KeyExchange::start(NamedGroup::X25519MLKEM768).unwrap();
        let mut share = hybrid.public_share()[..MLKEM768_EK_LEN].to_vec();
        share.extend_from_slice(&point);
        assert_bad_share(
            NamedGroup::X25519MLKEM768,
            server_key_exchange(NamedGroup::X25519MLKEM768, &share),
            "hybrid server",
        );
        let (server_share, _) =
            server_key_exchange(NamedGroup::X25519MLKEM768, hybrid.public_share()).unwrap();
        let mut bad = server_share[..MLKEM768_CT_LEN].to_vec();
        bad.extend_from_slice(&point);
        assert_bad_share(
            NamedGroup::X25519MLKEM768,
            hybrid.complete(&bad),
            "hybrid client",
        );
    }
}

#[test]
fn ec_points_must_be_uncompressed_and_on_the_curve() {
    for group in [NamedGroup::secp256r1, NamedGroup::secp384r1] {
        let good = KeyExchange::start(group).unwrap();
        let share = good.public_share().to_vec();

        // A compressed point of the right total length is still not accepted.
        let mut compressed_marker = share.clone();
        compressed_marker[0] = 0x02;
        assert_bad_share(
            group,
            server_key_exchange(group, &compressed_marker),
            "0x02 marker",
        );
        // The real compressed encoding (33 or 49 bytes) fails on length.
        let half = (share.len() - 1) / 2;
        let mut compressed = vec![0x02 | (share[share.len() - 1] & 1)];
        compressed.extend_from_slice(&share[1..1 + half]);
        assert_bad_share(group, server_key_exchange(group, &compressed), "compressed");
        // Off the curve: perturb Y.
        let mut off_curve = share.clone();
        let last = off_curve.len() - 1;
        off_curve[last] ^= 0x01;
        assert_bad_share(group, server_key_exchange(group, &off_curve), "off curve");
        assert_bad_share(
            group,
            KeyExchange::start(group).unwrap().complete(&off_curve),
            "client off curve",
        );
        // The point at infinity, padded out.
        let mut infinity = vec![0x04];
        infinity.resize(share.len(), 0);
        assert_bad_share(group, server_key_exchange(group, &infinity), "zero point");
    }
}

#[test]
fn mlkem_encapsulation_key_check() {
    // FIPS 203, 7.2: every 12-bit coefficient must be below q = 3329. All 0xff
    // bytes decode to 4095, so the modulus check must fail.
    let mut share = vec![0xffu8; MLKEM768_EK_LEN];
    share.extend_from_slice(
        KeyExchange::start(NamedGroup::X25519)
            .unwrap()
            .public_share(),
    );
    assert_bad_share(
        NamedGroup::X25519MLKEM768,
        server_key_exchange(NamedGroup::X25519MLKEM768, &share),
        "ek modulus",
    );
}

#[test]
fn mlkem_tampered_ciphertext_gives_different_secret() {
    // ML-KEM decapsulation never fails on a well-sized ciphertext: it implicitly
    // rejects, producing an unrelated secret that makes the Finished check fail.
    let client = KeyExchange::start(NamedGroup::X25519MLKEM768).unwrap();
    let (mut share, server_secret) =
        server_key_exchange(NamedGroup::X25519MLKEM768, client.public_share()).unwrap();
    share[5] ^= 0x40;
    let client_secret = client.complete(&share).unwrap();
    assert_ne!(client_secret, server_secret);
    assert_eq!(
        client_secret.as_bytes()[32..],
        server_secret.as_bytes()[32..]
    );
}

#[test]
fn groups_cannot_be_mixed() {
    // A valid P-384 point sent for secp256r1 (and vice versa) fails on length.
    let p384 = KeyExchange::start(NamedGroup::secp384r1).unwrap();
    assert_bad_share(
        NamedGroup::secp256r1,
        server_key_exchange(NamedGroup::secp256r1, p384.public_share()),
        "p384 as p256",
    );
    let p256 = KeyExchange::start(NamedGroup::secp256r1).unwrap();
    assert_bad_share(
        NamedGroup::secp384r1,
        p384.complete(p256.public_share()),
        "p256 as p384",
    );
}
