"""Simulated telemetry with known journeys: the demo's data and the tests' ground truth.

Pure and seeded: ``Simulation(scenario, seed=...)`` yields requests and batches of spans,
:mod:`.otlp` turns them into OTLP bytes, and ``Simulation.truth`` says what discovery should find.
"""

from slo_scout.core.simulate.generator import SimRequest, SimResource, SimSpan
from slo_scout.core.simulate.otlp import (
    OUTPUT_FORMATS,
    Framing,
    OutputFormat,
    encode,
    to_json,
    to_proto,
)
from slo_scout.core.simulate.scenario import Scenario, ScenarioError, scenario_from_dict
from slo_scout.core.simulate.shop import DEFAULT_SHOP, default_shop
from slo_scout.core.simulate.simulation import DEFAULT_START_S, DEFAULT_TRACES, Simulation
from slo_scout.core.simulate.truth import GroundTruth

__all__ = [
    "DEFAULT_SHOP",
    "DEFAULT_START_S",
    "DEFAULT_TRACES",
    "OUTPUT_FORMATS",
    "Framing",
    "GroundTruth",
    "OutputFormat",
    "Scenario",
    "ScenarioError",
    "SimRequest",
    "SimResource",
    "SimSpan",
    "Simulation",
    "default_shop",
    "encode",
    "scenario_from_dict",
    "to_json",
    "to_proto",
]
