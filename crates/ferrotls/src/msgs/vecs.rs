//! Vector helpers shared by the message codecs (RFC 8446, 3.4: `T name<floor..ceiling>`).
//!
//! Each reader takes a nested `Reader` that spans exactly the vector's body, so a
//! vector can never read past its own length prefix.

use crate::codec::{with_u16_len, with_u8_len, Codec, DecodeError, DecodeErrorKind, Reader};

/// Reads elements with `item` until the vector's body is used up; `non_empty`
/// enforces a `<1..>`-style floor.
pub(crate) fn items<'a, T>(
    mut r: Reader<'a>,
    field: &'static str,
    non_empty: bool,
    mut item: impl FnMut(&mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    if non_empty {
        r.expect_nonempty(field)?;
    }
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(item(&mut r)?);
    }
    Ok(out)
}

/// A vector of `size`-byte values (e.g. `NamedGroup named_group_list<2..2^16-1>`):
/// its length must be a multiple of `size`.
pub(crate) fn fixed<T: Codec>(
    mut r: Reader<'_>,
    field: &'static str,
    size: usize,
    non_empty: bool,
) -> Result<Vec<T>, DecodeError> {
    let length = r.remaining();
    if !length.is_multiple_of(size) {
        return Err(r.error(
            field,
            DecodeErrorKind::BadVectorLength {
                length,
                element_size: size,
            },
        ));
    }
    if non_empty {
        r.expect_nonempty(field)?;
    }
    // The count is known: one allocation of the right size, never regrown.
    let mut out = Vec::with_capacity(length.checked_div(size).unwrap_or_default());
    while !r.is_empty() {
        out.push(T::read(&mut r)?);
    }
    Ok(out)
}

/// The body of an opaque vector with a floor (e.g. `opaque cookie<1..2^16-1>`).
pub(crate) fn opaque(
    mut r: Reader<'_>,
    field: &'static str,
    min: usize,
) -> Result<Vec<u8>, DecodeError> {
    match r.remaining() {
        0 if min > 0 => Err(r.error(field, DecodeErrorKind::Empty)),
        length if length < min => Err(r.error(field, DecodeErrorKind::TooShort { length, min })),
        _ => Ok(r.rest().to_vec()),
    }
}

/// Writes `items` as a vector with a u8 length prefix.
pub(crate) fn put_u8_list<T: Codec>(out: &mut Vec<u8>, items: &[T]) {
    with_u8_len(out, |o| items.iter().for_each(|i| i.encode(o)));
}

/// Writes `items` as a vector with a u16 length prefix.
pub(crate) fn put_u16_list<T: Codec>(out: &mut Vec<u8>, items: &[T]) {
    with_u16_len(out, |o| items.iter().for_each(|i| i.encode(o)));
}
