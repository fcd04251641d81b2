//! TLS 1.3 record protection (RFC 8446, 5.2-5.5).

use core::fmt;

use zeroize::Zeroize;

use super::{
    header, BorrowedRecord, OpaqueRecord, Opened, PlainMessage, HEADER_LEN, MAX_CIPHERTEXT_LEN,
    MAX_INNER_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN,
};
use crate::crypto::aead::{AeadAlgorithm, AeadKey, NONCE_LEN, TAG_LEN};
use crate::error::{CryptoError, Error, RecordError};
use crate::msgs::enums::{ContentType, ProtocolVersion};
use crate::tls13::key_schedule::TrafficSecret;
use crate::tls13::suites::{confidentiality_limit, Tls13CipherSuite};

/// How many records before the confidentiality limit `should_update_key` turns true,
/// leaving room for the KeyUpdate itself and anything already queued.
pub const KEY_UPDATE_MARGIN: u64 = 1024;

/// Sequence number state shared by both directions (RFC 8446, 5.3).
#[derive(Debug)]
struct Sequence {
    next: u64,
    update_at: u64,
}

impl Sequence {
    fn new(aead: AeadAlgorithm) -> Self {
        Sequence {
            next: 0,
            update_at: confidentiality_limit(aead).saturating_sub(KEY_UPDATE_MARGIN),
        }
    }

    /// The number for this record. It is consumed only by `advance`, so a record that
    /// fails to decrypt does not move the sequence (RFC 8446, 4.2.10 trial decryption).
    /// A number that could not be followed by another is never used: 5.3 forbids wrapping.
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

/// Bytes on the wire of a TLS 1.3 record carrying `len` bytes of content and padding:
/// header, content type byte, tag.
pub const fn record_len(len: usize) -> usize {
    HEADER_LEN + len + 1 + TAG_LEN
}

/// The per-record nonce: the IV XOR the sequence number, left-padded to the IV's
/// length (RFC 8446, 5.3).
fn nonce(iv: &[u8; NONCE_LEN], seq: u64) -> [u8; NONCE_LEN] {
    let mut nonce = *iv;
    for (n, s) in nonce[NONCE_LEN - 8..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}

/// Protects outgoing records under one traffic key.
pub struct Encrypter13 {
    key: AeadKey,
    iv: [u8; NONCE_LEN],
    seq: Sequence,
}

impl Encrypter13 {
    /// An encrypter from a raw record key and IV. Fails if the key length is wrong.
    pub fn new(aead: AeadAlgorithm, key: &[u8], iv: [u8; NONCE_LEN]) -> Result<Self, CryptoError> {
        Ok(Encrypter13 {
            key: AeadKey::new(aead, key)?,
            iv,
            seq: Sequence::new(aead),
        })
    }

    /// An encrypter for `secret`'s keys (RFC 8446, 7.3).
    pub fn from_secret(
        suite: &Tls13CipherSuite,
        secret: &TrafficSecret,
    ) -> Result<Self, CryptoError> {
        debug_assert_eq!(suite, secret.suite());
        let (key, iv) = secret.keys();
        Self::new(suite.aead, key.as_bytes(), iv)
    }

    /// Appends one TLSCiphertext record carrying `plaintext` of type `typ` followed by
    /// up to `padding` zero bytes (RFC 8446, 5.2 and 5.4). Padding is reduced so the
    /// inner plaintext stays within 2^14 + 1 bytes; `plaintext` itself must be at most
    /// 2^14 bytes (`PlaintextTooLarge` otherwise). Fails with `SequenceExhausted` rather
    /// than reuse a nonce. Nothing is appended on failure.
    pub fn encrypt(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        padding: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let start = out.len();
        let padding = padding.min(MAX_PLAINTEXT_LEN.saturating_sub(plaintext.len()));
        out.resize(start + record_len(plaintext.len() + padding), 0);
        let result = self.encrypt_padded(
            typ,
            plaintext,
            padding,
            out.get_mut(start..).unwrap_or_default(),
        );
        out.truncate(start + *result.as_ref().unwrap_or(&0));
        result.map(|_| ())
    }

    /// Writes one record carrying `plaintext` (no padding) to the front of `out`,
    /// which must hold at least [`record_len`]`(plaintext.len())` bytes, and returns its
    /// length. The plaintext is sealed straight into place: read once, never copied.
    /// Fails as [`encrypt`](Self::encrypt) does; `out` then holds nothing.
    pub fn encrypt_into(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        self.encrypt_padded(typ, plaintext, 0, out)
    }

    fn encrypt_padded(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        padding: usize,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let Some(room) = MAX_PLAINTEXT_LEN.checked_sub(plaintext.len()) else {
            return Err(RecordError::PlaintextTooLarge {
                length: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            }
            .into());
        };
        let seq = self.seq.current()?;

        let padding = padding.min(room);
        let inner_len = plaintext.len() + 1 + padding;
        let len = HEADER_LEN + inner_len + TAG_LEN;
        let Some(record) = out.get_mut(..len) else {
            return Err(RecordError::PlaintextTooLarge {
                length: len,
                max: out.len(),
            }
            .into());
        };
        let aad = header(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            inner_len + TAG_LEN,
        );
        // Header, inner plaintext, tag. Without padding the data is sealed straight
        // from `plaintext` into place (one pass), the content-type byte sealed after
        // it as the AEAD's extra input.
        let (hdr, body) = record.split_at_mut(HEADER_LEN);
        hdr.copy_from_slice(&aad);
        let nonce = nonce(&self.iv, seq);
        let sealed = if padding == 0 {
            let (ciphertext, type_and_tag) = body.split_at_mut(plaintext.len());
            self.key.seal_out_of_place(
                nonce,
                &aad,
                plaintext,
                ciphertext,
                &[typ.to_wire()],
                type_and_tag,
            )
        } else {
            let (inner, tag_out) = body.split_at_mut(inner_len);
            let (content, type_and_padding) = inner.split_at_mut(plaintext.len());
            content.copy_from_slice(plaintext);
            if let Some((t, zeros)) = type_and_padding.split_first_mut() {
                *t = typ.to_wire();
                zeros.fill(0);
            }
            self.key
                .seal_in_place_separate_tag(nonce, &aad, inner)
                .map(|tag| tag_out.copy_from_slice(&tag))
        };
        if let Err(e) = sealed {
            record.zeroize();
            return Err(e.into());
        }
        self.seq.advance();
        Ok(len)
    }

    /// The sequence number the next record will use.
    pub fn sequence(&self) -> u64 {
        self.seq.next
    }

    /// True once this key is within [`KEY_UPDATE_MARGIN`] records of its suite's
    /// confidentiality limit: send a KeyUpdate now (RFC 8446, 5.5).
    pub fn should_update_key(&self) -> bool {
        self.seq.next >= self.seq.update_at
    }

    #[cfg(test)]
    fn with_sequence(mut self, seq: u64) -> Self {
        self.seq.next = seq;
        self
    }
}

impl fmt::Debug for Encrypter13 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Encrypter13({}, sequence {})",
            self.key.algorithm().name(),
            self.seq.next
        )
    }
}

