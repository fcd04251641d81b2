use super::*;
use crate::crypto::provider::Provider;
use crate::test_util::unhex;
use core::time::Duration;
use rustls_pki_types::UnixTime;

fn provider(seed: u64) -> Provider {
    Provider::fixed(seed, UnixTime::since_unix_epoch(Duration::ZERO))
}

const X25519_AES128: HpkeSuite = HpkeSuite {
    kem: HpkeKem::DhkemX25519HkdfSha256,
    kdf: HpkeKdf::HkdfSha256,
    aead: HpkeAead::Aes128Gcm,
};
const P256_AES128: HpkeSuite = HpkeSuite {
    kem: HpkeKem::DhkemP256HkdfSha256,
    kdf: HpkeKdf::HkdfSha256,
    aead: HpkeAead::Aes128Gcm,
};

/// One base-mode vector of RFC 9180, appendix B. Every vector encrypts the same
/// plaintext with aad "Count-<seq>".
struct Vector {
    suite: (u16, u16, u16),
    info: &'static str,
    ikm_e: &'static str,
    pk_em: &'static str,
    sk_em: &'static str,
    ikm_r: &'static str,
    pk_rm: &'static str,
    sk_rm: &'static str,
    enc: &'static str,
    shared_secret: &'static str,
    key: &'static str,
    base_nonce: &'static str,
    /// (sequence number, nonce, ct)
    encryptions: [(u64, &'static str, &'static str); 6],
}

const PT: &str = "4265617574792069732074727574682c20747275746820626561757479";

/// B.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
const B_1_1: Vector = Vector {
    suite: (0x0020, 0x0001, 0x0001),
    info: "4f6465206f6e2061204772656369616e2055726e",
    ikm_e: "7268600d403fce431561aef583ee1613527cff655c1343f29812e66706df3234",
    pk_em: "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    sk_em: "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736",
    ikm_r: "6db9df30aa07dd42ee5e8181afdb977e538f5e1fec8a06223f33f7013e525037",
    pk_rm: "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    sk_rm: "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8",
    enc: "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431",
    shared_secret: "fe0e18c9f024ce43799ae393c7e8fe8fce9d218875e8227b0187c04e7d2ea1fc",
    key: "4531685d41d65f03dc48f6b8302c05b0",
    base_nonce: "56d890e5accaaf011cff4b7d",
    encryptions: [
        (
            0,
            "56d890e5accaaf011cff4b7d",
            "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9
             6d8770ac83d07bea87e13c512a",
        ),
        (
            1,
            "56d890e5accaaf011cff4b7c",
            "af2d7e9ac9ae7e270f46ba1f975be53c09f8d875bdc8535458c2494e8a6eab25
             1c03d0c22a56b8ca42c2063b84",
        ),
        (
            2,
            "56d890e5accaaf011cff4b7f",
            "498dfcabd92e8acedc281e85af1cb4e3e31c7dc394a1ca20e173cb7251649158
             8d96a19ad4a683518973dcc180",
        ),
        (
            4,
            "56d890e5accaaf011cff4b79",
            "583bd32bc67a5994bb8ceaca813d369bca7b2a42408cddef5e22f880b631215a
             09fc0012bc69fccaa251c0246d",
        ),
        (
            255,
            "56d890e5accaaf011cff4b82",
            "7175db9717964058640a3a11fb9007941a5d1757fda1a6935c805c21af32505b
             f106deefec4a49ac38d71c9e0a",
        ),
        (
            256,
            "56d890e5accaaf011cff4a7d",
            "957f9800542b0b8891badb026d79cc54597cb2d225b54c00c5238c25d05c30e3
             fbeda97d2e0e1aba483a2df9f2",
        ),
    ],
};

