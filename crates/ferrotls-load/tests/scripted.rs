//! The mode-4 seeds of the `client` and `server` fuzz targets (ECH and post-handshake
//! client authentication) replay far enough to reach what they were recorded for:
//! if a library change makes them stop short, the fuzzer would too.

use ferrotls::conn::EchStatus;
use ferrotls::ech::EchError;
use ferrotls::error::Error;
use ferrotls_load::fuzz::{scripted_client, scripted_seeds, scripted_server, Scripted};

fn replay(target: &str, name: &str) -> Scripted {
    let seeds = scripted_seeds();
    let seed = seeds
        .iter()
        .find(|s| s.target == target && s.name == name)
        .unwrap_or_else(|| panic!("no seed {target}/{name}"));
    let outcome = match target {
        "client" => scripted_client(seed.data[1], &seed.data[2..]),
        _ => scripted_server(seed.data[1], &seed.data[2..]),
    };
    eprintln!("{target}/{name}: {outcome:?}");
    outcome
}

#[test]
fn every_seed_replays_without_an_error_but_those_that_end_in_one() {
    for seed in scripted_seeds() {
        let o = match seed.target {
            "client" => scripted_client(seed.data[1], &seed.data[2..]),
            _ => scripted_server(seed.data[1], &seed.data[2..]),
        };
        eprintln!("{}/{}: {o:?}", seed.target, seed.name);
        let failing = seed.name.contains("rejected") || seed.name.contains("required");
        assert_eq!(
            o.error.is_some(),
            failing,
            "{}/{}: {o:?}",
            seed.target,
            seed.name
        );
    }
}

#[test]
fn the_client_accepts_ech_directly_and_after_hello_retry_request() {
    for name in [
        "ech-accepted",
        "ech-accepted-hrr",
        "ech-pha-hrr-two-requests",
    ] {
        let o = replay("client", name);
        assert!(o.done, "{name}: {o:?}");
        assert_eq!(o.ech, EchStatus::Accepted, "{name}");
    }
}

#[test]
fn the_client_fails_a_rejected_ech_with_the_retry_configs() {
    for name in [
        "ech-rejected-retry-configs",
        "ech-rejected-retry-configs-hrr",
    ] {
        let o = replay("client", name);
        assert!(
            matches!(
                o.error,
                Some(Error::Ech(EchError::Rejected {
                    retry_configs: Some(_),
                    ..
                }))
            ),
            "{name}: {o:?}"
        );
    }
    let o = replay("client", "ech-rejected-no-ech");
    assert!(
        matches!(
            o.error,
            Some(Error::Ech(EchError::Rejected {
                retry_configs: None,
                ..
            }))
        ),
        "{o:?}"
    );
}

#[test]
fn the_client_answers_post_handshake_certificate_requests() {
    let o = replay("client", "pha-two-requests");
    assert_eq!(
        (
            o.post_handshake_auth.requests,
            o.post_handshake_auth.answered
        ),
        (2, 2)
    );
    assert_eq!(o.post_handshake_auth.authenticated, 2);
}

#[test]
fn the_server_verifies_post_handshake_answers_after_ech() {
    let o = replay("server", "ech-pha");
    assert_eq!(o.ech, EchStatus::Accepted);
    assert_eq!(o.post_handshake_auth.authenticated, 1, "{o:?}");
    let o = replay("server", "ech-pha-hrr-two-requests");
    assert_eq!(o.ech, EchStatus::Accepted);
    assert_eq!(o.post_handshake_auth.authenticated, 2, "{o:?}");
    let o = replay("server", "pha-empty-optional");
    assert_eq!(o.post_handshake_auth.answered, 1, "{o:?}");
}
