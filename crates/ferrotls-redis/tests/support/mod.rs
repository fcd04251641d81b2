//! Test harness: a real `redis-server` (Debian's package) on a free 127.0.0.1 port
//! with its own data directory, stopped on drop; and fake servers that answer
//! garbage or answer too late, for the fault tests.

#![allow(dead_code)] // Each test binary uses part of the harness.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ferrotls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use ferrotls_redis::{LinkConfig, MemoryLog};

const REDIS: &str = "redis-server";

/// Whether `redis-server` is installed. Under `CI=true` a missing server fails the
/// test (scripts/test.sh installs it); elsewhere it says so loudly and the caller
/// returns.
pub fn have_redis() -> bool {
    let found = Command::new(REDIS)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{REDIS} is not installed, and CI=true: this test needs it \
             (apt-get install redis-server, or run scripts/test.sh)"
        );
        eprintln!(
            "\n*** NOT RUN: {REDIS} is not installed; `sudo apt-get install redis-server` \
             to run this test ***\n"
        );
    }
    found
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

static DIRS: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(what: &str) -> Self {
        let n = DIRS.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("ferrotls-redis-{what}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `redis-server` process this test started; killed on drop.
pub struct RedisServer {
    pub port: u16,
    dir: TempDir,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts one, or `None` when `redis-server` is missing outside CI.
    pub fn start() -> Option<Self> {
        if !have_redis() {
            return None;
        }
        // A port that was free can be taken before redis binds it: try a few.
        for _ in 0..5 {
            let mut server = RedisServer {
                port: free_port(),
                dir: TempDir::new("data"),
                child: None,
            };
            if server.spawn() {
                return Some(server);
            }
        }
        panic!("{REDIS} did not start on any of 5 free ports");
    }

    fn spawn(&mut self) -> bool {
        let child = Command::new(REDIS)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--dir")
            .arg(&self.dir.0)
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return false; // exited: the port was taken
            }
            if self.ping() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.stop();
        false
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A link config for this server with `deadline` and `log`.
    pub fn config(&self, deadline: Duration, log: &Arc<MemoryLog>) -> LinkConfig {
        let mut c = LinkConfig::new(&self.url());
        c.deadline = deadline;
        c.retry_interval = Duration::from_millis(100);
        c.log = log.clone();
        c
    }

    /// Stops the server (the port stays ours to restart on).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: nothing is persisted).
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.spawn() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("{REDIS} did not restart on port {}", self.port);
    }

    /// A plain client, for reading and writing raw values behind the crate's back.
    pub fn raw(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .and_then(|c| c.get_connection())
            .expect("a plain connection to the test redis-server")
    }

    /// GET of a raw key.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        redis::cmd("GET")
            .arg(key)
            .query(&mut self.raw())
            .expect("GET")
    }

    /// SET of a raw key, without expiry.
    pub fn set(&self, key: &[u8], value: &[u8]) {
        let () = redis::cmd("SET")
            .arg(key)
            .arg(value)
            .query(&mut self.raw())
            .expect("SET");
    }

    /// PTTL of a raw key in milliseconds (-2: absent, -1: no expiry).
    pub fn pttl(&self, key: &[u8]) -> i64 {
        redis::cmd("PTTL")
            .arg(key)
            .query(&mut self.raw())
            .expect("PTTL")
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a fake server does with each connection.
#[derive(Clone, Copy, Debug)]
pub enum Fake {
    /// Answers every read with bytes that are not RESP.
    Garbage,
    /// Answers every read with a well-formed RESP integer, whatever was asked.
    WrongType,
    /// Answers `+OK` only after this long.
    Slow(Duration),
}

/// A fake Redis on 127.0.0.1 (a thread per connection); stopped on drop.
pub struct FakeServer {
    pub port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
    /// Connections accepted so far.
    pub connections: Arc<AtomicUsize>,
}

impl FakeServer {
    pub fn start(kind: Fake) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback listener");
        let port = listener.local_addr().expect("its address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let (s, n) = (stop.clone(), connections.clone());
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Acquire) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                n.fetch_add(1, Ordering::Relaxed);
                let s = s.clone();
                std::thread::spawn(move || serve(conn, kind, &s));
            }
        });
        FakeServer {
            port,
            stop,
            accept: Some(accept),
            connections,
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn config(&self, deadline: Duration, log: &Arc<MemoryLog>) -> LinkConfig {
        let mut c = LinkConfig::new(&self.url());
        c.deadline = deadline;
        c.retry_interval = Duration::from_millis(100);
        c.log = log.clone();
        c
    }
}

fn serve(mut conn: TcpStream, kind: Fake, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(100)));
    let mut buf = [0u8; 4096];
    let mut pending = Vec::new();
    while !stop.load(Ordering::Acquire) {
        match conn.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return,
        }
        // One reply per complete command (clients pipeline their setup commands).
        let commands = take_commands(&mut pending).max(1);
        for _ in 0..commands {
            let reply: &[u8] = match kind {
                Fake::Garbage => b"\x00\xffthis is not redis\x07\r\n?",
                Fake::WrongType => b":1\r\n",
                Fake::Slow(after) => {
                    std::thread::sleep(after);
                    b"+OK\r\n"
                }
            };
            if conn.write_all(reply).is_err() {
                return;
            }
        }
    }
}

/// Removes the complete RESP commands (`*N` arrays of `$L` strings) at the front of
/// `buf` and returns how many there were.
fn take_commands(buf: &mut Vec<u8>) -> usize {
    fn line(buf: &[u8], at: usize) -> Option<(usize, usize)> {
        let end = at + buf.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
        let n = std::str::from_utf8(buf.get(at + 1..end)?)
            .ok()?
            .parse()
            .ok()?;
        Some((n, end + 2))
    }
    fn command(buf: &[u8]) -> Option<usize> {
        if buf.first() != Some(&b'*') {
            return None;
        }
        let (args, mut at) = line(buf, 0)?;
        for _ in 0..args {
            let (len, next) = line(buf, at)?;
            at = next + len + 2;
            buf.get(..at)?;
        }
        Some(at)
    }
    let mut count = 0;
    while let Some(used) = command(buf) {
        buf.drain(..used);
        count += 1;
    }
    count
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// Runs `op` and returns its output and how long it took.
pub async fn timed<T>(op: impl std::future::Future<Output = T>) -> (T, Duration) {
    let start = Instant::now();
    let out = op.await;
    (out, start.elapsed())
}

/// A fleet secret for tests.
pub const SECRET: [u8; 32] = [0x5a; 32];

/// A self-signed certificate for "localhost" and its key, for the servers of a test.
pub struct Cert {
    pub leaf: CertificateDer<'static>,
    pub key: PrivateKeyDer<'static>,
}

pub fn cert() -> Cert {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    Cert {
        leaf: ck.cert.der().clone(),
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der())),
    }
}
