//! TLS 1.2 handshake messages (RFC 5246, 7.4; RFC 8422, 5; RFC 5077, 3.3; RFC 6066, 8)
//! and the heartbeat message (RFC 6520, 4).
//!
//! TLS 1.2 bodies get their own payload enum, [`HandshakePayload12`], rather than
//! variants in the TLS 1.3 [`HandshakePayload`](super::handshake::HandshakePayload):
//! the same handshake type number means different bodies in the two versions
//! (Certificate, CertificateRequest, NewSessionTicket), so a message is decoded
//! once the version is known, with [`HandshakeMessage12::read_bytes`] (also reachable
//! as `HandshakeMessage::read_tls12`), and neither state machine can be handed the
//! other version's shape. ClientHello, ServerHello, CertificateVerify and Finished
//! have the same format in both and are shared.

use super::enums::{wire_enum, HandshakeType, NamedGroup, SignatureScheme};
use super::handshake::{CertificateVerify, ClientHello, Finished, HandshakeMessage, ServerHello};
use super::vecs::{fixed, items, opaque, put_u16_list};
use crate::codec::{
    put_u32, put_u8, put_vec_u16, put_vec_u24, put_vec_u8, with_u16_len, with_u24_len, Codec,
    DecodeError, DecodeErrorKind, Reader,
};

/// ECCurveType `named_curve` (RFC 8422, 5.4), the only one still allowed.
pub const NAMED_CURVE: u8 = 3;

/// ClientCertificateType values (RFC 5246, 7.4.4; RFC 8422, 5.5).
pub const CERT_TYPE_RSA_SIGN: u8 = 1;
pub const CERT_TYPE_ECDSA_SIGN: u8 = 64;

/// The least padding a heartbeat message carries (RFC 6520, 4).
pub const HEARTBEAT_MIN_PADDING: usize = 16;

/// A TLS 1.2 Certificate (RFC 5246, 7.4.2): DER certificates, sender's first. The
/// list may be empty (a client without a certificate); no entry may be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate12 {
    pub certs: Vec<Vec<u8>>,
}

impl Codec for Certificate12 {
    fn encode(&self, out: &mut Vec<u8>) {
        with_u24_len(out, |o| self.certs.iter().for_each(|c| put_vec_u24(o, c)));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let field = "certificate_list";
        let certs = items(r.sub_u24(field)?, field, false, |r| {
            opaque(r.sub_u24("ASN.1Cert")?, "ASN.1Cert", 1)
        })?;
        r.expect_empty(field)?;
        Ok(Certificate12 { certs })
    }
}

/// An ECDHE ServerKeyExchange (RFC 8422, 5.4): ServerECDHParams and their signature
/// (RFC 5246, 4.7 `digitally-signed`, with the TLS 1.2 SignatureAndHashAlgorithm).
/// It is the only ServerKeyExchange ferrotls negotiates; other key exchanges' bodies
/// fail to decode (an explicit curve is `InvalidValue` at curve_type).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerKeyExchangeEcdhe {
    /// Always [`NAMED_CURVE`] once decoded.
    pub curve_type: u8,
    pub group: NamedGroup,
    /// The ECPoint (RFC 8422, 5.4): uncompressed point or X25519 u coordinate.
    pub public: Vec<u8>,
    pub scheme: SignatureScheme,
    pub signature: Vec<u8>,
}

impl ServerKeyExchangeEcdhe {
    /// The encoded ServerECDHParams: curve_type, named curve, ECPoint.
    pub fn params_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.public.len());
        self.encode_params(&mut out);
        out
    }

    /// Writes the ServerECDHParams to `out`.
    fn encode_params(&self, out: &mut Vec<u8>) {
        put_u8(out, self.curve_type);
        self.group.encode(out);
        put_vec_u8(out, &self.public);
    }

    /// What the signature covers (RFC 8422, 5.4): `ClientHello.random +
    /// ServerHello.random + ServerECDHParams`.
    pub fn signed_message(&self, client_random: &[u8; 32], server_random: &[u8; 32]) -> Vec<u8> {
        let mut m = Vec::with_capacity(64 + 4 + self.public.len());
        m.extend_from_slice(client_random);
        m.extend_from_slice(server_random);
        self.encode_params(&mut m);
        m
    }
}

impl Codec for ServerKeyExchangeEcdhe {
    fn encode(&self, out: &mut Vec<u8>) {
        self.encode_params(out);
        self.scheme.encode(out);
        put_vec_u16(out, &self.signature);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let at = r.offset();
        let curve_type = r.u8("curve_type")?;
        if curve_type != NAMED_CURVE {
            return Err(DecodeError {
                message: r.message(),
                field: "curve_type",
                offset: at,
                kind: DecodeErrorKind::InvalidValue {
                    value: u64::from(curve_type),
                },
            });
        }
        let group = NamedGroup::read(r)?;
        let public = opaque(r.sub_u8("public")?, "public", 1)?;
        let scheme = SignatureScheme::read(r)?;
        let signature = r.vec_u16("signature")?.to_vec();
        r.expect_empty("signature")?;
        Ok(ServerKeyExchangeEcdhe {
            curve_type,
            group,
            public,
            scheme,
            signature,
        })
    }
}

