//! TLS 1.3 post-handshake client authentication (RFC 8446, 4.2.6, 4.3.2, 4.4 and
//! 4.6.2), ferrotls against itself in memory: the client's answer is checked on the
//! wire, and tampered with in flight to see each check on the server fire with its
//! alert.

mod common;
mod pair;

use std::sync::Arc;

use common::{KeyKind, Leaf, TestPki};
use ferrotls::conn::PostHandshakeAuth;
use ferrotls::error::{ApiError, Error, PeerMisbehaved};
use ferrotls::msgs::enums::{
    AlertDescription, ContentType, ExtensionType, HandshakeType, ProtocolVersion,
};
use ferrotls::msgs::{
    CertReqExtension, Certificate13, CertificateRequest13, HandshakeMessage, HandshakePayload,
};
use ferrotls::pki::{ClientAuthVerifier, ClientCertVerifier, RootStore, TrustAnchor, Verifier};
use ferrotls::{ClientConfig, ServerConfig};
use pair::{client_hello_of, sealed_message, Pair, Piece, Side};

const CLIENT_AP: &str = "CLIENT_TRAFFIC_SECRET_0";
const SERVER_AP: &str = "SERVER_TRAFFIC_SECRET_0";

fn verifier(pki: &TestPki, optional: bool) -> Arc<dyn ClientCertVerifier> {
    let mut roots = RootStore::new();
    roots.add(TrustAnchor::from_cert(pki.ca_cert.clone()).expect("CA"));
    let v = ClientAuthVerifier::new(Verifier::new(roots));
    Arc::new(if optional { v.optional() } else { v })
}

/// How a test pair is set up.
struct Setup {
    /// The client offers post_handshake_auth.
    offer: bool,
    /// The client has a certificate.
    with_cert: bool,
    /// The server's post-handshake verifier lets a client without a certificate in.
    optional: bool,
}

const USUAL: Setup = Setup {
    offer: true,
    with_cert: true,
    optional: false,
};

struct Fixture {
    p: Pair,
    me: Leaf,
}

/// A client and a server (no tickets, so the server's first application record
/// has sequence number 0) with the handshake done.
fn connected(label: &str, setup: Setup) -> Fixture {
    let pki = TestPki::new(label);
    let server = pki.leaf(KeyKind::EcdsaP256);
    let me = pki.client_leaf(KeyKind::EcdsaP256, "client.example");
    let mut client = ClientConfig::with_root_certificates(vec![pki.ca_cert.clone()])
        .expect("roots")
        .post_handshake_auth(setup.offer);
    if setup.with_cert {
        client = client
            .client_cert(me.chain(), &me.key())
            .expect("client cert");
    }
    let server = ServerConfig::builder()
        .cert(server.chain(), &server.key())
        .expect("server cert")
        .tls13_tickets(0)
        .post_handshake_client_auth(verifier(&pki, setup.optional));
    let mut p = Pair::new(client, server);
    p.handshake().expect("handshake");
    Fixture { p, me }
}

/// Sends one request from the server and moves it to the client; returns the
/// client's answer, not yet delivered.
fn request_and_answer(p: &mut Pair) -> Vec<u8> {
    p.server
        .request_client_certificate()
        .expect("request a client certificate");
    p.transfer(Side::Server)
        .expect("the client takes the request");
    p.take(Side::Client)
}

fn status(requests: usize, answered: usize, authenticated: usize) -> PostHandshakeAuth {
    PostHandshakeAuth {
        offered: true,
        requests,
        answered,
        authenticated,
    }
}

/// A server-side failure, its sentence and the alert the server sent.
fn expect_server_failure(
    p: &mut Pair,
    answer: &[u8],
    want: Error,
    text: &str,
    alert: AlertDescription,
) {
    let err = p
        .deliver(Side::Server, answer)
        .expect_err("the server must refuse the answer");
    assert_eq!(err, want);
    assert_eq!(err.to_string(), text);
    assert_eq!(p.alert_sent_by(Side::Server), Some(alert));
}

#[test]
fn the_client_hello_offers_post_handshake_auth_only_when_enabled() {
    for offer in [false, true] {
        let id = pair::ecdsa();
        let mut p = Pair::new(
            pair::client_config(&[&id]).post_handshake_auth(offer),
            pair::server_config(&[&id]),
        );
        let (_, ch) = client_hello_of(&mut p.client);
        assert_eq!(ch.has_extension(ExtensionType::PostHandshakeAuth), offer);
    }
}

