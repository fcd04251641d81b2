//! Helpers shared by the integration tests: a throwaway PKI written to a temp dir,
//! external processes that are killed on drop, loopback servers and clients.
//!
//! Every wait has a deadline ([`TIMEOUT`]) so a broken peer fails a test instead of
//! hanging it, and everything listens on 127.0.0.1 only. Helpers report failures as
//! `Err(String)` sentences so a test can run many cases and list every one that failed.
#![allow(dead_code)] // each test binary uses a different subset of these helpers

use std::ffi::{OsStr, OsString};
use std::fmt::Debug;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use ferrotls::client::{ClientConfig, ClientConfigBuilder, ClientConnection};
use ferrotls::conn::Negotiated;
use ferrotls::msgs::enums::HandshakeType;
use ferrotls::observe::{Direction, Event, Observer};
use ferrotls::pki::{ServerCertVerified, ServerCertVerifier};
use ferrotls::server::{ServerConfig, ServerConfigBuilder, ServerConnection};
use ferrotls::stream::StreamOwned;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};

/// How long any single wait may take: a connect, an accept, a read, a process exit.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A blocking ferrotls client over TCP.
pub type ClientStream = StreamOwned<ClientConnection, TcpStream>;
/// A blocking ferrotls server connection over TCP.
pub type ServerStream = StreamOwned<ServerConnection, TcpStream>;

// ---------------------------------------------------------------------------------
// Checks that return errors, so one failing case does not hide the others.

/// `Err` naming `what` unless `got == want`.
pub fn check_eq<T: PartialEq + Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, expected {want:?}"))
    }
}

/// Like [`check_eq`] for texts too long to print: reports lengths and the first
/// difference.
pub fn check_same_text(what: &str, got: &str, want: &str) -> Result<(), String> {
    if got == want {
        return Ok(());
    }
    let at = got
        .bytes()
        .zip(want.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let excerpt = |s: &str| -> String { s.chars().skip(at).take(40).collect() };
    Err(format!(
        "{what}: got {} bytes, expected {}; first difference at byte {at}: got {:?}, expected {:?}",
        got.len(),
        want.len(),
        excerpt(got),
        excerpt(want)
    ))
}

/// A line (no newline) that starts with `prefix` and is padded to `len` bytes with a
/// counting pattern, so a lost or reordered record shows; never shorter than `prefix`.
pub fn test_line(prefix: &str, len: usize) -> String {
    let mut line = String::with_capacity(len.max(prefix.len()));
    line.push_str(prefix);
    let mut i = 0usize;
    while line.len() < len {
        line.push_str(&format!(" {i:07}"));
        i += 1;
    }
    line.truncate(len.max(prefix.len()));
    line
}

/// `Err` showing `text` unless it contains `needle`.
pub fn check_contains(what: &str, text: &str, needle: &str) -> Result<(), String> {
    if text.contains(needle) {
        Ok(())
    } else {
        Err(format!(
            "{what} does not contain {needle:?}; it was:\n{}",
            indent(text)
        ))
    }
}

/// `Err(message())` unless `cond`.
pub fn check(cond: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(message())
    }
}

/// Both results, or an error that reports every side that failed (for a test peer and
/// the server thread it talked to).
pub fn both<A, B>(a: Result<A, String>, b: Result<B, String>) -> Result<(A, B), String> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => Err(e),
        (Err(a), Err(b)) => Err(format!("{a}\n{b}")),
    }
}

/// A ferrotls configuration result as a test error.
pub fn built<T>(what: &str, config: Result<T, ferrotls::Error>) -> Result<T, String> {
    config.map_err(|e| format!("ferrotls refused the {what} configuration: {e}"))
}

/// Fails the test with `what` and the error if `outcome` is one.
pub fn assert_ok<T>(what: &str, outcome: Result<T, String>) -> T {
    outcome.unwrap_or_else(|e| panic!("{what}:\n{}", indent(&e)))
}

