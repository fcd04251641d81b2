//! Agreement with OpenSSL: a corpus of good and broken chains, generated here (rcgen,
//! and openssl itself for what rcgen cannot make: RSA-1024 keys, SHA-1 signatures),
//! each verified by `openssl verify` and by ferrotls at the same time, for the same
//! name and purpose. The accept/reject verdicts must agree, except for the cases in
//! [`DISAGREEMENTS`], where the disagreement itself is asserted and justified.
//!
//! OpenSSL runs as
//! `openssl verify [-x509_strict] -auth_level 2 -purpose sslserver -attime T
//!  (-verify_hostname NAME | -verify_ip IP) -CAfile roots.pem [-untrusted inter.pem] leaf.pem`,
//! twice: ferrotls's default policy against OpenSSL's default, and the strict profile
//! (`Policy::strict_rfc5280()`) against `-x509_strict`; `-auth_level 2` (112-bit
//! security: no RSA < 2048, no SHA-1) because that is ferrotls's signature and key policy.
//!
//! Run with `cargo test -p ferrotls --test openssl_agreement -- --nocapture` to see the
//! table. Fails when no `openssl` binary is on PATH.

mod common;

use std::net::IpAddr;
use std::path::Path;
use std::process::Command;

use common::{ca_params, TempDir};
use ferrotls::pki::{
    time::parse_time, Policy, Purpose, Request, RootStore, SubjectName, TrustAnchor, Verifier,
};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CidrSubnet, CustomExtension,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, GeneralSubtree, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, NameConstraints,
};
use rustls_pki_types::CertificateDer;

/// Justified disagreements: (case, OpenSSL accepts, ferrotls accepts, why).
/// Every entry must be hit by the corpus, with exactly these verdicts.
const DISAGREEMENTS: &[(&str, bool, bool, &str)] = &[
    (
        "name-trailing-dot",
        false,
        true,
        // Issue 3 asks for trailing-dot handling: "www.example.com." is the same
        // absolute DNS name as "www.example.com"; browsers, Go and rustls-webpki accept it.
        "a trailing dot marks an absolute DNS name and is ignored when matching; \
         OpenSSL's X509_check_host compares the name as given, so 'www.example.com.' \
         does not match DNS:www.example.com",
    ),
    (
        "ca-certificate-as-leaf",
        true,
        false,
        // RFC 5280 allows a CA certificate in the leaf position, and `openssl verify
        // -x509_strict -purpose sslserver` accepts one; the Web PKI does not.
        "a CA certificate (cA=TRUE) is never a server's own certificate: CA/Browser \
         Forum BR 7.1.2.7.8; Firefox (MOZILLA_PKIX_ERROR_CA_CERT_USED_AS_END_ENTITY) \
         and rustls-webpki (CaUsedAsEndEntity) refuse it, and so does ferrotls",
    ),
];

/// A certificate in both encodings.
#[derive(Clone)]
struct Cert {
    der: Vec<u8>,
    pem: String,
}

struct Ca {
    params: CertificateParams,
    key: KeyPair,
    cert: Cert,
}

impl Ca {
    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

fn cert_of(c: rcgen::Certificate) -> Cert {
    Cert {
        der: c.der().to_vec(),
        pem: c.pem(),
    }
}

fn new_key() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()
}

fn root_with(params: CertificateParams, key: KeyPair) -> Ca {
    let cert = cert_of(params.self_signed(&key).unwrap());
    Ca { params, key, cert }
}

fn root(cn: &str) -> Ca {
    root_with(ca_params(cn, None), new_key())
}

fn sub_ca(parent: &Ca, params: CertificateParams) -> Ca {
    let key = new_key();
    let cert = cert_of(params.signed_by(&key, &parent.issuer()).unwrap());
    Ca { params, key, cert }
}

fn leaf_params(names: &[&str]) -> CertificateParams {
    let mut p =
        CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    p.distinguished_name = DistinguishedName::new();
    // A CN that is not a hostname, so OpenSSL's CN fallback and CN name-constraint
    // checks never apply; only the SANs matter, as in ferrotls.
    p.distinguished_name.push(DnType::CommonName, "Test Leaf");
    p.use_authority_key_identifier_extension = true;
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = date_time_ymd(2026, 6, 1);
    p
}

