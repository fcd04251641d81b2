//! The load and soak run: a ferrotls-tokio echo server in a child process and N
//! concurrent clients in this one.
//!
//! ```text
//! parent (clients)                                child (`ferrotls-load serve`)
//!   spawn child, read "cert HEX" "listening ADDR" <-  fresh rcgen certificate, TlsAcceptor
//!   N honest clients: handshake, echo checksummed  -> echo every byte until close_notify
//!     payloads, wait until all are connected (hold), echo once more, close_notify
//!   fault clients: hang up mid-handshake, half a record then stall, garbage,
//!     no close_notify
//!   "stats" / "trim" on the child's stdin          <-  open connections, handshakes, RSS
//! ```
//!
//! The run fails (non-zero exit) if any honest client fails, the server dies, or the
//! server still holds connections after every client has gone.

use std::io;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrotls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use ferrotls::{ClientConfig, ServerConfig};
use ferrotls_tokio::{TlsAcceptor, TlsConnector};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, Semaphore};

/// What a run does; see `--help`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Honest clients, all held open at once.
    pub connections: usize,
    /// Misbehaving clients mixed in, the four kinds in turn.
    pub faults: usize,
    /// Echo rounds per honest client before the hold.
    pub rounds: usize,
    /// How long all connections are held open once the last one is up.
    pub hold: Duration,
    /// The server's handshake deadline (frees stalled clients).
    pub handshake_timeout: Duration,
    /// Handshakes in flight at once from this side (connect ramp).
    pub concurrency: usize,
    /// The whole run must finish within this, or it fails.
    pub deadline: Duration,
    /// Server worker threads.
    pub server_threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            connections: 1000,
            faults: 0,
            rounds: 3,
            hold: Duration::from_secs(1),
            handshake_timeout: Duration::from_secs(3),
            concurrency: 128,
            deadline: Duration::from_secs(600),
            server_threads: 2,
        }
    }
}

pub const USAGE: &str = "\
usage: ferrotls-load [--connections N] [--faults N] [--rounds N] [--duration SECS]
                     [--handshake-timeout SECS] [--concurrency N] [--deadline SECS]
                     [--server-threads N]
       ferrotls-load serve [--handshake-timeout SECS] [--server-threads N]

Starts a ferrotls-tokio echo server in a child process (127.0.0.1, fresh certificate)
and N concurrent clients pinned to its certificate. Each client handshakes, echoes a
checksummed payload (1..64 KiB) --rounds times, stays open until all N are connected
(then --duration seconds more), echoes once more and closes with close_notify.
--faults N adds misbehaving clients (mid-handshake hang-up, half a record then stall,
garbage, no close_notify). Exits non-zero if any honest client failed, the server
died, or it did not free every connection.

defaults: --connections 1000 --faults 0 --rounds 3 --duration 1 --handshake-timeout 3
          --concurrency 128 --deadline 600 --server-threads 2";

/// The parsed command line.
#[derive(Debug)]
pub enum Command {
    Run(Options),
    Serve(Options),
    Help,
}

pub fn parse_args(args: &[String]) -> Result<Command, String> {
    let mut opts = Options::default();
    let mut serve = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = it.next().ok_or(format!("{name} needs a value"))?;
            v.parse::<u64>()
                .map_err(|_| format!("{name} wants a whole number, not {v:?}"))
        };
        match arg.as_str() {
            "serve" => serve = true,
            "--connections" | "-n" => opts.connections = value(arg)? as usize,
            "--faults" => opts.faults = value(arg)? as usize,
            "--rounds" => opts.rounds = value(arg)? as usize,
            "--duration" => opts.hold = Duration::from_secs(value(arg)?),
            "--handshake-timeout" => opts.handshake_timeout = Duration::from_secs(value(arg)?),
            "--concurrency" => opts.concurrency = (value(arg)? as usize).max(1),
            "--deadline" => opts.deadline = Duration::from_secs(value(arg)?),
            "--server-threads" => opts.server_threads = (value(arg)? as usize).max(1),
            "--help" | "-h" => return Ok(Command::Help),
            other => return Err(format!("unknown argument {other:?}\n\n{USAGE}")),
        }
    }
    Ok(if serve {
        Command::Serve(opts)
    } else {
        Command::Run(opts)
    })
}

