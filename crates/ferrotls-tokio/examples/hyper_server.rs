//! An HTTPS server: hyper 1.x over ferrotls-tokio, on 127.0.0.1.
//!
//! ```text
//! cargo run -p ferrotls-tokio --example hyper_server -- [--addr 127.0.0.1:8443]
//!     [--cert chain.pem --key key.pem | --write-cert dev-cert.pem]
//!     [--max-handshakes 64] [--handshake-timeout-ms 10000]
//! curl --tlsv1.3 --cacert dev-cert.pem https://localhost:8443/
//! ```
//!
//! Without `--cert`/`--key` it makes a self-signed development certificate for
//! `localhost` and 127.0.0.1 and writes it (PEM) where `--write-cert` says, by default
//! `ferrotls-dev-cert.pem` in the temp directory.
//!
//! Handshakes are the expensive, attacker-timed part of a TLS server, so they are
//! bounded two ways: at most `--max-handshakes` run at once (a semaphore permit is taken
//! before a connection is even accepted, and released when its handshake ends), and
//! each must finish within `--handshake-timeout-ms`. A client that sends half a
//! ClientHello and stalls (slowloris) holds one permit for at most that long. After the
//! handshake, hyper's header read timeout does the same for slow HTTP requests.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrotls::conn::Negotiated;
use ferrotls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use ferrotls::ServerConfig;
use ferrotls_tokio::TlsAcceptor;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How the server protects itself.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Handshakes in progress at once; further connections wait in the listen backlog.
    pub max_handshakes: usize,
    /// How long a client may take to complete its handshake.
    pub handshake_timeout: Duration,
    /// How long a client may take to send the headers of a request.
    pub header_timeout: Duration,
    /// Print one line per failed connection to stderr.
    pub log_errors: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_handshakes: 64,
            handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            log_errors: true,
        }
    }
}

/// A self-signed certificate for `localhost` and 127.0.0.1.
pub struct DevCert {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The certificate as PEM, for `curl --cacert`.
    pub pem: String,
}

pub fn dev_cert() -> Result<DevCert, rcgen::Error> {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
    Ok(DevCert {
        chain: vec![ck.cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der())),
        pem: ck.cert.pem(),
    })
}

/// `TLSv1.3 TLS13_AES_256_GCM_SHA384 X25519MLKEM768`, with `-` for what is unknown.
pub fn summary(n: &Negotiated) -> String {
    fn or_dash(s: Option<String>) -> String {
        s.unwrap_or_else(|| "-".to_string())
    }
    format!(
        "{} {} {}",
        or_dash(n.version.map(|v| v.to_string())),
        or_dash(n.cipher_suite.map(|s| s.to_string())),
        or_dash(n.group.map(|g| g.to_string())),
    )
}

/// Accepts connections on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, limits: Limits) {
    let handshakes = Arc::new(Semaphore::new(limits.max_handshakes));
    loop {
        // Taken before accept: beyond the limit, connections wait in the kernel backlog.
        let Ok(permit) = handshakes.clone().acquire_owned().await else {
            return; // the semaphore is never closed
        };
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                if limits.log_errors {
                    eprintln!("accept failed: {e}");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        tokio::spawn(handle(tcp, peer, acceptor.clone(), permit, limits.clone()));
    }
}

async fn handle(
    tcp: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    permit: OwnedSemaphorePermit,
    limits: Limits,
) {
    let tls = match acceptor
        .accept_with_timeout(tcp, limits.handshake_timeout)
        .await
    {
        Ok(tls) => tls,
        Err(e) => {
            if limits.log_errors {
                eprintln!("{peer}: handshake failed: {e}");
            }
            return;
        }
    };
    drop(permit);
    let tls_summary = summary(tls.get_ref().1.negotiated());
    let service = service_fn(move |req: Request<Incoming>| {
        let body = format!(
            "hello from ferrotls\npath: {}\ntls: {tls_summary}\n",
            req.uri().path()
        );
        async move { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body)))) }
    });
    let served = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(TokioIo::new(tls), service)
        .await;
    if let Err(e) = served {
        if limits.log_errors {
            eprintln!("{peer}: {e}");
        }
    }
}

struct Args {
    addr: String,
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    write_cert: PathBuf,
    limits: Limits,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:8443".to_string(),
        cert: None,
        key: None,
        write_cert: std::env::temp_dir().join("ferrotls-dev-cert.pem"),
        limits: Limits::default(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--addr" => args.addr = value()?,
            "--cert" => args.cert = Some(value()?.into()),
            "--key" => args.key = Some(value()?.into()),
            "--write-cert" => args.write_cert = value()?.into(),
            "--max-handshakes" => {
                args.limits.max_handshakes = value()?
                    .parse()
                    .map_err(|e| format!("--max-handshakes: {e}"))?
            }
            "--handshake-timeout-ms" => {
                let ms = value()?
                    .parse()
                    .map_err(|e| format!("--handshake-timeout-ms: {e}"))?;
                args.limits.handshake_timeout = Duration::from_millis(ms);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() {
    // Errors as sentences, not Debug dumps.
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args().map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{e}\nusage: hyper_server [--addr ADDR] [--cert PEM --key PEM | --write-cert PEM] [--max-handshakes N] [--handshake-timeout-ms MS]"),
        )
    })?;
    let (chain, key) = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => (
            ferrotls::pem::load_certs(cert)?,
            ferrotls::pem::load_private_key(key)?,
        ),
        (None, None) => {
            let dev = dev_cert()?;
            std::fs::write(&args.write_cert, &dev.pem)?;
            eprintln!(
                "self-signed certificate for localhost written to {}",
                args.write_cert.display()
            );
            (dev.chain, dev.key)
        }
        _ => return Err("--cert and --key go together".into()),
    };
    let config = ServerConfig::builder()
        .cert(chain, &key)?
        .alpn(vec![b"http/1.1".to_vec()])
        .build()?;
    let listener = TcpListener::bind(&args.addr).await?;
    eprintln!("listening on https://{}/", listener.local_addr()?);
    serve(listener, TlsAcceptor::from(config), args.limits).await;
    Ok(())
}
