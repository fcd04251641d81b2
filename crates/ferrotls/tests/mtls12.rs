//! TLS 1.2 client certificates (RFC 5246, 7.4.4, 7.4.6, 7.4.8) and stapling (RFC 6066, 8).

mod common;
mod pair;

use std::sync::Arc;

use common::{KeyKind, Leaf, TestPki};
use ferrotls::client::InMemorySessionStore;
use ferrotls::crypto::provider::Provider;
use ferrotls::error::{Error, PeerMisbehaved};
use ferrotls::msgs::enums::{AlertDescription, ProtocolVersion};
use ferrotls::pki::{ClientAuthVerifier, ClientCertVerifier, RootStore, TrustAnchor, Verifier};
use ferrotls::server::{InMemorySessionCache, ServerConfigBuilder, ServerSessionCache, Ticketer};
use ferrotls::{ClientConfig, ServerConfig};
use pair::{KeyCapture, NoCache, Pair, Recorder, Side};
use rustls_pki_types::CertificateDer;

fn client_auth(pki: &TestPki, optional: bool) -> Arc<ClientAuthVerifier> {
    let mut roots = RootStore::new();
    roots.add(TrustAnchor::from_cert(pki.ca_cert.clone()).unwrap());
    let verifier = ClientAuthVerifier::new(Verifier::new(roots));
    Arc::new(if optional {
        verifier.optional()
    } else {
        verifier
    })
}

fn configs(pki: &TestPki, optional: bool, with_cert: bool) -> Pair {
    let server = pki.leaf(KeyKind::EcdsaP256);
    let mut client = ClientConfig::with_root_certificates(vec![pki.ca_cert.clone()])
        .unwrap()
        .versions(&[ProtocolVersion::TLSv1_2]);
    if with_cert {
        let me = pki.client_leaf(KeyKind::EcdsaP256, "client.example");
        client = client.client_cert(me.chain(), &me.key()).unwrap();
    }
    Pair::new(
        client,
        ServerConfig::builder()
            .cert(server.chain(), &server.key())
            .unwrap()
            .versions(&[ProtocolVersion::TLSv1_2])
            .client_auth(client_auth(pki, optional)),
    )
}

#[test]
fn a_client_certificate_is_verified_and_visible_to_the_server() {
    let pki = TestPki::new("mtls12");
    let mut p = configs(&pki, false, true);
    p.handshake().expect("handshake");
    assert_eq!(
        p.server.negotiated().version,
        Some(ProtocolVersion::TLSv1_2)
    );
    assert!(p.server.negotiated().client_auth);
    assert!(p.client.negotiated().client_auth);
    assert_eq!(p.server.peer_certificates().len(), 1);
}

#[test]
fn a_missing_client_certificate_is_refused_when_required() {
    let pki = TestPki::new("mtls12-missing");
    let mut p = configs(&pki, false, false);
    let err = match p.handshake() {
        Err((Side::Server, e)) => e,
        other => panic!("the server must refuse: {other:?}"),
    };
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::NoCertificate));
    assert_eq!(
        err.to_string(),
        "peer sent no certificate, but one is required"
    );
    assert_eq!(
        p.alert_sent_by(Side::Server),
        Some(AlertDescription::CertificateRequired)
    );
}

#[test]
fn an_optional_client_certificate_may_be_absent() {
    let pki = TestPki::new("mtls12-optional");
    let mut p = configs(&pki, true, false);
    p.handshake().expect("handshake");
    assert!(p.server.peer_certificates().is_empty());
}

