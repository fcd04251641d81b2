//! TLS 1.3 handshake messages (RFC 8446, 4), owned and fully decoded.
//!
//! Each message's `Codec` covers its body; [`HandshakeMessage`] adds the 4-byte
//! header. A body's `read` must use up its reader exactly: trailing bytes are an error.
//! ClientHello and ServerHello also decode in their TLS 1.2 shape, where the
//! extensions block may be absent; an empty extension list is then encoded as absent.

use super::enums::{ExtensionType, HandshakeType, KeyUpdateRequest, NamedGroup, SignatureScheme};
use super::extensions::{
    read_block, CertReqExtension, CertificateExtension, ClientExtension, ExtBlock, KeyShareEntry,
    NewSessionTicketExtension, ServerExtContext, ServerExtension,
};
use super::vecs::{items, opaque};
use crate::codec::{
    put_u32, put_vec_u16, put_vec_u24, put_vec_u8, with_u16_len, with_u24_len, Codec, DecodeError,
    DecodeErrorKind, Reader,
};

mod hello;

pub use hello::{
    ClientHello, ServerHello, DOWNGRADE_TLS11, DOWNGRADE_TLS12, HELLO_RETRY_REQUEST_RANDOM,
};

/// EncryptedExtensions (RFC 8446, 4.3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedExtensions {
    pub extensions: Vec<ServerExtension>,
}

impl EncryptedExtensions {
    /// The protocol the server selected (RFC 7301, 3.1).
    pub fn alpn(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            ServerExtension::Alpn(p) => Some(p.as_slice()),
            _ => None,
        })
    }

    /// Whether the server accepted 0-RTT data (RFC 8446, 4.2.10).
    pub fn early_data(&self) -> bool {
        self.has_extension(ExtensionType::EarlyData)
    }

    /// Whether the server used the client's server_name (RFC 6066, 3).
    pub fn server_name_ack(&self) -> bool {
        self.has_extension(ExtensionType::ServerName)
    }

    pub fn supported_groups(&self) -> Option<&[NamedGroup]> {
        self.extensions.iter().find_map(|e| match e {
            ServerExtension::SupportedGroups(g) => Some(g.as_slice()),
            _ => None,
        })
    }

    pub fn has_extension(&self, typ: ExtensionType) -> bool {
        self.extensions.iter().any(|e| e.ext_type() == typ)
    }
}

impl Codec for EncryptedExtensions {
    fn encode(&self, out: &mut Vec<u8>) {
        with_u16_len(out, |o| self.extensions.iter().for_each(|e| e.encode(o)));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let ctx = ServerExtContext::EncryptedExtensions;
        let extensions = read_block(r.sub_u16("extensions")?, ctx.into(), |typ, r| {
            ServerExtension::read_body(typ, ctx, r)
        })?;
        r.expect_empty("extensions")?;
        Ok(EncryptedExtensions { extensions })
    }
}

/// One `CertificateEntry` of a TLS 1.3 Certificate (RFC 8446, 4.4.2): DER
/// certificate (or raw public key), non-empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateEntry {
    pub cert: Vec<u8>,
    pub extensions: Vec<CertificateExtension>,
}

impl CertificateEntry {
    /// The stapled OCSP response (RFC 8446, 4.4.2.1).
    pub fn ocsp_response(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            CertificateExtension::StatusRequest(ocsp) => Some(ocsp.as_slice()),
            _ => None,
        })
    }
}

impl Codec for CertificateEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec_u24(out, &self.cert);
        with_u16_len(out, |o| self.extensions.iter().for_each(|e| e.encode(o)));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let cert = opaque(r.sub_u24("cert_data")?, "cert_data", 1)?;
        let extensions = read_block(r.sub_u16("extensions")?, ExtBlock::Certificate, |typ, r| {
            CertificateExtension::read_body(typ, r)
        })?;
        Ok(CertificateEntry { cert, extensions })
    }
}

/// TLS 1.3 Certificate (RFC 8446, 4.4.2): end-entity first; may be empty (a client
/// without a certificate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Certificate13 {
    pub context: Vec<u8>,
    pub entries: Vec<CertificateEntry>,
}

