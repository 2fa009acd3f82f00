"""Real promtool: OpenSLO alert policy alerts fire when their policy says, and only then."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from tests.core.rules.spec_builders import generate

from slo_scout.core.errors import SpecError
from slo_scout.core.rules.policy_promtool_tests import build_policy_suite
from slo_scout.core.specs.model import SLIRaw, SLOSpec

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
needs_promtool = pytest.mark.skipif(not Path(PROMTOOL).exists(), reason="promtool is not installed")

BAD = 'http_requests_total{job="shop", code="500"}'
GOOD = 'http_requests_total{job="shop", code="200"}'
PAGE = ("CheckoutPage", "critical", [("fast", "gte", 14.4, "1h", "2m")])
TICKET = ("CheckoutTicket", "warning", [("slow", "gt", 1, "3d", "0m")])


def openslo(
    policies: list[tuple[str, str, list[tuple[str, str, float, str, str]]]],
    *,
    target: float = 0.999,
    duration: str = "30d",
) -> str:
    """An OpenSLO v1 SLO on `http_requests_total` with inline alert policies."""
    indicator = """\
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec: {query: 'sum(rate(http_requests_total{job="shop",code=~"5.."}[{{.window}}]))'}
        total:
          metricSource:
            type: Prometheus
            spec: {query: 'sum(rate(http_requests_total{job="shop"}[{{.window}}]))'}
"""
    text = f"""\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  service: shop
  budgetingMethod: Occurrences
  indicator:
    metadata: {{name: checkout-errors}}
    spec:
{indicator}  timeWindow:
    - duration: {duration}
      isRolling: true
  objectives:
    - target: {target}
  alertPolicies:
