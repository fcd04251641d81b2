//! Real public certificate chains, verified against Mozilla's roots as compiled into
//! webpki-roots (`RootStore::webpki_roots()`) at fixed times inside their validity.
//!
//! Fixtures (tests/fixtures/realworld/, leaf first, then the intermediates the server
//! sent; the source of each is in its header):
//! - google.pem: www.google.com <- GTS CA 1C3 <- GTS Root R1 (RSA, 2023).
//! - vt-edu.pem: udctest.ads.vt.edu <- Virginia Tech Global Qualified Server CA (with
//!   nameConstraints) <- Trusted Root CA SHA256 G2 <- GlobalSign Root CA - R3 (2018).

use ferrotls::error::CertificateError;
use ferrotls::pki::{time::parse_time, Request, RootStore, SubjectName, Verifier};

struct Chain {
    leaf: Vec<u8>,
    intermediates: Vec<Vec<u8>>,
}

fn chain(file: &str) -> Chain {
    let path = format!(
        "{}/tests/fixtures/realworld/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut certs: Vec<Vec<u8>> = ferrotls::pem::load_certs(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .into_iter()
        .map(|c| c.to_vec())
        .collect();
    let leaf = certs.remove(0);
    Chain {
        leaf,
        intermediates: certs,
    }
}

fn verify(
    c: &Chain,
    name: &str,
    at: &str,
    send_intermediates: bool,
) -> Result<Vec<String>, CertificateError> {
    let v = Verifier::new(RootStore::webpki_roots());
    let mut req = Request::new(&c.leaf, parse_time(at).unwrap());
    if send_intermediates {
        req.intermediates = c.intermediates.iter().map(|i| i.as_slice()).collect();
    }
    req.name = Some(SubjectName::Dns(name.into()));
    v.verify(&req)
        .map(|p| p.chain.into_iter().map(|e| e.subject).collect())
}

/// The time Go's crypto/x509 tests use for this chain: 2023-02-28T20:24:52Z.
const GOOGLE_TIME: &str = "2023-02-28T20:24:52Z";

#[test]
fn google_chain_verifies_to_gts_root_r1() {
    let c = chain("google.pem");
    assert_eq!(c.intermediates.len(), 1);
    let path = verify(&c, "www.google.com", GOOGLE_TIME, true).unwrap();
    assert_eq!(
        path,
        [
            "CN=www.google.com",
            "CN=GTS CA 1C3, O=Google Trust Services LLC, C=US",
            "CN=GTS Root R1, O=Google Trust Services LLC, C=US",
        ]
    );
    // Reference names are compared case-insensitively, with or without the final dot.
    verify(&c, "WWW.Google.COM.", GOOGLE_TIME, true).unwrap();
}

#[test]
fn google_chain_explains_each_failure() {
    let c = chain("google.pem");
    assert_eq!(
        verify(&c, "www.example.com", GOOGLE_TIME, true)
            .unwrap_err()
            .to_string(),
        "certificate is not valid for www.example.com; it names DNS:www.google.com (the subject CN is not used for matching)"
    );
    assert_eq!(
        verify(&c, "www.google.com", "2023-04-01T00:00:00Z", true)
            .unwrap_err()
            .to_string(),
        "certificate for www.google.com expired at 2023-03-27T08:19:18Z; this machine's clock says 2023-04-01T00:00:00Z (4 days later). Renew it, or check the clock."
    );
    assert_eq!(
        verify(&c, "www.google.com", GOOGLE_TIME, false)
            .unwrap_err()
            .to_string(),
        "no trusted issuer for CN=www.google.com: its issuer CN=GTS CA 1C3, O=Google Trust Services LLC, C=US was not sent by the server and is not in the trust store. The server probably omits its intermediate certificate."
    );
}

#[test]
fn name_constrained_vt_chain_verifies_to_globalsign_r3() {
    let c = chain("vt-edu.pem");
    assert_eq!(c.intermediates.len(), 2);
    let path = verify(&c, "udctest.ads.vt.edu", "2018-06-01T00:00:00Z", true).unwrap();
    assert_eq!(
        path,
        [
            "CN=udctest.ads.vt.edu, O=Virginia Polytechnic Institute and State University, L=Blacksburg, ST=Virginia, C=US",
            "CN=Virginia Tech Global Qualified Server CA, O=Virginia Polytechnic Institute and State University, OU=Global Qualified Server CA, L=Blacksburg, ST=Virginia, C=US",
            "CN=Trusted Root CA SHA256 G2, O=GlobalSign nv-sa, OU=Trusted Root, C=BE",
            "CN=GlobalSign, O=GlobalSign, OU=GlobalSign Root CA - R3",
        ]
    );
    // The intermediates may arrive in any order.
    let mut reversed = chain("vt-edu.pem");
    reversed.intermediates.reverse();
    verify(
        &reversed,
        "udctest.ads.vt.edu",
        "2018-06-01T00:00:00Z",
        true,
    )
    .unwrap();
}

#[test]
fn vt_chain_explains_each_failure() {
    let c = chain("vt-edu.pem");
    assert_eq!(
        verify(&c, "www.vt.edu", "2018-06-01T00:00:00Z", true)
            .unwrap_err()
            .to_string(),
        "certificate is not valid for www.vt.edu; it names DNS:udctest.ads.vt.edu (the subject CN is not used for matching)"
    );
    assert_eq!(
        verify(&c, "udctest.ads.vt.edu", "2020-01-01T00:00:00Z", true)
            .unwrap_err()
            .to_string(),
        "certificate for udctest.ads.vt.edu expired at 2019-12-10T00:00:00Z; this machine's clock says 2020-01-01T00:00:00Z (22 days later). Renew it, or check the clock."
    );
    let e = verify(&c, "udctest.ads.vt.edu", "2018-04-26T19:45:52Z", true).unwrap_err();
    assert!(
        matches!(e, CertificateError::NotYetValid { .. }),
        "one second before notBefore: {e}"
    );
}
