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
mod tests;
