"""The console script: `serve --port 0` announces its port first, and `openapi` prints the spec."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orcha_ml.cli import _bind, openapi_text


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


def _running(pid: int) -> bool:
    """Whether `pid` runs; an exited orphan waiting for its new parent to reap it does not."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    # The state follows the parenthesised command name, which may itself contain spaces.
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_serve_exits_when_its_parent_is_killed(tmp_path: Path) -> None:
    # A parent that starts the engine with --exit-with-parent and is then SIGKILLed, as a
    # supervisor that crashes would be; the engine must not live on as an orphan.
    pid_file = tmp_path / "engine.pid"
    command = [*_orcha_ml(), "serve", "--host", "127.0.0.1", "--port", "0", "--exit-with-parent"]
    parent_code = (
        "import subprocess, sys, time\n"
        f"p = subprocess.Popen({command!r},"
        f" stdout=subprocess.PIPE, stderr=open({str(tmp_path / 'engine.err')!r}, 'w'), text=True)\n"
        "p.stdout.readline()\n"
        f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
        "time.sleep(600)\n"
    )
    env = dict(os.environ, ORCHA_ML_MODEL_DIR=str(tmp_path / "models"))
    parent = subprocess.Popen([sys.executable, "-c", parent_code], env=env)
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert pid_file.exists(), "the engine never announced its port"
        engine = int(pid_file.read_text())
        os.kill(engine, 0)  # running
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not _running(engine):
                break
            time.sleep(0.2)
        else:
            os.kill(engine, 9)
            log = (tmp_path / "engine.err").read_text()[-800:]
            raise AssertionError(f"the engine outlived its killed parent by 20 s: {log}")
    finally:
        if parent.poll() is None:
            parent.kill()


def test_served_connections_have_nagle_off() -> None:
    """uvicorn writes a response in two parts; with Nagle on, a keep-alive client (the app) waits
    for the peer's delayed ACK, ~40 ms, on every request. asyncio turns Nagle off only on sockets
    that say they are TCP, so the listening socket must."""
    listening = _bind("127.0.0.1", 0)
    listening.listen()
    port = listening.getsockname()[1]
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()
        finally:
            server.close()

    asyncio.run(accept_one())
    assert seen and seen[0] != 0, f"TCP_NODELAY on the accepted socket: {seen}"
