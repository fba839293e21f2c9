"""Background LSTM training: a job queue in the server and a short-lived worker process.

Training runs in a child process (``orcha-ml train-worker JOB.json``) for two reasons measured in
the notes: JAX training leaves ~300 MB more resident memory behind, which would otherwise stay in
the sidecar for good, and a crash inside XLA must not take the server down. The worker reports
progress as JSON lines on stdout prefixed with ``@@orcha``; the server keeps the job state that
``GET /v1/models`` shows. Jobs run one at a time because the machine has two shared cores.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from orcha_ml.forecast.registry import ModelStore, next_version, series_dir
from orcha_ml.schemas import JobInfo, JobState, SeriesInput
from orcha_ml.settings import Settings

log = logging.getLogger(__name__)

PROGRESS_PREFIX = "@@orcha "


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def min_training_hours(settings: Settings) -> int:
    """History needed to train: the minimum fit span plus the held-out backtest tail."""
    return settings.min_history_hours + settings.lstm_holdout_hours


@dataclass
class Job:
    job_id: str
    series_ids: list[str]
    created_at: str
    state: JobState = "queued"
    progress: float = 0.0
    message: str = "queued"
    error: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    models: list[str] = field(default_factory=list)

    def info(self) -> JobInfo:
        return JobInfo(
            job_id=self.job_id,
            state=self.state,
            series_ids=list(self.series_ids),
            progress=min(max(self.progress, 0.0), 1.0),
            message=self.message,
            error=self.error,
            created_at=self.created_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            models=list(self.models),
        )


def worker_command(job_file: Path) -> list[str]:
    """Command line that runs the training worker, also inside a frozen (PyInstaller) build."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "train-worker", str(job_file)]
    return [sys.executable, "-m", "orcha_ml.cli", "train-worker", str(job_file)]


