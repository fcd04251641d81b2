//! Extensions (RFC 8446, 4.2) for every message that carries them.
//!
//! Every extension block is read by `read_block`, which enforces the rules shared by
//! all messages: no extension type twice, a recognised extension only in the messages
//! the table in RFC 8446, 4.2 lists for it, and pre_shared_key last in ClientHello.
//! Extensions without a typed variant are kept as `Unknown { typ, data }`, so decode ->
//! encode is exact.

use std::borrow::Cow;
use std::collections::BTreeSet;

use super::enums::{
    CertificateStatusType, ECPointFormat, ExtensionType, HeartbeatMode, NamedGroup,
    ProtocolVersion, PskKeyExchangeMode, ServerNameType, SignatureScheme,
};
use super::vecs::{fixed, items, opaque, put_u16_list, put_u8_list};
use crate::codec::{
    put_u16, put_u32, put_vec_u16, put_vec_u24, put_vec_u8, with_u16_len, Codec, DecodeError,
    DecodeErrorKind, Reader,
};

/// The message an extension block belongs to; decides which recognised extensions
/// may appear in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExtBlock {
    ClientHello,
    /// A ServerHello of any version, so TLS 1.2 extensions are allowed here too.
    ServerHello,
    HelloRetryRequest,
    EncryptedExtensions,
    Certificate,
    CertificateRequest,
    NewSessionTicket,
}

impl ExtBlock {
    /// RFC 8446, 4.2 (table), widened for ServerHello by the TLS 1.2 extensions a
    /// ServerHello may echo (RFC 6066, 5746, 7301, 7366, 7627, 8422, 5077, 6520, 6962).
    /// Unrecognised types are always allowed: the state machine rejects the
    /// unsolicited ones with unsupported_extension.
    fn allows(self, typ: ExtensionType) -> bool {
        use ExtBlock as B;
        use ExtensionType as E;
        match typ {
            // supported_groups in a ServerHello is defined by no RFC but forbidden by none
            // for TLS 1.2 (RFC 5246, 7.4.1.4 only requires it was offered): tolerated.
            E::ServerName
            | E::MaxFragmentLength
            | E::UseSrtp
            | E::Heartbeat
            | E::ApplicationLayerProtocolNegotiation
            | E::SupportedGroups => matches!(
                self,
                B::ClientHello | B::ServerHello | B::EncryptedExtensions
            ),
            E::StatusRequest | E::SignedCertificateTimestamp => matches!(
                self,
                B::ClientHello | B::ServerHello | B::CertificateRequest | B::Certificate
            ),
            E::SignatureAlgorithms | E::SignatureAlgorithmsCert | E::CertificateAuthorities => {
                matches!(self, B::ClientHello | B::CertificateRequest)
            }
            E::Padding | E::PskKeyExchangeModes | E::PostHandshakeAuth => self == B::ClientHello,
            E::KeyShare | E::SupportedVersions => {
                matches!(self, B::ClientHello | B::ServerHello | B::HelloRetryRequest)
            }
            E::PreSharedKey => matches!(self, B::ClientHello | B::ServerHello),
            E::EarlyData => matches!(
                self,
                B::ClientHello | B::EncryptedExtensions | B::NewSessionTicket
            ),
            E::Cookie => matches!(self, B::ClientHello | B::HelloRetryRequest),
            E::OidFilters => self == B::CertificateRequest,
            // TLS 1.2 only: ClientHello and a TLS 1.2 ServerHello.
            E::EcPointFormats
            | E::ExtendedMasterSecret
            | E::SessionTicket
            | E::EncryptThenMac
            | E::RenegotiationInfo => matches!(self, B::ClientHello | B::ServerHello),
            // draft-ietf-tls-esni, 5 and 7.1: retry configs in EE, confirmation in HRR.
            E::EncryptedClientHello => matches!(
                self,
                B::ClientHello | B::HelloRetryRequest | B::EncryptedExtensions
            ),
            E::Unknown(_) => true,
        }
    }
}

/// The field name used in errors about an extension's body: its RFC name.
fn field_name(typ: ExtensionType) -> &'static str {
    match typ.name() {
        Cow::Borrowed(name) => name,
        Cow::Owned(_) => "extension_data",
    }
}

fn error_at(
    r: &Reader<'_>,
    field: &'static str,
    offset: usize,
    kind: DecodeErrorKind,
) -> DecodeError {
    DecodeError {
        message: r.message(),
        field,
        offset,
        kind,
    }
}

