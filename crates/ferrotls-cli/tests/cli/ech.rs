//! Encrypted Client Hello: `cert ech` keys served by `server --ech` and used by
//! `client --ech-config`; a rejection and its retry configurations; the errors.

use std::path::Path;

use serde_json::Value;

use crate::util::{ferrotls, ferrotls_env, tmpdir, Server};

/// Runs `cert ech ARGS` in `dir`; the base64 ECHConfigList it prints.
fn cert_ech(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["cert", "ech"];
    all.extend(args);
    let r = ferrotls(dir, &all);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut lines = r.stdout.lines();
    lines
        .by_ref()
        .find(|l| *l == "ECHConfigList (base64):")
        .unwrap_or_else(|| panic!("no ECHConfigList in: {}", r.stdout));
    lines.next().unwrap().trim().to_string()
}

fn client(dir: &Path, server: &Server, extra: &[&str]) -> crate::util::Run {
    let ca = dir.join("dev/ferrotls-ca.pem");
    let mut args = vec!["client", "--no-pipe", "--cafile", ca.to_str().unwrap()];
    let target = server.target();
    args.push(&target);
    args.extend(extra);
    ferrotls(dir, &args)
}

#[test]
fn cert_ech_keys_serve_and_connect_with_ech() {
    let d = tmpdir("ech-accept");
    let r = ferrotls(
        &d,
        &[
            "cert",
            "ech",
            "--public-name",
            "localhost",
            "--config-id",
            "42",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list = r.stdout.lines().nth(3).unwrap().trim().to_string();
    assert_eq!(
        r.stdout,
        format!(
            "Created ECH keys for the public name localhost: config_id 42, HPKE X25519 with HKDF-SHA256 and AES-128-GCM, AES-256-GCM, ChaCha20Poly1305.\n\
             \x20 ech.pem  the HPKE private key and its ECHConfig (mode 0600): for the server only\n\
             ECHConfigList (base64):\n\
             \x20 {list}\n\
             Use it:\n\
             \x20 server: ferrotls server --ech ech.pem --cert CERT --key KEY\n\
             \x20 client: ferrotls client HOST --ech-config {list}\n\
             \x20 DNS:    publish it as the ech= parameter of each hidden name's HTTPS record: HOST. 300 IN HTTPS 1 . ech={list}\n\
             The server also needs a certificate valid for localhost: a client whose offer the server cannot decrypt checks it, then retries with the configuration the server sends.\n"
        )
    );
    // ECHConfigList: 2-byte length, then version 0xfe0d.
    assert!(list.starts_with("AET+DQ"), "{list}");
    let pem = std::fs::read_to_string(d.join("ech.pem")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    assert!(pem.contains("-----BEGIN ECHCONFIG-----\n"), "{pem}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.join("ech.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The file is not replaced.
    let again = ferrotls(&d, &["cert", "ech", "--public-name", "localhost"]);
    assert_eq!(again.code, 1);
    assert_eq!(
        again.last_err_line(),
        "ferrotls: ech.pem already exists; a server may be using its keys. Pass --force to replace it, or --out to write another file"
    );
    assert_eq!(std::fs::read_to_string(d.join("ech.pem")).unwrap(), pem);

    let server = Server::start(&d, &["--dev", "--ech", "ech.pem"]);
    assert!(
        server.log().contains(
            &"Encrypted Client Hello: accepting config_id 42 (public name localhost) from ech.pem"
                .to_string()
        ),
        "{:#?}",
        server.log()
    );

    // The printed base64, with the trace: the inner hello as it is sealed, then the
    // outer one that carries it.
    let r = client(&d, &server, &["--ech-config", &list, "--trace"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("\n  ECH:           accepted\n"),
        "{}",
        r.stderr
    );
    let all = format!("{}{}", r.stdout, r.stderr);
    let inner = all
        .find("bytes, inner, HPKE-encrypted in the outer ClientHello (ECH))")
        .expect("the inner hello in the trace");
    let outer = all
        .find("encrypted_client_hello: outer, config_id ")
        .expect("the outer offer in the trace");
    assert!(inner < outer, "{all}");
    assert!(
        all.contains(", HKDF-SHA256 with AES-128-GCM, enc 32 bytes, encrypted inner ClientHello "),
        "{all}"
    );
    assert!(all.contains("encrypted_client_hello: inner\n"), "{all}");
    server.wait_for(1, |l| {
        l.ends_with(" sni=localhost alpn=- ech=accepted: echoed 0 bytes, closed")
    });

    // The key file itself (its ECHCONFIG block), and --json.
    let r = client(&d, &server, &["--ech-config", "@ech.pem", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let summary: Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["ech"], "accepted");

    // A file holding the base64 text.
    std::fs::write(d.join("list.txt"), format!("{list}\n")).unwrap();
    let r = client(&d, &server, &["--ech-config", "@list.txt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("\n  ECH:           accepted\n"),
        "{}",
        r.stderr
    );
    server.wait_for(3, |l| l.contains(" ech=accepted: "));

    // Without ECH there is no ECH line, and the log says nothing of it.
    let r = client(&d, &server, &["--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let summary: Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(summary["ech"], Value::Null);
    let r = client(&d, &server, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("ECH:"), "{}", r.stderr);
    let plain = server.wait_for(2, |l| l.ends_with(" alpn=-: echoed 0 bytes, closed"));
    assert!(plain.iter().all(|l| !l.contains("ech=")), "{plain:#?}");
}

#[test]
fn rejected_ech_prints_retry_configs_that_work() {
    let d = tmpdir("ech-reject");
    let old = cert_ech(&d, &["--public-name", "localhost", "--out", "old.pem"]);
    let new = cert_ech(&d, &["--public-name", "localhost", "--out", "new.pem"]);
    assert_ne!(old, new);
    let server = Server::start(&d, &["--dev", "--ech", "new.pem"]);

    let r = client(&d, &server, &["--ech-config", &old, "--trace"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let prefix = format!(
        "ferrotls: handshake with localhost:{} failed: the server localhost did not accept Encrypted Client Hello; it sent retry configurations to connect again with: --ech-config ",
        server.port
    );
    let retry = r
        .last_err_line()
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{}", r.stderr));
    // The server's current configuration is what it sends, and the trace shows it.
    assert_eq!(retry, new);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("encrypted_client_hello: retry configurations (config_id ")
            && all.contains(", public name localhost)\n"),
        "{all}"
    );
    assert!(all.contains("-> alert ech_required"), "{all}");
    assert!(
        r.stderr.contains(&format!(
            "---\nHandshake with localhost:{} failed.\n---\n",
            server.port
        )),
        "{}",
        r.stderr
    );
    server.wait_for(1, |l| {
        l.ends_with(
            " handshake failed: peer sent a fatal ech_required alert; the connection is closed",
        )
    });

    // --json carries them too.
    let r = client(&d, &server, &["--ech-config", &old, "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let error: Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    assert_eq!(error["type"], "error");
    assert_eq!(error["ech_retry_configs"], new.as_str());
    assert_eq!(
        error["message"],
        r.last_err_line().strip_prefix("ferrotls: ").unwrap()
    );

    // Passed back, they work.
    let r = client(&d, &server, &["--ech-config", retry]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("\n  ECH:           accepted\n"),
        "{}",
        r.stderr
    );
    server.wait_for(1, |l| l.contains(" ech=accepted: echoed 0 bytes, closed"));

    // --ech-retry does that by itself, once.
    let r = client(&d, &server, &["--ech-config", &old, "--ech-retry"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "the server did not accept Encrypted Client Hello with the given configuration; \
             connecting again with the one it sent\n"
        ),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("\n  ECH:           accepted\n"),
        "{}",
        r.stderr
    );
    server.wait_for(2, |l| l.contains(" ech=accepted: echoed 0 bytes, closed"));
    let r = crate::util::ferrotls(&d, &["client", "localhost:1", "--ech-retry"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "the following required arguments were not provided:\n  --ech-config <BASE64|@FILE>"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn ech_errors_explain_themselves() {
    let d = tmpdir("ech-errors");
    cert_ech(&d, &["--public-name", "localhost", "--config-id", "3"]);
    let pem = std::fs::read_to_string(d.join("ech.pem")).unwrap();
    let key_only = &pem[..pem.find("-----BEGIN ECHCONFIG-----").unwrap()];
    std::fs::write(d.join("key-only.pem"), key_only).unwrap();
    std::fs::write(d.join("bad.txt"), "AET+DQ\n").unwrap();
    const HELP: &str = "give the ECHConfigList as base64 (what `ferrotls cert ech` prints, or the ech= parameter of the server's DNS HTTPS record), or @FILE";

    // The client checks --ech-config before it connects (nothing listens on port 1).
    let client = |ech: &str| {
        let r = ferrotls(
            &d,
            &["client", "localhost:1", "--insecure", "--ech-config", ech],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        r.last_err_line().to_string()
    };
    assert_eq!(
        client("AET+DQ!!"),
        format!("ferrotls: --ech-config is not valid base64: the character '!' at position 6 is not base64; {HELP}")
    );
    assert_eq!(
        client("@bad.txt"),
        format!("ferrotls: --ech-config: bad.txt does not hold valid base64: it has 6 base64 characters, not a multiple of 4: it is cut short or padded wrongly; {HELP}")
    );
    assert_eq!(
        client("@key-only.pem"),
        "ferrotls: --ech-config: key-only.pem is PEM without an ECHCONFIG block; give a key file from `ferrotls cert ech`, or a file holding the base64 ECHConfigList"
    );
    assert_eq!(
        client("@missing.pem"),
        "ferrotls: --ech-config: cannot read missing.pem: No such file or directory (os error 2)"
    );
    // Base64, but not an ECHConfigList: the library's explanation.
    assert_eq!(
        client("AAEA"),
        "ferrotls: --ech-config: the ECH configuration list could not be read: malformed ECHConfigList: field ECHConfigList at byte 2: length 1 is below the minimum of 4"
    );

    // The server names the file.
    let server = |file: &str| {
        let dev = d.join("dev");
        let r = ferrotls_env(
            &d,
            &["server", "--port", "0", "--dev", "--ech", file],
            &[("FERROTLS_DEV_DIR", dev.to_str().unwrap())],
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        r.last_err_line().to_string()
    };
    assert_eq!(
        server("key-only.pem"),
        "ferrotls: --ech key-only.pem: could not read the ECH keys: no ECHCONFIG block was found. `ferrotls cert ech --public-name NAME` makes a key file"
    );
    assert_eq!(
        server("missing.pem"),
        "ferrotls: --ech missing.pem: cannot read it: No such file or directory (os error 2)"
    );

    let r = ferrotls(
        &d,
        &["cert", "ech", "--public-name", "1.2.3.4", "--out", "x.pem"],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        r.last_err_line(),
        "ferrotls: could not make ECH keys: the ECH public name \"1.2.3.4\" is not a valid DNS host name: its last label is all digits, so it could be read as an IPv4 address"
    );
    assert!(!d.join("x.pem").exists());
}

#[test]
fn demo_with_ech_narrates_both_hellos() {
    let d = tmpdir("demo-ech");
    let r = crate::util::ferrotls(&d, &["demo", "--ech"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let out = &r.stdout;
    assert!(
        out.contains(
            "Generated ECH keys: the outer ClientHello names public.localhost; the inner one, \
             encrypted to the server, names localhost.\n"
        ),
        "{out}"
    );
    // The client seals the inner hello, then sends the outer one; the server receives
    // the outer one, then opens the inner one.
    let order = [
        "[client] -> ClientHello (",
        "[client]      server_name: localhost\n",
        "[client]      encrypted_client_hello: inner\n",
        "[client] -> ClientHello (",
        "[client]      server_name: public.localhost\n",
        "[client]      encrypted_client_hello: outer, config_id 1, ",
        "[server] <- ClientHello (",
        "[server] <- ClientHello (",
        "[server]      server_name: localhost\n",
    ];
    let mut at = 0;
    for needle in order {
        let found = out[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} after byte {at} in:\n{out}"));
        at += found + needle.len();
    }
    assert!(
        out.contains(
            "  ECH:              accepted: the server name and ALPN crossed the wire encrypted\n"
        ),
        "{out}"
    );
}

#[test]
fn ech_grease_is_sent_and_the_connection_works() {
    let d = tmpdir("ech-grease");
    let server = Server::start(&d, &["--dev"]);
    let r = client(&d, &server, &["--ech-grease", "--trace"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("encrypted_client_hello: outer, config_id ")
            && all.contains(", HKDF-SHA256 with AES-128-GCM, enc 32 bytes, "),
        "{all}"
    );
    // GREASE is not an offer: nothing to report.
    assert!(!all.contains("ECH:"), "{all}");
    let r = crate::util::ferrotls(
        &d,
        &[
            "client",
            "localhost:1",
            "--ech-grease",
            "--ech-config",
            "AAAA",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "the argument '--ech-grease' cannot be used with '--ech-config <BASE64|@FILE>'"
        ),
        "{}",
        r.stderr
    );
}
