//! The order in which a verification error names a chain's problems (issue: "explain
//! failures in the order a person fixes them"): for every pair of problem classes,
//! one chain with both, and the class the error names first.

mod common;

use common::ca_params;
use ferrotls::error::CertificateError;
use ferrotls::pki::{
    time::parse_time, Policy, Precedence, Request, RootStore, SubjectName, TrustAnchor, Verifier,
};
use rcgen::{
    date_time_ymd, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, Issuer, KeyIdMethod, KeyPair, PublicKeyData, RevokedCertParams,
    SerialNumber, SignatureAlgorithm,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, SubjectPublicKeyInfoDer};

/// An RSA-1024 public key (SubjectPublicKeyInfo DER, base64), too weak to accept.
const RSA_1024_SPKI: &str = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC8quCGdX0M3e/X+DXoR3AqZkTZN8umhgLD9iDKB58pt8hapmYjs2tmV9JqeDklwV9VfiKSu86JtpMD0URJY+VzXIaBZ/+QK450YjTW49dyoiyjMIMz3mOoUlg/+cdyk7+3wT0kgOXOw3AH269fhLYLRd9tETSoJQtAynjMzvnCiwIDAQAB";

/// The subject key of a certificate rcgen signs: only its public half is needed.
struct PublicOnly {
    rsa_public_key: Vec<u8>,
}

impl PublicKeyData for PublicOnly {
    fn der_bytes(&self) -> &[u8] {
        &self.rsa_public_key
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

fn weak_key() -> PublicOnly {
    let pem = format!("-----BEGIN PUBLIC KEY-----\n{RSA_1024_SPKI}\n-----END PUBLIC KEY-----\n");
    let spki = SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes()).expect("PEM");
    // SEQUENCE { AlgorithmIdentifier (15 bytes), BIT STRING { 0x00, RSAPublicKey } }.
    PublicOnly {
        rsa_public_key: spki[22..].to_vec(),
    }
}

/// One problem of each class, in the order the error must name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    /// The server omits its intermediate.
    MissingIntermediate,
    /// The leaf expired before the verification time.
    Expired,
    /// The leaf does not name the host asked for.
    WrongName,
    /// The intermediate's CRL lists the leaf.
    Revoked,
    /// The leaf has an RSA-1024 key.
    WeakKey,
    /// The leaf's EKU allows client authentication only.
    WrongPurpose,
    /// The leaf has no authorityKeyIdentifier (a problem in the strict profile).
    NoAuthorityKeyId,
}

const ALL: [Problem; 7] = [
    Problem::MissingIntermediate,
    Problem::Expired,
    Problem::WrongName,
    Problem::Revoked,
    Problem::WeakKey,
    Problem::WrongPurpose,
    Problem::NoAuthorityKeyId,
];

impl Problem {
    fn class(self) -> Precedence {
        match self {
            Problem::MissingIntermediate => Precedence::NotTrusted,
            Problem::Expired => Precedence::Validity,
            Problem::WrongName => Precedence::Name,
            Problem::Revoked => Precedence::Revocation,
            Problem::WeakKey => Precedence::Weak,
            Problem::WrongPurpose => Precedence::Constraint,
            Problem::NoAuthorityKeyId => Precedence::Encoding,
        }
    }
}

struct Pki {
    root_der: Vec<u8>,
    inter_params: CertificateParams,
    inter_key: KeyPair,
    inter_der: Vec<u8>,
}

fn pki() -> Pki {
    let root_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let root_params = ca_params("Precedence Root", None);
    let root_der = root_params.self_signed(&root_key).unwrap().der().to_vec();
    let inter_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let inter_params = ca_params("Precedence Intermediate", None);
    let inter_der = inter_params
        .signed_by(&inter_key, &Issuer::from_params(&root_params, &root_key))
        .unwrap()
        .der()
        .to_vec();
    Pki {
        root_der,
        inter_params,
        inter_key,
        inter_der,
    }
}

/// The error for a chain with `problems`, verified at 2026-02-01.
fn verify_with(pki: &Pki, problems: &[Problem]) -> Result<(), CertificateError> {
    let has = |p| problems.contains(&p);
    let mut p = CertificateParams::new(vec!["api.example.com".to_string()]).unwrap();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name
        .push(DnType::CommonName, "api.example.com");
    p.use_authority_key_identifier_extension = !has(Problem::NoAuthorityKeyId);
    p.extended_key_usages = vec![match has(Problem::WrongPurpose) {
        true => ExtendedKeyUsagePurpose::ClientAuth,
        false => ExtendedKeyUsagePurpose::ServerAuth,
    }];
    p.not_before = date_time_ymd(2026, 1, 1);
    p.not_after = match has(Problem::Expired) {
        true => date_time_ymd(2026, 1, 15),
        false => date_time_ymd(2026, 3, 1),
    };
    p.serial_number = Some(SerialNumber::from(vec![0x05, 0x06]));
    let issuer = Issuer::from_params(&pki.inter_params, &pki.inter_key);
    let leaf = match has(Problem::WeakKey) {
        true => p.signed_by(&weak_key(), &issuer),
        false => p.signed_by(
            &KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap(),
            &issuer,
        ),
    }
    .unwrap()
    .der()
    .to_vec();
    let mut roots = RootStore::new();
    roots.add(TrustAnchor::from_cert(CertificateDer::from(pki.root_der.clone())).unwrap());
    let policy = match has(Problem::NoAuthorityKeyId) {
        true => Policy::strict_rfc5280(),
        false => Policy::default(),
    };
    let mut v = Verifier::new(roots).with_policy(policy);
    if has(Problem::Revoked) {
        let crl = CertificateRevocationListParams {
            this_update: date_time_ymd(2026, 1, 20),
            next_update: date_time_ymd(2026, 4, 1),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: vec![RevokedCertParams {
                serial_number: SerialNumber::from(vec![0x05, 0x06]),
                revocation_time: date_time_ymd(2026, 1, 10),
                reason_code: None,
                invalidity_date: None,
            }],
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&issuer)
        .unwrap();
        v = v.with_crls(vec![crl.der().to_vec()]);
    }
    let mut req = Request::new(&leaf, parse_time("2026-02-01T00:00:00Z").unwrap());
    if !has(Problem::MissingIntermediate) {
        req.intermediates = vec![&pki.inter_der];
    }
    req.name = Some(SubjectName::Dns(
        match has(Problem::WrongName) {
            true => "shop.example.com",
            false => "api.example.com",
        }
        .into(),
    ));
    v.verify(&req).map(|_| ())
}