fn leaf(issuer: &Ca, params: CertificateParams) -> Cert {
    cert_of(params.signed_by(&new_key(), &issuer.issuer()).unwrap())
}

/// The verification time of the rcgen corpus.
fn t() -> i64 {
    parse_time("2026-03-04T12:00:00Z").unwrap()
}

#[derive(Clone, Debug)]
enum Target {
    Dns(&'static str),
    Ip(&'static str),
}

struct Case {
    name: &'static str,
    roots: Vec<Cert>,
    inters: Vec<Cert>,
    leaf: Cert,
    target: Target,
    at: i64,
    /// Pass `-partial_chain`: a trust anchor that is not self-signed is a trust anchor
    /// (ferrotls always treats it so).
    partial_chain: bool,
    /// The verdict the rules call for; both verifiers must give it unless the case is
    /// in DISAGREEMENTS, whose entry then pins both verdicts.
    expect: bool,
}

fn case(
    name: &'static str,
    roots: &[&Ca],
    inters: &[&Cert],
    leaf: Cert,
    target: Target,
    expect: bool,
) -> Case {
    Case {
        name,
        roots: roots.iter().map(|r| r.cert.clone()).collect(),
        inters: inters.iter().map(|c| (*c).clone()).collect(),
        leaf,
        target,
        at: t(),
        partial_chain: false,
        expect,
    }
}

/// Chains rcgen can make.
fn rcgen_corpus() -> Vec<Case> {
    use Target::{Dns, Ip};
    let mut cases = Vec::new();
    let r = root("Agreement Root");
    let i = sub_ca(&r, ca_params("Agreement Intermediate", Some(0)));
    let www = || leaf_params(&["www.example.com"]);

    // Good chains, and the name rules on them.
    cases.push(case(
        "good-2-level",
        &[&r],
        &[],
        leaf(&r, www()),
        Dns("www.example.com"),
        true,
    ));
    let good = leaf(&i, www());
    cases.push(case(
        "good-3-level",
        &[&r],
        &[&i.cert],
        good.clone(),
        Dns("www.example.com"),
        true,
    ));
    cases.push(case(
        "name-case-insensitive",
        &[&r],
        &[&i.cert],
        good.clone(),
        Dns("WWW.Example.COM"),
        true,
    ));
    cases.push(case(
        "name-trailing-dot",
        &[&r],
        &[&i.cert],
        good.clone(),
        Dns("www.example.com."),
        true,
    ));
    cases.push(case(
        "wrong-name",
        &[&r],
        &[&i.cert],
        good.clone(),
        Dns("shop.example.com"),
        false,
    ));
    cases.push(case(
        "wrong-name-parent-domain",
        &[&r],
        &[&i.cert],
        good.clone(),
        Dns("example.com"),
        false,
    ));
    let ip = leaf(&i, leaf_params(&["192.0.2.7", "2001:db8::7"]));
    cases.push(case(
        "ip-san-v4-match",
        &[&r],
        &[&i.cert],
        ip.clone(),
        Ip("192.0.2.7"),
        true,
    ));
    cases.push(case(
        "ip-san-v6-match",
        &[&r],
        &[&i.cert],
        ip.clone(),
        Ip("2001:db8::7"),
        true,
    ));
    cases.push(case(
        "ip-san-mismatch",
        &[&r],
        &[&i.cert],
        ip.clone(),
        Ip("192.0.2.8"),
        false,
    ));
    cases.push(case(
        "dns-name-not-in-ip-sans",
        &[&r],
        &[&i.cert],
        ip,
        Dns("www.example.com"),
        false,
    ));
    let wild = leaf(&i, leaf_params(&["*.example.com"]));
    cases.push(case(
        "wildcard-one-label",
        &[&r],
        &[&i.cert],
        wild.clone(),
        Dns("a.example.com"),
        true,
    ));
    cases.push(case(
        "wildcard-two-labels",
        &[&r],
        &[&i.cert],
        wild.clone(),
        Dns("a.b.example.com"),
        false,
    ));
    cases.push(case(
        "wildcard-apex",
        &[&r],
        &[&i.cert],
        wild,
        Dns("example.com"),
        false,
    ));

    // Validity windows.
    let mut p = www();
    p.not_after = date_time_ymd(2026, 3, 1);
    cases.push(case(
        "expired-leaf",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        false,
    ));
    let mut p = www();
    p.not_before = date_time_ymd(2026, 4, 1);
    cases.push(case(
        "not-yet-valid-leaf",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        false,
    ));
    let mut p = ca_params("Expired Intermediate", Some(0));
    p.not_after = date_time_ymd(2026, 2, 1);
    let ie = sub_ca(&r, p);
    cases.push(case(
        "expired-intermediate",
        &[&r],
        &[&ie.cert],
        leaf(&ie, www()),
        Dns("www.example.com"),
        false,
    ));
    let mut p = ca_params("Future Intermediate", Some(0));
    p.not_before = date_time_ymd(2026, 4, 1);
    let inyv = sub_ca(&r, p);
    cases.push(case(
        "not-yet-valid-intermediate",
        &[&r],
        &[&inyv.cert],
        leaf(&inyv, www()),
        Dns("www.example.com"),
        false,
    ));
    let mut p = ca_params("Agreement Root", None);
    p.not_after = date_time_ymd(2026, 2, 1);
    let expired_root = root_with(p, new_key());
    cases.push(case(
        "expired-root",
        &[&expired_root],
        &[],
        leaf(&expired_root, www()),
        Dns("www.example.com"),
        false,
    ));

    // Path building.
    cases.push(case(
        "missing-intermediate",
        &[&r],
        &[],
        good.clone(),
        Dns("www.example.com"),
        false,
    ));
    // Same subject as the real intermediate, another key: the leaf's signature fails.
    let impostor = sub_ca(&r, ca_params("Agreement Intermediate", Some(0)));
    cases.push(case(
        "wrong-intermediate",
        &[&r],
        &[&impostor.cert],
        good.clone(),
        Dns("www.example.com"),
        false,
    ));
    // The real one after the impostor: both must find it.
    cases.push(case(
        "wrong-then-right-intermediate",
        &[&r],
        &[&impostor.cert, &i.cert],
        good.clone(),
        Dns("www.example.com"),
        true,
    ));
    let other = root("Other Root");
    cases.push(case(
        "untrusted-root",
        &[&other],
        &[&i.cert],
        good.clone(),
        Dns("www.example.com"),
        false,
    ));
    // The root itself sent along as an intermediate changes nothing.
    cases.push(case(
        "root-in-intermediates",
        &[&r],
        &[&r.cert, &i.cert],
        good,
        Dns("www.example.com"),
        true,
    ));

    // CA bits.
    let mut p = ca_params("Not A CA", None);
    p.is_ca = IsCa::ExplicitNoCa;
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ];
    let nca = sub_ca(&r, p);
    cases.push(case(
        "intermediate-not-ca",
        &[&r],
        &[&nca.cert],
        leaf(&nca, www()),
        Dns("www.example.com"),
        false,
    ));
    let mut p = ca_params("No BC Intermediate", None);
    p.is_ca = IsCa::NoCa;
    let nbc = sub_ca(&r, p);
    cases.push(case(
        "intermediate-no-basic-constraints",
        &[&r],
        &[&nbc.cert],
        leaf(&nbc, www()),
        Dns("www.example.com"),
        false,
    ));
    let i0 = sub_ca(&r, ca_params("PathLen0 CA", Some(0)));
    let i0b = sub_ca(&i0, ca_params("Below PathLen0", None));
    cases.push(case(
        "pathlen-exceeded",
        &[&r],
        &[&i0.cert, &i0b.cert],
        leaf(&i0b, www()),
        Dns("www.example.com"),
        false,
    ));
    let i1 = sub_ca(&r, ca_params("PathLen1 CA", Some(1)));
    let i1b = sub_ca(&i1, ca_params("Below PathLen1", Some(0)));
    cases.push(case(
        "pathlen-respected-4-level",
        &[&r],
        &[&i1.cert, &i1b.cert],
        leaf(&i1b, www()),
        Dns("www.example.com"),
        true,
    ));
    let mut p = ca_params("No CertSign CA", Some(0));
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::CrlSign];
    let nks = sub_ca(&r, p);
    cases.push(case(
        "ca-keyusage-without-keycertsign",
        &[&r],
        &[&nks.cert],
        leaf(&nks, www()),
        Dns("www.example.com"),
        false,
    ));

