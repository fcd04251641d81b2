//! Hybrid Public Key Encryption (RFC 9180) in base mode, for Encrypted Client Hello.
//!
//! Two DHKEMs (X25519 and P-256, both with HKDF-SHA256), HKDF-SHA256/384 and three
//! AEADs. A sender encapsulates to the recipient's public key and gets `enc` and a
//! [`SenderContext`]; the recipient turns `enc` and its [`HpkeKeyPair`] into a
//! [`ReceiverContext`]. Each context seals or opens messages in order, one sequence
//! number per message (RFC 9180, 5.2). The PSK and Auth modes and the secret exporter
//! are not implemented.
//!
//! Every failure is an [`HpkeError`] naming the suite or KEM and what was wrong:
//! a public key of the wrong length or not on the curve, a low-order X25519 point,
//! a ciphertext that does not authenticate.

use core::fmt;

use aws_lc_rs::agreement;
use zeroize::{Zeroize, Zeroizing};

use super::aead::{AeadKey, NONCE_LEN, TAG_LEN};
use super::hash::{hkdf_expand, hkdf_expand_into, hkdf_extract, HashAlgorithm, Secret};
use super::provider::RandomSource;
use crate::error::CryptoError;

mod suite;

pub use suite::{HpkeAead, HpkeKdf, HpkeKem, HpkeSuite};

/// RFC 9180, 4: the version label in front of every labeled KDF input.
const VERSION_LABEL: &[u8] = b"HPKE-v1";
/// RFC 9180, 5, table 1.
const MODE_BASE: u8 = 0x00;
/// SEC 1, 2.3.3: the uncompressed point marker (RFC 9180, 7.1.1).
const UNCOMPRESSED: u8 = 0x04;
/// The order of the P-256 group (RFC 9180, 7.1.3).
const P256_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
];

/// Which public key an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublicKeyRole {
    /// pkR, given to the sender.
    Recipient,
    /// enc (the sender's ephemeral pkE), given to the recipient.
    Encapsulated,
}

impl fmt::Display for PublicKeyRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PublicKeyRole::Recipient => "HPKE recipient public key",
            PublicKeyRole::Encapsulated => "HPKE encapsulated key (enc)",
        })
    }
}

/// An HPKE failure (RFC 9180, 8.2), with the suite or KEM it happened in.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HpkeError {
    /// A public key or enc of the wrong length for the KEM (DeserializeError).
    WrongPublicKeyLength {
        kem: HpkeKem,
        key: PublicKeyRole,
        expected: usize,
        got: usize,
    },
    /// A P-256 public key that is not an uncompressed point on the curve (RFC 9180,
    /// 7.1.1 and 7.1.4; ValidationError).
    InvalidPublicKey { kem: HpkeKem, key: PublicKeyRole },
    /// An X25519 public key of low order: the Diffie-Hellman result is all zeros
    /// (RFC 9180, 7.1.4; ValidationError).
    ZeroSharedSecret { kem: HpkeKem, key: PublicKeyRole },
    /// A private key of the wrong length for the KEM (DeserializeError).
    WrongPrivateKeyLength {
        kem: HpkeKem,
        expected: usize,
        got: usize,
    },
    /// A private key of the right length that is not a valid scalar (RFC 9180, 7.1.2).
    InvalidPrivateKey { kem: HpkeKem },
    /// A key pair for a different KEM than the suite's.
    KemMismatch { suite: HpkeSuite, key_kem: HpkeKem },
    /// DeriveKeyPair found no valid P-256 scalar in 256 candidates (RFC 9180, 7.1.3).
    DeriveKeyPairFailed { kem: HpkeKem },
    /// The random source failed while generating a key pair.
    RandomFailed { kem: HpkeKem, source: CryptoError },
    /// aws-lc refused the AEAD key the key schedule derived (a bug, not an input error).
    AeadKeyRejected { suite: HpkeSuite },
    /// The AEAD refused to seal a message.
    SealFailed { suite: HpkeSuite, seq: u64 },
    /// A ciphertext shorter than the AEAD's tag.
    CiphertextTooShort {
        suite: HpkeSuite,
        seq: u64,
        len: usize,
    },
    /// A ciphertext that does not authenticate under this context's key, nonce and
    /// the given aad (OpenError).
    OpenFailed { suite: HpkeSuite, seq: u64 },
    /// The context has used every sequence number (MessageLimitReachedError, 5.2).
    MessageLimitReached { suite: HpkeSuite },
}

