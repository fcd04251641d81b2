//! `ferrotls-bench`: ferrotls against rustls (aws-lc-rs provider) in the same run,
//! with the raw aws-lc-rs cost of each row as its limit, and a loopback server test
//! beside `openssl s_server`.
//!
//! ```text
//! ferrotls-bench [--quick] [--json] [--only SECTION[,SECTION..]] [--no-loopback]
//! ferrotls-bench loopback [--quick] [--json] [--seconds N]
//! ferrotls-bench profile [--lib ferrotls|rustls] [--key ecdsa|rsa] [--groups mlkem|x25519] [--tls12] [--resume] [--ech] [--bulk] [--verify] [--n N]
//! ```
//! Sections: bulk, full, resumed, ech, memory, verify, loopback.

mod alloc;
mod bulk;
mod certs;
mod clock;
mod handshakes;
mod limit;
mod loopback;
mod memory;
mod peers;
mod profile;
mod report;
mod verify;

use std::process::ExitCode;
use std::time::Instant;

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

/// How much each part measures.
#[derive(Clone, Debug)]
pub struct Params {
    /// Alternating samples per library per row (the median is reported).
    pub samples: usize,
    /// Handshakes per sample.
    pub hs_batch: usize,
    /// 1 MiB writes per bulk sample.
    pub bulk_writes: usize,
    /// Connections kept for the memory rows.
    pub mem_conns: usize,
    /// Seconds of `openssl s_time` per server per run, and how many runs.
    pub loop_secs: u64,
    pub loop_reps: usize,
}

impl Params {
    fn full() -> Self {
        Params {
            samples: 21,
            hs_batch: 25,
            bulk_writes: 8,
            mem_conns: 1000,
            loop_secs: 4,
            loop_reps: 2,
        }
    }

    fn quick() -> Self {
        Params {
            samples: 1,
            hs_batch: 2,
            bulk_writes: 1,
            mem_conns: 30,
            loop_secs: 1,
            loop_reps: 1,
        }
    }
}

const SECTIONS: [&str; 7] = [
    "bulk", "full", "resumed", "ech", "memory", "verify", "loopback",
];

struct Args {
    params: Params,
    json: bool,
    sections: Vec<String>,
}

fn usage() -> String {
    format!(
        "usage: ferrotls-bench [--quick] [--json] [--only SECTION[,SECTION..]] [--no-loopback]\n       \
         ferrotls-bench loopback [--quick] [--json] [--seconds N]\n\
         sections: {}",
        SECTIONS.join(", ")
    )
}

