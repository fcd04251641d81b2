//! RFC 8446 (TLS 1.3): the handshake (4), the record layer (5) and alerts (6).

use ferrotls::msgs::enums::{
    AlertDescription as A, CipherSuite, ContentType, ExtensionType, HandshakeType, ProtocolVersion,
    SignatureScheme,
};
use ferrotls::msgs::ClientExtension;

use crate::pair::{plain_record, sealed_message, Side};
use crate::peer::{
    answered_hello, before_hello, before_hello_with, client, ensure, hello_bytes, in_records,
    message, refused, send_edited_second_hello, send_hello, server, set_extension, without, Check,
};

const CLIENT_HS: &str = "CLIENT_HANDSHAKE_TRAFFIC_SECRET";

/// The text of a refused second ClientHello.
fn second_hello_text(reason: &str) -> String {
    format!("the client's second ClientHello does not follow the HelloRetryRequest: {reason}")
}

/// Sends a second ClientHello changed by `edit`; the server must refuse it with
/// illegal_parameter and this reason.
fn second_hello_refused(
    edit: impl FnOnce(&mut ferrotls::msgs::ClientHello),
    reason: &str,
) -> Check {
    let (mut p, outcome) = send_edited_second_hello(|_, second| edit(second))?;
    refused(
        &mut p,
        Side::Server,
        outcome,
        A::IllegalParameter,
        &second_hello_text(reason),
    )
}

