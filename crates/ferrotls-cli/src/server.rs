//! `ferrotls server`: an echo or HTTPS status server (like `openssl s_server`).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrotls::server::{ServerConfig, ServerConnection};
use ferrotls::stream::StreamOwned;

use crate::common;
use crate::devcert::{self, KeyType};
use crate::trace::TracePrinter;

#[derive(clap::Args)]
pub struct ServerArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = 4433)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Certificate chain file (PEM, leaf first); repeat with --key for several.
    #[arg(long)]
    cert: Vec<PathBuf>,
    /// Private key file for the --cert at the same position.
    #[arg(long)]
    key: Vec<PathBuf>,
    /// Use (creating on first use) a development CA and a localhost certificate.
    #[arg(long)]
    dev: bool,
    /// Serve HTTPS: a status page showing the visitor's own connection.
    #[arg(long)]
    www: bool,
    /// With --www, also serve the files under this directory.
    #[arg(long)]
    root: Option<PathBuf>,
    /// ALPN protocols to accept, comma-separated, in preference order.
    #[arg(long, value_delimiter = ',')]
    alpn: Vec<String>,
    /// Key exchange groups in preference order, comma-separated.
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// Narrate each handshake on stderr.
    #[arg(long)]
    trace: bool,
    /// Accept TLS 1.3 0-RTT data up to this many bytes (off by default; replayable!).
    #[arg(long, value_name = "BYTES")]
    early_data: Option<u32>,
    /// Ask for client certificates: `optional` or `required`, verified against --client-ca.
    #[arg(long, value_name = "MODE")]
    client_auth: Option<String>,
    /// CA certificates (PEM) that client certificates must chain to.
    #[arg(long)]
    client_ca: Option<PathBuf>,
    /// A DER OCSP response to staple for the (first) certificate.
    #[arg(long)]
    ocsp: Option<PathBuf>,
    /// Only TLS 1.2.
    #[arg(long = "tls1.2", conflicts_with = "tls13")]
    tls12: bool,
    /// Only TLS 1.3.
    #[arg(long = "tls1.3")]
    tls13: bool,
    /// Also offer the legacy TLS 1.2 suites (static RSA, CBC) for old clients.
    #[arg(long)]
    legacy: bool,
    /// Serve this many connections, then exit (default: forever).
    #[arg(long)]
    count: Option<usize>,
}

/// How many connections may be in progress at once.
const MAX_CONNECTIONS: usize = 512;

fn dev_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FERROTLS_DEV_DIR") {
        return PathBuf::from(d);
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| ".".into());
    home.join(".local/share/ferrotls")
}

/// Loads the development certificate, creating the CA and leaf on first use.
fn dev_cert() -> Result<(PathBuf, PathBuf), String> {
    let dir = dev_dir();
    let (ca, chain, key) = (
        dir.join("dev-ca.pem"),
        dir.join("dev-localhost.pem"),
        dir.join("dev-localhost.key"),
    );
    if !chain.exists() || !key.exists() {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let dev = devcert::generate(&["localhost", "127.0.0.1", "::1"], KeyType::Ecdsa)?;
        let pem = |tag: &str, der: &[u8]| ferrotls_pem(tag, der);
        let chain_pem: String = dev
            .chain
            .iter()
            .map(|c| pem("CERTIFICATE", c.as_ref()))
            .collect();
        write_file(&ca, &pem("CERTIFICATE", dev.ca.as_ref()))?;
        write_file(&chain, &chain_pem)?;
        write_file(&key, &pem("PRIVATE KEY", dev.key.secret_der()))?;
        eprintln!("Created a development CA in {}.", dir.display());
    }
    eprintln!(
        "Using the development certificate for localhost. To trust it: curl --cacert {}, or add that file to your trust store.",
        ca.display()
    );
    Ok((chain, key))
}

fn write_file(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// PEM-encodes DER bytes (RFC 7468).
pub fn ferrotls_pem(tag: &str, der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, b| acc << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            b64.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        for _ in chunk.len()..3 {
            b64.push('=');
        }
    }
    let mut out = format!("-----BEGIN {tag}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {tag}-----\n"));
    out
}

