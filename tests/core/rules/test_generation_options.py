"""Periods, custom windows, extra labels, disable flags and multi-document files, as Sloth."""

from __future__ import annotations

import yaml
from tests.core.rules.spec_builders import SERVICE_SPEC, generate
from tests.core.rules.test_burn_rates import WINDOWS_7D

from slo_scout.core.rules import WindowsCatalog, parse_alert_windows


def _groups(text: str) -> list[dict]:
    return [g for doc in yaml.safe_load_all(text) for g in doc["groups"]]


def _rules(text: str, group: str) -> list[dict]:
    return next(g["rules"] for g in _groups(text) if g["name"] == group)


def test_a_28_day_period_names_the_period_window_4w_and_uses_28_day_factors() -> None:
    text = generate(period_days=28).text
    sli = _rules(text, "sloth-slo-sli-recordings-svc01-slo1")
    assert [r["labels"]["sloth_window"] for r in sli] == [
        "5m",
        "30m",
        "1h",
        "2h",
        "6h",
        "1d",
        "3d",
        "4w",
    ]
    assert "[4w])" in sli[-1]["expr"] and "slo:sli_error:ratio_rate5m{" in sli[-1]["expr"]
    meta = {r["record"]: r["expr"] for r in _rules(text, "sloth-slo-meta-recordings-svc01-slo1")}
    assert meta["slo:time_period:days"] == "vector(28)"
    assert meta["slo:period_burn_rate:ratio"].startswith("slo:sli_error:ratio_rate4w{")
    page, ticket = _rules(text, "sloth-slo-alerts-svc01-slo1")
    assert "(13.44 * 0.0009999999999999432)" in page["expr"]
    assert "(5.6000000000000005 * 0.0009999999999999432)" in page["expr"]
    assert "(2.8000000000000003 * 0.0009999999999999432)" in ticket["expr"]
    assert "(0.9333333333333333 * 0.0009999999999999432)" in ticket["expr"]


def test_custom_windows_set_the_recorded_windows_and_factors() -> None:
    catalog = WindowsCatalog([parse_alert_windows(WINDOWS_7D, source="7d.yaml")])
    text = generate(period_days=7, catalog=catalog).text
    windows = [
        r["labels"]["sloth_window"] for r in _rules(text, "sloth-slo-sli-recordings-svc01-slo1")
    ]
    assert windows == ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "1w"]
    page, _ = _rules(text, "sloth-slo-alerts-svc01-slo1")
    assert "(13.44 * 0.0009999999999999432)" in page["expr"]
    assert "(3.5 * 0.0009999999999999432)" in page["expr"]


def test_a_period_without_windows_is_an_error_naming_the_slo() -> None:
    outcome = generate(period_days=7)
    assert outcome.text == ""
    assert "1w SLO period time window is not supported" in outcome.errors[0].message


def test_extra_labels_go_on_every_recording_rule_and_override_spec_labels() -> None:
    text = generate(extra_labels=(("env", "prod"), ("team", "core"))).text
    for group in _groups(text):
        for rule in group["rules"]:
            if "record" in rule:
                assert rule["labels"]["env"] == "prod"
                assert rule["labels"]["team"] == "core"
            else:
                # Sloth adds extra labels to the SLO, not to the alert rule's own labels.
                assert "env" not in rule["labels"]


def test_alert_labels_merge_common_then_severity_specific() -> None:
    page, ticket = _rules(generate().text, "sloth-slo-alerts-svc01-slo1")
    assert page["labels"] == {"owner": "payments", "route": "pager", "sloth_severity": "page"}
    assert ticket["labels"]["route"] == "tickets"
    assert page["annotations"]["runbook"] == "https://runbooks/svc01"


def test_disable_alerts_leaves_only_recording_groups() -> None:
    names = [g["name"] for g in _groups(generate(disable_alerts=True).text)]
    assert names == [
        "sloth-slo-sli-recordings-svc01-slo1",
        "sloth-slo-meta-recordings-svc01-slo1",
        "sloth-slo-sli-recordings-svc01-slo02",
        "sloth-slo-meta-recordings-svc01-slo02",
    ]


def test_disable_recordings_leaves_only_the_alerts_of_slos_that_have_them() -> None:
    names = [g["name"] for g in _groups(generate(disable_recordings=True).text)]
    assert names == ["sloth-slo-alerts-svc01-slo1"]


def test_disabling_everything_generates_nothing_and_says_so() -> None:
    outcome = generate(disable_recordings=True, disable_alerts=True)
    assert "0 SLO Prometheus rules generated" in outcome.errors[0].message


def test_disable_optimized_rules_computes_the_period_from_the_raw_queries() -> None:
    rules = _rules(
        generate(disable_optimized_rules=True).text, "sloth-slo-sli-recordings-svc01-slo1"
    )
    assert rules[-1]["expr"] == (
        '(sum(rate(http_requests_total{job="svc",code=~"5.."}[30d])))\n/\n'
        '(sum(rate(http_requests_total{job="svc"}[30d])))\n'
    )


def test_a_multi_document_file_gives_one_output_document_per_input_document() -> None:
    second = SERVICE_SPEC.replace('service: "svc01"', 'service: "svc02"')
    text = generate(f"---\n{SERVICE_SPEC}\n---\n{second}").text
    docs = list(yaml.safe_load_all(text))
    assert len(docs) == 2
    assert docs[1]["groups"][0]["name"] == "sloth-slo-sli-recordings-svc02-slo1"
    assert text.count("# DO NOT EDIT.") == 2


def test_output_is_byte_identical_on_rerun() -> None:
    assert generate().text == generate().text
