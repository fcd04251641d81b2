//! Server configuration, certificate selection and the server connection.

pub(crate) mod choice;
mod connection;
pub(crate) mod hello;
pub(crate) mod session;

pub use connection::ServerConnection;

pub(crate) use session::TICKET_NONCE_LEN;
pub use session::{
    AntiReplay, InMemorySessionCache, RotatingTicketKeys, ServerSessionCache, StoredSession,
    TicketKey, TicketKeySource, Ticketer,
};

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::crypto::provider::Provider;
use crate::crypto::rsa_kx::RsaDecryptingKey;
use crate::crypto::sign::KeyKind;
use crate::crypto::sign::SigningKey;
use crate::ech::EchKeys;
use crate::error::NoCommon;
use crate::error::{ConfigError, Error, PeerMisbehaved};
use crate::msgs::enums::{
    CipherSuite, HeartbeatMode, NamedGroup, ProtocolVersion, SignatureScheme,
};
use crate::msgs::{ClientExtension, ClientHello};
use crate::observe::{KeyLog, Observer};
use crate::pki::ClientCertVerifier;
use crate::pki::ParsedCert;
use crate::psk::ExternalPsk;
use crate::tls12::suites::Tls12CipherSuite;
use crate::tls13::suites::{self, Tls13CipherSuite};

/// A certificate chain with its private key.
#[derive(Debug)]
pub struct CertifiedKey {
    /// End-entity first, then intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    pub(crate) key: SigningKey,
    pub(crate) leaf: ParsedCert,
    /// For RSA keys: decryption of TLS 1.2 static-RSA key exchange (legacy suites).
    pub(crate) rsa_decrypt: Option<RsaDecryptingKey>,
    /// A DER OCSPResponse to staple when the client asks (RFC 6066, 8; RFC 8446, 4.4.2.1).
    pub ocsp: Option<Vec<u8>>,
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
        let signing = SigningKey::from_der(key)?;
        let rsa_decrypt = match signing.kind() {
            KeyKind::Rsa { .. } => Some(RsaDecryptingKey::from_der(key)?),
            _ => None,
        };
        Ok(CertifiedKey {
            chain,
            key: signing,
            leaf,
            rsa_decrypt,
            ocsp: None,
        })
    }

    /// A chain (leaf first) whose private key, of `kind`, is held elsewhere: a KMS,
    /// an HSM or a signing service. Handshakes that must sign with it pause with
    /// `pause::Operation::Sign` and resume once
    /// [`Connection::complete`](crate::Connection::complete) brings the signature.
    /// Fails if the chain is empty or the leaf does not parse.
    pub fn remote(chain: Vec<CertificateDer<'static>>, kind: KeyKind) -> Result<Self, Error> {
        let first = chain.first().ok_or(ConfigError::NoCertificates)?;
        let leaf = ParsedCert::parse(first.as_ref()).map_err(|e| ConfigError::BadPem {
            what: "the server certificate",
            reason: e.to_string(),
        })?;
        let spki = crate::pki::spki_of(first.as_ref())?.to_vec();
        Ok(CertifiedKey {
            chain,
            key: SigningKey::remote(kind, spki),
            leaf,
            rsa_decrypt: None,
            ocsp: None,
        })
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
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) suites: Vec<&'static Tls13CipherSuite>,
    pub(crate) suites12: Vec<&'static Tls12CipherSuite>,
    pub(crate) require_ems: bool,
    pub(crate) session_cache: Arc<dyn ServerSessionCache>,
    pub(crate) ticketer: Option<Arc<Ticketer>>,
    /// TLS 1.3: ClientHello recording against 0-RTT replay (RFC 8446, 8.2).
    pub(crate) anti_replay: Option<Arc<dyn AntiReplay>>,
    pub(crate) heartbeat: bool,
    /// TLS 1.3: accept up to this many bytes of 0-RTT data (0: off).
    pub(crate) max_early_data: u32,
    /// TLS 1.3: how many NewSessionTickets to send after the handshake.
    pub(crate) tls13_tickets: u8,
    pub(crate) client_auth: Option<Arc<dyn ClientCertVerifier>>,
    /// TLS 1.3: the verifier for post-handshake client authentication, if it is
    /// not `client_auth`'s (see `ServerConfigBuilder::post_handshake_client_auth`).
    pub(crate) post_handshake_client_auth: Option<Arc<dyn ClientCertVerifier>>,
    pub(crate) external_psks: Vec<Arc<ExternalPsk>>,
    pub(crate) groups: Vec<NamedGroup>,
    pub(crate) alpn: Vec<Vec<u8>>,
    /// Encrypted Client Hello keys, the first one's config sent as retry config.
    pub(crate) ech: Vec<Arc<EchKeys>>,
    pub(crate) provider: Provider,
    pub(crate) key_log: Option<Arc<dyn KeyLog>>,
    pub(crate) observer: Option<Arc<dyn Observer>>,
}

