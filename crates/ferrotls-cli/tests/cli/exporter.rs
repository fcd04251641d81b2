//! `--keymatexport LABEL --keymatexportlen N` on `client` and `server`: the same
//! keying material on both ends, as `openssl s_server -keymatexport` derives it.

use std::process::{Command, Stdio};

use crate::util::{ferrotls, have, tmpdir, Server};

const LABEL: &str = "EXPERIMENTAL-cli";

/// The hex after `exporter:      LABEL: ` in the client's summary.
fn client_material(stderr: &str) -> String {
    let prefix = format!("  exporter:      {LABEL}: ");
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no exporter line in:\n{stderr}"))
        .to_string()
}

#[test]
fn client_and_server_export_the_same_keying_material() {
    let d = tmpdir("keymat");
    let server = Server::start(
        &d,
        &["--dev", "--keymatexport", LABEL, "--keymatexportlen", "24"],
    );
    let ca = d.join("dev/ferrotls-ca.pem");
    let target = server.target();
    for version in ["--tls1.3", "--tls1.2"] {
        let r = ferrotls(
            &d,
            &[
                "client",
                &target,
                "--no-pipe",
                version,
                "--cafile",
                ca.to_str().unwrap(),
                "--keymatexport",
                LABEL,
                "--keymatexportlen",
                "24",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let ours = client_material(&r.stderr);
        assert_eq!(ours.len(), 48, "{ours}");
        let lines = server.wait_for(1, |l| l.contains(&format!(" keymat={ours}")));
        assert_eq!(lines.len(), 1, "{version}: {:?}", server.log());
    }

    let r = ferrotls(&d, &["client", &target, "--keymatexportlen", "24"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "the following required arguments were not provided:\n  --keymatexport <LABEL>"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn client_agrees_with_openssl_s_server() {
    if !have("openssl") {
        eprintln!("openssl not installed: skipping the s_server comparison");
        return;
    }
    let d = tmpdir("keymat-openssl");
    let key = d.join("key.pem");
    let cert = d.join("cert.pem");
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .args(["-subj", "/CN=localhost", "-days", "1", "-addext"])
        .arg("basicConstraints=critical,CA:FALSE")
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s_server = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-naccept",
            "2",
        ])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .args(["-keymatexport", LABEL, "-keymatexportlen", "24"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Until s_server listens (this probe is the first of its two accepts).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "s_server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let r = ferrotls(
        &d,
        &[
            "client",
            &format!("127.0.0.1:{port}"),
            "--servername",
            "localhost",
            "--no-pipe",
            "--pin",
            cert.to_str().unwrap(),
            "--keymatexport",
            LABEL,
            "--keymatexportlen",
            "24",
        ],
    );
    drop(s_server.stdin.take());
    let out = s_server.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(r.code, 0, "{}\n{stdout}", r.stderr);
    let theirs = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Keying material: "))
        .unwrap_or_else(|| panic!("no keying material from s_server:\n{stdout}"));
    assert_eq!(client_material(&r.stderr), theirs);
}
