//! Wire encoding: a bounds-checked `Reader` cursor and length-prefixed writers.
//!
//! Every read is checked; a malformed input yields a [`DecodeError`] that names the
//! message, the field and the byte offset. Length prefixes are written by closures
//! (`with_u16_len` etc.) so they cannot be miscounted.

use core::fmt;

/// What was wrong with the bytes at a given place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeErrorKind {
    /// The field needs more bytes than remain.
    Truncated { needed: usize, available: usize },
    /// Bytes were left over after the field or message ended.
    TrailingBytes { count: usize },
    /// A vector whose length must not be zero was empty.
    Empty,
    /// A vector length is not a multiple of its element size.
    BadVectorLength { length: usize, element_size: usize },
    /// A vector or value is longer than the protocol allows.
    TooLong { length: usize, max: usize },
    /// A vector is shorter than the protocol's lower bound (e.g. `<32..255>`).
    TooShort { length: usize, min: usize },
    /// The same extension appeared twice (RFC 8446, 4.2).
    DuplicateExtension { extension: u16 },
    /// An extension appeared in a message where it is not allowed (RFC 8446, 4.2).
    ExtensionNotAllowed { extension: u16 },
    /// A value that has a fixed meaning had another value.
    InvalidValue { value: u64 },
    /// A list that must not repeat an entry did (RFC 6066, 3: a server_name type;
    /// RFC 8446, 4.2.8: a key share's group): illegal_parameter.
    RepeatedEntry { value: u64 },
    /// A value of a fixed length had another (e.g. Finished.verify_data, whose
    /// length the negotiated suite decides).
    WrongLength { length: usize, expected: usize },
    /// The pre_shared_key extension was not the last one in ClientHello (RFC 8446, 4.2.11).
    PskNotLast,
}

