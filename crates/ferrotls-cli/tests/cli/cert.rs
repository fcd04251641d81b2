//! `ferrotls cert ca | issue | show`, checked by `ferrotls verify` and by OpenSSL.

use std::path::Path;
use std::process::Command;

use crate::util::{ferrotls, have, issue, tmpdir};

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The value of `field:` in `cert show` output (the first certificate's).
fn field<'a>(show: &'a str, name: &str) -> &'a str {
    show.lines()
        .find_map(|l| l.trim_start().strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {show}"))
        .trim()
}

#[test]
fn ca_issue_show_and_openssl_agree() {
    let d = tmpdir("cert-ca");
    let r = ferrotls(&d, &["cert", "ca"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("Created a development CA: CN=ferrotls "),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("  ./ferrotls-ca.pem  the CA certificate: give it to clients to trust\n"));
    assert!(r
        .stdout
        .contains("  curl --cacert ./ferrotls-ca.pem https://localhost:4433/\n"));
    // A second `cert ca` must not replace the CA silently.
    let again = ferrotls(&d, &["cert", "ca"]);
    assert_eq!(again.code, 1);
    assert_eq!(
        again.last_err_line(),
        "ferrotls: ./ferrotls-ca.pem already exists; `ferrotls cert issue --ca-dir .` uses it. Pass --force to replace it (certificates it issued will stop verifying)"
    );

    let r = ferrotls(&d, &["cert", "issue", "localhost", "127.0.0.1", "::1"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let first = r.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("Issued a certificate for localhost, 127.0.0.1, ::1 (ECDSA P-256, serverAuth), valid until "),
        "{first}"
    );
    assert!(r
        .stdout
        .contains("  ./localhost.pem  certificate chain: the leaf, then the CA\n"));
    assert!(r
        .stdout
        .contains("  ./localhost.key  its private key (mode 0600)\n"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for key in ["ferrotls-ca.key", "localhost.key"] {
            let mode = std::fs::metadata(d.join(key)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
    }
    let pem = std::fs::read_to_string(d.join("localhost.pem")).unwrap();
    assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 2, "leaf and CA");

    let show = ferrotls(&d, &["cert", "show", "localhost.pem"]);
    assert_eq!(show.code, 0, "{}", show.stderr);
    let s = &show.stdout;
    assert!(s.starts_with("localhost.pem certificate 1 of 2\n"), "{s}");
    assert_eq!(
        field(s, "subject"),
        "CN=localhost, O=ferrotls development certificate"
    );
    assert!(field(s, "issuer").starts_with("CN=ferrotls "));
    assert_eq!(
        field(s, "names (SAN)"),
        "DNS:localhost, IP:127.0.0.1, IP:::1"
    );
    assert_eq!(field(s, "public key"), "ECDSA P-256");
    assert_eq!(field(s, "signature"), "ecdsa-with-SHA256");
    assert_eq!(field(s, "CA"), "no (critical)");
    assert_eq!(field(s, "key usage"), "digitalSignature (critical)");
    assert_eq!(field(s, "ext. key usage"), "serverAuth (TLS server)");
    assert!(
        field(s, "validity").ends_with("(825 days left, 825 days in all)")
            || field(s, "validity").ends_with("(824 days left, 825 days in all)"),
        "{s}"
    );
    assert!(s.contains("  self-signed:       yes (subject and issuer are the same, and its own key verifies the signature)\n"));
    assert!(s.contains(
        "  CA:                yes, pathLen 0: may issue end-entity certificates only (critical)\n"
    ));
    // The leaf's authority key id is the CA's subject key id.
    let aki = field(s, "authority key id");
    let ca_ski = s
        .split("certificate 2 of 2")
        .nth(1)
        .map(|ca| field(ca, "subject key id"))
        .unwrap();
    assert_eq!(aki, ca_ski);
    assert_eq!(aki.len(), 20 * 3 - 1);

    if have("openssl") {
        let (ok, out) = openssl(
            &d,
            &[
                "verify",
                "-CAfile",
                "ferrotls-ca.pem",
                "-purpose",
                "sslserver",
                "-x509_strict",
                "localhost.pem",
            ],
        );
        assert!(ok, "{out}");
        assert_eq!(out, "localhost.pem: OK\n");
        let (_, fp) = openssl(
            &d,
            &[
                "x509",
                "-in",
                "localhost.pem",
                "-noout",
                "-fingerprint",
                "-sha256",
            ],
        );
        assert_eq!(
            fp.trim().strip_prefix("sha256 Fingerprint=").unwrap(),
            field(s, "SHA-256")
        );
        let (_, text) = openssl(&d, &["x509", "-in", "localhost.pem", "-noout", "-text"]);
        assert!(text.contains("X509v3 Authority Key Identifier"), "{text}");
        assert!(text.contains("X509v3 Subject Key Identifier"), "{text}");
        assert!(text.contains("TLS Web Server Authentication"), "{text}");
    }

    // RSA server and ECDSA client certificates from the same CA.
    let r = ferrotls(
        &d,
        &[
            "cert",
            "issue",
            "rsa.example.test",
            "--key",
            "rsa",
            "--days",
            "30",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with(
        "Issued a certificate for rsa.example.test (RSA 2048, serverAuth), valid until "
    ));
    let show = ferrotls(&d, &["cert", "show", "rsa.example.test.pem"]).stdout;
    assert_eq!(field(&show, "public key"), "RSA 2048-bit");
    assert_eq!(
        field(&show, "key usage"),
        "digitalSignature, keyEncipherment (critical)"
    );
    let r = ferrotls(
        &d,
        &[
            "cert",
            "issue",
            "alice@example.test",
            "alice.example.test",
            "--client",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "  ./alice@example.test-client.pem  certificate chain: the leaf, then the CA\n"
        ),
        "{}",
        r.stdout
    );
    let show = ferrotls(&d, &["cert", "show", "alice@example.test-client.pem"]).stdout;
    assert_eq!(
        field(&show, "names (SAN)"),
        "email:alice@example.test, DNS:alice.example.test"
    );
    assert_eq!(field(&show, "ext. key usage"), "clientAuth (TLS client)");
    assert!(show.contains("note: its extendedKeyUsage does not allow TLS server authentication"));
    let v = ferrotls(
        &d,
        &[
            "verify",
            "alice@example.test-client.pem",
            "--cafile",
            "ferrotls-ca.pem",
            "--purpose",
            "client",
        ],
    );
    assert_eq!(v.code, 0, "{}", v.stdout);
    if have("openssl") {
        let (ok, out) = openssl(
            &d,
            &[
                "verify",
                "-CAfile",
                "ferrotls-ca.pem",
                "-purpose",
                "sslserver",
                "rsa.example.test.pem",
            ],
        );
        assert!(ok, "{out}");
        let (ok, out) = openssl(
            &d,
            &[
                "verify",
                "-CAfile",
                "ferrotls-ca.pem",
                "-purpose",
                "sslclient",
                "alice@example.test-client.pem",
            ],
        );
        assert!(ok, "{out}");
    }
}

#[test]
fn name_constrained_ca() {
    let d = tmpdir("cert-nc");
    let r = ferrotls(
        &d,
        &[
            "cert",
            "ca",
            "--name-constraint",
            "example.test,10.0.0.0/8",
            "--days",
            "30",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r
        .stdout
        .contains("  It may only certify: example.test, 10.0.0.0/8\n"));
    let show = ferrotls(&d, &["cert", "show", "ferrotls-ca.pem"]).stdout;
    assert_eq!(
        field(&show, "name constraints"),
        "permitted DNS:example.test, IP:10.0.0.0/8 (critical)"
    );
    issue(&d, &["www.example.test", "10.1.2.3"], &[]);
    let ok = ferrotls(
        &d,
        &[
            "verify",
            "www.example.test.pem",
            "--cafile",
            "ferrotls-ca.pem",
            "--host",
            "www.example.test",
        ],
    );
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    issue(&d, &["outside.test"], &[]);
    let bad = ferrotls(
        &d,
        &[
            "verify",
            "outside.test.pem",
            "--cafile",
            "ferrotls-ca.pem",
            "--host",
            "outside.test",
        ],
    );
    assert_eq!(bad.code, 1);
    assert!(
        bad.stdout.lines().last().unwrap().starts_with("FAILED: ")
            && bad
                .stdout
                .contains("names DNS:outside.test, which is outside what CA ")
            && bad
                .stdout
                .contains("may certify (its name constraints permit only DNS:example.test)"),
        "{}",
        bad.stdout
    );
    if have("openssl") {
        let (ok, out) = openssl(
            &d,
            &["verify", "-CAfile", "ferrotls-ca.pem", "outside.test.pem"],
        );
        assert!(!ok);
        assert!(out.contains("permitted subtree violation"), "{out}");
    }
}

#[test]
fn cert_errors_explain_themselves() {
    let d = tmpdir("cert-errors");
    let r = ferrotls(&d, &["cert", "issue", "localhost"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.last_err_line(),
        "ferrotls: no CA in .: ferrotls-ca.pem and ferrotls-ca.key are not both there. Create one with `ferrotls cert ca --out .`"
    );
    ferrotls(&d, &["cert", "ca"]);
    let r = ferrotls(&d, &["cert", "issue", "exa mple.test"]);
    assert_eq!(
        r.last_err_line(),
        "ferrotls: exa mple.test is neither a DNS name nor an IP address (label \"exa mple\" is not letters, digits and inner hyphens)"
    );
    let r = ferrotls(
        &d,
        &["cert", "ca", "--out", "nc", "--name-constraint", "10.0.0.1"],
    );
    assert_eq!(
        r.last_err_line(),
        "ferrotls: name constraint 10.0.0.1: give an IP range as a CIDR block, like 10.0.0.1/32"
    );
    std::fs::write(d.join("notes.txt"), "hello").unwrap();
    let r = ferrotls(&d, &["cert", "show", "notes.txt"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.last_err_line(),
        "ferrotls: could not read certificates: the input is neither PEM nor a DER certificate"
    );
    let r = ferrotls(&d, &["cert", "show", "missing.pem"]);
    assert!(
        r.last_err_line()
            .starts_with("ferrotls: could not read certificates: missing.pem: "),
        "{}",
        r.stderr
    );
    std::fs::create_dir_all(d.join("mismatch")).unwrap();
    std::fs::copy(
        d.join("ferrotls-ca.pem"),
        d.join("mismatch/ferrotls-ca.pem"),
    )
    .unwrap();
    ferrotls(&d, &["cert", "ca", "--out", "other"]);
    std::fs::copy(
        d.join("other/ferrotls-ca.key"),
        d.join("mismatch/ferrotls-ca.key"),
    )
    .unwrap();
    let r = ferrotls(&d, &["cert", "issue", "localhost", "--ca-dir", "mismatch"]);
    assert_eq!(
        r.last_err_line(),
        "ferrotls: mismatch/ferrotls-ca.key is not the private key of mismatch/ferrotls-ca.pem"
    );
    let r = ferrotls(&d, &["cert", "issue", "localhost", "--broken", "rotten"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("error: invalid value 'rotten' for '--broken <KIND>'"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("[possible values: expired, not-yet-valid, wrong-name, self-signed, weak-rsa-1024, sha1, missing-eku, ca-as-leaf, no-intermediate]"), "{}", r.stderr);
}

/// Each broken kind, what `ferrotls verify` says about it, and what OpenSSL says.
#[test]
fn broken_certificates_are_explained() {
    let d = tmpdir("cert-broken");
    ferrotls(&d, &["cert", "ca"]);
    let openssl_present = have("openssl");
    // (kind, start of ferrotls verify's explanation, its end, OpenSSL's complaint)
    let cases: &[(&str, &str, &str, Option<&str>)] = &[
        (
            "expired",
            "FAILED: certificate for localhost expired at ",
            " (30 days later). Renew it, or check the clock.",
            Some("certificate has expired"),
        ),
        (
            "not-yet-valid",
            "FAILED: certificate for localhost is not valid until ",
            " (30 days earlier). Check the clock, or wait.",
            Some("certificate is not yet valid"),
        ),
        (
            "wrong-name",
            "FAILED: certificate is not valid for localhost; it names DNS:wrong-name.invalid",
            " (the subject CN is not used for matching)",
            Some("hostname mismatch"),
        ),
        (
            "self-signed",
            "FAILED: certificate for localhost is self-signed and is not in the trust store.",
            " Trust it explicitly (for example with --cafile), or use a certificate issued by a CA.",
            Some("self-signed certificate"),
        ),
        (
            "weak-rsa-1024",
            "FAILED: O=ferrotls development certificate, CN=localhost has a RSA 1024-bit key, which is too weak;",
            " Reissue it with a stronger key.",
            Some("EE certificate key too weak"),
        ),
        (
            "sha1",
            "FAILED: O=ferrotls development certificate, CN=localhost is signed with ecdsa-with-SHA1, which is forgeable and not accepted.",
            " Reissue it with a SHA-256 (or stronger) signature.",
            Some("CA signature digest algorithm too weak"),
        ),
        (
            "missing-eku",
            "FAILED: certificate localhost is not valid for TLS server authentication (serverAuth):",
            " its extendedKeyUsage allows only TLS client authentication (clientAuth)",
            Some("unsuitable certificate purpose"),
        ),
    ];
    for (kind, start, end, openssl_says) in cases {
        let r = ferrotls(&d, &["cert", "issue", "localhost", "--broken", kind]);
        assert_eq!(r.code, 0, "{kind}: {}", r.stderr);
        assert!(
            r.stdout.starts_with(&format!(
                "Issued a BROKEN certificate for localhost ({kind}): "
            )),
            "{}",
            r.stdout
        );
        let file = format!("localhost-{kind}.pem");
        assert!(r.stdout.contains(&format!(
            "Verifiers must reject it; try: ferrotls verify ./{file} --cafile ./ferrotls-ca.pem --host localhost\n"
        )), "{}", r.stdout);
        let v = ferrotls(
            &d,
            &[
                "verify",
                &file,
                "--cafile",
                "ferrotls-ca.pem",
                "--host",
                "localhost",
            ],
        );
        assert_eq!(v.code, 1, "{kind}: {}", v.stdout);
        let verdict = v.stdout.lines().last().unwrap();
        assert!(
            verdict.starts_with(start) && verdict.ends_with(end),
            "{kind}: {verdict}"
        );
        if let (true, Some(says)) = (openssl_present, openssl_says) {
            let (ok, out) = openssl(
                &d,
                &[
                    "verify",
                    "-CAfile",
                    "ferrotls-ca.pem",
                    "-purpose",
                    "sslserver",
                    "-verify_hostname",
                    "localhost",
                    "-auth_level",
                    "2",
                    &file,
                ],
            );
            assert!(!ok && out.contains(says), "{kind}: {out}");
        }
    }
    // The SHA-1 signature is a real one: OpenSSL verifies it when SHA-1 is allowed.
    if openssl_present {
        let (ok, out) = openssl(
            &d,
            &[
                "verify",
                "-CAfile",
                "ferrotls-ca.pem",
                "-auth_level",
                "0",
                "localhost-sha1.pem",
            ],
        );
        assert!(ok, "{out}");
    }
    // `cert show` marks what is wrong.
    let show = ferrotls(&d, &["cert", "show", "localhost-expired.pem"]).stdout;
    assert!(show.contains("(EXPIRED 30 days ago, "), "{show}");
    assert!(show.contains("  note: expired at "));
    let show = ferrotls(&d, &["cert", "show", "localhost-weak-rsa-1024.pem"]).stdout;
    assert_eq!(field(&show, "public key"), "RSA 1024-bit (too weak)");
    let show = ferrotls(&d, &["cert", "show", "localhost-sha1.pem"]).stdout;
    assert_eq!(field(&show, "signature"), "ecdsa-with-SHA1");
    assert!(show.contains(
        "  note: signed with ecdsa-with-SHA1, which verifiers reject (collisions are practical)\n"
    ));

    // A CA certificate as the server's own: RFC 5280 path validation (OpenSSL)
    // accepts it; ferrotls, browsers and rustls-webpki refuse it (CA/Browser Forum
    // BR 7.1.2.7.8). `cert show` and `verify` say so.
    let r = ferrotls(
        &d,
        &["cert", "issue", "localhost", "--broken", "ca-as-leaf"],
    );
    assert!(r.stdout.starts_with("Issued a BROKEN certificate for localhost (ca-as-leaf): it is a CA certificate (basicConstraints cA=TRUE, keyCertSign) used as an end-entity certificate."), "{}", r.stdout);
    let show = ferrotls(&d, &["cert", "show", "localhost-ca-as-leaf.pem"]).stdout;
    assert!(show.contains("  CA:                yes, pathLen 0: may issue end-entity certificates only (critical)\n"), "{show}");
    assert!(show.contains("  note: a CA certificate that names hosts: as a server's own certificate, ferrotls and browsers refuse it (CA/Browser Forum BR 7.1.2.7.8: a server certificate is not a CA); issue a server certificate from it instead\n"), "{show}");
    let v = ferrotls(
        &d,
        &[
            "verify",
            "localhost-ca-as-leaf.pem",
            "--cafile",
            "ferrotls-ca.pem",
            "--host",
            "localhost",
        ],
    );
    assert_eq!(
        v.stdout.lines().last().unwrap(),
        "FAILED: certificate for localhost is a CA certificate (basicConstraints cA=TRUE), so it cannot be the server's own certificate, even when it is trusted. Issue a server certificate from this CA and use that instead (`openssl req -x509` makes CA:TRUE certificates unless given -addext basicConstraints=critical,CA:FALSE)."
    );
    // The usual way to get one: `openssl req -x509` makes a self-signed CA certificate
    // unless told otherwise; trusting it directly does not make it a server certificate.
    if openssl_present {
        let (ok, out) = openssl(
            &d,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "req-x509.key",
                "-out",
                "req-x509.pem",
                "-subj",
                "/CN=localhost",
                "-addext",
                "subjectAltName=DNS:localhost",
            ],
        );
        assert!(ok, "{out}");
        let show = ferrotls(&d, &["cert", "show", "req-x509.pem"]).stdout;
        assert!(show.contains("  note: a self-signed CA certificate that names hosts (what `openssl req -x509` makes by default): as a server's own certificate, ferrotls and browsers refuse it even when it is trusted; remake it with -addext basicConstraints=critical,CA:FALSE, or issue a server certificate from it\n"), "{show}");
        let v = ferrotls(
            &d,
            &[
                "verify",
                "req-x509.pem",
                "--cafile",
                "req-x509.pem",
                "--host",
                "localhost",
            ],
        );
        assert_eq!(
            v.stdout.lines().last().unwrap(),
            "FAILED: certificate for localhost is a CA certificate (basicConstraints cA=TRUE), so it cannot be the server's own certificate, even when it is trusted. Issue a server certificate from this CA and use that instead (`openssl req -x509` makes CA:TRUE certificates unless given -addext basicConstraints=critical,CA:FALSE)."
        );
    }

    // A broken client certificate: the EKU lacks clientAuth.
    let r = ferrotls(
        &d,
        &[
            "cert",
            "issue",
            "bob",
            "--client",
            "--broken",
            "missing-eku",
        ],
    );
    assert!(r
        .stdout
        .contains("its extendedKeyUsage allows only serverAuth, not clientAuth"));
    let v = ferrotls(
        &d,
        &[
            "verify",
            "bob-client-missing-eku.pem",
            "--cafile",
            "ferrotls-ca.pem",
            "--purpose",
            "client",
        ],
    );
    assert_eq!(
        v.stdout.lines().last().unwrap(),
        "FAILED: certificate bob is not valid for TLS client authentication (clientAuth): its extendedKeyUsage allows only TLS server authentication (serverAuth)"
    );
}
