//! The TLS 1.2 extended master secret (RFC 7627) on an in-memory pair: negotiated
//! when offered, the legacy master secret with a peer that does not offer it, refused
//! only when required, and the resumption rules of RFC 7627, 5.3 on both sides, by
//! ticket and by session ID. A man in the middle who repairs the Finished messages
//! from the key log (`handshake12_through_mitm`, `resume12_through_mitm`) stands in
//! for a peer without the extension.

mod pair;

use std::sync::Arc;

use ferrotls::client::{ClientConfigBuilder, InMemorySessionStore};
use ferrotls::error::{NoCommon, PeerMisbehaved};
use ferrotls::msgs::enums::{AlertDescription, AlertLevel, ExtensionType, ProtocolVersion};
use ferrotls::msgs::{AlertMessage, ClientExtension, ClientHello, ServerExtension};
use ferrotls::Error;

use pair::{
    client_config, ecdsa, edit_server_hello, server_config, Identity, Pair, Recorder, Shared, Side,
    BOTH,
};

const TLS12: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_2];

fn without_ems(ch: &mut ClientHello) {
    ch.extensions
        .retain(|e| e.ext_type() != ExtensionType::ExtendedMasterSecret);
}

fn tls12_client(id: &Identity) -> ClientConfigBuilder {
    client_config(&[id]).versions(TLS12)
}

/// Checks that `side` failed with `want`, whose text is `text`, sent a fatal
/// handshake_failure alert, and that its peer reads that alert.
fn check_refusal(p: &mut Pair, side: Side, err: &Error, want: Error, text: &str) {
    assert_eq!(err, &want);
    assert_eq!(err.to_string(), text);
    let alert = pair::alert12_sent_by(p, side, None).expect("an alert");
    assert_eq!(
        alert,
        AlertMessage {
            level: AlertLevel::Fatal,
            description: AlertDescription::HandshakeFailure
        }
    );
}

const CLIENT_DID_NOT_OFFER: &str = "the client did not offer the TLS 1.2 extended master secret (RFC 7627), which this server is configured to require: without it a session is open to the triple-handshake attack";
const SERVER_DID_NOT_NEGOTIATE: &str = "the server did not negotiate the TLS 1.2 extended master secret (RFC 7627), which this client is configured to require: without it a session is open to the triple-handshake attack";

fn no_ems(side: Side, p: &Pair) {
    let n = p.conn_ref(side).negotiated();
    assert!(!n.extended_master_secret, "{side:?}: {n:?}");
    assert_eq!(n.version, Some(ProtocolVersion::TLSv1_2), "{side:?}");
}

// ---------------------------------------------------------------------------------
// Full handshakes

#[test]
fn a_client_without_ems_completes_with_a_default_server() {
    // The client's hello arrives without the extension: a default server goes on
    // with the legacy master secret, and says so in its ServerHello (no extension).
    let id = ecdsa();
    let mut p = Pair::new(tls12_client(&id), server_config(&[&id]));
    p.handshake12_through_mitm(without_ems)
        .unwrap_or_else(|(side, e)| panic!("{side:?} failed: {e}"));
    for side in BOTH {
        no_ems(side, &p);
    }
    p.round_trip();
    // RFC 7627, 5.4: no keying material is exported from such a session.
    let mut out = [0u8; 16];
    for side in BOTH {
        let err = p
            .conn_ref(side)
            .export_keying_material(&mut out, b"EXPERIMENTAL-ems", None)
            .expect_err("no exporter without EMS");
        assert_eq!(
            err.to_string(),
            "cannot export keying material: this TLS 1.2 session has no extended master secret, so a man in the middle could share it (RFC 7627, 5.4)"
        );
    }
}

