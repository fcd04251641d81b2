//! What the client offers in its ClientHello (RFC 8446, 4.1.2; RFC 5246, 7.4.1.2),
//! for TLS 1.3 and TLS 1.2 alike: the extensions, the pre-shared key and its
//! binder (RFC 8446, 4.2.11), GREASE, and the Encrypted Client Hello that wraps it
//! all (draft-ietf-tls-esni, 6.1). The states that send it are in `hello.rs`.

use std::sync::Arc;

use rustls_pki_types::ServerName;

use crate::client::{ClientConfig, Tls12Session, Tls13Ticket, MAX_TICKET_LEN};
use crate::crypto::kx::KeyExchange;
use crate::crypto::sign;
use crate::ech::{self, EchError, EchSender};
use crate::error::{ConfigError, Error, PeerMisbehaved};
use crate::msgs::enums::{
    CipherSuite, ECPointFormat, ExtensionType, HeartbeatMode, NamedGroup, ProtocolVersion,
    PskKeyExchangeMode, ServerNameType,
};
use crate::msgs::{
    ClientExtension, ClientHello, HandshakeMessage, HandshakePayload, KeyShareEntry, OfferedPsks,
    PskIdentity, ServerNameEntry,
};
use crate::tls13::key_schedule::EarlySecret;
use crate::tls13::suites::Tls13CipherSuite;
use crate::tls13::Transcript;

/// The groups that get a key share in the first ClientHello: the first preference,
/// plus X25519 when the first is the X25519MLKEM768 hybrid (so servers without
/// ML-KEM need no HelloRetryRequest).
pub(crate) fn default_share_groups(groups: &[NamedGroup]) -> Vec<NamedGroup> {
    let mut out: Vec<NamedGroup> = groups.iter().take(1).copied().collect();
    if out.first() == Some(&NamedGroup::X25519MLKEM768) && groups.contains(&NamedGroup::X25519) {
        out.push(NamedGroup::X25519);
    }
    out
}

/// RFC 8446, 4.1.2: one u16 length covers all of a ClientHello's extensions.
const MAX_EXTENSIONS_LEN: usize = 0xffff;

/// Bytes `ext` takes in a ClientHello, its type and length included: what encoding
/// it would write, summed instead (a hello that would not fit is cut down first).
fn extension_wire_len(ext: &ClientExtension) -> usize {
    use ClientExtension as C;
    let body = match ext {
        C::ServerName(names) => 2 + names.iter().map(|n| 3 + n.name.len()).sum::<usize>(),
        C::SupportedVersions(versions) => 1 + 2 * versions.len(),
        C::SupportedGroups(groups) => 2 + 2 * groups.len(),
        C::SignatureAlgorithms(schemes) | C::SignatureAlgorithmsCert(schemes) => {
            2 + 2 * schemes.len()
        }
        C::KeyShare(shares) => 2 + shares.iter().map(|s| 4 + s.payload.len()).sum::<usize>(),
        C::Alpn(protocols) => 2 + protocols.iter().map(|p| 1 + p.len()).sum::<usize>(),
        C::Cookie(cookie) => 2 + cookie.len(),
        C::PskKeyExchangeModes(modes) => 1 + modes.len(),
        C::PreSharedKey(psks) => {
            2 + psks
                .identities
                .iter()
                .map(|i| 2 + i.identity.len() + 4)
                .sum::<usize>()
                + psks.binders_len()
        }
        C::EcPointFormats(formats) => 1 + formats.len(),
        C::RenegotiationInfo(info) => 1 + info.len(),
        C::Heartbeat(_) => 1,
        C::StatusRequest(data) | C::SessionTicket(data) | C::Unknown { data, .. } => data.len(),
        C::EarlyData | C::PostHandshakeAuth | C::ExtendedMasterSecret | C::EncryptThenMac => 0,
    };
    4 + body
}

