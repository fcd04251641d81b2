//! Full and resumed handshakes, client side and server side timed apart.

use serde_json::json;

use crate::certs::{Chain, KeyType};
use crate::limit::AsymCosts;
use crate::peers::{handshake, Aead, Configs, Endpoint, Groups, Resume, Setup, SideTimes, Version};
use crate::report::{median, Measure, Row, SelfRow};
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
/// handshake would be meaningless). Checks that both sides resumed if and only if
/// `expect_resumed`, and accepted an Encrypted Client Hello if and only if
/// `expect_ech` (so that an ECH row never measures a plain handshake, nor a plain
/// row an ECH one).
fn one<C: Endpoint, S: Endpoint>(
    lib: &str,
    new_client: impl FnOnce() -> C,
    new_server: impl FnOnce() -> S,
    expect_resumed: bool,
    expect_ech: bool,
) -> SideTimes {
    let pair =
        handshake(new_client, new_server).unwrap_or_else(|e| panic!("{lib} handshake failed: {e}"));
    assert_eq!(
        pair.client.resumed() && pair.server.resumed(),
        expect_resumed,
        "{lib}: resumed handshake expected: {expect_resumed}"
    );
    assert_eq!(
        (pair.client.ech_accepted(), pair.server.ech_accepted()),
        (expect_ech, expect_ech),
        "{lib}: (client, server) ECH accepted, expected {expect_ech} on both"
    );
    pair.times
}

struct Measured {
    /// Median µs per side (client, server): `ferro` for the first contender of
    /// [`alternate`], `rustls` for the second.
    ferro: (f64, f64),
    rustls: (f64, f64),
}

/// Median per-side µs of two kinds of handshake, `a` and `b`, in `p.samples`
/// alternating batches (`a` first in even samples, `b` first in odd ones), after one
/// warm-up handshake each (for resumption it leaves a session or ticket in each
/// client; the closures check every handshake themselves).
fn alternate(
    p: &Params,
    warm_up: [&dyn Fn() -> SideTimes; 2],
    a: &dyn Fn() -> SideTimes,
    b: &dyn Fn() -> SideTimes,
) -> Measured {
    warm_up.iter().for_each(|w| {
        w();
    });
    let (mut ac, mut as_, mut bc, mut bs) = (vec![], vec![], vec![], vec![]);
    for i in 0..p.samples {
        let order = if i % 2 == 0 {
            [true, false]
        } else {
            [false, true]
        };
        for is_a in order {
            if is_a {
                let (c, s) = batch(p.hs_batch, a);
                ac.push(c);
                as_.push(s);
            } else {
                let (c, s) = batch(p.hs_batch, b);
                bc.push(c);
                bs.push(s);
            }
        }
    }
    Measured {
        ferro: (median(&ac), median(&as_)),
        rustls: (median(&bc), median(&bs)),
    }
}

fn measure(p: &Params, setup: &Setup<'_>) -> Measured {
    let cfg = Configs::new(setup);
    let resumed = setup.resume != Resume::Never;
    let f = |resumed| {
        one(
            "ferrotls",
            || cfg.ferro_client(),
            || cfg.ferro_server(),
            resumed,
            false,
        )
    };
    let r = |resumed| {
        one(
            "rustls",
            || cfg.rustls_client(),
            || cfg.rustls_server(),
            resumed,
            false,
        )
    };
    alternate(p, [&|| f(false), &|| r(false)], &|| f(resumed), &|| {
        r(resumed)
    })
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

/// The ECH rows' settings: TLS 1.3, ECDSA P-256, AES-128-GCM, full handshakes.
fn ech_setup(chain: &Chain, groups: Groups) -> Setup<'_> {
    Setup {
        chain,
        version: Version::Tls13,
        aead: Aead::Aes128Gcm,
        groups,
        resume: Resume::Never,
    }
}

const ECH_GROUPS: [Groups; 2] = [Groups::Default, Groups::X25519];

