//! NewSessionTicket (RFC 8446, 4.6.1): stateful single-use tickets with 0-RTT,
//! encrypted session state otherwise.

use std::sync::Arc;

use super::*;

/// RFC 8446, 4.6.1: tickets may not be used for more than seven days.
pub(crate) const MAX_TICKET_LIFETIME: u32 = 7 * 24 * 3600;
/// Stateful (single-use, 0-RTT capable) tickets are random IDs of this length.
pub(crate) const STATEFUL_TICKET_LEN: usize = 32;

/// Whether this server issues TLS 1.3 tickets: stateful ones (with 0-RTT enabled)
/// or, with a ticketer, encrypted ones.
pub(super) fn sends_tickets(config: &ServerConfig) -> bool {
    config.tls13_tickets > 0 && (config.max_early_data > 0 || config.ticketer.is_some())
}

/// The randomness of this connection's NewSessionTickets, drawn with the
/// ServerHello random: per ticket, its age_add and then its ID (stateful tickets)
/// or the nonce that seals it (stateless ones). Zeroized on drop.
#[derive(Debug)]
pub(super) struct TicketRandom(pub(super) Secret);

impl TicketRandom {
    /// Bytes per ticket.
    pub(super) fn per_ticket(config: &ServerConfig) -> usize {
        4 + if config.max_early_data > 0 {
            STATEFUL_TICKET_LEN
        } else {
            TICKET_NONCE_LEN
        }
    }

    /// Bytes for all tickets `config` sends.
    pub(super) fn len(config: &ServerConfig) -> usize {
        if sends_tickets(config) {
            usize::from(config.tls13_tickets) * Self::per_ticket(config)
        } else {
            0
        }
    }

    /// Ticket `n`'s age_add and ID or nonce.
    pub(super) fn ticket(&self, config: &ServerConfig, n: usize) -> Option<(u32, &[u8])> {
        let per = Self::per_ticket(config);
        let bytes = self.0.as_bytes().get(n * per..(n + 1) * per)?;
        let (age_add, rest) = bytes.split_first_chunk::<4>()?;
        Some((u32::from_be_bytes(*age_add), rest))
    }
}

/// Sends the configured number of NewSessionTickets (RFC 8446, 4.6.1). With 0-RTT
/// enabled they are stateful single-use IDs (RFC 8446, 8.1); otherwise encrypted
/// session state.
pub(super) fn send_tickets(
    out: &mut Output<'_>,
    config: &ServerConfig,
    suite: &'static Tls13CipherSuite,
    resumption: &Secret,
    random: &TicketRandom,
) -> Result<(), Error> {
    let stateful = config.max_early_data > 0;
    let lifetime = config
        .ticketer
        .as_ref()
        .map_or(MAX_TICKET_LIFETIME, |t| t.lifetime())
        .min(MAX_TICKET_LIFETIME);
    let created = config.provider.time.now().as_secs();
    let mut flight = Flight::default();
    for n in 0..config.tls13_tickets {
        let Some((age_add, id_or_nonce)) = random.ticket(config, usize::from(n)) else {
            break;
        };
        let nonce = vec![n];
        let session = StoredSession {
            suite: suite.suite,
            master_secret: resumption_psk(suite, resumption, &nonce),
            ems: false,
            created,
            server_name: out.negotiated().server_name.clone(),
            age_add,
            max_early_data: config.max_early_data,
            alpn: out.negotiated().alpn.clone(),
            peer_certificates: StoredSession::chain_to_store(&out.negotiated().peer_certificates),
        };
        let ticket = if stateful {
            let id = id_or_nonce.to_vec();
            config.session_cache.put(id.clone(), Arc::new(session));
            id
        } else {
            let sealed = <[u8; TICKET_NONCE_LEN]>::try_from(id_or_nonce)
                .ok()
                .and_then(|nonce| {
                    config
                        .ticketer
                        .as_ref()
                        .and_then(|t| t.encrypt_with_nonce(&session, nonce))
                });
            match sealed {
                Some(t) => t,
                None => break,
            }
        };
        let mut extensions = Vec::new();
        if stateful {
            extensions.push(NewSessionTicketExtension::EarlyData(config.max_early_data));
        }
        let msg = HandshakeMessage::new(HandshakePayload::NewSessionTicket(NewSessionTicket13 {
            lifetime,
            age_add,
            nonce,
            ticket,
            extensions,
        }));
        out.add_ticket_to_flight(&mut flight, &msg);
    }
    out.send_flight(flight)
}
