//! TLS 1.3 handshake messages (RFC 8446, 4), owned and fully decoded.
//!
//! Each message's `Codec` covers its body; [`HandshakeMessage`] adds the 4-byte
//! header. A body's `read` must use up its reader exactly: trailing bytes are an error.
//! ClientHello and ServerHello also decode in their TLS 1.2 shape, where the
//! extensions block may be absent; an empty extension list is then encoded as absent.

use super::enums::{
    CipherSuite, ExtensionType, HandshakeType, KeyUpdateRequest, NamedGroup, ProtocolVersion,
    PskKeyExchangeMode, ServerNameType, SignatureScheme,
};
use super::extensions::{
    read_block, CertReqExtension, CertificateExtension, ClientExtension, ExtBlock, KeyShareEntry,
    NewSessionTicketExtension, OfferedPsks, ServerExtContext, ServerExtension, ServerNameEntry,
};
use super::vecs::{fixed, items, opaque, put_u16_list};
use crate::codec::{
    put_u32, put_u8, put_vec_u16, put_vec_u24, put_vec_u8, with_u16_len, with_u24_len, Codec,
    DecodeError, DecodeErrorKind, Reader,
};

/// ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest")
/// (RFC 8446, 4.1.3).
pub const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Last 8 bytes of ServerHello.random from a TLS 1.3 server negotiating TLS 1.2
/// (RFC 8446, 4.1.3: downgrade sentinel).
pub const DOWNGRADE_TLS12: [u8; 8] = *b"DOWNGRD\x01";

/// Last 8 bytes of ServerHello.random from a TLS 1.3 server negotiating TLS 1.1 or
/// below (RFC 8446, 4.1.3: downgrade sentinel).
pub const DOWNGRADE_TLS11: [u8; 8] = *b"DOWNGRD\x00";

fn read_random(r: &mut Reader<'_>) -> Result<[u8; 32], DecodeError> {
    let mut random = [0u8; 32];
    random.copy_from_slice(r.take(32, "random")?);
    Ok(random)
}

/// `opaque legacy_session_id<0..32>` (RFC 8446, 4.1.2).
fn read_session_id(r: &mut Reader<'_>, field: &'static str) -> Result<Vec<u8>, DecodeError> {
    let at = r.offset();
    let length = usize::from(r.u8(field)?);
    if length > 32 {
        return Err(DecodeError {
            message: r.message(),
            field,
            offset: at,
            kind: DecodeErrorKind::TooLong { length, max: 32 },
        });
    }
    Ok(r.take(length, field)?.to_vec())
}

/// Reads an optional extensions block: absent in a TLS 1.2 hello without extensions.
fn read_hello_extensions<'a, T>(
    r: &mut Reader<'a>,
    block: ExtBlock,
    body: impl FnMut(ExtensionType, &mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    if r.is_empty() {
        return Ok(Vec::new());
    }
    let exts = read_block(r.sub_u16("extensions")?, block, body)?;
    r.expect_empty("extensions")?;
    Ok(exts)
}

/// ClientHello (RFC 8446, 4.1.2); also the TLS 1.2 shape (RFC 5246, 7.4.1.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    /// 0..=32 bytes.
    pub session_id: Vec<u8>,
    pub cipher_suites: Vec<CipherSuite>,
    pub compression_methods: Vec<u8>,
    /// Unique types; pre_shared_key, if present, is last.
    pub extensions: Vec<ClientExtension>,
    /// The message carried a zero-length extensions block (legal in TLS 1.2), kept
    /// so that re-encoding is byte-exact.
    pub empty_extensions_block: bool,
}

impl ClientHello {
    pub fn server_name(&self) -> Option<&[ServerNameEntry]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::ServerName(names) => Some(names.as_slice()),
            _ => None,
        })
    }

    /// The host_name entry of server_name, if any (RFC 6066, 3: at most one).
    pub fn host_name(&self) -> Option<&[u8]> {
        self.server_name()?
            .iter()
            .find(|n| n.name_type == ServerNameType::HostName)
            .map(|n| n.name.as_slice())
    }

    pub fn supported_versions(&self) -> Option<&[ProtocolVersion]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SupportedVersions(v) => Some(v.as_slice()),
            _ => None,
        })
    }

    pub fn supported_groups(&self) -> Option<&[NamedGroup]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SupportedGroups(g) => Some(g.as_slice()),
            _ => None,
        })
    }

    pub fn signature_algorithms(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SignatureAlgorithms(s) => Some(s.as_slice()),
            _ => None,
        })
    }

    pub fn signature_algorithms_cert(&self) -> Option<&[SignatureScheme]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::SignatureAlgorithmsCert(s) => Some(s.as_slice()),
            _ => None,
        })
    }

    pub fn key_shares(&self) -> Option<&[KeyShareEntry]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::KeyShare(k) => Some(k.as_slice()),
            _ => None,
        })
    }

    pub fn alpn(&self) -> Option<&[Vec<u8>]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::Alpn(p) => Some(p.as_slice()),
            _ => None,
        })
    }

    pub fn cookie(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::Cookie(c) => Some(c.as_slice()),
            _ => None,
        })
    }

    pub fn psk_modes(&self) -> Option<&[PskKeyExchangeMode]> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::PskKeyExchangeModes(m) => Some(m.as_slice()),
            _ => None,
        })
    }

    pub fn psk(&self) -> Option<&OfferedPsks> {
        self.extensions.iter().find_map(|e| match e {
            ClientExtension::PreSharedKey(p) => Some(p),
            _ => None,
        })
    }

    /// For the client to fill in binders once computed (RFC 8446, 4.2.11.2).
    pub fn psk_mut(&mut self) -> Option<&mut OfferedPsks> {
        self.extensions.iter_mut().find_map(|e| match e {
            ClientExtension::PreSharedKey(p) => Some(p),
            _ => None,
        })
    }

    pub fn has_extension(&self, typ: ExtensionType) -> bool {
        self.extensions.iter().any(|e| e.ext_type() == typ)
    }

    pub fn early_data(&self) -> bool {
        self.has_extension(ExtensionType::EarlyData)
    }

    /// The whole handshake message (header included) without the binders list:
    /// `Truncate(ClientHello)`, the input of the PSK binders (RFC 8446, 4.2.11.2). The
    /// lengths still count the binders, so fill the binders with placeholders of their
    /// final size first. Without a pre_shared_key extension this is the full message.
    pub fn encode_truncated_for_binders(&self) -> Vec<u8> {
        let mut out = Vec::new();
        put_handshake(&mut out, HandshakeType::ClientHello, |o| self.encode(o));
        if let Some(ClientExtension::PreSharedKey(psks)) = self.extensions.last() {
            out.truncate(out.len().saturating_sub(psks.binders_len()));
        }
        out
    }
}

