"""Statistical forecasters: seasonal naive (lag 24 and 168), Holt-Winters ETS and Theta.

Every forecaster has the same signature, ``(history, horizon) -> point forecast``, so the
backtest can treat them uniformly. statsmodels is imported lazily because importing it costs about
a second and 160 MB, which the sidecar should not pay before it answers ``/health``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Forecaster = Callable[[FloatArray, int], FloatArray]


def seasonal_naive(history: FloatArray, horizon: int, lag: int) -> FloatArray:
    """Repeat the last ``lag`` values; step ``h`` copies the value ``lag`` hours before it."""
    if len(history) < lag:
        raise ValueError(f"seasonal naive lag {lag} needs {lag} values, got {len(history)}")
    last_cycle = history[-lag:]
    reps = -(-horizon // lag)
    return np.tile(last_cycle, reps)[:horizon].astype(np.float64)


def seasonal_naive_24(history: FloatArray, horizon: int) -> FloatArray:
    return seasonal_naive(history, horizon, 24)


def seasonal_naive_168(history: FloatArray, horizon: int) -> FloatArray:
    return seasonal_naive(history, horizon, 168)


def _finite_or_raise(forecast: FloatArray, name: str) -> FloatArray:
    if not np.all(np.isfinite(forecast)):
        raise ValueError(f"{name} produced non-finite values")
    return forecast


def ets(history: FloatArray, horizon: int) -> FloatArray:
    """Holt-Winters with additive daily seasonality and no trend.

    A trend term extrapolates badly over a day of hourly earnings (the notes measured damped-trend
    Holt-Winters worse than both seasonal naives on the Taylor series), so it is left out.
    """
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    if np.ptp(history) == 0.0:
        # A constant series makes the optimiser divide by zero; its forecast is the constant.
        return np.full(horizon, float(history[-1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ExponentialSmoothing(
            history,
            trend=None,
            seasonal="add",
            seasonal_periods=24,
            initialization_method="estimated",
        ).fit()
        forecast = np.asarray(fit.forecast(horizon), dtype=np.float64)
    return _finite_or_raise(forecast, "ets")


def theta(history: FloatArray, horizon: int) -> FloatArray:
    """Theta method with additive deseasonalisation at period 24.

    Additive, because earnings series can be zero, where multiplicative deseasonalising fails.
    """
    from statsmodels.tsa.forecasting.theta import ThetaModel

    if np.ptp(history) == 0.0:
        return np.full(horizon, float(history[-1]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = ThetaModel(history, period=24, deseasonalize=True, method="additive").fit()
        forecast = np.asarray(fit.forecast(horizon), dtype=np.float64)
    return _finite_or_raise(forecast, "theta")