/// A TLS 1.2 CertificateRequest (RFC 5246, 7.4.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest12 {
    /// ClientCertificateType values, e.g. [`CERT_TYPE_ECDSA_SIGN`]; non-empty.
    pub certificate_types: Vec<u8>,
    /// supported_signature_algorithms; non-empty.
    pub schemes: Vec<SignatureScheme>,
    /// DER DistinguishedNames of acceptable CAs; each non-empty.
    pub authorities: Vec<Vec<u8>>,
}

impl Codec for CertificateRequest12 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec_u8(out, &self.certificate_types);
        put_u16_list(out, &self.schemes);
        with_u16_len(out, |o| {
            self.authorities.iter().for_each(|a| put_vec_u16(o, a))
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let certificate_types = opaque(r.sub_u8("certificate_types")?, "certificate_types", 1)?;
        let field = "supported_signature_algorithms";
        let schemes = fixed(r.sub_u16(field)?, field, 2, true)?;
        let field = "certificate_authorities";
        let authorities = items(r.sub_u16(field)?, field, false, |r| {
            opaque(r.sub_u16("DistinguishedName")?, "DistinguishedName", 1)
        })?;
        r.expect_empty(field)?;
        Ok(CertificateRequest12 {
            certificate_types,
            schemes,
            authorities,
        })
    }
}

/// A ClientKeyExchange (RFC 5246, 7.4.7). Its body depends on the negotiated key
/// exchange, which the message does not say, so it is kept whole and read with
/// [`ecdhe_point`](Self::ecdhe_point) or
/// [`rsa_encrypted_pre_master`](Self::rsa_encrypted_pre_master).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientKeyExchange {
    pub body: Vec<u8>,
}

impl ClientKeyExchange {
    /// The ECDHE form (RFC 8422, 5.7): `ECPoint ecdh_Yc` (u8 length, non-empty).
    pub fn ecdhe(point: &[u8]) -> Self {
        let mut body = Vec::with_capacity(1 + point.len());
        put_vec_u8(&mut body, point);
        ClientKeyExchange { body }
    }

    /// The static RSA form (RFC 5246, 7.4.7.1): `EncryptedPreMasterSecret` (u16 length).
    pub fn rsa(encrypted_pre_master: &[u8]) -> Self {
        let mut body = Vec::with_capacity(2 + encrypted_pre_master.len());
        put_vec_u16(&mut body, encrypted_pre_master);
        ClientKeyExchange { body }
    }

    /// Runs `f` over the body, with offsets counted from the message header.
    fn parse<'a, T>(
        &'a self,
        f: impl FnOnce(&mut Reader<'a>) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        let mut r = Reader::new(&self.body, "ClientKeyExchange");
        let out = f(&mut r).and_then(|v| r.expect_empty("exchange_keys").map(|()| v));
        out.map_err(|e| DecodeError {
            offset: e.offset + 4,
            ..e
        })
    }

    /// The client's ECPoint; the whole body must be one u8-length point, non-empty.
    pub fn ecdhe_point(&self) -> Result<&[u8], DecodeError> {
        self.parse(|r| {
            let mut point = r.sub_u8("ecdh_Yc")?;
            point.expect_nonempty("ecdh_Yc")?;
            Ok(point.rest())
        })
    }

    /// The RSA-encrypted pre-master secret; the whole body must be one u16-length
    /// vector, non-empty.
    pub fn rsa_encrypted_pre_master(&self) -> Result<&[u8], DecodeError> {
        self.parse(|r| {
            let mut v = r.sub_u16("encrypted_pre_master_secret")?;
            v.expect_nonempty("encrypted_pre_master_secret")?;
            Ok(v.rest())
        })
    }
}

impl Codec for ClientKeyExchange {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.body);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.expect_nonempty("exchange_keys")?;
        Ok(ClientKeyExchange {
            body: r.rest().to_vec(),
        })
    }
}

/// The TLS 1.2 NewSessionTicket (RFC 5077, 3.3). An empty ticket means the server
/// decided not to issue one after all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket12 {
    /// Seconds; 0 means unspecified.
    pub lifetime_hint: u32,
    pub ticket: Vec<u8>,
}

impl Codec for NewSessionTicket12 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.lifetime_hint);
        put_vec_u16(out, &self.ticket);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let lifetime_hint = r.u32("ticket_lifetime_hint")?;
        let ticket = r.vec_u16("ticket")?.to_vec();
        r.expect_empty("ticket")?;
        Ok(NewSessionTicket12 {
            lifetime_hint,
            ticket,
        })
    }
}

/// CertificateStatus (RFC 6066, 8): a stapled DER OCSPResponse (status_type ocsp).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateStatus {
    pub ocsp_response: Vec<u8>,
}

/// CertificateStatusType `ocsp` (RFC 6066, 8).
const STATUS_TYPE_OCSP: u8 = 1;

impl Codec for CertificateStatus {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u8(out, STATUS_TYPE_OCSP);
        put_vec_u24(out, &self.ocsp_response);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let at = r.offset();
        let status_type = r.u8("status_type")?;
        if status_type != STATUS_TYPE_OCSP {
            return Err(DecodeError {
                message: r.message(),
                field: "status_type",
                offset: at,
                kind: DecodeErrorKind::InvalidValue {
                    value: u64::from(status_type),
                },
            });
        }
        let ocsp_response = opaque(r.sub_u24("response")?, "response", 1)?;
        r.expect_empty("response")?;
        Ok(CertificateStatus { ocsp_response })
    }
}

