//! A fleet of `ferrotls server` processes sharing session-ticket keys
//! (`--ticket-keys`): through one real `redis-server` (Debian's package, started here
//! on a free 127.0.0.1 port with its own data directory, stopped at the end), or
//! through one key file. A session `openssl s_client -sess_out` saved from server A
//! is "Reused" on B and C, over TLS 1.3 and TLS 1.2; servers with their own keys
//! (the default) do not resume each other's sessions. With Redis down every
//! handshake completes (in full) and one line says so; once Redis answers, sharing
//! resumes by itself. And the error sentences of the two flags.

#[allow(dead_code)] // The cli test binary's helpers; this one uses part of them.
#[path = "cli/util.rs"]
mod util;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use ferrotls::client::{ClientConfig, ClientConnection, InMemorySessionStore};
use ferrotls::msgs::enums::ProtocolVersion;
use ferrotls::pki_types::ServerName;
use ferrotls::stream::StreamOwned;

use util::{ferrotls, have, openssl, require, tmpdir, Run, Server};

const REDIS: &str = "redis-server";

/// A `redis-server` this test started on 127.0.0.1; killed on drop.
struct Redis {
    port: u16,
    child: Child,
}

impl Redis {
    /// Starts one with its data in `dir`; `None` when `redis-server` is missing
    /// outside CI (under `CI=true`, [`have`] fails the test instead).
    fn start(dir: &Path) -> Option<Redis> {
        if !have(REDIS) {
            return None;
        }
        // A port free a moment ago may be taken before redis binds it: try a few.
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free loopback port");
            if let Some(redis) = Redis::start_on(dir, port) {
                return Some(redis);
            }
        }
        panic!("{REDIS} did not start on any of 5 free ports");
    }

    /// Starts one on `port`; `None` if it exits (the port is taken) or does not
    /// answer PING within 10 s.
    fn start_on(dir: &Path, port: u16) -> Option<Redis> {
        let mut child = Command::new(REDIS)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(dir)
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                return None; // exited: the port was taken
            }
            if command(port, b"PING\r\n").is_some_and(|r| r.starts_with(b"+PONG")) {
                return Some(Redis { port, child });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one inline command to Redis on `port`; the first reply bytes.
fn command(port: u16, cmd: &[u8]) -> Option<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_millis(500))).ok()?;
    s.write_all(cmd).ok()?;
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// `openssl s_client` to `server` trusting the dev CA, with `extra` flags.
fn s_client(d: &Path, server: &Server, extra: &[&str]) -> Run {
    let connect = format!("127.0.0.1:{}", server.port);
    let mut args = vec![
        "s_client",
        "-connect",
        &connect,
        "-servername",
        "localhost",
        "-CAfile",
        "dev/ferrotls-ca.pem",
        "-verify_return_error",
    ];
    args.extend(extra);
    openssl(d, &args, b"", &[])
}

/// "New" or "Reused", and the version, as s_client reports the session.
fn session_line(r: &Run) -> String {
    r.stdout
        .lines()
        .find(|l| l.starts_with("New, ") || l.starts_with("Reused, "))
        .unwrap_or_else(|| {
            panic!(
                "no session line in s_client's output:\n{}{}",
                r.stdout, r.stderr
            )
        })
        .split(", Cipher")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// `openssl s_client -sess_out SESS` to `server`, its stdin kept open until the
/// session is saved: a TLS 1.3 ticket comes after the handshake, and s_client
/// closing at once on end of input could miss it.
fn s_client_saving(d: &Path, server: &Server, sess: &Path, version: Option<&str>) -> Run {
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{}", server.port),
        ])
        .args(["-servername", "localhost", "-CAfile", "dev/ferrotls-ca.pem"])
        .arg("-verify_return_error")
        .arg("-sess_out")
        .arg(sess)
        .args(version)
        .current_dir(d)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    let stdin = child.stdin.take();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !std::fs::metadata(sess).is_ok_and(|m| m.len() > 0) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(stdin);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    Run::from(child.wait_with_output().unwrap())
}

