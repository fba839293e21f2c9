"""Allocator: optimality against brute force, feasibility, solver agreement and problem reuse."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orcha_ml import allocate
from orcha_ml.schemas import AllocateRequest


def _request(
    nodes: list[dict[str, Any]], budget: dict[str, float], horizon: float = 24.0
) -> AllocateRequest:
    return AllocateRequest.model_validate(
        {"resources": list(budget), "budget": budget, "nodes": nodes, "horizon_hours": horizon}
    )


def _objective(x: np.ndarray, request: AllocateRequest) -> float:
    """The objective written out independently of the allocator module."""
    total = 0.0
    for i, node in enumerate(request.nodes):
        for j, r in enumerate(request.resources):
            curve = node.response.get(r)
            if curve:
                total += request.horizon_hours * curve.a * np.log1p(curve.b * x[i, j])
            total -= node.switching_cost.get(r, 0.0) * abs(x[i, j] - node.current.get(r, 0.0))
    return total


def _plan_matrix(response: Any, request: AllocateRequest) -> np.ndarray:
    return np.array([[p.allocation[r] for r in request.resources] for p in response.plan])


def _brute_force(request: AllocateRequest, steps: int) -> float:
    """Best objective over a grid of each node's [min, max] box, within the budget."""
    budget = np.array([request.budget[r] for r in request.resources])
    axes = []
    for node in request.nodes:
        for r in request.resources:
            lo = node.min.get(r, 0.0)
            hi = min(node.max.get(r, request.budget[r]), request.budget[r])
            axes.append(np.linspace(lo, hi, steps))
    best = -np.inf
    n, m = len(request.nodes), len(request.resources)
    for point in itertools.product(*axes):
        x = np.array(point).reshape(n, m)
        if np.all(x.sum(axis=0) <= budget + 1e-12):
            best = max(best, _objective(x, request))
    return best


CASES = [
    _request(
        [
            {"id": "a", "response": {"cpu": {"a": 1.0, "b": 2.0}}},
            {"id": "b", "response": {"cpu": {"a": 2.0, "b": 0.5}}},
        ],
        {"cpu": 4.0},
    ),
    _request(
        [
            {
                "id": "a",
                "current": {"cpu": 3.0},
                "switching_cost": {"cpu": 5.0},
                "response": {"cpu": {"a": 1.0, "b": 1.0}},
            },
            {
                "id": "b",
                "min": {"cpu": 0.5},
                "max": {"cpu": 2.5},
                "response": {"cpu": {"a": 1.5, "b": 3.0}},
            },
            {
                "id": "c",
                "current": {"cpu": 1.0},
                "switching_cost": {"cpu": 1.0},
                "response": {"cpu": {"a": 0.7, "b": 5.0}},
            },
        ],
        {"cpu": 4.0},
    ),
    _request(
        [
            {
                "id": "a",
                "current": {"cpu": 1.0, "mem": 2.0},
                "switching_cost": {"mem": 2.0},
                "response": {"cpu": {"a": 1.0, "b": 1.0}, "mem": {"a": 0.5, "b": 2.0}},
            },
            {
                "id": "b",
                "min": {"mem": 1.0},
                "response": {"cpu": {"a": 0.8, "b": 3.0}, "mem": {"a": 1.2, "b": 0.3}},
            },
        ],
        {"cpu": 2.0, "mem": 6.0},
    ),
]


@pytest.mark.parametrize("request_", CASES, ids=["2x1", "3x1-switching", "2x2"])
def test_optimal_against_brute_force(request_: AllocateRequest) -> None:
    result = allocate.solve(request_)
    assert result.status == "optimal"
    x = _plan_matrix(result, request_)
    ours = _objective(x, request_)
    steps = 41 if len(request_.nodes) * len(request_.resources) <= 3 else 21
    grid_best = _brute_force(request_, steps)
    # A continuous optimum is never worse than the grid's best point.
    assert ours >= grid_best - 1e-6 * max(1.0, abs(grid_best))
    # ...and not implausibly better: the grid's spacing bounds the gap for these curves.
    assert ours <= grid_best + 0.25 * max(1.0, abs(grid_best))
    assert result.objective == pytest.approx(ours, rel=1e-9, abs=1e-9)


def test_solution_matches_kkt_for_symmetric_nodes() -> None:
    # Two identical nodes and no switching cost: by symmetry the optimum splits the budget.
    request_ = _request(
        [{"id": i, "response": {"cpu": {"a": 1.0, "b": 1.0}}} for i in ("a", "b")], {"cpu": 6.0}
    )
    result = allocate.solve(request_)
    assert [p.allocation["cpu"] for p in result.plan] == pytest.approx([3.0, 3.0], abs=1e-4)
    assert result.expected_earnings_per_hour == pytest.approx(2 * np.log(4.0), rel=1e-5)


def test_clarabel_and_ecos_agree() -> None:
    pytest.importorskip("ecos")
    for request_ in CASES:
        clarabel = allocate.solve(request_, solver="CLARABEL")
        ecos = allocate.solve(request_, solver="ECOS")
        assert ecos.solver == "ECOS" and clarabel.solver == "CLARABEL"
        assert ecos.objective == pytest.approx(clarabel.objective, rel=1e-5, abs=1e-6)
        assert _plan_matrix(ecos, request_) == pytest.approx(
            _plan_matrix(clarabel, request_), abs=1e-3
        )


