"""The weighted-mean combination weighs its members lead by lead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import pytest

from orcha_ml.forecast import combination, selector
from orcha_ml.forecast.selector import PreparedSeries

HOURS = 24 * 40


def _series() -> PreparedSeries:
    rng = np.random.default_rng(3)
    values = 10.0 + rng.normal(0.0, 1.0, HOURS)
    return PreparedSeries(
        id="test",
        values=values,
        features={},
        epoch_hours=np.arange(HOURS, dtype=np.float64),
        last_time=datetime(2024, 4, 13, tzinfo=UTC),
    )


def _half_right(first_half: bool) -> selector.MultiForecaster:
    """Exact on one half of the day ahead and 4 too high on the other."""

    def run(series: PreparedSeries, origins: Sequence[int], horizon: int) -> np.ndarray:
        rows = np.stack([series.values[t : t + horizon] for t in origins]).copy()
        wrong = slice(horizon // 2, horizon) if first_half else slice(0, horizon // 2)
        rows[:, wrong] += 4.0
        return rows

    return run


def test_each_lead_follows_the_member_that_was_right_at_that_lead() -> None:
    # Two members with the same overall backtest error, one right on the first twelve hours
    # ahead, the other on the last twelve. One weight per member would average them (every
    # lead 2 off); weights per lead take each half from the member that gets it right.
    outcome = selector.backtest(
        _series(),
        {"ets": _half_right(True), "theta": _half_right(False)},
        horizon=24,
        origin_count=28,
    )
    singles = outcome.scores["ets"].mase
    assert outcome.scores["theta"].mase == pytest.approx(singles)
    blend = outcome.scores["ensemble_mean"]
    assert sorted(blend.members) == ["ets", "theta"]
    # Leads away from the switch (the profile averages leads within 6 of each) are nearly exact.
    far = np.r_[0:5, 19:24]
    assert np.max(np.abs(blend.errors[:, far])) < 0.05
    assert blend.mase < 0.3 * singles


def test_lead_profile_is_the_mean_error_averaged_over_neighbouring_leads() -> None:
    errors = np.zeros((2, 24))
    errors[1, 12] = -13.0  # Only the second origin, only lead 12.
    profile = combination.lead_mases(errors, scale=2.0)
    window = 2 * combination.LEAD_WINDOW + 1 if combination.LEAD_WINDOW else 1
    assert profile[12] == pytest.approx(13.0 / 2 / window / 2.0)
    assert profile[12 - window // 2] == profile[12] == profile[12 + window // 2]
    # Leads more than the window away never see it.
    assert profile[0] == 0.0 and profile[23] == 0.0


def test_leads_past_the_backtest_keep_the_last_scored_leads_weights() -> None:
    profiles = [np.array([1.0, 2.0]), np.array([2.0, 1.0])]
    table = combination.lead_weights(profiles, 4)
    assert table.shape == (2, 4)
    assert table.sum(axis=0) == pytest.approx(np.ones(4))
    assert table[0, 0] > 0.99 and table[1, 1] > 0.99
    assert table[:, 3] == pytest.approx(table[:, 1])
