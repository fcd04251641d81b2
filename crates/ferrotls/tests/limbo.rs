//! x509-limbo: the whole suite (9,780 cases) in every test run, with a floor on the
//! pass count and the exact set of cases we knowingly get wrong, and a sample with a
//! cap on failures that names them when it breaks. The `--cabf` mode (the subject-CN
//! rule, `Policy::require_cn_in_san`) and the strict profile (`Policy::strict_rfc5280()`)
//! must accept nothing limbo expects to fail.
//! scripts/limbo.sh runs the release harness in both modes and scores it with score.py.

#[path = "../examples/ferrotls-limbo.rs"]
mod harness;

use harness::Mode;
use serde_json::Value;

/// The suite beside the workspace, where this machine keeps it.
const LIMBO: &str = "../../../shared/limbo/limbo.json";
/// The same file, xz-compressed, in the repository (SHA-256 of the JSON:
/// 3a6c75e783dde527e02b33eab10d520898344091d9f5fa3f41e253d83bd5a2bb), so that a
/// clean clone on a fresh machine runs the whole suite too. x509-limbo is
/// Apache-2.0 (github.com/C2SP/x509-limbo).
const LIMBO_XZ: &str = "tests/data/limbo.json.xz";
/// Passes on the full suite with the default policy when this was recorded
/// (rustls-webpki 0.103: 9,703).
const FULL_FLOOR: usize = 9_746;

/// FAILURE-expected cases the default policy accepts, each with why. Measured here
/// for rustls-webpki 0.103, `openssl verify` (3.0, without -x509_strict) and Go 1.19's
/// crypto/x509 (which accepts every one of them) by running the cases through each;
/// the browsers' behaviour is from their verifiers'
/// code (Chrome's net/cert/pki, Firefox's mozilla::pkix, Go's crypto/x509), none of
/// which enforces these encoding rules. `Policy::strict_rfc5280()` rejects them all.
const ACCEPTED_BY_DEFAULT: &[(&str, &str)] = &[
    // CA/Browser Forum BR 7.1.4.3 (subject CN copied from a SAN) is opt-in
    // (`Policy::require_cn_in_san`): 389 BetterTLS leaves that limbo expects to
    // verify carry a CN that is no SAN. The CN is never used for matching.
    ("webpki::cn::ipv4-hex-mismatch", "CN rule; webpki accepts"),
    (
        "webpki::cn::ipv4-leading-zeros-mismatch",
        "CN rule; webpki accepts",
    ),
    (
        "webpki::cn::ipv6-uppercase-mismatch",
        "CN rule; webpki accepts",
    ),
    (
        "webpki::cn::ipv6-uncompressed-mismatch",
        "CN rule; webpki accepts",
    ),
    (
        "webpki::cn::ipv6-non-rfc5952-mismatch",
        "CN rule; webpki accepts",
    ),
    ("webpki::cn::punycode-not-in-san", "CN rule; webpki accepts"),
    (
        "webpki::cn::utf8-vs-punycode-mismatch",
        "CN rule; webpki accepts",
    ),
    ("webpki::cn::not-in-san", "CN rule; webpki accepts"),
    ("webpki::cn::case-mismatch", "CN rule; webpki accepts"),
    // Key identifiers: no browser requires them or checks their form; path
    // building only uses them as hints.
    (
        "rfc5280::aki::leaf-missing-aki",
        "webpki, OpenSSL, Chrome, Firefox, Go accept",
    ),
    (
        "rfc5280::aki::intermediate-missing-aki",
        "webpki, OpenSSL, Chrome, Firefox, Go accept",
    ),
    (
        "rfc5280::ski::root-missing-ski",
        "webpki, OpenSSL, Chrome, Firefox, Go accept",
    ),
    (
        "rfc5280::ski::intermediate-missing-ski",
        "webpki, OpenSSL, Chrome, Firefox, Go accept",
    ),
    (
        "rfc5280::aki::critical-aki",
        "webpki accepts; OpenSSL refuses (unhandled critical extension)",
    ),
    (
        "rfc5280::ski::critical-ski",
        "webpki accepts; OpenSSL refuses (its issuer lookup fails)",
    ),
    (
        "webpki::aki::root-with-aki-missing-keyidentifier",
        "webpki and OpenSSL accept",
    ),
    (
        "webpki::aki::root-with-aki-authoritycertissuer",
        "webpki accepts; OpenSSL's AKI issuer match fails",
    ),
    (
        "webpki::aki::root-with-aki-authoritycertserialnumber",
        "webpki accepts; OpenSSL's AKI issuer match fails",
    ),
    (
        "webpki::aki::root-with-aki-all-fields",
        "webpki accepts; OpenSSL's AKI issuer match fails",
    ),
    (
        "webpki::aki::root-with-aki-ski-mismatch",
        "webpki accepts; OpenSSL's AKI issuer match fails",
    ),
    // Criticality of basicConstraints and subjectAltName.
    (
        "rfc5280::root-non-critical-basic-constraints",
        "webpki and OpenSSL accept",
    ),
    (
        "rfc5280::san::noncritical-with-empty-subject",
        "webpki and OpenSSL accept",
    ),
    (
        "webpki::san::san-critical-with-nonempty-subject",
        "webpki and OpenSSL (also -x509_strict) accept",
    ),
];

