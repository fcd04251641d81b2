//! Probes that need a complete handshake, run with the ferrotls client: the TLS 1.3
//! certificate chain (encrypted on the wire), ALPN, session resumption by ID and by
//! ticket, 0-RTT acceptance, and an HTTP request for HSTS and the Date header.
//!
//! The verifier here records the chain and accepts it: trust is judged separately by
//! `certs`, which needs to see every problem rather than stop at the first. Nothing
//! but an HTTP HEAD-like GET (with `--http`) is ever sent as application data, and
//! only over TLS 1.2 or 1.3.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferrotls::client::{ClientSessionStore, InMemorySessionStore, Tls12Session, Tls13Ticket};
use ferrotls::conn::ClientEarlyData;
use ferrotls::msgs::enums::ProtocolVersion;
use ferrotls::pki::{ServerCertVerified, ServerCertVerifier};
use ferrotls::{ClientConfig, ClientConnection};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::report::Finding;
use super::wire::Target;

/// A chain as received (end entity first) and the stapled OCSP response.
pub type Seen = (Vec<Vec<u8>>, Option<Vec<u8>>);

/// Accepts any chain, remembering it and the stapled OCSP response.
#[derive(Debug, Default)]
pub struct Recorder {
    pub seen: Mutex<Option<Seen>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, ferrotls::Error> {
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.as_ref().to_vec())
            .collect();
        let ocsp = (!ocsp.is_empty()).then(|| ocsp.to_vec());
        if let Ok(mut s) = self.seen.lock() {
            *s = Some((chain, ocsp));
        }
        Ok(ServerCertVerified::assertion())
    }
}

/// A session store that remembers what kind of sessions the server handed out.
#[derive(Debug)]
pub struct Store {
    inner: InMemorySessionStore,
    pub tls12_ticket: Mutex<bool>,
    pub tls13_early: Mutex<Option<u32>>,
}

impl Store {
    pub fn new() -> Self {
        Store {
            inner: InMemorySessionStore::new(4),
            tls12_ticket: Mutex::new(false),
            tls13_early: Mutex::new(None),
        }
    }
}

impl ClientSessionStore for Store {
    fn insert_tls13_ticket(&self, server_name: &str, ticket: Tls13Ticket) {
        if let (Ok(mut e), Some(m)) = (self.tls13_early.lock(), ticket.max_early_data) {
            *e = Some(m);
        }
        self.inner.insert_tls13_ticket(server_name, ticket)
    }
    fn take_tls13_ticket(&self, server_name: &str) -> Option<Tls13Ticket> {
        self.inner.take_tls13_ticket(server_name)
    }
    fn insert_tls12_session(&self, server_name: &str, session: Tls12Session) {
        if let Ok(mut t) = self.tls12_ticket.lock() {
            *t |= !session.ticket.is_empty();
        }
        self.inner.insert_tls12_session(server_name, session)
    }
    fn take_tls12_session(&self, server_name: &str) -> Option<Tls12Session> {
        self.inner.take_tls12_session(server_name)
    }
}

/// How to connect.
#[derive(Clone)]
pub struct Options {
    pub versions: Vec<ProtocolVersion>,
    /// `None`: no SNI. Otherwise the name sent (and used for the session store).
    pub sni: Option<String>,
    pub alpn: Vec<Vec<u8>>,
    pub tickets: bool,
    pub early_data: bool,
    pub store: Arc<Store>,
    /// An ECHConfigList to encrypt the ClientHello with (TLS 1.3 only).
    pub ech_config_list: Option<Vec<u8>>,
    /// Without `ech_config_list`: send a GREASE encrypted_client_hello extension.
    pub ech_grease: bool,
}

impl Options {
    pub fn new(target: &Target, versions: &[ProtocolVersion]) -> Self {
        Options {
            versions: versions.to_vec(),
            sni: Some(target.name.clone()),
            alpn: Vec::new(),
            tickets: true,
            early_data: false,
            store: Arc::new(Store::new()),
            ech_config_list: None,
            ech_grease: false,
        }
    }
}

/// A finished handshake.
pub struct Connected {
    pub conn: ClientConnection,
    pub sock: TcpStream,
    pub recorder: Arc<Recorder>,
}

impl Connected {
    pub fn chain(&self) -> Option<Seen> {
        self.recorder.seen.lock().ok().and_then(|s| s.clone())
    }

