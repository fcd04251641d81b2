//! Handshakes that wait (`ferrotls::pause`): a paused handshake completed later is
//! the same handshake as the synchronous one; failed completions fail it with the
//! right alert; API misuse is refused; records that arrive meanwhile wait in order.

mod common;
mod pair;

use std::sync::Arc;

use ferrotls::client::ClientConfig;
use ferrotls::conn::Connection;
use ferrotls::crypto::{KeyKind, SigningKey};
use ferrotls::msgs::enums::{AlertDescription, AlertLevel, ContentType, SignatureScheme};
use ferrotls::pause::{Completion, DeferredServerCertVerifier, Handlers, Operation, Signer};
use ferrotls::pki::{PinnedCertVerifier, ServerCertVerifier};
use ferrotls::server::{CertifiedKey, ServerConfig};
use ferrotls::Error;
use rustls_pki_types::CertificateDer;

use pair::{
    alert_record, client_config, ecdsa, identity, plain_record, server_config, summary, Identity,
    KeyType, Pair, Side, BOTH,
};

/// At most this many rounds of moving bytes and answering operations.
const MAX_ROUNDS: usize = 32;

/// Signs with a key the test holds, as a KMS would.
#[derive(Debug)]
struct TestSigner {
    key: SigningKey,
    leaf: CertificateDer<'static>,
}

impl TestSigner {
    fn new(id: &Identity) -> Self {
        TestSigner {
            key: SigningKey::from_der(&id.key()).expect("test key"),
            leaf: id.leaf().clone(),
        }
    }
}

impl Signer for TestSigner {
    fn sign(
        &self,
        certificate: &CertificateDer<'_>,
        scheme: SignatureScheme,
        message: &[u8],
    ) -> Result<Vec<u8>, String> {
        if certificate.as_ref() != self.leaf.as_ref() {
            return Err("no key for this certificate".into());
        }
        self.key.sign(scheme, message).map_err(|e| e.to_string())
    }
}

fn kind_of(key_type: KeyType) -> KeyKind {
    match key_type {
        KeyType::Ecdsa => KeyKind::EcdsaP256,
        KeyType::Rsa => KeyKind::Rsa { bits: 2048 },
    }
}

/// A server configuration whose key for `id` is remote.
fn remote_server(id: &Identity, key_type: KeyType) -> ferrotls::server::ServerConfigBuilder {
    let key = CertifiedKey::remote(id.chain.clone(), kind_of(key_type)).expect("remote key");
    ServerConfig::builder().certified_key(key)
}

/// A client configuration that pauses for the server's certificate verdict.
fn deferred_client() -> ferrotls::client::ClientConfigBuilder {
    ClientConfig::builder(Arc::new(DeferredServerCertVerifier))
}

/// An operation one side paused on.
#[derive(Debug, Clone)]
struct Seen {
    side: Side,
    op: Operation,
}

/// Moves bytes between the pair's sides, answering every operation either pauses on
/// with `answer`, until both are done or one fails. Bytes a paused side does not
/// take yet wait in its inbox. Returns the operations seen, in order.
fn run(
    pair: &mut Pair,
    mut answer: impl FnMut(Side, &Operation) -> Completion,
) -> Result<Vec<Seen>, (Side, Error)> {
    let mut inbox: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut seen = Vec::new();
    for _ in 0..MAX_ROUNDS {
        for (i, side) in BOTH.into_iter().enumerate() {
            let conn: &mut Connection = pair.conn(side);
            loop {
                let taken = conn.feed_tls(&inbox[i]);
                inbox[i].drain(..taken);
                conn.process_new_packets().map_err(|e| (side, e))?;
                if let Some(op) = conn.pending_operation() {
                    let op = op.clone();
                    let completion = answer(side, &op);
                    seen.push(Seen { side, op });
                    conn.complete(completion).map_err(|e| (side, e))?;
                    continue;
                }
                if taken == 0 {
                    break;
                }
            }
            let out = conn.take_tls();
            inbox[1 - i].extend_from_slice(&out);
        }
        let idle = BOTH.iter().all(|s| {
            let c = pair.conn_ref(*s);
            !c.is_handshaking() && !c.wants_write()
        });
        if idle && inbox.iter().all(|b| b.is_empty()) {
            return Ok(seen);
        }
    }
    panic!("the handshake made no progress in {MAX_ROUNDS} rounds");
}

