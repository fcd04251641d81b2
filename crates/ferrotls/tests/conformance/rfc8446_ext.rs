//! RFC 8446 (TLS 1.3): extension rules (4.2) the other modules leave open: lists
//! out of range, extensions in messages that may not carry them, unsolicited
//! answers to a ferrotls client, and key shares (4.2.8).

use ferrotls::msgs::enums::{
    AlertDescription as A, CipherSuite, ExtensionType, HandshakeType, NamedGroup, SignatureScheme,
};
use ferrotls::msgs::{
    ClientExtension, HandshakePayload, KeyShareEntry, ServerExtension, ServerHello,
    HELLO_RETRY_REQUEST_RANDOM,
};

use crate::pair::{edit_server_hello, handshake_record, server_hello, Pair, Side};
use crate::peer::{
    answered_hello, before_hello, client, edit_sealed_message, extension_body_offset,
    hello_refused, refused, retry_refused, send_edited_server_flight, send_hello, server,
    set_extension, Check,
};

/// Sets extension `typ` to the raw body `data` and expects decode_error naming
/// `field` at `skip` bytes into the body.
fn raw_extension_refused(
    typ: ExtensionType,
    data: Vec<u8>,
    field: &str,
    skip: usize,
    why: &str,
) -> Check {
    let (mut p, mut ch) = before_hello();
    set_extension(&mut ch, ClientExtension::Unknown { typ, data });
    let at = extension_body_offset(&ch, typ) + skip;
    let outcome = send_hello(&mut p, &ch);
    refused(
        &mut p,
        Side::Server,
        outcome,
        A::DecodeError,
        &format!("peer sent a malformed ClientHello: field {field} at byte {at}: {why}"),
    )
}

/// Adds `ext` to the server's EncryptedExtensions; the client must refuse it.
fn encrypted_extension_refused(ext: ServerExtension, alert: A, text: &str) -> Check {
    let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
        edit_sealed_message(pieces, HandshakeType::EncryptedExtensions, |payload| {
            if let HandshakePayload::EncryptedExtensions(ee) = payload {
                ee.extensions.push(ext);
            }
        })
    })?;
    refused(&mut p, Side::Client, outcome, alert, text)
}

/// Delivers the server's first flight with its ServerHello changed by `edit`.
fn server_hello_refused(edit: impl FnOnce(&mut ServerHello), alert: A, text: &str) -> Check {
    let mut p = Pair::new(
        client().cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256]),
        server(),
    );
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let mut flight = p.take(Side::Server);
    edit_server_hello(&mut flight, edit);
    let outcome = p.deliver(Side::Client, &flight);
    refused(&mut p, Side::Client, outcome, alert, text)
}