/// Runs `run` for every case, then fails once, listing each case that failed and why.
pub fn run_cases<C: Debug>(
    what: &str,
    cases: impl IntoIterator<Item = C>,
    mut run: impl FnMut(&C) -> Result<(), String>,
) {
    let mut failures = Vec::new();
    let mut total = 0;
    for case in cases {
        total += 1;
        // Captured output: shown for failing tests and with --nocapture.
        println!("{what}: {case:?}");
        if let Err(e) = run(&case) {
            failures.push(format!("* {case:?}:\n{}", indent(&e)));
        }
    }
    assert!(total > 0, "{what}: no cases to run");
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One line summary of a handshake's outcome, for messages and HTTP bodies.
pub fn describe(n: &Negotiated) -> String {
    format!(
        "version={} suite={} group={} signature={} hello_retry={} alpn={} sni={}",
        n.version.map_or("none".into(), |v| v.to_string()),
        n.suite.map_or("none".into(), |s| s.name().into_owned()),
        n.group.map_or("none".into(), |g| g.to_string()),
        n.signature_scheme.map_or("none".into(), |s| s.to_string()),
        n.hello_retry,
        n.alpn
            .as_deref()
            .map_or("none".into(), |p| String::from_utf8_lossy(p).into_owned()),
        n.server_name.as_deref().unwrap_or("none"),
    )
}

/// An [`Observer`] that records which handshake messages a connection sent and
/// received (KeyUpdate after the handshake, for instance).
#[derive(Debug, Default)]
pub struct MessageLog {
    messages: Mutex<Vec<(Direction, HandshakeType)>>,
}

impl MessageLog {
    pub fn new() -> Arc<MessageLog> {
        Arc::new(MessageLog::default())
    }

    /// How many messages of type `typ` went in `direction`.
    pub fn count(&self, direction: Direction, typ: HandshakeType) -> usize {
        self.messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|&&(d, t)| d == direction && t == typ)
            .count()
    }
}

impl Observer for MessageLog {
    fn event(&self, event: &Event<'_>) {
        if let Event::Message {
            direction, message, ..
        } = event
        {
            self.messages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((*direction, message.typ));
        }
    }
}

// ---------------------------------------------------------------------------------
// Temp dirs and the test PKI.

/// A directory under the system temp dir, unique per process and call, removed on drop
/// (kept, and its path printed, when the test is failing).
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("ferrotls-test-{}-{n}-{label}", std::process::id()));
        // A stale directory can only be left by an earlier process with our pid.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create temp dir {}: {e}", path.display()));
        TempDir { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `contents` to `name` inside the directory and returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.path.join(name);
        std::fs::write(&path, contents)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("keeping {} for inspection", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The key type of a test certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    EcdsaP256,
    Rsa2048,
}

impl KeyKind {
    pub fn label(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "ecdsa-p256",
            KeyKind::Rsa2048 => "rsa-2048",
        }
    }

    fn generate(self) -> rcgen::KeyPair {
        let key = match self {
            KeyKind::EcdsaP256 => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyKind::Rsa2048 => {
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            }
        };
        key.unwrap_or_else(|e| panic!("cannot generate a {} key: {e}", self.label()))
    }
}

/// A fresh CA (ECDSA P-256) in its own temp dir; issues leaf certificates.
pub struct TestPki {
    pub dir: TempDir,
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    /// The CA certificate, DER.
    pub ca_cert: CertificateDer<'static>,
    /// The CA certificate, PEM file (for `-CAfile`, `--cacert`, `cafile=`).
    pub ca_file: PathBuf,
}

impl TestPki {
    /// A new CA whose temp dir and subject name carry `label`.
    pub fn new(label: &str) -> TestPki {
        let dir = TempDir::new(label);
        let key = KeyKind::EcdsaP256.generate();
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = distinguished_name(&format!("ferrotls test CA ({label})"));
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params
            .self_signed(&key)
            .unwrap_or_else(|e| panic!("cannot self-sign the test CA: {e}"));
        let ca_file = dir.write("ca.pem", &cert.pem());
        TestPki {
            dir,
            issuer: rcgen::Issuer::new(params, key),
            ca_cert: cert.der().clone(),
            ca_file,
        }
    }