impl fmt::Display for HpkeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HpkeError::WrongPublicKeyLength {
                kem,
                key,
                expected,
                got,
            } => write!(f, "the {key} is {got} bytes, but {kem} needs {expected}"),
            HpkeError::InvalidPublicKey { kem, key } => write!(
                f,
                "the {key} is not a valid {kem} public key: it must be an uncompressed \
                 point (0x04 || X || Y) on the curve"
            ),
            HpkeError::ZeroSharedSecret { kem, key } => write!(
                f,
                "the {key} is a low-order point: {kem} Diffie-Hellman with it gives \
                 all zeros, so it is refused"
            ),
            HpkeError::WrongPrivateKeyLength { kem, expected, got } => write!(
                f,
                "a {got}-byte HPKE private key is the wrong size for {kem}, which needs {expected}"
            ),
            HpkeError::InvalidPrivateKey { kem } => match kem {
                HpkeKem::DhkemP256HkdfSha256 => write!(
                    f,
                    "the HPKE private key is not a valid {kem} private key: the scalar \
                     is zero or not below the group order"
                ),
                HpkeKem::DhkemX25519HkdfSha256 => write!(
                    f,
                    "the HPKE private key is not a valid {kem} private key: aws-lc refused it"
                ),
            },
            HpkeError::KemMismatch { suite, key_kem } => write!(
                f,
                "the HPKE key pair is for {key_kem}, but the suite {suite} uses {}",
                suite.kem
            ),
            HpkeError::DeriveKeyPairFailed { kem } => write!(
                f,
                "{kem} DeriveKeyPair found no valid private key in 256 candidates; \
                 use different input keying material"
            ),
            HpkeError::RandomFailed { kem, source } => {
                write!(f, "could not generate a {kem} key pair: {source}")
            }
            HpkeError::AeadKeyRejected { suite } => write!(
                f,
                "internal error: aws-lc refused the {} key derived by the HPKE key \
                 schedule of {suite}",
                suite.aead
            ),
            HpkeError::SealFailed { suite, seq } => write!(
                f,
                "HPKE seal failed for sequence number {seq} with {suite}: the AEAD \
                 refused the input (the plaintext may be longer than it allows)"
            ),
            HpkeError::CiphertextTooShort { suite, seq, len } => write!(
                f,
                "the HPKE ciphertext for sequence number {seq} is {len} bytes, shorter \
                 than the {TAG_LEN}-byte {} tag; it was truncated or is not a ciphertext",
                suite.aead
            ),
            HpkeError::OpenFailed { suite, seq } => write!(
                f,
                "HPKE open failed for sequence number {seq} with {suite}: the \
                 ciphertext or its associated data was altered, or it was sealed with a \
                 different key, info or sequence number"
            ),
            HpkeError::MessageLimitReached { suite } => write!(
                f,
                "this HPKE context ({suite}) has used all 2^64 - 1 sequence numbers; \
                 set up a new context"
            ),
        }
    }
}

// CryptoError does not implement std::error::Error, so RandomFailed carries its
// text in Display rather than as a source().
impl std::error::Error for HpkeError {}

/// A KEM key pair: the recipient's static key, or a sender's ephemeral one. The
/// private key is zeroized on drop (its aws-lc copy is cleared when aws-lc frees it).
pub struct HpkeKeyPair {
    kem: HpkeKem,
    private: Secret,
    public: Vec<u8>,
    key: agreement::PrivateKey,
}

impl HpkeKeyPair {
    /// A fresh key pair with randomness from `rng` (the crate's provider, so tests
    /// can fix it): DeriveKeyPair(random(Nsk)), as RFC 9180, 4 allows.
    pub fn generate(kem: HpkeKem, rng: &dyn RandomSource) -> Result<Self, HpkeError> {
        let mut ikm = Zeroizing::new(vec![0u8; kem.private_key_len()]);
        rng.fill(&mut ikm[..])
            .map_err(|source| HpkeError::RandomFailed { kem, source })?;
        Self::derive(kem, &ikm)
    }