/// Reads one `Extension`: its type, then its body with `body`, which must use up
/// `extension_data` exactly. A recognised type outside `block` is `ExtensionNotAllowed`.
pub(crate) fn read_ext<'a, T>(
    r: &mut Reader<'a>,
    block: ExtBlock,
    body: impl FnOnce(ExtensionType, &mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let start = r.offset();
    let typ = ExtensionType::read(r)?;
    read_ext_data(r, block, start, typ, body)
}

/// [`read_ext`] once the type, which began at `start`, has been read.
fn read_ext_data<'a, T>(
    r: &mut Reader<'a>,
    block: ExtBlock,
    start: usize,
    typ: ExtensionType,
    body: impl FnOnce(ExtensionType, &mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<T, DecodeError> {
    let mut data = r.sub_u16("extension_data")?;
    if !block.allows(typ) {
        let kind = DecodeErrorKind::ExtensionNotAllowed {
            extension: typ.to_wire(),
        };
        return Err(error_at(r, "extensions", start, kind));
    }
    let ext = body(typ, &mut data)?;
    // The field name is looked up only for the error.
    if !data.is_empty() {
        data.expect_empty(field_name(typ))?;
    }
    Ok(ext)
}

/// The u16 code points seen so far in one list, to reject repeats. Real hellos
/// have a few dozen at most, scanned in place without allocating; past that a set
/// keeps a hostile list of thousands from costing quadratic time.
#[derive(Default)]
struct SeenU16 {
    few: [u16; 32],
    len: usize,
    more: BTreeSet<u16>,
}

impl SeenU16 {
    /// Adds `v`; false if it was already there.
    fn insert(&mut self, v: u16) -> bool {
        if self.few.iter().take(self.len).any(|&s| s == v) || self.more.contains(&v) {
            return false;
        }
        match self.few.get_mut(self.len) {
            Some(slot) => {
                *slot = v;
                self.len += 1;
            }
            None => {
                self.more.insert(v);
            }
        }
        true
    }
}

/// Reads an extension block whose body is `r` (RFC 8446, 4.2): no type twice, and in
/// ClientHello nothing after pre_shared_key (RFC 8446, 4.2.11).
pub(crate) fn read_block<'a, T>(
    mut r: Reader<'a>,
    block: ExtBlock,
    mut body: impl FnMut(ExtensionType, &mut Reader<'a>) -> Result<T, DecodeError>,
) -> Result<Vec<T>, DecodeError> {
    let mut seen = SeenU16::default();
    let mut after_psk = false;
    let mut out = Vec::with_capacity(count_extensions(&r));
    while !r.is_empty() {
        let start = r.offset();
        let typ = ExtensionType::read(&mut r)?;
        if !seen.insert(typ.to_wire()) {
            let kind = DecodeErrorKind::DuplicateExtension {
                extension: typ.to_wire(),
            };
            return Err(error_at(&r, "extensions", start, kind));
        }
        if after_psk {
            return Err(error_at(
                &r,
                "extensions",
                start,
                DecodeErrorKind::PskNotLast,
            ));
        }
        after_psk = block == ExtBlock::ClientHello && typ == ExtensionType::PreSharedKey;
        out.push(read_ext_data(&mut r, block, start, typ, &mut body)?);
    }
    Ok(out)
}

/// How many extensions a block holds, counted from their headers alone, so the
/// decoded list is allocated once at its final size. Only a capacity: malformed
/// blocks are rejected by the reading itself, and a hostile count is capped.
fn count_extensions(r: &Reader<'_>) -> usize {
    const MAX: usize = 64;
    let mut rest = r.clone().rest();
    let mut n = 0;
    while let Some((&[_, _, hi, lo], tail)) = rest.split_first_chunk::<4>() {
        n += 1;
        if n == MAX {
            break;
        }
        rest = tail
            .get(usize::from(u16::from_be_bytes([hi, lo]))..)
            .unwrap_or_default();
    }
    n
}

/// Writes one extension: type, then `body` behind a u16 length.
fn put_ext(out: &mut Vec<u8>, typ: ExtensionType, body: impl FnOnce(&mut Vec<u8>)) {
    typ.encode(out);
    with_u16_len(out, body);
}

/// A `KeyShareEntry` (RFC 8446, 4.2.8): a group and a non-empty public value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyShareEntry {
    pub group: NamedGroup,
    pub payload: Vec<u8>,
}

