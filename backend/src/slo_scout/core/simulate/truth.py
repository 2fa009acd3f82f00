"""What a simulation really contained, to check discovery against.

Per journey: where it enters (the first span below the gateway that names the request: the
entry call's route or gRPC method), the services whose spans it produced, how many requests,
failed requests (the root span failed) and spans, and how often each variation happened.
Incidents are listed with their windows in Unix nanoseconds and the requests they touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slo_scout.core.simulate.generator import SimRequest, SimResource
from slo_scout.core.simulate.scenario import Scenario


@dataclass(slots=True)
class JourneyTruth:
    name: str
    entry_service: str
    entry_operation: str
    entry_protocol: str
    entry_method: str | None
    entry_opaque: bool = False
    requests: int = 0
    errors: int = 0
    spans: int = 0
    services: set[str] = field(default_factory=set)
    variants: dict[str, int] = field(default_factory=dict)
    first_ns: int = 0
    last_ns: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "entry": {
                "service": self.entry_service,
                "operation": self.entry_operation,
                "protocol": self.entry_protocol,
                "method": self.entry_method,
                "opaque": self.entry_opaque,
            },
            "services": sorted(self.services),
            "requests": self.requests,
            "errors": self.errors,
            "spans": self.spans,
            "variants": dict(sorted(self.variants.items())),
            "first_seen_ns": self.first_ns,
            "last_seen_ns": self.last_ns,
        }


class GroundTruth:
    """Tallies requests as they are generated; :meth:`to_dict` is the ground-truth document."""

    def __init__(self, scenario: Scenario, resources: list[SimResource], seed: int,
                 start_ns: int, run_s: float) -> None:
        self.scenario = scenario
        self.seed = seed
        self.start_ns = start_ns
        self.run_s = run_s
        self._service_of = [r.service for r in resources]
        self.journeys = [
            JourneyTruth(
                name=j.name,
                entry_service=j.entry.service,
                entry_operation=j.entry.operation,
                entry_protocol="http" if j.entry.protocol == "http" else "rpc",
                entry_method=j.entry.method if j.entry.protocol == "http" else None,
                entry_opaque=j.entry.opaque,
            )
            for j in scenario.journeys
        ]
        self.incident_requests = [0] * len(scenario.incidents)
        self.traces = 0
        self.spans = 0
        self.end_ns = start_ns

    def add(self, request: SimRequest) -> None:
        truth = self.journeys[request.journey]
        if not truth.requests:
            truth.first_ns = request.start_ns
        truth.last_ns = request.start_ns
        truth.requests += 1
        truth.errors += request.error
        truth.spans += len(request.spans)
        service_of = self._service_of
        truth.services.update(service_of[s.resource] for s in request.spans)
        for difference in set(request.differences):
            truth.variants[difference] = truth.variants.get(difference, 0) + 1
        for i in request.incidents:
            if any(service_of[s.resource] == self.scenario.incidents[i].service
                   for s in request.spans):
                self.incident_requests[i] += 1
        self.traces += 1
        self.spans += len(request.spans)
        self.end_ns = max(self.end_ns, request.end_ns)

    def to_dict(self) -> dict[str, Any]:
        incidents = []
        for inc, touched in zip(self.scenario.incidents, self.incident_requests, strict=True):
            start_s, end_s = inc.window_s(self.run_s)
            incidents.append({
                "kind": inc.kind,
                "service": inc.service,
                "operation": inc.operation,
                "start_ns": self.start_ns + int(start_s * 1e9),
                "end_ns": self.start_ns + int(end_s * 1e9),
                "error_rate": inc.error_rate if inc.kind == "error_burst" else None,
                "latency_factor": inc.factor if inc.kind == "latency_regression" else None,
                "delay_ms": inc.delay_ms if inc.kind == "network_delay" else None,
                "requests_touched": touched,
            })
        gateway = self.scenario.gateway
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "start_ns": self.start_ns,
            "end_ns": self.end_ns,
            "traces": self.traces,
            "spans": self.spans,
            "gateway": None if gateway is None else {
                "service": gateway.service, "operation": gateway.operation,
            },
            "journeys": {j.name: j.to_dict() for j in sorted(self.journeys, key=lambda j: j.name)},
            "incidents": incidents,
        }
