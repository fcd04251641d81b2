//! The two libraries behind one small interface, their configurations built from the
//! same settings, and in-memory pairs that time each side's own calls.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use crate::clock::CpuInstant as Instant;

use ferrotls::client::{ClientSessionStore, Tls12Session, Tls13Ticket};
use ferrotls::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use ferrotls::pki::{RootStore, TrustAnchor, Verifier};
use rustls::crypto::aws_lc_rs as rustls_aws;
use rustls_pki_types::ServerName;

use crate::certs::{Chain, SERVER_NAME};

/// One end of a connection, as the benchmark drives it.
pub trait Endpoint {
    /// Takes some TLS bytes; returns how many.
    fn feed(&mut self, data: &[u8]) -> Result<usize, String>;
    fn process(&mut self) -> Result<(), String>;
    /// Appends every pending TLS byte to `out`.
    fn take_out(&mut self, out: &mut Vec<u8>);
    fn write_plain(&mut self, data: &[u8]);
    /// Reads buffered plaintext; 0 when none is buffered.
    fn read_plain(&mut self, buf: &mut [u8]) -> usize;
    fn is_handshaking(&self) -> bool;
    fn resumed(&self) -> bool;
    /// Whether the handshake used an Encrypted Client Hello the server accepted (the
    /// rustls server has no ECH: always false there).
    fn ech_accepted(&self) -> bool;
}

/// Feeds `data` completely, processing as it goes; with a `sink`, plaintext is read
/// out (over and over into the same buffer) after every record. Returns the
/// plaintext byte count.
pub fn deliver<E: Endpoint>(
    e: &mut E,
    mut data: &[u8],
    mut sink: Option<&mut [u8]>,
) -> Result<usize, String> {
    let mut plain = 0;
    while !data.is_empty() {
        let n = e.feed(data)?;
        if n == 0 {
            return Err("the connection took no bytes".into());
        }
        data = &data[n..];
        e.process()?;
        if let Some(buf) = sink.as_deref_mut() {
            loop {
                let got = e.read_plain(buf);
                if got == 0 {
                    break;
                }
                plain += got;
            }
        }
    }
    Ok(plain)
}

fn read_or_zero(r: io::Result<usize>) -> usize {
    match r {
        Ok(n) => n,
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
        Err(e) => panic!("reading plaintext failed: {e}"),
    }
}

macro_rules! ferrotls_endpoint {
    ($t:ty) => {
        impl Endpoint for $t {
            fn feed(&mut self, data: &[u8]) -> Result<usize, String> {
                Ok(self.feed_tls(data))
            }
            fn process(&mut self) -> Result<(), String> {
                self.process_new_packets()
                    .map(|_| ())
                    .map_err(|e| format!("ferrotls: {e}"))
            }
            fn take_out(&mut self, out: &mut Vec<u8>) {
                let pending = self.pending_tls();
                let n = pending.len();
                out.extend_from_slice(pending);
                self.consume_tls(n);
            }
            fn write_plain(&mut self, data: &[u8]) {
                self.writer().write_all(data).expect("ferrotls write");
            }
            fn read_plain(&mut self, buf: &mut [u8]) -> usize {
                read_or_zero(self.reader().read(buf))
            }
            fn is_handshaking(&self) -> bool {
                ferrotls::Connection::is_handshaking(self)
            }
            fn resumed(&self) -> bool {
                self.negotiated().resumed
            }
            fn ech_accepted(&self) -> bool {
                self.negotiated().ech == ferrotls::conn::EchStatus::Accepted
            }
        }
    };
}

ferrotls_endpoint!(ferrotls::ClientConnection);
ferrotls_endpoint!(ferrotls::ServerConnection);

macro_rules! rustls_endpoint {
    ($t:ty, $ech_accepted:expr) => {
        impl Endpoint for $t {
            fn feed(&mut self, mut data: &[u8]) -> Result<usize, String> {
                self.read_tls(&mut data).map_err(|e| format!("rustls: {e}"))
            }
            fn process(&mut self) -> Result<(), String> {
                self.process_new_packets()
                    .map(|_| ())
                    .map_err(|e| format!("rustls: {e}"))
            }
            fn take_out(&mut self, out: &mut Vec<u8>) {
                while self.wants_write() {
                    self.write_tls(out).expect("rustls write_tls to a Vec");
                }
            }
            fn write_plain(&mut self, data: &[u8]) {
                self.writer().write_all(data).expect("rustls write");
            }
            fn read_plain(&mut self, buf: &mut [u8]) -> usize {
                read_or_zero(self.reader().read(buf))
            }
            fn is_handshaking(&self) -> bool {
                rustls::CommonState::is_handshaking(self)
            }
            fn resumed(&self) -> bool {
                self.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
            }
            fn ech_accepted(&self) -> bool {
                let accepted: fn(&$t) -> bool = $ech_accepted;
                accepted(self)
            }
        }
    };
}