impl ServerConfig {
    /// The verifier for post-handshake client authentication: the dedicated one,
    /// else the handshake's.
    pub(crate) fn post_handshake_verifier(&self) -> Option<&Arc<dyn ClientCertVerifier>> {
        self.post_handshake_client_auth
            .as_ref()
            .or(self.client_auth.as_ref())
    }

    /// Starts a configuration with safe defaults: TLS 1.3, all AEAD suites,
    /// X25519MLKEM768, X25519, P-256, P-384; no ALPN.
    pub fn builder() -> ServerConfigBuilder {
        ServerConfigBuilder {
            config: ServerConfig {
                certs: Vec::new(),
                versions: vec![ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2],
                suites: suites::ALL_TLS13_SUITES.to_vec(),
                suites12: Vec::new(),
                require_ems: false,
                session_cache: Arc::new(InMemorySessionCache::new(4096)),
                anti_replay: None,
                ticketer: None,
                heartbeat: false,
                max_early_data: 0,
                tls13_tickets: 2,
                client_auth: None,
                post_handshake_client_auth: None,
                external_psks: Vec::new(),
                groups: crate::crypto::kx::supported_groups().to_vec(),
                alpn: Vec::new(),
                ech: Vec::new(),
                provider: Provider::system(),
                key_log: None,
                observer: None,
            },
            wanted_suites: None,
            legacy: false,
            tickets: true,
        }
    }

    /// Picks the certificate for a TLS 1.3 client: the first whose key can sign with a
    /// scheme the client accepts, trying those whose SAN covers the server name first
    /// (the first configured is the default).
    pub(crate) fn choose_cert(
        &self,
        server_name: Option<&str>,
        offered: &[SignatureScheme],
    ) -> Option<(Arc<CertifiedKey>, SignatureScheme)> {
        self.choose_cert_with(server_name, |c| c.choose_scheme(offered))
    }

    /// The first certificate (those whose SAN covers the server name first) for which
    /// `usable` finds a way to use its key.
    pub(crate) fn choose_cert_with<T>(
        &self,
        server_name: Option<&str>,
        usable: impl Fn(&CertifiedKey) -> Option<T>,
    ) -> Option<(Arc<CertifiedKey>, T)> {
        // With one certificate the name cannot change the choice: skip matching it.
        if let [only] = self.certs.as_slice() {
            return usable(only).map(|t| (only.clone(), t));
        }
        let matching = self
            .certs
            .iter()
            .filter(|c| server_name.is_some_and(|n| c.leaf.covers_dns_name(n)));
        matching
            .chain(self.certs.iter())
            .find_map(|c| usable(c).map(|t| (c.clone(), t)))
    }
}

/// The client's server_name, lowercased, once [`check_client_hello`] accepted it;
/// `None` without one, or for an IP literal.
pub(crate) fn client_sni(ch: &ClientHello) -> Option<String> {
    let name = std::str::from_utf8(ch.host_name()?).ok()?;
    if name.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    let name = name.strip_suffix('.').unwrap_or(name);
    Some(name.to_ascii_lowercase())
}

/// Checks of the ClientHello that do not depend on the version negotiated: its
/// server_name (RFC 6066, 3) and heartbeat mode (RFC 6520, 2).
pub(crate) fn check_client_hello(ch: &ClientHello) -> Result<(), Error> {
    if let Some(name) = ch.host_name() {
        check_host_name(name).map_err(|reason| PeerMisbehaved::BadServerName {
            name: name.to_vec(),
            reason,
        })?;
    }
    // RFC 6520, 2: "Upon reception of an unknown mode, an error Alert message using
    // illegal_parameter as its AlertDescription MUST be sent in response."
    let heartbeat = ch.extensions.iter().find_map(|e| match e {
        ClientExtension::Heartbeat(mode) => Some(*mode),
        _ => None,
    });
    if let Some(HeartbeatMode::Unknown(_)) = heartbeat {
        return Err(crate::error::illegal(
            "ClientHello",
            "heartbeat",
            "its mode must be peer_allowed_to_send (1) or peer_not_allowed_to_send (2)",
        ));
    }
    Ok(())
}

