//! The TLS 1.3 key schedule (RFC 8446, 7.1-7.3, 4.4.4, 4.2.11.2, 4.6.1).
//!
//! Typed by stage, each consuming the one before:
//!
//! ```text
//! EarlySecret::new(psk) --into_handshake(ecdhe)--> HandshakeSecret --into_master()--> MasterSecret
//!   binder key, c e traffic        c/s hs traffic                  c/s ap traffic, exporter, resumption
//! ```
//!
//! Every secret is a zeroize-on-drop [`Secret`]; stages print only their suite.

use core::fmt;
use std::sync::OnceLock;

use zeroize::Zeroize;

use crate::codec::{put_u8, put_vec_u24};
use crate::crypto::aead::NONCE_LEN;
use crate::crypto::{hash, hkdf_expand_into, hmac, Digest, HashAlgorithm, HashSecret, Secret};
use crate::tls13::suites::Tls13CipherSuite;

/// Handshake type of the synthetic message that replaces ClientHello1 (RFC 8446, 4.4.1).
const MESSAGE_HASH: u8 = 254;

/// Hash.length zero bytes, the "0" of the key schedule diagram (RFC 8446, 7.1).
const ZEROS: [u8; 48] = [0; 48];

/// The longest HkdfLabel: u16 length, label<7..255>, context<0..255>.
const MAX_LABEL_INFO_LEN: usize = 2 + 1 + 255 + 1 + 255;

/// Transcript-Hash of no messages: SHA-256("") and SHA-384("") (FIPS 180-4).
const EMPTY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];
const EMPTY_SHA384: [u8; 48] = [
    0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32, 0x7e, 0xb1, 0xb1, 0xe3, 0x6a,
    0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43, 0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6, 0xe1, 0xda,
    0x27, 0x4e, 0xde, 0xbf, 0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1, 0x48, 0x98, 0xb9, 0x5b,
];

fn empty_hash_bytes(alg: HashAlgorithm) -> &'static [u8] {
    match alg {
        HashAlgorithm::Sha256 => &EMPTY_SHA256,
        HashAlgorithm::Sha384 => &EMPTY_SHA384,
    }
}

/// HKDF-Expand-Label (RFC 8446, 7.1) into `out`: HKDF-Expand with the info
/// `struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255> }`,
/// built on the stack.
///
/// # Panics
///
/// If `label` exceeds 249 bytes or `context` 255 bytes. Labels are constants and
/// contexts are hashes or wire-bounded ticket nonces, so that would be a local bug.
pub fn hkdf_expand_label_into(
    alg: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    out: &mut [u8],
) {
    const PREFIX: &[u8] = b"tls13 ";
    let full_label_len = u8::try_from(PREFIX.len() + label.len());
    let context_len = u8::try_from(context.len());
    let (Ok(full_label_len), Ok(context_len)) = (full_label_len, context_len) else {
        panic!("HKDF-Expand-Label: label or context longer than 255 bytes");
    };
    // hkdf_expand_into rejects outputs over 255 * HashLen (at most 12240), so this never saturates.
    let length = u16::try_from(out.len()).unwrap_or(u16::MAX).to_be_bytes();
    let parts: [&[u8]; 6] = [
        &length,
        &[full_label_len],
        PREFIX,
        label,
        &[context_len],
        context,
    ];
    // The lengths were checked above, so every part fits the buffer.
    let mut info = [0u8; MAX_LABEL_INFO_LEN];
    let mut at = 0;
    for part in parts {
        if let Some(dst) = info.get_mut(at..at + part.len()) {
            dst.copy_from_slice(part);
        }
        at += part.len();
    }
    hkdf_expand_into(alg, secret, info.get(..at).unwrap_or_default(), out);
}

/// HKDF-Expand-Label (RFC 8446, 7.1); see [`hkdf_expand_label_into`].
pub fn hkdf_expand_label(
    alg: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Secret {
    let mut out = vec![0u8; len];
    hkdf_expand_label_into(alg, secret, label, context, &mut out);
    Secret::from(out)
}

/// Derive-Secret (RFC 8446, 7.1): HKDF-Expand-Label(secret, label, transcript_hash, Hash.length).
pub fn derive_secret(
    alg: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    transcript_hash: &[u8],
) -> Secret {
    Secret::from(derive(alg, secret, label, transcript_hash).as_bytes())
}

/// Derive-Secret into an inline secret.
fn derive(alg: HashAlgorithm, secret: &[u8], label: &[u8], transcript_hash: &[u8]) -> HashSecret {
    HashSecret::fill_with(alg.output_len(), |out| {
        hkdf_expand_label_into(alg, secret, label, transcript_hash, out)
    })
}

/// HKDF-Extract into an inline secret.
fn extract(alg: HashAlgorithm, salt: &[u8], ikm: &[u8]) -> HashSecret {
    HashSecret::from(&hmac(alg, salt, ikm))
}

/// Transcript-Hash of no messages, the context of `Derive-Secret(., "derived", "")`.
pub fn empty_hash(alg: HashAlgorithm) -> Digest {
    hash(alg, &[])
}

/// The synthetic `message_hash` handshake message (type 254, 24-bit length,
/// Hash(ClientHello1)) that replaces ClientHello1 in the transcript after a
/// HelloRetryRequest (RFC 8446, 4.4.1).
pub fn message_hash_prefix(hash_of_ch1: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + hash_of_ch1.len());
    put_u8(&mut out, MESSAGE_HASH);
    put_vec_u24(&mut out, hash_of_ch1);
    out
}

