//! Record layer: framing, fragmentation, record protection, sequence numbers.
//!
//! ```text
//! read:  bytes -> Deframer -> OpaqueRecord -> Decrypter13 (or into_plain) -> PlainMessage
//!        handshake payloads -> HandshakeJoiner -> whole messages
//! write: message -> fragments -> Encrypter13 (or write_plain_record) -> bytes
//! ```
//!
//! TLS 1.2 connections use [`protect12::Encrypter12`] and [`protect12::Decrypter12`]
//! in place of the TLS 1.3 pair.

pub(crate) mod buffers;
pub mod deframer;
pub mod fragmenter;
pub mod joiner;
pub mod protect;
pub mod protect12;

pub use deframer::{Deframer, OpaqueRecord};
pub use fragmenter::{fragments, write_plain_record, CCS_RECORD};
pub use joiner::{HandshakeJoiner, DEFAULT_MAX_HANDSHAKE_LEN, HANDSHAKE_HEADER_LEN};
pub use protect::{Decrypter13, Encrypter13, KEY_UPDATE_MARGIN};

use crate::msgs::enums::{ContentType, ProtocolVersion};

/// Bytes in a record header: type, legacy version, length (RFC 8446, 5.1).
pub const HEADER_LEN: usize = 5;
/// Largest TLSPlaintext fragment, 2^14 (RFC 8446, 5.1).
pub const MAX_PLAINTEXT_LEN: usize = 1 << 14;
/// Largest TLSInnerPlaintext: content, type byte and padding (RFC 8446, 5.4).
pub const MAX_INNER_PLAINTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 1;
/// Largest TLSCiphertext.encrypted_record, 2^14 + 256 (RFC 8446, 5.2).
pub const MAX_CIPHERTEXT_LEN: usize = MAX_PLAINTEXT_LEN + 256;
/// Largest TLS 1.2 TLSCiphertext fragment, 2^14 + 2048 (RFC 5246, 6.2.3). Larger than
/// TLS 1.3's 2^14 + 256 because CBC padding may be up to 256 bytes on top of the IV
/// and MAC; the deframer must let such records through for CBC peers that pad more
/// than the minimum.
pub const MAX_CIPHERTEXT_LEN_TLS12: usize = MAX_PLAINTEXT_LEN + 2048;
/// Largest record on the wire, header included.
pub const MAX_RECORD_LEN: usize = HEADER_LEN + MAX_CIPHERTEXT_LEN;

/// The content of one record after unprotection: its real type and its bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainMessage {
    pub typ: ContentType,
    pub payload: Vec<u8>,
}

/// A record framed in a receive buffer, before decryption: its header fields and a
/// borrowed body, so it can be decrypted where it lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BorrowedRecord<'a> {
    pub typ: ContentType,
    pub version: ProtocolVersion,
    pub payload: &'a [u8],
}

/// What [`RecordDecrypter::decrypt_into`] left at the front of its output buffer:
/// `len` bytes of content of type `typ` (TLS 1.3's inner type, padding removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opened {
    pub typ: ContentType,
    pub len: usize,
}

/// The 5-byte record header; also the AEAD additional data (RFC 8446, 5.2).
fn header(typ: ContentType, version: ProtocolVersion, len: usize) -> [u8; HEADER_LEN] {
    // Callers keep `len` within MAX_CIPHERTEXT_LEN, well below 2^16.
    debug_assert!(len <= MAX_CIPHERTEXT_LEN, "record of {len} bytes");
    let [hi, lo] = (len as u16).to_be_bytes();
    let [vh, vl] = version.to_wire().to_be_bytes();
    [typ.to_wire(), vh, vl, hi, lo]
}

fn push_header(out: &mut Vec<u8>, typ: ContentType, version: ProtocolVersion, len: usize) {
    out.extend_from_slice(&header(typ, version, len));
}

/// Protects outgoing records under the current keys (TLS 1.3 or 1.2).
pub trait RecordEncrypter: core::fmt::Debug + Send + Sync {
    /// Bytes on the wire of the record carrying `len` bytes of plaintext.
    fn record_len(&self, len: usize) -> usize;

    /// Writes one protected record carrying `plaintext` (at most 2^14 bytes) to the
    /// front of `out` (at least `record_len(plaintext.len())` bytes); returns its
    /// length. On failure `out` holds nothing.
    fn encrypt_into(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, crate::Error>;

    /// Whether the keys are close to their usage limit (TLS 1.3 then sends KeyUpdate).
    fn should_update_key(&self) -> bool;
}

/// Unprotects incoming records under the current keys.
pub trait RecordDecrypter: core::fmt::Debug + Send + Sync {
    fn decrypt(&mut self, record: OpaqueRecord) -> Result<PlainMessage, crate::error::RecordError>;

    /// Decrypts a record where it lies into `out` (at least `record.payload.len()`
    /// bytes); the content is `out[..opened.len]`. On failure `out` holds nothing
    /// unauthenticated. The sequence number advances once the record authenticates.
    fn decrypt_into(
        &mut self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, crate::error::RecordError>;

    /// As `decrypt_into`, without consuming the sequence number: for decrypting
    /// ahead, where only some records are accepted. Call `advance` to accept one.
    fn peek_into(
        &self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, crate::error::RecordError>;

    /// Consumes the sequence number of a record accepted after `peek_into`.
    fn advance(&mut self);
}

impl RecordEncrypter for Encrypter13 {
    fn record_len(&self, len: usize) -> usize {
        protect::record_len(len)
    }

    fn encrypt_into(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, crate::Error> {
        Encrypter13::encrypt_into(self, typ, plaintext, out)
    }

    fn should_update_key(&self) -> bool {
        Encrypter13::should_update_key(self)
    }
}

impl RecordDecrypter for Decrypter13 {
    fn decrypt(&mut self, record: OpaqueRecord) -> Result<PlainMessage, crate::error::RecordError> {
        Decrypter13::decrypt(self, record)
    }

    fn decrypt_into(
        &mut self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, crate::error::RecordError> {
        Decrypter13::decrypt_into(self, record, out)
    }

    fn peek_into(
        &self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, crate::error::RecordError> {
        Decrypter13::peek_into(self, record, out)
    }

    fn advance(&mut self) {
        Decrypter13::advance(self);
    }
}

impl RecordEncrypter for protect12::Encrypter12 {
    fn record_len(&self, len: usize) -> usize {
        protect12::Encrypter12::record_len(self, len)
    }

    fn encrypt_into(
        &mut self,
        typ: ContentType,
        plaintext: &[u8],
        out: &mut [u8],
    ) -> Result<usize, crate::Error> {
        protect12::Encrypter12::encrypt_into(self, typ, plaintext, out)
    }

    /// TLS 1.2 has no KeyUpdate; the 64-bit sequence number is the only limit.
    fn should_update_key(&self) -> bool {
        false
    }
}

impl RecordDecrypter for protect12::Decrypter12 {
    fn decrypt(&mut self, record: OpaqueRecord) -> Result<PlainMessage, crate::error::RecordError> {
        protect12::Decrypter12::decrypt(self, record)
    }

    fn decrypt_into(
        &mut self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, crate::error::RecordError> {
        protect12::Decrypter12::decrypt_into(self, record, out)
    }

    fn peek_into(
        &self,
        record: BorrowedRecord<'_>,
        out: &mut [u8],
    ) -> Result<Opened, crate::error::RecordError> {
        protect12::Decrypter12::peek_into(self, record, out)
    }

    fn advance(&mut self) {
        protect12::Decrypter12::advance(self);
    }
}