/// RFC 6066, 3: a HostName is "the fully qualified DNS hostname of the server",
/// in ASCII. Refused: control characters, bytes no host name has, empty or
/// over-long labels, labels that begin or end with a hyphen. Accepted as clients
/// send them (OpenSSL, Go and rustls accept them too): underscores, one trailing
/// dot, and IP literals, which the RFC forbids but which name no certificate here
/// and so are ignored.
fn check_host_name(name: &[u8]) -> Result<(), &'static str> {
    if name.iter().any(|b| b.is_ascii_control()) {
        return Err("it contains a control character");
    }
    if std::str::from_utf8(name).is_ok_and(|n| n.parse::<std::net::IpAddr>().is_ok()) {
        return Ok(());
    }
    let name = name.strip_suffix(b".").unwrap_or(name);
    if name.len() > 253 {
        return Err("it is longer than 253 bytes");
    }
    for label in name.split(|&b| b == b'.') {
        if label.is_empty() {
            return Err("one of its labels is empty");
        }
        if label.len() > 63 {
            return Err("one of its labels is longer than 63 bytes");
        }
        if !label
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err("it holds a byte other than a letter, digit, hyphen, underscore or dot");
        }
        if label.first() == Some(&b'-') || label.last() == Some(&b'-') {
            return Err("one of its labels begins or ends with a hyphen");
        }
    }
    Ok(())
}

/// RFC 7301, 3.2: the server's preference among the client's protocols; no overlap is
/// an error when both sides use ALPN.
pub(crate) fn choose_alpn(
    config: &ServerConfig,
    ch: &ClientHello,
) -> Result<Option<Vec<u8>>, Error> {
    let Some(offered) = ch.alpn() else {
        return Ok(None);
    };
    if config.alpn.is_empty() {
        return Ok(None);
    }
    let text = |list: &[Vec<u8>]| -> Vec<String> {
        list.iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect()
    };
    config
        .alpn
        .iter()
        .find(|p| offered.contains(p))
        .cloned()
        .map(Some)
        .ok_or_else(|| {
            NoCommon::ApplicationProtocol {
                offered: text(offered),
                ours: text(&config.alpn),
            }
            .into()
        })
}

/// Builder for [`ServerConfig`].
#[derive(Debug, Clone)]
pub struct ServerConfigBuilder {
    config: ServerConfig,
    wanted_suites: Option<Vec<CipherSuite>>,
    legacy: bool,
    tickets: bool,
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

    /// Adds a certificate with its key already loaded, such as
    /// [`CertifiedKey::remote`] for a key held elsewhere.
    pub fn certified_key(mut self, key: CertifiedKey) -> Self {
        self.config.certs.push(Arc::new(key));
        self
    }

    /// Protocol versions to accept: TLS 1.3 and TLS 1.2 (the default), or one of them.
    pub fn versions(mut self, versions: &[ProtocolVersion]) -> Self {
        self.config.versions = versions.to_vec();
        self
    }

    /// Allows the legacy TLS 1.2 suites (static RSA key exchange, CBC-HMAC) for
    /// interoperability with old clients. Off by default; enabling them logs a warning.
    pub fn enable_legacy_tls12_suites(mut self) -> Self {
        self.legacy = true;
        self
    }

    /// Whether TLS 1.2 clients must offer the extended master secret (RFC 7627).
    /// Off by default: it is negotiated with every client that offers it, and a
    /// client that does not gets the legacy master secret, as OpenSSL, Go, BoringSSL
    /// and rustls allow (no keying material is exported on such a connection). On,
    /// such a client is refused with handshake_failure (a TLS 1.2 session without it
    /// is open to the triple-handshake attack).
    pub fn require_extended_master_secret(mut self, require: bool) -> Self {
        self.config.require_ems = require;
        self
    }

    /// Where TLS 1.2 sessions are kept for resumption by session ID, and TLS 1.3
    /// stateful tickets (those of 0-RTT) until they are used.
    pub fn session_cache(mut self, cache: Arc<dyn ServerSessionCache>) -> Self {
        self.config.session_cache = cache;
        self
    }

    /// TLS 1.3: early data only for a ClientHello `guard` has not seen before
    /// (RFC 8446, 8.2), in addition to single-use tickets; shared by a fleet, it
    /// stops a ClientHello replayed to another server. None by default.
    pub fn anti_replay(mut self, guard: Arc<dyn AntiReplay>) -> Self {
        self.config.anti_replay = Some(guard);
        self
    }

    /// Whether to issue session tickets: TLS 1.2 tickets (RFC 5077) and TLS 1.3
    /// stateless tickets (with 0-RTT enabled, TLS 1.3 tickets are stateful and not
    /// affected). On by default, with keys rotated every six hours.
    pub fn session_tickets(mut self, enable: bool) -> Self {
        self.tickets = enable;
        self
    }

    /// Uses this ticketer (e.g. one shared by several configurations).
    pub fn ticketer(mut self, ticketer: Arc<Ticketer>) -> Self {
        self.config.ticketer = Some(ticketer);
        self
    }

    /// Answers TLS 1.2 heartbeat requests (RFC 6520) from clients that offer the
    /// extension. Off by default.
    pub fn heartbeat(mut self, enable: bool) -> Self {
        self.config.heartbeat = enable;
        self
    }

