//! `ferrotls client HOST[:PORT]`: connect, narrate, then pipe stdin/stdout (like s_client).
//!
//! After each handshake a summary: version, suite, group, ALPN, resumption, 0-RTT,
//! client authentication, Encrypted Client Hello, and the chain as the verifier
//! built it (to the trust anchor). When the server's certificate is rejected, the
//! verifier's explanation is the last line; when the server does not accept ECH, the
//! last line carries the configurations it sent to retry with. `--json` prints the
//! same as JSON lines on stdout.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use ferrotls::client::{ClientConfig, ClientConnection};
use ferrotls::ech::EchError;
use ferrotls::msgs::{HandshakePayload, HandshakePayload12};
use ferrotls::observe::{Direction, Event, Observer};
use ferrotls::pki::{
    describe_certificate, CertRole, ChainEntry, PinnedCertVerifier, Purpose, Request,
    ServerCertVerifier, SubjectName, Verifier,
};
use ferrotls::pki_types::{CertificateDer, ServerName, UnixTime};
use ferrotls::stream::StreamOwned;
use serde_json::{json, Value};

use crate::cert::show::relative_days;
use crate::common::{self, split_host_port, Palette};
use crate::json::{chain_entry, JsonPrinter};
use crate::knobs::Knobs;
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
    /// Narrate the handshake; `--trace=keys` also prints the key schedule's secrets.
    #[arg(long, num_args = 0..=1, default_missing_value = "messages", value_parser = ["messages", "keys"])]
    trace: Option<String>,
    /// Print the handshake as JSON lines on stdout (one object per event, then a
    /// summary); secrets only with --trace=keys. Implies --no-pipe.
    #[arg(long)]
    json: bool,
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
    /// TLS 1.3: offer post-handshake authentication (RFC 8446, 4.6.2), so the server
    /// may ask for --cert after the handshake (like `openssl s_client -enable_pha`).
    #[arg(long)]
    post_handshake_auth: bool,
    /// Only TLS 1.2.
    #[arg(long = "tls1.2", conflicts_with = "tls13")]
    tls12: bool,
    /// Only TLS 1.3.
    #[arg(long = "tls1.3")]
    tls13: bool,
    /// Also offer the legacy TLS 1.2 suites (static RSA, CBC) for old servers.
    #[arg(long)]
    legacy: bool,
    #[command(flatten)]
    knobs: Knobs,
    /// Encrypt the ClientHello (Encrypted Client Hello) with this ECHConfigList: base64
    /// (what `ferrotls cert ech` prints, or the ech= of the server's DNS HTTPS record),
    /// or @FILE holding that text or a PEM with an ECHCONFIG block. TLS 1.3 only.
    #[arg(long, value_name = "BASE64|@FILE", conflicts_with = "tls12")]
    ech_config: Option<String>,
    /// When the server rejects --ech-config and sends its current configurations,
    /// connect once more with them, as browsers do (draft-ietf-tls-esni, 6.1.6).
    #[arg(long, requires = "ech_config")]
    ech_retry: bool,
    /// Without --ech-config, send a GREASE encrypted_client_hello extension (random
    /// values shaped like an ECH offer, as browsers do) to check the server tolerates it.
    #[arg(long, conflicts_with = "ech_config")]
    ech_grease: bool,
    /// Print the connection's exported keying material for LABEL (RFC 5705 / RFC 8446
    /// 7.5, no context), as `openssl s_client -keymatexport` does.
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

/// How the server's certificate is trusted.
#[derive(Debug)]
enum Trust {
    /// Path validation to the roots; the text says which roots.
    Roots(Verifier, String),
    Pinned(PinnedCertVerifier),
    Insecure,
}

/// What the verifier saw and built, for the summary.
#[derive(Debug, Default)]
struct Seen {
    /// The chain the server sent.
    sent: Vec<CertificateDer<'static>>,
    /// The verified path, end entity to trust anchor.
    verified: Option<Vec<ChainEntry>>,
}

/// Verifies as the library's verifiers do, and remembers the path it built.
#[derive(Debug)]
struct RecordingVerifier {
    trust: Trust,
    seen: Mutex<Seen>,
}

