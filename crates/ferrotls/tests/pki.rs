//! Path validation with certificates generated here (rcgen, and openssl where
//! rcgen cannot make the certificate), plus every `CertificateError` sentence.

mod common;

use common::ca_params;
use ferrotls::error::{CertRole, CertificateError, RejectedPath};
use ferrotls::msgs::enums::AlertDescription;
use ferrotls::pki::{
    time::parse_time, ClientAuthVerifier, ClientCertVerifier, DistrustRule, PinnedCertVerifier,
    Policy, Purpose, Request, RootStore, ServerCertVerifier, SubjectName, TrustAnchor, Verifier,
};
use rcgen::{
    date_time_ymd, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, NameConstraints,
    RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// 2026-03-04T12:00:00Z, the verification time of most tests.
fn now() -> i64 {
    parse_time("2026-03-04T12:00:00Z").unwrap()
}

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    der: Vec<u8>,
}

impl Ca {
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn root(cn: &str) -> Ca {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).unwrap();
    let params = ca_params(cn, None);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca { params, key, der }
}

fn sub_ca(parent: &Ca, params: CertificateParams) -> Ca {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let der = params
        .signed_by(&key, &parent.issuer())
        .unwrap()
        .der()
        .to_vec();
    Ca { params, key, der }
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let mut p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name
        .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
    p.use_authority_key_identifier_extension = true;
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2026, 3, 1);
    p.serial_number = Some(SerialNumber::from(vec![0x01, 0x23]));
    p
}

fn leaf(issuer: &Ca, params: CertificateParams) -> Vec<u8> {
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    params
        .signed_by(&key, &issuer.issuer())
        .unwrap()
        .der()
        .to_vec()
}

fn store(roots: &[&Ca]) -> RootStore {
    let mut s = RootStore::new();
    for r in roots {
        s.add(TrustAnchor::from_cert(CertificateDer::from(r.der.clone())).unwrap());
    }
    s
}

fn verify(
    roots: &[&Ca],
    leaf: &[u8],
    inter: &[&[u8]],
    name: &str,
    at: i64,
) -> Result<usize, CertificateError> {
    let v = Verifier::new(store(roots));
    let mut req = Request::new(leaf, at);
    req.intermediates = inter.to_vec();
    req.name = Some(SubjectName::Dns(name.into()));
    v.verify(&req).map(|p| p.chain.len())
}

/// A valid two-level chain, verified a day before the leaf expires.
fn good_time() -> i64 {
    parse_time("2026-02-27T00:00:00Z").unwrap()
}

#[test]
fn good_chain_verifies_and_describes_itself() {
    let r = root("Test Root");
    let i = sub_ca(&r, ca_params("Test Intermediate", Some(0)));
    let l = leaf(&i, leaf_params(&["api.example.com"]));
    let v = Verifier::new(store(&[&r]));
    let mut req = Request::new(&l, good_time());
    req.intermediates = vec![&i.der];
    req.name = Some(SubjectName::Dns("API.example.com.".into()));
    let path = v.verify(&req).unwrap();
    let subjects: Vec<_> = path.chain.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(
        subjects,
        ["CN=api.example.com", "CN=Test Intermediate", "CN=Test Root"]
    );
    assert_eq!(path.chain[0].role, CertRole::EndEntity);
    assert_eq!(path.chain[0].key, "Ed25519");
    assert_eq!(path.chain[1].key, "ECDSA P-256");
    assert_eq!(path.chain[2].key, "ECDSA P-384");
    assert_eq!(path.chain[0].serial, "01:23");
    // Through the ServerCertVerifier trait too.
    let sn = ServerName::try_from("api.example.com").unwrap();
    let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(good_time() as u64));
    v.verify_server_cert(
        &CertificateDer::from(l.clone()),
        &[CertificateDer::from(i.der.clone())],
        &sn,
        &[],
        t,
    )
    .unwrap();
}

