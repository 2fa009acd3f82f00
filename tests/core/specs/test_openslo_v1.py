"""OpenSLO v1 SLOs generate the rules the equivalent Sloth spec generates."""

from __future__ import annotations

import pytest
import yaml
from tests.core.rules.spec_builders import generate

from slo_scout.core.rules import GenerateOptions, WindowsCatalog
from slo_scout.core.rules.files import generate_text
from slo_scout.core.specs.durations import DAY
from slo_scout.core.specs.openslo_v1_objects import shared_objects

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


def _strip_spec_labels(groups: list[dict]) -> list[dict]:
    for group in groups:
        for rule in group["rules"]:
            for key in ("sloth_mode", "sloth_spec"):
                rule.get("labels", {}).pop(key, None)
    return groups


def test_a_referenced_sli_with_a_28_day_window_records_what_sloth_records_for_28_days() -> None:
    openslo = generate(f"{SLI_DOC}---\n{SLO_DOC}", period_days=30)
    sloth = generate(SLOTH_EQUIVALENT, period_days=28)
    assert openslo.errors == () and sloth.errors == ()
    ours, theirs = (
        _strip_spec_labels(_groups(openslo.text)),
        _strip_spec_labels(_groups(sloth.text)),
    )
    assert ours[:2] == theirs[:2]  # SLI and metadata recording rules
    assert _groups(openslo.text)[1]["rules"][-1]["labels"]["sloth_spec"] == "openslo/v1"


def test_a_burnrate_condition_gives_its_own_window_pair_threshold_and_for() -> None:
    slo = SLO_DOC.replace("lookbackWindow: 1h}", "lookbackWindow: 6h, alertAfter: 5m}").replace(
        "threshold: 14.4", "threshold: 6"
    )
    outcome = generate(f"{SLI_DOC}---\n{slo}")
    assert outcome.errors == ()
    [alert] = _groups(outcome.text)[2]["rules"]
    ids = 'sloth_id="svc01-slo1", sloth_service="svc01", sloth_slo="slo1"'
    assert alert["expr"] == (
        f"(\n    max(slo:sli_error:ratio_rate30m{{{ids}}} >= (6 * 0.0009999999999999432)) "
        "without (sloth_window)\n    and\n"
        f"    max(slo:sli_error:ratio_rate6h{{{ids}}} >= (6 * 0.0009999999999999432)) "
        "without (sloth_window)\n)\n"
    )
    assert alert["for"] == "5m" and alert["alert"] == "Svc01Burn"
    assert alert["labels"] == {"sloth_severity": "page"}


def test_policy_windows_outside_sloths_are_recorded_too() -> None:
    slo = SLO_DOC.replace("lookbackWindow: 1h}", "lookbackWindow: 2d}")
    outcome = generate(f"{SLI_DOC}---\n{slo}")
    records = [r["record"] for r in _groups(outcome.text)[0]["rules"]]
    assert "slo:sli_error:ratio_rate4h" in records and "slo:sli_error:ratio_rate2d" in records
    assert records[-1] == "slo:sli_error:ratio_rate4w"


def test_each_condition_of_a_policy_is_one_rule_and_ticket_severities_map_to_ticket() -> None:
    slo = SLO_DOC.replace(
        "          - kind: AlertCondition\n            metadata: {name: fast}\n"
        "            spec:\n              severity: page\n"
        "              condition: {kind: burnrate, op: gte, threshold: 14.4, lookbackWindow: 1h}\n",
        "          - conditionRef: slow\n          - conditionRef: slower\n",
    )
    conditions = "".join(
        f"---\napiVersion: openslo/v1\nkind: AlertCondition\nmetadata: {{name: {name}}}\n"
        f"spec:\n  severity: warning\n  condition: {{kind: burnrate, op: gt, threshold: {t}, "
        f"lookbackWindow: {w}}}\n"
        for name, t, w in (("slow", 3, "1d"), ("slower", 1, "3d"))
    )
    outcome = generate(f"{SLI_DOC}---\n{slo}{conditions}")
    assert outcome.errors == ()
    alerts = _groups(outcome.text)[2]["rules"]
    assert [(a["alert"], a["labels"]["sloth_severity"]) for a in alerts] == [
        ("Svc01Burn", "ticket"),
        ("Svc01Burn", "ticket"),
    ]
    assert "ratio_rate2h" in alerts[0]["expr"] and "> (3 * " in alerts[0]["expr"]
    assert "ratio_rate3d" in alerts[1]["expr"] and "for" not in alerts[1]


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


def _calendar(window: str) -> str:
    return SLO_DOC.replace("    - duration: 28d\n      isRolling: true\n", window)


MONTH = "    - duration: 1M\n      calendar: {startTime: '2024-01-01 00:00:00', timeZone: UTC}\n"