    // Purposes.
    let mut p = www();
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    cases.push(case(
        "leaf-eku-clientauth-only",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        false,
    ));
    let mut p = www();
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    cases.push(case(
        "leaf-eku-server-and-client",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        true,
    ));
    let mut p = ca_params("Client-only CA", Some(0));
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let ceku = sub_ca(&r, p);
    cases.push(case(
        "intermediate-eku-clientauth-only",
        &[&r],
        &[&ceku.cert],
        leaf(&ceku, www()),
        Dns("www.example.com"),
        false,
    ));

    // Name constraints.
    let nc_ca = |cn: &str, permitted: Vec<GeneralSubtree>, excluded: Vec<GeneralSubtree>| {
        let mut p = ca_params(cn, Some(0));
        p.name_constraints = Some(NameConstraints {
            permitted_subtrees: permitted,
            excluded_subtrees: excluded,
        });
        sub_ca(&r, p)
    };
    let ncd = nc_ca(
        "Permit example.com",
        vec![GeneralSubtree::DnsName("example.com".into())],
        vec![],
    );
    cases.push(case(
        "nc-dns-permitted",
        &[&r],
        &[&ncd.cert],
        leaf(&ncd, www()),
        Dns("www.example.com"),
        true,
    ));
    cases.push(case(
        "nc-dns-not-permitted",
        &[&r],
        &[&ncd.cert],
        leaf(&ncd, leaf_params(&["www.example.net"])),
        Dns("www.example.net"),
        false,
    ));
    // The name asked for is permitted, but another SAN is not: the certificate is out.
    cases.push(case(
        "nc-dns-other-san-not-permitted",
        &[&r],
        &[&ncd.cert],
        leaf(&ncd, leaf_params(&["www.example.com", "evil.test"])),
        Dns("www.example.com"),
        false,
    ));
    let ncx = nc_ca(
        "Exclude secret.example.com",
        vec![],
        vec![GeneralSubtree::DnsName("secret.example.com".into())],
    );
    cases.push(case(
        "nc-dns-excluded",
        &[&r],
        &[&ncx.cert],
        leaf(&ncx, leaf_params(&["db.secret.example.com"])),
        Dns("db.secret.example.com"),
        false,
    ));
    cases.push(case(
        "nc-dns-outside-excluded",
        &[&r],
        &[&ncx.cert],
        leaf(&ncx, leaf_params(&["db.public.example.com"])),
        Dns("db.public.example.com"),
        true,
    ));
    let nci = nc_ca(
        "Permit 10/8",
        vec![GeneralSubtree::IpAddress(CidrSubnet::V4(
            [10, 0, 0, 0],
            [255, 0, 0, 0],
        ))],
        vec![],
    );
    cases.push(case(
        "nc-ip-permitted",
        &[&r],
        &[&nci.cert],
        leaf(&nci, leaf_params(&["10.1.2.3"])),
        Ip("10.1.2.3"),
        true,
    ));
    cases.push(case(
        "nc-ip-not-permitted",
        &[&r],
        &[&nci.cert],
        leaf(&nci, leaf_params(&["192.0.2.1"])),
        Ip("192.0.2.1"),
        false,
    ));
    let ncix = nc_ca(
        "Exclude 10.9/16",
        vec![],
        vec![GeneralSubtree::IpAddress(CidrSubnet::V4(
            [10, 9, 0, 0],
            [255, 255, 0, 0],
        ))],
    );
    cases.push(case(
        "nc-ip-excluded",
        &[&r],
        &[&ncix.cert],
        leaf(&ncix, leaf_params(&["10.9.1.1"])),
        Ip("10.9.1.1"),
        false,
    ));

