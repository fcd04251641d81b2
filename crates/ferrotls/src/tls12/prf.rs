//! The TLS 1.2 PRF (RFC 5246, 5) and what is derived with it: the master secret
//! (8.1), the extended master secret (RFC 7627, 4), the key block (6.3) and
//! Finished.verify_data (7.4.9).
//!
//! Note the random order: the master secret's seed is `client_random +
//! server_random`, the key block's is `server_random + client_random`.

use zeroize::Zeroize;

use crate::crypto::tls12::PrfKey;
use crate::crypto::{constant_time_eq, HashAlgorithm, Secret};

/// Length of the master secret (RFC 5246, 8.1).
pub const MASTER_SECRET_LEN: usize = 48;
/// Length of Finished.verify_data for every TLS 1.2 suite we implement (RFC 5246, 7.4.9).
pub const VERIFY_DATA_LEN: usize = 12;
/// Finished label of the client (RFC 5246, 7.4.9).
pub const CLIENT_FINISHED: &[u8] = b"client finished";
/// Finished label of the server (RFC 5246, 7.4.9).
pub const SERVER_FINISHED: &[u8] = b"server finished";
/// The longest key block of our suites: AES-256-CBC with HMAC-SHA384, 2 * (48 + 32).
pub const MAX_KEY_BLOCK_LEN: usize = 160;

/// `len` bytes of P_hash(secret, seed).
fn p_hash_secret(key: &PrfKey, seed: [&[u8]; 3], len: usize) -> Secret {
    let mut out = vec![0u8; len];
    key.p_hash(seed, &mut out);
    Secret::from(out)
}

/// A master secret (RFC 5246, 8.1) with its PRF key prepared once: it derives the key
/// block (6.3) and both Finished values (7.4.9).
pub struct MasterSecret {
    secret: Secret,
    key: PrfKey,
}

impl MasterSecret {
    /// A master secret from its bytes, e.g. those of a resumed session.
    pub fn new(alg: HashAlgorithm, secret: Secret) -> Self {
        let key = PrfKey::new(alg, secret.as_bytes());
        MasterSecret { secret, key }
    }

    /// master_secret = PRF(pre_master_secret, "master secret", ClientHello.random +
    /// ServerHello.random)[0..47] (RFC 5246, 8.1).
    pub fn from_pre_master(
        alg: HashAlgorithm,
        pre_master: &[u8],
        client_random: &[u8; 32],
        server_random: &[u8; 32],
    ) -> Self {
        Self::derive(
            alg,
            pre_master,
            [b"master secret", client_random, server_random],
        )
    }

    /// master_secret = PRF(pre_master_secret, "extended master secret",
    /// session_hash)[0..47] (RFC 7627, 4).
    pub fn extended(alg: HashAlgorithm, pre_master: &[u8], session_hash: &[u8]) -> Self {
        Self::derive(
            alg,
            pre_master,
            [b"extended master secret", session_hash, &[]],
        )
    }

    fn derive(alg: HashAlgorithm, pre_master: &[u8], seed: [&[u8]; 3]) -> Self {
        let mut out = [0u8; MASTER_SECRET_LEN];
        PrfKey::new(alg, pre_master).p_hash(seed, &mut out);
        let master = Self::new(alg, Secret::from(&out[..]));
        out.as_mut_slice().zeroize();
        master
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.secret.as_bytes()
    }

    /// The bytes, to keep for resumption.
    pub fn into_secret(self) -> Secret {
        self.secret
    }

    /// Fills `out` with the key block: PRF(master_secret, "key expansion",
    /// server_random + client_random) (RFC 5246, 6.3). Note the order: server first.
    pub fn key_block(&self, server_random: &[u8; 32], client_random: &[u8; 32], out: &mut [u8]) {
        self.key
            .p_hash([b"key expansion", server_random, client_random], out);
    }

    /// verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))
    /// [0..11] (RFC 5246, 7.4.9).
    pub fn verify_data(&self, label: &[u8], handshake_hash: &[u8]) -> VerifyData {
        let mut out = VerifyData([0u8; VERIFY_DATA_LEN]);
        self.key.p_hash([label, handshake_hash, &[]], &mut out.0);
        out
    }
}

