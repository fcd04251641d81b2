//! `ferrotls client HOST[:PORT]`: connect, narrate, then pipe stdin/stdout (like s_client).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use ferrotls::client::{ClientConfig, ClientConnection};
use ferrotls::pki::ParsedCert;
use ferrotls::pki_types::ServerName;
use ferrotls::stream::StreamOwned;

use crate::common::{self, split_host_port};
use crate::trace::{fmt_time, TracePrinter};

#[derive(clap::Args)]
pub struct ClientArgs {
    /// HOST[:PORT] to connect to (port 443 by default).
    target: String,
    /// Server name to send (SNI) and verify; defaults to HOST.
    #[arg(long)]
    servername: Option<String>,
    /// Do not send SNI.
    #[arg(long)]
    no_sni: bool,
    /// ALPN protocols to offer, comma-separated (e.g. h2,http/1.1).
    #[arg(long, value_delimiter = ',')]
    alpn: Vec<String>,
    /// Trust the CA certificates in this PEM file (instead of the system store).
    #[arg(long)]
    cafile: Option<String>,
    /// Trust Mozilla's root program (webpki-roots) instead of the system store.
    #[arg(long)]
    webpki_roots: bool,
    /// Trust exactly the end-entity certificate in this PEM/DER file (pinning).
    #[arg(long)]
    pin: Option<String>,
    /// Do not verify the server's certificate chain or name (CertificateVerify and
    /// Finished are still checked). For debugging only.
    #[arg(long)]
    insecure: bool,
    /// Key exchange groups in preference order, comma-separated.
    #[arg(long, value_delimiter = ',')]
    groups: Vec<String>,
    /// TLS 1.3 cipher suites in preference order, comma-separated.
    #[arg(long, value_delimiter = ',')]
    ciphers: Vec<String>,
    /// Narrate the handshake; `--trace=keys` also prints the key schedule's secrets.
    #[arg(long, num_args = 0..=1, default_missing_value = "messages")]
    trace: Option<String>,
    /// Exit after the handshake and summary instead of piping stdin/stdout.
    #[arg(long)]
    no_pipe: bool,
    /// After the first connection, reconnect this many times to show resumption.
    #[arg(long, default_value_t = 0)]
    reconnect: usize,
    /// On reconnections, send this file's contents as TLS 1.3 0-RTT early data.
    #[arg(long, value_name = "FILE")]
    early_data: Option<std::path::PathBuf>,
    /// Client certificate chain (PEM) to present when the server asks.
    #[arg(long)]
    cert: Option<String>,
    /// Private key for --cert.
    #[arg(long)]
    key: Option<String>,
    /// Only TLS 1.2.
    #[arg(long = "tls1.2", conflicts_with = "tls13")]
    tls12: bool,
    /// Only TLS 1.3.
    #[arg(long = "tls1.3")]
    tls13: bool,
    /// Also offer the legacy TLS 1.2 suites (static RSA, CBC) for old servers.
    #[arg(long)]
    legacy: bool,
}

pub fn run(args: ClientArgs) -> Result<(), String> {
    let (host, port) = split_host_port(&args.target, 443)?;
    let name = args.servername.clone().unwrap_or_else(|| host.clone());
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| format!("{name} is not a valid DNS name or IP address"))?;

    let mut builder = verifier(&args)?
        .sni(!args.no_sni)
        .alpn(args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect());
    if !args.groups.is_empty() {
        builder = builder.groups(&common::parse_groups(&args.groups)?);
    }
    if !args.ciphers.is_empty() {
        builder = builder.cipher_suites(&common::parse_suites(&args.ciphers)?);
    }
    if let Some(mode) = &args.trace {
        builder = builder.observer(Arc::new(TracePrinter::new(
            "client",
            Box::new(std::io::stderr()),
            mode == "keys",
        )));
    }
    if let Some(k) = ferrotls::observe::KeyLogFile::from_env() {
        builder = builder.key_log(Arc::new(k));
    }
    match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let chain = ferrotls::pem::load_certs(cert).map_err(|e| e.to_string())?;
            let key = ferrotls::pem::load_private_key(key).map_err(|e| e.to_string())?;
            builder = builder
                .client_cert(chain, &key)
                .map_err(|e| e.to_string())?;
        }
        (None, None) => {}
        _ => return Err("give both --cert and --key for a client certificate".into()),
    }
    if args.tls12 {
        builder = builder.versions(&[ferrotls::msgs::enums::ProtocolVersion::TLSv1_2]);
    } else if args.tls13 {
        builder = builder.versions(&[ferrotls::msgs::enums::ProtocolVersion::TLSv1_3]);
    }
    if args.legacy {
        builder = builder.enable_legacy_tls12_suites();
    }
    let early_data = match &args.early_data {
        Some(p) => Some(std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?),
        None => None,
    };
    builder = builder.early_data(early_data.is_some());
    let config = builder.build().map_err(|e| e.to_string())?;

    for attempt in 0..=args.reconnect {
        let sock = TcpStream::connect((host.as_str(), port))
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let mut conn = ClientConnection::new(config.clone(), server_name.clone())
            .map_err(|e| e.to_string())?;
        let mut early_sent = 0;
        if let Some(data) = &early_data {
            early_sent = conn.write_early_data(data).map_err(|e| e.to_string())?;
        }
        let mut tls = StreamOwned::new(conn, sock);
        if let Err(e) = tls.handshake() {
            return Err(format!("handshake with {host}:{port} failed: {e}"));
        }
        if attempt > 0 {
            eprintln!("--- reconnection {attempt}");
        }
        print_summary(&tls.conn);
        if early_data.is_some() {
            eprintln!(
                "{}",
                early_data_line(tls.conn.early_data_status(), early_sent)
            );
        }
        if attempt < args.reconnect {
            // Read briefly so the server's tickets arrive, then close.
            let _ = tls.sock.set_read_timeout(Some(Duration::from_millis(300)));
            let mut buf = [0u8; 4096];
            let _ = tls.read(&mut buf);
            let _ = tls.close();
            continue;
        }
        if args.no_pipe {
            return tls.close().map_err(|e| e.to_string());
        }
        return pipe(tls);
    }
    Ok(())
}