/// B.2.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305.
const B_2_1: Vector = Vector {
    suite: (0x0020, 0x0001, 0x0003),
    info: "4f6465206f6e2061204772656369616e2055726e",
    ikm_e: "909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b",
    pk_em: "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
    sk_em: "f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600",
    ikm_r: "1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df",
    pk_rm: "4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a",
    sk_rm: "8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb",
    enc: "1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a",
    shared_secret: "0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7",
    key: "ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91",
    base_nonce: "5c4d98150661b848853b547f",
    encryptions: [
        (
            0,
            "5c4d98150661b848853b547f",
            "1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db
             21993c62ce81883d2dd1b51a28",
        ),
        (
            1,
            "5c4d98150661b848853b547e",
            "6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e
             85285337cc95ba5f59992dc98c",
        ),
        (
            2,
            "5c4d98150661b848853b547d",
            "71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02
             b4f10ecac6f48c32f878fae86b",
        ),
        (
            4,
            "5c4d98150661b848853b547b",
            "63357a2aa291f5a4e5f27db6baa2af8cf77427c7c1a909e0b37214dd47db122b
             b153495ff0b02e9e54a50dbe16",
        ),
        (
            255,
            "5c4d98150661b848853b5480",
            "18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b888
             0a5f6b3936da9cd6c23ef2a95c",
        ),
        (
            256,
            "5c4d98150661b848853b557f",
            "7a4a13e9ef23978e2c520fd4d2e757514ae160cd0cd05e556ef692370ca53076
             214c0c40d4c728d6ed9e727a5b",
        ),
    ],
};

/// B.3.1: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM.
const B_3_1: Vector = Vector {
    suite: (0x0010, 0x0001, 0x0001),
    info: "4f6465206f6e2061204772656369616e2055726e",
    ikm_e: "4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e",
    pk_em: "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b32
            5ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
    sk_em: "4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb",
    ikm_r: "668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550",
    pk_rm: "04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f70
            6a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0",
    sk_rm: "f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2",
    enc: "04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325
          ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4",
    shared_secret: "c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8",
    key: "868c066ef58aae6dc589b6cfdd18f97e",
    base_nonce: "4e0bc5018beba4bf004cca59",
    encryptions: [
        (
            0,
            "4e0bc5018beba4bf004cca59",
            "5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f
             9076ac232e3ab2523f39513434",
        ),
        (
            1,
            "4e0bc5018beba4bf004cca58",
            "fa6f037b47fc21826b610172ca9637e82d6e5801eb31cbd3748271affd4ecb06
             646e0329cbdf3c3cd655b28e82",
        ),
        (
            2,
            "4e0bc5018beba4bf004cca5b",
            "895cabfac50ce6c6eb02ffe6c048bf53b7f7be9a91fc559402cbc5b8dcaeb52b
             2ccc93e466c28fb55fed7a7fec",
        ),
        (
            4,
            "4e0bc5018beba4bf004cca5d",
            "8787491ee8df99bc99a246c4b3216d3d57ab5076e18fa27133f520703bc70ec9
             99dd36ce042e44f0c3169a6a8f",
        ),
        (
            255,
            "4e0bc5018beba4bf004ccaa6",
            "2ad71c85bf3f45c6eca301426289854b31448bcf8a8ccb1deef3ebd87f60848a
             a53c538c30a4dac71d619ee2cd",
        ),
        (
            256,
            "4e0bc5018beba4bf004ccb59",
            "10f179686aa2caec1758c8e554513f16472bd0a11e2a907dde0b212cbe87d74f
             367f8ffe5e41cd3e9962a6afb2",
        ),
    ],
};