/// The body of a TLS 1.2 handshake message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakePayload12 {
    /// RFC 5246, 7.4.1.1: empty body.
    HelloRequest,
    ClientHello(ClientHello),
    ServerHello(ServerHello),
    NewSessionTicket(NewSessionTicket12),
    Certificate(Certificate12),
    ServerKeyExchange(ServerKeyExchangeEcdhe),
    CertificateRequest(CertificateRequest12),
    /// RFC 5246, 7.4.5: empty body.
    ServerHelloDone,
    CertificateVerify(CertificateVerify),
    ClientKeyExchange(ClientKeyExchange),
    /// verify_data; its length (12) is the state machine's to check.
    Finished(Finished),
    CertificateStatus(CertificateStatus),
    /// A type TLS 1.2 does not define (TLS 1.3's among them), body kept raw.
    Unknown {
        typ: HandshakeType,
        body: Vec<u8>,
    },
}

impl HandshakePayload12 {
    pub fn handshake_type(&self) -> HandshakeType {
        use HandshakePayload12 as P;
        use HandshakeType as T;
        match self {
            P::HelloRequest => T::HelloRequest,
            P::ClientHello(_) => T::ClientHello,
            P::ServerHello(_) => T::ServerHello,
            P::NewSessionTicket(_) => T::NewSessionTicket,
            P::Certificate(_) => T::Certificate,
            P::ServerKeyExchange(_) => T::ServerKeyExchange,
            P::CertificateRequest(_) => T::CertificateRequest,
            P::ServerHelloDone => T::ServerHelloDone,
            P::CertificateVerify(_) => T::CertificateVerify,
            P::ClientKeyExchange(_) => T::ClientKeyExchange,
            P::Finished(_) => T::Finished,
            P::CertificateStatus(_) => T::CertificateStatus,
            P::Unknown { typ, .. } => *typ,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        use HandshakePayload12 as P;
        match self {
            P::HelloRequest | P::ServerHelloDone => {}
            P::ClientHello(m) => m.encode(out),
            P::ServerHello(m) => m.encode(out),
            P::NewSessionTicket(m) => m.encode(out),
            P::Certificate(m) => m.encode(out),
            P::ServerKeyExchange(m) => m.encode(out),
            P::CertificateRequest(m) => m.encode(out),
            P::CertificateVerify(m) => m.encode(out),
            P::ClientKeyExchange(m) => m.encode(out),
            P::Finished(m) => m.encode(out),
            P::CertificateStatus(m) => m.encode(out),
            P::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn read(typ: HandshakeType, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        use HandshakePayload12 as P;
        use HandshakeType as T;
        Ok(match typ {
            T::HelloRequest => {
                r.expect_empty("body")?;
                P::HelloRequest
            }
            T::ClientHello => P::ClientHello(ClientHello::read(r)?),
            T::ServerHello => P::ServerHello(ServerHello::read(r)?),
            T::NewSessionTicket => P::NewSessionTicket(NewSessionTicket12::read(r)?),
            T::Certificate => P::Certificate(Certificate12::read(r)?),
            T::ServerKeyExchange => P::ServerKeyExchange(ServerKeyExchangeEcdhe::read(r)?),
            T::CertificateRequest => P::CertificateRequest(CertificateRequest12::read(r)?),
            T::ServerHelloDone => {
                r.expect_empty("body")?;
                P::ServerHelloDone
            }
            T::CertificateVerify => P::CertificateVerify(CertificateVerify::read(r)?),
            T::ClientKeyExchange => P::ClientKeyExchange(ClientKeyExchange::read(r)?),
            T::Finished => P::Finished(Finished::read(r)?),
            T::CertificateStatus => P::CertificateStatus(CertificateStatus::read(r)?),
            typ => P::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        })
    }
}

/// A whole TLS 1.2 handshake message; `typ` always equals `payload.handshake_type()`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage12 {
    pub typ: HandshakeType,
    pub payload: HandshakePayload12,
}

impl HandshakeMessage12 {
    pub fn new(payload: HandshakePayload12) -> Self {
        HandshakeMessage12 {
            typ: payload.handshake_type(),
            payload,
        }
    }

    /// Decodes exactly one message, 4-byte header included, with the TLS 1.2 body
    /// formats. The header's length must match the rest of `bytes` exactly, and every
    /// body must be used up. Error offsets count from the first header byte.
    pub fn read_bytes(bytes: &[u8]) -> Result<Self, DecodeError> {
        let message = bytes.first().map_or("handshake message", |&t| {
            HandshakeType::from_wire(t).message_name()
        });
        let mut r = Reader::new(bytes, message);
        let typ = HandshakeType::read(&mut r)?;
        let mut body = r.sub_u24("length")?;
        r.expect_empty("length")?;
        let payload = HandshakePayload12::read(typ, &mut body)?;
        Ok(HandshakeMessage12 { typ, payload })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        self.payload.handshake_type().encode(out);
        with_u24_len(out, |o| self.payload.encode(o));
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }

    /// The message's name for traces and errors: "ServerKeyExchange", ...
    pub fn name(&self) -> &'static str {
        self.payload.handshake_type().message_name()
    }
}

// Here rather than in handshake.rs, so that the TLS 1.3 messages do not depend on
// the TLS 1.2 ones (msgs::tls12 builds on msgs::handshake, not the other way round).
impl HandshakeMessage {
    /// Decodes exactly one message, 4-byte header included, with the TLS 1.2 body
    /// formats (RFC 5246, 7.4), into [`HandshakeMessage12`].
    pub fn read_tls12(bytes: &[u8]) -> Result<HandshakeMessage12, DecodeError> {
        HandshakeMessage12::read_bytes(bytes)
    }
}

impl Codec for HandshakeMessage12 {
    fn encode(&self, out: &mut Vec<u8>) {
        HandshakeMessage12::encode(self, out);
    }

