//! ClientHello and ServerHello (RFC 8446, 4.1.2 and 4.1.3), also in their TLS 1.2
//! shape (RFC 5246, 7.4.1), where the extensions block may be absent; and the
//! HelloRetryRequest and downgrade sentinels a ServerHello's random may carry.

use crate::codec::{put_u8, put_vec_u8, with_u16_len, Codec, DecodeError, DecodeErrorKind, Reader};
use crate::msgs::enums::{
    CipherSuite, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, PskKeyExchangeMode,
    ServerNameType, SignatureScheme,
};
use crate::msgs::extensions::{
    read_block, ClientExtension, ExtBlock, KeyShareEntry, OfferedPsks, ServerExtContext,
    ServerExtension, ServerNameEntry,
};
use crate::msgs::vecs::{fixed, opaque, put_u16_list};

use super::put_handshake;

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
