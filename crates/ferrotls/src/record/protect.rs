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
mod tests {
    use super::*;
    use crate::record::Deframer;
    use crate::tls13::key_schedule::rfc8448::{s3, s4, s5, unhex};
    use crate::tls13::key_schedule::EarlySecret;
    use crate::tls13::suites::{
        ALL_TLS13_SUITES, TLS13_AES_128_GCM_SHA256, TLS13_CHACHA20_POLY1305_SHA256,
    };

    const AES128: AeadAlgorithm = AeadAlgorithm::Aes128Gcm;

    fn iv(hex: &str) -> [u8; NONCE_LEN] {
        unhex(hex).try_into().unwrap()
    }

    fn encrypter(key: &str, iv_hex: &str) -> Encrypter13 {
        Encrypter13::new(AES128, &unhex(key), iv(iv_hex)).unwrap()
    }

    fn decrypter(key: &str, iv_hex: &str) -> Decrypter13 {
        Decrypter13::new(AES128, &unhex(key), iv(iv_hex)).unwrap()
    }

    /// Parses exactly one record from wire bytes.
    fn parse(wire: &[u8]) -> OpaqueRecord {
        let mut d = Deframer::new();
        assert_eq!(d.push(wire), wire.len());
        let r = d.next_record().unwrap().unwrap();
        assert_eq!(d.buffered_len(), 0);
        r
    }

    fn concat(hex: &[&str]) -> Vec<u8> {
        hex.iter().flat_map(|h| unhex(h)).collect()
    }

    /// A record whose inner plaintext is exactly `inner`, bypassing `encrypt`.
    fn raw_record(enc: &Encrypter13, inner: &[u8], seq: u64) -> OpaqueRecord {
        let mut body = inner.to_vec();
        let aad = header(
            ContentType::ApplicationData,
            ProtocolVersion::TLSv1_2,
            body.len() + TAG_LEN,
        );
        enc.key
            .seal_in_place_append_tag(nonce(&enc.iv, seq), &aad, &mut body)
            .unwrap();
        OpaqueRecord {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload: body,
        }
    }

    /// Checks one protected record of an RFC 8448 trace in both directions.
    fn check_trace_record(
        enc: &mut Encrypter13,
        dec: &mut Decrypter13,
        typ: ContentType,
        plaintext: &[u8],
        record_hex: &str,
    ) {
        let wire = unhex(record_hex);
        let mut out = Vec::new();
        enc.encrypt(typ, plaintext, 0, &mut out).unwrap();
        assert_eq!(out, wire);
        let plain = dec.decrypt(parse(&wire)).unwrap();
        assert_eq!(plain.typ, typ);
        assert_eq!(plain.payload, plaintext);
    }

    #[test]
    fn rfc8448_server_handshake_flight() {
        let flight = concat(&[
            s3::ENCRYPTED_EXTENSIONS,
            s3::CERTIFICATE,
            s3::CERTIFICATE_VERIFY,
            s3::SERVER_FINISHED,
        ]);
        let mut enc = encrypter(s3::SERVER_HS_KEY, s3::SERVER_HS_IV);
        let mut dec = decrypter(s3::SERVER_HS_KEY, s3::SERVER_HS_IV);
        check_trace_record(
            &mut enc,
            &mut dec,
            ContentType::Handshake,
            &flight,
            s3::SERVER_FLIGHT_RECORD,
        );
        assert_eq!((enc.sequence(), dec.sequence()), (1, 1));
    }

    #[test]
    fn rfc8448_client_finished_and_application_records() {
        let mut enc = encrypter(s3::CLIENT_HS_KEY, s3::CLIENT_HS_IV);
        let mut dec = decrypter(s3::CLIENT_HS_KEY, s3::CLIENT_HS_IV);
        check_trace_record(
            &mut enc,
            &mut dec,
            ContentType::Handshake,
            &unhex(s3::CLIENT_FINISHED),
            s3::CLIENT_FINISHED_RECORD,
        );

        // Server application key: NewSessionTicket (seq 0), data (1), close_notify (2).
        let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        for (typ, plain, record) in SERVER_AP_RECORDS {
            check_trace_record(&mut enc, &mut dec, typ, &unhex(plain), record);
        }
        assert_eq!(enc.sequence(), 3);

        // Client application key: data (0), close_notify (1).
        let mut enc = encrypter(s3::CLIENT_AP_KEY, s3::CLIENT_AP_IV);
        let mut dec = decrypter(s3::CLIENT_AP_KEY, s3::CLIENT_AP_IV);
        for (typ, plain, record) in [
            (
                ContentType::ApplicationData,
                s3::APP_DATA,
                s3::CLIENT_APP_DATA_RECORD,
            ),
            (
                ContentType::Alert,
                s3::CLOSE_NOTIFY,
                s3::CLIENT_ALERT_RECORD,
            ),
        ] {
            check_trace_record(&mut enc, &mut dec, typ, &unhex(plain), record);
        }
    }