#[test]
fn a_default_client_completes_with_a_server_that_does_not_negotiate_ems() {
    // The same handshake seen from the client: its ServerHello has no extension.
    let id = ecdsa();
    let recorder = Arc::new(Recorder::default());
    let mut p = Pair::new(
        tls12_client(&id).observer(recorder.clone()),
        server_config(&[&id]),
    );
    p.handshake12_through_mitm(without_ems)
        .unwrap_or_else(|(side, e)| panic!("{side:?} failed: {e}"));
    no_ems(Side::Client, &p);
    assert_eq!(recorder.count("received Finished"), 1);
    p.round_trip();
}

#[test]
fn ems_is_negotiated_whenever_it_is_offered() {
    let id = ecdsa();
    let mut p = Pair::new(tls12_client(&id), server_config(&[&id]));
    let hello = p
        .handshake12()
        .unwrap_or_else(|(side, e)| panic!("{side:?} failed: {e}"));
    assert!(hello.has(ExtensionType::ExtendedMasterSecret));
    for side in BOTH {
        assert!(
            p.conn_ref(side).negotiated().extended_master_secret,
            "{side:?}"
        );
    }
}

#[test]
fn a_server_that_requires_ems_refuses_a_client_without_it() {
    let id = ecdsa();
    let mut p = Pair::new(
        tls12_client(&id),
        server_config(&[&id]).require_extended_master_secret(true),
    );
    let err = p
        .send_edited_client_hello(without_ems)
        .expect_err("the server requires EMS");
    check_refusal(
        &mut p,
        Side::Server,
        &err,
        Error::NoCommonParameters(NoCommon::ExtendedMasterSecret { from_server: false }),
        CLIENT_DID_NOT_OFFER,
    );
}

#[test]
fn a_client_that_requires_ems_refuses_a_server_without_it() {
    let id = ecdsa();
    let mut p = Pair::new(
        tls12_client(&id).require_extended_master_secret(true),
        server_config(&[&id]),
    );
    p.transfer(Side::Client).expect("ClientHello");
    let mut flight = p.take(Side::Server);
    edit_server_hello(&mut flight, |sh| {
        sh.extensions
            .retain(|e| e.ext_type() != ExtensionType::ExtendedMasterSecret)
    });
    let err = p
        .deliver(Side::Client, &flight)
        .expect_err("the client requires EMS");
    check_refusal(
        &mut p,
        Side::Client,
        &err,
        Error::NoCommonParameters(NoCommon::ExtendedMasterSecret { from_server: true }),
        SERVER_DID_NOT_NEGOTIATE,
    );

    // Through the man in the middle, both requirements are refusals too.
    let mut p = Pair::new(
        tls12_client(&id).require_extended_master_secret(true),
        server_config(&[&id]),
    );
    let (side, err) = p
        .handshake12_through_mitm(without_ems)
        .expect_err("the client requires EMS");
    assert_eq!(side, Side::Client);
    assert_eq!(err.to_string(), SERVER_DID_NOT_NEGOTIATE);
}

// ---------------------------------------------------------------------------------
// Resumption (RFC 7627, 5.3)

impl Shared {
    /// A first connection whose ClientHello loses the extension on the way: both
    /// sides keep a session without EMS.
    fn session_without_ems(&self) {
        let mut p = self.connect();
        p.handshake12_through_mitm(without_ems)
            .unwrap_or_else(|(side, e)| panic!("{side:?} failed: {e}"));
        no_ems(Side::Server, &p);
        no_ems(Side::Client, &p);
    }

    /// A first connection with EMS.
    fn session_with_ems(&self) {
        let mut p = self.connect();
        p.handshake12()
            .unwrap_or_else(|(side, e)| panic!("{side:?} failed: {e}"));
        assert!(p.server.negotiated().extended_master_secret);
    }
}

/// The two ways to resume: a ticket (RFC 5077) and a session ID (the server issues
/// no tickets).
fn both_kinds(mut run: impl FnMut(&str, Shared)) {
    let id = ecdsa();
    for (kind, tickets) in [("ticket", true), ("session ID", false)] {
        run(
            kind,
            Shared::new(
                tls12_client(&id),
                server_config(&[&id]).session_tickets(tickets),
            ),
        );
    }
}

