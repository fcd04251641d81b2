//! Output whose reader goes away (`ferrotls cert ca | head -1`): the process ends
//! quietly with 141, as coreutils do in a shell, instead of panicking.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::util::{tmpdir, Run, BIN};

/// What 141 stands for: 128 + SIGPIPE.
const OUTPUT_CLOSED: i32 = 141;

fn command(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .current_dir(dir)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .env_remove("SSLKEYLOGFILE")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn finish(mut child: Child) -> Run {
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr,
    }
}

/// Runs `ferrotls ARGS` with stdout a pipe whose reading end is already closed, so
/// the first write to it fails.
fn into_closed_pipe(dir: &Path, args: &[&str]) -> Run {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = command(dir, args);
    cmd.stdout(writer);
    let child = cmd.spawn().unwrap();
    // The command holds the only copy of the writing end now.
    drop(cmd);
    finish(child)
}

fn assert_quiet(what: &str, r: &Run) {
    assert_eq!(r.stderr, "", "{what}: nothing on stderr");
    assert_eq!(r.code, OUTPUT_CLOSED, "{what}");
}

#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    let d = tmpdir("pipe-closed");
    assert_quiet("cert ca", &into_closed_pipe(&d, &["cert", "ca"]));
    assert!(d.join("ferrotls-ca.pem").exists(), "the CA was made first");
    assert_quiet("--help", &into_closed_pipe(&d, &["cert", "--help"]));
    assert_quiet("--version", &into_closed_pipe(&d, &["--version"]));
}

#[test]
fn a_reader_that_stops_after_one_line_ends_the_command_quietly() {
    let d = tmpdir("pipe-head");
    let r = into_closed_pipe(&d, &["cert", "ca"]);
    assert_eq!(r.code, OUTPUT_CLOSED, "{}", r.stderr);
    // More output than a pipe buffers (64 KiB on Linux): 300 certificates to show.
    let ca = std::fs::read_to_string(d.join("ferrotls-ca.pem")).unwrap();
    std::fs::write(d.join("many.pem"), ca.repeat(300)).unwrap();

    let mut child = command(&d, &["cert", "show", "many.pem"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("certificate 1 of 300"), "{first}");
    // The reader is dropped here, like `head -1` exiting.
    let r = finish(child);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert_quiet("cert show | head -1", &r);
}

#[test]
fn client_whose_output_reader_went_away_ends_quietly() {
    let d = tmpdir("pipe-client");
    let server = crate::util::Server::start(&d, &["--dev"]);
    let ca = d.join("dev/ferrotls-ca.pem");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let target = server.target();
    let mut cmd = command(&d, &["client", &target, "--cafile", ca.to_str().unwrap()]);
    cmd.stdout(writer).stdin(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    // The echo server sends this back; writing it to stdout is what fails.
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"hello\n").unwrap();
    drop(child.stdin.take());
    let r = finish(child);
    assert_eq!(r.code, OUTPUT_CLOSED, "{}", r.stderr);
    assert!(
        !r.stderr.contains("ferrotls:"),
        "no error line: {}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    // The client closed the connection properly on its way out.
    server.wait_for(1, |l| l.contains(": echoed 6 bytes, closed"));
}

#[test]
fn client_whose_output_cannot_be_written_says_why() {
    let d = tmpdir("full-client");
    let server = crate::util::Server::start(&d, &["--dev"]);
    let ca = d.join("dev/ferrotls-ca.pem");
    let target = server.target();
    let mut cmd = command(&d, &["client", &target, "--cafile", ca.to_str().unwrap()]);
    // Every write to /dev/full fails with ENOSPC.
    cmd.stdout(std::fs::File::create("/dev/full").unwrap())
        .stdin(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"hello\n").unwrap();
    drop(child.stdin.take());
    let r = finish(child);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        r.stderr.lines().last().unwrap_or_default(),
        "ferrotls: cannot write the server's data to standard output: No space left on device (os error 28)"
    );
}