impl Codec for ClientHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        put_vec_u8(out, &self.session_id);
        put_u16_list(out, &self.cipher_suites);
        put_vec_u8(out, &self.compression_methods);
        if !self.extensions.is_empty() || self.empty_extensions_block {
            with_u16_len(out, |o| self.extensions.iter().for_each(|e| e.encode(o)));
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = ProtocolVersion::from_wire(r.u16("legacy_version")?);
        let random = read_random(r)?;
        let session_id = read_session_id(r, "legacy_session_id")?;
        let cipher_suites = fixed(r.sub_u16("cipher_suites")?, "cipher_suites", 2, true)?;
        let compression_methods = opaque(
            r.sub_u8("legacy_compression_methods")?,
            "legacy_compression_methods",
            1,
        )?;
        let had_block = !r.is_empty();
        let extensions = read_hello_extensions(r, ExtBlock::ClientHello, |typ, r| {
            ClientExtension::read_body(typ, r)
        })?;
        Ok(ClientHello {
            legacy_version,
            random,
            session_id,
            cipher_suites,
            empty_extensions_block: had_block && extensions.is_empty(),
            compression_methods,
            extensions,
        })
    }
}

/// ServerHello (RFC 8446, 4.1.3), HelloRetryRequest (RFC 8446, 4.1.4: a ServerHello
/// whose random is [`HELLO_RETRY_REQUEST_RANDOM`]), or a TLS 1.2 ServerHello.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerHello {
    pub legacy_version: ProtocolVersion,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suite: CipherSuite,
    pub compression_method: u8,
    pub extensions: Vec<ServerExtension>,
    /// The message carried a zero-length extensions block (legal in TLS 1.2), kept
    /// so that re-encoding is byte-exact.
    pub empty_extensions_block: bool,
}

impl ServerHello {
    pub fn is_hello_retry_request(&self) -> bool {
        self.random == HELLO_RETRY_REQUEST_RANDOM
    }

    pub fn supported_version(&self) -> Option<ProtocolVersion> {
        self.extensions.iter().find_map(|e| match e {
            ServerExtension::SupportedVersions(v) => Some(*v),
            _ => None,
        })
    }

    pub fn key_share(&self) -> Option<&KeyShareEntry> {
        self.extensions.iter().find_map(|e| match e {
            ServerExtension::KeyShare(k) => Some(k),
            _ => None,
        })
    }

    /// The group a HelloRetryRequest asks for (RFC 8446, 4.2.8).
    pub fn hrr_group(&self) -> Option<NamedGroup> {
        self.extensions.iter().find_map(|e| match e {
            ServerExtension::HrrKeyShare(g) => Some(*g),
            _ => None,
        })
    }

    pub fn cookie(&self) -> Option<&[u8]> {
        self.extensions.iter().find_map(|e| match e {
            ServerExtension::Cookie(c) => Some(c.as_slice()),
            _ => None,
        })
    }

    /// The server's `selected_identity` (RFC 8446, 4.2.11).
    pub fn psk_index(&self) -> Option<u16> {
        self.extensions.iter().find_map(|e| match e {
            ServerExtension::PreSharedKey(i) => Some(*i),
            _ => None,
        })
    }

    pub fn has_extension(&self, typ: ExtensionType) -> bool {
        self.extensions.iter().any(|e| e.ext_type() == typ)
    }

    /// The first recognised extension that a TLS 1.3 ServerHello must not carry: only
    /// supported_versions, key_share and pre_shared_key may (RFC 8446, 4.2), so a
    /// TLS 1.3 client answers this with illegal_parameter. Unrecognised types are
    /// not reported: they are unsolicited (unsupported_extension).
    pub fn tls13_forbidden_extension(&self) -> Option<ExtensionType> {
        use ExtensionType as E;
        self.extensions
            .iter()
            .map(ServerExtension::ext_type)
            .find(|t| {
                !matches!(
                    t,
                    E::SupportedVersions | E::KeyShare | E::PreSharedKey | E::Unknown(_)
                )
            })
    }
}