    /// Reads the next whole message from a stream of them; errors are located within
    /// that message, as in [`HandshakeMessage12::read_bytes`].
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut header = r.clone();
        header.u8("msg_type")?;
        let length = header.u24("length")? as usize;
        HandshakeMessage12::read_bytes(r.take(4 + length, "length")?)
    }
}

wire_enum! {
    /// Heartbeat message types (RFC 6520, 3).
    HeartbeatMessageType: u8, "type" {
        Request = 1 => "heartbeat_request",
        Response = 2 => "heartbeat_response",
    }
}

/// A heartbeat message (RFC 6520, 4): the content of one heartbeat record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatMessage {
    pub typ: HeartbeatMessageType,
    pub payload: Vec<u8>,
    /// Padding bytes received (at least 16); the padding itself is ignored.
    pub padding_len: usize,
}

/// Why a received heartbeat record is dropped without an answer (RFC 6520, 4: such
/// messages "MUST be discarded silently"). None of these is an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeartbeatDiscard {
    /// Fewer than 3 + 16 bytes: no room for the header and the minimum padding.
    TooShort { record_len: usize },
    /// payload_length + 3 + 16 exceeds the record: the Heartbleed shape.
    PayloadTooLong {
        payload_length: usize,
        record_len: usize,
    },
    /// More than 2^14 bytes (RFC 6520, 4).
    TooLarge { record_len: usize },
    /// A type other than request or response (RFC 6520, 3).
    UnknownType { typ: u8 },
}

/// The outcome of reading a heartbeat record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeartbeatRead {
    Message(HeartbeatMessage),
    Discard(HeartbeatDiscard),
}

impl HeartbeatMessage {
    /// A request carrying `payload`, to be sent with [`HEARTBEAT_MIN_PADDING`] bytes of
    /// random padding.
    pub fn request(payload: Vec<u8>) -> Self {
        HeartbeatMessage {
            typ: HeartbeatMessageType::Request,
            payload,
            padding_len: HEARTBEAT_MIN_PADDING,
        }
    }

    /// The response to a request: an exact copy of its payload (RFC 6520, 4). `None`
    /// for a response, which is never answered.
    pub fn response(&self) -> Option<Self> {
        (self.typ == HeartbeatMessageType::Request).then(|| HeartbeatMessage {
            typ: HeartbeatMessageType::Response,
            payload: self.payload.clone(),
            padding_len: HEARTBEAT_MIN_PADDING,
        })
    }

    /// Reads the plaintext of one heartbeat record (RFC 6520, 4).
    ///
    /// The message is discarded, not answered and not an error, if `payload_length`
    /// plus 3 plus 16 exceeds the record (the received bytes are the only bytes there
    /// are: nothing past `record` is ever read, the check happens before the payload
    /// is copied), if the record exceeds 2^14 bytes, or if the type is unknown.
    pub fn read_record(record: &[u8]) -> HeartbeatRead {
        let discard = HeartbeatRead::Discard;
        let record_len = record.len();
        if record_len > 1 << 14 {
            return discard(HeartbeatDiscard::TooLarge { record_len });
        }
        let (typ, payload_length, rest) = match record {
            [t, hi, lo, rest @ ..] if record_len >= 3 + HEARTBEAT_MIN_PADDING => {
                (*t, usize::from(u16::from_be_bytes([*hi, *lo])), rest)
            }
            _ => return discard(HeartbeatDiscard::TooShort { record_len }),
        };
        // RFC 6520, 4: payload_length + 3 + padding (at least 16) must fit the record.
        if payload_length + 3 + HEARTBEAT_MIN_PADDING > record_len {
            return discard(HeartbeatDiscard::PayloadTooLong {
                payload_length,
                record_len,
            });
        }
        let typ = match HeartbeatMessageType::from_wire(typ) {
            HeartbeatMessageType::Unknown(typ) => {
                return discard(HeartbeatDiscard::UnknownType { typ })
            }
            known => known,
        };
        let Some((payload, padding)) = rest.split_at_checked(payload_length) else {
            // Unreachable after the length check; discarding keeps it panic-free.
            return discard(HeartbeatDiscard::PayloadTooLong {
                payload_length,
                record_len,
            });
        };
        HeartbeatRead::Message(HeartbeatMessage {
            typ,
            payload: payload.to_vec(),
            padding_len: padding.len(),
        })
    }