#[test]
fn expired_leaf_explains_clock() {
    let r = root("Test Root");
    let l = leaf(&r, leaf_params(&["api.example.com"]));
    let e = verify(&[&r], &l, &[], "api.example.com", now()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "certificate for api.example.com expired at 2026-03-01T00:00:00Z; this machine's clock says 2026-03-04T12:00:00Z (3 days later). Renew it, or check the clock."
    );
    assert_eq!(e.alert(), AlertDescription::CertificateExpired);
    let e = verify(
        &[&r],
        &l,
        &[],
        "api.example.com",
        parse_time("2025-12-31T23:59:55Z").unwrap(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "certificate for api.example.com is not valid until 2026-01-01T00:00:00Z; this machine's clock says 2025-12-31T23:59:55Z (5 seconds earlier). Check the clock, or wait."
    );
}

#[test]
fn name_mismatch_lists_every_san() {
    let r = root("Test Root");
    let l = leaf(&r, leaf_params(&["example.com", "www.example.com"]));
    let e = verify(&[&r], &l, &[], "shop.example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "certificate is not valid for shop.example.com; it names DNS:example.com, DNS:www.example.com (the subject CN is not used for matching)"
    );
    assert_eq!(e.alert(), AlertDescription::BadCertificate);
    // Wildcards: one whole left-most label only.
    let w = leaf(&r, leaf_params(&["*.example.com"]));
    assert!(verify(&[&r], &w, &[], "a.example.com", good_time()).is_ok());
    assert!(verify(&[&r], &w, &[], "a.b.example.com", good_time()).is_err());
    assert!(verify(&[&r], &w, &[], "example.com", good_time()).is_err());
    // IP SANs match only IP reference names.
    let mut p = leaf_params(&[]);
    p.subject_alt_names = vec![rcgen::SanType::IpAddress("192.0.2.7".parse().unwrap())];
    let ip = leaf(&r, p);
    let v = Verifier::new(store(&[&r]));
    let mut req = Request::new(&ip, good_time());
    req.name = Some(SubjectName::Ip("192.0.2.7".parse().unwrap()));
    assert!(v.verify(&req).is_ok());
    req.name = Some(SubjectName::Ip("192.0.2.8".parse().unwrap()));
    assert_eq!(
        v.verify(&req).unwrap_err().to_string(),
        "certificate is not valid for 192.0.2.8; it names IP:192.0.2.7 (the subject CN is not used for matching)"
    );
}

#[test]
fn missing_intermediate_is_named() {
    let r = root("Test Root");
    let i = sub_ca(&r, ca_params("R11", None));
    let l = leaf(&i, leaf_params(&["example.com"]));
    let e = verify(&[&r], &l, &[], "example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no trusted issuer for CN=example.com: its issuer CN=R11 was not sent by the server and is not in the trust store. The server probably omits its intermediate certificate."
    );
    assert_eq!(e.alert(), AlertDescription::UnknownCa);
    // With the intermediate but the wrong root trusted.
    let other = root("Other Root");
    let e = verify(&[&other], &l, &[&i.der], "example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no trusted issuer for intermediate certificate CN=R11: its issuer CN=Test Root is not in the trust store. The chain leads to a root this machine does not trust; add that root to the trust store if you trust it."
    );
    // The server sent its (untrusted) root too.
    let e = verify(&[&other], &l, &[&i.der, &r.der], "example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the chain for example.com ends at root CN=Test Root, which is not in the trust store. Add that root to the trust store if you trust it."
    );
}

#[test]
fn self_signed_leaf_and_explicit_trust() {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = leaf_params(&["dev.local"]);
    p.not_after = date_time_ymd(2027, 1, 1);
    let der = p.self_signed(&key).unwrap().der().to_vec();
    let r = root("Test Root");
    let e = verify(&[&r], &der, &[], "dev.local", now()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "certificate for dev.local is self-signed and is not in the trust store. Trust it explicitly (for example with --cafile), or use a certificate issued by a CA."
    );
    let mut s = RootStore::new();
    s.add(TrustAnchor::from_cert(CertificateDer::from(der.clone())).unwrap());
    let mut req = Request::new(&der, now());
    req.name = Some(SubjectName::Dns("dev.local".into()));
    assert!(Verifier::new(s).verify(&req).is_ok());
}

#[test]
fn wrong_purpose_and_client_verifier() {
    let r = root("Test Root");
    let mut p = leaf_params(&["client.example.com"]);
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = leaf(&r, p);
    let e = verify(&[&r], &client, &[], "client.example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "certificate client.example.com is not valid for TLS server authentication (serverAuth): its extendedKeyUsage allows only TLS client authentication (clientAuth)"
    );
    assert_eq!(e.alert(), AlertDescription::UnsupportedCertificate);
    let cv = ClientAuthVerifier::new(Verifier::new(store(&[&r])));
    let t = UnixTime::since_unix_epoch(std::time::Duration::from_secs(good_time() as u64));
    cv.verify_client_cert(&CertificateDer::from(client), &[], t)
        .unwrap();
    assert!(cv.client_auth_mandatory());
    assert_eq!(cv.root_hint_subjects().len(), 1);
    let server_only = leaf(&r, leaf_params(&["server.example.com"]));
    assert!(cv
        .verify_client_cert(&CertificateDer::from(server_only), &[], t)
        .is_err());
}

#[test]
fn path_length_and_ca_bits() {
    let r = root("Test Root");
    let i1 = sub_ca(&r, ca_params("I1", Some(0)));
    let i2 = sub_ca(&i1, ca_params("I2", None));
    let l = leaf(&i2, leaf_params(&["example.com"]));
    let e = verify(&[&r], &l, &[&i1.der, &i2.der], "example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CA CN=I1 allows at most 0 intermediate CA certificate(s) below it (pathLenConstraint), but the chain has more"
    );
    // A leaf certificate used as an issuer.
    let mut not_ca = leaf_params(&["notca.example.com"]);
    not_ca.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let nc_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let nc_der = not_ca
        .signed_by(&nc_key, &r.issuer())
        .unwrap()
        .der()
        .to_vec();
    let fake = Ca {
        params: not_ca,
        key: nc_key,
        der: nc_der,
    };
    let l = leaf(&fake, leaf_params(&["example.com"]));
    let e = verify(&[&r], &l, &[&fake.der], "example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CN=notca.example.com is used to issue another certificate, but it is not a CA certificate: it has no basicConstraints extension"
    );
}

#[test]
fn name_constraints_are_enforced() {
    let r = root("Test Root");
    let mut p = ca_params("Constrained CA", None);
    p.name_constraints = Some(NameConstraints {
        permitted_subtrees: vec![rcgen::GeneralSubtree::DnsName("example.com".into())],
        excluded_subtrees: vec![rcgen::GeneralSubtree::DnsName("bad.example.com".into())],
    });
    let i = sub_ca(&r, p);
    let ok = leaf(&i, leaf_params(&["a.example.com"]));
    assert!(verify(&[&r], &ok, &[&i.der], "a.example.com", good_time()).is_ok());
    let outside = leaf(&i, leaf_params(&["example.org"]));
    let e = verify(&[&r], &outside, &[&i.der], "example.org", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CN=example.org names DNS:example.org, which is outside what CA CN=Constrained CA may certify (its name constraints permit only DNS:example.com)"
    );
    let wildcard = leaf(&i, leaf_params(&["*.example.com"]));
    let e = verify(&[&r], &wildcard, &[&i.der], "x.example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "CN=*.example.com names DNS:*.example.com, which CA CN=Constrained CA is forbidden to certify (its name constraints exclude DNS:bad.example.com)"
    );
}

#[test]
fn bad_signature_is_reported() {
    let r = root("Test Root");
    let mut l = leaf(&r, leaf_params(&["example.com"]));
    // Flip a bit inside the signature value (the last bytes of the DER).
    let n = l.len();
    l[n - 3] ^= 0x01;
    let e = verify(&[&r], &l, &[], "example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the signature on CN=example.com does not verify with the key of its issuer CN=Test Root: the certificate was altered, or was issued by another key with the same name"
    );
    assert_eq!(e.alert(), AlertDescription::BadCertificate);
}

#[test]
fn alternative_paths_are_tried() {
    // The intermediate is cross-signed by an expired root and by a valid one.
    let old = root("Old Root");
    let new = root("New Root");
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let params = ca_params("Cross CA", None);
    let mut expired_params = params.clone();
    expired_params.not_after = date_time_ymd(2025, 6, 1);
    // Two certificates for the same CA (same name and key): one expired, one good.
    let mut by_old = expired_params.clone();
    by_old.distinguished_name = params.distinguished_name.clone();
    let cross_old = by_old
        .signed_by(&key, &old.issuer())
        .unwrap()
        .der()
        .to_vec();
    let cross_new = params
        .signed_by(&key, &new.issuer())
        .unwrap()
        .der()
        .to_vec();
    // Both roots share a subject only in name here, so issue from the "Cross CA".
    let ca = Ca {
        params,
        key,
        der: cross_new.clone(),
    };
    let l = leaf(&ca, leaf_params(&["example.com"]));
    // Expired cross-sign listed first; a path through the valid one is found.
    let n = verify(
        &[&old, &new],
        &l,
        &[&cross_old, &cross_new],
        "example.com",
        good_time(),
    )
    .unwrap();
    assert_eq!(n, 3);
    // Only the expired one: the explanation names it.
    let e = verify(&[&old, &new], &l, &[&cross_old], "example.com", good_time()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "intermediate certificate for CN=Cross CA expired at 2025-06-01T00:00:00Z; this machine's clock says 2026-02-27T00:00:00Z (271 days later). Renew it, or check the clock."
    );
}

#[test]
fn hostile_intermediates_are_bounded() {
    let r = root("Test Root");
    let i = sub_ca(&r, ca_params("Busy CA", None));
    let l = leaf(&i, leaf_params(&["example.com"]));
    // 60 impostors with the same name and other keys.
    let junk: Vec<Vec<u8>> = (0..60)
        .map(|_| sub_ca(&r, ca_params("Busy CA", None)).der)
        .collect();
    let mut inter: Vec<&[u8]> = junk.iter().map(|d| d.as_slice()).collect();
    inter.push(&i.der);
    let start = std::time::Instant::now();
    let result = verify(&[&r], &l, &inter, "example.com", good_time());
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    // Key identifiers put the right candidate first.
    assert_eq!(result.unwrap(), 3);
}

#[test]
fn crl_revocation() {
    let r = root("Test Root");
    let l = leaf(&r, leaf_params(&["example.com"]));
    let crl = CertificateRevocationListParams {
        this_update: date_time_ymd(2026, 2, 1),
        next_update: date_time_ymd(2026, 3, 1),
        crl_number: SerialNumber::from(7u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(vec![0x01, 0x23]),
            revocation_time: date_time_ymd(2026, 2, 10),
            reason_code: Some(RevocationReason::KeyCompromise),
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&r.issuer())
    .unwrap();
    let v = Verifier::new(store(&[&r])).with_crls(vec![crl.der().to_vec()]);
    let mut req = Request::new(&l, good_time());
    req.name = Some(SubjectName::Dns("example.com".into()));
    let e = v.verify(&req).unwrap_err();
    assert_eq!(
        e.to_string(),
        "certificate for example.com (serial 01:23) was revoked at 2026-02-10T00:00:00Z (reason: keyCompromise) according to the CRL issued by CN=Test Root at 2026-02-01T00:00:00Z. Replace it."
    );
    assert_eq!(e.alert(), AlertDescription::CertificateRevoked);
    // A stale CRL cannot be used.
    let mut late = req.clone();
    late.now = parse_time("2026-03-02T00:00:00Z").unwrap();
    let e = v.verify(&late).unwrap_err();
    assert!(
        matches!(e.primary(), CertificateError::Expired { .. }),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "certificate for example.com expired at 2026-03-01T00:00:00Z; this machine's clock says 2026-03-02T00:00:00Z (24 hours later). Renew it, or check the clock. Also: the CRL issued by CN=Test Root cannot be used: it is stale: its nextUpdate was 2026-03-01T00:00:00Z (24 hours ago); fetch a current CRL"
    );
}

#[test]
fn distrust_after_rule() {
    let r = root("Old CA Root");
    let l = leaf(&r, leaf_params(&["example.com"]));
    let anchor = TrustAnchor::from_cert(CertificateDer::from(r.der.clone()))
        .unwrap()
        .with_distrust(DistrustRule {
            reason: "test distrust".into(),
            after: parse_time("2025-12-01T00:00:00Z").unwrap(),
        });
    let mut s = RootStore::new();
    s.add(anchor);
    let mut req = Request::new(&l, good_time());
    req.name = Some(SubjectName::Dns("example.com".into()));
    let e = Verifier::new(s).verify(&req).unwrap_err();
    assert_eq!(
        e.to_string(),
        "certificate for example.com was issued at 2026-01-01T00:00:00Z under root CN=Old CA Root, which is distrusted for certificates issued after 2025-12-01T00:00:00Z (test distrust). Replace it with a certificate from another CA."
    );
}

fn unix_time(t: i64) -> UnixTime {
    UnixTime::since_unix_epoch(std::time::Duration::from_secs(t as u64))
}

const CA_LEAF_SERVER: &str = "certificate for ca.example.com is a CA certificate (basicConstraints cA=TRUE), so it cannot be the server's own certificate, even when it is trusted. Issue a server certificate from this CA and use that instead (`openssl req -x509` makes CA:TRUE certificates unless given -addext basicConstraints=critical,CA:FALSE).";

/// CA/Browser Forum BR 7.1.2.7.8, Firefox, rustls-webpki: a CA certificate is never
/// the end entity, whatever the policy (x509-limbo webpki::ca-as-leaf).
#[test]
fn ca_certificate_as_leaf_is_refused() {
    let r = root("Test Root");
    // An intermediate CA that names a host, presented as the server's own certificate.
    let mut p = ca_params("Test Intermediate", Some(0));
    p.subject_alt_names = vec![SanType::DnsName("ca.example.com".try_into().unwrap())];
    let i = sub_ca(&r, p);
    let e = verify(&[&r], &i.der, &[], "ca.example.com", good_time()).unwrap_err();
    assert_eq!(e.to_string(), CA_LEAF_SERVER);
    assert_eq!(e.alert(), AlertDescription::BadCertificate);
    // The TLS verifiers: the server's chain, and a client's.
    let sn = ServerName::try_from("ca.example.com").unwrap();
    let ca_der = CertificateDer::from(i.der.clone());
    let e = Verifier::new(store(&[&r]))
        .verify_server_cert(&ca_der, &[], &sn, &[], unix_time(good_time()))
        .unwrap_err();
    assert_eq!(e.to_string(), CA_LEAF_SERVER);
    assert_eq!(e.alert(), Some(AlertDescription::BadCertificate));
    let cv = ClientAuthVerifier::new(Verifier::new(store(&[&r])));
    let e = cv
        .verify_client_cert(&ca_der, &[], unix_time(good_time()))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "certificate for ca.example.com is a CA certificate (basicConstraints cA=TRUE), so it cannot be the client's own certificate, even when it is trusted. Issue a client certificate from this CA and use that instead (`openssl req -x509` makes CA:TRUE certificates unless given -addext basicConstraints=critical,CA:FALSE)."
    );
    // The leaf that CA should have issued verifies.
    let l = leaf(&i, leaf_params(&["ca.example.com"]));
    assert_eq!(
        verify(&[&r], &l, &[&i.der], "ca.example.com", good_time()).unwrap(),
        3
    );

    // A self-signed CA certificate (what `openssl req -x509` makes by default) that is
    // itself in the trust store and presented as the leaf: refused too, as by
    // rustls-webpki. Trusting a CA means trusting what it issues.
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = ca_params("ca.example.com", None);
    p.subject_alt_names = vec![SanType::DnsName("ca.example.com".try_into().unwrap())];
    let der = p.self_signed(&key).unwrap().der().to_vec();
    let mut s = RootStore::new();
    s.add(TrustAnchor::from_cert(CertificateDer::from(der.clone())).unwrap());
    let mut req = Request::new(&der, good_time());
    req.name = Some(SubjectName::Dns("ca.example.com".into()));
    assert_eq!(
        Verifier::new(s).verify(&req).unwrap_err(),
        CertificateError::CaUsedAsEndEntity {
            subject: "ca.example.com".into(),
            from_client: false
        }
    );
    // Pinning that exact certificate still works.
    PinnedCertVerifier::new(vec![CertificateDer::from(der.clone())])
        .unwrap()
        .verify_server_cert(
            &CertificateDer::from(der),
            &[],
            &sn,
            &[],
            unix_time(good_time()),
        )
        .unwrap();
}

/// A server leaf with this subject CN and these SANs, issued by `issuer`.
fn cn_leaf(issuer: &Ca, cn: &str, sans: &[&str]) -> Vec<u8> {
    let mut p = leaf_params(&[]);
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.subject_alt_names = sans
        .iter()
        .map(|s| match s.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*s).try_into().unwrap()),
        })
        .collect();
    leaf(issuer, p)
}

