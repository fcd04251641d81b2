//! The short soak run: 1,000 concurrent connections held open, each echoing
//! checksummed payloads, with 100 misbehaving clients mixed in (hang-ups mid-handshake,
//! half a record then a stall, garbage, no close_notify). The program itself asserts
//! that every honest byte came back, the server stayed up and freed every connection;
//! this test checks its exit status and report. No timing is asserted.
//!
//! The 10,000-connection run is a documented command (see the crate README):
//! `cargo run --release -p ferrotls-load -- --connections 10000 --faults 1000`.

use std::process::Command;

fn run_load(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls-load"))
        .args(args)
        .output()
        .expect("ferrotls-load runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "ferrotls-load {args:?} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    stdout
}

#[test]
fn a_thousand_connections_with_faults() {
    let report = run_load(&[
        "--connections",
        "1000",
        "--faults",
        "100",
        "--rounds",
        "2",
        "--handshake-timeout",
        "2",
        "--duration",
        "1",
        "--deadline",
        "300",
    ]);
    assert!(report.contains("honest clients ok:          1000 / 1000 (failed 0)"));
    assert!(report.contains("fault clients mishandled:   0"));
    assert!(report.contains("server alive:               yes"));
    assert!(report.contains("open=0 "));
    assert!(report.trim_end().ends_with("PASS"));
}

#[test]
fn bad_arguments_are_refused_with_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_ferrotls-load"))
        .args(["--connections", "many"])
        .output()
        .expect("ferrotls-load runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--connections wants a whole number, not \"many\""),
        "{stderr}"
    );
}
