"""Faults drawn from a seed over a scenario's services: the labels of a simulated evaluation.

A fault is one incident (its kind, the service and operation it hits, how hard) that a
scenario's own incidents are replaced by. The services that can be hit are those some journey
calls over HTTP or gRPC (a gateway has no call of its own to change, and a database or cache
peer records no span: its calls are its caller's). Kinds take turns, so a draw of ``3 n``
faults holds ``n`` of each; the service, its operation and the strength are drawn.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Final

from slo_scout.core.simulate._entropy import SeededRandom
from slo_scout.core.simulate.scenario import (
    INCIDENT_KINDS,
    Call,
    Incident,
    IncidentKind,
    Scenario,
)

# Strengths are drawn from these ranges: from a fault that shows in a share of the requests to
# one that hits every request (error rate), and from a few times a service's own work to many.
ERROR_RATES: Final = (0.3, 1.0)
LATENCY_FACTORS: Final = (2.0, 6.0)
DELAYS_MS: Final = (20.0, 200.0)


@dataclass(frozen=True, slots=True)
class Fault:
    kind: IncidentKind
    service: str
    operation: str
    strength: float  # error rate, latency factor or delay in ms, by kind

    def incident(self, start_s: float, duration_s: float) -> Incident:
        base = Incident(kind=self.kind, service=self.service, operation=self.operation,
                        start_s=start_s, duration_s=duration_s)
        if self.kind == "error_burst":
            return replace(base, error_rate=self.strength)
        if self.kind == "latency_regression":
            return replace(base, factor=self.strength)
        return replace(base, delay_ms=self.strength)


def _remote_calls(call: Call) -> Iterator[Call]:
    if call.remote:
        yield call
    for child in (*call.calls, *call.on_miss):
        yield from _remote_calls(child)


def operations(scenario: Scenario) -> dict[str, list[str]]:
    """Per service some journey calls remotely, its operations (sorted, each once)."""
    found: dict[str, set[str]] = {}
    for journey in scenario.journeys:
        for call in _remote_calls(journey.entry):
            found.setdefault(call.service, set()).add(call.operation)
    return {service: sorted(ops) for service, ops in sorted(found.items())}


def draw_faults(scenario: Scenario, seed: int, count: int) -> list[Fault]:
    """``count`` faults, the kinds in turn, the rest drawn from ``seed``."""
    rng = SeededRandom(f"{seed}/faults")
    targets = operations(scenario)
    services = list(targets)
    ranges = {"error_burst": ERROR_RATES, "latency_regression": LATENCY_FACTORS,
              "network_delay": DELAYS_MS}
    faults = []
    for i in range(count):
        kind = INCIDENT_KINDS[i % len(INCIDENT_KINDS)]
        service = services[rng.randrange(len(services))]
        ops = targets[service]
        low, high = ranges[kind]
        faults.append(Fault(kind, service, ops[rng.randrange(len(ops))],
                            round(low + (high - low) * rng.random(), 2)))
    return faults


def with_fault(scenario: Scenario, fault: Fault, start_s: float, duration_s: float) -> Scenario:
    """The scenario with ``fault`` as its one incident."""
    return replace(scenario, incidents=(fault.incident(start_s, duration_s),))
