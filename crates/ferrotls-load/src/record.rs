//! Seed corpora from real handshakes: in-memory ferrotls pairs (TLS 1.3 and 1.2,
//! several suites and groups, HelloRetryRequest) and OpenSSL's `s_client` talking to
//! `s_server` through a relay that records both directions. Writes one directory per
//! fuzz target, each seed in that target's input layout (see [`crate::fuzz`]).

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use ferrotls::codec::{Codec, Reader};
use ferrotls::msgs::enums::{ContentType, NamedGroup};
use ferrotls::msgs::extensions::ServerExtContext;
use ferrotls::msgs::{ClientHello, HandshakeMessage, HeartbeatMessage, ServerHello};

use crate::fuzz::{frame, pki_fixture, push_record, Pair, PairSpec};

/// Seeds by target, then by file name.
#[derive(Debug, Default)]
pub struct Corpus {
    seeds: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>>,
}

impl Corpus {
    pub fn add(&mut self, target: &'static str, name: &str, data: Vec<u8>) {
        let h = crate::load::checksum(&data);
        self.seeds
            .entry(target)
            .or_default()
            .insert(format!("{name}-{:08x}", h as u32), data);
    }

    /// Writes `dir/<target>/<name>`; returns (files, bytes).
    pub fn write(&self, dir: &Path) -> io::Result<(usize, usize)> {
        let mut files = 0;
        let mut bytes = 0;
        for (target, seeds) in &self.seeds {
            let d = dir.join(target);
            std::fs::create_dir_all(&d)?;
            for (name, data) in seeds {
                std::fs::write(d.join(name), data)?;
                files += 1;
                bytes += data.len();
            }
        }
        Ok((files, bytes))
    }

    /// Seeds for one transcript: both byte streams, and every plaintext handshake
    /// message and extension in them.
    pub fn add_streams(&mut self, name: &str, client_bytes: &[u8], server_bytes: &[u8]) {
        for chunk_seed in [0u8, 2, 5] {
            self.add(
                "client",
                &format!("{name}-raw{chunk_seed}"),
                seed(0, chunk_seed, server_bytes),
            );
            self.add(
                "server",
                &format!("{name}-raw{chunk_seed}"),
                seed(0, chunk_seed, client_bytes),
            );
        }
        for flags in [0u8, 0x83, 0x45] {
            self.add(
                "deframer",
                &format!("{name}-c{flags:02x}"),
                seed1(flags, client_bytes),
            );
            self.add(
                "deframer",
                &format!("{name}-s{flags:02x}"),
                seed1(flags, server_bytes),
            );
        }
        for (dir, bytes) in [("c", client_bytes), ("s", server_bytes)] {
            for (i, msg) in plaintext_messages(bytes).iter().enumerate() {
                self.add_message(&format!("{name}-{dir}{i}"), msg);
            }
        }
    }

    /// msgs_decode seeds for one whole handshake message (header included).
    pub fn add_message(&mut self, name: &str, msg: &[u8]) {
        self.add("msgs_decode", &format!("{name}-13"), seed1(0, msg));
        self.add("msgs_decode", &format!("{name}-12"), seed1(1, msg));
        let body = msg.get(4..).unwrap_or_default();
        match msg.first() {
            Some(1) => {
                self.add("msgs_decode", &format!("{name}-ch"), seed1(2, body));
                let mut r = Reader::new(body, "ClientHello");
                if let Ok(ch) = ClientHello::read(&mut r) {
                    for (i, ext) in ch.extensions.iter().enumerate() {
                        self.add(
                            "msgs_decode",
                            &format!("{name}-ext{i}"),
                            seed1(4, &ext.to_bytes()),
                        );
                    }
                }
            }
            Some(2) => {
                self.add("msgs_decode", &format!("{name}-sh"), seed1(3, body));
                let mut r = Reader::new(body, "ServerHello");
                if let Ok(sh) = ServerHello::read(&mut r) {
                    let ctx = if sh.is_hello_retry_request() { 1 } else { 0 };
                    for (i, ext) in sh.extensions.iter().enumerate() {
                        let mut b = Vec::new();
                        ext.encode(&mut b);
                        self.add(
                            "msgs_decode",
                            &format!("{name}-sext{i}"),
                            seed1(5 + 6 * ctx, &b),
                        );
                    }
                }
            }
            Some(8) => {
                // EncryptedExtensions: each extension in its context.
                if let Ok(HandshakeMessage {
                    payload: ferrotls::msgs::HandshakePayload::EncryptedExtensions(ee),
                    ..
                }) = HandshakeMessage::read_tls13(msg)
                {
                    for (i, ext) in ee.extensions.iter().enumerate() {
                        let mut b = Vec::new();
                        ext.encode(&mut b);
                        self.add(
                            "msgs_decode",
                            &format!("{name}-eext{i}"),
                            seed1(5 + 6 * 2, &b),
                        );
                    }
                }
            }
            _ => {}
        }
        let _ = ServerExtContext::EncryptedExtensions;
    }
}