/// For TLS 1.3 and TLS 1.2: a session saved from `first`, offered to each of
/// `then`; the session lines s_client printed for those.
fn across(d: &Path, first: &Server, then: &[&Server]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (name, version) in [("TLSv1.3", None), ("TLSv1.2", Some("-tls1_2"))] {
        let path = d.join(format!("{name}-{}.sess", first.port));
        let _ = std::fs::remove_file(&path);
        let r = s_client_saving(d, first, &path, version);
        assert_eq!(session_line(&r), format!("New, {name}"), "{}", r.stdout);
        let sess = path.to_str().unwrap();
        assert!(
            std::fs::metadata(sess).is_ok_and(|m| m.len() > 0),
            "{name}: s_client saved the session: {}{}",
            r.stdout,
            r.stderr
        );
        let mut lines = Vec::new();
        for server in then {
            let mut args = vec!["-sess_in", sess];
            args.extend(version);
            lines.push(session_line(&s_client(d, server, &args)));
        }
        out.push((name.to_string(), lines));
    }
    out
}

/// Like [`across`] for servers that may issue no ticket: the session s_client saves
/// (if any) from `first`, offered to each of `then`.
fn across_unsaved(d: &Path, first: &Server, then: &[&Server]) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for (name, version) in [("TLSv1.3", None), ("TLSv1.2", Some("-tls1_2"))] {
        let path = d.join(format!("{name}-{}-unsaved.sess", first.port));
        let sess = path.to_str().unwrap();
        let mut args = vec!["-sess_out", sess];
        args.extend(version);
        let r = s_client(d, first, &args);
        assert_eq!(session_line(&r), format!("New, {name}"), "{}", r.stdout);
        let mut lines = Vec::new();
        for server in then {
            // No file when no ticket came and s_client saved nothing (TLS 1.3).
            let mut args = if path.exists() {
                vec!["-sess_in", sess]
            } else {
                vec![]
            };
            args.extend(version);
            lines.push(session_line(&s_client(d, server, &args)));
        }
        out.push((name.to_string(), lines));
    }
    out
}

/// The server's connection log lines that say "resumed".
fn resumed_lines(server: &Server) -> usize {
    server
        .log()
        .iter()
        .filter(|l| l.contains(" resumed sni="))
        .count()
}

fn write_fleet_key(d: &Path) -> PathBuf {
    let path = d.join("fleet.key");
    // A fixed secret is fine for a test; a fleet makes one with `openssl rand -hex 32`.
    std::fs::write(&path, format!("{}\n", "5a".repeat(32))).unwrap();
    path
}

#[test]
fn sessions_from_one_server_resume_on_the_others_through_redis() {
    require("openssl");
    let d = tmpdir("fleet-redis");
    let Some(redis) = Redis::start(&d) else {
        return;
    };
    let key = write_fleet_key(&d);
    let url = redis.url();
    let flags = [
        "--dev",
        "--ticket-keys",
        &url,
        "--fleet-key-file",
        key.to_str().unwrap(),
    ];
    // Three servers on their own ports; the first makes the dev certificate.
    let a = Server::start(&d, &flags);
    let b = Server::start(&d, &flags);
    let c = Server::start(&d, &flags);
    assert!(a.port != b.port && b.port != c.port && a.port != c.port);
    for s in [&a, &b, &c] {
        let log = s.log();
        assert!(
            log.iter().any(|l| l
                == &format!(
                "Ticket keys: shared through Redis at {url}, sealed under the fleet key from {}.",
                key.display()
            )),
            "{log:#?}"
        );
    }

    let results = across(&d, &a, &[&b, &c, &a]);
    for (version, lines) in &results {
        assert_eq!(
            lines,
            &vec![format!("Reused, {version}"); 3],
            "{version}: A's session on B, C, then A"
        );
    }
    // ... and the other way round: B's session on A.
    for (version, lines) in across(&d, &b, &[&a]) {
        assert_eq!(lines, vec![format!("Reused, {version}")], "B's on A");
    }
    b.wait_for(2, |l| l.contains(" resumed sni="));
    c.wait_for(2, |l| l.contains(" resumed sni="));
    a.wait_for(4, |l| l.contains(" resumed sni="));

    // The keys are in Redis, sealed: no stored value holds a bare 32-byte key.
    let keys = command(redis.port, b"KEYS ferrotls:ticket-key:*\r\n").unwrap();
    let listed = String::from_utf8_lossy(&keys);
    assert!(
        listed.starts_with('*') && !listed.starts_with("*0"),
        "{listed}"
    );
    let name = listed
        .lines()
        .find(|l| l.starts_with("ferrotls:ticket-key:"))
        .unwrap();
    let stored = command(redis.port, format!("STRLEN {name}\r\n").as_bytes()).unwrap();
    let len: usize = String::from_utf8_lossy(&stored)
        .trim()
        .trim_start_matches(':')
        .parse()
        .unwrap();
    // Kind byte, then version, nonce, the 32 bytes and the tag.
    assert_eq!(len, 1 + 1 + 12 + 32 + 16, "{name} is sealed");
}