    /// Reads (and processes) whatever arrives for up to `wait`: TLS 1.3 tickets come
    /// after the handshake.
    pub fn linger(&mut self, wait: Duration, until: impl Fn(&ClientConnection) -> bool) {
        let end = Instant::now() + wait;
        while !until(&self.conn) {
            let Some(left) = end.checked_duration_since(Instant::now()) else {
                return;
            };
            let _ = self
                .sock
                .set_read_timeout(Some(left.max(Duration::from_millis(1))));
            match self.conn.read_tls(&mut self.sock) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if self.conn.process_new_packets().is_err() {
                        return;
                    }
                    while self.conn.wants_write() {
                        if self.conn.write_tls(&mut self.sock).is_err() {
                            return;
                        }
                    }
                }
            }
        }
    }

    pub fn close(mut self) {
        self.conn.send_close_notify();
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut self.sock).is_err() {
                break;
            }
        }
    }
}

/// A handshake that did not complete: the library's error when it had one (a
/// socket failure has none), and the text to show.
#[derive(Debug)]
pub struct Failed {
    /// Boxed: `ferrotls::Error` is large, and most callers only show the text.
    pub tls: Option<Box<ferrotls::Error>>,
    pub text: String,
}

impl From<String> for Failed {
    fn from(text: String) -> Self {
        Failed { tls: None, text }
    }
}

/// Connects and completes a handshake; 0-RTT is offered (with no data) when allowed.
pub fn connect(target: &Target, opts: &Options) -> Result<Connected, String> {
    handshake(target, opts).map_err(|f| f.text)
}

/// [`connect`], keeping the library's error for callers that tell failures apart.
pub fn handshake(target: &Target, opts: &Options) -> Result<Connected, Failed> {
    let recorder = Arc::new(Recorder::default());
    let mut b = ClientConfig::builder(recorder.clone())
        .versions(&opts.versions)
        .enable_legacy_tls12_suites()
        .require_extended_master_secret(false)
        .session_tickets(opts.tickets)
        .early_data(opts.early_data)
        .alpn(opts.alpn.clone())
        .session_store(opts.store.clone())
        .sni(opts.sni.is_some())
        .ech_grease(opts.ech_grease);
    if opts.versions.contains(&ProtocolVersion::TLSv1_3) {
        b = b.request_ocsp(true);
    }
    if let Some(list) = &opts.ech_config_list {
        b = b.ech_config_list(list).map_err(|e| e.to_string())?;
    }
    let config = b.build().map_err(|e| e.to_string())?;
    let name = opts.sni.clone().unwrap_or_else(|| target.name.clone());
    let server_name = ServerName::try_from(name.clone())
        .map_err(|e| format!("{name} is not a valid server name: {e}"))?;
    let mut conn = ClientConnection::new(config, server_name).map_err(|e| e.to_string())?;
    let mut sock = target.connect().map_err(|e| e.describe())?;
    let t = target
        .op_timeout()
        .ok_or_else(|| "the time budget ran out".to_string())?;
    let _ = sock.set_read_timeout(Some(t));
    let _ = sock.set_write_timeout(Some(t));
    if matches!(conn.early_data_status(), ClientEarlyData::Offered { .. }) {
        // Offer 0-RTT but send nothing in it: only the server's answer matters.
        let _ = conn.write_early_data(&[]);
    }
    if let Err(e) = ferrotls::stream::complete_handshake(&mut conn, &mut sock) {
        return Err(Failed {
            tls: conn.error().cloned().map(Box::new),
            text: e.to_string(),
        });
    }
    Ok(Connected {
        conn,
        sock,
        recorder,
    })
}

/// The versions the library client can use, given what the server accepts.
pub fn usable_versions(tls13: bool, tls12: bool) -> Vec<ProtocolVersion> {
    let mut v = Vec::new();
    if tls13 {
        v.push(ProtocolVersion::TLSv1_3);
    }
    if tls12 {
        v.push(ProtocolVersion::TLSv1_2);
    }
    v
}