impl Codec for Certificate13 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec_u8(out, &self.context);
        with_u24_len(out, |o| self.entries.iter().for_each(|e| e.encode(o)));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let context = r.vec_u8("certificate_request_context")?.to_vec();
        let field = "certificate_list";
        let entries = items(r.sub_u24(field)?, field, false, CertificateEntry::read)?;
        r.expect_empty(field)?;
        Ok(Certificate13 { context, entries })
    }
}

/// TLS 1.3 CertificateRequest (RFC 8446, 4.3.2); extensions non-empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest13 {
    pub context: Vec<u8>,
    pub extensions: Vec<CertReqExtension>,
}

impl CertificateRequest13 {
    pub fn signature_algorithms(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|e| match e {
            CertReqExtension::SignatureAlgorithms(s) => Some(s.as_slice()),
            _ => None,
        })
    }

    pub fn signature_algorithms_cert(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|e| match e {
            CertReqExtension::SignatureAlgorithmsCert(s) => Some(s.as_slice()),
            _ => None,
        })
    }

    pub fn certificate_authorities(&self) -> Option<&[Vec<u8>]> {
        self.extensions.iter().find_map(|e| match e {
            CertReqExtension::CertificateAuthorities(names) => Some(names.as_slice()),
            _ => None,
        })
    }
}

impl Codec for CertificateRequest13 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec_u8(out, &self.context);
        with_u16_len(out, |o| self.extensions.iter().for_each(|e| e.encode(o)));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let context = r.vec_u8("certificate_request_context")?.to_vec();
        let block = r.sub_u16("extensions")?;
        block.expect_nonempty("extensions")?;
        let extensions = read_block(block, ExtBlock::CertificateRequest, |typ, r| {
            CertReqExtension::read_body(typ, r)
        })?;
        r.expect_empty("extensions")?;
        Ok(CertificateRequest13 {
            context,
            extensions,
        })
    }
}

/// CertificateVerify (RFC 8446, 4.4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateVerify {
    pub scheme: SignatureScheme,
    pub signature: Vec<u8>,
}

impl Codec for CertificateVerify {
    fn encode(&self, out: &mut Vec<u8>) {
        self.scheme.encode(out);
        put_vec_u16(out, &self.signature);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let scheme = SignatureScheme::read(r)?;
        let signature = r.vec_u16("signature")?.to_vec();
        r.expect_empty("signature")?;
        Ok(CertificateVerify { scheme, signature })
    }
}

/// Finished (RFC 8446, 4.4.4): the whole body is `verify_data`, whose length the
/// state machine checks against the hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    pub verify_data: Vec<u8>,
}

impl Finished {
    /// RFC 8446, 4.4.4 and RFC 5246, 7.4.9: verify_data has exactly `len` bytes (the
    /// hash length, or 12 in TLS 1.2). Another length is malformed (decode_error),
    /// checked before the value is (decrypt_error).
    pub(crate) fn check_len(&self, len: usize) -> Result<(), DecodeError> {
        if self.verify_data.len() == len {
            return Ok(());
        }
        Err(DecodeError {
            message: "Finished",
            field: "verify_data",
            offset: 4,
            kind: DecodeErrorKind::WrongLength {
                length: self.verify_data.len(),
                expected: len,
            },
        })
    }
}

impl Codec for Finished {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.verify_data);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Finished {
            verify_data: r.rest().to_vec(),
        })
    }
}

/// TLS 1.3 NewSessionTicket (RFC 8446, 4.6.1); the ticket is non-empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSessionTicket13 {
    pub lifetime: u32,
    pub age_add: u32,
    pub nonce: Vec<u8>,
    pub ticket: Vec<u8>,
    pub extensions: Vec<NewSessionTicketExtension>,
}

impl NewSessionTicket13 {
    /// `max_early_data_size` from the early_data extension (RFC 8446, 4.2.10).
    pub fn max_early_data(&self) -> Option<u32> {
        self.extensions.iter().find_map(|e| match e {
            NewSessionTicketExtension::EarlyData(max) => Some(*max),
            NewSessionTicketExtension::Unknown { .. } => None,
        })
    }
}

