"""Broken files in the model dir degrade gracefully instead of failing requests."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from orcha_ml.forecast.registry import series_dir
from orcha_ml.main import create_app
from tests.conftest import tiny_settings
from tests.helpers import series


def _write_model(lstm_dir: Path, series_id: str, *, complete: bool) -> None:
    directory = series_dir(lstm_dir, series_id)
    directory.mkdir(parents=True)
    (directory / "v1.keras").write_bytes(b"this is not a keras archive")
    meta: dict[str, object] = {"format": 1, "series_id": series_id, "version": 1}
    if complete:
        meta |= {
            "keras_file": "v1.keras",
            "created_at": "2024-01-01T00:00:00+00:00",
            "feature_names": [],
            "scaler": {"value_mean": 0, "value_std": 1, "feature_means": {}, "feature_stds": {}},
            "fit_end_epoch_hour": 0.0,
            "training_window": {"start": "a", "end": "b", "hours": 1, "fit_end": "b"},
            "epochs": 1,
            "units": 1,
            "metrics": {
                "train_loss": None,
                "holdout_mase": None,
                "holdout_baseline_mase": None,
                "holdout_origins": 0,
                "train_seconds": 0.0,
            },
        }
    else:
        meta["keras_file"] = "v1.keras"
    (directory / "v1.json").write_text(json.dumps(meta))
    (directory / "v2.json").write_text("{not json")


def test_corrupt_models_are_skipped_or_noted(tmp_path: Path) -> None:
    settings = tiny_settings(tmp_path / "models")
    _write_model(settings.lstm_dir, "storj:broken", complete=True)
    _write_model(settings.lstm_dir, "storj:partial", complete=False)
    with TestClient(create_app(settings)) as client:
        models = client.get("/v1/models")
        assert models.status_code == 200
        assert [s["series_id"] for s in models.json()["series"]] == ["storj:broken"]
        body = {"series": [series(24 * 10, "storj:broken")], "horizon": 24}
        response = client.post("/v1/forecast", json=body)
        assert response.status_code == 200, response.text
        forecast = response.json()["forecasts"][0]
        assert forecast["model"] != "lstm"
        assert "could not be loaded" in forecast["note"]