/// What the client's hello offers to resume: its ticket, if non-empty, else its
/// session ID (which is always sent).
fn offers_resumption(ch: &ClientHello) -> bool {
    ch.extensions
        .iter()
        .any(|e| matches!(e, ClientExtension::SessionTicket(t) if !t.is_empty()))
        || !ch.session_id.is_empty()
}

#[test]
fn a_session_without_ems_is_not_resumed_by_a_hello_that_offers_it() {
    both_kinds(|kind, shared| {
        shared.session_without_ems();
        // The client offers the session, with the extension (RFC 7627, 5.3: it MUST
        // send it); the server makes a new session with EMS in a full handshake.
        let mut p = shared.connect();
        let (flight, ch) = pair::client_hello_of(&mut p.client);
        assert!(offers_resumption(&ch), "{kind}");
        assert!(
            ch.extensions
                .iter()
                .any(|e| e.ext_type() == ExtensionType::ExtendedMasterSecret),
            "{kind}"
        );
        p.deliver(Side::Server, &flight).expect("ClientHello");
        let hello = p
            .handshake12()
            .unwrap_or_else(|(side, e)| panic!("{kind}: {side:?} failed: {e}"));
        assert!(hello.has(ExtensionType::ExtendedMasterSecret), "{kind}");
        for side in BOTH {
            let n = p.conn_ref(side).negotiated();
            assert!(!n.resumed, "{kind}: {side:?} resumed");
            assert!(n.extended_master_secret, "{kind}: {side:?}");
        }
        assert_eq!(shared.recorder.count("sent Certificate"), 2, "{kind}");
        // The new session has EMS: the next connection resumes it, with EMS.
        let mut p = shared.connect();
        p.handshake12()
            .unwrap_or_else(|(side, e)| panic!("{kind}: {side:?} failed: {e}"));
        for side in BOTH {
            let n = p.conn_ref(side).negotiated();
            assert!(n.resumed && n.extended_master_secret, "{kind}: {side:?}");
        }
    });
}

#[test]
fn a_session_with_ems_resumed_by_a_hello_without_it_is_refused() {
    both_kinds(|kind, shared| {
        shared.session_with_ems();
        let mut p = shared.connect();
        let err = p
            .send_edited_client_hello(without_ems)
            .expect_err("RFC 7627, 5.3: the server MUST abort");
        check_refusal(
            &mut p,
            Side::Server,
            &err,
            Error::PeerMisbehaved(PeerMisbehaved::EmsChangedOnResumption {
                from_server: false,
                session_ems: true,
            }),
            "the client asked to resume a session that used the TLS 1.2 extended master secret (RFC 7627), but its ClientHello does not include the extension; RFC 7627, 5.3 requires aborting the handshake",
        );
        assert_eq!(shared.recorder.count("sent ServerHello"), 1, "{kind}");
    });
}

#[test]
fn a_session_without_ems_resumes_only_without_it() {
    // Neither the session nor the hello has the extension: the legacy resumption
    // goes on, as OpenSSL and Go allow, still without EMS and without exporters.
    both_kinds(|kind, shared| {
        shared.session_without_ems();
        let mut p = shared.connect();
        p.resume12_through_mitm(without_ems)
            .unwrap_or_else(|(side, e)| panic!("{kind}: {side:?} failed: {e}"));
        for side in BOTH {
            let n = p.conn_ref(side).negotiated();
            assert!(n.resumed, "{kind}: {side:?}");
            assert!(!n.extended_master_secret, "{kind}: {side:?}");
            let mut out = [0u8; 8];
            assert!(p
                .conn_ref(side)
                .export_keying_material(&mut out, b"EXPERIMENTAL-ems", None)
                .is_err());
        }
        p.round_trip();
        assert_eq!(shared.recorder.count("sent Certificate"), 1, "{kind}");
    });
}

