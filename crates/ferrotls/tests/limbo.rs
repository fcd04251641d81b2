//! x509-limbo: the whole suite (9,780 cases) in every test run, with a floor on the
//! pass count, and a sample with a cap on failures that names them when it breaks.
//! scripts/limbo.sh runs the release harness and scores it with score.py.

#[path = "../examples/ferrotls-limbo.rs"]
mod harness;

use serde_json::Value;

const LIMBO: &str = "../../../shared/limbo/limbo.json";
/// Passes on the full suite when this was recorded (rustls-webpki 0.103: 9,703).
const FULL_FLOOR: usize = 9_761;

fn load() -> Option<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(LIMBO);
    let text = std::fs::read_to_string(&path).ok()?;
    serde_json::from_str(&text).ok()
}

fn score<'a>(cases: impl Iterator<Item = &'a Value>) -> (usize, usize, usize, Vec<String>) {
    let (mut pass, mut fail, mut skip, mut failures) = (0, 0, 0, Vec::new());
    for case in cases {
        let (actual, context) = harness::run_case(case);
        let expected = case["expected_result"].as_str().unwrap_or_default();
        if actual == "SKIPPED" {
            skip += 1;
        } else if actual == expected {
            pass += 1;
        } else {
            fail += 1;
            failures.push(format!("{} expected {expected}: {context}", case["id"]));
        }
    }
    (pass, fail, skip, failures)
}

/// Every non-BetterTLS case plus every 10th BetterTLS case (about 1,150 cases).
#[test]
fn limbo_sample_does_not_regress() {
    let Some(limbo) = load() else {
        eprintln!("limbo.json not found next to the workspace; skipping");
        return;
    };
    let cases = limbo["testcases"].as_array().expect("testcases");
    let sample = cases.iter().enumerate().filter_map(|(i, c)| {
        let better = c["id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("bettertls::");
        (!better || i % 10 == 0).then_some(c)
    });
    let (pass, fail, skip, failures) = score(sample);
    // Known failures: the nine webpki::cn::* cases (CN never used, so never checked).
    assert!(
        fail <= 10,
        "{pass} passed, {fail} failed, {skip} skipped:\n{}",
        failures.join("\n")
    );
}

/// The whole suite takes a few seconds even in debug builds.
#[test]
fn limbo_full_suite_meets_floor() {
    let Some(limbo) = load() else {
        eprintln!("limbo.json not found next to the workspace; skipping");
        return;
    };
    let (pass, fail, skip, failures) =
        score(limbo["testcases"].as_array().expect("testcases").iter());
    println!("{pass} passed, {fail} failed, {skip} skipped");
    assert!(
        pass >= FULL_FLOOR,
        "{pass} < floor {FULL_FLOOR}:\n{}",
        failures.join("\n")
    );
}
