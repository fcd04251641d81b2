//! Helpers shared by the library's unit tests: hex test vectors, hand-built DER,
//! test certificates and deterministic randomness for mutation loops.
//!
//! Connection pairs live with the integration tests (`tests/pair`); the unit tests
//! of this crate drive single layers and need none.

/// Decodes a hex string; whitespace (line breaks in long vectors) is ignored.
pub(crate) fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A DER TLV with a short or long-form length (contents up to 64 KiB).
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend([0x81, len as u8]);
    } else {
        out.extend([0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// A fresh `alg` key and a self-signed certificate for `names` (rcgen's defaults
/// otherwise: CN "rcgen self signed cert", not a CA).
pub(crate) fn self_signed(
    alg: &'static rcgen::SignatureAlgorithm,
    names: &[&str],
) -> (rcgen::Certificate, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let names = names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let cert = rcgen::CertificateParams::new(names)
        .unwrap()
        .self_signed(&key)
        .unwrap();
    (cert, key)
}

/// xorshift64: deterministic, dependency-free randomness for mutation loops.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n` (which must not be 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// `bytes` with one to three random edits: a byte changed, the tail cut off, or
    /// a byte inserted.
    pub(crate) fn mutate(&mut self, mut bytes: Vec<u8>) -> Vec<u8> {
        for _ in 0..1 + self.below(3) {
            let at = self.below(bytes.len() + 1);
            match self.below(4) {
                0 | 1 if at < bytes.len() => bytes[at] = self.next() as u8,
                2 => bytes.truncate(at),
                _ => bytes.insert(at.min(bytes.len()), self.next() as u8),
            }
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unhex_ignores_whitespace() {
        assert_eq!(unhex("00 ff\n 10Ab"), [0x00, 0xff, 0x10, 0xab]);
        assert_eq!(unhex(""), Vec::<u8>::new());
    }

    #[test]
    fn tlv_lengths_are_minimal() {
        assert_eq!(tlv(0x04, &[1, 2]), [0x04, 2, 1, 2]);
        assert_eq!(tlv(0x04, &[0; 0x80])[..3], [0x04, 0x81, 0x80]);
        assert_eq!(tlv(0x04, &[0; 0x123])[..4], [0x04, 0x82, 0x01, 0x23]);
    }

    #[test]
    fn rng_is_deterministic_and_bounded() {
        let (mut a, mut b) = (Rng(7), Rng(7));
        for _ in 0..100 {
            assert_eq!(a.next(), b.next());
            assert!(a.below(5) < 5);
            b.below(5);
        }
    }
}