rustls_endpoint!(rustls::ClientConnection, |c| c.ech_status()
    == rustls::client::EchStatus::Accepted);
rustls_endpoint!(rustls::ServerConnection, |_| false);

// ---------------------------------------------------------------------------------
// Settings shared by both libraries

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Tls13,
    Tls12,
}

impl Version {
    pub fn label(self) -> &'static str {
        match self {
            Version::Tls13 => "TLS1.3",
            Version::Tls12 => "TLS1.2",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aead {
    Aes128Gcm,
    Aes256Gcm,
    Chacha20,
}

impl Aead {
    pub fn label(self) -> &'static str {
        match self {
            Aead::Aes128Gcm => "AES-128-GCM",
            Aead::Aes256Gcm => "AES-256-GCM",
            Aead::Chacha20 => "ChaCha20-Poly1305",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Groups {
    /// Both libraries' defaults: X25519MLKEM768 (with an X25519 share beside it),
    /// X25519, P-256, P-384.
    Default,
    X25519,
}

impl Groups {
    pub fn label(self) -> &'static str {
        match self {
            Groups::Default => "X25519MLKEM768",
            Groups::X25519 => "X25519",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// Full handshakes only: the client keeps nothing; no TLS 1.3 tickets, no TLS 1.2
    /// tickets (TLS 1.2 servers still cache session IDs, both libraries by default).
    Never,
    /// TLS 1.3 stateless tickets, one per connection.
    Tls13Ticket,
    Tls12SessionId,
    Tls12Ticket,
}

/// What one row negotiates.
#[derive(Clone, Copy)]
pub struct Setup<'a> {
    pub chain: &'a Chain,
    pub version: Version,
    pub aead: Aead,
    pub groups: Groups,
    pub resume: Resume,
}

impl Setup<'_> {
    fn ferrotls_suite(&self) -> CipherSuite {
        use crate::certs::KeyType::*;
        match (self.version, self.aead, self.chain.key_type) {
            (Version::Tls13, Aead::Aes128Gcm, _) => CipherSuite::TLS13_AES_128_GCM_SHA256,
            (Version::Tls13, Aead::Aes256Gcm, _) => CipherSuite::TLS13_AES_256_GCM_SHA384,
            (Version::Tls13, Aead::Chacha20, _) => CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
            (Version::Tls12, Aead::Aes128Gcm, EcdsaP256) => {
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            }
            (Version::Tls12, Aead::Aes256Gcm, EcdsaP256) => {
                CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
            }
            (Version::Tls12, Aead::Chacha20, EcdsaP256) => {
                CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            }
            (Version::Tls12, Aead::Aes128Gcm, Rsa2048) => {
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
            }
            (Version::Tls12, Aead::Aes256Gcm, Rsa2048) => {
                CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
            }
            (Version::Tls12, Aead::Chacha20, Rsa2048) => {
                CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
            }
        }
    }

    fn rustls_suite(&self) -> rustls::SupportedCipherSuite {
        use crate::certs::KeyType::*;
        use rustls_aws::cipher_suite as cs;
        match (self.version, self.aead, self.chain.key_type) {
            (Version::Tls13, Aead::Aes128Gcm, _) => cs::TLS13_AES_128_GCM_SHA256,
            (Version::Tls13, Aead::Aes256Gcm, _) => cs::TLS13_AES_256_GCM_SHA384,
            (Version::Tls13, Aead::Chacha20, _) => cs::TLS13_CHACHA20_POLY1305_SHA256,
            (Version::Tls12, Aead::Aes128Gcm, EcdsaP256) => {
                cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            }
            (Version::Tls12, Aead::Aes256Gcm, EcdsaP256) => {
                cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
            }
            (Version::Tls12, Aead::Chacha20, EcdsaP256) => {
                cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            }
            (Version::Tls12, Aead::Aes128Gcm, Rsa2048) => cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            (Version::Tls12, Aead::Aes256Gcm, Rsa2048) => cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            (Version::Tls12, Aead::Chacha20, Rsa2048) => {
                cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
            }
        }
    }

    fn ferrotls_version(&self) -> ProtocolVersion {
        match self.version {
            Version::Tls13 => ProtocolVersion::TLSv1_3,
            Version::Tls12 => ProtocolVersion::TLSv1_2,
        }
    }

    fn rustls_version(&self) -> &'static rustls::SupportedProtocolVersion {
        match self.version {
            Version::Tls13 => &rustls::version::TLS13,
            Version::Tls12 => &rustls::version::TLS12,
        }
    }

    fn ferrotls_groups(&self) -> Vec<NamedGroup> {
        match self.groups {
            Groups::Default => ferrotls::crypto::kx::supported_groups().to_vec(),
            Groups::X25519 => vec![NamedGroup::X25519],
        }
    }

    fn rustls_provider(&self) -> Arc<rustls::crypto::CryptoProvider> {
        let mut p = rustls_aws::default_provider();
        p.cipher_suites = vec![self.rustls_suite()];
        if self.groups == Groups::X25519 {
            p.kx_groups = vec![rustls_aws::kx_group::X25519];
        }
        Arc::new(p)
    }
}

/// The public name in the benchmark's ECH configuration (the outer ClientHello's SNI).
pub const ECH_PUBLIC_NAME: &str = "public.example";

/// Configurations for both libraries, built once per row.
pub struct Configs {
    pub ferro_client: Arc<ferrotls::ClientConfig>,
    pub ferro_server: Arc<ferrotls::ServerConfig>,
    pub rustls_client: Arc<rustls::ClientConfig>,
    pub rustls_server: Arc<rustls::ServerConfig>,
}

/// A ferrotls client store that keeps nothing, so every handshake is a full one.
#[derive(Debug)]
struct NoStore;

impl ClientSessionStore for NoStore {
    fn insert_tls13_ticket(&self, _: &str, _: Tls13Ticket) {}
    fn take_tls13_ticket(&self, _: &str) -> Option<Tls13Ticket> {
        None
    }
    fn insert_tls12_session(&self, _: &str, _: Tls12Session) {}
    fn take_tls12_session(&self, _: &str) -> Option<Tls12Session> {
        None
    }
}

impl Configs {
    pub fn new(s: &Setup<'_>) -> Configs {
        Self::build(s, None)
    }

    /// As [`new`](Self::new) (TLS 1.3 only), with Encrypted Client Hello: fresh ECH
    /// keys in the ferrotls server, and their ECHConfigList in both clients. The
    /// rustls server has no ECH (rustls 0.23 has no ECH server); ECH rows pair both
    /// clients with the ferrotls server.
    pub fn with_ech(s: &Setup<'_>) -> Configs {
        assert_eq!(s.version, Version::Tls13, "ECH is TLS 1.3 only");
        let keys = ferrotls::ech::EchKeys::generate(
            ECH_PUBLIC_NAME,
            1,
            &ferrotls::crypto::Provider::system(),
        )
        .expect("ferrotls ECH keys");
        Self::build(s, Some(keys))
    }

    fn build(s: &Setup<'_>, ech: Option<ferrotls::ech::EchKeys>) -> Configs {
        let ech_config_list = ech.as_ref().map(|k| k.config_list());
        // ferrotls
        let mut roots = RootStore::new();
        roots.add(TrustAnchor::from_cert(s.chain.root.clone()).expect("root anchor"));
        let mut fc = ferrotls::ClientConfig::builder(Arc::new(Verifier::new(roots)))
            .versions(&[s.ferrotls_version()])
            .cipher_suites(&[s.ferrotls_suite()])
            .groups(&s.ferrotls_groups());
        if s.resume == Resume::Never {
            fc = fc.session_store(Arc::new(NoStore)).session_tickets(false);
        }
        if let Some(list) = &ech_config_list {
            fc = fc.ech_config_list(list).expect("ferrotls ECH config list");
        }
        let mut fs = ferrotls::ServerConfig::builder()
            .cert(s.chain.served(), &s.chain.key())
            .expect("ferrotls server certificate")
            .versions(&[s.ferrotls_version()])
            .cipher_suites(&[s.ferrotls_suite()])
            .groups(&s.ferrotls_groups())
            .session_tickets(matches!(
                s.resume,
                Resume::Tls12Ticket | Resume::Tls13Ticket
            ))
            // One ticket per connection, as rustls is configured below.
            .tls13_tickets(1);
        if let Some(keys) = ech {
            fs = fs.ech_keys(keys);
        }

        // rustls
        let provider = s.rustls_provider();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(s.chain.root.clone()).expect("rustls root");
        let rc = rustls::ClientConfig::builder_with_provider(provider.clone());
        let rc = match &ech_config_list {
            // ECH implies TLS 1.3 only. The HPKE suite is pinned to the one ferrotls's
            // client picks from the configuration (its first: DHKEM(X25519,
            // HKDF-SHA256), HKDF-SHA256, AES-128-GCM), which rustls would also pick
            // from its ALL_SUPPORTED_SUITES.
            Some(list) => {
                let ech = rustls::client::EchConfig::new(
                    list.clone().into(),
                    &[rustls_aws::hpke::DH_KEM_X25519_HKDF_SHA256_AES_128],
                )
                .expect("rustls ECH config");
                rc.with_ech(rustls::client::EchMode::Enable(ech))
                    .expect("rustls ECH")
            }
            None => rc
                .with_protocol_versions(&[s.rustls_version()])
                .expect("rustls client versions"),
        };
        let mut rc = rc.with_root_certificates(roots).with_no_client_auth();
        if s.resume == Resume::Never {
            rc.resumption = rustls::client::Resumption::disabled();
        }
        let mut rs = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[s.rustls_version()])
            .expect("rustls server versions")
            .with_no_client_auth()
            .with_single_cert(s.chain.served(), s.chain.key())
            .expect("rustls server certificate");
        match s.resume {
            Resume::Never | Resume::Tls12SessionId => rs.send_tls13_tickets = 0,
            Resume::Tls13Ticket | Resume::Tls12Ticket => {
                rs.ticketer = rustls_aws::Ticketer::new().expect("rustls ticketer");
                rs.send_tls13_tickets = 1;
            }
        }

        Configs {
            ferro_client: fc.build().expect("ferrotls client config"),
            ferro_server: fs.build().expect("ferrotls server config"),
            rustls_client: Arc::new(rc),
            rustls_server: Arc::new(rs),
        }
    }

    pub fn ferro_client(&self) -> ferrotls::ClientConnection {
        ferrotls::ClientConnection::new(self.ferro_client.clone(), server_name())
            .expect("ferrotls client")
    }

    pub fn ferro_server(&self) -> ferrotls::ServerConnection {
        ferrotls::ServerConnection::new(self.ferro_server.clone()).expect("ferrotls server")
    }

    pub fn rustls_client(&self) -> rustls::ClientConnection {
        let mut c = rustls::ClientConnection::new(self.rustls_client.clone(), server_name())
            .expect("rustls client");
        c.set_buffer_limit(None);
        c
    }

    pub fn rustls_server(&self) -> rustls::ServerConnection {
        let mut s =
            rustls::ServerConnection::new(self.rustls_server.clone()).expect("rustls server");
        s.set_buffer_limit(None);
        s
    }
}

pub fn server_name() -> ServerName<'static> {
    ServerName::try_from(SERVER_NAME).expect("server name")
}