/// Raises the soft open-file limit to the hard limit; returns the new soft limit.
pub fn raise_nofile_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    #[allow(unsafe_code)] // reason: no safe wrapper in std for setrlimit
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 0;
        }
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
    }
    lim.rlim_cur
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    #[allow(unsafe_code)] // reason: no safe wrapper in std for sysconf
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).unwrap_or(4096)
}

/// Resident set size of process `pid` in bytes, from /proc/PID/statm.
pub fn rss_bytes(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/statm")).ok()?;
    let pages: u64 = text.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// FNV-1a, 64 bits: the payload checksum.
pub fn checksum(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// xorshift64*: payload lengths and bytes.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

// ---------------------------------------------------------------------------------
// The server (child process).

#[derive(Debug, Default)]
struct ServerStats {
    open: AtomicUsize,
    accepted: AtomicU64,
    handshakes: AtomicU64,
    handshake_failures: AtomicU64,
    clean_closes: AtomicU64,
    unclean_closes: AtomicU64,
    echoed: AtomicU64,
}

impl ServerStats {
    fn line(&self) -> String {
        format!(
            "stats open={} accepted={} handshakes={} handshake_failures={} clean_closes={} unclean_closes={} echoed={}",
            self.open.load(Ordering::SeqCst),
            self.accepted.load(Ordering::SeqCst),
            self.handshakes.load(Ordering::SeqCst),
            self.handshake_failures.load(Ordering::SeqCst),
            self.clean_closes.load(Ordering::SeqCst),
            self.unclean_closes.load(Ordering::SeqCst),
            self.echoed.load(Ordering::SeqCst),
        )
    }
}

/// Decrements the open count when a connection task ends, however it ends.
struct OpenGuard(Arc<ServerStats>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// `ferrotls-load serve`: prints `cert HEX` and `listening ADDR`, then answers
/// `stats` and `trim` lines on stdin; exits at `quit` or end of stdin.
pub fn serve(opts: &Options) -> io::Result<()> {
    raise_nofile_limit();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(opts.server_threads)
        .enable_all()
        .build()?;
    rt.block_on(serve_async(opts.clone()))
}

async fn serve_async(opts: Options) -> io::Result<()> {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()])
        .map_err(io::Error::other)?;
    let leaf = ck.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()));
    let config = ServerConfig::builder()
        .cert(vec![leaf.clone()], &key)
        .and_then(|b| b.build())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let acceptor = TlsAcceptor::from(config);

    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind("127.0.0.1:0".parse().map_err(io::Error::other)?)?;
    let listener: TcpListener = socket.listen(4096)?;
    let addr = listener.local_addr()?;
    let stats = Arc::new(ServerStats::default());

    let hex: String = leaf.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    println!("cert {hex}");
    println!("listening {addr}");

    let accept_stats = stats.clone();
    let timeout = opts.handshake_timeout;
    tokio::spawn(async move {
        loop {
            let (tcp, _) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    eprintln!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            let stats = accept_stats.clone();
            stats.accepted.fetch_add(1, Ordering::SeqCst);
            stats.open.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _guard = OpenGuard(stats.clone());
                let _ = tcp.set_nodelay(true);
                let mut tls = match acceptor.accept_with_timeout(tcp, timeout).await {
                    Ok(tls) => tls,
                    Err(_) => {
                        stats.handshake_failures.fetch_add(1, Ordering::SeqCst);
                        return;
                    }
                };
                stats.handshakes.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                loop {
                    match tls.read(&mut buf).await {
                        Ok(0) => {
                            // close_notify: answer with ours.
                            let _ = tls.shutdown().await;
                            stats.clean_closes.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                        Ok(n) => {
                            if tls.write_all(&buf[..n]).await.is_err() {
                                stats.unclean_closes.fetch_add(1, Ordering::SeqCst);
                                return;
                            }
                            stats.echoed.fetch_add(n as u64, Ordering::SeqCst);
                        }
                        Err(_) => {
                            stats.unclean_closes.fetch_add(1, Ordering::SeqCst);
                            return;
                        }
                    }
                }
            });
        }
    });

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        match line.trim() {
            "stats" => println!("{}", stats.line()),
            "trim" => {
                // Give freed memory back to the OS so RSS shows what is really held.
                // SAFETY: malloc_trim has no preconditions.
                #[allow(unsafe_code)] // reason: glibc call with no safe wrapper
                unsafe {
                    libc::malloc_trim(0);
                }
                println!("trimmed");
            }
            "quit" => break,
            _ => println!("unknown command"),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// The clients (parent process).

/// The child server, driven over its stdin/stdout.
struct ServerProcess {
    child: tokio::process::Child,
    stdin: tokio::process::ChildStdin,
    stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    pid: u32,
    addr: SocketAddr,
    cert: CertificateDer<'static>,
}

/// The counters of one `stats` line.
#[derive(Debug, Default, Clone)]
pub struct ServerSnapshot {
    pub open: u64,
    pub accepted: u64,
    pub handshakes: u64,
    pub handshake_failures: u64,
    pub clean_closes: u64,
    pub unclean_closes: u64,
    pub echoed: u64,
    pub rss: u64,
}

impl ServerProcess {
    async fn start(opts: &Options) -> io::Result<Self> {
        let exe = std::env::current_exe()?;
        let mut child = tokio::process::Command::new(exe)
            .arg("serve")
            .arg("--handshake-timeout")
            .arg(opts.handshake_timeout.as_secs().to_string())
            .arg("--server-threads")
            .arg(opts.server_threads.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child
            .id()
            .ok_or_else(|| io::Error::other("server exited at once"))?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let mut stdout = BufReader::new(stdout).lines();
        let mut cert = None;
        let mut addr = None;
        while cert.is_none() || addr.is_none() {
            let line = stdout
                .next_line()
                .await?
                .ok_or_else(|| io::Error::other("server exited before listening"))?;
            if let Some(hex) = line.strip_prefix("cert ") {
                cert = Some(CertificateDer::from(from_hex(hex)?));
            } else if let Some(a) = line.strip_prefix("listening ") {
                addr = Some(a.parse().map_err(io::Error::other)?);
            }
        }
        Ok(ServerProcess {
            child,
            stdin,
            stdout,
            pid,
            addr: addr.unwrap_or_else(|| unreachable!()),
            cert: cert.unwrap_or_else(|| unreachable!()),
        })
    }

    async fn command(&mut self, cmd: &str) -> io::Result<String> {
        self.stdin.write_all(format!("{cmd}\n").as_bytes()).await?;
        self.stdin.flush().await?;
        self.stdout
            .next_line()
            .await?
            .ok_or_else(|| io::Error::other("server exited"))
    }

    async fn stats(&mut self) -> io::Result<ServerSnapshot> {
        let line = self.command("stats").await?;
        let mut s = ServerSnapshot::default();
        for field in line.split_whitespace().skip(1) {
            let Some((k, v)) = field.split_once('=') else {
                continue;
            };
            let v: u64 = v.parse().unwrap_or(0);
            match k {
                "open" => s.open = v,
                "accepted" => s.accepted = v,
                "handshakes" => s.handshakes = v,
                "handshake_failures" => s.handshake_failures = v,
                "clean_closes" => s.clean_closes = v,
                "unclean_closes" => s.unclean_closes = v,
                "echoed" => s.echoed = v,
                _ => {}
            }
        }
        s.rss = rss_bytes(self.pid).unwrap_or(0);
        Ok(s)
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

fn from_hex(hex: &str) -> io::Result<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| io::Error::other("bad hex from server"))
        })
        .collect()
}