/// Encrypted Client Hello as offered by the client (draft-ietf-tls-esni, 6.1).
#[derive(Debug)]
pub(crate) struct ClientEch {
    pub(crate) sender: EchSender,
    /// ClientHelloOuter.random: fresh, never the inner one (6.1, rule 4).
    pub(crate) outer_random: [u8; 32],
    /// The ClientHelloOuter last sent: the transcript's, should the server reject ECH.
    pub(crate) outer_hello: Vec<u8>,
    /// What a HelloRetryRequest said: accepted (true) or rejected (false).
    pub(crate) decided_at_retry: Option<bool>,
    /// The server rejected ECH: the handshake authenticates the public name, then
    /// fails with the retry configurations (6.1.6).
    pub(crate) rejected: bool,
    pub(crate) retry_configs: Option<Vec<u8>>,
}

/// What stays the same between the first and second ClientHello.
#[derive(Debug)]
pub(crate) struct HelloBase {
    pub(crate) config: Arc<ClientConfig>,
    pub(crate) server_name: ServerName<'static>,
    pub(crate) sni: Option<String>,
    pub(crate) random: [u8; 32],
    pub(crate) session_id: Vec<u8>,
    /// A TLS 1.2 session offered for resumption (its ID, or its ticket).
    pub(crate) resuming12: Option<Tls12Session>,
    /// A TLS 1.3 pre-shared key offered: a ticket, or an external PSK.
    pub(crate) ticket: Option<(OfferedPsk, &'static Tls13CipherSuite)>,
    /// Whether the first ClientHello offers 0-RTT data with the ticket.
    pub(crate) offer_early: bool,
    /// Encrypted Client Hello: `self` describes the inner ClientHello.
    pub(crate) ech: Option<ClientEch>,
    /// A GREASE ECH extension, made for the first ClientHello and repeated in the
    /// second (draft-ietf-tls-esni, 6.2.1).
    pub(crate) grease_ech: Option<ClientExtension>,
}

impl HelloBase {
    pub(crate) fn offers(&self, v: ProtocolVersion) -> bool {
        self.config.versions.contains(&v)
    }

    /// The name the server's certificate must cover: after an ECH rejection, the
    /// configuration's public name (draft-ietf-tls-esni, 6.1.7).
    pub(crate) fn auth_name(&self) -> Result<ServerName<'static>, Error> {
        match &self.ech {
            Some(e) if e.rejected => ServerName::try_from(e.sender.config().public_name.clone())
                .map_err(|_| {
                    ConfigError::OutOfRange {
                        what: "ECH public name",
                        reason: "it is not a DNS name".into(),
                    }
                    .into()
                }),
            _ => Ok(self.server_name.clone()),
        }
    }