fn seed(mode: u8, variant: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![mode, variant];
    v.extend_from_slice(payload);
    v
}

fn seed1(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![first];
    v.extend_from_slice(payload);
    v
}

/// The handshake messages of the plaintext handshake records in a stream (before any
/// ChangeCipherSpec or protected record).
pub fn plaintext_messages(stream: &[u8]) -> Vec<Vec<u8>> {
    let mut hs = Vec::new();
    for (typ, raw) in frame(stream) {
        match typ {
            ContentType::Handshake => hs.extend_from_slice(raw.get(5..).unwrap_or_default()),
            ContentType::Alert => {}
            _ => break,
        }
    }
    let mut out = Vec::new();
    let mut rest = hs.as_slice();
    while rest.len() >= 4 {
        let len = usize::from(rest[1]) << 16 | usize::from(rest[2]) << 8 | usize::from(rest[3]);
        let Some(msg) = rest.get(..4 + len) else {
            break;
        };
        out.push(msg.to_vec());
        rest = &rest[4 + len..];
    }
    out
}

/// The variant byte that selects `spec` in `PairSpec::from_variant`.
fn variant(suite: u8, group: u8, hrr: bool) -> u8 {
    (suite & 7) | (group & 3) << 3 | if hrr { 0x20 } else { 0 }
}