/// ALPN: which of h2 and http/1.1 the server selects.
pub fn alpn(target: &Target, versions: &[ProtocolVersion]) -> Finding {
    let mut selected = Vec::new();
    let mut errors = Vec::new();
    for offer in [vec!["h2", "http/1.1"], vec!["http/1.1"]] {
        let mut opts = Options::new(target, versions);
        opts.alpn = offer.iter().map(|p| p.as_bytes().to_vec()).collect();
        match connect(target, &opts) {
            Ok(c) => {
                let p = c
                    .conn
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned());
                c.close();
                match p {
                    Some(p) if !selected.contains(&p) => selected.push(p),
                    Some(_) => {}
                    None => break,
                }
            }
            Err(e) => {
                errors.push(format!("offering {}: {e}", offer.join(", ")));
                break;
            }
        }
    }
    if let Some(e) = errors.first() {
        return Finding::info("alpn", "ALPN could not be tested").evidence(e.clone());
    }
    if selected.is_empty() {
        Finding::info("alpn", "The server does not negotiate ALPN")
            .evidence("offered h2 and http/1.1; the server selected none")
    } else {
        Finding::info("alpn", format!("ALPN protocols: {}", selected.join(", ")))
            .evidence("offered h2, http/1.1, then http/1.1 alone")
    }
}

/// Session resumption (TLS 1.2 by session ID and by ticket).
pub fn resumption12(target: &Target) -> Vec<Finding> {
    let mut out = Vec::new();
    for tickets in [false, true] {
        let mut opts = Options::new(target, &[ProtocolVersion::TLSv1_2]);
        opts.tickets = tickets;
        let how = if tickets { "ticket" } else { "session ID" };
        let id = if tickets {
            "resumption.tls12-ticket"
        } else {
            "resumption.tls12-id"
        };
        let first = match connect(target, &opts) {
            Ok(c) => c,
            Err(e) => {
                out.push(
                    Finding::info(
                        id,
                        format!("TLS 1.2 resumption by {how} could not be tested"),
                    )
                    .evidence(e),
                );
                continue;
            }
        };
        first.close();
        let issued_ticket = opts.store.tls12_ticket.lock().map(|t| *t).unwrap_or(false);
        if tickets && !issued_ticket {
            out.push(Finding::info(
                id,
                "The server issues no TLS 1.2 session tickets",
            ));
            continue;
        }
        match connect(target, &opts) {
            Ok(c) => {
                let resumed = c.conn.negotiated().resumed;
                c.close();
                out.push(if resumed {
                    Finding::info(id, format!("TLS 1.2 sessions resume by {how}"))
                } else {
                    Finding::info(id, format!("TLS 1.2 sessions do not resume by {how}"))
                        .evidence("the second connection made a full handshake")
                });
            }
            Err(e) => out.push(
                Finding::warning(id, format!("Resuming a TLS 1.2 session by {how} fails"))
                    .evidence(e)
                    .fix("Check the server's session cache or ticket key configuration."),
            ),
        }
    }
    out
}

/// TLS 1.3 resumption with a ticket, and 0-RTT.
pub fn resumption13(target: &Target) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut opts = Options::new(target, &[ProtocolVersion::TLSv1_3]);
    opts.early_data = true;
    let mut first = match connect(target, &opts) {
        Ok(c) => c,
        Err(e) => {
            return vec![Finding::info(
                "resumption.tls13",
                "TLS 1.3 resumption could not be tested",
            )
            .evidence(e)]
        }
    };
    first.linger(Duration::from_millis(1500), |c| {
        c.negotiated().tickets_received > 0
    });
    let tickets = first.conn.negotiated().tickets_received;
    first.close();
    if tickets == 0 {
        out.push(Finding::info(
            "resumption.tls13",
            "The server issues no TLS 1.3 session tickets",
        ));
        out.push(Finding::info("early-data", "0-RTT (early data) is off"));
        return out;
    }
    let early = opts.store.tls13_early.lock().map(|e| *e).unwrap_or(None);
    match connect(target, &opts) {
        Ok(c) => {
            let resumed = c.conn.negotiated().resumed;
            let status = c.conn.early_data_status().clone();
            c.close();
            out.push(if resumed {
                Finding::info("resumption.tls13", "TLS 1.3 sessions resume with tickets")
            } else {
                Finding::info(
                    "resumption.tls13",
                    "TLS 1.3 tickets are issued but not accepted",
                )
                .evidence("the second connection made a full handshake")
            });
            out.push(match (early, status) {
                (Some(max), ClientEarlyData::Accepted) => Finding::warning(
                    "early-data",
                    "0-RTT (early data) is accepted",
                )
                .evidence(format!(
                    "the ticket allows {max} bytes of early data and the server accepted it on resumption"
                ))
                .fix("Early data can be replayed by an attacker: make sure the application only accepts idempotent requests in it (HTTP servers: reject non-GET requests with 425 Too Early), or turn 0-RTT off."),
                (Some(max), _) => Finding::info(
                    "early-data",
                    "0-RTT (early data) is announced but was rejected",
                )
                .evidence(format!("the ticket allows {max} bytes, but the server refused the early data")),
                (None, _) => Finding::info("early-data", "0-RTT (early data) is off"),
            });
        }
        Err(e) => out.push(
            Finding::warning("resumption.tls13", "Resuming a TLS 1.3 session fails")
                .evidence(e)
                .fix("Check the server's ticket configuration."),
        ),
    }
    out
}

