//! TLS 1.2 client certificates (RFC 5246, 7.4.4, 7.4.6, 7.4.8) and stapling (RFC 6066, 8).

mod common;
mod pair;

use std::sync::Arc;

use common::{KeyKind, TestPki};
use ferrotls::error::{Error, PeerMisbehaved};
use ferrotls::msgs::enums::{AlertDescription, ProtocolVersion};
use ferrotls::pki::{ClientAuthVerifier, RootStore, TrustAnchor, Verifier};
use ferrotls::{ClientConfig, ServerConfig};
use pair::{Pair, Side};

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