impl Codec for KeyShareEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.group.encode(out);
        put_vec_u16(out, &self.payload);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(KeyShareEntry {
            group: NamedGroup::read(r)?,
            payload: opaque(r.sub_u16("key_exchange")?, "key_exchange", 1)?,
        })
    }
}

/// A `ServerName` entry (RFC 6066, 3). Every name type is read as
/// `opaque<1..2^16-1>`, the only shape ever defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerNameEntry {
    pub name_type: ServerNameType,
    pub name: Vec<u8>,
}

impl Codec for ServerNameEntry {
    fn encode(&self, out: &mut Vec<u8>) {
        self.name_type.encode(out);
        put_vec_u16(out, &self.name);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ServerNameEntry {
            name_type: ServerNameType::read(r)?,
            name: opaque(r.sub_u16("host_name")?, "host_name", 1)?,
        })
    }
}

/// A `PskIdentity` (RFC 8446, 4.2.11).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PskIdentity {
    pub identity: Vec<u8>,
    pub obfuscated_ticket_age: u32,
}

impl Codec for PskIdentity {
    fn encode(&self, out: &mut Vec<u8>) {
        put_vec_u16(out, &self.identity);
        put_u32(out, self.obfuscated_ticket_age);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(PskIdentity {
            identity: opaque(r.sub_u16("identity")?, "identity", 1)?,
            obfuscated_ticket_age: r.u32("obfuscated_ticket_age")?,
        })
    }
}

/// The ClientHello's `OfferedPsks` (RFC 8446, 4.2.11). Both lists are non-empty and
/// each binder is 32..255 bytes; that there is one binder per identity is left to
/// the server, which answers a mismatch with illegal_parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfferedPsks {
    pub identities: Vec<PskIdentity>,
    pub binders: Vec<Vec<u8>>,
}

impl OfferedPsks {
    /// Bytes the binders list takes on the wire, its length prefix included: what
    /// `Truncate()` removes from the ClientHello (RFC 8446, 4.2.11.2).
    pub fn binders_len(&self) -> usize {
        2 + self.binders.iter().map(|b| 1 + b.len()).sum::<usize>()
    }

    /// Writes the identities list alone: the part of the extension that the binders
    /// cover (RFC 8446, 4.2.11.2).
    pub fn encode_identities(&self, out: &mut Vec<u8>) {
        put_u16_list(out, &self.identities);
    }
}

impl Codec for OfferedPsks {
    fn encode(&self, out: &mut Vec<u8>) {
        self.encode_identities(out);
        with_u16_len(out, |o| self.binders.iter().for_each(|b| put_vec_u8(o, b)));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let identities = items(
            r.sub_u16("identities")?,
            "identities",
            true,
            PskIdentity::read,
        )?;
        let binders = items(r.sub_u16("binders")?, "binders", true, |r| {
            opaque(r.sub_u8("binder")?, "binder", 32)
        })?;
        Ok(OfferedPsks {
            identities,
            binders,
        })
    }
}

/// An extension in ClientHello (RFC 8446, 4.2; TLS 1.2 ones from their RFCs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientExtension {
    /// RFC 6066, 3: a non-empty list with at most one name per type.
    ServerName(Vec<ServerNameEntry>),
    /// RFC 8446, 4.2.1.
    SupportedVersions(Vec<ProtocolVersion>),
    /// RFC 8446, 4.2.7.
    SupportedGroups(Vec<NamedGroup>),
    /// RFC 8446, 4.2.3.
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// RFC 8446, 4.2.3.
    SignatureAlgorithmsCert(Vec<SignatureScheme>),
    /// RFC 8446, 4.2.8: possibly empty (to ask for a HelloRetryRequest), no group twice.
    KeyShare(Vec<KeyShareEntry>),
    /// RFC 7301, 3.1: non-empty protocol names.
    Alpn(Vec<Vec<u8>>),
    /// RFC 8446, 4.2.2: echoed from a HelloRetryRequest.
    Cookie(Vec<u8>),
    /// RFC 8446, 4.2.9.
    PskKeyExchangeModes(Vec<PskKeyExchangeMode>),
    /// RFC 8446, 4.2.11: always the last extension.
    PreSharedKey(OfferedPsks),
    /// RFC 8446, 4.2.10: empty body.
    EarlyData,
    /// RFC 6066, 8: the `CertificateStatusRequest` body, kept raw.
    StatusRequest(Vec<u8>),
    /// RFC 8446, 4.2.6: empty body.
    PostHandshakeAuth,
    /// RFC 8422, 5.1.2.
    EcPointFormats(Vec<ECPointFormat>),
    /// RFC 7627, 5.1: empty body.
    ExtendedMasterSecret,
    /// RFC 5746, 3.2: `renegotiated_connection` (empty on an initial handshake).
    RenegotiationInfo(Vec<u8>),
    /// RFC 5077, 3.2: the ticket (possibly empty), raw.
    SessionTicket(Vec<u8>),
    /// RFC 7366, 2: empty body.
    EncryptThenMac,
    /// RFC 6520, 2.
    Heartbeat(HeartbeatMode),
    /// Any extension without a variant above, body kept as sent.
    Unknown { typ: ExtensionType, data: Vec<u8> },
}