#[test]
fn a_certificate_requested_after_the_handshake_is_verified_and_visible() {
    let Fixture { mut p, me } = connected("pha-ok", USUAL);
    // The post-handshake verifier asks for nothing during the handshake.
    assert!(!p.server.negotiated().client_auth);
    assert!(p.server.peer_certificates().is_empty());
    assert_eq!(p.server.negotiated().post_handshake_auth, status(0, 0, 0));
    p.round_trip();

    let answer = request_and_answer(&mut p);
    let flight = pair::split_records(&answer);
    assert_eq!(
        flight.len(),
        1,
        "Certificate, CertificateVerify and Finished share a record"
    );
    // The client sent one application record before: the answer is its second.
    let (typ, content) = p
        .cipher(Side::Client, CLIENT_AP)
        .open_at(&flight[0], 1)
        .expect("the answer opens under the client's traffic key");
    assert_eq!(typ, ContentType::Handshake);
    let mut types = Vec::new();
    let mut rest = content.as_slice();
    while let [typ, a, b, c, body @ ..] = rest {
        let len = usize::from(*a) << 16 | usize::from(*b) << 8 | usize::from(*c);
        types.push(HandshakeType::from_wire(*typ));
        rest = &body[len..];
    }
    assert_eq!(
        types,
        [
            HandshakeType::Certificate,
            HandshakeType::CertificateVerify,
            HandshakeType::Finished
        ]
    );
    assert_eq!(p.client.negotiated().post_handshake_auth, status(1, 1, 1));
    assert!(p.client.negotiated().client_auth);

    // Nothing is exposed until the Finished checks out, then the chain is.
    p.deliver(Side::Server, &answer)
        .expect("the server accepts the answer");
    assert_eq!(p.server.peer_certificates(), me.chain().as_slice());
    assert_eq!(p.server.negotiated().post_handshake_auth, status(1, 1, 1));
    assert!(p.server.negotiated().client_auth);
    p.round_trip();
}

#[test]
fn a_client_without_a_certificate_answers_empty_and_a_mandatory_verifier_refuses() {
    let Fixture { mut p, .. } = connected(
        "pha-empty",
        Setup {
            with_cert: false,
            ..USUAL
        },
    );
    let answer = request_and_answer(&mut p);
    assert_eq!(p.client.negotiated().post_handshake_auth, status(1, 1, 0));
    expect_server_failure(
        &mut p,
        &answer,
        Error::PeerMisbehaved(PeerMisbehaved::NoCertificate),
        "peer sent no certificate, but one is required",
        AlertDescription::CertificateRequired,
    );
}

#[test]
fn an_optional_verifier_accepts_an_empty_answer() {
    let Fixture { mut p, .. } = connected(
        "pha-optional",
        Setup {
            with_cert: false,
            optional: true,
            ..USUAL
        },
    );
    let answer = request_and_answer(&mut p);
    p.deliver(Side::Server, &answer)
        .expect("an empty answer is fine");
    assert!(p.server.peer_certificates().is_empty());
    assert_eq!(p.server.negotiated().post_handshake_auth, status(1, 1, 0));
    p.round_trip();
}

/// Rewrites the context of the Certificate in the client's answer.
fn with_context(p: &Pair, answer: &mut Vec<u8>, context: Vec<u8>) {
    p.edit_sealed(Side::Client, CLIENT_AP, answer, |pieces| {
        let raw = sealed_message(pieces, HandshakeType::Certificate);
        let mut cert = match HandshakeMessage::read_tls13(raw)
            .expect("Certificate")
            .payload
        {
            HandshakePayload::Certificate(c) => c,
            other => panic!("expected a Certificate, got {other:?}"),
        };
        cert.context = context;
        *raw = HandshakeMessage::new(HandshakePayload::Certificate(cert)).to_bytes();
    });
}