pub fn run(args: ServerArgs) -> Result<(), String> {
    let mut pairs: Vec<(PathBuf, PathBuf)> = args
        .cert
        .iter()
        .cloned()
        .zip(args.key.iter().cloned())
        .collect();
    if args.cert.len() != args.key.len() {
        return Err("give one --key for each --cert".into());
    }
    if args.dev {
        pairs.push(dev_cert()?);
    }
    if pairs.is_empty() {
        return Err("give --cert FILE --key FILE, or --dev for a development certificate".into());
    }
    let mut builder = ServerConfig::builder();
    let ocsp = match &args.ocsp {
        Some(p) => Some(std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?),
        None => None,
    };
    for (i, (cert, key)) in pairs.iter().enumerate() {
        let chain = ferrotls::pem::load_certs(cert).map_err(|e| e.to_string())?;
        let key = ferrotls::pem::load_private_key(key).map_err(|e| e.to_string())?;
        builder = match (&ocsp, i) {
            (Some(ocsp), 0) => builder.cert_with_ocsp(chain, &key, ocsp.clone()),
            _ => builder.cert(chain, &key),
        }
        .map_err(|e| e.to_string())?;
    }
    if let Some(bytes) = args.early_data {
        eprintln!("0-RTT enabled up to {bytes} bytes: early data may be replayed; it is only echoed here.");
        builder = builder.max_early_data(bytes);
    }
    if let Some(mode) = &args.client_auth {
        let ca = args.client_ca.as_ref().ok_or(
            "--client-auth needs --client-ca FILE (the CA that issues client certificates)",
        )?;
        let verifier = ferrotls::pki::Verifier::from_pem_files(&[ca]).map_err(|e| e.to_string())?;
        let auth = ferrotls::pki::ClientAuthVerifier::new(verifier);
        let auth = match mode.as_str() {
            "required" => auth,
            "optional" => auth.optional(),
            other => {
                return Err(format!(
                    "--client-auth {other}: choose optional or required"
                ))
            }
        };
        builder = builder.client_auth(Arc::new(auth));
    }
    if args.tls12 {
        builder = builder.versions(&[ferrotls::msgs::enums::ProtocolVersion::TLSv1_2]);
    } else if args.tls13 {
        builder = builder.versions(&[ferrotls::msgs::enums::ProtocolVersion::TLSv1_3]);
    }
    if args.legacy {
        builder = builder.enable_legacy_tls12_suites();
    }
    builder = builder.alpn(args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect());
    if !args.groups.is_empty() {
        builder = builder.groups(&common::parse_groups(&args.groups)?);
    }
    if args.trace {
        builder = builder.observer(Arc::new(TracePrinter::new(
            "server",
            Box::new(std::io::stderr()),
            false,
        )));
    }
    if let Some(k) = ferrotls::observe::KeyLogFile::from_env() {
        builder = builder.key_log(Arc::new(k));
    }
    let config = builder.build().map_err(|e| e.to_string())?;

    let listener = TcpListener::bind((args.bind.as_str(), args.port))
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.bind, args.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!(
        "ferrotls server listening on {addr} ({} mode)",
        if args.www { "https" } else { "echo" }
    );
    let active = Arc::new(AtomicUsize::new(0));
    let www = args.www.then(|| Arc::new(args.root.unwrap_or_default()));
    let mut handles = Vec::new();
    for (served, incoming) in listener.incoming().enumerate() {
        let sock = match incoming {
            Ok(s) => s,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            eprintln!(
                "{}: refused, {MAX_CONNECTIONS} connections already open",
                peer(&sock)
            );
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let (config, active, www) = (config.clone(), active.clone(), www.clone());
        handles.push(std::thread::spawn(move || {
            let who = peer(&sock);
            let line = serve(config, sock, www.as_deref().map(|p| p.as_path()));
            eprintln!("{who} {line}");
            active.fetch_sub(1, Ordering::SeqCst);
        }));
        if args.count.is_some_and(|c| served + 1 >= c) {
            break;
        }
    }
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}

fn peer(sock: &TcpStream) -> String {
    sock.peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// Serves one connection and returns its one-line log outcome.
fn serve(config: Arc<ServerConfig>, sock: TcpStream, www: Option<&Path>) -> String {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(30)));
    let conn = match ServerConnection::new(config) {
        Ok(c) => c,
        Err(e) => return format!("failed: {e}"),
    };
    let mut tls = StreamOwned::new(conn, sock);
    if let Err(e) = tls.handshake() {
        return format!("handshake failed: {e}");
    }
    let mut summary = summary(&tls.conn);
    if tls.conn.early_data_accepted() {
        let mut early = Vec::new();
        let _ = std::io::Read::read_to_end(&mut tls.conn.early_data(), &mut early);
        summary.push_str(&format!(" 0-RTT={}B", early.len()));
        if www.is_none() && !early.is_empty() {
            let _ = tls.write_all(&early);
        }
    }
    let result = match www {
        Some(dir) => serve_http(&mut tls, dir, &summary),
        None => echo(&mut tls),
    };
    match result {
        Ok(bytes) => format!("{summary}: closed after {bytes} bytes"),
        Err(e) => format!("{summary}: ended with error: {e}"),
    }
}