impl RecordingVerifier {
    fn take(&self) -> Seen {
        self.seen
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ferrotls::pki::ServerCertVerified, ferrotls::Error> {
        let verified = match &self.trust {
            Trust::Roots(v, _) => {
                // The same request `Verifier` makes as a `ServerCertVerifier`.
                let req = Request {
                    end_entity: end_entity.as_ref(),
                    intermediates: intermediates.iter().map(|c| c.as_ref()).collect(),
                    name: SubjectName::from_server_name(server_name),
                    purpose: Purpose::ServerAuth,
                    now: i64::try_from(now.as_secs()).unwrap_or(i64::MAX),
                    ocsp_response: (!ocsp.is_empty()).then_some(ocsp),
                    max_intermediates: None,
                    tls_key_usage: true,
                };
                v.verify(&req)
                    .map(|p| Some(p.chain))
                    .map_err(ferrotls::Error::from)
            }
            Trust::Pinned(p) => p
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
                .map(|_| {
                    describe_certificate(end_entity.as_ref(), CertRole::EndEntity)
                        .ok()
                        .map(|e| vec![e])
                }),
            Trust::Insecure => Ok(None),
        };
        if let Ok(mut seen) = self.seen.lock() {
            seen.sent = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            seen.verified = verified.as_ref().ok().cloned().flatten();
        }
        verified?;
        Ok(ferrotls::pki::ServerCertVerified::assertion())
    }
}

/// Facts the summary needs that `Negotiated` does not hold.
#[derive(Debug, Default, Clone, Copy)]
struct Facts {
    cert_requested: bool,
    client_certs_sent: Option<usize>,
}

/// Passes events to the trace printers and notes client-authentication facts.
#[derive(Debug)]
struct ClientObserver {
    trace: Option<TracePrinter>,
    json: Option<JsonPrinter>,
    facts: Mutex<Facts>,
}

impl ClientObserver {
    fn take(&self) -> Facts {
        self.facts
            .lock()
            .map(|mut f| std::mem::take(&mut *f))
            .unwrap_or_default()
    }
}

impl Observer for ClientObserver {
    fn event(&self, event: &Event<'_>) {
        if let Some(t) = &self.trace {
            t.event(event);
        }
        if let Some(j) = &self.json {
            j.event(event);
        }
        let Ok(mut f) = self.facts.lock() else { return };
        match event {
            Event::Message {
                direction, message, ..
            } => match (&message.payload, direction) {
                (HandshakePayload::CertificateRequest(_), Direction::Received) => {
                    f.cert_requested = true
                }
                (HandshakePayload::Certificate(c), Direction::Sent) => {
                    f.client_certs_sent = Some(c.entries.len())
                }
                _ => {}
            },
            Event::Message12 {
                direction, message, ..
            } => match (&message.payload, direction) {
                (HandshakePayload12::CertificateRequest(_), Direction::Received) => {
                    f.cert_requested = true
                }
                (HandshakePayload12::Certificate(c), Direction::Sent) => {
                    f.client_certs_sent = Some(c.certs.len())
                }
                _ => {}
            },
            _ => {}
        }
    }
}

/// Where the summary goes: text on stderr, or JSON lines on stdout.
struct Report {
    json: bool,
    palette: Palette,
}

impl Report {
    fn json_line(&self, v: &Value) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{v}");
        let _ = out.flush();
    }
}

