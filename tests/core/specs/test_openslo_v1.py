"""OpenSLO v1 SLOs generate the rules the equivalent Sloth spec generates."""

from __future__ import annotations

import yaml
from tests.core.rules.spec_builders import generate

SLI_DOC = """\
apiVersion: openslo/v1
kind: SLI
metadata:
  name: checkout-errors
spec:
  ratioMetric:
    counter: true
    bad:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(http_requests_total{job="svc",code=~"5.."}[{{.window}}]))
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(http_requests_total{job="svc"}[{{.window}}]))
"""

SLO_DOC = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: slo1
spec:
  service: svc01
  indicatorRef: checkout-errors
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  objectives:
    - target: 0.999
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: Svc01Burn
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: fast}
            spec:
              severity: page
              condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h}
"""

SLOTH_EQUIVALENT = """\
version: prometheus/v1
service: svc01
slos:
  - name: slo1
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="svc",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="svc"}[{{.window}}]))
    alerting:
      name: Svc01Burn
      ticket_alert:
        disable: true
"""


def _groups(text: str) -> list[dict]:
    return [g for doc in yaml.safe_load_all(text) for g in doc["groups"]]


def test_a_referenced_sli_with_a_28_day_window_gives_the_sloth_rules_for_28_days() -> None:
    openslo = generate(f"{SLI_DOC}---\n{SLO_DOC}", period_days=30)
    sloth = generate(SLOTH_EQUIVALENT, period_days=28)
    assert openslo.errors == () and sloth.errors == ()

    def strip_spec_labels(groups: list[dict]) -> list[dict]:
        for group in groups:
            for rule in group["rules"]:
                for key in ("sloth_mode", "sloth_spec"):
                    rule.get("labels", {}).pop(key, None)
        return groups

    assert strip_spec_labels(_groups(openslo.text)) == strip_spec_labels(_groups(sloth.text))
    info = _groups(openslo.text)[1]["rules"][-1]["labels"]
    assert info["sloth_spec"] == "openslo/v1"


def test_an_inline_good_total_indicator_maps_as_sloth_maps_v1alpha() -> None:
    inline = SLO_DOC.replace(
        "  indicatorRef: checkout-errors\n",
        "  indicator:\n    metadata: {name: inline}\n    spec:\n      ratioMetric:\n"
        "        good:\n          metricSource:\n            type: Prometheus\n"
        "            spec: {query: 'sum(rate(ok_total[{{.window}}]))'}\n"
        "        total:\n          metricSource:\n            type: Prometheus\n"
        "            spec: {query: 'sum(rate(all_total[{{.window}}]))'}\n",
    )
    outcome = generate(inline)
    assert outcome.errors == ()
    first = _groups(outcome.text)[0]["rules"][0]["expr"]
    assert first.startswith("(\n  1 - (\n    (\n      sum(rate(ok_total[5m]))")


def test_a_calendar_month_becomes_a_30_day_rolling_period() -> None:
    calendar = SLO_DOC.replace(
        "    - duration: 28d\n      isRolling: true\n",
        "    - duration: 1M\n      calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC}\n",
    )
    outcome = generate(f"{SLI_DOC}---\n{calendar}")
    meta = _groups(outcome.text)[1]["rules"]
    assert meta[2]["expr"] == "vector(30)"


def test_a_missing_indicator_reference_names_the_field() -> None:
    outcome = generate(SLO_DOC)
    assert [(e.document, e.field) for e in outcome.errors] == [(1, "spec.indicatorRef")]


def test_an_unknown_alert_severity_names_the_condition_field() -> None:
    outcome = generate(f"{SLI_DOC}---\n{SLO_DOC.replace('severity: page', 'severity: loud')}")
    assert outcome.errors[0].field == "spec.alertPolicies[0].spec.conditions[0].spec.severity"
    assert outcome.errors[0].document == 2
