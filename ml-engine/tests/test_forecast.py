"""Forecast endpoint: model selection, backtest MASE, baseline marking and quantile order."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orcha_ml.forecast.selector import mase_scale, quantile_paths
from tests.helpers import forecast_body, series, stamps


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["models_loaded"] == 0
    assert body["python"].startswith("3.11")
    assert body["libraries"]["keras"].startswith("3.")
    assert body["libraries"]["cvxpy"] != "missing"


def test_models_empty(client: TestClient) -> None:
    body = client.get("/v1/models").json()
    assert body == {"series": [], "jobs": [], "anomaly_detectors": []}


def test_forecast_picks_a_model_and_reports_mase(client: TestClient) -> None:
    response = client.post("/v1/forecast", json=forecast_body(n=24 * 14, horizon=24))
    assert response.status_code == 200, response.text
    forecast = response.json()["forecasts"][0]
    assert forecast["id"] == "storj:node1"
    assert forecast["model"] in {"seasonal_naive_24", "seasonal_naive_168", "ets", "theta"}
    assert forecast["estimate"] is True and forecast["baseline"] is False
    backtest = forecast["backtest"]
    assert backtest["origins"] == 3 and backtest["horizon"] == 24
    candidates = backtest["candidates"]
    assert {"seasonal_naive_24", "seasonal_naive_168", "ets", "theta"} <= set(candidates)
    # The chosen model is the one with the lowest backtest MASE.
    assert backtest["mase"] == pytest.approx(min(candidates.values()))
    assert candidates[forecast["model"]] == pytest.approx(backtest["mase"])
    assert backtest["baseline_mase"] == pytest.approx(candidates["seasonal_naive_24"])
    assert forecast["model"] in forecast["note"]
    assert len(forecast["timestamps"]) == 24
    assert forecast["timestamps"][0].startswith("2024-03-18T00:00:00")
    assert set(forecast["quantiles"]) == {"0.1", "0.5", "0.9"}


def test_weekly_pattern_selects_weekly_naive(client: TestClient) -> None:
    # A noiseless series whose shape repeats only weekly: lag 168 forecasts it exactly.
    n = 24 * 21
    rng = np.random.default_rng(3)
    week = rng.uniform(0, 10, 168)
    values = [float(week[i % 168]) for i in range(n)]
    body = {"series": [{"id": "w", "timestamps": stamps(n), "values": values}], "horizon": 24}
    forecast = client.post("/v1/forecast", json=body).json()["forecasts"][0]
    assert forecast["model"] == "seasonal_naive_168"
    assert forecast["backtest"]["mase"] == pytest.approx(0.0, abs=1e-9)
    expected_next_day = [float(week[(n + k) % 168]) for k in range(24)]
    assert forecast["point"] == pytest.approx(expected_next_day)
    # Zero backtest error gives zero-width intervals.
    assert forecast["quantiles"]["0.1"] == pytest.approx(forecast["quantiles"]["0.9"])


def test_short_history_answers_with_marked_baseline(client: TestClient) -> None:
    body = {"series": [series(50)], "horizon": 30}
    forecast = client.post("/v1/forecast", json=body).json()["forecasts"][0]
    assert forecast["model"] == "seasonal_naive_24"
    assert forecast["baseline"] is True
    assert "baseline" in forecast["note"] and "72" in forecast["note"]
    assert len(forecast["point"]) == 30
    values = body["series"][0]["values"]
    # Seasonal naive: hour k ahead repeats the value 24 h before it.
    assert forecast["point"][:24] == pytest.approx(values[-24:])
    assert forecast["point"][24:] == pytest.approx(values[-24:-18])


def test_long_horizon_and_several_series(client: TestClient) -> None:
    body = {
        "series": [series(24 * 10, "a"), series(24 * 10, "b", seed=4)],
        "horizon": 168,
        "quantiles": [0.05, 0.5, 0.95],
    }
    response = client.post("/v1/forecast", json=body)
    assert response.status_code == 200, response.text
    forecasts = response.json()["forecasts"]
    assert [f["id"] for f in forecasts] == ["a", "b"]
    for forecast in forecasts:
        q = forecast["quantiles"]
        assert len(q["0.05"]) == 168
        assert all(
            lo <= mid <= hi for lo, mid, hi in zip(q["0.05"], q["0.5"], q["0.95"], strict=True)
        )


def test_constant_series_does_not_fail(client: TestClient) -> None:
    n = 24 * 8
    body = {"series": [{"id": "zero", "timestamps": stamps(n), "values": [0.0] * n}]}
    forecast = client.post("/v1/forecast", json=body).json()["forecasts"][0]
    assert forecast["point"] == pytest.approx([0.0] * 24)


def test_mase_scale_is_lag_24_mae() -> None:
    values = np.arange(100, dtype=np.float64) * 2.0
    # Each lag-24 difference is 48, so the scale is 48.
    assert mase_scale(values) == pytest.approx(48.0)
    assert mase_scale(np.ones(100)) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    point=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=48),
    residuals=st.lists(st.floats(-1e6, 1e6), min_size=0, max_size=60),
    levels=st.lists(st.floats(0.001, 0.999), min_size=1, max_size=7, unique=True),
)
def test_quantile_paths_are_ordered(
    point: list[float], residuals: list[float], levels: list[float]
) -> None:
    paths = quantile_paths(np.array(point), np.array(residuals), levels, 24)
    ordered = [paths[repr(q)] for q in sorted(levels)]
    for lower, upper in zip(ordered, ordered[1:], strict=False):
        assert all(a <= b for a, b in zip(lower, upper, strict=True))
