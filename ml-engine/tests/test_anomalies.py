"""Anomaly endpoint: planted outliers are flagged and explained by the feature that was changed."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi.testclient import TestClient

FEATURES = ["earnings_deviation", "cpu", "mem", "disk", "bandwidth", "poll_failures"]


def _rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    base = {"earnings_deviation": 0.0, "cpu": 0.4, "mem": 0.5, "disk": 0.6, "bandwidth": 0.3}
    rows = []
    for i in range(n):
        features = {k: float(v + rng.normal(0, 0.03)) for k, v in base.items()}
        features["poll_failures"] = float(rng.poisson(0.2))
        rows.append({"id": f"node{i % 4}", "features": features})
    return rows


PLANTED = {"cpu": 0.99, "earnings_deviation": -0.8, "disk": 0.05}


def _with_outliers(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[int, str]]:
    planted: dict[int, str] = {}
    rows = [dict(row, features=dict(row["features"])) for row in rows]
    for k, (feature, value) in enumerate(PLANTED.items()):
        index = 5 + 7 * k
        rows[index]["features"][feature] = value
        planted[index] = feature
    return rows, planted


def test_planted_outliers_are_flagged_and_explained(client: TestClient) -> None:
    rows, planted = _with_outliers(_rows(40, seed=2))
    body = {"history": _rows(500, seed=1), "rows": rows, "contamination": 0.01}
    response = client.post("/v1/anomalies", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["fitted_rows"] == 500 and result["contamination"] == "0.01"
    assert sorted(result["feature_names"]) == sorted(FEATURES)
    flagged = {i for i, r in enumerate(result["results"]) if r["anomaly"]}
    assert set(planted) <= flagged
    # Few false alarms among the 37 ordinary rows.
    assert len(flagged - set(planted)) <= 3
    for index, feature in planted.items():
        row = result["results"][index]
        assert "zscore" in row["reasons"]
        assert row["drivers"][0]["feature"] == feature
        assert abs(row["drivers"][0]["zscore"]) > 5
        assert 0.5 < row["drivers"][0]["share"] <= 1.0
    # The forest itself still ranks the planted rows among the more abnormal half.
    scores = [r["score"] for r in result["results"]]
    assert all(scores[i] < float(np.median(scores)) for i in planted)


def test_forest_alone_flags_joint_outlier(client: TestClient) -> None:
    # Every feature moderately off at once: no single |z| reaches 6, the forest still sees it.
    rows = _rows(30, seed=8)
    rows[3]["features"] = {
        "earnings_deviation": -0.12,
        "cpu": 0.52,
        "mem": 0.62,
        "disk": 0.48,
        "bandwidth": 0.42,
        "poll_failures": 3.0,
    }
    body = {"history": _rows(500, seed=1), "rows": rows, "z_threshold": 1000.0}
    result = client.post("/v1/anomalies", json=body).json()
    assert result["results"][3]["reasons"] == ["isolation_forest"]
    assert result["results"][3]["score"] == min(r["score"] for r in result["results"])


def test_fit_on_rows_with_contamination(client: TestClient) -> None:
    rows, planted = _with_outliers(_rows(200, seed=3))
    response = client.post("/v1/anomalies", json={"rows": rows, "contamination": 0.02})
    assert response.status_code == 200, response.text
    result = response.json()
    flagged = [i for i, r in enumerate(result["results"]) if r["anomaly"]]
    assert set(planted) <= set(flagged)
    assert len(flagged) <= 6


def test_saved_detector_is_reused(client: TestClient) -> None:
    body = {"history": _rows(300, seed=4), "rows": _rows(5, seed=5), "save_as": "default"}
    first = client.post("/v1/anomalies", json=body)
    assert first.status_code == 200, first.text
    rows, planted = _with_outliers(_rows(30, seed=6))
    second = client.post("/v1/anomalies", json={"rows": rows, "model": "default"})
    assert second.status_code == 200, second.text
    assert second.json()["model"] == "default" and second.json()["fitted_rows"] == 300
    flagged = {i for i, r in enumerate(second.json()["results"]) if r["anomaly"]}
    assert set(planted) <= flagged
    listed = client.get("/v1/models").json()["anomaly_detectors"]
    assert [d["name"] for d in listed] == ["default"]
    missing = client.post("/v1/anomalies", json={"rows": rows, "model": "nope"})
    assert missing.status_code == 422 and "model" in missing.json()["message"]
