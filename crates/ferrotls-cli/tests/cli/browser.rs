//! A real browser: headless Chromium loads `ferrotls server --www`'s status page.
//!
//! Chromium trusts the development certificate through
//! `--ignore-certificate-errors-spki-list` (honoured only with `--user-data-dir`),
//! given the base64 SHA-256 of the leaf's SubjectPublicKeyInfo, which the server
//! prints. Nothing is installed in the browser profile or the system.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::util::{run_with_timeout, tmpdir, Server};

const CHROMIUM: &str = "/usr/bin/chromium";

/// The text of the element with `id` in a DOM dump.
fn cell<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = format!("id=\"{id}\">");
    dom.split_once(&start)
        .and_then(|(_, rest)| rest.split_once('<'))
        .map(|(text, _)| text)
        .unwrap_or_else(|| panic!("no #{id} in the page: {dom}"))
}

#[test]
fn chromium_shows_the_negotiated_parameters() {
    if !Path::new(CHROMIUM).exists() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{CHROMIUM} is not installed, and CI=true: this test needs it"
        );
        eprintln!(
            "SKIPPED chromium_shows_the_negotiated_parameters: {CHROMIUM} is not installed (apt-get install chromium)"
        );
        return;
    }
    let d = tmpdir("browser");
    let server = Server::start(&d, &["--dev", "--www"]);
    let spki = server
        .log()
        .iter()
        .find_map(|l| {
            l.split_once("--ignore-certificate-errors-spki-list=")
                .map(|(_, h)| h.trim().to_string())
        })
        .expect("the server prints the SPKI hash for Chromium");
    let profile = d.join("profile");
    let run = run_with_timeout(
        Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--ignore-certificate-errors-spki-list={spki}"))
            .arg("--dump-dom")
            .arg(format!("https://localhost:{}/", server.port)),
        Duration::from_secs(60),
    );
    let dom = run.stdout;
    assert!(
        dom.contains("<title>ferrotls: your connection</title>"),
        "Chromium did not render the page (exit {}): {dom}\n{}",
        run.code,
        run.stderr
    );
    let version = cell(&dom, "version");
    let suite = cell(&dom, "suite");
    let group = cell(&dom, "group");
    assert_eq!(version, "TLSv1.3");
    assert!(
        [
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256"
        ]
        .contains(&suite),
        "{suite}"
    );
    // Chromium offers X25519MLKEM768 first (since Chrome 131) and ferrotls prefers it.
    assert_eq!(group, "X25519MLKEM768");
    assert_eq!(cell(&dom, "alpn"), "http/1.1");
    assert_eq!(cell(&dom, "sni"), "localhost");
    assert!(cell(&dom, "user-agent").contains("Chrome/"), "{dom}");
    // The server logged the same connection.
    let logged = server.wait_for(1, |l| l.contains(": GET / 200, "));
    assert!(
        logged[0].contains(&format!(" TLSv1.3 {suite} {group}"))
            && logged[0].contains(" sni=localhost alpn=http/1.1:"),
        "{logged:?}"
    );
}
