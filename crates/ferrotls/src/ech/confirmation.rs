//! The acceptance signals (sections 7.2 and 7.2.1) in ServerHello.random and
//! in the HelloRetryRequest.

use crate::crypto::{hkdf_extract, HashAlgorithm};
use crate::tls13::key_schedule::hkdf_expand_label;

/// Section 7.2: accept_confirmation, the last 8 bytes of ServerHello.random when the
/// backend server accepted ECH. `transcript_hash` is the hash (with `hash`) of
/// ClientHelloInner .. ServerHello with those 8 bytes zeroed (a hash output: at
/// most 255 bytes, as HKDF-Expand-Label requires).
pub fn accept_confirmation(
    hash: HashAlgorithm,
    inner_random: &[u8; 32],
    transcript_hash: &[u8],
) -> [u8; 8] {
    confirmation(
        hash,
        inner_random,
        b"ech accept confirmation",
        transcript_hash,
    )
}

/// Section 7.2.1: hrr_accept_confirmation, the body of the encrypted_client_hello
/// extension in a HelloRetryRequest. `transcript_hash` covers ClientHelloInner1 ..
/// HelloRetryRequest with that body zeroed.
pub fn hrr_accept_confirmation(
    hash: HashAlgorithm,
    inner_random: &[u8; 32],
    transcript_hash: &[u8],
) -> [u8; 8] {
    confirmation(
        hash,
        inner_random,
        b"hrr ech accept confirmation",
        transcript_hash,
    )
}

/// HKDF-Expand-Label(HKDF-Extract(0, ClientHelloInner.random), label,
/// transcript_hash, 8), where 0 is Hash.length zero bytes.
fn confirmation(
    hash: HashAlgorithm,
    inner_random: &[u8; 32],
    label: &[u8],
    transcript_hash: &[u8],
) -> [u8; 8] {
    let zeros = [0u8; 64];
    let salt = zeros.get(..hash.output_len()).unwrap_or(&zeros);
    let prk = hkdf_extract(hash, salt, inner_random);
    let okm = hkdf_expand_label(hash, prk.as_bytes(), label, transcript_hash, 8);
    let mut out = [0u8; 8];
    out.iter_mut()
        .zip(okm.as_bytes())
        .for_each(|(o, b)| *o = *b);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sections 7.2 and 7.2.1 against HKDF computed by hand (RFC 8446, 7.1).
    #[test]
    fn accept_confirmations() {
        let random = [0x5c; 32];
        for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384] {
            let transcript = crate::crypto::hash(hash, b"ClientHelloInner .. ServerHello");
            let by_hand = |label: &[u8]| -> Vec<u8> {
                let prk = crate::crypto::hmac(hash, &vec![0u8; hash.output_len()], &random);
                let mut info = vec![0, 8];
                let full = [&b"tls13 "[..], label].concat();
                info.push(full.len() as u8);
                info.extend(&full);
                info.push(transcript.as_ref().len() as u8);
                info.extend(transcript.as_ref());
                // HKDF-Expand for 8 bytes: T(1) = HMAC(PRK, info || 0x01).
                info.push(1);
                crate::crypto::hmac(hash, prk.as_ref(), &info).as_ref()[..8].to_vec()
            };
            let ch = accept_confirmation(hash, &random, transcript.as_ref());
            let hrr = hrr_accept_confirmation(hash, &random, transcript.as_ref());
            assert_eq!(ch.to_vec(), by_hand(b"ech accept confirmation"));
            assert_eq!(hrr.to_vec(), by_hand(b"hrr ech accept confirmation"));
            assert_ne!(ch, hrr);
            assert_ne!(
                ch,
                accept_confirmation(hash, &[0x5d; 32], transcript.as_ref())
            );
        }
    }
}
