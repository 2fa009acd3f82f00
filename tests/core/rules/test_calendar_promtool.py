"""Real promtool: calendar-aligned period rules measure from the start of the current period."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from tests.core.rules.spec_builders import generate

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
pytestmark = pytest.mark.skipif(not Path(PROMTOOL).exists(), reason="promtool is not installed")

SPEC = """\
apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout
spec:
  service: shop
  budgetingMethod: Occurrences
  indicator:
    metadata: {name: checkout-errors}
    spec:
      ratioMetric:
        counter: true
        bad:
          metricSource:
            type: Prometheus
            spec: {query: 'sum(rate(req_bad_total[{{.window}}]))'}
        total:
          metricSource:
            type: Prometheus
            spec: {query: 'sum(rate(req_all_total[{{.window}}]))'}
  timeWindow:
    - duration: 1M
      isRolling: false
      calendar: {startTime: '1970-01-01 00:00:00', timeZone: UTC}
  objectives:
    - target: 0.99
"""

HOURS_IN_JANUARY = 31 * 24
IDS = 'sloth_id="shop-checkout", sloth_service="shop", sloth_slo="checkout"'


def _labels(name: str) -> str:
    window = ', sloth_window="1M"' if "burn_rate" in name or name.endswith("1M") else ""
    return f"{{{IDS}{window}}}"


def _rounded(value: float) -> float:
    """PromQL's round(v, 1e-9), so float noise in the last bits does not matter."""
    inverse = 1.0 / 1e-9  # as Prometheus computes it
    return math.floor(value * inverse + 0.5) / inverse


def test_a_calendar_month_forgets_last_months_errors_and_scales_the_budget_by_days_gone(
    tmp_path: Path,
) -> None:
    outcome = generate(SPEC)
    assert outcome.errors == ()
    (tmp_path / "rules.yaml").write_text(outcome.text)
    check = subprocess.run(
        [PROMTOOL, "check", "rules", "rules.yaml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # 1000 requests an hour; January fails 10% of them (10x the 1% budget), February 0.5%.
    bad_jan = 100 * HOURS_IN_JANUARY
    bad = f"0+100x{HOURS_IN_JANUARY} {bad_jan + 5}+5x300"
    at = "40d12h"  # 10 February 1970, 12:00 UTC: 9.5 of February's 28 days are gone
    elapsed = 9.5 / 28
    burn = 0.005 / 0.01
    expected = {
        "slo:sli_error:ratio_rate1M": 0.005,
        "slo:period_burn_rate:ratio": burn,
        "slo:period_elapsed:ratio": elapsed,
        "slo:period_error_budget_remaining:ratio": 1 - burn * elapsed,
    }
    suite = {
        "rule_files": ["rules.yaml"],
        "evaluation_interval": "1h",
        # SLI recordings before the meta recordings that read them: without an order promtool
        # takes the groups in Go's random map order, and this test failed in some runs.
        "group_eval_order": [g["name"] for g in yaml.safe_load(outcome.text)["groups"]],
        "tests": [
            {
                "interval": "1h",
                "input_series": [
                    {"series": "req_all_total", "values": "0+1000x1100"},
                    {"series": "req_bad_total", "values": bad},
                ],
                "promql_expr_test": [
                    {
                        "expr": f"round({name}, 1e-9)",
                        "eval_time": at,
                        "exp_samples": [{"labels": _labels(name), "value": _rounded(value)}],
                    }
                    for name, value in expected.items()
                ],
            }
        ],
    }
    (tmp_path / "suite.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    result = subprocess.run(
        [PROMTOOL, "test", "rules", "suite.yaml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_policy_rules_and_fixed_length_calendar_rules_pass_promtool_check_rules(
    tmp_path: Path,
) -> None:
    policy = """\
  alertPolicies:
    - kind: AlertPolicy
      metadata: {name: ShopCheckoutBurn, labels: {team: shop}}
      spec:
        conditions:
          - kind: AlertCondition
            metadata: {name: slow}
            spec:
              severity: critical
              condition: {kind: burnrate, op: gte, threshold: 6, lookbackWindow: 6h, alertAfter: 5m}
"""
    spec = (
        SPEC.replace(
            "    - duration: 1M\n      isRolling: false\n"
            "      calendar: {startTime: '1970-01-01 00:00:00', timeZone: UTC}\n",
            "    - duration: 1w\n      isRolling: false\n",
        )
        + policy
    )
    outcome = generate(spec)
    assert outcome.errors == ()
    assert "for: 5m" in outcome.text and "slo:sli_error:ratio_rate1w" in outcome.text
    (tmp_path / "rules.yaml").write_text(outcome.text)
    check = subprocess.run(
        [PROMTOOL, "check", "rules", "rules.yaml"], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
