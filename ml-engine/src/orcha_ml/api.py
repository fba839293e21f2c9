"""HTTP routes. Each handler validates, delegates to a service module and maps its errors to 422.

Handlers are plain ``def`` functions: the work is CPU-bound (statsmodels, cvxpy, sklearn), so
FastAPI runs them in its thread pool and the event loop stays free for ``/health``.
"""

from __future__ import annotations

import platform
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status

from orcha_ml import __version__
from orcha_ml.errors import ApiException
from orcha_ml.forecast.registry import ModelStore
from orcha_ml.schemas import (
    AllocateRequest,
    AllocateResponse,
    AnomalyRequest,
    AnomalyResponse,
    ApiError,
    ForecastRequest,
    ForecastRequestV2,
    ForecastResponse,
    ForecastResponseV2,
    HealthResponse,
    LstmMetrics,
    LstmModelInfo,
    ModelsResponse,
    SeriesForecastV2,
    SeriesModels,
    TrainAccepted,
    TrainingWindow,
    TrainRequest,
)
from orcha_ml.settings import Settings
from orcha_ml.training import JobManager, min_training_hours, now_iso

KEY_LIBRARIES = (
    "fastapi",
    "pydantic",
    "uvicorn",
    "numpy",
    "scipy",
    "keras",
    "jax",
    "jaxlib",
    "statsmodels",
    "cvxpy",
    "clarabel",
    "scikit-learn",
)


def library_versions() -> dict[str, str]:
    """Installed versions from package metadata, so no heavy library is imported for it."""
    versions: dict[str, str] = {}
    for name in KEY_LIBRARIES:
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


@dataclass
class AppState:
    """Everything the routes share; created in the lifespan handler, not at import."""

    settings: Settings
    store: ModelStore
    jobs: JobManager
    started: float = field(default_factory=time.monotonic)
    libraries: dict[str, str] = field(default_factory=library_versions)
    warmup: threading.Thread | None = None


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.orcha
    return state


State = Annotated[AppState, Depends(get_state)]

UNPROCESSABLE: dict[int | str, dict[str, Any]] = {
    422: {"model": ApiError, "description": "Invalid input; `message` names the field."}
}

router = APIRouter()


@router.get("/health", response_model=HealthResponse, tags=["health"])
def health(state: State) -> HealthResponse:
    """Liveness and versions; cheap enough to poll."""
    return HealthResponse(
        status="ok",
        version=__version__,
        python=platform.python_version(),
        models_loaded=state.store.loaded_count,
        models_available=state.store.available_count,
        model_dir=str(state.settings.model_dir),
        uptime_s=round(time.monotonic() - state.started, 3),
        libraries=state.libraries,
    )


@router.get("/v1/models", response_model=ModelsResponse, tags=["models"])
def list_models(state: State) -> ModelsResponse:
    """Saved LSTM versions per series, training jobs and saved anomaly detectors."""
    from orcha_ml import anomalies

    series: list[SeriesModels] = []
    for series_id, versions in sorted(state.store.metadata().items()):
        infos: list[LstmModelInfo] = []
        for meta in versions:
            try:
                infos.append(_model_info(meta, state.store))
            except (KeyError, ValueError, TypeError):
                # Metadata written by another version or edited by hand is skipped, not fatal.
                continue
        if not infos:
            continue
        series.append(
            SeriesModels(series_id=series_id, latest_version=infos[-1].version, versions=infos)
        )
    return ModelsResponse(
        series=series,
        jobs=state.jobs.jobs(),
        anomaly_detectors=anomalies.list_saved(state.settings),
    )


def _model_info(meta: dict[str, Any], store: ModelStore) -> LstmModelInfo:
    return LstmModelInfo(
        series_id=meta["series_id"],
        version=int(meta["version"]),
        created_at=meta["created_at"],
        training_window=TrainingWindow.model_validate(meta["training_window"]),
        feature_names=list(meta["feature_names"]),
        epochs=int(meta["epochs"]),
        units=int(meta["units"]),
        metrics=LstmMetrics.model_validate(meta["metrics"]),
        path=meta["path"],
        loaded=store.is_loaded(meta["series_id"], int(meta["version"])),
    )