#[test]
fn tls12_session_ids_resume_across_servers_sharing_a_session_store() {
    require("openssl");
    let d = tmpdir("fleet-store");
    let Some(redis) = Redis::start(&d) else {
        return;
    };
    let key = write_fleet_key(&d);
    let url = redis.url();
    // No tickets: TLS 1.2 clients resume by session ID only, from the shared store.
    let flags = [
        "--dev",
        "--no-tickets",
        "--session-store",
        &url,
        "--fleet-key-file",
        key.to_str().unwrap(),
    ];
    let a = Server::start(&d, &flags);
    let b = Server::start(&d, &flags);
    let c = Server::start(&d, &flags);
    let said = format!(
        "Sessions: shared through Redis at {url}, sealed under the fleet key; 0-RTT \
         ClientHellos recorded there."
    );
    assert!(a.log().contains(&said), "{:#?}", a.log());
    let sess = d.join("id.sess");
    let sess = sess.to_str().unwrap();
    let r = s_client(&d, &a, &["-tls1_2", "-sess_out", sess]);
    assert_eq!(session_line(&r), "New, TLSv1.2");
    // The session is written in the background: the next client comes a moment later.
    std::thread::sleep(Duration::from_millis(200));
    for (i, to) in [&b, &c, &a, &b].into_iter().enumerate() {
        let r = s_client(&d, to, &["-tls1_2", "-sess_in", sess]);
        assert_eq!(session_line(&r), "Reused, TLSv1.2", "reconnection {i}");
    }
    // Control: a server with its own cache does not know A's session.
    let alone = Server::start(&d, &["--dev", "--no-tickets"]);
    let r = s_client(&d, &alone, &["-tls1_2", "-sess_in", sess]);
    assert_eq!(session_line(&r), "New, TLSv1.2");
    // One session in Redis, under the fleet's prefix.
    let keys = command(redis.port, b"KEYS ferrotls:session:*\r\n").unwrap();
    assert!(
        String::from_utf8_lossy(&keys).starts_with("*1"),
        "one session"
    );
}