/// HMAC(finished_key(base_key), transcript_hash): Finished.verify_data (RFC 8446,
/// 4.4.4) and PSK binders (4.2.11.2) alike.
fn finished_mac(alg: HashAlgorithm, base_key: &[u8], transcript_hash: &[u8]) -> Digest {
    let mut finished_key = [0u8; 48];
    let key = finished_key.get_mut(..alg.output_len()).unwrap_or_default();
    hkdf_expand_label_into(alg, base_key, b"finished", &[], key);
    let mac = hmac(alg, key, transcript_hash);
    finished_key.as_mut_slice().zeroize();
    mac
}

/// Finished.verify_data (RFC 8446, 4.4.4) under the sender's handshake traffic
/// secret. Compare a received value with [`crate::crypto::constant_time_eq`].
pub fn finished_verify_data(
    suite: &Tls13CipherSuite,
    base_key: &TrafficSecret,
    transcript_hash: &[u8],
) -> Digest {
    debug_assert_eq!(suite, base_key.suite);
    finished_mac(suite.hash, base_key.as_bytes(), transcript_hash)
}

/// The PSK for a ticket (RFC 8446, 4.6.1):
/// HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length).
pub fn resumption_psk(
    suite: &Tls13CipherSuite,
    resumption_master: &Secret,
    ticket_nonce: &[u8],
) -> Secret {
    derive_secret(
        suite.hash,
        resumption_master.as_bytes(),
        b"resumption",
        ticket_nonce,
    )
}

/// HKDF-Extract(Derive-Secret(secret, "derived", ""), ikm): the step between stages.
fn next_stage(alg: HashAlgorithm, secret: &HashSecret, ikm: &[u8]) -> HashSecret {
    let derived = derive(alg, secret.as_bytes(), b"derived", empty_hash_bytes(alg));
    extract(alg, derived.as_bytes(), ikm)
}

fn zeros(alg: HashAlgorithm) -> &'static [u8] {
    ZEROS.get(..alg.output_len()).unwrap_or(&ZEROS)
}

/// The key schedule's start without a PSK is the same for every connection:
/// Early Secret = HKDF-Extract(0, 0) and Derive-Secret(., "derived", ""). Computed
/// once per process and hash.
struct NoPsk {
    early: HashSecret,
    derived: HashSecret,
}

fn no_psk(alg: HashAlgorithm) -> &'static NoPsk {
    static SHA256: OnceLock<NoPsk> = OnceLock::new();
    static SHA384: OnceLock<NoPsk> = OnceLock::new();
    let cell = match alg {
        HashAlgorithm::Sha256 => &SHA256,
        HashAlgorithm::Sha384 => &SHA384,
    };
    cell.get_or_init(|| {
        let early = extract(alg, zeros(alg), zeros(alg));
        let derived = derive(alg, early.as_bytes(), b"derived", empty_hash_bytes(alg));
        NoPsk { early, derived }
    })
}

/// Early Secret = HKDF-Extract(0, PSK) (RFC 8446, 7.1).
pub struct EarlySecret {
    suite: &'static Tls13CipherSuite,
    secret: HashSecret,
    /// Whether a PSK went in; without one the next stage starts from a constant.
    psk: bool,
}

impl EarlySecret {
    /// Starts the schedule; without a PSK the IKM is Hash.length zero bytes.
    pub fn new(suite: &'static Tls13CipherSuite, psk: Option<&[u8]>) -> Self {
        let alg = suite.hash;
        let secret = match psk {
            Some(psk) => extract(alg, zeros(alg), psk),
            None => no_psk(alg).early.clone(),
        };
        EarlySecret {
            suite,
            secret,
            psk: psk.is_some(),
        }
    }

