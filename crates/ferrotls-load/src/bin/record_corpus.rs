//! `ferrotls-record-corpus [DIR]`: writes seed corpora for every fuzz target into
//! DIR (default `fuzz/corpus`), from in-memory ferrotls handshakes and, when the
//! `openssl` binary is there, OpenSSL s_client/s_server exchanges through a recording
//! relay. See `ferrotls_load::record`.
//!
//! `ferrotls-record-corpus DIR --scripted-only` writes only the mode-4 seeds of
//! `client` and `server` (the other ferrotls seeds use fresh randomness each run, so
//! re-recording them adds files rather than replacing them).

use std::path::PathBuf;
use std::process::ExitCode;

use ferrotls_load::record::{add_scripted, fixture_dir, record_ferrotls, record_openssl, Corpus};

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("fuzz/corpus"));
    let mut corpus = Corpus::default();
    if std::env::args().any(|a| a == "--scripted-only") {
        add_scripted(&mut corpus);
        return write(&corpus, &dir);
    }
    match record_ferrotls(&mut corpus) {
        Ok(n) => println!("ferrotls: {n} handshakes recorded"),
        Err(e) => {
            eprintln!("ferrotls handshake failed: {e}");
            return ExitCode::FAILURE;
        }
    }
    let n = record_openssl(&mut corpus, &fixture_dir());
    println!("openssl: {n} exchanges recorded");
    write(&corpus, &dir)
}

fn write(corpus: &Corpus, dir: &std::path::Path) -> ExitCode {
    match corpus.write(dir) {
        Ok((files, bytes)) => {
            println!(
                "wrote {files} seeds, {bytes} bytes, under {}",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("writing {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