#[test]
fn a_client_certificate_from_another_ca_is_refused_with_its_explanation() {
    let pki = TestPki::new("mtls12-trusted");
    let other = TestPki::new("mtls12-other");
    let server = pki.leaf(KeyKind::EcdsaP256);
    let stranger = other.client_leaf(KeyKind::EcdsaP256, "mallory.example");
    let mut p = Pair::new(
        ClientConfig::with_root_certificates(vec![pki.ca_cert.clone()])
            .unwrap()
            .versions(&[ProtocolVersion::TLSv1_2])
            .client_cert(stranger.chain(), &stranger.key())
            .unwrap(),
        ServerConfig::builder()
            .cert(server.chain(), &server.key())
            .unwrap()
            .client_auth(client_auth(&pki, false)),
    );
    let err = match p.handshake() {
        Err((Side::Server, e)) => e,
        other => panic!("the server must refuse: {other:?}"),
    };
    assert!(
        err.to_string().contains("was not sent by the client"),
        "the explanation speaks of the client: {err}"
    );
    assert_eq!(
        p.alert_sent_by(Side::Server),
        Some(AlertDescription::UnknownCa)
    );
}

#[test]
fn the_tls12_staple_reaches_the_verifier() {
    let pki = TestPki::new("staple12");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    let good = pki.ocsp_response(&leaf, false);
    let mut p = Pair::new(
        ClientConfig::with_root_certificates(vec![pki.ca_cert.clone()])
            .unwrap()
            .versions(&[ProtocolVersion::TLSv1_2]),
        ServerConfig::builder()
            .cert_with_ocsp(leaf.chain(), &leaf.key(), good)
            .unwrap(),
    );
    p.handshake().expect("a good staple is accepted");

    let revoked = pki.ocsp_response(&leaf, true);
    let mut p = Pair::new(
        ClientConfig::with_root_certificates(vec![pki.ca_cert.clone()])
            .unwrap()
            .versions(&[ProtocolVersion::TLSv1_2]),
        ServerConfig::builder()
            .cert_with_ocsp(leaf.chain(), &leaf.key(), revoked)
            .unwrap(),
    );
    match p.handshake() {
        Err((Side::Client, Error::Certificate(_))) => {}
        other => panic!("a revoked staple must fail verification: {other:?}"),
    }
    assert_eq!(
        p.alert_sent_by(Side::Client),
        Some(AlertDescription::CertificateRevoked)
    );
}

// ---------------------------------------------------------------------------------
// Resumption (RFC 5246, 7.4.1.2; RFC 5077): a resumed connection stands for the
// client of the original one, so it carries that client's certificate chain, and
// it never lets a client past client authentication that a full handshake would ask for.

/// How the servers of a test resume sessions.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Resume {
    /// No tickets: by session ID from the shared cache.
    SessionId,
    /// By ticket only: the servers cache nothing.
    Ticket,
}

/// What consecutive connections share: the client's session store and the
/// servers' session cache and ticketer (servers of different client authentication
/// policies share them too, as one deployment reconfigured would).
struct Fixture {
    pki: TestPki,
    resume: Resume,
    client_leaf: Leaf,
    /// The client's chain: its certificate, then (needlessly) the CA's.
    chain: Vec<CertificateDer<'static>>,
    store: Arc<InMemorySessionStore>,
    cache: Arc<dyn ServerSessionCache>,
    ticketer: Arc<Ticketer>,
}

/// One connection and what its server saw.
struct Resumed {
    pair: Pair,
    server_saw: Arc<Recorder>,
    result: Result<(), (Side, Error)>,
}

impl Resumed {
    fn ok(&self, what: &str) {
        if let Err((side, e)) = &self.result {
            panic!("{what}: {side:?} failed: {e}");
        }
    }

    /// Whether both sides agree the handshake resumed; panics if they disagree.
    fn resumed(&self) -> bool {
        let c = self.pair.client.negotiated().resumed;
        assert_eq!(c, self.pair.server.negotiated().resumed, "sides disagree");
        c
    }
}

impl Fixture {
    fn new(name: &str, resume: Resume) -> Fixture {
        let pki = TestPki::new(name);
        let client_leaf = pki.client_leaf(KeyKind::EcdsaP256, "client.example");
        let chain = vec![client_leaf.cert.clone(), pki.ca_cert.clone()];
        Fixture {
            resume,
            client_leaf,
            chain,
            store: Arc::new(InMemorySessionStore::new(4)),
            cache: match resume {
                Resume::SessionId => Arc::new(InMemorySessionCache::new(16)),
                Resume::Ticket => Arc::new(NoCache),
            },
            ticketer: Arc::new(Ticketer::new(Provider::system(), 3600)),
            pki,
        }
    }

