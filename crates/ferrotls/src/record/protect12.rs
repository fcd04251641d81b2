//! TLS 1.2 record protection (RFC 5246, 6.2.3).
//!
//! - AES-GCM (RFC 5288, 3): nonce = 4-byte salt from the key block || 8-byte explicit
//!   nonce carried in the record; we send the sequence number as the explicit nonce.
//! - ChaCha20-Poly1305 (RFC 7905, 2): nonce = 12-byte IV XOR the left-padded sequence
//!   number; nothing explicit in the record.
//! - AES-CBC with HMAC (RFC 5246, 6.2.3.2), legacy: a fresh random IV per record,
//!   MAC-then-encrypt checked in constant time (see [`crate::crypto::cbc`]), or
//!   encrypt-then-MAC (RFC 7366) when negotiated.
//!
//! The AEAD additional data and the MAC header are `seq_num || type || version ||
//! length` (RFC 5246, 6.2.3.3 and 6.2.3.1). Every failure to authenticate, whatever
//! its cause (tag, MAC, padding, a record too short to hold them), is the same
//! `BadRecordMac` (bad_record_mac alert, RFC 5246, 7.2.2), and the sequence number
//! then does not advance. No sequence number is used twice: at 2^64 - 1 both
//! directions stop with `SequenceExhausted` (TLS 1.2 has no key update).

use core::fmt;
use std::sync::Arc;

use zeroize::Zeroize;

use super::{
    header, BorrowedRecord, OpaqueRecord, Opened, PlainMessage, HEADER_LEN, MAX_PLAINTEXT_LEN,
};
use crate::crypto::aead::{AeadAlgorithm, AeadKey, NONCE_LEN, TAG_LEN};
use crate::crypto::cbc::{check_mac_then_encrypt, check_padding, CbcKey, MacKey, AES_BLOCK_LEN};
use crate::crypto::{Provider, RandomSource};
use crate::error::{CryptoError, Error, RecordError};
use crate::msgs::enums::{ContentType, ProtocolVersion};
use crate::tls12::suites::{Bulk, Tls12CipherSuite};

pub use super::MAX_CIPHERTEXT_LEN_TLS12;

/// Length of the GCM explicit nonce in each record (RFC 5288, 3).
pub const GCM_EXPLICIT_NONCE_LEN: usize = 8;
/// Length of the GCM salt (implicit nonce part) from the key block (RFC 5288, 3).
pub const GCM_SALT_LEN: usize = 4;

/// The sequence number of one direction (RFC 5246, 6.1).
#[derive(Debug)]
struct Sequence {
    next: u64,
}

impl Sequence {
    /// The number for this record; consumed only by `advance`. 2^64 - 1 is never
    /// used, so the counter cannot wrap (RFC 5246, 6.1).
    fn current(&self) -> Result<u64, RecordError> {
        match self.next {
            u64::MAX => Err(RecordError::SequenceExhausted),
            seq => Ok(seq),
        }
    }

    fn advance(&mut self) {
        self.next = self.next.saturating_add(1);
    }
}

/// `seq_num || type || version`: the first 11 bytes of the MAC input and the AEAD
/// additional data (RFC 5246, 6.2.3.1 and 6.2.3.3).
fn mac_header(seq: u64, typ: ContentType, version: ProtocolVersion) -> [u8; 11] {
    let mut h = [0u8; 11];
    h[..8].copy_from_slice(&seq.to_be_bytes());
    h[8] = typ.to_wire();
    h[9..].copy_from_slice(&version.to_wire().to_be_bytes());
    h
}

/// `seq_num || type || version || length` (13 bytes).
fn additional_data(seq: u64, typ: ContentType, version: ProtocolVersion, len: usize) -> [u8; 13] {
    let mut ad = [0u8; 13];
    ad[..11].copy_from_slice(&mac_header(seq, typ, version));
    // Callers keep len within a record's size, below 2^16.
    ad[11..].copy_from_slice(&(len as u16).to_be_bytes());
    ad
}

