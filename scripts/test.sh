#!/usr/bin/env bash
# Runs the whole DePIN Orcha test suite on a fresh Debian/Ubuntu machine: installs what is
# missing, then lints, unit and integration tests (Rust, UI, ML engine) and end-to-end tests.
# Every stage runs even when an earlier one failed; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

export CARGO_TERM_COLOR=never
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=0
fi

passed=0
failed=0
failures=()
stage() {
  local name=$1
  shift
  echo
  echo "==> [$name] $*"
  local t0=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "<== [$name] ok ($((SECONDS - t0)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "<== [$name] FAILED ($((SECONDS - t0)) s)"
  fi
}

# Runs a command inside a private D-Bus session with an unlocked gnome-keyring, the Secret
# Service backend desktop Linux users have, with a throwaway HOME so nothing leaks out.
in_keyring_session() {
  local home
  home=$(mktemp -d)
  CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" HOME="$home" \
    dbus-run-session -- bash -c 'echo -n ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null && "$@"' _ "$@"
}

stage "system packages" install_system_packages
stage "toolchains" install_toolchains
stage "npm ci" npm ci --no-audit --no-fund
# The Rust tests start the real ML engine as a sidecar, so its venv comes first.
stage "ml-engine install" bash ml-engine/scripts/install.sh
# The real yagna daemon the Golem adapter is tested against (tests/real_yagna.rs).
stage "golem-node install" install_yagna
stage "ui lint" npm run lint
stage "ui unit tests" npm test
stage "ui build" npm run build
stage "rust format" cargo fmt --all --check
# No source file over 700 lines, no import circle of more than three files in any crate.
stage "structure" python3 scripts/check-structure.py
stage "rust lint" cargo clippy --workspace --all-targets -- -D warnings
trap stop_dockerd EXIT
start_dockerd
stage "rust tests" in_keyring_session cargo test --workspace --no-fail-fast
# The orchestrator's container on a base image made here (debootstrap + docker import), host
# networking only; skipped with a reason when no Docker Engine runs.
stage "container" bash deploy/smoke-test.sh
stop_dockerd
stage "ml-engine tests" bash ml-engine/scripts/test.sh
stage "browser e2e" bash scripts/e2e-browser.sh
# The headless .deb (no WebKit): built from the debug binary, checked and installed into a scratch root.
stage "headless package" bash scripts/check-headless-deb.sh
stage "desktop e2e" bash scripts/e2e-desktop.sh

echo
if [ "$failed" -gt 0 ]; then
  echo "failed stages: ${failures[*]}"
fi
echo "stages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
