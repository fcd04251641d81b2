//! The client (sections 6.1 and 6.1.1): sealing ClientHelloInner into
//! ClientHelloOuter.

use core::fmt;

use crate::codec::Codec;
use crate::crypto::hpke::{setup_base_sender, HpkeSuite, SenderContext};
use crate::crypto::Provider;
use crate::error::Error;
use crate::error::{EchError, SkipReason, SkippedConfig};
use crate::msgs::extensions::ClientExtension;
use crate::msgs::handshake::ClientHello;

use super::config::EchConfig;
use super::extension::{ech_extension_mut, EchClientHello};
use super::{hpke_error, AEAD_TAG_LEN};

/// A client's ECH offer to one configuration: the HPKE sender context and `enc`,
/// set up once and used for both ClientHelloOuters (section 6.1.5).
pub struct EchSender {
    config: EchConfig,
    suite: HpkeSuite,
    context: SenderContext,
    enc: Vec<u8>,
}

impl fmt::Debug for EchSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EchSender")
            .field("config_id", &self.config.config_id)
            .field("public_name", &self.config.public_name)
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

impl EchSender {
    /// Section 6.1: selects the configuration's first suite we implement and sets up
    /// the HPKE context to its public key, with randomness from `provider`.
    pub fn new(config: &EchConfig, provider: &Provider) -> Result<Self, Error> {
        let suite = config
            .select_suite()
            .ok_or_else(|| EchError::NoUsableConfig {
                skipped: vec![SkippedConfig {
                    position: 1,
                    reason: SkipReason::NoSupportedSuite {
                        config_id: config.config_id,
                        suites: config.cipher_suites.clone(),
                    },
                }],
            })?;
        let (enc, context) = setup_base_sender(
            suite,
            &config.public_key,
            &config.hpke_info(),
            &*provider.random,
        )
        .map_err(|e| hpke_error("SetupBaseS", e))?;
        Ok(EchSender {
            config: config.clone(),
            suite,
            context,
            enc,
        })
    }

    /// The configuration offered to: its public_name goes in the outer server_name.
    pub fn config(&self) -> &EchConfig {
        &self.config
    }

    pub fn suite(&self) -> HpkeSuite {
        self.suite
    }

    /// The HPKE encapsulated key sent in the first ClientHelloOuter.
    pub fn enc(&self) -> &[u8] {
        &self.enc
    }

    /// Section 6.1.1: completes `outer` (a ClientHelloOuter complete but for ECH)
    /// with the outer encrypted_client_hello extension sealing `encoded_inner` (from
    /// [`encode_inner`](super::encode_inner)). The extension goes last, or just before pre_shared_key; if
    /// `outer` already has one (copied from the first ClientHelloOuter), it is
    /// replaced where it is. `first` is false for the hello after HelloRetryRequest,
    /// which sends an empty enc (section 6.1.5); call this once for each hello, in
    /// order, as the HPKE context counts them.
    pub fn seal_outer(
        &mut self,
        mut outer: ClientHello,
        encoded_inner: &[u8],
        first: bool,
    ) -> Result<ClientHello, Error> {
        let ext = |payload: Vec<u8>| EchClientHello::Outer {
            kdf: self.suite.kdf_id(),
            aead: self.suite.aead_id(),
            config_id: self.config.config_id,
            enc: if first { self.enc.clone() } else { Vec::new() },
            payload,
        };
        let placeholder = ext(vec![0; encoded_inner.len() + AEAD_TAG_LEN]);
        match ech_extension_mut(&mut outer) {
            Some(data) => *data = placeholder.encode(),
            None => {
                let at = match outer.extensions.last() {
                    Some(ClientExtension::PreSharedKey(_)) => outer.extensions.len() - 1,
                    _ => outer.extensions.len(),
                };
                outer.extensions.insert(at, placeholder.to_extension());
            }
        }
        // Section 5.2: the AAD is the hello with the payload as zeros.
        let aad = outer.to_bytes();
        let payload = self
            .context
            .seal(&aad, encoded_inner)
            .map_err(|e| hpke_error("Seal", e))?;
        let expected = encoded_inner.len() + AEAD_TAG_LEN;
        if payload.len() != expected {
            return Err(EchError::Hpke {
                operation: "Seal",
                reason: format!(
                    "the ciphertext is {} bytes instead of the expected {expected}",
                    payload.len()
                ),
            }
            .into());
        }
        if let Some(data) = ech_extension_mut(&mut outer) {
            *data = ext(payload).encode();
        }
        Ok(outer)
    }
}
