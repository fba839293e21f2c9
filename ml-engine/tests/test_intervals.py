"""The intervals' calibration: four weeks of origins, wider than the two-week choice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from orcha_ml.forecast import models, selector
from orcha_ml.forecast.selector import forecast_series
from orcha_ml.schemas import SeriesForecastV2, SeriesInput
from orcha_ml.settings import Settings

from .helpers import stamps


def _band_width(values: np.ndarray, settings: Settings) -> float:
    _, quantiles, _ = _forecast(values, settings)
    return float(np.mean(quantiles["0.9"] - quantiles["0.1"]))


def test_the_band_is_calibrated_on_four_weeks_not_two() -> None:
    # A stormy fortnight (noise 2.0) three to four weeks back, calm (noise 0.3) since: a two-week
    # backtest sees only calm days; the default four weeks also the stormy ones, so the band is
    # wider.
    rng = np.random.default_rng(5)
    t = np.arange(24 * 42)
    values = 10 + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0.0, 0.3, len(t))
    stormy = slice(len(t) - 24 * 28, len(t) - 24 * 15)
    values[stormy] += rng.normal(0.0, 2.0, 24 * 13)
    model_dir = Path("/nonexistent")
    default = Settings(model_dir=model_dir)
    assert default.calibration_origins == default.backtest_origins == 28
    four_weeks = _band_width(values, default)
    two_weeks = _band_width(
        values, Settings(model_dir=model_dir, backtest_origins=14, calibration_origins=14)
    )
    assert four_weeks > 1.3 * two_weeks
    # A two-week choice with a four-week calibration (the second backtest) widens it the same way.
    wider = _band_width(values, Settings(model_dir=model_dir, backtest_origins=14))
    assert wider > 1.3 * two_weeks


def _answer(values: np.ndarray, settings: Settings | None = None) -> SeriesForecastV2:
    return forecast_series(
        SeriesInput(id="s", timestamps=stamps(len(values)), values=values.tolist()),
        horizon=24,
        quantiles=[0.1, 0.5, 0.9],
        settings=settings or Settings(model_dir=Path("/nonexistent")),
        lstm=None,
    )


def _forecast(
    values: np.ndarray, settings: Settings | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray], str]:
    answer = _answer(values, settings)
    quantiles = {k: np.asarray(v) for k, v in answer.quantiles.items()}
    return np.asarray(answer.point), quantiles, answer.note


def test_an_intermittent_series_answers_with_its_median_and_never_below_zero(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The seasonal median already forecasts a median (zero on these hours) and would carry the
    # combination; without it the candidates forecast means, the case the rule is for.
    monkeypatch.delitem(models.STATISTICAL, "seasonal_median")
    # Sales-like counts: most hours zero, a few bursts (Golem rentals look the same).
    rng = np.random.default_rng(8)
    values = np.where(rng.random(24 * 42) < 0.25, rng.poisson(6.0, 24 * 42) + 1.0, 0.0)
    answer = _answer(values)
    # The backtest score reported is the moved point's (lower on mostly-zero hours), not the
    # combination's, which stays among the candidates.
    assert answer.backtest is not None
    combined = answer.backtest.candidates[answer.model]
    assert answer.backtest.mase < combined
    assert f"MASE {answer.backtest.mase:.3f}" in answer.note
    point, quantiles, note = _forecast(values)
    assert np.array_equal(point, quantiles["0.5"])
    assert "the point is the calibrated median" in note
    assert min(float(q.min()) for q in quantiles.values()) >= 0.0
    assert float(quantiles["0.1"].min()) == 0.0  # The band reached below zero and was clipped.
    # The candidates' mean (TSB, smoothing levels) sits above the median of mostly-zero hours.
    assert float(point.mean()) < float(np.mean(values[values > 0])) * 0.25


def test_a_series_that_goes_negative_keeps_its_band_and_its_combined_point() -> None:
    rng = np.random.default_rng(9)
    t = np.arange(24 * 42)
    values = 0.5 * np.sin(2 * np.pi * t / 24) + rng.normal(0.0, 0.4, len(t))
    point, quantiles, note = _forecast(values)
    assert float(quantiles["0.1"].min()) < 0.0
    assert not np.array_equal(point, quantiles["0.5"])
    assert "calibrated median" not in note


def test_the_choice_uses_four_weeks_of_origins_where_every_candidate_fits_before_them() -> None:
    needs = [models.STATISTICAL[name][1] for name in ("mstl", "linear", "ets")]  # linear: 504 h
    # Eight weeks: room for 35 origins after the linear model's three weeks; 28 are wanted.
    assert selector.choice_origins(24 * 56, 28, needs) == 28
    # Six weeks: 21 origins leave every candidate its history before the oldest one.
    assert selector.choice_origins(24 * 42, 28, needs) == 21
    # Under five weeks: still the 14 used before, the linear model missing the oldest.
    assert selector.choice_origins(24 * 29, 28, needs) == 14
    assert selector.choice_origins(24 * 3, 28, needs) == 14
    assert selector.choice_origins(24 * 56, 5, needs) == 5  # never more than asked for
    # End to end: a six-week history is backtested on 21 daily origins, all models on each.
    rng = np.random.default_rng(2)
    t = np.arange(24 * 42)
    values = 10 + 3 * np.sin(2 * np.pi * t / 24) + rng.normal(0.0, 0.5, len(t))
    answer = _answer(values)
    assert answer.backtest is not None
    assert answer.backtest.origins == 21
    assert "linear" in answer.backtest.candidates
