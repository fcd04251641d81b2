//! Names: DNS and IP identity matching (RFC 6125 / RFC 9525 as profiled by the
//! CA/Browser Forum), readable distinguished names, and the name-constraint
//! subtree tests of RFC 5280, 4.2.1.10.

use std::net::IpAddr;

use x509_parser::prelude::{GeneralName, X509Name};

/// A distinguished name the way people read it (RFC 4514 order: most specific
/// first), e.g. `CN=R11, O=Let's Encrypt, C=US`.
pub fn dn_to_string(name: &X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for rdn in name.iter_rdn() {
        let attrs: Vec<String> = rdn
            .iter()
            .map(|atv| {
                let oid = atv.attr_type().to_id_string();
                let key = match oid.as_str() {
                    "2.5.4.3" => "CN".to_string(),
                    "2.5.4.6" => "C".to_string(),
                    "2.5.4.7" => "L".to_string(),
                    "2.5.4.8" => "ST".to_string(),
                    "2.5.4.10" => "O".to_string(),
                    "2.5.4.11" => "OU".to_string(),
                    "2.5.4.5" => "serialNumber".to_string(),
                    "1.2.840.113549.1.9.1" => "emailAddress".to_string(),
                    "0.9.2342.19200300.100.1.25" => "DC".to_string(),
                    _ => oid,
                };
                let value = atv
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|_| format!("#{}", hex(atv.attr_value().data)));
                format!("{key}={value}")
            })
            .collect();
        parts.push(attrs.join("+"));
    }
    if parts.is_empty() {
        return "(an empty name)".to_string();
    }
    parts.reverse();
    parts.join(", ")
}

/// Lowercase hex, no separators.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Serial numbers are shown colon-separated, as OpenSSL and browsers do.
pub fn hex_colons(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `DNS:example.com`, `IP:192.0.2.1`, `email:a@b`, ...
pub fn general_name_to_string(name: &GeneralName<'_>) -> String {
    match name {
        GeneralName::DNSName(d) => format!("DNS:{d}"),
        GeneralName::IPAddress(ip) => format!("IP:{}", ip_to_string(ip)),
        GeneralName::RFC822Name(e) => format!("email:{e}"),
        GeneralName::URI(u) => format!("URI:{u}"),
        GeneralName::DirectoryName(n) => format!("DirName:{}", dn_to_string(n)),
        GeneralName::OtherName(oid, _) => format!("othername:{}", oid.to_id_string()),
        GeneralName::RegisteredID(oid) => format!("RID:{}", oid.to_id_string()),
        GeneralName::X400Address(_) => "X400Address".to_string(),
        GeneralName::EDIPartyName(_) => "EDIPartyName".to_string(),
        GeneralName::Invalid(tag, _) => format!("invalid name (tag {})", tag.0),
    }
}

/// An address (4 or 16 bytes), or an address/mask constraint (8 or 32 bytes).
pub fn ip_to_string(ip: &[u8]) -> String {
    match ip.len() {
        4 | 16 => addr(ip).map(|a| a.to_string()).unwrap_or_default(),
        8 | 32 => {
            let (a, m) = ip.split_at(ip.len() / 2);
            match (addr(a), prefix_len(m)) {
                (Some(a), Some(p)) => format!("{a}/{p}"),
                (Some(a), None) => format!("{a}/(non-contiguous mask {})", hex(m)),
                _ => String::new(),
            }
        }
        n => format!("(malformed, {n} bytes)"),
    }
}

fn addr(b: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(b) {
        Some(IpAddr::from(v4))
    } else {
        <[u8; 16]>::try_from(b).ok().map(IpAddr::from)
    }
}

/// The prefix length of a contiguous netmask, or None if it has holes.
fn prefix_len(mask: &[u8]) -> Option<u32> {
    let mut ones = 0;
    let mut seen_zero = false;
    for byte in mask {
        for bit in (0..8).rev() {
            if byte >> bit & 1 == 1 {
                if seen_zero {
                    return None;
                }
                ones += 1;
            } else {
                seen_zero = true;
            }
        }
    }
    Some(ones)
}

fn valid_label(label: &str) -> bool {
    let b = label.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b.first() != Some(&b'-')
        && b.last() != Some(&b'-')
}

/// A DNS name of LDH labels (no underscore, no empty label, at most 253 octets),
/// with an optional single trailing dot. Used for reference names and SANs.
pub fn valid_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty() && name.len() <= 253 && name.split('.').all(valid_label)
}

