//! Certificate chain verification: ferrotls's `pki::Verifier` against rustls-webpki,
//! the same three-certificate chain (leaf + intermediate given, root trusted), the
//! same name and the same fixed time. Both parse the certificates on every call.
//!
//! The row times what a TLS client runs per handshake on each side: ferrotls's
//! `ServerCertVerifier::verify_server_cert` and webpki's `EndEntityCert` path
//! validation plus name check (what rustls's `WebPkiServerVerifier` calls). The
//! detail also reports `Verifier::verify`, which additionally describes the path
//! (subjects, serials, keys, names) for tools like `ferrotls verify`.

use crate::clock::CpuInstant as Instant;

use ferrotls::pki::{
    Purpose, Request, RootStore, ServerCertVerifier, SubjectName, TrustAnchor, Verifier,
};
use rustls_pki_types::{CertificateDer, UnixTime};
use serde_json::json;

use crate::certs::Chain;
use crate::limit::AsymCosts;
use crate::peers::server_name;
use crate::report::{median, Measure, Row};
use crate::Params;

/// What the TLS client calls: verification only.
fn ferro_once(v: &Verifier, chain: &Chain, now: UnixTime) {
    let inter: [CertificateDer<'_>; 1] = [chain.intermediate.clone()];
    v.verify_server_cert(&chain.leaf, &inter, &server_name(), &[], now)
        .expect("ferrotls verifies the chain");
}

/// Verification with the path described (`ferrotls verify`).
fn ferro_described_once(v: &Verifier, chain: &Chain, now: i64, name: &SubjectName) {
    let mut req = Request::new(chain.leaf.as_ref(), now);
    req.intermediates = vec![chain.intermediate.as_ref()];
    req.name = Some(name.clone());
    req.purpose = Purpose::ServerAuth;
    let path = v.verify(&req).expect("ferrotls verifies the chain");
    assert_eq!(path.chain.len(), 3, "leaf, intermediate and root described");
}

fn webpki_once(anchors: &[rustls_pki_types::TrustAnchor<'_>], chain: &Chain, now: UnixTime) {
    let ee = webpki::EndEntityCert::try_from(&chain.leaf).expect("webpki parses the leaf");
    let inter: [CertificateDer<'_>; 1] = [chain.intermediate.clone()];
    ee.verify_for_usage(
        webpki::ALL_VERIFICATION_ALGS,
        anchors,
        &inter,
        now,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .expect("webpki verifies the chain");
    ee.verify_is_valid_for_subject_name(&server_name())
        .expect("webpki: name matches");
}

fn rate(batch: usize, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    for _ in 0..batch {
        f();
    }
    batch as f64 / t.elapsed().as_secs_f64()
}

pub fn rows(p: &Params, chains: &[&Chain], costs: &AsymCosts) -> Vec<Row> {
    let now = UnixTime::now();
    let now_secs = now.as_secs() as i64;
    let name = SubjectName::from_server_name(&server_name()).expect("subject name");
    let batch = p.hs_batch * 5;
    let mut out = Vec::new();
    for chain in chains {
        let mut roots = RootStore::new();
        roots.add(TrustAnchor::from_cert(chain.root.clone()).expect("root anchor"));
        let verifier = Verifier::new(roots);
        let anchor = webpki::anchor_from_trusted_cert(&chain.root)
            .expect("webpki anchor")
            .to_owned();
        let anchors = [anchor];
        // Warm up and check both accept the chain.
        ferro_once(&verifier, chain, now);
        ferro_described_once(&verifier, chain, now_secs, &name);
        webpki_once(&anchors, chain, now);
        let (mut f, mut r, mut d) = (vec![], vec![], vec![]);
        for i in 0..p.samples {
            let mut run_f = || f.push(rate(batch, || ferro_once(&verifier, chain, now)));
            let mut run_r = || r.push(rate(batch, || webpki_once(&anchors, chain, now)));
            if i % 2 == 0 {
                run_f();
                run_r();
            } else {
                run_r();
                run_f();
            }
            d.push(rate(batch, || {
                ferro_described_once(&verifier, chain, now_secs, &name)
            }));
        }
        let limit_us = costs.chain_verify(chain.key_type);
        out.push(Row {
            section: "certificate chain verification (verifications per second)",
            name: format!("3-cert chain {}", chain.key_type.label()),
            unit: "verif/s",
            ferrotls: Measure::Measured(median(&f)),
            rustls: Measure::Measured(median(&r)),
            openssl: None,
            limit: Some(1e6 / limit_us),
            detail: json!({"rustls_is": "rustls-webpki", "limit_us": limit_us,
                "samples": p.samples, "verifications_per_sample": batch,
                "ferrotls_is": "ServerCertVerifier::verify_server_cert",
                "ferrotls_verify_described_per_s": median(&d)}),
        });
    }
    out
}

/// `n` verifications of `chain` by one library, for `ferrotls-bench profile --verify`.
pub fn profile(chain: &Chain, rustls: bool, n: usize) {
    let now = UnixTime::now();
    let mut roots = RootStore::new();
    roots.add(TrustAnchor::from_cert(chain.root.clone()).expect("root anchor"));
    let verifier = Verifier::new(roots);
    let anchors = [webpki::anchor_from_trusted_cert(&chain.root)
        .expect("webpki anchor")
        .to_owned()];
    for _ in 0..n {
        if rustls {
            webpki_once(&anchors, chain, now);
        } else {
            ferro_once(&verifier, chain, now);
        }
    }
}
