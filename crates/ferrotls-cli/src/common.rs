//! Argument parsing shared by the subcommands.

use ferrotls::msgs::enums::{CipherSuite, NamedGroup};

/// Splits `host:port`, `[v6]:port` or a bare host (with `default_port`).
pub fn split_host_port(target: &str, default_port: u16) -> Result<(String, u16), String> {
    if let Some(rest) = target.strip_prefix('[') {
        let (host, tail) = rest
            .split_once(']')
            .ok_or_else(|| format!("{target}: missing ']' after an IPv6 address"))?;
        let port = match tail.strip_prefix(':') {
            Some(p) => parse_port(p)?,
            None if tail.is_empty() => default_port,
            None => return Err(format!("{target}: expected ':PORT' after ']'")),
        };
        return Ok((host.to_string(), port));
    }
    match target.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Ok((host.to_string(), parse_port(port)?)),
        _ => Ok((target.to_string(), default_port)),
    }
}

fn parse_port(p: &str) -> Result<u16, String> {
    p.parse()
        .map_err(|_| format!("{p} is not a port number (1-65535)"))
}

/// Group names as IANA or OpenSSL spell them (x25519, X25519MLKEM768, P-256, secp384r1).
pub fn parse_groups(names: &[String]) -> Result<Vec<NamedGroup>, String> {
    names.iter().map(|n| parse_group(n)).collect()
}

pub fn parse_group(name: &str) -> Result<NamedGroup, String> {
    let canonical = match name.to_ascii_lowercase().as_str() {
        "p-256" | "prime256v1" => "secp256r1".to_string(),
        "p-384" => "secp384r1".to_string(),
        other => other.to_string(),
    };
    let supported = ferrotls::crypto::kx::supported_groups();
    supported
        .iter()
        .copied()
        .find(|g| g.name().eq_ignore_ascii_case(&canonical))
        .ok_or_else(|| {
            format!(
                "unknown group {name}; choose from {}",
                supported
                    .iter()
                    .map(|g| g.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// TLS 1.3 suites by IANA name (TLS_AES_128_GCM_SHA256).
pub fn parse_suites(names: &[String]) -> Result<Vec<CipherSuite>, String> {
    let all = ferrotls::tls13::suites::ALL_TLS13_SUITES;
    names
        .iter()
        .map(|n| {
            all.iter()
                .map(|s| s.suite)
                .find(|s| s.name().eq_ignore_ascii_case(n))
                .ok_or_else(|| {
                    format!(
                        "unknown cipher suite {n}; choose from {}",
                        all.iter()
                            .map(|s| s.suite.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_forms() {
        assert_eq!(
            split_host_port("example.com", 443).unwrap(),
            ("example.com".into(), 443)
        );
        assert_eq!(
            split_host_port("example.com:8443", 443).unwrap(),
            ("example.com".into(), 8443)
        );
        assert_eq!(
            split_host_port("[::1]:8443", 443).unwrap(),
            ("::1".into(), 8443)
        );
        assert_eq!(split_host_port("::1", 443).unwrap(), ("::1".into(), 443));
        assert_eq!(
            split_host_port("example.com:http", 443).unwrap_err(),
            "http is not a port number (1-65535)"
        );
    }

    #[test]
    fn group_names() {
        assert_eq!(parse_group("P-256").unwrap(), NamedGroup::secp256r1);
        assert_eq!(
            parse_group("x25519mlkem768").unwrap(),
            NamedGroup::X25519MLKEM768
        );
        assert_eq!(
            parse_group("ffdhe2048").unwrap_err(),
            "unknown group ffdhe2048; choose from X25519MLKEM768, x25519, secp256r1, secp384r1"
        );
    }

    #[test]
    fn suite_names() {
        assert_eq!(
            parse_suites(&["tls_chacha20_poly1305_sha256".into()]).unwrap(),
            vec![CipherSuite::TLS13_CHACHA20_POLY1305_SHA256]
        );
    }
}