/// Shared progress of the honest clients.
#[derive(Debug, Default)]
struct Progress {
    handshakes: AtomicUsize,
    ready: AtomicUsize,
    done: AtomicUsize,
    failed: AtomicUsize,
    verified_bytes: AtomicU64,
    /// Microseconds since the start when the last handshake completed.
    last_handshake_us: AtomicU64,
}

/// The four kinds of misbehaving client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Sends a ClientHello, reads the server's first bytes, hangs up.
    HangUpMidHandshake,
    /// Sends half of the ClientHello record and stalls.
    HalfRecordStall,
    /// Sends bytes that are not TLS.
    Garbage,
    /// Completes the handshake and an echo, then drops the TCP connection.
    NoCloseNotify,
}

const FAULTS: [Fault; 4] = [
    Fault::HangUpMidHandshake,
    Fault::HalfRecordStall,
    Fault::Garbage,
    Fault::NoCloseNotify,
];

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub connections: usize,
    pub faults: usize,
    pub honest_ok: usize,
    pub honest_failed: usize,
    pub fault_failures: usize,
    pub first_errors: Vec<String>,
    pub handshakes_per_sec: f64,
    pub verified_bytes: u64,
    pub rss_baseline: u64,
    pub rss_held: u64,
    pub rss_after: u64,
    pub rss_after_trim: u64,
    pub held: ServerSnapshot,
    pub end: ServerSnapshot,
    pub server_alive: bool,
    pub connection_phase: Duration,
    pub total: Duration,
}

