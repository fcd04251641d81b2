#!/usr/bin/env bash
# Runs the whole x509-limbo suite through ferrotls' verifier (release build) three times:
#   - with the default policy, the score users get (target/limbo-results.json,
#     target/limbo-score.txt), held to a floor;
#   - with --cabf, which adds the CA/Browser Forum subject-CN rule (BR 7.1.4.3,
#     Policy::require_cn_in_san) (target/limbo-cabf-results.json,
#     target/limbo-cabf-score.txt), printed for comparison, no floor;
#   - with --strict, the strict profile (Policy::strict_rfc5280() with the CN rule)
#     (target/limbo-strict-results.json, target/limbo-strict-score.txt).
# crates/ferrotls/tests/limbo.rs pins which cases each mode gets wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMBO="${LIMBO:-../shared/limbo}"
# Passes with the default policy when this floor was recorded (rustls-webpki 0.103: 9,703).
FLOOR=9746

cargo build --release -p ferrotls --example ferrotls-limbo
harness=./target/release/examples/ferrotls-limbo

# Scores one run. score.py exits 1 whenever any case fails; the floor decides instead.
score() {
  python3 "$LIMBO/score.py" "$LIMBO/limbo.json" "$1" --show-failures "$3" > "$2" || true
  cat "$2"
  python3 - "$LIMBO/limbo.json" "$1" <<'EOF' | tee -a "$2"
import json, sys
expected = {t["id"]: t["expected_result"] for t in json.load(open(sys.argv[1]))["testcases"]}
results = json.load(open(sys.argv[2]))["results"]
def wrong(want, got):
    return sum(1 for r in results if expected.get(r["id"]) == want and r["actual_result"] == got)
print(f"{wrong('FAILURE', 'SUCCESS')} FAILURE-expected case(s) accepted, "
      f"{wrong('SUCCESS', 'FAILURE')} SUCCESS-expected case(s) rejected")
EOF
}

echo "== default policy"
"$harness" < "$LIMBO/limbo.json" > target/limbo-results.json
score target/limbo-results.json target/limbo-score.txt 20

echo
echo "== --cabf (subject CN must copy a SAN); no floor"
"$harness" --cabf < "$LIMBO/limbo.json" > target/limbo-cabf-results.json
score target/limbo-cabf-results.json target/limbo-cabf-score.txt 10

echo
echo "== --strict (Policy::strict_rfc5280() and the subject-CN rule); accepts no FAILURE case"
"$harness" --strict < "$LIMBO/limbo.json" > target/limbo-strict-results.json
score target/limbo-strict-results.json target/limbo-strict-score.txt 10

passed="$(grep -E '^[0-9]+ passed' target/limbo-score.txt | awk '{print $1}')"
if [ -z "$passed" ] || [ "$passed" -lt "$FLOOR" ]; then
  echo "limbo: ${passed:-no} passes with the default policy, below the recorded floor of $FLOOR" >&2
  exit 1
fi
echo
echo "limbo: $passed passes with the default policy (floor $FLOOR)"
