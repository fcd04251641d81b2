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
    "TLS1.3 ECDSA P-256 X25519MLKEM768 ECH client",
    "TLS1.3 ECDSA P-256 X25519 ECH client",
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

/// The ferrotls-against-itself ECH cost rows, in their own table (and JSON array).
const ECH_COST_ROWS: &[&str] = &[
    "TLS1.3 ECDSA P-256 X25519MLKEM768 client, ECH vs plain",
    "TLS1.3 ECDSA P-256 X25519MLKEM768 server, ECH vs plain",
    "TLS1.3 ECDSA P-256 X25519 client, ECH vs plain",
    "TLS1.3 ECDSA P-256 X25519 server, ECH vs plain",
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
    let missing: Vec<&&str> = ROWS
        .iter()
        .chain(ECH_COST_ROWS)
        .filter(|r| !table.contains(*r))
        .collect();
    assert!(missing.is_empty(), "rows missing: {missing:?}\n{table}");
    assert!(
        table.contains("ECH cost: ferrotls against itself"),
        "the ECH cost table is labelled as ferrotls against itself:\n{table}"
    );
    // The ECH client rows have both libraries' numbers (rustls's ECH client against
    // the ferrotls server).
    for line in table.lines().filter(|l| l.contains(" ECH client ")) {
        assert!(!line.contains("n/a") && !line.contains(" - "), "{line}");
    }
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
    let ech_cost = doc["ech_cost_ferrotls_vs_itself"]
        .as_array()
        .expect("ech_cost_ferrotls_vs_itself");
    let ech_names: Vec<&str> = ech_cost.iter().filter_map(|r| r["name"].as_str()).collect();
    for want in ECH_COST_ROWS {
        assert!(
            ech_names.contains(want),
            "JSON lacks ECH cost row {want}: {ech_names:?}"
        );
    }
    for r in ech_cost {
        for key in ["ferrotls_with_ech", "ferrotls_without_ech"] {
            assert!(r[key].as_f64().is_some(), "{key} in {r}");
        }
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
