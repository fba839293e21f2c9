#!/usr/bin/env bash
# Desktop end-to-end: the real Tauri window (demo mode) under Xvfb in a private D-Bus session,
# driven by tauri-driver + WebKitWebDriver. Screenshots go to test-artifacts/desktop/. The .deb
# is built and checked first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# One build through the Tauri CLI: the same debug binary the window test drives, plus the .deb
# (release builds cost several more minutes on two cores; the bundle is the same shape).
npx tauri build --debug --bundles deb --ci >/dev/null
bash scripts/check-deb.sh
command -v tauri-driver >/dev/null 2>&1 || cargo install -q tauri-driver --version '^2' --locked
data=$(mktemp -d)
export ORCHA_DEMO=1 XDG_DATA_HOME="$data/share" XDG_CONFIG_HOME="$data/config" RUST_LOG=warn
# A throwaway HOME as well: the autostart plugin writes ~/.config/autostart (it ignores
# XDG_CONFIG_HOME), and the test must not leave an entry in the real one.
mkdir -p "$data/home"
HOME="$data/home" exec dbus-run-session -- bash -euo pipefail -c '
  Xvfb :98 -screen 0 1360x900x24 -nolisten tcp >/dev/null 2>&1 & xpid=$!
  export DISPLAY=:98
  tauri-driver --port 4444 --native-driver /usr/bin/WebKitWebDriver >"$1/tauri-driver.log" 2>&1 & dpid=$!
  trap "kill \$dpid \$xpid 2>/dev/null || true" EXIT
  for _ in $(seq 100); do curl -sf http://127.0.0.1:4444/status >/dev/null && break; sleep 0.1; done
  node tests/e2e-desktop/run.mjs "$2/target/debug/depin-orcha"
' _ "$data" "$ROOT"