impl Codec for ServerHello {
    fn encode(&self, out: &mut Vec<u8>) {
        self.legacy_version.encode(out);
        out.extend_from_slice(&self.random);
        put_vec_u8(out, &self.session_id);
        self.cipher_suite.encode(out);
        put_u8(out, self.compression_method);
        if !self.extensions.is_empty() || self.empty_extensions_block {
            with_u16_len(out, |o| self.extensions.iter().for_each(|e| e.encode(o)));
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let legacy_version = ProtocolVersion::from_wire(r.u16("legacy_version")?);
        let random = read_random(r)?;
        let hrr = random == HELLO_RETRY_REQUEST_RANDOM;
        let mut rest = || -> Result<Self, DecodeError> {
            let session_id = read_session_id(r, "legacy_session_id_echo")?;
            let cipher_suite = CipherSuite::read(r)?;
            let compression_method = r.u8("legacy_compression_method")?;
            let ctx = if hrr {
                ServerExtContext::HelloRetryRequest
            } else {
                ServerExtContext::ServerHello
            };
            let had_block = !r.is_empty();
            let extensions = read_hello_extensions(r, ctx.into(), |typ, r| {
                ServerExtension::read_body(typ, ctx, r)
            })?;
            Ok(ServerHello {
                legacy_version,
                random,
                session_id,
                cipher_suite,
                compression_method,
                empty_extensions_block: had_block && extensions.is_empty(),
                extensions,
            })
        };
        // Past the random, errors name the message the peer actually sent.
        rest().map_err(|e| {
            if hrr {
                DecodeError {
                    message: "HelloRetryRequest",
                    ..e
                }
            } else {
                e
            }
        })
    }
}

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
mod tests {
    use super::*;
    use crate::msgs::enums::{
        CipherSuite as Cs, ECPointFormat, HeartbeatMode, NamedGroup as G, ProtocolVersion as V,
        SignatureScheme as S,
    };
    use crate::msgs::extensions::PskIdentity;
    use crate::msgs::rfc8448::{bytes, find, RESUMED_CLIENT_HELLO_PREFIX, TRACE};

    fn decode(bytes: &[u8]) -> HandshakeMessage {
        HandshakeMessage::read_tls13(bytes).unwrap()
    }

    fn error(bytes: &[u8]) -> String {
        HandshakeMessage::read_tls13(bytes).unwrap_err().to_string()
    }

    /// Round trip, byte-identical re-encoding, and every strict prefix rejected.
    fn check(payload: HandshakePayload) -> Vec<u8> {
        let msg = HandshakeMessage::new(payload);
        let bytes = msg.to_bytes();
        let back = decode(&bytes);
        assert_eq!(back, msg);
        assert_eq!(back.to_bytes(), bytes);
        assert_prefixes_fail(&bytes);
        bytes
    }

    fn assert_prefixes_fail(bytes: &[u8]) {
        for n in 0..bytes.len() {
            assert!(
                HandshakeMessage::read_tls13(&bytes[..n]).is_err(),
                "{n}-byte prefix decoded"
            );
        }
    }

    fn client_hello(m: HandshakeMessage) -> ClientHello {
        match m.payload {
            HandshakePayload::ClientHello(ch) => ch,
            other => panic!("not a ClientHello: {other:?}"),
        }
    }

    fn server_hello(m: HandshakeMessage) -> ServerHello {
        match m.payload {
            HandshakePayload::ServerHello(sh) => sh,
            other => panic!("not a ServerHello: {other:?}"),
        }
    }

    fn simple_client_hello() -> ClientHello {
        client_hello(decode(&find(3, "client", "ClientHello")))
    }

    #[test]
    fn constants() {
        // RFC 8446, 4.1.3: the HRR random is SHA-256("HelloRetryRequest").
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"HelloRetryRequest");
        assert_eq!(digest.as_ref(), HELLO_RETRY_REQUEST_RANDOM);
        assert_eq!(
            DOWNGRADE_TLS12,
            [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]
        );
        assert_eq!(
            DOWNGRADE_TLS11,
            [0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]
        );
    }

    #[test]
    fn rfc8448_every_message_round_trips() {
        for m in TRACE {
            let wire = bytes(m.hex);
            let msg = decode(&wire);
            assert_eq!(msg.to_bytes(), wire, "{} {} {}", m.section, m.from, m.name);
            assert_eq!(msg.typ.message_name(), m.name);
            assert_eq!(msg.typ, msg.payload.handshake_type());
            assert_prefixes_fail(&wire);
        }
    }

