"""Schemathesis fuzz of the OpenAPI: no input, valid or not, may produce a 500."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from orcha_ml.main import create_app
from tests.conftest import tiny_settings

FUZZ_DIR = Path(tempfile.mkdtemp(prefix="orcha-fuzz-"))


def _app() -> FastAPI:
    return create_app(tiny_settings(FUZZ_DIR))


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@pytest.fixture(scope="module")
def live_client() -> Iterator[TestClient]:
    # One client for the whole module so the lifespan (model store, job manager) runs once.
    app = schema.app
    with TestClient(app) as client:
        yield client


def _no_server_error(response: object) -> None:
    status = getattr(response, "status_code", 0)
    assert status < 500, getattr(response, "text", "")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_never_answers_500(case: schemathesis.Case, live_client: TestClient) -> None:
    response = case.call(session=live_client)
    _no_server_error(response)
    case.validate_response(response, checks=[status_code_conformance, response_schema_conformance])
