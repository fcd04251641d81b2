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

use crate::codec::{put_u16, put_u8, put_vec_u24, put_vec_u8, with_u8_len};
use crate::crypto::aead::NONCE_LEN;
use crate::crypto::{hash, hkdf_expand, hkdf_extract, hmac, Digest, HashAlgorithm, Secret};
use crate::tls13::suites::Tls13CipherSuite;

/// Handshake type of the synthetic message that replaces ClientHello1 (RFC 8446, 4.4.1).
const MESSAGE_HASH: u8 = 254;

/// Hash.length zero bytes, the "0" of the key schedule diagram (RFC 8446, 7.1).
const ZEROS: [u8; 48] = [0; 48];

/// HKDF-Expand-Label (RFC 8446, 7.1): HKDF-Expand with the info
/// `struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255> }`.
///
/// # Panics
///
/// If `label` exceeds 249 bytes or `context` 255 bytes. Labels are constants and
/// contexts are hashes or wire-bounded ticket nonces, so that would be a local bug.
pub fn hkdf_expand_label(
    alg: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    context: &[u8],
    len: usize,
) -> Secret {
    let mut info = Vec::with_capacity(4 + 6 + label.len() + context.len());
    // hkdf_expand rejects len > 255 * HashLen (at most 12240), so this never saturates.
    put_u16(&mut info, u16::try_from(len).unwrap_or(u16::MAX));
    with_u8_len(&mut info, |o| {
        o.extend_from_slice(b"tls13 ");
        o.extend_from_slice(label);
    });
    put_vec_u8(&mut info, context);
    hkdf_expand(alg, secret, &info, len)
}

/// Derive-Secret (RFC 8446, 7.1): HKDF-Expand-Label(secret, label, transcript_hash, Hash.length).
pub fn derive_secret(
    alg: HashAlgorithm,
    secret: &[u8],
    label: &[u8],
    transcript_hash: &[u8],
) -> Secret {
    hkdf_expand_label(alg, secret, label, transcript_hash, alg.output_len())
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
    let finished_key = hkdf_expand_label(alg, base_key, b"finished", &[], alg.output_len());
    hmac(alg, finished_key.as_bytes(), transcript_hash)
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
fn next_stage(suite: &Tls13CipherSuite, secret: &Secret, ikm: &[u8]) -> Secret {
    let alg = suite.hash;
    let derived = derive_secret(alg, secret.as_bytes(), b"derived", empty_hash(alg).as_ref());
    hkdf_extract(alg, derived.as_bytes(), ikm)
}

fn zeros(suite: &Tls13CipherSuite) -> &'static [u8] {
    ZEROS.get(..suite.hash.output_len()).unwrap_or(&ZEROS)
}

/// Early Secret = HKDF-Extract(0, PSK) (RFC 8446, 7.1).
pub struct EarlySecret {
    suite: &'static Tls13CipherSuite,
    secret: Secret,
}

impl EarlySecret {
    /// Starts the schedule; without a PSK the IKM is Hash.length zero bytes.
    pub fn new(suite: &'static Tls13CipherSuite, psk: Option<&[u8]>) -> Self {
        let zeros = zeros(suite);
        EarlySecret {
            suite,
            secret: hkdf_extract(suite.hash, zeros, psk.unwrap_or(zeros)),
        }
    }

    /// binder_key: Derive-Secret(., "res binder" or "ext binder", "").
    pub fn binder_key(&self, resumption: bool) -> Secret {
        let label: &[u8] = if resumption {
            b"res binder"
        } else {
            b"ext binder"
        };
        let alg = self.suite.hash;
        derive_secret(alg, self.secret.as_bytes(), label, empty_hash(alg).as_ref())
    }

    /// The PSK binder over Transcript-Hash(Truncate(ClientHello)) (RFC 8446, 4.2.11.2).
    /// Compare a received binder with [`crate::crypto::constant_time_eq`].
    pub fn psk_binder(&self, resumption: bool, truncated_hello_hash: &[u8]) -> Digest {
        let key = self.binder_key(resumption);
        finished_mac(self.suite.hash, key.as_bytes(), truncated_hello_hash)
    }

    /// client_early_traffic_secret: Derive-Secret(., "c e traffic", ClientHello).
    pub fn client_early_traffic_secret(&self, hello_hash: &[u8]) -> TrafficSecret {
        self.traffic(b"c e traffic", hello_hash)
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
        HandshakeSecret {
            suite: self.suite,
            secret: next_stage(self.suite, &self.secret, shared_secret),
        }
    }

    fn traffic(&self, label: &[u8], hash: &[u8]) -> TrafficSecret {
        TrafficSecret::derive(self.suite, &self.secret, label, hash)
    }
}

/// Handshake Secret (RFC 8446, 7.1).
pub struct HandshakeSecret {
    suite: &'static Tls13CipherSuite,
    secret: Secret,
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
        MasterSecret {
            suite: self.suite,
            secret: next_stage(self.suite, &self.secret, zeros(self.suite)),
        }
    }
}

/// Master Secret (RFC 8446, 7.1). `handshake_hash` is ClientHello...server Finished.
pub struct MasterSecret {
    suite: &'static Tls13CipherSuite,
    secret: Secret,
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

    /// resumption_master_secret: Derive-Secret(., "res master", ...client Finished).
    pub fn resumption_master_secret(&self, hash: &[u8]) -> Secret {
        derive_secret(self.suite.hash, self.secret.as_bytes(), b"res master", hash)
    }
}

/// A traffic secret for one direction and epoch: early, handshake or application.
#[derive(Clone)]
pub struct TrafficSecret {
    suite: &'static Tls13CipherSuite,
    secret: Secret,
}

impl TrafficSecret {
    fn derive(suite: &'static Tls13CipherSuite, stage: &Secret, label: &[u8], hash: &[u8]) -> Self {
        TrafficSecret {
            suite,
            secret: derive_secret(suite.hash, stage.as_bytes(), label, hash),
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
        let key = hkdf_expand_label(alg, secret, b"key", &[], self.suite.aead.key_len());
        let iv = hkdf_expand_label(alg, secret, b"iv", &[], NONCE_LEN);
        let mut iv_bytes = [0u8; NONCE_LEN];
        iv_bytes.copy_from_slice(iv.as_bytes());
        (key, iv_bytes)
    }

    /// The next generation after a KeyUpdate (RFC 8446, 7.2):
    /// HKDF-Expand-Label(., "traffic upd", "", Hash.length).
    pub fn next(&self) -> TrafficSecret {
        let alg = self.suite.hash;
        TrafficSecret {
            suite: self.suite,
            secret: hkdf_expand_label(
                alg,
                self.secret.as_bytes(),
                b"traffic upd",
                &[],
                alg.output_len(),
            ),
        }
    }

    /// finished_key: HKDF-Expand-Label(., "finished", "", Hash.length) (RFC 8446, 4.4.4).
    pub fn finished_key(&self) -> Secret {
        let alg = self.suite.hash;
        hkdf_expand_label(
            alg,
            self.secret.as_bytes(),
            b"finished",
            &[],
            alg.output_len(),
        )
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

#[cfg(test)]
pub(crate) mod rfc8448;

#[cfg(test)]
mod tests {
    use super::rfc8448::{s3, s4, s5, unhex};
    use super::*;
    use crate::crypto::HashContext;
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