fn verify_cn(
    roots: &[&Ca],
    leaf: &[u8],
    name: &str,
    policy: Policy,
) -> Result<(), CertificateError> {
    let mut req = Request::new(leaf, good_time());
    req.name = Some(match name.parse() {
        Ok(ip) => SubjectName::Ip(ip),
        Err(_) => SubjectName::Dns(name.into()),
    });
    Verifier::new(store(roots))
        .with_policy(policy)
        .verify(&req)
        .map(|_| ())
}

/// CA/Browser Forum BR 7.1.4.3, opt in (`Policy::require_cn_in_san`): the shapes of
/// x509-limbo's nine webpki::cn::* cases, each accepted by default and refused with
/// the policy, with its reason.
#[test]
fn cn_must_copy_a_san_when_required() {
    let r = root("Test Root");
    let on = Policy {
        require_cn_in_san: true,
        ..Policy::default()
    };
    const V4: &str = "(IPv4 in dotted decimal without leading zeros, RFC 3986, 3.2.2)";
    const V6: &str = "(IPv6 as RFC 5952, 4 writes it: lowercase, no leading zeros, the longest run of zero groups as ::)";
    let unicode = "it is written in Unicode, but a dNSName holds the ASCII (xn--) form of a name, and the CN must copy that form";
    // (limbo id, CN, SANs, reference name, reason)
    let shapes: Vec<(&str, &str, &[&str], &str, String)> = vec![
        ("ipv4-hex-mismatch", "0xC0A80101", &["192.168.1.1"], "192.168.1.1",
         format!("it is IP:192.168.1.1 written another way; the CN must read exactly 192.168.1.1 {V4}")),
        ("ipv4-leading-zeros-mismatch", "192.168.001.001", &["192.168.1.1"], "192.168.1.1",
         format!("it is IP:192.168.1.1 written another way; the CN must read exactly 192.168.1.1 {V4}")),
        ("ipv6-uppercase-mismatch", "2001:DB8::8A2E:370:7334", &["2001:db8::8a2e:370:7334"], "2001:db8::8a2e:370:7334",
         format!("it is IP:2001:db8::8a2e:370:7334 written another way; the CN must read exactly 2001:db8::8a2e:370:7334 {V6}")),
        ("ipv6-uncompressed-mismatch", "2001:0db8:0000:0000:0000:0000:0000:0001", &["2001:db8::1"], "2001:db8::1",
         format!("it is IP:2001:db8::1 written another way; the CN must read exactly 2001:db8::1 {V6}")),
        ("ipv6-non-rfc5952-mismatch", "2001:db8:0:0:1:0:0:1", &["2001:db8::1:0:0:1"], "2001:db8::1:0:0:1",
         format!("it is IP:2001:db8::1:0:0:1 written another way; the CN must read exactly 2001:db8::1:0:0:1 {V6}")),
        ("punycode-not-in-san", "xn--nxasmq6b.com", &["xn--n3h.com"], "xn--n3h.com",
         "it is not among them".into()),
        ("utf8-vs-punycode-mismatch", "test-測試.com", &["xn--test--wg5h0h.com"], "xn--test--wg5h0h.com",
         unicode.into()),
        ("not-in-san", "notinsan.example.com", &["valid.example.com", "another.example.com"], "valid.example.com",
         "it is not among them".into()),
        ("case-mismatch", "Example.COM", &["example.com"], "example.com",
         "it differs from DNS:example.com only in letter case, and the copy must be exact".into()),
    ];
    for (id, cn, sans, name, reason) in shapes {
        let l = cn_leaf(&r, cn, sans);
        assert_eq!(
            verify_cn(&[&r], &l, name, Policy::default()),
            Ok(()),
            "{id}"
        );
        let presented: Vec<String> = sans
            .iter()
            .map(|s| match s.parse::<std::net::IpAddr>() {
                Ok(_) => format!("IP:{s}"),
                Err(_) => format!("DNS:{s}"),
            })
            .collect();
        let subject = match sans[0].parse::<std::net::IpAddr>() {
            Ok(_) => format!("CN={cn}"),
            Err(_) => sans[0].to_string(),
        };
        let e = verify_cn(&[&r], &l, name, on.clone()).unwrap_err();
        assert_eq!(
            e,
            CertificateError::CommonNameNotInSan {
                subject,
                common_name: cn.into(),
                presented,
                reason,
            },
            "{id}"
        );
        assert_eq!(e.alert(), AlertDescription::BadCertificate, "{id}");
    }

    // Two whole sentences.
    let l = cn_leaf(&r, "0xC0A80101", &["192.168.1.1"]);
    assert_eq!(
        verify_cn(&[&r], &l, "192.168.1.1", on.clone()).unwrap_err().to_string(),
        "certificate for CN=0xC0A80101 has subject CN \"0xC0A80101\", which is not a character-for-character copy of any of its DNS or IP subjectAltName values (IP:192.168.1.1): it is IP:192.168.1.1 written another way; the CN must read exactly 192.168.1.1 (IPv4 in dotted decimal without leading zeros, RFC 3986, 3.2.2). The CA/Browser Forum Baseline Requirements (7.1.4.3) require the CN, if present, to copy one; reissue the certificate with such a CN, or with none."
    );
    let l = cn_leaf(
        &r,
        "notinsan.example.com",
        &["valid.example.com", "another.example.com"],
    );
    assert_eq!(
        verify_cn(&[&r], &l, "valid.example.com", on.clone()).unwrap_err().to_string(),
        "certificate for valid.example.com has subject CN \"notinsan.example.com\", which is not a character-for-character copy of any of its DNS or IP subjectAltName values (DNS:valid.example.com, DNS:another.example.com): it is not among them. The CA/Browser Forum Baseline Requirements (7.1.4.3) require the CN, if present, to copy one; reissue the certificate with such a CN, or with none."
    );
    // A canonical IP CN that no iPAddress holds.
    let l = cn_leaf(&r, "192.0.2.9", &["192.0.2.1"]);
    assert_eq!(
        verify_cn(&[&r], &l, "192.0.2.1", on.clone()),
        Err(CertificateError::CommonNameNotInSan {
            subject: "CN=192.0.2.9".into(),
            common_name: "192.0.2.9".into(),
            presented: vec!["IP:192.0.2.1".into()],
            reason: "it is the IP address 192.0.2.9, which is not among them".into(),
        })
    );

    // Exact copies pass: DNS, wildcard, canonical IPv4 and IPv6, and no CN at all.
    for (cn, sans, name) in [
        (
            "www.example.com",
            &["example.com", "www.example.com"][..],
            "www.example.com",
        ),
        ("*.example.com", &["*.example.com"][..], "a.example.com"),
        ("192.168.1.1", &["192.168.1.1"][..], "192.168.1.1"),
        (
            "2001:db8::1:0:0:1",
            &["2001:db8:0:0:1:0:0:1"][..],
            "2001:db8::1:0:0:1",
        ),
    ] {
        let l = cn_leaf(&r, cn, sans);
        assert_eq!(verify_cn(&[&r], &l, name, on.clone()), Ok(()), "{cn}");
    }
    let mut p = leaf_params(&["example.com"]);
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name
        .push(DnType::OrganizationName, "Example");
    let l = leaf(&r, p);
    assert_eq!(verify_cn(&[&r], &l, "example.com", on.clone()), Ok(()));

    // The CA/Browser Forum server profile includes the rule.
    let l = cn_leaf(&r, "Example.COM", &["example.com"]);
    let cabf = Policy {
        cabf_server_profile: true,
        ..Policy::default()
    };
    assert!(matches!(
        verify_cn(&[&r], &l, "example.com", cabf),
        Err(CertificateError::CommonNameNotInSan { .. })
    ));
    // Server certificates only: a client certificate's CN names a person or service.
    let mut p = leaf_params(&["client.example.com"]);
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, "Bob");
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client = leaf(&r, p);
    let mut req = Request::new(&client, good_time());
    req.purpose = Purpose::ClientAuth;
    assert!(Verifier::new(store(&[&r]))
        .with_policy(on)
        .verify(&req)
        .is_ok());
}

