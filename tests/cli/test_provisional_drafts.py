"""Thin evidence still gives a team a draft to review: the TrainTicket day (a handful of requests
per journey) gets an SLI and a provisional objective per journey, marked in every artifact, and
rules promtool accepts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from slo_scout.cli.main import app

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"


@pytest.fixture(scope="module")
def trainticket(tmp_path_factory: pytest.TempPathFactory) -> Path:
    csv = DATASETS / "trainticket" / "2023-01-29_trace.csv"
    if not csv.exists():
        pytest.skip(f"shared datasets not present at {DATASETS}")
    out = tmp_path_factory.mktemp("tt")
    result = CliRunner().invoke(app, ["analyze", str(csv), "--out", str(out), "--no-llm"])
    assert result.exit_code == 0, result.output
    return out


def test_trainticket_day_gets_a_provisional_slo_per_journey_and_promtool_accepts_the_rules(
    trainticket: Path,
) -> None:
    journeys = json.loads((trainticket / "journeys.json").read_text())["journeys"]
    recs = yaml.safe_load((trainticket / "recommendations.yaml").read_text())["recommendations"]
    assert {r["status"] for r in recs} == {"insufficient data"}  # the rule's verdict stays
    drafted = {(r["journey_id"], r["sli"]) for r in recs if r["objective"] is not None}
    assert {j for j, _ in drafted} == {j["id"] for j in journeys}  # every journey has one
    for rec in recs:
        if rec["objective"] is None:
            continue
        assert rec["provisional"]["source"] == "convention"
        assert rec["objective"] in rec["provisional"]["allowed_objectives"]
        assert rec["rationale"].startswith("Provisional, for review")
        if rec["sli"] == "latency":
            assert rec["threshold_seconds"] in rec["provisional"]["allowed_thresholds_seconds"]
    rule_files = sorted((trainticket / "rules").glob("*.yaml"))
    assert rule_files
    if not Path(PROMTOOL).exists():
        pytest.fail("promtool is not installed (Debian package prometheus)")
    for path in rule_files:
        checked = subprocess.run([PROMTOOL, "check", "rules", str(path)], capture_output=True,
                                 text=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "slo_scout_provisional: convention" in path.read_text()
    for folder in ("sloth", "pyrra", "openslo"):
        for path in (trainticket / folder).glob("*.yaml"):
            assert "provisional" in path.read_text(), path
    runbooks = list((trainticket / "runbooks").rglob("*.md"))
    assert len(runbooks) == len(drafted)
    assert all("**Provisional** draft from convention" in p.read_text() for p in runbooks)
    assert "provisional (convention)" in (trainticket / "report.html").read_text()