    /// The same Early Secret for `suite`, which must have the same hash: the
    /// secret depends only on the hash, the traffic keys also on the AEAD.
    pub fn for_suite(self, suite: &'static Tls13CipherSuite) -> Self {
        debug_assert_eq!(suite.hash, self.suite.hash);
        EarlySecret { suite, ..self }
    }

    /// binder_key: Derive-Secret(., "res binder" or "ext binder", "").
    pub fn binder_key(&self, resumption: bool) -> Secret {
        Secret::from(self.binder_key_inline(resumption).as_bytes())
    }

    fn binder_key_inline(&self, resumption: bool) -> HashSecret {
        let label: &[u8] = if resumption {
            b"res binder"
        } else {
            b"ext binder"
        };
        let alg = self.suite.hash;
        derive(alg, self.secret.as_bytes(), label, empty_hash_bytes(alg))
    }

    /// The PSK binder over Transcript-Hash(Truncate(ClientHello)) (RFC 8446, 4.2.11.2).
    /// Compare a received binder with [`crate::crypto::constant_time_eq`].
    pub fn psk_binder(&self, resumption: bool, truncated_hello_hash: &[u8]) -> Digest {
        let key = self.binder_key_inline(resumption);
        finished_mac(self.suite.hash, key.as_bytes(), truncated_hello_hash)
    }

    /// client_early_traffic_secret: Derive-Secret(., "c e traffic", ClientHello).
    pub fn client_early_traffic_secret(&self, hello_hash: &[u8]) -> TrafficSecret {
        TrafficSecret::derive(self.suite, &self.secret, b"c e traffic", hello_hash)
    }

    /// early_exporter_master_secret: Derive-Secret(., "e exp master", ClientHello).
    pub fn early_exporter_master_secret(&self, hello_hash: &[u8]) -> Secret {
        derive_secret(
            self.suite.hash,
            self.secret.as_bytes(),
            b"e exp master",
            hello_hash,
        )
    }

    /// Handshake Secret = HKDF-Extract(Derive-Secret(., "derived", ""), (EC)DHE).
    pub fn into_handshake(self, shared_secret: &[u8]) -> HandshakeSecret {
        let alg = self.suite.hash;
        let secret = if self.psk {
            next_stage(alg, &self.secret, shared_secret)
        } else {
            extract(alg, no_psk(alg).derived.as_bytes(), shared_secret)
        };
        HandshakeSecret {
            suite: self.suite,
            secret,
        }
    }
}

/// Handshake Secret (RFC 8446, 7.1).
pub struct HandshakeSecret {
    suite: &'static Tls13CipherSuite,
    secret: HashSecret,
}

impl HandshakeSecret {
    /// client_handshake_traffic_secret: Derive-Secret(., "c hs traffic", ClientHello...ServerHello).
    pub fn client_traffic_secret(&self, hello_hash: &[u8]) -> TrafficSecret {
        TrafficSecret::derive(self.suite, &self.secret, b"c hs traffic", hello_hash)
    }

    /// server_handshake_traffic_secret: Derive-Secret(., "s hs traffic", ClientHello...ServerHello).
    pub fn server_traffic_secret(&self, hello_hash: &[u8]) -> TrafficSecret {
        TrafficSecret::derive(self.suite, &self.secret, b"s hs traffic", hello_hash)
    }

    /// Master Secret = HKDF-Extract(Derive-Secret(., "derived", ""), 0).
    pub fn into_master(self) -> MasterSecret {
        let alg = self.suite.hash;
        MasterSecret {
            suite: self.suite,
            secret: next_stage(alg, &self.secret, zeros(alg)),
        }
    }
}

/// Master Secret (RFC 8446, 7.1). `handshake_hash` is ClientHello...server Finished.
pub struct MasterSecret {
    suite: &'static Tls13CipherSuite,
    secret: HashSecret,
}

impl MasterSecret {
    /// client_application_traffic_secret_0: Derive-Secret(., "c ap traffic", ...server Finished).
    pub fn client_traffic_secret(&self, handshake_hash: &[u8]) -> TrafficSecret {
        TrafficSecret::derive(self.suite, &self.secret, b"c ap traffic", handshake_hash)
    }

    /// server_application_traffic_secret_0: Derive-Secret(., "s ap traffic", ...server Finished).
    pub fn server_traffic_secret(&self, handshake_hash: &[u8]) -> TrafficSecret {
        TrafficSecret::derive(self.suite, &self.secret, b"s ap traffic", handshake_hash)
    }

    /// exporter_master_secret: Derive-Secret(., "exp master", ...server Finished).
    pub fn exporter_master_secret(&self, handshake_hash: &[u8]) -> Secret {
        derive_secret(
            self.suite.hash,
            self.secret.as_bytes(),
            b"exp master",
            handshake_hash,
        )
    }