pub fn run(args: ClientArgs) -> Result<(), String> {
    let (host, port) = split_host_port(&args.target, 443)?;
    let name = args.servername.clone().unwrap_or_else(|| host.clone());
    let server_name = ServerName::try_from(name.clone())
        .map_err(|_| format!("{name} is not a valid DNS name or IP address"))?;
    let report = Report {
        json: args.json,
        palette: Palette::for_stream(&std::io::stderr()),
    };

    let verifier = Arc::new(RecordingVerifier {
        trust: trust(&args)?,
        seen: Mutex::default(),
    });
    let show_secrets = args.trace.as_deref() == Some("keys");
    let observer = Arc::new(ClientObserver {
        trace: (args.trace.is_some() && !args.json).then(|| {
            TracePrinter::new(
                "client",
                Box::new(std::io::stderr()),
                show_secrets,
                report.palette,
            )
        }),
        json: args
            .json
            .then(|| JsonPrinter::new("client", Box::new(std::io::stdout()), show_secrets)),
        facts: Mutex::default(),
    });
    let mut builder = ClientConfig::builder(verifier.clone())
        .sni(!args.no_sni)
        .alpn(args.alpn.iter().map(|p| p.as_bytes().to_vec()).collect())
        .observer(observer.clone());
    if let Some(k) = ferrotls::observe::KeyLogFile::from_env() {
        builder = builder.key_log(Arc::new(k));
    }
    let client_cert = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => {
            let chain = ferrotls::pem::load_certs(cert).map_err(|e| e.to_string())?;
            let subject = chain
                .first()
                .and_then(|c| describe_certificate(c.as_ref(), CertRole::EndEntity).ok())
                .map(|e| e.subject);
            let key = ferrotls::pem::load_private_key(key).map_err(|e| e.to_string())?;
            builder = builder
                .client_cert(chain, &key)
                .map_err(|e| e.to_string())?;
            subject
        }
        (None, None) => None,
        _ => return Err("give both --cert and --key for a client certificate".into()),
    };
    builder = args
        .knobs
        .client(builder, args.tls12, args.tls13, args.legacy)?;
    builder = builder
        .ech_grease(args.ech_grease)
        .post_handshake_auth(args.post_handshake_auth);
    if let Some(arg) = &args.ech_config {
        let list = ech_config_list(arg)?;
        builder = builder
            .ech_config_list(&list)
            .map_err(|e| format!("--ech-config: {e}"))?;
    }
    let early_data = match &args.early_data {
        Some(p) => Some(std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?),
        None => None,
    };
    builder = builder.early_data(early_data.is_some());
    let mut config = builder.clone().build().map_err(|e| e.to_string())?;
    // --ech-retry: at most once, and never in answer to retry configurations.
    let mut ech_retry = args.ech_retry;

    let mut attempt = 0;
    while attempt <= args.reconnect {
        let sock = TcpStream::connect((host.as_str(), port))
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        let mut conn = ClientConnection::new(config.clone(), server_name.clone())
            .map_err(|e| e.to_string())?;
        let mut early_sent = 0;
        if let Some(data) = &early_data {
            early_sent = conn.write_early_data(data).map_err(|e| e.to_string())?;
        }
        let mut tls = StreamOwned::new(conn, sock);
        let _ = (verifier.take(), observer.take()); // nothing left from the last connection
        let handshake = tls.handshake();
        let seen = verifier.take();
        let facts = observer.take();
        if let Err(e) = handshake {
            let tls_error = tls.conn.error().cloned();
            if let (
                true,
                Some(ferrotls::Error::Ech(EchError::Rejected {
                    retry_configs: Some(list),
                    ..
                })),
            ) = (ech_retry, &tls_error)
            {
                ech_retry = false;
                config = builder
                    .clone()
                    .ech_config_list(list)
                    .and_then(|b| b.build())
                    .map_err(|e| format!("the server's retry configurations: {e}"))?;
                let note = "the server did not accept Encrypted Client Hello with the given \
                            configuration; connecting again with the one it sent";
                if report.json {
                    report.json_line(&json!({"type": "ech_retry", "message": note}));
                } else {
                    eprintln!("{note}");
                }
                continue;
            }
            return Err(failure(&report, &host, port, &seen, tls_error, &e));
        }
        // Outside pipe mode, close first: that reads the server's tickets (counted in
        // the summary, used by reconnections) and any alert it sent after our Finished.
        let piping = attempt == args.reconnect && !args.no_pipe && !args.json;
        let closed = if piping { Ok(()) } else { close(&mut tls) };
        let early = early_data
            .as_ref()
            .map(|_| early_data_line(tls.conn.early_data_status(), early_sent));
        let keymat = args.keymatexport.as_ref().map(|label| {
            (
                label.as_str(),
                common::keying_material(&tls.conn, label, args.keymatexportlen),
            )
        });
        let summary = Summary {
            attempt,
            keymat,
            n: tls.conn.negotiated(),
            seen: &seen,
            trust: &verifier.trust,
            facts,
            client_cert: client_cert.as_deref(),
            early: early.as_deref(),
        };
        if report.json {
            report.json_line(&summary.json());
        } else {
            eprint!("{}", summary.text(report.palette));
        }
        if let Err(e) = closed {
            if report.json {
                report
                    .json_line(&json!({"type": "error", "message": e, "certificate_error": null}));
            }
            return Err(e);
        }
        if !piping {
            attempt += 1;
            continue;
        }
        return pipe(tls);
    }
    Ok(())
}

