//! RFC 8446 (TLS 1.3): malformed ClientHello fields and extension bodies (4.1.2,
//! 4.2), each refused by the server with decode_error where the encoding is wrong
//! and illegal_parameter where a value is, and what the server must accept.

use ferrotls::msgs::enums::{AlertDescription as A, ExtensionType, NamedGroup, ProtocolVersion};
use ferrotls::msgs::{ClientExtension, OfferedPsks, PskIdentity, ServerNameEntry};

use crate::pair::Side;
use crate::peer::{
    answered_hello, before_hello, extension_body_offset, hello_bytes, in_records, message, refused,
    same, send_hello, set_extension, Check,
};

/// Sends the usual ClientHello with the body of its `typ` extension replaced by
/// `data`; the server must refuse it with decode_error and the error must name
/// `field` at `delta` bytes into the extension body.
fn body_refused(typ: ExtensionType, data: Vec<u8>, field: &str, delta: usize, kind: &str) -> Check {
    let (mut p, mut ch) = before_hello();
    set_extension(&mut ch, ClientExtension::Unknown { typ, data });
    let at = extension_body_offset(&ch, typ) + delta;
    let outcome = send_hello(&mut p, &ch);
    refused(
        &mut p,
        Side::Server,
        outcome,
        A::DecodeError,
        &format!("peer sent a malformed ClientHello: field {field} at byte {at}: {kind}"),
    )
}

/// The usual ClientHello's body with `edit` applied to its encoding after the
/// random (legacy_session_id onwards), sent as a ClientHello message; the server
/// must refuse it with decode_error and `text` (with `{at}` the offset given).
fn fixed_fields_refused(edit: impl FnOnce(&mut Vec<u8>) -> usize, text: &str) -> Check {
    let (mut p, ch) = before_hello();
    let encoded = hello_bytes(&ch);
    let mut body = encoded[4..].to_vec();
    let at = edit(&mut body);
    let outcome = p.deliver(
        Side::Server,
        &in_records(
            &message(ferrotls::msgs::enums::HandshakeType::ClientHello, &body),
            1 << 14,
        ),
    );
    refused(
        &mut p,
        Side::Server,
        outcome,
        A::DecodeError,
        &text.replace("{at}", &at.to_string()),
    )
}

