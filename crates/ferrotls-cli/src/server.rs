//! `ferrotls server`: an echo or HTTPS status server (like `openssl s_server`), on
//! tokio through ferrotls-tokio, so it holds many connections at once.
//!
//! Every connection ends in one log line on stderr: the peer, the negotiated
//! parameters, and what happened (`echoed 12 bytes`, `GET / 200`, or why it failed).
//! A handshake must finish within `--handshake-timeout`; beyond `--max-connections`
//! open connections, new ones are refused (and logged).

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrotls::server::ServerConfig;
use ferrotls_tokio::pause::AsyncHandlers;
use ferrotls_tokio::TlsAcceptor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::common::{self, Palette};
use crate::fleet::{Fleet, FleetKnobs};
use crate::knobs::{Knobs, SessionKnobs};
use crate::trace::TracePrinter;

#[derive(clap::Args)]
pub struct ServerArgs {
    /// Port to listen on (0: any free port; the log says which).
    #[arg(long, default_value_t = 4433)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// Certificate chain file (PEM, leaf first); repeat with --key for several
    /// (chosen by SNI and by the key types the client accepts).
    #[arg(long)]
    cert: Vec<PathBuf>,
    /// Private key file for the --cert at the same position.
    #[arg(long)]
    key: Vec<PathBuf>,
    /// Use (creating on first use) the development CA in $FERROTLS_DEV_DIR or
    /// ~/.local/share/ferrotls, and a certificate for localhost it issues.
    #[arg(long)]
    dev: bool,
    /// Serve HTTPS: `/` shows the visitor's own connection; other paths are files
    /// under --root.
    #[arg(long)]
    www: bool,
    /// With --www, serve the files under this directory (never outside it).
    #[arg(long, requires = "www")]
    root: Option<PathBuf>,
    /// ALPN protocols to accept, comma-separated, in preference order (--www: http/1.1).
    #[arg(long, value_delimiter = ',')]
    alpn: Vec<String>,
    /// Narrate each handshake on stderr.
    #[arg(long)]
    trace: bool,
    /// Accept TLS 1.3 0-RTT data up to this many bytes (off by default; replayable!).
    #[arg(long, value_name = "BYTES")]
    early_data: Option<u32>,
    /// Ask for client certificates: `optional` or `required` (in the handshake), or
    /// `post-handshake` (TLS 1.3: once the handshake is done, of clients that offer
    /// it, like `openssl s_client -enable_pha`), verified against --client-ca.
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
    #[command(flatten)]
    knobs: Knobs,
    #[command(flatten)]
    sessions: SessionKnobs,
    #[command(flatten)]
    fleet: FleetKnobs,
    /// Accept this many connections, finish them, then exit (default: forever).
    #[arg(long)]
    count: Option<usize>,
    /// Connections open at once; more are refused.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client may take to complete its handshake.
    #[arg(long, default_value_t = 10)]
    handshake_timeout: u64,
    /// Accept Encrypted Client Hello with the keys in FILE (from `ferrotls cert ech`);
    /// repeatable: the first is the current configuration, sent to clients whose
    /// offer fails. TLS 1.3 only.
    #[arg(long, value_name = "FILE", conflicts_with = "tls12")]
    ech: Vec<PathBuf>,
    /// Log each connection's exported keying material for LABEL (RFC 5705 / RFC 8446
    /// 7.5, no context), as `openssl s_server -keymatexport` prints it.
    #[arg(long, value_name = "LABEL")]
    keymatexport: Option<String>,
    /// How many bytes --keymatexport exports.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 20,
        requires = "keymatexport"
    )]
    keymatexportlen: usize,
}

/// How long an HTTP client may take to send its request, and an echo client may stay silent.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// The largest HTTP request head read.
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// Files up to this size are sent with their response head in one write.
const ONE_WRITE_FILE: u64 = 1024 * 1024;

