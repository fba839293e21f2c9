"""FastAPI application factory and lifespan (model registry and training jobs live there)."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from orcha_ml import __version__, errors
from orcha_ml.api import AppState, router
from orcha_ml.forecast.registry import ModelStore
from orcha_ml.settings import Settings
from orcha_ml.training import JobManager

log = logging.getLogger(__name__)

DESCRIPTION = (
    "ML engine sidecar of DePIN Orcha: hourly earnings forecasts (LSTM plus statistical "
    "baselines, chosen per series by rolling-origin backtest), resource allocation (cvxpy, "
    "Clarabel) and anomaly detection (IsolationForest). Every error body is an `ApiError`."
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; nothing heavy happens until the lifespan handler runs."""
    resolved = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            resolved.model_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            # Forecasting with baselines still works without a writable model dir.
            log.warning("model dir %s is not usable: %s", resolved.model_dir, exc)
        store = ModelStore(resolved.lstm_dir)
        store.refresh()
        state = AppState(settings=resolved, store=store, jobs=JobManager(resolved, store))
        if resolved.warm_load_models and store.available_count:
            # Loading the saved numpy weights is cheap, but is still kept off the startup path.
            state.warmup = threading.Thread(
                target=store.warm_load, name="orcha-warmup", daemon=True
            )
            state.warmup.start()
        app.state.orcha = state
        try:
            yield
        finally:
            state.jobs.close()

    app = FastAPI(
        title="orcha-ml",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(router)
    return app
