//! Keying material exporters (RFC 8446, 7.5; RFC 5705): both ferrotls peers derive
//! the same bytes, and so does OpenSSL (`-keymatexport`), as client and as server,
//! in TLS 1.3 and TLS 1.2.

mod common;
mod pair;

use std::ffi::OsString;

use common::{
    accept_port, assert_ok, both, built, check_eq, close_both_ways, expect_close_notify,
    ferrotls_client, ferrotls_server, read_line, KeyKind, Process, TestPki,
};
use ferrotls::msgs::enums::ProtocolVersion;
use ferrotls::Connection;
use pair::{client_config, ecdsa, server_config, Pair, Side};

const LABEL: &[u8] = b"EXPERIMENTAL-ferrotls";

fn export(conn: &Connection, label: &[u8], context: Option<&[u8]>, len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    conn.export_keying_material(&mut out, label, context)
        .expect("export");
    out
}

fn error_of(conn: &Connection, label: &[u8], context: Option<&[u8]>, len: usize) -> String {
    let mut out = vec![0; len];
    conn.export_keying_material(&mut out, label, context)
        .expect_err("the export must be refused")
        .to_string()
}

#[test]
fn both_peers_export_the_same_and_inputs_matter_tls13() {
    let id = ecdsa();
    let mut p = Pair::new(client_config(&[&id]), server_config(&[&id]));
    assert_eq!(
        error_of(&p.client, LABEL, None, 32),
        "cannot export keying material before the handshake completes"
    );
    p.handshake().expect("handshake");
    let client = export(&p.client, LABEL, None, 32);
    assert_eq!(client, export(&p.server, LABEL, None, 32));
    assert_ne!(client, vec![0; 32]);
    // RFC 8446, 7.5: no context and an empty one are the same.
    assert_eq!(client, export(&p.client, LABEL, Some(b""), 32));
    assert_ne!(client, export(&p.client, LABEL, Some(b"ctx"), 32));
    assert_ne!(client, export(&p.client, b"EXPERIMENTAL-other", None, 32));
    // The length is part of the derivation (HkdfLabel.length).
    assert_ne!(export(&p.client, LABEL, None, 16), client[..16]);
    assert_eq!(
        export(&p.server, LABEL, None, 255 * 32).len(),
        255 * 32,
        "the most SHA-256 can give"
    );
    assert_eq!(
        error_of(&p.server, LABEL, None, 255 * 32 + 1),
        "cannot export 8161 bytes of keying material: at most 8160 can be derived with this \
         cipher suite's hash"
    );
    assert_eq!(
        error_of(&p.client, &[b'x'; 250], None, 32),
        "cannot export keying material under a 250-byte label: TLS 1.3 allows at most 249 \
         bytes (RFC 8446, 7.1)"
    );
    // The longest label HKDF-Expand-Label takes.
    assert_eq!(
        export(&p.server, &[b'x'; 249], None, 8),
        export(&p.client, &[b'x'; 249], None, 8)
    );
}

#[test]
fn both_peers_export_the_same_and_inputs_matter_tls12() {
    let id = ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).versions(&[ProtocolVersion::TLSv1_2]),
        server_config(&[&id]),
    );
    p.handshake().expect("handshake");
    assert_eq!(
        p.client.negotiated().version,
        Some(ProtocolVersion::TLSv1_2)
    );
    let client = export(&p.client, LABEL, None, 40);
    assert_eq!(client, export(&p.server, LABEL, None, 40));
    // RFC 5705, 4: in TLS 1.2 an empty context is not the absence of one.
    let empty = export(&p.client, LABEL, Some(b""), 40);
    assert_ne!(client, empty);
    assert_eq!(empty, export(&p.server, LABEL, Some(b""), 40));
    assert_eq!(
        error_of(&p.client, b"key expansion", None, 40),
        "cannot export keying material under the label \"key expansion\": TLS 1.2 uses it for \
         its own keys (RFC 5705, 4); use a registered label or one starting with \"EXPERIMENTAL\""
    );
    assert_eq!(
        error_of(&p.client, LABEL, Some(&vec![0; 70_000]), 40),
        "cannot export keying material with a 70000-byte context: TLS 1.2 allows at most 65535 \
         bytes (RFC 5705, 4)"
    );
}

#[test]
fn tls12_without_the_extended_master_secret_exports_nothing() {
    // Strip extended_master_secret from the ClientHello on the way: a default server
    // goes on without it (RFC 7627, 5.2), and a default client likewise.
    let id = ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).versions(&[ProtocolVersion::TLSv1_2]),
        server_config(&[&id]),
    );
    p.handshake12_through_mitm(|ch| {
        ch.extensions
            .retain(|e| e.ext_type() != ferrotls::msgs::enums::ExtensionType::ExtendedMasterSecret)
    })
    .expect("handshake without EMS");
    assert!(!p.server.negotiated().extended_master_secret);
    assert!(!p.client.negotiated().extended_master_secret);
    assert_eq!(
        error_of(&p.client, LABEL, None, 32),
        "cannot export keying material: this TLS 1.2 session has no extended master secret, so \
         a man in the middle could share it (RFC 7627, 5.4)"
    );
    assert_eq!(
        error_of(&p.server, LABEL, None, 32),
        "cannot export keying material: this TLS 1.2 session has no extended master secret, so \
         a man in the middle could share it (RFC 7627, 5.4)"
    );
}

