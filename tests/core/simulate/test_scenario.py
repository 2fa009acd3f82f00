"""Scenario documents: the built-in shop is valid, and mistakes are named by their field path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from slo_scout.core.simulate import DEFAULT_SHOP, ScenarioError, Simulation, scenario_from_dict


def _shop() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_SHOP)


def test_the_built_in_shop_has_a_generic_gateway_and_seven_journeys() -> None:
    scenario = scenario_from_dict(_shop())
    assert scenario.gateway is not None and scenario.gateway.operation == "HTTP POST"
    assert len(scenario.journeys) == 7
    assert {i.kind for i in scenario.incidents} == {"error_burst", "latency_regression"}


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (lambda d: d["journeys"][1]["entry"]["calls"][0].update(protocol="smtp"),
         "journeys[1].entry.calls[0].protocol", "is not one of"),
        (lambda d: d["journeys"][0]["entry"].update(service="nope"),
         "journeys[0].entry.service", "not a declared service"),
        (lambda d: d["journeys"][0].update(colour="red"), "journeys[0].colour", "unknown key"),
        (lambda d: d["incidents"][0].update(start_s=3), "incidents[0]", "either start"),
        (lambda d: d["journeys"][4]["entry"]["calls"][0]["calls"][4].update(retry=2),
         "journeys[4].entry.calls[0].calls[4].retry", "outside"),
        (lambda d: d["journeys"][0]["entry"].update(repeat=[3, 1]),
         "journeys[0].entry.repeat", "min <= max"),
        (lambda d: d["incidents"][0].update(kind="disk_full"), "incidents[0].kind",
         "network_delay"),
        (lambda d: d["incidents"][0].update(kind="network_delay", delay_ms=-1),
         "incidents[0].delay_ms", "outside"),
    ],
)
def test_a_bad_scenario_names_the_field(edit: Any, field: str, words: str) -> None:
    doc = _shop()
    edit(doc)
    with pytest.raises(ScenarioError) as caught:
        scenario_from_dict(doc, source="shop.yaml")
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.message.startswith(f"shop.yaml, field '{field}'")


def test_a_scenario_without_a_gateway_roots_each_trace_at_its_entry() -> None:
    doc = _shop()
    del doc["gateway"]
    sim = Simulation(scenario_from_dict(doc), seed=1, traces=50)
    for request in sim.requests():
        root = next(s for s in request.spans if not s.parent_id)
        entry = sim.scenario.journeys[request.journey].entry
        assert sim.resources[root.resource].service == entry.service


def test_non_positive_limits_are_refused() -> None:
    with pytest.raises(ScenarioError, match="traces"):
        Simulation(scenario_from_dict(_shop()), seed=1, traces=0)
