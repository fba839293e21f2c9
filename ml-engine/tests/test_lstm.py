"""LSTM building blocks: time features, windows, and recursive multi-day prediction shapes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from orcha_ml.forecast.lstm import (
    OUTPUT,
    WINDOW,
    LstmForecaster,
    NumpyLstm,
    Scaler,
    build_model,
    make_windows,
    pretrained_global,
    time_features,
    train,
)


def test_time_features_encode_hour_and_weekday() -> None:
    monday_midnight = datetime(2024, 3, 4, tzinfo=UTC).timestamp() / 3600
    features = time_features(np.array([monday_midnight, monday_midnight + 6]))
    # Midnight: sin 0, cos 1; 06:00 is a quarter of the day: sin 1, cos 0.
    assert features[0, :2] == pytest.approx([0.0, 1.0], abs=1e-9)
    assert features[1, :2] == pytest.approx([1.0, 0.0], abs=1e-9)
    # Monday 00:00 is day 0 of the week.
    assert features[0, 2:] == pytest.approx([0.0, 1.0], abs=1e-9)


def test_windows_pair_past_day_with_next_day() -> None:
    target = np.arange(100, dtype=np.float64)
    x, y = make_windows(target[:, None], target)
    assert x.shape == (100 - WINDOW - OUTPUT + 1, WINDOW, 1)
    assert y.shape == (len(x), OUTPUT)
    assert x[3, -1, 0] == 3 + WINDOW - 1 and y[3, 0] == 3 + WINDOW


def test_recursive_prediction_uses_features_and_returns_horizon() -> None:
    model = build_model(n_inputs=1 + 1 + 4, units=3, dropout=0.0, learning_rate=1e-3)
    scaler = Scaler(2.0, 1.0, {"cpu": 0.5}, {"cpu": 0.1})
    forecaster = LstmForecaster(model, scaler, ["cpu"], fit_end_epoch_hour=0.0)
    n = 72
    values = np.linspace(1, 3, n)
    hours = 470_000 + np.arange(n, dtype=np.float64)
    out = forecaster.predict(values, {"cpu": np.full(n, 0.5)}, hours, horizon=50)
    assert out.shape == (50,)
    assert np.all(np.isfinite(out))
    # Deterministic for the same input (dropout is inactive at inference).
    again = forecaster.predict(values, {"cpu": np.full(n, 0.5)}, hours, horizon=50)
    assert again == pytest.approx(out)


def test_numpy_inference_matches_keras(tmp_path: Path) -> None:
    model = build_model(n_inputs=5, units=6, dropout=0.2, learning_rate=1e-3)
    rng = np.random.default_rng(1)
    # Non-trivial weights: the freshly initialised ones have zero biases.
    model.set_weights([w + rng.normal(0, 0.3, w.shape) for w in model.get_weights()])
    batch = rng.normal(size=(1, WINDOW, 5)).astype(np.float32)
    expected = np.asarray(model.predict_on_batch(batch), dtype=np.float64)
    path = tmp_path / "w.npz"
    NumpyLstm.from_keras(model).save(path)
    got = NumpyLstm.load(path).predict_on_batch(batch)
    assert got.shape == (1, OUTPUT)
    assert got == pytest.approx(expected, abs=1e-4)


def test_server_side_lstm_and_allocation_never_import_jax(tmp_path: Path) -> None:
    # Run in a fresh interpreter: this test process has imported keras already.
    model = build_model(n_inputs=5, units=3, dropout=0.0, learning_rate=1e-3)
    NumpyLstm.from_keras(model).save(tmp_path / "v1.npz")
    script = f"""
import sys
import numpy as np
from pathlib import Path
from orcha_ml import allocate
from orcha_ml.forecast.lstm import LstmForecaster
from orcha_ml.schemas import AllocateRequest

meta = {{"weights_file": "v1.npz", "feature_names": [], "fit_end_epoch_hour": 0.0,
        "scaler": {{"value_mean": 0.0, "value_std": 1.0, "feature_means": {{}},
                   "feature_stds": {{}}}}}}
forecaster = LstmForecaster.load(Path({str(tmp_path / "v1.keras")!r}), meta)
out = forecaster.predict(np.ones(48), {{}}, 470_000 + np.arange(48.0), 24)
assert out.shape == (24,)
body = {{"resources": ["cpu"], "budget": {{"cpu": 4.0}},
        "nodes": [{{"id": "a", "response": {{"cpu": {{"a": 1.0, "b": 1.0}}}}}}]}}
allocate.solve(AllocateRequest.model_validate(body))
heavy = [m for m in ("jax", "keras", "tensorflow", "torch") if m in sys.modules]
assert not heavy, heavy
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_shipped_global_model_loads_and_forecasts() -> None:
    shipped = pretrained_global()
    assert shipped is not None, "src/orcha_ml/forecast/pretrained/lstm_global.* missing"
    forecaster, meta = shipped
    assert meta["global"] and forecaster.local_scaling
    values = 100 + 10 * np.sin(2 * np.pi * np.arange(24 * 30) / 24)
    hours = 470_000 + np.arange(len(values), dtype=np.float64)
    out = forecaster.predict(values, {}, hours, 24)
    assert out.shape == (24,) and np.all(np.isfinite(out))
    # Local scaling: the forecast lives on the series' own level.
    assert 80 < float(np.mean(out)) < 120


def test_training_warm_starts_from_given_weights() -> None:
    rng = np.random.default_rng(3)
    start = build_model(n_inputs=5, units=4, dropout=0.0, learning_rate=1e-3)
    initial = [np.asarray(w, dtype=np.float64) + 1.0 for w in start.get_weights()]
    values = 10 + np.sin(2 * np.pi * np.arange(24 * 6) / 24) + rng.normal(0, 0.1, 24 * 6)
    hours = 470_000 + np.arange(len(values), dtype=np.float64)
    kwargs = {"units": 4, "epochs": 1, "batch_size": 64, "dropout": 0.0, "seed": 1}
    warm = train(values, {}, hours, learning_rate=1e-9, initial_weights=initial, **kwargs)
    for got, want in zip(warm.model.get_weights(), initial, strict=True):
        assert np.asarray(got) == pytest.approx(want, abs=1e-4)
    cold = train(values, {}, hours, learning_rate=1e-9, **kwargs)
    assert not np.allclose(cold.model.get_weights()[0], initial[0], atol=1e-2)
