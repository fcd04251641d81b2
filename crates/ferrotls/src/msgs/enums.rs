//! Wire enums. Each keeps unknown values (`Unknown(n)`) so decode -> encode is exact.

use crate::codec::{put_u16, put_u8, Codec, DecodeError, Reader};

/// The ECHConfig version that ferrotls speaks (draft-ietf-tls-esni, 4); the same
/// value as the encrypted_client_hello extension's code point.
pub const ECH_VERSION: u16 = 0xfe0d;

/// The longest body a ClientHello can have (RFC 8446, 4.1.2, every vector at its
/// maximum): legacy_version 2, random 32, legacy_session_id 1 + 32, cipher_suites
/// 2 + (2^16 - 2), legacy_compression_methods 1 + 255, extensions 2 + (2^16 - 1).
/// ClientHellos up to this length are buffered whatever the other limit (OpenSSL
/// accepts the same, its `CLIENT_HELLO_MAX_LENGTH`); a longer one cannot be
/// encoded, so it is refused with decode_error as soon as its header arrives.
pub const MAX_CLIENT_HELLO_LEN: usize = 131_396;

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

wire_enum! {
    /// Handshake message types (RFC 8446, 4; RFC 5246, 7.4; RFC 6066, 8).
    HandshakeType: u8, "msg_type" {
        HelloRequest = 0 => "hello_request",
        ClientHello = 1 => "client_hello",
        ServerHello = 2 => "server_hello",
        NewSessionTicket = 4 => "new_session_ticket",
        EndOfEarlyData = 5 => "end_of_early_data",
        EncryptedExtensions = 8 => "encrypted_extensions",
        Certificate = 11 => "certificate",
        ServerKeyExchange = 12 => "server_key_exchange",
        CertificateRequest = 13 => "certificate_request",
        ServerHelloDone = 14 => "server_hello_done",
        CertificateVerify = 15 => "certificate_verify",
        ClientKeyExchange = 16 => "client_key_exchange",
        Finished = 20 => "finished",
        CertificateStatus = 22 => "certificate_status",
        KeyUpdate = 24 => "key_update",
        MessageHash = 254 => "message_hash",
    }
}

impl HandshakeType {
    /// The message's name as written in the RFCs' structs (e.g. `ClientHello`), used
    /// in decode errors and traces.
    pub fn message_name(self) -> &'static str {
        match self {
            HandshakeType::HelloRequest => "HelloRequest",
            HandshakeType::ClientHello => "ClientHello",
            HandshakeType::ServerHello => "ServerHello",
            HandshakeType::NewSessionTicket => "NewSessionTicket",
            HandshakeType::EndOfEarlyData => "EndOfEarlyData",
            HandshakeType::EncryptedExtensions => "EncryptedExtensions",
            HandshakeType::Certificate => "Certificate",
            HandshakeType::ServerKeyExchange => "ServerKeyExchange",
            HandshakeType::CertificateRequest => "CertificateRequest",
            HandshakeType::ServerHelloDone => "ServerHelloDone",
            HandshakeType::CertificateVerify => "CertificateVerify",
            HandshakeType::ClientKeyExchange => "ClientKeyExchange",
            HandshakeType::Finished => "Finished",
            HandshakeType::CertificateStatus => "CertificateStatus",
            HandshakeType::KeyUpdate => "KeyUpdate",
            HandshakeType::MessageHash => "MessageHash",
            HandshakeType::Unknown(_) => "handshake message",
        }
    }
}