    /// A TLS 1.2 client with the shared store, presenting its chain if `with_cert`.
    fn client(&self, with_cert: bool) -> Arc<ClientConfig> {
        let mut client = ClientConfig::with_root_certificates(vec![self.pki.ca_cert.clone()])
            .unwrap()
            .versions(&[ProtocolVersion::TLSv1_2])
            .session_store(self.store.clone())
            .session_tickets(self.resume == Resume::Ticket);
        if with_cert {
            client = client
                .client_cert(self.chain.clone(), &self.client_leaf.key())
                .unwrap();
        }
        client.build().unwrap()
    }

    /// A TLS 1.2 server with the shared cache and ticketer.
    fn server(&self, client_auth: Option<Arc<dyn ClientCertVerifier>>) -> ServerConfigBuilder {
        let leaf = self.pki.leaf(KeyKind::EcdsaP256);
        let mut server = ServerConfig::builder()
            .cert(leaf.chain(), &leaf.key())
            .unwrap()
            .versions(&[ProtocolVersion::TLSv1_2])
            .session_cache(self.cache.clone())
            .ticketer(self.ticketer.clone())
            .session_tickets(self.resume == Resume::Ticket);
        if let Some(verifier) = client_auth {
            server = server.client_auth(verifier);
        }
        server
    }

    fn required(&self) -> Option<Arc<dyn ClientCertVerifier>> {
        Some(client_auth(&self.pki, false))
    }

    fn optional(&self) -> Option<Arc<dyn ClientCertVerifier>> {
        Some(client_auth(&self.pki, true))
    }

    fn connect(&self, client: &Arc<ClientConfig>, server: ServerConfigBuilder) -> Resumed {
        let server_saw = Arc::new(Recorder::default());
        let server = server.observer(server_saw.clone()).build().unwrap();
        let keys = Arc::new(KeyCapture::default());
        let mut pair = Pair::from_configs(client, &server, &keys, &keys);
        let result = pair.handshake();
        Resumed {
            pair,
            server_saw,
            result,
        }
    }
}

#[test]
fn resumption_keeps_the_client_certificate_chain() {
    for resume in [Resume::SessionId, Resume::Ticket] {
        let f = Fixture::new("mtls12-resume", resume);
        let client = f.client(true);
        let first = f.connect(&client, f.server(f.required()));
        first.ok("the full handshake");
        assert!(!first.resumed(), "{resume:?}");
        assert_eq!(first.pair.server.peer_certificates(), &f.chain[..]);
        assert_eq!(
            first.server_saw.count("sent NewSessionTicket"),
            usize::from(resume == Resume::Ticket),
            "{resume:?}"
        );
        // The second resumes the first session; the third, by ticket, the second's
        // new ticket: the chain is carried from one to the next.
        for n in 2..=3 {
            let mut again = f.connect(&client, f.server(f.required()));
            again.ok(&format!("{resume:?}: connection {n}"));
            assert!(again.resumed(), "{resume:?}: connection {n}");
            for line in ["sent CertificateRequest", "received Certificate"] {
                assert_eq!(again.server_saw.count(line), 0, "{resume:?} {n}: {line}");
            }
            assert_eq!(
                again.pair.server.peer_certificates(),
                &f.chain[..],
                "{resume:?}: connection {n} lost the client's certificate chain"
            );
            again.pair.round_trip();
        }
    }
}

