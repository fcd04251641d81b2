//! The encrypted_client_hello extension (section 5): its outer and inner forms.

use crate::codec::{put_u16, put_u8, put_vec_u16, Reader};
use crate::error::EchError;
use crate::error::Error;
use crate::msgs::enums::ExtensionType;
use crate::msgs::extensions::ClientExtension;
use crate::msgs::handshake::ClientHello;

use super::{TYPE_INNER, TYPE_OUTER};

/// The body of an encrypted_client_hello extension in a ClientHello (section 5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EchClientHello {
    /// In ClientHelloOuter: the HPKE suite, the configuration, the encapsulated key
    /// (empty after HelloRetryRequest) and the sealed EncodedClientHelloInner.
    Outer {
        kdf: u16,
        aead: u16,
        config_id: u8,
        enc: Vec<u8>,
        payload: Vec<u8>,
    },
    /// In ClientHelloInner: the marker the backend server answers (section 7.2).
    Inner,
}

impl EchClientHello {
    /// Decodes an extension body. An unknown type is illegal_parameter (section 7);
    /// an empty payload, a truncated body or trailing bytes are decode errors.
    pub fn read(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body, "ECHClientHello");
        let hello = match r.u8("type")? {
            TYPE_OUTER => {
                let kdf = r.u16("kdf_id")?;
                let aead = r.u16("aead_id")?;
                let config_id = r.u8("config_id")?;
                let enc = r.vec_u16("enc")?.to_vec();
                let payload = r.sub_u16("payload")?;
                payload.expect_nonempty("payload")?;
                EchClientHello::Outer {
                    kdf,
                    aead,
                    config_id,
                    enc,
                    payload: payload.clone().rest().to_vec(),
                }
            }
            TYPE_INNER => EchClientHello::Inner,
            value => return Err(EchError::UnknownHelloType { value }.into()),
        };
        r.expect_empty("ECHClientHello")?;
        Ok(hello)
    }

    /// The extension body.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            EchClientHello::Outer {
                kdf,
                aead,
                config_id,
                enc,
                payload,
            } => {
                put_u8(&mut out, TYPE_OUTER);
                put_u16(&mut out, *kdf);
                put_u16(&mut out, *aead);
                put_u8(&mut out, *config_id);
                put_vec_u16(&mut out, enc);
                put_vec_u16(&mut out, payload);
            }
            EchClientHello::Inner => put_u8(&mut out, TYPE_INNER),
        }
        out
    }

    /// The whole extension, as it goes in a ClientHello.
    pub fn to_extension(&self) -> ClientExtension {
        ClientExtension::Unknown {
            typ: ExtensionType::EncryptedClientHello,
            data: self.encode(),
        }
    }
}

/// The inner encrypted_client_hello extension that ClientHelloInner must carry
/// (section 6.1, rule 4).
pub fn inner_extension() -> ClientExtension {
    EchClientHello::Inner.to_extension()
}

/// The raw body of `ch`'s encrypted_client_hello extension, if it has one.
pub fn ech_extension(ch: &ClientHello) -> Option<&[u8]> {
    ch.extensions.iter().find_map(|e| match e {
        ClientExtension::Unknown {
            typ: ExtensionType::EncryptedClientHello,
            data,
        } => Some(data.as_slice()),
        _ => None,
    })
}

/// The mutable body of `ch`'s encrypted_client_hello extension.
pub(super) fn ech_extension_mut(ch: &mut ClientHello) -> Option<&mut Vec<u8>> {
    ch.extensions.iter_mut().find_map(|e| match e {
        ClientExtension::Unknown {
            typ: ExtensionType::EncryptedClientHello,
            data,
        } => Some(data),
        _ => None,
    })
}

/// The fields of an outer encrypted_client_hello extension (section 5).
pub(super) struct OuterOffer {
    pub(super) kdf: u16,
    pub(super) aead: u16,
    pub(super) config_id: u8,
    pub(super) enc: Vec<u8>,
    pub(super) payload: Vec<u8>,
}

/// The outer variant of an extension body; an inner one from the network is
/// illegal_parameter (section 7).
pub(super) fn read_outer(body: &[u8]) -> Result<OuterOffer, Error> {
    match EchClientHello::read(body)? {
        EchClientHello::Outer {
            kdf,
            aead,
            config_id,
            enc,
            payload,
        } => Ok(OuterOffer {
            kdf,
            aead,
            config_id,
            enc,
            payload,
        }),
        EchClientHello::Inner => Err(EchError::InnerFromNetwork.into()),
    }
}

/// Section 5.1: ech_outer_extensions "MUST NOT appear in either ClientHelloOuter or
/// ClientHelloInner".
pub(super) fn refuse_outer_extensions(outer: &ClientHello) -> Result<(), Error> {
    if outer.has_extension(ExtensionType::EchOuterExtensions) {
        return Err(EchError::OuterExtensionsInOuter.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