class JobManager:
    """Queue of training jobs executed one at a time by a single background thread."""

    max_jobs_kept = 50

    def __init__(self, settings: Settings, store: ModelStore) -> None:
        self.settings = settings
        self.store = store
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orcha-train")
        self._process: subprocess.Popen[str] | None = None
        self._closing = False

    def jobs(self) -> list[JobInfo]:
        with self._lock:
            return [job.info() for job in self._jobs.values()]

    def get(self, job_id: str) -> JobInfo | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.info()

    def submit(self, series: list[SeriesInput], epochs: int | None) -> JobInfo:
        job = Job(uuid.uuid4().hex[:16], [s.id for s in series], now_iso())
        payload = {
            "job_id": job.job_id,
            "series": [s.model_dump() for s in series],
            "epochs": epochs or self.settings.lstm_epochs,
            "settings": json.loads(self.settings.model_dump_json()),
        }
        with self._lock:
            self._jobs[job.job_id] = job
            self._prune()
        self._executor.submit(self._run, job, payload)
        return job.info()

    def _prune(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in ("succeeded", "failed")]
        for job in finished[: max(0, len(self._jobs) - self.max_jobs_kept)]:
            del self._jobs[job.job_id]

    def _update(self, job: Job, **changes: Any) -> None:
        with self._lock:
            for key, value in changes.items():
                setattr(job, key, value)

    def _run(self, job: Job, payload: dict[str, Any]) -> None:
        """Run one job to the end; every failure ends up in the job state, never raised."""
        if self._closing:
            return
        self._update(job, state="running", started_at=now_iso(), message="starting worker")
        try:
            self._run_worker(job, payload)
        except Exception as exc:  # Broad on purpose: the job records it; the server carries on.
            log.exception("training job %s failed", job.job_id)
            self._update(job, state="failed", error=f"{type(exc).__name__}: {exc}")
        finally:
            if job.state == "running":
                self._update(job, state="failed", error=job.error or "worker ended without result")
            self._update(job, finished_at=now_iso())
            self.store.refresh()

    def _run_worker(self, job: Job, payload: dict[str, Any]) -> None:
        self.settings.model_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="orcha-train-") as scratch:
            job_file = Path(scratch) / "job.json"
            job_file.write_text(json.dumps(payload))
            stderr_path = Path(scratch) / "stderr.log"
            env = dict(os.environ, KERAS_BACKEND="jax")
            with stderr_path.open("w") as stderr:
                process = subprocess.Popen(
                    worker_command(job_file),
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    text=True,
                    env=env,
                )
                self._process = process
                deadline = time.monotonic() + self.settings.train_timeout_s
                assert process.stdout is not None
                for line in process.stdout:
                    if line.startswith(PROGRESS_PREFIX):
                        self._handle_event(job, json.loads(line[len(PROGRESS_PREFIX) :]))
                    if time.monotonic() > deadline:
                        process.kill()
                        self._update(job, error="training timed out")
                        break
                code = process.wait()
                self._process = None
            if code == 0 and job.state == "running" and job.message == "worker finished":
                self.store.refresh()
                self._update(job, state="succeeded", progress=1.0, message="done")
            elif code != 0 and job.state == "running":
                tail = stderr_path.read_text()[-800:].strip()
                reason = job.error or f"worker exited with code {code}"
                self._update(job, state="failed", error=f"{reason}: {tail}" if tail else reason)

    def _handle_event(self, job: Job, event: dict[str, Any]) -> None:
        kind = event.get("type")
        count = max(len(job.series_ids), 1)
        if kind == "progress":
            done = event["series_index"] + event["epoch"] / max(event["epochs"], 1)
            self._update(
                job,
                progress=0.95 * done / count,
                message=(
                    f"{event['series_id']}: epoch {event['epoch']}/{event['epochs']}"
                    f" loss {event.get('loss')}"
                ),
            )
        elif kind == "saved":
            self._update(job, models=[*job.models, f"{event['series_id']}@{event['version']}"])
        elif kind == "done":
            # Success is declared only after the worker exited cleanly and the store re-read
            # the model dir, so a reader never sees "succeeded" without the new model listed.
            self._update(job, message="worker finished", progress=0.99)
        elif kind == "error":
            self._update(job, state="failed", error=str(event.get("message")), message="failed")

    def close(self) -> None:
        """Stop accepting work and end a running worker so shutdown is prompt."""
        self._closing = True
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
        self._executor.shutdown(wait=False, cancel_futures=True)


# --------------------------------------------------------------------------- worker process


def _emit(event: dict[str, Any]) -> None:
    sys.stdout.write(PROGRESS_PREFIX + json.dumps(event) + "\n")
    sys.stdout.flush()