/// SUCCESS-expected cases the default policy rejects: both have a CA certificate
/// (cA=TRUE) as the leaf, which RFC 5280 allows and the Web PKI (CA/Browser Forum BR
/// 7.1.2.7.8, Firefox, rustls-webpki) refuses. rfc5280::ca-as-leaf is the declared
/// conflict of webpki::ca-as-leaf; the pathlen case relies on the same allowance.
const REJECTED_BY_DEFAULT: &[&str] = &[
    "pathlen::validation-ignores-pathlen-in-leaf",
    "rfc5280::ca-as-leaf",
];

/// The suite, read once: `FERROTLS_LIMBO` if set, else the copy beside the
/// workspace, else the repository's compressed copy (decompressed with Python's
/// lzma module, which every machine here has).
fn load() -> Option<&'static Value> {
    static SUITE: std::sync::OnceLock<Option<Value>> = std::sync::OnceLock::new();
    SUITE
        .get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            let plain = std::env::var_os("FERROTLS_LIMBO")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| dir.join(LIMBO));
            let text = match std::fs::read(&plain) {
                Ok(t) => t,
                Err(_) => {
                    let out = std::process::Command::new("python3")
                        .args([
                            "-c",
                            "import lzma, sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())",
                        ])
                        .arg(dir.join(LIMBO_XZ))
                        .output()
                        .ok()?;
                    if !out.status.success() {
                        return None;
                    }
                    out.stdout
                }
            };
            serde_json::from_slice(&text).ok()
        })
        .as_ref()
}

/// One case's outcome where it differs from what limbo expects.
struct Miss {
    id: String,
    expected: String,
    context: String,
}

struct Score {
    pass: usize,
    fail: usize,
    skip: usize,
    misses: Vec<Miss>,
}

impl Score {
    fn listing(&self) -> String {
        self.misses
            .iter()
            .map(|m| format!("{} expected {}: {}", m.id, m.expected, m.context))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Ids of the cases limbo expects to end as `expected` that ended otherwise.
    fn missed(&self, expected: &str) -> Vec<&str> {
        let mut ids: Vec<&str> = self
            .misses
            .iter()
            .filter(|m| m.expected == expected)
            .map(|m| m.id.as_str())
            .collect();
        ids.sort_unstable();
        ids
    }
}

fn score<'a>(cases: impl Iterator<Item = &'a Value>, mode: Mode) -> Score {
    let mut s = Score {
        pass: 0,
        fail: 0,
        skip: 0,
        misses: Vec::new(),
    };
    for case in cases {
        let (actual, context) = harness::run_case(case, mode);
        let expected = case["expected_result"].as_str().unwrap_or_default();
        if actual == "SKIPPED" {
            s.skip += 1;
        } else if actual == expected {
            s.pass += 1;
        } else {
            s.fail += 1;
            s.misses.push(Miss {
                id: case["id"].as_str().unwrap_or_default().to_string(),
                expected: expected.to_string(),
                context,
            });
        }
    }
    s
}