    /// A server certificate for `localhost` and `127.0.0.1` signed by this CA, written
    /// to `<kind>-cert.pem` and `<kind>-key.pem` (PKCS#8).
    pub fn leaf(&self, kind: KeyKind) -> Leaf {
        let key = kind.generate();
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .unwrap_or_else(|e| panic!("bad subject alternative names: {e}"));
        params.distinguished_name = distinguished_name("localhost");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params
            .signed_by(&key, &self.issuer)
            .unwrap_or_else(|e| panic!("cannot sign the {} leaf: {e}", kind.label()));
        Leaf {
            kind,
            cert_file: self
                .dir
                .write(&format!("{}-cert.pem", kind.label()), &cert.pem()),
            key_file: self
                .dir
                .write(&format!("{}-key.pem", kind.label()), &key.serialize_pem()),
            cert: cert.der().clone(),
            key_pkcs8: key.serialize_der(),
        }
    }
}

fn distinguished_name(common_name: &str) -> rcgen::DistinguishedName {
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(rcgen::DnType::CommonName, common_name);
    dn
}

/// A server certificate and its key, in memory and as PEM files.
pub struct Leaf {
    pub kind: KeyKind,
    pub cert: CertificateDer<'static>,
    key_pkcs8: Vec<u8>,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

impl Leaf {
    /// The chain a server sends: just the leaf (the CA is the trust anchor).
    pub fn chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.cert.clone()]
    }

    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pkcs8.clone()))
    }

    /// A ferrotls server configuration serving this certificate, defaults otherwise.
    pub fn server_config(&self) -> ServerConfigBuilder {
        ServerConfig::builder()
            .cert(self.chain(), &self.key())
            .unwrap_or_else(|e| {
                panic!(
                    "ferrotls refused the {} certificate: {e}",
                    self.kind.label()
                )
            })
    }

    /// A ferrotls client configuration that trusts exactly this certificate.
    pub fn client_config(&self) -> ClientConfigBuilder {
        ClientConfig::pinned(vec![self.cert.clone()])
            .unwrap_or_else(|e| panic!("ferrotls refused to pin the certificate: {e}"))
    }
}

/// CA parameters for `cn`: keyCertSign and cRLSign, an authority key identifier,
/// valid 2025 to 2035, with `path_len` as its pathLenConstraint (none: unconstrained).
pub fn ca_params(cn: &str, path_len: Option<u8>) -> rcgen::CertificateParams {
    let mut p = rcgen::CertificateParams::new(vec![]).unwrap();
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.is_ca = rcgen::IsCa::Ca(match path_len {
        Some(n) => rcgen::BasicConstraints::Constrained(n),
        None => rcgen::BasicConstraints::Unconstrained,
    });
    p.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    p.use_authority_key_identifier_extension = true;
    p.not_before = rcgen::date_time_ymd(2025, 1, 1);
    p.not_after = rcgen::date_time_ymd(2035, 1, 1);
    p
}

/// A server certificate verifier that asks `inner` and records every OCSP staple it
/// is given.
#[derive(Debug)]
pub struct StapleRecorder<V> {
    pub inner: V,
    pub staples: Mutex<Vec<Vec<u8>>>,
}

impl<V: ServerCertVerifier> ServerCertVerifier for StapleRecorder<V> {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, ferrotls::Error> {
        self.staples
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(ocsp.to_vec());
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }
}

// ---------------------------------------------------------------------------------
// External processes.

/// Output of a child process, collected by a background thread.
#[derive(Default)]
struct Capture {
    state: Mutex<CaptureState>,
    changed: Condvar,
}

#[derive(Default)]
struct CaptureState {
    bytes: Vec<u8>,
    eof: bool,
}