/// Runs one vector: key pairs from ikm, the KEM and key schedule outputs, then
/// 257 messages sealed and opened in order, checked where the RFC lists them.
fn known_answer(v: &Vector) {
    let (kem_id, kdf_id, aead_id) = v.suite;
    let suite = HpkeSuite::from_ids(kem_id, kdf_id, aead_id).unwrap();
    let name = suite.to_string();
    let info = unhex(v.info);

    let ephemeral = HpkeKeyPair::derive(suite.kem, &unhex(v.ikm_e)).unwrap();
    assert_eq!(ephemeral.private_key(), unhex(v.sk_em), "{name} skEm");
    assert_eq!(ephemeral.public_key(), unhex(v.pk_em), "{name} pkEm");
    let recipient = HpkeKeyPair::derive(suite.kem, &unhex(v.ikm_r)).unwrap();
    assert_eq!(recipient.private_key(), unhex(v.sk_rm), "{name} skRm");
    assert_eq!(recipient.public_key(), unhex(v.pk_rm), "{name} pkRm");
    // Deserializing the private key gives the same pair.
    let again = HpkeKeyPair::from_private(suite.kem, &unhex(v.sk_rm)).unwrap();
    assert_eq!(again.public_key(), unhex(v.pk_rm), "{name} pk(skRm)");

    // The KEM and the key schedule, step by step.
    let (shared_secret, enc) = encap(suite.kem, recipient.public_key(), &ephemeral).unwrap();
    assert_eq!(enc, unhex(v.enc), "{name} enc");
    assert_eq!(
        shared_secret.as_bytes(),
        unhex(v.shared_secret),
        "{name} shared_secret"
    );
    let decapped = decap(suite.kem, &enc, &recipient).unwrap();
    assert_eq!(decapped, shared_secret, "{name} Decap");
    let schedule = key_schedule(suite, &shared_secret, &info);
    assert_eq!(schedule.key.as_bytes(), unhex(v.key), "{name} key");
    assert_eq!(
        schedule.base_nonce[..],
        unhex(v.base_nonce),
        "{name} base_nonce"
    );

    // The public API end to end.
    let (enc, mut sender) =
        setup_base_sender_with_ephemeral(suite, recipient.public_key(), &info, &ephemeral).unwrap();
    assert_eq!(enc, unhex(v.enc), "{name} enc");
    let mut receiver = setup_base_receiver(suite, &enc, &recipient, &info).unwrap();
    let pt = unhex(PT);
    let mut checked = 0;
    for seq in 0..=256u64 {
        let aad = format!("Count-{seq}");
        let expected = v.encryptions.iter().find(|(s, _, _)| *s == seq);
        if let Some((_, nonce, _)) = expected {
            assert_eq!(sender.ctx.nonce()[..], unhex(nonce), "{name} nonce {seq}");
        }
        let ct = sender.seal(aad.as_bytes(), &pt).unwrap();
        if let Some((_, _, expected_ct)) = expected {
            assert_eq!(ct, unhex(expected_ct), "{name} ct {seq}");
            checked += 1;
        }
        assert_eq!(
            receiver.open(aad.as_bytes(), &ct).unwrap(),
            pt,
            "{name} open {seq}"
        );
    }
    assert_eq!(checked, v.encryptions.len());
}

#[test]
fn rfc9180_b_1_1_x25519_sha256_aes128gcm() {
    known_answer(&B_1_1);
}

#[test]
fn rfc9180_b_2_1_x25519_sha256_chacha20poly1305() {
    known_answer(&B_2_1);
}

#[test]
fn rfc9180_b_3_1_p256_sha256_aes128gcm() {
    known_answer(&B_3_1);
}

fn all_suites() -> Vec<HpkeSuite> {
    let mut suites = Vec::new();
    for kem in [0x0010, 0x0020] {
        for kdf in [0x0001, 0x0002] {
            for aead in [0x0001, 0x0002, 0x0003] {
                suites.push(HpkeSuite::from_ids(kem, kdf, aead).unwrap());
            }
        }
    }
    suites
}

