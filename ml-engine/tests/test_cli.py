"""The console script: `serve --port 0` announces its port first, and `openapi` prints the spec."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orcha_ml.cli import openapi_text


def _orcha_ml() -> list[str]:
    script = Path(sys.executable).with_name("orcha-ml")
    if script.exists():
        return [str(script)]
    found = shutil.which("orcha-ml")
    if found is None:
        pytest.skip("orcha-ml console script is not installed")
    return [found]


def test_serve_port_zero_prints_port_first_and_answers_health(tmp_path: Path) -> None:
    env = dict(os.environ, ORCHA_ML_MODEL_DIR=str(tmp_path / "models"))
    process = subprocess.Popen(
        [*_orcha_ml(), "serve", "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline().strip()
        assert first.startswith("listening on "), first
        port = int(first.removeprefix("listening on "))
        assert 0 < port < 65536
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    body = json.loads(r.read())
                    break
            except OSError:
                time.sleep(0.1)
        assert body is not None and body["status"] == "ok"
        assert body["model_dir"] == str(tmp_path / "models")
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_openapi_command_matches_committed_file() -> None:
    committed = Path(__file__).resolve().parents[1] / "openapi.json"
    assert json.loads(committed.read_text()) == json.loads(openapi_text())
