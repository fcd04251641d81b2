//! A readable narration of a handshake, message by message.

use std::io::Write;
use std::sync::Mutex;

use ferrotls::msgs::enums::ExtensionType;
use ferrotls::msgs::{
    ClientExtension, HandshakeMessage, HandshakeMessage12, HandshakePayload, HandshakePayload12,
    ServerExtension,
};
use ferrotls::observe::{Direction, Event, Observer, Protection};
use ferrotls::pki::ParsedCert;

use crate::common::{self, Palette};

/// Prints handshake events to a writer as they happen, prefixed with the side;
/// in colour when `palette` says so.
pub struct TracePrinter {
    side: &'static str,
    out: Mutex<Box<dyn Write + Send>>,
    show_secrets: bool,
    palette: Palette,
}

impl TracePrinter {
    pub fn new(
        side: &'static str,
        out: Box<dyn Write + Send>,
        show_secrets: bool,
        palette: Palette,
    ) -> Self {
        TracePrinter {
            side,
            out: Mutex::new(out),
            show_secrets,
            palette,
        }
    }

    fn line(&self, text: &str) {
        if let Ok(mut out) = self.out.lock() {
            let side = self
                .palette
                .paint(Palette::DIM, &format!("[{}]", self.side));
            for l in text.lines() {
                let _ = writeln!(out, "{side} {l}");
            }
        }
    }

    /// `->` for sent, `<-` for received, coloured by direction.
    fn arrow(&self, direction: Direction) -> String {
        match direction {
            Direction::Sent => self.palette.paint(Palette::CYAN, "->"),
            Direction::Received => self.palette.paint(Palette::MAGENTA, "<-"),
        }
    }
}

impl std::fmt::Debug for TracePrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TracePrinter")
            .field("side", &self.side)
            .finish()
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn short_hex(b: &[u8]) -> String {
    if b.len() <= 16 {
        hex(b)
    } else {
        format!(
            "{}..{} ({} bytes)",
            hex(&b[..8]),
            hex(&b[b.len() - 4..]),
            b.len()
        )
    }
}

