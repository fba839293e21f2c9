"""How the candidates' forecasts are combined: the median of the best three, and the mean
weighted by backtest error, lead by lead.

The selector scores the candidates and decides which combination answers; this module only says
how a combination's members and weights follow from their backtest errors, so the backtest, the
calibration's rerun and the final forecast all combine the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from orcha_ml.schemas import ModelName

FloatArray = NDArray[np.float64]
ENSEMBLE_SIZE = 3
"""Members of the median combination: the best three (a median of more lets poor models in)."""
WEIGHT_TEMPERATURE = 0.1
"""The weighted mean gives candidate i the weight exp(-(MASE_i / best MASE - 1) / 0.1): a model
10 % worse than the best counts e^-1 = 0.37 as much, 30 % worse 0.05, twice as bad nothing to
speak of. Selection by a noisy backtest picks one of several near-equal models by luck; this
averages the near-equal ones and still follows one that is clearly best (the smooth form of
selection used in model averaging with Akaike weights)."""

LEAD_WINDOW: int | None = 6
"""The weighted mean weighs its members lead by lead: each member's backtest error at lead h is
its mean |error| over the origins and the leads h-6..h+6 (``lead_mases``), and the weights
(``combination_weights``' rule) are formed per lead from those. The backtest's origins are whole
days apart, so lead h is also one hour of the day: a persistence model (naive, ETS's level) may be
best for the next few hours while a seasonal profile is best for the hours after, or one model
is best at night and another by day; one weight per member averages them at every lead. On the
development aid of issue 17's ninth round (`bench.py --dev`, 54 series) one weight per member
scored 0.791 and windows of 1, 3, 6 and 12 leads 0.787, 0.784, 0.783 and 0.786 with
recency-weighted errors per lead, 6 leads 0.781 with plain means (``lead_mases``). Leads past the
backtest's (a forecast beyond 24 h) keep the last lead's weights. ``None`` restores one weight per
member."""


def lead_mases(errors: FloatArray, scale: float) -> FloatArray:
    """Mean |error| of each lead over the origins (``errors``: origins x leads) over ``scale``,
    averaged over the leads within ``LEAD_WINDOW`` of it (clipped at both ends).

    Unlike the overall score, every origin counts the same: a lead's error rests on one value per
    origin and member, so recency weights would leave too few (`--dev`, issue 17's ninth round:
    equal weights 0.781, half-life 14 days 0.782, 7 days 0.783)."""
    by_lead = np.mean(np.abs(errors), axis=0)
    hb = by_lead.shape[0]
    width = LEAD_WINDOW or 0
    index = np.clip(np.arange(hb)[:, None] + np.arange(-width, width + 1)[None, :], 0, hb - 1)
    return np.asarray(by_lead[index].mean(axis=1) / scale, dtype=np.float64)


def lead_weights(profiles: Sequence[FloatArray], length: int) -> FloatArray:
    """``combination_weights`` lead by lead: (members, length); leads past the profiles' length
    take the last one's weights."""
    weights = combination_weights(np.stack(profiles))  # (members, hb)
    hb = weights.shape[1]
    if length > hb:
        weights = np.concatenate([weights, np.repeat(weights[:, -1:], length - hb, axis=1)], axis=1)
    return np.asarray(weights[:, :length], dtype=np.float64)


def combination_weights(mases: Sequence[float] | FloatArray) -> FloatArray:
    """exp(-(MASE / best MASE - 1) / WEIGHT_TEMPERATURE), normalised to sum to 1 over the
    members (axis 0; a table of members x leads is weighted lead by lead)."""
    table = np.asarray(mases, dtype=np.float64)
    floor = np.maximum(table.min(axis=0), 1e-12)
    # Errors at or below the floor (a perfect backtest) all count as the best.
    relative = np.maximum(table, floor) / floor
    weights = np.exp(-(relative - 1.0) / WEIGHT_TEMPERATURE)
    return np.asarray(weights / weights.sum(axis=0), dtype=np.float64)


def combine(
    kind: ModelName,
    rows: list[FloatArray],
    mases: list[float],
    profiles: list[FloatArray] | None = None,
) -> FloatArray:
    """Median, or weighted mean, of the members' forecasts (rows: one per member, leads last).
    The mean's weights are ``combination_weights`` of the backtest MASEs, or, given each member's
    error per lead (``profiles``), those of each lead (``lead_weights``)."""
    stacked = np.stack(rows)
    if kind == "ensemble_median":
        return np.asarray(np.median(stacked, axis=0), dtype=np.float64)
    if profiles is not None and LEAD_WINDOW is not None:
        table = lead_weights(profiles, stacked.shape[-1])  # (members, leads)
        shape = (table.shape[0],) + (1,) * (stacked.ndim - 2) + (table.shape[1],)
        return np.asarray((table.reshape(shape) * stacked).sum(axis=0), dtype=np.float64)
    weights = combination_weights(mases)
    return np.asarray(np.tensordot(weights, stacked, axes=1), dtype=np.float64)


def combination_members(
    kind: ModelName,
    ranked: list[ModelName],
    errors: dict[ModelName, float],
    profiles: dict[ModelName, FloatArray] | None = None,
) -> list[ModelName]:
    """The best three for the median; for the weighted mean every candidate whose weight before
    normalising, exp(-(error / best - 1) / WEIGHT_TEMPERATURE), is at least 1 % (error at most
    about 46 % above the best) -- at some lead when ``profiles`` (error per lead) are given --
    so the members reported are the ones that count."""
    if kind == "ensemble_median":
        return ranked[:ENSEMBLE_SIZE]
    limit = 1.0 + WEIGHT_TEMPERATURE * math.log(100.0)
    if profiles is not None and LEAD_WINDOW is not None:
        table = np.stack([profiles[m] for m in ranked])  # (members, leads)
    else:
        table = np.array([[errors[m]] for m in ranked])  # (members, 1)
    floor = np.maximum(table.min(axis=0), 1e-12)
    return [m for m, row in zip(ranked, table, strict=True) if bool(np.any(row / floor <= limit))]
