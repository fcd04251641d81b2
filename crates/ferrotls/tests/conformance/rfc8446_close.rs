//! RFC 8446 (TLS 1.3): what the peer must accept and how connections end:
//! KeyUpdate (4.6.3), record framing it may choose (5.1), closure and error alerts
//! (6.1, 6.2).

use ferrotls::msgs::enums::{AlertDescription as A, AlertLevel, ContentType, KeyUpdateRequest};
use ferrotls::msgs::{HandshakeMessage, HandshakePayload, KeyUpdate};

use crate::pair::{alert_record, raw_record, read_plaintext, split_records, Side};
use crate::peer::{
    answered_hello, before_hello, connected, failed_without_alert, hello_bytes, refused, same,
};

rules! {
    rfc: "RFC 8446";

    /// RFC 8446, 4.6.3: "If the request_update field is set to "update_requested",
    /// then the receiver MUST send a KeyUpdate of its own with request_update set to
    /// "update_not_requested" prior to sending its next Application Data record."
    "4.6.3", "KeyUpdate update_requested is answered with KeyUpdate update_not_requested" =>
    fn key_update_requested_is_answered() {
        let (mut p, mut cipher) = connected();
        let ku = HandshakeMessage::new(HandshakePayload::KeyUpdate(KeyUpdate(KeyUpdateRequest::UpdateRequested))).to_bytes();
        p.deliver(Side::Server, &cipher.seal_bytes(ContentType::Handshake, &ku))
            .map_err(|e| format!("the server refused the KeyUpdate: {e}"))?;
        std::io::Write::write_all(&mut p.server.writer(), b"after").map_err(|e| e.to_string())?;
        let records = split_records(&p.take(Side::Server));
        let mut server_cipher = p.cipher(Side::Server, "SERVER_TRAFFIC_SECRET_0");
        let first = records.first().and_then(|r| server_cipher.open(r)).ok_or("nothing the old key opens")?;
        let answer = HandshakeMessage::new(HandshakePayload::KeyUpdate(KeyUpdate(KeyUpdateRequest::UpdateNotRequested))).to_bytes();
        same("first record after the request", first, (ContentType::Handshake, answer))
    }

    /// RFC 8446, 5.1: "Zero-length fragments of Application Data MAY be sent";
    /// one is accepted.
    "5.1", "zero-length application data record is accepted" =>
    fn empty_application_data_is_accepted() {
        let (mut p, mut cipher) = connected();
        let mut bytes = cipher.seal_bytes(ContentType::ApplicationData, &[]);
        bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, b"data"));
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        let (data, _) = read_plaintext(&mut p.server);
        same("plaintext", data.as_slice(), b"data".as_slice())
    }

    /// RFC 8446, 5.1: the initial ClientHello's record may carry legacy version
    /// 0x0301 ("MAY be 0x0301 for compatibility"), and clients use 0x0300 too; the
    /// value is otherwise ignored.
    "5.1", "ClientHello record version 0x0300, 0x0301 or 0x0303 is accepted" =>
    fn client_hello_record_versions_are_accepted() {
        for version in [0x0300, 0x0301, 0x0303] {
            let (mut p, ch) = before_hello();
            let outcome = p.deliver(Side::Server, &raw_record(22, version, &hello_bytes(&ch)));
            answered_hello(&mut p, outcome, false).map_err(|e| format!("{version:#06x}: {e}"))?;
        }
        Ok(())
    }

    /// RFC 8446, 6.1: "Any data received after a closure alert has been received
    /// MUST be ignored."
    "6.1", "data after close_notify is ignored" =>
    fn data_after_close_notify_is_ignored() {
        let (mut p, mut cipher) = connected();
        let mut bytes = cipher.seal_bytes(ContentType::Alert, &[AlertLevel::Warning.to_wire(), A::CloseNotify.to_wire()]);
        bytes.extend(cipher.seal_bytes(ContentType::ApplicationData, b"ignored"));
        p.deliver(Side::Server, &bytes).map_err(|e| format!("refused: {e}"))?;
        let (data, closed) = read_plaintext(&mut p.server);
        same("plaintext after close_notify", data.as_slice(), b"".as_slice())?;
        same("end of stream", closed, true)
    }

    /// RFC 8446, 6.1: close_notify before the handshake completes leaves the
    /// handshake unfinished: an error (the peer closed), with nothing to answer.
    "6.1", "close_notify during the handshake ends it with an error" =>
    fn close_notify_during_the_handshake_is_an_error() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &alert_record(AlertLevel::Warning, A::CloseNotify));
        failed_without_alert(&mut p, Side::Server, outcome,
            "peer closed the connection (close_notify) before the handshake completed")
    }

    /// RFC 8446, 6.1: user_canceled "This alert notifies the recipient that the
    /// sender is canceling the handshake for some reason unrelated to a protocol
    /// failure"; at warning level it is followed by close_notify, so by itself it
    /// ends nothing.
    "6.1", "warning user_canceled alone does not end the connection" =>
    fn user_canceled_warning_is_not_an_error() {
        let (mut p, ch) = before_hello();
        let mut bytes = alert_record(AlertLevel::Warning, A::UserCanceled);
        bytes.extend(crate::pair::plain_record(ContentType::Handshake, &hello_bytes(&ch)));
        let outcome = p.deliver(Side::Server, &bytes);
        answered_hello(&mut p, outcome, false)
    }

    /// RFC 8446, 6.2: a fatal alert received ends the connection ("Upon
    /// transmission or receipt of a fatal alert message, both parties MUST
    /// immediately close the connection"), with no alert in answer.
    "6.2", "fatal alert received ends the connection without an answer" =>
    fn fatal_alert_ends_the_connection() {
        let (mut p, _) = before_hello();
        let outcome = p.deliver(Side::Server, &alert_record(AlertLevel::Fatal, A::InternalError));
        failed_without_alert(&mut p, Side::Server, outcome,
            "peer sent a fatal internal_error alert; the connection is closed")
    }

    /// RFC 8446, 5.1 permits empty application data records; ferrotls refuses a run
    /// of more than 32 in a row (unexpected_message), as a peer that sends only
    /// those makes no progress (see the deviations).
    "5.1", "more than 32 empty records in a row are unexpected_message" =>
    fn a_run_of_empty_records_is_unexpected_message() {
        let (mut p, mut cipher) = connected();
        let bytes: Vec<u8> = (0..33).flat_map(|_| cipher.seal_bytes(ContentType::ApplicationData, &[])).collect();
        let outcome = p.deliver(Side::Server, &bytes);
        refused(&mut p, Side::Server, outcome, A::UnexpectedMessage,
            "peer sent 33 empty or warning records in a row without progress")
    }
}