/// A presented SAN dNSName: a valid name, or `*.` followed by a valid name of at
/// least two labels (so `*`, `*.com`, `f*.example.com`, `foo.*.example.com` are
/// refused).
pub fn valid_presented_dns(name: &str) -> bool {
    match name.strip_prefix("*.") {
        Some(rest) => valid_dns_name(rest) && rest.trim_end_matches('.').contains('.'),
        None => valid_dns_name(name),
    }
}

/// RFC 6125, 6.4.3 (as profiled by CABF BR 7.1.4.2): case-insensitive, one
/// trailing dot ignored, a wildcard only as the whole left-most label, matching
/// exactly one non-empty label.
pub fn dns_matches(presented: &str, reference: &str) -> bool {
    if !valid_presented_dns(presented) || !valid_dns_name(reference) {
        return false;
    }
    let p = presented.trim_end_matches('.');
    let r = reference.trim_end_matches('.');
    match p.strip_prefix("*.") {
        Some(suffix) => r
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(suffix)),
        None => p.eq_ignore_ascii_case(r),
    }
}

/// Why a name-constraint subtree itself is unusable, if it is.
pub fn invalid_subtree(base: &GeneralName<'_>) -> Option<&'static str> {
    match base {
        GeneralName::DNSName(c) => {
            // RFC 5280, 4.2.1.10: a DNS constraint is a name that labels are added to
            // on the left; the empty name constrains nothing. Wildcards and leading
            // periods are not part of the syntax.
            if c.is_empty() || valid_dns_name(c) {
                None
            } else {
                Some("a dNSName constraint that is not a DNS name")
            }
        }
        GeneralName::IPAddress(ip) => match ip.len() {
            8 | 32 if prefix_len(ip.get(ip.len() / 2..).unwrap_or_default()).is_some() => None,
            8 | 32 => Some("an iPAddress constraint with a non-contiguous mask"),
            _ => Some("an iPAddress constraint that is not an address and mask of 8 or 32 bytes"),
        },
        GeneralName::RFC822Name(c) => {
            let ok = match c.split_once('@') {
                Some((local, host)) => {
                    !local.is_empty() && !host.contains('@') && valid_dns_name(host)
                }
                None => valid_dns_name(c.strip_prefix('.').unwrap_or(c)),
            };
            if ok {
                None
            } else {
                Some("an rfc822Name constraint that is not a mailbox, host or domain")
            }
        }
        GeneralName::Invalid(..) => Some("a malformed name"),
        _ => None,
    }
}

/// Whether a presented SAN value is well formed (malformed ones match nothing and
/// fail any constraint of their type).
pub fn valid_presented(name: &GeneralName<'_>) -> bool {
    match name {
        GeneralName::DNSName(d) => valid_presented_dns(d),
        GeneralName::IPAddress(ip) => ip.len() == 4 || ip.len() == 16,
        GeneralName::RFC822Name(e) => valid_email(e),
        GeneralName::Invalid(..) => false,
        _ => true,
    }
}

fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, host)) => {
            !local.is_empty() && !host.contains('@') && e.is_ascii() && valid_dns_name(host)
        }
        None => false,
    }
}

/// Two names of the same GeneralName type (constraints of one type only apply
/// to names of that type).
pub fn same_type(a: &GeneralName<'_>, b: &GeneralName<'_>) -> bool {
    core::mem::discriminant(a) == core::mem::discriminant(b)
        && match (a, b) {
            (GeneralName::IPAddress(x), GeneralName::IPAddress(y)) => {
                // An IPv4 constraint (8 bytes) applies to IPv4 addresses (4 bytes).
                x.len() * 2 == y.len() || y.len() * 2 == x.len()
            }
            _ => true,
        }
}