#[test]
fn every_suite_round_trips() {
    let p = provider(1);
    let suites = all_suites();
    assert_eq!(suites.len(), 12);
    for suite in suites {
        let recipient = HpkeKeyPair::generate(suite.kem, &*p.random).unwrap();
        assert_eq!(
            recipient.public_key().len(),
            suite.kem.public_key_len(),
            "{suite}"
        );
        let info = b"tls ech\x00config";
        let (enc, mut sender) =
            setup_base_sender(suite, recipient.public_key(), info, &*p.random).unwrap();
        assert_eq!(enc.len(), suite.kem.public_key_len(), "{suite}");
        let mut receiver = setup_base_receiver(suite, &enc, &recipient, info).unwrap();
        assert_eq!(sender.suite(), suite);
        assert_eq!(receiver.suite(), suite);
        for (i, pt) in [&b""[..], b"ClientHelloInner", &[0xa5; 1000]]
            .into_iter()
            .enumerate()
        {
            let aad = [i as u8; 5];
            let ct = sender.seal(&aad, pt).unwrap();
            assert_eq!(ct.len(), pt.len() + TAG_LEN, "{suite}");
            assert_eq!(receiver.open(&aad, &ct).unwrap(), pt, "{suite} {i}");
        }
        // A context for another info derives other keys.
        let mut other = setup_base_receiver(suite, &enc, &recipient, b"other").unwrap();
        let ct = sender.seal(b"", b"x").unwrap();
        assert!(other.open(b"", &ct).is_err(), "{suite}");
    }
}

#[test]
fn suite_ids_and_names() {
    let suite = HpkeSuite::from_ids(0x0010, 0x0002, 0x0003).unwrap();
    assert_eq!(
        suite,
        HpkeSuite {
            kem: HpkeKem::DhkemP256HkdfSha256,
            kdf: HpkeKdf::HkdfSha384,
            aead: HpkeAead::ChaCha20Poly1305,
        }
    );
    assert_eq!(
        (suite.kem_id(), suite.kdf_id(), suite.aead_id()),
        (0x0010, 0x0002, 0x0003)
    );
    assert_eq!(
        suite.to_string(),
        "DHKEM(P-256, HKDF-SHA256), HKDF-SHA384, ChaCha20Poly1305"
    );
    assert_eq!(suite.suite_id(), *b"HPKE\x00\x10\x00\x02\x00\x03");
    assert_eq!(HpkeKem::DhkemX25519HkdfSha256.suite_id(), *b"KEM\x00\x20");
    for s in all_suites() {
        let back = HpkeSuite::from_ids(s.kem_id(), s.kdf_id(), s.aead_id());
        assert_eq!(back, Some(s));
        assert_eq!(usize::from(s.aead.nk()), s.aead.algorithm().key_len());
    }
    // P-384, P-521, X448, HKDF-SHA512, export-only and reserved ids are refused.
    for (kem, kdf, aead) in [
        (0x0011, 1, 1),
        (0x0012, 1, 1),
        (0x0021, 1, 1),
        (0x0000, 1, 1),
        (0x0020, 0x0003, 1),
        (0x0020, 0, 1),
        (0x0020, 1, 0xffff),
        (0x0020, 1, 0),
    ] {
        assert_eq!(HpkeSuite::from_ids(kem, kdf, aead), None);
    }
}

#[test]
fn tampered_ciphertext_or_aad_fails_to_open() {
    let p = provider(2);
    let recipient = HpkeKeyPair::generate(X25519_AES128.kem, &*p.random).unwrap();
    let (enc, mut sender) =
        setup_base_sender(X25519_AES128, recipient.public_key(), b"info", &*p.random).unwrap();
    let mut receiver = setup_base_receiver(X25519_AES128, &enc, &recipient, b"info").unwrap();
    let ct = sender.seal(b"aad", b"secret inner hello").unwrap();
    let expected = "HPKE open failed for sequence number 0 with DHKEM(X25519, HKDF-SHA256), \
                    HKDF-SHA256, AES-128-GCM: the ciphertext or its associated data was \
                    altered, or it was sealed with a different key, info or sequence number";

    for i in [0, ct.len() - TAG_LEN, ct.len() - 1] {
        let mut tampered = ct.clone();
        tampered[i] ^= 0x01;
        let err = receiver.open(b"aad", &tampered).unwrap_err();
        assert_eq!(
            err,
            HpkeError::OpenFailed {
                suite: X25519_AES128,
                seq: 0
            }
        );
        assert_eq!(err.to_string(), expected, "byte {i}");
    }
    let err = receiver.open(b"aaD", &ct).unwrap_err();
    assert_eq!(err.to_string(), expected);
    let err = receiver.open(b"aad", &ct[..ct.len() - 1]).unwrap_err();
    assert_eq!(err.to_string(), expected);

    // Failed opens do not use up the sequence number: the real one still opens.
    assert_eq!(receiver.open(b"aad", &ct).unwrap(), b"secret inner hello");
    // Out of order: message 2 cannot be opened as message 1.
    let _one = sender.seal(b"", b"one").unwrap();
    let two = sender.seal(b"", b"two").unwrap();
    let err = receiver.open(b"", &two).unwrap_err();
    assert_eq!(
        err,
        HpkeError::OpenFailed {
            suite: X25519_AES128,
            seq: 1
        }
    );
}