    // Extensions.
    let unknown = |critical: bool| {
        let mut e =
            CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 55555, 1], vec![0x05, 0x00]);
        e.set_criticality(critical);
        e
    };
    let mut p = www();
    p.custom_extensions = vec![unknown(true)];
    cases.push(case(
        "leaf-unknown-critical-extension",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        false,
    ));
    let mut p = www();
    p.custom_extensions = vec![unknown(false)];
    cases.push(case(
        "leaf-unknown-noncritical-extension",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        true,
    ));
    let mut p = ca_params("Critical Ext CA", Some(0));
    p.custom_extensions = vec![unknown(true)];
    let cei = sub_ca(&r, p);
    cases.push(case(
        "intermediate-unknown-critical-extension",
        &[&r],
        &[&cei.cert],
        leaf(&cei, www()),
        Dns("www.example.com"),
        false,
    ));

    // A self-signed leaf, not trusted.
    let mut p = www();
    p.use_authority_key_identifier_extension = false;
    let ss = cert_of(p.self_signed(&new_key()).unwrap());
    cases.push(case(
        "self-signed-leaf",
        &[&r],
        &[],
        ss,
        Dns("www.example.com"),
        false,
    ));

    // Cross-signing: "New Root" issues the intermediate; "Old Root" cross-signs New Root.
    let old = root("Old Root");
    let new = root("New Root");
    let cross = cert_of(new.params.signed_by(&new.key, &old.issuer()).unwrap());
    let ni = sub_ca(&new, ca_params("New Intermediate", Some(0)));
    let nl = leaf(&ni, www());
    cases.push(case(
        "cross-signed-old-root-trusted",
        &[&old],
        &[&ni.cert, &cross],
        nl.clone(),
        Dns("www.example.com"),
        true,
    ));
    cases.push(case(
        "cross-signed-new-root-trusted",
        &[&new],
        &[&ni.cert, &cross],
        nl.clone(),
        Dns("www.example.com"),
        true,
    ));
    // An expired cross-sign must not hide the path to the trusted new root.
    let mut p = ca_params("New Root", None);
    p.not_after = date_time_ymd(2026, 2, 1);
    let expired_cross = cert_of(p.signed_by(&new.key, &old.issuer()).unwrap());
    cases.push(case(
        "expired-cross-sign-new-root-trusted",
        &[&new],
        &[&ni.cert, &expired_cross],
        nl.clone(),
        Dns("www.example.com"),
        true,
    ));
    cases.push(case(
        "expired-cross-sign-only-old-root-trusted",
        &[&old],
        &[&ni.cert, &expired_cross],
        nl.clone(),
        Dns("www.example.com"),
        false,
    ));
    cases.push(case(
        "cross-signed-neither-root-trusted",
        &[&other],
        &[&ni.cert, &cross],
        nl,
        Dns("www.example.com"),
        false,
    ));

    // The intermediate itself as the trust anchor (OpenSSL needs -partial_chain).
    let mut c = case(
        "intermediate-as-trust-anchor",
        &[&i],
        &[],
        leaf(&i, www()),
        Dns("www.example.com"),
        true,
    );
    c.partial_chain = true;
    cases.push(c);

    // RFC 5280 strictness both enforce (ferrotls: Policy::strict_rfc5280; OpenSSL: -x509_strict).
    let mut p = www();
    p.use_authority_key_identifier_extension = false;
    cases.push(case(
        "leaf-without-authority-key-id",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        false,
    ));

    // Leaf shapes.
    let mut p = www();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
    ];
    cases.push(case(
        "ca-certificate-as-leaf",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        false,
    ));
    let mut p = www();
    p.key_usages = vec![KeyUsagePurpose::CrlSign];
    cases.push(case(
        "leaf-keyusage-without-digitalsignature",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        false,
    ));
    let mut p = www();
    p.extended_key_usages = vec![];
    cases.push(case(
        "leaf-without-eku",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        true,
    ));
    let mut p = www();
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::Any];
    cases.push(case(
        "leaf-eku-any-only",
        &[&r],
        &[&i.cert],
        leaf(&i, p),
        Dns("www.example.com"),
        false,
    ));
    cases
}