/// Whether `name` lies inside the subtree `base` (both of the same type).
/// `excluding` widens the test for wildcard names: `*.example.com` overlaps an
/// excluded `bar.example.com` although it is not inside it.
pub fn in_subtree(name: &GeneralName<'_>, base: &GeneralName<'_>, excluding: bool) -> bool {
    match (name, base) {
        (GeneralName::DNSName(n), GeneralName::DNSName(c)) => {
            let n = n.trim_end_matches('.').to_ascii_lowercase();
            let c = c.trim_end_matches('.').to_ascii_lowercase();
            if dns_suffix(&n, &c) {
                return true;
            }
            // A wildcard covers every single label in its place.
            match (excluding, n.strip_prefix("*.")) {
                (true, Some(suffix)) => c
                    .split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
                _ => false,
            }
        }
        (GeneralName::IPAddress(ip), GeneralName::IPAddress(c)) => {
            if c.len() != ip.len() * 2 {
                return false;
            }
            let (base, mask) = c.split_at(ip.len());
            ip.iter()
                .zip(base)
                .zip(mask)
                .all(|((a, b), m)| a & m == b & m)
        }
        (GeneralName::RFC822Name(e), GeneralName::RFC822Name(c)) => email_in_subtree(e, c),
        (GeneralName::DirectoryName(n), GeneralName::DirectoryName(c)) => dn_in_subtree(n, c),
        (GeneralName::OtherName(t, v), GeneralName::OtherName(ct, cv)) => {
            // RFC 5280 leaves otherName matching to each type; fail closed: an
            // excluded type excludes every value, a permitted one needs equality.
            t == ct && (excluding || v == cv)
        }
        (GeneralName::URI(u), GeneralName::URI(c)) => {
            let host = uri_host(u).to_ascii_lowercase();
            let c = c.to_ascii_lowercase();
            match c.strip_prefix('.') {
                Some(_) => host.ends_with(&c),
                None => host == c,
            }
        }
        // Types we cannot compare: fail closed.
        _ => excluding,
    }
}

/// `name` equals `constraint` or is a subdomain of it, label-wise. An empty
/// constraint matches everything.
fn dns_suffix(name: &str, constraint: &str) -> bool {
    if constraint.is_empty() {
        return true;
    }
    name == constraint
        || name
            .strip_suffix(constraint)
            .is_some_and(|head| head.ends_with('.') && head.len() > 1)
}

fn email_in_subtree(email: &str, constraint: &str) -> bool {
    let Some((local, host)) = email.rsplit_once('@') else {
        return false;
    };
    match constraint.split_once('@') {
        // A whole mailbox: the local part is compared exactly, the host without case.
        Some((clocal, chost)) => local == clocal && host.eq_ignore_ascii_case(chost),
        None => match constraint.strip_prefix('.') {
            // Any host under the domain, not the domain itself.
            Some(domain) => {
                let host = host.to_ascii_lowercase();
                let domain = domain.to_ascii_lowercase();
                host.strip_suffix(&domain)
                    .is_some_and(|head| head.ends_with('.') && head.len() > 1)
            }
            None => host.eq_ignore_ascii_case(constraint),
        },
    }
}

fn uri_host(uri: &str) -> &str {
    let after_scheme = uri.split_once("://").map(|(_, r)| r).unwrap_or(uri);
    let authority = after_scheme.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority
        .rsplit_once('@')
        .map(|(_, h)| h)
        .unwrap_or(authority);
    host_port.split(':').next().unwrap_or("")
}

/// RFC 5280, 7.1: `name` is within `constraint` when the constraint's RDNs are a
/// prefix of the name's. Values compare case-insensitively with runs of spaces
/// collapsed (an approximation of RFC 4518 preparation).
pub fn dn_in_subtree(name: &X509Name<'_>, constraint: &X509Name<'_>) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let rdn_key = |rdn: &x509_parser::x509::RelativeDistinguishedName<'_>| {
        let mut attrs: Vec<(String, String)> = rdn
            .iter()
            .map(|a| {
                (
                    a.attr_type().to_id_string(),
                    a.as_str()
                        .map(norm)
                        .unwrap_or_else(|_| hex(a.attr_value().data)),
                )
            })
            .collect();
        attrs.sort();
        attrs
    };
    let mut names = name.iter_rdn();
    for c in constraint.iter_rdn() {
        match names.next() {
            Some(n) if rdn_key(n) == rdn_key(c) => {}
            _ => return false,
        }
    }
    true
}

/// The text CA/Browser Forum BR 7.1.4.3 asks for when a subject CN holds an IP
/// address: IPv4 in dotted decimal without leading zeros (RFC 3986, 3.2.2), IPv6 as
/// RFC 5952, 4 writes it. `None` unless `ip` is 4 or 16 bytes.
pub fn canonical_ip_text(ip: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(ip) {
        Some(std::net::Ipv4Addr::from(v4).to_string())
    } else {
        <[u8; 16]>::try_from(ip).ok().map(ipv6_rfc5952)
    }
}

