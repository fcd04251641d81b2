//! Handshakes that wait (`ferrotls::pause`): a paused handshake completed later is
//! the same handshake as the synchronous one; failed completions fail it with the
//! right alert; API misuse is refused; records that arrive meanwhile wait in order.

mod common;
mod pair;

use std::sync::Arc;

use ferrotls::client::ClientConfig;
use ferrotls::conn::Connection;
use ferrotls::crypto::{KeyKind, SigningKey};
use ferrotls::msgs::enums::ProtocolVersion;
use ferrotls::msgs::enums::{AlertDescription, AlertLevel, ContentType, SignatureScheme};
use ferrotls::pause::{
    Completion, DeferredClientCertVerifier, DeferredServerCertVerifier, Handlers, Operation, Signer,
};
use ferrotls::pki::{
    ClientAuthVerifier, PinnedCertVerifier, RootStore, ServerCertVerifier, TrustAnchor, Verifier,
};
use ferrotls::server::{
    AntiReplay, CertifiedKey, InMemorySessionCache, ServerConfig, ServerSessionCache, StoredSession,
};
use ferrotls::Error;
use rustls_pki_types::CertificateDer;

use pair::{
    alert_record, client_config, ecdsa, identity, plain_record, server_config, summary, Identity,
    KeyType, Pair, Side, BOTH,
};

/// At most this many rounds of moving bytes and answering operations.
const MAX_ROUNDS: usize = 32;

/// Signs with keys the test holds, as a KMS would: the key is chosen by certificate.
#[derive(Debug)]
struct TestSigner {
    keys: Vec<(CertificateDer<'static>, SigningKey)>,
}

impl TestSigner {
    fn new(id: &Identity) -> Self {
        Self::for_all(&[id])
    }

