"""``slo-scout simulate``: files, ground truth, determinism, and errors that say where."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from slo_scout.cli.main import app


def test_simulate_writes_otlp_json_and_its_ground_truth(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "shop.json"
    result = runner.invoke(app, ["simulate", "--traces", "200", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_bytes())
    assert document["resourceSpans"]
    truth = json.loads((tmp_path / "shop.truth.json").read_text())
    assert truth["traces"] == 200
    assert set(truth["journeys"]) == {"browse-product", "home", "view-cart", "add-to-cart",
                                      "checkout", "search", "get-ads"}
    assert "200 traces" in result.stderr


def test_the_same_seed_writes_the_same_bytes_even_gzipped(
    runner: CliRunner, tmp_path: Path
) -> None:
    paths = [tmp_path / "a.pb.gz", tmp_path / "b.pb.gz"]
    for path in paths:
        result = runner.invoke(app, ["simulate", "--spans", "3000", "--seed", "4", "-f",
                                     "otlp-proto", "--gzip", "--out", str(path)])
        assert result.exit_code == 0, result.output
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert gzip.decompress(paths[0].read_bytes())[:1] == b"\x0a"  # one message, not framed
    other = tmp_path / "c.pb.gz"
    runner.invoke(app, ["simulate", "--spans", "3000", "--seed", "5", "-f", "otlp-proto",
                        "--gzip", "--out", str(other)])
    assert other.read_bytes() != paths[0].read_bytes()


def test_big_protobuf_output_is_framed_as_the_collector_writes_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "framed.pb"
    result = runner.invoke(app, ["simulate", "--traces", "100", "-f", "otlp-proto",
                                 "--framing", "delimited", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    size = int.from_bytes(data[:4], "big")
    assert data[4:5] == b"\x0a" and 4 + size <= len(data)


def test_jsonl_to_stdout_is_one_request_per_line(runner: CliRunner) -> None:
    result = runner.invoke(app, ["simulate", "--traces", "1500", "-f", "otlp-jsonl",
                                 "--out", "-"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout_bytes.splitlines()
    assert len(lines) > 1
    assert all("resourceSpans" in json.loads(line) for line in lines)


def test_a_scenario_file_shapes_the_system(runner: CliRunner, tmp_path: Path) -> None:
    scenario = tmp_path / "tiny.yaml"
    scenario.write_text(
        "name: tiny\n"
        "services: [api, users]\n"
        "journeys:\n"
        "  - name: get-user\n"
        "    entry:\n"
        "      service: api\n"
        "      protocol: http\n"
        "      operation: /users/{id}\n"
        "      calls:\n"
        "        - {service: users, protocol: grpc, operation: users.Users/Get}\n"
    )
    out = tmp_path / "tiny.json"
    result = runner.invoke(app, ["simulate", "--scenario", str(scenario), "--traces", "20",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    truth = json.loads((tmp_path / "tiny.truth.json").read_text())
    assert truth["gateway"] is None
    assert truth["journeys"]["get-user"]["services"] == ["api", "users"]
    assert truth["journeys"]["get-user"]["spans"] == 60


def test_a_wrong_scenario_fails_with_one_line_naming_the_field(
    runner: CliRunner, tmp_path: Path
) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("services: [api]\njourneys:\n  - name: x\n    entry: "
                        "{service: api, protocol: ftp, operation: /}\n")
    result = runner.invoke(app, ["simulate", "--scenario", str(scenario), "--out",
                                 str(tmp_path / "x.json")])
    assert result.exit_code == 1
    assert f"{scenario}, field 'journeys[0].entry.protocol'" in result.stderr
    assert "Traceback" not in result.output


def test_broken_yaml_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    scenario = tmp_path / "broken.yaml"
    scenario.write_text("services: [api\n")
    result = runner.invoke(app, ["simulate", "--scenario", str(scenario), "--out",
                                 str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert "not valid YAML" in result.stderr


def test_help_teaches_with_examples(runner: CliRunner) -> None:
    for command in ("simulate", "analyze", "demo"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Examples" in result.output and f"slo-scout {command}" in result.output


def test_version_prints_the_package_version(runner: CliRunner) -> None:
    from slo_scout import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"slo-scout {__version__}"
