"""``slo-scout analyze``: journeys.json, report.html, the table, and bad input handled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slo_scout.cli.main import app

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


@pytest.fixture(scope="module")
def shop_json(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "shop.json"
    result = CliRunner().invoke(app, ["simulate", "--traces", "1500", "--seed", "3",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _spans(document: dict) -> list[dict]:
    return [s for rs in document["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]


def test_analyze_writes_journeys_and_a_report_with_pictures(
    runner: CliRunner, shop_json: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(shop_json), "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "journeys.json").read_text())
    truth = json.loads(shop_json.with_name("shop.truth.json").read_text())
    assert len(document["journeys"]) == len(truth["journeys"]) == 7
    assert sum(j["requests"] for j in document["journeys"]) == truth["traces"]
    html = (out / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") >= 7 * 3
    assert "7 journeys" in result.stderr
    assert "/api/checkout" in result.stderr


def test_analyze_writes_the_slo_artifacts_unless_told_not_to(
    runner: CliRunner, shop_json: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(shop_json), "--out", str(out), "--metrics",
                                 "tempo", "--strategy", "conservative"])
    assert result.exit_code == 0, result.output
    recommendations = (out / "recommendations.yaml").read_text()
    assert "strategy: conservative" in recommendations
    assert "traces_spanmetrics" in (out / "sloth" / "frontend.yaml").read_text()
    assert (out / "rules" / "frontend.yaml").is_file()
    assert list((out / "runbooks").rglob("*.md"))
    bare = tmp_path / "bare"
    result = runner.invoke(app, ["analyze", str(shop_json), "--out", str(bare),
                                 "--no-artifacts"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in bare.iterdir()) == ["journeys.json", "report.html"]


def test_analyze_is_deterministic(runner: CliRunner, shop_json: Path, tmp_path: Path) -> None:
    for name in ("one", "two"):
        result = runner.invoke(app, ["analyze", str(shop_json), "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*")
                   if p.is_file())
    assert len(files) > 2
    for file in files:
        assert (tmp_path / "one" / file).read_bytes() == (tmp_path / "two" / file).read_bytes()


def test_several_files_in_several_formats_are_one_analysis(
    runner: CliRunner, tmp_path: Path
) -> None:
    a, b = tmp_path / "a.pb.gz", tmp_path / "b.jsonl"
    runner.invoke(app, ["simulate", "--traces", "300", "--seed", "1", "-f", "otlp-proto",
                        "--gzip", "--out", str(a)])
    runner.invoke(app, ["simulate", "--traces", "300", "--seed", "2", "-f", "otlp-jsonl",
                        "--start", "1700001000", "--out", str(b)])
    result = runner.invoke(app, ["analyze", str(a), str(b), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "out" / "journeys.json").read_text())
    assert document["traces"] == 600


def test_a_bad_record_stops_with_one_line_naming_file_record_and_field(
    runner: CliRunner, shop_json: Path, tmp_path: Path
) -> None:
    document = json.loads(shop_json.read_bytes())
    _spans(document)[5]["spanId"] = "not-hex"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    result = runner.invoke(app, ["analyze", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert str(bad) in lines[0] and "spanId" in lines[0] and "record" in lines[0]


def test_skip_invalid_counts_bad_records_and_keeps_the_good_ones(
    runner: CliRunner, shop_json: Path, tmp_path: Path
) -> None:
    document = json.loads(shop_json.read_bytes())
    spans = _spans(document)
    spans[5]["spanId"] = "not-hex"
    spans[9]["startTimeUnixNano"] = "yesterday"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(bad), "--skip-invalid", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped 2 bad records" in result.stderr
    analysed = json.loads((out / "journeys.json").read_text())
    assert analysed["spans"] == len(spans) - 2
    assert "Bad records skipped" in (out / "report.html").read_text()


@pytest.mark.parametrize(
    "content",
    [b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId"', b"\x00\x01garbage\xff" * 10],
)
def test_a_truncated_or_unreadable_file_is_a_one_line_error(
    runner: CliRunner, tmp_path: Path, content: bytes
) -> None:
    bad = tmp_path / "broken.json"
    bad.write_bytes(content)
    result = runner.invoke(app, ["analyze", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert str(bad) in result.stderr


def test_usage_mistakes_exit_2(runner: CliRunner, shop_json: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["analyze", str(tmp_path / "nope.json"), "--out",
                                  str(tmp_path)])
    assert missing.exit_code == 2
    columns = runner.invoke(app, ["analyze", str(shop_json), "--out", str(tmp_path),
                                  "--csv-columns", "trace_id"])
    assert columns.exit_code == 2
    assert "FIELD=COLUMN" in columns.stderr
    fmt = runner.invoke(app, ["analyze", str(shop_json), "--out", str(tmp_path),
                              "--format", "xml"])
    assert fmt.exit_code == 2


def test_a_forced_wrong_format_is_a_domain_error(
    runner: CliRunner, shop_json: Path, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["analyze", str(shop_json), "--format", "otlp-proto",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_trainticket_recording_gives_the_nine_journeys_its_readme_names(
    runner: CliRunner, tmp_path: Path
) -> None:
    csv = DATASETS / "trainticket" / "2023-01-29_trace.csv"
    if not csv.exists():
        pytest.skip(f"shared datasets not present at {DATASETS}")
    out = tmp_path / "tt"
    result = runner.invoke(app, ["analyze", str(csv), "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads((out / "journeys.json").read_text())
    assert len(document["journeys"]) == 9
    assert "<svg" in (out / "report.html").read_text()


def test_jaeger_and_zipkin_samples_analyse_together(runner: CliRunner, tmp_path: Path) -> None:
    files = [DATASETS / "jaeger" / "ride-sharing-trace.json", DATASETS / "zipkin" / "yelp.json"]
    if not all(f.exists() for f in files):
        pytest.skip(f"shared datasets not present at {DATASETS}")
    result = runner.invoke(app, ["analyze", *map(str, files), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "o" / "journeys.json").read_text())
    assert document["traces"] >= 2


def test_an_empty_input_is_an_error_not_an_empty_report(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    result = runner.invoke(app, ["analyze", str(empty), "--out", str(out)])
    assert result.exit_code == 1
    assert f"no spans found in {empty}" in result.stderr
    assert not out.exists()
