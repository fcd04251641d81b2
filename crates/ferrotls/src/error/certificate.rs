//! Why a peer's certificate was rejected, and the alert each reason sends.

use core::fmt;

use super::list;
use crate::msgs::enums::AlertDescription;
use crate::time;

/// Why a peer's certificate was rejected. The PKI module adds the path-validation
/// variants; the TLS 1.3 core only needs these.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// The peer sent an empty certificate list.
    Empty,
    /// The end-entity certificate could not be parsed.
    BadEncoding { reason: String },
    /// The chain is not one of the certificates the configuration pins.
    NotPinned { subject: String },
    /// A deferred verifier (`ferrotls::pause`) was asked at a step that cannot pause
    /// for it (post-handshake authentication).
    DeferredVerifierCannotWait { from_client: bool },
    /// The certificate key is of a type we cannot use for the offered scheme.
    UnsupportedKey { detail: String },
    /// RFC 5280, 6.1.3 (a)(2): the verification time is after notAfter.
    Expired {
        role: CertRole,
        subject: String,
        not_after: i64,
        now: i64,
    },
    /// RFC 5280, 6.1.3 (a)(2): the verification time is before notBefore.
    NotYetValid {
        role: CertRole,
        subject: String,
        not_before: i64,
        now: i64,
    },
    /// No subjectAltName matches the name asked for (RFC 6125, 6; the CN is never used).
    NameMismatch {
        expected: String,
        presented: Vec<String>,
    },
    /// Neither the intermediates sent nor the trust store hold an issuer for `subject`.
    UnknownIssuer {
        role: CertRole,
        subject: String,
        issuer: String,
        intermediates_sent: usize,
        /// Whether the chain came from a client (client authentication) or a server.
        from_client: bool,
    },
    /// The end-entity certificate signs itself and is not trusted.
    SelfSigned { subject: String },
    /// The chain ends at a self-signed root that is not in the trust store.
    UntrustedRoot { subject: String, root: String },
    /// A trust anchor is distrusted for certificates issued after a date.
    Distrusted {
        subject: String,
        root: String,
        not_before: i64,
        distrust_after: i64,
        rule: String,
    },
    /// A CRL or the stapled OCSP response says the certificate is revoked.
    Revoked {
        subject: String,
        serial: String,
        revoked_at: i64,
        reason: Option<String>,
        source: String,
    },
    /// The signature on `subject` does not verify with `issuer`'s key.
    BadSignature { subject: String, issuer: String },
    /// Signed with SHA-1 or MD5.
    WeakSignature { subject: String, algorithm: String },
    /// Signed with an algorithm ferrotls does not verify.
    UnsupportedSignature { subject: String, algorithm: String },
    /// The certificate's key is too weak (RSA under 2048 bits, or not a whole number of bytes).
    WeakKey { subject: String, key: String },
    /// The certificate's key is of a type or curve ferrotls does not support.
    UnsupportedPublicKey { subject: String, key: String },
    /// A certificate used as an issuer is not a CA certificate (RFC 5280, 6.1.4 (k), (n)).
    NotCa {
        subject: String,
        reason: &'static str,
    },
    /// A CA's pathLenConstraint allows fewer intermediates below it (RFC 5280, 4.2.1.9).
    PathLenExceeded { ca: String, path_len: u32 },
    /// The chain needs more intermediates than the configured maximum.
    PathTooLong {
        subject: String,
        max_intermediates: usize,
    },
    /// A name in `subject` is outside the name constraints of CA `ca` (RFC 5280, 4.2.1.10).
    NameConstraintViolation {
        subject: String,
        name: String,
        ca: String,
        excluded: bool,
        constraints: Vec<String>,
    },
    /// extendedKeyUsage does not allow the purpose (RFC 5280, 4.2.1.12).
    WrongPurpose {
        role: CertRole,
        subject: String,
        required: &'static str,
        present: Vec<String>,
    },
    /// A critical extension we do not process (RFC 5280, 4.2).
    UnknownCriticalExtension { subject: String, oid: String },
    /// A known extension that is malformed or used against RFC 5280's rules.
    InvalidExtension {
        subject: String,
        extension: &'static str,
        reason: String,
    },
    /// A certificate field breaks an RFC 5280 rule (version, serial number, names).
    Nonconforming { subject: String, rule: String },
    /// Verification stopped at a work limit (a hostile or absurd chain).
    TooComplex {
        subject: String,
        what: &'static str,
        limit: usize,
    },
    /// Several candidate paths were tried; each was rejected for its own reason.
    NoValidPath {
        subject: String,
        attempts: Vec<RejectedPath>,
    },
    /// A CRL that applies to the chain could not be used.
    BadCrl { issuer: String, reason: String },
    /// The stapled OCSP response could not be used (RFC 6960).
    BadOcspResponse { subject: String, reason: String },
    /// The certificate demands a stapled OCSP response (RFC 7633) and none came.
    MustStapleMissing { subject: String },
    /// The end-entity certificate is a CA certificate (basicConstraints cA=TRUE).
    /// A CA certificate is never a server's or client's own (CA/Browser Forum BR
    /// 7.1.2.7.8; Firefox's MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY), not even
    /// when it is itself in the trust store.
    CaUsedAsEndEntity {
        subject: String,
        /// Whether the chain came from a client (client authentication) or a server.
        from_client: bool,
    },
    /// With `Policy::require_cn_in_san`: the subject commonName is not a
    /// character-for-character copy of a DNS or IP subjectAltName value (CA/Browser
    /// Forum BR 7.1.4.3).
    CommonNameNotInSan {
        subject: String,
        common_name: String,
        /// The DNS and IP subjectAltName values, "DNS:example.com".
        presented: Vec<String>,
        /// Why the CN is not a copy, e.g. "it differs from DNS:example.com only in
        /// letter case".
        reason: String,
    },
    /// Several problems with the chain: `first` is the one to fix first (see
    /// `pki::Precedence`), `also` every other one found, in order.
    Several {
        first: Box<CertificateError>,
        also: Vec<CertificateError>,
    },
}