    /// With ECH offered: the ClientHelloOuter wrapping `inner` (the ClientHello
    /// `client_hello` built), its encoding kept for the transcript in case the server
    /// rejects ECH (draft-ietf-tls-esni, 6.1 and 6.1.1). The outer hello carries the
    /// public name for SNI, no ALPN, and a GREASE PSK in place of a real one; its key
    /// shares are those of the inner hello, which refers to them instead of repeating
    /// them (5.1).
    pub(crate) fn seal_ech(
        &mut self,
        inner: &HandshakeMessage,
        first: bool,
    ) -> Result<Option<(HandshakeMessage, Vec<u8>)>, Error> {
        let (Some(ech), HandshakePayload::ClientHello(inner)) = (&mut self.ech, &inner.payload)
        else {
            return Ok(None);
        };
        let public_name = ech.sender.config().public_name.clone();
        let mut extensions = Vec::with_capacity(inner.extensions.len());
        for ext in &inner.extensions {
            match ext {
                ClientExtension::ServerName(_) => {
                    extensions.push(ClientExtension::ServerName(vec![ServerNameEntry {
                        name_type: ServerNameType::HostName,
                        name: public_name.as_bytes().to_vec(),
                    }]))
                }
                ClientExtension::Alpn(_) => {}
                // 6.1.2: the outer hello carries a GREASE pre_shared_key shaped like
                // the inner one, so a resumed handshake does not stand out.
                ClientExtension::PreSharedKey(psk) => extensions.push(
                    ClientExtension::PreSharedKey(grease_psk(psk, &self.config.provider)?),
                ),
                ClientExtension::Unknown { typ, .. }
                    if *typ == ExtensionType::EncryptedClientHello => {}
                other => extensions.push(other.clone()),
            }
        }
        if !extensions
            .iter()
            .any(|e| matches!(e, ClientExtension::ServerName(_)))
        {
            // An inner hello without SNI (an IP address) still names the public name.
            extensions.insert(
                0,
                ClientExtension::ServerName(vec![ServerNameEntry {
                    name_type: ServerNameType::HostName,
                    name: public_name.as_bytes().to_vec(),
                }]),
            );
        }
        let compress: &[ExtensionType] = if inner
            .extensions
            .iter()
            .any(|e| e.ext_type() == ExtensionType::KeyShare)
        {
            &[ExtensionType::KeyShare]
        } else {
            &[]
        };
        let encoded = ech::encode_inner(inner, compress, ech.sender.config().maximum_name_length);
        // The outer extensions plus the ECH extension (type, ids, enc, payload with
        // its tag) must fit in one 2^16-1 extensions block.
        let outer_len: usize = extensions.iter().map(extension_wire_len).sum::<usize>()
            + 4
            + 10
            + ech.sender.enc().len()
            + encoded.len()
            + 16;
        if outer_len > MAX_EXTENSIONS_LEN {
            return Err(ConfigError::OutOfRange {
                what: "ClientHello",
                reason: format!(
                    "with Encrypted Client Hello its extensions would take {outer_len} bytes, \
                     more than the {MAX_EXTENSIONS_LEN} allowed; offer fewer or shorter ALPN \
                     protocols"
                ),
            }
            .into());
        }
        let outer = ClientHello {
            legacy_version: inner.legacy_version,
            random: ech.outer_random,
            session_id: inner.session_id.clone(),
            cipher_suites: inner.cipher_suites.clone(),
            compression_methods: inner.compression_methods.clone(),
            extensions,
            empty_extensions_block: false,
        };
        let outer = ech.sender.seal_outer(outer, &encoded, first)?;
        let msg = HandshakeMessage::new(HandshakePayload::ClientHello(outer));
        let raw = msg.to_bytes();
        ech.outer_hello = raw.clone();
        Ok(Some((msg, raw)))
    }

    /// The ClientHello and its encoding; after HelloRetryRequest, `retry` is the
    /// transcript so far (the PSK binder covers it, RFC 8446, 4.2.11.2). With a PSK
    /// offered, also what computing its binder produced, for the handshake to reuse.
    ///
    /// All extensions share one 2^16-1 length. Resumption is optional, so a hello
    /// that would not fit offers no ticket or PSK (they are dropped from `self`, which
    /// then describes what was offered); one that still does not fit is an error.
    pub(crate) fn client_hello(
        &mut self,
        key_shares: &[KeyExchange],
        cookie: Option<&[u8]>,
        retry: Option<&Transcript>,
    ) -> Result<(HandshakeMessage, Vec<u8>, Option<BinderWork>), Error> {
        if self.grease_ech.is_none()
            && self.ech.is_none()
            && self.config.ech_grease
            && self.offers(ProtocolVersion::TLSv1_3)
        {
            let len: usize = self
                .extensions(key_shares, cookie, retry)
                .iter()
                .map(extension_wire_len)
                .sum();
            self.grease_ech = Some(grease_ech(&self.config.provider, len)?);
        }
        let mut ext = self.extensions(key_shares, cookie, retry);
        let mut len: usize = ext.iter().map(extension_wire_len).sum();
        let ticket12 = self
            .resuming12
            .as_ref()
            .is_some_and(|s| !s.ticket.is_empty());
        if len > MAX_EXTENSIONS_LEN && (self.ticket.is_some() || ticket12) {
            self.ticket = None;
            self.offer_early = false;
            // Offered by ticket, the session went with a fresh session ID: without the
            // ticket, nothing of it is offered.
            if ticket12 {
                self.resuming12 = None;
            }
            ext = self.extensions(key_shares, cookie, retry);
            len = ext.iter().map(extension_wire_len).sum();
        }
        if len > MAX_EXTENSIONS_LEN {
            return Err(match retry {
                Some(_) => PeerMisbehaved::BadHelloRetryRequest {
                    reason: "the second ClientHello it asks for would exceed the 65535 bytes \
                             a ClientHello's extensions may take",
                }
                .into(),
                None => ConfigError::OutOfRange {
                    what: "ClientHello",
                    reason: format!(
                        "its extensions would take {len} bytes, more than the \
                         {MAX_EXTENSIONS_LEN} allowed; offer fewer or shorter ALPN protocols"
                    ),
                }
                .into(),
            });
        }
        Ok(self.encode_hello(ext, retry))
    }

