//! External pre-shared keys for TLS 1.3 (RFC 8446, 2.2 and 4.2.11).

use crate::crypto::{HashAlgorithm, Secret};

/// A key both peers were given out of band, with its identity and the hash of the
/// cipher suites it may be used with.
#[derive(Debug)]
pub struct ExternalPsk {
    pub identity: Vec<u8>,
    pub key: Secret,
    pub hash: HashAlgorithm,
}

impl ExternalPsk {
    /// An external PSK; `key` should be at least 32 random bytes.
    pub fn new(identity: impl Into<Vec<u8>>, key: impl Into<Vec<u8>>, hash: HashAlgorithm) -> Self {
        ExternalPsk {
            identity: identity.into(),
            key: Secret::from(key.into()),
            hash,
        }
    }
}
