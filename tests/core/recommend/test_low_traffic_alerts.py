"""Issue 13: a low-traffic SLO's burn-rate alerts need a minimum of failed events.

Proved with the real ``promtool test rules`` on the generated rule file: at ten requests an
hour, one failure pages with Sloth's rules and does not with the low-traffic rules, while a
sustained burn still pages (and opens a ticket) with them. The bundle writes such rules for the
SLOs of journeys flagged low traffic.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.core.rules.spec_builders import generate
from tests.golden.journeys import build_journey, traffic

from slo_scout.core.artifacts import render_bundle
from slo_scout.core.recommend import Strategy, WindowCounts, recommend_availability_counts
from slo_scout.core.recommend.ratio import LOW_TRAFFIC_MIN_FAILURES
from slo_scout.core.rules.generators import id_labels
from slo_scout.core.rules.promtool_tests import _expected_alert, group_eval_order, suite_yaml
from slo_scout.core.slis import FAMILIES, FamilyKind
from slo_scout.core.specs.model import merge_labels

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
pytestmark = pytest.mark.skipif(not Path(PROMTOOL).exists(), reason="promtool is not installed")

BAD = 'http_requests_total{job="svc",code="500"}'
GOOD = 'http_requests_total{job="svc",code="200"}'
BASE = 1000  # counters start far above zero (see core/rules/promtool_tests.py)
MINUTES = 600
BURN_FROM = 400  # minute of the first failure
EVERY = 6  # one request every six minutes: ten an hour


def _series(sustained: bool) -> tuple[str, str]:
    """Per-minute counter values of the bad and the good requests."""
    bad, good = BASE, BASE
    bad_values, good_values = [], []
    for minute in range(MINUTES):
        request = minute % EVERY == 0
        if minute == BURN_FROM or (sustained and request and minute > BURN_FROM):
            bad += 1
        elif request:
            good += 1
        bad_values.append(str(bad))
        good_values.append(str(good))
    return " ".join(bad_values), " ".join(good_values)


def _run(tmp_path: Path, min_failures: int, sustained: bool, at_min: int) -> tuple[int, str]:
    """promtool's verdict on: page and ticket alerts both fire at ``at_min`` when
    ``sustained``, none fires otherwise."""
    options = {"min_failures": (("slo1", min_failures),)} if min_failures else {}
    outcome = generate(**options)
    slo = outcome.results[0].slo
    (tmp_path / "rules.yaml").write_text(outcome.text)
    series_labels = merge_labels(id_labels(slo), slo.labels)
    expected = []
    if sustained or not min_failures:
        expected = [_expected_alert(slo, slo.page_alert, "page", series_labels),
                    _expected_alert(slo, slo.ticket_alert, "ticket", series_labels)]
    bad, good = _series(sustained)
    test = {
        "name": f"min_failures={min_failures} sustained={sustained}",
        "interval": "1m",
        "input_series": [{"series": BAD, "values": bad}, {"series": GOOD, "values": good}],
        "alert_rule_test": [
            {"eval_time": f"{at_min}m", "alertname": slo.page_alert.name, "exp_alerts": expected}
        ],
    }
    (tmp_path / "test.yaml").write_text(suite_yaml(slo, "rules.yaml", [test]))
    result = subprocess.run([PROMTOOL, "test", "rules", "test.yaml"], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert group_eval_order(slo)
    return result.returncode, result.stdout + result.stderr


def test_one_failure_at_low_traffic_pages_with_plain_rules(tmp_path: Path) -> None:
    code, output = _run(tmp_path, 0, sustained=False, at_min=BURN_FROM + 3)
    assert code == 0, output


@pytest.mark.parametrize("at_min", [BURN_FROM + 3, BURN_FROM + 30, BURN_FROM + 120])
def test_one_failure_at_low_traffic_does_not_page_with_a_minimum_of_failures(
    tmp_path: Path, at_min: int
) -> None:
    code, output = _run(tmp_path, LOW_TRAFFIC_MIN_FAILURES, sustained=False, at_min=at_min)
    assert code == 0, output


def test_a_sustained_burn_at_low_traffic_still_pages(tmp_path: Path) -> None:
    code, output = _run(tmp_path, LOW_TRAFFIC_MIN_FAILURES, sustained=True,
                        at_min=BURN_FROM + 80)
    assert code == 0, output


def test_the_generated_condition_counts_failures_over_each_long_window() -> None:
    text = generate(min_failures=(("slo1", 3),)).text
    assert 'and on()\n' in text
    assert '(sum(rate(http_requests_total{job="svc",code=~"5.."}[1h]))) * 3600 >= 3' in text
    assert '[6h]))) * 21600 >= 3' in text and '[3d]))) * 259200 >= 3' in text
    assert "and on()" not in generate().text  # other SLOs: Sloth's rules, byte for byte


def test_the_bundle_writes_low_traffic_rules_for_low_traffic_journeys() -> None:
    # 1,000 requests a week, none failing: 99.9% allows 4.3 failures in 30 days
    week = 7 * 86_400
    start = 1_700_006_400
    windows = [WindowCounts(start + i * week, start + (i + 1) * week, 1000, 1000)
               for i in range(4)]
    journey = build_journey(minutes=traffic(start_s=start, minutes=60, per_minute=1))
    rec = recommend_availability_counts(journey.id, windows, strategy=Strategy.AGGRESSIVE)
    assert rec.low_traffic and rec.objective == 99.9
    family = FAMILIES[FamilyKind.SPANMETRICS]
    now = datetime.fromtimestamp(start + 4 * week, UTC)

    def rules(**options: int) -> str:
        files = render_bundle([journey], [rec], family=family, strategy=Strategy.AGGRESSIVE,
                              now=now, version="test", **options)
        return next(text for path, text in files.items() if path.startswith("rules/"))

    assert rules().count(f">= {LOW_TRAFFIC_MIN_FAILURES})") == 4  # 2 alerts x 2 windows
    assert ">= " not in rules(low_traffic_min_failures=0)
