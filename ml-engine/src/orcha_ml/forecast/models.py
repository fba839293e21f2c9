"""Fast statistical forecasters that score every rolling origin in one pass.

Every model here has the signature ``(values, origins, horizon) -> (len(origins), horizon)``: row
``i`` forecasts ``values[t : t + horizon]`` for ``t = origins[i]`` and may only read
``values[:t]``. A backtest over many origins therefore costs about one fit, which is what keeps
``/v1/forecast`` for several 8-week series well under a second on two shared cores.

Why not a package: statsmodels (ExponentialSmoothing, ThetaModel, MSTL) takes 0.1-0.27 s per fit
and statsforecast 2.1.1 (AutoETS, AutoTheta, MSTL) 0.3-1.1 s per fit plus 1.8 s and ~200 MiB to
import (numba); a backtest refits each model at every origin, so either package would need 10-50 s
per request. The methods are the textbook ones (Hyndman & Athanasopoulos, FPP3 ch. 8 and 12;
Hyndman & Billah 2003 for Theta; Teunter, Syntetos & Babai 2011 for TSB), written with numpy and
``scipy.signal.lfilter``.

Parameters (smoothing weights, AR(1) coefficients, ETS's weekly adjustment) are chosen on data
before the first origin only, so the scores are honest out-of-sample numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

FloatArray = NDArray[np.float64]
MultiOriginForecaster = Callable[[FloatArray, Sequence[int], int], FloatArray]

DAY = 24
WEEK = 168
FIT_WINDOW = 8 * WEEK
"""Hours of history each model looks at (older data is ignored)."""

ETS_ALPHAS = [0.02, 0.05, 0.1, 0.2, 0.4]
ETS_GAMMAS = [0.01, 0.05, 0.15, 0.3]
"""ETS's grid of level (a) and seasonal (g) smoothing weights."""
ALPHAS = np.array([0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9])


def _check(values: FloatArray, origins: Sequence[int], need: int) -> None:
    if len(origins) == 0:
        raise ValueError("no origins")
    if min(origins) < need:
        raise ValueError(f"needs {need} values before every origin, got {min(origins)}")
    if max(origins) > len(values):
        raise ValueError("origin beyond the end of the series")


def seasonal_naive(lag: int) -> MultiOriginForecaster:
    def run(values: FloatArray, origins: Sequence[int], horizon: int) -> FloatArray:
        _check(values, origins, lag)
        steps = np.arange(horizon)
        rows = [values[t - lag + (steps % lag)] for t in origins]
        return np.asarray(rows, dtype=np.float64)

    return run


def naive(values: FloatArray, origins: Sequence[int], horizon: int) -> FloatArray:
    """Random walk: the last value, held flat (level series with little daily structure)."""
    _check(values, origins, 1)
    return np.asarray([np.full(horizon, values[t - 1]) for t in origins], dtype=np.float64)


# --------------------------------------------------------------------------- exponential smoothing


def ses_levels(x: FloatArray, alphas: FloatArray) -> FloatArray:
    """Levels of simple exponential smoothing for several alphas: shape (len(alphas), len(x)).

    ``out[k, i]`` is the level after observing ``x[: i + 1]``; initialised at ``x[0]``.
    """
    out = np.empty((len(alphas), len(x)))
    for k, alpha in enumerate(alphas):
        zi = np.array([(1.0 - alpha) * x[0]])
        out[k], _ = lfilter([alpha], [1.0, -(1.0 - alpha)], x, zi=zi)
    return out


