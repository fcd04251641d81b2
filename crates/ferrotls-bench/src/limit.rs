//! The "limit" column: what each row costs when done with raw aws-lc-rs primitives
//! and nothing else. No TLS stack can beat it on this machine.

use crate::clock::CpuInstant as Instant;

use aws_lc_rs::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::kem::{self, Ciphertext, DecapsulationKey, EncapsulationKey};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};

use crate::certs::{Chain, KeyType};
use crate::peers::{Aead, Groups, Version};
use crate::report::median;

/// TLS's largest plaintext fragment (RFC 8446, 5.1).
pub const RECORD: usize = 16384;

fn lc_alg(a: Aead) -> &'static aead::Algorithm {
    match a {
        Aead::Aes128Gcm => &aead::AES_128_GCM,
        Aead::Aes256Gcm => &aead::AES_256_GCM,
        Aead::Chacha20 => &aead::CHACHA20_POLY1305,
    }
}

/// Per-record plaintext and additional-data lengths as each version protects them:
/// TLS 1.3 seals the content-type byte with the data and authenticates the 5-byte
/// record header; TLS 1.2 authenticates 13 bytes (sequence, type, version, length).
fn record_shape(v: Version) -> (usize, usize) {
    match v {
        Version::Tls13 => (RECORD + 1, 5),
        Version::Tls12 => (RECORD, 13),
    }
}

fn key(a: Aead) -> LessSafeKey {
    let bytes = [7u8; 32];
    let alg = lc_alg(a);
    LessSafeKey::new(UnboundKey::new(alg, &bytes[..alg.key_len()]).expect("aead key"))
}

fn nonce(i: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[4..].copy_from_slice(&i.to_be_bytes());
    Nonce::assume_unique_for_key(n)
}

/// MB/s (10^6 bytes of application data per second) of sealing `total` bytes of
/// application data in full records; median of `samples`.
pub fn aead_seal(a: Aead, v: Version, total: usize, samples: usize) -> f64 {
    let (plen, alen) = record_shape(v);
    let k = key(a);
    let records = total.div_ceil(RECORD);
    let mut buf = vec![0x5au8; plen];
    let aad = vec![0x17u8; alen];
    let mut rates = Vec::new();
    let mut seq = 0u64;
    for _ in 0..samples {
        let t = Instant::now();
        for _ in 0..records {
            let tag = k
                .seal_in_place_separate_tag(nonce(seq), Aad::from(&aad[..]), &mut buf)
                .expect("seal");
            std::hint::black_box(&tag);
            seq += 1;
        }
        rates.push(total as f64 / t.elapsed().as_secs_f64() / 1e6);
    }
    median(&rates)
}

/// MB/s of opening what `aead_seal` produces (the ciphertexts are made untimed).
pub fn aead_open(a: Aead, v: Version, total: usize, samples: usize) -> f64 {
    let (plen, alen) = record_shape(v);
    let k = key(a);
    let records = total.div_ceil(RECORD);
    let aad = vec![0x17u8; alen];
    let mut rates = Vec::new();
    let mut seq = 0u64;
    for _ in 0..samples {
        let mut sealed: Vec<(u64, Vec<u8>)> = (0..records)
            .map(|_| {
                let mut b = vec![0x5au8; plen];
                k.seal_in_place_append_tag(nonce(seq), Aad::from(&aad[..]), &mut b)
                    .expect("seal");
                seq += 1;
                (seq - 1, b)
            })
            .collect();
        // Bring the ciphertexts into the same state as a library's freshly received
        // records: just written, and in whatever caches they fit.
        for (_, b) in sealed.iter() {
            std::hint::black_box(b.iter().fold(0u8, |a, x| a ^ x));
        }
        let t = Instant::now();
        for (n, b) in sealed.iter_mut() {
            let plain = k
                .open_in_place(nonce(*n), Aad::from(&aad[..]), b)
                .expect("open");
            std::hint::black_box(plain);
        }
        rates.push(total as f64 / t.elapsed().as_secs_f64() / 1e6);
    }
    median(&rates)
}

/// Microseconds per call of `f`, median of `samples` batches of `batch` calls.
fn per_op(samples: usize, batch: usize, mut f: impl FnMut()) -> f64 {
    // The first call pays for lazily built tables (RSA Montgomery contexts, etc).
    f();
    let mut v = Vec::new();
    for _ in 0..samples {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        v.push(t.elapsed().as_secs_f64() * 1e6 / batch as f64);
    }
    median(&v)
}

