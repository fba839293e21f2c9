"""Runtime settings, read from ``ORCHA_ML_*`` environment variables via pydantic-settings."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_model_dir() -> Path:
    """Return the per-user data directory where trained models live by default.

    The desktop app normally passes ``--model-dir`` (its own app data dir); this default only
    matters when the sidecar is started by hand.
    """
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "depin-orcha" / "ml-models"


class Settings(BaseSettings):
    """All tunables of the sidecar; tests shrink the LSTM through these instead of patching code."""

    model_config = SettingsConfigDict(env_prefix="ORCHA_ML_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    model_dir: Path = Field(default_factory=default_model_dir)
    log_level: str = "info"

    # Forecasting.
    min_history_hours: int = Field(default=72, ge=24)
    backtest_origins: int = Field(default=28, ge=1, le=28)
    """Daily origins of the backtest that chooses the model (and that a training job holds out of
    the LSTM's weights). Four weeks: a ranking of ten candidates on fewer days often picks a model
    that had been lucky, and the recency weights already make the last week count most; the models
    score every origin in one pass, so the extra weeks cost little time, and with the calibration
    on the same 28 origins the second backtest is no longer needed. On the development aid of
    issue 17's eighth round (`bench.py --dev`, 46 series x 28 daily origins) 14, 21, 28 and 42
    origins scored 0.797, 0.789, 0.786 and 0.796 (42 leaves too little history before the oldest
    origins for MSTL and the linear model, so they drop out of the combinations)."""
    calibration_origins: int = Field(default=28, ge=1, le=56)
    """Daily origins whose errors calibrate the intervals (a second, wider backtest runs only
    when this is larger than ``backtest_origins``; by default both are 28). Four weeks: the band's
    10 % tails rest on more than one regime of the series.
    On the development aid of issue 17's seventh round (`bench.py --dev`, 19 series x 28 daily
    origins) the mean p10-p90 coverage was 0.787 with 14, 0.792 with 21, 0.800 with 28 and 0.797
    with 42 origins (mean distance from 0.80 per series 0.037, 0.033, 0.030, 0.041); the point
    forecasts do not change."""
    stat_fit_hours: int = Field(default=28 * 24, ge=72)
    max_series_hours: int = Field(default=24 * 366 * 2, ge=168)
    max_series_per_request: int = Field(default=64, ge=1)
    global_lstm: bool = True
    """Offer the shipped global LSTM to series that have no trained model of their own."""

    # LSTM training.
    lstm_units: int = Field(default=64, ge=1)
    lstm_epochs: int = Field(default=20, ge=1)
    lstm_batch_size: int = Field(default=64, ge=1)
    lstm_dropout: float = Field(default=0.2, ge=0.0, lt=1.0)
    lstm_learning_rate: float = Field(default=1e-3, gt=0.0)
    lstm_seed: int = 7
    train_timeout_s: float = Field(default=1800.0, gt=0.0)
    warm_load_models: bool = True

    # Anomaly detection.
    anomaly_contamination: float | None = Field(default=None, gt=0.0, le=0.5)
    anomaly_trees: int = Field(default=100, ge=1)
    anomaly_seed: int = 0
    anomaly_z_threshold: float = Field(default=6.0, gt=0.0)

    @property
    def lstm_dir(self) -> Path:
        """Directory holding one sub-directory of versioned LSTM models per series."""
        return self.model_dir / "lstm"

    @property
    def anomaly_dir(self) -> Path:
        """Directory holding saved IsolationForest detectors."""
        return self.model_dir / "anomaly"

    @property
    def lstm_holdout_hours(self) -> int:
        """Hours at the end of a training history kept out of the LSTM's weights.

        It equals the span of the forecast backtest (daily origins, 24 h each), so a model trained
        on a history can be backtested honestly on that same history.
        """
        return 24 * self.backtest_origins