// ---------------------------------------------------------------------------------
// OpenSSL: `-keymatexport LABEL -keymatexportlen N` prints what it derives, with no
// context.

const OPENSSL_LEN: usize = 24;

fn keymat_args() -> Vec<String> {
    vec![
        "-keymatexport".into(),
        String::from_utf8_lossy(LABEL).into_owned(),
        "-keymatexportlen".into(),
        OPENSSL_LEN.to_string(),
    ]
}

/// The hex after "Keying material: " in OpenSSL's output, as bytes.
fn openssl_keying_material(output: &str) -> Result<Vec<u8>, String> {
    let hex = output
        .lines()
        .find_map(|l| l.trim().strip_prefix("Keying material: "))
        .ok_or_else(|| format!("no keying material in OpenSSL's output:\n{output}"))?;
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

fn version_arg(version: ProtocolVersion) -> &'static str {
    if version == ProtocolVersion::TLSv1_3 {
        "-tls1_3"
    } else {
        "-tls1_2"
    }
}

#[test]
fn ferrotls_client_and_openssl_server_export_the_same() {
    let pki = TestPki::new("exporter-s_server");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
        let outcome =
            built("client", leaf.client_config().versions(&[version]).build()).and_then(|config| {
                let mut args: Vec<OsString> = [
                    "s_server",
                    version_arg(version),
                    "-accept",
                    "127.0.0.1:0",
                    "-naccept",
                    "1",
                    "-cert",
                ]
                .iter()
                .map(OsString::from)
                .collect();
                args.push(leaf.cert_file.clone().into());
                args.push("-key".into());
                args.push(leaf.key_file.clone().into());
                args.extend(keymat_args().into_iter().map(OsString::from));
                let mut server = Process::spawn("openssl", &args);
                let ours = server.supervise(|s| {
                    let port = s.wait_for_stdout("s_server's ACCEPT line", accept_port)?;
                    let mut tls = ferrotls_client(config, port, "localhost")?;
                    let ours = export(&tls.conn, LABEL, None, OPENSSL_LEN);
                    // s_server prints the keying material once its handshake is done.
                    s.wait_for_stdout_text("Keying material: ")?;
                    close_both_ways(&mut tls)?;
                    Ok(ours)
                })?;
                let theirs = openssl_keying_material(&server.stdout())?;
                check_eq(&format!("{version} keying material"), ours, theirs)
            });
        assert_ok(
            &format!("ferrotls client -> openssl s_server, {version}"),
            outcome,
        );
    }
}

#[test]
fn openssl_client_and_ferrotls_server_export_the_same() {
    let pki = TestPki::new("exporter-s_client");
    let leaf = pki.leaf(KeyKind::EcdsaP256);
    for version in [ProtocolVersion::TLSv1_3, ProtocolVersion::TLSv1_2] {
        let outcome =
            built("server", leaf.server_config().versions(&[version]).build()).and_then(|config| {
                let server = ferrotls_server(config, |tls| {
                    let line = read_line(tls)?;
                    let ours = export(&tls.conn, LABEL, None, OPENSSL_LEN);
                    std::io::Write::write_all(tls, format!("{line}\n").as_bytes())
                        .map_err(|e| e.to_string())?;
                    expect_close_notify(tls)?;
                    let _ = tls.close();
                    Ok(ours)
                });
                let mut args: Vec<String> = vec![
                    "s_client".into(),
                    version_arg(version).into(),
                    "-connect".into(),
                    format!("127.0.0.1:{}", server.port),
                    "-servername".into(),
                    "localhost".into(),
                    "-CAfile".into(),
                    pki.ca_file.to_string_lossy().into_owned(),
                    "-nocommands".into(),
                ];
                args.extend(keymat_args());
                let mut client = Process::spawn("openssl", &args);
                let theirs = client.supervise(|c| {
                    c.write_stdin(b"exporter\n")?;
                    c.wait_for_stdout_text("exporter")?;
                    c.close_stdin();
                    Ok(())
                });
                let (_, served) = both(theirs, server.finish())?;
                let theirs = openssl_keying_material(&client.stdout())?;
                check_eq(&format!("{version} keying material"), served.value, theirs)
            });
        assert_ok(
            &format!("openssl s_client -> ferrotls server, {version}"),
            outcome,
        );
    }
}

#[test]
fn other_side_values_differ_per_connection() {
    let id = ecdsa();
    let a = {
        let mut p = Pair::new(client_config(&[&id]), server_config(&[&id]));
        p.handshake().expect("handshake");
        export(p.conn_ref(Side::Client), LABEL, None, 32)
    };
    let b = {
        let mut p = Pair::new(client_config(&[&id]), server_config(&[&id]));
        p.handshake().expect("handshake");
        export(p.conn_ref(Side::Client), LABEL, None, 32)
    };
    assert_ne!(a, b, "fresh secrets, fresh keying material");
}