impl ClientExtension {
    pub fn ext_type(&self) -> ExtensionType {
        use ClientExtension as C;
        use ExtensionType as E;
        match self {
            C::ServerName(_) => E::ServerName,
            C::SupportedVersions(_) => E::SupportedVersions,
            C::SupportedGroups(_) => E::SupportedGroups,
            C::SignatureAlgorithms(_) => E::SignatureAlgorithms,
            C::SignatureAlgorithmsCert(_) => E::SignatureAlgorithmsCert,
            C::KeyShare(_) => E::KeyShare,
            C::Alpn(_) => E::ApplicationLayerProtocolNegotiation,
            C::Cookie(_) => E::Cookie,
            C::PskKeyExchangeModes(_) => E::PskKeyExchangeModes,
            C::PreSharedKey(_) => E::PreSharedKey,
            C::EarlyData => E::EarlyData,
            C::StatusRequest(_) => E::StatusRequest,
            C::PostHandshakeAuth => E::PostHandshakeAuth,
            C::EcPointFormats(_) => E::EcPointFormats,
            C::ExtendedMasterSecret => E::ExtendedMasterSecret,
            C::RenegotiationInfo(_) => E::RenegotiationInfo,
            C::SessionTicket(_) => E::SessionTicket,
            C::EncryptThenMac => E::EncryptThenMac,
            C::Heartbeat(_) => E::Heartbeat,
            C::Unknown { typ, .. } => *typ,
        }
    }

    fn encode_body(&self, out: &mut Vec<u8>) {
        use ClientExtension as C;
        match self {
            C::ServerName(names) => put_u16_list(out, names),
            C::SupportedVersions(versions) => put_u8_list(out, versions),
            C::SupportedGroups(groups) => put_u16_list(out, groups),
            C::SignatureAlgorithms(schemes) | C::SignatureAlgorithmsCert(schemes) => {
                put_u16_list(out, schemes)
            }
            C::KeyShare(shares) => put_u16_list(out, shares),
            C::Alpn(protocols) => {
                with_u16_len(out, |o| protocols.iter().for_each(|p| put_vec_u8(o, p)))
            }
            C::Cookie(cookie) => put_vec_u16(out, cookie),
            C::PskKeyExchangeModes(modes) => put_u8_list(out, modes),
            C::PreSharedKey(psks) => psks.encode(out),
            C::EcPointFormats(formats) => put_u8_list(out, formats),
            C::RenegotiationInfo(info) => put_vec_u8(out, info),
            C::Heartbeat(mode) => mode.encode(out),
            C::StatusRequest(data) | C::SessionTicket(data) | C::Unknown { data, .. } => {
                out.extend_from_slice(data)
            }
            C::EarlyData | C::PostHandshakeAuth | C::ExtendedMasterSecret | C::EncryptThenMac => {}
        }
    }

