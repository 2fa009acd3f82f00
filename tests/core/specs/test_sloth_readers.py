"""Sloth specs: every problem is reported with file, document and field, good documents kept."""

from __future__ import annotations

from tests.core.rules.spec_builders import SERVICE_SPEC

from slo_scout.core.specs import SLIEvents, read_documents
from slo_scout.core.specs.durations import DAY


def _read(text: str) -> list:
    return read_documents(text, source="specs.yaml", period_ms=30 * DAY)


def test_a_service_spec_reads_into_sloths_model() -> None:
    [doc] = _read(SERVICE_SPEC)
    slo = doc.spec.slos[0]
    assert (slo.id, slo.objective, slo.period_ms) == ("svc01-slo1", 99.9, 30 * DAY)
    assert dict(slo.labels) == {"team": "payments", "tier": "1"}
    assert isinstance(slo.sli, SLIEvents)
    assert dict(slo.page_alert.labels) == {"owner": "payments", "route": "pager"}
    assert doc.spec.slos[1].page_alert.disable


def test_a_bad_document_does_not_hide_the_good_one_beside_it() -> None:
    bad = SERVICE_SPEC.replace("objective: 95", "objective: 0")
    docs = _read(f"{SERVICE_SPEC}---\n{bad}")
    assert docs[0].spec is not None and docs[0].errors == ()
    assert docs[1].spec is None
    assert str(docs[1].errors[0]).startswith("specs.yaml, document 2, field 'slos[1].objective'")


def test_a_query_without_the_window_variable_is_rejected() -> None:
    text = SERVICE_SPEC.replace('code=~"5.."}[{{.window}}]', 'code=~"5.."}[5m]', 1)
    [doc] = _read(text)
    assert doc.errors[0].field == "slos[0].sli.events.error_query"
    assert "{{ .window }}" in doc.errors[0].reason


def test_invalid_promql_is_rejected_before_anything_is_generated() -> None:
    text = SERVICE_SPEC.replace(
        'sum(rate(http_requests_total{job="svc"}[{{.window}}]))', "sum(rate(x[{{.window}}]", 1
    )
    [doc] = _read(text)
    assert doc.errors[0].field == "slos[0].sli.events.total_query"
    assert "invalid PromQL" in doc.errors[0].reason


def test_bad_label_names_and_empty_alert_names_are_named() -> None:
    text = SERVICE_SPEC.replace("team: payments", "team-name: payments").replace(
        "name: Svc01Burn", "name: ''"
    )
    [doc] = _read(text)
    fields = {e.field for e in doc.errors}
    assert {"slos[0].labels", "slos[0].alerting.name"} <= fields


def test_yaml_syntax_errors_name_the_line() -> None:
    [doc] = _read("version: prometheus/v1\nslos: [\n")
    assert "line" in doc.errors[0].reason


def test_pyrra_objectives_are_checked_with_pyrras_rules() -> None:
    pyrra = """\
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata: {name: api-errors}
spec:
  target: "100"
  window: 4w
  indicator:
    ratio:
      errors: {metric: 'http_requests_total{code=~"5.."}'}
      total: {metric: 'http_requests_total{'}
"""
    [doc] = _read(pyrra)
    assert [e.field for e in doc.errors] == ["spec.target", "spec.indicator.ratio.total.metric"]
