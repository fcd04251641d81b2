//! Failures inside the cryptographic provider.

use core::fmt;

use crate::msgs::enums::SignatureScheme;

/// A failure inside the cryptographic provider.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// The peer's key share was not a valid point or encapsulation for its group.
    BadKeyShare { group: &'static str },
    /// Key agreement or encapsulation failed.
    KeyExchangeFailed { group: &'static str },
    /// The private key could not be used for signing.
    SigningFailed { scheme: &'static str },
    /// A key held elsewhere (KMS, HSM, signing service): the signer reported failure.
    RemoteSigningFailed {
        scheme: &'static str,
        reason: String,
    },
    /// The random source failed.
    RandomFailed,
    /// A key or IV had the wrong length for the algorithm.
    BadKeyLength {
        algorithm: &'static str,
        length: usize,
    },
    /// Sealing a record failed.
    EncryptFailed,
    /// A key exchange was asked for a group the crypto provider does not implement.
    UnsupportedGroup { group: String },
    /// A signature was asked for with a scheme the private key cannot produce.
    UnsuitableScheme { scheme: String, key: String },
    /// A block cipher was given input that is not a whole number of blocks.
    BlockLength {
        algorithm: &'static str,
        length: usize,
    },
    /// The RSA pre-master secret could not be encrypted to the server's key
    /// (RFC 5246, 7.4.7.1).
    RsaKeyTransport { reason: &'static str },
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CryptoError::BadKeyShare { group } => {
                write!(f, "peer's {group} key share is not a valid public key")
            }
            CryptoError::KeyExchangeFailed { group } => {
                write!(f, "{group} key exchange failed")
            }
            CryptoError::SigningFailed { scheme } => {
                write!(
                    f,
                    "signing with {scheme} failed: the private key could not be used"
                )
            }
            CryptoError::RemoteSigningFailed { scheme, reason } => write!(
                f,
                "the signer holding the certificate's private key could not sign with {scheme}: {reason}"
            ),
            CryptoError::RandomFailed => write!(f, "the system random source failed"),
            CryptoError::BadKeyLength { algorithm, length } => {
                write!(f, "a {length}-byte key is the wrong size for {algorithm}")
            }
            CryptoError::EncryptFailed => write!(f, "record encryption failed"),
            CryptoError::UnsupportedGroup { group } => {
                write!(f, "key exchange group {group} is not supported by ferrotls")
            }
            CryptoError::UnsuitableScheme { scheme, key } => {
                write!(f, "a {key} key cannot sign with {scheme}")
            }
            CryptoError::BlockLength { algorithm, length } => write!(
                f,
                "internal error: {length} bytes are not a whole number of {algorithm} blocks"
            ),
            CryptoError::RsaKeyTransport { reason } => write!(
                f,
                "could not encrypt the RSA pre-master secret to the server's key: {reason}"
            ),
        }
    }
}

/// Why a peer's signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// We do not verify this scheme (SHA-1, Ed448, RSA-PSS-PSS, P-521, unknown).
    UnsupportedScheme { scheme: SignatureScheme },
    /// The certificate's key is not of the type the scheme needs (or is malformed).
    KeyMismatch {
        scheme: SignatureScheme,
        key: String,
    },
    /// The signature does not verify.
    Invalid,
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::UnsupportedScheme { scheme } => write!(
                f,
                "signature scheme {scheme} is not supported; ferrotls verifies ECDSA P-256/P-384, Ed25519, RSA-PSS and RSA PKCS#1 v1.5 with SHA-2"
            ),
            SignatureError::KeyMismatch { scheme, key } => write!(
                f,
                "signature scheme {scheme} cannot be used with a {key} public key"
            ),
            SignatureError::Invalid => write!(
                f,
                "the signature does not verify with the certificate's public key"
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

/// Why a certificate (or CRL, or OCSP response) signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertSignatureError {
    /// SHA-1 or MD5 based: collisions are practical, so never accepted.
    WeakHash { algorithm: &'static str },
    /// An algorithm identifier we do not verify (DSA, Ed448, unknown OIDs, odd parameters).
    UnsupportedAlgorithm { algorithm: String },
    /// The signer's key is too weak: RSA under 2048 bits or not a whole number of bytes.
    WeakKey { key: String },
    /// The signer's key is of a type or curve we do not support (P-192, DSA, explicit curves).
    UnsupportedKey { key: String },
    /// The algorithm needs a different kind of key (RSA signature, EC key).
    KeyMismatch {
        algorithm: &'static str,
        key: String,
    },
    /// The signature does not verify.
    Invalid,
}