fn openssl_ok(dir: &Path, args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("cannot run openssl: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "openssl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn load_pem(path: &Path) -> Cert {
    let der = ferrotls::pem::load_certs(path).unwrap().remove(0).to_vec();
    let pem = std::fs::read_to_string(path).unwrap();
    Cert { der, pem }
}

/// Leaves openssl issues (RSA-1024 key, SHA-1 signature, and an RSA-2048/SHA-256
/// control through the same steps) under an RSA CA made by rcgen. `openssl x509 -req`
/// in 3.0 dates certificates from the real clock, so these cases are verified an hour
/// from now.
fn openssl_corpus(dir: &Path) -> Result<Vec<Case>, String> {
    openssl_ok(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa-ca.key",
        ],
    )?;
    let key = KeyPair::from_pem(&std::fs::read_to_string(dir.join("rsa-ca.key")).unwrap())
        .map_err(|e| format!("rcgen cannot load the RSA CA key: {e}"))?;
    let ca = root_with(ca_params("Agreement RSA Root", None), key);
    std::fs::write(dir.join("rsa-ca.pem"), &ca.cert.pem).unwrap();
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:www.example.com\n\
         extendedKeyUsage=serverAuth\n\
         keyUsage=critical,digitalSignature,keyEncipherment\n\
         authorityKeyIdentifier=keyid\n\
         subjectKeyIdentifier=hash\n",
    )
    .unwrap();
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3600;
    let mut cases = Vec::new();
    for (name, bits, digest, expect) in [
        ("openssl-rsa2048-sha256-leaf", "2048", "-sha256", true),
        ("rsa-1024-leaf", "1024", "-sha256", false),
        ("sha1-signed-leaf", "2048", "-sha1", false),
    ] {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        openssl_ok(
            dir,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &format!("rsa_keygen_bits:{bits}"),
                "-out",
                &key,
            ],
        )?;
        openssl_ok(
            dir,
            &[
                "req",
                "-new",
                "-key",
                &key,
                "-subj",
                "/CN=Test Leaf",
                "-out",
                &csr,
            ],
        )?;
        openssl_ok(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "rsa-ca.pem",
                "-CAkey",
                "rsa-ca.key",
                digest,
                "-days",
                "30",
                "-set_serial",
                "0x1234",
                "-extfile",
                "leaf.ext",
                "-out",
                &pem,
            ],
        )?;
        cases.push(Case {
            name,
            roots: vec![ca.cert.clone()],
            inters: vec![],
            leaf: load_pem(&dir.join(&pem)),
            target: Target::Dns("www.example.com"),
            at,
            partial_chain: false,
            expect,
        });
    }
    Ok(cases)
}

