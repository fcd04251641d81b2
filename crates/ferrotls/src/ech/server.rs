//! The client-facing server (sections 7.1 and 7.1.1): opening the first and the
//! second ClientHelloOuter.

use core::fmt;

use zeroize::Zeroizing;

use crate::crypto::hpke::{setup_base_receiver, HpkeSuite, ReceiverContext};
use crate::error::EchError;
use crate::error::Error;
use crate::msgs::handshake::ClientHello;

use super::extension::{ech_extension, read_outer, refuse_outer_extensions, OuterOffer};
use super::inner::{decode_inner, outer_aad};
use super::keys::EchKeys;

/// What a client-facing server keeps after accepting ECH: the HPKE context, to open
/// the second ClientHelloOuter after HelloRetryRequest (section 7.1.1), and what that
/// hello must repeat.
pub struct EchServerState {
    context: ReceiverContext,
    config_id: u8,
    kdf: u16,
    aead: u16,
}

impl EchServerState {
    /// The config_id of the configuration that decrypted the first ClientHelloOuter.
    pub fn config_id(&self) -> u8 {
        self.config_id
    }

    /// The HPKE suite in use.
    pub fn suite(&self) -> HpkeSuite {
        self.context.suite()
    }
}

impl fmt::Debug for EchServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EchServerState")
            .field("config_id", &self.config_id)
            .field("context", &self.context)
            .finish()
    }
}

/// Section 7.1: decrypts the first ClientHelloOuter with the server's keys.
///
/// `Ok(None)` when there is no encrypted_client_hello extension, or when no key
/// whose config_id matches and whose configuration lists the offered suite opens
/// the payload (possibly GREASE): the server then goes on with ClientHelloOuter
/// and, having keys, sends retry configurations ([`retry_configs`](super::retry_configs)). On success,
/// the reconstructed ClientHelloInner (see [`decode_inner`]; any failure there is
/// fatal) and the state for the second hello.
///
/// Errors: an inner extension from the network, an unknown type or
/// ech_outer_extensions in ClientHelloOuter (illegal_parameter); a malformed
/// extension (decode_error).
pub fn server_open_first<K: AsRef<EchKeys>>(
    keys: &[K],
    outer: &ClientHello,
) -> Result<Option<(ClientHello, EchServerState)>, Error> {
    let Some(body) = ech_extension(outer) else {
        return Ok(None);
    };
    let OuterOffer {
        kdf,
        aead,
        config_id,
        enc,
        payload,
    } = read_outer(body)?;
    refuse_outer_extensions(outer)?;
    let aad = outer_aad(outer)?;
    for keys in keys.iter().map(AsRef::as_ref) {
        let config = &keys.config;
        if config.config_id != config_id {
            continue;
        }
        let Some(suite) = config.suite_for(kdf, aead) else {
            continue;
        };
        let Ok(mut context) = setup_base_receiver(suite, &enc, &keys.keypair, &config.hpke_info())
        else {
            continue;
        };
        let Ok(encoded) = context.open(&aad, &payload) else {
            continue;
        };
        let encoded = Zeroizing::new(encoded);
        let inner = decode_inner(&encoded, outer)?;
        let state = EchServerState {
            context,
            config_id,
            kdf,
            aead,
        };
        return Ok(Some((inner, state)));
    }
    Ok(None)
}

/// Section 7.1.1: decrypts the second ClientHelloOuter (after HelloRetryRequest)
/// with the context of the first, and reconstructs the second ClientHelloInner.
///
/// Errors: no encrypted_client_hello extension (missing_extension); a changed
/// cipher suite or config_id, or a non-empty enc (illegal_parameter); a payload
/// that does not open (decrypt_error); and those of [`decode_inner`].
pub fn server_open_second(
    state: &mut EchServerState,
    outer2: &ClientHello,
) -> Result<ClientHello, Error> {
    let body = ech_extension(outer2).ok_or(EchError::MissingInSecondHello)?;
    let OuterOffer {
        kdf,
        aead,
        config_id,
        enc,
        payload,
    } = read_outer(body)?;
    if (kdf, aead) != (state.kdf, state.aead) {
        let suite = |kdf: u16, aead: u16| format!("KDF {kdf:#06x} with AEAD {aead:#06x}");
        return Err(EchError::SecondHelloChanged {
            what: "cipher suite",
            first: suite(state.kdf, state.aead),
            second: suite(kdf, aead),
        }
        .into());
    }
    if config_id != state.config_id {
        return Err(EchError::SecondHelloChanged {
            what: "config_id",
            first: state.config_id.to_string(),
            second: config_id.to_string(),
        }
        .into());
    }
    if !enc.is_empty() {
        return Err(EchError::SecondHelloHasEnc { length: enc.len() }.into());
    }
    refuse_outer_extensions(outer2)?;
    let aad = outer_aad(outer2)?;
    let encoded =
        state
            .context
            .open(&aad, &payload)
            .map_err(|_| EchError::SecondHelloDecryptFailed {
                config_id: state.config_id,
            })?;
    decode_inner(&Zeroizing::new(encoded), outer2)
}

#[cfg(test)]
mod tests;
