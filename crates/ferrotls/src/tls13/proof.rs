//! Proof tokens (see STYLE.md, "Checks that must not be skipped produce tokens"):
//! values that only the checks below can make, held by the states that come
//! after those checks, so a handshake cannot reach the peer's Finished without
//! them. This module has no children: nothing else can build one.

use crate::crypto::{constant_time_eq, sign};
use crate::error::{Error, PeerMisbehaved};
use crate::msgs::enums::SignatureScheme;
use crate::msgs::CertificateVerify;
use crate::tls13::{certificate_verify_message, Transcript};

/// The peer's CertificateVerify (RFC 8446, 4.4.3) checked out with the key of a
/// chain its verifier accepted (`chain`, the verifier's own token). Only
/// [`check_certificate_verify`] makes one.
#[derive(Debug)]
pub(crate) struct CertificateVerified<T> {
    /// Held, not read: its existence is the proof.
    _chain: T,
    scheme: SignatureScheme,
}

impl<T> CertificateVerified<T> {
    /// The scheme the peer signed with.
    pub fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// RFC 8446, 4.4.3: checks the peer's CertificateVerify `cv` over `transcript`
/// (through the peer's Certificate) with `spki`, the key of the chain `chain`
/// proves verified; `from_server` picks the context string. The scheme must be
/// one we offered.
pub(crate) fn check_certificate_verify<T>(
    chain: T,
    from_server: bool,
    transcript: &Transcript,
    spki: &[u8],
    cv: &CertificateVerify,
) -> Result<CertificateVerified<T>, Error> {
    if !sign::tls13_verify_schemes().contains(&cv.scheme) {
        return Err(PeerMisbehaved::SelectedUnoffered {
            what: "signature scheme",
            value: cv.scheme.to_string(),
        }
        .into());
    }
    let message = certificate_verify_message(from_server, transcript.current().as_ref());
    sign::verify_signature(cv.scheme, spki, &message, &cv.signature)
        .map_err(|_| PeerMisbehaved::BadCertificateVerify { scheme: cv.scheme })?;
    Ok(CertificateVerified {
        _chain: chain,
        scheme: cv.scheme,
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