/// RFC 7905, 2: the IV XOR the sequence number, left-padded to 12 bytes.
fn chacha_nonce(iv: &[u8; NONCE_LEN], seq: u64) -> [u8; NONCE_LEN] {
    let mut nonce = *iv;
    for (n, s) in nonce[NONCE_LEN - 8..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}

/// RFC 5288, 3: salt || explicit nonce.
fn gcm_nonce(salt: &[u8; GCM_SALT_LEN], explicit: [u8; GCM_EXPLICIT_NONCE_LEN]) -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..GCM_SALT_LEN].copy_from_slice(salt);
    nonce[GCM_SALT_LEN..].copy_from_slice(&explicit);
    nonce
}

/// The keys of one direction. The CBC keys (HMAC contexts, two AES schedules) are
/// boxed: unboxed they made every Encrypter12 and Decrypter12 over 2 KiB, copied each
/// time a handshake state moved them.
enum Cipher {
    Gcm {
        key: AeadKey,
        salt: [u8; GCM_SALT_LEN],
    },
    ChaCha {
        key: AeadKey,
        iv: [u8; NONCE_LEN],
    },
    Cbc {
        key: Box<CbcKey>,
        mac: Box<MacKey>,
        encrypt_then_mac: bool,
    },
}

impl Cipher {
    fn new(
        suite: &Tls12CipherSuite,
        mac_key: &[u8],
        enc_key: &[u8],
        fixed_iv: &[u8],
        encrypt_then_mac: bool,
    ) -> Result<Self, CryptoError> {
        let layout = suite.key_block_layout();
        let bad = |algorithm: &'static str, length: usize| CryptoError::BadKeyLength {
            algorithm,
            length,
        };
        match suite.bulk {
            Bulk::Aead(aead) => {
                if fixed_iv.len() != layout.fixed_iv_len {
                    return Err(bad("TLS 1.2 implicit IV", fixed_iv.len()));
                }
                let key = AeadKey::new(aead, enc_key)?;
                Ok(match aead {
                    AeadAlgorithm::ChaCha20Poly1305 => {
                        let mut iv = [0u8; NONCE_LEN];
                        iv.copy_from_slice(fixed_iv);
                        Cipher::ChaCha { key, iv }
                    }
                    AeadAlgorithm::Aes128Gcm | AeadAlgorithm::Aes256Gcm => {
                        let mut salt = [0u8; GCM_SALT_LEN];
                        salt.copy_from_slice(fixed_iv);
                        Cipher::Gcm { key, salt }
                    }
                })
            }
            Bulk::Cbc { key_len, mac } => {
                if enc_key.len() != key_len {
                    return Err(bad("AES-CBC", enc_key.len()));
                }
                if mac_key.len() != mac.key_len() {
                    return Err(bad(mac.name(), mac_key.len()));
                }
                Ok(Cipher::Cbc {
                    key: Box::new(CbcKey::new(enc_key)?),
                    mac: Box::new(MacKey::new(mac, mac_key)),
                    encrypt_then_mac,
                })
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            Cipher::Gcm { key, .. } | Cipher::ChaCha { key, .. } => key.algorithm().name().into(),
            Cipher::Cbc {
                key,
                mac,
                encrypt_then_mac,
            } => format!(
                "{} {} {}",
                key.name(),
                mac.algorithm().name(),
                if *encrypt_then_mac {
                    "encrypt-then-MAC"
                } else {
                    "MAC-then-encrypt"
                }
            ),
        }
    }

    fn mac_len(&self) -> usize {
        match self {
            Cipher::Cbc { mac, .. } => mac.algorithm().output_len(),
            _ => 0,
        }
    }
}