fn two_identities_one_binder() -> ClientExtension {
    let identity = PskIdentity {
        identity: vec![0x11; 16],
        obfuscated_ticket_age: 0,
    };
    ClientExtension::PreSharedKey(OfferedPsks {
        identities: vec![
            identity.clone(),
            PskIdentity {
                identity: vec![0x12; 16],
                ..identity
            },
        ],
        binders: vec![vec![0x22; 32]],
    })
}

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 4.1.2: `opaque legacy_session_id<0..32>`; 33 bytes is malformed.
    "4.1.2", "legacy_session_id over 32 bytes is decode_error" =>
    fn long_session_id_is_decode_error() {
        fixed_fields_refused(|body| {
            // The random ends at 34; the session ID's length byte follows.
            let len = usize::from(body[34]);
            body[34] = 33;
            body.splice(35..35 + len, vec![7; 33]);
            38
        }, "peer sent a malformed ClientHello: field legacy_session_id at byte {at}: length 33 exceeds the maximum of 32")
    }

    /// RFC 8446, 4.1.2: `CipherSuite cipher_suites<2..2^16-2>`: an empty list.
    "4.1.2", "empty cipher_suites is decode_error" =>
    fn empty_cipher_suites_is_decode_error() {
        fixed_fields_refused(|body| {
            let at = 35 + usize::from(body[34]);
            let len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
            body.splice(at..at + 2 + len, [0, 0]);
            4 + at + 2
        }, "peer sent a malformed ClientHello: field cipher_suites at byte {at}: must not be empty")
    }

    /// RFC 8446, 4.1.2: cipher suites are two bytes each; an odd length is malformed.
    "4.1.2", "cipher_suites of odd length is decode_error" =>
    fn odd_cipher_suites_is_decode_error() {
        fixed_fields_refused(|body| {
            let at = 35 + usize::from(body[34]);
            let len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
            body.splice(at..at + 2 + len, [0, 3, 0x13, 0x01, 0x13]);
            4 + at + 2
        }, "peer sent a malformed ClientHello: field cipher_suites at byte {at}: length 3 is not a multiple of the element size 2")
    }

    /// RFC 8446, 4.1.2: `opaque legacy_compression_methods<1..2^8-1>`: empty.
    "4.1.2", "empty legacy_compression_methods is decode_error" =>
    fn empty_compression_methods_is_decode_error() {
        fixed_fields_refused(|body| {
            let at = 35 + usize::from(body[34]);
            let len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
            let comp = at + 2 + len;
            body.splice(comp..comp + 2, [0]);
            4 + comp + 1
        }, "peer sent a malformed ClientHello: field legacy_compression_methods at byte {at}: must not be empty")
    }

    /// RFC 8446, 4.2.1: `ProtocolVersion versions<2..254>`: an empty list.
    "4.2.1", "empty supported_versions is decode_error" =>
    fn empty_supported_versions_is_decode_error() {
        body_refused(ExtensionType::SupportedVersions, vec![0], "versions", 1, "must not be empty")
    }

    /// RFC 8446, 4.2.1: versions are two bytes each.
    "4.2.1", "supported_versions of odd length is decode_error" =>
    fn odd_supported_versions_is_decode_error() {
        body_refused(ExtensionType::SupportedVersions, vec![3, 3, 4, 3], "versions", 1, "length 3 is not a multiple of the element size 2")
    }

    /// RFC 8446, 4.2.7: `NamedGroup named_group_list<2..2^16-1>`: an empty list.
    "4.2.7", "empty supported_groups is decode_error" =>
    fn empty_supported_groups_is_decode_error() {
        body_refused(ExtensionType::SupportedGroups, vec![0, 0], "named_group_list", 2, "must not be empty")
    }

    /// RFC 8446, 4.2.3: `SignatureScheme supported_signature_algorithms<2..2^16-2>`:
    /// an odd length.
    "4.2.3", "signature_algorithms of odd length is decode_error" =>
    fn odd_signature_algorithms_is_decode_error() {
        body_refused(ExtensionType::SignatureAlgorithms, vec![0, 3, 4, 3, 8], "supported_signature_algorithms", 2,
            "length 3 is not a multiple of the element size 2")
    }

    /// RFC 8446, 4.2.8: `opaque key_exchange<1..2^16-1>`: an empty share.
    "4.2.8", "empty key_exchange is decode_error" =>
    fn empty_key_exchange_is_decode_error() {
        body_refused(ExtensionType::KeyShare, vec![0, 4, 0, 0x1d, 0, 0], "key_exchange", 6, "must not be empty")
    }

    /// RFC 8446, 4.2.8: "This vector MAY be empty if the client is requesting a
    /// HelloRetryRequest": an empty client_shares gets one.
    "4.2.8", "empty client_shares gets a HelloRetryRequest" =>
    fn empty_client_shares_gets_a_hello_retry_request() {
        let (mut p, mut ch) = before_hello();
        set_extension(&mut ch, ClientExtension::KeyShare(Vec::new()));
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, true)
    }

    /// RFC 8446, 4.2.9: `PskKeyExchangeMode ke_modes<1..255>`: an empty list.
    "4.2.9", "empty psk_key_exchange_modes is decode_error" =>
    fn empty_psk_modes_is_decode_error() {
        body_refused(ExtensionType::PskKeyExchangeModes, vec![0], "ke_modes", 1, "must not be empty")
    }

    /// RFC 8446, 4.2.2: `opaque cookie<1..2^16-1>`: an empty cookie.
    "4.2.2", "empty cookie is decode_error" =>
    fn empty_cookie_is_decode_error() {
        body_refused(ExtensionType::Cookie, vec![0, 0], "cookie", 2, "must not be empty")
    }

    /// RFC 8446, 4.2.11: `PskBinderEntry binders<33..2^16-1>`, each
    /// `opaque PskBinderEntry<32..255>`: a 31-byte binder is malformed.
    "4.2.11", "PSK binder shorter than 32 bytes is decode_error" =>
    fn short_psk_binder_is_decode_error() {
        let (mut p, mut ch) = before_hello();
        let mut data = vec![0, 22, 0, 16];
        data.extend([0x11; 16]);
        data.extend([0, 0, 0, 0, 0, 32, 31]);
        data.extend([0x22; 31]);
        ch.extensions.push(ClientExtension::Unknown { typ: ExtensionType::PreSharedKey, data });
        let at = extension_body_offset(&ch, ExtensionType::PreSharedKey) + 24 + 3;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field binder at byte {at}: length 31 is below the minimum of 32"))
    }

    /// RFC 8446, 4.2.11: one binder per identity; a server that finds otherwise
    /// refuses it (illegal_parameter: fields inconsistent with each other).
    "4.2.11", "PSK identities and binders of different counts are illegal_parameter" =>
    fn psk_identity_and_binder_counts_differ_is_illegal_parameter() {
        let (mut p, mut ch) = before_hello();
        ch.extensions.push(two_identities_one_binder());
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::IllegalParameter,
            "peer's ClientHello has an illegal pre_shared_key: the number of binders differs from the number of identities")
    }

    /// RFC 8446, 4.2.11: a PSK identity the server does not know is not an error:
    /// "the server [...] MAY ignore" it and performs a full handshake.
    "4.2.11", "unknown PSK identity gets a full handshake" =>
    fn unknown_psk_identity_gets_a_full_handshake() {
        let (mut p, mut ch) = before_hello();
        ch.extensions.push(ClientExtension::PreSharedKey(OfferedPsks {
            identities: vec![PskIdentity { identity: vec![0x33; 40], obfuscated_ticket_age: 7 }],
            binders: vec![vec![0x44; 32]],
        }));
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)?;
        same("resumed", p.server.negotiated().resumed, false)
    }

    /// RFC 8446, 4.2.10: early_data without a PSK cannot be accepted; the server
    /// answers with a full handshake and skips the 0-RTT records.
    "4.2.10", "early_data without pre_shared_key gets a full handshake" =>
    fn early_data_without_psk_gets_a_full_handshake() {
        let (mut p, mut ch) = before_hello();
        set_extension(&mut ch, ClientExtension::EarlyData);
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)?;
        same("0-RTT accepted", p.server.early_data_accepted(), false)
    }

    /// RFC 8446, 4.2: the extensions block must end where the message does; a
    /// byte after it is malformed.
    "4.2", "bytes after the extensions are decode_error" =>
    fn bytes_after_the_extensions_are_decode_error() {
        fixed_fields_refused(|body| {
            body.push(0);
            4 + body.len() - 1
        }, "peer sent a malformed ClientHello: field extensions at byte {at}: 1 unexpected byte(s) after the end")
    }

    /// RFC 8446, 4.2: an extension whose length runs past the block is malformed.
    "4.2", "extension longer than its block is decode_error" =>
    fn extension_longer_than_its_block_is_decode_error() {
        let (mut p, ch) = before_hello();
        let mut body = hello_bytes(&ch)[4..].to_vec();
        // The last extension claims one byte more than the message holds.
        let len = last_extension_len(&body);
        let len_at = body.len() - len - 2;
        let claimed = u16::try_from(len + 1).map_err(|e| e.to_string())?;
        body[len_at..len_at + 2].copy_from_slice(&claimed.to_be_bytes());
        let hello = message(ferrotls::msgs::enums::HandshakeType::ClientHello, &body);
        let outcome = p.deliver(Side::Server, &in_records(&hello, 1 << 14));
        refused(&mut p, Side::Server, outcome, A::DecodeError, &format!(
            "peer sent a malformed ClientHello: field extension_data at byte {}: needs {claimed} byte(s) but only {len} remain (message cut short)",
            4 + len_at + 2))
    }

    /// RFC 8446, 4.1.2 and D.5: "Implementations MUST NOT negotiate SSL 3.0":
    /// a ClientHello asking for at most SSL 3.0 is protocol_version.
    "4.1.2", "ClientHello for SSL 3.0 only is protocol_version" =>
    fn client_hello_for_ssl3_is_protocol_version() {
        let (mut p, mut ch) = before_hello();
        ch.extensions.retain(|e| e.ext_type() != ExtensionType::SupportedVersions);
        ch.legacy_version = ProtocolVersion::SSLv3;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::ProtocolVersion,
            "no TLS version in common: the peer offered SSLv3; ferrotls negotiates only TLS 1.3 and TLS 1.2")
    }

    /// RFC 6066, 3 (as RFC 8446, 4.2 lists it): a name_type ferrotls does not know,
    /// beside the host_name, is ignored.
    "4.2", "server_name entry of an unknown type is ignored" =>
    fn unknown_server_name_type_is_ignored() {
        let (mut p, mut ch) = before_hello();
        set_extension(&mut ch, ClientExtension::ServerName(vec![
            ServerNameEntry { name_type: ferrotls::msgs::enums::ServerNameType::HostName, name: b"localhost".to_vec() },
            ServerNameEntry { name_type: ferrotls::msgs::enums::ServerNameType::from_wire(7), name: b"\x1b\x07".to_vec() },
        ]));
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)?;
        same("server name", p.server.negotiated().server_name.as_deref(), Some("localhost"))
    }

    /// RFC 8446, 4.2.7: groups the server does not know in supported_groups are
    /// skipped ("Values within "obsolete_RESERVED" ranges are used in previous
    /// versions of TLS and MUST NOT be offered or negotiated").
    "4.2.7", "unknown groups in supported_groups are skipped" =>
    fn unknown_groups_are_skipped() {
        let (mut p, mut ch) = before_hello();
        let mut groups = vec![NamedGroup::from_wire(0x0a0a), NamedGroup::from_wire(0x0017 + 0x1000)];
        groups.extend(ch.supported_groups().unwrap_or_default().iter().copied());
        set_extension(&mut ch, ClientExtension::SupportedGroups(groups));
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)
    }
}

/// The length of the last extension's body in an encoded ClientHello body.
fn last_extension_len(body: &[u8]) -> usize {
    // Walk the extensions block from its start.
    let sid = usize::from(body[34]);
    let suites_at = 35 + sid;
    let suites = usize::from(u16::from_be_bytes([body[suites_at], body[suites_at + 1]]));
    let comp_at = suites_at + 2 + suites;
    let comp = usize::from(body[comp_at]);
    let mut at = comp_at + 1 + comp + 2;
    let mut last = 0;
    while at + 4 <= body.len() {
        last = usize::from(u16::from_be_bytes([body[at + 2], body[at + 3]]));
        at += 4 + last;
    }
    last
}
