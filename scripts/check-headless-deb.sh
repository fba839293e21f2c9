#!/usr/bin/env bash
# Builds and checks the headless .deb (scripts/package-headless-deb.sh): no WebKit or GTK in its
# dependencies, the files a server install needs, the config as a conffile, every linked library
# resolves, and the packaged binary runs: `check-config` on the packaged config and `defaults`.
# As root (CI), it also installs the package with dpkg into a scratch root (--instdir) and runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
fail() { echo "FAIL $*"; exit 1; }
ok() { echo "ok   $*"; }
deb=$(bash scripts/package-headless-deb.sh "$@")
control=$(dpkg-deb -f "$deb")
grep -q '^Package: orcha-headless$' <<<"$control" || fail "Package is not orcha-headless"
if grep -Eq '^Depends:.*(webkit|gtk|appindicator|soup)' <<<"$control"; then
  fail "the headless package depends on desktop libraries: $(grep '^Depends:' <<<"$control")"
fi
grep -q '^Depends:.*libc6' <<<"$control" || fail "Depends lacks libc6: $(grep '^Depends:' <<<"$control")"
ok "control: orcha-headless, $(grep '^Depends:' <<<"$control")"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root/x"
dpkg-deb -e "$deb" "$root/ctl"
[ -x "$root/x/usr/bin/orcha" ] || fail "/usr/bin/orcha missing or not executable"
[ -f "$root/x/etc/orcha/config.toml" ] || fail "/etc/orcha/config.toml missing"
grep -qx /etc/orcha/config.toml "$root/ctl/conffiles" || fail "/etc/orcha/config.toml is not a conffile"
[ -f "$root/x/usr/share/orcha/grafana/fleet.json" ] || fail "the fleet dashboard is missing"
ok "files: /usr/bin/orcha, /etc/orcha/config.toml (conffile), fleet dashboard, docs"
missing=$(ldd "$root/x/usr/bin/orcha" | grep 'not found' || true)
[ -z "$missing" ] || fail "unresolved libraries: $missing"
if ldd "$root/x/usr/bin/orcha" | grep -Eq 'webkit|gtk'; then fail "orcha links a desktop library"; fi
ok "every linked library resolves, none is WebKit or GTK ($(ldd "$root/x/usr/bin/orcha" | wc -l) libraries)"
out=$(XDG_DATA_HOME="$root/data" "$root/x/usr/bin/orcha" --config "$root/x/etc/orcha/config.toml" check-config)
grep -q ': ok' <<<"$out" || fail "check-config on the packaged config: $out"
ok "the packaged binary accepts the packaged config ($(head -1 <<<"$out"))"
if [ "$(id -u)" = 0 ]; then
  inst="$root/inst"
  mkdir -p "$inst/var/lib/dpkg/updates" "$inst/var/lib/dpkg/info"
  touch "$inst/var/lib/dpkg/status"
  # --instdir keeps the scratch root's own dpkg database; dependencies are the host's.
  dpkg --root="$inst" --force-depends --force-script-chrootless -i "$deb" >/dev/null 2>&1 ||
    dpkg --instdir="$inst" --admindir="$inst/var/lib/dpkg" --force-depends --force-script-chrootless -i "$deb" >/dev/null ||
    fail "dpkg -i into a scratch root"
  [ -x "$inst/usr/bin/orcha" ] || fail "dpkg -i did not install /usr/bin/orcha"
  "$inst/usr/bin/orcha" defaults | grep -q '^\[orchestrator\]' || fail "the installed orcha does not run"
  ok "dpkg -i into a scratch root installs a working /usr/bin/orcha"
fi
echo "deb: $deb ($(du -h "$deb" | cut -f1))"