/// Splits a key block (RFC 5246, 6.3) and builds both directions for one side.
/// `encrypt_then_mac` is what the hellos negotiated (RFC 7366); it only applies to
/// CBC suites and is ignored for AEADs (RFC 7366, 3). Fails with `BadKeyLength` if
/// the block is shorter than the suite needs.
pub fn new_pair_from_key_block(
    suite: &Tls12CipherSuite,
    key_block: &[u8],
    is_client: bool,
    encrypt_then_mac: bool,
) -> Result<(Encrypter12, Decrypter12), CryptoError> {
    let layout = suite.key_block_layout();
    if key_block.len() < layout.total_len() {
        return Err(CryptoError::BadKeyLength {
            algorithm: "TLS 1.2 key block",
            length: key_block.len(),
        });
    }
    let (client_mac, rest) = key_block.split_at(layout.mac_key_len);
    let (server_mac, rest) = rest.split_at(layout.mac_key_len);
    let (client_key, rest) = rest.split_at(layout.enc_key_len);
    let (server_key, rest) = rest.split_at(layout.enc_key_len);
    let (client_iv, rest) = rest.split_at(layout.fixed_iv_len);
    let (server_iv, _) = rest.split_at(layout.fixed_iv_len);
    let client = (client_mac, client_key, client_iv);
    let server = (server_mac, server_key, server_iv);
    let (ours, theirs) = if is_client {
        (client, server)
    } else {
        (server, client)
    };
    Ok((
        Encrypter12::new(suite, ours.0, ours.1, ours.2, encrypt_then_mac)?,
        Decrypter12::new(suite, theirs.0, theirs.1, theirs.2, encrypt_then_mac)?,
    ))
}

/// Protects outgoing TLS 1.2 records under one direction's keys.
pub struct Encrypter12 {
    cipher: Cipher,
    seq: Sequence,
    /// Source of CBC IVs; the system CSPRNG unless replaced for tests.
    random: Arc<dyn RandomSource>,
    scratch: Vec<u8>,
}

impl Encrypter12 {
    /// An encrypter from this direction's slices of the key block. Fails with
    /// `BadKeyLength` if a slice has the wrong length for `suite`.
    pub fn new(
        suite: &Tls12CipherSuite,
        mac_key: &[u8],
        enc_key: &[u8],
        fixed_iv: &[u8],
        encrypt_then_mac: bool,
    ) -> Result<Self, CryptoError> {
        Ok(Encrypter12 {
            cipher: Cipher::new(suite, mac_key, enc_key, fixed_iv, encrypt_then_mac)?,
            seq: Sequence { next: 0 },
            random: Provider::system().random,
            scratch: Vec::new(),
        })
    }

    /// Replaces the source of CBC record IVs (the system CSPRNG by default), so tests
    /// and transcript replays can fix them. AEAD suites use no randomness.
    pub fn set_random(&mut self, random: Arc<dyn RandomSource>) {
        self.random = random;
    }

    /// Appends one protected record carrying `plaintext` (at most 2^14 bytes,
    /// `PlaintextTooLarge` otherwise) of type `typ`. Fails with `SequenceExhausted`
    /// rather than reuse a sequence number, and with `RandomFailed` if no CBC IV
    /// could be drawn. Nothing is appended on failure.
    pub fn encrypt(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let start = out.len();
        out.resize(start + self.record_len(plaintext.len()), 0);
        let result = self.encrypt_into(typ, plaintext, out.get_mut(start..).unwrap_or_default());
        out.truncate(start + *result.as_ref().unwrap_or(&0));
        result.map(|_| ())
    }

    /// Bytes on the wire of the record carrying `len` bytes of plaintext: header,
    /// explicit nonce and tag (GCM); tag (ChaCha20-Poly1305); IV, MAC and the least
    /// padding (CBC).
    pub fn record_len(&self, len: usize) -> usize {
        HEADER_LEN
            + match &self.cipher {
                Cipher::Gcm { .. } => GCM_EXPLICIT_NONCE_LEN + len + TAG_LEN,
                Cipher::ChaCha { .. } => len + TAG_LEN,
                Cipher::Cbc {
                    mac,
                    encrypt_then_mac,
                    ..
                } => {
                    // IV, then whole blocks of data, MAC (inside them, unless
                    // encrypt-then-MAC puts it after) and at least one padding byte.
                    let mac_len = mac.algorithm().output_len();
                    let (inside, after) = if *encrypt_then_mac {
                        (0, mac_len)
                    } else {
                        (mac_len, 0)
                    };
                    AES_BLOCK_LEN + ((len + inside) / AES_BLOCK_LEN + 1) * AES_BLOCK_LEN + after
                }
            }
    }

