//! When a chain has several problems, which one a person must fix first.
//!
//! The order is the one troubleshooting follows: a chain that is not trusted is
//! fixed before anything else matters (self-signed, unknown CA, distrusted CA,
//! missing intermediate); then the validity period (often the clock); then the
//! name; then revocation; then weak algorithms or keys; then constraint
//! violations; last the encoding rules. [`compose`] sorts what a verification
//! found into one [`CertificateError`]: the first problem, and every other one
//! after it ([`CertificateError::Several`]).

use core::fmt;

use crate::error::CertificateError;

/// The classes of certificate problems, in the order they are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Precedence {
    /// The chain does not lead to a trusted root: self-signed, unknown or
    /// distrusted CA, a missing intermediate, a signature that does not verify.
    NotTrusted,
    /// Expired or not yet valid.
    Validity,
    /// The certificate does not name the host.
    Name,
    /// Revoked, or revocation data that cannot be used or is missing.
    Revocation,
    /// A weak or unsupported signature algorithm or key.
    Weak,
    /// basicConstraints, path length, name constraints, key usage, EKU, a CA as the
    /// leaf, unknown critical extensions.
    Constraint,
    /// Encoding rules of RFC 5280 and the CA/Browser Forum profile.
    Encoding,
}

impl Precedence {
    /// A stable name for machines (`verify --json`).
    pub fn as_str(self) -> &'static str {
        match self {
            Precedence::NotTrusted => "not_trusted",
            Precedence::Validity => "validity",
            Precedence::Name => "name",
            Precedence::Revocation => "revocation",
            Precedence::Weak => "weak",
            Precedence::Constraint => "constraint",
            Precedence::Encoding => "encoding",
        }
    }
}

impl fmt::Display for Precedence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CertificateError {
    /// Where this problem stands in the reporting order. Several rejected paths
    /// rank as the most urgent among them.
    pub fn precedence(&self) -> Precedence {
        use CertificateError as C;
        use Precedence as P;
        match self {
            C::NotPinned { .. }
            | C::DeferredVerifierCannotWait { .. }
            | C::UnknownIssuer { .. }
            | C::SelfSigned { .. }
            | C::UntrustedRoot { .. }
            | C::Distrusted { .. }
            | C::BadSignature { .. }
            | C::TooComplex { .. }
            | C::PathTooLong { .. } => P::NotTrusted,
            C::NoValidPath { attempts, .. } => attempts
                .iter()
                .map(|a| a.error.precedence())
                .min()
                .unwrap_or(P::NotTrusted),
            C::Several { first, .. } => first.precedence(),
            C::Expired { .. } | C::NotYetValid { .. } => P::Validity,
            C::NameMismatch { .. } => P::Name,
            C::Revoked { .. }
            | C::BadCrl { .. }
            | C::BadOcspResponse { .. }
            | C::MustStapleMissing { .. } => P::Revocation,
            C::WeakSignature { .. }
            | C::UnsupportedSignature { .. }
            | C::WeakKey { .. }
            | C::UnsupportedPublicKey { .. }
            | C::UnsupportedKey { .. } => P::Weak,
            C::NotCa { .. }
            | C::PathLenExceeded { .. }
            | C::NameConstraintViolation { .. }
            | C::WrongPurpose { .. }
            | C::CaUsedAsEndEntity { .. }
            | C::UnknownCriticalExtension { .. } => P::Constraint,
            C::Empty
            | C::BadEncoding { .. }
            | C::InvalidExtension { .. }
            | C::Nonconforming { .. }
            | C::CommonNameNotInSan { .. } => P::Encoding,
        }
    }

