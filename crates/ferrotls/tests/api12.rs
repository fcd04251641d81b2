//! TLS 1.2 API tests on an in-memory client/server pair: every suite, resumption by
//! ticket and by session ID (the extended master secret has tests/ems.rs), the downgrade sentinel,
//! TLS_FALLBACK_SCSV, heartbeats (RFC 6520) and the key log.

mod pair;

use std::io::Write;
use std::sync::Arc;

use ferrotls::error::{ApiError, NoCommon, PeerMisbehaved};
use ferrotls::msgs::enums::{
    AlertDescription, AlertLevel, CipherSuite, ContentType, ExtensionType, HeartbeatMode,
    NamedGroup, ProtocolVersion, SignatureScheme,
};
use ferrotls::msgs::{
    AlertMessage, ClientExtension, ServerExtension, DOWNGRADE_TLS11, DOWNGRADE_TLS12,
};
use ferrotls::observe::KeyLogFile;
use ferrotls::server::ServerConfig;
use ferrotls::tls12::suites::{KeyExchangeAlgorithm, SignatureAlgorithm, Tls12CipherSuite};
use ferrotls::tls12::{DEFAULT_TLS12_SUITES, LEGACY_TLS12_SUITES};
use ferrotls::Error;

use pair::{
    client_config, ecdsa, edit_server_hello, hex, rsa, server_config, split_records, unhex,
    Hello12, Identity, KeyCapture, Keys12, Pair, Shared, Side, BOTH,
};

const TLS12: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_2];

/// The certificate a suite needs: ECDSA for ECDHE_ECDSA, RSA otherwise.
fn identity_for(suite: &Tls12CipherSuite) -> Identity {
    match suite.sign {
        SignatureAlgorithm::Ecdsa => ecdsa(),
        SignatureAlgorithm::Rsa => rsa(),
    }
}

/// A TLS 1.2-only client offering just `suite`, against a server with every suite
/// (legacy ones too when `suite` is legacy) and the suite's certificate.
fn pair_for(suite: &Tls12CipherSuite) -> Pair {
    let id = identity_for(suite);
    let mut client = client_config(&[&id])
        .versions(TLS12)
        .cipher_suites(&[suite.suite]);
    let mut server = server_config(&[&id]);
    if suite.legacy {
        client = client.enable_legacy_tls12_suites();
        server = server.enable_legacy_tls12_suites();
    }
    Pair::new(client, server)
}

/// The pattern a test sends: distinct bytes, long enough for several records.
fn payload(from: Side, len: usize) -> Vec<u8> {
    let tag = match from {
        Side::Client => 0x11u8,
        Side::Server => 0x77u8,
    };
    (0..len).map(|i| (i as u8).wrapping_mul(31) ^ tag).collect()
}

/// Sends `len` bytes each way; every record must open with `keys` (derived from the
/// key log) at the expected sequence numbers, starting at `seq`; returns the next
/// sequence numbers (client, server).
fn exchange_checked(p: &mut Pair, keys: &Keys12, seq: (u64, u64), len: usize) -> (u64, u64) {
    let mut next = seq;
    for from in BOTH {
        let msg = payload(from, len);
        p.conn(from).writer().write_all(&msg).expect("write");
        let bytes = p.take(from);
        let n = match from {
            Side::Client => &mut next.0,
            Side::Server => &mut next.1,
        };
        let mut opened = Vec::new();
        for r in split_records(&bytes) {
            assert_eq!(
                r.typ,
                ContentType::ApplicationData,
                "{from:?}'s record type"
            );
            let plain = keys.open_at(from, &r, *n).unwrap_or_else(|| {
                panic!("{from:?}'s record {n} does not open with the keys from the key log")
            });
            opened.extend(plain);
            *n += 1;
        }
        assert_eq!(opened, msg, "what the key-log keys decrypt from {from:?}");
        p.deliver(from.peer(), &bytes)
            .expect("the peer accepts the data");
        assert_eq!(p.read(from.peer()).0, msg, "data from {from:?}");
    }
    next
}