#[test]
fn ciphertext_shorter_than_the_tag_is_refused() {
    let p = provider(3);
    let recipient = HpkeKeyPair::generate(P256_AES128.kem, &*p.random).unwrap();
    let (enc, _) = setup_base_sender(P256_AES128, recipient.public_key(), b"", &*p.random).unwrap();
    let mut receiver = setup_base_receiver(P256_AES128, &enc, &recipient, b"").unwrap();
    let err = receiver.open(b"", &[0; 15]).unwrap_err();
    assert_eq!(
        err,
        HpkeError::CiphertextTooShort {
            suite: P256_AES128,
            seq: 0,
            len: 15
        }
    );
    assert_eq!(
        err.to_string(),
        "the HPKE ciphertext for sequence number 0 is 15 bytes, shorter than the \
         16-byte AES-128-GCM tag; it was truncated or is not a ciphertext"
    );
    // Exactly a tag is a well-formed (empty) ciphertext that fails to authenticate.
    assert_eq!(
        receiver.open(b"", &[0; 16]).unwrap_err(),
        HpkeError::OpenFailed {
            suite: P256_AES128,
            seq: 0
        }
    );
}

#[test]
fn wrong_length_enc_and_public_keys_are_refused() {
    let p = provider(4);
    let x = HpkeKeyPair::generate(X25519_AES128.kem, &*p.random).unwrap();
    let err = setup_base_receiver(X25519_AES128, &[9; 31], &x, b"").unwrap_err();
    assert_eq!(
        err,
        HpkeError::WrongPublicKeyLength {
            kem: HpkeKem::DhkemX25519HkdfSha256,
            key: PublicKeyRole::Encapsulated,
            expected: 32,
            got: 31
        }
    );
    assert_eq!(
        err.to_string(),
        "the HPKE encapsulated key (enc) is 31 bytes, but DHKEM(X25519, HKDF-SHA256) \
         needs 32"
    );
    for len in [0, 33, 65] {
        let err = setup_base_receiver(X25519_AES128, &vec![9; len], &x, b"").unwrap_err();
        assert!(
            matches!(err, HpkeError::WrongPublicKeyLength { got, .. } if got == len),
            "{len}"
        );
    }

    // A P-256 enc sent for an X25519 suite, and the other way round.
    let pk = HpkeKeyPair::generate(P256_AES128.kem, &*p.random).unwrap();
    let err = setup_base_sender(X25519_AES128, pk.public_key(), b"", &*p.random).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the HPKE recipient public key is 65 bytes, but DHKEM(X25519, HKDF-SHA256) \
         needs 32"
    );
    let err = setup_base_receiver(P256_AES128, x.public_key(), &pk, b"").unwrap_err();
    assert_eq!(
        err.to_string(),
        "the HPKE encapsulated key (enc) is 32 bytes, but DHKEM(P-256, HKDF-SHA256) \
         needs 65"
    );
}

