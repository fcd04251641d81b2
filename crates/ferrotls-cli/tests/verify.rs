//! `ferrotls verify` run as a program against certificates made here with rcgen.

use std::path::{Path, PathBuf};
use std::process::Command;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer,
    KeyPair, KeyUsagePurpose,
};

fn dir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferrotls-cli-verify-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn named(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

/// root.pem, inter.pem, leaf.pem (for api.example.com, valid in 2026-01..03).
fn make_chain(d: &Path) {
    let root_key = KeyPair::generate().unwrap();
    let mut rp = CertificateParams::new(vec![]).unwrap();
    rp.distinguished_name = named("CLI Test Root");
    rp.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    rp.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    rp.not_before = date_time_ymd(2025, 1, 1);
    rp.not_after = date_time_ymd(2035, 1, 1);
    let root = rp.self_signed(&root_key).unwrap();
    let inter_key = KeyPair::generate().unwrap();
    let mut ip = rp.clone();
    ip.distinguished_name = named("CLI Test Intermediate");
    ip.use_authority_key_identifier_extension = true;
    let inter = ip
        .signed_by(&inter_key, &Issuer::from_params(&rp, &root_key))
        .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut lp = CertificateParams::new(vec!["api.example.com".to_string()]).unwrap();
    lp.distinguished_name = named("api.example.com");
    lp.use_authority_key_identifier_extension = true;
    lp.not_before = date_time_ymd(2026, 1, 1);
    lp.not_after = date_time_ymd(2026, 3, 1);
    let leaf = lp
        .signed_by(&leaf_key, &Issuer::from_params(&ip, &inter_key))
        .unwrap();
    std::fs::write(d.join("root.pem"), root.pem()).unwrap();
    std::fs::write(d.join("inter.pem"), inter.pem()).unwrap();
    std::fs::write(d.join("inter-key.pem"), inter_key.serialize_pem()).unwrap();
    std::fs::write(d.join("leaf.pem"), leaf.pem()).unwrap();
}

/// cn-leaf.pem: like leaf.pem (issued by inter.pem's key, which make_chain keeps in
/// inter-key.pem), with subject CN `cn`.
fn make_leaf_with_cn(d: &Path, cn: &str) {
    let inter_key =
        KeyPair::from_pem(&std::fs::read_to_string(d.join("inter-key.pem")).unwrap()).unwrap();
    let issuer = Issuer::from_ca_cert_pem(
        &std::fs::read_to_string(d.join("inter.pem")).unwrap(),
        inter_key,
    )
    .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut lp = CertificateParams::new(vec!["api.example.com".to_string()]).unwrap();
    lp.distinguished_name = named(cn);
    lp.use_authority_key_identifier_extension = true;
    lp.not_before = date_time_ymd(2026, 1, 1);
    lp.not_after = date_time_ymd(2026, 3, 1);
    let leaf = lp.signed_by(&leaf_key, &issuer).unwrap();
    std::fs::write(d.join("cn-leaf.pem"), leaf.pem()).unwrap();
}

fn run(d: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls"))
        .arg("verify")
        .args(args)
        .current_dir(d)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn verify_command_prints_path_and_verdict() {
    let d = dir("path");
    make_chain(&d);
    let (code, out) = run(
        &d,
        &[
            "leaf.pem",
            "--chain",
            "inter.pem",
            "--cafile",
            "root.pem",
            "--host",
            "api.example.com",
            "--at",
            "2026-02-01T00:00:00Z",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("path:\n  0: CN=api.example.com (end entity)\n     issuer:   CN=CLI Test Intermediate\n     validity: 2026-01-01T00:00:00Z to 2026-03-01T00:00:00Z\n     key:      ECDSA P-256\n     names:    DNS:api.example.com\n  1: CN=CLI Test Intermediate (intermediate)"), "{out}");
    assert!(
        out.contains("  2: CN=CLI Test Root (trust anchor)"),
        "{out}"
    );
    assert!(out.ends_with("OK\n"), "{out}");

    // Expired: the explanation, and exit status 1.
    let (code, out) = run(
        &d,
        &[
            "leaf.pem",
            "--chain",
            "inter.pem",
            "--cafile",
            "root.pem",
            "--host",
            "api.example.com",
            "--at",
            "2026-03-04T12:00:00Z",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("FAILED: certificate for api.example.com expired at 2026-03-01T00:00:00Z; this machine's clock says 2026-03-04T12:00:00Z (3 days later). Renew it, or check the clock.\n"), "{out}");

    // Missing intermediate.
    let (code, out) = run(
        &d,
        &[
            "leaf.pem",
            "--cafile",
            "root.pem",
            "--at",
            "2026-02-01T00:00:00Z",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED: no trusted issuer for CN=api.example.com: its issuer CN=CLI Test Intermediate was not sent by the server and is not in the trust store. The server probably omits its intermediate certificate."), "{out}");

    // Wrong name, as JSON.
    let (code, out) = run(
        &d,
        &[
            "--leaf",
            "leaf.pem",
            "--intermediates",
            "inter.pem",
            "--roots",
            "root.pem",
            "--host",
            "shop.example.com",
            "--time",
            "2026-02-01T00:00:00Z",
            "--json",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("{\"valid\":false,\"error\":{\"kind\":\"NameMismatch\",\"message\":\"certificate is not valid for shop.example.com; it names DNS:api.example.com (the subject CN is not used for matching)\"},\"problems\":[{\"kind\":\"name_mismatch\",\"class\":\"name\",\"message\":\"certificate is not valid for shop.example.com; it names DNS:api.example.com (the subject CN is not used for matching)\",\"certificate\":null}],\"chain\":[{\"subject\":\"CN=api.example.com\""), "{out}");

    // --cabf: the CA/Browser Forum subscriber profile. A leaf whose CN is no SAN
    // passes without it and fails with it.
    make_leaf_with_cn(&d, "API.example.com");
    let args = [
        "cn-leaf.pem",
        "--chain",
        "inter.pem",
        "--cafile",
        "root.pem",
        "--host",
        "api.example.com",
        "--at",
        "2026-02-01T00:00:00Z",
    ];
    let (code, out) = run(&d, &args);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&d, &[&args[..], &["--cabf"]].concat());
    assert_eq!(code, 1, "{out}");
    assert!(out.ends_with("FAILED: certificate for api.example.com has subject CN \"API.example.com\", which is not a character-for-character copy of any of its DNS or IP subjectAltName values (DNS:api.example.com): it differs from DNS:api.example.com only in letter case, and the copy must be exact. The CA/Browser Forum Baseline Requirements (7.1.4.3) require the CN, if present, to copy one; reissue the certificate with such a CN, or with none.\n"), "{out}");

    // Usage errors exit 2.
    let (code, out) = run(&d, &["missing.pem", "--cafile", "root.pem"]);
    assert_eq!(code, 2, "{out}");
    let (code, out) = run(
        &d,
        &["leaf.pem", "--cafile", "root.pem", "--at", "yesterday"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--at yesterday: expected RFC 3339"), "{out}");
    let _ = std::fs::remove_dir_all(&d);
}

/// Agreement with `openssl verify` on the same files, where openssl is installed.
#[test]
fn agrees_with_openssl_verify() {
    let d = dir("openssl");
    make_chain(&d);
    let openssl = |extra: &[&str]| {
        Command::new("openssl")
            .args(["verify", "-CAfile", "root.pem", "-untrusted", "inter.pem"])
            .args(extra)
            .arg("leaf.pem")
            .current_dir(&d)
            .output()
            .map(|o| o.status.success())
    };
    let at_ok = "1769904000"; // 2026-02-01
    let at_expired = "1772625600"; // 2026-03-04T12:00:00Z
    let ok = openssl(&["-attime", at_ok, "-verify_hostname", "api.example.com"])
        .expect("the openssl binary is needed for this test");
    for (at, host, expect_openssl) in [
        (at_ok, "api.example.com", ok),
        (
            at_expired,
            "api.example.com",
            openssl(&["-attime", at_expired, "-verify_hostname", "api.example.com"]).unwrap(),
        ),
        (
            at_ok,
            "shop.example.com",
            openssl(&["-attime", at_ok, "-verify_hostname", "shop.example.com"]).unwrap(),
        ),
    ] {
        let (code, out) = run(
            &d,
            &[
                "leaf.pem",
                "--chain",
                "inter.pem",
                "--cafile",
                "root.pem",
                "--host",
                host,
                "--at",
                at,
            ],
        );
        assert_eq!(code == 0, expect_openssl, "{at} {host}: {out}");
    }
    assert!(ok);
    let _ = std::fs::remove_dir_all(&d);
}
