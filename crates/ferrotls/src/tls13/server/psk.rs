//! RFC 8446, 4.2.11: the pre-shared key a server accepts (a ticket or an
//! external PSK), its binder and 0-RTT (RFC 8446, 4.2.10).

use std::sync::Arc;

use crate::proof::{check_psk_binder, PskBinderChecked};

use super::*;

/// A pre-shared key the server accepted (RFC 8446, 4.2.11).
#[derive(Debug)]
pub(super) struct AcceptedPsk {
    /// The proof that the client holds the PSK.
    pub(super) binder: PskBinderChecked,
    pub(super) index: u16,
    /// The Early Secret from this PSK, as the binder check derived it.
    pub(super) early: Option<EarlySecret>,
    /// The binder check's transcript hash through the ClientHello up to its binders,
    /// and where the binders start.
    pub(super) truncated_transcript: Option<(Transcript, usize)>,
    /// Whether 0-RTT data is accepted (RFC 8446, 4.2.10).
    pub(super) early_data: bool,
    pub(super) max_early_data: u32,
}

/// RFC 8446, 8.3: how far the client's view of the ticket age may stray from ours.
pub(super) const FRESHNESS_WINDOW_MS: i64 = 10_000;
/// At most this many offered identities are looked up.
pub(crate) const MAX_PSK_IDENTITIES: usize = 4;
/// RFC 8446, 8.2 and 8.3: a recorded ClientHello is remembered for the freshness
/// window on either side of its expected arrival.
pub(crate) const REPLAY_WINDOW_MS: u64 = 2 * FRESHNESS_WINDOW_MS as u64;

/// What ClientHello recording remembers (RFC 8446, 8.2): SHA-256 of the first
/// PSK binder, which only the client that holds the PSK can make and which
/// differs in every ClientHello. Recorded before the binder is checked: a forged
/// binder only records a digest no real client will send.
pub(crate) fn binder_digest(offered: &OfferedPsks) -> Option<Vec<u8>> {
    let binder = offered.binders.first()?;
    Some(
        crate::crypto::hash(crate::crypto::HashAlgorithm::Sha256, binder)
            .as_ref()
            .to_vec(),
    )
}

/// Finds a usable ticket among the client's PSK identities, checks its binder, and
/// decides on 0-RTT. Unknown, expired or mismatched tickets, and tickets our client
/// authentication would not accept now, fall back to a full handshake; a bad binder
/// is fatal (decrypt_error).
pub(super) fn resolve_psk(
    config: &ServerConfig,
    out: &mut Output<'_>,
    ch: &ClientHello,
    raw: &[u8],
    retry_transcript: Option<&Transcript>,
    choices: &mut Choices,
) -> Result<Option<AcceptedPsk>, Error> {
    let reject_early = |out: &mut Output<'_>| {
        if ch.early_data() && retry_transcript.is_none() {
            out.skip_early_data(early_data_skip_budget(config));
        }
    };
    let Some(offered) = ch.psk() else {
        // early_data without a PSK cannot be accepted; its records are skipped.
        reject_early(out);
        return Ok(None);
    };
    // RFC 8446, 4.2.9: "If clients offer "pre_shared_key" without a
    // "psk_key_exchange_modes" extension, servers MUST abort the handshake."
    let modes = ch.psk_modes().ok_or(PeerMisbehaved::MissingExtension {
        message: "ClientHello",
        extension: "psk_key_exchange_modes",
    })?;
    // Without psk_dhe_ke we do not resume (psk_ke is not offered here).
    if !modes.contains(&PskKeyExchangeMode::PskDheKe) {
        reject_early(out);
        return Ok(None);
    }
    if offered.identities.len() != offered.binders.len() {
        return Err(PeerMisbehaved::IllegalParameter {
            message: "ClientHello",
            field: "pre_shared_key",
            reason: "the number of binders differs from the number of identities",
        }
        .into());
    }
    let now = config.provider.time.now().as_secs();
    let mut taken = choices.answers.taken.take();
    let found = offered
        .identities
        .iter()
        .take(MAX_PSK_IDENTITIES)
        .enumerate()
        .find_map(|(i, id)| {
            let (session, single_use, external) =
                lookup_psk(config, ch, &id.identity, choices.suite, now, &mut taken)?;
            let suite = config
                .suites
                .iter()
                .copied()
                .find(|s| s.suite == session.suite && ch.cipher_suites.contains(&s.suite))?;
            // After HelloRetryRequest the suite is fixed (RFC 8446, 4.1.4).
            if retry_transcript.is_some() && suite.suite != choices.suite.suite {
                return None;
            }
            let age_secs = now.checked_sub(session.created)?;
            if age_secs > u64::from(MAX_TICKET_LIFETIME) {
                return None;
            }
            // RFC 8446, 4.6.1: resumption only for the server name of the original.
            if session.server_name.is_some()
                && session.server_name.as_deref() != out.negotiated().server_name.as_deref()
            {
                return None;
            }
            let client_age = i64::from(id.obfuscated_ticket_age.wrapping_sub(session.age_add));
            let our_age = i64::try_from(age_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
            let fresh = (client_age - our_age).abs() <= FRESHNESS_WINDOW_MS;
            Some((i, session, suite, single_use, fresh, external))
        });
    let Some((index, session, suite, single_use, fresh, external)) = found else {
        reject_early(out);
        return Ok(None);
    };
    let (early, truncated_transcript, binder) = check_binder(
        suite,
        &session.master_secret,
        !external,
        raw,
        offered,
        index,
        retry_transcript,
    )?;
    // The resumed connection would stand for the client the ticket was issued to, so
    // a ticket resumes only where a full handshake would accept that client now: no
    // PSK handshake for a client without a certificate where one is required, none
    // that takes on a certificate's identity where clients are not authenticated, and
    // a stored chain verified again (expiry, revocation, trust). Otherwise the PSK is
    // ignored (RFC 8446, 4.2.11) and the full handshake asks for a certificate.
    // Checked after the binder: only a client that holds the PSK costs a verification.
    if !external && !crate::server::client_auth_allows(config, &session) {
        reject_early(out);
        return Ok(None);
    }
    choices.suite = suite;
    if external {
        out.record(Fact::ExternalPsk(
            offered.identities.get(index).map(|i| i.identity.clone()),
        ));
    }

    let early_data = ch.early_data()
        && index == 0
        && retry_transcript.is_none()
        && single_use
        && fresh
        && config.max_early_data > 0
        && session.max_early_data > 0
        && session.alpn == choices.alpn
        && first_seen(config, offered, choices.answers.first_seen);
    if ch.early_data() && !early_data {
        reject_early(out);
    }
    // The resumed connection stands for the client the ticket was issued to.
    out.record(Fact::PeerCertificates(session.chain()));
    Ok(Some(AcceptedPsk {
        binder,
        index: u16::try_from(index).unwrap_or(0),
        early: Some(early),
        truncated_transcript: Some(truncated_transcript),
        early_data,
        max_early_data: session.max_early_data.min(config.max_early_data),
    }))
}

