//! Full and resumed handshakes, client side and server side timed apart.

use serde_json::json;

use crate::certs::{Chain, KeyType};
use crate::limit::AsymCosts;
use crate::peers::{handshake, Aead, Configs, Endpoint, Groups, Resume, Setup, SideTimes, Version};
use crate::report::{median, Measure, Row};
use crate::Params;

/// Mean per-side microseconds over `batch` handshakes made by `one`.
fn batch(n: usize, mut one: impl FnMut() -> SideTimes) -> (f64, f64) {
    let (mut c, mut s) = (0.0, 0.0);
    for _ in 0..n {
        let t = one();
        c += t.client.as_secs_f64() * 1e6;
        s += t.server.as_secs_f64() * 1e6;
    }
    (c / n as f64, s / n as f64)
}

/// One handshake; panics with the library's error (a benchmark of a failing
/// handshake would be meaningless). With `expect_resumed`, checks that it resumed.
fn one<C: Endpoint, S: Endpoint>(
    lib: &str,
    new_client: impl FnOnce() -> C,
    new_server: impl FnOnce() -> S,
    expect_resumed: bool,
) -> SideTimes {
    let pair =
        handshake(new_client, new_server).unwrap_or_else(|e| panic!("{lib} handshake failed: {e}"));
    assert_eq!(
        pair.client.resumed() && pair.server.resumed(),
        expect_resumed,
        "{lib}: resumed handshake expected: {expect_resumed}"
    );
    pair.times
}

struct Measured {
    /// Median µs per side (client, server).
    ferro: (f64, f64),
    rustls: (f64, f64),
}

fn measure(p: &Params, setup: &Setup<'_>) -> Measured {
    let cfg = Configs::new(setup);
    let resumed = setup.resume != Resume::Never;
    // Warm up with one full handshake each; for resumption it leaves a session or
    // ticket in each client.
    one(
        "ferrotls",
        || cfg.ferro_client(),
        || cfg.ferro_server(),
        false,
    );
    one(
        "rustls",
        || cfg.rustls_client(),
        || cfg.rustls_server(),
        false,
    );
    let f = || {
        one(
            "ferrotls",
            || cfg.ferro_client(),
            || cfg.ferro_server(),
            resumed,
        )
    };
    let r = || {
        one(
            "rustls",
            || cfg.rustls_client(),
            || cfg.rustls_server(),
            resumed,
        )
    };
    let (mut fc, mut fs, mut rc, mut rs) = (vec![], vec![], vec![], vec![]);
    for i in 0..p.samples {
        let order = if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_ferro in order {
            if is_ferro {
                let (c, s) = batch(p.hs_batch, &f);
                fc.push(c);
                fs.push(s);
            } else {
                let (c, s) = batch(p.hs_batch, &r);
                rc.push(c);
                rs.push(s);
            }
        }
    }
    Measured {
        ferro: (median(&fc), median(&fs)),
        rustls: (median(&rc), median(&rs)),
    }
}

fn per_sec(us: f64) -> f64 {
    1e6 / us
}

#[allow(clippy::too_many_arguments)] // a row is described by all of these
fn push_rows(
    out: &mut Vec<Row>,
    section: &'static str,
    label: String,
    m: &Measured,
    client_limit: Option<f64>,
    server_limit: Option<f64>,
    p: &Params,
) {
    for (side, idx, lim) in [("client", 0, client_limit), ("server", 1, server_limit)] {
        let pick = |t: (f64, f64)| if idx == 0 { t.0 } else { t.1 };
        out.push(Row {
            section,
            name: format!("{label} {side}"),
            unit: "hs/s",
            ferrotls: Measure::Measured(per_sec(pick(m.ferro))),
            rustls: Measure::Measured(per_sec(pick(m.rustls))),
            openssl: None,
            limit: lim.map(per_sec),
            detail: json!({
                "ferrotls_us": pick(m.ferro),
                "rustls_us": pick(m.rustls),
                "limit_us": lim,
                "samples": p.samples,
                "handshakes_per_sample": p.hs_batch,
            }),
        });
    }
}

pub fn full_rows(p: &Params, ecdsa: &Chain, rsa: &Chain, costs: &AsymCosts) -> Vec<Row> {
    let mut out = Vec::new();
    let cases = [
        (Version::Tls13, ecdsa, Groups::Default),
        (Version::Tls13, ecdsa, Groups::X25519),
        (Version::Tls13, rsa, Groups::Default),
        (Version::Tls13, rsa, Groups::X25519),
        (Version::Tls12, ecdsa, Groups::X25519),
        (Version::Tls12, rsa, Groups::X25519),
    ];
    for (version, chain, groups) in cases {
        let setup = Setup {
            chain,
            version,
            aead: Aead::Aes128Gcm,
            groups,
            resume: Resume::Never,
        };
        let m = measure(p, &setup);
        let k: KeyType = chain.key_type;
        push_rows(
            &mut out,
            "full handshakes (handshakes per second of one side's CPU)",
            format!("{} {} {}", version.label(), k.label(), groups.label()),
            &m,
            Some(costs.client_full(k, groups)),
            Some(costs.server_full(k, groups)),
            p,
        );
    }
    out
}

pub fn resumed_rows(p: &Params, ecdsa: &Chain, costs: &AsymCosts) -> Vec<Row> {
    let mut out = Vec::new();
    let cases = [
        (Version::Tls13, Resume::Tls13Ticket, "TLS1.3 ticket X25519"),
        (Version::Tls12, Resume::Tls12SessionId, "TLS1.2 session ID"),
        (Version::Tls12, Resume::Tls12Ticket, "TLS1.2 ticket"),
    ];
    for (version, resume, label) in cases {
        let setup = Setup {
            chain: ecdsa,
            version,
            aead: Aead::Aes128Gcm,
            groups: Groups::X25519,
            resume,
        };
        let m = measure(p, &setup);
        let limit = (version == Version::Tls13).then(|| costs.resumed13());
        push_rows(
            &mut out,
            "resumed handshakes (handshakes per second of one side's CPU)",
            label.to_string(),
            &m,
            limit,
            limit,
            p,
        );
    }
    out
}
