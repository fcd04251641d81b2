//! Record-layer failures (RFC 8446, 5).

use core::fmt;

use crate::msgs::enums::{ContentType, ProtocolVersion, MAX_CLIENT_HELLO_LEN};

/// Record-layer failures (RFC 8446, 5).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordError {
    /// A record's length field exceeds what its kind allows (RFC 8446, 5.1 and 5.2).
    Overflow { length: usize, max: usize },
    /// A protected record failed authentication (wrong key, tampering, or truncation).
    BadRecordMac { sequence: u64 },
    /// A record carried a content type that is not valid at this point.
    UnexpectedContentType { got: ContentType },
    /// A record with zero bytes of content where that is not allowed.
    Empty { content_type: ContentType },
    /// A TLS 1.3 inner plaintext had no non-zero content type byte.
    NoContentType,
    /// A change_cipher_spec record whose body was not the single byte 0x01, or
    /// one received while it is not allowed (RFC 8446, 5).
    InvalidChangeCipherSpec,
    /// A handshake message spanned a change of keys (RFC 8446, 5.1).
    HandshakeSpansKeyChange,
    /// Handshake data was interleaved with another content type (RFC 8446, 5.1).
    InterleavedHandshake,
    /// A handshake message declared a length above our limit.
    HandshakeTooLarge { length: usize, max: usize },
    /// A ClientHello declared a length no ClientHello can have (RFC 8446, 4.1.2:
    /// more than `MAX_CLIENT_HELLO_LEN`).
    ClientHelloTooLarge { length: usize },
    /// The record's legacy version field was not a TLS version.
    BadLegacyVersion { version: ProtocolVersion },
    /// The peer sent too many empty or warning records in a row.
    TooManyEmptyRecords { count: usize },
    /// The peer kept sending data after we could no longer rekey.
    SequenceExhausted,
    /// We were asked to protect more than fits in one record (RFC 8446, 5.2): a
    /// local bug, the caller must fragment first.
    PlaintextTooLarge { length: usize, max: usize },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Overflow { length, max } => write!(
                f,
                "peer sent a record of {length} bytes, more than the {max} allowed"
            ),
            RecordError::BadRecordMac { sequence } => write!(
                f,
                "record {sequence} from the peer failed decryption: it was altered in transit or the peers derived different keys"
            ),
            RecordError::UnexpectedContentType { got } => {
                write!(f, "peer sent a record of type {got} where none is allowed")
            }
            RecordError::Empty { content_type } => {
                write!(f, "peer sent an empty {content_type} record, which is not allowed")
            }
            RecordError::NoContentType => write!(
                f,
                "peer sent an encrypted record with no content type (all padding)"
            ),
            RecordError::InvalidChangeCipherSpec => write!(
                f,
                "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)"
            ),
            RecordError::HandshakeSpansKeyChange => write!(
                f,
                "peer sent a handshake message that continues across a change of keys"
            ),
            RecordError::InterleavedHandshake => write!(
                f,
                "peer interleaved another record type inside a fragmented handshake message"
            ),
            RecordError::HandshakeTooLarge { length, max } => write!(
                f,
                "peer sent a handshake message of {length} bytes, more than the {max} we accept"
            ),
            RecordError::ClientHelloTooLarge { length } => write!(
                f,
                "peer sent a ClientHello of {length} bytes, more than the {} any ClientHello can take",
                MAX_CLIENT_HELLO_LEN
            ),
            RecordError::BadLegacyVersion { version } => write!(
                f,
                "peer sent a record with version {version}, which is not TLS"
            ),
            RecordError::TooManyEmptyRecords { count } => write!(
                f,
                "peer sent {count} empty or warning records in a row without progress"
            ),
            RecordError::SequenceExhausted => write!(
                f,
                "the record sequence number is exhausted and the key could not be updated"
            ),
            RecordError::PlaintextTooLarge { length, max } => write!(
                f,
                "internal error: asked to protect {length} bytes in one record, but at most {max} fit; the data must be fragmented first"
            ),
        }
    }
}
