//! What the subcommands share: argument parsing, encodings, terminal colour.

use std::io::IsTerminal;

use ferrotls::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};

/// Text a peer chose (server names, ALPN protocols, certificate names, alert and
/// error texts, HTTP request lines) made safe to print: every control character
/// (C0 including newline, DEL, C1) is written as `\xNN`, and the Unicode
/// bidirectional controls as `\u{NNNN}`, so no terminal escape sequence, line break
/// or reordering from the network reaches a screen or a log. Print multi-line text
/// one line at a time. The one helper for every such output of the CLI.
pub fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        } else if bidi {
            out.push_str(&format!("\\u{{{:04x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// ANSI colours for a terminal, or nothing when output is piped, `NO_COLOR` is set
/// (<https://no-color.org>), or the terminal is dumb. `CLICOLOR_FORCE=1` forces colour
/// (for tests and `less -R`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    on: bool,
}

impl Palette {
    pub const BOLD: &'static str = "1";
    pub const DIM: &'static str = "2";
    pub const RED: &'static str = "31";
    pub const GREEN: &'static str = "32";
    pub const YELLOW: &'static str = "33";
    pub const MAGENTA: &'static str = "35";
    pub const CYAN: &'static str = "36";

    /// Colour if `stream` is a terminal and the environment does not say otherwise.
    pub fn for_stream(stream: &impl IsTerminal) -> Self {
        let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty() && x != "0");
        let on = if set("NO_COLOR") {
            false
        } else if set("CLICOLOR_FORCE") {
            true
        } else {
            stream.is_terminal() && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
        };
        Palette { on }
    }

    /// `text` in the SGR `style` (one of the constants above), if colour is on.
    pub fn paint(&self, style: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{style}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// `--keymatexport LABEL` with `--keymatexportlen N`, as `openssl s_client` and
/// `s_server` take them: the connection's exported keying material (RFC 8446, 7.5;
/// RFC 5705) as upper-case hex, like OpenSSL prints it, or why there is none.
pub fn keying_material(
    conn: &ferrotls::Connection,
    label: &str,
    len: usize,
) -> Result<String, String> {
    let mut out = vec![0u8; len];
    conn.export_keying_material(&mut out, label.as_bytes(), None)
        .map_err(|e| e.to_string())?;
    Ok(out.iter().map(|b| format!("{b:02X}")).collect())
}

/// Base64 and PEM encoding are the library's.
pub use ferrotls::pem::{base64, encode as pem_encode};

/// Decodes base64 (RFC 4648, 4) with padding, ignoring whitespace (line breaks); the
/// error says what is wrong, as a fragment: "the character '!' at position 3 is not
/// base64".
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let symbols: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| !c.is_ascii_whitespace())
        .collect();
    if symbols.is_empty() {
        return Err("it is empty".into());
    }
    let padding = symbols.iter().rev().take_while(|(_, c)| *c == '=').count();
    let mut values = Vec::with_capacity(symbols.len());
    for (i, &(pos, c)) in symbols.iter().enumerate() {
        let value = u8::try_from(c)
            .ok()
            .and_then(|b| ALPHABET.iter().position(|&a| a == b));
        match value {
            Some(v) => values.push(v as u32),
            None if c == '=' && i >= symbols.len() - padding => {}
            None if c == '=' => {
                return Err(format!(
                    "the padding '=' at position {pos} is followed by more text"
                ))
            }
            None => {
                return Err(format!(
                    "the character {c:?} at position {pos} is not base64"
                ))
            }
        }
    }
    if padding > 2 {
        return Err(format!(
            "it ends in {padding} '=' characters; base64 padding is at most 2"
        ));
    }
    if !symbols.len().is_multiple_of(4) {
        return Err(format!(
            "it has {} base64 characters, not a multiple of 4: it is cut short or padded wrongly",
            symbols.len()
        ));
    }
    let mut out = Vec::with_capacity(values.len() * 3 / 4);
    for chunk in values.chunks(4) {
        let n = chunk
            .iter()
            .chain(std::iter::repeat(&0))
            .take(4)
            .fold(0u32, |acc, v| acc << 6 | v);
        out.extend(n.to_be_bytes().iter().skip(1).take(chunk.len() - 1));
    }
    Ok(out)
}

/// The base64 body of the first PEM block labelled `label` (RFC 7468), if there is one.
pub fn pem_body<'a>(text: &'a str, label: &str) -> Option<&'a str> {
    let (_, rest) = text.split_once(&format!("-----BEGIN {label}-----"))?;
    let (body, _) = rest.split_once(&format!("-----END {label}-----"))?;
    Some(body)
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Upper-case hex with colons, as fingerprints are usually shown.
pub fn hex_colons(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// SHA-256 of a certificate's SubjectPublicKeyInfo, base64: what Chromium's
/// `--ignore-certificate-errors-spki-list` and HPKP-style pins take.
pub fn spki_sha256_base64(cert_der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(cert_der).ok()?;
    let digest = ferrotls::crypto::hash(
        ferrotls::crypto::HashAlgorithm::Sha256,
        cert.public_key().raw,
    );
    Some(base64(digest.as_ref()))
}

/// What became of Encrypted Client Hello (`accepted`, `rejected`); `None` when it
/// was not offered.
pub fn ech_outcome(status: ferrotls::conn::EchStatus) -> Option<&'static str> {
    use ferrotls::conn::EchStatus as E;
    match status {
        E::NotOffered => None,
        E::Accepted => Some("accepted"),
        E::Rejected => Some("rejected"),
    }
}

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