impl Codec for NewSessionTicket13 {
    fn encode(&self, out: &mut Vec<u8>) {
        put_u32(out, self.lifetime);
        put_u32(out, self.age_add);
        put_vec_u8(out, &self.nonce);
        put_vec_u16(out, &self.ticket);
        with_u16_len(out, |o| self.extensions.iter().for_each(|e| e.encode(o)));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let lifetime = r.u32("ticket_lifetime")?;
        let age_add = r.u32("ticket_age_add")?;
        let nonce = r.vec_u8("ticket_nonce")?.to_vec();
        let ticket = opaque(r.sub_u16("ticket")?, "ticket", 1)?;
        let block = r.sub_u16("extensions")?;
        let extensions = read_block(block, ExtBlock::NewSessionTicket, |typ, r| {
            NewSessionTicketExtension::read_body(typ, r)
        })?;
        r.expect_empty("extensions")?;
        Ok(NewSessionTicket13 {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions,
        })
    }
}

/// KeyUpdate (RFC 8446, 4.6.3). Values other than 0 and 1 decode as `Unknown`; the
/// state machine rejects them with illegal_parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUpdate(pub KeyUpdateRequest);

impl Codec for KeyUpdate {
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let request = KeyUpdateRequest::read(r)?;
        r.expect_empty("request_update")?;
        Ok(KeyUpdate(request))
    }
}

/// The body of a handshake message, decoded as TLS 1.3 defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandshakePayload {
    ClientHello(ClientHello),
    /// A ServerHello or a HelloRetryRequest.
    ServerHello(ServerHello),
    EncryptedExtensions(EncryptedExtensions),
    Certificate(Certificate13),
    CertificateRequest(CertificateRequest13),
    CertificateVerify(CertificateVerify),
    Finished(Finished),
    NewSessionTicket(NewSessionTicket13),
    KeyUpdate(KeyUpdate),
    /// RFC 8446, 4.5: empty body.
    EndOfEarlyData,
    /// The synthetic message replacing ClientHello1 in the transcript after a
    /// HelloRetryRequest: its body is Hash(ClientHello1) (RFC 8446, 4.4.1).
    MessageHash(Vec<u8>),
    /// A type TLS 1.3 does not define (TLS 1.2 messages among them), body kept raw.
    Unknown {
        typ: HandshakeType,
        body: Vec<u8>,
    },
}

impl HandshakePayload {
    pub fn handshake_type(&self) -> HandshakeType {
        use HandshakePayload as P;
        use HandshakeType as T;
        match self {
            P::ClientHello(_) => T::ClientHello,
            P::ServerHello(_) => T::ServerHello,
            P::EncryptedExtensions(_) => T::EncryptedExtensions,
            P::Certificate(_) => T::Certificate,
            P::CertificateRequest(_) => T::CertificateRequest,
            P::CertificateVerify(_) => T::CertificateVerify,
            P::Finished(_) => T::Finished,
            P::NewSessionTicket(_) => T::NewSessionTicket,
            P::KeyUpdate(_) => T::KeyUpdate,
            P::EndOfEarlyData => T::EndOfEarlyData,
            P::MessageHash(_) => T::MessageHash,
            P::Unknown { typ, .. } => *typ,
        }
    }