@router.post(
    "/v1/forecast", response_model=ForecastResponse, responses=UNPROCESSABLE, tags=["forecast"]
)
def forecast(body: ForecastRequest, state: State) -> ForecastResponse:
    """Forecast each series with the model that wins its rolling-origin backtest.

    The v1 shape is frozen for existing clients; `/v2/forecast` adds the series kind, the
    increments of running totals and the interval coverage. The `note` carries them as text.
    """
    answers = _forecast_all(body, state)
    return ForecastResponse(forecasts=[answer.to_v1() for answer in answers])


@router.post(
    "/v2/forecast", response_model=ForecastResponseV2, responses=UNPROCESSABLE, tags=["forecast"]
)
def forecast_v2(body: ForecastRequestV2, state: State) -> ForecastResponseV2:
    """As `/v1/forecast`, plus `series_kind` in and out, `increments`, and backtest coverage."""
    return ForecastResponseV2(forecasts=_forecast_all(body, state))


def _forecast_all(body: ForecastRequest, state: AppState) -> list[SeriesForecastV2]:
    from orcha_ml.forecast.selector import SeriesTooShortError, forecast_series

    results: list[SeriesForecastV2] = []
    for index, series in enumerate(body.series):
        lstm = None
        lstm_note = None
        try:
            lstm = state.store.forecaster(series.id)
        except Exception as exc:  # Broad on purpose: a broken model file must not fail the request.
            lstm_note = f"lstm model could not be loaded ({type(exc).__name__}: {exc})"
        if lstm is None and state.settings.global_lstm:
            # No model of its own: the global model shipped in the package is a candidate.
            from orcha_ml.forecast.lstm import pretrained_global

            lstm = pretrained_global()
        try:
            results.append(
                forecast_series(
                    series,
                    horizon=body.horizon,
                    quantiles=body.quantiles,
                    settings=state.settings,
                    lstm=lstm,
                    lstm_note=lstm_note,
                )
            )
        except SeriesTooShortError as exc:
            raise ApiException.field_error(f"series[{index}].values", str(exc)) from None
    return results


@router.post(
    "/v1/allocate", response_model=AllocateResponse, responses=UNPROCESSABLE, tags=["allocate"]
)
def allocate(body: AllocateRequest) -> AllocateResponse:
    """Maximise horizon earnings minus switching cost within the machine budget."""
    from orcha_ml.allocate import AllocationError, solve

    try:
        return solve(body)
    except AllocationError as exc:
        raise ApiException(422, exc.code, exc.message) from None


@router.post(
    "/v1/anomalies", response_model=AnomalyResponse, responses=UNPROCESSABLE, tags=["anomalies"]
)
def detect_anomalies(body: AnomalyRequest, state: State) -> AnomalyResponse:
    """Score rows with an IsolationForest and name the features that drove each score."""
    from orcha_ml.anomalies import AnomalyInputError, detect

    try:
        return detect(body, state.settings, now_iso())
    except AnomalyInputError as exc:
        raise ApiException.field_error(exc.field, str(exc)) from None


@router.post(
    "/v1/train",
    response_model=TrainAccepted,
    status_code=status.HTTP_202_ACCEPTED,
    responses=UNPROCESSABLE,
    tags=["models"],
)
def train(body: TrainRequest, state: State) -> TrainAccepted:
    """Queue LSTM training for the given series; follow it in `GET /v1/models`."""
    needed = min_training_hours(state.settings)
    for index, series in enumerate(body.series):
        if len(series.values) < needed:
            raise ApiException.field_error(
                f"series[{index}].values",
                f"series[{index}].values: training needs at least {needed} hourly values "
                f"(fit span plus held-out backtest), got {len(series.values)}",
            )
    job = state.jobs.submit(body.series, body.epochs)
    return TrainAccepted(job_id=job.job_id, state=job.state, series_ids=job.series_ids)
