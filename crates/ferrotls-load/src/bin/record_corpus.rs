//! `ferrotls-record-corpus [DIR]`: writes seed corpora for every fuzz target into
//! DIR (default `fuzz/corpus`), from in-memory ferrotls handshakes and, when the
//! `openssl` binary is there, OpenSSL s_client/s_server exchanges through a recording
//! relay. See `ferrotls_load::record`.

use std::path::PathBuf;
use std::process::ExitCode;

use ferrotls_load::record::{fixture_dir, record_ferrotls, record_openssl, Corpus};

fn main() -> ExitCode {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("fuzz/corpus"));
    let mut corpus = Corpus::default();
    match record_ferrotls(&mut corpus) {
        Ok(n) => println!("ferrotls: {n} handshakes recorded"),
        Err(e) => {
            eprintln!("ferrotls handshake failed: {e}");
            return ExitCode::FAILURE;
        }
    }
    let n = record_openssl(&mut corpus, &fixture_dir());
    println!("openssl: {n} exchanges recorded");
    match corpus.write(&dir) {
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
