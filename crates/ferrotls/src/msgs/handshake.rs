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

    /// Decodes exactly one message, 4-byte header included, with the TLS 1.2 body
    /// formats (RFC 5246, 7.4), into [`HandshakeMessage12`](super::tls12::HandshakeMessage12).
    pub fn read_tls12(bytes: &[u8]) -> Result<super::tls12::HandshakeMessage12, DecodeError> {
        super::tls12::HandshakeMessage12::read_bytes(bytes)
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