#[test]
fn all_zero_x25519_point_is_refused() {
    let p = provider(5);
    let recipient = HpkeKeyPair::generate(X25519_AES128.kem, &*p.random).unwrap();
    // The zero point and a point of order 8 (RFC 7748's small-order points).
    let order8 = unhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800");
    for point in [vec![0u8; 32], order8] {
        let err = setup_base_receiver(X25519_AES128, &point, &recipient, b"").unwrap_err();
        assert_eq!(
            err,
            HpkeError::ZeroSharedSecret {
                kem: HpkeKem::DhkemX25519HkdfSha256,
                key: PublicKeyRole::Encapsulated
            }
        );
        assert_eq!(
            err.to_string(),
            "the HPKE encapsulated key (enc) is a low-order point: DHKEM(X25519, \
             HKDF-SHA256) Diffie-Hellman with it gives all zeros, so it is refused"
        );
        let err = setup_base_sender(X25519_AES128, &point, b"", &*p.random).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the HPKE recipient public key is a low-order point: DHKEM(X25519, \
             HKDF-SHA256) Diffie-Hellman with it gives all zeros, so it is refused"
        );
    }
}

#[test]
fn invalid_p256_points_are_refused() {
    let p = provider(6);
    let recipient = HpkeKeyPair::generate(P256_AES128.kem, &*p.random).unwrap();
    let good = recipient.public_key().to_vec();
    let mut compressed_marker = good.clone();
    compressed_marker[0] = 0x02;
    let mut off_curve = good.clone();
    off_curve[64] ^= 0x01;
    let mut infinity = vec![0u8; 65];
    infinity[0] = UNCOMPRESSED;
    let mut x_too_big = vec![0xffu8; 65];
    x_too_big[0] = UNCOMPRESSED;
    for (what, point) in [
        ("0x02 marker", compressed_marker),
        ("off curve", off_curve),
        ("infinity", infinity),
        ("coordinates out of range", x_too_big),
    ] {
        let err = setup_base_sender(P256_AES128, &point, b"", &*p.random).unwrap_err();
        assert_eq!(
            err,
            HpkeError::InvalidPublicKey {
                kem: HpkeKem::DhkemP256HkdfSha256,
                key: PublicKeyRole::Recipient
            },
            "{what}"
        );
        assert_eq!(
            err.to_string(),
            "the HPKE recipient public key is not a valid DHKEM(P-256, HKDF-SHA256) \
             public key: it must be an uncompressed point (0x04 || X || Y) on the curve",
            "{what}"
        );
        let err = setup_base_receiver(P256_AES128, &point, &recipient, b"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the HPKE encapsulated key (enc) is not a valid DHKEM(P-256, HKDF-SHA256) \
             public key: it must be an uncompressed point (0x04 || X || Y) on the curve",
            "{what}"
        );
    }
    // The genuine compressed form (33 bytes) fails on length.
    let mut compressed = vec![0x02 | (good[64] & 1)];
    compressed.extend_from_slice(&good[1..33]);
    let err = setup_base_sender(P256_AES128, &compressed, b"", &*p.random).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the HPKE recipient public key is 33 bytes, but DHKEM(P-256, HKDF-SHA256) needs 65"
    );
}

#[test]
fn private_keys_are_checked() {
    let err = HpkeKeyPair::from_private(HpkeKem::DhkemX25519HkdfSha256, &[1; 31]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a 31-byte HPKE private key is the wrong size for DHKEM(X25519, HKDF-SHA256), \
         which needs 32"
    );
    let p256 = HpkeKem::DhkemP256HkdfSha256;
    let mut order_minus_one = P256_ORDER;
    order_minus_one[31] -= 1;
    let mut order_plus_one = P256_ORDER;
    order_plus_one[31] += 1;
    for bad in [[0u8; 32], P256_ORDER, order_plus_one, [0xff; 32]] {
        let err = HpkeKeyPair::from_private(p256, &bad).unwrap_err();
        assert_eq!(err, HpkeError::InvalidPrivateKey { kem: p256 });
        assert_eq!(
            err.to_string(),
            "the HPKE private key is not a valid DHKEM(P-256, HKDF-SHA256) private key: \
             the scalar is zero or not below the group order"
        );
    }
    let mut one = [0u8; 32];
    one[31] = 1;
    for good in [one, order_minus_one] {
        let pair = HpkeKeyPair::from_private(p256, &good).unwrap();
        assert_eq!(pair.private_key(), good);
        assert_eq!(pair.public_key().len(), 65);
        assert_eq!(pair.kem(), p256);
    }
    // sk = 1 gives the generator.
    let g = HpkeKeyPair::from_private(p256, &one).unwrap();
    assert_eq!(
        g.public_key(),
        unhex(
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296
             4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5"
        )
    );
    assert_eq!(
        HpkeError::InvalidPrivateKey {
            kem: HpkeKem::DhkemX25519HkdfSha256
        }
        .to_string(),
        "the HPKE private key is not a valid DHKEM(X25519, HKDF-SHA256) private key: \
         aws-lc refused it"
    );
}