/// Answers as the synchronous hooks would: the test signer, the pinned verifier.
fn sync_answers(id: &Identity) -> Handlers {
    Handlers::new()
        .signer(Arc::new(TestSigner::new(id)))
        .server_verifier(Arc::new(
            PinnedCertVerifier::new(vec![id.leaf().clone()]).expect("pinned"),
        ))
}

fn answer_with(handlers: &Handlers) -> impl FnMut(Side, &Operation) -> Completion + '_ {
    move |_, op| handlers.answer(op).expect("a handler for every operation")
}

fn exchange_data(pair: &mut Pair) {
    pair.round_trip();
}

/// The negotiated summaries of both sides after a synchronous handshake.
fn sync_summaries(
    client: ferrotls::client::ClientConfigBuilder,
    server: ferrotls::server::ServerConfigBuilder,
) -> [String; 2] {
    let mut p = Pair::new(client, server);
    p.handshake().expect("synchronous handshake");
    [
        summary(p.client.negotiated()),
        summary(p.server.negotiated()),
    ]
}

#[test]
fn remote_server_key_pauses_tls13_and_gives_the_same_handshake() {
    for key_type in [KeyType::Ecdsa, KeyType::Rsa] {
        let id = identity(key_type, &["localhost"]);
        let want = sync_summaries(client_config(&[&id]), server_config(&[&id]));
        let mut p = Pair::new(client_config(&[&id]), remote_server(&id, key_type));
        let handlers = sync_answers(&id);
        let seen = run(&mut p, answer_with(&handlers)).expect("paused handshake");
        assert_eq!(seen.len(), 1, "{key_type:?}: one signature: {seen:?}");
        let Operation::Sign(req) = &seen[0].op else {
            panic!("{key_type:?}: expected a signature, got {:?}", seen[0].op);
        };
        assert_eq!(seen[0].side, Side::Server);
        assert_eq!(&req.certificate, id.leaf());
        // RFC 8446, 4.4.3: 64 spaces, the context string, a zero byte, the hash.
        assert!(req.message.starts_with(&[0x20; 64]));
        assert!(req.message[64..].starts_with(b"TLS 1.3, server CertificateVerify\0"));
        let scheme = match key_type {
            KeyType::Ecdsa => SignatureScheme::ECDSA_NISTP256_SHA256,
            KeyType::Rsa => SignatureScheme::RSA_PSS_RSAE_SHA256,
        };
        assert_eq!(req.scheme, scheme);
        assert_eq!(
            [
                summary(p.client.negotiated()),
                summary(p.server.negotiated())
            ],
            want,
            "{key_type:?}"
        );
        exchange_data(&mut p);
    }
}

#[test]
fn deferred_server_verification_pauses_the_client_and_gives_the_same_handshake() {
    let id = ecdsa();
    let want = sync_summaries(client_config(&[&id]), server_config(&[&id]));
    let mut p = Pair::new(deferred_client(), server_config(&[&id]));
    let handlers = sync_answers(&id);
    let seen = run(&mut p, answer_with(&handlers)).expect("paused handshake");
    assert_eq!(seen.len(), 1, "{seen:?}");
    let Operation::VerifyServerCert(req) = &seen[0].op else {
        panic!("expected a verification, got {:?}", seen[0].op);
    };
    assert_eq!(seen[0].side, Side::Client);
    assert_eq!(&req.end_entity, id.leaf());
    assert_eq!(req.intermediates, id.chain[1..].to_vec());
    assert_eq!(req.server_name.to_str(), "localhost");
    assert!(req.ocsp.is_empty());
    assert_eq!(p.client.peer_certificates(), id.chain.as_slice());
    assert_eq!(
        [
            summary(p.client.negotiated()),
            summary(p.server.negotiated())
        ],
        want
    );
    exchange_data(&mut p);
}