/// RFC 8446, 8.2: whether the anti-replay guard, if any, sees this ClientHello
/// for the first time: asked now, or answered before the ClientHello when it
/// pauses (no answer: a replay, fail closed).
fn first_seen(config: &ServerConfig, offered: &OfferedPsks, answered: Option<bool>) -> bool {
    match &config.anti_replay {
        None => true,
        Some(guard) if guard.pauses() => answered == Some(true),
        Some(guard) => {
            binder_digest(offered).is_some_and(|digest| guard.first_seen(&digest, REPLAY_WINDOW_MS))
        }
    }
}

/// The session behind a PSK identity: a configured external PSK; a stateful ticket
/// (0-RTT capable), taken from the store so each is used once; or a stateless
/// ticket, decrypted. Returns (session, single_use, external).
pub(super) fn lookup_psk(
    config: &ServerConfig,
    ch: &ClientHello,
    identity: &[u8],
    chosen: &'static Tls13CipherSuite,
    now: u64,
    taken: &mut Option<(Vec<u8>, Option<Arc<StoredSession>>)>,
) -> Option<(Arc<StoredSession>, bool, bool)> {
    if let Some(ext) = config.external_psks.iter().find(|p| p.identity == identity) {
        // The chosen suite if its hash fits the PSK, else our first one that does.
        let suite = std::iter::once(chosen)
            .chain(config.suites.iter().copied())
            .find(|s| s.hash == ext.hash && ch.cipher_suites.contains(&s.suite))?;
        let session = StoredSession {
            suite: suite.suite,
            master_secret: Secret::from(ext.key.as_bytes().to_vec()),
            ems: false,
            created: now,
            server_name: None,
            age_add: 0,
            max_early_data: 0,
            alpn: None,
            peer_certificates: Vec::new(),
        };
        return Some((Arc::new(session), false, true));
    }
    if identity.len() == STATEFUL_TICKET_LEN {
        // A cache that pauses was asked before the ClientHello (`crate::pause`),
        // for one identity; never here.
        let found = if config.session_cache.pauses() {
            match taken.take() {
                Some((id, found)) if id == identity => found,
                other => {
                    *taken = other;
                    None
                }
            }
        } else {
            config.session_cache.take(identity)
        };
        if let Some(s) = found {
            return Some((s, true, false));
        }
    }
    let session = config.ticketer.as_ref()?.decrypt(identity)?;
    Some((Arc::new(session), false, false))
}

/// RFC 8446, 4.2.11.2: the binder is an HMAC over the ClientHello up to the binders.
/// On success returns the PSK's Early Secret and the transcript through the
/// truncated ClientHello with the offset of the binders, for the handshake to go on from.
pub(super) fn check_binder(
    suite: &'static Tls13CipherSuite,
    psk: &Secret,
    resumption: bool,
    raw: &[u8],
    offered: &OfferedPsks,
    index: usize,
    retry_transcript: Option<&Transcript>,
) -> Result<(EarlySecret, (Transcript, usize), PskBinderChecked), Error> {
    let truncated_len = raw.len().saturating_sub(offered.binders_len());
    let truncated = raw.get(..truncated_len).unwrap_or_default();
    let mut transcript = match retry_transcript {
        Some(t) => t.clone(),
        None => Transcript::new(suite.hash),
    };
    transcript.add(truncated);
    let early = EarlySecret::new(suite, Some(psk.as_bytes()));
    let expected = early.psk_binder(resumption, transcript.current().as_ref());
    let got = offered
        .binders
        .get(index)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let checked = check_psk_binder(expected.as_ref(), got)?;
    Ok((early, (transcript, truncated_len), checked))
}