    #[test]
    fn rfc8448_simple_client_hello() {
        let wire = find(3, "client", "ClientHello");
        let msg = decode(&wire);
        assert_eq!(msg.name(), "ClientHello");
        let ch = client_hello(msg);
        assert_eq!(ch.legacy_version, V::TLSv1_2);
        assert_eq!(ch.random[..4], [0xcb, 0x34, 0xec, 0xb1]);
        assert_eq!(ch.random[28..], [0x02, 0x4d, 0xec, 0xe7]);
        assert!(ch.session_id.is_empty());
        assert_eq!(
            ch.cipher_suites,
            [
                Cs::TLS13_AES_128_GCM_SHA256,
                Cs::TLS13_CHACHA20_POLY1305_SHA256,
                Cs::TLS13_AES_256_GCM_SHA384
            ]
        );
        assert_eq!(ch.compression_methods, [0]);
        assert_eq!(ch.host_name(), Some(&b"server"[..]));
        assert_eq!(
            ch.supported_groups().unwrap(),
            [
                G::X25519,
                G::secp256r1,
                G::secp384r1,
                G::secp521r1,
                G::FFDHE2048,
                G::FFDHE3072,
                G::FFDHE4096,
                G::FFDHE6144,
                G::FFDHE8192
            ]
        );
        let shares = ch.key_shares().unwrap();
        assert_eq!(shares.len(), 1);
        assert_eq!(shares[0].group, G::X25519);
        assert_eq!(shares[0].payload.len(), 32);
        assert_eq!(shares[0].payload[..4], [0x99, 0x38, 0x1d, 0xe5]);
        assert_eq!(ch.supported_versions().unwrap(), [V::TLSv1_3]);
        assert_eq!(ch.signature_algorithms().unwrap().len(), 15);
        assert_eq!(
            ch.signature_algorithms().unwrap()[..2],
            [S::ECDSA_NISTP256_SHA256, S::ECDSA_NISTP384_SHA384]
        );
        assert_eq!(ch.psk_modes().unwrap(), [PskKeyExchangeMode::PskDheKe]);
        assert!(ch.has_extension(ExtensionType::RenegotiationInfo));
        assert!(ch.has_extension(ExtensionType::SessionTicket));
        // record_size_limit (RFC 8449) is not modelled: kept as sent.
        assert!(ch.extensions.contains(&ClientExtension::Unknown {
            typ: ExtensionType::Unknown(0x1c),
            data: vec![0x40, 0x01]
        }));
        assert!(!ch.early_data());
        assert_eq!((ch.psk(), ch.cookie(), ch.alpn()), (None, None, None));
        // Without a pre_shared_key there is nothing to truncate.
        assert_eq!(ch.encode_truncated_for_binders(), wire);
    }

    #[test]
    fn rfc8448_simple_server_hello() {
        let msg = decode(&find(3, "server", "ServerHello"));
        assert_eq!(msg.name(), "ServerHello");
        let sh = server_hello(msg);
        assert!(!sh.is_hello_retry_request());
        assert_eq!(sh.legacy_version, V::TLSv1_2);
        assert_eq!(sh.random[..4], [0xa6, 0xaf, 0x06, 0xa4]);
        assert_eq!(sh.cipher_suite, Cs::TLS13_AES_128_GCM_SHA256);
        assert_eq!(sh.compression_method, 0);
        assert_eq!(sh.supported_version(), Some(V::TLSv1_3));
        let share = sh.key_share().unwrap();
        assert_eq!(share.group, G::X25519);
        assert_eq!(share.payload.len(), 32);
        assert_eq!(share.payload[..4], [0xc9, 0x82, 0x88, 0x76]);
        assert_eq!(
            (sh.hrr_group(), sh.cookie(), sh.psk_index()),
            (None, None, None)
        );
        assert_eq!(sh.tls13_forbidden_extension(), None);
    }

    #[test]
    fn rfc8448_hello_retry_request() {
        let hrr_msg = decode(&find(5, "server", "ServerHello"));
        assert_eq!(hrr_msg.name(), "HelloRetryRequest");
        let hrr = server_hello(hrr_msg);
        assert!(hrr.is_hello_retry_request());
        assert_eq!(hrr.cipher_suite, Cs::TLS13_AES_128_GCM_SHA256);
        assert_eq!(hrr.hrr_group(), Some(G::secp256r1));
        assert_eq!(hrr.key_share(), None);
        assert_eq!(hrr.supported_version(), Some(V::TLSv1_3));
        let cookie = hrr.cookie().unwrap();
        assert_eq!(cookie.len(), 0x72);

        let hellos: Vec<_> = TRACE
            .iter()
            .filter(|m| m.section == 5 && m.name == "ClientHello")
            .map(|m| client_hello(decode(&bytes(m.hex))))
            .collect();
        assert_eq!(hellos[0].key_shares().unwrap()[0].group, G::X25519);
        assert_eq!(hellos[0].cookie(), None);
        let second = &hellos[1];
        assert_eq!(second.random, hellos[0].random);
        assert_eq!(second.cookie(), Some(cookie));
        let shares = second.key_shares().unwrap();
        assert_eq!((shares.len(), shares[0].group), (1, G::secp256r1));
        assert_eq!(shares[0].payload.len(), 65);
    }