    /// The ClientHello's extensions, pre_shared_key last with a placeholder binder.
    fn extensions(
        &self,
        key_shares: &[KeyExchange],
        cookie: Option<&[u8]>,
        retry: Option<&Transcript>,
    ) -> Vec<ClientExtension> {
        let c = &self.config;
        let (tls13, tls12) = (
            self.offers(ProtocolVersion::TLSv1_3),
            self.offers(ProtocolVersion::TLSv1_2),
        );
        let mut ext = Vec::new();
        if let Some(name) = &self.sni {
            ext.push(ClientExtension::ServerName(vec![ServerNameEntry {
                name_type: ServerNameType::HostName,
                name: name.as_bytes().to_vec(),
            }]));
        }
        if tls13 {
            ext.push(ClientExtension::SupportedVersions(c.versions.clone()));
        }
        ext.push(ClientExtension::SupportedGroups(c.groups.clone()));
        ext.push(ClientExtension::SignatureAlgorithms(if tls12 {
            crate::tls12::tls12_schemes().to_vec()
        } else {
            sign::tls13_verify_schemes().to_vec()
        }));
        if tls13 {
            ext.push(ClientExtension::KeyShare(
                key_shares
                    .iter()
                    .map(|k| KeyShareEntry {
                        group: k.group(),
                        payload: k.public_share().to_vec(),
                    })
                    .collect(),
            ));
        }
        if !c.alpn.is_empty() {
            ext.push(ClientExtension::Alpn(c.alpn.clone()));
        }
        if let Some(cookie) = cookie {
            ext.push(ClientExtension::Cookie(cookie.to_vec()));
        }
        if tls12 {
            // RFC 7627, RFC 5746, RFC 8422 5.1.2, RFC 5077.
            ext.push(ClientExtension::ExtendedMasterSecret);
            ext.push(ClientExtension::RenegotiationInfo(Vec::new()));
            ext.push(ClientExtension::EcPointFormats(vec![
                ECPointFormat::Uncompressed,
            ]));
            if c.enable_tickets {
                let ticket = self
                    .resuming12
                    .as_ref()
                    .map(|s| s.ticket.clone())
                    .unwrap_or_default();
                ext.push(ClientExtension::SessionTicket(ticket));
            }
            if c.suites12.iter().any(|s| s.legacy) {
                ext.push(ClientExtension::EncryptThenMac);
            }
            if c.heartbeat {
                // RFC 6520, 2: we ask to send requests, and answer none.
                ext.push(ClientExtension::Heartbeat(
                    HeartbeatMode::PeerNotAllowedToSend,
                ));
            }
        }
        if c.request_ocsp {
            // RFC 6066, 8: status_type ocsp, no responder IDs, no extensions.
            ext.push(ClientExtension::StatusRequest(vec![1, 0, 0, 0, 0]));
        }
        if tls13 {
            ext.push(ClientExtension::PskKeyExchangeModes(vec![
                PskKeyExchangeMode::PskDheKe,
            ]));
            // RFC 8446, 4.2.6: we answer CertificateRequests after the handshake.
            if c.post_handshake_auth {
                ext.push(ClientExtension::PostHandshakeAuth);
            }
        }
        if self.ech.is_some() {
            // draft-ietf-tls-esni, 6.1, rule 4: the inner hello says it is one.
            ext.push(ech::inner_extension());
        } else if let Some(grease) = self.grease_ech.as_ref().filter(|_| tls13) {
            ext.push(grease.clone());
        }
        let ticket = self.ticket.as_ref().filter(|_| tls13);
        if let Some((t, suite)) = ticket {
            if self.offer_early && retry.is_none() {
                ext.push(ClientExtension::EarlyData);
            }
            // RFC 8446, 4.2.11: pre_shared_key is last; its binder is filled in below.
            ext.push(ClientExtension::PreSharedKey(OfferedPsks {
                identities: vec![PskIdentity {
                    identity: t.identity.clone(),
                    obfuscated_ticket_age: t.obfuscated_age,
                }],
                binders: vec![vec![0; suite.hash.output_len()]],
            }));
        }
        ext
    }

