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
mod tests {
    use super::*;
    use crate::crypto::cbc::MacAlgorithm;
    use crate::msgs::enums::AlertDescription;
    use crate::record::Deframer;
    use crate::tls12::suites::{
        DEFAULT_TLS12_SUITES, LEGACY_TLS12_SUITES, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        TLS_RSA_WITH_AES_128_CBC_SHA, TLS_RSA_WITH_AES_256_CBC_SHA256,
    };

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// A "random" source that always gives the same byte, for known CBC IVs.
    #[derive(Debug)]
    struct Fixed(u8);

    impl RandomSource for Fixed {
        fn fill(&self, buf: &mut [u8]) -> Result<(), CryptoError> {
            buf.fill(self.0);
            Ok(())
        }
    }

    #[derive(Debug)]
    struct Broken;

    impl RandomSource for Broken {
        fn fill(&self, _: &mut [u8]) -> Result<(), CryptoError> {
            Err(CryptoError::RandomFailed)
        }
    }

    fn parse(wire: &[u8]) -> OpaqueRecord {
        let mut d = Deframer::new();
        assert_eq!(d.push(wire), wire.len());
        let r = d.next_record().unwrap().unwrap();
        assert_eq!(d.buffered_len(), 0);
        r
    }

    /// Splits one record without the deframer's checks (it refuses heartbeat and
    /// unknown content types, which this layer must still handle).
    fn split(wire: &[u8]) -> OpaqueRecord {
        assert_eq!(
            usize::from(u16::from_be_bytes([wire[3], wire[4]])),
            wire.len() - HEADER_LEN
        );
        OpaqueRecord {
            typ: ContentType::from_wire(wire[0]),
            version: ProtocolVersion::from_wire(u16::from_be_bytes([wire[1], wire[2]])),
            payload: wire[HEADER_LEN..].to_vec(),
        }
    }

    fn range(from: u8, n: usize) -> Vec<u8> {
        (0..n).map(|i| from.wrapping_add(i as u8)).collect()
    }

    fn pair(
        suite: &Tls12CipherSuite,
        mac: &[u8],
        key: &[u8],
        iv: &[u8],
        etm: bool,
        random: u8,
    ) -> (Encrypter12, Decrypter12) {
        let mut enc = Encrypter12::new(suite, mac, key, iv, etm).unwrap();
        enc.set_random(Arc::new(Fixed(random)));
        (enc, Decrypter12::new(suite, mac, key, iv, etm).unwrap())
    }

    /// Checks that `enc` produces `want` for (typ, plaintext) and `dec` reverses it.
    fn known_answer(
        enc: &mut Encrypter12,
        dec: &mut Decrypter12,
        typ: ContentType,
        plaintext: &[u8],
        want: &str,
    ) {
        let mut out = Vec::new();
        enc.encrypt(typ, plaintext, &mut out).unwrap();
        assert_eq!(out, unhex(want), "{enc:?}");
        let plain = dec.decrypt(parse(&out)).unwrap();
        assert_eq!((plain.typ, plain.payload.as_slice()), (typ, plaintext));
    }

    // Expected records computed independently with Python's `cryptography` (OpenSSL)
    // and hmac/hashlib: AAD/MAC header = seq || type || 0303 || length.
    const PT: &[u8] = b"hello, TLS 1.2";

    #[test]
    fn aes_gcm_rfc5288_known_answer() {
        // AESGCM(00..0f).encrypt(a0a1a2a3 || seq, pt, aad)
        let (mut enc, mut dec) = pair(
            &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            &[],
            &range(0, 16),
            &unhex("a0a1a2a3"),
            false,
            0,
        );
        let t = ContentType::ApplicationData;
        known_answer(&mut enc, &mut dec, t, PT,
            "17030300260000000000000000e238a2f128a3143b1f950a125ff8970dab0d0b39845444869d80bfe13f1f");
        // The explicit nonce is the sequence number (RFC 5288, 3).
        known_answer(&mut enc, &mut dec, t, PT,
            "170303002600000000000000012e14709e03a85704cb3f6626f5365ecc8273b302c3bac2e55f97e752f2c2");
        assert_eq!((enc.sequence(), dec.sequence()), (2, 2));
        assert_eq!(format!("{enc:?}"), "Encrypter12(AES-128-GCM, sequence 2)");
        assert!(!enc.is_encrypt_then_mac() && !dec.is_encrypt_then_mac());
        assert_eq!(dec.min_overhead(), 24);
    }

