//! RFC 8446 (TLS 1.3), more rules: ClientHello contents the server must refuse
//! (4.1, 4.2), the record layer (5) and alerts (6), one scripted peer each.

use ferrotls::msgs::enums::{
    AlertDescription as A, AlertLevel, CipherSuite, ContentType, ExtensionType, HandshakeType,
    KeyUpdateRequest, NamedGroup, PskKeyExchangeMode,
};
use ferrotls::msgs::{
    ClientExtension, HandshakeMessage, HandshakePayload, KeyShareEntry, KeyUpdate, OfferedPsks,
    PskIdentity,
};

use crate::pair::{alert_record, plain_record, raw_record, sealed_message, Piece, Side};
use crate::peer::{
    before_hello, connected, extension_body_offset, failed_without_alert, hello_bytes,
    hello_refused, message, refused, send_edited_client_flight, send_hello, set_extension, without,
};

/// A pre_shared_key offer with one made-up identity and binder.
fn made_up_psk() -> ClientExtension {
    ClientExtension::PreSharedKey(OfferedPsks {
        identities: vec![PskIdentity {
            identity: vec![0x11; 16],
            obfuscated_ticket_age: 0,
        }],
        binders: vec![vec![0x22; 32]],
    })
}

const BAD_CCS: &str = "peer sent a change_cipher_spec record that is not allowed here (it must be the single byte 1, and only during the handshake)";

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 4.1.2: "If a TLS 1.3 ClientHello is received with any other value
    /// in this field, the server MUST abort the handshake with an
    /// "illegal_parameter" alert." (legacy_compression_methods other than null)
    "4.1.2", "compression methods other than null are illegal_parameter" =>
    fn compression_other_than_null_is_illegal_parameter() {
        hello_refused(|ch| ch.compression_methods = vec![1, 0], A::IllegalParameter,
            "peer offered compression methods other than null, which TLS 1.3 forbids")
    }

    /// RFC 8446, 4.1.1: "If the server is unable to negotiate a supported set of
    /// parameters [...], it MUST abort the handshake with either a
    /// "handshake_failure" or an "insufficient_security" fatal alert."
    "4.1.1", "no cipher suite in common is handshake_failure" =>
    fn no_common_cipher_suite_is_handshake_failure() {
        hello_refused(|ch| ch.cipher_suites = vec![CipherSuite::TLS13_AES_128_CCM_SHA256], A::HandshakeFailure,
            "no cipher suite in common: the peer offered TLS_AES_128_CCM_SHA256; enabled here: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256")
    }

    /// RFC 8446, 4.1.1: no group in common (and no share to retry with) is
    /// handshake_failure.
    "4.1.1", "no key exchange group in common is handshake_failure" =>
    fn no_common_group_is_handshake_failure() {
        hello_refused(|ch| {
            set_extension(ch, ClientExtension::SupportedGroups(vec![NamedGroup::secp521r1]));
            set_extension(ch, ClientExtension::KeyShare(Vec::new()));
        }, A::HandshakeFailure,
            "no key exchange group in common: the peer offered secp521r1; enabled here: X25519MLKEM768, x25519, secp256r1, secp384r1")
    }

    /// RFC 8446, 9.2: a ClientHello offering TLS 1.3 without supported_groups (for
    /// (EC)DHE) is refused: "servers MUST [...] abort the handshake with a
    /// "missing_extension" alert".
    "9.2", "TLS 1.3 ClientHello without supported_groups is missing_extension" =>
    fn client_hello_without_supported_groups_is_missing_extension() {
        hello_refused(|ch| without(ch, ExtensionType::SupportedGroups), A::MissingExtension,
            "peer's ClientHello lacks the required supported_groups extension")
    }

    /// RFC 8446, 9.2: certificate authentication needs signature_algorithms; without
    /// it, missing_extension.
    "9.2", "TLS 1.3 ClientHello without signature_algorithms is missing_extension" =>
    fn client_hello_without_signature_algorithms_is_missing_extension() {
        hello_refused(|ch| without(ch, ExtensionType::SignatureAlgorithms), A::MissingExtension,
            "peer's ClientHello lacks the required signature_algorithms extension")
    }

    /// RFC 8446, 4.2.8: "Each KeyShareEntry value MUST correspond to a group offered
    /// in the "supported_groups" extension [...]. Servers MAY check for violations
    /// of these rules and abort the handshake with an "illegal_parameter" alert".
    "4.2.8", "key share for a group missing from supported_groups is illegal_parameter" =>
    fn key_share_for_an_unlisted_group_is_illegal_parameter() {
        hello_refused(|ch| set_extension(ch, ClientExtension::SupportedGroups(vec![NamedGroup::X25519MLKEM768])),
            A::IllegalParameter,
            "peer's ClientHello has an illegal key_share: it holds a share for a group missing from supported_groups")
    }

    /// RFC 8446, 4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for
    /// the same group." (illegal_parameter, as the rule above)
    "4.2.8", "two key shares for one group are illegal_parameter" =>
    fn two_key_shares_for_one_group_are_illegal_parameter() {
        let (mut p, mut ch) = before_hello();
        let share = KeyShareEntry { group: NamedGroup::X25519, payload: vec![9; 32] };
        set_extension(&mut ch, ClientExtension::KeyShare(vec![share.clone(), share]));
        let at = extension_body_offset(&ch, ExtensionType::KeyShare) + 2 + 4 + 32;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::IllegalParameter, &format!(
            "peer sent a malformed ClientHello: field client_shares at byte {at}: value 0x1d appears more than once"))
    }

    /// RFC 8446, 4.2.8.1 and 7.4.2: a key share that is not a valid public value is
    /// refused (illegal_parameter).
    "4.2.8.1", "invalid X25519 key share is illegal_parameter" =>
    fn invalid_x25519_key_share_is_illegal_parameter() {
        hello_refused(|ch| set_extension(ch, ClientExtension::KeyShare(vec![KeyShareEntry {
            group: NamedGroup::X25519, payload: vec![9; 31] }])),
            A::IllegalParameter, "peer's x25519 key share is not a valid public key")
    }

    /// RFC 8446, 4.2.11: "The "pre_shared_key" extension MUST be the last extension
    /// in the ClientHello [...]. Servers MUST check that it is the last extension and
    /// otherwise fail the handshake with an "illegal_parameter" alert."
    "4.2.11", "pre_shared_key not last is illegal_parameter" =>
    fn pre_shared_key_not_last_is_illegal_parameter() {
        let (mut p, mut ch) = before_hello();
        ch.extensions.push(made_up_psk());
        let last = ExtensionType::from_wire(0xa0a0);
        ch.extensions.push(ClientExtension::Unknown { typ: last, data: Vec::new() });
        let at = extension_body_offset(&ch, last) - 4;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::IllegalParameter, &format!(
            "peer sent a malformed ClientHello: field extensions at byte {at}: pre_shared_key must be the last extension"))
    }

    /// RFC 8446, 4.2.9: "If clients offer "pre_shared_key" without a
    /// "psk_key_exchange_modes" extension, servers MUST abort the handshake."
    /// (missing_extension, RFC 8446, 6.2)
    "4.2.9", "pre_shared_key without psk_key_exchange_modes is missing_extension" =>
    fn pre_shared_key_without_psk_modes_is_missing_extension() {
        hello_refused(|ch| {
            without(ch, ExtensionType::PskKeyExchangeModes);
            ch.extensions.push(made_up_psk());
        }, A::MissingExtension, "peer's ClientHello lacks the required psk_key_exchange_modes extension")
    }

    /// RFC 8446, 4.2.9: a PSK offered with only psk_ke is not resumed ("Servers MUST
    /// NOT select a key exchange mode that is not listed by the client" and ferrotls
    /// has no psk_ke): a full handshake follows.
    "4.2.9", "PSK with only psk_ke gets a full handshake" =>
    fn psk_with_only_psk_ke_gets_a_full_handshake() {
        let (mut p, mut ch) = before_hello();
        set_extension(&mut ch, ClientExtension::PskKeyExchangeModes(vec![PskKeyExchangeMode::PskKe]));
        ch.extensions.push(made_up_psk());
        let outcome = send_hello(&mut p, &ch);
        crate::peer::answered_hello(&mut p, outcome, false)?;
        crate::peer::same("resumed", p.server.negotiated().resumed, false)
    }

    /// RFC 8446, 4.2: "If an implementation receives an extension which it
    /// recognizes and which is not specified for the message in which it appears,
    /// it MUST abort the handshake with an "illegal_parameter" alert." oid_filters
    /// belongs to CertificateRequest only.
    "4.2", "extension not specified for ClientHello is illegal_parameter" =>
    fn extension_not_for_client_hello_is_illegal_parameter() {
        let (mut p, mut ch) = before_hello();
        let typ = ExtensionType::OidFilters;
        ch.extensions.insert(0, ClientExtension::Unknown { typ, data: vec![0, 0] });
        let at = extension_body_offset(&ch, typ) - 4;
        let outcome = send_hello(&mut p, &ch);
        refused(&mut p, Side::Server, outcome, A::IllegalParameter, &format!(
            "peer sent a malformed ClientHello: field extensions at byte {at}: extension 0x0030 is not allowed in this message"))
    }

    /// RFC 8446, 4.4.4: "Recipients of Finished messages MUST verify that the
    /// contents are correct and if incorrect MUST terminate the connection with a
    /// "decrypt_error" alert."
    "4.4.4", "Finished with wrong verify_data is decrypt_error" =>
    fn finished_with_wrong_verify_data_is_decrypt_error() {
        let (mut p, outcome) = send_edited_client_flight(|pieces| {
            sealed_message(pieces, HandshakeType::Finished)[4] ^= 1;
        })?;
        refused(&mut p, Side::Server, outcome, A::DecryptError,
            "the client's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys")
    }

    /// RFC 8446, 4.6.3: "If an implementation receives any other value [of
    /// request_update], it MUST terminate the connection with an
    /// "illegal_parameter" alert."
    "4.6.3", "KeyUpdate with an undefined request_update is illegal_parameter" =>
    fn key_update_with_an_undefined_request_is_illegal_parameter() {
        let (mut p, mut cipher) = connected();
        let ku = HandshakeMessage::new(HandshakePayload::KeyUpdate(KeyUpdate(KeyUpdateRequest::Unknown(2)))).to_bytes();
        let outcome = p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Handshake, &ku));
        refused(&mut p, Side::Server, outcome, A::IllegalParameter,
            "peer sent a KeyUpdate with request_update 2; only 0 and 1 are defined")
    }

    /// RFC 8446, 4.6.1 and 6.2: NewSessionTicket is the server's; one from the
    /// client is "the wrong handshake message", unexpected_message.
    "4.6.1", "NewSessionTicket from the client is unexpected_message" =>
    fn new_session_ticket_from_the_client_is_unexpected_message() {
        let (mut p, mut cipher) = connected();
        let nst = message(HandshakeType::NewSessionTicket, &[0, 0, 14, 16, 0, 0, 0, 0, 0, 0, 1, 7, 0, 0]);
        let outcome = p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Handshake, &nst));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent NewSessionTicket after the handshake, where it is not allowed")
    }

    /// RFC 8446, 4 and 6.2: a second ClientHello after the handshake (TLS 1.3 has
    /// no renegotiation) is unexpected_message.
    "4.1.2", "ClientHello after the handshake is unexpected_message" =>
    fn client_hello_after_the_handshake_is_unexpected_message() {
        let (mut p, mut cipher) = connected();
        let (_, ch) = before_hello();
        let outcome = p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Handshake, &hello_bytes(&ch)));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent ClientHello after the handshake, where it is not allowed")
    }

    /// RFC 8446, 5: "An implementation may receive an unencrypted record of type
    /// change_cipher_spec consisting of the single byte value 0x01 at any time
    /// after the first ClientHello message has been sent or received and before
    /// the peer's Finished message has been received [...]. An implementation which
    /// receives any other change_cipher_spec value or which receives a protected
    /// change_cipher_spec record MUST abort the handshake with an
    /// "unexpected_message" alert." Before the ClientHello:
    "5", "change_cipher_spec before ClientHello is unexpected_message" =>
    fn ccs_before_client_hello_is_unexpected_message() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::ChangeCipherSpec, &[1]));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage, BAD_CCS)
    }

    /// RFC 8446, 5: a change_cipher_spec of another value than 0x01.
    "5", "change_cipher_spec other than 0x01 is unexpected_message" =>
    fn ccs_other_than_1_is_unexpected_message() {
        let (mut p, _) = before_hello();
        let mut flight = Vec::new();
        let (_, ch) = before_hello();
        flight.extend(plain_record(ContentType::Handshake, &hello_bytes(&ch)));
        flight.extend(plain_record(ContentType::ChangeCipherSpec, &[2]));
        let outcome = p.deliver(Side::Server, &flight);
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage, BAD_CCS)
    }

    /// RFC 8446, 5: a protected change_cipher_spec record.
    "5", "protected change_cipher_spec is unexpected_message" =>
    fn protected_ccs_is_unexpected_message() {
        let (mut p, outcome) = send_edited_client_flight(|pieces| {
            pieces.insert(0, Piece::Sealed { typ: ContentType::ChangeCipherSpec, content: vec![1] });
        })?;
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent a record of type change_cipher_spec where none is allowed")
    }

    /// RFC 8446, 5: after the handshake a change_cipher_spec is no longer allowed.
    "5", "change_cipher_spec after the handshake is unexpected_message" =>
    fn ccs_after_the_handshake_is_unexpected_message() {
        let (mut p, _) = connected();
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::ChangeCipherSpec, &[1]));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage, BAD_CCS)
    }

    /// RFC 8446, 5: "If a TLS implementation receives an unexpected record type, it
    /// MUST terminate the connection with an "unexpected_message" alert."
    "5", "unknown record content type is unexpected_message" =>
    fn unknown_content_type_is_unexpected_message() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &raw_record(0x63, 0x0303, &[1, 2, 3]));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent a record of type unknown(0x63) where none is allowed")
    }

    /// RFC 8446, 5: application data before the handshake keys is an unexpected
    /// record type here.
    "5", "application_data before the handshake is unexpected_message" =>
    fn application_data_before_the_handshake_is_unexpected_message() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::ApplicationData, &[1, 2, 3]));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent a record of type application_data where none is allowed")
    }

    /// RFC 8446, 5.1: "Implementations MUST NOT send zero-length fragments of
    /// Handshake types"; one received is unexpected_message.
    "5.1", "zero-length handshake fragment is unexpected_message" =>
    fn zero_length_handshake_fragment_is_unexpected_message() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::Handshake, &[]));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent an empty handshake record, which is not allowed")
    }

    /// RFC 8446, 5.1: "The length MUST NOT exceed 2^14 bytes. An endpoint that
    /// receives a record that exceeds this length MUST terminate the connection
    /// with a "record_overflow" alert."
    "5.1", "plaintext record over 2^14 bytes is record_overflow" =>
    fn plaintext_record_over_2_14_is_record_overflow() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &raw_record(22, 0x0301, &[1; (1 << 14) + 1]));
        refused(&mut p, Side::Server, outcome, A::RecordOverflow,
            "peer sent a record of 16385 bytes, more than the 16384 allowed")
    }

    /// RFC 8446, 5.1: "Handshake messages MUST NOT span key changes [...] an
    /// implementation MUST terminate the connection with an "unexpected_message"
    /// alert": bytes of a next message after the ClientHello in its record.
    "5.1", "handshake message spanning a key change is unexpected_message" =>
    fn handshake_message_spanning_a_key_change_is_unexpected_message() {
        let (mut p, ch) = before_hello();
        let mut bytes = hello_bytes(&ch);
        bytes.extend_from_slice(&[20, 0]);
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::Handshake, &bytes));
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent a handshake message that continues across a change of keys")
    }

    /// RFC 8446, 5.1: "Handshake messages MUST NOT be interleaved with other record
    /// types": an alert between two fragments of the ClientHello.
    "5.1", "record of another type between handshake fragments is unexpected_message" =>
    fn record_between_handshake_fragments_is_unexpected_message() {
        let (mut p, ch) = before_hello();
        let bytes = hello_bytes(&ch);
        let mut flight = plain_record(ContentType::Handshake, &bytes[..10]);
        flight.extend(alert_record(AlertLevel::Warning, A::UserCanceled));
        flight.extend(plain_record(ContentType::Handshake, &bytes[10..]));
        let outcome = p.deliver(Side::Server, &flight);
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer interleaved another record type inside a fragmented handshake message")
    }

    /// RFC 8446, 5.2: "The length [of TLSCiphertext] MUST NOT exceed 2^14 + 256
    /// bytes. An endpoint that receives a record that exceeds this length MUST
    /// terminate the connection with a "record_overflow" alert."
    "5.2", "ciphertext record over 2^14 + 256 bytes is record_overflow" =>
    fn ciphertext_record_over_limit_is_record_overflow() {
        let (mut p, _) = connected();
        let outcome = p.deliver(Side::Server, &raw_record(23, 0x0303, &[0; (1 << 14) + 257]));
        refused(&mut p, Side::Server, outcome, A::RecordOverflow,
            "peer sent a record of 16641 bytes, more than the 16640 allowed")
    }

    /// RFC 8446, 5.2: "If the decryption fails, the receiver MUST terminate the
    /// connection with a "bad_record_mac" alert."
    "5.2", "record that fails to decrypt is bad_record_mac" =>
    fn record_that_fails_to_decrypt_is_bad_record_mac() {
        let (mut p, mut cipher) = connected();
        let mut record = cipher.seal_bytes(ContentType::ApplicationData, b"hello");
        let last = record.len() - 1;
        record[last] ^= 1;
        let outcome = p.deliver(Side::Server, &record);
        refused(&mut p, Side::Server, outcome, A::BadRecordMac,
            "record 0 from the peer failed decryption: it was altered in transit or the peers derived different keys")
    }

    /// RFC 8446, 5.2: "The length [of TLSInnerPlaintext] MUST NOT exceed 2^14 + 1
    /// octets"; more is record_overflow though the ciphertext fits.
    "5.2", "protected plaintext over 2^14 + 1 bytes is record_overflow" =>
    fn protected_plaintext_over_limit_is_record_overflow() {
        let (mut p, mut cipher) = connected();
        let record = cipher.seal_bytes(ContentType::ApplicationData, &[7; (1 << 14) + 1]);
        let outcome = p.deliver(Side::Server, &record);
        refused(&mut p, Side::Server, outcome, A::RecordOverflow,
            "peer sent a record of 16386 bytes, more than the 16385 allowed")
    }

    /// RFC 8446, 5.4: "If a receiving implementation does not find a non-zero octet
    /// in the cleartext, it MUST terminate the connection with an
    /// "unexpected_message" alert."
    "5.4", "protected record with no content type is unexpected_message" =>
    fn protected_record_without_content_type_is_unexpected_message() {
        let (mut p, mut cipher) = connected();
        let record = cipher.seal_padded(ContentType::Unknown(0), &[], 20);
        let bytes = crate::pair::join_records(&[record]);
        let outcome = p.deliver(Side::Server, &bytes);
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent an encrypted record with no content type (all padding)")
    }

    /// RFC 8446, 5.4: padding of zeros after the content type is accepted
    /// ("Implementations MAY choose to pad").
    "5.4", "zero padding in a protected record is accepted" =>
    fn zero_padding_is_accepted() {
        let (mut p, mut cipher) = connected();
        let record = cipher.seal_padded(ContentType::ApplicationData, b"padded", 300);
        let bytes = crate::pair::join_records(&[record]);
        if let Err(e) = p.deliver(Side::Server, &bytes) {
            return Err(format!("the server refused a padded record: {e}"));
        }
        let (data, _) = crate::pair::read_plaintext(&mut p.server);
        crate::peer::same("plaintext", data.as_slice(), b"padded".as_slice())
    }

    /// RFC 8446, 6: "Unknown Alert types MUST be treated as error alerts." The
    /// connection ends, with no alert in answer.
    "6", "alert of an unknown type is an error" =>
    fn unknown_alert_is_an_error() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::Alert, &[1, 200]));
        failed_without_alert(&mut p, Side::Server, outcome,
            "peer sent a fatal unknown(0xc8) alert; the connection is closed")
    }

    /// RFC 8446, 6.2: "All alerts listed in Section 6.2 MUST be sent with
    /// AlertLevel=fatal and MUST be treated as error alerts when received
    /// regardless of the AlertLevel in the message." A warning-level
    /// handshake_failure ends the connection.
    "6.2", "error alert at warning level is an error" =>
    fn error_alert_at_warning_level_is_an_error() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &alert_record(AlertLevel::Warning, A::HandshakeFailure));
        failed_without_alert(&mut p, Side::Server, outcome,
            "peer sent a fatal handshake_failure alert; the connection is closed (the peer found no acceptable parameters (suites, groups, signatures))")
    }

    /// RFC 8446, 6 and 5.1: an alert record must hold exactly one alert (two bytes);
    /// another length is decode_error.
    "6", "alert record of the wrong length is decode_error" =>
    fn alert_of_the_wrong_length_is_decode_error() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &plain_record(ContentType::Alert, &[2, 40, 0]));
        refused(&mut p, Side::Server, outcome, A::DecodeError,
            "peer sent a malformed Alert: field description at byte 2: 1 unexpected byte(s) after the end")
    }
}

/// What ferrotls does not follow of RFC 8446, and why.
pub const DEVIATIONS: &[crate::registry::Deviation] = &[
    crate::registry::Deviation {
        rfc: "RFC 8446",
        section: "5.1",
        rule: "legacy_record_version MUST be ignored for all purposes",
        reason: "a record whose version's major byte is not 3 is refused with protocol_version: such bytes are not TLS (an HTTP request to a TLS port, say), and OpenSSL and BoringSSL refuse them too",
    },
    crate::registry::Deviation {
        rfc: "RFC 8446",
        section: "5.1",
        rule: "Zero-length fragments of Application Data MAY be sent",
        reason: "accepted, but more than 32 empty records (or TLS 1.2 warning alerts) in a row are refused with unexpected_message: a peer sending only those makes the receiver spin without progress",
    },
];