    /// Encodes the ClientHello with `ext` (which fit) and fills in its binder.
    fn encode_hello(
        &self,
        ext: Vec<ClientExtension>,
        retry: Option<&Transcript>,
    ) -> (HandshakeMessage, Vec<u8>, Option<BinderWork>) {
        let c = &self.config;
        let (tls13, tls12) = (
            self.offers(ProtocolVersion::TLSv1_3),
            self.offers(ProtocolVersion::TLSv1_2),
        );
        let ticket = self.ticket.as_ref().filter(|_| tls13);
        let mut suites: Vec<CipherSuite> = Vec::new();
        if tls13 {
            suites.extend(c.suites.iter().map(|s| s.suite));
        }
        if tls12 {
            suites.extend(c.suites12.iter().map(|s| s.suite));
        }
        let hello = ClientHello {
            legacy_version: ProtocolVersion::TLSv1_2,
            random: self.random,
            session_id: self.session_id.clone(),
            cipher_suites: suites,
            compression_methods: vec![0],
            extensions: ext,
            empty_extensions_block: false,
        };
        let binders_len = hello.psk().map(|p| p.binders_len());
        let mut msg = HandshakeMessage::new(HandshakePayload::ClientHello(hello));
        // Encoded once, with placeholder binders of their final size; the binder,
        // last in the message, is written into the encoding once computed.
        let mut raw = msg.to_bytes();
        let (Some((t, suite)), Some(binders_len)) = (ticket, binders_len) else {
            return (msg, raw, None);
        };
        let truncated_len = raw.len().saturating_sub(binders_len);
        let mut transcript = retry
            .cloned()
            .unwrap_or_else(|| Transcript::new(suite.hash));
        transcript.add(raw.get(..truncated_len).unwrap_or_default());
        let early = EarlySecret::new(suite, Some(t.psk.as_bytes()));
        let binder = early.psk_binder(t.resumption, transcript.current().as_ref());
        let binder_at = raw.len().saturating_sub(binder.as_ref().len());
        if let Some(dst) = raw.get_mut(binder_at..) {
            dst.copy_from_slice(binder.as_ref());
        }
        if let HandshakePayload::ClientHello(hello) = &mut msg.payload {
            if let Some(b) = hello.psk_mut().and_then(|p| p.binders.first_mut()) {
                *b = binder.as_ref().to_vec();
            }
        }
        let work = BinderWork {
            early,
            transcript,
            truncated_len,
        };
        (msg, raw, Some(work))
    }

    pub(crate) fn offered_suite(
        &self,
        suite: CipherSuite,
    ) -> Result<&'static Tls13CipherSuite, Error> {
        self.config
            .suites
            .iter()
            .find(|s| s.suite == suite)
            .copied()
            .ok_or_else(|| {
                PeerMisbehaved::SelectedUnoffered {
                    what: "cipher suite",
                    value: suite.to_string(),
                }
                .into()
            })
    }
}

/// draft-ietf-tls-esni, 6.1.2: for each identity and binder of `inner`, random bytes
/// of the same length, and a random obfuscated_ticket_age.
fn grease_psk(
    inner: &OfferedPsks,
    provider: &crate::crypto::Provider,
) -> Result<OfferedPsks, Error> {
    let random = |len: usize| -> Result<Vec<u8>, Error> {
        let mut bytes = vec![0u8; len];
        provider.random.fill(&mut bytes)?;
        Ok(bytes)
    };
    let mut identities = Vec::with_capacity(inner.identities.len());
    for id in &inner.identities {
        identities.push(PskIdentity {
            identity: random(id.identity.len())?,
            obfuscated_ticket_age: u32::from_be_bytes(provider.random_array::<4>()?),
        });
    }
    let mut binders = Vec::with_capacity(inner.binders.len());
    for b in &inner.binders {
        binders.push(random(b.len())?);
    }
    Ok(OfferedPsks {
        identities,
        binders,
    })
}