    #[test]
    fn chacha20_poly1305_rfc7905_known_answer() {
        // nonce = iv XOR (0^4 || seq); no explicit nonce in the record.
        let suite = &TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;
        let (key, iv) = (range(0x80, 32), range(0x40, 12));
        let (mut enc, mut dec) = pair(suite, &[], &key, &iv, true, 0);
        let t = ContentType::Handshake;
        known_answer(
            &mut enc,
            &mut dec,
            t,
            PT,
            "160303001e35e53e56f1351ba165fc3b40eaeb7f5be03302106ee605b7470496d4e609",
        );
        let (enc, dec) = pair(suite, &[], &key, &iv, false, 0);
        let (mut enc, mut dec) = (enc.with_sequence(5), dec.with_sequence(5));
        known_answer(
            &mut enc,
            &mut dec,
            t,
            PT,
            "160303001e6a99e805cabd1792cde9dc620375b20364a4dd4a3946b4a555f241984e48",
        );
        assert_eq!(
            format!("{dec:?}"),
            "Decrypter12(ChaCha20-Poly1305, sequence 6)"
        );
        assert!(!enc.is_encrypt_then_mac(), "RFC 7366, 3: not for AEADs");
    }

    #[test]
    fn cbc_mac_then_encrypt_known_answers() {
        // AES-CBC(key, iv, pt || HMAC(mac_key, aad || pt) || padding), iv sent first.
        let (mut enc, mut dec) = pair(
            &TLS_RSA_WITH_AES_128_CBC_SHA,
            &range(0x20, 20),
            &range(0x10, 16),
            &[],
            false,
            0x77,
        );
        known_answer(
            &mut enc,
            &mut dec,
            ContentType::ApplicationData,
            PT,
            "170303004077777777777777777777777777777777d0721cf62ce545968c2600696db4106790e4
             2679f8aae83507525262299e07cab1001d8235b4259f5626ff07db201f19",
        );
        assert_eq!(
            format!("{enc:?}"),
            "Encrypter12(AES-128-CBC HMAC-SHA1 MAC-then-encrypt, sequence 1)"
        );
        let (mut enc, mut dec) = pair(
            &TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
            &range(0x50, 48),
            &range(0x30, 32),
            &[],
            false,
            0x55,
        );
        known_answer(
            &mut enc,
            &mut dec,
            ContentType::Alert,
            &[1, 0],
            "150303005055555555555555555555555555555555be61b0867cb582b720be5289bc4cb703ff92
             5d9c9f41413321d5bbe4e6cdc4e05609c9e7cf2af17ca1fda4043e6c3dab848705300e204005e2
             ec04846db948b4",
        );
        assert_eq!(dec.min_overhead(), 16 + 48 + 1);
    }

    #[test]
    fn cbc_encrypt_then_mac_known_answer() {
        // RFC 7366, 3: MAC(mac_key, aad(len = IV + ciphertext) || IV || ciphertext).
        let (mut enc, mut dec) = pair(
            &TLS_RSA_WITH_AES_256_CBC_SHA256,
            &range(0xc0, 32),
            &range(0xa0, 32),
            &[],
            true,
            0x66,
        );
        known_answer(
            &mut enc,
            &mut dec,
            ContentType::ApplicationData,
            PT,
            "17030300406666666666666666666666666666666631714320bf48add7c7b99c9cfa762247f7d4
             7dabb09d1f38f06a29113a579641bad8483ab42a6e25af9c89a32e5e75db",
        );
        assert!(enc.is_encrypt_then_mac() && dec.is_encrypt_then_mac());
        assert_eq!(
            format!("{dec:?}"),
            "Decrypter12(AES-256-CBC HMAC-SHA256 encrypt-then-MAC, sequence 1)"
        );
    }