#[test]
fn clean_chain_verifies() {
    let pki = pki();
    verify_with(&pki, &[]).unwrap();
}

/// Each problem alone is found, and is what the error names.
#[test]
fn each_problem_alone_is_named() {
    let pki = pki();
    for p in ALL {
        let e = verify_with(&pki, &[p]).unwrap_err();
        assert_eq!(e.problems().len(), 1, "{p:?}: {e}");
        assert_eq!(e.precedence(), p.class(), "{p:?}: {e}");
    }
}

/// For each pair, the error names the more urgent problem first and the other one
/// after it ("Also: ..."), except where the first hides the second: without the
/// intermediate, the intermediate's CRL cannot be applied.
#[test]
fn precedence_table() {
    let pki = pki();
    let mut table = Vec::new();
    for (i, &a) in ALL.iter().enumerate() {
        for &b in &ALL[i + 1..] {
            let e = verify_with(&pki, &[a, b]).unwrap_err();
            let classes: Vec<Precedence> = e.problems().iter().map(|p| p.precedence()).collect();
            table.push(format!("{a:?} + {b:?}: names {:?} first", classes[0]));
            assert_eq!(e.precedence(), a.class(), "{a:?} + {b:?}: {e}");
            assert_eq!(classes[0], a.class(), "{a:?} + {b:?}: {e}");
            let hidden = a == Problem::MissingIntermediate && b == Problem::Revoked;
            assert_eq!(classes.contains(&b.class()), !hidden, "{a:?} + {b:?}: {e}");
            let text = e.to_string();
            assert_eq!(text.contains(" Also: "), !hidden, "{text}");
        }
    }
    assert_eq!(table.len(), 21);
    println!("{}", table.join("\n"));
}

/// The sentence for an expired leaf that also names the wrong host and lacks its
/// intermediate: the missing intermediate first, then the date, then the name.
#[test]
fn several_problems_read_in_order() {
    let pki = pki();
    let e = verify_with(
        &pki,
        &[
            Problem::WrongName,
            Problem::Expired,
            Problem::MissingIntermediate,
        ],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "no trusted issuer for CN=api.example.com: its issuer CN=Precedence Intermediate was not sent by the server and is not in the trust store. The server probably omits its intermediate certificate. Also: certificate for api.example.com expired at 2026-01-15T00:00:00Z; this machine's clock says 2026-02-01T00:00:00Z (17 days later). Renew it, or check the clock. Also: certificate is not valid for shop.example.com; it names DNS:api.example.com (the subject CN is not used for matching)"
    );
    assert_eq!(e.kind(), "unknown_issuer");
    assert_eq!(
        e.problems().iter().map(|p| p.kind()).collect::<Vec<_>>(),
        ["unknown_issuer", "expired", "name_mismatch"]
    );
    assert_eq!(e.certificate(), Some("CN=api.example.com"));
}

/// A self-signed CA:TRUE leaf without a SAN (`openssl req -x509 -subj /CN=localhost`)
/// is reported as self-signed first, whatever else is wrong with it, also when the
/// trust store holds another certificate of the same name (Debian's
/// ssl-cert-snakeoil.pem) and when it has expired.
#[test]
fn self_signed_is_always_said_first() {
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut p = ca_params("localhost", None);
    p.not_after = date_time_ymd(2026, 1, 15);
    let leaf = p.self_signed(&key).unwrap().der().to_vec();
    let other_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let same_name = ca_params("localhost", None)
        .self_signed(&other_key)
        .unwrap();
    for with_namesake in [false, true] {
        let mut roots = RootStore::new();
        if with_namesake {
            roots.add(
                TrustAnchor::from_cert(CertificateDer::from(same_name.der().to_vec())).unwrap(),
            );
        }
        let mut req = Request::new(&leaf, parse_time("2026-02-01T00:00:00Z").unwrap());
        req.name = Some(SubjectName::Dns("localhost".into()));
        let e = Verifier::new(roots).verify(&req).unwrap_err();
        assert_eq!(
            e.problems().iter().map(|p| p.kind()).collect::<Vec<_>>(),
            [
                "self_signed",
                "expired",
                "name_mismatch",
                "ca_used_as_end_entity"
            ],
            "{e}"
        );
        assert!(
            e.to_string().starts_with("certificate for CN=localhost is self-signed and is not in the trust store. Trust it explicitly (for example with --cafile), or use a certificate issued by a CA. Also: certificate for CN=localhost expired at 2026-01-15T00:00:00Z;"),
            "{e}"
        );
    }
}