fn summary(conn: &ferrotls::Connection) -> String {
    let n = conn.negotiated();
    format!(
        "{} {} {}{}{} sni={} alpn={}",
        n.version.map(|v| v.to_string()).unwrap_or_default(),
        n.cipher_suite.map(|s| s.to_string()).unwrap_or_default(),
        n.group.map(|g| g.to_string()).unwrap_or_default(),
        if n.hello_retry { " (HRR)" } else { "" },
        if n.resumed { " resumed" } else { "" },
        n.server_name.as_deref().unwrap_or("-"),
        n.alpn
            .as_deref()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_else(|| "-".into()),
    )
}

fn echo(tls: &mut StreamOwned<ServerConnection, TcpStream>) -> std::io::Result<usize> {
    let mut buf = vec![0u8; 16 * 1024];
    let mut total = 0;
    loop {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            tls.close()?;
            return Ok(total);
        }
        total += n;
        tls.write_all(&buf[..n])?;
    }
}

/// Reads one HTTP/1.1 request and answers it: `/` is the status page, other paths
/// are files under `dir` (never outside it).
fn serve_http(
    tls: &mut StreamOwned<ServerConnection, TcpStream>,
    dir: &Path,
    summary: &str,
) -> std::io::Result<usize> {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tls.read(&mut buf)?;
        if n == 0 || req.len() > 64 * 1024 {
            return Ok(req.len());
        }
        req.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&req);
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, body, kind) = if path == "/" {
        let n = tls.conn.negotiated();
        let body = format!(
            "<!doctype html><title>ferrotls</title><h1>Your connection</h1><pre>{summary}\nsignature: {}\nHelloRetryRequest: {}</pre>\n",
            n.signature_scheme.map(|s| s.to_string()).unwrap_or_default(),
            n.hello_retry
        );
        ("200 OK", body.into_bytes(), "text/html; charset=utf-8")
    } else {
        match safe_path(dir, &path).and_then(|p| std::fs::read(p).ok()) {
            Some(bytes) => ("200 OK", bytes, "application/octet-stream"),
            None => ("404 Not Found", b"not found\n".to_vec(), "text/plain"),
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\nstrict-transport-security: max-age=300\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes())?;
    tls.write_all(&body)?;
    tls.close()?;
    Ok(req.len() + head.len() + body.len())
}

/// Maps a URL path to a file under `dir`, refusing `..`, absolute and hidden parts.
fn safe_path(dir: &Path, url_path: &str) -> Option<PathBuf> {
    if dir.as_os_str().is_empty() {
        return None;
    }
    let mut out = dir.to_path_buf();
    for part in url_path
        .split('?')
        .next()?
        .split('/')
        .filter(|p| !p.is_empty())
    {
        if part.starts_with('.') || part.contains('\\') {
            return None;
        }
        out.push(part);
    }
    out.is_file().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_encoding_matches_base64() {
        assert_eq!(
            ferrotls_pem("X", b"hello!?"),
            "-----BEGIN X-----\naGVsbG8hPw==\n-----END X-----\n"
        );
    }

    #[test]
    fn paths_stay_inside_the_directory() {
        let dir = std::env::temp_dir();
        assert!(safe_path(&dir, "/../etc/passwd").is_none());
        assert!(safe_path(&dir, "/.ssh/id").is_none());
        assert!(safe_path(Path::new(""), "/x").is_none());
    }
}
