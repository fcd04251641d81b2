//! `ferrotls-bench profile`: one library's handshakes (or bulk transfer) in a tight
//! loop and nothing else, for `perf record` or `valgrind --tool=callgrind`.
//!
//! ```text
//! ferrotls-bench profile [--lib ferrotls|rustls] [--key ecdsa|rsa] [--groups mlkem|x25519]
//!                        [--tls12] [--resume [--session-id]] [--ech] [--bulk] [--verify] [--n N]
//! ```
//!
//! With `--ech`, the TLS 1.3 handshakes use Encrypted Client Hello: the chosen
//! library's client against a ferrotls server holding the ECH keys (rustls has no ECH
//! server), so `--lib rustls --ech` profiles the rustls ECH client beside a ferrotls
//! ECH server. Both sides run in the loop, as in the other modes; with
//! `perf record --call-graph dwarf`, the client is under `ferrotls::ech::EchSender::new`
//! and `ferrotls::tls13::client` (or `rustls::client`), the server under
//! `ferrotls::ech::server_open_first` and `ferrotls::tls13::server`.

use crate::certs::{self, KeyType};
use crate::peers::{deliver, handshake, Aead, Configs, Endpoint, Groups, Resume, Setup, Version};

struct Opts {
    rustls: bool,
    key: KeyType,
    groups: Groups,
    version: Version,
    resume: bool,
    session_id: bool,
    ech: bool,
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
        ech: false,
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
            "--ech" => o.ech = true,
            "--bulk" => o.bulk = true,
            "--verify" => o.verify = true,
            "--n" => {
                let v = value()?;
                o.n = v.parse().map_err(|_| format!("--n: not a number: {v}"))?;
            }
            other => return Err(format!("profile: unknown argument {other:?}")),
        }
    }
    if o.ech && (o.version == Version::Tls12 || o.verify) {
        return Err("profile: --ech is for TLS 1.3 handshakes (not --tls12 or --verify)".into());
    }
    Ok(o)
}

fn run<C: Endpoint, S: Endpoint>(o: &Opts, c: impl Fn() -> C, s: impl Fn() -> S) {
    // Check once that the loop measures what was asked for.
    let first = handshake(&c, &s).expect("handshake");
    assert_eq!(
        (first.client.ech_accepted(), first.server.ech_accepted()),
        (o.ech, o.ech),
        "(client, server) ECH accepted, expected {} on both",
        o.ech
    );
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
    let cfg = if o.ech {
        Configs::with_ech(&setup)
    } else {
        Configs::new(&setup)
    };
    if o.rustls && o.ech {
        run(&o, || cfg.rustls_client(), || cfg.ferro_server());
    } else if o.rustls {
        run(&o, || cfg.rustls_client(), || cfg.rustls_server());
    } else {
        run(&o, || cfg.ferro_client(), || cfg.ferro_server());
    }
    Ok(())
}