impl Drop for Encrypter13 {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

/// Removes incoming record protection under one traffic key.
pub struct Decrypter13 {
    key: AeadKey,
    iv: [u8; NONCE_LEN],
    seq: Sequence,
}

impl Decrypter13 {
    /// A decrypter from a raw record key and IV. Fails if the key length is wrong.
    pub fn new(aead: AeadAlgorithm, key: &[u8], iv: [u8; NONCE_LEN]) -> Result<Self, CryptoError> {
        Ok(Decrypter13 {
            key: AeadKey::new(aead, key)?,
            iv,
            seq: Sequence::new(aead),
        })
    }

    /// A decrypter for `secret`'s keys (RFC 8446, 7.3).
    pub fn from_secret(
        suite: &Tls13CipherSuite,
        secret: &TrafficSecret,
    ) -> Result<Self, CryptoError> {
        debug_assert_eq!(suite, secret.suite());
        let (key, iv) = secret.keys();
        Self::new(suite.aead, key.as_bytes(), iv)
    }

    /// Authenticates and decrypts a protected record in place, strips the padding and
    /// recovers the real content type (RFC 8446, 5.2 and 5.4).
    ///
    /// Fails with `UnexpectedContentType` unless the outer type is application_data and
    /// the inner one handshake, alert or application_data; `Overflow` for a ciphertext
    /// above 2^14 + 256 or an inner plaintext above 2^14 + 1 bytes; `BadRecordMac` if
    /// authentication fails (the sequence number then does not advance); `NoContentType`
    /// if the inner plaintext is all zeros.
    pub fn decrypt(&mut self, record: OpaqueRecord) -> Result<PlainMessage, RecordError> {
        let OpaqueRecord {
            typ,
            version,
            mut payload,
        } = record;
        let (seq, aad) = self.prepare(typ, version, &payload)?;
        let Some(inner_len) = self
            .key
            .open_in_place(nonce(&self.iv, seq), &aad, &mut payload)
            .map(|plain| plain.len())
        else {
            return Err(RecordError::BadRecordMac { sequence: seq });
        };
        self.seq.advance();
        payload.truncate(inner_len);
        let opened = unpad(&payload)?;
        payload.truncate(opened.len);
        Ok(PlainMessage {
            typ: opened.typ,
            payload,
        })
    }