    pub(crate) fn read_body(typ: ExtensionType, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        use ClientExtension as C;
        use ExtensionType as E;
        Ok(match typ {
            E::ServerName => C::ServerName(read_server_names(r.sub_u16("server_name_list")?)?),
            E::SupportedVersions => {
                C::SupportedVersions(fixed(r.sub_u8("versions")?, "versions", 2, true)?)
            }
            E::SupportedGroups => C::SupportedGroups(fixed(
                r.sub_u16("named_group_list")?,
                "named_group_list",
                2,
                true,
            )?),
            E::SignatureAlgorithms => C::SignatureAlgorithms(read_schemes(r)?),
            E::SignatureAlgorithmsCert => C::SignatureAlgorithmsCert(read_schemes(r)?),
            E::KeyShare => C::KeyShare(read_client_shares(r.sub_u16("client_shares")?)?),
            E::ApplicationLayerProtocolNegotiation => C::Alpn(items(
                r.sub_u16("protocol_name_list")?,
                "protocol_name_list",
                true,
                read_protocol_name,
            )?),
            E::Cookie => C::Cookie(opaque(r.sub_u16("cookie")?, "cookie", 1)?),
            E::PskKeyExchangeModes => {
                C::PskKeyExchangeModes(fixed(r.sub_u8("ke_modes")?, "ke_modes", 1, true)?)
            }
            E::PreSharedKey => C::PreSharedKey(OfferedPsks::read(r)?),
            E::EarlyData => C::EarlyData,
            E::StatusRequest => C::StatusRequest(r.rest().to_vec()),
            E::PostHandshakeAuth => C::PostHandshakeAuth,
            E::EcPointFormats => C::EcPointFormats(read_point_formats(r)?),
            E::ExtendedMasterSecret => C::ExtendedMasterSecret,
            E::RenegotiationInfo => {
                C::RenegotiationInfo(r.vec_u8("renegotiated_connection")?.to_vec())
            }
            E::SessionTicket => C::SessionTicket(r.rest().to_vec()),
            E::EncryptThenMac => C::EncryptThenMac,
            E::Heartbeat => C::Heartbeat(HeartbeatMode::read(r)?),
            typ => C::Unknown {
                typ,
                data: r.rest().to_vec(),
            },
        })
    }
}

impl Codec for ClientExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        put_ext(out, self.ext_type(), |o| self.encode_body(o));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        read_ext(r, ExtBlock::ClientHello, ClientExtension::read_body)
    }
}

/// RFC 6066, 3: "The ServerNameList MUST NOT contain more than one name of the same
/// name_type"; a repeat is `RepeatedEntry` with the name type (illegal_parameter).
fn read_server_names(r: Reader<'_>) -> Result<Vec<ServerNameEntry>, DecodeError> {
    let mut types = SeenU16::default();
    items(r, "server_name_list", true, |r| {
        let start = r.offset();
        let entry = ServerNameEntry::read(r)?;
        let value = entry.name_type.to_wire();
        if !types.insert(value.into()) {
            let kind = DecodeErrorKind::RepeatedEntry {
                value: value.into(),
            };
            return Err(error_at(r, "server_name_list", start, kind));
        }
        Ok(entry)
    })
}

/// RFC 8446, 4.2.8: "Clients MUST NOT offer multiple KeyShareEntry values for the
/// same group". A repeat is `RepeatedEntry` carrying the group, not
/// `DuplicateExtension`, whose text would name the group as an extension.
fn read_client_shares(r: Reader<'_>) -> Result<Vec<KeyShareEntry>, DecodeError> {
    let mut groups = SeenU16::default();
    items(r, "client_shares", false, |r| {
        let start = r.offset();
        let entry = KeyShareEntry::read(r)?;
        let value = entry.group.to_wire();
        if !groups.insert(value) {
            let kind = DecodeErrorKind::RepeatedEntry {
                value: value.into(),
            };
            return Err(error_at(r, "client_shares", start, kind));
        }
        Ok(entry)
    })
}

/// `SignatureScheme supported_signature_algorithms<2..2^16-2>` (RFC 8446, 4.2.3).
fn read_schemes(r: &mut Reader<'_>) -> Result<Vec<SignatureScheme>, DecodeError> {
    let field = "supported_signature_algorithms";
    fixed(r.sub_u16(field)?, field, 2, true)
}

/// `ECPointFormat ec_point_format_list<1..2^8-1>` (RFC 8422, 5.1.2).
fn read_point_formats(r: &mut Reader<'_>) -> Result<Vec<ECPointFormat>, DecodeError> {
    let field = "ec_point_format_list";
    fixed(r.sub_u8(field)?, field, 1, true)
}

/// `opaque ProtocolName<1..2^8-1>` (RFC 7301, 3.1).
fn read_protocol_name(r: &mut Reader<'_>) -> Result<Vec<u8>, DecodeError> {
    opaque(r.sub_u8("protocol_name")?, "protocol_name", 1)
}

/// Which server message an extension block is in: the shapes of key_share and the
/// allowed extensions differ (RFC 8446, 4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerExtContext {
    /// A ServerHello of TLS 1.3 or 1.2; version-specific checks are the state
    /// machine's (see `ServerHello::tls13_forbidden_extension`).
    ServerHello,
    HelloRetryRequest,
    EncryptedExtensions,
}

impl From<ServerExtContext> for ExtBlock {
    fn from(ctx: ServerExtContext) -> Self {
        match ctx {
            ServerExtContext::ServerHello => ExtBlock::ServerHello,
            ServerExtContext::HelloRetryRequest => ExtBlock::HelloRetryRequest,
            ServerExtContext::EncryptedExtensions => ExtBlock::EncryptedExtensions,
        }
    }
}