/// Cases that only the strict profiles refuse: OpenSSL without -x509_strict, like
/// the browsers and ferrotls's default policy, accepts them.
const STRICT_ONLY: &[&str] = &["leaf-without-authority-key-id"];

/// `openssl verify`'s verdict, with its last error line.
fn openssl_verdict(dir: &Path, c: &Case, strict: bool) -> (bool, String) {
    let join = |certs: &[Cert]| certs.iter().map(|c| c.pem.as_str()).collect::<String>();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("roots.pem"), join(&c.roots)).unwrap();
    std::fs::write(dir.join("leaf.pem"), &c.leaf.pem).unwrap();
    let at = c.at.to_string();
    let mut args = vec!["verify"];
    if strict {
        args.push("-x509_strict");
    }
    args.extend(["-auth_level", "2", "-purpose", "sslserver", "-attime", &at]);
    match &c.target {
        Target::Dns(n) => args.extend(["-verify_hostname", n]),
        Target::Ip(ip) => args.extend(["-verify_ip", ip]),
    }
    if c.partial_chain {
        args.push("-partial_chain");
    }
    args.extend(["-CAfile", "roots.pem"]);
    if !c.inters.is_empty() {
        std::fs::write(dir.join("inter.pem"), join(&c.inters)).unwrap();
        args.extend(["-untrusted", "inter.pem"]);
    }
    args.push("leaf.pem");
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ok = out.status.success() && stdout.contains("leaf.pem: OK");
    let why = stderr
        .lines()
        .find(|l| l.contains("error "))
        .unwrap_or("")
        .to_string();
    (ok, why)
}