def test_a_calendar_month_measures_its_period_rules_from_the_first_of_the_month() -> None:
    outcome = generate(f"{SLI_DOC}---\n{_calendar(MONTH)}")
    assert outcome.errors == ()
    sli, meta = (g["rules"] for g in _groups(outcome.text)[:2])
    assert sli[-1]["record"] == "slo:sli_error:ratio_rate1M"
    assert sli[-1]["labels"]["sloth_window"] == "1M"
    assert "[31d:1h]" in sli[-1]["expr"] and "@ end()" in sli[-1]["expr"]
    by_name = {r["record"]: r["expr"] for r in meta}
    assert by_name["slo:time_period:days"] == "vector(30)"  # alerts keep the nominal 30 days
    assert "slo:sli_error:ratio_rate1M{" in by_name["slo:period_burn_rate:ratio"]
    assert "days_in_month()" in by_name["slo:period_elapsed:ratio"]
    assert "slo:period_elapsed:ratio{" in by_name["slo:period_error_budget_remaining:ratio"]
    assert "ratio_rate1h{" in _groups(outcome.text)[2]["rules"][0]["expr"]


def test_a_yaml_timestamp_start_time_is_read_too() -> None:
    window = (
        "    - duration: 2w\n      isRolling: false\n"
        "      calendar: {startTime: 2024-01-01 06:00:00}\n"
    )
    outcome = generate(f"{SLI_DOC}---\n{_calendar(window)}")
    assert outcome.errors == ()
    sli = _groups(outcome.text)[0]["rules"][-1]
    assert sli["record"] == "slo:sli_error:ratio_rate2w"
    assert "floor((vector(time() - 3600) - 1704088800) / 1209600)" in sli["expr"]


@pytest.mark.parametrize(
    ("window", "field"),
    [
        (
            "    - duration: 1Q\n      calendar: {startTime: '2024-01-01 00:00:00'}\n",
            "spec.timeWindow[0].duration",
        ),
        (
            "    - duration: 1M\n      calendar: {startTime: '2024-01-15 00:00:00'}\n",
            "spec.timeWindow[0].calendar.startTime",
        ),
        (
            "    - duration: 1M\n      calendar: {startTime: '2024-01-01 00:00:00', "
            "timeZone: Europe/Paris}\n",
            "spec.timeWindow[0].calendar.timeZone",
        ),
        (
            "    - duration: 1w\n      calendar: {startTime: '2024-01-01 00:30:00'}\n",
            "spec.timeWindow[0].calendar.startTime",
        ),
    ],
    ids=["quarter", "mid-month-start", "non-utc", "half-hour-start"],
)
def test_calendar_windows_prometheus_cannot_align_are_refused_naming_the_field(
    window: str, field: str
) -> None:
    outcome = generate(f"{SLI_DOC}---\n{_calendar(window)}")
    assert [(e.document, e.field) for e in outcome.errors] == [(2, field)]


def test_a_missing_indicator_reference_names_the_field() -> None:
    outcome = generate(SLO_DOC)
    assert [(e.document, e.field) for e in outcome.errors] == [(1, "spec.indicatorRef")]


def test_an_unknown_alert_severity_names_the_condition_field() -> None:
    outcome = generate(f"{SLI_DOC}---\n{SLO_DOC.replace('severity: page', 'severity: loud')}")
    assert outcome.errors[0].field == "spec.alertPolicies[0].spec.conditions[0].spec.severity"
    assert outcome.errors[0].document == 2


def test_a_condition_without_a_lookback_window_names_it() -> None:
    outcome = generate(f"{SLI_DOC}---\n{SLO_DOC.replace(', lookbackWindow: 1h', '')}")
    assert outcome.errors[0].field == (
        "spec.alertPolicies[0].spec.conditions[0].spec.condition.lookbackWindow"
    )


def _cross_file(sli_files: dict[str, str]) -> tuple:
    shared = shared_objects({**sli_files, "slo.yaml": SLO_DOC})
    return generate_text(
        SLO_DOC,
        source="slo.yaml",
        period_ms=30 * DAY,
        catalog=WindowsCatalog(),
        options=GenerateOptions(version="test"),
        shared=shared,
    )


def test_an_sli_in_another_file_of_the_run_is_found() -> None:
    outcome = _cross_file({"slis.yaml": SLI_DOC})
    assert outcome.errors == ()
    assert outcome.results[0].slo.sli is not None


def test_an_sli_defined_in_two_other_files_is_ambiguous_and_names_both() -> None:
    outcome = _cross_file({"a.yaml": SLI_DOC, "b.yaml": SLI_DOC})
    [error] = outcome.errors
    assert (error.source, error.document, error.field) == ("slo.yaml", 1, "spec.indicatorRef")
    assert "a.yaml, b.yaml" in error.reason


def test_an_sli_no_file_defines_names_the_field_and_says_where_it_looked() -> None:
    [error] = _cross_file({"other.yaml": "kind: nothing\n"}).errors
    assert error.field == "spec.indicatorRef" and "other input files" in error.reason
