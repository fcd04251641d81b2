//! RFC 6520 (TLS heartbeat): the extension's mode (2).

use ferrotls::msgs::enums::{AlertDescription as A, HeartbeatMode};
use ferrotls::msgs::{ClientExtension, ServerExtension};

use crate::pair::{edit_server_hello, Pair};

use crate::pair::Side;
use crate::peer::{
    answered_hello, before_hello_with, client, refused, send_hello, server, set_extension, TLS12,
};

const TEXT: &str = "peer's ClientHello has an illegal heartbeat: its mode must be peer_allowed_to_send (1) or peer_not_allowed_to_send (2)";

rules! {
    rfc: "RFC 6520";

    /// RFC 6520, 2: "Upon reception of an unknown mode, an error Alert message using
    /// illegal_parameter as its AlertDescription MUST be sent in response." In a
    /// TLS 1.2 and a TLS 1.3 ClientHello, to a server with heartbeats on and off.
    "2", "heartbeat mode other than 1 or 2 is illegal_parameter" =>
    fn unknown_heartbeat_mode_is_illegal_parameter() {
        for (tls12, heartbeat, mode) in [(true, true, 0), (true, false, 3), (false, false, 255)] {
            let c = if tls12 { client().versions(TLS12) } else { client() };
            let (mut p, mut ch) = before_hello_with(c, server().heartbeat(heartbeat));
            set_extension(&mut ch, ClientExtension::Heartbeat(HeartbeatMode::from_wire(mode)));
            let outcome = send_hello(&mut p, &ch);
            refused(&mut p, Side::Server, outcome, A::IllegalParameter, TEXT)
                .map_err(|e| format!("mode {mode}, TLS 1.2 {tls12}: {e}"))?;
        }
        Ok(())
    }

    /// RFC 6520, 2: the two defined modes are accepted.
    "2", "heartbeat modes 1 and 2 are accepted" =>
    fn defined_heartbeat_modes_are_accepted() {
        for mode in [HeartbeatMode::PeerAllowedToSend, HeartbeatMode::PeerNotAllowedToSend] {
            let (mut p, mut ch) = before_hello_with(client().versions(TLS12), server().heartbeat(true));
            set_extension(&mut ch, ClientExtension::Heartbeat(mode));
            let outcome = send_hello(&mut p, &ch);
            answered_hello(&mut p, outcome, false).map_err(|e| format!("{mode}: {e}"))?;
        }
        Ok(())
    }

    /// RFC 6520, 2: the same for the client: a ServerHello answering with an
    /// unknown mode is illegal_parameter.
    "2", "ServerHello heartbeat mode other than 1 or 2 is illegal_parameter" =>
    fn server_hello_unknown_heartbeat_mode_is_illegal_parameter() {
        let mut p = Pair::new(client().versions(TLS12).heartbeat(true), server().heartbeat(true));
        p.transfer(Side::Client).map_err(|e| format!("ClientHello: {e}"))?;
        let mut flight = p.take(Side::Server);
        edit_server_hello(&mut flight, |sh| {
            for e in &mut sh.extensions {
                if let ServerExtension::Heartbeat(mode) = e {
                    *mode = HeartbeatMode::from_wire(7);
                }
            }
        });
        let outcome = p.deliver(Side::Client, &flight);
        refused(&mut p, Side::Client, outcome, A::IllegalParameter,
            "peer's ServerHello has an illegal heartbeat: its mode must be peer_allowed_to_send (1) or peer_not_allowed_to_send (2)")
    }
}