    /// A stable snake_case name of the problem for machines (`verify --json`).
    pub fn kind(&self) -> &'static str {
        use CertificateError as C;
        match self {
            C::Empty => "empty",
            C::BadEncoding { .. } => "bad_encoding",
            C::NotPinned { .. } => "not_pinned",
            C::DeferredVerifierCannotWait { .. } => "deferred_verifier_cannot_wait",
            C::UnsupportedKey { .. } => "unsupported_key",
            C::Expired { .. } => "expired",
            C::NotYetValid { .. } => "not_yet_valid",
            C::NameMismatch { .. } => "name_mismatch",
            C::UnknownIssuer { .. } => "unknown_issuer",
            C::SelfSigned { .. } => "self_signed",
            C::UntrustedRoot { .. } => "untrusted_root",
            C::Distrusted { .. } => "distrusted",
            C::Revoked { .. } => "revoked",
            C::BadSignature { .. } => "bad_signature",
            C::WeakSignature { .. } => "weak_signature",
            C::UnsupportedSignature { .. } => "unsupported_signature",
            C::WeakKey { .. } => "weak_key",
            C::UnsupportedPublicKey { .. } => "unsupported_public_key",
            C::NotCa { .. } => "not_ca",
            C::PathLenExceeded { .. } => "path_len_exceeded",
            C::PathTooLong { .. } => "path_too_long",
            C::NameConstraintViolation { .. } => "name_constraint_violation",
            C::WrongPurpose { .. } => "wrong_purpose",
            C::UnknownCriticalExtension { .. } => "unknown_critical_extension",
            C::InvalidExtension { .. } => "invalid_extension",
            C::Nonconforming { .. } => "nonconforming",
            C::TooComplex { .. } => "too_complex",
            C::NoValidPath { .. } => "no_valid_path",
            C::BadCrl { .. } => "bad_crl",
            C::BadOcspResponse { .. } => "bad_ocsp_response",
            C::MustStapleMissing { .. } => "must_staple_missing",
            C::CaUsedAsEndEntity { .. } => "ca_used_as_end_entity",
            C::CommonNameNotInSan { .. } => "common_name_not_in_san",
            C::Several { first, .. } => first.kind(),
        }
    }

    /// The certificate the problem is about, as messages name it, where one is.
    pub fn certificate(&self) -> Option<&str> {
        use CertificateError as C;
        match self {
            C::NotPinned { subject }
            | C::Expired { subject, .. }
            | C::NotYetValid { subject, .. }
            | C::UnknownIssuer { subject, .. }
            | C::SelfSigned { subject }
            | C::UntrustedRoot { subject, .. }
            | C::Distrusted { subject, .. }
            | C::Revoked { subject, .. }
            | C::BadSignature { subject, .. }
            | C::WeakSignature { subject, .. }
            | C::UnsupportedSignature { subject, .. }
            | C::WeakKey { subject, .. }
            | C::UnsupportedPublicKey { subject, .. }
            | C::NotCa { subject, .. }
            | C::PathTooLong { subject, .. }
            | C::NameConstraintViolation { subject, .. }
            | C::WrongPurpose { subject, .. }
            | C::UnknownCriticalExtension { subject, .. }
            | C::InvalidExtension { subject, .. }
            | C::Nonconforming { subject, .. }
            | C::TooComplex { subject, .. }
            | C::NoValidPath { subject, .. }
            | C::BadOcspResponse { subject, .. }
            | C::MustStapleMissing { subject }
            | C::CaUsedAsEndEntity { subject, .. }
            | C::CommonNameNotInSan { subject, .. } => Some(subject),
            C::PathLenExceeded { ca, .. } => Some(ca),
            C::BadCrl { issuer, .. } => Some(issuer),
            C::Several { first, .. } => first.certificate(),
            C::Empty
            | C::BadEncoding { .. }
            | C::DeferredVerifierCannotWait { .. }
            | C::UnsupportedKey { .. }
            | C::NameMismatch { .. } => None,
        }
    }

    /// Every problem this error reports, in reporting order: the error itself, or
    /// the first and each further one of [`CertificateError::Several`].
    pub fn problems(&self) -> Vec<&CertificateError> {
        match self {
            CertificateError::Several { first, also } => {
                core::iter::once(first.as_ref()).chain(also).collect()
            }
            other => vec![other],
        }
    }

    /// The problem to fix first (the error itself unless it lists several).
    pub fn primary(&self) -> &CertificateError {
        match self {
            CertificateError::Several { first, .. } => first,
            other => other,
        }
    }
}

/// One error for everything found: `None` for nothing, the problem itself for one,
/// otherwise [`CertificateError::Several`] in precedence order (stable within a
/// class, so the order of discovery breaks ties), each problem once.
pub fn compose(found: Vec<CertificateError>) -> Option<CertificateError> {
    let mut flat: Vec<CertificateError> = Vec::with_capacity(found.len());
    for e in found {
        match e {
            CertificateError::Several { first, also } => {
                for p in core::iter::once(*first).chain(also) {
                    if !flat.contains(&p) {
                        flat.push(p);
                    }
                }
            }
            p if !flat.contains(&p) => flat.push(p),
            _ => {}
        }
    }
    flat.sort_by_key(CertificateError::precedence);
    let mut it = flat.into_iter();
    let first = it.next()?;
    let also: Vec<CertificateError> = it.collect();
    Some(match also.is_empty() {
        true => first,
        false => CertificateError::Several {
            first: Box::new(first),
            also,
        },
    })
}