wire_enum! {
    /// Cipher suites (RFC 8446, B.4; RFC 5246, A.5; RFC 5288; RFC 5289; RFC 8422, 6; RFC 7905).
    /// The TLS 1.3 suites carry a `TLS13_` prefix in Rust so they cannot be mistaken
    /// for TLS 1.2 suites; their display text is the IANA name.
    #[allow(non_camel_case_types)] // IANA spellings are easier to match against specs and logs
    CipherSuite: u16, "cipher_suite" {
        TLS13_AES_128_GCM_SHA256 = 0x1301 => "TLS_AES_128_GCM_SHA256",
        TLS13_AES_256_GCM_SHA384 = 0x1302 => "TLS_AES_256_GCM_SHA384",
        TLS13_CHACHA20_POLY1305_SHA256 = 0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        TLS13_AES_128_CCM_SHA256 = 0x1304 => "TLS_AES_128_CCM_SHA256",
        TLS13_AES_128_CCM_8_SHA256 = 0x1305 => "TLS_AES_128_CCM_8_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xc009 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xc00a => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xc013 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xc014 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 = 0xc023 => "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 = 0xc027 => "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384 = 0xc024 => "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 = 0xc028 => "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009c => "TLS_RSA_WITH_AES_128_GCM_SHA256",
        TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009d => "TLS_RSA_WITH_AES_256_GCM_SHA384",
        TLS_RSA_WITH_AES_128_CBC_SHA = 0x002f => "TLS_RSA_WITH_AES_128_CBC_SHA",
        TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035 => "TLS_RSA_WITH_AES_256_CBC_SHA",
        TLS_RSA_WITH_AES_128_CBC_SHA256 = 0x003c => "TLS_RSA_WITH_AES_128_CBC_SHA256",
        TLS_RSA_WITH_AES_256_CBC_SHA256 = 0x003d => "TLS_RSA_WITH_AES_256_CBC_SHA256",
        TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff => "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
        TLS_FALLBACK_SCSV = 0x5600 => "TLS_FALLBACK_SCSV",
    }
}

wire_enum! {
    /// Key exchange groups (RFC 8446, 4.2.7; RFC 7919; draft-ietf-tls-ecdhe-mlkem).
    #[allow(non_camel_case_types)] // RFC spellings (secp256r1), as in the IANA registry
    NamedGroup: u16, "group" {
        secp256r1 = 0x0017 => "secp256r1",
        secp384r1 = 0x0018 => "secp384r1",
        secp521r1 = 0x0019 => "secp521r1",
        X25519 = 0x001d => "x25519",
        X448 = 0x001e => "x448",
        FFDHE2048 = 0x0100 => "ffdhe2048",
        FFDHE3072 = 0x0101 => "ffdhe3072",
        FFDHE4096 = 0x0102 => "ffdhe4096",
        FFDHE6144 = 0x0103 => "ffdhe6144",
        FFDHE8192 = 0x0104 => "ffdhe8192",
        SecP256r1MLKEM768 = 0x11eb => "SecP256r1MLKEM768",
        X25519MLKEM768 = 0x11ec => "X25519MLKEM768",
        SecP384r1MLKEM1024 = 0x11ed => "SecP384r1MLKEM1024",
    }
}

wire_enum! {
    /// Signature schemes (RFC 8446, 4.2.3).
    #[allow(non_camel_case_types)] // upper-case RFC spellings read better than camel case here
    SignatureScheme: u16, "signature_scheme" {
        RSA_PKCS1_SHA1 = 0x0201 => "rsa_pkcs1_sha1",
        ECDSA_SHA1 = 0x0203 => "ecdsa_sha1",
        RSA_PKCS1_SHA256 = 0x0401 => "rsa_pkcs1_sha256",
        RSA_PKCS1_SHA384 = 0x0501 => "rsa_pkcs1_sha384",
        RSA_PKCS1_SHA512 = 0x0601 => "rsa_pkcs1_sha512",
        ECDSA_NISTP256_SHA256 = 0x0403 => "ecdsa_secp256r1_sha256",
        ECDSA_NISTP384_SHA384 = 0x0503 => "ecdsa_secp384r1_sha384",
        ECDSA_NISTP521_SHA512 = 0x0603 => "ecdsa_secp521r1_sha512",
        RSA_PSS_RSAE_SHA256 = 0x0804 => "rsa_pss_rsae_sha256",
        RSA_PSS_RSAE_SHA384 = 0x0805 => "rsa_pss_rsae_sha384",
        RSA_PSS_RSAE_SHA512 = 0x0806 => "rsa_pss_rsae_sha512",
        ED25519 = 0x0807 => "ed25519",
        ED448 = 0x0808 => "ed448",
        RSA_PSS_PSS_SHA256 = 0x0809 => "rsa_pss_pss_sha256",
        RSA_PSS_PSS_SHA384 = 0x080a => "rsa_pss_pss_sha384",
        RSA_PSS_PSS_SHA512 = 0x080b => "rsa_pss_pss_sha512",
    }
}