fn check_negotiated(p: &Pair, suite: &Tls12CipherSuite, hello: &Hello12) {
    for side in BOTH {
        let n = p.conn_ref(side).negotiated();
        let ctx = format!("{side:?} side with {suite:?}");
        assert_eq!(n.version, Some(ProtocolVersion::TLSv1_2), "{ctx}");
        assert_eq!(
            p.conn_ref(side).protocol_version(),
            Some(ProtocolVersion::TLSv1_2),
            "{ctx}"
        );
        assert_eq!(n.cipher_suite, Some(suite.suite), "{ctx}");
        assert_eq!(n.suite12.map(|s| s.suite), Some(suite.suite), "{ctx}");
        assert!(n.suite.is_none(), "{ctx}: a TLS 1.3 suite is set");
        assert!(n.extended_master_secret, "{ctx}: no extended master secret");
        assert!(!n.resumed, "{ctx}");
        match suite.kx {
            KeyExchangeAlgorithm::Ecdhe => {
                assert_eq!(n.group, Some(NamedGroup::X25519), "{ctx}");
                let scheme = match suite.sign {
                    SignatureAlgorithm::Ecdsa => SignatureScheme::ECDSA_NISTP256_SHA256,
                    SignatureAlgorithm::Rsa => SignatureScheme::RSA_PSS_RSAE_SHA256,
                };
                assert_eq!(n.signature_scheme, Some(scheme), "{ctx}");
            }
            KeyExchangeAlgorithm::Rsa => {
                assert_eq!(n.group, None, "{ctx}: static RSA has no group");
                assert_eq!(n.signature_scheme, None, "{ctx}: static RSA signs nothing");
            }
        }
    }
    assert_eq!(p.client.peer_certificates().len(), 2, "leaf and CA");
    // RFC 7366: encrypt-then-MAC for CBC suites (our client offers it with legacy
    // suites); never acknowledged for AEAD suites (RFC 7366, 3).
    let cbc = matches!(suite.bulk, ferrotls::tls12::suites::Bulk::Cbc { .. });
    assert_eq!(
        hello.has(ExtensionType::EncryptThenMac),
        cbc,
        "{suite:?}: EtM in ServerHello"
    );
    assert!(
        hello.has(ExtensionType::ExtendedMasterSecret),
        "{suite:?}: EMS in ServerHello"
    );
    assert!(
        hello.has(ExtensionType::RenegotiationInfo),
        "{suite:?}: renegotiation_info"
    );
}

fn run_suite(suite: &'static Tls12CipherSuite) {
    let mut p = pair_for(suite);
    let hello = p
        .handshake12()
        .unwrap_or_else(|(side, e)| panic!("{suite:?}: {side:?} failed: {e}"));
    assert_eq!(hello.suite.suite, suite.suite);
    check_negotiated(&p, suite, &hello);
    let keys = Keys12::from_log(&p.client_keys, &hello);
    // Finished used sequence 0 each way; then one short and one multi-record message.
    let seq = exchange_checked(&mut p, &keys, (1, 1), 100);
    let seq = exchange_checked(&mut p, &keys, seq, 40_000);
    assert_eq!(seq, (5, 5), "{suite:?}: 1 + 1 + 3 records each way");
}

#[test]
fn every_default_suite_with_its_certificate_type() {
    assert_eq!(DEFAULT_TLS12_SUITES.len(), 6);
    for suite in DEFAULT_TLS12_SUITES {
        run_suite(suite);
    }
}

#[test]
fn every_legacy_suite_when_both_sides_enable_them() {
    assert_eq!(LEGACY_TLS12_SUITES.len(), 14);
    for suite in LEGACY_TLS12_SUITES {
        run_suite(suite);
    }
}

