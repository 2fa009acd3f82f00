"""Signals from the control plane's stored statistics, for an incident on a journey.

The control plane keeps no spans: per journey key and minute it keeps the requests, errors,
latency sketch and, since migration 0022, each step's ``[spans, errors, critical-path ppb]``.
An incident sums those over the window after the burn started and over a baseline before it,
and asks the same kind of question as the span signals (:mod:`slo_scout.core.rca.signals`),
scored as a surprise (``-log10 p``) so :func:`slo_scout.core.rca.score.rank` ranks them:

- :func:`step_error_origins` (``step_errors``, code): errors travel up the call tree, so a
  service's own errors count only past those of the services it calls (the journey's edges):
  ``max(0, errors - callee errors)``, per window. Binomial upper tail of the incident's count
  in the service's spans against the baseline's rate (half a count of prior), as
  ``error_origin`` does with the deepest failing spans.
- :func:`critical_path_shifts` (``critical_path_share``, latency): per service, the mean share
  of a request's critical path it holds. Shares lie in [0, 1], so Hoeffding's inequality bounds
  the chance of the mean rising by ``d`` over ``n`` requests by ``exp(-2 n d^2)`` whatever the
  distribution (the spread of shares per request is not stored).

- :func:`template_surges` (``log_template``, code): the error log templates the streaming
  catalog job linked to the journey's traces, per service and template: the share of the
  journey's requests whose trace logged it, binomial upper tail against the baseline's share
  (new or surged), less ``log10`` of the service's templates tested (the strongest of m tests,
  as for spans). The evidence names a few of the traces.

Every service of the journey gets a finding in each signal, zero when nothing moved, so the
standout of :mod:`score` compares a service with the quiet ones too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from slo_scout.core.rca.model import Evidence, Suspect
from slo_scout.core.rca.score import rank
from slo_scout.core.rca.stats import MAX_SURPRISE, binomial_upper

_PPB = 1_000_000_000
Step = tuple[str, str]


@dataclass
class StepWindow:
    """A journey's requests and per-step ``[spans, errors, critical-path ppb]`` in a window."""

    requests: int = 0
    steps: dict[Step, list[int]] = field(default_factory=dict)

    def add(self, requests: int, steps: Mapping[Step, list[int]]) -> None:
        self.requests += requests
        for step, counts in steps.items():
            mine = self.steps.setdefault(step, [0, 0, 0])
            for i in range(3):
                mine[i] += counts[i]

    def per_service(self, index: int) -> dict[str, int]:
        out: dict[str, int] = {}
        for (service, _), counts in self.steps.items():
            out[service] = out.get(service, 0) + counts[index]
        return out


def _worst_operation(window: StepWindow, service: str, index: int) -> str | None:
    ops = [(counts[index], op) for (svc, op), counts in window.steps.items() if svc == service]
    if not ops:
        return None
    return max(ops)[1]


def _own_errors(window: StepWindow, calls: Mapping[str, set[str]]) -> dict[str, int]:
    errors = window.per_service(1)
    return {
        service: max(0, count - sum(errors.get(callee, 0)
                                    for callee in calls.get(service, ()) if callee != service))
        for service, count in errors.items()
    }


def step_error_origins(incident: StepWindow, baseline: StepWindow,
                       calls: Mapping[str, set[str]]) -> list[Evidence]:
    own_now, own_before = _own_errors(incident, calls), _own_errors(baseline, calls)
    spans_now, spans_before = incident.per_service(0), baseline.per_service(0)
    found = []
    for service in sorted(spans_now):
        count, trials = own_now.get(service, 0), spans_now[service]
        rate = (own_before.get(service, 0) + 0.5) / (spans_before.get(service, 0) + 1)
        surprise = binomial_upper(count, trials, rate)
        found.append(Evidence(
            "step_errors", service, _worst_operation(incident, service, 1), "code", surprise,
            f"{count} errors of its own in {trials} spans (the baseline's rate "
            f"{rate:.2%} expects {rate * trials:.1f}; errors of the services it calls are "
            "not counted)",
        ))
    return found


def critical_path_shifts(incident: StepWindow, baseline: StepWindow) -> list[Evidence]:
    share_now, share_before = incident.per_service(2), baseline.per_service(2)
    found = []
    n = incident.requests
    for service in sorted(incident.per_service(0)):
        now = share_now.get(service, 0) / _PPB / n if n else 0.0
        before = share_before.get(service, 0) / _PPB / baseline.requests if baseline.requests \
            else 0.0
        rise = now - before
        surprise = 0.0
        if rise > 0 and n:
            surprise = min(MAX_SURPRISE, 2.0 * n * rise * rise / math.log(10.0))
        found.append(Evidence(
            "critical_path_share", service, _worst_operation(incident, service, 2), "latency",
            surprise,
            f"holds {now:.1%} of a request's critical path (baseline {before:.1%}, "
            f"{n} requests)",
        ))
    return found


TemplateTraces = Mapping[tuple[str, str], set[str]]  # (service, template) -> trace ids
TRACES_SHOWN = 3


def template_surges(now: TemplateTraces, before: TemplateTraces, incident: StepWindow,
                    baseline: StepWindow) -> list[Evidence]:
    trials, base = incident.requests, baseline.requests
    if not trials or not base:
        return []
    tests: dict[str, int] = {}
    for service, _ in set(now) | set(before):
        tests[service] = tests.get(service, 0) + 1
    found = []
    for service in sorted(set(incident.per_service(0)) | set(tests)):
        found.append(Evidence("log_template", service, None, "code", 0.0, "no error template"))
    for (service, template), traces in sorted(now.items()):
        count, earlier = len(traces), len(before.get((service, template), ()))
        p = (earlier + 0.5) / (base + 1)
        surprise = binomial_upper(count, trials, p) - math.log10(tests[service])
        if surprise <= 0:
            continue
        change = "new" if earlier == 0 else f"surged from {earlier} of {base} requests"
        shown = ", ".join(sorted(traces)[:TRACES_SHOWN])
        found.append(Evidence(
            "log_template", service, None, "code", surprise,
            f"error template {change}: now in {count} of {trials} requests' traces "
            f"(e.g. {shown}): {template[:160]}",
        ))
    return found


def rank_steps(incident: StepWindow, baseline: StepWindow,
               calls: Mapping[str, set[str]], templates_now: TemplateTraces | None = None,
               templates_before: TemplateTraces | None = None) -> list[Suspect]:
    """Suspects from stored step statistics (and error templates), best first; findings of no
    surprise are left out of the evidence, and services with no score and no evidence out of
    the ranking."""
    evidence = step_error_origins(incident, baseline, calls)
    evidence += critical_path_shifts(incident, baseline)
    evidence += template_surges(templates_now or {}, templates_before or {}, incident, baseline)
    suspects = []
    for suspect in rank(evidence):
        suspect.evidence = [e for e in suspect.evidence if e.surprise > 0]
        if suspect.score > 0 or suspect.evidence:
            suspects.append(suspect)
    return suspects