    fn for_all(ids: &[&Identity]) -> Self {
        TestSigner {
            keys: ids
                .iter()
                .map(|id| {
                    let key = SigningKey::from_der(&id.key()).expect("test key");
                    (id.leaf().clone(), key)
                })
                .collect(),
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
        let (_, key) = self
            .keys
            .iter()
            .find(|(leaf, _)| leaf.as_ref() == certificate.as_ref())
            .ok_or("no key for this certificate")?;
        key.sign(scheme, message).map_err(|e| e.to_string())
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
    /// Where the handshake stood, as errors name it.
    step: String,
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
                    let step = ferrotls::error::handshake_step(conn.state_name());
                    let completion = answer(side, &op);
                    seen.push(Seen { side, op, step });
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

// ---------------------------------------------------------------------------------
// TLS 1.2, client certificates

const TLS12: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_2];
const TLS13: &[ProtocolVersion] = &[ProtocolVersion::TLSv1_3];

/// Verifies client certificates issued by the pair's test CA.
fn client_auth(id: &Identity) -> Arc<ClientAuthVerifier> {
    let mut roots = RootStore::new();
    roots.add(TrustAnchor::from_cert(id.chain[1].clone()).expect("test CA"));
    Arc::new(ClientAuthVerifier::new(Verifier::new(roots)))
}

fn client_id() -> Identity {
    identity(KeyType::Ecdsa, &["client.example"])
}

/// Every answer the tests give: both keys, the pinned server, the CA for clients.
fn all_answers(server: &Identity, client: &Identity) -> Handlers {
    Handlers::new()
        .signer(Arc::new(TestSigner::for_all(&[server, client])))
        .server_verifier(Arc::new(
            PinnedCertVerifier::new(vec![server.leaf().clone()]).expect("pinned"),
        ))
        .client_verifier(client_auth(client))
}

/// One paused handshake: what pauses, on which side, and the context string a
/// signature's message must carry (TLS 1.3) or not.
struct Case {
    name: &'static str,
    versions: &'static [ProtocolVersion],
    remote_server_key: bool,
    deferred_server_verifier: bool,
    remote_client_key: bool,
    deferred_client_verifier: bool,
    want: &'static [(Side, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "TLS 1.2 ServerKeyExchange by a remote key",
        versions: TLS12,
        remote_server_key: true,
        deferred_server_verifier: false,
        remote_client_key: false,
        deferred_client_verifier: false,
        want: &[(Side::Server, "a signature")],
    },
    Case {
        name: "TLS 1.2 server certificate verified by the caller",
        versions: TLS12,
        remote_server_key: false,
        deferred_server_verifier: true,
        remote_client_key: false,
        deferred_client_verifier: false,
        want: &[(Side::Client, "a server certificate verdict")],
    },
    Case {
        name: "TLS 1.3 client CertificateVerify by a remote key",
        versions: TLS13,
        remote_server_key: false,
        deferred_server_verifier: false,
        remote_client_key: true,
        deferred_client_verifier: false,
        want: &[(Side::Client, "a signature")],
    },
    Case {
        name: "TLS 1.2 client CertificateVerify by a remote key",
        versions: TLS12,
        remote_server_key: false,
        deferred_server_verifier: false,
        remote_client_key: true,
        deferred_client_verifier: false,
        want: &[(Side::Client, "a signature")],
    },
    Case {
        name: "TLS 1.3 client certificate verified by the caller",
        versions: TLS13,
        remote_server_key: false,
        deferred_server_verifier: false,
        remote_client_key: false,
        deferred_client_verifier: true,
        want: &[(Side::Server, "a client certificate verdict")],
    },
    Case {
        name: "TLS 1.2 client certificate verified by the caller",
        versions: TLS12,
        remote_server_key: false,
        deferred_server_verifier: false,
        remote_client_key: false,
        deferred_client_verifier: true,
        want: &[(Side::Server, "a client certificate verdict")],
    },
    Case {
        name: "TLS 1.3 everything at once",
        versions: TLS13,
        remote_server_key: true,
        deferred_server_verifier: true,
        remote_client_key: true,
        deferred_client_verifier: true,
        want: &[
            (Side::Server, "a signature"),
            (Side::Client, "a server certificate verdict"),
            (Side::Client, "a signature"),
            (Side::Server, "a client certificate verdict"),
        ],
    },
    Case {
        name: "TLS 1.2 everything at once",
        versions: TLS12,
        remote_server_key: true,
        deferred_server_verifier: true,
        remote_client_key: true,
        deferred_client_verifier: true,
        want: &[
            (Side::Server, "a signature"),
            (Side::Client, "a server certificate verdict"),
            (Side::Client, "a signature"),
            (Side::Server, "a client certificate verdict"),
        ],
    },
];

/// The configurations of `case`, paused where it says, or all synchronous.
fn case_configs(
    case: &Case,
    paused: bool,
) -> (
    ferrotls::client::ClientConfigBuilder,
    ferrotls::server::ServerConfigBuilder,
) {
    let (server_id, client_id) = (ecdsa(), client_id());
    let mut server = if paused && case.remote_server_key {
        remote_server(&server_id, KeyType::Ecdsa)
    } else {
        server_config(&[&server_id])
    };
    server = server.versions(case.versions);
    let mut client = if paused && case.deferred_server_verifier {
        deferred_client()
    } else {
        client_config(&[&server_id])
    };
    client = client.versions(case.versions);
    if case.remote_client_key || case.deferred_client_verifier {
        client = if paused && case.remote_client_key {
            let key = CertifiedKey::remote(client_id.chain.clone(), KeyKind::EcdsaP256)
                .expect("remote client key");
            client.client_certified_key(key)
        } else {
            client
                .client_cert(client_id.chain.clone(), &client_id.key())
                .expect("client cert")
        };
        server = if paused && case.deferred_client_verifier {
            server.client_auth(Arc::new(DeferredClientCertVerifier::new(true, Vec::new())))
        } else {
            server.client_auth(client_auth(&client_id))
        };
    }
    (client, server)
}

#[test]
fn every_pause_point_gives_the_same_handshake_as_the_synchronous_path() {
    let (server_id, client_id) = (ecdsa(), client_id());
    let handlers = all_answers(&server_id, &client_id);
    for case in CASES {
        let (client, server) = case_configs(case, false);
        let want = sync_summaries(client, server);
        let (client, server) = case_configs(case, true);
        let mut p = Pair::new(client, server);
        let seen = run(&mut p, answer_with(&handlers))
            .unwrap_or_else(|(side, e)| panic!("{}: {side:?} failed: {e}", case.name));
        let kinds: Vec<(Side, &str)> = seen.iter().map(|s| (s.side, s.op.describe())).collect();
        assert_eq!(kinds, case.want, "{}", case.name);
        for s in &seen {
            if let Operation::Sign(req) = &s.op {
                let leaf = if s.side == Side::Server {
                    &server_id
                } else {
                    &client_id
                };
                assert_eq!(&req.certificate, leaf.leaf(), "{}", case.name);
                let context: &[u8] = if s.side == Side::Server {
                    b"TLS 1.3, server CertificateVerify\0"
                } else {
                    b"TLS 1.3, client CertificateVerify\0"
                };
                // RFC 8446, 4.4.3 in TLS 1.3; RFC 5246, 7.4.3 and 7.4.8 sign other bytes.
                let tls13 = req.message.len() > 64 && req.message[64..].starts_with(context);
                assert_eq!(tls13, case.versions == TLS13, "{}", case.name);
            }
        }
        let got = [
            summary(p.client.negotiated()),
            summary(p.server.negotiated()),
        ];
        assert_eq!(got, want, "{}", case.name);
        if case.remote_client_key || case.deferred_client_verifier {
            assert_eq!(
                p.server.peer_certificates(),
                client_id.chain.as_slice(),
                "{}",
                case.name
            );
            assert!(p.client.negotiated().client_auth, "{}", case.name);
        }
        exchange_data(&mut p);
    }
}

#[test]
fn a_refused_client_certificate_fails_as_the_synchronous_path_does() {
    let stranger = identity(KeyType::Ecdsa, &["stranger.example"]);
    let other_ca_verifier = {
        // Trusts only a CA that issued nothing here: the pair's CA is unknown to it.
        let other = rcgen::generate_simple_self_signed(vec!["other-ca".to_string()]).unwrap();
        let mut roots = RootStore::new();
        roots.add(TrustAnchor::from_cert(other.cert.der().clone()).unwrap());
        ClientAuthVerifier::new(Verifier::new(roots))
    };
    for versions in [TLS13, TLS12] {
        let server_id = ecdsa();
        let client = client_config(&[&server_id])
            .versions(versions)
            .client_cert(stranger.chain.clone(), &stranger.key())
            .unwrap();
        let sync_server = server_config(&[&server_id])
            .versions(versions)
            .client_auth(Arc::new(other_ca_verifier.clone()));
        let mut sync = Pair::new(client.clone(), sync_server);
        let (side, want) = sync.handshake().expect_err("refused synchronously");
        assert_eq!(side, Side::Server);

        let paused_server = server_config(&[&server_id])
            .versions(versions)
            .client_auth(Arc::new(DeferredClientCertVerifier::new(true, Vec::new())));
        let mut p = Pair::new(client, paused_server);
        let (side, err) = run(&mut p, |_, op| match op {
            Operation::VerifyClientCert(r) => {
                Completion::ClientCertVerified(r.verify_with(&other_ca_verifier))
            }
            other => panic!("unexpected {other:?}"),
        })
        .expect_err("refused by the caller's verifier");
        assert_eq!((side, &err), (Side::Server, &want), "{versions:?}");
        assert_eq!(
            err.alert(),
            Some(AlertDescription::UnknownCa),
            "{versions:?}"
        );
        let sent = p.take(Side::Server);
        assert_eq!(
            p.deliver(Side::Client, &sent).unwrap_err(),
            Error::AlertReceived(AlertDescription::UnknownCa),
            "{versions:?}"
        );
    }
}

#[test]
fn a_failed_client_signature_fails_with_internal_error() {
    for versions in [TLS13, TLS12] {
        let (server_id, client_id) = (ecdsa(), client_id());
        let key = CertifiedKey::remote(client_id.chain.clone(), KeyKind::EcdsaP256).unwrap();
        let mut p = Pair::new(
            client_config(&[&server_id])
                .versions(versions)
                .client_certified_key(key),
            server_config(&[&server_id])
                .versions(versions)
                .client_auth(client_auth(&client_id)),
        );
        let (side, err) = run(&mut p, |_, _| {
            Completion::Signature(Err("token expired".into()))
        })
        .expect_err("the signer failed");
        assert_eq!(side, Side::Client, "{versions:?}");
        assert_eq!(
            err.to_string(),
            "the signer holding the certificate's private key could not sign with ecdsa_secp256r1_sha256: token expired"
        );
        assert_eq!(err.alert(), Some(AlertDescription::InternalError));
    }
}

// ---------------------------------------------------------------------------------
// A real peer

#[test]
fn openssl_s_client_handshakes_with_a_server_whose_key_is_remote() {
    let pki = common::TestPki::new("pause-s_client");
    let leaf = pki.leaf(common::KeyKind::EcdsaP256);
    let id_key = SigningKey::from_der(&leaf.key()).unwrap();
    for (flag, version) in [
        ("-tls1_3", ProtocolVersion::TLSv1_3),
        ("-tls1_2", ProtocolVersion::TLSv1_2),
    ] {
        let remote = CertifiedKey::remote(leaf.chain(), KeyKind::EcdsaP256).unwrap();
        let config = ServerConfig::builder()
            .certified_key(remote)
            .build()
            .expect("server config");
        let signer = TestSigner {
            keys: vec![(
                leaf.cert.clone(),
                SigningKey::from_der(&leaf.key()).unwrap(),
            )],
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(
            move || -> Result<(usize, Option<ProtocolVersion>), String> {
                let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
                tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
                    .map_err(|e| e.to_string())?;
                let conn = ferrotls::ServerConnection::new(config).map_err(|e| e.to_string())?;
                let mut tls = ferrotls::StreamOwned::new(conn, tcp)
                    .with_handlers(Handlers::new().signer(Arc::new(signer)));
                let mut line = Vec::new();
                let mut byte = [0u8; 1];
                while !line.ends_with(b"\n") {
                    match std::io::Read::read(&mut tls, &mut byte).map_err(|e| e.to_string())? {
                        0 => break,
                        _ => line.push(byte[0]),
                    }
                }
                std::io::Write::write_all(&mut tls, &line).map_err(|e| e.to_string())?;
                let _ = tls.close();
                Ok((line.len(), tls.conn.protocol_version()))
            },
        );
        let mut client = common::Process::spawn(
            "openssl",
            &[
                "s_client",
                flag,
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-servername",
                "localhost",
                "-verify_return_error",
                "-CAfile",
                pki.ca_file.to_str().unwrap(),
                "-nocommands",
            ],
        );
        let line = "signed far away";
        let outcome = client.supervise(|c| {
            c.write_stdin(format!("{line}\n").as_bytes())?;
            c.wait_for_stdout_text(line)?;
            c.close_stdin();
            Ok(())
        });
        outcome.unwrap_or_else(|e| panic!("{flag}: {e}\n{}", client.report()));
        let stdout = client.stdout();
        assert!(
            stdout.contains("Verify return code: 0 (ok)"),
            "{flag}: {stdout}"
        );
        let (echoed, negotiated) = server.join().unwrap().unwrap();
        assert_eq!(echoed, line.len() + 1, "{flag}");
        assert_eq!(negotiated, Some(version), "{flag}");
    }
    // The key the signer held is the one in the certificate.
    assert_eq!(
        id_key.public_key_spki(),
        ferrotls::pki::spki_of(leaf.cert.as_ref()).unwrap()
    );
}

#[test]
fn post_handshake_authentication_cannot_wait_for_a_deferred_verifier() {
    let (server_id, client_id) = (ecdsa(), client_id());
    let mut p = Pair::new(
        client_config(&[&server_id])
            .post_handshake_auth(true)
            .client_cert(client_id.chain.clone(), &client_id.key())
            .unwrap(),
        server_config(&[&server_id]).post_handshake_client_auth(Arc::new(
            DeferredClientCertVerifier::new(true, Vec::new()),
        )),
    );
    p.handshake().expect("handshake");
    p.server.request_client_certificate().expect("request");
    p.transfer(Side::Server).expect("CertificateRequest");
    let err = p.transfer(Side::Client).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "the client's certificate was not verified: its verifier answers only when the handshake \
         pauses for it (ferrotls::pause), and post-handshake authentication cannot pause yet; \
         give ServerConfigBuilder::post_handshake_client_auth a synchronous verifier"
    );
    assert_eq!(err.alert(), Some(AlertDescription::CertificateUnknown));
    assert!(p.server.pending_operation().is_none());
    // The server verifier's twin, for a caller who runs it synchronously.
    let verdict = DeferredServerCertVerifier
        .verify_server_cert(
            server_id.leaf(),
            &[],
            &"localhost".try_into().unwrap(),
            &[],
            rustls_pki_types::UnixTime::now(),
        )
        .unwrap_err();
    assert!(verdict
        .to_string()
        .starts_with("the server's certificate was not verified: its verifier answers only"));
}

#[test]
fn a_paused_handshake_names_the_step_it_waits_at() {
    let (server_id, client_id) = (ecdsa(), client_id());
    for (versions, suffix) in [(TLS13, ""), (TLS12, " (TLS 1.2)")] {
        let mut p = Pair::new(
            deferred_client().versions(versions).client_certified_key(
                CertifiedKey::remote(client_id.chain.clone(), KeyKind::EcdsaP256).unwrap(),
            ),
            remote_server(&server_id, KeyType::Ecdsa)
                .versions(versions)
                .client_auth(Arc::new(DeferredClientCertVerifier::new(true, Vec::new()))),
        );
        let handlers = all_answers(&server_id, &client_id);
        let seen = run(&mut p, answer_with(&handlers)).expect("handshake");
        let steps: Vec<String> = seen.iter().map(|s| s.step.clone()).collect();
        let want: Vec<String> = [
            "while the certificate's private key was signing",
            "while the server's certificate was being verified",
            "while the certificate's private key was signing",
            "while the client's certificate was being verified",
        ]
        .iter()
        .map(|s| format!("{s}{suffix}"))
        .collect();
        assert_eq!(steps, want);
    }
}

/// A session store across the network: `put` goes on at once (into `inner`),
/// lookups pause the handshake and are answered from `inner` by the test.
#[derive(Debug)]
struct RemoteSessions {
    inner: Arc<InMemorySessionCache>,
}

impl ServerSessionCache for RemoteSessions {
    fn put(&self, id: Vec<u8>, session: Arc<StoredSession>) {
        self.inner.put(id, session);
    }
    fn get(&self, _: &[u8]) -> Option<Arc<StoredSession>> {
        panic!("a store that pauses is not asked synchronously")
    }
    fn take(&self, _: &[u8]) -> Option<Arc<StoredSession>> {
        panic!("a store that pauses is not asked synchronously")
    }
    fn pauses(&self) -> bool {
        true
    }
}

#[test]
fn tls12_session_lookups_pause_and_resume_the_session() {
    let id = ecdsa();
    let inner = Arc::new(InMemorySessionCache::new(16));
    let server = server_config(&[&id])
        .versions(TLS12)
        .session_tickets(false)
        .session_cache(Arc::new(RemoteSessions {
            inner: inner.clone(),
        }))
        .build()
        .unwrap();
    let client = client_config(&[&id]).versions(TLS12).build().unwrap();
    let handlers = Handlers::new().session_store(inner.clone());
    let mut lookups = Vec::new();
    for round in 0..3 {
        let mut p = Pair {
            client: ferrotls::ClientConnection::new(
                client.clone(),
                "localhost".try_into().unwrap(),
            )
            .unwrap(),
            server: ferrotls::ServerConnection::new(server.clone()).unwrap(),
            client_keys: Arc::default(),
            server_keys: Arc::default(),
        };
        let seen = run(&mut p, answer_with(&handlers)).expect("handshake");
        for s in &seen {
            let Operation::LookupSession(r) = &s.op else {
                panic!("unexpected {:?}", s.op);
            };
            assert_eq!(
                s.step,
                "while the session cache was looking up the client's session (TLS 1.2)"
            );
            lookups.push(r.id.clone());
        }
        assert_eq!(p.server.negotiated().resumed, round > 0, "round {round}");
        assert_eq!(p.client.negotiated().resumed, round > 0, "round {round}");
        exchange_data(&mut p);
    }
    // The first ClientHello offers a random session ID (a miss); the others offer
    // the session the first handshake stored.
    assert_eq!(lookups.len(), 3, "{lookups:?}");
    assert!(inner.get(&lookups[0]).is_none());
    assert_eq!(lookups[1], lookups[2]);
    assert!(inner.get(&lookups[1]).is_some());

    // A miss answers None: a full handshake, as with a synchronous cache.
    let mut p = Pair {
        client: ferrotls::ClientConnection::new(client.clone(), "localhost".try_into().unwrap())
            .unwrap(),
        server: ferrotls::ServerConnection::new(server.clone()).unwrap(),
        client_keys: Arc::default(),
        server_keys: Arc::default(),
    };
    let seen = run(&mut p, |_, _| Completion::Session(None)).expect("handshake");
    assert_eq!(seen.len(), 1);
    assert!(!p.server.negotiated().resumed);
}

/// ClientHello recording in memory (RFC 8446, 8.2), for the tests' handlers.
#[derive(Debug, Default)]
struct Recorder {
    seen: std::sync::Mutex<std::collections::HashSet<Vec<u8>>>,
}

impl AntiReplay for Recorder {
    fn first_seen(&self, digest: &[u8], window_ms: u64) -> bool {
        assert_eq!(
            window_ms, 20_000,
            "twice the freshness window of RFC 8446, 8.3"
        );
        self.seen.lock().unwrap().insert(digest.to_vec())
    }
}

/// An anti-replay guard across the network: it is asked only through the pause API.
#[derive(Debug)]
struct RemoteReplay;

impl AntiReplay for RemoteReplay {
    fn first_seen(&self, _: &[u8], _: u64) -> bool {
        panic!("a guard that pauses is not asked synchronously")
    }
    fn pauses(&self) -> bool {
        true
    }
}

#[test]
fn tls13_ticket_takes_and_replay_checks_pause_and_early_data_is_accepted_once() {
    let id = ecdsa();
    let inner = Arc::new(InMemorySessionCache::new(16));
    let recorder = Arc::new(Recorder::default());
    let server = server_config(&[&id])
        .max_early_data(1024)
        .session_cache(Arc::new(RemoteSessions {
            inner: inner.clone(),
        }))
        .anti_replay(Arc::new(RemoteReplay))
        .build()
        .unwrap();
    let client = client_config(&[&id]).early_data(true).build().unwrap();
    let handlers = Handlers::new()
        .session_store(inner.clone())
        .anti_replay(recorder.clone());
    let pair = || Pair {
        client: ferrotls::ClientConnection::new(client.clone(), "localhost".try_into().unwrap())
            .unwrap(),
        server: ferrotls::ServerConnection::new(server.clone()).unwrap(),
        client_keys: Arc::default(),
        server_keys: Arc::default(),
    };

    // A full handshake offers no ticket: nothing to wait for; it stores tickets.
    let mut p = pair();
    assert!(run(&mut p, answer_with(&handlers))
        .expect("full")
        .is_empty());
    assert!(!p.server.negotiated().resumed);

    // 0-RTT: the stateful ticket is taken, the ClientHello recorded, both through
    // the pause API, and the early data accepted.
    let mut p = pair();
    assert_eq!(p.client.write_early_data(b"only once").unwrap(), 9);
    let first_flight = p.client.pending_tls().to_vec();
    let taken = std::cell::RefCell::new(None);
    let seen = run(&mut p, |_, op| {
        let c = handlers.answer(op).expect("a handler");
        if let (Operation::TakeSession(_), Completion::Session(s)) = (op, &c) {
            *taken.borrow_mut() = s.clone();
        }
        c
    })
    .expect("0-RTT");
    let kinds: Vec<&str> = seen.iter().map(|s| s.op.describe()).collect();
    assert_eq!(kinds, ["a session lookup", "a replay check"]);
    for s in &seen {
        assert_eq!(
            s.step,
            "while the session cache and the anti-replay guard were asked about the ClientHello"
        );
    }
    assert!(matches!(seen[0].op, Operation::TakeSession(_)));
    assert!(p.server.negotiated().resumed);
    assert!(p.server.early_data_accepted());
    let session = taken.into_inner().expect("the ticket was in the store");

    // The same first flight replayed to another server of the fleet: the ticket is
    // gone (single-use), and even a store that still had it would not let the
    // early data in, because the ClientHello was recorded. The handshake goes on.
    for answer_take in [None, Some(session)] {
        let mut replayed = ferrotls::ServerConnection::new(server.clone()).unwrap();
        let mut rest = &first_flight[..];
        while !rest.is_empty() {
            let n = replayed.feed_tls(rest);
            rest = &rest[n..];
            replayed
                .process_new_packets()
                .expect("a replay is no error");
            while let Some(op) = replayed.pending_operation().cloned() {
                let c = match op {
                    Operation::TakeSession(_) => Completion::Session(answer_take.clone()),
                    other => handlers.answer(&other).unwrap(),
                };
                if let Completion::Replay(r) = &c {
                    assert_eq!(r, &Ok(false), "the replay is recognised");
                }
                replayed.complete(c).unwrap();
                replayed
                    .process_new_packets()
                    .expect("a replay is no error");
            }
        }
        assert!(!replayed.early_data_accepted());
        assert_eq!(
            replayed.negotiated().resumed,
            answer_take.is_some(),
            "resumed only where the store still had the ticket"
        );
        assert!(
            !replayed.take_tls().is_empty(),
            "the server answers (1-RTT)"
        );
    }
}

/// A store whose `take` does not remove: tickets are not single-use, as in a
/// fleet where each server keeps its own copy.
#[derive(Debug)]
struct LeakyCache(InMemorySessionCache);

impl ServerSessionCache for LeakyCache {
    fn put(&self, id: Vec<u8>, session: Arc<StoredSession>) {
        self.0.put(id, session);
    }
    fn get(&self, id: &[u8]) -> Option<Arc<StoredSession>> {
        self.0.get(id)
    }
    fn take(&self, id: &[u8]) -> Option<Arc<StoredSession>> {
        self.0.get(id)
    }
}

#[test]
fn a_synchronous_anti_replay_guard_refuses_replayed_early_data() {
    let id = ecdsa();
    for guarded in [false, true] {
        let builder = server_config(&[&id])
            .max_early_data(1024)
            .session_cache(Arc::new(LeakyCache(InMemorySessionCache::new(16))));
        let recorder = Arc::new(Recorder::default());
        let server = if guarded {
            builder.anti_replay(recorder.clone())
        } else {
            builder
        }
        .build()
        .unwrap();
        let client = client_config(&[&id]).early_data(true).build().unwrap();
        let pair = || Pair {
            client: ferrotls::ClientConnection::new(
                client.clone(),
                "localhost".try_into().unwrap(),
            )
            .unwrap(),
            server: ferrotls::ServerConnection::new(server.clone()).unwrap(),
            client_keys: Arc::default(),
            server_keys: Arc::default(),
        };
        let mut p = pair();
        run(&mut p, |_, op| panic!("nothing pauses: {op:?}")).expect("full");
        let mut p = pair();
        p.client.write_early_data(b"once").unwrap();
        let first_flight = p.client.pending_tls().to_vec();
        run(&mut p, |_, op| panic!("nothing pauses: {op:?}")).expect("0-RTT");
        assert!(p.server.early_data_accepted());

        let mut replayed = ferrotls::ServerConnection::new(server.clone()).unwrap();
        let mut rest = &first_flight[..];
        while !rest.is_empty() {
            let n = replayed.feed_tls(rest);
            rest = &rest[n..];
            replayed
                .process_new_packets()
                .expect("a replay is no error");
        }
        assert!(replayed.negotiated().resumed, "the leaky store resumes");
        // Without the guard the replayed early data gets in: what it is for.
        assert_eq!(
            replayed.early_data_accepted(),
            !guarded,
            "guarded: {guarded}"
        );
        assert_eq!(recorder.seen.lock().unwrap().len(), usize::from(guarded));
    }
}
