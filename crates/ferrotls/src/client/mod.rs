//! Client configuration and the client connection.

mod store;

pub use crate::psk::ExternalPsk;
pub(crate) use store::MAX_TICKET_LEN;
pub use store::{ClientSessionStore, InMemorySessionStore, Tls12Session, Tls13Ticket};

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, ServerName};

use crate::conn::Connection;
use crate::crypto::provider::Provider;
use crate::ech::EchConfig;
use crate::error::{ConfigError, Error};
use crate::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use crate::observe::{KeyLog, Observer};
use crate::pki::{PinnedCertVerifier, RootStore, ServerCertVerifier, TrustAnchor, Verifier};
use crate::server::CertifiedKey;
use crate::tls12::suites::Tls12CipherSuite;
use crate::tls13::suites::{self, Tls13CipherSuite};

/// How a client connects. Build with [`ClientConfig::builder`]; share with `Arc`.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) verifier: Arc<dyn ServerCertVerifier>,
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) suites: Vec<&'static Tls13CipherSuite>,
    pub(crate) suites12: Vec<&'static Tls12CipherSuite>,
    pub(crate) require_ems: bool,
    pub(crate) enable_tickets: bool,
    pub(crate) heartbeat: bool,
    pub(crate) enable_early_data: bool,
    pub(crate) request_ocsp: bool,
    pub(crate) client_cert: Option<Arc<CertifiedKey>>,
    /// TLS 1.3: offer post_handshake_auth (RFC 8446, 4.2.6).
    pub(crate) post_handshake_auth: bool,
    pub(crate) external_psk: Option<Arc<ExternalPsk>>,
    pub(crate) groups: Vec<NamedGroup>,
    pub(crate) alpn: Vec<Vec<u8>>,
    pub(crate) enable_sni: bool,
    pub(crate) provider: Provider,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) observer: Option<Arc<dyn Observer>>,
    /// Send a key share for every offered group instead of the usual one or two
    /// (tests use an empty list of shares to force HelloRetryRequest).
    pub(crate) key_share_groups: Option<Vec<NamedGroup>>,
    pub(crate) session_store: Arc<dyn ClientSessionStore>,
    /// Encrypted Client Hello: the server's configuration to encrypt to.
    pub(crate) ech: Option<EchConfig>,
    /// Without an ECH configuration, send a GREASE ECH extension (draft-ietf-tls-esni,
    /// 6.2.1), so that connections with and without ECH look alike.
    pub(crate) ech_grease: bool,
}

impl ClientConfig {
    /// Starts a configuration with the safe defaults: TLS 1.3, all AEAD suites,
    /// X25519MLKEM768 then X25519, P-256, P-384; no ALPN; SNI on.
    pub fn builder(verifier: Arc<dyn ServerCertVerifier>) -> ClientConfigBuilder {
        ClientConfigBuilder {
            config: ClientConfig {
                verifier,
                versions: vec![ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2],
                suites: suites::ALL_TLS13_SUITES.to_vec(),
                suites12: Vec::new(),
                require_ems: false,
                enable_tickets: true,
                heartbeat: false,
                enable_early_data: false,
                request_ocsp: true,
                client_cert: None,
                post_handshake_auth: false,
                external_psk: None,
                ech: None,
                ech_grease: false,
                groups: crate::crypto::kx::supported_groups().to_vec(),
                alpn: Vec::new(),
                enable_sni: true,
                provider: Provider::system(),
                key_log: None,
                observer: None,
                key_share_groups: None,
                session_store: Arc::new(InMemorySessionStore::new(256)),
            },
            wanted_suites: None,
            legacy: false,
        }
    }

    /// The default client: TLS 1.3 and 1.2 with the safe defaults, verifying servers
    /// against the operating system's trust store.
    pub fn with_defaults() -> Result<Arc<ClientConfig>, Error> {
        Self::with_system_roots()?.build()
    }

    /// A client that verifies servers against the operating system's trust store.
    pub fn with_system_roots() -> Result<ClientConfigBuilder, Error> {
        Ok(Self::builder(Arc::new(Verifier::with_system_roots()?)))
    }

    /// A client that verifies servers against Mozilla's root program (webpki-roots).
    pub fn with_webpki_roots() -> ClientConfigBuilder {
        Self::builder(Arc::new(Verifier::with_webpki_roots()))
    }

    /// A client that verifies servers against these CA certificates only.
    pub fn with_root_certificates(
        roots: Vec<CertificateDer<'static>>,
    ) -> Result<ClientConfigBuilder, Error> {
        let mut store = RootStore::new();
        for root in roots {
            store.add(TrustAnchor::from_cert(root)?);
        }
        Ok(Self::builder(Arc::new(Verifier::new(store))))
    }

