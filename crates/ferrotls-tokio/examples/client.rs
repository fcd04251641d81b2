//! Fetches a path over HTTPS with hyper 1.x over ferrotls-tokio and prints what was
//! negotiated.
//!
//! ```text
//! cargo run -p ferrotls-tokio --example client -- localhost:8443 /hello --pin dev-cert.pem
//! ```
//!
//! The server's certificate must be one of those in `--pin` (PEM): ferrotls has no
//! PKI verifier yet. `--server-name` overrides the name sent in SNI, which is otherwise
//! the host part of the address. The negotiated version, suite and group go to stderr,
//! the response body to stdout.

use std::error::Error;
use std::path::PathBuf;

use ferrotls::conn::Negotiated;
use ferrotls::pki_types::ServerName;
use ferrotls::ClientConfig;
use ferrotls_tokio::TlsConnector;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::HOST;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// What a fetch got back.
pub struct Fetched {
    pub negotiated: Negotiated,
    pub status: u16,
    pub body: Vec<u8>,
}

/// GETs `path` from `addr` (host:port) over TLS with `server_name`.
pub async fn fetch(
    connector: &TlsConnector,
    addr: &str,
    server_name: ServerName<'static>,
    path: &str,
) -> Result<Fetched, Box<dyn Error + Send + Sync>> {
    let tcp = TcpStream::connect(addr).await?;
    let tls = connector.connect(server_name, tcp).await?;
    let negotiated = tls.get_ref().1.negotiated().clone();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    let driver = tokio::spawn(conn);
    let request = Request::get(path)
        .header(HOST, addr)
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes().to_vec();
    drop(sender);
    driver.await??;
    Ok(Fetched {
        negotiated,
        status,
        body,
    })
}

fn usage() -> Box<dyn Error + Send + Sync> {
    "usage: client HOST:PORT [PATH] --pin CERT.pem [--server-name NAME]".into()
}

#[tokio::main]
async fn main() {
    // Errors as sentences, not Debug dumps.
    if let Err(e) = run().await {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut addr = None;
    let mut path = "/".to_string();
    let mut pin: Option<PathBuf> = None;
    let mut server_name = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--pin" => pin = Some(it.next().ok_or_else(usage)?.into()),
            "--server-name" => server_name = Some(it.next().ok_or_else(usage)?),
            _ if addr.is_none() => addr = Some(arg),
            _ => path = arg,
        }
    }
    let (addr, pin) = addr.zip(pin).ok_or_else(usage)?;
    let host = match server_name {
        Some(name) => name,
        None => addr
            .rsplit_once(':')
            .map(|(host, _)| host.trim_matches(['[', ']']).to_string())
            .ok_or_else(usage)?,
    };
    let config = ClientConfig::pinned(ferrotls::pem::load_certs(&pin)?)?
        .alpn(vec![b"http/1.1".to_vec()])
        .build()?;
    let fetched = fetch(
        &TlsConnector::from(config),
        &addr,
        ServerName::try_from(host)?,
        &path,
    )
    .await?;
    let n = &fetched.negotiated;
    eprintln!(
        "version: {}\nsuite: {}\ngroup: {}\nstatus: {}",
        n.version.map(|v| v.to_string()).unwrap_or_default(),
        n.cipher_suite.map(|s| s.to_string()).unwrap_or_default(),
        n.group.map(|g| g.to_string()).unwrap_or_default(),
        fetched.status
    );
    print!("{}", String::from_utf8_lossy(&fetched.body));
    Ok(())
}
