//! `--json`: handshake events as one JSON object per line, for machines.
//!
//! ```text
//! {"type":"message","side":"client","direction":"sent","protection":"plaintext",
//!  "message":"ClientHello","length":517,"fields":{"random":"…","cipher_suites":[…],
//!  "extensions":[{"type":"server_name","names":["localhost"]}, …]}}
//! {"type":"secret","side":"client","label":"CLIENT_HANDSHAKE_TRAFFIC_SECRET"}
//! ```
//!
//! Secret values appear only when asked for (`--trace=keys`).

use std::io::Write;
use std::sync::Mutex;

use ferrotls::msgs::{
    ClientExtension, HandshakeMessage, HandshakeMessage12, HandshakePayload, HandshakePayload12,
    NewSessionTicketExtension, ServerExtension,
};
use ferrotls::observe::{Direction, Event, Observer, Protection};
use ferrotls::pki::{describe_certificate, CertRole, ChainEntry};
use serde_json::{json, Map, Value};

use crate::common::hex;
use crate::trace::fmt_time;

/// Writes each event as a JSON line.
pub struct JsonPrinter {
    side: &'static str,
    out: Mutex<Box<dyn Write + Send>>,
    show_secrets: bool,
}

impl JsonPrinter {
    pub fn new(side: &'static str, out: Box<dyn Write + Send>, show_secrets: bool) -> Self {
        JsonPrinter {
            side,
            out: Mutex::new(out),
            show_secrets,
        }
    }
}

impl std::fmt::Debug for JsonPrinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonPrinter")
            .field("side", &self.side)
            .finish()
    }
}

impl Observer for JsonPrinter {
    fn event(&self, event: &Event<'_>) {
        let v = event_json(self.side, event, self.show_secrets);
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{v}");
            let _ = out.flush();
        }
    }
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Sent => "sent",
        Direction::Received => "received",
    }
}

fn protection(p: Protection) -> &'static str {
    match p {
        Protection::Plaintext => "plaintext",
        Protection::EarlyData => "early_data",
        Protection::Handshake => "handshake",
        Protection::Application => "application",
        Protection::EncryptedClientHello => "encrypted_client_hello",
    }
}

/// One event as a JSON object.
pub fn event_json(side: &str, event: &Event<'_>, show_secrets: bool) -> Value {
    match event {
        Event::Message {
            direction: d,
            protection: p,
            message,
            raw,
        } => json!({
            "type": "message", "side": side, "direction": direction(*d),
            "protection": protection(*p), "message": message.name(), "length": raw.len(),
            "fields": message_fields(message),
        }),
        Event::Message12 {
            direction: d,
            protection: p,
            message,
            raw,
        } => json!({
            "type": "message", "side": side, "direction": direction(*d),
            "protection": protection(*p), "message": message.name(), "length": raw.len(),
            "fields": message12_fields(message),
        }),
        Event::ChangeCipherSpec { direction: d } => {
            json!({"type": "change_cipher_spec", "side": side, "direction": direction(*d)})
        }
        Event::Secret { label, secret } => {
            let mut v = json!({"type": "secret", "side": side, "label": label});
            if show_secrets {
                v["secret"] = Value::String(hex(secret));
            }
            v
        }
        Event::Alert {
            direction: d,
            description,
        } => json!({
            "type": "alert", "side": side, "direction": direction(*d),
            "description": description.to_string(),
        }),
    }
}

fn names<T: std::fmt::Display>(items: &[T]) -> Value {
    Value::Array(items.iter().map(|i| Value::String(i.to_string())).collect())
}

fn protocols(p: &[Vec<u8>]) -> Value {
    Value::Array(
        p.iter()
            .map(|p| Value::String(String::from_utf8_lossy(p).into_owned()))
            .collect(),
    )
}