/// A resumed ServerHello edited by `edit` on its way to the client, whose hello lost
/// EMS on the way out when `strip` is set; returns the client's error.
fn client_reads_resumed_hello(
    shared: &Shared,
    strip: bool,
    edit: impl FnOnce(&mut Vec<ServerExtension>),
) -> (Pair, Error) {
    let mut p = shared.connect();
    if strip {
        p.send_edited_client_hello(without_ems)
            .expect("ClientHello");
    } else {
        p.transfer(Side::Client).expect("ClientHello");
    }
    let mut flight = p.take(Side::Server);
    assert!(p.server.negotiated().resumed, "the server resumes");
    edit_server_hello(&mut flight, |sh| edit(&mut sh.extensions));
    let err = p
        .deliver(Side::Client, &flight)
        .expect_err("RFC 7627, 5.3: the client MUST abort");
    (p, err)
}

#[test]
fn the_client_aborts_when_a_resumed_server_hello_drops_ems() {
    both_kinds(|kind, shared| {
        shared.session_with_ems();
        assert_eq!(shared.recorder.count("sent Certificate"), 1, "{kind}");
        let (mut p, err) = client_reads_resumed_hello(&shared, false, |exts| {
            exts.retain(|e| e.ext_type() != ExtensionType::ExtendedMasterSecret)
        });
        check_refusal(
            &mut p,
            Side::Client,
            &err,
            Error::PeerMisbehaved(PeerMisbehaved::EmsChangedOnResumption {
                from_server: true,
                session_ems: true,
            }),
            "the server resumed a session that used the TLS 1.2 extended master secret (RFC 7627), but its ServerHello does not include the extension; RFC 7627, 5.3 requires aborting the handshake",
        );
    });
}

#[test]
fn the_client_aborts_when_a_resumed_server_hello_adds_ems() {
    both_kinds(|kind, shared| {
        shared.session_without_ems();
        let (mut p, err) = client_reads_resumed_hello(&shared, true, |exts| {
            assert!(
                !exts
                    .iter()
                    .any(|e| e.ext_type() == ExtensionType::ExtendedMasterSecret),
                "{kind}"
            );
            exts.push(ServerExtension::ExtendedMasterSecret)
        });
        check_refusal(
            &mut p,
            Side::Client,
            &err,
            Error::PeerMisbehaved(PeerMisbehaved::EmsChangedOnResumption {
                from_server: true,
                session_ems: false,
            }),
            "the server resumed a session that did not use the TLS 1.2 extended master secret (RFC 7627), but its ServerHello includes the extension; RFC 7627, 5.3 requires aborting the handshake",
        );
    });
}

#[test]
fn a_client_that_requires_ems_does_not_offer_a_session_without_it() {
    // Two client configurations share one session store: the lenient one keeps a
    // session without EMS; the strict one does not offer it (a fresh session ID,
    // no ticket) and completes a full handshake with EMS.
    let id = ecdsa();
    let store = Arc::new(InMemorySessionStore::new(8));
    let lenient = Shared::new(
        tls12_client(&id).session_store(store.clone()),
        server_config(&[&id]),
    );
    lenient.session_without_ems();
    let strict = tls12_client(&id)
        .session_store(store)
        .require_extended_master_secret(true)
        .key_log(lenient.client_keys.clone())
        .build()
        .expect("client config");
    let mut p = Pair::from_configs(
        &strict,
        &lenient.server,
        &lenient.client_keys,
        &lenient.server_keys,
    );
    let (flight, ch) = pair::client_hello_of(&mut p.client);
    assert!(
        !ch.extensions
            .iter()
            .any(|e| matches!(e, ClientExtension::SessionTicket(t) if !t.is_empty())),
        "no ticket offered"
    );
    p.deliver(Side::Server, &flight).expect("ClientHello");
    p.handshake12()
        .unwrap_or_else(|(side, e)| panic!("{side:?} failed: {e}"));
    for side in BOTH {
        let n = p.conn_ref(side).negotiated();
        assert!(!n.resumed && n.extended_master_secret, "{side:?}: {n:?}");
    }
    assert_eq!(lenient.recorder.count("sent Certificate"), 2);
}
