//! Wire enums. Each keeps unknown values (`Unknown(n)`) so decode -> encode is exact.

use crate::codec::{put_u16, put_u8, Codec, DecodeError, Reader};

/// Declares a wire enum over `u8` or `u16` with named values and `Unknown(n)`.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident : $repr:ident, $field:literal { $($(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            Unknown($repr),
        }

        impl $name {
            pub fn to_wire(self) -> $repr {
                match self {
                    $($name::$variant => $value,)*
                    $name::Unknown(v) => v,
                }
            }

            pub fn from_wire(v: $repr) -> Self {
                match v {
                    $($value => $name::$variant,)*
                    other => $name::Unknown(other),
                }
            }

            /// The name used in the RFCs (e.g. `TLS_AES_128_GCM_SHA256`), or the hex value.
            pub fn name(self) -> std::borrow::Cow<'static, str> {
                match self {
                    $($name::$variant => std::borrow::Cow::Borrowed($text),)*
                    $name::Unknown(v) => std::borrow::Cow::Owned(format!("unknown({:#x})", v)),
                }
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&self.name())
            }
        }

        impl Codec for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                wire_enum!(@put $repr, out, self.to_wire());
            }
            fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                Ok(Self::from_wire(wire_enum!(@get $repr, r, $field)?))
            }
        }
    };
    (@put u8, $out:ident, $v:expr) => { put_u8($out, $v) };
    (@put u16, $out:ident, $v:expr) => { put_u16($out, $v) };
    (@get u8, $r:ident, $field:literal) => { $r.u8($field) };
    (@get u16, $r:ident, $field:literal) => { $r.u16($field) };
}
#[allow(unused_imports)] // used by later wire-enum modules
pub(crate) use wire_enum;

wire_enum! {
    /// TLS record content types (RFC 8446, 5.1).
    ContentType: u8, "content_type" {
        ChangeCipherSpec = 20 => "change_cipher_spec",
        Alert = 21 => "alert",
        Handshake = 22 => "handshake",
        ApplicationData = 23 => "application_data",
        Heartbeat = 24 => "heartbeat",
    }
}

wire_enum! {
    /// Protocol versions as they appear on the wire.
    ProtocolVersion: u16, "version" {
        SSLv3 = 0x0300 => "SSLv3",
        TLSv1_0 = 0x0301 => "TLSv1.0",
        TLSv1_1 = 0x0302 => "TLSv1.1",
        TLSv1_2 = 0x0303 => "TLSv1.2",
        TLSv1_3 = 0x0304 => "TLSv1.3",
    }
}

wire_enum! {
    /// Alert levels (RFC 8446, 6).
    AlertLevel: u8, "level" {
        Warning = 1 => "warning",
        Fatal = 2 => "fatal",
    }
}

wire_enum! {
    /// Alert descriptions (RFC 8446, 6; RFC 5246, 7.2).
    AlertDescription: u8, "description" {
        CloseNotify = 0 => "close_notify",
        UnexpectedMessage = 10 => "unexpected_message",
        BadRecordMac = 20 => "bad_record_mac",
        DecryptionFailed = 21 => "decryption_failed",
        RecordOverflow = 22 => "record_overflow",
        DecompressionFailure = 30 => "decompression_failure",
        HandshakeFailure = 40 => "handshake_failure",
        NoCertificate = 41 => "no_certificate",
        BadCertificate = 42 => "bad_certificate",
        UnsupportedCertificate = 43 => "unsupported_certificate",
        CertificateRevoked = 44 => "certificate_revoked",
        CertificateExpired = 45 => "certificate_expired",
        CertificateUnknown = 46 => "certificate_unknown",
        IllegalParameter = 47 => "illegal_parameter",
        UnknownCa = 48 => "unknown_ca",
        AccessDenied = 49 => "access_denied",
        DecodeError = 50 => "decode_error",
        DecryptError = 51 => "decrypt_error",
        ExportRestriction = 60 => "export_restriction",
        ProtocolVersion = 70 => "protocol_version",
        InsufficientSecurity = 71 => "insufficient_security",
        InternalError = 80 => "internal_error",
        InappropriateFallback = 86 => "inappropriate_fallback",
        UserCanceled = 90 => "user_canceled",
        NoRenegotiation = 100 => "no_renegotiation",
        MissingExtension = 109 => "missing_extension",
        UnsupportedExtension = 110 => "unsupported_extension",
        CertificateUnobtainable = 111 => "certificate_unobtainable",
        UnrecognizedName = 112 => "unrecognized_name",
        BadCertificateStatusResponse = 113 => "bad_certificate_status_response",
        BadCertificateHashValue = 114 => "bad_certificate_hash_value",
        UnknownPskIdentity = 115 => "unknown_psk_identity",
        CertificateRequired = 116 => "certificate_required",
        NoApplicationProtocol = 120 => "no_application_protocol",
        EchRequired = 121 => "ech_required",
    }
}
