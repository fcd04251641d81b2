//! Bulk transfer: 1 MiB application writes on the client, timed separately for the
//! sending side (write + collect records) and the receiving side (feed + decrypt +
//! read the plaintext out).

use crate::clock::CpuInstant as Instant;

use serde_json::json;

use crate::certs::Chain;
use crate::limit;
use crate::peers::{
    deliver, handshake, Aead, Configs, Endpoint, Groups, Pair, Resume, Setup, Version,
};
use crate::report::{median, Measure, Row};
use crate::Params;

const MIB: usize = 1 << 20;

/// One sample: `writes` writes of 1 MiB, then their delivery. Returns MB/s (send,
/// receive).
fn sample<C: Endpoint, S: Endpoint>(
    pair: &mut Pair<C, S>,
    data: &[u8],
    writes: usize,
    wire: &mut Vec<u8>,
    sink: &mut [u8],
) -> (f64, f64) {
    wire.clear();
    let t = Instant::now();
    for _ in 0..writes {
        pair.client.write_plain(data);
        pair.client.take_out(wire);
    }
    let send = t.elapsed();
    let t = Instant::now();
    let got = deliver(&mut pair.server, wire, Some(sink)).expect("bulk delivery");
    let recv = t.elapsed();
    assert_eq!(got, writes * data.len(), "bulk: every byte arrives");
    let bytes = (writes * data.len()) as f64;
    (
        bytes / send.as_secs_f64() / 1e6,
        bytes / recv.as_secs_f64() / 1e6,
    )
}

pub fn rows(p: &Params, chain: &Chain) -> Vec<Row> {
    let mut out = Vec::new();
    let data = vec![0x42u8; MIB];
    let mut sink = vec![0u8; 64 * 1024];
    let mut wire = Vec::with_capacity(p.bulk_writes * (MIB + MIB / 32));
    for version in [Version::Tls13, Version::Tls12] {
        for aead in [Aead::Aes128Gcm, Aead::Aes256Gcm, Aead::Chacha20] {
            let setup = Setup {
                chain,
                version,
                aead,
                groups: Groups::X25519,
                resume: Resume::Never,
            };
            let cfg = Configs::new(&setup);
            let mut f = handshake(|| cfg.ferro_client(), || cfg.ferro_server()).expect("ferrotls");
            let mut r = handshake(|| cfg.rustls_client(), || cfg.rustls_server()).expect("rustls");
            // Warm up both (buffers grown, caches filled), untimed.
            sample(&mut f, &data, p.bulk_writes, &mut wire, &mut sink);
            sample(&mut r, &data, p.bulk_writes, &mut wire, &mut sink);
            let total = p.bulk_writes * MIB;
            let (mut fs, mut fr, mut rs, mut rr) = (vec![], vec![], vec![], vec![]);
            let (mut seal, mut open) = (vec![], vec![]);
            for i in 0..p.samples {
                // The limit is sampled in the same rotation, so load on the machine
                // touches it as it touches the libraries.
                seal.push(limit::aead_seal(aead, version, total, 1));
                open.push(limit::aead_open(aead, version, total, 1));
                let mut run_f = |wire: &mut Vec<u8>, sink: &mut [u8]| {
                    let (s, r) = sample(&mut f, &data, p.bulk_writes, wire, sink);
                    fs.push(s);
                    fr.push(r);
                };
                let mut run_r = |wire: &mut Vec<u8>, sink: &mut [u8]| {
                    let (s, rv) = sample(&mut r, &data, p.bulk_writes, wire, sink);
                    rs.push(s);
                    rr.push(rv);
                };
                if i % 2 == 0 {
                    run_f(&mut wire, &mut sink);
                    run_r(&mut wire, &mut sink);
                } else {
                    run_r(&mut wire, &mut sink);
                    run_f(&mut wire, &mut sink);
                }
            }
            let (seal, open) = (median(&seal), median(&open));
            let name = |dir: &str| format!("{} {} {dir}", version.label(), aead.label());
            let detail = json!({"writes_per_sample": p.bulk_writes, "write_size": MIB,
                "samples": p.samples});
            out.push(Row {
                section: "bulk (1 MiB writes, MB/s)",
                name: name("send"),
                unit: "MB/s",
                ferrotls: Measure::Measured(median(&fs)),
                rustls: Measure::Measured(median(&rs)),
                openssl: None,
                limit: Some(seal),
                detail: detail.clone(),
            });
            out.push(Row {
                section: "bulk (1 MiB writes, MB/s)",
                name: name("receive"),
                unit: "MB/s",
                ferrotls: Measure::Measured(median(&fr)),
                rustls: Measure::Measured(median(&rr)),
                openssl: None,
                limit: Some(open),
                detail,
            });
        }
    }
    out
}
