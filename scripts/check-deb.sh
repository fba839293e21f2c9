#!/usr/bin/env bash
# Checks the .deb that `tauri build --bundles deb` made: control fields, the files a desktop
# install needs, and that every shared library the binary links resolves on this machine.
# Prints one line per check and exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(ls target/debug/bundle/deb/*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { echo "FAIL no .deb under target/debug/bundle/deb (run: npx tauri build --debug --bundles deb --ci)"; exit 1; }
fail() { echo "FAIL $*"; exit 1; }
ok() { echo "ok   $*"; }
control=$(dpkg-deb -f "$deb")
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1; do
  grep -q "^Depends:.*$dep" <<<"$control" || fail "Depends lacks $dep in $deb"
done
ok "control: $(grep '^Package:' <<<"$control"), depends on webkit2gtk-4.1, gtk3, ayatana-appindicator"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
[ -x "$root/usr/bin/depin-orcha" ] || fail "/usr/bin/depin-orcha missing or not executable"
desktop=$(ls "$root"/usr/share/applications/*.desktop 2>/dev/null | head -1)
[ -n "$desktop" ] || fail "no .desktop file under /usr/share/applications"
grep -q '^Exec=depin-orcha' "$desktop" || fail "$desktop: Exec is not depin-orcha"
grep -q '^Icon=depin-orcha' "$desktop" || fail "$desktop: Icon is not depin-orcha"
[ -f "$root/usr/share/icons/hicolor/128x128/apps/depin-orcha.png" ] || fail "128x128 icon missing"
ok "files: /usr/bin/depin-orcha, $(basename "$desktop"), hicolor icons"
missing=$(ldd "$root/usr/bin/depin-orcha" | grep 'not found' || true)
[ -z "$missing" ] || fail "unresolved libraries: $missing"
ok "every linked library resolves ($(ldd "$root/usr/bin/depin-orcha" | wc -l) libraries)"
echo "deb: $deb ($(du -h "$deb" | cut -f1))"
