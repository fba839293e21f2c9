"""The engine serves only the app that started it: bearer secret, loopback Host, quiet /health."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orcha_ml import auth
from orcha_ml.auth import AuthMiddleware

SECRET = "s" * 64
PORT = 8765


def app_with(secret: str | None) -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": "secret-version"}

    @app.get("/v1/models")
    def models() -> dict[str, int]:
        return {"models": 1}

    app.add_middleware(AuthMiddleware, secret=secret, from_env=False)
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    # The server as uvicorn would present it: bound to 127.0.0.1 on PORT.
    with TestClient(app_with(SECRET), base_url=f"http://127.0.0.1:{PORT}") as c:
        yield c


def bearer(token: str = SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_requests_without_the_secret_are_refused(client: TestClient) -> None:
    assert client.get("/v1/models").status_code == 401
    assert client.get("/v1/models", headers=bearer("x" * 64)).status_code == 401
    assert client.get("/v1/models", headers={"Authorization": SECRET}).status_code == 401
    r = client.get("/v1/models", headers=bearer())
    assert r.status_code == 200, r.text
    assert r.json() == {"models": 1}


def test_health_is_open_but_reveals_nothing_without_the_secret(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert client.get("/health", headers=bearer()).json()["version"] == "secret-version"


@pytest.mark.parametrize(
    "host",
    [f"127.0.0.1:{PORT}", f"localhost:{PORT}", f"[::1]:{PORT}"],
)
def test_loopback_hosts_with_our_port_pass(client: TestClient, host: str) -> None:
    r = client.get("/v1/models", headers={**bearer(), "Host": host})
    assert r.status_code == 200, (host, r.text)


@pytest.mark.parametrize(
    ("host", "status"),
    [
        (f"evil.example:{PORT}", 421),
        ("127.0.0.1:1", 421),
        ("localhost", 421),
        (f"127.0.0.1.nip.io:{PORT}", 421),
        ("[::1", 400),
        ("127.0.0.1:abc", 400),
    ],
)
def test_foreign_or_malformed_hosts_are_refused(client: TestClient, host: str, status: int) -> None:
    r = client.get("/v1/models", headers={**bearer(), "Host": host})
    assert r.status_code == status, (host, r.text)
    assert r.json()["code"] in {"misdirected_request", "bad_request"}


def test_without_a_secret_only_loopback_clients_are_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level("WARNING"):
        app = app_with(None)
        with TestClient(app, base_url=f"http://127.0.0.1:{PORT}") as local:
            assert local.get("/v1/models").status_code == 200
        with TestClient(
            app, base_url=f"http://127.0.0.1:{PORT}", client=("192.0.2.7", 5000)
        ) as remote:
            assert remote.get("/v1/models").status_code == 403
    assert any(auth.SECRET_ENV in r.getMessage() for r in caplog.records)


def test_secret_comes_from_the_environment_and_must_be_long(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(auth.SECRET_ENV, raising=False)
    assert auth.secret_from_env() is None
    monkeypatch.setenv(auth.SECRET_ENV, SECRET)
    assert auth.secret_from_env() == SECRET
    monkeypatch.setenv(auth.SECRET_ENV, "short")
    with pytest.raises(ValueError):
        auth.secret_from_env()