    /// RFC 8446, 7.1: the three secrets derived from the transcript through the
    /// server's Finished, which both sides need at once.
    pub fn application_secrets(&self, handshake_hash: &[u8]) -> ApplicationSecrets {
        ApplicationSecrets {
            client: self.client_traffic_secret(handshake_hash),
            server: self.server_traffic_secret(handshake_hash),
            exporter: self.exporter_master_secret(handshake_hash),
        }
    }

    /// resumption_master_secret: Derive-Secret(., "res master", ...client Finished).
    pub fn resumption_master_secret(&self, hash: &[u8]) -> Secret {
        derive_secret(self.suite.hash, self.secret.as_bytes(), b"res master", hash)
    }
}

/// The secrets of the application phase (RFC 8446, 7.1), from
/// [`MasterSecret::application_secrets`].
pub struct ApplicationSecrets {
    /// client_application_traffic_secret_0.
    pub client: TrafficSecret,
    /// server_application_traffic_secret_0.
    pub server: TrafficSecret,
    /// exporter_master_secret (RFC 8446, 7.5).
    pub exporter: Secret,
}

/// A traffic secret for one direction and epoch: early, handshake or application.
#[derive(Clone)]
pub struct TrafficSecret {
    suite: &'static Tls13CipherSuite,
    secret: HashSecret,
}

impl TrafficSecret {
    fn derive(
        suite: &'static Tls13CipherSuite,
        stage: &HashSecret,
        label: &[u8],
        hash: &[u8],
    ) -> Self {
        TrafficSecret {
            suite,
            secret: derive(suite.hash, stage.as_bytes(), label, hash),
        }
    }

    /// The suite this secret belongs to.
    pub fn suite(&self) -> &'static Tls13CipherSuite {
        self.suite
    }

    /// The raw secret, for SSLKEYLOGFILE only.
    pub fn as_bytes(&self) -> &[u8] {
        self.secret.as_bytes()
    }

    /// The record key and IV (RFC 8446, 7.3): HKDF-Expand-Label(., "key" / "iv", "", len).
    pub fn keys(&self) -> (Secret, [u8; NONCE_LEN]) {
        let alg = self.suite.hash;
        let secret = self.secret.as_bytes();
        let mut key = [0u8; 32];
        let key_len = self.suite.aead.key_len().min(key.len());
        let record_key = key.get_mut(..key_len).unwrap_or_default();
        hkdf_expand_label_into(alg, secret, b"key", &[], record_key);
        let mut iv = [0u8; NONCE_LEN];
        hkdf_expand_label_into(alg, secret, b"iv", &[], &mut iv);
        let record_key = Secret::from(&*record_key);
        key.as_mut_slice().zeroize();
        (record_key, iv)
    }

    /// The next generation after a KeyUpdate (RFC 8446, 7.2):
    /// HKDF-Expand-Label(., "traffic upd", "", Hash.length).
    pub fn next(&self) -> TrafficSecret {
        let alg = self.suite.hash;
        TrafficSecret {
            suite: self.suite,
            secret: derive(alg, self.secret.as_bytes(), b"traffic upd", &[]),
        }
    }

    /// finished_key: HKDF-Expand-Label(., "finished", "", Hash.length) (RFC 8446, 4.4.4).
    pub fn finished_key(&self) -> Secret {
        Secret::from(derive(self.suite.hash, self.secret.as_bytes(), b"finished", &[]).as_bytes())
    }
}

macro_rules! redacted_debug {
    ($($ty:ident),*) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({})"), self.suite.name())
            }
        }
    )*};
}
redacted_debug!(EarlySecret, HandshakeSecret, MasterSecret, TrafficSecret);

impl fmt::Debug for ApplicationSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApplicationSecrets({})", self.client.suite.name())
    }
}

#[cfg(test)]
pub(crate) mod rfc8448;

#[cfg(test)]
mod tests {
    use super::rfc8448::{s3, s4, s5, unhex};
    use super::*;
    use crate::codec::{put_u16, put_vec_u8, with_u8_len};
    use crate::crypto::{hkdf_extract, HashContext};
    use crate::tls13::suites::{TLS13_AES_128_GCM_SHA256, TLS13_AES_256_GCM_SHA384};

    static SUITE: &Tls13CipherSuite = &TLS13_AES_128_GCM_SHA256;

    /// Transcript-Hash of the concatenated hex-encoded messages.
    fn transcript(messages: &[&str]) -> Vec<u8> {
        let mut h = HashContext::new(SUITE.hash);
        for m in messages {
            h.update(&unhex(m));
        }
        h.current().as_ref().to_vec()
    }