    fn all_suites() -> impl Iterator<Item = &'static Tls12CipherSuite> {
        DEFAULT_TLS12_SUITES
            .iter()
            .chain(LEGACY_TLS12_SUITES)
            .copied()
    }

    /// Client and server pairs from one key block.
    fn both_sides(
        suite: &Tls12CipherSuite,
        etm: bool,
    ) -> ((Encrypter12, Decrypter12), (Encrypter12, Decrypter12)) {
        let kb = range(1, suite.key_block_layout().total_len());
        (
            new_pair_from_key_block(suite, &kb, true, etm).unwrap(),
            new_pair_from_key_block(suite, &kb, false, etm).unwrap(),
        )
    }

    #[test]
    fn every_suite_round_trips_both_ways() {
        let types = [
            ContentType::Handshake,
            ContentType::Alert,
            ContentType::ApplicationData,
            ContentType::Heartbeat,
        ];
        for suite in all_suites() {
            for etm in [false, true] {
                let ((mut c_enc, mut c_dec), (mut s_enc, mut s_dec)) = both_sides(suite, etm);
                for (i, len) in [0usize, 1, 15, 16, 17, 31, 1000, MAX_PLAINTEXT_LEN]
                    .into_iter()
                    .enumerate()
                {
                    let typ = types[i % types.len()];
                    let data: Vec<u8> = (0..len).map(|j| (j * 31 + i) as u8).collect();
                    for (enc, dec) in [(&mut c_enc, &mut s_dec), (&mut s_enc, &mut c_dec)] {
                        let mut out = Vec::new();
                        enc.encrypt(typ, &data, &mut out).unwrap();
                        assert!(out.len() <= HEADER_LEN + len + suite.max_overhead());
                        let plain = dec.decrypt(split(&out)).unwrap();
                        assert_eq!((plain.typ, plain.payload), (typ, data.clone()), "{suite:?}");
                    }
                }
                // A side's own decrypter does not open its own records: the directions
                // use different keys.
                let mut out = Vec::new();
                c_enc
                    .encrypt(ContentType::ApplicationData, b"x", &mut out)
                    .unwrap();
                assert!(matches!(
                    c_dec.decrypt(parse(&out)),
                    Err(RecordError::BadRecordMac { .. })
                ));
            }
        }
    }

    #[test]
    fn into_a_buffer_matches_appending_and_record_len_is_exact() {
        for suite in all_suites() {
            for etm in [false, true] {
                let ((mut a, _), (_, mut dec)) = both_sides(suite, etm);
                let ((mut b, _), (_, mut peer)) = both_sides(suite, etm);
                a.set_random(Arc::new(Fixed(9)));
                b.set_random(Arc::new(Fixed(9)));
                for len in [
                    0usize,
                    1,
                    15,
                    16,
                    17,
                    31,
                    32,
                    33,
                    47,
                    48,
                    1000,
                    16383,
                    MAX_PLAINTEXT_LEN,
                ] {
                    let data: Vec<u8> = (0..len).map(|j| (j * 7) as u8).collect();
                    let mut appended = vec![0xee];
                    a.encrypt(ContentType::ApplicationData, &data, &mut appended)
                        .unwrap();
                    assert_eq!(
                        appended.len() - 1,
                        a.record_len(len),
                        "{suite:?} {etm} {len}"
                    );
                    // Written over stale bytes, with room to spare.
                    let mut room = vec![0xaa; b.record_len(len) + 7];
                    let n = b
                        .encrypt_into(ContentType::ApplicationData, &data, &mut room)
                        .unwrap();
                    assert_eq!(room[..n], appended[1..], "{suite:?} {etm} {len}");
                    assert_eq!(room[n..], [0xaa; 7]);
                    // Opened into stale room as well; peeking does not advance.
                    let record = parse(&room[..n]);
                    let mut plain = vec![0x55; record.payload.len()];
                    let seq = peer.sequence();
                    let opened = peer.peek_into(record.borrow(), &mut plain).unwrap();
                    assert_eq!(peer.sequence(), seq);
                    assert_eq!(plain[..opened.len], data, "{suite:?} {etm} {len}");
                    assert!(plain[opened.len..].iter().all(|b| *b == 0), "tail cleared");
                    let opened = peer.decrypt_into(record.borrow(), &mut plain).unwrap();
                    assert_eq!(peer.sequence(), seq + 1);
                    assert_eq!(
                        (opened.typ, &plain[..opened.len]),
                        (ContentType::ApplicationData, &data[..])
                    );
                    assert_eq!(dec.decrypt(record).unwrap().payload, data);
                }
                // Too little room: nothing written, the sequence unmoved.
                let seq = b.sequence();
                let mut small = vec![0u8; b.record_len(10) - 1];
                assert!(b
                    .encrypt_into(ContentType::ApplicationData, &[1; 10], &mut small)
                    .is_err());
                assert_eq!(b.sequence(), seq);
            }
        }
    }

    #[test]
    fn failed_decryption_into_a_buffer_leaves_nothing_readable() {
        for suite in all_suites() {
            for etm in [false, true] {
                let ((mut enc, _), (_, mut dec)) = both_sides(suite, etm);
                let mut out = Vec::new();
                enc.encrypt(ContentType::ApplicationData, &[0x33; 100], &mut out)
                    .unwrap();
                let last = out.len() - 1;
                out[last] ^= 1;
                let record = parse(&out);
                let mut plain = vec![0x55; record.payload.len()];
                let err = dec.decrypt_into(record.borrow(), &mut plain).unwrap_err();
                assert_eq!(err, RecordError::BadRecordMac { sequence: 0 }, "{suite:?}");
                assert_eq!(dec.sequence(), 0);
                // No plaintext of the forged record is left behind (stale bytes past
                // what a successful decryption would have written may remain).
                assert!(!plain.windows(4).any(|w| w == [0x33; 4]), "{suite:?} {etm}");
                // Too little room is refused before anything is decrypted.
                let record = parse(&out);
                let mut short = vec![0u8; record.payload.len() - 1];
                assert!(dec.decrypt_into(record.borrow(), &mut short).is_err());
                assert_eq!(dec.sequence(), 0);
            }
        }
    }

    #[test]
    fn record_sizes() {
        let size = |suite: &Tls12CipherSuite, etm: bool, len: usize| {
            let ((mut enc, _), _) = both_sides(suite, etm);
            let mut out = Vec::new();
            enc.encrypt(ContentType::ApplicationData, &vec![0; len], &mut out)
                .unwrap();
            out.len() - HEADER_LEN
        };
        assert_eq!(
            size(&TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, false, 10),
            8 + 10 + 16
        );
        assert_eq!(
            size(&TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, false, 10),
            10 + 16
        );
        // IV + (data + MAC + padding) rounded to blocks: 10 + 20 + 2 = 32.
        assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, false, 10), 16 + 32);
        // 11 + 20 + 1 = 32: one byte of padding (the length byte only).
        assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, false, 11), 16 + 32);
        assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, false, 12), 16 + 48);
        // EtM: IV + (data + padding) + MAC.
        assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, true, 10), 16 + 16 + 20);
        assert_eq!(size(&TLS_RSA_WITH_AES_128_CBC_SHA, true, 16), 16 + 32 + 20);
    }

    #[test]
    fn key_block_is_sliced_in_rfc_order() {
        // RFC 5246, 6.3: client MAC, server MAC, client key, server key, client IV, server IV.
        for suite in all_suites() {
            let l = suite.key_block_layout();
            let kb = range(0x31, l.total_len() + 7); // longer blocks are fine
            let (m, k, v) = (l.mac_key_len, l.enc_key_len, l.fixed_iv_len);
            let client_mac = &kb[..m];
            let server_mac = &kb[m..2 * m];
            let client_key = &kb[2 * m..2 * m + k];
            let server_key = &kb[2 * m + k..2 * m + 2 * k];
            let client_iv = &kb[2 * m + 2 * k..2 * m + 2 * k + v];
            let server_iv = &kb[2 * m + 2 * k + v..2 * m + 2 * k + 2 * v];
            for is_client in [true, false] {
                let (mut enc, _) = new_pair_from_key_block(suite, &kb, is_client, false).unwrap();
                enc.set_random(Arc::new(Fixed(9)));
                let (mac, key, iv) = if is_client {
                    (client_mac, client_key, client_iv)
                } else {
                    (server_mac, server_key, server_iv)
                };
                let (mut explicit, mut dec) = pair(suite, mac, key, iv, false, 9);
                let (mut a, mut b) = (Vec::new(), Vec::new());
                enc.encrypt(ContentType::Handshake, b"finished", &mut a)
                    .unwrap();
                explicit
                    .encrypt(ContentType::Handshake, b"finished", &mut b)
                    .unwrap();
                assert_eq!(a, b, "{suite:?} client={is_client}");
                assert_eq!(dec.decrypt(parse(&a)).unwrap().payload, b"finished");
            }
            let err =
                new_pair_from_key_block(suite, &kb[..l.total_len() - 1], true, false).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "a {}-byte key is the wrong size for TLS 1.2 key block",
                    l.total_len() - 1
                )
            );
        }
    }

    #[test]
    fn wrong_key_lengths_are_refused() {
        let suite = &TLS_RSA_WITH_AES_128_CBC_SHA;
        let err = Encrypter12::new(suite, &[0; 20], &[0; 32], &[], false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a 32-byte key is the wrong size for AES-CBC"
        );
        let err = Decrypter12::new(suite, &[0; 32], &[0; 16], &[], false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a 32-byte key is the wrong size for HMAC-SHA1"
        );
        let gcm = &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
        let err = Encrypter12::new(gcm, &[], &[0; 16], &[0; 12], false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a 12-byte key is the wrong size for TLS 1.2 implicit IV"
        );
        assert!(Decrypter12::new(gcm, &[], &[0; 32], &[0; 4], false).is_err());
    }

    /// Every single-byte change and every truncation of a record fails the same way,
    /// and leaves the sequence number where it was.
    #[test]
    fn tampering_and_truncation_fail_with_bad_record_mac() {
        for suite in all_suites() {
            for etm in [false, true] {
                let ((mut enc, _), (_, mut dec)) = both_sides(suite, etm);
                let mut wire = Vec::new();
                enc.encrypt(ContentType::ApplicationData, &[0x42; 50], &mut wire)
                    .unwrap();
                let want = Err(RecordError::BadRecordMac { sequence: 0 });
                // The version byte is authenticated too (type and length flips are
                // mostly stopped by the deframer).
                for i in (2..3).chain(HEADER_LEN..wire.len()) {
                    for bit in [0x01, 0x80] {
                        let mut bad = wire.clone();
                        bad[i] ^= bit;
                        let record = OpaqueRecord {
                            typ: ContentType::ApplicationData,
                            version: ProtocolVersion::from_wire(u16::from_be_bytes([
                                bad[1], bad[2],
                            ])),
                            payload: bad[HEADER_LEN..].to_vec(),
                        };
                        assert_eq!(dec.decrypt(record), want, "{suite:?} etm={etm} byte {i}");
                    }
                }
                for n in 0..wire.len() - HEADER_LEN {
                    let mut short = parse(&wire);
                    short.payload.truncate(n);
                    assert_eq!(dec.decrypt(short), want, "{suite:?} etm={etm} len {n}");
                }
                // A different type in the header (with the same bytes) fails too.
                let mut retyped = parse(&wire);
                retyped.typ = ContentType::Handshake;
                assert_eq!(dec.decrypt(retyped), want);
                // Then the genuine record decrypts at sequence 0 ...
                assert_eq!(dec.sequence(), 0);
                assert!(dec.decrypt(parse(&wire)).is_ok());
                // ... and replaying it as record 1 fails.
                assert_eq!(
                    dec.decrypt(parse(&wire)),
                    Err(RecordError::BadRecordMac { sequence: 1 })
                );
            }
        }
    }

    #[test]
    fn mte_and_etm_records_are_not_interchangeable() {
        let suite = &TLS_RSA_WITH_AES_128_CBC_SHA;
        for etm in [false, true] {
            let ((mut enc, _), _) = both_sides(suite, etm);
            let ((_, _), (_, mut dec)) = both_sides(suite, !etm);
            let mut out = Vec::new();
            enc.encrypt(ContentType::ApplicationData, b"data", &mut out)
                .unwrap();
            assert_eq!(
                dec.decrypt(parse(&out)),
                Err(RecordError::BadRecordMac { sequence: 0 })
            );
        }
    }

    /// A MAC-then-encrypt record with a hand-made body: `data || mac || padding`.
    fn handmade(key: &CbcKey, body: &[u8]) -> OpaqueRecord {
        let mut payload = vec![0x3c; AES_BLOCK_LEN];
        let mut ct = body.to_vec();
        key.encrypt([0x3c; AES_BLOCK_LEN], &mut ct).unwrap();
        payload.extend_from_slice(&ct);
        OpaqueRecord {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload,
        }
    }

    /// The padding oracle test: whatever is wrong (padding bytes, padding length, MAC,
    /// data, sequence number, record shape), the error value, its text and its alert
    /// are identical.
    #[test]
    fn padding_oracle_every_failure_is_the_same_error() {
        for suite in [
            &TLS_RSA_WITH_AES_128_CBC_SHA,
            &TLS_RSA_WITH_AES_256_CBC_SHA256,
            &TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
        ] {
            let Bulk::Cbc { key_len, mac } = suite.bulk else {
                unreachable!()
            };
            let (enc_key, mac_key) = (range(0x10, key_len), range(0x60, mac.key_len()));
            let cbc = CbcKey::new(&enc_key).unwrap();
            let mac_k = MacKey::new(mac, &mac_key);
            let mac_len = mac.output_len();
            let data = b"attack at dawn!!"; // 16 bytes
            let body = |seq: u64, data: &[u8], padding: &[u8]| -> Vec<u8> {
                let ad = additional_data(
                    seq,
                    ContentType::ApplicationData,
                    ProtocolVersion::TLSv1_2,
                    data.len(),
                );
                let mut b = data.to_vec();
                b.extend_from_slice(mac_k.sign(&[&ad, data]).as_ref());
                b.extend_from_slice(padding);
                b
            };
            // Padding that makes data || mac || padding a whole number of blocks.
            let pad_to = |n: usize, extra_blocks: usize| -> Vec<u8> {
                let p = (AES_BLOCK_LEN - 1 - n % AES_BLOCK_LEN) + AES_BLOCK_LEN * extra_blocks;
                vec![p as u8; p + 1]
            };
            let good_padding = pad_to(data.len() + mac_len, 0);
            let long_padding = pad_to(data.len() + mac_len, 15); // > 240 bytes
            let dec = || Decrypter12::new(suite, &mac_key, &enc_key, &[], false).unwrap();

            // Controls: both decrypt.
            for padding in [&good_padding, &long_padding] {
                let ok = dec().decrypt(handmade(&cbc, &body(0, data, padding)));
                assert_eq!(ok.unwrap().payload, data, "{suite:?}");
            }

            let mut bad: Vec<(String, OpaqueRecord)> = Vec::new();
            for padding in [&good_padding, &long_padding] {
                let n = padding.len();
                // Each padding byte wrong, one at a time (the length byte last).
                for i in 0..n - 1 {
                    let mut p = padding.clone();
                    p[i] ^= 0x01;
                    bad.push((
                        format!("pad byte {i}/{n}"),
                        handmade(&cbc, &body(0, data, &p)),
                    ));
                }
                // The length byte claims one more or one less than the run.
                for delta in [1i16, -1] {
                    let mut p = padding.clone();
                    let last = p.len() - 1;
                    p[last] = (i16::from(p[last]) + delta) as u8;
                    bad.push((
                        format!("length {delta:+}/{n}"),
                        handmade(&cbc, &body(0, data, &p)),
                    ));
                }
                // Each MAC byte and each data byte altered, padding valid.
                for i in 0..data.len() + mac_len {
                    let mut b = body(0, data, padding);
                    b[i] ^= 0x20;
                    bad.push((format!("mac/data byte {i}/{n}"), handmade(&cbc, &b)));
                }
                // MAC over another sequence number.
                bad.push((format!("seq/{n}"), handmade(&cbc, &body(1, data, padding))));
            }
            // Padding length beyond the record: 255 in a short record.
            let mut b = body(0, data, &good_padding);
            *b.last_mut().unwrap() = 255;
            bad.push(("pad 255 in short record".into(), handmade(&cbc, &b)));
            // All-padding record: no room for the MAC.
            let n = data.len() + mac_len + good_padding.len();
            bad.push((
                "all padding".into(),
                handmade(&cbc, &vec![(n - 1) as u8; n]),
            ));
            // Shapes rejected before decryption: too short, not whole blocks, IV only.
            let mut r = handmade(&cbc, &body(0, data, &good_padding));
            r.payload.pop();
            bad.push(("partial block".into(), r));
            let mut r = handmade(&cbc, &[0; 16]);
            r.payload.truncate(AES_BLOCK_LEN);
            bad.push(("IV only".into(), r));
            if mac_len >= 16 {
                bad.push(("one block".into(), handmade(&cbc, &[0x0f; 16])));
            }

            let want = RecordError::BadRecordMac { sequence: 0 };
            let text = want.to_string();
            for (name, record) in bad {
                let err = dec().decrypt(record).unwrap_err();
                assert_eq!(err, want, "{suite:?}: {name}");
                assert_eq!(err.to_string(), text);
                assert_eq!(
                    Error::from(err).alert(),
                    Some(AlertDescription::BadRecordMac)
                );
            }
        }
    }

    #[test]
    fn full_record_with_maximum_padding_is_accepted() {
        // 2^14 bytes, an HMAC-SHA1 and 256 bytes of padding: more than TLS 1.3's 2^14 +
        // 256 ciphertext limit, within TLS 1.2's 2^14 + 2048.
        let suite = &TLS_RSA_WITH_AES_128_CBC_SHA;
        let (enc_key, mac_key) = (range(1, 16), range(2, 20));
        let cbc = CbcKey::new(&enc_key).unwrap();
        let data = vec![0x5a; MAX_PLAINTEXT_LEN];
        let ad = additional_data(
            0,
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            data.len(),
        );
        let mut body = data.clone();
        body.extend_from_slice(
            MacKey::new(MacAlgorithm::Sha1, &mac_key)
                .sign(&[&ad, &data])
                .as_ref(),
        );
        // 16384 + 20 = 16404 = 16 * 1025 + 4: 12 bytes to the block end, plus 240.
        body.extend(std::iter::repeat_n(251u8, 252));
        assert_eq!(body.len() % AES_BLOCK_LEN, 0);
        let record = handmade(&cbc, &body);
        assert!(record.payload.len() > MAX_PLAINTEXT_LEN + 256);
        let mut dec = Decrypter12::new(suite, &mac_key, &enc_key, &[], false).unwrap();
        assert_eq!(dec.decrypt(record).unwrap().payload, data);
    }

    #[test]
    fn decrypted_plaintext_over_2_14_is_overflow() {
        let suite = &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
        let key = AeadKey::new(AeadAlgorithm::Aes128Gcm, &[7; 16]).unwrap();
        let mut dec = Decrypter12::new(suite, &[], &[7; 16], &[1, 2, 3, 4], false).unwrap();
        let n = MAX_PLAINTEXT_LEN + 1;
        let mut body = vec![0x61; n];
        let ad = additional_data(0, ContentType::ApplicationData, ProtocolVersion::TLSv1_2, n);
        key.seal_in_place_append_tag(gcm_nonce(&[1, 2, 3, 4], [0; 8]), &ad, &mut body)
            .unwrap();
        let mut payload = vec![0; 8];
        payload.extend_from_slice(&body);
        let err = dec
            .decrypt(OpaqueRecord {
                typ: ContentType::ApplicationData,
                version: ProtocolVersion::TLSv1_2,
                payload,
            })
            .unwrap_err();
        assert_eq!(
            err,
            RecordError::Overflow {
                length: 16385,
                max: 16384
            }
        );
        assert_eq!(
            Error::from(err).alert(),
            Some(AlertDescription::RecordOverflow)
        );
        // A ciphertext above the TLS 1.2 limit is refused before decryption.
        let mut dec = Decrypter12::new(suite, &[], &[7; 16], &[1, 2, 3, 4], false).unwrap();
        assert_eq!(
            dec.decrypt(OpaqueRecord {
                typ: ContentType::ApplicationData,
                version: ProtocolVersion::TLSv1_2,
                payload: vec![0; MAX_CIPHERTEXT_LEN_TLS12 + 1],
            }),
            Err(RecordError::Overflow {
                length: MAX_CIPHERTEXT_LEN_TLS12 + 1,
                max: MAX_CIPHERTEXT_LEN_TLS12
            })
        );
    }

    #[test]
    fn unexpected_content_types_are_refused() {
        let ((mut enc, _), (_, mut dec)) =
            both_sides(&TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, false);
        for typ in [ContentType::ChangeCipherSpec, ContentType::Unknown(99)] {
            let mut out = Vec::new();
            enc.encrypt(typ, &[1], &mut out).unwrap();
            let err = dec.decrypt(split(&out)).unwrap_err();
            assert_eq!(err, RecordError::UnexpectedContentType { got: typ });
            assert_eq!(
                Error::from(err).alert(),
                Some(AlertDescription::UnexpectedMessage)
            );
        }
        assert_eq!(dec.sequence(), 0);
    }

    #[test]
    fn plaintext_over_2_14_and_random_failure_are_refused() {
        let ((mut enc, _), _) = both_sides(&TLS_RSA_WITH_AES_128_CBC_SHA, false);
        let mut out = b"kept".to_vec();
        let err = enc
            .encrypt(
                ContentType::ApplicationData,
                &vec![0; MAX_PLAINTEXT_LEN + 1],
                &mut out,
            )
            .unwrap_err();
        assert_eq!(
            err,
            Error::Record(RecordError::PlaintextTooLarge {
                length: 16385,
                max: 16384
            })
        );
        enc.set_random(Arc::new(Broken));
        let err = enc
            .encrypt(ContentType::ApplicationData, b"x", &mut out)
            .unwrap_err();
        assert_eq!(err, Error::Crypto(CryptoError::RandomFailed));
        assert_eq!(out, b"kept");
        assert_eq!(enc.sequence(), 0);
    }

    #[test]
    fn cbc_ivs_are_fresh_per_record() {
        let ((mut enc, _), (_, mut dec)) = both_sides(&TLS_RSA_WITH_AES_128_CBC_SHA, true);
        enc.set_random(Provider::system().random);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        enc.encrypt(ContentType::ApplicationData, b"same", &mut a)
            .unwrap();
        enc.encrypt(ContentType::ApplicationData, b"same", &mut b)
            .unwrap();
        assert_ne!(
            a[HEADER_LEN..HEADER_LEN + 16],
            b[HEADER_LEN..HEADER_LEN + 16]
        );
        assert_eq!(dec.decrypt(parse(&a)).unwrap().payload, b"same");
        assert_eq!(dec.decrypt(parse(&b)).unwrap().payload, b"same");
    }

    #[test]
    fn sequence_never_wraps() {
        for suite in [
            &TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            &TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            &TLS_RSA_WITH_AES_128_CBC_SHA,
        ] {
            let ((enc, _), (_, dec)) = both_sides(suite, false);
            let mut enc = enc.with_sequence(u64::MAX - 1);
            let mut dec = dec.with_sequence(u64::MAX - 1);
            let mut out = Vec::new();
            enc.encrypt(ContentType::ApplicationData, b"last", &mut out)
                .unwrap();
            assert_eq!(dec.decrypt(parse(&out)).unwrap().payload, b"last");
            let err = enc
                .encrypt(ContentType::ApplicationData, b"one more", &mut out)
                .unwrap_err();
            assert_eq!(err, Error::Record(RecordError::SequenceExhausted));
            assert_eq!(
                dec.decrypt(parse(&out)),
                Err(RecordError::SequenceExhausted)
            );
        }
    }

    #[test]
    fn mac_algorithms_of_the_cbc_suites() {
        let mac = |s: &Tls12CipherSuite| match s.bulk {
            Bulk::Cbc { mac, .. } => Some(mac),
            Bulk::Aead(_) => None,
        };
        assert_eq!(mac(&TLS_RSA_WITH_AES_128_CBC_SHA), Some(MacAlgorithm::Sha1));
        assert_eq!(
            mac(&TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384),
            Some(MacAlgorithm::Sha384)
        );
        assert_eq!(mac(&TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), None);
    }
}
