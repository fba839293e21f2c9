"""Fixtures: an app with tiny LSTM settings and a temporary model dir, driven through lifespan."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from orcha_ml.main import create_app
from orcha_ml.settings import Settings

os.environ.setdefault("KERAS_BACKEND", "jax")


def tiny_settings(model_dir: Path) -> Settings:
    """Settings small enough that a training job finishes in seconds on two shared cores."""
    return Settings(
        model_dir=model_dir,
        lstm_units=4,
        lstm_epochs=2,
        lstm_batch_size=128,
        backtest_origins=3,
        warm_load_models=False,
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return tiny_settings(tmp_path / "models")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client
