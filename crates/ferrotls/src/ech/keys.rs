//! The client-facing server's ECH keys (section 7): generation, the PEM key file,
//! and the retry configurations sent to clients that used another configuration.

use core::fmt;

use zeroize::Zeroizing;

use crate::crypto::hpke::{HpkeKem, HpkeKeyPair};
use crate::crypto::Provider;
use crate::error::EchError;
use crate::error::{ConfigError, Error};

use super::config::{check_public_name, encode_config_list, parse_config_list, EchConfig};
use super::{
    hpke_error, GENERATED_SUITES, KEM_X25519_HKDF_SHA256, X25519_KEY_LEN, X25519_PKCS8_PREFIX,
};

/// A server's ECH configuration with its HPKE private key (sections 4 and 7.1).
pub struct EchKeys {
    pub(super) config: EchConfig,
    pub(super) keypair: HpkeKeyPair,
}

impl fmt::Debug for EchKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EchKeys")
            .field("config_id", &self.config.config_id)
            .field("public_name", &self.config.public_name)
            .finish_non_exhaustive()
    }
}

impl AsRef<EchKeys> for EchKeys {
    fn as_ref(&self) -> &EchKeys {
        self
    }
}

impl EchKeys {
    /// A fresh X25519 key and its configuration: suites HKDF-SHA256 with
    /// AES-128-GCM, AES-256-GCM and ChaCha20Poly1305, maximum_name_length 0, no
    /// extensions. Fails if `public_name` is not a valid host name (section 6.1.7)
    /// or the random source fails.
    pub fn generate(public_name: &str, config_id: u8, provider: &Provider) -> Result<Self, Error> {
        check_public_name(public_name.as_bytes()).map_err(|reason| EchError::BadPublicName {
            name: public_name.to_string(),
            reason,
        })?;
        let keypair = HpkeKeyPair::generate(HpkeKem::DhkemX25519HkdfSha256, &*provider.random)
            .map_err(|e| hpke_error("key generation", e))?;
        let config = EchConfig::build(
            config_id,
            KEM_X25519_HKDF_SHA256,
            keypair.public_key().to_vec(),
            GENERATED_SUITES.to_vec(),
            public_name.to_string(),
        );
        Ok(EchKeys { config, keypair })
    }

    /// The configuration these keys serve.
    pub fn config(&self) -> &EchConfig {
        &self.config
    }

    /// An ECHConfigList holding just this configuration: for the DNS HTTPS record,
    /// for clients, and as retry_configs (section 7.1).
    pub fn config_list(&self) -> Vec<u8> {
        encode_config_list(&[&self.config])
    }

    /// The keys as PEM, in the layout of OpenSSL's ECH key files: a "PRIVATE KEY"
    /// block (PKCS#8 X25519, RFC 8410) and an "ECHCONFIG" block holding an
    /// ECHConfigList with this configuration. The text holds the private key.
    pub fn to_pem(&self) -> String {
        let pkcs8 = Zeroizing::new([&X25519_PKCS8_PREFIX[..], self.keypair.private_key()].concat());
        let mut out = crate::pem::encode("PRIVATE KEY", &pkcs8);
        out.push_str(&crate::pem::encode("ECHCONFIG", &self.config_list()));
        out
    }

    /// Reads keys written by [`EchKeys::to_pem`] (or OpenSSL). The ECHCONFIG block
    /// must hold exactly one configuration, usable by this crate, of the X25519 KEM,
    /// whose public key is that of the private key.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        let key = crate::pem::private_key_from_bytes(pem.as_bytes())?;
        let raw = match key.secret_der().split_at_checked(X25519_PKCS8_PREFIX.len()) {
            Some((prefix, raw)) if prefix == X25519_PKCS8_PREFIX && raw.len() == X25519_KEY_LEN => {
                raw
            }
            _ => {
                return Err(ConfigError::BadPrivateKey {
                    reason: "an ECH key must be an X25519 key in PKCS#8 (RFC 8410)".to_string(),
                }
                .into())
            }
        };
        let keypair = HpkeKeyPair::from_private(HpkeKem::DhkemX25519HkdfSha256, raw)
            .map_err(|e| hpke_error("key import", e))?;

        let list = echconfig_from_pem(pem)?;
        let mut configs = parse_config_list(&list)?;
        let config = match (configs.pop(), configs.is_empty()) {
            (Some(config), true) if encode_config_list(&[&config]) == list => config,
            _ => {
                return Err(bad_pem(
                    "the ECHCONFIG block must hold exactly one ECHConfig",
                ))
            }
        };
        if config.kem_id != KEM_X25519_HKDF_SHA256 {
            return Err(bad_pem(format!(
                "the ECHConfig uses HPKE KEM {:#06x}, but the private key is X25519 (KEM 0x0020)",
                config.kem_id
            )));
        }
        if keypair.public_key() != config.public_key.as_slice() {
            return Err(EchError::KeyMismatch {
                config_id: config.config_id,
                public_name: config.public_name,
            }
            .into());
        }
        Ok(EchKeys { config, keypair })
    }
}

/// An ECHConfigList of every configuration in `keys`, in order: the retry_configs a
/// client-facing server sends when it did not accept ECH (section 7.1).
pub fn retry_configs<K: AsRef<EchKeys>>(keys: &[K]) -> Vec<u8> {
    let configs: Vec<&EchConfig> = keys.iter().map(|k| &k.as_ref().config).collect();
    encode_config_list(&configs)
}

/// The ECHConfigList of the ECHCONFIG block in `pem`.
fn echconfig_from_pem(pem: &str) -> Result<Vec<u8>, Error> {
    use rustls_pki_types::pem::{Error as PemError, PemObject};
    rustls_pki_types::EchConfigListBytes::from_pem_slice(pem.as_bytes())
        .map(|list| list.to_vec())
        .map_err(|e| {
            bad_pem(match e {
                PemError::NoItemsFound => "no ECHCONFIG block was found".to_string(),
                PemError::MissingSectionEnd { .. } => {
                    "the ECHCONFIG block has no END line".to_string()
                }
                PemError::Base64Decode(_) => "the ECHCONFIG block is not valid base64".to_string(),
                other => format!("the ECHCONFIG block cannot be read: {other}"),
            })
        })
}

fn bad_pem(reason: impl Into<String>) -> Error {
    ConfigError::BadPem {
        what: "the ECH keys",
        reason: reason.into(),
    }
    .into()
}

#[cfg(test)]
mod tests;