    #[test]
    fn rfc8448_records_from_key_schedule_secrets() {
        let suite = &TLS13_AES_128_GCM_SHA256;
        let hs = EarlySecret::new(suite, None).into_handshake(&unhex(s3::ECDHE_SHARED_SECRET));
        let server_hs = hs.server_traffic_secret(&unhex(s3::HELLO_HASH));
        let mut dec = Decrypter13::from_secret(suite, &server_hs).unwrap();
        let plain = dec
            .decrypt(parse(&unhex(s3::SERVER_FLIGHT_RECORD)))
            .unwrap();
        assert_eq!(
            plain.payload[..4],
            unhex(s3::ENCRYPTED_EXTENSIONS)[..4],
            "starts with EncryptedExtensions"
        );

        let early = EarlySecret::new(suite, Some(&unhex(s4::PSK)))
            .client_early_traffic_secret(&unhex(s4::EARLY_HELLO_HASH));
        let mut enc = Encrypter13::from_secret(suite, &early).unwrap();
        let mut dec = Decrypter13::from_secret(suite, &early).unwrap();
        check_trace_record(
            &mut enc,
            &mut dec,
            ContentType::ApplicationData,
            &unhex(s4::EARLY_DATA),
            s4::EARLY_DATA_RECORD,
        );
    }

    #[test]
    fn rfc8448_hello_retry_server_flight() {
        let flight = concat(&[
            s5::ENCRYPTED_EXTENSIONS,
            s5::CERTIFICATE,
            s5::CERTIFICATE_VERIFY,
            s5::SERVER_FINISHED,
        ]);
        let mut enc = encrypter(s5::SERVER_HS_KEY, s5::SERVER_HS_IV);
        let mut dec = decrypter(s5::SERVER_HS_KEY, s5::SERVER_HS_IV);
        check_trace_record(
            &mut enc,
            &mut dec,
            ContentType::Handshake,
            &flight,
            s5::SERVER_FLIGHT_RECORD,
        );
    }

    /// RFC 8448, 3: the server's records under its application key, in order:
    /// NewSessionTicket (seq 0), data (1), close_notify (2); (type, plaintext hex,
    /// record hex).
    const SERVER_AP_RECORDS: [(ContentType, &str, &str); 3] = [
        (
            ContentType::Handshake,
            s3::NEW_SESSION_TICKET,
            s3::NEW_SESSION_TICKET_RECORD,
        ),
        (
            ContentType::ApplicationData,
            s3::APP_DATA,
            s3::SERVER_APP_DATA_RECORD,
        ),
        (
            ContentType::Alert,
            s3::CLOSE_NOTIFY,
            s3::SERVER_ALERT_RECORD,
        ),
    ];

    #[test]
    fn into_a_buffer_gives_the_rfc8448_records() {
        let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        for (typ, plain, record) in SERVER_AP_RECORDS {
            let (plain, wire) = (unhex(plain), unhex(record));
            // Written over stale bytes, with room to spare.
            let mut room = vec![0xaa; record_len(plain.len()) + 3];
            let n = enc.encrypt_into(typ, &plain, &mut room).unwrap();
            assert_eq!(n, wire.len());
            assert_eq!(room[..n], wire);
            assert_eq!(room[n..], [0xaa; 3]);
            // Peeking opens it without consuming the sequence number.
            let record = parse(&wire);
            let mut out = vec![0x55; record.payload.len()];
            let seq = dec.sequence();
            let opened = dec.peek_into(record.borrow(), &mut out).unwrap();
            assert_eq!(dec.sequence(), seq);
            assert_eq!((opened.typ, &out[..opened.len]), (typ, &plain[..]));
            let mut out = vec![0x55; record.payload.len() + 9];
            let opened = dec.decrypt_into(record.borrow(), &mut out).unwrap();
            assert_eq!(dec.sequence(), seq + 1);
            assert_eq!((opened.typ, &out[..opened.len]), (typ, &plain[..]));
        }
    }

