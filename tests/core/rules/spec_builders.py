"""Spec texts for the rule tests (the shape of Sloth's own integration-test input)."""

from __future__ import annotations

from slo_scout.core.rules import GenerateOptions, WindowsCatalog
from slo_scout.core.rules.files import FileOutcome, generate_text
from slo_scout.core.specs.durations import DAY

SERVICE_SPEC = """\
version: "prometheus/v1"
service: "svc01"
labels:
  team: payments
slos:
  - name: "slo1"
    objective: 99.9
    labels:
      tier: "1"
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="svc",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="svc"}[{{.window}}]))
    alerting:
      name: Svc01Burn
      labels:
        owner: payments
      annotations:
        runbook: https://runbooks/svc01
      page_alert:
        labels:
          route: pager
      ticket_alert:
        labels:
          route: tickets
  - name: "slo02"
    objective: 95
    sli:
      raw:
        error_ratio_query: |
          sum(rate(http_requests_total{job="svc",code=~"5.."}[{{.window}}]))
          /
          sum(rate(http_requests_total{job="svc"}[{{.window}}]))
    alerting:
      page_alert:
        disable: true
      ticket_alert:
        disable: true
"""


def generate(
    text: str = SERVICE_SPEC,
    *,
    period_days: int = 30,
    catalog: WindowsCatalog | None = None,
    **options: object,
) -> FileOutcome:
    outcome = generate_text(
        text,
        source="spec.yaml",
        period_ms=period_days * DAY,
        catalog=catalog or WindowsCatalog(),
        options=GenerateOptions(version="test", **options),  # type: ignore[arg-type]
    )
    return outcome