#[test]
fn an_anonymous_session_does_not_resume_where_a_certificate_is_now_required() {
    for resume in [Resume::SessionId, Resume::Ticket] {
        let f = Fixture::new("mtls12-anonymous", resume);
        let anonymous = f.client(false);
        let first = f.connect(&anonymous, f.server(f.optional()));
        first.ok("optional client auth, no certificate");
        assert!(!first.resumed());
        // Where a certificate is still optional, the anonymous session resumes.
        let again = f.connect(&anonymous, f.server(f.optional()));
        again.ok("optional client auth, resumed");
        assert!(again.resumed(), "{resume:?}");
        assert!(again.pair.server.peer_certificates().is_empty());
        // Required now: a full handshake asks for the certificate the client lacks.
        let mut required = f.connect(&anonymous, f.server(f.required()));
        match &required.result {
            Err((Side::Server, Error::PeerMisbehaved(PeerMisbehaved::NoCertificate))) => {}
            other => panic!("{resume:?}: the anonymous session skipped client auth: {other:?}"),
        }
        assert_eq!(required.server_saw.count("sent CertificateRequest"), 1);
        assert!(!required.pair.server.negotiated().resumed);
        assert_eq!(
            required.pair.alert_sent_by(Side::Server),
            Some(AlertDescription::CertificateRequired)
        );
        // A client with a certificate gets a full handshake, which verifies it.
        let with_cert = f.connect(&f.client(true), f.server(f.required()));
        with_cert.ok("required client auth after an anonymous session");
        assert!(!with_cert.resumed(), "{resume:?}");
        assert_eq!(with_cert.server_saw.count("received Certificate"), 1);
        assert_eq!(with_cert.pair.server.peer_certificates(), &f.chain[..]);
    }
}

#[test]
fn a_session_with_a_client_certificate_resumes_only_where_the_chain_is_accepted() {
    for resume in [Resume::SessionId, Resume::Ticket] {
        let f = Fixture::new("mtls12-reverify", resume);
        let client = f.client(true);
        f.connect(&client, f.server(f.required()))
            .ok("the full handshake");
        // A server that does not authenticate clients does not take on the identity.
        let no_auth = f.connect(&client, f.server(None));
        no_auth.ok("no client auth");
        assert!(!no_auth.resumed(), "{resume:?}");
        assert!(no_auth.pair.server.peer_certificates().is_empty());
        assert_eq!(no_auth.server_saw.count("sent CertificateRequest"), 0);

        f.connect(&client, f.server(f.required()))
            .ok("the full handshake again");
        // A server that no longer trusts the client's CA verifies it afresh, and refuses it.
        let other = TestPki::new("mtls12-reverify-other");
        let mut distrusted = f.connect(&client, f.server(Some(client_auth(&other, false))));
        match &distrusted.result {
            Err((Side::Server, Error::Certificate(_))) => {}
            other => panic!("{resume:?}: a session outlived the trust in its client: {other:?}"),
        }
        assert!(!distrusted.pair.server.negotiated().resumed);
        assert_eq!(distrusted.server_saw.count("received Certificate"), 1);
        assert_eq!(
            distrusted.pair.alert_sent_by(Side::Server),
            Some(AlertDescription::UnknownCa)
        );
    }
}

#[test]
fn a_session_too_large_to_keep_is_not_resumed() {
    // A chain padded past what a session may hold (16 KiB) still authenticates the
    // client; the session gets an empty ticket (RFC 5077, 3.3) and no cache entry,
    // and the next connection is a full handshake.
    for resume in [Resume::SessionId, Resume::Ticket] {
        let mut f = Fixture::new("mtls12-large", resume);
        let ca = f.pki.ca_cert.clone();
        let copies = 16 * 1024 / ca.as_ref().len() + 1;
        f.chain.extend(std::iter::repeat_n(ca, copies));
        let client = f.client(true);
        for n in 1..=2 {
            let c = f.connect(&client, f.server(f.required()));
            c.ok(&format!("{resume:?}: connection {n}"));
            assert!(!c.resumed(), "{resume:?}: connection {n}");
            assert_eq!(c.pair.server.peer_certificates(), &f.chain[..]);
            assert_eq!(
                c.server_saw.count("sent NewSessionTicket"),
                usize::from(resume == Resume::Ticket),
                "{resume:?}: an empty ticket"
            );
        }
    }
}