    /// Writes one record carrying `plaintext` to the front of `out`, which must hold
    /// at least [`record_len`](Self::record_len)`(plaintext.len())` bytes; returns its
    /// length. AEAD records are sealed straight from `plaintext` into place. Fails as
    /// [`encrypt`](Self::encrypt) does; `out` then holds nothing.
    pub fn encrypt_into(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(RecordError::PlaintextTooLarge {
                length: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            }
            .into());
        }
        let seq = self.seq.current()?;
        let version = ProtocolVersion::TLSv1_2;
        let ad = additional_data(seq, typ, version, plaintext.len());
        let too_small = |len: usize, out: &[u8]| RecordError::PlaintextTooLarge {
            length: len,
            max: out.len(),
        };
        let (explicit, nonce, sealer) = match &self.cipher {
            Cipher::Gcm { key, salt } => {
                // RFC 5288, 3: the explicit nonce must be distinct per record; the
                // sequence number is (and is what most implementations send).
                let explicit = seq.to_be_bytes();
                (Some(explicit), gcm_nonce(salt, explicit), Some(key))
            }
            Cipher::ChaCha { key, iv } => (None, chacha_nonce(iv, seq), Some(key)),
            Cipher::Cbc { .. } => (None, [0u8; 12], None),
        };
        if let Some(key) = sealer {
            // AEAD records are sealed straight from `plaintext` into place: no copy,
            // no scratch.
            let explicit = explicit.as_ref().map_or(&[][..], |e| &e[..]);
            let len = explicit.len() + plaintext.len() + TAG_LEN;
            let Some(record) = out.get_mut(..HEADER_LEN + len) else {
                return Err(too_small(HEADER_LEN + len, out).into());
            };
            let (hdr, body) = record.split_at_mut(HEADER_LEN);
            hdr.copy_from_slice(&header(typ, version, len));
            let (nonce_out, sealed) = body.split_at_mut(explicit.len());
            nonce_out.copy_from_slice(explicit);
            let (ciphertext, tag) = sealed.split_at_mut(plaintext.len());
            if let Err(e) = key.seal_out_of_place(nonce, &ad, plaintext, ciphertext, &[], tag) {
                record.zeroize();
                return Err(e.into());
            }
            self.seq.advance();
            return Ok(HEADER_LEN + len);
        }
        self.scratch.clear();
        let result = match &self.cipher {
            Cipher::Gcm { .. } | Cipher::ChaCha { .. } => Ok(()),
            Cipher::Cbc {
                key,
                mac,
                encrypt_then_mac,
            } => {
                let mut iv = [0u8; AES_BLOCK_LEN];
                self.random.fill(&mut iv)?;
                self.scratch.extend_from_slice(&iv);
                self.scratch.extend_from_slice(plaintext);
                if !*encrypt_then_mac {
                    let tag = mac.sign(&[&ad, plaintext]);
                    self.scratch.extend_from_slice(tag.as_ref());
                }
                // RFC 5246, 6.2.3.2: the least padding that fills the last block;
                // every padding byte, and the length byte, hold the padding length.
                let body_len = self.scratch.len() - AES_BLOCK_LEN;
                let pad = AES_BLOCK_LEN - 1 - body_len % AES_BLOCK_LEN;
                self.scratch.resize(self.scratch.len() + pad + 1, pad as u8);
                let encrypted = key.encrypt(
                    iv,
                    self.scratch.get_mut(AES_BLOCK_LEN..).unwrap_or_default(),
                );
                if encrypted.is_ok() && *encrypt_then_mac {
                    // RFC 7366, 3: the MAC covers the header (with the length of IV
                    // and ciphertext) and IV || ciphertext.
                    let ad = additional_data(seq, typ, version, self.scratch.len());
                    let tag = mac.sign(&[&ad, &self.scratch]);
                    self.scratch.extend_from_slice(tag.as_ref());
                }
                encrypted
            }
        };
        let len = HEADER_LEN + self.scratch.len();
        let Some(record) = out.get_mut(..len) else {
            self.scratch.zeroize();
            return Err(too_small(len, out).into());
        };
        if let Err(e) = result {
            self.scratch.zeroize();
            return Err(e.into());
        }
        self.seq.advance();
        let (hdr, body) = record.split_at_mut(HEADER_LEN);
        hdr.copy_from_slice(&header(typ, version, self.scratch.len()));
        body.copy_from_slice(&self.scratch);
        Ok(len)
    }

    /// The sequence number the next record will use.
    pub fn sequence(&self) -> u64 {
        self.seq.next
    }

    /// Whether records are encrypt-then-MAC (RFC 7366); false for AEAD suites.
    pub fn is_encrypt_then_mac(&self) -> bool {
        matches!(
            self.cipher,
            Cipher::Cbc {
                encrypt_then_mac: true,
                ..
            }
        )
    }

    #[cfg(test)]
    fn with_sequence(mut self, seq: u64) -> Self {
        self.seq.next = seq;
        self
    }
}

