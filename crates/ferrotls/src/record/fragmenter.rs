//! Fragmentation and unprotected records (RFC 8446, 5.1).

use super::{push_header, MAX_PLAINTEXT_LEN};
use crate::msgs::enums::{ContentType, ProtocolVersion};

/// The middlebox-compatibility change_cipher_spec record (RFC 8446, D.4): type 20,
/// version 0x0303, one byte of value 1.
pub const CCS_RECORD: [u8; 6] = [0x14, 0x03, 0x03, 0x00, 0x01, 0x01];

/// Splits `payload` into record-sized fragments of at most `max_len` bytes, clamped to
/// 1..=2^14 (a peer's record_size_limit may lower it). An empty payload yields nothing.
pub fn fragments(payload: &[u8], max_len: usize) -> std::slice::Chunks<'_, u8> {
    payload.chunks(max_len.clamp(1, MAX_PLAINTEXT_LEN))
}

/// Appends `payload` as unprotected TLSPlaintext records of at most 2^14 bytes each,
/// for messages sent before keys exist (ClientHello, ServerHello, HelloRetryRequest).
/// `version` is 0x0301 for an initial ClientHello and 0x0303 otherwise (RFC 8446, 5.1).
pub fn write_plain_record(
    typ: ContentType,
    version: ProtocolVersion,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    for fragment in fragments(payload, MAX_PLAINTEXT_LEN) {
        push_header(out, typ, version, fragment.len());
        out.extend_from_slice(fragment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Deframer, HandshakeJoiner, HEADER_LEN};

    #[test]
    fn ccs_record_is_what_the_writer_produces() {
        let mut out = Vec::new();
        write_plain_record(
            ContentType::ChangeCipherSpec,
            ProtocolVersion::TLSv1_2,
            &[1],
            &mut out,
        );
        assert_eq!(out, CCS_RECORD);
    }

    #[test]
    fn fragments_respect_the_limit() {
        let data = vec![3u8; 2 * MAX_PLAINTEXT_LEN + 5];
        let lens: Vec<usize> = fragments(&data, usize::MAX).map(<[u8]>::len).collect();
        assert_eq!(lens, [MAX_PLAINTEXT_LEN, MAX_PLAINTEXT_LEN, 5]);
        let lens: Vec<usize> = fragments(&data[..10], 4).map(<[u8]>::len).collect();
        assert_eq!(lens, [4, 4, 2]);
        assert_eq!(fragments(&data[..3], 0).count(), 3);
        assert_eq!(fragments(&[], 100).count(), 0);
    }

    #[test]
    fn large_plain_message_round_trips_through_deframer_and_joiner() {
        let mut message = vec![11, 0, 0x80, 0x00];
        message.extend((0..0x8000u32).map(|i| i as u8));
        let mut wire = Vec::new();
        write_plain_record(
            ContentType::Handshake,
            ProtocolVersion::TLSv1_0,
            &message,
            &mut wire,
        );
        assert_eq!(wire.len(), message.len() + 3 * HEADER_LEN);
        assert_eq!(wire[..5], [22, 3, 1, 0x40, 0x00]);

        let mut deframer = Deframer::new();
        let mut joiner = HandshakeJoiner::new();
        let mut input = &wire[..];
        let mut got = Vec::new();
        while !input.is_empty() {
            input = &input[deframer.push(input)..];
            while let Some(record) = deframer.next_record().unwrap() {
                let plain = record.into_plain().unwrap();
                assert_eq!(plain.typ, ContentType::Handshake);
                joiner.push(&plain.payload).unwrap();
                got.extend(joiner.next_message().unwrap());
            }
        }
        assert_eq!(got, [message]);
    }
}
