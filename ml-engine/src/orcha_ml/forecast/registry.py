"""On-disk store of versioned LSTM models: ``<model_dir>/lstm/<series>/v<N>.keras`` + ``.json``.

The JSON metadata is the source of truth for listing (cheap to read at startup); the ``.keras``
files are loaded on demand or by a background warm-up, because loading needs keras/JAX.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

from orcha_ml.forecast.lstm import LstmForecaster

log = logging.getLogger(__name__)

METADATA_FORMAT = 1


def series_dirname(series_id: str) -> str:
    """A filesystem-safe, collision-free directory name for a series id such as ``storj:node1``."""
    readable = re.sub(r"[^A-Za-z0-9_.-]", "_", series_id)[:60]
    digest = hashlib.sha256(series_id.encode()).hexdigest()[:10]
    return f"{readable}-{digest}"


def series_dir(lstm_dir: Path, series_id: str) -> Path:
    return lstm_dir / series_dirname(series_id)


def next_version(lstm_dir: Path, series_id: str) -> int:
    directory = series_dir(lstm_dir, series_id)
    versions = [int(m.group(1)) for p in directory.glob("v*.json") if (m := _VERSION.match(p.name))]
    return max(versions, default=0) + 1


_VERSION = re.compile(r"^v(\d+)\.json$")


def read_all_metadata(lstm_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Metadata of every complete model (JSON and .keras both present), grouped by series."""
    found: dict[str, list[dict[str, Any]]] = {}
    if not lstm_dir.is_dir():
        return found
    for meta_path in sorted(lstm_dir.glob("*/v*.json")):
        try:
            meta = json.loads(meta_path.read_text())
            if meta.get("format") != METADATA_FORMAT:
                continue
            keras_path = meta_path.with_name(meta["keras_file"])
            if not keras_path.is_file():
                continue
            meta["path"] = str(keras_path)
            found.setdefault(str(meta["series_id"]), []).append(meta)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # One corrupt file must not hide the other models or stop the server.
            log.warning("skipping unreadable model metadata %s: %s", meta_path, exc)
    for versions in found.values():
        versions.sort(key=lambda m: int(m["version"]))
    return found


class ModelStore:
    """Thread-safe view of the saved models with a cache of loaded forecasters."""

    def __init__(self, lstm_dir: Path) -> None:
        self.lstm_dir = lstm_dir
        self._lock = threading.RLock()
        self._metadata: dict[str, list[dict[str, Any]]] = {}
        self._loaded: dict[tuple[str, int], LstmForecaster] = {}

    def refresh(self) -> None:
        metadata = read_all_metadata(self.lstm_dir)
        with self._lock:
            self._metadata = metadata

    def metadata(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            return {k: list(v) for k, v in self._metadata.items()}

    def latest(self, series_id: str) -> dict[str, Any] | None:
        with self._lock:
            versions = self._metadata.get(series_id)
            return versions[-1] if versions else None

    def is_loaded(self, series_id: str, version: int) -> bool:
        with self._lock:
            return (series_id, version) in self._loaded

    @property
    def loaded_count(self) -> int:
        with self._lock:
            return len(self._loaded)

    @property
    def available_count(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._metadata.values())

    def forecaster(self, series_id: str) -> tuple[LstmForecaster, dict[str, Any]] | None:
        """The latest model of a series, loading it on first use; None when there is none."""
        meta = self.latest(series_id)
        if meta is None:
            return None
        key = (series_id, int(meta["version"]))
        with self._lock:
            cached = self._loaded.get(key)
            if cached is None:
                cached = LstmForecaster.load(Path(meta["path"]), meta)
                # Older versions of the same series are dropped to keep memory steady.
                for old in [k for k in self._loaded if k[0] == series_id]:
                    del self._loaded[old]
                self._loaded[key] = cached
        return cached, meta

    def warm_load(self) -> None:
        """Load the latest model of every series; failures are logged, never raised."""
        for series_id in list(self.metadata()):
            try:
                self.forecaster(series_id)
            except Exception as exc:  # Broad on purpose: a broken file must not kill the warm-up.
                log.warning("could not load model for %s: %s", series_id, exc)
