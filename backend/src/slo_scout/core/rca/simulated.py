"""A second evaluation of the ranking, on faults injected into the simulated shop.

The public recording has one day, one system and three fault types; the ranking must work on
others. Here each fault of :func:`slo_scout.core.simulate.faults.draw_faults` (an error burst,
a latency regression or a network delay on one service's operation) becomes the one incident
of a simulated run: a fault-free baseline, a recent past, then the incident window. Spans go
through the OTLP protobuf encoder and decoder as a recording would. Each fault runs twice: as
recorded, and with every status stripped (no span status, no HTTP or gRPC status code: a system
whose traces say nothing of failure, where errors show through other evidence or not at all).
The labels reach :func:`evaluate`'s tally only, never :func:`slo_scout.core.rca.investigate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from slo_scout.core.rca.analysis import Telemetry, investigate
from slo_scout.core.rca.evaluation import Tally, position
from slo_scout.core.rca.model import Suspect
from slo_scout.core.simulate.faults import Fault, draw_faults, with_fault
from slo_scout.core.simulate.generator import STATUS_UNSET, SimRequest, SimSpan
from slo_scout.core.simulate.otlp import encode
from slo_scout.core.simulate.scenario import Scenario
from slo_scout.core.simulate.simulation import Simulation
from slo_scout.core.telemetry import decode_stream
from slo_scout.core.telemetry.model import Span

# Seconds of the run: a baseline, the recent past, then the incident (at the shop's 50 requests
# a second, 3,000 / 1,000 / 1,000 requests).
BASELINE_S: Final = 60.0
RECENT_S: Final = 20.0
INCIDENT_S: Final = 20.0
_STATUS_KEYS: Final = frozenset({"http.response.status_code", "http.status_code",
                                 "rpc.grpc.status_code", "error"})


@dataclass(frozen=True, slots=True)
class Outcome:
    fault: Fault
    with_status: bool
    rank: int | None  # the fault's service among the suspects
    rank_with_kind: int | None  # ... with a kind that matches the fault's
    suspects: tuple[Suspect, ...]

    @property
    def label(self) -> str:
        return self.fault.kind if self.with_status else f"{self.fault.kind}, no status"


@dataclass
class Report:
    seed: int
    outcomes: list[Outcome] = field(default_factory=list)

    def tallies(self) -> dict[str, Tally]:
        """Service AS@k per label (kind, with or without status), in a fixed order."""
        out: dict[str, Tally] = {}
        for outcome in sorted(self.outcomes, key=lambda o: (not o.with_status, o.fault.kind)):
            out.setdefault(outcome.label, Tally()).add(outcome.rank)
        return out

    def totals(self) -> tuple[Tally, Tally]:
        """(service, service and kind) over every fault."""
        service, kind = Tally(), Tally()
        for outcome in self.outcomes:
            service.add(outcome.rank)
            kind.add(outcome.rank_with_kind)
        return service, kind

    def lines(self) -> list[str]:
        service, kind = self.totals()
        return [
            *(tally.line(label) for label, tally in self.tallies().items()),
            service.line(f"total (service), seed {self.seed}"),
            kind.line(f"total (service and kind), seed {self.seed}"),
        ]


def _without_status(spans: Iterable[SimSpan]) -> list[SimSpan]:
    return [replace(s, status=STATUS_UNSET,
                    attributes=tuple(a for a in s.attributes if a[0] not in _STATUS_KEYS))
            for s in spans]


def _decoded(requests: Sequence[SimRequest], sim: Simulation, with_status: bool) -> list[Span]:
    spans = [s for r in requests for s in r.spans]
    batch = spans if with_status else _without_status(spans)
    return [span for decoded in decode_stream(
        encode([batch], sim.resources, "otlp-proto", "delimited"), source="simulated",
        fmt="otlp-proto") for span in decoded]


def windows(scenario: Scenario, fault: Fault, seed: int,
            with_status: bool) -> tuple[Telemetry, Telemetry, Telemetry]:
    """(incident, baseline, recent) of one simulated run with ``fault`` as its incident."""
    start_s = BASELINE_S + RECENT_S
    sim = Simulation(with_fault(scenario, fault, start_s, INCIDENT_S), seed=seed,
                     duration_s=start_s + INCIDENT_S)
    at_ns = sim.start_ns + int(start_s * 1e9)
    recent_ns = sim.start_ns + int(BASELINE_S * 1e9)
    baseline, recent, incident = [], [], []
    for request in sim.requests():
        if request.start_ns >= at_ns:
            incident.append(request)
        elif request.start_ns >= recent_ns:
            # The recent past ends where the burn starts: a request still running then is out.
            if request.end_ns < at_ns:
                recent.append(request)
        elif request.end_ns < recent_ns:
            baseline.append(request)
    return (Telemetry(spans=_decoded(incident, sim, with_status)),
            Telemetry(spans=_decoded(baseline, sim, with_status)),
            Telemetry(spans=_decoded(recent, sim, with_status)))


def judge(scenario: Scenario, fault: Fault, seed: int, with_status: bool) -> Outcome:
    incident, baseline, recent = windows(scenario, fault, seed, with_status)
    suspects = investigate(incident, baseline, recent).suspects
    return Outcome(fault, with_status, position(suspects, fault.service),
                   position(suspects, fault.service, fault.kind), tuple(suspects))


def evaluate(scenario: Scenario, seed: int, count: int) -> Report:
    """``count`` faults drawn from ``seed``, each judged with and without status."""
    report = Report(seed)
    for i, fault in enumerate(draw_faults(scenario, seed, count)):
        run_seed = seed * 10_000 + i  # one run per fault; both variants see the same requests
        for with_status in (True, False):
            report.outcomes.append(judge(scenario, fault, run_seed, with_status))
    return report
