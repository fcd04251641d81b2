#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 30) and prints the
# executions per target. Exits non-zero if any target crashed; the crashing input is
# in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]        e.g. scripts/fuzz.sh 30
#   scripts/fuzz.sh --repro TARGET FILE          run one input (a crash, a regression)
#   scripts/fuzz.sh --tmin TARGET FILE           minimize a crashing input
#
# Long run (documented command): an hour per target, two at a time on two cores:
#
#   JOBS=2 scripts/fuzz.sh 3600
#
# Toolchain: only stable Rust is needed. cargo-fuzz passes nightly-only flags
# (-Zsanitizer=address, -Cpasses=sancov-module ...); RUSTC_BOOTSTRAP=1 lets the stable
# compiler accept them, and AddressSanitizer works that way (its runtime ships with the
# standard library). SANITIZER=none builds without ASan (faster, still coverage-guided).
#
# New inputs the fuzzer finds go to fuzz/target/work-corpus/<target>/ (not committed);
# fuzz/corpus/<target>/ holds the committed seeds, recorded from real handshakes by
# `cargo run -p ferrotls-load --bin ferrotls-record-corpus -- fuzz/corpus`.
# A crash found here: minimize it (--tmin), save it under fuzz/regressions/<target>/,
# and `cargo test -p ferrotls-load --test fuzz_regressions` replays it on stable.
#
# Environment: JOBS (targets run at once, default 1), SANITIZER (address | none),
# FUZZ_TARGET_DIR (cargo target dir), FERROTLS_FUZZ_KNOWN (see ferrotls_load::fuzz).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

ALL_TARGETS=(msgs_decode deframer client server x509 heartbeat ech)
SANITIZER="${SANITIZER:-address}"
JOBS="${JOBS:-1}"
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

fuzz_args=(-O -s "$SANITIZER")
if [ -n "${FUZZ_TARGET_DIR:-}" ]; then
  fuzz_args+=(--target-dir "$FUZZ_TARGET_DIR")
fi

case "${1:-}" in
  --repro)
    exec cargo fuzz run "${fuzz_args[@]}" "$2" "$3"
    ;;
  --tmin)
    exec cargo fuzz tmin "${fuzz_args[@]}" "$2" "$3"
    ;;
esac

SECS="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")

echo "== building ${targets[*]} (sanitizer: $SANITIZER)"
cargo fuzz build "${fuzz_args[@]}"

mkdir -p target/fuzz-logs
run_one() {
  local t="$1"
  mkdir -p "target/work-corpus/$t" "corpus/$t" "artifacts/$t"
  cargo fuzz run "${fuzz_args[@]}" "$t" "target/work-corpus/$t" "corpus/$t" -- \
    -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    > "target/fuzz-logs/$t.log" 2>&1
}

failed=()
pids=()
names=()
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${SECS}s"
  run_one "$t" &
  pids+=($!)
  names+=("$t")
  if [ ${#pids[@]} -ge "$JOBS" ]; then
    if ! wait "${pids[0]}"; then failed+=("${names[0]}"); fi
    pids=("${pids[@]:1}")
    names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then failed+=("${names[$i]}"); fi
done

echo
printf '%-12s %14s %10s %8s\n' target executions exec/s corpus
for t in "${targets[@]}"; do
  log="target/fuzz-logs/$t.log"
  execs=$(grep -oE 'stat::number_of_executed_units: +[0-9]+' "$log" | awk '{print $2}' | tail -n1)
  rate=$(grep -oE 'stat::average_exec_per_sec: +[0-9]+' "$log" | awk '{print $2}' | tail -n1)
  corp=$(ls "target/work-corpus/$t" | wc -l)
  printf '%-12s %14s %10s %8s\n' "$t" "${execs:-?}" "${rate:-?}" "$corp"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo
  for t in "${failed[@]}"; do
    echo "CRASH in $t: see fuzz/target/fuzz-logs/$t.log and fuzz/artifacts/$t/"
    grep -m1 -A3 'panicked at' "target/fuzz-logs/$t.log" || true
  done
  exit 1
fi
echo "no crashes"
