"""Forecast endpoint: model selection, backtest MASE, baseline marking and quantile order."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orcha_ml.forecast import combination, models, selector
from orcha_ml.forecast.intervals import conformal_offsets, quantile_paths
from orcha_ml.forecast.selector import (
    CandidateScore,
    choose_by_error,
    forecast_series,
    mase_scale,
    procedure_errors,
)
from orcha_ml.schemas import SeriesInput
from orcha_ml.settings import Settings
from tests.helpers import daily_weekly, forecast_body, series, stamps


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
    # With combinations available, the better of the two answers (SINGLE_MODEL_MARGIN = 1).
    assert forecast["model"] in {"ensemble_median", "ensemble_mean"}
    assert forecast["estimate"] is True and forecast["baseline"] is False
    backtest = forecast["backtest"]
    assert backtest["origins"] == 3 and backtest["horizon"] == 24
    candidates = backtest["candidates"]
    assert {"seasonal_naive_24", "seasonal_naive_168", "ets", "theta"} <= set(candidates)
    # The chosen combination is the one with the lower backtest MASE.
    assert backtest["mase"] == pytest.approx(
        min(candidates["ensemble_median"], candidates["ensemble_mean"])
    )
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
    # The lag-168 naive (and here ETS and MSTL too) is perfect, so the weighted mean puts all
    # its weight on the perfect ones and the median of the best three is one of them: both
    # combinations are exact and the tie goes to the median, the first in ORDER.
    assert forecast["model"] == "ensemble_median"
    assert forecast["backtest"]["candidates"]["seasonal_naive_168"] == pytest.approx(0, abs=1e-9)
    assert forecast["backtest"]["candidates"]["ensemble_mean"] == pytest.approx(0, abs=1e-9)
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


def test_models_never_read_past_the_origin() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(10, 2, 24 * 34)
    origins = [24 * 24, 24 * 31]  # The linear model needs three weeks before an origin.
    for name, (run, _) in models.STATISTICAL.items():
        before = run(values, origins, 24)
        changed = values.copy()
        changed[origins[0] :] += 1000.0  # The future of the first origin.
        after = run(changed, origins, 24)
        assert after[0] == pytest.approx(before[0]), name
        assert not np.allclose(after[1], before[1]), name


def test_one_pass_matches_one_origin_at_a_time() -> None:
    values = np.asarray(daily_weekly(24 * 28, seed=2))
    origins = [24 * 21, 24 * 24, 24 * 27]
    for name, (run, _) in models.STATISTICAL.items():
        if name in ("ets", "linear"):
            continue  # They fit their weights before the first origin, so differ by design.
        together = run(values, origins, 24)
        alone = np.stack([run(values, [t], 24)[0] for t in origins])
        assert together == pytest.approx(alone), name


@pytest.mark.parametrize("name", ["mstl", "ets", "linear"])
def test_mstl_and_ets_learn_a_weekly_pattern(name: str) -> None:
    values = np.asarray(daily_weekly(24 * 42, noise=0.0, weekly=3.0))
    t = 24 * 40
    run, _ = models.STATISTICAL[name]
    forecast = run(values, [t], 24)[0]
    daily_only = models.seasonal_naive(24)(values, [t], 24)[0]
    actual = values[t : t + 24]
    assert np.mean(np.abs(forecast - actual)) < 0.2 * np.mean(np.abs(daily_only - actual))


def test_a_weekly_profile_of_noise_is_shrunk_and_a_real_one_kept() -> None:
    rng = np.random.default_rng(4)
    n = 24 * 56
    noise = rng.normal(0.0, 1.0, n)
    raw = models.seasonal_profile(noise, 168)
    shrunk = models.seasonal_profile(noise, 168, shrink=True)
    # Each raw index averages ~7 values of unit variance (std ~0.38); after shrinking, little of
    # that noise is left to be forecast as a pattern.
    assert np.std(shrunk) < 0.35 * np.std(raw)
    pattern = 2.0 * np.sin(2 * np.pi * np.arange(n) / 168)
    real = models.seasonal_profile(pattern + 0.3 * noise, 168, shrink=True)
    assert np.std(real) == pytest.approx(np.std(pattern), rel=0.05)


def test_ar1_coefficients_are_least_squares_fits_per_column() -> None:
    # Column 0 halves each step: phi = (4*8 + 2*4 + 1*2) / (8*8 + 4*4 + 2*2) = 42 / 84 = 0.5.
    # Column 1 alternates: negative fit, clipped to 0. Column 2 is all zero: 0, not 0/0.
    residuals = np.array([[8.0, 1.0, 0.0], [4.0, -1.0, 0.0], [2.0, 1.0, 0.0], [1.0, -1.0, 0.0]])
    assert models._ar1_coefficients(residuals) == pytest.approx([0.5, 0.0, 0.0])
    assert models._ar1_coefficients(residuals[:2]) == pytest.approx([0.0, 0.0, 0.0])


def test_ets_carries_a_persistent_residual_into_the_first_hours() -> None:
    # As for MSTL below: an AR(1) disturbance (phi 0.95) 5 above its mean at the origin.
    rng = np.random.default_rng(11)
    n = 24 * 42
    base = np.asarray(daily_weekly(n, noise=0.0, weekly=3.0))
    ar = np.zeros(n)
    for i in range(1, n):
        ar[i] = 0.95 * ar[i - 1] + rng.normal(0, 0.5)
    t = 24 * 40
    ar[t - 1] = 5.0
    forecast = models.ets(base + ar, [t], 24)[0]
    assert 3.0 < forecast[0] - base[t] < 6.0


def test_decaying_deviation_is_ar1_fitted_by_least_squares() -> None:
    # The first quarter is skipped; the rest is 8, 4, 2, 1: each value half the previous one,
    # so phi = (4*8 + 2*4 + 1*2) / (8*8 + 4*4 + 2*2) = 42 / 84 = 0.5 and the forecast continues
    # the halving from the last deviation (1): 0.5, 0.25, 0.125.
    deviation = np.array([100.0, 8.0, 4.0, 2.0, 1.0])
    assert models._decaying_deviation(deviation, 3) == pytest.approx([0.5, 0.25, 0.125])
    # Alternating signs give a negative lag-1 fit; clipped to 0, so no correction at all.
    assert models._decaying_deviation(np.array([0, 1.0, -1.0, 1.0, -1.0]), 2) == pytest.approx(
        [0.0, 0.0]
    )
    # Too few values to fit.
    assert models._decaying_deviation(np.array([5.0, 5.0]), 2) == pytest.approx([0.0, 0.0])


def test_mstl_carries_a_persistent_deviation_into_the_first_hours() -> None:
    # A daily + weekly pattern plus a slowly decaying AR(1) disturbance (phi 0.95). At the origin
    # the disturbance is 5 above its mean; the first hours of the forecast must keep most of it.
    rng = np.random.default_rng(11)
    n = 24 * 42
    base = np.asarray(daily_weekly(n, noise=0.0, weekly=3.0))
    ar = np.zeros(n)
    for i in range(1, n):
        ar[i] = 0.95 * ar[i - 1] + rng.normal(0, 0.5)
    t = 24 * 40
    ar[t - 1] = 5.0
    values = base + ar
    forecast = models.mstl(values, [t], 24)[0]
    first = forecast[0] - base[t]
    assert 3.0 < first < 6.0


def test_response_reports_choice_score_and_coverage(client: TestClient) -> None:
    body = forecast_body(n=24 * 28)
    forecast = client.post("/v2/forecast", json=body).json()["forecasts"][0]
    backtest = forecast["backtest"]
    assert {"mstl", "ets", "theta", "naive", "ensemble_median", "ensemble_mean"} <= set(
        backtest["candidates"]
    )
    assert "tsb" not in backtest["candidates"]  # Not intermittent.
    assert backtest["coverage_levels"] == [0.1, 0.9]
    assert 0.0 <= backtest["coverage"] <= 1.0
    naive = backtest["candidates"]
    assert backtest["best_seasonal_naive_mase"] == pytest.approx(
        min(naive["seasonal_naive_24"], naive["seasonal_naive_168"])
    )
    assert forecast["series_kind"] == "rate" and forecast["increments"] is None
    assert forecast["model"].startswith("ensemble")
    assert len(backtest["members"]) == (3 if forecast["model"] == "ensemble_median" else 2) or (
        forecast["model"] == "ensemble_mean" and len(backtest["members"]) >= 2
    )
    assert all(m in backtest["candidates"] for m in backtest["members"])


def test_intermittent_series_gets_tsb(client: TestClient) -> None:
    n = 24 * 21
    rng = np.random.default_rng(8)
    values = np.where(rng.uniform(size=n) < 0.15, rng.uniform(1, 3, n), 0.0)
    body = {"series": [{"id": "i", "timestamps": stamps(n), "values": values.tolist()}]}
    forecast = client.post("/v2/forecast", json=body).json()["forecasts"][0]
    assert "tsb" in forecast["backtest"]["candidates"]


def test_running_total_is_forecast_as_increments(client: TestClient) -> None:
    n = 24 * 21
    rate = np.clip(np.asarray(daily_weekly(n, seed=6)), 0, None)
    total = np.cumsum(rate)
    body = {"series": [{"id": "c", "timestamps": stamps(n), "values": total.tolist()}]}
    forecast = client.post("/v2/forecast", json=body).json()["forecasts"][0]
    assert forecast["series_kind"] == "cumulative"
    increments = np.asarray(forecast["increments"])
    point = np.asarray(forecast["point"])
    assert point == pytest.approx(total[-1] + np.cumsum(increments))
    # The increments look like the hourly rate, not like the total.
    assert np.mean(np.abs(increments - rate[-24:])) < 0.3 * np.mean(rate)
    # Interval width grows along the path of a running total.
    q = forecast["quantiles"]
    width = np.asarray(q["0.9"]) - np.asarray(q["0.1"])
    assert width[-1] > width[0]
    # The caller can override detection.
    body["series"][0]["series_kind"] = "rate"
    as_rate = client.post("/v2/forecast", json=body).json()["forecasts"][0]
    assert as_rate["series_kind"] == "rate" and as_rate["increments"] is None


def test_conformal_offsets_scale_each_lead_and_pool_all_leads() -> None:
    # 9 origins x 8 leads. Lead h's errors are (h + 1) x the same 9 unit scores, so after
    # dividing by each lead's typical size every lead contributes the same scores.
    unit = np.array([-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    size = np.arange(1, 9, dtype=np.float64)
    errors = unit[:, None] * size[None, :]
    offsets = conformal_offsets(errors, [0.1, 0.9], 10)
    # Typical size of lead h: mean |error| over leads h-3..h+3 (clipped), = mean|unit| x the
    # mean of those leads' multipliers; mean|unit| = 20/9. For lead 0 the window is leads
    # 0,0,0,0,1,2,3 (clipped) -> multipliers 1,1,1,1,2,3,4 -> mean 13/7.
    typical0 = 20 / 9 * 13 / 7
    # 72 pooled scores; the finite-sample level for 0.9 is ceil(73 * 0.9) / 72 = 66 / 72, the
    # 66th smallest score. Scores of lead h are unit x (h+1) / typical_h: the largest pooled
    # values come from the leads with the biggest ratio, so compute the 66th directly.
    typical = np.array(
        [20 / 9 * np.mean(size[np.clip(np.arange(h - 3, h + 4), 0, 7)]) for h in range(8)]
    )
    scores = np.sort((errors / typical[None, :]).ravel())
    assert typical[0] == pytest.approx(typical0)
    assert offsets[1, :8] == pytest.approx(scores[65] * typical)
    # Lower level: floor(73 * 0.1) / 72 = 7 / 72, the 7th smallest.
    assert offsets[0, :8] == pytest.approx(scores[6] * typical)
    # Leads past the scored 8 grow with sqrt(h / 8).
    assert offsets[1, 8:] == pytest.approx(offsets[1, 7] * np.sqrt(np.array([9, 10]) / 8))
    # A lead with no error in its whole neighbourhood keeps a zero-width band.
    assert np.all(conformal_offsets(np.zeros((5, 24)), [0.1, 0.9], 24) == 0.0)


def test_intervals_cover_about_80_percent_of_held_out_days() -> None:
    rng = np.random.default_rng(11)
    n = 24 * 70
    t = np.arange(n)
    values = 10 + 3 * np.sin(2 * np.pi * t / 24) + np.cumsum(rng.normal(0, 0.05, n))
    values += rng.normal(0, 1.0, n)
    settings_ = Settings(model_dir=Path("/nonexistent"))
    covered = total = 0
    for origin in range(24 * 42, n - 24, 24 * 2):
        history = values[origin - 24 * 28 : origin]
        body = SeriesInput(id="s", timestamps=stamps(len(history)), values=history.tolist())
        answer = forecast_series(
            body, horizon=24, quantiles=[0.1, 0.5, 0.9], settings=settings_, lstm=None
        )
        actual = values[origin : origin + 24]
        low, high = np.asarray(answer.quantiles["0.1"]), np.asarray(answer.quantiles["0.9"])
        covered += int(np.sum((actual >= low) & (actual <= high)))
        total += 24
    assert 0.7 <= covered / total <= 0.9


def test_v1_forecast_schemas_are_frozen_for_the_rust_client(client: TestClient) -> None:
    # crates/orcha-api/tests/ml_contract.rs compares these exact field sets with openapi.json.
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    frozen = {
        "SeriesInput": {"id", "timestamps", "values", "features"},
        "ForecastRequest": {"series", "horizon", "quantiles"},
        "Backtest": {"mase", "baseline_mase", "origins", "horizon", "candidates"},
        "SeriesForecast": {
            "id",
            "model",
            "baseline",
            "timestamps",
            "point",
            "quantiles",
            "backtest",
            "estimate",
            "note",
        },
        "ForecastResponse": {"forecasts"},
    }
    for name, fields in frozen.items():
        assert set(schemas[name]["properties"]) == fields, name
    # And the v1 answer carries only those fields, with the new facts in the note.
    total = np.cumsum(np.clip(np.asarray(daily_weekly(24 * 21, seed=6)), 0, None))
    body = {"series": [{"id": "c", "timestamps": stamps(len(total)), "values": total.tolist()}]}
    answer = client.post("/v1/forecast", json=body).json()["forecasts"][0]
    assert set(answer) == frozen["SeriesForecast"]
    assert set(answer["backtest"]) == frozen["Backtest"]
    assert "running total" in answer["note"] and "coverage" in answer["note"]
    # A v1 request with the v2-only field is still rejected (unknown fields are 422).
    body["series"][0]["series_kind"] = "rate"
    assert client.post("/v1/forecast", json=body).status_code == 422


def test_series_without_a_model_is_offered_the_global_lstm(client: TestClient) -> None:
    body = forecast_body(n=24 * 21)
    forecast = client.post("/v2/forecast", json=body).json()["forecasts"][0]
    assert "lstm" in forecast["backtest"]["candidates"]
    # Its origins are all out of sample for this series, so it is scored on every one of them.
    assert forecast["backtest"]["origins"] == 3


def test_combination_weights_fall_off_exponentially_with_relative_error() -> None:
    # exp(-(MASE / best - 1) / 0.1): 1.0 -> 1, 1.1 -> e^-1, 2.0 -> e^-10; then normalised.
    raw = np.array([1.0, math.exp(-1.0), math.exp(-10.0)])
    assert combination.combination_weights([0.5, 0.55, 1.0]) == pytest.approx(raw / raw.sum())
    # A perfect backtest (zero error) takes all the weight instead of dividing by zero.
    assert combination.combination_weights([0.0, 0.2]) == pytest.approx([1.0, 0.0])
    # Members of the weighted mean: weight before normalising >= 1 %, i.e. error at most
    # 1 + 0.1 * ln(100) = 1.46 times the best; the median always takes the best three.
    errors: dict[Any, float] = {"ets": 1.0, "mstl": 1.4, "theta": 1.5, "naive": 3.0}
    ranked: list[Any] = ["ets", "mstl", "theta", "naive"]
    assert combination.combination_members("ensemble_mean", ranked, errors) == ["ets", "mstl"]
    assert combination.combination_members("ensemble_median", ranked, errors) == ranked[:3]
    # The weighted mean of two rows with those weights (1 and e^-4 for mstl).
    w = np.array([1.0, math.exp(-4.0)]) / (1.0 + math.exp(-4.0))
    rows = [np.array([1.0, 2.0]), np.array([3.0, 6.0])]
    assert combination.combine("ensemble_mean", rows, [1.0, 1.4]) == pytest.approx(
        w[0] * rows[0] + w[1] * rows[1]
    )


def test_linear_carries_a_persistent_deviation_into_the_first_hours() -> None:
    # As for ETS and MSTL: an AR(1) disturbance (phi 0.95) 5 above its mean at the origin. The
    # regression learns the lag-1 weight from the history and keeps most of the deviation.
    rng = np.random.default_rng(11)
    n = 24 * 42
    base = np.asarray(daily_weekly(n, noise=0.0, weekly=3.0))
    ar = np.zeros(n)
    for i in range(1, n):
        ar[i] = 0.95 * ar[i - 1] + rng.normal(0, 0.5)
    t = 24 * 40
    ar[t - 1] = 5.0
    forecast = models.linear(base + ar, [t], 24)[0]
    assert 3.0 < forecast[0] - base[t] < 6.0


def test_the_lowest_backtest_error_wins_and_a_tie_goes_to_the_combination() -> None:
    # Default (margin 1): a combination answers whenever there is one, even against a single
    # model with half its error; the better of the two combinations.
    assert (
        choose_by_error({"ets": 0.5, "ensemble_median": 0.95, "ensemble_mean": 1.0})
        == "ensemble_median"
    )
    # Without a margin, ETS 0.94 below the best combination's 0.95 answers.
    no_margin = {"ets": 0.94, "ensemble_median": 0.95, "ensemble_mean": 1.0}
    assert choose_by_error(no_margin, margin=0.0) == "ets"
    # A tie between a single model and a combination goes to the combination.
    assert choose_by_error({**no_margin, "ets": 0.95}, margin=0.0) == "ensemble_median"
    assert choose_by_error({"ets": 1.0, "ensemble_mean": 1.0}, margin=0.0) == "ensemble_mean"
    # A combination that is best simply wins.
    assert choose_by_error({"mstl": 0.6, "ensemble_mean": 0.5}) == "ensemble_mean"
    # Without combinations it is the plain minimum (the simpler model on a tie).
    assert choose_by_error({"ets": 1.0, "naive": 1.0, "mstl": 2.0}) == "naive"
    # With a 10 % margin (the rule the benchmark's dense origins did not support):
    # 0.85 < 0.9 * 0.95 = 0.855, so ETS; 0.86 is not clear enough, so the combination.
    errors = {"ets": 0.85, "ensemble_median": 0.95, "ensemble_mean": 1.0}
    assert choose_by_error(errors, margin=0.1) == "ets"
    assert choose_by_error({**errors, "ets": 0.86}, margin=0.1) == "ensemble_median"


def test_procedure_errors_rerun_the_choice_without_each_origin() -> None:
    # Four origins, one lead, actual 0. A forecasts 1 everywhere; B 0.5 except 5 at the last.
    # Origin 3 left out: A 1, B 0.5; median (= mean of two) 0.75, 1/error-weighted mean
    # (2B + A) / 3 = 0.667; B's 0.5 is lower, so B, whose error there is -5.
    # Origin 0 left out: A 1, B (0.5 + 0.5 + 5) / 3 = 2; median 1.5, weighted mean
    # (A + B / 2) / 1.5 = 1.333; A's 1 is lower, so A: error -1 (origins 1, 2 alike).
    origins = [10, 11, 12, 13]
    a = np.ones((4, 1))
    b = np.array([[0.5], [0.5], [0.5], [5.0]])
    scores: dict[Any, CandidateScore] = {
        "naive": CandidateScore("naive", 1.0, origins, a, -a),
        "ets": CandidateScore("ets", 1.625, origins, b, -b),
    }
    errors = procedure_errors(scores, scores["naive"])
    assert errors[:, 0] == pytest.approx([-1.0, -1.0, -1.0, -5.0])


def test_recency_weights_halve_per_week_of_age() -> None:
    # Origins 14, 7 and 0 days before the last: 0.25, 0.5, 1 before normalising (sum 1.75).
    weights = selector.recency_weights([0, 168, 336])
    assert weights == pytest.approx([1 / 7, 2 / 7, 4 / 7])
    # Mean |error| per origin 2, 0, 1 over scale 2: (2/7 * 0 + 1/7 * 2 + 4/7 * 1) / 2 = 3/7.
    errors = np.array([[2.0, -2.0], [0.0, 0.0], [1.0, -1.0]])
    assert selector.weighted_mase(errors, [0, 168, 336], 2.0) == pytest.approx(3 / 7)


def test_backtest_ranks_a_recent_miss_below_an_old_one() -> None:
    # Two candidates on an all-zero series with two daily origins (192 and 216): "naive" misses by
    # 1 at the older origin only, "seasonal_naive_24" at the newer only. Equal plain means; with
    # the older origin weighted 0.5 ** (1 / 7) against 1, naive's score is q / (1 + q).
    values = np.zeros(240)
    series = selector.PreparedSeries(
        "s", values, {}, np.arange(240, dtype=np.float64), datetime(2024, 1, 1, tzinfo=UTC)
    )

    def missing_at(miss: int) -> selector.MultiForecaster:
        def run(_: selector.PreparedSeries, origins: Any, horizon: int) -> np.ndarray:
            return np.array([[1.0 if t == miss else 0.0] * horizon for t in origins])

        return run

    outcome = selector.backtest(
        series,
        {"naive": missing_at(192), "seasonal_naive_24": missing_at(216)},
        horizon=24,
        origin_count=2,
        ensembles=False,
    )
    q = 0.5 ** (1 / 7)
    assert outcome.scores["naive"].origins == [192, 216]
    assert outcome.scores["naive"].mase == pytest.approx(q / (1 + q))
    assert outcome.scores["seasonal_naive_24"].mase == pytest.approx(1 / (1 + q))
    assert selector.choose_model(outcome.scores) == "naive"
