"""Every kind of bad input answers 422 with an ApiError whose message names the field."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import forecast_body, series, stamps

Body = dict[str, Any]


def _set(path: str, value: Any) -> Callable[[Body], None]:
    def mutate(body: Body) -> None:
        target: Any = body
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _swap_first_two(body: Body) -> None:
    ts = body["series"][0]["timestamps"]
    ts[0], ts[1] = ts[1], ts[0]


def _duplicate(body: Body) -> None:
    ts = body["series"][0]["timestamps"]
    ts[5] = ts[4]


def _gap(body: Body) -> None:
    # Shift the tail by one hour, leaving a 2 h step in the middle.
    ts = body["series"][0]["timestamps"]
    body["series"][0]["timestamps"] = ts[:10] + stamps(len(ts) + 1)[11:]


def _drop_value(body: Body) -> None:
    body["series"][0]["values"].pop()


def _short_feature(body: Body) -> None:
    n = len(body["series"][0]["values"])
    body["series"][0]["features"] = {"cpu": [0.5] * (n - 1)}


FORECAST_CASES: list[tuple[str, Callable[[Body], None], str]] = [
    ("unsorted", _swap_first_two, "series[0].timestamps"),
    ("duplicate", _duplicate, "series[0].timestamps"),
    ("irregular", _gap, "series[0].timestamps"),
    ("no offset", _set("series.0.timestamps.0", "2024-03-04T00:00:00"), "series[0].timestamps"),
    ("not a time", _set("series.0.timestamps.3", "yesterday"), "series[0].timestamps"),
    ("string value", _set("series.0.values.2", "1.5"), "series[0].values[2]"),
    ("null value", _set("series.0.values.2", None), "series[0].values[2]"),
    ("bool value", _set("series.0.values.2", True), "series[0].values[2]"),
    ("length mismatch", _drop_value, "series[0].values"),
    ("feature length", _short_feature, "series[0].features.cpu"),
    ("horizon zero", _set("horizon", 0), "horizon"),
    ("horizon negative", _set("horizon", -3), "horizon"),
    ("horizon too long", _set("horizon", 169), "horizon"),
    ("horizon float", _set("horizon", 2.5), "horizon"),
    ("quantile zero", _set("quantiles", [0.0, 0.5]), "quantiles"),
    ("quantile one", _set("quantiles", [0.5, 1.0]), "quantiles"),
    ("quantile above one", _set("quantiles", [1.5]), "quantiles"),
    ("quantile repeated", _set("quantiles", [0.5, 0.5]), "quantiles"),
    ("no quantiles", _set("quantiles", []), "quantiles"),
    ("empty series list", _set("series", []), "series"),
    ("unknown field", _set("colour", "blue"), "colour"),
]


def _assert_names(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["message"], body
    assert any(e["field"].startswith(field) for e in body["errors"]), body


@pytest.mark.parametrize(
    ("name", "mutate", "field"), FORECAST_CASES, ids=[c[0] for c in FORECAST_CASES]
)
def test_forecast_rejects(
    client: TestClient, name: str, mutate: Callable[[Body], None], field: str
) -> None:
    body = copy.deepcopy(forecast_body(n=96))
    mutate(body)
    _assert_names(client.post("/v1/forecast", json=body), field)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_forecast_rejects_non_finite(client: TestClient, token: str) -> None:
    # Python's json module reads these non-standard tokens, so the server must reject them.
    body = forecast_body(n=48)
    text = json.dumps(body).replace(str(body["series"][0]["values"][7]), token, 1)
    assert token in text
    response = client.post(
        "/v1/forecast", content=text, headers={"content-type": "application/json"}
    )
    _assert_names(response, "series[0].values[7]")


def test_forecast_rejects_malformed_json(client: TestClient) -> None:
    response = client.post(
        "/v1/forecast", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_forecast_rejects_too_short_history(client: TestClient) -> None:
    response = client.post("/v1/forecast", json={"series": [series(12)], "horizon": 24})
    _assert_names(response, "series[0].values")


def test_forecast_rejects_duplicate_ids(client: TestClient) -> None:
    body = {"series": [series(48), series(48)], "horizon": 24}
    _assert_names(client.post("/v1/forecast", json=body), "series")


def _allocation() -> Body:
    return {
        "resources": ["cpu"],
        "budget": {"cpu": 4.0},
        "horizon_hours": 24,
        "nodes": [{"id": "a", "response": {"cpu": {"a": 1.0, "b": 1.0}}}],
    }


ALLOCATE_CASES: list[tuple[str, Callable[[Body], None], str]] = [
    ("negative budget", _set("budget.cpu", -1.0), "budget.cpu"),
    ("missing budget", _set("budget", {}), "budget"),
    ("unknown resource", _set("nodes.0.min", {"gpu": 1.0}), "nodes[0].min"),
    ("b zero", _set("nodes.0.response.cpu.b", 0.0), "nodes[0].response.cpu.b"),
    ("a negative", _set("nodes.0.response.cpu.a", -1.0), "nodes[0].response.cpu.a"),
    ("min above max", _set("nodes.0.min", {"cpu": 3.0}), "nodes[0].min"),
    ("no nodes", _set("nodes", []), "nodes"),
    ("horizon zero", _set("horizon_hours", 0), "horizon_hours"),
    ("string budget", _set("budget.cpu", "4"), "budget.cpu"),
]


@pytest.mark.parametrize(
    ("name", "mutate", "field"), ALLOCATE_CASES, ids=[c[0] for c in ALLOCATE_CASES]
)
def test_allocate_rejects(
    client: TestClient, name: str, mutate: Callable[[Body], None], field: str
) -> None:
    body = _allocation()
    if name == "min above max":
        body["nodes"][0]["max"] = {"cpu": 2.0}
    mutate(body)
    _assert_names(client.post("/v1/allocate", json=body), field)


def test_anomalies_reject_mixed_features(client: TestClient) -> None:
    rows = [{"id": "a", "features": {"cpu": 0.1}}] * 9 + [{"id": "b", "features": {"mem": 0.1}}]
    _assert_names(client.post("/v1/anomalies", json={"rows": rows}), "rows[9].features")


def test_anomalies_reject_nan_and_too_few_rows(client: TestClient) -> None:
    text = '{"rows": [{"id": "a", "features": {"cpu": NaN}}]}'
    response = client.post(
        "/v1/anomalies", content=text, headers={"content-type": "application/json"}
    )
    _assert_names(response, "rows[0].features.cpu")
    few = {"rows": [{"id": "a", "features": {"cpu": 0.1}}] * 3}
    _assert_names(client.post("/v1/anomalies", json=few), "rows")


def test_train_rejects_short_history(client: TestClient) -> None:
    response = client.post("/v1/train", json={"series": [series(80)]})
    _assert_names(response, "series[0].values")


def test_unknown_path_is_api_error(client: TestClient) -> None:
    response = client.get("/v1/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "http_404"


def test_forecast_rejects_far_future_years(client: TestClient) -> None:
    body = {
        "series": [
            {
                "id": "x",
                "timestamps": ["9999-12-31T22:00:00Z", "9999-12-31T23:00:00Z"],
                "values": [1.0, 2.0],
            }
        ]
    }
    _assert_names(client.post("/v1/forecast", json=body), "series[0].timestamps[0]")