impl fmt::Debug for Encrypter12 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Encrypter12({}, sequence {})",
            self.cipher.describe(),
            self.seq.next
        )
    }
}

impl Drop for Encrypter12 {
    fn drop(&mut self) {
        self.scratch.zeroize();
        match &mut self.cipher {
            Cipher::Gcm { salt, .. } => salt.zeroize(),
            Cipher::ChaCha { iv, .. } => iv.zeroize(),
            Cipher::Cbc { .. } => {}
        }
    }
}

/// Removes incoming TLS 1.2 record protection under one direction's keys.
pub struct Decrypter12 {
    cipher: Cipher,
    seq: Sequence,
}

impl Decrypter12 {
    /// A decrypter from the peer direction's slices of the key block. Fails with
    /// `BadKeyLength` if a slice has the wrong length for `suite`.
    pub fn new(
        suite: &Tls12CipherSuite,
        mac_key: &[u8],
        enc_key: &[u8],
        fixed_iv: &[u8],
        encrypt_then_mac: bool,
    ) -> Result<Self, CryptoError> {
        Ok(Decrypter12 {
            cipher: Cipher::new(suite, mac_key, enc_key, fixed_iv, encrypt_then_mac)?,
            seq: Sequence { next: 0 },
        })
    }

    /// Authenticates and decrypts one record.
    ///
    /// Fails with `UnexpectedContentType` for a type other than handshake, alert,
    /// application_data or heartbeat (an encrypted change_cipher_spec would mean
    /// renegotiation); `Overflow` for a ciphertext above 2^14 + 2048 bytes or a
    /// plaintext above 2^14; `BadRecordMac` if the record does not authenticate for
    /// any reason, including bad CBC padding and records too short for their nonce,
    /// IV, tag or MAC (the sequence number then does not advance).
    pub fn decrypt(&mut self, record: OpaqueRecord) -> Result<PlainMessage, RecordError> {
        let mut payload = vec![0u8; record.payload.len()];
        let opened = self.decrypt_into(record.borrow(), &mut payload)?;
        payload.truncate(opened.len);
        Ok(PlainMessage {
            typ: opened.typ,
            payload,
        })
    }

