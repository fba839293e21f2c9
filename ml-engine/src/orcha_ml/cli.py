"""Command line: ``orcha-ml serve``, ``orcha-ml openapi`` and the internal ``train-worker``."""

from __future__ import annotations

import argparse
import json
import logging
import socket
import sys
import time
from pathlib import Path
from typing import Any


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orcha-ml", description="DePIN Orcha ML engine sidecar")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=None, help="port; 0 binds a free one and prints it"
    )
    serve.add_argument("--model-dir", type=Path, default=None, help="where models are saved")
    serve.add_argument("--log-level", default=None, help="debug, info, warning, error")
    serve.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="shut down when the process that started this one is gone",
    )

    openapi = commands.add_parser("openapi", help="print the OpenAPI document as JSON")
    openapi.add_argument("--output", type=Path, default=None, help="write to a file instead")

    worker = commands.add_parser("train-worker", help=argparse.SUPPRESS)
    worker.add_argument("job_file", type=Path)
    return parser


def openapi_document() -> dict[str, Any]:
    from orcha_ml.main import create_app

    document: dict[str, Any] = create_app().openapi()
    return document


def openapi_text() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n"


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets whose proto says TCP, and the
    # accepted sockets inherit it. With Nagle on, a keep-alive client waits for the delayed ACK
    # (~40 ms) on every response uvicorn writes in two parts.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def serve(args: argparse.Namespace) -> int:
    import os

    # Taken first: the heavy imports below take seconds, and a parent that dies meanwhile must
    # still be noticed.
    parent = os.getppid()
    from orcha_ml.settings import Settings

    overrides: dict[str, Any] = {}
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.model_dir is not None:
        overrides["model_dir"] = args.model_dir
    if args.log_level is not None:
        overrides["log_level"] = args.log_level
    settings = Settings(**overrides)
    logging.basicConfig(
        stream=sys.stderr,
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    sock = _bind(settings.host, settings.port)
    port = sock.getsockname()[1]
    # The supervising app reads this line to learn the port, so it must be the first stdout line.
    print(f"listening on {port}", flush=True)

    import uvicorn

    from orcha_ml.main import create_app

    config = uvicorn.Config(
        create_app(settings),
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    if args.exit_with_parent:
        _exit_with_parent(server, parent)
    server.run(sockets=[sock])
    return 0


def _exit_with_parent(server: Any, parent: int, interval: float = 0.5) -> None:
    """Stops ``server`` once the process that started this one is gone.

    A supervisor that is killed (SIGKILL, a crash) cannot stop its children; without this the
    engine would live on as an orphan holding memory. The kernel re-parents an orphan, so a
    changed parent pid is the sign.
    """
    import os
    import threading

    def watch() -> None:
        while not server.should_exit:
            if os.getppid() != parent:
                logging.getLogger("orcha_ml").warning(
                    "the supervising process %d is gone; shutting down", parent
                )
                server.should_exit = True
                return
            time.sleep(interval)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    if args.command == "openapi":
        text = openapi_text()
        if args.output is None:
            sys.stdout.write(text)
        else:
            args.output.write_text(text)
        return 0
    from orcha_ml.training import worker_main

    return worker_main(args.job_file)


if __name__ == "__main__":
    sys.exit(main())
