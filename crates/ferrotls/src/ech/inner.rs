//! EncodedClientHelloInner (section 5.1): encoding the inner hello with outer
//! extensions compressed and padding, decoding it against ClientHelloOuter, and
//! the ClientHelloOuterAAD (section 5.2).

use std::collections::{HashMap, HashSet};

use crate::codec::{with_u24_len, with_u8_len, Codec, DecodeError, DecodeErrorKind, Reader};
use crate::error::EchError;
use crate::error::Error;
use crate::msgs::enums::{ExtensionType, HandshakeType, ProtocolVersion};
use crate::msgs::extensions::ClientExtension;
use crate::msgs::handshake::ClientHello;

use super::extension::{
    ech_extension, ech_extension_mut, read_outer, refuse_outer_extensions, EchClientHello,
};
use super::{ext_name, TYPE_INNER};

/// Encodes ClientHelloInner as EncodedClientHelloInner (section 5.1): a ClientHello
/// body (no handshake header) with an empty legacy_session_id, the extensions of the
/// types in `compress` replaced by one ech_outer_extensions extension at their
/// position, then zeros as padding (section 6.1.3): for the server name up to
/// `max_name_len` (the ECHConfig's maximum_name_length), then up to a multiple of 32.
///
/// The compressed extensions must be consecutive in `inner` (section 6.1, rule 3)
/// and be copied, in the same relative order, to ClientHelloOuter. Only the first
/// consecutive run of them is compressed; any others, and encrypted_client_hello
/// (which the server refuses to copy), stay in full, which is always correct.
pub fn encode_inner(inner: &ClientHello, compress: &[ExtensionType], max_name_len: u8) -> Vec<u8> {
    let compressible = |e: &ClientExtension| {
        let typ = e.ext_type();
        typ != ExtensionType::EncryptedClientHello && compress.contains(&typ)
    };
    let mut hello = inner.clone();
    hello.session_id.clear();
    if let Some(start) = hello.extensions.iter().position(compressible) {
        // ExtensionType OuterExtensions<2..254>: at most 127 types.
        let run = hello
            .extensions
            .iter()
            .skip(start)
            .take_while(|e| compressible(e))
            .take(127)
            .count();
        let mut data = Vec::with_capacity(1 + 2 * run);
        with_u8_len(&mut data, |o| {
            hello
                .extensions
                .drain(start..start + run)
                .for_each(|e| e.ext_type().encode(o))
        });
        hello.extensions.insert(
            start,
            ClientExtension::Unknown {
                typ: ExtensionType::EchOuterExtensions,
                data,
            },
        );
    }
    let mut out = hello.to_bytes();
    let padding = padding_len(inner, out.len(), max_name_len);
    out.resize(out.len() + padding, 0);
    out
}

/// Section 6.1.3: bytes of padding for an EncodedClientHelloInner of `encoded_len`
/// bytes. With maximum_name_length L: L - D for a server name of D bytes (at least
/// 0), L + 9 without server_name; then up to a multiple of 32.
fn padding_len(inner: &ClientHello, encoded_len: usize, max_name_len: u8) -> usize {
    let max = usize::from(max_name_len);
    let sni = match inner.server_name() {
        Some(_) => max.saturating_sub(inner.host_name().map_or(0, <[u8]>::len)),
        None => max + 9,
    };
    let len = encoded_len + sni;
    sni + (31 - (len.saturating_sub(1) % 32))
}

/// The length of the ClientHello at the start of an EncodedClientHelloInner: up to
/// the end of its extensions block, which a ClientHelloInner always has (it carries
/// encrypted_client_hello).
fn client_hello_len(encoded: &[u8]) -> Result<usize, DecodeError> {
    let mut r = Reader::new(encoded, "EncodedClientHelloInner");
    r.u16("legacy_version")?;
    r.take(32, "random")?;
    r.vec_u8("legacy_session_id")?;
    r.vec_u16("cipher_suites")?;
    r.vec_u8("legacy_compression_methods")?;
    r.vec_u16("extensions")?;
    Ok(r.offset())
}

/// Reconstructs ClientHelloInner from a decrypted EncodedClientHelloInner and the
/// ClientHelloOuter it came in (sections 5.1 and 7.1).
///
/// Fails with illegal_parameter on: non-zero padding; ech_outer_extensions in
/// ClientHelloOuter; an ech_outer_extensions reference to an extension missing from
/// ClientHelloOuter, referenced twice, to encrypted_client_hello, or out of
/// ClientHelloOuter's order; a rebuilt extension list with a type twice or
/// pre_shared_key not last; no inner encrypted_client_hello extension; and an offer
/// of TLS 1.2 or below. A ClientHello that does not decode is a decode error.
pub fn decode_inner(encoded: &[u8], outer: &ClientHello) -> Result<ClientHello, Error> {
    refuse_outer_extensions(outer)?;
    let hello_len = client_hello_len(encoded)?;
    let (hello_bytes, padding) = encoded
        .split_at_checked(hello_len)
        .unwrap_or((encoded, &[]));
    if let Some(at) = padding.iter().position(|&b| b != 0) {
        return Err(EchError::NonZeroPadding {
            offset: hello_len.saturating_add(at),
        }
        .into());
    }
    let mut r = Reader::new(hello_bytes, "EncodedClientHelloInner");
    let mut inner = ClientHello::read(&mut r)?;
    r.expect_empty("extensions")?;

    if let Some(at) = inner
        .extensions
        .iter()
        .position(|e| e.ext_type() == ExtensionType::EchOuterExtensions)
    {
        let mut extensions = Vec::with_capacity(inner.extensions.len() + outer.extensions.len());
        let mut rest = inner.extensions.drain(..);
        extensions.extend(rest.by_ref().take(at));
        if let Some(ClientExtension::Unknown { data, .. }) = rest.next() {
            expand_outer_extensions(&data, outer, &mut extensions)?;
        }
        extensions.extend(rest);
        inner.extensions = extensions;
        // The rebuilt list must obey the rules the decoder enforces (RFC 8446, 4.2 and
        // 4.2.11): decode it again.
        let bytes = inner.to_bytes();
        let mut r = Reader::new(&bytes, "ClientHelloInner");
        inner = ClientHello::read(&mut r)?;
        r.expect_empty("extensions")?;
    }
    inner.session_id = outer.session_id.clone();
    check_inner(&inner)?;
    Ok(inner)
}

