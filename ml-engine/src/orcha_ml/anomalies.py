"""Anomaly scoring of per-node feature rows with an IsolationForest and per-feature explanations.

The forest is fitted on the given history (or on the rows themselves, or loaded from a saved
detector); rows whose ``score_samples`` fall below the forest's ``offset_`` are flagged. That is
the same cut-off sklearn's ``predict`` uses, but comparing scores explicitly keeps the threshold
visible in the response. Explanations are robust z-scores against the fit data (median and MAD),
because the forest itself has no per-feature attribution.

A row is also flagged when one feature's robust |z| reaches ``z_threshold`` (default 6). The
forest alone misses a single extreme feature among several ordinary ones: in the tests a CPU
reading 22 robust standard deviations out scored -0.49 against a -0.5 threshold, while rare but
harmless discrete values (one poll failure) scored lower. The z rule catches the former.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from orcha_ml.schemas import (
    AnomalyDetectorInfo,
    AnomalyRequest,
    AnomalyResponse,
    AnomalyResult,
    AnomalyRow,
    FeatureContribution,
)
from orcha_ml.settings import Settings

FloatArray = NDArray[np.float64]
MIN_FIT_ROWS = 8
TOP_DRIVERS = 3


class AnomalyInputError(ValueError):
    """Input that passed schema validation but cannot be used; becomes a 422 naming ``field``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass
class Detector:
    forest: Any
    feature_names: list[str]
    center: FloatArray
    scale: FloatArray
    fitted_rows: int
    contamination: str

    @property
    def threshold(self) -> float:
        return float(self.forest.offset_)


def _matrix(rows: list[AnomalyRow], names: list[str]) -> FloatArray:
    return np.array([[row.features[k] for k in names] for row in rows], dtype=np.float64)


def fit(
    x: FloatArray, names: list[str], contamination: float | None, settings: Settings
) -> Detector:
    from sklearn.ensemble import IsolationForest

    center = np.median(x, axis=0)
    mad = np.median(np.abs(x - center), axis=0) * 1.4826
    std = np.std(x, axis=0)
    # MAD is zero for a feature that is constant in most rows; fall back to std, then to 1.
    scale = np.where(mad > 1e-12, mad, np.where(std > 1e-12, std, 1.0))
    forest = IsolationForest(
        n_estimators=settings.anomaly_trees,
        contamination="auto" if contamination is None else contamination,
        random_state=settings.anomaly_seed,
        n_jobs=1,
    ).fit(x)
    label = "auto" if contamination is None else repr(contamination)
    return Detector(forest, names, center, scale, len(x), label)


def _paths(settings: Settings, name: str) -> tuple[Path, Path]:
    return settings.anomaly_dir / f"{name}.joblib", settings.anomaly_dir / f"{name}.json"


def save(detector: Detector, name: str, settings: Settings, created_at: str) -> None:
    import joblib

    model_path, meta_path = _paths(settings, name)
    settings.anomaly_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(detector, model_path)
    meta = {
        "name": name,
        "created_at": created_at,
        "feature_names": detector.feature_names,
        "fitted_rows": detector.fitted_rows,
        "contamination": detector.contamination,
    }
    meta_path.write_text(json.dumps(meta, indent=2))


def load(name: str, settings: Settings) -> Detector:
    import joblib

    model_path, _ = _paths(settings, name)
    if not model_path.is_file():
        raise AnomalyInputError("model", f"no saved detector named {name!r}")
    detector = joblib.load(model_path)
    if not isinstance(detector, Detector):
        raise AnomalyInputError("model", f"{name!r} is not a detector file")
    return detector


def list_saved(settings: Settings) -> list[AnomalyDetectorInfo]:
    found: list[AnomalyDetectorInfo] = []
    if settings.anomaly_dir.is_dir():
        for meta_path in sorted(settings.anomaly_dir.glob("*.json")):
            try:
                found.append(AnomalyDetectorInfo.model_validate_json(meta_path.read_text()))
            except ValueError:
                continue
    return found


def explain(x: FloatArray, detector: Detector) -> list[list[FeatureContribution]]:
    z = (x - detector.center) / detector.scale
    magnitude = np.abs(z)
    totals = magnitude.sum(axis=1)
    explanations: list[list[FeatureContribution]] = []
    for i in range(len(x)):
        order = np.argsort(-magnitude[i], kind="stable")[:TOP_DRIVERS]
        total = totals[i] if totals[i] > 0 else 1.0
        explanations.append(
            [
                FeatureContribution(
                    feature=detector.feature_names[k],
                    value=float(x[i, k]),
                    zscore=float(z[i, k]),
                    share=float(magnitude[i, k] / total),
                )
                for k in order
            ]
        )
    return explanations


def detect(request: AnomalyRequest, settings: Settings, created_at: str) -> AnomalyResponse:
    names = sorted(request.rows[0].features)
    if request.model is not None:
        detector = load(request.model, settings)
        if sorted(detector.feature_names) != names:
            raise AnomalyInputError(
                "rows",
                f"features {names} differ from the saved detector's {detector.feature_names}",
            )
        names = detector.feature_names
    else:
        source, field = (request.history, "history") if request.history else (request.rows, "rows")
        if len(source) < MIN_FIT_ROWS:
            raise AnomalyInputError(
                field,
                f"at least {MIN_FIT_ROWS} rows are needed to fit the detector, got {len(source)}",
            )
        contamination = request.contamination
        if contamination is None:
            contamination = settings.anomaly_contamination
        detector = fit(_matrix(source, names), names, contamination, settings)
        if request.save_as is not None:
            save(detector, request.save_as, settings, created_at)
    x = _matrix(request.rows, names)
    scores = detector.forest.score_samples(x)
    threshold = detector.threshold
    z_threshold = request.z_threshold or settings.anomaly_z_threshold
    max_z = np.max(np.abs((x - detector.center) / detector.scale), axis=1)
    drivers = explain(x, detector)
    results: list[AnomalyResult] = []
    for i, row in enumerate(request.rows):
        reasons: list[Literal["isolation_forest", "zscore"]] = []
        if scores[i] < threshold:
            reasons.append("isolation_forest")
        if max_z[i] >= z_threshold:
            reasons.append("zscore")
        results.append(
            AnomalyResult(
                id=row.id,
                timestamp=row.timestamp,
                score=float(scores[i]),
                anomaly=bool(reasons),
                reasons=reasons,
                drivers=drivers[i],
            )
        )
    return AnomalyResponse(
        results=results,
        threshold=threshold,
        z_threshold=z_threshold,
        contamination=detector.contamination,
        fitted_rows=detector.fitted_rows,
        feature_names=names,
        model=request.model or request.save_as,
    )