fn build_config(args: &ServerArgs, fleet: &Fleet) -> Result<Arc<ServerConfig>, String> {
    if args.cert.len() != args.key.len() {
        return Err("give one --key for each --cert".into());
    }
    let mut pairs: Vec<(PathBuf, PathBuf)> = args
        .cert
        .iter()
        .cloned()
        .zip(args.key.iter().cloned())
        .collect();
    if args.dev {
        pairs.push(crate::cert::dev::dev_cert()?);
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
        builder = match mode.as_str() {
            "required" => builder.client_auth(Arc::new(auth)),
            "optional" => builder.client_auth(Arc::new(auth.optional())),
            "post-handshake" => builder.post_handshake_client_auth(Arc::new(auth)),
            other => {
                return Err(format!(
                    "--client-auth {other}: choose optional, required or post-handshake"
                ))
            }
        };
    }
    builder = args
        .knobs
        .server(builder, args.tls12, args.tls13, args.legacy)?;
    builder = args.sessions.server(builder, args.early_data.is_some())?;
    builder = fleet.apply(builder);
    for path in &args.ech {
        let keys = load_ech_keys(path)?;
        eprintln!(
            "Encrypted Client Hello: accepting config_id {} (public name {}) from {}",
            keys.config().config_id,
            keys.config().public_name,
            path.display()
        );
        builder = builder.ech_keys(keys);
    }
    let alpn: Vec<Vec<u8>> = if args.alpn.is_empty() && args.www {
        vec![b"http/1.1".to_vec()]
    } else {
        args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect()
    };
    builder = builder.alpn(alpn);
    if args.trace {
        builder = builder.observer(Arc::new(TracePrinter::new(
            "server",
            Box::new(std::io::stderr()),
            false,
            Palette::for_stream(&std::io::stderr()),
        )));
    }
    if let Some(k) = ferrotls::observe::KeyLogFile::from_env() {
        builder = builder.key_log(Arc::new(k));
    }
    builder.build().map_err(|e| e.to_string())
}

/// The ECH keys in `path`, a PEM file written by `ferrotls cert ech`.
fn load_ech_keys(path: &Path) -> Result<ferrotls::ech::EchKeys, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--ech {}: cannot read it: {e}", path.display()))?;
    ferrotls::ech::EchKeys::from_pem(&text).map_err(|e| {
        format!(
            "--ech {}: {e}. `ferrotls cert ech --public-name NAME` makes a key file",
            path.display()
        )
    })
}

/// What every connection task shares.
struct Shared {
    acceptor: TlsAcceptor,
    /// `Some` in --www mode: the directory of files, if any.
    www: Option<Option<PathBuf>>,
    handshake_timeout: Duration,
    /// --keymatexport: the label and length.
    keymat: Option<(String, usize)>,
    /// --client-auth post-handshake: ask every client that offers it, after the handshake.
    post_handshake_auth: bool,
}