fn ferrotls_verdict(c: &Case, strict: bool) -> (bool, String) {
    let mut store = RootStore::new();
    for r in &c.roots {
        store.add(TrustAnchor::from_cert(CertificateDer::from(r.der.clone())).unwrap());
    }
    let v = Verifier::new(store).with_policy(match strict {
        true => Policy::strict_rfc5280(),
        false => Policy::default(),
    });
    let mut req = Request::new(&c.leaf.der, c.at);
    // The checks the TLS verifier makes (OpenSSL's sslserver purpose includes keyUsage).
    req.tls_key_usage = true;
    req.intermediates = c.inters.iter().map(|i| i.der.as_slice()).collect();
    req.purpose = Purpose::ServerAuth;
    req.name = Some(match &c.target {
        Target::Dns(n) => SubjectName::Dns(n.to_string()),
        Target::Ip(ip) => SubjectName::Ip(ip.parse::<IpAddr>().unwrap()),
    });
    match v.verify(&req) {
        Ok(_) => (true, String::new()),
        Err(e) => (false, e.to_string()),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "accept"
    } else {
        "reject"
    }
}

#[test]
fn ferrotls_agrees_with_openssl_verify() {
    agreement(false);
}

#[test]
fn ferrotls_strict_agrees_with_openssl_x509_strict() {
    agreement(true);
}

fn agreement(strict: bool) {
    Command::new("openssl")
        .arg("version")
        .output()
        .expect("the openssl binary is needed for this test");
    let tmp = TempDir::new(match strict {
        true => "openssl-agreement-strict",
        false => "openssl-agreement",
    });
    let mut cases = rcgen_corpus();
    cases.extend(openssl_corpus(tmp.path()).unwrap());
    assert!(cases.len() >= 25, "corpus too small: {}", cases.len());

    let mut failures = Vec::new();
    let mut used = Vec::new();
    println!("{:<44} {:<8} {:<8} note", "case", "openssl", "ferrotls");
    for c in &cases {
        let (o, o_why) = openssl_verdict(&tmp.path().join(c.name), c, strict);
        let (f, f_why) = ferrotls_verdict(c, strict);
        let expect = c.expect || (!strict && STRICT_ONLY.contains(&c.name));
        let allowed = DISAGREEMENTS.iter().find(|d| d.0 == c.name);
        let note = match allowed {
            Some(d) => {
                used.push(d.0);
                if (o, f) != (d.1, d.2) {
                    failures.push(format!(
                        "{}: listed disagreement expects openssl {} / ferrotls {}, got {} / {}",
                        c.name,
                        verdict(d.1),
                        verdict(d.2),
                        verdict(o),
                        verdict(f)
                    ));
                }
                "justified disagreement (see DISAGREEMENTS)".to_string()
            }
            None => {
                if o != f {
                    failures.push(format!(
                        "{}: openssl {} ({o_why}) but ferrotls {} ({f_why})",
                        c.name,
                        verdict(o),
                        verdict(f)
                    ));
                }
                if o != expect {
                    failures.push(format!(
                        "{}: expected {}, openssl {} ({o_why})",
                        c.name,
                        verdict(expect),
                        verdict(o)
                    ));
                }
                if o_why.is_empty() {
                    f_why.clone()
                } else {
                    o_why.clone()
                }
            }
        };
        println!(
            "{:<44} {:<8} {:<8} {}",
            c.name,
            verdict(o),
            verdict(f),
            note
        );
    }
    for d in DISAGREEMENTS {
        if !used.contains(&d.0) {
            failures.push(format!(
                "disagreement {} matches no case in the corpus",
                d.0
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