#[test]
fn both_sides_paused_in_one_handshake() {
    let id = ecdsa();
    let mut p = Pair::new(deferred_client(), remote_server(&id, KeyType::Ecdsa));
    let handlers = sync_answers(&id);
    let seen = run(&mut p, answer_with(&handlers)).expect("paused handshake");
    let kinds: Vec<(Side, &str)> = seen.iter().map(|s| (s.side, s.op.describe())).collect();
    assert_eq!(
        kinds,
        [
            (Side::Server, "a signature"),
            (Side::Client, "a server certificate verdict")
        ]
    );
    exchange_data(&mut p);
}

#[test]
fn a_failed_signature_fails_the_handshake_with_internal_error() {
    let id = ecdsa();
    let mut p = Pair::new(client_config(&[&id]), remote_server(&id, KeyType::Ecdsa));
    let (side, err) = run(&mut p, |_, _| {
        Completion::Signature(Err("the HSM is offline".into()))
    })
    .expect_err("the signer failed");
    assert_eq!(side, Side::Server);
    assert_eq!(
        err.to_string(),
        "the signer holding the certificate's private key could not sign with ecdsa_secp256r1_sha256: the HSM is offline"
    );
    assert_eq!(err.alert(), Some(AlertDescription::InternalError));
    // The connection stays failed with that error, and the client hears internal_error.
    assert_eq!(p.server.process_new_packets().unwrap_err(), err);
    let sent = p.take(Side::Server);
    assert_eq!(
        p.deliver(Side::Client, &sent).unwrap_err(),
        Error::AlertReceived(AlertDescription::InternalError)
    );
}

#[test]
fn a_refused_server_certificate_fails_with_the_verifiers_alert() {
    let id = ecdsa();
    let other = identity(KeyType::Ecdsa, &["other.example"]);
    let refusing = PinnedCertVerifier::new(vec![other.leaf().clone()]).expect("pinned");
    let mut p = Pair::new(deferred_client(), server_config(&[&id]));
    let (side, err) = run(&mut p, |_, op| match op {
        Operation::VerifyServerCert(r) => Completion::ServerCertVerified(r.verify_with(&refusing)),
        other => panic!("unexpected {other:?}"),
    })
    .expect_err("the verifier refused");
    assert_eq!(side, Side::Client);
    assert_eq!(
        err.to_string(),
        "certificate for CN=localhost is not one of the certificates this client was configured to trust"
    );
    assert_eq!(err.alert(), Some(AlertDescription::UnknownCa));
    // The same error and alert as the synchronous path.
    let mut sync = Pair::new(
        ClientConfig::builder(Arc::new(refusing.clone())),
        server_config(&[&id]),
    );
    let (_, sync_err) = sync.handshake().expect_err("refused synchronously");
    assert_eq!(sync_err, err);
    assert_eq!(
        p.alert_sent_by(Side::Client),
        Some(AlertDescription::UnknownCa)
    );
}

#[test]
fn completing_without_a_pending_operation_or_with_the_wrong_answer_is_refused() {
    let id = ecdsa();
    let mut p = Pair::new(client_config(&[&id]), remote_server(&id, KeyType::Ecdsa));
    let none = p
        .server
        .complete(Completion::Signature(Ok(vec![1])))
        .unwrap_err();
    assert_eq!(
        none.to_string(),
        "complete() was called, but the handshake is not waiting for any operation \
         (each operation from pending_operation() is completed exactly once)"
    );
    let hello = p.take(Side::Client);
    p.server.feed_tls(&hello);
    p.server.process_new_packets().expect("ClientHello");
    assert!(matches!(
        p.server.pending_operation(),
        Some(Operation::Sign(_))
    ));

    let verified = PinnedCertVerifier::new(vec![id.leaf().clone()])
        .unwrap()
        .verify_server_cert(
            id.leaf(),
            &[],
            &"localhost".try_into().unwrap(),
            &[],
            rustls_pki_types::UnixTime::now(),
        )
        .expect("pinned leaf");
    let wrong = p
        .server
        .complete(Completion::ServerCertVerified(Ok(verified)))
        .unwrap_err();
    assert_eq!(
        wrong.to_string(),
        "the handshake waits for a signature, but complete() was given a server certificate verdict"
    );
    // Misuse changes nothing: still waiting, not failed.
    assert!(p.server.error().is_none());
    assert!(matches!(
        p.server.pending_operation(),
        Some(Operation::Sign(_))
    ));

    let Some(Operation::Sign(req)) = p.server.pending_operation().cloned() else {
        unreachable!()
    };
    let signature = TestSigner::new(&id).sign(&req.certificate, req.scheme, &req.message);
    p.server
        .complete(Completion::Signature(signature))
        .expect("the signature");
    let twice = p
        .server
        .complete(Completion::Signature(Ok(vec![1])))
        .unwrap_err();
    assert_eq!(twice, none);
    assert!(p.server.error().is_none());
    p.handshake().expect("the handshake goes on");
}