impl Report {
    /// Server memory per held connection, from the RSS before and during the hold.
    pub fn rss_per_connection(&self) -> u64 {
        let held = self.held.open.max(1);
        self.rss_held.saturating_sub(self.rss_baseline) / held
    }

    /// Whether the run passed: every honest client verified every byte, the server
    /// stayed up and freed every connection, and every fault was handled.
    pub fn passed(&self) -> bool {
        self.honest_failed == 0
            && self.honest_ok == self.connections
            && self.server_alive
            && self.end.open == 0
            && self.fault_failures == 0
    }

    pub fn print(&self) {
        let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
        println!(
            "ferrotls-load: {} connections, {} faults",
            self.connections, self.faults
        );
        println!(
            "  honest clients ok:          {} / {} (failed {})",
            self.honest_ok, self.connections, self.honest_failed
        );
        println!("  fault clients mishandled:   {}", self.fault_failures);
        println!(
            "  handshakes/s:               {:.0}",
            self.handshakes_per_sec
        );
        println!(
            "  bytes verified (echo):      {} ({:.1} MiB)",
            self.verified_bytes,
            mib(self.verified_bytes)
        );
        println!(
            "  server RSS baseline:        {:.1} MiB",
            mib(self.rss_baseline)
        );
        println!(
            "  server RSS while holding:   {:.1} MiB with {} open connections",
            mib(self.rss_held),
            self.held.open
        );
        println!(
            "  server RSS per connection:  {:.1} KiB",
            self.rss_per_connection() as f64 / 1024.0
        );
        println!(
            "  server RSS after close:     {:.1} MiB ({:.1} MiB after malloc_trim)",
            mib(self.rss_after),
            mib(self.rss_after_trim)
        );
        println!(
            "  server at end:              open={} accepted={} handshakes={} handshake_failures={} clean_closes={} unclean_closes={}",
            self.end.open,
            self.end.accepted,
            self.end.handshakes,
            self.end.handshake_failures,
            self.end.clean_closes,
            self.end.unclean_closes
        );
        println!(
            "  server alive:               {}",
            if self.server_alive { "yes" } else { "NO" }
        );
        println!(
            "  time:                       {:.1} s to connect all, {:.1} s total",
            self.connection_phase.as_secs_f64(),
            self.total.as_secs_f64()
        );
        for e in &self.first_errors {
            println!("  error: {e}");
        }
        println!("{}", if self.passed() { "PASS" } else { "FAIL" });
    }
}

/// Runs the whole load test on a fresh multi-threaded runtime.
pub fn run(opts: &Options) -> io::Result<Report> {
    let limit = raise_nofile_limit();
    let needed = (opts.connections + opts.faults) as u64 + 64;
    if limit < needed {
        return Err(io::Error::other(format!(
            "{} connections need {needed} open files but the limit is {limit}; raise it with `ulimit -Hn`",
            opts.connections + opts.faults
        )));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        match tokio::time::timeout(opts.deadline, run_async(opts.clone())).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("the run did not finish within {:?}", opts.deadline),
            )),
        }
    })
}