def train_one(series_input: SeriesInput, settings: Settings, epochs: int, index: int) -> int:
    """Train, evaluate on the held-out tail and save one series' model; returns its version."""
    from orcha_ml.forecast.lstm import LstmForecaster, NumpyLstm, pretrained_global, train
    from orcha_ml.forecast.selector import (
        PreparedSeries,
        backtest,
        detect_kind,
        lstm_candidate,
        statistical_candidate,
    )

    series = PreparedSeries.from_input(series_input)
    requested = str(getattr(series_input, "series_kind", "auto"))
    kind = detect_kind(series.values) if requested == "auto" else requested
    if kind == "cumulative":
        # Running totals are modelled as hourly increments, as the forecast does.
        series = series.increments()
    n = len(series)
    holdout = settings.lstm_holdout_hours
    fit_n = n - holdout
    if fit_n < settings.min_history_hours:
        raise ValueError(f"{series.id}: need {min_training_hours(settings)} values, got {n}")
    # Create the target directory first: an unwritable model dir should fail the job at once,
    # not after minutes of training.
    directory = series_dir(settings.lstm_dir, series.id)
    directory.mkdir(parents=True, exist_ok=True)
    # Warm start from the shipped global model when the shapes match (no extra features, same
    # units); otherwise the weights start at random.
    shipped = pretrained_global()
    initial = None
    if shipped is not None and not series.features:
        layers = shipped[0].model
        initial = [*layers.layers[0], *layers.layers[1], *layers.dense]
    started = time.perf_counter()
    result = train(
        series.values[:fit_n],
        {k: v[:fit_n] for k, v in series.features.items()},
        series.epoch_hours[:fit_n],
        units=settings.lstm_units,
        epochs=epochs,
        batch_size=settings.lstm_batch_size,
        dropout=settings.lstm_dropout,
        learning_rate=settings.lstm_learning_rate,
        seed=settings.lstm_seed,
        initial_weights=initial,
        on_epoch=lambda epoch, loss: _emit(
            {
                "type": "progress",
                "series_index": index,
                "series_id": series.id,
                "epoch": epoch,
                "epochs": epochs,
                "loss": loss,
            }
        ),
    )
    seconds = time.perf_counter() - started
    names = sorted(series.features)
    fit_end_hour = float(series.epoch_hours[fit_n - 1])
    numpy_model = NumpyLstm.from_keras(result.model)
    forecaster = LstmForecaster(numpy_model, result.scaler, names, fit_end_hour)
    outcome = backtest(
        series,
        {
            "lstm": lstm_candidate(forecaster),
            "seasonal_naive_24": statistical_candidate("seasonal_naive_24"),
        },
        horizon=24,
        origin_count=settings.backtest_origins,
        earliest_origin={"lstm": fit_n},
        ensembles=False,
    )
    lstm_score = outcome.scores.get("lstm")
    base_score = outcome.scores.get("seasonal_naive_24")

    version = next_version(settings.lstm_dir, series.id)
    keras_name = f"v{version}.keras"
    result.model.save(str(directory / keras_name))
    weights_name = f"v{version}.npz"
    numpy_model.save(directory / weights_name)
    stamps = series_input.timestamps
    metadata = {
        "format": 1,
        "series_id": series.id,
        "version": version,
        "created_at": now_iso(),
        "keras_file": keras_name,
        "weights_file": weights_name,
        "cumulative": kind == "cumulative",
        "feature_names": names,
        "scaler": result.scaler.to_json(),
        "fit_end_epoch_hour": fit_end_hour,
        "training_window": {
            "start": stamps[0],
            "end": stamps[-1],
            "hours": n,
            # Increments start one hour after the first value.
            "fit_end": stamps[fit_n - 1 + (1 if kind == "cumulative" else 0)],
        },
        "epochs": epochs,
        "units": settings.lstm_units,
        "dropout": settings.lstm_dropout,
        "warm_start": initial is not None and settings.lstm_units == shipped_units(shipped),
        "metrics": {
            "train_loss": result.train_loss,
            "holdout_mase": lstm_score.mase if lstm_score else None,
            "holdout_baseline_mase": base_score.mase if base_score else None,
            "holdout_origins": len(lstm_score.origins) if lstm_score else 0,
            "train_seconds": round(seconds, 3),
        },
    }
    # The JSON is written last and atomically: a listed model always has its .keras file.
    tmp = directory / f".v{version}.json.tmp"
    tmp.write_text(json.dumps(metadata, indent=2, allow_nan=False, default=_json_default))
    tmp.replace(directory / f"v{version}.json")
    return version


def shipped_units(shipped: tuple[Any, dict[str, Any]] | None) -> int | None:
    return None if shipped is None else int(shipped[1].get("units", 0))


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def worker_main(job_file: Path) -> int:
    """Entry point of the training child process; returns its exit code."""
    try:
        payload = json.loads(job_file.read_text())
        settings = Settings.model_validate(payload["settings"])
        epochs = int(payload["epochs"])
        for index, raw in enumerate(payload["series"]):
            series = SeriesInput.model_validate(raw)
            version = train_one(series, settings, epochs, index)
            _emit({"type": "saved", "series_id": series.id, "version": version})
        _emit({"type": "done"})
        return 0
    except Exception as exc:  # Broad on purpose: reported to the parent as the job's error.
        _emit({"type": "error", "message": f"{type(exc).__name__}: {exc}"})
        return 1