    /// As [`decrypt`](Self::decrypt), for a record borrowed from a receive buffer:
    /// the plaintext is written to `out[..opened.len]` (`out` must hold at least
    /// `payload.len()` bytes). AEAD records are decrypted straight into `out`; CBC
    /// records are copied there and decrypted in place.
    pub fn decrypt_into(
        &mut self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, RecordError> {
        let len = self.open_into(record, out)?;
        self.seq.advance();
        Self::check_len(record.typ, len, out)
    }

    /// As [`decrypt_into`](Self::decrypt_into), but the sequence number does not
    /// advance: the caller [`advance`](Self::advance)s once it accepts the record.
    pub fn peek_into(
        &self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, RecordError> {
        let len = self.open_into(record, out)?;
        Self::check_len(record.typ, len, out)
    }

    /// Consumes the sequence number of a record accepted after [`peek_into`](Self::peek_into).
    pub fn advance(&mut self) {
        self.seq.advance();
    }

    /// RFC 5246, 6.2.3: no plaintext above 2^14, even an authentic one.
    fn check_len(typ: ContentType, len: usize, out: &mut [u8]) -> Result<Opened, RecordError> {
        if len > MAX_PLAINTEXT_LEN {
            if let Some(plain) = out.get_mut(..len) {
                plain.zeroize();
            }
            return Err(RecordError::Overflow {
                length: len,
                max: MAX_PLAINTEXT_LEN,
            });
        }
        Ok(Opened { typ, len })
    }

    /// Authenticates `record` and leaves its plaintext at the front of `out`; returns
    /// the plaintext's length. Nothing unauthenticated is left in `out` on failure.
    fn open_into(&self, record: BorrowedRecord<'_>, out: &mut [u8]) -> Result<usize, RecordError> {
        let BorrowedRecord {
            typ,
            version,
            payload,
        } = record;
        match typ {
            ContentType::Handshake
            | ContentType::Alert
            | ContentType::ApplicationData
            | ContentType::Heartbeat => {}
            got => return Err(RecordError::UnexpectedContentType { got }),
        }
        if payload.len() > MAX_CIPHERTEXT_LEN_TLS12 {
            return Err(RecordError::Overflow {
                length: payload.len(),
                max: MAX_CIPHERTEXT_LEN_TLS12,
            });
        }
        let seq = self.seq.current()?;
        let bad_mac = RecordError::BadRecordMac { sequence: seq };
        let Some(buf) = out.get_mut(..payload.len()) else {
            return Err(RecordError::Overflow {
                length: payload.len(),
                max: out.len(),
            });
        };
        let (start, len) = match &self.cipher {
            Cipher::Gcm { key, salt } => {
                let (explicit, sealed) = payload
                    .split_first_chunk::<GCM_EXPLICIT_NONCE_LEN>()
                    .ok_or(bad_mac.clone())?;
                let plain_len = sealed.len().checked_sub(TAG_LEN).ok_or(bad_mac.clone())?;
                let ad = additional_data(seq, typ, version, plain_len);
                let plain = buf.get_mut(..plain_len).ok_or(bad_mac.clone())?;
                key.open_out_of_place(gcm_nonce(salt, *explicit), &ad, sealed, plain)
                    .ok_or(bad_mac.clone())?;
                (0, plain_len)
            }
            Cipher::ChaCha { key, iv } => {
                let plain_len = payload.len().checked_sub(TAG_LEN).ok_or(bad_mac.clone())?;
                let ad = additional_data(seq, typ, version, plain_len);
                let plain = buf.get_mut(..plain_len).ok_or(bad_mac.clone())?;
                key.open_out_of_place(chacha_nonce(iv, seq), &ad, payload, plain)
                    .ok_or(bad_mac.clone())?;
                (0, plain_len)
            }
            Cipher::Cbc {
                key,
                mac,
                encrypt_then_mac: false,
            } => {
                // Public length checks first: IV plus whole blocks that can hold the
                // MAC and the padding length byte (RFC 5246, 6.2.3.2).
                let mac_len = mac.algorithm().output_len();
                let body_len = payload.len().saturating_sub(AES_BLOCK_LEN);
                if payload.len() < AES_BLOCK_LEN
                    || body_len < mac_len + 1
                    || body_len % AES_BLOCK_LEN != 0
                {
                    return Err(bad_mac);
                }
                buf.copy_from_slice(payload);
                let (iv, body) = buf
                    .split_first_chunk_mut::<AES_BLOCK_LEN>()
                    .ok_or(bad_mac.clone())?;
                let opened = key.decrypt(*iv, body).ok().and_then(|()| {
                    check_mac_then_encrypt(mac, &mac_header(seq, typ, version), body)
                });
                match opened {
                    Some(data_len) => (AES_BLOCK_LEN, data_len),
                    None => {
                        buf.zeroize();
                        return Err(bad_mac);
                    }
                }
            }
            Cipher::Cbc {
                key,
                mac,
                encrypt_then_mac: true,
            } => {
                // RFC 7366, 3: check the MAC before anything else.
                let mac_len = mac.algorithm().output_len();
                let Some(macced_len) = payload.len().checked_sub(mac_len) else {
                    return Err(bad_mac);
                };
                let body_len = macced_len.saturating_sub(AES_BLOCK_LEN);
                if macced_len < 2 * AES_BLOCK_LEN || body_len % AES_BLOCK_LEN != 0 {
                    return Err(bad_mac);
                }
                let (macced, tag) = payload.split_at(macced_len);
                let ad = additional_data(seq, typ, version, macced_len);
                if !mac.verify(&[&ad, macced], tag) {
                    return Err(bad_mac);
                }
                buf.copy_from_slice(payload);
                let (iv, rest) = buf
                    .split_first_chunk_mut::<AES_BLOCK_LEN>()
                    .ok_or(bad_mac.clone())?;
                let body = rest.get_mut(..body_len).ok_or(bad_mac.clone())?;
                // RFC 7366, 3 leaves padding errors after a good MAC to RFC 5246:
                // bad_record_mac as well.
                let opened = key
                    .decrypt(*iv, body)
                    .ok()
                    .and_then(|()| check_padding(body));
                match opened {
                    Some(data_len) => (AES_BLOCK_LEN, data_len),
                    None => {
                        buf.zeroize();
                        return Err(bad_mac);
                    }
                }
            }
        };
        if start > 0 {
            buf.copy_within(start..start + len, 0);
        }
        if let Some(tail) = buf.get_mut(len..) {
            tail.zeroize();
        }
        Ok(len)
    }

    /// The sequence number the next record must carry.
    pub fn sequence(&self) -> u64 {
        self.seq.next
    }

    /// Whether records are encrypt-then-MAC (RFC 7366); false for AEAD suites.
    pub fn is_encrypt_then_mac(&self) -> bool {
        matches!(
            self.cipher,
            Cipher::Cbc {
                encrypt_then_mac: true,
                ..
            }
        )
    }

    /// Bytes a record adds to its plaintext at least (nonce, tag, IV, MAC, one
    /// padding byte), for callers sizing buffers.
    pub fn min_overhead(&self) -> usize {
        match &self.cipher {
            Cipher::Gcm { .. } => GCM_EXPLICIT_NONCE_LEN + TAG_LEN,
            Cipher::ChaCha { .. } => TAG_LEN,
            Cipher::Cbc { .. } => AES_BLOCK_LEN + self.cipher.mac_len() + 1,
        }
    }

    #[cfg(test)]
    fn with_sequence(mut self, seq: u64) -> Self {
        self.seq.next = seq;
        self
    }
}

impl fmt::Debug for Decrypter12 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Decrypter12({}, sequence {})",
            self.cipher.describe(),
            self.seq.next
        )
    }
}

impl Drop for Decrypter12 {
    fn drop(&mut self) {
        match &mut self.cipher {
            Cipher::Gcm { salt, .. } => salt.zeroize(),
            Cipher::ChaCha { iv, .. } => iv.zeroize(),
            Cipher::Cbc { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests;
