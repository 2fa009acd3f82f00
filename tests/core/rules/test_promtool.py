"""Real promtool: generated rule files load, and the page alert fires only when it should."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from tests.core.rules.spec_builders import generate
from tests.core.rules.test_burn_rates import WINDOWS_7D

from slo_scout.core.rules import WindowsCatalog, parse_alert_windows
from slo_scout.core.rules.burn import mwmb_alerts
from slo_scout.core.rules.promtool_tests import build_suite

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
pytestmark = pytest.mark.skipif(not Path(PROMTOOL).exists(), reason="promtool is not installed")

BAD = 'http_requests_total{job="svc",code="500"}'
GOOD = 'http_requests_total{job="svc",code="200"}'


def _promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"period_days": 28},
        {"disable_optimized_rules": True},
        {"extra_labels": (("env", "prod"),)},
        {"disable_alerts": True},
        {"disable_recordings": True},
    ],
    ids=str,
)
def test_every_generated_rule_file_passes_promtool_check_rules(
    tmp_path: Path, options: dict
) -> None:
    (tmp_path / "rules.yaml").write_text(generate(**options).text)
    result = _promtool("check", "rules", "rules.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _suite(tmp_path: Path, rules_text: str, period_days: int = 30, catalog=None) -> Path:
    outcome = generate(period_days=period_days, catalog=catalog)
    slo = outcome.results[0].slo
    windows = (catalog or WindowsCatalog()).get(slo.period_ms)
    assert windows is not None
    (tmp_path / "rules.yaml").write_text(rules_text or outcome.text)
    suite = build_suite(
        rule_file="rules.yaml",
        slo=slo,
        alerts=mwmb_alerts(slo.id, slo.objective, windows),
        bad_series=BAD,
        good_series=GOOD,
    )
    (tmp_path / "suite.yaml").write_text(suite)
    return tmp_path / "suite.yaml"


@pytest.mark.parametrize("period_days", [30, 28])
def test_page_alert_fires_on_sustained_burn_and_not_on_a_spike_or_within_budget(
    tmp_path: Path, period_days: int
) -> None:
    _suite(tmp_path, "", period_days)
    result = _promtool("test", "rules", "suite.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    suite = (tmp_path / "suite.yaml").read_text()
    assert "sustained" in suite and "spike" in suite and "within_budget" in suite
    assert "sloth_severity: page" in suite  # the sustained burn expects a page


def test_custom_windows_suites_pass_too(tmp_path: Path) -> None:
    catalog = WindowsCatalog([parse_alert_windows(WINDOWS_7D, source="7d.yaml")])
    _suite(tmp_path, "", 7, catalog)
    result = _promtool("test", "rules", "suite.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_suite_catches_a_wrong_page_threshold(tmp_path: Path) -> None:
    broken = generate().text.replace("(14.4 * ", "(40 * ")
    _suite(tmp_path, broken)
    result = _promtool("test", "rules", "suite.yaml", cwd=tmp_path)
    assert result.returncode != 0
    assert "sustained" in result.stdout + result.stderr
