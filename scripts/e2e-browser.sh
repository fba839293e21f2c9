#!/usr/bin/env bash
# Browser end-to-end: `orcha serve --demo` serves the built UI; headless Chromium (Playwright)
# clicks through every screen and saves screenshots to test-artifacts/screens/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p orcha-server
data=$(mktemp -d)
out="$data/orcha.out"
XDG_DATA_HOME="$data" RUST_LOG=warn ./target/debug/orcha --config /dev/null serve --demo --port 0 --ui-dir dist >"$out" 2>"$data/orcha.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$out" | head -1)
[ -n "$url" ] || { echo "orcha serve --demo did not start:"; cat "$data/orcha.err"; exit 1; }
# Let the pollers deliver a first reading of every simulated node.
sleep 8
ORCHA_URL="$url" node tests/e2e-browser/run.mjs