/// RFC 5952, 4: lowercase hex (4.3), leading zeros suppressed (4.1), the longest run
/// of two or more zero groups written "::" (the first run on ties, 4.2.3), a single
/// zero group never shortened (4.2.2). No dotted IPv4 tail: that is section 5, which
/// `Ipv6Addr`'s `Display` follows for IPv4-mapped addresses.
pub fn ipv6_rfc5952(addr: [u8; 16]) -> String {
    let groups = std::net::Ipv6Addr::from(addr).segments();
    // The longest run of zero groups; the first wins ties.
    let (mut best_start, mut best_len, mut run_start, mut run_len) = (0, 0, 0, 0);
    for (i, g) in groups.iter().enumerate() {
        if *g != 0 {
            run_len = 0;
            continue;
        }
        if run_len == 0 {
            run_start = i;
        }
        run_len += 1;
        if run_len > best_len {
            (best_start, best_len) = (run_start, run_len);
        }
    }
    let compressed = if best_len >= 2 {
        best_start..best_start + best_len
    } else {
        0..0
    };
    let mut out = String::new();
    for (i, g) in groups.iter().enumerate() {
        if compressed.contains(&i) {
            if i == compressed.start {
                out.push_str("::");
            }
            continue;
        }
        if !out.is_empty() && !out.ends_with("::") {
            out.push(':');
        }
        out.push_str(&format!("{g:x}"));
    }
    out
}

