"""Builders of synthetic hourly series and requests shared by the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

START = datetime(2024, 3, 4, tzinfo=UTC)  # A Monday, so weekly patterns line up with weekdays.


def stamps(n: int, start: datetime = START) -> list[str]:
    return [(start + timedelta(hours=i)).isoformat().replace("+00:00", "Z") for i in range(n)]


def daily_weekly(n: int, seed: int = 0, noise: float = 0.3, weekly: float = 2.0) -> list[float]:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = (
        10
        + 3 * np.sin(2 * np.pi * t / 24)
        + weekly * np.sin(2 * np.pi * t / 168)
        + rng.normal(0, noise, n)
    )
    return [float(v) for v in y]


def series(n: int, sid: str = "storj:node1", **kwargs: Any) -> dict[str, Any]:
    return {"id": sid, "timestamps": stamps(n), "values": daily_weekly(n, **kwargs)}


def forecast_body(n: int = 24 * 14, horizon: int = 24, **kwargs: Any) -> dict[str, Any]:
    return {"series": [series(n, **kwargs)], "horizon": horizon, "quantiles": [0.1, 0.5, 0.9]}