    #[test]
    fn rfc8448_resumption_binders() {
        let wire = find(4, "client", "ClientHello");
        let ch = client_hello(decode(&wire));
        assert!(ch.early_data());
        let psk = ch.psk().unwrap();
        assert_eq!(psk.identities.len(), 1);
        assert_eq!(psk.identities[0].identity.len(), 0xb2);
        assert_eq!(psk.identities[0].obfuscated_ticket_age, 0xfad6_aacb);
        assert_eq!(psk.binders.len(), 1);
        assert_eq!(psk.binders[0][..4], [0x3a, 0xdd, 0x4f, 0xb2]);
        assert_eq!(psk.binders_len(), 35);
        assert!(matches!(
            ch.extensions.last(),
            Some(ClientExtension::PreSharedKey(_))
        ));
        // RFC 8448, 4: "ClientHello prefix (477 octets)".
        let truncated = ch.encode_truncated_for_binders();
        assert_eq!(truncated, bytes(RESUMED_CLIENT_HELLO_PREFIX));
        assert_eq!(truncated, wire[..wire.len() - 35]);

        // A client fills binders in after hashing the prefix; the prefix is unchanged.
        let mut filled = ch.clone();
        filled.psk_mut().unwrap().binders = vec![vec![0; 32]];
        assert_eq!(filled.encode_truncated_for_binders(), truncated);

        let sh = server_hello(decode(&find(4, "server", "ServerHello")));
        assert_eq!(sh.psk_index(), Some(0));
        assert_eq!(sh.tls13_forbidden_extension(), None);
        match decode(&find(4, "server", "EncryptedExtensions")).payload {
            HandshakePayload::EncryptedExtensions(ee) => {
                assert!(ee.early_data());
                assert!(ee.server_name_ack());
                assert_eq!(ee.alpn(), None);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            decode(&find(4, "client", "EndOfEarlyData")).payload,
            HandshakePayload::EndOfEarlyData
        );
    }

    #[test]
    fn rfc8448_server_flight_and_ticket() {
        match decode(&find(3, "server", "EncryptedExtensions")).payload {
            HandshakePayload::EncryptedExtensions(ee) => {
                assert!(ee.server_name_ack());
                assert!(!ee.early_data());
                assert_eq!(ee.supported_groups().unwrap().len(), 9);
            }
            other => panic!("{other:?}"),
        }
        match decode(&find(3, "server", "Certificate")).payload {
            HandshakePayload::Certificate(c) => {
                assert!(c.context.is_empty());
                assert_eq!(c.entries.len(), 1);
                assert_eq!(c.entries[0].cert.len(), 0x1b0);
                assert_eq!(c.entries[0].cert[..2], [0x30, 0x82]);
                assert_eq!(c.entries[0].ocsp_response(), None);
            }
            other => panic!("{other:?}"),
        }
        match decode(&find(3, "server", "CertificateVerify")).payload {
            HandshakePayload::CertificateVerify(cv) => {
                assert_eq!(cv.scheme, S::RSA_PSS_RSAE_SHA256);
                assert_eq!(cv.signature.len(), 128);
            }
            other => panic!("{other:?}"),
        }
        match decode(&find(3, "server", "Finished")).payload {
            HandshakePayload::Finished(f) => {
                assert_eq!(f.verify_data[..4], [0x9b, 0x9b, 0x14, 0x1d])
            }
            other => panic!("{other:?}"),
        }
        match decode(&find(3, "server", "NewSessionTicket")).payload {
            HandshakePayload::NewSessionTicket(t) => {
                assert_eq!(t.lifetime, 30);
                assert_eq!(t.age_add, 0xfad6_aac5);
                assert_eq!(t.nonce, [0, 0]);
                assert_eq!(t.ticket.len(), 0xb2);
                assert_eq!(t.max_early_data(), Some(0x400));
            }
            other => panic!("{other:?}"),
        }
        match decode(&find(6, "server", "CertificateRequest")).payload {
            HandshakePayload::CertificateRequest(cr) => {
                assert!(cr.context.is_empty());
                assert_eq!(
                    cr.signature_algorithms().unwrap()[0],
                    S::ECDSA_NISTP256_SHA256
                );
                assert_eq!(cr.certificate_authorities(), None);
            }
            other => panic!("{other:?}"),
        }
        // RFC 8448, 7: compatibility mode sends a 32-byte legacy_session_id.
        let compat = client_hello(decode(&find(7, "client", "ClientHello")));
        assert_eq!(compat.session_id.len(), 32);
        let echo = server_hello(decode(&find(7, "server", "ServerHello")));
        assert_eq!(echo.session_id, compat.session_id);
    }

    #[test]
    fn read_from_a_stream_of_messages() {
        let names = [
            "EncryptedExtensions",
            "Certificate",
            "CertificateVerify",
            "Finished",
        ];
        let flight: Vec<u8> = names.iter().flat_map(|n| find(3, "server", n)).collect();
        let mut r = Reader::new(&flight, "handshake flight");
        for name in names {
            assert_eq!(HandshakeMessage::read(&mut r).unwrap().name(), name);
        }
        assert!(r.is_empty());
    }

    fn full_client_hello() -> ClientHello {
        let mut ch = simple_client_hello();
        ch.session_id = vec![0x5e; 32];
        ch.cipher_suites.push(Cs::Unknown(0x0a0a));
        ch.extensions = vec![
            ClientExtension::ServerName(vec![ServerNameEntry {
                name_type: ServerNameType::HostName,
                name: b"example.com".to_vec(),
            }]),
            ClientExtension::SupportedVersions(vec![V::TLSv1_3, V::TLSv1_2]),
            ClientExtension::SupportedGroups(vec![G::X25519MLKEM768, G::X25519, G::secp256r1]),
            ClientExtension::SignatureAlgorithms(vec![S::ED25519, S::RSA_PSS_RSAE_SHA384]),
            ClientExtension::SignatureAlgorithmsCert(vec![S::RSA_PKCS1_SHA256]),
            ClientExtension::KeyShare(vec![KeyShareEntry {
                group: G::X25519MLKEM768,
                payload: vec![7; 1216],
            }]),
            ClientExtension::Alpn(vec![b"h2".to_vec()]),
            ClientExtension::Cookie(vec![1, 2, 3]),
            ClientExtension::PskKeyExchangeModes(vec![PskKeyExchangeMode::PskDheKe]),
            ClientExtension::EarlyData,
            ClientExtension::StatusRequest(vec![1, 0, 0, 0, 0]),
            ClientExtension::PostHandshakeAuth,
            ClientExtension::EcPointFormats(vec![ECPointFormat::Uncompressed]),
            ClientExtension::ExtendedMasterSecret,
            ClientExtension::RenegotiationInfo(vec![]),
            ClientExtension::SessionTicket(vec![]),
            ClientExtension::EncryptThenMac,
            ClientExtension::Heartbeat(HeartbeatMode::PeerAllowedToSend),
            ClientExtension::Unknown {
                typ: ExtensionType::Unknown(0xdada),
                data: vec![0],
            },
            ClientExtension::PreSharedKey(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: vec![0x71; 16],
                    obfuscated_ticket_age: 99,
                }],
                binders: vec![vec![0xbb; 48]],
            }),
        ];
        ch
    }

    #[test]
    fn client_hello_round_trips() {
        let ch = full_client_hello();
        let wire = check(HandshakePayload::ClientHello(ch.clone()));
        assert_eq!(
            ch.encode_truncated_for_binders(),
            wire[..wire.len() - 2 - 49]
        );
        assert_eq!(ch.alpn().unwrap(), [b"h2".to_vec()]);
        assert_eq!(
            ch.signature_algorithms_cert().unwrap(),
            [S::RSA_PKCS1_SHA256]
        );
    }

    /// The extension list and the fixed-size lists are allocated once, at their
    /// final size, never regrown while decoding.
    #[test]
    fn decoded_lists_are_sized_once() {
        let mut ch = full_client_hello();
        ch.cipher_suites = (0..40).map(|v| Cs::Unknown(0x0a00 + v)).collect();
        let wire = HandshakeMessage::new(HandshakePayload::ClientHello(ch.clone())).to_bytes();
        let back = client_hello(decode(&wire));
        assert_eq!(back, ch);
        assert_eq!(back.extensions.capacity(), ch.extensions.len());
        assert_eq!(back.cipher_suites.capacity(), 40);
        let groups = back.extensions.iter().find_map(|e| match e {
            ClientExtension::SupportedGroups(g) => Some(g),
            _ => None,
        });
        assert_eq!(groups.map(Vec::capacity), Some(3));
    }

    #[test]
    fn tls12_client_hello_without_extensions() {
        // RFC 5246, 7.4.1.2: the extensions block is optional.
        let ch = ClientHello {
            legacy_version: V::TLSv1_2,
            random: [3; 32],
            session_id: vec![],
            cipher_suites: vec![
                Cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                Cs::TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
            ],
            compression_methods: vec![0],
            extensions: vec![],
            empty_extensions_block: false,
        };
        let wire = check(HandshakePayload::ClientHello(ch.clone()));
        assert_eq!(wire.len(), 4 + 2 + 32 + 1 + 2 + 4 + 2);
        assert_eq!(ch.server_name(), None);

        // An explicit empty block is accepted too, and re-encodes exactly as it came.
        let mut with_block = wire.clone();
        with_block.extend_from_slice(&[0, 0]);
        with_block[3] += 2;
        let decoded = client_hello(decode(&with_block));
        assert!(decoded.empty_extensions_block);
        assert_eq!(decoded.extensions, ch.extensions);
        assert_eq!(
            HandshakeMessage::new(HandshakePayload::ClientHello(decoded)).to_bytes(),
            with_block
        );
    }

    #[test]
    fn server_hellos_round_trip() {
        let mut sh = server_hello(decode(&find(3, "server", "ServerHello")));
        check(HandshakePayload::ServerHello(sh.clone()));

        // A TLS 1.2 ServerHello: its extensions are legal here; the TLS 1.3 client sees
        // the first one it must refuse.
        sh.session_id = vec![1; 32];
        sh.cipher_suite = Cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
        sh.extensions = vec![
            ServerExtension::RenegotiationInfo(vec![]),
            ServerExtension::ServerNameAck,
            ServerExtension::ExtendedMasterSecret,
            ServerExtension::EcPointFormats(vec![ECPointFormat::Uncompressed]),
            ServerExtension::SessionTicketAck,
            ServerExtension::StatusRequestAck,
            ServerExtension::Alpn(b"h2".to_vec()),
            ServerExtension::EncryptThenMac,
        ];
        check(HandshakePayload::ServerHello(sh.clone()));
        assert_eq!(
            sh.tls13_forbidden_extension(),
            Some(ExtensionType::RenegotiationInfo)
        );
        sh.extensions.clear();
        check(HandshakePayload::ServerHello(sh));

        let hrr = ServerHello {
            legacy_version: V::TLSv1_2,
            random: HELLO_RETRY_REQUEST_RANDOM,
            session_id: vec![],
            cipher_suite: Cs::TLS13_AES_256_GCM_SHA384,
            compression_method: 0,
            extensions: vec![
                ServerExtension::SupportedVersions(V::TLSv1_3),
                ServerExtension::HrrKeyShare(G::X25519MLKEM768),
                ServerExtension::Cookie(vec![0xc0; 200]),
            ],
            empty_extensions_block: false,
        };
        check(HandshakePayload::ServerHello(hrr));
    }

    #[test]
    fn other_messages_round_trip() {
        use HandshakePayload as P;
        let payloads = [
            P::EncryptedExtensions(EncryptedExtensions { extensions: vec![] }),
            P::EncryptedExtensions(EncryptedExtensions {
                extensions: vec![
                    ServerExtension::Alpn(b"http/1.1".to_vec()),
                    ServerExtension::EarlyData,
                    ServerExtension::ServerNameAck,
                    ServerExtension::Heartbeat(HeartbeatMode::PeerNotAllowedToSend),
                ],
            }),
            P::Certificate(Certificate13 {
                context: vec![],
                entries: vec![],
            }),
            P::Certificate(Certificate13 {
                context: vec![9; 8],
                entries: vec![
                    CertificateEntry {
                        cert: vec![0x30; 300],
                        extensions: vec![
                            CertificateExtension::StatusRequest(vec![0x30, 0x80]),
                            CertificateExtension::SignedCertificateTimestamp(vec![0, 1, 5]),
                        ],
                    },
                    CertificateEntry {
                        cert: vec![0x30],
                        extensions: vec![],
                    },
                ],
            }),
            P::CertificateRequest(CertificateRequest13 {
                context: vec![1],
                extensions: vec![
                    CertReqExtension::SignatureAlgorithms(vec![S::ECDSA_NISTP384_SHA384]),
                    CertReqExtension::SignatureAlgorithmsCert(vec![S::RSA_PSS_PSS_SHA512]),
                    CertReqExtension::CertificateAuthorities(vec![vec![0x30, 0]]),
                    CertReqExtension::StatusRequest(vec![]),
                ],
            }),
            P::CertificateVerify(CertificateVerify {
                scheme: S::ECDSA_NISTP256_SHA256,
                signature: vec![0x30; 71],
            }),
            P::CertificateVerify(CertificateVerify {
                scheme: S::Unknown(0x0102),
                signature: vec![],
            }),
            P::Finished(Finished {
                verify_data: vec![0xf1; 48],
            }),
            P::NewSessionTicket(NewSessionTicket13 {
                lifetime: 604_800,
                age_add: 0xdead_beef,
                nonce: vec![],
                ticket: vec![0xaa; 100],
                extensions: vec![
                    NewSessionTicketExtension::EarlyData(0xffff_ffff),
                    NewSessionTicketExtension::Unknown {
                        typ: ExtensionType::Unknown(0x4a4a),
                        data: vec![],
                    },
                ],
            }),
            P::KeyUpdate(KeyUpdate(KeyUpdateRequest::UpdateNotRequested)),
            P::KeyUpdate(KeyUpdate(KeyUpdateRequest::UpdateRequested)),
            P::KeyUpdate(KeyUpdate(KeyUpdateRequest::Unknown(7))),
            P::EndOfEarlyData,
            P::MessageHash(vec![0x4d; 32]),
            P::Unknown {
                typ: HandshakeType::ServerKeyExchange,
                body: vec![3, 0, 0x1d, 1, 2],
            },
        ];
        for payload in payloads {
            let name = HandshakeMessage::new(payload.clone()).name();
            assert_eq!(name, payload.handshake_type().message_name());
            check(payload);
        }
        let done = HandshakeMessage::new(P::Unknown {
            typ: HandshakeType::ServerHelloDone,
            body: vec![],
        });
        assert_eq!(done.to_bytes(), [14, 0, 0, 0]);
        assert_eq!(decode(&[14, 0, 0, 0]).name(), "ServerHelloDone");
        assert_eq!(decode(&[0xfe, 0, 0, 1, 0xaa]).name(), "MessageHash");
    }

    /// Appends `extra` to ClientHello's extensions, bypassing the decoder's checks.
    fn client_hello_plus(mut ch: ClientHello, extra: ClientExtension) -> Vec<u8> {
        ch.extensions.push(extra);
        HandshakeMessage::new(HandshakePayload::ClientHello(ch)).to_bytes()
    }

    #[test]
    fn client_hello_rules() {
        // RFC 8446, 4.2: one extension of each type.
        let dup = client_hello_plus(
            simple_client_hello(),
            ClientExtension::SupportedVersions(vec![V::TLSv1_3]),
        );
        assert_eq!(
            error(&dup),
            "malformed ClientHello: field extensions at byte 196: extension 0x002b appears more than once"
        );
        // RFC 8446, 4.2.11: pre_shared_key comes last.
        let resumed = client_hello(decode(&find(4, "client", "ClientHello")));
        let after_psk = client_hello_plus(resumed, ClientExtension::PostHandshakeAuth);
        assert_eq!(
            error(&after_psk),
            "malformed ClientHello: field extensions at byte 512: pre_shared_key must be the last extension"
        );
        let psk_twice = client_hello_plus(
            full_client_hello(),
            full_client_hello().extensions.pop().unwrap(),
        );
        assert!(error(&psk_twice).ends_with("extension 0x0029 appears more than once"));
        // An empty key_share list is fine (it asks for a HelloRetryRequest).
        let mut no_shares = simple_client_hello();
        no_shares
            .extensions
            .retain(|e| e.ext_type() != ExtensionType::KeyShare);
        let bytes = client_hello_plus(no_shares, ClientExtension::KeyShare(vec![]));
        assert_eq!(client_hello(decode(&bytes)).key_shares(), Some(&[][..]));
    }

    #[test]
    fn message_errors() {
        let sh = find(3, "server", "ServerHello");
        let hrr = find(5, "server", "ServerHello");
        let ch12 = HandshakeMessage::new(HandshakePayload::ClientHello(ClientHello {
            legacy_version: V::TLSv1_2,
            random: [0; 32],
            session_id: vec![],
            cipher_suites: vec![Cs::TLS13_AES_128_GCM_SHA256],
            compression_methods: vec![0],
            extensions: vec![],
            empty_extensions_block: false,
        }))
        .to_bytes();
        let with = |base: &[u8], edits: &[(usize, u8)]| {
            let mut b = base.to_vec();
            edits.iter().for_each(|&(i, v)| b[i] = v);
            b
        };
        let appended = |base: &[u8], extra: &[u8]| [base, extra].concat();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "malformed handshake message: field msg_type at byte 0: needs 1 byte(s) but only 0 remain (message cut short)"),
            (vec![2, 0, 0], "malformed ServerHello: field length at byte 1: needs 3 byte(s) but only 2 remain (message cut short)"),
            (sh[..50].to_vec(), "malformed ServerHello: field length at byte 4: needs 86 byte(s) but only 46 remain (message cut short)"),
            (appended(&sh, &[0]), "malformed ServerHello: field length at byte 90: 1 unexpected byte(s) after the end"),
            (
                appended(&with(&sh, &[(3, 0x57)]), &[0]),
                "malformed ServerHello: field extensions at byte 90: 1 unexpected byte(s) after the end",
            ),
            (vec![20, 0, 0, 1, 0, 0], "malformed Finished: field length at byte 5: 1 unexpected byte(s) after the end"),
            (vec![5, 0, 0, 1, 0], "malformed EndOfEarlyData: field body at byte 4: 1 unexpected byte(s) after the end"),
            (vec![24, 0, 0, 2, 1, 0], "malformed KeyUpdate: field request_update at byte 5: 1 unexpected byte(s) after the end"),
            (vec![15, 0, 0, 4, 8, 4, 0, 1], "malformed CertificateVerify: field signature at byte 8: needs 1 byte(s) but only 0 remain (message cut short)"),
            // legacy_session_id<0..32>
            (with(&ch12, &[(38, 33)]), "malformed ClientHello: field legacy_session_id at byte 38: length 33 exceeds the maximum of 32"),
            (with(&ch12, &[(40, 0)]), "malformed ClientHello: field cipher_suites at byte 41: must not be empty"),
            (with(&ch12, &[(40, 1)]), "malformed ClientHello: field cipher_suites at byte 41: length 1 is not a multiple of the element size 2"),
            (with(&ch12, &[(43, 0), (44, 2)]), "malformed ClientHello: field legacy_compression_methods at byte 44: must not be empty"),
            // HelloRetryRequest: errors past the random name it.
            (with(&hrr, &[(45, 0x0d)]), "malformed HelloRetryRequest: field extensions at byte 44: extension 0x000d is not allowed in this message"),
            (with(&sh, &[(45, 0x2c)]), "malformed ServerHello: field extensions at byte 44: extension 0x002c is not allowed in this message"),
            (vec![11, 0, 0, 3, 0, 0, 0], "malformed Certificate: field certificate_list at byte 5: needs 3 byte(s) but only 2 remain (message cut short)"),
            (vec![11, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0, 0, 0], "malformed Certificate: field cert_data at byte 11: must not be empty"),
            (vec![13, 0, 0, 3, 0, 0, 0], "malformed CertificateRequest: field extensions at byte 7: must not be empty"),
            (
                vec![4, 0, 0, 13, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0],
                "malformed NewSessionTicket: field ticket at byte 15: must not be empty",
            ),
        ];
        let wrong: Vec<_> = cases
            .iter()
            .map(|(bytes, want)| (error(bytes), *want))
            .filter(|(got, want)| got != want)
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn encrypted_extensions_rules() {
        let mut ee = match decode(&find(3, "server", "EncryptedExtensions")).payload {
            HandshakePayload::EncryptedExtensions(ee) => ee,
            other => panic!("{other:?}"),
        };
        ee.extensions.push(ServerExtension::ServerNameAck);
        let dup = HandshakeMessage::new(HandshakePayload::EncryptedExtensions(ee)).to_bytes();
        assert_eq!(
            error(&dup),
            "malformed EncryptedExtensions: field extensions at byte 40: extension 0x0000 appears more than once"
        );
        // RFC 8446, 4.2.8: key_share never appears in EncryptedExtensions.
        let ee = EncryptedExtensions {
            extensions: vec![ServerExtension::KeyShare(KeyShareEntry {
                group: G::X25519,
                payload: vec![1; 32],
            })],
        };
        let wire = HandshakeMessage::new(HandshakePayload::EncryptedExtensions(ee)).to_bytes();
        assert_eq!(
            error(&wire),
            "malformed EncryptedExtensions: field extensions at byte 6: extension 0x0033 is not allowed in this message"
        );
    }

    /// xorshift64: deterministic, dependency-free randomness for the mutation loop.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn mutated_trace_messages_never_panic() {
        let corpus: Vec<Vec<u8>> = TRACE.iter().map(|m| bytes(m.hex)).collect();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut decoded = 0;
        for _ in 0..20_000 {
            let mut msg = corpus[rng.below(corpus.len())].clone();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(msg.len() + 1);
                match rng.below(5) {
                    0 | 1 if at < msg.len() => msg[at] = rng.next() as u8,
                    2 => msg.truncate(at),
                    3 => msg
                        .splice(at..at, (0..1 + rng.below(4)).map(|_| rng.next() as u8))
                        .for_each(drop),
                    _ if at < msg.len() => {
                        msg.remove(at);
                    }
                    _ => {}
                }
            }
            // Usually keep the header's length right, so mutations reach the bodies.
            if msg.len() >= 4 && rng.below(4) != 0 {
                let len = (msg.len() - 4) as u32;
                msg[1..4].copy_from_slice(&len.to_be_bytes()[1..]);
            }
            let Ok(m) = HandshakeMessage::read_tls13(&msg) else {
                continue;
            };
            decoded += 1;
            let again = m.to_bytes();
            assert_eq!(decode(&again), m);
            if again != msg {
                // The one non-canonical form: an explicit empty extensions block in a
                // hello, which re-encodes as absent.
                assert_eq!(again.len() + 2, msg.len(), "{msg:02x?}");
                let empty = match &m.payload {
                    HandshakePayload::ClientHello(ch) => ch.extensions.is_empty(),
                    HandshakePayload::ServerHello(sh) => sh.extensions.is_empty(),
                    _ => false,
                };
                assert!(empty, "{m:?}");
            }
        }
        // The loop must exercise successful decodes too, not only early rejections.
        assert!(decoded > 1_000, "only {decoded} mutants decoded");
    }
}