/// An extension in ServerHello, HelloRetryRequest or EncryptedExtensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerExtension {
    /// RFC 8446, 4.2.1: `selected_version` (SH, HRR).
    SupportedVersions(ProtocolVersion),
    /// RFC 8446, 4.2.8: `server_share` (SH).
    KeyShare(KeyShareEntry),
    /// RFC 8446, 4.2.8: `selected_group` (HRR).
    HrrKeyShare(NamedGroup),
    /// RFC 8446, 4.2.2 (HRR).
    Cookie(Vec<u8>),
    /// RFC 8446, 4.2.11: `selected_identity` (SH).
    PreSharedKey(u16),
    /// RFC 6066, 3: empty acknowledgement (EE, TLS 1.2 SH).
    ServerNameAck,
    /// RFC 7301, 3.1: the selected protocol, the list's only entry (EE, TLS 1.2 SH).
    Alpn(Vec<u8>),
    /// RFC 8446, 4.2.7: the server's preference, for later connections (EE).
    SupportedGroups(Vec<NamedGroup>),
    /// RFC 8446, 4.2.10: empty, 0-RTT accepted (EE).
    EarlyData,
    /// RFC 6066, 8: empty, a CertificateStatus will follow (TLS 1.2 SH).
    StatusRequestAck,
    /// RFC 5746, 3.2.
    RenegotiationInfo(Vec<u8>),
    /// RFC 7627, 5.2.
    ExtendedMasterSecret,
    /// RFC 8422, 5.2.
    EcPointFormats(Vec<ECPointFormat>),
    /// RFC 5077, 3.2: empty, a NewSessionTicket will follow.
    SessionTicketAck,
    /// RFC 7366, 2.
    EncryptThenMac,
    /// RFC 6520, 2.
    Heartbeat(HeartbeatMode),
    /// Any extension without a variant above, body kept as sent.
    Unknown { typ: ExtensionType, data: Vec<u8> },
}

impl ServerExtension {
    pub fn ext_type(&self) -> ExtensionType {
        use ExtensionType as E;
        use ServerExtension as S;
        match self {
            S::SupportedVersions(_) => E::SupportedVersions,
            S::KeyShare(_) | S::HrrKeyShare(_) => E::KeyShare,
            S::Cookie(_) => E::Cookie,
            S::PreSharedKey(_) => E::PreSharedKey,
            S::ServerNameAck => E::ServerName,
            S::Alpn(_) => E::ApplicationLayerProtocolNegotiation,
            S::SupportedGroups(_) => E::SupportedGroups,
            S::EarlyData => E::EarlyData,
            S::StatusRequestAck => E::StatusRequest,
            S::RenegotiationInfo(_) => E::RenegotiationInfo,
            S::ExtendedMasterSecret => E::ExtendedMasterSecret,
            S::EcPointFormats(_) => E::EcPointFormats,
            S::SessionTicketAck => E::SessionTicket,
            S::EncryptThenMac => E::EncryptThenMac,
            S::Heartbeat(_) => E::Heartbeat,
            S::Unknown { typ, .. } => *typ,
        }
    }