async fn run_async(opts: Options) -> io::Result<Report> {
    let start = Instant::now();
    let mut server = ServerProcess::start(&opts).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = server.command("trim").await?;
    let baseline = server.stats().await?;

    let config = ClientConfig::pinned(vec![server.cert.clone()])
        .and_then(|b| b.build())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let connector = TlsConnector::from(config.clone());
    let progress = Arc::new(Progress::default());
    let errors = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let (release_tx, release_rx) = watch::channel(false);
    let ramp = Arc::new(Semaphore::new(opts.concurrency));
    let addr = server.addr;

    let mut honest = tokio::task::JoinSet::new();
    for id in 0..opts.connections {
        let connector = connector.clone();
        let progress = progress.clone();
        let errors = errors.clone();
        let release = release_rx.clone();
        let ramp = ramp.clone();
        let rounds = opts.rounds;
        honest.spawn(async move {
            let result = honest_client(
                id as u64, addr, connector, rounds, release, ramp, &progress, start,
            )
            .await;
            match result {
                Ok(bytes) => {
                    progress.verified_bytes.fetch_add(bytes, Ordering::SeqCst);
                    progress.done.fetch_add(1, Ordering::SeqCst);
                }
                Err(e) => {
                    progress.failed.fetch_add(1, Ordering::SeqCst);
                    if let Ok(mut v) = errors.lock() {
                        if v.len() < 5 {
                            v.push(format!("honest client {id}: {e}"));
                        }
                    }
                }
            }
        });
    }
    let mut faulty = tokio::task::JoinSet::new();
    let fault_wait = opts.handshake_timeout + Duration::from_secs(10);
    for id in 0..opts.faults {
        let kind = FAULTS[id % FAULTS.len()];
        let config = config.clone();
        let ramp = ramp.clone();
        faulty.spawn(async move {
            let _permit = ramp.acquire().await;
            (
                kind,
                fault_client(kind, id as u64, addr, config, fault_wait).await,
            )
        });
    }

    // Wait until every honest client is connected (or failed), then hold.
    loop {
        let ready = progress.ready.load(Ordering::SeqCst);
        let failed = progress.failed.load(Ordering::SeqCst);
        if ready + failed >= opts.connections {
            break;
        }
        if !server.alive() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let connection_phase = start.elapsed();
    let held = server.stats().await.unwrap_or_default();
    tokio::time::sleep(opts.hold).await;
    let held_after = server.stats().await.unwrap_or_default();
    let _ = release_tx.send(true);

    while honest.join_next().await.is_some() {}
    let mut fault_failures = 0;
    while let Some(joined) = faulty.join_next().await {
        if let Ok((kind, Err(e))) = joined {
            fault_failures += 1;
            if let Ok(mut v) = errors.lock() {
                if v.len() < 10 {
                    v.push(format!("fault client {kind:?}: {e}"));
                }
            }
        }
    }

    // The server should now drop to zero open connections.
    let mut end = server.stats().await.unwrap_or_default();
    let settle = Instant::now();
    while end.open > 0 && settle.elapsed() < opts.handshake_timeout + Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        end = server.stats().await.unwrap_or_default();
    }
    let rss_after = end.rss;
    let _ = server.command("trim").await;
    let rss_after_trim = rss_bytes(server.pid).unwrap_or(0);
    let server_alive = server.alive();
    let _ = server.command("quit").await;
    let _ = tokio::time::timeout(Duration::from_secs(5), server.child.wait()).await;

    let hs = progress.handshakes.load(Ordering::SeqCst);
    let last_hs = Duration::from_micros(progress.last_handshake_us.load(Ordering::SeqCst));
    let first_errors = errors.lock().map(|v| v.clone()).unwrap_or_default();
    Ok(Report {
        connections: opts.connections,
        faults: opts.faults,
        honest_ok: progress.done.load(Ordering::SeqCst),
        honest_failed: progress.failed.load(Ordering::SeqCst),
        fault_failures,
        first_errors,
        handshakes_per_sec: hs as f64 / last_hs.as_secs_f64().max(1e-6),
        verified_bytes: progress.verified_bytes.load(Ordering::SeqCst),
        rss_baseline: baseline.rss,
        rss_held: held.rss.max(held_after.rss),
        rss_after,
        rss_after_trim,
        held,
        end,
        server_alive,
        connection_phase,
        total: start.elapsed(),
    })
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap_or_else(|_| unreachable!())
}

/// One echo round: a random-length payload out, the same bytes back, checksums equal.
async fn echo_round<S>(tls: S, rng: &mut Rng) -> Result<(S, u64), String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let len = (rng.next_u64() % 65536) as usize + 1;
    let mut payload = vec![0u8; len];
    rng.fill(&mut payload);
    let sent = checksum(&payload);
    let (mut rd, mut wr) = tokio::io::split(tls);
    let write = async {
        wr.write_all(&payload).await?;
        wr.flush().await
    };
    let mut back = vec![0u8; len];
    let read = rd.read_exact(&mut back);
    let (w, r) = tokio::join!(write, read);
    w.map_err(|e| format!("writing the payload: {e}"))?;
    r.map_err(|e| format!("reading the echo: {e}"))?;
    let got = checksum(&back);
    if got != sent {
        return Err(format!(
            "echo of {len} bytes came back corrupted: checksum {got:016x}, sent {sent:016x}"
        ));
    }
    Ok((rd.unsplit(wr), len as u64))
}