    /// A client that trusts exactly these certificates (see [`PinnedCertVerifier`]).
    pub fn pinned(certs: Vec<CertificateDer<'static>>) -> Result<ClientConfigBuilder, Error> {
        Ok(Self::builder(Arc::new(PinnedCertVerifier::new(certs)?)))
    }
}

/// Builder for [`ClientConfig`]; every setter validates on `build`.
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
    wanted_suites: Option<Vec<CipherSuite>>,
    legacy: bool,
}

impl ClientConfigBuilder {
    /// Protocol versions to offer: TLS 1.3 and TLS 1.2 (the default), or one of them.
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.config.versions = versions.to_vec();
        self
    }

    /// Allows the legacy TLS 1.2 suites (static RSA key exchange, CBC-HMAC) for
    /// interoperability with old servers. Off by default; enabling them logs a warning.
    pub fn enable_legacy_tls12_suites(mut self) -> Self {
        self.legacy = true;
        self
    }

    /// Whether TLS 1.2 servers must negotiate the extended master secret (RFC 7627).
    /// Off by default: it is always offered, and a server that does not negotiate it
    /// gets the legacy master secret, as OpenSSL, Go, BoringSSL and rustls allow;
    /// such a connection exports no keying material and its sessions are resumed
    /// only without the extension. On, such a server is refused with
    /// handshake_failure (a TLS 1.2 session without it is open to the
    /// triple-handshake attack).
    pub fn require_extended_master_secret(mut self, require: bool) -> Self {
        self.config.require_ems = require;
        self
    }

    /// Whether to ask TLS 1.2 servers for session tickets (RFC 5077). On by default.
    pub fn session_tickets(mut self, enable: bool) -> Self {
        self.config.enable_tickets = enable;
        self
    }

    /// Offers the TLS 1.2 heartbeat extension (RFC 6520) so that
    /// `send_heartbeat_request` can be used (diagnostics). Off by default.
    pub fn heartbeat(mut self, enable: bool) -> Self {
        self.config.heartbeat = enable;
        self
    }

    /// Lets `write_early_data` send TLS 1.3 0-RTT data when resuming with a ticket
    /// that allows it (RFC 8446, 2.3). Off by default: early data can be replayed,
    /// so send only idempotent requests in it.
    pub fn early_data(mut self, enable: bool) -> Self {
        self.config.enable_early_data = enable;
        self
    }

    /// Whether to ask servers to staple an OCSP response (status_request). On by default.
    pub fn request_ocsp(mut self, enable: bool) -> Self {
        self.config.request_ocsp = enable;
        self
    }

    /// A certificate chain and key to present when a server asks for one.
    pub fn client_cert(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: &rustls_pki_types::PrivateKeyDer<'_>,
    ) -> Result<Self, Error> {
        self.config.client_cert = Some(Arc::new(CertifiedKey::new(chain, key)?));
        Ok(self)
    }

    /// A client certificate with its key already loaded, such as
    /// [`CertifiedKey::remote`] for a key held elsewhere (the handshake then pauses
    /// to have it sign our CertificateVerify; see [`crate::pause`]).
    pub fn client_certified_key(mut self, key: CertifiedKey) -> Self {
        self.config.client_cert = Some(Arc::new(key));
        self
    }

    /// Offers TLS 1.3 post-handshake client authentication (post_handshake_auth,
    /// RFC 8446, 4.2.6 and 4.6.2): the server may then ask for a client certificate
    /// at any time after the handshake. Each request is answered at once, while
    /// processing received records: with the `client_cert` if one is configured and
    /// can sign with a scheme the server accepts, else with an empty Certificate
    /// (the server decides whether that is acceptable). Off by default; without it
    /// a post-handshake CertificateRequest ends the connection (unexpected_message).
    pub fn post_handshake_auth(mut self, enable: bool) -> Self {
        self.config.post_handshake_auth = enable;
        self
    }

    /// Offers this external pre-shared key (RFC 8446, 4.2.11) in TLS 1.3 with
    /// psk_dhe_ke: a server that knows it authenticates with it instead of a
    /// certificate; one that does not falls back to a certificate handshake.
    pub fn external_psk(mut self, psk: ExternalPsk) -> Self {
        self.config.external_psk = Some(Arc::new(psk));
        self
    }

    /// Cipher suites (TLS 1.3 and TLS 1.2) in preference order.
    pub fn cipher_suites(mut self, wanted: &[CipherSuite]) -> Self {
        self.wanted_suites = Some(wanted.to_vec());
        self
    }

    /// Key exchange groups in preference order. The first one (and X25519 when the
    /// first is the X25519MLKEM768 hybrid) gets a key share in the first ClientHello.
    pub fn groups(mut self, groups: &[NamedGroup]) -> Self {
        self.config.groups = groups.to_vec();
        self
    }

    /// Which groups get a key share in the first ClientHello (default: see `groups`).
    /// An empty list makes every server answer with HelloRetryRequest.
    pub fn key_share_groups(mut self, groups: &[NamedGroup]) -> Self {
        self.config.key_share_groups = Some(groups.to_vec());
        self
    }

    /// ALPN protocols in preference order, e.g. `[b"h2".to_vec(), b"http/1.1".to_vec()]`.
    pub fn alpn(mut self, protocols: Vec<Vec<u8>>) -> Self {
        self.config.alpn = protocols;
        self
    }

    /// Whether to send server_name (SNI). On by default; never sent for IP addresses.
    pub fn sni(mut self, enable: bool) -> Self {
        self.config.enable_sni = enable;
        self
    }

    /// Randomness and clock (tests inject fixed ones).
    pub fn provider(mut self, provider: Provider) -> Self {
        self.config.provider = provider;
        self
    }

    /// Where to write TLS secrets (SSLKEYLOGFILE format), for Wireshark.
    pub fn key_log(mut self, key_log: Arc<dyn KeyLog>) -> Self {
        self.config.key_log = Some(key_log);
        self
    }

    /// Receives every handshake message sent and received, for traces.
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.config.observer = Some(observer);
        self
    }

    /// Where tickets from servers are kept (default: in memory, 256 servers).
    pub fn session_store(mut self, store: Arc<dyn ClientSessionStore>) -> Self {
        self.config.session_store = store;
        self
    }

    /// Encrypts the ClientHello to the server (Encrypted Client Hello,
    /// draft-ietf-tls-esni): `config_list` is an ECHConfigList, as found in the
    /// `ech` parameter of the server's HTTPS DNS record (base64-decoded). The first
    /// configuration we support is used. ECH needs TLS 1.3 alone, so this sets the
    /// versions to TLS 1.3.
    ///
    /// If the server cannot decrypt the offer, the handshake authenticates the
    /// configuration's public name instead and fails with
    /// [`EchError::Rejected`](crate::ech::EchError::Rejected), which carries the
    /// server's current configurations to connect again with.
    pub fn ech_config_list(mut self, config_list: &[u8]) -> Result<Self, Error> {
        let configs = crate::ech::parse_config_list(config_list)?;
        self.config.ech = configs.into_iter().next();
        self.config.versions = vec![ProtocolVersion::TLSv1_3];
        Ok(self)
    }

    /// Without an ECH configuration for the server, sends a GREASE
    /// encrypted_client_hello extension: random values shaped like a real offer
    /// (draft-ietf-tls-esni, 6.2.1), so that connections that use ECH do not stand
    /// out, and servers that choke on the extension are found early. Off by default.
    pub fn ech_grease(mut self, enable: bool) -> Self {
        self.config.ech_grease = enable;
        self
    }

    pub fn build(self) -> Result<Arc<ClientConfig>, Error> {
        let mut c = self.config;
        crate::config::check_versions(&c.versions)?;
        if c.ech.is_some() && c.versions != [ProtocolVersion::TLSv1_3] {
            // draft-ietf-tls-esni, 6.1, rule 1.
            return Err(ConfigError::OutOfRange {
                what: "versions",
                reason: "Encrypted Client Hello needs TLS 1.3 alone; TLS 1.2 would \
                         reveal the server name"
                    .into(),
            }
            .into());
        }
        let lists =
            crate::config::final_suites(self.wanted_suites.as_deref(), self.legacy, &c.versions)?;
        c.suites = lists.tls13;
        c.suites12 = lists.tls12;
        crate::config::check_groups(&c.groups)?;
        crate::config::check_alpn(&c.alpn)?;
        Ok(Arc::new(c))
    }
}

/// A TLS client connection: a sans-I/O state machine. See [`Connection`].
#[derive(Debug)]
pub struct ClientConnection {
    inner: Connection,
}

impl ClientConnection {
    /// Starts a handshake with `server_name`; the ClientHello is ready to write at once.
    pub fn new(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> Result<Self, Error> {
        let mut inner = Connection::new(config.observer.clone());
        let state = crate::tls13::client::start(&mut inner.common, config, server_name)?;
        inner.state = Some(crate::conn::HandshakeState::Client(state));
        Ok(ClientConnection { inner })
    }
}

impl core::ops::Deref for ClientConnection {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.inner
    }
}

impl core::ops::DerefMut for ClientConnection {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.inner
    }
}