/// Where a certificate sits in a chain, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertRole {
    EndEntity,
    Intermediate,
    TrustAnchor,
}

impl fmt::Display for CertRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertRole::EndEntity => "certificate",
            CertRole::Intermediate => "intermediate certificate",
            CertRole::TrustAnchor => "root certificate",
        })
    }
}

/// One candidate path and why it was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedPath {
    /// Subjects from the end entity up to where the path stopped.
    pub chain: Vec<String>,
    pub error: CertificateError,
}

impl CertificateError {
    /// The alert this failure sends (RFC 8446, 6.2). For several rejected paths,
    /// the first path's reason decides.
    pub fn alert(&self) -> AlertDescription {
        use AlertDescription as A;
        use CertificateError as C;
        match self {
            C::Empty => A::DecodeError,
            C::BadEncoding { .. }
            | C::BadSignature { .. }
            | C::WeakSignature { .. }
            | C::WeakKey { .. }
            | C::NotCa { .. }
            | C::PathLenExceeded { .. }
            | C::NameConstraintViolation { .. }
            | C::UnknownCriticalExtension { .. }
            | C::InvalidExtension { .. }
            | C::Nonconforming { .. }
            | C::CaUsedAsEndEntity { .. }
            | C::CommonNameNotInSan { .. }
            | C::NameMismatch { .. } => A::BadCertificate,
            C::NotPinned { .. }
            | C::UnknownIssuer { .. }
            | C::SelfSigned { .. }
            | C::UntrustedRoot { .. }
            | C::Distrusted { .. }
            | C::PathTooLong { .. } => A::UnknownCa,
            C::UnsupportedKey { .. }
            | C::UnsupportedSignature { .. }
            | C::UnsupportedPublicKey { .. }
            | C::WrongPurpose { .. } => A::UnsupportedCertificate,
            C::Expired { .. } | C::NotYetValid { .. } => A::CertificateExpired,
            C::Revoked { .. } => A::CertificateRevoked,
            C::TooComplex { .. } | C::BadCrl { .. } | C::DeferredVerifierCannotWait { .. } => {
                A::CertificateUnknown
            }
            C::BadOcspResponse { .. } | C::MustStapleMissing { .. } => {
                A::BadCertificateStatusResponse
            }
            C::NoValidPath { attempts, .. } => attempts
                .first()
                .map(|a| a.error.alert())
                .unwrap_or(A::CertificateUnknown),
            C::Several { first, .. } => first.alert(),
        }
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateError::Empty => write!(f, "peer sent an empty certificate chain"),
            CertificateError::BadEncoding { reason } => {
                write!(f, "peer's certificate could not be parsed: {reason}")
            }
            CertificateError::DeferredVerifierCannotWait { from_client } => write!(
                f,
                "the {} certificate was not verified: its verifier answers only when the handshake \
                 pauses for it (ferrotls::pause), and post-handshake authentication cannot pause yet; \
                 give ServerConfigBuilder::post_handshake_client_auth a synchronous verifier",
                if *from_client { "client's" } else { "server's" }
            ),
            CertificateError::NotPinned { subject } => write!(
                f,
                "certificate for {subject} is not one of the certificates this client was configured to trust"
            ),
            CertificateError::UnsupportedKey { detail } => {
                write!(f, "peer's certificate key cannot be used: {detail}")
            }
            CertificateError::Expired {
                role,
                subject,
                not_after,
                now,
            } => write!(
                f,
                "{role} for {subject} expired at {}; this machine's clock says {} ({} later). Renew it, or check the clock.",
                time::format_time(*not_after),
                time::format_time(*now),
                time::format_duration(now.saturating_sub(*not_after))
            ),
            CertificateError::NotYetValid {
                role,
                subject,
                not_before,
                now,
            } => write!(
                f,
                "{role} for {subject} is not valid until {}; this machine's clock says {} ({} earlier). Check the clock, or wait.",
                time::format_time(*not_before),
                time::format_time(*now),
                time::format_duration(not_before.saturating_sub(*now))
            ),
            CertificateError::NameMismatch {
                expected,
                presented,
            } => {
                if presented.is_empty() {
                    write!(
                        f,
                        "certificate is not valid for {expected}; it names no DNS or IP subject alternative names at all (the subject CN is not used for matching)"
                    )
                } else {
                    write!(
                        f,
                        "certificate is not valid for {expected}; it names {} (the subject CN is not used for matching)",
                        presented.join(", ")
                    )
                }
            }
            CertificateError::UnknownIssuer {
                role,
                subject,
                issuer,
                intermediates_sent,
                from_client,
            } => {
                let (peer, peer_cap) = if *from_client {
                    ("client", "The client")
                } else {
                    ("server", "The server")
                };
                match (role, intermediates_sent) {
                (CertRole::EndEntity, 0) => write!(
                    f,
                    "no trusted issuer for {subject}: its issuer {issuer} was not sent by the {peer} and is not in the trust store. {peer_cap} probably omits its intermediate certificate."
                ),
                (CertRole::EndEntity, n) => write!(
                    f,
                    "no trusted issuer for {subject}: its issuer {issuer} is neither among the {n} intermediate certificate(s) the {peer} sent nor in the trust store. {peer_cap} probably sends the wrong intermediate certificate."
                ),
                _ => write!(
                    f,
                    "no trusted issuer for {role} {subject}: its issuer {issuer} is not in the trust store. The chain leads to a root this machine does not trust; add that root to the trust store if you trust it."
                ),
            }
            }
            CertificateError::SelfSigned { subject } => write!(
                f,
                "certificate for {subject} is self-signed and is not in the trust store. Trust it explicitly (for example with --cafile), or use a certificate issued by a CA."
            ),
            CertificateError::UntrustedRoot { subject, root } => write!(
                f,
                "the chain for {subject} ends at root {root}, which is not in the trust store. Add that root to the trust store if you trust it."
            ),
            CertificateError::Distrusted {
                subject,
                root,
                not_before,
                distrust_after,
                rule,
            } => write!(
                f,
                "certificate for {subject} was issued at {} under root {root}, which is distrusted for certificates issued after {} ({rule}). Replace it with a certificate from another CA.",
                time::format_time(*not_before),
                time::format_time(*distrust_after)
            ),
            CertificateError::Revoked {
                subject,
                serial,
                revoked_at,
                reason,
                source,
            } => write!(
                f,
                "certificate for {subject} (serial {serial}) was revoked at {}{} according to {source}. Replace it.",
                time::format_time(*revoked_at),
                reason
                    .as_ref()
                    .map(|r| format!(" (reason: {r})"))
                    .unwrap_or_default()
            ),
            CertificateError::BadSignature { subject, issuer } => write!(
                f,
                "the signature on {subject} does not verify with the key of its issuer {issuer}: the certificate was altered, or was issued by another key with the same name"
            ),
            CertificateError::WeakSignature { subject, algorithm } => write!(
                f,
                "{subject} is signed with {algorithm}, which is forgeable and not accepted. Reissue it with a SHA-256 (or stronger) signature."
            ),
            CertificateError::UnsupportedSignature { subject, algorithm } => write!(
                f,
                "{subject} is signed with {algorithm}, which ferrotls does not verify; supported are RSA PKCS#1 and PSS with SHA-2, ECDSA P-256/P-384/P-521 and Ed25519"
            ),
            CertificateError::WeakKey { subject, key } => write!(
                f,
                "{subject} has a {key} key, which is too weak; RSA keys must be at least 2048 bits and a whole number of bytes. Reissue it with a stronger key."
            ),
            CertificateError::UnsupportedPublicKey { subject, key } => write!(
                f,
                "{subject} has {key}, which ferrotls does not support; use RSA (2048 to 8192 bits), ECDSA P-256/P-384/P-521 or Ed25519"
            ),
            CertificateError::NotCa { subject, reason } => write!(
                f,
                "{subject} is used to issue another certificate, but it is not a CA certificate: {reason}"
            ),
            CertificateError::PathLenExceeded { ca, path_len } => write!(
                f,
                "CA {ca} allows at most {path_len} intermediate CA certificate(s) below it (pathLenConstraint), but the chain has more"
            ),
            CertificateError::PathTooLong {
                subject,
                max_intermediates,
            } => write!(
                f,
                "the chain for {subject} would need more than {max_intermediates} intermediate certificates to reach a trusted root, more than allowed"
            ),
            CertificateError::NameConstraintViolation {
                subject,
                name,
                ca,
                excluded,
                constraints,
            } => {
                if *excluded {
                    write!(
                        f,
                        "{subject} names {name}, which CA {ca} is forbidden to certify (its name constraints exclude {})",
                        list(constraints)
                    )
                } else {
                    write!(
                        f,
                        "{subject} names {name}, which is outside what CA {ca} may certify (its name constraints permit only {})",
                        list(constraints)
                    )
                }
            }
            CertificateError::WrongPurpose {
                role,
                subject,
                required,
                present,
            } => write!(
                f,
                "{role} {subject} is not valid for {required}: its extendedKeyUsage allows only {}",
                list(present)
            ),
            CertificateError::UnknownCriticalExtension { subject, oid } => write!(
                f,
                "{subject} has a critical extension {oid} that ferrotls does not understand, so it must be rejected (RFC 5280, 4.2)"
            ),
            CertificateError::InvalidExtension {
                subject,
                extension,
                reason,
            } => write!(f, "{subject} has an invalid {extension} extension: {reason}"),
            CertificateError::Nonconforming { subject, rule } => {
                write!(f, "{subject} breaks RFC 5280: {rule}")
            }
            CertificateError::TooComplex {
                subject,
                what,
                limit,
            } => write!(
                f,
                "gave up verifying {subject} after {limit} {what}: the certificates given are built to make verification expensive"
            ),
            CertificateError::NoValidPath { subject, attempts } => {
                write!(
                    f,
                    "no valid path from {subject} to a trusted root; {} candidate path(s) were rejected:",
                    attempts.len()
                )?;
                for (i, a) in attempts.iter().enumerate() {
                    write!(f, " ({}) {}: {}", i + 1, a.chain.join(" <- "), a.error)?;
                }
                Ok(())
            }
            CertificateError::BadCrl { issuer, reason } => {
                write!(f, "the CRL issued by {issuer} cannot be used: {reason}")
            }
            CertificateError::BadOcspResponse { subject, reason } => write!(
                f,
                "the stapled OCSP response for {subject} cannot be used: {reason}"
            ),
            CertificateError::MustStapleMissing { subject } => write!(
                f,
                "certificate for {subject} requires a stapled OCSP response (OCSP must-staple), but the server sent none. The server must enable OCSP stapling."
            ),
            CertificateError::CaUsedAsEndEntity {
                subject,
                from_client,
            } => {
                let peer = if *from_client { "client" } else { "server" };
                write!(
                    f,
                    "certificate for {subject} is a CA certificate (basicConstraints cA=TRUE), so it cannot be the {peer}'s own certificate, even when it is trusted. Issue a {peer} certificate from this CA and use that instead (`openssl req -x509` makes CA:TRUE certificates unless given -addext basicConstraints=critical,CA:FALSE)."
                )
            }
            CertificateError::CommonNameNotInSan {
                subject,
                common_name,
                presented,
                reason,
            } => write!(
                f,
                "certificate for {subject} has subject CN \"{common_name}\", which is not a character-for-character copy of any of its DNS or IP subjectAltName values ({}): {reason}. The CA/Browser Forum Baseline Requirements (7.1.4.3) require the CN, if present, to copy one; reissue the certificate with such a CN, or with none.",
                if presented.is_empty() {
                    "it has none".to_string()
                } else {
                    presented.join(", ")
                }
            ),
            CertificateError::Several { first, also } => {
                let text = first.to_string();
                f.write_str(&text)?;
                if !text.ends_with('.') {
                    f.write_str(".")?;
                }
                for p in also {
                    write!(f, " Also: {p}")?;
                }
                Ok(())
            }
        }
    }
}
