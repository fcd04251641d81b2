//! Extensions of the server's hello messages: ServerHello (TLS 1.3 and 1.2),
//! HelloRetryRequest and EncryptedExtensions (RFC 8446, 4.2).

use super::{put_ext, read_ext, read_point_formats, read_protocol_name, ExtBlock, KeyShareEntry};
use crate::codec::{put_u16, put_vec_u16, put_vec_u8, with_u16_len, Codec, DecodeError, Reader};
use crate::msgs::enums::{
    ECPointFormat, ExtensionType, HeartbeatMode, NamedGroup, ProtocolVersion,
};
use crate::msgs::vecs::{fixed, opaque, put_u16_list, put_u8_list};

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
