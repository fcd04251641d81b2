//! ClientHello extensions (RFC 8446, 4.2; RFC 6066; RFC 7301; RFC 8422; and the
//! TLS 1.2 ones a ClientHello offers), with the entry types only the client sends.

use super::{
    error_at, put_ext, read_ext, read_point_formats, read_protocol_name, read_schemes, ExtBlock,
    KeyShareEntry, SeenU16,
};
use crate::codec::{
    put_u32, put_vec_u16, put_vec_u8, with_u16_len, Codec, DecodeError, DecodeErrorKind, Reader,
};
use crate::msgs::enums::{
    ECPointFormat, ExtensionType, HeartbeatMode, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
    ServerNameType, SignatureScheme,
};
use crate::msgs::vecs::{fixed, items, opaque, put_u16_list, put_u8_list};

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