wire_enum! {
    /// Extension types (RFC 8446, 4.2, and the RFCs that define the others).
    ExtensionType: u16, "extension_type" {
        ServerName = 0 => "server_name",
        MaxFragmentLength = 1 => "max_fragment_length",
        StatusRequest = 5 => "status_request",
        SupportedGroups = 10 => "supported_groups",
        EcPointFormats = 11 => "ec_point_formats",
        SignatureAlgorithms = 13 => "signature_algorithms",
        UseSrtp = 14 => "use_srtp",
        Heartbeat = 15 => "heartbeat",
        ApplicationLayerProtocolNegotiation = 16 => "application_layer_protocol_negotiation",
        SignedCertificateTimestamp = 18 => "signed_certificate_timestamp",
        Padding = 21 => "padding",
        EncryptThenMac = 22 => "encrypt_then_mac",
        ExtendedMasterSecret = 23 => "extended_master_secret",
        SessionTicket = 35 => "session_ticket",
        PreSharedKey = 41 => "pre_shared_key",
        EarlyData = 42 => "early_data",
        SupportedVersions = 43 => "supported_versions",
        Cookie = 44 => "cookie",
        PskKeyExchangeModes = 45 => "psk_key_exchange_modes",
        CertificateAuthorities = 47 => "certificate_authorities",
        OidFilters = 48 => "oid_filters",
        PostHandshakeAuth = 49 => "post_handshake_auth",
        SignatureAlgorithmsCert = 50 => "signature_algorithms_cert",
        KeyShare = 51 => "key_share",
        EncryptedClientHello = 0xfe0d => "encrypted_client_hello",
        RenegotiationInfo = 0xff01 => "renegotiation_info",
    }
}

impl ExtensionType {
    /// ech_outer_extensions (draft-ietf-tls-esni, 5.1). It may appear only inside an
    /// EncodedClientHelloInner, so it is deliberately not a named variant: a ClientHello
    /// from the network that carries it still decodes, with the extension kept as
    /// `ClientExtension::Unknown`, and the ECH code (the `ech` module) refuses it there.
    #[allow(non_upper_case_globals)] // reads like the variants it stands beside
    pub const EchOuterExtensions: ExtensionType = ExtensionType::Unknown(0xfd00);
}

wire_enum! {
    /// PSK key exchange modes (RFC 8446, 4.2.9).
    PskKeyExchangeMode: u8, "ke_mode" {
        PskKe = 0 => "psk_ke",
        PskDheKe = 1 => "psk_dhe_ke",
    }
}

wire_enum! {
    /// KeyUpdate's request_update (RFC 8446, 4.6.3).
    KeyUpdateRequest: u8, "request_update" {
        UpdateNotRequested = 0 => "update_not_requested",
        UpdateRequested = 1 => "update_requested",
    }
}

wire_enum! {
    /// server_name entry types (RFC 6066, 3).
    ServerNameType: u8, "name_type" {
        HostName = 0 => "host_name",
    }
}

wire_enum! {
    /// Certificate status types (RFC 6066, 8).
    CertificateStatusType: u8, "status_type" {
        Ocsp = 1 => "ocsp",
    }
}

wire_enum! {
    /// EC point formats (RFC 8422, 5.1.2).
    ECPointFormat: u8, "ec_point_format" {
        Uncompressed = 0 => "uncompressed",
        ANSIX962CompressedPrime = 1 => "ansiX962_compressed_prime",
        ANSIX962CompressedChar2 = 2 => "ansiX962_compressed_char2",
    }
}

