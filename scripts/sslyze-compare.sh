#!/usr/bin/env bash
# Compare `ferrotls diagnose` with sslyze on a zoo of broken local servers (issue #7).
# Not a CI test: it prints a Markdown table for the closing note.
#
#   scripts/sslyze-compare.sh            # builds the CLI, installs sslyze in a venv
#   FERROTLS=path/to/ferrotls scripts/sslyze-compare.sh
#
# Needs openssl (s_server) and python3 with venv; PyPI for sslyze.
set -euo pipefail
cd "$(dirname "$0")/.."

SSLYZE_VERSION=6.1.0
VENV=${SSLYZE_VENV:-${TMPDIR:-/tmp}/ferrotls-sslyze-venv}

if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -m sslyze --help 2>/dev/null | grep -q "SSLyze version $SSLYZE_VERSION"; then
    "$VENV/bin/pip" install --quiet "sslyze==$SSLYZE_VERSION"
fi

if [[ -z "${FERROTLS:-}" ]]; then
    cargo build --quiet -p ferrotls-cli
    FERROTLS=target/debug/ferrotls
fi

# RC4 and 3DES servers need an OpenSSL that still has those suites.
for suite in DES-CBC3-SHA RC4-SHA; do
    if ! openssl ciphers -v "$suite:@SECLEVEL=0" >/dev/null 2>&1; then
        echo "note: $(openssl version | cut -d' ' -f1-2) has no $suite even at SECLEVEL=0; that zoo case is skipped" >&2
    fi
done

FERROTLS=$(realpath "$FERROTLS") PYTHON="$VENV/bin/python" exec "$VENV/bin/python" scripts/sslyze_compare.py