pub fn run(args: ServerArgs) -> Result<(), String> {
    if args.max_connections == 0 {
        return Err("--max-connections must be at least 1".into());
    }
    if args.handshake_timeout == 0 {
        return Err("--handshake-timeout must be at least 1 second".into());
    }
    if let Some(root) = &args.root {
        if !root.is_dir() {
            return Err(format!("--root {}: not a directory", root.display()));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    // --ticket-keys, --session-store: their tasks run on this runtime while we serve.
    let fleet = runtime.block_on(args.fleet.start())?;
    let config = build_config(&args, &fleet)?;
    runtime.block_on(serve(args, config, fleet.handlers()))
}

async fn serve(
    args: ServerArgs,
    config: Arc<ServerConfig>,
    handlers: AsyncHandlers,
) -> Result<(), String> {
    let listener = TcpListener::bind((args.bind.as_str(), args.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", args.bind, args.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!(
        "ferrotls server listening on {addr} ({} mode); at most {} connections, {} s per handshake",
        if args.www { "https" } else { "echo" },
        args.max_connections,
        args.handshake_timeout
    );
    let shared = Arc::new(Shared {
        acceptor: TlsAcceptor::from(config).with_handlers(handlers),
        www: args.www.then(|| args.root.clone()),
        handshake_timeout: Duration::from_secs(args.handshake_timeout),
        keymat: args.keymatexport.clone().map(|l| (l, args.keymatexportlen)),
        post_handshake_auth: args.client_auth.as_deref() == Some("post-handshake"),
    });
    let open = Arc::new(Semaphore::new(args.max_connections));
    let mut tasks = JoinSet::new();
    let mut accepted = 0usize;
    while args.count.is_none_or(|c| accepted < c) {
        let (tcp, peer) = match listener.accept().await {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                eprintln!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        accepted += 1;
        let Ok(permit) = open.clone().try_acquire_owned() else {
            eprintln!(
                "{peer} refused: {} connections are already open (--max-connections)",
                args.max_connections
            );
            continue;
        };
        let shared = shared.clone();
        tasks.spawn(async move {
            let line = handle(tcp, peer, &shared).await;
            // SNI, ALPN, certificate names, errors and request lines: the peer's.
            eprintln!("{peer} {}", common::printable(&line));
            drop(permit);
        });
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}

type Tls = ferrotls_tokio::server::TlsStream<TcpStream>;

/// Serves one connection; returns its log line (without the peer).
async fn handle(tcp: TcpStream, peer: SocketAddr, shared: &Shared) -> String {
    let _ = tcp.set_nodelay(true);
    let mut tls = match shared
        .acceptor
        .accept_with_timeout(tcp, shared.handshake_timeout)
        .await
    {
        Ok(t) => t,
        Err(e) => return format!("handshake failed: {e}"),
    };
    let mut summary = summary(tls.get_ref().1.negotiated());
    if let Some((label, len)) = &shared.keymat {
        match common::keying_material(tls.get_ref().1, label, *len) {
            Ok(hex) => summary.push_str(&format!(" keymat={hex}")),
            Err(e) => summary.push_str(&format!(" keymat=({e})")),
        }
    }
    // Accepted 0-RTT data is all buffered once the handshake is complete.
    let mut early = Vec::new();
    let _ = io::Read::read_to_end(&mut tls.get_mut().1.early_data(), &mut early);
    if !early.is_empty() {
        summary.push_str(&format!(" 0-RTT={}B", early.len()));
    }
    if shared.post_handshake_auth {
        // RFC 8446, 4.6.2: the request goes out with our next write; the answer is
        // read, and verified, with the client's data.
        if let Err(e) = tls.conn_mut().request_client_certificate() {
            summary.push_str(&format!(" pha=({e})"));
        } else if let Err(e) = tls.flush().await {
            return format!("{summary}: ended with error: {e}");
        }
    }
    let result = match &shared.www {
        Some(root) => serve_http(&mut tls, root.as_deref(), peer).await,
        None => echo(&mut tls, &early).await,
    };
    if shared.post_handshake_auth {
        let n = tls.get_ref().1.negotiated();
        if n.post_handshake_auth.requests > 0 {
            match client_subject(n) {
                Some(subject) => summary.push_str(&format!(" pha=\"{subject}\"")),
                None if n.post_handshake_auth.answered > 0 => summary.push_str(" pha=none"),
                None => summary.push_str(" pha=unanswered"),
            }
        }
    }
    match result {
        Ok(outcome) => format!("{summary}: {outcome}"),
        Err(e) => format!("{summary}: ended with error: {e}"),
    }
}

/// `TLSv1.3 TLS13_AES_256_GCM_SHA384 X25519MLKEM768 sni=localhost alpn=http/1.1`.
fn summary(n: &ferrotls::conn::Negotiated) -> String {
    let mut s = format!(
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
    );
    if let Some(subject) = client_subject(n) {
        s.push_str(&format!(" client=\"{subject}\""));
    }
    if let Some(ech) = common::ech_outcome(n.ech) {
        s.push_str(&format!(" ech={ech}"));
    }
    // RFC 7627: a TLS 1.2 client without the extended master secret is served, and
    // the log says so.
    if n.version == Some(ferrotls::msgs::enums::ProtocolVersion::TLSv1_2)
        && !n.extended_master_secret
    {
        s.push_str(" ems=no");
    }
    s
}

fn client_subject(n: &ferrotls::conn::Negotiated) -> Option<String> {
    let der = n.peer_certificates.first()?;
    Some(
        ferrotls::pki::ParsedCert::parse(der.as_ref())
            .map(|p| p.subject)
            .unwrap_or_else(|_| "an unparseable certificate".into()),
    )
}

fn timed_out(what: &str, after: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("{what} within {} s", after.as_secs()),
    )
}

async fn echo(tls: &mut Tls, early: &[u8]) -> io::Result<String> {
    let mut total = early.len();
    if !early.is_empty() {
        tls.write_all(early).await?;
        tls.flush().await?;
    }
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::time::timeout(IDLE_TIMEOUT, tls.read(&mut buf))
            .await
            .map_err(|_| timed_out("the client sent nothing", IDLE_TIMEOUT))??;
        if n == 0 {
            tls.shutdown().await?;
            return Ok(format!("echoed {total} bytes, closed"));
        }
        total += n;
        tls.write_all(&buf[..n]).await?;
        tls.flush().await?;
    }
}

/// Reads the request head: up to the blank line, at most [`MAX_REQUEST_HEAD`] bytes.
async fn read_request_head(tls: &mut Tls) -> io::Result<Option<Vec<u8>>> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_REQUEST_HEAD {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the request head exceeds {MAX_REQUEST_HEAD} bytes"),
            ));
        }
        let n = match tokio::time::timeout(REQUEST_TIMEOUT, tls.read(&mut buf)).await {
            Err(_) => {
                return Err(timed_out(
                    "no complete HTTP request arrived",
                    REQUEST_TIMEOUT,
                ))
            }
            // Browsers open spare connections and drop them unused, without close_notify.
            Ok(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof && head.is_empty() => 0,
            Ok(r) => r?,
        };
        if n == 0 {
            return Ok(None);
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(Some(head))
}

/// Answers one HTTP/1.1 request, then closes: `/` is the status page, other paths
/// are files under `root`.
async fn serve_http(tls: &mut Tls, root: Option<&Path>, peer: SocketAddr) -> io::Result<String> {
    let Some(head) = read_request_head(tls).await? else {
        return Ok("closed without sending a request".into());
    };
    let text = String::from_utf8_lossy(&head);
    let mut request_line = text.lines().next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default().to_string();
    let target = request_line.next().unwrap_or("/").to_string();
    let user_agent = text
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("user-agent")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();

    let (status, kind, body): (&str, &str, Body) = if method != "GET" && method != "HEAD" {
        (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            Body::Bytes(b"only GET and HEAD are served\n".to_vec()),
        )
    } else if path == "/" {
        let n = tls.get_ref().1.negotiated();
        let page = status_page(n, peer, &user_agent, root);
        (
            "200 OK",
            "text/html; charset=utf-8",
            Body::Bytes(page.into_bytes()),
        )
    } else {
        match root.and_then(|r| safe_path(r, &path)) {
            Some(p) if p.is_dir() => match p.join("index.html") {
                index if index.is_file() => {
                    ("200 OK", "text/html; charset=utf-8", Body::File(index))
                }
                _ => (
                    "200 OK",
                    "text/html; charset=utf-8",
                    Body::Bytes(listing(&p, &path).into_bytes()),
                ),
            },
            Some(p) => ("200 OK", content_type(&p), Body::File(p)),
            None => (
                "404 Not Found",
                "text/plain; charset=utf-8",
                Body::Bytes(b"not found\n".to_vec()),
            ),
        }
    };
    let (len, file) = match &body {
        Body::Bytes(b) => (b.len() as u64, None),
        Body::File(p) => {
            let f = tokio::fs::File::open(p).await?;
            (f.metadata().await?.len(), Some(f))
        }
    };
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {len}\r\nconnection: close\r\ncache-control: no-store\r\nserver: ferrotls\r\n\r\n"
    );
    // The head and the body leave in one write, so a response that fits one record
    // (16 KiB) is one record, as `openssl s_server -www` sends it; a file over
    // ONE_WRITE_FILE follows its head in pieces.
    let mut response = head.into_bytes();
    let mut rest = None;
    if method != "HEAD" {
        match (body, file) {
            (_, Some(mut f)) if len <= ONE_WRITE_FILE => {
                f.read_to_end(&mut response).await?;
            }
            (_, Some(f)) => rest = Some(f),
            (Body::Bytes(b), None) => response.extend_from_slice(&b),
            (Body::File(_), None) => {}
        }
    }
    tls.write_all(&response).await?;
    if let Some(mut f) = rest {
        tokio::io::copy(&mut f, tls).await?;
    }
    tls.shutdown().await?;
    Ok(format!("{method} {target} {}, {len} bytes", &status[..3]))
}

enum Body {
    Bytes(Vec<u8>),
    File(PathBuf),
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn status_page(
    n: &ferrotls::conn::Negotiated,
    peer: SocketAddr,
    user_agent: &str,
    root: Option<&Path>,
) -> String {
    let or_none = |s: Option<String>| s.unwrap_or_else(|| "none".into());
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let tls12 = n.version == Some(ferrotls::msgs::enums::ProtocolVersion::TLSv1_2);
    let mut rows: Vec<(&str, &str, String)> = vec![
        (
            "version",
            "Protocol",
            or_none(n.version.map(|v| v.to_string())),
        ),
        (
            "suite",
            "Cipher suite",
            or_none(n.cipher_suite.map(|s| s.to_string())),
        ),
        (
            "group",
            "Key exchange group",
            or_none(n.group.map(|g| g.to_string())),
        ),
        ("hrr", "HelloRetryRequest", yes_no(n.hello_retry)),
        (
            "signature",
            "Server signature",
            or_none(n.signature_scheme.map(|s| s.to_string())),
        ),
        (
            "alpn",
            "ALPN",
            or_none(
                n.alpn
                    .as_deref()
                    .map(|p| String::from_utf8_lossy(p).into_owned()),
            ),
        ),
        ("sni", "Server name (SNI)", or_none(n.server_name.clone())),
        ("resumed", "Resumed session", yes_no(n.resumed)),
        (
            "ech",
            "Encrypted Client Hello",
            common::ech_outcome(n.ech)
                .unwrap_or("not offered")
                .to_string(),
        ),
        (
            "client-cert",
            "Client certificate",
            or_none(client_subject(n)),
        ),
        ("peer", "Your address", peer.to_string()),
        ("user-agent", "Your user agent", user_agent.to_string()),
    ];
    if tls12 {
        rows.insert(
            4,
            (
                "ems",
                "Extended master secret",
                yes_no(n.extended_master_secret),
            ),
        );
    }
    let mut html = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ferrotls: your connection</title>\n\
         <style>body{font-family:sans-serif;margin:2em}th{text-align:left;padding-right:2em}td{font-family:monospace}</style>\n\
         </head><body>\n<h1>Your TLS connection to ferrotls</h1>\n<table>\n",
    );
    for (id, label, value) in rows {
        html.push_str(&format!(
            "<tr><th>{label}</th><td id=\"{id}\">{}</td></tr>\n",
            esc(&value)
        ));
    }
    html.push_str("</table>\n");
    if let Some(root) = root {
        html.push_str(&format!("<h2>Files</h2>\n{}", listing_items(root, "/")));
    }
    html.push_str("</body></html>\n");
    html
}

fn listing_items(dir: &Path, url_path: &str) -> String {
    let mut names: Vec<(String, bool)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().into_string().ok()?;
                    (!name.starts_with('.')).then(|| (name, e.path().is_dir()))
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let base = if url_path.ends_with('/') {
        url_path.to_string()
    } else {
        format!("{url_path}/")
    };
    let mut out = String::from("<ul>\n");
    for (name, is_dir) in names {
        let slash = if is_dir { "/" } else { "" };
        out.push_str(&format!(
            "<li><a href=\"{}{}{slash}\">{}{slash}</a></li>\n",
            esc(&base),
            esc(&percent_encode(&name)),
            esc(&name)
        ));
    }
    out.push_str("</ul>\n");
    out
}

fn listing(dir: &Path, url_path: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0}</title></head><body>\n<h1>{0}</h1>\n{1}</body></html>\n",
        esc(url_path),
        listing_items(dir, url_path)
    )
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("wasm") => "application/wasm",
        Some("pem" | "crt") => "application/x-pem-file",
        _ => "application/octet-stream",
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Decodes %XX escapes; `None` for a bad escape, a NUL byte or invalid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    if out.contains(&0) {
        return None;
    }
    String::from_utf8(out).ok()
}

