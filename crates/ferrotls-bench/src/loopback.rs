//! Over 127.0.0.1: `openssl s_time -new` as the load (full TLS 1.3 handshakes, then
//! close), against a ferrotls server and a rustls server running in this process and
//! against `openssl s_server`. Reported: handshakes per second of *server* CPU
//! (getrusage of the server thread; /proc/PID/stat for s_server).

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::certs::Chain;
use crate::peers::{Aead, Configs, Groups, Resume, Setup, Version};
use crate::report::{median, Measure, Row};
use crate::Params;

const CIPHERSUITE: &str = "TLS_AES_128_GCM_SHA256";
/// Longest any one connection may stall the server.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// CPU seconds (user + system) the calling thread has used.
fn thread_cpu() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we own.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// CPU seconds (user + system) process `pid` has used, from /proc.
fn process_cpu(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(ticks / hz)
}

/// Runs `openssl s_time` against `port` for `secs` seconds; returns how many
/// connections it completed.
fn s_time(port: u16, secs: u64) -> Result<usize, String> {
    let out = Command::new("openssl")
        .args([
            "s_time",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-new",
            "-tls1_3",
        ])
        .args(["-ciphersuites", CIPHERSUITE, "-time", &secs.to_string()])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run openssl s_time: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| {
            l.split_once(" connections in ")
                .and_then(|(n, _)| n.trim().parse().ok())
        })
        .ok_or_else(|| format!("openssl s_time printed no count:\n{text}"))
}

/// Result of one server under load.
struct Served {
    handshakes: usize,
    cpu: f64,
}

impl Served {
    fn per_cpu_second(&self) -> f64 {
        self.handshakes as f64 / self.cpu.max(1e-9)
    }
}

/// An in-process server: accepts until told to stop, one connection at a time.
fn in_process(
    secs: u64,
    serve_one: impl Fn(TcpStream) -> bool + Send + 'static,
) -> Result<Served, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicUsize::new(0));
    let (stop2, count2) = (stop.clone(), count.clone());
    let server = thread::spawn(move || {
        let start = thread_cpu();
        for sock in listener.incoming() {
            if stop2.load(Ordering::Relaxed) {
                break;
            }
            let Ok(sock) = sock else { continue };
            let _ = sock.set_nodelay(true);
            let _ = sock.set_read_timeout(Some(IO_TIMEOUT));
            let _ = sock.set_write_timeout(Some(IO_TIMEOUT));
            if serve_one(sock) {
                count2.fetch_add(1, Ordering::Relaxed);
            }
        }
        thread_cpu() - start
    });
    let client = s_time(port, secs);
    stop.store(true, Ordering::Relaxed);
    // Wake the accept loop so that it sees the flag.
    let _ = TcpStream::connect(("127.0.0.1", port));
    let cpu = server
        .join()
        .map_err(|_| "server thread panicked".to_string())?;
    client?;
    Ok(Served {
        handshakes: count.load(Ordering::Relaxed),
        cpu,
    })
}

/// Reads until the client closes (s_time closes right after its handshake).
fn drain(sock: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    while matches!(sock.read(&mut buf), Ok(n) if n > 0) {}
}

fn ferrotls_server(cfg: Arc<ferrotls::ServerConfig>, secs: u64) -> Result<Served, String> {
    in_process(secs, move |mut sock| {
        let Ok(mut conn) = ferrotls::ServerConnection::new(cfg.clone()) else {
            return false;
        };
        let ok = ferrotls::stream::complete_handshake(&mut conn, &mut sock).is_ok();
        drain(&mut sock);
        ok
    })
}

fn rustls_server(cfg: Arc<rustls::ServerConfig>, secs: u64) -> Result<Served, String> {
    in_process(secs, move |mut sock| {
        let Ok(mut conn) = rustls::ServerConnection::new(cfg.clone()) else {
            return false;
        };
        let mut ok = true;
        while conn.is_handshaking() {
            if conn.complete_io(&mut sock).is_err() {
                ok = false;
                break;
            }
        }
        drain(&mut sock);
        ok
    })
}