    /// DeriveKeyPair(ikm) (RFC 9180, 7.1.3): the same `ikm` always gives the same
    /// key pair. `ikm` should hold at least Nsk (32) bytes of entropy.
    pub fn derive(kem: HpkeKem, ikm: &[u8]) -> Result<Self, HpkeError> {
        let (kdf, suite_id) = (kem.kdf(), kem.suite_id());
        let dkp_prk = labeled_extract(kdf, &suite_id, b"", b"dkp_prk", ikm);
        match kem {
            HpkeKem::DhkemX25519HkdfSha256 => {
                let sk = labeled_expand(kdf, &suite_id, &dkp_prk, b"sk", b"", kem.nsk());
                Self::from_private(kem, sk.as_bytes())
            }
            HpkeKem::DhkemP256HkdfSha256 => {
                // Rejection sampling; the bitmask is 0xff for P-256, so no bits are cleared.
                for counter in 0..=u8::MAX {
                    let sk = labeled_expand(
                        kdf,
                        &suite_id,
                        &dkp_prk,
                        b"candidate",
                        &[counter],
                        kem.nsk(),
                    );
                    if p256_scalar_in_range(sk.as_bytes()) {
                        return Self::from_private(kem, sk.as_bytes());
                    }
                }
                Err(HpkeError::DeriveKeyPairFailed { kem })
            }
        }
    }

    /// DeserializePrivateKey (RFC 9180, 7.1.2): a raw X25519 scalar (clamped by
    /// aws-lc when used, RFC 7748, 5) or a big-endian P-256 scalar, which must be
    /// non-zero and below the group order.
    pub fn from_private(kem: HpkeKem, private: &[u8]) -> Result<Self, HpkeError> {
        if private.len() != kem.private_key_len() {
            return Err(HpkeError::WrongPrivateKeyLength {
                kem,
                expected: kem.private_key_len(),
                got: private.len(),
            });
        }
        if kem == HpkeKem::DhkemP256HkdfSha256 && !p256_scalar_in_range(private) {
            return Err(HpkeError::InvalidPrivateKey { kem });
        }
        let invalid = HpkeError::InvalidPrivateKey { kem };
        let key = agreement::PrivateKey::from_private_key(kem.agreement_alg(), private)
            .map_err(|_| invalid.clone())?;
        let public = key.compute_public_key().map_err(|_| invalid)?;
        Ok(Self {
            kem,
            private: Secret::from(private),
            public: public.as_ref().to_vec(),
            key,
        })
    }

    pub fn kem(&self) -> HpkeKem {
        self.kem
    }

    /// SerializePublicKey (RFC 9180, 7.1.1): 32 bytes for X25519, an uncompressed
    /// 65-byte point for P-256.
    pub fn public_key(&self) -> &[u8] {
        &self.public
    }

    /// The private key as it was given or derived (SerializePrivateKey, 7.1.2, without
    /// X25519 clamping, as in the RFC's test vectors).
    pub fn private_key(&self) -> &[u8] {
        self.private.as_bytes()
    }
}

impl fmt::Debug for HpkeKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HpkeKeyPair({})", self.kem)
    }
}

/// 1 <= sk < order for a 32-byte big-endian P-256 scalar, in time independent of
/// `sk` (the candidate is secret): a borrow-propagating subtraction of the order.
fn p256_scalar_in_range(sk: &[u8]) -> bool {
    if sk.len() != P256_ORDER.len() {
        return false;
    }
    let mut borrow = 0u16;
    let mut nonzero = 0u8;
    for (s, o) in sk.iter().rev().zip(P256_ORDER.iter().rev()) {
        let diff = u16::from(*s)
            .wrapping_sub(u16::from(*o))
            .wrapping_sub(borrow);
        borrow = diff >> 15;
        nonzero |= s;
    }
    borrow == 1 && nonzero != 0
}

