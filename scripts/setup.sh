#!/usr/bin/env bash
# Installs everything DePIN Orcha needs on a fresh Debian/Ubuntu machine, builds it and runs it:
# the desktop window when a display is present, otherwise `orcha serve` with its URL printed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

install_system_packages
install_toolchains
install_project_deps

echo "==> building the web UI"
npm run build
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -d src-tauri ]; then
  echo "==> building the desktop app"
  npx tauri build --no-bundle
  exec ./target/release/depin-orcha
fi
echo "==> building the headless server"
cargo build --release -p orcha-server
echo "==> no display: starting the headless server (Ctrl-C to stop)"
exec ./target/release/orcha serve --ui-dir dist "$@"