fn client_ext(ext: &ClientExtension) -> Value {
    let typ = ext.ext_type().to_string();
    let mut v = match ext {
        ClientExtension::ServerName(n) => json!({"names": n.iter()
            .map(|e| String::from_utf8_lossy(&e.name).into_owned()).collect::<Vec<_>>()}),
        ClientExtension::SupportedVersions(v) => json!({"versions": names(v)}),
        ClientExtension::SupportedGroups(g) => json!({"groups": names(g)}),
        ClientExtension::SignatureAlgorithms(s) | ClientExtension::SignatureAlgorithmsCert(s) => {
            json!({"schemes": names(s)})
        }
        ClientExtension::KeyShare(shares) => json!({"shares": shares.iter()
            .map(|s| json!({"group": s.group.to_string(), "length": s.payload.len()}))
            .collect::<Vec<_>>()}),
        ClientExtension::Alpn(p) => json!({"protocols": protocols(p)}),
        ClientExtension::Cookie(c) => json!({"length": c.len()}),
        ClientExtension::PskKeyExchangeModes(m) => json!({"modes": names(m)}),
        ClientExtension::PreSharedKey(psk) => json!({
            "identities": psk.identities.iter().map(|i| json!({
                "length": i.identity.len(), "obfuscated_ticket_age": i.obfuscated_ticket_age,
            })).collect::<Vec<_>>(),
            "binders": psk.binders.len(),
        }),
        ClientExtension::EcPointFormats(f) => json!({"formats": names(f)}),
        ClientExtension::RenegotiationInfo(r) | ClientExtension::SessionTicket(r) => {
            json!({"length": r.len()})
        }
        ClientExtension::Heartbeat(m) => json!({"mode": m.to_string()}),
        ClientExtension::StatusRequest(_) => json!({"status_type": "ocsp"}),
        ClientExtension::Unknown { data, .. } => json!({"length": data.len()}),
        _ => json!({}),
    };
    v["type"] = Value::String(typ);
    v
}

fn server_ext(ext: &ServerExtension) -> Value {
    let typ = ext.ext_type().to_string();
    let mut v = match ext {
        ServerExtension::SupportedVersions(v) => json!({"selected_version": v.to_string()}),
        ServerExtension::KeyShare(k) => {
            json!({"group": k.group.to_string(), "length": k.payload.len()})
        }
        ServerExtension::HrrKeyShare(g) => json!({"selected_group": g.to_string()}),
        ServerExtension::Cookie(c) => json!({"length": c.len()}),
        ServerExtension::PreSharedKey(i) => json!({"selected_identity": i}),
        ServerExtension::Alpn(p) => json!({"protocol": String::from_utf8_lossy(p)}),
        ServerExtension::SupportedGroups(g) => json!({"groups": names(g)}),
        ServerExtension::RenegotiationInfo(r) => json!({"length": r.len()}),
        ServerExtension::EcPointFormats(f) => json!({"formats": names(f)}),
        ServerExtension::Heartbeat(m) => json!({"mode": m.to_string()}),
        ServerExtension::Unknown { data, .. } => json!({"length": data.len()}),
        _ => json!({}),
    };
    v["type"] = Value::String(typ);
    v
}

/// A chain entry: subject, issuer, validity, key, names.
pub fn chain_entry(e: &ChainEntry) -> Value {
    let when = |t: i64| match t {
        i64::MIN | i64::MAX => Value::Null,
        t => Value::String(fmt_time(t)),
    };
    let role = match e.role {
        CertRole::EndEntity => "end_entity",
        CertRole::Intermediate => "intermediate",
        CertRole::TrustAnchor => "trust_anchor",
    };
    json!({
        "role": role, "subject": e.subject, "issuer": e.issuer, "serial": e.serial,
        "not_before": when(e.not_before), "not_after": when(e.not_after),
        "key": e.key, "names": e.names,
    })
}

fn certs(list: impl Iterator<Item = impl AsRef<[u8]>>) -> Value {
    Value::Array(
        list.enumerate()
            .map(|(i, der)| {
                let role = if i == 0 {
                    CertRole::EndEntity
                } else {
                    CertRole::Intermediate
                };
                match describe_certificate(der.as_ref(), role) {
                    Ok(e) => chain_entry(&e),
                    Err(e) => json!({"error": e.to_string()}),
                }
            })
            .collect(),
    )
}

fn hello_fields(
    random: &[u8],
    session_id: &[u8],
    extensions: Value,
    mut extra: Map<String, Value>,
) -> Value {
    extra.insert("random".into(), Value::String(hex(random)));
    extra.insert("session_id".into(), Value::String(hex(session_id)));
    extra.insert("extensions".into(), extensions);
    Value::Object(extra)
}

