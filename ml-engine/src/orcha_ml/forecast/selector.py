"""Rolling-origin backtest, per-series model selection and residual-based quantiles.

For each series the candidates (seasonal naive 24 h and 168 h, ETS, Theta and, when trained, the
LSTM) forecast from daily origins at the end of the history; the candidate with the lowest MASE
wins, is refitted on the whole history and answers. Intervals come from the winner's backtest
residuals, so they are as wide as its errors actually were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray

from orcha_ml.forecast import baselines
from orcha_ml.forecast.lstm import WINDOW, LstmForecaster
from orcha_ml.schemas import Backtest, ModelName, SeriesForecast, SeriesInput, parse_timestamp
from orcha_ml.settings import Settings

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
BACKTEST_STEP = 24
MAX_BACKTEST_HORIZON = 24
MIN_VALUES = 24

# Candidates in tie-break order: on equal MASE the simpler model wins.
ORDER: tuple[ModelName, ...] = ("seasonal_naive_24", "seasonal_naive_168", "theta", "ets", "lstm")
MIN_FIT: dict[ModelName, int] = {
    "seasonal_naive_24": 24,
    "seasonal_naive_168": 168,
    "theta": 48,
    "ets": 48,
    "lstm": WINDOW,
}


class SeriesTooShortError(ValueError):
    """Raised when a series cannot be forecast at all; the API turns it into a 422."""


@dataclass
class PreparedSeries:
    """A validated series as arrays, with UTC epoch hours for the time features."""

    id: str
    values: FloatArray
    features: dict[str, FloatArray]
    epoch_hours: FloatArray
    last_time: datetime

    @classmethod
    def from_input(cls, series: SeriesInput) -> PreparedSeries:
        first = parse_timestamp(series.timestamps[0])
        last = parse_timestamp(series.timestamps[-1])
        n = len(series.values)
        start = first.timestamp() / 3600.0
        return cls(
            id=series.id,
            values=np.asarray(series.values, dtype=np.float64),
            features={
                k: np.asarray(v, dtype=np.float64) for k, v in (series.features or {}).items()
            },
            epoch_hours=start + np.arange(n, dtype=np.float64),
            last_time=last,
        )

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class CandidateScore:
    name: ModelName
    mase: float
    origins: int
    residuals: FloatArray


@dataclass
class BacktestOutcome:
    scores: dict[ModelName, CandidateScore]
    horizon: int
    notes: list[str] = field(default_factory=list)


PointForecaster = Callable[[PreparedSeries, int, int], FloatArray]
"""(series, origin index, horizon) -> forecast of values[origin : origin + horizon]."""


def mase_scale(values: FloatArray) -> float:
    """In-sample MAE of the lag-24 seasonal naive (lag 1 when under two days); never zero."""
    lag = 24 if len(values) >= 48 else 1
    if len(values) > lag:
        scale = float(np.mean(np.abs(values[lag:] - values[:-lag])))
        if scale > 1e-12:
            return scale
    # A flat history would make every MASE infinite; fall back to the level, then to 1.
    level = float(np.mean(np.abs(values))) if len(values) else 0.0
    return level if level > 1e-12 else 1.0


def statistical_candidate(name: ModelName, fit_hours: int) -> PointForecaster:
    functions: dict[ModelName, baselines.Forecaster] = {
        "seasonal_naive_24": baselines.seasonal_naive_24,
        "seasonal_naive_168": baselines.seasonal_naive_168,
        "ets": baselines.ets,
        "theta": baselines.theta,
    }
    function = functions[name]

    def run(series: PreparedSeries, origin: int, horizon: int) -> FloatArray:
        history = series.values[max(0, origin - fit_hours) : origin]
        return function(history, horizon)

    return run


def lstm_candidate(forecaster: LstmForecaster) -> PointForecaster:
    def run(series: PreparedSeries, origin: int, horizon: int) -> FloatArray:
        return forecaster.predict(
            series.values[:origin],
            {k: v[:origin] for k, v in series.features.items()},
            series.epoch_hours[:origin],
            horizon,
        )

    return run


def origins_for(n: int, horizon: int, count: int) -> list[int]:
    """Daily origins at the end of the history, latest first; each leaves ``horizon`` to score."""
    return [t for j in range(count) if (t := n - horizon - BACKTEST_STEP * j) > 0]


def backtest(
    series: PreparedSeries,
    candidates: dict[ModelName, PointForecaster],
    *,
    horizon: int,
    origin_count: int,
    earliest_origin: dict[ModelName, int] | None = None,
) -> BacktestOutcome:
    """Score each candidate on the daily origins it can use; failures drop the candidate."""
    n = len(series)
    hb = min(horizon, MAX_BACKTEST_HORIZON)
    origins = origins_for(n, hb, origin_count)
    scale = mase_scale(series.values[: n - hb])
    outcome = BacktestOutcome(scores={}, horizon=hb)
    for name, run in candidates.items():
        floor = max(MIN_FIT[name], (earliest_origin or {}).get(name, 0))
        usable = [t for t in origins if t >= floor]
        if not usable:
            continue
        try:
            errors = np.stack([series.values[t : t + hb] - run(series, t, hb) for t in usable])
        except Exception as exc:  # Broad on purpose: a model that fails just drops out.
            log.info("candidate %s failed on %s: %s", name, series.id, exc)
            outcome.notes.append(f"{name} failed in backtest ({type(exc).__name__})")
            continue
        if not np.all(np.isfinite(errors)):
            outcome.notes.append(f"{name} produced non-finite backtest values")
            continue
        mase = float(np.mean(np.abs(errors)) / scale)
        outcome.scores[name] = CandidateScore(name, mase, len(usable), errors)
    return outcome


def interval_residuals(series: PreparedSeries, chosen: CandidateScore | None) -> FloatArray:
    """Residuals that set the interval width: the backtest's, else in-sample seasonal errors."""
    if chosen is not None and chosen.residuals.size >= 10:
        return chosen.residuals.ravel()
    values = series.values
    if len(values) >= 48:
        return values[24:] - values[:-24]
    return values - np.median(values)