    /// Appends the message with `random_padding` as its padding; the caller draws it
    /// from the provider's random source, at least 16 bytes (RFC 6520, 4: "MUST use a
    /// random padding of at least 16 bytes"). `padding_len` describes received
    /// messages and is not used here.
    ///
    /// # Panics
    ///
    /// If the payload exceeds 2^16 - 1 bytes; our own payloads are far smaller.
    pub fn encode(&self, random_padding: &[u8], out: &mut Vec<u8>) {
        debug_assert!(random_padding.len() >= HEARTBEAT_MIN_PADDING);
        self.typ.encode(out);
        put_vec_u16(out, &self.payload);
        out.extend_from_slice(random_padding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msgs::enums::{CipherSuite as Cs, ProtocolVersion as V, SignatureScheme as S};
    use crate::msgs::enums::{ECPointFormat, HeartbeatMode};
    use crate::msgs::extensions::{ClientExtension, ServerExtension};
    use crate::msgs::handshake::HandshakeMessage;

    fn decode(bytes: &[u8]) -> HandshakeMessage12 {
        HandshakeMessage12::read_bytes(bytes).unwrap()
    }

    fn error(bytes: &[u8]) -> String {
        HandshakeMessage12::read_bytes(bytes)
            .unwrap_err()
            .to_string()
    }

    /// Round trip, byte-identical re-encoding, and every strict prefix rejected.
    fn check(payload: HandshakePayload12) -> Vec<u8> {
        let msg = HandshakeMessage12::new(payload);
        let bytes = msg.to_bytes();
        let back = decode(&bytes);
        assert_eq!(back, msg);
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(HandshakeMessage::read_tls12(&bytes).unwrap(), msg);
        for n in 0..bytes.len() {
            assert!(
                HandshakeMessage12::read_bytes(&bytes[..n]).is_err(),
                "{n}-byte prefix of {} decoded",
                msg.name()
            );
        }
        bytes
    }

    fn ske() -> ServerKeyExchangeEcdhe {
        ServerKeyExchangeEcdhe {
            curve_type: NAMED_CURVE,
            group: NamedGroup::X25519,
            public: vec![0x9a; 32],
            scheme: S::ECDSA_NISTP256_SHA256,
            signature: vec![0x30; 70],
        }
    }

    fn tls12_client_hello() -> ClientHello {
        ClientHello {
            legacy_version: V::TLSv1_2,
            random: [7; 32],
            session_id: vec![1; 32],
            cipher_suites: vec![
                Cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                Cs::TLS_RSA_WITH_AES_128_CBC_SHA,
                Cs::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
            ],
            compression_methods: vec![0],
            extensions: vec![
                ClientExtension::ExtendedMasterSecret,
                ClientExtension::RenegotiationInfo(vec![]),
                ClientExtension::EcPointFormats(vec![ECPointFormat::Uncompressed]),
                ClientExtension::SessionTicket(vec![0xab; 40]),
                ClientExtension::EncryptThenMac,
                ClientExtension::Heartbeat(HeartbeatMode::PeerAllowedToSend),
            ],
            empty_extensions_block: false,
        }
    }

    #[test]
    fn every_message_round_trips() {
        use HandshakePayload12 as P;
        let payloads = vec![
            P::HelloRequest,
            P::ClientHello(tls12_client_hello()),
            P::ServerHello(ServerHello {
                legacy_version: V::TLSv1_2,
                random: [9; 32],
                session_id: vec![2; 32],
                cipher_suite: Cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                compression_method: 0,
                extensions: vec![
                    ServerExtension::ExtendedMasterSecret,
                    ServerExtension::RenegotiationInfo(vec![]),
                    ServerExtension::SessionTicketAck,
                ],
                empty_extensions_block: false,
            }),
            P::NewSessionTicket(NewSessionTicket12 {
                lifetime_hint: 7200,
                ticket: vec![0x7e; 180],
            }),
            P::NewSessionTicket(NewSessionTicket12 {
                lifetime_hint: 0,
                ticket: vec![],
            }),
            P::Certificate(Certificate12 { certs: vec![] }),
            P::Certificate(Certificate12 {
                certs: vec![vec![0x30; 700], vec![0x30]],
            }),
            P::ServerKeyExchange(ske()),
            P::ServerKeyExchange(ServerKeyExchangeEcdhe {
                group: NamedGroup::secp256r1,
                public: vec![4; 65],
                scheme: S::RSA_PKCS1_SHA256,
                signature: vec![],
                ..ske()
            }),
            P::CertificateRequest(CertificateRequest12 {
                certificate_types: vec![CERT_TYPE_RSA_SIGN, CERT_TYPE_ECDSA_SIGN],
                schemes: vec![S::ECDSA_NISTP256_SHA256, S::RSA_PSS_RSAE_SHA256],
                authorities: vec![],
            }),
            P::CertificateRequest(CertificateRequest12 {
                certificate_types: vec![CERT_TYPE_ECDSA_SIGN],
                schemes: vec![S::Unknown(0x0102)],
                authorities: vec![vec![0x30, 0x00], vec![0x30; 90]],
            }),
            P::ServerHelloDone,
            P::CertificateVerify(CertificateVerify {
                scheme: S::RSA_PKCS1_SHA384,
                signature: vec![0x55; 256],
            }),
            P::ClientKeyExchange(ClientKeyExchange::ecdhe(&[0x20; 32])),
            P::ClientKeyExchange(ClientKeyExchange::rsa(&[0x11; 256])),
            P::Finished(Finished {
                verify_data: vec![0xf1; 12],
            }),
            P::CertificateStatus(CertificateStatus {
                ocsp_response: vec![0x30, 0x03, 0x0a, 0x01, 0x00],
            }),
            P::Unknown {
                typ: HandshakeType::EncryptedExtensions,
                body: vec![0, 0],
            },
            P::Unknown {
                typ: HandshakeType::KeyUpdate,
                body: vec![1],
            },
        ];
        for p in payloads {
            let name = HandshakeMessage12::new(p.clone()).name();
            assert_eq!(name, p.handshake_type().message_name());
            check(p);
        }
        assert_eq!(
            HandshakeMessage12::new(HandshakePayload12::ServerHelloDone).to_bytes(),
            [14, 0, 0, 0]
        );
        assert_eq!(
            decode(&[0, 0, 0, 0]).payload,
            HandshakePayload12::HelloRequest
        );
    }

    #[test]
    fn wire_layouts() {
        // RFC 8422, 5.4: curve_type 3, named curve, ECPoint, then the signature.
        let wire = HandshakeMessage12::new(HandshakePayload12::ServerKeyExchange(ske())).to_bytes();
        assert_eq!(
            wire[..9],
            [12, 0, 0, 4 + 32 + 4 + 70, 3, 0x00, 0x1d, 32, 0x9a]
        );
        assert_eq!(wire[4 + 36..4 + 40], [0x04, 0x03, 0, 70]);
        // RFC 5246, 7.4.2: u24 list of u24 certificates.
        let cert = Certificate12 {
            certs: vec![vec![0xaa, 0xbb]],
        };
        assert_eq!(cert.to_bytes(), [0, 0, 5, 0, 0, 2, 0xaa, 0xbb]);
        // RFC 5077, 3.3.
        let nst = NewSessionTicket12 {
            lifetime_hint: 0x0102_0304,
            ticket: vec![9],
        };
        assert_eq!(nst.to_bytes(), [1, 2, 3, 4, 0, 1, 9]);
        // RFC 6066, 8.
        let cs = CertificateStatus {
            ocsp_response: vec![0x30],
        };
        assert_eq!(cs.to_bytes(), [1, 0, 0, 1, 0x30]);
        // RFC 5246, 7.4.4.
        let cr = CertificateRequest12 {
            certificate_types: vec![64],
            schemes: vec![S::ECDSA_NISTP256_SHA256],
            authorities: vec![vec![0x30]],
        };
        assert_eq!(cr.to_bytes(), [1, 64, 0, 2, 4, 3, 0, 3, 0, 1, 0x30]);
    }

    #[test]
    fn signed_params_are_randoms_then_server_ecdh_params() {
        let ske = ske();
        let params = ske.params_bytes();
        assert_eq!(params.len(), 1 + 2 + 1 + 32);
        assert_eq!(params[..4], [3, 0x00, 0x1d, 32]);
        let m = ske.signed_message(&[1; 32], &[2; 32]);
        assert_eq!(m[..32], [1; 32]);
        assert_eq!(m[32..64], [2; 32]);
        assert_eq!(m[64..], params);
        // The params are a prefix of the encoded body.
        assert_eq!(ske.to_bytes()[..params.len()], params);
    }

    #[test]
    fn client_key_exchange_forms() {
        let ecdhe = ClientKeyExchange::ecdhe(&[4; 65]);
        assert_eq!(ecdhe.body[0], 65);
        assert_eq!(ecdhe.ecdhe_point().unwrap(), [4; 65]);
        let rsa = ClientKeyExchange::rsa(&[0x11; 256]);
        assert_eq!(rsa.body[..2], [1, 0]);
        assert_eq!(rsa.rsa_encrypted_pre_master().unwrap(), [0x11; 256]);

        // Read in the wrong form, or malformed: a located error.
        let cases = [
            (
                rsa.ecdhe_point().unwrap_err(),
                "malformed ClientKeyExchange: field exchange_keys at byte 6: 256 unexpected byte(s) after the end",
            ),
            (
                ClientKeyExchange { body: vec![0] }.ecdhe_point().unwrap_err(),
                "malformed ClientKeyExchange: field ecdh_Yc at byte 5: must not be empty",
            ),
            (
                ClientKeyExchange {
                    body: vec![1, 2, 3],
                }
                .ecdhe_point()
                .unwrap_err(),
                "malformed ClientKeyExchange: field exchange_keys at byte 6: 1 unexpected byte(s) after the end",
            ),
            (
                ecdhe.rsa_encrypted_pre_master().unwrap_err(),
                "malformed ClientKeyExchange: field encrypted_pre_master_secret at byte 6: needs 16644 byte(s) but only 64 remain (message cut short)",
            ),
            (
                ClientKeyExchange { body: vec![0, 0] }
                    .rsa_encrypted_pre_master()
                    .unwrap_err(),
                "malformed ClientKeyExchange: field encrypted_pre_master_secret at byte 6: must not be empty",
            ),
        ];
        for (err, want) in cases {
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn message_errors() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![0, 0, 0, 1, 0], "malformed HelloRequest: field body at byte 4: 1 unexpected byte(s) after the end"),
            (vec![14, 0, 0, 1, 0], "malformed ServerHelloDone: field body at byte 4: 1 unexpected byte(s) after the end"),
            (vec![16, 0, 0, 0], "malformed ClientKeyExchange: field exchange_keys at byte 4: must not be empty"),
            // Explicit curves (RFC 8422, 5.4: deprecated) and other key exchanges.
            (vec![12, 0, 0, 1, 1], "malformed ServerKeyExchange: field curve_type at byte 4: invalid value 0x1"),
            (vec![12, 0, 0, 4, 3, 0, 0x1d, 0], "malformed ServerKeyExchange: field public at byte 8: must not be empty"),
            (vec![12, 0, 0, 8, 3, 0, 0x1d, 1, 9, 4, 3, 0], "malformed ServerKeyExchange: field signature at byte 11: needs 2 byte(s) but only 1 remain (message cut short)"),
            (vec![12, 0, 0, 10, 3, 0, 0x1d, 1, 9, 4, 3, 0, 0, 7], "malformed ServerKeyExchange: field signature at byte 13: 1 unexpected byte(s) after the end"),
            (vec![11, 0, 0, 6, 0, 0, 3, 0, 0, 0], "malformed Certificate: field ASN.1Cert at byte 10: must not be empty"),
            (vec![11, 0, 0, 4, 0, 0, 0, 0], "malformed Certificate: field certificate_list at byte 7: 1 unexpected byte(s) after the end"),
            (vec![13, 0, 0, 5, 0, 0, 0, 0, 0], "malformed CertificateRequest: field certificate_types at byte 5: must not be empty"),
            (vec![13, 0, 0, 6, 1, 64, 0, 0, 0, 0], "malformed CertificateRequest: field supported_signature_algorithms at byte 8: must not be empty"),
            (vec![13, 0, 0, 7, 1, 64, 0, 1, 4, 0, 0], "malformed CertificateRequest: field supported_signature_algorithms at byte 8: length 1 is not a multiple of the element size 2"),
            (vec![13, 0, 0, 10, 1, 64, 0, 2, 4, 3, 0, 2, 0, 0], "malformed CertificateRequest: field DistinguishedName at byte 14: must not be empty"),
            (vec![4, 0, 0, 7, 0, 0, 0, 0, 0, 1, 9, 9], "malformed NewSessionTicket: field length at byte 11: 1 unexpected byte(s) after the end"),
            (vec![4, 0, 0, 8, 0, 0, 0, 0, 0, 1, 9, 9], "malformed NewSessionTicket: field ticket at byte 11: 1 unexpected byte(s) after the end"),
            (vec![22, 0, 0, 5, 2, 0, 0, 1, 0x30], "malformed CertificateStatus: field status_type at byte 4: invalid value 0x2"),
            (vec![22, 0, 0, 4, 1, 0, 0, 0], "malformed CertificateStatus: field response at byte 8: must not be empty"),
        ];
        let wrong: Vec<_> = cases
            .iter()
            .map(|(b, want)| (error(b), *want))
            .filter(|(got, want)| got != want)
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
        // Every decode error sends decode_error.
        let e = crate::Error::from(HandshakeMessage12::read_bytes(&[16, 0, 0, 0]).unwrap_err());
        assert_eq!(
            e.alert(),
            Some(crate::msgs::enums::AlertDescription::DecodeError)
        );
    }

    #[test]
    fn tls13_shapes_are_not_tls12_shapes() {
        // A TLS 1.3 Certificate (context byte first) is not a TLS 1.2 one.
        let tls13 = [11, 0, 0, 4, 0, 0, 0, 0];
        assert!(HandshakeMessage::read_tls13(&tls13).is_ok());
        assert!(HandshakeMessage12::read_bytes(&tls13).is_err());
    }

    #[test]
    fn read_from_a_stream_of_messages() {
        use HandshakePayload12 as P;
        let flight: Vec<u8> = [
            P::Certificate(Certificate12 {
                certs: vec![vec![0x30; 10]],
            }),
            P::ServerKeyExchange(ske()),
            P::ServerHelloDone,
        ]
        .into_iter()
        .flat_map(|p| HandshakeMessage12::new(p).to_bytes())
        .collect();
        let mut r = Reader::new(&flight, "handshake flight");
        for name in ["Certificate", "ServerKeyExchange", "ServerHelloDone"] {
            assert_eq!(HandshakeMessage12::read(&mut r).unwrap().name(), name);
        }
        assert!(r.is_empty());
    }

    #[test]
    fn mutated_messages_never_panic() {
        let corpus: Vec<Vec<u8>> = [
            HandshakePayload12::ClientHello(tls12_client_hello()),
            HandshakePayload12::ServerKeyExchange(ske()),
            HandshakePayload12::CertificateRequest(CertificateRequest12 {
                certificate_types: vec![1, 64],
                schemes: vec![S::ECDSA_NISTP256_SHA256],
                authorities: vec![vec![0x30; 5]],
            }),
            HandshakePayload12::Certificate(Certificate12 {
                certs: vec![vec![1; 9], vec![2; 3]],
            }),
            HandshakePayload12::NewSessionTicket(NewSessionTicket12 {
                lifetime_hint: 1,
                ticket: vec![3; 20],
            }),
            HandshakePayload12::CertificateStatus(CertificateStatus {
                ocsp_response: vec![0x30; 8],
            }),
        ]
        .into_iter()
        .map(|p| HandshakeMessage12::new(p).to_bytes())
        .collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut decoded = 0;
        for _ in 0..20_000 {
            let mut msg = corpus[(next() % corpus.len() as u64) as usize].clone();
            let at = (next() % msg.len() as u64) as usize;
            match next() % 3 {
                0 => msg[at] = next() as u8,
                1 => msg.truncate(at),
                _ => msg.insert(at, next() as u8),
            }
            if msg.len() >= 4 && next() % 4 != 0 {
                let len = (msg.len() - 4) as u32;
                msg[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
            }
            if let Ok(m) = HandshakeMessage12::read_bytes(&msg) {
                decoded += 1;
                assert_eq!(decode(&m.to_bytes()), m);
            }
        }
        assert!(decoded > 1_000, "only {decoded} mutants decoded");
    }

    fn heartbeat(typ: u8, payload_length: usize, payload: &[u8], padding: usize) -> Vec<u8> {
        let mut r = vec![typ];
        r.extend_from_slice(&(payload_length as u16).to_be_bytes());
        r.extend_from_slice(payload);
        r.extend(std::iter::repeat_n(0xee, padding));
        r
    }

    #[test]
    fn heartbeat_request_and_response() {
        let req = HeartbeatMessage::request(b"ping".to_vec());
        let mut wire = Vec::new();
        req.encode(&[0x5a; 16], &mut wire);
        assert_eq!(
            wire,
            heartbeat(1, 4, b"ping", 0)
                .into_iter()
                .chain([0x5a; 16])
                .collect::<Vec<_>>()
        );
        let HeartbeatRead::Message(got) = HeartbeatMessage::read_record(&wire) else {
            panic!("discarded a valid request");
        };
        assert_eq!(got, req);
        let resp = got.response().unwrap();
        assert_eq!(resp.typ, HeartbeatMessageType::Response);
        assert_eq!(resp.payload, b"ping");
        assert_eq!(resp.response(), None, "responses are never answered");
        // Longer padding is fine and ignored; an empty payload too.
        let HeartbeatRead::Message(m) = HeartbeatMessage::read_record(&heartbeat(2, 0, b"", 40))
        else {
            panic!()
        };
        assert_eq!(
            (m.typ, m.payload.len(), m.padding_len),
            (HeartbeatMessageType::Response, 0, 40)
        );
        assert_eq!(
            HeartbeatMessageType::Request.to_string(),
            "heartbeat_request"
        );
    }

    #[test]
    fn heartbleed_shaped_requests_are_discarded() {
        use HeartbeatDiscard as D;
        let cases = [
            // A 1-byte payload claiming 16 KiB and 64 KiB (the Heartbleed attack).
            (
                heartbeat(1, 16 * 1024, b"A", 16),
                D::PayloadTooLong {
                    payload_length: 16384,
                    record_len: 20,
                },
            ),
            (
                heartbeat(1, 0xffff, b"A", 16),
                D::PayloadTooLong {
                    payload_length: 65535,
                    record_len: 20,
                },
            ),
            // Exactly one byte too long, i.e. only 15 bytes of padding.
            (
                heartbeat(1, 5, b"hello", 15),
                D::PayloadTooLong {
                    payload_length: 5,
                    record_len: 23,
                },
            ),
            (heartbeat(1, 0, b"", 15), D::TooShort { record_len: 18 }),
            (vec![1, 0], D::TooShort { record_len: 2 }),
            (vec![], D::TooShort { record_len: 0 }),
            (heartbeat(3, 1, b"x", 16), D::UnknownType { typ: 3 }),
            (
                heartbeat(1, 1, b"x", (1 << 14) - 3),
                D::TooLarge {
                    record_len: (1 << 14) + 1,
                },
            ),
        ];
        for (record, want) in cases {
            assert_eq!(
                HeartbeatMessage::read_record(&record),
                HeartbeatRead::Discard(want)
            );
        }
        // The boundary: payload_length + 3 + 16 == record length is accepted.
        let ok = heartbeat(1, 5, b"hello", 16);
        assert!(matches!(
            HeartbeatMessage::read_record(&ok),
            HeartbeatRead::Message(_)
        ));
        // Every length field against a fixed 40-byte record: accepted exactly up to
        // 21, and the payload returned is always within the record.
        let mut record = heartbeat(1, 0, &[0x61; 21], 16);
        for claimed in 0..=u16::MAX {
            record[1..3].copy_from_slice(&claimed.to_be_bytes());
            match HeartbeatMessage::read_record(&record) {
                HeartbeatRead::Message(m) => {
                    assert!(claimed <= 21);
                    assert_eq!(m.payload.len(), usize::from(claimed));
                    assert_eq!(m.payload.len() + 3 + m.padding_len, record.len());
                }
                HeartbeatRead::Discard(d) => {
                    assert!(claimed > 21);
                    assert_eq!(
                        d,
                        D::PayloadTooLong {
                            payload_length: usize::from(claimed),
                            record_len: 40
                        }
                    );
                }
            }
        }
    }
}