fn openssl(args: &[&str], dir: &std::path::Path) -> bool {
    std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// SHA-1 signatures and 1024-bit RSA keys, which rcgen will not make.
#[test]
fn weak_signature_and_key_from_openssl() {
    let dir = std::env::temp_dir().join(format!("ferrotls-pki-weak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ok = openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "sha1.pem",
            "-sha1",
            "-days",
            "3650",
            "-subj",
            "/CN=sha1.example",
            "-addext",
            "subjectAltName=DNS:sha1.example",
            // Self-signed leaves: `req -x509` would make CA certificates.
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
        &dir,
    ) && openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:1024",
            "-nodes",
            "-keyout",
            "k2.pem",
            "-out",
            "weak.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=weak.example",
            "-addext",
            "subjectAltName=DNS:weak.example",
            // Self-signed leaves: `req -x509` would make CA certificates.
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
        &dir,
    );
    assert!(
        ok,
        "openssl is needed to make the SHA-1 and RSA-1024 certificates"
    );
    let load = |f: &str| ferrotls::pem::load_certs(dir.join(f)).unwrap().remove(0);
    let sha1 = load("sha1.pem");
    let weak = load("weak.pem");
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3600; // an hour on: certificates made this second are valid by then
    let trusting = |c: &CertificateDer<'static>| {
        let mut s = RootStore::new();
        s.add(TrustAnchor::from_cert(c.clone()).unwrap());
        Verifier::new(s)
    };
    // Even trusted directly as a root, the key and signature rules apply to a chain
    // issued by it; a leaf signed with SHA-1 under another root is refused.
    let r = root("Test Root");
    let e = Verifier::new(store(&[&r]))
        .verify(&Request::new(sha1.as_ref(), t))
        .unwrap_err();
    assert!(
        matches!(
            e,
            CertificateError::UnknownIssuer { .. } | CertificateError::SelfSigned { .. }
        ),
        "{e}"
    );
    let e = trusting(&weak)
        .verify(&Request::new(weak.as_ref(), t))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "CN=weak.example has a RSA 1024-bit key, which is too weak; RSA keys must be at least 2048 bits and a whole number of bytes. Reissue it with a stronger key."
    );
    // A SHA-1 self-signed CA issuing a leaf: the leaf's SHA-1 signature is refused.
    let ok = openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=SHA1 CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
        &dir,
    ) && openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "l.key",
            "-out",
            "l.csr",
            "-subj",
            "/CN=leaf.example",
        ],
        &dir,
    ) && std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:leaf.example\nauthorityKeyIdentifier=keyid\n",
    )
    .is_ok()
        && openssl(
            &[
                "x509",
                "-req",
                "-in",
                "l.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "l.pem",
                "-days",
                "365",
                "-sha1",
                "-extfile",
                "ext.cnf",
            ],
            &dir,
        );
    assert!(ok);
    let ca = load("ca.pem");
    let l = load("l.pem");
    let e = trusting(&ca)
        .verify(&Request::new(l.as_ref(), t))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "CN=leaf.example is signed with sha1WithRSAEncryption, which is forgeable and not accepted. Reissue it with a SHA-256 (or stronger) signature."
    );
    assert_eq!(e.alert(), AlertDescription::BadCertificate);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn purpose_defaults() {
    assert_eq!(Request::new(&[], 0).purpose, Purpose::ServerAuth);
}

