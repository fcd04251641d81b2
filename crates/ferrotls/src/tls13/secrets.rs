//! The secrets both sides derive alike and hand to the connection, and the
//! Finished both sides send alike.

use crate::conn::output::{Flight, Output};
use crate::error::Error;
use crate::exporter::ExporterSecret;
use crate::msgs::{Finished, HandshakeMessage, HandshakePayload};
use crate::tls13::key_schedule::finished_verify_data;
use crate::tls13::key_schedule::{ApplicationSecrets, MasterSecret, TrafficSecret};
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::Transcript;

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

/// RFC 8446, 4.4.4: our Finished, keyed by `base_key` (our handshake traffic
/// secret, or after the handshake our application traffic secret), over the
/// transcript so far; it ends `flight`, which goes out now.
pub(crate) fn send_finished(
    out: &mut Output<'_>,
    suite: &'static Tls13CipherSuite,
    base_key: &TrafficSecret,
    mut flight: Flight,
    transcript: &mut Transcript,
) -> Result<(), Error> {
    let verify_data = finished_verify_data(suite, base_key, transcript.current().as_ref());
    let fin = HandshakeMessage::new(HandshakePayload::Finished(Finished {
        verify_data: verify_data.as_ref().to_vec(),
    }));
    out.add_to_flight(&mut flight, &fin, transcript);
    out.send_flight(flight)
}