fn tls13() -> ServerExtension {
    ServerExtension::SupportedVersions(ferrotls::msgs::enums::ProtocolVersion::TLSv1_3)
}

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 4.2.3: `SignatureScheme supported_signature_algorithms<2..2^16-2>`:
    /// an empty signature_algorithms is out of range (decode_error).
    "4.2.3", "empty signature_algorithms is decode_error" =>
    fn empty_signature_algorithms_is_decode_error() {
        raw_extension_refused(ExtensionType::SignatureAlgorithms, vec![0, 0], "supported_signature_algorithms", 2, "must not be empty")
    }

    /// RFC 8446, 4.2.3: signature_algorithms_cert has the same
    /// `SignatureSchemeList` syntax: an empty one is out of range.
    "4.2.3", "empty signature_algorithms_cert is decode_error" =>
    fn empty_signature_algorithms_cert_is_decode_error() {
        raw_extension_refused(ExtensionType::SignatureAlgorithmsCert, vec![0, 0], "supported_signature_algorithms", 2, "must not be empty")
    }

    /// RFC 8446, 4.2.3: a signature_algorithms_cert of odd length is malformed.
    "4.2.3", "signature_algorithms_cert of odd length is decode_error" =>
    fn odd_signature_algorithms_cert_is_decode_error() {
        raw_extension_refused(ExtensionType::SignatureAlgorithmsCert, vec![0, 3, 4, 3, 8], "supported_signature_algorithms", 2, "length 3 is not a multiple of the element size 2")
    }

    /// RFC 8446, 4.2.3 and 4.4.2.2: with signature_algorithms_cert the client's
    /// signature_algorithms still governs CertificateVerify; a list of schemes the
    /// server's key cannot sign with leaves nothing to sign with: handshake_failure
    /// (4.1.1).
    "4.2.3", "signature_algorithms without a usable scheme is handshake_failure" =>
    fn signature_algorithms_without_a_usable_scheme_is_handshake_failure() {
        hello_refused(|ch| set_extension(ch, ClientExtension::SignatureAlgorithms(vec![SignatureScheme::ED448])),
            A::HandshakeFailure, "no signature scheme in common: the peer accepts ed448, none of which suits the configured key")
    }

    /// RFC 8446, 4.2.3: a signature_algorithms_cert naming schemes other than the
    /// certificate's is a preference, not a reason to refuse ("If the server
    /// cannot produce a certificate chain that is signed only via the indicated
    /// supported algorithms, then it SHOULD continue the handshake"): the server
    /// answers.
    "4.2.3", "signature_algorithms_cert the chain does not match continues the handshake" =>
    fn unmatched_signature_algorithms_cert_continues() {
        let (mut p, mut ch) = before_hello();
        set_extension(&mut ch, ClientExtension::SignatureAlgorithmsCert(vec![SignatureScheme::ED448]));
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8446, 4.2.6: "The "extension_data" field of the "post_handshake_auth"
    /// extension is zero length."
    "4.2.6", "post_handshake_auth with a body is decode_error" =>
    fn post_handshake_auth_with_a_body_is_decode_error() {
        raw_extension_refused(ExtensionType::PostHandshakeAuth, vec![0], "post_handshake_auth", 0, "1 unexpected byte(s) after the end")
    }

    /// RFC 8446, 4.2.10: in the ClientHello "the "extension_data" field of this
    /// extension is empty" (`struct {} Empty`).
    "4.2.10", "early_data in the ClientHello with a body is decode_error" =>
    fn early_data_with_a_body_is_decode_error() {
        raw_extension_refused(ExtensionType::EarlyData, vec![0, 0, 0, 1], "early_data", 0, "4 unexpected byte(s) after the end")
    }

    /// RFC 8446, 4.2.8.2: "For secp256r1, secp384r1, and secp521r1, [...] the
    /// contents are the serialized value of the following struct [...] legacy_form
    /// = 4"; 4.2.8: "Peers MUST validate each other's public key": a compressed
    /// point is refused (illegal_parameter).
    "4.2.8.2", "compressed secp256r1 key share is illegal_parameter" =>
    fn compressed_secp256r1_key_share_is_illegal_parameter() {
        let mut point = vec![2];
        point.extend_from_slice(&[0x11; 32]);
        hello_refused(|ch| set_extension(ch, ClientExtension::KeyShare(vec![KeyShareEntry { group: NamedGroup::secp256r1, payload: point }])),
            A::IllegalParameter, "peer's secp256r1 key share is not a valid public key")
    }

    /// RFC 8446, 4.2.8.2: an uncompressed secp256r1 point that is not on the curve.
    "4.2.8.2", "secp256r1 key share off the curve is illegal_parameter" =>
    fn secp256r1_key_share_off_the_curve_is_illegal_parameter() {
        let mut point = vec![4];
        point.extend_from_slice(&[0xff; 64]);
        hello_refused(|ch| set_extension(ch, ClientExtension::KeyShare(vec![KeyShareEntry { group: NamedGroup::secp256r1, payload: point }])),
            A::IllegalParameter, "peer's secp256r1 key share is not a valid public key")
    }

    /// RFC 8446, 4.2.8: a share only for a group the server does not support (but
    /// listed in supported_groups with one it does) gets a HelloRetryRequest for
    /// the supported one: "the server [...] MUST respond with a HelloRetryRequest".
    "4.2.8", "key share only for an unsupported group gets a HelloRetryRequest" =>
    fn key_share_for_an_unsupported_group_gets_a_retry() {
        let (mut p, mut ch) = before_hello();
        set_extension(&mut ch, ClientExtension::SupportedGroups(vec![NamedGroup::Unknown(0x0a0a), NamedGroup::X25519]));
        set_extension(&mut ch, ClientExtension::KeyShare(vec![KeyShareEntry { group: NamedGroup::Unknown(0x0a0a), payload: vec![0] }]));
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, true)
    }

    /// RFC 8446, 4.2: "If an implementation receives an extension which it
    /// recognizes and which is not specified for the message in which it appears,
    /// it MUST abort the handshake with an "illegal_parameter" alert."
    /// supported_versions in EncryptedExtensions.
    "4.2", "supported_versions in EncryptedExtensions is illegal_parameter" =>
    fn supported_versions_in_encrypted_extensions_is_illegal_parameter() {
        encrypted_extension_refused(tls13(), A::IllegalParameter, "peer sent a malformed EncryptedExtensions: field extensions at byte 10: extension 0x002b is not allowed in this message")
    }

    /// RFC 8446, 4.2: pre_shared_key is for ClientHello and ServerHello only.
    "4.2", "pre_shared_key in EncryptedExtensions is illegal_parameter" =>
    fn pre_shared_key_in_encrypted_extensions_is_illegal_parameter() {
        encrypted_extension_refused(ServerExtension::PreSharedKey(0), A::IllegalParameter, "peer sent a malformed EncryptedExtensions: field extensions at byte 10: extension 0x0029 is not allowed in this message")
    }

    /// RFC 8446, 4.2: cookie is for ClientHello and HelloRetryRequest only.
    "4.2", "cookie in EncryptedExtensions is illegal_parameter" =>
    fn cookie_in_encrypted_extensions_is_illegal_parameter() {
        encrypted_extension_refused(ServerExtension::Cookie(vec![1, 2, 3]), A::IllegalParameter, "peer sent a malformed EncryptedExtensions: field extensions at byte 10: extension 0x002c is not allowed in this message")
    }

    /// RFC 8446, 4.2: "Implementations MUST NOT send extension responses if the
    /// remote endpoint did not send the corresponding extension requests [...].
    /// Upon receiving such an extension, an endpoint MUST abort the handshake with
    /// an "unsupported_extension" alert." early_data in EncryptedExtensions when
    /// the client offered none.
    "4.2", "unrequested early_data in EncryptedExtensions is unsupported_extension" =>
    fn unrequested_early_data_is_unsupported_extension() {
        encrypted_extension_refused(ServerExtension::EarlyData, A::UnsupportedExtension, "peer's EncryptedExtensions contains the early_data extension, which was not requested")
    }

    /// RFC 8446, 4.2: an extension of a type the client never sent (and does not
    /// know) in EncryptedExtensions is unsolicited.
    "4.2", "unknown extension in EncryptedExtensions is unsupported_extension" =>
    fn unknown_encrypted_extension_is_unsupported_extension() {
        encrypted_extension_refused(ServerExtension::Unknown { typ: ExtensionType::Unknown(0x7a7a), data: vec![] },
            A::UnsupportedExtension, "peer's EncryptedExtensions contains the unknown(0x7a7a) extension, which was not requested")
    }


    /// RFC 8446, 4.2: ALPN's answer belongs in EncryptedExtensions, not in the
    /// ServerHello, even when the client offered ALPN.
    "4.2", "ALPN in a TLS 1.3 ServerHello is illegal_parameter" =>
    fn alpn_in_the_server_hello_is_illegal_parameter() {
        let mut p = Pair::new(client().alpn(vec![b"h2".to_vec()]), server().alpn(vec![b"h2".to_vec()]));
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        edit_server_hello(&mut flight, |sh| sh.extensions.push(ServerExtension::Alpn(b"h2".to_vec())));
        let outcome = p.deliver(Side::Client, &flight);
        refused(&mut p, Side::Client, outcome, A::IllegalParameter, "peer's ServerHello has an illegal extensions: a TLS 1.3 ServerHello may carry only supported_versions, key_share and pre_shared_key")
    }

    /// RFC 8446, 4.2.11: the server's pre_shared_key answers an offer; the client
    /// offered no PSK.
    "4.2.11", "ServerHello pre_shared_key without an offer is refused" =>
    fn server_pre_shared_key_without_an_offer_is_refused() {
        server_hello_refused(|sh| sh.extensions.push(ServerExtension::PreSharedKey(0)), A::UnsupportedExtension, "peer's ServerHello contains the pre_shared_key extension, which was not requested")
    }

    /// RFC 8446, 4.2.8: a (non-PSK) TLS 1.3 ServerHello must carry key_share.
    "4.2.8", "ServerHello without key_share is refused" =>
    fn server_hello_without_key_share_is_refused() {
        server_hello_refused(|sh| sh.extensions.retain(|e| e.ext_type() != ExtensionType::KeyShare), A::MissingExtension, "peer's ServerHello lacks the required key_share extension")
    }

    /// RFC 8446, 4.2.8.2 and 7.4.2 (via RFC 7748): the server's X25519 share must
    /// be a valid public key; all zeros gives an all-zero secret and is refused.
    "4.2.8", "ServerHello all-zero X25519 key share is illegal_parameter" =>
    fn server_all_zero_x25519_share_is_illegal_parameter() {
        let mut p = Pair::new(client().cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256]).key_share_groups(&[NamedGroup::X25519]), server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        edit_server_hello(&mut flight, |sh| sh.extensions.iter_mut().for_each(|e| {
            if let ServerExtension::KeyShare(k) = e { k.payload = vec![0; 32]; }
        }));
        let outcome = p.deliver(Side::Client, &flight);
        refused(&mut p, Side::Client, outcome, A::IllegalParameter, "peer's x25519 key share is not a valid public key")
    }

    /// RFC 8446, 4.1.4: "Clients MUST abort the handshake with an
    /// "unsupported_extension" alert if any extensions in the HelloRetryRequest
    /// were not offered" (the HRR may carry only supported_versions, key_share and
    /// cookie, and unknown ones were not offered).
    "4.1.4", "HelloRetryRequest with an unoffered extension is unsupported_extension" =>
    fn retry_with_an_unoffered_extension_is_unsupported_extension() {
        retry_refused(vec![tls13(), ServerExtension::HrrKeyShare(NamedGroup::secp256r1),
            ServerExtension::Unknown { typ: ExtensionType::Unknown(0x7a7a), data: vec![] }],
            A::UnsupportedExtension, "peer's HelloRetryRequest contains the unknown(0x7a7a) extension, which was not requested")
    }

    /// RFC 8446, 4.2.2: `opaque cookie<1..2^16-1>`: an empty cookie in a
    /// HelloRetryRequest is out of range.
    "4.2.2", "HelloRetryRequest with an empty cookie is decode_error" =>
    fn retry_with_an_empty_cookie_is_decode_error() {
        retry_refused(vec![tls13(), ServerExtension::Cookie(Vec::new())], A::DecodeError, "peer sent a malformed HelloRetryRequest: field cookie at byte 88: must not be empty")
    }

    /// RFC 8446, 4.2.8: "Clients MUST [...] check [...] that the selected_group
    /// field does not correspond to a group which was provided in the "key_share"
    /// extension in the original ClientHello. If either of these checks fails,
    /// then the client MUST abort the handshake with an "illegal_parameter" alert."
    "4.2.8", "HelloRetryRequest for a group already shared is illegal_parameter" =>
    fn retry_for_a_shared_group_is_illegal_parameter() {
        let (mut p, ch) = before_hello();
        let shared = ch.extensions.iter().find_map(|e| match e {
            ClientExtension::KeyShare(k) => k.first().map(|s| s.group),
            _ => None,
        }).ok_or("the ClientHello has no key share")?;
        let hrr = server_hello(HELLO_RETRY_REQUEST_RANDOM, &ch.session_id,
            CipherSuite::TLS13_AES_128_GCM_SHA256, vec![tls13(), ServerExtension::HrrKeyShare(shared)]);
        let outcome = p.deliver(Side::Client, &handshake_record(&hrr));
        refused(&mut p, Side::Client, outcome, A::IllegalParameter, "the server sent an invalid HelloRetryRequest: it asks for a key share the ClientHello already contained")
    }
}
