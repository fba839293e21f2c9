#!/usr/bin/env bash
# The loop benchmark over every scenario in a directory: `orcha bench loop` on each (the real
# orchestrator with the real ML engine against the stepped simulator), then the aggregate
# capture Σ(achieved − hold) / Σ(oracle − hold). Prints one JSON object on its last line:
# {"days", "scenarios": [per-scenario results], "aggregate_capture", "never_below_hold"}.
#
# Usage: scripts/bench-loop.sh [--days N] [--release] [--dir DIR]
#   --days N     simulated days per scenario (default: each scenario's own duration, 30)
#   --release    build and run the release binary (the README's numbers use it)
#   --dir DIR    the scenarios (default crates/orcha-sim/scenarios); any file in the same format
# Set CARGO_TARGET_DIR as usual. Needs ml-engine/.venv (scripts/test.sh or setup.sh make it).
set -euo pipefail
cd "$(dirname "$0")/.."
days=""
profile="debug"
dir="crates/orcha-sim/scenarios"
while [ $# -gt 0 ]; do
  case "$1" in
    --days) days="$2"; shift 2 ;;
    --release) profile="release"; shift ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done
target="${CARGO_TARGET_DIR:-target}"
if [ "$profile" = release ]; then
  cargo build -q --release -p orcha-server --bin orcha
else
  cargo build -q -p orcha-server --bin orcha
fi
bin="$target/$profile/orcha"
results=()
for scenario in "$dir"/*.toml; do
  args=(bench loop --scenario "$scenario" --json)
  [ -n "$days" ] && args+=(--days "$days")
  line=$("$bin" "${args[@]}" 2>/dev/null | tail -1)
  echo "$line" >&2
  results+=("$line")
done
printf '%s\n' "${results[@]}" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
gain = sum(r["achieved_usd"] - r["hold_usd"] for r in rows)
room = sum(r["oracle_usd"] - r["hold_usd"] for r in rows)
print(json.dumps({
    "days": rows[0]["days"] if rows else None,
    "scenarios": rows,
    "aggregate_capture": gain / room if room > 0 else None,
    "never_below_hold": all(r["achieved_usd"] >= 0.99 * r["hold_usd"] for r in rows),
}))
'
