"""The 2-layer LSTM forecaster (Keras 3 on JAX): feature building, training and inference.

Inputs per hour: the scaled series, the scaled optional feature series, and sin/cos encodings of
hour-of-day and day-of-week. The network maps a 24-hour window to the next 24 hours directly.
Keras is imported only inside the functions that need it, after ``KERAS_BACKEND`` is set, so the
sidecar starts and answers ``/health`` without paying for JAX.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

WINDOW = 24
OUTPUT = 24
LOCAL_SCALE_HOURS = 4 * 7 * 24
"""A global model scales each series by the mean and std of its last 4 weeks before the origin."""
PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"


def import_keras() -> Any:
    """Import keras on the JAX backend; the variable must be set before the first import."""
    # Forced rather than defaulted: the saved models and the pinned stack are JAX-only.
    os.environ["KERAS_BACKEND"] = "jax"
    # JAX would otherwise grab a large slice of memory up front on some platforms.
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    import keras

    return keras


def time_features(epoch_hours: FloatArray) -> FloatArray:
    """Return (n, 4) sin/cos of hour-of-day and day-of-week for UTC epoch hours."""
    hour = np.mod(epoch_hours, 24.0)
    # 1970-01-01 was a Thursday; shifting by 3 days makes Monday day 0.
    day = np.mod(np.floor(epoch_hours / 24.0) + 3.0, 7.0) + hour / 24.0
    return np.column_stack(
        [
            np.sin(2 * np.pi * hour / 24.0),
            np.cos(2 * np.pi * hour / 24.0),
            np.sin(2 * np.pi * day / 7.0),
            np.cos(2 * np.pi * day / 7.0),
        ]
    )


@dataclass
class Scaler:
    """Standardisation of the series and each feature, fitted on the training part only."""

    value_mean: float
    value_std: float
    feature_means: dict[str, float] = field(default_factory=dict)
    feature_stds: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def _std(column: FloatArray) -> float:
        std = float(np.std(column))
        # A constant column would divide by zero; 1.0 leaves it centred and unscaled.
        return std if std > 1e-12 else 1.0

    @classmethod
    def fit(cls, values: FloatArray, features: dict[str, FloatArray]) -> Scaler:
        return cls(
            value_mean=float(np.mean(values)),
            value_std=cls._std(values),
            feature_means={k: float(np.mean(v)) for k, v in features.items()},
            feature_stds={k: cls._std(v) for k, v in features.items()},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "value_mean": self.value_mean,
            "value_std": self.value_std,
            "feature_means": self.feature_means,
            "feature_stds": self.feature_stds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scaler:
        return cls(
            value_mean=float(data["value_mean"]),
            value_std=float(data["value_std"]),
            feature_means={k: float(v) for k, v in data["feature_means"].items()},
            feature_stds={k: float(v) for k, v in data["feature_stds"].items()},
        )


def input_matrix(
    values: FloatArray,
    features: dict[str, FloatArray],
    feature_names: list[str],
    epoch_hours: FloatArray,
    scaler: Scaler,
) -> FloatArray:
    """Stack the per-hour model inputs into an (n, 1 + len(features) + 4) matrix."""
    columns = [(values - scaler.value_mean) / scaler.value_std]
    for name in feature_names:
        columns.append((features[name] - scaler.feature_means[name]) / scaler.feature_stds[name])
    return np.column_stack([*columns, time_features(epoch_hours)])


def make_windows(matrix: FloatArray, target: FloatArray) -> tuple[FloatArray, FloatArray]:
    """All (24-hour input, next 24 hours) pairs with stride 1."""
    count = len(target) - WINDOW - OUTPUT + 1
    if count <= 0:
        return np.empty((0, WINDOW, matrix.shape[1])), np.empty((0, OUTPUT))
    x = np.stack([matrix[i : i + WINDOW] for i in range(count)])
    y = np.stack([target[i + WINDOW : i + WINDOW + OUTPUT] for i in range(count)])
    return x, y


def build_model(n_inputs: int, units: int, dropout: float, learning_rate: float) -> Any:
    """LSTM(units, sequences) -> Dropout -> LSTM(units) -> Dropout -> Dense(24)."""
    keras = import_keras()
    model = keras.Sequential(
        [
            keras.Input(shape=(WINDOW, n_inputs)),
            keras.layers.LSTM(units, return_sequences=True),
            keras.layers.Dropout(dropout),
            keras.layers.LSTM(units),
            keras.layers.Dropout(dropout),
            keras.layers.Dense(OUTPUT),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


@dataclass
class TrainResult:
    model: Any
    scaler: Scaler
    train_loss: float | None
    epochs: int


def train(
    values: FloatArray,
    features: dict[str, FloatArray],
    epoch_hours: FloatArray,
    *,
    units: int,
    epochs: int,
    batch_size: int,
    dropout: float,
    learning_rate: float,
    seed: int,
    on_epoch: Callable[[int, float | None], None] | None = None,
    initial_weights: list[FloatArray] | None = None,
) -> TrainResult:
    """Fit a model on the whole given history (the caller has removed any holdout).

    With ``initial_weights`` of matching shapes (the shipped global model) training starts from
    them instead of a random initialisation: a warm start.
    """
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    names = sorted(features)
    scaler = Scaler.fit(values, features)
    matrix = input_matrix(values, features, names, epoch_hours, scaler)
    target = (values - scaler.value_mean) / scaler.value_std
    x, y = make_windows(matrix, target)
    if len(x) == 0:
        raise ValueError(f"need at least {WINDOW + OUTPUT} hourly values to train")
    model = build_model(matrix.shape[1], units, dropout, learning_rate)
    if initial_weights is not None and [w.shape for w in model.get_weights()] == [
        w.shape for w in initial_weights
    ]:
        model.set_weights([w.astype(np.float32) for w in initial_weights])

    class _Progress(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            if on_epoch is not None:
                loss = None if not logs or "loss" not in logs else float(logs["loss"])
                on_epoch(epoch + 1, loss)

    history = model.fit(
        x.astype(np.float32),
        y.astype(np.float32),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[_Progress()],
    )
    losses = history.history.get("loss") or [None]
    last = losses[-1]
    return TrainResult(model, scaler, None if last is None else float(last), epochs)


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * x)), dtype=np.float64)


class NumpyLstm:
    """Inference of the saved network in plain numpy, so the server never imports keras/JAX.

    Weights are those of ``build_model`` in keras order: per LSTM layer ``kernel`` (in, 4u),
    ``recurrent_kernel`` (u, 4u) and ``bias`` (4u) with gates i, f, c, o, tanh activation and
    sigmoid recurrent activation; then the dense ``kernel`` and ``bias``. Dropout is inactive at
    inference. Importing keras with JAX costs ~150-250 MiB of resident memory; this costs none.
    """

    def __init__(self, weights: list[FloatArray]) -> None:
        if len(weights) != 8:
            raise ValueError(
                f"expected 8 weight arrays (2 LSTM layers + dense), got {len(weights)}"
            )
        self.layers = [(weights[0], weights[1], weights[2]), (weights[3], weights[4], weights[5])]
        self.dense = (weights[6], weights[7])

    @classmethod
    def from_keras(cls, model: Any) -> NumpyLstm:
        return cls([np.asarray(w, dtype=np.float64) for w in model.get_weights()])

    @classmethod
    def load(cls, path: Path) -> NumpyLstm:
        with np.load(path) as data:
            return cls([np.asarray(data[f"arr_{i}"], dtype=np.float64) for i in range(8)])

    def save(self, path: Path) -> None:
        arrays = [*self.layers[0], *self.layers[1], *self.dense]
        with open(path, "wb") as handle:
            np.savez(handle, *arrays)

    def predict_on_batch(self, batch: FloatArray) -> FloatArray:
        x = np.asarray(batch, dtype=np.float64)
        for kernel, recurrent, bias in self.layers:
            units = recurrent.shape[0]
            h = np.zeros((x.shape[0], units))
            c = np.zeros((x.shape[0], units))
            projected = x @ kernel + bias
            outputs = []
            for step in range(x.shape[1]):
                z = projected[:, step] + h @ recurrent
                i = _sigmoid(z[:, :units])
                f = _sigmoid(z[:, units : 2 * units])
                g = np.tanh(z[:, 2 * units : 3 * units])
                o = _sigmoid(z[:, 3 * units :])
                c = f * c + i * g
                h = o * np.tanh(c)
                outputs.append(h)
            x = np.stack(outputs, axis=1)
        result: FloatArray = x[:, -1] @ self.dense[0] + self.dense[1]
        return result


class LstmForecaster:
    """A trained model plus what is needed to feed it: scaler, feature names, fit boundary."""

    def __init__(
        self,
        model: Any,
        scaler: Scaler,
        feature_names: list[str],
        fit_end_epoch_hour: float,
        *,
        local_scaling: bool = False,
    ) -> None:
        self.model = model
        self.local_scaling = local_scaling
        self.scaler = scaler
        self.feature_names = feature_names
        self.fit_end_epoch_hour = fit_end_epoch_hour
        # JAX-compiled predict functions are not documented as thread-safe; requests run in a
        # thread pool, so predictions on one model are serialised.
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path, metadata: dict[str, Any]) -> LstmForecaster:
        """Load the numpy weights saved next to the .keras file (never keras: see NumpyLstm).

        Models saved before the weights were exported have no ``weights_file``; they are refused
        (the forecast notes it) rather than pulling keras and JAX into the server. Retrain them.
        """
        weights = metadata.get("weights_file")
        if not weights:
            raise ValueError("model has no numpy weights (saved by an older version); retrain it")
        model = NumpyLstm.load(path.with_name(str(weights)))
        return cls(
            model,
            Scaler.from_json(metadata["scaler"]),
            list(metadata["feature_names"]),
            float(metadata["fit_end_epoch_hour"]),
        )

    def _predict_window(self, window: FloatArray) -> FloatArray:
        # predict_on_batch with a fixed (1, 24, F) shape: eager model(x) on JAX costs ~0.5 s and
        # hundreds of MB per call (see the notes), and a new shape would compile again.
        batch = window[np.newaxis].astype(np.float32)
        with self._lock:
            out = self.model.predict_on_batch(batch)
        result: FloatArray = np.asarray(out, dtype=np.float64)[0]
        return result

    def predict_many(
        self,
        values: FloatArray,
        features: dict[str, FloatArray],
        epoch_hours: FloatArray,
        origins: Sequence[int],
    ) -> FloatArray:
        """The next 24 hours after each origin ``t`` (reading only ``[:t]``), in one batch."""
        windows, scalers = [], []
        for t in origins:
            scaler = self.scaler
            if self.local_scaling:
                scaler = Scaler.fit(np.asarray(values[max(0, t - LOCAL_SCALE_HOURS) : t]), {})
            feats = {k: features[k][t - WINDOW : t] for k in self.feature_names}
            windows.append(
                input_matrix(
                    values[t - WINDOW : t],
                    feats,
                    self.feature_names,
                    epoch_hours[t - WINDOW : t],
                    scaler,
                )
            )
            scalers.append((scaler.value_mean, scaler.value_std))
        batch = np.stack(windows).astype(np.float32)
        with self._lock:
            out = np.asarray(self.model.predict_on_batch(batch), dtype=np.float64)
        means = np.array([m for m, _ in scalers])[:, None]
        stds = np.array([sd for _, sd in scalers])[:, None]
        return np.asarray(out * stds + means, dtype=np.float64)

    def predict(
        self,
        values: FloatArray,
        features: dict[str, FloatArray],
        epoch_hours: FloatArray,
        horizon: int,
    ) -> FloatArray:
        """Forecast ``horizon`` hours after the end of ``values`` (recursively past 24 hours).

        Beyond 24 hours the model's own output is fed back; future feature values are not known,
        so each is taken from 24 hours earlier (seasonal persistence).
        """
        scaler = self.scaler
        if self.local_scaling:
            scaler = Scaler.fit(np.asarray(values[-LOCAL_SCALE_HOURS:], dtype=np.float64), {})
        vals = np.asarray(values[-WINDOW:], dtype=np.float64)
        feats = {k: np.asarray(features[k][-WINDOW:], dtype=np.float64) for k in self.feature_names}
        hours = np.asarray(epoch_hours[-WINDOW:], dtype=np.float64)
        produced: list[FloatArray] = []
        total = 0
        while total < horizon:
            matrix = input_matrix(vals, feats, self.feature_names, hours, scaler)
            scaled = self._predict_window(matrix)
            step = scaled * scaler.value_std + scaler.value_mean
            produced.append(step)
            total += OUTPUT
            vals = np.concatenate([vals, step])[-WINDOW:]
            feats = {k: np.concatenate([v, v[-OUTPUT:]])[-WINDOW:] for k, v in feats.items()}
            hours = hours + OUTPUT
        return np.concatenate(produced)[:horizon]


def train_global(
    histories: list[tuple[FloatArray, FloatArray]],
    *,
    units: int,
    epochs: int,
    batch_size: int,
    dropout: float,
    learning_rate: float,
    seed: int,
) -> TrainResult:
    """One model across several series (no exogenous features), each scaled by its own stats.

    ``histories`` holds (values, epoch_hours) pairs. The returned scaler is unused at inference:
    a global model scales every input by the series' own recent mean and std (local scaling).
    """
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    xs, ys = [], []
    for values, hours in histories:
        scaler = Scaler.fit(values[-LOCAL_SCALE_HOURS:], {})
        matrix = input_matrix(values, {}, [], hours, scaler)
        x, y = make_windows(matrix, (values - scaler.value_mean) / scaler.value_std)
        xs.append(x)
        ys.append(y)
    x_all, y_all = np.concatenate(xs), np.concatenate(ys)
    if len(x_all) == 0:
        raise ValueError(f"need at least {WINDOW + OUTPUT} hourly values to train")
    model = build_model(x_all.shape[2], units, dropout, learning_rate)
    history = model.fit(
        x_all.astype(np.float32),
        y_all.astype(np.float32),
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
    )
    last = (history.history.get("loss") or [None])[-1]
    return TrainResult(model, Scaler(0.0, 1.0), None if last is None else float(last), epochs)


_pretrained_lock = threading.Lock()
_pretrained: dict[str, tuple[LstmForecaster, dict[str, Any]] | None] = {}


def pretrained_global() -> tuple[LstmForecaster, dict[str, Any]] | None:
    """The global model shipped in the package (see scripts/pretrain_lstm.py), or None."""
    import json

    with _pretrained_lock:
        if "global" not in _pretrained:
            meta_path = PRETRAINED_DIR / "lstm_global.json"
            if not meta_path.is_file():
                _pretrained["global"] = None
            else:
                meta = json.loads(meta_path.read_text())
                model = NumpyLstm.load(PRETRAINED_DIR / str(meta["weights_file"]))
                forecaster = LstmForecaster(
                    model, Scaler(0.0, 1.0), [], float("-inf"), local_scaling=True
                )
                meta = {**meta, "version": "global", "global": True}
                _pretrained["global"] = (forecaster, meta)
        return _pretrained["global"]