/// Adds a padding extension that brings the extensions block to its maximum,
/// 65,535 bytes.
fn fill_extensions(ch: &mut ferrotls::msgs::ClientHello) {
    set_extension(
        ch,
        ClientExtension::Unknown {
            typ: ExtensionType::Padding,
            data: Vec::new(),
        },
    );
    let fixed = 4
        + 2
        + 32
        + 1
        + ch.session_id.len()
        + 2
        + 2 * ch.cipher_suites.len()
        + 1
        + ch.compression_methods.len()
        + 2;
    let block = hello_bytes(ch).len() - fixed;
    set_extension(
        ch,
        ClientExtension::Unknown {
            typ: ExtensionType::Padding,
            data: vec![0; 65_535 - block],
        },
    );
}

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 4.2.1: "If this extension is present, servers MUST ignore the
    /// ClientHello.legacy_version value and MUST use only the "supported_versions"
    /// extension to determine client preferences. [...] If the "supported_versions"
    /// extension in the ClientHello contains no versions acceptable to the server,
    /// the server MUST abort the handshake with a "protocol_version" alert."
    "4.2.1", "supported_versions listing neither TLS 1.3 nor TLS 1.2 is protocol_version" =>
    fn supported_versions_without_a_known_version_is_protocol_version() {
        let servers: [&[ProtocolVersion]; 3] = [
            &[ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2],
            &[ProtocolVersion::TLSv1_2],
            &[ProtocolVersion::TLSv1_3],
        ];
        for ((versions, named), ours) in [
            (vec![0x7f1c, 0x7f17], "unknown(0x7f1c), unknown(0x7f17)"),
            (vec![0x0000], "unknown(0x0)"),
            (vec![0x0100], "unknown(0x100)"),
        ]
        .into_iter()
        .flat_map(|v| servers.map(|s| (v.clone(), s)))
        {
            let (mut p, mut ch) = before_hello_with(client(), server().versions(ours));
            // legacy_version says TLS 1.2; only the extension may count.
            ch.legacy_version = ProtocolVersion::TLSv1_2;
            let versions = versions.into_iter().map(ProtocolVersion::from_wire).collect();
            set_extension(&mut ch, ClientExtension::SupportedVersions(versions));
            let outcome = send_hello(&mut p, &ch);
            let text = format!("no TLS version in common: the peer offered {named}; ferrotls negotiates only TLS 1.3 and TLS 1.2");
            refused(&mut p, Side::Server, outcome, A::ProtocolVersion, &text)
                .map_err(|e| format!("{named} to a server of {ours:?}: {e}"))?;
        }
        Ok(())
    }

    /// RFC 8446, 4.1.2: "The client will also send a ClientHello when the server has
    /// responded to its ClientHello with a HelloRetryRequest. In that case, the
    /// client MUST send the same ClientHello without modification, except as
    /// follows: [...]". Here two extensions swap places.
    "4.1.2", "second ClientHello with its extensions reordered is illegal_parameter" =>
    fn second_client_hello_with_reordered_extensions_is_illegal_parameter() {
        second_hello_refused(
            |ch| ch.extensions.swap(0, 1),
            "its extensions are in another order (server_name moved)",
        )
    }

    /// RFC 8446, 4.1.2: the second ClientHello may drop only early_data (and
    /// pre_shared_key identities); here it drops signature_algorithms.
    "4.1.2", "second ClientHello without an extension of the first is illegal_parameter" =>
    fn second_client_hello_with_an_extension_removed_is_illegal_parameter() {
        second_hello_refused(
            |ch| ch.extensions.retain(|e| e.ext_type() != ExtensionType::SignatureAlgorithms),
            "its signature_algorithms extension was removed",
        )
    }

    /// RFC 8446, 4.1.2: the second ClientHello may add only a cookie the
    /// HelloRetryRequest sent, and padding.
    "4.1.2", "second ClientHello with an added extension is illegal_parameter" =>
    fn second_client_hello_with_an_extension_added_is_illegal_parameter() {
        second_hello_refused(
            |ch| ch.extensions.insert(0, ClientExtension::Alpn(vec![b"h2".to_vec()])),
            "it adds the application_layer_protocol_negotiation extension",
        )
    }

    /// RFC 8446, 4.1.2: an extension the client keeps must keep its content.
    "4.1.2", "second ClientHello with an extension's content changed is illegal_parameter" =>
    fn second_client_hello_with_a_changed_extension_is_illegal_parameter() {
        second_hello_refused(
            |ch| set_extension(ch, ClientExtension::SignatureAlgorithms(vec![SignatureScheme::ECDSA_NISTP256_SHA256])),
            "its signature_algorithms extension changed",
        )
    }

    /// RFC 8446, 4.1.2: the random is part of the ClientHello that must repeat.
    "4.1.2", "second ClientHello with another random is illegal_parameter" =>
    fn second_client_hello_with_another_random_is_illegal_parameter() {
        second_hello_refused(|ch| ch.random[0] ^= 1, "its random changed")
    }

    /// RFC 8446, 4.1.2: the cipher suites must repeat, even where the one the
    /// server chose is still offered.
    "4.1.2", "second ClientHello with other cipher suites is illegal_parameter" =>
    fn second_client_hello_with_other_cipher_suites_is_illegal_parameter() {
        second_hello_refused(
            |ch| ch.cipher_suites.push(CipherSuite::TLS13_AES_128_CCM_SHA256),
            "its cipher_suites changed",
        )
    }

    /// RFC 8446, 4.1.2: legacy_session_id must repeat.
    "4.1.2", "second ClientHello with another legacy_session_id is illegal_parameter" =>
    fn second_client_hello_with_another_session_id_is_illegal_parameter() {
        second_hello_refused(|ch| ch.session_id[0] ^= 1, "its legacy_session_id changed")
    }

    /// RFC 8446, 4.1.2: legacy_version must repeat.
    "4.1.2", "second ClientHello with another legacy_version is illegal_parameter" =>
    fn second_client_hello_with_another_legacy_version_is_illegal_parameter() {
        second_hello_refused(
            |ch| ch.legacy_version = ProtocolVersion::TLSv1_0,
            "its legacy_version changed",
        )
    }

    /// RFC 8446, 4.1.2: what the client may change: the key share, early_data
    /// removed, and "Optionally adding, removing, or changing the length of the
    /// "padding" extension". Such a second ClientHello is answered.
    "4.1.2", "second ClientHello changing only what 4.1.2 allows is accepted" =>
    fn second_client_hello_with_allowed_changes_is_accepted() {
        let (mut p, outcome) = send_edited_second_hello(|_, ch| {
            set_extension(ch, ClientExtension::Unknown { typ: ExtensionType::Padding, data: vec![0; 100] });
        })?;
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8446, 4.1.2: legacy_compression_methods must repeat.
    "4.1.2", "second ClientHello with other compression methods is illegal_parameter" =>
    fn second_client_hello_with_other_compression_methods_is_illegal_parameter() {
        second_hello_refused(
            |ch| ch.compression_methods = vec![0, 0],
            "its legacy_compression_methods changed",
        )
    }

    /// RFC 8446, 4.1.2: the second ClientHello must remove early_data ("Removing
    /// the "early_data" extension (Section 4.2.10) if one was present. Early data is
    /// not permitted after a HelloRetryRequest.")
    "4.1.2", "second ClientHello still offering early data is illegal_parameter" =>
    fn second_client_hello_with_early_data_is_illegal_parameter() {
        second_hello_refused(
            |ch| set_extension(ch, ClientExtension::EarlyData),
            "it offers early data, which a HelloRetryRequest rules out",
        )
    }

    /// RFC 8446, 4.1.2: a cookie is added only "if one was provided in the
    /// HelloRetryRequest"; ferrotls sends none.
    "4.1.2", "second ClientHello with a cookie the server did not send is illegal_parameter" =>
    fn second_client_hello_with_an_unsent_cookie_is_illegal_parameter() {
        second_hello_refused(
            |ch| set_extension(ch, ClientExtension::Cookie(vec![1, 2, 3])),
            "it adds the cookie extension",
        )
    }

    /// RFC 8446, 4.2.1: "If this extension is not present, servers which are
    /// compliant with this specification and which also support TLS 1.2 MUST
    /// negotiate TLS 1.2 or prior as specified in [RFC5246], even if
    /// ClientHello.legacy_version is 0x0304 or later."
    "4.2.1", "ClientHello without supported_versions negotiates TLS 1.2 even with legacy_version 0x0304" =>
    fn client_hello_without_supported_versions_negotiates_tls12() {
        let (mut p, mut ch) = before_hello();
        without(&mut ch, ExtensionType::SupportedVersions);
        ch.legacy_version = ProtocolVersion::TLSv1_3;
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)?;
        crate::peer::same("version", p.server.negotiated().version, Some(ProtocolVersion::TLSv1_2))
    }

    /// RFC 8446, 4.2.1 and D.2: a TLS 1.3-only server answers a ClientHello without
    /// supported_versions with protocol_version.
    "4.2.1", "ClientHello without supported_versions to a TLS 1.3-only server is protocol_version" =>
    fn client_hello_without_supported_versions_to_tls13_only_is_protocol_version() {
        let (mut p, mut ch) = before_hello_with(client(), server().versions(&[ProtocolVersion::TLSv1_3]));
        without(&mut ch, ExtensionType::SupportedVersions);
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::ProtocolVersion,
            "no TLS version in common: the peer offered TLSv1.2; ferrotls negotiates only TLS 1.3 and TLS 1.2")
    }

    /// RFC 8446, 4 and 5.1: a handshake message may be fragmented across records
    /// of any size ("Handshake messages MAY be coalesced into a single TLSPlaintext
    /// record or fragmented across several records").
    "5.1", "ClientHello in one-byte records is accepted" =>
    fn client_hello_in_one_byte_records_is_accepted() {
        let (mut p, ch) = before_hello();
        let outcome = p.deliver(Side::Server, &in_records(&hello_bytes(&ch), 1));
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8446, 4.1.2: `CipherSuite cipher_suites<2..2^16-2>`: a ClientHello of
    /// about 64 KiB (30,000 suites), over several records, is a valid one.
    "4.1.2", "ClientHello with 30,000 cipher suites is accepted" =>
    fn client_hello_with_30000_cipher_suites_is_accepted() {
        let (mut p, mut ch) = before_hello();
        let mut suites: Vec<CipherSuite> = (0..30_000u16).map(|i| CipherSuite::from_wire(0x8000 + i)).collect();
        suites.extend(ch.cipher_suites.iter().copied());
        ch.cipher_suites = suites;
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8446, 4.1.2: `Extension extensions<8..2^16-1>`: a padding extension
    /// that fills the block to 65,535 bytes makes a ClientHello of over 64 KiB,
    /// still a valid one.
    "4.1.2", "ClientHello with a full 65,535-byte extensions block is accepted" =>
    fn client_hello_with_a_full_extensions_block_is_accepted() {
        let (mut p, mut ch) = before_hello();
        fill_extensions(&mut ch);
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8446, 4.1.2: every vector near its maximum (32,000 cipher suites and a
    /// full extensions block): a ClientHello of 126 KiB, up to 131,396 bytes the
    /// largest a ClientHello can be, is a valid one.
    "4.1.2", "ClientHello of 126 KiB is accepted" =>
    fn client_hello_of_126_kib_is_accepted() {
        let (mut p, mut ch) = before_hello();
        let mut suites: Vec<CipherSuite> = (0..32_000u16).map(|i| CipherSuite::from_wire(0x8000 + i)).collect();
        suites.extend(ch.cipher_suites.iter().copied());
        ch.cipher_suites = suites;
        fill_extensions(&mut ch);
        ensure(hello_bytes(&ch).len() > 126 * 1024, || "the ClientHello is smaller than meant".into())?;
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8446, 4 and 6.2: a message longer than any ClientHello can be is refused
    /// as soon as its header arrives, with decode_error ("the length of the message
    /// was incorrect"): ferrotls buffers no more than 131,396 bytes for it.
    "4.1.2", "ClientHello declaring more than the largest encodable is decode_error" =>
    fn client_hello_longer_than_encodable_is_decode_error() {
        let (mut p, _) = before_hello();
        let header = [HandshakeType::ClientHello.to_wire(), 0x02, 0x01, 0x45];
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::Handshake, &header));
        refused(&mut p, Side::Server, outcome, A::DecodeError,
            "peer sent a ClientHello of 131397 bytes, more than the 131396 any ClientHello can take")
    }

    /// RFC 8446, 4.2: the RFC sets no limit on the number of extensions; 200
    /// unknown ones are ignored ("Servers MUST ignore unrecognized extensions").
    "4.2", "ClientHello with 200 unknown extensions is accepted" =>
    fn client_hello_with_200_unknown_extensions_is_accepted() {
        let (mut p, mut ch) = before_hello();
        for i in 0..200u16 {
            ch.extensions.insert(0, ClientExtension::Unknown { typ: ExtensionType::from_wire(0xa000 + i), data: vec![i as u8] });
        }
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8446, 4.2.3: `SignatureScheme supported_signature_algorithms<2..2^16-2>`:
    /// 32,000 schemes fit, and one the server can use among them is found.
    "4.2.3", "signature_algorithms with 32,000 schemes is accepted" =>
    fn signature_algorithms_with_32000_schemes_is_accepted() {
        let (mut p, mut ch) = before_hello();
        let mut schemes: Vec<SignatureScheme> = (0..31_999u16).map(|i| SignatureScheme::from_wire(0x1000 + i)).collect();
        schemes.push(SignatureScheme::ECDSA_NISTP256_SHA256);
        set_extension(&mut ch, ClientExtension::SignatureAlgorithms(schemes));
        let outcome = send_hello(&mut p, &ch);
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8446, 4.2: "There MUST NOT be more than one extension of the same type in
    /// a given extension block." ferrotls answers illegal_parameter (a field
    /// inconsistent with others), also among hundreds of extensions.
    "4.2", "duplicate extension is illegal_parameter" =>
    fn duplicate_extension_is_illegal_parameter() {
        let (mut p, mut ch) = before_hello();
        for i in 0..300u16 {
            ch.extensions.insert(0, ClientExtension::Unknown { typ: ExtensionType::from_wire(0xa000 + i), data: Vec::new() });
        }
        ch.extensions.insert(0, ClientExtension::Unknown { typ: ExtensionType::from_wire(0xa000), data: Vec::new() });
        let offset = 4 + 2 + 32 + 1 + ch.session_id.len() + 2 + 2 * ch.cipher_suites.len() + 2 + 2 + 4 * 300;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::IllegalParameter, &format!(
            "peer sent a malformed ClientHello: field extensions at byte {offset}: extension 0xa000 appears more than once"))
    }

    /// RFC 8446, 4.4.4: `opaque verify_data[Hash.length]`; RFC 8446, 6.2:
    /// decode_error is for "the length of the message was incorrect", decrypt_error
    /// for a verify_data that does not match. A Finished one byte short is the former.
    "4.4.4", "Finished of the wrong length is decode_error" =>
    fn finished_of_the_wrong_length_is_decode_error() {
        let mut p = crate::pair::Pair::new(crate::peer::client(), crate::peer::server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        p.transfer(Side::Server).map_err(|e| format!("server flight: {e}"))?;
        let mut flight = p.take(Side::Client);
        p.edit_sealed(Side::Client, CLIENT_HS, &mut flight, |pieces| {
            let msg = sealed_message(pieces, HandshakeType::Finished);
            msg.pop();
            msg[3] -= 1;
        });
        let outcome = p.deliver(Side::Server, &flight);
        refused(&mut p, Side::Server, outcome, A::DecodeError,
            "peer sent a malformed Finished: field verify_data at byte 4: length 31 where exactly 32 are needed")
    }

    /// RFC 8446, 6.2: unexpected_message: "An inappropriate message (e.g., the wrong
    /// handshake message, premature Application Data, etc.) was received." A
    /// message of a type the server does not take before ClientHello is that,
    /// whether or not its body would decode (the type alone is wrong).
    "6.2", "handshake message of a type not allowed before ClientHello is unexpected_message" =>
    fn handshake_message_of_an_unexpected_type_is_unexpected_message() {
        for (typ, body, name) in [
            (HandshakeType::ServerKeyExchange, &[3u8, 0, 23, 1, 4][..], "ServerKeyExchange"),
            (HandshakeType::from_wire(0x63), &[1, 2, 3][..], "handshake message"),
            (HandshakeType::Finished, &[0; 7][..], "Finished"),
            // Bodies that do not decode as their type.
            (HandshakeType::Certificate, &[0xff; 5][..], "Certificate"),
            (HandshakeType::EncryptedExtensions, &[0, 9, 1][..], "EncryptedExtensions"),
            (HandshakeType::KeyUpdate, &[7, 7][..], "KeyUpdate"),
        ] {
            let (mut p, _) = before_hello();
            let outcome = p.deliver(Side::Server, &plain_record(ContentType::Handshake, &message(typ, body)));
            let text = format!("peer sent {name} while waiting for the ClientHello");
            refused(&mut p, Side::Server, outcome, A::UnexpectedMessage, &text).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }

    /// RFC 8446, 6.2 and 4.4.4: a ClientHello in place of the client's Finished,
    /// with a body that does not decode, is unexpected_message too.
    "6.2", "malformed ClientHello in place of Finished is unexpected_message" =>
    fn malformed_client_hello_in_place_of_finished_is_unexpected_message() {
        let mut p = crate::pair::Pair::new(crate::peer::client(), crate::peer::server());
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        p.transfer(Side::Server).map_err(|e| format!("server flight: {e}"))?;
        let mut flight = p.take(Side::Client);
        p.edit_sealed(Side::Client, CLIENT_HS, &mut flight, |pieces| {
            *sealed_message(pieces, HandshakeType::Finished) = message(HandshakeType::ClientHello, &[3, 3, 0]);
        });
        let outcome = p.deliver(Side::Server, &flight);
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent ClientHello while waiting for the peer's Finished")
    }
}