#[test]
fn a_certificate_with_the_wrong_context_is_illegal_parameter() {
    for context in [Vec::new(), vec![7; 32]] {
        let Fixture { mut p, .. } = connected("pha-context", USUAL);
        let mut answer = request_and_answer(&mut p);
        with_context(&p, &mut answer, context);
        expect_server_failure(
            &mut p,
            &answer,
            Error::PeerMisbehaved(PeerMisbehaved::IllegalParameter {
                message: "Certificate",
                field: "certificate_request_context",
                reason: "matches none of our outstanding CertificateRequests",
            }),
            "peer's Certificate has an illegal certificate_request_context: matches none of our outstanding CertificateRequests",
            AlertDescription::IllegalParameter,
        );
    }
}

#[test]
fn a_tampered_finished_is_decrypt_error_and_exposes_nothing() {
    let Fixture { mut p, .. } = connected("pha-finished", USUAL);
    let mut answer = request_and_answer(&mut p);
    p.edit_sealed(Side::Client, CLIENT_AP, &mut answer, |pieces| {
        let fin = sealed_message(pieces, HandshakeType::Finished);
        *fin.last_mut().expect("verify_data") ^= 1;
    });
    expect_server_failure(
        &mut p,
        &answer,
        Error::PeerMisbehaved(PeerMisbehaved::BadFinished { from_server: false }),
        "the client's Finished message does not match the handshake transcript: the handshake was tampered with or the peers disagree on keys",
        AlertDescription::DecryptError,
    );
    assert!(p.server.peer_certificates().is_empty());
    assert_eq!(p.server.negotiated().post_handshake_auth, status(1, 0, 0));
}

#[test]
fn a_tampered_certificate_verify_is_decrypt_error() {
    let Fixture { mut p, .. } = connected("pha-cv", USUAL);
    let mut answer = request_and_answer(&mut p);
    p.edit_sealed(Side::Client, CLIENT_AP, &mut answer, |pieces| {
        let cv = sealed_message(pieces, HandshakeType::CertificateVerify);
        *cv.last_mut().expect("signature") ^= 1;
    });
    let err = p.deliver(Side::Server, &answer).expect_err("refused");
    assert!(
        matches!(
            err,
            Error::PeerMisbehaved(PeerMisbehaved::BadCertificateVerify { .. })
        ),
        "{err:?}"
    );
    assert_eq!(
        p.alert_sent_by(Side::Server),
        Some(AlertDescription::DecryptError)
    );
    assert!(p.server.peer_certificates().is_empty());
}

#[test]
fn application_data_inside_an_answer_is_unexpected_message() {
    let Fixture { mut p, .. } = connected("pha-interleaved", USUAL);
    let mut answer = request_and_answer(&mut p);
    p.edit_sealed(Side::Client, CLIENT_AP, &mut answer, |pieces| {
        pieces.insert(
            1,
            Piece::Sealed {
                typ: ContentType::ApplicationData,
                content: b"between".to_vec(),
            },
        );
    });
    expect_server_failure(
        &mut p,
        &answer,
        Error::UnexpectedMessage {
            state: "ExpectPostHandshakeCertificateVerify",
            got: "application data",
        },
        "peer sent application data while waiting for the client's CertificateVerify after the handshake",
        AlertDescription::UnexpectedMessage,
    );
}

#[test]
fn an_unsolicited_certificate_is_unexpected_message() {
    let Fixture { mut p, .. } = connected("pha-unsolicited", USUAL);
    let cert = HandshakeMessage::new(HandshakePayload::Certificate(Certificate13 {
        context: vec![1; 32],
        entries: Vec::new(),
    }));
    let forged = p
        .cipher(Side::Client, CLIENT_AP)
        .seal_bytes(ContentType::Handshake, &cert.to_bytes());
    expect_server_failure(
        &mut p,
        &forged,
        Error::UnexpectedMessage {
            state: "Connected",
            got: "Certificate",
        },
        "peer sent Certificate after the handshake, where it is not allowed",
        AlertDescription::UnexpectedMessage,
    );
}

/// A CertificateRequest from the server, sealed as its first application record.
fn forged_request(p: &Pair, context: Vec<u8>) -> Vec<u8> {
    let cr = HandshakeMessage::new(HandshakePayload::CertificateRequest(CertificateRequest13 {
        context,
        extensions: vec![CertReqExtension::SignatureAlgorithms(vec![
            ferrotls::msgs::enums::SignatureScheme::ECDSA_NISTP256_SHA256,
        ])],
    }));
    p.cipher(Side::Server, SERVER_AP)
        .seal_bytes(ContentType::Handshake, &cr.to_bytes())
}

