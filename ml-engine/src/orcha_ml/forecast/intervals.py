"""Conformal prediction intervals from backtest errors, scaled to each lead.

Split-conformal quantiles of out-of-sample backtest errors (``conformal_offsets``), the
leave-one-origin-out check of their coverage (``loo_coverage``) and the in-sample fallback when
there is no backtest. What the errors are (the choose-then-forecast procedure's, on how many
origins) is decided in ``selector``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

LEAD_POOL = 3
"""The typical error size of lead h is the mean |error| of leads h-3..h+3."""


def _conformal_level(q: float, m: int) -> float:
    """Finite-sample split-conformal level: the ceil((m+1)q)-th (or floor, below the median)."""
    if q > 0.5:
        return min(1.0, math.ceil((m + 1) * q) / m)
    if q < 0.5:
        return max(0.0, math.floor((m + 1) * q) / m)
    return 0.5


def _quantiles(sample: FloatArray, levels: list[float]) -> FloatArray:
    if sample.size == 0:
        return np.zeros(len(levels))
    adjusted = [_conformal_level(q, sample.size) for q in levels]
    return np.asarray(np.quantile(sample, adjusted, method="inverted_cdf"), dtype=np.float64)


def conformal_offsets(
    errors: FloatArray, levels: list[float], horizon: int, *, cumulative: bool = False
) -> FloatArray:
    """Offsets (len(levels), horizon) to add to the point forecast.

    ``errors`` is (origins, scored leads). For values, every lead's errors are divided by that
    lead's typical size s_h (the mean |error| of leads h-3..h+3, clipped at both ends), all leads
    are pooled, and the split-conformal quantile of the pooled scores (finite-sample corrected)
    is multiplied back by s_h. A lead on its own has only one error per origin, too few for a
    10 % tail; pooled after per-lead scaling, the quantile rests on origins x leads scores while
    the band keeps each lead's width. Leads past the scored ones grow with sqrt(h / scored). For
    running totals the errors are accumulated along the path, divided by sqrt(lead) and pooled,
    and the offsets grow with sqrt(lead).
    """
    hb = errors.shape[1]
    steps = np.arange(1, horizon + 1, dtype=np.float64)
    if cumulative:
        normalised = np.cumsum(errors, axis=1) / np.sqrt(np.arange(1, hb + 1))
        base = _quantiles(normalised.ravel(), levels)
        return np.asarray(base[:, None] * np.sqrt(steps)[None, :], dtype=np.float64)
    lead_index = np.clip(
        np.arange(hb)[:, None] + np.arange(-LEAD_POOL, LEAD_POOL + 1)[None, :], 0, hb - 1
    )
    size = np.mean(np.abs(errors[:, lead_index]), axis=(0, 2))  # (leads,)
    # A lead whose neighbourhood had no error at all keeps a zero-width band (not a 0/0).
    size = np.where(size > 1e-12, size, 0.0)
    safe = np.where(size > 0.0, size, 1.0)
    scores = (errors / safe[None, :])[:, size > 0.0].ravel()
    per_lead = _quantiles(scores, levels)[:, None] * size[None, :]  # (levels, leads)
    offsets = np.empty((len(levels), horizon))
    offsets[:, : min(horizon, hb)] = per_lead[:, : min(horizon, hb)]
    if horizon > hb:
        growth = np.sqrt(steps[hb:] / hb)
        offsets[:, hb:] = offsets[:, hb - 1 : hb] * growth[None, :]
    return offsets


def loo_coverage(errors: FloatArray, low: float, high: float, *, cumulative: bool) -> float | None:
    """Share of each origin's errors inside the interval calibrated on the other origins."""
    count, hb = errors.shape
    if count < 3 or not low < high:
        return None
    inside = 0
    for i in range(count):
        rest = np.delete(errors, i, axis=0)
        offsets = conformal_offsets(rest, [low, high], hb, cumulative=cumulative)
        target = np.cumsum(errors[i]) if cumulative else errors[i]
        inside += int(np.sum((target >= offsets[0]) & (target <= offsets[1])))
    return float(inside / (count * hb))