#[test]
fn legacy_suites_are_off_unless_enabled() {
    let id = rsa();
    let err = client_config(&[&id])
        .cipher_suites(&[CipherSuite::TLS_RSA_WITH_AES_128_CBC_SHA])
        .build()
        .expect_err("a legacy suite without opting in");
    assert_eq!(
        err.to_string(),
        "invalid cipher suite: TLS_RSA_WITH_AES_128_CBC_SHA is a legacy suite (no forward secrecy or CBC); enable legacy TLS 1.2 suites explicitly to use it"
    );
    let err = ServerConfig::builder()
        .cert(id.chain.clone(), &id.key())
        .expect("cert")
        .cipher_suites(&[CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256])
        .build()
        .expect_err("a legacy suite without opting in");
    assert!(err.to_string().contains("is a legacy suite"), "{err}");

    // A default client offers none of them: a legacy-only server finds nothing.
    let mut p = Pair::new(
        client_config(&[&id]).versions(TLS12),
        server_config(&[&id])
            .enable_legacy_tls12_suites()
            .cipher_suites(&[CipherSuite::TLS_RSA_WITH_AES_128_GCM_SHA256]),
    );
    let (ch, _) = pair::client_hello_of(&mut p.client);
    let offered = match pair::first_message(&ch).payload {
        ferrotls::msgs::HandshakePayload::ClientHello(c) => c.cipher_suites,
        _ => unreachable!(),
    };
    for s in LEGACY_TLS12_SUITES {
        assert!(!offered.contains(&s.suite), "{s:?} offered by default");
    }
    let err = p.deliver(Side::Server, &ch).expect_err("no common suite");
    assert!(
        matches!(err, Error::NoCommonParameters(NoCommon::CipherSuite { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("no cipher suite in common: the peer offered "),
        "{err}"
    );
    assert_eq!(err.alert(), Some(AlertDescription::HandshakeFailure));
    let alert = pair::alert12_sent_by(&mut p, Side::Server, None).expect("an alert");
    assert_eq!(alert.description, AlertDescription::HandshakeFailure);
    assert_eq!(alert.level, AlertLevel::Fatal);
}

// ---------------------------------------------------------------------------------
// Resumption

/// One connection: the ClientHello it sent, the ServerHello it got, and the pair.
struct Conn {
    client_hello: ferrotls::msgs::ClientHello,
    hello: Hello12,
    pair: Pair,
}

fn connect(shared: &Shared) -> Conn {
    let mut p = shared.connect();
    let (flight, client_hello) = pair::client_hello_of(&mut p.client);
    p.deliver(Side::Server, &flight)
        .expect("server accepts the ClientHello");
    let hello = p
        .handshake12()
        .unwrap_or_else(|(side, e)| panic!("{side:?} failed: {e}"));
    Conn {
        client_hello,
        hello,
        pair: p,
    }
}

fn ticket_in(ch: &ferrotls::msgs::ClientHello) -> Option<Vec<u8>> {
    ch.extensions.iter().find_map(|e| match e {
        ClientExtension::SessionTicket(t) => Some(t.clone()),
        _ => None,
    })
}

fn check_resumed(c: &mut Conn, resumed: bool, what: &str) {
    for side in BOTH {
        let n = c.pair.conn_ref(side).negotiated();
        assert_eq!(n.resumed, resumed, "{what}: {side:?} resumed");
        assert_eq!(
            n.version,
            Some(ProtocolVersion::TLSv1_2),
            "{what}: {side:?}"
        );
        // RFC 7627, 5.3: a session resumed keeps the extended master secret.
        assert!(n.extended_master_secret, "{what}: {side:?} EMS");
        assert_eq!(
            n.cipher_suite,
            Some(CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
            "{what}: {side:?}"
        );
    }
    assert!(
        c.hello.has(ExtensionType::ExtendedMasterSecret),
        "{what}: EMS in ServerHello"
    );
    c.pair.round_trip();
}

#[test]
fn resumption_by_ticket_keeps_the_extended_master_secret() {
    let id = ecdsa();
    let shared = Shared::new(client_config(&[&id]).versions(TLS12), server_config(&[&id]));
    let mut first = connect(&shared);
    assert_eq!(
        ticket_in(&first.client_hello),
        Some(Vec::new()),
        "an empty ticket asks for one"
    );
    assert!(
        first.hello.has(ExtensionType::SessionTicket),
        "the server acknowledges"
    );
    check_resumed(&mut first, false, "first connection");
    assert_eq!(
        first.pair.client.negotiated().tickets_received,
        0,
        "TLS 1.3 counter only"
    );
    let master = shared
        .server_keys
        .secret("CLIENT_RANDOM")
        .expect("master logged");

    for n in 2..=3 {
        let mut again = connect(&shared);
        let ticket = ticket_in(&again.client_hello).expect("a session_ticket extension");
        assert!(!ticket.is_empty(), "connection {n} offers the ticket");
        // RFC 5077, 3.4: the server accepting a ticket echoes the client's session ID.
        assert_eq!(again.client_hello.session_id.len(), 32, "connection {n}");
        assert_eq!(
            again.hello.session_id, again.client_hello.session_id,
            "connection {n}"
        );
        check_resumed(&mut again, true, &format!("connection {n}"));
    }
    // Only the first connection was a full handshake.
    assert_eq!(shared.recorder.count("sent Certificate"), 1);
    assert_eq!(shared.recorder.count("sent ServerKeyExchange"), 1);
    assert_eq!(
        shared.recorder.count("sent NewSessionTicket"),
        3,
        "a fresh ticket each time"
    );
    assert_eq!(shared.server_keys.secret("CLIENT_RANDOM"), Some(master));
}

fn resume_by_session_id(shared: &Shared) {
    let mut first = connect(shared);
    assert!(
        !first.hello.has(ExtensionType::SessionTicket),
        "no ticket acknowledged"
    );
    assert_eq!(
        first.hello.session_id.len(),
        32,
        "the server assigns a session ID"
    );
    check_resumed(&mut first, false, "first connection");
    for n in 2..=3 {
        let mut again = connect(shared);
        assert_eq!(
            again.client_hello.session_id, first.hello.session_id,
            "connection {n} offers the session ID"
        );
        assert!(
            ticket_in(&again.client_hello).is_none_or(|t| t.is_empty()),
            "connection {n}: no ticket"
        );
        assert_eq!(
            again.hello.session_id, first.hello.session_id,
            "connection {n} echoed"
        );
        check_resumed(&mut again, true, &format!("connection {n}"));
    }
    assert_eq!(shared.recorder.count("sent Certificate"), 1);
}

#[test]
fn resumption_by_session_id_when_the_server_issues_no_tickets() {
    let id = ecdsa();
    let shared = Shared::new(
        client_config(&[&id]).versions(TLS12),
        server_config(&[&id]).session_tickets(false),
    );
    resume_by_session_id(&shared);
}

#[test]
fn resumption_by_session_id_when_the_client_asks_for_no_tickets() {
    let id = ecdsa();
    let shared = Shared::new(
        client_config(&[&id]).versions(TLS12).session_tickets(false),
        server_config(&[&id]),
    );
    resume_by_session_id(&shared);
}

#[test]
fn resumed_sessions_are_in_the_key_log() {
    // Wireshark needs a CLIENT_RANDOM line for every connection, resumed ones too:
    // each has its own client random (NSS key log format).
    let id = ecdsa();
    let shared = Shared::new(client_config(&[&id]).versions(TLS12), server_config(&[&id]));
    let first = connect(&shared);
    let master = shared
        .client_keys
        .secret("CLIENT_RANDOM")
        .expect("first master");
    let mut again = connect(&shared);
    assert!(again.pair.client.negotiated().resumed);
    for (side, log) in [
        ("client", &shared.client_keys),
        ("server", &shared.server_keys),
    ] {
        let randoms: Vec<Vec<u8>> = log
            .labels()
            .iter()
            .zip(log.client_randoms())
            .filter(|(l, _)| *l == "CLIENT_RANDOM")
            .map(|(_, r)| r)
            .collect();
        assert_eq!(
            randoms,
            vec![
                first.client_hello.random.to_vec(),
                again.client_hello.random.to_vec()
            ],
            "{side}'s CLIENT_RANDOM lines: one per connection, resumed included"
        );
        assert_eq!(log.secret("CLIENT_RANDOM"), Some(master.clone()), "{side}");
    }
    let keys = Keys12::new(
        again.hello.suite,
        &master,
        again.client_hello.random,
        again.hello.random,
        false,
    );
    exchange_checked(&mut again.pair, &keys, (1, 1), 64);
}

// ---------------------------------------------------------------------------------
// Version negotiation: the downgrade sentinel (RFC 8446, 4.1.3), TLS_FALLBACK_SCSV

fn without(ext: ExtensionType) -> impl FnOnce(&mut ferrotls::msgs::ClientHello) {
    move |ch| ch.extensions.retain(|e| e.ext_type() != ext)
}

fn server_random_tail(hello: &Hello12) -> [u8; 8] {
    hello.random[24..].try_into().expect("8 bytes")
}

#[test]
fn the_server_marks_its_random_only_when_it_could_have_done_tls13() {
    let id = ecdsa();
    // A TLS 1.3-capable server negotiating 1.2 with a 1.2-only client sets the marker;
    // the 1.2-only client does not check it (RFC 8446, 4.1.3 is for 1.3 clients).
    let mut p = Pair::new(client_config(&[&id]).versions(TLS12), server_config(&[&id]));
    let hello = p
        .handshake12()
        .unwrap_or_else(|(s, e)| panic!("{s:?}: {e}"));
    assert_eq!(server_random_tail(&hello), DOWNGRADE_TLS12);
    p.round_trip();

    // A 1.2-only server is not a TLS 1.3 server: no marker.
    let mut p = Pair::new(
        client_config(&[&id]).versions(TLS12),
        server_config(&[&id]).versions(TLS12),
    );
    let hello = p
        .handshake12()
        .unwrap_or_else(|(s, e)| panic!("{s:?}: {e}"));
    assert_ne!(server_random_tail(&hello), DOWNGRADE_TLS12);
    assert_ne!(server_random_tail(&hello), DOWNGRADE_TLS11);
}

#[test]
fn a_client_offering_both_versions_gets_tls12_from_a_tls12_server() {
    let id = ecdsa();
    let mut p = Pair::new(client_config(&[&id]), server_config(&[&id]).versions(TLS12));
    let hello = p
        .handshake12()
        .unwrap_or_else(|(s, e)| panic!("{s:?}: {e}"));
    assert_eq!(
        hello.suite.suite,
        CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    );
    for side in BOTH {
        assert_eq!(
            p.conn_ref(side).protocol_version(),
            Some(ProtocolVersion::TLSv1_2)
        );
    }
    p.round_trip();
}

const DOWNGRADE_TEXT: &str = "the server's random carries the RFC 8446 downgrade marker for TLSv1.2: an attacker may be forcing an older version";

#[test]
fn stripping_supported_versions_is_caught_by_the_sentinel() {
    // An attacker removes supported_versions so that our 1.3 server speaks 1.2; the
    // server marks its random and our 1.3 client refuses.
    let id = ecdsa();
    let mut p = Pair::new(client_config(&[&id]), server_config(&[&id]));
    p.send_edited_client_hello(without(ExtensionType::SupportedVersions))
        .expect("the server accepts a 1.2 ClientHello");
    assert_eq!(p.server.protocol_version(), Some(ProtocolVersion::TLSv1_2));
    let flight = p.take(Side::Server);
    assert_eq!(server_random_tail(&Hello12::of(&flight)), DOWNGRADE_TLS12);
    let err = p
        .deliver(Side::Client, &flight)
        .expect_err("downgrade detected");
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::DowngradeDetected {
            to: ProtocolVersion::TLSv1_2
        })
    );
    assert_eq!(err.to_string(), DOWNGRADE_TEXT);
    let alert = pair::alert12_sent_by(&mut p, Side::Client, None).expect("an alert");
    assert_eq!(
        alert,
        AlertMessage {
            level: AlertLevel::Fatal,
            description: AlertDescription::IllegalParameter
        }
    );
}

#[test]
fn a_crafted_sentinel_is_refused_by_a_tls13_client() {
    let id = ecdsa();
    for (marker, to) in [
        (DOWNGRADE_TLS12, ProtocolVersion::TLSv1_2),
        (DOWNGRADE_TLS11, ProtocolVersion::TLSv1_1),
    ] {
        let mut p = Pair::new(client_config(&[&id]), server_config(&[&id]).versions(TLS12));
        p.transfer(Side::Client).expect("ClientHello");
        let mut flight = p.take(Side::Server);
        edit_server_hello(&mut flight, |sh| sh.random[24..].copy_from_slice(&marker));
        let err = p
            .deliver(Side::Client, &flight)
            .expect_err("downgrade detected");
        assert_eq!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::DowngradeDetected { to }),
            "{to}"
        );
        assert_eq!(
            err.to_string(),
            format!("the server's random carries the RFC 8446 downgrade marker for {to}: an attacker may be forcing an older version")
        );
        let alert = pair::alert12_sent_by(&mut p, Side::Client, None).expect("an alert");
        assert_eq!(
            alert.description,
            AlertDescription::IllegalParameter,
            "{to}"
        );
    }
}

