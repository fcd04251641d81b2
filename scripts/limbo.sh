#!/usr/bin/env bash
# Runs the whole x509-limbo suite through ferrotls' verifier (release build),
# writes target/limbo-results.json and prints the score table.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMBO="${LIMBO:-../shared/limbo}"
cargo build --release -p ferrotls --example ferrotls-limbo
./target/release/examples/ferrotls-limbo < "$LIMBO/limbo.json" > target/limbo-results.json
python3 "$LIMBO/score.py" "$LIMBO/limbo.json" target/limbo-results.json --show-failures 20 | tee target/limbo-score.txt
# Fail if fewer cases pass than when this floor was recorded (rustls-webpki 0.103: 9,703).

grep -q " passed, " target/limbo-score.txt
if [ "$(grep -E '^[0-9]+ passed' target/limbo-score.txt | awk '{print $1}')" -lt 9761 ]; then
  echo "limbo: pass count fell below the recorded floor of 9761" >&2
  exit 1
fi