    /// About how many bytes the body encodes to (at least that, for the big
    /// messages), so an output buffer can be sized once instead of regrown.
    pub fn size_hint(&self) -> usize {
        use HandshakePayload as P;
        let shares = |shares: &[KeyShareEntry]| -> usize {
            shares.iter().map(|s| 4 + s.payload.len()).sum()
        };
        256 + match self {
            P::ClientHello(m) => m
                .extensions
                .iter()
                .map(|e| match e {
                    ClientExtension::KeyShare(s) => shares(s),
                    ClientExtension::PreSharedKey(p) => {
                        p.identities
                            .iter()
                            .map(|i| 6 + i.identity.len())
                            .sum::<usize>()
                            + p.binders_len()
                    }
                    _ => 0,
                })
                .sum(),
            P::ServerHello(m) => m.key_share().map_or(0, |s| 4 + s.payload.len()),
            P::Certificate(m) => m
                .entries
                .iter()
                .map(|e| 5 + e.cert.len() + e.ocsp_response().map_or(0, |o| 8 + o.len()))
                .sum(),
            P::CertificateVerify(m) => m.signature.len(),
            P::NewSessionTicket(m) => m.ticket.len(),
            P::MessageHash(body) | P::Unknown { body, .. } => body.len(),
            _ => 0,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        use HandshakePayload as P;
        match self {
            P::ClientHello(m) => m.encode(out),
            P::ServerHello(m) => m.encode(out),
            P::EncryptedExtensions(m) => m.encode(out),
            P::Certificate(m) => m.encode(out),
            P::CertificateRequest(m) => m.encode(out),
            P::CertificateVerify(m) => m.encode(out),
            P::Finished(m) => m.encode(out),
            P::NewSessionTicket(m) => m.encode(out),
            P::KeyUpdate(m) => m.encode(out),
            P::EndOfEarlyData => {}
            P::MessageHash(body) | P::Unknown { body, .. } => out.extend_from_slice(body),
        }
    }

    fn read(typ: HandshakeType, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        use HandshakePayload as P;
        use HandshakeType as T;
        Ok(match typ {
            T::ClientHello => P::ClientHello(ClientHello::read(r)?),
            T::ServerHello => P::ServerHello(ServerHello::read(r)?),
            T::EncryptedExtensions => P::EncryptedExtensions(EncryptedExtensions::read(r)?),
            T::Certificate => P::Certificate(Certificate13::read(r)?),
            T::CertificateRequest => P::CertificateRequest(CertificateRequest13::read(r)?),
            T::CertificateVerify => P::CertificateVerify(CertificateVerify::read(r)?),
            T::Finished => P::Finished(Finished::read(r)?),
            T::NewSessionTicket => P::NewSessionTicket(NewSessionTicket13::read(r)?),
            T::KeyUpdate => P::KeyUpdate(KeyUpdate::read(r)?),
            T::EndOfEarlyData => {
                r.expect_empty("body")?;
                P::EndOfEarlyData
            }
            T::MessageHash => P::MessageHash(r.rest().to_vec()),
            typ => P::Unknown {
                typ,
                body: r.rest().to_vec(),
            },
        })
    }
}

/// Writes a handshake header (RFC 8446, 4: type, u24 length) and `body`.
fn put_handshake(out: &mut Vec<u8>, typ: HandshakeType, body: impl FnOnce(&mut Vec<u8>)) {
    typ.encode(out);
    with_u24_len(out, body);
}

/// A whole handshake message: `typ` always equals `payload.handshake_type()` (build
/// it with [`HandshakeMessage::new`]); the header is written from the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandshakeMessage {
    pub typ: HandshakeType,
    pub payload: HandshakePayload,
}

impl HandshakeMessage {
    pub fn new(payload: HandshakePayload) -> Self {
        HandshakeMessage {
            typ: payload.handshake_type(),
            payload,
        }
    }

    /// Decodes exactly one message, 4-byte header included, as TLS 1.3 defines it.
    /// The header's length must match the rest of `bytes` exactly, and every body must
    /// be used up. Error offsets count from the first header byte.
    pub fn read_tls13(bytes: &[u8]) -> Result<Self, DecodeError> {
        let message = bytes.first().map_or("handshake message", |&t| {
            HandshakeType::from_wire(t).message_name()
        });
        let mut r = Reader::new(bytes, message);
        let typ = HandshakeType::read(&mut r)?;
        let mut body = r.sub_u24("length")?;
        r.expect_empty("length")?;
        let payload = HandshakePayload::read(typ, &mut body)?;
        Ok(HandshakeMessage { typ, payload })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        put_handshake(out, self.payload.handshake_type(), |o| {
            self.payload.encode(o)
        });
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.payload.size_hint());
        self.encode(&mut out);
        out
    }

    /// The message's name for traces and errors: "ClientHello", "HelloRetryRequest", ...
    pub fn name(&self) -> &'static str {
        match &self.payload {
            HandshakePayload::ServerHello(sh) if sh.is_hello_retry_request() => "HelloRetryRequest",
            payload => payload.handshake_type().message_name(),
        }
    }
}

impl Codec for HandshakeMessage {
    fn encode(&self, out: &mut Vec<u8>) {
        HandshakeMessage::encode(self, out);
    }

    /// Reads the next whole message from a stream of them; errors are located
    /// within that message, as in [`HandshakeMessage::read_tls13`].
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut header = r.clone();
        header.u8("msg_type")?;
        let length = header.u24("length")? as usize;
        HandshakeMessage::read_tls13(r.take(4 + length, "length")?)
    }
}

#[cfg(test)]
mod tests;