fn with_fallback_scsv(ch: &mut ferrotls::msgs::ClientHello) {
    ch.cipher_suites.push(CipherSuite::TLS_FALLBACK_SCSV);
}

#[test]
fn fallback_scsv_to_a_tls13_server_is_inappropriate_fallback() {
    let id = ecdsa();
    let mut p = Pair::new(client_config(&[&id]).versions(TLS12), server_config(&[&id]));
    let err = p
        .send_edited_client_hello(with_fallback_scsv)
        .expect_err("RFC 7507");
    assert_eq!(
        err,
        Error::PeerMisbehaved(PeerMisbehaved::InappropriateFallback)
    );
    assert_eq!(
        err.to_string(),
        "the client retried with a lower version (TLS_FALLBACK_SCSV) although both sides support TLS 1.3: something interfered with the first attempt"
    );
    let alert = pair::alert12_sent_by(&mut p, Side::Server, None).expect("an alert");
    assert_eq!(
        alert,
        AlertMessage {
            level: AlertLevel::Fatal,
            description: AlertDescription::InappropriateFallback
        }
    );

    // RFC 7507, 3: a server whose best version is the one offered carries on.
    let mut p = Pair::new(
        client_config(&[&id]).versions(TLS12),
        server_config(&[&id]).versions(TLS12),
    );
    p.send_edited_client_hello(with_fallback_scsv)
        .expect("a 1.2-only server accepts the fallback");
    assert_eq!(p.server.protocol_version(), Some(ProtocolVersion::TLSv1_2));
}

