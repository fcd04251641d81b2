//! Checks shared by the client and server configuration builders.

use crate::error::{ConfigError, Error};
use crate::msgs::enums::{CipherSuite, NamedGroup};
use crate::tls13::suites::{self, Tls13CipherSuite};

fn names<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The TLS 1.3 suites for `wanted`, in that order; unknown ones are an error, not skipped.
pub(crate) fn resolve_suites(
    wanted: &[CipherSuite],
) -> Result<Vec<&'static Tls13CipherSuite>, Error> {
    if wanted.is_empty() {
        return Err(ConfigError::Empty {
            what: "the list of cipher suites",
        }
        .into());
    }
    wanted
        .iter()
        .map(|s| {
            suites::find(*s).ok_or_else(|| {
                ConfigError::OutOfRange {
                    what: "cipher suite",
                    reason: format!(
                        "{s} is not supported; choose from {}",
                        names(suites::ALL_TLS13_SUITES.iter().map(|s| s.suite))
                    ),
                }
                .into()
            })
        })
        .collect()
}

/// Groups must be non-empty and supported by the crypto provider.
pub(crate) fn check_groups(groups: &[NamedGroup]) -> Result<(), Error> {
    if groups.is_empty() {
        return Err(ConfigError::Empty {
            what: "the list of key exchange groups",
        }
        .into());
    }
    match groups
        .iter()
        .find(|g| !crate::crypto::kx::is_supported(**g))
    {
        Some(g) => Err(ConfigError::OutOfRange {
            what: "key exchange group",
            reason: format!(
                "{g} is not supported; choose from {}",
                names(crate::crypto::kx::supported_groups())
            ),
        }
        .into()),
        None => Ok(()),
    }
}

/// RFC 7301, 3.1: protocol names are 1 to 255 bytes.
pub(crate) fn check_alpn(protocols: &[Vec<u8>]) -> Result<(), Error> {
    match protocols.iter().find(|p| p.is_empty() || p.len() > 255) {
        Some(p) => Err(ConfigError::OutOfRange {
            what: "ALPN protocol name",
            reason: format!("a name must be 1 to 255 bytes, not {}", p.len()),
        }
        .into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_explain() {
        assert_eq!(
            resolve_suites(&[CipherSuite::TLS13_AES_128_CCM_SHA256])
                .unwrap_err()
                .to_string(),
            "invalid cipher suite: TLS_AES_128_CCM_SHA256 is not supported; choose from TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256"
        );
        assert_eq!(
            resolve_suites(&[]).unwrap_err().to_string(),
            "the list of cipher suites must not be empty"
        );
        assert_eq!(
            check_groups(&[NamedGroup::X448]).unwrap_err().to_string(),
            "invalid key exchange group: x448 is not supported; choose from X25519MLKEM768, x25519, secp256r1, secp384r1"
        );
        assert_eq!(
            check_alpn(&[vec![]]).unwrap_err().to_string(),
            "invalid ALPN protocol name: a name must be 1 to 255 bytes, not 0"
        );
    }
}