/// The decoded fields of a TLS 1.3 handshake message.
pub fn message_fields(msg: &HandshakeMessage) -> Value {
    match &msg.payload {
        HandshakePayload::ClientHello(ch) => {
            let mut m = Map::new();
            m.insert(
                "legacy_version".into(),
                ch.legacy_version.to_string().into(),
            );
            m.insert("cipher_suites".into(), names(&ch.cipher_suites));
            hello_fields(
                &ch.random,
                &ch.session_id,
                Value::Array(ch.extensions.iter().map(client_ext).collect()),
                m,
            )
        }
        HandshakePayload::ServerHello(sh) => {
            let mut m = Map::new();
            m.insert(
                "legacy_version".into(),
                sh.legacy_version.to_string().into(),
            );
            m.insert("cipher_suite".into(), sh.cipher_suite.to_string().into());
            m.insert(
                "hello_retry_request".into(),
                sh.is_hello_retry_request().into(),
            );
            hello_fields(
                &sh.random,
                &sh.session_id,
                Value::Array(sh.extensions.iter().map(server_ext).collect()),
                m,
            )
        }
        HandshakePayload::EncryptedExtensions(ee) => {
            json!({"extensions": ee.extensions.iter().map(server_ext).collect::<Vec<_>>()})
        }
        HandshakePayload::CertificateRequest(cr) => json!({
            "context": hex(&cr.context),
            "signature_algorithms": cr.signature_algorithms().map(names),
        }),
        HandshakePayload::Certificate(c) => json!({
            "context": hex(&c.context),
            "certificates": certs(c.entries.iter().map(|e| &e.cert)),
            "ocsp_stapled": c.entries.first().is_some_and(|e| e.ocsp_response().is_some()),
        }),
        HandshakePayload::CertificateVerify(cv) => json!({
            "scheme": cv.scheme.to_string(), "signature": hex(&cv.signature),
        }),
        HandshakePayload::Finished(f) => json!({"verify_data": hex(&f.verify_data)}),
        HandshakePayload::NewSessionTicket(t) => json!({
            "lifetime": t.lifetime, "age_add": t.age_add, "nonce": hex(&t.nonce),
            "ticket_length": t.ticket.len(),
            "max_early_data_size": t.extensions.iter().find_map(|e| match e {
                NewSessionTicketExtension::EarlyData(n) => Some(*n),
                _ => None,
            }),
        }),
        HandshakePayload::KeyUpdate(k) => json!({"request_update": k.0.to_string()}),
        HandshakePayload::MessageHash(h) => json!({"hash": hex(h)}),
        HandshakePayload::Unknown { body, .. } => json!({"length": body.len()}),
        HandshakePayload::EndOfEarlyData => json!({}),
    }
}

/// The decoded fields of a TLS 1.2 handshake message.
pub fn message12_fields(msg: &HandshakeMessage12) -> Value {
    match &msg.payload {
        HandshakePayload12::ClientHello(ch) => message_fields(&HandshakeMessage::new(
            HandshakePayload::ClientHello(ch.clone()),
        )),
        HandshakePayload12::ServerHello(sh) => message_fields(&HandshakeMessage::new(
            HandshakePayload::ServerHello(sh.clone()),
        )),
        HandshakePayload12::Certificate(c) => json!({"certificates": certs(c.certs.iter())}),
        HandshakePayload12::ServerKeyExchange(ske) => json!({
            "group": ske.group.to_string(), "public_length": ske.public.len(),
            "scheme": ske.scheme.to_string(), "signature": hex(&ske.signature),
        }),
        HandshakePayload12::CertificateRequest(cr) => json!({
            "certificate_types": cr.certificate_types, "signature_algorithms": names(&cr.schemes),
            "authorities": cr.authorities.len(),
        }),
        HandshakePayload12::CertificateVerify(cv) => json!({
            "scheme": cv.scheme.to_string(), "signature": hex(&cv.signature),
        }),
        HandshakePayload12::ClientKeyExchange(cke) => json!({"length": cke.body.len()}),
        HandshakePayload12::NewSessionTicket(t) => json!({
            "lifetime_hint": t.lifetime_hint, "ticket_length": t.ticket.len(),
        }),
        HandshakePayload12::Finished(f) => json!({"verify_data": hex(&f.verify_data)}),
        HandshakePayload12::CertificateStatus(s) => {
            json!({"ocsp_response_length": s.ocsp_response.len()})
        }
        HandshakePayload12::Unknown { body, .. } => json!({"length": body.len()}),
        HandshakePayload12::HelloRequest | HandshakePayload12::ServerHelloDone => json!({}),
    }
}
