#!/usr/bin/env bash
# Lint, type-check, check the committed OpenAPI document and run the test suite.
# Assumes scripts/install.sh has run. Exits non-zero on the first failure.
set -euo pipefail

cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ ! -x "$BIN/python" ]; then
    echo "test.sh: $BIN/python not found; run scripts/install.sh first" >&2
    exit 1
fi

echo "== ruff check"
"$BIN/ruff" check src tests scripts
echo "== ruff format --check"
"$BIN/ruff" format --check src tests scripts
echo "== mypy (strict, src/)"
"$BIN/mypy"

echo "== openapi.json drift"
generated=$(mktemp)
trap 'rm -f "$generated"' EXIT
"$BIN/orcha-ml" openapi --output "$generated"
if ! cmp -s openapi.json "$generated"; then
    echo "test.sh: ml-engine/openapi.json differs from the app's generated OpenAPI." >&2
    diff -u openapi.json "$generated" | head -60 >&2 || true
    echo "Regenerate it with: (cd ml-engine && .venv/bin/orcha-ml openapi --output openapi.json)" >&2
    exit 1
fi

echo "== pytest"
"$BIN/pytest" -q "$@"
