//! The alert message (RFC 8446, 6).

use super::enums::{AlertDescription, AlertLevel};
use crate::codec::{Codec, DecodeError, Reader};

/// An alert: level and description, exactly two bytes (RFC 8446, 6). In TLS 1.3 the
/// level carries no meaning; the description decides (RFC 8446, 6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertMessage {
    pub level: AlertLevel,
    pub description: AlertDescription,
}

impl AlertMessage {
    /// Decodes an alert record's whole content: alerts are never fragmented or
    /// coalesced, so anything but two bytes is an error (RFC 8446, 5.1).
    pub fn decode(payload: &[u8]) -> Result<Self, DecodeError> {
        Self::read(&mut Reader::new(payload, "Alert"))
    }
}

impl Codec for AlertMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        self.level.encode(out);
        self.description.encode(out);
    }

    /// Reads the alert; the reader must hold exactly its two bytes.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let level = AlertLevel::read(r)?;
        let description = AlertDescription::read(r)?;
        r.expect_empty("description")?;
        Ok(AlertMessage { level, description })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_round_trip_and_exact_length() {
        let alert = AlertMessage {
            level: AlertLevel::Fatal,
            description: AlertDescription::HandshakeFailure,
        };
        assert_eq!(alert.to_bytes(), [2, 40]);
        assert_eq!(AlertMessage::decode(&[2, 40]), Ok(alert));
        let unknown = AlertMessage::decode(&[7, 254]).unwrap();
        assert_eq!(unknown.to_bytes(), [7, 254]);
        assert_eq!(
            AlertMessage::decode(&[]).unwrap_err().to_string(),
            "malformed Alert: field level at byte 0: needs 1 byte(s) but only 0 remain (message cut short)"
        );
        assert_eq!(
            AlertMessage::decode(&[1]).unwrap_err().to_string(),
            "malformed Alert: field description at byte 1: needs 1 byte(s) but only 0 remain (message cut short)"
        );
        // RFC 8446, 5.1: alerts are never coalesced.
        assert_eq!(
            AlertMessage::decode(&[1, 0, 1, 0]).unwrap_err().to_string(),
            "malformed Alert: field description at byte 2: 2 unexpected byte(s) after the end"
        );
    }
}
