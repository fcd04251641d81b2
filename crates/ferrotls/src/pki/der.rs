//! A minimal strict DER TLV reader for the few structures x509-parser does not
//! expose raw (signature AlgorithmIdentifiers, signed parts) or does not parse at
//! all (OCSP responses, RFC 6960). Single-byte tags only; lengths must be minimal.

/// One DER element: its tag byte, its contents and the whole encoding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OID: u8 = 0x06;
pub(crate) const ENUMERATED: u8 = 0x0a;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;

/// Reads one element from the front of `input`.
pub(crate) fn read(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = rest.get(..n)?;
        if bytes.first() == Some(&0) {
            return None;
        }
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        if len < 0x80 {
            return None;
        }
        (len, rest.get(n..)?)
    };
    let content = rest.get(..len)?;
    let header = input.len() - rest.len();
    let raw = input.get(..header + len)?;
    Some((Tlv { tag, content, raw }, rest.get(len..)?))
}

/// Exactly one element filling `input`.
pub(crate) fn read_all(input: &[u8]) -> Option<Tlv<'_>> {
    match read(input)? {
        (tlv, []) => Some(tlv),
        _ => None,
    }
}

/// All consecutive elements of `content`.
pub(crate) fn items(mut content: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tlv, rest) = read(content)?;
        out.push(tlv);
        content = rest;
    }
    Some(out)
}

/// For a signed structure `SEQUENCE { tbs, signatureAlgorithm, signature, ... }`
/// (certificate, CRL, BasicOCSPResponse): the raw tbs, the raw algorithm and the
/// signature bits (unused-bits octet must be zero).
pub(crate) fn signed_parts(der: &[u8]) -> Option<(Tlv<'_>, Tlv<'_>, &[u8])> {
    let outer = read_all(der).filter(|t| t.tag == SEQUENCE)?;
    let (tbs, rest) = read(outer.content)?;
    let (alg, rest) = read(rest)?;
    let (sig, mut rest) = read(rest)?;
    if tbs.tag != SEQUENCE || alg.tag != SEQUENCE || sig.tag != BIT_STRING {
        return None;
    }
    // Whatever follows must still be well-formed elements.
    while !rest.is_empty() {
        rest = read(rest)?.1;
    }
    let (&unused, bits) = sig.content.split_first()?;
    if unused != 0 {
        return None;
    }
    Some((tbs, alg, bits))
}

/// The `signature` AlgorithmIdentifier inside a TBSCertificate (after the
/// optional [0] version and the serial number); every field must be well-formed.
pub(crate) fn tbs_signature_alg(tbs: &[u8]) -> Option<&[u8]> {
    let (first, rest) = read(tbs)?;
    let rest = if first.tag == 0xa0 {
        read(rest)?.1
    } else {
        rest
    };
    let (alg, mut rest) = read(rest)?;
    while !rest.is_empty() {
        rest = read(rest)?.1;
    }
    (alg.tag == SEQUENCE).then_some(alg.raw)
}

/// GeneralizedTime `YYYYMMDDHHMMSSZ` (RFC 5280, 4.1.2.5.2) as Unix seconds.
pub(crate) fn generalized_time(content: &[u8]) -> Option<i64> {
    let s = core::str::from_utf8(content).ok()?;
    let s = s.strip_suffix('Z')?;
    if s.len() != 14 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = format!(
        "{}-{}-{}T{}:{}:{}Z",
        s.get(0..4)?,
        s.get(4..6)?,
        s.get(6..8)?,
        s.get(8..10)?,
        s.get(10..12)?,
        s.get(12..14)?
    );
    crate::time::parse_time(&t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_lengths() {
        assert!(read(&[0x04, 0x01, 0xaa]).is_some());
        assert!(
            read(&[0x04, 0x81, 0x01, 0xaa]).is_none(),
            "non-minimal length"
        );
        assert!(read(&[0x04, 0x02, 0xaa]).is_none(), "truncated");
        assert!(read_all(&[0x04, 0x00, 0x00]).is_none(), "trailing data");
        assert_eq!(generalized_time(b"20260301000000Z"), Some(1_772_323_200));
        assert_eq!(generalized_time(b"20260301000000"), None);
    }
}