def best_ses_alpha(x: FloatArray, lead: int = 1) -> float:
    """Alpha with the lowest in-sample ``lead``-step-ahead squared error."""
    if len(x) <= lead + 2:
        return 0.2
    levels = ses_levels(x, ALPHAS)
    errors = x[None, lead:] - levels[:, :-lead]
    sse = np.mean(errors[:, len(x) // 4 :] ** 2, axis=1)
    return float(ALPHAS[int(np.argmin(sse))])


def _ar1_coefficients(residuals: FloatArray) -> FloatArray:
    """Least-squares lag-1 coefficient of each column, clipped to [0, 0.99] (0 when too short)."""
    if len(residuals) < 3:
        return np.zeros(residuals.shape[1])
    denom = np.sum(residuals[:-1] ** 2, axis=0)
    num = np.sum(residuals[1:] * residuals[:-1], axis=0)
    phi = np.where(denom > 1e-12, num / np.maximum(denom, 1e-300), 0.0)
    return np.asarray(np.clip(phi, 0.0, 0.99), dtype=np.float64)


def ets(values: FloatArray, origins: Sequence[int], horizon: int) -> FloatArray:
    """Additive Holt-Winters ETS(A,N,A) with period 24, error-correction form, on the series
    with its day-of-week profile removed, plus an AR(1) term on the residuals.

    ``l_t = l_{t-1} + a*e_t``, ``s_t = s_{t-24} + g*e_t``. (a, g) is chosen from a grid by the
    mean absolute error of 1..24-hour forecasts from daily pseudo-origins before the first origin
    (multi-step tuning: one-step tuning on hourly data picks jumpy weights that forecast a day
    ahead badly). All grid points run in one vectorised pass.

    Two additions make it the daily + weekly model of Taylor (2003) in MSTL's form:
    - ``_weekly_adjustment`` (the day-of-week part of the weekly profile, shrunk towards zero when
      it is mostly noise) is estimated on the data before the first origin, removed before the
      recursions and added back to the forecasts, so a weekday/weekend series is not forecast
      with one daily shape, and a series without a weekly cycle keeps plain ETS.
    - The residual after each update is autocorrelated (a load above profile stays above it for
      some hours); ``phi**h`` times the last residual is added, ``phi`` the least-squares lag-1
      coefficient of the residuals before the first origin, clipped to [0, 0.99].
    """
    _check(values, origins, 2 * DAY)
    start = max(0, min(origins) - FIT_WINDOW)
    rel = [t - start for t in origins]
    raw = values[start:]
    weekly = _weekly_adjustment(raw[: min(rel)], start)
    week_of = (start + np.arange(len(raw))) % WEEK
    y = raw - weekly[week_of] if weekly is not None else raw
    grid_a, grid_g = np.meshgrid(ETS_ALPHAS, ETS_GAMMAS)
    a, g = grid_a.ravel(), grid_g.ravel()
    k = len(a)
    level = np.full(k, np.mean(y[:DAY]))
    season = np.tile((y[:DAY] - np.mean(y[:DAY]))[:, None], (1, k))  # index: hour mod 24
    tune_end = min(rel)
    pseudo = set(range(2 * DAY, tune_end - DAY + 1, DAY))
    wanted = set(rel) | pseudo
    states: dict[int, tuple[FloatArray, FloatArray]] = {}
    n = len(y)
    # Residual after each update (data minus updated level and season): its AR(1) part is
    # carried into the first hours, as in MSTL (Taylor 2003 adds it to Holt-Winters).
    residual = np.zeros((n, k))
    for t in range(DAY, n + 1):
        if t in wanted:
            states[t] = (level.copy(), season.copy())
        if t == n:
            break
        e = y[t] - level - season[t % DAY]
        level = level + a * e
        season[t % DAY] = season[t % DAY] + g * e
        residual[t] = y[t] - level - season[t % DAY]
    steps = np.arange(horizon)
    phi = _ar1_coefficients(residual[max(DAY, tune_end // 4) : tune_end])
    decay = phi[None, :] ** (steps[:, None] + 1)  # (horizon, k)

    def path(t: int, idx: int | slice) -> FloatArray:
        lv, se = states[t]
        out = lv[idx] + se[(t + steps) % DAY][:, idx] + decay[:, idx] * residual[t - 1, idx]
        if weekly is not None:
            week = weekly[(start + t + steps) % WEEK]
            out = out + (week[:, None] if out.ndim == 2 else week)
        return np.asarray(out, dtype=np.float64)

    if pseudo:
        err = np.zeros(k)
        for t in pseudo:
            err += np.mean(np.abs(path(t, slice(None))[:DAY].T - raw[t : t + DAY]), axis=1)
        best = int(np.argmin(err))
    else:
        best = int(np.argmin(np.abs(a - 0.1) + np.abs(g - 0.05)))
    return np.stack([path(t, best) for t in rel])


# --------------------------------------------------------------------------- decomposition


def _weekly_adjustment(x: FloatArray, start: int) -> FloatArray | None:
    """The day-of-week part of ``x``'s weekly profile (length 168), shrunk towards zero.

    ETS at period 24 cannot tell a Sunday from a Monday; this profile is removed before ETS runs
    and added back to its forecasts (the weekly step of MSTL, with ETS on the rest). The daily
    profile is removed first and each hour's mean across weekdays is taken out again, so the
    adjustment carries only the differences between days and the daily shape stays ETS's (which
    adapts it). ``shrink`` scales it towards zero when it is mostly estimation noise, so a series
    without a weekly cycle is left as it was. None with under two weeks of data.
    """
    if len(x) < 2 * WEEK:
        return None
    pos = start + np.arange(len(x))
    daily = seasonal_profile(x, DAY, offset=start)
    weekly = seasonal_profile(x - daily[pos % DAY], WEEK, offset=start, shrink=True)
    by_hour = weekly.reshape(WEEK // DAY, DAY).mean(axis=0)
    return np.asarray(weekly - np.tile(by_hour, WEEK // DAY), dtype=np.float64)


def _moving_average(x: FloatArray, width: int) -> FloatArray:
    """Centred moving average ('valid' part only); even widths use the 2 x width convention."""
    if width % 2 == 0:
        kernel = np.concatenate([[0.5], np.ones(width - 1), [0.5]]) / width
    else:
        kernel = np.ones(width) / width
    return np.convolve(x, kernel, mode="valid")


def seasonal_profile(
    x: FloatArray, period: int, *, offset: int = 0, shrink: bool = False
) -> FloatArray:
    """Additive seasonal indices of ``x`` (classical decomposition), mean zero, length ``period``.

    Index ``j`` belongs to positions ``p`` with ``(offset + p) % period == j``. With ``shrink`` the
    indices are multiplied by the James-Stein factor ``max(0, 1 - noise / spread)``: ``spread``
    is the mean square of the indices and ``noise`` the mean squared standard error of an index
    (the variance of its detrended values over its count). A profile estimated from few cycles of
    a series without that cycle (a weekly profile of temperatures: each index averages about seven
    different weather days) is then mostly noise and is scaled towards zero instead of being
    forecast as if it were a pattern; a clear profile keeps nearly all of its size.
    """
    trend = _moving_average(x, period)
    half = (len(x) - len(trend)) // 2
    detrended = x[half : half + len(trend)] - trend
    positions = (offset + half + np.arange(len(detrended))) % period
    sums = np.bincount(positions, weights=detrended, minlength=period)
    counts = np.bincount(positions, minlength=period)
    means = np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)
    profile = means - means.mean()
    if shrink:
        squares = np.bincount(
            positions, weights=(detrended - means[positions]) ** 2, minlength=period
        )
        usable = counts > 1
        if usable.any():
            noise = float(np.mean(squares[usable] / (counts[usable] - 1) / counts[usable]))
            spread = float(np.mean(profile**2))
            profile = profile * (max(0.0, 1.0 - noise / spread) if spread > 0.0 else 0.0)
    return np.asarray(profile, dtype=np.float64)


def _theta_path(x: FloatArray, horizon: int) -> FloatArray:
    """Theta method (SES with drift equal to half the linear-trend slope) on a deseasonalised x."""
    alpha = best_ses_alpha(x)
    level = ses_levels(x, np.array([alpha]))[0, -1]
    n = len(x)
    slope = float(np.polyfit(np.arange(n, dtype=np.float64), x, 1)[0]) if n > 2 else 0.0
    h = np.arange(1, horizon + 1, dtype=np.float64)
    drift = 0.5 * slope * (h - 1 + 1 / alpha - (1 - alpha) ** n / alpha)
    return np.asarray(level + drift, dtype=np.float64)


def theta(values: FloatArray, origins: Sequence[int], horizon: int) -> FloatArray:
    """Theta on deseasonalised data: the daily profile and ETS's day-of-week adjustment are
    removed additively (additive: earnings can be zero) and added back to the forecast. Theta is
    defined on seasonally adjusted data; with the daily profile alone, a weekday/weekend series
    left its weekly cycle in the 'trend' that Theta extrapolates."""
    _check(values, origins, 2 * DAY)
    rows = []
    for t in origins:
        start = max(0, t - 4 * WEEK)
        x = values[start:t]
        pos = start + np.arange(len(x))
        fut = t + np.arange(horizon)
        profile = seasonal_profile(x, DAY, offset=start)
        seasonal = profile[pos % DAY]
        future = profile[fut % DAY]
        weekly = _weekly_adjustment(x, start)
        if weekly is not None:
            seasonal = seasonal + weekly[pos % WEEK]
            future = future + weekly[fut % WEEK]
        rows.append(_theta_path(x - seasonal, horizon) + future)
    return np.asarray(rows, dtype=np.float64)


def _decaying_deviation(deviation: FloatArray, horizon: int) -> FloatArray:
    """AR(1) forecast of the deviation from the level: ``phi**h * last deviation``.

    The remainder of a seasonal decomposition is autocorrelated (a warm day stays warm for some
    hours, a load above profile stays above it); a slow level tuned for a day ahead ignores that
    in the first hours. ``phi`` is the least-squares lag-1 coefficient, clipped to [0, 0.99] so
    the correction only fades (Taylor 2003 adds the same AR(1) term to double seasonal
    exponential smoothing).
    """
    d = deviation[len(deviation) // 4 :]
    if len(d) < 3:
        return np.zeros(horizon)
    denom = float(np.dot(d[:-1], d[:-1]))
    phi = float(np.dot(d[1:], d[:-1]) / denom) if denom > 1e-12 else 0.0
    phi = min(max(phi, 0.0), 0.99)
    return np.asarray(deviation[-1] * phi ** np.arange(1, horizon + 1), dtype=np.float64)


def mstl(values: FloatArray, origins: Sequence[int], horizon: int) -> FloatArray:
    """Multiple seasonal decomposition (weekly, then daily) with ETS(A,N,N) on the remainder.

    The structure of MSTL (Bandara, Hyndman & Bergmeir 2021) with classical moving-average
    seasonal estimates instead of loess: the weekly profile needs two full weeks, the daily one
    two days; the deseasonalised series is forecast with simple exponential smoothing, the same
    trend forecaster statsforecast's MSTL uses by default (an ETS without seasonality). The
    remainder's deviation from that level is carried into the first hours by an AR(1) term (the
    level is tuned for a day ahead, so on its own it would drop the current deviation at once).
    """
    _check(values, origins, 2 * WEEK)
    rows = []
    for t in origins:
        start = max(0, t - FIT_WINDOW)
        x = values[start:t]
        pos = start + np.arange(len(x))
        weekly = seasonal_profile(x, WEEK, offset=start)
        rest = x - weekly[pos % WEEK]
        daily = seasonal_profile(rest, DAY, offset=start)
        # A second pass re-estimates the weekly part with the daily one removed (STL's inner loop).
        weekly = seasonal_profile(x - daily[pos % DAY], WEEK, offset=start, shrink=True)
        remainder = x - weekly[pos % WEEK] - daily[pos % DAY]
        alpha = best_ses_alpha(remainder, lead=DAY)
        levels = ses_levels(remainder, np.array([alpha]))[0]
        future = t + np.arange(horizon)
        rows.append(
            levels[-1]
            + _decaying_deviation(remainder - levels, horizon)
            + weekly[future % WEEK]
            + daily[future % DAY]
        )
    return np.asarray(rows, dtype=np.float64)


SEASONAL_MEDIAN_HALF_LIFE_DAYS = 7.0
"""Day ``d`` before the origin weighs ``0.5 ** (d / 7)`` in the seasonal median: the shape of a
solar day drifts with the season, so recent days describe tomorrow's better than eight weeks'."""


def _weighted_median_columns(block: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted median of each column of ``block`` (rows weighted by ``weights``): the smallest
    value whose rows, counted from the lowest, carry at least half the weight."""
    order = np.argsort(block, axis=0, kind="stable")
    cumulative = np.cumsum(weights[order], axis=0)
    first = np.argmax(cumulative >= 0.5 * cumulative[-1], axis=0)
    rows = order[first, np.arange(block.shape[1])]
    return np.asarray(block[rows, np.arange(block.shape[1])], dtype=np.float64)


def seasonal_median(values: FloatArray, origins: Sequence[int], horizon: int) -> FloatArray:
    """Each hour of the next day: the recency-weighted median of that hour over the past days.

    The point that minimises absolute error is the median of the outcome (Gneiting 2011), and
    MASE is an absolute error. Yesterday's hour (seasonal naive 24) is one draw from that hour's
    distribution; the median of the last weeks' draws (day ``d`` before the origin weighs
    ``0.5 ** (d / 7)``) drops the one-off spikes of a pipeline's flow and the clouds of one day
    of solar output instead of repeating them, and follows a slow seasonal drift. ETS's
    day-of-week adjustment is taken out first and added back, so a weekday is not forecast from
    the weekend's hours (the adjustment shrinks to nothing on a series without a weekly cycle).
    """
    _check(values, origins, 2 * DAY)
    rows = []
    for t in origins:
        start = max(0, t - FIT_WINDOW)
        x = values[start:t]
        future = np.zeros(horizon)
        weekly = _weekly_adjustment(x, start)
        if weekly is not None:
            x = x - weekly[(start + np.arange(len(x))) % WEEK]
            future = weekly[(t + np.arange(horizon)) % WEEK]
        days = len(x) // DAY
        block = x[len(x) - days * DAY :].reshape(days, DAY)
        weights = 0.5 ** (np.arange(days - 1, -1, -1) / SEASONAL_MEDIAN_HALF_LIFE_DAYS)
        rows.append(_weighted_median_columns(block, weights)[np.arange(horizon) % DAY] + future)
    return np.asarray(rows, dtype=np.float64)


# --------------------------------------------------------------------------- direct regression

RIDGE_SHRINK = 0.01
"""Ridge penalty as a share of the mean diagonal of X'X (each lag's sum of squares): mild, so
the 49 weights are estimated from a few hundred overlapping rows without chasing their noise."""


def _lag_design(x: FloatArray, positions: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Features for forecasting ``x[s : s + DAY]`` from ``x[:s]`` at each position ``s``: the
    last day ``x[s-24 : s]`` and the same day a week earlier ``x[s-168 : s-144]``, both minus
    the local level (the last day's mean), plus a constant. Returns (features, levels)."""
    idx = positions.astype(np.int64)[:, None]
    day = x[idx - DAY + np.arange(DAY)[None, :]]
    week = x[idx - WEEK + np.arange(DAY)[None, :]]
    level = day.mean(axis=1)
    features = np.hstack([day - level[:, None], week - level[:, None], np.ones((len(idx), 1))])
    return features, level


def _ridge_day_ahead(x: FloatArray) -> FloatArray:
    """Weights (49, 24) of the direct ridge regression of the next day on ``_lag_design``,
    fitted on every hourly position of ``x`` whose next day is known."""
    positions = np.arange(WEEK, len(x) - DAY + 1, dtype=np.float64)
    features, level = _lag_design(x, positions)
    idx = positions.astype(np.int64)[:, None] + np.arange(DAY)[None, :]
    targets = x[idx] - level[:, None]
    gram = features.T @ features
    penalty = RIDGE_SHRINK * float(np.mean(np.diag(gram)[:-1]))
    ridge = np.diag(np.r_[np.full(features.shape[1] - 1, penalty), 0.0])  # constant unpenalised
    return np.asarray(np.linalg.solve(gram + ridge, features.T @ targets), dtype=np.float64)


def linear(values: FloatArray, origins: Sequence[int], horizon: int) -> FloatArray:
    """Direct multi-output linear regression of the next 24 hours on lags 1-24 and 145-168.

    A ridge regression fitted on every hourly position of up to eight weeks before the first
    origin (as ETS tunes its weights there: one fit for all origins, and every score stays out of
    sample) forecasts all 24 leads at once (the direct strategy: each lead has its own weights,
    so errors are not fed back). Inputs and targets are taken relative to the last day's mean, so
    the weights describe shape, not level: how much of yesterday's and of last week's profile to
    keep and how fast a deviation from them fades (the linear autoregression a seasonal ARIMA
    would fit, without its slow likelihood search). It keeps a level shift only as far as shifts
    persisted in the history it was fitted on. Past 24 hours the forecast day is appended to the
    history and the regression repeats.
    """
    _check(values, origins, 3 * WEEK)
    first = min(origins)
    weights = _ridge_day_ahead(values[max(0, first - FIT_WINDOW) : first])
    rows = []
    for t in origins:
        path = np.asarray(values[max(0, t - WEEK) : t], dtype=np.float64)
        known = len(path)
        while len(path) < known + horizon:
            features, level = _lag_design(path, np.array([float(len(path))]))
            path = np.concatenate([path, (features @ weights)[0] + level[0]])
        rows.append(path[known : known + horizon])
    return np.asarray(rows, dtype=np.float64)


# --------------------------------------------------------------------------- intermittent


def zero_share(values: FloatArray) -> float:
    return float(np.mean(np.abs(values) <= 1e-12)) if len(values) else 0.0


def tsb(values: FloatArray, origins: Sequence[int], horizon: int) -> FloatArray:
    """TSB (Teunter-Syntetos-Babai) for intermittent demand, with a daily occurrence profile.

    The size of non-zero hours is smoothed only when one occurs (as in Croston), the probability
    of a non-zero hour is smoothed every hour (TSB's fix for Croston's bias). Earnings that are
    paid at certain hours of the day get the hour-of-day share of non-zero hours as a
    multiplicative profile on the probability.
    """
    _check(values, origins, 2 * DAY)
    rows = []
    for t in origins:
        start = max(0, t - 4 * WEEK)
        x = values[start:t]
        nonzero = np.abs(x) > 1e-12
        occurrence = nonzero.astype(np.float64)
        if not nonzero.any():
            rows.append(np.zeros(horizon))
            continue
        sizes = x[nonzero]
        size = ses_levels(sizes, np.array([0.1]))[0, -1]
        prob = ses_levels(occurrence, np.array([0.05]))[0, -1]
        pos = (start + np.arange(len(x))) % DAY
        by_hour = np.bincount(pos, weights=occurrence, minlength=DAY) / np.maximum(
            np.bincount(pos, minlength=DAY), 1
        )
        mean_rate = occurrence.mean()
        shape = by_hour / mean_rate if mean_rate > 0 else np.ones(DAY)
        future = (t + np.arange(horizon)) % DAY
        rows.append(np.clip(prob * shape[future], 0.0, 1.0) * size)
    return np.asarray(rows, dtype=np.float64)


STATISTICAL: dict[str, tuple[MultiOriginForecaster, int]] = {
    "naive": (naive, 1),
    "seasonal_naive_24": (seasonal_naive(DAY), DAY),
    "seasonal_naive_168": (seasonal_naive(WEEK), WEEK),
    "ets": (ets, 2 * DAY),
    "theta": (theta, 2 * DAY),
    "mstl": (mstl, 2 * WEEK),
    "seasonal_median": (seasonal_median, 2 * DAY),
    "tsb": (tsb, 2 * DAY),
    "linear": (linear, 3 * WEEK),
}
"""Name -> (forecaster, history needed before an origin)."""
