//! Just enough DER (X.690) to take a certificate apart and put it back together:
//! `cert show` reads the raw signature AlgorithmIdentifier, and the broken-certificate
//! minter re-signs a TBSCertificate and writes RSA keys.

/// One TLV: its tag, its content, and the whole encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

pub const SEQUENCE: u8 = 0x30;
pub const INTEGER: u8 = 0x02;
pub const OCTET_STRING: u8 = 0x04;
pub const BIT_STRING: u8 = 0x03;
pub const NULL: u8 = 0x05;
pub const OID: u8 = 0x06;

/// Reads the TLV at the start of `input`; returns it and the rest. Single-byte
/// tags and definite lengths only (DER).
pub fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let (len_bytes, rest) = rest.split_at(n);
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
        (len, rest)
    };
    if rest.len() < len {
        return None;
    }
    let (content, rest) = rest.split_at(len);
    let header = input.len() - rest.len() - len;
    Some((
        Tlv {
            tag,
            content,
            raw: &input[..header + len],
        },
        rest,
    ))
}

/// The TLVs inside a constructed value's content.
pub fn children(content: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    let mut rest = content;
    while !rest.is_empty() {
        let (tlv, r) = read(rest)?;
        out.push(tlv);
        rest = r;
    }
    Some(out)
}

/// Encodes a TLV.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already-encoded elements.
pub fn sequence(elements: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, &elements.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes.
pub fn unsigned_integer(magnitude: &[u8]) -> Vec<u8> {
    let trimmed: &[u8] = match magnitude.iter().position(|b| *b != 0) {
        Some(i) => &magnitude[i..],
        None => &[0],
    };
    let mut content = Vec::with_capacity(trimmed.len() + 1);
    if trimmed[0] & 0x80 != 0 {
        content.push(0);
    }
    content.extend_from_slice(trimmed);
    tlv(INTEGER, &content)
}

/// A BIT STRING with no unused bits.
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut content = vec![0];
    content.extend_from_slice(bytes);
    tlv(BIT_STRING, &content)
}

/// The three parts of a Certificate (RFC 5280, 4.1): tbsCertificate,
/// signatureAlgorithm and signatureValue.
pub fn certificate_parts(der: &[u8]) -> Option<[Tlv<'_>; 3]> {
    let (cert, rest) = read(der)?;
    if cert.tag != SEQUENCE || !rest.is_empty() {
        return None;
    }
    match children(cert.content)?.as_slice() {
        [tbs, alg, sig] => Some([*tbs, *alg, *sig]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_long_lengths() {
        let content = vec![7u8; 300];
        let enc = tlv(OCTET_STRING, &content);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (t, rest) = read(&enc).unwrap();
        assert!(rest.is_empty());
        assert_eq!(t.content, &content[..]);
        assert_eq!(t.raw, &enc[..]);
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(unsigned_integer(&[0, 0, 0x7f]), vec![2, 1, 0x7f]);
        assert_eq!(unsigned_integer(&[0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(unsigned_integer(&[]), vec![2, 1, 0]);
    }

    #[test]
    fn truncated_input_is_refused() {
        assert!(read(&[0x30, 0x05, 1, 2]).is_none());
        assert!(read(&[0x30, 0x81]).is_none());
    }
}
