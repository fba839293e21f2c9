"""Pydantic models of every request and response; they define the committed OpenAPI contract.

Validation that only needs the request itself (shapes, finiteness, timestamp regularity) lives
here so that FastAPI answers 422 with the offending field named. Checks that need the settings or
the solver (infeasible budgets, too-short history for a given task) live in the services.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

MAX_POINTS = 24 * 366 * 2
"""Longest accepted series (two years of hourly values); bounds the work of one request."""

MAX_HORIZON = 168
MIN_YEAR, MAX_YEAR = 1970, 2200

FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0.0, le=1e15)]
Timestamp = Annotated[
    str,
    StringConstraints(min_length=10, max_length=40),
    WithJsonSchema({"type": "string", "format": "date-time", "minLength": 10, "maxLength": 40}),
]
FeatureName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$")]
ResourceName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ModelName = Literal[
    "lstm",
    "naive",
    "seasonal_naive_24",
    "seasonal_naive_168",
    "ets",
    "theta",
    "mstl",
    "seasonal_median",
    "tsb",
    "linear",
    "ensemble_median",
    "ensemble_mean",
]
SeriesKind = Literal["rate", "cumulative"]
JobState = Literal["queued", "running", "succeeded", "failed"]


def parse_timestamp(text: str) -> datetime:
    """Parse one RFC 3339 timestamp; a missing UTC offset is an error, not a guess."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"{text!r} has no UTC offset (RFC 3339 needs 'Z' or '+hh:mm')")
    return parsed


