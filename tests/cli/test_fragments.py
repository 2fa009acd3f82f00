"""Traces whose root never arrived are fragments: listed apart, never journeys, never SLOs."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from slo_scout.cli.main import app


def test_rootless_traces_are_listed_as_fragments_in_journeys_json_and_the_report(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    shop = tmp_path / "shop.json"
    made = runner.invoke(app, ["simulate", "--traces", "600", "--seed", "7", "--out", str(shop)])
    assert made.exit_code == 0, made.output
    document = json.loads(shop.read_text())
    spans = [s for rs in document["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    cut = sorted({s["traceId"] for s in spans})[:5]  # these five lose their root span
    for rs in document["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            ss["spans"] = [s for s in ss["spans"]
                           if not (s["traceId"] in cut and not s.get("parentSpanId"))]
    shop.write_text(json.dumps(document))

    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(shop), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 traces are fragments" in result.output
    found = json.loads((out / "journeys.json").read_text())
    assert len(found["journeys"]) == 7
    assert sum(j["requests"] for j in found["journeys"]) == 595
    assert sum(f["traces"] for f in found["fragments"]) == 5
    assert sorted(t for f in found["fragments"] for t in f["samples"]) == cut
    assert not {t for j in found["journeys"] for t in j["samples"]} & set(cut)
    html = (out / "report.html").read_text()
    assert "Fragments: traces whose root never arrived" in html
    recommended = (out / "recommendations.yaml").read_text()
    assert all(f["entry"] not in recommended for f in found["fragments"])