/// RFC 9180, 4: LabeledExtract(salt, label, ikm). The labeled input holds `ikm`
/// (a secret), so it is wiped afterwards.
fn labeled_extract(
    kdf: HashAlgorithm,
    suite_id: &[u8],
    salt: &[u8],
    label: &[u8],
    ikm: &[u8],
) -> Secret {
    // Exact capacity: a reallocation would leave an unwiped copy behind.
    let len = VERSION_LABEL.len() + suite_id.len() + label.len() + ikm.len();
    let mut labeled_ikm = Zeroizing::new(Vec::with_capacity(len));
    for part in [VERSION_LABEL, suite_id, label, ikm] {
        labeled_ikm.extend_from_slice(part);
    }
    hkdf_extract(kdf, salt, &labeled_ikm)
}

/// RFC 9180, 4: the info of LabeledExpand, concat(I2OSP(L, 2), "HPKE-v1", suite_id,
/// label, info).
fn labeled_info(suite_id: &[u8], label: &[u8], info: &[u8], len: u16) -> Vec<u8> {
    let len = len.to_be_bytes();
    [&len[..], VERSION_LABEL, suite_id, label, info].concat()
}

/// RFC 9180, 4: LabeledExpand(prk, label, info, L).
fn labeled_expand(
    kdf: HashAlgorithm,
    suite_id: &[u8],
    prk: &Secret,
    label: &[u8],
    info: &[u8],
    len: u16,
) -> Secret {
    let labeled = labeled_info(suite_id, label, info, len);
    hkdf_expand(kdf, prk.as_bytes(), &labeled, usize::from(len))
}

/// DH(sk, pk) (RFC 9180, 4.1) with the checks of 7.1.4 on the peer's public key:
/// its length, the uncompressed form for P-256 (aws-lc would also take compressed
/// points), the curve check (aws-lc), and an all-zero X25519 result.
fn dh(
    kem: HpkeKem,
    private: &agreement::PrivateKey,
    peer: &[u8],
    role: PublicKeyRole,
) -> Result<Secret, HpkeError> {
    if peer.len() != kem.public_key_len() {
        return Err(HpkeError::WrongPublicKeyLength {
            kem,
            key: role,
            expected: kem.public_key_len(),
            got: peer.len(),
        });
    }
    let refused = match kem {
        HpkeKem::DhkemP256HkdfSha256 => HpkeError::InvalidPublicKey { kem, key: role },
        // Any 32 bytes decode as an X25519 point; aws-lc fails the agreement only
        // when the result is all zeros (a low-order point).
        HpkeKem::DhkemX25519HkdfSha256 => HpkeError::ZeroSharedSecret { kem, key: role },
    };
    if kem == HpkeKem::DhkemP256HkdfSha256 && peer.first() != Some(&UNCOMPRESSED) {
        return Err(refused);
    }
    let public = agreement::UnparsedPublicKey::new(kem.agreement_alg(), peer);
    agreement::agree(private, public, refused, |shared| {
        if shared.iter().fold(0u8, |acc, b| acc | b) == 0 {
            return Err(HpkeError::ZeroSharedSecret { kem, key: role });
        }
        Ok(Secret::from(shared))
    })
}

/// ExtractAndExpand(dh, kem_context) (RFC 9180, 4.1), with the KEM's suite_id.
fn extract_and_expand(kem: HpkeKem, dh: &Secret, kem_context: &[u8]) -> Secret {
    let (kdf, suite_id) = (kem.kdf(), kem.suite_id());
    let eae_prk = labeled_extract(kdf, &suite_id, b"", b"eae_prk", dh.as_bytes());
    labeled_expand(
        kdf,
        &suite_id,
        &eae_prk,
        b"shared_secret",
        kem_context,
        kem.nsecret(),
    )
}

/// Encap(pkR) (RFC 9180, 4.1) with a given ephemeral key pair: (shared_secret, enc).
fn encap(
    kem: HpkeKem,
    pk_r: &[u8],
    ephemeral: &HpkeKeyPair,
) -> Result<(Secret, Vec<u8>), HpkeError> {
    let dh = dh(kem, &ephemeral.key, pk_r, PublicKeyRole::Recipient)?;
    let enc = ephemeral.public.clone();
    let kem_context = [&enc[..], pk_r].concat();
    Ok((extract_and_expand(kem, &dh, &kem_context), enc))
}

/// Decap(enc, skR) (RFC 9180, 4.1).
fn decap(kem: HpkeKem, enc: &[u8], recipient: &HpkeKeyPair) -> Result<Secret, HpkeError> {
    let dh = dh(kem, &recipient.key, enc, PublicKeyRole::Encapsulated)?;
    let kem_context = [enc, &recipient.public[..]].concat();
    Ok(extract_and_expand(kem, &dh, &kem_context))
}

