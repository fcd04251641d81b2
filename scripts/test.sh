#!/usr/bin/env bash
# Installs what the tests need and runs every test: formatting, lints, unit, API,
# known-answer, hostile-input and interop tests (OpenSSL, curl, Python's ssl, rustls).
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
missing=()
need openssl || missing+=(openssl)
need curl || missing+=(curl)
need python3 || missing+=(python3)
# The browser test drives Debian's headless Chromium against `ferrotls server --www`;
# the key-log test captures loopback with tshark and decrypts it.
[ -x /usr/bin/chromium ] || missing+=(chromium)
need tshark || missing+=(tshark)
# The fleet tests of ferrotls-redis start Debian's redis-server on a free port.
need redis-server || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  if need sudo; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Python's cryptography package makes the private-CA chain of the defaults tests
# (certificates without key identifiers, as its builder makes them).
python3 -c "import cryptography" 2>/dev/null || python3 -m pip install -q cryptography
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# A clean run builds everything once: incremental state would only take disk.
export CARGO_INCREMENTAL=0
echo "== disk: $(df -h . | awk 'NR==2 {print $4 " free of " $2}')"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "== cargo doc (public API docs without broken links)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --no-deps -p ferrotls -p ferrotls-tokio
echo "== cargo test"
cargo test --workspace
echo "== demo"
cargo run --quiet -p ferrotls-cli --bin ferrotls -- demo > target/demo.log
grep -q "version:          TLSv1.3" target/demo.log
echo "== fuzz (each target briefly; the long run: JOBS=2 scripts/fuzz.sh 3600)"
SANITIZER=none scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
echo "all tests passed"