def quantile_paths(
    point: FloatArray, residuals: FloatArray, quantiles: list[float], scored_horizon: int
) -> dict[str, list[float]]:
    """Point forecast plus empirical residual quantiles, widened by sqrt(h) past the scored span.

    Sorting the levels and accumulating a running maximum keeps p10 <= p50 <= p90 even when float
    rounding would break the order that np.quantile already has.
    """
    levels = sorted(quantiles)
    offsets = np.quantile(residuals, levels) if residuals.size else np.zeros(len(levels))
    steps = np.arange(1, len(point) + 1, dtype=np.float64)
    growth = np.sqrt(np.maximum(steps / max(scored_horizon, 1), 1.0))
    paths = np.stack([point + offset * growth for offset in offsets])
    paths = np.maximum.accumulate(paths, axis=0)
    return {_quantile_key(q): paths[i].tolist() for i, q in enumerate(levels)}


def _quantile_key(q: float) -> str:
    return repr(float(q))


def future_timestamps(last: datetime, horizon: int) -> list[str]:
    return [(last + timedelta(hours=k)).isoformat() for k in range(1, horizon + 1)]


def forecast_series(
    series_input: SeriesInput,
    *,
    horizon: int,
    quantiles: list[float],
    settings: Settings,
    lstm: tuple[LstmForecaster, dict[str, Any]] | None,
    lstm_note: str | None = None,
) -> SeriesForecast:
    """Backtest the candidates, choose one, and forecast ``horizon`` hours with quantiles."""
    series = PreparedSeries.from_input(series_input)
    n = len(series)
    if n < MIN_VALUES:
        raise SeriesTooShortError(
            f"values: at least {MIN_VALUES} hourly values are needed, got {n}"
        )
    notes: list[str] = []
    baseline_only = n < settings.min_history_hours
    candidates: dict[ModelName, PointForecaster] = {}
    earliest: dict[ModelName, int] = {}
    for name in ORDER:
        if name == "lstm":
            continue
        if baseline_only and name != "seasonal_naive_24":
            continue
        if n >= MIN_FIT[name] + 1:
            candidates[name] = statistical_candidate(name, settings.stat_fit_hours)
    if lstm_note:
        notes.append(lstm_note)
    if lstm is not None and not baseline_only:
        forecaster, meta = lstm
        missing = [f for f in forecaster.feature_names if f not in series.features]
        if missing:
            notes.append(f"lstm v{meta['version']} skipped: features {missing} not in request")
        else:
            candidates["lstm"] = lstm_candidate(forecaster)
            # Only origins whose targets all lie after the model's fit window are honest.
            earliest["lstm"] = int(
                np.searchsorted(series.epoch_hours, forecaster.fit_end_epoch_hour, side="right")
            )

    outcome = backtest(
        series,
        candidates,
        horizon=horizon,
        origin_count=settings.backtest_origins,
        earliest_origin=earliest,
    )
    notes.extend(outcome.notes)
    if "lstm" in candidates and "lstm" not in outcome.scores:
        notes.append("lstm not scored: no backtest origin after its training window")

    scores = outcome.scores
    chosen_name: ModelName = "seasonal_naive_24"
    if scores:
        chosen_name = min(scores, key=lambda m: (scores[m].mase, ORDER.index(m)))
    chosen = scores.get(chosen_name)

    run = candidates.get(chosen_name) or statistical_candidate(
        "seasonal_naive_24", settings.stat_fit_hours
    )
    try:
        point = run(series, n, horizon)
    except Exception as exc:  # Broad on purpose: fall back rather than fail the whole request.
        notes.append(f"{chosen_name} failed on the full history ({type(exc).__name__})")
        chosen_name, chosen = "seasonal_naive_24", scores.get("seasonal_naive_24")
        point = baselines.seasonal_naive_24(series.values, horizon)

    residuals = interval_residuals(series, chosen)
    paths = quantile_paths(point, residuals, quantiles, outcome.horizon)

    backtest_out: Backtest | None = None
    if chosen is not None:
        base = scores.get("seasonal_naive_24")
        backtest_out = Backtest(
            mase=chosen.mase,
            baseline_mase=base.mase if base else chosen.mase,
            origins=chosen.origins,
            horizon=outcome.horizon,
            candidates={m: s.mase for m, s in scores.items()},
        )

    if baseline_only:
        summary = (
            f"baseline: only {n} h of history (< {settings.min_history_hours} h), so the LSTM and "
            "ETS/Theta are refused and seasonal naive lag 24 answers"
        )
    elif chosen is not None:
        summary = (
            f"{chosen_name} chosen by rolling-origin backtest ({chosen.origins} daily origins, "
            f"{outcome.horizon} h): MASE {chosen.mase:.3f}"
        )
    else:
        summary = "no backtest possible; seasonal naive lag 24 answers"
    note = "; ".join([summary, *notes, "estimate, not a guarantee"])
    return SeriesForecast(
        id=series.id,
        model=chosen_name,
        baseline=baseline_only or chosen is None,
        timestamps=future_timestamps(series.last_time, horizon),
        point=point.tolist(),
        quantiles=paths,
        backtest=backtest_out,
        estimate=True,
        note=note,
    )
