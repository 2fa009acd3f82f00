"""One investigation: the incident's telemetry against a baseline's, to ranked suspects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from slo_scout.core.rca.model import Evidence, LogRecord, MetricSample, Suspect
from slo_scout.core.rca.score import rank
from slo_scout.core.rca.signals import (
    calls_stopped,
    critical_path_shifts,
    error_origins,
    latency_shifts,
    metric_shifts,
    network_shifts,
    template_shifts,
)
from slo_scout.core.telemetry.model import Span


@dataclass
class Telemetry:
    """What one window holds; any part may be empty (a system without logs, or metrics)."""

    spans: Sequence[Span] = ()
    logs: Sequence[LogRecord] = ()
    metrics: Sequence[MetricSample] = ()


@dataclass
class Findings:
    suspects: list[Suspect]
    evidence: list[Evidence] = field(default_factory=list)


def investigate(
    incident: Telemetry, baseline: Telemetry, recent: Telemetry | None = None
) -> Findings:
    """Rank the suspects of ``incident`` against a fault-free ``baseline``.

    ``recent`` is the telemetry of just before the burn started, where there is some. It holds
    the workload of now (which operations run, which request data their lines carry, how long
    they take), which a baseline recorded hours before does not; but it is not known to be
    fault-free (an earlier incident may not be over). So it joins the baseline for what follows
    the workload (latency, critical path, wire time, ordinary log templates), and errors (where
    they start, error-level templates) are judged against the fault-free baseline alone.
    """
    recent = recent or Telemetry()
    pooled = [*baseline.spans, *recent.spans]
    evidence: list[Evidence] = []
    evidence += error_origins(incident.spans, incident.logs, baseline.spans, baseline.logs)
    # A slower exclusive time burns a latency SLO only through the requests' critical path: it
    # counts where the service's critical-path time moved too (it then names the operation).
    on_path = critical_path_shifts(incident.spans, pooled)
    moved = {e.service for e in on_path}
    evidence += [e for e in latency_shifts(incident.spans, pooled) if e.service in moved]
    evidence += on_path
    wire, called = network_shifts(incident.spans, pooled)
    evidence += wire
    # Which calls an operation makes follows the workload (request data picks the branch).
    stopped, edges_tested = calls_stopped(incident.spans, pooled, incident.logs,
                                          [*baseline.logs, *recent.logs])
    evidence += stopped
    evidence += template_shifts(incident.logs, incident.spans, baseline.logs, baseline.spans,
                                recent.logs, recent.spans)
    evidence += metric_shifts(incident.metrics, baseline.metrics)
    # error_origin tests every service with spans now (against its own baseline rate), network
    # every service with calls into it in both windows.
    tested = {"error_origin": {s.service for s in incident.spans},
              "calls_stopped": edges_tested, "network": called}
    return Findings(rank(evidence, tested), evidence)
