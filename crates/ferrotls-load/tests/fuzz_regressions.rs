//! Replays every saved fuzz input through the same harness code the cargo-fuzz targets
//! run (`ferrotls_load::fuzz`), on stable Rust, so a fixed crash stays fixed:
//!
//! - `fuzz/regressions/<target>/*`: minimized reproducers of crashes found so far;
//! - `fuzz/corpus/<target>/*`: the committed seed corpus (real handshakes), which must
//!   never crash either.
//!
//! A failure names the file; reproduce it with
//! `cargo test -p ferrotls-load --test fuzz_regressions` or, with cargo-fuzz,
//! `scripts/fuzz.sh --repro <target> <file>`.

use std::path::{Path, PathBuf};

use ferrotls_load::fuzz::{run, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Runs every file under `dir/<target>/`; returns how many ran. Panics at the end,
/// naming every input that crashed.
fn replay(dir: &Path) -> usize {
    let mut count = 0;
    let mut crashed: Vec<String> = Vec::new();
    let Ok(targets) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut targets: Vec<_> = targets.flatten().map(|e| e.path()).collect();
    targets.sort();
    for target_dir in targets {
        let target = target_dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !target_dir.is_dir() {
            continue;
        }
        assert!(
            TARGETS.contains(&target.as_str()),
            "{} is not a fuzz target (one of {TARGETS:?})",
            target_dir.display()
        );
        let mut files: Vec<_> = std::fs::read_dir(&target_dir)
            .expect("readable directory")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("readable file");
            if std::panic::catch_unwind(|| run(&target, &data)).is_err() {
                crashed.push(format!("{target} panics on {}", file.display()));
            }
            count += 1;
        }
    }
    assert!(crashed.is_empty(), "{}", crashed.join("\n"));
    count
}

#[test]
fn saved_reproducers_no_longer_crash() {
    let n = replay(&fuzz_dir().join("regressions"));
    println!("replayed {n} reproducers");
}

#[test]
fn seed_corpus_does_not_crash() {
    let dir = std::env::var_os("FERROTLS_FUZZ_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| fuzz_dir().join("corpus"));
    let n = replay(&dir);
    println!("replayed {n} corpus inputs from {}", dir.display());
    assert!(n > 0, "no corpus under {}", dir.display());
}

/// Every harness in `TARGETS` is a cargo-fuzz binary, runs in `scripts/fuzz.sh`, and
/// has seeds, so a new target cannot be left out of CI or the replay above.
#[test]
fn every_target_is_built_run_and_seeded() {
    let dir = fuzz_dir();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let script = std::fs::read_to_string(dir.join("../scripts/fuzz.sh")).expect("fuzz.sh");
    let all_targets = script
        .lines()
        .find(|l| l.starts_with("ALL_TARGETS=("))
        .expect("ALL_TARGETS in scripts/fuzz.sh");
    for target in TARGETS {
        assert!(
            dir.join(format!("fuzz_targets/{target}.rs")).is_file(),
            "no fuzz/fuzz_targets/{target}.rs"
        );
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "no [[bin]] {target} in fuzz/Cargo.toml"
        );
        assert!(
            all_targets
                .trim_start_matches("ALL_TARGETS=(")
                .trim_end_matches(')')
                .split_whitespace()
                .any(|t| t == *target),
            "{target} is missing from ALL_TARGETS in scripts/fuzz.sh"
        );
        let seeds = std::fs::read_dir(dir.join("corpus").join(target)).map_or(0, |d| d.count());
        assert!(seeds > 0, "no seeds in fuzz/corpus/{target}");
    }
}