#[test]
fn early_data_from_one_ticket_is_accepted_once_across_the_fleet() {
    require("openssl");
    let d = tmpdir("fleet-0rtt");
    let Some(redis) = Redis::start(&d) else {
        return;
    };
    let key = write_fleet_key(&d);
    let url = redis.url();
    let flags = [
        "--dev",
        "--early-data",
        "1024",
        "--session-store",
        &url,
        "--fleet-key-file",
        key.to_str().unwrap(),
    ];
    let a = Server::start(&d, &flags);
    let b = Server::start(&d, &flags);
    let path = d.join("0rtt.sess");
    let r = s_client_saving(&d, &a, &path, None);
    assert_eq!(session_line(&r), "New, TLSv1.3");
    std::thread::sleep(Duration::from_millis(200));
    let early = d.join("early.txt");
    std::fs::write(&early, b"GET /once\n").unwrap();
    let sess = path.to_str().unwrap();
    let early = early.to_str().unwrap();
    // The ticket from A, with early data, to B, then again to A and to B.
    let mut accepted = Vec::new();
    for to in [&b, &a, &b] {
        let r = s_client(&d, to, &["-sess_in", sess, "-early_data", early]);
        let said = |w: &str| r.stdout.contains(&format!("Early data was {w}"));
        assert!(
            said("accepted") != said("rejected"),
            "{}{}",
            r.stdout,
            r.stderr
        );
        accepted.push(said("accepted"));
    }
    assert_eq!(accepted, [true, false, false], "accepted exactly once");
    b.wait_for(1, |l| l.contains(" 0-RTT=10B"));
    assert_eq!(
        a.log().iter().filter(|l| l.contains(" 0-RTT=")).count(),
        0,
        "{:#?}",
        a.log()
    );
}

#[test]
fn servers_with_their_own_keys_do_not_resume_each_others_sessions() {
    require("openssl");
    let d = tmpdir("fleet-control");
    let a = Server::start(&d, &["--dev"]);
    let b = Server::start(&d, &["--dev"]);
    for (version, lines) in across(&d, &a, &[&b, &a]) {
        assert_eq!(
            lines,
            vec![format!("New, {version}"), format!("Reused, {version}")],
            "{version}: B cannot open A's ticket (nor knows its session ID); A can"
        );
    }
    assert_eq!(resumed_lines(&b), 0, "{:#?}", b.log());
}

/// One connection of the ferrotls client (the library) to `server`: sends a line,
/// reads its echo (by then TLS 1.3 tickets have arrived), closes; whether it resumed.
fn ferrotls_connect(config: &Arc<ClientConfig>, server: &Server) -> bool {
    let name = ServerName::try_from("localhost").unwrap();
    let conn = ClientConnection::new(config.clone(), name).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut tls = StreamOwned::new(conn, tcp);
    tls.handshake().expect("the handshake completes");
    tls.write_all(b"ping\n").unwrap();
    tls.flush().unwrap();
    let mut echo = [0u8; 5];
    tls.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"ping\n");
    let _ = tls.close();
    tls.conn.negotiated().resumed
}

#[test]
fn the_ferrotls_client_resumes_across_the_fleet() {
    let d = tmpdir("fleet-client");
    let Some(redis) = Redis::start(&d) else {
        return;
    };
    let key = write_fleet_key(&d);
    let url = redis.url();
    let flags = [
        "--dev",
        "--ticket-keys",
        &url,
        "--fleet-key-file",
        key.to_str().unwrap(),
    ];
    let fleet = [
        Server::start(&d, &flags),
        Server::start(&d, &flags),
        Server::start(&d, &flags),
    ];
    let leaf = ferrotls::pem::load_certs(d.join("dev/localhost.pem")).unwrap();
    for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
        let config = ClientConfig::pinned(leaf[..1].to_vec())
            .unwrap()
            .versions(&[version])
            .session_store(Arc::new(InMemorySessionStore::new(4)))
            .build()
            .unwrap();
        assert!(
            !ferrotls_connect(&config, &fleet[0]),
            "{version:?}: first is full"
        );
        // Round-robin over the three servers, each reconnection on the next one.
        for i in 1..=6 {
            assert!(
                ferrotls_connect(&config, &fleet[i % 3]),
                "{version:?}: reconnection {i} resumed on server {}",
                i % 3
            );
        }
    }
}