fn join<T: std::fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn protocols(p: &[Vec<u8>]) -> String {
    p.iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Describes one handshake message in a few indented lines.
pub fn describe(msg: &HandshakeMessage) -> Vec<String> {
    let mut out = Vec::new();
    match &msg.payload {
        HandshakePayload::ClientHello(ch) => {
            out.push(format!("legacy_version: {}", ch.legacy_version));
            out.push(format!("random: {}", hex(&ch.random)));
            out.push(format!("session_id: {}", short_hex(&ch.session_id)));
            out.push(format!("cipher_suites: {}", join(&ch.cipher_suites)));
            for ext in &ch.extensions {
                out.push(match ext {
                    ClientExtension::ServerName(names) => format!(
                        "server_name: {}",
                        names
                            .iter()
                            .map(|n| String::from_utf8_lossy(&n.name).into_owned())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    ClientExtension::SupportedVersions(v) => {
                        format!("supported_versions: {}", join(v))
                    }
                    ClientExtension::SupportedGroups(g) => format!("supported_groups: {}", join(g)),
                    ClientExtension::SignatureAlgorithms(s) => {
                        format!("signature_algorithms: {}", join(s))
                    }
                    ClientExtension::KeyShare(shares) => format!(
                        "key_share: {}",
                        shares
                            .iter()
                            .map(|s| format!("{} ({} bytes)", s.group, s.payload.len()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    ClientExtension::Alpn(p) => format!("alpn: {}", protocols(p)),
                    ClientExtension::PskKeyExchangeModes(m) => {
                        format!("psk_key_exchange_modes: {}", join(m))
                    }
                    ClientExtension::Cookie(c) => format!("cookie: {}", short_hex(c)),
                    ClientExtension::Unknown { typ, data }
                        if *typ == ExtensionType::EncryptedClientHello =>
                    {
                        describe_ech_offer(data)
                    }
                    other => format!("{} extension", other.ext_type()),
                });
            }
        }
        HandshakePayload::ServerHello(sh) => {
            if !sh.is_hello_retry_request() {
                out.push(format!("random: {}", hex(&sh.random)));
            }
            out.push(format!("cipher_suite: {}", sh.cipher_suite));
            for ext in &sh.extensions {
                out.push(describe_server_ext(ext));
            }
        }
        HandshakePayload::EncryptedExtensions(ee) => {
            if ee.extensions.is_empty() {
                out.push("(no extensions)".into());
            }
            for ext in &ee.extensions {
                out.push(describe_server_ext(ext));
            }
        }
        HandshakePayload::CertificateRequest(cr) => {
            if let Some(s) = cr.signature_algorithms() {
                out.push(format!("signature_algorithms: {}", join(s)));
            }
        }
        HandshakePayload::Certificate(c) => {
            out.extend(describe_certs(c.entries.iter().map(|e| e.cert.as_slice())));
        }
        HandshakePayload::CertificateVerify(cv) => {
            out.push(format!("scheme: {}", cv.scheme));
            out.push(format!("signature: {}", short_hex(&cv.signature)));
        }
        HandshakePayload::Finished(f) => out.push(format!("verify_data: {}", hex(&f.verify_data))),
        HandshakePayload::NewSessionTicket(t) => out.push(format!(
            "lifetime: {} s, ticket: {} bytes",
            t.lifetime,
            t.ticket.len()
        )),
        HandshakePayload::KeyUpdate(k) => out.push(format!("request_update: {}", k.0)),
        _ => {}
    }
    // Names, protocols and certificate fields are the peer's choice.
    out.iter().map(|l| common::printable(l)).collect()
}

/// Describes a TLS 1.2 handshake message.
pub fn describe12(msg: &HandshakeMessage12) -> Vec<String> {
    let mut out = Vec::new();
    match &msg.payload {
        HandshakePayload12::ClientHello(ch) => {
            return describe(&HandshakeMessage::new(HandshakePayload::ClientHello(
                ch.clone(),
            )))
        }
        HandshakePayload12::ServerHello(sh) => {
            return describe(&HandshakeMessage::new(HandshakePayload::ServerHello(
                sh.clone(),
            )))
        }
        HandshakePayload12::Certificate(c) => {
            out.extend(describe_certs(c.certs.iter().map(|c| c.as_slice())))
        }
        HandshakePayload12::ServerKeyExchange(ske) => {
            out.push(format!(
                "ECDHE group: {} (public point {} bytes)",
                ske.group,
                ske.public.len()
            ));
            out.push(format!("signed with: {}", ske.scheme));
        }
        HandshakePayload12::ClientKeyExchange(cke) => {
            out.push(format!("exchange key: {} bytes", cke.body.len()))
        }
        HandshakePayload12::NewSessionTicket(t) => out.push(format!(
            "lifetime hint: {} s, ticket: {} bytes",
            t.lifetime_hint,
            t.ticket.len()
        )),
        HandshakePayload12::Finished(f) => {
            out.push(format!("verify_data: {}", hex(&f.verify_data)))
        }
        _ => {}
    }
    // Names, protocols and certificate fields are the peer's choice.
    out.iter().map(|l| common::printable(l)).collect()
}

fn describe_certs<'a>(certs: impl Iterator<Item = &'a [u8]>) -> Vec<String> {
    let mut out = Vec::new();
    for (i, der) in certs.enumerate() {
        match ParsedCert::parse(der) {
            Ok(p) => {
                out.push(format!("[{i}] subject: {}", p.subject));
                out.push(format!("    issuer: {}", p.issuer));
                let mut sans: Vec<String> =
                    p.dns_names.iter().map(|d| format!("DNS:{d}")).collect();
                sans.extend(p.ip_addresses.iter().map(|ip| format!("IP:{ip}")));
                if sans.is_empty() {
                    out.push("    SAN: none".into());
                } else {
                    out.push(format!("    SAN: {}", sans.join(", ")));
                }
                out.push(format!(
                    "    valid: {} to {}",
                    fmt_time(p.not_before),
                    fmt_time(p.not_after)
                ));
                let role = if i == 0 {
                    ferrotls::pki::CertRole::EndEntity
                } else {
                    ferrotls::pki::CertRole::Intermediate
                };
                if let Ok(entry) = ferrotls::pki::describe_certificate(der, role) {
                    out.push(format!("    key: {}", entry.key));
                }
            }
            Err(e) => out.push(format!("[{i}] unparseable: {e}")),
        }
    }
    out
}

fn describe_server_ext(ext: &ServerExtension) -> String {
    match ext {
        ServerExtension::SupportedVersions(v) => format!("supported_versions: {v}"),
        ServerExtension::KeyShare(k) => {
            format!("key_share: {} ({} bytes)", k.group, k.payload.len())
        }
        ServerExtension::HrrKeyShare(g) => format!("key_share: please send {g}"),
        ServerExtension::Alpn(p) => format!("alpn: {}", String::from_utf8_lossy(p)),
        ServerExtension::ServerNameAck => "server_name: acknowledged".into(),
        ServerExtension::Cookie(c) => format!("cookie: {}", short_hex(c)),
        // draft-ietf-tls-esni, 5: a confirmation in HelloRetryRequest, retry
        // configurations in EncryptedExtensions.
        ServerExtension::Unknown { typ, data } if *typ == ExtensionType::EncryptedClientHello => {
            match ferrotls::ech::parse_config_list(data) {
                Ok(configs) => format!(
                    "encrypted_client_hello: retry configurations {}",
                    configs
                        .iter()
                        .map(|c| format!(
                            "(config_id {}, public name {})",
                            c.config_id, c.public_name
                        ))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Err(_) => format!("encrypted_client_hello: {}", short_hex(data)),
            }
        }
        other => format!("{} extension", other.ext_type()),
    }
}

/// The ClientHello's encrypted_client_hello extension (draft-ietf-tls-esni, 5).
fn describe_ech_offer(data: &[u8]) -> String {
    use ferrotls::crypto::hpke::{HpkeAead, HpkeKdf};
    match ferrotls::ech::EchClientHello::read(data) {
        Ok(ferrotls::ech::EchClientHello::Outer {
            kdf,
            aead,
            config_id,
            enc,
            payload,
        }) => {
            let kdf = HpkeKdf::from_id(kdf).map_or(format!("KDF {kdf:#06x}"), |k| k.to_string());
            let aead =
                HpkeAead::from_id(aead).map_or(format!("AEAD {aead:#06x}"), |a| a.to_string());
            format!(
                "encrypted_client_hello: outer, config_id {config_id}, {kdf} with {aead}, \
                 enc {} bytes, encrypted inner ClientHello {} bytes",
                enc.len(),
                payload.len()
            )
        }
        Ok(ferrotls::ech::EchClientHello::Inner) => "encrypted_client_hello: inner".into(),
        Err(_) => format!("encrypted_client_hello: {}", short_hex(data)),
    }
}

/// Formats seconds since the epoch as an RFC 3339 UTC time.
pub fn fmt_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl TracePrinter {
    fn message(
        &self,
        direction: Direction,
        protection: Protection,
        name: &str,
        len: usize,
        lines: Vec<String>,
    ) {
        let arrow = self.arrow(direction);
        let how = match protection {
            Protection::Plaintext => "plaintext",
            Protection::EarlyData => "encrypted with the 0-RTT key",
            Protection::Handshake => "encrypted with handshake keys",
            Protection::Application => "encrypted with application keys",
            Protection::EncryptedClientHello => {
                "inner, HPKE-encrypted in the outer ClientHello (ECH)"
            }
        };
        let p = self.palette;
        let mut text = format!(
            "{arrow} {} {}",
            p.paint(Palette::BOLD, name),
            p.paint(Palette::DIM, &format!("({len} bytes, {how})"))
        );
        for l in lines {
            text.push_str("\n     ");
            text.push_str(&l);
        }
        self.line(&text);
    }
}

impl Observer for TracePrinter {
    fn event(&self, event: &Event<'_>) {
        match event {
            Event::Message {
                direction,
                protection,
                message,
                raw,
            } => self.message(
                *direction,
                *protection,
                message.name(),
                raw.len(),
                describe(message),
            ),
            Event::Message12 {
                direction,
                protection,
                message,
                raw,
            } => self.message(
                *direction,
                *protection,
                message.name(),
                raw.len(),
                describe12(message),
            ),
            Event::ChangeCipherSpec { direction } => {
                self.line(&format!("{} change_cipher_spec", self.arrow(*direction)))
            }
            Event::Secret { label, secret } => {
                let p = self.palette;
                if self.show_secrets {
                    self.line(&format!(
                        "   {} {label}: {}",
                        p.paint(Palette::YELLOW, "secret"),
                        hex(secret)
                    ));
                } else {
                    self.line(&p.paint(Palette::DIM, &format!("   derived {label}")));
                }
            }
            Event::Alert {
                direction,
                description,
            } => self.line(&format!(
                "{} {}",
                self.arrow(*direction),
                self.palette
                    .paint(Palette::RED, &format!("alert {description}"))
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        assert_eq!(fmt_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt_time(1_772_323_200), "2026-03-01T00:00:00Z");
    }
}
