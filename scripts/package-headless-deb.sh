#!/usr/bin/env bash
# Builds the headless package: `orcha` (serve, service, probe, backup…) without the desktop shell
# and so without WebKit or GTK, for servers and NAS boxes. `--release` packages a release build
# (what a user installs); without it the debug binary the tests built is packaged, which has the
# same shape. Depends is worked out from the libraries the binary really links (ldd → dpkg -S).
# Writes target/<profile>/bundle/headless/orcha-headless_<version>_<arch>.deb and prints its path.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=debug
if [ "${1:-}" = --release ]; then profile=release; fi
target=${CARGO_TARGET_DIR:-target}
if [ "$profile" = release ]; then cargo build -q --release -p orcha-server; else cargo build -q -p orcha-server; fi
bin="$target/$profile/orcha"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
arch=$(dpkg --print-architecture)
out="$target/$profile/bundle/headless"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 0755 "$bin" "$root/usr/bin/orcha"
if [ "$profile" = release ]; then strip "$root/usr/bin/orcha"; fi
# The committed defaults, every node disabled: the operator enables theirs (or runs `orcha probe`).
install -D -m 0644 config/default.toml "$root/etc/orcha/config.toml"
install -D -m 0644 monitoring/grafana/dashboards/fleet.json "$root/usr/share/orcha/grafana/fleet.json"
install -D -m 0644 monitoring/prometheus-fleet.yml "$root/usr/share/orcha/prometheus-fleet.yml"
install -D -m 0644 docs/several-machines.md "$root/usr/share/doc/orcha-headless/several-machines.md"
install -D -m 0644 docs/security.md "$root/usr/share/doc/orcha-headless/security.md"
printf 'DePIN Orcha, headless engine.\nLicense: see the project repository.\n' >"$root/usr/share/doc/orcha-headless/copyright"

# Depends: the package of every shared library the binary links, outside libc's own set.
depends=$(ldd "$bin" | awk '/=> \//{print $3}' | while read -r lib; do
  dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true
done | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g')
[ -n "$depends" ] || { echo "could not work out the package dependencies of $bin" >&2; exit 1; }
size=$(du -sk "$root" | cut -f1)
mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: orcha-headless
Version: $version
Architecture: $arch
Maintainer: DePIN Orcha developers <dev@depin-orcha.invalid>
Installed-Size: $size
Depends: $depends
Recommends: iproute2, prometheus
Suggests: systemd
Conflicts: depin-orcha-headless
Section: net
Priority: optional
Homepage: https://github.com/depin-orcha/depin-orcha
Description: DePIN node orchestrator, headless (no desktop)
 Reads the Storj, Golem, Streamr and Grass nodes on this machine, keeps their
 history, and moves CPU, memory, disk and bandwidth to where they earn most.
 Run it as a hardened systemd service with 'sudo orcha service install';
 metrics for Prometheus on /metrics. The ML engine (orcha-ml) is a separate
 Python package; without it Orcha forecasts nothing and never applies plans.
CONTROL
echo /etc/orcha/config.toml >"$root/DEBIAN/conffiles"
cat >"$root/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  echo "orcha installed. Run it as a service with: sudo orcha service install"
fi
POSTINST
chmod 0755 "$root/DEBIAN/postinst"
mkdir -p "$out"
deb="$out/orcha-headless_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$deb" >/dev/null
echo "$deb"