    #[test]
    fn failed_decryption_into_a_buffer_leaves_nothing_behind() {
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut wire = unhex(s3::SERVER_APP_DATA_RECORD);
        let last = wire.len() - 1;
        wire[last] ^= 1;
        let record = parse(&wire);
        let mut out = vec![0x55; record.payload.len()];
        assert_eq!(
            dec.decrypt_into(record.borrow(), &mut out),
            Err(RecordError::BadRecordMac { sequence: 0 })
        );
        assert!(out[..record.payload.len() - TAG_LEN]
            .iter()
            .all(|b| *b == 0));
        assert_eq!(dec.sequence(), 0);
        // Too little room: refused before anything is decrypted.
        let record = parse(&unhex(s3::SERVER_APP_DATA_RECORD));
        let mut short = vec![0u8; record.payload.len() - TAG_LEN - 1];
        assert!(matches!(
            dec.decrypt_into(record.borrow(), &mut short),
            Err(RecordError::Overflow { .. })
        ));
        assert_eq!(dec.sequence(), 0);
        let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut small = vec![0u8; record_len(10) - 1];
        assert!(enc
            .encrypt_into(ContentType::ApplicationData, &[1; 10], &mut small)
            .is_err());
        assert_eq!(enc.sequence(), 0);
    }

    #[test]
    fn debug_output_shows_no_key_material() {
        let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        enc.encrypt(ContentType::Alert, &[1, 0], 0, &mut Vec::new())
            .unwrap();
        assert_eq!(format!("{enc:?}"), "Encrypter13(AES-128-GCM, sequence 1)");
        let dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        assert_eq!(format!("{dec:?}"), "Decrypter13(AES-128-GCM, sequence 0)");
    }

    #[test]
    fn nonce_is_iv_xor_padded_sequence() {
        let iv = iv("5d313eb2671276ee13000b30");
        assert_eq!(nonce(&iv, 0), iv);
        assert_eq!(nonce(&iv, 1).to_vec(), unhex("5d313eb2671276ee13000b31"));
        assert_eq!(
            nonce(&iv, 0x0102_0304_0506_0708).to_vec(),
            unhex("5d313eb2661075ea16060c38")
        );
        assert_eq!(
            nonce(&iv, u64::MAX).to_vec(),
            unhex("5d313eb298ed8911ecfff4cf")
        );
    }

    #[test]
    fn padding_is_stripped_and_content_zeros_are_kept() {
        let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        for (content, padding) in [(&[1u8, 0, 0][..], 5), (b"abc", 0), (&[], 300)] {
            let mut out = Vec::new();
            enc.encrypt(ContentType::ApplicationData, content, padding, &mut out)
                .unwrap();
            assert_eq!(
                out.len(),
                HEADER_LEN + content.len() + 1 + padding + TAG_LEN
            );
            let plain = dec.decrypt(parse(&out)).unwrap();
            assert_eq!(plain.typ, ContentType::ApplicationData);
            assert_eq!(plain.payload, content);
        }
    }

    #[test]
    fn find_content_type_takes_the_last_nonzero_byte() {
        assert_eq!(find_content_type(&[]), (0, 0));
        assert_eq!(find_content_type(&[0, 0, 0]), (0, 0));
        assert_eq!(find_content_type(&[22]), (0, 22));
        assert_eq!(find_content_type(&[5, 0, 23, 0, 0]), (2, 23));
        assert_eq!(find_content_type(&[21, 0, 0, 0, 23]), (4, 23));
    }

    #[test]
    fn all_zero_inner_plaintext_has_no_content_type() {
        let enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let err = dec.decrypt(raw_record(&enc, &[0; 40], 0)).unwrap_err();
        assert_eq!(err, RecordError::NoContentType);
        assert_eq!(
            err.to_string(),
            "peer sent an encrypted record with no content type (all padding)"
        );
        let err = dec.decrypt(raw_record(&enc, &[], 1)).unwrap_err();
        assert_eq!(err, RecordError::NoContentType);
    }

    #[test]
    fn inner_plaintext_over_2_14_plus_1_is_overflow() {
        let enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut inner = vec![0x61; MAX_PLAINTEXT_LEN];
        inner.extend_from_slice(&[23, 0]);
        let err = dec.decrypt(raw_record(&enc, &inner, 0)).unwrap_err();
        assert_eq!(
            err,
            RecordError::Overflow {
                length: MAX_INNER_PLAINTEXT_LEN + 1,
                max: MAX_INNER_PLAINTEXT_LEN
            }
        );
        assert_eq!(
            err.to_string(),
            "peer sent a record of 16386 bytes, more than the 16385 allowed"
        );
        // Exactly 2^14 + 1 is fine.
        inner.pop();
        let plain = dec.decrypt(raw_record(&enc, &inner, 1)).unwrap();
        assert_eq!(plain.payload.len(), MAX_PLAINTEXT_LEN);
    }

