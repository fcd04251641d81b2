//! Proof tokens (see STYLE.md, "Checks that must not be skipped produce tokens"),
//! for both versions: values that only the checks below can make, held by the
//! states after those checks, so a handshake cannot reach the peer's Finished
//! without them. This module has no children: nothing else can build one.

use crate::crypto::{constant_time_eq, sign};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::SignatureScheme;

/// The peer's signature (a TLS 1.3 or 1.2 CertificateVerify, a TLS 1.2
/// ServerKeyExchange) checked out with the key of a chain its verifier accepted
/// (`chain`, the verifier's own token). Only [`check_signature`] makes one.
#[derive(Debug)]
pub(crate) struct SignatureChecked<T> {
    /// Held, not read: its existence is the proof.
    _chain: T,
    scheme: SignatureScheme,
}

impl<T> SignatureChecked<T> {
    /// The scheme the peer signed with.
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// Checks the peer's `signature` over `message` with `spki`, the key of the
/// chain `chain` proves verified; a bad signature is the error `bad`.
pub(crate) fn check_signature<T>(
    chain: T,
    scheme: SignatureScheme,
    spki: &[u8],
    message: &[u8],
    signature: &[u8],
    bad: PeerMisbehaved,
) -> Result<SignatureChecked<T>, Error> {
    sign::verify_signature(scheme, spki, message, signature).map_err(|_| bad)?;
    Ok(SignatureChecked {
        _chain: chain,
        scheme,
    })
}

/// The client's PSK binder (RFC 8446, 4.2.11.2) checked out: the client holds
/// the PSK. Only [`check_psk_binder`] makes one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PskBinderChecked(());

/// RFC 8446, 4.2.11.2: compares the binder the client sent with the one we
/// computed, in constant time; a mismatch is decrypt_error.
pub(crate) fn check_psk_binder(expected: &[u8], got: &[u8]) -> Result<PskBinderChecked, Error> {
    if !constant_time_eq(expected, got) {
        return Err(PeerMisbehaved::BadPskBinder.into());
    }
    Ok(PskBinderChecked(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binder_token_only_for_the_matching_binder() {
        assert!(check_psk_binder(&[7; 32], &[7; 32]).is_ok());
        for got in [&[7u8; 31][..], &[8; 32][..], &[][..]] {
            match check_psk_binder(&[7; 32], got) {
                Err(Error::PeerMisbehaved(PeerMisbehaved::BadPskBinder)) => {}
                other => panic!("binder {got:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_signature_token_only_for_a_signature_that_verifies() {
        let bad = PeerMisbehaved::BadCertificateVerify {
            scheme: SignatureScheme::ED25519,
        };
        // Not a SubjectPublicKeyInfo, so nothing verifies: the caller's error.
        match check_signature((), SignatureScheme::ED25519, b"no key", b"m", &[0; 64], bad) {
            Err(Error::PeerMisbehaved(PeerMisbehaved::BadCertificateVerify { scheme })) => {
                assert_eq!(scheme, SignatureScheme::ED25519)
            }
            other => panic!("{other:?}"),
        }
    }
}