/// The ECHConfigList that `--ech-config` gives: base64, or `@FILE` holding base64 or
/// a PEM with an ECHCONFIG block (a key file from `ferrotls cert ech`).
fn ech_config_list(arg: &str) -> Result<Vec<u8>, String> {
    const HELP: &str = "give the ECHConfigList as base64 (what `ferrotls cert ech` prints, or the ech= parameter of the server's DNS HTTPS record), or @FILE";
    let Some(path) = arg.strip_prefix('@') else {
        return common::base64_decode(arg)
            .map_err(|e| format!("--ech-config is not valid base64: {e}; {HELP}"));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--ech-config: cannot read {path}: {e}"))?;
    if !text.contains("-----BEGIN ") {
        return common::base64_decode(&text)
            .map_err(|e| format!("--ech-config: {path} does not hold valid base64: {e}; {HELP}"));
    }
    let body = common::pem_body(&text, "ECHCONFIG").ok_or_else(|| {
        format!(
            "--ech-config: {path} is PEM without an ECHCONFIG block; give a key file from `ferrotls cert ech`, or a file holding the base64 ECHConfigList"
        )
    })?;
    common::base64_decode(body).map_err(|e| {
        format!("--ech-config: the ECHCONFIG block in {path} is not valid base64: {e}")
    })
}

/// Reports a failed handshake and returns the error for `main` to print last: the
/// verifier's explanation when the certificate was rejected, the server's retry
/// configurations (base64, for --ech-config) when it did not accept ECH.
fn failure(
    report: &Report,
    host: &str,
    port: u16,
    seen: &Seen,
    tls_error: Option<ferrotls::Error>,
    io_error: &std::io::Error,
) -> String {
    let cert_error = match &tls_error {
        Some(ferrotls::Error::Certificate(c)) => Some(c.to_string()),
        _ => None,
    };
    let retry_configs = match &tls_error {
        Some(ferrotls::Error::Ech(EchError::Rejected {
            retry_configs: Some(list),
            ..
        })) => Some(common::base64(list)),
        _ => None,
    };
    let message = match (&cert_error, &tls_error, &retry_configs) {
        (Some(c), _, _) => format!("the server's certificate was rejected: {c}"),
        (None, Some(e), Some(retry)) => {
            format!("handshake with {host}:{port} failed: {e}: --ech-config {retry}")
        }
        (None, Some(e), None) => format!("handshake with {host}:{port} failed: {e}"),
        (None, None, _) => format!("handshake with {host}:{port} failed: {io_error}"),
    };
    let sent: Vec<Value> = seen
        .sent
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let role = if i == 0 {
                CertRole::EndEntity
            } else {
                CertRole::Intermediate
            };
            describe_certificate(c.as_ref(), role).ok()
        })
        .map(|e| chain_entry(&e))
        .collect();
    if report.json {
        report.json_line(&json!({
            "type": "error", "message": message, "certificate_error": cert_error,
            "sent_chain": sent, "ech_retry_configs": retry_configs,
        }));
        return message;
    }
    let p = report.palette;
    let mut out = format!(
        "---\n{}\n",
        p.paint(
            Palette::RED,
            &format!("Handshake with {host}:{port} failed.")
        )
    );
    if cert_error.is_some() && !seen.sent.is_empty() {
        out.push_str("The server sent:\n");
        for (i, c) in seen.sent.iter().enumerate() {
            if let Ok(e) = describe_certificate(c.as_ref(), CertRole::EndEntity) {
                out.push_str(&chain_lines(i, &e, p));
            }
        }
    }
    out.push_str("---\n");
    eprint!("{out}");
    message
}

/// Sends close_notify and reads until the server's (RFC 8446, 6.1), briefly: unread
/// tickets would otherwise turn our close into a TCP reset, and a fatal alert the
/// server sent after our Finished (certificate_required) is reported here.
fn close(tls: &mut StreamOwned<ClientConnection, TcpStream>) -> Result<(), String> {
    use std::io::ErrorKind as K;
    tls.close().map_err(|e| e.to_string())?;
    let _ = tls.sock.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 4096];
    loop {
        match tls.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    K::WouldBlock | K::TimedOut | K::UnexpectedEof | K::ConnectionReset
                ) =>
            {
                return Ok(())
            }
            Err(e) => {
                return Err(format!(
                    "the server ended the connection after the handshake: {e}"
                ))
            }
        }
    }
}