fn parse_args() -> Result<Args, String> {
    let mut quick = false;
    let mut json = false;
    let mut sections: Vec<String> = SECTIONS.iter().map(|s| s.to_string()).collect();
    let mut seconds = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => quick = true,
            "--json" => json = true,
            "loopback" => sections = vec!["loopback".into()],
            "--no-loopback" => sections.retain(|s| s != "loopback"),
            "--only" => {
                let list = it.next().ok_or("--only needs a list of sections")?;
                sections = list.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(bad) = sections.iter().find(|s| !SECTIONS.contains(&s.as_str())) {
                    return Err(format!("unknown section {bad:?}"));
                }
            }
            "--seconds" => {
                let n = it.next().ok_or("--seconds needs a number")?;
                seconds = Some(
                    n.parse()
                        .map_err(|_| format!("--seconds: not a number: {n}"))?,
                );
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let mut params = if quick {
        Params::quick()
    } else {
        Params::full()
    };
    if let Some(s) = seconds {
        params.loop_secs = s;
    }
    Ok(Args {
        params,
        json,
        sections,
    })
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("profile") {
        return match profile::main(&argv[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ferrotls-bench: {e}");
                ExitCode::from(2)
            }
        };
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("ferrotls-bench: {e}");
            }
            eprintln!("{}", usage());
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    alloc::settle_malloc();
    let p = &args.params;
    let want = |s: &str| args.sections.iter().any(|x| x == s);
    let started = Instant::now();
    let step = |what: &str| eprintln!("[{:6.1}s] {what}", started.elapsed().as_secs_f64());

    step("generating certificates (ECDSA P-256 and RSA-2048 chains)");
    let ecdsa = certs::chain(certs::KeyType::EcdsaP256);
    let rsa = certs::chain(certs::KeyType::Rsa2048);
    let needs_costs = want("full") || want("resumed") || want("ech") || want("verify");
    let costs = needs_costs.then(|| {
        step("raw aws-lc-rs costs");
        let (s, b) = if p.samples <= 1 {
            (3, 10)
        } else {
            (p.samples, 50)
        };
        limit::asym_costs(&ecdsa, &rsa, s, b)
    });

    let mut rows = Vec::new();
    let mut ech_cost = Vec::new();
    if want("bulk") {
        step("bulk transfer");
        rows.extend(bulk::rows(p, &ecdsa));
    }
    if let Some(costs) = &costs {
        if want("full") {
            step("full handshakes");
            rows.extend(handshakes::full_rows(p, &ecdsa, &rsa, costs));
        }
        if want("resumed") {
            step("resumed handshakes");
            rows.extend(handshakes::resumed_rows(p, &ecdsa, costs));
        }
        if want("ech") {
            step("Encrypted Client Hello: ferrotls and rustls clients");
            rows.extend(handshakes::ech_client_rows(p, &ecdsa, costs));
            step("Encrypted Client Hello: ferrotls with and without");
            ech_cost = handshakes::ech_cost_rows(p, &ecdsa, costs);
        }
    }
    if want("memory") {
        step("idle connection memory");
        rows.extend(memory::rows(p, &ecdsa));
    }
    if let (true, Some(costs)) = (want("verify"), &costs) {
        step("chain verification");
        rows.extend(verify::rows(p, &[&ecdsa, &rsa], costs));
    }
    if want("loopback") {
        step("loopback (openssl s_time against each server)");
        rows.extend(loopback::rows(p, &ecdsa));
    }
    step("done");

    let (aws_rust, aws_malloc) = alloc::aws_lc_uses_rust_allocator();
    let aws_note = format!(
        "aws-lc's own allocations {} Rust's allocator (probe: {} bytes seen by the counting \
         allocator, {} by malloc); the malloc-heap and RSS rows include them.",
        if aws_rust * 2 > aws_malloc {
            "go through"
        } else {
            "do not go through"
        },
        aws_rust,
        aws_malloc
    );
    if args.json {
        let doc = serde_json::json!({
            "machine": machine(),
            "params": {
                "samples": p.samples, "handshakes_per_sample": p.hs_batch,
                "bulk_writes_per_sample": p.bulk_writes, "memory_connections": p.mem_conns,
                "loopback_seconds": p.loop_secs, "loopback_runs": p.loop_reps,
            },
            "aws_lc_allocations": aws_note,
            "raw_costs_us": costs.map(|c| c.to_json()),
            "clock_span_cost_us": clock::overhead().as_secs_f64() * 1e6,
            "rows": rows.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
            "ech_cost_ferrotls_vs_itself": ech_cost.iter().map(|r| r.to_json()).collect::<Vec<_>>(),
            "elapsed_s": started.elapsed().as_secs_f64(),
        });
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    } else {
        println!("ferrotls-bench on {}", machine());
        print!("{}", report::table(&rows));
        println!();
        if !ech_cost.is_empty() {
            println!("{}", report::ECH_HEADING);
            print!("{}", report::ech_table(&ech_cost));
            println!("{}", report::ECH_LEGEND);
            println!();
        }
        println!("{}", report::LEGEND);
        println!("{aws_note}");
        if let Some(c) = costs {
            println!(
                "raw aws-lc-rs µs: x25519 keygen {:.1}, agree {:.1}; ML-KEM-768 keygen {:.1}, \
                 encap {:.1}, decap {:.1}; ECDSA P-256 sign {:.1}, verify {:.1}; RSA-2048 PSS \
                 sign {:.1}, verify {:.1}, PKCS#1 verify {:.1}",
                c.x25519_keygen,
                c.x25519_agree,
                c.mlkem_keygen,
                c.mlkem_encap,
                c.mlkem_decap,
                c.ecdsa_sign,
                c.ecdsa_verify,
                c.rsa_pss_sign,
                c.rsa_pss_verify,
                c.rsa_pkcs1_verify
            );
        }
        println!(
            "CPU clock cost per timed span: {:.2} µs (subtracted from each handshake span)",
            clock::overhead().as_secs_f64() * 1e6
        );
        println!("total time {:.1}s", started.elapsed().as_secs_f64());
    }
    ExitCode::SUCCESS
}

/// CPU model and core count, for the table's heading.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|r| r.trim_start_matches([' ', '\t', ':']))
        })
        .unwrap_or("unknown CPU")
        .to_string();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}