    /// Writes the extension: type, length, body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        use ServerExtension as S;
        put_ext(out, self.ext_type(), |out| match self {
            S::SupportedVersions(version) => version.encode(out),
            S::KeyShare(share) => share.encode(out),
            S::HrrKeyShare(group) => group.encode(out),
            S::Cookie(cookie) => put_vec_u16(out, cookie),
            S::PreSharedKey(index) => put_u16(out, *index),
            S::Alpn(protocol) => with_u16_len(out, |o| put_vec_u8(o, protocol)),
            S::SupportedGroups(groups) => put_u16_list(out, groups),
            S::RenegotiationInfo(info) => put_vec_u8(out, info),
            S::EcPointFormats(formats) => put_u8_list(out, formats),
            S::Heartbeat(mode) => mode.encode(out),
            S::Unknown { data, .. } => out.extend_from_slice(data),
            S::ServerNameAck
            | S::EarlyData
            | S::StatusRequestAck
            | S::ExtendedMasterSecret
            | S::SessionTicketAck
            | S::EncryptThenMac => {}
        });
    }

    /// Reads one extension as it appears in `ctx`; a recognised extension that `ctx`
    /// does not allow is `ExtensionNotAllowed` (RFC 8446, 4.2).
    pub fn read(r: &mut Reader<'_>, ctx: ServerExtContext) -> Result<Self, DecodeError> {
        read_ext(r, ctx.into(), |typ, r| Self::read_body(typ, ctx, r))
    }

    /// The body of an extension that `ctx` allows.
    pub(crate) fn read_body(
        typ: ExtensionType,
        ctx: ServerExtContext,
        r: &mut Reader<'_>,
    ) -> Result<Self, DecodeError> {
        use ExtensionType as E;
        use ServerExtension as S;
        Ok(match typ {
            E::SupportedVersions => S::SupportedVersions(ProtocolVersion::read(r)?),
            E::KeyShare if ctx == ServerExtContext::HelloRetryRequest => {
                S::HrrKeyShare(NamedGroup::read(r)?)
            }
            E::KeyShare => S::KeyShare(KeyShareEntry::read(r)?),
            E::Cookie => S::Cookie(opaque(r.sub_u16("cookie")?, "cookie", 1)?),
            E::PreSharedKey => S::PreSharedKey(r.u16("selected_identity")?),
            E::ServerName => S::ServerNameAck,
            E::ApplicationLayerProtocolNegotiation => {
                let mut list = r.sub_u16("protocol_name_list")?;
                list.expect_nonempty("protocol_name_list")?;
                let protocol = read_protocol_name(&mut list)?;
                // RFC 7301, 3.1: the server's list "MUST contain exactly one" name.
                list.expect_empty("protocol_name_list")?;
                S::Alpn(protocol)
            }
            E::SupportedGroups => S::SupportedGroups(fixed(
                r.sub_u16("named_group_list")?,
                "named_group_list",
                2,
                true,
            )?),
            E::EarlyData => S::EarlyData,
            E::StatusRequest => S::StatusRequestAck,
            E::RenegotiationInfo => {
                S::RenegotiationInfo(r.vec_u8("renegotiated_connection")?.to_vec())
            }
            E::ExtendedMasterSecret => S::ExtendedMasterSecret,
            E::EcPointFormats => S::EcPointFormats(read_point_formats(r)?),
            E::SessionTicket => S::SessionTicketAck,
            E::EncryptThenMac => S::EncryptThenMac,
            E::Heartbeat => S::Heartbeat(HeartbeatMode::read(r)?),
            typ => S::Unknown {
                typ,
                data: r.rest().to_vec(),
            },
        })
    }
}

/// An extension in a TLS 1.3 `CertificateEntry` (RFC 8446, 4.4.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateExtension {
    /// RFC 8446, 4.4.2.1: a `CertificateStatus` of type ocsp; holds the DER
    /// `OCSPResponse` (non-empty).
    StatusRequest(Vec<u8>),
    /// RFC 6962, 3.3: the `SignedCertificateTimestampList` body, raw.
    SignedCertificateTimestamp(Vec<u8>),
    /// Any extension without a variant above, body kept as sent.
    Unknown { typ: ExtensionType, data: Vec<u8> },
}

impl CertificateExtension {
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            CertificateExtension::StatusRequest(_) => ExtensionType::StatusRequest,
            CertificateExtension::SignedCertificateTimestamp(_) => {
                ExtensionType::SignedCertificateTimestamp
            }
            CertificateExtension::Unknown { typ, .. } => *typ,
        }
    }

    pub(crate) fn read_body(typ: ExtensionType, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match typ {
            ExtensionType::StatusRequest => {
                let at = r.offset();
                let status_type = CertificateStatusType::read(r)?;
                if status_type != CertificateStatusType::Ocsp {
                    let kind = DecodeErrorKind::InvalidValue {
                        value: status_type.to_wire().into(),
                    };
                    return Err(error_at(r, "status_type", at, kind));
                }
                CertificateExtension::StatusRequest(opaque(r.sub_u24("response")?, "response", 1)?)
            }
            ExtensionType::SignedCertificateTimestamp => {
                CertificateExtension::SignedCertificateTimestamp(r.rest().to_vec())
            }
            typ => CertificateExtension::Unknown {
                typ,
                data: r.rest().to_vec(),
            },
        })
    }
}

impl Codec for CertificateExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        put_ext(out, self.ext_type(), |out| match self {
            CertificateExtension::StatusRequest(ocsp) => {
                CertificateStatusType::Ocsp.encode(out);
                put_vec_u24(out, ocsp);
            }
            CertificateExtension::SignedCertificateTimestamp(data)
            | CertificateExtension::Unknown { data, .. } => out.extend_from_slice(data),
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        read_ext(r, ExtBlock::Certificate, CertificateExtension::read_body)
    }
}

