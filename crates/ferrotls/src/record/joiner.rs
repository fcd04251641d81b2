//! Reassembles handshake messages from record payloads (RFC 8446, 5.1).

use crate::error::RecordError;
use crate::msgs::enums::{ContentType, HandshakeType};

/// Bytes in a handshake message header: type and 24-bit length (RFC 8446, 4).
pub const HANDSHAKE_HEADER_LEN: usize = 4;

/// Default cap on one handshake message, header excluded. Large enough for long
/// certificate chains; a peer declaring more is refused before we buffer it.
pub const DEFAULT_MAX_HANDSHAKE_LEN: usize = 64 * 1024;

pub use crate::msgs::enums::MAX_CLIENT_HELLO_LEN;

/// Joins handshake fragments into whole messages, whatever the record boundaries:
/// one message may span several records and one record may hold several messages.
///
/// Call [`next_message`](Self::next_message) until it returns `None` after every
/// [`push`](Self::push); then at most one partial message is ever buffered. Before
/// the keys change the connection checks [`is_empty`](Self::is_empty): a handshake
/// message must not span a key change (RFC 8446, 5.1).
#[derive(Debug)]
pub struct HandshakeJoiner {
    buf: Vec<u8>,
    max_message_len: usize,
}

impl Default for HandshakeJoiner {
    fn default() -> Self {
        Self::new()
    }
}

impl HandshakeJoiner {
    /// A joiner accepting messages up to [`DEFAULT_MAX_HANDSHAKE_LEN`].
    pub fn new() -> Self {
        Self::with_max_message_len(DEFAULT_MAX_HANDSHAKE_LEN)
    }

    /// A joiner accepting message bodies up to `max_message_len` bytes.
    pub fn with_max_message_len(max_message_len: usize) -> Self {
        HandshakeJoiner {
            buf: Vec::new(),
            max_message_len,
        }
    }

    /// True when no partial message is buffered.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Adds the payload of one handshake record. Fails on an empty fragment
    /// (RFC 8446, 5.1) or as soon as any buffered header declares an oversize message.
    pub fn push(&mut self, payload: &[u8]) -> Result<(), RecordError> {
        if payload.is_empty() {
            return Err(RecordError::Empty {
                content_type: ContentType::Handshake,
            });
        }
        self.buf.extend_from_slice(payload);
        let mut rest = &self.buf[..];
        while let Some(len) = self.message_len(rest)? {
            match rest.get(len..) {
                Some(after) => rest = after,
                None => break,
            }
        }
        Ok(())
    }