impl Capture {
    fn start(mut from: impl Read + Send + 'static) -> Arc<Capture> {
        let capture = Arc::new(Capture::default());
        let sink = capture.clone();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = from.read(&mut buf).unwrap_or(0);
                let mut state = sink.lock();
                if n == 0 {
                    state.eof = true;
                } else if let Some(chunk) = buf.get(..n) {
                    state.bytes.extend_from_slice(chunk);
                }
                let eof = state.eof;
                drop(state);
                sink.changed.notify_all();
                if eof {
                    break;
                }
            }
        });
        capture
    }

    fn lock(&self) -> MutexGuard<'_, CaptureState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    /// Waits until `found` returns `Some` for the output so far, or the stream ends,
    /// or `deadline` passes.
    fn wait_for<T>(
        &self,
        deadline: Instant,
        mut found: impl FnMut(&str) -> Option<T>,
    ) -> Option<T> {
        let mut state = self.lock();
        loop {
            if let Some(v) = found(&String::from_utf8_lossy(&state.bytes)) {
                return Some(v);
            }
            let now = Instant::now();
            if state.eof || now >= deadline {
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn wait_for_eof(&self, deadline: Instant) -> bool {
        self.wait_for(deadline, |_| None::<()>);
        self.lock().eof
    }
}

/// A running external program (openssl, curl, python3) with piped stdin, stdout and
/// stderr. Killed on drop, so a failing test never leaves it behind.
pub struct Process {
    command_line: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Capture>,
    stderr: Arc<Capture>,
}

impl Process {
    /// Starts `program` with `args`. Panics with an install hint if it is missing:
    /// interop tests are never skipped silently.
    pub fn spawn<S: AsRef<OsStr>>(program: &str, args: &[S]) -> Process {
        Process::spawn_env(program, args, &[])
    }

    /// Like `spawn`, with these environment variables set.
    pub fn spawn_env<S: AsRef<OsStr>>(
        program: &str,
        args: &[S],
        env: &[(&str, &OsStr)],
    ) -> Process {
        let command_line = std::iter::once(program.to_string())
            .chain(
                args.iter()
                    .map(|a| a.as_ref().to_string_lossy().into_owned()),
            )
            .collect::<Vec<_>>()
            .join(" ");
        let mut child = match Command::new(program)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(e) if e.kind() == io::ErrorKind::NotFound => panic!(
                "`{program}` is not installed (not found on PATH); the interop tests need it. \
                 Install it (`apt-get install {program}`), or run scripts/test.sh, which does."
            ),
            Err(e) => panic!("cannot start `{command_line}`: {e}"),
        };
        let stdin = child.stdin.take();
        let stdout = Capture::start(child.stdout.take().expect("stdout is piped"));
        let stderr = Capture::start(child.stderr.take().expect("stderr is piped"));
        Process {
            command_line,
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    pub fn stdout(&self) -> String {
        self.stdout.text()
    }

    pub fn stderr(&self) -> String {
        self.stderr.text()
    }

    /// The command line and everything it printed so far, for failure messages.
    pub fn report(&self) -> String {
        format!(
            "$ {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command_line,
            self.stdout().trim_end(),
            self.stderr().trim_end()
        )
    }

    /// Waits until `found` extracts something from stdout; the error names what was
    /// awaited.
    pub fn wait_for_stdout<T>(
        &mut self,
        what: &str,
        found: impl FnMut(&str) -> Option<T>,
    ) -> Result<T, String> {
        let value = self.stdout.wait_for(Instant::now() + TIMEOUT, found);
        value.ok_or_else(|| self.not_seen(what, "stdout"))
    }

    /// Waits until stdout contains `needle`.
    pub fn wait_for_stdout_text(&mut self, needle: &str) -> Result<(), String> {
        self.wait_for_stdout(&format!("{needle:?}"), |out| {
            out.contains(needle).then_some(())
        })
    }

    /// Waits until stderr contains `needle`.
    pub fn wait_for_stderr_text(&mut self, needle: &str) -> Result<(), String> {
        let found = self.stderr.wait_for(Instant::now() + TIMEOUT, |err| {
            err.contains(needle).then_some(())
        });
        found.ok_or_else(|| self.not_seen(&format!("{needle:?}"), "stderr"))
    }

    fn not_seen(&mut self, what: &str, stream: &str) -> String {
        match self.exit_status() {
            Some(status) => format!("{what} did not appear on {stream}; it exited with {status}"),
            None => format!("{what} did not appear on {stream} within {TIMEOUT:?}"),
        }
    }

    pub fn write_stdin(&mut self, data: &[u8]) -> Result<(), String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| format!("stdin of `{}` is already closed", self.command_line))?;
        stdin
            .write_all(data)
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("writing to stdin of `{}`: {e}", self.command_line))
    }

    /// Closes stdin: the program sees end of input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the program to exit and for its output to be complete.
    pub fn wait_exit(&mut self) -> Result<ExitStatus, String> {
        let deadline = Instant::now() + TIMEOUT;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
                Ok(None) => return Err(format!("did not exit within {TIMEOUT:?}")),
                Err(e) => return Err(format!("waiting for the process: {e}")),
            }
        };
        if !self.stdout.wait_for_eof(deadline) || !self.stderr.wait_for_eof(deadline) {
            return Err(format!(
                "exited ({status}) but its output did not end within {TIMEOUT:?}"
            ));
        }
        Ok(status)
    }

    /// Waits for the program to exit and requires exit status 0.
    pub fn wait_success(&mut self) -> Result<(), String> {
        let status = self.wait_exit()?;
        check(status.success(), || format!("exited with {status}"))
    }

    /// The exit status if the program has exited.
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Runs `talk` with this process, then requires it to exit with status 0. A failure
    /// of either comes back with the command line and everything the process printed
    /// (the other methods return short errors, for use inside `talk`).
    pub fn supervise<T>(
        &mut self,
        talk: impl FnOnce(&mut Process) -> Result<T, String>,
    ) -> Result<T, String> {
        let outcome = talk(self).and_then(|value| self.wait_success().map(|()| value));
        outcome.map_err(|e| format!("{e}\n{}", self.report()))
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------
// OpenSSL command lines.

/// Command-line arguments of mixed types (text, numbers as text, paths).
pub fn os_args(parts: &[&dyn AsRef<OsStr>]) -> Vec<OsString> {
    parts.iter().map(|p| p.as_ref().to_os_string()).collect()
}

/// The port in s_server's `ACCEPT 127.0.0.1:PORT` line, once the line is complete.
pub fn accept_port(stdout: &str) -> Option<u16> {
    let rest = stdout.get(stdout.find("ACCEPT ")?..)?;
    let line = rest.get(..rest.find('\n')?)?;
    line.rsplit(':').next()?.trim().parse().ok()
}

/// `line` as `openssl s_server -rev` answers it.
pub fn reversed(line: &str) -> String {
    line.chars().rev().collect()
}

/// Sends `line` to `openssl s_server -rev` and checks it comes back reversed.
pub fn expect_reversed(tls: &mut ClientStream, line: &str) -> Result<(), String> {
    let answer = exchange_line(tls, line)?;
    check_eq("s_server's answer", answer, reversed(line))
}

/// `openssl s_client` to 127.0.0.1:`port` as localhost, verifying with the test CA.
pub fn s_client(pki: &TestPki, port: u16, extra: &[&str]) -> Process {
    let mut args = os_args(&[
        &"s_client",
        &"-connect",
        &format!("127.0.0.1:{port}"),
        &"-servername",
        &"localhost",
        &"-verify_return_error",
        &"-CAfile",
        &pki.ca_file,
    ]);
    args.extend(extra.iter().map(OsString::from));
    Process::spawn("openssl", &args)
}

/// Runs [`s_client`], sends `line` on stdin, waits until the server's echo of it
/// shows on stdout, then closes stdin so s_client sends close_notify and exits.
/// Returns s_client's stdout.
pub fn openssl_client(
    pki: &TestPki,
    port: u16,
    extra: &[&str],
    line: &str,
) -> Result<String, String> {
    // Lines starting with Q, R or K would otherwise be commands.
    let mut client = s_client(pki, port, &[extra, &["-nocommands"]].concat());
    client.supervise(|c| {
        c.write_stdin(format!("{line}\n").as_bytes())?;
        c.wait_for_stdout_text(line)?;
        c.close_stdin();
        Ok(())
    })?;
    let stdout = client.stdout();
    check_contains("s_client's output", &stdout, "Verify return code: 0 (ok)")?;
    Ok(stdout)
}

/// An [`openssl_client`] session with a ferrotls echo server built from `config`.
/// Returns s_client's stdout and what the server negotiated.
pub fn openssl_client_with_ferrotls_server(
    pki: &TestPki,
    config: Arc<ServerConfig>,
    client_args: &[&str],
    line: &str,
) -> Result<(String, Negotiated), String> {
    let server = ferrotls_echo_server(config);
    let (stdout, served) = both(
        openssl_client(pki, server.port, client_args, line),
        server.finish(),
    )?;
    check_eq("bytes echoed by the server", served.value, line.len() + 1)?;
    Ok((stdout, served.negotiated))
}

// ---------------------------------------------------------------------------------
// Loopback networking.

/// A port that was free a moment ago. Another process may take it before you bind;
/// prefer binding 127.0.0.1:0 yourself, or letting the peer do so and report the port.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"))
}