    #[test]
    fn oversize_ciphertext_is_overflow() {
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let record = OpaqueRecord {
            typ: ContentType::ApplicationData,
            version: ProtocolVersion::TLSv1_2,
            payload: vec![0; MAX_CIPHERTEXT_LEN + 1],
        };
        assert_eq!(
            dec.decrypt(record),
            Err(RecordError::Overflow {
                length: MAX_CIPHERTEXT_LEN + 1,
                max: MAX_CIPHERTEXT_LEN
            })
        );
    }

    #[test]
    fn tampering_fails_without_advancing_the_sequence() {
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let wire = unhex(s3::NEW_SESSION_TICKET_RECORD);
        // Every bit flip in the version (part of the AAD) or the body is caught. The
        // type and length bytes are covered too, but the deframer rejects most flips.
        for i in (2..3).chain(HEADER_LEN..wire.len()) {
            let mut bad = wire.clone();
            bad[i] ^= 0x80;
            let record = OpaqueRecord {
                typ: ContentType::ApplicationData,
                version: ProtocolVersion::from_wire(u16::from_be_bytes([bad[1], bad[2]])),
                payload: bad[HEADER_LEN..].to_vec(),
            };
            assert_eq!(
                dec.decrypt(record),
                Err(RecordError::BadRecordMac { sequence: 0 }),
                "byte {i}"
            );
        }
        // A truncated record also fails, and the real one still decrypts at sequence 0.
        let mut short = parse(&wire);
        short.payload.truncate(TAG_LEN - 1);
        let err = dec.decrypt(short).unwrap_err();
        assert_eq!(
            err.to_string(),
            "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys"
        );
        assert_eq!(dec.sequence(), 0);
        assert!(dec.decrypt(parse(&wire)).is_ok());
        assert_eq!(dec.sequence(), 1);
        // Replaying it under sequence 1 fails.
        assert_eq!(
            dec.decrypt(parse(&wire)),
            Err(RecordError::BadRecordMac { sequence: 1 })
        );
    }

    #[test]
    fn wrong_outer_or_inner_type_is_unexpected() {
        let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut record = parse(&unhex(s3::NEW_SESSION_TICKET_RECORD));
        record.typ = ContentType::Handshake;
        assert_eq!(
            dec.decrypt(record),
            Err(RecordError::UnexpectedContentType {
                got: ContentType::Handshake
            })
        );

        // RFC 8446, 5: change_cipher_spec must never be encrypted.
        let mut out = Vec::new();
        enc.encrypt(ContentType::ChangeCipherSpec, &[1], 0, &mut out)
            .unwrap();
        let err = dec.decrypt(parse(&out)).unwrap_err();
        assert_eq!(
            err,
            RecordError::UnexpectedContentType {
                got: ContentType::ChangeCipherSpec
            }
        );
        assert_eq!(
            err.to_string(),
            "peer sent a record of type change_cipher_spec where none is allowed"
        );
        let mut out = Vec::new();
        enc.encrypt(ContentType::Unknown(99), b"x", 0, &mut out)
            .unwrap();
        assert_eq!(
            dec.decrypt(parse(&out)),
            Err(RecordError::UnexpectedContentType {
                got: ContentType::Unknown(99)
            })
        );
    }

    #[test]
    fn plaintext_over_2_14_is_refused_and_padding_is_clamped() {
        let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut out = Vec::new();
        let big = vec![7; MAX_PLAINTEXT_LEN + 1];
        let err = enc
            .encrypt(ContentType::ApplicationData, &big, 0, &mut out)
            .unwrap_err();
        assert_eq!(
            err,
            Error::Record(RecordError::PlaintextTooLarge {
                length: 16385,
                max: 16384
            })
        );
        assert_eq!(
            err.to_string(),
            "internal error: asked to protect 16385 bytes in one record, but at most 16384 fit; the data must be fragmented first"
        );
        assert_eq!(
            err.alert(),
            Some(crate::msgs::enums::AlertDescription::InternalError)
        );
        assert!(out.is_empty());
        assert_eq!(enc.sequence(), 0);

        enc.encrypt(ContentType::ApplicationData, &big[1..], 100, &mut out)
            .unwrap();
        assert_eq!(out.len(), HEADER_LEN + MAX_INNER_PLAINTEXT_LEN + TAG_LEN);
        let plain = dec.decrypt(parse(&out)).unwrap();
        assert_eq!(plain.payload.len(), MAX_PLAINTEXT_LEN);
    }

