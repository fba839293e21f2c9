"""The seasonal median candidate: weighted medians per hour, weekday-aware, robust to one-offs."""

from __future__ import annotations

import numpy as np
import pytest

from orcha_ml.forecast import models
from tests.helpers import daily_weekly


def test_weighted_median_of_each_column_matches_a_sort_by_hand() -> None:
    rng = np.random.default_rng(3)
    block = rng.normal(0.0, 1.0, (9, 5))
    weights = rng.uniform(0.1, 2.0, 9)
    got = models._weighted_median_columns(block, weights)
    for j in range(block.shape[1]):
        order = np.argsort(block[:, j])
        cumulative = np.cumsum(weights[order])
        expected = block[order, j][np.searchsorted(cumulative, cumulative[-1] / 2)]
        assert got[j] == expected
    # One row carrying more than half the weight is the median of every column.
    heavy = np.ones(9)
    heavy[4] = 20.0
    assert models._weighted_median_columns(block, heavy) == pytest.approx(block[4])


def test_a_one_off_day_is_not_repeated_tomorrow() -> None:
    day = np.maximum(0.0, np.sin(np.pi * (np.arange(24) - 6) / 12))  # solar-like: zero at night
    values = np.tile(day, 28) * 100.0
    t = len(values)
    values[t - 24 : t] *= 0.2  # yesterday was overcast
    values[t - 24 + 12] = 400.0  # and had one spike at noon
    forecast = models.seasonal_median(values, [t], 24)[0]
    repeat = models.seasonal_naive(24)(values, [t], 24)[0]
    clear = day * 100.0
    assert np.max(np.abs(forecast - clear)) < 1e-9
    assert np.mean(np.abs(repeat - clear)) > 20.0


def test_weekdays_are_not_forecast_from_weekend_hours() -> None:
    # Weekdays at 10, Saturdays and Sundays at 2, with a daily wave on top: a daily median
    # without the day-of-week adjustment would forecast about 10 for a Saturday.
    t = np.arange(24 * 56)
    weekend = (t // 24) % 7 >= 5  # the series starts on a Monday
    values = np.where(weekend, 2.0, 10.0) + np.sin(2 * np.pi * t / 24)
    origin = 24 * 54  # the origin is a Saturday midnight
    assert (origin // 24) % 7 == 5
    forecast = models.seasonal_median(values, [origin], 24)[0]
    assert np.mean(np.abs(forecast - values[origin : origin + 24])) < 1.0


def test_recent_days_outweigh_old_ones() -> None:
    # The daily shape moved three hours later three weeks ago: the recency weights (half-life a
    # week) put more than half of the weight on the last three weeks, so the median follows.
    hours = np.arange(24)
    old = np.exp(-0.5 * ((hours - 10) / 2.0) ** 2)
    new = np.exp(-0.5 * ((hours - 13) / 2.0) ** 2)
    values = np.concatenate([np.tile(old, 35), np.tile(new, 21)])
    forecast = models.seasonal_median(values, [len(values)], 24)[0]
    assert forecast == pytest.approx(new, abs=1e-9)


def test_noise_around_a_daily_wave_is_not_forecast() -> None:
    values = np.asarray(daily_weekly(24 * 56, seed=7, noise=1.0, weekly=0.0))
    truth = 10 + 3 * np.sin(2 * np.pi * np.arange(24 * 56, 24 * 57) / 24)
    median = models.seasonal_median(values, [len(values)], 24)[0]
    repeat = models.seasonal_naive(24)(values, [len(values)], 24)[0]
    assert np.mean(np.abs(median - truth)) < 0.5 * np.mean(np.abs(repeat - truth))
