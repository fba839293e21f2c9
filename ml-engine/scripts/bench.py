"""Benchmarks of the sidecar: forecast accuracy on real hourly series, solve time, start, memory.

Run from ml-engine/ after scripts/install.sh:  .venv/bin/python scripts/bench.py
Writes the JSON to stdout and to bench-results.json. Datasets ship inside packages (no network):
Taylor's England & Wales electricity demand (pmdarima, half-hourly summed to hourly) and river's
WaterFlow pipeline series (hourly; its 2-hour gaps are interpolated and the longest run is used).
"""

from __future__ import annotations

import json
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

os.environ.setdefault("KERAS_BACKEND", "jax")

from orcha_ml.forecast import baselines  # noqa: E402
from orcha_ml.forecast.lstm import LstmForecaster, train  # noqa: E402
from orcha_ml.forecast.selector import forecast_series  # noqa: E402
from orcha_ml.schemas import SeriesInput  # noqa: E402
from orcha_ml.settings import Settings  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEST_DAYS = 14
HORIZON = 24


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
    # Split where the gap exceeds 2 h; fill the 2 h gaps by linear interpolation.
    breaks = np.where(np.diff(hours) > 2)[0]
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks + 1, [len(hours)]])
    start, end = max(zip(starts, ends, strict=True), key=lambda se: hours[se[1] - 1] - hours[se[0]])
    grid = np.arange(hours[start], hours[end - 1] + 1)
    filled = np.interp(grid, hours[start:end], values[start:end])
    first = datetime.fromtimestamp(float(times[start]), tz=UTC)
    return filled, first


# --------------------------------------------------------------------------- accuracy


def stamps(start: datetime, n: int) -> list[str]:
    return [(start + timedelta(hours=i)).isoformat() for i in range(n)]