/// An extension in a TLS 1.3 CertificateRequest (RFC 8446, 4.3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertReqExtension {
    /// RFC 8446, 4.2.3.
    SignatureAlgorithms(Vec<SignatureScheme>),
    /// RFC 8446, 4.2.3.
    SignatureAlgorithmsCert(Vec<SignatureScheme>),
    /// RFC 8446, 4.2.4: DER `DistinguishedName`s, each non-empty, list non-empty.
    CertificateAuthorities(Vec<Vec<u8>>),
    /// RFC 8446, 4.4.2.1: the request body (normally empty), raw.
    StatusRequest(Vec<u8>),
    /// Any extension without a variant above, body kept as sent.
    Unknown { typ: ExtensionType, data: Vec<u8> },
}

impl CertReqExtension {
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            CertReqExtension::SignatureAlgorithms(_) => ExtensionType::SignatureAlgorithms,
            CertReqExtension::SignatureAlgorithmsCert(_) => ExtensionType::SignatureAlgorithmsCert,
            CertReqExtension::CertificateAuthorities(_) => ExtensionType::CertificateAuthorities,
            CertReqExtension::StatusRequest(_) => ExtensionType::StatusRequest,
            CertReqExtension::Unknown { typ, .. } => *typ,
        }
    }

    pub(crate) fn read_body(typ: ExtensionType, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match typ {
            ExtensionType::SignatureAlgorithms => {
                CertReqExtension::SignatureAlgorithms(read_schemes(r)?)
            }
            ExtensionType::SignatureAlgorithmsCert => {
                CertReqExtension::SignatureAlgorithmsCert(read_schemes(r)?)
            }
            ExtensionType::CertificateAuthorities => CertReqExtension::CertificateAuthorities(
                items(r.sub_u16("authorities")?, "authorities", true, |r| {
                    opaque(r.sub_u16("DistinguishedName")?, "DistinguishedName", 1)
                })?,
            ),
            ExtensionType::StatusRequest => CertReqExtension::StatusRequest(r.rest().to_vec()),
            typ => CertReqExtension::Unknown {
                typ,
                data: r.rest().to_vec(),
            },
        })
    }
}

impl Codec for CertReqExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        put_ext(out, self.ext_type(), |out| match self {
            CertReqExtension::SignatureAlgorithms(schemes)
            | CertReqExtension::SignatureAlgorithmsCert(schemes) => put_u16_list(out, schemes),
            CertReqExtension::CertificateAuthorities(names) => {
                with_u16_len(out, |o| names.iter().for_each(|n| put_vec_u16(o, n)))
            }
            CertReqExtension::StatusRequest(data) | CertReqExtension::Unknown { data, .. } => {
                out.extend_from_slice(data)
            }
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        read_ext(r, ExtBlock::CertificateRequest, CertReqExtension::read_body)
    }
}

/// An extension in a TLS 1.3 NewSessionTicket (RFC 8446, 4.6.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewSessionTicketExtension {
    /// RFC 8446, 4.2.10: `max_early_data_size`.
    EarlyData(u32),
    /// Any extension without a variant above, body kept as sent.
    Unknown { typ: ExtensionType, data: Vec<u8> },
}

impl NewSessionTicketExtension {
    pub fn ext_type(&self) -> ExtensionType {
        match self {
            NewSessionTicketExtension::EarlyData(_) => ExtensionType::EarlyData,
            NewSessionTicketExtension::Unknown { typ, .. } => *typ,
        }
    }

    pub(crate) fn read_body(typ: ExtensionType, r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(match typ {
            ExtensionType::EarlyData => {
                NewSessionTicketExtension::EarlyData(r.u32("max_early_data_size")?)
            }
            typ => NewSessionTicketExtension::Unknown {
                typ,
                data: r.rest().to_vec(),
            },
        })
    }
}

impl Codec for NewSessionTicketExtension {
    fn encode(&self, out: &mut Vec<u8>) {
        put_ext(out, self.ext_type(), |out| match self {
            NewSessionTicketExtension::EarlyData(max) => put_u32(out, *max),
            NewSessionTicketExtension::Unknown { data, .. } => out.extend_from_slice(data),
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        read_ext(
            r,
            ExtBlock::NewSessionTicket,
            NewSessionTicketExtension::read_body,
        )
    }
}

#[cfg(test)]
mod tests;