/// Replaces ech_outer_extensions (whose body is `data`) by the extensions of `outer`
/// it references, appended to `out`. Linear time, as Appendix A asks: one pass over
/// the references with a precomputed index of `outer`'s extensions, each reference
/// moving forward through `outer`.
fn expand_outer_extensions(
    data: &[u8],
    outer: &ClientHello,
    out: &mut Vec<ClientExtension>,
) -> Result<(), Error> {
    // ExtensionType OuterExtensions<2..254>
    let mut r = Reader::new(data, "OuterExtensions");
    let mut list = r.sub_u8("OuterExtensions")?;
    r.expect_empty("OuterExtensions")?;
    let length = list.remaining();
    if !length.is_multiple_of(2) {
        let kind = DecodeErrorKind::BadVectorLength {
            length,
            element_size: 2,
        };
        return Err(list.error("OuterExtensions", kind).into());
    }
    list.expect_nonempty("OuterExtensions")?;

    let mut index: HashMap<ExtensionType, usize> = HashMap::with_capacity(outer.extensions.len());
    for (i, e) in outer.extensions.iter().enumerate() {
        index.entry(e.ext_type()).or_insert(i);
    }
    let mut seen = HashSet::with_capacity(length / 2);
    let mut next = 0usize;
    let mut previous: Option<ExtensionType> = None;
    while !list.is_empty() {
        let typ = ExtensionType::read(&mut list)?;
        if typ == ExtensionType::EncryptedClientHello {
            return Err(EchError::OuterExtensionIsEch.into());
        }
        if !seen.insert(typ) {
            return Err(EchError::OuterExtensionTwice {
                extension: ext_name(typ),
            }
            .into());
        }
        let Some(&at) = index.get(&typ) else {
            return Err(EchError::OuterExtensionMissing {
                extension: ext_name(typ),
            }
            .into());
        };
        let (Some(ext), true) = (outer.extensions.get(at), at >= next) else {
            return Err(EchError::OuterExtensionOutOfOrder {
                extension: ext_name(typ),
                after: previous.map(ext_name).unwrap_or_default(),
            }
            .into());
        };
        out.push(ext.clone());
        next = at + 1;
        previous = Some(typ);
    }
    Ok(())
}

/// Section 7.1: ClientHelloInner carries the inner encrypted_client_hello extension
/// and does not offer TLS 1.2 or below (GREASE values, RFC 8701, are all above).
fn check_inner(inner: &ClientHello) -> Result<(), Error> {
    match ech_extension(inner) {
        None => return Err(EchError::MissingInnerMarker.into()),
        Some([TYPE_INNER]) => {}
        Some(_) => return Err(EchError::BadInnerMarker.into()),
    }
    let Some(versions) = inner.supported_versions() else {
        return Err(EchError::InnerWithoutSupportedVersions.into());
    };
    if let Some(&version) = versions
        .iter()
        .find(|v| v.to_wire() < ProtocolVersion::TLSv1_3.to_wire())
    {
        return Err(EchError::InnerOffersOldVersion { version }.into());
    }
    Ok(())
}

/// The handshake message (with its 4-byte header) of a reconstructed
/// ClientHelloInner: what goes in the transcript in its place (section 6.1.5).
pub fn inner_handshake_bytes(inner: &ClientHello) -> Vec<u8> {
    let mut out = Vec::new();
    HandshakeType::ClientHello.encode(&mut out);
    with_u24_len(&mut out, |o| inner.encode(o));
    out
}

/// Section 5.2: ClientHelloOuterAAD, the ClientHelloOuter body (no handshake header)
/// with the encrypted_client_hello payload replaced by as many zeros.
pub fn outer_aad(outer: &ClientHello) -> Result<Vec<u8>, Error> {
    let body = ech_extension(outer).ok_or(EchError::NoEchExtension)?;
    let offer = read_outer(body)?;
    let zeroed = EchClientHello::Outer {
        kdf: offer.kdf,
        aead: offer.aead,
        config_id: offer.config_id,
        enc: offer.enc,
        payload: vec![0; offer.payload.len()],
    }
    .encode();
    let mut aad = outer.clone();
    if let Some(data) = ech_extension_mut(&mut aad) {
        *data = zeroed;
    }
    Ok(aad.to_bytes())
}

#[cfg(test)]
mod tests;
