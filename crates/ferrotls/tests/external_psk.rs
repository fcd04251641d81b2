//! TLS 1.3 external pre-shared keys (RFC 8446, 2.2 and 4.2.11), in memory and with OpenSSL.

mod common;
mod pair;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use ferrotls::crypto::HashAlgorithm;
use ferrotls::error::{Error, PeerMisbehaved};
use ferrotls::msgs::enums::AlertDescription;
use ferrotls::psk::ExternalPsk;
use pair::{client_config, ecdsa, server_config, Pair, Side};

const KEY: [u8; 32] = [0x42; 32];

fn psk(identity: &str, key: &[u8]) -> ExternalPsk {
    ExternalPsk::new(identity, key.to_vec(), HashAlgorithm::Sha256)
}

#[test]
fn both_sides_authenticate_with_the_psk_instead_of_a_certificate() {
    let id = ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).external_psk(psk("client-1", &KEY)),
        server_config(&[&id]).external_psk(psk("client-1", &KEY)),
    );
    p.handshake().expect("handshake");
    for side in [Side::Client, Side::Server] {
        let n = p.conn(side).negotiated();
        assert_eq!(
            n.external_psk.as_deref(),
            Some(&b"client-1"[..]),
            "{side:?}"
        );
        assert!(!n.resumed, "an external PSK is not a resumption");
        assert_eq!(n.signature_scheme, None, "no CertificateVerify");
    }
    assert!(
        p.client.peer_certificates().is_empty(),
        "no certificate was sent"
    );
    p.client.writer().write_all(b"ping").unwrap();
    p.transfer(Side::Client).unwrap();
    let mut buf = [0u8; 4];
    p.server.reader().read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ping");
}

#[test]
fn a_wrong_key_fails_the_binder() {
    let id = ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).external_psk(psk("client-1", &[0x24; 32])),
        server_config(&[&id]).external_psk(psk("client-1", &KEY)),
    );
    let err = match p.handshake() {
        Err((Side::Server, e)) => e,
        other => panic!("the server must refuse: {other:?}"),
    };
    assert_eq!(err, Error::PeerMisbehaved(PeerMisbehaved::BadPskBinder));
    assert_eq!(
        err.to_string(),
        "the client's pre-shared key binder does not verify: the ticket was altered or the client derived a different key"
    );
    assert_eq!(
        p.alert_sent_by(Side::Server),
        Some(AlertDescription::DecryptError)
    );
}

#[test]
fn an_unknown_identity_falls_back_to_the_certificate() {
    let id = ecdsa();
    let mut p = Pair::new(
        client_config(&[&id]).external_psk(psk("someone-else", &KEY)),
        server_config(&[&id]).external_psk(psk("client-1", &KEY)),
    );
    p.handshake().expect("handshake");
    assert_eq!(p.client.negotiated().external_psk, None);
    assert!(p.client.negotiated().signature_scheme.is_some());
    assert!(
        !p.client.peer_certificates().is_empty(),
        "the server sent its chain"
    );
}

#[test]
fn openssl_server_accepts_our_external_psk() {
    let pki = common::TestPki::new("external-psk");
    let leaf = pki.leaf(common::KeyKind::EcdsaP256);
    let hex: String = KEY.iter().map(|b| format!("{b:02x}")).collect();
    let cert = leaf.cert_file.to_string_lossy().into_owned();
    let key = leaf.key_file.to_string_lossy().into_owned();
    let mut server = common::Process::spawn(
        "openssl",
        &[
            "s_server",
            "-tls1_3",
            "-accept",
            "127.0.0.1:0",
            "-cert",
            &cert,
            "-key",
            &key,
            "-psk",
            &hex,
            "-psk_identity",
            "client-1",
            "-naccept",
            "1",
            "-rev",
        ],
    );
    let line = server
        .supervise(|s| {
            let port = s.wait_for_stdout("s_server's ACCEPT line", common::accept_port)?;
            let config = ferrotls::ClientConfig::with_root_certificates(vec![pki.ca_cert.clone()])
                .map_err(|e| e.to_string())?
                .external_psk(psk("client-1", &KEY))
                .build()
                .map_err(|e| e.to_string())?;
            let conn = ferrotls::ClientConnection::new(config, "localhost".try_into().unwrap())
                .map_err(|e| e.to_string())?;
            let sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
            sock.set_read_timeout(Some(Duration::from_secs(10)))
                .map_err(|e| e.to_string())?;
            let mut tls = ferrotls::StreamOwned::new(conn, sock);
            tls.write_all(b"hello psk\n").map_err(|e| e.to_string())?;
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            while tls.read(&mut byte).map_err(|e| e.to_string())? == 1 && byte[0] != b'\n' {
                line.push(byte[0]);
            }
            let identity = tls.conn.negotiated().external_psk.clone();
            if identity.as_deref() != Some(&b"client-1"[..]) {
                return Err(format!("the handshake did not use the PSK: {identity:?}"));
            }
            Ok(line)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(line, b"ksp olleh");
}
