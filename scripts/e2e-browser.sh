#!/usr/bin/env bash
# Browser end-to-end: `orcha serve --demo` serves the built UI; headless Chromium (Playwright)
# logs in through the one-time link the server prints, clicks through every screen and saves
# screenshots to test-artifacts/screens/; then a hostile page on another loopback port tries
# to drive the API and is refused (tests/e2e-browser/cross-origin.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p orcha-server
data=$(mktemp -d)
out="$data/orcha.out"
# The token goes to the scripts through the environment, never a URL.
ORCHA_API_TOKEN=$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))')
export ORCHA_API_TOKEN
XDG_DATA_HOME="$data" RUST_LOG=warn ./target/debug/orcha --config /dev/null serve --demo --port 0 --ui-dir dist >"$out" 2>"$data/orcha.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  grep -q '^login: ' "$out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$out" | head -1)
login=$(sed -n 's/^login: //p' "$out" | head -1)
[ -n "$url" ] && [ -n "$login" ] || { echo "orcha serve --demo did not start:"; cat "$data/orcha.err"; exit 1; }
# Let the pollers deliver a first reading of every simulated node.
sleep 8
status=0
ORCHA_URL="$url" ORCHA_LOGIN_URL="$login" node tests/e2e-browser/run.mjs || status=1
ORCHA_URL="$url" node tests/e2e-browser/cross-origin.mjs || status=1
exit "$status"