/// Every sentence, asserted.
#[test]
fn every_certificate_error_explains() {
    let s = |x: &str| x.to_string();
    let cases: Vec<(CertificateError, &str, AlertDescription)> = vec![
        (CertificateError::Expired { role: CertRole::Intermediate, subject: s("CN=R11"), not_after: 0, now: 86_400 * 2 },
         "intermediate certificate for CN=R11 expired at 1970-01-01T00:00:00Z; this machine's clock says 1970-01-03T00:00:00Z (2 days later). Renew it, or check the clock.",
         AlertDescription::CertificateExpired),
        (CertificateError::NameMismatch { expected: s("a.example"), presented: vec![] },
         "certificate is not valid for a.example; it names no DNS or IP subject alternative names at all (the subject CN is not used for matching)",
         AlertDescription::BadCertificate),
        (CertificateError::UnknownIssuer { role: CertRole::EndEntity, subject: s("CN=example.com"), issuer: s("CN=R11, O=Let's Encrypt"), intermediates_sent: 2, from_client: false },
         "no trusted issuer for CN=example.com: its issuer CN=R11, O=Let's Encrypt is neither among the 2 intermediate certificate(s) the server sent nor in the trust store. The server probably sends the wrong intermediate certificate.",
         AlertDescription::UnknownCa),
        (CertificateError::UnsupportedSignature { subject: s("CN=x"), algorithm: s("Ed448") },
         "CN=x is signed with Ed448, which ferrotls does not verify; supported are RSA PKCS#1 and PSS with SHA-2, ECDSA P-256/P-384/P-521 and Ed25519",
         AlertDescription::UnsupportedCertificate),
        (CertificateError::UnsupportedPublicKey { subject: s("CN=x"), key: s("an EC key on curve P-192") },
         "CN=x has an EC key on curve P-192, which ferrotls does not support; use RSA (2048 to 8192 bits), ECDSA P-256/P-384/P-521 or Ed25519",
         AlertDescription::UnsupportedCertificate),
        (CertificateError::PathTooLong { subject: s("example.com"), max_intermediates: 6 },
         "the chain for example.com would need more than 6 intermediate certificates to reach a trusted root, more than allowed",
         AlertDescription::UnknownCa),
        (CertificateError::UnknownCriticalExtension { subject: s("CN=x"), oid: s("1.2.3") },
         "CN=x has a critical extension 1.2.3 that ferrotls does not understand, so it must be rejected (RFC 5280, 4.2)",
         AlertDescription::BadCertificate),
        (CertificateError::InvalidExtension { subject: s("CN=x"), extension: "keyUsage", reason: s("no bit is set (RFC 5280, 4.2.1.3)") },
         "CN=x has an invalid keyUsage extension: no bit is set (RFC 5280, 4.2.1.3)",
         AlertDescription::BadCertificate),
        (CertificateError::Nonconforming { subject: s("CN=x"), rule: s("its serial number is zero (RFC 5280, 4.1.2.2)") },
         "CN=x breaks RFC 5280: its serial number is zero (RFC 5280, 4.1.2.2)",
         AlertDescription::BadCertificate),
        (CertificateError::TooComplex { subject: s("CN=x"), what: "signature checks", limit: 100 },
         "gave up verifying CN=x after 100 signature checks: the certificates given are built to make verification expensive",
         AlertDescription::CertificateUnknown),
        (CertificateError::BadCrl { issuer: s("CN=CA"), reason: s("it lacks the cRLNumber extension (RFC 5280, 5.2.3)") },
         "the CRL issued by CN=CA cannot be used: it lacks the cRLNumber extension (RFC 5280, 5.2.3)",
         AlertDescription::CertificateUnknown),
        (CertificateError::BadOcspResponse { subject: s("example.com"), reason: s("the responder does not know this certificate (status unknown)") },
         "the stapled OCSP response for example.com cannot be used: the responder does not know this certificate (status unknown)",
         AlertDescription::BadCertificateStatusResponse),
        (CertificateError::CaUsedAsEndEntity { subject: s("ca.example.com"), from_client: false },
         CA_LEAF_SERVER,
         AlertDescription::BadCertificate),
        (CertificateError::CommonNameNotInSan { subject: s("CN=Test"), common_name: s("Test"), presented: vec![], reason: s("there is nothing for it to copy") },
         "certificate for CN=Test has subject CN \"Test\", which is not a character-for-character copy of any of its DNS or IP subjectAltName values (it has none): there is nothing for it to copy. The CA/Browser Forum Baseline Requirements (7.1.4.3) require the CN, if present, to copy one; reissue the certificate with such a CN, or with none.",
         AlertDescription::BadCertificate),
        (CertificateError::MustStapleMissing { subject: s("example.com") },
         "certificate for example.com requires a stapled OCSP response (OCSP must-staple), but the server sent none. The server must enable OCSP stapling.",
         AlertDescription::BadCertificateStatusResponse),
        (CertificateError::Revoked { subject: s("example.com"), serial: s("01"), revoked_at: 0, reason: None, source: s("the stapled OCSP response signed at 1970-01-01T00:00:00Z") },
         "certificate for example.com (serial 01) was revoked at 1970-01-01T00:00:00Z according to the stapled OCSP response signed at 1970-01-01T00:00:00Z. Replace it.",
         AlertDescription::CertificateRevoked),
        (CertificateError::NoValidPath {
            subject: s("example.com"),
            attempts: vec![
                RejectedPath { chain: vec![s("example.com"), s("CN=A")], error: CertificateError::SelfSigned { subject: s("x") } },
                RejectedPath { chain: vec![s("example.com"), s("CN=B")], error: CertificateError::PathLenExceeded { ca: s("CN=B"), path_len: 1 } },
            ],
         },
         "no valid path from example.com to a trusted root; 2 candidate path(s) were rejected: (1) example.com <- CN=A: certificate for x is self-signed and is not in the trust store. Trust it explicitly (for example with --cafile), or use a certificate issued by a CA. (2) example.com <- CN=B: CA CN=B allows at most 1 intermediate CA certificate(s) below it (pathLenConstraint), but the chain has more",
         AlertDescription::UnknownCa),
    ];
    for (e, text, alert) in cases {
        assert_eq!(e.to_string(), text);
        assert_eq!(e.alert(), alert, "{text}");
        assert_eq!(ferrotls::Error::from(e).alert(), Some(alert));
    }
}