def accuracy(name: str, values: np.ndarray, start: datetime, settings: Settings) -> dict[str, Any]:
    n = len(values)
    test_start = n - TEST_DAYS * 24
    origins = [test_start + 24 * d for d in range(TEST_DAYS)]
    scale = float(np.mean(np.abs(values[24:test_start] - values[: test_start - 24])))
    epoch_hours = start.timestamp() / 3600 + np.arange(n, dtype=np.float64)

    # The LSTM is trained once, before the test period, exactly as a /v1/train job would be:
    # the last backtest_origins days before the test are held out of its weights.
    fit_n = test_start - settings.lstm_holdout_hours
    log(f"{name}: training LSTM on {fit_n} h ({settings.lstm_epochs} epochs)")
    started = time.perf_counter()
    result = train(
        values[:fit_n],
        {},
        epoch_hours[:fit_n],
        units=settings.lstm_units,
        epochs=settings.lstm_epochs,
        batch_size=settings.lstm_batch_size,
        dropout=settings.lstm_dropout,
        learning_rate=settings.lstm_learning_rate,
        seed=settings.lstm_seed,
    )
    train_seconds = time.perf_counter() - started
    forecaster = LstmForecaster(result.model, result.scaler, [], float(epoch_hours[fit_n - 1]))
    meta = {"version": 1}

    fit_hours = settings.stat_fit_hours
    models = {
        "seasonal_naive_24": lambda t: baselines.seasonal_naive_24(values[:t], HORIZON),
        "seasonal_naive_168": lambda t: baselines.seasonal_naive_168(values[:t], HORIZON),
        "ets": lambda t: baselines.ets(values[max(0, t - fit_hours) : t], HORIZON),
        "theta": lambda t: baselines.theta(values[max(0, t - fit_hours) : t], HORIZON),
        "lstm": lambda t: forecaster.predict(values[:t], {}, epoch_hours[:t], HORIZON),
    }
    errors: dict[str, list[float]] = {m: [] for m in models}
    for t in origins:
        actual = values[t : t + HORIZON]
        for model, run in models.items():
            errors[model].extend(np.abs(actual - run(t)).tolist())

    log(f"{name}: running the selector at {len(origins)} origins")
    picks: dict[str, int] = {}
    covered = 0
    selector_errors: list[float] = []
    selector_seconds: list[float] = []
    for t in origins:
        series = SeriesInput(
            id=name, timestamps=stamps(start, t), values=[float(v) for v in values[:t]]
        )
        began = time.perf_counter()
        answer = forecast_series(
            series,
            horizon=HORIZON,
            quantiles=[0.1, 0.5, 0.9],
            settings=settings,
            lstm=(forecaster, meta),
        )
        selector_seconds.append(time.perf_counter() - began)
        picks[answer.model] = picks.get(answer.model, 0) + 1
        selector_errors.extend(np.abs(values[t : t + HORIZON] - np.array(answer.point)).tolist())
        inside = (values[t : t + HORIZON] >= np.array(answer.quantiles["0.1"])) & (
            values[t : t + HORIZON] <= np.array(answer.quantiles["0.9"])
        )
        covered += int(inside.sum())

    mase = {m: float(np.mean(e) / scale) for m, e in errors.items()}
    selector_mase = float(np.mean(selector_errors) / scale)
    coverage = covered / (len(origins) * HORIZON)
    naive = mase["seasonal_naive_24"]
    return {
        "hours": n,
        "test": f"last {TEST_DAYS} days, {len(origins)} daily origins, horizon {HORIZON} h",
        "mase_scale": "in-sample MAE of lag-24 seasonal naive before the test period",
        "mase": {m: round(v, 4) for m, v in mase.items()},
        "lstm_train_seconds": round(train_seconds, 1),
        "selector": {
            "mase": round(selector_mase, 4),
            "picks": picks,
            "beats_0_85_x_seasonal_naive_24": selector_mase <= 0.85 * naive,
            "ratio_to_seasonal_naive_24": round(selector_mase / naive, 4),
            "ratio_to_best_seasonal_naive": round(
                selector_mase / min(naive, mase["seasonal_naive_168"]), 4
            ),
            "p10_p90_coverage": round(coverage, 3),
            "median_seconds_per_forecast": round(statistics.median(selector_seconds), 2),
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
            n = 24 * 28
            series = {
                "id": "taylor",
                "timestamps": stamps(start, n),
                "values": [float(v) for v in values[:n]],
            }
            post(port, "/v1/forecast", {"series": [series], "horizon": 24})
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
            after_baselines = rss_mib(process.pid)

            job = post(port, "/v1/train", {"series": [series], "epochs": 5})
            deadline = time.monotonic() + 600
            state = "queued"
            while time.monotonic() < deadline and state not in ("succeeded", "failed"):
                time.sleep(1)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models") as r:
                    jobs = json.loads(r.read())["jobs"]
                state = next(j["state"] for j in jobs if j["job_id"] == job["job_id"])
            after_training = rss_mib(process.pid)
            for _ in range(5):
                post(port, "/v1/forecast", {"series": [series], "horizon": 24})
            after_lstm = rss_mib(process.pid)
        finally:
            process.terminate()
            process.wait(timeout=30)
    return {
        "cold_start_to_health_s": {
            "runs": [round(s, 2) for s in starts],
            "median": round(statistics.median(starts), 2),
            "goal_s": 5,
        },
        "rss_mib": {
            "idle_after_start": round(idle, 1),
            "after_forecast_allocate_anomalies": round(after_baselines, 1),
            "after_training_job_in_worker_process": round(after_training, 1),
            "after_5_forecasts_with_lstm_loaded": round(after_lstm, 1),
            "goal_mib": 300,
        },
        "training_job_state": state,
    }


def main() -> int:
    settings = Settings(model_dir=Path(tempfile.mkdtemp()))
    results: dict[str, Any] = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "note": "2 shared cores; other jobs were running, so timings are rough",
        },
        "command": "cd ml-engine && .venv/bin/python scripts/bench.py",
        "lstm": {
            "units": settings.lstm_units,
            "epochs": settings.lstm_epochs,
            "holdout_hours": settings.lstm_holdout_hours,
        },
    }
    log("allocation timing")
    results["allocation"] = allocation_timing()
    taylor_values, taylor_start = taylor()
    results["forecast"] = {}
    for name, (values, start) in {
        "taylor_electricity_hourly": (taylor_values, taylor_start),
        "river_waterflow_hourly": waterflow(),
    }.items():
        results["forecast"][name] = accuracy(name, values, start, settings)
    log("sidecar start and memory")
    results["sidecar"] = sidecar(taylor_values, taylor_start)
    text = json.dumps(results, indent=2)
    (ROOT / "bench-results.json").write_text(text + "\n")
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
