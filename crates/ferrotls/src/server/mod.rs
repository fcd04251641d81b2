//! Server configuration, certificate selection and the server connection.

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::conn::Connection;
use crate::crypto::provider::Provider;
use crate::crypto::sign::SigningKey;
use crate::error::{ConfigError, Error};
use crate::msgs::enums::{CipherSuite, NamedGroup, SignatureScheme};
use crate::observe::{KeyLog, Observer};
use crate::pki::ParsedCert;
use crate::tls13::suites::{self, Tls13CipherSuite};

/// A certificate chain with its private key.
#[derive(Debug)]
pub struct CertifiedKey {
    /// End-entity first, then intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    pub(crate) key: SigningKey,
    pub(crate) leaf: ParsedCert,
}

impl CertifiedKey {
    /// Loads a chain (leaf first) and its private key (PKCS#8, SEC1 or PKCS#1 DER).
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> Result<Self, Error> {
        let first = chain.first().ok_or(ConfigError::NoCertificates)?;
        let leaf = ParsedCert::parse(first.as_ref()).map_err(|e| ConfigError::BadPem {
            what: "the server certificate",
            reason: e.to_string(),
        })?;
        let key = SigningKey::from_der(key)?;
        Ok(CertifiedKey { chain, key, leaf })
    }

    /// The first scheme the key can produce (our order) that the client accepts.
    pub(crate) fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        self.key
            .tls13_schemes()
            .iter()
            .copied()
            .find(|s| offered.contains(s))
    }
}

/// How a server accepts connections. Build with [`ServerConfig::builder`].
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub(crate) certs: Vec<Arc<CertifiedKey>>,
    pub(crate) suites: Vec<&'static Tls13CipherSuite>,
    pub(crate) groups: Vec<NamedGroup>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) provider: Provider,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) observer: Option<Arc<dyn Observer>>,
}

impl ServerConfig {
    /// Starts a configuration with safe defaults: TLS 1.3, all AEAD suites,
    /// X25519MLKEM768, X25519, P-256, P-384; no ALPN.
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder {
            config: ServerConfig {
                certs: Vec::new(),
                suites: suites::ALL_TLS13_SUITES.to_vec(),
                groups: crate::crypto::kx::supported_groups().to_vec(),
                alpn: Vec::new(),
                provider: Provider::system(),
                key_log: None,
                observer: None,
            },
            wanted_suites: None,
        }
    }

    /// Picks the certificate for a client: among those whose SAN covers the server
    /// name (all of them when no name was sent or none matches, the first being the
    /// default), the first whose key can sign with a scheme the client accepts.
    pub(crate) fn choose_cert(
        &self,
        server_name: Option<&str>,
        offered: &[SignatureScheme],
    ) -> Option<(Arc<CertifiedKey>, SignatureScheme)> {
        let by_name: Vec<&Arc<CertifiedKey>> = match server_name {
            Some(name) => self
                .certs
                .iter()
                .filter(|c| c.leaf.covers_dns_name(name))
                .collect(),
            None => Vec::new(),
        };
        let candidates = if by_name.is_empty() {
            self.certs.iter().collect()
        } else {
            by_name
        };
        candidates
            .into_iter()
            .find_map(|c| c.choose_scheme(offered).map(|s| (c.clone(), s)))
    }
}

/// Builder for [`ServerConfig`].
#[derive(Debug, Clone)]
pub struct ServerConfigBuilder {
    config: ServerConfig,
    wanted_suites: Option<Vec<CipherSuite>>,
}

impl ServerConfigBuilder {
    /// Adds a certificate chain and key; call again for more (chosen by SNI and key type).
    pub fn cert(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
    ) -> Result<Self, Error> {
        self.config
            .certs
            .push(Arc::new(CertifiedKey::new(chain, key)?));
        Ok(self)
    }

    pub fn cipher_suites(mut self, wanted: &[CipherSuite]) -> Self {
        self.wanted_suites = Some(wanted.to_vec());
        self
    }

    /// Key exchange groups in preference order.
    pub fn groups(mut self, groups: &[NamedGroup]) -> Self {
        self.config.groups = groups.to_vec();
        self
    }

    /// ALPN protocols in preference order.
    pub fn alpn(mut self, protocols: Vec<Vec<u8>>) -> Self {
        self.config.alpn = protocols;
        self
    }

    pub fn provider(mut self, provider: Provider) -> Self {
        self.config.provider = provider;
        self
    }

    pub fn key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.config.key_log = Some(key_log);
        self
    }

    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.config.observer = Some(observer);
        self
    }

    pub fn build(self) -> Result<Arc<ServerConfig>, Error> {
        let mut c = self.config;
        if c.certs.is_empty() {
            return Err(ConfigError::NoCertificates.into());
        }
        if let Some(wanted) = &self.wanted_suites {
            c.suites = crate::config::resolve_suites(wanted)?;
        }
        crate::config::check_groups(&c.groups)?;
        crate::config::check_alpn(&c.alpn)?;
        Ok(Arc::new(c))
    }
}

/// A TLS server connection: a sans-I/O state machine. See [`Connection`].
#[derive(Debug)]
pub struct ServerConnection {
    inner: Connection,
}

impl ServerConnection {
    pub fn new(config: Arc<ServerConfig>) -> Result<Self, Error> {
        let mut inner = Connection::new(config.observer.clone());
        inner.state = Some(crate::conn::HandshakeState::Server(
            crate::tls13::server::start(config),
        ));
        Ok(ServerConnection { inner })
    }
}

impl core::ops::Deref for ServerConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.inner
    }
}

impl core::ops::DerefMut for ServerConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.inner
    }
}
