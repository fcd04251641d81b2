//! The `ferrotls` command line.

mod cert;
mod client;
mod common;
mod demo;
mod diagnose;
mod fleet;
mod json;
mod knobs;
mod server;
mod trace;
mod verify;

use std::io;
use std::panic::{self, PanicHookInfo};

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
    /// A local CA, certificates it issues (good or deliberately broken), a decoder,
    /// and Encrypted Client Hello keys.
    Cert(cert::CertArgs),
    /// Probe a TLS server and explain every misconfiguration found, with the fix.
    Diagnose(diagnose::DiagnoseArgs),
}

/// Exit status when whoever reads our output stops reading (`ferrotls cert ca | head
/// -1`): 128 + SIGPIPE, what the shell reports for coreutils in the same place.
/// SIGPIPE itself stays ignored (Rust's default), so that a TLS peer closing its
/// socket is an error the commands report, never a silent death.
pub(crate) const EXIT_OUTPUT_CLOSED: i32 = 141;

/// Whether a panic is `print!`/`eprint!` (std's "failed printing to stdout: ...")
/// failing because the reading end of stdout or stderr was closed.
fn is_closed_output(info: &PanicHookInfo<'_>) -> bool {
    let Some(msg) = info.payload_as_str() else {
        return false;
    };
    let Some(error) = msg
        .strip_prefix("failed printing to stdout: ")
        .or_else(|| msg.strip_prefix("failed printing to stderr: "))
    else {
        return false;
    };
    // The io::Error ends with its OS code, "Broken pipe (os error 32)"; the kind of
    // that code is checked rather than the (locale-dependent) text.
    error
        .strip_suffix(')')
        .and_then(|e| e.rsplit_once("(os error "))
        .and_then(|(_, code)| code.parse().ok())
        .is_some_and(|code| io::Error::from_raw_os_error(code).kind() == io::ErrorKind::BrokenPipe)
}

fn main() {
    // Output cut short by its reader ends the process quietly, from any thread (the
    // server prints from its worker threads), instead of a panic per print.
    let default_hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if is_closed_output(info) {
            std::process::exit(EXIT_OUTPUT_CLOSED);
        }
        default_hook(info);
    }));

    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Usage errors, --help and --version, printed as clap would, but with the
        // same quiet end as any other output whose reader went away.
        Err(e) => match e.print() {
            Err(io) if io.kind() == io::ErrorKind::BrokenPipe => {
                std::process::exit(EXIT_OUTPUT_CLOSED)
            }
            _ => std::process::exit(e.exit_code()),
        },
    };
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Client(args) => client::run(args),
        Command::Server(args) => server::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Cert(args) => cert::run(args),
        Command::Diagnose(args) => diagnose::run(args),
    };
    if let Err(e) = result {
        // Errors quote what peers sent (names, protocols, alert texts).
        let shown: Vec<String> = e.to_string().lines().map(common::printable).collect();
        eprintln!("ferrotls: {}", shown.join("\n"));
        std::process::exit(1);
    }
}
