"""``slo-scout demo``: the shop through discovery in one command, as ``make demo`` runs it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from slo_scout.cli.demo import compare_with_truth
from slo_scout.cli.main import app
from slo_scout.core.journeys import discover
from slo_scout.core.simulate import Simulation, default_shop, encode
from slo_scout.core.telemetry import decode_stream


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
    assert "all 7 known journeys found, each with its exact request count" in result.stderr


def test_a_miscounted_journey_is_reported_against_the_ground_truth() -> None:
    sim = Simulation(default_shop(), seed=1, traces=500)
    chunks = encode(sim.batches(), sim.resources, "otlp-proto", "delimited")
    discovery = discover(decode_stream(chunks, source="shop.pb"))
    truth = sim.truth.to_dict()
    assert compare_with_truth(discovery, truth) == []
    truth["journeys"]["search"]["requests"] += 1
    (miss,) = compare_with_truth(discovery, truth)
    assert miss.startswith("search: ")
