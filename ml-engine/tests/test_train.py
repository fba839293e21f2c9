"""Training jobs: run in the background to completion, save a versioned model, report failures."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from orcha_ml.forecast.registry import next_version, read_all_metadata, series_dir
from orcha_ml.main import create_app
from orcha_ml.settings import Settings
from tests.helpers import series


def _wait(client: TestClient, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = {j["job_id"]: j for j in client.get("/v1/models").json()["jobs"]}
        if jobs[job_id]["state"] in ("succeeded", "failed"):
            return jobs[job_id]
        time.sleep(0.3)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def test_train_job_saves_model_and_forecast_uses_it(client: TestClient, settings: Settings) -> None:
    n = 24 * 12
    history = series(n, "golem:main")
    history["features"] = {"cpu": [0.5 + 0.1 * ((i % 24) > 12) for i in range(n)]}
    started = time.monotonic()
    response = client.post("/v1/train", json={"series": [history]})
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["series_ids"] == ["golem:main"]
    # The request returns before training is done: it is a background job.
    assert time.monotonic() - started < 5.0
    job = _wait(client, accepted["job_id"])
    assert job["state"] == "succeeded", job
    assert job["progress"] == 1.0 and job["models"] == ["golem:main@1"]

    files = sorted(p.name for p in settings.lstm_dir.glob("*/*"))
    # The .npz holds the same weights for keras-free inference in the server.
    assert files == ["v1.json", "v1.keras", "v1.npz"]
    meta = json.loads(next(settings.lstm_dir.glob("*/v1.json")).read_text())
    assert meta["series_id"] == "golem:main" and meta["epochs"] == 2 and meta["units"] == 4
    assert meta["feature_names"] == ["cpu"]

    listed = client.get("/v1/models").json()["series"]
    assert len(listed) == 1
    model = listed[0]["versions"][0]
    assert listed[0]["latest_version"] == 1
    window = model["training_window"]
    assert window["start"] == history["timestamps"][0]
    assert window["end"] == history["timestamps"][-1]
    # The last backtest_origins days are held out of the weights and scored instead.
    assert window["fit_end"] == history["timestamps"][n - 24 * settings.backtest_origins - 1]
    assert model["metrics"]["holdout_origins"] == settings.backtest_origins
    assert model["metrics"]["holdout_mase"] > 0

    forecast = client.post("/v1/forecast", json={"series": [history], "horizon": 24}).json()
    candidates = forecast["forecasts"][0]["backtest"]["candidates"]
    # Scored on the same held-out origins at training and at forecast time.
    assert candidates["lstm"] == model["metrics"]["holdout_mase"]
    assert client.get("/health").json()["models_loaded"] == 1

    # Without the feature the model was trained on, the LSTM is skipped and the note says why.
    plain = {key: value for key, value in history.items() if key != "features"}
    without = client.post("/v1/forecast", json={"series": [plain], "horizon": 24}).json()
    assert "lstm" not in without["forecasts"][0]["backtest"]["candidates"]
    assert "skipped" in without["forecasts"][0]["note"]

    # A second job for the same series must save version 2 next to version 1.
    assert next_version(settings.lstm_dir, "golem:main") == 2


def test_versions_are_listed_in_order(tmp_path: Path) -> None:
    lstm_dir = tmp_path / "lstm"
    directory = series_dir(lstm_dir, "storj:a")
    directory.mkdir(parents=True)
    for version in (2, 10, 1):
        (directory / f"v{version}.keras").write_bytes(b"")
        meta = {
            "format": 1,
            "series_id": "storj:a",
            "version": version,
            "keras_file": f"v{version}.keras",
        }
        (directory / f"v{version}.json").write_text(json.dumps(meta))
    # A JSON without its .keras file (a save in progress) is not listed.
    (directory / "v11.json").write_text(
        json.dumps(meta | {"version": 11, "keras_file": "v11.keras"})
    )
    listed = read_all_metadata(lstm_dir)["storj:a"]
    assert [m["version"] for m in listed] == [1, 2, 10]
    assert next_version(lstm_dir, "storj:a") == 12


def test_failed_job_is_recorded_and_server_survives(tmp_path: Path) -> None:
    model_dir = tmp_path / "models"
    model_dir.mkdir()
    # A file where the lstm directory should be makes saving fail inside the worker.
    (model_dir / "lstm").write_text("not a directory")
    settings = Settings(model_dir=model_dir, lstm_units=2, lstm_epochs=1, backtest_origins=1)
    with TestClient(create_app(settings)) as client:
        job = client.post("/v1/train", json={"series": [series(24 * 5)]}).json()
        finished = _wait(client, job["job_id"])
        assert finished["state"] == "failed"
        assert finished["error"]
        assert client.get("/health").status_code == 200