/// The items of list arguments given once or repeated, each split at commas and
/// colons (OpenSSL's separator): `["a:b", "c"]` is `a, b, c`.
pub fn split_list(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split([',', ':']))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
        .collect()
}

/// Group names as IANA or OpenSSL spell them (x25519, X25519MLKEM768, P-256,
/// prime256v1, secp384r1), comma- or colon-separated.
pub fn parse_groups(names: &[String]) -> Result<Vec<NamedGroup>, String> {
    split_list(names).iter().map(|n| parse_group(n)).collect()
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

/// OpenSSL's name for a TLS 1.2 suite ferrotls implements (TLS 1.3 suites have
/// their IANA names in OpenSSL too).
pub fn openssl_suite_name(suite: CipherSuite) -> Option<&'static str> {
    use CipherSuite as C;
    Some(match suite {
        C::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        C::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        C::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        C::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 => "ECDHE-ECDSA-AES128-SHA256",
        C::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 => "ECDHE-RSA-AES128-SHA256",
        C::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 => "ECDHE-ECDSA-AES256-SHA384",
        C::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 => "ECDHE-RSA-AES256-SHA384",
        C::TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA => "ECDHE-ECDSA-AES128-SHA",
        C::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA => "ECDHE-RSA-AES128-SHA",
        C::TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA => "ECDHE-ECDSA-AES256-SHA",
        C::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA => "ECDHE-RSA-AES256-SHA",
        C::TLS_RSA_WITH_AES_128_GCM_SHA256 => "AES128-GCM-SHA256",
        C::TLS_RSA_WITH_AES_256_GCM_SHA384 => "AES256-GCM-SHA384",
        C::TLS_RSA_WITH_AES_128_CBC_SHA256 => "AES128-SHA256",
        C::TLS_RSA_WITH_AES_256_CBC_SHA256 => "AES256-SHA256",
        C::TLS_RSA_WITH_AES_128_CBC_SHA => "AES128-SHA",
        C::TLS_RSA_WITH_AES_256_CBC_SHA => "AES256-SHA",
        _ => return None,
    })
}