    fn assert_keys(secret: &TrafficSecret, key: &str, iv: &str) {
        let (k, i) = secret.keys();
        assert_eq!(k.as_bytes(), unhex(key));
        assert_eq!(i.to_vec(), unhex(iv));
    }

    /// The verify_data inside a hex-encoded Finished message.
    fn verify_data(finished: &str) -> Vec<u8> {
        unhex(finished).split_off(4)
    }

    #[test]
    fn hkdf_label_encoding_matches_the_trace() {
        // RFC 8448, 3: "key info" and "iv info".
        let mut info = Vec::new();
        put_u16(&mut info, 16);
        with_u8_len(&mut info, |o| o.extend_from_slice(b"tls13 key"));
        put_vec_u8(&mut info, &[]);
        assert_eq!(info, unhex("00100974 6c73313320 6b657900"));
        let prk = unhex(s3::SERVER_HS_TRAFFIC);
        assert_eq!(
            hkdf_expand_label(SUITE.hash, &prk, b"iv", &[], 12).as_bytes(),
            unhex(s3::SERVER_HS_IV)
        );
    }

    #[test]
    fn empty_hash_is_sha256_of_nothing() {
        assert_eq!(
            empty_hash(HashAlgorithm::Sha256).as_ref(),
            unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            assert_eq!(empty_hash_bytes(alg), empty_hash(alg).as_ref(), "{alg:?}");
        }
    }