/// What an HTTP GET / told us.
pub struct HttpFacts {
    pub status: String,
    pub hsts: Option<String>,
    pub date: Option<i64>,
}

/// Sends `GET /` and reads the response headers.
pub fn http(target: &Target, versions: &[ProtocolVersion]) -> Result<HttpFacts, String> {
    let mut opts = Options::new(target, versions);
    opts.alpn = vec![b"http/1.1".to_vec()];
    let c = connect(target, &opts)?;
    let mut tls = ferrotls::stream::StreamOwned::new(c.conn, c.sock);
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUser-Agent: ferrotls-diagnose\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        target.name
    );
    tls.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 64 * 1024 {
        match tls.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if buf.is_empty() => return Err(e.to_string()),
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let head = text.split("\r\n\r\n").next().unwrap_or_default();
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default().to_string();
    if !status.starts_with("HTTP/") {
        return Err(format!("the server did not answer with HTTP: {status:?}"));
    }
    let mut hsts = None;
    let mut date = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim();
            if k.eq_ignore_ascii_case("strict-transport-security") {
                hsts = Some(v.to_string());
            } else if k.eq_ignore_ascii_case("date") {
                date = parse_http_date(v);
            }
        }
    }
    Ok(HttpFacts { status, hsts, date })
}

pub fn hsts_finding(facts: &HttpFacts) -> Finding {
    const HALF_YEAR: u64 = 15_552_000;
    match &facts.hsts {
        None => Finding::warning("http.hsts", "HSTS is not enabled")
            .evidence(format!("GET / answered {} without a Strict-Transport-Security header", facts.status))
            .fix("Send Strict-Transport-Security: max-age=31536000; includeSubDomains on every HTTPS response, so browsers never fall back to plain HTTP."),
        Some(v) => {
            let max_age = v
                .split(';')
                .filter_map(|p| p.trim().strip_prefix("max-age="))
                .find_map(|n| n.trim_matches('"').parse::<u64>().ok());
            match max_age {
                Some(a) if a >= HALF_YEAR => Finding::info("http.hsts", "HSTS is enabled")
                    .evidence(format!("Strict-Transport-Security: {v}")),
                _ => Finding::warning("http.hsts", "HSTS max-age is shorter than 180 days")
                    .evidence(format!("Strict-Transport-Security: {v}"))
                    .fix("Use max-age=31536000 (one year)."),
            }
        }
    }
}

/// RFC 9110, 5.6.7: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn parse_http_date(v: &str) -> Option<i64> {
    let parts: Vec<&str> = v.split_whitespace().collect();
    let [_, day, mon, year, time, _gmt] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == mon)? + 1;
    let text = format!("{year}-{m:02}-{day:0>2}T{time}Z");
    ferrotls::pki::time::parse_time(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784111777)
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn hsts_texts() {
        let f = |h: Option<&str>| {
            hsts_finding(&HttpFacts {
                status: "HTTP/1.1 200 OK".into(),
                hsts: h.map(str::to_string),
                date: None,
            })
            .title
        };
        assert_eq!(f(None), "HSTS is not enabled");
        assert_eq!(
            f(Some("max-age=300")),
            "HSTS max-age is shorter than 180 days"
        );
        assert_eq!(
            f(Some("max-age=31536000; includeSubDomains")),
            "HSTS is enabled"
        );
    }
}