/// The pinned verifier: bytes that are no certificate are corrupt (bad_certificate,
/// RFC 5246, 7.2.2), a well-formed certificate that is not pinned is unknown_ca.
#[test]
fn pinned_verifier_tells_a_corrupt_certificate_from_an_unpinned_one() {
    let r = root("Test Root");
    let pinned = leaf(&r, leaf_params(&["pinned.example.com"]));
    let other = leaf(&r, leaf_params(&["other.example.com"]));
    let v = PinnedCertVerifier::new(vec![CertificateDer::from(pinned)]).unwrap();
    let sn = ServerName::try_from("pinned.example.com").unwrap();
    let check = |der: &[u8]| {
        v.verify_server_cert(
            &CertificateDer::from(der.to_vec()),
            &[],
            &sn,
            &[],
            unix_time(good_time()),
        )
        .unwrap_err()
    };
    let e = check(&[1, 2, 3]);
    assert_eq!(
        e.to_string(),
        "peer's certificate could not be parsed: Parsing Error: NomError(Eof)"
    );
    assert_eq!(e.alert(), Some(AlertDescription::BadCertificate));
    let e = check(&other);
    assert_eq!(e.alert(), Some(AlertDescription::UnknownCa));
    assert!(e.to_string().contains("other.example.com"), "{e}");
}
