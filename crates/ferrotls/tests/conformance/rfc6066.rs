//! RFC 6066 (TLS extensions): server_name (3).

use ferrotls::msgs::enums::{AlertDescription as A, ExtensionType, ServerNameType};
use ferrotls::msgs::{ClientExtension, ServerNameEntry};

use crate::pair::Side;
use crate::peer::{
    answered_hello, before_hello, extension_body_offset, refused, same, send_hello, set_extension,
    Check,
};
use crate::registry::Deviation;

fn host_name(name: &[u8]) -> ServerNameEntry {
    ServerNameEntry {
        name_type: ServerNameType::HostName,
        name: name.to_vec(),
    }
}

/// Sends the usual ClientHello with these server_name entries; the server must
/// refuse it with illegal_parameter and `text`.
fn names_refused(names: Vec<ServerNameEntry>, text: &str) -> Check {
    let (mut p, mut ch) = before_hello();
    set_extension(&mut ch, ClientExtension::ServerName(names));
    let outcome = send_hello(&mut p, &ch);
    refused(&mut p, Side::Server, outcome, A::IllegalParameter, text)
}

fn bad_name_text(shown: &str, reason: &str) -> String {
    format!(
        "the client's server_name \"{shown}\" is not a valid DNS host name (RFC 6066, 3): {reason}"
    )
}

/// Sends a ClientHello naming `name`; the server must answer it with a ServerHello
/// and take `negotiated` as the server name.
fn name_answered(name: &[u8], negotiated: Option<&str>) -> Check {
    let (mut p, mut ch) = before_hello();
    set_extension(&mut ch, ClientExtension::ServerName(vec![host_name(name)]));
    let outcome = send_hello(&mut p, &ch);
    answered_hello(&mut p, outcome, false)?;
    same(
        "server name taken",
        p.server.negotiated().server_name.as_deref(),
        negotiated,
    )
}

rules! {
    rfc: "RFC 6066";

    /// RFC 6066, 3: "HostName contains the fully qualified DNS hostname of the
    /// server, as understood by the client. The hostname is represented as a byte
    /// string using ASCII encoding". No host name holds a control character; one
    /// that does (ESC, BEL: terminal escapes) is illegal_parameter, and the error
    /// shows it escaped.
    "3", "host_name with a control character is illegal_parameter" =>
    fn host_name_with_a_control_character_is_illegal_parameter() {
        names_refused(
            vec![host_name(b"evil\x1b[31m.example")],
            &bad_name_text("evil\\x1b[31m.example", "it contains a control character"),
        )?;
        names_refused(
            vec![host_name(b"bell\x07.example")],
            &bad_name_text("bell\\x07.example", "it contains a control character"),
        )
    }

    /// RFC 6066, 3: "The ServerNameList MUST NOT contain more than one name of the
    /// same name_type." Two host_name entries are illegal_parameter.
    "3", "two host_name entries are illegal_parameter" =>
    fn two_host_names_are_illegal_parameter() {
        let (mut p, mut ch) = before_hello();
        let names = vec![host_name(b"localhost"), host_name(b"other.example")];
        set_extension(&mut ch, ClientExtension::ServerName(names));
        // The second entry: list length, then the first entry (type, length, name).
        let at = extension_body_offset(&ch, ExtensionType::ServerName) + 2 + 3 + 9;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::IllegalParameter, &format!(
            "peer sent a malformed ClientHello: field server_name_list at byte {at}: value 0x0 appears more than once"))
    }

    /// RFC 6066, 3: a HostName is a DNS host name; names that are not one (empty
    /// or over-long labels, spaces, raw UTF-8, leading hyphens) are illegal_parameter.
    "3", "host_name that is not a DNS host name is illegal_parameter" =>
    fn host_name_that_is_not_a_dns_name_is_illegal_parameter() {
        let long = format!("{}.example", "a".repeat(64));
        let longest = ["a".repeat(63).as_str(); 4].join(".");
        let cases: [(&[u8], &str, &str); 6] = [
            (longest.as_bytes(), &longest, "it is longer than 253 bytes"),
            (b"a..example", "a..example", "one of its labels is empty"),
            (b"two words.example", "two words.example", "it holds a byte other than a letter, digit, hyphen, underscore or dot"),
            ("café.example".as_bytes(), "caf\\xc3\\xa9.example", "it holds a byte other than a letter, digit, hyphen, underscore or dot"),
            (b"-lead.example", "-lead.example", "one of its labels begins or ends with a hyphen"),
            (long.as_bytes(), &long, "one of its labels is longer than 63 bytes"),
        ];
        for (name, shown, reason) in cases {
            names_refused(vec![host_name(name)], &bad_name_text(shown, reason))
                .map_err(|e| format!("{shown}: {e}"))?;
        }
        Ok(())
    }

    /// RFC 6066, 3: "If the server understood the ClientHello extension but does
    /// not recognize the server name, the server SHOULD take one of two actions:
    /// either abort the handshake by sending a fatal-level unrecognized_name(112)
    /// alert or continue the handshake." ferrotls continues with its default
    /// certificate, as mainstream servers do.
    "3", "well-formed unknown host_name continues the handshake" =>
    fn unknown_host_name_continues_the_handshake() {
        name_answered(b"Unknown.Example", Some("unknown.example"))
    }

    /// RFC 6066, 3: "Literal IPv4 and IPv6 addresses are not permitted in
    /// "HostName"." Deliberately accepted and ignored (see DEVIATIONS).
    "3", "IP literal host_name is ignored" =>
    fn ip_literal_host_name_is_ignored() {
        name_answered(b"192.0.2.1", None)?;
        name_answered(b"2001:db8::1", None)
    }
}

/// What ferrotls does not enforce of RFC 6066, and why.
pub const DEVIATIONS: &[Deviation] = &[
    Deviation {
        rfc: "RFC 6066",
        section: "3",
        rule: "Literal IPv4 and IPv6 addresses are not permitted in HostName",
        reason: "clients do send them (OpenSSL's s_client -servername, some Java and embedded stacks) and OpenSSL, Go and rustls accept them; they name no certificate, so ferrotls ignores them",
    },
    Deviation {
        rfc: "RFC 6066",
        section: "3",
        rule: "HostName is represented without a trailing dot",
        reason: "clients pass the dot of absolute names through; OpenSSL accepts it; ferrotls takes the name without it",
    },
];