    /// The next whole message (header included), or `None` if it is incomplete.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, RecordError> {
        let Some(len) = self.message_len(&self.buf)? else {
            return Ok(None);
        };
        if len == self.buf.len() {
            return Ok(Some(std::mem::take(&mut self.buf)));
        }
        if len > self.buf.len() {
            return Ok(None);
        }
        let rest = self.buf.split_off(len);
        Ok(Some(std::mem::replace(&mut self.buf, rest)))
    }

    /// Total length of the message starting at `bytes`, once its header is complete.
    fn message_len(&self, bytes: &[u8]) -> Result<Option<usize>, RecordError> {
        let Some([typ, a, b, c]) = bytes.first_chunk::<HANDSHAKE_HEADER_LEN>() else {
            return Ok(None);
        };
        let length = usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c);
        if *typ == HandshakeType::ClientHello.to_wire() {
            if length > MAX_CLIENT_HELLO_LEN {
                return Err(RecordError::ClientHelloTooLarge { length });
            }
        } else if length > self.max_message_len {
            return Err(RecordError::HandshakeTooLarge {
                length,
                max: self.max_message_len,
            });
        }
        Ok(Some(HANDSHAKE_HEADER_LEN + length))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(typ: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![typ];
        out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
        out.extend_from_slice(body);
        out
    }

    fn drain(j: &mut HandshakeJoiner) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        while let Some(m) = j.next_message().unwrap() {
            got.push(m);
        }
        got
    }

    #[test]
    fn several_messages_in_one_record() {
        let want = vec![
            msg(8, b"ee"),
            msg(11, &[0; 300]),
            msg(20, &[]),
            msg(15, b"cv"),
        ];
        let mut j = HandshakeJoiner::new();
        j.push(&want.concat()).unwrap();
        assert_eq!(drain(&mut j), want);
        assert!(j.is_empty());
    }

    #[test]
    fn messages_across_every_record_boundary() {
        let want = vec![msg(2, b"server hello"), msg(8, &[]), msg(11, &[5; 40])];
        let bytes = want.concat();
        for i in 1..bytes.len() {
            for j in i + 1..bytes.len() {
                let mut joiner = HandshakeJoiner::new();
                let mut got = Vec::new();
                for part in [&bytes[..i], &bytes[i..j], &bytes[j..]] {
                    joiner.push(part).unwrap();
                    got.extend(drain(&mut joiner));
                }
                assert_eq!(got, want, "records split at {i}, {j}");
                assert!(joiner.is_empty());
            }
        }
    }

    #[test]
    fn partial_message_is_not_empty() {
        let mut j = HandshakeJoiner::new();
        j.push(&[20, 0, 0]).unwrap();
        assert_eq!(j.next_message(), Ok(None));
        assert!(!j.is_empty());
        j.push(&[2, 0xaa]).unwrap();
        assert_eq!(j.next_message(), Ok(None));
        j.push(&[0xbb]).unwrap();
        assert_eq!(j.next_message(), Ok(Some(vec![20, 0, 0, 2, 0xaa, 0xbb])));
        assert!(j.is_empty());
    }

    #[test]
    fn oversize_header_is_rejected_on_push() {
        let mut j = HandshakeJoiner::with_max_message_len(1000);
        j.push(&msg(8, &[0; 1000])).unwrap();
        // The second message's header arrives in the same record as the first message.
        let mut bytes = msg(1, b"x");
        bytes.extend_from_slice(&[11, 0, 0x03, 0xe9]);
        let err = j.push(&bytes).unwrap_err();
        assert_eq!(
            err,
            RecordError::HandshakeTooLarge {
                length: 1001,
                max: 1000
            }
        );
        assert_eq!(
            err.to_string(),
            "peer sent a handshake message of 1001 bytes, more than the 1000 we accept"
        );
    }

    #[test]
    fn a_client_hello_may_take_what_its_encoding_allows() {
        let mut j = HandshakeJoiner::new();
        let hello = msg(1, &vec![0; MAX_CLIENT_HELLO_LEN]);
        j.push(&hello).unwrap();
        assert_eq!(j.next_message(), Ok(Some(hello)));
        let err = HandshakeJoiner::new()
            .push(&[1, 0x02, 0x01, 0x45])
            .unwrap_err();
        assert_eq!(err, RecordError::ClientHelloTooLarge { length: 131_397 });
        assert_eq!(
            err.to_string(),
            "peer sent a ClientHello of 131397 bytes, more than the 131396 any ClientHello can take"
        );
    }

    #[test]
    fn huge_declared_length_with_default_limit() {
        let mut j = HandshakeJoiner::new();
        let err = j.push(&[11, 0xff, 0xff, 0xff]).unwrap_err();
        assert_eq!(
            err,
            RecordError::HandshakeTooLarge {
                length: 0xff_ffff,
                max: DEFAULT_MAX_HANDSHAKE_LEN
            }
        );
    }

    #[test]
    fn empty_fragment_is_rejected() {
        let err = HandshakeJoiner::new().push(&[]).unwrap_err();
        assert_eq!(
            err,
            RecordError::Empty {
                content_type: ContentType::Handshake
            }
        );
        assert_eq!(
            err.to_string(),
            "peer sent an empty handshake record, which is not allowed"
        );
    }
}
