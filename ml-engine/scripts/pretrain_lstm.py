"""Pretrain the global LSTM shipped in the package: src/orcha_ml/forecast/pretrained/lstm_global.*

Run from ml-engine/ after scripts/install.sh:  .venv/bin/python scripts/pretrain_lstm.py

It trains one model (same structure and settings as a training job) across the real hourly series
that ship inside installed packages (the benchmark's, see bench.py), using **only the hours before
each series' first benchmark origin**, so `bench.py --accuracy` never scores the LSTM on data it
was trained on. Training jobs start from these weights (warm start) and `/v1/forecast` uses the
global model for series that have no model of their own (every origin is out of sample for them).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench  # noqa: E402
from orcha_ml.forecast.lstm import PRETRAINED_DIR, NumpyLstm, train_global  # noqa: E402
from orcha_ml.settings import Settings  # noqa: E402


def main() -> int:
    settings = Settings()
    histories = []
    used = {}
    for name, (values, start) in bench.datasets().items():
        first_origin = len(values) - bench.HORIZON - 168 * (bench.ORIGINS - 1)
        hours = start.timestamp() / 3600 + np.arange(first_origin, dtype=np.float64)
        histories.append((values[:first_origin], hours))
        used[name] = first_origin
    began = time.perf_counter()
    result = train_global(
        histories,
        units=settings.lstm_units,
        epochs=settings.lstm_epochs,
        batch_size=settings.lstm_batch_size,
        dropout=settings.lstm_dropout,
        learning_rate=settings.lstm_learning_rate,
        seed=settings.lstm_seed,
    )
    PRETRAINED_DIR.mkdir(exist_ok=True)
    NumpyLstm.from_keras(result.model).save(PRETRAINED_DIR / "lstm_global.npz")
    meta = {
        "weights_file": "lstm_global.npz",
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "trained_on_hours": used,
        "note": "hours before each series' first benchmark origin only",
        "units": settings.lstm_units,
        "epochs": settings.lstm_epochs,
        "dropout": settings.lstm_dropout,
        "train_loss": result.train_loss,
        "train_seconds": round(time.perf_counter() - began, 1),
        "feature_names": [],
    }
    (PRETRAINED_DIR / "lstm_global.json").write_text(json.dumps(meta, indent=2) + "\n")
    sys.stdout.write(json.dumps(meta, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