/// The outputs of the key schedule that base-mode seal and open need.
struct KeySchedule {
    key: Secret,
    base_nonce: [u8; NONCE_LEN],
}

impl Drop for KeySchedule {
    fn drop(&mut self) {
        self.base_nonce.zeroize();
    }
}

/// KeySchedule(mode_base, shared_secret, info, default_psk, default_psk_id)
/// (RFC 9180, 5.1). The exporter_secret is not derived: there is no Export (5.3).
fn key_schedule(suite: HpkeSuite, shared_secret: &Secret, info: &[u8]) -> KeySchedule {
    let (kdf, suite_id) = (suite.kdf.hash(), suite.suite_id());
    // Base mode: psk and psk_id are both the empty default, so VerifyPSKInputs holds.
    let psk_id_hash = labeled_extract(kdf, &suite_id, b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(kdf, &suite_id, b"", b"info_hash", info);
    let context = [
        &[MODE_BASE][..],
        psk_id_hash.as_bytes(),
        info_hash.as_bytes(),
    ]
    .concat();
    let secret = labeled_extract(kdf, &suite_id, shared_secret.as_bytes(), b"secret", b"");
    let key = labeled_expand(kdf, &suite_id, &secret, b"key", &context, suite.aead.nk());
    let mut base_nonce = [0u8; NONCE_LEN];
    // Nn is 12 for every AEAD here; NONCE_LEN is 12, so it fits in a u16.
    let nn = NONCE_LEN as u16;
    let nonce_info = labeled_info(&suite_id, b"base_nonce", &context, nn);
    hkdf_expand_into(kdf, secret.as_bytes(), &nonce_info, &mut base_nonce);
    KeySchedule { key, base_nonce }
}

/// The state both roles share (RFC 9180, 5.2): the AEAD key, base_nonce and the
/// sequence number of the next message.
struct Context {
    suite: HpkeSuite,
    key: AeadKey,
    base_nonce: [u8; NONCE_LEN],
    seq: u64,
}

impl Context {
    fn new(suite: HpkeSuite, schedule: KeySchedule) -> Result<Self, HpkeError> {
        let key = AeadKey::new(suite.aead.algorithm(), schedule.key.as_bytes())
            .map_err(|_| HpkeError::AeadKeyRejected { suite })?;
        Ok(Self {
            suite,
            key,
            base_nonce: schedule.base_nonce,
            seq: 0,
        })
    }

    /// ComputeNonce(seq): base_nonce XOR I2OSP(seq, Nn). The sequence number is a
    /// u64, shorter than Nn, padded on the left with zeros as 5.2 allows.
    fn nonce(&self) -> [u8; NONCE_LEN] {
        let mut nonce = self.base_nonce;
        let seq = self.seq.to_be_bytes();
        for (n, s) in nonce.iter_mut().rev().zip(seq.iter().rev()) {
            *n ^= s;
        }
        nonce
    }

    /// The sequence number after this one: IncrementSeq's check, made before the
    /// AEAD runs so that nothing is sealed or opened under the last number.
    fn next_seq(&self) -> Result<u64, HpkeError> {
        self.seq
            .checked_add(1)
            .ok_or(HpkeError::MessageLimitReached { suite: self.suite })
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        self.base_nonce.zeroize();
    }
}

/// The sender's context (ContextS, RFC 9180, 5.2): seals messages in order.
pub struct SenderContext {
    ctx: Context,
}

impl SenderContext {
    /// ContextS.Seal(aad, pt): the ciphertext (plaintext length + 16-byte tag) under
    /// the next sequence number. Fails with `MessageLimitReached` once every
    /// sequence number is used.
    pub fn seal(&mut self, aad: &[u8], pt: &[u8]) -> Result<Vec<u8>, HpkeError> {
        let ctx = &mut self.ctx;
        let next = ctx.next_seq()?;
        let mut out = Vec::with_capacity(pt.len() + TAG_LEN);
        out.extend_from_slice(pt);
        ctx.key
            .seal_in_place_append_tag(ctx.nonce(), aad, &mut out)
            .map_err(|_| HpkeError::SealFailed {
                suite: ctx.suite,
                seq: ctx.seq,
            })?;
        ctx.seq = next;
        Ok(out)
    }

    pub fn suite(&self) -> HpkeSuite {
        self.ctx.suite
    }
}

impl fmt::Debug for SenderContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SenderContext({}, seq {})", self.ctx.suite, self.ctx.seq)
    }
}