#[test]
fn redis_down_costs_tickets_not_handshakes_and_sharing_resumes_when_it_answers() {
    require("openssl");
    let d = tmpdir("fleet-down");
    if !have(REDIS) {
        return;
    }
    // Nothing listens on this port yet.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let url = format!("redis://127.0.0.1:{port}");
    let key = write_fleet_key(&d);
    let flags = [
        "--dev",
        "--ticket-keys",
        &url,
        "--fleet-key-file",
        key.to_str().unwrap(),
    ];
    let start = Instant::now();
    let a = Server::start(&d, &flags);
    let b = Server::start(&d, &flags);
    eprintln!(
        "two servers started with Redis down in {:?}",
        start.elapsed()
    );
    // Every handshake completes; without a key there is no ticket, so B gives a
    // full handshake (A still resumes TLS 1.2 by session ID, from its own cache).
    let results = across_unsaved(&d, &a, &[&b, &a]);
    assert_eq!(
        results,
        [
            ("TLSv1.3".to_string(), vec!["New, TLSv1.3".to_string(); 2]),
            (
                "TLSv1.2".to_string(),
                vec!["New, TLSv1.2".to_string(), "Reused, TLSv1.2".to_string()]
            ),
        ]
    );
    let down = |s: &Server| {
        s.log()
            .into_iter()
            .filter(|l| l.starts_with(&format!("ticket-key store on {url} is down (")))
            .count()
    };
    // One line per state change, however many handshakes and refreshes.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!((down(&a), down(&b)), (1, 1), "{:#?}", a.log());
    let line = a
        .log()
        .into_iter()
        .find(|l| l.contains(" is down ("))
        .unwrap();
    assert_eq!(
        line,
        format!(
            "ticket-key store on {url} is down (connection failed: Connection refused \
             (os error 111)); no new ticket keys can be shared (tickets under keys already \
             read still work) until it answers again"
        )
    );

    // Redis comes up on that port: within a few refreshes, tickets are shared.
    let Some(_redis) = Redis::start_on(&d, port) else {
        panic!("{REDIS} did not start on port {port}");
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let again = format!("ticket-key store on {url} answers again; sharing resumes");
    for s in [&a, &b] {
        s.wait_for(1, |l| l == again);
    }
    loop {
        let results = across(&d, &a, &[&b]);
        if results
            .iter()
            .all(|(v, l)| l == &vec![format!("Reused, {v}")])
        {
            break;
        }
        assert!(Instant::now() < deadline, "sharing resumes: {results:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A key file valid now: one key sealing for the next hour, opening for two.
fn write_key_file(d: &Path) -> PathBuf {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let path = d.join("ticket.keys");
    std::fs::write(
        &path,
        format!(
            "# id introduced encrypt-until decrypt-until material\n\
             0000002a {} {} {} {}\n",
            now - 60,
            now + 3600,
            now + 7200,
            "c3".repeat(32)
        ),
    )
    .unwrap();
    path
}

#[test]
fn sessions_resume_across_servers_sharing_a_key_file() {
    require("openssl");
    let d = tmpdir("fleet-file");
    let file = write_key_file(&d);
    let flags = ["--dev", "--ticket-keys", file.to_str().unwrap()];
    let a = Server::start(&d, &flags);
    let b = Server::start(&d, &flags);
    assert!(
        a.log().iter().any(|l| l
            == &format!(
                "Ticket keys: from {}, reread when it changes.",
                file.display()
            )),
        "{:#?}",
        a.log()
    );
    for (version, lines) in across(&d, &a, &[&b]) {
        assert_eq!(lines, vec![format!("Reused, {version}")], "A's on B");
    }
    b.wait_for(2, |l| l.contains(" resumed sni="));
}

#[test]
fn ticket_key_flags_explain_their_errors() {
    let d = tmpdir("fleet-errors");
    let key = write_fleet_key(&d);
    let key = key.to_str().unwrap();
    std::fs::write(d.join("short.key"), "0011\n").unwrap();
    std::fs::write(d.join("text.key"), "not hex\n").unwrap();
    std::fs::write(d.join("bad.keys"), "1 2 3\n").unwrap();
    let cases: [(&[&str], &str); 11] = [
        (
            &[
                "--ticket-keys",
                "redis://127.0.0.1:notaport",
                "--fleet-key-file",
                key,
            ],
            "ferrotls: --ticket-keys: \"redis://127.0.0.1:notaport\" is not a Redis URL \
             (Redis URL did not parse - InvalidClientConfig); write redis://HOST:PORT",
        ),
        (
            &["--ticket-keys", "http://127.0.0.1:6379"],
            "ferrotls: --ticket-keys http://127.0.0.1:6379: only Redis URLs are supported \
             (redis://HOST:PORT); anything else is read as a key file",
        ),
        (
            &["--ticket-keys", "redis://127.0.0.1:6379"],
            "ferrotls: --ticket-keys redis://127.0.0.1:6379: give --fleet-key-file FILE as well \
             (the fleet secret in hex, `openssl rand -hex 32`), so ticket keys never sit in \
             Redis in the clear",
        ),
        (
            &["--ticket-keys", "missing.keys"],
            "ferrotls: --ticket-keys: cannot read ticket-key file missing.keys: \
             No such file or directory (os error 2)",
        ),
        (
            &["--ticket-keys", "bad.keys"],
            "ferrotls: --ticket-keys: ticket-key file bad.keys, line 1: expected 5 fields: \
             id introduced encrypt-until decrypt-until material",
        ),
        (
            &[
                "--ticket-keys",
                "redis://127.0.0.1:6379",
                "--fleet-key-file",
                "missing.key",
            ],
            "ferrotls: --fleet-key-file missing.key: cannot read it: \
             No such file or directory (os error 2)",
        ),
        (
            &[
                "--ticket-keys",
                "redis://127.0.0.1:6379",
                "--fleet-key-file",
                "short.key",
            ],
            "ferrotls: --fleet-key-file short.key: the fleet secret is 2 bytes; \
             it must be at least 32 random bytes",
        ),
        (
            &[
                "--ticket-keys",
                "redis://127.0.0.1:6379",
                "--fleet-key-file",
                "text.key",
            ],
            "ferrotls: --fleet-key-file text.key: expected the fleet secret in hex; \
             make one with `openssl rand -hex 32 > text.key`",
        ),
        (
            &["--ticket-keys", "bad.keys", "--fleet-key-file", "short.key"],
            "ferrotls: --fleet-key-file short.key: only used with --ticket-keys redis://... or \
             --session-store redis://...; a key file holds its keys as they are",
        ),
        (
            &["--session-store", "redis://127.0.0.1:6379"],
            "ferrotls: --session-store redis://127.0.0.1:6379: give --fleet-key-file FILE as \
             well (the fleet secret in hex, `openssl rand -hex 32`), so sessions never sit in \
             Redis in the clear",
        ),
        (
            &[
                "--session-store",
                "memcached://127.0.0.1:1",
                "--fleet-key-file",
                "short.key",
            ],
            "ferrotls: --session-store memcached://127.0.0.1:1: only Redis URLs are supported \
             (redis://HOST:PORT)",
        ),
    ];
    for (flags, message) in cases {
        let mut args = vec!["server", "--port", "0"];
        args.extend(flags);
        let r = ferrotls(&d, &args);
        assert_eq!(r.code, 1, "{flags:?}: {}", r.stderr);
        assert_eq!(r.stderr.trim_end(), message, "{flags:?}");
    }
    // Tickets off and shared tickets at once is a usage error.
    let r = ferrotls(&d, &["server", "--ticket-keys", "t.keys", "--no-tickets"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("'--ticket-keys <URL|FILE>' cannot be used with '--no-tickets'"),
        "{}",
        r.stderr
    );
    // --help documents both flags.
    let help = ferrotls(&d, &["server", "--help"]).stdout;
    for text in [
        "--ticket-keys <URL|FILE>",
        "--fleet-key-file <FILE>",
        "openssl rand -hex 32",
    ] {
        assert!(help.contains(text), "{text} in:\n{help}");
    }
}