/// draft-ietf-tls-esni, 6.2.1: a GREASE encrypted_client_hello extension: a random
/// config_id, HKDF-SHA256 with AES-128-GCM, a valid X25519 public key as enc, and a
/// random payload as long as the sealed inner hello of a ClientHello whose
/// extensions take `extensions_len` bytes would be (padded as in 6.1.3).
fn grease_ech(
    provider: &crate::crypto::Provider,
    extensions_len: usize,
) -> Result<ClientExtension, Error> {
    use crate::crypto::hpke::{HpkeKem, HpkeKeyPair};
    let key = HpkeKeyPair::generate(HpkeKem::DhkemX25519HkdfSha256, provider.random.as_ref())
        .map_err(|e| EchError::Hpke {
            operation: "key generation for GREASE ECH",
            reason: e.to_string(),
        })?;
    // The ClientHello's fixed fields (version, random, empty session ID, a few
    // suites, compression) take about 48 bytes; then rounding to 32 and the tag.
    const FIXED_FIELDS: usize = 48;
    const TAG_LEN: usize = 16;
    let padded = (extensions_len + FIXED_FIELDS).div_ceil(32) * 32;
    let mut payload = vec![0; padded + TAG_LEN];
    provider.random.fill(&mut payload)?;
    let [config_id] = provider.random_array::<1>()?;
    Ok(ech::EchClientHello::Outer {
        kdf: ech::KDF_HKDF_SHA256,
        aead: ech::AEAD_AES_128_GCM,
        config_id,
        enc: key.public_key().to_vec(),
        payload,
    }
    .to_extension())
}

/// What computing a ClientHello's PSK binder produced, kept so the handshake need
/// not redo it: the PSK's Early Secret, and the transcript hash through the
/// ClientHello up to its binders (which start at `truncated_len`).
#[derive(Debug)]
pub(crate) struct BinderWork {
    pub(crate) early: EarlySecret,
    pub(crate) transcript: Transcript,
    pub(crate) truncated_len: usize,
}

impl BinderWork {
    /// The transcript through the whole ClientHello `raw`.
    pub(crate) fn full_transcript(mut self, raw: &[u8]) -> (Transcript, EarlySecret) {
        self.transcript
            .add(raw.get(self.truncated_len..).unwrap_or_default());
        (self.transcript, self.early)
    }
}

/// A pre-shared key the client offers (RFC 8446, 4.2.11).
#[derive(Debug)]
pub(crate) struct OfferedPsk {
    pub(crate) identity: Vec<u8>,
    pub(crate) obfuscated_age: u32,
    pub(crate) psk: crate::crypto::Secret,
    /// A resumption ticket ("res binder"), or an external PSK ("ext binder").
    pub(crate) resumption: bool,
    pub(crate) max_early_data: u32,
}

/// The configured external PSK, else a stored ticket that is still valid and whose
/// suite we still offer.
pub(crate) fn usable_psk(
    config: &ClientConfig,
    server_name: &str,
) -> Option<(OfferedPsk, &'static Tls13CipherSuite)> {
    if let Some(ext) = &config.external_psk {
        let suite = config.suites.iter().copied().find(|s| s.hash == ext.hash)?;
        return Some((
            OfferedPsk {
                identity: ext.identity.clone(),
                // RFC 8446, 4.2.11: 0 for identities not established by tickets.
                obfuscated_age: 0,
                psk: crate::crypto::Secret::from(ext.key.as_bytes().to_vec()),
                resumption: false,
                max_early_data: 0,
            },
            suite,
        ));
    }
    let ticket: Tls13Ticket = config.session_store.take_tls13_ticket(server_name)?;
    // Never stored by us; a store of the application's own may hold one.
    if ticket.ticket.len() > MAX_TICKET_LEN {
        return None;
    }
    let now = config.provider.time.now().as_secs();
    let expires = ticket.received_at.as_secs() + u64::from(ticket.lifetime);
    if now >= expires {
        return None;
    }
    let suite = config
        .suites
        .iter()
        .copied()
        .find(|s| s.suite == ticket.suite)?;
    // RFC 8446, 4.2.11.1: the age in ms plus age_add, modulo 2^32.
    let age_ms = now
        .saturating_sub(ticket.received_at.as_secs())
        .saturating_mul(1000);
    Some((
        OfferedPsk {
            identity: ticket.ticket,
            obfuscated_age: (age_ms as u32).wrapping_add(ticket.age_add),
            psk: ticket.psk,
            resumption: true,
            max_early_data: ticket.max_early_data.unwrap_or(0),
        },
        suite,
    ))
}