    /// As [`decrypt`](Self::decrypt), for a record borrowed from a receive buffer:
    /// the content is decrypted into `out[..opened.len]` (`out` must hold at least
    /// `payload.len()` bytes) without copying the ciphertext first. The sequence
    /// number advances once the record authenticates.
    pub fn decrypt_into(
        &mut self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, RecordError> {
        let inner_len = self.open_into(record, out)?;
        self.seq.advance();
        unpad(out.get(..inner_len).unwrap_or_default())
    }

    /// As [`decrypt_into`](Self::decrypt_into), but the sequence number does not
    /// advance: the caller [`advance`](Self::advance)s once it accepts the record, or
    /// leaves it to be decrypted again later.
    pub fn peek_into(
        &self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, RecordError> {
        let inner_len = self.open_into(record, out)?;
        unpad(out.get(..inner_len).unwrap_or_default())
    }

    /// Consumes the sequence number of a record accepted after [`peek_into`](Self::peek_into).
    pub fn advance(&mut self) {
        self.seq.advance();
    }

    /// The checks before authentication: outer type and ciphertext length. Returns the
    /// record's sequence number and additional data.
    fn prepare(
        &self,
        typ: ContentType,
        version: ProtocolVersion,
        payload: &[u8],
    ) -> Result<(u64, [u8; HEADER_LEN]), RecordError> {
        if typ != ContentType::ApplicationData {
            return Err(RecordError::UnexpectedContentType { got: typ });
        }
        if payload.len() > MAX_CIPHERTEXT_LEN {
            return Err(RecordError::Overflow {
                length: payload.len(),
                max: MAX_CIPHERTEXT_LEN,
            });
        }
        let seq = self.seq.current()?;
        // RFC 8446, 5.2: the AAD is the record header exactly as received.
        Ok((seq, header(typ, version, payload.len())))
    }

    /// Authenticates `record` and decrypts its inner plaintext into the front of
    /// `out`; returns the inner plaintext's length.
    fn open_into(&self, record: BorrowedRecord<'_>, out: &mut [u8]) -> Result<usize, RecordError> {
        let (seq, aad) = self.prepare(record.typ, record.version, record.payload)?;
        let bad_mac = RecordError::BadRecordMac { sequence: seq };
        let inner_len = record
            .payload
            .len()
            .checked_sub(TAG_LEN)
            .ok_or(bad_mac.clone())?;
        let Some(inner) = out.get_mut(..inner_len) else {
            return Err(RecordError::Overflow {
                length: inner_len,
                max: out.len(),
            });
        };
        self.key
            .open_out_of_place(nonce(&self.iv, seq), &aad, record.payload, inner)
            .ok_or(bad_mac)?;
        Ok(inner_len)
    }

    /// The sequence number the next record must carry.
    pub fn sequence(&self) -> u64 {
        self.seq.next
    }

    /// True once the peer's key nears its confidentiality limit: ask it to update
    /// with a KeyUpdate of update_requested (RFC 8446, 4.6.3 and 5.5).
    pub fn should_update_key(&self) -> bool {
        self.seq.next >= self.seq.update_at
    }

    #[cfg(test)]
    fn with_sequence(mut self, seq: u64) -> Self {
        self.seq.next = seq;
        self
    }
}

impl fmt::Debug for Decrypter13 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Decrypter13({}, sequence {})",
            self.key.algorithm().name(),
            self.seq.next
        )
    }
}

impl Drop for Decrypter13 {
    fn drop(&mut self) {
        self.iv.zeroize();
    }
}

/// The checks after authentication (RFC 8446, 5.2 and 5.4): the inner plaintext's
/// length, its content type (the last non-zero byte) and which types may be protected.
fn unpad(inner: &[u8]) -> Result<Opened, RecordError> {
    if inner.len() > MAX_INNER_PLAINTEXT_LEN {
        return Err(RecordError::Overflow {
            length: inner.len(),
            max: MAX_INNER_PLAINTEXT_LEN,
        });
    }
    let (len, inner_type) = find_content_type(inner);
    if inner_type == 0 {
        return Err(RecordError::NoContentType);
    }
    let typ = ContentType::from_wire(inner_type);
    match typ {
        ContentType::Handshake | ContentType::Alert | ContentType::ApplicationData => {
            Ok(Opened { typ, len })
        }
        _ => Err(RecordError::UnexpectedContentType { got: typ }),
    }
}

/// Finds the last non-zero byte of a TLSInnerPlaintext (RFC 8446, 5.4): returns its
/// index (the content length) and value (the content type, 0 if there is none).
/// Scans every byte without data-dependent branches, so the time taken depends on
/// the record length only, not on how much of it is padding.
fn find_content_type(inner: &[u8]) -> (usize, u8) {
    // RFC 8446, 5.4: the padding is not secret (its length is visible in timing and
    // size anyway), so scan back from the end like other stacks do.
    match inner.iter().rposition(|b| *b != 0) {
        Some(i) => (i, inner.get(i).copied().unwrap_or(0)),
        None => (0, 0),
    }
}

#[cfg(test)]
mod tests;
