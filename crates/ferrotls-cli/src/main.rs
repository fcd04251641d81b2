//! The `ferrotls` command line.

mod cert;
mod client;
mod common;
mod demo;
mod diagnose;
mod json;
mod server;
mod trace;
mod verify;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ferrotls",
    version,
    about = "TLS client, server and tools that explain what happens"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a TLS 1.3 server on 127.0.0.1 with a fresh development certificate,
    /// connect the ferrotls client to it, and narrate the handshake.
    Demo(demo::DemoArgs),
    /// Connect to a TLS server, narrate the handshake, then pipe stdin/stdout (like s_client).
    Client(client::ClientArgs),
    /// Run an echo or HTTPS status server (like s_server).
    Server(server::ServerArgs),
    /// Build and check a certificate path; print it and explain any failure.
    Verify(verify::VerifyArgs),
    /// A local CA, certificates it issues (good or deliberately broken), and a decoder.
    Cert(cert::CertArgs),
    /// Probe a TLS server and explain every misconfiguration found, with the fix.
    Diagnose(diagnose::DiagnoseArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Client(args) => client::run(args),
        Command::Server(args) => server::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Cert(args) => cert::run(args),
        Command::Diagnose(args) => diagnose::run(args),
    };
    if let Err(e) = result {
        eprintln!("ferrotls: {e}");
        std::process::exit(1);
    }
}
