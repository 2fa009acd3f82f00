"""One investigation: the incident's telemetry against a baseline's, to ranked suspects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from slo_scout.core.rca.model import Evidence, LogRecord, MetricSample, Suspect
from slo_scout.core.rca.score import rank
from slo_scout.core.rca.signals import (
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


def investigate(incident: Telemetry, baseline: Telemetry) -> Findings:
    evidence: list[Evidence] = []
    evidence += error_origins(incident.spans, incident.logs, baseline.spans, baseline.logs)
    # A slower exclusive time burns a latency SLO only through the requests' critical path: it
    # counts where the service's critical-path time moved too (it then names the operation).
    on_path = critical_path_shifts(incident.spans, baseline.spans)
    moved = {e.service for e in on_path}
    evidence += [e for e in latency_shifts(incident.spans, baseline.spans) if e.service in moved]
    evidence += on_path
    evidence += network_shifts(incident.spans, baseline.spans)
    evidence += template_shifts(incident.logs, incident.spans, baseline.logs, baseline.spans)
    evidence += metric_shifts(incident.metrics, baseline.metrics)
    return Findings(rank(evidence), evidence)