#[test]
fn a_certificate_request_without_the_offer_is_unexpected_message() {
    let Fixture { mut p, .. } = connected(
        "pha-not-offered",
        Setup {
            offer: false,
            ..USUAL
        },
    );
    // The server's API refuses to send one...
    let err = p.server.request_client_certificate().expect_err("refused");
    assert_eq!(err, Error::Api(ApiError::PostHandshakeAuthNotOffered));
    assert_eq!(
        err.to_string(),
        "cannot request a client certificate after the handshake: the client did not offer \
         post_handshake_auth (RFC 8446, 4.6.2). Ask for it during the handshake with \
         ServerConfigBuilder::client_auth, or have the client enable post_handshake_auth"
    );
    assert!(!p.server.negotiated().post_handshake_auth.offered);
    // ...and a client that gets one anyway ends the connection (RFC 8446, 4.6.2).
    let forged = forged_request(&p, vec![9; 32]);
    let err = p.deliver(Side::Client, &forged).expect_err("refused");
    assert_eq!(
        err,
        Error::UnexpectedMessage {
            state: "Connected",
            got: "CertificateRequest"
        }
    );
    assert_eq!(
        err.to_string(),
        "peer sent CertificateRequest after the handshake, where it is not allowed"
    );
    assert_eq!(
        p.alert_sent_by(Side::Client),
        Some(AlertDescription::UnexpectedMessage)
    );
}

#[test]
fn a_post_handshake_certificate_request_with_an_empty_context_is_illegal_parameter() {
    let Fixture { mut p, .. } = connected("pha-empty-context", USUAL);
    let forged = forged_request(&p, Vec::new());
    let err = p.deliver(Side::Client, &forged).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "peer's CertificateRequest has an illegal certificate_request_context: must not be empty after the handshake"
    );
    assert_eq!(
        p.alert_sent_by(Side::Client),
        Some(AlertDescription::IllegalParameter)
    );
}

#[test]
fn two_outstanding_requests_are_answered_in_order() {
    let Fixture { mut p, me } = connected("pha-two", USUAL);
    p.server
        .request_client_certificate()
        .expect("first request");
    p.server
        .request_client_certificate()
        .expect("second request");
    assert_eq!(p.server.negotiated().post_handshake_auth.pending(), 2);
    p.transfer(Side::Server).expect("the client takes both");
    assert_eq!(p.client.negotiated().post_handshake_auth, status(2, 2, 2));
    p.transfer(Side::Client)
        .expect("the server takes both answers");
    assert_eq!(p.server.negotiated().post_handshake_auth, status(2, 2, 2));
    assert_eq!(p.server.peer_certificates(), me.chain().as_slice());
    p.round_trip();
}

#[test]
fn answers_in_the_other_order_are_matched_by_context() {
    let Fixture { mut p, .. } = connected("pha-swapped", USUAL);
    p.server
        .request_client_certificate()
        .expect("first request");
    p.server
        .request_client_certificate()
        .expect("second request");
    p.transfer(Side::Server).expect("the client takes both");
    let mut answers = p.take(Side::Client);
    p.edit_sealed(Side::Client, CLIENT_AP, &mut answers, |pieces| {
        assert_eq!(pieces.len(), 6, "two answers of three messages");
        pieces.rotate_left(3);
    });
    p.deliver(Side::Server, &answers)
        .expect("both answers accepted");
    assert_eq!(p.server.negotiated().post_handshake_auth, status(2, 2, 2));
}