def fallback_errors(values: FloatArray) -> FloatArray:
    """Errors that set the width when there is no backtest: in-sample seasonal-naive errors."""
    if len(values) >= 48:
        diffs = values[24:] - values[:-24]
    else:
        diffs = values - np.median(values)
    return np.asarray(diffs, dtype=np.float64).reshape(-1, 1)


def quantile_paths(
    point: FloatArray, residuals: FloatArray, quantiles: list[float], scored_horizon: int
) -> dict[str, list[float]]:
    """Point forecast plus conformal quantiles of pooled residuals, widened by sqrt(h) past the
    scored span (used when there is no per-lead backtest).

    Sorting the levels and accumulating a running maximum keeps p10 <= p50 <= p90 even when float
    rounding would break the order that the quantiles already have.
    """
    levels = sorted(quantiles)
    base = _quantiles(residuals.ravel(), levels)
    steps = np.arange(1, len(point) + 1, dtype=np.float64)
    growth = np.sqrt(np.maximum(steps / max(scored_horizon, 1), 1.0))
    return paths_from_offsets(point, base[:, None] * growth[None, :], levels)


def paths_from_offsets(
    point: FloatArray, offsets: FloatArray, levels: list[float]
) -> dict[str, list[float]]:
    paths = np.maximum.accumulate(point[None, :] + offsets, axis=0)
    return {quantile_key(q): paths[i].tolist() for i, q in enumerate(levels)}


def quantile_key(q: float) -> str:
    return repr(float(q))


def never_negative(history: FloatArray) -> bool:
    """Whether a history never went below zero (earnings, counts, irradiance, rain)."""
    return bool(history.size) and float(np.min(history)) >= 0.0


def bounded_by_history(
    point: FloatArray,
    paths: dict[str, list[float]],
    *,
    nonnegative: bool,
    intermittent: bool,
) -> tuple[FloatArray, dict[str, list[float]]]:
    """The point and quantile paths of a rate series, kept to what the history says is possible.

    - A history that never went below zero (``nonnegative``, see ``never_negative``) has its
      point and quantiles clipped at zero: a forecast below the lowest possible value is never
      closer to the outcome, and a p10 below zero is not a quantile of anything that can happen.
    - An intermittent history (``intermittent``: many hours exactly zero) answers with the
      calibrated p50 as its point. The candidates forecast a mean (TSB's rate x size, smoothing
      models' levels), but with most hours zero the errors are skewed and the absolute error
      that MASE and an operator's "typical miss" measure is smallest at the median (Kolassa 2016
      on intermittent demand). Elsewhere the median offset is noise around zero, so the point is
      left as the combination made it.
    """
    key = quantile_key(0.5)
    if intermittent and key in paths:
        point = np.asarray(paths[key], dtype=np.float64)
    if nonnegative:
        point = np.maximum(point, 0.0)
        paths = {k: np.maximum(np.asarray(v), 0.0).tolist() for k, v in paths.items()}
    return point, paths


def median_point_errors(errors: FloatArray, actual: FloatArray, *, nonnegative: bool) -> FloatArray:
    """Backtest errors of the point that ``bounded_by_history`` answers for an intermittent
    series: at each origin, the forecast moved by the median offset calibrated on the *other*
    origins (and clipped at zero for a non-negative history), so the backtest score reported
    is that of the point the caller receives, not of the combination before the move."""
    count, hb = errors.shape
    rows = []
    for i in range(count):
        offset = conformal_offsets(np.delete(errors, i, axis=0), [0.5], hb)[0]
        forecast = actual[i] - errors[i] + offset
        if nonnegative:
            forecast = np.maximum(forecast, 0.0)
        rows.append(actual[i] - forecast)
    return np.asarray(rows, dtype=np.float64)