// ---------------------------------------------------------------------------------
// Heartbeat (RFC 6520)

fn heartbeat_pair(client: bool, server: bool) -> (Pair, Hello12) {
    let id = ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).versions(TLS12).heartbeat(client),
        server_config(&[&id]).heartbeat(server),
    );
    let hello = p
        .handshake12()
        .unwrap_or_else(|(s, e)| panic!("{s:?}: {e}"));
    (p, hello)
}

fn heartbeat_mode(hello: &Hello12) -> Option<HeartbeatMode> {
    hello.extensions.iter().find_map(|e| match e {
        ServerExtension::Heartbeat(m) => Some(*m),
        _ => None,
    })
}

/// A heartbeat message: type, the claimed payload_length, payload, padding.
fn heartbeat(typ: u8, claimed: u16, payload: &[u8], padding: usize) -> Vec<u8> {
    let mut m = vec![typ];
    m.extend_from_slice(&claimed.to_be_bytes());
    m.extend_from_slice(payload);
    m.extend(std::iter::repeat_n(0xa5u8, padding));
    m
}

#[test]
fn a_heartbeat_request_is_echoed_exactly() {
    let (mut p, hello) = heartbeat_pair(true, true);
    // RFC 6520, 2: a server that answers requests tells the client it may send them.
    let mode = heartbeat_mode(&hello);
    assert_eq!(
        mode,
        Some(HeartbeatMode::PeerAllowedToSend),
        "the server's heartbeat mode; RFC 6520, 2: peer_not_allowed_to_send forbids the client to send requests"
    );
    let payload = b"are you there? \x00\x01\x02 (heartbeat payload)".to_vec();
    p.client
        .send_heartbeat_request(&payload)
        .unwrap_or_else(|e| panic!("send_heartbeat_request with both sides enabled: {e}"));
    p.transfer(Side::Client)
        .expect("the server accepts the request");
    p.transfer(Side::Server)
        .expect("the client accepts the response");
    assert_eq!(p.client.take_heartbeat_response(), Some(payload));
    assert_eq!(p.client.take_heartbeat_response(), None);
    p.round_trip();
}