/// Full TLS 1.3 handshakes with Encrypted Client Hello, client side: the ferrotls
/// client against the rustls client, both talking to the same ferrotls server holding
/// the ECH keys (rustls 0.23 has no ECH server). Only the clients' CPU is compared;
/// each handshake is checked to have been accepted with ECH on both ends. The limit
/// is the plain client's plus the HPKE encapsulation (an X25519 key generation and
/// agreement).
pub fn ech_client_rows(p: &Params, ecdsa: &Chain, costs: &AsymCosts) -> Vec<Row> {
    let mut out = Vec::new();
    for groups in ECH_GROUPS {
        let setup = ech_setup(ecdsa, groups);
        let cfg = Configs::with_ech(&setup);
        let f = || {
            one(
                "ferrotls ECH client",
                || cfg.ferro_client(),
                || cfg.ferro_server(),
                false,
                true,
            )
        };
        let r = || {
            one(
                "rustls ECH client",
                || cfg.rustls_client(),
                || cfg.ferro_server(),
                false,
                true,
            )
        };
        let m = alternate(p, [&f, &r], &f, &r);
        let limit = costs.client_full(ecdsa.key_type, groups) + costs.hpke_encap();
        out.push(Row {
            section: "ECH full handshakes, client side (both clients against one ferrotls \
                      server with ECH keys; client CPU only)",
            name: format!(
                "TLS1.3 {} {} ECH client",
                ecdsa.key_type.label(),
                groups.label()
            ),
            unit: "hs/s",
            ferrotls: Measure::Measured(per_sec(m.ferro.0)),
            rustls: Measure::Measured(per_sec(m.rustls.0)),
            openssl: None,
            limit: Some(per_sec(limit)),
            detail: json!({
                "ferrotls_us": m.ferro.0,
                "rustls_us": m.rustls.0,
                "limit_us": limit,
                "ech": "accepted on every handshake (checked)",
                "hpke_suite": "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM",
                "server": "ferrotls with ECH keys, for both clients (not compared)",
                "server_us_with_ferrotls_client": m.ferro.1,
                "server_us_with_rustls_client": m.rustls.1,
                "samples": p.samples,
                "handshakes_per_sample": p.hs_batch,
            }),
        });
    }
    out
}

/// What ECH costs ferrotls: ferrotls-to-ferrotls full TLS 1.3 handshakes with ECH
/// (accepted) against the same without (neither side configured for ECH), client side
/// and server side. There is no rustls equivalent (no rustls ECH server).
pub fn ech_cost_rows(p: &Params, ecdsa: &Chain, costs: &AsymCosts) -> Vec<SelfRow> {
    let mut out = Vec::new();
    for groups in ECH_GROUPS {
        let setup = ech_setup(ecdsa, groups);
        let ech = Configs::with_ech(&setup);
        let plain = Configs::new(&setup);
        let e = || {
            one(
                "ferrotls with ECH",
                || ech.ferro_client(),
                || ech.ferro_server(),
                false,
                true,
            )
        };
        let n = || {
            one(
                "ferrotls without ECH",
                || plain.ferro_client(),
                || plain.ferro_server(),
                false,
                false,
            )
        };
        let m = alternate(p, [&e, &n], &e, &n);
        for (side, with, without, hpke) in [
            ("client", m.ferro.0, m.rustls.0, costs.hpke_encap()),
            ("server", m.ferro.1, m.rustls.1, costs.hpke_decap()),
        ] {
            out.push(SelfRow {
                section: "TLS1.3 full handshakes, ferrotls to ferrotls (handshakes per second \
                          of one side's CPU)",
                name: format!(
                    "TLS1.3 {} {} {side}, ECH vs plain",
                    ecdsa.key_type.label(),
                    groups.label()
                ),
                unit: "hs/s",
                with: per_sec(with),
                without: per_sec(without),
                extra_us: with - without,
                raw_us: hpke,
                detail: json!({
                    "with_ech_us": with,
                    "without_ech_us": without,
                    "raw_hpke_us": hpke,
                    "samples": p.samples,
                    "handshakes_per_sample": p.hs_batch,
                }),
            });
        }
    }
    out
}