def test_second_solve_reuses_the_cached_problem() -> None:
    nodes = [
        {
            "id": f"n{i}",
            "current": {"cpu": 1.0},
            "switching_cost": {"cpu": 0.1},
            "response": {"cpu": {"a": 1.0 + i, "b": 1.0}},
        }
        for i in range(5)
    ]
    first_request = _request(nodes, {"cpu": 7.0})
    allocate.solve(first_request)
    entry, reused = allocate.cached_problem(5, 1)
    assert reused
    problem_before = entry.problem
    assert problem_before.is_dpp()
    nodes[0]["response"]["cpu"]["a"] = 9.0
    second = allocate.solve(_request(nodes, {"cpu": 8.0}))
    assert second.problem_reused
    again, _ = allocate.cached_problem(5, 1)
    assert again is entry and again.problem is problem_before
    # The new parameter values were used: node 0 now earns most and gets the most cpu.
    assert max(second.plan, key=lambda p: p.allocation["cpu"]).id == "n0"


def test_infeasible_min_shares_are_422(client: TestClient) -> None:
    body = {
        "resources": ["cpu", "mem"],
        "budget": {"cpu": 4.0, "mem": 8.0},
        "nodes": [
            {"id": "a", "min": {"cpu": 3.0}},
            {"id": "b", "min": {"cpu": 2.0, "mem": 1.0}},
        ],
    }
    response = client.post("/v1/allocate", json=body)
    assert response.status_code == 422
    error = response.json()
    assert error["code"] == "infeasible"
    assert error["message"].startswith("infeasible: min shares exceed budget for cpu")


def test_allocate_endpoint(client: TestClient) -> None:
    body = {
        "resources": ["cpu", "mem", "disk", "bandwidth"],
        "budget": {"cpu": 4000.0, "mem": 16e9, "disk": 2e12, "bandwidth": 1e8},
        "horizon_hours": 24,
        "nodes": [
            {
                "id": "storj:1",
                "current": {"disk": 1e12},
                "min": {"disk": 5e11},
                "switching_cost": {"disk": 1e-12},
                "response": {"disk": {"a": 0.05, "b": 2e-12}, "bandwidth": {"a": 0.02, "b": 1e-7}},
            },
            {
                "id": "golem:1",
                "current": {"cpu": 2000.0, "mem": 4e9},
                "response": {"cpu": {"a": 0.1, "b": 1e-3}, "mem": {"a": 0.03, "b": 5e-10}},
            },
        ],
    }
    response = client.post("/v1/allocate", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["solver"] == "CLARABEL" and result["status"] == "optimal"
    plan = {p["id"]: p["allocation"] for p in result["plan"]}
    assert plan["storj:1"]["disk"] >= 5e11 - 1
    for r, cap in body["budget"].items():
        assert plan["storj:1"][r] + plan["golem:1"][r] <= cap * (1 + 1e-9)
    assert result["expected_earnings_per_hour"] == pytest.approx(
        sum(p["earnings_per_hour"] for p in result["plan"])
    )


@st.composite
def problems(draw: st.DrawFn) -> AllocateRequest:
    """Random small problems; each resource gets its own unit (bytes, millicores, ...)."""
    resources = ["cpu", "mem"][: draw(st.integers(1, 2))]
    unit = {r: draw(st.sampled_from([1e-6, 1.0, 1e3, 1e9])) for r in resources}
    n = draw(st.integers(1, 4))
    finite = {"allow_nan": False, "allow_infinity": False}
    budget = {r: draw(st.floats(0.0, 100.0, **finite)) * unit[r] for r in resources}
    nodes = []
    for i in range(n):
        low = {r: draw(st.floats(0.0, budget[r] / n, **finite)) for r in resources}
        high = {r: draw(st.floats(low[r], max(low[r], budget[r]), **finite)) for r in resources}
        nodes.append(
            {
                "id": f"n{i}",
                "current": {r: draw(st.floats(0.0, 200.0, **finite)) * unit[r] for r in resources},
                "min": low,
                "max": high,
                "switching_cost": {
                    r: draw(st.floats(0.0, 10.0, **finite)) / unit[r] for r in resources
                },
                "response": {
                    r: {
                        "a": draw(st.floats(0.0, 5.0, **finite)),
                        "b": draw(st.floats(0.01, 10.0, **finite)) / unit[r],
                    }
                    for r in resources
                },
            }
        )
    return _request(nodes, budget, horizon=draw(st.floats(1.0, 168.0)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_plans_are_always_feasible(request_: AllocateRequest) -> None:
    try:
        result = allocate.solve(request_)
    except allocate.AllocationError as exc:
        # Only a genuinely infeasible request may be refused.
        assert exc.code == "infeasible"
        totals = {r: sum(n.min.get(r, 0.0) for n in request_.nodes) for r in request_.resources}
        assert any(totals[r] > request_.budget[r] for r in request_.resources)
        return
    x = _plan_matrix(result, request_)
    for j, r in enumerate(request_.resources):
        assert x[:, j].sum() <= request_.budget[r] * (1 + 1e-9) + 1e-9
        for i, node in enumerate(request_.nodes):
            assert x[i, j] >= node.min.get(r, 0.0) - 1e-9
            assert x[i, j] <= node.max.get(r, request_.budget[r]) + 1e-9
    # Staying put (if feasible) or any feasible point is never better than the plan by much.
    lows = np.array([[n.min.get(r, 0.0) for r in request_.resources] for n in request_.nodes])
    assert _objective(x, request_) >= _objective(lows, request_) - 1e-4 * max(
        1.0, abs(_objective(lows, request_))
    )