impl core::fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MasterSecret(..)")
    }
}

/// Finished.verify_data (RFC 5246, 7.4.9). Zeroized on drop; a received value is
/// checked with [`VerifyData::matches`], in constant time.
pub struct VerifyData([u8; VERIFY_DATA_LEN]);

impl VerifyData {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether `received` is this value, compared in constant time.
    pub fn matches(&self, received: &[u8]) -> bool {
        constant_time_eq(&self.0, received)
    }
}

impl core::fmt::Debug for VerifyData {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("VerifyData(..)")
    }
}

impl Drop for VerifyData {
    fn drop(&mut self) {
        self.0.as_mut_slice().zeroize();
    }
}

/// PRF(secret, label, seed) = `P_<hash>`(secret, label + seed) (RFC 5246, 5), where
/// the hash is the cipher suite's PRF hash (SHA-256, or SHA-384 for `_SHA384` suites).
pub fn prf(alg: HashAlgorithm, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Secret {
    p_hash_secret(&PrfKey::new(alg, secret), [label, seed, &[]], len)
}

/// master_secret = PRF(pre_master_secret, "master secret", ClientHello.random +
/// ServerHello.random)[0..47] (RFC 5246, 8.1).
pub fn master_secret(
    alg: HashAlgorithm,
    pre_master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> Secret {
    MasterSecret::from_pre_master(alg, pre_master, client_random, server_random).into_secret()
}

/// master_secret = PRF(pre_master_secret, "extended master secret", session_hash)
/// [0..47] (RFC 7627, 4), where `session_hash` is the hash of the handshake up to and
/// including ClientKeyExchange.
pub fn extended_master_secret(
    alg: HashAlgorithm,
    pre_master: &[u8],
    session_hash: &[u8],
) -> Secret {
    MasterSecret::extended(alg, pre_master, session_hash).into_secret()
}

/// key_block = PRF(master_secret, "key expansion", server_random + client_random)
/// (RFC 5246, 6.3), `len` bytes. Note the order: server random first.
pub fn key_block(
    alg: HashAlgorithm,
    master: &[u8],
    server_random: &[u8; 32],
    client_random: &[u8; 32],
    len: usize,
) -> Secret {
    p_hash_secret(
        &PrfKey::new(alg, master),
        [b"key expansion", server_random, client_random],
        len,
    )
}

/// verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))
/// [0..11] (RFC 5246, 7.4.9). `label` is [`CLIENT_FINISHED`] or [`SERVER_FINISHED`].
/// The result compares in constant time.
pub fn verify_data(
    alg: HashAlgorithm,
    master: &[u8],
    label: &[u8],
    handshake_hash: &[u8],
) -> Secret {
    prf(alg, master, label, handshake_hash, VERIFY_DATA_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::unhex;

    // The widely used TLS 1.2 PRF test vectors posted to the IETF TLS list; every
    // byte re-computed independently during development with Python's hmac/hashlib:
    //   def p(h,s,seed,n): a=seed; o=b''
    //       while len(o)<n: a=hmac.new(s,a,h).digest(); o+=hmac.new(s,a+seed,h).digest()
    //       return o[:n]
    //   p(hashlib.sha256, secret, b"test label"+seed, 100)

    #[test]
    fn prf_sha256_test_vector() {
        let out = prf(
            HashAlgorithm::Sha256,
            &unhex("9bbe436ba940f017b17652849a71db35"),
            b"test label",
            &unhex("a0ba9f936cda311827a6f796ffd5198c"),
            100,
        );
        assert_eq!(
            out.as_bytes(),
            unhex(
                "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a
                 6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab
                 4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701
                 87347b66"
            )
        );
    }

    #[test]
    fn prf_sha384_test_vector() {
        let out = prf(
            HashAlgorithm::Sha384,
            &unhex("b80b733d6ceefcdc71566ea48e5567df"),
            b"test label",
            &unhex("cd665cf6a8447dd6ff8b27555edb7465"),
            148,
        );
        assert_eq!(
            out.as_bytes(),
            unhex(
                "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd
                 e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd
                 8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425
                 9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6
                 91c8f3a26854308d5eaa3be85e0990703d73e56f"
            )
        );
    }

    #[test]
    fn p_hash_agrees_with_aws_lc_and_an_empty_secret_works() {
        // aws-lc's own TLS PRF is an independent implementation.
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            for len in [1, 12, 32, 48, 72, 100, MAX_KEY_BLOCK_LEN] {
                let (sr, cr) = ([0x50; 32], [0xc0; 32]);
                let ours = key_block(alg, &[0x0b; 48], &sr, &cr, len);
                let theirs =
                    crate::crypto::tls12_prf(alg, &[0x0b; 48], b"key expansion", &sr, &cr, len)
                        .unwrap();
                assert_eq!(ours, theirs, "{alg:?} {len}");
                let master = MasterSecret::new(alg, Secret::from(&[0x0b; 48][..]));
                let mut block = vec![0u8; len];
                master.key_block(&sr, &cr, &mut block);
                assert_eq!(block, theirs.as_bytes(), "{alg:?} {len}");
            }
        }
        // Python: p(hashlib.sha256, b"", b"test label" + b"seed", 40)
        assert_eq!(
            prf(HashAlgorithm::Sha256, b"", b"test label", b"seed", 40).as_bytes(),
            unhex(
                "1f5088aa173f0089a8483a551b442433a40399e4137c69b7aaf392429e5cea71
                 01650e6860ee65d8"
            )
        );
        assert!(prf(HashAlgorithm::Sha256, b"k", b"l", b"s", 0).is_empty());
    }

    #[test]
    fn every_suite_key_block_fits() {
        for s in crate::tls12::suites::DEFAULT_TLS12_SUITES
            .iter()
            .chain(crate::tls12::suites::LEGACY_TLS12_SUITES)
        {
            assert!(
                s.key_block_layout().total_len() <= MAX_KEY_BLOCK_LEN,
                "{s:?}"
            );
        }
    }

    #[test]
    fn prf_output_is_a_prefix_stream() {
        let long = prf(HashAlgorithm::Sha256, b"k", b"l", b"s", 97);
        for len in [0, 1, 31, 32, 33, 64, 96] {
            let short = prf(HashAlgorithm::Sha256, b"k", b"l", b"s", len);
            assert_eq!(short.as_bytes(), &long.as_bytes()[..len]);
        }
    }

    /// Inputs of the derivation-order test: pre-master 00..2f, client random
    /// c0..cf c0..cf, server random 50..5f 50..5f.
    fn order_inputs() -> (Vec<u8>, [u8; 32], [u8; 32]) {
        let pms: Vec<u8> = (0..48).collect();
        let cr: [u8; 32] = core::array::from_fn(|i| 0xc0 + (i % 16) as u8);
        let sr: [u8; 32] = core::array::from_fn(|i| 0x50 + (i % 16) as u8);
        (pms, cr, sr)
    }

    #[test]
    fn master_secret_and_key_block_follow_the_rfc_order() {
        // Expected values computed independently with Python hmac/hashlib:
        //   ms = PRF(pms, b"master secret", cr + sr, 48)
        //   kb = PRF(ms, b"key expansion", sr + cr, n)
        let (pms, cr, sr) = order_inputs();
        let ms = master_secret(HashAlgorithm::Sha256, &pms, &cr, &sr);
        assert_eq!(
            ms.as_bytes(),
            unhex(
                "75a642910f73d85f30bdd851fb44c784b6e260d70c282a2e3c640a2c68fea205
                 c2c4b59731e2c954cde8fbaecb6219e3"
            )
        );
        let kb = key_block(HashAlgorithm::Sha256, ms.as_bytes(), &sr, &cr, 72);
        assert_eq!(
            kb.as_bytes(),
            unhex(
                "fbc35200431fd2a7d592dffcd8094b005f5459d774a1253d4064ac358b770640
                 5a258db3ff79bdf15b978f5d5db8003eb4b3bd301ad59548d62c151cfbe5806d
                 2b461eab4dca827b"
            )
        );
        // Swapping the randoms in either step gives something else: the order matters.
        assert_ne!(master_secret(HashAlgorithm::Sha256, &pms, &sr, &cr), ms);
        assert_ne!(
            key_block(HashAlgorithm::Sha256, ms.as_bytes(), &cr, &sr, 72),
            kb
        );
        // The functions are exactly the PRF with the seeds in the RFC's order.
        let seed_cs = [cr.as_slice(), &sr].concat();
        let seed_sc = [sr.as_slice(), &cr].concat();
        assert_eq!(
            prf(HashAlgorithm::Sha256, &pms, b"master secret", &seed_cs, 48),
            ms
        );
        assert_eq!(
            prf(
                HashAlgorithm::Sha256,
                ms.as_bytes(),
                b"key expansion",
                &seed_sc,
                72
            ),
            kb
        );

        let ms384 = master_secret(HashAlgorithm::Sha384, &pms, &cr, &sr);
        assert_eq!(
            ms384.as_bytes(),
            unhex(
                "96a9cdbec0467566e8d4a664ad1db9869862903b89a3b600d165031dd5a84de9
                 5ae7d145a592a03cc2524aa88e8cc06e"
            )
        );
        let kb384 = key_block(HashAlgorithm::Sha384, ms384.as_bytes(), &sr, &cr, 88);
        assert_eq!(
            kb384.as_bytes(),
            unhex(
                "5d2582343d2cfa9aba84e89790676e2e9db576da75a8e1d331fd4a715d1cc82d
                 d92c9a995a0ebd5d336b758d147d5e20e0b961e96084c43ba8a62f03b2d94c1c
                 4671f278215bc7cd9f86761399ae233f17d30ba1ec633b9c"
            )
        );
    }

    #[test]
    fn extended_master_secret_and_finished() {
        // Python: sh = sha256(b"handshake messages");
        //   PRF(pms, b"extended master secret", sh, 48); PRF(ms, b"client finished", sh, 12)
        let (pms, cr, sr) = order_inputs();
        let sh = crate::crypto::hash(HashAlgorithm::Sha256, b"handshake messages");
        let ems = extended_master_secret(HashAlgorithm::Sha256, &pms, sh.as_ref());
        assert_eq!(
            ems.as_bytes(),
            unhex(
                "837a95d7e29469176bdd9f3b31a73809d8b5b68724a52db14fcdcd6b3371fe7b
                 0a1db91b4f40b82ceb19ead85773987b"
            )
        );
        let ms = master_secret(HashAlgorithm::Sha256, &pms, &cr, &sr);
        assert_ne!(ems, ms);
        let client = verify_data(
            HashAlgorithm::Sha256,
            ms.as_bytes(),
            CLIENT_FINISHED,
            sh.as_ref(),
        );
        let server = verify_data(
            HashAlgorithm::Sha256,
            ms.as_bytes(),
            SERVER_FINISHED,
            sh.as_ref(),
        );
        assert_eq!(client.as_bytes(), unhex("d59a4cdcc369cffbb0230c94"));
        assert_eq!(server.as_bytes(), unhex("c678a2414dc81a590e3cd00e"));
        assert_eq!(client.len(), VERIFY_DATA_LEN);

        // The prepared-key path: the same master secret and Finished values.
        let prepared = MasterSecret::from_pre_master(HashAlgorithm::Sha256, &pms, &cr, &sr);
        assert_eq!(prepared.as_bytes(), ms.as_bytes());
        let extended = MasterSecret::extended(HashAlgorithm::Sha256, &pms, sh.as_ref());
        assert_eq!(extended.as_bytes(), ems.as_bytes());
        let vd = prepared.verify_data(CLIENT_FINISHED, sh.as_ref());
        assert_eq!(vd.as_bytes(), client.as_bytes());
        assert!(vd.matches(client.as_bytes()));
        assert!(!vd.matches(server.as_bytes()));
        assert!(!vd.matches(&client.as_bytes()[..11]));
        assert!(prepared
            .verify_data(SERVER_FINISHED, sh.as_ref())
            .matches(server.as_bytes()));
        assert_eq!(
            format!("{vd:?} {prepared:?}"),
            "VerifyData(..) MasterSecret(..)"
        );
    }
}
