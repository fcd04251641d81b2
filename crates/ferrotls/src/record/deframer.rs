//! Splits the received byte stream into records (RFC 8446, 5.1).

use std::io;

use super::buffers::RecordBuffer;
use super::{
    push_header, BorrowedRecord, PlainMessage, HEADER_LEN, MAX_CIPHERTEXT_LEN,
    MAX_CIPHERTEXT_LEN_TLS12, MAX_PLAINTEXT_LEN,
};
use crate::error::RecordError;
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// A record as framed on the wire, before any decryption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpaqueRecord {
    pub typ: ContentType,
    pub version: ProtocolVersion,
    pub payload: Vec<u8>,
}

impl OpaqueRecord {
    /// Treats an unprotected record as plaintext, enforcing the 2^14-byte limit on
    /// TLSPlaintext (RFC 8446, 5.1). Fails with `Overflow` above it.
    pub fn into_plain(self) -> Result<PlainMessage, RecordError> {
        if self.payload.len() > MAX_PLAINTEXT_LEN {
            return Err(RecordError::Overflow {
                length: self.payload.len(),
                max: MAX_PLAINTEXT_LEN,
            });
        }
        Ok(PlainMessage {
            typ: self.typ,
            payload: self.payload,
        })
    }

    /// Appends the record in wire form (header and payload).
    pub fn encode(&self, out: &mut Vec<u8>) {
        push_header(out, self.typ, self.version, self.payload.len());
        out.extend_from_slice(&self.payload);
    }

    /// The record as a [`BorrowedRecord`].
    pub fn borrow(&self) -> BorrowedRecord<'_> {
        BorrowedRecord {
            typ: self.typ,
            version: self.version,
            payload: &self.payload,
        }
    }
}

/// Frames the record at the front of `bytes`: `Ok(None)` until all of it is there,
/// else the record and its length on the wire (header included). Fails for a header
/// no TLS peer would send: an unknown content type, a major version other than 3,
/// or a body longer than `max_ciphertext`; the check needs the 5 header bytes only.
pub fn frame(
    bytes: &[u8],
    max_ciphertext: usize,
) -> Result<Option<(BorrowedRecord<'_>, usize)>, RecordError> {
    let Some((hdr, rest)) = bytes.split_first_chunk::<HEADER_LEN>() else {
        return Ok(None);
    };
    let [typ, major, minor, len_hi, len_lo] = *hdr;

    // RFC 8446, 5: an unknown record type is unexpected_message. Heartbeat
    // (RFC 6520) passes; the connection refuses it unless it was negotiated.
    let typ = ContentType::from_wire(typ);
    if !matches!(
        typ,
        ContentType::ChangeCipherSpec
            | ContentType::Alert
            | ContentType::Handshake
            | ContentType::ApplicationData
            | ContentType::Heartbeat
    ) {
        return Err(RecordError::UnexpectedContentType { got: typ });
    }

    // legacy_record_version is otherwise ignored (RFC 8446, 5.1), but a major
    // version other than 3 means the peer is not speaking TLS at all.
    let version = ProtocolVersion::from_wire(u16::from_be_bytes([major, minor]));
    if major != 3 {
        return Err(RecordError::BadLegacyVersion { version });
    }

    let length = usize::from(u16::from_be_bytes([len_hi, len_lo]));
    if length > max_ciphertext {
        return Err(RecordError::Overflow {
            length,
            max: max_ciphertext,
        });
    }

    let Some(payload) = rest.get(..length) else {
        return Ok(None);
    };
    let record = BorrowedRecord {
        typ,
        version,
        payload,
    };
    Ok(Some((record, HEADER_LEN + length)))
}

