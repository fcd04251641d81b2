//! RFC 8422 (ECC for TLS 1.2), more rules: point formats (5.1.2, 5.2) and the
//! validation of received points (5.11), on both sides.

use ferrotls::msgs::enums::{AlertDescription as A, ECPointFormat, HandshakeType, NamedGroup};
use ferrotls::msgs::{ClientExtension, ServerExtension};

use crate::peer::{answered_hello, before_hello_with, send_hello, server, set_extension, Check};
use crate::rfc5246_more::{
    at, client12, client_flight_refused_with, edit_first, fix_len, hello12_refused,
    server_flight_refused,
};

/// Replaces the ClientKeyExchange's point (sent by a client of `groups`).
fn point_refused(groups: &[NamedGroup], point: Vec<u8>, text: &str) -> Check {
    client_flight_refused_with(
        client12().groups(groups),
        |r, _| {
            let i = at(r, HandshakeType::ClientKeyExchange);
            let m = &mut r[i].payload;
            m.truncate(4);
            m.push(u8::try_from(point.len()).expect("a short point"));
            m.extend_from_slice(&point);
            fix_len(m);
        },
        A::IllegalParameter,
        text,
    )
}

rules! {
    rfc: "RFC 8422";

    /// RFC 8422, 5.1.2: "If the client sends the extension and the extension does
    /// not contain the uncompressed point format, and the client has used the
    /// Supported Groups extension to indicate support for any of the curves
    /// defined in this specification, then the server MUST abort the handshake and
    /// return an illegal_parameter alert."
    "5.1.2", "ec_point_formats without uncompressed is illegal_parameter" =>
    fn point_formats_without_uncompressed_is_illegal_parameter() {
        hello12_refused(|ch| set_extension(ch, ClientExtension::EcPointFormats(vec![ECPointFormat::ANSIX962CompressedPrime])),
            A::IllegalParameter, "peer's ClientHello has an illegal ec_point_formats: must include uncompressed (RFC 8422, 5.1.2)")
    }

    /// RFC 8422, 5.1.2: `ECPointFormat ec_point_format_list<1..2^8-1>`: an empty
    /// list is out of range (decode_error).
    "5.1.2", "empty ec_point_formats is decode_error" =>
    fn empty_point_formats_is_decode_error() {
        hello12_refused(|ch| set_extension(ch, ClientExtension::EcPointFormats(Vec::new())),
            A::DecodeError, "peer sent a malformed ClientHello: field ec_point_format_list at byte 149: must not be empty")
    }

    /// RFC 8422, 5.1.2: a list with uncompressed among others is fine; the server
    /// answers and uses uncompressed points.
    "5.1.2", "ec_point_formats with uncompressed among others is accepted" =>
    fn point_formats_with_uncompressed_among_others_is_accepted() {
        let (mut p, mut ch) = before_hello_with(client12(), server());
        set_extension(&mut ch, ClientExtension::EcPointFormats(vec![
            ECPointFormat::ANSIX962CompressedPrime, ECPointFormat::Uncompressed, ECPointFormat::Unknown(9)]));
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8422, 5.2: the server's ec_point_formats follows 5.1.2's syntax and
    /// "MUST contain the value 0 (uncompressed)"; the client refuses one without.
    "5.2", "ServerHello ec_point_formats without uncompressed is illegal_parameter" =>
    fn server_point_formats_without_uncompressed_is_illegal_parameter() {
        server_flight_refused(|r| edit_first(r, |sh| {
            sh.extensions.retain(|e| !matches!(e, ServerExtension::EcPointFormats(_)));
            sh.extensions.push(ServerExtension::EcPointFormats(vec![ECPointFormat::ANSIX962CompressedPrime]));
        }), A::IllegalParameter, "peer's ServerHello has an illegal ec_point_formats: must include uncompressed (RFC 8422, 5.2)")
    }

    /// RFC 8422, 5.11: "With X25519 and X448, a receiving party MUST check whether
    /// the computed premaster secret is the all-zero value and abort the handshake
    /// if so"; the all-zero public key gives that secret.
    "5.11", "all-zero X25519 ClientKeyExchange is illegal_parameter" =>
    fn all_zero_x25519_client_key_exchange_is_illegal_parameter() {
        point_refused(&[NamedGroup::X25519], vec![0; 32], "peer's x25519 key share is not a valid public key")
    }

    /// RFC 8422, 5.11: "the receiving party MUST check that the x and y parameters
    /// from the peer's public value satisfy the curve equation, y^2 = x^3 + ax + b
    /// mod p": a secp256r1 point off the curve.
    "5.11", "secp256r1 ClientKeyExchange off the curve is illegal_parameter" =>
    fn secp256r1_client_key_exchange_off_the_curve_is_illegal_parameter() {
        let mut point = vec![4];
        point.extend_from_slice(&[0xff; 64]);
        point_refused(&[NamedGroup::secp256r1], point, "peer's secp256r1 key share is not a valid public key")
    }

    /// RFC 8422, 5.1.2 and 5.7: only the uncompressed form is negotiated; a
    /// compressed secp256r1 point in the ClientKeyExchange is refused.
    "5.7", "compressed secp256r1 ClientKeyExchange is illegal_parameter" =>
    fn compressed_secp256r1_client_key_exchange_is_illegal_parameter() {
        let mut point = vec![2];
        point.extend_from_slice(&[0x11; 32]);
        point_refused(&[NamedGroup::secp256r1], point, "peer's secp256r1 key share is not a valid public key")
    }

}
