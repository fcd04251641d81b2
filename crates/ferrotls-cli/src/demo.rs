//! `ferrotls demo`: a server and a client on 127.0.0.1, narrated.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use ferrotls::client::{ClientConfig, ClientConnection};
use ferrotls::conn::EchStatus;
use ferrotls::crypto::Provider;
use ferrotls::ech::EchKeys;
use ferrotls::server::{ServerConfig, ServerConnection};
use ferrotls::stream::StreamOwned;
use rustls_pki_types::ServerName;

use crate::cert::mint::{Ca, CaOptions, KeyType, LeafRequest};
use crate::trace::TracePrinter;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Show the secrets of the key schedule in the trace (never do this with real traffic).
    #[arg(long)]
    show_secrets: bool,
    /// Key type of the development certificate.
    #[arg(long, value_enum, default_value = "ecdsa")]
    key: KeyType,
    /// Restrict the server to this group (e.g. secp256r1) to see a HelloRetryRequest.
    #[arg(long)]
    server_group: Option<String>,
    /// Encrypt the ClientHello (Encrypted Client Hello): the server gets fresh ECH
    /// keys for the public name `public.localhost`, the client their configuration.
    #[arg(long)]
    ech: bool,
}

/// The public name of the demo's ECH configuration: what the outer ClientHello names.
const ECH_PUBLIC_NAME: &str = "public.localhost";

pub fn run(args: DemoArgs) -> Result<(), String> {
    let ca = Ca::generate(&CaOptions::default())?;
    let names = ["localhost".to_string(), "127.0.0.1".to_string()];
    let dev = ca.issue(&LeafRequest {
        key: args.key,
        ..LeafRequest::server(&names)
    })?;
    println!("Generated a development CA and a certificate for localhost, 127.0.0.1.");

    let mut server_builder = ServerConfig::builder()
        .cert(dev.chain.clone(), &dev.key)
        .map_err(|e| e.to_string())?
        .observer(Arc::new(TracePrinter::new(
            "server",
            Box::new(std::io::stdout()),
            args.show_secrets,
            crate::common::Palette::for_stream(&std::io::stdout()),
        )));
    if let Some(g) = &args.server_group {
        server_builder = server_builder.groups(&[crate::common::parse_group(g)?]);
    }
    let ech_config_list = if args.ech {
        let keys = EchKeys::generate(ECH_PUBLIC_NAME, 1, &Provider::system())
            .map_err(|e| e.to_string())?;
        let list = keys.config_list();
        server_builder = server_builder.ech_keys(keys);
        println!(
            "Generated ECH keys: the outer ClientHello names {ECH_PUBLIC_NAME}; \
             the inner one, encrypted to the server, names localhost."
        );
        Some(list)
    } else {
        None
    };
    let server_config = server_builder.build().map_err(|e| e.to_string())?;

    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("Server listening on {addr}\n");

    let server = thread::spawn(move || -> Result<(), String> {
        let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
        let conn = ServerConnection::new(server_config).map_err(|e| e.to_string())?;
        let mut tls = StreamOwned::new(conn, sock);
        let mut buf = [0u8; 1024];
        let n = tls.read(&mut buf).map_err(|e| format!("server: {e}"))?;
        tls.write_all(&buf[..n])
            .map_err(|e| format!("server: {e}"))?;
        tls.close().map_err(|e| format!("server: {e}"))?;
        Ok(())
    });

    // The client trusts only the development CA and validates the path to it.
    let mut client_builder = ClientConfig::with_root_certificates(vec![ca.cert.clone()])
        .map_err(|e| e.to_string())?
        .observer(Arc::new(TracePrinter::new(
            "client",
            Box::new(std::io::stdout()),
            args.show_secrets,
            crate::common::Palette::for_stream(&std::io::stdout()),
        )))
        .alpn(vec![b"ferrotls-demo".to_vec()]);
    if let Some(list) = &ech_config_list {
        client_builder = client_builder
            .ech_config_list(list)
            .map_err(|e| e.to_string())?;
    }
    let client_config = client_builder.build().map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let conn = ClientConnection::new(client_config, name).map_err(|e| e.to_string())?;
    let sock = TcpStream::connect(addr).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let mut tls = StreamOwned::new(conn, sock);
    tls.handshake()
        .map_err(|e| format!("client: handshake failed: {e}"))?;

    let greeting = b"hello from the ferrotls client";
    tls.write_all(greeting)
        .map_err(|e| format!("client: {e}"))?;
    let mut echoed = Vec::new();
    tls.read_to_end(&mut echoed)
        .map_err(|e| format!("client: {e}"))?;
    server
        .join()
        .map_err(|_| "the server thread panicked".to_string())??;

    let n = tls.conn.negotiated();
    println!("\nNegotiated:");
    println!(
        "  version:          {}",
        n.version.map(|v| v.to_string()).unwrap_or_default()
    );
    println!(
        "  cipher suite:     {}",
        n.cipher_suite.map(|s| s.to_string()).unwrap_or_default()
    );
    println!(
        "  key exchange:     {}{}",
        n.group.map(|g| g.to_string()).unwrap_or_default(),
        if n.hello_retry {
            " (after HelloRetryRequest)"
        } else {
            ""
        }
    );
    println!(
        "  signature:        {}",
        n.signature_scheme
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    println!(
        "  ALPN:             {}",
        n.alpn
            .as_deref()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_else(|| "none".into())
    );
    println!(
        "  server name:      {}",
        n.server_name.as_deref().unwrap_or("none")
    );
    println!(
        "  peer chain:       {} certificate(s)",
        n.peer_certificates.len()
    );
    if args.ech {
        println!(
            "  ECH:              {}",
            match n.ech {
                EchStatus::Accepted =>
                    "accepted: the server name and ALPN crossed the wire encrypted",
                EchStatus::Rejected => "rejected",
                EchStatus::NotOffered => "not offered",
            }
        );
    }
    if echoed != greeting {
        return Err(format!(
            "the server echoed {:?}, expected {:?}",
            String::from_utf8_lossy(&echoed),
            String::from_utf8_lossy(greeting)
        ));
    }
    println!(
        "  application data: sent {:?}, the server echoed it back and closed with close_notify",
        String::from_utf8_lossy(greeting)
    );
    Ok(())
}