/// Maps a URL path to an existing file or directory under `root`, refusing `.` and
/// `..` segments, hidden names, backslashes, and symbolic links that lead outside.
fn safe_path(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut out = root.to_path_buf();
    for part in decoded.split('/').filter(|p| !p.is_empty()) {
        if part.starts_with('.') || part.contains('\\') {
            return None;
        }
        out.push(part);
    }
    let real = out.canonicalize().ok()?;
    let real_root = root.canonicalize().ok()?;
    real.starts_with(&real_root).then_some(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_root() {
        let root = std::env::temp_dir().join(format!("ferrotls-www-{}", std::process::id()));
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/a.txt"), "a").unwrap();
        std::fs::write(root.join(".secret"), "s").unwrap();
        assert!(safe_path(&root, "/sub/a.txt").is_some());
        assert!(safe_path(&root, "/sub/%61.txt").is_some());
        assert!(safe_path(&root, "/../etc/passwd").is_none());
        assert!(safe_path(&root, "/sub/..%2f..%2fetc/passwd").is_none());
        assert!(safe_path(&root, "/%2e%2e/etc/passwd").is_none());
        assert!(safe_path(&root, "/.secret").is_none());
        assert!(safe_path(&root, "/sub%00/a.txt").is_none());
        assert!(safe_path(&root, "/missing").is_none());
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink("/etc", root.join("escape"));
            assert!(safe_path(&root, "/escape/passwd").is_none());
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
    }
}