fn early_data_line(status: &ferrotls::conn::ClientEarlyData, sent: usize) -> String {
    use ferrotls::conn::ClientEarlyData as E;
    match status {
        E::NotOffered => "not offered (no ticket allowing early data yet)".into(),
        E::Accepted => format!("the server accepted {sent} bytes of early data"),
        E::Rejected => format!(
            "the server rejected the early data; its {sent} bytes were sent again after the handshake"
        ),
        E::Offered { .. } | E::Sent { .. } => "offered, no answer".into(),
    }
}

/// The configured way of trusting the server: --insecure, --pin, --cafile,
/// --webpki-roots, or the system store.
fn trust(args: &ClientArgs) -> Result<Trust, String> {
    if args.insecure {
        eprintln!(
            "WARNING: --insecure: the server's certificate chain, validity and name are NOT checked; \
             anyone on the path can impersonate the server. Only its possession of the key is checked."
        );
        return Ok(Trust::Insecure);
    }
    if let Some(pin) = &args.pin {
        let certs = ferrotls::pem::load_certs(pin).map_err(|e| e.to_string())?;
        return PinnedCertVerifier::new(certs.into_iter().take(1).collect())
            .map(Trust::Pinned)
            .map_err(|e| e.to_string());
    }
    if let Some(cafile) = &args.cafile {
        let verifier = Verifier::from_pem_files(&[cafile]).map_err(|e| e.to_string())?;
        return Ok(Trust::Roots(verifier, format!("the CAs in {cafile}")));
    }
    if args.webpki_roots {
        return Ok(Trust::Roots(
            Verifier::with_webpki_roots(),
            "Mozilla's roots (webpki-roots)".into(),
        ));
    }
    Verifier::with_system_roots()
        .map(|v| Trust::Roots(v, "the system trust store".into()))
        .map_err(|e| e.to_string())
}