/// Raw costs of the asymmetric operations, in microseconds.
#[derive(Clone, Copy, Debug)]
pub struct AsymCosts {
    /// Generate an X25519 key and its public value.
    pub x25519_keygen: f64,
    /// One X25519 agreement with a peer's public value.
    pub x25519_agree: f64,
    pub mlkem_keygen: f64,
    pub mlkem_encap: f64,
    pub mlkem_decap: f64,
    pub ecdsa_sign: f64,
    pub ecdsa_verify: f64,
    pub rsa_pss_sign: f64,
    pub rsa_pss_verify: f64,
    pub rsa_pkcs1_verify: f64,
}

/// Measures every primitive a handshake needs. `ecdsa` and `rsa` supply real keys.
pub fn asym_costs(ecdsa: &Chain, rsa: &Chain, samples: usize, batch: usize) -> AsymCosts {
    let rng = SystemRandom::new();
    let peer = PrivateKey::generate(&agreement::X25519).expect("x25519");
    let peer_pub = peer.compute_public_key().expect("x25519 public");
    let x25519_keygen = per_op(samples, batch, || {
        let k = PrivateKey::generate(&agreement::X25519).expect("x25519");
        std::hint::black_box(k.compute_public_key().expect("public"));
    });
    let mine = PrivateKey::generate(&agreement::X25519).expect("x25519");
    let x25519_agree = per_op(samples, batch, || {
        let pk = UnparsedPublicKey::new(&agreement::X25519, peer_pub.as_ref());
        agreement::agree(&mine, pk, (), |s| {
            std::hint::black_box(s);
            Ok(())
        })
        .expect("agree");
    });

    let mlkem_keygen = per_op(samples, batch, || {
        let k = DecapsulationKey::generate(&kem::ML_KEM_768).expect("mlkem");
        let ek = k.encapsulation_key().expect("ek");
        std::hint::black_box(ek.key_bytes().expect("ek bytes"));
    });
    let dk = DecapsulationKey::generate(&kem::ML_KEM_768).expect("mlkem");
    let ek_bytes = dk
        .encapsulation_key()
        .and_then(|e| e.key_bytes())
        .expect("ek bytes")
        .as_ref()
        .to_vec();
    let mlkem_encap = per_op(samples, batch, || {
        // The server parses the client's encapsulation key from the wire each time.
        let ek = EncapsulationKey::new(&kem::ML_KEM_768, &ek_bytes).expect("ek");
        std::hint::black_box(ek.encapsulate().expect("encapsulate"));
    });
    let ek = EncapsulationKey::new(&kem::ML_KEM_768, &ek_bytes).expect("ek");
    let (ct, _) = ek.encapsulate().expect("encapsulate");
    let ct = ct.as_ref().to_vec();
    let mlkem_decap = per_op(samples, batch, || {
        std::hint::black_box(dk.decapsulate(Ciphertext::from(&ct[..])).expect("decap"));
    });

    // TLS 1.3 CertificateVerify input: 64 spaces, context, 0, transcript hash.
    let tbs_cv = [0x20u8; 130];
    // A certificate's to-be-signed part is about as long as the certificate.
    let tbs_cert = vec![0x30u8; ecdsa.leaf.len()];

    let ek = EcdsaKeyPair::from_pkcs8(
        &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &ecdsa.leaf_key_pkcs8,
    )
    .expect("ecdsa key");
    let ecdsa_sign = per_op(samples, batch, || {
        std::hint::black_box(ek.sign(&rng, &tbs_cv).expect("sign"));
    });
    let sig = ek.sign(&rng, &tbs_cert).expect("sign");
    let ecdsa_pub = ek.public_key().as_ref().to_vec();
    let ecdsa_verify = per_op(samples, batch, || {
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &ecdsa_pub)
            .verify(&tbs_cert, sig.as_ref())
            .expect("verify");
    });

    let rk = RsaKeyPair::from_pkcs8(&rsa.leaf_key_pkcs8).expect("rsa key");
    let mut rsa_sig = vec![0u8; rk.public_modulus_len()];
    let rsa_pss_sign = per_op(samples, batch.div_ceil(4), || {
        rk.sign(&signature::RSA_PSS_SHA256, &rng, &tbs_cv, &mut rsa_sig)
            .expect("rsa sign");
    });
    let rsa_pub = rk.public_key().as_ref().to_vec();
    rk.sign(&signature::RSA_PSS_SHA256, &rng, &tbs_cv, &mut rsa_sig)
        .expect("rsa sign");
    let rsa_pss_verify = per_op(samples, batch, || {
        signature::UnparsedPublicKey::new(&signature::RSA_PSS_2048_8192_SHA256, &rsa_pub)
            .verify(&tbs_cv, &rsa_sig)
            .expect("verify");
    });
    let mut pkcs1_sig = vec![0u8; rk.public_modulus_len()];
    rk.sign(
        &signature::RSA_PKCS1_SHA256,
        &rng,
        &tbs_cert,
        &mut pkcs1_sig,
    )
    .expect("rsa sign");
    let rsa_pkcs1_verify = per_op(samples, batch, || {
        signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &rsa_pub)
            .verify(&tbs_cert, &pkcs1_sig)
            .expect("verify");
    });

    AsymCosts {
        x25519_keygen,
        x25519_agree,
        mlkem_keygen,
        mlkem_encap,
        mlkem_decap,
        ecdsa_sign,
        ecdsa_verify,
        rsa_pss_sign,
        rsa_pss_verify,
        rsa_pkcs1_verify,
    }
}