"""
    for name, severity, conditions in policies:
        text += f"""\
    - kind: AlertPolicy
      metadata: {{name: {name}, labels: {{team: shop}}, annotations: {{runbook: https://runbooks/checkout}}}}
      spec:
        conditions:
"""
        for cname, op, threshold, lookback, after in conditions:
            text += f"""\
          - kind: AlertCondition
            metadata: {{name: {cname}}}
            spec:
              severity: {severity}
              condition:
                kind: burnrate
                op: {op}
                threshold: {threshold}
                lookbackWindow: {lookback}
                alertAfter: {after}
"""
    return text


def _generate(text: str, period_days: int = 30) -> tuple[str, SLOSpec]:
    outcome = generate(text, period_days=period_days)
    assert outcome.errors == ()
    return outcome.text, outcome.results[0].slo


def _write(tmp_path: Path, rules: str, slo: SLOSpec) -> dict:
    (tmp_path / "rules.yaml").write_text(rules)
    suite = build_policy_suite(rule_file="rules.yaml", slo=slo, bad_series=BAD, good_series=GOOD)
    (tmp_path / "suite.yaml").write_text(suite)
    return yaml.safe_load(suite)


def _promtool_test(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL, "test", "rules", "suite.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


def _group(suite: dict, name: str) -> dict:
    return next(t for t in suite["tests"] if t["name"] == name)


def _firing_at(group: dict, alertname: str) -> dict[int, int]:
    """Expected number of firing alerts per asserted minute."""
    return {
        int(case["eval_time"][:-1]): len(case["exp_alerts"])
        for case in group["alert_rule_test"]
        if case["alertname"] == alertname
    }


def _pending_at(group: dict, alertname: str) -> dict[int, int]:
    return {
        int(case["eval_time"][:-1]): len(case["exp_samples"])
        for case in group["promql_expr_test"]
        if f'alertname="{alertname}"' in case["expr"]
    }


@needs_promtool
def test_a_page_policy_fires_alert_after_the_burn_crosses_and_not_a_minute_before(
    tmp_path: Path,
) -> None:
    rules, slo = _generate(openslo([PAGE, TICKET]))
    suite = _write(tmp_path, rules, slo)
    result = _promtool_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # An hour of healthy traffic, then 1.3 x 14.4 = 18.72x the budget: the 1h window passes
    # 14.4x after 47 minutes (18.72 * 47 / 60 = 14.66), at minute 107; alertAfter 2m.
    sustained = _group(suite, "CheckoutPage/fast sustained")
    assert "18720+18720x" in sustained["input_series"][0]["values"]
    firing = _firing_at(sustained, "CheckoutPage")
    pending = _pending_at(sustained, "CheckoutPage")
    assert (firing[106], pending[106]) == (0, 0)
    assert (firing[107], pending[107]) == (0, 1)
    assert (firing[108], pending[108]) == (0, 1)
    assert (firing[109], pending[109]) == (1, 0)
    assert _firing_at(sustained, "CheckoutTicket")  # the other policy is asserted too


@needs_promtool
def test_a_page_policy_stays_silent_for_half_its_threshold_a_spike_and_a_burst_under_alert_after(
    tmp_path: Path,
) -> None:
    rules, slo = _generate(openslo([PAGE]))
    suite = _write(tmp_path, rules, slo)
    assert _promtool_test(tmp_path).returncode == 0
    for scenario in ("half_threshold", "spike", "under_alert_after"):
        group = _group(suite, f"CheckoutPage/fast {scenario}")
        assert set(_firing_at(group, "CheckoutPage").values()) == {0}, scenario
    # The burst makes both windows cross, so only alertAfter keeps it silent: it is pending.
    burst = _group(suite, "CheckoutPage/fast under_alert_after")
    assert max(_pending_at(burst, "CheckoutPage").values()) == 1


@needs_promtool
def test_a_ticket_policy_over_three_days_without_alert_after_fires_at_once(
    tmp_path: Path,
) -> None:
    rules, slo = _generate(openslo([TICKET]))
    suite = _write(tmp_path, rules, slo)
    result = _promtool_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    names = [t["name"] for t in suite["tests"]]
    assert names == [
        "CheckoutTicket/slow sustained",
        "CheckoutTicket/slow half_threshold",
        "CheckoutTicket/slow spike",
    ]
    firing = _firing_at(suite["tests"][0], "CheckoutTicket")
    first = min(t for t, n in firing.items() if n)
    assert firing[first - 1] == 0  # no alertAfter: it fires the minute the condition holds
    assert _pending_at(suite["tests"][0], "CheckoutTicket")[first - 1] == 0


@needs_promtool
def test_a_28_day_slo_with_page_and_ticket_policies_passes_its_suite(tmp_path: Path) -> None:
    page = ("ShopPage", "page", [("fast", "gte", 13.44, "1h", "2m")])
    ticket = ("ShopTicket", "ticket", [("slow", "gt", 5.6, "6h", "15m")])
    rules, slo = _generate(openslo([page, ticket], target=0.995, duration="28d"), period_days=28)
    assert "slo:sli_error:ratio_rate4w" in rules
    suite = _write(tmp_path, rules, slo)
    result = _promtool_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # A sustained burn over the page threshold ends with both alerts firing.
    sustained = _group(suite, "ShopPage/fast sustained")
    end = max(_firing_at(sustained, "ShopPage"))
    assert _firing_at(sustained, "ShopPage")[end] == 1
    ticket_sustained = _group(suite, "ShopTicket/slow sustained")
    assert max(_pending_at(ticket_sustained, "ShopTicket").values()) == 1  # its 15m wait


@needs_promtool
def test_a_less_or_equal_policy_fires_while_the_burn_stays_under_its_threshold(
    tmp_path: Path,
) -> None:
    policy = ("CheckoutQuiet", "ticket", [("quiet", "lte", 2, "6h", "10m")])
    rules, slo = _generate(openslo([policy]))
    assert "<= (2 * " in rules
    suite = _write(tmp_path, rules, slo)
    result = _promtool_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    half = _firing_at(_group(suite, "CheckoutQuiet/quiet half_threshold"), "CheckoutQuiet")
    assert half[10] == 0 and half[11] == 1  # holds from minute 1, fires 10 minutes later
    sustained = _firing_at(_group(suite, "CheckoutQuiet/quiet sustained"), "CheckoutQuiet")
    assert sustained[max(sustained)] == 0  # burning at 1.3x the threshold silences it


TAMPERING = {
    "page threshold raised 14.4 -> 15": ([PAGE], "(14.4 * ", "(15 * ", "sustained"),
    "page threshold lowered 14.4 -> 7": ([PAGE], "(14.4 * ", "(7 * ", "half_threshold"),
    "page alertAfter shortened": ([PAGE], "for: 2m", "for: 1m", "sustained"),
    "page alertAfter removed": ([PAGE], "    for: 2m\n", "", "under_alert_after"),
    "page operator flipped": ([PAGE], ">= (14.4", "<= (14.4", "sustained"),
    "ticket threshold raised 1 -> 1.1": ([TICKET], "> (1 * ", "> (1.1 * ", "sustained"),
}


@needs_promtool
@pytest.mark.parametrize("case", TAMPERING, ids=str)
def test_the_suite_fails_when_the_rules_are_tampered_with(tmp_path: Path, case: str) -> None:
    policies, old, new, scenario = TAMPERING[case]
    rules, slo = _generate(openslo(policies))
    assert old in rules
    tampered = rules.replace(old, new)
    _write(tmp_path, tampered, slo)
    result = _promtool_test(tmp_path)
    assert result.returncode != 0
    assert f" {scenario}," in result.stdout + result.stderr  # the real rules pass: tests above


def test_the_suite_is_byte_identical_on_rebuild() -> None:
    _, slo = _generate(openslo([PAGE, TICKET]))
    first = build_policy_suite(rule_file="r.yaml", slo=slo, bad_series=BAD, good_series=GOOD)
    again = build_policy_suite(rule_file="r.yaml", slo=slo, bad_series=BAD, good_series=GOOD)
    assert first == again


def test_the_suite_orders_sli_recordings_before_alerts() -> None:
    _, slo = _generate(openslo([PAGE]))
    suite = yaml.safe_load(
        build_policy_suite(rule_file="r.yaml", slo=slo, bad_series=BAD, good_series=GOOD)
    )
    assert suite["group_eval_order"] == [
        "sloth-slo-sli-recordings-shop-checkout",
        "sloth-slo-meta-recordings-shop-checkout",
        "sloth-slo-alerts-shop-checkout",
    ]


def test_a_threshold_that_100_percent_errors_cannot_reach_is_refused() -> None:
    policy = ("Impossible", "page", [("fast", "gt", 90, "1h", "0m")])
    _, slo = _generate(openslo([policy], target=0.99))
    with pytest.raises(SpecError, match="cannot be exceeded"):
        build_policy_suite(rule_file="r.yaml", slo=slo, bad_series=BAD, good_series=GOOD)


def test_an_slo_without_policies_or_events_sli_is_refused() -> None:
    _, slo = _generate(openslo([PAGE]))
    with pytest.raises(SpecError, match="no alert policies"):
        build_policy_suite(
            rule_file="r.yaml",
            slo=dataclasses.replace(slo, policy_alerts=()),
            bad_series=BAD,
            good_series=GOOD,
        )
    raw = dataclasses.replace(slo, sli=SLIRaw(error_ratio_query="vector(0)"))
    with pytest.raises(SpecError, match="events SLI"):
        build_policy_suite(rule_file="r.yaml", slo=raw, bad_series=BAD, good_series=GOOD)


def test_a_templated_policy_annotation_is_refused() -> None:
    _, slo = _generate(openslo([PAGE]))
    policy = dataclasses.replace(
        slo.policy_alerts[0], annotations=(("summary", "{{ $value }} burn"),)
    )
    templated = dataclasses.replace(slo, policy_alerts=(policy,))
    with pytest.raises(SpecError, match="template"):
        build_policy_suite(rule_file="r.yaml", slo=templated, bad_series=BAD, good_series=GOOD)


@needs_promtool
def test_a_policy_with_two_conditions_is_refused_since_its_alert_series_collide(
    tmp_path: Path,
) -> None:
    policy = (
        "ShopBurn",
        "page",
        [("fast", "gte", 14.4, "1h", "2m"), ("slow", "gt", 6, "6h", "15m")],
    )
    rules, slo = _generate(openslo([policy]))
    with pytest.raises(SpecError, match="ALERTS_FOR_STATE series collide"):
        build_policy_suite(rule_file="r.yaml", slo=slo, bad_series=BAD, good_series=GOOD)
    # Why: a suite for the first condition alone, run on the file with both rules, stops at the
    # first minute both are active.
    one = dataclasses.replace(slo.policy_alerts[0], conditions=slo.policy_alerts[0].conditions[:1])
    _write(tmp_path, rules, dataclasses.replace(slo, policy_alerts=(one,)))
    result = _promtool_test(tmp_path)
    assert result.returncode != 0
    assert "duplicate sample for timestamp" in result.stdout + result.stderr
