#!/usr/bin/env bash
# Browser end-to-end: `orcha serve --demo` serves the built UI; headless Chromium (Playwright)
# logs in through the one-time link the server prints, clicks through every screen and saves
# screenshots to test-artifacts/screens/; then a hostile page on another loopback port tries
# to drive the API and is refused (tests/e2e-browser/cross-origin.mjs). A real Prometheus scrapes
# the demo with its token and is the demo's `[fleet] prometheus_url`, so the Fleet screen shows
# a live fleet of one machine read through PromQL. Last, it waits (up to 3 minutes; 96 s measured
# on the demo) for a real forecast of a demo node (a backtest-scored one if it comes soon) and
# checks the Earnings screen's forecast card against the API's answer; the server starts the
# engine as always (ORCHA_ML_COMMAND, else ml-engine/.venv beside the binary, as in CI), and
# without it that check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p orcha-server
data=$(mktemp -d)
out="$data/orcha.out"
# The token goes to the scripts through the environment, never a URL.
ORCHA_API_TOKEN=$(node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))')
export ORCHA_API_TOKEN
prom_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '[orchestrator]\nmachine = "e2e-box"\n\n[fleet]\nprometheus_url = "http://127.0.0.1:%s"\n' "$prom_port" >"$data/config.toml"
XDG_DATA_HOME="$data" RUST_LOG=warn ./target/debug/orcha --config "$data/config.toml" serve --demo --port 0 --ui-dir dist >"$out" 2>"$data/orcha.err" &
pid=$!
prom_pid=
trap 'kill "$pid" $prom_pid 2>/dev/null || true; wait "$pid" $prom_pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  grep -q '^login: ' "$out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$out" | head -1)
login=$(sed -n 's/^login: //p' "$out" | head -1)
[ -n "$url" ] && [ -n "$login" ] || { echo "orcha serve --demo did not start:"; cat "$data/orcha.err"; exit 1; }
cat >"$data/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: orcha
    authorization:
      credentials: $ORCHA_API_TOKEN
    static_configs:
      - targets: ["${url#http://}"]
YAML
prometheus --config.file="$data/prometheus.yml" --storage.tsdb.path="$data/prom" \
  --web.listen-address="127.0.0.1:$prom_port" >/dev/null 2>&1 &
prom_pid=$!
# Let the pollers deliver a first reading of every simulated node (and Prometheus scrape them).
sleep 8
status=0
ORCHA_URL="$url" ORCHA_LOGIN_URL="$login" node tests/e2e-browser/run.mjs || status=1
ORCHA_URL="$url" node tests/e2e-browser/cross-origin.mjs || status=1
exit "$status"