/// Kills the child when dropped, so that no s_server outlives the run.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn openssl_server(dir: &Path, secs: u64) -> Result<Served, String> {
    let port = free_port()?;
    let child = Command::new("openssl")
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}")])
        .arg("-cert")
        .arg(dir.join("leaf.pem"))
        .arg("-cert_chain")
        .arg(dir.join("intermediate.pem"))
        .arg("-key")
        .arg(dir.join("key.pem"))
        .args(["-tls1_3", "-ciphersuites", CIPHERSUITE, "-groups", "X25519"])
        .args(["-num_tickets", "0", "-quiet"])
        // stdin stays open (and empty): at its end s_server would stop serving.
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start openssl s_server: {e}"))?;
    let child = Reaped(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err("openssl s_server did not start listening in 10 s".into());
        }
        thread::sleep(Duration::from_millis(20));
    }
    let pid = child.0.id();
    let before = process_cpu(pid).ok_or("cannot read s_server's CPU time")?;
    let handshakes = s_time(port, secs)?;
    let after = process_cpu(pid).ok_or("cannot read s_server's CPU time")?;
    Ok(Served {
        handshakes,
        cpu: after - before,
    })
}

fn write_pems(chain: &Chain) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("ferrotls-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for (name, pem) in [
        ("leaf.pem", &chain.leaf_pem),
        ("intermediate.pem", &chain.intermediate_pem),
        ("key.pem", &chain.leaf_key_pem),
    ] {
        std::fs::write(dir.join(name), pem).map_err(|e| e.to_string())?;
    }
    Ok(dir)
}

/// The loopback row, or a row that says why it could not run.
pub fn rows(p: &Params, chain: &Chain) -> Vec<Row> {
    let name = format!(
        "TLS1.3 {} X25519 via openssl s_time",
        chain.key_type.label()
    );
    let unavailable = |why: String| {
        eprintln!("loopback: {why}");
        vec![Row {
            section: "loopback server (handshakes per second of server CPU)",
            name: name.clone(),
            unit: "hs/s",
            ferrotls: Measure::NotAvailable("openssl missing"),
            rustls: Measure::NotAvailable("openssl missing"),
            openssl: None,
            limit: None,
            detail: json!({"error": why}),
        }]
    };
    let dir = match write_pems(chain) {
        Ok(d) => d,
        Err(e) => return unavailable(e),
    };
    let cfg = Configs::new(&Setup {
        chain,
        version: Version::Tls13,
        aead: Aead::Aes128Gcm,
        groups: Groups::X25519,
        resume: Resume::Never,
    });
    let (mut f, mut r, mut o) = (vec![], vec![], vec![]);
    let mut detail = vec![];
    for _ in 0..p.loop_reps {
        let run = || -> Result<[Served; 3], String> {
            Ok([
                ferrotls_server(cfg.ferro_server.clone(), p.loop_secs)?,
                rustls_server(cfg.rustls_server.clone(), p.loop_secs)?,
                openssl_server(&dir, p.loop_secs)?,
            ])
        };
        match run() {
            Ok([a, b, c]) => {
                detail.push(json!({
                    "ferrotls": {"handshakes": a.handshakes, "server_cpu_s": a.cpu},
                    "rustls": {"handshakes": b.handshakes, "server_cpu_s": b.cpu},
                    "openssl_s_server": {"handshakes": c.handshakes, "server_cpu_s": c.cpu},
                }));
                f.push(a.per_cpu_second());
                r.push(b.per_cpu_second());
                o.push(c.per_cpu_second());
            }
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return unavailable(e);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    vec![Row {
        section: "loopback server (handshakes per second of server CPU)",
        name,
        unit: "hs/s",
        ferrotls: Measure::Measured(median(&f)),
        rustls: Measure::Measured(median(&r)),
        openssl: Some(median(&o)),
        limit: None,
        detail: json!({"seconds_per_run": p.loop_secs, "runs": detail}),
    }]
}
