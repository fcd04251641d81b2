//! RFC 8446 (TLS 1.3): what the client must refuse of a hostile server: ServerHello
//! and HelloRetryRequest (4.1), EncryptedExtensions (4.3.1), the authentication
//! messages (4.4) and post-handshake messages (4.6).

use ferrotls::msgs::enums::{
    AlertDescription as A, CipherSuite, ContentType, HandshakeType, KeyUpdateRequest, NamedGroup,
    ProtocolVersion, SignatureScheme,
};
use ferrotls::msgs::{
    HandshakeMessage, HandshakePayload, KeyShareEntry, KeyUpdate, NewSessionTicket13,
    ServerExtension, ServerHello, DOWNGRADE_TLS11, DOWNGRADE_TLS12, HELLO_RETRY_REQUEST_RANDOM,
};

use crate::pair::{
    edit_server_hello, handshake_record, sealed_message, server_hello, Pair, Piece, Side,
};
use crate::peer::{
    before_hello, client, edit_sealed_message, refused, retry_refused, send_edited_server_flight,
    server, Check,
};

/// Delivers the server's first flight with its ServerHello changed by `edit`; the
/// client (offering AES-128-GCM only) must refuse it with illegal_parameter.
fn server_hello_refused(edit: impl FnOnce(&mut ServerHello), text: &str) -> Check {
    let client = client().cipher_suites(&[CipherSuite::TLS13_AES_128_GCM_SHA256]);
    let mut p = Pair::new(client, server());
    p.transfer(Side::Client)
        .map_err(|e| format!("ClientHello: {e}"))?;
    let mut flight = p.take(Side::Server);
    edit_server_hello(&mut flight, edit);
    let outcome = p.deliver(Side::Client, &flight);
    refused(&mut p, Side::Client, outcome, A::IllegalParameter, text)
}

/// Adds `ext` to the server's EncryptedExtensions; the client must refuse it.
fn encrypted_extension_refused(
    client: ferrotls::client::ClientConfigBuilder,
    ext: ServerExtension,
    alert: A,
    text: &str,
) -> Check {
    let (mut p, outcome) = send_edited_server_flight(client, |pieces| {
        edit_sealed_message(pieces, HandshakeType::EncryptedExtensions, |payload| {
            if let HandshakePayload::EncryptedExtensions(ee) = payload {
                ee.extensions.insert(0, ext);
            }
        })
    })?;
    refused(&mut p, Side::Client, outcome, alert, text)
}

