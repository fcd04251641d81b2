//! Runs `ferrotls-bench --quick` and checks that it works and prints every row.
//! It never looks at a timing: benchmarks are read by people, not asserted.

use std::process::Command;

/// Every row name the table must contain, one per measured row.
const ROWS: &[&str] = &[
    "TLS1.3 AES-128-GCM send",
    "TLS1.3 AES-128-GCM receive",
    "TLS1.3 AES-256-GCM send",
    "TLS1.3 AES-256-GCM receive",
    "TLS1.3 ChaCha20-Poly1305 send",
    "TLS1.3 ChaCha20-Poly1305 receive",
    "TLS1.2 AES-128-GCM send",
    "TLS1.2 AES-128-GCM receive",
    "TLS1.2 AES-256-GCM send",
    "TLS1.2 AES-256-GCM receive",
    "TLS1.2 ChaCha20-Poly1305 send",
    "TLS1.2 ChaCha20-Poly1305 receive",
    "TLS1.3 ECDSA P-256 X25519MLKEM768 client",
    "TLS1.3 ECDSA P-256 X25519MLKEM768 server",
    "TLS1.3 ECDSA P-256 X25519 client",
    "TLS1.3 ECDSA P-256 X25519 server",
    "TLS1.3 RSA-2048 X25519MLKEM768 client",
    "TLS1.3 RSA-2048 X25519MLKEM768 server",
    "TLS1.3 RSA-2048 X25519 client",
    "TLS1.3 RSA-2048 X25519 server",
    "TLS1.2 ECDSA P-256 X25519 client",
    "TLS1.2 ECDSA P-256 X25519 server",
    "TLS1.2 RSA-2048 X25519 client",
    "TLS1.2 RSA-2048 X25519 server",
    "TLS1.3 ticket X25519 client",
    "TLS1.3 ticket X25519 server",
    "TLS1.2 session ID client",
    "TLS1.2 session ID server",
    "TLS1.2 ticket client",
    "TLS1.2 ticket server",
    "client Rust heap (counting allocator)",
    "client malloc heap (Rust + aws-lc C)",
    "client RSS slope",
    "server Rust heap (counting allocator)",
    "server malloc heap (Rust + aws-lc C)",
    "server RSS slope",
    "3-cert chain ECDSA P-256",
    "3-cert chain RSA-2048",
    "TLS1.3 ECDSA P-256 X25519 via openssl s_time",
];

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls-bench"))
        .args(args)
        .output()
        .expect("the benchmark binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ferrotls-bench {args:?} exited with {}:\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn quick_run_prints_every_row() {
    let table = run(&["--quick"]);
    let missing: Vec<&&str> = ROWS.iter().filter(|r| !table.contains(*r)).collect();
    assert!(missing.is_empty(), "rows missing: {missing:?}\n{table}");
    // Both libraries resume with TLS 1.3 tickets: the row has numbers, not n/a.
    for side in ["client", "server"] {
        let line = table
            .lines()
            .find(|l| l.starts_with(&format!("TLS1.3 ticket X25519 {side}")))
            .expect("TLS 1.3 resumption row");
        assert!(!line.contains("n/a"), "{line}");
    }
}

#[test]
fn quick_json_has_every_row() {
    let text = run(&["--quick", "--json", "--no-loopback"]);
    let doc: serde_json::Value = serde_json::from_str(&text).expect("--json prints JSON");
    let names: Vec<&str> = doc["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    for want in ROWS.iter().filter(|r| !r.contains("openssl")) {
        assert!(names.contains(want), "JSON lacks row {want}: {names:?}");
    }
}

#[test]
fn unknown_arguments_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls-bench"))
        .arg("--fast")
        .output()
        .expect("the benchmark binary runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument \"--fast\""));
}
