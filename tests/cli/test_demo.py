"""``slo-scout demo``: the shop through discovery in one command, as ``make demo`` runs it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from slo_scout.cli.main import app


def test_demo_prints_the_journeys_and_writes_report_and_ground_truth(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--out", str(out), "--traces", "1500"])
    assert result.exit_code == 0, result.output
    truth = json.loads((out / "ground-truth.json").read_text())
    found = json.loads((out / "journeys.json").read_text())
    assert truth["traces"] == found["traces"] == 1500
    assert len(found["journeys"]) == len(truth["journeys"]) == 7
    assert "<svg" in (out / "report.html").read_text()
    assert "7 journeys" in result.stderr
    assert "discovery found 7 journeys" in result.stderr