/// Cipher suites, TLS 1.3 and TLS 1.2, by IANA name (TLS_AES_128_GCM_SHA256,
/// TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), ferrotls's Rust name
/// (TLS13_AES_128_GCM_SHA256) or OpenSSL name (ECDHE-RSA-AES128-GCM-SHA256),
/// comma- or colon-separated, in preference order. A legacy TLS 1.2 suite (static
/// RSA, CBC) needs `legacy` (--legacy).
pub fn parse_suites(names: &[String], legacy: bool) -> Result<Vec<CipherSuite>, String> {
    use ferrotls::tls12::{DEFAULT_TLS12_SUITES, LEGACY_TLS12_SUITES};
    let tls13 = ferrotls::tls13::suites::ALL_TLS13_SUITES
        .iter()
        .map(|s| s.suite);
    let tls12 = DEFAULT_TLS12_SUITES.iter().map(|s| (s.suite, false));
    let old = LEGACY_TLS12_SUITES.iter().map(|s| (s.suite, true));
    let all: Vec<(CipherSuite, bool)> = tls13.map(|s| (s, false)).chain(tls12).chain(old).collect();
    let list = |legacy: bool| {
        all.iter()
            .filter(|(_, l)| *l == legacy)
            .map(|(s, _)| openssl_suite_name(*s).map_or_else(|| s.to_string(), String::from))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let names = split_list(names);
    if names.is_empty() {
        return Err("--ciphers: the list is empty".into());
    }
    names
        .iter()
        .map(|n| {
            let iana = match n.get(..6) {
                Some(p) if p.eq_ignore_ascii_case("TLS13_") => format!("TLS_{}", &n[6..]),
                _ => n.clone(),
            };
            let found = all.iter().find(|(s, _)| {
                s.name().eq_ignore_ascii_case(&iana)
                    || openssl_suite_name(*s).is_some_and(|o| o.eq_ignore_ascii_case(n))
            });
            match found {
                Some((s, true)) if !legacy => Err(format!(
                    "cipher suite {n} ({s}) is a legacy suite (static RSA or CBC); add --legacy to use it"
                )),
                Some((s, _)) => Ok(*s),
                None => Err(format!(
                    "unknown cipher suite {n}; choose from {}; with --legacy also {} (OpenSSL or IANA names, such as ECDHE-RSA-AES128-GCM-SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)",
                    list(false),
                    list(true)
                )),
            }
        })
        .collect()
}

/// Protocol versions: `1.2`, `1.3`, `tls1.2`, `TLSv1.3`, `tls1_2` (OpenSSL's flag
/// spelling), comma- or colon-separated.
pub fn parse_versions(names: &[String]) -> Result<Vec<ProtocolVersion>, String> {
    let names = split_list(names);
    if names.is_empty() {
        return Err("--versions: the list is empty".into());
    }
    let mut out = Vec::new();
    for n in &names {
        let lower = n.to_ascii_lowercase().replace('_', ".");
        let bare = lower
            .strip_prefix("tlsv")
            .or_else(|| lower.strip_prefix("tls"))
            .unwrap_or(&lower);
        let v = match bare {
            "1.2" => ProtocolVersion::TLSv1_2,
            "1.3" => ProtocolVersion::TLSv1_3,
            _ => {
                return Err(format!(
                    "unknown protocol version {n}; choose from 1.2 and 1.3 (also written tls1.2, TLSv1.2)"
                ))
            }
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_controls_and_bidi_overrides() {
        assert_eq!(printable("http/1.1 café"), "http/1.1 café");
        assert_eq!(
            printable("a\x1b[31mb\x07\r\n\x7f\u{9b}c"),
            "a\\x1b[31mb\\x07\\x0d\\x0a\\x7f\\x9bc"
        );
        assert_eq!(printable("ab\u{202e}cd"), "ab\\u{202e}cd");
    }

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
    fn pem_encoding_matches_base64() {
        assert_eq!(base64(b"hello!?"), "aGVsbG8hPw==");
        assert_eq!(
            pem_encode("X", b"hello!?"),
            "-----BEGIN X-----\naGVsbG8hPw==\n-----END X-----\n"
        );
    }

    #[test]
    fn base64_decoding() {
        for text in ["h", "hello!?", "hello!", "hello"] {
            assert_eq!(
                base64_decode(&base64(text.as_bytes())).unwrap(),
                text.as_bytes()
            );
        }
        assert_eq!(base64_decode("aGVs\nbG8h\r\nPw==\n").unwrap(), b"hello!?");
        assert_eq!(base64_decode(" \n").unwrap_err(), "it is empty");
        assert_eq!(
            base64_decode("aGV!bG8h").unwrap_err(),
            "the character '!' at position 3 is not base64"
        );
        assert_eq!(
            base64_decode("aG=sbG8h").unwrap_err(),
            "the padding '=' at position 2 is followed by more text"
        );
        assert_eq!(
            base64_decode("aGVsbG8").unwrap_err(),
            "it has 7 base64 characters, not a multiple of 4: it is cut short or padded wrongly"
        );
        assert_eq!(
            base64_decode("a===").unwrap_err(),
            "it ends in 3 '=' characters; base64 padding is at most 2"
        );
    }

    #[test]
    fn pem_bodies() {
        let pem = pem_encode("ECHCONFIG", b"hello!?");
        assert_eq!(pem_body(&pem, "ECHCONFIG"), Some("\naGVsbG8hPw==\n"));
        assert_eq!(pem_body(&pem, "CERTIFICATE"), None);
    }

    #[test]
    fn colour_only_when_on() {
        assert_eq!(Palette { on: false }.paint(Palette::RED, "x"), "x");
        assert_eq!(
            Palette { on: true }.paint(Palette::RED, "x"),
            "\x1b[31mx\x1b[0m"
        );
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn suite_names() {
        use CipherSuite as C;
        assert_eq!(
            parse_suites(&strings(&["tls_chacha20_poly1305_sha256"]), false).unwrap(),
            vec![C::TLS13_CHACHA20_POLY1305_SHA256]
        );
        assert_eq!(
            parse_suites(
                &strings(&[
                    "ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256",
                    "TLS13_AES_256_GCM_SHA384,tls_ecdhe_ecdsa_with_aes_256_gcm_sha384"
                ]),
                false
            )
            .unwrap(),
            vec![
                C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                C::TLS13_AES_128_GCM_SHA256,
                C::TLS13_AES_256_GCM_SHA384,
                C::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
            ]
        );
        assert_eq!(
            parse_suites(&strings(&["AES128-SHA"]), true).unwrap(),
            vec![C::TLS_RSA_WITH_AES_128_CBC_SHA]
        );
        assert_eq!(
            parse_suites(&strings(&["AES128-SHA"]), false).unwrap_err(),
            "cipher suite AES128-SHA (TLS_RSA_WITH_AES_128_CBC_SHA) is a legacy suite (static RSA or CBC); add --legacy to use it"
        );
        assert_eq!(
            parse_suites(&strings(&["RC4-MD5"]), false).unwrap_err(),
            "unknown cipher suite RC4-MD5; choose from TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256, \
             ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES256-GCM-SHA384, ECDHE-RSA-AES256-GCM-SHA384, \
             ECDHE-ECDSA-CHACHA20-POLY1305, ECDHE-RSA-CHACHA20-POLY1305; with --legacy also ECDHE-ECDSA-AES128-SHA256, \
             ECDHE-RSA-AES128-SHA256, ECDHE-ECDSA-AES256-SHA384, ECDHE-RSA-AES256-SHA384, ECDHE-ECDSA-AES128-SHA, ECDHE-RSA-AES128-SHA, \
             ECDHE-ECDSA-AES256-SHA, ECDHE-RSA-AES256-SHA, AES128-GCM-SHA256, AES256-GCM-SHA384, AES128-SHA256, AES256-SHA256, \
             AES128-SHA, AES256-SHA (OpenSSL or IANA names, such as ECDHE-RSA-AES128-GCM-SHA256 or TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)"
        );
        assert_eq!(
            parse_suites(&strings(&[":,"]), false).unwrap_err(),
            "--ciphers: the list is empty"
        );
    }

    #[test]
    fn version_names() {
        use ProtocolVersion as V;
        for (arg, want) in [
            ("1.2,1.3", vec![V::TLSv1_2, V::TLSv1_3]),
            ("tls1.3", vec![V::TLSv1_3]),
            ("TLSv1.2:tls1_3", vec![V::TLSv1_2, V::TLSv1_3]),
            ("1.3,1.3", vec![V::TLSv1_3]),
        ] {
            assert_eq!(parse_versions(&strings(&[arg])).unwrap(), want, "{arg}");
        }
        assert_eq!(
            parse_versions(&strings(&["1.1"])).unwrap_err(),
            "unknown protocol version 1.1; choose from 1.2 and 1.3 (also written tls1.2, TLSv1.2)"
        );
        assert_eq!(
            parse_versions(&strings(&[""])).unwrap_err(),
            "--versions: the list is empty"
        );
    }

    #[test]
    fn group_lists() {
        assert_eq!(
            parse_groups(&strings(&["X25519:prime256v1", "P-384"])).unwrap(),
            vec![
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::secp384r1
            ]
        );
    }
}
