//! `ferrotls-bench profile`: one library's handshakes (or bulk transfer) in a tight
//! loop and nothing else, for `perf record` or `valgrind --tool=callgrind`.
//!
//! ```text
//! ferrotls-bench profile [--lib ferrotls|rustls] [--key ecdsa|rsa] [--groups mlkem|x25519]
//!                        [--tls12] [--resume [--session-id]] [--bulk] [--verify] [--n N]
//! ```

use crate::certs::{self, KeyType};
use crate::peers::{deliver, handshake, Aead, Configs, Endpoint, Groups, Resume, Setup, Version};

struct Opts {
    rustls: bool,
    key: KeyType,
    groups: Groups,
    version: Version,
    resume: bool,
    session_id: bool,
    bulk: bool,
    verify: bool,
    n: usize,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        rustls: false,
        key: KeyType::EcdsaP256,
        groups: Groups::Default,
        version: Version::Tls13,
        resume: false,
        session_id: false,
        bulk: false,
        verify: false,
        n: 2000,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--lib" => o.rustls = value()? == "rustls",
            "--key" => {
                o.key = if value()? == "rsa" {
                    KeyType::Rsa2048
                } else {
                    KeyType::EcdsaP256
                }
            }
            "--groups" => {
                o.groups = if value()? == "x25519" {
                    Groups::X25519
                } else {
                    Groups::Default
                }
            }
            "--tls12" => o.version = Version::Tls12,
            "--resume" => o.resume = true,
            "--session-id" => o.session_id = true,
            "--bulk" => o.bulk = true,
            "--verify" => o.verify = true,
            "--n" => {
                let v = value()?;
                o.n = v.parse().map_err(|_| format!("--n: not a number: {v}"))?;
            }
            other => return Err(format!("profile: unknown argument {other:?}")),
        }
    }
    Ok(o)
}

fn run<C: Endpoint, S: Endpoint>(o: &Opts, c: impl Fn() -> C, s: impl Fn() -> S) {
    if o.bulk {
        let mut pair = handshake(&c, &s).expect("handshake");
        let data = vec![0x42u8; 1 << 20];
        let mut sink = vec![0u8; 64 * 1024];
        let mut wire = Vec::with_capacity(1 << 21);
        for _ in 0..o.n {
            wire.clear();
            pair.client.write_plain(&data);
            pair.client.take_out(&mut wire);
            deliver(&mut pair.server, &wire, Some(&mut sink)).expect("delivery");
        }
    } else {
        for _ in 0..o.n {
            std::hint::black_box(handshake(&c, &s).expect("handshake"));
        }
    }
}

pub fn main(args: &[String]) -> Result<(), String> {
    let o = parse(args)?;
    let chain = certs::chain(o.key);
    if o.verify {
        crate::verify::profile(&chain, o.rustls, o.n);
        return Ok(());
    }
    let setup = Setup {
        chain: &chain,
        version: o.version,
        aead: Aead::Aes128Gcm,
        groups: o.groups,
        resume: match (o.resume, o.version) {
            (false, _) => Resume::Never,
            (true, Version::Tls13) => Resume::Tls13Ticket,
            (true, Version::Tls12) if o.session_id => Resume::Tls12SessionId,
            (true, Version::Tls12) => Resume::Tls12Ticket,
        },
    };
    let cfg = Configs::new(&setup);
    if o.rustls {
        run(&o, || cfg.rustls_client(), || cfg.rustls_server());
    } else {
        run(&o, || cfg.ferro_client(), || cfg.ferro_server());
    }
    Ok(())
}