#[test]
fn key_updates_around_a_request_change_the_finished_key_on_both_sides() {
    let Fixture { mut p, me } = connected("pha-key-update", USUAL);
    // The client updates its keys before it sees the request: its Finished then
    // uses client_application_traffic_secret_1 (RFC 8446, 4.4), and so does the
    // server, which got the KeyUpdate first.
    p.client.refresh_traffic_keys().expect("client KeyUpdate");
    p.server.request_client_certificate().expect("request");
    p.transfer(Side::Client)
        .expect("the server takes the KeyUpdate");
    p.transfer(Side::Server)
        .expect("the client takes the request and the KeyUpdate");
    p.transfer(Side::Client)
        .expect("the server takes the answer");
    assert_eq!(p.server.negotiated().post_handshake_auth, status(1, 1, 1));
    p.round_trip();

    // The server updates its keys right after its request: the client answers,
    // then updates in turn.
    p.server.request_client_certificate().expect("request");
    p.server.refresh_traffic_keys().expect("server KeyUpdate");
    p.transfer(Side::Server).expect("the client takes both");
    p.transfer(Side::Client)
        .expect("the server takes the answer and the KeyUpdate");
    assert_eq!(p.server.negotiated().post_handshake_auth, status(2, 2, 2));
    assert_eq!(p.server.peer_certificates(), me.chain().as_slice());
    p.round_trip();
}

#[test]
fn requests_are_refused_where_they_cannot_be_made() {
    // Before the handshake completes.
    let pki = TestPki::new("pha-api");
    let server = pki.leaf(KeyKind::EcdsaP256);
    let build = |versions: &[ProtocolVersion], with_verifier: bool| {
        let client = ClientConfig::with_root_certificates(vec![pki.ca_cert.clone()])
            .expect("roots")
            .versions(versions)
            .post_handshake_auth(true);
        let mut s = ServerConfig::builder()
            .cert(server.chain(), &server.key())
            .expect("server cert")
            .versions(versions);
        if with_verifier {
            s = s.post_handshake_client_auth(verifier(&pki, false));
        }
        Pair::new(client, s)
    };
    let mut p = build(&[ProtocolVersion::TLSv1_3], true);
    let err = p
        .server
        .request_client_certificate()
        .expect_err("too early");
    assert_eq!(
        err.to_string(),
        "cannot request a client certificate before the handshake completes"
    );

    // Without any verifier.
    let mut p = build(&[ProtocolVersion::TLSv1_3], false);
    p.handshake().expect("handshake");
    assert!(p.server.negotiated().post_handshake_auth.offered);
    let err = p
        .server
        .request_client_certificate()
        .expect_err("no verifier");
    assert_eq!(err, Error::Api(ApiError::NoClientCertVerifier));
    assert_eq!(
        err.to_string(),
        "cannot request a client certificate: no client certificate verifier is configured \
         (ServerConfigBuilder::post_handshake_client_auth or client_auth)"
    );

    // On TLS 1.2.
    let mut p = build(&[ProtocolVersion::TLSv1_2], true);
    p.handshake().expect("handshake");
    let err = p.server.request_client_certificate().expect_err("TLS 1.2");
    assert_eq!(err, Error::Api(ApiError::PostHandshakeAuthNeedsTls13));
    assert_eq!(
        err.to_string(),
        "cannot request a client certificate after a TLS 1.2 handshake: post-handshake \
         authentication exists only in TLS 1.3 (TLS 1.2 would need renegotiation, which \
         ferrotls does not do)"
    );

    // After close_notify.
    let Fixture { mut p, .. } = connected("pha-closed", USUAL);
    p.server.send_close_notify();
    let err = p.server.request_client_certificate().expect_err("closed");
    assert_eq!(err, Error::Api(ApiError::AlreadyClosed));
}

#[test]
fn the_handshake_verifier_also_serves_post_handshake_requests() {
    // A server with an optional in-handshake verifier can ask again later.
    let pki = TestPki::new("pha-fallback");
    let server = pki.leaf(KeyKind::EcdsaP256);
    let me = pki.client_leaf(KeyKind::EcdsaP256, "client.example");
    let client = ClientConfig::with_root_certificates(vec![pki.ca_cert.clone()])
        .expect("roots")
        .post_handshake_auth(true)
        .client_cert(me.chain(), &me.key())
        .expect("client cert");
    let server = ServerConfig::builder()
        .cert(server.chain(), &server.key())
        .expect("server cert")
        .client_auth(verifier(&pki, true));
    let mut p = Pair::new(client, server);
    p.handshake().expect("handshake");
    assert_eq!(p.server.peer_certificates(), me.chain().as_slice());
    let answer = request_and_answer(&mut p);
    p.deliver(Side::Server, &answer).expect("answer accepted");
    assert_eq!(p.server.negotiated().post_handshake_auth.authenticated, 1);
}