fn sorted(ids: &[&'static str]) -> Vec<&'static str> {
    let mut v = ids.to_vec();
    v.sort_unstable();
    v
}

/// Every non-BetterTLS case plus every 10th BetterTLS case (about 1,150 cases).
#[test]
fn limbo_sample_does_not_regress() {
    let Some(limbo) = load() else {
        panic!("x509-limbo not found: neither {LIMBO} nor {LIMBO_XZ} could be read");
    };
    let cases = limbo["testcases"].as_array().expect("testcases");
    let sample = cases.iter().enumerate().filter_map(|(i, c)| {
        let better = c["id"]
            .as_str()
            .unwrap_or_default()
            .starts_with("bettertls::");
        (!better || i % 10 == 0).then_some(c)
    });
    let s = score(sample, Mode::Default);
    // Known failures: ACCEPTED_BY_DEFAULT and REJECTED_BY_DEFAULT, none of them BetterTLS.
    assert!(
        s.fail <= ACCEPTED_BY_DEFAULT.len() + REJECTED_BY_DEFAULT.len(),
        "{} passed, {} failed, {} skipped:\n{}",
        s.pass,
        s.fail,
        s.skip,
        s.listing()
    );
}

/// The whole suite takes a few seconds even in debug builds.
#[test]
fn limbo_full_suite_meets_floor() {
    let Some(limbo) = load() else {
        panic!("x509-limbo not found: neither {LIMBO} nor {LIMBO_XZ} could be read");
    };
    let s = score(
        limbo["testcases"].as_array().expect("testcases").iter(),
        Mode::Default,
    );
    println!("{} passed, {} failed, {} skipped", s.pass, s.fail, s.skip);
    assert!(
        s.pass >= FULL_FLOOR,
        "{} < floor {FULL_FLOOR}:\n{}",
        s.pass,
        s.listing()
    );
    // Exactly the known misses: accepting anything else limbo expects to fail, or
    // rejecting anything else it expects to pass, is a regression.
    let accepted: Vec<&str> = ACCEPTED_BY_DEFAULT.iter().map(|(id, _)| *id).collect();
    assert_eq!(s.missed("FAILURE"), sorted(&accepted), "{}", s.listing());
    assert_eq!(
        s.missed("SUCCESS"),
        sorted(REJECTED_BY_DEFAULT),
        "{}",
        s.listing()
    );
}

/// With the CN rule on, no CN case limbo expects to fail is accepted; what it expects
/// to pass and is rejected is the CA-leaf pair above, or a CN that is no SAN.
#[test]
fn limbo_cabf_mode_accepts_no_failure_case() {
    let Some(limbo) = load() else {
        panic!("x509-limbo not found: neither {LIMBO} nor {LIMBO_XZ} could be read");
    };
    let s = score(
        limbo["testcases"].as_array().expect("testcases").iter(),
        Mode::Cabf,
    );
    println!(
        "--cabf: {} passed, {} failed, {} skipped",
        s.pass, s.fail, s.skip
    );
    // What it still accepts is the default's list without the CN cases (one of
    // those has a CN that is no SAN, so the CN rule refuses it).
    let encodings: Vec<&str> = ACCEPTED_BY_DEFAULT
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !id.starts_with("webpki::cn::"))
        .collect();
    let accepted = s.missed("FAILURE");
    assert!(accepted.len() >= encodings.len() - 1, "{}", s.listing());
    assert!(
        accepted.iter().all(|id| encodings.contains(id)),
        "{}",
        s.listing()
    );
    let unexplained: Vec<String> = s
        .misses
        .iter()
        .filter(|m| {
            m.expected == "SUCCESS"
                && !REJECTED_BY_DEFAULT.contains(&m.id.as_str())
                && !m
                    .context
                    .contains("which is not a character-for-character copy")
        })
        .map(|m| format!("{} expected {}: {}", m.id, m.expected, m.context))
        .collect();
    assert!(unexplained.is_empty(), "{}", unexplained.join("\n"));
}

/// The strict profile accepts nothing limbo expects to fail; what it rejects beyond
/// the default's CA-leaf pair is a CN that is no SAN.
#[test]
fn limbo_strict_mode_accepts_no_failure_case() {
    let Some(limbo) = load() else {
        panic!("x509-limbo not found: neither {LIMBO} nor {LIMBO_XZ} could be read");
    };
    let s = score(
        limbo["testcases"].as_array().expect("testcases").iter(),
        Mode::Strict,
    );
    println!(
        "--strict: {} passed, {} failed, {} skipped",
        s.pass, s.fail, s.skip
    );
    assert!(s.pass > 9_000, "{}", s.listing());
    assert_eq!(s.missed("FAILURE"), Vec::<&str>::new(), "{}", s.listing());
    let unexplained: Vec<String> = s
        .misses
        .iter()
        .filter(|m| {
            !REJECTED_BY_DEFAULT.contains(&m.id.as_str())
                && !m
                    .context
                    .contains("which is not a character-for-character copy")
        })
        .map(|m| format!("{} expected {}: {}", m.id, m.expected, m.context))
        .collect();
    assert!(unexplained.is_empty(), "{}", unexplained.join("\n"));
}
