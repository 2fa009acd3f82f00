"""Memory and time an outsider controls, through the command line (issue 12): trace files and
SLO specs someone else wrote, read by ``slo-scout analyze``, ``validate`` and ``generate`` run
as their own processes.

Each hostile file gets one line on stderr naming it (no traceback), exit code 1, and a peak
resident memory within :data:`BOUND` of the same command on an honest input; an honest file
beside it is still read (``analyze --skip-invalid``).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.api.otlp_payloads import otlp_json, trace_spans
from tests.core.rules.spec_builders import SERVICE_SPEC
from tests.fixtures.hostile_processes import MIB, Finished, otlp_json_bomb, run_cli

BOUND = 256 * MIB
SPEC_BOUND = 64 * MIB


def _one_line_naming(run: Finished, name: str) -> str:
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    assert "Traceback" not in run.stderr, run.stderr[-2000:]
    [line] = run.error_lines
    assert line.startswith("error: ") and name in line, line
    return line


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("hostile-traces")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    good = root / "good.json"
    good.write_bytes(b"\n".join(otlp_json(trace_spans(i, start)) for i in range(50)))
    bomb = root / "bomb.json.gz"
    bomb.write_bytes(otlp_json_bomb(1024 * MIB))  # ~1 MB on disk, 1 GiB inflated
    return {"good": good, "bomb": bomb, "out": root}


def test_a_gzip_bomb_stops_analyze_in_one_line_within_the_bound(traces: dict[str, Path]) -> None:
    out = traces["out"]
    with ThreadPoolExecutor(2) as pool:
        honest_run = pool.submit(run_cli, ["analyze", str(traces["good"]), "-o", str(out / "a")])
        bomb_run = pool.submit(run_cli, ["analyze", str(traces["bomb"]), "-o", str(out / "b")])
    honest, bomb = honest_run.result(), bomb_run.result()
    assert honest.returncode == 0, honest.stderr[-2000:]
    assert bomb.peak_rss - honest.peak_rss < BOUND, f"{bomb.peak_rss / MIB:.0f} MiB"
    line = _one_line_naming(bomb, "bomb.json.gz")
    assert "inflates more than 100x" in line and "--max-inflation" in line


def test_with_skip_invalid_the_bomb_is_one_bad_record_and_the_good_file_is_analysed(
    traces: dict[str, Path],
) -> None:
    out = traces["out"] / "c"
    run = run_cli(["analyze", str(traces["good"]), str(traces["bomb"]), "-o", str(out),
                   "--skip-invalid"])
    assert run.returncode == 0, run.stderr[-2000:]
    assert "bomb.json.gz: compressed input inflates more than 100x" in run.stderr
    journeys = json.loads((out / "journeys.json").read_text())["journeys"]
    assert sum(j["requests"] for j in journeys) == 50


_SLOS = SERVICE_SPEC.split("slos:\n", 1)[1]


def _spec_files(root: Path) -> dict[str, Path]:
    files = {
        "good": SERVICE_SPEC.encode(),
        "deep": b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n",
        "binary": bytes(range(256)) * 16,
        "latin-1": 'version: "prometheus/v1"\nservice: "caf\xe9"\n'.encode("latin-1"),
        "empty": b"",
        "comments": b"# nothing here\n",
        "aliases": b"a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
            b"a%d: &a%d [*a%d, *a%d, *a%d]\n" % (i, i, i - 1, i - 1, i - 1) for i in range(1, 20)),
        # many SLOs of an honest shape, 11 MB: minutes and gigabytes for the YAML parser
        "huge": SERVICE_SPEC.encode() + b"".join(
            _SLOS.replace('"slo1"', f'"s{i}"').replace('"slo02"', f'"t{i}"').encode()
            for i in range(11 * MIB // len(_SLOS) + 1)),
    }
    root.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in files.items():
        path = root / f"{name}.yaml"
        path.write_bytes(data)
        paths[name] = path
    return paths


EXPECTED = {
    "deep": "nested deeper than 64 levels",
    "binary": "binary file, not YAML text",
    "latin-1": "not UTF-8 text: byte 0xe9",
    "empty": "holds no YAML document",
    "comments": "holds no YAML document",
    "aliases": "more than 32 YAML aliases",
    "huge": "over the 262144-byte limit",
}


def test_validate_names_each_hostile_spec_in_one_line_and_still_validates_the_good_one(
    tmp_path: Path,
) -> None:
    specs = _spec_files(tmp_path / "specs")
    assert specs["huge"].stat().st_size > 10 * MIB
    with ThreadPoolExecutor(2) as pool:
        honest_run = pool.submit(run_cli, ["validate", "-i", str(specs["good"])])
        hostile_run = pool.submit(run_cli, ["validate", "-i", str(tmp_path / "specs")])
    honest, hostile = honest_run.result(), hostile_run.result()
    assert honest.returncode == 0, honest.stderr[-2000:]
    assert hostile.returncode == 1 and "Traceback" not in hostile.stderr, hostile.stderr[-3000:]
    errors = [line for line in hostile.error_lines if line.startswith("error: ")]
    for name, reason in EXPECTED.items():
        [line] = [e for e in errors if f"{name}.yaml" in e]
        assert reason in line, line
    assert len(errors) == len(EXPECTED), errors
    assert f"valid {specs['good']}" in hostile.stderr
    assert hostile.peak_rss - honest.peak_rss < SPEC_BOUND, f"{hostile.peak_rss / MIB:.0f} MiB"


@pytest.mark.parametrize("name", ["deep", "binary"])
def test_generate_refuses_a_hostile_spec_in_one_line_naming_it(tmp_path: Path, name: str) -> None:
    specs = _spec_files(tmp_path)
    run = run_cli(["generate", "-i", str(specs[name]), "-o", str(tmp_path / "rules.yaml")])
    assert EXPECTED[name] in _one_line_naming(run, f"{name}.yaml")
    assert not (tmp_path / "rules.yaml").exists()