#[test]
fn heartbleed_shaped_requests_get_no_response() {
    let (mut p, hello) = heartbeat_pair(true, true);
    assert!(
        heartbeat_mode(&hello).is_some(),
        "the server negotiated heartbeats"
    );
    let keys = Keys12::from_log(&p.client_keys, &hello);
    // Our own client's next sequence number is 1 (its Finished was 0).
    let mut enc = keys.encrypter(Side::Client, 1);
    for (what, msg) in [
        (
            "1-byte payload claiming 16 KiB",
            heartbeat(1, 16 * 1024, b"A", 16),
        ),
        (
            "1-byte payload claiming 64 KiB",
            heartbeat(1, 0xffff, b"A", 16),
        ),
        (
            "payload_length one more than fits",
            heartbeat(1, 6, b"hello", 16),
        ),
        ("too little padding", heartbeat(1, 5, b"hello", 15)),
    ] {
        let mut record = Vec::new();
        enc.encrypt(ContentType::Heartbeat, &msg, &mut record)
            .expect("seal");
        let state = p
            .deliver(Side::Server, &record)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(state.tls_bytes_to_write, 0, "{what}: the server answered");
        assert!(
            p.take(Side::Server).is_empty(),
            "{what}: the server answered"
        );
    }
    // A valid request is answered with exactly its payload and fresh padding.
    let payload = b"exactly this, nothing more".to_vec();
    let mut record = Vec::new();
    enc.encrypt(
        ContentType::Heartbeat,
        &heartbeat(1, payload.len() as u16, &payload, 16),
        &mut record,
    )
    .expect("seal");
    p.deliver(Side::Server, &record).expect("a valid request");
    let response = p.take(Side::Server);
    let records = split_records(&response);
    assert_eq!(records.len(), 1, "one response record");
    assert_eq!(records[0].typ, ContentType::Heartbeat);
    let plain = keys
        .open_at(Side::Server, &records[0], 1)
        .expect("the response opens");
    assert_eq!(plain[0], 2, "heartbeat_response");
    assert_eq!(
        u16::from_be_bytes([plain[1], plain[2]]) as usize,
        payload.len()
    );
    assert_eq!(&plain[3..3 + payload.len()], payload.as_slice());
    // RFC 6520, 4: at least 16 bytes of padding; nothing else (no over-read).
    assert_eq!(plain.len(), 3 + payload.len() + 16, "response length");
    // The connection still works both ways.
    let mut data = Vec::new();
    enc.encrypt(ContentType::ApplicationData, b"still here", &mut data)
        .expect("seal");
    p.deliver(Side::Server, &data)
        .expect("data after heartbeats");
    assert_eq!(p.read(Side::Server).0, b"still here");
    // (The response was not delivered to the client, so read the server's next
    // record with the logged keys: sequence 2, after Finished and the response.)
    p.server
        .writer()
        .write_all(b"server still here")
        .expect("write");
    let out = p.take(Side::Server);
    let records = split_records(&out);
    assert_eq!(
        keys.open_at(Side::Server, &records[0], 2).as_deref(),
        Some(&b"server still here"[..])
    );
}

