//! The secrets both sides derive alike and hand to the connection.

use crate::conn::output::Output;
use crate::exporter::ExporterSecret;
use crate::tls13::key_schedule::{ApplicationSecrets, MasterSecret, TrafficSecret};
use crate::tls13::suites::Tls13CipherSuite;

/// RFC 8446, 7.1 and 7.5: the application traffic secrets (client, server) and
/// the exporter master secret, derived once the transcript reaches the server's
/// Finished (the same on both sides); logged, and the exporter kept by the
/// connection.
pub(crate) fn application_secrets(
    out: &mut Output<'_>,
    suite: &'static Tls13CipherSuite,
    master: &MasterSecret,
    handshake_hash: &[u8],
) -> (TrafficSecret, TrafficSecret) {
    let ApplicationSecrets {
        client,
        server,
        exporter,
    } = master.application_secrets(handshake_hash);
    out.log_secret("CLIENT_TRAFFIC_SECRET_0", client.as_bytes());
    out.log_secret("SERVER_TRAFFIC_SECRET_0", server.as_bytes());
    out.log_secret("EXPORTER_SECRET", exporter.as_bytes());
    out.set_exporter(ExporterSecret::Tls13 {
        hash: suite.hash,
        secret: exporter,
    });
    (client, server)
}
