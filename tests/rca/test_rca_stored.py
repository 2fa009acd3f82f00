"""Ranking from stored step counts, and the SLO burn of an incident (core.rca.stored, budget)."""

from __future__ import annotations

import math

import pytest

from slo_scout.core.journeys.keystats_codec import add_steps, decode_steps, encode_steps
from slo_scout.core.rca.budget import burn_severity, slo_burn
from slo_scout.core.rca.stored import StepWindow, critical_path_shifts, rank_steps

PPB = 1_000_000_000
CALLS = {"frontend": {"payment", "inventory"}}


def _window(requests: int, errors: dict[str, int], shares: dict[str, float]) -> StepWindow:
    window = StepWindow()
    ops = {"frontend": "POST /checkout", "payment": "Charge", "inventory": "Reserve"}
    window.add(requests, {(svc, op): [requests, errors.get(svc, 0),
                                      round(shares[svc] * PPB * requests)]
                          for svc, op in ops.items()})
    return window


SHARES = {"frontend": 0.4, "payment": 0.3, "inventory": 0.3}


def test_a_caller_failing_only_because_its_callee_fails_is_not_the_origin() -> None:
    baseline = _window(1000, {}, SHARES)
    incident = _window(100, {"frontend": 40, "payment": 40}, SHARES)
    suspects = rank_steps(incident, baseline, CALLS)
    assert [s.service for s in suspects] == ["payment"]
    assert suspects[0].operation == "Charge" and suspects[0].kind == "code"
    # the caller's own errors past the callee's do count
    own = rank_steps(_window(100, {"frontend": 40}, SHARES), baseline, CALLS)
    assert own[0].service == "frontend"


def test_a_rising_critical_path_share_is_scored_by_hoeffding() -> None:
    baseline = _window(1000, {}, SHARES)
    incident = _window(100, {}, {"frontend": 0.2, "payment": 0.2, "inventory": 0.6})
    found = {e.service: e for e in critical_path_shifts(incident, baseline)}
    assert found["inventory"].surprise == pytest.approx(2 * 100 * 0.3 ** 2 / math.log(10))
    assert found["payment"].surprise == 0 and found["frontend"].surprise == 0
    assert rank_steps(incident, baseline, CALLS)[0].service == "inventory"


def test_no_change_names_no_suspect() -> None:
    assert rank_steps(_window(100, {}, SHARES), _window(1000, {}, SHARES), CALLS) == []


def test_step_counts_round_trip_and_add() -> None:
    steps = {("payment", "Charge"): [3, 1, 5], ("frontend", "POST /x"): [3, 0, 7]}
    assert decode_steps(encode_steps(steps)) == steps
    assert decode_steps(None) == {}
    add_steps(steps, {("payment", "Charge"): [1, 1, 1], ("cart", "Add"): [2, 0, 0]})
    assert steps[("payment", "Charge")] == [4, 2, 6] and steps[("cart", "Add")] == [2, 0, 0]


def test_burn_rate_and_budget_of_an_slo() -> None:
    burn = slo_burn(1, "avail", "availability", 99.0, bad=50, total=100, period_requests=1e5)
    assert burn.burn_rate == pytest.approx(50.0)
    assert burn.budget_consumed == pytest.approx(50 / 1000)
    assert burn_severity([burn]) == "high"
    calm = slo_burn(2, "avail", "availability", 99.0, bad=1, total=200, period_requests=1e5)
    assert calm.burn_rate == pytest.approx(0.5) and burn_severity([calm]) == "none"
    assert burn_severity([]) == "none"
    assert slo_burn(3, "x", "availability", 99.0, bad=1, total=10,
                    period_requests=0).budget_consumed is None
