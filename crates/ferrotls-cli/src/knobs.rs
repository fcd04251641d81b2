//! The interop knobs `ferrotls client` and `ferrotls server` share (cipher suites,
//! groups, versions, the extended master secret), and the server's session knobs
//! (tickets, the session cache), as flags that map onto the library's builders.
//! Names are accepted as OpenSSL and IANA spell them.

use std::sync::Arc;

use ferrotls::client::ClientConfigBuilder;
use ferrotls::msgs::enums::{CipherSuite, NamedGroup, ProtocolVersion};
use ferrotls::server::{
    InMemorySessionCache, ServerConfigBuilder, ServerSessionCache, StoredSession,
};

use crate::common;

/// Protocol parameters, for the client's offer or the server's choice.
#[derive(clap::Args, Debug, Default)]
pub struct Knobs {
    /// Cipher suites (TLS 1.3 and 1.2) in preference order, comma- or colon-separated,
    /// by OpenSSL or IANA name (ECDHE-RSA-AES128-GCM-SHA256, TLS_AES_128_GCM_SHA256).
    #[arg(long, value_name = "LIST")]
    pub ciphers: Vec<String>,
    /// Key exchange groups in preference order, comma- or colon-separated
    /// (X25519MLKEM768, x25519, P-256 or secp256r1 or prime256v1, P-384).
    #[arg(long, value_name = "LIST")]
    pub groups: Vec<String>,
    /// Protocol versions: 1.2, 1.3 or both (1.2,1.3; tls1.2 and TLSv1.3 work too).
    #[arg(long, value_name = "LIST", conflicts_with_all = ["tls12", "tls13"])]
    pub versions: Vec<String>,
    /// Refuse a TLS 1.2 peer that does not offer (client) or negotiate (server) the
    /// extended master secret (RFC 7627). By default it is used whenever the peer
    /// supports it, and the connection goes on without it otherwise.
    #[arg(long)]
    pub require_ems: bool,
}

/// The versions `--versions`, `--tls1.2` or `--tls1.3` ask for, if any.
fn versions(
    knobs: &Knobs,
    tls12: bool,
    tls13: bool,
) -> Result<Option<Vec<ProtocolVersion>>, String> {
    if !knobs.versions.is_empty() {
        return common::parse_versions(&knobs.versions).map(Some);
    }
    Ok(match (tls12, tls13) {
        (true, _) => Some(vec![ProtocolVersion::TLSv1_2]),
        (_, true) => Some(vec![ProtocolVersion::TLSv1_3]),
        _ => None,
    })
}

/// The protocol knobs both configuration builders have.
trait Tunable: Sized {
    fn versions(self, v: &[ProtocolVersion]) -> Self;
    fn legacy(self) -> Self;
    fn suites(self, s: &[CipherSuite]) -> Self;
    fn groups(self, g: &[NamedGroup]) -> Self;
    fn require_ems(self, require: bool) -> Self;
}

macro_rules! tunable {
    ($builder:ty) => {
        impl Tunable for $builder {
            fn versions(self, v: &[ProtocolVersion]) -> Self {
                <$builder>::versions(self, v)
            }
            fn legacy(self) -> Self {
                self.enable_legacy_tls12_suites()
            }
            fn suites(self, s: &[CipherSuite]) -> Self {
                self.cipher_suites(s)
            }
            fn groups(self, g: &[NamedGroup]) -> Self {
                <$builder>::groups(self, g)
            }
            fn require_ems(self, require: bool) -> Self {
                self.require_extended_master_secret(require)
            }
        }
    };
}
tunable!(ClientConfigBuilder);
tunable!(ServerConfigBuilder);

impl Knobs {
    /// Applies the knobs to a client or server configuration; `tls12`, `tls13` and
    /// `legacy` are the `--tls1.2`, `--tls1.3` and `--legacy` flags.
    fn apply<B: Tunable>(
        &self,
        mut b: B,
        tls12: bool,
        tls13: bool,
        legacy: bool,
    ) -> Result<B, String> {
        if let Some(v) = versions(self, tls12, tls13)? {
            b = b.versions(&v);
        }
        if legacy {
            b = b.legacy();
        }
        if !self.ciphers.is_empty() {
            b = b.suites(&common::parse_suites(&self.ciphers, legacy)?);
        }
        if !self.groups.is_empty() {
            b = b.groups(&common::parse_groups(&self.groups)?);
        }
        Ok(b.require_ems(self.require_ems))
    }

    /// Applies the knobs to a server configuration.
    pub fn server(
        &self,
        b: ServerConfigBuilder,
        tls12: bool,
        tls13: bool,
        legacy: bool,
    ) -> Result<ServerConfigBuilder, String> {
        self.apply(b, tls12, tls13, legacy)
    }

    /// Applies the knobs to a client configuration.
    pub fn client(
        &self,
        b: ClientConfigBuilder,
        tls12: bool,
        tls13: bool,
        legacy: bool,
    ) -> Result<ClientConfigBuilder, String> {
        self.apply(b, tls12, tls13, legacy)
    }
}

/// How the server lets clients resume.
#[derive(clap::Args, Debug, Default)]
pub struct SessionKnobs {
    /// Issue no session tickets: neither TLS 1.2 tickets (RFC 5077) nor TLS 1.3
    /// NewSessionTicket messages. TLS 1.2 clients may still resume by session ID.
    #[arg(long)]
    pub no_tickets: bool,
    /// Keep at most N TLS 1.2 sessions for resumption by session ID (default 4096;
    /// 0: keep none, so only tickets resume).
    #[arg(long, value_name = "N")]
    pub session_cache: Option<usize>,
}

/// A session cache that keeps nothing (`--session-cache 0`).
#[derive(Debug)]
struct NoSessionCache;

impl ServerSessionCache for NoSessionCache {
    fn put(&self, _id: Vec<u8>, _session: Arc<StoredSession>) {}

    fn get(&self, _id: &[u8]) -> Option<Arc<StoredSession>> {
        None
    }

    fn take(&self, _id: &[u8]) -> Option<Arc<StoredSession>> {
        None
    }
}

impl SessionKnobs {
    /// Applies the knobs; `early_data` is whether --early-data is on, whose TLS 1.3
    /// tickets are single-use entries in the session cache.
    pub fn server(
        &self,
        mut b: ServerConfigBuilder,
        early_data: bool,
    ) -> Result<ServerConfigBuilder, String> {
        if self.no_tickets {
            b = b.session_tickets(false).tls13_tickets(0);
        }
        match self.session_cache {
            Some(0) if early_data => {
                return Err("--session-cache 0 leaves no room for the single-use tickets of --early-data; give a size, or drop one of them".into())
            }
            Some(0) => b = b.session_cache(Arc::new(NoSessionCache)),
            Some(n) => b = b.session_cache(Arc::new(InMemorySessionCache::new(n))),
            None => {}
        }
        Ok(b)
    }
}
