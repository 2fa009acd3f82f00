"""Discovery finds exactly the journeys the simulator made, through the real decoders.

Every request enters through the same gateway span (``frontend-proxy HTTP POST``), so entry by
name alone would see one journey; the truth has seven, two of them on the same route with
different methods and downstream work.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from slo_scout.core.journeys import Discovery, discover
from slo_scout.core.simulate import (
    DEFAULT_SHOP,
    Simulation,
    default_shop,
    encode,
    scenario_from_dict,
)
from slo_scout.core.telemetry import decode_stream


def _discover(
    sim: Simulation, fmt: str, framing: str = "single"
) -> tuple[Discovery, dict[str, Any]]:
    chunks = encode(sim.batches(1024), sim.resources, fmt, framing)  # type: ignore[arg-type]
    discovery = discover(decode_stream(chunks, source=f"simulated.{fmt}"))
    return discovery, sim.truth.to_dict()


def _assert_matches(discovery: Discovery, truth: dict[str, Any]) -> None:
    assert discovery.trace_count == truth["traces"]
    assert discovery.span_count == truth["spans"]
    assert discovery.incomplete_traces == 0
    assert len(discovery.journeys) == len(truth["journeys"])
    for name, expected in truth["journeys"].items():
        entry = expected["entry"]
        found = [
            j
            for j in discovery.journeys
            if j.entry.service == entry["service"]
            and j.entry.operation == entry["operation"]
            and (entry["method"] is None or j.entry.method == entry["method"])
        ]
        assert len(found) == 1, f"{name}: {[j.name for j in found]}"
        journey = found[0]
        assert journey.requests == expected["requests"], name
        assert journey.errors == expected["errors"], name
        assert sorted(journey.services) == expected["services"], name
        # The engine may date a request by its entry span, a hair after the gateway's root.
        assert abs(journey.first_seen_ns - expected["first_seen_ns"]) < 10_000_000, name


@pytest.mark.parametrize(
    ("fmt", "framing"),
    [("otlp-proto", "delimited"), ("otlp-json", "single"), ("otlp-jsonl", "single")],
)
def test_every_journey_behind_the_generic_gateway_is_found_with_its_counts(
    fmt: str, framing: str
) -> None:
    sim = Simulation(default_shop(), seed=99, traces=4_000)
    discovery, truth = _discover(sim, fmt, framing)
    _assert_matches(discovery, truth)


def test_variants_stay_inside_their_journey() -> None:
    sim = Simulation(default_shop(), seed=5, traces=3_000)
    discovery, truth = _discover(sim, "otlp-proto", "delimited")
    checkout = next(j for j in discovery.journeys if j.entry.operation == "/api/checkout")
    assert checkout.requests == truth["journeys"]["checkout"]["requests"]
    assert (
        truth["journeys"]["checkout"]["variants"]["retry payment oteldemo.PaymentService/Charge"]
        > 0
    )
    assert len(checkout.variants) > 1


def test_journeys_are_found_without_a_gateway_too() -> None:
    doc = copy.deepcopy(DEFAULT_SHOP)
    del doc["gateway"]
    sim = Simulation(scenario_from_dict(doc), seed=8, traces=2_000)
    discovery, truth = _discover(sim, "otlp-proto")
    _assert_matches(discovery, truth)


def test_journeys_behind_an_opaque_front_end_are_told_apart_by_their_work() -> None:
    doc = copy.deepcopy(DEFAULT_SHOP)
    for journey in doc["journeys"]:
        if journey["entry"]["service"] == "frontend":
            journey["entry"]["opaque"] = True
    sim = Simulation(scenario_from_dict(doc), seed=4, traces=4_000)
    discovery, truth = _discover(sim, "otlp-proto", "delimited")
    assert len(discovery.journeys) == len(truth["journeys"])
    for name, expected in truth["journeys"].items():
        found = [j for j in discovery.journeys if sorted(j.services) == expected["services"]]
        assert [j.requests for j in found] == [expected["requests"]], name
