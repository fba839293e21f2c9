#!/usr/bin/env bash
# Create ml-engine/.venv (Python 3.11) and install the locked dependencies plus the package.
# Idempotent: when requirements.lock and pyproject.toml are unchanged since the last successful
# run (hash stored in .venv), it does nothing.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV=.venv
STAMP="$VENV/.orcha-install-hash"

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

hash_inputs() {
    "$VENV/bin/python" - <<'PY'
import hashlib
digest = hashlib.sha256()
for name in ("requirements.lock", "pyproject.toml"):
    with open(name, "rb") as handle:
        digest.update(handle.read())
print(digest.hexdigest())
PY
}

if [ ! -x "$VENV/bin/python" ]; then
    PY=$(find_python) || {
        echo "install.sh: Python 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
        exit 1
    }
    echo "install.sh: creating $VENV with $PY"
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
        # Debian's python3 without the python3-venv package has no ensurepip; create the venv
        # without pip and bootstrap pip from its wheel on PyPI (the only registry needed).
        rm -rf "$VENV"
        "$PY" -m venv --without-pip "$VENV"
        "$VENV/bin/python" - <<'PY'
import json, subprocess, sys, tempfile, urllib.request, os
meta = json.load(urllib.request.urlopen("https://pypi.org/pypi/pip/json", timeout=60))
wheel = next(f for f in meta["urls"] if f["filename"].endswith(".whl"))
path = os.path.join(tempfile.mkdtemp(), wheel["filename"])
urllib.request.urlretrieve(wheel["url"], path)
subprocess.check_call([sys.executable, path + "/pip", "install", "--no-cache-dir", path])
PY
    fi
fi

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(hash_inputs)" ] && [ -x "$VENV/bin/orcha-ml" ]; then
    echo "install.sh: $VENV is up to date"
    exit 0
fi

rm -f "$STAMP"
"$VENV/bin/python" -m pip install --no-cache-dir --disable-pip-version-check -q -r requirements.lock
# The lock pins setuptools, so the editable install needs no isolated build environment.
"$VENV/bin/python" -m pip install --no-cache-dir --disable-pip-version-check -q \
    --no-deps --no-build-isolation -e .
hash_inputs >"$STAMP"
echo "install.sh: done ($("$VENV/bin/python" --version))"