impl AsymCosts {
    /// µs of chain signature checks (leaf by intermediate, intermediate by root).
    pub fn chain_verify(&self, k: KeyType) -> f64 {
        2.0 * match k {
            KeyType::EcdsaP256 => self.ecdsa_verify,
            KeyType::Rsa2048 => self.rsa_pkcs1_verify,
        }
    }

    /// µs the client side cannot avoid in a full handshake: its key share(s), the
    /// decapsulation and agreement, the server's CertificateVerify (or TLS 1.2
    /// ServerKeyExchange) signature and the chain's two signatures.
    pub fn client_full(&self, k: KeyType, g: Groups) -> f64 {
        let kx = match g {
            Groups::X25519 => self.x25519_keygen + self.x25519_agree,
            Groups::Default => {
                self.mlkem_keygen + self.x25519_keygen + self.mlkem_decap + self.x25519_agree
            }
        };
        let sig = match k {
            KeyType::EcdsaP256 => self.ecdsa_verify,
            KeyType::Rsa2048 => self.rsa_pss_verify,
        };
        kx + sig + self.chain_verify(k)
    }

    /// µs the server side cannot avoid: its share, encapsulation and agreement, and
    /// one signature.
    pub fn server_full(&self, k: KeyType, g: Groups) -> f64 {
        let kx = match g {
            Groups::X25519 => self.x25519_keygen + self.x25519_agree,
            Groups::Default => self.mlkem_encap + self.x25519_keygen + self.x25519_agree,
        };
        let sig = match k {
            KeyType::EcdsaP256 => self.ecdsa_sign,
            KeyType::Rsa2048 => self.rsa_pss_sign,
        };
        kx + sig
    }

    /// µs either side of a TLS 1.3 psk_dhe_ke resumption over X25519 cannot avoid.
    pub fn resumed13(&self) -> f64 {
        self.x25519_keygen + self.x25519_agree
    }

    /// µs of an ECH client's HPKE encapsulation with DHKEM(X25519): an ephemeral key
    /// generation and an agreement (the HPKE key schedule and the AEAD seal of the
    /// inner hello, a few hashes and one small record, are left out as elsewhere).
    pub fn hpke_encap(&self) -> f64 {
        self.x25519_keygen + self.x25519_agree
    }

    /// µs of an ECH server's HPKE decapsulation with DHKEM(X25519): one agreement.
    pub fn hpke_decap(&self) -> f64 {
        self.x25519_agree
    }

    pub fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "x25519_keygen_us": self.x25519_keygen,
            "x25519_agree_us": self.x25519_agree,
            "mlkem768_keygen_us": self.mlkem_keygen,
            "mlkem768_encapsulate_us": self.mlkem_encap,
            "mlkem768_decapsulate_us": self.mlkem_decap,
            "ecdsa_p256_sign_us": self.ecdsa_sign,
            "ecdsa_p256_verify_us": self.ecdsa_verify,
            "rsa2048_pss_sign_us": self.rsa_pss_sign,
            "rsa2048_pss_verify_us": self.rsa_pss_verify,
            "rsa2048_pkcs1_verify_us": self.rsa_pkcs1_verify,
        })
    }
}
