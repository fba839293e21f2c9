# Shared by scripts/setup.sh and scripts/test.sh: installs what DePIN Orcha needs on Debian/Ubuntu.
# shellcheck shell=bash

# Debian packages: Tauri 2 build deps, headless run/test deps (Xvfb, WebDriver, keyring, browser),
# Prometheus (promtool and a real server for the metrics tests), iproute2 (tc, netns).
ORCHA_APT_PACKAGES=(
  build-essential pkg-config curl wget file libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev
  xvfb xauth webkit2gtk-driver imagemagick x11-utils dbus dbus-x11 gnome-keyring libsecret-tools keyutils
  fonts-dejavu-core chromium chromium-driver prometheus iproute2 python3-venv
  docker.io busybox-static debootstrap systemd
)

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_system_packages() {
  local missing=()
  for p in "${ORCHA_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
  # The Prometheus package starts a daemon on :9090 on install; the tests start their own.
  as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
  # Docker's package may start its daemon with a bridge; the tests start their own without one.
  as_root systemctl disable --now docker.socket docker >/dev/null 2>&1 || true
}

install_toolchains() {
  if ! command -v cargo >/dev/null 2>&1; then
    echo "==> installing Rust with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
  fi
  if ! command -v node >/dev/null 2>&1; then
    echo "==> installing Node.js and npm"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
  fi
}

install_project_deps() {
  echo "==> npm ci"
  npm ci --no-audit --no-fund
  echo "==> ML engine venv"
  bash ml-engine/scripts/install.sh
  echo "==> cargo fetch"
  cargo fetch
}

# The real Golem daemon for the adapter tests: yagna from the pinned `golem-node` wheel on PyPI,
# in its own venv under .cache (kept between runs). Exports ORCHA_YAGNA_BIN for the tests.
GOLEM_NODE_VERSION=0.17.6
install_yagna() {
  local venv="$PWD/.cache/golem-node-$GOLEM_NODE_VERSION"
  if [ ! -x "$venv/bin/yagna" ]; then
    echo "==> golem-node $GOLEM_NODE_VERSION (yagna) into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check "golem-node==$GOLEM_NODE_VERSION" || return 1
  fi
  export ORCHA_YAGNA_BIN="$venv/bin/yagna"
  "$ORCHA_YAGNA_BIN" --version
}

# A Docker Engine for the enforcement tests, started here unless one already answers. No bridge
# (`--bridge=none`) and no iptables rules: test containers run with `--network none`, and no
# traffic may go to Docker's private range. Exports ORCHA_DOCKER=1 when the engine answers; when
# it cannot start, says why and the Docker tests skip with that reason.
ORCHA_DOCKERD_PID=
start_dockerd() {
  if docker info >/dev/null 2>&1; then
    export ORCHA_DOCKER=1
    return 0
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    echo "dockerd is not installed: the real-Docker tests will skip"
    return 0
  fi
  local log
  log=$(mktemp)
  # Started directly (not through the as_root function, which would fork a subshell): $! must be
  # dockerd itself, or sudo, which passes our SIGTERM on, so that stop_dockerd really stops it.
  if [ "$(id -u)" = 0 ]; then
    dockerd --bridge=none --iptables=false --ip6tables=false >"$log" 2>&1 &
  else
    sudo dockerd --bridge=none --iptables=false --ip6tables=false >"$log" 2>&1 &
  fi
  ORCHA_DOCKERD_PID=$!
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      export ORCHA_DOCKER=1
      echo "dockerd running (pid $ORCHA_DOCKERD_PID)"
      return 0
    fi
    kill -0 "$ORCHA_DOCKERD_PID" 2>/dev/null || break
    sleep 1
  done
  echo "dockerd did not start, the real-Docker tests will skip; its log:"
  tail -20 "$log"
  stop_dockerd
  return 0
}

stop_dockerd() {
  if [ -n "$ORCHA_DOCKERD_PID" ]; then
    as_root kill "$ORCHA_DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 "$ORCHA_DOCKERD_PID" 2>/dev/null || break
      sleep 1
    done
    ORCHA_DOCKERD_PID=
  fi
}