    #[test]
    fn encrypt_appends_to_existing_output() {
        let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV);
        let mut out = b"earlier bytes".to_vec();
        enc.encrypt(
            ContentType::Handshake,
            &unhex(s3::NEW_SESSION_TICKET),
            0,
            &mut out,
        )
        .unwrap();
        assert_eq!(out[..13], *b"earlier bytes");
        assert_eq!(out[13..], unhex(s3::NEW_SESSION_TICKET_RECORD));
    }

    #[test]
    fn sequence_never_wraps() {
        let mut enc = encrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV).with_sequence(u64::MAX - 1);
        let mut dec = decrypter(s3::SERVER_AP_KEY, s3::SERVER_AP_IV).with_sequence(u64::MAX - 1);
        let mut out = Vec::new();
        enc.encrypt(ContentType::ApplicationData, b"last", 0, &mut out)
            .unwrap();
        assert_eq!(dec.decrypt(parse(&out)).unwrap().payload, b"last");
        assert_eq!((enc.sequence(), dec.sequence()), (u64::MAX, u64::MAX));

        let err = enc
            .encrypt(ContentType::ApplicationData, b"one more", 0, &mut out)
            .unwrap_err();
        assert_eq!(err, Error::Record(RecordError::SequenceExhausted));
        assert_eq!(
            err.to_string(),
            "the record sequence number is exhausted and the key could not be updated"
        );
        assert_eq!(
            dec.decrypt(parse(&out)),
            Err(RecordError::SequenceExhausted)
        );
    }

    #[test]
    fn key_update_is_due_near_the_confidentiality_limit() {
        for suite in ALL_TLS13_SUITES {
            let key = vec![1; suite.aead.key_len()];
            let due = suite.confidentiality_limit() - KEY_UPDATE_MARGIN;
            let mut enc = Encrypter13::new(suite.aead, &key, [2; 12])
                .unwrap()
                .with_sequence(due - 1);
            let mut dec = Decrypter13::new(suite.aead, &key, [2; 12])
                .unwrap()
                .with_sequence(due - 1);
            assert!(!enc.should_update_key() && !dec.should_update_key());
            let mut out = Vec::new();
            enc.encrypt(ContentType::ApplicationData, b"x", 0, &mut out)
                .unwrap();
            dec.decrypt(parse(&out)).unwrap();
            assert!(
                enc.should_update_key() && dec.should_update_key(),
                "{suite:?}"
            );
        }
        assert!(!Encrypter13::new(AES128, &[0; 16], [0; 12])
            .unwrap()
            .with_sequence(23_726_566 - KEY_UPDATE_MARGIN - 1)
            .should_update_key());
    }

    #[test]
    fn every_suite_round_trips_through_its_key_schedule() {
        for suite in ALL_TLS13_SUITES {
            let secret = EarlySecret::new(suite, None)
                .into_handshake(&[9; 32])
                .client_traffic_secret(&[0; 48][..suite.hash.output_len()]);
            let mut enc = Encrypter13::from_secret(suite, &secret).unwrap();
            let mut dec = Decrypter13::from_secret(suite, &secret).unwrap();
            let mut out = Vec::new();
            for i in 0..3u8 {
                out.clear();
                enc.encrypt(ContentType::Alert, &[i, 0], 7, &mut out)
                    .unwrap();
                let plain = dec.decrypt(parse(&out)).unwrap();
                assert_eq!((plain.typ, plain.payload), (ContentType::Alert, vec![i, 0]));
            }
            // The next generation's keys do not open this generation's records.
            let mut next = Decrypter13::from_secret(suite, &secret.next()).unwrap();
            assert!(next.decrypt(parse(&out)).is_err(), "{suite:?}");
        }
        let chacha = &TLS13_CHACHA20_POLY1305_SHA256;
        assert_eq!(
            Encrypter13::new(chacha.aead, &[0; 16], [0; 12]).unwrap_err(),
            CryptoError::BadKeyLength {
                algorithm: "ChaCha20-Poly1305",
                length: 16
            }
        );
    }
}
