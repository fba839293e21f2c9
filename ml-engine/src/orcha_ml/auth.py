"""Who may talk to the engine: the app that started it, on loopback, under its own Host name.

The app starts the engine with a fresh secret (at least 32 random bytes) in ``ORCHA_ML_SECRET``
and sends it as ``Authorization: Bearer`` on every request; anything else on this port (another
local program, a web page that rebinds a DNS name to 127.0.0.1) gets 401. The ``Host`` header
must name loopback (or the address the server is bound to) with the server's own port, else 421,
so a browser tricked into calling us under a foreign name is refused before any route runs.

``/health`` stays open so a supervisor can probe it, but without the secret it reveals nothing
beyond "ok". Without ``ORCHA_ML_SECRET`` (the engine started by hand for development) a warning
is logged and only loopback clients are served.

A pure ASGI middleware: no dependency beyond the standard library.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECRET_ENV = "ORCHA_ML_SECRET"
MIN_SECRET_LEN = 32
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def secret_from_env() -> str | None:
    """The per-start secret the app passed, or ``None`` when the engine was started by hand."""
    secret = os.environ.get(SECRET_ENV) or None
    if secret is not None and len(secret) < MIN_SECRET_LEN:
        # A short secret is a broken launcher; serving without one would be worse than not at all.
        raise ValueError(f"{SECRET_ENV} must be at least {MIN_SECRET_LEN} characters")
    return secret


def _split_host(host: str) -> tuple[str, int | None] | None:
    """``name[:port]`` or ``[v6][:port]``; ``None`` when malformed."""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None
        name, rest = host[: end + 1], host[end + 1 :]
        if not rest:
            return name, None
        if not rest.startswith(":"):
            return None
        port_text = rest[1:]
    elif ":" in host:
        name, _, port_text = host.rpartition(":")
    else:
        return host, None
    if not port_text.isdigit():
        return None
    return name, int(port_text)


def _is_loopback_client(client: Any) -> bool:
    """True for a loopback peer; a peer that is not an IP address (a test transport) counts."""
    if not client:
        return True
    try:
        return ipaddress.ip_address(str(client[0])).is_loopback
    except ValueError:
        return True


class AuthMiddleware:
    """Checks Host, then the bearer secret, before any route runs."""

    def __init__(self, app: ASGIApp, secret: str | None = None, from_env: bool = True) -> None:
        self.app = app
        self.secret = secret if secret is not None or not from_env else secret_from_env()
        if self.secret is None:
            log.warning(
                "%s is not set: serving without authentication, to loopback clients only",
                SECRET_ENV,
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        host_problem = self._host_problem(scope, headers.get("host"))
        if host_problem is not None:
            await _reply(send, *host_problem)
            return
        if self.secret is None:
            if not _is_loopback_client(scope.get("client")):
                await _reply(send, 403, "forbidden", "only loopback clients are served")
                return
            await self.app(scope, receive, send)
            return
        if not self._authorized(headers.get("authorization")):
            if scope.get("path") == "/health":
                # Open for probes, but the versions and model counts are for the app only.
                await _reply(send, 200, None, None, {"status": "ok"})
                return
            await _reply(send, 401, "unauthorized", "missing or wrong bearer token")
            return
        await self.app(scope, receive, send)

    def _authorized(self, header: bytes | None) -> bool:
        if header is None or self.secret is None:
            return False
        scheme, _, token = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(token.strip().encode(), self.secret.encode())

    @staticmethod
    def _host_problem(scope: Scope, host: bytes | None) -> tuple[int, str, str] | None:
        if host is None:
            return 400, "bad_request", "the Host header is missing"
        parsed = _split_host(host.decode("latin-1").strip().lower())
        if parsed is None:
            return 400, "bad_request", "the Host header is malformed"
        name, port = parsed
        server = scope.get("server") or (None, None)
        allowed = set(LOOPBACK_NAMES)
        if server[0]:
            allowed.add(str(server[0]).lower())
        default_port = 443 if scope.get("scheme") == "https" else 80
        if name not in allowed or (server[1] is not None and (port or default_port) != server[1]):
            return 421, "misdirected_request", "this engine answers only to its loopback address"
        return None


async def _reply(
    send: Send,
    status: int,
    code: str | None,
    message: str | None,
    body: dict[str, Any] | None = None,
) -> None:
    payload = body if body is not None else {"code": code, "message": message, "errors": []}
    data = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