#[allow(clippy::too_many_arguments)] // reason: one task's whole context, used once
async fn honest_client(
    id: u64,
    addr: SocketAddr,
    connector: TlsConnector,
    rounds: usize,
    mut release: watch::Receiver<bool>,
    ramp: Arc<Semaphore>,
    progress: &Progress,
    start: Instant,
) -> Result<u64, String> {
    let mut rng = Rng::new(id + 1);
    let permit = ramp.acquire().await.map_err(|e| e.to_string())?;
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let mut tls = connector
        .connect_with_timeout(localhost(), tcp, Duration::from_secs(60))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    progress.handshakes.fetch_add(1, Ordering::SeqCst);
    progress
        .last_handshake_us
        .fetch_max(start.elapsed().as_micros() as u64, Ordering::SeqCst);
    let mut bytes = 0;
    for _ in 0..rounds {
        let (t, n) = echo_round(tls, &mut rng).await?;
        tls = t;
        bytes += n;
    }
    drop(permit);
    progress.ready.fetch_add(1, Ordering::SeqCst);
    release
        .wait_for(|go| *go)
        .await
        .map_err(|_| "the run was abandoned".to_string())?;
    // Still alive after the hold?
    let (mut tls, n) = echo_round(tls, &mut rng).await?;
    bytes += n;
    tls.shutdown()
        .await
        .map_err(|e| format!("close_notify: {e}"))?;
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest)
        .await
        .map_err(|e| format!("waiting for the server's close_notify: {e}"))?;
    if !rest.is_empty() {
        return Err(format!("{} unexpected bytes after the echo", rest.len()));
    }
    Ok(bytes)
}

/// A ClientHello as ferrotls would send it.
fn client_hello(config: Arc<ClientConfig>) -> Result<Vec<u8>, String> {
    let mut conn =
        ferrotls::ClientConnection::new(config, localhost()).map_err(|e| e.to_string())?;
    Ok(conn.take_tls())
}

/// Reads until the server closes the connection; fails if it does not within `wait`.
async fn expect_server_close(tcp: &mut TcpStream, wait: Duration) -> Result<(), String> {
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(wait, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    closed.map_err(|_| format!("the server kept the connection open for {wait:?}"))
}

async fn fault_client(
    kind: Fault,
    id: u64,
    addr: SocketAddr,
    config: Arc<ClientConfig>,
    wait: Duration,
) -> Result<(), String> {
    let mut rng = Rng::new(0xfa17 + id);
    let mut tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    match kind {
        Fault::HangUpMidHandshake => {
            let hello = client_hello(config)?;
            tcp.write_all(&hello).await.map_err(|e| e.to_string())?;
            let mut first = [0u8; 1];
            let _ = tokio::time::timeout(wait, tcp.read(&mut first)).await;
            drop(tcp);
            Ok(())
        }
        Fault::HalfRecordStall => {
            let hello = client_hello(config)?;
            tcp.write_all(&hello[..hello.len() / 2])
                .await
                .map_err(|e| e.to_string())?;
            expect_server_close(&mut tcp, wait).await
        }
        Fault::Garbage => {
            let mut junk = vec![0u8; (rng.next_u64() % 2048) as usize + 1];
            rng.fill(&mut junk);
            if id % 8 == 2 {
                junk = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
            }
            tcp.write_all(&junk).await.map_err(|e| e.to_string())?;
            expect_server_close(&mut tcp, wait).await
        }
        Fault::NoCloseNotify => {
            let tls = TlsConnector::from(config)
                .connect_with_timeout(localhost(), tcp, Duration::from_secs(60))
                .await
                .map_err(|e| format!("handshake: {e}"))?;
            let (tls, _) = echo_round(tls, &mut rng).await?;
            // Drop the transport without close_notify.
            drop(tls);
            Ok(())
        }
    }
}