#[test]
fn a_driver_without_a_handler_fails_with_a_sentence() {
    let id = ecdsa();
    let mut p = Pair::new(client_config(&[&id]), remote_server(&id, KeyType::Ecdsa));
    let hello = p.take(Side::Client);
    p.server.feed_tls(&hello);
    p.server.process_new_packets().expect("ClientHello");
    let err = p.server.complete_with(&Handlers::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the handshake waits for a signature, but no handler for it was given to the driver"
    );
    assert_eq!(p.server.error(), Some(&err));
}

#[test]
fn records_that_arrive_while_paused_wait_and_then_proceed_in_order() {
    // The server pauses on the ClientHello; a compatibility CCS and then a fatal alert
    // arrive meanwhile. Neither is looked at until the signature comes; then both are,
    // in order (the CCS is accepted, the alert ends the handshake).
    let id = ecdsa();
    let mut p = Pair::new(client_config(&[&id]), remote_server(&id, KeyType::Ecdsa));
    let hello = p.take(Side::Client);
    p.server.feed_tls(&hello);
    p.server.process_new_packets().expect("ClientHello");
    assert!(p.server.pending_operation().is_some());
    let server_hello = p.server.take_tls();
    assert!(!server_hello.is_empty(), "the ServerHello leaves at once");

    let mut later = plain_record(ContentType::ChangeCipherSpec, &[1]);
    later.extend(alert_record(
        AlertLevel::Fatal,
        AlertDescription::AccessDenied,
    ));
    assert_eq!(p.server.feed_tls(&later), later.len());
    for _ in 0..3 {
        p.server
            .process_new_packets()
            .expect("nothing is processed while paused");
        assert!(p.server.pending_operation().is_some());
    }
    let Some(Operation::Sign(req)) = p.server.pending_operation().cloned() else {
        unreachable!()
    };
    let signature = TestSigner::new(&id).sign(&req.certificate, req.scheme, &req.message);
    p.server
        .complete(Completion::Signature(signature))
        .expect("the signature");
    assert_eq!(
        p.server.process_new_packets().unwrap_err(),
        Error::AlertReceived(AlertDescription::AccessDenied)
    );

    // On the client, the server's CertificateVerify and Finished share the record of
    // the Certificate it paused on: they wait joined, then verify in order.
    let mut p = Pair::new(deferred_client(), server_config(&[&id]));
    p.transfer(Side::Client).expect("ClientHello");
    let flight = p.take(Side::Server);
    assert_eq!(p.client.feed_tls(&flight), flight.len());
    p.client.process_new_packets().expect("server flight");
    assert!(p.client.is_handshaking());
    // Only the compatibility CCS leaves: no Finished before the verdict.
    let early = p.take(Side::Client);
    p.deliver(Side::Server, &early).expect("CCS");
    assert!(p.server.is_handshaking());
    let handlers = sync_answers(&id);
    p.client.complete_with(&handlers).expect("verdict");
    p.client
        .process_new_packets()
        .expect("CertificateVerify and Finished");
    assert!(!p.client.is_handshaking());
    p.transfer(Side::Client).expect("client Finished");
    assert!(!p.server.is_handshaking());
    exchange_data(&mut p);
}

#[test]
fn a_remote_key_needs_a_certificate() {
    let err = CertifiedKey::remote(Vec::new(), KeyKind::EcdsaP256).unwrap_err();
    assert_eq!(err.to_string(), "no certificates were configured");
}