/// The recipient's context (ContextR, RFC 9180, 5.2): opens messages in the order
/// they were sealed.
pub struct ReceiverContext {
    ctx: Context,
}

impl ReceiverContext {
    /// ContextR.Open(aad, ct): the plaintext, or `OpenFailed` if `ct` does not
    /// authenticate with `aad` under the next sequence number. A failed open does
    /// not use up the sequence number.
    pub fn open(&mut self, aad: &[u8], ct: &[u8]) -> Result<Vec<u8>, HpkeError> {
        let ctx = &mut self.ctx;
        let next = ctx.next_seq()?;
        let (suite, seq) = (ctx.suite, ctx.seq);
        let pt_len = ct
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(HpkeError::CiphertextTooShort {
                suite,
                seq,
                len: ct.len(),
            })?;
        let mut out = vec![0u8; pt_len];
        ctx.key
            .open_out_of_place(ctx.nonce(), aad, ct, &mut out)
            .ok_or(HpkeError::OpenFailed { suite, seq })?;
        ctx.seq = next;
        Ok(out)
    }

    pub fn suite(&self) -> HpkeSuite {
        self.ctx.suite
    }
}

impl fmt::Debug for ReceiverContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ReceiverContext({}, seq {})",
            self.ctx.suite, self.ctx.seq
        )
    }
}

fn check_kem(suite: HpkeSuite, key: &HpkeKeyPair) -> Result<(), HpkeError> {
    if key.kem == suite.kem {
        Ok(())
    } else {
        Err(HpkeError::KemMismatch {
            suite,
            key_kem: key.kem,
        })
    }
}

/// SetupBaseS(pkR, info) (RFC 9180, 5.1.1): encapsulates to the recipient's public
/// key `pk_r` with a fresh ephemeral key from `rng`, and returns `enc` (to send to
/// the recipient) and the sender's context. Fails if `pk_r` is not a valid public
/// key for the suite's KEM.
pub fn setup_base_sender(
    suite: HpkeSuite,
    pk_r: &[u8],
    info: &[u8],
    rng: &dyn RandomSource,
) -> Result<(Vec<u8>, SenderContext), HpkeError> {
    let ephemeral = HpkeKeyPair::generate(suite.kem, rng)?;
    setup_base_sender_with_ephemeral(suite, pk_r, info, &ephemeral)
}

/// [`setup_base_sender`] with a given ephemeral key pair, for known-answer tests.
/// An ephemeral key must never be used twice (RFC 9180, 9.7.5).
pub fn setup_base_sender_with_ephemeral(
    suite: HpkeSuite,
    pk_r: &[u8],
    info: &[u8],
    ephemeral: &HpkeKeyPair,
) -> Result<(Vec<u8>, SenderContext), HpkeError> {
    check_kem(suite, ephemeral)?;
    let (shared_secret, enc) = encap(suite.kem, pk_r, ephemeral)?;
    let ctx = Context::new(suite, key_schedule(suite, &shared_secret, info))?;
    Ok((enc, SenderContext { ctx }))
}

/// SetupBaseR(enc, skR, info) (RFC 9180, 5.1.1): decapsulates `enc` with the
/// recipient's key pair into the recipient's context. Fails if `enc` is not a valid
/// public key for the suite's KEM; a wrong `info` or key shows up later, as
/// `OpenFailed`.
pub fn setup_base_receiver(
    suite: HpkeSuite,
    enc: &[u8],
    recipient: &HpkeKeyPair,
    info: &[u8],
) -> Result<ReceiverContext, HpkeError> {
    check_kem(suite, recipient)?;
    let shared_secret = decap(suite.kem, enc, recipient)?;
    let ctx = Context::new(suite, key_schedule(suite, &shared_secret, info))?;
    Ok(ReceiverContext { ctx })
}

#[cfg(test)]
mod tests;