/// Buffers received bytes, however they were split, and yields whole records.
///
/// Memory is bounded: at most one maximal record is buffered, and a header that
/// claims more than 2^14 + 256 bytes (2^14 + 2048 with TLS 1.2) is rejected as soon
/// as its 5 bytes arrive. A bad header is not consumed, so every later `next_record`
/// returns the same error.
///
/// The buffer is given back whenever it empties, so idle connections hold none. It
/// goes to a per-thread spare (see `record::buffers`), so the next read, on this
/// connection or another, reuses initialized memory: a read neither allocates nor
/// zeroes.
#[derive(Debug)]
pub struct Deframer {
    /// Received bytes not yet returned as records.
    buf: RecordBuffer,
    /// The largest record body accepted: 2^14 + 256, or 2^14 + 2048 once TLS 1.2
    /// is negotiated (RFC 5246, 6.2.3).
    max_ciphertext: usize,
}

impl Default for Deframer {
    fn default() -> Self {
        Deframer {
            buf: RecordBuffer::default(),
            max_ciphertext: MAX_CIPHERTEXT_LEN,
        }
    }
}

impl Deframer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts TLS 1.2's larger records (CBC padding may add up to 2^14 + 2048 bytes).
    pub fn allow_tls12_records(&mut self) {
        self.max_ciphertext = MAX_CIPHERTEXT_LEN_TLS12;
    }

    /// The largest record body accepted now.
    pub fn max_ciphertext(&self) -> usize {
        self.max_ciphertext
    }

    fn max_record(&self) -> usize {
        HEADER_LEN + self.max_ciphertext
    }

    /// Bytes received but not yet returned as a record. Non-zero at end of stream
    /// means the peer's last record was truncated.
    pub fn buffered_len(&self) -> usize {
        self.buf.len()
    }

    /// How many more bytes `push` or `read_from` will accept right now.
    pub fn free_space(&self) -> usize {
        self.max_record().saturating_sub(self.buffered_len())
    }

    /// Buffers as much of `bytes` as fits and returns how many bytes were taken.
    ///
    /// Takes everything unless a whole record is already waiting; then drain it with
    /// [`next_record`](Self::next_record) and push the rest.
    #[must_use = "bytes beyond the returned count were not buffered"]
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        let take = bytes.get(..self.free_space()).unwrap_or(bytes);
        if !take.is_empty() {
            self.buf.push(take);
        }
        take.len()
    }

    /// Reads once from `rd` into the buffer, at most [`free_space`](Self::free_space)
    /// bytes. Returns the count read; `Ok(0)` is end of stream. Fails if a complete
    /// record is waiting to be drained.
    pub fn read_from(&mut self, rd: &mut dyn io::Read) -> io::Result<usize> {
        let room = self.free_space();
        if room == 0 {
            return Err(io::Error::other(
                "record buffer is full: call next_record before reading more",
            ));
        }
        let into = self.buf.room(room);
        let len = into.len().min(room);
        let result = rd.read(into.get_mut(..len).unwrap_or_default());
        let got = match &result {
            Ok(n) => (*n).min(room),
            Err(_) => 0,
        };
        self.buf.commit(got);
        self.buf.release_if_empty();
        result.map(|_| got)
    }

    /// The next complete record, `Ok(None)` if more bytes are needed, or an error for
    /// a header no TLS peer would send.
    pub fn next_record(&mut self) -> Result<Option<OpaqueRecord>, RecordError> {
        let Some((record, len)) = self.peek()? else {
            return Ok(None);
        };
        let record = OpaqueRecord {
            typ: record.typ,
            version: record.version,
            payload: record.payload.to_vec(),
        };
        self.discard(len);
        Ok(Some(record))
    }

    /// The next complete record where it lies in the buffer, with its length on the
    /// wire; [`discard`](Self::discard) that length once done with it. `Ok(None)` if
    /// more bytes are needed; an error for a header no TLS peer would send.
    pub fn peek(&self) -> Result<Option<(BorrowedRecord<'_>, usize)>, RecordError> {
        frame(self.buf.pending(), self.max_ciphertext)
    }

    /// Drops `len` bytes (a record returned by [`peek`](Self::peek)) from the front.
    pub fn discard(&mut self, len: usize) {
        self.buf.consume(len);
    }
}

#[cfg(test)]
mod tests;
