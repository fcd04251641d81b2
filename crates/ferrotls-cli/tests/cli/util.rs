//! Running the binary, temporary directories, and a server under test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ferrotls");

/// A fresh directory for one test.
pub fn tmpdir(test: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferrotls-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Whether a program is installed (on PATH).
pub fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        // CI installs every peer (scripts/test.sh): missing there is a failure.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{program} is not installed, and CI=true: this test needs it"
        );
        eprintln!("SKIPPED part of this test: {program} is not installed");
    }
    found
}

/// The result of running the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The last line of stderr.
    pub fn last_err_line(&self) -> &str {
        self.stderr.lines().last().unwrap_or_default()
    }
}

/// Runs `ferrotls ARGS` in `dir` with colour off.
pub fn ferrotls(dir: &Path, args: &[&str]) -> Run {
    ferrotls_env(dir, args, &[])
}

pub fn ferrotls_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .env_remove("SSLKEYLOGFILE")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().unwrap())
}

/// Makes a CA in `dir` and issues `names` (one certificate) with `extra` flags; returns
/// the path of the chain file.
pub fn issue(dir: &Path, names: &[&str], extra: &[&str]) -> PathBuf {
    if !dir.join("ferrotls-ca.pem").exists() {
        let r = ferrotls(dir, &["cert", "ca"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let mut args = vec!["cert", "issue"];
    args.extend(names);
    args.extend(extra);
    let r = ferrotls(dir, &args);
    assert_eq!(r.code, 0, "cert issue failed: {}", r.stderr);
    let path = r
        .stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_suffix("  certificate chain: the leaf, then the CA")
        })
        .or_else(|| {
            r.stdout.lines().find_map(|l| {
                l.trim()
                    .strip_suffix("  the certificate (self-signed, no chain)")
            })
        })
        .unwrap_or_else(|| panic!("no file in: {}", r.stdout))
        .to_string();
    dir.join(path)
}

/// A `ferrotls server` process; killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `ferrotls server --port 0 ARGS` in `dir` (with the dev CA in `dir/dev`)
    /// and waits until it listens.
    pub fn start(dir: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .arg("server")
            .args(["--port", "0"])
            .args(args)
            .current_dir(dir)
            .env("FERROTLS_DEV_DIR", dir.join("dev"))
            .env_remove("SSLKEYLOGFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split_once("listening on 127.0.0.1:") {
                    let port: u16 = rest
                        .1
                        .split(|c: char| !c.is_ascii_digit())
                        .next()
                        .unwrap()
                        .parse()
                        .unwrap();
                    let _ = tx.send(port);
                }
                sink.lock().unwrap().push(line);
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(p) => p,
            Err(_) => {
                let _ = child.kill();
                panic!("the server did not start: {:?}", log.lock().unwrap());
            }
        };
        Server { child, port, log }
    }

    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until `n` log lines satisfy `pred`; returns them.
    pub fn wait_for(&self, n: usize, pred: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let found: Vec<String> = self.log().into_iter().filter(|l| pred(l)).collect();
            if found.len() >= n {
                return found;
            }
            if Instant::now() > deadline {
                panic!(
                    "expected {n} matching log lines, found {}: {:#?}",
                    found.len(),
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `localhost:PORT`.
    pub fn target(&self) -> String {
        format!("localhost:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a program with a deadline; its output.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Run {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + timeout;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Run::from(child.wait_with_output().unwrap())
}

/// Fails the test when `program` is missing: these interop tests are never skipped.
pub fn require(program: &str) {
    assert!(
        have(program),
        "`{program}` is not installed (not on PATH); this test needs it: apt-get install {program}"
    );
}

/// An OpenSSL 3.0 configuration that turns the extended master secret off
/// (SSL_OP_NO_EXTENDED_MASTER_SECRET) in every SSL_CTX `openssl s_client` and
/// `s_server` make: a TLS 1.2 peer without RFC 7627.
pub const OPENSSL_NO_EMS_CONF: &str = "openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Options = -ExtendedMasterSecret
";

/// Writes [`OPENSSL_NO_EMS_CONF`] into `dir`; its path, for OPENSSL_CONF.
pub fn no_ems_conf(dir: &Path) -> PathBuf {
    let path = dir.join("openssl-no-ems.cnf");
    std::fs::write(&path, OPENSSL_NO_EMS_CONF).unwrap();
    path
}

/// Runs `openssl ARGS` in `dir` with `input` on stdin (then end of input) and the
/// environment `env`, for at most 20 s; its output.
pub fn openssl(dir: &Path, args: &[&str], input: &[u8], env: &[(&str, &Path)]) -> Run {
    use std::io::{Read, Write};
    let mut cmd = Command::new("openssl");
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("openssl runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let drain = |mut from: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let _ = from.read_to_end(&mut out);
            String::from_utf8_lossy(&out).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}