    /// The per-process constants of the PSK-less schedule are what the RFC computes.
    #[test]
    fn no_psk_constants_match_their_definition() {
        for alg in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let z = vec![0u8; alg.output_len()];
            let early = hkdf_extract(alg, &z, &z);
            let derived =
                derive_secret(alg, early.as_bytes(), b"derived", empty_hash(alg).as_ref());
            assert_eq!(no_psk(alg).early.as_bytes(), early.as_bytes(), "{alg:?}");
            assert_eq!(
                no_psk(alg).derived.as_bytes(),
                derived.as_bytes(),
                "{alg:?}"
            );
        }
        // RFC 8448, 3: the SHA-256 early secret and "derived" secret.
        let c = no_psk(HashAlgorithm::Sha256);
        assert_eq!(c.early.as_bytes(), unhex(s3::EARLY_SECRET));
        assert_eq!(c.derived.as_bytes(), unhex(s3::DERIVED_FOR_HANDSHAKE));
        // A PSK-less schedule and one given an explicit all-zero "PSK" agree.
        for suite in [&TLS13_AES_128_GCM_SHA256, &TLS13_AES_256_GCM_SHA384] {
            let z = vec![0u8; suite.hash.output_len()];
            let a = EarlySecret::new(suite, None).into_handshake(&[5; 32]);
            let b = EarlySecret::new(suite, Some(&z)).into_handshake(&[5; 32]);
            assert_eq!(a.secret, b.secret);
        }
    }

    #[test]
    fn expand_label_matches_aws_lc_hkdf() {
        use aws_lc_rs::hkdf;
        struct Len(usize);
        impl hkdf::KeyType for Len {
            fn len(&self) -> usize {
                self.0
            }
        }
        for (alg, lc) in [
            (HashAlgorithm::Sha256, hkdf::HKDF_SHA256),
            (HashAlgorithm::Sha384, hkdf::HKDF_SHA384),
        ] {
            let secret: Vec<u8> = (0..alg.output_len() as u8).collect();
            let prk = hkdf::Prk::new_less_safe(lc, &secret);
            for (label, context, len) in [
                (&b"key"[..], &[][..], 16),
                (b"iv", &[], 12),
                (
                    b"c hs traffic",
                    &[9u8; 48][..alg.output_len()],
                    alg.output_len(),
                ),
                (b"resumption", &[1u8; 255], 100),
                (&[b'x'; 249], &[2u8; 255], 200),
            ] {
                let mut info = Vec::new();
                put_u16(&mut info, len as u16);
                with_u8_len(&mut info, |o| {
                    o.extend_from_slice(b"tls13 ");
                    o.extend_from_slice(label);
                });
                put_vec_u8(&mut info, context);
                let mut theirs = vec![0u8; len];
                prk.expand(&[&info], Len(len))
                    .unwrap()
                    .fill(&mut theirs)
                    .unwrap();
                let ours = hkdf_expand_label(alg, &secret, label, context, len);
                assert_eq!(ours.as_bytes(), theirs, "{alg:?} {len}");
            }
        }
    }

    /// RFC 8448, 3: every secret, key, IV and Finished value of the 1-RTT handshake.
    #[test]
    fn rfc8448_simple_1rtt_handshake() {
        let hello_hash = transcript(&[s3::CLIENT_HELLO, s3::SERVER_HELLO]);
        assert_eq!(hello_hash, unhex(s3::HELLO_HASH));

        let early = EarlySecret::new(SUITE, None);
        assert_eq!(early.secret.as_bytes(), unhex(s3::EARLY_SECRET));
        let derived = derive_secret(
            SUITE.hash,
            early.secret.as_bytes(),
            b"derived",
            empty_hash(SUITE.hash).as_ref(),
        );
        assert_eq!(derived.as_bytes(), unhex(s3::DERIVED_FOR_HANDSHAKE));

        let hs = early.into_handshake(&unhex(s3::ECDHE_SHARED_SECRET));
        assert_eq!(hs.secret.as_bytes(), unhex(s3::HANDSHAKE_SECRET));
        let client_hs = hs.client_traffic_secret(&hello_hash);
        let server_hs = hs.server_traffic_secret(&hello_hash);
        assert_eq!(client_hs.as_bytes(), unhex(s3::CLIENT_HS_TRAFFIC));
        assert_eq!(server_hs.as_bytes(), unhex(s3::SERVER_HS_TRAFFIC));
        assert_keys(&server_hs, s3::SERVER_HS_KEY, s3::SERVER_HS_IV);
        assert_keys(&client_hs, s3::CLIENT_HS_KEY, s3::CLIENT_HS_IV);

        let derived = derive_secret(
            SUITE.hash,
            hs.secret.as_bytes(),
            b"derived",
            empty_hash(SUITE.hash).as_ref(),
        );
        assert_eq!(derived.as_bytes(), unhex(s3::DERIVED_FOR_MASTER));

        // Server Finished covers ClientHello..CertificateVerify.
        let server_fin_hash = transcript(&[
            s3::CLIENT_HELLO,
            s3::SERVER_HELLO,
            s3::ENCRYPTED_EXTENSIONS,
            s3::CERTIFICATE,
            s3::CERTIFICATE_VERIFY,
        ]);
        assert_eq!(
            server_hs.finished_key().as_bytes(),
            unhex(s3::SERVER_FINISHED_KEY)
        );
        let server_vd = finished_verify_data(SUITE, &server_hs, &server_fin_hash);
        assert_eq!(server_vd.as_ref(), unhex(s3::SERVER_VERIFY_DATA));
        assert_eq!(server_vd.as_ref(), verify_data(s3::SERVER_FINISHED));

        let handshake_hash = transcript(&[
            s3::CLIENT_HELLO,
            s3::SERVER_HELLO,
            s3::ENCRYPTED_EXTENSIONS,
            s3::CERTIFICATE,
            s3::CERTIFICATE_VERIFY,
            s3::SERVER_FINISHED,
        ]);
        assert_eq!(handshake_hash, unhex(s3::HANDSHAKE_HASH));

        // Client Finished covers ClientHello..server Finished.
        assert_eq!(
            client_hs.finished_key().as_bytes(),
            unhex(s3::CLIENT_FINISHED_KEY)
        );
        let client_vd = finished_verify_data(SUITE, &client_hs, &handshake_hash);
        assert_eq!(client_vd.as_ref(), unhex(s3::CLIENT_VERIFY_DATA));
        assert_eq!(client_vd.as_ref(), verify_data(s3::CLIENT_FINISHED));

        let master = hs.into_master();
        assert_eq!(master.secret.as_bytes(), unhex(s3::MASTER_SECRET));
        let client_ap = master.client_traffic_secret(&handshake_hash);
        let server_ap = master.server_traffic_secret(&handshake_hash);
        assert_eq!(client_ap.as_bytes(), unhex(s3::CLIENT_AP_TRAFFIC));
        assert_eq!(server_ap.as_bytes(), unhex(s3::SERVER_AP_TRAFFIC));
        assert_keys(&server_ap, s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        assert_keys(&client_ap, s3::CLIENT_AP_KEY, s3::CLIENT_AP_IV);
        assert_eq!(
            master.exporter_master_secret(&handshake_hash).as_bytes(),
            unhex(s3::EXPORTER_MASTER)
        );

        let full_hash = transcript(&[
            s3::CLIENT_HELLO,
            s3::SERVER_HELLO,
            s3::ENCRYPTED_EXTENSIONS,
            s3::CERTIFICATE,
            s3::CERTIFICATE_VERIFY,
            s3::SERVER_FINISHED,
            s3::CLIENT_FINISHED,
        ]);
        assert_eq!(full_hash, unhex(s3::RES_MASTER_HASH));
        let res_master = master.resumption_master_secret(&full_hash);
        assert_eq!(res_master.as_bytes(), unhex(s3::RESUMPTION_MASTER));
        let psk = resumption_psk(SUITE, &res_master, &unhex(s3::TICKET_NONCE));
        assert_eq!(psk.as_bytes(), unhex(s3::RESUMPTION_PSK));
    }

    /// RFC 8448, 4: the PSK from section 3's ticket, its binder, 0-RTT keys and the
    /// handshake secret that mixes in the new (EC)DHE share.
    #[test]
    fn rfc8448_resumed_0rtt_handshake() {
        assert_eq!(s4::PSK, s3::RESUMPTION_PSK);
        let early = EarlySecret::new(SUITE, Some(&unhex(s4::PSK)));
        assert_eq!(early.secret.as_bytes(), unhex(s4::EARLY_SECRET));

        let truncated_hash = transcript(&[s4::CLIENT_HELLO_PREFIX]);
        assert_eq!(truncated_hash, unhex(s4::BINDER_HASH));
        assert_eq!(early.binder_key(true).as_bytes(), unhex(s4::BINDER_KEY));
        assert_ne!(early.binder_key(false), early.binder_key(true));
        let finished_key = hkdf_expand_label(
            SUITE.hash,
            early.binder_key(true).as_bytes(),
            b"finished",
            &[],
            32,
        );
        assert_eq!(finished_key.as_bytes(), unhex(s4::BINDER_FINISHED_KEY));
        let binder = early.psk_binder(true, &truncated_hash);
        assert_eq!(binder.as_ref(), unhex(s4::BINDER));
        // The full ClientHello is the prefix followed by binders<33..2^16-1> = [binder].
        let mut hello = unhex(s4::CLIENT_HELLO_PREFIX);
        hello.extend_from_slice(&[0x00, 0x21, 0x20]);
        hello.extend_from_slice(binder.as_ref());
        assert_eq!(hello, unhex(s4::CLIENT_HELLO));

        let hello_hash = transcript(&[s4::CLIENT_HELLO]);
        assert_eq!(hello_hash, unhex(s4::EARLY_HELLO_HASH));
        let early_traffic = early.client_early_traffic_secret(&hello_hash);
        assert_eq!(early_traffic.as_bytes(), unhex(s4::CLIENT_EARLY_TRAFFIC));
        assert_keys(&early_traffic, s4::EARLY_KEY, s4::EARLY_IV);
        assert_eq!(
            early.early_exporter_master_secret(&hello_hash).as_bytes(),
            unhex(s4::EARLY_EXPORTER_MASTER)
        );

        let hs = early.into_handshake(&unhex(s4::ECDHE_SHARED_SECRET));
        assert_eq!(hs.secret.as_bytes(), unhex(s4::HANDSHAKE_SECRET));
        let hello_hash = transcript(&[s4::CLIENT_HELLO, s4::SERVER_HELLO]);
        assert_eq!(hello_hash, unhex(s4::HELLO_HASH));
        assert_eq!(
            hs.client_traffic_secret(&hello_hash).as_bytes(),
            unhex(s4::CLIENT_HS_TRAFFIC)
        );
        assert_eq!(
            hs.server_traffic_secret(&hello_hash).as_bytes(),
            unhex(s4::SERVER_HS_TRAFFIC)
        );
        assert_eq!(hs.into_master().secret.as_bytes(), unhex(s4::MASTER_SECRET));
    }

    /// RFC 8448, 5: after HelloRetryRequest, ClientHello1 is replaced by message_hash.
    #[test]
    fn rfc8448_hello_retry_request() {
        let ch1_hash = hash(SUITE.hash, &unhex(s5::CLIENT_HELLO_1));
        let synthetic = message_hash_prefix(ch1_hash.as_ref());
        assert_eq!(synthetic[..4], [254, 0, 0, 32]);
        assert_eq!(synthetic[4..], *ch1_hash.as_ref());

        let mut h = HashContext::new(SUITE.hash);
        h.update(&synthetic);
        for m in [
            s5::HELLO_RETRY_REQUEST,
            s5::CLIENT_HELLO_2,
            s5::SERVER_HELLO,
        ] {
            h.update(&unhex(m));
        }
        let hello_hash = h.current();
        assert_eq!(hello_hash.as_ref(), unhex(s5::HELLO_HASH));

        let hs = EarlySecret::new(SUITE, None).into_handshake(&unhex(s5::ECDHE_SHARED_SECRET));
        assert_eq!(hs.secret.as_bytes(), unhex(s5::HANDSHAKE_SECRET));
        let client_hs = hs.client_traffic_secret(hello_hash.as_ref());
        let server_hs = hs.server_traffic_secret(hello_hash.as_ref());
        assert_eq!(client_hs.as_bytes(), unhex(s5::CLIENT_HS_TRAFFIC));
        assert_eq!(server_hs.as_bytes(), unhex(s5::SERVER_HS_TRAFFIC));
        assert_keys(&server_hs, s5::SERVER_HS_KEY, s5::SERVER_HS_IV);

        for m in [
            s5::ENCRYPTED_EXTENSIONS,
            s5::CERTIFICATE,
            s5::CERTIFICATE_VERIFY,
        ] {
            h.update(&unhex(m));
        }
        let server_vd = finished_verify_data(SUITE, &server_hs, h.current().as_ref());
        assert_eq!(server_vd.as_ref(), unhex(s5::SERVER_VERIFY_DATA));
        assert_eq!(server_vd.as_ref(), verify_data(s5::SERVER_FINISHED));

        h.update(&unhex(s5::SERVER_FINISHED));
        let handshake_hash = h.current();
        assert_eq!(handshake_hash.as_ref(), unhex(s5::HANDSHAKE_HASH));
        let client_vd = finished_verify_data(SUITE, &client_hs, handshake_hash.as_ref());
        assert_eq!(client_vd.as_ref(), unhex(s5::CLIENT_VERIFY_DATA));
        assert_eq!(client_vd.as_ref(), verify_data(s5::CLIENT_FINISHED));

        let master = hs.into_master();
        assert_eq!(master.secret.as_bytes(), unhex(s5::MASTER_SECRET));
        let client_ap = master.client_traffic_secret(handshake_hash.as_ref());
        assert_eq!(client_ap.as_bytes(), unhex(s5::CLIENT_AP_TRAFFIC));
        assert_keys(&client_ap, s5::CLIENT_AP_KEY, s5::CLIENT_AP_IV);
        assert_eq!(
            master
                .server_traffic_secret(handshake_hash.as_ref())
                .as_bytes(),
            unhex(s5::SERVER_AP_TRAFFIC)
        );
        assert_eq!(
            master
                .exporter_master_secret(handshake_hash.as_ref())
                .as_bytes(),
            unhex(s5::EXPORTER_MASTER)
        );

        h.update(&unhex(s5::CLIENT_FINISHED));
        assert_eq!(h.current().as_ref(), unhex(s5::RES_MASTER_HASH));
        assert_eq!(
            master
                .resumption_master_secret(h.current().as_ref())
                .as_bytes(),
            unhex(s5::RESUMPTION_MASTER)
        );
    }

    #[test]
    fn key_update_follows_the_traffic_upd_label() {
        let ap = EarlySecret::new(SUITE, None)
            .into_handshake(&unhex(s3::ECDHE_SHARED_SECRET))
            .into_master()
            .client_traffic_secret(&unhex(s3::HANDSHAKE_HASH));
        let next = ap.next();
        let expected = hkdf_expand_label(SUITE.hash, ap.as_bytes(), b"traffic upd", &[], 32);
        assert_eq!(next.as_bytes(), expected.as_bytes());
        assert_ne!(next.as_bytes(), ap.as_bytes());
        assert_ne!(next.next().as_bytes(), next.as_bytes());
        assert!(std::ptr::eq(next.suite(), SUITE));
    }

    #[test]
    fn sha384_suite_uses_48_byte_secrets_and_32_byte_keys() {
        let suite = &TLS13_AES_256_GCM_SHA384;
        let early = EarlySecret::new(suite, None);
        assert_eq!(
            early.secret.as_bytes(),
            hkdf_extract(HashAlgorithm::Sha384, &[0; 48], &[0; 48]).as_bytes()
        );
        let hs = early.into_handshake(&[7; 48]);
        let traffic = hs.client_traffic_secret(empty_hash(suite.hash).as_ref());
        assert_eq!(traffic.as_bytes().len(), 48);
        assert_eq!(traffic.keys().0.len(), 32);
        assert_eq!(traffic.finished_key().len(), 48);
        assert_eq!(
            finished_verify_data(suite, &traffic, &[0; 48])
                .as_ref()
                .len(),
            48
        );
        assert_eq!(message_hash_prefix(&[1; 48])[..4], [254, 0, 0, 48]);
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let early = EarlySecret::new(SUITE, Some(&[0xab; 32]));
        assert_eq!(format!("{early:?}"), "EarlySecret(TLS_AES_128_GCM_SHA256)");
        let t = early.client_early_traffic_secret(&[0; 32]);
        assert_eq!(format!("{t:?}"), "TrafficSecret(TLS_AES_128_GCM_SHA256)");
        let hs = early.into_handshake(&[1; 32]);
        assert_eq!(format!("{hs:?}"), "HandshakeSecret(TLS_AES_128_GCM_SHA256)");
        assert_eq!(
            format!("{:?}", hs.into_master()),
            "MasterSecret(TLS_AES_128_GCM_SHA256)"
        );
    }
}