/// A decoding failure: which message, which field, at which byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    pub message: &'static str,
    pub field: &'static str,
    pub offset: usize,
    pub kind: DecodeErrorKind,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed {}: field {} at byte {}: ",
            self.message, self.field, self.offset
        )?;
        match &self.kind {
            DecodeErrorKind::Truncated { needed, available } => write!(
                f,
                "needs {needed} byte(s) but only {available} remain (message cut short)"
            ),
            DecodeErrorKind::TrailingBytes { count } => {
                write!(f, "{count} unexpected byte(s) after the end")
            }
            DecodeErrorKind::Empty => write!(f, "must not be empty"),
            DecodeErrorKind::BadVectorLength {
                length,
                element_size,
            } => write!(
                f,
                "length {length} is not a multiple of the element size {element_size}"
            ),
            DecodeErrorKind::TooLong { length, max } => {
                write!(f, "length {length} exceeds the maximum of {max}")
            }
            DecodeErrorKind::TooShort { length, min } => {
                write!(f, "length {length} is below the minimum of {min}")
            }
            DecodeErrorKind::DuplicateExtension { extension } => {
                write!(f, "extension {extension:#06x} appears more than once")
            }
            DecodeErrorKind::ExtensionNotAllowed { extension } => {
                write!(
                    f,
                    "extension {extension:#06x} is not allowed in this message"
                )
            }
            DecodeErrorKind::InvalidValue { value } => write!(f, "invalid value {value:#x}"),
            DecodeErrorKind::WrongLength { length, expected } => {
                write!(f, "length {length} where exactly {expected} are needed")
            }
            DecodeErrorKind::RepeatedEntry { value } => {
                write!(f, "value {value:#x} appears more than once")
            }
            DecodeErrorKind::PskNotLast => {
                write!(f, "pre_shared_key must be the last extension")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// A bounds-checked cursor over received bytes.
///
/// `offset` is the absolute offset of the next unread byte within the outermost
/// message, so nested readers report offsets a person can find in a hex dump of the
/// whole message.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    /// The bytes not read yet.
    rest: &'a [u8],
    offset: usize,
    message: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`; `message` names what is being decoded (e.g. "ClientHello").
    pub fn new(buf: &'a [u8], message: &'static str) -> Self {
        Reader {
            rest: buf,
            offset: 0,
            message,
        }
    }

    /// The message name used in errors.
    pub fn message(&self) -> &'static str {
        self.message
    }

    /// Absolute offset of the next unread byte.
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }

    #[inline]
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// An error located at the current offset.
    pub fn error(&self, field: &'static str, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            message: self.message,
            field,
            offset: self.offset(),
            kind,
        }
    }

    /// Takes exactly `n` bytes.
    #[inline]
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let Some((bytes, rest)) = self.rest.split_at_checked(n) else {
            return Err(self.truncated(field, n));
        };
        self.rest = rest;
        self.offset += n;
        Ok(bytes)
    }

    /// The error for a field of `needed` bytes that runs past the end. Out of line:
    /// the reads above stay small enough to inline into every decoder.
    #[cold]
    #[inline(never)]
    fn truncated(&self, field: &'static str, needed: usize) -> DecodeError {
        let available = self.remaining();
        self.error(field, DecodeErrorKind::Truncated { needed, available })
    }

    /// Takes exactly `N` bytes as an array.
    #[inline]
    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let Some((bytes, rest)) = self.rest.split_first_chunk::<N>() else {
            return Err(self.truncated(field, N));
        };
        self.rest = rest;
        self.offset += N;
        Ok(*bytes)
    }

    /// Takes everything that is left.
    pub fn rest(&mut self) -> &'a [u8] {
        self.offset += self.rest.len();
        core::mem::take(&mut self.rest)
    }

    #[inline]
    pub fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array(field)?))
    }

    #[inline]
    pub fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    #[inline]
    pub fn u24(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let [a, b, c] = self.array(field)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    #[inline]
    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    #[inline]
    pub fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// A `opaque field<0..2^8-1>` vector.
    #[inline]
    pub fn vec_u8(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let n = self.u8(field)? as usize;
        self.take(n, field)
    }

    /// A `opaque field<0..2^16-1>` vector.
    #[inline]
    pub fn vec_u16(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let n = self.u16(field)? as usize;
        self.take(n, field)
    }

    /// A `opaque field<0..2^24-1>` vector.
    #[inline]
    pub fn vec_u24(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let n = self.u24(field)? as usize;
        self.take(n, field)
    }

    #[inline]
    fn sub(&mut self, len: usize, field: &'static str) -> Result<Self, DecodeError> {
        let offset = self.offset;
        let rest = self.take(len, field)?;
        Ok(Reader {
            rest,
            offset,
            message: self.message,
        })
    }

    /// A nested reader over a u8-length-prefixed body.
    #[inline]
    pub fn sub_u8(&mut self, field: &'static str) -> Result<Self, DecodeError> {
        let n = self.u8(field)? as usize;
        self.sub(n, field)
    }

    /// A nested reader over a u16-length-prefixed body.
    #[inline]
    pub fn sub_u16(&mut self, field: &'static str) -> Result<Self, DecodeError> {
        let n = self.u16(field)? as usize;
        self.sub(n, field)
    }

    /// A nested reader over a u24-length-prefixed body.
    #[inline]
    pub fn sub_u24(&mut self, field: &'static str) -> Result<Self, DecodeError> {
        let n = self.u24(field)? as usize;
        self.sub(n, field)
    }

    /// A nested reader over the next `n` bytes.
    pub fn sub_n(&mut self, n: usize, field: &'static str) -> Result<Self, DecodeError> {
        self.sub(n, field)
    }

    /// Fails with `TrailingBytes` unless everything was consumed.
    pub fn expect_empty(&self, field: &'static str) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(self.error(field, DecodeErrorKind::TrailingBytes { count })),
        }
    }

    /// Fails with `Empty` if nothing remains (for `<1..2^n-1>` vectors).
    pub fn expect_nonempty(&self, field: &'static str) -> Result<(), DecodeError> {
        if self.is_empty() {
            Err(self.error(field, DecodeErrorKind::Empty))
        } else {
            Ok(())
        }
    }
}

pub fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_u24(out: &mut Vec<u8>, v: u32) {
    debug_assert!(v < 1 << 24);
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn with_len(out: &mut Vec<u8>, width: usize, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.resize(at + width, 0);
    body(out);
    let len = out.len() - at - width;
    // Our own encoder produced an over-long vector: a programming error, never peer data.
    assert!(
        width == 4 || len < 1usize << (8 * width),
        "encoded vector of {len} bytes does not fit a {width}-byte length"
    );
    let be = (len as u32).to_be_bytes();
    let (prefix, value) = (
        out.iter_mut().skip(at).take(width),
        be.iter().skip(4 - width),
    );
    prefix.zip(value).for_each(|(dst, src)| *dst = *src);
}

/// Writes a u8 length prefix for whatever `body` writes.
pub fn with_u8_len(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    with_len(out, 1, body)
}

/// Writes a u16 length prefix for whatever `body` writes.
pub fn with_u16_len(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    with_len(out, 2, body)
}

/// Writes a u24 length prefix for whatever `body` writes.
pub fn with_u24_len(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    with_len(out, 3, body)
}

/// Writes `bytes` with a u8 length prefix.
pub fn put_vec_u8(out: &mut Vec<u8>, bytes: &[u8]) {
    with_u8_len(out, |o| o.extend_from_slice(bytes))
}

/// Writes `bytes` with a u16 length prefix.
pub fn put_vec_u16(out: &mut Vec<u8>, bytes: &[u8]) {
    with_u16_len(out, |o| o.extend_from_slice(bytes))
}

/// Writes `bytes` with a u24 length prefix.
pub fn put_vec_u24(out: &mut Vec<u8>, bytes: &[u8]) {
    with_u24_len(out, |o| o.extend_from_slice(bytes))
}

/// A wire type that can be written and read back exactly.
pub trait Codec: Sized {
    fn encode(&self, out: &mut Vec<u8>);
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;

    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_offsets_are_absolute() {
        let data = [0x00, 0x02, 0x01, 0x02];
        let mut r = Reader::new(&data, "Test");
        let mut inner = r.sub_u16("outer").unwrap();
        assert_eq!(inner.u8("a").unwrap(), 1);
        let err = inner.u16("b").unwrap_err();
        assert_eq!(err.offset, 3);
        assert_eq!(
            err.to_string(),
            "malformed Test: field b at byte 3: needs 2 byte(s) but only 1 remain (message cut short)"
        );
    }

    #[test]
    fn length_prefixes_round_trip() {
        let mut out = Vec::new();
        with_u24_len(&mut out, |o| {
            put_vec_u8(o, b"ab");
            put_vec_u16(o, b"c");
        });
        assert_eq!(out, [0, 0, 6, 2, b'a', b'b', 0, 1, b'c']);
        let mut r = Reader::new(&out, "Test");
        let mut body = r.sub_u24("body").unwrap();
        assert_eq!(body.vec_u8("x").unwrap(), b"ab");
        assert_eq!(body.vec_u16("y").unwrap(), b"c");
        body.expect_empty("body").unwrap();
        r.expect_empty("end").unwrap();
    }

    #[test]
    fn trailing_and_empty_errors_say_so() {
        let r = Reader::new(&[1, 2], "Finished");
        assert_eq!(
            r.expect_empty("verify_data").unwrap_err().to_string(),
            "malformed Finished: field verify_data at byte 0: 2 unexpected byte(s) after the end"
        );
        let r = Reader::new(&[], "ClientHello");
        assert_eq!(
            r.expect_nonempty("cipher_suites").unwrap_err().to_string(),
            "malformed ClientHello: field cipher_suites at byte 0: must not be empty"
        );
    }
}
