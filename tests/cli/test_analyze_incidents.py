"""Issue 13 through the CLI: the demo's checkout gets an objective, its incident is shown and
``--include-incidents`` puts it back into the estimate."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from slo_scout.cli.main import app


@pytest.fixture(scope="module")
def demo_traffic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make demo`'s traffic: 20,000 requests of the shop, seed 42, as OTLP protobuf."""
    out = tmp_path_factory.mktemp("sim") / "shop.pb"
    result = CliRunner().invoke(app, ["simulate", "--traces", "20000", "--seed", "42",
                                      "-f", "otlp-proto", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _checkout(out: Path) -> dict:
    doc = yaml.safe_load((out / "recommendations.yaml").read_text())
    return next(r for r in doc["recommendations"]
                if r["journey"].startswith("checkout") and r["sli"] == "availability")


def test_the_demo_checkout_gets_an_objective_and_shows_its_incident(
    demo_traffic: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(demo_traffic), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rec = _checkout(out)
    assert rec["status"] == "below standard targets" and rec["objective"] >= 97.5
    incidents = rec["incidents"]
    assert incidents["excluded"] and len(incidents["found"]) == 1
    assert incidents["found"][0]["burn_rate"] > 10
    assert incidents["objective_the_other_way"] < rec["objective"]
    # an objective means an SLO: the checkout availability spec is written
    assert "checkout" in (out / "sloth" / "frontend.yaml").read_text()
    # the report shows it: status, objective, the incident and the backtest
    report = (out / "report.html").read_text()
    section = report[report.index("<h3>Recommended SLOs</h3>"):]
    assert "below standard targets" in report
    assert f"<td>{rec['objective']:g}%</td>" in report
    assert "Availability incidents (left out of the estimate)" in report
    assert rec["backtest"]["objective"] is not None and "page /" in section

    kept = tmp_path / "kept"
    result = runner.invoke(app, ["analyze", str(demo_traffic), "--out", str(kept),
                                 "--include-incidents"])
    assert result.exit_code == 0, result.output
    included = _checkout(kept)
    assert not included["incidents"]["excluded"]
    assert included["objective"] == incidents["objective_the_other_way"]
    assert included["evidence"]["total"] > rec["evidence"]["total"]
