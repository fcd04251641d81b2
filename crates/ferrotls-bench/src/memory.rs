//! Memory held by an idle connection after its handshake: N connections are kept
//! alive on one side (the peer of each is dropped) and the growth is divided by N.

use serde_json::json;

use crate::alloc::{self, Snapshot};
use crate::certs::Chain;
use crate::peers::{handshake, Aead, Configs, Endpoint, Groups, Resume, Setup, Version};
use crate::report::{Measure, Row};
use crate::Params;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    Client,
    Server,
}

/// Per-connection growth [Rust heap, malloc heap, RSS] with `n` connections kept.
fn idle<C: Endpoint, S: Endpoint>(
    n: usize,
    keep: Keep,
    new_client: impl Fn() -> C,
    new_server: impl Fn() -> S,
) -> [f64; 3] {
    for _ in 0..20 {
        handshake(&new_client, &new_server).expect("warm-up handshake");
    }
    // Give freed memory back so that the RSS slope starts from a clean heap top.
    // SAFETY: malloc_trim only releases free memory; it has no preconditions.
    unsafe { libc::malloc_trim(0) };
    let mut clients: Vec<C> = Vec::with_capacity(n);
    let mut servers: Vec<S> = Vec::with_capacity(n);
    let before = Snapshot::now();
    for _ in 0..n {
        let pair = handshake(&new_client, &new_server).expect("handshake");
        match keep {
            Keep::Client => clients.push(pair.client),
            Keep::Server => servers.push(pair.server),
        }
    }
    let after = Snapshot::now();
    drop(clients);
    drop(servers);
    after.per(&before, n)
}

pub fn rows(p: &Params, chain: &Chain) -> Vec<Row> {
    let setup = Setup {
        chain,
        version: Version::Tls13,
        aead: Aead::Aes128Gcm,
        groups: Groups::Default,
        resume: Resume::Never,
    };
    let cfg = Configs::new(&setup);
    let n = p.mem_conns;
    let (aws_rust, aws_malloc) = alloc::aws_lc_uses_rust_allocator();
    let aws_lc_seen = aws_rust * 2 > aws_malloc;
    let mut out = Vec::new();
    for keep in [Keep::Client, Keep::Server] {
        let f = idle(n, keep, || cfg.ferro_client(), || cfg.ferro_server());
        let r = idle(n, keep, || cfg.rustls_client(), || cfg.rustls_server());
        let side = if keep == Keep::Client {
            "client"
        } else {
            "server"
        };
        let views = [
            ("Rust heap (counting allocator)", 0),
            ("malloc heap (Rust + aws-lc C)", 1),
            ("RSS slope", 2),
        ];
        for (what, i) in views {
            out.push(Row {
                section: "idle connection after a TLS1.3 handshake (bytes each, lower is better)",
                name: format!("{side} {what}"),
                unit: "bytes",
                ferrotls: Measure::Measured(f[i]),
                rustls: Measure::Measured(r[i]),
                openssl: None,
                limit: None,
                detail: json!({
                    "connections": n,
                    "aws_lc_allocations_seen_by_rust_allocator": aws_lc_seen,
                    "aws_lc_probe_rust_bytes": aws_rust,
                    "aws_lc_probe_malloc_bytes": aws_malloc,
                }),
            });
        }
    }
    out
}