#[test]
fn p256_scalar_range_check() {
    let mut below = P256_ORDER;
    below[0] = 0xfe;
    assert!(p256_scalar_in_range(&below));
    let mut above_early = [0u8; 32];
    above_early[4] = 0x01; // ffffffff01.. > ffffffff00..
    above_early[..4].copy_from_slice(&[0xff; 4]);
    assert!(!p256_scalar_in_range(&above_early));
    assert!(!p256_scalar_in_range(&[1; 31]));
    assert!(p256_scalar_in_range(&[1; 32]));
}

#[test]
fn key_pair_and_suite_kem_must_match() {
    let p = provider(7);
    let x = HpkeKeyPair::generate(HpkeKem::DhkemX25519HkdfSha256, &*p.random).unwrap();
    let enc = vec![4u8; 65];
    let err = setup_base_receiver(P256_AES128, &enc, &x, b"").unwrap_err();
    assert_eq!(
        err,
        HpkeError::KemMismatch {
            suite: P256_AES128,
            key_kem: HpkeKem::DhkemX25519HkdfSha256
        }
    );
    assert_eq!(
        err.to_string(),
        "the HPKE key pair is for DHKEM(X25519, HKDF-SHA256), but the suite \
         DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM uses DHKEM(P-256, HKDF-SHA256)"
    );
    let p256 = HpkeKeyPair::generate(HpkeKem::DhkemP256HkdfSha256, &*p.random).unwrap();
    let err =
        setup_base_sender_with_ephemeral(P256_AES128, p256.public_key(), b"", &x).unwrap_err();
    assert!(matches!(err, HpkeError::KemMismatch { .. }));
}

#[test]
fn randomness_comes_from_the_provider() {
    // Same seed, same enc; and GenerateKeyPair is DeriveKeyPair(random(Nsk)).
    let recipient = HpkeKeyPair::derive(X25519_AES128.kem, &[7; 32]).unwrap();
    let (a, _) = setup_base_sender(
        X25519_AES128,
        recipient.public_key(),
        b"",
        &*provider(8).random,
    )
    .unwrap();
    let (b, _) = setup_base_sender(
        X25519_AES128,
        recipient.public_key(),
        b"",
        &*provider(8).random,
    )
    .unwrap();
    assert_eq!(a, b);
    let ikm = provider(8).random_array::<32>().unwrap();
    let expected = HpkeKeyPair::derive(X25519_AES128.kem, &ikm).unwrap();
    assert_eq!(a, expected.public_key());
    let (c, _) = setup_base_sender(
        X25519_AES128,
        recipient.public_key(),
        b"",
        &*provider(9).random,
    )
    .unwrap();
    assert_ne!(a, c);
}

#[derive(Debug)]
struct BrokenRandom;

impl RandomSource for BrokenRandom {
    fn fill(&self, _: &mut [u8]) -> Result<(), CryptoError> {
        Err(CryptoError::RandomFailed)
    }
}

#[test]
fn random_source_failure_is_reported() {
    let recipient = HpkeKeyPair::derive(P256_AES128.kem, &[7; 32]).unwrap();
    let err =
        setup_base_sender(P256_AES128, recipient.public_key(), b"", &BrokenRandom).unwrap_err();
    assert_eq!(
        err,
        HpkeError::RandomFailed {
            kem: HpkeKem::DhkemP256HkdfSha256,
            source: CryptoError::RandomFailed
        }
    );
    assert_eq!(
        err.to_string(),
        "could not generate a DHKEM(P-256, HKDF-SHA256) key pair: the system random \
         source failed"
    );
}