wire_enum! {
    /// Heartbeat modes (RFC 6520, 2).
    HeartbeatMode: u8, "mode" {
        PeerAllowedToSend = 1 => "peer_allowed_to_send",
        PeerNotAllowedToSend = 2 => "peer_not_allowed_to_send",
    }
}

wire_enum! {
    /// Compression methods (RFC 5246, 7.4.1.2); TLS 1.3 allows only null.
    CompressionMethod: u8, "compression_method" {
        Null = 0 => "null",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_rfc_names() {
        let cases = [
            (
                CipherSuite::TLS13_AES_128_GCM_SHA256.to_string(),
                "TLS_AES_128_GCM_SHA256",
            ),
            (
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256.to_string(),
                "TLS_CHACHA20_POLY1305_SHA256",
            ),
            (
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256.to_string(),
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
            ),
            (CipherSuite::Unknown(0x0a0a).to_string(), "unknown(0xa0a)"),
            (NamedGroup::X25519.to_string(), "x25519"),
            (NamedGroup::secp256r1.to_string(), "secp256r1"),
            (NamedGroup::X25519MLKEM768.to_string(), "X25519MLKEM768"),
            (
                SignatureScheme::ECDSA_NISTP256_SHA256.to_string(),
                "ecdsa_secp256r1_sha256",
            ),
            (
                SignatureScheme::RSA_PSS_RSAE_SHA256.to_string(),
                "rsa_pss_rsae_sha256",
            ),
            (SignatureScheme::ED25519.to_string(), "ed25519"),
            (
                ExtensionType::ApplicationLayerProtocolNegotiation.to_string(),
                "application_layer_protocol_negotiation",
            ),
            (ExtensionType::KeyShare.to_string(), "key_share"),
            (
                ExtensionType::RenegotiationInfo.to_string(),
                "renegotiation_info",
            ),
            (HandshakeType::ClientHello.to_string(), "client_hello"),
            (PskKeyExchangeMode::PskDheKe.to_string(), "psk_dhe_ke"),
            (
                KeyUpdateRequest::UpdateRequested.to_string(),
                "update_requested",
            ),
            (
                HeartbeatMode::PeerAllowedToSend.to_string(),
                "peer_allowed_to_send",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
        assert_eq!(
            HandshakeType::CertificateVerify.message_name(),
            "CertificateVerify"
        );
        assert_eq!(
            HandshakeType::Unknown(99).message_name(),
            "handshake message"
        );
    }

    #[test]
    fn wire_values_round_trip() {
        for v in 0..=u8::MAX {
            assert_eq!(HandshakeType::from_wire(v).to_wire(), v);
            assert_eq!(ECPointFormat::from_wire(v).to_wire(), v);
        }
        for v in (0..=u16::MAX)
            .step_by(7)
            .chain([0x1301, 0x11ec, 0xfe0d, 0xff01])
        {
            assert_eq!(CipherSuite::from_wire(v).to_wire(), v);
            assert_eq!(NamedGroup::from_wire(v).to_wire(), v);
            assert_eq!(SignatureScheme::from_wire(v).to_wire(), v);
            assert_eq!(ExtensionType::from_wire(v).to_wire(), v);
        }
        assert_eq!(
            CipherSuite::from_wire(0x1302),
            CipherSuite::TLS13_AES_256_GCM_SHA384
        );
        assert_eq!(
            NamedGroup::from_wire(0x11ed),
            NamedGroup::SecP384r1MLKEM1024
        );
        assert_eq!(
            SignatureScheme::from_wire(0x080b),
            SignatureScheme::RSA_PSS_PSS_SHA512
        );
        assert_eq!(
            ExtensionType::from_wire(0xfe0d),
            ExtensionType::EncryptedClientHello
        );
        assert_eq!(HandshakeType::from_wire(254), HandshakeType::MessageHash);
    }
}