#[derive(Debug)]
pub(crate) enum HelloProgress {
    /// No HelloRetryRequest yet: the transcript is the first ClientHello's bytes;
    /// with a PSK offered, already hashed with the PSK's hash, and its Early Secret.
    First {
        client_hello: Vec<u8>,
        offered: Option<(Transcript, EarlySecret)>,
    },
    /// After HelloRetryRequest: the suite is fixed and the transcript hash running;
    /// with a PSK offered, its Early Secret.
    Retried {
        suite: &'static Tls13CipherSuite,
        transcript: Transcript,
        early: Option<EarlySecret>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Codec;
    use crate::msgs::enums::{ExtensionType, SignatureScheme};

    #[test]
    fn extension_wire_len_is_what_encoding_writes() {
        use ClientExtension as C;
        let every = [
            C::ServerName(vec![ServerNameEntry {
                name_type: ServerNameType::HostName,
                name: b"example.com".to_vec(),
            }]),
            C::SupportedVersions(vec![ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2]),
            C::SupportedGroups(vec![NamedGroup::X25519, NamedGroup::secp256r1]),
            C::SignatureAlgorithms(vec![SignatureScheme::ED25519]),
            C::SignatureAlgorithmsCert(vec![SignatureScheme::ED25519; 3]),
            C::KeyShare(vec![
                KeyShareEntry {
                    group: NamedGroup::X25519,
                    payload: vec![1; 32],
                },
                KeyShareEntry {
                    group: NamedGroup::secp256r1,
                    payload: vec![4; 65],
                },
            ]),
            C::Alpn(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            C::Cookie(vec![9; 300]),
            C::PskKeyExchangeModes(vec![PskKeyExchangeMode::PskDheKe]),
            C::PreSharedKey(OfferedPsks {
                identities: vec![
                    PskIdentity {
                        identity: vec![7; 200],
                        obfuscated_ticket_age: 5,
                    },
                    PskIdentity {
                        identity: vec![8; 3],
                        obfuscated_ticket_age: 6,
                    },
                ],
                binders: vec![vec![0; 32], vec![0; 48]],
            }),
            C::EarlyData,
            C::StatusRequest(vec![1, 0, 0, 0, 0]),
            C::PostHandshakeAuth,
            C::EcPointFormats(vec![ECPointFormat::Uncompressed]),
            C::ExtendedMasterSecret,
            C::RenegotiationInfo(vec![1, 2]),
            C::SessionTicket(vec![3; 1000]),
            C::EncryptThenMac,
            C::Heartbeat(HeartbeatMode::PeerNotAllowedToSend),
            C::Unknown {
                typ: ExtensionType::Unknown(0xfafa),
                data: vec![0; 17],
            },
        ];
        for ext in &every {
            let mut out = Vec::new();
            ext.encode(&mut out);
            assert_eq!(extension_wire_len(ext), out.len(), "{ext:?}");
        }
    }

    #[test]
    fn hybrid_first_also_shares_x25519() {
        let groups = [
            NamedGroup::X25519MLKEM768,
            NamedGroup::X25519,
            NamedGroup::secp256r1,
        ];
        assert_eq!(
            default_share_groups(&groups),
            vec![NamedGroup::X25519MLKEM768, NamedGroup::X25519]
        );
        assert_eq!(
            default_share_groups(&[NamedGroup::secp256r1, NamedGroup::X25519]),
            vec![NamedGroup::secp256r1]
        );
    }
}