fn early_data_line(status: &ferrotls::conn::ClientEarlyData, sent: usize) -> String {
    use ferrotls::conn::ClientEarlyData as E;
    match status {
        E::NotOffered => "0-RTT: not offered (no ticket allowing early data yet)".into(),
        E::Accepted => format!("0-RTT: the server accepted {sent} bytes of early data"),
        E::Rejected => format!(
            "0-RTT: the server rejected the early data; its {sent} bytes were sent again after the handshake"
        ),
        E::Offered { .. } | E::Sent { .. } => "0-RTT: offered, no answer".into(),
    }
}

/// The configured way of trusting the server: --insecure, --pin, --cafile,
/// --webpki-roots, or the system store.
fn verifier(args: &ClientArgs) -> Result<ferrotls::client::ClientConfigBuilder, String> {
    if args.insecure {
        eprintln!(
            "WARNING: --insecure: the server's certificate chain, validity and name are NOT checked; \
             anyone on the path can impersonate the server. Only its possession of the key is checked."
        );
        return Ok(ClientConfig::builder(Arc::new(InsecureVerifier)));
    }
    let result = if let Some(pin) = &args.pin {
        let certs = ferrotls::pem::load_certs(pin).map_err(|e| e.to_string())?;
        ClientConfig::pinned(certs.into_iter().take(1).collect())
    } else if let Some(cafile) = &args.cafile {
        let certs = ferrotls::pem::load_certs(cafile).map_err(|e| e.to_string())?;
        ClientConfig::with_root_certificates(certs)
    } else if args.webpki_roots {
        Ok(ClientConfig::with_webpki_roots())
    } else {
        ClientConfig::with_system_roots()
    };
    result.map_err(|e| e.to_string())
}

/// Accepts any certificate chain: `--insecure`.
#[derive(Debug)]
struct InsecureVerifier;

impl ferrotls::pki::ServerCertVerifier for InsecureVerifier {
    fn verify_server_cert(
        &self,
        _end_entity: &ferrotls::pki_types::CertificateDer<'_>,
        _intermediates: &[ferrotls::pki_types::CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: ferrotls::pki_types::UnixTime,
    ) -> Result<ferrotls::pki::ServerCertVerified, ferrotls::Error> {
        Ok(ferrotls::pki::ServerCertVerified::assertion())
    }
}

fn print_summary(conn: &ferrotls::Connection) {
    let n = conn.negotiated();
    let mut out = std::io::stderr();
    let _ = writeln!(out, "---");
    let _ = writeln!(
        out,
        "Connected: {} with {}, key exchange {}{}, {}",
        n.version.map(|v| v.to_string()).unwrap_or_default(),
        n.cipher_suite.map(|s| s.to_string()).unwrap_or_default(),
        n.group.map(|g| g.to_string()).unwrap_or_default(),
        if n.hello_retry {
            " (after HelloRetryRequest)"
        } else {
            ""
        },
        match (n.resumed, n.signature_scheme) {
            (true, _) => "resumed a previous session".to_string(),
            (false, Some(s)) => format!("signature {s}"),
            (false, None) => "no signature".to_string(),
        },
    );
    if let Some(p) = &n.alpn {
        let _ = writeln!(out, "ALPN: {}", String::from_utf8_lossy(p));
    }
    let _ = writeln!(out, "Server certificate chain:");
    for (i, c) in n.peer_certificates.iter().enumerate() {
        match ParsedCert::parse(c.as_ref()) {
            Ok(p) => {
                let _ = writeln!(out, " {i} subject: {}", p.subject);
                let _ = writeln!(out, "   issuer:  {}", p.issuer);
                let _ = writeln!(
                    out,
                    "   valid:   {} to {}",
                    fmt_time(p.not_before),
                    fmt_time(p.not_after)
                );
            }
            Err(e) => {
                let _ = writeln!(out, " {i} unparseable: {e}");
            }
        }
    }
    let _ = writeln!(out, "---");
}

/// Copies stdin to the server and the server's data to stdout until either side ends.
fn pipe(mut tls: StreamOwned<ClientConnection, TcpStream>) -> Result<(), String> {
    let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.send(None);
                    return;
                }
                Ok(n) => {
                    if tx.send(Some(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
            }
        }
    });
    tls.sock
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout();
    let mut buf = vec![0u8; 16 * 1024];
    let mut stdin_open = true;
    loop {
        while stdin_open {
            match rx.try_recv() {
                Ok(Some(data)) => tls.write_all(&data).map_err(|e| e.to_string())?,
                Ok(None) | Err(mpsc::TryRecvError::Disconnected) => {
                    stdin_open = false;
                    tls.close().map_err(|e| e.to_string())?;
                }
                Err(mpsc::TryRecvError::Empty) => break,
            }
        }
        match tls.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                stdout.write_all(&buf[..n]).map_err(|e| e.to_string())?;
                stdout.flush().map_err(|e| e.to_string())?;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}
