#!/usr/bin/env bash
# A longer fuzz-style run of the property tests: every adapter parser (through a loopback stub),
# the config parser and settings validation, with PROPTEST_CASES cases per property (default
# 5000). Prints one JSON object: per target the cases, seconds and whether it passed; the README
# quotes the result. Usage: scripts/fuzz.sh [cases]   (set CARGO_TARGET_DIR as usual)
set -u
cd "$(dirname "$0")/.."
cases="${1:-5000}"
targets=(
  "orcha-adapters parsers_proptest"
  "orcha-core config_proptest"
  "orcha-api settings_proptest"
)
# Build first, so the timings are of the runs alone.
for t in "${targets[@]}"; do
  set -- $t
  cargo test -q -p "$1" --test "$2" --no-run >/dev/null 2>&1 || { echo "{\"error\":\"build of $1/$2 failed\"}"; exit 1; }
done
out="{\"cases_per_property\":$cases,\"targets\":["
sep=""
status=0
for t in "${targets[@]}"; do
  set -- $t
  start=$(date +%s.%N)
  log=$(PROPTEST_CASES="$cases" cargo test -q -p "$1" --test "$2" 2>&1)
  rc=$?
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  props=$(echo "$log" | grep -Eo '[0-9]+ passed' | head -1 | grep -Eo '[0-9]+')
  [ "$rc" -eq 0 ] || status=1
  out+="$sep{\"crate\":\"$1\",\"test\":\"$2\",\"properties\":${props:-0},\"passed\":$([ "$rc" -eq 0 ] && echo true || echo false),\"seconds\":$(printf '%.1f' "$secs")}"
  sep=","
  if [ "$rc" -ne 0 ]; then
    echo "$log" | grep -E "minimal failing input|panicked|Test failed" | head -5 >&2
  fi
done
out+="]}"
echo "$out"
exit $status