/// Seeds from in-memory ferrotls handshakes.
pub fn record_ferrotls(corpus: &mut Corpus) -> Result<usize, String> {
    let mut count = 0;
    let mut specs = Vec::new();
    for suite in 0..3u8 {
        for group in 0..3u8 {
            specs.push((false, variant(suite, group, false)));
        }
    }
    specs.push((false, variant(0, 0, true)));
    specs.push((false, variant(2, 1, true)));
    for suite in 0..7u8 {
        specs.push((true, variant(suite, suite % 2, false)));
    }
    for (tls12, v) in specs {
        let spec = PairSpec::from_variant(tls12, v);
        let name = format!(
            "ferrotls-{}-s{}-{:?}{}",
            if tls12 { "tls12" } else { "tls13" },
            spec.suite,
            spec.group,
            if spec.hrr { "-hrr" } else { "" }
        )
        .to_lowercase();
        let pair = Pair::handshake(spec).map_err(|e| format!("{name}: {e}"))?;
        corpus.add_streams(&name, &pair.client_bytes, &pair.server_bytes);
        let c = pair.client_capture.get();
        let s = pair.server_capture.get();
        for (i, m) in s.sent.iter().enumerate() {
            corpus.add_message(&format!("{name}-sent-s{i}"), m);
        }
        for (i, m) in c.sent.iter().enumerate() {
            corpus.add_message(&format!("{name}-sent-c{i}"), m);
        }
        if !tls12 {
            // Mode 1: the real encrypted flight as plaintext records.
            let after_sh = |sent: &[Vec<u8>], first: u8| -> Vec<u8> {
                let last = sent
                    .iter()
                    .rposition(|m| m.first() == Some(&first))
                    .map_or(0, |i| i + 1);
                let mut recs = Vec::new();
                for m in &sent[last..] {
                    push_record(&mut recs, 22, m);
                }
                recs
            };
            corpus.add(
                "client",
                &format!("{name}-flight"),
                seed(1, v, &after_sh(&s.sent, 2)),
            );
            corpus.add(
                "server",
                &format!("{name}-flight"),
                seed(1, v, &after_sh(&c.sent, 1)),
            );
        }
        // Modes 2 and 3: traffic after the handshake.
        let mode = if tls12 { 3 } else { 2 };
        let mut recs = Vec::new();
        push_record(&mut recs, 23, b"GET / HTTP/1.1\r\n\r\n");
        push_record(&mut recs, 23, &[]);
        if tls12 {
            for payload in [&b"ping"[..], &[0u8; 300][..]] {
                let mut hb = Vec::new();
                HeartbeatMessage::request(payload.to_vec()).encode(&[0x55; 16], &mut hb);
                push_record(&mut recs, 24, &hb);
            }
            push_record(&mut recs, 22, &[0, 0, 0, 0]); // HelloRequest
            push_record(&mut recs, 21, &[1, 100]); // no_renegotiation warning
        } else {
            push_record(&mut recs, 22, &[24, 0, 0, 1, 1]); // KeyUpdate(update_requested)
            push_record(&mut recs, 22, &[24, 0, 0, 1, 0]);
            for m in s.sent.iter().filter(|m| m.first() == Some(&4)) {
                push_record(&mut recs, 22, m); // NewSessionTicket
            }
        }
        push_record(&mut recs, 21, &[1, 0]); // close_notify
        push_record(&mut recs, 23, b"after close");
        for side in ["client", "server"] {
            corpus.add(side, &format!("{name}-traffic"), seed(mode, v, &recs));
            corpus.add(
                side,
                &format!("{name}-traffic-w"),
                seed(mode, v | 0x80, &recs),
            );
        }
        count += 1;
    }
    add_scripted(corpus);
    // ECH: the real hellos of a client with fixed randomness (see `fuzz::ech`).
    for (name, data) in crate::fuzz::ech_seeds() {
        corpus.add("ech", &name, data);
    }
    // Heartbeat records and a few x509 inputs.
    for (i, payload) in [&b""[..], b"x", &[7u8; 1000]].iter().enumerate() {
        let mut hb = Vec::new();
        HeartbeatMessage::request(payload.to_vec()).encode(&[0; 16], &mut hb);
        corpus.add("heartbeat", &format!("request{i}"), hb.clone());
        hb[0] = 2;
        corpus.add("heartbeat", &format!("response{i}"), hb);
    }
    corpus.add("heartbeat", "overlong", vec![1, 0x40, 0, 1, 2, 3]);
    let u16item = |d: &[u8]| -> Vec<u8> {
        let mut v = (d.len() as u16).to_be_bytes().to_vec();
        v.extend_from_slice(d);
        v
    };
    for (n, der) in [
        ("leaf", pki_fixture::LEAF),
        ("inter", pki_fixture::INTERMEDIATE),
        ("root", pki_fixture::ROOT),
    ] {
        corpus.add("x509", &format!("{n}-0"), seed1(0, der));
        corpus.add("x509", &format!("{n}-ip"), seed1(0x80, der));
    }
    corpus.add(
        "x509",
        "chain-1",
        seed1(1, &u16item(pki_fixture::INTERMEDIATE)),
    );
    corpus.add(
        "x509",
        "chain-2",
        seed1(
            2,
            &[
                u16item(pki_fixture::LEAF),
                u16item(pki_fixture::INTERMEDIATE),
            ]
            .concat(),
        ),
    );
    for (n, alg) in [
        ("rsa", &rcgen::PKCS_RSA_SHA256),
        ("ed25519", &rcgen::PKCS_ED25519),
        ("p384", &rcgen::PKCS_ECDSA_P384_SHA384),
    ] {
        let Ok(key) = rcgen::KeyPair::generate_for(alg) else {
            continue;
        };
        let Ok(params) = rcgen::CertificateParams::new(vec!["example.com".to_string()]) else {
            continue;
        };
        if let Ok(cert) = params.self_signed(&key) {
            corpus.add("x509", &format!("rcgen-{n}"), seed1(0, cert.der()));
        }
    }
    let _ = NamedGroup::X25519;
    Ok(count)
}

/// Mode-4 seeds of `client` and `server` (ECH, post-handshake client authentication).
pub fn add_scripted(corpus: &mut Corpus) {
    for seed in crate::fuzz::scripted_seeds() {
        corpus.add(seed.target, &format!("scripted-{}", seed.name), seed.data);
    }
}