class ApiModel(BaseModel):
    """Base for request bodies: unknown fields are rejected so typos surface as 422."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- errors


class FieldError(BaseModel):
    """One validation problem, with the JSON path of the offending field."""

    field: str = Field(description="Path of the field, e.g. `series[0].timestamps`.")
    message: str
    type: str


class ApiError(BaseModel):
    """Error body of every non-2xx answer (same shape as the app's `ApiError`)."""

    code: str = Field(description="Stable machine-readable code, e.g. `validation_error`.")
    message: str = Field(description="Human-readable summary naming the field when there is one.")
    errors: list[FieldError] = Field(description="Per-field problems; empty when not about input.")


# --------------------------------------------------------------------------- health


class HealthResponse(BaseModel):
    """Liveness answer; it never imports the heavy libraries to produce their versions."""

    status: Literal["ok"]
    version: str
    python: str
    models_loaded: int = Field(description="LSTM models currently held in memory.")
    models_available: int = Field(description="LSTM model versions found in the model dir.")
    model_dir: str
    uptime_s: float
    libraries: dict[str, str] = Field(description="Installed versions of the key libraries.")


# --------------------------------------------------------------------------- series


class SeriesInput(ApiModel):
    """One hourly series with optional aligned exogenous features."""

    id: Identifier = Field(description="Series id, e.g. `storj:node1`.")
    timestamps: list[Timestamp] = Field(
        min_length=1,
        max_length=MAX_POINTS,
        description="RFC 3339 timestamps, ascending, exactly one hour apart.",
    )
    values: list[FiniteFloat] = Field(min_length=1, max_length=MAX_POINTS)
    features: dict[FeatureName, list[FiniteFloat]] | None = Field(
        default=None,
        max_length=16,
        description="Optional feature series, each aligned with `values`.",
    )

    @field_validator("timestamps")
    @classmethod
    def _hourly_ascending(cls, stamps: list[str]) -> list[str]:
        previous: datetime | None = None
        for index, text in enumerate(stamps):
            try:
                current = parse_timestamp(text)
            except ValueError as exc:
                raise ValueError(f"timestamps[{index}]: {exc}") from None
            if not MIN_YEAR <= current.year <= MAX_YEAR:
                # Far-off years would overflow when the forecast steps past them.
                raise ValueError(f"timestamps[{index}]: year must be in {MIN_YEAR}..{MAX_YEAR}")
            if previous is not None:
                step = current - previous
                if step == timedelta(0):
                    raise ValueError(f"timestamps[{index}] duplicates timestamps[{index - 1}]")
                if step < timedelta(0):
                    raise ValueError(
                        f"timestamps must be ascending; timestamps[{index}] is earlier"
                    )
                if step != timedelta(hours=1):
                    raise ValueError(
                        f"timestamps must be hourly (1 h apart); timestamps[{index}] is "
                        f"{step.total_seconds() / 3600:g} h after the previous one"
                    )
            previous = current
        return stamps

    @model_validator(mode="after")
    def _aligned(self) -> Self:
        n = len(self.timestamps)
        if len(self.values) != n:
            raise ValueError(f"values: {len(self.values)} items but timestamps has {n}")
        for name, column in (self.features or {}).items():
            if len(column) != n:
                raise ValueError(f"features.{name}: {len(column)} items but timestamps has {n}")
        return self


def _unique_sorted_quantiles(quantiles: list[float]) -> list[float]:
    if len(set(quantiles)) != len(quantiles):
        raise ValueError("quantiles must not repeat")
    return sorted(quantiles)


class ForecastRequest(ApiModel):
    """Forecast the next `horizon` hours of each series."""

    series: list[SeriesInput] = Field(min_length=1, max_length=64)
    horizon: int = Field(default=24, strict=True, ge=1, le=MAX_HORIZON)
    quantiles: list[Annotated[float, Field(strict=True, gt=0.0, lt=1.0)]] = Field(
        default_factory=lambda: [0.1, 0.5, 0.9], min_length=1, max_length=19
    )

    _check_quantiles = field_validator("quantiles")(_unique_sorted_quantiles)

    @field_validator("series")
    @classmethod
    def _unique_ids(cls, series: list[SeriesInput]) -> list[SeriesInput]:
        ids = [item.id for item in series]
        if len(set(ids)) != len(ids):
            raise ValueError("series ids must be unique")
        return series


class Backtest(BaseModel):
    """Rolling-origin backtest of the chosen model (daily origins, up to 24 h each)."""

    mase: float = Field(description="MASE of the chosen model (scaled by in-sample lag-24 MAE).")
    baseline_mase: float = Field(description="MASE of seasonal naive lag 24 on the same origins.")
    origins: int
    horizon: int = Field(description="Hours ahead scored at each origin.")
    candidates: dict[str, float] = Field(description="MASE of every candidate that was scored.")


class SeriesForecast(BaseModel):
    """Forecast of one series: quantile paths, the chosen model and its backtest."""

    id: str
    model: ModelName
    baseline: bool = Field(description="True when a baseline answered because history is short.")
    timestamps: list[str]
    point: list[float] = Field(description="Point forecast of the chosen model.")
    quantiles: dict[str, list[float]] = Field(
        description="Keyed by the requested quantile, e.g. `0.1`; non-decreasing in the level."
    )
    backtest: Backtest | None
    estimate: Literal[True] = Field(description="Always true: forecasts are estimates.")
    note: str


class ForecastResponse(BaseModel):
    forecasts: list[SeriesForecast]


# The v1 schemas above are frozen: the Rust client's contract test compares their exact field
# sets with this document. Everything new lives in the v2 schemas, which extend them.


class SeriesInputV2(SeriesInput):
    """A v1 series plus how to read it."""

    series_kind: Literal["auto", "rate", "cumulative"] = Field(
        default="auto",
        description=(
            "`rate`: each value is what was earned in that hour. `cumulative`: a running total "
            "(e.g. a balance); its hourly increments are forecast and summed back. `auto` "
            "(default) treats a never-decreasing, non-flat series as cumulative."
        ),
    )


class ForecastRequestV2(ForecastRequest):
    """The v1 request whose series may say what kind they are."""

    series: list[SeriesInputV2] = Field(min_length=1, max_length=64)  # type: ignore[assignment]


class BacktestV2(Backtest):
    """The v1 backtest plus the naive benchmark, ensemble members and interval coverage."""

    best_seasonal_naive_mase: float | None = Field(
        default=None, description="Lower of the lag-24 and lag-168 seasonal naive MASE."
    )
    members: list[str] | None = Field(
        default=None, description="Models combined when the choice is an ensemble."
    )
    coverage: float | None = Field(
        default=None,
        description=(
            "Share of backtest outcomes inside the outermost requested quantiles, each origin "
            "checked against intervals calibrated on the other origins (leave-one-origin-out)."
        ),
    )
    coverage_levels: list[float] | None = Field(
        default=None, description="The quantile levels `coverage` refers to, e.g. [0.1, 0.9]."
    )


class SeriesForecastV2(SeriesForecast):
    """The v1 forecast plus the series kind, the increments and the extended backtest."""

    backtest: BacktestV2 | None
    series_kind: SeriesKind = Field(
        default="rate",
        description=(
            "`rate`: values were forecast directly. `cumulative`: a running total; hourly "
            "increments were forecast (backtest MASE is on them) and `point`/`quantiles` are "
            "the running total again."
        ),
    )
    increments: list[float] | None = Field(
        default=None, description="For `cumulative` series: the forecast hourly increments."
    )

    def to_v1(self) -> SeriesForecast:
        fields = {name: getattr(self, name) for name in SeriesForecast.model_fields}
        if self.backtest is not None:
            fields["backtest"] = Backtest(
                **{name: getattr(self.backtest, name) for name in Backtest.model_fields}
            )
        return SeriesForecast(**fields)


class ForecastResponseV2(BaseModel):
    forecasts: list[SeriesForecastV2]


# --------------------------------------------------------------------------- allocation


class ResponseCurve(ApiModel):
    """Earnings per hour contributed by `x` units of a resource: `a * log(1 + b * x)`."""

    a: float = Field(strict=True, allow_inf_nan=False, ge=0.0, le=1e9)
    b: float = Field(strict=True, allow_inf_nan=False, gt=0.0, le=1e9)


class NodeSpec(ApiModel):
    """One node; missing entries default to current 0, min 0, max = budget, cost 0, no earnings."""

    id: Identifier
    current: dict[ResourceName, NonNegFloat] = Field(default_factory=dict)
    min: dict[ResourceName, NonNegFloat] = Field(default_factory=dict)
    max: dict[ResourceName, NonNegFloat] = Field(default_factory=dict)
    switching_cost: dict[ResourceName, Annotated[NonNegFloat, Field(le=1e9)]] = Field(
        default_factory=dict, description="Fiat cost per unit of change of each resource."
    )
    response: dict[ResourceName, ResponseCurve] = Field(default_factory=dict)


class AllocateRequest(ApiModel):
    """Split the machine budget across nodes, maximising horizon earnings minus switching cost."""

    resources: list[ResourceName] = Field(min_length=1, max_length=16)
    budget: dict[ResourceName, NonNegFloat]
    nodes: list[NodeSpec] = Field(min_length=1, max_length=64)
    horizon_hours: float = Field(default=24.0, strict=True, allow_inf_nan=False, gt=0.0, le=8760.0)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        resources = set(self.resources)
        if len(resources) != len(self.resources):
            raise ValueError("resources: names must not repeat")
        missing = [r for r in self.resources if r not in self.budget]
        if missing:
            raise ValueError(f"budget: missing entry for {missing[0]!r}")
        extra = sorted(set(self.budget) - resources)
        if extra:
            raise ValueError(f"budget: {extra[0]!r} is not listed in resources")
        ids = [node.id for node in self.nodes]
        if len(set(ids)) != len(ids):
            raise ValueError("nodes: ids must be unique")
        for i, node in enumerate(self.nodes):
            for field in ("current", "min", "max", "switching_cost", "response"):
                unknown = sorted(set(getattr(node, field)) - resources)
                if unknown:
                    raise ValueError(
                        f"nodes[{i}].{field}: {unknown[0]!r} is not listed in resources"
                    )
            for r in self.resources:
                low = node.min.get(r, 0.0)
                high = node.max.get(r, self.budget[r])
                if low > high:
                    raise ValueError(
                        f"nodes[{i}].min: {r} minimum {low:g} exceeds maximum {high:g}"
                    )
        return self


class NodePlan(BaseModel):
    id: str
    allocation: dict[str, float] = Field(description="Planned amount per resource.")
    change: dict[str, float] = Field(description="Planned minus current, per resource.")
    earnings_per_hour: float
    switching_cost: float


class AllocateResponse(BaseModel):
    plan: list[NodePlan]
    expected_earnings_per_hour: float
    switching_cost: float
    objective: float = Field(description="horizon_hours * earnings per hour - switching cost.")
    horizon_hours: float
    solver: str
    status: str
    solve_time_ms: float
    problem_reused: bool = Field(description="True when a cached parametrised problem was reused.")


# --------------------------------------------------------------------------- anomalies


class AnomalyRow(ApiModel):
    id: Identifier = Field(description="Node id the row belongs to.")
    timestamp: Timestamp | None = None
    features: dict[FeatureName, FiniteFloat] = Field(min_length=1, max_length=64)

    @field_validator("timestamp")
    @classmethod
    def _rfc3339(cls, value: str | None) -> str | None:
        if value is not None:
            parse_timestamp(value)
        return value


def _same_features(rows: list[AnomalyRow], field: str) -> list[AnomalyRow]:
    if rows:
        expected = set(rows[0].features)
        for i, row in enumerate(rows):
            if set(row.features) != expected:
                raise ValueError(
                    f"{field}[{i}].features: has {sorted(row.features)} but {field}[0] has "
                    f"{sorted(expected)}"
                )
    return rows


class AnomalyRequest(ApiModel):
    """Score rows with an IsolationForest fitted on `history`, on `rows`, or a saved detector."""

    rows: list[AnomalyRow] = Field(min_length=1, max_length=10_000)
    history: list[AnomalyRow] | None = Field(default=None, max_length=100_000)
    contamination: float | None = Field(
        default=None,
        strict=True,
        gt=0.0,
        le=0.5,
        description="Expected share of outliers; null uses the engine default ('auto').",
    )
    z_threshold: float | None = Field(
        default=None,
        strict=True,
        gt=0.0,
        le=1e6,
        description="Also flag rows with a robust |z| at or above this; null uses the default (6).",
    )
    model: FeatureName | None = Field(default=None, description="Name of a saved detector to use.")
    save_as: FeatureName | None = Field(default=None, description="Save the fitted detector.")

    @field_validator("rows")
    @classmethod
    def _rows_same(cls, rows: list[AnomalyRow]) -> list[AnomalyRow]:
        return _same_features(rows, "rows")

    @field_validator("history")
    @classmethod
    def _history_same(cls, rows: list[AnomalyRow] | None) -> list[AnomalyRow] | None:
        return None if rows is None else _same_features(rows, "history")

    @model_validator(mode="after")
    def _history_matches_rows(self) -> Self:
        if self.history and set(self.history[0].features) != set(self.rows[0].features):
            raise ValueError("history: features must match the features of rows")
        if self.model is not None and self.history is not None:
            raise ValueError("model: give either a saved model or history, not both")
        return self


class FeatureContribution(BaseModel):
    feature: str
    value: float
    zscore: float = Field(description="(value - median) / robust scale of the fit data.")
    share: float = Field(description="Share of the row's total |z|, between 0 and 1.")


class AnomalyResult(BaseModel):
    id: str
    timestamp: str | None
    score: float = Field(description="IsolationForest score_samples; lower is more abnormal.")
    anomaly: bool
    reasons: list[Literal["isolation_forest", "zscore"]] = Field(
        description="Why the row is flagged: forest score below threshold and/or a large |z|."
    )
    drivers: list[FeatureContribution] = Field(description="Top features by |z|, largest first.")


class AnomalyResponse(BaseModel):
    results: list[AnomalyResult]
    threshold: float = Field(description="Rows with score below this are flagged.")
    z_threshold: float = Field(
        description="Rows with a feature's |z| at or above this are flagged."
    )
    contamination: str
    fitted_rows: int
    feature_names: list[str]
    model: str | None = Field(description="Name of the saved detector used or written, if any.")


# --------------------------------------------------------------------------- training / models


class TrainRequest(ApiModel):
    """Train (or retrain) one LSTM per series, in the background."""

    series: list[SeriesInput] = Field(min_length=1, max_length=16)
    epochs: int | None = Field(default=None, strict=True, ge=1, le=500)

    @field_validator("series")
    @classmethod
    def _unique_ids(cls, series: list[SeriesInput]) -> list[SeriesInput]:
        ids = [item.id for item in series]
        if len(set(ids)) != len(ids):
            raise ValueError("series ids must be unique")
        return series


class TrainAccepted(BaseModel):
    job_id: str
    state: JobState
    series_ids: list[str]


class TrainingWindow(BaseModel):
    start: str
    end: str
    hours: int
    fit_end: str = Field(description="Last timestamp whose value entered the weights.")


class LstmMetrics(BaseModel):
    train_loss: float | None
    holdout_mase: float | None = Field(description="MASE on the held-out tail (daily origins).")
    holdout_baseline_mase: float | None = Field(description="Seasonal naive 24 on the same tail.")
    holdout_origins: int
    train_seconds: float


class LstmModelInfo(BaseModel):
    series_id: str
    version: int
    created_at: str
    training_window: TrainingWindow
    feature_names: list[str]
    epochs: int
    units: int
    metrics: LstmMetrics
    path: str
    loaded: bool


class SeriesModels(BaseModel):
    series_id: str
    latest_version: int
    versions: list[LstmModelInfo]


class JobInfo(BaseModel):
    job_id: str
    state: JobState
    series_ids: list[str]
    progress: float = Field(ge=0.0, le=1.0)
    message: str
    error: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None
    models: list[str] = Field(description="`series_id@version` of the models this job saved.")


class AnomalyDetectorInfo(BaseModel):
    name: str
    created_at: str
    feature_names: list[str]
    fitted_rows: int
    contamination: str


class ModelsResponse(BaseModel):
    series: list[SeriesModels]
    jobs: list[JobInfo]
    anomaly_detectors: list[AnomalyDetectorInfo]