fn set_server_extension(sh: &mut ServerHello, edit: impl Fn(&mut ServerExtension)) {
    sh.extensions.iter_mut().for_each(edit);
}

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 4.1.3: "A client which receives a legacy_session_id_echo field that
    /// does not match what it sent in the ClientHello MUST abort the handshake with
    /// an "illegal_parameter" alert."
    "4.1.3", "ServerHello not echoing legacy_session_id is illegal_parameter" =>
    fn server_hello_not_echoing_the_session_id_is_illegal_parameter() {
        server_hello_refused(|sh| sh.session_id[0] ^= 1, "the server's legacy_session_id does not echo the client's")
    }

    /// RFC 8446, 4.1.3: "A client which receives a cipher suite that was not offered
    /// MUST abort the handshake with an "illegal_parameter" alert."
    "4.1.3", "ServerHello selecting an unoffered cipher suite is illegal_parameter" =>
    fn server_hello_with_an_unoffered_suite_is_illegal_parameter() {
        server_hello_refused(|sh| sh.cipher_suite = CipherSuite::TLS13_AES_256_GCM_SHA384,
            "the server selected cipher suite TLS_AES_256_GCM_SHA384, which the client did not offer")
    }

    /// RFC 8446, 4.1.3: legacy_compression_method "MUST have the value 0".
    "4.1.3", "ServerHello with a compression method other than 0 is illegal_parameter" =>
    fn server_hello_with_compression_is_illegal_parameter() {
        server_hello_refused(|sh| sh.compression_method = 1,
            "peer's ServerHello has an illegal legacy_compression_method: must be 0")
    }

    /// RFC 8446, 4.1.3: in TLS 1.3, legacy_version is 0x0303.
    "4.1.3", "TLS 1.3 ServerHello with legacy_version other than 0x0303 is illegal_parameter" =>
    fn server_hello_with_another_legacy_version_is_illegal_parameter() {
        server_hello_refused(|sh| sh.legacy_version = ProtocolVersion::TLSv1_3,
            "peer's ServerHello has an illegal legacy_version: must be 0x0303 in TLS 1.3")
    }

    /// RFC 8446, 4.2.1: "If the "supported_versions" extension in the ServerHello
    /// contains a version not offered by the client or contains a version prior to
    /// TLS 1.3, the client MUST abort the handshake with an "illegal_parameter" alert."
    "4.2.1", "ServerHello supported_versions naming TLS 1.2 is illegal_parameter" =>
    fn server_hello_selecting_tls12_by_extension_is_illegal_parameter() {
        server_hello_refused(|sh| set_server_extension(sh, |e| if let ServerExtension::SupportedVersions(v) = e { *v = ProtocolVersion::TLSv1_2 }),
            "the server selected version TLSv1.2, which the client did not offer")
    }

    /// RFC 8446, 4.2.8: the server's share must be for a group the client sent a
    /// share for; otherwise illegal_parameter.
    "4.2.8", "ServerHello key share for a group without a client share is illegal_parameter" =>
    fn server_hello_key_share_for_an_unshared_group_is_illegal_parameter() {
        server_hello_refused(|sh| set_server_extension(sh, |e| if let ServerExtension::KeyShare(s) = e { s.group = NamedGroup::secp384r1 }),
            "the server selected key share group secp384r1, which the client did not offer")
    }

    /// RFC 8446, 4.1.3: "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2
    /// or below MUST check that the last 8 bytes are not equal to either of these
    /// values. [...] If a match is found, the client MUST abort the handshake with
    /// an "illegal_parameter" alert."
    "4.1.3", "downgrade sentinel in a TLS 1.2 or 1.1 ServerHello is illegal_parameter" =>
    fn downgrade_sentinel_is_illegal_parameter() {
        for (sentinel, version) in [(DOWNGRADE_TLS12, "TLSv1.2"), (DOWNGRADE_TLS11, "TLSv1.1")] {
            let (mut p, ch) = before_hello();
            let mut random = [0x5a; 32];
            random[24..].copy_from_slice(&sentinel);
            let sh = server_hello(random, &ch.session_id, CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                vec![ServerExtension::RenegotiationInfo(Vec::new())]);
            let outcome = p.deliver(Side::Client, &handshake_record(&sh));
            refused(&mut p, Side::Client, outcome, A::IllegalParameter, &format!(
                "the server's random carries the RFC 8446 downgrade marker for {version}: an attacker may be forcing an older version"))
                .map_err(|e| format!("{version}: {e}"))?;
        }
        Ok(())
    }

    /// RFC 8446, 4.1.4: "Clients MUST abort the handshake with an
    /// "illegal_parameter" alert if the HelloRetryRequest would not result in any
    /// change in the ClientHello."
    "4.1.4", "HelloRetryRequest that changes nothing is illegal_parameter" =>
    fn hello_retry_request_changing_nothing_is_illegal_parameter() {
        retry_refused(vec![ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3)], A::IllegalParameter,
            "the server sent an invalid HelloRetryRequest: it would not change the ClientHello")
    }

    /// RFC 8446, 4.2.8: "If the selected_group field does not correspond to a group
    /// which was provided in the "supported_groups" extension in the original
    /// ClientHello, then the client MUST abort the handshake with an
    /// "illegal_parameter" alert."
    "4.2.8", "HelloRetryRequest for an unsupported group is illegal_parameter" =>
    fn hello_retry_request_for_an_unsupported_group_is_illegal_parameter() {
        retry_refused(vec![ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3), ServerExtension::HrrKeyShare(NamedGroup::secp521r1)],
            A::IllegalParameter, "the server selected group secp521r1, which the client did not offer")
    }

    /// RFC 8446, 4.1.4: "If a client receives a second HelloRetryRequest in the same
    /// connection (i.e., where the ClientHello was itself in response to a
    /// HelloRetryRequest), it MUST abort the handshake with an "unexpected_message"
    /// alert."
    "4.1.4", "second HelloRetryRequest is unexpected_message" =>
    fn second_hello_retry_request_is_unexpected_message() {
        let (mut p, _, records, at) = crate::peer::after_retry_with(client())?;
        let second = crate::peer::second_hello(&records, at)?;
        let hrr = server_hello(HELLO_RETRY_REQUEST_RANDOM, &second.session_id, CipherSuite::TLS13_AES_128_GCM_SHA256,
            vec![ServerExtension::SupportedVersions(ProtocolVersion::TLSv1_3), ServerExtension::HrrKeyShare(NamedGroup::secp256r1)]);
        let outcome = p.deliver(Side::Client, &handshake_record(&hrr));
        refused(&mut p, Side::Client, outcome, A::UnexpectedMessage,
            "peer sent HelloRetryRequest while waiting for the ServerHello after HelloRetryRequest")
    }

    /// RFC 8446, 4.2: "Implementations MUST NOT send extension responses if the
    /// remote endpoint did not send the corresponding extension requests [...].
    /// Upon receiving such an extension, an endpoint MUST abort the handshake with an
    /// "unsupported_extension" alert." ALPN in EncryptedExtensions, not offered:
    "4.2", "unrequested ALPN answer is unsupported_extension" =>
    fn unrequested_alpn_answer_is_unsupported_extension() {
        encrypted_extension_refused(client(), ServerExtension::Alpn(b"h2".to_vec()), A::UnsupportedExtension,
            "peer's EncryptedExtensions contains the application_layer_protocol_negotiation extension, which was not requested")
    }

    /// RFC 8446, 4.2: the same for server_name from a client that sent none.
    "4.2", "unrequested server_name answer is unsupported_extension" =>
    fn unrequested_server_name_answer_is_unsupported_extension() {
        encrypted_extension_refused(client().sni(false), ServerExtension::ServerNameAck, A::UnsupportedExtension,
            "peer's EncryptedExtensions contains the server_name extension, which was not requested")
    }

    /// RFC 8446, 4.2: an extension "not specified for the message in which it
    /// appears" is illegal_parameter: key_share in EncryptedExtensions.
    "4.2", "key_share in EncryptedExtensions is illegal_parameter" =>
    fn key_share_in_encrypted_extensions_is_illegal_parameter() {
        encrypted_extension_refused(client(), ServerExtension::KeyShare(KeyShareEntry { group: NamedGroup::X25519, payload: vec![9; 32] }),
            A::IllegalParameter,
            "peer sent a malformed EncryptedExtensions: field extensions at byte 6: extension 0x0033 is not allowed in this message")
    }

    /// RFC 8446, 4.3.1 and 6.2: Certificate before EncryptedExtensions is the wrong
    /// handshake message: unexpected_message.
    "4.3.1", "Certificate before EncryptedExtensions is unexpected_message" =>
    fn certificate_before_encrypted_extensions_is_unexpected_message() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            let at = |t| pieces.iter().position(|p| p.handshake_type() == Some(t)).expect("in the flight");
            let (ee, cert) = (at(HandshakeType::EncryptedExtensions), at(HandshakeType::Certificate));
            pieces.swap(ee, cert);
        })?;
        refused(&mut p, Side::Client, outcome, A::UnexpectedMessage,
            "peer sent Certificate while waiting for the server's EncryptedExtensions")
    }

    /// RFC 8446, 4.4.2.4: "If the server supplies an empty Certificate message, the
    /// client MUST abort the handshake with a "decode_error" alert."
    "4.4.2.4", "empty server Certificate is decode_error" =>
    fn empty_server_certificate_is_decode_error() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            edit_sealed_message(pieces, HandshakeType::Certificate, |payload| {
                if let HandshakePayload::Certificate(c) = payload { c.entries.clear() }
            })
        })?;
        refused(&mut p, Side::Client, outcome, A::DecodeError, "peer sent an empty certificate chain")
    }

    /// RFC 8446, 4.4.2: "In the case of server authentication, this field
    /// [certificate_request_context] SHALL be zero length."
    "4.4.2", "server Certificate with a request context is illegal_parameter" =>
    fn server_certificate_with_a_context_is_illegal_parameter() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            edit_sealed_message(pieces, HandshakeType::Certificate, |payload| {
                if let HandshakePayload::Certificate(c) = payload { c.context = vec![1] }
            })
        })?;
        refused(&mut p, Side::Client, outcome, A::IllegalParameter,
            "peer's Certificate has an illegal certificate_request_context: must be empty in the server's Certificate")
    }

    /// RFC 8446, 4.4.3: "If the CertificateVerify message is sent by a server, the
    /// signature algorithm MUST be one offered in the client's
    /// "signature_algorithms" extension"; RSASSA-PKCS1-v1_5 never is in TLS 1.3.
    "4.4.3", "CertificateVerify with an unoffered scheme is illegal_parameter" =>
    fn certificate_verify_with_an_unoffered_scheme_is_illegal_parameter() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            edit_sealed_message(pieces, HandshakeType::CertificateVerify, |payload| {
                if let HandshakePayload::CertificateVerify(cv) = payload { cv.scheme = SignatureScheme::RSA_PKCS1_SHA256 }
            })
        })?;
        refused(&mut p, Side::Client, outcome, A::IllegalParameter,
            "the server selected signature scheme rsa_pkcs1_sha256, which the client did not offer")
    }

    /// RFC 8446, 4.4.3: "If the verification fails, the receiver MUST terminate the
    /// handshake with a "decrypt_error" alert."
    "4.4.3", "CertificateVerify that does not verify is decrypt_error" =>
    fn bad_certificate_verify_is_decrypt_error() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            if let Some(last) = sealed_message(pieces, HandshakeType::CertificateVerify).last_mut() {
                *last ^= 0x80;
            }
        })?;
        refused(&mut p, Side::Client, outcome, A::DecryptError,
            "the peer's CertificateVerify signature (ecdsa_secp256r1_sha256) does not verify with its certificate's key: it does not hold the private key")
    }

    /// RFC 8446, 4.4.4: a server Finished that does not verify is decrypt_error.
    "4.4.4", "server Finished with wrong verify_data is decrypt_error" =>
    fn bad_server_finished_is_decrypt_error() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            sealed_message(pieces, HandshakeType::Finished)[4] ^= 1;
        })?;
        refused(&mut p, Side::Client, outcome, A::DecryptError,
            "the server's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys")
    }

    /// RFC 8446, 4.4.4 and 6.2: a server Finished of the wrong length is
    /// decode_error, not decrypt_error.
    "4.4.4", "server Finished of the wrong length is decode_error" =>
    fn server_finished_of_the_wrong_length_is_decode_error() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            let msg = sealed_message(pieces, HandshakeType::Finished);
            msg.push(0);
            msg[3] += 1;
        })?;
        refused(&mut p, Side::Client, outcome, A::DecodeError,
            "peer sent a malformed Finished: field verify_data at byte 4: length 33 where exactly 32 are needed")
    }

    /// RFC 8446, 4.6.3: KeyUpdate is a post-handshake message; one before Finished
    /// is unexpected_message.
    "4.6.3", "KeyUpdate before Finished is unexpected_message" =>
    fn key_update_before_finished_is_unexpected_message() {
        let (mut p, outcome) = send_edited_server_flight(client(), |pieces| {
            let at = pieces.iter().position(|p| p.handshake_type() == Some(HandshakeType::Finished)).unwrap_or(0);
            let content = HandshakeMessage::new(HandshakePayload::KeyUpdate(KeyUpdate(KeyUpdateRequest::UpdateNotRequested))).to_bytes();
            pieces.insert(at, Piece::Sealed { typ: ContentType::Handshake, content });
        })?;
        refused(&mut p, Side::Client, outcome, A::UnexpectedMessage,
            "peer sent KeyUpdate while waiting for the peer's Finished")
    }

    /// RFC 8446, 4.6.1: "Servers MUST NOT use any value greater than 604800 seconds
    /// (7 days)"; a ticket that does is refused with illegal_parameter.
    "4.6.1", "NewSessionTicket lifetime over seven days is illegal_parameter" =>
    fn ticket_lifetime_over_seven_days_is_illegal_parameter() {
        let mut p = Pair::connected();
        let mut cipher = p.cipher(Side::Server, "SERVER_TRAFFIC_SECRET_0");
        let nst = HandshakeMessage::new(HandshakePayload::NewSessionTicket(NewSessionTicket13 {
            lifetime: 604_801,
            age_add: 1,
            nonce: vec![0],
            ticket: vec![7; 16],
            extensions: Vec::new(),
        })).to_bytes();
        let outcome = p.deliver(Side::Client, &cipher.seal_bytes(ContentType::Handshake, &nst));
        refused(&mut p, Side::Client, outcome, A::IllegalParameter,
            "peer's NewSessionTicket has an illegal ticket_lifetime: exceeds seven days")
    }
}
