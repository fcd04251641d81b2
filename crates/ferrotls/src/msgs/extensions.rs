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
    CertificateStatusType, ECPointFormat, ExtensionType, NamedGroup, SignatureScheme,
};
use super::vecs::{fixed, items, opaque, put_u16_list};
use crate::codec::{
    put_u32, put_vec_u16, put_vec_u24, with_u16_len, Codec, DecodeError, DecodeErrorKind, Reader,
};

mod client;
mod server;

pub use client::{ClientExtension, OfferedPsks, PskIdentity, ServerNameEntry};
pub use server::{ServerExtContext, ServerExtension};

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