/// Reads `text` as an IP address the loose ways people write one: IPv6 as
/// `Ipv6Addr` parses it (any case, leading zeros, uncompressed); IPv4 as inet_aton
/// does (one to four parts, decimal or 0x hex), except that leading zeros are read
/// as decimal, not octal. Only for explaining a non-canonical CN, never for matching.
pub fn parse_ip_leniently(text: &str) -> Option<IpAddr> {
    if text.contains(':') {
        return text.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let parts: Vec<u64> = text
        .split('.')
        .map(|p| {
            let (digits, radix) = match p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
                Some(h) => (h, 16),
                None => (p, 10),
            };
            let digit = |b: u8| match radix {
                16 => b.is_ascii_hexdigit(),
                _ => b.is_ascii_digit(),
            };
            if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(digit) {
                return None;
            }
            u64::from_str_radix(digits, radix).ok()
        })
        .collect::<Option<_>>()?;
    // inet_aton: the last part fills all the bytes the earlier parts leave.
    let (last, head) = parts.split_last()?;
    if head.len() > 3 || head.iter().any(|p| *p > 0xff) {
        return None;
    }
    let tail_bits = 8 * (4 - head.len() as u32);
    if *last >= 1u64 << tail_bits {
        return None;
    }
    let value = head
        .iter()
        .fold(0u64, |acc, p| (acc << 8) | p)
        .checked_shl(tail_bits)?
        | last;
    u32::try_from(value)
        .ok()
        .map(|v| IpAddr::V4(std::net::Ipv4Addr::from(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_matching() {
        assert!(dns_matches("example.com", "EXAMPLE.com."));
        assert!(dns_matches("*.example.com", "foo.example.com"));
        assert!(!dns_matches("*.example.com", "example.com"));
        assert!(!dns_matches("*.example.com", "a.b.example.com"));
        assert!(!dns_matches("*.com", "example.com"));
        assert!(!dns_matches("*", "com"));
        assert!(!dns_matches("ba*.example.com", "baz.example.com"));
        assert!(!dns_matches("foo.*.example.com", "foo.bar.example.com"));
        assert!(!dns_matches("foo_bar.example.com", "foo_bar.example.com"));
        assert!(!dns_matches(".example.com", "foo.example.com"));
        assert!(!dns_matches(
            "xn--*-1b3c148a.example.com",
            "xn--bliss-1b3c148a.example.com"
        ));
    }

    #[test]
    fn dns_subtrees() {
        let n = |s| GeneralName::DNSName(s);
        assert!(in_subtree(
            &n("foo.bar.example.com"),
            &n("example.com"),
            false
        ));
        assert!(in_subtree(&n("example.com"), &n("example.com"), false));
        assert!(!in_subtree(&n("notexample.com"), &n("example.com"), false));
        assert!(in_subtree(&n("*.foo.com"), &n("foo.com"), false));
        assert!(!in_subtree(
            &n("*.example.com"),
            &n("foo.example.com"),
            false
        ));
        assert!(in_subtree(&n("*.example.com"), &n("bar.example.com"), true));
        assert!(in_subtree(&n("anything.test"), &n(""), false));
    }

    #[test]
    fn ip_and_email_subtrees() {
        let net = GeneralName::IPAddress(&[192, 0, 2, 0, 255, 255, 255, 0]);
        assert!(in_subtree(
            &GeneralName::IPAddress(&[192, 0, 2, 9]),
            &net,
            false
        ));
        assert!(!in_subtree(
            &GeneralName::IPAddress(&[192, 0, 3, 9]),
            &net,
            false
        ));
        assert_eq!(
            ip_to_string(&[192, 0, 2, 0, 255, 255, 255, 0]),
            "192.0.2.0/24"
        );
        assert!(invalid_subtree(&GeneralName::IPAddress(&[1, 2, 3, 4])).is_some());
        assert!(invalid_subtree(&GeneralName::IPAddress(&[1, 2, 3, 4, 255, 0, 255, 0])).is_some());
        let e = |s| GeneralName::RFC822Name(s);
        assert!(in_subtree(&e("foo@example.com"), &e("example.com"), false));
        assert!(in_subtree(&e("*@example.com"), &e("*@example.com"), false));
        assert!(!in_subtree(
            &e("user@example.com"),
            &e("*@example.com"),
            false
        ));
        assert!(!in_subtree(
            &e("*@sub.example.com"),
            &e("*@example.com"),
            false
        ));
        assert!(in_subtree(
            &e("a@sub.example.com"),
            &e(".example.com"),
            false
        ));
        assert!(!in_subtree(&e("a@example.com"), &e(".example.com"), false));
        assert!(!valid_presented(&e("invalid@address@example.com")));
    }

    fn v6(text: &str) -> String {
        ipv6_rfc5952(text.parse::<std::net::Ipv6Addr>().unwrap().octets())
    }

    #[test]
    fn rfc5952_text() {
        // RFC 5952, 4.1: leading zeros suppressed; 4.3: lowercase.
        assert_eq!(v6("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
        assert_eq!(v6("2001:DB8::8A2E:370:7334"), "2001:db8::8a2e:370:7334");
        // 4.2.1: "::" used to its maximum capability.
        assert_eq!(v6("2001:db8:0:0:0:0:2:1"), "2001:db8::2:1");
        // 4.2.2: a single 0 group is not shortened.
        assert_eq!(v6("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
        // 4.2.3: the longest run; on ties, the first.
        assert_eq!(v6("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
        assert_eq!(v6("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        // Runs at either end, and the extremes.
        assert_eq!(v6("::"), "::");
        assert_eq!(v6("::1"), "::1");
        assert_eq!(v6("1::"), "1::");
        assert_eq!(v6("0:0:1:0:0:0:1:0"), "0:0:1::1:0");
        assert_eq!(
            v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        // Section 4 only: no dotted IPv4 tail (section 5), unlike Ipv6Addr's Display.
        assert_eq!(v6("::ffff:192.0.2.1"), "::ffff:c000:201");
        // Everything else agrees with Ipv6Addr's Display, which also follows RFC 5952.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..5_000 {
            let mut segments = [0u16; 8];
            for s in segments.iter_mut() {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *s = match x >> 61 {
                    0..=4 => 0,
                    5 => 1,
                    6 => 0x0db8,
                    _ => (x >> 16) as u16,
                };
            }
            let a = std::net::Ipv6Addr::from(segments);
            if a.to_ipv4_mapped().is_some() {
                continue;
            }
            assert_eq!(ipv6_rfc5952(a.octets()), a.to_string(), "{segments:x?}");
        }
        assert_eq!(canonical_ip_text(&[192, 168, 1, 1]).unwrap(), "192.168.1.1");
        assert_eq!(canonical_ip_text(&[0; 16]).unwrap(), "::");
        assert_eq!(canonical_ip_text(&[1, 2, 3]), None);
    }

    #[test]
    fn lenient_ip_reading() {
        let ip = |s: &str| parse_ip_leniently(s).map(|a| a.to_string());
        assert_eq!(ip("192.168.1.1").as_deref(), Some("192.168.1.1"));
        assert_eq!(ip("192.168.001.001").as_deref(), Some("192.168.1.1"));
        assert_eq!(ip("0xC0A80101").as_deref(), Some("192.168.1.1"));
        assert_eq!(ip("0xc0.0xa8.1.1").as_deref(), Some("192.168.1.1"));
        assert_eq!(ip("192.168.257").as_deref(), Some("192.168.1.1"));
        assert_eq!(ip("10.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(
            ip("2001:DB8::8A2E:370:7334").as_deref(),
            Some("2001:db8::8a2e:370:7334")
        );
        for bad in [
            "",
            "example.com",
            "1.2.3.4.5",
            "256.1.1.1",
            "1.2.3.256",
            "0x",
            "1..2",
            "0x1g",
            "4294967296",
            "::g",
            "+1.2.3.4",
            "1.-2.3.4",
        ] {
            assert_eq!(ip(bad), None, "{bad}");
        }
    }
}