#[test]
fn heartbeats_not_negotiated_are_refused() {
    const TEXT: &str = "the peer did not agree to receive heartbeat requests (RFC 6520)";
    for (client, server) in [(true, false), (false, true), (false, false)] {
        let (mut p, hello) = heartbeat_pair(client, server);
        assert_eq!(
            heartbeat_mode(&hello),
            None,
            "client {client}, server {server}"
        );
        let err = p
            .client
            .send_heartbeat_request(b"ping")
            .expect_err("not negotiated");
        assert_eq!(err, Error::Api(ApiError::HeartbeatNotNegotiated));
        assert_eq!(err.to_string(), TEXT);
        assert!(p.take(Side::Client).is_empty(), "nothing sent");
        p.round_trip();
    }
    // Before the handshake completes.
    let id = ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).versions(TLS12).heartbeat(true),
        server_config(&[&id]).heartbeat(true),
    );
    let err = p
        .client
        .send_heartbeat_request(b"ping")
        .expect_err("handshaking");
    assert_eq!(
        err,
        Error::Api(ApiError::HandshakeNotComplete {
            action: "send a heartbeat"
        })
    );
    assert_eq!(
        err.to_string(),
        "cannot send a heartbeat before the handshake completes"
    );

    // A heartbeat record to a server that did not negotiate them is unexpected.
    let (mut p, hello) = heartbeat_pair(false, false);
    let keys = Keys12::from_log(&p.client_keys, &hello);
    let record = keys.seal_at(
        Side::Client,
        1,
        ContentType::Heartbeat,
        &heartbeat(1, 4, b"ping", 16),
    );
    let err = p
        .deliver(Side::Server, &record)
        .expect_err("not negotiated");
    assert_eq!(
        err,
        Error::Record(ferrotls::error::RecordError::UnexpectedContentType {
            got: ContentType::Heartbeat
        })
    );
    assert_eq!(
        err.to_string(),
        "peer sent a record of type heartbeat where none is allowed"
    );
    let alert = pair::alert12_sent_by(&mut p, Side::Server, Some(&keys)).expect("an alert");
    assert_eq!(
        alert,
        AlertMessage {
            level: AlertLevel::Fatal,
            description: AlertDescription::UnexpectedMessage
        }
    );
}

// ---------------------------------------------------------------------------------
// Key log

