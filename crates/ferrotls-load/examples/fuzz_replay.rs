//! `cargo run -p ferrotls-load --example fuzz_replay -- TARGET FILE...`: runs fuzz
//! inputs through the harness outside cargo-fuzz (set FERROTLS_FUZZ_DEBUG=1 to see
//! how far each one gets).

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().unwrap_or_default();
    for file in args {
        let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        eprintln!("{target} {file}");
        assert!(
            ferrotls_load::fuzz::run(&target, &data),
            "unknown target {target}"
        );
    }
}
