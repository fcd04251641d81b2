//! Parameters for which the peers found nothing in common.

use core::fmt;

use super::list;

/// Parameters for which the peers found nothing in common.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoCommon {
    Version {
        offered: Vec<String>,
    },
    CipherSuite {
        offered: Vec<String>,
        ours: Vec<String>,
    },
    Group {
        offered: Vec<String>,
        ours: Vec<String>,
    },
    SignatureScheme {
        offered: Vec<String>,
    },
    ApplicationProtocol {
        offered: Vec<String>,
        ours: Vec<String>,
    },
    /// TLS 1.2 without the extended master secret (RFC 7627), which this side is
    /// configured to require: `from_server` is true when the server did not
    /// negotiate it, false when the client did not offer it.
    ExtendedMasterSecret {
        from_server: bool,
    },
    /// No configured certificate suits the client's server name and signature schemes.
    Certificate {
        server_name: Option<String>,
    },
}

impl fmt::Display for NoCommon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoCommon::Version { offered } => write!(
                f,
                "no TLS version in common: the peer offered {}; ferrotls negotiates only TLS 1.3 and TLS 1.2",
                list(offered)
            ),
            NoCommon::CipherSuite { offered, ours } => write!(
                f,
                "no cipher suite in common: the peer offered {}; enabled here: {}",
                list(offered),
                list(ours)
            ),
            NoCommon::Group { offered, ours } => write!(
                f,
                "no key exchange group in common: the peer offered {}; enabled here: {}",
                list(offered),
                list(ours)
            ),
            NoCommon::SignatureScheme { offered } => write!(
                f,
                "no signature scheme in common: the peer accepts {}, none of which suits the configured key",
                list(offered)
            ),
            NoCommon::ApplicationProtocol { offered, ours } => write!(
                f,
                "no application protocol (ALPN) in common: the client offered {}; the server supports {}",
                list(offered),
                list(ours)
            ),
            NoCommon::ExtendedMasterSecret { from_server: false } => write!(
                f,
                "the client did not offer the TLS 1.2 extended master secret (RFC 7627), which this server is configured to require: without it a session is open to the triple-handshake attack"
            ),
            NoCommon::ExtendedMasterSecret { from_server: true } => write!(
                f,
                "the server did not negotiate the TLS 1.2 extended master secret (RFC 7627), which this client is configured to require: without it a session is open to the triple-handshake attack"
            ),
            NoCommon::Certificate { server_name } => match server_name {
                Some(n) => write!(f, "no configured certificate is suitable for server name {n}"),
                None => write!(f, "no configured certificate is suitable for a client that sent no server name"),
            },
        }
    }
}
