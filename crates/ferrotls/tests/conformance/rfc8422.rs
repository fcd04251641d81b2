//! RFC 8422 (ECC for TLS 1.2): curve choice without supported_groups (4).

use ferrotls::msgs::enums::{ExtensionType, HandshakeType, NamedGroup};

use crate::pair::{split_records, Side};
use crate::peer::{
    before_hello_with, client, ensure, same, send_hello, server, without, Check, TLS12,
};

/// Sends a TLS 1.2 ClientHello without supported_groups and ec_point_formats to a
/// server configured with `groups`; it must answer with a ServerKeyExchange for
/// `want`.
fn curve_chosen(groups: Option<&[NamedGroup]>, want: NamedGroup) -> Check {
    let server = match groups {
        Some(g) => server().groups(g),
        None => server(),
    };
    let (mut p, mut ch) = before_hello_with(client().versions(TLS12), server);
    without(&mut ch, ExtensionType::SupportedGroups);
    without(&mut ch, ExtensionType::EcPointFormats);
    let outcome = send_hello(&mut p, &ch);
    if let Err(e) = outcome {
        return Err(format!("the server refused the ClientHello: {e}"));
    }
    let flight = p.take(Side::Server);
    let messages = split_records(&flight)
        .into_iter()
        .flat_map(|r| r.payload)
        .collect::<Vec<u8>>();
    // ServerKeyExchange: ECParameters = curve_type named_curve (3), NamedCurve.
    let at = find_message(&messages, HandshakeType::ServerKeyExchange)
        .ok_or("the server sent no ServerKeyExchange")?;
    ensure(messages.get(at + 4) == Some(&3), || {
        "not a named curve".into()
    })?;
    let group = messages
        .get(at + 5..at + 7)
        .map(|b| NamedGroup::from_wire(u16::from_be_bytes([b[0], b[1]])));
    same("curve", group, Some(want))
}

rules! {
    rfc: "RFC 8422";

    /// RFC 8422, 4: "A client that proposes ECC cipher suites may choose not to
    /// include these extensions. In this case, the server is free to choose any
    /// one of the elliptic curves or point formats listed in Section 5." ferrotls
    /// picks secp256r1, as OpenSSL does, and completes the ECDHE handshake.
    "4", "ECDHE without supported_groups uses secp256r1" =>
    fn ecdhe_without_supported_groups_uses_secp256r1() {
        curve_chosen(None, NamedGroup::secp256r1)
    }

    /// RFC 8422, 4: the same where the server has no secp256r1 enabled: it takes
    /// its first group that TLS 1.2 can use rather than failing.
    "4", "ECDHE without supported_groups on a server without secp256r1 uses its own first group" =>
    fn ecdhe_without_supported_groups_uses_the_servers_first_group() {
        curve_chosen(Some(&[NamedGroup::X25519MLKEM768, NamedGroup::X25519]), NamedGroup::X25519)?;
        curve_chosen(Some(&[NamedGroup::secp384r1, NamedGroup::X25519]), NamedGroup::secp384r1)
    }
}

/// Where the first message of type `typ` starts in a run of handshake messages.
fn find_message(bytes: &[u8], typ: HandshakeType) -> Option<usize> {
    let mut at = 0;
    while let Some(header) = bytes.get(at..at + 4) {
        if header[0] == typ.to_wire() {
            return Some(at);
        }
        at += 4
            + (usize::from(header[1]) << 16 | usize::from(header[2]) << 8 | usize::from(header[3]));
    }
    None
}