/// A relay from `listener` to `upstream` that records both directions of one connection.
fn relay_once(listener: TcpListener, upstream: String) -> thread::JoinHandle<(Vec<u8>, Vec<u8>)> {
    thread::spawn(move || {
        let Ok((down, _)) = listener.accept() else {
            return (Vec::new(), Vec::new());
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        let up = loop {
            match TcpStream::connect(&upstream) {
                Ok(s) => break Some(s),
                Err(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(50)),
                Err(_) => break None,
            }
        };
        let Some(up) = up else {
            return (Vec::new(), Vec::new());
        };
        let pipe = |mut from: TcpStream, mut to: TcpStream| {
            thread::spawn(move || {
                let _ = from.set_read_timeout(Some(Duration::from_secs(10)));
                let mut seen = Vec::new();
                let mut buf = [0u8; 16384];
                loop {
                    match from.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            seen.extend_from_slice(&buf[..n]);
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                    }
                }
                let _ = to.shutdown(Shutdown::Write);
                seen
            })
        };
        let (Ok(d2), Ok(u2)) = (down.try_clone(), up.try_clone()) else {
            return (Vec::new(), Vec::new());
        };
        let c2s = pipe(down, up);
        let s2c = pipe(u2, d2);
        (
            c2s.join().unwrap_or_default(),
            s2c.join().unwrap_or_default(),
        )
    })
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One OpenSSL s_client <-> s_server exchange through the recording relay.
fn openssl_exchange(
    fixture_dir: &Path,
    client_args: &[&str],
    server_args: &[&str],
) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let server_port = free_port()?;
    let relay = TcpListener::bind("127.0.0.1:0")?;
    let relay_port = relay.local_addr()?.port();
    let mut server = Command::new("openssl")
        .arg("s_server")
        .args([
            "-accept",
            &server_port.to_string(),
            "-naccept",
            "1",
            "-quiet",
        ])
        .arg("-cert")
        .arg(fixture_dir.join("leaf.pem"))
        .arg("-key")
        .arg(fixture_dir.join("leaf.key.pem"))
        .arg("-cert_chain")
        .arg(fixture_dir.join("inter.pem"))
        .args(server_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let recorder = relay_once(relay, format!("127.0.0.1:{server_port}"));
    // Let s_server start listening (the relay retries its upstream connect too).
    thread::sleep(Duration::from_millis(300));
    let mut client = Command::new("openssl")
        .arg("s_client")
        .args(["-connect", &format!("127.0.0.1:{relay_port}"), "-quiet"])
        .args(["-servername", "localhost"])
        .args(client_args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = client.stdin.take() {
        let _ = stdin.write_all(b"hello from s_client\n");
        thread::sleep(Duration::from_millis(500));
        drop(stdin);
    }
    if let Some(mut stdin) = server.stdin.take() {
        let _ = stdin.write_all(b"hello from s_server\n");
        thread::sleep(Duration::from_millis(300));
        drop(stdin);
    }
    let stop = Instant::now() + Duration::from_secs(5);
    for child in [&mut client, &mut server] {
        while Instant::now() < stop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    recorder
        .join()
        .map_err(|_| io::Error::other("relay thread panicked"))
}

/// Seeds from OpenSSL transcripts; returns how many exchanges were recorded.
pub fn record_openssl(corpus: &mut Corpus, fixture_dir: &Path) -> usize {
    let runs: &[(&str, &[&str], &[&str])] = &[
        ("tls13", &["-tls1_3"], &[]),
        (
            "tls13-chacha",
            &["-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"],
            &[],
        ),
        ("tls13-p384", &["-tls1_3", "-groups", "P-384"], &[]),
        (
            "tls13-hrr",
            &["-tls1_3", "-groups", "X25519:P-256"],
            &["-groups", "P-256"],
        ),
        (
            "tls12-gcm",
            &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
            &[],
        ),
        (
            "tls12-chacha",
            &["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"],
            &[],
        ),
        (
            "tls12-cbc",
            &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"],
            &[],
        ),
        (
            "tls12-cbc-sha1",
            &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA", "-no_etm"],
            &[],
        ),
    ];
    let results = Arc::new(Mutex::new(0usize));
    for (name, client_args, server_args) in runs {
        match openssl_exchange(fixture_dir, client_args, server_args) {
            Ok((c2s, s2c)) if !c2s.is_empty() && !s2c.is_empty() => {
                corpus.add_streams(&format!("openssl-{name}"), &c2s, &s2c);
                if let Ok(mut n) = results.lock() {
                    *n += 1;
                }
            }
            Ok(_) => eprintln!("openssl {name}: nothing recorded"),
            Err(e) => eprintln!("openssl {name}: {e}"),
        }
    }
    let n = results.lock().map(|n| *n).unwrap_or(0);
    n
}

/// The fixture directory (certificates and PEM keys for OpenSSL).
pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzzdata")
}
