//! Checks shared by the client and server configuration builders.

use crate::error::{ConfigError, Error};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use crate::tls12::suites::{self as suites12, Tls12CipherSuite};
use crate::tls13::suites::{self, Tls13CipherSuite};

fn names<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The suites wanted, in that order, split by version. Unknown suites are an error,
/// not skipped; legacy TLS 1.2 suites (static RSA, CBC) need `allow_legacy`.
pub(crate) fn resolve_suites(
    wanted: &[CipherSuite],
    allow_legacy: bool,
) -> Result<SuiteLists, Error> {
    if wanted.is_empty() {
        return Err(ConfigError::Empty {
            what: "the list of cipher suites",
        }
        .into());
    }
    let mut lists = SuiteLists::default();
    for s in wanted {
        if let Some(s13) = suites::find(*s) {
            lists.tls13.push(s13);
            continue;
        }
        match suites12::find(*s) {
            Some(s12) if s12.legacy && !allow_legacy => {
                return Err(ConfigError::OutOfRange {
                    what: "cipher suite",
                    reason: format!(
                        "{s} is a legacy suite (no forward secrecy or CBC); enable legacy TLS 1.2 suites explicitly to use it"
                    ),
                }
                .into())
            }
            Some(s12) => lists.tls12.push(s12),
            None => {
                return Err(ConfigError::OutOfRange {
                    what: "cipher suite",
                    reason: format!(
                        "{s} is not supported; choose from {}",
                        names(
                            suites::ALL_TLS13_SUITES
                                .iter()
                                .map(|s| s.suite)
                                .chain(suites12::DEFAULT_TLS12_SUITES.iter().map(|s| s.suite))
                        )
                    ),
                }
                .into())
            }
        }
    }
    Ok(lists)
}

/// Cipher suites per protocol version, in preference order.
#[derive(Debug, Default, Clone)]
pub(crate) struct SuiteLists {
    pub tls13: Vec<&'static Tls13CipherSuite>,
    pub tls12: Vec<&'static Tls12CipherSuite>,
}

/// Only TLS 1.3 and 1.2 are ever negotiated; the list must not be empty.
pub(crate) fn check_versions(versions: &[ProtocolVersion]) -> Result<(), Error> {
    if versions.is_empty() {
        return Err(ConfigError::Empty {
            what: "the list of protocol versions",
        }
        .into());
    }
    match versions
        .iter()
        .find(|v| !matches!(v, ProtocolVersion::TLSv1_3 | ProtocolVersion::TLSv1_2))
    {
        Some(v) => Err(ConfigError::OutOfRange {
            what: "protocol version",
            reason: format!("{v} is never negotiated by ferrotls; enable TLSv1.3 and/or TLSv1.2"),
        }
        .into()),
        None => no_repeats("protocol version", versions),
    }
}

/// Lists are sets in a preference order: an entry given twice is a mistake (and a
/// list long enough to overflow its ClientHello field could only be made of repeats).
fn no_repeats<T: PartialEq + std::fmt::Display>(
    what: &'static str,
    items: &[T],
) -> Result<(), Error> {
    match items
        .iter()
        .enumerate()
        .find(|(i, item)| items.get(..*i).is_some_and(|before| before.contains(item)))
    {
        Some((_, item)) => Err(ConfigError::OutOfRange {
            what,
            reason: format!("{item} is listed more than once"),
        }
        .into()),
        None => Ok(()),
    }
}

/// The suite lists a configuration ends up with, and the loud warning for legacy ones.
pub(crate) fn final_suites(
    wanted: Option<&[CipherSuite]>,
    allow_legacy: bool,
    versions: &[ProtocolVersion],
) -> Result<SuiteLists, Error> {
    let mut lists = match wanted {
        Some(w) => resolve_suites(w, allow_legacy)?,
        None => SuiteLists {
            tls13: suites::ALL_TLS13_SUITES.to_vec(),
            tls12: suites12::DEFAULT_TLS12_SUITES
                .iter()
                .chain(if allow_legacy {
                    suites12::LEGACY_TLS12_SUITES
                } else {
                    &[]
                })
                .copied()
                .collect(),
        },
    };
    if !versions.contains(&ProtocolVersion::TLSv1_3) {
        lists.tls13.clear();
    }
    if !versions.contains(&ProtocolVersion::TLSv1_2) {
        lists.tls12.clear();
    }
    if lists.tls13.is_empty() && lists.tls12.is_empty() {
        return Err(ConfigError::Empty {
            what: "the list of cipher suites for the enabled protocol versions",
        }
        .into());
    }
    if lists.tls12.iter().any(|s| s.legacy) {
        log::warn!(
            "ferrotls: legacy TLS 1.2 cipher suites are enabled ({}): static RSA has no forward secrecy and CBC is fragile; use them only for interoperability testing",
            names(lists.tls12.iter().filter(|s| s.legacy).map(|s| s.suite))
        );
    }
    Ok(lists)
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
        None => no_repeats("key exchange group", groups),
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
    fn repeated_versions_and_groups_are_refused() {
        use ProtocolVersion::{TLSv1_2, TLSv1_3};
        assert_eq!(
            check_versions(&[TLSv1_3, TLSv1_2, TLSv1_3])
                .unwrap_err()
                .to_string(),
            "invalid protocol version: TLSv1.3 is listed more than once"
        );
        assert!(check_versions(&[TLSv1_2, TLSv1_3]).is_ok());
        assert_eq!(
            check_groups(&[NamedGroup::X25519; 40_000])
                .unwrap_err()
                .to_string(),
            "invalid key exchange group: x25519 is listed more than once"
        );
        assert!(check_groups(&[NamedGroup::X25519, NamedGroup::secp256r1]).is_ok());
    }

    #[test]
    fn errors_explain() {
        assert_eq!(
            resolve_suites(&[CipherSuite::TLS13_AES_128_CCM_SHA256], false)
                .unwrap_err()
                .to_string(),
            "invalid cipher suite: TLS_AES_128_CCM_SHA256 is not supported; choose from TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"
        );
        assert_eq!(
            resolve_suites(&[CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256], false)
                .unwrap_err()
                .to_string(),
            "invalid cipher suite: TLS_RSA_WITH_AES_128_GCM_SHA256 is a legacy suite (no forward secrecy or CBC); enable legacy TLS 1.2 suites explicitly to use it"
        );
        assert_eq!(
            check_versions(&[ProtocolVersion::TLSv1_1]).unwrap_err().to_string(),
            "invalid protocol version: TLSv1.1 is never negotiated by ferrotls; enable TLSv1.3 and/or TLSv1.2"
        );
        assert_eq!(
            resolve_suites(&[], false).unwrap_err().to_string(),
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