fn loopback(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`. The probe is a
/// real connection: do not use it on a server that accepts only one.
pub fn wait_for_port(port: u16) -> Result<(), String> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        match TcpStream::connect_timeout(&loopback(port), Duration::from_millis(200)) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!(
                    "nothing listens on 127.0.0.1:{port} after {TIMEOUT:?}: {e}"
                ))
            }
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn set_timeouts(tcp: &TcpStream) -> io::Result<()> {
    tcp.set_read_timeout(Some(TIMEOUT))?;
    tcp.set_write_timeout(Some(TIMEOUT))?;
    tcp.set_nodelay(true)
}

/// Connects to 127.0.0.1:`port` with read and write timeouts set.
pub fn connect(port: u16) -> Result<TcpStream, String> {
    let tcp = TcpStream::connect_timeout(&loopback(port), TIMEOUT)
        .map_err(|e| format!("cannot connect to 127.0.0.1:{port}: {e}"))?;
    set_timeouts(&tcp).map_err(|e| format!("cannot set socket timeouts: {e}"))?;
    Ok(tcp)
}

fn accept_one(listener: &TcpListener) -> Result<TcpStream, String> {
    let deadline = Instant::now() + TIMEOUT;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot poll the listener: {e}"))?;
    loop {
        match listener.accept() {
            Ok((tcp, _)) => {
                tcp.set_nonblocking(false)
                    .and_then(|()| set_timeouts(&tcp))
                    .map_err(|e| format!("cannot configure the accepted socket: {e}"))?;
                return Ok(tcp);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(format!("no client connected within {TIMEOUT:?}"))
            }
            Err(e) => return Err(format!("accept failed: {e}")),
        }
    }
}

/// A server thread that accepts one connection on 127.0.0.1; `finish` collects its result.
pub struct ServerHandle<T> {
    pub port: u16,
    result: mpsc::Receiver<Result<T, String>>,
    thread: thread::JoinHandle<()>,
}

impl<T> ServerHandle<T> {
    /// Waits (bounded) for the server to finish and returns what it reported.
    pub fn finish(self) -> Result<T, String> {
        match self.result.recv_timeout(3 * TIMEOUT) {
            Ok(result) => result.map_err(|e| format!("server: {e}")),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(format!(
                "server thread did not finish within {:?}",
                3 * TIMEOUT
            )),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let panic = self
                    .thread
                    .join()
                    .err()
                    .map_or("no result".to_string(), |p| {
                        p.downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_else(|| "a panic".to_string())
                    });
                Err(format!("server thread panicked: {panic}"))
            }
        }
    }
}

/// Binds 127.0.0.1:0 now (so the port is ready before this returns), then accepts one
/// connection in a thread and runs `serve` on it.
pub fn spawn_server<T, F>(serve: F) -> ServerHandle<T>
where
    T: Send + 'static,
    F: FnOnce(TcpStream) -> Result<T, String> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("cannot bind a loopback port: {e}"));
    let port = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("bound socket has no address: {e}"))
        .port();
    let (tx, result) = mpsc::channel();
    let thread = thread::spawn(move || {
        let outcome = accept_one(&listener).and_then(serve);
        let _ = tx.send(outcome);
    });
    ServerHandle {
        port,
        result,
        thread,
    }
}

/// What a ferrotls server thread reports: the handshake outcome and the handler's value.
#[derive(Debug)]
pub struct Served<T> {
    pub negotiated: Negotiated,
    pub value: T,
}

/// A ferrotls server for one connection: completes the handshake, then runs `handle`.
pub fn ferrotls_server<T, F>(config: Arc<ServerConfig>, handle: F) -> ServerHandle<Served<T>>
where
    T: Send + 'static,
    F: FnOnce(&mut ServerStream) -> Result<T, String> + Send + 'static,
{
    spawn_server(move |tcp| {
        let conn = ServerConnection::new(config)
            .map_err(|e| format!("ServerConnection::new failed: {e}"))?;
        let mut tls = StreamOwned::new(conn, tcp);
        tls.handshake().map_err(|e| {
            format!(
                "ferrotls server handshake failed in state {}: {e}",
                tls.conn.state_name()
            )
        })?;
        let value = handle(&mut tls).map_err(|e| {
            format!(
                "{e} (after a handshake with {})",
                describe(tls.conn.negotiated())
            )
        })?;
        Ok(Served {
            negotiated: tls.conn.negotiated().clone(),
            value,
        })
    })
}

/// A ferrotls server that echoes everything until the client's close_notify, then
/// sends its own. Reports how many bytes it echoed.
pub fn ferrotls_echo_server(config: Arc<ServerConfig>) -> ServerHandle<Served<usize>> {
    ferrotls_server(config, |tls| {
        let mut echoed = 0;
        let mut buf = [0u8; 4096];
        loop {
            let n = tls
                .read(&mut buf)
                .map_err(|e| format!("reading from the client after {echoed} bytes: {e}"))?;
            let Some(data) = buf.get(..n).filter(|d| !d.is_empty()) else {
                break;
            };
            tls.write_all(data)
                .and_then(|()| tls.flush())
                .map_err(|e| format!("echoing to the client: {e}"))?;
            echoed += n;
        }
        // The client may close its socket right after its close_notify without
        // reading ours, so a failure to send it is not the server's fault.
        let _ = tls.close();
        Ok(echoed)
    })
}

/// A ferrotls HTTPS server for one request: reads the request head, answers
/// `200 OK` with a one-line body describing the handshake ([`describe`]). Reports the body.
pub fn ferrotls_http_server(config: Arc<ServerConfig>) -> ServerHandle<Served<String>> {
    ferrotls_server(config, |tls| {
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tls
                .read(&mut buf)
                .map_err(|e| format!("reading the HTTP request: {e}"))?;
            let data = buf.get(..n).unwrap_or_default();
            if data.is_empty() {
                return Err(format!(
                    "the client closed before the end of the request head: {:?}",
                    String::from_utf8_lossy(&request)
                ));
            }
            request.extend_from_slice(data);
        }
        let body = format!("{}\n", describe(tls.conn.negotiated()));
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        tls.write_all(response.as_bytes())
            .and_then(|()| tls.flush())
            .map_err(|e| format!("writing the HTTP response: {e}"))?;
        tls.close()
            .map_err(|e| format!("sending close_notify after the response: {e}"))?;
        // Let the client read everything and close first; what it sends now is irrelevant.
        let mut rest = Vec::new();
        let _ = tls.read_to_end(&mut rest);
        Ok(body)
    })
}

/// Connects a ferrotls client to 127.0.0.1:`port` as `server_name` and completes the
/// handshake.
pub fn ferrotls_client(
    config: Arc<ClientConfig>,
    port: u16,
    server_name: &str,
) -> Result<ClientStream, String> {
    let name = ServerName::try_from(server_name.to_string())
        .map_err(|e| format!("invalid server name {server_name:?}: {e}"))?;
    let conn = ClientConnection::new(config, name)
        .map_err(|e| format!("ClientConnection::new failed: {e}"))?;
    let mut tls = StreamOwned::new(conn, connect(port)?);
    tls.handshake().map_err(|e| {
        format!(
            "ferrotls client handshake with 127.0.0.1:{port} failed in state {}: {e}",
            tls.conn.state_name()
        )
    })?;
    Ok(tls)
}

/// Reads until a newline and returns the line without it.
pub fn read_line(stream: &mut impl Read) -> Result<String, String> {
    let deadline = Instant::now() + TIMEOUT;
    let mut line = Vec::new();
    let mut buf = [0u8; 1024];
    while !line.ends_with(b"\n") {
        if Instant::now() >= deadline {
            return Err(format!("no full line within {TIMEOUT:?}; got {line:?}"));
        }
        let n = stream.read(&mut buf).map_err(|e| {
            format!(
                "reading a line (got {:?} so far): {e}",
                String::from_utf8_lossy(&line)
            )
        })?;
        let data = buf.get(..n).unwrap_or_default();
        if data.is_empty() {
            return Err(format!(
                "the peer closed the connection before a full line; got {:?}",
                String::from_utf8_lossy(&line)
            ));
        }
        line.extend_from_slice(data);
    }
    line.pop();
    String::from_utf8(line).map_err(|e| format!("the line is not UTF-8: {e}"))
}

/// Sends `line` and a newline, then reads the peer's one-line answer.
pub fn exchange_line(stream: &mut (impl Read + Write), line: &str) -> Result<String, String> {
    stream
        .write_all(format!("{line}\n").as_bytes())
        .and_then(|()| stream.flush())
        .map_err(|e| format!("sending {line:?}: {e}"))?;
    read_line(stream)
}

/// Reads until the peer's close_notify; any data still arriving is an error.
pub fn expect_close_notify(stream: &mut impl Read) -> Result<(), String> {
    let mut rest = Vec::new();
    match stream.read_to_end(&mut rest) {
        Ok(_) if rest.is_empty() => Ok(()),
        Ok(_) => Err(format!(
            "unexpected data before close_notify: {:?}",
            String::from_utf8_lossy(&rest)
        )),
        Err(e) => Err(format!("waiting for the peer's close_notify: {e}")),
    }
}

/// Sends our close_notify and waits for the peer's.
pub fn close_both_ways(tls: &mut ClientStream) -> Result<(), String> {
    tls.close()
        .map_err(|e| format!("sending close_notify: {e}"))?;
    expect_close_notify(tls)
}

// ---------------------------------------------------------------------------------
// Client certificates and OCSP responses from the test PKI.

impl TestPki {
    /// A client certificate for `name` (extended key usage clientAuth) signed by this
    /// CA, written to `client-<kind>-cert.pem` and `client-<kind>-key.pem`.
    pub fn client_leaf(&self, kind: KeyKind, name: &str) -> Leaf {
        let key = kind.generate();
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()])
            .unwrap_or_else(|e| panic!("bad subject alternative name {name:?}: {e}"));
        params.distinguished_name = distinguished_name(name);
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params
            .signed_by(&key, &self.issuer)
            .unwrap_or_else(|e| panic!("cannot sign the client certificate: {e}"));
        let label = format!("client-{}", kind.label());
        Leaf {
            kind,
            cert_file: self.dir.write(&format!("{label}-cert.pem"), &cert.pem()),
            key_file: self
                .dir
                .write(&format!("{label}-key.pem"), &key.serialize_pem()),
            cert: cert.der().clone(),
            key_pkcs8: key.serialize_der(),
        }
    }

    /// A DER OCSP response for `leaf`, signed by this CA with `openssl ocsp`: status
    /// good, or revoked when `revoked`; valid for a day from now.
    pub fn ocsp_response(&self, leaf: &Leaf, revoked: bool) -> Vec<u8> {
        let dir = self.dir.path();
        let ca_key = self
            .dir
            .write("ca-key.pem", &self.issuer.key().serialize_pem());
        let openssl = |args: &[&OsStr]| -> String {
            let out = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .unwrap_or_else(|e| panic!("cannot run openssl (needed for OCSP responses): {e}"));
            assert!(
                out.status.success(),
                "openssl {:?} failed: {}",
                args,
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        // "serial=0A1B..." -> the index wants the hex serial.
        let serial = openssl(&[
            OsStr::new("x509"),
            OsStr::new("-noout"),
            OsStr::new("-serial"),
            OsStr::new("-in"),
            leaf.cert_file.as_os_str(),
        ]);
        let serial = serial.trim().trim_start_matches("serial=");
        let line = if revoked {
            format!("R\t300101000000Z\t240101000000Z\t{serial}\tunknown\t/CN=localhost\n")
        } else {
            format!("V\t300101000000Z\t\t{serial}\tunknown\t/CN=localhost\n")
        };
        let index = self.dir.write("ocsp-index.txt", &line);
        let resp = dir.join("ocsp-resp.der");
        openssl(&[
            "ocsp".as_ref(),
            "-index".as_ref(),
            index.as_os_str(),
            "-rsigner".as_ref(),
            self.ca_file.as_os_str(),
            "-rkey".as_ref(),
            ca_key.as_os_str(),
            "-CA".as_ref(),
            self.ca_file.as_os_str(),
            "-issuer".as_ref(),
            self.ca_file.as_os_str(),
            "-cert".as_ref(),
            leaf.cert_file.as_os_str(),
            "-ndays".as_ref(),
            "1".as_ref(),
            "-respout".as_ref(),
            resp.as_os_str(),
        ]);
        std::fs::read(&resp).unwrap_or_else(|e| panic!("cannot read {}: {e}", resp.display()))
    }
}