    /// Like `cert`, with an OCSP response (DER) to staple when clients ask for it.
    pub fn cert_with_ocsp(
        mut self,
        chain: Vec<CertificateDer<'static>>,
        key: &PrivateKeyDer<'_>,
        ocsp: Vec<u8>,
    ) -> Result<Self, Error> {
        let mut ck = CertifiedKey::new(chain, key)?;
        ck.ocsp = Some(ocsp);
        self.config.certs.push(Arc::new(ck));
        Ok(self)
    }

    /// Accepts TLS 1.3 0-RTT data up to `bytes` per connection (RFC 8446, 2.3). Off
    /// by default. Early data can be replayed by an attacker: the application must
    /// opt in to reading it (`early_data()`) and use it only for idempotent requests.
    /// Tickets become single-use entries in the session cache, and a ClientHello
    /// whose ticket age is off by more than 10 s gets no 0-RTT (RFC 8446, 8).
    pub fn max_early_data(mut self, bytes: u32) -> Self {
        self.config.max_early_data = bytes;
        self
    }

    /// How many TLS 1.3 tickets to send after each full handshake (default 2; 0: none).
    pub fn tls13_tickets(mut self, count: u8) -> Self {
        self.config.tls13_tickets = count;
        self
    }

    /// Accepts clients that offer this external pre-shared key (RFC 8446, 4.2.11),
    /// authenticating with it instead of a certificate; call again for more.
    pub fn external_psk(mut self, psk: ExternalPsk) -> Self {
        self.config.external_psks.push(Arc::new(psk));
        self
    }

    /// Requests client certificates and verifies them (e.g. `pki::ClientAuthVerifier`).
    pub fn client_auth(mut self, verifier: Arc<dyn ClientCertVerifier>) -> Self {
        self.config.client_auth = Some(verifier);
        self
    }

    /// Verifies client certificates requested after a TLS 1.3 handshake with
    /// [`ServerConnection::request_client_certificate`] (RFC 8446, 4.6.2), without
    /// asking for one during the handshake. Without this, such requests use the
    /// `client_auth` verifier, if any. The verifier's `client_auth_mandatory`
    /// decides whether an empty answer ends the connection (certificate_required).
    pub fn post_handshake_client_auth(mut self, verifier: Arc<dyn ClientCertVerifier>) -> Self {
        self.config.post_handshake_client_auth = Some(verifier);
        self
    }

    /// Cipher suites (TLS 1.3 and TLS 1.2) in preference order.
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

    /// Accepts Encrypted Client Hello with these keys (call again for more; the
    /// first added is the current one, sent to clients whose ECH offer failed as
    /// the retry configuration). Publish `keys.config_list()` in the HTTPS DNS
    /// record's `ech` parameter.
    pub fn ech_keys(mut self, keys: EchKeys) -> Self {
        self.config.ech.push(Arc::new(keys));
        self
    }

    pub fn build(self) -> Result<Arc<ServerConfig>, Error> {
        let mut c = self.config;
        if c.certs.is_empty() {
            return Err(ConfigError::NoCertificates.into());
        }
        crate::config::check_versions(&c.versions)?;
        let lists =
            crate::config::final_suites(self.wanted_suites.as_deref(), self.legacy, &c.versions)?;
        c.suites = lists.tls13;
        c.suites12 = lists.tls12;
        if !self.tickets {
            c.ticketer = None;
        } else if c.ticketer.is_none() {
            c.ticketer = Some(Arc::new(Ticketer::new(c.provider.clone(), 6 * 3600)));
        }
        crate::config::check_groups(&c.groups)?;
        crate::config::check_alpn(&c.alpn)?;
        Ok(Arc::new(c))
    }
}

/// Whether our client authentication policy lets `session` be resumed: the resumed
/// connection stands for the client of the original one, so it must be a client a
/// full handshake would accept now. A session without a client certificate resumes
/// only where a full handshake could go without one; a session with one only where
/// client certificates are verified, and only if the verifier still accepts the
/// chain (RFC 5246, F.1.4: certificates that may have expired or been revoked
/// force a full handshake). Otherwise the client gets a full handshake, which asks
/// for its certificate. The TLS 1.3 server applies the same policy to tickets.
pub(crate) fn client_auth_allows(config: &ServerConfig, session: &StoredSession) -> bool {
    let Some((leaf, intermediates)) = session.peer_certificates.split_first() else {
        return config
            .client_auth
            .as_ref()
            .is_none_or(|v| !v.client_auth_mandatory());
    };
    let Some(verifier) = &config.client_auth else {
        return false;
    };
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    verifier
        .verify_client_cert(
            &CertificateDer::from(leaf.as_slice()),
            &intermediates,
            config.provider.time.now(),
        )
        .is_ok()
}