// ---------------------------------------------------------------------------------
// Handshakes with per-side timing

/// Time spent inside each side's own calls during one handshake.
#[derive(Clone, Copy, Debug, Default)]
pub struct SideTimes {
    pub client: Duration,
    pub server: Duration,
}

/// A finished handshake: both connections, ready for application data.
pub struct Pair<C, S> {
    pub client: C,
    pub server: S,
    pub times: SideTimes,
}

/// Runs one handshake in memory. Each side's clock runs only while that side is
/// being constructed, fed, processed or asked for output, so neither pays for the
/// other, less the clock's own cost per span ([`crate::clock::overhead`]). Ends when
/// both sides have nothing left to say.
pub fn handshake<C: Endpoint, S: Endpoint>(
    new_client: impl FnOnce() -> C,
    new_server: impl FnOnce() -> S,
) -> Result<Pair<C, S>, String> {
    let mut times = SideTimes::default();
    let mut c2s = Vec::with_capacity(4096);
    let mut s2c = Vec::with_capacity(8192);

    let t = Instant::now();
    let mut client = new_client();
    client.take_out(&mut c2s);
    times.client += t.elapsed_net();

    let t = Instant::now();
    let mut server = new_server();
    times.server += t.elapsed_net();

    for _ in 0..16 {
        if !c2s.is_empty() {
            let t = Instant::now();
            deliver(&mut server, &c2s, None)?;
            server.take_out(&mut s2c);
            times.server += t.elapsed_net();
            c2s.clear();
        }
        if !s2c.is_empty() {
            let t = Instant::now();
            deliver(&mut client, &s2c, None)?;
            client.take_out(&mut c2s);
            times.client += t.elapsed_net();
            s2c.clear();
        }
        if c2s.is_empty() && s2c.is_empty() {
            if client.is_handshaking() || server.is_handshaking() {
                return Err("handshake stalled".into());
            }
            return Ok(Pair {
                client,
                server,
                times,
            });
        }
    }
    Err("handshake did not finish in 16 flights".into())
}