#[test]
fn the_key_log_has_one_client_random_line_per_tls12_connection() {
    let dir = std::env::temp_dir().join(format!("ferrotls-api12-keylog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (client_file, server_file) = (dir.join("client.log"), dir.join("server.log"));
    for f in [&client_file, &server_file] {
        let _ = std::fs::remove_file(f);
    }
    for suite in [&DEFAULT_TLS12_SUITES[0], &LEGACY_TLS12_SUITES[12]] {
        let id = identity_for(suite);
        let mut client = client_config(&[&id])
            .versions(TLS12)
            .cipher_suites(&[suite.suite]);
        let mut server = server_config(&[&id]);
        if suite.legacy {
            client = client.enable_legacy_tls12_suites();
            server = server.enable_legacy_tls12_suites();
        }
        let client = client
            .key_log(Arc::new(
                KeyLogFile::open(&client_file).expect("client key log"),
            ))
            .build()
            .expect("client");
        let server = server
            .key_log(Arc::new(
                KeyLogFile::open(&server_file).expect("server key log"),
            ))
            .build()
            .expect("server");
        let unused = Arc::new(KeyCapture::default());
        let mut p = Pair::from_configs(&client, &server, &unused, &unused);
        let (flight, ch) = pair::client_hello_of(&mut p.client);
        p.deliver(Side::Server, &flight).expect("ClientHello");
        let hello = p
            .handshake12()
            .unwrap_or_else(|(s, e)| panic!("{s:?}: {e}"));

        let client_log = std::fs::read_to_string(&client_file).expect("client log");
        let server_log = std::fs::read_to_string(&server_file).expect("server log");
        assert_eq!(
            client_log, server_log,
            "{suite:?}: both sides log the same lines"
        );
        let last = client_log.lines().last().expect("a line");
        let fields: Vec<&str> = last.split(' ').collect();
        assert_eq!(fields.len(), 3, "{last}");
        assert_eq!(fields[0], "CLIENT_RANDOM", "{last}");
        assert_eq!(
            fields[1],
            hex(&ch.random),
            "{suite:?}: the ClientHello's random"
        );
        assert_eq!(fields[2].len(), 96, "{suite:?}: a 48-byte master secret");
        assert!(fields[2]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(!client_log.contains("TRAFFIC_SECRET"), "no TLS 1.3 labels");
        // The logged master secret decrypts the traffic.
        let keys = Keys12::new(
            hello.suite,
            &unhex(fields[2]),
            ch.random,
            hello.random,
            hello.etm(),
        );
        exchange_checked(&mut p, &keys, (1, 1), 500);
    }
    let lines = std::fs::read_to_string(&client_file)
        .expect("log")
        .lines()
        .count();
    assert_eq!(lines, 2, "one line per connection");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A clock the test moves by hand.
#[derive(Debug)]
struct Clock(std::sync::atomic::AtomicU64);

impl Clock {
    fn set(&self, secs: u64) {
        self.0.store(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

impl ferrotls::crypto::TimeSource for Clock {
    fn now(&self) -> rustls_pki_types::UnixTime {
        rustls_pki_types::UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            self.0.load(std::sync::atomic::Ordering::SeqCst),
        ))
    }
}

fn provider_with(clock: &Arc<Clock>) -> ferrotls::crypto::Provider {
    ferrotls::crypto::Provider {
        random: ferrotls::crypto::Provider::system().random,
        time: clock.clone(),
    }
}

const T0: u64 = 1_800_000_000;

#[test]
fn cached_sessions_expire_after_24_hours() {
    let id = ecdsa();
    let clock = Arc::new(Clock(T0.into()));
    let shared = Shared::new(
        client_config(&[&id]).versions(TLS12),
        server_config(&[&id])
            .session_tickets(false)
            .provider(provider_with(&clock)),
    );
    let mut first = connect(&shared);
    check_resumed(&mut first, false, "first connection");
    // RFC 5246, F.1.4: at most 24 hours.
    clock.set(T0 + 24 * 3600 - 1);
    let mut within = connect(&shared);
    check_resumed(&mut within, true, "a second before 24 hours");
    clock.set(T0 + 24 * 3600);
    let mut after = connect(&shared);
    assert_eq!(
        after.client_hello.session_id, first.hello.session_id,
        "the client still offers the session"
    );
    check_resumed(&mut after, false, "at 24 hours");
}

#[test]
fn a_ticket_issued_on_resumption_does_not_extend_the_session() {
    let id = ecdsa();
    let clock = Arc::new(Clock(T0.into()));
    // Keys rotate hourly; a ticket opens for two rotations after its session began.
    let ticketer = Arc::new(ferrotls::server::Ticketer::new(provider_with(&clock), 3600));
    let shared = Shared::new(
        client_config(&[&id]).versions(TLS12),
        server_config(&[&id])
            .ticketer(ticketer)
            .provider(provider_with(&clock)),
    );
    let mut first = connect(&shared);
    check_resumed(&mut first, false, "first connection");
    clock.set(T0 + 3000);
    let mut resumed = connect(&shared);
    check_resumed(&mut resumed, true, "after 3000 s");
    // The re-issued ticket carries the session's first creation time: 7300 s after
    // it, past two rotations, it no longer opens, though it was issued 4300 s ago.
    clock.set(T0 + 7300);
    let mut late = connect(&shared);
    assert!(
        ticket_in(&late.client_hello).is_some_and(|t| !t.is_empty()),
        "the client offers the re-issued ticket"
    );
    check_resumed(&mut late, false, "7300 s after the session began");
}