#[test]
fn message_limit_is_enforced_on_both_sides() {
    let p = provider(10);
    let recipient = HpkeKeyPair::generate(X25519_AES128.kem, &*p.random).unwrap();
    let (enc, mut sender) =
        setup_base_sender(X25519_AES128, recipient.public_key(), b"", &*p.random).unwrap();
    let mut receiver = setup_base_receiver(X25519_AES128, &enc, &recipient, b"").unwrap();
    sender.ctx.seq = u64::MAX - 1;
    receiver.ctx.seq = u64::MAX - 1;
    let ct = sender.seal(b"", b"last").unwrap();
    assert_eq!(receiver.open(b"", &ct).unwrap(), b"last");
    let err = sender.seal(b"", b"one more").unwrap_err();
    assert_eq!(
        err,
        HpkeError::MessageLimitReached {
            suite: X25519_AES128
        }
    );
    assert_eq!(
        err.to_string(),
        "this HPKE context (DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM) has \
         used all 2^64 - 1 sequence numbers; set up a new context"
    );
    assert_eq!(receiver.open(b"", &ct).unwrap_err(), err);
    assert_eq!(sender.ctx.seq, u64::MAX);
    assert_eq!(
        format!("{sender:?}"),
        format!(
            "SenderContext(DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, seq {})",
            u64::MAX
        )
    );
}

#[test]
fn nonce_is_base_nonce_xor_sequence_number() {
    let schedule = KeySchedule {
        key: Secret::from(&[0u8; 16][..]),
        base_nonce: [0xaa; 12],
    };
    let mut ctx = Context::new(X25519_AES128, schedule).unwrap();
    assert_eq!(ctx.nonce(), [0xaa; 12]);
    ctx.seq = 0x0102_0304_0506_0708;
    assert_eq!(
        ctx.nonce(),
        [0xaa, 0xaa, 0xaa, 0xaa, 0xab, 0xa8, 0xa9, 0xae, 0xaf, 0xac, 0xad, 0xa2]
    );
}

#[test]
fn internal_error_texts() {
    assert_eq!(
        HpkeError::DeriveKeyPairFailed {
            kem: HpkeKem::DhkemP256HkdfSha256
        }
        .to_string(),
        "DHKEM(P-256, HKDF-SHA256) DeriveKeyPair found no valid private key in 256 \
         candidates; use different input keying material"
    );
    assert_eq!(
        HpkeError::AeadKeyRejected { suite: P256_AES128 }.to_string(),
        "internal error: aws-lc refused the AES-128-GCM key derived by the HPKE key \
         schedule of DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM"
    );
    assert_eq!(
        HpkeError::SealFailed {
            suite: X25519_AES128,
            seq: 3
        }
        .to_string(),
        "HPKE seal failed for sequence number 3 with DHKEM(X25519, HKDF-SHA256), \
         HKDF-SHA256, AES-128-GCM: the AEAD refused the input (the plaintext may be \
         longer than it allows)"
    );
}

#[test]
fn debug_output_holds_no_secrets() {
    let pair = HpkeKeyPair::derive(X25519_AES128.kem, &[1; 32]).unwrap();
    assert_eq!(
        format!("{pair:?}"),
        "HpkeKeyPair(DHKEM(X25519, HKDF-SHA256))"
    );
    let (enc, sender) =
        setup_base_sender(X25519_AES128, pair.public_key(), b"", &*provider(11).random).unwrap();
    let receiver = setup_base_receiver(X25519_AES128, &enc, &pair, b"").unwrap();
    assert_eq!(
        format!("{receiver:?}"),
        "ReceiverContext(DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM, seq 0)"
    );
    assert!(format!("{sender:?}").starts_with("SenderContext("));
}
