//! Encrypted Client Hello (draft-ietf-tls-esni): ferrotls with itself in memory, and
//! with rustls's ECH client (the one ECH peer available here; OpenSSL 3.0, curl and
//! Python's ssl have none).

mod common;
mod pair;

use std::sync::Arc;

use ferrotls::conn::EchStatus;
use ferrotls::crypto::Provider;
use ferrotls::ech::{EchError, EchKeys};
use ferrotls::error::Error;
use ferrotls::msgs::enums::{AlertDescription, NamedGroup};
use ferrotls::ServerConnection;
use pair::{client_config, ecdsa, hex, identity, server_config, KeyType, Pair, Side, SERVER_NAME};
use rustls_pki_types::ServerName;

const PUBLIC_NAME: &str = "public.example";

fn ech_keys(config_id: u8) -> EchKeys {
    EchKeys::generate(PUBLIC_NAME, config_id, &Provider::system()).expect("ECH keys")
}

/// The same keys again (EchKeys holds a private key and is not Clone).
fn copy(keys: &EchKeys) -> EchKeys {
    EchKeys::from_pem(&keys.to_pem()).expect("ECH keys from PEM")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn accepted_the_inner_hello_is_negotiated_and_the_real_name_never_crosses_the_wire() {
    let id = ecdsa();
    let keys = ech_keys(7);
    let mut p = Pair::new(
        client_config(&[&id])
            .ech_config_list(&keys.config_list())
            .expect("ECH config")
            .alpn(vec![b"h2".to_vec()]),
        server_config(&[&id])
            .ech_keys(copy(&keys))
            .alpn(vec![b"h2".to_vec()]),
    );
    let mut first_flight = Vec::new();
    let outcome = p.drive(|f, bytes| {
        if f.index == 0 {
            first_flight = bytes.clone();
        }
    });
    assert!(
        matches!(outcome, pair::Outcome::Done),
        "handshake: {outcome:?}"
    );
    assert!(contains(&first_flight, PUBLIC_NAME.as_bytes()));
    assert!(
        !contains(&first_flight, SERVER_NAME.as_bytes()),
        "the real server name is in the clear in the first flight"
    );
    assert!(!contains(&first_flight, b"h2"), "ALPN is in the clear");
    for side in [Side::Client, Side::Server] {
        let n = p.conn_ref(side).negotiated();
        assert_eq!(n.ech, EchStatus::Accepted, "{side:?}");
        assert_eq!(n.alpn.as_deref(), Some(&b"h2"[..]), "{side:?}");
    }
    assert_eq!(
        p.server.negotiated().server_name.as_deref(),
        Some(SERVER_NAME)
    );
    p.send(Side::Client, b"ping");
    assert_eq!(pair::read_plaintext(&mut p.server).0, b"ping");
}

#[test]
fn accepted_after_hello_retry_request_on_both_sides() {
    let id = ecdsa();
    let keys = ech_keys(1);
    let mut p = Pair::new(
        client_config(&[&id])
            .ech_config_list(&keys.config_list())
            .expect("ECH config")
            .key_share_groups(&[]),
        server_config(&[&id]).ech_keys(copy(&keys)),
    );
    p.handshake().expect("handshake");
    for side in [Side::Client, Side::Server] {
        let n = p.conn_ref(side).negotiated();
        assert_eq!(n.ech, EchStatus::Accepted, "{side:?}");
        assert!(n.hello_retry, "{side:?}: no HelloRetryRequest");
    }
}

#[test]
fn a_session_resumes_inside_the_inner_hello() {
    let id = ecdsa();
    let keys = ech_keys(2);
    let client = client_config(&[&id])
        .ech_config_list(&keys.config_list())
        .expect("ECH config")
        .build()
        .expect("client config");
    let server = server_config(&[&id])
        .ech_keys(copy(&keys))
        .build()
        .expect("server config");
    let captures = Arc::new(pair::KeyCapture::default());
    let mut outer_psks = Vec::new();
    for round in 0..2 {
        let mut p = Pair::from_configs(&client, &server, &captures, &captures);
        let mut outer = None;
        let outcome = p.drive(|f, bytes| {
            if f.index == 0 {
                outer = Some(outer_hello_of(bytes));
            }
        });
        assert!(matches!(outcome, pair::Outcome::Done), "{outcome:?}");
        outer_psks.push(outer.expect("a ClientHello").psk().cloned());
        p.send(Side::Server, b"x");
        for side in [Side::Client, Side::Server] {
            let n = p.conn_ref(side).negotiated();
            assert_eq!(n.ech, EchStatus::Accepted, "round {round}, {side:?}");
            assert_eq!(n.resumed, round == 1, "round {round}, {side:?}");
        }
    }
    // draft-ietf-tls-esni, 6.1.2: the resuming outer hello carries a GREASE
    // pre_shared_key shaped like the real one (a stateless ticket: same length, other
    // bytes), so it looks like any resumption.
    assert_eq!(outer_psks[0], None);
    let grease = outer_psks[1].as_ref().expect("a GREASE pre_shared_key");
    assert_eq!(grease.identities.len(), 1);
    assert_eq!(grease.binders.len(), 1);
    assert_eq!(grease.binders[0].len(), 32);
    let ticket = &grease.identities[0].identity;
    assert!(ticket.len() > 32, "{}", ticket.len());
}

/// The ClientHello in the first handshake record of `flight`.
fn outer_hello_of(flight: &[u8]) -> ferrotls::msgs::ClientHello {
    let (records, _) = pair::split_records_lenient(flight);
    records
        .iter()
        .find_map(|r| {
            match ferrotls::msgs::HandshakeMessage::read_tls13(&r.payload)
                .ok()?
                .payload
            {
                ferrotls::msgs::HandshakePayload::ClientHello(ch) => Some(ch),
                _ => None,
            }
        })
        .expect("a ClientHello")
}

#[test]
fn rejected_with_other_keys_the_client_fails_with_the_retry_configs() {
    let id = identity(KeyType::Ecdsa, &[SERVER_NAME, PUBLIC_NAME]);
    let stale = ech_keys(3);
    let current = ech_keys(3);
    let mut p = Pair::new(
        client_config(&[&id])
            .ech_config_list(&stale.config_list())
            .expect("ECH config"),
        server_config(&[&id]).ech_keys(copy(&current)),
    );
    let (side, err) = p.handshake().expect_err("the client must refuse");
    assert_eq!(side, Side::Client);
    let Error::Ech(EchError::Rejected {
        public_name,
        retry_configs,
    }) = &err
    else {
        panic!("wrong error: {err:?}");
    };
    assert_eq!(public_name, PUBLIC_NAME);
    assert_eq!(retry_configs.as_deref(), Some(&current.config_list()[..]));
    assert_eq!(
        err.to_string(),
        "the server public.example did not accept Encrypted Client Hello; it sent retry \
         configurations to connect again with"
    );
    assert_eq!(err.alert(), Some(AlertDescription::EchRequired));
    assert_eq!(p.client.negotiated().ech, EchStatus::Rejected);
    assert_eq!(p.server.negotiated().ech, EchStatus::Rejected);
    // The server hears ech_required.
    p.transfer(Side::Client).expect_err("the alert");

    // Connecting again with the retry configurations works.
    let mut again = Pair::new(
        client_config(&[&id])
            .ech_config_list(retry_configs.as_deref().unwrap())
            .expect("retry config"),
        server_config(&[&id]).ech_keys(copy(&current)),
    );
    again.handshake().expect("handshake with the retry configs");
    assert_eq!(again.client.negotiated().ech, EchStatus::Accepted);
}

#[test]
fn a_server_without_ech_disables_it_and_the_client_says_so() {
    let id = identity(KeyType::Ecdsa, &[SERVER_NAME, PUBLIC_NAME]);
    let keys = ech_keys(4);
    let mut p = Pair::new(
        client_config(&[&id])
            .ech_config_list(&keys.config_list())
            .expect("ECH config"),
        server_config(&[&id]),
    );
    let (side, err) = p.handshake().expect_err("the client must refuse");
    assert_eq!(side, Side::Client);
    assert_eq!(
        err.to_string(),
        "the server public.example did not accept Encrypted Client Hello and sent no retry \
         configurations: ECH is disabled there"
    );
    assert_eq!(p.server.negotiated().ech, EchStatus::NotOffered);
}

#[test]
fn a_tampered_outer_hello_is_not_decrypted() {
    let id = identity(KeyType::Ecdsa, &[SERVER_NAME, PUBLIC_NAME]);
    let keys = ech_keys(5);
    let mut p = Pair::new(
        client_config(&[&id])
            .ech_config_list(&keys.config_list())
            .expect("ECH config"),
        server_config(&[&id]).ech_keys(copy(&keys)),
    );
    // The outer SNI is authenticated as the AAD: change one letter of it.
    let outcome = p.drive(|f, bytes| {
        if f.index == 0 {
            let at = bytes
                .windows(PUBLIC_NAME.len())
                .position(|w| w == PUBLIC_NAME.as_bytes())
                .expect("public name in the outer hello");
            bytes[at] = b'q';
        }
    });
    // The server cannot open the offer and goes on with the outer hello it received;
    // the client's transcript holds the one it sent, so the server's first protected
    // record does not decrypt.
    let pair::Outcome::Failed(Side::Client, err) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(matches!(err, Error::Record(_)), "{err:?}");
    assert_eq!(p.server.negotiated().ech, EchStatus::Rejected);
}

// ---------------------------------------------------------------------------------
// rustls's ECH client against the ferrotls server.

fn rustls_client(
    id: &pair::Identity,
    ech_config_list: &[u8],
    groups: Option<&[&'static dyn rustls::crypto::SupportedKxGroup]>,
) -> rustls::ClientConnection {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(id.chain.last().expect("CA").clone())
        .expect("root");
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if let Some(groups) = groups {
        provider.kx_groups = groups.to_vec();
    }
    let ech = rustls::client::EchConfig::new(
        ech_config_list.to_vec().into(),
        rustls::crypto::aws_lc_rs::hpke::ALL_SUPPORTED_SUITES,
    )
    .expect("rustls ECH config");
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_ech(rustls::client::EchMode::Enable(ech))
        .expect("rustls ECH")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(SERVER_NAME.to_string()).expect("name");
    rustls::ClientConnection::new(Arc::new(config), name).expect("rustls connection")
}

/// Moves bytes between the rustls client and the ferrotls server until neither has
/// anything to send. Errors name the side.
fn pump(
    client: &mut rustls::ClientConnection,
    server: &mut ServerConnection,
) -> Result<(), String> {
    for _ in 0..20 {
        let mut moved = false;
        let mut buf = Vec::new();
        while client.wants_write() {
            client
                .write_tls(&mut buf)
                .map_err(|e| format!("rustls write: {e}"))?;
        }
        if !buf.is_empty() {
            moved = true;
            let mut rest = &buf[..];
            while !rest.is_empty() {
                let n = server.feed_tls(rest);
                rest = &rest[n..];
                server
                    .process_new_packets()
                    .map_err(|e| format!("ferrotls server: {e}"))?;
            }
        }
        let out = server.take_tls();
        if !out.is_empty() {
            moved = true;
            let mut rest = &out[..];
            while !rest.is_empty() {
                client
                    .read_tls(&mut rest)
                    .map_err(|e| format!("rustls read: {e}"))?;
                client
                    .process_new_packets()
                    .map_err(|e| format!("rustls client: {e}"))?;
            }
        }
        if !moved {
            return Ok(());
        }
    }
    Err("no end to the handshake after 20 rounds".into())
}

#[test]
fn rustls_ech_client_is_accepted_by_the_ferrotls_server() {
    let id = ecdsa();
    let keys = ech_keys(9);
    let server_config = server_config(&[&id])
        .ech_keys(copy(&keys))
        .build()
        .expect("server config");
    // Default groups (X25519MLKEM768 share), and P-256 only (a HelloRetryRequest:
    // the server prefers X25519MLKEM768, for which rustls sent a share, so the
    // retry comes from restricting the server instead).
    for (label, server_groups) in [
        ("default groups", None),
        ("HelloRetryRequest", Some(&[NamedGroup::secp256r1][..])),
    ] {
        let config = match server_groups {
            None => server_config.clone(),
            Some(groups) => pair::server_config(&[&id])
                .ech_keys(copy(&keys))
                .groups(groups)
                .build()
                .expect("server config"),
        };
        let mut server = ServerConnection::new(config).expect("server");
        let mut client = rustls_client(&id, &keys.config_list(), None);
        pump(&mut client, &mut server).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert!(!client.is_handshaking(), "{label}");
        assert_eq!(
            client.ech_status(),
            rustls::client::EchStatus::Accepted,
            "{label}"
        );
        let n = server.negotiated();
        assert_eq!(n.ech, EchStatus::Accepted, "{label}");
        assert_eq!(n.server_name.as_deref(), Some(SERVER_NAME), "{label}");
        assert_eq!(n.hello_retry, server_groups.is_some(), "{label}");
    }
}

#[test]
fn rustls_ech_client_gets_the_retry_configs_from_a_ferrotls_server_with_other_keys() {
    let id = identity(KeyType::Ecdsa, &[SERVER_NAME, PUBLIC_NAME]);
    let stale = ech_keys(10);
    let current = ech_keys(10);
    let config = server_config(&[&id])
        .ech_keys(copy(&current))
        .build()
        .expect("server config");
    let mut server = ServerConnection::new(config).expect("server");
    let mut client = rustls_client(&id, &stale.config_list(), None);
    let err = pump(&mut client, &mut server).expect_err("rustls must refuse");
    // rustls reports the rejection with the retry configurations it received.
    assert!(
        err.starts_with("rustls client: peer is incompatible: ServerRejectedEncryptedClientHello")
            && err.contains("config_id: 10")
            && err.contains(&hex(&current.config().public_key)),
        "{err}"
    );
    assert_eq!(server.negotiated().ech, EchStatus::Rejected);
}

// ---------------------------------------------------------------------------------
// GREASE (draft-ietf-tls-esni, 6.2.1) and what observers see.

/// The encrypted_client_hello extension of the first ClientHello in `flight`.
fn ech_extension_of(flight: &[u8]) -> Option<ferrotls::ech::EchClientHello> {
    let (records, _) = pair::split_records_lenient(flight);
    records.iter().find_map(|record| {
        let msg = ferrotls::msgs::HandshakeMessage::read_tls13(&record.payload).ok()?;
        let ferrotls::msgs::HandshakePayload::ClientHello(ch) = msg.payload else {
            return None;
        };
        ferrotls::ech::EchClientHello::read(ferrotls::ech::ech_extension(&ch)?).ok()
    })
}

#[test]
fn grease_looks_like_an_offer_and_changes_nothing() {
    let id = ecdsa();
    let keys = ech_keys(11);
    for (label, server) in [
        ("a server without ECH", server_config(&[&id])),
        // A server with keys cannot open it and sends retry configs; the client
        // checks and ignores them.
        (
            "a server with ECH keys",
            server_config(&[&id]).ech_keys(copy(&keys)),
        ),
        (
            "a server asking for another key share",
            server_config(&[&id]).groups(&[NamedGroup::secp256r1]),
        ),
    ] {
        let mut p = Pair::new(client_config(&[&id]).ech_grease(true), server);
        let mut offers = Vec::new();
        let outcome = p.drive(|f, bytes| {
            if f.from == Side::Client {
                if let Some(ext) = ech_extension_of(bytes) {
                    offers.push(ext);
                }
            }
        });
        assert!(
            matches!(outcome, pair::Outcome::Done),
            "{label}: {outcome:?}"
        );
        let Some(ferrotls::ech::EchClientHello::Outer {
            kdf,
            aead,
            enc,
            payload,
            ..
        }) = offers.first()
        else {
            panic!("{label}: no GREASE extension in {offers:?}");
        };
        assert_eq!((*kdf, *aead), (1, 1), "{label}");
        assert_eq!(enc.len(), 32, "{label}: an X25519 public key");
        assert_eq!(
            payload.len() % 32,
            16,
            "{label}: padded to 32, plus the tag"
        );
        // 6.2.1: a second ClientHello repeats it unchanged.
        let hellos = if label == "a server asking for another key share" {
            2
        } else {
            1
        };
        assert_eq!(offers.len(), hellos, "{label}");
        assert!(offers.iter().all(|o| o == &offers[0]), "{label}");
        for side in [Side::Client, Side::Server] {
            let n = p.conn_ref(side).negotiated();
            assert_eq!(
                n.ech,
                if side == Side::Server && label == "a server with ECH keys" {
                    EchStatus::Rejected
                } else {
                    EchStatus::NotOffered
                },
                "{label}: {side:?}"
            );
        }
    }
}

#[test]
fn no_grease_unless_asked_and_none_with_a_real_offer() {
    let id = ecdsa();
    let keys = ech_keys(12);
    let mut plain = Pair::new(client_config(&[&id]), server_config(&[&id]));
    let mut seen = None;
    plain.drive(|f, bytes| {
        if f.index == 0 {
            seen = Some(ech_extension_of(bytes));
        }
    });
    assert_eq!(seen, Some(None), "no extension by default");

    let mut real = Pair::new(
        client_config(&[&id])
            .ech_grease(true)
            .ech_config_list(&keys.config_list())
            .expect("ECH config"),
        server_config(&[&id]).ech_keys(copy(&keys)),
    );
    real.handshake().expect("handshake");
    assert_eq!(real.client.negotiated().ech, EchStatus::Accepted);
}

/// Counts the inner ClientHellos an observer is shown.
#[derive(Debug, Default)]
struct InnerHellos(std::sync::Mutex<Vec<(ferrotls::observe::Direction, Option<String>)>>);

impl ferrotls::observe::Observer for InnerHellos {
    fn event(&self, event: &ferrotls::observe::Event<'_>) {
        if let ferrotls::observe::Event::Message {
            direction,
            protection: ferrotls::observe::Protection::EncryptedClientHello,
            message,
            ..
        } = event
        {
            let ferrotls::msgs::HandshakePayload::ClientHello(ch) = &message.payload else {
                panic!("not a ClientHello: {message:?}");
            };
            let name = ch
                .host_name()
                .map(|n| String::from_utf8_lossy(n).into_owned());
            self.0.lock().unwrap().push((*direction, name));
        }
    }
}

#[test]
fn observers_see_the_inner_hello_on_both_sides() {
    let id = ecdsa();
    let keys = ech_keys(13);
    let client_seen = Arc::new(InnerHellos::default());
    let server_seen = Arc::new(InnerHellos::default());
    let mut p = Pair::new(
        client_config(&[&id])
            .ech_config_list(&keys.config_list())
            .expect("ECH config")
            .key_share_groups(&[])
            .observer(client_seen.clone()),
        server_config(&[&id])
            .ech_keys(copy(&keys))
            .observer(server_seen.clone()),
    );
    p.handshake().expect("handshake");
    use ferrotls::observe::Direction::{Received, Sent};
    let name = Some(SERVER_NAME.to_string());
    // Two of each: the HelloRetryRequest asks for a second ClientHello.
    assert_eq!(
        *client_seen.0.lock().unwrap(),
        vec![(Sent, name.clone()), (Sent, name.clone())]
    );
    assert_eq!(
        *server_seen.0.lock().unwrap(),
        vec![(Received, name.clone()), (Received, name)]
    );
}

#[test]
fn zero_rtt_rides_on_an_accepted_inner_hello() {
    use std::io::Read;
    let id = ecdsa();
    let keys = ech_keys(14);
    let client = client_config(&[&id])
        .ech_config_list(&keys.config_list())
        .expect("ECH config")
        .early_data(true)
        .build()
        .expect("client config");
    let server = server_config(&[&id])
        .ech_keys(copy(&keys))
        .max_early_data(1024)
        .build()
        .expect("server config");
    let captures = Arc::new(pair::KeyCapture::default());
    let mut first = Pair::from_configs(&client, &server, &captures, &captures);
    first.handshake().expect("first handshake");
    first.send(Side::Server, b"x");
    pair::read_plaintext(&mut first.client);

    let mut again = Pair::from_configs(&client, &server, &captures, &captures);
    let early = b"GET / HTTP/1.1\r\n\r\n";
    assert_eq!(
        again.client.write_early_data(early).expect("0-RTT"),
        early.len()
    );
    let mut outer = None;
    let outcome = again.drive(|f, bytes| {
        if f.index == 0 {
            outer = Some(outer_hello_of(bytes));
        }
    });
    assert!(matches!(outcome, pair::Outcome::Done), "{outcome:?}");
    // 6.1, rule 7: early_data is in the outer hello too.
    assert!(outer
        .expect("a ClientHello")
        .has_extension(ferrotls::msgs::enums::ExtensionType::EarlyData));
    assert!(again.server.early_data_accepted());
    let mut got = Vec::new();
    let _ = again.server.early_data().read_to_end(&mut got);
    assert_eq!(got, early);
    for side in [Side::Client, Side::Server] {
        let n = again.conn_ref(side).negotiated();
        assert_eq!(n.ech, EchStatus::Accepted, "{side:?}");
        assert!(n.resumed, "{side:?}");
    }
}