/// One connection's summary.
struct Summary<'a> {
    attempt: usize,
    /// --keymatexport: the label and the keying material (hex), or why there is none.
    keymat: Option<(&'a str, Result<String, String>)>,
    n: &'a ferrotls::conn::Negotiated,
    seen: &'a Seen,
    trust: &'a Trust,
    facts: Facts,
    client_cert: Option<&'a str>,
    early: Option<&'a str>,
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn chain_lines(i: usize, e: &ChainEntry, p: Palette) -> String {
    let role = match e.role {
        CertRole::TrustAnchor => " (trust anchor)",
        _ => "",
    };
    let validity = match (e.not_before, e.not_after) {
        (i64::MIN, i64::MAX) => "-".to_string(),
        (nb, na) => format!(
            "{} to {} ({})",
            fmt_time(nb),
            fmt_time(na),
            relative_days(na - now())
        ),
    };
    format!(
        "  {i} {}{role}\n      issuer: {}\n      valid:  {validity}\n",
        p.paint(Palette::BOLD, &common::printable(&e.subject)),
        common::printable(&e.issuer)
    )
}

impl Summary<'_> {
    fn client_auth(&self) -> String {
        match (self.facts.cert_requested, self.facts.client_certs_sent) {
            (false, _) => "not requested".into(),
            (true, Some(n)) if n > 0 => format!(
                "requested; sent {}",
                self.client_cert.unwrap_or("a certificate")
            ),
            (true, _) if self.client_cert.is_some() => {
                "requested; sent none (the certificate's key suits none of the server's signature algorithms)".into()
            }
            (true, _) => "requested; sent none (no --cert given)".into(),
        }
    }

    fn verification(&self) -> (&'static str, String) {
        match (self.trust, self.n.resumed) {
            (_, true) => (
                "resumed",
                "none exchanged: resumed a session whose server was authenticated before".into(),
            ),
            (Trust::Insecure, _) => (
                "insecure",
                "NOT verified (--insecure); as the server sent it".into(),
            ),
            (Trust::Pinned(_), _) => ("pinned", "pinned (--pin): the end entity matches".into()),
            (Trust::Roots(_, roots), _) => ("verified", format!("verified against {roots}")),
        }
    }

    fn chain(&self) -> Vec<ChainEntry> {
        match &self.seen.verified {
            Some(path) => path.clone(),
            None => self
                .seen
                .sent
                .iter()
                .filter_map(|c| describe_certificate(c.as_ref(), CertRole::EndEntity).ok())
                .collect(),
        }
    }

    fn text(&self, p: Palette) -> String {
        let n = self.n;
        let s = |v: Option<String>| v.unwrap_or_else(|| "-".into());
        let mut out = String::from("---\n");
        if self.attempt > 0 {
            out.push_str(&format!("Reconnection {}\n", self.attempt));
        }
        out.push_str(&format!(
            "{} {} with {}, key exchange {}{}\n",
            p.paint(Palette::GREEN, "Connected:"),
            s(n.version.map(|v| v.to_string())),
            s(n.cipher_suite.map(|c| c.to_string())),
            s(n.group.map(|g| g.to_string())),
            if n.hello_retry {
                " (after HelloRetryRequest)"
            } else {
                ""
            }
        ));
        let mut field = |name: &str, value: String| {
            out.push_str(&format!(
                "  {:<14} {}\n",
                format!("{name}:"),
                common::printable(&value)
            ))
        };
        if let Some(sig) = n.signature_scheme {
            field("signature", sig.to_string());
        }
        field(
            "ALPN",
            n.alpn
                .as_deref()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .unwrap_or_else(|| "none".into()),
        );
        field(
            "resumption",
            if n.resumed {
                "resumed a previous session".into()
            } else {
                "full handshake".into()
            },
        );
        if n.version == Some(ferrotls::msgs::enums::ProtocolVersion::TLSv1_2) {
            field(
                "EMS",
                if n.extended_master_secret {
                    "extended master secret (RFC 7627)".into()
                } else {
                    "none: the server did not negotiate the extended master secret (RFC 7627); no keying material can be exported".into()
                },
            );
        }
        if let Some(e) = self.early {
            field("0-RTT", e.to_string());
        } else {
            field("0-RTT", "not attempted".into());
        }
        field("client auth", self.client_auth());
        if let Some(ech) = common::ech_outcome(n.ech) {
            field("ECH", ech.to_string());
        }
        if n.tickets_received > 0 {
            field("tickets", format!("{} received", n.tickets_received));
        }
        if let Some((label, material)) = &self.keymat {
            field(
                "exporter",
                match material {
                    Ok(hex) => format!("{label}: {hex}"),
                    Err(e) => format!("{label}: none: {e}"),
                },
            );
        }
        let (_, how) = self.verification();
        out.push_str(&format!("Certificate chain: {how}\n"));
        for (i, e) in self.chain().iter().enumerate() {
            out.push_str(&chain_lines(i, e, p));
        }
        out.push_str("---\n");
        out
    }

    fn json(&self) -> Value {
        let n = self.n;
        let (verification, _) = self.verification();
        json!({
            "type": "summary",
            "connection": self.attempt,
            "version": n.version.map(|v| v.to_string()),
            "cipher_suite": n.cipher_suite.map(|v| v.to_string()),
            "group": n.group.map(|v| v.to_string()),
            "hello_retry": n.hello_retry,
            "signature_scheme": n.signature_scheme.map(|v| v.to_string()),
            "alpn": n.alpn.as_deref().map(|a| String::from_utf8_lossy(a).into_owned()),
            "server_name": n.server_name,
            "resumed": n.resumed,
            "extended_master_secret": (n.version == Some(ferrotls::msgs::enums::ProtocolVersion::TLSv1_2))
                .then_some(n.extended_master_secret),
            "ech": common::ech_outcome(n.ech),
            "early_data": self.early,
            "client_auth": {
                "requested": self.facts.cert_requested,
                "sent": self.facts.client_certs_sent.is_some_and(|c| c > 0),
                "certificate": self.client_cert.filter(|_| self.facts.client_certs_sent.is_some_and(|c| c > 0)),
                "summary": self.client_auth(),
            },
            "tickets_received": n.tickets_received,
            "keying_material": self.keymat.as_ref().map(|(label, material)| match material {
                Ok(hex) => json!({"label": label, "hex": hex}),
                Err(e) => json!({"label": label, "error": e}),
            }),
            "verification": verification,
            "chain": self.chain().iter().map(chain_entry).collect::<Vec<_>>(),
        })
    }
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
                if let Err(e) = stdout.write_all(&buf[..n]).and_then(|()| stdout.flush()) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        // Whoever read our output went away (`ferrotls client .. | head`):
                        // close the connection properly, then end quietly as the other
                        // commands do.
                        let _ = tls.close();
                        std::process::exit(crate::EXIT_OUTPUT_CLOSED);
                    }
                    return Err(format!(
                        "cannot write the server's data to standard output: {e}"
                    ));
                }
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
